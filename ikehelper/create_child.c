// SPDX-License-Identifier: GPL-2.0
/*
 * CREATE_CHILD_SA for CHILD SAs (RFC 7296 §1.3.1, §1.3.3), both halves: a
 * further CHILD_SA of an established IKE SA, and the rekey of one
 * (REKEY_SA), each with fresh nonces and, when the chosen ESP proposal has
 * a DH group, a KE of its own (PFS; INVALID_KE_PAYLOAD names the group the
 * responder wants, and the initiator asks again with it). KEYMAT is
 * prf+(SK_d, [g^ir |] Ni | Nr) of this exchange (§2.17).
 *
 * A rekey replaces a pair without losing a packet (make before break):
 *   - the responder installs the new inbound SA before it answers, and
 *     keeps sending on the old outbound SA;
 *   - the initiator, on the answer, installs both new SAs, removes its old
 *     outbound SA (kesp.ko now picks the new one for the same selectors),
 *     and CHILD_DELETE_DELAY_MS later, once what it sent on the old one
 *     has been received, sends DELETE for the old pair;
 *   - the responder, on that DELETE, installs its new outbound SA and
 *     removes the old one (without a DELETE: once the peer sends on the
 *     new pair, never while the peer still repeats its request);
 *   - each side keeps the old inbound SA CHILD_GRACE_MS longer, for what
 *     was already in flight. The routes pass from the old pair to the new.
 *
 * Collisions (§2.8.1): when both ends rekey the same pair at once, both
 * exchanges complete; the new pair made with the lowest of the four nonces
 * is redundant and its maker deletes it (and leaves the old pair to the
 * other end, which replaces and deletes it as in any rekey). An exchange
 * that completes after its old pair was replaced or deleted meanwhile made
 * a redundant pair too. A request to rekey a pair we are deleting (or
 * have replaced) is answered TEMPORARY_FAILURE (§2.25), and a rekey
 * refused that way is tried again after a random 1-3 s. A CREATE_CHILD_SA
 * with IKE proposals rekeys the IKE SA (ike_rekey.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define N_TEMPORARY_FAILURE 43
#define N_CHILD_SA_NOT_FOUND 44
#define N_NO_ADDITIONAL_SAS 35
#define KE_RETRIES_MAX 2
#define REKEY_RETRY_MS 30000

/* The DH group of proposal P, 0 for none. */
static uint16_t proposal_group(const struct ike_proposal *p)
{
	for (unsigned int i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == IKE_TRANS_DH && p->trans[i].id)
			return p->trans[i].id;
	return 0;
}

static bool group_configured(const struct child_cfg *cc, uint16_t group)
{
	for (size_t i = 0; i < cc->nesp; i++)
		for (unsigned int j = 0; j < cc->esp[i].ntrans; j++)
			if (cc->esp[i].trans[j].type == IKE_TRANS_DH && cc->esp[i].trans[j].id == group)
				return true;
	return false;
}

void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void create_add_nonce(struct msg_out *m, const uint8_t *n, size_t len)
{
	struct ike_payload *pl = msg_add(m, IKE_PL_NONCE);
	uint8_t *copy = msg_alloc(m, len);

	if (m->overflow)
		return;
	memcpy(copy, n, len);
	pl->u.raw.p = copy;
	pl->u.raw.len = len;
}

int create_add_ke(struct msg_out *m, struct ike_dh *dh, uint16_t group)
{
	size_t len = ike_dh_public_len(group);
	struct ike_payload *pl = msg_add(m, IKE_PL_KE);
	uint8_t *pub = msg_alloc(m, len);

	if (m->overflow || ike_dh_public(dh, pub, len))
		return -1;
	pl->u.ke.group = group;
	pl->u.ke.data.p = pub;
	pl->u.ke.data.len = len;
	return 0;
}

/* g^ir of DH and the peer's KE into GIR (ike_dh_shared_len(group) bytes). */
static int shared_secret(struct ike_dh *dh, uint16_t group, const struct ike_payload *ke,
			 uint8_t *gir, size_t cap, size_t *len, char *why, size_t whylen)
{
	struct ike_error err = { 0 };

	*len = ike_dh_shared_len(group);
	if (!*len || *len > cap ||
	    ike_dh_shared(dh, ke->u.ke.data.p, ke->u.ke.data.len, gir, *len, &err)) {
		snprintf(why, whylen, "the key exchange failed: %s",
			 err.reason[0] ? err.reason : "?");
		return -1;
	}
	return 0;
}

