// SPDX-License-Identifier: GPL-2.0
/*
 * The one small crypto interface the helper uses, over GnuTLS: PRFs and
 * integrity (HMAC-SHA2 RFC 4868, HMAC-SHA1 RFC 2404 for older peers), the
 * SK payload's ciphers (AES-GCM-16 RFC 5282 and AES-CBC RFC 3602, each
 * with 128/192/256-bit keys; ChaCha20-Poly1305 RFC 7634), randomness, and
 * wiping. Diffie-Hellman lives in dh.c (Nettle/GMP).
 */
#include <stdlib.h>
#include <string.h>

#include <gmp.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "ike.h"

void ike_wipe(void *p, size_t len)
{
	if (p && len)
		gnutls_memset(p, 0, len);
}

/*
 * GMP (used by Nettle's ECC and our MODP code) reallocates limbs as numbers
 * grow, which would leave copies of private exponents and shared secrets in
 * freed memory. Route its allocations through functions that wipe first.
 */
static void *gmp_wipe_realloc(void *old, size_t old_size, size_t new_size)
{
	void *p = malloc(new_size);

	if (!p)
		abort();	/* GMP cannot report allocation failure */
	if (old) {
		memcpy(p, old, old_size < new_size ? old_size : new_size);
		ike_wipe(old, old_size);
		free(old);
	}
	return p;
}

static void *gmp_wipe_alloc(size_t size)
{
	return gmp_wipe_realloc(NULL, 0, size);
}

static void gmp_wipe_free(void *p, size_t size)
{
	ike_wipe(p, size);
	free(p);
}

int ike_crypto_init(void)
{
	mp_set_memory_functions(gmp_wipe_alloc, gmp_wipe_realloc, gmp_wipe_free);
	return gnutls_global_init() < 0 ? -IKE_ERR_CRYPTO : 0;
}

void ike_crypto_deinit(void)
{
	ike_dh_cleanup();
	gnutls_global_deinit();
}

/* For IVs and SPIs: unpredictable, GnuTLS's NONCE level. Nonces proper
 * come from ike_nonce_new(). */
int ike_random(void *buf, size_t len)
{
	return gnutls_rnd(GNUTLS_RND_NONCE, buf, len) < 0 ? -IKE_ERR_CRYPTO : 0;
}

/* For private values: GnuTLS's strongest generator. */
int ike_random_key(void *buf, size_t len)
{
	return gnutls_rnd(GNUTLS_RND_KEY, buf, len) < 0 ? -IKE_ERR_CRYPTO : 0;
}

/*
 * RFC 7296 §3.1 reserves the zero IKE SPI for "not yet known"; RFC 4303
 * §2.1 reserves 4-byte SPIs 0-255.
 */
bool ike_spi_valid(const uint8_t *spi, size_t len)
{
	if (len == 8) {
		uint8_t any = 0;

		for (size_t i = 0; i < 8; i++)
			any |= spi[i];
		return any != 0;
	}
	if (len == 4)
		return spi[0] || spi[1] || spi[2];
	return false;
}

/*
 * A fresh random SPI: 8 bytes for IKE SAs. 4 bytes works too (tests, a fake
 * kernel), but the daemon's ESP SPIs come from kesp.ko's SPI_ALLOC, which
 * alone knows which inbound SPIs are free.
 */
int ike_spi_new(uint8_t *spi, size_t len)
{
	if (len != 8 && len != 4)
		return -IKE_ERR_ARG;
	do {
		if (ike_random(spi, len))
			return -IKE_ERR_CRYPTO;
	} while (!ike_spi_valid(spi, len));
	return 0;
}

/* RFC 7296 §2.10: at least 128 bits and half the PRF's (preferred) key size. */
size_t ike_nonce_min_len(unsigned int prf)
{
	size_t half = ike_prf_len(prf) / 2;

	return half > 16 ? half : 16;
}

/* A nonce of len bytes from GnuTLS's RANDOM level (the DRBG for values
 * that must be unpredictable and are sent in the clear). */
int ike_nonce_new(unsigned int prf, uint8_t *nonce, size_t len)
{
	if (len < ike_nonce_min_len(prf) || len > IKE_NONCE_MAX)
		return -IKE_ERR_ARG;
	return gnutls_rnd(GNUTLS_RND_RANDOM, nonce, len) < 0 ? -IKE_ERR_CRYPTO : 0;
}

