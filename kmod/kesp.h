/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KESP_H
#define KESP_H

#include <linux/crypto.h>
#include <linux/in6.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "replay.h"
#include "selector.h"
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/rtnetlink.h>

/*
 * The largest overhead one ESP packet can add, so the device MTU keeps the
 * outer packet within a 1500-byte path: IPv6 header (40), UDP encapsulation
 * (8), SPI and sequence number (8), the largest IV (16, CBC), the largest
 * padding for a 16-byte block plus pad length and next header (15 + 2), and
 * the largest ICV (32, HMAC-SHA-512/256).
 */
#define KESP_MAX_OVERHEAD (40 + 8 + 8 + 16 + 17 + 32)
/*
 * What ESP output puts in front of a packet at most (ESN widens the
 * header by 4 bytes while the crypto runs) and behind it.
 */
#define KESP_MAX_HEAD (40 + 8 + 8 + 4 + 16)
#define KESP_MAX_TAIL (17 + 32)
#define KESP_DEFAULT_MTU (ETH_DATA_LEN - KESP_MAX_OVERHEAD)

/* RFC 4303 2.1: SPIs 1 to 255 are reserved by IANA; 0 means none. */
#define KESP_SPI_FIRST 256

/* Per network namespace state. */
struct kesp_net {
	/*
	 * Devices created in this namespace, wherever they live now: this is
	 * their underlay, so they must go when it goes. Protected by RTNL.
	 */
	struct list_head underlay_devices;
	/*
	 * Serialises SA configuration of every device whose underlay is this
	 * namespace, since they share the inbound SPI space. Taken inside
	 * RTNL where both are held, never the other way round.
	 */
	struct mutex sad_lock;
	/*
	 * Inbound SAs by SPI (RCU readers on the receive path), written under
	 * sad_lock. A hash table, not an xarray: random 32-bit SPIs make an
	 * xarray a tree of mostly empty nodes, over 1 KiB per SA.
	 */
	struct rhashtable in_sas;
	/*
	 * SPIs reserved by KESP_CMD_SPI_ALLOC and not yet used (struct
	 * kesp_spi_resv), by SPI and oldest first; all last equally long,
	 * so the oldest is always the first to expire, and resv_sweep takes
	 * each away when it does. Under sad_lock.
	 */
	struct rhashtable resv;
	struct list_head resv_fifo;
	struct delayed_work resv_sweep;
};

/*
 * What a device may hold, and holds (enum kesp_limit_attr, in its order):
 * SAs, traps, selector prefixes (each selector takes one per prefix of
 * its destination range), unused SPI reservations.
 */
enum kesp_dev_limit {
	KESP_LIMIT_SAS,
	KESP_LIMIT_TRAPS,
	KESP_LIMIT_SEL_PREFIXES,
	KESP_LIMIT_SPI_RESERVATIONS,
	KESP_LIMIT_COUNT
};

extern const u32 kesp_default_limits[KESP_LIMIT_COUNT];

/* Device counters, in the order of enum kesp_dev_cnt_attr from EXPIRES_SOFT. */
enum kesp_dev_counter {
	KESP_DEV_CNT_EXPIRES_SOFT,
	KESP_DEV_CNT_EXPIRES_HARD,
	KESP_DEV_CNT_ACQUIRES,
	KESP_DEV_CNT_MAPPINGS,
	KESP_DEV_CNT_ENCAP_ESP,
	KESP_DEV_CNT_ENCAP_IKE,
	KESP_DEV_CNT_ENCAP_KEEPALIVES,
	KESP_DEV_CNT_ENCAP_ERRORS,
	KESP_DEV_CNT_COUNT
};

struct kesp_device {
	struct net_device *dev;
	/*
	 * Where outer packets are sent. Not a counted reference: the pernet
	 * pre_exit of this namespace deletes the device first (as WireGuard
	 * does), so the pointer never outlives the namespace.
	 */
	struct net *underlay_net;
	struct list_head underlay_node;	/* in kesp_net(underlay_net) */
	u32 fwmark;			/* of outer packets; READ_ONCE */
	/* The rest is protected by kesp_net(underlay_net)->sad_lock. */
	struct xarray sas;		/* SA id -> SA */
	u32 next_sa_id;			/* cyclic allocation hint */
	struct rhltable out_sas;	/* outbound SAs by SPI (several dsts) */
	bool dead;			/* unregistering: no new SAs */
	/* Outbound SA (or trap) by packet: RCU readers, writers under sad_lock. */
	struct kesp_seltab *seltab;
	struct xarray traps;		/* trap id -> trap */
	u32 next_trap_id;
	/* Attached UDP sockets, [0] IPv4 and [1] IPv6; see encap.c. */
	struct kesp_encap_sock __rcu *encap[2];
	atomic64_t counters[KESP_DEV_CNT_COUNT];
	/*
	 * Limits and what counts against them, under sad_lock (read without
	 * it for replies). Selector prefixes are counted by the seltab.
	 */
	u32 limits[KESP_LIMIT_COUNT];
	u32 usage[KESP_LIMIT_COUNT];
};