/* ---- initiator ----------------------------------------------------------- */

struct cc_task {
	struct task t;
	const struct child_cfg *cfg;
	uint32_t old_spi_in;		/* rekey: the pair it replaces; 0: a new child */
	struct child_sa *child;		/* the new pair, its inbound SPI reserved */
	uint8_t ni[IKE_NONCE_MAX];
	size_t ni_len;
	struct ike_dh *dh;
	uint16_t group;
	unsigned int ke_retries;
	struct ts tsi[CONF_MAX_TS], tsr[CONF_MAX_TS];
	size_t ntsi, ntsr;
	/* A per-CPU SA (pcpu.c) for CPU beside the fallback FALLBACK_SPI_IN. */
	bool pcpu;
	uint32_t cpu, fallback_spi_in;
};

static struct child_sa *old_of(struct ike_sa *sa, const struct cc_task *ct)
{
	return ct->old_spi_in ? child_sa_find_in(sa, ct->old_spi_in) : NULL;
}

static int cc_build(struct ike_sa *sa, struct task *t, struct msg_out *m)
{
	struct cc_task *ct = (struct cc_task *)t;
	const struct child_cfg *cc = ct->cfg;
	struct child_sa *old = old_of(sa, ct);
	struct child_sa *fallback = ct->pcpu ? child_sa_find_in(sa, ct->fallback_spi_in) : NULL;
	struct ike_error err = { 0 };

	if (ct->old_spi_in && !old) {
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: the pair to rekey is gone", cc->name);
		return -1;
	}
	if (ct->pcpu && !fallback) {
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: its fallback SA is gone: not asking for CPU %u's "
		       "SA", cc->name, ct->cpu);
		return -1;
	}
	if (!ct->child) {
		uint32_t ifindex, spi = child_sa_alloc_spi(sa, cc, &ifindex);

		if (!spi || !(ct->child = child_sa_new(sa, cc)))
			return -1;
		ct->child->ifindex = ifindex;
		ct->child->spi_in = spi;
		ct->child->we_initiated = true;
		if (old) {
			ct->child->reqid = old->reqid;
			pcpu_inherit(ct->child, old);
		}
		if (ct->pcpu) {
			ct->child->has_cpu = true;
			ct->child->cpu = ct->cpu;
		}
	}
	if (!ct->ni_len) {
		if (ike_nonce_new(sa->prf, ct->ni, IKE_NONCE_LEN))
			return -1;
		nonce_bias_apply(sa, true, ct->ni, IKE_NONCE_LEN);
		ct->ni_len = IKE_NONCE_LEN;
	}
	if (ct->group && !ct->dh) {
		ct->dh = ike_dh_new(ct->group, &err);
		if (!ct->dh) {
			sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: cannot make a %s key: %s", cc->name,
			       ike_transform_name(IKE_TRANS_DH, ct->group), err.reason);
			return -1;
		}
	}
	/* A rekey, or a per-CPU SA: the selectors of the pair it joins. */
	if (!old)
		old = fallback;
	if (ct->old_spi_in) {
		struct ike_payload *pl = msg_add(m, IKE_PL_NOTIFY);
		uint8_t *spi = msg_alloc(m, 4);

		if (m->overflow)
			return -1;
		put32(spi, old->spi_in);
		pl->u.notify.type = IKE_N_REKEY_SA;
		pl->u.notify.protocol = IKE_PROTO_ESP;
		pl->u.notify.spi.p = spi;
		pl->u.notify.spi.len = 4;
	}
	if (old) {
		/* The selectors it was narrowed to: they fit the peer again. */
		memcpy(ct->tsi, old->ts_local, old->nts_local * sizeof(old->ts_local[0]));
		ct->ntsi = old->nts_local;
		memcpy(ct->tsr, old->ts_remote, old->nts_remote * sizeof(old->ts_remote[0]));
		ct->ntsr = old->nts_remote;
	} else {
		ct->ntsi = cp_local_ts(sa, cc, ct->tsi);
		ct->ntsr = cp_remote_ts(sa, cc, ct->tsr);
	}
	child_add_esp_sa(m, cc->esp, cc->nesp, ct->child->spi_in, false);
	create_add_nonce(m, ct->ni, ct->ni_len);
	if (ct->dh && create_add_ke(m, ct->dh, ct->group))
		return -1;
	child_add_ts(m, IKE_PL_TSI, ct->tsi, ct->ntsi);
	child_add_ts(m, IKE_PL_TSR, ct->tsr, ct->ntsr);
	if (cc->mode == MODE_TRANSPORT)
		msg_add_notify(m, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	if (!ct->old_spi_in)
		pcpu_request(m, ct->child);
	return m->overflow ? -1 : 0;
}

