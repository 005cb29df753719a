// SPDX-License-Identifier: GPL-2.0
/*
 * start_action = trap: tunnels made on demand. For each such child,
 * kesp.ko holds a trap selector per pair of its traffic selectors (ours as
 * the source, the peer's as the destination) on the connection's device,
 * and the remote selectors are routed into the device, so the first packet
 * that would use the CHILD_SA hits a trap. kesp.ko drops that packet and
 * raises ACQUIRE (at most once a second per trap); the negotiation starts
 * once: further ACQUIREs while it runs are ignored. The CHILD_SA's own
 * selectors win over the trap while it is up (kesp.h: at equal
 * specificity an SA beats a trap of priority 0xffffffff), and the trap
 * stays, so traffic after the CHILD_SA closed brings it up again, as
 * charon's traps do. dpd_action = trap installs the same when the peer
 * stopped answering (exchange.c), close_action = trap when the peer
 * deleted the CHILD_SA or the IKE SA (info.c, exchange.c).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* How long an ACQUIRE is ignored after one queued a CREATE_CHILD_SA on the
 * connection's IKE SA (while an IKE SA is being set up, its state says so). */
#define TRAP_PENDING_MS 30000

struct trap {
	struct trap *next;
	struct conn *conn;		/* held */
	const struct child_cfg *child;	/* within conn */
	uint32_t ifindex, reqid;
	uint32_t ids[KERNEL_SEL_MAX];
	size_t nids;
	struct kernel_route routes[CHILD_ROUTES_MAX];
	size_t nroutes;
	uint64_t pending_sa;		/* the IKE SA an ACQUIRE queued a CHILD_SA on */
	uint64_t since;
};

/* A single address of the list (a range of one), for "dynamic". */
static bool single_addr(const struct addr_spec *specs, size_t n, struct addr *out)
{
	for (size_t i = 0; i < n; i++)
		if (specs[i].kind == ADDR_RANGE && addr_equal(&specs[i].lo, &specs[i].hi)) {
			*out = specs[i].lo;
			return true;
		}
	return false;
}

/* The selectors of CFG, "dynamic" as HOST (left out when HOST has no
 * family: the address is known only once the IKE SA is up). */
static size_t resolve(const struct ts *cfg, size_t n, const struct addr *host, struct ts *out)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (cfg[i].dynamic && !host->family)
			continue;
		out[m] = cfg[i];
		if (out[m].dynamic)
			ts_resolve(&out[m], host);
		m++;
	}
	return m;
}

struct trap_route_ctx {
	struct daemon *d;
	struct trap *t;
	struct addr src;
};

static void add_route(const struct addr *a, unsigned int bits, void *arg)
{
	struct trap_route_ctx *rc = arg;
	struct kernel *k = rc->d->kernel;
	struct kernel_route *r;
	char s[ADDR_STRLEN];

	if (rc->t->nroutes == CHILD_ROUTES_MAX)
		return;
	r = &rc->t->routes[rc->t->nroutes];
	memset(r, 0, sizeof(*r));
	r->ifindex = rc->t->ifindex;
	r->table = rc->d->cfg->set.route_table;
	r->dst = *a;
	r->bits = (uint8_t)bits;
	if (rc->src.family == a->family)
		r->src = rc->src;
	if (k->ops->route_add(k, r)) {
		log_msg(LOG_KNL, 1, "trap of %s: route %s/%u: %s", rc->t->child->name,
			addr_str(a, s, sizeof(s)), bits, k->error);
		return;
	}
	rc->t->nroutes++;
}

static void trap_free(struct daemon *d, struct trap *t)
{
	struct kernel *k = d->kernel;

	for (size_t i = 0; i < t->nids; i++)
		if (k->ops->trap_del(k, t->ifindex, t->ids[i]))
			log_msg(LOG_KNL, 0, "removing a trap of %s: %s", t->child->name, k->error);
	for (size_t i = 0; i < t->nroutes; i++)
		if (k->ops->route_del(k, &t->routes[i]))
			log_msg(LOG_KNL, 1, "removing a route of %s's trap: %s", t->child->name,
				k->error);
	conn_put(t->conn);
	free(t);
}

