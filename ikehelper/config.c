// SPDX-License-Identifier: GPL-2.0
/*
 * swanctl.conf reader. Two passes: the text becomes a tree of sections and
 * "key = value" lines, each with its file and line; then each known section
 * is read by a table of keys. The tables also list the swanctl keys kesp
 * does not support yet, so a user reads "not supported by kesp yet" rather
 * than "unknown" for a key strongSwan documents.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <math.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

/* ---- the tree ------------------------------------------------------------ */

struct node {
	char *name;
	char *value;		/* NULL for a section */
	const char *file;	/* owned by the parser's file list */
	int line;
	struct node *children, *last, *next;
};

struct parser {
	config_report_fn report;
	void *ctx;
	int errors;
	char **files;		/* every file name read, freed at the end */
	size_t nfiles;
	int depth;		/* include nesting */
	char dir[256];		/* the config file's directory; "" for a string */
};

static void report(struct parser *p, bool error, const char *file, int line,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(struct parser *p, bool error, const char *file, int line,
		   const char *fmt, ...)
{
	char msg[768];
	int off;
	va_list ap;

	off = snprintf(msg, sizeof(msg), "%s:%d: %s", file, line, error ? "" : "warning: ");
	va_start(ap, fmt);
	if (off > 0 && (size_t)off < sizeof(msg))
		vsnprintf(msg + off, sizeof(msg) - (size_t)off, fmt, ap);
	va_end(ap);
	if (error)
		p->errors++;
	if (p->report)
		p->report(p->ctx, error, msg);
}

#define ERR(n, ...) report(p, true, (n)->file, (n)->line, __VA_ARGS__)
#define WARN(n, ...) report(p, false, (n)->file, (n)->line, __VA_ARGS__)

static void node_free(struct node *n)
{
	while (n) {
		struct node *next = n->next;

		node_free(n->children);
		if (n->value)
			explicit_bzero(n->value, strlen(n->value));
		free(n->name);
		free(n->value);
		free(n);
		n = next;
	}
}

static struct node *node_add(struct node *parent, const char *name, size_t nlen,
			     const char *file, int line)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strndup(name, nlen);
	if (!n->name) {
		free(n);
		return NULL;
	}
	n->file = file;
	n->line = line;
	if (parent->last)
		parent->last->next = n;
	else
		parent->children = n;
	parent->last = n;
	return n;
}

static bool name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

struct lexer {
	const char *s;
	const char *file;
	int line;
};

static void skip_space(struct lexer *lx, bool newlines)
{
	for (;;) {
		if (*lx->s == '#') {
			while (*lx->s && *lx->s != '\n')
				lx->s++;
		} else if (*lx->s == ' ' || *lx->s == '\t' || *lx->s == '\r') {
			lx->s++;
		} else if (*lx->s == '\n' && newlines) {
			lx->line++;
			lx->s++;
		} else {
			return;
		}
	}
}

static int parse_text(struct parser *p, struct node *root, const char *file, const char *text);

/* "include PATTERN": every file the glob names, relative to this file's directory. */
static void do_include(struct parser *p, struct node *parent, struct lexer *lx)
{
	char pattern[512], dir[512];
	const char *start;
	glob_t g;
	int rc;

	skip_space(lx, false);
	start = lx->s;
	while (*lx->s && *lx->s != '\n' && *lx->s != '#')
		lx->s++;
	{
		size_t n = (size_t)(lx->s - start);

		while (n && isspace((unsigned char)start[n - 1]))
			n--;
		if (!n || n >= sizeof(pattern)) {
			report(p, true, lx->file, lx->line, "include needs a file name");
			return;
		}
		snprintf(dir, sizeof(dir), "%s", lx->file);
		if (start[0] == '/')
			snprintf(pattern, sizeof(pattern), "%.*s", (int)n, start);
		else
			snprintf(pattern, sizeof(pattern), "%s/%.*s", dirname(dir), (int)n, start);
	}
	if (p->depth >= 8) {
		report(p, true, lx->file, lx->line, "includes nested more than 8 deep");
		return;
	}
	rc = glob(pattern, 0, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		/* strongSwan accepts a pattern that matches nothing. */
		if (!strpbrk(pattern, "*?["))
			report(p, true, lx->file, lx->line, "cannot include %s: no such file",
			       pattern);
		return;
	}
	if (rc) {
		report(p, true, lx->file, lx->line, "cannot include %s", pattern);
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		char *buf = NULL;
		size_t cap = 0;
		ssize_t len;

		if (!f) {
			report(p, true, lx->file, lx->line, "cannot include %s: %s",
			       g.gl_pathv[i], strerror(errno));
			continue;
		}
		len = getdelim(&buf, &cap, '\0', f);
		fclose(f);
		p->depth++;
		parse_text(p, parent, g.gl_pathv[i], len < 0 ? "" : buf);
		p->depth--;
		free(buf);
	}
	globfree(&g);
}

/* A quoted value: "..." with \" \\ \n \t escapes. */
static char *quoted(struct parser *p, struct lexer *lx)
{
	size_t cap = 64, n = 0;
	char *v = malloc(cap);
	int line = lx->line;

	if (!v)
		return NULL;
	lx->s++;
	while (*lx->s && *lx->s != '"') {
		char c = *lx->s++;

		if (c == '\\' && *lx->s) {
			c = *lx->s++;
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		} else if (c == '\n') {
			lx->line++;
		}
		if (n + 2 > cap) {
			char *nv = realloc(v, cap *= 2);

			if (!nv) {
				free(v);
				return NULL;
			}
			v = nv;
		}
		v[n++] = c;
	}
	v[n] = '\0';
	if (*lx->s != '"') {
		report(p, true, lx->file, line, "unterminated quoted string");
		free(v);
		return NULL;
	}
	lx->s++;
	return v;
}

/* Fills parent with the sections and values of text. Returns 0, or -1 when
 * the text is so broken that reading on would only add noise. */
static int parse_level(struct parser *p, struct node *parent, struct lexer *lx, bool top)
{
	for (;;) {
		const char *name;
		size_t nlen;
		int line;

		skip_space(lx, true);
		if (!*lx->s) {
			if (!top) {
				report(p, true, lx->file, parent->line,
				       "section '%s' is not closed with '}'", parent->name);
				return -1;
			}
			return 0;
		}
		if (*lx->s == '}') {
			if (top) {
				report(p, true, lx->file, lx->line, "'}' without a section to close");
				return -1;
			}
			lx->s++;
			return 0;
		}
		name = lx->s;
		line = lx->line;
		while (name_char((unsigned char)*lx->s))
			lx->s++;
		nlen = (size_t)(lx->s - name);
		if (!nlen) {
			report(p, true, lx->file, lx->line, "unexpected character '%c'", *lx->s);
			return -1;
		}
		if (nlen == 7 && !strncmp(name, "include", 7) && (*lx->s == ' ' || *lx->s == '\t')) {
			do_include(p, parent, lx);
			continue;
		}
		skip_space(lx, true);
		if (*lx->s == '{') {
			struct node *n = node_add(parent, name, nlen, lx->file, line);

			if (!n)
				return -1;
			lx->s++;
			if (parse_level(p, n, lx, false))
				return -1;
		} else if (*lx->s == '=') {
			struct node *n;
			char *v;

			if (lx->line != line) {
				report(p, true, lx->file, line, "'%.*s' needs '=' on the same line",
				       (int)nlen, name);
				return -1;
			}
			lx->s++;
			skip_space(lx, false);
			if (*lx->s == '"') {
				v = quoted(p, lx);
				if (!v)
					return -1;
				skip_space(lx, false);
				if (*lx->s && *lx->s != '\n' && *lx->s != '}') {
					report(p, true, lx->file, lx->line,
					       "text after the quoted value of '%.*s'", (int)nlen, name);
					free(v);
					return -1;
				}
			} else {
				const char *start = lx->s;
				size_t vlen;

				while (*lx->s && *lx->s != '\n' && *lx->s != '#' && *lx->s != '}')
					lx->s++;
				vlen = (size_t)(lx->s - start);
				/* "secret = ab#cd" is "ab": say so, it is rarely meant. */
				if (*lx->s == '#' && vlen && !isspace((unsigned char)lx->s[-1]))
					report(p, false, lx->file, lx->line,
					       "the value of '%.*s' ends at '#', which starts a "
					       "comment; quote the value if '#' belongs to it",
					       (int)nlen, name);
				while (vlen && isspace((unsigned char)start[vlen - 1]))
					vlen--;
				v = strndup(start, vlen);
				if (!v)
					return -1;
			}
			n = node_add(parent, name, nlen, lx->file, line);
			if (!n) {
				free(v);
				return -1;
			}
			n->value = v;
		} else {
			report(p, true, lx->file, line, "expected '=' or '{' after '%.*s'",
			       (int)nlen, name);
			return -1;
		}
	}
}

static int parse_text(struct parser *p, struct node *root, const char *file, const char *text)
{
	struct lexer lx = { .s = text, .line = 1 };
	char **files = realloc(p->files, (p->nfiles + 1) * sizeof(*files));

	if (!files)
		return -1;
	p->files = files;
	files[p->nfiles] = strdup(file);
	if (!files[p->nfiles])
		return -1;
	lx.file = files[p->nfiles++];
	return parse_level(p, root, &lx, true);
}

/* ---- values -------------------------------------------------------------- */

/* Splits a comma-separated list in place; returns the number of items. */
static size_t split_list(char *s, char **items, size_t max)
{
	size_t n = 0;

	while (s && *s) {
		char *comma = strchr(s, ',');
		char *end;

		if (comma)
			*comma = '\0';
		while (isspace((unsigned char)*s))
			s++;
		end = s + strlen(s);
		while (end > s && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*s) {
			if (n == max)
				return max + 1;
			items[n++] = s;
		}
		s = comma ? comma + 1 : NULL;
	}
	return n;
}

static bool parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1")) {
		*out = true;
		return true;
	}
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0")) {
		*out = false;
		return true;
	}
	return false;
}

static bool parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return false;
	errno = 0;
	*out = strtoul(v, &end, 0);
	return !errno && !*end && *out <= max;
}

/* "20", "20s", "2m", "1.5h", "1d" in seconds; false when not a duration. */
static bool parse_duration(const char *v, double *secs)
{
	char *end;
	double d;

	if (!isdigit((unsigned char)v[0]) && v[0] != '.')
		return false;
	errno = 0;
	d = strtod(v, &end);
	if (errno || d < 0 || !isfinite(d))
		return false;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		*secs = d;
	else if (!strcmp(end, "m"))
		*secs = d * 60;
	else if (!strcmp(end, "h"))
		*secs = d * 3600;
	else if (!strcmp(end, "d"))
		*secs = d * 86400;
	else
		return false;
	return true;
}

/* Reads N's comma-separated list of MIN to MAX items, handing each to FN;
 * every item is tried, so one run reports each bad one. */
typedef bool (*item_fn)(struct parser *p, const struct node *n, const char *item, void *arg);

static bool each_item(struct parser *p, const struct node *n, size_t min, size_t max,
		      const char *what, item_fn fn, void *arg)
{
	char *items[64 + 1];
	char *copy = strdup(n->value);
	size_t ni;
	bool ok = true;

	if (!copy)
		return false;
	ni = split_list(copy, items, max < 64 ? max : 64);
	if (ni < min || ni > max) {
		ERR(n, "%s needs %zu to %zu %s", n->name, min, max, what);
		free(copy);
		return false;
	}
	for (size_t i = 0; i < ni; i++)
		ok = fn(p, n, items[i], arg) && ok;
	free(copy);
	return ok;
}

/* ---- key tables ---------------------------------------------------------- */

/*
 * A key is read by its handler, which gets the node (for its line) and the
 * object being filled. Keys without a handler are strongSwan keys that kesp
 * refuses with their hint.
 */
struct key {
	const char *name;
	bool (*fn)(struct parser *p, const struct node *n, void *obj);
	const char *unsupported;	/* why kesp refuses it, or NULL */
};

