// SPDX-License-Identifier: GPL-2.0
/*
 * Signature authentication: AUTH method 14, "digital signature" (RFC 7427),
 * whose data is a one-byte length, an ASN.1 AlgorithmIdentifier and the
 * signature; and the older methods a peer without RFC 7427 uses: 1 (RSA,
 * PKCS#1 v1.5 with SHA-1) and 9-11 (ECDSA on P-256/P-384/P-521 with the
 * matching SHA-2, the signature as r | s, RFC 4754). The signed octets are
 * those of §2.15 (auth_octets), signing and verifying are GnuTLS's.
 *
 * SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4) goes both ways: we sign with a
 * hash the peer announced, and a peer's method 14 must use one we
 * announced (SHA2-256/384/512, and "Identity" for Ed25519/Ed448, RFC 8420).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "daemon.h"

/* RFC 7427 §7 / RFC 8420: the hash numbers of SIGNATURE_HASH_ALGORITHMS. */
#define SH_SHA1 1
#define SH_SHA256 2
#define SH_SHA384 3
#define SH_SHA512 4
#define SH_IDENTITY 5

/*
 * The AlgorithmIdentifiers we write (RFC 7427 appendix A, RFC 8420 §2,
 * RFC 4055 for RSASSA-PSS with MGF1 of the same hash and a salt of the
 * hash's length, hash parameters NULL as strongSwan writes them). A peer's
 * PKCS#1 and ECDSA identifiers are compared with these (and with the
 * variants without the NULL); its PSS parameters are parsed.
 */
#define RSA_OID 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01
#define ECDSA_OID 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03
#define SHA2_OID 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02
#define PSS_ID(h, salt) 0x30, 0x41, RSA_OID, 0x0a, 0x30, 0x34, \
	0xa0, 0x0f, 0x30, 0x0d, SHA2_OID, h, 0x05, 0x00, \
	0xa1, 0x1c, 0x30, 0x1a, RSA_OID, 0x08, 0x30, 0x0d, SHA2_OID, h, 0x05, 0x00, \
	0xa2, 0x03, 0x02, 0x01, salt

struct sig_alg {
	gnutls_sign_algorithm_t alg;
	const char *name;
	uint8_t hash;			/* SH_* */
	uint8_t len;
	uint8_t der[67];
};

static const struct sig_alg sig_algs[] = {
	{ GNUTLS_SIGN_RSA_SHA256, "RSA PKCS#1 v1.5 SHA-256", SH_SHA256, 15,
	  { 0x30, 0x0d, RSA_OID, 0x0b, 0x05, 0x00 } },
	{ GNUTLS_SIGN_RSA_SHA384, "RSA PKCS#1 v1.5 SHA-384", SH_SHA384, 15,
	  { 0x30, 0x0d, RSA_OID, 0x0c, 0x05, 0x00 } },
	{ GNUTLS_SIGN_RSA_SHA512, "RSA PKCS#1 v1.5 SHA-512", SH_SHA512, 15,
	  { 0x30, 0x0d, RSA_OID, 0x0d, 0x05, 0x00 } },
	{ GNUTLS_SIGN_RSA_PSS_RSAE_SHA256, "RSA-PSS SHA-256", SH_SHA256, 67, { PSS_ID(0x01, 32) } },
	{ GNUTLS_SIGN_RSA_PSS_RSAE_SHA384, "RSA-PSS SHA-384", SH_SHA384, 67, { PSS_ID(0x02, 48) } },
	{ GNUTLS_SIGN_RSA_PSS_RSAE_SHA512, "RSA-PSS SHA-512", SH_SHA512, 67, { PSS_ID(0x03, 64) } },
	{ GNUTLS_SIGN_ECDSA_SHA256, "ECDSA SHA-256", SH_SHA256, 12, { 0x30, 0x0a, ECDSA_OID, 0x02 } },
	{ GNUTLS_SIGN_ECDSA_SHA384, "ECDSA SHA-384", SH_SHA384, 12, { 0x30, 0x0a, ECDSA_OID, 0x03 } },
	{ GNUTLS_SIGN_ECDSA_SHA512, "ECDSA SHA-512", SH_SHA512, 12, { 0x30, 0x0a, ECDSA_OID, 0x04 } },
	{ GNUTLS_SIGN_EDDSA_ED25519, "Ed25519", SH_IDENTITY, 7,
	  { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 } },
	{ GNUTLS_SIGN_EDDSA_ED448, "Ed448", SH_IDENTITY, 7,
	  { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71 } },
};
#define NSIG (sizeof(sig_algs) / sizeof(sig_algs[0]))

