// SPDX-License-Identifier: GPL-2.0
/*
 * The real kernel backend: kesp.ko's generic netlink family through the
 * shared client (lib/kesp_nl.c, the one place that speaks it), and
 * rtnetlink (rtnl.c) for the device, rules and routes. Every request
 * carries what uapi/linux/kesp.h documents; every refusal keeps the
 * kernel's extended-ack text in k->error for the daemon's log line.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kesp.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "daemon.h"
#include "kesp_nl.h"
#include "rtnl.h"

struct kesp_kernel {
	struct kernel k;
	struct kesp_nl nl;
	struct rtnl rt;
	/* KESP_MCGRP_EVENTS, on a socket of its own (kesp_nl.h); fd -1: none. */
	struct kesp_nl ev;
};

static struct kesp_kernel *K(struct kernel *k)
{
	return (struct kesp_kernel *)k;
}

/* Sends REQ and records the reason of a failure. */
static int call(struct kesp_kernel *kk, struct nl_msg *req, kesp_nl_msg_fn on_reply, void *arg,
		const char *what)
{
	int rc;

	if (!req) {
		snprintf(kk->k.error, sizeof(kk->k.error), "%s: out of memory", what);
		return -ENOMEM;
	}
	rc = kesp_nl_call(&kk->nl, req, on_reply, arg);
	if (rc < 0)
		snprintf(kk->k.error, sizeof(kk->k.error), "%s: %s%s%s%s", what,
			 kk->nl.error[0] ? kk->nl.error : strerror(-rc),
			 kk->nl.error[0] ? " (" : "", kk->nl.error[0] ? strerror(-rc) : "",
			 kk->nl.error[0] ? ")" : "");
	return rc;
}

static struct nlattr *attrs_of(struct nl_msg *msg, struct nlattr **tb, int max)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (genlmsg_parse(nlh, 0, tb, max, NULL) < 0)
		return NULL;
	return (struct nlattr *)1;
}

/* ---- devices ------------------------------------------------------------- */

static int on_dev(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[KESP_DEV_A_MAX + 1];
	uint32_t *mark = arg;

	if (!attrs_of(msg, tb, KESP_DEV_A_MAX))
		return -1;
	*mark = tb[KESP_DEV_A_FWMARK] ? nla_get_u32(tb[KESP_DEV_A_FWMARK]) : 0;
	return 0;
}

static int dev_setup(struct kernel *k, const char *name, uint32_t fwmark, uint32_t table,
		     uint32_t prio, uint32_t *ifindex)
{
	struct kesp_kernel *kk = K(k);
	struct nl_msg *req;
	uint32_t mark = 0;
	int rc;

	rc = rtnl_link_create(&kk->rt, name, "kesp");
	if (rc && rc != -EEXIST) {
		snprintf(k->error, sizeof(k->error), "%s", kk->rt.error);
		return rc;
	}
	*ifindex = if_nametoindex(name);
	if (!*ifindex) {
		snprintf(k->error, sizeof(k->error), "device %s vanished", name);
		return -ENODEV;
	}
	if (rtnl_link_up(&kk->rt, *ifindex)) {
		snprintf(k->error, sizeof(k->error), "%s", kk->rt.error);
		return -EIO;
	}
	req = kesp_nl_request(&kk->nl, KESP_CMD_DEV_GET, 0);
	if (req && nla_put_u32(req, KESP_DEV_A_IFINDEX, *ifindex) < 0) {
		kesp_nl_free_request(req);
		req = NULL;
	}
	rc = call(kk, req, on_dev, &mark, "reading the device");
	if (rc)
		return rc;
	if (mark && mark != fwmark) {
		snprintf(k->error, sizeof(k->error), "%s has fwmark 0x%x, ikehelper uses 0x%x "
			 "(ikehelper { fwmark = ... })", name, mark, fwmark);
		return -EEXIST;
	}
	if (!mark) {
		req = kesp_nl_request(&kk->nl, KESP_CMD_DEV_SET, 0);
		if (req && (nla_put_u32(req, KESP_DEV_A_IFINDEX, *ifindex) < 0 ||
			    nla_put_u32(req, KESP_DEV_A_FWMARK, fwmark) < 0)) {
			kesp_nl_free_request(req);
			req = NULL;
		}
		rc = call(kk, req, NULL, NULL, "setting the device's fwmark");
		if (rc)
			return rc;
	}
	for (int fam = 0; fam < 2; fam++) {
		rc = rtnl_rule_not_fwmark(&kk->rt, fam ? AF_INET6 : AF_INET, fwmark, table, prio);
		/* A host without IPv6 has no IPv6 rules to add. */
		if (rc && !(fam && rc == -EAFNOSUPPORT)) {
			snprintf(k->error, sizeof(k->error), "%s", kk->rt.error);
			return rc;
		}
	}
	return 0;
}

