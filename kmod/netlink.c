// SPDX-License-Identifier: GPL-2.0
/* The generic netlink family "kesp": policies first, handlers, then ops. */
#include <linux/kesp.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "kesp.h"

static const struct nla_policy limit_policy[KESP_LIMIT_A_MAX + 1] = {
	[KESP_LIMIT_A_SAS] = { .type = NLA_U32 },
	[KESP_LIMIT_A_TRAPS] = { .type = NLA_U32 },
	[KESP_LIMIT_A_SEL_PREFIXES] = { .type = NLA_U32 },
	[KESP_LIMIT_A_SPI_RESERVATIONS] = { .type = NLA_U32 },
};

static const struct nla_policy dev_policy[KESP_DEV_A_MAX + 1] = {
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

static const struct nla_policy encap_policy[KESP_ENCAP_A_MAX + 1] = {
	[KESP_ENCAP_A_TYPE] = NLA_POLICY_RANGE(NLA_U8, KESP_ENCAP_ESPINUDP,
					       KESP_ENCAP_ESPINUDP),
	[KESP_ENCAP_A_SPORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[KESP_ENCAP_A_DPORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

static const struct nla_policy alg_policy[KESP_ALG_A_MAX + 1] = {
	[KESP_ALG_A_NAME] = { .type = NLA_NUL_STRING,
			      .len = CRYPTO_MAX_ALG_NAME - 1 },
	[KESP_ALG_A_KEY] = { .type = NLA_BINARY, .len = KESP_KEY_MAX },
	[KESP_ALG_A_ICV_BITS] = { .type = NLA_U32 },
};

static const struct nla_policy lft_policy[KESP_LFT_A_MAX + 1] = {
	[KESP_LFT_A_SOFT_BYTES] = { .type = NLA_U64 },
	[KESP_LFT_A_HARD_BYTES] = { .type = NLA_U64 },
	[KESP_LFT_A_SOFT_PACKETS] = { .type = NLA_U64 },
	[KESP_LFT_A_HARD_PACKETS] = { .type = NLA_U64 },
	[KESP_LFT_A_SOFT_SECONDS] = { .type = NLA_U64 },
	[KESP_LFT_A_HARD_SECONDS] = { .type = NLA_U64 },
};

static const struct nla_policy sel_policy[KESP_SEL_A_MAX + 1] = {
	[KESP_SEL_A_FAMILY] = { .type = NLA_U16 },
	[KESP_SEL_A_SRC_START] = { .type = NLA_BINARY, .len = 16 },
	[KESP_SEL_A_SRC_END] = { .type = NLA_BINARY, .len = 16 },
	[KESP_SEL_A_DST_START] = { .type = NLA_BINARY, .len = 16 },
	[KESP_SEL_A_DST_END] = { .type = NLA_BINARY, .len = 16 },
	[KESP_SEL_A_PROTO] = { .type = NLA_U8 },
	[KESP_SEL_A_SPORT_START] = { .type = NLA_U16 },
	[KESP_SEL_A_SPORT_END] = { .type = NLA_U16 },
	[KESP_SEL_A_DPORT_START] = { .type = NLA_U16 },
	[KESP_SEL_A_DPORT_END] = { .type = NLA_U16 },
};

static const struct nla_policy sa_policy[KESP_SA_A_MAX + 1] = {
	[KESP_SA_A_IFINDEX] = { .type = NLA_U32 },
	[KESP_SA_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KESP_SA_A_DIR] = NLA_POLICY_RANGE(NLA_U8, KESP_DIR_IN, KESP_DIR_OUT),
	[KESP_SA_A_SPI] = NLA_POLICY_MIN(NLA_U32, 1),
	[KESP_SA_A_MODE] = NLA_POLICY_RANGE(NLA_U8, KESP_MODE_TUNNEL,
					    KESP_MODE_TRANSPORT),
	[KESP_SA_A_REQID] = { .type = NLA_U32 },
	[KESP_SA_A_SRC] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) },
	[KESP_SA_A_DST] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) },
	[KESP_SA_A_AEAD] = NLA_POLICY_NESTED(alg_policy),
	[KESP_SA_A_ENC] = NLA_POLICY_NESTED(alg_policy),
	[KESP_SA_A_AUTH] = NLA_POLICY_NESTED(alg_policy),
	[KESP_SA_A_REPLAY_WINDOW] = NLA_POLICY_MAX(NLA_U32,
						   KESP_REPLAY_WINDOW_MAX),
	[KESP_SA_A_FLAGS] = { .type = NLA_U32 },
	[KESP_SA_A_SEQ] = { .type = NLA_U64 },
	[KESP_SA_A_PRIORITY] = { .type = NLA_U32 },
	[KESP_SA_A_SELECTORS] = { .type = NLA_NESTED },
	[KESP_SA_A_LIFETIME] = NLA_POLICY_NESTED(lft_policy),
	[KESP_SA_A_ADD_TIME] = { .type = NLA_REJECT },
	[KESP_SA_A_COUNTERS] = { .type = NLA_REJECT },
	[KESP_SA_A_SPI_MIN] = NLA_POLICY_MIN(NLA_U32, 1),
	[KESP_SA_A_SPI_MAX] = NLA_POLICY_MIN(NLA_U32, 1),
	[KESP_SA_A_EXPIRE_HARD] = { .type = NLA_REJECT },
	[KESP_SA_A_EXPIRE_REASON] = { .type = NLA_REJECT },
	[KESP_SA_A_ENCAP] = NLA_POLICY_NESTED(encap_policy),
	[KESP_SA_A_MAPPING_SRC] = { .type = NLA_REJECT },
	[KESP_SA_A_MAPPING_SPORT] = { .type = NLA_REJECT },
};

static const struct nla_policy trap_policy[KESP_TRAP_A_MAX + 1] = {
	[KESP_TRAP_A_IFINDEX] = { .type = NLA_U32 },
	[KESP_TRAP_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KESP_TRAP_A_REQID] = { .type = NLA_U32 },
	[KESP_TRAP_A_PRIORITY] = { .type = NLA_U32 },
	[KESP_TRAP_A_SELECTOR] = NLA_POLICY_NESTED(sel_policy),
	[KESP_TRAP_A_HITS] = { .type = NLA_REJECT },
	[KESP_TRAP_A_ACQUIRES] = { .type = NLA_REJECT },
	[KESP_TRAP_A_PACKET] = { .type = NLA_REJECT },
};

