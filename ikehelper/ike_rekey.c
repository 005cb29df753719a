// SPDX-License-Identifier: GPL-2.0
/*
 * IKE SA rekeying (RFC 7296 §1.3.2, §2.18), both halves: a CREATE_CHILD_SA
 * of the old IKE SA with an SA payload of IKE proposals carrying the new
 * SPI of its sender, fresh nonces and a KE. The rekey's initiator is the
 * new SA's initiator. Keys:
 *   SKEYSEED' = prf_old(SK_d(old), g^ir(new) | Ni | Nr)
 *   SK_*      = prf+_new(SKEYSEED', Ni | Nr | SPIi | SPIr)
 * strongSwan runs prf+ with the old PRF as well when the PRF changes; so
 * that both readings agree, kesp offers and accepts only proposals with
 * the current IKE SA's PRF (other PRFs of the connection's proposals are
 * left out of a rekey).
 *
 * When the exchange completes (the responder: when it answers), the
 * CHILD SAs, queued exchanges and waiters move to the new IKE SA, whose
 * message ids start at 0; the rekey's initiator deletes the old IKE SA
 * with an INFORMATIONAL DELETE on it. A responder's old IKE SA answers
 * that DELETE (and retransmissions of the rekey) and goes; without a
 * DELETE it goes after IKE_OLD_MS.
 *
 * Simultaneous rekeys (§2.8.2): a request to rekey while our own rekey is
 * out is answered, but the SA it makes waits (not established); when our
 * exchange completes, of the two new SAs the one made with the lowest of
 * the four nonces is redundant: its maker deletes it, and the other's
 * maker deletes the old IKE SA, once the redundant SA's DELETE came (the
 * peer has our answer then: had our DELETE overtaken it, the peer would
 * take its rekey for failed and leave us its SA to time out; charon does)
 * or IKE_COLLISION_DELETE_MS passed. If our exchange fails, the waiting SA
 * takes over as after any answered rekey. A request to rekey while any
 * other request of ours is out on the old IKE SA is answered
 * TEMPORARY_FAILURE (§2.25): that exchange's answer must find its CHILD
 * SAs where it left them.
 *
 * Lifetimes: rekey at rekey_time less a random part of rand_time; an IKE
 * SA that is still not rekeyed at rekey_time + over_time is deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define N_TEMPORARY_FAILURE 43
#define KE_RETRIES_MAX 2
#define IKE_REKEY_RETRY_MS 30000
#define IKE_OLD_MS 30000
#define IKE_COLLISION_DELETE_MS 5000

static uint16_t dh_of(const struct ike_proposal *p)
{
	for (unsigned int i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == IKE_TRANS_DH && p->trans[i].id)
			return p->trans[i].id;
	return 0;
}

/*
 * The connection's IKE proposals with only the current PRF (proposals
 * without it are left out) and, if GROUP is not 0, only that DH group.
 */
static size_t rekey_proposals(const struct ike_sa *sa, uint16_t group, struct ike_proposal *out)
{
	const struct conn *c = sa->conn;
	size_t n = 0;

	for (size_t i = 0; i < c->nike && n < CONF_MAX_PROPOSALS; i++) {
		const struct ike_proposal *p = &c->ike[i];
		struct ike_proposal q = *p;
		bool prf = false, dh = !group;

		q.ntrans = 0;
		for (unsigned int j = 0; j < p->ntrans; j++) {
			const struct ike_transform *t = &p->trans[j];

			if (t->type == IKE_TRANS_PRF && t->id != sa->prf)
				continue;
			if (t->type == IKE_TRANS_DH && group && t->id != group)
				continue;
			prf |= t->type == IKE_TRANS_PRF;
			dh |= t->type == IKE_TRANS_DH;
			q.trans[q.ntrans++] = *t;
		}
		if (prf && dh)
			out[n++] = q;
	}
	return n;
}

static bool group_in(const struct ike_proposal *p, size_t n, uint16_t group)
{
	for (size_t i = 0; i < n; i++)
		for (unsigned int j = 0; j < p[i].ntrans; j++)
			if (p[i].trans[j].type == IKE_TRANS_DH && p[i].trans[j].id == group)
				return true;
	return false;
}

