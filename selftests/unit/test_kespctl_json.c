// SPDX-License-Identifier: GPL-2.0
/*
 * kespctl --json output: valid JSON (RFC 8259) whatever names it carries
 * (a device may be called k"\<0xff>), nested as deep as a caller likes.
 * Besides exact expected text, every document is handed to a real JSON
 * parser (Python's, reading UTF-8 strictly) when python3 is installed.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/kesp.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "json.h"
#include "sa.h"
#include "tap.h"

static char *render(void (*build)(struct json *j))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f);
	build(&j);
	fclose(f);
	return buf;
}

/*
 * Whether TEXT is one JSON document per line to Python's parser, which
 * refuses bytes that are not UTF-8; -1 when python3 cannot be run.
 */
static int parses(const char *text)
{
	static const char cmd[] =
		"python3 -c 'import json, sys\n"
		"for line in sys.stdin.buffer.read().decode(\"utf-8\").splitlines():\n"
		"    json.loads(line)' 2>/dev/null";
	FILE *f;
	int st;

	if (system("python3 -c '' 2>/dev/null") != 0)
		return -1;
	f = popen(cmd, "w");
	if (!f)
		return -1;
	fputs(text, f);
	st = pclose(f);
	return st == 0;
}

static void check_parses(const char *text, const char *what)
{
	int ret = parses(text);

	if (ret < 0)
		tap_ok(1, "# SKIP no python3 to parse %s", what);
	else
		tap_ok(ret == 1, "a JSON parser reads %s", what);
}

static void devices(struct json *j)
{
	json_array_begin(j, NULL);
	json_object_begin(j, NULL);
	json_string(j, "ifname", "kesp0");
	json_uint(j, "ifindex", 7);
	json_int(j, "underlay_netnsid", -1);
	json_object_end(j);
	json_object_begin(j, NULL);
	json_string(j, "ifname", "k\"1\\");
	json_object_end(j);
	json_array_end(j);
}

static void empty(struct json *j)
{
	json_array_begin(j, NULL);
	json_array_end(j);
}

static void nested(struct json *j)
{
	json_object_begin(j, NULL);
	json_array_begin(j, "sel");
	json_uint(j, NULL, 1);
	json_uint(j, NULL, 18446744073709551615ULL);
	json_array_end(j);
	json_string(j, "ctl", "a\x01\n\tb\r\x1f\x7f");
	json_object_end(j);
}

/* Forty levels, objects in arrays in objects, a member before and after each. */
enum { DEEP = 40 };

static void deep(struct json *j)
{
	for (int i = 0; i < DEEP; i++) {
		if (i % 2)
			json_array_begin(j, "a");
		else
			json_object_begin(j, NULL);
		json_uint(j, i % 2 ? NULL : "n", (uint64_t)i);
	}
	for (int i = DEEP - 1; i >= 0; i--) {
		if (i % 2) {
			json_uint(j, NULL, (uint64_t)i);
			json_array_end(j);
		} else {
			json_uint(j, "m", (uint64_t)i);
			json_object_end(j);
		}
	}
}

static char *deep_expected(void)
{
	static char want[4096];
	size_t n = 0;

	for (int i = 0; i < DEEP; i++) {
		n += (size_t)snprintf(want + n, sizeof(want) - n,
				      i % 2 ? "\"a\":[%d," : "{\"n\":%d,", i);
	}
	for (int i = DEEP - 1; i >= 0; i--)
		n += (size_t)snprintf(want + n, sizeof(want) - n,
				      i % 2 ? "%d]%s" : "\"m\":%d}%s", i, i ? "," : "\n");
	return want;
}

static void events(struct json *j)
{
	json_object_begin(j, NULL);
	json_string(j, "event", "a");
	json_object_end(j);
	json_object_begin(j, NULL);
	json_hex(j, "data", (const uint8_t *)"\x00\xff\x10", 3);
	json_object_end(j);
	/* More ends than begins must not break what was written. */
	json_object_end(j);
	json_array_end(j);
}

/* Bytes that are not UTF-8, between ones that are. */
static const char hostile[] =
	"k\"\\"			/* quote, backslash */
	"\xff"			/* never in UTF-8 */
	"\xc0\xaf"		/* overlong '/' */
	"\xed\xa0\x80"		/* a surrogate */
	"\xf4\x90\x80\x80"	/* above U+10FFFF */
	"\xe2\x82x"		/* a sequence cut short */
	"\x80"			/* a lone continuation byte */
	"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";	/* é € 😀 stay */

