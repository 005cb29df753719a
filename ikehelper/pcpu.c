// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU CHILD_SAs (RFC 9611), child config per_cpu_sas = yes.
 *
 * With one SA pair, every CPU that sends through a tunnel takes the same
 * SA's lock and sequence numbers, and their packets arrive out of order at
 * the peer's replay window. RFC 9611 lets the peers keep several CHILD_SAs
 * of the same selectors, one per CPU: each is an ordinary CHILD_SA that
 * both ends mark with SA_RESOURCE_INFO (RFC 7296 §2.8 allows such
 * duplicates; the notify says they do not replace each other).
 *
 *   - The first CHILD_SA (IKE_AUTH or CREATE_CHILD_SA) carries the notify
 *     in the request; a peer that answers with it agrees. It becomes the
 *     fallback: its outbound SA serves every CPU without an SA of its own,
 *     and kesp.ko raises a per-CPU ACQUIRE for each CPU it carries packets
 *     of (KESP_SA_F_PCPU_ACQUIRE). A peer that does not answer with it
 *     (strongSwan before 6.0) gets an ordinary CHILD_SA, as strongSwan
 *     does in that case.
 *   - Each ACQUIRE asks the peer for one more CHILD_SA, the notify's data
 *     the CPU (an opaque resource id to the peer), whose outbound SA is
 *     bound to that CPU (KESP_SA_A_CPU). Its selectors are the fallback's.
 *   - As responder, the first agreed CHILD_SA is the fallback and each
 *     further one gets a local CPU that has none yet (the lowest), or none
 *     when every CPU has one; past per_cpu_sas_max the answer is
 *     TS_MAX_QUEUED, and the initiator does not ask for that CPU again for
 *     PCPU_REFUSED_MS.
 *   - A rekey keeps a CHILD_SA's place (fallback or CPU); the notify is
 *     not repeated in it.
 */
#include <stdio.h>
#include <string.h>

#include "daemon.h"

/* An ask for a CPU's SA that got no answer yet is repeated after this. */
#define PCPU_ASK_MS 30000
/* After TS_MAX_QUEUED, that CPU uses the fallback this long. */
#define PCPU_REFUSED_MS 60000

/* SA_RESOURCE_INFO for C: the CPU its outbound SA serves as the id. */
static void add_resource_info(struct msg_out *m, const struct child_sa *c)
{
	uint8_t id[4];

	if (!c->has_cpu) {
		msg_add_notify(m, IKE_N_SA_RESOURCE_INFO, NULL, 0);
		return;
	}
	put32(id, c->cpu);
	msg_add_notify(m, IKE_N_SA_RESOURCE_INFO, id, sizeof(id));
}

void pcpu_request(struct msg_out *m, const struct child_sa *c)
{
	if (c->cfg->per_cpu_sas)
		add_resource_info(m, c);
}

/* The fallback of CC's set in SA (installed, not being replaced), or NULL. */
static struct child_sa *fallback_of(struct ike_sa *sa, const struct child_cfg *cc)
{
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->cfg == cc && c->pcpu_fallback &&
		    (c->state == CHILD_S_INSTALLED || c->state == CHILD_S_REKEYING))
			return c;
	return NULL;
}

/* The live member of CC's set in SA that serves CPU, or NULL. */
static struct child_sa *member_for(struct ike_sa *sa, const struct child_cfg *cc, uint32_t cpu)
{
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->cfg == cc && c->pcpu && c->has_cpu && c->cpu == cpu &&
		    c->state != CHILD_S_REKEYED && c->state != CHILD_S_DELETING)
			return c;
	return NULL;
}

static struct pcpu_ask *ask_of(struct child_sa *fallback, uint32_t cpu, bool add)
{
	struct pcpu_ask *oldest = &fallback->asks[0];

	for (size_t i = 0; i < PCPU_ASKS; i++) {
		if (fallback->asks[i].until && fallback->asks[i].cpu == cpu)
			return &fallback->asks[i];
		if (fallback->asks[i].until < oldest->until)
			oldest = &fallback->asks[i];
	}
	if (!add)
		return NULL;
	/* Full: the ask that ends first makes room. */
	oldest->cpu = cpu;
	return oldest;
}

void pcpu_answered(struct child_sa *c, const struct ike_msg *m)
{
	struct ike_sa *sa = c->ike;
	struct child_sa *fallback;
	struct pcpu_ask *ask;

	if (!c->cfg->per_cpu_sas)
		return;
	if (!msg_find_notify(m, IKE_N_SA_RESOURCE_INFO) && !c->has_cpu) {
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: the peer did not answer SA_RESOURCE_INFO: an "
		       "ordinary CHILD_SA, no per-CPU SAs (per_cpu_sas needs RFC 9611 on both ends)",
		       c->cfg->name);
		return;
	}
	c->pcpu = true;
	if (!c->has_cpu) {
		c->pcpu_fallback = c->pcpu_acquire = true;
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: per-CPU SAs agreed (SA_RESOURCE_INFO): this is "
		       "the fallback, each CPU that sends on it asks for an SA of its own",
		       c->cfg->name);
		return;
	}
	/* The CPU has its SA now: a later loss of it may ask again at once. */
	fallback = fallback_of(sa, c->cfg);
	ask = fallback ? ask_of(fallback, c->cpu, false) : NULL;
	if (ask)
		ask->until = 0;
}

