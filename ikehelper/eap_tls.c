// SPDX-License-Identifier: GPL-2.0
/*
 * EAP-TLS (RFC 5216) over GnuTLS, peer and server, TLS 1.2.
 *
 * GnuTLS runs on in-memory buffers (push/pull transport functions): what
 * the peer's EAP-TLS packets carried goes in, what GnuTLS writes comes out
 * in EAP-TLS packets of at most EAP_TLS_FRAG octets of TLS data. Framing
 * (§3.1): Flags L (TLS Message Length follows), M (more fragments), S
 * (start); a fragment is acknowledged by an EAP-TLS packet without data.
 * Both sides present certificates; the peer's chain is checked by cert.c
 * (the connection's cacerts, CRLs, the identity in the certificate), and
 * a failure names the certificate and the cause. The MSK is the TLS PRF
 * of the master secret with "client EAP encryption" over client_random |
 * server_random, 64 octets (§2.3).
 *
 * TLS 1.2 only: charon 5.9.8 negotiates 1.2 by default, and the 1.3 key
 * derivation of RFC 9190 differs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "daemon.h"

#define FL_L 0x80
#define FL_M 0x40
#define FL_S 0x20

#define PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.2:%SERVER_PRECEDENCE"
#define MSK_LABEL "client EAP encryption"

struct buf {
	uint8_t *p;
	size_t len, off, cap;
};

struct eap_tls {
	struct ike_sa *sa;
	bool server;
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred;
	gnutls_pcert_st pcert[CERT_CHAIN_MAX];
	unsigned int npcert;
	gnutls_privkey_t key;		/* the store's; not ours to free */
	const struct creds *creds;
	struct peer_policy policy;
	struct ike_id peer_id;
	struct buf in;			/* reassembled TLS data from the peer */
	size_t in_announced;		/* its TLS Message Length, 0 if none */
	struct buf out;			/* GnuTLS's output, sent in fragments */
	unsigned int rounds, in_frags;
	bool handshake_done, verified;
	char peer_desc[700];
	char verify_why[1024];		/* why the peer's certificate failed */
};

static void buf_free(struct buf *b)
{
	if (b->p)
		ike_wipe(b->p, b->cap);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Appends, growing B (old bytes wiped); -1 past EAP_TLS_MSG_MAX. */
static int buf_append(struct buf *b, const void *data, size_t len)
{
	if (b->len + len > EAP_TLS_MSG_MAX)
		return -1;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + len)
			cap *= 2;
		p = malloc(cap);
		if (!p)
			return -1;
		if (b->len)
			memcpy(p, b->p, b->len);
		if (b->p)
			ike_wipe(b->p, b->cap);
		free(b->p);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static void buf_clear(struct buf *b)
{
	if (b->p)
		ike_wipe(b->p, b->len);
	b->len = b->off = 0;
}

static ssize_t push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
	struct eap_tls *t = ptr;

	if (buf_append(&t->out, data, len)) {
		gnutls_transport_set_errno(t->s, ENOMEM);
		return -1;
	}
	return (ssize_t)len;
}

static ssize_t pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct eap_tls *t = ptr;
	size_t n = t->in.len - t->in.off;

	if (!n) {
		gnutls_transport_set_errno(t->s, EAGAIN);
		return -1;
	}
	if (n > len)
		n = len;
	memcpy(data, t->in.p + t->in.off, n);
	t->in.off += n;
	return (ssize_t)n;
}

/* Our certificate (and its chain) whenever GnuTLS asks: the store keeps
 * the key, so it is not handed over (gnutls_certificate_set_key would). */
static int retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca, int nreq,
		    const gnutls_pk_algorithm_t *algs, int nalgs, gnutls_pcert_st **pcert,
		    unsigned int *npcert, gnutls_privkey_t *key)
{
	struct eap_tls *t = gnutls_session_get_ptr(s);

	(void)req_ca;
	(void)nreq;
	(void)algs;
	(void)nalgs;
	*pcert = t->pcert;
	*npcert = t->npcert;
	*key = t->key;
	return 0;
}

