// SPDX-License-Identifier: GPL-2.0
/*
 * The SA database. Each SA belongs to a device and sits in two indexes:
 * the device's id table, and either the underlay namespace's inbound SPI
 * hash table (read under RCU by the receive path) or the device's outbound
 * SPI hash table, where SAs to different destinations may share an SPI.
 * All changes happen under the underlay namespace's sad_lock.
 *
 * Lifetime: the tables together own one reference. Unlinking drops it;
 * whoever else holds a reference (a packet in async crypto, a netlink
 * reply being built) keeps the SA alive until its own put. The last put
 * frees the SA after an RCU grace period, from a workqueue because freeing
 * a crypto transform may sleep (see sa_free_all).
 *
 * Lifetimes (RFC 4301 4.4.2.1) live here too: the data path counts what
 * an SA protected and notes a limit it crossed; a work item per SA sends
 * the EXPIRE events and deletes the SA at a hard limit, since both need
 * to sleep. The same work item watches the time limits.
 */
#include <crypto/aead.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <net/addrconf.h>
#include <net/ipv6.h>
#include <net/xfrm.h>
#include <linux/kesp.h>

#include "crypto.h"
#include "parallel.h"
#include "flow.h"
#include "main.h"
#include "netlink.h"
#include "sad.h"
#include "spi.h"
#include "trap.h"

static struct workqueue_struct *kesp_wq;

/* Delayed work of the SAD's on the module's queue, which unload drains. */
void kesp_sad_queue_delayed(struct delayed_work *dw, unsigned long delay)
{
	mod_delayed_work(kesp_wq, dw, delay);
}

/*
 * Both tables hash the SPI; the inbound one holds each SPI once. They grow
 * but never shrink, as XFRM's do not: shrinking after a flush of many SAs
 * ran rehash workers and freed bucket arrays (TLB-flush IPIs) beside the
 * flush itself, and the next install would grow them again. What stays is
 * the bucket array at its peak, 8 bytes a bucket, until the namespace
 * (inbound) or the device (outbound) goes.
 */
static const struct rhashtable_params in_sas_params = {
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct kesp_sa, spi),
	.head_offset = offsetof(struct kesp_sa, in_node),
};

static const struct rhashtable_params out_sas_params = {
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct kesp_sa, spi),
	.head_offset = offsetof(struct kesp_sa, out_node),
};

/*
 * SAs whose last reference is gone wait here and are freed together, by
 * one work item after one RCU grace period: a flush of 100,000 SAs then
 * costs a grace period and one worker, not an RCU callback and a work item
 * each, which kept every CPU freeing while the flush was still unlinking.
 */
static LLIST_HEAD(sa_free_list);

static void sa_free_all(struct work_struct *work)
{
	struct llist_node *list;
	struct kesp_sa *sa, *next;

	while ((list = llist_del_all(&sa_free_list))) {
		/* Readers that found one of these SAs under RCU are done. */
		synchronize_rcu();
		llist_for_each_entry_safe(sa, next, list, free_node) {
			crypto_free_aead(sa->aead);
			kfree(sa->par);
			dst_cache_destroy(&sa->route_cache);
			free_percpu(sa->next_acquire);
			kfree(rcu_dereference_protected(sa->sels, true));
			dev_put(sa->kd->dev);
			kfree_sensitive(sa);
			kesp_obj_gone(KESP_OBJ_SA);
			cond_resched();
		}
	}
}

static DECLARE_WORK(sa_free_work, sa_free_all);

void kesp_sa_put(struct kesp_sa *sa)
{
	/* The first SA on an empty list starts the work item. */
	if (refcount_dec_and_test(&sa->refcnt) &&
	    llist_add(&sa->free_node, &sa_free_list))
		queue_work(kesp_wq, &sa_free_work);
}

/*
 * SAs a flush released, handed to the free work at its end: started on the
 * first one, the work would free beside the flush, which yields the CPU
 * once an SA (cond_resched under sad_lock) and so ran the longer for it.
 */
struct sa_batch {
	struct llist_node *first, *last;
};

static void sa_put_batched(struct kesp_sa *sa, struct sa_batch *b)
{
	if (!refcount_dec_and_test(&sa->refcnt))
		return;
	sa->free_node.next = b->first;
	b->first = &sa->free_node;
	if (!b->last)
		b->last = b->first;
}

static void sa_batch_free(struct sa_batch *b)
{
	if (b->first && llist_add_batch(b->first, b->last, &sa_free_list))
		queue_work(kesp_wq, &sa_free_work);
}

void kesp_sa_read_stats(const struct kesp_sa *sa, u64 *packets, u64 *bytes)
{
	*packets = atomic64_read(&sa->packets);
	*bytes = atomic64_read(&sa->bytes);
}