static struct genl_family kesp_family;

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

	hdr = genlmsg_put(skb, portid, seq, &kesp_family, flags,
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

/*
 * The kesp device named by the request, with a reference, or an ERR_PTR
 * with the reason in extack.
 */
static struct net_device *lookup_dev(struct net *net, struct nlattr *index,
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

static int kesp_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net_device *dev;
	int ret;

	dev = lookup_dev(genl_info_net(info), info->attrs[KESP_DEV_A_IFINDEX],
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

static int kesp_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
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
	dev = lookup_dev(genl_info_net(info), attrs[KESP_DEV_A_IFINDEX],
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
		if (attrs[KESP_DEV_A_FWMARK])
			WRITE_ONCE(kd->fwmark,
				   nla_get_u32(attrs[KESP_DEV_A_FWMARK]));
	}
	mutex_unlock(&kesp_underlay(kd)->sad_lock);
	if (!ret)
		ret = reply_dev(info, dev);
	dev_put(dev);
	return ret;
}

static int kesp_nl_encap_attach_doit(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct net_device *dev;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KESP_DEV_A_ENCAP_FD)) {
		NL_SET_ERR_MSG(info->extack,
			       "the UDP socket's file descriptor is required");
		return -EINVAL;
	}
	dev = lookup_dev(genl_info_net(info), info->attrs[KESP_DEV_A_IFINDEX],
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

static int kesp_nl_encap_detach_doit(struct sk_buff *skb,
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
	dev = lookup_dev(genl_info_net(info), info->attrs[KESP_DEV_A_IFINDEX],
			 info->attrs[KESP_DEV_A_IFNAME], info->extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	kesp_encap_detach(netdev_priv(dev), family);
	ret = reply_dev(info, dev);
	dev_put(dev);
	return ret;
}

/* The kesp device of NET with the smallest ifindex >= FROM, held. */
static struct net_device *next_kesp_dev(struct net *net, int from)
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
 * cb->args[0]: the ifindex of the last device sent. Devices are visited in
 * ifindex order, not list order, so resuming after it skips none.
 */
static int kesp_nl_dev_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct net_device *dev;
	int ret = 0;

	while ((dev = next_kesp_dev(net, cb->args[0] + 1))) {
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

/* ---- security associations -------------------------------------------- */

static int put_addr(struct sk_buff *skb, int type, const union kesp_addr *a,
		    u8 family)
{
	return nla_put(skb, type, family == AF_INET ? 4 : 16, a);
}

static int put_alg(struct sk_buff *skb, int type, const char *name,
		   u32 icv_bits)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest || nla_put_string(skb, KESP_ALG_A_NAME, name) ||
	    (icv_bits && nla_put_u32(skb, KESP_ALG_A_ICV_BITS, icv_bits)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int put_lifetime(struct sk_buff *skb, const struct kesp_lifetime *l)
{
	const u64 v[] = { l->soft_bytes, l->hard_bytes, l->soft_packets,
			  l->hard_packets, l->soft_seconds, l->hard_seconds };
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, KESP_SA_A_LIFETIME);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(v); i++)
		if (v[i] && nla_put_u64_64bit(skb, KESP_LFT_A_SOFT_BYTES + i,
					      v[i], KESP_LFT_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int put_counters(struct sk_buff *skb, const struct kesp_sa *sa)
{
	struct nlattr *nest;
	u64 packets, bytes;
	int i;

	kesp_sa_read_stats(sa, &packets, &bytes);
	nest = nla_nest_start(skb, KESP_SA_A_COUNTERS);
	if (!nest ||
	    nla_put_u64_64bit(skb, KESP_CNT_A_PACKETS, packets, KESP_CNT_A_PAD) ||
	    nla_put_u64_64bit(skb, KESP_CNT_A_BYTES, bytes, KESP_CNT_A_PAD))
		return -EMSGSIZE;
	for (i = 0; i < KESP_ERR_COUNT; i++)
		if (nla_put_u64_64bit(skb, KESP_CNT_A_REPLAY_ERRORS + i,
				      atomic64_read(&sa->errors[i]),
				      KESP_CNT_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Ports change only under sad_lock, which the caller holds (as put_sa). */
static int put_encap(struct sk_buff *skb, const struct kesp_sa *sa)
{
	struct nlattr *nest;

	if (!sa->encap_type)
		return 0;
	nest = nla_nest_start(skb, KESP_SA_A_ENCAP);
	if (!nest || nla_put_u8(skb, KESP_ENCAP_A_TYPE, sa->encap_type) ||
	    nla_put_u16(skb, KESP_ENCAP_A_SPORT, sa->encap_sport) ||
	    nla_put_u16(skb, KESP_ENCAP_A_DPORT, sa->encap_dport))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* SEL as a nest of TYPE, enum kesp_sel_attr. */
static int put_one_selector(struct sk_buff *skb, int type,
			    const struct kesp_sel *sel)
{
	int alen = sel->family == AF_INET ? 4 : 16;
	struct nlattr *one;

	one = nla_nest_start(skb, type);
	if (!one ||
	    nla_put_u16(skb, KESP_SEL_A_FAMILY, sel->family) ||
	    nla_put(skb, KESP_SEL_A_SRC_START, alen, sel->src_start) ||
	    nla_put(skb, KESP_SEL_A_SRC_END, alen, sel->src_end) ||
	    nla_put(skb, KESP_SEL_A_DST_START, alen, sel->dst_start) ||
	    nla_put(skb, KESP_SEL_A_DST_END, alen, sel->dst_end) ||
	    nla_put_u8(skb, KESP_SEL_A_PROTO, sel->proto) ||
	    nla_put_u16(skb, KESP_SEL_A_SPORT_START, sel->sport_start) ||
	    nla_put_u16(skb, KESP_SEL_A_SPORT_END, sel->sport_end) ||
	    nla_put_u16(skb, KESP_SEL_A_DPORT_START, sel->dport_start) ||
	    nla_put_u16(skb, KESP_SEL_A_DPORT_END, sel->dport_end))
		return -EMSGSIZE;
	nla_nest_end(skb, one);
	return 0;
}

static int put_selectors(struct sk_buff *skb, const struct kesp_sa *sa)
{
	const struct kesp_sel_set *sels;
	struct nlattr *list;
	u32 i;

	sels = rcu_dereference_protected(sa->sels,
		lockdep_is_held(&kesp_underlay(sa->kd)->sad_lock));
	if (!sels)
		return 0;
	list = nla_nest_start(skb, KESP_SA_A_SELECTORS);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < sels->n; i++)
		if (put_one_selector(skb, KESP_SELECTORS_A_SELECTOR,
				     &sels->sel[i]))
			return -EMSGSIZE;
	nla_nest_end(skb, list);
	return 0;
}

/*
 * Room for one fill_sa() message with NSEL selectors and the given
 * algorithm names (NULL: the longest possible), counting every address as
 * IPv6 and every optional attribute as present. Keep it in step with
 * fill_sa(): replies are allocated this size, not a page that netlink
 * would trim again with a copy.
 */
static size_t sa_msg_size(u32 nsel, const char *alg0, const char *alg1)
{
	const char *names[] = { alg0, alg1 };
	size_t size, one_sel;
	int i;

	/* IFINDEX ID SPI REQID REPLAY_WINDOW FLAGS PRIORITY, DIR MODE */
	size = 7 * nla_total_size(sizeof(u32)) + 2 * nla_total_size(sizeof(u8));
	/* SRC DST, SEQ ADD_TIME */
	size += 2 * nla_total_size(16) + 2 * nla_total_size_64bit(sizeof(u64));
	/* ENCAP */
	size += nla_total_size(0) + nla_total_size(sizeof(u8)) +
		2 * nla_total_size(sizeof(u16));
	/* LIFETIME and COUNTERS */
	size += 2 * nla_total_size(0) +
		(6 + 2 + KESP_ERR_COUNT) * nla_total_size_64bit(sizeof(u64));
	/* ENC and AUTH, or AEAD */
	for (i = 0; i < ARRAY_SIZE(names); i++)
		size += nla_total_size(0) + nla_total_size(sizeof(u32)) +
			nla_total_size(names[i] ? strlen(names[i]) + 1 :
				       CRYPTO_MAX_ALG_NAME);
	one_sel = nla_total_size(0) + nla_total_size(sizeof(u16)) +
		  4 * nla_total_size(16) + nla_total_size(sizeof(u8)) +
		  4 * nla_total_size(sizeof(u16));
	if (nsel)
		size += nla_total_size(0) + nsel * one_sel;
	return size;
}

/* Room for SA's message as fill_sa() writes it; under sad_lock. */
static size_t sa_size(const struct kesp_sa *sa)
{
	const struct kesp_sel_set *sels;

	sels = rcu_dereference_protected(sa->sels,
		lockdep_is_held(&kesp_underlay(sa->kd)->sad_lock));
	return sa_msg_size(sels ? sels->n : 0, sa->alg_name[0],
			   sa->alg_name[1]);
}

/* Never puts key material: keys live only inside the crypto transform. */
/* The SA's attributes, as SA_GET replies and events carry them. */
static int put_sa(struct sk_buff *skb, const struct kesp_sa *sa)
{
	struct kesp_sa *mut = (struct kesp_sa *)sa;
	union kesp_addr src, dst;
	u64 sa_seq;

	/* Addresses change only under sad_lock, which the caller holds. */
	src = sa->src;
	dst = sa->dst;
	sa_seq = kesp_sa_seq(mut);

	if (nla_put_u32(skb, KESP_SA_A_IFINDEX, sa->kd->dev->ifindex) ||
	    nla_put_u32(skb, KESP_SA_A_ID, sa->id) ||
	    nla_put_u8(skb, KESP_SA_A_DIR, sa->dir) ||
	    nla_put_u32(skb, KESP_SA_A_SPI, sa->spi) ||
	    nla_put_u8(skb, KESP_SA_A_MODE, sa->mode) ||
	    nla_put_u32(skb, KESP_SA_A_REQID, sa->reqid) ||
	    put_addr(skb, KESP_SA_A_SRC, &src, sa->family) ||
	    put_addr(skb, KESP_SA_A_DST, &dst, sa->family))
		return -EMSGSIZE;
	if (sa->alg_name[1][0]) {
		if (put_alg(skb, KESP_SA_A_ENC, sa->alg_name[0], 0) ||
		    put_alg(skb, KESP_SA_A_AUTH, sa->alg_name[1],
			    sa->icv_len * 8))
			return -EMSGSIZE;
	} else if (put_alg(skb, KESP_SA_A_AEAD, sa->alg_name[0],
			   sa->icv_len * 8)) {
		return -EMSGSIZE;
	}
	if ((sa->dir == KESP_DIR_IN &&
	     nla_put_u32(skb, KESP_SA_A_REPLAY_WINDOW, sa->replay.window)) ||
	    nla_put_u32(skb, KESP_SA_A_FLAGS, sa->flags) ||
	    nla_put_u64_64bit(skb, KESP_SA_A_SEQ, sa_seq, KESP_SA_A_PAD) ||
	    (sa->dir == KESP_DIR_OUT &&
	     nla_put_u32(skb, KESP_SA_A_PRIORITY, sa->priority)) ||
	    put_selectors(skb, sa) ||
	    put_encap(skb, sa) ||
	    put_lifetime(skb, &sa->lft) ||
	    nla_put_u64_64bit(skb, KESP_SA_A_ADD_TIME, sa->add_time,
			      KESP_SA_A_PAD) ||
	    put_counters(skb, sa))
		return -EMSGSIZE;
	return 0;
}

static int fill_sa(struct sk_buff *skb, const struct kesp_sa *sa, u32 portid,
		   u32 seq, int flags)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &kesp_family, flags,
			  KESP_CMD_SA_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (put_sa(skb, sa)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * KESP_CMD_SA_EXPIRE to the events group of the namespace the SA's device
 * is in. Under sad_lock, from process context.
 */
void kesp_nl_notify_expire(struct kesp_sa *sa, bool hard, u8 reason)
{
	struct sk_buff *msg;
	void *hdr;

	/* Sized as a reply: an SA with many selectors is more than a page. */
	msg = genlmsg_new(sa_size(sa) + nla_total_size(0) +
			  nla_total_size(sizeof(u8)), GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &kesp_family, 0, KESP_CMD_SA_EXPIRE);
	if (!hdr || put_sa(msg, sa) ||
	    (hard && nla_put_flag(msg, KESP_SA_A_EXPIRE_HARD)) ||
	    nla_put_u8(msg, KESP_SA_A_EXPIRE_REASON, reason)) {
		/* Sized for it above: not fitting is a bug of ours. */
		WARN_ON_ONCE(1);
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&kesp_family, dev_net(sa->kd->dev), msg, 0,
				0, GFP_KERNEL);
}

/*
 * KESP_CMD_SA_MAPPING: an authenticated packet of SA came from FAMILY ADDR
 * PORT. Under sad_lock, from process context.
 */
void kesp_nl_notify_mapping(struct kesp_sa *sa, u8 family,
			    const union kesp_addr *addr, __be16 port)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(sa_size(sa) + nla_total_size(sizeof(addr->ip6)) +
			  nla_total_size(sizeof(u16)), GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &kesp_family, 0, KESP_CMD_SA_MAPPING);
	if (!hdr || put_sa(msg, sa) ||
	    put_addr(msg, KESP_SA_A_MAPPING_SRC, addr, family) ||
	    nla_put_u16(msg, KESP_SA_A_MAPPING_SPORT, ntohs(port))) {
		/* Sized for it above: not fitting is a bug of ours. */
		WARN_ON_ONCE(1);
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&kesp_family, dev_net(sa->kd->dev), msg, 0,
				0, GFP_KERNEL);
}

/* The kesp device an SA request names; required for every SA command. */
/* The kesp device whose ifindex is attribute TYPE, held. */
static struct net_device *ifindex_dev(struct genl_info *info, int type)
{
	if (GENL_REQ_ATTR_CHECK(info, type)) {
		NL_SET_ERR_MSG(info->extack, "the device (ifindex) is required");
		return ERR_PTR(-EINVAL);
	}
	return lookup_dev(genl_info_net(info), info->attrs[type], NULL,
			  info->extack);
}

static struct net_device *sa_dev(struct genl_info *info)
{
	return ifindex_dev(info, KESP_SA_A_IFINDEX);
}

static int parse_addr(struct nlattr *attr, union kesp_addr *addr, u8 *family,
		      struct netlink_ext_ack *extack)
{
	memset(addr, 0, sizeof(*addr));
	switch (nla_len(attr)) {
	case 4:
		*family = AF_INET;
		break;
	case 16:
		*family = AF_INET6;
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "an address is 4 (IPv4) or 16 (IPv6) bytes");
		return -EINVAL;
	}
	nla_memcpy(addr, attr, sizeof(*addr));
	return 0;
}

/* SRC and DST, both present and of one family. */
static int parse_endpoints(struct nlattr **attrs, union kesp_addr *src,
			   union kesp_addr *dst, u8 *family,
			   struct netlink_ext_ack *extack)
{
	u8 src_family, dst_family;

	if (parse_addr(attrs[KESP_SA_A_SRC], src, &src_family, extack) ||
	    parse_addr(attrs[KESP_SA_A_DST], dst, &dst_family, extack))
		return -EINVAL;
	if (src_family != dst_family) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[KESP_SA_A_DST],
				    "source and destination are of different families");
		return -EINVAL;
	}
	*family = src_family;
	return 0;
}

/* An address range of a selector; absent means the whole family. */
static int parse_sel_range(struct nlattr *start, struct nlattr *end,
			   u16 family, u8 *out_start, u8 *out_end,
			   struct netlink_ext_ack *extack)
{
	int alen = family == AF_INET ? 4 : 16;

	if (!start && !end) {
		memset(out_end, 0xff, alen);
		return 0;
	}
	if (!start || !end) {
		NL_SET_ERR_MSG_ATTR(extack, start ?: end,
				    "an address range needs both its start and its end");
		return -EINVAL;
	}
	if (nla_len(start) != alen || nla_len(end) != alen) {
		NL_SET_ERR_MSG_ATTR(extack, nla_len(start) != alen ? start : end,
				    "selector address length does not match its family");
		return -EINVAL;
	}
	memcpy(out_start, nla_data(start), alen);
	memcpy(out_end, nla_data(end), alen);
	return 0;
}

static int parse_one_selector(struct nlattr *nest, struct kesp_sel *sel,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KESP_SEL_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, KESP_SEL_A_MAX, nest, sel_policy, extack);
	if (ret)
		return ret;
	memset(sel, 0, sizeof(*sel));
	if (!tb[KESP_SEL_A_FAMILY]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "a selector needs a family");
		return -EINVAL;
	}
	sel->family = nla_get_u16(tb[KESP_SEL_A_FAMILY]);
	if (sel->family != AF_INET && sel->family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KESP_SEL_A_FAMILY],
				    "selector family is AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	ret = parse_sel_range(tb[KESP_SEL_A_SRC_START], tb[KESP_SEL_A_SRC_END],
			      sel->family, sel->src_start, sel->src_end, extack);
	if (!ret)
		ret = parse_sel_range(tb[KESP_SEL_A_DST_START],
				      tb[KESP_SEL_A_DST_END], sel->family,
				      sel->dst_start, sel->dst_end, extack);
	if (ret)
		return ret;
	if (tb[KESP_SEL_A_PROTO])
		sel->proto = nla_get_u8(tb[KESP_SEL_A_PROTO]);
	sel->sport_end = U16_MAX;
	sel->dport_end = U16_MAX;
	if (tb[KESP_SEL_A_SPORT_START])
		sel->sport_start = nla_get_u16(tb[KESP_SEL_A_SPORT_START]);
	if (tb[KESP_SEL_A_SPORT_END])
		sel->sport_end = nla_get_u16(tb[KESP_SEL_A_SPORT_END]);
	if (tb[KESP_SEL_A_DPORT_START])
		sel->dport_start = nla_get_u16(tb[KESP_SEL_A_DPORT_START]);
	if (tb[KESP_SEL_A_DPORT_END])
		sel->dport_end = nla_get_u16(tb[KESP_SEL_A_DPORT_END]);
	if (kesp_sel_validate(sel)) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "a selector range starts after it ends");
		return -EINVAL;
	}
	return 0;
}

/*
 * KESP_SA_A_SELECTORS into a set (NULL for an empty nest: any packet).
 * A transport-mode SA carries only packets of its own family, so
 * ONLY_FAMILY, when not 0, is the one family its selectors may name.
 */
static int parse_selectors(struct nlattr *nest, u8 only_family,
			   struct kesp_sel_set **out,
			   struct netlink_ext_ack *extack)
{
	struct kesp_sel_set *set;
	struct nlattr *attr;
	int rem, n = 0, ret;

	*out = NULL;
	nla_for_each_nested(attr, nest, rem) {
		if (nla_type(attr) != KESP_SELECTORS_A_SELECTOR) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "only KESP_SELECTORS_A_SELECTOR belongs in the selector list");
			return -EINVAL;
		}
		n++;
	}
	if (n > KESP_SELECTORS_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "too many selectors for one SA");
		return -E2BIG;
	}
	if (!n)
		return 0;
	set = kzalloc(struct_size(set, sel, n), GFP_KERNEL_ACCOUNT);
	if (!set)
		return -ENOMEM;
	nla_for_each_nested(attr, nest, rem) {
		ret = parse_one_selector(attr, &set->sel[set->n], extack);
		if (!ret && only_family &&
		    set->sel[set->n].family != only_family) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "a transport-mode SA's selectors must be of its own address family");
			ret = -EINVAL;
		}
		if (ret) {
			kfree(set);
			return ret;
		}
		set->n++;
	}
	*out = set;
	return 0;
}

