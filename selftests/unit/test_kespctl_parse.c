// SPDX-License-Identifier: GPL-2.0
/*
 * The words of kespctl's command line (tools/parse.c): numbers as ip xfrm
 * takes them, hex keys, prefixes to the inclusive ranges of the uapi and
 * back, ports, protocols and the algorithm names with their aliases.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include <linux/kesp.h>

#include "parse.h"
#include "tap.h"

static void numbers(void)
{
	uint32_t v = 7;
	uint64_t w = 7;

	TAP_EQ_INT(parse_u32("0x1234abcd", UINT32_MAX, &v), 0, "u32: 0x hex accepted");
	TAP_EQ_INT(v, 0x1234abcd, "u32: 0x hex value");
	TAP_EQ_INT(parse_u32("0XFF", UINT32_MAX, &v), 0, "u32: 0X upper case accepted");
	TAP_EQ_INT(v, 255, "u32: 0XFF is 255");
	TAP_EQ_INT(parse_u32("4294967295", UINT32_MAX, &v), 0, "u32: decimal max accepted");
	TAP_EQ_INT(v, 4294967295U, "u32: decimal max value");
	TAP_EQ_INT(parse_u32("0", UINT32_MAX, &v), 0, "u32: 0 accepted");
	TAP_EQ_INT(v, 0, "u32: 0 value");
	TAP_EQ_INT(parse_u32("4294967296", UINT32_MAX, &v), -1, "u32: 2^32 refused");
	TAP_EQ_INT(parse_u32("0x100000000", UINT32_MAX, &v), -1, "u32: 0x1_0000_0000 refused");
	TAP_EQ_INT(parse_u32("256", 255, &v), -1, "u32: above the caller's max refused");
	TAP_EQ_INT(parse_u32("0xzz", UINT32_MAX, &v), -1, "u32: 0xzz refused");
	TAP_EQ_INT(parse_u32("0x", UINT32_MAX, &v), -1, "u32: bare 0x refused");
	TAP_EQ_INT(parse_u32("", UINT32_MAX, &v), -1, "u32: empty refused");
	TAP_EQ_INT(parse_u32("-1", UINT32_MAX, &v), -1, "u32: negative refused");
	TAP_EQ_INT(parse_u32("+1", UINT32_MAX, &v), -1, "u32: plus sign refused");
	TAP_EQ_INT(parse_u32(" 1", UINT32_MAX, &v), -1, "u32: leading blank refused");
	TAP_EQ_INT(parse_u32("12a", UINT32_MAX, &v), -1, "u32: trailing junk refused");
	TAP_EQ_INT(parse_u32("010", UINT32_MAX, &v), -1, "u32: octal-looking 010 refused");
	TAP_EQ_INT(parse_u32("0x0x12", UINT32_MAX, &v), -1, "u32: 0x0x12 refused");
	TAP_EQ_INT(parse_u64("18446744073709551615", &w), 0, "u64: max accepted");
	tap_ok(w == UINT64_MAX, "u64: max value");
	TAP_EQ_INT(parse_u64("18446744073709551616", &w), -1, "u64: 2^64 refused");
	TAP_EQ_INT(parse_u64("0xfffffffffffffff0", &w), 0, "u64: 64-bit hex accepted");
	tap_ok(w == 0xfffffffffffffff0ULL, "u64: 64-bit hex value");
}

static void keys(void)
{
	uint8_t key[KESP_KEY_MAX + 4];
	static const uint8_t want[] = { 0x01, 0x23, 0xab, 0xCD };
	char hex[2 + 2 * (KESP_KEY_MAX + 1) + 1];
	size_t len = 99;

	TAP_EQ_INT(parse_hex_key("0x0123abCD", key, KESP_KEY_MAX, &len), 0, "key: hex accepted");
	TAP_EQ_INT(len, 4, "key: 4 bytes");
	TAP_EQ_MEM(key, want, 4, "key: bytes in order");
	TAP_EQ_INT(parse_hex_key("", key, KESP_KEY_MAX, &len), 0, "key: \"\" is the empty key");
	TAP_EQ_INT(len, 0, "key: \"\" has length 0");
	TAP_EQ_INT(parse_hex_key("0x", key, KESP_KEY_MAX, &len), 0, "key: 0x is the empty key");
	TAP_EQ_INT(len, 0, "key: 0x has length 0");
	TAP_EQ_INT(parse_hex_key("0x123", key, KESP_KEY_MAX, &len), -1, "key: odd number of digits refused");
	TAP_EQ_INT(parse_hex_key("0x12zz", key, KESP_KEY_MAX, &len), -1, "key: non-hex digit refused");
	TAP_EQ_INT(len, 0, "key: refused key has length 0");
	memset(key, 0x55, sizeof(key));
	TAP_EQ_INT(parse_hex_key("0xaabbccdd-x", key, KESP_KEY_MAX, &len), -1, "key: junk after digits refused");
	{
		static const uint8_t zero[KESP_KEY_MAX] = { 0 };

		TAP_EQ_MEM(key, zero, KESP_KEY_MAX, "key: a refused key's partial bytes are wiped");
	}
	TAP_EQ_INT(parse_hex_key("0123", key, KESP_KEY_MAX, &len), -1, "key: no 0x refused");
	memset(hex, 0, sizeof(hex));
	memcpy(hex, "0x", 2);
	memset(hex + 2, 'a', 2 * KESP_KEY_MAX);
	TAP_EQ_INT(parse_hex_key(hex, key, KESP_KEY_MAX, &len), 0, "key: KESP_KEY_MAX bytes accepted");
	TAP_EQ_INT(len, KESP_KEY_MAX, "key: KESP_KEY_MAX length");
	memset(hex + 2, 'a', 2 * (KESP_KEY_MAX + 1));
	TAP_EQ_INT(parse_hex_key(hex, key, KESP_KEY_MAX, &len), -1, "key: KESP_KEY_MAX + 1 bytes refused");
}

static int range_is(const char *prefix, const char *want_start, const char *want_end)
{
	struct kesp_addr s, e, ws, we;

	if (parse_prefix(prefix, &s, &e) < 0)
		return 0;
	if (parse_addr(want_start, &ws) < 0 || parse_addr(want_end, &we) < 0)
		return 0;
	return s.family == ws.family && e.family == we.family &&
	       !memcmp(s.a, ws.a, 16) && !memcmp(e.a, we.a, 16);
}

static void prefixes(void)
{
	struct kesp_addr s, e;
	char buf[KESP_RANGE_STRLEN];

	tap_ok(range_is("10.1.2.0/24", "10.1.2.0", "10.1.2.255"), "prefix: v4 /24");
	tap_ok(range_is("10.1.2.3/8", "10.0.0.0", "10.255.255.255"), "prefix: v4 host bits cleared");
	tap_ok(range_is("192.0.2.1", "192.0.2.1", "192.0.2.1"), "prefix: v4 host without /len");
	tap_ok(range_is("192.0.2.1/32", "192.0.2.1", "192.0.2.1"), "prefix: v4 /32");
	tap_ok(range_is("0.0.0.0/0", "0.0.0.0", "255.255.255.255"), "prefix: v4 /0 is any");
	tap_ok(range_is("10.0.0.0/13", "10.0.0.0", "10.7.255.255"), "prefix: v4 /13 (not on a byte)");
	tap_ok(range_is("2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
	       "prefix: v6 /32");
	tap_ok(range_is("2001:db8::1", "2001:db8::1", "2001:db8::1"), "prefix: v6 host without /len");
	tap_ok(range_is("2001:db8::1/128", "2001:db8::1", "2001:db8::1"), "prefix: v6 /128");
	tap_ok(range_is("::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "prefix: v6 /0 is any");
	tap_ok(range_is("2001:db8::/61", "2001:db8::", "2001:db8:0:7:ffff:ffff:ffff:ffff"),
	       "prefix: v6 /61");
	TAP_EQ_INT(parse_prefix("10.0.0.0/33", &s, &e), -1, "prefix: v4 /33 refused");
	TAP_EQ_INT(parse_prefix("2001:db8::/129", &s, &e), -1, "prefix: v6 /129 refused");
	TAP_EQ_INT(parse_prefix("10.0.0.0/", &s, &e), -1, "prefix: empty /len refused");
	TAP_EQ_INT(parse_prefix("10.0.0.0/0x8", &s, &e), -1, "prefix: hex /len refused");
	TAP_EQ_INT(parse_prefix("10.0.0.0/-1", &s, &e), -1, "prefix: negative /len refused");
	TAP_EQ_INT(parse_prefix("10.0.0/8", &s, &e), -1, "prefix: short v4 address refused");
	TAP_EQ_INT(parse_prefix("host.example/8", &s, &e), -1, "prefix: a name refused");
	TAP_EQ_INT(parse_prefix("", &s, &e), -1, "prefix: empty refused");

	/* Back again, for printing. */
	parse_prefix("10.1.0.0/16", &s, &e);
	TAP_EQ_INT(range_prefix_len(AF_INET, s.a, e.a), 16, "range: /16 recognised");
	format_range(AF_INET, s.a, e.a, buf, sizeof(buf));
	TAP_EQ_STR(buf, "10.1.0.0/16", "range: printed as a prefix");
	parse_prefix("0.0.0.0/0", &s, &e);
	format_range(AF_INET, s.a, e.a, buf, sizeof(buf));
	TAP_EQ_STR(buf, "0.0.0.0/0", "range: any printed as /0");
	parse_prefix("2001:db8::1", &s, &e);
	format_range(AF_INET6, s.a, e.a, buf, sizeof(buf));
	TAP_EQ_STR(buf, "2001:db8::1/128", "range: v6 host printed as /128");
	parse_addr("10.0.0.1", &s);
	parse_addr("10.0.0.5", &e);
	TAP_EQ_INT(range_prefix_len(AF_INET, s.a, e.a), -1, "range: 10.0.0.1-10.0.0.5 is no prefix");
	format_range(AF_INET, s.a, e.a, buf, sizeof(buf));
	TAP_EQ_STR(buf, "10.0.0.1-10.0.0.5", "range: printed as start-end");
	parse_addr("10.0.0.0", &s);
	parse_addr("10.0.1.254", &e);
	TAP_EQ_INT(range_prefix_len(AF_INET, s.a, e.a), -1, "range: aligned start, short end is no prefix");
}

