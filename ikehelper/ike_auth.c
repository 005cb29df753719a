// SPDX-License-Identifier: GPL-2.0
/*
 * IKE_AUTH (RFC 7296 §1.2, §2.15) with PSK or signatures (certificates:
 * auth_cert.c), both halves, and the first
 * CHILD_SA it carries: ESP proposals without their DH transforms (§1.2),
 * traffic selectors narrowed per §2.9, USE_TRANSPORT_MODE (§1.3.1). The
 * responder picks its connection here, by the peer's identity (policy.c),
 * installs the inbound SA before it answers and the outbound one after.
 * A CHILD_SA that fails (TS_UNACCEPTABLE, NO_PROPOSAL_CHOSEN) leaves the
 * IKE SA up, as §1.2 allows and strongSwan does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "daemon.h"

static bool id_from_payload(const struct ike_payload *pl, struct ike_id *id)
{
	memset(id, 0, sizeof(*id));
	if (!pl || pl->u.typed.data.len > IKE_ID_MAX || !pl->u.typed.data.len)
		return false;
	id->type = pl->u.typed.kind;
	id->len = (uint16_t)pl->u.typed.data.len;
	memcpy(id->data, pl->u.typed.data.p, id->len);
	return true;
}

static struct ike_payload *add_id(struct msg_out *m, uint8_t type, const struct ike_id *id)
{
	struct ike_payload *pl = msg_add(m, type);

	pl->u.typed.kind = id->type;
	pl->u.typed.data.p = id->data;
	pl->u.typed.data.len = id->len;
	return pl;
}

/* AUTH over ID (ours: not encoded yet) with PSK, into the message. */
static int add_auth(struct msg_out *m, struct ike_sa *sa, const struct ike_payload *id,
		    const struct psk *psk)
{
	struct ike_payload *pl;
	uint8_t *data = msg_alloc(m, IKE_PRF_MAX);
	size_t len;

	if (m->overflow || auth_psk_compute(sa, sa->initiator, psk->secret, psk->len, id, data,
					    &len))
		return -1;
	pl = msg_add(m, IKE_PL_AUTH);
	pl->u.typed.kind = AUTHM_PSK;
	pl->u.typed.data.p = data;
	pl->u.typed.data.len = len;
	return 0;
}

/* Our AUTH over ID by the connection's local auth; the PSK is the one for
 * us and PEER. 0, or -1 with the reason in WHY. */
static int add_our_auth(struct msg_out *m, struct ike_sa *sa, const struct ike_payload *id,
			const struct ike_id *peer, char *why, size_t whylen)
{
	const struct psk *psk;
	char a[IKE_ID_STRLEN], b[IKE_ID_STRLEN];

	if (sa->conn->local_auth == AUTH_PUBKEY)
		return auth_add_sig(sa, m, id, why, whylen);
	psk = config_find_psk(sa->d->cfg, &sa->id_local, peer);
	if (!psk) {
		snprintf(why, whylen, "no PSK in secrets for '%s' and '%s'",
			 id_str(&sa->id_local, a, sizeof(a)), id_str(peer, b, sizeof(b)));
		return -1;
	}
	if (add_auth(m, sa, id, psk)) {
		snprintf(why, whylen, "cannot compute our AUTH");
		return -1;
	}
	return 0;
}

static bool is_sig_method(unsigned int m)
{
	return m == AUTHM_RSA || m == AUTHM_SIG || (m >= AUTHM_ECDSA_256 && m <= AUTHM_ECDSA_521);
}

static bool auth_verifies(struct ike_sa *sa, const struct ike_payload *auth,
			  const struct ike_payload *id, const struct psk *psk)
{
	uint8_t want[IKE_PRF_MAX];
	size_t len;
	bool ok;

	if (auth_psk_compute(sa, !sa->initiator, psk->secret, psk->len, id, want, &len))
		return false;
	ok = auth->u.typed.data.len == len && !gnutls_memcmp(want, auth->u.typed.data.p, len);
	ike_wipe(want, sizeof(want));
	return ok;
}