/* The family a transport-mode SA is limited to; 0 for tunnel mode. */
static u8 transport_family(u8 mode, u8 family)
{
	return mode == KESP_MODE_TRANSPORT ? family : 0;
}

static int parse_lifetime(struct nlattr *nest, struct kesp_lifetime *l,
			  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KESP_LFT_A_MAX + 1];
	u64 *v[] = { &l->soft_bytes, &l->hard_bytes, &l->soft_packets,
		     &l->hard_packets, &l->soft_seconds, &l->hard_seconds };
	int i, ret;

	memset(l, 0, sizeof(*l));
	if (!nest)
		return 0;
	ret = nla_parse_nested(tb, KESP_LFT_A_MAX, nest, lft_policy, extack);
	if (ret)
		return ret;
	/* 2^64 - 1 is XFRM's "infinite" (XFRM_INF): no limit, as 0. */
	for (i = 0; i < ARRAY_SIZE(v); i++)
		if (tb[KESP_LFT_A_SOFT_BYTES + i] &&
		    nla_get_u64(tb[KESP_LFT_A_SOFT_BYTES + i]) != U64_MAX)
			*v[i] = nla_get_u64(tb[KESP_LFT_A_SOFT_BYTES + i]);
	/* Pairs are (soft, hard); a soft limit past the hard one never fires. */
	for (i = 0; i < ARRAY_SIZE(v); i += 2)
		if (*v[i] && *v[i + 1] && *v[i] > *v[i + 1]) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "a soft limit is above its hard limit");
			return -EINVAL;
		}
	return 0;
}

