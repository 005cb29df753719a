// SPDX-License-Identifier: GPL-2.0
/*
 * kespctl's one way of reporting a failure (tools/ctl.c): a line on
 * stderr, "kespctl: [WHAT: ]MESSAGE", with the usage hint and status 2
 * for bad usage, the kernel's extended-ack text and the errno's for a
 * refusal (status 1).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "tap.h"

/* What CALL printed on stderr. */
#define STDERR_OF(call, buf) do {					\
	FILE *tmp_ = tmpfile();						\
	int saved_ = dup(2);						\
	size_t n_;							\
									\
	fflush(stderr);							\
	dup2(fileno(tmp_), 2);						\
	call;								\
	fflush(stderr);							\
	dup2(saved_, 2);						\
	close(saved_);							\
	rewind(tmp_);							\
	n_ = fread((buf), 1, sizeof(buf) - 1, tmp_);			\
	(buf)[n_] = '\0';						\
	fclose(tmp_);							\
} while (0)

int main(void)
{
	struct kesp_nl nl = { .fd = -1 };
	char out[1024], long_token[700];
	int ret = 0;

	STDERR_OF(ret = ctl_usage("sa add", "bad spi \"%s\"", "0xzz"), out);
	TAP_EQ_STR(out, "kespctl: sa add: bad spi \"0xzz\" (see kespctl help)\n",
		   "usage: what, message, hint");
	TAP_EQ_INT(ret, EXIT_USAGE, "usage: status 2");
	STDERR_OF(ret = ctl_usage(NULL, "unknown command \"%s\"", "x"), out);
	TAP_EQ_STR(out, "kespctl: unknown command \"x\" (see kespctl help)\n",
		   "usage without what");

	STDERR_OF(ctl_error("encap listen", "cannot bind UDP port %u: %s", 4500u,
			    strerror(EADDRINUSE)), out);
	TAP_EQ_STR(out, "kespctl: encap listen: cannot bind UDP port 4500: Address already in use\n",
		   "error: no hint");

	snprintf(nl.error, sizeof(nl.error), "no such device in this network namespace");
	STDERR_OF(ret = ctl_kernel_error(&nl, "dev nosuch0", -ENODEV), out);
	TAP_EQ_STR(out, "kespctl: dev nosuch0: no such device in this network namespace "
		   "(No such device)\n", "kernel: its message, then the errno's text");
	TAP_EQ_INT(ret, EXIT_KERNEL, "kernel: status 1");
	nl.error[0] = '\0';
	STDERR_OF(ret = ctl_kernel_error(&nl, "dev list", -EPERM), out);
	TAP_EQ_STR(out, "kespctl: dev list: Operation not permitted\n",
		   "kernel without a message: the errno's text alone");

	/* A token too long for the line is cut, the line still ends. */
	memset(long_token, 'x', sizeof(long_token) - 1);
	long_token[sizeof(long_token) - 1] = '\0';
	STDERR_OF(ctl_usage("sa add", "bad spi \"%s\"", long_token), out);
	tap_ok(strlen(out) < 600 && !strncmp(out, "kespctl: sa add: bad spi \"xxx", 29) &&
	       strstr(out, " (see kespctl help)\n") && !strchr(out, '\n')[1],
	       "an overlong message is cut, still one line with the hint");
	return tap_done();
}
