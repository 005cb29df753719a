// SPDX-License-Identifier: GPL-2.0
/*
 * MS-CHAPv2 (RFC 2759 §8) and its MPPE master keys (RFC 3079 §3.4), for
 * EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2). MD4, DES and SHA-1 are
 * Nettle's; this file only strings them together as the RFCs say.
 *
 * The password is turned into "Unicode" the way strongSwan does it (each
 * byte becomes one UTF-16LE unit), so a non-ASCII password gives the same
 * hash on both sides of a kesp/charon pair.
 */
#include <string.h>

#include <nettle/des.h>
#include <nettle/md4.h>
#include <nettle/sha1.h>

#include "ike.h"

int mschap_nt_hash(const uint8_t *password, size_t len, uint8_t out[16])
{
	uint8_t uni[2 * MSCHAP_PASSWORD_MAX];
	struct md4_ctx ctx;

	if (len > MSCHAP_PASSWORD_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		uni[2 * i] = password[i];
		uni[2 * i + 1] = 0;
	}
	md4_init(&ctx);
	md4_update(&ctx, 2 * len, uni);
	md4_digest(&ctx, 16, out);
	ike_wipe(uni, sizeof(uni));
	ike_wipe(&ctx, sizeof(ctx));
	return 0;
}

void mschap_hash_nt_hash(const uint8_t nt_hash[16], uint8_t out[16])
{
	struct md4_ctx ctx;

	md4_init(&ctx);
	md4_update(&ctx, 16, nt_hash);
	md4_digest(&ctx, 16, out);
	ike_wipe(&ctx, sizeof(ctx));
}

void mschap_challenge_hash(const uint8_t peer_challenge[16], const uint8_t auth_challenge[16],
			   const uint8_t *user, size_t user_len, uint8_t out[8])
{
	struct sha1_ctx ctx;
	uint8_t d[SHA1_DIGEST_SIZE];
	const uint8_t *bs = memchr(user, '\\', user_len);

	/* Only the user part of "DOMAIN\user" (RFC 2759 §8.2). */
	if (bs) {
		user_len -= (size_t)(bs + 1 - user);
		user = bs + 1;
	}
	sha1_init(&ctx);
	sha1_update(&ctx, 16, peer_challenge);
	sha1_update(&ctx, 16, auth_challenge);
	sha1_update(&ctx, user_len, user);
	sha1_digest(&ctx, sizeof(d), d);
	memcpy(out, d, 8);
}

/* DesEncrypt (RFC 2759 §8.6): 7 key bytes spread over 8 (parity ignored). */
static void des7(const uint8_t clear[8], const uint8_t k7[7], uint8_t out[8])
{
	uint8_t k[8];
	struct des_ctx ctx;

	k[0] = k7[0];
	for (int i = 1; i < 7; i++)
		k[i] = (uint8_t)(k7[i - 1] << (8 - i)) | (uint8_t)(k7[i] >> i);
	k[7] = (uint8_t)(k7[6] << 1);
	des_fix_parity(8, k, k);
	/* A weak key still makes a schedule; MS-CHAP has no way to avoid one. */
	(void)des_set_key(&ctx, k);
	des_encrypt(&ctx, 8, out, clear);
	ike_wipe(k, sizeof(k));
	ike_wipe(&ctx, sizeof(ctx));
}

void mschap_challenge_response(const uint8_t challenge[8], const uint8_t nt_hash[16],
			       uint8_t out[24])
{
	uint8_t z[21] = { 0 };

	memcpy(z, nt_hash, 16);
	des7(challenge, z, out);
	des7(challenge, z + 7, out + 8);
	des7(challenge, z + 14, out + 16);
	ike_wipe(z, sizeof(z));
}

int mschap_nt_response(const uint8_t auth_challenge[16], const uint8_t peer_challenge[16],
		       const uint8_t *user, size_t user_len, const uint8_t *password,
		       size_t pw_len, uint8_t out[24])
{
	uint8_t ch[8], h[16];

	if (mschap_nt_hash(password, pw_len, h))
		return -1;
	mschap_challenge_hash(peer_challenge, auth_challenge, user, user_len, ch);
	mschap_challenge_response(ch, h, out);
	ike_wipe(h, sizeof(h));
	return 0;
}

