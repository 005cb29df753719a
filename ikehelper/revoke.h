/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Online revocation status (RFC 6960 OCSP to the responder of a
 * certificate's AIA, then the CRL of its distribution point over HTTP),
 * cached for the daemon: good and revoked answers until their nextUpdate,
 * a failed fetch for REV_FAIL_HOLD_S so the IKE_AUTH that waited for it
 * gets the verdict "unknown" and a new one asks again later.
 *
 * cert.c asks through peer_policy.online (revoke_online) when the loaded
 * CRLs do not tell; REV_ON_PENDING there means a fetch is in flight: the
 * IKE_AUTH of that SA is suspended (exchange.c) and resumed when it ends.
 */
#ifndef KESP_REVOKE_H
#define KESP_REVOKE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <gnutls/x509.h>

struct daemon;

#define REV_FETCH_TIMEOUT_MS 5000
#define REV_FAIL_HOLD_S 10
#define REV_CRL_NO_NEXT_UPDATE_S 3600

/* What one IKE_AUTH check asks (peer_policy.online_ctx). */
struct rev_query {
	struct daemon *d;
	uint64_t sa_id;		/* woken (ike_auth_resume) when a fetch ends */
	bool pending;		/* set: a fetch this check needs is in flight */
};

/* A peer_policy.online callback; CTX is a struct rev_query. */
int revoke_online(void *ctx, gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer, bool crl_loaded,
		  time_t now, char *why, size_t whylen);

void revoke_free(struct daemon *d);

#endif /* KESP_REVOKE_H */
