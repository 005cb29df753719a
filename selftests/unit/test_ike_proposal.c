// SPDX-License-Identifier: GPL-2.0
/*
 * ikehelper/proposal.c: strongSwan keyword syntax (as documented for
 * swanctl.conf "proposals"/"esp_proposals", e.g. aes256gcm16-prfsha384-x25519)
 * to RFC 7296 transforms and back, and responder selection.
 */
#include <string.h>

#include "ike.h"
#include "tap.h"

static bool has_t(const struct ike_proposal *p, uint8_t type, uint16_t id, uint16_t kl)
{
	for (unsigned int i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type && p->trans[i].id == id && p->trans[i].keylen == kl)
			return true;
	return false;
}

static unsigned int count_t(const struct ike_proposal *p, uint8_t type)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < p->ntrans; i++)
		n += p->trans[i].type == type;
	return n;
}

static bool same(const struct ike_proposal *a, const struct ike_proposal *b)
{
	if (a->ntrans != b->ntrans)
		return false;
	for (unsigned int i = 0; i < a->ntrans; i++)
		if (a->trans[i].type != b->trans[i].type || a->trans[i].id != b->trans[i].id ||
		    a->trans[i].keylen != b->trans[i].keylen)
			return false;
	return true;
}

static void roundtrip(const char *in, unsigned int proto, const char *want)
{
	struct ike_proposal p, q;
	char why[256] = "", out[256] = "";
	int rc = ike_proposal_parse(in, proto, &p, why, sizeof(why));

	tap_ok(rc == 0, "parse '%s' %s", in, why);
	ike_proposal_format(&p, out, sizeof(out));
	TAP_EQ_STR(out, want, "format back");
	rc = ike_proposal_parse(out, proto, &q, why, sizeof(why));
	tap_ok(rc == 0 && same(&p, &q),
	       "parse(format(p)) == p for '%s'", in);
}

static void bad(const char *in, unsigned int proto, const char *needle)
{
	struct ike_proposal p;
	char why[256] = "";
	int rc = ike_proposal_parse(in, proto, &p, why, sizeof(why));

	tap_ok(rc != 0 && strstr(why, needle), "'%s' refused: %s", in, why);
}

