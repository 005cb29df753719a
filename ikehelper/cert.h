/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Credentials for certificate authentication: X.509 certificates (our own
 * and trusted CAs), private keys and CRLs, loaded from files (PEM or DER)
 * named in the config or found in swanctl's directories beside it (x509/,
 * x509ca/, x509crl/, private/, rsa/, ecdsa/, pkcs8/). All through GnuTLS.
 *
 * A store is reference counted: the config holds it and so does each of
 * its connections, which outlive a reload while IKE SAs use them. It does
 * not change once loaded.
 */
#ifndef KESP_CERT_H
#define KESP_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "id.h"

#define CERT_CHAIN_MAX 8

struct cert {
	gnutls_x509_crt_t crt;
	gnutls_datum_t der;
	char file[256];
	bool ca;			/* basicConstraints CA:TRUE */
	bool self_signed;
	uint8_t spki_sha1[20];		/* CERTREQ's hash (RFC 7296 §3.7) */
};

struct privkey {
	gnutls_privkey_t key;
	char file[256];
	uint8_t key_id[20];		/* SHA-1 of its public key, as GnuTLS computes */
};

struct crl {
	gnutls_x509_crl_t crl;
	gnutls_datum_t der;
	char file[256];
};

struct creds {
	int refs;
	struct cert *certs;
	size_t ncerts;
	struct privkey *keys;
	size_t nkeys;
	struct crl *crls;
	size_t ncrls;
};

enum revocation {
	REV_RELAXED = 0,	/* fail only when a CRL says revoked (swanctl's default) */
	REV_IFURI,		/* also when the certificate names a CRL we do not have */
	REV_STRICT,		/* also when no CRL of the issuer is loaded */
};

struct creds *creds_new(void);
struct creds *creds_get(struct creds *c);
void creds_put(struct creds *c);

/*
 * Loaders; each returns an index (certificates: 0, their indexes in IDX,
 * up to MAX, and how many in *COUNT), or -1 with the reason in WHY. A PEM
 * file may hold several certificates; one loaded before is not loaded
 * again. CA says the file was named as a CA (cacerts, x509ca/): it must
 * then be a CA certificate. PASS may be NULL.
 */
int creds_load_cert(struct creds *c, const char *path, bool ca, size_t *idx, size_t max,
		    size_t *count, char *why, size_t whylen);
int creds_load_key(struct creds *c, const char *path, const char *pass, char *why,
		   size_t whylen);
int creds_load_crl(struct creds *c, const char *path, char *why, size_t whylen);
/* Every file of swanctl's directories under DIR that exist; each failure
 * goes to REPORT ("FILE: why"). Returns the number of failures. */
int creds_load_dirs(struct creds *c, const char *dir,
		    void (*report)(void *ctx, const char *msg), void *ctx);

/* The private key of certificate CERT, or -1. */
int creds_find_key(const struct creds *c, size_t cert);
/* The chain we send: CERT, then the CA certificates above it that are not
 * self-signed (intermediates), bottom up. Returns how many in IDX. */
size_t creds_chain(const struct creds *c, size_t cert, size_t idx[CERT_CHAIN_MAX]);

/* "CN=x, O=y" of a certificate's subject / issuer. */
const char *cert_subject(gnutls_x509_crt_t crt, char *buf, size_t len);
const char *cert_issuer(gnutls_x509_crt_t crt, char *buf, size_t len);
/* "2026-12-06 04:00:00 UTC" */
const char *cert_date_str(time_t t, char *buf, size_t len);
/* The subject as an ID_DER_ASN1_DN identity. */
bool cert_subject_id(gnutls_x509_crt_t crt, struct ike_id *id);
/* Whether CRT vouches for ID: its subject DN, or a subjectAltName of the
 * ID's type (dNSName for FQDN, rfc822Name, iPAddress). */
bool cert_has_id(gnutls_x509_crt_t crt, const struct ike_id *id);

/* The verdict of an online revocation check (revoke.c). */
enum rev_online {
	REV_ON_NONE,		/* the certificate names no OCSP responder and no CRL URI */
	REV_ON_GOOD,
	REV_ON_REVOKED,		/* WHY names the certificate, the source, when, why */
	REV_ON_UNKNOWN,		/* URIs, but no answer (WHY says what failed) */
	REV_ON_PENDING,		/* a fetch is in flight: ask again when it ends */
};

/* What the peer's chain is checked against. */
struct peer_policy {
	const size_t *cas;		/* indexes of trusted CAs; NULL: every CA */
	size_t ncas;
	enum revocation revocation;
	/* Asked unless a loaded CRL says revoked (NULL: nothing online); an
	 * enum rev_online. CRL_LOADED: a current CRL of ISSUER is loaded (no
	 * need to fetch one). The check stops at REV_ON_PENDING (*pending). */
	int (*online)(void *ctx, gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer,
		      bool crl_loaded, time_t now, char *why, size_t whylen);
	void *online_ctx;
	bool *pending;
};

/*
 * Checks the peer's certificates (DER, end entity first, then the rest in
 * any order) for identity ID: the end entity vouches for ID and may sign
 * (keyUsage, extendedKeyUsage), the chain ends at a trusted CA, every
 * certificate is within its validity at NOW (seconds since the epoch),
 * none is revoked by a loaded CRL (and, per P->revocation, each has one).
 * On success *PUB is the end entity's public key (the caller frees it)
 * and DESC names it; on failure WHY says which certificate and why.
 */
int creds_verify_peer(const struct creds *c, const struct peer_policy *p,
		      const gnutls_datum_t *certs, size_t ncerts, const struct ike_id *id,
		      time_t now, gnutls_pubkey_t *pub, char *desc, size_t desclen, char *why,
		      size_t whylen);

/* CERTREQ data: the SHA-1 hashes of the trusted CAs' public keys. */
size_t creds_certreq(const struct creds *c, const struct peer_policy *p, uint8_t *out,
		     size_t max);
/* Whether the CERTREQ data REQ (concatenated hashes) names a CA of CHAIN
 * (or the issuer of its top). */
bool creds_certreq_names(const struct creds *c, const size_t *chain, size_t n,
			 const uint8_t *req, size_t len);

#endif /* KESP_CERT_H */