/* ---- PRF and integrity (HMAC) ------------------------------------------- */

int ike_prf_mac(unsigned int prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA1: return GNUTLS_MAC_SHA1;
	case IKE_PRF_HMAC_SHA2_256: return GNUTLS_MAC_SHA256;
	case IKE_PRF_HMAC_SHA2_384: return GNUTLS_MAC_SHA384;
	case IKE_PRF_HMAC_SHA2_512: return GNUTLS_MAC_SHA512;
	}
	return GNUTLS_MAC_UNKNOWN;
}

size_t ike_prf_len(unsigned int prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA1: return 20;
	case IKE_PRF_HMAC_SHA2_256: return 32;
	case IKE_PRF_HMAC_SHA2_384: return 48;
	case IKE_PRF_HMAC_SHA2_512: return 64;
	}
	return 0;
}

int ike_prf_vec(unsigned int prf, const uint8_t *key, size_t keylen,
		const struct ike_slice *parts, size_t nparts, uint8_t *out)
{
	gnutls_hmac_hd_t h;
	gnutls_mac_algorithm_t alg = (gnutls_mac_algorithm_t)ike_prf_mac(prf);

	if (alg == GNUTLS_MAC_UNKNOWN)
		return -IKE_ERR_UNSUPPORTED;
	if (gnutls_hmac_init(&h, alg, key, keylen) < 0)
		return -IKE_ERR_CRYPTO;
	for (size_t i = 0; i < nparts; i++) {
		if (parts[i].len && gnutls_hmac(h, parts[i].p, parts[i].len) < 0) {
			gnutls_hmac_deinit(h, NULL);
			return -IKE_ERR_CRYPTO;
		}
	}
	gnutls_hmac_deinit(h, out);
	return 0;
}

int ike_prf(unsigned int prf, const uint8_t *key, size_t keylen,
	    const uint8_t *data, size_t len, uint8_t *out)
{
	struct ike_slice s = { data, len };

	return ike_prf_vec(prf, key, keylen, &s, 1, out);
}

/* RFC 4868 §2.1 (SHA-2) and RFC 2404 (SHA-1): key = full hash length. */
static unsigned int integ_prf(unsigned int integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return IKE_PRF_HMAC_SHA1;
	case IKE_INTEG_HMAC_SHA2_256_128: return IKE_PRF_HMAC_SHA2_256;
	case IKE_INTEG_HMAC_SHA2_384_192: return IKE_PRF_HMAC_SHA2_384;
	case IKE_INTEG_HMAC_SHA2_512_256: return IKE_PRF_HMAC_SHA2_512;
	}
	return 0;
}

size_t ike_integ_key_len(unsigned int integ)
{
	return ike_prf_len(integ_prf(integ));
}

size_t ike_integ_icv_len(unsigned int integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return 12;
	case IKE_INTEG_HMAC_SHA2_256_128: return 16;
	case IKE_INTEG_HMAC_SHA2_384_192: return 24;
	case IKE_INTEG_HMAC_SHA2_512_256: return 32;
	}
	return 0;
}

int ike_integ_mac(unsigned int integ, const uint8_t *key, const uint8_t *data,
		  size_t len, uint8_t *icv)
{
	uint8_t full[IKE_PRF_MAX];
	unsigned int prf = integ_prf(integ);
	int rc;

	if (!prf)
		return -IKE_ERR_UNSUPPORTED;
	rc = ike_prf(prf, key, ike_prf_len(prf), data, len, full);
	if (!rc)
		memcpy(icv, full, ike_integ_icv_len(integ));
	ike_wipe(full, sizeof(full));
	return rc;
}

/* ---- encryption --------------------------------------------------------- */

bool ike_encr_is_aead(unsigned int encr)
{
	return encr == IKE_ENCR_AES_GCM_16 || encr == IKE_ENCR_CHACHA20_POLY1305;
}

bool ike_encr_supported(unsigned int encr, unsigned int bits)
{
	switch (encr) {
	case IKE_ENCR_AES_CBC:
	case IKE_ENCR_AES_GCM_16:
		return bits == 128 || bits == 192 || bits == 256;
	case IKE_ENCR_CHACHA20_POLY1305:
		return bits == 256 || bits == 0;
	}
	return false;
}