static const struct sig_alg *sig_by_alg(gnutls_sign_algorithm_t alg)
{
	if (alg == GNUTLS_SIGN_RSA_PSS_SHA256)
		alg = GNUTLS_SIGN_RSA_PSS_RSAE_SHA256;
	else if (alg == GNUTLS_SIGN_RSA_PSS_SHA384)
		alg = GNUTLS_SIGN_RSA_PSS_RSAE_SHA384;
	else if (alg == GNUTLS_SIGN_RSA_PSS_SHA512)
		alg = GNUTLS_SIGN_RSA_PSS_RSAE_SHA512;
	for (size_t i = 0; i < NSIG; i++)
		if (sig_algs[i].alg == alg)
			return &sig_algs[i];
	return NULL;
}

const uint8_t *sig_algid(gnutls_sign_algorithm_t alg, size_t *len)
{
	const struct sig_alg *s = sig_by_alg(alg);

	*len = s ? s->len : 0;
	return s ? s->der : NULL;
}

/* One DER element at *P (before END): its tag and contents. */
static bool der_get(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **val,
		    size_t *len)
{
	size_t n;

	if (end - *p < 2)
		return false;
	*tag = (*p)[0];
	n = (*p)[1];
	*p += 2;
	if (n & 0x80) {
		size_t k = n & 0x7f;

		if (!k || k > 2 || (size_t)(end - *p) < k)
			return false;
		n = 0;
		while (k--)
			n = n << 8 | *(*p)++;
	}
	if ((size_t)(end - *p) < n)
		return false;
	*val = *p;
	*len = n;
	*p += n;
	return true;
}

static const uint8_t sha2_oid[] = { SHA2_OID };

/* SHA-2 AlgorithmIdentifier contents (OID, optional NULL): its SH_*, or 0. */
static uint8_t sha2_of(const uint8_t *v, size_t len)
{
	const uint8_t *p = v, *o, *end = v + len;
	size_t olen;
	uint8_t tag;

	if (!der_get(&p, end, &tag, &o, &olen) || tag != 0x06 || olen != 9 ||
	    memcmp(o - 2, sha2_oid, 10) || o[8] < 1 || o[8] > 3)
		return 0;
	if (p != end && !(end - p == 2 && p[0] == 0x05 && p[1] == 0))
		return 0;
	return (uint8_t)(SH_SHA256 + o[8] - 1);
}

/* RSASSA-PSS-params (RFC 4055 §3.1): hash, MGF1 hash, salt length. */
static int pss_params(const uint8_t *v, size_t len, gnutls_sign_algorithm_t *alg, char *why,
		      size_t whylen)
{
	const uint8_t *p = v, *end = v + len, *e, *a;
	static const uint8_t mgf1[] = { RSA_OID, 0x08 };
	uint8_t tag, hash = 0, mgf_hash = 0;
	size_t elen, alen, salt = 20;

	while (p < end) {
		const uint8_t *q, *r;
		size_t qlen, rlen;

		if (!der_get(&p, end, &tag, &e, &elen))
			goto bad;
		q = e;
		switch (tag) {
		case 0xa0:	/* hashAlgorithm */
			if (!der_get(&q, e + elen, &tag, &a, &alen) || tag != 0x30 ||
			    !(hash = sha2_of(a, alen)))
				goto hash;
			break;
		case 0xa1:	/* maskGenAlgorithm: MGF1 with a hash */
			if (!der_get(&q, e + elen, &tag, &a, &alen) || tag != 0x30)
				goto bad;
			r = a;
			if (!der_get(&r, a + alen, &tag, &q, &qlen) || tag != 0x06 ||
			    qlen != sizeof(mgf1) - 2 || memcmp(q - 2, mgf1, sizeof(mgf1)) ||
			    !der_get(&r, a + alen, &tag, &q, &rlen) || tag != 0x30 ||
			    !(mgf_hash = sha2_of(q, rlen)))
				goto hash;
			break;
		case 0xa2:	/* saltLength */
			if (!der_get(&q, e + elen, &tag, &a, &alen) || tag != 0x02 || !alen ||
			    alen > 2)
				goto bad;
			salt = 0;
			for (size_t i = 0; i < alen; i++)
				salt = salt << 8 | a[i];
			break;
		case 0xa3:	/* trailerField: must be 1 */
			if (!der_get(&q, e + elen, &tag, &a, &alen) || tag != 0x02 || alen != 1 ||
			    a[0] != 1)
				goto bad;
			break;
		default:
			goto bad;
		}
	}
	if (!hash || mgf_hash != hash)
		goto hash;
	if (salt != (size_t)16 * hash) {	/* 32, 48, 64: the hash's length */
		snprintf(why, whylen, "RSA-PSS with a salt of %zu bytes (kesp verifies PSS with a "
			 "salt as long as the hash)", salt);
		return -1;
	}
	*alg = hash == SH_SHA256 ? GNUTLS_SIGN_RSA_PSS_RSAE_SHA256 :
	       hash == SH_SHA384 ? GNUTLS_SIGN_RSA_PSS_RSAE_SHA384 :
				   GNUTLS_SIGN_RSA_PSS_RSAE_SHA512;
	return 0;
hash:
	snprintf(why, whylen, "RSA-PSS with a hash other than SHA-256/384/512 for both the "
		 "message and MGF1");
	return -1;
bad:
	snprintf(why, whylen, "malformed RSASSA-PSS parameters");
	return -1;
}

