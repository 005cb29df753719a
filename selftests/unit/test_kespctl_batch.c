// SPDX-License-Identifier: GPL-2.0
/*
 * kespctl -batch without a kernel: how a line splits into words (as ip
 * -batch splits them), and how a file's commands run, stop at the first
 * failure or go on with -force, and name the failing line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "ctl.h"
#include "tap.h"

/* LINE's words joined by '|', or "error: WHY". */
static const char *split(const char *line)
{
	static char out[512];
	char buf[512], *argv[8];
	const char *err = NULL;
	int n;

	snprintf(buf, sizeof(buf), "%s", line);
	n = batch_split(buf, argv, 8, &err);
	if (n < 0) {
		snprintf(out, sizeof(out), "error: %s", err);
		return out;
	}
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		strcat(out, i ? "|" : "");
		strcat(out, argv[i]);
	}
	return out;
}

/* What the fake commands saw, and which ones fail with which status. */
static char seen[65536];

static int fake_run(void *arg, const char *where, int argc, char **argv)
{
	(void)arg;
	(void)where;
	strcat(seen, "[");
	for (int i = 0; i < argc; i++) {
		strcat(seen, i ? " " : "");
		strcat(seen, argv[i]);
	}
	strcat(seen, "]");
	if (!strcmp(argv[0], "fail1"))
		return 1;
	if (!strcmp(argv[0], "fail2"))
		return 2;
	return 0;
}

/*
 * A fake of kespctl -force's queued lines: "q..." commands are left
 * pending (their lines remembered), and settle_queued() reports the
 * "qfail" ones as kespctl does, in order, and returns status 1 if any
 * has failed so far. As in kespctl, other commands settle first.
 */
static char queued[16][64];
static int nqueued, settles, queued_status;

static int settle_queued(void *arg);

static int queue_run(void *arg, const char *where, int argc, char **argv)
{
	if (argv[0][0] != 'q') {
		settle_queued(arg);
		return fake_run(arg, where, argc, argv);
	}
	strcat(seen, "[");
	strcat(seen, argv[0]);
	strcat(seen, "]");
	snprintf(queued[nqueued++], sizeof(queued[0]), "%s %s", argv[0], where);
	return 0;
}

static int settle_queued(void *arg)
{
	(void)arg;
	settles++;
	for (int i = 0; i < nqueued; i++) {
		char *where = strchr(queued[i], ' ') + 1;

		if (strncmp(queued[i], "qfail ", 6))
			continue;
		ctl_error(where, "command failed");
		queued_status = 1;
	}
	nqueued = 0;
	return queued_status;
}

