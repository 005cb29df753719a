// SPDX-License-Identifier: GPL-2.0
/*
 * IKE_AUTH (RFC 7296 §1.2, §2.15) with PSK or signatures (certificates:
 * auth_cert.c) or EAP (§2.16, auth_eap.c: more rounds), both halves, and the first
 * CHILD_SA it carries: ESP proposals without their DH transforms (§1.2),
 * traffic selectors narrowed per §2.9, USE_TRANSPORT_MODE (§1.3.1). The
 * responder picks its connection here, by the peer's identity (policy.c),
 * installs the inbound SA before it answers and the outbound one after.
 * A CHILD_SA that fails (TS_UNACCEPTABLE, NO_PROPOSAL_CHOSEN) leaves the
 * IKE SA up, as §1.2 allows and strongSwan does. Childless IKE SAs (RFC
 * 6023, the connection's childless): an IKE_AUTH without SA, TSi and TSr,
 * accepted when we offered it in IKE_SA_INIT (ike_init.c) and refused with
 * INVALID_SYNTAX, as charon, when the connection says never (or, for one
 * with a CHILD_SA, force). The configuration payload
 * (vips, pools) is cp.c's; a client without the address it asked for
 * deletes the IKE SA.
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
	if (auth_psk_add(m, sa, id, psk->secret, psk->len)) {
		snprintf(why, whylen, "cannot compute our AUTH");
		return -1;
	}
	return 0;
}

static bool is_sig_method(unsigned int m)
{
	return m == AUTHM_RSA || m == AUTHM_SIG || (m >= AUTHM_ECDSA_256 && m <= AUTHM_ECDSA_521);
}

/* ---- initiator ----------------------------------------------------------- */

enum auth_stage {
	STAGE_FIRST,		/* IDi, [AUTH], SA, TS */
	STAGE_EAP,		/* EAP: our next EAP Response */
	STAGE_EAP_AUTH,		/* EAP done: our AUTH keyed by the MSK */
};