int sig_algid_parse(const uint8_t *der, size_t len, gnutls_sign_algorithm_t *alg, char *why,
		    size_t whylen)
{
	static const uint8_t pss_oid[] = { RSA_OID, 0x0a };
	const uint8_t *p = der, *v, *o;
	size_t vlen, olen;
	uint8_t tag;

	for (size_t i = 0; i < NSIG; i++) {
		const struct sig_alg *s = &sig_algs[i];

		if (s->alg == GNUTLS_SIGN_RSA_PSS_RSAE_SHA256 ||
		    s->alg == GNUTLS_SIGN_RSA_PSS_RSAE_SHA384 ||
		    s->alg == GNUTLS_SIGN_RSA_PSS_RSAE_SHA512)
			continue;
		/* Exactly ours, or a PKCS#1 one without its NULL. */
		if ((len == s->len && !memcmp(der, s->der, len)) ||
		    (s->der[s->len - 2] == 0x05 && len == (size_t)s->len - 2 && der[1] == 0x0b &&
		     !memcmp(der + 2, s->der + 2, len - 2))) {
			*alg = s->alg;
			return 0;
		}
	}
	if (der_get(&p, der + len, &tag, &v, &vlen) && tag == 0x30 && p == der + len) {
		const uint8_t *q = v;

		if (der_get(&q, v + vlen, &tag, &o, &olen) && tag == 0x06 &&
		    olen == sizeof(pss_oid) - 2 && !memcmp(o - 2, pss_oid, sizeof(pss_oid))) {
			const uint8_t *params;
			size_t plen;

			if (q == v + vlen || !der_get(&q, v + vlen, &tag, &params, &plen) ||
			    tag != 0x30 || q != v + vlen) {
				snprintf(why, whylen, "RSA-PSS without parameters");
				return -1;
			}
			return pss_params(params, plen, alg, why, whylen);
		}
	}
	snprintf(why, whylen, "an AlgorithmIdentifier kesp does not know (RFC 7427 allows RSA "
		 "PKCS#1 v1.5 and PSS with SHA-2, ECDSA with SHA-2, Ed25519, Ed448)");
	return -1;
}

const char *sig_alg_name(gnutls_sign_algorithm_t alg)
{
	const struct sig_alg *s = sig_by_alg(alg);

	return s ? s->name : gnutls_sign_get_name(alg);
}

const char *auth_method_name(unsigned int m)
{
	switch (m) {
	case AUTHM_RSA: return "RSA signature";
	case AUTHM_PSK: return "PSK";
	case 3: return "DSS signature";
	case AUTHM_ECDSA_256: return "ECDSA-256";
	case AUTHM_ECDSA_384: return "ECDSA-384";
	case AUTHM_ECDSA_521: return "ECDSA-521";
	case 12: return "generic secure password";
	case 13: return "NULL";
	case AUTHM_SIG: return "digital signature";
	}
	return "unknown";
}

