// SPDX-License-Identifier: GPL-2.0
/* kespctl -batch: reading commands from a file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include "batch.h"
#include "ctl.h"

/*
 * isspace() in the C locale (kespctl never sets another): " \t\n\v\f\r".
 * Not isspace() itself, a call to find the locale's table per character:
 * half of the tool's instructions for a -batch of SAs went to splitting.
 */
static bool is_blank(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Whether C ends a word or changes how the next ones are read. */
static const bool special[256] = {
	['\0'] = true, [' '] = true, ['\t'] = true, ['\n'] = true,
	['\v'] = true, ['\f'] = true, ['\r'] = true, ['"'] = true,
	['\''] = true, ['\\'] = true,
};

static bool is_special(char c)
{
	return special[(unsigned char)c];
}

int batch_split(char *line, char **argv, int max, const char **err)
{
	char *in = line, *out = line;
	int argc = 0;

	for (;;) {
		char quote = 0;

		while (is_blank(*in))
			in++;
		if (!*in || *in == '#')
			return argc;
		if (argc == max) {
			*err = "too many words";
			return -1;
		}
		argv[argc++] = out;
		/* Most words are plain: they stay where they are. */
		if (out == in) {
			while (!is_special(*in))
				in++;
			out = in;
		}
		/* One word: until a blank outside quotes. */
		for (; *in && (quote || !is_blank(*in)); in++) {
			if (*in == quote) {
				quote = 0;
			} else if (!quote && (*in == '"' || *in == '\'')) {
				quote = *in;
			} else if (*in == '\\' && quote != '\'') {
				if (!in[1]) {
					*err = "a backslash ends the line";
					return -1;
				}
				*out++ = *++in;
			} else {
				*out++ = *in;
			}
		}
		if (quote) {
			*err = quote == '"' ? "unterminated \" quote" :
					      "unterminated ' quote";
			return -1;
		}
		/* The word's end may overwrite the blank after it, never beyond. */
		if (*in)
			in++;
		*out++ = '\0';
	}
}

/* A command's text, in a buffer that is wiped whenever it is let go. */
struct text {
	char *s;
	size_t len, size;
};

static int text_append(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->size) {
		size_t size = 2 * (t->len + n + 1);
		char *grown = malloc(size);

		if (!grown)
			return -1;
		if (t->s) {
			memcpy(grown, t->s, t->len);
			explicit_bzero(t->s, t->size);
			free(t->s);
		}
		t->s = grown;
		t->size = size;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
	return 0;
}

/*
 * What is read from the file passes through CHUNK, which the caller wipes
 * once at the end: not 4 KiB more to clear for every line.
 */
#define CHUNK_SIZE 4096

/*
 * Reads the next command into T: a line, and the ones a backslash at the
 * end of a line joins to it, as ip -batch does. *LINENO is advanced past
 * them. Returns 1, 0 at the end of the file, -1 when out of memory.
 */
static int read_command(FILE *f, char chunk[CHUNK_SIZE], struct text *t,
			unsigned long *lineno)
{
	int ret = 0;

	t->len = 0;
	while (fgets(chunk, CHUNK_SIZE, f)) {
		size_t n = strlen(chunk);

		ret = 1;
		if (text_append(t, chunk, n) < 0) {
			ret = -1;
			break;
		}
		if (chunk[n - 1] != '\n' && !feof(f))
			continue;	/* the rest of a long line */
		++*lineno;
		if (t->len >= 2 && !strcmp(t->s + t->len - 2, "\\\n")) {
			t->len -= 2;
			continue;
		}
		break;
	}
	return ret;
}

int batch_run(const char *path, bool force,
	      int (*run)(void *arg, const char *where, int argc, char **argv),
	      int (*settle)(void *arg), void *arg)
{
	bool from_stdin = !strcmp(path, "-");
	FILE *f = from_stdin ? stdin : fopen(path, "r");
	char *argv[BATCH_MAX_WORDS + 1];
	unsigned long lineno = 0, first;
	struct text cmd = { NULL, 0, 0 };
	char chunk[CHUNK_SIZE];
	int status = 0, got;
	/* "FILE:LINE" or "-batch FILE", naming what failed. */
	char where[PATH_MAX + 32];

	if (!f) {
		snprintf(where, sizeof(where), "-batch %s", path);
		ctl_error(where, "%s", strerror(errno));
		return EXIT_USAGE;
	}
	for (first = 1; (got = read_command(f, chunk, &cmd, &lineno)) > 0;
	     first = lineno + 1) {
		const char *err = NULL;
		int argc, ret;

		argc = batch_split(cmd.s, argv, BATCH_MAX_WORDS, &err);
		if (argc == 0)
			continue;
		snprintf(where, sizeof(where), "%s:%lu", path, first);
		if (argc < 0) {
			/* The lines before it are reported first. */
			if (settle && (ret = settle(arg)) > status)
				status = ret;
			ret = ctl_usage(where, "%s", err);
		} else {
			argv[argc] = NULL;
			ret = run(arg, where, argc, argv);
			/* What the command printed belongs before the next one's errors. */
			fflush(stdout);
		}
		if (!ret)
			continue;
		if (argc >= 0)
			ctl_error(where, "command failed");
		if (ret > status)
			status = ret;
		if (!force)
			break;
	}
	if (settle) {
		int pending = settle(arg);

		if (pending > status)
			status = pending;
	}
	if (got < 0) {
		ctl_error(NULL, "out of memory");
		status = EXIT_KERNEL;
	} else if (ferror(f) && !status) {
		snprintf(where, sizeof(where), "-batch %s", path);
		ctl_error(where, "%s", strerror(errno));
		status = EXIT_USAGE;
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (cmd.s)
		explicit_bzero(cmd.s, cmd.size);
	free(cmd.s);
	if (!from_stdin)
		fclose(f);
	return status;
}