/*
 * The new IKE SA's keys from OLD's SK_d, the new g^ir (DH and the peer's
 * KE) and the nonces (§2.18); its algorithms from CHOSEN. 0, or -1 with
 * WHY.
 */
static int derive_new(struct ike_sa *old, struct ike_sa *ns, const struct ike_proposal *chosen,
		      struct ike_dh *dh, const struct ike_payload *ke, char *why, size_t whylen)
{
	struct ike_error err = { 0 };
	uint8_t gir[1024], skeyseed[IKE_PRF_MAX];
	uint16_t group = dh_of(chosen);
	size_t glen = ike_dh_shared_len(group);
	struct ike_slice g = { gir, glen }, ni = { ns->ni, ns->ni_len }, nr = { ns->nr, ns->nr_len };
	int rc;

	if (!ike_sa_take_proposal(ns, chosen) || ns->prf != old->prf) {
		snprintf(why, whylen, "the chosen proposal is not usable");
		return -1;
	}
	if (!glen || glen > sizeof(gir) ||
	    ike_dh_shared(dh, ke->u.ke.data.p, ke->u.ke.data.len, gir, glen, &err)) {
		snprintf(why, whylen, "the key exchange failed: %s", err.reason[0] ? err.reason : "?");
		return -1;
	}
	rc = ike_skeyseed_rekey(old->prf, old->keys.sk_d, old->keys.prf_len, &g, &ni, &nr, skeyseed);
	if (!rc)
		rc = ike_sa_keys_derive(ns->prf, ns->encr, ns->encr_bits, ns->integ, skeyseed,
					ike_prf_len(old->prf), &ni, &nr, ns->spi_i, ns->spi_r,
					&ns->keys);
	ike_wipe(gir, sizeof(gir));
	ike_wipe(skeyseed, sizeof(skeyseed));
	if (rc) {
		snprintf(why, whylen, "key derivation failed (%s)", ike_err_name(-rc));
		return -1;
	}
	return ike_sa_use_keys(ns, why, whylen);
}

/* OLD's queued exchanges go to its successor (a responder's: once its
 * answer is out, so the initiator knows the new SA when they arrive). */
void ike_rekey_move_queue(struct ike_sa *old)
{
	struct ike_sa *ns = old->rekeyed ? ike_sa_find_spi(old->d, old->successor) : NULL;
	struct task *q = old->queue;

	if (!ns || !q)
		return;
	old->queue = NULL;
	while (q) {
		struct task *next = q->next;

		exchange_queue(ns, q);
		q = next;
	}
}

/*
 * OLD is replaced by NS: its CHILD SAs and waiters go to NS, which is
 * established; OLD keeps only what ends it. (Its queue: ike_rekey_move_queue.)
 */
static void ike_rekey_switch(struct ike_sa *old, struct ike_sa *ns)
{
	char algs[160];

	while (old->children) {
		struct child_sa *c = old->children;

		old->children = c->next;
		c->ike = ns;
		c->next = ns->children;
		ns->children = c;
	}
	cp_move(old, ns);
	while (old->waiters) {
		struct sa_waiter *w = old->waiters;

		old->waiters = w->next;
		ike_sa_add_waiter(ns, w);
	}
	old->state = IKE_S_DELETING;
	old->rekeyed = true;
	memcpy(old->successor, ike_sa_our_spi(ns), 8);
	timer_cancel(old->d, &old->t_rekey);
	timer_cancel(old->d, &old->t_dpd);
	timer_cancel(old->d, &old->t_keepalive);
	timer_cancel(old->d, &old->t_over);
	ns->state = IKE_S_ESTABLISHED;
	ns->established = ns->d->now;
	ns->last_rx = ns->d->now;
	sa_log(ns, LOG_IKE, 0, "IKE SA rekeyed (%s): SPIs %016llx_i %016llx_r replace "
	       "%016llx_i %016llx_r of IKE SA [%llu], %s", old->initiator == ns->initiator ?
	       "as before" : "roles swapped", spi64(ns->spi_i), spi64(ns->spi_r), spi64(old->spi_i),
	       spi64(old->spi_r), (unsigned long long)old->id, ike_sa_algs(ns, algs, sizeof(algs)));
	old->collision = false;
	timer_cancel(ns->d, &ns->t_over);
	ike_sa_start_keepalives(ns);
	if (ns->conn->dpd_delay)
		timer_arm(ns->d, &ns->t_dpd, ns->conn->dpd_delay * 1000ULL);
	ike_sa_arm_lifetimes(ns);
	ns->rekeyed_at = ns->d->now;
	if (ns->d->on_event) {
		char id[24];

		snprintf(id, sizeof(id), "%llu", (unsigned long long)old->id);
		daemon_event(ns->d, "ike-rekeyed", ns, NULL, NULL, "old_id", id);
	}
}

