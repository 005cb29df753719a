// SPDX-License-Identifier: GPL-2.0
/*
 * OCSP requests and the check of their answers (RFC 6960 §3.2, §4.2.2.2)
 * with GnuTLS's OCSP API; no ASN.1 of our own.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/ocsp.h>

#include "ocsp.h"

const char *ocsp_reason_name(int reason)
{
	static const char *const names[] = {
		"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
		"superseded", "cessationOfOperation", "certificateHold", "(7)",
		"removeFromCRL", "privilegeWithdrawn", "aACompromise",
	};

	return reason >= 0 && (size_t)reason < sizeof(names) / sizeof(names[0]) ?
	       names[reason] : "unspecified";
}

int ocsp_request(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer,
		 uint8_t nonce[OCSP_NONCE_LEN], gnutls_datum_t *req, char *why, size_t whylen)
{
	gnutls_ocsp_req_t r;
	gnutls_datum_t n = { nonce, OCSP_NONCE_LEN };
	int rc;

	req->data = NULL;
	req->size = 0;
	if (gnutls_ocsp_req_init(&r) < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	rc = gnutls_rnd(GNUTLS_RND_NONCE, nonce, OCSP_NONCE_LEN);
	if (rc >= 0)
		rc = gnutls_ocsp_req_add_cert(r, GNUTLS_DIG_SHA1, issuer, crt);
	if (rc >= 0)
		rc = gnutls_ocsp_req_set_nonce(r, 0, &n);
	if (rc >= 0)
		rc = gnutls_ocsp_req_export(r, req);
	gnutls_ocsp_req_deinit(r);
	if (rc < 0) {
		snprintf(why, whylen, "cannot make the OCSP request: %s", gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

static const char *verify_str(unsigned int v)
{
	if (v & GNUTLS_OCSP_VERIFY_SIGNATURE_FAILURE)
		return "its signature does not verify";
	if (v & GNUTLS_OCSP_VERIFY_SIGNER_KEYUSAGE_ERROR)
		return "its signer's certificate lacks the OCSP signing purpose";
	if (v & GNUTLS_OCSP_VERIFY_INSECURE_ALGORITHM)
		return "it is signed with an insecure algorithm";
	if (v & GNUTLS_OCSP_VERIFY_CERT_EXPIRED)
		return "its signer's certificate has expired";
	if (v & GNUTLS_OCSP_VERIFY_CERT_NOT_ACTIVATED)
		return "its signer's certificate is not valid yet";
	if (v & (GNUTLS_OCSP_VERIFY_UNTRUSTED_SIGNER | GNUTLS_OCSP_VERIFY_SIGNER_NOT_FOUND))
		return "it is signed neither by the certificate's issuer nor by a responder "
		       "certificate that issuer gave the OCSP signing purpose";
	return "its signature does not verify";
}

/* Signed by ISSUER itself, or by a responder certificate in the answer that
 * ISSUER issued with the OCSP signing purpose (§4.2.2.2). */