/* Key material taken from prf+, including the 4-byte salt of AEADs. */
size_t ike_encr_key_len(unsigned int encr, unsigned int bits)
{
	if (!ike_encr_supported(encr, bits))
		return 0;
	if (encr == IKE_ENCR_CHACHA20_POLY1305)
		return 32 + 4;
	return bits / 8 + (encr == IKE_ENCR_AES_GCM_16 ? 4 : 0);
}

size_t ike_encr_iv_len(unsigned int encr)
{
	return encr == IKE_ENCR_AES_CBC ? 16 : 8;
}

size_t ike_encr_block_len(unsigned int encr)
{
	return encr == IKE_ENCR_AES_CBC ? 16 : 1;
}

size_t ike_encr_icv_len(unsigned int encr)
{
	return ike_encr_is_aead(encr) ? 16 : 0;
}

static gnutls_cipher_algorithm_t cipher_alg(const struct ike_sk_keys *k)
{
	switch (k->encr) {
	case IKE_ENCR_AES_GCM_16:
		return k->encr_bits == 128 ? GNUTLS_CIPHER_AES_128_GCM :
		       k->encr_bits == 192 ? GNUTLS_CIPHER_AES_192_GCM :
		       k->encr_bits == 256 ? GNUTLS_CIPHER_AES_256_GCM :
		       GNUTLS_CIPHER_UNKNOWN;
	case IKE_ENCR_CHACHA20_POLY1305:
		return GNUTLS_CIPHER_CHACHA20_POLY1305;
	case IKE_ENCR_AES_CBC:
		return k->encr_bits == 128 ? GNUTLS_CIPHER_AES_128_CBC :
		       k->encr_bits == 192 ? GNUTLS_CIPHER_AES_192_CBC :
		       k->encr_bits == 256 ? GNUTLS_CIPHER_AES_256_CBC :
		       GNUTLS_CIPHER_UNKNOWN;
	}
	return GNUTLS_CIPHER_UNKNOWN;
}

/*
 * Cipher handles for one struct ike_sk_keys, built once by
 * ike_sk_keys_prepare() so that a message costs no key setup. A handle is
 * used only through the object it was built for (a struct copy neither
 * uses nor frees it: cache_for is the owner's address) and only while that
 * object still holds the key it was built from.
 */
struct ike_sk_cache {
	uint16_t encr, encr_bits;
	size_t ekey_len;
	uint8_t ekey[IKE_ENCR_KEY_MAX];
	gnutls_aead_cipher_hd_t aead;
	gnutls_cipher_hd_t cbc;
};

static struct ike_sk_cache *cache_of(const struct ike_sk_keys *k)
{
	struct ike_sk_cache *c = k->cache;

	if (!c || k->cache_for != k || c->encr != k->encr || c->encr_bits != k->encr_bits ||
	    c->ekey_len != k->ekey_len || gnutls_memcmp(c->ekey, k->ekey, k->ekey_len))
		return NULL;
	return c;
}

static void cache_free(struct ike_sk_keys *k)
{
	struct ike_sk_cache *c = k->cache;

	if (c && k->cache_for == k) {
		if (c->aead)
			gnutls_aead_cipher_deinit(c->aead);
		if (c->cbc)
			gnutls_cipher_deinit(c->cbc);
		ike_wipe(c, sizeof(*c));
		free(c);
	}
	k->cache = NULL;
	k->cache_for = NULL;
}

void ike_sk_keys_wipe(struct ike_sk_keys *k)
{
	cache_free(k);
	ike_wipe(k, sizeof(*k));
}

/* The key GnuTLS takes: without the 4-byte salt of the AEADs. */
static int cipher_key(const struct ike_sk_keys *k, gnutls_cipher_algorithm_t *alg,
		      gnutls_datum_t *key)
{
	size_t klen = ike_encr_key_len(k->encr, k->encr_bits);

	*alg = cipher_alg(k);
	if (*alg == GNUTLS_CIPHER_UNKNOWN || !klen || klen != k->ekey_len)
		return -IKE_ERR_UNSUPPORTED;
	key->data = (unsigned char *)k->ekey;
	key->size = (unsigned int)(ike_encr_is_aead(k->encr) ? klen - 4 : klen);
	return 0;
}

