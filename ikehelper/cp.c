// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration payload (RFC 7296 §3.15) in IKE_AUTH, both halves,
 * and the address pools a gateway leases from.
 *
 * Client (vips = 0.0.0.0, ::): CFG_REQUEST with INTERNAL_IP4_ADDRESS /
 * INTERNAL_IP6_ADDRESS (empty, or the address vips names) and the DNS
 * attributes of those families; our TSi is the whole family until the
 * gateway narrows it to the address it gives. The addresses go on the
 * connection's device (/32, /128: the CHILD_SA's routes say where traffic
 * goes, with them as source) and leave it with the IKE SA; the DNS servers
 * are handed to the child's updown program, which owns the resolver.
 *
 * Gateway (pools = NAME): a lease per family the peer asked for, kept by
 * its identity (the EAP identity after EAP): the same identity gets the
 * same address again, online or not; a new one gets the lowest free
 * address, else the one offline longest; a full pool answers
 * INTERNAL_ADDRESS_FAILURE (§3.10.1: no CHILD_SA in that IKE_AUTH). The
 * peer's dynamic remote selector becomes its leases. strongSwan's
 * attributes/mem_pool.c keeps leases the same way (online, offline by
 * identity); this is ours.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"

#define CFG_REQUEST 1
#define CFG_REPLY 2

#define ATTR_IP4_ADDRESS 1
#define ATTR_IP4_DNS 3
#define ATTR_IP6_ADDRESS 8
#define ATTR_IP6_DNS 10

#define CP_MAX_ATTRS (2 * CONF_MAX_VIPS + 2 * POOL_MAX_DNS)

/* Attributes built in the message's store (aligned for the array). */
static struct ike_cp_attr *add_cp(struct msg_out *m, uint8_t type, size_t n)
{
	struct ike_payload *pl = msg_add(m, IKE_PL_CP);
	uint8_t *raw = msg_alloc(m, n * sizeof(struct ike_cp_attr) + _Alignof(struct ike_cp_attr));
	uintptr_t a = (uintptr_t)raw, al = _Alignof(struct ike_cp_attr);
	struct ike_cp_attr *attr = (struct ike_cp_attr *)((a + al - 1) / al * al);

	pl->u.cp.cfg_type = type;
	pl->u.cp.nattr = 0;
	pl->u.cp.attr = attr;
	return m->overflow ? NULL : attr;
}

static void put_attr(struct msg_out *m, struct ike_cp_attr *attr, uint16_t *n, uint16_t type,
		     const void *val, size_t len)
{
	uint8_t *v = len ? msg_alloc(m, len) : NULL;

	if (m->overflow)
		return;
	if (len)
		memcpy(v, val, len);
	attr[*n].type = type;
	attr[*n].value.p = v;
	attr[*n].value.len = len;
	(*n)++;
}

/* ---- the client ---------------------------------------------------------- */

void cp_add_request(struct ike_sa *sa, struct msg_out *m)
{
	const struct conn *c = sa->conn;
	struct ike_cp_attr *attr = add_cp(m, CFG_REQUEST, CP_MAX_ATTRS);
	struct ike_payload *pl = &m->pl[m->n - 1];
	uint16_t n = 0;

	if (!attr)
		return;
	for (size_t i = 0; i < c->nvips; i++) {
		const struct addr *a = &c->vips[i];
		uint8_t v6[17];

		if (a->family == AF_INET) {
			put_attr(m, attr, &n, ATTR_IP4_ADDRESS, a->ip, addr_is_any(a) ? 0 : 4);
			put_attr(m, attr, &n, ATTR_IP4_DNS, NULL, 0);
		} else {
			memcpy(v6, a->ip, 16);
			v6[16] = 128;
			put_attr(m, attr, &n, ATTR_IP6_ADDRESS, v6, addr_is_any(a) ? 0 : 17);
			put_attr(m, attr, &n, ATTR_IP6_DNS, NULL, 0);
		}
	}
	pl->u.cp.nattr = n;
}

