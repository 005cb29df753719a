// SPDX-License-Identifier: GPL-2.0
/*
 * kespctl sa / spi alloc without a kernel: the grammar (good forms, and
 * each kind of bad token named in the one-line error), the requests built
 * from it read back with libnl's parsers, and the printing of hand-built
 * replies in both forms, which must never show key material.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "sa.h"
#include "tap.h"
#include "trap.h"

#define FAMILY_ID 0x1d

/* Splits a command line on blanks into a static argv (no quoting). */
static int split(const char *line, char **argv, int max)
{
	static char buf[2048];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < max; t = strtok(NULL, " "))
		argv[argc++] = t;
	return argc;
}

static int parse_line(enum sa_verb verb, const char *line, struct sa_args *a)
{
	char *argv[128];
	int argc = split(line, argv, 128);

	return sa_parse(verb, argc, argv, a);
}

#define GCM128_KEY "0x000102030405060708090a0b0c0d0e0f10111213"
#define ADD_IN "dev kesp0 dir in src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 mode tunnel reqid 7 "
#define ADD_OUT "dev kesp0 dir out src 192.0.2.1 dst 192.0.2.2 spi 4096 mode transport "
#define AEAD "aead rfc4106(gcm(aes)) " GCM128_KEY " 128"
#define KEY32 "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define ENC_AUTH "enc aes 0x00112233445566778899aabbccddeeff auth-trunc sha256 " KEY32 " 128"

static void good_forms(void)
{
	struct sa_args a;

	TAP_EQ_INT(parse_line(SA_VERB_ADD, ADD_IN AEAD, &a), 0, "add: inbound aead SA parses");
	TAP_EQ_STR(a.dev, "kesp0", "add: dev");
	TAP_EQ_INT(a.dir, KESP_DIR_IN, "add: dir in");
	TAP_EQ_INT(a.spi, 0x1000, "add: spi 0x1000");
	TAP_EQ_INT(a.mode, KESP_MODE_TUNNEL, "add: mode tunnel");
	TAP_EQ_INT(a.reqid, 7, "add: reqid 7");
	TAP_EQ_INT(a.src.family, AF_INET, "add: src is IPv4");
	TAP_EQ_STR(a.aead.info ? a.aead.info->name : NULL, "rfc4106(gcm(aes))", "add: aead name");
	TAP_EQ_INT(a.aead.key_len, 20, "add: aead key with salt is 20 bytes");
	TAP_EQ_INT(a.aead.icv_bits, 128, "add: icv 128");
	sa_args_wipe(&a);
	{
		static const uint8_t zero[KESP_KEY_MAX];

		TAP_EQ_MEM(a.aead.key, zero, KESP_KEY_MAX, "sa_args_wipe zeroes the key");
	}

	TAP_EQ_INT(parse_line(SA_VERB_ADD, ADD_OUT ENC_AUTH " priority 5", &a), 0,
		   "add: outbound enc+auth SA parses");
	TAP_EQ_STR(a.enc.info ? a.enc.info->name : NULL, "cbc(aes)", "add: enc alias aes is cbc(aes)");
	TAP_EQ_STR(a.auth.info ? a.auth.info->name : NULL, "hmac(sha256)", "add: auth alias sha256");
	TAP_EQ_INT(a.auth.icv_bits, 128, "add: auth-trunc sha256 128");
	TAP_EQ_INT(a.mode, KESP_MODE_TRANSPORT, "add: mode transport");
	TAP_EQ_INT(a.priority, 5, "add: priority");
	tap_ok(!a.has_reqid, "add: no reqid given, none sent");
	tap_ok(!a.has_cpu, "add: no cpu given, none sent");
	sa_args_wipe(&a);

	TAP_EQ_INT(parse_line(SA_VERB_ADD, ADD_OUT AEAD " cpu 1", &a), 0,
		   "add: a per-CPU outbound SA parses");
	tap_ok(a.has_cpu && a.cpu == 1, "add: cpu 1");
	sa_args_wipe(&a);

	TAP_EQ_INT(parse_line(SA_VERB_ADD, ADD_OUT AEAD " flag pcpu-acquire flag esn", &a), 0,
		   "add: the fallback of per-CPU SAs parses");
	TAP_EQ_INT(a.flags, KESP_SA_F_PCPU_ACQUIRE | KESP_SA_F_ESN, "add: flag pcpu-acquire and esn");
	tap_ok(!a.has_cpu, "add: the fallback has no cpu");
	sa_args_wipe(&a);
	TAP_EQ_INT(parse_line(SA_VERB_ADD, ADD_OUT AEAD " flag parallel", &a), 0,
		   "add: flag parallel parses");
	TAP_EQ_INT(a.flags, KESP_SA_F_PARALLEL, "add: flag parallel sets KESP_SA_F_PARALLEL");
	sa_args_wipe(&a);
	TAP_EQ_INT(parse_line(SA_VERB_ADD, ADD_OUT AEAD " flag parallel-crypto", &a), -1,
		   "add: an unknown flag name is refused");
	sa_args_wipe(&a);
	/* Where it may go is the kernel's to say: its extack says why not. */
	TAP_EQ_INT(parse_line(SA_VERB_ADD, ADD_IN AEAD " flag pcpu-acquire", &a), 0,
		   "add: pcpu-acquire on an inbound SA is left to the kernel");
	sa_args_wipe(&a);

	TAP_EQ_INT(parse_line(SA_VERB_ADD, ADD_OUT
			      "enc cipher_null 0x auth-trunc hmac(sha512) 0x0102 256 "
			      "flag esn flag esn seq 0xfffffff0", &a), 0,
		   "add: null cipher, auth-trunc, repeated flag, seq");
	TAP_EQ_STR(a.enc.info ? a.enc.info->name : NULL, "ecb(cipher_null)", "add: cipher_null alias");
	TAP_EQ_INT(a.enc.key_len, 0, "add: null cipher key empty");
	TAP_EQ_INT(a.auth.icv_bits, 256, "add: auth-trunc 256");
	TAP_EQ_INT(a.flags, KESP_SA_F_ESN, "add: flag esn");
	sa_args_wipe(&a);

	TAP_EQ_INT(parse_line(SA_VERB_ADD, ADD_OUT AEAD " flag esn seq 4294967300", &a), 0,
		   "add: seq above 2^32 with esn");
	tap_ok(a.seq == 4294967300ULL, "add: 64-bit seq kept");
	sa_args_wipe(&a);

	TAP_EQ_INT(parse_line(SA_VERB_ADD, ADD_IN AEAD
			      " replay-window 4096"
			      " sel src 10.0.0.0/8 dst 0.0.0.0/0"
			      " sel src 10.1.0.1 dst 10.2.0.0/16 proto tcp sport 1024-65535 dport 443"
			      " sel src 10.3.0.0/24 dst 10.4.0.0/24 proto icmp type 8 code 0"
			      " limit time-soft 3000 time-hard 3600 limit byte-hard 0x100000000", &a), 0,
		   "add: replay window, three selectors, limits");
	TAP_EQ_INT(a.replay_window, 4096, "add: replay-window max");
	TAP_EQ_INT(a.nsel, 3, "add: three selectors");
	TAP_EQ_INT(a.sel[1].proto, 6, "sel 2: proto tcp");
	tap_ok(a.sel[1].has_sport && a.sel[1].sport_start == 1024 && a.sel[1].sport_end == 65535,
	       "sel 2: sport range");
	tap_ok(a.sel[1].has_dport && a.sel[1].dport_start == 443 && a.sel[1].dport_end == 443,
	       "sel 2: single dport");
	tap_ok(!a.sel[0].has_sport && !a.sel[0].proto, "sel 1: no ports, any proto");
	tap_ok(a.sel[2].has_sport && a.sel[2].sport_start == 8 && a.sel[2].dport_end == 0,
	       "sel 3: icmp type in sport, code in dport");
	tap_ok(a.lft_set[KESP_LFT_A_SOFT_SECONDS] && a.lft[KESP_LFT_A_HARD_SECONDS] == 3600 &&
	       a.lft[KESP_LFT_A_HARD_BYTES] == 0x100000000ULL && !a.lft_set[KESP_LFT_A_SOFT_BYTES],
	       "add: limits from two limit clauses");
	sa_args_wipe(&a);

	TAP_EQ_INT(parse_line(SA_VERB_ADD, "dev kesp0 dir in src 2001:db8::1 dst 2001:db8::2 "
			      "spi 1 mode tunnel aead rfc7539esp(chacha20,poly1305) 0x"
			      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
			      " 128 sel src 2001:db8:1::/48 dst ::/0 proto ipv6-icmp", &a), 0,
		   "add: IPv6 chacha20-poly1305 SA");
	TAP_EQ_INT(a.aead.key_len, 36, "add: chacha key 36 bytes");
	TAP_EQ_INT(a.sel[0].family, AF_INET6, "add: v6 selector");
	sa_args_wipe(&a);

	TAP_EQ_INT(parse_line(SA_VERB_DEL, "dev kesp0 id 12", &a), 0, "del by id");
	tap_ok(a.has_id && a.id == 12, "del: id 12");
	TAP_EQ_INT(parse_line(SA_VERB_DEL, "dev kesp0 dir in spi 0x1000", &a), 0, "del inbound by spi");
	TAP_EQ_INT(parse_line(SA_VERB_GET, "dev kesp0 dir out spi 0x1000 dst 192.0.2.2", &a), 0,
		   "get outbound by spi and dst");
	TAP_EQ_INT(parse_line(SA_VERB_DEL, "dev kesp0 src 192.0.2.1 dst 192.0.2.2 proto esp "
			      "spi 0x1000 dir out", &a), 0, "del in ip xfrm word order");
	TAP_EQ_INT(parse_line(SA_VERB_UPDATE, "dev kesp0 id 3 src 192.0.2.9 dst 192.0.2.2", &a), 0,
		   "update: new addresses by id");
	TAP_EQ_INT(parse_line(SA_VERB_UPDATE, "dev kesp0 dir out spi 5 dst 192.0.2.2 sel none limit none",
			      &a), 0, "update: clear selectors and limits of an outbound SA");
	tap_ok(a.has_sel && !a.nsel && a.has_lft, "update: sel none and limit none recorded");
	TAP_EQ_INT(parse_line(SA_VERB_LIST, "", &a), 0, "list without arguments");
	TAP_EQ_INT(parse_line(SA_VERB_LIST, "dev kesp0 dir out", &a), 0, "list by dev and dir");
	TAP_EQ_INT(parse_line(SA_VERB_FLUSH, "dir in", &a), 0, "flush by dir");
	TAP_EQ_INT(parse_line(SA_VERB_SPI_ALLOC, "dev kesp0 min 0x100 max 0x1ff", &a), 0,
		   "spi alloc with a range");
	tap_ok(a.spi_min == 0x100 && a.spi_max == 0x1ff, "spi alloc: range values");
}

