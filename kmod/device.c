// SPDX-License-Identifier: GPL-2.0
/*
 * The kesp network device ("ip link add kesp0 type kesp") and the per
 * network namespace state behind it.
 */
#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/netns/generic.h>
#include <net/rtnetlink.h>

#include "device.h"
#include "encap.h"
#include "esp.h"
#include "flow.h"
#include "sad.h"
#include "selector.h"

/* What the device offers the stack (kesp_xmit finishes each of them). */
#define KESP_DEV_FEATURES (NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_HIGHDMA | \
			   NETIF_F_GSO_SOFTWARE)

unsigned int kesp_net_id __read_mostly;

/*
 * What a device may hold unless DEV_SET says otherwise: enough for a
 * large concentrator (the benchmarks add 200,000 SAs), and a bound on
 * what one device costs its memory cgroup (every object is charged to the
 * process that asked for it) and on how long one flush runs. Raising a
 * limit above its default takes CAP_NET_ADMIN in the initial user
 * namespace; see netlink.c.
 */
const u32 kesp_default_limits[KESP_LIMIT_COUNT] = {
	[KESP_LIMIT_SAS] = 1 << 20,
	[KESP_LIMIT_TRAPS] = 1 << 16,
	[KESP_LIMIT_SEL_PREFIXES] = 1 << 20,
	[KESP_LIMIT_SPI_RESERVATIONS] = 1 << 14,
};

/* How many of L the device holds; exact under sad_lock. */
u32 kesp_dev_usage(struct kesp_device *kd, enum kesp_dev_limit l)
{
	if (l == KESP_LIMIT_SEL_PREFIXES)
		return kesp_seltab_prefixes(kd->seltab);
	return READ_ONCE(kd->usage[l]);
}

/* Under sad_lock. Lowering a limit removes nothing: adding fails until it fits. */
void kesp_dev_set_limit(struct kesp_device *kd, enum kesp_dev_limit l, u32 v)
{
	lockdep_assert_held(&kesp_underlay(kd)->sad_lock);
	WRITE_ONCE(kd->limits[l], v);
	if (l == KESP_LIMIT_SEL_PREFIXES)
		kesp_seltab_set_limit(kd->seltab, v);
}

/*
 * Under sad_lock: whether KD may hold one more of L (selector prefixes are
 * checked by the selector table as it inserts); says why not in extack.
 */
bool kesp_dev_may_add(struct kesp_device *kd, enum kesp_dev_limit l,
		      struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&kesp_underlay(kd)->sad_lock);
	if (kd->usage[l] < kd->limits[l])
		return true;
	switch (l) {
	case KESP_LIMIT_SAS:
		NL_SET_ERR_MSG(extack,
			       "the device holds as many SAs as its limit allows (KESP_LIMIT_A_SAS)");
		break;
	case KESP_LIMIT_TRAPS:
		NL_SET_ERR_MSG(extack,
			       "the device holds as many traps as its limit allows (KESP_LIMIT_A_TRAPS)");
		break;
	default:
		NL_SET_ERR_MSG(extack,
			       "the device holds as many unused SPI reservations as its limit allows (KESP_LIMIT_A_SPI_RESERVATIONS); they expire after the module parameter spi_reserve_seconds (60 by default)");
		break;
	}
	return false;
}

static int kesp_dev_init(struct net_device *dev)
{
	struct kesp_device *kd = netdev_priv(dev);

	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!dev->tstats)
		return -ENOMEM;
	kd->seltab = kesp_seltab_alloc();
	if (!kd->seltab)
		goto err_stats;
	memcpy(kd->limits, kesp_default_limits, sizeof(kd->limits));
	kesp_seltab_set_limit(kd->seltab,
			      kd->limits[KESP_LIMIT_SEL_PREFIXES]);
	if (kesp_sad_device_init(kd))
		goto err_seltab;
	if (gro_cells_init(&kd->gro_cells, dev))
		goto err_sad;
	return 0;

