// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
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
