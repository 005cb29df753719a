/* SPDX-License-Identifier: GPL-2.0 */
/* The event loop (loop.c) and the sockets it watches (net.c, control.c). */
#ifndef KESP_LOOP_H
#define KESP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"

struct loop_fd {
	int fd;
	void (*fn)(void *arg, int fd);
	void *arg;
	uint32_t revents;	/* the EPOLL* events of this round, for FN */
	struct loop_fd *next;
};

struct loop {
	int ep, tfd;
	int rtnl_fd;		/* rtnetlink address and route changes; -1: none */
	struct loop_fd tfd_entry;
	struct loop_fd *fds, *dead;
	struct daemon *d;
	bool stop;
};

uint64_t loop_now_ms(void);
int loop_init(struct loop *l);
/* Watches FD for input: FN(ARG, FD). NULL on failure. */
struct loop_fd *loop_add(struct loop *l, int fd, void (*fn)(void *arg, int fd), void *arg);
/* The same for EVENTS (EPOLLIN, EPOLLOUT), changed later by loop_mod. */
struct loop_fd *loop_add_events(struct loop *l, int fd, uint32_t events,
				void (*fn)(void *arg, int fd), void *arg);
int loop_mod(struct loop *l, struct loop_fd *e, uint32_t events);
void loop_del(struct loop *l, struct loop_fd *e);
/* Watches K's events socket (kesp.ko's KESP_MCGRP_EVENTS); -1 when it has
 * none. */
int loop_add_kernel(struct loop *l, struct kernel *k);
/* Watches the host's address and route changes (rtnetlink) for MOBIKE. */
int loop_watch_addresses(struct loop *l);
/* Runs until l->stop. */
void loop_run(struct loop *l);
void loop_free(struct loop *l);

/* ---- net.c: the IKE sockets ---------------------------------------------- */

#define NET_ENCAP_MAX 16

struct net_sock_arg {
	struct net *n;
	uint16_t port;
};

struct net {
	struct loop *loop;
	struct daemon *d;
	uint16_t port, port_nat_t;
	uint32_t mark;
	/* [family v4/v6][500/4500]; -1 when absent */
	int fd[2][2];
	/* 4500 sockets handed to devices beyond the first (SO_REUSEPORT) */
	int encap[NET_ENCAP_MAX];
	size_t nencap;
	bool encap_given[2];
	struct net_sock_arg args[4 + NET_ENCAP_MAX];
	size_t nargs;
	uint8_t buf[65536 + 4];
};

extern const struct io_ops net_io_ops;

/* Opens and watches UDP PORT and PORT_NAT_T on IPv4 and IPv6 (whichever
 * the host has). 0, or -errno with a reason in WHY. */
int net_open(struct net *n, struct loop *l, uint16_t port, uint16_t port_nat_t, uint32_t mark,
	     char *why, size_t whylen);
void net_close(struct net *n);
/* A NAT-T socket of FAMILY for a device (daemon.encap_fd). */
int net_encap_fd(void *ctx, int family);

/* ---- control.c: the control socket --------------------------------------- */

#define CONTROL_PATH "/run/kesp/ikehelper.sock"

struct control;
/* Listens on PATH (root only). NULL with a reason in WHY. */
struct control *control_open(struct loop *l, struct daemon *d, const char *path,
			     const char *config_path, char *why, size_t whylen);
void control_close(struct control *c);

#endif /* KESP_LOOP_H */
