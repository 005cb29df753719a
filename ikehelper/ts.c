// SPDX-License-Identifier: GPL-2.0
/* Traffic selectors (see ts.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ike.h"
#include "ts.h"

static const struct { const char *name; uint8_t proto; } protos[] = {
	{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 }, { "esp", 50 },
	{ "ipv6-icmp", 58 }, { "icmp6", 58 }, { "icmpv6", 58 }, { "sctp", 132 },
	{ "udplite", 136 },
};

/* The n bytes at s as a string in buf[32]; false if empty or too long. */
static bool token(const char *s, size_t n, char buf[32])
{
	if (!n || n >= 32)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

static bool parse_proto(const char *s, size_t n, uint8_t *proto)
{
	char buf[32];
	char *end;
	unsigned long v;

	if (!token(s, n, buf))
		return false;
	if (!strcmp(buf, "%any")) {
		*proto = 0;
		return true;
	}
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcasecmp(buf, protos[i].name)) {
			*proto = protos[i].proto;
			return true;
		}
	v = strtoul(buf, &end, 10);
	if (*end || !isdigit((unsigned char)buf[0]) || v > 255)
		return false;
	*proto = (uint8_t)v;
	return true;
}

static bool parse_port(const char *s, size_t n, uint8_t proto, uint16_t *port)
{
	char buf[32];
	char *end;
	unsigned long v;

	if (!token(s, n, buf))
		return false;
	if (isdigit((unsigned char)buf[0])) {
		v = strtoul(buf, &end, 10);
		if (*end || v > 65535)
			return false;
		*port = (uint16_t)v;
		return true;
	}
	{
		struct servent *se = getservbyname(buf, proto == 17 ? "udp" : "tcp");

		if (!se)
			return false;
		*port = ntohs((uint16_t)se->s_port);
	}
	return true;
}

/* "[proto]" or "[proto/port]" or "[proto/lo-hi]" or "[proto/%any]". */
static bool parse_suffix(const char *s, struct ts *ts, char *why, size_t whylen)
{
	const char *end = strchr(s, ']'), *slash;

	if (!end || end[1]) {
		snprintf(why, whylen, "selector suffix '%s' must be [proto] or [proto/port]", s);
		return false;
	}
	s++;
	slash = memchr(s, '/', (size_t)(end - s));
	if (!parse_proto(s, (size_t)((slash ? slash : end) - s), &ts->proto)) {
		snprintf(why, whylen, "unknown protocol '%.*s'",
			 (int)((slash ? slash : end) - s), s);
		return false;
	}
	if (!slash)
		return true;
	s = slash + 1;
	if ((size_t)(end - s) == 4 && !strncmp(s, "%any", 4))
		return true;
	if ((size_t)(end - s) == 7 && !strncmp(s, "%opaque", 7)) {
		snprintf(why, whylen, "OPAQUE ports are not supported");
		return false;
	}
	{
		const char *dash = memchr(s, '-', (size_t)(end - s));

		if (!parse_port(s, (size_t)((dash ? dash : end) - s), ts->proto, &ts->port_lo) ||
		    !parse_port(dash ? dash + 1 : s, (size_t)(end - (dash ? dash + 1 : s)),
				ts->proto, &ts->port_hi) || ts->port_lo > ts->port_hi) {
			snprintf(why, whylen, "bad port or port range '%.*s'", (int)(end - s), s);
			return false;
		}
	}
	if (!ts->proto) {
		snprintf(why, whylen, "a port needs a protocol");
		return false;
	}
	return true;
}

