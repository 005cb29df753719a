/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Security associations and the SA database (sad.c): an SA, what creates
 * it, the tables that find it, its lifetimes.
 */
#ifndef KESP_SAD_H
#define KESP_SAD_H

#include <linux/in6.h>
#include <linux/llist.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/seqlock.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/dst_cache.h>

#include "device.h"
#include "replay.h"
#include "selector.h"

struct crypto_aead;
struct kesp_alg_params;

/* RFC 4303 2.1: SPIs 1 to 255 are reserved by IANA; 0 means none. */
#define KESP_SPI_FIRST 256

/*
 * The flags of enum kesp_sa_flags this module implements; any other bit
 * is refused. A flag added to the uapi header is added here with its code.
 */
#define KESP_SA_F_KNOWN \
	(KESP_SA_F_ESN | KESP_SA_F_PCPU_ACQUIRE | KESP_SA_F_PARALLEL)

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

enum kesp_sa_error {
	KESP_ERR_REPLAY,
	KESP_ERR_AUTH,
	KESP_ERR_SELECTOR,
	KESP_ERR_PADDING,
	KESP_ERR_OTHER,
	KESP_ERR_ENCAP,
	KESP_ERR_COUNT
};

struct kesp_sa_parallel;	/* parallel.h */


/*
 * Ordered to leave no holes but what alignment makes (488 bytes): with
 * its replay ring, a power of two of bits, an inbound SA with a window of
 * up to 128 packets (64 is the default) fits a 512-byte slab object, as
 * does every outbound SA.
 */
struct kesp_sa {
	refcount_t refcnt;
	u32 id;
	struct kesp_device *kd;
	u32 spi;
	u32 reqid;
	u32 priority;
	u32 cpu;		/* outbound: the one CPU it serves, or KESP_CPU_ANY */
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
	/*
	 * What outer packets are routed by: family, addresses and ports, and
	 * the device's fwmark. They change under lock inside a write section
	 * (kesp_sa_endpoint_begin), so transmit reads them without the lock
	 * and knows whether they changed since (esp_output.c).
	 */
	seqcount_spinlock_t endpoint_seq;
	union kesp_addr src, dst;
	/* Outbound: the outer route per CPU; reset by every endpoint change. */
	struct dst_cache route_cache;

	struct crypto_aead *aead;
	struct kesp_sa_parallel *par;	/* KESP_SA_F_PARALLEL, else NULL */
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

	/*
	 * What the SA protected. Not per CPU: freeing per-CPU memory was a
	 * third of what freeing flushed SAs cost, allocating it a twelfth of
	 * adding one. A packet takes the SA's lock already, whose line moves
	 * between CPUs as these do, and an SA of one CPU (RFC 9611) keeps
	 * them on that CPU.
	 */
	atomic64_t packets, bytes;
	atomic64_t errors[KESP_ERR_COUNT];
	/*
	 * KESP_SA_F_PCPU_ACQUIRE only: per CPU, the jiffies before which
	 * that CPU raises no further ACQUIRE for the SA.
	 */
	unsigned long __percpu *next_acquire;

	/* In kesp_net.in_sas or kesp_device.out_sas, under sad_lock. */
	union {
		struct rhash_head in_node;
		struct rhlist_head out_node;
	};
	struct llist_node free_node;	/* waiting to be freed */

	/* Inbound, under lock. Last: its ring, sized to the window, follows. */
	struct kesp_replay replay;
};

/* Everything SA_NEW needs besides the algorithms. */
struct kesp_sa_params {
	u8 dir, mode, family;
	u8 encap_type;
	u16 encap_sport, encap_dport;
	u32 spi, reqid, priority, cpu, flags, replay_window;
	u64 seq;
	union kesp_addr src, dst;
	struct kesp_lifetime lft;
	struct kesp_sel_set *sels;	/* taken over by the SA; may be NULL */
};

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

int kesp_sad_init(void);
void kesp_sad_uninit(void);
int kesp_sad_net_init(struct kesp_net *kn);
void kesp_sad_net_exit(struct kesp_net *kn);
int kesp_sad_device_init(struct kesp_device *kd);
void kesp_sad_device_flush(struct kesp_device *kd);
void kesp_sad_device_free(struct kesp_device *kd);
void kesp_sad_queue_delayed(struct delayed_work *dw, unsigned long delay);

struct kesp_sa *kesp_sa_alloc(struct kesp_device *kd,
			      const struct kesp_sa_params *p,
			      const struct kesp_alg_params *alg,
			      struct netlink_ext_ack *extack);
int kesp_sa_publish(struct kesp_sa *sa, struct netlink_ext_ack *extack);
void kesp_sa_unlink(struct kesp_sa *sa);
void kesp_sa_put(struct kesp_sa *sa);
int kesp_sa_flush(struct kesp_device *kd, const struct kesp_sa_filter *f);

struct kesp_sa *kesp_sa_lookup_in(struct kesp_net *kn, u32 spi);
bool kesp_sa_spi_in_use(struct kesp_net *kn, u32 spi);
struct kesp_sa *kesp_sa_find(struct kesp_device *kd, u32 id, u8 dir, u32 spi,
			     const union kesp_addr *dst, u8 family);
struct kesp_sa *kesp_sa_select_out(struct kesp_device *kd,
				   const struct kesp_flow *flow);
bool kesp_sa_out_mark(struct kesp_net *kn, u8 family,
		      const union kesp_addr *src, const union kesp_addr *dst,
		      u32 spi, u32 *mark);

bool kesp_sa_source_ok(struct kesp_device *kd, u8 dir, u8 family,
		       const union kesp_addr *src, struct netlink_ext_ack *extack);
int kesp_sa_set_selectors(struct kesp_sa *sa, struct kesp_sel_set *sels);
bool kesp_sa_inbound_allowed(struct kesp_sa *sa, struct sk_buff *skb);

void kesp_sa_endpoint_begin(struct kesp_sa *sa) __acquires(&sa->lock);
void kesp_sa_endpoint_end(struct kesp_sa *sa) __releases(&sa->lock);
void kesp_sad_device_reroute(struct kesp_device *kd);

u64 kesp_sa_seq(struct kesp_sa *sa);
void kesp_sa_read_stats(const struct kesp_sa *sa, u64 *packets, u64 *bytes);
bool kesp_sa_lifetime_use(struct kesp_sa *sa, unsigned int bytes);
void kesp_sa_expire(struct kesp_sa *sa, bool hard, u8 reason);
void kesp_sa_lifetime_changed(struct kesp_sa *sa);
void kesp_sa_new_mapping(struct kesp_sa *sa, u8 family,
			 const union kesp_addr *addr, __be16 port);

#endif /* KESP_SAD_H */