err_sad:
	kesp_sad_device_free(kd);
err_seltab:
	kesp_seltab_free(kd->seltab);
	kd->seltab = NULL;
err_stats:
	free_percpu(dev->tstats);
	dev->tstats = NULL;
	return -ENOMEM;
}

/*
 * Runs when the last reference is gone: packets still in async crypto
 * hold the device through their SA, and use its statistics and selector
 * table until then.
 */
static void kesp_dev_free(struct net_device *dev)
{
	struct kesp_device *kd = netdev_priv(dev);

	gro_cells_destroy(&kd->gro_cells);
	kesp_sad_device_free(kd);
	kesp_seltab_free(kd->seltab);
	free_percpu(dev->tstats);
}

/*
 * Runs under RTNL for every way a device goes away: ip link del, module
 * unload, its own namespace or its underlay namespace dying.
 */
static void kesp_dev_uninit(struct net_device *dev)
{
	struct kesp_device *kd = netdev_priv(dev);

	ASSERT_RTNL();
	kesp_sad_device_flush(kd);
	/* After the flush marked the device dead: no new attachments. */
	kesp_encap_detach(kd, 0);
	/*
	 * The ICMP error path walks this list under RCU; the device (and
	 * its outbound SA table) is freed only after the grace period that
	 * unregistering waits for once every device's uninit has run.
	 */
	list_del_rcu(&kd->underlay_node);
}

/* A packet routed into the device leaves with its best outbound SA. */
static void kesp_xmit_one(struct sk_buff *skb, struct net_device *dev)
{
	struct kesp_device *kd = netdev_priv(dev);
	struct kesp_flow flow;
	bool reassembled;
	struct kesp_sa *sa;

	skb_reset_network_header(skb);
	skb = kesp_flow_whole_datagram(skb, &reassembled);
	if (!skb)
		return;
	/* ESP covers the checksum: it must be final before encryption. */
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb)) {
		DEV_STATS_INC(dev, tx_errors);
		goto drop;
	}
	if (!kesp_flow_from_skb(skb, &flow)) {
		DEV_STATS_INC(dev, tx_errors);
		goto drop;
	}
	/* Transmit runs with BH off, so the CPU stays this one throughout. */
	flow.cpu = smp_processor_id();
	sa = kesp_sa_select_out(kd, &flow);
	if (!sa) {
		dev_core_stats_tx_dropped_inc(dev);
		goto drop;
	}
	kesp_esp_output(sa, skb, reassembled);
	return;

drop:
	kfree_skb(skb);
}

/*
 * The device takes GSO packets (KESP_DEV_FEATURES), so TCP through it is
 * built and routed in large packets; they are cut into packets of the
 * device's MTU only here, once, and each is encrypted on its own (every
 * ESP packet needs its own sequence number and IV). The segments are
 * linear, their payload copied and checksummed in one pass (as XFRM and
 * WireGuard cut theirs): cheaper than keeping the sender's pages, which
 * would need a checksum pass of their own and a new page to encrypt into,
 * cleared first where init_on_alloc is on (Debian's kernels).
 */
static netdev_tx_t kesp_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct sk_buff *segs, *next;

	if (!skb_is_gso(skb)) {
		kesp_xmit_one(skb, dev);
		return NETDEV_TX_OK;
	}
	segs = skb_gso_segment(skb, 0);
	if (IS_ERR_OR_NULL(segs)) {
		DEV_STATS_INC(dev, tx_errors);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, skb, next) {
		skb_mark_not_on_list(skb);
		kesp_xmit_one(skb, dev);
	}
	return NETDEV_TX_OK;
}

static const struct net_device_ops kesp_netdev_ops = {
	.ndo_init = kesp_dev_init,
	.ndo_uninit = kesp_dev_uninit,
	.ndo_start_xmit = kesp_xmit,
	.ndo_get_stats64 = dev_get_tstats64,
};