static int encap_attach(struct kernel *k, uint32_t ifindex, int fd)
{
	struct kesp_kernel *kk = K(k);
	struct nl_msg *req = kesp_nl_request(&kk->nl, KESP_CMD_ENCAP_ATTACH, 0);

	if (req && (nla_put_u32(req, KESP_DEV_A_IFINDEX, ifindex) < 0 ||
		    nla_put_u32(req, KESP_DEV_A_ENCAP_FD, (uint32_t)fd) < 0)) {
		kesp_nl_free_request(req);
		req = NULL;
	}
	return call(kk, req, NULL, NULL, "attaching the NAT-T socket");
}

/* ---- SAs ----------------------------------------------------------------- */

static int on_spi(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[KESP_SA_A_MAX + 1];

	if (!attrs_of(msg, tb, KESP_SA_A_MAX) || !tb[KESP_SA_A_SPI])
		return -1;
	*(uint32_t *)arg = nla_get_u32(tb[KESP_SA_A_SPI]);
	return 0;
}

static int spi_alloc(struct kernel *k, uint32_t ifindex, uint32_t *spi)
{
	struct kesp_kernel *kk = K(k);
	struct nl_msg *req = kesp_nl_request(&kk->nl, KESP_CMD_SPI_ALLOC, 0);

	*spi = 0;
	if (req && nla_put_u32(req, KESP_SA_A_IFINDEX, ifindex) < 0) {
		kesp_nl_free_request(req);
		req = NULL;
	}
	return call(kk, req, on_spi, spi, "SPI_ALLOC");
}