static int parse_alg_nest(struct nlattr *nest, const char **name,
			  const u8 **key, u32 *key_len, u32 *icv_bits,
			  bool need_icv, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KESP_ALG_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, KESP_ALG_A_MAX, nest, alg_policy, extack);
	if (ret)
		return ret;
	if (!tb[KESP_ALG_A_NAME]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "algorithm name missing");
		return -EINVAL;
	}
	if (need_icv && !tb[KESP_ALG_A_ICV_BITS]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "ICV length (bits) missing");
		return -EINVAL;
	}
	*name = nla_data(tb[KESP_ALG_A_NAME]);
	*key = tb[KESP_ALG_A_KEY] ? nla_data(tb[KESP_ALG_A_KEY]) : NULL;
	*key_len = tb[KESP_ALG_A_KEY] ? nla_len(tb[KESP_ALG_A_KEY]) : 0;
	if (tb[KESP_ALG_A_ICV_BITS])
		*icv_bits = nla_get_u32(tb[KESP_ALG_A_ICV_BITS]);
	return 0;
}

static int parse_algs(struct nlattr **attrs, struct kesp_alg_params *alg,
		      struct netlink_ext_ack *extack)
{
	struct nlattr *aead = attrs[KESP_SA_A_AEAD];
	struct nlattr *enc = attrs[KESP_SA_A_ENC];
	struct nlattr *auth = attrs[KESP_SA_A_AUTH];

	memset(alg, 0, sizeof(*alg));
	if (aead && !enc && !auth) {
		alg->aead_attr = aead;
		return parse_alg_nest(aead, &alg->aead_name, &alg->aead_key,
				      &alg->aead_key_len, &alg->icv_bits, true,
				      extack);
	}
	if (!aead && enc && auth) {
		u32 unused = 0;
		int ret;

		alg->enc_attr = enc;
		alg->auth_attr = auth;
		ret = parse_alg_nest(enc, &alg->enc_name, &alg->enc_key,
				     &alg->enc_key_len, &unused, false, extack);
		if (!ret)
			ret = parse_alg_nest(auth, &alg->auth_name,
					     &alg->auth_key, &alg->auth_key_len,
					     &alg->icv_bits, true, extack);
		return ret;
	}
	NL_SET_ERR_MSG(extack,
		       "give either an AEAD, or a cipher with an authentication algorithm");
	return -EINVAL;
}

/* Keys in the request must not linger in freed socket buffers. */
static void wipe_keys(struct nlattr **attrs)
{
	static const int nests[] = { KESP_SA_A_AEAD, KESP_SA_A_ENC,
				     KESP_SA_A_AUTH };
	struct nlattr *attr;
	int i, rem;

	for (i = 0; i < ARRAY_SIZE(nests); i++) {
		if (!attrs[nests[i]])
			continue;
		nla_for_each_nested(attr, attrs[nests[i]], rem)
			if (nla_type(attr) == KESP_ALG_A_KEY)
				memzero_explicit(nla_data(attr), nla_len(attr));
	}
}

/* An SA's KESP_SA_A_ENCAP: the type and both ports are required. */
static int parse_encap(struct nlattr *nest, u8 *type, u16 *sport, u16 *dport,
		       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KESP_ENCAP_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, KESP_ENCAP_A_MAX, nest, encap_policy,
			       extack);
	if (ret)
		return ret;
	if (!tb[KESP_ENCAP_A_TYPE] || !tb[KESP_ENCAP_A_SPORT] ||
	    !tb[KESP_ENCAP_A_DPORT]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "encapsulation needs its type, source port and destination port");
		return -EINVAL;
	}
	*type = nla_get_u8(tb[KESP_ENCAP_A_TYPE]);
	*sport = nla_get_u16(tb[KESP_ENCAP_A_SPORT]);
	*dport = nla_get_u16(tb[KESP_ENCAP_A_DPORT]);
	return 0;
}

