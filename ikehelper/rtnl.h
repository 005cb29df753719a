/* SPDX-License-Identifier: GPL-2.0 */
/* rtnetlink requests of the kernel backend (see rtnl.c). */
#ifndef KESP_RTNL_H
#define KESP_RTNL_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "kernel.h"

struct nl_sock;

struct rtnl {
	struct nl_sock *sk;
	char error[256];
};

int rtnl_open(struct rtnl *r);
void rtnl_close(struct rtnl *r);
/* 0, or -EEXIST when NAME exists, or another -errno with r->error. */
int rtnl_link_create(struct rtnl *r, const char *name, const char *kind);
int rtnl_link_up(struct rtnl *r, uint32_t ifindex);
/* "not fwmark MARK lookup TABLE" at PRIORITY for FAMILY; present already is fine. */
int rtnl_rule_not_fwmark(struct rtnl *r, int family, uint32_t mark, uint32_t table,
			 uint32_t priority);
int rtnl_route_add(struct rtnl *r, const struct kernel_route *rt);
int rtnl_route_del(struct rtnl *r, const struct kernel_route *rt);
/* Adds (ADD) or removes address A/BITS on IFINDEX; -EEXIST when it is there. */
int rtnl_addr(struct rtnl *r, bool add, uint32_t ifindex, const struct addr *a, uint8_t bits);
/* Calls FN for each address of the host until it returns non-zero;
 * returns 1 if it did, 0 if not, or -errno. */
int rtnl_addr_walk(struct rtnl *r, int (*fn)(const struct addr *a, void *arg), void *arg);

#endif /* KESP_RTNL_H */