void pcpu_refused(struct ike_sa *sa, uint32_t fallback_spi_in, uint32_t cpu)
{
	struct child_sa *fallback = child_sa_find_in(sa, fallback_spi_in);
	struct pcpu_ask *ask = fallback ? ask_of(fallback, cpu, true) : NULL;

	if (ask)
		ask->until = sa->d->now + PCPU_REFUSED_MS;
	sa_log(sa, LOG_CHD, 0, "the peer has as many per-CPU SAs as it takes (TS_MAX_QUEUED): "
	       "CPU %u keeps sending on the fallback SA, asking again in %d s", cpu,
	       PCPU_REFUSED_MS / 1000);
}

/* The live members of CC's set in SA beside the fallback. */
static uint32_t members(struct ike_sa *sa, const struct child_cfg *cc)
{
	uint32_t n = 0;

	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->cfg == cc && c->pcpu && !c->pcpu_fallback && !c->replaces &&
		    c->state != CHILD_S_REKEYED && c->state != CHILD_S_DELETING)
			n++;
	return n;
}

int pcpu_admit(struct ike_sa *sa, const struct ike_msg *req, const struct child_cfg *cc,
	       struct msg_out *resp)
{
	uint32_t n;

	if (!cc->per_cpu_sas || !msg_find_notify(req, IKE_N_SA_RESOURCE_INFO) ||
	    !fallback_of(sa, cc))
		return 0;
	n = members(sa, cc);
	if (n < cc->per_cpu_sas_max)
		return 0;
	sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: the peer asks for a per-CPU SA beyond the %u we take "
	       "beside the fallback (per_cpu_sas_max): answering TS_MAX_QUEUED", cc->name, n);
	msg_add_notify(resp, IKE_N_TS_MAX_QUEUED, NULL, 0);
	return -1;
}

void pcpu_respond(struct child_sa *c, const struct ike_msg *req, struct msg_out *resp)
{
	struct ike_sa *sa = c->ike;
	const struct ike_payload *n = msg_find_notify(req, IKE_N_SA_RESOURCE_INFO);
	char peer[32] = "";

	if (!n || !c->cfg->per_cpu_sas)
		return;
	c->pcpu = true;
	if (n->u.notify.data.len == 4)
		snprintf(peer, sizeof(peer), ", the peer's resource %u",
			 (uint32_t)n->u.notify.data.p[0] << 24 | (uint32_t)n->u.notify.data.p[1] << 16 |
			 (uint32_t)n->u.notify.data.p[2] << 8 | n->u.notify.data.p[3]);
	if (!fallback_of(sa, c->cfg)) {
		c->pcpu_fallback = true;
		add_resource_info(resp, c);
		sa_log(sa, LOG_CHD, 1, "CHILD_SA %s: per-CPU SAs agreed (SA_RESOURCE_INFO): the "
		       "fallback%s", c->cfg->name, peer);
		return;
	}
	for (uint32_t cpu = 0; cpu < sa->d->ncpus; cpu++)
		if (!member_for(sa, c->cfg, cpu)) {
			c->has_cpu = true;
			c->cpu = cpu;
			break;
		}
	add_resource_info(resp, c);
	if (c->has_cpu)
		sa_log(sa, LOG_CHD, 1, "CHILD_SA %s: a per-CPU SA%s; ours serves CPU %u",
		       c->cfg->name, peer, c->cpu);
	else
		sa_log(sa, LOG_CHD, 1, "CHILD_SA %s: a per-CPU SA%s; ours serves any CPU (each of "
		       "our %u has one)", c->cfg->name, peer, sa->d->ncpus);
}

void pcpu_inherit(struct child_sa *c, const struct child_sa *old)
{
	c->pcpu = old->pcpu;
	c->pcpu_fallback = old->pcpu_fallback;
	c->pcpu_acquire = old->pcpu_acquire;
	c->has_cpu = old->has_cpu;
	c->cpu = old->cpu;
	memcpy(c->asks, old->asks, sizeof(c->asks));
}

void pcpu_acquire(struct child_sa *c, uint32_t cpu)
{
	struct ike_sa *sa = c->ike;
	struct pcpu_ask *ask;
	struct task *t;

	if (!c->pcpu_acquire || c->state != CHILD_S_INSTALLED || sa->state != IKE_S_ESTABLISHED ||
	    member_for(sa, c->cfg, cpu)) {
		sa_log(sa, LOG_CHD, 2, "CHILD_SA %s{%u}: CPU %u sent on it (%s): nothing to do",
		       c->cfg->name, c->reqid, cpu, child_state_name(c->state));
		return;
	}
	ask = ask_of(c, cpu, true);
	if (ask->until > sa->d->now)
		return;
	t = create_child_task_pcpu(c->cfg, c, cpu);
	if (!t)
		return;
	ask->until = sa->d->now + PCPU_ASK_MS;
	sa_log(sa, LOG_CHD, 0, "CHILD_SA %s{%u}: CPU %u sends on the fallback SA: asking the peer "
	       "for a per-CPU SA", c->cfg->name, c->reqid, cpu);
	exchange_queue(sa, t);
}
