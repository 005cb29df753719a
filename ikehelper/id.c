// SPDX-License-Identifier: GPL-2.0
/*
 * Identities. DNs are the only structured kind: a SEQUENCE of SETs of
 * SEQUENCE { OID, string }, which we write (from "C=CH, O=x, CN=y") and
 * read back (for logs and RDN-wise matching) with a DER walker that checks
 * every length against what is left before using it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "id.h"

#define ASN1_SEQUENCE 0x30
#define ASN1_SET 0x31
#define ASN1_OID 0x06
#define ASN1_UTF8STRING 0x0c
#define ASN1_PRINTABLESTRING 0x13
#define ASN1_T61STRING 0x14
#define ASN1_IA5STRING 0x16

struct rdn_kind {
	const char *name;
	uint8_t oid[10];
	uint8_t oid_len;
	uint8_t str_type;	/* PrintableString unless noted */
};

/* The first name of each OID is the one we print. */
static const struct rdn_kind rdn_kinds[] = {
	{ "C", { 0x55, 0x04, 0x06 }, 3, ASN1_PRINTABLESTRING },
	{ "ST", { 0x55, 0x04, 0x08 }, 3, ASN1_PRINTABLESTRING },
	{ "L", { 0x55, 0x04, 0x07 }, 3, ASN1_PRINTABLESTRING },
	{ "O", { 0x55, 0x04, 0x0a }, 3, ASN1_PRINTABLESTRING },
	{ "OU", { 0x55, 0x04, 0x0b }, 3, ASN1_PRINTABLESTRING },
	{ "CN", { 0x55, 0x04, 0x03 }, 3, ASN1_PRINTABLESTRING },
	{ "S", { 0x55, 0x04, 0x04 }, 3, ASN1_PRINTABLESTRING },
	{ "SN", { 0x55, 0x04, 0x05 }, 3, ASN1_PRINTABLESTRING },
	{ "serialNumber", { 0x55, 0x04, 0x05 }, 3, ASN1_PRINTABLESTRING },
	{ "STREET", { 0x55, 0x04, 0x09 }, 3, ASN1_PRINTABLESTRING },
	{ "T", { 0x55, 0x04, 0x0c }, 3, ASN1_PRINTABLESTRING },
	{ "D", { 0x55, 0x04, 0x0d }, 3, ASN1_PRINTABLESTRING },
	{ "N", { 0x55, 0x04, 0x29 }, 3, ASN1_PRINTABLESTRING },
	{ "G", { 0x55, 0x04, 0x2a }, 3, ASN1_PRINTABLESTRING },
	{ "I", { 0x55, 0x04, 0x2b }, 3, ASN1_PRINTABLESTRING },
	{ "ID", { 0x55, 0x04, 0x2d }, 3, ASN1_PRINTABLESTRING },
	{ "dnQualifier", { 0x55, 0x04, 0x2e }, 3, ASN1_PRINTABLESTRING },
	{ "pseudonym", { 0x55, 0x04, 0x41 }, 3, ASN1_PRINTABLESTRING },
	{ "E", { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 }, 9, ASN1_IA5STRING },
	{ "Email", { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 }, 9, ASN1_IA5STRING },
	{ "emailAddress", { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 }, 9,
	  ASN1_IA5STRING },
	{ "UID", { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01 }, 10,
	  ASN1_PRINTABLESTRING },
	{ "DC", { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19 }, 10,
	  ASN1_PRINTABLESTRING },
};

#define NKINDS (sizeof(rdn_kinds) / sizeof(rdn_kinds[0]))

const char *id_type_name(unsigned int type)
{
	switch (type) {
	case IKE_ID_ANY: return "%any";
	case IKE_ID_IPV4_ADDR: return "IPv4";
	case IKE_ID_FQDN: return "FQDN";
	case IKE_ID_RFC822_ADDR: return "RFC822";
	case IKE_ID_IPV6_ADDR: return "IPv6";
	case IKE_ID_DER_ASN1_DN: return "DN";
	case IKE_ID_DER_ASN1_GN: return "GN";
	case IKE_ID_KEY_ID: return "KEY_ID";
	}
	return "unknown";
}