/* The lower of an IKE SA's two nonces (§2.8.2 compares them). */
static struct ike_slice lo_nonce(const struct ike_sa *sa)
{
	struct ike_slice ni = { sa->ni, sa->ni_len }, nr = { sa->nr, sa->nr_len };

	return ike_nonce_cmp(&ni, &nr) <= 0 ? ni : nr;
}

/* The SA our answer to a simultaneous rekey of OLD made, or NULL. */
static struct ike_sa *collision_sa(struct ike_sa *old)
{
	struct ike_sa *sa = old->collision ? ike_sa_find_spi(old->d, old->collision_spi) : NULL;

	return sa && sa->state == IKE_S_INIT_I ? sa : NULL;
}

/* The waiting SA of OLD's collision becomes OLD's successor (our own
 * rekey failed, or lost to it); the peer deletes OLD. */
static bool take_collision(struct ike_sa *old)
{
	struct ike_sa *np = collision_sa(old);

	old->collision = false;
	if (!np)
		return false;
	ike_rekey_switch(old, np);
	ike_rekey_move_queue(old);
	timer_arm(old->d, &old->t_over, IKE_OLD_MS);
	return true;
}

void ike_rekey_collision_settle(struct ike_sa *old)
{
	take_collision(old);
}

/* A redundant SA (§2.8.2) that waits for its maker's DELETE. */
static void await_delete(struct ike_sa *sa)
{
	sa->state = IKE_S_DELETING;
	sa->rekeyed = false;
	timer_arm(sa->d, &sa->t_over, IKE_OLD_MS);
}

/* ---- initiator ----------------------------------------------------------- */

struct ike_rekey_task {
	struct task t;
	uint8_t spi[8];			/* our SPI of the new IKE SA (its SPIi) */
	uint8_t ni[IKE_NONCE_MAX];
	size_t ni_len;
	struct ike_dh *dh;
	uint16_t group;
	unsigned int ke_retries;
};

/* Tries again after DELAY (the old IKE SA lives until its over_time). */
static void rekey_failed(struct ike_sa *sa, uint64_t delay, const char *why)
{
	sa_log(sa, LOG_IKE, 0, "IKE SA rekey failed (%s); trying again in %.1f s", why,
	       delay / 1000.0);
	if (sa->state == IKE_S_ESTABLISHED)
		timer_arm(sa->d, &sa->t_rekey, delay);
}