static const struct key *find_key(const struct key *keys, const char *name)
{
	for (const struct key *k = keys; k->name; k++)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

/* Each key at most once per section; reading the rest of a section on after
 * an error, so one run reports as much as it can. */
static void read_keys(struct parser *p, const struct node *sec, const struct key *keys,
		      void *obj, const char *where,
		      bool (*subsection)(struct parser *p, const struct node *n, void *obj))
{
	for (const struct node *n = sec->children; n; n = n->next) {
		const struct key *k;

		for (const struct node *m = sec->children; m != n; m = m->next)
			if (!strcmp(m->name, n->name) && !m->value == !n->value && n->value) {
				ERR(n, "'%s' is set twice in %s (first on line %d)", n->name,
				    where, m->line);
				break;
			}
		if (!n->value) {
			if (subsection && subsection(p, n, obj))
				continue;
			ERR(n, "unknown section '%s' in %s", n->name, where);
			continue;
		}
		k = find_key(keys, n->name);
		if (!k) {
			ERR(n, "unknown key '%s' in %s", n->name, where);
			continue;
		}
		if (!k->fn) {
			ERR(n, "'%s' is not supported by kesp yet (%s)", n->name, k->unsupported);
			continue;
		}
		k->fn(p, n, obj);
	}
}

/* ---- settings: ikehelper { } --------------------------------------------- */

void settings_default(struct settings *s)
{
	s->retransmit_tries = 5;
	s->retransmit_timeout_ms = 4000;
	s->retransmit_base = 1.8;
	s->cookie_threshold = 10;
	s->half_open_timeout = 30;
	s->half_open_max = 8192;
	s->keep_alive = 20;
	s->fragment_size = 1280;
	s->port = 500;
	s->port_nat_t = 4500;
	s->fwmark = 0x6b65;
	s->route_table = 0x6b65;
	s->rule_priority = 0x6b65;
	s->follow_redirects = true;
	s->ticket_lifetime = 3600;
	s->ticket_key_rotate = 0;
	s->ticket_key_file[0] = 0;
	memset(&s->log, 0, sizeof(s->log));
	s->log.def = LOG_LEVEL_DEFAULT;
}

#define UINT_SETTING(field, max, what)						\
static bool set_##field(struct parser *p, const struct node *n, void *obj)	\
{										\
	struct settings *s = obj;						\
	unsigned long v;							\
										\
	if (!parse_uint(n->value, (max), &v)) {					\
		ERR(n, "%s '%s' must be %s", n->name, n->value, (what));		\
		return false;							\
	}									\
	s->field = (unsigned int)v;						\
	return true;								\
}

UINT_SETTING(retransmit_tries, 20, "a number of tries from 0 to 20")
UINT_SETTING(cookie_threshold, 1000000, "a count of half-open IKE SAs")
UINT_SETTING(half_open_max, 1000000, "a count of half-open IKE SAs (0: no limit)")
UINT_SETTING(fwmark, 0xffffffffUL, "a 32-bit mark")
UINT_SETTING(route_table, 0xffffffffUL, "a routing table number")
UINT_SETTING(rule_priority, 0xffffffffUL, "a rule priority")

static bool set_fragment_size(struct parser *p, const struct node *n, void *obj)
{
	unsigned long v;

	if (!parse_uint(n->value, 65535, &v) || (v && v < 256)) {
		ERR(n, "fragment_size '%s' must be 0 (576 bytes over IPv4, 1280 over IPv6) or "
		    "an IP datagram size from 256 to 65535", n->value);
		return false;
	}
	((struct settings *)obj)->fragment_size = (unsigned int)v;
	return true;
}

static bool set_port_field(struct parser *p, const struct node *n, uint16_t *port)
{
	unsigned long v;

	if (!parse_uint(n->value, 65535, &v) || !v) {
		ERR(n, "%s '%s' must be a UDP port from 1 to 65535", n->name, n->value);
		return false;
	}
	*port = (uint16_t)v;
	return true;
}

static bool set_port(struct parser *p, const struct node *n, void *obj)
{
	return set_port_field(p, n, &((struct settings *)obj)->port);
}

static bool set_port_nat_t(struct parser *p, const struct node *n, void *obj)
{
	return set_port_field(p, n, &((struct settings *)obj)->port_nat_t);
}

static bool set_secs(struct parser *p, const struct node *n, unsigned int *out,
		     double min, double max)
{
	double d;

	if (!parse_duration(n->value, &d) || d < min || d > max) {
		ERR(n, "%s '%s' must be a duration from %g to %g seconds (e.g. 20s, 2m)",
		    n->name, n->value, min, max);
		return false;
	}
	*out = (unsigned int)d;
	return true;
}

static bool set_keep_alive(struct parser *p, const struct node *n, void *obj)
{
	return set_secs(p, n, &((struct settings *)obj)->keep_alive, 0, 3600);
}

static bool set_half_open_timeout(struct parser *p, const struct node *n, void *obj)
{
	return set_secs(p, n, &((struct settings *)obj)->half_open_timeout, 1, 3600);
}

static bool set_retransmit_timeout(struct parser *p, const struct node *n, void *obj)
{
	struct settings *s = obj;
	double d;

	if (!parse_duration(n->value, &d) || d < 0.05 || d > 600) {
		ERR(n, "retransmit_timeout '%s' must be from 0.05 to 600 seconds", n->value);
		return false;
	}
	s->retransmit_timeout_ms = (unsigned int)(d * 1000);
	return true;
}

static bool set_retransmit_base(struct parser *p, const struct node *n, void *obj)
{
	struct settings *s = obj;
	char *end;
	double d = strtod(n->value, &end);

	if (*end || !n->value[0] || !(d >= 1.0 && d <= 10.0)) {
		ERR(n, "retransmit_base '%s' must be a number from 1 to 10", n->value);
		return false;
	}
	s->retransmit_base = d;
	return true;
}

static bool set_follow_redirects(struct parser *p, const struct node *n, void *obj)
{
	if (!parse_bool(n->value, &((struct settings *)obj)->follow_redirects)) {
		ERR(n, "follow_redirects = %s: expected yes or no", n->value);
		return false;
	}
	return true;
}

static bool set_ticket_lifetime(struct parser *p, const struct node *n, void *obj)
{
	return set_secs(p, n, &((struct settings *)obj)->ticket_lifetime, 1, 7 * 86400);
}

static bool set_ticket_key_rotate(struct parser *p, const struct node *n, void *obj)
{
	return set_secs(p, n, &((struct settings *)obj)->ticket_key_rotate, 0, 30 * 86400);
}

static bool set_ticket_key_file(struct parser *p, const struct node *n, void *obj)
{
	struct settings *s = obj;

	if (n->value[0] != '/' || strlen(n->value) >= sizeof(s->ticket_key_file)) {
		ERR(n, "ticket_key_file '%s' must be an absolute path shorter than %zu bytes",
		    n->value, sizeof(s->ticket_key_file));
		return false;
	}
	snprintf(s->ticket_key_file, sizeof(s->ticket_key_file), "%s", n->value);
	return true;
}

static const struct key settings_keys[] = {
	{ "retransmit_tries", set_retransmit_tries, NULL },
	{ "retransmit_timeout", set_retransmit_timeout, NULL },
	{ "retransmit_base", set_retransmit_base, NULL },
	{ "cookie_threshold", set_cookie_threshold, NULL },
	{ "half_open_timeout", set_half_open_timeout, NULL },
	{ "init_limit_half_open", set_half_open_max, NULL },
	{ "keep_alive", set_keep_alive, NULL },
	{ "fragment_size", set_fragment_size, NULL },
	{ "port", set_port, NULL },
	{ "port_nat_t", set_port_nat_t, NULL },
	{ "fwmark", set_fwmark, NULL },
	{ "route_table", set_route_table, NULL },
	{ "route_rule_priority", set_rule_priority, NULL },
	{ "follow_redirects", set_follow_redirects, NULL },
	{ "ticket_lifetime", set_ticket_lifetime, NULL },
	{ "ticket_key_rotate", set_ticket_key_rotate, NULL },
	{ "ticket_key_file", set_ticket_key_file, NULL },
	{ NULL, NULL, NULL },
};

/* ikehelper { log { default = 1  ike = 2  knl = 1 } }: per-subsystem levels,
 * which the command line's -d overrides (log.h). */
static bool settings_subsection(struct parser *p, const struct node *n, void *obj)
{
	struct settings *s = obj;
	char why[160];

	if (strcmp(n->name, "log"))
		return false;
	for (const struct node *m = n->children; m; m = m->next) {
		if (!m->value) {
			ERR(m, "unknown section '%s' in log (expected SUBSYSTEM = LEVEL)", m->name);
			continue;
		}
		for (const struct node *o = n->children; o != m; o = o->next)
			if (o->value && !strcmp(o->name, m->name)) {
				ERR(m, "'%s' is set twice in log (first on line %d)", m->name,
				    o->line);
				break;
			}
		if (!log_spec_set(&s->log, m->name, m->value, why, sizeof(why)))
			ERR(m, "log: %s", why);
	}
	return true;
}

/* ---- connections --------------------------------------------------------- */

/* What strongSwan's "default" keyword means, restricted to what kesp has. */
static const char *const default_ike[] = {
	"aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-"
	"x25519-ecp256-ecp384-modp3072-modp2048",
	"aes256-aes128-sha256-sha384-sha512-x25519-ecp256-ecp384-modp3072-modp2048",
	NULL,
};
static const char *const default_esp[] = {
	"aes128gcm16-aes256gcm16-chacha20poly1305",
	"aes128-aes256-sha256-sha384-sha512",
	NULL,
};

struct conn_ctx {
	struct conn *c;
	bool version_set, local_seen, remote_seen, children_seen;
	struct config *cfg;
};

struct proposals_ctx {
	unsigned int proto;
	struct ike_proposal *out;
	size_t *nout;
};

static bool proposal_item(struct parser *p, const struct node *n, const char *item, void *arg)
{
	struct proposals_ctx *pc = arg;
	const char *const *list = NULL;
	const char *one[2] = { item, NULL };
	char why[256];

	if (!strcmp(item, "default"))
		list = pc->proto == IKE_PROTO_IKE ? default_ike : default_esp;
	for (const char *const *s = list ? list : one; *s; s++) {
		if (*pc->nout == CONF_MAX_PROPOSALS) {
			ERR(n, "%s has more than %d proposals", n->name, CONF_MAX_PROPOSALS);
			return false;
		}
		if (ike_proposal_parse(*s, pc->proto, &pc->out[*pc->nout], why, sizeof(why))) {
			ERR(n, "%s: %s", n->name, why);
			return false;
		}
		pc->out[*pc->nout].num = (uint8_t)(*pc->nout + 1);
		(*pc->nout)++;
	}
	return true;
}

static bool proposals(struct parser *p, const struct node *n, unsigned int proto,
		      struct ike_proposal *out, size_t *nout)
{
	struct proposals_ctx pc = { proto, out, nout };

	*nout = 0;
	return each_item(p, n, 1, CONF_MAX_PROPOSALS, "proposals", proposal_item, &pc);
}

static bool conn_version(struct parser *p, const struct node *n, void *obj)
{
	struct conn_ctx *cc = obj;

	if (!strcmp(n->value, "0") || !strcmp(n->value, "2")) {
		cc->c->version = (unsigned int)atoi(n->value);
		return true;
	}
	if (!strcmp(n->value, "1"))
		ERR(n, "version 1 (IKEv1) is not supported: kesp speaks IKEv2 only");
	else
		ERR(n, "version '%s' must be 0 (any) or 2", n->value);
	return false;
}

struct addrs_ctx {
	struct addr_spec *out;
	size_t *nout;
};

static bool addr_item(struct parser *p, const struct node *n, const char *item, void *arg)
{
	struct addrs_ctx *ac = arg;
	struct addr_spec *s = &ac->out[*ac->nout];
	struct ts t;
	char why[160];
	bool name_ok = strlen(item) < sizeof(s->name) && isalnum((unsigned char)item[0]);

	memset(s, 0, sizeof(*s));
	for (const char *c = item; *c && name_ok; c++)
		name_ok = isalnum((unsigned char)*c) || *c == '.' || *c == '-' || *c == '_';
	if (!strcmp(item, "%any")) {
		s->kind = ADDR_ANY;
	} else if (!strcmp(item, "%any4")) {
		s->kind = ADDR_ANY4;
	} else if (!strcmp(item, "%any6")) {
		s->kind = ADDR_ANY6;
	} else if (!strchr(item, '[') && strcmp(item, "dynamic") &&
		   ts_parse(item, &t, why, sizeof(why))) {
		s->kind = ADDR_RANGE;
		s->lo.family = s->hi.family = t.family;
		memcpy(s->lo.ip, t.lo, 16);
		memcpy(s->hi.ip, t.hi, 16);
	} else if (name_ok && !strchr(item, ':') && !strchr(item, '/')) {
		s->kind = ADDR_NAME;
		snprintf(s->name, sizeof(s->name), "%s", item);
	} else {
		ERR(n, "%s: '%s' is not an address, subnet, range or host name", n->name, item);
		return false;
	}
	(*ac->nout)++;
	return true;
}

static bool addr_list(struct parser *p, const struct node *n, struct addr_spec *out,
		      size_t *nout)
{
	struct addrs_ctx ac = { out, nout };

	*nout = 0;
	return each_item(p, n, 0, CONF_MAX_ADDRS, "addresses", addr_item, &ac);
}

static bool conn_local_addrs(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;

	return addr_list(p, n, c->local_addrs, &c->nlocal_addrs);
}

static bool conn_remote_addrs(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;

	return addr_list(p, n, c->remote_addrs, &c->nremote_addrs);
}

static bool conn_local_port(struct parser *p, const struct node *n, void *obj)
{
	return set_port_field(p, n, &((struct conn_ctx *)obj)->c->local_port);
}

static bool conn_remote_port(struct parser *p, const struct node *n, void *obj)
{
	return set_port_field(p, n, &((struct conn_ctx *)obj)->c->remote_port);
}

static bool conn_proposals(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;

	return proposals(p, n, IKE_PROTO_IKE, c->ike, &c->nike);
}

static bool conn_device(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;
	size_t len = strlen(n->value);
	bool ok = len > 0 && len < IF_NAMESIZE;

	for (const char *s = n->value; *s && ok; s++)
		ok = isgraph((unsigned char)*s) && *s != '/' && *s != ':';
	if (!ok) {
		ERR(n, "device '%s' is not a network device name (1 to %d characters, no '/' "
		    "or ':')", n->value, IF_NAMESIZE - 1);
		return false;
	}
	snprintf(c->device, sizeof(c->device), "%s", n->value);
	return true;
}

/* Keys that are fine as long as they ask for what kesp does anyway. */
static bool only_value(struct parser *p, const struct node *n, const char *ok_value,
		       const char *why)
{
	bool b, want;

	if (parse_bool(n->value, &b) && parse_bool(ok_value, &want) && b == want)
		return true;
	if (!strcasecmp(n->value, ok_value))
		return true;
	ERR(n, "%s = %s is not supported by kesp yet (%s); only '%s'", n->name, n->value, why,
	    ok_value);
	return false;
}

static bool conn_mobike(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;

	if (!parse_bool(n->value, &c->mobike))
		ERR(n, "mobike = %s: expected yes or no", n->value);
	return true;
}

static bool conn_encap(struct parser *p, const struct node *n, void *obj)
{
	(void)obj;
	return only_value(p, n, "no", "UDP encapsulation follows NAT detection");
}

static bool conn_aggressive(struct parser *p, const struct node *n, void *obj)
{
	(void)obj;
	return only_value(p, n, "no", "aggressive mode is IKEv1");
}

static bool conn_dpd_delay(struct parser *p, const struct node *n, void *obj)
{
	return set_secs(p, n, &((struct conn_ctx *)obj)->c->dpd_delay, 0, 86400);
}

static bool conn_unique(struct parser *p, const struct node *n, void *obj)
{
	(void)obj;
	if (!strcmp(n->value, "no") || !strcmp(n->value, "never"))
		return true;
	ERR(n, "unique = %s is not supported by kesp yet (only 'no' or 'never')", n->value);
	return false;
}

static bool conn_send_cert(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;

	if (!strcmp(n->value, "ifasked"))
		c->send_cert = SEND_CERT_IFASKED;
	else if (!strcmp(n->value, "always"))
		c->send_cert = SEND_CERT_ALWAYS;
	else if (!strcmp(n->value, "never"))
		c->send_cert = SEND_CERT_NEVER;
	else
		ERR(n, "send_cert = %s: expected ifasked, always or never", n->value);
	return true;
}

static bool conn_send_certreq(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;

	if (!parse_bool(n->value, &c->send_certreq))
		ERR(n, "send_certreq = %s: expected yes or no", n->value);
	return true;
}

static bool conn_fragmentation(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;

	if (!strcmp(n->value, "yes") || !strcmp(n->value, "force"))
		c->fragmentation = FRAG_YES;
	else if (!strcmp(n->value, "accept"))
		c->fragmentation = FRAG_ACCEPT;
	else if (!strcmp(n->value, "no"))
		c->fragmentation = FRAG_NO;
	else
		ERR(n, "fragmentation = %s: expected yes, accept, force or no", n->value);
	return true;
}

static bool conn_childless(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;

	if (!strcmp(n->value, "allow"))
		c->childless = CHILDLESS_ALLOW;
	else if (!strcmp(n->value, "force"))
		c->childless = CHILDLESS_FORCE;
	else if (!strcmp(n->value, "never"))
		c->childless = CHILDLESS_NEVER;
	else
		ERR(n, "childless = %s: expected allow, force or never", n->value);
	return true;
}

#define LATER "issue 16: the SA lifecycle"
#define LIFETIME_UNSET UINT32_MAX
#define LIFETIME_MAX (10u * 365 * 86400)

static bool conn_rekey_time(struct parser *p, const struct node *n, void *obj)
{
	return set_secs(p, n, &((struct conn_ctx *)obj)->c->rekey_time, 0, LIFETIME_MAX);
}

static bool conn_over_time(struct parser *p, const struct node *n, void *obj)
{
	return set_secs(p, n, &((struct conn_ctx *)obj)->c->over_time, 0, LIFETIME_MAX);
}

static bool conn_rand_time(struct parser *p, const struct node *n, void *obj)
{
	return set_secs(p, n, &((struct conn_ctx *)obj)->c->rand_time, 0, LIFETIME_MAX);
}

/* vips = 0.0.0.0, ::  an address to ask for, one per family. */
static bool vip_item(struct parser *p, const struct node *n, const char *item, void *arg)
{
	struct conn *c = arg;
	struct addr a;
	char s[ADDR_STRLEN];

	if (!addr_parse(item, &a)) {
		ERR(n, "vips: '%s' is not an address (0.0.0.0 or :: ask for any address of "
		    "that family)", item);
		return false;
	}
	for (size_t i = 0; i < c->nvips; i++)
		if (c->vips[i].family == a.family) {
			ERR(n, "vips: '%s' is a second %s address; kesp asks for one of each "
			    "family", addr_str(&a, s, sizeof(s)), a.family == AF_INET ? "IPv4" : "IPv6");
			return false;
		}
	c->vips[c->nvips++] = a;
	return true;
}

static bool conn_vips(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;

	c->nvips = 0;
	return each_item(p, n, 1, CONF_MAX_VIPS, "addresses", vip_item, c);
}

static bool pool_name_item(struct parser *p, const struct node *n, const char *item, void *arg)
{
	struct conn *c = arg;

	if (strlen(item) >= CONF_NAME_MAX) {
		ERR(n, "pools: name '%s' is longer than %d characters", item, CONF_NAME_MAX - 1);
		return false;
	}
	snprintf(c->pools[c->npools++], CONF_NAME_MAX, "%s", item);
	return true;
}

/* pools = NAME, ...  (that they exist is checked once the file is read). */
static bool conn_pools(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;

	c->npools = 0;
	c->pools_line = n->line;
	return each_item(p, n, 1, CONF_MAX_VIPS, "pool names", pool_name_item, c);
}

/* redirect_to = ADDR  (an IPv4 or IPv6 address: no name, it goes on the
 * wire as the client's new gateway). */
static bool conn_redirect_to(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;

	if (!addr_parse(n->value, &c->redirect_to) || addr_is_any(&c->redirect_to)) {
		memset(&c->redirect_to, 0, sizeof(c->redirect_to));
		ERR(n, "redirect_to '%s' must be the IPv4 or IPv6 address of the gateway to send "
		    "new clients to", n->value);
		return false;
	}
	return true;
}

/* resumption = yes|no  (RFC 5723, both roles; default no) */
static bool conn_resumption(struct parser *p, const struct node *n, void *obj)
{
	struct conn *c = ((struct conn_ctx *)obj)->c;

	if (!parse_bool(n->value, &c->resumption))
		ERR(n, "resumption = %s: expected yes or no", n->value);
	return true;
}

/* The IKE SA's, swanctl's defaults: rekey_time 4h, over_time 10% of it,
 * rand_time over_time; rekey_time 0 never rekeys (nor expires). */
static void conn_lifetimes(struct parser *p, const struct node *n, struct conn *c)
{
	if (c->rekey_time == LIFETIME_UNSET)
		c->rekey_time = 4 * 3600;
	if (c->over_time == LIFETIME_UNSET)
		c->over_time = c->rekey_time / 10;
	if (c->rand_time == LIFETIME_UNSET)
		c->rand_time = c->over_time;
	if (c->rekey_time && c->rand_time >= c->rekey_time)
		ERR(n, "connection '%s': rand_time (%u s) must be shorter than rekey_time (%u s)",
		    c->name, c->rand_time, c->rekey_time);
}

static const struct key conn_keys[] = {
	{ "version", conn_version, NULL },
	{ "local_addrs", conn_local_addrs, NULL },
	{ "remote_addrs", conn_remote_addrs, NULL },
	{ "local_port", conn_local_port, NULL },
	{ "remote_port", conn_remote_port, NULL },
	{ "proposals", conn_proposals, NULL },
	{ "device", conn_device, NULL },
	{ "mobike", conn_mobike, NULL },
	{ "encap", conn_encap, NULL },
	{ "aggressive", conn_aggressive, NULL },
	{ "unique", conn_unique, NULL },
	{ "vips", conn_vips, NULL },
	{ "pull", NULL, "configuration payloads" },
	{ "dscp", NULL, "DSCP of IKE packets" },
	{ "dpd_delay", conn_dpd_delay, NULL },
	{ "dpd_timeout", NULL, "IKEv1 (IKEv2 gives up after the retransmissions)" },
	{ "fragmentation", conn_fragmentation, NULL },
	{ "childless", conn_childless, NULL },
	{ "send_certreq", conn_send_certreq, NULL },
	{ "send_cert", conn_send_cert, NULL },
	{ "ocsp", NULL, "OCSP" },
	{ "ppk_id", NULL, "RFC 8784 postquantum PSKs" },
	{ "ppk_required", NULL, "RFC 8784 postquantum PSKs" },
	{ "keyingtries", NULL, LATER },
	{ "reauth_time", NULL, "reauthentication; kesp rekeys the IKE SA at rekey_time" },
	{ "rekey_time", conn_rekey_time, NULL },
	{ "over_time", conn_over_time, NULL },
	{ "rand_time", conn_rand_time, NULL },
	{ "pools", conn_pools, NULL },
	{ "redirect_to", conn_redirect_to, NULL },
	{ "resumption", conn_resumption, NULL },
	{ "if_id_in", NULL, "XFRM interfaces; kesp routes into its device" },
	{ "if_id_out", NULL, "XFRM interfaces; kesp routes into its device" },
	{ "mediation", NULL, "IKE mediation" },
	{ "mediated_by", NULL, "IKE mediation" },
	{ "mediation_peer", NULL, "IKE mediation" },
	{ "close_action", NULL, LATER },
	{ NULL, NULL, NULL },
};

/* local { } and remote { } */
struct auth_ctx {
	struct conn *c;
	struct config *cfg;
	bool local;
	enum auth_method *auth;
	struct ike_id *id;
	bool *id_set;
	bool auth_seen;
	uint8_t *eap;
	struct ike_id *eap_id;
	bool *eap_id_set;
};

/* "pubkey", "rsa/pss-sha384", "ecdsa-sha256", "ed25519": swanctl's
 * signature methods (one hash at most). */
static bool sig_method(const char *v, struct sig_pref *out)
{
	static const struct { const char *name; int key; } keys[] = {
		{ "pubkey", SIG_ANY }, { "rsa", SIG_RSA }, { "ecdsa", SIG_ECDSA },
		{ "ed25519", SIG_ED25519 }, { "ed448", SIG_ED448 },
	};
	const char *rest = NULL;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && !rest; i++)
		if (!strncmp(v, keys[i].name, strlen(keys[i].name))) {
			rest = v + strlen(keys[i].name);
			out->key = keys[i].key;
		}
	if (!rest)
		return false;
	if (!strncmp(rest, "/pss", 4) && (out->key == SIG_RSA || out->key == SIG_ANY)) {
		out->pss = true;
		rest += 4;
	}
	if (!*rest)
		return true;
	if (out->key == SIG_ED25519 || out->key == SIG_ED448)
		return false;
	if (!strcmp(rest, "-sha256"))
		out->hash = 2;
	else if (!strcmp(rest, "-sha384"))
		out->hash = 3;
	else if (!strcmp(rest, "-sha512"))
		out->hash = 4;
	return out->hash != 0;
}

