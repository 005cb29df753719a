/* SPDX-License-Identifier: GPL-2.0 */
/*
 * OCSP (RFC 6960) through GnuTLS: the request for one certificate (with a
 * nonce), and the check of the responder's answer: signed by the issuer or
 * by a responder certificate the issuer gave the OCSP signing purpose,
 * naming our certificate, our nonce if it echoes one, current
 * (thisUpdate/nextUpdate). Pure functions: revoke.c does the fetching.
 */
#ifndef KESP_OCSP_H
#define KESP_OCSP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gnutls/x509.h>

#define OCSP_NONCE_LEN 16
#define OCSP_SKEW 300			/* s of clock difference tolerated */
#define OCSP_NO_NEXT_UPDATE_LIFE 600	/* s a response without nextUpdate is good for */

enum ocsp_verdict {
	OCSP_GOOD,
	OCSP_REVOKED,
	OCSP_UNKNOWN,	/* the responder does not know, or its answer is unusable */
};

/* The DER request for CRT issued by ISSUER, the nonce in NONCE (the caller
 * frees REQ->data with gnutls_free). 0, or -1 with WHY. */
int ocsp_request(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer,
		 uint8_t nonce[OCSP_NONCE_LEN], gnutls_datum_t *req, char *why, size_t whylen);

/*
 * The verdict of response RESP (DER) on CRT issued by ISSUER at NOW.
 * NONCE: the one we sent (NULL: none). GOOD and REVOKED set *UNTIL (when
 * the answer stops being current); REVOKED sets *RTIME and the reason in
 * REASON ("keyCompromise"). UNKNOWN says why in WHY.
 */
enum ocsp_verdict ocsp_check(const gnutls_datum_t *resp, gnutls_x509_crt_t crt,
			     gnutls_x509_crt_t issuer, const uint8_t *nonce, time_t now,
			     time_t *until, time_t *rtime, char *reason, size_t reasonlen,
			     char *why, size_t whylen);

/* RFC 5280's name of a CRLReason. */
const char *ocsp_reason_name(int reason);

#endif /* KESP_OCSP_H */
