// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>

#include "json.h"

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->nonempty = false;
}

/*
 * The length of the well-formed UTF-8 sequence at S (Unicode 15, table
 * 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or 0
 * with *BAD set to the length of its maximal invalid prefix (at least 1).
 * S is NUL-terminated, and NUL is never a continuation byte, so no read
 * goes past the end.
 */
static size_t utf8_sequence(const unsigned char *s, size_t *bad)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		lo = s[0] == 0xe0 ? 0xa0 : lo;
		hi = s[0] == 0xed ? 0x9f : hi;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		lo = s[0] == 0xf0 ? 0x90 : lo;
		hi = s[0] == 0xf4 ? 0x8f : hi;
	} else {
		*bad = 1;
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

void json_write_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p) {
		const unsigned char *run = p;
		size_t n, bad = 0;

		/* What needs no escaping goes out in one piece. */
		while (*p >= 0x20 && *p != '"' && *p != '\\' &&
		       (n = utf8_sequence(p, &bad)) > 0)
			p += n;
		if (p > run)
			fwrite(run, 1, (size_t)(p - run), out);
		if (!*p)
			break;
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputs("\\ufffd", out);
		p += *p < 0x80 ? 1 : bad;
	}
	fputc('"', out);
}

/* Separator and key for the next member of the current container. */
static void member(struct json *j, const char *key)
{
	if (j->nonempty)
		fputc(',', j->out);
	j->nonempty = true;
	if (key) {
		json_write_string(j->out, key);
		fputc(':', j->out);
	}
}

static void open_container(struct json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->out);
	j->depth++;
	j->nonempty = false;
}

static void close_container(struct json *j, char c)
{
	/* Closing what was never opened would only break the document. */
	if (!j->depth)
		return;
	fputc(c, j->out);
	j->depth--;
	j->nonempty = true;
	if (!j->depth) {
		fputc('\n', j->out);
		j->nonempty = false;
	}
}

void json_object_begin(struct json *j, const char *key)
{
	open_container(j, key, '{');
}

void json_object_end(struct json *j)
{
	close_container(j, '}');
}

void json_array_begin(struct json *j, const char *key)
{
	open_container(j, key, '[');
}

void json_array_end(struct json *j)
{
	close_container(j, ']');
}

void json_string(struct json *j, const char *key, const char *value)
{
	member(j, key);
	json_write_string(j->out, value);
}

void json_uint(struct json *j, const char *key, uint64_t value)
{
	member(j, key);
	fprintf(j->out, "%" PRIu64, value);
}

void json_int(struct json *j, const char *key, int64_t value)
{
	member(j, key);
	fprintf(j->out, "%" PRId64, value);
}

void json_hex(struct json *j, const char *key, const uint8_t *data, size_t len)
{
	member(j, key);
	fputc('"', j->out);
	for (size_t i = 0; i < len; i++)
		fprintf(j->out, "%02x", data[i]);
	fputc('"', j->out);
}