/* The exchange failed for the child (not the IKE SA): the new pair goes;
 * a rekey is tried again later (the old pair works until its life_time). */
static void cc_failed(struct ike_sa *sa, struct cc_task *ct, uint64_t retry_ms, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));

static void cc_failed(struct ike_sa *sa, struct cc_task *ct, uint64_t retry_ms, const char *fmt,
		      ...)
{
	struct child_sa *old = old_of(sa, ct);
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	child_sa_drop_pending(&ct->child);
	if (old && old->state == CHILD_S_REKEYING) {
		old->state = CHILD_S_INSTALLED;
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s{%u}: rekey failed (%s); trying again in %.1f s",
		       old->cfg->name, old->reqid, why, retry_ms / 1000.0);
		timer_arm(sa->d, &old->t_rekey, retry_ms);
		return;
	}
	sa->d->st.child_failed++;
	sa_log(sa, LOG_CHD, 0, "CHILD_SA %s failed, keeping the IKE SA: %s", ct->cfg->name, why);
	ike_sa_notify_waiters(sa, false, why);
}

/*
 * Our rekey's new pair C is redundant when its old pair was replaced or
 * deleted meanwhile, or when the peer rekeyed the same pair at once and C
 * has the lowest nonce (§2.8.1): then C goes (DELETE) and the old pair is
 * left to the peer's rekey. True when C went.
 */
static bool cc_redundant(struct ike_sa *sa, struct cc_task *ct, struct child_sa *c)
{
	struct child_sa *old = old_of(sa, ct), *sib = NULL;
	struct ike_slice ours = { c->lo_nonce, c->lo_nonce_len }, theirs;
	struct task *del;

	if (old && old->state == CHILD_S_REKEYING) {
		sib = child_sa_successor(sa, old->spi_in);
		if (!sib)
			return false;
		theirs.p = sib->lo_nonce;
		theirs.len = sib->lo_nonce_len;
		if (ike_nonce_cmp(&ours, &theirs) > 0) {
			sa_log(sa, LOG_CHD, 0, "CHILD_SA %s{%u}: simultaneous rekey, the peer's pair "
			       "has the lowest nonce: ours replaces the old pair, the peer deletes its "
			       "pair %08x", old->cfg->name, old->reqid, sib->spi_in);
			return false;
		}
		old->state = CHILD_S_INSTALLED;
		/* The peer's rekey may still wait for our answer: its DELETE of
		 * the old pair gets CHILD_SWITCH_MS from now. */
		if (timer_armed(&sib->t_grace))
			timer_arm(sa->d, &sib->t_grace, CHILD_SWITCH_MS);
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s{%u}: simultaneous rekey, our new pair has the "
		       "lowest nonce: deleting it (%08x_i %08x_o), the peer's pair %08x_i replaces "
		       "the old one", old->cfg->name, old->reqid, c->spi_in, c->spi_out, sib->spi_in);
	} else {
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: the pair our rekey replaces was %s meanwhile: "
		       "deleting our new pair %08x_i", ct->cfg->name, old ? "replaced" : "deleted",
		       c->spi_in);
	}
	ct->child = NULL;
	del = delete_child_task_new(c);
	if (del)
		exchange_queue(sa, del);
	else
		child_sa_drop(c);
	return true;
}

