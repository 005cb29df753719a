// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop: one epoll over the UDP sockets, the control socket and a
 * signalfd, plus one timerfd armed for the daemon's earliest timer. A
 * single thread; every handler runs to completion, then the loop frees
 * the IKE SAs that died meanwhile (daemon_reap).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	l->rtnl_fd = -1;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->ep < 0 || l->tfd < 0)
		return -errno;
	l->tfd_entry.fd = l->tfd;
	return epoll_ctl(l->ep, EPOLL_CTL_ADD, l->tfd,
			 &(struct epoll_event){ .events = EPOLLIN, .data.ptr = &l->tfd_entry }) ?
	       -errno : 0;
}

struct loop_fd *loop_add(struct loop *l, int fd, void (*fn)(void *arg, int fd), void *arg)
{
	return loop_add_events(l, fd, EPOLLIN, fn, arg);
}

int loop_mod(struct loop *l, struct loop_fd *e, uint32_t events)
{
	return epoll_ctl(l->ep, EPOLL_CTL_MOD, e->fd,
			 &(struct epoll_event){ .events = events, .data.ptr = e }) ? -errno : 0;
}

struct loop_fd *loop_add_events(struct loop *l, int fd, uint32_t events,
				void (*fn)(void *arg, int fd), void *arg)
{
	struct loop_fd *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->fd = fd;
	e->fn = fn;
	e->arg = arg;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd,
		      &(struct epoll_event){ .events = events, .data.ptr = e })) {
		free(e);
		return NULL;
	}
	e->next = l->fds;
	l->fds = e;
	return e;
}

void loop_del(struct loop *l, struct loop_fd *e)
{
	struct loop_fd **pp;

	if (!e)
		return;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, e->fd, NULL);
	for (pp = &l->fds; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	/* Handlers may delete entries of this round: free after it. */
	e->next = l->dead;
	e->fn = NULL;
	l->dead = e;
}

static void on_kernel_events(void *arg, int fd)
{
	struct kernel *k = arg;

	(void)fd;
	k->ops->events_read(k);
}

int loop_add_kernel(struct loop *l, struct kernel *k)
{
	int fd = k->ops->events_fd(k);

	if (fd < 0)
		return -1;
	return loop_add(l, fd, on_kernel_events, k) ? 0 : -1;
}

/* Any address or route change: what it was does not matter, each MOBIKE
 * IKE SA asks the kernel for its path again (mobike.c). */
static void on_rtnl(void *arg, int fd)
{
	struct loop *l = arg;
	char buf[8192];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == ENOBUFS)
		;
	mobike_roam(l->d);
}

int loop_watch_addresses(struct loop *l)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
			     RTMGRP_IPV6_ROUTE | RTMGRP_LINK,
	};

	l->rtnl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (l->rtnl_fd < 0)
		return -errno;
	if (bind(l->rtnl_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    !loop_add(l, l->rtnl_fd, on_rtnl, l)) {
		int err = -errno;

		close(l->rtnl_fd);
		l->rtnl_fd = -1;
		return err ? err : -ENOMEM;
	}
	return 0;
}

static void arm_timer(struct loop *l)
{
	uint64_t next = timers_next(l->d);
	struct itimerspec its = { 0 };

	if (next != UINT64_MAX) {
		uint64_t delta = next > l->d->now ? next - l->d->now : 1;

		its.it_value.tv_sec = (time_t)(delta / 1000);
		its.it_value.tv_nsec = (long)(delta % 1000) * 1000000;
	}
	timerfd_settime(l->tfd, 0, &its, NULL);
}

void loop_run(struct loop *l)
{
	struct epoll_event ev[32];

	while (!l->stop) {
		int n;

		arm_timer(l);
		n = epoll_wait(l->ep, ev, 32, -1);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n && !l->stop; i++) {
			struct loop_fd *e = ev[i].data.ptr;

			l->d->now = loop_now_ms();
			if (e == &l->tfd_entry) {
				uint64_t x;

				if (read(l->tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
					continue;
			} else if (e->fn) {
				e->revents = ev[i].events;
				e->fn(e->arg, e->fd);
			}
			daemon_reap(l->d);
		}
		l->d->now = loop_now_ms();
		timers_run(l->d);
		daemon_reap(l->d);
		while (l->dead) {
			struct loop_fd *e = l->dead;

			l->dead = e->next;
			free(e);
		}
	}
}

void loop_free(struct loop *l)
{
	while (l->fds) {
		struct loop_fd *e = l->fds;

		l->fds = e->next;
		free(e);
	}
	while (l->dead) {
		struct loop_fd *e = l->dead;

		l->dead = e->next;
		free(e);
	}
	if (l->rtnl_fd >= 0)
		close(l->rtnl_fd);
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->ep >= 0)
		close(l->ep);
}