int ike_sk_keys_prepare(struct ike_sk_keys *k)
{
	static const uint8_t zero_iv[16];
	gnutls_datum_t key, iv = { (unsigned char *)zero_iv, sizeof(zero_iv) };
	gnutls_cipher_algorithm_t alg;
	struct ike_sk_cache *c;
	int rc = cipher_key(k, &alg, &key);

	if (rc)
		return rc;
	cache_free(k);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -IKE_ERR_NOMEM;
	c->encr = k->encr;
	c->encr_bits = k->encr_bits;
	c->ekey_len = k->ekey_len;
	memcpy(c->ekey, k->ekey, k->ekey_len);
	if (ike_encr_is_aead(k->encr))
		rc = gnutls_aead_cipher_init(&c->aead, alg, &key);
	else
		rc = gnutls_cipher_init(&c->cbc, alg, &key, &iv);
	k->cache = c;
	k->cache_for = k;
	if (rc < 0) {
		cache_free(k);
		return -IKE_ERR_CRYPTO;
	}
	return 0;
}

/*
 * RFC 5282 §4 / RFC 7634 §2: nonce = 4-byte salt (end of key) | 8-byte IV.
 * *h is the prepared handle, or a new one the caller deinits (*fresh).
 */
static int aead_begin(const struct ike_sk_keys *k, gnutls_aead_cipher_hd_t *h, bool *fresh,
		      uint8_t nonce[12], const uint8_t *iv)
{
	struct ike_sk_cache *c;
	gnutls_cipher_algorithm_t alg;
	gnutls_datum_t key;

	if (!ike_encr_is_aead(k->encr) || cipher_key(k, &alg, &key))
		return -IKE_ERR_UNSUPPORTED;
	memcpy(nonce, k->ekey + k->ekey_len - 4, 4);
	memcpy(nonce + 4, iv, 8);
	c = cache_of(k);
	*fresh = !c;
	if (c) {
		*h = c->aead;
		return 0;
	}
	return gnutls_aead_cipher_init(h, alg, &key) < 0 ? -IKE_ERR_CRYPTO : 0;
}

/* out receives len bytes of ciphertext followed by the 16-byte ICV. */
int ike_aead_seal(const struct ike_sk_keys *k, const uint8_t *iv,
		  const uint8_t *aad, size_t aadlen, const uint8_t *in,
		  size_t len, uint8_t *out)
{
	gnutls_aead_cipher_hd_t h;
	uint8_t nonce[12];
	size_t outlen = len + 16;
	bool fresh;
	int rc = aead_begin(k, &h, &fresh, nonce, iv);

	if (rc)
		return rc;
	if (gnutls_aead_cipher_encrypt(h, nonce, 12, aad, aadlen, 16, in, len,
				       out, &outlen) < 0 || outlen != len + 16)
		rc = -IKE_ERR_CRYPTO;
	if (fresh)
		gnutls_aead_cipher_deinit(h);
	return rc;
}

/* in is ciphertext plus ICV (len includes the 16 ICV bytes). */
int ike_aead_open(const struct ike_sk_keys *k, const uint8_t *iv,
		  const uint8_t *aad, size_t aadlen, const uint8_t *in,
		  size_t len, uint8_t *out)
{
	gnutls_aead_cipher_hd_t h;
	uint8_t nonce[12];
	size_t outlen;
	bool fresh;
	int rc;

	if (len < 16)
		return -IKE_ERR_INTEGRITY;
	outlen = len - 16;
	rc = aead_begin(k, &h, &fresh, nonce, iv);
	if (rc)
		return rc;
	if (gnutls_aead_cipher_decrypt(h, nonce, 12, aad, aadlen, 16, in, len,
				       out, &outlen) < 0)
		rc = -IKE_ERR_INTEGRITY;
	if (fresh)
		gnutls_aead_cipher_deinit(h);
	return rc;
}