/* Traps for child CH of C; 0, or -1 with a log line. */
static int trap_install(struct daemon *d, const struct conn *c, const struct child_cfg *ch)
{
	struct kernel *k = d->kernel;
	struct ts lts[CONF_MAX_TS], rts[CONF_MAX_TS];
	struct addr lhost = { 0 }, rhost = { 0 };
	size_t nl, nr;
	struct trap *t;
	char l[512], r[512];

	single_addr(c->local_addrs, c->nlocal_addrs, &lhost);
	single_addr(c->remote_addrs, c->nremote_addrs, &rhost);
	nl = resolve(ch->local_ts, ch->nlocal_ts, &lhost, lts);
	nr = resolve(ch->remote_ts, ch->nremote_ts, &rhost, rts);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -1;
	t->conn = conn_get((struct conn *)c);
	t->child = ch;
	if (daemon_device(d, c->device, &t->ifindex)) {
		log_msg(LOG_KNL, 0, "start_action = trap of %s: device %s: %s", ch->name, c->device,
			k->error);
		trap_free(d, t);
		return -1;
	}
	t->reqid = ++d->next_reqid;
	for (size_t i = 0; i < nl; i++)
		for (size_t j = 0; j < nr && t->nids < KERNEL_SEL_MAX; j++) {
			struct kernel_sel sel = { .src = lts[i], .dst = rts[j] };

			if (lts[i].family != rts[j].family)
				continue;
			if (k->ops->trap_add(k, t->ifindex, &sel, t->reqid, &t->ids[t->nids])) {
				log_msg(LOG_KNL, 0, "start_action = trap of %s: %s", ch->name,
					k->error);
				continue;
			}
			t->nids++;
		}
	if (!t->nids) {
		log_msg(LOG_DMN, 0, "start_action = trap of %s: no trap installed (selectors "
			"without a single address for \"dynamic\"?)", ch->name);
		trap_free(d, t);
		return -1;
	}
	for (size_t j = 0; j < nr; j++) {
		struct trap_route_ctx rc = { .d = d, .t = t };

		for (size_t i = 0; i < nl && !rc.src.family; i++)
			if (lts[i].family == rts[j].family &&
			    k->ops->local_addr_in(k, &lts[i], &rc.src))
				memset(&rc.src, 0, sizeof(rc.src));
		ts_prefixes(&rts[j], add_route, &rc);
	}
	t->next = d->traps;
	d->traps = t;
	log_msg(LOG_DMN, 1, "connection %s: CHILD_SA %s trapped: %s === %s (%zu selector%s)",
		c->name, ch->name, ts_list_str(lts, nl, l, sizeof(l)),
		ts_list_str(rts, nr, r, sizeof(r)), t->nids, t->nids == 1 ? "" : "s");
	return 0;
}

void trap_install_conn(struct daemon *d, const struct conn *c)
{
	for (size_t j = 0; j < c->nchildren; j++)
		if (c->children[j].start_action == START_TRAP)
			trap_install(d, c, &c->children[j]);
}

void trap_install_child(struct daemon *d, const struct conn *c, const struct child_cfg *ch)
{
	const struct trap *t = d->traps;

	while (t && t->child != ch)
		t = t->next;
	if (!t)
		trap_install(d, c, ch);
}

void trap_remove_stale(struct daemon *d)
{
	struct trap **pp = &d->traps;

	while (*pp) {
		struct trap *t = *pp;

		if (config_find_conn(d->cfg, t->conn->name) == t->conn) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		log_msg(LOG_DMN, 1, "connection %s changed: trap of %s removed", t->conn->name,
			t->child->name);
		trap_free(d, t);
	}
}

void trap_remove_all(struct daemon *d)
{
	while (d->traps) {
		struct trap *t = d->traps;

		d->traps = t->next;
		trap_free(d, t);
	}
}

/* A CHILD_SA of T's child already on SA (up, coming up or being rekeyed). */
static bool child_there(const struct ike_sa *sa, const struct trap *t)
{
	for (const struct child_sa *c = sa->children; c; c = c->next)
		if (c->cfg == t->child && c->state != CHILD_S_DELETING &&
		    c->state != CHILD_S_REKEYED)
			return true;
	return false;
}

void trap_acquire(struct daemon *d, const struct kernel_event *ev)
{
	struct trap *t;
	struct ike_sa *sa;
	char why[256], pkt[256];

	for (t = d->traps; t; t = t->next) {
		bool mine = false;

		for (size_t i = 0; i < t->nids && !mine; i++)
			mine = t->ids[i] == ev->id;
		if (mine && t->ifindex == ev->ifindex)
			break;
	}
	if (!t) {
		log_msg(LOG_KNL, 2, "ACQUIRE of trap %u, which is not ours", ev->id);
		return;
	}
	ts_list_str(&ev->packet.dst, 1, pkt, sizeof(pkt));
	sa = daemon_find_sa_for_conn(d, t->conn);
	/* Under way: the IKE SA is being set up (its first CHILD_SA with
	 * it), the child is there, or our CREATE_CHILD_SA for it is queued. */
	if (sa && (sa->state != IKE_S_ESTABLISHED || child_there(sa, t) ||
		   (t->pending_sa == sa->id && d->now - t->since < TRAP_PENDING_MS))) {
		log_msg(LOG_DMN, 2, "ACQUIRE for %s (to %s): under way on IKE SA %llu (%s)",
			t->child->name, pkt, (unsigned long long)sa->id,
			ike_state_name(sa->state));
		return;
	}
	log_msg(LOG_DMN, 0, "ACQUIRE for CHILD_SA %s of connection %s (a packet to %s): "
		"negotiating it", t->child->name, t->conn->name, pkt);
	if (sa) {
		struct task *task = create_child_task_new(t->child, NULL);

		t->pending_sa = sa->id;
		t->since = d->now;
		if (task)
			exchange_queue(sa, task);
		return;
	}
	if (!daemon_initiate(d, t->conn, t->child, NULL, why, sizeof(why)))
		log_msg(LOG_DMN, 0, "ACQUIRE for %s: %s", t->child->name, why);
}
