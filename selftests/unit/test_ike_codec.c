// SPDX-License-Identifier: GPL-2.0
/*
 * ikehelper/message.c and payload.c: every RFC 7296 §3 payload (and SKF,
 * RFC 7383 §2.5) survives encode -> decode -> encode byte for byte, the SK
 * payload round-trips under every supported cipher, and hand-built
 * malformed messages are rejected with the error (and so the notify) that
 * RFC 7296 §2.21 calls for. Wire layouts are from RFC 7296 §3.1-3.16.
 */
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "ike.h"
#include "tap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Decoding into a message the test reuses releases what it held first. */
static int decode(const uint8_t *buf, size_t len, struct ike_msg *m, struct ike_error *err)
{
	ike_msg_release(m);
	return ike_msg_decode(buf, len, m, err);
}

static int decrypt(const uint8_t *buf, size_t len, const struct ike_msg *outer,
		   const struct ike_sk_keys *k, uint8_t *plain, size_t *plen,
		   struct ike_msg *inner, struct ike_error *err)
{
	ike_msg_release(inner);
	return ike_msg_decrypt(buf, len, outer, k, plain, plen, inner, err);
}

static uint8_t nonce[32], kedata[64], idata[] = "moon.example.org", cert[40];
static uint8_t authd[32], vid[] = "kesp", notd[20], spis[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static uint8_t addr4[4] = { 192, 0, 2, 1 }, eapd[] = { 1, 'x', 'y' };

static void fill_all(struct ike_msg *m)
{
	static struct ike_proposal props[2];
	static struct ike_ts tsi[2], tsr[1];
	static struct ike_cp_attr cpa[2];
	struct ike_payload *p = m->pl;

	memset(m, 0, sizeof(*m));
	memset(m->hdr.spi_i, 0x11, 8);
	m->hdr.exchange = IKE_SA_INIT;
	m->hdr.flags = IKE_FLAG_INITIATOR;
	m->hdr.msgid = 0;
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)i, kedata[i] = (uint8_t)(0xa0 + i), kedata[i + 32] = (uint8_t)i;
	memset(cert, 0x30, sizeof(cert));
	memset(authd, 0x5a, sizeof(authd));
	memset(notd, 0x4e, sizeof(notd));

	p->type = IKE_PL_SA;
	p->u.sa.nprop = 2;
	p->u.sa.prop = props;
	props[0] = (struct ike_proposal){ .num = 1, .protocol = IKE_PROTO_IKE, .ntrans = 4,
		.trans = { { IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 256 },
			   { IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_384, 0 },
			   { IKE_TRANS_DH, IKE_DH_CURVE25519, 0 },
			   { IKE_TRANS_DH, IKE_DH_ECP256, 0 } } };
	props[1] = (struct ike_proposal){ .num = 2, .protocol = IKE_PROTO_ESP,
		.spi_size = 4, .spi = { 0xde, 0xad, 0xbe, 0xef }, .ntrans = 3,
		.trans = { { IKE_TRANS_ENCR, IKE_ENCR_AES_CBC, 128 },
			   { IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0 },
			   { IKE_TRANS_ESN, 0, 0 } } };
	p++;
	p->type = IKE_PL_KE;
	p->u.ke.group = IKE_DH_ECP256;
	p->u.ke.data = (struct ike_slice){ kedata, 64 };
	p++;
	p->type = IKE_PL_IDI;
	p->u.typed.kind = 2;	/* ID_FQDN */
	p->u.typed.data = (struct ike_slice){ idata, sizeof(idata) - 1 };
	p++;
	p->type = IKE_PL_IDR;
	p->u.typed.kind = 1;	/* ID_IPV4_ADDR */
	p->u.typed.data = (struct ike_slice){ addr4, 4 };
	p++;
	p->type = IKE_PL_CERT;
	p->u.typed.kind = 4;	/* X.509 Certificate - Signature */
	p->u.typed.data = (struct ike_slice){ cert, sizeof(cert) };
	p++;
	p->type = IKE_PL_CERTREQ;
	p->u.typed.kind = 4;
	p->u.typed.data = (struct ike_slice){ authd, 20 };
	p++;
	p->type = IKE_PL_AUTH;
	p->u.typed.kind = 2;	/* Shared Key Message Integrity Code */
	p->u.typed.data = (struct ike_slice){ authd, sizeof(authd) };
	p++;
	p->type = IKE_PL_NONCE;
	p->u.raw = (struct ike_slice){ nonce, sizeof(nonce) };
	p++;
	p->type = IKE_PL_NOTIFY;
	p->u.notify.protocol = IKE_PROTO_ESP;
	p->u.notify.type = IKE_N_REKEY_SA;
	p->u.notify.spi = (struct ike_slice){ spis, 4 };
	p->u.notify.data = (struct ike_slice){ notd, sizeof(notd) };
	p++;
	p->type = IKE_PL_DELETE;
	p->u.del.protocol = IKE_PROTO_ESP;
	p->u.del.spi_size = 4;
	p->u.del.nspi = 2;
	p->u.del.spis = (struct ike_slice){ spis, 8 };
	p++;
	p->type = IKE_PL_VENDOR;
	p->u.raw = (struct ike_slice){ vid, 4 };
	p++;
	p->type = IKE_PL_TSI;
	p->u.ts.nts = 2;
	p->u.ts.ts = tsi;
	tsi[0] = (struct ike_ts){ IKE_TS_IPV4_ADDR_RANGE, 6, 0, 65535,
					 { 10, 0, 0, 0 }, { 10, 0, 0, 255 }, { NULL, 0 } };
	tsi[1] = (struct ike_ts){ IKE_TS_IPV6_ADDR_RANGE, 0, 500, 500,
					 { 0x20, 0x01, 0x0d, 0xb8 }, { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xff },
					 { NULL, 0 } };
	p++;
	p->type = IKE_PL_TSR;
	p->u.ts.nts = 1;
	p->u.ts.ts = tsr;
	tsr[0] = (struct ike_ts){ IKE_TS_IPV4_ADDR_RANGE, 17, 4500, 4500,
					 { 192, 0, 2, 0 }, { 192, 0, 2, 255 }, { NULL, 0 } };
	p++;
	p->type = IKE_PL_CP;
	p->u.cp.cfg_type = 1;	/* CFG_REQUEST */
	p->u.cp.nattr = 2;
	p->u.cp.attr = cpa;
	cpa[0] = (struct ike_cp_attr){ 1, { NULL, 0 } };	/* INTERNAL_IP4_ADDRESS */
	cpa[1] = (struct ike_cp_attr){ 3, { addr4, 4 } };	/* INTERNAL_IP4_DNS */
	p++;
	p->type = IKE_PL_EAP;
	p->u.eap.code = 2;	/* Response */
	p->u.eap.ident = 7;
	p->u.eap.data = (struct ike_slice){ eapd, sizeof(eapd) };
	p++;
	p->type = 60;		/* unassigned, not critical: kept raw */
	p->body = (struct ike_slice){ vid, 4 };
	p++;
	m->npl = (size_t)(p - m->pl);
}

static bool slice_eq(struct ike_slice a, struct ike_slice b)
{
	return a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len));
}

static bool trans_eq(const struct ike_proposal *a, const struct ike_proposal *b)
{
	if (a->num != b->num || a->protocol != b->protocol || a->spi_size != b->spi_size ||
	    a->ntrans != b->ntrans || memcmp(a->spi, b->spi, a->spi_size))
		return false;
	for (unsigned int i = 0; i < a->ntrans; i++)
		if (a->trans[i].type != b->trans[i].type || a->trans[i].id != b->trans[i].id ||
		    a->trans[i].keylen != b->trans[i].keylen)
			return false;
	return true;
}

static bool payload_eq(const struct ike_payload *a, const struct ike_payload *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case IKE_PL_SA:
		if (a->u.sa.nprop != b->u.sa.nprop)
			return false;
		for (unsigned int i = 0; i < a->u.sa.nprop; i++)
			if (!trans_eq(&a->u.sa.prop[i], &b->u.sa.prop[i]))
				return false;
		return true;
	case IKE_PL_KE:
		return a->u.ke.group == b->u.ke.group && slice_eq(a->u.ke.data, b->u.ke.data);
	case IKE_PL_IDI: case IKE_PL_IDR: case IKE_PL_CERT: case IKE_PL_CERTREQ: case IKE_PL_AUTH:
		return a->u.typed.kind == b->u.typed.kind && slice_eq(a->u.typed.data, b->u.typed.data);
	case IKE_PL_NONCE: case IKE_PL_VENDOR:
		return slice_eq(a->u.raw, b->u.raw);
	case IKE_PL_NOTIFY:
		return a->u.notify.protocol == b->u.notify.protocol &&
		       a->u.notify.type == b->u.notify.type &&
		       slice_eq(a->u.notify.spi, b->u.notify.spi) &&
		       slice_eq(a->u.notify.data, b->u.notify.data);
	case IKE_PL_DELETE:
		return a->u.del.protocol == b->u.del.protocol && a->u.del.nspi == b->u.del.nspi &&
		       a->u.del.spi_size == b->u.del.spi_size && slice_eq(a->u.del.spis, b->u.del.spis);
	case IKE_PL_TSI: case IKE_PL_TSR:
		if (a->u.ts.nts != b->u.ts.nts)
			return false;
		for (unsigned int i = 0; i < a->u.ts.nts; i++) {
			const struct ike_ts *x = &a->u.ts.ts[i], *y = &b->u.ts.ts[i];

			if (x->type != y->type || x->ipproto != y->ipproto ||
			    x->start_port != y->start_port || x->end_port != y->end_port ||
			    memcmp(x->start, y->start, 16) || memcmp(x->end, y->end, 16))
				return false;
		}
		return true;
	case IKE_PL_CP:
		if (a->u.cp.cfg_type != b->u.cp.cfg_type || a->u.cp.nattr != b->u.cp.nattr)
			return false;
		for (unsigned int i = 0; i < a->u.cp.nattr; i++)
			if (a->u.cp.attr[i].type != b->u.cp.attr[i].type ||
			    !slice_eq(a->u.cp.attr[i].value, b->u.cp.attr[i].value))
				return false;
		return true;
	case IKE_PL_EAP:
		return a->u.eap.code == b->u.eap.code && a->u.eap.ident == b->u.eap.ident &&
		       slice_eq(a->u.eap.data, b->u.eap.data);
	}
	return slice_eq(a->body, b->body);
}

