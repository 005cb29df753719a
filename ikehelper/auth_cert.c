// SPDX-License-Identifier: GPL-2.0
/*
 * Certificate authentication in IKE_AUTH (RFC 7296 §2.15, §3.6, §3.7): our
 * CERT payloads (the end entity and the intermediates above it, X.509
 * encoding 4) and the CERTREQ naming the CAs we trust (SHA-1 of their
 * public key info); our signature; the peer's chain checked against the
 * connection's CAs and CRLs (cert.c), its identity against its
 * certificate, and its signature (auth_sig.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "revoke.h"

#define CERT_X509 4		/* X.509 Certificate - Signature (§3.6) */
#define AUTH_DATA_MAX 1100	/* an algorithm id and an RSA-8192 signature */
#define CERTREQ_MAX 40		/* CAs named in one CERTREQ */

void conn_peer_policy(const struct conn *c, struct peer_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->cas = c->ncacerts ? c->cacerts : NULL;
	p->ncas = c->ncacerts;
	p->revocation = c->revocation;
}

void auth_add_certreq(struct msg_out *m, const struct conn *const *conns, size_t n)
{
	uint8_t *data = NULL, buf[CERTREQ_MAX * 20];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		const struct conn *c = conns[i];
		struct peer_policy p;
		size_t got;

		if (c->remote_auth != AUTH_PUBKEY || !c->send_certreq || !c->creds)
			continue;
		conn_peer_policy(c, &p);
		got = creds_certreq(c->creds, &p, buf, sizeof(buf));
		if (!data && got)
			data = msg_alloc(m, sizeof(buf));
		if (!data)
			return;
		/* Each CA once, however many connections trust it. */
		for (size_t k = 0; k + 20 <= got; k += 20) {
			bool dup = false;

			for (size_t j = 0; j + 20 <= len && !dup; j += 20)
				dup = !memcmp(data + j, buf + k, 20);
			if (!dup && len + 20 <= sizeof(buf)) {
				memcpy(data + len, buf + k, 20);
				len += 20;
			}
		}
	}
	if (len) {
		struct ike_payload *pl = msg_add(m, IKE_PL_CERTREQ);

		pl->u.typed.kind = CERT_X509;
		pl->u.typed.data.p = data;
		pl->u.typed.data.len = len;
	}
}

void auth_add_certs(struct ike_sa *sa, struct msg_out *m, const struct ike_msg *peer_msg)
{
	const struct conn *c = sa->conn;
	const struct ike_payload *req = peer_msg ? msg_find(peer_msg, IKE_PL_CERTREQ) : NULL;
	bool asked = sa->initiator ? sa->peer_certreq : req != NULL;
	size_t idx[CERT_CHAIN_MAX], n;

	if (c->local_auth != AUTH_PUBKEY || c->local_cert < 0 || c->send_cert == SEND_CERT_NEVER ||
	    (c->send_cert == SEND_CERT_IFASKED && !asked))
		return;
	n = creds_chain(c->creds, (size_t)c->local_cert, idx);
	if (req && req->u.typed.kind == CERT_X509 && req->u.typed.data.len &&
	    !creds_certreq_names(c->creds, idx, n, req->u.typed.data.p, req->u.typed.data.len))
		sa_log(sa, LOG_IKE, 1, "the peer asks for certificates of CAs none of ours chains "
		       "to; sending ours anyway");
	for (size_t i = 0; i < n; i++) {
		struct ike_payload *pl = msg_add(m, IKE_PL_CERT);
		const struct cert *ct = &c->creds->certs[idx[i]];

		pl->u.typed.kind = CERT_X509;
		pl->u.typed.data.p = ct->der.data;
		pl->u.typed.data.len = ct->der.size;
	}
}

