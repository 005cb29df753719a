// SPDX-License-Identifier: GPL-2.0
/*
 * IKEv2 key derivation (RFC 7296 §2.13, §2.14, §2.17, §2.18):
 *   prf+(K, S)  = T1 | T2 | ...,  Tn = prf(K, Tn-1 | S | n)
 *   SKEYSEED    = prf(Ni | Nr, g^ir)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *               = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 *   SKEYSEED'   = prf(SK_d(old), g^ir(new) | Ni | Nr)        (IKE SA rekey)
 *   KEYMAT      = prf+(SK_d, [g^ir(new) |] Ni | Nr)           (Child SA)
 * Only HMAC PRFs are offered, so Ni | Nr is used as the key unchanged.
 *
 * A rekeyed IKE SA may negotiate another PRF. RFC 7296 §2.18: "Because the
 * rekeying exchange belongs to the old IKE SA, it is the old IKE SA's PRF
 * that is used to generate SKEYSEED", and the SK_* keys are "computed from
 * SKEYSEED as specified in Section 2.14 ... using the new IKE SA's PRF". So
 * SKEYSEED' is as long as the OLD PRF's output and keys prf+ of the NEW PRF:
 * every length is passed explicitly, never assumed from the new PRF.
 * strongSwan (5.9.8 and later, keymat_v2.c derive_ike_keys) runs prf+ with
 * the old PRF as well; both agree whenever the PRF does not change, which
 * is what a daemon should prefer when it picks the rekey proposal.
 */
#include <limits.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "ike.h"

/*
 * prf+ of §2.13 is HKDF-Expand (RFC 5869 §2.3) with K as the PRK and S as
 * the info: T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n). GnuTLS's
 * gnutls_hkdf_expand computes exactly that (the NIST IKEv2 vectors in
 * selftests/unit/test_ike_keys.c check it), for HMAC PRFs, which are all
 * we offer.
 */
int ike_prf_plus(unsigned int prf, const uint8_t *key, size_t keylen,
		 const uint8_t *seed, size_t seedlen, uint8_t *out,
		 size_t outlen)
{
	size_t hlen = ike_prf_len(prf);
	gnutls_datum_t k = { (unsigned char *)key, (unsigned int)keylen };
	gnutls_datum_t info = { (unsigned char *)seed, (unsigned int)seedlen };
	gnutls_mac_algorithm_t mac;

	if (!hlen)
		return -IKE_ERR_UNSUPPORTED;
	if (outlen > hlen * IKE_PRFPLUS_MAX_ITER)
		return -IKE_ERR_ARG;	/* the counter is one octet */
	if (!outlen)
		return 0;
	if (keylen > UINT_MAX || seedlen > UINT_MAX)
		return -IKE_ERR_ARG;
	mac = (gnutls_mac_algorithm_t)ike_prf_mac(prf);
	return gnutls_hkdf_expand(mac, &k, &info, out, outlen) < 0 ? -IKE_ERR_CRYPTO : 0;
}

int ike_skeyseed(unsigned int prf, const struct ike_slice *ni,
		 const struct ike_slice *nr, const struct ike_slice *gir,
		 uint8_t *out)
{
	uint8_t key[2 * 256];
	int rc;

	if (ni->len > 256 || nr->len > 256)
		return -IKE_ERR_ARG;
	memcpy(key, ni->p, ni->len);
	memcpy(key + ni->len, nr->p, nr->len);
	rc = ike_prf(prf, key, ni->len + nr->len, gir->p, gir->len, out);
	ike_wipe(key, sizeof(key));
	return rc;
}

/* out receives ike_prf_len(old_prf) bytes. */
int ike_skeyseed_rekey(unsigned int old_prf, const uint8_t *sk_d_old,
		       size_t sk_d_len, const struct ike_slice *gir_new,
		       const struct ike_slice *ni, const struct ike_slice *nr,
		       uint8_t *out)
{
	struct ike_slice parts[3] = { *gir_new, *ni, *nr };

	return ike_prf_vec(old_prf, sk_d_old, sk_d_len, parts, 3, out);
}