static bool printable_string(const char *s, size_t n)
{
	static const char ok[] = " '()+,-./:=?";

	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(ok, s[i]))
			return false;
	return true;
}

/* Appends a DER tag and length; false when it does not fit. */
static bool put_tl(uint8_t *out, size_t cap, size_t *off, uint8_t tag, size_t len)
{
	size_t need = len < 0x80 ? 2 : len < 0x100 ? 3 : 4;

	if (len > 0xffff || cap - *off < need)
		return false;
	out[(*off)++] = tag;
	if (len < 0x80) {
		out[(*off)++] = (uint8_t)len;
	} else if (len < 0x100) {
		out[(*off)++] = 0x81;
		out[(*off)++] = (uint8_t)len;
	} else {
		out[(*off)++] = 0x82;
		out[(*off)++] = (uint8_t)(len >> 8);
		out[(*off)++] = (uint8_t)len;
	}
	return true;
}

static size_t tl_len(size_t len)
{
	return len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
}

/* "C=CH, O=strongSwan, CN=moon" (or "/C=CH/O=..."), as strongSwan's atodn. */
static bool dn_encode(const char *text, struct ike_id *id, char *why, size_t whylen)
{
	uint8_t body[IKE_ID_MAX];
	size_t off = 0, blen;
	const char *s = text;
	char sep = *s == '/' ? '/' : ',';

	if (sep == '/')
		s++;
	while (*s) {
		const struct rdn_kind *k = NULL;
		const char *key, *val;
		size_t klen, vlen, seq, set;
		uint8_t type;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		key = s;
		while (*s && *s != '=' && *s != ' ' && *s != sep)
			s++;
		klen = (size_t)(s - key);
		while (*s == ' ')
			s++;
		if (*s != '=') {
			snprintf(why, whylen, "DN part '%.*s' has no '='", (int)klen, key);
			return false;
		}
		s++;
		for (size_t i = 0; i < NKINDS; i++)
			if (strlen(rdn_kinds[i].name) == klen &&
			    !strncasecmp(rdn_kinds[i].name, key, klen)) {
				k = &rdn_kinds[i];
				break;
			}
		if (!k) {
			snprintf(why, whylen, "unknown DN attribute '%.*s'", (int)klen, key);
			return false;
		}
		while (*s == ' ')
			s++;
		val = s;
		while (*s && *s != sep)
			s++;
		vlen = (size_t)(s - val);
		while (vlen && val[vlen - 1] == ' ')
			vlen--;
		if (*s == sep)
			s++;
		type = k->str_type == ASN1_PRINTABLESTRING && !printable_string(val, vlen) ?
		       ASN1_UTF8STRING : k->str_type;
		seq = tl_len(k->oid_len) + k->oid_len + tl_len(vlen) + vlen;
		set = tl_len(seq) + seq;
		if (set + tl_len(set) > sizeof(body) - off ||
		    !put_tl(body, sizeof(body), &off, ASN1_SET, seq + tl_len(seq)) ||
		    !put_tl(body, sizeof(body), &off, ASN1_SEQUENCE, seq) ||
		    !put_tl(body, sizeof(body), &off, ASN1_OID, k->oid_len)) {
			snprintf(why, whylen, "DN longer than %d bytes", IKE_ID_MAX);
			return false;
		}
		memcpy(body + off, k->oid, k->oid_len);
		off += k->oid_len;
		if (!put_tl(body, sizeof(body), &off, type, vlen) || vlen > sizeof(body) - off) {
			snprintf(why, whylen, "DN longer than %d bytes", IKE_ID_MAX);
			return false;
		}
		memcpy(body + off, val, vlen);
		off += vlen;
	}
	if (!off) {
		snprintf(why, whylen, "empty DN");
		return false;
	}
	blen = 0;
	if (!put_tl(id->data, sizeof(id->data), &blen, ASN1_SEQUENCE, off) ||
	    off > sizeof(id->data) - blen) {
		snprintf(why, whylen, "DN longer than %d bytes", IKE_ID_MAX);
		return false;
	}
	memcpy(id->data + blen, body, off);
	id->type = IKE_ID_DER_ASN1_DN;
	id->len = (uint16_t)(blen + off);
	return true;
}

