// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "kesp": its operations and multicast group,
 * and what every handler shares (finding the device a request names,
 * walking the devices of a dump). The handlers live with their objects:
 * nl_dev.c, nl_sa.c, nl_trap.c; events in nl_event.c; attribute sets
 * several of them parse in nl_attrs.c.
 */
#include <linux/kesp.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "device.h"
#include "netlink.h"

/*
 * The kesp device named by the request, with a reference, or an ERR_PTR
 * with the reason in extack.
 */
struct net_device *kesp_nl_lookup_dev(struct net *net, struct nlattr *index,
				      struct nlattr *name,
				      struct netlink_ext_ack *extack)
{
	struct net_device *dev;

	if (!index == !name) {
		NL_SET_ERR_MSG(extack,
			       "give exactly one of the device's ifindex or name");
		return ERR_PTR(-EINVAL);
	}
	if (index)
		dev = dev_get_by_index(net, nla_get_u32(index));
	else
		dev = dev_get_by_name(net, nla_data(name));
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, index ?: name,
				    "no such device in this network namespace");
		return ERR_PTR(-ENODEV);
	}
	if (!kesp_is_device(dev)) {
		dev_put(dev);
		NL_SET_ERR_MSG_ATTR(extack, index ?: name,
				    "device is not a kesp device");
		return ERR_PTR(-EOPNOTSUPP);
	}
	return dev;
}

/* The kesp device whose ifindex is attribute TYPE, held. */
struct net_device *kesp_nl_ifindex_dev(struct genl_info *info, int type)
{
	if (GENL_REQ_ATTR_CHECK(info, type)) {
		NL_SET_ERR_MSG(info->extack, "the device (ifindex) is required");
		return ERR_PTR(-EINVAL);
	}
	return kesp_nl_lookup_dev(genl_info_net(info), info->attrs[type], NULL,
				  info->extack);
}

/* The kesp device of NET with the smallest ifindex >= FROM, held. */
struct net_device *kesp_nl_next_dev(struct net *net, int from)
{
	struct net_device *dev, *best = NULL;

	rcu_read_lock();
	for_each_netdev_rcu(net, dev)
		if (kesp_is_device(dev) && dev->ifindex >= from &&
		    (!best || dev->ifindex < best->ifindex))
			best = dev;
	if (best)
		dev_hold(best);
	rcu_read_unlock();
	return best;
}

/*
 * Walks the kesp devices of the dump's namespace in ifindex order from
 * cb->args[1], calling DUMP_DEV for each under its underlay's sad_lock.
 * cb->args[2] is where DUMP_DEV resumes inside a device (it sets it when
 * the message is full), cb->args[3] an ifindex the dump is limited to.
 */
int kesp_nl_dump_each_dev(struct sk_buff *skb, struct netlink_callback *cb,
			  int (*dump_dev)(struct sk_buff *skb,
			  struct netlink_callback *cb,
			  struct kesp_device *kd))
{
	struct net *net = sock_net(skb->sk);
	struct net_device *dev;
	int ret = 0;

	while ((dev = kesp_nl_next_dev(net, cb->args[1]))) {
		struct kesp_device *kd = netdev_priv(dev);

		if (cb->args[3] && dev->ifindex != cb->args[3]) {
			dev_put(dev);
			break;
		}
		if (dev->ifindex != cb->args[1]) {
			cb->args[1] = dev->ifindex;
			cb->args[2] = 0;
		}
		mutex_lock(&kesp_underlay(kd)->sad_lock);
		ret = dump_dev(skb, cb, kd);
		mutex_unlock(&kesp_underlay(kd)->sad_lock);
		dev_put(dev);
		if (ret)
			break;
		cb->args[1]++;
		cb->args[2] = 0;
	}
	return ret == -EMSGSIZE ? skb->len : ret ?: skb->len;
}

static const struct genl_ops kesp_ops[] = {
	{
		.cmd = KESP_CMD_DEV_GET,
		.doit = kesp_nl_dev_get_doit,
		.dumpit = kesp_nl_dev_get_dumpit,
		.policy = kesp_nl_dev_policy,
		.maxattr = KESP_DEV_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_DEV_SET,
		.doit = kesp_nl_dev_set_doit,
		.policy = kesp_nl_dev_policy,
		.maxattr = KESP_DEV_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_ENCAP_ATTACH,
		.doit = kesp_nl_encap_attach_doit,
		.policy = kesp_nl_dev_policy,
		.maxattr = KESP_DEV_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_ENCAP_DETACH,
		.doit = kesp_nl_encap_detach_doit,
		.policy = kesp_nl_dev_policy,
		.maxattr = KESP_DEV_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_TRAP_ADD,
		.doit = kesp_nl_trap_add_doit,
		.policy = kesp_nl_trap_policy,
		.maxattr = KESP_TRAP_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_TRAP_DEL,
		.doit = kesp_nl_trap_del_doit,
		.policy = kesp_nl_trap_policy,
		.maxattr = KESP_TRAP_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_TRAP_GET,
		.doit = kesp_nl_trap_get_doit,
		.dumpit = kesp_nl_trap_get_dumpit,
		.policy = kesp_nl_trap_policy,
		.maxattr = KESP_TRAP_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_SPI_ALLOC,
		.doit = kesp_nl_spi_alloc_doit,
		.policy = kesp_nl_sa_policy,
		.maxattr = KESP_SA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_SA_NEW,
		.doit = kesp_nl_sa_new_doit,
		.policy = kesp_nl_sa_policy,
		.maxattr = KESP_SA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_SA_UPDATE,
		.doit = kesp_nl_sa_update_doit,
		.policy = kesp_nl_sa_policy,
		.maxattr = KESP_SA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_SA_DEL,
		.doit = kesp_nl_sa_del_doit,
		.policy = kesp_nl_sa_policy,
		.maxattr = KESP_SA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_SA_GET,
		.doit = kesp_nl_sa_get_doit,
		.start = kesp_nl_sa_get_start,
		.dumpit = kesp_nl_sa_get_dumpit,
		.policy = kesp_nl_sa_policy,
		.maxattr = KESP_SA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_SA_FLUSH,
		.doit = kesp_nl_sa_flush_doit,
		.policy = kesp_nl_sa_policy,
		.maxattr = KESP_SA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group kesp_mcgrps[] = {
	/* Events describe SAs: only CAP_NET_ADMIN in the namespace may listen. */
	{ .name = KESP_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

struct genl_family kesp_nl_family __ro_after_init = {
	.name = KESP_GENL_NAME,
	.version = KESP_GENL_VERSION,
	.netnsok = true,
	/*
	 * No global genl mutex: handlers serialise on their underlay
	 * namespace's sad_lock (and encap.c's mutex), so a slow request
	 * (a crypto transform loading its module) holds up nothing else.
	 */
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = kesp_ops,
	.n_ops = ARRAY_SIZE(kesp_ops),
	.resv_start_op = __KESP_CMD_LAST,
	.mcgrps = kesp_mcgrps,
	.n_mcgrps = ARRAY_SIZE(kesp_mcgrps),
};

int __init kesp_netlink_init(void)
{
	return genl_register_family(&kesp_nl_family);
}

void kesp_netlink_uninit(void)
{
	genl_unregister_family(&kesp_nl_family);
}