static int put_alg(struct nl_msg *msg, int type, const char *name, const uint8_t *key,
		   size_t len, uint32_t icv_bits)
{
	struct nlattr *nest = nla_nest_start(msg, type | NLA_F_NESTED);

	if (!nest || nla_put_string(msg, KESP_ALG_A_NAME, name) < 0 ||
	    nla_put(msg, KESP_ALG_A_KEY, (int)len, key) < 0 ||
	    (icv_bits && nla_put_u32(msg, KESP_ALG_A_ICV_BITS, icv_bits) < 0))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

static bool full_ports(const struct ts *t)
{
	return t->port_lo == 0 && t->port_hi == 65535;
}

static int put_sel(struct nl_msg *msg, int type, const struct kernel_sel *s)
{
	struct nlattr *nest = nla_nest_start(msg, type | NLA_F_NESTED);
	int len = (int)addr_len(s->src.family);
	uint8_t proto = s->src.proto ? s->src.proto : s->dst.proto;
	bool icmp = proto == 1 || proto == 58;
	uint16_t sp_lo = s->src.port_lo, sp_hi = s->src.port_hi;
	uint16_t dp_lo = s->dst.port_lo, dp_hi = s->dst.port_hi;
	bool has_sport = !full_ports(&s->src), has_dport = !full_ports(&s->dst);

	if (icmp) {
		/* IKE carries ICMP type and code as type << 8 | code in one
		 * side's ports (RFC 4301 §4.4.1.3); kesp.ko wants the type in
		 * SPORT and the code in DPORT. */
		const struct ts *t = has_sport ? &s->src : &s->dst;

		has_sport = has_dport = has_sport || has_dport;
		sp_lo = t->port_lo >> 8;
		sp_hi = t->port_hi >> 8;
		dp_lo = sp_lo == sp_hi ? t->port_lo & 0xff : 0;
		dp_hi = sp_lo == sp_hi ? t->port_hi & 0xff : 255;
	}
	if (!nest || nla_put_u16(msg, KESP_SEL_A_FAMILY, s->src.family) < 0 ||
	    nla_put(msg, KESP_SEL_A_SRC_START, len, s->src.lo) < 0 ||
	    nla_put(msg, KESP_SEL_A_SRC_END, len, s->src.hi) < 0 ||
	    nla_put(msg, KESP_SEL_A_DST_START, len, s->dst.lo) < 0 ||
	    nla_put(msg, KESP_SEL_A_DST_END, len, s->dst.hi) < 0 ||
	    (proto && nla_put_u8(msg, KESP_SEL_A_PROTO, proto) < 0) ||
	    (has_sport && (nla_put_u16(msg, KESP_SEL_A_SPORT_START, sp_lo) < 0 ||
			   nla_put_u16(msg, KESP_SEL_A_SPORT_END, sp_hi) < 0)) ||
	    (has_dport && (nla_put_u16(msg, KESP_SEL_A_DPORT_START, dp_lo) < 0 ||
			   nla_put_u16(msg, KESP_SEL_A_DPORT_END, dp_hi) < 0)))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

static int put_sa(struct nl_msg *msg, const struct kernel_sa *sa)
{
	int alen = (int)addr_len(sa->src.family);
	struct nlattr *nest;
	uint32_t flags;

	if (nla_put_u32(msg, KESP_SA_A_IFINDEX, sa->ifindex) < 0 ||
	    nla_put_u8(msg, KESP_SA_A_DIR, (uint8_t)sa->dir) < 0 ||
	    nla_put_u32(msg, KESP_SA_A_SPI, sa->spi) < 0 ||
	    nla_put_u8(msg, KESP_SA_A_MODE, (uint8_t)sa->mode) < 0 ||
	    nla_put(msg, KESP_SA_A_SRC, alen, sa->src.ip) < 0 ||
	    nla_put(msg, KESP_SA_A_DST, alen, sa->dst.ip) < 0 ||
	    nla_put_u32(msg, KESP_SA_A_REQID, sa->reqid) < 0)
		return -1;
	if (sa->aead_name) {
		if (put_alg(msg, KESP_SA_A_AEAD, sa->aead_name, sa->enc_key, sa->enc_key_len,
			    sa->icv_bits))
			return -1;
	} else if (put_alg(msg, KESP_SA_A_ENC, sa->enc_name, sa->enc_key, sa->enc_key_len, 0) ||
		   put_alg(msg, KESP_SA_A_AUTH, sa->auth_name, sa->auth_key, sa->auth_key_len,
			   sa->icv_bits)) {
		return -1;
	}
	flags = (sa->esn ? KESP_SA_F_ESN : 0) | (sa->pcpu_acquire ? KESP_SA_F_PCPU_ACQUIRE : 0) |
		(sa->parallel ? KESP_SA_F_PARALLEL : 0);
	if ((sa->dir == KERNEL_IN &&
	     nla_put_u32(msg, KESP_SA_A_REPLAY_WINDOW, sa->replay_window) < 0) ||
	    (flags && nla_put_u32(msg, KESP_SA_A_FLAGS, flags) < 0) ||
	    (sa->has_cpu && nla_put_u32(msg, KESP_SA_A_CPU, sa->cpu) < 0))
		return -1;
	if (sa->nsel) {
		nest = nla_nest_start(msg, KESP_SA_A_SELECTORS | NLA_F_NESTED);
		if (!nest)
			return -1;
		for (size_t i = 0; i < sa->nsel; i++)
			if (put_sel(msg, KESP_SELECTORS_A_SELECTOR, &sa->sel[i]))
				return -1;
		nla_nest_end(msg, nest);
	}
	if (sa->encap) {
		nest = nla_nest_start(msg, KESP_SA_A_ENCAP | NLA_F_NESTED);
		if (!nest || nla_put_u8(msg, KESP_ENCAP_A_TYPE, KESP_ENCAP_ESPINUDP) < 0 ||
		    nla_put_u16(msg, KESP_ENCAP_A_SPORT, sa->sport) < 0 ||
		    nla_put_u16(msg, KESP_ENCAP_A_DPORT, sa->dport) < 0)
			return -1;
		nla_nest_end(msg, nest);
	}
	if (sa->soft_bytes || sa->hard_bytes || sa->soft_packets || sa->hard_packets) {
		nest = nla_nest_start(msg, KESP_SA_A_LIFETIME | NLA_F_NESTED);
		if (!nest ||
		    (sa->soft_bytes && nla_put_u64(msg, KESP_LFT_A_SOFT_BYTES, sa->soft_bytes) < 0) ||
		    (sa->hard_bytes && nla_put_u64(msg, KESP_LFT_A_HARD_BYTES, sa->hard_bytes) < 0) ||
		    (sa->soft_packets &&
		     nla_put_u64(msg, KESP_LFT_A_SOFT_PACKETS, sa->soft_packets) < 0) ||
		    (sa->hard_packets &&
		     nla_put_u64(msg, KESP_LFT_A_HARD_PACKETS, sa->hard_packets) < 0))
			return -1;
		nla_nest_end(msg, nest);
	}
	return 0;
}

static int on_sa_id(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[KESP_SA_A_MAX + 1];

	if (!attrs_of(msg, tb, KESP_SA_A_MAX) || !tb[KESP_SA_A_ID])
		return -1;
	*(uint32_t *)arg = nla_get_u32(tb[KESP_SA_A_ID]);
	return 0;
}

static int sa_add(struct kernel *k, const struct kernel_sa *sa, uint32_t *id)
{
	struct kesp_kernel *kk = K(k);
	struct nl_msg *req = kesp_nl_request(&kk->nl, KESP_CMD_SA_NEW, 0);

	*id = 0;
	/* The id is all ikehelper reads of the answer. */
	if (req && (put_sa(req, sa) || kesp_nl_put_brief_reply(&kk->nl, req) < 0)) {
		kesp_nl_free_request(req);
		req = NULL;
	}
	/* The request held keys: kesp_nl_call wipes it. */
	return call(kk, req, on_sa_id, id, "SA_NEW");
}

static struct nl_msg *sa_key(struct kesp_kernel *kk, uint8_t cmd, uint32_t ifindex, uint32_t id)
{
	struct nl_msg *req = kesp_nl_request(&kk->nl, cmd, 0);

	if (req && (nla_put_u32(req, KESP_SA_A_IFINDEX, ifindex) < 0 ||
		    nla_put_u32(req, KESP_SA_A_ID, id) < 0)) {
		kesp_nl_free_request(req);
		return NULL;
	}
	return req;
}

static int sa_del(struct kernel *k, uint32_t ifindex, uint32_t id)
{
	struct kesp_kernel *kk = K(k);

	return call(kk, sa_key(kk, KESP_CMD_SA_DEL, ifindex, id), NULL, NULL, "SA_DEL");
}

static int sa_move(struct kernel *k, uint32_t ifindex, uint32_t id, const struct addr *src,
		   const struct addr *dst, bool encap, uint16_t sport, uint16_t dport)
{
	struct kesp_kernel *kk = K(k);
	struct nl_msg *req = sa_key(kk, KESP_CMD_SA_UPDATE, ifindex, id);
	int alen = (int)addr_len(src->family);
	struct nlattr *nest;

	if (req && (nla_put(req, KESP_SA_A_SRC, alen, src->ip) < 0 ||
		    nla_put(req, KESP_SA_A_DST, alen, dst->ip) < 0)) {
		kesp_nl_free_request(req);
		req = NULL;
	}
	if (req && encap) {
		nest = nla_nest_start(req, KESP_SA_A_ENCAP | NLA_F_NESTED);
		if (!nest || nla_put_u8(req, KESP_ENCAP_A_TYPE, KESP_ENCAP_ESPINUDP) < 0 ||
		    nla_put_u16(req, KESP_ENCAP_A_SPORT, sport) < 0 ||
		    nla_put_u16(req, KESP_ENCAP_A_DPORT, dport) < 0) {
			kesp_nl_free_request(req);
			req = NULL;
		} else {
			nla_nest_end(req, nest);
		}
	}
	if (req && kesp_nl_put_brief_reply(&kk->nl, req) < 0) {
		kesp_nl_free_request(req);
		req = NULL;
	}
	return call(kk, req, NULL, NULL, "SA_UPDATE");
}

static int on_counters(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[KESP_SA_A_MAX + 1], *cnt[KESP_CNT_A_MAX + 1];
	struct kernel_counters *c = arg;

	if (!attrs_of(msg, tb, KESP_SA_A_MAX))
		return -1;
	if (!tb[KESP_SA_A_COUNTERS] || nla_parse_nested(cnt, KESP_CNT_A_MAX, tb[KESP_SA_A_COUNTERS],
							NULL) < 0)
		return 0;
	if (cnt[KESP_CNT_A_PACKETS])
		c->packets = nla_get_u64(cnt[KESP_CNT_A_PACKETS]);
	if (cnt[KESP_CNT_A_BYTES])
		c->bytes = nla_get_u64(cnt[KESP_CNT_A_BYTES]);
	if (cnt[KESP_CNT_A_REPLAY_ERRORS])
		c->replay_errors = nla_get_u64(cnt[KESP_CNT_A_REPLAY_ERRORS]);
	if (cnt[KESP_CNT_A_AUTH_ERRORS])
		c->auth_errors = nla_get_u64(cnt[KESP_CNT_A_AUTH_ERRORS]);
	return 0;
}

static int sa_counters(struct kernel *k, uint32_t ifindex, uint32_t id, struct kernel_counters *c)
{
	struct kesp_kernel *kk = K(k);

	memset(c, 0, sizeof(*c));
	return call(kk, sa_key(kk, KESP_CMD_SA_GET, ifindex, id), on_counters, c, "SA_GET");
}

/* An address attribute (4 or 16 bytes) into A; family 0 otherwise. */
static void attr_addr(const struct nlattr *at, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!at || (nla_len(at) != 4 && nla_len(at) != 16))
		return;
	a->family = nla_len(at) == 4 ? AF_INET : AF_INET6;
	memcpy(a->ip, nla_data(at), (size_t)nla_len(at));
}

struct sa_list_ctx {
	kernel_sa_fn fn;
	void *arg;
};

static int on_sa_listed(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[KESP_SA_A_MAX + 1];
	struct sa_list_ctx *l = arg;
	struct kernel_sa_id id = { 0 };

	if (!attrs_of(msg, tb, KESP_SA_A_MAX) || !tb[KESP_SA_A_ID] || !tb[KESP_SA_A_DIR] ||
	    !tb[KESP_SA_A_SPI])
		return -1;
	id.id = nla_get_u32(tb[KESP_SA_A_ID]);
	id.dir = nla_get_u8(tb[KESP_SA_A_DIR]) == KESP_DIR_IN ? KERNEL_IN : KERNEL_OUT;
	id.spi = nla_get_u32(tb[KESP_SA_A_SPI]);
	id.reqid = tb[KESP_SA_A_REQID] ? nla_get_u32(tb[KESP_SA_A_REQID]) : 0;
	attr_addr(tb[KESP_SA_A_SRC], &id.src);
	attr_addr(tb[KESP_SA_A_DST], &id.dst);
	l->fn(l->arg, &id);
	return 0;
}

static int sa_list(struct kernel *k, uint32_t ifindex, kernel_sa_fn fn, void *arg)
{
	struct kesp_kernel *kk = K(k);
	struct nl_msg *req = kesp_nl_request(&kk->nl, KESP_CMD_SA_GET, NLM_F_DUMP);
	struct sa_list_ctx l = { fn, arg };

	if (req && nla_put_u32(req, KESP_SA_A_IFINDEX, ifindex) < 0) {
		kesp_nl_free_request(req);
		req = NULL;
	}
	return call(kk, req, on_sa_listed, &l, "SA_GET (dump)");
}

/* ---- routes and addresses ------------------------------------------------ */

static int route_add(struct kernel *k, const struct kernel_route *r)
{
	int rc = rtnl_route_add(&K(k)->rt, r);

	if (rc)
		snprintf(k->error, sizeof(k->error), "%s", K(k)->rt.error);
	return rc;
}

static int route_del(struct kernel *k, const struct kernel_route *r)
{
	int rc = rtnl_route_del(&K(k)->rt, r);

	if (rc)
		snprintf(k->error, sizeof(k->error), "%s", K(k)->rt.error);
	return rc;
}

struct addr_in {
	const struct ts *ts;
	struct addr *out;
};

static int addr_in_ts(const struct addr *a, void *arg)
{
	struct addr_in *ai = arg;

	if (!ts_contains_addr(ai->ts, a))
		return 0;
	*ai->out = *a;
	return 1;
}

static int local_addr_in(struct kernel *k, const struct ts *ts, struct addr *out)
{
	struct addr_in ai = { ts, out };
	int rc = rtnl_addr_walk(&K(k)->rt, addr_in_ts, &ai);

	return rc == 1 ? 0 : rc < 0 ? rc : -ENOENT;
}

static int addr_add(struct kernel *k, uint32_t ifindex, const struct addr *a, uint8_t bits)
{
	int rc = rtnl_addr(&K(k)->rt, true, ifindex, a, bits);

	if (rc)
		snprintf(k->error, sizeof(k->error), "%s", K(k)->rt.error);
	return rc;
}

static int addr_del(struct kernel *k, uint32_t ifindex, const struct addr *a, uint8_t bits)
{
	int rc = rtnl_addr(&K(k)->rt, false, ifindex, a, bits);

	if (rc)
		snprintf(k->error, sizeof(k->error), "%s", K(k)->rt.error);
	return rc;
}

/* ---- traps --------------------------------------------------------------- */

static int on_trap_id(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[KESP_TRAP_A_MAX + 1];

	if (!attrs_of(msg, tb, KESP_TRAP_A_MAX) || !tb[KESP_TRAP_A_ID])
		return -1;
	*(uint32_t *)arg = nla_get_u32(tb[KESP_TRAP_A_ID]);
	return 0;
}

static int trap_add(struct kernel *k, uint32_t ifindex, const struct kernel_sel *sel,
		    uint32_t reqid, uint32_t *id)
{
	struct kesp_kernel *kk = K(k);
	struct nl_msg *req = kesp_nl_request(&kk->nl, KESP_CMD_TRAP_ADD, 0);

	*id = 0;
	if (req && (nla_put_u32(req, KESP_TRAP_A_IFINDEX, ifindex) < 0 ||
		    nla_put_u32(req, KESP_TRAP_A_REQID, reqid) < 0 ||
		    put_sel(req, KESP_TRAP_A_SELECTOR, sel))) {
		kesp_nl_free_request(req);
		req = NULL;
	}
	return call(kk, req, on_trap_id, id, "TRAP_ADD");
}

static int trap_del(struct kernel *k, uint32_t ifindex, uint32_t id)
{
	struct kesp_kernel *kk = K(k);
	struct nl_msg *req = kesp_nl_request(&kk->nl, KESP_CMD_TRAP_DEL, 0);

	if (req && (nla_put_u32(req, KESP_TRAP_A_IFINDEX, ifindex) < 0 ||
		    nla_put_u32(req, KESP_TRAP_A_ID, id) < 0)) {
		kesp_nl_free_request(req);
		req = NULL;
	}
	return call(kk, req, NULL, NULL, "TRAP_DEL");
}

/* ---- events (KESP_MCGRP_EVENTS) ------------------------------------------ */

static void get_addr(const struct nlattr *a, uint16_t family, uint8_t *out)
{
	size_t len = addr_len(family);

	if (a && (size_t)nla_len(a) == len)
		memcpy(out, nla_data(a), len);
}

/* A selector nest into SEL (kesp.ko's ICMP type/code back in IKE's form). */
static int parse_sel(struct nlattr *nest, struct kernel_sel *sel)
{
	struct nlattr *tb[KESP_SEL_A_MAX + 1];
	uint16_t family;
	uint8_t proto;

	if (!nest || nla_parse_nested(tb, KESP_SEL_A_MAX, nest, NULL) < 0 ||
	    !tb[KESP_SEL_A_FAMILY])
		return -1;
	family = nla_get_u16(tb[KESP_SEL_A_FAMILY]);
	if (family != AF_INET && family != AF_INET6)
		return -1;
	proto = tb[KESP_SEL_A_PROTO] ? nla_get_u8(tb[KESP_SEL_A_PROTO]) : 0;
	memset(sel, 0, sizeof(*sel));
	for (int side = 0; side < 2; side++) {
		struct ts *t = side ? &sel->dst : &sel->src;
		int base = side ? KESP_SEL_A_DST_START : KESP_SEL_A_SRC_START;
		int pbase = side ? KESP_SEL_A_DPORT_START : KESP_SEL_A_SPORT_START;

		t->family = family;
		t->proto = proto;
		memset(t->hi, 0xff, addr_len(family));
		get_addr(tb[base], family, t->lo);
		get_addr(tb[base + 1], family, t->hi);
		t->port_lo = tb[pbase] ? nla_get_u16(tb[pbase]) : 0;
		t->port_hi = tb[pbase + 1] ? nla_get_u16(tb[pbase + 1]) : 65535;
	}
	if (proto == 1 || proto == 58) {
		/* Type in SPORT, code in DPORT: IKE has type << 8 | code in the
		 * source side's ports, and the destination's open. */
		sel->src.port_lo = (uint16_t)(sel->src.port_lo << 8 | (sel->dst.port_lo & 0xff));
		sel->src.port_hi = (uint16_t)(sel->src.port_hi << 8 | (sel->dst.port_hi & 0xff));
		sel->dst.port_lo = 0;
		sel->dst.port_hi = 65535;
	}
	return 0;
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct kesp_kernel *kk = arg;
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct kernel_event ev = { 0 };

	if (gh->cmd == KESP_CMD_SA_EXPIRE || gh->cmd == KESP_CMD_SA_MAPPING) {
		struct nlattr *tb[KESP_SA_A_MAX + 1];

		if (!attrs_of(msg, tb, KESP_SA_A_MAX) || !tb[KESP_SA_A_IFINDEX] ||
		    !tb[KESP_SA_A_ID] || !tb[KESP_SA_A_DIR] || !tb[KESP_SA_A_SPI])
			return -1;
		ev.type = gh->cmd == KESP_CMD_SA_EXPIRE ? KERNEL_EV_EXPIRE : KERNEL_EV_MAPPING;
		ev.ifindex = nla_get_u32(tb[KESP_SA_A_IFINDEX]);
		ev.id = nla_get_u32(tb[KESP_SA_A_ID]);
		ev.dir = nla_get_u8(tb[KESP_SA_A_DIR]) == KESP_DIR_IN ? KERNEL_IN : KERNEL_OUT;
		ev.spi = nla_get_u32(tb[KESP_SA_A_SPI]);
		ev.reqid = tb[KESP_SA_A_REQID] ? nla_get_u32(tb[KESP_SA_A_REQID]) : 0;
		ev.hard = tb[KESP_SA_A_EXPIRE_HARD] != NULL;
		ev.reason = tb[KESP_SA_A_EXPIRE_REASON] ?
			    (enum kernel_expire_reason)nla_get_u8(tb[KESP_SA_A_EXPIRE_REASON]) : 0;
		if (ev.type == KERNEL_EV_MAPPING) {
			struct nlattr *a = tb[KESP_SA_A_MAPPING_SRC];

			if (!a || !tb[KESP_SA_A_MAPPING_SPORT] ||
			    (nla_len(a) != 4 && nla_len(a) != 16))
				return -1;
			ev.new_src.family = nla_len(a) == 4 ? AF_INET : AF_INET6;
			memcpy(ev.new_src.ip, nla_data(a), (size_t)nla_len(a));
			ev.new_sport = nla_get_u16(tb[KESP_SA_A_MAPPING_SPORT]);
		}
	} else if (gh->cmd == KESP_CMD_ACQUIRE) {
		struct nlattr *tb[KESP_TRAP_A_MAX + 1];

		/* A trap's (its id) or a fallback SA's (the SA and the CPU). */
		if (!attrs_of(msg, tb, KESP_TRAP_A_MAX) || !tb[KESP_TRAP_A_IFINDEX] ||
		    (!tb[KESP_TRAP_A_ID] && (!tb[KESP_TRAP_A_SA_ID] || !tb[KESP_TRAP_A_CPU])) ||
		    parse_sel(tb[KESP_TRAP_A_PACKET], &ev.packet))
			return -1;
		ev.type = KERNEL_EV_ACQUIRE;
		ev.ifindex = nla_get_u32(tb[KESP_TRAP_A_IFINDEX]);
		ev.reqid = tb[KESP_TRAP_A_REQID] ? nla_get_u32(tb[KESP_TRAP_A_REQID]) : 0;
		if (tb[KESP_TRAP_A_ID]) {
			ev.id = nla_get_u32(tb[KESP_TRAP_A_ID]);
		} else {
			ev.has_cpu = true;
			ev.sa_id = nla_get_u32(tb[KESP_TRAP_A_SA_ID]);
			ev.cpu = nla_get_u32(tb[KESP_TRAP_A_CPU]);
		}
	} else {
		return 0;	/* a command of a later module: not ours */
	}
	if (kk->k.on_event)
		kk->k.on_event(kk->k.event_arg, &ev);
	return 0;
}

static int events_fd(struct kernel *k)
{
	return K(k)->ev.fd;
}

static void events_read(struct kernel *k)
{
	struct kesp_kernel *kk = K(k);
	int rc = kesp_nl_receive(&kk->ev);

	if (rc == -ENOBUFS)
		log_msg(LOG_KNL, 0, "kesp.ko's events overflowed our socket: some expiry, acquire "
			"or mapping events were lost");
	else if (rc == -EPROTO)
		log_msg(LOG_KNL, 0, "a malformed kesp.ko event was ignored");
	else if (rc < 0)
		log_msg(LOG_KNL, 0, "reading kesp.ko's events: %s", strerror(-rc));
}

static void destroy(struct kernel *k)
{
	struct kesp_kernel *kk = K(k);

	kesp_nl_close(&kk->ev);
	kesp_nl_close(&kk->nl);
	rtnl_close(&kk->rt);
	free(kk);
}

static const struct kernel_ops kesp_ops = {
	.dev_setup = dev_setup,
	.encap_attach = encap_attach,
	.spi_alloc = spi_alloc,
	.sa_add = sa_add,
	.sa_del = sa_del,
	.sa_move = sa_move,
	.sa_counters = sa_counters,
	.sa_list = sa_list,
	.route_add = route_add,
	.route_del = route_del,
	.local_addr_in = local_addr_in,
	.addr_add = addr_add,
	.addr_del = addr_del,
	.trap_add = trap_add,
	.trap_del = trap_del,
	.events_fd = events_fd,
	.events_read = events_read,
	.destroy = destroy,
};

struct kernel *kernel_kesp_new(char *why, size_t whylen)
{
	struct kesp_kernel *kk = calloc(1, sizeof(*kk));
	int rc;

	if (!kk) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	kk->k.ops = &kesp_ops;
	rc = kesp_nl_open(&kk->nl);
	if (rc < 0) {
		snprintf(why, whylen, "%s", kk->nl.error[0] ? kk->nl.error : strerror(-rc));
		free(kk);
		return NULL;
	}
	if (rtnl_open(&kk->rt)) {
		snprintf(why, whylen, "%s", kk->rt.error);
		kesp_nl_close(&kk->nl);
		free(kk);
		return NULL;
	}
	/* Without events the tunnels still work, but volume limits, traps and
	 * NAT mapping changes go unnoticed: say so, and go on. */
	kk->ev.fd = -1;
	if (kesp_nl_open(&kk->ev) < 0 || kesp_nl_join(&kk->ev, KESP_MCGRP_EVENTS, on_event, kk) < 0) {
		log_msg(LOG_KNL, 0, "cannot join kesp.ko's events group: %s", kk->ev.error);
		kesp_nl_close(&kk->ev);
		kk->ev.fd = -1;
	}
	return &kk->k;
}