static inline void kesp_dev_count(struct kesp_device *kd,
				  enum kesp_dev_counter c)
{
	atomic64_inc(&kd->counters[c]);
}

/* A selector with no SA behind it: packets on it raise ACQUIRE. */
struct kesp_trap {
	struct rcu_head rcu;
	struct kesp_device *kd;
	u32 id, reqid, priority;
	struct kesp_sel sel;
	unsigned long next_acquire;	/* jiffies: the next event's earliest */
	atomic64_t hits, acquires;
};

union kesp_addr {
	__be32 ip4;
	struct in6_addr ip6;
};

struct kesp_lifetime {
	u64 soft_bytes, hard_bytes;
	u64 soft_packets, hard_packets;
	u64 soft_seconds, hard_seconds;
};

/* An SA's traffic selectors; replaced whole under RCU. */
struct kesp_sel_set {
	struct rcu_head rcu;
	u32 n;
	struct kesp_sel sel[];
};

struct kesp_sa_stats {
	struct u64_stats_sync syncp;
	u64_stats_t packets;
	u64_stats_t bytes;
};

enum kesp_sa_error {
	KESP_ERR_REPLAY,
	KESP_ERR_AUTH,
	KESP_ERR_SELECTOR,
	KESP_ERR_PADDING,
	KESP_ERR_OTHER,
	KESP_ERR_ENCAP,
	KESP_ERR_COUNT
};

/*
 * Ordered to leave no holes: with its replay ring, an inbound SA with a
 * window of up to 512 packets (64 is the default) fits a 512-byte slab
 * object, as does every outbound SA.
 */
struct kesp_sa {
	refcount_t refcnt;
	u32 id;
	struct kesp_device *kd;
	u32 spi;
	u32 reqid;
	u32 priority;
	u32 flags;		/* enum kesp_sa_flags */
	u8 dir;			/* enum kesp_dir */
	u8 mode;		/* enum kesp_mode */
	u8 family;		/* outer: AF_INET or AF_INET6 */
	/* block: padding unit, never below RFC 4303's 4-byte alignment. */
	u8 iv_len, block, icv_len;
	/*
	 * ESP in UDP (RFC 3948): 0 or KESP_ENCAP_ESPINUDP, and the ports in
	 * host order (outbound: ours then the peer's; inbound: the peer's
	 * then ours). Ports change under lock.
	 */
	u8 encap_type;
	u16 encap_sport, encap_dport;

	spinlock_t lock;	/* sequence numbers, replay state, addresses */
	union kesp_addr src, dst;

	struct crypto_aead *aead;
	/*
	 * For replies: AEAD or cipher name, then HMAC name (or ""). Static
	 * strings of crypto.c's tables, so an SA does not carry two
	 * CRYPTO_MAX_ALG_NAME buffers (which made it a 2 KiB allocation).
	 */
	const char *alg_name[2];

	u64 seq;		/* outbound: the last sequence number sent */
	/*
	 * Outbound counter-IV AEADs: XORed into the sequence number to make
	 * the IV (as seqiv does for esp4), so an SA installed again with the
	 * same key and sequence number still never repeats a nonce.
	 */
	u64 iv_salt;
	/* NULL: any packet. Outbound copies also live in the device's seltab. */
	struct kesp_sel_set __rcu *sels;

	struct kesp_lifetime lft;	/* written under lock too */
	u64 add_time;		/* ktime_get_boottime_seconds() */
	/* Lifetime use, under lock. Reasons: enum kesp_expire_reason. */
	u64 used_bytes, used_packets;
	u8 soft_reason, hard_reason;
	bool soft_reported;
	bool unlinked;		/* under sad_lock */
	/*
	 * NAT mapping changes seen on inbound ESP in UDP, under lock: the
	 * newest source (family, address, port) and when it may be reported
	 * again. mapping_work reports it, holding a reference while queued.
	 */
	u8 mapping_family;
	__be16 mapping_port;
	union kesp_addr mapping_addr;
	unsigned long mapping_next;
	struct work_struct mapping_work;
	/* Expiry events and deletion; holds a reference while queued. */
	struct delayed_work lft_work;