static enum task_result cc_process(struct ike_sa *sa, struct task *t, const struct ike_msg *m,
				   const uint8_t *raw, size_t rawlen)
{
	struct cc_task *ct = (struct cc_task *)t;
	const struct child_cfg *cc = ct->cfg;
	const struct ike_payload *err = msg_find_error(m), *spl = msg_find(m, IKE_PL_SA);
	const struct ike_payload *nonce = msg_find(m, IKE_PL_NONCE), *ke = msg_find(m, IKE_PL_KE);
	struct child_sa *c = ct->child, *old;
	struct ike_proposal chosen;
	struct ts tsi[CONF_MAX_TS], tsr[CONF_MAX_TS];
	size_t ntsi, ntsr, glen = 0;
	uint8_t gir[1024];
	struct ike_slice ni = { ct->ni, ct->ni_len }, nr, g = { gir, 0 };
	bool transport = msg_find_notify(m, IKE_N_USE_TRANSPORT_MODE) != NULL;
	char why[1024], a[512], b[512];
	uint16_t group;
	uint32_t rnd = 0;

	(void)raw;
	(void)rawlen;
	if (err) {
		uint16_t type = err->u.notify.type;

		if (type == IKE_N_INVALID_KE_PAYLOAD && err->u.notify.data.len == 2) {
			group = (uint16_t)(err->u.notify.data.p[0] << 8 | err->u.notify.data.p[1]);
			if (group_configured(cc, group) && group != ct->group &&
			    ct->ke_retries++ < KE_RETRIES_MAX) {
				sa_log(sa, LOG_CHD, 1, "CHILD_SA %s: the peer wants %s (INVALID_KE_PAYLOAD), "
				       "asking again", cc->name, ike_transform_name(IKE_TRANS_DH, group));
				ike_dh_free(ct->dh);
				ct->dh = NULL;
				ct->group = group;
				return TASK_RETRY;
			}
		}
		ike_random(&rnd, sizeof(rnd));
		if (type == IKE_N_TS_MAX_QUEUED && ct->pcpu) {
			pcpu_refused(sa, ct->fallback_spi_in, ct->cpu);
			child_sa_drop_pending(&ct->child);
		} else if (type == N_TEMPORARY_FAILURE)
			cc_failed(sa, ct, 1000 + rnd % 2000, "the peer answered TEMPORARY_FAILURE");
		else if (type == IKE_N_NO_PROPOSAL_CHOSEN)
			cc_failed(sa, ct, REKEY_RETRY_MS, "the peer accepted none of our ESP proposals "
				  "(NO_PROPOSAL_CHOSEN): we offered %s",
				  proposals_str(cc->esp, cc->nesp, a, sizeof(a)));
		else if (type == IKE_N_TS_UNACCEPTABLE)
			cc_failed(sa, ct, REKEY_RETRY_MS, "the peer sent TS_UNACCEPTABLE for TSi %s, "
				  "TSr %s", ts_list_str(ct->tsi, ct->ntsi, a, sizeof(a)),
				  ts_list_str(ct->tsr, ct->ntsr, b, sizeof(b)));
		else
			cc_failed(sa, ct, REKEY_RETRY_MS, "the peer sent %s", ike_notify_name(type));
		return TASK_DONE;
	}
	if (!c)
		return TASK_DONE;
	if (!spl || spl->u.sa.nprop != 1 || spl->u.sa.prop[0].protocol != IKE_PROTO_ESP ||
	    spl->u.sa.prop[0].spi_size != 4 || !child_proposal_spi(&spl->u.sa.prop[0]) || !nonce) {
		cc_failed(sa, ct, REKEY_RETRY_MS, "no usable SA payload or nonce in the response");
		return TASK_DONE;
	}
	if (ike_proposal_select(cc->esp, cc->nesp, spl->u.sa.prop, 1, 0, &chosen, why,
				sizeof(why))) {
		ike_proposal_format(&spl->u.sa.prop[0], a, sizeof(a));
		cc_failed(sa, ct, REKEY_RETRY_MS, "the peer chose ESP '%s', which we did not offer "
			  "(%s)", a, proposals_str(cc->esp, cc->nesp, b, sizeof(b)));
		return TASK_DONE;
	}
	if (nonce->u.raw.len < ike_nonce_min_len(sa->prf) || nonce->u.raw.len > IKE_NONCE_MAX) {
		cc_failed(sa, ct, REKEY_RETRY_MS, "the peer's nonce of %zu bytes is too short",
			  nonce->u.raw.len);
		return TASK_DONE;
	}
	group = proposal_group(&chosen);
	if (group && (group != ct->group || !ct->dh || !ke || ke->u.ke.group != group)) {
		cc_failed(sa, ct, REKEY_RETRY_MS, "the peer chose %s but its KE does not match ours",
			  ike_transform_name(IKE_TRANS_DH, group));
		return TASK_DONE;
	}
	if (group && shared_secret(ct->dh, group, ke, gir, sizeof(gir), &glen, why, sizeof(why))) {
		cc_failed(sa, ct, REKEY_RETRY_MS, "%s", why);
		return TASK_DONE;
	}
	g.len = glen;
	if (!child_ts_payload(m, IKE_PL_TSI, tsi, &ntsi) ||
	    !child_ts_payload(m, IKE_PL_TSR, tsr, &ntsr) ||
	    !child_ts_within(tsi, ntsi, ct->tsi, ct->ntsi) ||
	    !child_ts_within(tsr, ntsr, ct->tsr, ct->ntsr)) {
		ike_wipe(gir, sizeof(gir));
		cc_failed(sa, ct, REKEY_RETRY_MS, "the peer's selectors are not within ours (we sent "
			  "TSi %s, TSr %s)", ts_list_str(ct->tsi, ct->ntsi, a, sizeof(a)),
			  ts_list_str(ct->tsr, ct->ntsr, b, sizeof(b)));
		return TASK_DONE;
	}
	if (transport && cc->mode != MODE_TRANSPORT) {
		ike_wipe(gir, sizeof(gir));
		cc_failed(sa, ct, REKEY_RETRY_MS, "the peer wants transport mode, we asked for "
			  "tunnel mode");
		return TASK_DONE;
	}
	child_sa_set_answer(c, &chosen, child_proposal_spi(&spl->u.sa.prop[0]), transport, tsi, ntsi,
			    tsr, ntsr);
	nr.p = nonce->u.raw.p;
	nr.len = nonce->u.raw.len;
	child_sa_set_nonces(c, &ni, &nr);
	if (ct->old_spi_in && cc_redundant(sa, ct, c)) {
		ike_wipe(gir, sizeof(gir));
		return TASK_DONE;
	}
	if (!ct->old_spi_in)
		pcpu_answered(c, m);
	if (child_sa_derive(c, glen ? &g : NULL, &ni, &nr) || child_sa_install(c, KERNEL_IN) ||
	    child_sa_install(c, KERNEL_OUT)) {
		ike_wipe(gir, sizeof(gir));
		cc_failed(sa, ct, REKEY_RETRY_MS, "kesp.ko refused the SAs (see the line before)");
		return TASK_DONE;
	}
	ike_wipe(gir, sizeof(gir));
	ct->child = NULL;
	old = old_of(sa, ct);
	if (!old || old->state != CHILD_S_REKEYING) {
		/* A further child (or one whose old pair went meanwhile). */
		child_sa_add_routes(c);
		child_sa_established(c);
		ike_sa_notify_waiters(sa, true, "CHILD_SA established");
		return TASK_DONE;
	}
	/* Make before break: new pair in, old outbound out, old pair deleted;
	 * its inbound SA stays for the grace period. */
	child_sa_take_routes(c, old);
	child_sa_established(c);
	sa_log(sa, LOG_CHD, 0, "CHILD_SA %s{%u} rekeyed: SPIs %08x_i %08x_o replace %08x_i %08x_o%s",
	       cc->name, c->reqid, c->spi_in, c->spi_out, old->spi_in, old->spi_out,
	       glen ? " (PFS)" : "");
	child_sa_replaced(old);
	return TASK_DONE;
}

