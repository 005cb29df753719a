// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int parse_u64(const char *s, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		return -1;	/* no octal, no ambiguity */
	}
	if (!*s)
		return -1;
	/* By hand: strtoull would take signs, blanks and a second "0x". */
	for (; *s; s++) {
		int d = hexval(*s);

		if (d < 0 || (unsigned int)d >= base)
			return -1;
		if (v > (UINT64_MAX - (unsigned int)d) / base)
			return -1;
		v = v * base + (unsigned int)d;
	}
	*out = v;
	return 0;
}

int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, &v) < 0 || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int parse_hex_key(const char *s, uint8_t *key, size_t max, size_t *len)
{
	size_t n, i;

	*len = 0;
	if (!s[0])
		return 0;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	s += 2;
	n = strlen(s);
	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			explicit_bzero(key, max);
			return -1;
		}
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

int parse_addr(const char *s, struct kesp_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, s, addr->a) == 1) {
		addr->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr->a) == 1) {
		addr->family = AF_INET6;
		return 0;
	}
	return -1;
}

int parse_prefix(const char *s, struct kesp_addr *start, struct kesp_addr *end)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint32_t plen, bits;

	if (alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (parse_addr(buf, start) < 0)
		return -1;
	bits = (uint32_t)kesp_addr_len(start->family) * 8;
	plen = bits;
	/* A plain decimal length: "/0x8" and "/08" are refused. */
	if (slash && (strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
		      parse_u32(slash + 1, bits, &plen) < 0))
		return -1;
	*end = *start;
	for (uint32_t i = 0; i < bits / 8; i++) {
		uint8_t mask;

		if (plen >= (i + 1) * 8)
			mask = 0xff;
		else if (plen <= i * 8)
			mask = 0;
		else
			mask = (uint8_t)(0xff00 >> (plen - i * 8));
		start->a[i] &= mask;
		end->a[i] = (uint8_t)(start->a[i] | (uint8_t)~mask);
	}
	return 0;
}

int range_prefix_len(int family, const uint8_t *start, const uint8_t *end)
{
	int bits = (int)kesp_addr_len(family) * 8;

	for (int plen = bits; plen >= 0; plen--) {
		bool ok = true;

		for (int i = 0; i < bits / 8 && ok; i++) {
			uint8_t mask;

			if (plen >= (i + 1) * 8)
				mask = 0xff;
			else if (plen <= i * 8)
				mask = 0;
			else
				mask = (uint8_t)(0xff00 >> (plen - i * 8));
			ok = (start[i] & (uint8_t)~mask) == 0 &&
			     end[i] == (uint8_t)(start[i] | (uint8_t)~mask);
		}
		if (ok)
			return plen;
	}
	return -1;
}

void format_range(int family, const uint8_t *start, const uint8_t *end,
		  char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int plen = range_prefix_len(family, start, end);

	inet_ntop(family, start, a, sizeof(a));
	if (plen >= 0) {
		snprintf(buf, size, "%s/%d", a, plen);
		return;
	}
	inet_ntop(family, end, b, sizeof(b));
	snprintf(buf, size, "%s-%s", a, b);
}

int parse_port_range(const char *s, uint16_t *start, uint16_t *end)
{
	char buf[16];
	const char *dash = strchr(s, '-');
	uint32_t a, b;

	if (!dash)
		dash = s + strlen(s);
	if ((size_t)(dash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (parse_u32(buf, 65535, &a) < 0)
		return -1;
	b = a;
	if (*dash && parse_u32(dash + 1, 65535, &b) < 0)
		return -1;
	if (a > b)
		return -1;
	*start = (uint16_t)a;
	*end = (uint16_t)b;
	return 0;
}

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "any", 0 },
	{ "icmp", 1 },
	{ "tcp", 6 },
	{ "udp", 17 },
	{ "ipv6-icmp", 58 },
	{ "icmpv6", 58 },
	{ "sctp", 132 },
	{ "udplite", 136 },
};