static void bad_forms(void)
{
	static const struct {
		enum sa_verb verb;
		const char *line, *err;
	} cases[] = {
		{ SA_VERB_ADD, ADD_IN AEAD " bogus 1", "unexpected \"bogus\"" },
		{ SA_VERB_ADD, "dev kesp0 dir up", "bad dir \"up\"" },
		{ SA_VERB_ADD, "dev kesp0 spi 0xzz", "bad spi \"0xzz\"" },
		{ SA_VERB_ADD, "dev kesp0 spi 0", "bad spi \"0\"" },
		{ SA_VERB_ADD, "dev kesp0 spi 0x0", "bad spi \"0x0\"" },
		{ SA_VERB_ADD, "dev kesp0 spi 4294967296", "bad spi \"4294967296\"" },
		{ SA_VERB_ADD, "dev kesp0 spi 1 spi 2", "\"spi\" given twice" },
		{ SA_VERB_ADD, "dev kesp0 spi", "\"spi\" needs a value" },
		{ SA_VERB_ADD, "dev kesp0 reqid -1", "bad reqid \"-1\"" },
		{ SA_VERB_ADD, "dev kesp0 mode beet", "bad mode \"beet\"" },
		{ SA_VERB_ADD, "dev kesp0 proto ah", "bad proto \"ah\" (only esp)" },
		{ SA_VERB_ADD, "dev kesp0 src 192.0.2.300", "bad src \"192.0.2.300\"" },
		{ SA_VERB_ADD, "dev kesp0 src 192.0.2.1 dst 2001:db8::1",
		  "dst \"2001:db8::1\" is not the address family of src" },
		{ SA_VERB_ADD, "dev kesp0123456789abc", "bad device name \"kesp0123456789abc\"" },
		{ SA_VERB_ADD, "dev kesp0 flag wrap", "bad flag \"wrap\"" },
		{ SA_VERB_ADD, "dev kesp0 flag pcpu", "bad flag \"pcpu\"" },
		{ SA_VERB_ADD, "dev kesp0 seq 1x", "bad seq \"1x\"" },
		{ SA_VERB_ADD, "dev kesp0 replay-window 4097", "bad replay-window \"4097\"" },
		{ SA_VERB_ADD, "dev kesp0 aead gcm(des) 0x00 128",
		  "unknown aead algorithm \"gcm(des)\" (kesp has rfc4106(gcm(aes)), rfc7539esp(chacha20,poly1305))" },
		{ SA_VERB_ADD, "dev kesp0 enc des3_ede 0x00",
		  "unknown enc algorithm \"des3_ede\" (kesp has cbc(aes), ecb(cipher_null))" },
		{ SA_VERB_ADD, "dev kesp0 auth md5 0x00", "unknown auth algorithm \"md5\" (kesp has hmac(sha1), hmac(sha256), hmac(sha384), hmac(sha512))" },
		{ SA_VERB_ADD, "dev kesp0 auth-trunc hmac(md5) 0x00 96", "unknown auth algorithm \"hmac(md5)\" (kesp has hmac(sha1), hmac(sha256), hmac(sha384), hmac(sha512))" },
		/* Names ip xfrm refuses ("Requested AUTH algorithm not found"). */
		{ SA_VERB_ADD, "dev kesp0 auth sha384 0x00", "unknown auth algorithm \"sha384\" (kesp has hmac(sha1), hmac(sha256), hmac(sha384), hmac(sha512))" },
		{ SA_VERB_ADD, "dev kesp0 auth sha512 0x00", "unknown auth algorithm \"sha512\" (kesp has hmac(sha1), hmac(sha256), hmac(sha384), hmac(sha512))" },
		{ SA_VERB_ADD, "dev kesp0 auth sha256 " KEY32,
		  "auth sha256 is hmac(sha256) with a 96-bit ICV in ip xfrm, which kesp does not take: use \"auth-trunc hmac(sha256) KEY 128\" on both sides" },
		{ SA_VERB_ADD, "dev kesp0 auth hmac(sha256) " KEY32,
		  "auth hmac(sha256) is hmac(sha256) with a 96-bit ICV in ip xfrm, which kesp does not take: use \"auth-trunc hmac(sha256) KEY 128\" on both sides" },
		{ SA_VERB_ADD, "dev kesp0 auth-trunc sha1 0x00 128", "bad auth-trunc bits \"128\" for hmac(sha1)" },
		{ SA_VERB_ADD, "dev kesp0 aead rfc4106(gcm(aes)) " GCM128_KEY " 100",
		  "bad aead bits \"100\" for rfc4106(gcm(aes))" },
		{ SA_VERB_ADD, "dev kesp0 auth-trunc sha256 0x00 96",
		  "bad auth-trunc bits \"96\" for hmac(sha256)" },
		{ SA_VERB_ADD, "dev kesp0 aead rfc4106(gcm(aes)) 0x123 128",
		  "bad aead key (want 0x and an even number of hex digits, at most 68 bytes)" },
		{ SA_VERB_ADD, "dev kesp0 enc aes 0x00112233445566778899aabbccddeeff00",
		  "enc key for cbc(aes) must be 16, 24 or 32 bytes, got 17" },
		{ SA_VERB_ADD, "dev kesp0 aead rfc4106(gcm(aes)) 0x00112233445566778899aabbccddeeff 128",
		  "aead key for rfc4106(gcm(aes)) must be 16, 24 or 32 bytes including the 4-byte salt, got 16" },
		{ SA_VERB_ADD, "dev kesp0 enc cipher_null 0x00", "enc key for ecb(cipher_null) must be empty (\"\" or 0x), got 1 bytes" },
		{ SA_VERB_ADD, "dev kesp0 auth sha256 0x", "auth key for hmac(sha256) must not be empty" },
		{ SA_VERB_ADD, "dev kesp0 aead rfc4106(gcm(aes)) " GCM128_KEY, "\"aead\" needs NAME KEY BITS" },
		{ SA_VERB_ADD, "dev kesp0 sel src 10.0.0.0/33 dst 0.0.0.0/0", "bad sel src \"10.0.0.0/33\"" },
		{ SA_VERB_ADD, "dev kesp0 sel src 10.0.0.0/8 dst ::/0",
		  "sel dst \"::/0\" is not the address family of sel src" },
		{ SA_VERB_ADD, "dev kesp0 sel src 10.0.0.0/8 dst 0/0", "bad sel dst \"0/0\"" },
		{ SA_VERB_ADD, "dev kesp0 sel src 10.0.0.0/8 dst 0.0.0.0/0 proto foo", "bad sel proto \"foo\"" },
		{ SA_VERB_ADD, "dev kesp0 sel src 10.0.0.0/8 dst 0.0.0.0/0 proto tcp sport 9-1",
		  "bad sel sport \"9-1\"" },
		{ SA_VERB_ADD, "dev kesp0 sel src 10.0.0.0/8 dst 0.0.0.0/0 proto tcp dport 70000",
		  "bad sel dport \"70000\"" },
		{ SA_VERB_ADD, "dev kesp0 sel src 10.0.0.0/8 dst 0.0.0.0/0 dport 80",
		  "sel \"dport\" needs proto tcp, udp, sctp or udplite" },
		{ SA_VERB_ADD, "dev kesp0 sel src 10.0.0.0/8 dst 0.0.0.0/0 proto udp type 8",
		  "sel \"type\" needs proto icmp or ipv6-icmp" },
		{ SA_VERB_ADD, "dev kesp0 sel src 10.0.0.0/8 dst 0.0.0.0/0 proto icmp type 256",
		  "bad sel type \"256\"" },
		{ SA_VERB_ADD, "dev kesp0 sel src 10.0.0.0/8 src 10.0.0.0/8", "sel: \"src\" given twice" },
		{ SA_VERB_ADD, "dev kesp0 sel limit time-soft 1", "sel needs src, dst or proto" },
		{ SA_VERB_UPDATE, "dev kesp0 id 3 sel proto tcp",
		  "sel without src or dst needs the SA's src or dst, for its address family" },
		{ SA_VERB_ADD, "dev kesp0 encap espinudp 4500 4500 0.0.0.300", "unexpected \"0.0.0.300\"" },
		{ SA_VERB_ADD, "dev kesp0 limit time-use-soft 5", "bad limit \"time-use-soft\"" },
		{ SA_VERB_ADD, "dev kesp0 limit time-soft -5", "bad time-soft \"-5\"" },
		{ SA_VERB_ADD, "dev kesp0 limit time-soft", "limit \"time-soft\" needs a value" },
		{ SA_VERB_ADD, "dev kesp0 limit time-soft 1 time-soft 2", "limit \"time-soft\" given twice" },
		{ SA_VERB_ADD, "dev kesp0 id 5", "unexpected \"id\"" },
		{ SA_VERB_ADD, "dir in src 192.0.2.1 dst 192.0.2.2 spi 1 mode tunnel " AEAD,
		  "missing \"dev\"" },
		{ SA_VERB_ADD, "dev kesp0 dir in src 192.0.2.1 dst 192.0.2.2 mode tunnel " AEAD,
		  "missing \"spi\"" },
		{ SA_VERB_ADD, ADD_IN, "missing \"aead\", or \"enc\" and \"auth\"" },
		{ SA_VERB_ADD, ADD_IN "enc aes 0x00112233445566778899aabbccddeeff",
		  "missing \"auth\"" },
		{ SA_VERB_ADD, ADD_IN AEAD " auth hmac(sha512) 0x01", "\"aead\" excludes \"enc\" and \"auth\"" },
		{ SA_VERB_ADD, ADD_IN AEAD " auth hmac(sha512) 0x01 auth-trunc sha256 0x01 128",
		  "\"auth\" given twice" },
		{ SA_VERB_ADD, ADD_OUT AEAD " replay-window 32", "\"replay-window\" is for inbound SAs" },
		{ SA_VERB_ADD, ADD_IN AEAD " priority 1", "\"priority\" is for outbound SAs" },
		{ SA_VERB_ADD, ADD_IN AEAD " cpu 0", "\"cpu\" is for outbound SAs" },
		{ SA_VERB_ADD, ADD_OUT AEAD " cpu -1", "bad cpu \"-1\"" },
		{ SA_VERB_ADD, ADD_OUT AEAD " cpu 4294967295", "bad cpu \"4294967295\"" },
		{ SA_VERB_ADD, ADD_OUT AEAD " seq 4294967296",
		  "bad seq \"4294967296\": above 2^32 - 1 needs \"flag esn\"" },
		{ SA_VERB_DEL, "dev kesp0", "missing \"id\", or \"dir\" and \"spi\"" },
		{ SA_VERB_DEL, "id 4", "missing \"dev\"" },
		{ SA_VERB_DEL, "dev kesp0 id 4 spi 5", "\"id\" excludes \"dir\" and \"spi\"" },
		{ SA_VERB_DEL, "dev kesp0 id x4", "bad id \"x4\"" },
		{ SA_VERB_GET, "dev kesp0 dir out spi 5", "\"dir out\" needs \"dst\" to find the SA" },
		{ SA_VERB_GET, "dev kesp0 id 4 reqid 1", "unexpected \"reqid\"" },
		{ SA_VERB_DEL, "dev kesp0 id 4 sel src 10.0.0.0/8 dst 0.0.0.0/0", "unexpected \"sel\"" },
		{ SA_VERB_UPDATE, "dev kesp0 id 4", "nothing to update (give src and dst, sel, limit or encap)" },
		{ SA_VERB_UPDATE, "dev kesp0 id 4 src 192.0.2.1", "\"src\" needs \"dst\" (addresses change together)" },
		{ SA_VERB_UPDATE, "dev kesp0 id 4 dst 192.0.2.1", "\"dst\" needs \"src\" (addresses change together)" },
		{ SA_VERB_UPDATE, "dev kesp0 dir out spi 5 src 192.0.2.1 dst 192.0.2.2",
		  "changing the addresses of an outbound SA needs \"id\"" },
		{ SA_VERB_UPDATE, "dev kesp0 id 4 sel none sel src 10.0.0.0/8 dst 0.0.0.0/0",
		  "\"sel none\" with other selectors" },
		{ SA_VERB_UPDATE, "dev kesp0 id 4 limit time-soft 1 limit none", "\"limit none\" with other limits" },
		{ SA_VERB_UPDATE, "dev kesp0 id 4 mode tunnel", "unexpected \"mode\"" },
		{ SA_VERB_LIST, "dev kesp0 spi 5", "unexpected \"spi\"" },
		{ SA_VERB_LIST, "reqid x", "bad reqid \"x\"" },
		{ SA_VERB_DEL, "dev kesp0 id 1 reqid 3", "unexpected \"reqid\"" },
		{ SA_VERB_FLUSH, "dir both", "bad dir \"both\"" },
		{ SA_VERB_SPI_ALLOC, "min 5", "missing \"dev\"" },
		{ SA_VERB_SPI_ALLOC, "dev kesp0 min 0x200 max 0x100", "min 0x200 is above max 0x100" },
		{ SA_VERB_SPI_ALLOC, "dev kesp0 min 0", "bad min \"0\"" },
		{ SA_VERB_SPI_ALLOC, "dev kesp0 dir in", "unexpected \"dir\"" },
		{ SA_VERB_ADD, "dev kesp0 encap espinudp 4500", "\"encap espinudp\" needs a source and a destination port" },
		{ SA_VERB_ADD, "dev kesp0 encap espintcp 4500 4500", "bad encap \"espintcp\" (only espinudp)" },
		{ SA_VERB_ADD, "dev kesp0 encap espinudp 0 4500", "bad encap source port \"0\"" },
		{ SA_VERB_ADD, "dev kesp0 encap espinudp 4500 65536", "bad encap destination port \"65536\"" },
		{ SA_VERB_DEL, "dev kesp0 id 1 encap espinudp 1 2", "unexpected \"encap\"" },
		{ SA_VERB_UPDATE, "dev kesp0 id 1", "nothing to update (give src and dst, sel, limit or encap)" },
	};
	struct sa_args a;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[512];
		int ret = parse_line(cases[i].verb, cases[i].line, &a);

		snprintf(name, sizeof(name), "sa %s %s: refused", sa_verb_name(cases[i].verb),
			 cases[i].line);
		TAP_EQ_INT(ret, -1, name);
		snprintf(name, sizeof(name), "  ... with \"%s\"", cases[i].err);
		TAP_EQ_STR(a.err, cases[i].err, name);
		sa_args_wipe(&a);
	}

	/* Key tokens are wiped from argv once read, good or bad. */
	{
		char k1[] = "0x00112233445566778899aabbccddeeff", k2[] = "0x0102";
		char dev[] = "kesp0", *argv[] = { "dev", dev, "enc", "aes", k1, "auth", "hmac(sha512)", k2 };
		static const char zero[sizeof(k1)];

		sa_parse(SA_VERB_ADD, 8, argv, &a);
		TAP_EQ_MEM(k1, zero, sizeof(k1), "the enc key token is wiped from argv");
		TAP_EQ_MEM(k2, zero, sizeof(k2), "the auth key token is wiped from argv");
		TAP_EQ_STR(dev, "kesp0", "other tokens are left alone");
		sa_args_wipe(&a);
	}

	/* A bad key is reported without echoing it. */
	parse_line(SA_VERB_ADD, "dev kesp0 aead rfc4106(gcm(aes)) 0xdeadbeefzz 128", &a);
	tap_ok(!strstr(a.err, "deadbeef"), "a refused key is not echoed in the error");
	parse_line(SA_VERB_ADD, "dev kesp0 enc aes 0xdeadbeef", &a);
	tap_ok(!strstr(a.err, "deadbeef") && strstr(a.err, "got 4"),
	       "a key of the wrong length is not echoed either");
}