/* A reply's address attribute as an address; false if malformed. */
static bool attr_addr(const struct ike_cp_attr *at, struct addr *a)
{
	bool v6 = at->type == ATTR_IP6_ADDRESS || at->type == ATTR_IP6_DNS;
	size_t want = at->type == ATTR_IP6_ADDRESS ? 17 : v6 ? 16 : 4;

	memset(a, 0, sizeof(*a));
	if (at->value.len != want)
		return false;
	a->family = v6 ? AF_INET6 : AF_INET;
	memcpy(a->ip, at->value.p, v6 ? 16 : 4);
	return !addr_is_any(a);
}

/* Another live IKE SA of ours has A on its device. */
static bool vip_shared(const struct ike_sa *sa, const struct addr *a)
{
	for (const struct ike_sa *o = sa->d->sas; o; o = o->next_all)
		for (size_t i = 0; o != sa && i < o->cp.nvip; i++)
			if (addr_equal(&o->cp.vip[i], a) && o->cp.vip_ifindex == sa->cp.vip_ifindex)
				return true;
	return false;
}

int cp_process_reply(struct ike_sa *sa, const struct ike_msg *m, uint32_t ifindex, char *why,
		     size_t whylen)
{
	const struct conn *c = sa->conn;
	const struct ike_payload *cp = msg_find(m, IKE_PL_CP);
	struct kernel *k = sa->d->kernel;
	char s[ADDR_STRLEN], dns[256];
	size_t off = 0;

	sa->cp.nvip = sa->cp.ndns = 0;
	sa->cp.vip_ifindex = ifindex;
	dns[0] = '\0';
	for (unsigned int i = 0; cp && cp->u.cp.cfg_type == CFG_REPLY && i < cp->u.cp.nattr; i++) {
		const struct ike_cp_attr *at = &cp->u.cp.attr[i];
		struct addr a;
		bool wanted = false;

		if (at->type != ATTR_IP4_ADDRESS && at->type != ATTR_IP6_ADDRESS &&
		    at->type != ATTR_IP4_DNS && at->type != ATTR_IP6_DNS)
			continue;
		if (!attr_addr(at, &a)) {
			sa_log(sa, LOG_IKE, 0, "CP: the gateway's attribute %u has %zu octets, not an "
			       "address: ignored", at->type, at->value.len);
			continue;
		}
		if (at->type == ATTR_IP4_DNS || at->type == ATTR_IP6_DNS) {
			if (sa->cp.ndns < sizeof(sa->cp.dns) / sizeof(sa->cp.dns[0])) {
				sa->cp.dns[sa->cp.ndns++] = a;
				if (off < sizeof(dns))
					off += (size_t)snprintf(dns + off, sizeof(dns) - off, "%s%s",
								off ? ", " : "", addr_str(&a, s, sizeof(s)));
			}
			continue;
		}
		for (size_t j = 0; j < c->nvips; j++)
			wanted = wanted || c->vips[j].family == a.family;
		for (size_t j = 0; j < sa->cp.nvip; j++)
			wanted = wanted && sa->cp.vip[j].family != a.family;
		if (!wanted) {
			sa_log(sa, LOG_IKE, 1, "CP: the gateway gave %s, which we did not ask for: "
			       "ignored", addr_str(&a, s, sizeof(s)));
			continue;
		}
		sa->cp.vip[sa->cp.nvip++] = a;
	}
	for (size_t j = 0; j < c->nvips; j++) {
		bool got = false;

		for (size_t i = 0; i < sa->cp.nvip; i++)
			got = got || sa->cp.vip[i].family == c->vips[j].family;
		if (!got) {
			const struct ike_payload *err = msg_find_error(m);

			snprintf(why, whylen, "the gateway assigned no %s address (vips = %s)%s%s%s",
				 c->vips[j].family == AF_INET ? "IPv4" : "IPv6",
				 addr_str(&c->vips[j], s, sizeof(s)),
				 err ? ": it answered " : !cp ? ": its answer has no configuration "
				 "payload" : "", err ? ike_notify_name(err->u.notify.type) : "",
				 err && err->u.notify.type == 36 ? " (its pool is exhausted or it has "
				 "none for us)" : "");
			sa->cp.nvip = 0;
			return -1;
		}
	}
	for (size_t i = 0; i < sa->cp.nvip; i++) {
		uint8_t bits = sa->cp.vip[i].family == AF_INET ? 32 : 128;
		int rc = k->ops->addr_add(k, ifindex, &sa->cp.vip[i], bits);

		if (rc && rc != -EEXIST) {
			snprintf(why, whylen, "cannot put %s on the device: %s",
				 addr_str(&sa->cp.vip[i], s, sizeof(s)), k->error);
			sa->cp.nvip = i;
			cp_release(sa);
			return -1;
		}
		sa_log(sa, LOG_IKE, 0, "CP: the gateway assigned us %s%s%s", addr_str(&sa->cp.vip[i], s,
		       sizeof(s)), i || !dns[0] ? "" : ", DNS ", i ? "" : dns);
	}
	return 0;
}

