// SPDX-License-Identifier: GPL-2.0
/*
 * Inbound SPIs handed out by KESP_CMD_SPI_ALLOC: random, unique in the
 * underlay namespace, and held for spi_reserve_seconds (a module parameter,
 * KESP_SPI_RESERVE_SECONDS by default, fixed once loaded) or until an SA
 * takes them. A key manager allocates one per negotiation it starts or
 * answers, and a negotiation may never finish, so reservations are
 * counted against their device's limit and each is freed when it expires,
 * by a work item that sleeps until the oldest one does: every reservation
 * lasts equally long, so the list in allocation order is the list in
 * expiry order. Everything here runs under the namespace's sad_lock.
 */
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <net/xfrm.h>
#include <linux/kesp.h>

#include "sad.h"
#include "spi.h"

/* Random probes for a free SPI before giving up on a crowded range. */
#define SPI_ALLOC_TRIES 256

/*
 * Read-only once loaded: the sweep relies on every reservation lasting
 * equally long. An appliance whose negotiations take longer raises it; a
 * test of the expiry lowers it rather than wait a minute.
 */
static unsigned int spi_reserve_seconds = KESP_SPI_RESERVE_SECONDS;

static int spi_reserve_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, 3600);
}

static const struct kernel_param_ops spi_reserve_ops = {
	.set = spi_reserve_set,
	.get = param_get_uint,
};

module_param_cb(spi_reserve_seconds, &spi_reserve_ops, &spi_reserve_seconds, 0444);
MODULE_PARM_DESC(spi_reserve_seconds,
		 "seconds an unused SPI reservation (KESP_CMD_SPI_ALLOC) is held, 1-3600 (default 60)");

struct kesp_spi_resv {
	struct rhash_head node;		/* in kesp_net.resv, by SPI */
	struct list_head fifo;		/* in kesp_net.resv_fifo */
	struct kesp_device *kd;		/* counted in its usage */
	u64 expires;			/* ktime_get_boottime_seconds() */
	u32 spi;
	struct rcu_head rcu;
};

static const struct rhashtable_params resv_params = {
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct kesp_spi_resv, spi),
	.head_offset = offsetof(struct kesp_spi_resv, node),
	.automatic_shrinking = true,
};

static struct kesp_spi_resv *resv_lookup(struct kesp_net *kn, u32 spi)
{
	struct kesp_spi_resv *r;

	lockdep_assert_held(&kn->sad_lock);
	rcu_read_lock();	/* for the table's own pointers */
	r = rhashtable_lookup(&kn->resv, &spi, resv_params);
	rcu_read_unlock();
	return r;
}

static void resv_free(struct kesp_net *kn, struct kesp_spi_resv *r)
{
	rhashtable_remove_fast(&kn->resv, &r->node, resv_params);
	list_del(&r->fifo);
	r->kd->usage[KESP_LIMIT_SPI_RESERVATIONS]--;
	kfree_rcu(r, rcu);
}

/* Frees the expired reservations and sleeps until the next one expires. */
static void resv_sweep(struct kesp_net *kn)
{
	u64 now = ktime_get_boottime_seconds();
	struct kesp_spi_resv *r, *tmp;

	lockdep_assert_held(&kn->sad_lock);
	list_for_each_entry_safe(r, tmp, &kn->resv_fifo, fifo) {
		if (r->expires > now) {
			kesp_sad_queue_delayed(&kn->resv_sweep,
					       (r->expires - now) * HZ);
			return;
		}
		resv_free(kn, r);
	}
}

static void resv_sweep_work(struct work_struct *work)
{
	struct kesp_net *kn = container_of(to_delayed_work(work),
					   struct kesp_net, resv_sweep);

	mutex_lock(&kn->sad_lock);
	resv_sweep(kn);
	mutex_unlock(&kn->sad_lock);
}

/*
 * kesp sees inbound ESP before XFRM does (esp_input.c), so an inbound SPI
 * of kesp's that an XFRM SA also has would silently take that SA's
 * packets. XFRM SAs added later cannot be stopped; these checks keep kesp
 * from being the one that collides. Marked XFRM SAs are not seen.
 */