static void test_roundtrip(void)
{
	static struct ike_msg m, d;
	static uint8_t buf[4096], buf2[4096];
	struct ike_buf b, b2;
	struct ike_error err = { 0 };
	int rc;

	fill_all(&m);
	ike_buf_init(&b, buf, sizeof(buf));
	TAP_EQ_INT(ike_msg_encode(&m, &b), 0, "message with every payload encodes");
	rc = decode(buf, b.len, &d, &err);
	tap_ok(rc == 0, "and decodes: %s", rc ? err.reason : "ok");
	TAP_EQ_INT(d.npl, m.npl, "same number of payloads");
	for (size_t i = 0; i < m.npl && i < d.npl; i++)
		tap_ok(payload_eq(&m.pl[i], &d.pl[i]), "%s payload round-trips",
		       ike_payload_name(m.pl[i].type));
	tap_ok(!memcmp(d.hdr.spi_i, m.hdr.spi_i, 8) && d.hdr.exchange == IKE_SA_INIT &&
	       d.hdr.flags == IKE_FLAG_INITIATOR && d.hdr.version == 0x20 &&
	       d.hdr.length == b.len, "header round-trips");
	ike_buf_init(&b2, buf2, sizeof(buf2));
	ike_msg_encode(&d, &b2);
	tap_ok(b2.len == b.len && !memcmp(buf, buf2, b.len), "re-encoding is byte-identical");
	/* The SA payload's wire form, RFC 7296 §3.3.1/3.3.2/3.3.5 by hand. */
	{
		const uint8_t *sa = buf + IKE_HDR_LEN;

		tap_ok(buf[16] == IKE_PL_SA && sa[0] == IKE_PL_KE && sa[4] == 2 && sa[8] == 1 &&
		       sa[9] == IKE_PROTO_IKE && sa[10] == 0 && sa[11] == 4 &&
		       sa[12] == 3 && sa[16] == IKE_TRANS_ENCR && sa[18] == 0 && sa[19] == 20 &&
		       sa[20] == 0x80 && sa[21] == 14 && sa[22] == 1 && sa[23] == 0,
		       "SA wire layout: last=2, proposal #1 IKE, 4 transforms, ENCR 20 keylen 256");
	}
	/* Too small an output buffer is an error, never an overflow. */
	ike_buf_init(&b2, buf2, 100);
	TAP_EQ_INT(ike_msg_encode(&m, &b2), -IKE_ERR_NOSPC, "short output buffer reported");
}

/*
 * Wire format against bytes written by hand from RFC 7296 §3.1 (header),
 * §3.2 (generic payload header), §3.4 (KE) and §3.10 (Notify).
 */
static void test_wire_layout(void)
{
	static const uint8_t want[] = {
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,	/* IKE SA initiator's SPI */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* responder's SPI */
		0x22, 0x20, 0x22, 0x08,		/* next KE(34), v2.0, IKE_SA_INIT(34), I */
		0x00, 0x00, 0x00, 0x00,		/* message ID */
		0x00, 0x00, 0x00, 0x34,		/* length 52 */
		0x29, 0x00, 0x00, 0x0c,		/* KE: next N(41), length 12 */
		0x00, 0x1f, 0x00, 0x00,		/* group 31, reserved */
		0x09, 0x08, 0x07, 0x06,		/* key exchange data */
		0x00, 0x80, 0x00, 0x0c,		/* N: last, critical bit, length 12 */
		0x00, 0x00, 0x40, 0x06,		/* protocol 0, SPI size 0, COOKIE */
		0xde, 0xad, 0xbe, 0xef,		/* notification data */
	};
	static const uint8_t ke[] = { 9, 8, 7, 6 }, cookie[] = { 0xde, 0xad, 0xbe, 0xef };
	static struct ike_msg m, d;
	uint8_t out[128];
	struct ike_buf b;
	struct ike_error err = { 0 };

	memset(&m, 0, sizeof(m));
	memset(m.hdr.spi_i, 0x11, 8);
	m.hdr.exchange = IKE_SA_INIT;
	m.hdr.flags = IKE_FLAG_INITIATOR;
	m.npl = 2;
	m.pl[0].type = IKE_PL_KE;
	m.pl[0].u.ke = (struct ike_pl_ke){ IKE_DH_CURVE25519, { ke, sizeof(ke) } };
	m.pl[1].type = IKE_PL_NOTIFY;
	m.pl[1].flags = IKE_PL_CRITICAL;
	m.pl[1].u.notify = (struct ike_pl_notify){ 0, IKE_N_COOKIE, { NULL, 0 },
						   { cookie, sizeof(cookie) } };
	ike_buf_init(&b, out, sizeof(out));
	tap_ok(!ike_msg_encode(&m, &b) && b.len == sizeof(want) && !memcmp(out, want, b.len),
	       "KE + Notify(COOKIE) encode to the RFC 7296 §3 layout");
	tap_ok(!decode(want, sizeof(want), &d, &err) && d.npl == 2 &&
	       d.pl[0].u.ke.group == 31 && d.pl[0].u.ke.data.len == 4 &&
	       d.pl[1].u.notify.type == IKE_N_COOKIE && d.pl[1].flags == IKE_PL_CRITICAL &&
	       d.pl[1].u.notify.data.len == 4 && d.hdr.msgid == 0 && d.hdr.length == 52,
	       "and the hand-written bytes decode to the same fields");
}

/* A hand-built message: header then the given payload bytes. */
static size_t raw(uint8_t *out, uint8_t first, const uint8_t *pl, size_t len, long length)
{
	memset(out, 0, IKE_HDR_LEN);
	memset(out, 0x11, 8);
	out[16] = first;
	out[17] = 0x20;
	out[18] = IKE_INFORMATIONAL;
	out[19] = IKE_FLAG_INITIATOR;
	if (length < 0)
		length = (long)(IKE_HDR_LEN + len);
	out[24] = (uint8_t)(length >> 24);
	out[25] = (uint8_t)(length >> 16);
	out[26] = (uint8_t)(length >> 8);
	out[27] = (uint8_t)length;
	memcpy(out + IKE_HDR_LEN, pl, len);
	return IKE_HDR_LEN + len;
}

/* A message of one payload of this type with this body. */
static size_t one_payload(uint8_t *out, uint8_t type, const uint8_t *body, size_t len)
{
	uint8_t pl[1024] = { 0, 0, (uint8_t)((4 + len) >> 8), (uint8_t)(4 + len) };

	memcpy(pl + 4, body, len);
	return raw(out, type, pl, 4 + len, -1);
}

static int decode_raw(uint8_t first, const uint8_t *pl, size_t len, struct ike_error *err)
{
	static struct ike_msg m;
	static uint8_t buf[2048];
	size_t n = raw(buf, first, pl, len, -1);

	memset(err, 0, sizeof(*err));
	return decode(buf, n, &m, err);
}

#define BAD(first, name, want, ...) do {					\
	static const uint8_t pl_[] = { __VA_ARGS__ };				\
	struct ike_error e_;							\
	int rc_ = decode_raw(first, pl_, sizeof(pl_), &e_);			\
	tap_ok(rc_ == -(want), "%s -> %s (%s)", name, ike_err_name(want), e_.reason); \
} while (0)

/* As BAD, and the reason must name the check that fired. */
#define BADR(first, name, want, needle, ...) do {				\
	static const uint8_t pl_[] = { __VA_ARGS__ };				\
	struct ike_error e_;							\
	int rc_ = decode_raw(first, pl_, sizeof(pl_), &e_);			\
	tap_ok(rc_ == -(want) && strstr(e_.reason, needle), "%s -> %s (%s)",	\
	       name, ike_err_name(want), e_.reason);				\
} while (0)