/* ---- the gateway: leases ------------------------------------------------- */

static bool leased(const struct daemon *d, const char *pool, const struct addr *a)
{
	for (size_t i = 0; i < d->nleases; i++)
		if (!strcmp(d->leases[i].pool, pool) && addr_equal(&d->leases[i].addr, a))
			return true;
	return false;
}

static bool in_pool(const struct pool *pl, const struct addr *a)
{
	return a->family == pl->lo.family && addr_cmp(&pl->lo, a) <= 0 && addr_cmp(a, &pl->hi) <= 0;
}

static void addr_next(struct addr *a)
{
	for (int i = (int)addr_len(a->family) - 1; i >= 0 && ++a->ip[i] == 0; i--)
		;
}

/* A new entry for A of pool PL, offline and nobody's; NULL: no memory. */
static struct lease *lease_new(struct daemon *d, const struct pool *pl, const struct addr *a)
{
	struct lease *l = realloc(d->leases, (d->nleases + 1) * sizeof(*l));

	if (!l)
		return NULL;
	d->leases = l;
	l = &d->leases[d->nleases++];
	memset(l, 0, sizeof(*l));
	snprintf(l->pool, sizeof(l->pool), "%s", pl->name);
	l->addr = *a;
	return l;
}

/* The lease for WHO from PL (ASKED: an address it asked for, or NULL);
 * NULL when the pool has none left. */
static struct lease *lease_get(struct daemon *d, const struct pool *pl, const char *who,
			       const struct addr *asked)
{
	struct lease *l = NULL, *oldest = NULL;
	struct addr a;

	for (size_t i = 0; i < d->nleases && !l; i++)
		if (!strcmp(d->leases[i].pool, pl->name) && !strcmp(d->leases[i].who, who) &&
		    in_pool(pl, &d->leases[i].addr))
			l = &d->leases[i];
	if (l) {
		l->online++;
		return l;
	}
	a = pl->lo;
	if (asked && in_pool(pl, asked) && !leased(d, pl->name, asked)) {
		a = *asked;
	} else {
		/* The lowest address no one holds; after the last, a wrap to 0. */
		while (in_pool(pl, &a) && leased(d, pl->name, &a))
			addr_next(&a);
	}
	if (!in_pool(pl, &a)) {
		for (size_t i = 0; i < d->nleases; i++)
			if (!strcmp(d->leases[i].pool, pl->name) && !d->leases[i].online &&
			    in_pool(pl, &d->leases[i].addr) &&
			    (!oldest || d->leases[i].released < oldest->released))
				oldest = &d->leases[i];
		if (!oldest)
			return NULL;
		snprintf(oldest->who, sizeof(oldest->who), "%s", who);
		oldest->online = 1;
		return oldest;
	}
	l = lease_new(d, pl, &a);
	if (l) {
		snprintf(l->who, sizeof(l->who), "%s", who);
		l->online = 1;
	}
	return l;
}

