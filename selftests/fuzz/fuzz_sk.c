// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: SK payload unprotection (ikehelper/crypto.c via
 * ike_msg_decrypt). Byte 0 picks one of nine suites with fixed keys.
 * If its top bit is clear the rest is a raw message: decode, then verify and
 * decrypt whatever SK/SKF it carries (almost always an integrity failure).
 * If it is set, the rest is a plaintext that is sealed correctly under the
 * suite and then opened, so the fuzzer reaches the pad-length check and the
 * inner payload decoder behind a valid ICV.
 */
#include <stdlib.h>
#include <string.h>

#include "ike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const struct {
	uint16_t encr, bits, integ;
} suites[] = {
	{ IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE },
	{ IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE },
	{ IKE_ENCR_CHACHA20_POLY1305, 256, IKE_INTEG_NONE },
	{ IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128 },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192 },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256 },
	{ IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96 },
	{ IKE_ENCR_AES_GCM_16, 192, IKE_INTEG_NONE },
	{ IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA1_96 },
};

#define NSUITES (sizeof(suites) / sizeof(suites[0]))

static struct ike_sk_keys keys[NSUITES];
static struct ike_msg m, inner;
static uint8_t plain[IKE_MAX_MSG], msg[IKE_MAX_MSG];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (ike_crypto_init())
		abort();
	for (size_t s = 0; s < NSUITES; s++) {
		struct ike_sk_keys *k = &keys[s];

		k->encr = suites[s].encr;
		k->encr_bits = suites[s].bits;
		k->integ = suites[s].integ;
		k->ekey_len = ike_encr_key_len(k->encr, k->encr_bits);
		k->akey_len = ike_integ_key_len(k->integ);
		for (size_t i = 0; i < sizeof(k->ekey); i++)
			k->ekey[i] = (uint8_t)(0x40 + i);
		for (size_t i = 0; i < sizeof(k->akey); i++)
			k->akey[i] = (uint8_t)(0x80 + i);
		/* odd suites through a prepared handle, even ones without */
		if (s % 2 && ike_sk_keys_prepare(k))
			abort();
	}
	return 0;
}

/* Header + SK generic header (first inner type in[0]) + a correct seal of in[1..]. */
static size_t seal(const struct ike_sk_keys *k, const uint8_t *in, size_t len)
{
	size_t ivl = ike_encr_iv_len(k->encr), icvl, bl = ike_encr_block_len(k->encr);
	size_t ptl = len - 1, total;
	uint8_t iv[16] = { 0 };

	icvl = ike_encr_is_aead(k->encr) ? 16 : ike_integ_icv_len(k->integ);
	ptl -= ptl % bl;	/* CBC needs whole blocks */
	total = IKE_HDR_LEN + 4 + ivl + ptl + icvl;
	if (total > sizeof(msg))
		return 0;
	memset(msg, 0, IKE_HDR_LEN);
	msg[16] = IKE_PL_SK;
	msg[17] = 0x20;
	msg[18] = IKE_INFORMATIONAL;
	msg[24] = (uint8_t)(total >> 24), msg[25] = (uint8_t)(total >> 16);
	msg[26] = (uint8_t)(total >> 8), msg[27] = (uint8_t)total;
	msg[28] = in[0];
	msg[29] = 0;
	msg[30] = (uint8_t)((total - IKE_HDR_LEN) >> 8);
	msg[31] = (uint8_t)(total - IKE_HDR_LEN);
	memcpy(msg + 32, iv, ivl);
	if (ike_encr_is_aead(k->encr)) {
		if (ike_aead_seal(k, iv, msg, 32, in + 1, ptl, msg + 32 + ivl))
			abort();
	} else {
		if (ike_cbc_encrypt(k, iv, in + 1, ptl, msg + 32 + ivl) ||
		    ike_integ_mac(k->integ, k->akey, msg, total - icvl, msg + total - icvl))
			abort();
	}
	return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_error err;
	const struct ike_sk_keys *k;
	size_t plen, n;

	if (size < 2 || size > IKE_MAX_MSG - 128)
		return 0;
	k = &keys[(data[0] & 0x7f) % NSUITES];
	if (data[0] & 0x80) {
		n = seal(k, data + 1, size - 1);
		if (!n)
			return 0;
		if (ike_msg_decode(msg, n, &m, &err))
			abort();	/* our own framing must always decode */
		if (ike_msg_decrypt(msg, n, &m, k, plain, &plen, &inner, &err) == -IKE_ERR_INTEGRITY)
			abort();	/* a correct seal must verify */
		ike_msg_release(&inner);
		ike_msg_release(&m);
		return 0;
	}
	if (ike_msg_decode(data + 1, size - 1, &m, &err) == 0) {
		if (m.sk_offset && !ike_msg_decrypt(data + 1, size - 1, &m, k, plain, &plen,
						    &inner, &err))
			ike_msg_release(&inner);
		ike_msg_release(&m);
	}
	return 0;
}