static void test_malformed(void)
{
	static struct ike_msg m;
	static uint8_t buf[8192];
	struct ike_error err;
	size_t n;
	static const uint8_t vendor[] = { 0, 0, 0, 8, 'k', 'e', 's', 'p' };

	/* Header problems (RFC 7296 §3.1). */
	n = raw(buf, IKE_PL_VENDOR, vendor, sizeof(vendor), -1);
	TAP_EQ_INT(decode(buf, n, &m, &err), 0, "well-formed reference message decodes");
	TAP_EQ_INT(decode(buf, 27, &m, &err), -IKE_ERR_SYNTAX, "27-byte message rejected");
	raw(buf, IKE_PL_VENDOR, vendor, sizeof(vendor), (long)n + 1);
	TAP_EQ_INT(decode(buf, n, &m, &err), -IKE_ERR_SYNTAX,
		   "header length longer than the datagram rejected");
	raw(buf, IKE_PL_VENDOR, vendor, sizeof(vendor), -1);
	buf[n] = 0;
	TAP_EQ_INT(decode(buf, n + 1, &m, &err), -IKE_ERR_SYNTAX,
		   "trailing garbage after the message rejected");
	raw(buf, IKE_PL_VENDOR, vendor, sizeof(vendor), 0xffffffff);
	TAP_EQ_INT(decode(buf, n, &m, &err), -IKE_ERR_SYNTAX, "length 0xffffffff rejected");
	raw(buf, IKE_PL_VENDOR, vendor, sizeof(vendor), -1);
	buf[17] = 0x10;
	TAP_EQ_INT(decode(buf, n, &m, &err), -IKE_ERR_IKEV1, "IKEv1 major version");
	TAP_EQ_INT(ike_err_notify(err.code, err.authenticated), 0,
		   "-> dropped, not answered with INVALID_MAJOR_VERSION (RFC 7296 §2.5)");
	buf[17] = 0x30;
	TAP_EQ_INT(decode(buf, n, &m, &err), -IKE_ERR_MAJOR_VERSION, "IKE major version 3");
	TAP_EQ_INT(ike_err_notify(err.code, err.authenticated), IKE_N_INVALID_MAJOR_VERSION,
		   "-> INVALID_MAJOR_VERSION");
	buf[17] = 0x00;
	TAP_EQ_INT(decode(buf, n, &m, &err), -IKE_ERR_SYNTAX, "major version 0: dropped");
	buf[17] = 0x21;
	TAP_EQ_INT(decode(buf, n, &m, &err), 0, "higher minor version accepted");

	/* Generic payload header (§3.2). */
	BADR(IKE_PL_VENDOR, "payload length 0 (would loop forever)", IKE_ERR_SYNTAX,
	     "shorter than its header", IKE_PL_VENDOR, 0, 0, 0);
	BADR(IKE_PL_VENDOR, "payload length 3", IKE_ERR_SYNTAX, "shorter than its header",
	     0, 0, 0, 3);
	BADR(IKE_PL_VENDOR, "payload length overruns message", IKE_ERR_SYNTAX, "overruns",
	     0, 0, 0, 9, 'k', 'e', 's', 'p');
	BAD(IKE_PL_VENDOR, "truncated generic header", IKE_ERR_SYNTAX,
	    IKE_PL_VENDOR, 0, 0, 4, 0, 0);
	BAD(IKE_PL_VENDOR, "chain ends before the message does", IKE_ERR_SYNTAX,
	    0, 0, 0, 4, 0xde, 0xad);
	BAD(IKE_PL_VENDOR, "next payload announced but missing", IKE_ERR_SYNTAX,
	    IKE_PL_NOTIFY, 0, 0, 4);
	BAD(60, "unknown critical payload", IKE_ERR_CRITICAL, 0, 0x80, 0, 4);
	TAP_EQ_INT(decode_raw(60, (const uint8_t[]){ 0, 0x80, 0, 4 }, 4, &err), -IKE_ERR_CRITICAL,
		   "critical again, to inspect the error");
	TAP_EQ_INT(err.payload, 60, "error names the payload type");
	TAP_EQ_INT(ike_err_notify(err.code, err.authenticated), IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
		   "-> UNSUPPORTED_CRITICAL_PAYLOAD");
	BAD(60, "unknown non-critical payload skipped", IKE_OK, 0, 0x00, 0, 5, 1);
	BAD(IKE_PL_VENDOR, "known payload with critical bit is fine", IKE_OK, 0, 0x80, 0, 4);
	/* A long chain of empty Vendor IDs: bounded by IKE_MAX_PAYLOADS. */
	{
		uint8_t pl[4 * 70];

		for (int i = 0; i < 70; i++) {
			pl[4 * i] = i == 69 ? 0 : IKE_PL_VENDOR;
			pl[4 * i + 1] = 0, pl[4 * i + 2] = 0, pl[4 * i + 3] = 4;
		}
		TAP_EQ_INT(decode_raw(IKE_PL_VENDOR, pl, sizeof(pl), &err), -IKE_ERR_SYNTAX,
			   "70 payloads exceed the payload limit");
	}

	/* SA (§3.3). */
	BAD(IKE_PL_SA, "SA without proposals", IKE_ERR_SYNTAX, 0, 0, 0, 4);
	BAD(IKE_PL_SA, "proposal length overruns SA", IKE_ERR_SYNTAX,
	    0, 0, 0, 12, 0, 0, 0, 40, 1, 1, 0, 0);
	BAD(IKE_PL_SA, "proposal without transforms", IKE_ERR_SYNTAX,
	    0, 0, 0, 12, 0, 0, 0, 8, 1, 1, 0, 0);
	BAD(IKE_PL_SA, "transform count larger than present", IKE_ERR_SYNTAX,
	    0, 0, 0, 20, 0, 0, 0, 16, 1, 1, 0, 2, 0, 0, 0, 8, 1, 0, 0, 12);
	BAD(IKE_PL_SA, "bytes after the last transform", IKE_ERR_SYNTAX,
	    0, 0, 0, 24, 0, 0, 0, 20, 1, 1, 0, 1, 0, 0, 0, 8, 1, 0, 0, 12, 9, 9, 9, 9);
	BAD(IKE_PL_SA, "transform length below 8", IKE_ERR_SYNTAX,
	    0, 0, 0, 20, 0, 0, 0, 16, 1, 1, 0, 1, 0, 0, 0, 4, 1, 0, 0, 12);
	BAD(IKE_PL_SA, "SPI size 9", IKE_ERR_SYNTAX,
	    0, 0, 0, 29, 0, 0, 0, 25, 1, 3, 9, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9,
	    0, 0, 0, 8, 1, 0, 0, 12);
	BAD(IKE_PL_SA, "unknown protocol 7 (that proposal is unacceptable)", IKE_OK,
	    0, 0, 0, 20, 0, 0, 0, 16, 1, 7, 0, 1, 0, 0, 0, 8, 1, 0, 0, 12);
	BAD(IKE_PL_SA, "last proposal flagged 'more follow'", IKE_ERR_SYNTAX,
	    0, 0, 0, 20, 2, 0, 0, 16, 1, 1, 0, 1, 0, 0, 0, 8, 1, 0, 0, 12);
	BAD(IKE_PL_SA, "first proposal numbered 2", IKE_ERR_SYNTAX,
	    0, 0, 0, 20, 0, 0, 0, 16, 2, 1, 0, 1, 0, 0, 0, 8, 1, 0, 0, 12);
	BAD(IKE_PL_SA, "unknown TV attribute (that transform is unacceptable)", IKE_OK,
	    0, 0, 0, 24, 0, 0, 0, 20, 1, 1, 0, 1, 0, 0, 0, 12, 1, 0, 0, 12, 0x80, 15, 0, 128);
	BAD(IKE_PL_SA, "TLV attribute overruns transform", IKE_ERR_SYNTAX,
	    0, 0, 0, 24, 0, 0, 0, 20, 1, 1, 0, 1, 0, 0, 0, 12, 1, 0, 0, 12, 0, 14, 0, 9);
	BAD(IKE_PL_SA, "truncated attribute", IKE_ERR_SYNTAX,
	    0, 0, 0, 22, 0, 0, 0, 18, 1, 1, 0, 1, 0, 0, 0, 10, 1, 0, 0, 12, 0x80, 14);
	BAD(IKE_PL_SA, "well-formed one-transform SA", IKE_OK,
	    0, 0, 0, 24, 0, 0, 0, 20, 1, 1, 0, 1, 0, 0, 0, 12, 1, 0, 0, 12, 0x80, 14, 0, 128);

	/* The other payloads. */
	BAD(IKE_PL_KE, "KE without data", IKE_ERR_SYNTAX, 0, 0, 0, 8, 0, 19, 0, 0);
	BAD(IKE_PL_KE, "KE shorter than its header", IKE_ERR_SYNTAX, 0, 0, 0, 6, 0, 19);
	BAD(IKE_PL_IDI, "ID shorter than its header", IKE_ERR_SYNTAX, 0, 0, 0, 7, 2, 0, 0);
	BAD(IKE_PL_AUTH, "AUTH without data", IKE_ERR_SYNTAX, 0, 0, 0, 8, 2, 0, 0, 0);
	BAD(IKE_PL_CERT, "CERT without encoding", IKE_ERR_SYNTAX, 0, 0, 0, 4);
	BAD(IKE_PL_NONCE, "15-byte nonce", IKE_ERR_SYNTAX,
	    0, 0, 0, 19, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	BAD(IKE_PL_NOTIFY, "Notify SPI size overruns", IKE_ERR_SYNTAX,
	    0, 0, 0, 10, 3, 4, 0x40, 0x06, 1, 2);
	BAD(IKE_PL_NOTIFY, "Notify shorter than its header", IKE_ERR_SYNTAX, 0, 0, 0, 6, 0, 0);
	BAD(IKE_PL_DELETE, "Delete SPI count mismatch", IKE_ERR_SYNTAX,
	    0, 0, 0, 12, 3, 4, 0, 2, 1, 2, 3, 4);
	BAD(IKE_PL_DELETE, "Delete of IKE SA with SPIs", IKE_ERR_SYNTAX,
	    0, 0, 0, 12, 1, 4, 0, 1, 1, 2, 3, 4);
	BAD(IKE_PL_DELETE, "Delete count overflow (0xffff * 255)", IKE_ERR_SYNTAX,
	    0, 0, 0, 8, 3, 0xff, 0xff, 0xff);
	BAD(IKE_PL_TSI, "TS count 2 but one present", IKE_ERR_SYNTAX,
	    0, 0, 0, 24, 2, 0, 0, 0, 7, 0, 0, 16, 0, 0, 0xff, 0xff, 10, 0, 0, 0, 10, 0, 0, 9);
	BAD(IKE_PL_TSI, "TS IPv4 with length 40", IKE_ERR_SYNTAX,
	    0, 0, 0, 24, 1, 0, 0, 0, 7, 0, 0, 40, 0, 0, 0xff, 0xff, 10, 0, 0, 0, 10, 0, 0, 9);
	BAD(IKE_PL_TSR, "TS of unknown type 9 (for TS_UNACCEPTABLE, not INVALID_SYNTAX)", IKE_OK,
	    0, 0, 0, 24, 1, 0, 0, 0, 9, 0, 0, 16, 0, 0, 0xff, 0xff, 10, 0, 0, 0, 10, 0, 0, 9);
	BAD(IKE_PL_TSR, "TS count 0", IKE_ERR_SYNTAX, 0, 0, 0, 8, 0, 0, 0, 0);
	BAD(IKE_PL_CP, "CP attribute overruns", IKE_ERR_SYNTAX,
	    0, 0, 0, 12, 1, 0, 0, 0, 0, 1, 0, 4);
	BAD(IKE_PL_CP, "CP attribute header truncated", IKE_ERR_SYNTAX,
	    0, 0, 0, 10, 1, 0, 0, 0, 0, 1);
	BAD(IKE_PL_EAP, "EAP length differs from payload", IKE_ERR_SYNTAX,
	    0, 0, 0, 9, 2, 1, 0, 9, 1);
	BAD(IKE_PL_EAP, "EAP shorter than its header", IKE_ERR_SYNTAX, 0, 0, 0, 6, 2, 1);
	BAD(IKE_PL_SKF, "SKF fragment 0", IKE_ERR_SYNTAX, 0, 0, 0, 8, 0, 0, 0, 1);
	BAD(IKE_PL_SKF, "SKF fragment 3 of 2", IKE_ERR_SYNTAX, 0, 0, 0, 8, 0, 3, 0, 2);
	/* RFC 7383 §2.5: SKF must be the last payload, not the only one. */
	BAD(IKE_PL_VENDOR, "SKF after a Vendor ID", IKE_OK,
	    IKE_PL_SKF, 0, 0, 4, 0, 0, 0, 8, 0, 1, 0, 1);
	BAD(IKE_PL_SKF, "SKF before another payload", IKE_ERR_SYNTAX,
	    IKE_PL_VENDOR, 0, 0, 8, 0, 1, 0, 1, 0, 0, 0, 4);
	/* ... and only fragment 1 names the first inner payload. */
	BAD(IKE_PL_SKF, "SKF fragment 1 of 2 naming IDi", IKE_OK, IKE_PL_IDI, 0, 0, 8, 0, 1, 0, 2);
	BADR(IKE_PL_SKF, "SKF fragment 2 of 2 naming IDi", IKE_ERR_SYNTAX, "only fragment 1",
	     IKE_PL_IDI, 0, 0, 8, 0, 2, 0, 2);
	BAD(IKE_PL_SKF, "SKF fragment 2 of 2 with next 0", IKE_OK, 0, 0, 0, 8, 0, 2, 0, 2);
	BAD(IKE_PL_SK, "SK not the last payload", IKE_ERR_SYNTAX,
	    IKE_PL_NOTIFY, 0, 0, 4, 0, 0, 0, 8, 0, 0, 0x40, 0x00);
	BAD(IKE_PL_SK, "zero-length SK decodes (decrypt must refuse it)", IKE_OK, 0, 0, 0, 4);
}

/*
 * RFC 7296 §3.3.1: in a request the proposals are numbered 1, 2, 3...; the
 * response carries the one accepted proposal under the number it had in
 * the request. The decoder learns which it is from the header's R bit.
 */
static int decode_sa(uint8_t flags, const struct ike_proposal *props, size_t n,
		     struct ike_msg *d, struct ike_error *err)
{
	static struct ike_msg m;
	static uint8_t out[1024];
	struct ike_buf b;

	memset(&m, 0, sizeof(m));
	memset(m.hdr.spi_i, 0x11, 8);
	m.hdr.exchange = IKE_SA_INIT;
	m.hdr.flags = flags;
	m.npl = 1;
	m.pl[0].type = IKE_PL_SA;
	m.pl[0].u.sa.nprop = (uint8_t)n;
	m.pl[0].u.sa.prop = props;
	ike_buf_init(&b, out, sizeof(out));
	if (ike_msg_encode(&m, &b))
		return -IKE_ERR_NOSPC;
	memset(err, 0, sizeof(*err));
	return decode(out, b.len, d, err);
}

static void test_proposal_numbers(void)
{
	static struct ike_msg d;
	struct ike_proposal mine, peer[2], chosen, two[2];
	struct ike_error err;
	char why[512];
	int rc;

	ike_proposal_parse("aes256gcm16-prfsha384-x25519", IKE_PROTO_IKE, &mine, why, sizeof(why));
	ike_proposal_parse("aes128-sha256-modp2048", IKE_PROTO_IKE, &peer[0], why, sizeof(why));
	ike_proposal_parse("aes256gcm16-prfsha384-x25519", IKE_PROTO_IKE, &peer[1], why, sizeof(why));
	peer[1].num = 2;
	rc = decode_sa(IKE_FLAG_INITIATOR, peer, 2, &d, &err);
	tap_ok(rc == 0, "request with proposals #1 and #2 decodes (%s)", rc ? err.reason : "ok");
	rc = ike_proposal_select(&mine, 1, d.pl[0].u.sa.prop, d.pl[0].u.sa.nprop, 0, &chosen,
				 why, sizeof(why));
	TAP_EQ_INT(rc == 0 ? chosen.num : 0, 2, "the responder accepts the peer's proposal #2");
	rc = decode_sa(IKE_FLAG_RESPONSE, &chosen, 1, &d, &err);
	tap_ok(rc == 0 && d.pl[0].u.sa.nprop == 1 && d.pl[0].u.sa.prop[0].num == 2,
	       "a response carrying accepted proposal #2 decodes (%s)", rc ? err.reason : "ok");
	rc = decode_sa(IKE_FLAG_INITIATOR, &chosen, 1, &d, &err);
	tap_ok(rc == -IKE_ERR_SYNTAX && strstr(err.reason, "out of sequence"),
	       "a request whose first proposal is #2 is refused (%s)", err.reason);
	two[0] = peer[0];
	two[1] = peer[1];
	two[1].num = 1;
	rc = decode_sa(IKE_FLAG_INITIATOR, two, 2, &d, &err);
	tap_ok(rc == -IKE_ERR_SYNTAX && strstr(err.reason, "repeated"),
	       "a request numbering two proposals #1 (an IKEv1 habit) is refused (%s)", err.reason);
	two[1].num = 2;
	rc = decode_sa(IKE_FLAG_RESPONSE, two, 2, &d, &err);
	tap_ok(rc == -IKE_ERR_SYNTAX && strstr(err.reason, "one proposal"),
	       "a response with two proposals is refused (%s)", err.reason);
	chosen.num = 0;
	rc = decode_sa(IKE_FLAG_RESPONSE, &chosen, 1, &d, &err);
	tap_ok(rc == -IKE_ERR_SYNTAX, "a response with proposal #0 is refused (%s)", err.reason);
}

/*
 * RFC 7296 §3.3.6: a transform attribute we do not understand makes that
 * transform unacceptable, an unknown protocol ID that proposal; neither is
 * a syntax error. Likewise an unknown traffic selector type (the answer is
 * TS_UNACCEPTABLE) and EAP codes 5/6 (RFC 6696 Initiate/Finish).
 */
static void test_unknown_parts(void)
{
	static struct ike_msg d;
	static uint8_t out[512];
	struct ike_proposal mine, chosen;
	const struct ike_pl_sa *sa;
	struct ike_error err;
	struct ike_buf b;
	char why[1024];
	int rc;
	/* #1: AES-CBC-128 with TV attribute 15 and TLV attribute 17; #2 the
	 * same suite cleanly; #3 protocol 7 (not assigned). */
	static const uint8_t sa_pl[] = {
		2, 0, 0, 54, 1, 1, 0, 4,
		3, 0, 0, 22, 1, 0, 0, 12, 0x80, 14, 0, 128, 0x80, 15, 0, 1, 0, 17, 0, 2, 9, 9,
		3, 0, 0, 8, 3, 0, 0, 12, 3, 0, 0, 8, 2, 0, 0, 5, 0, 0, 0, 8, 4, 0, 0, 14,
		2, 0, 0, 44, 2, 1, 0, 4,
		3, 0, 0, 12, 1, 0, 0, 12, 0x80, 14, 0, 128,
		3, 0, 0, 8, 3, 0, 0, 12, 3, 0, 0, 8, 2, 0, 0, 5, 0, 0, 0, 8, 4, 0, 0, 14,
		0, 0, 0, 16, 3, 7, 0, 1, 0, 0, 0, 8, 1, 0, 0, 12,
	};
	static const uint8_t ts_pl[] = {
		2, 0, 0, 0,
		7, 6, 0, 16, 0, 0, 0xff, 0xff, 10, 0, 0, 0, 10, 0, 0, 255,
		10, 0, 0, 12, 0, 0, 0, 4, 's', 'y', 's', '_',	/* RFC 9478 TS_SECLABEL */
	};

	static uint8_t buf[1024];
	size_t n;

	n = one_payload(buf, IKE_PL_SA, sa_pl, sizeof(sa_pl));
	rc = decode(buf, n, &d, &err);
	tap_ok(rc == 0, "SA with an unknown attribute and an unknown protocol decodes (%s)",
	       rc ? err.reason : "ok");
	sa = &d.pl[0].u.sa;
	tap_ok(rc == 0 && sa->nprop == 3 && (sa->prop[0].trans[0].flags & IKE_TRANSFORM_UNKNOWN_ATTR) &&
	       sa->prop[0].trans[0].keylen == 128 && !sa->prop[1].trans[0].flags &&
	       (sa->prop[2].flags & IKE_PROPOSAL_UNKNOWN_PROTOCOL) && !sa->prop[0].flags,
	       "the transform and the proposal are marked, the rest is not");
	ike_proposal_parse("aes128-sha256-modp2048", IKE_PROTO_IKE, &mine, why, sizeof(why));
	rc = rc ? rc : ike_proposal_select(&mine, 1, sa->prop, sa->nprop, 0, &chosen, why, sizeof(why));
	tap_ok(rc == 0 && chosen.num == 2, "the clean proposal #2 is chosen: %s", why);
	rc = ike_proposal_select(&mine, 1, sa->prop, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc != 0 && strstr(why, "aes128(unknown attribute)"),
	       "the marked transform is never chosen: %s", why);
	rc = ike_proposal_select(&mine, 1, sa->prop + 2, 1, 0, &chosen, why, sizeof(why));
	tap_ok(rc != 0 && strstr(why, "protocol 7"), "nor the unknown protocol: %s", why);

	{
		n = one_payload(buf, IKE_PL_TSI, ts_pl, sizeof(ts_pl));
		rc = decode(buf, n, &d, &err);
		tap_ok(rc == 0 && d.pl[0].u.ts.nts == 2 && d.pl[0].u.ts.ts[1].type == 10 &&
		       d.pl[0].u.ts.ts[1].data.len == 8 && !memcmp(d.pl[0].u.ts.ts[1].data.p + 4, "sys_", 4),
		       "TS payload with a TS_SECLABEL selector decodes, its bytes kept (%s)",
		       rc ? err.reason : "ok");
		ike_buf_init(&b, out, sizeof(out));
		tap_ok(!ike_msg_encode(&d, &b) && b.len == n && !memcmp(out, buf, n),
		       "and re-encodes byte for byte");
		TAP_EQ_INT(ike_ts_known(10), false, "TS type 10 is not one we can narrow");
		TAP_EQ_INT(ike_ts_known(IKE_TS_IPV6_ADDR_RANGE), true, "TS type 8 is");
	}
	tap_ok(decode_raw(IKE_PL_EAP, (const uint8_t[]){ 0, 0, 0, 9, 5, 3, 0, 5, 1 }, 9, &err) == 0,
	       "EAP code 5 (RFC 6696 Initiate) decodes (%s)", err.reason);
	tap_ok(decode_raw(IKE_PL_EAP, (const uint8_t[]){ 0, 0, 0, 9, 6, 3, 0, 5, 1 }, 9, &err) == 0,
	       "EAP code 6 (RFC 6696 Finish) decodes (%s)", err.reason);
	TAP_EQ_INT(decode_raw(IKE_PL_EAP, (const uint8_t[]){ 0, 0, 0, 8, 5, 3, 0, 4 }, 8, &err),
		   -IKE_ERR_SYNTAX, "EAP Initiate without a type is refused");
}

/* ---- sizes real peers send (issue 13 item 6) ----------------------------- */

struct wire_tf {
	uint8_t type;
	uint16_t id, keylen;
};

/* Our own writer for one proposal substructure (RFC 7296 §3.3.1-3.3.5),
 * independent of the encoder under test. */
static size_t wire_proposal(uint8_t *out, bool last, uint8_t num, const struct wire_tf *t,
			    size_t n)
{
	size_t off = 8;

	for (size_t i = 0; i < n; i++) {
		size_t tl = t[i].keylen ? 12 : 8;

		out[off] = i + 1 == n ? 0 : 3;
		out[off + 1] = 0;
		out[off + 2] = 0, out[off + 3] = (uint8_t)tl;
		out[off + 4] = t[i].type, out[off + 5] = 0;
		out[off + 6] = (uint8_t)(t[i].id >> 8), out[off + 7] = (uint8_t)t[i].id;
		if (t[i].keylen) {
			out[off + 8] = 0x80, out[off + 9] = IKE_ATTR_KEY_LENGTH;
			out[off + 10] = (uint8_t)(t[i].keylen >> 8), out[off + 11] = (uint8_t)t[i].keylen;
		}
		off += tl;
	}
	out[0] = last ? 0 : 2, out[1] = 0;
	out[2] = (uint8_t)(off >> 8), out[3] = (uint8_t)off;
	out[4] = num, out[5] = IKE_PROTO_IKE, out[6] = 0, out[7] = (uint8_t)n;
	return off;
}

/*
 * strongSwan 5.9.8's "proposals = default" as proposal_add_supported_ike()
 * builds it when charon's crypto plugins provide AES, Camellia, 3DES,
 * SHA-1/SHA-2, XCBC, CMAC and all of its ECP, Brainpool, Curve25519/448 and
 * MODP groups: one classic proposal and one AEAD proposal, 38 transforms
 * each (round 1 algorithms, then the weaker round 2/3 ones, in its order).
 */
#define ENCR(id, kl) { IKE_TRANS_ENCR, id, kl }
#define INTEG(id) { IKE_TRANS_INTEG, id, 0 }
#define PRF(id) { IKE_TRANS_PRF, id, 0 }
#define KE(id) { IKE_TRANS_DH, id, 0 }
#define SWAN_PRFS PRF(5), PRF(6), PRF(7), PRF(4), PRF(8), PRF(2)
#define SWAN_KES KE(19), KE(20), KE(21), KE(28), KE(29), KE(30), KE(31), KE(32), \
	KE(15), KE(16), KE(17), KE(18), KE(14)
static const struct wire_tf swan_default[] = {
	ENCR(12, 128), ENCR(12, 192), ENCR(12, 256), ENCR(13, 128), ENCR(13, 192), ENCR(13, 256),
	ENCR(23, 128), ENCR(23, 192), ENCR(23, 256), ENCR(24, 128), ENCR(24, 192), ENCR(24, 256),
	ENCR(3, 0),
	INTEG(12), INTEG(13), INTEG(14), INTEG(5), INTEG(8), INTEG(2),
	SWAN_PRFS, SWAN_KES,
};
static const struct wire_tf swan_default_aead[] = {
	ENCR(20, 128), ENCR(20, 192), ENCR(20, 256), ENCR(16, 128), ENCR(16, 192), ENCR(16, 256),
	ENCR(28, 0),
	ENCR(19, 128), ENCR(19, 192), ENCR(19, 256), ENCR(18, 128), ENCR(18, 192), ENCR(18, 256),
	ENCR(15, 128), ENCR(15, 192), ENCR(15, 256), ENCR(14, 128), ENCR(14, 192), ENCR(14, 256),
	SWAN_PRFS, SWAN_KES,
};

static void test_real_peer_sizes(void)
{
	static struct ike_msg d;
	static uint8_t body[4096], buf[4200];
	struct ike_proposal mine[2], chosen;
	struct ike_error err;
	const struct ike_pl_sa *sa;
	size_t n = 0, len;
	char why[1024];
	int rc;

	n += wire_proposal(body, false, 1, swan_default, ARRAY_LEN(swan_default));
	n += wire_proposal(body + n, true, 2, swan_default_aead, ARRAY_LEN(swan_default_aead));
	len = one_payload(buf, IKE_PL_SA, body, n);
	rc = decode(buf, len, &d, &err);
	tap_ok(rc == 0, "strongSwan's default IKE proposals (2 x %zu transforms) decode (%s)",
	       ARRAY_LEN(swan_default), rc ? err.reason : "ok");
	sa = &d.pl[0].u.sa;
	tap_ok(rc == 0 && sa->nprop == 2 && sa->prop[0].ntrans == ARRAY_LEN(swan_default) &&
	       sa->prop[1].ntrans == ARRAY_LEN(swan_default_aead) && !sa->prop[0].flags,
	       "every transform is kept");
	ike_proposal_parse("aes256gcm16-prfsha384-x25519", IKE_PROTO_IKE, &mine[0], why, sizeof(why));
	ike_proposal_parse("aes128-sha256-ecp256", IKE_PROTO_IKE, &mine[1], why, sizeof(why));
	rc = rc ? rc : ike_proposal_select(mine, 2, sa->prop, sa->nprop, 0, &chosen, why, sizeof(why));
	tap_ok(rc == 0 && chosen.num == 2 && chosen.ntrans == 3, "and our AEAD proposal matches "
	       "their #2: %s", why);
	rc = rc ? rc : ike_proposal_select(mine + 1, 1, sa->prop, sa->nprop, 0, &chosen, why,
					   sizeof(why));
	tap_ok(rc == 0 && chosen.num == 1 && chosen.ntrans == 4, "our CBC proposal their #1: %s", why);
	ike_msg_release(&d);

	/* Beyond what we hold: 70 transforms make the proposal unacceptable. */
	{
		struct wire_tf many[70];

		for (size_t i = 0; i < 70; i++)
			many[i] = (struct wire_tf){ IKE_TRANS_DH, (uint16_t)(100 + i), 0 };
		many[0] = (struct wire_tf)ENCR(20, 256);
		many[1] = (struct wire_tf)PRF(6);
		many[2] = (struct wire_tf)KE(31);
		n = wire_proposal(body, true, 1, many, 70);
		len = one_payload(buf, IKE_PL_SA, body, n);
		rc = ike_msg_decode(buf, len, &d, &err);
		sa = &d.pl[0].u.sa;
		tap_ok(rc == 0 && sa->prop[0].ntrans == IKE_MAX_TRANSFORMS &&
		       (sa->prop[0].flags & IKE_PROPOSAL_TOO_MANY_TRANSFORMS),
		       "a proposal of 70 transforms decodes, marked (%s)", rc ? err.reason : "ok");
		rc = rc ? rc : ike_proposal_select(mine, 1, sa->prop, 1, 0, &chosen, why, sizeof(why));
		tap_ok(rc == -IKE_ERR_NO_PROPOSAL && strstr(why, "more than the 64 transforms"),
		       "and is not chosen: %s", why);
		ike_msg_release(&d);
	}

	/* A road warrior's split tunnel: 40 selectors, 40 CP attributes. */
	body[0] = 40, body[1] = body[2] = body[3] = 0;
	for (n = 4; n < 4 + 40 * 16; n += 16) {
		static const uint8_t ts4[16] = { 7, 0, 0, 16, 0, 0, 0xff, 0xff, 10, 0, 0, 0, 10, 0, 0, 255 };

		memcpy(body + n, ts4, 16);
		body[n + 9] = body[n + 13] = (uint8_t)n;
	}
	len = one_payload(buf, IKE_PL_TSR, body, n);
	rc = decode(buf, len, &d, &err);
	tap_ok(rc == 0 && d.pl[0].u.ts.nts == 40 && d.pl[0].u.ts.ts[39].start[1] == (uint8_t)(4 + 39 * 16),
	       "a TS payload of 40 selectors decodes (%s)", rc ? err.reason : "ok");
	ike_msg_release(&d);
	body[0] = 2, body[1] = body[2] = body[3] = 0;	/* CFG_REPLY */
	for (n = 4; n < 4 + 40 * 12; n += 12) {
		/* INTERNAL_IP4_SUBNET (13): address and netmask */
		static const uint8_t subnet[12] = { 0, 13, 0, 8, 10, 0, 0, 0, 255, 255, 255, 0 };

		memcpy(body + n, subnet, 12);
		body[n + 5] = (uint8_t)n;
	}
	len = one_payload(buf, IKE_PL_CP, body, n);
	/* ... and the message stays small: its arrays are allocated to fit
	 * (it was 160 KB with fixed arrays in each of its 64 payload slots). */
	tap_ok(sizeof(struct ike_msg) <= 8192, "struct ike_msg is %zu bytes", sizeof(struct ike_msg));
	rc = decode(buf, len, &d, &err);
	tap_ok(rc == 0 && d.pl[0].u.cp.nattr == 40 && d.pl[0].u.cp.attr[39].value.len == 8,
	       "a CP payload of 40 attributes decodes (%s)", rc ? err.reason : "ok");
	ike_msg_release(&d);
}

struct suite {
	const char *name;
	unsigned int encr, bits, integ;
};

static const struct suite suites[] = {
	{ "AES-GCM-16-128", IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE },
	{ "AES-GCM-16-256", IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE },
	{ "ChaCha20-Poly1305", IKE_ENCR_CHACHA20_POLY1305, 256, IKE_INTEG_NONE },
	{ "AES-CBC-128/HMAC-SHA2-256-128", IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128 },
	{ "AES-CBC-256/HMAC-SHA2-384-192", IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192 },
	{ "AES-CBC-256/HMAC-SHA2-512-256", IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256 },
	{ "AES-CBC-128/HMAC-SHA1-96", IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA1_96 },
	{ "AES-GCM-16-192", IKE_ENCR_AES_GCM_16, 192, IKE_INTEG_NONE },
	{ "AES-CBC-192/HMAC-SHA1-96", IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA1_96 },
};

static void make_keys(const struct suite *s, struct ike_sk_keys *k)
{
	memset(k, 0, sizeof(*k));
	k->encr = s->encr;
	k->encr_bits = s->bits;
	k->integ = s->integ;
	k->ekey_len = ike_encr_key_len(s->encr, s->bits);
	k->akey_len = ike_integ_key_len(s->integ);
	for (size_t i = 0; i < sizeof(k->ekey); i++)
		k->ekey[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(k->akey); i++)
		k->akey[i] = (uint8_t)(i * 13);
}

static void test_sk(void)
{
	static struct ike_msg all, outer, inner;
	static uint8_t buf[4096], plain[4096];
	struct ike_error err = { 0 };
	struct ike_buf b;
	size_t plen;

	fill_all(&all);
	all.npl--;	/* drop the unknown type: decrypt keeps it, compare skips it */
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		const struct suite *s = &suites[i];
		struct ike_sk_keys k, wrong;
		bool same = true;
		int rc;

		make_keys(s, &k);
		ike_buf_init(&b, buf, sizeof(buf));
		all.hdr.exchange = IKE_AUTH;
		all.hdr.msgid = 1;
		rc = ike_msg_encode_sk(&all.hdr, all.pl, 1, all.pl + 1, all.npl - 1, &k, NULL, &b, &err);
		tap_ok(rc == 0, "%s: protect", s->name);
		rc = decode(buf, b.len, &outer, &err);
		tap_ok(rc == 0 && outer.npl == 2 && outer.pl[1].type == IKE_PL_SK,
		       "%s: outer SA + SK decode", s->name);
		rc = decrypt(buf, b.len, &outer, &k, plain, &plen, &inner, &err);
		tap_ok(rc == 0 && inner.npl == all.npl - 1, "%s: unprotect (%s)", s->name,
		       rc ? err.reason : "ok");
		for (size_t j = 0; j < inner.npl; j++)
			same = same && payload_eq(&inner.pl[j], &all.pl[j + 1]);
		tap_ok(same, "%s: every inner payload round-trips", s->name);
		wrong = k;
		wrong.ekey[0] ^= 1;
		wrong.akey[0] ^= 1;
		rc = decrypt(buf, b.len, &outer, &wrong, plain, &plen, &inner, &err);
		TAP_EQ_INT(rc, -IKE_ERR_INTEGRITY, "wrong key: integrity failure");
		TAP_EQ_INT(ike_err_notify(err.code, err.authenticated), 0,
			   "integrity failures are dropped silently");
		buf[b.len - 1] ^= 1;
		rc = decrypt(buf, b.len, &outer, &k, plain, &plen, &inner, &err);
		TAP_EQ_INT(rc, -IKE_ERR_INTEGRITY, "flipped ICV bit: integrity failure");
		buf[b.len - 1] ^= 1;
		buf[IKE_HDR_LEN + 4] ^= 1;	/* inside the SA payload: covered by AAD/MAC */
		rc = decrypt(buf, b.len, &outer, &k, plain, &plen, &inner, &err);
		TAP_EQ_INT(rc, -IKE_ERR_INTEGRITY, "modified unencrypted payload: integrity failure");
	}
}

