// SPDX-License-Identifier: GPL-2.0
/*
 * Attribute sets that several objects of the family share (addresses,
 * selectors, algorithms, lifetimes, encapsulation): their policies, and
 * parsing them out of requests and putting them into replies and events.
 */
#include <linux/crypto.h>
#include <linux/kesp.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "crypto.h"
#include "netlink.h"

const struct nla_policy kesp_nl_encap_policy[KESP_ENCAP_A_MAX + 1] = {
	[KESP_ENCAP_A_TYPE] = NLA_POLICY_RANGE(NLA_U8, KESP_ENCAP_ESPINUDP,
					       KESP_ENCAP_ESPINUDP),
	[KESP_ENCAP_A_SPORT] = NLA_POLICY_MIN(NLA_U16, 1),
	[KESP_ENCAP_A_DPORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

const struct nla_policy kesp_nl_alg_policy[KESP_ALG_A_MAX + 1] = {
	[KESP_ALG_A_NAME] = { .type = NLA_NUL_STRING,
			      .len = CRYPTO_MAX_ALG_NAME - 1 },
	[KESP_ALG_A_KEY] = { .type = NLA_BINARY, .len = KESP_KEY_MAX },
	[KESP_ALG_A_ICV_BITS] = { .type = NLA_U32 },
};

const struct nla_policy kesp_nl_lft_policy[KESP_LFT_A_MAX + 1] = {
	[KESP_LFT_A_SOFT_BYTES] = { .type = NLA_U64 },
	[KESP_LFT_A_HARD_BYTES] = { .type = NLA_U64 },
	[KESP_LFT_A_SOFT_PACKETS] = { .type = NLA_U64 },
	[KESP_LFT_A_HARD_PACKETS] = { .type = NLA_U64 },
	[KESP_LFT_A_SOFT_SECONDS] = { .type = NLA_U64 },
	[KESP_LFT_A_HARD_SECONDS] = { .type = NLA_U64 },
};

const struct nla_policy kesp_nl_sel_policy[KESP_SEL_A_MAX + 1] = {
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

int kesp_nl_put_addr(struct sk_buff *skb, int type, const union kesp_addr *a,
		     u8 family)
{
	return nla_put(skb, type, family == AF_INET ? 4 : 16, a);
}

int kesp_nl_put_alg(struct sk_buff *skb, int type, const char *name,
		    u32 icv_bits)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest || nla_put_string(skb, KESP_ALG_A_NAME, name) ||
	    (icv_bits && nla_put_u32(skb, KESP_ALG_A_ICV_BITS, icv_bits)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

int kesp_nl_put_lifetime(struct sk_buff *skb, const struct kesp_lifetime *l)
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

/* SEL as a nest of TYPE, enum kesp_sel_attr. */
int kesp_nl_put_one_selector(struct sk_buff *skb, int type,
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

int kesp_nl_parse_addr(struct nlattr *attr, union kesp_addr *addr, u8 *family,
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
int kesp_nl_parse_endpoints(struct nlattr **attrs, union kesp_addr *src,
			    union kesp_addr *dst, u8 *family,
			    struct netlink_ext_ack *extack)
{
	u8 src_family, dst_family;

	if (kesp_nl_parse_addr(attrs[KESP_SA_A_SRC], src, &src_family, extack) ||
	    kesp_nl_parse_addr(attrs[KESP_SA_A_DST], dst, &dst_family, extack))
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

int kesp_nl_parse_one_selector(struct nlattr *nest, struct kesp_sel *sel,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KESP_SEL_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, KESP_SEL_A_MAX, nest, kesp_nl_sel_policy, extack);
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
int kesp_nl_parse_selectors(struct nlattr *nest, u8 only_family,
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
		ret = kesp_nl_parse_one_selector(attr, &set->sel[set->n], extack);
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

int kesp_nl_parse_lifetime(struct nlattr *nest, struct kesp_lifetime *l,
			   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KESP_LFT_A_MAX + 1];
	u64 *v[] = { &l->soft_bytes, &l->hard_bytes, &l->soft_packets,
		     &l->hard_packets, &l->soft_seconds, &l->hard_seconds };
	int i, ret;

	memset(l, 0, sizeof(*l));
	if (!nest)
		return 0;
	ret = nla_parse_nested(tb, KESP_LFT_A_MAX, nest, kesp_nl_lft_policy, extack);
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

	ret = nla_parse_nested(tb, KESP_ALG_A_MAX, nest, kesp_nl_alg_policy, extack);
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

int kesp_nl_parse_algs(struct nlattr **attrs, struct kesp_alg_params *alg,
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
void kesp_nl_wipe_keys(struct nlattr **attrs)
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
int kesp_nl_parse_encap(struct nlattr *nest, u8 *type, u16 *sport, u16 *dport,
			struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KESP_ENCAP_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, KESP_ENCAP_A_MAX, nest, kesp_nl_encap_policy,
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
