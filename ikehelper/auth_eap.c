// SPDX-License-Identifier: GPL-2.0
/*
 * EAP in IKE_AUTH (RFC 7296 §2.16), both roles, with EAP-Identity,
 * EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2; the arithmetic is in
 * mschapv2.c) and EAP-TLS (RFC 5216; the TLS session and its framing are
 * in eap_tls.c: here it is one more method of the dispatch).
 *
 * The initiator leaves AUTH out of its first IKE_AUTH; the responder
 * authenticates itself (certificate or PSK) and starts EAP; each further
 * IKE_AUTH pair carries one EAP Request/Response; after EAP-Success both
 * sides send AUTH = prf(prf(MSK, "Key Pad for IKEv2"), <their signed
 * octets>) (§2.15, §2.16), and the responder's last answer carries the
 * CHILD_SA. The first request's SA and TS wait (as bytes) until then.
 *
 *   initiator                          responder
 *   IDi [IDr] SA TSi TSr         -->
 *                                <--   IDr [CERT] AUTH EAP(Identity | MSCHAPv2 Challenge)
 *   EAP(Response)                -->
 *                                <--   EAP(MSCHAPv2 Success: S=...)
 *   EAP(MSCHAPv2 Success)        -->
 *                                <--   EAP(Success)
 *   AUTH(MSK)                    -->
 *                                <--   AUTH(MSK) SA TSi TSr
 *
 * EAP-TLS takes the rounds its handshake needs (fragments of about 1000
 * octets, each acknowledged) between the first EAP request and
 * EAP-Success.
 *
 * A wrong password ends with EAP-Failure and AUTHENTICATION_FAILED in the
 * same answer, and one log line naming the method, the user and the cause.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "daemon.h"

#define EAP_REQUEST 1
#define EAP_RESPONSE 2
#define EAP_SUCCESS 3
#define EAP_FAILURE 4

#define MS_CHALLENGE 1
#define MS_RESPONSE 2
#define MS_SUCCESS 3
#define MS_FAILURE 4

#define MS_RESPONSE_LEN 49	/* PeerChallenge, 8 reserved, NT-Response, Flags */

static const char server_name[] = "kesp";

enum eap_state {
	EAP_S_IDENTITY,		/* server: our EAP-Identity request is out */
	EAP_S_CHALLENGE,	/* server: MSCHAPv2 Challenge out; client: expect it */
	EAP_S_TLS,		/* EAP-TLS rounds (eap_tls.c) */
	EAP_S_MS_SUCCESS,	/* server: MSCHAPv2 Success out; client: expect it */
	EAP_S_EAP_SUCCESS,	/* client: we confirmed, expect EAP-Success */
	EAP_S_AUTH,		/* EAP done, the MSK keys the AUTH payloads */
};

struct eap_ctx {
	enum eap_state state;
	uint8_t ident;			/* of the last request (ours or the server's) */
	uint8_t ms_id;			/* MS-CHAPv2-ID */
	char user[IKE_ID_STRLEN];	/* the EAP identity */
	size_t user_len;
	uint8_t auth_challenge[16], peer_challenge[16], nt_response[24];
	uint8_t auth_response[20];	/* what "S=" must carry */
	uint8_t msk[MSCHAP_MSK_LEN];
	char refusal[256];		/* client: the server's MSCHAPv2 Failure, read */
	/* The peer's ID payload body (type, reserved, data) as it came, for
	 * the AUTH payloads at the end. */
	uint8_t peer_idbody[4 + IKE_ID_MAX];
	size_t peer_idlen;
	struct eap_tls *tls;		/* EAP-TLS: the TLS session */
	/* client: the EAP Response to send next */
	uint8_t out[EAP_TLS_PKT_MAX > 8 + 1 + MS_RESPONSE_LEN + IKE_ID_STRLEN ?
		    EAP_TLS_PKT_MAX : 8 + 1 + MS_RESPONSE_LEN + IKE_ID_STRLEN];
	size_t out_len;
	uint8_t out_code;
	/* server: the payloads of the first IKE_AUTH request (SA, TS, ...) */
	uint8_t *first;
	size_t first_len;
	uint8_t first_type;
};

const char *auth_eap_user(const struct ike_sa *sa)
{
	return sa->eap && sa->eap->user[0] ? sa->eap->user : NULL;
}

void auth_eap_free(struct ike_sa *sa)
{
	if (!sa->eap)
		return;
	free(sa->eap->first);
	eap_tls_free(sa->eap->tls);
	ike_wipe(sa->eap, sizeof(*sa->eap));
	free(sa->eap);
	sa->eap = NULL;
}