static int parse_sa_params(struct genl_info *info, struct kesp_sa_params *p)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KESP_SA_A_DIR) ||
	    GENL_REQ_ATTR_CHECK(info, KESP_SA_A_SPI) ||
	    GENL_REQ_ATTR_CHECK(info, KESP_SA_A_MODE) ||
	    GENL_REQ_ATTR_CHECK(info, KESP_SA_A_SRC) ||
	    GENL_REQ_ATTR_CHECK(info, KESP_SA_A_DST)) {
		NL_SET_ERR_MSG(extack,
			       "direction, SPI, mode, source and destination are required");
		return -EINVAL;
	}
	memset(p, 0, sizeof(*p));
	p->dir = nla_get_u8(attrs[KESP_SA_A_DIR]);
	p->spi = nla_get_u32(attrs[KESP_SA_A_SPI]);
	if (p->spi < KESP_SPI_FIRST) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[KESP_SA_A_SPI],
				    "SPIs 1 to 255 are reserved by IANA (RFC 4303 2.1)");
		return -EINVAL;
	}
	p->mode = nla_get_u8(attrs[KESP_SA_A_MODE]);
	ret = parse_endpoints(attrs, &p->src, &p->dst, &p->family, extack);
	if (ret)
		return ret;
	if (attrs[KESP_SA_A_REQID])
		p->reqid = nla_get_u32(attrs[KESP_SA_A_REQID]);
	if (attrs[KESP_SA_A_FLAGS]) {
		p->flags = nla_get_u32(attrs[KESP_SA_A_FLAGS]);
		if (p->flags & ~KESP_SA_F_ESN) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[KESP_SA_A_FLAGS],
					    "unknown SA flag bits");
			return -EOPNOTSUPP;
		}
	}
	if (attrs[KESP_SA_A_REPLAY_WINDOW] && p->dir != KESP_DIR_IN) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[KESP_SA_A_REPLAY_WINDOW],
				    "a replay window is for inbound SAs");
		return -EINVAL;
	}
	p->replay_window = attrs[KESP_SA_A_REPLAY_WINDOW] ?
			   nla_get_u32(attrs[KESP_SA_A_REPLAY_WINDOW]) :
			   (p->dir == KESP_DIR_IN ? 64 : 0);
	if (attrs[KESP_SA_A_PRIORITY] && p->dir != KESP_DIR_OUT) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[KESP_SA_A_PRIORITY],
				    "a selector priority is for outbound SAs");
		return -EINVAL;
	}
	if (attrs[KESP_SA_A_PRIORITY])
		p->priority = nla_get_u32(attrs[KESP_SA_A_PRIORITY]);
	if (attrs[KESP_SA_A_SEQ]) {
		p->seq = nla_get_u64(attrs[KESP_SA_A_SEQ]);
		if (p->seq > U32_MAX && !(p->flags & KESP_SA_F_ESN)) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[KESP_SA_A_SEQ],
					    "a sequence number above 2^32-1 needs ESN");
			return -EINVAL;
		}
	}
	ret = parse_lifetime(attrs[KESP_SA_A_LIFETIME], &p->lft, extack);
	if (ret)
		return ret;
	if (attrs[KESP_SA_A_ENCAP]) {
		ret = parse_encap(attrs[KESP_SA_A_ENCAP], &p->encap_type,
				  &p->encap_sport, &p->encap_dport, extack);
		if (ret)
			return ret;
	}
	/* Last, so that nothing after it can fail and leak the set. */
	if (attrs[KESP_SA_A_SELECTORS])
		ret = parse_selectors(attrs[KESP_SA_A_SELECTORS],
				      transport_family(p->mode, p->family),
				      &p->sels, extack);
	return ret;
}

static int reply_sa(struct genl_info *info, const struct kesp_sa *sa,
		    struct sk_buff **msg)
{
	size_t size = sa_size(sa);
	int ret;

	*msg = genlmsg_new(size, GFP_KERNEL);
	if (!*msg)
		return -ENOMEM;
	ret = fill_sa(*msg, sa, info->snd_portid, info->snd_seq, 0);
	/* A size that fell behind fill_sa() is a bug, but not the caller's. */
	if (WARN_ON_ONCE(ret == -EMSGSIZE)) {
		nlmsg_free(*msg);
		*msg = genlmsg_new(size + NLMSG_GOODSIZE, GFP_KERNEL);
		if (!*msg)
			return -ENOMEM;
		ret = fill_sa(*msg, sa, info->snd_portid, info->snd_seq, 0);
	}
	if (ret) {
		nlmsg_free(*msg);
		*msg = NULL;
	}
	return ret;
}

static int kesp_nl_sa_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg = NULL;
	struct kesp_alg_params alg;
	struct kesp_sa_params p;
	struct net_device *dev;
	struct kesp_device *kd;
	struct kesp_sa *sa;
	int ret;

	dev = sa_dev(info);
	if (IS_ERR(dev)) {
		ret = PTR_ERR(dev);
		goto out_wipe;
	}
	kd = netdev_priv(dev);
	ret = parse_algs(info->attrs, &alg, info->extack);
	if (!ret)
		ret = parse_sa_params(info, &p);
	if (ret)
		goto out;
	if (p.encap_type) {
		ret = kesp_encap_check_port(kd, p.family, p.dir,
					    p.encap_sport, p.encap_dport,
					    info->extack);
		if (ret) {
			kfree(p.sels);
			goto out;
		}
	}

	/* The crypto transform is built before taking any lock. */
	sa = kesp_sa_alloc(kd, &p, &alg, info->extack);
	if (IS_ERR(sa)) {
		ret = PTR_ERR(sa);
		goto out;
	}
	mutex_lock(&kesp_underlay(kd)->sad_lock);
	ret = kesp_sa_publish(sa, info->extack);
	if (!ret)
		ret = reply_sa(info, sa, &msg);
	mutex_unlock(&kesp_underlay(kd)->sad_lock);
	if (msg)
		ret = genlmsg_reply(msg, info);
out:
	dev_put(dev);
out_wipe:
	wipe_keys(info->attrs);
	return ret;
}

/*
 * The SA a request names by id, or by direction and SPI (and destination
 * for outbound SAs), with the device's sad_lock held; the caller unlocks.
 */
static struct kesp_sa *lookup_sa(struct genl_info *info, struct kesp_device *kd)
{
	struct nlattr **attrs = info->attrs;
	union kesp_addr dst = {};
	u8 dir = 0, family = 0;
	u32 id = 0, spi = 0;
	struct kesp_sa *sa;

	if (attrs[KESP_SA_A_ID]) {
		id = nla_get_u32(attrs[KESP_SA_A_ID]);
	} else if (attrs[KESP_SA_A_DIR] && attrs[KESP_SA_A_SPI]) {
		dir = nla_get_u8(attrs[KESP_SA_A_DIR]);
		spi = nla_get_u32(attrs[KESP_SA_A_SPI]);
		if (dir == KESP_DIR_OUT) {
			if (!attrs[KESP_SA_A_DST]) {
				NL_SET_ERR_MSG(info->extack,
					       "an outbound SA is named by SPI and destination");
				return ERR_PTR(-EINVAL);
			}
			if (parse_addr(attrs[KESP_SA_A_DST], &dst, &family,
				       info->extack))
				return ERR_PTR(-EINVAL);
		}
	} else {
		NL_SET_ERR_MSG(info->extack,
			       "name the SA by id, or by direction and SPI");
		return ERR_PTR(-EINVAL);
	}
	sa = kesp_sa_find(kd, id, dir, spi, &dst, family);
	if (!sa) {
		NL_SET_ERR_MSG(info->extack, "no such SA on this device");
		return ERR_PTR(-ENOENT);
	}
	return sa;
}