/*
 * RFC 7296 §2.5 and §2.21.2: an unknown payload marked critical in a
 * protected message is answered only once the ICV verified; a forged
 * message must stay unanswered. In an unprotected one (IKE_SA_INIT) the
 * decoder reports it at once.
 */
static void test_critical_after_icv(void)
{
	static struct ike_msg m, inner;
	static uint8_t buf[512], plain[512];
	struct ike_sk_keys k, wrong;
	struct ike_error err;
	struct ike_buf b;
	struct ike_payload outer_pl = { .type = 60, .flags = IKE_PL_CRITICAL };
	struct ike_payload inner_pl[2] = {
		{ .type = IKE_PL_NOTIFY, .u.notify = { .type = IKE_N_INITIAL_CONTACT } },
		{ .type = 61, .flags = IKE_PL_CRITICAL },
	};
	struct ike_header h = { .exchange = IKE_INFORMATIONAL, .flags = IKE_FLAG_INITIATOR,
				.msgid = 2 };
	static const uint8_t body[] = { 1, 2, 3 };
	size_t plen;
	int rc;

	outer_pl.body = (struct ike_slice){ body, sizeof(body) };
	inner_pl[1].body = (struct ike_slice){ body, sizeof(body) };
	make_keys(&suites[0], &k);
	wrong = k;
	wrong.ekey[0] ^= 1;

	/* An unknown critical payload before SK. */
	ike_buf_init(&b, buf, sizeof(buf));
	ike_msg_encode_sk(&h, &outer_pl, 1, inner_pl, 1, &k, NULL, &b, &err);
	rc = decode(buf, b.len, &m, &err);
	tap_ok(rc == 0, "outer unknown critical payload: the decoder leaves it to the ICV (%s)",
	       rc ? err.reason : "ok");
	rc = decrypt(buf, b.len, &m, &wrong, plain, &plen, &inner, &err);
	TAP_EQ_INT(rc, -IKE_ERR_INTEGRITY, "forged (wrong key): dropped, not answered");
	rc = decrypt(buf, b.len, &m, &k, plain, &plen, &inner, &err);
	tap_ok(rc == -IKE_ERR_CRITICAL && err.payload == 60,
	       "genuine: UNSUPPORTED_CRITICAL_PAYLOAD for type 60 (%s)", err.reason);

	/* An unknown critical payload inside SK. */
	ike_buf_init(&b, buf, sizeof(buf));
	ike_msg_encode_sk(&h, NULL, 0, inner_pl, 2, &k, NULL, &b, &err);
	rc = decode(buf, b.len, &m, &err);
	rc = rc ? rc : decrypt(buf, b.len, &m, &wrong, plain, &plen, &inner, &err);
	TAP_EQ_INT(rc, -IKE_ERR_INTEGRITY, "inner unknown critical, forged: dropped");
	rc = decode(buf, b.len, &m, &err);
	rc = rc ? rc : decrypt(buf, b.len, &m, &k, plain, &plen, &inner, &err);
	tap_ok(rc == -IKE_ERR_CRITICAL && err.payload == 61,
	       "inner unknown critical, genuine: reported after decryption (%s)", err.reason);

	/* Unprotected: reported by the decoder. */
	ike_buf_init(&b, buf, sizeof(buf));
	m.hdr = h;
	m.hdr.exchange = IKE_SA_INIT;
	m.hdr.msgid = 0;
	m.npl = 1;
	m.pl[0] = outer_pl;
	m.store = NULL;
	ike_msg_encode(&m, &b);
	rc = decode(buf, b.len, &m, &err);
	tap_ok(rc == -IKE_ERR_CRITICAL && err.payload == 60,
	       "IKE_SA_INIT with an unknown critical payload: reported at once (%s)", err.reason);
}

