/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kesp device and the per network namespace state behind it
 * (device.c): what a device holds, its limits and counters, and the
 * namespace whose SA configuration it shares (its underlay).
 */
#ifndef KESP_DEVICE_H
#define KESP_DEVICE_H

#include <linux/if_ether.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rhashtable-types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/gro_cells.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/rtnetlink.h>

struct kesp_encap_sock;
struct kesp_seltab;

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
	/*
	 * Of outer packets: read with READ_ONCE, written under sad_lock and
	 * followed by kesp_sad_device_reroute(), as routes depend on it.
	 */
	u32 fwmark;
	/*
	 * Decapsulated tunnel-mode packets enter the stack through GRO, as
	 * ip_tunnel's and xfrmi's do, so inner TCP is coalesced. Made in
	 * ndo_init, destroyed with the device's last reference (packets
	 * still in async crypto may deliver until then).
	 */
	struct gro_cells gro_cells;
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

static inline struct kesp_net *kesp_underlay(const struct kesp_device *kd)
{
	return kesp_net(kd->underlay_net);
}

u32 kesp_dev_usage(struct kesp_device *kd, enum kesp_dev_limit l);
void kesp_dev_set_limit(struct kesp_device *kd, enum kesp_dev_limit l, u32 v);
bool kesp_dev_may_add(struct kesp_device *kd, enum kesp_dev_limit l,
		      struct netlink_ext_ack *extack);
int kesp_device_init(void);
void kesp_device_uninit(void);

#endif /* KESP_DEVICE_H */