/* ---- requests ---------------------------------------------------------- */

/* The request for LINE to a module of family VERSION, asking BRIEF. */
static struct nl_msg *build_for(enum sa_verb verb, const char *line, uint32_t ifindex,
				uint32_t version, bool brief)
{
	struct kesp_nl nl = { .family_id = FAMILY_ID, .family_version = version };
	struct nl_msg *msg;
	struct sa_args a;

	if (parse_line(verb, line, &a) < 0) {
		printf("# parse failed: %s\n", a.err);
		sa_args_wipe(&a);
		return NULL;
	}
	a.ifindex = ifindex;
	a.brief_reply = brief;
	msg = sa_build_request(&nl, &a);
	sa_args_wipe(&a);
	return msg;
}

static struct nl_msg *build(enum sa_verb verb, const char *line, uint32_t ifindex)
{
	return build_for(verb, line, ifindex, 1, false);
}

/* Parses MSG's top level; returns its genl command or -1. */
static int top(struct nl_msg *msg, struct nlattr **tb)
{
	struct nlmsghdr *nlh;

	if (!msg)
		return -1;
	nlh = nlmsg_hdr(msg);
	if (nlh->nlmsg_type != FAMILY_ID ||
	    genlmsg_parse(nlh, 0, tb, KESP_SA_A_MAX, NULL) < 0)
		return -1;
	return ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
}

static bool addr_is(const struct nlattr *a, const char *text)
{
	struct kesp_addr want;

	if (!a || parse_addr(text, &want) < 0)
		return false;
	return (size_t)nla_len(a) == kesp_addr_len(want.family) &&
	       !memcmp(nla_data(a), want.a, (size_t)nla_len(a));
}

static bool nested_flag(const struct nlattr *a)
{
	return a && (a->nla_type & NLA_F_NESTED);
}

/*
 * With its output discarded kespctl asks for the brief reply, but only of
 * a module that knows the attribute (family version 2): an older one
 * refuses attributes it does not know.
 */
