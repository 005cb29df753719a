// SPDX-License-Identifier: GPL-2.0
/*
 * KESP_CMD_SPI_ALLOC, SA_NEW, SA_UPDATE, SA_DEL, SA_GET and SA_FLUSH: the
 * SAs of a device, described the same way in replies, dumps and events.
 */
#include <linux/cpumask.h>
#include <linux/crypto.h>
#include <linux/kesp.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "crypto.h"
#include "encap.h"
#include "netlink.h"
#include "parallel.h"
#include "sad.h"
#include "spi.h"

const struct nla_policy kesp_nl_sa_policy[KESP_SA_A_MAX + 1] = {
	[KESP_SA_A_IFINDEX] = { .type = NLA_U32 },
	[KESP_SA_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KESP_SA_A_DIR] = NLA_POLICY_RANGE(NLA_U8, KESP_DIR_IN, KESP_DIR_OUT),
	[KESP_SA_A_SPI] = NLA_POLICY_MIN(NLA_U32, 1),
	[KESP_SA_A_MODE] = NLA_POLICY_RANGE(NLA_U8, KESP_MODE_TUNNEL,
					    KESP_MODE_TRANSPORT),
	[KESP_SA_A_REQID] = { .type = NLA_U32 },
	[KESP_SA_A_SRC] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) },
	[KESP_SA_A_DST] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) },
	[KESP_SA_A_AEAD] = NLA_POLICY_NESTED(kesp_nl_alg_policy),
	[KESP_SA_A_ENC] = NLA_POLICY_NESTED(kesp_nl_alg_policy),
	[KESP_SA_A_AUTH] = NLA_POLICY_NESTED(kesp_nl_alg_policy),
	[KESP_SA_A_REPLAY_WINDOW] = NLA_POLICY_MAX(NLA_U32,
						   KESP_REPLAY_WINDOW_MAX),
	[KESP_SA_A_FLAGS] = { .type = NLA_U32 },
	[KESP_SA_A_SEQ] = { .type = NLA_U64 },
	[KESP_SA_A_PRIORITY] = { .type = NLA_U32 },
	[KESP_SA_A_SELECTORS] = { .type = NLA_NESTED },
	[KESP_SA_A_LIFETIME] = NLA_POLICY_NESTED(kesp_nl_lft_policy),
	[KESP_SA_A_ADD_TIME] = { .type = NLA_REJECT },
	[KESP_SA_A_COUNTERS] = { .type = NLA_REJECT },
	[KESP_SA_A_SPI_MIN] = NLA_POLICY_MIN(NLA_U32, 1),
	[KESP_SA_A_SPI_MAX] = NLA_POLICY_MIN(NLA_U32, 1),
	[KESP_SA_A_EXPIRE_HARD] = { .type = NLA_REJECT },
	[KESP_SA_A_EXPIRE_REASON] = { .type = NLA_REJECT },
	[KESP_SA_A_ENCAP] = NLA_POLICY_NESTED(kesp_nl_encap_policy),
	[KESP_SA_A_MAPPING_SRC] = { .type = NLA_REJECT },
	[KESP_SA_A_MAPPING_SPORT] = { .type = NLA_REJECT },
	[KESP_SA_A_CPU] = { .type = NLA_U32 },
	[KESP_SA_A_BRIEF_REPLY] = { .type = NLA_FLAG },
};

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
	if (sa->par && nla_put_u64_64bit(skb, KESP_CNT_A_PARALLEL,
					 kesp_par_packets(sa), KESP_CNT_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Ports change only under sad_lock, which the caller holds (as kesp_nl_put_sa). */
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
		if (kesp_nl_put_one_selector(skb, KESP_SELECTORS_A_SELECTOR,
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

	/* IFINDEX ID SPI REQID REPLAY_WINDOW FLAGS PRIORITY CPU, DIR MODE */
	size = 8 * nla_total_size(sizeof(u32)) + 2 * nla_total_size(sizeof(u8));
	/* SRC DST, SEQ ADD_TIME */
	size += 2 * nla_total_size(16) + 2 * nla_total_size_64bit(sizeof(u64));
	/* ENCAP */
	size += nla_total_size(0) + nla_total_size(sizeof(u8)) +
		2 * nla_total_size(sizeof(u16));
	/* LIFETIME and COUNTERS (with PARALLEL) */
	size += 2 * nla_total_size(0) +
		(6 + 2 + KESP_ERR_COUNT + 1) * nla_total_size_64bit(sizeof(u64));
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
size_t kesp_nl_sa_size(const struct kesp_sa *sa)
{
	const struct kesp_sel_set *sels;

	sels = rcu_dereference_protected(sa->sels,
		lockdep_is_held(&kesp_underlay(sa->kd)->sad_lock));
	return sa_msg_size(sels ? sels->n : 0, sa->alg_name[0],
			   sa->alg_name[1]);
}

/*
 * The SA's attributes, as SA_GET replies and events carry them. Never key
 * material: keys live only inside the crypto transform.
 */
int kesp_nl_put_sa(struct sk_buff *skb, const struct kesp_sa *sa)
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
	    kesp_nl_put_addr(skb, KESP_SA_A_SRC, &src, sa->family) ||
	    kesp_nl_put_addr(skb, KESP_SA_A_DST, &dst, sa->family))
		return -EMSGSIZE;
	if (sa->alg_name[1][0]) {
		if (kesp_nl_put_alg(skb, KESP_SA_A_ENC, sa->alg_name[0], 0) ||
		    kesp_nl_put_alg(skb, KESP_SA_A_AUTH, sa->alg_name[1],
				    sa->icv_len * 8))
			return -EMSGSIZE;
	} else if (kesp_nl_put_alg(skb, KESP_SA_A_AEAD, sa->alg_name[0],
				   sa->icv_len * 8)) {
		return -EMSGSIZE;
	}
	if ((sa->dir == KESP_DIR_IN &&
	     nla_put_u32(skb, KESP_SA_A_REPLAY_WINDOW, sa->replay.window)) ||
	    nla_put_u32(skb, KESP_SA_A_FLAGS, sa->flags) ||
	    nla_put_u64_64bit(skb, KESP_SA_A_SEQ, sa_seq, KESP_SA_A_PAD) ||
	    (sa->dir == KESP_DIR_OUT &&
	     nla_put_u32(skb, KESP_SA_A_PRIORITY, sa->priority)) ||
	    (sa->cpu != KESP_CPU_ANY &&
	     nla_put_u32(skb, KESP_SA_A_CPU, sa->cpu)) ||
	    put_selectors(skb, sa) ||
	    put_encap(skb, sa) ||
	    kesp_nl_put_lifetime(skb, &sa->lft) ||
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

	hdr = genlmsg_put(skb, portid, seq, &kesp_nl_family, flags,
			  KESP_CMD_SA_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (kesp_nl_put_sa(skb, sa)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* The kesp device an SA request names; required for every SA command. */
static struct net_device *sa_dev(struct genl_info *info)
{
	return kesp_nl_ifindex_dev(info, KESP_SA_A_IFINDEX);
}

/*
 * A per-CPU SA (RFC 9611): transmit picks it by smp_processor_id(), so a
 * CPU the machine can never have would make an SA that nothing uses. An
 * offline CPU is taken: it may come online.
 */
static int parse_cpu(const struct nlattr *attr, struct kesp_sa_params *p,
		     struct netlink_ext_ack *extack)
{
	u32 cpu;

	p->cpu = KESP_CPU_ANY;
	if (!attr)
		return 0;
	if (p->dir != KESP_DIR_OUT) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "a CPU is for outbound SAs: inbound ones take packets from any CPU");
		return -EINVAL;
	}
	cpu = nla_get_u32(attr);
	if (cpu >= nr_cpu_ids || !cpu_possible(cpu)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "no such CPU on this machine (see /sys/devices/system/cpu/possible)");
		return -EINVAL;
	}
	p->cpu = cpu;
	return 0;
}

/*
 * RFC 9611's fallback SA asks for the per-CPU SAs of the CPUs it carries
 * packets for. Only an outbound SA for any CPU can be one: an inbound SA
 * is not chosen by the sending CPU, and an SA with a CPU is what the
 * ACQUIRE asks for, not what raises it. The flags cannot change later
 * (SA_UPDATE refuses them), so this holds for the SA's life.
 */
static int check_pcpu_acquire(const struct nlattr *flags,
			      const struct kesp_sa_params *p,
			      struct netlink_ext_ack *extack)
{
	if (!(p->flags & KESP_SA_F_PCPU_ACQUIRE))
		return 0;
	if (p->dir != KESP_DIR_OUT) {
		NL_SET_ERR_MSG_ATTR(extack, flags,
				    "per-CPU ACQUIRE is for outbound SAs: inbound ones take packets from any CPU");
		return -EINVAL;
	}
	if (p->cpu != KESP_CPU_ANY) {
		NL_SET_ERR_MSG_ATTR(extack, flags,
				    "per-CPU ACQUIRE marks the fallback SA, which has no CPU: an SA with a CPU is what it asks for");
		return -EINVAL;
	}
	return 0;
}

/*
 * A per-CPU SA exists to keep its flow's work on its CPU, while the other
 * CPUs are busy with their own: handing its crypto to them would undo it
 * (measured: two flows on two per-CPU SAs, each also spread, moved a third
 * of what they did without).
 */
static int check_parallel(const struct nlattr *flags,
			  const struct kesp_sa_params *p,
			  struct netlink_ext_ack *extack)
{
	if ((p->flags & KESP_SA_F_PARALLEL) && p->cpu != KESP_CPU_ANY) {
		NL_SET_ERR_MSG_ATTR(extack, flags,
				    "a per-CPU SA keeps its crypto on its CPU: flag parallel is for SAs without one");
		return -EINVAL;
	}
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
	ret = kesp_nl_parse_endpoints(attrs, &p->src, &p->dst, &p->family, extack);
	if (ret)
		return ret;
	if (attrs[KESP_SA_A_REQID])
		p->reqid = nla_get_u32(attrs[KESP_SA_A_REQID]);
	if (attrs[KESP_SA_A_FLAGS]) {
		p->flags = nla_get_u32(attrs[KESP_SA_A_FLAGS]);
		if (p->flags & ~KESP_SA_F_KNOWN) {
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
	ret = parse_cpu(attrs[KESP_SA_A_CPU], p, extack);
	if (ret)
		return ret;
	ret = check_pcpu_acquire(attrs[KESP_SA_A_FLAGS], p, extack);
	if (!ret)
		ret = check_parallel(attrs[KESP_SA_A_FLAGS], p, extack);
	if (ret)
		return ret;
	if (attrs[KESP_SA_A_SEQ]) {
		p->seq = nla_get_u64(attrs[KESP_SA_A_SEQ]);
		if (p->seq > U32_MAX && !(p->flags & KESP_SA_F_ESN)) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[KESP_SA_A_SEQ],
					    "a sequence number above 2^32-1 needs ESN");
			return -EINVAL;
		}
	}
	ret = kesp_nl_parse_lifetime(attrs[KESP_SA_A_LIFETIME], &p->lft, extack);
	if (ret)
		return ret;
	if (attrs[KESP_SA_A_ENCAP]) {
		ret = kesp_nl_parse_encap(attrs[KESP_SA_A_ENCAP], &p->encap_type,
					  &p->encap_sport, &p->encap_dport, extack);
		if (ret)
			return ret;
	}
	/* Last, so that nothing after it can fail and leak the set. */
	if (attrs[KESP_SA_A_SELECTORS])
		ret = kesp_nl_parse_selectors(attrs[KESP_SA_A_SELECTORS],
					      kesp_nl_transport_family(p->mode, p->family),
					      &p->sels, extack);
	return ret;
}

/* SA_NEW and SA_UPDATE with KESP_SA_A_BRIEF_REPLY: what names the SA. */
static int reply_sa_brief(struct genl_info *info, const struct kesp_sa *sa,
			  struct sk_buff **msg)
{
	size_t size = 3 * nla_total_size(sizeof(u32)) +
		      nla_total_size(sizeof(u8));
	void *hdr;

	*msg = genlmsg_new(size, GFP_KERNEL);
	if (!*msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(*msg, info, &kesp_nl_family, 0,
				KESP_CMD_SA_GET);
	/* The size above is fixed: a failure is a bug, not the caller's. */
	if (WARN_ON_ONCE(!hdr ||
			 nla_put_u32(*msg, KESP_SA_A_IFINDEX,
				     sa->kd->dev->ifindex) ||
			 nla_put_u32(*msg, KESP_SA_A_ID, sa->id) ||
			 nla_put_u8(*msg, KESP_SA_A_DIR, sa->dir) ||
			 nla_put_u32(*msg, KESP_SA_A_SPI, sa->spi))) {
		nlmsg_free(*msg);
		*msg = NULL;
		return -EMSGSIZE;
	}
	genlmsg_end(*msg, hdr);
	return 0;
}

static int reply_sa(struct genl_info *info, const struct kesp_sa *sa,
		    struct sk_buff **msg)
{
	size_t size = kesp_nl_sa_size(sa);
	int ret;

	if (info->attrs[KESP_SA_A_BRIEF_REPLY] &&
	    info->genlhdr->cmd != KESP_CMD_SA_GET)
		return reply_sa_brief(info, sa, msg);
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

int kesp_nl_sa_new_doit(struct sk_buff *skb, struct genl_info *info)
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
	ret = kesp_nl_parse_algs(info->attrs, &alg, info->extack);
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
	kesp_nl_wipe_keys(info->attrs);
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
			if (kesp_nl_parse_addr(attrs[KESP_SA_A_DST], &dst, &family,
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

int kesp_nl_sa_get_doit(struct sk_buff *skb, struct genl_info *info)
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

int kesp_nl_sa_del_doit(struct sk_buff *skb, struct genl_info *info)
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

int kesp_nl_sa_update_doit(struct sk_buff *skb, struct genl_info *info)
{
	static const int allowed[] = { KESP_SA_A_IFINDEX, KESP_SA_A_ID,
				       KESP_SA_A_DIR, KESP_SA_A_SPI,
				       KESP_SA_A_SRC, KESP_SA_A_DST,
				       KESP_SA_A_LIFETIME, KESP_SA_A_SELECTORS,
				       KESP_SA_A_ENCAP, KESP_SA_A_BRIEF_REPLY };
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
		ret = kesp_nl_parse_endpoints(attrs, &src, &dst, &family, info->extack);
		if (ret)
			goto out_unlock;
		if (kesp_nl_transport_family(sa->mode, sa->family) &&
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
		ret = kesp_nl_parse_lifetime(attrs[KESP_SA_A_LIFETIME], &lft,
					     info->extack);
		if (ret)
			goto out_unlock;
	}
	if (attrs[KESP_SA_A_ENCAP]) {
		ret = kesp_nl_parse_encap(attrs[KESP_SA_A_ENCAP], &encap_type, &sport,
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

		ret = kesp_nl_parse_selectors(attrs[KESP_SA_A_SELECTORS],
					      kesp_nl_transport_family(sa->mode, sa->family),
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
	if (move || attrs[KESP_SA_A_ENCAP]) {
		kesp_sa_endpoint_begin(sa);
		if (move) {
			sa->family = family;
			sa->src = src;
			sa->dst = dst;
		}
		if (attrs[KESP_SA_A_ENCAP]) {
			sa->encap_sport = sport;
			sa->encap_dport = dport;
		}
		kesp_sa_endpoint_end(sa);
	}
	ret = reply_sa(info, sa, &msg);
out_unlock:
	mutex_unlock(&kesp_underlay(kd)->sad_lock);
	if (msg)
		ret = genlmsg_reply(msg, info);
	dev_put(dev);
out_wipe:
	kesp_nl_wipe_keys(attrs);
	return ret;
}

int kesp_nl_spi_alloc_doit(struct sk_buff *skb, struct genl_info *info)
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
	hdr = genlmsg_put_reply(msg, info, &kesp_nl_family, 0,
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

	ret = nlmsg_parse(nlh, GENL_HDRLEN, tb, KESP_SA_A_MAX, kesp_nl_sa_policy,
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
int kesp_nl_sa_get_start(struct netlink_callback *cb)
{
	cb->min_dump_alloc = genlmsg_total_size(sa_msg_size(KESP_SELECTORS_MAX,
							    NULL, NULL));
	return 0;
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

int kesp_nl_sa_get_dumpit(struct sk_buff *skb,
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
	return kesp_nl_dump_each_dev(skb, cb, dump_dev_sas);
}

int kesp_nl_sa_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct net_device *dev;
	struct sa_filter f;
	int ret, from = 0;

	ret = parse_filter(info->nlhdr, &f, info->extack);
	if (ret)
		return ret;
	if (f.ifindex) {
		dev = kesp_nl_lookup_dev(net, info->attrs[KESP_SA_A_IFINDEX], NULL,
					 info->extack);
		if (IS_ERR(dev))
			return PTR_ERR(dev);
		dev_put(dev);
		from = f.ifindex;
	}
	while ((dev = kesp_nl_next_dev(net, from))) {
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