static int rk_build(struct ike_sa *sa, struct task *t, struct msg_out *m)
{
	struct ike_rekey_task *rt = (struct ike_rekey_task *)t;
	struct ike_proposal props[CONF_MAX_PROPOSALS], *p;
	struct ike_error err = { 0 };
	size_t n = rekey_proposals(sa, 0, props);

	if (!n) {
		sa_log(sa, LOG_IKE, 0, "no IKE proposal of the connection has the IKE SA's PRF %s",
		       ike_transform_name(IKE_TRANS_PRF, sa->prf));
		return -1;
	}
	if (!rt->ni_len) {
		do
			ike_spi_new(rt->spi, 8);
		while (ike_sa_find_spi(sa->d, rt->spi));
		if (ike_nonce_new(sa->prf, rt->ni, IKE_NONCE_LEN))
			return -1;
		nonce_bias_apply(sa, true, rt->ni, IKE_NONCE_LEN);
		rt->ni_len = IKE_NONCE_LEN;
	}
	if (!rt->group || !group_in(props, n, rt->group))
		rt->group = group_in(props, n, sa->dh_group) ? sa->dh_group : dh_of(&props[0]);
	if (!rt->dh && !(rt->dh = ike_dh_new(rt->group, &err))) {
		sa_log(sa, LOG_IKE, 0, "cannot make a %s key: %s",
		       ike_transform_name(IKE_TRANS_DH, rt->group), err.reason);
		return -1;
	}
	p = msg_add_sa(m, n);
	for (size_t i = 0; i < n && !m->overflow; i++) {
		p[i] = props[i];
		p[i].num = (uint8_t)(i + 1);
		p[i].spi_size = 8;
		memcpy(p[i].spi, rt->spi, 8);
	}
	create_add_nonce(m, rt->ni, rt->ni_len);
	if (create_add_ke(m, rt->dh, rt->group))
		return -1;
	return m->overflow ? -1 : 0;
}

static enum task_result rk_process(struct ike_sa *sa, struct task *t, const struct ike_msg *m,
				   const uint8_t *raw, size_t rawlen)
{
	struct ike_rekey_task *rt = (struct ike_rekey_task *)t;
	const struct ike_payload *err = msg_find_error(m), *spl = msg_find(m, IKE_PL_SA);
	const struct ike_payload *nonce = msg_find(m, IKE_PL_NONCE), *ke = msg_find(m, IKE_PL_KE);
	struct ike_proposal props[CONF_MAX_PROPOSALS], chosen;
	size_t n = rekey_proposals(sa, 0, props);
	struct ike_sa *ns, *np;
	char why[1024];
	uint32_t rnd = 0;

	(void)raw;
	(void)rawlen;
	if (err) {
		uint16_t type = err->u.notify.type, group;

		if (type == IKE_N_INVALID_KE_PAYLOAD && err->u.notify.data.len == 2) {
			group = (uint16_t)(err->u.notify.data.p[0] << 8 | err->u.notify.data.p[1]);
			if (group != rt->group && group_in(props, n, group) &&
			    rt->ke_retries++ < KE_RETRIES_MAX) {
				sa_log(sa, LOG_IKE, 1, "IKE SA rekey: the peer wants %s "
				       "(INVALID_KE_PAYLOAD), asking again",
				       ike_transform_name(IKE_TRANS_DH, group));
				ike_dh_free(rt->dh);
				rt->dh = NULL;
				rt->group = group;
				return TASK_RETRY;
			}
		}
		if (take_collision(sa)) {
			sa_log(sa, LOG_IKE, 1, "our IKE SA rekey got %s; the peer's replaces it",
			       ike_notify_name(type));
			return TASK_DONE;
		}
		ike_random(&rnd, sizeof(rnd));
		snprintf(why, sizeof(why), "the peer answered %s", ike_notify_name(type));
		rekey_failed(sa, type == N_TEMPORARY_FAILURE ? 1000 + rnd % 2000 : IKE_REKEY_RETRY_MS,
			     why);
		return TASK_DONE;
	}
	if (sa->state != IKE_S_ESTABLISHED)
		return TASK_DONE;	/* the peer rekeyed it meanwhile (a collision) */
	if (!spl || spl->u.sa.nprop != 1 || spl->u.sa.prop[0].protocol != IKE_PROTO_IKE ||
	    spl->u.sa.prop[0].spi_size != 8 || !ike_spi_valid(spl->u.sa.prop[0].spi, 8) || !nonce ||
	    !ke) {
		rekey_failed(sa, IKE_REKEY_RETRY_MS, "no usable SA, nonce or KE payload in the answer");
		return TASK_DONE;
	}
	if (ike_proposal_select(props, n, spl->u.sa.prop, 1, IKE_SELECT_DH_REQUIRED, &chosen, why,
				sizeof(why)) || dh_of(&chosen) != rt->group ||
	    ke->u.ke.group != rt->group) {
		rekey_failed(sa, IKE_REKEY_RETRY_MS, "the peer chose a proposal or group we did not "
			     "offer");
		return TASK_DONE;
	}
	if (nonce->u.raw.len < ike_nonce_min_len(sa->prf) || nonce->u.raw.len > IKE_NONCE_MAX) {
		rekey_failed(sa, IKE_REKEY_RETRY_MS, "the peer's nonce has a bad length");
		return TASK_DONE;
	}
	ns = ike_sa_successor_new(sa, true, rt->spi, spl->u.sa.prop[0].spi);
	if (!ns) {
		rekey_failed(sa, IKE_REKEY_RETRY_MS, "out of memory");
		return TASK_DONE;
	}
	memcpy(ns->ni, rt->ni, rt->ni_len);
	ns->ni_len = rt->ni_len;
	memcpy(ns->nr, nonce->u.raw.p, nonce->u.raw.len);
	ns->nr_len = nonce->u.raw.len;
	if (derive_new(sa, ns, &chosen, rt->dh, ke, why, sizeof(why))) {
		ike_sa_destroy(ns, why);
		rekey_failed(sa, IKE_REKEY_RETRY_MS, why);
		return TASK_DONE;
	}
	np = collision_sa(sa);
	if (np) {
		struct ike_slice ours = lo_nonce(ns), theirs = lo_nonce(np);

		if (ike_nonce_cmp(&ours, &theirs) <= 0) {
			sa_log(sa, LOG_IKE, 0, "simultaneous IKE SA rekey: ours has the lowest nonce, "
			       "deleting it (%016llx_i %016llx_r); the peer's replaces the old SA",
			       spi64(ns->spi_i), spi64(ns->spi_r));
			take_collision(sa);
			ns->state = IKE_S_DELETING;
			exchange_queue(ns, delete_ike_task_new());
			return TASK_DONE;
		}
		sa_log(sa, LOG_IKE, 0, "simultaneous IKE SA rekey: the peer's has the lowest nonce "
		       "(%016llx_i %016llx_r), it deletes that one; ours replaces the old SA",
		       spi64(np->spi_i), spi64(np->spi_r));
		await_delete(np);
		np->releases_old = true;
		memcpy(np->old_spi, ike_sa_our_spi(sa), 8);
	}
	ike_rekey_switch(sa, ns);
	ike_rekey_move_queue(sa);
	if (np) {
		sa_log(sa, LOG_IKE, 1, "our DELETE of the replaced IKE SA waits for the peer's "
		       "DELETE of its redundant one (at most %u s)", IKE_COLLISION_DELETE_MS / 1000);
		sa->delete_deferred = true;
		timer_arm(sa->d, &sa->t_over, IKE_COLLISION_DELETE_MS);
	} else {
		exchange_queue(sa, delete_ike_task_new());
	}
	return TASK_DONE;
}

