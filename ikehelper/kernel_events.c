// SPDX-License-Identifier: GPL-2.0
/*
 * kesp.ko's events (KESP_MCGRP_EVENTS) in the daemon, as the kernel
 * backend delivers them (kernel.h's struct kernel_event; the fake kernel
 * injects them in tests):
 *   - SA_EXPIRE: a soft limit starts the CHILD_SA's rekey, as its
 *     rekey_time does; a hard one (the module removed that SA) deletes
 *     the CHILD_SA with a DELETE to the peer. A pair being rekeyed,
 *     replaced or deleted already is left alone.
 *   - ACQUIRE: traffic hit a trap of ours (start_action = trap), or a CPU
 *     sent on a fallback SA of ours that has no per-CPU SA yet (pcpu.c).
 *   - SA_MAPPING: the peer's NAT mapping changed (RFC 7296 §2.23).
 */
#include "daemon.h"

static const char *reason_name(enum kernel_expire_reason r)
{
	switch (r) {
	case KERNEL_EXPIRE_SECONDS: return "time";
	case KERNEL_EXPIRE_BYTES: return "byte";
	case KERNEL_EXPIRE_PACKETS: return "packet";
	case KERNEL_EXPIRE_SEQUENCE: return "sequence number";
	}
	return "unknown";
}

/* The child whose kernel SA of DIR on IFINDEX has id ID, or NULL. */
static struct child_sa *child_by_kid(struct daemon *d, uint32_t ifindex, enum kernel_dir dir,
				     uint32_t id)
{
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next_all)
		for (struct child_sa *c = sa->children; c; c = c->next)
			if (c->ifindex == ifindex && id &&
			    (dir == KERNEL_IN ? c->kid_in : c->kid_out) == id)
				return c;
	return NULL;
}

static void on_expire(struct daemon *d, const struct kernel_event *ev)
{
	struct child_sa *c = child_by_kid(d, ev->ifindex, ev->dir, ev->id);
	const char *dir = ev->dir == KERNEL_IN ? "inbound" : "outbound";

	if (!c) {
		log_msg(LOG_KNL, 2, "%s %s EXPIRE of SA %08x, which is not ours (any more)",
			ev->hard ? "hard" : "soft", dir, ev->spi);
		return;
	}
	if (ev->hard)
		/* kesp.ko removed it: never delete it again. */
		*(ev->dir == KERNEL_IN ? &c->kid_in : &c->kid_out) = 0;
	if (c->state != CHILD_S_INSTALLED || c->ike->state != IKE_S_ESTABLISHED) {
		sa_log(c->ike, LOG_CHD, 1, "CHILD_SA %s{%u}: %s %s limit of %s SA %08x reached "
		       "while %s: nothing to do", c->cfg->name, c->reqid, ev->hard ? "hard" : "soft",
		       reason_name(ev->reason), dir, ev->spi, child_state_name(c->state));
		return;
	}
	if (!ev->hard) {
		sa_log(c->ike, LOG_CHD, 1, "CHILD_SA %s{%u}: %s SA %08x reached its soft %s limit",
		       c->cfg->name, c->reqid, dir, ev->spi, reason_name(ev->reason));
		child_rekey_start(c);
		return;
	}
	sa_log(c->ike, LOG_CHD, 0, "CHILD_SA %s{%u}: %s SA %08x reached its hard %s limit: "
	       "deleting the CHILD_SA", c->cfg->name, c->reqid, dir, ev->spi,
	       reason_name(ev->reason));
	child_sa_expire(c);
}

static void on_mapping(struct daemon *d, const struct kernel_event *ev)
{
	struct child_sa *c = child_by_kid(d, ev->ifindex, ev->dir, ev->id);
	char a[ADDR_STRLEN];

	if (!c)
		return;
	sa_log(c->ike, LOG_CHD, 1, "CHILD_SA %s{%u}: the peer's ESP now comes from %s[%u]; the "
	       "SAs follow when an authenticated IKE message does", c->cfg->name, c->reqid,
	       addr_str(&ev->new_src, a, sizeof(a)), ev->new_sport);
}

static void on_pcpu_acquire(struct daemon *d, const struct kernel_event *ev)
{
	struct child_sa *c = child_by_kid(d, ev->ifindex, KERNEL_OUT, ev->sa_id);

	if (!c) {
		log_msg(LOG_KNL, 2, "per-CPU ACQUIRE of CPU %u from SA %u, which is not ours (any "
			"more)", ev->cpu, ev->sa_id);
		return;
	}
	pcpu_acquire(c, ev->cpu);
}

int child_sa_move(struct child_sa *c)
{
	struct ike_sa *sa = c->ike;
	struct kernel *k = sa->d->kernel;

	if ((c->kid_out && k->ops->sa_move(k, c->ifindex, c->kid_out, &sa->local.addr,
					    &sa->remote.addr, c->encap, sa->local.port,
					    sa->remote.port)) ||
	    (c->kid_in && k->ops->sa_move(k, c->ifindex, c->kid_in, &sa->remote.addr,
					   &sa->local.addr, c->encap, sa->remote.port,
					   sa->local.port))) {
		sa_log(sa, LOG_KNL, 0, "CHILD_SA %s{%u}: cannot move its SAs to the new "
		       "addresses: %s", c->cfg->name, c->reqid, k->error);
		return -1;
	}
	return 0;
}

void child_sas_follow_peer(struct ike_sa *sa)
{
	char e[ENDPOINT_STRLEN];

	for (struct child_sa *c = sa->children; c; c = c->next) {
		if (!c->encap || child_sa_move(c))
			continue;
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s{%u}: ESP in UDP now to %s", c->cfg->name,
		       c->reqid, endpoint_str(&sa->remote, e, sizeof(e)));
	}
}

void kernel_event(void *arg, const struct kernel_event *ev)
{
	struct daemon *d = arg;

	switch (ev->type) {
	case KERNEL_EV_EXPIRE:
		on_expire(d, ev);
		break;
	case KERNEL_EV_ACQUIRE:
		if (ev->has_cpu)
			on_pcpu_acquire(d, ev);
		else
			trap_acquire(d, ev);
		break;
	case KERNEL_EV_MAPPING:
		on_mapping(d, ev);
		break;
	}
}