static bool auth_auth(struct parser *p, const struct node *n, void *obj)
{
	struct auth_ctx *a = obj;
	struct sig_pref sig;

	a->auth_seen = true;
	if (!strcmp(n->value, "psk")) {
		*a->auth = AUTH_PSK;
		return true;
	}
	if (sig_method(n->value, &sig)) {
		*a->auth = AUTH_PUBKEY;
		/* The remote side's variant says nothing of our signatures. */
		if (a->local)
			a->c->local_sig = sig;
		return true;
	}
	if (!strcmp(n->value, "eap-mschapv2") || !strcmp(n->value, "eap-tls") ||
	    (!strcmp(n->value, "eap") && a->local)) {
		*a->auth = AUTH_EAP;
		*a->eap = !n->value[3] ? 0 : n->value[4] == 't' ? EAP_T_TLS : EAP_T_MSCHAPV2;
		return true;
	}
	if (!strcmp(n->value, "eap"))
		ERR(n, "remote auth = eap needs the method we run as EAP server: eap-mschapv2 or "
		    "eap-tls");
	else if (!strncmp(n->value, "eap", 3))
		ERR(n, "auth = %s is not supported by kesp yet (EAP: eap-mschapv2 and eap-tls)",
		    n->value);
	else if (!strncmp(n->value, "xauth", 5))
		ERR(n, "auth = %s is not supported by kesp (IKEv1 XAuth)", n->value);
	else
		ERR(n, "auth '%s' is not an authentication method kesp knows (psk, pubkey, rsa, "
		    "rsa/pss, ecdsa, ed25519, ed448, with an optional -sha256/-sha384/-sha512)",
		    n->value);
	return false;
}