/* A rekey whose pair went (the peer deleted it) while it was queued. */
static bool cc_stale(struct ike_sa *sa, struct task *t)
{
	struct cc_task *ct = (struct cc_task *)t;

	struct child_sa *old = old_of(sa, ct);

	if (!ct->old_spi_in)
		return false;
	if (old && child_sa_successor(sa, old->spi_in)) {
		/* The peer rekeyed it first: its pair replaces the old one. */
		if (old->state == CHILD_S_REKEYING)
			old->state = CHILD_S_INSTALLED;
		return true;
	}
	return !old;
}

static void cc_abort(struct ike_sa *sa, struct task *t)
{
	struct cc_task *ct = (struct cc_task *)t;

	(void)sa;
	child_sa_drop_pending(&ct->child);
}

static void cc_free(struct task *t)
{
	struct cc_task *ct = (struct cc_task *)t;

	ike_dh_free(ct->dh);
	ike_wipe(ct, sizeof(*ct));
	free(ct);
}

static const struct task_ops cc_ops = {
	.name = "CREATE_CHILD_SA",
	.exchange = IKE_CREATE_CHILD_SA,
	.build = cc_build,
	.process = cc_process,
	.abort = cc_abort,
	.stale = cc_stale,
	.free = cc_free,
};

struct task *create_child_task_pcpu(const struct child_cfg *cc, const struct child_sa *fallback,
				    uint32_t cpu)
{
	struct cc_task *ct = (struct cc_task *)create_child_task_new(cc, NULL);

	if (!ct)
		return NULL;
	ct->pcpu = true;
	ct->cpu = cpu;
	ct->fallback_spi_in = fallback->spi_in;
	return &ct->t;
}

