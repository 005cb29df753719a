// SPDX-License-Identifier: GPL-2.0
/*
 * IKEv2 messages (RFC 7296 §3.1-3.2): the header and the chain of generic
 * payload headers. The chain walk checks each length against what is left
 * before looking at the body, requires the chain to end exactly at the end
 * of the message, stops at SK/SKF (whose "next payload" names the first
 * inner payload; it must be the last payload, RFC 7383 §2.5 lets SKF follow
 * others too), and notes unknown payloads marked critical: reported at once
 * in an unprotected message, after the ICV verified in a protected one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ike.h"

/*
 * What a decoded message's SA, TS and CP arrays live in: one allocation
 * per array, chained, freed together. Only decoders allocate here.
 */
struct ike_msg_store {
	struct ike_msg_store *next;
	max_align_t data[];
};

void *ike_msg_alloc(struct ike_msg *msg, size_t size)
{
	struct ike_msg_store *s;

	if (size > SIZE_MAX - sizeof(*s))
		return NULL;
	s = calloc(1, sizeof(*s) + size);
	if (!s)
		return NULL;
	s->next = msg->store;
	msg->store = s;
	return s->data;
}

void ike_msg_release(struct ike_msg *msg)
{
	while (msg->store) {
		struct ike_msg_store *next = msg->store->next;

		free(msg->store);
		msg->store = next;
	}
	msg->npl = 0;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int ike_header_decode(const uint8_t *buf, size_t len, struct ike_header *h,
		      struct ike_error *err)
{
	if (len < IKE_HDR_LEN)
		return ike_set_error(err, IKE_ERR_SYNTAX, 0,
				     "message of %zu bytes is shorter than the IKE header", len);
	memcpy(h->spi_i, buf, 8);
	memcpy(h->spi_r, buf + 8, 8);
	h->next = buf[16];
	h->version = buf[17];
	h->exchange = buf[18];
	h->flags = buf[19];
	h->msgid = get32(buf + 20);
	h->length = get32(buf + 24);
	/*
	 * §2.5: a higher major version is answered with INVALID_MAJOR_VERSION;
	 * IKEv1 (and 0) is not, but an administrator should learn why a legacy
	 * peer gets no answer (see ike_ikev1_log_line).
	 */
	if (h->version >> 4 == 1)
		return ike_set_error(err, IKE_ERR_IKEV1, 0, "IKEv1 (version 0x%02x) is not supported",
				     h->version);
	if (h->version >> 4 > 2)
		return ike_set_error(err, IKE_ERR_MAJOR_VERSION, 0,
				     "major version %u (we speak 2)", h->version >> 4);
	if (h->version >> 4 != 2)
		return ike_set_error(err, IKE_ERR_SYNTAX, 0, "major version %u", h->version >> 4);
	if (h->length != len)
		return ike_set_error(err, IKE_ERR_SYNTAX, 0,
				     "header length %u but %zu bytes received", h->length, len);
	return 0;
}

/* Walks buf[off, len) starting with payload type first. base_off is added to
 * offsets recorded in msg (so sk_offset is relative to the whole message). */
static int walk(uint8_t first, const uint8_t *buf, size_t off, size_t len,
		struct ike_msg *msg, bool inner, struct ike_error *err)
{
	uint8_t np = first;

	while (np != IKE_PL_NONE) {
		struct ike_payload *pl;
		uint16_t plen;
		int rc;

		if (msg->npl == IKE_MAX_PAYLOADS)
			return ike_set_error(err, IKE_ERR_SYNTAX, np,
					     "more than %d payloads", IKE_MAX_PAYLOADS);
		if (len - off < IKE_PL_HDR_LEN)
			return ike_set_error(err, IKE_ERR_SYNTAX, np,
					     "%s payload header truncated (%zu bytes left)",
					     ike_payload_name(np), len - off);
		plen = get16(buf + off + 2);
		if (plen < IKE_PL_HDR_LEN)
			return ike_set_error(err, IKE_ERR_SYNTAX, np,
					     "%s payload length %u is shorter than its header",
					     ike_payload_name(np), plen);
		if (plen > len - off)
			return ike_set_error(err, IKE_ERR_SYNTAX, np,
					     "%s payload length %u overruns the message (%zu left)",
					     ike_payload_name(np), plen, len - off);
		pl = &msg->pl[msg->npl];
		memset(pl, 0, sizeof(*pl));
		pl->type = np;
		pl->next = buf[off];
		pl->flags = buf[off + 1] & IKE_PL_CRITICAL;
		pl->body.p = buf + off + IKE_PL_HDR_LEN;
		pl->body.len = plen - IKE_PL_HDR_LEN;
		if (!ike_payload_known(np)) {
			/*
			 * RFC 7296 §2.5: skip it, but keep it for logs. One
			 * marked critical rejects the message; in a protected
			 * message only once the ICV verified (§2.21.2): note
			 * it, ike_msg_decode or ike_msg_decrypt reports it.
			 */
			if ((pl->flags & IKE_PL_CRITICAL) && !msg->unsupported_critical)
				msg->unsupported_critical = np;
			pl->u.raw = pl->body;
		} else {
			rc = ike_payload_parse(msg, pl, err);
			if (rc)
				return rc;
		}
		msg->npl++;
		if (np == IKE_PL_SK || np == IKE_PL_SKF) {
			if (inner)
				return ike_set_error(err, IKE_ERR_SYNTAX, np,
						     "%s payload inside an encrypted payload",
						     ike_payload_name(np));
			if (plen != len - off)
				return ike_set_error(err, IKE_ERR_SYNTAX, np,
						     "%s payload is not the last payload",
						     ike_payload_name(np));
			msg->sk_offset = off;
			off += plen;
			break;
		}
		off += plen;
		np = pl->next;
	}
	if (off != len)
		return ike_set_error(err, IKE_ERR_SYNTAX, 0,
				     "%zu bytes of trailing data after the last payload", len - off);
	return 0;
}

/* The §2.5 verdict on an unknown critical payload in a chain walked. */
static int critical_error(const struct ike_msg *msg, struct ike_error *err)
{
	return ike_set_error(err, IKE_ERR_CRITICAL, msg->unsupported_critical,
			     "unsupported critical payload type %u", msg->unsupported_critical);
}

int ike_msg_decode(const uint8_t *buf, size_t len, struct ike_msg *msg,
		   struct ike_error *err)
{
	int rc;

	msg->npl = 0;
	msg->sk_offset = 0;
	msg->unsupported_critical = 0;
	msg->store = NULL;
	rc = ike_header_decode(buf, len, &msg->hdr, err);
	if (!rc)
		rc = walk(msg->hdr.next, buf, IKE_HDR_LEN, len, msg, false, err);
	/* Unprotected (IKE_SA_INIT): nothing to verify first. */
	if (!rc && msg->unsupported_critical && !msg->sk_offset)
		rc = critical_error(msg, err);
	if (rc)
		ike_msg_release(msg);
	return rc;
}

int ike_payloads_decode(const struct ike_header *hdr, uint8_t first, const uint8_t *buf,
			size_t len, struct ike_msg *msg, struct ike_error *err)
{
	int rc;

	msg->hdr = *hdr;
	msg->npl = 0;
	msg->sk_offset = 0;
	msg->unsupported_critical = 0;
	msg->store = NULL;
	rc = walk(first, buf, 0, len, msg, true, err);
	if (!rc && msg->unsupported_critical)
		rc = critical_error(msg, err);
	if (rc)
		ike_msg_release(msg);
	return rc;
}

static void encode_one(const struct ike_payload *pl, uint8_t next, struct ike_buf *b)
{
	size_t start = b->len;

	ike_buf_put8(b, next);
	ike_buf_put8(b, pl->flags & IKE_PL_CRITICAL);
	ike_buf_put16(b, 0);
	ike_payload_encode_body(pl, b);
	if (!b->overflow && b->len - start > 0xffff)
		b->overflow = true;
	ike_buf_patch16(b, start + 2, (uint16_t)(b->len - start));
}

/* The chain; the last payload's next is 0 unless it is SK/SKF. */
int ike_payloads_encode(const struct ike_payload *pl, size_t npl, struct ike_buf *b)
{
	for (size_t i = 0; i < npl; i++) {
		uint8_t next = i + 1 < npl ? pl[i + 1].type : 0;

		if (pl[i].type == IKE_PL_SK || pl[i].type == IKE_PL_SKF)
			next = pl[i].next;
		encode_one(&pl[i], next, b);
	}
	return b->overflow ? -IKE_ERR_NOSPC : 0;
}

static void put_header(const struct ike_header *h, uint8_t next, struct ike_buf *b)
{
	ike_buf_put(b, h->spi_i, 8);
	ike_buf_put(b, h->spi_r, 8);
	ike_buf_put8(b, next);
	ike_buf_put8(b, h->version ? h->version : 0x20);
	ike_buf_put8(b, h->exchange);
	ike_buf_put8(b, h->flags);
	ike_buf_put32(b, h->msgid);
	ike_buf_put32(b, 0);	/* length, patched at the end */
}

static void patch_length(struct ike_buf *b, size_t start)
{
	uint32_t len = (uint32_t)(b->len - start);

	if (b->overflow)
		return;
	b->p[start + 24] = len >> 24;
	b->p[start + 25] = (len >> 16) & 0xff;
	b->p[start + 26] = (len >> 8) & 0xff;
	b->p[start + 27] = len & 0xff;
}

int ike_msg_encode(const struct ike_msg *msg, struct ike_buf *b)
{
	size_t start = b->len;

	put_header(&msg->hdr, msg->npl ? msg->pl[0].type : 0, b);
	ike_payloads_encode(msg->pl, msg->npl, b);
	if (!b->overflow && b->len - start > IKE_MAX_MSG)
		b->overflow = true;
	patch_length(b, start);
	return b->overflow ? -IKE_ERR_NOSPC : 0;
}

/*
 * Header, unencrypted payloads (outer), then an SK payload protecting the
 * inner payloads. iv NULL means a fresh random IV.
 */
int ike_msg_encode_sk(const struct ike_header *hdr,
		      const struct ike_payload *outer, size_t nouter,
		      const struct ike_payload *inner, size_t ninner,
		      const struct ike_sk_keys *keys, const uint8_t *iv,
		      struct ike_buf *b, struct ike_error *err)
{
	uint8_t *plain = malloc(IKE_MAX_MSG);
	struct ike_buf ib;
	size_t start = b->len, sk_off, over, total;
	int rc;

	if (!plain)
		return ike_set_error(err, IKE_ERR_NOMEM, IKE_PL_SK, "out of memory");
	ike_buf_init(&ib, plain, IKE_MAX_MSG);
	if (ike_payloads_encode(inner, ninner, &ib)) {
		rc = ike_set_error(err, IKE_ERR_NOSPC, IKE_PL_SK, "inner payloads too large");
		goto out;
	}
	put_header(hdr, nouter ? outer[0].type : IKE_PL_SK, b);
	for (size_t i = 0; i < nouter; i++)
		encode_one(&outer[i], i + 1 < nouter ? outer[i + 1].type : IKE_PL_SK, b);
	sk_off = b->len;
	over = ike_sk_overhead(keys, ib.len);
	ike_buf_put8(b, ninner ? inner[0].type : 0);
	ike_buf_put8(b, 0);
	ike_buf_put16(b, (uint16_t)(IKE_PL_HDR_LEN + over));
	total = b->len - start + over;
	if (b->overflow || IKE_PL_HDR_LEN + over > 0xffff || total > IKE_MAX_MSG ||
	    over > b->cap - b->len) {
		rc = ike_set_error(err, IKE_ERR_NOSPC, IKE_PL_SK, "message too large");
		goto out;
	}
	memset(b->p + b->len, 0, over);
	b->len += over;
	patch_length(b, start);
	rc = ike_sk_seal(keys, b->p + start, sk_off - start + IKE_PL_HDR_LEN, iv,
			 plain, ib.len, total, err);
out:
	ike_wipe(plain, IKE_MAX_MSG);
	free(plain);
	return rc;
}

/*
 * One fragment of an encrypted message (RFC 7383 §2.5): a header and a
 * lone SKF payload protecting frag_len bytes of the inner payload chain.
 * Only fragment 1 names the first inner payload type (first), as §2.5 asks.
 */
int ike_msg_encode_skf(const struct ike_header *hdr, uint8_t first,
		       uint16_t frag_num, uint16_t total, const uint8_t *frag,
		       size_t frag_len, const struct ike_sk_keys *keys,
		       const uint8_t *iv, struct ike_buf *b, struct ike_error *err)
{
	size_t start = b->len, over = ike_sk_overhead(keys, frag_len), aad;

	if (!frag_num || frag_num > total)
		return ike_set_error(err, IKE_ERR_ARG, IKE_PL_SKF, "fragment %u of %u",
				     frag_num, total);
	put_header(hdr, IKE_PL_SKF, b);
	ike_buf_put8(b, frag_num == 1 ? first : 0);
	ike_buf_put8(b, 0);
	ike_buf_put16(b, (uint16_t)(IKE_PL_HDR_LEN + 4 + over));
	ike_buf_put16(b, frag_num);
	ike_buf_put16(b, total);
	aad = b->len - start;
	if (b->overflow || IKE_PL_HDR_LEN + 4 + over > 0xffff || over > b->cap - b->len)
		return ike_set_error(err, IKE_ERR_NOSPC, IKE_PL_SKF, "fragment too large");
	memset(b->p + b->len, 0, over);
	b->len += over;
	patch_length(b, start);
	return ike_sk_seal(keys, b->p + start, aad, iv, frag, frag_len, aad + over, err);
}

/*
 * Verifies and decrypts the SK/SKF payload of a decoded message. plain must
 * hold len bytes. For SK the inner payloads are decoded into inner (slices
 * point into plain); for SKF plain holds this fragment's share of them.
 * Whatever is wrong behind a verified ICV (padding, inner payloads, an
 * unknown critical payload inside or before SK) sets err->authenticated.
 */
int ike_msg_decrypt(const uint8_t *buf, size_t len, const struct ike_msg *msg,
		    const struct ike_sk_keys *keys, uint8_t *plain,
		    size_t *plain_len, struct ike_msg *inner,
		    struct ike_error *err)
{
	const struct ike_payload *last;
	int rc;

	inner->npl = 0;
	inner->sk_offset = 0;
	inner->unsupported_critical = 0;
	inner->store = NULL;
	if (!msg->npl || !msg->sk_offset)
		return ike_set_error(err, IKE_ERR_SYNTAX, 0, "message has no SK payload");
	last = &msg->pl[msg->npl - 1];
	inner->hdr = msg->hdr;
	if (last->type == IKE_PL_SKF)
		rc = ike_skf_open(keys, buf, len, msg->sk_offset, plain, plain_len, err);
	else
		rc = ike_sk_open(keys, buf, len, msg->sk_offset, plain, plain_len, err);
	if (rc)
		return rc;
	if (last->type == IKE_PL_SK)
		rc = ike_payloads_decode(&msg->hdr, last->next, plain, *plain_len, inner, err);
	if (!rc && msg->unsupported_critical) {
		ike_msg_release(inner);
		rc = critical_error(msg, err);
	}
	if (rc && err)
		err->authenticated = true;
	return rc;
}

/* ---- messages we drop, and say so ---------------------------------------- */

/*
 * At most burst allowed calls per interval; *missed (if not NULL) gets how
 * many were refused since the last allowed one. For log lines about
 * traffic we drop, which a peer (or anyone) can repeat at will.
 */
bool ike_ratelimit(struct ike_ratelimit *rl, uint64_t now_ms, unsigned int *missed)
{
	if (!rl->begin_ms || now_ms - rl->begin_ms >= rl->interval_ms) {
		rl->begin_ms = now_ms ? now_ms : 1;
		rl->allowed = 0;
	}
	if (rl->allowed >= rl->burst) {
		rl->missed++;
		return false;
	}
	rl->allowed++;
	if (missed)
		*missed = rl->missed;
	rl->missed = 0;
	return true;
}

/* "IKEv1 from 192.0.2.1:500 is not supported", or [2001:db8::1]:500. */
int ike_ikev1_log_line(char *buf, size_t len, const struct sockaddr *from)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;
	int n;

	if (from && from->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)from;

		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		port = ntohs(sin->sin_port);
		n = snprintf(buf, len, "IKEv1 from %s:%u is not supported", addr, port);
	} else if (from && from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)from;

		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6->sin6_port);
		n = snprintf(buf, len, "IKEv1 from [%s]:%u is not supported", addr, port);
	} else {
		n = snprintf(buf, len, "IKEv1 from an unknown address is not supported");
	}
	return n < 0 || (size_t)n >= len ? -IKE_ERR_NOSPC : 0;
}