static bool auth_eap_id(struct parser *p, const struct node *n, void *obj)
{
	struct auth_ctx *a = obj;
	char why[160];

	if (!id_parse(n->value, a->eap_id, why, sizeof(why))) {
		ERR(n, "eap_id '%s': %s", n->value, why);
		return false;
	}
	if (a->local && a->eap_id->type == IKE_ID_ANY) {
		ERR(n, "eap_id = %s: our own EAP identity cannot be %%any", n->value);
		return false;
	}
	*a->eap_id_set = true;
	return true;
}

static bool auth_id(struct parser *p, const struct node *n, void *obj)
{
	struct auth_ctx *a = obj;
	char why[160];

	if (!id_parse(n->value, a->id, why, sizeof(why))) {
		ERR(n, "id '%s': %s", n->value, why);
		return false;
	}
	if (a->id_set)
		*a->id_set = true;
	return true;
}

/* NAME, relative to swanctl's SUB directory beside the config (if any). */
static void cred_path(const struct config *cfg, const char *sub, const char *name, char *out,
		      size_t len)
{
	if (name[0] == '/' || !cfg->dir[0])
		snprintf(out, len, "%s", name);
	else
		snprintf(out, len, "%s/%s/%s", cfg->dir, sub, name);
}

static bool auth_certs(struct parser *p, const struct node *n, void *obj)
{
	struct auth_ctx *a = obj;
	char *copy = strdup(n->value), *items[8], path[600], why[1024];
	size_t ni = copy ? split_list(copy, items, 8) : 0;

	if (!a->local) {
		ERR(n, "certs belongs in the local section (the peer's certificate comes in "
		    "IKE_AUTH; trust its CA with cacerts)");
	} else if (ni == 0 || ni > 8) {
		ERR(n, "certs: expected one certificate file (and up to 7 more)");
	} else {
		for (size_t i = 0; i < ni; i++) {
			size_t idx[CERT_CHAIN_MAX], count;

			cred_path(a->cfg, "x509", items[i], path, sizeof(path));
			if (creds_load_cert(a->cfg->creds, path, false, idx, CERT_CHAIN_MAX, &count,
					    why, sizeof(why)))
				ERR(n, "certs: %s", why);
			else if (i == 0)
				a->c->local_cert = (int)idx[0];
		}
	}
	free(copy);
	return true;
}

static bool auth_cacerts(struct parser *p, const struct node *n, void *obj)
{
	struct auth_ctx *a = obj;
	char *copy = strdup(n->value), *items[16], path[600], why[1024];
	size_t ni = copy ? split_list(copy, items, 16) : 0;
	struct conn *c = a->c;

	if (a->local) {
		ERR(n, "cacerts belongs in the remote section (the CAs we trust for the peer)");
	} else if (ni == 0 || ni > 16) {
		ERR(n, "cacerts: expected 1 to 16 CA certificate files");
	} else {
		for (size_t i = 0; i < ni; i++) {
			size_t idx[CERT_CHAIN_MAX], count, *cas;

			cred_path(a->cfg, "x509ca", items[i], path, sizeof(path));
			if (creds_load_cert(a->cfg->creds, path, true, idx, CERT_CHAIN_MAX, &count,
					    why, sizeof(why))) {
				ERR(n, "cacerts: %s", why);
				continue;
			}
			cas = realloc(c->cacerts, (c->ncacerts + count) * sizeof(*cas));
			if (!cas)
				break;
			c->cacerts = cas;
			memcpy(cas + c->ncacerts, idx, count * sizeof(*idx));
			c->ncacerts += count;
		}
	}
	free(copy);
	return true;
}

static bool auth_revocation(struct parser *p, const struct node *n, void *obj)
{
	struct auth_ctx *a = obj;

	if (a->local)
		ERR(n, "revocation belongs in the remote section");
	else if (!strcmp(n->value, "relaxed"))
		a->c->revocation = REV_RELAXED;
	else if (!strcmp(n->value, "ifuri"))
		a->c->revocation = REV_IFURI;
	else if (!strcmp(n->value, "strict"))
		a->c->revocation = REV_STRICT;
	else
		ERR(n, "revocation = %s: expected strict, ifuri or relaxed", n->value);
	return true;
}

static const struct key auth_keys[] = {
	{ "auth", auth_auth, NULL },
	{ "id", auth_id, NULL },
	{ "certs", auth_certs, NULL },
	{ "cacerts", auth_cacerts, NULL },
	{ "revocation", auth_revocation, NULL },
	{ "round", NULL, "several authentication rounds" },
	{ "pubkeys", NULL, "raw public keys" },
	{ "ca_id", NULL, "CA identities" },
	{ "cert_policy", NULL, "certificate policies" },
	{ "groups", NULL, "group membership" },
	{ "eap_id", auth_eap_id, NULL },
	{ "aaa_id", NULL, "EAP" },
	{ "xauth_id", NULL, "IKEv1 XAuth" },
	{ NULL, NULL, NULL },
};

/* children { NAME { } } */
struct child_ctx {
	struct child_cfg *ch;
};

struct ts_ctx {
	struct ts *out;
	size_t *nout;
};

static bool ts_item(struct parser *p, const struct node *n, const char *item, void *arg)
{
	struct ts_ctx *tc = arg;
	char why[160];

	if (!ts_parse(item, &tc->out[*tc->nout], why, sizeof(why))) {
		ERR(n, "%s: %s", n->name, why);
		return false;
	}
	(*tc->nout)++;
	return true;
}

static bool ts_list(struct parser *p, const struct node *n, struct ts *out, size_t *nout)
{
	struct ts_ctx tc = { out, nout };

	*nout = 0;
	return each_item(p, n, 1, CONF_MAX_TS, "traffic selectors", ts_item, &tc);
}

static bool child_local_ts(struct parser *p, const struct node *n, void *obj)
{
	struct child_cfg *ch = ((struct child_ctx *)obj)->ch;

	return ts_list(p, n, ch->local_ts, &ch->nlocal_ts);
}

static bool child_remote_ts(struct parser *p, const struct node *n, void *obj)
{
	struct child_cfg *ch = ((struct child_ctx *)obj)->ch;

	return ts_list(p, n, ch->remote_ts, &ch->nremote_ts);
}

static bool child_esp(struct parser *p, const struct node *n, void *obj)
{
	struct child_cfg *ch = ((struct child_ctx *)obj)->ch;

	return proposals(p, n, IKE_PROTO_ESP, ch->esp, &ch->nesp);
}

static bool child_mode(struct parser *p, const struct node *n, void *obj)
{
	struct child_cfg *ch = ((struct child_ctx *)obj)->ch;

	if (!strcmp(n->value, "tunnel")) {
		ch->mode = MODE_TUNNEL;
	} else if (!strcmp(n->value, "transport")) {
		ch->mode = MODE_TRANSPORT;
	} else if (!strcmp(n->value, "beet") || !strcmp(n->value, "pass") ||
		   !strcmp(n->value, "drop") || !strcmp(n->value, "iptfs") ||
		   !strcmp(n->value, "transport_proxy")) {
		ERR(n, "mode = %s is not supported by kesp yet (tunnel or transport)", n->value);
		return false;
	} else {
		ERR(n, "mode '%s' must be tunnel or transport", n->value);
		return false;
	}
	return true;
}

static bool child_start_action(struct parser *p, const struct node *n, void *obj)
{
	struct child_cfg *ch = ((struct child_ctx *)obj)->ch;

	if (!strcmp(n->value, "none")) {
		ch->start_action = START_NONE;
	} else if (!strcmp(n->value, "start")) {
		ch->start_action = START_START;
	} else if (!strcmp(n->value, "trap")) {
		ch->start_action = START_TRAP;
	} else if (!strcmp(n->value, "trap|start") || !strcmp(n->value, "start|trap")) {
		ERR(n, "start_action = %s is not supported by kesp yet (one of trap or start)",
		    n->value);
		return false;
	} else {
		ERR(n, "start_action '%s' must be none, start or trap", n->value);
		return false;
	}
	return true;
}

static bool child_replay_window(struct parser *p, const struct node *n, void *obj)
{
	struct child_cfg *ch = ((struct child_ctx *)obj)->ch;
	unsigned long v;

	if (!parse_uint(n->value, 4096, &v)) {
		ERR(n, "replay_window '%s' must be a packet count from 0 to 4096 (kesp.ko's "
		    "largest window)", n->value);
		return false;
	}
	ch->replay_window = (uint32_t)v;
	return true;
}

static bool child_per_cpu_sas(struct parser *p, const struct node *n, void *obj)
{
	struct child_cfg *ch = ((struct child_ctx *)obj)->ch;

	if (!strcmp(n->value, "encap")) {
		ERR(n, "per_cpu_sas = encap (a random UDP source port per CPU's SA) is not "
		    "supported: kesp.ko's per-CPU SAs keep the IKE SA's ports; use yes");
		return false;
	}
	if (!parse_bool(n->value, &ch->per_cpu_sas)) {
		ERR(n, "per_cpu_sas '%s' must be yes or no", n->value);
		return false;
	}
	return true;
}