struct task *create_child_task_new(const struct child_cfg *cfg, struct child_sa *old)
{
	struct cc_task *ct = (struct cc_task *)task_alloc(sizeof(*ct), &cc_ops);

	if (!ct)
		return NULL;
	ct->cfg = cfg;
	ct->group = cfg->nesp ? proposal_group(&cfg->esp[0]) : 0;
	if (old) {
		ct->old_spi_in = old->spi_in;
		old->state = CHILD_S_REKEYING;
	}
	return &ct->t;
}

void child_rekey_start(struct child_sa *c)
{
	struct ike_sa *sa = c->ike;
	struct task *t;

	if (c->state != CHILD_S_INSTALLED || sa->state != IKE_S_ESTABLISHED)
		return;
	t = create_child_task_new(c->cfg, c);
	if (!t)
		return;
	sa_log(sa, LOG_CHD, 1, "CHILD_SA %s{%u}: rekeying SPIs %08x_i %08x_o", c->cfg->name,
	       c->reqid, c->spi_in, c->spi_out);
	exchange_queue(sa, t);
}

/* ---- responder ----------------------------------------------------------- */

/* Which pair a REKEY_SA notify names (our outbound SPI), or a refusal. */
static int rekey_target(struct ike_sa *sa, const struct ike_payload *n, struct child_sa **old,
			struct msg_out *resp)
{
	uint32_t spi;