static struct eap_ctx *ctx_new(struct ike_sa *sa, const struct ike_payload *peer_id)
{
	struct eap_ctx *e;

	auth_eap_free(sa);
	e = calloc(1, sizeof(*e));
	if (!e || peer_id->body.len > sizeof(e->peer_idbody)) {
		free(e);
		return NULL;
	}
	memcpy(e->peer_idbody, peer_id->body.p, peer_id->body.len);
	e->peer_idlen = peer_id->body.len;
	sa->eap = e;
	return e;
}

/* The method under way, for log lines. */
static const char *method(const struct eap_ctx *e)
{
	return e->tls ? "EAP-TLS" : "EAP-MSCHAPv2";
}

const char *eap_type_name(unsigned int type)
{
	switch (type) {
	case EAP_T_IDENTITY: return "EAP-Identity";
	case EAP_T_NOTIFICATION: return "EAP-Notification";
	case EAP_T_NAK: return "EAP-Nak";
	case 4: return "EAP-MD5";
	case 5: return "EAP-OTP";
	case 6: return "EAP-GTC";
	case 13: return "EAP-TLS";
	case 18: return "EAP-SIM";
	case 21: return "EAP-TTLS";
	case 23: return "EAP-AKA";
	case 25: return "PEAP";
	case EAP_T_MSCHAPV2: return "EAP-MSCHAPv2";
	case 43: return "EAP-FAST";
	case 50: return "EAP-AKA'";
	case 52: return "EAP-PWD";
	case 254: return "EAP-Expanded";
	}
	return "an unknown EAP type";
}

/* The text form of an identity for EAP: names as they are, others printed. */
static size_t id_text(const struct ike_id *id, char *buf, size_t len)
{
	if (id->type == IKE_ID_FQDN || id->type == IKE_ID_RFC822_ADDR) {
		size_t n = id->len < len - 1 ? id->len : len - 1;

		memcpy(buf, id->data, n);
		buf[n] = '\0';
		return n;
	}
	id_str(id, buf, len);
	return strlen(buf);
}

/* An ID payload of ours (not encoded: the reserved bytes are zero). */
static void our_id_payload(const struct ike_sa *sa, struct ike_payload *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->type = sa->initiator ? IKE_PL_IDI : IKE_PL_IDR;
	pl->u.typed.kind = sa->id_local.type;
	pl->u.typed.data.p = sa->id_local.data;
	pl->u.typed.data.len = sa->id_local.len;
}

static void peer_id_payload(const struct ike_sa *sa, struct ike_payload *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->type = sa->initiator ? IKE_PL_IDR : IKE_PL_IDI;
	pl->body.p = sa->eap->peer_idbody;
	pl->body.len = sa->eap->peer_idlen;
}

/* Our AUTH after EAP: the MSK is the shared secret (§2.16). */
static int add_msk_auth(struct ike_sa *sa, struct msg_out *m)
{
	struct ike_payload id;

	our_id_payload(sa, &id);
	return auth_psk_add(m, sa, &id, sa->eap->msk, MSCHAP_MSK_LEN);
}

/* Whether the peer's AUTH after EAP is the MSK's. */
static bool msk_auth_verifies(struct ike_sa *sa, const struct ike_payload *auth)
{
	struct ike_payload id;

	peer_id_payload(sa, &id);
	return auth_psk_verifies(sa, auth, &id, sa->eap->msk, MSCHAP_MSK_LEN);
}

static void add_eap(struct msg_out *m, uint8_t code, uint8_t ident, const uint8_t *data,
		    size_t len)
{
	struct ike_payload *pl = msg_add(m, IKE_PL_EAP);
	uint8_t *copy = len ? msg_alloc(m, len) : NULL;

	if (len && !m->overflow)
		memcpy(copy, data, len);
	pl->u.eap.code = code;
	pl->u.eap.ident = ident;
	pl->u.eap.data.p = copy;
	pl->u.eap.data.len = m->overflow ? 0 : len;
}

/* The MSCHAPv2 header after the EAP type: OpCode, MS-CHAPv2-ID, MS-Length
 * (the EAP length less 5); BODY bytes follow. */
static size_t ms_packet(uint8_t *out, uint8_t opcode, uint8_t ms_id, const void *body,
			size_t len)
{
	out[0] = EAP_T_MSCHAPV2;
	out[1] = opcode;
	out[2] = ms_id;
	out[3] = (uint8_t)((len + 4) >> 8);
	out[4] = (uint8_t)(len + 4);
	memcpy(out + 5, body, len);
	return 5 + len;
}