/* One DER element at *p (within end): its tag, body and length. */
static bool der_next(const uint8_t **p, const uint8_t *end, uint8_t *tag,
		     const uint8_t **body, size_t *len)
{
	const uint8_t *q = *p;
	size_t n;

	if (end - q < 2)
		return false;
	*tag = *q++;
	n = *q++;
	if (n & 0x80) {
		unsigned int bytes = n & 0x7f;

		if (bytes == 0 || bytes > 2 || (size_t)(end - q) < bytes)
			return false;
		n = 0;
		while (bytes--)
			n = n << 8 | *q++;
	}
	if ((size_t)(end - q) < n)
		return false;
	*body = q;
	*len = n;
	*p = q + n;
	return true;
}

struct rdn {
	const uint8_t *oid, *val;
	size_t oid_len, val_len;
	uint8_t type;
};

/* Walks a DN: returns the number of RDNs stored in out (up to max), or -1
 * for a malformed DN. */
static int dn_rdns(const struct ike_id *id, struct rdn *out, int max)
{
	const uint8_t *p = id->data, *end = id->data + id->len, *dn, *dn_end;
	uint8_t tag;
	size_t len;
	int n = 0;

	if (!der_next(&p, end, &tag, &dn, &len) || tag != ASN1_SEQUENCE || p != end)
		return -1;
	dn_end = dn + len;
	while (dn < dn_end) {
		const uint8_t *set, *set_end;

		if (!der_next(&dn, dn_end, &tag, &set, &len) || tag != ASN1_SET)
			return -1;
		set_end = set + len;
		while (set < set_end) {
			const uint8_t *seq, *seq_end;
			struct rdn r;

			if (!der_next(&set, set_end, &tag, &seq, &len) || tag != ASN1_SEQUENCE)
				return -1;
			seq_end = seq + len;
			if (!der_next(&seq, seq_end, &tag, &r.oid, &r.oid_len) || tag != ASN1_OID ||
			    !der_next(&seq, seq_end, &r.type, &r.val, &r.val_len) || seq != seq_end)
				return -1;
			if (n == max)
				return -1;
			out[n++] = r;
		}
	}
	return n;
}

#define RDN_MAX 32

static void append(char *buf, size_t len, size_t *off, const char *fmt, const char *s, size_t n)
{
	int w;

	if (*off >= len)
		return;
	w = snprintf(buf + *off, len - *off, fmt, (int)n, s);
	if (w > 0)
		*off += (size_t)w;
}

/* Copies up to n bytes of s into out, '?' for what a log should not show. */
static size_t printable_copy(char *out, size_t cap, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < cap; i++)
		out[i] = isprint(s[i]) ? (char)s[i] : '?';
	out[i] = '\0';
	return i;
}

static void dn_str(const struct ike_id *id, char *buf, size_t len)
{
	struct rdn r[RDN_MAX];
	int n = dn_rdns(id, r, RDN_MAX);
	size_t off = 0;

	buf[0] = '\0';
	if (n < 0) {
		snprintf(buf, len, "(malformed DN of %u bytes)", id->len);
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = NULL;
		char val[256];
		size_t vl;

		for (size_t k = 0; k < NKINDS && !name; k++)
			if (rdn_kinds[k].oid_len == r[i].oid_len &&
			    !memcmp(rdn_kinds[k].oid, r[i].oid, r[i].oid_len))
				name = rdn_kinds[k].name;
		if (i)
			append(buf, len, &off, "%.*s", ", ", 2);
		append(buf, len, &off, "%.*s", name ? name : "?", strlen(name ? name : "?"));
		vl = printable_copy(val, sizeof(val), r[i].val, r[i].val_len);
		append(buf, len, &off, "=%.*s", val, vl);
	}
}

