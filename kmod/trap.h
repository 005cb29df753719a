/* SPDX-License-Identifier: GPL-2.0 */
/* Trap selectors (trap.c): selectors without an SA, raising ACQUIRE. */
#ifndef KESP_TRAP_H
#define KESP_TRAP_H

#include <linux/atomic.h>
#include <linux/rcupdate.h>

#include "device.h"
#include "selector.h"

/* A selector with no SA behind it: packets on it raise ACQUIRE. */
struct kesp_trap {
	struct rcu_head rcu;
	struct kesp_device *kd;
	u32 id, reqid, priority;
	struct kesp_sel sel;
	unsigned long next_acquire;	/* jiffies: the next event's earliest */
	atomic64_t hits, acquires;
};

struct kesp_trap *kesp_owner_trap(void *owner);
struct kesp_trap *kesp_trap_add(struct kesp_device *kd,
				const struct kesp_sel *sel, u32 reqid,
				u32 priority, struct netlink_ext_ack *extack);
void kesp_trap_del(struct kesp_trap *trap);
int kesp_trap_flush(struct kesp_device *kd);
void kesp_trap_hit(struct kesp_trap *trap, const struct kesp_flow *flow);

#endif /* KESP_TRAP_H */