static void delete_old(struct ike_sa *old)
{
	struct task *del;

	old->delete_deferred = false;
	timer_cancel(old->d, &old->t_over);
	if ((del = delete_ike_task_new()))
		exchange_queue(old, del);
	else
		ike_sa_destroy(old, "rekeyed");
}

void ike_rekey_redundant_deleted(struct ike_sa *redundant)
{
	struct ike_sa *old;

	if (!redundant->releases_old)
		return;
	redundant->releases_old = false;
	old = ike_sa_find_spi(redundant->d, redundant->old_spi);
	if (old && old->delete_deferred)
		delete_old(old);
}

static bool rk_stale(struct ike_sa *sa, struct task *t)
{
	(void)t;
	return sa->state != IKE_S_ESTABLISHED || sa->rekeyed;
}

static void rk_free(struct task *t)
{
	struct ike_rekey_task *rt = (struct ike_rekey_task *)t;

	ike_dh_free(rt->dh);
	ike_wipe(rt, sizeof(*rt));
	free(rt);
}

static const struct task_ops rk_ops = {
	.name = "CREATE_CHILD_SA (IKE SA rekey)",
	.exchange = IKE_CREATE_CHILD_SA,
	.build = rk_build,
	.process = rk_process,
	.stale = rk_stale,
	.free = rk_free,
};