/* ECDSA's legacy method for a curve (RFC 4754), with its hash. */
static uint8_t ecdsa_method(gnutls_ecc_curve_t curve, gnutls_sign_algorithm_t *alg)
{
	switch (curve) {
	case GNUTLS_ECC_CURVE_SECP256R1:
		*alg = GNUTLS_SIGN_ECDSA_SHA256;
		return AUTHM_ECDSA_256;
	case GNUTLS_ECC_CURVE_SECP384R1:
		*alg = GNUTLS_SIGN_ECDSA_SHA384;
		return AUTHM_ECDSA_384;
	case GNUTLS_ECC_CURVE_SECP521R1:
		*alg = GNUTLS_SIGN_ECDSA_SHA512;
		return AUTHM_ECDSA_521;
	default:
		return 0;
	}
}

static size_t curve_octets(uint8_t method)
{
	return method == AUTHM_ECDSA_256 ? 32 : method == AUTHM_ECDSA_384 ? 48 : 66;
}

/* A SHA-2 number for a key: the configured one, else the first the peer takes. */
static uint8_t pick_hash(uint8_t want, uint8_t prefer, uint8_t peer)
{
	static const uint8_t order[] = { SH_SHA256, SH_SHA384, SH_SHA512 };

	if (want)
		return peer & (1u << want) ? want : 0;
	if (prefer && peer & (1u << prefer))
		return prefer;
	for (size_t i = 0; i < sizeof(order); i++)
		if (peer & (1u << order[i]))
			return order[i];
	return 0;
}

static gnutls_sign_algorithm_t sha2_sig(gnutls_pk_algorithm_t pk, bool pss, uint8_t hash)
{
	static const gnutls_sign_algorithm_t rsa[] = { GNUTLS_SIGN_RSA_SHA256,
		GNUTLS_SIGN_RSA_SHA384, GNUTLS_SIGN_RSA_SHA512 };
	static const gnutls_sign_algorithm_t rsae[] = { GNUTLS_SIGN_RSA_PSS_RSAE_SHA256,
		GNUTLS_SIGN_RSA_PSS_RSAE_SHA384, GNUTLS_SIGN_RSA_PSS_RSAE_SHA512 };
	static const gnutls_sign_algorithm_t pssk[] = { GNUTLS_SIGN_RSA_PSS_SHA256,
		GNUTLS_SIGN_RSA_PSS_SHA384, GNUTLS_SIGN_RSA_PSS_SHA512 };
	static const gnutls_sign_algorithm_t ec[] = { GNUTLS_SIGN_ECDSA_SHA256,
		GNUTLS_SIGN_ECDSA_SHA384, GNUTLS_SIGN_ECDSA_SHA512 };
	unsigned int i = hash - SH_SHA256;

	if (pk == GNUTLS_PK_RSA_PSS)
		return pssk[i];
	if (pk == GNUTLS_PK_RSA)
		return pss ? rsae[i] : rsa[i];
	return ec[i];
}

static const char *hashes_str(uint8_t peer, char *buf, size_t len)
{
	static const char *const names[] = { NULL, "SHA-1", "SHA2-256", "SHA2-384", "SHA2-512",
					     "Identity" };
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 1; i <= 5 && off + 12 < len; i++)
		if (peer & (1u << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
						names[i]);
	if (!off)
		snprintf(buf, len, "none");
	return buf;
}

