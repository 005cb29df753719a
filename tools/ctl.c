// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

static void report(const char *what, bool hint, const char *fmt, va_list ap)
{
	char message[448];

	vsnprintf(message, sizeof(message), fmt, ap);
	fprintf(stderr, "kespctl: %s%s%s%s\n", what ? what : "", what ? ": " : "",
		message, hint ? " (see kespctl help)" : "");
}

void ctl_error(const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(what, false, fmt, ap);
	va_end(ap);
}

int ctl_usage(const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(what, true, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int ctl_kernel_error(const struct kesp_nl *nl, const char *what, int err)
{
	if (nl && nl->error[0])
		ctl_error(what, "%s (%s)", nl->error, strerror(-err));
	else
		ctl_error(what, "%s", strerror(-err));
	return EXIT_KERNEL;
}

struct kesp_nl *ctl_nl(struct ctl *c)
{
	if (!c->nl_open) {
		if (kesp_nl_open(&c->nl) < 0) {
			ctl_error(NULL, "%s", c->nl.error);
			return NULL;
		}
		c->nl_open = true;
	}
	return &c->nl;
}

/* A queued line: what to name if it fails. */
struct queued_line {
	struct ctl *c;
	struct queued_line *next, **prev;
	char what[32];
	char where[];
};

static void queued_unlink(struct queued_line *q)
{
	*q->prev = q->next;
	if (q->next)
		q->next->prev = q->prev;
}

static void on_queued_done(const struct kesp_nl_result *res, void *arg)
{
	struct queued_line *q = arg;

	if (res->error) {
		/* As ctl_kernel_error() and batch_run() say it. */
		if (res->message[0])
			ctl_error(q->what, "%s (%s)", res->message, strerror(-res->error));
		else
			ctl_error(q->what, "%s", strerror(-res->error));
		ctl_error(q->where, "command failed");
		if (q->c->pipeline_status < EXIT_KERNEL)
			q->c->pipeline_status = EXIT_KERNEL;
	}
	queued_unlink(q);
	free(q);
}

int ctl_queue(struct ctl *c, struct nl_msg *req, const char *what)
{
	size_t where_size = strlen(c->where) + 1;
	struct queued_line *q = malloc(sizeof(*q) + where_size);

	if (q) {
		q->c = c;
		snprintf(q->what, sizeof(q->what), "%s", what);
		memcpy(q->where, c->where, where_size);
		q->next = c->queued;
		q->prev = &c->queued;
		if (c->queued)
			c->queued->prev = &q->next;
		c->queued = q;
	}
	if (!q || kesp_nl_queue(&c->nl, req, NULL, on_queued_done, q) < 0) {
		if (!q)
			kesp_nl_free_request(req);
		else
			queued_unlink(q);
		free(q);
		ctl_settle(c);
		ctl_error(what, "out of memory");
		return EXIT_KERNEL;
	}
	if (kesp_nl_pending(&c->nl) >= KESP_NL_IN_FLIGHT_MAX)
		ctl_settle(c);
	return 0;
}

int ctl_settle(struct ctl *c)
{
	struct kesp_nl *nl = &c->nl;

	if (!c->nl_open || !kesp_nl_pending(nl))
		return c->pipeline_status;
	kesp_nl_flush(nl);
	while (kesp_nl_pending(nl)) {
		/* The kernel answers while the requests are sent: read first. */
		int ret = kesp_nl_receive(nl);

		if (!ret && kesp_nl_pending(nl))
			ret = kesp_nl_wait(nl, -1);
		/* ENOBUFS ends each request in flight, reported by its line. */
		if (ret < 0 && ret != -EINTR && ret != -ENOBUFS && ret != -EPROTO) {
			ctl_error(NULL, "netlink: %s: the outcome of the last %u lines is unknown",
				  strerror(-ret), kesp_nl_pending(nl));
			ctl_end(c);
			c->pipeline_status = EXIT_KERNEL;
			break;
		}
	}
	return c->pipeline_status;
}

bool ctl_stdout_discarded(void)
{
	struct stat out, null;

	return fstat(STDOUT_FILENO, &out) == 0 && S_ISCHR(out.st_mode) &&
	       stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) &&
	       out.st_rdev == null.st_rdev;
}

void ctl_end(struct ctl *c)
{
	if (c->nl_open)
		kesp_nl_close(&c->nl);
	c->nl_open = false;
	/* Lines whose answers never came: the socket failed (ctl_settle said so). */
	while (c->queued) {
		struct queued_line *q = c->queued;

		queued_unlink(q);
		free(q);
	}
}

int ctl_enter_netns(const char *name)
{
	char path[4096];
	int fd, err;

	/* As ip -n: a name under /run/netns, or a path (/proc/PID/ns/net). */
	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else if (!name[0] || !strcmp(name, ".") || !strcmp(name, ".."))
		return ctl_usage(NULL, "bad network namespace name \"%s\"", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ctl_error("netns", "cannot open %s: %s", path, strerror(errno));
		return EXIT_KERNEL;
	}
	err = setns(fd, CLONE_NEWNET);
	if (err < 0)
		ctl_error("netns", "cannot enter %s: %s", path, strerror(errno));
	close(fd);
	return err < 0 ? EXIT_KERNEL : 0;
}