/* The peer's certificate chain, during the handshake: cert.c decides. */
static int verify(gnutls_session_t s)
{
	struct eap_tls *t = gnutls_session_get_ptr(s);
	const gnutls_datum_t *certs;
	unsigned int n = 0;
	gnutls_pubkey_t pub = NULL;

	certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || !n) {
		snprintf(t->verify_why, sizeof(t->verify_why), "the %s sent no certificate",
			 t->server ? "client" : "server");
		return -1;
	}
	if (creds_verify_peer(t->creds, &t->policy, certs, n, &t->peer_id, time(NULL), &pub,
			      t->peer_desc, sizeof(t->peer_desc), t->verify_why,
			      sizeof(t->verify_why)))
		return -1;
	gnutls_pubkey_deinit(pub);
	t->verified = true;
	return 0;
}

void eap_tls_free(struct eap_tls *t)
{
	if (!t)
		return;
	if (t->s)
		gnutls_deinit(t->s);
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	for (unsigned int i = 0; i < t->npcert; i++)
		gnutls_pcert_deinit(&t->pcert[i]);
	buf_free(&t->in);
	buf_free(&t->out);
	ike_wipe(t, sizeof(*t));
	free(t);
}

struct eap_tls *eap_tls_new(struct ike_sa *sa, bool server, int cert, int key,
			    const struct ike_id *peer_id, char *why, size_t whylen)
{
	const struct conn *c = sa->conn;
	struct eap_tls *t = calloc(1, sizeof(*t));
	size_t idx[CERT_CHAIN_MAX], n;
	int rc;

	if (!t) {
		snprintf(why, whylen, "out of memory for EAP-TLS");
		return NULL;
	}
	t->sa = sa;
	t->server = server;
	t->creds = c->creds;
	t->peer_id = *peer_id;
	conn_peer_policy(c, &t->policy);
	if (cert < 0 || key < 0 || !c->creds) {
		snprintf(why, whylen, "EAP-TLS: no certificate and private key of ours");
		goto fail;
	}
	t->key = c->creds->keys[key].key;
	n = creds_chain(c->creds, (size_t)cert, idx);
	for (size_t i = 0; i < n; i++) {
		if (gnutls_pcert_import_x509_raw(&t->pcert[t->npcert],
						 &c->creds->certs[idx[i]].der,
						 GNUTLS_X509_FMT_DER, 0) < 0) {
			snprintf(why, whylen, "EAP-TLS: cannot use certificate '%s'",
				 c->creds->certs[idx[i]].file);
			goto fail;
		}
		t->npcert++;
	}
	rc = gnutls_certificate_allocate_credentials(&t->cred);
	if (rc < 0)
		goto gnutls_fail;
	gnutls_certificate_set_retrieve_function2(t->cred, retrieve);
	gnutls_certificate_set_verify_function(t->cred, verify);
	rc = gnutls_init(&t->s, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NO_TICKETS);
	if (rc < 0)
		goto gnutls_fail;
	gnutls_session_set_ptr(t->s, t);
	rc = gnutls_priority_set_direct(t->s, PRIORITY, NULL);
	if (rc >= 0)
		rc = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE, t->cred);
	if (rc < 0)
		goto gnutls_fail;
	if (server) {
		gnutls_certificate_server_set_request(t->s, GNUTLS_CERT_REQUIRE);
		gnutls_certificate_send_x509_rdn_sequence(t->s, 1);
	}
	gnutls_transport_set_ptr(t->s, t);
	gnutls_transport_set_push_function(t->s, push);
	gnutls_transport_set_pull_function(t->s, pull);
	return t;
gnutls_fail:
	snprintf(why, whylen, "EAP-TLS: GnuTLS: %s", gnutls_strerror(rc));
fail:
	eap_tls_free(t);
	return NULL;
}

/* The next EAP-TLS packet of ours from t->out (type, flags, [length],
 * data) into OUT (EAP_TLS_PKT_MAX octets): a fragment, or an ACK when
 * nothing is pending. */