static void ports_protos(void)
{
	uint16_t a = 1, b = 1;
	uint8_t p = 1;

	TAP_EQ_INT(parse_port_range("80", &a, &b), 0, "port: single accepted");
	tap_ok(a == 80 && b == 80, "port: single is 80-80");
	TAP_EQ_INT(parse_port_range("1024-65535", &a, &b), 0, "port: range accepted");
	tap_ok(a == 1024 && b == 65535, "port: range values");
	TAP_EQ_INT(parse_port_range("0-0", &a, &b), 0, "port: 0-0 accepted");
	TAP_EQ_INT(parse_port_range("65536", &a, &b), -1, "port: 65536 refused");
	TAP_EQ_INT(parse_port_range("90-80", &a, &b), -1, "port: reversed range refused");
	TAP_EQ_INT(parse_port_range("80-", &a, &b), -1, "port: open range refused");
	TAP_EQ_INT(parse_port_range("-80", &a, &b), -1, "port: range without start refused");
	TAP_EQ_INT(parse_port_range("http", &a, &b), -1, "port: a name refused");
	TAP_EQ_INT(parse_port_range("1-2-3", &a, &b), -1, "port: two dashes refused");

	TAP_EQ_INT(parse_proto("tcp", &p), 0, "proto: tcp");
	TAP_EQ_INT(p, 6, "proto: tcp is 6");
	parse_proto("udp", &p);
	TAP_EQ_INT(p, 17, "proto: udp is 17");
	parse_proto("icmp", &p);
	TAP_EQ_INT(p, 1, "proto: icmp is 1");
	parse_proto("ipv6-icmp", &p);
	TAP_EQ_INT(p, 58, "proto: ipv6-icmp is 58");
	p = 0;
	parse_proto("icmpv6", &p);
	TAP_EQ_INT(p, 58, "proto: icmpv6 is 58");
	parse_proto("sctp", &p);
	TAP_EQ_INT(p, 132, "proto: sctp is 132");
	parse_proto("udplite", &p);
	TAP_EQ_INT(p, 136, "proto: udplite is 136");
	parse_proto("any", &p);
	TAP_EQ_INT(p, 0, "proto: any is 0");
	TAP_EQ_INT(parse_proto("47", &p), 0, "proto: a number");
	TAP_EQ_INT(p, 47, "proto: 47");
	TAP_EQ_INT(parse_proto("256", &p), -1, "proto: 256 refused");
	TAP_EQ_INT(parse_proto("tcpx", &p), -1, "proto: unknown name refused");
	TAP_EQ_STR(proto_name(58), "ipv6-icmp", "proto: 58 prints as ipv6-icmp");
	tap_ok(proto_name(47) == NULL, "proto: 47 has no name");
	tap_ok(proto_has_ports(6) && proto_has_ports(136) && !proto_has_ports(1),
	       "proto: ports for tcp and udplite, not icmp");
}