/* The highest sequence number sent (outbound) or received (inbound). */
u64 kesp_sa_seq(struct kesp_sa *sa)
{
	u64 seq;

	spin_lock_bh(&sa->lock);
	seq = sa->dir == KESP_DIR_OUT ? sa->seq : sa->replay.top;
	spin_unlock_bh(&sa->lock);
	return seq;
}

/*
 * The lifetime work looks again at least once a day: a deadline further
 * out (any u64 of seconds is a valid limit) would overflow in jiffies and
 * fire at once, every tick. The work recomputes what is left each time.
 */
#define LIFETIME_RECHECK_SECONDS (24 * 60 * 60)

static unsigned long lifetime_delay(u64 seconds)
{
	return min_t(u64, seconds, LIFETIME_RECHECK_SECONDS) * HZ;
}

/* Runs the SA's lifetime work after DELAY jiffies, holding a reference. */
static void lifetime_kick(struct kesp_sa *sa, unsigned long delay)
{
	refcount_inc(&sa->refcnt);
	/* Already pending: that instance holds a reference of its own. */
	if (mod_delayed_work(kesp_wq, &sa->lft_work, delay))
		kesp_sa_put(sa);
}

/* The reason a byte or packet limit (0: none) is reached, or 0. */
static u8 used_past(const struct kesp_sa *sa, u64 bytes, u64 packets)
{
	if (packets && sa->used_packets >= packets)
		return KESP_EXPIRE_PACKETS;
	if (bytes && sa->used_bytes >= bytes)
		return KESP_EXPIRE_BYTES;
	return 0;
}

/*
 * Under sa->lock: notes that SA reached a soft or hard limit for REASON
 * and has the work item report it. The first reason of each kind stays.
 */
void kesp_sa_expire(struct kesp_sa *sa, bool hard, u8 reason)
{
	u8 *slot = hard ? &sa->hard_reason : &sa->soft_reason;

	lockdep_assert_held(&sa->lock);
	if (*slot)
		return;
	*slot = reason;
	lifetime_kick(sa, 0);
}

/*
 * Under sa->lock: counts one packet of BYTES protected by SA. Returns
 * false when the SA is past a hard limit and the packet must be dropped.
 */
bool kesp_sa_lifetime_use(struct kesp_sa *sa, unsigned int bytes)
{
	const struct kesp_lifetime *l = &sa->lft;
	u8 reason;

	lockdep_assert_held(&sa->lock);
	if (sa->hard_reason)
		return false;
	/* Limits lowered by SA_UPDATE below what was used already. */
	if (l->hard_packets && sa->used_packets >= l->hard_packets) {
		kesp_sa_expire(sa, true, KESP_EXPIRE_PACKETS);
		return false;
	}
	if (l->hard_bytes && sa->used_bytes + bytes > l->hard_bytes) {
		kesp_sa_expire(sa, true, KESP_EXPIRE_BYTES);
		return false;
	}
	sa->used_bytes += bytes;
	sa->used_packets++;
	reason = used_past(sa, l->hard_bytes, l->hard_packets);
	if (reason) {
		kesp_sa_expire(sa, true, reason);
		return true;
	}
	reason = used_past(sa, l->soft_bytes, l->soft_packets);
	if (reason)
		kesp_sa_expire(sa, false, reason);
	return true;
}

/* Seconds from AGE until SA's next time limit still ahead, or 0: none. */
static u64 next_deadline(const struct kesp_sa *sa, u64 age)
{
	u64 next = 0;

	if (sa->lft.hard_seconds > age)
		next = sa->lft.hard_seconds - age;
	if (!sa->soft_reported && sa->lft.soft_seconds > age &&
	    (!next || sa->lft.soft_seconds - age < next))
		next = sa->lft.soft_seconds - age;
	return next;
}