	struct kesp_sa_stats __percpu *stats;
	atomic64_t errors[KESP_ERR_COUNT];

	/* In kesp_net.in_sas or kesp_device.out_sas, under sad_lock. */
	union {
		struct rhash_head in_node;
		struct rhlist_head out_node;
	};
	struct llist_node free_node;	/* waiting to be freed */

	/* Inbound, under lock. Last: its ring, sized to the window, follows. */
	struct kesp_replay replay;
};

/* What a netlink request says about an SA's algorithms, already parsed. */
struct kesp_alg_params {
	const char *aead_name, *enc_name, *auth_name;
	const u8 *aead_key, *enc_key, *auth_key;
	u32 aead_key_len, enc_key_len, auth_key_len;
	u32 icv_bits;
	/* For extack: the nest each came from. */
	const struct nlattr *aead_attr, *enc_attr, *auth_attr;
};

/* Everything SA_NEW needs besides the algorithms. */
struct kesp_sa_params {
	u8 dir, mode, family;
	u8 encap_type;
	u16 encap_sport, encap_dport;
	u32 spi, reqid, priority, flags, replay_window;
	u64 seq;
	union kesp_addr src, dst;
	struct kesp_lifetime lft;
	struct kesp_sel_set *sels;	/* taken over by the SA; may be NULL */
};

extern unsigned int kesp_net_id;
extern struct rtnl_link_ops kesp_link_ops;

static inline struct kesp_net *kesp_net(const struct net *net)
{
	return net_generic(net, kesp_net_id);
}

static inline bool kesp_is_device(const struct net_device *dev)
{
	return dev->rtnl_link_ops == &kesp_link_ops;
}

int kesp_crypto_setup(struct kesp_sa *sa, const struct kesp_alg_params *p,
		      struct netlink_ext_ack *extack);

int kesp_sad_init(void);
void kesp_sad_uninit(void);
int kesp_sad_net_init(struct kesp_net *kn);
void kesp_sad_net_exit(struct kesp_net *kn);
int kesp_sad_device_init(struct kesp_device *kd);
void kesp_sad_device_flush(struct kesp_device *kd);
void kesp_sad_device_free(struct kesp_device *kd);
struct kesp_sa *kesp_sa_lookup_in(struct kesp_net *kn, u32 spi);
struct kesp_sa *kesp_sa_alloc(struct kesp_device *kd,
			      const struct kesp_sa_params *p,
			      const struct kesp_alg_params *alg,
			      struct netlink_ext_ack *extack);
int kesp_sa_publish(struct kesp_sa *sa, struct netlink_ext_ack *extack);
bool kesp_sa_spi_in_use(struct kesp_net *kn, u32 spi);
bool kesp_sa_source_ok(struct kesp_device *kd, u8 dir, u8 family,
		       const union kesp_addr *src, struct netlink_ext_ack *extack);
void kesp_sad_queue_delayed(struct delayed_work *dw, unsigned long delay);
u32 kesp_dev_usage(struct kesp_device *kd, enum kesp_dev_limit l);
void kesp_dev_set_limit(struct kesp_device *kd, enum kesp_dev_limit l, u32 v);
bool kesp_dev_may_add(struct kesp_device *kd, enum kesp_dev_limit l,
		      struct netlink_ext_ack *extack);
int kesp_spi_net_init(struct kesp_net *kn);
void kesp_spi_net_exit(struct kesp_net *kn);
void kesp_spi_taken(struct kesp_net *kn, u32 spi);
void kesp_spi_device_flush(struct kesp_device *kd);
struct kesp_sa *kesp_sa_find(struct kesp_device *kd, u32 id, u8 dir, u32 spi,
			     const union kesp_addr *dst, u8 family);
void kesp_sa_unlink(struct kesp_sa *sa);
bool kesp_sa_out_mark(struct kesp_net *kn, u8 family,
		      const union kesp_addr *src, const union kesp_addr *dst,
		      u32 spi, u32 *mark);
/* Which SAs a dump or a flush covers; zero fields match any. */
struct kesp_sa_filter {
	u8 dir;
	bool by_reqid;
	u32 reqid;
};

