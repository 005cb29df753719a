// SPDX-License-Identifier: GPL-2.0
/*
 * KESP_CMD_DEV_GET, DEV_SET, ENCAP_ATTACH and ENCAP_DETACH: a device, its
 * fwmark, limits and counters, and the UDP sockets attached to it.
 */
#include <linux/kesp.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "device.h"
#include "encap.h"
#include "netlink.h"
#include "sad.h"
#include "selector.h"

static const struct nla_policy limit_policy[KESP_LIMIT_A_MAX + 1] = {
	[KESP_LIMIT_A_SAS] = { .type = NLA_U32 },
	[KESP_LIMIT_A_TRAPS] = { .type = NLA_U32 },
	[KESP_LIMIT_A_SEL_PREFIXES] = { .type = NLA_U32 },
	[KESP_LIMIT_A_SPI_RESERVATIONS] = { .type = NLA_U32 },
};

const struct nla_policy kesp_nl_dev_policy[KESP_DEV_A_MAX + 1] = {
	[KESP_DEV_A_IFINDEX] = { .type = NLA_U32 },
	[KESP_DEV_A_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[KESP_DEV_A_MTU] = { .type = NLA_REJECT },
	[KESP_DEV_A_UNDERLAY_NETNSID] = { .type = NLA_REJECT },
	[KESP_DEV_A_FWMARK] = { .type = NLA_U32 },
	[KESP_DEV_A_ENCAP_FD] = { .type = NLA_U32 },
	[KESP_DEV_A_ENCAP_FAMILY] = { .type = NLA_U16 },
	[KESP_DEV_A_ENCAP_PORT4] = { .type = NLA_REJECT },
	[KESP_DEV_A_ENCAP_PORT6] = { .type = NLA_REJECT },
	[KESP_DEV_A_COUNTERS] = { .type = NLA_REJECT },
	[KESP_DEV_A_LIMITS] = NLA_POLICY_NESTED(limit_policy),
	[KESP_DEV_A_USAGE] = { .type = NLA_REJECT },
};

static int put_dev_counters(struct sk_buff *skb, struct kesp_device *kd)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, KESP_DEV_A_COUNTERS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < KESP_DEV_CNT_COUNT; i++)
		if (nla_put_u64_64bit(skb, KESP_DEV_CNT_A_EXPIRES_SOFT + i,
				      atomic64_read(&kd->counters[i]),
				      KESP_DEV_CNT_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* LIMITS and USAGE: what the device may hold, and holds. */
static int put_limits(struct sk_buff *skb, struct kesp_device *kd)
{
	struct nlattr *limits, *usage;
	int i;

	BUILD_BUG_ON(KESP_LIMIT_COUNT != KESP_LIMIT_A_MAX);
	limits = nla_nest_start(skb, KESP_DEV_A_LIMITS);
	if (!limits)
		return -EMSGSIZE;
	for (i = 0; i < KESP_LIMIT_COUNT; i++)
		if (nla_put_u32(skb, KESP_LIMIT_A_SAS + i,
				READ_ONCE(kd->limits[i])))
			return -EMSGSIZE;
	nla_nest_end(skb, limits);
	usage = nla_nest_start(skb, KESP_DEV_A_USAGE);
	if (!usage)
		return -EMSGSIZE;
	for (i = 0; i < KESP_LIMIT_COUNT; i++)
		if (nla_put_u32(skb, KESP_LIMIT_A_SAS + i,
				kesp_dev_usage(kd, i)))
			return -EMSGSIZE;
	nla_nest_end(skb, usage);
	return 0;
}

static int put_encap_ports(struct sk_buff *skb, struct kesp_device *kd)
{
	u16 port4 = kesp_encap_port(kd, AF_INET);
	u16 port6 = kesp_encap_port(kd, AF_INET6);

	if ((port4 && nla_put_u16(skb, KESP_DEV_A_ENCAP_PORT4, port4)) ||
	    (port6 && nla_put_u16(skb, KESP_DEV_A_ENCAP_PORT6, port6)))
		return -EMSGSIZE;
	return 0;
}

static int fill_dev(struct sk_buff *skb, struct net *net,
		    struct net_device *dev, u32 portid, u32 seq, int flags)
{
	struct kesp_device *kd = netdev_priv(dev);
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &kesp_nl_family, flags,
			  KESP_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, KESP_DEV_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(skb, KESP_DEV_A_IFNAME, dev->name) ||
	    nla_put_u32(skb, KESP_DEV_A_MTU, READ_ONCE(dev->mtu)) ||
	    nla_put_u32(skb, KESP_DEV_A_FWMARK, READ_ONCE(kd->fwmark)) ||
	    put_encap_ports(skb, kd) || put_dev_counters(skb, kd) ||
	    put_limits(skb, kd))
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

/* Replies to a device request with the device as it is now. */
static int reply_dev(struct genl_info *info, struct net_device *dev)
{
	struct sk_buff *msg;
	int ret;

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = fill_dev(msg, genl_info_net(info), dev, info->snd_portid,
		       info->snd_seq, 0);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

int kesp_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net_device *dev;
	int ret;

	dev = kesp_nl_lookup_dev(genl_info_net(info), info->attrs[KESP_DEV_A_IFINDEX],
				 info->attrs[KESP_DEV_A_IFNAME], info->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	ret = reply_dev(info, dev);
	dev_put(dev);
	return ret;
}

/*
 * KESP_DEV_A_LIMITS of a DEV_SET request into LIMITS (starting from the
 * device's own). A limit above its default is for the host's
 * administrator: memory is charged to the caller either way, but a
 * namespace's root may not lift what bounds one flush or one device.
 */
static int parse_limits(struct sk_buff *skb, struct nlattr *nest,
			struct kesp_device *kd, u32 *limits,
			struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KESP_LIMIT_A_MAX + 1];
	int i, ret;

	memcpy(limits, kd->limits, sizeof(kd->limits));
	if (!nest)
		return 0;
	ret = nla_parse_nested(tb, KESP_LIMIT_A_MAX, nest, limit_policy,
			       extack);
	if (ret)
		return ret;
	for (i = 0; i < KESP_LIMIT_COUNT; i++) {
		struct nlattr *a = tb[KESP_LIMIT_A_SAS + i];

		if (!a)
			continue;
		limits[i] = nla_get_u32(a);
		if (limits[i] > kesp_default_limits[i] &&
		    !netlink_capable(skb, CAP_NET_ADMIN)) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "raising a limit above its default needs CAP_NET_ADMIN in the initial user namespace");
			return -EPERM;
		}
	}
	return 0;
}