static void sa_lifetime_work(struct work_struct *work)
{
	struct kesp_sa *sa = container_of(to_delayed_work(work),
					  struct kesp_sa, lft_work);
	struct kesp_net *kn = kesp_underlay(sa->kd);
	u8 soft = 0, hard;
	u64 age, next;

	mutex_lock(&kn->sad_lock);
	if (sa->unlinked)
		goto out;
	age = ktime_get_boottime_seconds() - sa->add_time;
	spin_lock_bh(&sa->lock);
	if (!sa->hard_reason && sa->lft.hard_seconds &&
	    age >= sa->lft.hard_seconds)
		sa->hard_reason = KESP_EXPIRE_SECONDS;
	if (!sa->soft_reason && sa->lft.soft_seconds &&
	    age >= sa->lft.soft_seconds)
		sa->soft_reason = KESP_EXPIRE_SECONDS;
	/* Limits that SA_UPDATE lowered below what was used already. */
	if (!sa->hard_reason)
		sa->hard_reason = used_past(sa, sa->lft.hard_bytes,
					    sa->lft.hard_packets);
	if (!sa->soft_reason)
		sa->soft_reason = used_past(sa, sa->lft.soft_bytes,
					    sa->lft.soft_packets);
	hard = sa->hard_reason;
	if (!hard && !sa->soft_reported && sa->soft_reason) {
		soft = sa->soft_reason;
		sa->soft_reported = true;
	}
	next = hard ? 0 : next_deadline(sa, age);
	spin_unlock_bh(&sa->lock);

	if (hard) {
		kesp_dev_count(sa->kd, KESP_DEV_CNT_EXPIRES_HARD);
		kesp_nl_notify_expire(sa, true, hard);
		kesp_sa_unlink(sa);
		goto out;
	}
	if (soft) {
		kesp_dev_count(sa->kd, KESP_DEV_CNT_EXPIRES_SOFT);
		kesp_nl_notify_expire(sa, false, soft);
	}
	if (next)
		lifetime_kick(sa, lifetime_delay(next));
out:
	mutex_unlock(&kn->sad_lock);
	kesp_sa_put(sa);
}

/* Reports the newest NAT mapping of an inbound SA (see kesp_sa_new_mapping). */
static void sa_mapping_work(struct work_struct *work)
{
	struct kesp_sa *sa = container_of(work, struct kesp_sa, mapping_work);
	struct kesp_net *kn = kesp_underlay(sa->kd);
	union kesp_addr addr;
	__be16 port;
	u8 family;

	mutex_lock(&kn->sad_lock);
	if (!sa->unlinked) {
		spin_lock_bh(&sa->lock);
		family = sa->mapping_family;
		addr = sa->mapping_addr;
		port = sa->mapping_port;
		spin_unlock_bh(&sa->lock);
		kesp_dev_count(sa->kd, KESP_DEV_CNT_MAPPINGS);
		kesp_nl_notify_mapping(sa, family, &addr, port);
	}
	mutex_unlock(&kn->sad_lock);
	kesp_sa_put(sa);
}

/*
 * From the receive path: an authenticated packet of inbound SA came from
 * FAMILY ADDR PORT, which is not the source the SA has. Reported from
 * process context (the event carries the whole SA), at most once a
 * second per SA, the newest mapping winning.
 */
void kesp_sa_new_mapping(struct kesp_sa *sa, u8 family,
			 const union kesp_addr *addr, __be16 port)
{
	bool report = false;

	spin_lock_bh(&sa->lock);
	sa->mapping_family = family;
	sa->mapping_addr = *addr;
	sa->mapping_port = port;
	if (time_after_eq(jiffies, sa->mapping_next)) {
		sa->mapping_next = jiffies + HZ;
		report = true;
	}
	spin_unlock_bh(&sa->lock);
	if (!report)
		return;
	refcount_inc(&sa->refcnt);
	if (!queue_work(kesp_wq, &sa->mapping_work))
		kesp_sa_put(sa);
}

/**
 * kesp_sa_endpoint_begin - start changing what SA's outer packets are routed by
 * @sa: the SA whose family, addresses or ports change (MOBIKE, NAT-T)
 *
 * Takes sa->lock; kesp_sa_endpoint_end() releases it. Transmit copies the
 * endpoint without the lock and caches the route it finds only if no
 * change began since, so a route found for the old endpoint never
 * outlives the reset that kesp_sa_endpoint_end() does.
 */
void kesp_sa_endpoint_begin(struct kesp_sa *sa)
	__acquires(&sa->lock)
{
	spin_lock_bh(&sa->lock);
	write_seqcount_begin(&sa->endpoint_seq);
}

void kesp_sa_endpoint_end(struct kesp_sa *sa)
	__releases(&sa->lock)
{
	dst_cache_reset(&sa->route_cache);
	write_seqcount_end(&sa->endpoint_seq);
	spin_unlock_bh(&sa->lock);
}

/*
 * Under sad_lock, after the device's fwmark changed: routes its outbound
 * SAs found with the old mark are not used again.
 */
void kesp_sad_device_reroute(struct kesp_device *kd)
{
	struct kesp_sa *sa;
	unsigned long id;

	lockdep_assert_held(&kesp_underlay(kd)->sad_lock);
	xa_for_each(&kd->sas, id, sa) {
		if (sa->dir != KESP_DIR_OUT)
			continue;
		kesp_sa_endpoint_begin(sa);
		kesp_sa_endpoint_end(sa);
		cond_resched();
	}
}