static inline bool kesp_sa_filter_match(const struct kesp_sa *sa,
					const struct kesp_sa_filter *f)
{
	return (!f->dir || sa->dir == f->dir) &&
	       (!f->by_reqid || sa->reqid == f->reqid);
}

int kesp_sa_flush(struct kesp_device *kd, const struct kesp_sa_filter *f);
int kesp_spi_alloc(struct kesp_device *kd, u32 min, u32 max, u32 *spi,
		   struct netlink_ext_ack *extack);
void kesp_sa_put(struct kesp_sa *sa);
int kesp_sa_set_selectors(struct kesp_sa *sa, struct kesp_sel_set *sels);
struct kesp_sa *kesp_sa_select_out(struct kesp_device *kd,
				   const struct kesp_flow *flow);
bool kesp_sa_inbound_allowed(struct kesp_sa *sa, struct sk_buff *skb);
u64 kesp_sa_seq(struct kesp_sa *sa);
bool kesp_sa_lifetime_use(struct kesp_sa *sa, unsigned int bytes);
void kesp_sa_expire(struct kesp_sa *sa, bool hard, u8 reason);
void kesp_sa_lifetime_changed(struct kesp_sa *sa);
void kesp_nl_notify_expire(struct kesp_sa *sa, bool hard, u8 reason);
void kesp_nl_notify_mapping(struct kesp_sa *sa, u8 family,
			    const union kesp_addr *addr, __be16 port);
void kesp_sa_new_mapping(struct kesp_sa *sa, u8 family,
			 const union kesp_addr *addr, __be16 port);

struct kesp_trap *kesp_owner_trap(void *owner);
struct kesp_trap *kesp_trap_add(struct kesp_device *kd,
				const struct kesp_sel *sel, u32 reqid,
				u32 priority, struct netlink_ext_ack *extack);
void kesp_trap_del(struct kesp_trap *trap);
int kesp_trap_flush(struct kesp_device *kd);
void kesp_trap_hit(struct kesp_trap *trap, const struct kesp_flow *flow);
void kesp_nl_notify_acquire(const struct kesp_trap *trap,
			    const struct kesp_flow *flow);

struct kesp_encap_sock;
int kesp_encap_attach(struct kesp_device *kd, int fd,
		      struct netlink_ext_ack *extack);
void kesp_encap_detach(struct kesp_device *kd, int family);
u16 kesp_encap_port(struct kesp_device *kd, int family);
int kesp_encap_check_port(struct kesp_device *kd, int family, u8 dir,
			  u16 sport, u16 dport, struct netlink_ext_ack *extack);
int kesp_esp_input_encap(struct sk_buff *skb, struct kesp_device *kd,
			 unsigned int udp_len);

bool kesp_flow_from_skb(struct sk_buff *skb, struct kesp_flow *flow);
struct sk_buff *kesp_flow_whole_datagram(struct sk_buff *skb,
					 bool *reassembled);
void kesp_esp_output(struct kesp_sa *sa, struct sk_buff *skb,
		     bool reassembled);
int kesp_esp_input_init(void);
void kesp_esp_input_uninit(void);
void kesp_sa_read_stats(const struct kesp_sa *sa, u64 *packets, u64 *bytes);

static inline struct kesp_net *kesp_underlay(const struct kesp_device *kd)
{
	return kesp_net(kd->underlay_net);
}

/*
 * Objects whose lives end in callbacks, work items or completions, counted
 * per CPU so that unload can tell whether any was leaked (main.c): Debian's
 * kernels have no kmemleak, and SLUB checks only caches a module owns.
 */
enum kesp_obj {
	KESP_OBJ_SA,
	KESP_OBJ_PACKET,	/* an ESP request in flight, sync or async */
	KESP_OBJ_TRAP,
	KESP_OBJ_ENCAP_SOCK,
	KESP_OBJ_COUNT
};

DECLARE_PER_CPU(long [KESP_OBJ_COUNT], kesp_live_objs);

static inline void kesp_obj_new(enum kesp_obj kind)
{
	this_cpu_inc(kesp_live_objs[kind]);
}

static inline void kesp_obj_gone(enum kesp_obj kind)
{
	this_cpu_dec(kesp_live_objs[kind]);
}

int kesp_device_init(void);
void kesp_device_uninit(void);
int kesp_netlink_init(void);
void kesp_netlink_uninit(void);

#endif /* KESP_H */