int kesp_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	u32 limits[KESP_LIMIT_COUNT];
	struct kesp_device *kd;
	struct net_device *dev;
	int i, ret;

	if (!attrs[KESP_DEV_A_FWMARK] && !attrs[KESP_DEV_A_LIMITS]) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to change: give a fwmark or limits");
		return -EINVAL;
	}
	dev = kesp_nl_lookup_dev(genl_info_net(info), attrs[KESP_DEV_A_IFINDEX],
				 attrs[KESP_DEV_A_IFNAME], info->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	kd = netdev_priv(dev);
	mutex_lock(&kesp_underlay(kd)->sad_lock);
	ret = parse_limits(skb, attrs[KESP_DEV_A_LIMITS], kd, limits,
			   info->extack);
	if (!ret) {
		for (i = 0; i < KESP_LIMIT_COUNT; i++)
			kesp_dev_set_limit(kd, i, limits[i]);
		if (attrs[KESP_DEV_A_FWMARK]) {
			WRITE_ONCE(kd->fwmark,
				   nla_get_u32(attrs[KESP_DEV_A_FWMARK]));
			kesp_sad_device_reroute(kd);
		}
	}
	mutex_unlock(&kesp_underlay(kd)->sad_lock);
	if (!ret)
		ret = reply_dev(info, dev);
	dev_put(dev);
	return ret;
}

int kesp_nl_encap_attach_doit(struct sk_buff *skb,
			      struct genl_info *info)
{
	struct net_device *dev;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KESP_DEV_A_ENCAP_FD)) {
		NL_SET_ERR_MSG(info->extack,
			       "the UDP socket's file descriptor is required");
		return -EINVAL;
	}
	dev = kesp_nl_lookup_dev(genl_info_net(info), info->attrs[KESP_DEV_A_IFINDEX],
				 info->attrs[KESP_DEV_A_IFNAME], info->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	ret = kesp_encap_attach(netdev_priv(dev),
				nla_get_u32(info->attrs[KESP_DEV_A_ENCAP_FD]),
				info->extack);
	if (!ret)
		ret = reply_dev(info, dev);
	dev_put(dev);
	return ret;
}

int kesp_nl_encap_detach_doit(struct sk_buff *skb,
			      struct genl_info *info)
{
	struct nlattr *fam = info->attrs[KESP_DEV_A_ENCAP_FAMILY];
	struct net_device *dev;
	int family = 0, ret;

	if (fam) {
		family = nla_get_u16(fam);
		if (family != AF_INET && family != AF_INET6) {
			NL_SET_ERR_MSG_ATTR(info->extack, fam,
					    "the family is AF_INET or AF_INET6");
			return -EINVAL;
		}
	}
	dev = kesp_nl_lookup_dev(genl_info_net(info), info->attrs[KESP_DEV_A_IFINDEX],
				 info->attrs[KESP_DEV_A_IFNAME], info->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	kesp_encap_detach(netdev_priv(dev), family);
	ret = reply_dev(info, dev);
	dev_put(dev);
	return ret;
}

/*
 * cb->args[0]: the ifindex of the last device sent. Devices are visited in
 * ifindex order, not list order, so resuming after it skips none.
 */
int kesp_nl_dev_get_dumpit(struct sk_buff *skb,
			   struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct net_device *dev;
	int ret = 0;

	while ((dev = kesp_nl_next_dev(net, cb->args[0] + 1))) {
		ret = fill_dev(skb, net, dev, NETLINK_CB(cb->skb).portid,
			       cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (!ret)
			cb->args[0] = dev->ifindex;
		dev_put(dev);
		if (ret)
			break;
	}
	/* A full message means "call again"; anything sent so far stands. */
	return ret == -EMSGSIZE ? skb->len : ret ?: skb->len;
}