const char *id_str(const struct ike_id *id, char *buf, size_t len)
{
	char tmp[IKE_ID_MAX + 1];

	switch (id->type) {
	case IKE_ID_ANY:
		snprintf(buf, len, "%%any");
		break;
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		if (id->len != (id->type == IKE_ID_IPV4_ADDR ? 4 : 16) ||
		    !inet_ntop(id->type == IKE_ID_IPV4_ADDR ? AF_INET : AF_INET6, id->data,
			       buf, (socklen_t)len))
			snprintf(buf, len, "(malformed %s identity)", id_type_name(id->type));
		break;
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
		printable_copy(tmp, sizeof(tmp), id->data, id->len);
		snprintf(buf, len, "%s", tmp);
		break;
	case IKE_ID_DER_ASN1_DN:
		dn_str(id, buf, len);
		break;
	case IKE_ID_KEY_ID: {
		size_t off = 0;

		off += (size_t)snprintf(buf, len, "@#");
		for (size_t i = 0; i < id->len && off + 3 < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "%02x", id->data[i]);
		break;
	}
	default:
		snprintf(buf, len, "(%s identity of %u bytes)", id_type_name(id->type), id->len);
	}
	return buf;
}

static bool set_text(struct ike_id *id, uint8_t type, const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);

	if (!n || n > sizeof(id->data)) {
		snprintf(why, whylen, "%s identity of %zu characters", id_type_name(type), n);
		return false;
	}
	id->type = type;
	id->len = (uint16_t)n;
	memcpy(id->data, s, n);
	return true;
}

static bool set_hex(struct ike_id *id, const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);

	if (!n || n % 2 || n / 2 > sizeof(id->data)) {
		snprintf(why, whylen, "key id '%s' is not an even number of hex digits", s);
		return false;
	}
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;

		if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1) {
			snprintf(why, whylen, "key id '%s' is not hex", s);
			return false;
		}
		id->data[i] = (uint8_t)v;
	}
	id->type = IKE_ID_KEY_ID;
	id->len = (uint16_t)(n / 2);
	return true;
}

static bool set_addr(struct ike_id *id, int family, const char *s, char *why, size_t whylen)
{
	uint8_t ip[16];

	if (inet_pton(family, s, ip) != 1) {
		snprintf(why, whylen, "'%s' is not an %s address", s,
			 family == AF_INET ? "IPv4" : "IPv6");
		return false;
	}
	id_from_addr(id, ip, family == AF_INET ? 4 : 16);
	return true;
}

bool id_parse(const char *text, struct ike_id *id, char *why, size_t whylen)
{
	static const struct { const char *prefix; uint8_t type; } forced[] = {
		{ "fqdn:", IKE_ID_FQDN }, { "email:", IKE_ID_RFC822_ADDR },
		{ "userfqdn:", IKE_ID_RFC822_ADDR }, { "rfc822:", IKE_ID_RFC822_ADDR },
		{ "keyid:", IKE_ID_KEY_ID }, { "ipv4:", IKE_ID_IPV4_ADDR },
		{ "ipv6:", IKE_ID_IPV6_ADDR }, { "asn1dn:", IKE_ID_DER_ASN1_DN },
	};
	uint8_t ip[16];

	memset(id, 0, sizeof(*id));
	for (size_t i = 0; i < sizeof(forced) / sizeof(forced[0]); i++) {
		size_t n = strlen(forced[i].prefix);
		const char *rest = text + n;

		if (strncasecmp(text, forced[i].prefix, n))
			continue;
		switch (forced[i].type) {
		case IKE_ID_KEY_ID:
			if (rest[0] == '#')
				return set_hex(id, rest + 1, why, whylen);
			return set_text(id, IKE_ID_KEY_ID, rest, why, whylen);
		case IKE_ID_IPV4_ADDR:
			return set_addr(id, AF_INET, rest, why, whylen);
		case IKE_ID_IPV6_ADDR:
			return set_addr(id, AF_INET6, rest, why, whylen);
		case IKE_ID_DER_ASN1_DN:
			return dn_encode(rest, id, why, whylen);
		default:
			return set_text(id, forced[i].type, rest, why, whylen);
		}
	}
	if (!*text || !strcmp(text, "%any") || !strcmp(text, "%any6") || !strcmp(text, "*")) {
		id->type = IKE_ID_ANY;
		return true;
	}
	if (strchr(text, '=') && dn_encode(text, id, why, whylen))
		return true;
	if (!strchr(text, '@')) {
		if (inet_pton(AF_INET, text, ip) == 1) {
			id_from_addr(id, ip, 4);
			return true;
		}
		if (inet_pton(AF_INET6, text, ip) == 1) {
			id_from_addr(id, ip, 16);
			return true;
		}
		if (strchr(text, '=')) {
			/* dn_encode said why it is not a DN. */
			return false;
		}
		return set_text(id, IKE_ID_FQDN, text, why, whylen);
	}
	if (text[0] == '@') {
		if (text[1] == '#')
			return set_hex(id, text + 2, why, whylen);
		if (text[1] == '@')
			return set_text(id, IKE_ID_RFC822_ADDR, text + 2, why, whylen);
		return set_text(id, IKE_ID_FQDN, text + 1, why, whylen);
	}
	return set_text(id, IKE_ID_RFC822_ADDR, text, why, whylen);
}