static bool child_parallel_crypto(struct parser *p, const struct node *n, void *obj)
{
	struct child_cfg *ch = ((struct child_ctx *)obj)->ch;

	if (!parse_bool(n->value, &ch->parallel_crypto)) {
		ERR(n, "parallel_crypto '%s' must be yes or no", n->value);
		return false;
	}
	return true;
}

static bool child_per_cpu_sas_max(struct parser *p, const struct node *n, void *obj)
{
	struct child_cfg *ch = ((struct child_ctx *)obj)->ch;
	unsigned long v;

	if (!parse_uint(n->value, PCPU_SAS_LIMIT, &v) || !v) {
		ERR(n, "per_cpu_sas_max '%s' must be a number of SAs from 1 to %d", n->value,
		    PCPU_SAS_LIMIT);
		return false;
	}
	ch->per_cpu_sas_max = (uint32_t)v;
	return true;
}

static bool child_rekey_time(struct parser *p, const struct node *n, void *obj)
{
	return set_secs(p, n, &((struct child_ctx *)obj)->ch->rekey_time, 0, LIFETIME_MAX);
}

static bool child_life_time(struct parser *p, const struct node *n, void *obj)
{
	return set_secs(p, n, &((struct child_ctx *)obj)->ch->life_time, 0, LIFETIME_MAX);
}

static bool child_rand_time(struct parser *p, const struct node *n, void *obj)
{
	return set_secs(p, n, &((struct child_ctx *)obj)->ch->rand_time, 0, LIFETIME_MAX);
}

#define VOLUME_UNSET UINT64_MAX

/* A count, "1000"; bytes also "500k", "2M", "1g" (powers of 1024, as
 * strongSwan reads them). */
static bool set_volume(struct parser *p, const struct node *n, uint64_t *out, bool bytes)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	v = isdigit((unsigned char)n->value[0]) ? strtoull(n->value, &end, 10) : 0;
	if (bytes && isdigit((unsigned char)n->value[0]) && end[0] && !end[1]) {
		switch (end[0]) {
		case 't': case 'T': mul <<= 10; /* fall through */
		case 'g': case 'G': mul <<= 10; /* fall through */
		case 'm': case 'M': mul <<= 10; /* fall through */
		case 'k': case 'K': mul <<= 10; end++; break;
		default: break;
		}
	}
	if (!isdigit((unsigned char)n->value[0]) || errno || *end || v > (UINT64_MAX - 1) / mul) {
		ERR(n, "%s '%s' must be %s", n->name, n->value,
		    bytes ? "a byte count (e.g. 1000000, 500k, 2M, 1G)" : "a packet count");
		return false;
	}
	*out = v * mul;
	return true;
}

#define VOLUME_KEY(field, bytes)						\
	static bool child_##field(struct parser *p, const struct node *n, void *obj)	\
	{									\
		return set_volume(p, n, &((struct child_ctx *)obj)->ch->field, bytes);	\
	}
VOLUME_KEY(rekey_bytes, true)
VOLUME_KEY(life_bytes, true)
VOLUME_KEY(rand_bytes, true)
VOLUME_KEY(rekey_packets, false)
VOLUME_KEY(life_packets, false)
VOLUME_KEY(rand_packets, false)

/* swanctl's volume defaults: rekey 0 (none), life 110% of rekey, rand the
 * difference. */
static void child_volume(struct parser *p, const struct node *n, const struct child_cfg *ch,
			 const char *unit, uint64_t *rekey, uint64_t *life, uint64_t *rand)
{
	if (*rekey == VOLUME_UNSET)
		*rekey = 0;
	if (*life == VOLUME_UNSET)
		*life = *rekey > UINT64_MAX / 11 ? UINT64_MAX - 1 : *rekey / 10 * 11 + *rekey % 10 * 11 / 10;
	if (*rand == VOLUME_UNSET)
		*rand = *life > *rekey ? *life - *rekey : 0;
	if (*rekey && *life && *life <= *rekey)
		ERR(n, "child '%s': life_%s (%llu) must be more than rekey_%s (%llu)", ch->name,
		    unit, (unsigned long long)*life, unit, (unsigned long long)*rekey);
	if (*rekey && *rand >= *rekey)
		ERR(n, "child '%s': rand_%s (%llu) must be less than rekey_%s (%llu)", ch->name,
		    unit, (unsigned long long)*rand, unit, (unsigned long long)*rekey);
}

/* swanctl's defaults: rekey_time 1h, life_time 110% of it, rand_time the
 * difference; 0 disables the rekey (life_time then still applies). */
static void child_lifetimes(struct parser *p, const struct node *n, struct child_cfg *ch)
{
	if (ch->rekey_time == LIFETIME_UNSET)
		ch->rekey_time = 3600;
	if (ch->life_time == LIFETIME_UNSET)
		ch->life_time = (uint32_t)(ch->rekey_time * 11ULL / 10);
	if (ch->rand_time == LIFETIME_UNSET)
		ch->rand_time = ch->life_time > ch->rekey_time ? ch->life_time - ch->rekey_time : 0;
	if (ch->rekey_time && ch->life_time && ch->life_time <= ch->rekey_time)
		ERR(n, "child '%s': life_time (%u s) must be longer than rekey_time (%u s)",
		    ch->name, ch->life_time, ch->rekey_time);
	if (ch->rekey_time && ch->rand_time >= ch->rekey_time)
		ERR(n, "child '%s': rand_time (%u s) must be shorter than rekey_time (%u s)",
		    ch->name, ch->rand_time, ch->rekey_time);
	child_volume(p, n, ch, "bytes", &ch->rekey_bytes, &ch->life_bytes, &ch->rand_bytes);
	child_volume(p, n, ch, "packets", &ch->rekey_packets, &ch->life_packets, &ch->rand_packets);
}

/* dpd_action = clear | trap | restart, close_action = none | clear | trap | start. */
static bool child_action(struct parser *p, const struct node *n, enum child_action *out,
			 bool dpd)
{
	if (!strcmp(n->value, "clear"))
		*out = ACTION_CLEAR;
	else if (!dpd && !strcmp(n->value, "none"))
		*out = ACTION_NONE;
	else if (!strcmp(n->value, dpd ? "restart" : "start"))
		*out = ACTION_RESTART;
	else if (!strcmp(n->value, "trap"))
		*out = ACTION_TRAP;
	else {
		ERR(n, "%s '%s' must be %s", n->name, n->value,
		    dpd ? "clear, trap or restart" : "none, clear, trap or start");
		return false;
	}
	return true;
}

static bool child_dpd_action(struct parser *p, const struct node *n, void *obj)
{
	return child_action(p, n, &((struct child_ctx *)obj)->ch->dpd_action, true);
}

static bool child_close_action(struct parser *p, const struct node *n, void *obj)
{
	return child_action(p, n, &((struct child_ctx *)obj)->ch->close_action, false);
}

static bool child_ipcomp(struct parser *p, const struct node *n, void *obj)
{
	(void)obj;
	return only_value(p, n, "no", "IPComp");
}

/* updown = PATH: a program run as the CHILD_SA comes and goes (cp.c says
 * with what environment); an absolute path, as the daemon's working
 * directory is not the user's. */
static bool child_updown(struct parser *p, const struct node *n, void *obj)
{
	struct child_cfg *ch = ((struct child_ctx *)obj)->ch;

	if (n->value[0] != '/' || strlen(n->value) >= sizeof(ch->updown) ||
	    strchr(n->value, ' ')) {
		ERR(n, "updown '%s' must be the absolute path of a program (no arguments, "
		    "shorter than %zu characters)", n->value, sizeof(ch->updown));
		return false;
	}
	snprintf(ch->updown, sizeof(ch->updown), "%s", n->value);
	return true;
}

static const struct key child_keys[] = {
	{ "local_ts", child_local_ts, NULL },
	{ "remote_ts", child_remote_ts, NULL },
	{ "esp_proposals", child_esp, NULL },
	{ "mode", child_mode, NULL },
	{ "start_action", child_start_action, NULL },
	{ "replay_window", child_replay_window, NULL },
	{ "ipcomp", child_ipcomp, NULL },
	{ "ah_proposals", NULL, "AH" },
	{ "sha256_96", NULL, "truncated SHA-256" },
	{ "rekey_time", child_rekey_time, NULL },
	{ "life_time", child_life_time, NULL },
	{ "rand_time", child_rand_time, NULL },
	{ "rekey_bytes", child_rekey_bytes, NULL },
	{ "life_bytes", child_life_bytes, NULL },
	{ "rand_bytes", child_rand_bytes, NULL },
	{ "rekey_packets", child_rekey_packets, NULL },
	{ "life_packets", child_life_packets, NULL },
	{ "rand_packets", child_rand_packets, NULL },
	{ "dpd_action", child_dpd_action, NULL },
	{ "close_action", child_close_action, NULL },
	{ "inactivity", NULL, LATER },
	{ "updown", child_updown, NULL },
	{ "hostaccess", NULL, "updown scripts" },
	{ "policies", NULL, "kesp routes into its device instead of XFRM policies" },
	{ "policies_fwd_out", NULL, "XFRM policies" },
	{ "priority", NULL, "XFRM policy priorities" },
	{ "interface", NULL, "XFRM policies" },
	{ "reqid", NULL, "fixed reqids" },
	{ "mark_in", NULL, "marks" },
	{ "mark_in_sa", NULL, "marks" },
	{ "mark_out", NULL, "marks" },
	{ "set_mark_in", NULL, "marks" },
	{ "set_mark_out", NULL, "marks" },
	{ "if_id_in", NULL, "XFRM interfaces" },
	{ "if_id_out", NULL, "XFRM interfaces" },
	{ "label", NULL, "security labels" },
	{ "label_mode", NULL, "security labels" },
	{ "tfc_padding", NULL, "TFC padding" },
	{ "hw_offload", NULL, "hardware offload" },
	{ "copy_df", NULL, "kesp.ko's fixed DF handling" },
	{ "copy_ecn", NULL, "kesp.ko's fixed ECN handling (RFC 6040)" },
	{ "copy_dscp", NULL, "kesp.ko copies DSCP" },
	{ "per_cpu_sas", child_per_cpu_sas, NULL },
	{ "parallel_crypto", child_parallel_crypto, NULL },
	{ "per_cpu_sas_max", child_per_cpu_sas_max, NULL },
	{ NULL, NULL, NULL },
};

static bool section_name_ok(struct parser *p, const struct node *n, const char *what)
{
	if (strlen(n->name) >= CONF_NAME_MAX) {
		ERR(n, "%s name '%s' is longer than %d characters", what, n->name,
		    CONF_NAME_MAX - 1);
		return false;
	}
	return true;
}

static void read_child(struct parser *p, struct conn *c, const struct node *n)
{
	struct child_cfg *ch;
	struct child_ctx cc;

	if (!section_name_ok(p, n, "child"))
		return;
	for (size_t i = 0; i < c->nchildren; i++)
		if (!strcmp(c->children[i].name, n->name)) {
			ERR(n, "child '%s' is defined twice in connection '%s' (first on line %d)",
			    n->name, c->name, c->children[i].line);
			return;
		}
	ch = realloc(c->children, (c->nchildren + 1) * sizeof(*ch));
	if (!ch)
		return;
	c->children = ch;
	ch = &c->children[c->nchildren++];
	memset(ch, 0, sizeof(*ch));
	snprintf(ch->name, sizeof(ch->name), "%s", n->name);
	ch->line = n->line;
	ch->mode = MODE_TUNNEL;
	ch->replay_window = 32;
	ch->per_cpu_sas_max = PCPU_SAS_DEFAULT;
	ch->rekey_time = ch->life_time = ch->rand_time = LIFETIME_UNSET;
	ch->rekey_bytes = ch->life_bytes = ch->rand_bytes = VOLUME_UNSET;
	ch->rekey_packets = ch->life_packets = ch->rand_packets = VOLUME_UNSET;
	ch->dpd_action = ACTION_CLEAR;
	cc.ch = ch;
	read_keys(p, n, child_keys, &cc, "a child section", NULL);
	child_lifetimes(p, n, ch);
	if (!ch->nlocal_ts) {
		ch->nlocal_ts = 1;
		ch->local_ts[0].dynamic = true;
		ch->local_ts[0].port_hi = 65535;
	}
	if (!ch->nremote_ts) {
		ch->nremote_ts = 1;
		ch->remote_ts[0].dynamic = true;
		ch->remote_ts[0].port_hi = 65535;
	}
	if (!ch->nesp) {
		struct node d = { .name = "esp_proposals", .value = "default",
				  .file = n->file, .line = n->line };

		proposals(p, &d, IKE_PROTO_ESP, ch->esp, &ch->nesp);
	}
}