/* batch_run(PATH) with fake_run; *ERRORS gets what it printed on stderr. */
static int run_file_with(const char *path, bool force,
			 int (*run)(void *arg, const char *where, int argc, char **argv),
			 int (*settle)(void *arg), const char **errors)
{
	static char err[1024];
	int saved = dup(2), ret;
	FILE *tmp = tmpfile();
	size_t n;

	if (!tmp)
		abort();
	seen[0] = '\0';
	fflush(stderr);
	dup2(fileno(tmp), 2);
	ret = batch_run(path, force, run, settle, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(err, 1, sizeof(err) - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
	*errors = err;
	return ret;
}

static int run_file(const char *path, bool force, const char **errors)
{
	return run_file_with(path, force, fake_run, NULL, errors);
}

/* A batch of TEXT; its file's name reads "F" in *ERRORS. */
static int run_text_with(const char *text, bool force,
			 int (*run)(void *arg, const char *where, int argc, char **argv),
			 int (*settle)(void *arg), const char **errors)
{
	char path[] = "/tmp/kesp-batch-XXXXXX";
	int fd = mkstemp(path), ret;
	char *err;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	ret = run_file_with(path, force, run, settle, errors);
	unlink(path);
	for (err = (char *)*errors; (err = strstr(err, path));) {
		*err = 'F';
		memmove(err + 1, err + strlen(path), strlen(err + strlen(path)) + 1);
	}
	return ret;
}

static int run_text(const char *text, bool force, const char **errors)
{
	return run_text_with(text, force, fake_run, NULL, errors);
}

int main(void)
{
	static const struct {
		const char *line, *want;
	} splits[] = {
		{ "sa list", "sa|list" },
		{ "  \tsa   add  dev kesp0\r\n", "sa|add|dev|kesp0" },
		{ "", "" },
		{ "   \n", "" },
		{ "# a comment", "" },
		{ "sa list # why", "sa|list" },
		{ "key a#b", "key|a#b" },
		{ "aead rfc4106(gcm(aes)) 0x00", "aead|rfc4106(gcm(aes))|0x00" },
		{ "enc cipher_null \"\"", "enc|cipher_null|" },
		{ "a \"b c\" 'd \"e'", "a|b c|d \"e" },
		{ "x\"y z\"w", "xy zw" },
		{ "a\\ b c", "a b|c" },
		{ "a\vb\fc", "a|b|c" },
		{ "plain\\ x 'q' \"r\"s", "plain x|q|rs" },
		{ "'a\\b'", "a\\b" },
		{ "\"a\\\"b\"", "a\"b" },
		{ "a \"b", "error: unterminated \" quote" },
		{ "a 'b", "error: unterminated ' quote" },
		{ "a \\", "error: a backslash ends the line" },
		{ "1 2 3 4 5 6 7 8", "1|2|3|4|5|6|7|8" },
		{ "1 2 3 4 5 6 7 8 9", "error: too many words" },
	};
	const char *err;
	int ret;

	for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		char name[160];

		snprintf(name, sizeof(name), "split \"%s\"", splits[i].line);
		TAP_EQ_STR(split(splits[i].line), splits[i].want, name);
	}

	ret = run_text("one a\n\n# skip\ntwo \"b c\"\nthree", false, &err);
	TAP_EQ_INT(ret, 0, "a batch that succeeds exits 0");
	TAP_EQ_STR(seen, "[one a][two b c][three]",
		   "every command runs, blank and comment lines skipped, the last without a newline");
	TAP_EQ_STR(err, "", "and nothing is printed on stderr");

	ret = run_text("one\nfail1 x\nthree\n", false, &err);
	TAP_EQ_INT(ret, 1, "a failing command's status is the batch's");
	TAP_EQ_STR(seen, "[one][fail1 x]", "the batch stops at the first failure");
	TAP_EQ_STR(err, "kespctl: F:2: command failed\n", "the failing line is named");

	ret = run_text("fail1\nok\nfail2\nfail1\nok\n", true, &err);
	TAP_EQ_INT(ret, 2, "-force: the highest status");
	TAP_EQ_STR(seen, "[fail1][ok][fail2][fail1][ok]", "-force runs every line");
	TAP_EQ_STR(err, "kespctl: F:1: command failed\nkespctl: F:3: command failed\n"
		   "kespctl: F:4: command failed\n", "-force names every failing line");

	ret = run_text("one\nbad \"quote\nthree\n", false, &err);
	TAP_EQ_INT(ret, 2, "a line that does not split is a usage error");
	TAP_EQ_STR(seen, "[one]", "and stops the batch");
	TAP_EQ_STR(err, "kespctl: F:2: unterminated \" quote (see kespctl help)\n",
		   "naming the line and what is wrong");

	ret = run_text("one \\\n  a \\\nb\nfail1 \\\nx\n", false, &err);
	TAP_EQ_INT(ret, 1, "continued lines: the status of the failing command");
	TAP_EQ_STR(seen, "[one a b][fail1 x]",
		   "a backslash at the end of a line joins the next to it");
	TAP_EQ_STR(err, "kespctl: F:4: command failed\n",
		   "a failing command is named by the line it starts on");

	{
		/* A line longer than any buffer of the reader. */
		static char lng[20000];

		memset(lng, 'x', sizeof(lng) - 3);
		memcpy(lng, "one ", 4);
		lng[sizeof(lng) - 3] = '\n';
		memcpy(lng + sizeof(lng) - 2, "z", 2);
		ret = run_text(lng, false, &err);
		/* "[one " + the x's + "]" + "[z]" */
		size_t xs = sizeof(lng) - 3 - 4;

		TAP_EQ_INT(ret, 0, "a line of 20000 bytes runs");
		TAP_EQ_INT(strlen(seen), 5 + xs + 1 + 3,
			   "it is read whole, and the next line after it");
	}

	ret = run_text("bad 'q\nok\n", true, &err);
	TAP_EQ_INT(ret, 2, "-force goes on after a line that does not split");
	TAP_EQ_STR(seen, "[ok]", "running the lines after it");

	{
		char big[BATCH_MAX_WORDS * 2 + 16];
		size_t n = 0;

		for (int i = 0; i <= BATCH_MAX_WORDS; i++)
			big[n++] = 'w', big[n++] = ' ';
		big[n++] = '\n';
		big[n] = '\0';
		ret = run_text(big, false, &err);
		TAP_EQ_STR(err, "kespctl: F:1: too many words (see kespctl help)\n",
			   "a line of more than BATCH_MAX_WORDS words is refused");
	}

	settles = nqueued = queued_status = 0;
	ret = run_text_with("qok\nqfail\nfail2\nqfail\nbad 'q\nqok\nqfail\n", true,
			    queue_run, settle_queued, &err);
	TAP_EQ_INT(ret, 2, "pending lines: the status is the highest, theirs included");
	TAP_EQ_STR(seen, "[qok][qfail][fail2][qfail][qok][qfail]", "pending lines: every line runs");
	TAP_EQ_STR(err, "kespctl: F:2: command failed\nkespctl: F:3: command failed\n"
		   "kespctl: F:4: command failed\nkespctl: F:5: unterminated ' quote (see kespctl help)\n"
		   "kespctl: F:7: command failed\n",
		   "pending lines: each failure named by its line, in the order of the lines");
	TAP_EQ_INT(settles, 3, "pending lines: settled before another command, a line that does not split, and at the end");
	settles = nqueued = queued_status = 0;
	ret = run_text_with("qok\nqfail\n", true, queue_run, settle_queued, &err);
	TAP_EQ_INT(ret, 1, "pending lines: a failure settled at the end sets the status");

	ret = run_file("/nonexistent/batch", false, &err);
	TAP_EQ_INT(ret, 2, "a file that cannot be read: exit 2");
	TAP_EQ_STR(err, "kespctl: -batch /nonexistent/batch: No such file or directory\n",
		   "with the reason");
	TAP_EQ_STR(seen, "", "and nothing runs");
	return tap_done();
}