static size_t next_packet(struct eap_tls *t, uint8_t *out, uint8_t flags)
{
	size_t left = t->out.len - t->out.off, n = left, h = 2;

	out[0] = EAP_T_TLS;
	if (n > EAP_TLS_FRAG) {
		n = EAP_TLS_FRAG;
		flags |= FL_M;
	}
	/* The first of several fragments says how long the whole is. */
	if ((flags & FL_M) && t->out.off == 0) {
		flags |= FL_L;
		out[2] = (uint8_t)(left >> 24);
		out[3] = (uint8_t)(left >> 16);
		out[4] = (uint8_t)(left >> 8);
		out[5] = (uint8_t)left;
		h = 6;
		sa_log(t->sa, LOG_IKE, 2, "EAP-TLS: our TLS message of %zu octets goes in "
		       "fragments of %d", left, EAP_TLS_FRAG);
	}
	out[1] = flags;
	if (n)
		memcpy(out + h, t->out.p + t->out.off, n);
	t->out.off += n;
	if (t->out.off == t->out.len)
		buf_clear(&t->out);
	return h + n;
}

size_t eap_tls_start(struct eap_tls *t, uint8_t *out)
{
	(void)t;
	out[0] = EAP_T_TLS;
	out[1] = FL_S;
	return 2;
}

bool eap_tls_done(const struct eap_tls *t)
{
	return t->handshake_done && t->verified;
}

const char *eap_tls_peer(const struct eap_tls *t)
{
	return t->peer_desc;
}

static void alert_why(struct eap_tls *t, int rc, char *why, size_t whylen)
{
	if (t->verify_why[0]) {
		snprintf(why, whylen, "EAP-TLS: the %s's certificate is refused: %s",
			 t->server ? "client" : "server", t->verify_why);
	} else if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED || rc == GNUTLS_E_WARNING_ALERT_RECEIVED) {
		gnutls_alert_description_t a = gnutls_alert_get(t->s);
		const char *name = gnutls_alert_get_name(a);

		snprintf(why, whylen, "EAP-TLS: the %s sent TLS alert '%s' (%d)%s",
			 t->server ? "client" : "server", name ? name : "?", (int)a,
			 a == GNUTLS_A_BAD_CERTIFICATE || a == GNUTLS_A_UNKNOWN_CA ||
			 a == GNUTLS_A_CERTIFICATE_UNKNOWN || a == GNUTLS_A_ACCESS_DENIED ?
			 ": it does not accept our certificate (its log says why)" : "");
	} else {
		snprintf(why, whylen, "EAP-TLS: the TLS handshake failed: %s", gnutls_strerror(rc));
	}
}