/* The raw prf+ stream of §2.14 (what NIST calls DKM). */
int ike_ike_dkm(unsigned int prf, const uint8_t *skeyseed, size_t skeyseed_len,
		const struct ike_slice *ni, const struct ike_slice *nr,
		const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t *out,
		size_t outlen)
{
	uint8_t seed[2 * 256 + 16];
	size_t slen;
	int rc;

	if (ni->len > 256 || nr->len > 256 || !skeyseed_len || skeyseed_len > IKE_PRF_MAX)
		return -IKE_ERR_ARG;
	memcpy(seed, ni->p, ni->len);
	memcpy(seed + ni->len, nr->p, nr->len);
	slen = ni->len + nr->len;
	memcpy(seed + slen, spi_i, 8);
	memcpy(seed + slen + 8, spi_r, 8);
	rc = ike_prf_plus(prf, skeyseed, skeyseed_len, seed, slen + 16, out, outlen);
	ike_wipe(seed, sizeof(seed));
	return rc;
}

int ike_sa_keys_derive(unsigned int prf, unsigned int encr,
		       unsigned int encr_bits, unsigned int integ,
		       const uint8_t *skeyseed, size_t skeyseed_len,
		       const struct ike_slice *ni,
		       const struct ike_slice *nr, const uint8_t spi_i[8],
		       const uint8_t spi_r[8], struct ike_sa_keys *k)
{
	uint8_t dkm[7 * IKE_PRF_MAX];
	size_t off = 0, total;
	int rc;

	memset(k, 0, sizeof(*k));
	k->prf = prf;
	k->prf_len = ike_prf_len(prf);
	k->encr_len = ike_encr_key_len(encr, encr_bits);
	k->integ_len = ike_encr_is_aead(encr) ? 0 : ike_integ_key_len(integ);
	if (!k->prf_len || !k->encr_len || (!ike_encr_is_aead(encr) && !k->integ_len))
		return -IKE_ERR_UNSUPPORTED;
	total = 3 * k->prf_len + 2 * k->integ_len + 2 * k->encr_len;
	rc = ike_ike_dkm(prf, skeyseed, skeyseed_len, ni, nr, spi_i, spi_r, dkm, total);
	if (rc)
		goto out;
#define TAKE(dst, n) do { memcpy(dst, dkm + off, n); off += n; } while (0)
	TAKE(k->sk_d, k->prf_len);
	TAKE(k->sk_ai, k->integ_len);
	TAKE(k->sk_ar, k->integ_len);
	TAKE(k->sk_ei, k->encr_len);
	TAKE(k->sk_er, k->encr_len);
	TAKE(k->sk_pi, k->prf_len);
	TAKE(k->sk_pr, k->prf_len);
#undef TAKE
out:
	ike_wipe(dkm, sizeof(dkm));
	return rc;
}

/* The SK keys for messages sent by the initiator (or by the responder). */
void ike_sa_keys_sk(const struct ike_sa_keys *k, bool initiator,
		    unsigned int encr, unsigned int encr_bits,
		    unsigned int integ, struct ike_sk_keys *out)
{
	memset(out, 0, sizeof(*out));
	out->encr = (uint16_t)encr;
	out->encr_bits = (uint16_t)encr_bits;
	out->integ = ike_encr_is_aead(encr) ? IKE_INTEG_NONE : (uint16_t)integ;
	out->ekey_len = k->encr_len;
	out->akey_len = k->integ_len;
	memcpy(out->ekey, initiator ? k->sk_ei : k->sk_er, k->encr_len);
	memcpy(out->akey, initiator ? k->sk_ai : k->sk_ar, k->integ_len);
}

int ike_child_keymat(unsigned int prf, const uint8_t *sk_d, size_t sk_d_len,
		     const struct ike_slice *gir_new,
		     const struct ike_slice *ni, const struct ike_slice *nr,
		     uint8_t *out, size_t outlen)
{
	size_t glen = gir_new ? gir_new->len : 0;
	uint8_t seed[1024 + 2 * 256];
	int rc;

	if (glen > 1024 || ni->len > 256 || nr->len > 256)
		return -IKE_ERR_ARG;
	if (glen)
		memcpy(seed, gir_new->p, glen);
	memcpy(seed + glen, ni->p, ni->len);
	memcpy(seed + glen + ni->len, nr->p, nr->len);
	rc = ike_prf_plus(prf, sk_d, sk_d_len, seed, glen + ni->len + nr->len, out, outlen);
	ike_wipe(seed, sizeof(seed));
	return rc;
}

void ike_sa_keys_wipe(struct ike_sa_keys *k)
{
	ike_wipe(k, sizeof(*k));
}