int auth_add_sig(struct ike_sa *sa, struct msg_out *m, const struct ike_payload *id, char *why,
		 size_t whylen)
{
	const struct conn *c = sa->conn;
	uint8_t *data = msg_alloc(m, AUTH_DATA_MAX), method = 0;
	size_t len = AUTH_DATA_MAX;
	gnutls_datum_t octets;
	struct ike_payload *pl;
	char desc[64];
	int rc;

	if (!data || c->local_key < 0) {
		snprintf(why, whylen, "%s", data ? "no private key" : "message too large");
		return -1;
	}
	if (auth_octets(sa, sa->initiator, id, &octets)) {
		snprintf(why, whylen, "cannot assemble the signed octets");
		return -1;
	}
	rc = auth_sig_sign(c->creds->keys[c->local_key].key, &c->local_sig, sa->peer_sig_hashes,
			   &octets, &method, data, &len, desc, sizeof(desc), why, whylen);
	free(octets.data);
	if (rc)
		return -1;
	pl = msg_add(m, IKE_PL_AUTH);
	pl->u.typed.kind = method;
	pl->u.typed.data.p = data;
	pl->u.typed.data.len = len;
	sa_log(sa, LOG_IKE, 1, "authenticating with certificate '%s' (%s, AUTH method %u)",
	       c->creds->certs[c->local_cert].file, desc, method);
	return 0;
}

int auth_check_sig(struct ike_sa *sa, const struct ike_msg *m, const struct ike_payload *idpl,
		   const struct ike_id *peer, char *why, size_t whylen)
{
	const struct conn *c = sa->conn;
	const struct ike_payload *auth = msg_find(m, IKE_PL_AUTH);
	gnutls_datum_t certs[CERT_CHAIN_MAX], octets;
	gnutls_pubkey_t pub = NULL;
	struct peer_policy p;
	struct rev_query q = { 0 };
	bool pending = false;
	size_t n = 0, other = 0;
	char desc[700], sig[64], r[1024];
	int rc;

	for (size_t i = 0; i < m->npl && n < CERT_CHAIN_MAX; i++) {
		const struct ike_payload *pl = &m->pl[i];

		if (pl->type != IKE_PL_CERT)
			continue;
		if (pl->u.typed.kind != CERT_X509) {
			other++;
			continue;
		}
		certs[n].data = (uint8_t *)(uintptr_t)pl->u.typed.data.p;
		certs[n++].size = (unsigned int)pl->u.typed.data.len;
	}
	if (!n) {
		snprintf(why, whylen, "the peer sent no X.509 certificate%s (kesp has no other "
			 "source of its public key)", other ? ", only other kinds of CERT" : "");
		return -1;
	}
	conn_peer_policy(c, &p);
	q.d = sa->d;
	q.sa_id = sa->id;
	p.online = revoke_online;
	p.online_ctx = &q;
	p.pending = &pending;
	if (creds_verify_peer(c->creds, &p, certs, n, peer, time(NULL), &pub, desc, sizeof(desc),
			      r, sizeof(r))) {
		if (pending) {
			/* exchange.c keeps the message; revoke.c resumes us. */
			sa->wait.requested = true;
			sa_log(sa, LOG_IKE, 1, "%s", r);
			return AUTH_CHECK_PENDING;
		}
		snprintf(why, whylen, "%s", r);
		return -1;
	}
	if (auth_octets(sa, !sa->initiator, idpl, &octets)) {
		gnutls_pubkey_deinit(pub);
		snprintf(why, whylen, "cannot assemble the signed octets");
		return -1;
	}
	rc = auth_sig_verify(pub, auth->u.typed.kind, auth->u.typed.data.p, auth->u.typed.data.len,
			     &octets, sig, sizeof(sig), r, sizeof(r));
	free(octets.data);
	gnutls_pubkey_deinit(pub);
	if (rc) {
		snprintf(why, whylen, "certificate %s: %s", desc, r);
		return -1;
	}
	sa_log(sa, LOG_IKE, 0, "the peer's certificate %s is trusted and its %s signature "
	       "verifies", desc, sig);
	return 0;
}