static void hostile_name(struct json *j)
{
	json_object_begin(j, NULL);
	json_string(j, hostile, hostile);
	json_object_end(j);
}

/* An SA reply, printed for a device with the hostile name. */
static const char *hostile_ifname(uint32_t ifindex, char *buf)
{
	(void)ifindex;
	snprintf(buf, IFNAMSIZ, "%s", "k\"\\\xff\xc3\xa9\x01");
	return buf;
}

static char *sa_for_hostile_device(void)
{
	struct nl_msg *m = nlmsg_alloc();
	static const uint8_t a4[4] = { 192, 0, 2, 1 }, b4[4] = { 192, 0, 2, 2 };
	struct sa_printer p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct nlattr *alg;

	genlmsg_put(m, 0, 0, 0x20, 0, 0, KESP_CMD_SA_GET, KESP_GENL_VERSION);
	nla_put_u32(m, KESP_SA_A_IFINDEX, 3);
	nla_put_u32(m, KESP_SA_A_ID, 1);
	nla_put_u8(m, KESP_SA_A_DIR, KESP_DIR_IN);
	nla_put_u32(m, KESP_SA_A_SPI, 0x100);
	nla_put_u8(m, KESP_SA_A_MODE, KESP_MODE_TUNNEL);
	nla_put(m, KESP_SA_A_SRC, 4, a4);
	nla_put(m, KESP_SA_A_DST, 4, b4);
	/* A kernel name with a quote in it is escaped as well. */
	alg = nla_nest_start(m, KESP_SA_A_AEAD | NLA_F_NESTED);
	nla_put_string(m, KESP_ALG_A_NAME, "gcm\"\xfe");
	nla_put_u32(m, KESP_ALG_A_ICV_BITS, 128);
	nla_nest_end(m, alg);
	sa_printer_init(&p, f, true);
	p.ifname = hostile_ifname;
	sa_print_begin(&p);
	if (sa_print_reply(m, &p) < 0)
		fputs("(refused)", f);
	sa_print_end(&p);
	fclose(f);
	nlmsg_free(m);
	return buf;
}

int main(void)
{
	char *s;

	s = render(devices);
	TAP_EQ_STR(s, "[{\"ifname\":\"kesp0\",\"ifindex\":7,\"underlay_netnsid\":-1},"
		      "{\"ifname\":\"k\\\"1\\\\\"}]\n",
		   "objects in an array, quotes and backslashes escaped");
	check_parses(s, "the device list");
	free(s);
	s = render(empty);
	TAP_EQ_STR(s, "[]\n", "an empty list is []");
	free(s);
	s = render(nested);
	TAP_EQ_STR(s, "{\"sel\":[1,18446744073709551615],\"ctl\":\"a\\u0001\\n\\tb\\u000d\\u001f\x7f\"}\n",
		   "nested array, full 64-bit values, control characters escaped");
	check_parses(s, "control characters");
	free(s);

	s = render(deep);
	TAP_EQ_STR(s, deep_expected(), "40 levels: every separator and bracket in place");
	check_parses(s, "40 levels of nesting");
	free(s);

	s = render(events);
	TAP_EQ_STR(s, "{\"event\":\"a\"}\n{\"data\":\"00ff10\"}\n",
		   "documents one after the other, one per line; hex data; stray ends ignored");
	check_parses(s, "a document per line");
	free(s);

	s = render(hostile_name);
	TAP_EQ_STR(s, "{\"k\\\"\\\\\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffdx\\ufffd"
		      "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\":"
		      "\"k\\\"\\\\\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffdx\\ufffd"
		      "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}\n",
		   "bytes that are not UTF-8 become U+FFFD (one per maximal invalid part), the rest stays");
	check_parses(s, "a name of quotes and bytes that are not UTF-8");
	free(s);

	s = sa_for_hostile_device();
	tap_ok(strstr(s, "\"dev\":\"k\\\"\\\\\\ufffd\xc3\xa9\\u0001\"") != NULL,
	       "an SA on a device called k\"\\<ff>é<01>: the name escaped");
	tap_ok(strstr(s, "\"name\":\"gcm\\\"\\ufffd\"") != NULL,
	       "  ... and an algorithm name from the kernel too");
	check_parses(s, "the SA of a device with a hostile name");
	free(s);
	return tap_done();
}
