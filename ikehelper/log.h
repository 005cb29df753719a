/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging: one line per event, per-subsystem levels, to stderr in the
 * foreground (with "<N>" priority prefixes instead of a timestamp when
 * stderr is the journal, sd-daemon(3) style) or syslog otherwise; a sink
 * hook lets unit tests read the lines. Secrets never reach a log line at
 * any level: keys, PSKs, EAP passwords, MSKs and KEYMAT are not formatted
 * anywhere, and packets are dumped as they travel (encrypted).
 *
 * Levels: -1 silent, 0 what an operator must see (SA up, SA down, every
 * failure and its cause), 1 the default (each exchange, each decision),
 * 2 details (payload lists, proposals), 3 packets as hex, 4 everything.
 *
 * Levels are given as "2" (every subsystem), "ike=2,knl=3" (the others
 * stay at the default, 1) or "1,ike=3" / "default=1,ike=3"; on the command
 * line (-d) and in the config (ikehelper { log { default = 1  ike = 2 } }).
 * The command line wins: its subsystems, then its default, then the
 * config's subsystems, then the config's default, then 1.
 */
#ifndef KESP_LOG_H
#define KESP_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_subsys {
	LOG_DMN,	/* the daemon: start, signals, control clients */
	LOG_CFG,	/* configuration: load, reload */
	LOG_NET,	/* the IKE sockets */
	LOG_IKE,	/* IKE SAs and their exchanges */
	LOG_CHD,	/* CHILD SAs */
	LOG_KNL,	/* the kernel backend and kesp.ko's events */
	LOG_CTL,	/* the control socket */
	LOG_ENC,	/* IKE messages: payload lists, datagrams as hex */
	LOG_NSUBSYS,
};

#define LOG_LEVEL_MIN (-1)
#define LOG_LEVEL_MAX 4
#define LOG_LEVEL_DEFAULT 1

/* A parsed level spec: which subsystems (and the default) it sets. */
struct log_spec {
	int level[LOG_NSUBSYS];
	bool given[LOG_NSUBSYS];
	int def;
	bool def_given;
};

/* "2", "ike=2,knl=3", "1,ike=3", "default=1,ike=3" ("any" = "default")
 * into SPEC; false with the offending part in WHY. */
bool log_spec_parse(const char *text, struct log_spec *spec, char *why, size_t whylen);
/* One "NAME = LEVEL" of a config's log section into SPEC. */
bool log_spec_set(struct log_spec *spec, const char *name, const char *level, char *why,
		  size_t whylen);
/* The command line's spec (kept for every later log_configure). */
bool log_set_levels(const char *text, char *why, size_t whylen);
/* The levels from the command line's spec over CONFIG's (NULL: none). */
void log_configure(const struct log_spec *config);
void log_set_level_all(int level);
int log_level(enum log_subsys s);
bool log_enabled(enum log_subsys s, int level);
/* Foreground: stderr (journal-aware); else syslog(3) as "ikehelper". */
void log_open(bool foreground);
void log_close(void);
/* Whether stderr is the journal: $JOURNAL_STREAM names its device:inode. */
bool log_stderr_is_journal(void);
/* Unit tests: every line goes to FN instead (NULL restores stderr). */
void log_set_sink(void (*fn)(void *ctx, enum log_subsys s, int level, const char *line),
		  void *ctx);

void log_msg(enum log_subsys s, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* With a prefix such as "site-b[3] " (the caller's connection and SA). */
void log_vprefixed(enum log_subsys s, int level, const char *prefix, const char *fmt,
		   va_list ap) __attribute__((format(printf, 4, 0)));
/* LEN bytes of DATA as hex lines (level 3 and up); WHAT heads them. */
void log_hex(enum log_subsys s, int level, const char *what, const uint8_t *data, size_t len);

/* At most BURST lines per INTERVAL_MS; says how many were held back. */
struct ratelimit {
	uint64_t window_start;
	unsigned int count, suppressed;
};
bool log_ratelimit(struct ratelimit *rl, uint64_t now_ms, unsigned int burst,
		   uint64_t interval_ms);

const char *log_subsys_name(enum log_subsys s);
/* The sd-daemon priority of a line of LEVEL (5 notice, 6 info, 7 debug). */
int log_priority(int level);

#endif /* KESP_LOG_H */
