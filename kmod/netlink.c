// SPDX-License-Identifier: GPL-2.0
/* The generic netlink family "kesp": policies first, handlers, then ops. */
#include <linux/kesp.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "kesp.h"

static const struct nla_policy dev_policy[KESP_DEV_A_MAX + 1] = {
	[KESP_DEV_A_IFINDEX] = { .type = NLA_U32 },
	[KESP_DEV_A_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[KESP_DEV_A_MTU] = { .type = NLA_REJECT },
	[KESP_DEV_A_UNDERLAY_NETNSID] = { .type = NLA_REJECT },
};

static struct genl_family kesp_family;

static int fill_dev(struct sk_buff *skb, struct net *net,
		    struct net_device *dev, u32 portid, u32 seq, int flags)
{
	struct kesp_device *kd = netdev_priv(dev);
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &kesp_family, flags,
			  KESP_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, KESP_DEV_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(skb, KESP_DEV_A_IFNAME, dev->name) ||
	    nla_put_u32(skb, KESP_DEV_A_MTU, READ_ONCE(dev->mtu)))
		goto cancel;
	if (!net_eq(kd->underlay_net, net) &&
	    nla_put_s32(skb, KESP_DEV_A_UNDERLAY_NETNSID,
			peernet2id_alloc(net, kd->underlay_net, GFP_ATOMIC)))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * The kesp device named by the request, with a reference, or an ERR_PTR
 * with the reason in extack.
 */
static struct net_device *lookup_dev(struct net *net, struct nlattr **attrs,
				     struct netlink_ext_ack *extack)
{
	struct nlattr *index = attrs[KESP_DEV_A_IFINDEX];
	struct nlattr *name = attrs[KESP_DEV_A_IFNAME];
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

static int kesp_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct net_device *dev;
	struct sk_buff *msg;
	int ret;

	dev = lookup_dev(net, info->attrs, info->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto out;
	}
	ret = fill_dev(msg, net, dev, info->snd_portid, info->snd_seq, 0);
	if (ret) {
		nlmsg_free(msg);
		goto out;
	}
	ret = genlmsg_reply(msg, info);
out:
	dev_put(dev);
	return ret;
}

/* cb->args[0]: the ifindex of the last device sent, to resume after it. */
static int kesp_nl_dev_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct net_device *dev;
	int ret = 0;

	rcu_read_lock();
	for_each_netdev_rcu(net, dev) {
		if (!kesp_is_device(dev) || dev->ifindex <= cb->args[0])
			continue;
		ret = fill_dev(skb, net, dev, NETLINK_CB(cb->skb).portid,
			       cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (ret)
			break;
		cb->args[0] = dev->ifindex;
	}
	rcu_read_unlock();
	/* A full message means "call again"; anything sent so far stands. */
	return ret == -EMSGSIZE ? skb->len : ret ?: skb->len;
}

static const struct genl_ops kesp_ops[] = {
	{
		.cmd = KESP_CMD_DEV_GET,
		.doit = kesp_nl_dev_get_doit,
		.dumpit = kesp_nl_dev_get_dumpit,
		.policy = dev_policy,
		.maxattr = KESP_DEV_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group kesp_mcgrps[] = {
	{ .name = KESP_MCGRP_EVENTS, .flags = GENL_UNS_ADMIN_PERM },
};

static struct genl_family kesp_family __ro_after_init = {
	.name = KESP_GENL_NAME,
	.version = KESP_GENL_VERSION,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = kesp_ops,
	.n_ops = ARRAY_SIZE(kesp_ops),
	.resv_start_op = KESP_CMD_DEV_GET + 1,
	.mcgrps = kesp_mcgrps,
	.n_mcgrps = ARRAY_SIZE(kesp_mcgrps),
};

int __init kesp_netlink_init(void)
{
	return genl_register_family(&kesp_family);
}

void kesp_netlink_uninit(void)
{
	genl_unregister_family(&kesp_family);
}
