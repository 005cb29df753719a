// SPDX-License-Identifier: GPL-2.0
/* KESP_CMD_TRAP_ADD, TRAP_DEL and TRAP_GET: the trap selectors of a device. */
#include <linux/kesp.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "netlink.h"
#include "trap.h"

const struct nla_policy kesp_nl_trap_policy[KESP_TRAP_A_MAX + 1] = {
	[KESP_TRAP_A_IFINDEX] = { .type = NLA_U32 },
	[KESP_TRAP_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KESP_TRAP_A_REQID] = { .type = NLA_U32 },
	[KESP_TRAP_A_PRIORITY] = { .type = NLA_U32 },
	[KESP_TRAP_A_SELECTOR] = NLA_POLICY_NESTED(kesp_nl_sel_policy),
	[KESP_TRAP_A_HITS] = { .type = NLA_REJECT },
	[KESP_TRAP_A_ACQUIRES] = { .type = NLA_REJECT },
	[KESP_TRAP_A_PACKET] = { .type = NLA_REJECT },
	[KESP_TRAP_A_CPU] = { .type = NLA_REJECT },
	[KESP_TRAP_A_SA_ID] = { .type = NLA_REJECT },
};

static int fill_trap(struct sk_buff *skb, const struct kesp_trap *trap,
		     u32 portid, u32 seq, int flags)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &kesp_nl_family, flags,
			  KESP_CMD_TRAP_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, KESP_TRAP_A_IFINDEX, trap->kd->dev->ifindex) ||
	    nla_put_u32(skb, KESP_TRAP_A_ID, trap->id) ||
	    nla_put_u32(skb, KESP_TRAP_A_REQID, trap->reqid) ||
	    nla_put_u32(skb, KESP_TRAP_A_PRIORITY, trap->priority) ||
	    kesp_nl_put_one_selector(skb, KESP_TRAP_A_SELECTOR, &trap->sel) ||
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

int kesp_nl_trap_add_doit(struct sk_buff *skb, struct genl_info *info)
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
	ret = kesp_nl_parse_one_selector(attrs[KESP_TRAP_A_SELECTOR], &sel,
					 info->extack);
	if (ret)
		return ret;
	dev = kesp_nl_ifindex_dev(info, KESP_TRAP_A_IFINDEX);
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

int kesp_nl_trap_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kesp_trap *trap;
	struct net_device *dev;
	struct kesp_device *kd;
	int ret = 0;

	dev = kesp_nl_ifindex_dev(info, KESP_TRAP_A_IFINDEX);
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

int kesp_nl_trap_get_doit(struct sk_buff *skb, struct genl_info *info)
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
	dev = kesp_nl_ifindex_dev(info, KESP_TRAP_A_IFINDEX);
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

int kesp_nl_trap_get_dumpit(struct sk_buff *skb,
			    struct netlink_callback *cb)
{
	if (!cb->args[0]) {
		struct nlattr *tb[KESP_TRAP_A_MAX + 1];
		int ret;

		ret = nlmsg_parse(cb->nlh, GENL_HDRLEN, tb, KESP_TRAP_A_MAX,
				  kesp_nl_trap_policy, cb->extack);
		if (ret)
			return ret;
		cb->args[0] = 1;
		if (tb[KESP_TRAP_A_IFINDEX]) {
			cb->args[3] = nla_get_u32(tb[KESP_TRAP_A_IFINDEX]);
			cb->args[1] = cb->args[3];
		}
	}
	return kesp_nl_dump_each_dev(skb, cb, dump_dev_traps);
}
