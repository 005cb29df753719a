// SPDX-License-Identifier: GPL-2.0
/*
 * Payload bodies of RFC 7296 §3 (and SKF, RFC 7383 §2.5): validate every
 * length and count against the bytes actually present, then parse into
 * struct ike_payload; and the reverse. Nothing here trusts a length field:
 * each one is checked before the bytes it describes are touched.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ike.h"

/* ---- output buffer ------------------------------------------------------ */

void ike_buf_init(struct ike_buf *b, uint8_t *storage, size_t cap)
{
	b->p = storage;
	b->len = 0;
	b->cap = cap;
	b->overflow = false;
}

void ike_buf_put(struct ike_buf *b, const void *p, size_t len)
{
	if (b->overflow || len > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	if (len)
		memcpy(b->p + b->len, p, len);
	b->len += len;
}

void ike_buf_put8(struct ike_buf *b, uint8_t v)
{
	ike_buf_put(b, &v, 1);
}

void ike_buf_put16(struct ike_buf *b, uint16_t v)
{
	uint8_t x[2] = { v >> 8, v & 0xff };

	ike_buf_put(b, x, 2);
}

void ike_buf_put32(struct ike_buf *b, uint32_t v)
{
	uint8_t x[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };

	ike_buf_put(b, x, 4);
}

void ike_buf_patch16(struct ike_buf *b, size_t off, uint16_t v)
{
	if (b->overflow || off + 2 > b->len)
		return;
	b->p[off] = v >> 8;
	b->p[off + 1] = v & 0xff;
}

int ike_set_error(struct ike_error *err, enum ike_err code, uint8_t payload,
		  const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		err->payload = payload;
		err->authenticated = false;
		va_start(ap, fmt);
		vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
		va_end(ap);
	}
	return -(int)code;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

#define SYNTAX(pl, ...) ike_set_error(err, IKE_ERR_SYNTAX, (pl)->type, __VA_ARGS__)

/* ---- SA ----------------------------------------------------------------- */

/*
 * Transform attributes (RFC 7296 §3.3.5). Key Length is the only one
 * defined; any other, TV or TLV, makes this transform unacceptable
 * (§3.3.6) without making the message malformed.
 */
static int parse_attrs(struct ike_payload *pl, struct ike_transform *t,
		       const uint8_t *p, size_t len, struct ike_error *err)
{
	while (len) {
		uint16_t af_type, alen = 0;

		if (len < 4)
			return SYNTAX(pl, "transform attribute truncated (%zu bytes)", len);
		af_type = get16(p);
		if (!(af_type & IKE_ATTR_TV)) {
			alen = get16(p + 2);
			if (alen > len - 4)
				return SYNTAX(pl, "transform attribute length %u overruns transform", alen);
			t->flags |= IKE_TRANSFORM_UNKNOWN_ATTR;
		} else if ((af_type & 0x7fff) != IKE_ATTR_KEY_LENGTH) {
			t->flags |= IKE_TRANSFORM_UNKNOWN_ATTR;
		} else {
			if (t->keylen)
				return SYNTAX(pl, "transform has two key length attributes");
			t->keylen = get16(p + 2);
			if (!t->keylen)
				return SYNTAX(pl, "key length attribute of zero");
		}
		p += 4u + alen;
		len -= 4u + alen;
	}
	return 0;
}

static int parse_proposal(struct ike_payload *pl, struct ike_proposal *pr,
			  const uint8_t *p, size_t len, struct ike_error *err)
{
	size_t off;
	unsigned int i;

	pr->num = p[4];
	pr->protocol = p[5];
	pr->spi_size = p[6];
	pr->ntrans = 0;
	pr->flags = 0;
	/* §3.3.6: a protocol we do not know makes only this proposal unacceptable */
	if (pr->protocol < IKE_PROTO_IKE || pr->protocol > IKE_PROTO_ESP)
		pr->flags |= IKE_PROPOSAL_UNKNOWN_PROTOCOL;
	if (pr->spi_size > IKE_MAX_SPI)
		return SYNTAX(pl, "proposal %u SPI size %u too large", pr->num, pr->spi_size);
	if (8u + pr->spi_size > len)
		return SYNTAX(pl, "proposal %u SPI overruns proposal", pr->num);
	if (p[7] > IKE_MAX_TRANSFORMS)
		pr->flags |= IKE_PROPOSAL_TOO_MANY_TRANSFORMS;
	memcpy(pr->spi, p + 8, pr->spi_size);
	off = 8 + pr->spi_size;
	for (i = 0; i < p[7]; i++) {
		struct ike_transform beyond, *t = i < IKE_MAX_TRANSFORMS ? &pr->trans[i] : &beyond;
		uint16_t tlen;
		uint8_t last;

		if (len - off < 8)
			return SYNTAX(pl, "proposal %u transform %u truncated", pr->num, i + 1);
		last = p[off];
		tlen = get16(p + off + 2);
		if (tlen < 8 || tlen > len - off)
			return SYNTAX(pl, "proposal %u transform %u length %u invalid",
				      pr->num, i + 1, tlen);
		if (last != (i + 1u == p[7] ? 0 : 3))
			return SYNTAX(pl, "proposal %u transform %u has last-substructure %u",
				      pr->num, i + 1, last);
		t->type = p[off + 4];
		t->id = get16(p + off + 6);
		t->keylen = 0;
		t->flags = 0;
		if (parse_attrs(pl, t, p + off + 8, tlen - 8u, err))
			return -(int)err->code;
		off += tlen;
	}
	pr->ntrans = p[7] < IKE_MAX_TRANSFORMS ? p[7] : IKE_MAX_TRANSFORMS;
	if (off != len)
		return SYNTAX(pl, "proposal %u has %zu bytes after its last transform",
			      pr->num, len - off);
	if (!pr->ntrans)
		return SYNTAX(pl, "proposal %u has no transforms", pr->num);
	return 0;
}

/*
 * RFC 7296 §3.3.1: a request numbers its proposals 1, 2, 3... (a repeated
 * number, IKEv1's way of ANDing proposals, has no meaning in IKEv2); a
 * response carries exactly one proposal, numbered as the accepted one was.
 */
static int check_proposal_number(struct ike_payload *pl, bool response, uint8_t num,
				 uint8_t prev, struct ike_error *err)
{
	if (num == 0)
		return SYNTAX(pl, "proposal number 0");
	if (response)
		return 0;	/* that there is only one was checked before */
	if (num == prev)
		return SYNTAX(pl, "proposal number %u repeated", num);
	if (num != prev + 1u)
		return SYNTAX(pl, "proposal number %u out of sequence (expected %u)", num,
			      prev + 1u);
	return 0;
}

/* Proposals the SA body announces by their lengths (the parse checks them). */
static size_t count_proposals(const uint8_t *p, size_t len)
{
	size_t off = 0, n = 0;

	while (len - off >= 8) {
		uint16_t plen = get16(p + off + 2);

		if (plen < 8 || plen > len - off)
			break;
		off += plen;
		n++;
	}
	return n;
}

static int parse_sa(struct ike_msg *msg, struct ike_payload *pl, struct ike_error *err)
{
	const uint8_t *p = pl->body.p;
	size_t len = pl->body.len, off = 0, n = count_proposals(p, len);
	struct ike_pl_sa *sa = &pl->u.sa;
	bool response = msg->hdr.flags & IKE_FLAG_RESPONSE;
	struct ike_proposal *props;
	uint8_t prev = 0;

	sa->nprop = 0;
	/* A request numbers proposals 1..255 at most, a response holds one. */
	if (response && n > 1)
		return SYNTAX(pl, "a response carries one proposal (the accepted one), not %zu", n);
	if (n > 255)
		return SYNTAX(pl, "%zu proposals, more than a request can number", n);
	props = n ? ike_msg_alloc(msg, n * sizeof(*props)) : NULL;
	if (n && !props)
		return ike_set_error(err, IKE_ERR_NOMEM, pl->type, "out of memory");
	sa->prop = props;
	while (off < len) {
		struct ike_proposal *pr;
		uint16_t plen;

		if (len - off < 8)
			return SYNTAX(pl, "proposal truncated (%zu bytes)", len - off);
		plen = get16(p + off + 2);
		if (plen < 8 || plen > len - off)
			return SYNTAX(pl, "proposal length %u invalid (%zu left)", plen, len - off);
		if (sa->nprop == n)	/* cannot happen: counted with the same checks */
			return SYNTAX(pl, "proposal %zu beyond those counted", n + 1);
		pr = &props[sa->nprop];
		if (parse_proposal(pl, pr, p + off, plen, err))
			return -(int)err->code;
		if (check_proposal_number(pl, response, pr->num, prev, err))
			return -(int)err->code;
		prev = pr->num;
		off += plen;
		sa->nprop++;
		if (p[off - plen] != (off == len ? 0 : 2))
			return SYNTAX(pl, "proposal %u has last-substructure %u",
				      pr->num, p[off - plen]);
	}
	if (!sa->nprop)
		return SYNTAX(pl, "SA payload without proposals");
	return 0;
}

static void encode_sa(const struct ike_pl_sa *sa, struct ike_buf *b)
{
	for (unsigned int i = 0; i < sa->nprop; i++) {
		const struct ike_proposal *pr = &sa->prop[i];
		size_t start = b->len;

		ike_buf_put8(b, i + 1u == sa->nprop ? 0 : 2);
		ike_buf_put8(b, 0);
		ike_buf_put16(b, 0);
		ike_buf_put8(b, pr->num);
		ike_buf_put8(b, pr->protocol);
		ike_buf_put8(b, pr->spi_size);
		ike_buf_put8(b, pr->ntrans);
		ike_buf_put(b, pr->spi, pr->spi_size);
		for (unsigned int j = 0; j < pr->ntrans; j++) {
			const struct ike_transform *t = &pr->trans[j];

			ike_buf_put8(b, j + 1u == pr->ntrans ? 0 : 3);
			ike_buf_put8(b, 0);
			ike_buf_put16(b, t->keylen ? 12 : 8);
			ike_buf_put8(b, t->type);
			ike_buf_put8(b, 0);
			ike_buf_put16(b, t->id);
			if (t->keylen) {
				ike_buf_put16(b, IKE_ATTR_TV | IKE_ATTR_KEY_LENGTH);
				ike_buf_put16(b, t->keylen);
			}
		}
		ike_buf_patch16(b, start + 2, (uint16_t)(b->len - start));
	}
}

/* ---- traffic selectors and configuration -------------------------------- */

bool ike_ts_known(unsigned int type)
{
	return type == IKE_TS_IPV4_ADDR_RANGE || type == IKE_TS_IPV6_ADDR_RANGE;
}

static int parse_ts(struct ike_msg *msg, struct ike_payload *pl, struct ike_error *err)
{
	const uint8_t *p = pl->body.p;
	size_t len = pl->body.len, off = 4;
	struct ike_pl_ts *ts = &pl->u.ts;
	struct ike_ts *sel;

	ts->nts = 0;
	if (len < 4)
		return SYNTAX(pl, "TS payload shorter than its header");
	/* Each selector takes at least 4 bytes: no allocation beyond the body. */
	if (p[0] == 0 || p[0] > (len - 4) / 4)
		return SYNTAX(pl, "TS payload announces %u selectors in %zu bytes", p[0], len - 4);
	sel = ike_msg_alloc(msg, p[0] * sizeof(*sel));
	if (!sel)
		return ike_set_error(err, IKE_ERR_NOMEM, pl->type, "out of memory");
	ts->ts = sel;
	for (unsigned int i = 0; i < p[0]; i++) {
		struct ike_ts *t = &sel[i];
		uint16_t tlen;
		size_t alen;

		if (len - off < 4)
			return SYNTAX(pl, "traffic selector %u truncated", i + 1);
		t->type = p[off];
		t->ipproto = p[off + 1];
		tlen = get16(p + off + 2);
		if (tlen < 4 || tlen > len - off)
			return SYNTAX(pl, "traffic selector %u length %u invalid", i + 1, tlen);
		if (!ike_ts_known(t->type)) {
			/* Kept for the caller, who answers TS_UNACCEPTABLE if
			 * nothing else is left (e.g. RFC 9478 security labels). */
			t->data.p = p + off + 4;
			t->data.len = tlen - 4u;
			off += tlen;
			continue;
		}
		alen = t->type == IKE_TS_IPV4_ADDR_RANGE ? 4 : 16;
		if (tlen != 8 + 2 * alen)
			return SYNTAX(pl, "traffic selector %u length %u invalid", i + 1, tlen);
		t->start_port = get16(p + off + 4);
		t->end_port = get16(p + off + 6);
		memcpy(t->start, p + off + 8, alen);
		memcpy(t->end, p + off + 8 + alen, alen);
		off += tlen;
	}
	ts->nts = p[0];
	if (off != len)
		return SYNTAX(pl, "%zu bytes after the last traffic selector", len - off);
	return 0;
}

static void encode_ts(const struct ike_pl_ts *ts, struct ike_buf *b)
{
	ike_buf_put8(b, ts->nts);
	ike_buf_put8(b, 0);
	ike_buf_put16(b, 0);
	for (unsigned int i = 0; i < ts->nts; i++) {
		const struct ike_ts *t = &ts->ts[i];
		size_t alen = t->type == IKE_TS_IPV6_ADDR_RANGE ? 16 : 4;

		if (!ike_ts_known(t->type)) {
			ike_buf_put8(b, t->type);
			ike_buf_put8(b, t->ipproto);
			ike_buf_put16(b, (uint16_t)(4 + t->data.len));
			ike_buf_put(b, t->data.p, t->data.len);
			continue;
		}
		ike_buf_put8(b, t->type);
		ike_buf_put8(b, t->ipproto);
		ike_buf_put16(b, (uint16_t)(8 + 2 * alen));
		ike_buf_put16(b, t->start_port);
		ike_buf_put16(b, t->end_port);
		ike_buf_put(b, t->start, alen);
		ike_buf_put(b, t->end, alen);
	}
}

/* Attributes in a CP body, counted by their lengths (the parse checks them). */
static size_t count_cp_attrs(const uint8_t *p, size_t len)
{
	size_t off = 4, n = 0;

	while (len - off >= 4 && get16(p + off + 2) <= len - off - 4) {
		off += 4u + get16(p + off + 2);
		n++;
	}
	return n;
}

static int parse_cp(struct ike_msg *msg, struct ike_payload *pl, struct ike_error *err)
{
	const uint8_t *p = pl->body.p;
	size_t len = pl->body.len, off = 4, n;
	struct ike_pl_cp *cp = &pl->u.cp;
	struct ike_cp_attr *attr;

	cp->nattr = 0;
	if (len < 4)
		return SYNTAX(pl, "CP payload shorter than its header");
	cp->cfg_type = p[0];
	if (cp->cfg_type < 1 || cp->cfg_type > 4)
		return SYNTAX(pl, "CP payload has unknown CFG type %u", cp->cfg_type);
	n = count_cp_attrs(p, len);
	attr = n ? ike_msg_alloc(msg, n * sizeof(*attr)) : NULL;
	if (n && !attr)
		return ike_set_error(err, IKE_ERR_NOMEM, pl->type, "out of memory");
	cp->attr = attr;
	while (off < len) {
		uint16_t alen;

		if (len - off < 4)
			return SYNTAX(pl, "configuration attribute truncated");
		alen = get16(p + off + 2);
		if (alen > len - off - 4)
			return SYNTAX(pl, "configuration attribute length %u overruns payload", alen);
		attr[cp->nattr].type = get16(p + off) & 0x7fff;
		attr[cp->nattr].value.p = p + off + 4;
		attr[cp->nattr].value.len = alen;
		cp->nattr++;
		off += 4u + alen;
	}
	return 0;
}

static void encode_cp(const struct ike_pl_cp *cp, struct ike_buf *b)
{
	ike_buf_put8(b, cp->cfg_type);
	ike_buf_put8(b, 0);
	ike_buf_put16(b, 0);
	for (unsigned int i = 0; i < cp->nattr; i++) {
		ike_buf_put16(b, cp->attr[i].type & 0x7fff);
		ike_buf_put16(b, (uint16_t)cp->attr[i].value.len);
		ike_buf_put(b, cp->attr[i].value.p, cp->attr[i].value.len);
	}
}

/* ---- the rest ----------------------------------------------------------- */

/* Header bytes before the data of ID, CERT, CERTREQ and AUTH. */
static size_t typed_hdr_len(uint8_t type)
{
	return type == IKE_PL_CERT || type == IKE_PL_CERTREQ ? 1 : 4;
}

bool ike_payload_known(unsigned int type)
{
	return (type >= IKE_PL_SA && type <= IKE_PL_EAP) || type == IKE_PL_SKF;
}

int ike_payload_parse(struct ike_msg *msg, struct ike_payload *pl, struct ike_error *err)
{
	const uint8_t *p = pl->body.p;
	size_t len = pl->body.len;

	switch (pl->type) {
	case IKE_PL_SA:
		return parse_sa(msg, pl, err);
	case IKE_PL_KE:
		if (len < 4)
			return SYNTAX(pl, "KE payload shorter than its header");
		if (len == 4)
			return SYNTAX(pl, "KE payload without key exchange data");
		pl->u.ke.group = get16(p);
		pl->u.ke.data.p = p + 4;
		pl->u.ke.data.len = len - 4;
		return 0;
	case IKE_PL_IDI:
	case IKE_PL_IDR:
	case IKE_PL_CERT:
	case IKE_PL_CERTREQ:
	case IKE_PL_AUTH: {
		size_t h = typed_hdr_len(pl->type);

		if (len < h)
			return SYNTAX(pl, "%s payload shorter than its header",
				      ike_payload_name(pl->type));
		pl->u.typed.kind = p[0];
		pl->u.typed.data.p = p + h;
		pl->u.typed.data.len = len - h;
		if (pl->type == IKE_PL_AUTH && !pl->u.typed.data.len)
			return SYNTAX(pl, "AUTH payload without authentication data");
		return 0;
	}
	case IKE_PL_NONCE:
		/* the PRF's own minimum (ike_nonce_min_len) is checked once it is known */
		if (len < 16 || len > IKE_NONCE_MAX)
			return SYNTAX(pl, "nonce of %zu bytes (must be 16..%d)", len, IKE_NONCE_MAX);
		pl->u.raw = pl->body;
		return 0;
	case IKE_PL_NOTIFY:
		if (len < 4)
			return SYNTAX(pl, "Notify payload shorter than its header");
		if (4u + p[1] > len)
			return SYNTAX(pl, "Notify SPI size %u overruns payload", p[1]);
		pl->u.notify.protocol = p[0];
		pl->u.notify.type = get16(p + 2);
		pl->u.notify.spi.p = p + 4;
		pl->u.notify.spi.len = p[1];
		pl->u.notify.data.p = p + 4 + p[1];
		pl->u.notify.data.len = len - 4 - p[1];
		return 0;
	case IKE_PL_DELETE:
		if (len < 4)
			return SYNTAX(pl, "Delete payload shorter than its header");
		pl->u.del.protocol = p[0];
		pl->u.del.spi_size = p[1];
		pl->u.del.nspi = get16(p + 2);
		if ((size_t)pl->u.del.spi_size * pl->u.del.nspi != len - 4)
			return SYNTAX(pl, "Delete announces %u SPIs of %u bytes but carries %zu bytes",
				      pl->u.del.nspi, pl->u.del.spi_size, len - 4);
		if (pl->u.del.protocol == IKE_PROTO_IKE &&
		    (pl->u.del.spi_size || pl->u.del.nspi))
			return SYNTAX(pl, "Delete of an IKE SA must carry no SPIs");
		if ((pl->u.del.protocol == IKE_PROTO_ESP || pl->u.del.protocol == IKE_PROTO_AH) &&
		    pl->u.del.spi_size != 4)
			return SYNTAX(pl, "Delete of a Child SA with SPI size %u", pl->u.del.spi_size);
		pl->u.del.spis.p = p + 4;
		pl->u.del.spis.len = len - 4;
		return 0;
	case IKE_PL_VENDOR:
	case IKE_PL_SK:
		pl->u.raw = pl->body;
		return 0;
	case IKE_PL_TSI:
	case IKE_PL_TSR:
		return parse_ts(msg, pl, err);
	case IKE_PL_CP:
		return parse_cp(msg, pl, err);
	case IKE_PL_EAP:
		if (len < 4)
			return SYNTAX(pl, "EAP payload shorter than an EAP header");
		if (get16(p + 2) != len)
			return SYNTAX(pl, "EAP length %u differs from payload body %zu",
				      get16(p + 2), len);
		/* Codes beyond RFC 3748's four (RFC 6696's Initiate 5 and
		 * Finish 6, ...) are the EAP layer's to judge, not ours. */
		if ((p[0] == 1 || p[0] == 2 || p[0] == 5 || p[0] == 6) && len < 5)
			return SYNTAX(pl, "EAP code %u without a type", p[0]);
		pl->u.eap.code = p[0];
		pl->u.eap.ident = p[1];
		pl->u.eap.data.p = p + 4;
		pl->u.eap.data.len = len - 4;
		return 0;
	case IKE_PL_SKF:
		if (len < 4)
			return SYNTAX(pl, "SKF payload shorter than its header");
		pl->u.skf.frag_num = get16(p);
		pl->u.skf.total = get16(p + 2);
		if (!pl->u.skf.frag_num || pl->u.skf.frag_num > pl->u.skf.total)
			return SYNTAX(pl, "SKF fragment %u of %u", pl->u.skf.frag_num,
				      pl->u.skf.total);
		/* RFC 7383 §2.5: Next Payload "MUST be set to zero" after fragment 1 */
		if (pl->u.skf.frag_num > 1 && pl->next)
			return SYNTAX(pl, "SKF fragment %u names a first payload (%u); only fragment 1 may",
				      pl->u.skf.frag_num, pl->next);
		pl->u.skf.data.p = p + 4;
		pl->u.skf.data.len = len - 4;
		return 0;
	}
	pl->u.raw = pl->body;
	return 0;
}

/* Writes the body from the parsed fields (unknown types: the raw body). */
void ike_payload_encode_body(const struct ike_payload *pl, struct ike_buf *b)
{
	switch (pl->type) {
	case IKE_PL_SA:
		encode_sa(&pl->u.sa, b);
		return;
	case IKE_PL_KE:
		ike_buf_put16(b, pl->u.ke.group);
		ike_buf_put16(b, 0);
		ike_buf_put(b, pl->u.ke.data.p, pl->u.ke.data.len);
		return;
	case IKE_PL_IDI:
	case IKE_PL_IDR:
	case IKE_PL_CERT:
	case IKE_PL_CERTREQ:
	case IKE_PL_AUTH:
		ike_buf_put8(b, pl->u.typed.kind);
		if (typed_hdr_len(pl->type) == 4) {
			ike_buf_put8(b, 0);
			ike_buf_put16(b, 0);
		}
		ike_buf_put(b, pl->u.typed.data.p, pl->u.typed.data.len);
		return;
	case IKE_PL_NOTIFY:
		ike_buf_put8(b, pl->u.notify.protocol);
		ike_buf_put8(b, (uint8_t)pl->u.notify.spi.len);
		ike_buf_put16(b, pl->u.notify.type);
		ike_buf_put(b, pl->u.notify.spi.p, pl->u.notify.spi.len);
		ike_buf_put(b, pl->u.notify.data.p, pl->u.notify.data.len);
		return;
	case IKE_PL_DELETE:
		ike_buf_put8(b, pl->u.del.protocol);
		ike_buf_put8(b, pl->u.del.spi_size);
		ike_buf_put16(b, pl->u.del.nspi);
		ike_buf_put(b, pl->u.del.spis.p, pl->u.del.spis.len);
		return;
	case IKE_PL_TSI:
	case IKE_PL_TSR:
		encode_ts(&pl->u.ts, b);
		return;
	case IKE_PL_CP:
		encode_cp(&pl->u.cp, b);
		return;
	case IKE_PL_EAP:
		ike_buf_put8(b, pl->u.eap.code);
		ike_buf_put8(b, pl->u.eap.ident);
		ike_buf_put16(b, (uint16_t)(4 + pl->u.eap.data.len));
		ike_buf_put(b, pl->u.eap.data.p, pl->u.eap.data.len);
		return;
	case IKE_PL_SKF:
		ike_buf_put16(b, pl->u.skf.frag_num);
		ike_buf_put16(b, pl->u.skf.total);
		ike_buf_put(b, pl->u.skf.data.p, pl->u.skf.data.len);
		return;
	case IKE_PL_NONCE:
	case IKE_PL_VENDOR:
	case IKE_PL_SK:
		ike_buf_put(b, pl->u.raw.p, pl->u.raw.len);
		return;
	}
	ike_buf_put(b, pl->body.p, pl->body.len);
}