static bool conn_subsection(struct parser *p, const struct node *n, void *obj)
{
	struct conn_ctx *cc = obj;
	struct conn *c = cc->c;

	if (!strcmp(n->name, "local") || !strncmp(n->name, "local-", 6) ||
	    !strcmp(n->name, "remote") || !strncmp(n->name, "remote-", 7)) {
		bool local = n->name[0] == 'l';
		bool *seen = local ? &cc->local_seen : &cc->remote_seen;
		struct auth_ctx a = {
			.c = c,
			.cfg = cc->cfg,
			.local = local,
			.auth = local ? &c->local_auth : &c->remote_auth,
			.id = local ? &c->local_id : &c->remote_id,
			.id_set = local ? &c->local_id_set : NULL,
			.eap = local ? &c->local_eap : &c->remote_eap,
			.eap_id = local ? &c->local_eap_id : &c->remote_eap_id,
			.eap_id_set = local ? &c->local_eap_id_set : &c->remote_eap_id_set,
		};

		if (*seen) {
			ERR(n, "a second %s section: several authentication rounds are not "
			    "supported by kesp yet", local ? "local" : "remote");
			return true;
		}
		*seen = true;
		read_keys(p, n, auth_keys, &a, local ? "a local section" : "a remote section",
			  NULL);
		if (!a.auth_seen)
			ERR(n, "%s has no 'auth': write auth = psk or auth = pubkey (kesp does not "
			    "guess)", n->name);
		return true;
	}
	if (!strcmp(n->name, "children")) {
		if (cc->children_seen)
			ERR(n, "a second children section in connection '%s'", c->name);
		cc->children_seen = true;
		for (const struct node *m = n->children; m; m = m->next) {
			if (m->value)
				ERR(m, "'%s = ...' in children: expected a child section NAME { }",
				    m->name);
			else
				read_child(p, c, m);
		}
		return true;
	}
	return false;
}

/* FNV-1a over the connection's text, so reload can tell what changed. */
static uint64_t fingerprint(const struct node *n, uint64_t h)
{
	for (; n; n = n->next) {
		const char *parts[2] = { n->name, n->value ? n->value : "{" };

		for (int i = 0; i < 2; i++)
			for (const char *s = parts[i]; ; s++) {
				h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
				if (!*s)
					break;
			}
		if (!n->value)
			h = fingerprint(n->children, h) * 0x100000001b3ULL;
	}
	return h;
}

static void read_conn(struct parser *p, struct config *cfg, const struct node *n)
{
	struct conn *c, **conns;
	struct conn_ctx cc = { .cfg = cfg };
	int errors = p->errors;

	if (!section_name_ok(p, n, "connection"))
		return;
	for (size_t i = 0; i < cfg->nconns; i++)
		if (!strcmp(cfg->conns[i]->name, n->name)) {
			ERR(n, "connection '%s' is defined twice (first at %s:%d)", n->name,
			    cfg->conns[i]->file, cfg->conns[i]->line);
			return;
		}
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->refs = 1;
	snprintf(c->name, sizeof(c->name), "%s", n->name);
	snprintf(c->file, sizeof(c->file), "%s", n->file);
	c->line = n->line;
	c->local_port = 500;
	c->remote_port = 500;
	snprintf(c->device, sizeof(c->device), "kesp0");
	c->local_cert = c->local_key = -1;
	c->send_certreq = true;
	c->mobike = true;
	c->creds = creds_get(cfg->creds);
	c->rekey_time = c->over_time = c->rand_time = LIFETIME_UNSET;
	cc.c = c;
	read_keys(p, n, conn_keys, &cc, "a connection", conn_subsection);
	conn_lifetimes(p, n, c);
	if (!cc.local_seen)
		ERR(n, "connection '%s' has no local section (local { auth = psk })", c->name);
	if (!cc.remote_seen)
		ERR(n, "connection '%s' has no remote section (remote { auth = psk })", c->name);
	if (!c->nike) {
		struct node d = { .name = "proposals", .value = "default",
				  .file = n->file, .line = n->line };

		proposals(p, &d, IKE_PROTO_IKE, c->ike, &c->nike);
	}
	for (size_t i = 0; i < c->nremote_addrs; i++)
		if (c->remote_addrs[i].kind == ADDR_NAME &&
		    strlen(c->remote_addrs[i].name) > 253)
			ERR(n, "remote_addrs: host name too long");
	c->fingerprint = fingerprint(n->children, 0xcbf29ce484222325ULL);
	if (p->errors != errors) {
		conn_put(c);
		return;
	}
	conns = realloc(cfg->conns, (cfg->nconns + 1) * sizeof(*conns));
	if (!conns) {
		conn_put(c);
		return;
	}
	cfg->conns = conns;
	cfg->conns[cfg->nconns++] = c;
}

/* ---- pools { NAME { addrs dns } } -------------------------------------------- */

struct pool_ctx {
	struct pool *pl;
	bool addrs_seen;
};

static bool pool_addrs(struct parser *p, const struct node *n, void *obj)
{
	struct pool_ctx *pc = obj;
	struct pool *pl = pc->pl;
	struct ts t;
	char why[160];
	unsigned int bits = 0;
	const char *slash = strchr(n->value, '/');

	pc->addrs_seen = true;
	if (strchr(n->value, '[') || strchr(n->value, ',') || !strcmp(n->value, "dynamic") ||
	    !ts_parse(n->value, &t, why, sizeof(why))) {
		ERR(n, "addrs '%s' must be one subnet (10.3.0.0/24) or range "
		    "(10.3.0.10-10.3.0.99) of addresses", n->value);
		return false;
	}
	pl->lo.family = pl->hi.family = t.family;
	memcpy(pl->lo.ip, t.lo, 16);
	memcpy(pl->hi.ip, t.hi, 16);
	if (slash)
		bits = (unsigned int)atoi(slash + 1);
	/* A subnet's own address is no host's, nor is IPv4's broadcast. */
	if (slash && ((t.family == AF_INET && bits <= 30) || (t.family == AF_INET6 && bits <= 126))) {
		size_t al = addr_len(t.family);
		int i;

		for (i = (int)al - 1; i >= 0 && ++pl->lo.ip[i] == 0; i--)
			;
		if (t.family == AF_INET)
			for (i = (int)al - 1; i >= 0 && pl->hi.ip[i]-- == 0; i--)
				;
	}
	return true;
}

static bool pool_dns_item(struct parser *p, const struct node *n, const char *item, void *arg)
{
	struct pool *pl = arg;

	if (!addr_parse(item, &pl->dns[pl->ndns])) {
		ERR(n, "dns: '%s' is not an IPv4 or IPv6 address", item);
		return false;
	}
	pl->ndns++;
	return true;
}

static bool pool_dns(struct parser *p, const struct node *n, void *obj)
{
	struct pool *pl = ((struct pool_ctx *)obj)->pl;

	pl->ndns = 0;
	return each_item(p, n, 1, POOL_MAX_DNS, "addresses", pool_dns_item, pl);
}

static const struct key pool_keys[] = {
	{ "addrs", pool_addrs, NULL },
	{ "dns", pool_dns, NULL },
	{ "nbns", NULL, "INTERNAL_IP4_NBNS; kesp hands out addresses and DNS" },
	{ "dhcp", NULL, "INTERNAL_IP4_DHCP; kesp hands out addresses and DNS" },
	{ "netmask", NULL, "INTERNAL_IP4_NETMASK; kesp hands out addresses and DNS" },
	{ "server", NULL, "INTERNAL_IP6_SERVER; kesp hands out addresses and DNS" },
	{ "subnet", NULL, "INTERNAL_IP4_SUBNET; kesp hands out addresses and DNS" },
	{ "split_include", NULL, "split tunnelling attributes" },
	{ "split_exclude", NULL, "split tunnelling attributes" },
	{ NULL, NULL, NULL },
};

static void read_pool(struct parser *p, struct config *cfg, const struct node *n)
{
	struct pool *pl, *pools;
	struct pool_ctx pc;
	int errors = p->errors;
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (n->value) {
		ERR(n, "'%s = ...' in pools: expected a pool section NAME { addrs = ... }", n->name);
		return;
	}
	if (!section_name_ok(p, n, "pool"))
		return;
	if (config_find_pool(cfg, n->name)) {
		ERR(n, "pool '%s' is defined twice (first on line %d)", n->name,
		    config_find_pool(cfg, n->name)->line);
		return;
	}
	pools = realloc(cfg->pools, (cfg->npools + 1) * sizeof(*pools));
	if (!pools)
		return;
	cfg->pools = pools;
	pl = &pools[cfg->npools];
	memset(pl, 0, sizeof(*pl));
	snprintf(pl->name, sizeof(pl->name), "%s", n->name);
	pl->line = n->line;
	pc.pl = pl;
	pc.addrs_seen = false;
	read_keys(p, n, pool_keys, &pc, "a pool section", NULL);
	if (!pc.addrs_seen)
		ERR(n, "pool '%s' has no 'addrs' (a subnet such as 10.3.0.0/24, or a range)",
		    n->name);
	else if (addr_cmp(&pl->lo, &pl->hi) > 0)
		ERR(n, "pool '%s' has no address to lease", n->name);
	for (size_t i = 0; i < cfg->npools && p->errors == errors; i++) {
		const struct pool *o = &cfg->pools[i];

		if (o->lo.family == pl->lo.family && addr_cmp(&o->lo, &pl->hi) <= 0 &&
		    addr_cmp(&pl->lo, &o->hi) <= 0)
			ERR(n, "pool '%s' (%s-%s) overlaps pool '%s' (line %d)", n->name,
			    addr_str(&pl->lo, a, sizeof(a)), addr_str(&pl->hi, b, sizeof(b)),
			    o->name, o->line);
	}
	if (p->errors == errors)
		cfg->npools++;
}

/* ---- secrets ------------------------------------------------------------- */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* "0x..." hex, "0s..." base64, else the text itself (strongSwan's forms). */
static bool decode_secret(const char *v, uint8_t **out, size_t *len, const char **why)
{
	size_t n = strlen(v), o = 0;
	uint8_t *buf = malloc(n + 1);

	if (!buf) {
		*why = "out of memory";
		return false;
	}
	if (!strncmp(v, "0x", 2)) {
		if ((n - 2) % 2 || n == 2) {
			*why = "hex secret with an odd number of digits";
			goto bad;
		}
		for (size_t i = 2; i < n; i += 2) {
			unsigned int x;

			if (!isxdigit((unsigned char)v[i]) || !isxdigit((unsigned char)v[i + 1]) ||
			    sscanf(v + i, "%2x", &x) != 1) {
				*why = "secret starting with 0x is not hex";
				goto bad;
			}
			buf[o++] = (uint8_t)x;
		}
	} else if (!strncmp(v, "0s", 2)) {
		uint32_t acc = 0;
		int bits = 0;
		size_t i;

		for (i = 2; i < n && v[i] != '='; i++) {
			int x = b64val((unsigned char)v[i]);

			if (x < 0) {
				*why = "secret starting with 0s is not base64";
				goto bad;
			}
			acc = acc << 6 | (uint32_t)x;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				buf[o++] = (uint8_t)(acc >> bits);
			}
		}
		for (; i < n; i++)
			if (v[i] != '=') {
				*why = "base64 secret has data after its padding";
				goto bad;
			}
		if (!o) {
			*why = "empty base64 secret";
			goto bad;
		}
	} else {
		memcpy(buf, v, n);
		o = n;
	}
	if (!o) {
		*why = "empty secret";
		goto bad;
	}
	*out = buf;
	*len = o;
	return true;
bad:
	explicit_bzero(buf, n + 1);
	free(buf);
	return false;
}

