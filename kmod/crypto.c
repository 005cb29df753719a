// SPDX-License-Identifier: GPL-2.0
/*
 * The algorithms an SA may use, checked against what RFC 4106, RFC 7634,
 * RFC 3602, RFC 2404 and RFC 4868 allow, and the crypto_aead transform built from
 * them. Everything ESP does goes through one AEAD: a real one (GCM,
 * ChaCha20-Poly1305) or authenc(HMAC, CBC or NULL) as esp4.c does.
 */
#include <crypto/aead.h>
#include <crypto/authenc.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "crypto.h"
#include "sad.h"

struct alg_desc {
	const char *name;
	/* Allowed key lengths in bytes (AEAD: including the 4-byte salt). */
	u8 key_lens[3];
	/* Allowed ICV lengths in bits; the first is the default. */
	u16 icv_bits[3];
	u8 iv_len;	/* bytes on the wire */
	u8 block;	/* padding unit: the cipher block, at least 4 */
};

static const struct alg_desc aeads[] = {
	{ "rfc4106(gcm(aes))", { 20, 28, 36 }, { 128, 96, 64 }, 8, 4 },
	{ "rfc7539esp(chacha20,poly1305)", { 36 }, { 128 }, 8, 4 },
};

static const struct alg_desc ciphers[] = {
	{ "cbc(aes)", { 16, 24, 32 }, { 0 }, 16, 16 },
	{ "ecb(cipher_null)", { 0 }, { 0 }, 0, 4 },
};

/*
 * RFC 4868: the key is as long as the hash, the ICV half of it. RFC 2404
 * (HMAC-SHA-1-96, still a MUST- of RFC 8221 and all some peers offer):
 * a 160-bit key, the ICV its first 96 bits.
 */
static const struct alg_desc auths[] = {
	{ "hmac(sha1)", { 20 }, { 96 }, 0, 0 },
	{ "hmac(sha256)", { 32 }, { 128 }, 0, 0 },
	{ "hmac(sha384)", { 48 }, { 192 }, 0, 0 },
	{ "hmac(sha512)", { 64 }, { 256 }, 0, 0 },
};

static const struct alg_desc *find(const struct alg_desc *table, size_t n,
				   const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

static bool has_key_len(const struct alg_desc *d, u32 len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(d->key_lens); i++)
		if (d->key_lens[i] == len && (len || i == 0))
			return true;
	return false;
}

static bool has_icv(const struct alg_desc *d, u32 bits)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(d->icv_bits); i++)
		if (d->icv_bits[i] && d->icv_bits[i] == bits)
			return true;
	return false;
}

/*
 * Builds the transform for an SA. On success fills in sa->aead, the
 * on-wire IV length, padding block and ICV length; on failure says why in
 * extack. Keys are copied only into the transform (and a temporary buffer
 * that is wiped), never kept in the SA.
 */
int kesp_crypto_setup(struct kesp_sa *sa, const struct kesp_alg_params *p,
		      struct netlink_ext_ack *extack)
{
	const struct alg_desc *aead = NULL, *enc = NULL, *auth = NULL;
	char tfm_name[CRYPTO_MAX_ALG_NAME];
	struct crypto_aead *tfm;
	u8 *key = NULL;
	u32 key_len;
	int ret;

