// SPDX-License-Identifier: GPL-2.0
/*
 * ikehelper as a system service: the sd_notify datagram protocol (so a
 * Type=notify unit knows when the sockets and the module connection are
 * ready) and the capability drop after start-up. No libsystemd: the
 * protocol is one datagram of "KEY=value" lines to the AF_UNIX socket named
 * by $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/capability.h>

#include "log.h"
#include "service.h"

int service_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	size_t n;
	ssize_t sent;
	int fd, err;

	if (!path || !*path)
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sun.sun_path))
		return -EINVAL;
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
	err = sent < 0 ? -errno : 0;
	close(fd);
	if (err)
		log_msg(LOG_DMN, 1, "sd_notify to %s: %s", path, strerror(-err));
	return err;
}

/*
 * Every capability but CAP_NET_ADMIN goes: the IKE ports are bound before
 * this and never rebound (a reload with new ports says they take effect at
 * the next start), so CAP_NET_BIND_SERVICE is done with. CAP_NET_ADMIN
 * stays for the kesp family, rtnetlink (devices of connections added by a
 * reload), SO_MARK and ENCAP_ATTACH. Reading the configuration and its key
 * files again at a reload needs no capability: they belong to root, whom
 * we stay. The bounding set shrinks too when we may shrink it (not under
 * the unit, whose bounding set is already two capabilities without
 * CAP_SETPCAP), so nothing we could ever exec gets more back.
 */
int service_drop_capabilities(char *why, size_t whylen)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0 } };
	int last = CAP_LAST_CAP;

	for (int cap = 0; cap <= last; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0) {
			last = cap - 1;	/* a kernel older than our headers */
			break;
		}
		if (r == 1 && cap != CAP_NET_ADMIN && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) &&
		    errno != EPERM) {
			snprintf(why, whylen, "PR_CAPBSET_DROP %d: %s", cap, strerror(errno));
			return -1;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		snprintf(why, whylen, "clearing the ambient set: %s", strerror(errno));
		return -1;
	}
	data[0].effective = data[0].permitted = 1u << CAP_NET_ADMIN;
	if (syscall(SYS_capset, &h, data)) {
		snprintf(why, whylen, "capset: %s", strerror(errno));
		return -1;
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &h, data) || data[0].effective != 1u << CAP_NET_ADMIN ||
	    data[0].permitted != 1u << CAP_NET_ADMIN || data[0].inheritable || data[1].effective ||
	    data[1].permitted || data[1].inheritable) {
		snprintf(why, whylen, "capget shows other capabilities than CAP_NET_ADMIN left");
		return -1;
	}
	return 0;
}