/*
 * The word check: only letters (in any case), separators and up to four
 * trailing digits, with the share of vowels that natural-language words
 * have (a quarter to three fifths). Passphrases of that shape are what
 * dictionary attacks try first; random letters rarely have that many
 * vowels.
 */
static bool only_words(const uint8_t *s, size_t len)
{
	size_t end = len, digits = 0, letters = 0, vowels = 0;

	while (end && isdigit(s[end - 1]) && digits < 4) {
		end--;
		digits++;
	}
	for (size_t i = 0; i < end; i++) {
		if (isalpha(s[i])) {
			letters++;
			vowels += strchr("aeiouAEIOU", s[i]) != NULL;
		} else if (!strchr(" -_.,!", s[i])) {
			return false;
		}
	}
	return letters >= 8 && vowels * 4 >= letters && vowels * 5 <= letters * 3;
}

bool psk_is_weak(const uint8_t *secret, size_t len, const char **why)
{
	if (len < 20) {
		*why = "it is shorter than 20 characters";
		return true;
	}
	if (only_words(secret, len)) {
		*why = "it is made only of dictionary-like words";
		return true;
	}
	return false;
}

/* private-NAME, rsa-NAME, ecdsa-NAME, pkcs8-NAME: a private key file. */
static const char *const key_secrets[] = { "private", "rsa", "ecdsa", "pkcs8" };

static bool is_key_secret(const char *name)
{
	for (size_t i = 0; i < sizeof(key_secrets) / sizeof(key_secrets[0]); i++) {
		size_t l = strlen(key_secrets[i]);

		if (!strncmp(name, key_secrets[i], l) && (!name[l] || name[l] == '-' ||
							   name[l] == '_'))
			return true;
	}
	return false;
}

static void read_key_secret(struct parser *p, struct config *cfg, const struct node *n)
{
	const struct node *file = NULL, *pass = NULL;
	char sub[16], path[600], why[1024];

	snprintf(sub, sizeof(sub), "%.*s", (int)strcspn(n->name, "-_"), n->name);
	for (const struct node *m = n->children; m; m = m->next) {
		if (!m->value)
			ERR(m, "unknown section '%s' in a secret", m->name);
		else if (!strcmp(m->name, "file"))
			file = m;
		else if (!strcmp(m->name, "secret"))
			pass = m;
		else
			ERR(m, "unknown key '%s' in %s (kesp reads file and secret, the key's "
			    "passphrase)", m->name, n->name);
	}
	if (!file) {
		ERR(n, "secret '%s' has no 'file = ...' (the private key, PEM or DER, relative "
		    "to %s/)", n->name, sub);
		return;
	}
	cred_path(cfg, sub, file->value, path, sizeof(path));
	if (creds_load_key(cfg->creds, path, pass ? pass->value : NULL, why, sizeof(why)) < 0)
		ERR(file, "%s", why);
}

static void read_secret(struct parser *p, struct config *cfg, const struct node *n)
{
	struct psk *k, *psks;
	const struct node *secret = NULL;
	int errors = p->errors;

	bool eap = !strcmp(n->name, "eap") || !strncmp(n->name, "eap-", 4) ||
		   !strncmp(n->name, "eap_", 4);
	struct psk **arr = eap ? &cfg->eaps : &cfg->psks;
	size_t *narr = eap ? &cfg->neaps : &cfg->npsks;

	if (is_key_secret(n->name)) {
		read_key_secret(p, cfg, n);
		return;
	}
	if (!eap && strcmp(n->name, "ike") && strncmp(n->name, "ike-", 4) &&
	    strncmp(n->name, "ike_", 4)) {
		static const char *const other[] = {
			"xauth", "ntlm", "pkcs12", "token", "ppk", NULL,
		};

		for (const char *const *o = other; *o; o++)
			if (!strncmp(n->name, *o, strlen(*o))) {
				ERR(n, "secret '%s' is not supported by kesp yet (only ike "
				    "pre-shared keys and eap passwords)", n->name);
				return;
			}
		ERR(n, "unknown secret type '%s' (kesp reads ike-NAME { id = ... secret = "
		    "... } and private-NAME { file = ... })", n->name);
		return;
	}
	if (!section_name_ok(p, n, "secret"))
		return;
	psks = realloc(*arr, (*narr + 1) * sizeof(*psks));
	if (!psks)
		return;
	*arr = psks;
	k = &psks[*narr];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", n->name);
	k->line = n->line;
	for (const struct node *m = n->children; m; m = m->next) {
		if (!m->value) {
			ERR(m, "unknown section '%s' in a secret", m->name);
		} else if (!strcmp(m->name, "secret")) {
			if (secret)
				ERR(m, "'secret' is set twice in %s (first on line %d)", n->name,
				    secret->line);
			secret = m;
		} else if (!strcmp(m->name, "id") || !strncmp(m->name, "id-", 3) ||
			   !strncmp(m->name, "id_", 3)) {
			struct ike_id *ids = realloc(k->ids, (k->nids + 1) * sizeof(*ids));
			char why[160];

			if (!ids)
				break;
			k->ids = ids;
			if (!id_parse(m->value, &ids[k->nids], why, sizeof(why)))
				ERR(m, "id '%s': %s", m->value, why);
			else
				k->nids++;
		} else {
			ERR(m, "unknown key '%s' in a secret (kesp reads id, id-SUFFIX, secret)",
			    m->name);
		}
	}
	if (!secret) {
		ERR(n, "secret '%s' has no 'secret = ...'", n->name);
	} else {
		const char *why;

		if (!decode_secret(secret->value, &k->secret, &k->len, &why))
			ERR(secret, "%s", why);
		else if (eap && k->len > MSCHAP_PASSWORD_MAX)
			ERR(secret, "the EAP password of '%s' is longer than %d octets (MS-CHAPv2's "
			    "limit)", n->name, MSCHAP_PASSWORD_MAX);
		else if (eap && !k->nids)
			ERR(n, "EAP secret '%s' names no user: add id = USER", n->name);
		else if (!eap && psk_is_weak(k->secret, k->len, &why))
			WARN(secret, "the pre-shared key of '%s' is weak: %s; an active attacker "
			     "who sees one handshake can guess it offline. Use 20 or more random "
			     "characters (e.g. openssl rand -base64 24)", n->name, why);
	}
	if (p->errors != errors) {
		if (k->secret) {
			explicit_bzero(k->secret, k->len);
			free(k->secret);
		}
		free(k->ids);
		return;
	}
	(*narr)++;
}

/* ---- the whole file ------------------------------------------------------ */

/* auth = pubkey: our certificate, its key, our identity in it. */
static void check_pubkey(struct parser *p, struct conn *c)
{
	const struct creds *cr = c->creds;
	char a[IKE_ID_STRLEN], b[600];

	bool tls_client = c->local_auth == AUTH_EAP &&
			  (c->local_eap == EAP_T_TLS || (!c->local_eap && c->local_cert >= 0));

	if ((c->remote_auth == AUTH_PUBKEY ||
	     (c->remote_auth == AUTH_EAP && c->remote_eap == EAP_T_TLS)) && !c->ncacerts) {
		bool any = false;

		for (size_t i = 0; i < cr->ncerts && !any; i++)
			any = cr->certs[i].ca;
		if (!any)
			report(p, true, c->file, c->line, "connection '%s' checks the peer's "
			       "certificate but no CA is loaded (remote { cacerts = FILE } or "
			       "x509ca/ beside the config)", c->name);
	}
	if (c->local_auth != AUTH_PUBKEY && !tls_client) {
		if (c->local_cert >= 0)
			report(p, true, c->file, c->line, "connection '%s' has local certs but "
			       "authenticates with %s", c->name, "psk");
		return;
	}
	if (c->local_cert < 0) {
		report(p, true, c->file, c->line, "connection '%s': local auth = %s needs "
		       "certs = FILE (our certificate, in x509/ beside the config or a path)",
		       c->name, tls_client ? "eap-tls" : "pubkey");
		return;
	}
	c->local_key = creds_find_key(cr, (size_t)c->local_cert);
	cert_subject(cr->certs[c->local_cert].crt, b, sizeof(b));
	if (c->local_key < 0)
		report(p, true, c->file, c->line, "connection '%s': no private key for certificate "
		       "'%s' (%s): add secrets { private-NAME { file = ... } } or put it in "
		       "private/ beside the config", c->name, b, cr->certs[c->local_cert].file);
	if (!c->local_id_set)
		c->local_id_set = cert_subject_id(cr->certs[c->local_cert].crt, &c->local_id);
	else if (!cert_has_id(cr->certs[c->local_cert].crt, &c->local_id))
		report(p, false, c->file, c->line, "connection '%s': our id '%s' is not in our "
		       "certificate '%s' (neither its subject nor a subjectAltName); a peer would "
		       "refuse it", c->name, id_str(&c->local_id, a, sizeof(a)), b);
}

/* EAP: the client's password, and the server authenticating itself. */
static void check_eap(struct parser *p, const struct config *cfg, struct conn *c)
{
	char a[IKE_ID_STRLEN];

	if (c->local_auth == AUTH_EAP) {
		const struct ike_id *me = c->local_eap_id_set ? &c->local_eap_id : &c->local_id;

		/* EAP on both sides is EAP-only authentication (RFC 5998): as its
		 * server we need the users' passwords, not one of our own. */
		if (!c->local_eap_id_set && !c->local_id_set)
			report(p, true, c->file, c->line, "connection '%s': local auth = eap needs "
			       "an identity for EAP (local { id = ... } or eap_id = ...)", c->name);
		else if (c->remote_auth != AUTH_EAP && c->local_eap != EAP_T_TLS &&
			 !(c->local_eap == 0 && c->local_cert >= 0) &&
			 !config_find_eap(cfg, me, &c->remote_id))
			report(p, true, c->file, c->line, "connection '%s': no EAP password for "
			       "'%s' (secrets { eap-NAME { id = %s secret = ... } })", c->name,
			       id_str(me, a, sizeof(a)), id_str(me, a, sizeof(a)));
		if (c->remote_auth == AUTH_EAP && c->local_eap != EAP_T_MSCHAPV2)
			report(p, true, c->file, c->line, "connection '%s': EAP-only authentication "
			       "(EAP on both sides) needs local auth = eap-mschapv2, a mutual method",
			       c->name);
	} else if (c->local_eap_id_set) {
		report(p, true, c->file, c->line, "connection '%s': local eap_id without local "
		       "auth = eap", c->name);
	}
	if (c->remote_auth == AUTH_EAP && c->remote_eap == EAP_T_TLS &&
	    c->local_auth != AUTH_PUBKEY)
		report(p, true, c->file, c->line, "connection '%s': remote auth = eap-tls needs our "
		       "certificate for the TLS server: local auth = pubkey with certs = FILE",
		       c->name);
	if (c->remote_auth == AUTH_EAP && c->remote_eap != EAP_T_TLS && !cfg->neaps)
		report(p, true, c->file, c->line, "connection '%s': remote auth = eap-mschapv2 but "
		       "there is no secrets { eap-NAME { id = USER secret = ... } }", c->name);
	if (c->remote_auth != AUTH_EAP && c->remote_eap_id_set)
		report(p, true, c->file, c->line, "connection '%s': remote eap_id without remote "
		       "auth = eap-mschapv2 or eap-tls", c->name);
}