	*old = NULL;
	if (n->u.notify.protocol != IKE_PROTO_ESP || n->u.notify.spi.len != 4) {
		sa_log(sa, LOG_CHD, 0, "REKEY_SA for protocol %u: answering NO_PROPOSAL_CHOSEN",
		       n->u.notify.protocol);
		msg_add_notify(resp, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return -1;
	}
	spi = (uint32_t)n->u.notify.spi.p[0] << 24 | (uint32_t)n->u.notify.spi.p[1] << 16 |
	      (uint32_t)n->u.notify.spi.p[2] << 8 | n->u.notify.spi.p[3];
	*old = child_sa_find_out(sa, spi);
	if (!*old) {
		sa_log(sa, LOG_CHD, 0, "the peer rekeys CHILD_SA %08x, which we do not have: "
		       "answering CHILD_SA_NOT_FOUND", spi);
		msg_add_notify(resp, N_CHILD_SA_NOT_FOUND, NULL, 0);
		return -1;
	}
	if ((*old)->state == CHILD_S_REKEYING && !child_sa_successor(sa, (*old)->spi_in)) {
		/* Ours is out too (or queued): both complete, §2.8.1 decides. */
		sa_log(sa, LOG_CHD, 1, "the peer rekeys CHILD_SA %s{%u} as we do: answering, the "
		       "lowest nonce decides which new pair stays", (*old)->cfg->name, (*old)->reqid);
		return 0;
	}
	if ((*old)->state != CHILD_S_INSTALLED || child_sa_successor(sa, (*old)->spi_in)) {
		/* Being deleted or replaced already: the peer tries again
		 * later (§2.25). */
		sa_log(sa, LOG_CHD, 0, "the peer rekeys CHILD_SA %s{%u}, which is %s here: answering "
		       "TEMPORARY_FAILURE", (*old)->cfg->name, (*old)->reqid,
		       child_state_name((*old)->state));
		msg_add_notify(resp, N_TEMPORARY_FAILURE, NULL, 0);
		return -1;
	}
	return 0;
}

void create_child_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp)
{
	const struct ike_payload *spl = msg_find(req, IKE_PL_SA), *nonce = msg_find(req, IKE_PL_NONCE);
	const struct ike_payload *ke = msg_find(req, IKE_PL_KE), *rekey;
	struct child_sa *old = NULL, *child;
	struct child_choice ch;
	struct ike_dh *dh = NULL;
	struct ike_error err = { 0 };
	uint8_t gir[1024], nr[IKE_NONCE_LEN], gbuf[2];
	size_t glen = 0;
	struct ike_slice ni, nrs = { nr, sizeof(nr) }, g = { gir, 0 };
	uint16_t group;
	char why[512];

	if (spl && spl->u.sa.nprop && spl->u.sa.prop[0].protocol == IKE_PROTO_IKE) {
		ike_rekey_respond(sa, req, resp);
		return;
	}
	if (sa->state != IKE_S_ESTABLISHED) {
		sa_log(sa, LOG_CHD, 0, "CREATE_CHILD_SA while the IKE SA is %s: answering "
		       "NO_ADDITIONAL_SAS", ike_state_name(sa->state));
		msg_add_notify(resp, N_NO_ADDITIONAL_SAS, NULL, 0);
		return;
	}
	rekey = msg_find_notify(req, IKE_N_REKEY_SA);
	if (rekey && rekey_target(sa, rekey, &old, resp))
		return;
	if (!nonce || nonce->u.raw.len < ike_nonce_min_len(sa->prf) ||
	    nonce->u.raw.len > IKE_NONCE_MAX) {
		sa_log(sa, LOG_CHD, 0, "CREATE_CHILD_SA without a usable nonce: answering "
		       "INVALID_SYNTAX");
		msg_add_notify(resp, IKE_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (child_choose(sa, req, old ? old->cfg : NULL, 0, &ch, resp) ||
	    (!old && pcpu_admit(sa, req, ch.cc, resp)))
		return;
	group = proposal_group(&ch.chosen);
	if (group && (!ke || ke->u.ke.group != group)) {
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: we chose %s, the peer's KE is %s: answering "
		       "INVALID_KE_PAYLOAD", ch.cc->name, ike_transform_name(IKE_TRANS_DH, group),
		       ke ? ike_transform_name(IKE_TRANS_DH, ke->u.ke.group) : "missing");
		gbuf[0] = (uint8_t)(group >> 8);
		gbuf[1] = (uint8_t)group;
		msg_add_notify(resp, IKE_N_INVALID_KE_PAYLOAD, gbuf, 2);
		return;
	}
	if (group) {
		dh = ike_dh_new(group, &err);
		if (!dh || shared_secret(dh, group, ke, gir, sizeof(gir), &glen, why, sizeof(why))) {
			sa_log(sa, LOG_CHD, 0, "CHILD_SA %s: %s: answering NO_PROPOSAL_CHOSEN",
			       ch.cc->name, dh ? why : err.reason);
			ike_dh_free(dh);
			msg_add_notify(resp, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
			return;
		}
		g.len = glen;
	}
	ni.p = nonce->u.raw.p;
	ni.len = nonce->u.raw.len;
	child = ike_nonce_new(sa->prf, nr, sizeof(nr)) ? NULL : child_sa_from_choice(sa, &ch);
	if (child)
		child->we_initiated = false;
	nonce_bias_apply(sa, false, nr, sizeof(nr));
	if (!child || child_sa_derive(child, glen ? &g : NULL, &ni, &nrs) ||
	    child_sa_install(child, KERNEL_IN)) {
		if (child)
			child_sa_drop(child);
		sa->d->st.child_failed++;
		ike_wipe(gir, sizeof(gir));
		ike_dh_free(dh);
		msg_add_notify(resp, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	ike_wipe(gir, sizeof(gir));
	child_sa_set_nonces(child, &ni, &nrs);
	child_add_esp_sa(resp, &ch.chosen, 1, child->spi_in, false);
	create_add_nonce(resp, nr, sizeof(nr));
	if (dh && create_add_ke(resp, dh, group))
		resp->overflow = true;	/* the caller fails the IKE SA */
	ike_dh_free(dh);
	child_add_ts(resp, IKE_PL_TSI, ch.remote, ch.nremote);
	child_add_ts(resp, IKE_PL_TSR, ch.local, ch.nlocal);
	if (ch.transport)
		msg_add_notify(resp, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	if (!old) {
		pcpu_respond(child, req, resp);
	} else {
		/* Outbound stays on the old pair until the initiator deletes it. */
		child->reqid = old->reqid;
		pcpu_inherit(child, old);
		child->replaces = old->spi_in;
		timer_arm(sa->d, &child->t_grace, CHILD_SWITCH_MS);
		sa_log(sa, LOG_CHD, 1, "CHILD_SA %s{%u}: rekey answered, inbound SA %08x installed; "
		       "switching when the peer deletes %08x", ch.cc->name, child->reqid,
		       child->spi_in, old->spi_out);
	}
}