static bool signed_ok(gnutls_ocsp_resp_t r, gnutls_x509_crt_t issuer, char *why, size_t whylen)
{
	gnutls_x509_trust_list_t tl;
	gnutls_x509_crt_t ca;
	gnutls_datum_t der = { NULL, 0 };
	unsigned int v = 0, v2 = 0;
	int rc;

	rc = gnutls_ocsp_resp_verify_direct(r, issuer, &v, 0);
	if (rc >= 0 && !v)
		return true;
	/* A delegated responder: the trust list holds only the issuer. */
	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		goto fail;
	if (gnutls_x509_crt_init(&ca) < 0) {
		gnutls_x509_trust_list_deinit(tl, 1);
		goto fail;
	}
	if (gnutls_x509_crt_export2(issuer, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_x509_crt_import(ca, &der, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_trust_list_add_cas(tl, &ca, 1, 0) != 1)
		gnutls_x509_crt_deinit(ca);
	gnutls_free(der.data);
	rc = gnutls_ocsp_resp_verify(r, tl, &v2, 0);
	gnutls_x509_trust_list_deinit(tl, 1);
	if (rc >= 0 && !v2)
		return true;
	if (v2 && !(v2 & (GNUTLS_OCSP_VERIFY_SIGNER_NOT_FOUND)))
		v = v2;
fail:
	snprintf(why, whylen, "the answer is not trustworthy: %s", verify_str(v));
	return false;
}

enum ocsp_verdict ocsp_check(const gnutls_datum_t *resp, gnutls_x509_crt_t crt,
			     gnutls_x509_crt_t issuer, const uint8_t *nonce, time_t now,
			     time_t *until, time_t *rtime, char *reason, size_t reasonlen,
			     char *why, size_t whylen)
{
	static const char *const status_names[] = {
		"successful", "malformedRequest", "internalError", "tryLater", "(4)",
		"sigRequired", "unauthorized",
	};
	enum ocsp_verdict verdict = OCSP_UNKNOWN;
	gnutls_ocsp_resp_t r;
	gnutls_datum_t got = { NULL, 0 };
	unsigned int crit;
	int rc, st;

	*until = 0;
	*rtime = 0;
	reason[0] = '\0';
	if (gnutls_ocsp_resp_init(&r) < 0) {
		snprintf(why, whylen, "out of memory");
		return OCSP_UNKNOWN;
	}
	rc = gnutls_ocsp_resp_import(r, resp);
	if (rc < 0) {
		snprintf(why, whylen, "the answer is not an OCSP response: %s", gnutls_strerror(rc));
		goto out;
	}
	st = gnutls_ocsp_resp_get_status(r);
	if (st != GNUTLS_OCSP_RESP_SUCCESSFUL) {
		snprintf(why, whylen, "the responder answered %s",
			 st >= 0 && st < 7 ? status_names[st] : "an unknown status");
		goto out;
	}
	if (!signed_ok(r, issuer, why, whylen))
		goto out;
	rc = gnutls_ocsp_resp_get_nonce(r, &crit, &got);
	if (rc >= 0 && nonce && (got.size != OCSP_NONCE_LEN || memcmp(got.data, nonce,
								       OCSP_NONCE_LEN))) {
		snprintf(why, whylen, "the answer's nonce is not the one we sent (a replay?)");
		gnutls_free(got.data);
		goto out;
	}
	gnutls_free(got.data);
	for (unsigned int i = 0;; i++) {
		unsigned int cs, rr;
		time_t this_up, next_up, rev;

		rc = gnutls_ocsp_resp_get_single(r, i, NULL, NULL, NULL, NULL, &cs, &this_up,
						 &next_up, &rev, &rr);
		if (rc < 0) {
			snprintf(why, whylen, "the answer does not name the certificate");
			break;
		}
		if (gnutls_ocsp_resp_check_crt(r, i, crt) < 0)
			continue;
		if (this_up > now + OCSP_SKEW) {
			snprintf(why, whylen, "the answer is dated in the future (thisUpdate)");
			break;
		}
		if (next_up == (time_t)-1)
			next_up = this_up + OCSP_NO_NEXT_UPDATE_LIFE;
		if (next_up + OCSP_SKEW < now) {
			snprintf(why, whylen, "the answer is stale (nextUpdate passed)");
			break;
		}
		*until = next_up;
		if (cs == GNUTLS_OCSP_CERT_GOOD) {
			verdict = OCSP_GOOD;
		} else if (cs == GNUTLS_OCSP_CERT_REVOKED) {
			verdict = OCSP_REVOKED;
			*rtime = rev;
			snprintf(reason, reasonlen, "%s", ocsp_reason_name((int)rr));
		} else {
			snprintf(why, whylen, "the responder does not know the certificate");
		}
		break;
	}
out:
	gnutls_ocsp_resp_deinit(r);
	return verdict;
}
