// SPDX-License-Identifier: GPL-2.0
/*
 * Trap selectors: selectors in a device's outbound table with no SA
 * behind them. A packet whose best match is a trap is dropped and asks
 * the key manager for an SA with an ACQUIRE event, once per second per
 * trap at most, so a flood costs one event a second. Traps live in the
 * device's trap table under the underlay's sad_lock; lookups see them
 * through the selector table under RCU.
 */
#include <linux/jiffies.h>
#include <linux/slab.h>

#include "main.h"
#include "netlink.h"
#include "trap.h"

/*
 * Selector table owners are SAs or traps; a trap's pointer carries a set
 * low bit (both are at least word aligned), so a lookup tells them apart
 * without touching either.
 */
#define TRAP_TAG 1UL

static void *trap_owner(struct kesp_trap *trap)
{
	return (void *)((unsigned long)trap | TRAP_TAG);
}

struct kesp_trap *kesp_owner_trap(void *owner)
{
	if (!((unsigned long)owner & TRAP_TAG))
		return NULL;
	return (struct kesp_trap *)((unsigned long)owner & ~TRAP_TAG);
}

static void trap_free(struct kesp_trap *trap)
{
	kfree(trap);
	kesp_obj_gone(KESP_OBJ_TRAP);
}

static void trap_free_rcu(struct rcu_head *head)
{
	trap_free(container_of(head, struct kesp_trap, rcu));
}

struct kesp_trap *kesp_trap_add(struct kesp_device *kd,
				const struct kesp_sel *sel, u32 reqid,
				u32 priority, struct netlink_ext_ack *extack)
{
	struct kesp_trap *trap;
	int ret;

	lockdep_assert_held(&kesp_underlay(kd)->sad_lock);
	if (kd->dead) {
		NL_SET_ERR_MSG(extack, "the device is being deleted");
		return ERR_PTR(-ENODEV);
	}
	if (!kesp_dev_may_add(kd, KESP_LIMIT_TRAPS, extack))
		return ERR_PTR(-ENOSPC);
	trap = kzalloc(sizeof(*trap), GFP_KERNEL_ACCOUNT);
	if (!trap)
		return ERR_PTR(-ENOMEM);
	kesp_obj_new(KESP_OBJ_TRAP);
	trap->kd = kd;
	trap->sel = *sel;
	trap->reqid = reqid;
	trap->priority = priority;
	trap->next_acquire = jiffies;
	ret = xa_alloc_cyclic(&kd->traps, &trap->id, trap, xa_limit_32b,
			      &kd->next_trap_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		NL_SET_ERR_MSG(extack, "no free trap id on this device");
		trap_free(trap);
		return ERR_PTR(ret);
	}
	/* Last: transmit may find the trap from the first prefix in. */
	ret = kesp_seltab_insert(kd->seltab, &trap->sel, priority,
				 KESP_CPU_ANY, trap_owner(trap));
	if (ret) {
		if (ret == -ENOSPC)
			NL_SET_ERR_MSG(extack,
				       "the trap's selector would pass the device's limit of selector prefixes");
		else
			NL_SET_ERR_MSG(extack, "no memory for the trap's selector");
		xa_erase(&kd->traps, trap->id);
		/* A lookup may have found it before the insert gave up. */
		call_rcu(&trap->rcu, trap_free_rcu);
		return ERR_PTR(ret);
	}
	kd->usage[KESP_LIMIT_TRAPS]++;
	return trap;
}

void kesp_trap_del(struct kesp_trap *trap)
{
	struct kesp_device *kd = trap->kd;

	lockdep_assert_held(&kesp_underlay(kd)->sad_lock);
	kesp_seltab_remove(kd->seltab, trap_owner(trap));
	xa_erase(&kd->traps, trap->id);
	kd->usage[KESP_LIMIT_TRAPS]--;
	/* The transmit path may still be looking at it. */
	call_rcu(&trap->rcu, trap_free_rcu);
}

/* Deletes every trap of the device; returns how many. */
int kesp_trap_flush(struct kesp_device *kd)
{
	struct kesp_trap *trap;
	unsigned long id;
	int n = 0;

	xa_for_each(&kd->traps, id, trap) {
		kesp_trap_del(trap);
		n++;
	}
	return n;
}

/* Under RCU, from the transmit path: FLOW's packet hit TRAP. */
void kesp_trap_hit(struct kesp_trap *trap, const struct kesp_flow *flow)
{
	unsigned long next = READ_ONCE(trap->next_acquire);

	atomic64_inc(&trap->hits);
	if (time_before(jiffies, next))
		return;
	/* One CPU wins the second; the others stay quiet. */
	if (cmpxchg(&trap->next_acquire, next, jiffies + HZ) != next)
		return;
	atomic64_inc(&trap->acquires);
	kesp_dev_count(trap->kd, KESP_DEV_CNT_ACQUIRES);
	kesp_nl_notify_acquire(trap, flow);
}