int auth_sig_sign(gnutls_privkey_t key, const struct sig_pref *pref, uint8_t peer_hashes,
		  const gnutls_datum_t *octets, uint8_t *method, uint8_t *out, size_t *outlen,
		  char *desc, size_t desclen, char *why, size_t whylen)
{
	unsigned int bits = 0;
	gnutls_pk_algorithm_t pk = (gnutls_pk_algorithm_t)gnutls_privkey_get_pk_algorithm(key, &bits);
	gnutls_sign_algorithm_t alg = GNUTLS_SIGN_UNKNOWN;
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	gnutls_datum_t sig = { 0 };
	const struct sig_alg *s = NULL;
	size_t off = 0;
	char hb[64];
	int rc;

	if (pk == GNUTLS_PK_ECDSA)
		gnutls_privkey_export_ecc_raw2(key, &curve, NULL, NULL, NULL, 0);
	if (peer_hashes) {
		*method = AUTHM_SIG;
		if (pk == GNUTLS_PK_EDDSA_ED25519 || pk == GNUTLS_PK_EDDSA_ED448) {
			if (!(peer_hashes & (1u << SH_IDENTITY))) {
				snprintf(why, whylen, "our key is %s, but the peer did not announce "
					 "the Identity hash (RFC 8420); it takes %s",
					 gnutls_pk_get_name(pk), hashes_str(peer_hashes, hb, sizeof(hb)));
				return -1;
			}
			alg = pk == GNUTLS_PK_EDDSA_ED25519 ? GNUTLS_SIGN_EDDSA_ED25519 :
							      GNUTLS_SIGN_EDDSA_ED448;
		} else if (pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS || pk == GNUTLS_PK_ECDSA) {
			gnutls_sign_algorithm_t legacy;
			uint8_t prefer = 0, h;

			if (pk == GNUTLS_PK_ECDSA && ecdsa_method(curve, &legacy))
				prefer = (uint8_t)(ecdsa_method(curve, &legacy) - AUTHM_ECDSA_256 +
						   SH_SHA256);
			h = pick_hash(pref->hash, prefer, peer_hashes);
			if (!h) {
				snprintf(why, whylen, "the peer takes hashes %s, none of which we %s",
					 hashes_str(peer_hashes, hb, sizeof(hb)),
					 pref->hash ? "are configured to sign with" : "sign with");
				return -1;
			}
			alg = sha2_sig(pk, pref->pss, h);
		} else {
			snprintf(why, whylen, "keys of type %s cannot sign IKE", gnutls_pk_get_name(pk));
			return -1;
		}
		s = sig_by_alg(alg);
		if (!s || *outlen < 1 + (size_t)s->len)
			return -1;
		out[0] = s->len;
		memcpy(out + 1, s->der, s->len);
		off = 1 + s->len;
	} else if (pk == GNUTLS_PK_RSA) {
		*method = AUTHM_RSA;
		alg = GNUTLS_SIGN_RSA_SHA1;
	} else if (pk == GNUTLS_PK_ECDSA && (*method = ecdsa_method(curve, &alg))) {
		;
	} else {
		snprintf(why, whylen, "the peer did not send SIGNATURE_HASH_ALGORITHMS (RFC 7427), "
			 "and a %s key has no older AUTH method", gnutls_pk_get_name(pk));
		return -1;
	}
	rc = gnutls_privkey_sign_data2(key, alg, 0, octets, &sig);
	if (rc < 0) {
		snprintf(why, whylen, "GnuTLS cannot sign with %s: %s", sig_alg_name(alg),
			 gnutls_strerror(rc));
		return -1;
	}
	rc = -1;
	if (*method == AUTHM_SIG || *method == AUTHM_RSA) {
		if (off + sig.size <= *outlen) {
			memcpy(out + off, sig.data, sig.size);
			*outlen = off + sig.size;
			rc = 0;
		}
	} else {
		/* RFC 4754: r and s, each as long as the curve's order. */
		gnutls_datum_t r = { 0 }, ss = { 0 };
		size_t n = curve_octets(*method);

		if (!gnutls_decode_rs_value(&sig, &r, &ss) && r.size <= n + 1 && ss.size <= n + 1 &&
		    2 * n <= *outlen) {
			const gnutls_datum_t *v[2] = { &r, &ss };

			/* GnuTLS may keep a leading zero; strip it, or pad. */
			for (int k = 0; k < 2; k++) {
				const uint8_t *d = v[k]->data;
				size_t l = v[k]->size;

				while (l > n && !*d) {
					d++;
					l--;
				}
				memset(out + k * n, 0, n - l);
				memcpy(out + k * n + (n - l), d, l);
			}
			*outlen = 2 * n;
			rc = 0;
		}
		gnutls_free(r.data);
		gnutls_free(ss.data);
	}
	gnutls_free(sig.data);
	if (rc)
		snprintf(why, whylen, "the %s signature does not fit the AUTH payload",
			 sig_alg_name(alg));
	else
		snprintf(desc, desclen, "%s", sig_alg_name(alg));
	return rc;
}