void ike_rekey_start(struct ike_sa *sa)
{
	struct task *t;

	if (sa->state != IKE_S_ESTABLISHED || sa->rekeyed ||
	    (sa->req.task && sa->req.task->ops == &rk_ops))
		return;
	for (struct task *q = sa->queue; q; q = q->next)
		if (q->ops == &rk_ops)
			return;
	if (!(t = task_alloc(sizeof(struct ike_rekey_task), &rk_ops)))
		return;
	sa_log(sa, LOG_IKE, 1, "rekeying the IKE SA %016llx_i %016llx_r", spi64(sa->spi_i),
	       spi64(sa->spi_r));
	exchange_queue(sa, t);
}

void ike_rekey_due(struct daemon *d, struct timer *t)
{
	struct ike_sa *sa = (struct ike_sa *)((char *)t - offsetof(struct ike_sa, t_rekey));

	(void)d;
	ike_rekey_start(sa);
}

/* over_time ran out without a rekey; or a replaced SA never heard its DELETE. */
void ike_over_due(struct daemon *d, struct timer *t)
{
	struct ike_sa *sa = (struct ike_sa *)((char *)t - offsetof(struct ike_sa, t_over));
	struct task *del;

	(void)d;
	if (sa->delete_deferred) {
		sa_log(sa, LOG_IKE, 0, "the peer did not delete its redundant IKE SA within %u s: "
		       "deleting the replaced one", IKE_COLLISION_DELETE_MS / 1000);
		delete_old(sa);
		return;
	}
	if (sa->state != IKE_S_ESTABLISHED) {
		/* replaced, redundant or never taken (§2.8.2): no DELETE came */
		if (sa->replaced)
			sa_log(sa, LOG_IKE, 1, "replaced after INITIAL_CONTACT: removing it");
		else
			sa_log(sa, LOG_IKE, 1, "the %s IKE SA got no DELETE, removing it",
			       sa->rekeyed ? "replaced" : "redundant");
		ike_sa_destroy(sa, sa->replaced ? "replaced after INITIAL_CONTACT" : "rekeyed");
		return;
	}
	sa_log(sa, LOG_IKE, 0, "IKE SA not rekeyed within rekey_time + over_time (%u s): "
	       "deleting it", sa->conn->rekey_time + sa->conn->over_time);
	while (sa->queue) {	/* the exchange in flight ends first, the queue goes */
		struct task *q = sa->queue;

		sa->queue = q->next;
		if (q->ops->abort)
			q->ops->abort(sa, q);
		q->ops->free(q);
	}
	sa->state = IKE_S_DELETING;
	if ((del = delete_ike_task_new()))
		exchange_queue(sa, del);
	else
		ike_sa_destroy(sa, "over_time");
}

/* ---- responder ----------------------------------------------------------- */

static void refuse(struct ike_sa *sa, struct msg_out *resp, uint16_t type, const void *data,
		   size_t len, const char *why)
{
	sa_log(sa, LOG_IKE, 0, "the peer rekeys the IKE SA: %s: answering %s", why,
	       ike_notify_name(type));
	msg_add_notify(resp, type, data, len);
}