bool ts_parse(const char *text, struct ts *ts, char *why, size_t whylen)
{
	char buf[128];
	const char *br = strchr(text, '[');
	size_t n = br ? (size_t)(br - text) : strlen(text);
	struct addr lo, hi;
	char *slash, *dash;

	memset(ts, 0, sizeof(*ts));
	ts->port_hi = 65535;
	if (n >= sizeof(buf)) {
		snprintf(why, whylen, "selector '%s' is too long", text);
		return false;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (br && !parse_suffix(br, ts, why, whylen))
		return false;
	if (!strcmp(buf, "dynamic")) {
		ts->dynamic = true;
		return true;
	}
	slash = strchr(buf, '/');
	dash = strchr(buf, '-');
	if (slash) {
		char *end;
		unsigned long bits;

		*slash = '\0';
		bits = strtoul(slash + 1, &end, 10);
		if (!addr_parse(buf, &lo) || *end || !slash[1] ||
		    bits > addr_len(lo.family) * 8) {
			snprintf(why, whylen, "'%s' is not a subnet (ADDRESS/BITS)", text);
			return false;
		}
		addr_mask(&lo, (unsigned int)bits);
		addr_prefix_end(&lo, (unsigned int)bits, &hi);
	} else if (dash) {
		*dash = '\0';
		if (!addr_parse(buf, &lo) || !addr_parse(dash + 1, &hi) ||
		    lo.family != hi.family || addr_cmp(&lo, &hi) > 0) {
			snprintf(why, whylen, "'%s' is not an address range (FIRST-LAST)", text);
			return false;
		}
	} else if (addr_parse(buf, &lo)) {
		hi = lo;
	} else {
		snprintf(why, whylen, "'%s' is not a subnet, range, address or 'dynamic'", text);
		return false;
	}
	ts->family = lo.family;
	memcpy(ts->lo, lo.ip, 16);
	memcpy(ts->hi, hi.ip, 16);
	return true;
}

static const char *proto_name(uint8_t proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

/* The prefix length if [lo, hi] is exactly one CIDR prefix, else -1. */
static int prefix_len(const struct ts *ts)
{
	size_t n = addr_len(ts->family);

	for (unsigned int bits = 0; bits <= n * 8; bits++) {
		struct addr a = { .family = ts->family }, e;

		memcpy(a.ip, ts->lo, n);
		addr_mask(&a, bits);
		if (memcmp(a.ip, ts->lo, n))
			continue;
		addr_prefix_end(&a, bits, &e);
		if (!memcmp(e.ip, ts->hi, n))
			return (int)bits;
	}
	return -1;
}

const char *ts_str(const struct ts *ts, char *buf, size_t len)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	struct addr lo = { .family = ts->family }, hi = { .family = ts->family };
	size_t off;
	int bits;

	if (ts->dynamic) {
		off = (size_t)snprintf(buf, len, "dynamic");
	} else {
		memcpy(lo.ip, ts->lo, 16);
		memcpy(hi.ip, ts->hi, 16);
		bits = prefix_len(ts);
		addr_str(&lo, a, sizeof(a));
		if (bits >= 0)
			off = (size_t)snprintf(buf, len, "%s/%d", a, bits);
		else
			off = (size_t)snprintf(buf, len, "%s-%s", a, addr_str(&hi, b, sizeof(b)));
	}
	if (off >= len || (!ts->proto && ts->port_lo == 0 && ts->port_hi == 65535))
		return buf;
	if (proto_name(ts->proto))
		off += (size_t)snprintf(buf + off, len - off, "[%s", proto_name(ts->proto));
	else
		off += (size_t)snprintf(buf + off, len - off, "[%u", ts->proto);
	if (off >= len)
		return buf;
	if (ts->port_lo == ts->port_hi)
		snprintf(buf + off, len - off, "/%u]", ts->port_lo);
	else if (ts->port_lo != 0 || ts->port_hi != 65535)
		snprintf(buf + off, len - off, "/%u-%u]", ts->port_lo, ts->port_hi);
	else
		snprintf(buf + off, len - off, "]");
	return buf;
}

const char *ts_list_str(const struct ts *ts, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	if (!n)
		snprintf(buf, len, "(none)");
	for (size_t i = 0; i < n && off < len; i++) {
		char one[TS_STRLEN];
		int w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
				 ts_str(&ts[i], one, sizeof(one)));

		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

void ts_from_addr(struct ts *ts, const struct addr *a)
{
	memset(ts, 0, sizeof(*ts));
	ts->port_hi = 65535;
	ts_resolve(ts, a);
}

void ts_resolve(struct ts *ts, const struct addr *h)
{
	ts->dynamic = false;
	ts->family = h->family;
	memset(ts->lo, 0, sizeof(ts->lo));
	memcpy(ts->lo, h->ip, addr_len(h->family));
	memcpy(ts->hi, ts->lo, sizeof(ts->hi));
}

static int cmp_ip(const struct ts *t, const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, addr_len(t->family));
}

bool ts_intersect(const struct ts *a, const struct ts *b, struct ts *out)
{
	if (a->dynamic || b->dynamic || a->family != b->family)
		return false;
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	memset(out, 0, sizeof(*out));
	out->family = a->family;
	out->proto = a->proto ? a->proto : b->proto;
	out->port_lo = a->port_lo > b->port_lo ? a->port_lo : b->port_lo;
	out->port_hi = a->port_hi < b->port_hi ? a->port_hi : b->port_hi;
	memcpy(out->lo, cmp_ip(a, a->lo, b->lo) > 0 ? a->lo : b->lo, 16);
	memcpy(out->hi, cmp_ip(a, a->hi, b->hi) < 0 ? a->hi : b->hi, 16);
	return out->port_lo <= out->port_hi && cmp_ip(out, out->lo, out->hi) <= 0;
}

bool ts_subset(const struct ts *a, const struct ts *b)
{
	struct ts i;

	return ts_intersect(a, b, &i) && ts_equal(&i, a);
}

bool ts_equal(const struct ts *a, const struct ts *b)
{
	return a->dynamic == b->dynamic && a->family == b->family && a->proto == b->proto &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       !memcmp(a->lo, b->lo, 16) && !memcmp(a->hi, b->hi, 16);
}

bool ts_is_host(const struct ts *a, const struct addr *h)
{
	size_t n = addr_len(a->family);

	return !a->dynamic && a->family == h->family && !memcmp(a->lo, a->hi, n) &&
	       !memcmp(a->lo, h->ip, n);
}

bool ts_contains_addr(const struct ts *a, const struct addr *h)
{
	return !a->dynamic && a->family == h->family && cmp_ip(a, a->lo, h->ip) <= 0 &&
	       cmp_ip(a, h->ip, a->hi) <= 0;
}

size_t ts_narrow(const struct ts *ours, size_t nours, const struct ts *theirs,
		 size_t ntheirs, struct ts *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < nours; i++) {
		for (size_t j = 0; j < ntheirs && n < max; j++) {
			struct ts t;
			bool dup = false;

			if (!ts_intersect(&ours[i], &theirs[j], &t))
				continue;
			for (size_t k = 0; k < n && !dup; k++)
				dup = ts_equal(&out[k], &t);
			if (!dup)
				out[n++] = t;
		}
	}
	return n;
}

