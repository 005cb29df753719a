/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kespctl -batch FILE: one command per line, as `ip -batch` reads them, so
 * a configuration of many SAs costs one process and one netlink socket.
 */
#ifndef KESP_BATCH_H
#define KESP_BATCH_H

#include <stdbool.h>

/* The most words one line may have. */
#define BATCH_MAX_WORDS 512

/*
 * Splits LINE in place into at most MAX words (ARGV points into LINE).
 * Words are separated by blanks; "..." and '...' keep blanks (and the
 * other quote) in a word, a backslash outside single quotes takes the next
 * character as it is, and a '#' that starts a word ends the line. Returns
 * the number of words, or -1 with *ERR saying why.
 */
int batch_split(char *line, char **argv, int max, const char **err);

/*
 * Runs every line of PATH ("-": standard input) through RUN (argv[0] is
 * the command; WHERE names the line, "PATH:LINE"; ARG is passed on),
 * stopping at the first that fails unless FORCE. A line that ends in a
 * backslash goes on on the next. A command that fails is named on stderr
 * as PATH:LINE, the line it starts on.
 *
 * With FORCE, RUN may leave a command's outcome pending (returning 0):
 * it then reports a failure itself, the same two lines (its error, then
 * "PATH:LINE: command failed") in the order of the lines. SETTLE (if
 * not NULL) waits for the ones still pending and returns the highest
 * exit status among those that failed; it is called before a line that
 * does not split is reported, and at the end.
 *
 * Returns 0, or the exit status of the first failure (FORCE: the
 * highest); 2 if PATH cannot be read.
 */
int batch_run(const char *path, bool force,
	      int (*run)(void *arg, const char *where, int argc, char **argv),
	      int (*settle)(void *arg), void *arg);

#endif /* KESP_BATCH_H */
