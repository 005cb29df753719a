// SPDX-License-Identifier: GPL-2.0
/*
 * Pre-shared key authentication (RFC 7296 §2.15, AUTH method 2):
 *   AUTH = prf(prf(PSK, "Key Pad for IKEv2"), <SignedOctets>)
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload)
 *   ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload)
 * RealMessage1/2 are the IKE_SA_INIT request and response exactly as sent
 * (the last request, with its cookie, if the responder asked for one);
 * RestOf...IDPayload is the ID payload's body: type, three reserved bytes
 * as they were on the wire, identification data. A resumed IKE SA (RFC
 * 5723 §4.3.3) keys the same octets by SK_pi / SK_pr directly
 * (auth_key_add, auth_key_verifies).
 */
#include <string.h>

#include <gnutls/gnutls.h>

#include "daemon.h"

static const char key_pad[] = "Key Pad for IKEv2";

int auth_id_prf(const struct ike_sa *sa, bool of_initiator, const struct ike_payload *id,
		uint8_t out[IKE_PRF_MAX])
{
	uint8_t idbody[4 + IKE_ID_MAX];
	size_t plen = ike_prf_len(sa->prf), blen;

	if (!plen || !sa->keys_ready)
		return -1;
	if (id->body.p) {
		blen = id->body.len;
		if (blen > sizeof(idbody))
			return -1;
		memcpy(idbody, id->body.p, blen);
	} else {
		/* Ours, not encoded yet: the reserved bytes are zero. */
		blen = 4 + id->u.typed.data.len;
		if (blen > sizeof(idbody))
			return -1;
		memset(idbody, 0, 4);
		idbody[0] = id->u.typed.kind;
		memcpy(idbody + 4, id->u.typed.data.p, id->u.typed.data.len);
	}
	return ike_prf(sa->prf, of_initiator ? sa->keys.sk_pi : sa->keys.sk_pr, plen, idbody, blen,
		       out) ? -1 : 0;
}

/* AUTH = prf(KEY, <SignedOctets>) of a side, KEY being prf(SECRET, "Key Pad
 * for IKEv2") when PAD (a PSK, EAP's MSK), else SECRET itself (a resumed
 * IKE SA's SK_pi or SK_pr, RFC 5723 §4.3.3). */
static int compute(const struct ike_sa *sa, bool of_initiator, const uint8_t *secret,
		   size_t secret_len, bool pad, const struct ike_payload *id, uint8_t *out,
		   size_t *out_len)
{
	uint8_t maced[IKE_PRF_MAX], padkey[IKE_PRF_MAX];
	size_t plen = ike_prf_len(sa->prf);
	struct ike_slice parts[3];
	int rc;

	if (!plen || !sa->keys_ready || !sa->init_req || !sa->init_resp)
		return -1;
	rc = auth_id_prf(sa, of_initiator, id, maced);
	if (!rc && pad)
		rc = ike_prf(sa->prf, secret, secret_len, (const uint8_t *)key_pad, strlen(key_pad),
			     padkey);
	if (!rc) {
		parts[0] = (struct ike_slice){ of_initiator ? sa->init_req : sa->init_resp,
					       of_initiator ? sa->init_req_len : sa->init_resp_len };
		parts[1] = (struct ike_slice){ of_initiator ? sa->nr : sa->ni,
					       of_initiator ? sa->nr_len : sa->ni_len };
		parts[2] = (struct ike_slice){ maced, plen };
		rc = pad ? ike_prf_vec(sa->prf, padkey, plen, parts, 3, out) :
			   ike_prf_vec(sa->prf, secret, secret_len, parts, 3, out);
	}
	ike_wipe(padkey, sizeof(padkey));
	ike_wipe(maced, sizeof(maced));
	*out_len = plen;
	return rc ? -1 : 0;
}

int auth_psk_compute(const struct ike_sa *sa, bool of_initiator, const uint8_t *psk,
		     size_t psk_len, const struct ike_payload *id, uint8_t *out, size_t *out_len)
{
	return compute(sa, of_initiator, psk, psk_len, true, id, out, out_len);
}

static int add(struct msg_out *m, struct ike_sa *sa, const struct ike_payload *id,
	       const uint8_t *secret, size_t secret_len, bool pad)
{
	struct ike_payload *pl;
	uint8_t *data = msg_alloc(m, IKE_PRF_MAX);
	size_t len;

	if (m->overflow || compute(sa, sa->initiator, secret, secret_len, pad, id, data, &len))
		return -1;
	pl = msg_add(m, IKE_PL_AUTH);
	pl->u.typed.kind = AUTHM_PSK;
	pl->u.typed.data.p = data;
	pl->u.typed.data.len = len;
	return 0;
}

static bool verifies(const struct ike_sa *sa, const struct ike_payload *auth,
		     const struct ike_payload *id, const uint8_t *secret, size_t secret_len,
		     bool pad)
{
	uint8_t want[IKE_PRF_MAX];
	size_t len;
	bool ok;

	if (!auth || auth->u.typed.kind != AUTHM_PSK ||
	    compute(sa, !sa->initiator, secret, secret_len, pad, id, want, &len))
		return false;
	ok = auth->u.typed.data.len == len && !gnutls_memcmp(want, auth->u.typed.data.p, len);
	ike_wipe(want, sizeof(want));
	return ok;
}

int auth_psk_add(struct msg_out *m, struct ike_sa *sa, const struct ike_payload *id,
		 const uint8_t *secret, size_t secret_len)
{
	return add(m, sa, id, secret, secret_len, true);
}

bool auth_psk_verifies(const struct ike_sa *sa, const struct ike_payload *auth,
		       const struct ike_payload *id, const uint8_t *secret, size_t secret_len)
{
	return verifies(sa, auth, id, secret, secret_len, true);
}

int auth_key_add(struct msg_out *m, struct ike_sa *sa, const struct ike_payload *id,
		 const uint8_t *key, size_t key_len)
{
	return add(m, sa, id, key, key_len, false);
}

bool auth_key_verifies(const struct ike_sa *sa, const struct ike_payload *auth,
		       const struct ike_payload *id, const uint8_t *key, size_t key_len)
{
	return verifies(sa, auth, id, key, key_len, false);
}