static void algorithms(void)
{
	static const struct {
		enum kesp_alg_kind kind;
		const char *typed, *canonical;
	} names[] = {
		{ KESP_ALG_AEAD, "rfc4106(gcm(aes))", "rfc4106(gcm(aes))" },
		{ KESP_ALG_AEAD, "rfc7539esp(chacha20,poly1305)", "rfc7539esp(chacha20,poly1305)" },
		{ KESP_ALG_ENC, "cbc(aes)", "cbc(aes)" },
		{ KESP_ALG_ENC, "aes", "cbc(aes)" },
		{ KESP_ALG_ENC, "ecb(cipher_null)", "ecb(cipher_null)" },
		{ KESP_ALG_ENC, "cipher_null", "ecb(cipher_null)" },
		{ KESP_ALG_AUTH, "hmac(sha256)", "hmac(sha256)" },
		{ KESP_ALG_AUTH, "sha256", "hmac(sha256)" },
		{ KESP_ALG_AUTH, "hmac(sha384)", "hmac(sha384)" },
		{ KESP_ALG_AUTH, "hmac(sha512)", "hmac(sha512)" },
		{ KESP_ALG_AUTH, "sha1", "hmac(sha1)" },
		{ KESP_ALG_AUTH, "hmac(sha1)", "hmac(sha1)" },
	};
	const struct kesp_alg_info *alg;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		alg = alg_lookup(names[i].kind, names[i].typed);
		TAP_EQ_STR(alg ? alg->name : NULL, names[i].canonical, names[i].typed);
	}
	tap_ok(!alg_lookup(KESP_ALG_ENC, "hmac(sha256)"), "alg: an auth name is no enc");
	tap_ok(!alg_lookup(KESP_ALG_AEAD, "cbc(aes)"), "alg: cbc(aes) is no aead");
	tap_ok(!alg_lookup(KESP_ALG_AUTH, "md5"), "alg: md5 unknown");
	tap_ok(!alg_lookup(KESP_ALG_AUTH, "sha384") && !alg_lookup(KESP_ALG_AUTH, "sha512"),
	       "alg: sha384 and sha512 are no names, as in XFRM");
	tap_ok(!alg_lookup(KESP_ALG_ENC, "des3_ede"), "alg: des3_ede unknown");

	alg = alg_lookup(KESP_ALG_AEAD, "rfc4106(gcm(aes))");
	tap_ok(alg_key_len_ok(alg, 20) && alg_key_len_ok(alg, 28) && alg_key_len_ok(alg, 36),
	       "gcm: keys of 16/24/32 bytes plus salt");
	tap_ok(!alg_key_len_ok(alg, 16) && !alg_key_len_ok(alg, 32), "gcm: keys without salt refused");
	tap_ok(alg_icv_ok(alg, 64) && alg_icv_ok(alg, 96) && alg_icv_ok(alg, 128) &&
	       !alg_icv_ok(alg, 100) && !alg_icv_ok(alg, 0), "gcm: icv 64, 96, 128 only");
	TAP_EQ_INT(alg->icv_bits[0], 128, "gcm: default icv 128");
	alg = alg_lookup(KESP_ALG_AEAD, "rfc7539esp(chacha20,poly1305)");
	tap_ok(alg_key_len_ok(alg, 36) && !alg_key_len_ok(alg, 32), "chacha: 36 bytes only");
	tap_ok(alg_icv_ok(alg, 128) && !alg_icv_ok(alg, 96), "chacha: icv 128 only");
	alg = alg_lookup(KESP_ALG_ENC, "cipher_null");
	tap_ok(alg_key_len_ok(alg, 0) && !alg_key_len_ok(alg, 1), "null: empty key only");
	alg = alg_lookup(KESP_ALG_ENC, "aes");
	tap_ok(!alg_key_len_ok(alg, 0) && !alg_key_len_ok(alg, 20) && alg_key_len_ok(alg, 24),
	       "cbc(aes): 16/24/32 bytes");
	alg = alg_lookup(KESP_ALG_AUTH, "sha256");
	TAP_EQ_INT(alg->icv_bits[0], 128, "sha256: RFC 4868 truncation 128");
	tap_ok(!alg_key_len_ok(alg, 0) && alg_key_len_ok(alg, 32), "sha256: any non-empty key");
	TAP_EQ_INT(alg_lookup(KESP_ALG_AUTH, "hmac(sha384)")->icv_bits[0], 192, "sha384: truncation 192");
	TAP_EQ_INT(alg_lookup(KESP_ALG_AUTH, "hmac(sha512)")->icv_bits[0], 256, "sha512: truncation 256");
	tap_ok(!alg_icv_ok(alg_lookup(KESP_ALG_AUTH, "hmac(sha512)"), 128), "sha512: 128 refused");

	/* "auth NAME" means what XFRM's table gives it (net/xfrm/xfrm_algo.c). */
	TAP_EQ_INT(alg_lookup(KESP_ALG_AUTH, "sha1")->xfrm_auth_bits, 96, "auth sha1: 96 in ip xfrm");
	TAP_EQ_INT(alg_lookup(KESP_ALG_AUTH, "sha256")->xfrm_auth_bits, 96,
		   "auth sha256: 96 in ip xfrm (pre-RFC 4868)");
	tap_ok(!alg_icv_ok(alg_lookup(KESP_ALG_AUTH, "sha256"), 96),
	       "sha256: kesp does not take 96");
	TAP_EQ_INT(alg_lookup(KESP_ALG_AUTH, "hmac(sha384)")->xfrm_auth_bits, 192, "auth hmac(sha384): 192");
	TAP_EQ_INT(alg_lookup(KESP_ALG_AUTH, "hmac(sha512)")->xfrm_auth_bits, 256, "auth hmac(sha512): 256");
	alg = alg_lookup(KESP_ALG_AUTH, "sha1");
	tap_ok(alg_icv_ok(alg, 96) && !alg_icv_ok(alg, 160), "sha1: HMAC-SHA1-96 only");
}

int main(void)
{
	numbers();
	keys();
	prefixes();
	ports_protos();
	algorithms();
	return tap_done();
}
