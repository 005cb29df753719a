// SPDX-License-Identifier: GPL-2.0
/*
 * ikehelper/ts.c: selectors from swanctl text, RFC 7296 §2.9 narrowing with
 * several selectors per side, the wire form, and the split of a range into
 * the route prefixes that cover exactly it.
 */
#include <string.h>

#include "ike.h"
#include "tap.h"
#include "ts.h"

static struct ts T(const char *s)
{
	struct ts t;
	char why[128];

	if (!ts_parse(s, &t, why, sizeof(why))) {
		printf("# bad test selector %s: %s\n", s, why);
		abort();
	}
	return t;
}

static void roundtrip(const char *in, const char *want)
{
	struct ts t;
	char why[128] = "", buf[TS_STRLEN];

	tap_ok(ts_parse(in, &t, why, sizeof(why)) &&
	       !strcmp(ts_str(&t, buf, sizeof(buf)), want), "'%s' reads as '%s' %s", in, want, why);
}

static void narrow_case(const char *what, const char *const *ours, const char *const *theirs,
			const char *want)
{
	struct ts o[8], t[8], out[16];
	size_t no = 0, nt = 0, n;
	char buf[512];

	for (; ours[no]; no++)
		o[no] = T(ours[no]);
	for (; theirs[nt]; nt++)
		t[nt] = T(theirs[nt]);
	n = ts_narrow(o, no, t, nt, out, 16);
	TAP_EQ_STR(ts_list_str(out, n, buf, sizeof(buf)), want, what);
}

struct collect {
	char text[512];
	size_t n;
};

static void add_prefix(const struct addr *a, unsigned int bits, void *arg)
{
	struct collect *c = arg;
	char s[ADDR_STRLEN];
	size_t off = strlen(c->text);

	snprintf(c->text + off, sizeof(c->text) - off, "%s%s/%u", c->n++ ? " " : "",
		 addr_str(a, s, sizeof(s)), bits);
}

static void prefixes(const char *sel, const char *want)
{
	struct collect c = { "", 0 };
	struct ts t = T(sel);

	ts_prefixes(&t, add_prefix, &c);
	TAP_EQ_STR(c.text, want, sel);
}

int main(void)
{
	char why[128];
	struct ts t, u, i;
	struct ike_ts w;
	struct addr h;

	roundtrip("10.1.0.0/24", "10.1.0.0/24");
	roundtrip("10.1.0.7/24", "10.1.0.0/24");
	roundtrip("10.1.0.1-10.1.0.9", "10.1.0.1-10.1.0.9");
	roundtrip("10.1.0.0-10.1.0.255", "10.1.0.0/24");
	roundtrip("192.0.2.1", "192.0.2.1/32");
	roundtrip("fd00:1::/64[tcp/80]", "fd00:1::/64[tcp/80]");
	roundtrip("0.0.0.0/0[udp/1000-2000]", "0.0.0.0/0[udp/1000-2000]");
	roundtrip("10.0.0.0/8[icmp]", "10.0.0.0/8[icmp]");
	roundtrip("dynamic[udp/500]", "dynamic[udp/500]");
	roundtrip("dynamic[17/%any]", "dynamic[udp]");
	tap_ok(!ts_parse("10.0.0.9-10.0.0.1", &t, why, sizeof(why)), "a backwards range is refused");
	tap_ok(!ts_parse("10.0.0.0/8[tcp/90-80]", &t, why, sizeof(why)),
	       "a backwards port range is refused");
	tap_ok(!ts_parse("10.0.0.0-fd00::1", &t, why, sizeof(why)), "a mixed-family range is refused");
	tap_ok(!ts_parse("10.0.0.0/8[tcp/80", &t, why, sizeof(why)), "an unclosed suffix is refused");

	narrow_case("a subnet of ours narrows the peer's wider one",
		    (const char *[]){ "10.1.0.0/24", NULL }, (const char *[]){ "10.0.0.0/8", NULL },
		    "10.1.0.0/24");
	narrow_case("the peer's narrower one stays",
		    (const char *[]){ "10.0.0.0/8", NULL }, (const char *[]){ "10.1.2.0/24", NULL },
		    "10.1.2.0/24");
	narrow_case("several per side, both families, in our order",
		    (const char *[]){ "fd00:1::/64", "10.1.0.0/24", "10.9.0.0/24", NULL },
		    (const char *[]){ "10.0.0.0/8", "fd00::/16", NULL },
		    "fd00:1::/64, 10.1.0.0/24, 10.9.0.0/24");
	narrow_case("disjoint selectors leave nothing",
		    (const char *[]){ "10.1.0.0/24", NULL }, (const char *[]){ "10.2.0.0/24", NULL },
		    "(none)");
	narrow_case("protocol and ports narrow too",
		    (const char *[]){ "10.1.0.0/24[tcp]", NULL },
		    (const char *[]){ "10.1.0.0/16[tcp/80]", "10.1.0.0/16[udp/53]", NULL },
		    "10.1.0.0/24[tcp/80]");
	narrow_case("overlapping ranges meet in the middle",
		    (const char *[]){ "10.0.0.1-10.0.0.50", NULL },
		    (const char *[]){ "10.0.0.40-10.0.0.99", NULL }, "10.0.0.40-10.0.0.50");
	narrow_case("duplicates collapse",
		    (const char *[]){ "10.1.0.0/24", "10.1.0.0/16", NULL },
		    (const char *[]){ "10.1.0.0/24", NULL }, "10.1.0.0/24");

	t = T("10.1.0.0/24");
	u = T("10.0.0.0/8");
	tap_ok(ts_subset(&t, &u) && !ts_subset(&u, &t), "subset is one-way");
	tap_ok(!ts_intersect(&t, &(struct ts){ 0 }, &i), "nothing meets an empty selector");
	t = T("dynamic[tcp/22]");
	addr_parse("192.0.2.7", &h);
	ts_resolve(&t, &h);
	tap_ok(ts_is_host(&t, &h) && t.proto == 6 && t.port_lo == 22,
	       "dynamic resolves to the host, keeping [tcp/22]");
	tap_ok(ts_contains_addr(&u, &(struct addr){ .family = AF_INET, .ip = { 10, 3 } }),
	       "10.0.0.0/8 contains 10.3.0.0");

	t = T("fd00:2::/64[udp/500-501]");
	ts_to_wire(&t, &w);
	tap_ok(w.type == IKE_TS_IPV6_ADDR_RANGE && w.ipproto == 17 && w.start_port == 500 &&
	       w.end_port == 501 && w.end[7] == 0 && w.end[8] == 0xff, "to the wire");
	tap_ok(ts_from_wire(&w, &u) && ts_equal(&t, &u), "and back");
	w.type = 9;
	tap_ok(!ts_from_wire(&w, &u), "an unknown selector type is refused (TS_UNACCEPTABLE)");

	prefixes("10.1.0.0/24", "10.1.0.0/24");
	prefixes("10.1.0.1-10.1.0.6", "10.1.0.1/32 10.1.0.2/31 10.1.0.4/31 10.1.0.6/32");
	prefixes("0.0.0.0/0", "0.0.0.0/0");
	prefixes("255.255.255.254-255.255.255.255", "255.255.255.254/31");
	prefixes("fd00::ffff-fd00::1:0", "fd00::ffff/128 fd00::1:0/128");
	prefixes("::/0", "::/0");
	return tap_done();
}
