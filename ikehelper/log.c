// SPDX-License-Identifier: GPL-2.0
/* Logging (see log.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static const char *const names[LOG_NSUBSYS] = {
	[LOG_DMN] = "dmn", [LOG_CFG] = "cfg", [LOG_NET] = "net", [LOG_IKE] = "ike",
	[LOG_CHD] = "chd", [LOG_KNL] = "knl", [LOG_CTL] = "ctl", [LOG_ENC] = "enc",
};

static int levels[LOG_NSUBSYS] = {
	[0 ... LOG_NSUBSYS - 1] = LOG_LEVEL_DEFAULT,
};
static struct log_spec cmdline;
static bool use_syslog, journal;
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

int log_level(enum log_subsys s)
{
	return s < LOG_NSUBSYS ? levels[s] : LOG_LEVEL_MIN;
}

static bool parse_level(const char *s, int *out)
{
	char *end;
	long v;

	while (*s == ' ')
		s++;
	v = strtol(s, &end, 10);
	while (*end == ' ')
		end++;
	if (end == s || *end || v < LOG_LEVEL_MIN || v > LOG_LEVEL_MAX)
		return false;
	*out = (int)v;
	return true;
}

static void subsys_list(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < LOG_NSUBSYS && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s ", names[i]);
	if (off < len)
		snprintf(buf + off, len - off, "default");
}

bool log_spec_set(struct log_spec *spec, const char *name, const char *level, char *why,
		  size_t whylen)
{
	char known[96];
	int lvl, i;

	if (!parse_level(level, &lvl)) {
		snprintf(why, whylen, "level '%s' of '%s' is not a number from %d to %d", level,
			 name, LOG_LEVEL_MIN, LOG_LEVEL_MAX);
		return false;
	}
	if (!strcmp(name, "default") || !strcmp(name, "any")) {
		spec->def = lvl;
		spec->def_given = true;
		return true;
	}
	for (i = 0; i < LOG_NSUBSYS && strcmp(names[i], name); i++)
		;
	if (i == LOG_NSUBSYS) {
		subsys_list(known, sizeof(known));
		snprintf(why, whylen, "unknown subsystem '%s' (%s)", name, known);
		return false;
	}
	spec->level[i] = lvl;
	spec->given[i] = true;
	return true;
}

bool log_spec_parse(const char *text, struct log_spec *spec, char *why, size_t whylen)
{
	char buf[256], *save = NULL;
	struct log_spec s = { .def = LOG_LEVEL_DEFAULT };
	bool any = false;

	if (strlen(text) >= sizeof(buf)) {
		snprintf(why, whylen, "too long");
		return false;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int lvl;

		any = true;
		if (!eq) {
			if (!parse_level(tok, &lvl)) {
				snprintf(why, whylen, "'%s' is not LEVEL or SUBSYSTEM=LEVEL (%d..%d)",
					 tok, LOG_LEVEL_MIN, LOG_LEVEL_MAX);
				return false;
			}
			s.def = lvl;
			s.def_given = true;
			continue;
		}
		*eq = '\0';
		while (*tok == ' ')
			tok++;
		for (char *e = eq - 1; e >= tok && *e == ' '; e--)
			*e = '\0';
		if (!log_spec_set(&s, tok, eq + 1, why, whylen))
			return false;
	}
	if (!any) {
		snprintf(why, whylen, "no level given");
		return false;
	}
	*spec = s;
	return true;
}

bool log_set_levels(const char *text, char *why, size_t whylen)
{
	struct log_spec s;

	if (!log_spec_parse(text, &s, why, whylen))
		return false;
	cmdline = s;
	log_configure(NULL);
	return true;
}

void log_configure(const struct log_spec *config)
{
	for (int i = 0; i < LOG_NSUBSYS; i++) {
		if (cmdline.given[i])
			levels[i] = cmdline.level[i];
		else if (cmdline.def_given)
			levels[i] = cmdline.def;
		else if (config && config->given[i])
			levels[i] = config->level[i];
		else if (config && config->def_given)
			levels[i] = config->def;
		else
			levels[i] = LOG_LEVEL_DEFAULT;
	}
}

bool log_enabled(enum log_subsys s, int level)
{
	return s < LOG_NSUBSYS && level <= levels[s];
}

bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st))
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_open(bool foreground)
{
	use_syslog = !foreground;
	journal = foreground && log_stderr_is_journal();
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

int log_priority(int level)
{
	return level <= 0 ? LOG_NOTICE : level == 1 ? LOG_INFO : LOG_DEBUG;
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
	/* One line per event, whatever a value held. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (sink) {
		sink(sink_ctx, s, level, line);
	} else if (use_syslog) {
		syslog(log_priority(level), "%s", line);
	} else if (journal) {
		/* The journal stamps the time and reads the priority. */
		fprintf(stderr, "<%d>%s\n", log_priority(level), line);
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

void log_hex(enum log_subsys s, int level, const char *what, const uint8_t *data, size_t len)
{
	char line[3 * 32 + 1];

	if (!log_enabled(s, level))
		return;
	log_msg(s, level, "%s: %zu bytes", what, len);
	for (size_t off = 0; off < len; off += 32) {
		size_t n = len - off < 32 ? len - off : 32, o = 0;

		for (size_t i = 0; i < n; i++)
			o += (size_t)snprintf(line + o, sizeof(line) - o, "%02x%s", data[off + i],
					      i % 4 == 3 && i + 1 < n ? " " : "");
		log_msg(s, level, "  %04zx: %s", off, line);
	}
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