void id_from_addr(struct ike_id *id, const uint8_t *ip, size_t len)
{
	memset(id, 0, sizeof(*id));
	id->type = len == 4 ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
	id->len = (uint16_t)len;
	memcpy(id->data, ip, len);
}

bool id_equal(const struct ike_id *a, const struct ike_id *b)
{
	return a->type == b->type && a->len == b->len && !memcmp(a->data, b->data, a->len);
}

/* "*.example.org" / "*@example.org": the pattern after '*' ends the name. */
static bool text_matches(const struct ike_id *pattern, const struct ike_id *peer)
{
	const uint8_t *p = pattern->data;
	size_t n = pattern->len;

	if (n && p[0] == '*') {
		if (peer->len < n - 1)
			return false;
		return !strncasecmp((const char *)p + 1,
				    (const char *)peer->data + peer->len - (n - 1), n - 1);
	}
	return n == peer->len && !strncasecmp((const char *)p, (const char *)peer->data, n) &&
	       !memchr(peer->data, 0, peer->len);
}

static bool dn_matches(const struct ike_id *pattern, const struct ike_id *peer)
{
	struct rdn a[RDN_MAX], b[RDN_MAX];
	int na, nb;

	if (id_equal(pattern, peer))
		return true;
	na = dn_rdns(pattern, a, RDN_MAX);
	nb = dn_rdns(peer, b, RDN_MAX);
	if (na < 0 || nb < 0 || na != nb)
		return false;
	for (int i = 0; i < na; i++) {
		if (a[i].oid_len != b[i].oid_len || memcmp(a[i].oid, b[i].oid, a[i].oid_len))
			return false;
		if (a[i].val_len == 1 && a[i].val[0] == '*')
			continue;
		if (a[i].val_len != b[i].val_len)
			return false;
		/* strongSwan: printable strings and e-mail RDNs ignore case. */
		if (a[i].type == b[i].type &&
		    (a[i].type == ASN1_PRINTABLESTRING || a[i].type == ASN1_IA5STRING)) {
			if (strncasecmp((const char *)a[i].val, (const char *)b[i].val, a[i].val_len))
				return false;
		} else if (memcmp(a[i].val, b[i].val, a[i].val_len)) {
			return false;
		}
	}
	return true;
}

bool id_matches(const struct ike_id *pattern, const struct ike_id *peer)
{
	if (pattern->type == IKE_ID_ANY)
		return true;
	if (pattern->type != peer->type)
		return false;
	switch (pattern->type) {
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
		return text_matches(pattern, peer);
	case IKE_ID_DER_ASN1_DN:
		return dn_matches(pattern, peer);
	}
	return id_equal(pattern, peer);
}
