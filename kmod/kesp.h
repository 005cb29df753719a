/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KESP_H
#define KESP_H

#include <linux/list.h>
#include <linux/netdevice.h>
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
#define KESP_DEFAULT_MTU (ETH_DATA_LEN - KESP_MAX_OVERHEAD)

/* Per network namespace state. */
struct kesp_net {
	/*
	 * Devices created in this namespace, wherever they live now: this is
	 * their underlay, so they must go when it goes. Protected by RTNL.
	 */
	struct list_head underlay_devices;
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

int kesp_device_init(void);
void kesp_device_uninit(void);
int kesp_netlink_init(void);
void kesp_netlink_uninit(void);

#endif /* KESP_H */
