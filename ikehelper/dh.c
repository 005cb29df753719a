// SPDX-License-Identifier: GPL-2.0
/*
 * Diffie-Hellman for IKEv2 (RFC 7296 §3.4): MODP groups 14-16 (RFC 3526)
 * with GMP, ECP groups 19-21 (RFC 5903) with Nettle's ecc_*, and
 * Curve25519/Curve448 (RFC 8031, RFC 7748) with Nettle. Peer public values
 * are validated (RFC 7296 §5, RFC 6989) before use: MODP values must be in
 * [2, p-2] and exactly the prime's length, ECP points on the curve,
 * X25519/X448 results not all zero. Private values are wiped when freed.
 */
#include <stdlib.h>
#include <string.h>

#include <gmp.h>
#include <nettle/bignum.h>
#include <nettle/curve25519.h>
#include <nettle/curve448.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>

#include "ike.h"

/* RFC 3526 §3-5 primes (generator 2). */
static const char modp2048[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
	"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
	"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
	"3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF"
	;

static const char modp3072[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
	"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
	"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
	"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
	"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
	"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
	"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
	;

static const char modp4096[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
	"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
	"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
	"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
	"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
	"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
	"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
	"88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8"
	"DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2"
	"233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
	"93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF"
	;

static const char *const modp_hex[] = { modp2048, modp3072, modp4096 };

/*
 * The primes as numbers, parsed from hex on first use (after
 * ike_crypto_init has installed GMP's wiping allocator) and kept until
 * ike_dh_cleanup.
 */
static mpz_t modp_prime[3];
static bool modp_ready[3];

static mpz_srcptr prime_of(int i)
{
	if (!modp_ready[i]) {
		mpz_init_set_str(modp_prime[i], modp_hex[i], 16);
		modp_ready[i] = true;
	}
	return modp_prime[i];
}

void ike_dh_cleanup(void)
{
	for (int i = 0; i < 3; i++) {
		if (modp_ready[i])
			mpz_clear(modp_prime[i]);
		modp_ready[i] = false;
	}
}

enum dh_kind { DH_MODP, DH_ECP, DH_X25519, DH_X448 };

#define DH_PRIV_MAX 66

struct ike_dh {
	unsigned int group;
	enum dh_kind kind;
	size_t plen;		/* public value length on the wire */
	size_t priv_len;
	bool have_priv;
	uint8_t priv[DH_PRIV_MAX];
	const struct ecc_curve *curve;
	int modp;		/* index into modp_hex/modp_prime */
};

static bool lookup(unsigned int group, struct ike_dh *d)
{
	memset(d, 0, sizeof(*d));
	d->group = group;
	switch (group) {
	case IKE_DH_MODP2048:
		d->kind = DH_MODP, d->plen = 256, d->modp = 0;
		d->priv_len = 64;
		return true;
	case IKE_DH_MODP3072:
		d->kind = DH_MODP, d->plen = 384, d->modp = 1;
		d->priv_len = 64;
		return true;
	case IKE_DH_MODP4096:
		d->kind = DH_MODP, d->plen = 512, d->modp = 2;
		d->priv_len = 64;
		return true;
	case IKE_DH_ECP256:
		d->kind = DH_ECP, d->plen = 64, d->curve = nettle_get_secp_256r1();
		d->priv_len = 32;
		return true;
	case IKE_DH_ECP384:
		d->kind = DH_ECP, d->plen = 96, d->curve = nettle_get_secp_384r1();
		d->priv_len = 48;
		return true;
	case IKE_DH_ECP521:
		d->kind = DH_ECP, d->plen = 132, d->curve = nettle_get_secp_521r1();
		d->priv_len = 66;
		return true;
	case IKE_DH_CURVE25519:
		d->kind = DH_X25519, d->plen = CURVE25519_SIZE;
		d->priv_len = CURVE25519_SIZE;
		return true;
	case IKE_DH_CURVE448:
		d->kind = DH_X448, d->plen = CURVE448_SIZE;
		d->priv_len = CURVE448_SIZE;
		return true;
	}
	return false;
}

bool ike_dh_supported(unsigned int group)
{
	struct ike_dh d;

	return lookup(group, &d);
}

size_t ike_dh_public_len(unsigned int group)
{
	struct ike_dh d;

	return lookup(group, &d) ? d.plen : 0;
}

size_t ike_dh_shared_len(unsigned int group)
{
	struct ike_dh d;

	if (!lookup(group, &d))
		return 0;
	return d.kind == DH_ECP ? d.plen / 2 : d.plen;
}

/* Big-endian, left-padded with zeros to len bytes (zeros if it cannot fit,
 * which no value reduced mod p or a field prime does). */
static void export_padded(const mpz_t z, uint8_t *out, size_t len)
{
	if (mpz_sgn(z) < 0 || (mpz_sizeinbase(z, 2) + 7) / 8 > len) {
		memset(out, 0, len);
		return;
	}
	nettle_mpz_get_str_256(len, out, z);
}

static void wipe_mpz(mpz_t z)
{
	size_t n = mpz_size(z);

	if (n)
		ike_wipe(mpz_limbs_modify(z, (mp_size_t)n), n * sizeof(mp_limb_t));
	mpz_clear(z);
}

static void nettle_rnd(void *ctx, size_t len, uint8_t *dst)
{
	(void)ctx;
	if (ike_random_key(dst, len))
		abort();	/* never run DH on a predictable key */
}

/* ECP private scalar in [1, q-1]. */
static int ecp_random(struct ike_dh *d)
{
	struct ecc_scalar s;
	mpz_t z;

	ecc_scalar_init(&s, d->curve);
	ecc_scalar_random(&s, NULL, nettle_rnd);
	mpz_init(z);
	ecc_scalar_get(&s, z);
	export_padded(z, d->priv, d->priv_len);
	wipe_mpz(z);
	ecc_scalar_clear(&s);
	return 0;
}

struct ike_dh *ike_dh_new(unsigned int group, struct ike_error *err)
{
	struct ike_dh *d = malloc(sizeof(*d));
	int rc = 0;

	if (!d) {
		ike_set_error(err, IKE_ERR_NOMEM, IKE_PL_KE, "out of memory");
		return NULL;
	}
	if (!lookup(group, d)) {
		free(d);
		ike_set_error(err, IKE_ERR_UNSUPPORTED, IKE_PL_KE,
			      "DH group %u (%s) not supported", group,
			      ike_transform_name(IKE_TRANS_DH, group));
		return NULL;
	}
	if (d->kind == DH_ECP)
		rc = ecp_random(d);
	else
		rc = ike_random_key(d->priv, d->priv_len);
	if (rc) {
		ike_dh_free(d);
		ike_set_error(err, IKE_ERR_CRYPTO, IKE_PL_KE, "no randomness for DH");
		return NULL;
	}
	d->have_priv = true;
	return d;
}

/* For known-answer tests: use a given private value. */
int ike_dh_set_private(struct ike_dh *d, const uint8_t *priv, size_t len,
		       struct ike_error *err)
{
	if (len != d->priv_len && !(d->kind == DH_MODP && len && len <= d->plen))
		return ike_set_error(err, IKE_ERR_ARG, IKE_PL_KE,
				     "private value of %zu bytes for %s", len,
				     ike_transform_name(IKE_TRANS_DH, d->group));
	if (d->kind == DH_MODP && len > DH_PRIV_MAX)
		return ike_set_error(err, IKE_ERR_ARG, IKE_PL_KE, "MODP exponent too long");
	ike_wipe(d->priv, sizeof(d->priv));
	memcpy(d->priv, priv, len);
	d->priv_len = len;
	return 0;
}

static bool ecp_scalar(struct ike_dh *d, struct ecc_scalar *s)
{
	mpz_t z;
	bool ok;

	mpz_init(z);
	mpz_import(z, d->priv_len, 1, 1, 1, 0, d->priv);
	ecc_scalar_init(s, d->curve);
	ok = ecc_scalar_set(s, z);
	wipe_mpz(z);
	if (!ok)
		ecc_scalar_clear(s);
	return ok;
}

static void ecp_point_out(const struct ecc_point *pt, uint8_t *out, size_t plen, bool x_only)
{
	mpz_t x, y;

	mpz_init(x);
	mpz_init(y);
	ecc_point_get(pt, x, y);
	export_padded(x, out, plen / 2);
	if (!x_only)
		export_padded(y, out + plen / 2, plen / 2);
	wipe_mpz(x);
	wipe_mpz(y);
}

int ike_dh_public(struct ike_dh *d, uint8_t *out, size_t len)
{
	if (len != d->plen)
		return -IKE_ERR_ARG;
	switch (d->kind) {
	case DH_X25519:
		curve25519_mul_g(out, d->priv);
		return 0;
	case DH_X448:
		curve448_mul_g(out, d->priv);
		return 0;
	case DH_ECP: {
		struct ecc_scalar s;
		struct ecc_point r;

		if (!ecp_scalar(d, &s))
			return -IKE_ERR_ARG;
		ecc_point_init(&r, d->curve);
		ecc_point_mul_g(&r, &s);
		ecp_point_out(&r, out, d->plen, false);
		ecc_point_clear(&r);
		ecc_scalar_clear(&s);
		return 0;
	}
	case DH_MODP: {
		mpz_srcptr p = prime_of(d->modp);
		mpz_t g, x, y;

		mpz_init_set_ui(g, 2);
		mpz_init(x);
		mpz_init(y);
		mpz_import(x, d->priv_len, 1, 1, 1, 0, d->priv);
		if (mpz_sgn(x) == 0) {
			wipe_mpz(x);
			mpz_clears(g, y, NULL);
			return -IKE_ERR_ARG;
		}
		mpz_powm_sec(y, g, x, p);
		export_padded(y, out, d->plen);
		wipe_mpz(x);
		mpz_clears(g, y, NULL);
		return 0;
	}
	}
	return -IKE_ERR_UNSUPPORTED;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

#define BAD_KE(...) ike_set_error(err, IKE_ERR_INVALID_KE, IKE_PL_KE, __VA_ARGS__)

/* out receives g^ir: the full MODP value, the ECP x coordinate, or the
 * X25519/X448 output, each at its fixed length (ike_dh_shared_len). */
int ike_dh_shared(struct ike_dh *d, const uint8_t *peer, size_t peer_len,
		  uint8_t *out, size_t len, struct ike_error *err)
{
	const char *gname = ike_transform_name(IKE_TRANS_DH, d->group);

	if (len != ike_dh_shared_len(d->group))
		return ike_set_error(err, IKE_ERR_ARG, IKE_PL_KE, "shared secret buffer size");
	if (peer_len != d->plen)
		return BAD_KE("%s public value of %zu bytes (want %zu)", gname, peer_len, d->plen);
	switch (d->kind) {
	case DH_X25519:
		curve25519_mul(out, d->priv, peer);
		if (all_zero(out, len)) {
			ike_wipe(out, len);
			return BAD_KE("X25519 result is all zero (low-order point)");
		}
		return 0;
	case DH_X448:
		curve448_mul(out, d->priv, peer);
		if (all_zero(out, len)) {
			ike_wipe(out, len);
			return BAD_KE("X448 result is all zero (low-order point)");
		}
		return 0;
	case DH_ECP: {
		struct ecc_scalar s;
		struct ecc_point pt, r;
		mpz_t x, y;
		int ok;

		mpz_init(x);
		mpz_init(y);
		mpz_import(x, d->plen / 2, 1, 1, 1, 0, peer);
		mpz_import(y, d->plen / 2, 1, 1, 1, 0, peer + d->plen / 2);
		ecc_point_init(&pt, d->curve);
		ok = ecc_point_set(&pt, x, y);	/* range and curve equation */
		mpz_clears(x, y, NULL);
		if (!ok) {
			ecc_point_clear(&pt);
			return BAD_KE("%s public value is not a point on the curve", gname);
		}
		if (!ecp_scalar(d, &s)) {
			ecc_point_clear(&pt);
			return ike_set_error(err, IKE_ERR_ARG, IKE_PL_KE, "bad ECP private scalar");
		}
		ecc_point_init(&r, d->curve);
		ecc_point_mul(&r, &s, &pt);
		ecp_point_out(&r, out, d->plen, true);
		ecc_point_clear(&r);
		ecc_point_clear(&pt);
		ecc_scalar_clear(&s);
		return 0;
	}
	case DH_MODP: {
		mpz_srcptr p = prime_of(d->modp);
		mpz_t pm1, y, x, z;
		int rc = 0;

		mpz_init(y);
		mpz_import(y, peer_len, 1, 1, 1, 0, peer);
		mpz_init(pm1);
		mpz_sub_ui(pm1, p, 1);
		if (mpz_cmp_ui(y, 1) <= 0 || mpz_cmp(y, pm1) >= 0) {
			mpz_clears(pm1, y, NULL);
			return BAD_KE("%s public value is 0, 1, p-1 or not below p", gname);
		}
		mpz_clear(pm1);
		mpz_init(x);
		mpz_init(z);
		mpz_import(x, d->priv_len, 1, 1, 1, 0, d->priv);
		mpz_powm_sec(z, y, x, p);
		if (mpz_cmp_ui(z, 1) <= 0)
			rc = BAD_KE("%s shared secret degenerate", gname);
		else
			export_padded(z, out, len);
		wipe_mpz(x);
		wipe_mpz(z);
		mpz_clear(y);
		return rc;
	}
	}
	return ike_set_error(err, IKE_ERR_UNSUPPORTED, IKE_PL_KE, "unsupported group");
}

void ike_dh_free(struct ike_dh *d)
{
	if (!d)
		return;
	ike_wipe(d, sizeof(*d));
	free(d);
}