int parse_proto(const char *s, uint8_t *proto)
{
	uint32_t v;

	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (!strcasecmp(s, protos[i].name)) {
			*proto = protos[i].proto;
			return 0;
		}
	}
	if (parse_u32(s, 255, &v) < 0)
		return -1;
	*proto = (uint8_t)v;
	return 0;
}

const char *proto_name(uint8_t proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

bool proto_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

bool proto_is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

/*
 * What the uapi lists. AEAD keys carry the 4-byte salt; HMAC keys may be
 * any length up to KESP_KEY_MAX (RFC 2104), so they are not listed (the
 * module asks for RFC 4868's lengths and says so).
 *
 * The authentication names and what "auth NAME" means are XFRM's
 * (net/xfrm/xfrm_algo.c, which ip xfrm passes names to): sha1 and sha256
 * are aliases there, and its default truncation is 96 bits for both --
 * for hmac(sha256) that predates RFC 4868's 128, which is all kesp
 * takes. hmac(sha384) and hmac(sha512) have no short names there, so
 * none here: a line either tool refuses, the other refuses too.
 */
static const struct kesp_alg_info algs[] = {
	{ "rfc4106(gcm(aes))", KESP_ALG_AEAD, { "gcm(aes)", "aes-gcm", "gcm-aes" },
	  { 20, 28, 36 }, false, { 128, 96, 64 }, 0 },
	{ "rfc7539esp(chacha20,poly1305)", KESP_ALG_AEAD,
	  { "chacha20-poly1305", "chacha20poly1305", NULL },
	  { 36, 0, 0 }, false, { 128, 0, 0 }, 0 },
	{ "cbc(aes)", KESP_ALG_ENC, { "aes", "aes-cbc", NULL },
	  { 16, 24, 32 }, false, { 0, 0, 0 }, 0 },
	{ "ecb(cipher_null)", KESP_ALG_ENC, { "cipher_null", "null", NULL },
	  { 0, 0, 0 }, true, { 0, 0, 0 }, 0 },
	{ "hmac(sha1)", KESP_ALG_AUTH, { "sha1", NULL, NULL },
	  { 0, 0, 0 }, false, { 96, 0, 0 }, 96 },
	{ "hmac(sha256)", KESP_ALG_AUTH, { "sha256", NULL, NULL },
	  { 0, 0, 0 }, false, { 128, 0, 0 }, 96 },
	{ "hmac(sha384)", KESP_ALG_AUTH, { NULL, NULL, NULL },
	  { 0, 0, 0 }, false, { 192, 0, 0 }, 192 },
	{ "hmac(sha512)", KESP_ALG_AUTH, { NULL, NULL, NULL },
	  { 0, 0, 0 }, false, { 256, 0, 0 }, 256 },
};

void alg_names(enum kesp_alg_kind kind, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]) && used < size; i++) {
		if (algs[i].kind != kind)
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 used ? ", " : "", algs[i].name);
	}
}

const struct kesp_alg_info *alg_lookup(enum kesp_alg_kind kind, const char *name)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (algs[i].kind != kind)
			continue;
		if (!strcmp(name, algs[i].name))
			return &algs[i];
		for (size_t k = 0; k < 3 && algs[i].aliases[k]; k++)
			if (!strcmp(name, algs[i].aliases[k]))
				return &algs[i];
	}
	return NULL;
}

bool alg_key_len_ok(const struct kesp_alg_info *alg, size_t len)
{
	if (alg->empty_key)
		return len == 0;
	if (!alg->key_lens[0])
		return len > 0;
	for (int i = 0; i < 3; i++)
		if (alg->key_lens[i] && alg->key_lens[i] == len)
			return true;
	return false;
}

bool alg_icv_ok(const struct kesp_alg_info *alg, uint32_t bits)
{
	for (int i = 0; i < 3; i++)
		if (alg->icv_bits[i] && alg->icv_bits[i] == bits)
			return true;
	return false;
}