/*
 * RFC 7296 §3.10.1: INVALID_SYNTAX only in a protected message whose ICV
 * verified, never for an unprotected one (IKE_SA_INIT) or a forgery.
 */
static void test_what_is_answered(void)
{
	static struct ike_msg m, inner;
	static uint8_t buf[512], plain[512];
	static const uint8_t bad_inner[] = { 0, 0, 0, 2 };	/* Notify of length 2 */
	struct ike_payload bad_outer = { .type = IKE_PL_NONCE };
	struct ike_header h = { .exchange = IKE_INFORMATIONAL, .msgid = 3 };
	struct ike_sk_keys k;
	struct ike_error err;
	struct ike_buf b;
	size_t n, plen;
	int rc;

	make_keys(&suites[0], &k);
	/* A syntax error in an unprotected message: dropped. */
	bad_outer.u.raw = (struct ike_slice){ bad_inner, sizeof(bad_inner) };	/* 4-byte nonce */
	m.hdr = h;
	m.hdr.exchange = IKE_SA_INIT;
	m.npl = 1;
	m.pl[0] = bad_outer;
	m.store = NULL;
	ike_buf_init(&b, buf, sizeof(buf));
	ike_msg_encode(&m, &b);
	rc = decode(buf, b.len, &m, &err);
	tap_ok(rc == -IKE_ERR_SYNTAX && !err.authenticated &&
	       !ike_err_notify(err.code, err.authenticated),
	       "IKE_SA_INIT with a 4-byte nonce: dropped, no INVALID_SYNTAX (%s)", err.reason);
	/* The same kind of error behind a verified ICV: answered. */
	n = raw(buf, IKE_PL_SK, (const uint8_t[]){ IKE_PL_NOTIFY, 0, 0, 4 + 8 + 5 + 16 }, 4, 28 + 33);
	memset(buf + n, 0, 8);
	ike_aead_seal(&k, buf + n, buf, n, (const uint8_t[]){ 0, 0, 0, 2, 0 }, 5, buf + n + 8);
	n += 8 + 5 + 16;
	rc = decode(buf, n, &m, &err);
	rc = rc ? rc : decrypt(buf, n, &m, &k, plain, &plen, &inner, &err);
	tap_ok(rc == -IKE_ERR_SYNTAX && err.authenticated &&
	       ike_err_notify(err.code, err.authenticated) == IKE_N_INVALID_SYNTAX,
	       "malformed inner payload behind a verified ICV: INVALID_SYNTAX (%s)", err.reason);
	/* ... but not behind a broken one. */
	buf[n - 1] ^= 1;
	rc = decrypt(buf, n, &m, &k, plain, &plen, &inner, &err);
	tap_ok(rc == -IKE_ERR_INTEGRITY && !ike_err_notify(err.code, err.authenticated),
	       "the same with a broken ICV: dropped");
	/* An SK too short to hold an ICV is not authenticated either. */
	n = raw(buf, IKE_PL_SK, (const uint8_t[]){ 0, 0, 0, 8, 1, 2, 3, 4 }, 8, -1);
	rc = decode(buf, n, &m, &err);
	rc = rc ? rc : decrypt(buf, n, &m, &k, plain, &plen, &inner, &err);
	tap_ok(rc == -IKE_ERR_SYNTAX && !err.authenticated, "a truncated SK payload: dropped (%s)",
	       err.reason);
}

