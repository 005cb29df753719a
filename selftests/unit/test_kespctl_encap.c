// SPDX-License-Identifier: GPL-2.0
/*
 * kespctl encap without a kernel: the grammar of listen and detach, and
 * the one-line errors (exit status 2) that name the bad token.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "encap.h"
#include "tap.h"

static int parse(const char *line, struct encap_args *a)
{
	static char buf[512];
	char *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 32; t = strtok(NULL, " "))
		argv[argc++] = t;
	return encap_parse(argc, argv, a);
}

/* The error PARSE prints for LINE, captured from stderr. */
static const char *error_of(const char *line, int *ret)
{
	static char out[512];
	struct encap_args a;
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	fflush(stderr);
	dup2(fileno(tmp), 2);
	*ret = parse(line, &a);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = 0;
	fclose(tmp);
	return out;
}

int main(void)
{
	static const struct {
		const char *line, *err;
	} bad[] = {
		{ "", "kespctl: encap: missing verb (listen or detach) (see kespctl help)\n" },
		{ "attach dev kesp0", "kespctl: encap: unknown verb \"attach\" (see kespctl help)\n" },
		{ "listen port 4500", "kespctl: encap listen: missing \"dev\" (see kespctl help)\n" },
		{ "listen dev kesp0 port 0", "kespctl: encap listen: bad port \"0\" (see kespctl help)\n" },
		{ "listen dev kesp0 port 65536", "kespctl: encap listen: bad port \"65536\" (see kespctl help)\n" },
		{ "listen dev kesp0 addr 10.0.0.256", "kespctl: encap listen: bad addr \"10.0.0.256\" (see kespctl help)\n" },
		{ "listen dev kesp0 port 1 port 2", "kespctl: encap listen: unexpected \"port\" (see kespctl help)\n" },
		{ "listen dev kesp0 family inet", "kespctl: encap listen: unexpected \"family\" (see kespctl help)\n" },
		{ "detach dev kesp0 family ipx", "kespctl: encap detach: bad family \"ipx\" (inet or inet6) (see kespctl help)\n" },
		{ "detach dev kesp0 port 4500", "kespctl: encap detach: unexpected \"port\" (see kespctl help)\n" },
		{ "detach dev", "kespctl: encap detach: \"dev\" needs a value (see kespctl help)\n" },
	};
	struct encap_args a;
	int ret;

	TAP_EQ_INT(parse("listen dev kesp0", &a), 0, "listen: dev alone parses");
	tap_ok(a.listen && !strcmp(a.dev, "kesp0") && a.port == 4500 && a.addr.family == AF_INET,
	       "listen: defaults to 0.0.0.0 port 4500");
	TAP_EQ_INT(parse("listen dev kesp0 addr 2001:db8::1 port 4501", &a), 0,
		   "listen: addr and port parse");
	tap_ok(a.addr.family == AF_INET6 && a.port == 4501 && a.addr.a[0] == 0x20,
	       "listen: an IPv6 address picks an IPv6 socket");
	TAP_EQ_INT(parse("detach dev kesp1", &a), 0, "detach: dev alone parses");
	tap_ok(!a.listen && a.family == 0, "detach: every family by default");
	TAP_EQ_INT(parse("detach dev kesp1 family inet6", &a), 0, "detach: family parses");
	TAP_EQ_INT(a.family, AF_INET6, "detach: family inet6");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[256];
		const char *err = error_of(bad[i].line, &ret);

		snprintf(name, sizeof(name), "encap %s: exit status 2", bad[i].line);
		TAP_EQ_INT(ret, 2, name);
		snprintf(name, sizeof(name), "  ... one line naming the token");
		TAP_EQ_STR(err, bad[i].err, name);
	}
	return tap_done();
}