static void test_parse(void)
{
	struct ike_proposal p;
	char why[256];

	roundtrip("aes256gcm16-prfsha384-x25519", IKE_PROTO_IKE, "aes256gcm16-prfsha384-x25519");
	ike_proposal_parse("aes256gcm16-prfsha384-x25519", IKE_PROTO_IKE, &p, why, sizeof(why));
	tap_ok(p.ntrans == 3 && has_t(&p, IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 256) &&
	       has_t(&p, IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_384, 0) &&
	       has_t(&p, IKE_TRANS_DH, IKE_DH_CURVE25519, 0), "aes256gcm16-prfsha384-x25519 transforms");
	/* strongSwan derives the PRF from the integrity algorithm. */
	roundtrip("aes128-sha256-modp2048", IKE_PROTO_IKE, "aes128-sha256-prfsha256-modp2048");
	ike_proposal_parse("aes128-sha256-modp2048", IKE_PROTO_IKE, &p, why, sizeof(why));
	tap_ok(has_t(&p, IKE_TRANS_ENCR, IKE_ENCR_AES_CBC, 128) &&
	       has_t(&p, IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0) &&
	       has_t(&p, IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_256, 0) &&
	       has_t(&p, IKE_TRANS_DH, IKE_DH_MODP2048, 0), "aes128-sha256-modp2048 transforms");
	roundtrip("chacha20poly1305-prfsha256-ecp256", IKE_PROTO_IKE,
		  "chacha20poly1305-prfsha256-ecp256");
	roundtrip("aes128gcm128-prfsha256-curve25519", IKE_PROTO_IKE, "aes128gcm16-prfsha256-x25519");
	roundtrip("aes256-aes128-sha512-sha256-ecp384-modp3072", IKE_PROTO_IKE,
		  "aes256-aes128-sha512-sha256-prfsha512-prfsha256-ecp384-modp3072");
	/* ESP */
	roundtrip("aes128gcm16-esn", IKE_PROTO_ESP, "aes128gcm16-esn");
	roundtrip("aes256-sha256-noesn", IKE_PROTO_ESP, "aes256-sha256-noesn");
	roundtrip("aes256gcm16", IKE_PROTO_ESP, "aes256gcm16-noesn");
	roundtrip("aes256gcm16-x25519-esn-noesn", IKE_PROTO_ESP, "aes256gcm16-x25519-esn-noesn");
	ike_proposal_parse("aes128gcm16-esn", IKE_PROTO_ESP, &p, why, sizeof(why));
	tap_ok(p.spi_size == 4 && p.protocol == IKE_PROTO_ESP &&
	       has_t(&p, IKE_TRANS_ESN, 1, 0) && !has_t(&p, IKE_TRANS_ESN, 0, 0),
	       "ESP proposal: SPI size 4, ESN only");

	/* What older Cisco and Juniper peers offer, end to end (issue 13 item 7). */
	roundtrip("aes192-sha1-modp2048", IKE_PROTO_IKE, "aes192-sha1-prfsha1-modp2048");
	roundtrip("aes192gcm16-prfsha1-ecp384", IKE_PROTO_IKE, "aes192gcm16-prfsha1-ecp384");
	roundtrip("aes128-sha1", IKE_PROTO_ESP, "aes128-sha1-noesn");
	roundtrip("aes192gcm128-esn", IKE_PROTO_ESP, "aes192gcm16-esn");
	/* Deprecated choices we do not implement: named, with RFC 8247's reason. */
	bad("3des-sha256-modp2048", IKE_PROTO_IKE, "3des (ENCR_3DES) is not supported: RFC 8247");
	bad("des-sha256-modp2048", IKE_PROTO_IKE, "des (ENCR_DES) is not supported: RFC 8247");
	bad("aes128-md5-modp2048", IKE_PROTO_IKE, "md5 (AUTH_HMAC_MD5_96) is not supported: RFC 8247");
	bad("aes128-sha256-prfmd5-modp2048", IKE_PROTO_IKE,
	    "prfmd5 (PRF_HMAC_MD5) is not supported: RFC 8247");
	bad("aes128-sha256-modp1024", IKE_PROTO_IKE, "modp1024 (MODP_1024) is not supported: RFC 8247");
	bad("aes128-sha256-modp768", IKE_PROTO_IKE, "modp768 (MODP_768) is not supported: RFC 8247");
	bad("aes128-sha256-modp1536", IKE_PROTO_IKE, "modp1536 (MODP_1536) is not supported: RFC 8247");
	bad("aes128-sha256-modp1024s160", IKE_PROTO_IKE,
	    "modp1024s160 (MODP_1024_160) is not supported: RFC 8247");
	bad("3des-md5", IKE_PROTO_ESP, "3des (ENCR_3DES) is not supported");
	bad("aes128-sha1-modp1024", IKE_PROTO_ESP, "modp1024 (MODP_1024) is not supported");
	bad("aes256gcm16-x25519", IKE_PROTO_IKE, "needs a PRF");
	bad("aes128-modp2048", IKE_PROTO_IKE, "integrity");
	bad("aes128-sha256", IKE_PROTO_IKE, "key exchange");
	bad("aes128gcm16-sha256-prfsha256-x25519", IKE_PROTO_IKE, "AEAD takes no integrity");
	bad("aes128-aes128gcm16-sha256-x25519", IKE_PROTO_IKE, "mixes");
	bad("blowfish-sha256-modp2048", IKE_PROTO_IKE, "unknown algorithm keyword 'blowfish'");
	bad("aes128-sha256-modp2048-esn", IKE_PROTO_IKE, "ESP and AH only");
	bad("aes128gcm16-prfsha256", IKE_PROTO_ESP, "IKE proposals only");
	bad("aes128--sha256", IKE_PROTO_IKE, "empty");
	bad("aes128-sha256-", IKE_PROTO_IKE, "ends with");
	bad("", IKE_PROTO_IKE, "no encryption");
	bad("sha256-prfsha256-x25519", IKE_PROTO_IKE, "no encryption");
}