static int cbc(const struct ike_sk_keys *k, const uint8_t *iv, const uint8_t *in,
	       size_t len, uint8_t *out, bool enc)
{
	struct ike_sk_cache *c;
	gnutls_cipher_hd_t h;
	gnutls_cipher_algorithm_t alg;
	gnutls_datum_t key, ivd = { (unsigned char *)iv, 16 };
	int rc;

	if (k->encr != IKE_ENCR_AES_CBC || cipher_key(k, &alg, &key))
		return -IKE_ERR_UNSUPPORTED;
	if (len % 16)
		return -IKE_ERR_ARG;
	c = cache_of(k);
	if (c) {
		h = c->cbc;
		gnutls_cipher_set_iv(h, (void *)iv, 16);
	} else if (gnutls_cipher_init(&h, alg, &key, &ivd) < 0) {
		return -IKE_ERR_CRYPTO;
	}
	rc = enc ? gnutls_cipher_encrypt2(h, in, len, out, len) :
		   gnutls_cipher_decrypt2(h, in, len, out, len);
	if (!c)
		gnutls_cipher_deinit(h);
	return rc < 0 ? -IKE_ERR_CRYPTO : 0;
}

int ike_cbc_encrypt(const struct ike_sk_keys *k, const uint8_t *iv,
		    const uint8_t *in, size_t len, uint8_t *out)
{
	return cbc(k, iv, in, len, out, true);
}

int ike_cbc_decrypt(const struct ike_sk_keys *k, const uint8_t *iv,
		    const uint8_t *in, size_t len, uint8_t *out)
{
	return cbc(k, iv, in, len, out, false);
}

/* ---- SK payload (RFC 7296 §3.14) ---------------------------------------- */

static size_t icv_len(const struct ike_sk_keys *k)
{
	return ike_encr_is_aead(k->encr) ? 16 : ike_integ_icv_len(k->integ);
}

static size_t padded_len(const struct ike_sk_keys *k, size_t inner_len)
{
	size_t bl = ike_encr_block_len(k->encr);

	return (inner_len + 1 + bl - 1) / bl * bl;
}

static bool keys_usable(const struct ike_sk_keys *k)
{
	if (!ike_encr_supported(k->encr, k->encr_bits) ||
	    k->ekey_len != ike_encr_key_len(k->encr, k->encr_bits))
		return false;
	if (ike_encr_is_aead(k->encr))
		return k->integ == IKE_INTEG_NONE;
	return ike_integ_icv_len(k->integ) && k->akey_len == ike_integ_key_len(k->integ);
}

/* Bytes the SK payload body adds around inner_len bytes of payloads. */
size_t ike_sk_overhead(const struct ike_sk_keys *k, size_t inner_len)
{
	return ike_encr_iv_len(k->encr) + padded_len(k, inner_len) + icv_len(k);
}

/*
 * msg[0, aad_len) holds the IKE header through the SK generic header, already
 * carrying the final lengths; total_len = aad_len + ike_sk_overhead(). Writes
 * IV, ciphertext and ICV after it. iv may be NULL for a random one.
 */
int ike_sk_seal(const struct ike_sk_keys *k, uint8_t *msg, size_t aad_len,
		const uint8_t *iv, const uint8_t *inner, size_t inner_len,
		size_t total_len, struct ike_error *err)
{
	size_t ivl = ike_encr_iv_len(k->encr), plen = padded_len(k, inner_len);
	size_t icvl = icv_len(k);
	uint8_t *ivp = msg + aad_len, *ct = ivp + ivl;
	uint8_t *pt;
	int rc;

	if (!keys_usable(k))
		return ike_set_error(err, IKE_ERR_UNSUPPORTED, IKE_PL_SK,
				     "SK keys do not fit %s/%s",
				     ike_transform_name(IKE_TRANS_ENCR, k->encr),
				     ike_transform_name(IKE_TRANS_INTEG, k->integ));
	if (total_len != aad_len + ivl + plen + icvl)
		return ike_set_error(err, IKE_ERR_ARG, IKE_PL_SK, "SK length mismatch");
	if (iv)
		memcpy(ivp, iv, ivl);
	else if (ike_random(ivp, ivl))
		return ike_set_error(err, IKE_ERR_CRYPTO, IKE_PL_SK, "no randomness for IV");
	pt = malloc(plen);
	if (!pt)
		return ike_set_error(err, IKE_ERR_NOMEM, IKE_PL_SK, "out of memory");
	memcpy(pt, inner, inner_len);
	memset(pt + inner_len, 0, plen - inner_len);
	pt[plen - 1] = (uint8_t)(plen - inner_len - 1);
	if (ike_encr_is_aead(k->encr)) {
		rc = ike_aead_seal(k, ivp, msg, aad_len, pt, plen, ct);
	} else {
		rc = ike_cbc_encrypt(k, ivp, pt, plen, ct);
		if (!rc)
			rc = ike_integ_mac(k->integ, k->akey, msg, total_len - icvl,
					   msg + total_len - icvl);
	}
	ike_wipe(pt, plen);
	free(pt);
	if (rc)
		return ike_set_error(err, (enum ike_err)-rc, IKE_PL_SK, "SK encryption failed");
	return 0;
}