static int kesp_nl_sa_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg = NULL;
	struct net_device *dev;
	struct kesp_device *kd;
	struct kesp_sa *sa;
	int ret;

	dev = sa_dev(info);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	kd = netdev_priv(dev);
	mutex_lock(&kesp_underlay(kd)->sad_lock);
	sa = lookup_sa(info, kd);
	ret = IS_ERR(sa) ? PTR_ERR(sa) : reply_sa(info, sa, &msg);
	mutex_unlock(&kesp_underlay(kd)->sad_lock);
	if (msg)
		ret = genlmsg_reply(msg, info);
	dev_put(dev);
	return ret;
}

static int kesp_nl_sa_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net_device *dev;
	struct kesp_device *kd;
	struct kesp_sa *sa;
	int ret = 0;

	dev = sa_dev(info);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	kd = netdev_priv(dev);
	mutex_lock(&kesp_underlay(kd)->sad_lock);
	sa = lookup_sa(info, kd);
	if (IS_ERR(sa))
		ret = PTR_ERR(sa);
	else
		kesp_sa_unlink(sa);
	mutex_unlock(&kesp_underlay(kd)->sad_lock);
	dev_put(dev);
	return ret;
}

static int kesp_nl_sa_update_doit(struct sk_buff *skb, struct genl_info *info)
{
	static const int allowed[] = { KESP_SA_A_IFINDEX, KESP_SA_A_ID,
				       KESP_SA_A_DIR, KESP_SA_A_SPI,
				       KESP_SA_A_SRC, KESP_SA_A_DST,
				       KESP_SA_A_LIFETIME, KESP_SA_A_SELECTORS,
				       KESP_SA_A_ENCAP };
	struct nlattr **attrs = info->attrs;
	struct kesp_lifetime lft;
	union kesp_addr src, dst;
	struct sk_buff *msg = NULL;
	struct net_device *dev;
	struct kesp_device *kd;
	bool move = false;
	u16 sport = 0, dport = 0;
	struct kesp_sa *sa;
	u8 family = 0, encap_type;
	int i, ret;

	for (i = 0; i <= KESP_SA_A_MAX; i++) {
		int j;

		if (!attrs[i])
			continue;
		for (j = 0; j < ARRAY_SIZE(allowed) && allowed[j] != i; j++)
			;
		if (j == ARRAY_SIZE(allowed)) {
			NL_SET_ERR_MSG_ATTR(info->extack, attrs[i],
					    "only addresses, selectors, lifetimes and encapsulation ports of an SA can change");
			ret = -EINVAL;
			goto out_wipe;
		}
	}
	dev = sa_dev(info);
	if (IS_ERR(dev)) {
		ret = PTR_ERR(dev);
		goto out_wipe;
	}
	kd = netdev_priv(dev);
	mutex_lock(&kesp_underlay(kd)->sad_lock);
	sa = lookup_sa(info, kd);
	if (IS_ERR(sa)) {
		ret = PTR_ERR(sa);
		goto out_unlock;
	}
	/*
	 * With an id, or for an inbound SA (its SPI alone names it), SRC and
	 * DST are the new addresses; otherwise DST names an outbound SA and
	 * the addresses cannot change in the same call.
	 */
	if (attrs[KESP_SA_A_SRC] ||
	    (attrs[KESP_SA_A_DST] &&
	     (attrs[KESP_SA_A_ID] || sa->dir != KESP_DIR_OUT))) {
		if ((!attrs[KESP_SA_A_ID] && sa->dir == KESP_DIR_OUT) ||
		    !attrs[KESP_SA_A_SRC] || !attrs[KESP_SA_A_DST]) {
			NL_SET_ERR_MSG(info->extack,
				       "new addresses need both source and destination, and an outbound SA named by id");
			ret = -EINVAL;
			goto out_unlock;
		}
		ret = parse_endpoints(attrs, &src, &dst, &family, info->extack);
		if (ret)
			goto out_unlock;
		if (transport_family(sa->mode, sa->family) &&
		    family != sa->family) {
			NL_SET_ERR_MSG_ATTR(info->extack, attrs[KESP_SA_A_SRC],
					    "a transport-mode SA keeps its address family");
			ret = -EINVAL;
			goto out_unlock;
		}
		if (!kesp_sa_source_ok(kd, sa->dir, family, &src,
				       info->extack)) {
			ret = -EADDRNOTAVAIL;
			goto out_unlock;
		}
		if (sa->dir == KESP_DIR_OUT && family == sa->family &&
		    !memcmp(&dst, &sa->dst, sizeof(dst)))
			move = true;	/* same key: no uniqueness question */
		else if (sa->dir == KESP_DIR_OUT &&
			 kesp_sa_find(kd, 0, KESP_DIR_OUT, sa->spi, &dst,
				      family)) {
			NL_SET_ERR_MSG(info->extack,
				       "an outbound SA with this SPI and destination exists on the device");
			ret = -EEXIST;
			goto out_unlock;
		} else {
			move = true;
		}
	}
	if (attrs[KESP_SA_A_LIFETIME]) {
		ret = parse_lifetime(attrs[KESP_SA_A_LIFETIME], &lft,
				     info->extack);
		if (ret)
			goto out_unlock;
	}
	if (attrs[KESP_SA_A_ENCAP]) {
		ret = parse_encap(attrs[KESP_SA_A_ENCAP], &encap_type, &sport,
				  &dport, info->extack);
		if (!ret && encap_type != sa->encap_type) {
			NL_SET_ERR_MSG_ATTR(info->extack, attrs[KESP_SA_A_ENCAP],
					    "an SA keeps its encapsulation type: only the ports can change");
			ret = -EINVAL;
		}
		if (!ret)
			ret = kesp_encap_check_port(kd, move ? family : sa->family,
						    sa->dir, sport, dport,
						    info->extack);
		if (ret)
			goto out_unlock;
	}
	if (attrs[KESP_SA_A_SELECTORS]) {
		struct kesp_sel_set *sels;

		ret = parse_selectors(attrs[KESP_SA_A_SELECTORS],
				      transport_family(sa->mode, sa->family),
				      &sels, info->extack);
		if (!ret)
			ret = kesp_sa_set_selectors(sa, sels);
		if (ret)
			goto out_unlock;
	}
	if (attrs[KESP_SA_A_LIFETIME]) {
		spin_lock_bh(&sa->lock);
		sa->lft = lft;
		spin_unlock_bh(&sa->lock);
		kesp_sa_lifetime_changed(sa);
	}
	/* Addresses and ports together: no packet sees one without the other. */
	spin_lock_bh(&sa->lock);
	if (move) {
		sa->family = family;
		sa->src = src;
		sa->dst = dst;
	}
	if (attrs[KESP_SA_A_ENCAP]) {
		sa->encap_sport = sport;
		sa->encap_dport = dport;
	}
	spin_unlock_bh(&sa->lock);
	ret = reply_sa(info, sa, &msg);
out_unlock:
	mutex_unlock(&kesp_underlay(kd)->sad_lock);
	if (msg)
		ret = genlmsg_reply(msg, info);
	dev_put(dev);
out_wipe:
	wipe_keys(attrs);
	return ret;
}