void cp_note_request(struct ike_sa *sa, const struct ike_msg *req)
{
	const struct ike_payload *cp = msg_find(req, IKE_PL_CP);

	sa->cp_want = 0;
	sa->ncp_asked = 0;
	if (!cp || cp->u.cp.cfg_type != CFG_REQUEST)
		return;
	for (unsigned int i = 0; i < cp->u.cp.nattr; i++) {
		const struct ike_cp_attr *at = &cp->u.cp.attr[i];
		struct addr a;

		switch (at->type) {
		case ATTR_IP4_ADDRESS:
		case ATTR_IP6_ADDRESS:
			sa->cp_want |= at->type == ATTR_IP4_ADDRESS ? CP_WANT_IP4 : CP_WANT_IP6;
			if (at->value.len && attr_addr(at, &a) && sa->ncp_asked < CONF_MAX_VIPS)
				sa->cp_asked[sa->ncp_asked++] = a;
			break;
		case ATTR_IP4_DNS:
			sa->cp_want |= CP_WANT_DNS4;
			break;
		case ATTR_IP6_DNS:
			sa->cp_want |= CP_WANT_DNS6;
			break;
		}
	}
}

static void put_addr_attr(struct msg_out *m, struct ike_cp_attr *attr, uint16_t *n, uint16_t type,
			  const struct addr *a)
{
	uint8_t v[17];

	memcpy(v, a->ip, 16);
	v[16] = 128;
	put_attr(m, attr, n, type, v, type == ATTR_IP6_ADDRESS ? 17 : a->family == AF_INET6 ? 16 : 4);
}

int cp_respond(struct ike_sa *sa, struct msg_out *resp, const char *who)
{
	struct daemon *d = sa->d;
	const struct conn *c = sa->conn;
	const struct pool *pools[CONF_MAX_VIPS];
	struct ike_cp_attr *attr;
	uint16_t n = 0;
	size_t np = 0;
	char s[ADDR_STRLEN], t[ADDR_STRLEN];

	if (!(sa->cp_want & (CP_WANT_IP4 | CP_WANT_IP6)))
		return 0;
	if (!c->npools) {
		sa_log(sa, LOG_IKE, 1, "CP: peer '%s' asks for an address, connection '%s' has no "
		       "pools: none given", who, c->name);
		return 0;
	}
	for (size_t i = 0; i < c->npools; i++) {
		const struct pool *pl = config_find_pool(d->cfg, c->pools[i]);

		if (pl && (sa->cp_want & (pl->lo.family == AF_INET ? CP_WANT_IP4 : CP_WANT_IP6)))
			pools[np++] = pl;
	}
	for (int v6 = 0; v6 < 2; v6++) {
		bool have = false;

		for (size_t i = 0; i < np; i++)
			have = have || pools[i]->lo.family == (v6 ? AF_INET6 : AF_INET);
		if (!have && (sa->cp_want & (v6 ? CP_WANT_IP6 : CP_WANT_IP4)))
			sa_log(sa, LOG_IKE, 0, "CP: peer '%s' asks for an %s address, connection '%s' "
			       "has no pool of that family: none given", who, v6 ? "IPv6" : "IPv4",
			       c->name);
	}
	snprintf(sa->cp.lease_who, sizeof(sa->cp.lease_who), "%s", who);
	for (size_t i = 0; i < np; i++) {
		const struct addr *asked = NULL;
		struct lease *l;

		for (size_t j = 0; j < sa->ncp_asked; j++)
			if (sa->cp_asked[j].family == pools[i]->lo.family)
				asked = &sa->cp_asked[j];
		l = lease_get(d, pools[i], who, asked);
		if (!l) {
			sa_log(sa, LOG_IKE, 0, "CP: pool %s (%s-%s) is exhausted, every address is "
			       "leased to a connected peer: answering INTERNAL_ADDRESS_FAILURE to '%s', "
			       "no CHILD_SA", pools[i]->name, addr_str(&pools[i]->lo, s, sizeof(s)),
			       addr_str(&pools[i]->hi, t, sizeof(t)), who);
			cp_release(sa);
			d->st.child_failed++;
			msg_add_notify(resp, 36 /* INTERNAL_ADDRESS_FAILURE */, NULL, 0);
			return -1;
		}
		sa->cp.lease[sa->cp.nlease++] = l->addr;
		sa_log(sa, LOG_IKE, 0, "CP: peer '%s' gets %s from pool %s%s", who,
		       addr_str(&l->addr, s, sizeof(s)), pools[i]->name,
		       l->online > 1 ? " (it holds it on another IKE SA too)" : "");
	}
	if (!sa->cp.nlease)
		return 0;
	attr = add_cp(resp, CFG_REPLY, CP_MAX_ATTRS);
	if (!attr)
		return 0;
	for (size_t i = 0; i < np; i++) {
		bool v4 = pools[i]->lo.family == AF_INET;

		put_addr_attr(resp, attr, &n, v4 ? ATTR_IP4_ADDRESS : ATTR_IP6_ADDRESS, &sa->cp.lease[i]);
		for (size_t j = 0; j < pools[i]->ndns; j++)
			if (sa->cp_want & (v4 ? CP_WANT_DNS4 : CP_WANT_DNS6))
				put_addr_attr(resp, attr, &n, pools[i]->dns[j].family == AF_INET ?
					      ATTR_IP4_DNS : ATTR_IP6_DNS, &pools[i]->dns[j]);
	}
	resp->pl[resp->n - 1].u.cp.nattr = n;
	return 0;
}