static void hex_upper(const uint8_t *p, size_t n, char *out)
{
	static const char x[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[p[i] >> 4];
		out[2 * i + 1] = x[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The value of "K=" in an MSCHAPv2 message ("S=... M=..."), up to a space
 * (M= takes the rest); "" if absent. */
static void ms_field(const uint8_t *msg, size_t len, char key, char *out, size_t outlen)
{
	out[0] = '\0';
	for (size_t i = 0; i + 1 < len; i++) {
		if ((i == 0 || msg[i - 1] == ' ') && msg[i] == (uint8_t)key && msg[i + 1] == '=') {
			size_t j = i + 2, k = 0;

			while (j < len && (key == 'M' || msg[j] != ' ') && k + 1 < outlen) {
				char ch = (char)msg[j++];

				out[k++] = ch >= 0x20 && ch < 0x7f ? ch : '?';
			}
			out[k] = '\0';
			return;
		}
	}
}

static const char *ms_error_name(int e)
{
	switch (e) {
	case 646: return "restricted logon hours";
	case 647: return "account disabled";
	case 648: return "password expired";
	case 649: return "no dial-in permission";
	case 691: return "authentication failure: wrong user name or password";
	case 709: return "error changing the password";
	}
	return "an unknown error";
}

/* ---- client (the IKE initiator) ----------------------------------------- */

int auth_eap_client_begin(struct ike_sa *sa, const struct ike_payload *idr)
{
	struct eap_ctx *e = ctx_new(sa, idr);
	const struct conn *c = sa->conn;

	if (!e)
		return -1;
	e->state = EAP_S_CHALLENGE;
	e->user_len = id_text(c->local_eap_id_set ? &c->local_eap_id : &sa->id_local, e->user,
			      sizeof(e->user));
	return 0;
}

static const struct psk *client_secret(struct ike_sa *sa)
{
	const struct conn *c = sa->conn;

	return config_find_eap(sa->d->cfg, c->local_eap_id_set ? &c->local_eap_id : &sa->id_local,
			       &sa->id_remote);
}

static enum eap_step client_challenge(struct ike_sa *sa, const uint8_t *d, size_t len,
				      char *why, size_t whylen)
{
	struct eap_ctx *e = sa->eap;
	const struct psk *k = client_secret(sa);
	uint8_t body[MS_RESPONSE_LEN + 1 + IKE_ID_STRLEN], h[16];

	if (len < 22 || d[5] != 16) {
		snprintf(why, whylen, "EAP-MSCHAPv2: a malformed Challenge (%zu octets)", len);
		return EAP_FAIL;
	}
	if (!k) {
		snprintf(why, whylen, "EAP-MSCHAPv2: no EAP password for '%s' in secrets", e->user);
		return EAP_FAIL;
	}
	e->ms_id = d[2];
	memcpy(e->auth_challenge, d + 6, 16);
	if (ike_random(e->peer_challenge, 16) ||
	    mschap_nt_hash(k->secret, k->len, h)) {
		snprintf(why, whylen, "EAP-MSCHAPv2: cannot compute our response");
		return EAP_FAIL;
	}
	mschap_nt_response(e->auth_challenge, e->peer_challenge, (const uint8_t *)e->user,
			   e->user_len, k->secret, k->len, e->nt_response);
	mschap_authenticator_response(h, e->nt_response, e->peer_challenge, e->auth_challenge,
				      (const uint8_t *)e->user, e->user_len, e->auth_response);
	mschap_msk(h, e->nt_response, e->msk);
	ike_wipe(h, sizeof(h));
	body[0] = MS_RESPONSE_LEN;
	memcpy(body + 1, e->peer_challenge, 16);
	memset(body + 17, 0, 8);
	memcpy(body + 25, e->nt_response, 24);
	body[49] = 0;
	memcpy(body + 50, e->user, e->user_len);
	e->out_len = ms_packet(e->out, MS_RESPONSE, e->ms_id, body, 50 + e->user_len);
	e->state = EAP_S_MS_SUCCESS;
	sa_log(sa, LOG_IKE, 1, "EAP-MSCHAPv2: answering the server's challenge as '%s'", e->user);
	return EAP_NEXT;
}

static enum eap_step client_mschapv2(struct ike_sa *sa, const uint8_t *d, size_t len,
				     char *why, size_t whylen)
{
	struct eap_ctx *e = sa->eap;
	char s[64], msg[200], hex[41], ecode[16];

	if (len < 5) {
		snprintf(why, whylen, "EAP-MSCHAPv2: a request of %zu octets", len);
		return EAP_FAIL;
	}
	if (d[1] == MS_CHALLENGE && e->state == EAP_S_CHALLENGE)
		return client_challenge(sa, d, len, why, whylen);
	if (d[1] == MS_SUCCESS && e->state == EAP_S_MS_SUCCESS) {
		ms_field(d + 5, len - 5, 'S', s, sizeof(s));
		ms_field(d + 5, len - 5, 'M', msg, sizeof(msg));
		hex_upper(e->auth_response, 20, hex);
		if (strlen(s) != 40 || strcasecmp(s, hex)) {
			snprintf(why, whylen, "EAP-MSCHAPv2: the server's authenticator response "
				 "is wrong: it does not know our password (a rogue server?)");
			return EAP_FAIL;
		}
		sa_log(sa, LOG_IKE, 1, "EAP-MSCHAPv2: the server proved it knows our password "
		       "('%s')", msg);
		e->out[0] = EAP_T_MSCHAPV2;
		e->out[1] = MS_SUCCESS;
		e->out_len = 2;
		e->state = EAP_S_EAP_SUCCESS;
		return EAP_NEXT;
	}
	if (d[1] == MS_FAILURE) {
		ms_field(d + 5, len - 5, 'E', ecode, sizeof(ecode));
		ms_field(d + 5, len - 5, 'M', msg, sizeof(msg));
		snprintf(e->refusal, sizeof(e->refusal), "the server refused user '%.64s': E=%s (%s)%s%.80s",
			 e->user, ecode, ms_error_name(atoi(ecode)), msg[0] ? ", " : "", msg);
		sa_log(sa, LOG_IKE, 0, "EAP-MSCHAPv2: %s; giving up (Failure Response)",
		       e->refusal);
		e->out[0] = EAP_T_MSCHAPV2;
		e->out[1] = MS_FAILURE;
		e->out_len = 2;
		e->state = EAP_S_EAP_SUCCESS;
		return EAP_NEXT;
	}
	snprintf(why, whylen, "EAP-MSCHAPv2: an unexpected OpCode %u", d[1]);
	return EAP_FAIL;
}

/* EAP-TLS as the peer: our certificate; the server's must hold its IKE
 * identity and chain to the connection's cacerts. */
static enum eap_step client_tls(struct ike_sa *sa, const uint8_t *d, size_t len, char *why,
				size_t whylen)
{
	struct eap_ctx *e = sa->eap;
	const struct conn *c = sa->conn;

	if (!e->tls) {
		e->tls = eap_tls_new(sa, false, c->local_cert, c->local_key, &sa->id_remote, why,
				     whylen);
		if (!e->tls)
			return EAP_FAIL;
		e->state = EAP_S_TLS;
		sa_log(sa, LOG_IKE, 1, "EAP-TLS: authenticating as '%s' with certificate '%s'",
		       e->user, c->creds->certs[c->local_cert].file);
	}
	return eap_tls_process(e->tls, d, len, e->out, &e->out_len, why, whylen) == EAP_TLS_SEND ?
	       EAP_NEXT : EAP_FAIL;
}

enum eap_step auth_eap_client_process(struct ike_sa *sa, const struct ike_pl_eap *in, char *why,
				      size_t whylen)
{
	struct eap_ctx *e = sa->eap;
	const uint8_t *d = in->data.p;
	size_t len = in->data.len;
	const struct conn *c = sa->conn;
	uint8_t want = c->local_eap;
	/* auth = eap: TLS with a certificate, MSCHAPv2 with a password. */
	bool can_tls = want == EAP_T_TLS || (!want && c->local_cert >= 0);
	bool can_ms = want == EAP_T_MSCHAPV2 || (!want && client_secret(sa));

	why[0] = '\0';
	if (in->code == EAP_SUCCESS && e->tls) {
		if (!eap_tls_done(e->tls) || eap_tls_msk(e->tls, e->msk, sizeof(e->msk))) {
			snprintf(why, whylen, "EAP-Success before the EAP-TLS handshake finished");
			return EAP_FAIL;
		}
		e->state = EAP_S_AUTH;
		sa_log(sa, LOG_IKE, 0, "EAP-TLS succeeded as '%s' (the server's certificate %s is "
		       "trusted); the MSK keys our AUTH", e->user, eap_tls_peer(e->tls));
		return EAP_DONE;
	}
	if (in->code == EAP_FAILURE && e->tls) {
		snprintf(why, whylen, "EAP-TLS failed (the server sent EAP-Failure): it refused our "
			 "certificate '%s' or the TLS handshake (its log says why)",
			 c->creds->certs[c->local_cert].file);
		return EAP_FAIL;
	}
	if (in->code == EAP_SUCCESS) {
		if (e->state != EAP_S_EAP_SUCCESS || e->refusal[0]) {
			snprintf(why, whylen, "EAP-Success before EAP-MSCHAPv2 authenticated the "
				 "server%s%s", e->refusal[0] ? "; " : "", e->refusal);
			return EAP_FAIL;
		}
		e->state = EAP_S_AUTH;
		sa_log(sa, LOG_IKE, 0, "EAP-MSCHAPv2 succeeded as '%s'; the MSK keys our AUTH",
		       e->user);
		return EAP_DONE;
	}
	if (in->code == EAP_FAILURE) {
		snprintf(why, whylen, "EAP-MSCHAPv2 failed (the server sent EAP-Failure): %s",
			 e->refusal[0] ? e->refusal : "it refused our user name or password");
		return EAP_FAIL;
	}
	if (in->code != EAP_REQUEST || !len) {
		snprintf(why, whylen, "an EAP message with code %u where a request belongs",
			 in->code);
		return EAP_FAIL;
	}
	e->ident = in->ident;
	e->out_code = EAP_RESPONSE;
	switch (d[0]) {
	case EAP_T_IDENTITY:
		e->out[0] = EAP_T_IDENTITY;
		memcpy(e->out + 1, e->user, e->user_len);
		e->out_len = 1 + e->user_len;
		sa_log(sa, LOG_IKE, 1, "EAP-Identity: we are '%s'", e->user);
		return EAP_NEXT;
	case EAP_T_NOTIFICATION: {
		char text[200];
		size_t n = len - 1 < sizeof(text) - 1 ? len - 1 : sizeof(text) - 1;

		for (size_t i = 0; i < n; i++)
			text[i] = d[1 + i] >= 0x20 && d[1 + i] < 0x7f ? (char)d[1 + i] : '?';
		text[n] = '\0';
		sa_log(sa, LOG_IKE, 0, "EAP-Notification from the server: '%s'", text);
		e->out[0] = EAP_T_NOTIFICATION;
		e->out_len = 1;
		return EAP_NEXT;
	}
	}
	if (e->state == EAP_S_TLS && d[0] == EAP_T_TLS)
		return client_tls(sa, d, len, why, whylen);
	if (d[0] == EAP_T_MSCHAPV2 && !e->tls && e->state != EAP_S_CHALLENGE)
		return client_mschapv2(sa, d, len, why, whylen);
	if (e->state != EAP_S_CHALLENGE) {
		snprintf(why, whylen, "the server switched to %s (type %u) within %s",
			 eap_type_name(d[0]), d[0], method(e));
		return EAP_FAIL;
	}
	if (d[0] == EAP_T_MSCHAPV2 && can_ms)
		return client_mschapv2(sa, d, len, why, whylen);
	if (d[0] == EAP_T_TLS && can_tls)
		return client_tls(sa, d, len, why, whylen);
	e->out[0] = EAP_T_NAK;
	e->out[1] = can_tls ? EAP_T_TLS : EAP_T_MSCHAPV2;
	e->out_len = 2;
	sa_log(sa, LOG_IKE, 0, "the server asks for %s (type %u), which %s; answering EAP-Nak "
	       "with %s", eap_type_name(d[0]), d[0],
	       d[0] == EAP_T_TLS ? "needs a certificate of ours (auth = eap-tls)" :
	       d[0] == EAP_T_MSCHAPV2 ? "needs a password of ours (auth = eap-mschapv2)" :
	       "kesp does not do", eap_type_name(e->out[1]));
	return EAP_NEXT;
}

void auth_eap_client_add(struct ike_sa *sa, struct msg_out *m)
{
	struct eap_ctx *e = sa->eap;

	add_eap(m, e->out_code, e->ident, e->out, e->out_len);
}

int auth_eap_add_auth(struct ike_sa *sa, struct msg_out *m)
{
	return sa->eap && sa->eap->state == EAP_S_AUTH ? add_msk_auth(sa, m) : -1;
}

bool auth_eap_verifies(struct ike_sa *sa, const struct ike_payload *auth)
{
	return sa->eap && sa->eap->state == EAP_S_AUTH && msk_auth_verifies(sa, auth);
}

/* ---- server (the IKE responder) ----------------------------------------- */

static void server_fail(struct ike_sa *sa, struct msg_out *resp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void server_fail(struct ike_sa *sa, struct msg_out *resp, const char *fmt, ...)
{
	char why[1600], a[IKE_ID_STRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	id_str(&sa->id_remote, a, sizeof(a));
	sa_log(sa, LOG_IKE, 0, "peer '%s': %s: answering EAP-Failure and AUTHENTICATION_FAILED",
	       a, why);
	snprintf(sa->error, sizeof(sa->error), "peer '%.60s': %.180s", a, why);
	msg_reset(resp);
	add_eap(resp, EAP_FAILURE, sa->eap ? sa->eap->ident : 0, NULL, 0);
	msg_add_notify(resp, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
	sa->close_after_send = true;
}

static void server_challenge(struct ike_sa *sa, struct msg_out *resp)
{
	struct eap_ctx *e = sa->eap;
	uint8_t body[17 + sizeof(server_name) - 1], pkt[5 + sizeof(body)];
	size_t n;

	if (ike_random(e->auth_challenge, 16)) {
		server_fail(sa, resp, "EAP-MSCHAPv2: no random challenge");
		return;
	}
	e->ident++;
	e->ms_id = e->ident;
	body[0] = 16;
	memcpy(body + 1, e->auth_challenge, 16);
	memcpy(body + 17, server_name, sizeof(server_name) - 1);
	n = ms_packet(pkt, MS_CHALLENGE, e->ms_id, body, sizeof(body));
	add_eap(resp, EAP_REQUEST, e->ident, pkt, n);
	e->state = EAP_S_CHALLENGE;
}

/* EAP-TLS as the server: our (the gateway's) certificate; the client's must
 * hold its EAP identity (asked, or its IKE identity) and chain to the
 * connection's cacerts. */
static void server_tls_start(struct ike_sa *sa, struct msg_out *resp)
{
	struct eap_ctx *e = sa->eap;
	const struct conn *c = sa->conn;
	struct ike_id uid;
	uint8_t pkt[8];
	char why[1024];

	if (e->state == EAP_S_IDENTITY) {
		if (!id_parse(e->user, &uid, why, sizeof(why))) {
			server_fail(sa, resp, "EAP-TLS: EAP identity '%s' is no identity a certificate "
				    "can hold: %s", e->user, why);
			return;
		}
	} else {
		uid = c->remote_eap_id_set ? c->remote_eap_id : sa->id_remote;
	}
	e->tls = eap_tls_new(sa, true, c->local_cert, c->local_key, &uid, why, sizeof(why));
	if (!e->tls) {
		server_fail(sa, resp, "%s", why);
		return;
	}
	e->ident++;
	add_eap(resp, EAP_REQUEST, e->ident, pkt, eap_tls_start(e->tls, pkt));
	e->state = EAP_S_TLS;
}

static void server_method(struct ike_sa *sa, struct msg_out *resp)
{
	if (sa->conn->remote_eap == EAP_T_TLS)
		server_tls_start(sa, resp);
	else
		server_challenge(sa, resp);
}

/* One EAP-TLS response: our next request, EAP-Success, or the end. */
static void server_tls(struct ike_sa *sa, const uint8_t *d, size_t len, struct msg_out *resp)
{
	struct eap_ctx *e = sa->eap;
	uint8_t pkt[EAP_TLS_PKT_MAX];
	size_t n = 0;
	char why[1400];

	switch (eap_tls_process(e->tls, d, len, pkt, &n, why, sizeof(why))) {
	case EAP_TLS_SEND:
		e->ident++;
		add_eap(resp, EAP_REQUEST, e->ident, pkt, n);
		return;
	case EAP_TLS_DONE:
		if (eap_tls_msk(e->tls, e->msk, sizeof(e->msk))) {
			server_fail(sa, resp, "EAP-TLS: cannot derive the MSK");
			return;
		}
		e->state = EAP_S_AUTH;
		add_eap(resp, EAP_SUCCESS, e->ident, NULL, 0);
		sa_log(sa, LOG_IKE, 1, "EAP-TLS: user '%s' holds the trusted certificate %s",
		       e->user, eap_tls_peer(e->tls));
		return;
	case EAP_TLS_FAIL:
		break;
	}
	server_fail(sa, resp, "%s (EAP user '%s')", why, e->user);
}

void auth_eap_server_begin(struct ike_sa *sa, const struct ike_payload *idi,
			   const struct ike_msg *req, struct msg_out *resp)
{
	const struct conn *c = sa->conn;
	const struct ike_payload *first = &req->pl[0], *last = &req->pl[req->npl - 1];
	struct eap_ctx *e = ctx_new(sa, idi);
	char a[IKE_ID_STRLEN];

	if (!e) {
		server_fail(sa, resp, "out of memory for EAP");
		return;
	}
	/* The payloads lie back to back in the decrypted message. */
	e->first_type = first->type;
	e->first_len = (size_t)(last->body.p + last->body.len - (first->body.p - IKE_PL_HDR_LEN));
	e->first = malloc(e->first_len);
	if (!e->first) {
		server_fail(sa, resp, "out of memory for EAP");
		return;
	}
	memcpy(e->first, first->body.p - IKE_PL_HDR_LEN, e->first_len);
	if (ike_random(&e->ident, 1))
		e->ident = 1;
	if (c->remote_eap_id_set && c->remote_eap_id.type == IKE_ID_ANY) {
		uint8_t t = EAP_T_IDENTITY;

		e->ident++;
		add_eap(resp, EAP_REQUEST, e->ident, &t, 1);
		e->state = EAP_S_IDENTITY;
		sa_log(sa, LOG_IKE, 1, "EAP: asking peer '%s' for its EAP identity",
		       id_str(&sa->id_remote, a, sizeof(a)));
		return;
	}
	e->user_len = id_text(c->remote_eap_id_set ? &c->remote_eap_id : &sa->id_remote, e->user,
			      sizeof(e->user));
	server_method(sa, resp);
}

static void server_identity(struct ike_sa *sa, const uint8_t *d, size_t len, struct msg_out *resp)
{
	struct eap_ctx *e = sa->eap;

	if (len < 2 || len - 1 >= sizeof(e->user) || memchr(d + 1, 0, len - 1)) {
		server_fail(sa, resp, "EAP-Identity: an empty or unusable identity (%zu octets)",
			    len - 1);
		return;
	}
	memcpy(e->user, d + 1, len - 1);
	e->user[len - 1] = '\0';
	e->user_len = len - 1;
	sa_log(sa, LOG_IKE, 1, "EAP-Identity: the peer is '%s'", e->user);
	server_method(sa, resp);
}

static void server_response(struct ike_sa *sa, const uint8_t *d, size_t len, struct msg_out *resp)
{
	struct eap_ctx *e = sa->eap;
	const uint8_t *name = d + 5 + 1 + MS_RESPONSE_LEN;
	size_t name_len;
	struct ike_id uid;
	const struct psk *k;
	uint8_t h[16], want[24], pkt[5 + 2 + 40 + 4 + 32];
	char hex[41], msg[96], why[160];

	if (len < 5 + 1 + MS_RESPONSE_LEN || d[5] != MS_RESPONSE_LEN || d[2] != e->ms_id) {
		server_fail(sa, resp, "EAP-MSCHAPv2: a malformed Response (%zu octets)", len);
		return;
	}
	name_len = len - (size_t)(name - d);
	if (name_len != e->user_len || memcmp(name, e->user, name_len)) {
		server_fail(sa, resp, "EAP-MSCHAPv2: the response is for user '%.*s', but the EAP "
			    "identity is '%s'", (int)(name_len < 200 ? name_len : 200), name, e->user);
		return;
	}
	if (!id_parse(e->user, &uid, why, sizeof(why)) ||
	    !(k = config_find_eap(sa->d->cfg, &uid, &sa->id_local))) {
		server_fail(sa, resp, "EAP-MSCHAPv2: no EAP password for user '%s' in secrets "
			    "(eap-NAME { id = %s ... })", e->user, e->user);
		return;
	}
	memcpy(e->peer_challenge, d + 6, 16);
	mschap_nt_response(e->auth_challenge, e->peer_challenge, (const uint8_t *)e->user,
			   e->user_len, k->secret, k->len, want);
	if (gnutls_memcmp(want, d + 6 + 24, 24)) {
		ike_wipe(want, sizeof(want));
		server_fail(sa, resp, "EAP-MSCHAPv2 failed for user '%s': wrong password (the "
			    "NT-Response does not match the password of secret '%s')", e->user,
			    k->name);
		return;
	}
	memcpy(e->nt_response, want, 24);
	ike_wipe(want, sizeof(want));
	mschap_nt_hash(k->secret, k->len, h);
	mschap_authenticator_response(h, e->nt_response, e->peer_challenge, e->auth_challenge,
				      (const uint8_t *)e->user, e->user_len, e->auth_response);
	mschap_msk(h, e->nt_response, e->msk);
	ike_wipe(h, sizeof(h));
	hex_upper(e->auth_response, 20, hex);
	snprintf(msg, sizeof(msg), "S=%s M=Welcome to kesp", hex);
	e->ident++;
	add_eap(resp, EAP_REQUEST, e->ident,
		pkt, ms_packet(pkt, MS_SUCCESS, e->ms_id, msg, strlen(msg)));
	e->state = EAP_S_MS_SUCCESS;
	sa_log(sa, LOG_IKE, 1, "EAP-MSCHAPv2: user '%s' knows the password of secret '%s'",
	       e->user, k->name);
}

/* Last round: the peer's AUTH (MSK), ours, the IKE SA and the CHILD_SA. */
static void server_auth(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp)
{
	struct eap_ctx *e = sa->eap;
	struct ike_msg *first;
	struct ike_error err = { 0 };

	if (!msk_auth_verifies(sa, msg_find(req, IKE_PL_AUTH))) {
		server_fail(sa, resp, "%s succeeded for user '%s', but the AUTH after it "
			    "does not verify with the MSK", method(e), e->user);
		return;
	}
	if (add_msk_auth(sa, resp)) {
		server_fail(sa, resp, "cannot compute our AUTH from the MSK");
		return;
	}
	first = calloc(1, sizeof(*first));
	if (!first || ike_payloads_decode(&req->hdr, e->first_type, e->first, e->first_len, first,
					  &err)) {
		free(first);
		server_fail(sa, resp, "cannot read back the first IKE_AUTH request: %s",
			    err.reason);
		return;
	}
	sa_log(sa, LOG_IKE, 0, "%s: peer authenticated as EAP user '%s'%s%s", method(e), e->user,
	       e->tls ? " with certificate " : "", e->tls ? eap_tls_peer(e->tls) : "");
	ike_auth_respond_finish(sa, first, resp);
	ike_msg_release(first);
	free(first);
}

void auth_eap_server_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp)
{
	struct eap_ctx *e = sa->eap;
	const struct ike_payload *pl = msg_find(req, IKE_PL_EAP);
	const uint8_t *d;
	size_t len;

	if (e->state == EAP_S_AUTH) {
		server_auth(sa, req, resp);
		return;
	}
	if (!pl) {
		server_fail(sa, resp, "an IKE_AUTH request without EAP payload in the middle of %s",
			    e->state == EAP_S_IDENTITY ? "EAP-Identity" : method(e));
		return;
	}
	d = pl->u.eap.data.p;
	len = pl->u.eap.data.len;
	if (pl->u.eap.code != EAP_RESPONSE || pl->u.eap.ident != e->ident || !len) {
		server_fail(sa, resp, "an EAP message (code %u, identifier %u) where the response "
			    "to request %u belongs", pl->u.eap.code, pl->u.eap.ident, e->ident);
		return;
	}
	if (d[0] == EAP_T_NAK) {
		char types[64] = "";

		for (size_t i = 1, off = 0; i < len && off + 24 < sizeof(types); i++)
			off += (size_t)snprintf(types + off, sizeof(types) - off, "%s%s",
						i > 1 ? ", " : "", eap_type_name(d[i]));
		server_fail(sa, resp, "the peer refuses %s (EAP-Nak%s%s)",
			    eap_type_name(sa->conn->remote_eap), types[0] ? "; it wants " : "", types);
		return;
	}
	if (e->state == EAP_S_IDENTITY && d[0] == EAP_T_IDENTITY) {
		server_identity(sa, d, len, resp);
		return;
	}
	if (e->state == EAP_S_TLS && d[0] == EAP_T_TLS) {
		server_tls(sa, d, len, resp);
		return;
	}
	if (d[0] != EAP_T_MSCHAPV2 || e->tls || len < 2) {
		server_fail(sa, resp, "an EAP response of type %u (%s) where %s belongs",
			    d[0], eap_type_name(d[0]), eap_type_name(sa->conn->remote_eap));
		return;
	}
	if (d[1] == MS_FAILURE) {
		server_fail(sa, resp, "EAP-MSCHAPv2: user '%s' gave up (Failure Response)", e->user);
	} else if (e->state == EAP_S_CHALLENGE && d[1] == MS_RESPONSE) {
		server_response(sa, d, len, resp);
	} else if (e->state == EAP_S_MS_SUCCESS && d[1] == MS_SUCCESS) {
		e->state = EAP_S_AUTH;
		add_eap(resp, EAP_SUCCESS, e->ident, NULL, 0);
	} else {
		server_fail(sa, resp, "EAP-MSCHAPv2: an unexpected OpCode %u", d[1]);
	}
}