static const uint8_t magic1[39] = "Magic server to client signing constant";
static const uint8_t magic2[41] = "Pad to make it do more than one iteration";

void mschap_authenticator_response(const uint8_t nt_hash[16], const uint8_t nt_response[24],
				   const uint8_t peer_challenge[16],
				   const uint8_t auth_challenge[16], const uint8_t *user,
				   size_t user_len, uint8_t out[20])
{
	uint8_t hh[16], ch[8];
	struct sha1_ctx ctx;

	mschap_hash_nt_hash(nt_hash, hh);
	sha1_init(&ctx);
	sha1_update(&ctx, 16, hh);
	sha1_update(&ctx, 24, nt_response);
	sha1_update(&ctx, sizeof(magic1), magic1);
	sha1_digest(&ctx, 20, out);
	mschap_challenge_hash(peer_challenge, auth_challenge, user, user_len, ch);
	sha1_init(&ctx);
	sha1_update(&ctx, 20, out);
	sha1_update(&ctx, 8, ch);
	sha1_update(&ctx, sizeof(magic2), magic2);
	sha1_digest(&ctx, 20, out);
	ike_wipe(hh, sizeof(hh));
	ike_wipe(&ctx, sizeof(ctx));
}

/* RFC 3079 §3.4 GetMasterKey and §3.4 GetAsymmetricStartKey's magics. */
static const uint8_t mk_magic1[27] = "This is the MPPE Master Key";
static const uint8_t mk_magic2[84] = "On the client side, this is the send key; "
				     "on the server side, it is the receive key.";
static const uint8_t mk_magic3[84] = "On the client side, this is the receive key; "
				     "on the server side, it is the send key.";

void mschap_master_key(const uint8_t hash_nt_hash[16], const uint8_t nt_response[24],
		       uint8_t out[16])
{
	uint8_t d[SHA1_DIGEST_SIZE];
	struct sha1_ctx ctx;

	sha1_init(&ctx);
	sha1_update(&ctx, 16, hash_nt_hash);
	sha1_update(&ctx, 24, nt_response);
	sha1_update(&ctx, sizeof(mk_magic1), mk_magic1);
	sha1_digest(&ctx, sizeof(d), d);
	memcpy(out, d, 16);
	ike_wipe(d, sizeof(d));
	ike_wipe(&ctx, sizeof(ctx));
}

void mschap_asymmetric_key(const uint8_t master[16], bool magic2_key, uint8_t out[16])
{
	static const uint8_t pad1[40] = { 0 };
	uint8_t pad2[40], d[SHA1_DIGEST_SIZE];
	struct sha1_ctx ctx;

	memset(pad2, 0xf2, sizeof(pad2));
	sha1_init(&ctx);
	sha1_update(&ctx, 16, master);
	sha1_update(&ctx, sizeof(pad1), pad1);
	sha1_update(&ctx, 84, magic2_key ? mk_magic2 : mk_magic3);
	sha1_update(&ctx, sizeof(pad2), pad2);
	sha1_digest(&ctx, sizeof(d), d);
	memcpy(out, d, 16);
	ike_wipe(d, sizeof(d));
	ike_wipe(&ctx, sizeof(ctx));
}

void mschap_msk(const uint8_t nt_hash[16], const uint8_t nt_response[24],
		uint8_t msk[MSCHAP_MSK_LEN])
{
	uint8_t hh[16], master[16];

	mschap_hash_nt_hash(nt_hash, hh);
	mschap_master_key(hh, nt_response, master);
	memset(msk, 0, MSCHAP_MSK_LEN);
	mschap_asymmetric_key(master, true, msk);
	mschap_asymmetric_key(master, false, msk + 16);
	ike_wipe(hh, sizeof(hh));
	ike_wipe(master, sizeof(master));
}