static void request_brief_reply(void)
{
	static const struct {
		enum sa_verb verb;
		const char *line;
		uint32_t version;
		bool brief, want;
		const char *what;
	} cases[] = {
		{ SA_VERB_ADD, ADD_IN AEAD, 2, true, true, "add, version 2, discarded: BRIEF_REPLY" },
		{ SA_VERB_ADD, ADD_IN AEAD, 2, false, false, "add, version 2, printed: no BRIEF_REPLY" },
		{ SA_VERB_ADD, ADD_IN AEAD, 1, true, false, "add, version 1: no BRIEF_REPLY" },
		{ SA_VERB_UPDATE, "dev kesp0 id 5 sel src 10.0.0.0/8", 2, true, true,
		  "update, version 2, discarded: BRIEF_REPLY" },
		{ SA_VERB_DEL, "dev kesp0 id 5", 2, true, false, "del: no BRIEF_REPLY" },
		{ SA_VERB_GET, "dev kesp0 id 5", 2, true, false, "get: no BRIEF_REPLY" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nlattr *tb[KESP_SA_A_MAX + 1];
		struct nl_msg *msg = build_for(cases[i].verb, cases[i].line, 9,
					       cases[i].version, cases[i].brief);

		tap_ok(top(msg, tb) >= 0 && !!tb[KESP_SA_A_BRIEF_REPLY] == cases[i].want &&
		       (!tb[KESP_SA_A_BRIEF_REPLY] || nla_len(tb[KESP_SA_A_BRIEF_REPLY]) == 0),
		       "%s", cases[i].what);
		if (msg)
			kesp_nl_free_request(msg);
	}
}

static void request_add_aead(void)
{
	struct nlattr *tb[KESP_SA_A_MAX + 1], *alg[KESP_ALG_A_MAX + 1];
	struct nlattr *sel[KESP_SEL_A_MAX + 1];
	struct nlattr *lft[KESP_LFT_A_MAX + 1], *a;
	static const uint8_t key[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
				       13, 14, 15, 16, 17, 18, 19 };
	struct nl_msg *msg;
	int rem, n = 0;

	msg = build(SA_VERB_ADD, ADD_IN AEAD " flag esn seq 0xffffff00 replay-window 128"
		    " sel src 10.0.0.0/8 dst 10.1.2.3 proto udp sport 500 dport 4500-4501"
		    " sel src 2001:db8::/32 dst ::/0"
		    " limit time-soft 10 time-hard 20 byte-soft 30 byte-hard 40"
		    " packet-soft 50 packet-hard 60", 9);
	TAP_EQ_INT(top(msg, tb), KESP_CMD_SA_NEW, "add: KESP_CMD_SA_NEW for the family id");
	tap_ok(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_ACK, "add: acked request");
	TAP_EQ_INT(tb[KESP_SA_A_IFINDEX] ? nla_get_u32(tb[KESP_SA_A_IFINDEX]) : 0, 9, "add: IFINDEX");
	TAP_EQ_INT(tb[KESP_SA_A_DIR] ? nla_get_u8(tb[KESP_SA_A_DIR]) : 0, KESP_DIR_IN, "add: DIR");
	TAP_EQ_INT(tb[KESP_SA_A_SPI] ? nla_get_u32(tb[KESP_SA_A_SPI]) : 0, 0x1000, "add: SPI");
	TAP_EQ_INT(tb[KESP_SA_A_MODE] ? nla_get_u8(tb[KESP_SA_A_MODE]) : 0, KESP_MODE_TUNNEL, "add: MODE");
	TAP_EQ_INT(tb[KESP_SA_A_REQID] ? nla_get_u32(tb[KESP_SA_A_REQID]) : 0, 7, "add: REQID");
	tap_ok(addr_is(tb[KESP_SA_A_SRC], "192.0.2.1"), "add: SRC 4 bytes");
	tap_ok(addr_is(tb[KESP_SA_A_DST], "192.0.2.2"), "add: DST 4 bytes");
	TAP_EQ_INT(tb[KESP_SA_A_FLAGS] ? nla_get_u32(tb[KESP_SA_A_FLAGS]) : 0, KESP_SA_F_ESN, "add: FLAGS esn");
	tap_ok(tb[KESP_SA_A_SEQ] && nla_len(tb[KESP_SA_A_SEQ]) == 8 &&
	       nla_get_u64(tb[KESP_SA_A_SEQ]) == 0xffffff00ULL, "add: SEQ as u64");
	TAP_EQ_INT(tb[KESP_SA_A_REPLAY_WINDOW] ? nla_get_u32(tb[KESP_SA_A_REPLAY_WINDOW]) : 0, 128,
		   "add: REPLAY_WINDOW");
	tap_ok(!tb[KESP_SA_A_ENC] && !tb[KESP_SA_A_AUTH] && !tb[KESP_SA_A_PRIORITY] &&
	       !tb[KESP_SA_A_CPU] && !tb[KESP_SA_A_ID], "add: no ENC, AUTH, PRIORITY, CPU or ID");

	tap_ok(nested_flag(tb[KESP_SA_A_AEAD]), "add: AEAD is a nest with NLA_F_NESTED");
	if (tb[KESP_SA_A_AEAD] && nla_parse_nested(alg, KESP_ALG_A_MAX, tb[KESP_SA_A_AEAD], NULL) == 0) {
		TAP_EQ_STR(alg[KESP_ALG_A_NAME] ? nla_get_string(alg[KESP_ALG_A_NAME]) : NULL,
			   "rfc4106(gcm(aes))", "add: AEAD NAME");
		tap_ok(alg[KESP_ALG_A_KEY] && nla_len(alg[KESP_ALG_A_KEY]) == 20 &&
		       !memcmp(nla_data(alg[KESP_ALG_A_KEY]), key, 20), "add: AEAD KEY with salt");
		TAP_EQ_INT(alg[KESP_ALG_A_ICV_BITS] ? nla_get_u32(alg[KESP_ALG_A_ICV_BITS]) : 0, 128,
			   "add: AEAD ICV_BITS");
	} else {
		tap_ok(0, "add: AEAD nest parses");
	}

	tap_ok(nested_flag(tb[KESP_SA_A_SELECTORS]), "add: SELECTORS nest");
	if (tb[KESP_SA_A_SELECTORS])
		nla_for_each_nested(a, tb[KESP_SA_A_SELECTORS], rem) {
			n++;
			TAP_EQ_INT(nla_type(a), KESP_SELECTORS_A_SELECTOR, "selector: SELECTOR nest type");
			tap_ok(nested_flag(a), "selector: NLA_F_NESTED");
			nla_parse_nested(sel, KESP_SEL_A_MAX, a, NULL);
			if (n == 1) {
				TAP_EQ_INT(sel[KESP_SEL_A_FAMILY] ? nla_get_u16(sel[KESP_SEL_A_FAMILY]) : 0,
					   AF_INET, "sel 1: FAMILY inet");
				tap_ok(addr_is(sel[KESP_SEL_A_SRC_START], "10.0.0.0") &&
				       addr_is(sel[KESP_SEL_A_SRC_END], "10.255.255.255"),
				       "sel 1: src 10.0.0.0/8 as a range");
				tap_ok(addr_is(sel[KESP_SEL_A_DST_START], "10.1.2.3") &&
				       addr_is(sel[KESP_SEL_A_DST_END], "10.1.2.3"),
				       "sel 1: host dst as a one-address range");
				TAP_EQ_INT(sel[KESP_SEL_A_PROTO] ? nla_get_u8(sel[KESP_SEL_A_PROTO]) : 0, 17,
					   "sel 1: PROTO udp");
				tap_ok(sel[KESP_SEL_A_SPORT_START] && sel[KESP_SEL_A_SPORT_END] &&
				       nla_get_u16(sel[KESP_SEL_A_SPORT_START]) == 500 &&
				       nla_get_u16(sel[KESP_SEL_A_SPORT_END]) == 500, "sel 1: sport 500-500");
				tap_ok(sel[KESP_SEL_A_DPORT_START] && sel[KESP_SEL_A_DPORT_END] &&
				       nla_get_u16(sel[KESP_SEL_A_DPORT_START]) == 4500 &&
				       nla_get_u16(sel[KESP_SEL_A_DPORT_END]) == 4501, "sel 1: dport 4500-4501");
			} else {
				TAP_EQ_INT(sel[KESP_SEL_A_FAMILY] ? nla_get_u16(sel[KESP_SEL_A_FAMILY]) : 0,
					   AF_INET6, "sel 2: FAMILY inet6");
				tap_ok(addr_is(sel[KESP_SEL_A_SRC_START], "2001:db8::") &&
				       addr_is(sel[KESP_SEL_A_SRC_END], "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
				       "sel 2: v6 /32 as a 16-byte range");
				tap_ok(addr_is(sel[KESP_SEL_A_DST_START], "::") &&
				       addr_is(sel[KESP_SEL_A_DST_END], "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
				       "sel 2: ::/0 as the whole range");
				tap_ok(!sel[KESP_SEL_A_PROTO] && !sel[KESP_SEL_A_SPORT_START] &&
				       !sel[KESP_SEL_A_DPORT_END], "sel 2: no proto and no ports");
			}
		}
	TAP_EQ_INT(n, 2, "add: two selectors sent");

	tap_ok(nested_flag(tb[KESP_SA_A_LIFETIME]), "add: LIFETIME nest");
	memset(lft, 0, sizeof(lft));
	if (tb[KESP_SA_A_LIFETIME])
		nla_parse_nested(lft, KESP_LFT_A_MAX, tb[KESP_SA_A_LIFETIME], NULL);
	tap_ok(lft[KESP_LFT_A_SOFT_SECONDS] && nla_get_u64(lft[KESP_LFT_A_SOFT_SECONDS]) == 10 &&
	       lft[KESP_LFT_A_HARD_SECONDS] && nla_get_u64(lft[KESP_LFT_A_HARD_SECONDS]) == 20 &&
	       lft[KESP_LFT_A_SOFT_BYTES] && nla_get_u64(lft[KESP_LFT_A_SOFT_BYTES]) == 30 &&
	       lft[KESP_LFT_A_HARD_BYTES] && nla_get_u64(lft[KESP_LFT_A_HARD_BYTES]) == 40 &&
	       lft[KESP_LFT_A_SOFT_PACKETS] && nla_get_u64(lft[KESP_LFT_A_SOFT_PACKETS]) == 50 &&
	       lft[KESP_LFT_A_HARD_PACKETS] && nla_get_u64(lft[KESP_LFT_A_HARD_PACKETS]) == 60,
	       "add: each limit in its own LFT attribute");
	kesp_nl_free_request(msg);
}

static void request_add_enc_auth(void)
{
	struct nlattr *tb[KESP_SA_A_MAX + 1], *enc[KESP_ALG_A_MAX + 1], *auth[KESP_ALG_A_MAX + 1];
	struct nl_msg *msg;

	memset(enc, 0, sizeof(enc));
	memset(auth, 0, sizeof(auth));
	msg = build(SA_VERB_ADD, "dev kesp0 dir out src 2001:db8::1 dst 2001:db8::2 spi 77 "
		    "mode transport enc cipher_null 0x auth-trunc hmac(sha384) 0x0a0b 192 "
		    "priority 3 cpu 1", 4);
	TAP_EQ_INT(top(msg, tb), KESP_CMD_SA_NEW, "add enc+auth: SA_NEW");
	tap_ok(addr_is(tb[KESP_SA_A_SRC], "2001:db8::1") && addr_is(tb[KESP_SA_A_DST], "2001:db8::2"),
	       "add enc+auth: 16-byte addresses");
	TAP_EQ_INT(tb[KESP_SA_A_MODE] ? nla_get_u8(tb[KESP_SA_A_MODE]) : 0, KESP_MODE_TRANSPORT,
		   "add enc+auth: MODE transport");
	TAP_EQ_INT(tb[KESP_SA_A_PRIORITY] ? nla_get_u32(tb[KESP_SA_A_PRIORITY]) : 0, 3, "add: PRIORITY");
	TAP_EQ_INT(tb[KESP_SA_A_CPU] ? (int)nla_get_u32(tb[KESP_SA_A_CPU]) : -1, 1, "add: CPU");
	tap_ok(!tb[KESP_SA_A_AEAD] && !tb[KESP_SA_A_FLAGS] && !tb[KESP_SA_A_SEQ] &&
	       !tb[KESP_SA_A_REQID] && !tb[KESP_SA_A_SELECTORS] && !tb[KESP_SA_A_LIFETIME] &&
	       !tb[KESP_SA_A_REPLAY_WINDOW],
	       "add enc+auth: nothing not asked for (AEAD, FLAGS, SEQ, REQID, SELECTORS, LIFETIME)");
	if (tb[KESP_SA_A_ENC])
		nla_parse_nested(enc, KESP_ALG_A_MAX, tb[KESP_SA_A_ENC], NULL);
	if (tb[KESP_SA_A_AUTH])
		nla_parse_nested(auth, KESP_ALG_A_MAX, tb[KESP_SA_A_AUTH], NULL);
	TAP_EQ_STR(enc[KESP_ALG_A_NAME] ? nla_get_string(enc[KESP_ALG_A_NAME]) : NULL,
		   "ecb(cipher_null)", "ENC NAME canonical");
	tap_ok(enc[KESP_ALG_A_KEY] && nla_len(enc[KESP_ALG_A_KEY]) == 0, "ENC KEY empty");
	tap_ok(!enc[KESP_ALG_A_ICV_BITS], "ENC has no ICV_BITS");
	TAP_EQ_STR(auth[KESP_ALG_A_NAME] ? nla_get_string(auth[KESP_ALG_A_NAME]) : NULL,
		   "hmac(sha384)", "AUTH NAME");
	tap_ok(auth[KESP_ALG_A_KEY] && nla_len(auth[KESP_ALG_A_KEY]) == 2 &&
	       !memcmp(nla_data(auth[KESP_ALG_A_KEY]), "\x0a\x0b", 2), "AUTH KEY");
	TAP_EQ_INT(auth[KESP_ALG_A_ICV_BITS] ? nla_get_u32(auth[KESP_ALG_A_ICV_BITS]) : 0, 192,
		   "AUTH ICV_BITS");
	kesp_nl_free_request(msg);

	msg = build(SA_VERB_ADD, ADD_OUT AEAD " flag pcpu-acquire", 4);
	TAP_EQ_INT(top(msg, tb), KESP_CMD_SA_NEW, "add fallback: SA_NEW");
	TAP_EQ_INT(tb[KESP_SA_A_FLAGS] ? nla_get_u32(tb[KESP_SA_A_FLAGS]) : 0, KESP_SA_F_PCPU_ACQUIRE,
		   "add fallback: FLAGS pcpu-acquire");
	tap_ok(!tb[KESP_SA_A_CPU], "add fallback: no CPU");
	kesp_nl_free_request(msg);
}

static void request_others(void)
{
	struct nlattr *tb[KESP_SA_A_MAX + 1], *n[KESP_SA_A_MAX + 1];
	struct nl_msg *msg;
	int rem, count;

	msg = build(SA_VERB_DEL, "dev kesp0 id 42", 3);
	TAP_EQ_INT(top(msg, tb), KESP_CMD_SA_DEL, "del: SA_DEL");
	tap_ok(tb[KESP_SA_A_ID] && nla_get_u32(tb[KESP_SA_A_ID]) == 42 && tb[KESP_SA_A_IFINDEX] &&
	       nla_get_u32(tb[KESP_SA_A_IFINDEX]) == 3, "del by id: IFINDEX and ID");
	tap_ok(!tb[KESP_SA_A_DIR] && !tb[KESP_SA_A_SPI] && !tb[KESP_SA_A_DST], "del by id: nothing else");
	kesp_nl_free_request(msg);

	msg = build(SA_VERB_DEL, "dev kesp0 src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x10 dir in", 3);
	top(msg, tb);
	tap_ok(tb[KESP_SA_A_DIR] && nla_get_u8(tb[KESP_SA_A_DIR]) == KESP_DIR_IN &&
	       tb[KESP_SA_A_SPI] && nla_get_u32(tb[KESP_SA_A_SPI]) == 0x10,
	       "del inbound: DIR and SPI");
	tap_ok(!tb[KESP_SA_A_SRC] && !tb[KESP_SA_A_DST] && !tb[KESP_SA_A_ID],
	       "del inbound: src and dst are not part of the key and not sent");
	kesp_nl_free_request(msg);

	msg = build(SA_VERB_GET, "dev kesp0 dir out spi 0x10 dst 2001:db8::2", 3);
	TAP_EQ_INT(top(msg, tb), KESP_CMD_SA_GET, "get: SA_GET");
	tap_ok(!(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP), "get: not a dump");
	tap_ok(addr_is(tb[KESP_SA_A_DST], "2001:db8::2") && !tb[KESP_SA_A_SRC],
	       "get outbound: DST in the key, no SRC");
	kesp_nl_free_request(msg);

	msg = build(SA_VERB_LIST, "", 0);
	TAP_EQ_INT(top(msg, tb), KESP_CMD_SA_GET, "list: SA_GET");
	tap_ok((nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP, "list: a dump");
	tap_ok(!tb[KESP_SA_A_IFINDEX] && !tb[KESP_SA_A_DIR], "list: no filter without dev and dir");
	kesp_nl_free_request(msg);

	msg = build(SA_VERB_LIST, "dev kesp0 dir out", 8);
	top(msg, tb);
	tap_ok(tb[KESP_SA_A_IFINDEX] && nla_get_u32(tb[KESP_SA_A_IFINDEX]) == 8 && tb[KESP_SA_A_DIR] &&
	       nla_get_u8(tb[KESP_SA_A_DIR]) == KESP_DIR_OUT, "list: IFINDEX and DIR filter");
	kesp_nl_free_request(msg);

	msg = build(SA_VERB_LIST, "reqid 7", 0);
	top(msg, tb);
	tap_ok(tb[KESP_SA_A_REQID] && nla_get_u32(tb[KESP_SA_A_REQID]) == 7 && !tb[KESP_SA_A_DIR],
	       "list reqid: a REQID filter, as ip xfrm state list reqid");
	kesp_nl_free_request(msg);

	msg = build(SA_VERB_FLUSH, "dev kesp0 reqid 0", 8);
	top(msg, tb);
	tap_ok(tb[KESP_SA_A_REQID] && nla_get_u32(tb[KESP_SA_A_REQID]) == 0 && tb[KESP_SA_A_IFINDEX],
	       "flush reqid 0: reqid 0 is a filter too");
	kesp_nl_free_request(msg);

	msg = build(SA_VERB_FLUSH, "dir in", 0);
	TAP_EQ_INT(top(msg, tb), KESP_CMD_SA_FLUSH, "flush: SA_FLUSH");
	tap_ok(!(nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP), "flush: not a dump");
	tap_ok(!tb[KESP_SA_A_IFINDEX] && tb[KESP_SA_A_DIR] && !tb[KESP_SA_A_REQID] &&
	       nla_get_u8(tb[KESP_SA_A_DIR]) == KESP_DIR_IN, "flush: DIR only");
	kesp_nl_free_request(msg);

	msg = build(SA_VERB_SPI_ALLOC, "dev kesp0 max 0x2000", 5);
	TAP_EQ_INT(top(msg, tb), KESP_CMD_SPI_ALLOC, "spi alloc: SPI_ALLOC");
	tap_ok(tb[KESP_SA_A_IFINDEX] && !tb[KESP_SA_A_SPI_MIN] && tb[KESP_SA_A_SPI_MAX] &&
	       nla_get_u32(tb[KESP_SA_A_SPI_MAX]) == 0x2000, "spi alloc: IFINDEX, SPI_MAX, no SPI_MIN");
	kesp_nl_free_request(msg);

	msg = build(SA_VERB_UPDATE, "dev kesp0 id 4 src 192.0.2.7 dst 192.0.2.8 "
		    "sel src 10.0.0.0/8 dst 0.0.0.0/0 limit packet-hard 9", 2);
	TAP_EQ_INT(top(msg, tb), KESP_CMD_SA_UPDATE, "update: SA_UPDATE");
	tap_ok(tb[KESP_SA_A_ID] && addr_is(tb[KESP_SA_A_SRC], "192.0.2.7") &&
	       addr_is(tb[KESP_SA_A_DST], "192.0.2.8"), "update: ID and the new SRC and DST");
	tap_ok(tb[KESP_SA_A_SELECTORS] && tb[KESP_SA_A_LIFETIME], "update: SELECTORS and LIFETIME");
	tap_ok(!tb[KESP_SA_A_DIR] && !tb[KESP_SA_A_SPI] && !tb[KESP_SA_A_MODE] && !tb[KESP_SA_A_AEAD],
	       "update: nothing the SA cannot change");
	kesp_nl_free_request(msg);

	msg = build(SA_VERB_UPDATE, "dev kesp0 dir out spi 9 dst 192.0.2.8 sel none limit none", 2);
	top(msg, tb);
	tap_ok(tb[KESP_SA_A_DIR] && tb[KESP_SA_A_SPI] && addr_is(tb[KESP_SA_A_DST], "192.0.2.8") &&
	       !tb[KESP_SA_A_SRC], "update outbound by spi: DST is the key");
	count = 0;
	if (tb[KESP_SA_A_SELECTORS])
		nla_for_each_nested(n[0], tb[KESP_SA_A_SELECTORS], rem)
			count++;
	tap_ok(tb[KESP_SA_A_SELECTORS] && count == 0, "update: sel none is an empty SELECTORS nest");
	tap_ok(tb[KESP_SA_A_LIFETIME] && nla_len(tb[KESP_SA_A_LIFETIME]) == 0,
	       "update: limit none is an empty LIFETIME nest");
	kesp_nl_free_request(msg);

	msg = build(SA_VERB_ADD, ADD_IN AEAD " encap espinudp 4500 5001", 2);
	top(msg, tb);
	if (tap_ok(tb[KESP_SA_A_ENCAP] != NULL, "add with encap: an ENCAP nest") &&
	    nla_parse_nested(n, KESP_ENCAP_A_MAX, tb[KESP_SA_A_ENCAP], NULL) == 0)
		tap_ok(n[KESP_ENCAP_A_TYPE] && nla_get_u8(n[KESP_ENCAP_A_TYPE]) == KESP_ENCAP_ESPINUDP &&
		       n[KESP_ENCAP_A_SPORT] && nla_get_u16(n[KESP_ENCAP_A_SPORT]) == 4500 &&
		       n[KESP_ENCAP_A_DPORT] && nla_get_u16(n[KESP_ENCAP_A_DPORT]) == 5001,
		       "add with encap: ESPINUDP, SPORT 4500, DPORT 5001");
	kesp_nl_free_request(msg);
	msg = build(SA_VERB_UPDATE, "dev kesp0 dir in spi 9 encap espinudp 5002 4500", 2);
	top(msg, tb);
	tap_ok(tb[KESP_SA_A_ENCAP] && !tb[KESP_SA_A_SELECTORS] && !tb[KESP_SA_A_LIFETIME],
	       "update encap: ENCAP alone");
	kesp_nl_free_request(msg);
}

/*
 * Lines as ip xfrm takes them mean the same SA here: every auth name with
 * the truncation XFRM gives "auth NAME" (net/xfrm/xfrm_algo.c), selectors
 * with a side left out, encap with its OADDR.
 */
static bool range_is(const uint8_t *start, const uint8_t *end, const char *lo,
		     const char *hi)
{
	struct kesp_addr a, b;

	return parse_addr(lo, &a) == 0 && parse_addr(hi, &b) == 0 &&
	       !memcmp(start, a.a, 16) && !memcmp(end, b.a, kesp_addr_len(b.family));
}

static void xfrm_lines(void)
{
	static const struct {
		const char *typed, *name;
		uint32_t bits;
	} auths[] = {
		{ "sha1", "hmac(sha1)", 96 }, { "hmac(sha1)", "hmac(sha1)", 96 },
		{ "hmac(sha384)", "hmac(sha384)", 192 }, { "hmac(sha512)", "hmac(sha512)", 256 },
	};
	struct nlattr *tb[KESP_SA_A_MAX + 1], *n[KESP_SEL_A_MAX + 1], *sel;
	struct nl_msg *msg;
	struct sa_args a;
	char line[256];
	int rem;

	for (size_t i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
		snprintf(line, sizeof(line), ADD_OUT "enc aes 0x00112233445566778899aabbccddeeff auth %s %s",
			 auths[i].typed, KEY32);
		parse_line(SA_VERB_ADD, line, &a);
		tap_ok(a.auth.info && !strcmp(a.auth.info->name, auths[i].name) &&
		       a.auth.icv_bits == auths[i].bits,
		       "auth %s means %s with %u bits, as in ip xfrm (err \"%s\")", auths[i].typed,
		       auths[i].name, auths[i].bits, a.err);
		sa_args_wipe(&a);
	}

	/* ip xfrm's whole line, after kespctl's "dev DEV dir DIR". */
	TAP_EQ_INT(parse_line(SA_VERB_ADD, "dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 "
			      "proto esp spi 0x100 reqid 1 mode tunnel enc cbc(aes) "
			      "0x00112233445566778899aabbccddeeff auth sha1 0x0011223344556677889900112233445566778899 "
			      "sel src 10.1.0.0/24 encap espinudp 4500 4500 0.0.0.0", &a), 0,
		   "a pasted ip xfrm line with sel src alone and encap OADDR parses");
	tap_ok(a.nsel == 1 && a.sel[0].family == AF_INET &&
	       range_is(a.sel[0].src_start, a.sel[0].src_end, "10.1.0.0", "10.1.0.255") &&
	       range_is(a.sel[0].dst_start, a.sel[0].dst_end, "0.0.0.0", "255.255.255.255"),
	       "sel src alone: dst is any IPv4 address");
	tap_ok(a.has_encap && a.encap_sport == 4500 && a.encap_dport == 4500 &&
	       a.auth.icv_bits == 96, "encap ports kept, OADDR taken, sha1 at 96 bits");
	sa_args_wipe(&a);

	TAP_EQ_INT(parse_line(SA_VERB_ADD, ADD_IN AEAD " sel dst 10.2.0.0/16 proto udp "
			      "encap espinudp 4500 4500 sel src 10.9.0.0/16", &a), 0,
		   "sel dst alone; encap without OADDR followed by a keyword");
	tap_ok(a.nsel == 2 &&
	       range_is(a.sel[0].src_start, a.sel[0].src_end, "0.0.0.0", "255.255.255.255") &&
	       range_is(a.sel[0].dst_start, a.sel[0].dst_end, "10.2.0.0", "10.2.255.255") &&
	       a.sel[0].proto == 17, "sel dst alone: src is any IPv4 address");
	sa_args_wipe(&a);

	/* Neither side: the SA's family, wherever the SA's addresses come. */
	TAP_EQ_INT(parse_line(SA_VERB_ADD, "dev kesp0 dir in sel proto tcp dport 443 "
			      "spi 1 src 2001:db8::1 dst 2001:db8::2 mode tunnel " AEAD
			      " encap espinudp 4500 4500 ::", &a), 0,
		   "sel with only proto, before the SA's IPv6 addresses; encap with an IPv6 OADDR");
	tap_ok(a.nsel == 1 && a.sel[0].family == AF_INET6 &&
	       range_is(a.sel[0].src_start, a.sel[0].src_end, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") &&
	       range_is(a.sel[0].dst_start, a.sel[0].dst_end, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	       "sel with only proto: any IPv6 address on both sides");
	sa_args_wipe(&a);
	TAP_EQ_INT(parse_line(SA_VERB_UPDATE, "dev kesp0 dir out spi 5 dst 192.0.2.2 sel proto icmp", &a), 0,
		   "update: a selector with only proto takes the family of the SA's dst");
	TAP_EQ_INT(a.sel[0].family, AF_INET, "  ... IPv4");
	sa_args_wipe(&a);

	/* What goes to the kernel: the side left out as the whole family. */
	msg = build(SA_VERB_ADD, ADD_IN AEAD " sel src 10.1.0.0/24", 2);
	top(msg, tb);
	sel = NULL;
	if (tb[KESP_SA_A_SELECTORS])
		nla_for_each_nested(sel, tb[KESP_SA_A_SELECTORS], rem)
			break;
	tap_ok(sel && nla_parse_nested(n, KESP_SEL_A_MAX, sel, NULL) == 0 &&
	       n[KESP_SEL_A_FAMILY] && nla_get_u16(n[KESP_SEL_A_FAMILY]) == AF_INET &&
	       addr_is(n[KESP_SEL_A_DST_START], "0.0.0.0") &&
	       addr_is(n[KESP_SEL_A_DST_END], "255.255.255.255") &&
	       addr_is(n[KESP_SEL_A_SRC_END], "10.1.0.255"),
	       "request: sel src alone is sent with DST 0.0.0.0-255.255.255.255");
	kesp_nl_free_request(msg);
}

/* ---- replies ----------------------------------------------------------- */

static const char *fake_ifname(uint32_t ifindex, char *buf)
{
	if (ifindex != 9)
		return NULL;
	strcpy(buf, "kesp0");
	return buf;
}

static void put_addr(struct nl_msg *m, int type, const char *text)
{
	struct kesp_addr a;

	parse_addr(text, &a);
	nla_put(m, type, (int)kesp_addr_len(a.family), a.a);
}

#define SECRET "\xde\xad\xbe\xef\x5e\xc2\xe7\x00"

/* R_FALLBACK: R_ENC_AUTH as the fallback of per-CPU SAs, with no CPU. */
enum { R_FULL, R_ENC_AUTH, R_FALLBACK, R_NO_ID, R_BAD_ADDR, R_BAD_SEL };

/* A KESP_CMD_SA_GET reply as the kernel would lay it out (or mangled). */
static struct nl_msg *reply(int kind)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlattr *nest, *sels, *sel;
	bool out = kind == R_ENC_AUTH || kind == R_FALLBACK;

	genlmsg_put(m, 0, 0, FAMILY_ID, 0, 0, KESP_CMD_SA_GET, KESP_GENL_VERSION);
	nla_put_u32(m, KESP_SA_A_IFINDEX, out ? 33 : 9);
	if (kind != R_NO_ID)
		nla_put_u32(m, KESP_SA_A_ID, 17);
	nla_put_u8(m, KESP_SA_A_DIR, out ? KESP_DIR_OUT : KESP_DIR_IN);
	nla_put_u32(m, KESP_SA_A_SPI, 0xc0ffee);
	nla_put_u8(m, KESP_SA_A_MODE, KESP_MODE_TUNNEL);
	nla_put_u32(m, KESP_SA_A_REQID, 7);
	if (kind == R_BAD_ADDR)
		nla_put(m, KESP_SA_A_SRC, 5, "\x01\x02\x03\x04\x05");
	else
		put_addr(m, KESP_SA_A_SRC, out ? "2001:db8::1" : "192.0.2.1");
	put_addr(m, KESP_SA_A_DST, out ? "2001:db8::2" : "192.0.2.2");
	if (out) {
		nest = nla_nest_start(m, KESP_SA_A_ENC | NLA_F_NESTED);
		nla_put_string(m, KESP_ALG_A_NAME, "cbc(aes)");
		nla_put(m, KESP_ALG_A_KEY, 8, SECRET);
		nla_nest_end(m, nest);
		nest = nla_nest_start(m, KESP_SA_A_AUTH | NLA_F_NESTED);
		nla_put_string(m, KESP_ALG_A_NAME, "hmac(sha256)");
		nla_put(m, KESP_ALG_A_KEY, 8, SECRET);
		nla_put_u32(m, KESP_ALG_A_ICV_BITS, 128);
		nla_nest_end(m, nest);
		nla_put_u64(m, KESP_SA_A_SEQ, 5);
		nla_put_u32(m, KESP_SA_A_PRIORITY, 2);
		if (kind == R_FALLBACK)
			/* With a bit kespctl has no name for. */
			nla_put_u32(m, KESP_SA_A_FLAGS,
				    KESP_SA_F_ESN | KESP_SA_F_PCPU_ACQUIRE |
				    KESP_SA_F_PARALLEL | 0x80);
		else
			nla_put_u32(m, KESP_SA_A_CPU, 1);
		return m;
	}
	/* A buggy kernel that echoes the key must still not get it printed. */
	nest = nla_nest_start(m, KESP_SA_A_AEAD | NLA_F_NESTED);
	nla_put_string(m, KESP_ALG_A_NAME, "rfc4106(gcm(aes))");
	nla_put(m, KESP_ALG_A_KEY, 8, SECRET);
	nla_put_u32(m, KESP_ALG_A_ICV_BITS, 128);
	nla_nest_end(m, nest);
	nla_put_u32(m, KESP_SA_A_REPLAY_WINDOW, 64);
	nla_put_u32(m, KESP_SA_A_FLAGS, KESP_SA_F_ESN);
	nla_put_u64(m, KESP_SA_A_SEQ, 4294967296ULL);
	sels = nla_nest_start(m, KESP_SA_A_SELECTORS | NLA_F_NESTED);
	sel = nla_nest_start(m, KESP_SELECTORS_A_SELECTOR | NLA_F_NESTED);
	nla_put_u16(m, KESP_SEL_A_FAMILY, AF_INET);
	put_addr(m, KESP_SEL_A_SRC_START, "10.0.0.0");
	put_addr(m, KESP_SEL_A_SRC_END, kind == R_BAD_SEL ? "10.255.255.255" : "10.255.255.255");
	put_addr(m, KESP_SEL_A_DST_START, "10.1.0.1");
	if (kind == R_BAD_SEL)
		put_addr(m, KESP_SEL_A_DST_END, "2001:db8::5");
	else
		put_addr(m, KESP_SEL_A_DST_END, "10.1.0.5");
	nla_put_u8(m, KESP_SEL_A_PROTO, 6);
	nla_put_u16(m, KESP_SEL_A_DPORT_START, 443);
	nla_put_u16(m, KESP_SEL_A_DPORT_END, 443);
	nla_nest_end(m, sel);
	sel = nla_nest_start(m, KESP_SELECTORS_A_SELECTOR | NLA_F_NESTED);
	nla_put_u16(m, KESP_SEL_A_FAMILY, AF_INET);
	put_addr(m, KESP_SEL_A_SRC_START, "192.168.0.0");
	put_addr(m, KESP_SEL_A_SRC_END, "192.168.255.255");
	nla_put_u8(m, KESP_SEL_A_PROTO, 1);
	nla_put_u16(m, KESP_SEL_A_SPORT_START, 8);
	nla_put_u16(m, KESP_SEL_A_SPORT_END, 8);
	/* Any code, as the kernel reports a range not given: no words for it. */
	nla_put_u16(m, KESP_SEL_A_DPORT_START, 0);
	nla_put_u16(m, KESP_SEL_A_DPORT_END, 65535);
	nla_nest_end(m, sel);
	nla_nest_end(m, sels);
	nest = nla_nest_start(m, KESP_SA_A_LIFETIME | NLA_F_NESTED);
	nla_put_u64(m, KESP_LFT_A_SOFT_SECONDS, 3000);
	nla_put_u64(m, KESP_LFT_A_HARD_SECONDS, 3600);
	nla_put_u64(m, KESP_LFT_A_SOFT_BYTES, 0);
	nla_put_u64(m, KESP_LFT_A_HARD_BYTES, 18446744073709551615ULL);
	nla_nest_end(m, nest);
	nest = nla_nest_start(m, KESP_SA_A_COUNTERS | NLA_F_NESTED);
	nla_put_u64(m, KESP_CNT_A_PACKETS, 10);
	nla_put_u64(m, KESP_CNT_A_BYTES, 1400);
	nla_put_u64(m, KESP_CNT_A_REPLAY_ERRORS, 1);
	nla_put_u64(m, KESP_CNT_A_AUTH_ERRORS, 2);
	nla_put_u64(m, KESP_CNT_A_SELECTOR_ERRORS, 3);
	nla_put_u64(m, KESP_CNT_A_PADDING_ERRORS, 4);
	nla_put_u64(m, KESP_CNT_A_OTHER_ERRORS, 5);
	nla_put_u64(m, KESP_CNT_A_PARALLEL, 6);
	nla_nest_end(m, nest);
	nla_put_u64(m, KESP_SA_A_ADD_TIME, 1234);
	return m;
}

/* Prints the replies of KINDS (-1 ends) into a string; RET gets the last status. */
static char *render(bool json, const int *kinds, int *ret)
{
	struct sa_printer p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sa_printer_init(&p, f, json);
	p.ifname = fake_ifname;
	sa_print_begin(&p);
	for (; *kinds >= 0; kinds++) {
		struct nl_msg *m = reply(*kinds);

		*ret = sa_print_reply(m, &p);
		nlmsg_free(m);
	}
	sa_print_end(&p);
	fclose(f);
	return buf;
}

static bool has_secret(const char *s)
{
	return memmem(s, strlen(s), "\xde\xad\xbe\xef", 4) || strstr(s, "deadbeef") ||
	       strstr(s, "DEADBEEF") || strstr(s, "de:ad") || strstr(s, "3735928559");
}

static void replies(void)
{
	static const char human_full[] =
		"sa 17 dev kesp0 dir in spi 0x00c0ffee reqid 7 mode tunnel\n"
		"\tsrc 192.0.2.1 dst 192.0.2.2\n"
		"\taead rfc4106(gcm(aes)) 128\n"
		"\treplay-window 64 seq 4294967296 flag esn\n"
		"\tsel src 10.0.0.0/8 dst 10.1.0.1-10.1.0.5 proto tcp dport 443\n"
		"\tsel src 192.168.0.0/16 dst any proto icmp type 8\n"
		"\tlimit time-soft 3000 time-hard 3600 byte-hard 18446744073709551615\n"
		"\tstats packets 10 bytes 1400 replay-errors 1 auth-errors 2 selector-errors 3"
		" padding-errors 4 other-errors 5 parallel 6\n"
		"\tadded 1234s after boot\n";
	static const char human_enc[] =
		"sa 17 ifindex 33 dir out spi 0x00c0ffee reqid 7 mode tunnel\n"
		"\tsrc 2001:db8::1 dst 2001:db8::2\n"
		"\tenc cbc(aes)\n"
		"\tauth-trunc hmac(sha256) 128\n"
		"\tseq 5 priority 2 cpu 1\n";
	static const char json_both[] =
		"[{\"id\":17,\"ifindex\":9,\"dev\":\"kesp0\",\"dir\":\"in\",\"spi\":12648430,"
		"\"reqid\":7,\"mode\":\"tunnel\",\"src\":\"192.0.2.1\",\"dst\":\"192.0.2.2\","
		"\"aead\":{\"name\":\"rfc4106(gcm(aes))\",\"icv_bits\":128},"
		"\"replay_window\":64,\"seq\":4294967296,\"flags\":[\"esn\"],"
		"\"selectors\":[{\"family\":\"inet\",\"src\":\"10.0.0.0/8\",\"dst\":\"10.1.0.1-10.1.0.5\","
		"\"proto\":6,\"dport\":[443,443]},"
		"{\"family\":\"inet\",\"src\":\"192.168.0.0/16\",\"dst\":\"any\",\"proto\":1,"
		"\"sport\":[8,8],\"dport\":[0,65535]}],"
		"\"limits\":{\"time_soft\":3000,\"time_hard\":3600,\"byte_hard\":18446744073709551615},"
		"\"counters\":{\"packets\":10,\"bytes\":1400,\"replay_errors\":1,\"auth_errors\":2,"
		"\"selector_errors\":3,\"padding_errors\":4,\"other_errors\":5,\"parallel\":6},"
		"\"add_time\":1234},"
		"{\"id\":17,\"ifindex\":33,\"dir\":\"out\",\"spi\":12648430,\"reqid\":7,"
		"\"mode\":\"tunnel\",\"src\":\"2001:db8::1\",\"dst\":\"2001:db8::2\","
		"\"enc\":{\"name\":\"cbc(aes)\"},\"auth\":{\"name\":\"hmac(sha256)\",\"icv_bits\":128},"
		"\"seq\":5,\"flags\":[],\"priority\":2,\"cpu\":1}]\n";
	static const char human_fallback[] =
		"sa 17 ifindex 33 dir out spi 0x00c0ffee reqid 7 mode tunnel\n"
		"\tsrc 2001:db8::1 dst 2001:db8::2\n"
		"\tenc cbc(aes)\n"
		"\tauth-trunc hmac(sha256) 128\n"
		"\tseq 5 flag esn flag pcpu-acquire flag parallel flag 0x80 priority 2\n";
	static const char json_fallback[] =
		"[{\"id\":17,\"ifindex\":33,\"dir\":\"out\",\"spi\":12648430,\"reqid\":7,"
		"\"mode\":\"tunnel\",\"src\":\"2001:db8::1\",\"dst\":\"2001:db8::2\","
		"\"enc\":{\"name\":\"cbc(aes)\"},\"auth\":{\"name\":\"hmac(sha256)\",\"icv_bits\":128},"
		"\"seq\":5,\"flags\":[\"esn\",\"pcpu-acquire\",\"parallel\",\"0x80\"],\"priority\":2}]\n";
	static const int full[] = { R_FULL, -1 }, enc[] = { R_ENC_AUTH, -1 };
	static const int fallback[] = { R_FALLBACK, -1 };
	static const int both[] = { R_FULL, R_ENC_AUTH, -1 };
	static const int no_id[] = { R_NO_ID, -1 }, bad_addr[] = { R_BAD_ADDR, -1 };
	static const int bad_sel[] = { R_FULL, R_BAD_SEL, -1 };
	int ret = 99;
	char *s;

	s = render(false, full, &ret);
	TAP_EQ_INT(ret, 0, "print: a full inbound SA");
	TAP_EQ_STR(s, human_full, "print: human form, like ip xfrm state");
	tap_ok(!has_secret(s), "print: human form carries no key bytes");
	free(s);
	s = render(false, enc, &ret);
	TAP_EQ_STR(s, human_enc, "print: enc+auth SA on an unknown ifindex");
	tap_ok(!has_secret(s), "print: enc+auth form carries no key bytes");
	free(s);
	s = render(false, fallback, &ret);
	TAP_EQ_STR(s, human_fallback, "print: the fallback SA's flags, as sa add takes them");
	free(s);
	s = render(true, fallback, &ret);
	TAP_EQ_STR(s, json_fallback, "print: --json names the fallback's flags, the unknown bit in hex");
	free(s);
	s = render(true, both, &ret);
	TAP_EQ_STR(s, json_both, "print: --json array of both, exact numbers");
	tap_ok(!has_secret(s), "print: JSON carries no key bytes");
	free(s);

	s = render(false, no_id, &ret);
	TAP_EQ_INT(ret, -1, "print: a reply without ID is malformed");
	TAP_EQ_STR(s, "", "print: ... and nothing of it is printed");
	free(s);
	s = render(true, bad_addr, &ret);
	TAP_EQ_INT(ret, -1, "print: a 5-byte address is malformed");
	TAP_EQ_STR(s, "[]\n", "print: ... and the JSON document stays whole");
	free(s);
	s = render(true, bad_sel, &ret);
	TAP_EQ_INT(ret, -1, "print: a selector mixing families is malformed");
	tap_ok(s && !strncmp(s, "[{\"id\":17", 9) && !strcmp(s + strlen(s) - 3, "}]\n") &&
	       !strstr(s, "2001:db8::5"), "print: the good SA before it stays, the bad one is dropped");
	free(s);

	{
		struct nl_msg *m = nlmsg_alloc();
		struct sa_printer p;
		char *buf = NULL;
		size_t len = 0;
		FILE *f;

		genlmsg_put(m, 0, 0, FAMILY_ID, 0, 0, KESP_CMD_SPI_ALLOC, KESP_GENL_VERSION);
		nla_put_u32(m, KESP_SA_A_IFINDEX, 9);
		nla_put_u32(m, KESP_SA_A_SPI, 0x1234abcd);
		f = open_memstream(&buf, &len);
		sa_printer_init(&p, f, false);
		ret = spi_print_reply(m, &p);
		p.json = true;
		ret |= spi_print_reply(m, &p);
		fclose(f);
		TAP_EQ_INT(ret, 0, "spi alloc reply parses");
		TAP_EQ_STR(buf, "spi 0x1234abcd\n{\"spi\":305441741}\n", "spi alloc: human and JSON");
		free(buf);
		nlmsg_free(m);
	}
}

/* del/get in ip xfrm's words: addresses outside SA-KEY checked against the reply. */
static void checks(void)
{
	static const struct {
		enum sa_verb verb;
		const char *line;
		int needs, match;
	} cases[] = {
		{ SA_VERB_DEL, "dev kesp0 id 17", 0, 1 },
		{ SA_VERB_DEL, "dev kesp0 dir out spi 1 dst 192.0.2.2", 0, 1 },
		{ SA_VERB_DEL, "dev kesp0 src 192.0.2.1 dst 192.0.2.2 proto esp spi 0xc0ffee dir in", 1, 1 },
		{ SA_VERB_GET, "dev kesp0 dir in spi 0xc0ffee dst 192.0.2.2", 1, 1 },
		{ SA_VERB_GET, "dev kesp0 dir in spi 0xc0ffee src 192.0.2.9 dst 192.0.2.2", 1, 0 },
		{ SA_VERB_DEL, "dev kesp0 dir in spi 0xc0ffee dst 192.0.2.3", 1, 0 },
		{ SA_VERB_DEL, "dev kesp0 id 17 src 2001:db8::1", 1, 0 },
		{ SA_VERB_GET, "dev kesp0 dir out spi 0xc0ffee src 192.0.2.1 dst 192.0.2.2", 1, 1 },
	};
	struct nl_msg *m = reply(R_FULL), *bad = reply(R_NO_ID);
	struct sa_args a;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t id = 0;
		char name[256];

		parse_line(cases[i].verb, cases[i].line, &a);
		snprintf(name, sizeof(name), "check: %s needs a check: %s", cases[i].line,
			 cases[i].needs ? "yes" : "no");
		TAP_EQ_INT(sa_needs_check(&a), cases[i].needs, name);
		snprintf(name, sizeof(name), "  ... and %s the reply", cases[i].match ? "matches" : "does not match");
		TAP_EQ_INT(sa_reply_check(m, &a, &id), cases[i].match, name);
		if (cases[i].match)
			TAP_EQ_INT(id, 17, "  ... whose id is learnt");
	}
	parse_line(SA_VERB_DEL, "dev kesp0 dir in spi 1 src 192.0.2.1", &a);
	{
		uint32_t id;

		TAP_EQ_INT(sa_reply_check(bad, &a, &id), -1, "check: a reply without ID is malformed");
	}
	parse_line(SA_VERB_ADD, ADD_IN AEAD, &a);
	tap_ok(!sa_needs_check(&a), "check: add never needs one");
	sa_args_wipe(&a);
	nlmsg_free(m);
	nlmsg_free(bad);
}

/*
 * The binary itself, when built: every failure is one line in the one
 * format, "kespctl: [WHAT: ]MESSAGE", usage errors (status 2) ending in
 * the hint, whichever command (and source file) reports it.
 */
static void command_line(void)
{
	static const struct {
		const char *cmd, *out;
		int status;
	} cases[] = {
		{ "sa add dev lo spi 0xzz", "kespctl: sa add: bad spi \"0xzz\" (see kespctl help)\n", 2 },
		{ "sa add dev lo enc des 0x00", "kespctl: sa add: unknown enc algorithm \"des\" "
		  "(kesp has cbc(aes), ecb(cipher_null)) (see kespctl help)\n", 2 },
		{ "sa frob", "kespctl: sa: unknown verb \"frob\" (see kespctl help)\n", 2 },
		{ "spi alloc dev lo min x", "kespctl: spi alloc: bad min \"x\" (see kespctl help)\n", 2 },
		{ "spi", "kespctl: spi: missing verb (alloc) (see kespctl help)\n", 2 },
		{ "sa del dev kesp-none-9 id 1", "kespctl: sa del: device kesp-none-9 does not exist\n", 1 },
		{ "trap frob", "kespctl: trap: unknown verb \"frob\" (see kespctl help)\n", 2 },
		{ "trap add dev lo", "kespctl: trap: add needs sel SEL (see kespctl help)\n", 2 },
		{ "trap del id 1", "kespctl: trap: del needs dev DEV (see kespctl help)\n", 2 },
		{ "trap add dev lo sel proto tcp", "kespctl: trap add: sel needs src or dst for its "
		  "address family (0.0.0.0/0 or ::/0 for any) (see kespctl help)\n", 2 },
		{ "trap add dev lo sel src 10.0.0.0/33", "kespctl: trap add: bad sel src \"10.0.0.0/33\" "
		  "(see kespctl help)\n", 2 },
		{ "trap del dev kesp-none-9 id 1", "kespctl: trap del: device kesp-none-9 does not exist\n", 1 },
		{ "encap", "kespctl: encap: missing verb (listen or detach) (see kespctl help)\n", 2 },
		{ "encap listen port 1", "kespctl: encap listen: missing \"dev\" (see kespctl help)\n", 2 },
		{ "dev frob", "kespctl: dev: unknown dev verb \"frob\" (see kespctl help)\n", 2 },
		{ "dev set lo fwmark 0xg", "kespctl: dev set: bad fwmark \"0xg\" (see kespctl help)\n", 2 },
		{ "monitor x", "kespctl: monitor: unexpected argument \"x\" (see kespctl help)\n", 2 },
		{ "version x", "kespctl: version: unexpected argument \"x\" (see kespctl help)\n", 2 },
		{ "frob", "kespctl: unknown command \"frob\" (see kespctl help)\n", 2 },
		{ "--bogus sa", "kespctl: unknown option \"--bogus\" (see kespctl help)\n", 2 },
		{ "-batch /nonexistent", "kespctl: -batch /nonexistent: No such file or directory\n", 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cmd[256], out[512] = "";
		size_t n;
		FILE *f;
		int st;

		if (access("tools/kespctl", X_OK)) {
			printf("ok %d - # SKIP tools/kespctl not built\n", ++tap_count);
			continue;
		}
		snprintf(cmd, sizeof(cmd), "tools/kespctl %s 2>&1", cases[i].cmd);
		f = popen(cmd, "r");
		n = fread(out, 1, sizeof(out) - 1, f);
		out[n] = '\0';
		st = pclose(f);
		TAP_EQ_STR(out, cases[i].out, cases[i].cmd);
		TAP_EQ_INT(WIFEXITED(st) ? WEXITSTATUS(st) : -1, cases[i].status, "  ... exit status");
	}
}

/* An EXPIRE event: the enc/auth reply turned into one, REASON 0 = none. */
static char *render_event(bool json, uint8_t cmd, uint8_t reason, int *ret)
{
	struct nl_msg *m = reply(R_ENC_AUTH);
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(m));
	struct sa_printer p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	gh->cmd = cmd;
	nla_put_flag(m, KESP_SA_A_EXPIRE_HARD);
	if (reason)
		nla_put_u8(m, KESP_SA_A_EXPIRE_REASON, reason);
	sa_printer_init(&p, f, json);
	p.ifname = fake_ifname;
	*ret = sa_print_event(m, &p);
	/* A second event on the same printer is a line of its own. */
	if (*ret == 0 && reason)
		*ret = sa_print_event(m, &p);
	nlmsg_free(m);
	fclose(f);
	return buf;
}

/* A MAPPING event of an inbound ESP-in-UDP SA: 198.51.100.7:5001 -> :5002. */
static char *render_mapping(bool json, bool with_new, int *ret)
{
	struct nl_msg *m = reply(R_ENC_AUTH);
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(m));
	struct sa_printer p;
	struct nlattr *encap;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	gh->cmd = KESP_CMD_SA_MAPPING;
	encap = nla_nest_start(m, KESP_SA_A_ENCAP | NLA_F_NESTED);
	nla_put_u8(m, KESP_ENCAP_A_TYPE, KESP_ENCAP_ESPINUDP);
	nla_put_u16(m, KESP_ENCAP_A_SPORT, 5001);
	nla_put_u16(m, KESP_ENCAP_A_DPORT, 4500);
	nla_nest_end(m, encap);
	if (with_new) {
		put_addr(m, KESP_SA_A_MAPPING_SRC, "198.51.100.7");
		nla_put_u16(m, KESP_SA_A_MAPPING_SPORT, 5002);
	}
	sa_printer_init(&p, f, json);
	p.ifname = fake_ifname;
	*ret = sa_print_event(m, &p);
	nlmsg_free(m);
	fclose(f);
	return buf;
}

#define JSON_MAPPING "{\"event\":\"mapping\",\"new_src\":\"198.51.100.7\",\"new_sport\":5002,"
static void mapping_events(void)
{
	char *out;
	int ret;

	out = render_mapping(false, true, &ret);
	TAP_EQ_INT(ret, 0, "mapping: prints");
	tap_ok(!strncmp(out, "mapping to 198.51.100.7 port 5002: sa 17 ",
			strlen("mapping to 198.51.100.7 port 5002: sa 17 ")),
	       "mapping: human form starts with the new address and port");
	tap_ok(strstr(out, "\tencap espinudp 5001 4500\n") != NULL,
	       "mapping: the SA's old ports follow, as ip xfrm writes them");
	free(out);
	out = render_mapping(true, true, &ret);
	tap_ok(!strncmp(out, JSON_MAPPING, strlen(JSON_MAPPING)),
	       "mapping: JSON names event, new_src and new_sport first");
	tap_ok(strstr(out, "\"encap\":{\"type\":\"espinudp\",\"sport\":5001,\"dport\":4500}") != NULL,
	       "mapping: JSON carries the SA's encap object");
	tap_ok(!has_secret(out), "mapping: no key material");
	free(out);
	out = render_mapping(false, false, &ret);
	tap_ok(ret == -1 && !*out, "mapping: without the new source it is malformed, nothing printed");
	free(out);
}

static void events(void)
{
	static const char human[] =
		"expire hard (packets): sa 17 ifindex 33 dir out spi 0x00c0ffee reqid 7 mode tunnel\n"
		"\tsrc 2001:db8::1 dst 2001:db8::2\n";
	static const char json_start[] =
		"{\"event\":\"expire\",\"kind\":\"hard\",\"reason\":\"sequence numbers spent\","
		"\"id\":17,";
	char *out, *nl;
	int ret;

	out = render_event(false, KESP_CMD_SA_EXPIRE, KESP_EXPIRE_PACKETS, &ret);
	TAP_EQ_INT(ret, 0, "event: an expire event prints");
	tap_ok(!strncmp(out, human, strlen(human)), "event: human form names kind and reason, then the SA");
	tap_ok(strstr(out + 1, "\nexpire hard (packets): sa 17") != NULL,
	       "event: the next event starts a line of its own");
	free(out);
	out = render_event(true, KESP_CMD_SA_EXPIRE, KESP_EXPIRE_SEQUENCE, &ret);
	tap_ok(!strncmp(out, json_start, strlen(json_start)), "event: JSON object with event, kind, reason");
	nl = strchr(out, '\n');
	if (!tap_ok(nl && nl[-1] == '}' && nl[1] == '{' && strchr(nl + 1, '\n') &&
		    !strchr(nl + 1, '\n')[1], "event: one JSON document per line"))
		printf("#   got %s", out);
	tap_ok(!has_secret(out), "event: no key material");
	free(out);
	out = render_event(false, KESP_CMD_SA_GET, KESP_EXPIRE_BYTES, &ret);
	tap_ok(ret == 0 && !*out, "event: messages of other commands are skipped");
	free(out);
	out = render_event(false, KESP_CMD_SA_EXPIRE, 0, &ret);
	tap_ok(ret == -1 && !*out, "event: an expire without a reason is malformed, nothing printed");
	free(out);
	mapping_events();
}

/*
 * An ACQUIRE event for a ping from 10.1.0.1 to 10.2.0.1: on trap 4
 * (A_TRAP, A_NO_PACKET without the packet), or per-CPU (RFC 9611) on the
 * fallback SA 12 for CPU 1 (A_PCPU, A_PCPU_NO_CPU without the CPU).
 */
enum { A_TRAP, A_NO_PACKET, A_PCPU, A_PCPU_NO_CPU };

static char *render_acquire(bool json, int form, int *ret)
{
	struct nl_msg *m = nlmsg_alloc();
	struct sa_printer p;
	struct nlattr *pkt;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	genlmsg_put(m, 0, 0, FAMILY_ID, 0, 0, KESP_CMD_ACQUIRE, KESP_GENL_VERSION);
	nla_put_u32(m, KESP_TRAP_A_IFINDEX, 9);
	if (form == A_TRAP || form == A_NO_PACKET)
		nla_put_u32(m, KESP_TRAP_A_ID, 4);
	else
		nla_put_u32(m, KESP_TRAP_A_SA_ID, 12);
	if (form == A_PCPU)
		nla_put_u32(m, KESP_TRAP_A_CPU, 1);
	nla_put_u32(m, KESP_TRAP_A_REQID, 5);
	if (form != A_NO_PACKET) {
		pkt = nla_nest_start(m, KESP_TRAP_A_PACKET | NLA_F_NESTED);
		nla_put_u16(m, KESP_SEL_A_FAMILY, AF_INET);
		put_addr(m, KESP_SEL_A_SRC_START, "10.1.0.1");
		put_addr(m, KESP_SEL_A_SRC_END, "10.1.0.1");
		put_addr(m, KESP_SEL_A_DST_START, "10.2.0.1");
		put_addr(m, KESP_SEL_A_DST_END, "10.2.0.1");
		nla_put_u8(m, KESP_SEL_A_PROTO, 1);
		nla_put_u16(m, KESP_SEL_A_SPORT_START, 8);
		nla_put_u16(m, KESP_SEL_A_SPORT_END, 8);
		nla_put_u16(m, KESP_SEL_A_DPORT_START, 0);
		nla_put_u16(m, KESP_SEL_A_DPORT_END, 0);
		nla_nest_end(m, pkt);
	}
	sa_printer_init(&p, f, json);
	p.ifname = fake_ifname;
	*ret = sa_print_event(m, &p);
	nlmsg_free(m);
	fclose(f);
	return buf;
}

/* How both forms of acquire end: device, reqid and the packet. */
#define ACQ_HUMAN_TAIL " dev kesp0 reqid 5\n" \
	"\tsel src 10.1.0.1/32 dst 10.2.0.1/32 proto icmp type 8 code 0\n"
#define ACQ_JSON_TAIL "\"ifindex\":9,\"dev\":\"kesp0\",\"reqid\":5," \
	"\"packet\":{\"family\":\"inet\",\"src\":\"10.1.0.1/32\",\"dst\":\"10.2.0.1/32\"," \
	"\"proto\":1,\"sport\":[8,8],\"dport\":[0,0]}}\n"

static void acquires(void)
{
	static const struct {
		int form;
		bool json;
		const char *want, *what;
	} good[] = {
		{ A_TRAP, false, "acquire trap 4" ACQ_HUMAN_TAIL,
		  "acquire: human form names trap, device, reqid and the packet" },
		{ A_TRAP, true, "{\"event\":\"acquire\",\"trap\":4," ACQ_JSON_TAIL,
		  "acquire: one JSON document per line" },
		{ A_PCPU, false, "acquire sa 12 cpu 1" ACQ_HUMAN_TAIL,
		  "acquire per-CPU: names the fallback SA and the CPU instead of a trap" },
		{ A_PCPU, true, "{\"event\":\"acquire\",\"sa\":12,\"cpu\":1," ACQ_JSON_TAIL,
		  "acquire per-CPU: JSON has sa and cpu, no trap" },
	};
	char *out;
	int ret;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		out = render_acquire(good[i].json, good[i].form, &ret);
		TAP_EQ_STR(out, good[i].want, good[i].what);
		tap_ok(ret == 0, "%s: returns 0", good[i].what);
		free(out);
	}
	out = render_acquire(false, A_NO_PACKET, &ret);
	TAP_EQ_INT(ret, -1, "acquire: without the packet it is malformed");
	free(out);
	out = render_acquire(false, A_PCPU_NO_CPU, &ret);
	tap_ok(ret == -1 && !*out, "acquire per-CPU: without the CPU it is malformed, nothing printed");
	free(out);
}

int main(void)
{
	good_forms();
	bad_forms();
	xfrm_lines();
	request_add_aead();
	request_brief_reply();
	request_add_enc_auth();
	request_others();
	replies();
	events();
	acquires();
	checks();
	command_line();
	return tap_done();
}