/* Under sad_lock, after SA_UPDATE changed the limits: look again now. */
void kesp_sa_lifetime_changed(struct kesp_sa *sa)
{
	lifetime_kick(sa, 0);
}

/* Match-everything selectors of one family, for an SA that gave none. */
static void sel_any(struct kesp_sel *sel, u16 family)
{
	memset(sel, 0, sizeof(*sel));
	sel->family = family;
	memset(sel->src_end, 0xff, family == AF_INET ? 4 : 16);
	memset(sel->dst_end, 0xff, family == AF_INET ? 4 : 16);
	sel->sport_end = U16_MAX;
	sel->dport_end = U16_MAX;
}

/*
 * Puts an outbound SA's selectors into its device's lookup table, besides
 * any it has there; on failure takes back what it added.
 */
static int seltab_add(struct kesp_sa *sa, const struct kesp_sel_set *sels)
{
	struct kesp_seltab *tab = sa->kd->seltab;
	u64 since = kesp_seltab_next_order(tab);
	struct kesp_sel any;
	u32 i;
	int ret = 0;

	/*
	 * No selectors: any packet, except that a transport-mode SA can only
	 * carry its own family (an IPv6 router solicitation must not count
	 * as a selector error of an IPv4 host-to-host SA).
	 */
	if (!sels && sa->mode != KESP_MODE_TRANSPORT) {
		sel_any(&any, AF_INET);
		ret = kesp_seltab_insert(tab, &any, sa->priority, sa->cpu, sa);
		sel_any(&any, AF_INET6);
		if (!ret)
			ret = kesp_seltab_insert(tab, &any, sa->priority,
						 sa->cpu, sa);
	} else if (!sels) {
		sel_any(&any, sa->family);
		ret = kesp_seltab_insert(tab, &any, sa->priority, sa->cpu, sa);
	}
	for (i = 0; !ret && sels && i < sels->n; i++)
		ret = kesp_seltab_insert(tab, &sels->sel[i], sa->priority,
					 sa->cpu, sa);
	if (ret)
		kesp_seltab_remove_range(tab, sa, since, U64_MAX);
	return ret;
}

/*
 * Replaces the SA's selectors with SELS (NULL: any packet), taking it over
 * whether or not this succeeds.
 */
