/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal TAP producer for host unit tests. Each test binary prints one
 * "ok N - name" or "not ok N - name" line per check; the runner
 * (selftests/unit/run.sh) counts them, so a binary that crashes part way
 * through loses the checks it never printed and fails by its exit status.
 */
#ifndef KESP_TAP_H
#define KESP_TAP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int tap_ok(int pass, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!pass)
		tap_failed++;
	return pass;
}

/* Prints both values on failure, so a log says what differed. */
#define TAP_EQ_INT(got, want, name) ({					\
	long long got_ = (long long)(got), want_ = (long long)(want);	\
	int pass_ = tap_ok(got_ == want_, "%s", (name));		\
	if (!pass_)							\
		printf("#   got %lld, want %lld\n", got_, want_);	\
	pass_; })

#define TAP_EQ_STR(got, want, name) ({					\
	const char *got_ = (got), *want_ = (want);			\
	int pass_ = tap_ok(got_ && want_ && !strcmp(got_, want_), "%s", (name)); \
	if (!pass_)							\
		printf("#   got \"%s\", want \"%s\"\n", got_ ? got_ : "(null)", \
		       want_ ? want_ : "(null)");			\
	pass_; })

#define TAP_EQ_MEM(got, want, len, name) ({				\
	int pass_ = tap_ok(!memcmp((got), (want), (len)), "%s", (name)); \
	pass_; })

/*
 * Hex text of a published test vector into bytes; aborts on anything that
 * is not hex or does not fit, since a mistyped vector is a broken test.
 */
__attribute__((unused))
static size_t tap_unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (h[0] && h[1] && n < max) {
		unsigned int v;

		if (sscanf(h, "%2x", &v) != 1)
			abort();
		out[n++] = (uint8_t)v;
		h += 2;
	}
	if (h[0])
		abort();	/* vector longer than the buffer */
	return n;
}

/* Ends main(): the TAP plan, and a status the runner checks too. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif /* KESP_TAP_H */
