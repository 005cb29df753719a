/* SPDX-License-Identifier: GPL-2.0 */
/* The algorithms an SA may use, and its crypto transform (crypto.c). */
#ifndef KESP_CRYPTO_H
#define KESP_CRYPTO_H

#include <linux/netlink.h>
#include <linux/types.h>

struct kesp_sa;

/* What a netlink request says about an SA's algorithms, already parsed. */
struct kesp_alg_params {
	const char *aead_name, *enc_name, *auth_name;
	const u8 *aead_key, *enc_key, *auth_key;
	u32 aead_key_len, enc_key_len, auth_key_len;
	u32 icv_bits;
	/* For extack: the nest each came from. */
	const struct nlattr *aead_attr, *enc_attr, *auth_attr;
};

int kesp_crypto_setup(struct kesp_sa *sa, const struct kesp_alg_params *p,
		      struct netlink_ext_ack *extack);

#endif /* KESP_CRYPTO_H */