void cp_release(struct ike_sa *sa)
{
	struct daemon *d = sa->d;
	struct kernel *k = d->kernel;
	char s[ADDR_STRLEN];

	for (size_t i = 0; i < sa->cp.nlease; i++)
		for (size_t j = 0; j < d->nleases; j++) {
			struct lease *l = &d->leases[j];

			if (!addr_equal(&l->addr, &sa->cp.lease[i]) || strcmp(l->who, sa->cp.lease_who) ||
			    !l->online)
				continue;
			if (!--l->online) {
				l->released = d->now;
				sa_log(sa, LOG_IKE, 1, "CP: lease %s of pool %s released (kept for "
				       "'%s' while the pool has others)", addr_str(&l->addr, s, sizeof(s)),
				       l->pool, l->who);
			}
			break;
		}
	sa->cp.nlease = 0;
	for (size_t i = 0; i < sa->cp.nvip; i++) {
		uint8_t bits = sa->cp.vip[i].family == AF_INET ? 32 : 128;

		if (vip_shared(sa, &sa->cp.vip[i]))
			continue;
		if (k->ops->addr_del(k, sa->cp.vip_ifindex, &sa->cp.vip[i], bits))
			sa_log(sa, LOG_KNL, 1, "CP: removing %s from the device: %s",
			       addr_str(&sa->cp.vip[i], s, sizeof(s)), k->error);
		else
			sa_log(sa, LOG_IKE, 1, "CP: %s removed from the device",
			       addr_str(&sa->cp.vip[i], s, sizeof(s)));
	}
	sa->cp.nvip = 0;
}

void cp_adopt(struct ike_sa *sa)
{
	struct daemon *d = sa->d;
	const struct conn *c = sa->conn;
	char s[ADDR_STRLEN];

	for (size_t i = 0; i < sa->cp.nlease; i++) {
		const struct pool *pl = NULL;
		struct lease *l = NULL;

		for (size_t j = 0; j < c->npools && !pl; j++) {
			pl = config_find_pool(d->cfg, c->pools[j]);
			if (pl && !in_pool(pl, &sa->cp.lease[i]))
				pl = NULL;
		}
		if (!pl) {
			sa_log(sa, LOG_IKE, 0, "CP: %s, leased to '%s' before the restart, is in none of "
			       "connection %s's pools now", addr_str(&sa->cp.lease[i], s, sizeof(s)),
			       sa->cp.lease_who, c->name);
			continue;
		}
		for (size_t j = 0; j < d->nleases && !l; j++)
			if (!strcmp(d->leases[j].pool, pl->name) &&
			    addr_equal(&d->leases[j].addr, &sa->cp.lease[i]))
				l = &d->leases[j];
		if (!l && !(l = lease_new(d, pl, &sa->cp.lease[i])))
			continue;
		snprintf(l->who, sizeof(l->who), "%s", sa->cp.lease_who);
		l->online++;
		sa_log(sa, LOG_IKE, 1, "CP: lease %s of pool %s for '%s' adopted",
		       addr_str(&l->addr, s, sizeof(s)), pl->name, l->who);
	}
}

