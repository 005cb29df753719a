/* SPDX-License-Identifier: GPL-2.0 */
/* kespctl encap: ESP-in-UDP sockets (listen, detach). */
#ifndef KESP_ENCAP_H
#define KESP_ENCAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "ctl.h"
#include "parse.h"

struct encap_args {
	bool listen;		/* else detach */
	char dev[IFNAMSIZ];
	struct kesp_addr addr;	/* listen: where to bind, default 0.0.0.0 */
	uint16_t port;		/* listen: default 4500 */
	int family;		/* detach: AF_INET, AF_INET6, or 0 for all */
};

/*
 * "listen dev DEV [addr ADDR] [port PORT]" or "detach dev DEV [family
 * inet|inet6]" into A. Returns 0, or the exit status (2) after printing a
 * one-line error naming the bad token (ctl_usage()).
 */
int encap_parse(int argc, char **argv, struct encap_args *a);

/* Runs "kespctl encap ARGV..."; returns the exit status. */
int cmd_encap(struct ctl *c, int argc, char **argv);

#endif /* KESP_ENCAP_H */