static void test_select(void)
{
	struct ike_proposal mine[2], peer[2], chosen;
	char why[512];
	int rc;

	/* Responder prefers GCM then CBC; the initiator lists CBC first. */
	ike_proposal_parse("aes256gcm16-prfsha384-x25519-ecp256", IKE_PROTO_IKE, &mine[0], why, sizeof(why));
	ike_proposal_parse("aes128-sha256-modp2048", IKE_PROTO_IKE, &mine[1], why, sizeof(why));
	ike_proposal_parse("aes128-sha256-modp2048", IKE_PROTO_IKE, &peer[0], why, sizeof(why));
	ike_proposal_parse("aes256gcm16-prfsha384-ecp256-x25519", IKE_PROTO_IKE, &peer[1], why, sizeof(why));
	peer[1].num = 2;
	rc = ike_proposal_select(mine, 2, peer, 2, 0, &chosen, why, sizeof(why));
	TAP_EQ_INT(rc, 0, "a common proposal is found");
	TAP_EQ_INT(chosen.num, 2, "our first preference wins over the peer's order");
	tap_ok(chosen.ntrans == 3 && has_t(&chosen, IKE_TRANS_DH, IKE_DH_CURVE25519, 0) &&
	       !has_t(&chosen, IKE_TRANS_DH, IKE_DH_ECP256, 0),
	       "one transform per type, x25519 chosen by our order: %s", why);

	/* Disjoint lists: the reason names each differing type. */
	ike_proposal_parse("aes256gcm16-prfsha384-x25519", IKE_PROTO_IKE, &mine[0], why, sizeof(why));
	ike_proposal_parse("aes128-sha256-modp2048", IKE_PROTO_IKE, &peer[0], why, sizeof(why));
	rc = ike_proposal_select(mine, 1, peer, 1, 0, &chosen, why, sizeof(why));
	TAP_EQ_INT(rc, -IKE_ERR_NO_PROPOSAL, "disjoint lists: NO_PROPOSAL_CHOSEN");
	tap_ok(strstr(why, "no common ENCR (ours aes256gcm16, theirs aes128)") &&
	       strstr(why, "no common INTEG (ours none, theirs sha256)") &&
	       strstr(why, "no common DH (ours x25519, theirs modp2048)") &&
	       strstr(why, "ours 'aes256gcm16-prfsha384-x25519' vs theirs #1"),
	       "reason: %s", why);
	TAP_EQ_INT(ike_err_notify(IKE_ERR_NO_PROPOSAL, false), IKE_N_NO_PROPOSAL_CHOSEN,
		   "maps to the NO_PROPOSAL_CHOSEN notify");

	/* Only the DH differs. */
	ike_proposal_parse("aes128gcm16-prfsha256-ecp384", IKE_PROTO_IKE, &peer[0], why, sizeof(why));
	ike_proposal_parse("aes128gcm16-prfsha256-ecp256", IKE_PROTO_IKE, &mine[0], why, sizeof(why));
	rc = ike_proposal_select(mine, 1, peer, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc != 0 && strstr(why, "no common DH (ours ecp256, theirs ecp384)") &&
	       !strstr(why, "ENCR"), "only the DH is blamed: %s", why);

	/* ESP: ESN must agree; protocols must agree. */
	ike_proposal_parse("aes128gcm16-esn", IKE_PROTO_ESP, &mine[0], why, sizeof(why));
	ike_proposal_parse("aes128gcm16-noesn", IKE_PROTO_ESP, &peer[0], why, sizeof(why));
	rc = ike_proposal_select(mine, 1, peer, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc != 0 && strstr(why, "no common ESN (ours esn, theirs noesn)"), "ESN mismatch: %s", why);
	ike_proposal_parse("aes128gcm16-esn-noesn", IKE_PROTO_ESP, &peer[0], why, sizeof(why));
	peer[0].spi[0] = 0xab;
	rc = ike_proposal_select(mine, 1, peer, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc == 0 && chosen.spi[0] == 0xab && chosen.spi_size == 4 &&
	       has_t(&chosen, IKE_TRANS_ESN, 1, 0), "ESP with ESN chosen, peer SPI kept");
	ike_proposal_parse("aes128gcm16-prfsha256-x25519", IKE_PROTO_IKE, &peer[0], why, sizeof(why));
	rc = ike_proposal_select(mine, 1, peer, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc != 0 && strstr(why, "protocol (ours ESP, theirs IKE)"), "protocol mismatch: %s", why);
	rc = ike_proposal_select(mine, 1, peer, 0, 0, &chosen, why, sizeof(why));
	tap_ok(rc != 0 && strstr(why, "empty"), "empty peer list: %s", why);
	/* Unknown peer transforms print by IANA name. */
	peer[0].trans[0].id = 3;	/* ENCR_3DES */
	peer[0].trans[0].keylen = 0;
	TAP_EQ_STR(ike_transform_keyword(&peer[0].trans[0]), "ENCR_3DES", "IANA name fallback");
}