/*
 * Verifies and decrypts the SK (or SKF) payload whose generic header is at
 * msg + sk_off and whose body runs to msg + len. body_skip is where the
 * IV starts relative to the generic header (4 for SK, 8 for SKF). plain must
 * hold len bytes; on success *plain_len is the inner payloads' length.
 */
static int sk_open(const struct ike_sk_keys *k, const uint8_t *msg, size_t len,
		   size_t sk_off, size_t body_skip, uint8_t *plain,
		   size_t *plain_len, struct ike_error *err)
{
	size_t ivl = ike_encr_iv_len(k->encr), icvl = icv_len(k), bl;
	size_t aad_len = sk_off + body_skip, ctl;
	const uint8_t *iv, *ct;
	uint8_t pad;
	int rc;

	if (!keys_usable(k))
		return ike_set_error(err, IKE_ERR_UNSUPPORTED, IKE_PL_SK,
				     "SK keys do not fit the negotiated transforms");
	bl = ike_encr_block_len(k->encr);
	if (aad_len > len || len - aad_len < ivl + icvl + bl)
		return ike_set_error(err, IKE_ERR_SYNTAX, IKE_PL_SK,
				     "SK payload of %zu bytes cannot hold IV, data and ICV",
				     len > sk_off ? len - sk_off : 0);
	iv = msg + aad_len;
	ct = iv + ivl;
	ctl = len - aad_len - ivl - icvl;
	if (ctl % bl)
		return ike_set_error(err, IKE_ERR_SYNTAX, IKE_PL_SK,
				     "SK ciphertext of %zu bytes is not a multiple of the block size",
				     ctl);
	if (ike_encr_is_aead(k->encr)) {
		rc = ike_aead_open(k, iv, msg, aad_len, ct, ctl + icvl, plain);
	} else {
		uint8_t icv[IKE_ICV_MAX];

		rc = ike_integ_mac(k->integ, k->akey, msg, len - icvl, icv);
		if (!rc && gnutls_memcmp(icv, msg + len - icvl, icvl))	/* constant time */
			rc = -IKE_ERR_INTEGRITY;
		if (!rc)
			rc = ike_cbc_decrypt(k, iv, ct, ctl, plain);
	}
	if (rc) {
		ike_wipe(plain, ctl);
		if (rc == -IKE_ERR_INTEGRITY)
			return ike_set_error(err, IKE_ERR_INTEGRITY, IKE_PL_SK,
					     "SK integrity check failed");
		return ike_set_error(err, (enum ike_err)-rc, IKE_PL_SK, "SK decryption failed");
	}
	pad = plain[ctl - 1];
	if ((size_t)pad + 1 > ctl) {
		ike_wipe(plain, ctl);
		ike_set_error(err, IKE_ERR_SYNTAX, IKE_PL_SK,
			      "SK pad length %u exceeds the %zu decrypted bytes", pad, ctl);
		if (err)
			err->authenticated = true;	/* the ICV verified */
		return -IKE_ERR_SYNTAX;
	}
	*plain_len = ctl - pad - 1;
	return 0;
}

int ike_sk_open(const struct ike_sk_keys *k, const uint8_t *msg, size_t len,
		size_t sk_off, uint8_t *plain, size_t *plain_len,
		struct ike_error *err)
{
	return sk_open(k, msg, len, sk_off, IKE_PL_HDR_LEN, plain, plain_len, err);
}

/* SKF (RFC 7383 §2.5): the AAD also covers the fragment number/total. */
int ike_skf_open(const struct ike_sk_keys *k, const uint8_t *msg, size_t len,
		 size_t skf_off, uint8_t *plain, size_t *plain_len,
		 struct ike_error *err)
{
	return sk_open(k, msg, len, skf_off, IKE_PL_HDR_LEN + 4, plain, plain_len, err);
}