/* IKEv1 is dropped (§2.5) but said so, at a rate a flood cannot raise. */
static void test_ikev1_log(void)
{
	struct ike_ratelimit rl = IKE_RATELIMIT_INIT(1000, 2);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(500) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(4500) };
	unsigned int missed = 99;
	char line[80];

	tap_ok(ike_ratelimit(&rl, 5000, &missed) && missed == 0, "first line logged");
	tap_ok(ike_ratelimit(&rl, 5001, &missed), "second line (the burst) logged");
	tap_ok(!ike_ratelimit(&rl, 5002, &missed) && !ike_ratelimit(&rl, 5999, &missed),
	       "the rest of the second suppressed");
	tap_ok(ike_ratelimit(&rl, 6000, &missed) && missed == 2,
	       "the next second logs again and counts the 2 suppressed");
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	ike_ikev1_log_line(line, sizeof(line), (struct sockaddr *)&sin);
	TAP_EQ_STR(line, "IKEv1 from 192.0.2.1:500 is not supported", "IPv4 log line");
	ike_ikev1_log_line(line, sizeof(line), (struct sockaddr *)&sin6);
	TAP_EQ_STR(line, "IKEv1 from [2001:db8::1]:4500 is not supported", "IPv6 log line");
	TAP_EQ_INT(ike_ikev1_log_line(line, 10, (struct sockaddr *)&sin6), -IKE_ERR_NOSPC,
		   "a short buffer is reported");
}