/* pools = NAME: each exists, one per family. */
static void check_pools(struct parser *p, const struct config *cfg, const struct conn *c)
{
	sa_family_t seen = AF_UNSPEC;

	for (size_t i = 0; i < c->npools; i++) {
		const struct pool *pl = config_find_pool(cfg, c->pools[i]);

		if (!pl) {
			report(p, true, c->file, c->pools_line, "connection '%s': pools = %s: no "
			       "such pool (pools { %s { addrs = ... } })", c->name, c->pools[i],
			       c->pools[i]);
		} else if (pl->lo.family == seen) {
			report(p, true, c->file, c->pools_line, "connection '%s': pools name two "
			       "pools of the same family; kesp leases one address of each", c->name);
		} else {
			seen = pl->lo.family;
		}
	}
	if (c->npools && c->nvips)
		report(p, true, c->file, c->line, "connection '%s' has both vips (a client's) and "
		       "pools (a gateway's)", c->name);
	for (size_t i = 0; i < c->nchildren && c->nvips; i++) {
		const struct child_cfg *ch = &c->children[i];

		if (ch->start_action == START_TRAP || ch->dpd_action == ACTION_TRAP ||
		    ch->close_action == ACTION_TRAP)
			report(p, true, c->file, ch->line, "child '%s': traps (start_action, "
			       "dpd_action or close_action = trap) with vips are not supported by "
			       "kesp yet: a trap selects our IKE address, not the virtual IP to come",
			       ch->name);
	}
}

static void check_config(struct parser *p, struct config *cfg)
{
	for (size_t i = 0; i < cfg->nconns; i++) {
		const struct conn *c = cfg->conns[i];

		for (size_t j = 0; j < c->nchildren; j++)
			for (size_t k = 0; k <= i; k++)
				for (size_t l = 0; l < cfg->conns[k]->nchildren; l++) {
					const struct child_cfg *o = &cfg->conns[k]->children[l];

					if ((k < i || l < j) && !strcmp(o->name, c->children[j].name))
						report(p, true, c->file, c->children[j].line,
						       "child '%s' is also defined in connection "
						       "'%s' (line %d); kespctl ike up --child "
						       "needs unique names", o->name,
						       cfg->conns[k]->name, o->line);
				}
		check_pubkey(p, cfg->conns[i]);
		check_eap(p, cfg, cfg->conns[i]);
		check_pools(p, cfg, cfg->conns[i]);
		if ((c->local_auth == AUTH_PSK || c->remote_auth == AUTH_PSK) && !cfg->npsks)
			report(p, true, c->file, c->line,
			       "connection '%s' authenticates with psk but there is no "
			       "secrets { ike-NAME { secret = ... } }", c->name);
	}
}

static void dir_report(void *ctx, const char *msg)
{
	struct parser *p = ctx;

	p->errors++;
	if (p->report)
		p->report(p->ctx, true, msg);
}

static struct config *interpret(struct parser *p, const char *name, struct node *root)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	bool settings_seen = false;

	if (!cfg)
		return NULL;
	snprintf(cfg->file, sizeof(cfg->file), "%s", name);
	snprintf(cfg->dir, sizeof(cfg->dir), "%s", p->dir);
	settings_default(&cfg->set);
	cfg->creds = creds_new();
	if (!cfg->creds) {
		free(cfg);
		return NULL;
	}
	if (cfg->dir[0])
		creds_load_dirs(cfg->creds, cfg->dir, dir_report, p);
	for (const struct node *n = root->children; n; n = n->next) {
		if (n->value) {
			ERR(n, "'%s = ...' outside any section (expected connections { }, "
			    "secrets { } or ikehelper { })", n->name);
		} else if (!strcmp(n->name, "connections")) {
			for (const struct node *m = n->children; m; m = m->next) {
				if (m->value)
					ERR(m, "'%s = ...' in connections: expected a connection "
					    "section NAME { }", m->name);
				else
					read_conn(p, cfg, m);
			}
		} else if (!strcmp(n->name, "secrets")) {
			for (const struct node *m = n->children; m; m = m->next) {
				if (m->value)
					ERR(m, "'%s = ...' in secrets: expected ike-NAME { }", m->name);
				else
					read_secret(p, cfg, m);
			}
		} else if (!strcmp(n->name, "ikehelper")) {
			if (settings_seen)
				ERR(n, "a second ikehelper section");
			settings_seen = true;
			read_keys(p, n, settings_keys, &cfg->set, "the ikehelper section",
				  settings_subsection);
		} else if (!strcmp(n->name, "pools")) {
			for (const struct node *m = n->children; m; m = m->next)
				read_pool(p, cfg, m);
		} else if (!strcmp(n->name, "authorities")) {
			ERR(n, "section '%s' is not supported by kesp yet (certificates)", n->name);
		} else {
			ERR(n, "unknown section '%s' (expected connections, secrets, pools or "
			    "ikehelper)",
			    n->name);
		}
	}
	check_config(p, cfg);
	return cfg;
}

static struct config *finish(struct parser *p, const char *name, struct node *root, int rc)
{
	struct config *cfg = NULL;

	if (!rc || p->errors)
		cfg = interpret(p, name, root);
	node_free(root->children);
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	if (rc || p->errors) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct config *config_parse(const char *name, const char *text, config_report_fn fn,
			    void *ctx)
{
	struct parser p = { .report = fn, .ctx = ctx };
	struct node root = { .name = "" };
	int rc = parse_text(&p, &root, name, text);

	return finish(&p, name, &root, rc);
}

struct config *config_load(const char *path, config_report_fn fn, void *ctx)
{
	struct parser p = { .report = fn, .ctx = ctx };
	struct node root = { .name = "" };
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	struct config *cfg;
	int rc;

	if (strrchr(path, '/'))
		snprintf(p.dir, sizeof(p.dir), "%.*s", (int)(strrchr(path, '/') - path), path);
	else
		snprintf(p.dir, sizeof(p.dir), ".");
	if (!p.dir[0])
		snprintf(p.dir, sizeof(p.dir), "/");
	if (!f) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s: cannot open: %s", path, strerror(errno));
		if (fn)
			fn(ctx, true, msg);
		return NULL;
	}
	len = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	rc = parse_text(&p, &root, path, len < 0 ? "" : buf);
	cfg = finish(&p, path, &root, rc);
	if (buf) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	return cfg;
}

/* ---- lifetime and lookups ------------------------------------------------ */

struct conn *conn_get(struct conn *c)
{
	c->refs++;
	return c;
}

void conn_put(struct conn *c)
{
	if (!c || --c->refs > 0)
		return;
	free(c->children);
	free(c->cacerts);
	creds_put(c->creds);
	free(c);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nconns; i++)
		conn_put(cfg->conns[i]);
	free(cfg->conns);
	for (size_t i = 0; i < cfg->npsks; i++) {
		explicit_bzero(cfg->psks[i].secret, cfg->psks[i].len);
		free(cfg->psks[i].secret);
		free(cfg->psks[i].ids);
	}
	free(cfg->psks);
	for (size_t i = 0; i < cfg->neaps; i++) {
		explicit_bzero(cfg->eaps[i].secret, cfg->eaps[i].len);
		free(cfg->eaps[i].secret);
		free(cfg->eaps[i].ids);
	}
	free(cfg->eaps);
	free(cfg->pools);
	creds_put(cfg->creds);
	free(cfg);
}

const struct conn *config_find_conn(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nconns; i++)
		if (!strcmp(cfg->conns[i]->name, name))
			return cfg->conns[i];
	return NULL;
}

const struct pool *config_find_pool(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->npools; i++)
		if (!strcmp(cfg->pools[i].name, name))
			return &cfg->pools[i];
	return NULL;
}

const struct conn *config_find_child(const struct config *cfg, const char *name,
				     const struct child_cfg **child)
{
	for (size_t i = 0; i < cfg->nconns; i++)
		for (size_t j = 0; j < cfg->conns[i]->nchildren; j++)
			if (!strcmp(cfg->conns[i]->children[j].name, name)) {
				*child = &cfg->conns[i]->children[j];
				return cfg->conns[i];
			}
	return NULL;
}

const struct psk *config_find_psk(const struct config *cfg, const struct ike_id *me,
				  const struct ike_id *other)
{
	const struct psk *best = NULL;
	int best_score = 0;

	for (size_t i = 0; i < cfg->npsks; i++) {
		const struct psk *k = &cfg->psks[i];
		bool has_me = false, has_other = false;
		int score;

		for (size_t j = 0; j < k->nids; j++) {
			has_me = has_me || (k->ids[j].type != IKE_ID_ANY && id_matches(&k->ids[j], me));
			has_other = has_other ||
				    (k->ids[j].type != IKE_ID_ANY && id_matches(&k->ids[j], other));
		}
		if (!k->nids)
			score = 1;
		else if (has_me && has_other)
			score = 4;
		else if (has_other)
			score = 3;
		else if (has_me)
			score = 2;
		else
			continue;
		if (score > best_score) {
			best = k;
			best_score = score;
		}
	}
	return best;
}

const struct psk *config_find_eap(const struct config *cfg, const struct ike_id *user,
				  const struct ike_id *other)
{
	const struct psk *best = NULL;

	for (size_t i = 0; i < cfg->neaps; i++) {
		const struct psk *k = &cfg->eaps[i];
		bool has_user = false, has_other = false;

		for (size_t j = 0; j < k->nids; j++) {
			has_user = has_user || (k->ids[j].type != IKE_ID_ANY &&
						id_matches(&k->ids[j], user));
			has_other = has_other || (other && k->ids[j].type != IKE_ID_ANY &&
						  id_matches(&k->ids[j], other));
		}
		if (has_user && has_other)
			return k;
		if (has_user && !best)
			best = k;
	}
	return best;
}

bool addr_spec_match(const struct addr_spec *specs, size_t n, const struct addr *a)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++) {
		const struct addr_spec *s = &specs[i];

		switch (s->kind) {
		case ADDR_ANY:
			return true;
		case ADDR_ANY4:
			if (a->family == AF_INET)
				return true;
			break;
		case ADDR_ANY6:
			if (a->family == AF_INET6)
				return true;
			break;
		case ADDR_RANGE:
			if (a->family == s->lo.family && addr_cmp(&s->lo, a) <= 0 &&
			    addr_cmp(a, &s->hi) <= 0)
				return true;
			break;
		case ADDR_NAME:
			/* A name matches the addresses it resolved to at load. */
			for (size_t j = 0; j < s->nresolved; j++)
				if (addr_equal(&s->resolved[j], a))
					return true;
			break;
		}
	}
	return false;
}

void config_resolve_names(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nconns; i++) {
		struct conn *c = cfg->conns[i];
		struct addr_spec *lists[2] = { c->local_addrs, c->remote_addrs };
		size_t counts[2] = { c->nlocal_addrs, c->nremote_addrs };

		for (int l = 0; l < 2; l++)
			for (size_t j = 0; j < counts[l]; j++)
				if (lists[l][j].kind == ADDR_NAME)
					addr_spec_resolve(&lists[l][j]);
	}
}

int addr_spec_resolve(struct addr_spec *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res, *r;
	int rc = getaddrinfo(s->name, NULL, &hints, &res);

	s->nresolved = 0;
	if (rc)
		return rc;
	for (r = res; r && s->nresolved < ADDR_SPEC_RESOLVED; r = r->ai_next) {
		struct endpoint e;

		endpoint_from_sockaddr(&e, r->ai_addr);
		if (e.addr.family)
			s->resolved[s->nresolved++] = e.addr;
	}
	freeaddrinfo(res);
	return 0;
}

const char *addr_specs_str(const struct addr_spec *specs, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	snprintf(buf, len, "%%any");
	for (size_t i = 0; i < n && off < len; i++) {
		char a[ADDR_STRLEN], b[ADDR_STRLEN];
		const struct addr_spec *s = &specs[i];
		int w;

		switch (s->kind) {
		case ADDR_ANY: w = snprintf(buf + off, len - off, "%s%%any", i ? "," : ""); break;
		case ADDR_ANY4: w = snprintf(buf + off, len - off, "%s%%any4", i ? "," : ""); break;
		case ADDR_ANY6: w = snprintf(buf + off, len - off, "%s%%any6", i ? "," : ""); break;
		case ADDR_NAME: w = snprintf(buf + off, len - off, "%s%s", i ? "," : "", s->name); break;
		default:
			if (addr_equal(&s->lo, &s->hi))
				w = snprintf(buf + off, len - off, "%s%s", i ? "," : "",
					     addr_str(&s->lo, a, sizeof(a)));
			else
				w = snprintf(buf + off, len - off, "%s%s-%s", i ? "," : "",
					     addr_str(&s->lo, a, sizeof(a)),
					     addr_str(&s->hi, b, sizeof(b)));
		}
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}