int auth_sig_verify(gnutls_pubkey_t pub, uint8_t method, const uint8_t *data, size_t len,
		    const gnutls_datum_t *octets, char *desc, size_t desclen, char *why,
		    size_t whylen)
{
	unsigned int bits = 0, flags = 0;
	gnutls_pk_algorithm_t pk = (gnutls_pk_algorithm_t)gnutls_pubkey_get_pk_algorithm(pub, &bits);
	gnutls_sign_algorithm_t alg = GNUTLS_SIGN_UNKNOWN;
	gnutls_datum_t sig = { (uint8_t *)(uintptr_t)data, (unsigned int)len };
	gnutls_datum_t der = { 0 };
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	int rc;

	if (pk == GNUTLS_PK_ECDSA)
		gnutls_pubkey_export_ecc_raw2(pub, &curve, NULL, NULL, 0);
	switch (method) {
	case AUTHM_SIG:
		if (!len || (size_t)data[0] + 1 > len) {
			snprintf(why, whylen, "a malformed RFC 7427 AUTH payload");
			return -1;
		}
		if (sig_algid_parse(data + 1, data[0], &alg, why, whylen))
			return -1;
		if (pk == GNUTLS_PK_RSA_PSS)
			alg = alg == GNUTLS_SIGN_RSA_PSS_RSAE_SHA256 ? GNUTLS_SIGN_RSA_PSS_SHA256 :
			      alg == GNUTLS_SIGN_RSA_PSS_RSAE_SHA384 ? GNUTLS_SIGN_RSA_PSS_SHA384 :
			      alg == GNUTLS_SIGN_RSA_PSS_RSAE_SHA512 ? GNUTLS_SIGN_RSA_PSS_SHA512 : alg;
		sig.data += 1 + data[0];
		sig.size -= 1u + data[0];
		break;
	case AUTHM_RSA:
		alg = GNUTLS_SIGN_RSA_SHA1;
		flags = GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1;
		break;
	case AUTHM_ECDSA_256:
	case AUTHM_ECDSA_384:
	case AUTHM_ECDSA_521: {
		gnutls_sign_algorithm_t want;
		size_t n = curve_octets(method);
		gnutls_datum_t r = { (uint8_t *)(uintptr_t)data, (unsigned int)n };
		gnutls_datum_t s = { (uint8_t *)(uintptr_t)data + n, (unsigned int)n };

		if (ecdsa_method(curve, &want) != method) {
			snprintf(why, whylen, "AUTH method %u (%s) does not fit the certificate's %s "
				 "key", method, auth_method_name(method),
				 pk == GNUTLS_PK_ECDSA ? gnutls_ecc_curve_get_name(curve) :
							 gnutls_pk_get_name(pk));
			return -1;
		}
		if (len != 2 * n || gnutls_encode_rs_value(&der, &r, &s)) {
			snprintf(why, whylen, "an ECDSA signature of %zu bytes (expected %zu)", len,
				 2 * n);
			return -1;
		}
		alg = want;
		sig = der;
		break;
	}
	default:
		snprintf(why, whylen, "AUTH method %u (%s) is not a signature kesp verifies", method,
			 auth_method_name(method));
		return -1;
	}
	snprintf(desc, desclen, "%s", sig_alg_name(alg));
	rc = gnutls_pubkey_verify_data2(pub, alg, flags, octets, &sig);
	gnutls_free(der.data);
	if (rc < 0) {
		if (rc == GNUTLS_E_PK_SIG_VERIFY_FAILED)
			snprintf(why, whylen, "the %s signature does not verify with the certificate's "
				 "key (signed over other octets, or with another key)",
				 sig_alg_name(alg));
		else
			snprintf(why, whylen, "a %s signature cannot be checked with the certificate's "
				 "%s key: %s", sig_alg_name(alg), gnutls_pk_get_name(pk),
				 gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

int auth_octets(const struct ike_sa *sa, bool of_initiator, const struct ike_payload *id,
		gnutls_datum_t *out)
{
	uint8_t maced[IKE_PRF_MAX];
	size_t plen = ike_prf_len(sa->prf);
	const uint8_t *msg = of_initiator ? sa->init_req : sa->init_resp;
	size_t mlen = of_initiator ? sa->init_req_len : sa->init_resp_len;
	const uint8_t *nonce = of_initiator ? sa->nr : sa->ni;
	size_t nlen = of_initiator ? sa->nr_len : sa->ni_len;

	out->data = NULL;
	if (!msg || auth_id_prf(sa, of_initiator, id, maced))
		return -1;
	out->size = (unsigned int)(mlen + nlen + plen);
	out->data = malloc(out->size);
	if (!out->data)
		return -1;
	memcpy(out->data, msg, mlen);
	memcpy(out->data + mlen, nonce, nlen);
	memcpy(out->data + mlen + nlen, maced, plen);
	return 0;
}

/* SHA2-256, SHA2-384, SHA2-512 and Identity (for EdDSA, RFC 8420). */
const uint8_t auth_sig_hashes[8] = { 0, SH_SHA256, 0, SH_SHA384, 0, SH_SHA512, 0, SH_IDENTITY };