/*
 * Prepared keys (one cipher handle per key set, issue 13 item 11) protect
 * exactly as unprepared ones do, message after message, and never with a
 * stale key: not through a struct copy, not after the key bytes change.
 */
static void test_prepared_keys(void)
{
	static struct ike_msg all, outer, inner;
	static uint8_t a[4096], b2[4096], plain[4096];
	struct ike_error err;
	struct ike_buf b;
	size_t plen;

	fill_all(&all);
	all.npl--;
	all.hdr.exchange = IKE_AUTH;
	for (size_t i = 0; i < ARRAY_LEN(suites); i++) {
		const struct suite *st = &suites[i];
		struct ike_sk_keys k, kp, copy;
		uint8_t iv[16];
		bool same = true, opens = true;
		int rc;

		make_keys(st, &k);
		make_keys(st, &kp);
		rc = ike_sk_keys_prepare(&kp);
		TAP_EQ_INT(rc, 0, "prepare");
		TAP_EQ_INT(ike_sk_keys_prepare(&kp), 0, "prepare again (the first handle is freed)");
		for (int n = 0; n < 3; n++) {
			struct ike_buf bb;

			memset(iv, 0x30 + n, sizeof(iv));
			all.hdr.msgid = (uint32_t)n;
			ike_buf_init(&b, a, sizeof(a));
			ike_buf_init(&bb, b2, sizeof(b2));
			rc = ike_msg_encode_sk(&all.hdr, NULL, 0, all.pl, all.npl, &kp, iv, &b, &err);
			rc = rc ? rc : ike_msg_encode_sk(&all.hdr, NULL, 0, all.pl, all.npl, &k, iv, &bb,
							 &err);
			same = same && !rc && b.len == bb.len && !memcmp(a, b2, b.len);
			rc = decode(a, b.len, &outer, &err);
			rc = rc ? rc : decrypt(a, b.len, &outer, &kp, plain, &plen, &inner, &err);
			opens = opens && !rc && inner.npl == all.npl;
		}
		tap_ok(same, "%s: prepared keys seal byte for byte as unprepared ones", st->name);
		tap_ok(opens, "%s: and open three messages in a row", st->name);
		copy = kp;
		copy.ekey[0] ^= 1;
		copy.akey[0] ^= 1;
		rc = decrypt(a, b.len, &outer, &copy, plain, &plen, &inner, &err);
		TAP_EQ_INT(rc, -IKE_ERR_INTEGRITY, "a copy with another key does not use the handle");
		kp.ekey[0] ^= 1;
		kp.akey[0] ^= 1;
		rc = decrypt(a, b.len, &outer, &kp, plain, &plen, &inner, &err);
		TAP_EQ_INT(rc, -IKE_ERR_INTEGRITY, "nor the prepared keys once their bytes changed");
		kp.ekey[0] ^= 1;
		kp.akey[0] ^= 1;
		rc = decrypt(a, b.len, &outer, &kp, plain, &plen, &inner, &err);
		TAP_EQ_INT(rc, 0, "and again once they are restored");
		ike_sk_keys_wipe(&copy);	/* frees nothing: not the owner */
		ike_sk_keys_wipe(&kp);
		tap_ok(!kp.cache && kp.ekey[0] == 0, "wipe frees the handle and clears the keys");
	}
	{
		struct ike_sk_keys bad = { .encr = IKE_ENCR_AES_CBC, .encr_bits = 128, .ekey_len = 15 };

		TAP_EQ_INT(ike_sk_keys_prepare(&bad), -IKE_ERR_UNSUPPORTED,
			   "keys of the wrong length are not prepared");
	}
}

/* SK bodies built by hand: zero length, bad padding, partial blocks, nesting. */
static void test_sk_malformed(void)
{
	static struct ike_msg m, inner;
	static uint8_t buf[512], plain[512];
	struct ike_sk_keys gcm, cbc;
	struct ike_error err = { 0 };
	uint8_t iv[16] = { 0 }, pt[32];
	size_t n, plen;

	make_keys(&suites[0], &gcm);
	make_keys(&suites[3], &cbc);
	/* Zero-length SK. */
	n = raw(buf, IKE_PL_SK, (const uint8_t[]){ 0, 0, 0, 4 }, 4, -1);
	decode(buf, n, &m, &err);
	tap_ok(decrypt(buf, n, &m, &gcm, plain, &plen, &inner, &err) == -IKE_ERR_SYNTAX &&
	       strstr(err.reason, "cannot hold"), "zero-length SK rejected before decryption");
	/* SK with only an IV and an ICV: no room for the pad length byte. */
	n = raw(buf, IKE_PL_SK, (const uint8_t[]){ 0, 0, 0, 28 }, 4, 28 + 28);
	memset(buf + n, 0, 24);
	n += 24;
	decode(buf, n, &m, &err);
	TAP_EQ_INT(decrypt(buf, n, &m, &gcm, plain, &plen, &inner, &err), -IKE_ERR_SYNTAX,
		   "SK holding only IV and ICV rejected");
	/* GCM, valid ICV, pad length 0xff > plaintext: bad padding. */
	memset(pt, 0, sizeof(pt));
	pt[7] = 0xff;
	n = raw(buf, IKE_PL_SK, (const uint8_t[]){ 0, 0, 0, 4 + 8 + 8 + 16 }, 4, 28 + 36);
	memcpy(buf + n, iv, 8);
	ike_aead_seal(&gcm, iv, buf, n, pt, 8, buf + n + 8);
	n += 8 + 8 + 16;
	TAP_EQ_INT(decode(buf, n, &m, &err), 0, "bad-padding SK message decodes");
	tap_ok(decrypt(buf, n, &m, &gcm, plain, &plen, &inner, &err) == -IKE_ERR_SYNTAX &&
	       strstr(err.reason, "pad length"), "GCM: pad length beyond the plaintext rejected");
	/* CBC, valid MAC, pad length 16 in a 16-byte block: bad padding. */
	memset(pt, 0, 16);
	pt[15] = 16;
	n = raw(buf, IKE_PL_SK, (const uint8_t[]){ 0, 0, 0, 4 + 16 + 16 + 16 }, 4, 28 + 52);
	memcpy(buf + n, iv, 16);
	ike_cbc_encrypt(&cbc, iv, pt, 16, buf + n + 16);
	ike_integ_mac(cbc.integ, cbc.akey, buf, n + 32, buf + n + 32);
	n += 48;
	decode(buf, n, &m, &err);
	tap_ok(decrypt(buf, n, &m, &cbc, plain, &plen, &inner, &err) == -IKE_ERR_SYNTAX &&
	       strstr(err.reason, "pad length"), "CBC: pad length 16 of a 16-byte plaintext rejected");
	/* Same with pad length 15: valid, and an empty inner chain. */
	pt[15] = 15;
	n = raw(buf, IKE_PL_SK, (const uint8_t[]){ 0, 0, 0, 4 + 16 + 16 + 16 }, 4, 28 + 52);
	memcpy(buf + n, iv, 16);
	ike_cbc_encrypt(&cbc, iv, pt, 16, buf + n + 16);
	ike_integ_mac(cbc.integ, cbc.akey, buf, n + 32, buf + n + 32);
	n += 48;
	decode(buf, n, &m, &err);
	TAP_EQ_INT(decrypt(buf, n, &m, &cbc, plain, &plen, &inner, &err), 0,
		   "CBC: pad length 15 accepted (empty SK, as in a liveness check)");
	TAP_EQ_INT(inner.npl, 0, "no inner payloads");
	/* CBC ciphertext that is not a whole number of blocks. */
	n = raw(buf, IKE_PL_SK, (const uint8_t[]){ 0, 0, 0, 4 + 16 + 17 + 16 }, 4, 28 + 53);
	memset(buf + n, 0, 49);
	n += 49;
	decode(buf, n, &m, &err);
	TAP_EQ_INT(decrypt(buf, n, &m, &cbc, plain, &plen, &inner, &err), -IKE_ERR_SYNTAX,
		   "CBC: partial block rejected");
	/* An SK payload inside the SK payload. */
	{
		static const uint8_t nested[] = { 0, 0, 0, 4, 0 };	/* SK hdr + pad length */

		n = raw(buf, IKE_PL_SK, (const uint8_t[]){ IKE_PL_SK, 0, 0, 4 + 8 + 5 + 16 }, 4,
			28 + 33);
		memcpy(buf + n, iv, 8);
		ike_aead_seal(&gcm, iv, buf, n, nested, sizeof(nested), buf + n + 8);
		n += 8 + 5 + 16;
		decode(buf, n, &m, &err);
		TAP_EQ_INT(decrypt(buf, n, &m, &gcm, plain, &plen, &inner, &err),
			   -IKE_ERR_SYNTAX, "SK nested in SK rejected");
	}
	/* Inner garbage after a valid decryption is still validated. */
	{
		static const uint8_t garbage[] = { 0, 0, 0, 2, 0 };	/* Notify len 2 */

		n = raw(buf, IKE_PL_SK, (const uint8_t[]){ IKE_PL_NOTIFY, 0, 0, 4 + 8 + 5 + 16 }, 4,
			28 + 33);
		memcpy(buf + n, iv, 8);
		ike_aead_seal(&gcm, iv, buf, n, garbage, sizeof(garbage), buf + n + 8);
		n += 8 + 5 + 16;
		decode(buf, n, &m, &err);
		TAP_EQ_INT(decrypt(buf, n, &m, &gcm, plain, &plen, &inner, &err),
			   -IKE_ERR_SYNTAX, "malformed inner payload rejected after decryption");
	}
	TAP_EQ_INT(decrypt(buf, IKE_HDR_LEN, &m, &gcm, plain, &plen, &inner, &err) != 0, 1,
		   "decrypt of a message without SK refused");
}