void ike_rekey_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp)
{
	const struct ike_payload *spl = msg_find(req, IKE_PL_SA), *nonce = msg_find(req, IKE_PL_NONCE);
	const struct ike_payload *ke = msg_find(req, IKE_PL_KE);
	struct ike_proposal ours[CONF_MAX_PROPOSALS], chosen, *p;
	struct ike_error err = { 0 };
	struct ike_dh *dh = NULL;
	struct ike_sa *ns;
	size_t n;
	uint16_t group;
	uint8_t gbuf[2];
	char why[1024];

	if (sa->rekeyed || sa->state != IKE_S_ESTABLISHED) {
		refuse(sa, resp, N_TEMPORARY_FAILURE, NULL, 0, "it is being deleted");
		return;
	}
	if (sa->req.task && (sa->req.task->ops != &rk_ops || collision_sa(sa))) {
		refuse(sa, resp, N_TEMPORARY_FAILURE, NULL, 0, "an exchange of ours is under way");
		return;
	}
	for (unsigned int i = 0; i < spl->u.sa.nprop; i++)
		if (spl->u.sa.prop[i].protocol != IKE_PROTO_IKE || spl->u.sa.prop[i].spi_size != 8 ||
		    !ike_spi_valid(spl->u.sa.prop[i].spi, 8)) {
			refuse(sa, resp, IKE_N_INVALID_SYNTAX, NULL, 0, "a proposal without an 8-byte SPI");
			return;
		}
	if (!nonce || nonce->u.raw.len < ike_nonce_min_len(sa->prf) ||
	    nonce->u.raw.len > IKE_NONCE_MAX || !ke) {
		refuse(sa, resp, IKE_N_INVALID_SYNTAX, NULL, 0, "no usable nonce or KE");
		return;
	}
	/* The peer's group if a proposal with it fits, else our preference. */
	n = rekey_proposals(sa, ke->u.ke.group, ours);
	if (!n || ike_proposal_select(ours, n, spl->u.sa.prop, spl->u.sa.nprop,
				      IKE_SELECT_DH_REQUIRED, &chosen, why, sizeof(why))) {
		n = rekey_proposals(sa, 0, ours);
		if (ike_proposal_select(ours, n, spl->u.sa.prop, spl->u.sa.nprop,
					IKE_SELECT_DH_REQUIRED, &chosen, why, sizeof(why))) {
			sa_log(sa, LOG_IKE, 0, "IKE SA rekey with the PRF %s only: %s",
			       ike_transform_name(IKE_TRANS_PRF, sa->prf), why);
			refuse(sa, resp, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0, "no acceptable proposal");
			return;
		}
	}
	group = dh_of(&chosen);
	if (ke->u.ke.group != group) {
		gbuf[0] = (uint8_t)(group >> 8);
		gbuf[1] = (uint8_t)group;
		snprintf(why, sizeof(why), "we chose %s, its KE is %s",
			 ike_transform_name(IKE_TRANS_DH, group),
			 ike_transform_name(IKE_TRANS_DH, ke->u.ke.group));
		refuse(sa, resp, IKE_N_INVALID_KE_PAYLOAD, gbuf, 2, why);
		return;
	}
	ns = ike_sa_successor_new(sa, false, NULL, chosen.spi);
	if (!ns || !(dh = ike_dh_new(group, &err)) ||
	    ike_nonce_new(sa->prf, ns->nr, IKE_NONCE_LEN)) {
		if (ns)
			ike_sa_destroy(ns, "rekey failed");
		ike_dh_free(dh);
		refuse(sa, resp, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0, "cannot set up the new IKE SA");
		return;
	}
	nonce_bias_apply(sa, false, ns->nr, IKE_NONCE_LEN);
	ns->nr_len = IKE_NONCE_LEN;
	memcpy(ns->ni, nonce->u.raw.p, nonce->u.raw.len);
	ns->ni_len = nonce->u.raw.len;
	if (derive_new(sa, ns, &chosen, dh, ke, why, sizeof(why))) {
		ike_sa_destroy(ns, why);
		ike_dh_free(dh);
		refuse(sa, resp, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0, why);
		return;
	}
	p = msg_add_sa(resp, 1);
	if (!resp->overflow) {
		*p = chosen;
		p->spi_size = 8;
		memcpy(p->spi, ns->spi_r, 8);
	}
	create_add_nonce(resp, ns->nr, ns->nr_len);
	if (create_add_ke(resp, dh, group))
		resp->overflow = true;	/* the caller fails the IKE SA */
	ike_dh_free(dh);
	if (sa->req.task) {
		/* Our own rekey is out: the new SA waits for its answer. */
		sa_log(sa, LOG_IKE, 1, "the peer rekeys the IKE SA as we do: answering, the lowest "
		       "nonce decides which new SA stays");
		sa->collision = true;
		memcpy(sa->collision_spi, ns->spi_r, 8);
		timer_arm(sa->d, &ns->t_over, IKE_OLD_MS);
		return;
	}
	ike_rekey_switch(sa, ns);
	timer_arm(sa->d, &sa->t_over, IKE_OLD_MS);
}