/* Our selectors for a child, "dynamic" replaced by the IKE addresses. */
static size_t resolve_ts(const struct ts *cfg, size_t n, const struct addr *host, struct ts *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = cfg[i];
		if (out[i].dynamic)
			ts_resolve(&out[i], host);
	}
	return n;
}

static bool ts_payload(const struct ike_msg *m, uint8_t type, struct ts *out, size_t *n)
{
	const struct ike_payload *pl = msg_find(m, type);

	*n = 0;
	if (!pl)
		return false;
	for (unsigned int i = 0; i < pl->u.ts.nts && *n < CONF_MAX_TS; i++)
		if (ts_from_wire(&pl->u.ts.ts[i], &out[*n]))
			(*n)++;
	return *n > 0;
}

static void add_ts(struct msg_out *m, uint8_t type, const struct ts *ts, size_t n)
{
	struct ike_ts *w = msg_add_ts(m, type, n);

	for (size_t i = 0; i < n && !m->overflow; i++)
		ts_to_wire(&ts[i], &w[i]);
}

static void add_esp_sa(struct msg_out *m, const struct ike_proposal *p, size_t n, uint32_t spi,
		       bool strip_dh)
{
	struct ike_proposal *props = msg_add_sa(m, n);

	for (size_t i = 0; i < n && !m->overflow; i++) {
		struct ike_proposal *q = &props[i];

		*q = p[i];
		q->num = strip_dh ? (uint8_t)(i + 1) : p[i].num;
		q->protocol = IKE_PROTO_ESP;
		q->spi_size = 4;
		q->spi[0] = (uint8_t)(spi >> 24);
		q->spi[1] = (uint8_t)(spi >> 16);
		q->spi[2] = (uint8_t)(spi >> 8);
		q->spi[3] = (uint8_t)spi;
		if (strip_dh) {
			/* IKE_AUTH's CHILD_SA has no KE of its own (§1.2). */
			unsigned int k = 0;

			for (unsigned int j = 0; j < q->ntrans; j++)
				if (q->trans[j].type != IKE_TRANS_DH)
					q->trans[k++] = q->trans[j];
			q->ntrans = (uint8_t)k;
		}
	}
}

static uint32_t spi_of(const struct ike_proposal *p)
{
	return (uint32_t)p->spi[0] << 24 | (uint32_t)p->spi[1] << 16 | (uint32_t)p->spi[2] << 8 |
	       p->spi[3];
}

/* The installed CHILD_SA's log line, as strongSwan's "CHILD_SA ... established". */
static void child_established(struct child_sa *c)
{
	char l[512], r[512], algs[128];

	c->state = CHILD_S_INSTALLED;
	c->installed_at = c->ike->d->now;
	c->ike->d->st.child_installed++;
	sa_log(c->ike, LOG_CHD, 0, "CHILD_SA %s{%u} established: SPIs %08x_i %08x_o, %s, %s%s, "
	       "TS %s === %s", c->cfg->name, c->reqid, c->spi_in, c->spi_out,
	       child_sa_algs(c, algs, sizeof(algs)),
	       c->mode == MODE_TRANSPORT ? "transport" : "tunnel",
	       c->encap ? " in UDP" : "", ts_list_str(c->ts_local, c->nts_local, l, sizeof(l)),
	       ts_list_str(c->ts_remote, c->nts_remote, r, sizeof(r)));
}

static bool child_error_notify(uint16_t type)
{
	switch (type) {
	case IKE_N_NO_PROPOSAL_CHOSEN:
	case 34: /* SINGLE_PAIR_REQUIRED */
	case 35: /* NO_ADDITIONAL_SAS */
	case 36: /* INTERNAL_ADDRESS_FAILURE */
	case 37: /* FAILED_CP_REQUIRED */
	case IKE_N_TS_UNACCEPTABLE:
	case 39: /* INVALID_SELECTORS */
		return true;
	}
	return false;
}