static void kesp_setup(struct net_device *dev)
{
	struct kesp_device *kd = netdev_priv(dev);

	dev->netdev_ops = &kesp_netdev_ops;
	dev->type = ARPHRD_NONE;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	/* The inner route must reach xmit: path MTU updates go to it. */
	netif_keep_dst(dev);
	dev->needs_free_netdev = true;
	dev->priv_destructor = kesp_dev_free;
	compat_set_lltx(dev);
	/*
	 * GSO as WireGuard and xfrmi take it: large TCP and UDP packets are
	 * segmented in kesp_xmit, and checksums are finished there, so local
	 * senders neither segment nor checksum for the device.
	 */
	dev->features |= KESP_DEV_FEATURES;
	dev->hw_features |= KESP_DEV_FEATURES;
	/*
	 * Room for the outer headers, so local senders allocate it and ESP
	 * need not reallocate every packet: the largest outer IP and UDP
	 * header, the ESP header widened by ESN while the crypto runs, the
	 * IV, and an Ethernet header on the underlay (a bigger one is still
	 * made room for, by a copy). At the tail: padding, trailer, ICV.
	 */
	dev->needed_headroom = KESP_MAX_HEAD + ETH_HLEN;
	dev->needed_tailroom = KESP_MAX_TAIL;
	dev->mtu = KESP_DEFAULT_MTU;
	dev->min_mtu = IPV6_MIN_MTU;
	dev->max_mtu = IP_MAX_MTU - KESP_MAX_OVERHEAD;

	kd->dev = dev;
	INIT_LIST_HEAD(&kd->underlay_node);
}

static int kesp_newlink(struct net *src_net, struct net_device *dev,
			struct nlattr *tb[], struct nlattr *data[],
			struct netlink_ext_ack *extack)
{
	struct kesp_device *kd = netdev_priv(dev);
	int ret;

	kd->underlay_net = src_net;
	ret = register_netdevice(dev);
	if (ret)
		return ret;
	list_add_rcu(&kd->underlay_node, &kesp_net(src_net)->underlay_devices);
	return 0;
}

struct rtnl_link_ops kesp_link_ops __read_mostly = {
	.kind = "kesp",
	.priv_size = sizeof(struct kesp_device),
	.setup = kesp_setup,
	.newlink = kesp_newlink,
};

static int __net_init kesp_net_init(struct net *net)
{
	INIT_LIST_HEAD(&kesp_net(net)->underlay_devices);
	return kesp_sad_net_init(kesp_net(net));
}

static void __net_exit kesp_net_exit(struct net *net)
{
	kesp_sad_net_exit(kesp_net(net));
}

/*
 * A namespace is going away: devices whose outer packets it carried go too,
 * even those that were moved into another namespace. Runs before the
 * namespace is torn down and before the RCU grace period that precedes its
 * exit, so readers that found such a device under RCU still see a live
 * underlay.
 */
static void __net_exit kesp_net_pre_exit(struct net *net)
{
	struct kesp_net *kn = kesp_net(net);
	struct kesp_device *kd, *tmp;
	LIST_HEAD(dead);

	rtnl_lock();
	list_for_each_entry_safe(kd, tmp, &kn->underlay_devices, underlay_node)
		unregister_netdevice_queue(kd->dev, &dead);
	unregister_netdevice_many(&dead);
	rtnl_unlock();
}

static struct pernet_operations kesp_net_ops = {
	.init = kesp_net_init,
	.pre_exit = kesp_net_pre_exit,
	.exit = kesp_net_exit,
	.id = &kesp_net_id,
	.size = sizeof(struct kesp_net),
};

int kesp_device_init(void)
{
	int ret;

	ret = register_pernet_device(&kesp_net_ops);
	if (ret)
		return ret;
	ret = rtnl_link_register(&kesp_link_ops);
	if (ret)
		unregister_pernet_device(&kesp_net_ops);
	return ret;
}

void kesp_device_uninit(void)
{
	rtnl_link_unregister(&kesp_link_ops);
	unregister_pernet_device(&kesp_net_ops);
}