void cp_move(struct ike_sa *old, struct ike_sa *ns)
{
	ns->cp = old->cp;
	old->cp.nvip = old->cp.nlease = 0;
}

/* ---- selectors ----------------------------------------------------------- */

static size_t hosts_ts(const struct ts *cfg, const struct addr *a, size_t n, bool whole,
		       struct ts *out, size_t room)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < room; i++) {
		out[k] = *cfg;
		out[k].dynamic = false;
		ts_from_addr(&out[k], &a[i]);
		out[k].proto = cfg->proto;
		out[k].port_lo = cfg->port_lo;
		out[k].port_hi = cfg->port_hi;
		if (whole) {
			memset(out[k].lo, 0, 16);
			memset(out[k].hi, 0xff, addr_len(a[i].family));
		}
		k++;
	}
	return k;
}

size_t cp_local_ts(const struct ike_sa *sa, const struct child_cfg *cc, struct ts *out)
{
	const struct conn *c = sa->conn;
	size_t k = 0;

	for (size_t i = 0; i < cc->nlocal_ts && k < CONF_MAX_TS; i++) {
		if (cc->local_ts[i].dynamic && sa->cp.nvip)
			k += hosts_ts(&cc->local_ts[i], sa->cp.vip, sa->cp.nvip, false, out + k,
				      CONF_MAX_TS - k);
		else if (cc->local_ts[i].dynamic && c && c->nvips && sa->initiator &&
			 sa->state != IKE_S_ESTABLISHED)
			k += hosts_ts(&cc->local_ts[i], c->vips, c->nvips, true, out + k,
				      CONF_MAX_TS - k);
		else
			k += child_resolve_ts(&cc->local_ts[i], 1, &sa->local.addr, out + k);
	}
	return k;
}

size_t cp_remote_ts(const struct ike_sa *sa, const struct child_cfg *cc, struct ts *out)
{
	size_t k = 0;

	for (size_t i = 0; i < cc->nremote_ts && k < CONF_MAX_TS; i++) {
		if (cc->remote_ts[i].dynamic && sa->cp.nlease)
			k += hosts_ts(&cc->remote_ts[i], sa->cp.lease, sa->cp.nlease, false, out + k,
				      CONF_MAX_TS - k);
		else
			k += child_resolve_ts(&cc->remote_ts[i], 1, &sa->remote.addr, out + k);
	}
	return k;
}

/* ---- updown -------------------------------------------------------------- */

struct env {
	char *v[64];
	size_t n;
	char buf[8192];
	size_t used;
};