	if (p->aead_name) {
		aead = find(aeads, ARRAY_SIZE(aeads), p->aead_name);
		if (!aead) {
			NL_SET_ERR_MSG_ATTR(extack, p->aead_attr,
					    "unsupported AEAD: use rfc4106(gcm(aes)) or rfc7539esp(chacha20,poly1305)");
			return -EOPNOTSUPP;
		}
		if (!has_key_len(aead, p->aead_key_len)) {
			NL_SET_ERR_MSG_ATTR(extack, p->aead_attr,
					    "wrong AEAD key length (GCM: 20, 28 or 36 bytes with salt; ChaCha20-Poly1305: 36)");
			return -EINVAL;
		}
		if (!has_icv(aead, p->icv_bits)) {
			NL_SET_ERR_MSG_ATTR(extack, p->aead_attr,
					    "unsupported ICV length for this AEAD (GCM: 64, 96, 128 bits; ChaCha20-Poly1305: 128)");
			return -EINVAL;
		}
		strscpy(tfm_name, aead->name, sizeof(tfm_name));
		key_len = p->aead_key_len;
		key = kmemdup(p->aead_key, key_len, GFP_KERNEL);
		if (!key)
			return -ENOMEM;
		sa->iv_len = aead->iv_len;
		sa->block = aead->block;
	} else {
		struct crypto_authenc_key_param *param;
		struct rtattr *rta;

		enc = find(ciphers, ARRAY_SIZE(ciphers), p->enc_name);
		auth = find(auths, ARRAY_SIZE(auths), p->auth_name);
		if (!enc) {
			NL_SET_ERR_MSG_ATTR(extack, p->enc_attr,
					    "unsupported cipher: use cbc(aes) or ecb(cipher_null)");
			return -EOPNOTSUPP;
		}
		if (!auth) {
			NL_SET_ERR_MSG_ATTR(extack, p->auth_attr,
					    "unsupported authentication: use hmac(sha1), hmac(sha256), hmac(sha384) or hmac(sha512)");
			return -EOPNOTSUPP;
		}
		if (!has_key_len(enc, p->enc_key_len)) {
			NL_SET_ERR_MSG_ATTR(extack, p->enc_attr,
					    "wrong cipher key length (AES-CBC: 16, 24 or 32 bytes; NULL: none)");
			return -EINVAL;
		}
		if (!has_key_len(auth, p->auth_key_len)) {
			NL_SET_ERR_MSG_ATTR(extack, p->auth_attr,
					    "HMAC key length must equal the hash length (RFC 2404, RFC 4868: 20, 32, 48 or 64 bytes)");
			return -EINVAL;
		}
		if (!has_icv(auth, p->icv_bits)) {
			NL_SET_ERR_MSG_ATTR(extack, p->auth_attr,
					    "truncation must be 96 bits for SHA-1 (RFC 2404), half the hash length for SHA-2 (RFC 4868: 128, 192 or 256 bits)");
			return -EINVAL;
		}
		/* authencesn places the ESN high bits as RFC 4303 2.2.1 says. */
		if (snprintf(tfm_name, sizeof(tfm_name), "%s(%s,%s)",
			     sa->flags & KESP_SA_F_ESN ? "authencesn" : "authenc",
			     auth->name, enc->name) >= (int)sizeof(tfm_name))
			return -ENAMETOOLONG;

		/* authenc's key format: rtattr-wrapped parameters, then keys. */
		key_len = RTA_SPACE(sizeof(*param)) + p->auth_key_len +
			  p->enc_key_len;
		key = kzalloc(key_len, GFP_KERNEL);
		if (!key)
			return -ENOMEM;
		rta = (struct rtattr *)key;
		rta->rta_type = CRYPTO_AUTHENC_KEYA_PARAM;
		rta->rta_len = RTA_LENGTH(sizeof(*param));
		param = RTA_DATA(rta);
		param->enckeylen = cpu_to_be32(p->enc_key_len);
		memcpy(key + RTA_SPACE(sizeof(*param)), p->auth_key,
		       p->auth_key_len);
		memcpy(key + RTA_SPACE(sizeof(*param)) + p->auth_key_len,
		       p->enc_key, p->enc_key_len);
		sa->iv_len = enc->iv_len;
		sa->block = enc->block;
	}

	tfm = crypto_alloc_aead(tfm_name, 0, 0);
	if (IS_ERR(tfm)) {
		NL_SET_ERR_MSG(extack, "the kernel has no implementation of this algorithm");
		ret = PTR_ERR(tfm);
		goto out;
	}
	ret = crypto_aead_setkey(tfm, key, key_len);
	if (!ret)
		ret = crypto_aead_setauthsize(tfm, p->icv_bits / 8);
	if (ret) {
		NL_SET_ERR_MSG(extack, "the crypto layer refused the key or ICV length");
		crypto_free_aead(tfm);
		goto out;
	}
	sa->aead = tfm;
	sa->icv_len = p->icv_bits / 8;
	sa->alg_name[0] = aead ? aead->name : enc->name;
	sa->alg_name[1] = aead ? "" : auth->name;
out:
	kfree_sensitive(key);
	return ret;
}