/* RFC 7383 §2.5: SKF carries fragment number and total; both are in the AAD. */
static void test_skf(void)
{
	static struct ike_msg m, inner;
	static uint8_t buf[512], plain[512];
	struct ike_sk_keys k;
	struct ike_error err = { 0 };
	static const uint8_t frag[] = "first third of the inner payloads";
	size_t over, n, plen, aad;

	make_keys(&suites[2], &k);
	over = ike_sk_overhead(&k, sizeof(frag));
	n = raw(buf, IKE_PL_SKF, (const uint8_t[]){ IKE_PL_IDI, 0, 0, (uint8_t)(8 + over), 0, 1, 0, 3 },
		8, (long)(28 + 8 + over));
	aad = n;
	n += over;
	TAP_EQ_INT(ike_sk_seal(&k, buf, aad, NULL, frag, sizeof(frag), n, &err), 0, "SKF sealed");
	TAP_EQ_INT(decode(buf, n, &m, &err), 0, "SKF message decodes");
	tap_ok(m.npl == 1 && m.pl[0].u.skf.frag_num == 1 && m.pl[0].u.skf.total == 3,
	       "SKF fragment 1 of 3");
	tap_ok(!decrypt(buf, n, &m, &k, plain, &plen, &inner, &err) &&
	       plen == sizeof(frag) && !memcmp(plain, frag, plen), "SKF fragment decrypts");
	buf[IKE_HDR_LEN + 7] = 2;	/* claim "of 2": the AAD no longer matches */
	decode(buf, n, &m, &err);
	TAP_EQ_INT(decrypt(buf, n, &m, &k, plain, &plen, &inner, &err), -IKE_ERR_INTEGRITY,
		   "SKF total is authenticated");

	/* Split an encrypted IKE_AUTH's inner chain into three SKF messages. */
	{
		static struct ike_msg all, frag_m;
		static uint8_t chain[4096], whole[4096], out[1024];
		struct ike_buf cb, ob;
		size_t clen, got = 0, third;
		bool ok = true;

		fill_all(&all);
		ike_buf_init(&cb, chain, sizeof(chain));
		ike_payloads_encode(all.pl + 1, all.npl - 2, &cb);
		clen = cb.len;
		third = clen / 3 + 1;
		for (uint16_t f = 1; f <= 3; f++) {
			size_t off = (f - 1) * third, len = f == 3 ? clen - off : third;

			ike_buf_init(&ob, out, sizeof(out));
			ok = ok && !ike_msg_encode_skf(&all.hdr, all.pl[1].type, f, 3, chain + off,
						       len, &k, NULL, &ob, &err);
			ok = ok && !decode(out, ob.len, &frag_m, &err) &&
			     frag_m.pl[0].u.skf.frag_num == f && frag_m.pl[0].u.skf.total == 3 &&
			     frag_m.pl[0].next == (f == 1 ? all.pl[1].type : 0);
			ok = ok && !decrypt(out, ob.len, &frag_m, &k, plain, &plen, &inner, &err);
			memcpy(whole + got, plain, plen);
			got += plen;
		}
		tap_ok(ok && got == clen && !memcmp(whole, chain, clen),
		       "three SKF fragments reassemble the inner chain (%s)", ok ? "ok" : err.reason);
		ike_msg_release(&inner);
		ok = !ike_payloads_decode(&all.hdr, all.pl[1].type, whole, got, &inner, &err) &&
		     inner.npl == all.npl - 2;
		tap_ok(ok, "reassembled chain decodes into %zu payloads", inner.npl);
		ike_buf_init(&ob, out, sizeof(out));
		TAP_EQ_INT(ike_msg_encode_skf(&all.hdr, 0, 4, 3, chain, 10, &k, NULL, &ob, &err),
			   -IKE_ERR_ARG, "fragment 4 of 3 refused");
	}
	/* The SKF payload itself round-trips through the struct form. */
	{
		static struct ike_msg a, b;
		static uint8_t o1[256], o2[256], data[40];
		struct ike_buf b1, b2;

		memset(&a, 0, sizeof(a));
		a.hdr.exchange = IKE_AUTH;
		a.npl = 1;
		a.pl[0].type = IKE_PL_SKF;
		a.pl[0].next = IKE_PL_IDI;
		a.pl[0].u.skf = (struct ike_pl_skf){ 1, 5, { data, sizeof(data) } };
		ike_buf_init(&b1, o1, sizeof(o1));
		ike_buf_init(&b2, o2, sizeof(o2));
		tap_ok(!ike_msg_encode(&a, &b1) && !decode(o1, b1.len, &b, &err) &&
		       b.pl[0].u.skf.frag_num == 1 && b.pl[0].u.skf.total == 5 &&
		       b.pl[0].next == IKE_PL_IDI && b.pl[0].u.skf.data.len == sizeof(data) &&
		       !ike_msg_encode(&b, &b2) && b1.len == b2.len && !memcmp(o1, o2, b1.len),
		       "SKF payload round-trips");
	}
}

static void test_names(void)
{
	TAP_EQ_STR(ike_notify_name(IKE_N_COOKIE), "COOKIE", "notify 16390");
	TAP_EQ_STR(ike_notify_name(IKE_N_INVALID_KE_PAYLOAD), "INVALID_KE_PAYLOAD", "notify 17");
	TAP_EQ_STR(ike_notify_name(16430), "IKEV2_FRAGMENTATION_SUPPORTED", "notify 16430");
	TAP_EQ_STR(ike_notify_name(12345), "UNKNOWN", "unassigned notify");
	TAP_EQ_STR(ike_transform_name(IKE_TRANS_ENCR, 20), "ENCR_AES_GCM_16", "ENCR 20");
	TAP_EQ_STR(ike_transform_name(IKE_TRANS_ENCR, 28), "ENCR_CHACHA20_POLY1305", "ENCR 28");
	TAP_EQ_STR(ike_transform_name(IKE_TRANS_INTEG, 12), "AUTH_HMAC_SHA2_256_128", "INTEG 12");
	TAP_EQ_STR(ike_transform_name(IKE_TRANS_PRF, 7), "PRF_HMAC_SHA2_512", "PRF 7");
	TAP_EQ_STR(ike_transform_name(IKE_TRANS_DH, 31), "CURVE25519", "DH 31");
	TAP_EQ_STR(ike_transform_name(IKE_TRANS_DH, 32), "CURVE448", "DH 32");
	TAP_EQ_STR(ike_transform_type_name(IKE_TRANS_ESN), "ESN", "transform type 5");
	TAP_EQ_STR(ike_payload_name(IKE_PL_SKF), "SKF", "payload 53");
	TAP_EQ_STR(ike_exchange_name(IKE_CREATE_CHILD_SA), "CREATE_CHILD_SA", "exchange 36");
}

int main(void)
{
	if (ike_crypto_init())
		return 1;
	test_roundtrip();
	test_wire_layout();
	test_malformed();
	test_proposal_numbers();
	test_unknown_parts();
	test_real_peer_sizes();
	test_sk();
	test_sk_malformed();
	test_prepared_keys();
	test_critical_after_icv();
	test_what_is_answered();
	test_ikev1_log();
	test_skf();
	test_names();
	ike_crypto_deinit();
	return tap_done();
}