void ts_to_wire(const struct ts *ts, struct ike_ts *w)
{
	memset(w, 0, sizeof(*w));
	w->type = ts->family == AF_INET6 ? IKE_TS_IPV6_ADDR_RANGE : IKE_TS_IPV4_ADDR_RANGE;
	w->ipproto = ts->proto;
	w->start_port = ts->port_lo;
	w->end_port = ts->port_hi;
	memcpy(w->start, ts->lo, addr_len(ts->family));
	memcpy(w->end, ts->hi, addr_len(ts->family));
}

bool ts_from_wire(const struct ike_ts *w, struct ts *ts)
{
	memset(ts, 0, sizeof(*ts));
	if (w->type == IKE_TS_IPV4_ADDR_RANGE)
		ts->family = AF_INET;
	else if (w->type == IKE_TS_IPV6_ADDR_RANGE)
		ts->family = AF_INET6;
	else
		return false;
	ts->proto = w->ipproto;
	ts->port_lo = w->start_port;
	ts->port_hi = w->end_port;
	memcpy(ts->lo, w->start, addr_len(ts->family));
	memcpy(ts->hi, w->end, addr_len(ts->family));
	return true;
}

/* Big-endian arithmetic on addresses of n bytes. */
static bool all_ones_below(const uint8_t *a, size_t n, unsigned int k)
{
	for (size_t i = n; i-- > 0 && k;) {
		unsigned int take = k < 8 ? k : 8;
		uint8_t m = (uint8_t)((1u << take) - 1);

		if ((a[i] & m) != m)
			return false;
		k -= take;
	}
	return true;
}

static bool zero_below(const uint8_t *a, size_t n, unsigned int k)
{
	for (size_t i = n; i-- > 0 && k;) {
		unsigned int take = k < 8 ? k : 8;
		uint8_t m = (uint8_t)((1u << take) - 1);

		if (a[i] & m)
			return false;
		k -= take;
	}
	return true;
}

static void set_below(uint8_t *a, size_t n, unsigned int k)
{
	for (size_t i = n; i-- > 0 && k;) {
		unsigned int take = k < 8 ? k : 8;

		a[i] |= (uint8_t)((1u << take) - 1);
		k -= take;
	}
}

/* a += 1; false on wrap-around. */
static bool increment(uint8_t *a, size_t n)
{
	for (size_t i = n; i-- > 0;)
		if (++a[i])
			return true;
	return false;
}

void ts_prefixes(const struct ts *ts, void (*fn)(const struct addr *a, unsigned int bits,
						 void *arg), void *arg)
{
	size_t n = addr_len(ts->family);
	unsigned int width = (unsigned int)n * 8;
	uint8_t cur[16];

	if (!n)
		return;
	memcpy(cur, ts->lo, n);
	for (;;) {
		unsigned int k = width;
		uint8_t end[16];
		struct addr a = { .family = ts->family };

		/* The largest aligned block at cur that stays within hi. */
		while (k > 0) {
			if (zero_below(cur, n, k)) {
				memcpy(end, cur, n);
				set_below(end, n, k);
				if (memcmp(end, ts->hi, n) <= 0)
					break;
			}
			k--;
		}
		if (k == 0)
			memcpy(end, cur, n);
		memcpy(a.ip, cur, n);
		fn(&a, width - k, arg);
		if (!memcmp(end, ts->hi, n) || all_ones_below(end, n, width))
			return;
		memcpy(cur, end, n);
		if (!increment(cur, n))
			return;
	}
}