struct auth_task {
	struct task t;
	enum auth_stage stage;
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

static int resumed_build(struct ike_sa *sa, struct auth_task *at, struct msg_out *m);
static int add_child(struct ike_sa *sa, struct auth_task *at, struct msg_out *m);

static int auth_build(struct ike_sa *sa, struct task *t, struct msg_out *m)
{
	struct auth_task *at = (struct auth_task *)t;
	const struct conn *c = sa->conn;
	const struct psk *psk;
	struct ike_payload *idi;
	char me[IKE_ID_STRLEN], peer[IKE_ID_STRLEN], why[1024];

	if (at->stage == STAGE_EAP) {
		auth_eap_client_add(sa, m);
		return m->overflow ? -1 : 0;
	}
	if (at->stage == STAGE_EAP_AUTH) {
		if (auth_eap_add_auth(sa, m)) {
			sa_log(sa, LOG_IKE, 0, "cannot compute our AUTH from the EAP MSK");
			return -1;
		}
		return m->overflow ? -1 : 0;
	}
	if (sa->resumed)
		return resumed_build(sa, at, m);
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
	mobike_auth_add(sa, m);
	/* RFC 5998: the server is to authenticate by EAP (MSCHAPv2 is mutual). */
	if (c->local_auth == AUTH_EAP && c->remote_auth == AUTH_EAP)
		msg_add_notify(m, IKE_N_EAP_ONLY_AUTHENTICATION, NULL, 0);
	/* IDr says whom we want, unless any peer will do. */
	if (c->remote_id.type != IKE_ID_ANY && !memchr(c->remote_id.data, '*', c->remote_id.len))
		add_id(m, IKE_PL_IDR, &c->remote_id);
	/* EAP (§2.16): no AUTH in the first message. */
	if (c->local_auth != AUTH_EAP && add_our_auth(m, sa, idi, &c->remote_id, why, sizeof(why))) {
		sa_log(sa, LOG_IKE, 0, "cannot authenticate: %s", why);
		return -1;
	}
	if (c->nvips)
		cp_add_request(sa, m);
	resume_auth_add_request(sa, m);
	return add_child(sa, at, m);
}

/*
 * RFC 5723 §4.3.3: after IKE_SESSION_RESUME, IDi (and IDr) are the
 * ticket's, no CERT, no EAP; AUTH is keyed by SK_pi (resume.c).
 */
static int resumed_build(struct ike_sa *sa, struct auth_task *at, struct msg_out *m)
{
	struct ike_payload *idi;

	sa->id_local = sa->rt->idi;
	idi = add_id(m, IKE_PL_IDI, &sa->id_local);
	if (!has_other_sa(sa))
		msg_add_notify(m, IKE_N_INITIAL_CONTACT, NULL, 0);
	mobike_auth_add(sa, m);
	add_id(m, IKE_PL_IDR, &sa->rt->idr);
	if (resume_auth_add(sa, m, idi)) {
		sa_log(sa, LOG_IKE, 0, "cannot compute our AUTH of the resumed IKE SA");
		return -1;
	}
	if (sa->conn->nvips)
		cp_add_request(sa, m);
	resume_auth_add_request(sa, m);
	return add_child(sa, at, m);
}

/* The first CHILD_SA of IKE_AUTH's first request, if any. */
static int add_child(struct ike_sa *sa, struct auth_task *at, struct msg_out *m)
{
	const struct conn *c = sa->conn;
	const struct child_cfg *cc = sa->want_child;

	if (!cc)
		return m->overflow ? -1 : 0;
	if (c->childless == CHILDLESS_FORCE) {
		/* RFC 6023: the CHILD_SA's CREATE_CHILD_SA is queued behind us. */
		sa_log(sa, LOG_IKE, 0, "childless IKE_AUTH (childless = force): no CHILD_SA in it, "
		       "CHILD_SA %s follows by CREATE_CHILD_SA", cc->name);
		return m->overflow ? -1 : 0;
	}
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
	child_add_esp_sa(m, cc->esp, cc->nesp, at->child->spi_in, true);
	at->ntsi = cp_local_ts(sa, cc, at->tsi);
	at->ntsr = cp_remote_ts(sa, cc, at->tsr);
	child_add_ts(m, IKE_PL_TSI, at->tsi, at->ntsi);
	child_add_ts(m, IKE_PL_TSR, at->tsr, at->ntsr);
	if (cc->mode == MODE_TRANSPORT)
		msg_add_notify(m, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	pcpu_request(m, at->child);
	return m->overflow ? -1 : 0;
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
	child_sa_drop_pending(&at->child);
	ike_sa_notify_waiters(sa, false, why);
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
	    spl->u.sa.prop[0].spi_size != 4 || !child_proposal_spi(&spl->u.sa.prop[0])) {
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
	if (!child_ts_payload(m, IKE_PL_TSI, tsi, &ntsi) || !child_ts_payload(m, IKE_PL_TSR, tsr, &ntsr) ||
	    !child_ts_within(tsi, ntsi, at->tsi, at->ntsi) || !child_ts_within(tsr, ntsr, at->tsr, at->ntsr)) {
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
	child_sa_set_answer(c, &chosen, child_proposal_spi(&spl->u.sa.prop[0]), transport, tsi, ntsi,
			    tsr, ntsr);
	pcpu_answered(c, m);
	if (child_sa_install(c, KERNEL_IN) || child_sa_install(c, KERNEL_OUT)) {
		child_failed(sa, at, "kesp.ko refused the SAs (see the line before)");
		return;
	}
	child_sa_add_routes(c);
	child_sa_established(c);
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
	int rc;

	if (c->remote_auth == AUTH_PUBKEY) {
		if (!is_sig_method(method))
			snprintf(why, sizeof(why), "it authenticated with method %u (%s), we expect "
				 "a signature (remote auth = pubkey)", method,
				 auth_method_name(method));
		else if (!(rc = auth_check_sig(sa, m, idr, peer, why, sizeof(why))))
			return true;
		else if (rc == AUTH_CHECK_PENDING)
			return false;	/* sa->wait: exchange.c keeps M */
	} else if (method != AUTHM_PSK) {
		snprintf(why, sizeof(why), "it authenticated with method %u (%s), we expect a PSK "
			 "(remote auth = psk)", method, auth_method_name(method));
	} else {
		psk = config_find_psk(sa->d->cfg, &sa->id_local, peer);
		if (psk && auth_psk_verifies(sa, auth, idr, psk->secret, psk->len))
			return true;
		snprintf(why, sizeof(why), "the AUTH (PSK) does not verify with %s",
			 psk ? "our PSK: the PSKs differ" : "any PSK we have");
	}
	exchange_send_error_info(sa, IKE_N_AUTHENTICATION_FAILED);
	ike_sa_fail(sa, "AUTHENTICATION_FAILED: peer '%s': %s", id_str(peer, a, sizeof(a)), why);
	return false;
}

/* vips: the gateway's CFG_REPLY in M gives us an address of each family we
 * asked for, or the IKE SA goes (we could send nothing from a source that
 * fits what we asked for). */
static bool vips_assigned(struct ike_sa *sa, struct auth_task *at, const struct ike_msg *m)
{
	uint32_t ifindex = at->child ? at->child->ifindex : 0;
	struct task *t;
	char why[512];

	if (!ifindex && daemon_device(sa->d, sa->conn->device, &ifindex))
		snprintf(why, sizeof(why), "no device %s for the virtual IP", sa->conn->device);
	else if (!cp_process_reply(sa, m, ifindex, why, sizeof(why)))
		return true;
	sa->d->st.child_failed += at->child != NULL;
	child_sa_drop_pending(&at->child);
	snprintf(sa->error, sizeof(sa->error), "%.255s", why);
	sa_log(sa, LOG_IKE, 0, "%s: deleting the IKE SA", why);
	ike_sa_notify_waiters(sa, false, why);
	t = delete_ike_task_new();
	if (!t) {
		ike_sa_destroy(sa, why);
		return false;
	}
	sa->state = IKE_S_DELETING;
	exchange_queue(sa, t);
	return false;
}

/* The peer is authenticated: the IKE SA is up, and the child in M. */
static enum task_result established(struct ike_sa *sa, struct auth_task *at,
				    const struct ike_msg *m)
{
	auth_eap_free(sa);
	mobike_auth_read(sa, m);
	resume_auth_read_ticket(sa, m);
	if (sa->resumed) {
		sa->d->st.resumed++;
		sa_log(sa, LOG_IKE, 0, "IKE SA resumed (RFC 5723): no IKE_SA_INIT, no "
		       "certificate or EAP round");
	}
	ike_sa_established(sa);
	if (redirect_auth_process(sa, m)) {
		child_sa_drop_pending(&at->child);
		return TASK_DONE;
	}
	if (sa->conn->nvips && !vips_assigned(sa, at, m))
		return TASK_DONE;
	if (at->child)
		process_child(sa, at, m);
	else if (!sa->want_child)
		ike_sa_notify_waiters(sa, true, "IKE SA established without a CHILD_SA");
	/* else childless = force: the CREATE_CHILD_SA queued behind us tells */
	return TASK_DONE;
}

/* One EAP message from the server; the next round, or failure. */
static enum task_result eap_step(struct ike_sa *sa, struct auth_task *at, const struct ike_msg *m)
{
	const struct ike_payload *eap = msg_find(m, IKE_PL_EAP), *err = msg_find_error(m);
	char why[1024];

	if (!eap) {
		ike_sa_fail(sa, "EAP: the server's IKE_AUTH answer has no EAP payload%s%s",
			    err ? ", but " : "", err ? ike_notify_name(err->u.notify.type) : "");
		return TASK_FAILED;
	}
	switch (auth_eap_client_process(sa, &eap->u.eap, why, sizeof(why))) {
	case EAP_NEXT:
		at->stage = STAGE_EAP;
		return TASK_RETRY;
	case EAP_DONE:
		at->stage = STAGE_EAP_AUTH;
		return TASK_RETRY;
	case EAP_FAIL:
		break;
	}
	if (eap->u.eap.code != 4 && !err)
		exchange_send_error_info(sa, IKE_N_AUTHENTICATION_FAILED);
	ike_sa_fail(sa, "AUTHENTICATION_FAILED: %s%s", why,
		    err && err->u.notify.type == IKE_N_AUTHENTICATION_FAILED ?
		    " (the server answered AUTHENTICATION_FAILED)" : "");
	return TASK_FAILED;
}

/* The server's last answer after EAP: its AUTH keyed by the MSK, the child. */
static enum task_result eap_final(struct ike_sa *sa, struct auth_task *at, const struct ike_msg *m)
{
	const struct ike_payload *err = msg_find_error(m);
	char a[IKE_ID_STRLEN];

	if (err && err->u.notify.type == IKE_N_AUTHENTICATION_FAILED) {
		ike_sa_fail(sa, "the server refused our AUTH after EAP succeeded "
			    "(AUTHENTICATION_FAILED): our MSK differs from its");
		return TASK_FAILED;
	}
	if (!auth_eap_verifies(sa, msg_find(m, IKE_PL_AUTH))) {
		exchange_send_error_info(sa, IKE_N_AUTHENTICATION_FAILED);
		ike_sa_fail(sa, "AUTHENTICATION_FAILED: peer '%s': its AUTH after EAP does not "
			    "verify with the MSK", id_str(&sa->id_remote, a, sizeof(a)));
		return TASK_FAILED;
	}
	return established(sa, at, m);
}

/* The gateway's answer to the IKE_AUTH of a resumed IKE SA. */
static enum task_result resumed_process(struct ike_sa *sa, struct auth_task *at,
					const struct ike_msg *m)
{
	const struct ike_payload *idr = msg_find(m, IKE_PL_IDR), *auth = msg_find(m, IKE_PL_AUTH);
	const struct ike_payload *err = msg_find_error(m);
	struct ike_id peer;
	char a[IKE_ID_STRLEN], b[IKE_ID_STRLEN];

	char why[512];

	/* Any failure: a full exchange follows (resume_fallback). */
	if (err && (!idr || !auth)) {
		snprintf(why, sizeof(why), "the gateway refused the IKE_AUTH of the resumed IKE SA "
			 "(%s)", ike_notify_name(err->u.notify.type));
		resume_fallback(sa, why);
		return TASK_FAILED;
	}
	if (!idr || !id_from_payload(idr, &peer) || !id_equal(&peer, &sa->rt->idr)) {
		exchange_send_error_info(sa, IKE_N_AUTHENTICATION_FAILED);
		snprintf(why, sizeof(why), "AUTHENTICATION_FAILED: the resumed gateway is '%s', the "
			 "ticket's is '%s'", idr ? id_str(&peer, a, sizeof(a)) : "(no IDr)",
			 id_str(&sa->rt->idr, b, sizeof(b)));
		resume_fallback(sa, why);
		return TASK_FAILED;
	}
	if (!resume_auth_verifies(sa, auth, idr)) {
		exchange_send_error_info(sa, IKE_N_AUTHENTICATION_FAILED);
		resume_fallback(sa, "AUTHENTICATION_FAILED: the resumed gateway's AUTH does not "
				"verify with SK_pr");
		return TASK_FAILED;
	}
	sa->id_remote = peer;
	return established(sa, at, m);
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
	if (at->stage == STAGE_EAP)
		return eap_step(sa, at, m);
	if (at->stage == STAGE_EAP_AUTH)
		return eap_final(sa, at, m);
	if (sa->resumed)
		return resumed_process(sa, at, m);
	if (err && err->u.notify.type == IKE_N_AUTHENTICATION_FAILED) {
		if (c->local_auth == AUTH_EAP)
			ike_sa_fail(sa, "the peer rejected our first IKE_AUTH (AUTHENTICATION_FAILED): "
				    "we are '%s' and want EAP; check that it has a connection with "
				    "remote auth = eap-mschapv2 or eap-tls for us (the peer's log says why)",
				    id_str(&sa->id_local, a, sizeof(a)));
		else if (c->local_auth == AUTH_PUBKEY)
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
	if (err && err->u.notify.type == IKE_N_INVALID_SYNTAX) {
		ike_sa_fail(sa, "the peer refused our IKE_AUTH (INVALID_SYNTAX)%s",
			    at->child ? "; a responder with childless = force does so to an IKE_AUTH "
			    "with a CHILD_SA" : "; a responder with childless = never does so to an "
			    "IKE_AUTH without a CHILD_SA (RFC 6023)");
		return TASK_FAILED;
	}
	if (c->remote_auth == AUTH_EAP && auth) {
		exchange_send_error_info(sa, IKE_N_AUTHENTICATION_FAILED);
		ike_sa_fail(sa, "we asked for EAP-only authentication (remote auth = eap-mschapv2), "
			    "but the server authenticated with method %u (%s)", auth->u.typed.kind,
			    auth_method_name(auth->u.typed.kind));
		return TASK_FAILED;
	}
	if (!idr || (!auth && c->remote_auth != AUTH_EAP) || !id_from_payload(idr, &peer)) {
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
	/* EAP-only: the server's AUTH comes after EAP, keyed by the MSK. */
	if (c->remote_auth != AUTH_EAP && !peer_verifies(sa, m, idr, &peer))
		return sa->wait.requested ? TASK_DONE : TASK_FAILED;
	if (c->remote_auth == AUTH_EAP)
		sa_log(sa, LOG_IKE, 1, "EAP-only authentication (RFC 5998): server '%s' sent no "
		       "AUTH before EAP; its AUTH after EAP is keyed by the MSK",
		       id_str(&peer, a, sizeof(a)));
	sa->id_remote = peer;
	if (c->local_auth == AUTH_EAP) {
		if (auth_eap_client_begin(sa, idr)) {
			ike_sa_fail(sa, "out of memory for EAP");
			return TASK_FAILED;
		}
		return eap_step(sa, at, m);
	}
	return established(sa, at, m);
}

static void auth_abort(struct ike_sa *sa, struct task *t)
{
	struct auth_task *at = (struct auth_task *)t;

	(void)sa;
	child_sa_drop_pending(&at->child);
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

/* NOTIFY alone, and the IKE SA ends with this answer. */
static void vrefuse(struct ike_sa *sa, struct msg_out *resp, uint16_t notify, const char *fmt,
		    va_list ap)
{
	vsnprintf(sa->error, sizeof(sa->error), fmt, ap);
	sa_log(sa, LOG_IKE, 0, "%s: answering %s", sa->error, ike_notify_name(notify));
	msg_reset(resp);
	msg_add_notify(resp, notify, NULL, 0);
	sa->close_after_send = true;
}

/* AUTHENTICATION_FAILED, and the IKE SA ends with this answer. */
static void refuse(struct ike_sa *sa, struct msg_out *resp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse(struct ike_sa *sa, struct msg_out *resp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrefuse(sa, resp, IKE_N_AUTHENTICATION_FAILED, fmt, ap);
	va_end(ap);
}

/* INVALID_SYNTAX, as charon answers an IKE_AUTH its childless setting
 * refuses; the IKE SA ends with this answer. */
static void refuse_syntax(struct ike_sa *sa, struct msg_out *resp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse_syntax(struct ike_sa *sa, struct msg_out *resp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrefuse(sa, resp, IKE_N_INVALID_SYNTAX, fmt, ap);
	va_end(ap);
}

/*
 * RFC 6023 by the chosen connection's childless: an IKE_AUTH without SA,
 * TSi and TSr is childless, accepted if we offered it (IKE_SA_INIT) and
 * the connection is not "never"; one with them is refused under "force".
 * False when REQ was refused.
 */
static bool childless_allowed(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp)
{
	const struct conn *c = sa->conn;
	bool child = msg_find(req, IKE_PL_SA) || msg_find(req, IKE_PL_TSI) ||
		     msg_find(req, IKE_PL_TSR);
	char a[IKE_ID_STRLEN];

	if (child && c->childless == CHILDLESS_FORCE) {
		refuse_syntax(sa, resp, "peer '%s' did not initiate a childless IKE SA (its IKE_AUTH "
			      "proposes a CHILD_SA), but connection '%s' has childless = force",
			      id_str(&sa->id_remote, a, sizeof(a)), c->name);
		return false;
	}
	if (child)
		return true;
	if (c->childless == CHILDLESS_NEVER || !sa->childless_ok) {
		refuse_syntax(sa, resp, "peer '%s' initiated a childless IKE SA (no CHILD_SA in "
			      "IKE_AUTH), but %s", id_str(&sa->id_remote, a, sizeof(a)),
			      c->childless == CHILDLESS_NEVER ? "its connection has childless = never" :
			      "we did not offer it (CHILDLESS_IKEV2_SUPPORTED)");
		return false;
	}
	sa_log(sa, LOG_IKE, 0, "childless IKE SA (RFC 6023): peer '%s' proposed no CHILD_SA in "
	       "IKE_AUTH (connection '%s', childless = %s)", id_str(&sa->id_remote, a, sizeof(a)),
	       c->name, c->childless == CHILDLESS_FORCE ? "force" : "allow");
	return true;
}

/*
 * INITIAL_CONTACT (§2.4): the peer lost its state (a restart); its old SAs
 * with us go, make-before-break. This runs once our answer is out and the
 * new CHILD_SAs are installed both ways: the old CHILD_SAs lose their
 * outbound SAs now (kesp.ko then picks the new ones), hand their routes to
 * the new CHILD_SA of the same config, and keep their inbound SAs for
 * CHILD_SWITCH_MS, for what the peer still sends on the SAs it had (a
 * peer that kept its kernel SAs over its restart sends on them until our
 * answer reaches it). The old IKE SA says nothing more and goes then.
 */
void ike_auth_initial_contact(struct ike_sa *sa)
{
	struct ike_sa *o, *next;

	for (o = sa->d->sas; o; o = next) {
		next = o->next_all;
		if (o == sa || o->conn != sa->conn || o->state != IKE_S_ESTABLISHED ||
		    !id_equal(&o->id_remote, &sa->id_remote))
			continue;
		sa_log(o, LOG_IKE, 0, "replaced by IKE SA %llu (INITIAL_CONTACT): its inbound SAs "
		       "stay %u s", (unsigned long long)sa->id, CHILD_SWITCH_MS / 1000);
		exchange_flush(o);
		o->state = IKE_S_DELETING;
		o->replaced = true;
		timer_cancel(o->d, &o->t_rekey);
		timer_cancel(o->d, &o->t_dpd);
		timer_cancel(o->d, &o->t_keepalive);
		for (struct child_sa *c = o->children; c; c = c->next) {
			for (struct child_sa *n = sa->children; n; n = n->next)
				if (n->cfg == c->cfg && !n->nroutes && n->state == CHILD_S_INSTALLED) {
					child_sa_take_routes(n, c);
					break;
				}
			timer_arm(o->d, &c->t_grace, CHILD_SWITCH_MS);
			child_sa_retire(c, CHILD_S_DELETING);
		}
		timer_arm(o->d, &o->t_over, CHILD_SWITCH_MS + 1000);
	}
}

static void respond_child(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp)
{
	struct child_choice ch;
	struct child_sa *child;

	if (child_choose(sa, req, NULL, IKE_SELECT_SKIP_DH, &ch, resp))
		return;
	child = child_sa_from_choice(sa, &ch);
	if (!child) {
		msg_add_notify(resp, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	/* Inbound first: the peer may send as soon as it reads our answer. */
	if (child_sa_install(child, KERNEL_IN)) {
		child_sa_drop(child);
		sa->d->st.child_failed++;
		msg_add_notify(resp, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	child_add_esp_sa(resp, &ch.chosen, 1, child->spi_in, false);
	child_add_ts(resp, IKE_PL_TSI, ch.remote, ch.nremote);
	child_add_ts(resp, IKE_PL_TSR, ch.local, ch.nlocal);
	if (ch.transport)
		msg_add_notify(resp, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	pcpu_respond(child, req, resp);
}

/* RFC 5723 §4.3.3: the IKE_AUTH of a resumed IKE SA, IDi (and IDr) the
 * ticket's, AUTH keyed by SK_pi; ours by SK_pr; no EAP. */
static void resumed_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp,
			    const struct ike_id *peer, const struct ike_id *wanted)
{
	const struct ike_payload *idi = msg_find(req, IKE_PL_IDI);
	const struct conn *c;
	struct ike_payload *our_id;
	char why[512], a[IKE_ID_STRLEN], b[IKE_ID_STRLEN];

	c = resume_auth_conn(sa, peer, why, sizeof(why));
	if (!c) {
		refuse(sa, resp, "resumed IKE SA: %s", why);
		return;
	}
	if (wanted && !id_equal(wanted, &sa->rt->idr)) {
		refuse(sa, resp, "resumed IKE SA: peer '%s' wants us as '%s', the ticket says '%s'",
		       id_str(peer, a, sizeof(a)), id_str(wanted, b, sizeof(b)),
		       id_str(&sa->rt->idr, why, sizeof(why)));
		return;
	}
	ike_sa_set_conn(sa, c);
	sa->id_local = sa->rt->idr;
	mobike_auth_read(sa, req);
	if (!resume_auth_verifies(sa, msg_find(req, IKE_PL_AUTH), idi)) {
		refuse(sa, resp, "resumed IKE SA: the AUTH of peer '%s' does not verify with SK_pi "
		       "(not the holder of the ticket's SK_d)", id_str(peer, a, sizeof(a)));
		return;
	}
	our_id = add_id(resp, IKE_PL_IDR, &sa->id_local);
	if (resume_auth_add(sa, resp, our_id)) {
		refuse(sa, resp, "cannot compute our AUTH of the resumed IKE SA");
		return;
	}
	sa->id_remote = *peer;
	sa->d->st.resumed++;
	sa_log(sa, LOG_IKE, 0, "IKE SA of peer '%s' resumed (RFC 5723, connection '%s')",
	       id_str(peer, a, sizeof(a)), c->name);
	ike_auth_respond_finish(sa, req, resp);
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

	if (msg_find_notify(req, IKE_N_TICKET_REQUEST))
		sa->ticket_wanted = true;
	if (sa->eap) {
		auth_eap_server_respond(sa, req, resp);
		return;
	}
	if (!idi || !id_from_payload(idi, &peer) || (idr && !id_from_payload(idr, &wanted))) {
		refuse(sa, resp, "IKE_AUTH request without a usable IDi");
		return;
	}
	if (sa->resumed) {
		resumed_respond(sa, req, resp, &peer, idr ? &wanted : NULL);
		return;
	}
	if (auth && auth->u.typed.kind != AUTHM_PSK && !is_sig_method(auth->u.typed.kind)) {
		refuse(sa, resp, "peer '%s' authenticates with method %u (%s); kesp supports PSK "
		       "and signatures", id_str(&peer, a, sizeof(a)), auth->u.typed.kind,
		       auth_method_name(auth->u.typed.kind));
		return;
	}
	c = policy_conn_for_peer(sa->d, sa, &peer, idr ? &wanted : NULL,
				 auth ? auth->u.typed.kind : 0, why, sizeof(why));
	if (!c) {
		refuse(sa, resp, "no connection for peer identity '%s' (%s, %s): %s",
		       id_str(&peer, a, sizeof(a)), id_type_name(peer.type),
		       auth ? auth_method_name(auth->u.typed.kind) : "EAP (no AUTH payload)", why);
		return;
	}
	ike_sa_set_conn(sa, c);
	policy_local_id(c, sa, &sa->id_local);
	mobike_auth_read(sa, req);	/* the first request has it (RFC 4555 §3.3) */
	if (c->remote_auth == AUTH_EAP) {
		/* §2.16: we authenticate ourselves now, the peer by EAP after. */
	} else if (c->remote_auth == AUTH_PUBKEY) {
		int rc = auth_check_sig(sa, req, idi, &peer, why, sizeof(why));

		if (rc == AUTH_CHECK_PENDING)
			return;		/* answered when the fetch ends (exchange.c) */
		if (rc) {
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
		if (!auth_psk_verifies(sa, auth, idi, psk->secret, psk->len)) {
			refuse(sa, resp, "the AUTH of peer '%s' (PSK) does not verify with the PSK "
			       "of secret '%s': the PSKs differ", id_str(&peer, a, sizeof(a)),
			       psk->name);
			return;
		}
	}
	if (c->local_auth == AUTH_EAP && !msg_find_notify(req, IKE_N_EAP_ONLY_AUTHENTICATION)) {
		refuse(sa, resp, "peer '%s' did not ask for EAP-only authentication (RFC 5998), "
		       "and connection '%s' has no other way to authenticate us (local auth = "
		       "eap-mschapv2)", id_str(&peer, a, sizeof(a)), c->name);
		return;
	}
	our_id = add_id(resp, IKE_PL_IDR, &sa->id_local);
	if (c->local_auth == AUTH_EAP)
		sa_log(sa, LOG_IKE, 1, "EAP-only authentication (RFC 5998) asked by peer '%s': "
		       "no AUTH of ours before EAP (connection '%s')", id_str(&peer, a, sizeof(a)),
		       c->name);
	if (c->local_auth != AUTH_EAP) {
		auth_add_certs(sa, resp, req);
		if (add_our_auth(resp, sa, our_id, &peer, why, sizeof(why))) {
			refuse(sa, resp, "cannot authenticate ourselves: %s", why);
			return;
		}
	}
	sa->id_remote = peer;
	if (c->remote_auth == AUTH_EAP)
		auth_eap_server_begin(sa, idi, req, resp);
	else
		ike_auth_respond_finish(sa, req, resp);
}

void ike_auth_respond_finish(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp)
{
	char who[IKE_ID_STRLEN], eap_user[IKE_ID_STRLEN] = "";
	int cp;

	/* Leases are kept by the EAP identity after EAP, as strongSwan does
	 * (a resumed IKE SA: the one its ticket carried). */
	if (auth_eap_user(sa))
		snprintf(eap_user, sizeof(eap_user), "%s", auth_eap_user(sa));
	else if (resume_eap_user(sa))
		snprintf(eap_user, sizeof(eap_user), "%s", resume_eap_user(sa));
	if (eap_user[0])
		snprintf(who, sizeof(who), "%s", eap_user);
	else
		id_str(&sa->id_remote, who, sizeof(who));
	auth_eap_free(sa);
	if (!childless_allowed(sa, req, resp))
		return;
	ike_sa_established(sa);
	mobike_auth_respond(sa, resp);
	/* Once the new CHILD_SA is in (child_sa_respond_done). */
	sa->initial_contact = msg_find_notify(req, IKE_N_INITIAL_CONTACT) != NULL;
	cp_note_request(sa, req);
	cp = cp_respond(sa, resp, who);
	resume_auth_respond(sa, resp, eap_user);
	if (!cp && msg_find(req, IKE_PL_SA))
		respond_child(sa, req, resp);
}