int kesp_sa_set_selectors(struct kesp_sa *sa, struct kesp_sel_set *sels)
{
	struct kesp_net *kn = kesp_underlay(sa->kd);
	struct kesp_sel_set *old;
	int ret = 0;

	lockdep_assert_held(&kn->sad_lock);
	if (sa->dir == KESP_DIR_OUT) {
		u64 since = kesp_seltab_next_order(sa->kd->seltab);

		/*
		 * New selectors in before the old ones out: a packet finds
		 * the SA by one or the other throughout, never a trap or
		 * another SA for a moment. A failure leaves the old ones.
		 */
		ret = seltab_add(sa, sels);
		if (ret) {
			kfree(sels);
			return ret;
		}
		kesp_seltab_remove_range(sa->kd->seltab, sa, 0, since);
	}
	old = rcu_replace_pointer(sa->sels, sels,
				  lockdep_is_held(&kn->sad_lock));
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/*
 * RFC 9611: SA, a fallback SA, won the lookup for a packet of FLOW, so its
 * CPU has no per-CPU SA of its own for these selectors and asks for one,
 * at most once a second per CPU; the packet still leaves on SA. Transmit
 * runs with BH off on the CPU that sends (flow->cpu), and only that CPU
 * touches its own next_acquire: CPUs never contend for the rate limit,
 * and one CPU's ACQUIRE does not hold back another's.
 */
static void pcpu_acquire(struct kesp_sa *sa, const struct kesp_flow *flow)
{
	unsigned long *next = this_cpu_ptr(sa->next_acquire);

	if (time_before(jiffies, *next))
		return;
	*next = jiffies + HZ;
	kesp_dev_count(sa->kd, KESP_DEV_CNT_ACQUIRES);
	kesp_nl_notify_pcpu_acquire(sa, flow);
}

/*
 * The best outbound SA for FLOW, with a reference, or NULL: no match, or
 * the best match is a trap (which then asks for an SA). A fallback SA of
 * per-CPU SAs is returned too, having asked for the sending CPU's own.
 */
struct kesp_sa *kesp_sa_select_out(struct kesp_device *kd,
				   const struct kesp_flow *flow)
{
	struct kesp_trap *trap;
	struct kesp_sa *sa;
	void *owner;

	rcu_read_lock();
	owner = kesp_seltab_lookup(kd->seltab, flow);
	trap = kesp_owner_trap(owner);
	sa = trap ? NULL : owner;
	if (trap)
		kesp_trap_hit(trap, flow);
	else if (sa && !refcount_inc_not_zero(&sa->refcnt))
		sa = NULL;
	rcu_read_unlock();
	if (sa && (sa->flags & KESP_SA_F_PCPU_ACQUIRE))
		pcpu_acquire(sa, flow);
	return sa;
}

/* RFC 4301 5.2: a decrypted packet must match one of its SA's selectors. */
bool kesp_sa_inbound_allowed(struct kesp_sa *sa, struct sk_buff *skb)
{
	const struct kesp_sel_set *sels;
	struct kesp_flow flow;
	bool allowed = false;
	u32 i;

	if (!kesp_flow_from_skb(skb, &flow))
		return false;
	rcu_read_lock();
	sels = rcu_dereference(sa->sels);
	if (!sels)
		allowed = true;
	for (i = 0; sels && i < sels->n && !allowed; i++)
		allowed = kesp_sel_match(&sels->sel[i], &flow);
	rcu_read_unlock();
	return allowed;
}

/**
 * kesp_sa_lookup_in - the inbound SA of an SPI
 * @kn: the underlay namespace's state
 * @spi: the SPI, host order
 *
 * Context: rcu_read_lock() held; not a counted reference.
 */
struct kesp_sa *kesp_sa_lookup_in(struct kesp_net *kn, u32 spi)
{
	return rhashtable_lookup(&kn->in_sas, &spi, in_sas_params);
}

/* The same under sad_lock, where the table cannot change under us. */
static struct kesp_sa *lookup_in_locked(struct kesp_net *kn, u32 spi)
{
	struct kesp_sa *sa;

	lockdep_assert_held(&kn->sad_lock);
	rcu_read_lock();	/* for the table's own pointers */
	sa = kesp_sa_lookup_in(kn, spi);
	rcu_read_unlock();
	return sa;
}

/* Whether an inbound SA of the namespace has SPI; under sad_lock. */
bool kesp_sa_spi_in_use(struct kesp_net *kn, u32 spi)
{
	return lookup_in_locked(kn, spi);
}

/*
 * kesp sees inbound ESP before XFRM does (esp_input.c), so an inbound SA
 * of kesp's with the SPI and destination of an XFRM SA would silently
 * take its packets (see also spi.c). Marked XFRM SAs are not seen.
 */
static bool xfrm_has_sa(struct net *net, u8 family,
			const union kesp_addr *dst, u32 spi)
{
	xfrm_address_t daddr = {};
	struct xfrm_state *x;

	if (family == AF_INET)
		daddr.a4 = dst->ip4;
	else
		daddr.in6 = dst->ip6;
	x = xfrm_state_lookup(net, 0, &daddr, htonl(spi), IPPROTO_ESP, family);
	if (!x)
		return false;
	xfrm_state_put(x);
	return true;
}

static bool addr_eq(const union kesp_addr *a, const union kesp_addr *b,
		    u8 family)
{
	if (family == AF_INET)
		return a->ip4 == b->ip4;
	return ipv6_addr_equal(&a->ip6, &b->ip6);
}

static struct kesp_sa *find_out(struct kesp_device *kd, u32 spi,
				const union kesp_addr *dst, u8 family)
{
	struct rhlist_head *list, *pos;
	struct kesp_sa *sa;

	/* Under sad_lock the list cannot change; RCU only for the walk. */
	rcu_read_lock();
	list = rhltable_lookup(&kd->out_sas, &spi, out_sas_params);
	rhl_for_each_entry_rcu(sa, pos, list, out_node)
		if (sa->family == family && addr_eq(&sa->dst, dst, family))
			break;
	rcu_read_unlock();
	return pos ? sa : NULL;
}

/**
 * kesp_sa_out_mark - whether an ICMP error is about an outbound SA of ours
 * @kn: the underlay namespace the error arrived in
 * @family: outer family of the quoted packet
 * @src: its source, which must be the SA's
 * @dst: its destination, which must be the SA's
 * @spi: its SPI, host order
 * @mark: set to the fwmark of the SA's device, which routes its packets
 *
 * Context: softirq, under RCU (the ICMP receive path). Devices leave
 * kn->underlay_devices before the grace period that precedes their free.
 */
bool kesp_sa_out_mark(struct kesp_net *kn, u8 family,
		      const union kesp_addr *src, const union kesp_addr *dst,
		      u32 spi, u32 *mark)
{
	struct rhlist_head *list, *pos;
	struct kesp_device *kd;
	struct kesp_sa *sa;
	bool ours;

	list_for_each_entry_rcu(kd, &kn->underlay_devices, underlay_node) {
		list = rhltable_lookup(&kd->out_sas, &spi, out_sas_params);
		rhl_for_each_entry_rcu(sa, pos, list, out_node) {
			spin_lock(&sa->lock);
			ours = sa->family == family &&
			       addr_eq(&sa->src, src, family) &&
			       addr_eq(&sa->dst, dst, family);
			spin_unlock(&sa->lock);
			if (ours) {
				*mark = READ_ONCE(kd->fwmark);
				return true;
			}
		}
	}
	return false;
}

struct kesp_sa *kesp_sa_find(struct kesp_device *kd, u32 id, u8 dir, u32 spi,
			     const union kesp_addr *dst, u8 family)
{
	struct kesp_net *kn = kesp_underlay(kd);
	struct kesp_sa *sa;

	lockdep_assert_held(&kn->sad_lock);
	if (id)
		return xa_load(&kd->sas, id);
	if (dir == KESP_DIR_OUT)
		return find_out(kd, spi, dst, family);
	sa = lookup_in_locked(kn, spi);
	return sa && sa->kd == kd ? sa : NULL;
}

/*
 * KESP_SA_F_PCPU_ACQUIRE's rate limit, charged to the caller as the SA is.
 * Every CPU may raise its first per-CPU ACQUIRE at once: jiffies starts
 * near its wrap, so a zero would hold the first one back for minutes
 * after boot.
 */
static int alloc_next_acquire(struct kesp_sa *sa)
{
	int cpu;

	sa->next_acquire = alloc_percpu_gfp(unsigned long, GFP_KERNEL_ACCOUNT);
	if (!sa->next_acquire)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		*per_cpu_ptr(sa->next_acquire, cpu) = jiffies;
	return 0;
}

/**
 * kesp_sa_alloc - an SA built from a request, in no table yet
 * @kd: its device
 * @p: what the request says; p->sels is the SA's now, whatever happens
 * @alg: its algorithms; the transform is built here
 * @extack: why not
 *
 * Without sad_lock: building the crypto transform may load modules and
 * run their self-tests, which must hold up no other request. Memory is
 * charged to the caller's memory cgroup. kesp_sa_publish() puts it in
 * the tables; kesp_sa_put() frees it.
 */
struct kesp_sa *kesp_sa_alloc(struct kesp_device *kd,
			      const struct kesp_sa_params *p,
			      const struct kesp_alg_params *alg,
			      struct netlink_ext_ack *extack)
{
	struct kesp_sa *sa;
	int ret;

	sa = kzalloc(struct_size(sa, replay.ring,
				 kesp_replay_ring_longs(p->replay_window)),
		     GFP_KERNEL_ACCOUNT);
	if (!sa) {
		kfree(p->sels);
		return ERR_PTR(-ENOMEM);
	}
	kesp_obj_new(KESP_OBJ_SA);
	/* From here on kesp_sa_put() undoes everything. */
	refcount_set(&sa->refcnt, 1);
	sa->kd = kd;
	dev_hold(kd->dev);
	/* Set before any table can show the SA: none sees it without them. */
	RCU_INIT_POINTER(sa->sels, p->sels);
	spin_lock_init(&sa->lock);
	seqcount_spinlock_init(&sa->endpoint_seq, &sa->lock);
	sa->dir = p->dir;
	sa->mode = p->mode;
	sa->family = p->family;
	sa->spi = p->spi;
	sa->reqid = p->reqid;
	sa->priority = p->priority;
	sa->cpu = p->cpu;
	sa->flags = p->flags;	/* ESN chooses the crypto template */
	sa->seq = p->seq;
	sa->iv_salt = get_random_u64();
	sa->src = p->src;
	sa->dst = p->dst;
	sa->lft = p->lft;
	INIT_DELAYED_WORK(&sa->lft_work, sa_lifetime_work);
	INIT_WORK(&sa->mapping_work, sa_mapping_work);
	sa->mapping_next = jiffies;
	sa->encap_type = p->encap_type;
	sa->encap_sport = p->encap_sport;
	sa->encap_dport = p->encap_dport;
	kesp_replay_init(&sa->replay, p->replay_window,
			 p->flags & KESP_SA_F_ESN, p->dir == KESP_DIR_IN ? p->seq : 0);
	ret = 0;
	if (sa->flags & KESP_SA_F_PCPU_ACQUIRE)
		ret = alloc_next_acquire(sa);
	if (!ret && sa->dir == KESP_DIR_OUT)
		ret = dst_cache_init(&sa->route_cache, GFP_KERNEL_ACCOUNT);
	if (!ret && (sa->flags & KESP_SA_F_PARALLEL))
		ret = kesp_par_sa_init(sa);
	if (!ret)
		ret = kesp_crypto_setup(sa, alg, extack);
	if (ret) {
		kesp_sa_put(sa);
		return ERR_PTR(ret);
	}
	return sa;
}

/*
 * The IPv6 source of an outbound SA is sent from the underlay namespace,
 * which need not be the namespace that configures it: a device moved into
 * another namespace must not let it send from addresses the underlay does
 * not have (as ip6_tunnel checks its local address). IPv4 routing already
 * refuses a source that is not local.
 */
bool kesp_sa_source_ok(struct kesp_device *kd, u8 dir, u8 family,
		       const union kesp_addr *src, struct netlink_ext_ack *extack)
{
	if (dir != KESP_DIR_OUT || family != AF_INET6 ||
	    net_eq(dev_net(kd->dev), kd->underlay_net) ||
	    ipv6_chk_addr(kd->underlay_net, &src->ip6, NULL, 0))
		return true;
	NL_SET_ERR_MSG(extack,
		       "the source is not an address of the device's underlay namespace");
	return false;
}

/* Whether another SA of the namespace or device is in the SA's place. */
static int check_unique(struct kesp_sa *sa, struct netlink_ext_ack *extack)
{
	struct kesp_device *kd = sa->kd;
	struct kesp_net *kn = kesp_underlay(kd);

	if (sa->dir == KESP_DIR_OUT) {
		if (find_out(kd, sa->spi, &sa->dst, sa->family)) {
			NL_SET_ERR_MSG(extack,
				       "an outbound SA with this SPI and destination exists on the device");
			return -EEXIST;
		}
		return 0;
	}
	if (lookup_in_locked(kn, sa->spi)) {
		NL_SET_ERR_MSG(extack,
			       "an inbound SA with this SPI exists in the underlay namespace");
		return -EEXIST;
	}
	if (xfrm_has_sa(kd->underlay_net, sa->family, &sa->dst, sa->spi)) {
		NL_SET_ERR_MSG(extack,
			       "an XFRM SA has this SPI and destination: kesp would take its packets");
		return -EEXIST;
	}
	return 0;
}

/**
 * kesp_sa_publish - put an SA from kesp_sa_alloc() in its tables
 * @sa: the SA; the tables take over the caller's reference
 * @extack: why not
 *
 * The packet paths see the SA only once it is complete, and see it last
 * of all: inbound through the SPI table, outbound through the selector
 * table. A failure after that unlinks it and leaves the freeing to the
 * refcount and an RCU grace period, since a packet may hold it already.
 *
 * Context: sad_lock held. Return: 0, or an error with the SA freed.
 */
int kesp_sa_publish(struct kesp_sa *sa, struct netlink_ext_ack *extack)
{
	struct kesp_device *kd = sa->kd;
	struct kesp_net *kn = kesp_underlay(kd);
	const struct kesp_sel_set *sels;
	int ret;

	lockdep_assert_held(&kn->sad_lock);
	if (kd->dead) {
		NL_SET_ERR_MSG(extack, "the device is being deleted");
		ret = -ENODEV;
		goto err;
	}
	ret = check_unique(sa, extack);
	if (ret)
		goto err;
	if (!kesp_sa_source_ok(kd, sa->dir, sa->family, &sa->src, extack)) {
		ret = -EADDRNOTAVAIL;
		goto err;
	}
	if (!kesp_dev_may_add(kd, KESP_LIMIT_SAS, extack)) {
		ret = -ENOSPC;
		goto err;
	}
	ret = xa_alloc_cyclic(&kd->sas, &sa->id, sa, xa_limit_32b,
			      &kd->next_sa_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		NL_SET_ERR_MSG(extack, "no free SA id on this device");
		goto err;
	}
	if (sa->dir == KESP_DIR_IN) {
		ret = rhashtable_insert_fast(&kn->in_sas, &sa->in_node,
					     in_sas_params);
		if (ret) {
			NL_SET_ERR_MSG(extack, "no memory for the SPI table");
			goto err_id;
		}
		kesp_spi_taken(kn, sa->spi);
	} else {
		/* The ICMP error path reads this table, not transmit. */
		ret = rhltable_insert(&kd->out_sas, &sa->out_node,
				      out_sas_params);
		if (ret) {
			NL_SET_ERR_MSG(extack, "no memory for the SPI table");
			goto err_id;
		}
		sels = rcu_dereference_protected(sa->sels,
						 lockdep_is_held(&kn->sad_lock));
		ret = seltab_add(sa, sels);
		if (ret) {
			if (ret == -ENOSPC)
				NL_SET_ERR_MSG(extack,
					       "the SA's selectors would pass the device's limit of selector prefixes");
			else
				NL_SET_ERR_MSG(extack, "no memory for the selectors");
			rhltable_remove(&kd->out_sas, &sa->out_node,
					out_sas_params);
			goto err_id;
		}
	}
	kd->usage[KESP_LIMIT_SAS]++;
	sa->add_time = ktime_get_boottime_seconds();
	if (sa->lft.soft_seconds || sa->lft.hard_seconds)
		lifetime_kick(sa, lifetime_delay(next_deadline(sa, 0)));
	return 0;

err_id:
	xa_erase(&kd->sas, sa->id);
err:
	sa->unlinked = true;
	kesp_sa_put(sa);
	return ret;
}

/*
 * Removes SA from every index and drops the tables' reference, and the
 * lifetime work's if it was pending; a last reference goes to BATCH.
 */
static void sa_unlink_batched(struct kesp_sa *sa, struct sa_batch *b)
{
	struct kesp_device *kd = sa->kd;
	struct kesp_net *kn = kesp_underlay(kd);

	lockdep_assert_held(&kn->sad_lock);
	sa->unlinked = true;
	/*
	 * Most SAs have no lifetime work queued; cancelling it anyway grabs
	 * the work with interrupts off, an eighth of a flush's samples in a
	 * profile. Work queued after the test runs later and finds the SA
	 * unlinked, as work queued after the cancel always could.
	 */
	if (delayed_work_pending(&sa->lft_work) &&
	    cancel_delayed_work(&sa->lft_work))
		sa_put_batched(sa, b);
	xa_erase(&kd->sas, sa->id);
	kd->usage[KESP_LIMIT_SAS]--;
	if (sa->dir == KESP_DIR_OUT)
		kesp_seltab_remove(kd->seltab, sa);
	if (sa->dir == KESP_DIR_IN)
		rhashtable_remove_fast(&kn->in_sas, &sa->in_node, in_sas_params);
	else
		rhltable_remove(&kd->out_sas, &sa->out_node, out_sas_params);
	sa_put_batched(sa, b);
}

void kesp_sa_unlink(struct kesp_sa *sa)
{
	struct sa_batch b = {};

	sa_unlink_batched(sa, &b);
	sa_batch_free(&b);
}

/* Deletes the device's SAs that F matches; returns how many. */
int kesp_sa_flush(struct kesp_device *kd, const struct kesp_sa_filter *f)
{
	struct sa_batch b = {};
	struct kesp_sa *sa;
	unsigned long id;
	int n = 0;

	lockdep_assert_held(&kesp_underlay(kd)->sad_lock);
	xa_for_each(&kd->sas, id, sa) {
		if (!kesp_sa_filter_match(sa, f))
			continue;
		sa_unlink_batched(sa, &b);
		n++;
		/* A million SAs take a while; sad_lock is a mutex. */
		cond_resched();
	}
	sa_batch_free(&b);
	return n;
}

int kesp_sad_net_init(struct kesp_net *kn)
{
	int ret;

	mutex_init(&kn->sad_lock);
	ret = rhashtable_init(&kn->in_sas, &in_sas_params);
	if (ret)
		return ret;
	ret = kesp_spi_net_init(kn);
	if (ret)
		rhashtable_destroy(&kn->in_sas);
	return ret;
}

/* From the device's ndo_init; kesp_sad_device_free() undoes it. */
int kesp_sad_device_init(struct kesp_device *kd)
{
	xa_init_flags(&kd->sas, XA_FLAGS_ALLOC1);
	xa_init_flags(&kd->traps, XA_FLAGS_ALLOC1);
	return rhltable_init(&kd->out_sas, &out_sas_params);
}

void kesp_sad_device_free(struct kesp_device *kd)
{
	rhltable_destroy(&kd->out_sas);
}

/* The device is going away: refuse new SAs and drop the existing ones. */
void kesp_sad_device_flush(struct kesp_device *kd)
{
	struct kesp_net *kn = kesp_underlay(kd);

	mutex_lock(&kn->sad_lock);
	kd->dead = true;
	kesp_sa_flush(kd, &(struct kesp_sa_filter){});
	kesp_trap_flush(kd);
	kesp_spi_device_flush(kd);
	mutex_unlock(&kn->sad_lock);
	xa_destroy(&kd->sas);
	xa_destroy(&kd->traps);
}

/* Namespace teardown: every SA and reservation went with its device. */
void kesp_sad_net_exit(struct kesp_net *kn)
{
	kesp_spi_net_exit(kn);
	rhashtable_destroy(&kn->in_sas);
}

int __init kesp_sad_init(void)
{
	kesp_wq = alloc_workqueue("kesp", WQ_UNBOUND, 0);
	return kesp_wq ? 0 : -ENOMEM;
}

void kesp_sad_uninit(void)
{
	/* Every SA is unlinked by now: the last frees drain with the queue. */
	rcu_barrier();
	destroy_workqueue(kesp_wq);
}
