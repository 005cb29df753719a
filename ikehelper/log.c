// SPDX-License-Identifier: GPL-2.0
/* Logging (see log.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static const char *const names[LOG_NSUBSYS] = {
	[LOG_DMN] = "dmn", [LOG_CFG] = "cfg", [LOG_NET] = "net", [LOG_IKE] = "ike",
	[LOG_CHD] = "chd", [LOG_KNL] = "knl", [LOG_CTL] = "ctl",
};

static int levels[LOG_NSUBSYS] = { 1, 1, 1, 1, 1, 1, 1 };
static bool use_syslog;
static void (*sink)(void *ctx, enum log_subsys s, int level, const char *line);
static void *sink_ctx;

const char *log_subsys_name(enum log_subsys s)
{
	return s < LOG_NSUBSYS ? names[s] : "?";
}

void log_set_level_all(int level)
{
	for (int i = 0; i < LOG_NSUBSYS; i++)
		levels[i] = level;
}

static bool parse_level(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < -1 || v > 4)
		return false;
	*out = (int)v;
	return true;
}

bool log_set_levels(const char *spec, char *why, size_t whylen)
{
	char buf[256], *save = NULL;
	int all;

	if (parse_level(spec, &all)) {
		log_set_level_all(all);
		return true;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int lvl, i;

		if (!eq || !parse_level(eq + 1, &lvl)) {
			snprintf(why, whylen, "'%s' is not LEVEL or SUBSYSTEM=LEVEL (-1..4)", tok);
			return false;
		}
		*eq = '\0';
		for (i = 0; i < LOG_NSUBSYS && strcmp(names[i], tok); i++)
			;
		if (i == LOG_NSUBSYS && strcmp(tok, "any")) {
			snprintf(why, whylen, "unknown subsystem '%s' (dmn cfg net ike chd knl ctl any)",
				 tok);
			return false;
		}
		if (i == LOG_NSUBSYS)
			log_set_level_all(lvl);
		else
			levels[i] = lvl;
	}
	return true;
}

bool log_enabled(enum log_subsys s, int level)
{
	return s < LOG_NSUBSYS && level <= levels[s];
}

void log_open(bool foreground)
{
	use_syslog = !foreground;
	if (use_syslog)
		openlog("ikehelper", LOG_PID, LOG_DAEMON);
}

void log_close(void)
{
	if (use_syslog)
		closelog();
}

void log_set_sink(void (*fn)(void *ctx, enum log_subsys s, int level, const char *line),
		  void *ctx)
{
	sink = fn;
	sink_ctx = ctx;
}

void log_vprefixed(enum log_subsys s, int level, const char *prefix, const char *fmt,
		   va_list ap)
{
	char line[2048];
	int off;

	if (!log_enabled(s, level))
		return;
	off = snprintf(line, sizeof(line), "%s %s", names[s], prefix ? prefix : "");
	if (off > 0 && (size_t)off < sizeof(line))
		vsnprintf(line + off, sizeof(line) - (size_t)off, fmt, ap);
	if (sink) {
		sink(sink_ctx, s, level, line);
	} else if (use_syslog) {
		syslog(level <= 0 ? LOG_NOTICE : level == 1 ? LOG_INFO : LOG_DEBUG, "%s", line);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s\n", when, ts.tv_nsec / 1000000, line);
	}
}

void log_msg(enum log_subsys s, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprefixed(s, level, NULL, fmt, ap);
	va_end(ap);
}

bool log_ratelimit(struct ratelimit *rl, uint64_t now_ms, unsigned int burst,
		   uint64_t interval_ms)
{
	if (now_ms - rl->window_start >= interval_ms) {
		if (rl->suppressed)
			log_msg(LOG_DMN, 0, "%u similar messages suppressed", rl->suppressed);
		rl->window_start = now_ms;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count < burst) {
		rl->count++;
		return true;
	}
	rl->suppressed++;
	return false;
}
