/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging: one line per event, per-subsystem levels (-d 2 or -d ike=2,knl=3),
 * to stderr in the foreground or syslog otherwise; a sink hook lets unit
 * tests read the lines. Secrets never reach a log line at any level.
 *
 * Levels: 0 what an operator must see (SA up, SA down, every failure and its
 * cause), 1 the default (each exchange, each decision), 2 details (payload
 * lists, proposals), 3 packets as hex (never decrypted key material).
 */
#ifndef KESP_LOG_H
#define KESP_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum log_subsys {
	LOG_DMN,	/* the daemon: start, config, signals */
	LOG_CFG,
	LOG_NET,
	LOG_IKE,
	LOG_CHD,	/* CHILD SAs */
	LOG_KNL,	/* the kernel backend */
	LOG_CTL,	/* the control socket */
	LOG_NSUBSYS,
};

/* "2" or "ike=2,knl=3"; false with the offending part in WHY. */
bool log_set_levels(const char *spec, char *why, size_t whylen);
void log_set_level_all(int level);
bool log_enabled(enum log_subsys s, int level);
/* Foreground: stderr with a timestamp; else syslog(3) as "ikehelper". */
void log_open(bool foreground);
void log_close(void);
/* Unit tests: every line goes to FN instead (NULL restores stderr). */
void log_set_sink(void (*fn)(void *ctx, enum log_subsys s, int level, const char *line),
		  void *ctx);

void log_msg(enum log_subsys s, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* With a prefix such as "site-b[3] " (the caller's connection and SA). */
void log_vprefixed(enum log_subsys s, int level, const char *prefix, const char *fmt,
		   va_list ap) __attribute__((format(printf, 4, 0)));

/* At most BURST lines per INTERVAL_MS; says how many were held back. */
struct ratelimit {
	uint64_t window_start;
	unsigned int count, suppressed;
};
bool log_ratelimit(struct ratelimit *rl, uint64_t now_ms, unsigned int burst,
		   uint64_t interval_ms);

const char *log_subsys_name(enum log_subsys s);

#endif /* KESP_LOG_H */