enum eap_tls_rc eap_tls_process(struct eap_tls *t, const uint8_t *d, size_t len, uint8_t *out,
				size_t *outlen, char *why, size_t whylen)
{
	uint8_t flags;
	size_t h = 2;
	int rc;

	if (len < 2 || d[0] != EAP_T_TLS) {
		snprintf(why, whylen, "EAP-TLS: a packet of %zu octets without flags", len);
		return EAP_TLS_FAIL;
	}
	if (++t->rounds > EAP_TLS_ROUNDS_MAX) {
		snprintf(why, whylen, "EAP-TLS: more than %d round trips; giving up",
			 EAP_TLS_ROUNDS_MAX);
		return EAP_TLS_FAIL;
	}
	flags = d[1];
	if (flags & FL_S) {
		if (t->server || t->rounds != 1) {
			snprintf(why, whylen, "EAP-TLS: an unexpected Start");
			return EAP_TLS_FAIL;
		}
	}
	if (flags & FL_L) {
		uint32_t total;

		if (len < 6) {
			snprintf(why, whylen, "EAP-TLS: the L flag without a TLS Message Length");
			return EAP_TLS_FAIL;
		}
		total = (uint32_t)d[2] << 24 | (uint32_t)d[3] << 16 | (uint32_t)d[4] << 8 | d[5];
		if (total > EAP_TLS_MSG_MAX) {
			snprintf(why, whylen, "EAP-TLS: the %s announces a TLS message of %u "
				 "octets, more than kesp accepts (%d)", t->server ? "client" :
				 "server", total, EAP_TLS_MSG_MAX);
			return EAP_TLS_FAIL;
		}
		if (t->in.len == 0)
			t->in_announced = total;
		h = 6;
	}
	/* A packet without data while ours are pending: the peer's ACK. */
	if (len == h && !(flags & FL_S)) {
		if (t->out.len > t->out.off) {
			*outlen = next_packet(t, out, 0);
			return EAP_TLS_SEND;
		}
		if (t->server && t->handshake_done)
			return t->verified ? EAP_TLS_DONE : EAP_TLS_FAIL;
		snprintf(why, whylen, "EAP-TLS: an empty packet where TLS data belongs");
		return EAP_TLS_FAIL;
	}
	if (t->out.len > t->out.off) {
		snprintf(why, whylen, "EAP-TLS: data from the %s while our fragments are not "
			 "all acknowledged", t->server ? "client" : "server");
		return EAP_TLS_FAIL;
	}
	if (t->in.off == t->in.len)
		buf_clear(&t->in);
	if (len > h && buf_append(&t->in, d + h, len - h)) {
		snprintf(why, whylen, "EAP-TLS: the %s's TLS message exceeds %d octets",
			 t->server ? "client" : "server", EAP_TLS_MSG_MAX);
		return EAP_TLS_FAIL;
	}
	if (t->in_announced && t->in.len > t->in_announced) {
		snprintf(why, whylen, "EAP-TLS: %zu octets of TLS data where the TLS Message "
			 "Length says %zu", t->in.len, t->in_announced);
		return EAP_TLS_FAIL;
	}
	t->in_frags++;
	if (flags & FL_M) {
		/* Acknowledge the fragment; wait for the rest. */
		*outlen = 2;
		out[0] = EAP_T_TLS;
		out[1] = 0;
		return EAP_TLS_SEND;
	}
	if (t->in_announced && t->in.len != t->in_announced) {
		snprintf(why, whylen, "EAP-TLS: the last fragment leaves %zu octets of a TLS "
			 "message of %zu", t->in.len, t->in_announced);
		return EAP_TLS_FAIL;
	}
	if (t->in_frags > 1)
		sa_log(t->sa, LOG_IKE, 2, "EAP-TLS: %zu octets of TLS data reassembled from %u "
		       "fragments", t->in.len - t->in.off, t->in_frags);
	t->in_announced = 0;
	t->in_frags = 0;
	if (t->handshake_done) {
		snprintf(why, whylen, "EAP-TLS: TLS data after the handshake");
		return EAP_TLS_FAIL;
	}
	rc = gnutls_handshake(t->s);
	if (rc == 0) {
		t->handshake_done = true;
		if (!t->verified) {
			snprintf(why, whylen, "EAP-TLS: the handshake ended without the %s's "
				 "certificate", t->server ? "client" : "server");
			return EAP_TLS_FAIL;
		}
		sa_log(t->sa, LOG_IKE, 1, "EAP-TLS: handshake done (%s, %s)",
		       gnutls_protocol_get_name(gnutls_protocol_get_version(t->s)),
		       gnutls_cipher_suite_get_name(gnutls_kx_get(t->s), gnutls_cipher_get(t->s),
						    gnutls_mac_get(t->s)));
	} else if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED) {
		alert_why(t, rc, why, whylen);
		/* The peer learns of it by EAP-Failure (server) or our
		 * AUTHENTICATION_FAILED (client); no alert is sent. */
		return EAP_TLS_FAIL;
	}
	*outlen = next_packet(t, out, 0);
	return EAP_TLS_SEND;
}

int eap_tls_msk(struct eap_tls *t, uint8_t *msk, size_t len)
{
	if (!eap_tls_done(t))
		return -1;
	return gnutls_prf(t->s, strlen(MSK_LABEL), MSK_LABEL, 0, 0, NULL, len,
			  (char *)msk) < 0 ? -1 : 0;
}