static bool xfrm_has_spi(struct net *net, u32 spi)
{
	static const unsigned short families[] = { AF_INET, AF_INET6 };
	struct xfrm_state *x;
	int i;

	for (i = 0; i < ARRAY_SIZE(families); i++) {
		x = xfrm_state_lookup_byspi(net, htonl(spi), families[i]);
		if (x) {
			xfrm_state_put(x);
			return true;
		}
	}
	return false;
}

/*
 * An SPI SPI_ALLOC may hand out: no inbound SA has it, no reservation
 * holds it (expired ones are swept before we look), and no XFRM SA of the
 * namespace uses it.
 */
static bool spi_free(struct kesp_device *kd, u32 spi)
{
	struct kesp_net *kn = kesp_underlay(kd);

	return !kesp_sa_spi_in_use(kn, spi) && !resv_lookup(kn, spi) &&
	       !xfrm_has_spi(kd->underlay_net, spi);
}

int kesp_spi_alloc(struct kesp_device *kd, u32 min, u32 max, u32 *spi,
		   struct netlink_ext_ack *extack)
{
	struct kesp_net *kn = kesp_underlay(kd);
	u32 span = max - min, candidate;
	struct kesp_spi_resv *r;
	int i, ret;

	lockdep_assert_held(&kn->sad_lock);
	if (kd->dead) {
		NL_SET_ERR_MSG(extack, "the device is being deleted");
		return -ENODEV;
	}
	resv_sweep(kn);
	if (!kesp_dev_may_add(kd, KESP_LIMIT_SPI_RESERVATIONS, extack))
		return -ENOSPC;
	for (i = 0; i < SPI_ALLOC_TRIES; i++) {
		candidate = min + (span == U32_MAX ? get_random_u32() :
				   get_random_u32() % (span + 1));
		if (spi_free(kd, candidate))
			goto found;
	}
	/* A crowded range: look at every SPI in it once. */
	for (candidate = min;; candidate++) {
		if (spi_free(kd, candidate))
			goto found;
		if (candidate == max)
			break;
	}
	NL_SET_ERR_MSG(extack, "no free SPI in the requested range");
	return -ENOSPC;

found:
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->kd = kd;
	r->spi = candidate;
	r->expires = ktime_get_boottime_seconds() + spi_reserve_seconds;
	ret = rhashtable_insert_fast(&kn->resv, &r->node, resv_params);
	if (ret) {
		kfree(r);
		return ret;
	}
	/* The first one on an empty list starts the sweeping. */
	if (list_empty(&kn->resv_fifo))
		kesp_sad_queue_delayed(&kn->resv_sweep, spi_reserve_seconds * HZ);
	list_add_tail(&r->fifo, &kn->resv_fifo);
	kd->usage[KESP_LIMIT_SPI_RESERVATIONS]++;
	*spi = candidate;
	return 0;
}

/* An inbound SA now has SPI: its reservation, if it had one, is used. */
void kesp_spi_taken(struct kesp_net *kn, u32 spi)
{
	struct kesp_spi_resv *r = resv_lookup(kn, spi);

	if (r)
		resv_free(kn, r);
}

/* The device is going away: so do the SPIs it reserved. */
void kesp_spi_device_flush(struct kesp_device *kd)
{
	struct kesp_net *kn = kesp_underlay(kd);
	struct kesp_spi_resv *r, *tmp;

	lockdep_assert_held(&kn->sad_lock);
	list_for_each_entry_safe(r, tmp, &kn->resv_fifo, fifo)
		if (r->kd == kd)
			resv_free(kn, r);
}

int kesp_spi_net_init(struct kesp_net *kn)
{
	INIT_LIST_HEAD(&kn->resv_fifo);
	INIT_DELAYED_WORK(&kn->resv_sweep, resv_sweep_work);
	return rhashtable_init(&kn->resv, &resv_params);
}

/* Every device of the namespace, and with it every reservation, is gone. */
void kesp_spi_net_exit(struct kesp_net *kn)
{
	cancel_delayed_work_sync(&kn->resv_sweep);
	WARN_ON(!list_empty(&kn->resv_fifo));
	rhashtable_destroy(&kn->resv);
}
