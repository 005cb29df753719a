// SPDX-License-Identifier: GPL-2.0
/*
 * dpd_action and close_action (swanctl's meaning): what becomes of a
 * connection's CHILD_SAs when DPD (or any unanswered request) finds the
 * peer dead, or the peer deletes a CHILD_SA or the IKE SA. One dispatch,
 * child_action_take(), for both causes. ACTION_RESTART plans a restart:
 * a CHILD_SA on the connection's IKE SA if one is up, else a new IKE SA
 * with the children to restart. A restart that times out (the peer is
 * still away) is planned again, so the tunnel comes back when the peer
 * does; every attempt runs the full retransmission schedule. ACTION_TRAP
 * plans a trap (ondemand.c) the same way, due at once: it is installed
 * once the SAs and their routes are gone, so its routes stay.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

struct restart {
	struct restart *next;
	struct daemon *d;
	struct conn *conn;		/* held */
	uint64_t children;		/* to restart, bit i: conn->children[i] */
	uint64_t traps;			/* to trap, the same bits */
	struct timer t;
};

static void restart_free(struct daemon *d, struct restart *r)
{
	struct restart **pp;

	for (pp = &d->restarts; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	timer_cancel(d, &r->t);
	conn_put(r->conn);
	free(r);
}

void restarts_cancel(struct daemon *d, const char *name)
{
	struct restart *r, *next;

	for (r = d->restarts; r; r = next) {
		next = r->next;
		if (!strcmp(r->conn->name, name))
			restart_free(d, r);
	}
}

void restarts_free(struct daemon *d)
{
	while (d->restarts)
		restart_free(d, d->restarts);
}

/* Is a CHILD_SA of CFG up or on its way on SA? */
static bool has_child(const struct ike_sa *sa, const struct child_cfg *cfg)
{
	if (sa->state != IKE_S_ESTABLISHED && sa->want_child == cfg)
		return true;
	for (const struct child_sa *c = sa->children; c; c = c->next)
		if (c->cfg == cfg && c->state != CHILD_S_REKEYED && c->state != CHILD_S_DELETING)
			return true;
	return false;
}

static void restart_due(struct daemon *d, struct timer *t)
{
	struct restart *r = (struct restart *)((char *)t - offsetof(struct restart, t));
	struct conn *c = r->conn;
	struct ike_sa *sa = NULL;
	char why[256];

	if (config_find_conn(d->cfg, c->name) != c) {
		log_msg(LOG_DMN, 0, "%s: not restarted, the connection changed or was removed",
			c->name);
		restart_free(d, r);
		return;
	}
	for (size_t i = 0; i < c->nchildren && i < 64; i++)
		if (r->traps >> i & 1)
			trap_install_child(d, c, &c->children[i]);
	if (!r->children) {
		restart_free(d, r);
		return;
	}
	for (struct ike_sa *s = d->sas; s; s = s->next_all)
		if (s->conn == c && s->state != IKE_S_DELETING && !s->rekeyed)
			sa = s;
	if (!sa) {
		size_t first = 0;

		while (!(r->children >> first & 1))
			first++;
		sa = daemon_initiate(d, c, &c->children[first], NULL, why, sizeof(why));
		if (!sa) {
			/* e.g. a responder-only connection (no single remote
			 * address): trying again would not help */
			log_msg(LOG_DMN, 0, "%s: not restarted: %s", c->name, why);
			restart_free(d, r);
			return;
		}
		sa->restart_children = r->children;
	}
	for (size_t i = 0; i < c->nchildren && i < 64; i++) {
		struct task *task;

		if (!(r->children >> i & 1) || has_child(sa, &c->children[i]))
			continue;
		sa_log(sa, LOG_CHD, 0, "restarting CHILD_SA %s", c->children[i].name);
		task = create_child_task_new(&c->children[i], NULL);
		if (task)
			exchange_queue(sa, task);
	}
	restart_free(d, r);
}

/* Restart (TRAP: trap) CFG of connection C (all children in MASK, if CFG
 * is NULL) in DELAY ms. */
static void restart_plan(struct daemon *d, struct conn *c, const struct child_cfg *cfg,
			 uint64_t mask, uint64_t delay, bool trap)
{
	struct restart *r;

	if (cfg) {
		size_t i = (size_t)(cfg - c->children);

		if (i >= 64) {
			log_msg(LOG_DMN, 0, "%s: CHILD_SA %s is not %s (only the first 64 "
				"children of a connection are)", c->name, cfg->name,
				trap ? "trapped" : "restarted");
			return;
		}
		mask = 1ULL << i;
	}
	for (r = d->restarts; r; r = r->next)
		if (r->conn == c)
			break;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r) {
			log_msg(LOG_DMN, 0, "%s: out of memory, not restarted", c->name);
			return;
		}
		r->d = d;
		r->conn = conn_get(c);
		timer_init(&r->t, restart_due);
		r->next = d->restarts;
		d->restarts = r;
	}
	if (trap)
		r->traps |= mask;
	else
		r->children |= mask;
	if (!timer_armed(&r->t) || delay < r->t.when - d->now)
		timer_arm(d, &r->t, delay);
}

void child_action_take(struct ike_sa *sa, const struct child_cfg *cfg, enum child_action a,
		       const char *cause)
{
	switch (a) {
	case ACTION_NONE:
	case ACTION_CLEAR:
		sa_log(sa, LOG_CHD, 1, "CHILD_SA %s: %s, cleared", cfg->name, cause);
		break;
	case ACTION_TRAP:
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: %s, a trap in its place", cfg->name, cause);
		restart_plan(sa->d, sa->conn, cfg, 0, 0, true);
		break;
	case ACTION_RESTART:
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: %s, restarting it", cfg->name, cause);
		restart_plan(sa->d, sa->conn, cfg, 0, 0, false);
		break;
	}
}

void ike_sa_end_actions(struct ike_sa *sa)
{
	bool dead = sa->end == END_PEER_DEAD;
	const struct child_cfg *done[64];
	size_t ndone = 0;

	if (!sa->conn || sa->end == END_LOCAL)
		return;
	if (sa->state != IKE_S_ESTABLISHED) {
		/* A restart that did not get through: again, the peer may be back. */
		if (dead && sa->restart_children) {
			sa_log(sa, LOG_IKE, 0, "restart did not get through, trying again");
			restart_plan(sa->d, sa->conn, NULL, sa->restart_children,
				     sa->d->cfg->set.retransmit_timeout_ms, false);
		}
		return;
	}
	if (sa->rekeyed)
		return;
	for (struct child_sa *c = sa->children; c; c = c->next) {
		size_t i;

		if (c->state == CHILD_S_REKEYED || c->state == CHILD_S_DELETING ||
		    (c->state == CHILD_S_INSTALLING && c->replaces))
			continue;
		for (i = 0; i < ndone && done[i] != c->cfg; i++)
			;
		if (i < ndone)
			continue;
		if (ndone < 64)
			done[ndone++] = c->cfg;
		child_action_take(sa, c->cfg, dead ? c->cfg->dpd_action : c->cfg->close_action,
				  dead ? "the peer is dead" : "the peer deleted the IKE SA");
	}
}