/* ---- initiator ----------------------------------------------------------- */

struct auth_task {
	struct task t;
	struct child_sa *child;		/* the CHILD_SA we propose; NULL: none */
	struct ts tsi[CONF_MAX_TS], tsr[CONF_MAX_TS];
	size_t ntsi, ntsr;
};

static bool has_other_sa(struct ike_sa *sa)
{
	for (struct ike_sa *o = sa->d->sas; o; o = o->next_all)
		if (o != sa && o->conn == sa->conn && o->state == IKE_S_ESTABLISHED &&
		    addr_equal(&o->remote.addr, &sa->remote.addr))
			return true;
	return false;
}

static int auth_build(struct ike_sa *sa, struct task *t, struct msg_out *m)
{
	struct auth_task *at = (struct auth_task *)t;
	const struct conn *c = sa->conn;
	const struct psk *psk;
	struct ike_payload *idi;
	const struct child_cfg *cc = sa->want_child;
	char me[IKE_ID_STRLEN], peer[IKE_ID_STRLEN], why[1024];

	policy_local_id(c, sa, &sa->id_local);
	psk = config_find_psk(sa->d->cfg, &sa->id_local, &c->remote_id);
	if (c->local_auth == AUTH_PSK && !psk) {
		sa_log(sa, LOG_IKE, 0, "no PSK in secrets for '%s' and '%s'",
		       id_str(&sa->id_local, me, sizeof(me)), id_str(&c->remote_id, peer, sizeof(peer)));
		return -1;
	}
	idi = add_id(m, IKE_PL_IDI, &sa->id_local);
	auth_add_certs(sa, m, NULL);
	if (c->remote_auth == AUTH_PUBKEY && c->send_certreq)
		auth_add_certreq(m, &c, 1);
	if (!has_other_sa(sa))
		msg_add_notify(m, IKE_N_INITIAL_CONTACT, NULL, 0);
	/* IDr says whom we want, unless any peer will do. */
	if (c->remote_id.type != IKE_ID_ANY && !memchr(c->remote_id.data, '*', c->remote_id.len))
		add_id(m, IKE_PL_IDR, &c->remote_id);
	if (add_our_auth(m, sa, idi, &c->remote_id, why, sizeof(why))) {
		sa_log(sa, LOG_IKE, 0, "cannot authenticate: %s", why);
		return -1;
	}
	if (!cc)
		return m->overflow ? -1 : 0;
	if (!at->child) {
		uint32_t ifindex;
		uint32_t spi = child_sa_alloc_spi(sa, cc, &ifindex);

		if (!spi)
			return -1;
		at->child = child_sa_new(sa, cc);
		if (!at->child)
			return -1;
		at->child->ifindex = ifindex;
		at->child->spi_in = spi;
	}
	add_esp_sa(m, cc->esp, cc->nesp, at->child->spi_in, true);
	at->ntsi = resolve_ts(cc->local_ts, cc->nlocal_ts, &sa->local.addr, at->tsi);
	at->ntsr = resolve_ts(cc->remote_ts, cc->nremote_ts, &sa->remote.addr, at->tsr);
	add_ts(m, IKE_PL_TSI, at->tsi, at->ntsi);
	add_ts(m, IKE_PL_TSR, at->tsr, at->ntsr);
	if (cc->mode == MODE_TRANSPORT)
		msg_add_notify(m, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	return m->overflow ? -1 : 0;
}

/* Removes the proposed child (kernel state included). */
static void drop_child(struct ike_sa *sa, struct child_sa *c)
{
	struct child_sa **pp;

	for (pp = &sa->children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	child_sa_uninstall(c);
	child_sa_free(c);
}

static void child_failed(struct ike_sa *sa, struct auth_task *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void child_failed(struct ike_sa *sa, struct auth_task *at, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sa->d->st.child_failed++;
	sa_log(sa, LOG_CHD, 0, "CHILD_SA %s failed, keeping the IKE SA: %s",
	       at->child ? at->child->cfg->name : "?", why);
	if (at->child)
		drop_child(sa, at->child);
	at->child = NULL;
	ike_sa_notify_waiters(sa, false, why);
}

/* Whether each selector of GOT lies within one of SENT. */
static bool ts_within(const struct ts *got, size_t ngot, const struct ts *sent, size_t nsent)
{
	for (size_t i = 0; i < ngot; i++) {
		bool ok = false;

		for (size_t j = 0; j < nsent && !ok; j++)
			ok = ts_subset(&got[i], &sent[j]);
		if (!ok)
			return false;
	}
	return ngot > 0;
}

static void process_child(struct ike_sa *sa, struct auth_task *at, const struct ike_msg *m)
{
	struct child_sa *c = at->child;
	const struct child_cfg *cc = c->cfg;
	const struct ike_payload *err = msg_find_error(m), *spl = msg_find(m, IKE_PL_SA);
	struct ike_proposal chosen;
	struct ts tsi[CONF_MAX_TS], tsr[CONF_MAX_TS];
	size_t ntsi, ntsr;
	bool transport = msg_find_notify(m, IKE_N_USE_TRANSPORT_MODE) != NULL;
	char why[1024], a[512], b[512];

	if (err && child_error_notify(err->u.notify.type)) {
		if (err->u.notify.type == IKE_N_TS_UNACCEPTABLE)
			child_failed(sa, at, "the peer sent TS_UNACCEPTABLE for TSi %s, TSr %s",
				     ts_list_str(at->tsi, at->ntsi, a, sizeof(a)),
				     ts_list_str(at->tsr, at->ntsr, b, sizeof(b)));
		else if (err->u.notify.type == IKE_N_NO_PROPOSAL_CHOSEN)
			child_failed(sa, at, "the peer accepted none of our ESP proposals "
				     "(NO_PROPOSAL_CHOSEN): we offered %s",
				     proposals_str(cc->esp, cc->nesp, a, sizeof(a)));
		else
			child_failed(sa, at, "the peer sent %s",
				     ike_notify_name(err->u.notify.type));
		return;
	}
	if (!spl || spl->u.sa.nprop != 1 || spl->u.sa.prop[0].protocol != IKE_PROTO_ESP ||
	    spl->u.sa.prop[0].spi_size != 4 || !spi_of(&spl->u.sa.prop[0])) {
		child_failed(sa, at, "no usable SA payload for the CHILD_SA in the response");
		return;
	}
	if (ike_proposal_select(cc->esp, cc->nesp, spl->u.sa.prop, 1, IKE_SELECT_SKIP_DH, &chosen,
				why, sizeof(why))) {
		ike_proposal_format(&spl->u.sa.prop[0], a, sizeof(a));
		child_failed(sa, at, "the peer chose ESP '%s', which we did not offer (%s)", a,
			     proposals_str(cc->esp, cc->nesp, b, sizeof(b)));
		return;
	}
	if (!ts_payload(m, IKE_PL_TSI, tsi, &ntsi) || !ts_payload(m, IKE_PL_TSR, tsr, &ntsr) ||
	    !ts_within(tsi, ntsi, at->tsi, at->ntsi) || !ts_within(tsr, ntsr, at->tsr, at->ntsr)) {
		child_failed(sa, at, "the peer's selectors are not within ours (we sent TSi %s, "
			     "TSr %s)", ts_list_str(at->tsi, at->ntsi, a, sizeof(a)),
			     ts_list_str(at->tsr, at->ntsr, b, sizeof(b)));
		return;
	}
	if (transport && cc->mode != MODE_TRANSPORT) {
		child_failed(sa, at, "the peer wants transport mode, we asked for tunnel mode");
		return;
	}
	if (!transport && cc->mode == MODE_TRANSPORT)
		sa_log(sa, LOG_CHD, 1, "CHILD_SA %s: the peer chose tunnel mode over our "
		       "transport mode", cc->name);
	c->prop = chosen;
	c->spi_out = spi_of(&spl->u.sa.prop[0]);
	c->mode = transport ? MODE_TRANSPORT : MODE_TUNNEL;
	memcpy(c->ts_local, tsi, ntsi * sizeof(tsi[0]));
	c->nts_local = ntsi;
	memcpy(c->ts_remote, tsr, ntsr * sizeof(tsr[0]));
	c->nts_remote = ntsr;
	c->encap = sa->nat_local || sa->nat_remote;
	if (child_sa_install(c, KERNEL_IN) || child_sa_install(c, KERNEL_OUT)) {
		child_failed(sa, at, "kesp.ko refused the SAs (see the line before)");
		return;
	}
	child_sa_add_routes(c);
	child_established(c);
	at->child = NULL;
	ike_sa_notify_waiters(sa, true, "IKE SA and CHILD_SA established");
}

/* Initiator: the responder's AUTH (in M, for identity PEER) by our remote
 * auth; on failure AUTHENTICATION_FAILED is sent and the SA fails. */
static bool peer_verifies(struct ike_sa *sa, const struct ike_msg *m,
			  const struct ike_payload *idr, const struct ike_id *peer)
{
	const struct conn *c = sa->conn;
	const struct ike_payload *auth = msg_find(m, IKE_PL_AUTH);
	unsigned int method = auth->u.typed.kind;
	const struct psk *psk = NULL;
	char why[1024], a[IKE_ID_STRLEN];

	if (c->remote_auth == AUTH_PUBKEY) {
		if (!is_sig_method(method))
			snprintf(why, sizeof(why), "it authenticated with method %u (%s), we expect "
				 "a signature (remote auth = pubkey)", method,
				 auth_method_name(method));
		else if (!auth_check_sig(sa, m, idr, peer, why, sizeof(why)))
			return true;
	} else if (method != AUTHM_PSK) {
		snprintf(why, sizeof(why), "it authenticated with method %u (%s), we expect a PSK "
			 "(remote auth = psk)", method, auth_method_name(method));
	} else {
		psk = config_find_psk(sa->d->cfg, &sa->id_local, peer);
		if (psk && auth_verifies(sa, auth, idr, psk))
			return true;
		snprintf(why, sizeof(why), "the AUTH (PSK) does not verify with %s",
			 psk ? "our PSK: the PSKs differ" : "any PSK we have");
	}
	exchange_send_error_info(sa, IKE_N_AUTHENTICATION_FAILED);
	ike_sa_fail(sa, "AUTHENTICATION_FAILED: peer '%s': %s", id_str(peer, a, sizeof(a)), why);
	return false;
}

static enum task_result auth_process(struct ike_sa *sa, struct task *t, const struct ike_msg *m,
				     const uint8_t *raw, size_t rawlen)
{
	struct auth_task *at = (struct auth_task *)t;
	const struct conn *c = sa->conn;
	const struct ike_payload *idr = msg_find(m, IKE_PL_IDR), *auth = msg_find(m, IKE_PL_AUTH);
	const struct ike_payload *err = msg_find_error(m);
	struct ike_id peer;
	char a[IKE_ID_STRLEN], b[IKE_ID_STRLEN];

	(void)raw;
	(void)rawlen;
	if (err && err->u.notify.type == IKE_N_AUTHENTICATION_FAILED) {
		if (c->local_auth == AUTH_PUBKEY)
			ike_sa_fail(sa, "the peer rejected our authentication (AUTHENTICATION_FAILED): "
				    "we are '%s' with certificate '%s'; check that the peer trusts "
				    "its CA, that it is valid and not revoked, and both identities "
				    "(the peer's log says which)", id_str(&sa->id_local, a, sizeof(a)),
				    c->creds->certs[c->local_cert].file);
		else
			ike_sa_fail(sa, "the peer rejected our authentication (AUTHENTICATION_FAILED): "
				    "we are '%s' with a PSK; check the PSK and both identities",
				    id_str(&sa->id_local, a, sizeof(a)));
		return TASK_FAILED;
	}
	if (!idr || !auth || !id_from_payload(idr, &peer)) {
		ike_sa_fail(sa, "IKE_AUTH response without %s%s",
			    err ? "IDr and AUTH, with " : !idr ? "IDr" : "AUTH",
			    err ? ike_notify_name(err->u.notify.type) : "");
		return TASK_FAILED;
	}
	if (!id_matches(&c->remote_id, &peer)) {
		exchange_send_error_info(sa, IKE_N_AUTHENTICATION_FAILED);
		ike_sa_fail(sa, "the peer is '%s' (%s), but we expect '%s'", id_str(&peer, a, sizeof(a)),
			    id_type_name(peer.type), id_str(&c->remote_id, b, sizeof(b)));
		return TASK_FAILED;
	}
	if (!peer_verifies(sa, m, idr, &peer))
		return TASK_FAILED;
	sa->id_remote = peer;
	ike_sa_established(sa);
	if (at->child)
		process_child(sa, at, m);
	else
		ike_sa_notify_waiters(sa, true, "IKE SA established");
	return TASK_DONE;
}

static void auth_abort(struct ike_sa *sa, struct task *t)
{
	struct auth_task *at = (struct auth_task *)t;

	if (at->child)
		drop_child(sa, at->child);
	at->child = NULL;
}

static const struct task_ops auth_ops = {
	.name = "IKE_AUTH",
	.exchange = IKE_AUTH,
	.build = auth_build,
	.process = auth_process,
	.abort = auth_abort,
	.free = task_free_plain,
};

struct task *ike_auth_task_new(void)
{
	return task_alloc(sizeof(struct auth_task), &auth_ops);
}

/* ---- responder ----------------------------------------------------------- */

/* AUTHENTICATION_FAILED, and the IKE SA ends with this answer. */
static void refuse(struct ike_sa *sa, struct msg_out *resp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse(struct ike_sa *sa, struct msg_out *resp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sa->error, sizeof(sa->error), fmt, ap);
	va_end(ap);
	sa_log(sa, LOG_IKE, 0, "%s: answering AUTHENTICATION_FAILED", sa->error);
	msg_reset(resp);
	msg_add_notify(resp, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
	sa->close_after_send = true;
}

/* INITIAL_CONTACT (§2.4): the peer lost its state; its old SAs with us go. */
static void initial_contact(struct ike_sa *sa)
{
	struct ike_sa *o, *next;

	for (o = sa->d->sas; o; o = next) {
		next = o->next_all;
		if (o != sa && o->conn == sa->conn && o->state == IKE_S_ESTABLISHED &&
		    id_equal(&o->id_remote, &sa->id_remote)) {
			sa_log(o, LOG_IKE, 0, "replaced by IKE SA %llu (INITIAL_CONTACT)",
			       (unsigned long long)sa->id);
			ike_sa_destroy(o, "replaced after INITIAL_CONTACT");
		}
	}
}

/* Host-to-host: every selector is exactly that side's IKE address. */
static bool host_to_host(const struct ts *ts, size_t n, const struct addr *h)
{
	for (size_t i = 0; i < n; i++)
		if (!ts_is_host(&ts[i], h))
			return false;
	return n > 0;
}

static void respond_child(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp)
{
	const struct conn *c = sa->conn;
	const struct ike_payload *spl = msg_find(req, IKE_PL_SA);
	const struct child_cfg *cc = NULL;
	struct ts tsi[CONF_MAX_TS], tsr[CONF_MAX_TS], local[CONF_MAX_TS], remote[CONF_MAX_TS];
	struct ts nl[CONF_MAX_TS], nr[CONF_MAX_TS];
	size_t ntsi, ntsr, nnl = 0, nnr = 0;
	struct ike_proposal chosen;
	struct child_sa *child;
	uint32_t ifindex, spi;
	bool transport;
	char why[1024], a[512], b[512], ours[1024];

	if (!ts_payload(req, IKE_PL_TSI, tsi, &ntsi) || !ts_payload(req, IKE_PL_TSR, tsr, &ntsr)) {
		sa_log(sa, LOG_CHD, 0, "CHILD_SA refused: %s: answering TS_UNACCEPTABLE",
		       msg_find(req, IKE_PL_TSI) ? "no selector of a type we know" :
		       "the request has no TSi/TSr");
		msg_add_notify(resp, IKE_N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	ours[0] = '\0';
	for (size_t i = 0; i < c->nchildren && !cc; i++) {
		const struct child_cfg *k = &c->children[i];
		size_t nlo = resolve_ts(k->local_ts, k->nlocal_ts, &sa->local.addr, local);
		size_t nre = resolve_ts(k->remote_ts, k->nremote_ts, &sa->remote.addr, remote);
		size_t off = strlen(ours);

		nnl = ts_narrow(local, nlo, tsr, ntsr, nl, CONF_MAX_TS);
		nnr = ts_narrow(remote, nre, tsi, ntsi, nr, CONF_MAX_TS);
		if (nnl && nnr)
			cc = k;
		else if (off + 2 < sizeof(ours))
			snprintf(ours + off, sizeof(ours) - off, "%s%s: local %s, remote %s",
				 off ? "; " : "", k->name, ts_list_str(local, nlo, a, sizeof(a)),
				 ts_list_str(remote, nre, b, sizeof(b)));
	}
	if (!cc) {
		sa->d->st.child_failed++;
		sa_log(sa, LOG_CHD, 0, "CHILD_SA refused: the peer's TSi %s, TSr %s fit no child "
		       "(%s): answering TS_UNACCEPTABLE", ts_list_str(tsi, ntsi, a, sizeof(a)),
		       ts_list_str(tsr, ntsr, b, sizeof(b)), ours[0] ? ours : "no children");
		msg_add_notify(resp, IKE_N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	if (!spl || ike_proposal_select(cc->esp, cc->nesp, spl->u.sa.prop, spl->u.sa.nprop,
					IKE_SELECT_SKIP_DH, &chosen, why, sizeof(why)) ||
	    chosen.protocol != IKE_PROTO_ESP || chosen.spi_size != 4 || !spi_of(&chosen)) {
		sa->d->st.child_failed++;
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s refused: no ESP proposal chosen: we accept %s; "
		       "the peer offered %s (%s): answering NO_PROPOSAL_CHOSEN", cc->name,
		       proposals_str(cc->esp, cc->nesp, a, sizeof(a)),
		       spl ? proposals_str(spl->u.sa.prop, spl->u.sa.nprop, b, sizeof(b)) : "nothing",
		       why);
		msg_add_notify(resp, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	/* strongSwan's rule: transport mode only if asked for, configured, and
	 * host to host; otherwise tunnel mode. */
	transport = msg_find_notify(req, IKE_N_USE_TRANSPORT_MODE) && cc->mode == MODE_TRANSPORT &&
		    host_to_host(nr, nnr, &sa->remote.addr) && host_to_host(nl, nnl, &sa->local.addr);
	spi = child_sa_alloc_spi(sa, cc, &ifindex);
	child = spi ? child_sa_new(sa, cc) : NULL;
	if (!child) {
		msg_add_notify(resp, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	child->ifindex = ifindex;
	child->spi_in = spi;
	child->spi_out = spi_of(&chosen);
	child->prop = chosen;
	child->mode = transport ? MODE_TRANSPORT : MODE_TUNNEL;
	memcpy(child->ts_local, nl, nnl * sizeof(nl[0]));
	child->nts_local = nnl;
	memcpy(child->ts_remote, nr, nnr * sizeof(nr[0]));
	child->nts_remote = nnr;
	child->encap = sa->nat_local || sa->nat_remote;
	/* Inbound first: the peer may send as soon as it reads our answer. */
	if (child_sa_install(child, KERNEL_IN)) {
		sa->children = child->next;
		child_sa_uninstall(child);
		child_sa_free(child);
		sa->d->st.child_failed++;
		msg_add_notify(resp, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	add_esp_sa(resp, &chosen, 1, spi, false);
	add_ts(resp, IKE_PL_TSI, nr, nnr);
	add_ts(resp, IKE_PL_TSR, nl, nnl);
	if (transport)
		msg_add_notify(resp, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
}

void ike_auth_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp)
{
	const struct ike_payload *idi = msg_find(req, IKE_PL_IDI), *idr = msg_find(req, IKE_PL_IDR);
	const struct ike_payload *auth = msg_find(req, IKE_PL_AUTH);
	struct ike_id peer, wanted;
	const struct conn *c;
	const struct psk *psk;
	struct ike_payload *our_id;
	char why[1024], a[IKE_ID_STRLEN], b[IKE_ID_STRLEN];

	if (!idi || !auth || !id_from_payload(idi, &peer) || (idr && !id_from_payload(idr, &wanted))) {
		refuse(sa, resp, "IKE_AUTH request without a usable %s", !auth ? "AUTH" : "IDi");
		return;
	}
	if (auth->u.typed.kind != AUTHM_PSK && !is_sig_method(auth->u.typed.kind)) {
		refuse(sa, resp, "peer '%s' authenticates with method %u (%s); kesp supports PSK "
		       "and signatures", id_str(&peer, a, sizeof(a)), auth->u.typed.kind,
		       auth_method_name(auth->u.typed.kind));
		return;
	}
	c = policy_conn_for_peer(sa->d, sa, &peer, idr ? &wanted : NULL, auth->u.typed.kind, why,
				 sizeof(why));
	if (!c) {
		refuse(sa, resp, "no connection for peer identity '%s' (%s, %s): %s",
		       id_str(&peer, a, sizeof(a)), id_type_name(peer.type),
		       auth_method_name(auth->u.typed.kind), why);
		return;
	}
	ike_sa_set_conn(sa, c);
	policy_local_id(c, sa, &sa->id_local);
	if (c->remote_auth == AUTH_PUBKEY) {
		if (auth_check_sig(sa, req, idi, &peer, why, sizeof(why))) {
			refuse(sa, resp, "peer '%s': %s", id_str(&peer, a, sizeof(a)), why);
			return;
		}
	} else {
		psk = config_find_psk(sa->d->cfg, &sa->id_local, &peer);
		if (!psk) {
			refuse(sa, resp, "no PSK in secrets for '%s' and '%s'",
			       id_str(&sa->id_local, a, sizeof(a)), id_str(&peer, b, sizeof(b)));
			return;
		}
		if (!auth_verifies(sa, auth, idi, psk)) {
			refuse(sa, resp, "the AUTH of peer '%s' (PSK) does not verify with the PSK "
			       "of secret '%s': the PSKs differ", id_str(&peer, a, sizeof(a)),
			       psk->name);
			return;
		}
	}
	our_id = add_id(resp, IKE_PL_IDR, &sa->id_local);
	auth_add_certs(sa, resp, req);
	if (add_our_auth(resp, sa, our_id, &peer, why, sizeof(why))) {
		refuse(sa, resp, "cannot authenticate ourselves: %s", why);
		return;
	}
	sa->id_remote = peer;
	ike_sa_established(sa);
	if (msg_find_notify(req, IKE_N_INITIAL_CONTACT))
		initial_contact(sa);
	if (msg_find(req, IKE_PL_SA))
		respond_child(sa, req, resp);
}

void ike_auth_respond_done(struct ike_sa *sa)
{
	for (struct child_sa *c = sa->children; c; c = c->next) {
		if (c->state != CHILD_S_INSTALLING || !c->kid_in)
			continue;
		if (child_sa_install(c, KERNEL_OUT)) {
			sa->d->st.child_failed++;
			child_sa_uninstall(c);
			c->state = CHILD_S_DELETING;
			exchange_queue(sa, delete_child_task_new(c));
			continue;
		}
		child_sa_add_routes(c);
		child_established(c);
	}
}
