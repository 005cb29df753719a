// SPDX-License-Identifier: GPL-2.0
/*
 * ikehelper/service.c: the sd_notify datagrams a Type=notify unit reads (a
 * path socket and an abstract one, as systemd may hand out either), and the
 * capability drop, in a child process so this one keeps its own.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "service.h"
#include "tap.h"

/* A datagram socket bound to NAME (path, or "@abstract"); -1 on failure. */
static int listen_at(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(sun.sun_path, name, n);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void one(const char *name, const char *what)
{
	char buf[256];
	ssize_t n;
	int fd = listen_at(name);

	if (!tap_ok(fd >= 0, "%s: a socket to listen on", what))
		return;
	setenv("NOTIFY_SOCKET", name, 1);
	TAP_EQ_INT(service_notify("READY=1\nSTATUS=2 connections"), 0, "service_notify sends");
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	TAP_EQ_STR(buf, "READY=1\nSTATUS=2 connections", "the datagram is the state, as sent");
	close(fd);
}

/* Fields "CapEff:" etc. of /proc/self/status, as a number. */
static unsigned long long cap_field(const char *field)
{
	char line[256];
	unsigned long long v = ~0ull;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = strtoull(line + strlen(field), NULL, 16);
	if (f)
		fclose(f);
	return v;
}

static void drop(void)
{
	int status = 0;
	pid_t pid;

	if (geteuid() != 0 || cap_field("CapEff:") == 0) {
		tap_ok(1, "# SKIP the capability drop needs root with capabilities");
		return;
	}
	pid = fork();
	if (pid == 0) {
		char why[160] = "";
		int rc = service_drop_capabilities(why, sizeof(why));

		if (rc)
			printf("# %s\n", why);
		/* 1 << 12 is CAP_NET_ADMIN: the only one left, and the
		 * bounding set (root here has CAP_SETPCAP) is only it too. */
		_exit(rc ? 1 : cap_field("CapEff:") != 0x1000 ? 2 : cap_field("CapPrm:") != 0x1000 ? 3 :
		      cap_field("CapInh:") != 0 ? 4 : cap_field("CapAmb:") != 0 ? 5 :
		      cap_field("CapBnd:") != 0x1000 ? 6 : 0);
	}
	waitpid(pid, &status, 0);
	TAP_EQ_INT(WIFEXITED(status) ? WEXITSTATUS(status) : 100, 0,
		   "after the drop: CAP_NET_ADMIN effective, permitted and bounding; nothing else");
}

int main(void)
{
	char path[64];

	unsetenv("NOTIFY_SOCKET");
	TAP_EQ_INT(service_notify("READY=1"), 0, "no NOTIFY_SOCKET: nothing to do, no error");
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	TAP_EQ_INT(service_notify("READY=1"), -EINVAL, "a NOTIFY_SOCKET that is no path: -EINVAL");
	snprintf(path, sizeof(path), "/tmp/kesp-notify-%d", (int)getpid());
	one(path, "a path socket");
	unlink(path);
	snprintf(path, sizeof(path), "@kesp-notify-%d", (int)getpid());
	one(path, "an abstract socket");
	setenv("NOTIFY_SOCKET", "/nonexistent/kesp/notify", 1);
	tap_ok(service_notify("READY=1") < 0, "no one listening: an error, not a hang");
	unsetenv("NOTIFY_SOCKET");
	drop();
	return tap_done();
}