static int kesp_nl_spi_alloc_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	u32 min = KESP_SPI_FIRST, max = U32_MAX, spi = 0;
	struct net_device *dev;
	struct kesp_device *kd;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (attrs[KESP_SA_A_SPI_MIN])
		min = nla_get_u32(attrs[KESP_SA_A_SPI_MIN]);
	if (attrs[KESP_SA_A_SPI_MAX])
		max = nla_get_u32(attrs[KESP_SA_A_SPI_MAX]);
	if (min > max) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[KESP_SA_A_SPI_MIN],
				    "SPI range is empty (min > max)");
		return -EINVAL;
	}
	if (min < KESP_SPI_FIRST) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[KESP_SA_A_SPI_MIN],
				    "SPIs 1 to 255 are reserved by IANA (RFC 4303 2.1): start the range at 256 or above");
		return -EINVAL;
	}
	dev = sa_dev(info);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	kd = netdev_priv(dev);
	mutex_lock(&kesp_underlay(kd)->sad_lock);
	ret = kesp_spi_alloc(kd, min, max, &spi, info->extack);
	mutex_unlock(&kesp_underlay(kd)->sad_lock);
	if (ret)
		goto out;
	ret = -ENOMEM;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	hdr = genlmsg_put_reply(msg, info, &kesp_family, 0,
				KESP_CMD_SPI_ALLOC);
	if (!hdr || nla_put_u32(msg, KESP_SA_A_IFINDEX, dev->ifindex) ||
	    nla_put_u32(msg, KESP_SA_A_SPI, spi)) {
		nlmsg_free(msg);
		ret = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
out:
	dev_put(dev);
	return ret;
}

/*
 * Filters of a dump or flush: an optional device and direction. Parsed by
 * hand from the request so dumps need no kernel-version-specific helper.
 */
struct sa_filter {
	int ifindex;
	struct kesp_sa_filter sa;
};

static int parse_filter(const struct nlmsghdr *nlh, struct sa_filter *f,
			struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KESP_SA_A_MAX + 1];
	int ret;

	ret = nlmsg_parse(nlh, GENL_HDRLEN, tb, KESP_SA_A_MAX, sa_policy,
			  extack);
	if (ret)
		return ret;
	f->ifindex = tb[KESP_SA_A_IFINDEX] ?
		     nla_get_u32(tb[KESP_SA_A_IFINDEX]) : 0;
	f->sa.dir = tb[KESP_SA_A_DIR] ? nla_get_u8(tb[KESP_SA_A_DIR]) : 0;
	f->sa.by_reqid = !!tb[KESP_SA_A_REQID];
	f->sa.reqid = f->sa.by_reqid ? nla_get_u32(tb[KESP_SA_A_REQID]) : 0;
	return 0;
}

/* Every dump message must fit, even an SA's with the most selectors. */
static int kesp_nl_sa_get_start(struct netlink_callback *cb)
{
	cb->min_dump_alloc = genlmsg_total_size(sa_msg_size(KESP_SELECTORS_MAX,
							    NULL, NULL));
	return 0;
}

/*
 * Walks the kesp devices of the dump's namespace in ifindex order from
 * cb->args[1], calling DUMP_DEV for each under its underlay's sad_lock.
 * cb->args[2] is where DUMP_DEV resumes inside a device (it sets it when
 * the message is full), cb->args[3] an ifindex the dump is limited to.
 */
static int dump_each_dev(struct sk_buff *skb, struct netlink_callback *cb,
			 int (*dump_dev)(struct sk_buff *skb,
					 struct netlink_callback *cb,
					 struct kesp_device *kd))
{
	struct net *net = sock_net(skb->sk);
	struct net_device *dev;
	int ret = 0;

	while ((dev = next_kesp_dev(net, cb->args[1]))) {
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

/*
 * cb->args: [0] filter parsed, [1] ifindex of the device being dumped,
 * [2] the next SA id on it, [3] filter ifindex, [4] filter direction, and
 * 1 << 8 when [5] is a reqid the dump is limited to.
 */
static int dump_dev_sas(struct sk_buff *skb, struct netlink_callback *cb,
			struct kesp_device *kd)
{
	const struct kesp_sa_filter f = {
		.dir = cb->args[4] & 0xff,
		.by_reqid = cb->args[4] >> 8,
		.reqid = cb->args[5],
	};
	struct kesp_sa *sa;
	unsigned long id;
	int ret;

	xa_for_each_start(&kd->sas, id, sa, cb->args[2]) {
		if (!kesp_sa_filter_match(sa, &f))
			continue;
		ret = fill_sa(skb, sa, NETLINK_CB(cb->skb).portid,
			      cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (ret) {
			cb->args[2] = id;
			return ret;
		}
	}
	return 0;
}

static int kesp_nl_sa_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	if (!cb->args[0]) {
		struct sa_filter f;
		int ret;

		ret = parse_filter(cb->nlh, &f, cb->extack);
		if (ret)
			return ret;
		cb->args[0] = 1;
		cb->args[1] = f.ifindex;
		cb->args[3] = f.ifindex;
		cb->args[4] = f.sa.dir | f.sa.by_reqid << 8;
		cb->args[5] = f.sa.reqid;
	}
	return dump_each_dev(skb, cb, dump_dev_sas);
}

static int kesp_nl_sa_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct net_device *dev;
	struct sa_filter f;
	int ret, from = 0;

	ret = parse_filter(info->nlhdr, &f, info->extack);
	if (ret)
		return ret;
	if (f.ifindex) {
		dev = lookup_dev(net, info->attrs[KESP_SA_A_IFINDEX], NULL,
				 info->extack);
		if (IS_ERR(dev))
			return PTR_ERR(dev);
		dev_put(dev);
		from = f.ifindex;
	}
	while ((dev = next_kesp_dev(net, from))) {
		struct kesp_device *kd = netdev_priv(dev);

		if (f.ifindex && dev->ifindex != f.ifindex) {
			dev_put(dev);
			break;
		}
		mutex_lock(&kesp_underlay(kd)->sad_lock);
		kesp_sa_flush(kd, &f.sa);
		mutex_unlock(&kesp_underlay(kd)->sad_lock);
		from = dev->ifindex + 1;
		dev_put(dev);
	}
	return 0;
}

/* ---- trap selectors ---- */

static int fill_trap(struct sk_buff *skb, const struct kesp_trap *trap,
		     u32 portid, u32 seq, int flags)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &kesp_family, flags,
			  KESP_CMD_TRAP_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, KESP_TRAP_A_IFINDEX, trap->kd->dev->ifindex) ||
	    nla_put_u32(skb, KESP_TRAP_A_ID, trap->id) ||
	    nla_put_u32(skb, KESP_TRAP_A_REQID, trap->reqid) ||
	    nla_put_u32(skb, KESP_TRAP_A_PRIORITY, trap->priority) ||
	    put_one_selector(skb, KESP_TRAP_A_SELECTOR, &trap->sel) ||
	    nla_put_u64_64bit(skb, KESP_TRAP_A_HITS,
			      atomic64_read(&trap->hits), KESP_TRAP_A_PAD) ||
	    nla_put_u64_64bit(skb, KESP_TRAP_A_ACQUIRES,
			      atomic64_read(&trap->acquires), KESP_TRAP_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int reply_trap(struct genl_info *info, const struct kesp_trap *trap,
		      struct sk_buff **msg)
{
	int ret;

	*msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!*msg)
		return -ENOMEM;
	ret = fill_trap(*msg, trap, info->snd_portid, info->snd_seq, 0);
	if (ret) {
		nlmsg_free(*msg);
		*msg = NULL;
	}
	return ret;
}

/* The trap named by KESP_TRAP_A_ID on KD, or NULL with extack set. */
static struct kesp_trap *lookup_trap(struct genl_info *info,
				     struct kesp_device *kd)
{
	struct kesp_trap *trap;

	trap = xa_load(&kd->traps, nla_get_u32(info->attrs[KESP_TRAP_A_ID]));
	if (!trap)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KESP_TRAP_A_ID],
				    "no trap with this id on the device");
	return trap;
}

