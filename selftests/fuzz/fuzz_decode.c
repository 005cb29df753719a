// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: IKEv2 message decoding (ikehelper/message.c, payload.c).
 * Any input must be either rejected with an error or decoded into payloads
 * whose re-encoding is a fixed point of decode/encode; ASan/UBSan catch any
 * read outside the input.
 */
#include <stdlib.h>
#include <string.h>

#include "ike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ike_msg m1, m2, inner;
static uint8_t out1[IKE_MAX_MSG + 1], out2[IKE_MAX_MSG + 1];

static void touch_names(const struct ike_msg *m)
{
	for (size_t i = 0; i < m->npl; i++) {
		const struct ike_payload *pl = &m->pl[i];

		if (!ike_payload_name(pl->type))
			abort();
		if (pl->type == IKE_PL_NOTIFY && !ike_notify_name(pl->u.notify.type))
			abort();
		if (pl->type == IKE_PL_SA)
			for (unsigned int p = 0; p < pl->u.sa.nprop; p++)
				for (unsigned int t = 0; t < pl->u.sa.prop[p].ntrans; t++)
					if (!ike_transform_keyword(&pl->u.sa.prop[p].trans[t]))
						abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_error err;
	struct ike_buf b1, b2;

	if (size > IKE_MAX_MSG)
		return 0;
	if (ike_msg_decode(data, size, &m1, &err) == 0) {
		touch_names(&m1);
		ike_buf_init(&b1, out1, sizeof(out1));
		if (ike_msg_encode(&m1, &b1) == 0) {
			/* What we write, we must read back and write identically. */
			if (ike_msg_decode(out1, b1.len, &m2, &err))
				abort();
			ike_buf_init(&b2, out2, sizeof(out2));
			if (ike_msg_encode(&m2, &b2) || b2.len != b1.len ||
			    memcmp(out1, out2, b1.len))
				abort();
			ike_msg_release(&m2);
		}
		ike_msg_release(&m1);
	}
	/*
	 * The inner-payload walker on its own (what follows SK decryption):
	 * byte 0 is the first payload type, its top bit the header's R bit.
	 */
	if (size >= 1) {
		struct ike_header h = { .flags = data[0] & 0x80 ? IKE_FLAG_RESPONSE : 0 };

		if (ike_payloads_decode(&h, data[0] & 0x7f, data + 1, size - 1, &inner, &err) == 0) {
			touch_names(&inner);
			ike_msg_release(&inner);
		}
	}
	return 0;
}