/*
 * RFC 7296 §3.3.6: a proposal carrying a transform type we do not
 * understand is unacceptable; the other proposals are still considered.
 * Type 6 is RFC 9370's ADDITIONAL_KEY_EXCHANGE_1 (ADDKE1).
 */
static void test_unknown_transform_type(void)
{
	struct ike_proposal mine, peer[2], chosen;
	struct ike_transform addke = { .type = 6, .id = IKE_DH_CURVE25519 };
	char why[1024];
	int rc;

	ike_proposal_parse("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &mine, why, sizeof(why));
	ike_proposal_parse("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &peer[0], why, sizeof(why));
	peer[0].trans[peer[0].ntrans++] = addke;
	rc = ike_proposal_select(&mine, 1, peer, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc == -IKE_ERR_NO_PROPOSAL && strstr(why, "transform type 6 (ADDKE1)"),
	       "a proposal with an ADDKE1 transform is unacceptable: %s", why);
	peer[1] = peer[0];
	peer[1].ntrans--;
	peer[1].num = 2;
	rc = ike_proposal_select(&mine, 1, peer, 2, 0, &chosen, why, sizeof(why));
	tap_ok(rc == 0 && chosen.num == 2 && chosen.ntrans == 3,
	       "the next proposal without it is chosen: %s", why);
	TAP_EQ_STR(ike_transform_type_name(6), "ADDKE1", "transform type 6 by name");
	TAP_EQ_STR(ike_transform_type_name(12), "ADDKE7", "transform type 12 by name");
}

/*
 * Explicit NONE transforms: RFC 5282 §8 lets an AEAD proposal carry
 * INTEG NONE, and a Child SA proposal DH {x25519, NONE} means "PFS
 * optional". NONE is treated as absence; when the peer listed it, the
 * chosen proposal carries it back (one transform of each offered type).
 */
static void test_none_transforms(void)
{
	struct ike_proposal mine, peer, chosen;
	struct ike_transform integ_none = { .type = IKE_TRANS_INTEG, .id = IKE_INTEG_NONE };
	struct ike_transform dh_none = { .type = IKE_TRANS_DH, .id = IKE_DH_NONE };
	char why[1024];
	int rc;

	ike_proposal_parse("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &mine, why, sizeof(why));
	ike_proposal_parse("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &peer, why, sizeof(why));
	peer.trans[peer.ntrans++] = integ_none;
	rc = ike_proposal_select(&mine, 1, &peer, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc == 0 && has_t(&chosen, IKE_TRANS_INTEG, IKE_INTEG_NONE, 0) && chosen.ntrans == 4,
	       "AEAD with INTEG NONE is accepted and NONE echoed: %s", why);

	/* No PFS configured; the peer offers PFS as optional. */
	ike_proposal_parse("aes128gcm16-esn", IKE_PROTO_ESP, &mine, why, sizeof(why));
	ike_proposal_parse("aes128gcm16-x25519-esn", IKE_PROTO_ESP, &peer, why, sizeof(why));
	peer.trans[peer.ntrans++] = dh_none;
	rc = ike_proposal_select(&mine, 1, &peer, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc == 0 && has_t(&chosen, IKE_TRANS_DH, IKE_DH_NONE, 0) &&
	       !has_t(&chosen, IKE_TRANS_DH, IKE_DH_CURVE25519, 0),
	       "ESP DH {x25519, NONE} against no PFS: DH NONE chosen: %s", why);
	/* PFS configured: x25519 wins over NONE. */
	ike_proposal_parse("aes128gcm16-x25519-esn", IKE_PROTO_ESP, &mine, why, sizeof(why));
	rc = ike_proposal_select(&mine, 1, &peer, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc == 0 && has_t(&chosen, IKE_TRANS_DH, IKE_DH_CURVE25519, 0) &&
	       !has_t(&chosen, IKE_TRANS_DH, IKE_DH_NONE, 0),
	       "ESP DH {x25519, NONE} against PFS x25519: x25519 chosen: %s", why);
	/* PFS required by the peer (no NONE) and not configured here. */
	ike_proposal_parse("aes128gcm16-esn", IKE_PROTO_ESP, &mine, why, sizeof(why));
	ike_proposal_parse("aes128gcm16-x25519-esn", IKE_PROTO_ESP, &peer, why, sizeof(why));
	rc = ike_proposal_select(&mine, 1, &peer, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc != 0 && strstr(why, "no common DH (ours none, theirs x25519)"),
	       "peer requiring PFS against no PFS: %s", why);

	/* IKE_AUTH: a Child SA proposal's DH transforms are ignored on both sides. */
	ike_proposal_parse("aes128gcm16-x25519-esn", IKE_PROTO_ESP, &mine, why, sizeof(why));
	ike_proposal_parse("aes128gcm16-ecp256-esn", IKE_PROTO_ESP, &peer, why, sizeof(why));
	rc = ike_proposal_select(&mine, 1, &peer, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc != 0, "x25519 against ecp256 outside IKE_AUTH: no match");
	rc = ike_proposal_select(&mine, 1, &peer, 1, IKE_SELECT_SKIP_DH, &chosen, why, sizeof(why));
	tap_ok(rc == 0 && !count_t(&chosen, IKE_TRANS_DH),
	       "IKE_SELECT_SKIP_DH: DH ignored, none chosen: %s", why);

	/* DH NONE refused where a new key exchange is required. */
	ike_proposal_parse("aes128gcm16-esn", IKE_PROTO_ESP, &mine, why, sizeof(why));
	ike_proposal_parse("aes128gcm16-x25519-esn", IKE_PROTO_ESP, &peer, why, sizeof(why));
	peer.trans[peer.ntrans++] = dh_none;
	rc = ike_proposal_select(&mine, 1, &peer, 1, IKE_SELECT_DH_REQUIRED, &chosen, why,
				 sizeof(why));
	tap_ok(rc != 0 && strstr(why, "DH NONE is not allowed"),
	       "IKE_SELECT_DH_REQUIRED: DH NONE refused: %s", why);
	/* An IKE proposal (the IKE SA rekey) implies it. */
	ike_proposal_parse("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &mine, why, sizeof(why));
	mine.ntrans--;	/* drop our DH: only NONE could still match */
	ike_proposal_parse("aes256gcm16-prfsha256-x25519", IKE_PROTO_IKE, &peer, why, sizeof(why));
	peer.trans[peer.ntrans - 1] = dh_none;
	rc = ike_proposal_select(&mine, 1, &peer, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc != 0 && strstr(why, "DH NONE is not allowed"),
	       "an IKE proposal never agrees DH NONE: %s", why);
}

int main(void)
{
	test_parse();
	test_select();
	test_unknown_transform_type();
	test_none_transforms();
	return tap_done();
}