static int kesp_nl_trap_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct sk_buff *msg = NULL;
	struct kesp_trap *trap;
	struct net_device *dev;
	struct kesp_device *kd;
	struct kesp_sel sel;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KESP_TRAP_A_SELECTOR)) {
		NL_SET_ERR_MSG(info->extack, "a trap needs a selector");
		return -EINVAL;
	}
	if (attrs[KESP_TRAP_A_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[KESP_TRAP_A_ID],
				    "the kernel chooses a trap's id");
		return -EINVAL;
	}
	ret = parse_one_selector(attrs[KESP_TRAP_A_SELECTOR], &sel,
				 info->extack);
	if (ret)
		return ret;
	dev = ifindex_dev(info, KESP_TRAP_A_IFINDEX);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	kd = netdev_priv(dev);
	mutex_lock(&kesp_underlay(kd)->sad_lock);
	trap = kesp_trap_add(kd, &sel,
			     attrs[KESP_TRAP_A_REQID] ?
			     nla_get_u32(attrs[KESP_TRAP_A_REQID]) : 0,
			     attrs[KESP_TRAP_A_PRIORITY] ?
			     nla_get_u32(attrs[KESP_TRAP_A_PRIORITY]) : U32_MAX,
			     info->extack);
	ret = IS_ERR(trap) ? PTR_ERR(trap) : reply_trap(info, trap, &msg);
	mutex_unlock(&kesp_underlay(kd)->sad_lock);
	if (msg)
		ret = genlmsg_reply(msg, info);
	dev_put(dev);
	return ret;
}

static int kesp_nl_trap_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kesp_trap *trap;
	struct net_device *dev;
	struct kesp_device *kd;
	int ret = 0;

	dev = ifindex_dev(info, KESP_TRAP_A_IFINDEX);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	kd = netdev_priv(dev);
	mutex_lock(&kesp_underlay(kd)->sad_lock);
	if (!info->attrs[KESP_TRAP_A_ID]) {
		kesp_trap_flush(kd);
	} else {
		trap = lookup_trap(info, kd);
		if (trap)
			kesp_trap_del(trap);
		else
			ret = -ENOENT;
	}
	mutex_unlock(&kesp_underlay(kd)->sad_lock);
	dev_put(dev);
	return ret;
}

static int kesp_nl_trap_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg = NULL;
	struct kesp_trap *trap;
	struct net_device *dev;
	struct kesp_device *kd;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KESP_TRAP_A_ID)) {
		NL_SET_ERR_MSG(info->extack, "which trap: give its id, or dump them all");
		return -EINVAL;
	}
	dev = ifindex_dev(info, KESP_TRAP_A_IFINDEX);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	kd = netdev_priv(dev);
	mutex_lock(&kesp_underlay(kd)->sad_lock);
	trap = lookup_trap(info, kd);
	ret = trap ? reply_trap(info, trap, &msg) : -ENOENT;
	mutex_unlock(&kesp_underlay(kd)->sad_lock);
	if (msg)
		ret = genlmsg_reply(msg, info);
	dev_put(dev);
	return ret;
}

static int dump_dev_traps(struct sk_buff *skb, struct netlink_callback *cb,
			  struct kesp_device *kd)
{
	struct kesp_trap *trap;
	unsigned long id;
	int ret;

	xa_for_each_start(&kd->traps, id, trap, cb->args[2]) {
		ret = fill_trap(skb, trap, NETLINK_CB(cb->skb).portid,
				cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (ret) {
			cb->args[2] = id;
			return ret;
		}
	}
	return 0;
}

static int kesp_nl_trap_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	if (!cb->args[0]) {
		struct nlattr *tb[KESP_TRAP_A_MAX + 1];
		int ret;

		ret = nlmsg_parse(cb->nlh, GENL_HDRLEN, tb, KESP_TRAP_A_MAX,
				  trap_policy, cb->extack);
		if (ret)
			return ret;
		cb->args[0] = 1;
		if (tb[KESP_TRAP_A_IFINDEX]) {
			cb->args[3] = nla_get_u32(tb[KESP_TRAP_A_IFINDEX]);
			cb->args[1] = cb->args[3];
		}
	}
	return dump_each_dev(skb, cb, dump_dev_traps);
}

/*
 * KESP_CMD_ACQUIRE for a packet that hit TRAP, from the transmit path
 * (atomic context). The packet's values go out as single-value ranges.
 */
void kesp_nl_notify_acquire(const struct kesp_trap *trap,
			    const struct kesp_flow *flow)
{
	struct net_device *dev = trap->kd->dev;
	struct kesp_sel pkt = {
		.family = flow->family,
		.proto = flow->proto,
		.sport_start = flow->has_ports ? flow->sport : 0,
		.sport_end = flow->has_ports ? flow->sport : U16_MAX,
		.dport_start = flow->has_ports ? flow->dport : 0,
		.dport_end = flow->has_ports ? flow->dport : U16_MAX,
	};
	struct sk_buff *msg;
	void *hdr;

	memcpy(pkt.src_start, flow->src, sizeof(pkt.src_start));
	memcpy(pkt.src_end, flow->src, sizeof(pkt.src_end));
	memcpy(pkt.dst_start, flow->dst, sizeof(pkt.dst_start));
	memcpy(pkt.dst_end, flow->dst, sizeof(pkt.dst_end));
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &kesp_family, 0, KESP_CMD_ACQUIRE);
	if (!hdr || nla_put_u32(msg, KESP_TRAP_A_IFINDEX, dev->ifindex) ||
	    nla_put_u32(msg, KESP_TRAP_A_ID, trap->id) ||
	    nla_put_u32(msg, KESP_TRAP_A_REQID, trap->reqid) ||
	    put_one_selector(msg, KESP_TRAP_A_PACKET, &pkt)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&kesp_family, dev_net(dev), msg, 0, 0,
				GFP_ATOMIC);
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
	{
		.cmd = KESP_CMD_DEV_SET,
		.doit = kesp_nl_dev_set_doit,
		.policy = dev_policy,
		.maxattr = KESP_DEV_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_ENCAP_ATTACH,
		.doit = kesp_nl_encap_attach_doit,
		.policy = dev_policy,
		.maxattr = KESP_DEV_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_ENCAP_DETACH,
		.doit = kesp_nl_encap_detach_doit,
		.policy = dev_policy,
		.maxattr = KESP_DEV_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_TRAP_ADD,
		.doit = kesp_nl_trap_add_doit,
		.policy = trap_policy,
		.maxattr = KESP_TRAP_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_TRAP_DEL,
		.doit = kesp_nl_trap_del_doit,
		.policy = trap_policy,
		.maxattr = KESP_TRAP_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_TRAP_GET,
		.doit = kesp_nl_trap_get_doit,
		.dumpit = kesp_nl_trap_get_dumpit,
		.policy = trap_policy,
		.maxattr = KESP_TRAP_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_SPI_ALLOC,
		.doit = kesp_nl_spi_alloc_doit,
		.policy = sa_policy,
		.maxattr = KESP_SA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_SA_NEW,
		.doit = kesp_nl_sa_new_doit,
		.policy = sa_policy,
		.maxattr = KESP_SA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_SA_UPDATE,
		.doit = kesp_nl_sa_update_doit,
		.policy = sa_policy,
		.maxattr = KESP_SA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_SA_DEL,
		.doit = kesp_nl_sa_del_doit,
		.policy = sa_policy,
		.maxattr = KESP_SA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_SA_GET,
		.doit = kesp_nl_sa_get_doit,
		.start = kesp_nl_sa_get_start,
		.dumpit = kesp_nl_sa_get_dumpit,
		.policy = sa_policy,
		.maxattr = KESP_SA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KESP_CMD_SA_FLUSH,
		.doit = kesp_nl_sa_flush_doit,
		.policy = sa_policy,
		.maxattr = KESP_SA_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group kesp_mcgrps[] = {
	/* Events describe SAs: only CAP_NET_ADMIN in the namespace may listen. */
	{ .name = KESP_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family kesp_family __ro_after_init = {
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
	return genl_register_family(&kesp_family);
}

void kesp_netlink_uninit(void)
{
	genl_unregister_family(&kesp_family);
}