static void envf(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void envf(struct env *e, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (e->n + 1 >= sizeof(e->v) / sizeof(e->v[0]) || e->used >= sizeof(e->buf))
		return;
	va_start(ap, fmt);
	w = vsnprintf(e->buf + e->used, sizeof(e->buf) - e->used, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= sizeof(e->buf) - e->used)
		return;
	e->v[e->n++] = e->buf + e->used;
	e->used += (size_t)w + 1;
}

static void env_ts(struct env *e, const char *name, const struct ts *ts, size_t n)
{
	char s[TS_STRLEN], a[ADDR_STRLEN];
	struct addr x = { .family = n ? ts[0].family : AF_INET };

	if (!n)
		return;
	/* strongSwan's form: NET/BITS; a range is given as its first selector's text. */
	memcpy(x.ip, ts[0].lo, 16);
	envf(e, "PLUTO_%s_CLIENT=%s", name, ts_str(&ts[0], s, sizeof(s)));
	envf(e, "PLUTO_%s_NET=%s", name, addr_str(&x, a, sizeof(a)));
	envf(e, "PLUTO_%s_PROTOCOL=%u", name, ts[0].proto);
	envf(e, "PLUTO_%s_PORT=%u", name, ts[0].port_lo == ts[0].port_hi ? ts[0].port_lo : 0);
}

/* PLUTO_<NAME>4_<n> and PLUTO_<NAME>6_<n> for the addresses A, and (FIRST)
 * PLUTO_<NAME> for the first of them. */
static void env_addrs(struct env *e, const char *name, const struct addr *a, size_t n, bool first)
{
	unsigned int n4 = 0, n6 = 0;
	char s[ADDR_STRLEN];

	for (size_t i = 0; i < n; i++) {
		addr_str(&a[i], s, sizeof(s));
		if (first && !i)
			envf(e, "PLUTO_%s=%s", name, s);
		if (a[i].family == AF_INET)
			envf(e, "PLUTO_%s4_%u=%s", name, ++n4, s);
		else
			envf(e, "PLUTO_%s6_%u=%s", name, ++n6, s);
	}
}

void cp_updown(struct child_sa *c, bool up)
{
	struct ike_sa *sa = c->ike;
	const struct child_cfg *cc = c->cfg;
	struct env e = { .n = 0 };
	char a[ADDR_STRLEN], id[IKE_ID_STRLEN], dev[IF_NAMESIZE] = "";
	bool v6 = c->nts_local && c->ts_local[0].family == AF_INET6;
	int status = 0;
	pid_t pid;

	if (!cc->updown[0] || up == c->updown_up)
		return;
	c->updown_up = up;
	if_indextoname(c->ifindex, dev);
	envf(&e, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	envf(&e, "PLUTO_VERSION=1.1");
	envf(&e, "PLUTO_VERB=%s-%s%s", up ? "up" : "down",
	     c->mode == MODE_TRANSPORT ? "host" : "client", v6 ? "-v6" : "");
	envf(&e, "PLUTO_CONNECTION=%s", cc->name);
	envf(&e, "PLUTO_INTERFACE=%s", dev[0] ? dev : sa->conn->device);
	envf(&e, "PLUTO_REQID=%u", c->reqid);
	envf(&e, "PLUTO_PROTO=esp");
	envf(&e, "PLUTO_UNIQUEID=%llu", (unsigned long long)sa->id);
	envf(&e, "PLUTO_ME=%s", addr_str(&sa->local.addr, a, sizeof(a)));
	envf(&e, "PLUTO_MY_ID=%s", id_str(&sa->id_local, id, sizeof(id)));
	env_ts(&e, "MY", c->ts_local, c->nts_local);
	envf(&e, "PLUTO_PEER=%s", addr_str(&sa->remote.addr, a, sizeof(a)));
	envf(&e, "PLUTO_PEER_ID=%s", id_str(&sa->id_remote, id, sizeof(id)));
	env_ts(&e, "PEER", c->ts_remote, c->nts_remote);
	env_addrs(&e, "MY_SOURCEIP", sa->cp.vip, sa->cp.nvip, true);
	env_addrs(&e, "PEER_SOURCEIP", sa->cp.lease, sa->cp.nlease, true);
	env_addrs(&e, "DNS", sa->cp.dns, sa->cp.ndns, false);
	e.v[e.n] = NULL;
	/* As charon does, the daemon waits for it: down runs before the
	 * addresses go, and a user's resolver script finishes in order. */
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)cc->updown, NULL };
		sigset_t none;

		/* Not the daemon's blocked signals (signalfd) nor its ignored SIGPIPE. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execve(cc->updown, argv, e.v);
		_exit(127);
	}
	if (pid < 0) {
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: cannot run updown %s: %s", cc->name, cc->updown,
		       strerror(errno));
		return;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		sa_log(sa, LOG_CHD, 1, "CHILD_SA %s: updown %s %s: done", cc->name, cc->updown,
		       e.v[2] + strlen("PLUTO_VERB="));
	else
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: updown %s %s failed (%s %d)", cc->name,
		       cc->updown, e.v[2] + strlen("PLUTO_VERB="),
		       WIFEXITED(status) ? "exit status" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}
