// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic selectors and the outbound lookup: which SA of a device a packet
 * routed into it uses.
 *
 * Best match. Of the selectors that match a packet, the most specific wins,
 * compared field by field until one differs:
 *   1. the smaller destination range (end - start),
 *   2. the smaller source range,
 *   3. a specific protocol over "any",
 *   4. the smaller destination port range,
 *   5. the smaller source port range,
 *   6. the lower priority value (KESP_SA_A_PRIORITY),
 *   7. an owner bound to one CPU over one for any CPU (KESP_SA_A_CPU),
 *   8. the earlier insertion,
 * so the answer never depends on the layout of the table. This is
 * entry_cmp() below. An owner bound to another CPU than the packet's does
 * not match it at all.
 *
 * Layout. Per family, a path-compressed binary trie over the destination
 * address. Each destination range is split into the fewest prefixes that
 * cover it exactly (at most 62 for IPv4, 254 for IPv6; one when the range
 * is a prefix), and the selector gets a candidate entry in the trie node of
 * each. A node's candidates are sorted by the order above. Every candidate
 * on the path of a destination matches it on destination; the lookup walks
 * that path (at most 33 or 129 nodes, in practice the trie's depth) and at
 * each node scans the candidates only until the first that matches the
 * rest of the flow, or the first that could not beat the best so far.
 *
 * Worst case: a node whose candidates mostly fail on source, protocol or
 * ports. Many SAs with the same destination prefix that differ only in the
 * source (or ports) sit in one list, and a packet matching none of the
 * early ones walks it: the lookup is then linear in those SAs. The common
 * shapes, one SA per remote network and one per peer, stay logarithmic.
 * Memory: a selector whose destination is a prefix costs one candidate and
 * at most two nodes; an arbitrary range costs one candidate (and up to two
 * nodes) per prefix of its cover, so up to 62 (IPv4) or 254 (IPv6).
 *
 * Writers. Insertion costs a trie walk per prefix plus the sorted insertion
 * of each candidate. Entries arrive in insertion order, so a new candidate
 * that ties with a node's last one on everything but that order belongs
 * after it: the tail is tried first, and loading many SAs with equal
 * selectors (say "any", or one remote network) costs O(1) per candidate,
 * not a walk of a list that grows with every SA. Removal finds an owner's
 * entries through a hash of owners that grows with the table, and each
 * entry its candidates through a list of its own; candidates know their
 * node and predecessor, so unlinking one walks nothing.
 *
 * Concurrency: lookups run under rcu_read_lock(); insert and remove are
 * serialised by the caller's mutex. Writers build every new node and
 * candidate completely before publishing it with rcu_assign_pointer(), and
 * free what they unlink with kfree_rcu(), so a reader always sees either
 * the old or the new structure, both of which give a correct answer for
 * the selectors present before and after.
 */
#ifndef KESP_HOST_TEST
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#endif

#include "selector.h"

/*
 * Writer side: the caller's mutex serialises every writer. The table does
 * not know that mutex, so the condition cannot be checked here.
 */
#define wderef(p) rcu_dereference_protected(p, true)

#define PORT_ANY_END 0xffff
/*
 * The owner hash grows fourfold past two entries a bucket and shrinks below
 * one in eight, within these sizes.
 */
#define OWNER_MIN_BITS 8
#define OWNER_MAX_BITS 24

/* An address as a 128-bit number; IPv4 fills the top 32 bits. */
struct a128 {
	u64 hi, lo;
};

/* One selector of one owner, shared by its candidates in the trie. */
struct sel_entry {
	struct kesp_sel sel;
	/* The sort key, precomputed: see entry_cmp(). */
	struct a128 dst_size;
	struct a128 src_size;
	u16 dport_size;
	u16 sport_size;
	u32 priority;
	u32 cpu;		/* KESP_CPU_ANY or the one CPU it serves */
	u64 order;
	void *owner;
	/* Writer only: */
	struct sel_entry *owner_next;	/* tab->owners chain */
	struct sel_cand *cands;		/* this entry's candidates */
	struct rcu_head rcu;
};

/* An entry's presence in the node of one of its destination prefixes. */
struct sel_cand {
	struct sel_cand __rcu *next;	/* sorted by entry_cmp() */
	struct sel_entry *entry;
	/* Writer only: */
	struct sel_cand *prev;		/* NULL: first of node->cands */
	struct sel_node *node;
	struct sel_cand *entry_next;	/* entry->cands chain */
	struct rcu_head rcu;
};

struct sel_node {
	struct sel_node __rcu *child[2];
	struct sel_cand __rcu *cands;
	/* Writer only: */
	struct sel_cand *last;		/* the tail of cands */
	struct sel_node *parent;
	struct a128 key;		/* the prefix, bits past cidr zero */
	u8 cidr;
	struct rcu_head rcu;
};

struct kesp_seltab {
	struct rcu_head rcu;
	struct sel_node __rcu *root[2];	/* AF_INET, AF_INET6 */
	u64 next_order;
	/* Writer only: every entry, hashed by owner, for removal. */
	struct sel_entry **owners;
	unsigned int owner_bits;	/* 1 << owner_bits buckets */
	unsigned int entries;
	/* Candidates (one per prefix of a selector) and their limit; 0: none. */
	unsigned int cands, cand_limit;
};

/* ---- 128-bit helpers ----------------------------------------------------- */

static struct a128 a128_load(const u8 *b)
{
	struct a128 a = { 0, 0 };
	int i;

	for (i = 0; i < 8; i++) {
		a.hi = a.hi << 8 | b[i];
		a.lo = a.lo << 8 | b[i + 8];
	}
	return a;
}

static int a128_cmp(struct a128 a, struct a128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static struct a128 a128_sub(struct a128 a, struct a128 b)
{
	struct a128 r = { a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo };

	return r;
}

static struct a128 a128_inc(struct a128 a)
{
	struct a128 r = { a.hi + (a.lo == U64_MAX), a.lo + 1 };

	return r;
}

/* The bits after the first @cidr (the host part), as a mask. */
static struct a128 a128_hostmask(unsigned int cidr)
{
	struct a128 m;

	if (cidr == 0) {
		m.hi = U64_MAX;
		m.lo = U64_MAX;
	} else if (cidr < 64) {
		m.hi = U64_MAX >> cidr;
		m.lo = U64_MAX;
	} else if (cidr < 128) {
		m.hi = 0;
		m.lo = U64_MAX >> (cidr - 64);
	} else {
		m.hi = 0;
		m.lo = 0;
	}
	return m;
}

/* Bit @i, counted from the most significant (the first of the address). */
static unsigned int a128_bit(struct a128 a, unsigned int i)
{
	if (i < 64)
		return a.hi >> (63 - i) & 1;
	return a.lo >> (127 - i) & 1;
}

/* How many leading bits @a and @b share. */
static unsigned int a128_common(struct a128 a, struct a128 b)
{
	u64 hi = a.hi ^ b.hi, lo = a.lo ^ b.lo;

	if (hi)
		return 64 - fls64(hi);
	if (lo)
		return 128 - fls64(lo);
	return 128;
}

/* ---- selectors ----------------------------------------------------------- */

static int family_index(u16 family)
{
	if (family == AF_INET)
		return 0;
	if (family == AF_INET6)
		return 1;
	return -1;
}

static unsigned int family_bits(int fi)
{
	return fi ? 128 : 32;
}

static bool range_valid(const u8 *start, const u8 *end, int fi)
{
	static const u8 zero[12];

	if (!fi && (memcmp(start + 4, zero, 12) || memcmp(end + 4, zero, 12)))
		return false;
	return memcmp(start, end, 16) <= 0;
}

/**
 * kesp_sel_validate - can this selector go into a table?
 * @sel: the selector
 *
 * Return: 0, -EAFNOSUPPORT for a family other than AF_INET and AF_INET6,
 * -EINVAL for a range whose start lies after its end or an IPv4 address
 * with bytes beyond the first 4.
 */
int kesp_sel_validate(const struct kesp_sel *sel)
{
	int fi = family_index(sel->family);

	if (fi < 0)
		return -EAFNOSUPPORT;
	if (!range_valid(sel->src_start, sel->src_end, fi) ||
	    !range_valid(sel->dst_start, sel->dst_end, fi) ||
	    sel->sport_start > sel->sport_end ||
	    sel->dport_start > sel->dport_end)
		return -EINVAL;
	return 0;
}

static bool addr_in(const u8 *addr, const u8 *start, const u8 *end,
		    size_t len)
{
	return memcmp(addr, start, len) >= 0 && memcmp(addr, end, len) <= 0;
}

static bool port_in(u16 port, u16 start, u16 end, bool has_ports)
{
	if (start == 0 && end == PORT_ANY_END)
		return true;
	return has_ports && port >= start && port <= end;
}

/* Everything but family and destination, which the trie already matched. */
static bool match_rest(const struct kesp_sel *sel,
		       const struct kesp_flow *flow, size_t alen)
{
	return addr_in(flow->src, sel->src_start, sel->src_end, alen) &&
	       (!sel->proto || sel->proto == flow->proto) &&
	       port_in(flow->dport, sel->dport_start, sel->dport_end,
		       flow->has_ports) &&
	       port_in(flow->sport, sel->sport_start, sel->sport_end,
		       flow->has_ports);
}

/**
 * kesp_sel_match - does a packet fall under a selector?
 * @sel: the selector
 * @flow: the packet's addresses, protocol and ports
 */
bool kesp_sel_match(const struct kesp_sel *sel, const struct kesp_flow *flow)
{
	size_t alen = sel->family == AF_INET ? 4 : 16;

	return sel->family == flow->family &&
	       addr_in(flow->dst, sel->dst_start, sel->dst_end, alen) &&
	       match_rest(sel, flow, alen);
}

/* The specificity order of the file comment: < 0 when @a wins. */
static int entry_cmp(const struct sel_entry *a, const struct sel_entry *b)
{
	int d;

	d = a128_cmp(a->dst_size, b->dst_size);
	if (d)
		return d;
	d = a128_cmp(a->src_size, b->src_size);
	if (d)
		return d;
	if (!a->sel.proto != !b->sel.proto)
		return a->sel.proto ? -1 : 1;
	if (a->dport_size != b->dport_size)
		return a->dport_size < b->dport_size ? -1 : 1;
	if (a->sport_size != b->sport_size)
		return a->sport_size < b->sport_size ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	if ((a->cpu == KESP_CPU_ANY) != (b->cpu == KESP_CPU_ANY))
		return a->cpu != KESP_CPU_ANY ? -1 : 1;
	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return 0;
}

/* ---- splitting a range into prefixes ------------------------------------- */

struct prefix_iter {
	struct a128 cur;
	struct a128 end;	/* inclusive, host bits of the family set */
	unsigned int bits;
	bool done;
};

static void prefix_iter_init(struct prefix_iter *it, const struct kesp_sel *sel,
			     int fi)
{
	struct a128 host = a128_hostmask(family_bits(fi));

	it->cur = a128_load(sel->dst_start);
	it->end = a128_load(sel->dst_end);
	/* For IPv4 the 96 bits below the address count as all ones. */
	it->end.hi |= host.hi;
	it->end.lo |= host.lo;
	it->bits = family_bits(fi);
	it->done = false;
}

/*
 * The next prefix of the minimal cover: the shortest prefix that starts at
 * cur (cur has no bits set past it) and ends within the range.
 */
static bool prefix_next(struct prefix_iter *it, struct a128 *key,
			unsigned int *cidr)
{
	struct a128 host, last;
	unsigned int c;

	if (it->done)
		return false;
	for (c = 0; c < it->bits; c++) {
		host = a128_hostmask(c);
		if ((it->cur.hi & host.hi) || (it->cur.lo & host.lo))
			continue;
		last.hi = it->cur.hi | host.hi;
		last.lo = it->cur.lo | host.lo;
		if (a128_cmp(last, it->end) <= 0)
			break;
	}
	/* c == bits: a single address, whose last is cur | host bits. */
	host = a128_hostmask(c);
	last.hi = it->cur.hi | host.hi;
	last.lo = it->cur.lo | host.lo;
	*key = it->cur;
	*cidr = c;
	if (!a128_cmp(last, it->end))
		it->done = true;
	else
		it->cur = a128_inc(last);
	return true;
}

/* ---- the trie ------------------------------------------------------------ */

static struct sel_node *node_new(struct a128 key, unsigned int cidr,
				 struct sel_node *parent)
{
	struct sel_node *n = kzalloc(sizeof(*n), GFP_KERNEL_ACCOUNT);
	struct a128 host = a128_hostmask(cidr);

	if (!n)
		return NULL;
	n->key.hi = key.hi & ~host.hi;
	n->key.lo = key.lo & ~host.lo;
	n->cidr = cidr;
	n->parent = parent;
	return n;
}

/*
 * The node of prefix @key/@cidr, created if needed. A new node may need a
 * branching node above it where its path leaves an existing one; both are
 * complete before the one store that makes them visible.
 */
static struct sel_node *node_get(struct sel_node __rcu **slot,
				 struct a128 key, unsigned int cidr)
{
	struct sel_node *parent = NULL, *n, *nn, *mid;
	unsigned int common;

	for (;;) {
		n = wderef(*slot);
		if (!n) {
			nn = node_new(key, cidr, parent);
			if (nn)
				rcu_assign_pointer(*slot, nn);
			return nn;
		}
		common = a128_common(n->key, key);
		if (common > cidr)
			common = cidr;
		if (common >= n->cidr) {
			if (n->cidr == cidr)
				return n;
			parent = n;
			slot = &n->child[a128_bit(key, n->cidr)];
			continue;
		}
		nn = node_new(key, cidr, parent);
		if (!nn)
			return NULL;
		if (common == cidr) {
			/* The new prefix contains n: it goes above n. */
			RCU_INIT_POINTER(nn->child[a128_bit(n->key, cidr)], n);
			n->parent = nn;
			rcu_assign_pointer(*slot, nn);
			return nn;
		}
		/* The paths part after common bits: branch there. */
		mid = node_new(key, common, parent);
		if (!mid) {
			kfree(nn);
			return NULL;
		}
		RCU_INIT_POINTER(mid->child[a128_bit(n->key, common)], n);
		RCU_INIT_POINTER(mid->child[a128_bit(key, common)], nn);
		n->parent = mid;
		nn->parent = mid;
		rcu_assign_pointer(*slot, mid);
		return nn;
	}
}

/*
 * Removes nodes that no longer carry candidates and branch nowhere, from
 * @n up. A node with one child is replaced by that child; readers still on
 * the old node go on to the same child, so they miss nothing.
 */
static void node_prune(struct sel_node __rcu **root, struct sel_node *n)
{
	struct sel_node *parent, *child, *c0, *c1;
	struct sel_node __rcu **slot;

	while (n && !rcu_access_pointer(n->cands)) {
		c0 = wderef(n->child[0]);
		c1 = wderef(n->child[1]);
		if (c0 && c1)
			return;
		parent = n->parent;
		if (!parent)
			slot = root;
		else if (wderef(parent->child[0]) == n)
			slot = &parent->child[0];
		else
			slot = &parent->child[1];
		child = c0 ? c0 : c1;
		if (child)
			child->parent = parent;
		rcu_assign_pointer(*slot, child);
		kfree_rcu(n, rcu);
		/* With a child left in its place, parent keeps two children. */
		if (child)
			return;
		n = parent;
	}
}

/*
 * Puts @c into @n's list at its place in entry_cmp() order. The tail is
 * tried first (see "Writers" in the file comment); otherwise the list is
 * walked from the head.
 */
static void cand_link(struct sel_node *n, struct sel_cand *c)
{
	struct sel_cand *prev = n->last, *next = NULL;

	if (prev && entry_cmp(prev->entry, c->entry) > 0) {
		prev = NULL;
		next = wderef(n->cands);
		while (next && entry_cmp(next->entry, c->entry) < 0) {
			prev = next;
			next = wderef(next->next);
		}
	}
	c->node = n;
	c->prev = prev;
	RCU_INIT_POINTER(c->next, next);
	if (next)
		next->prev = c;
	else
		n->last = c;
	if (prev)
		rcu_assign_pointer(prev->next, c);
	else
		rcu_assign_pointer(n->cands, c);
}

/* Unlinks @c from its node; readers on it still find its next. */
static void cand_unlink(struct sel_cand *c)
{
	struct sel_cand *next = wderef(c->next);
	struct sel_node *n = c->node;

	if (c->prev)
		rcu_assign_pointer(c->prev->next, next);
	else
		rcu_assign_pointer(n->cands, next);
	if (next)
		next->prev = c->prev;
	else
		n->last = c->prev;
	kfree_rcu(c, rcu);
}

/* Takes @e out of the trie; also undoes a partial insertion. */
static void entry_unlink(struct kesp_seltab *tab, struct sel_entry *e)
{
	struct sel_node __rcu **root = &tab->root[family_index(e->sel.family)];
	struct sel_node *n;
	struct sel_cand *c;

	while ((c = e->cands)) {
		e->cands = c->entry_next;
		n = c->node;
		cand_unlink(c);
		node_prune(root, n);
		tab->cands--;
	}
}

static u32 owner_hash(void *owner, unsigned int bits)
{
	u64 h = (u64)(uintptr_t)owner * 0x9e3779b97f4a7c15ULL;

	return h >> (64 - bits);
}

static struct sel_entry **owner_bucket(struct kesp_seltab *tab, void *owner)
{
	return &tab->owners[owner_hash(owner, tab->owner_bits)];
}

/*
 * Rehashes the owners into 1 << @bits buckets. Without memory the table
 * keeps its size: chains get longer, nothing breaks.
 */
static void owners_resize(struct kesp_seltab *tab, unsigned int bits)
{
	struct sel_entry **owners, *e;
	unsigned int i;

	owners = kvcalloc(1U << bits, sizeof(*owners), GFP_KERNEL_ACCOUNT);
	if (!owners)
		return;
	for (i = 0; i < 1U << tab->owner_bits; i++) {
		while ((e = tab->owners[i])) {
			u32 h = owner_hash(e->owner, bits);

			tab->owners[i] = e->owner_next;
			e->owner_next = owners[h];
			owners[h] = e;
		}
	}
	kvfree(tab->owners);
	tab->owners = owners;
	tab->owner_bits = bits;
}

/* ---- the table ----------------------------------------------------------- */

/**
 * kesp_seltab_alloc - an empty outbound selector table
 *
 * Return: the table, or NULL without memory.
 */
struct kesp_seltab *kesp_seltab_alloc(void)
{
	struct kesp_seltab *tab = kzalloc(sizeof(*tab), GFP_KERNEL_ACCOUNT);

	if (!tab)
		return NULL;
	tab->owner_bits = OWNER_MIN_BITS;
	tab->owners = kvcalloc(1U << tab->owner_bits, sizeof(*tab->owners),
			       GFP_KERNEL_ACCOUNT);
	if (!tab->owners) {
		kfree(tab);
		return NULL;
	}
	return tab;
}

/**
 * kesp_seltab_set_limit - how many prefixes the table may hold
 * @tab: the table; the caller holds the writers' mutex
 * @limit: candidates (each selector has one per prefix of its destination
 *	range), or 0 for no limit. Lowering it below what the table holds
 *	removes nothing; inserts fail until it fits again.
 */
void kesp_seltab_set_limit(struct kesp_seltab *tab, unsigned int limit)
{
	tab->cand_limit = limit;
}

/* How many prefixes the table holds; racy without the writers' mutex. */
unsigned int kesp_seltab_prefixes(const struct kesp_seltab *tab)
{
	return READ_ONCE(tab->cands);
}

/* The order the next insert gets, for kesp_seltab_remove_range(). */
u64 kesp_seltab_next_order(const struct kesp_seltab *tab)
{
	return tab->next_order;
}

/**
 * kesp_seltab_insert - add one selector of an SA
 * @tab: the table; the caller holds the mutex serialising its writers
 * @sel: the selector, copied
 * @priority: breaks ties between equally specific selectors, lower wins
 * @cpu: KESP_CPU_ANY, or the only CPU whose packets the selector matches
 *	(it then beats an equal one for any CPU)
 * @owner: what a lookup returns for this selector (the SA); one owner may
 *	have many selectors
 *
 * Lookups may see the selector before this returns, but never a broken
 * table; after a failure none of it is left (lookups that started before
 * may still return @owner, as after kesp_seltab_remove()).
 *
 * Return: 0, a kesp_sel_validate() error, -ENOSPC past the table's limit
 * of prefixes, or -ENOMEM.
 */
int kesp_seltab_insert(struct kesp_seltab *tab, const struct kesp_sel *sel,
		       u32 priority, u32 cpu, void *owner)
{
	struct sel_entry *e, **bucket;
	struct prefix_iter it;
	struct sel_cand *c;
	struct sel_node *n;
	unsigned int cidr;
	struct a128 key;
	int fi, err;

	err = kesp_sel_validate(sel);
	if (err)
		return err;
	fi = family_index(sel->family);
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->sel = *sel;
	e->dst_size = a128_sub(a128_load(sel->dst_end),
			       a128_load(sel->dst_start));
	e->src_size = a128_sub(a128_load(sel->src_end),
			       a128_load(sel->src_start));
	e->dport_size = sel->dport_end - sel->dport_start;
	e->sport_size = sel->sport_end - sel->sport_start;
	e->priority = priority;
	e->cpu = cpu;
	e->order = tab->next_order++;
	e->owner = owner;

	prefix_iter_init(&it, sel, fi);
	while (prefix_next(&it, &key, &cidr)) {
		err = -ENOSPC;
		if (tab->cand_limit && tab->cands >= tab->cand_limit)
			goto fail;
		err = -ENOMEM;
		c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
		if (!c)
			goto fail;
		n = node_get(&tab->root[fi], key, cidr);
		if (!n) {
			kfree(c);
			goto fail;
		}
		c->entry = e;
		cand_link(n, c);
		c->entry_next = e->cands;
		e->cands = c;
		tab->cands++;
	}
	if (++tab->entries > 2U << tab->owner_bits &&
	    tab->owner_bits < OWNER_MAX_BITS)
		owners_resize(tab, tab->owner_bits + 2);
	bucket = owner_bucket(tab, owner);
	e->owner_next = *bucket;
	*bucket = e;
	return 0;

fail:
	entry_unlink(tab, e);
	kfree_rcu(e, rcu);
	return err;
}

/**
 * kesp_seltab_remove_range - remove some selectors of an SA
 * @tab: the table; the caller holds the mutex serialising its writers
 * @owner: the SA
 * @from: the first insertion order removed (kesp_seltab_next_order())
 * @to: the first insertion order kept again
 *
 * Replacing an owner's selectors without a moment in which its packets
 * find no selector: insert the new ones, then remove the range of the old
 * ones (or, when an insert failed, the range of the new ones). Lookups
 * that started before may still return @owner: the caller keeps the SA
 * alive (or refuses it by its own state) until an RCU grace period has
 * passed.
 */
void kesp_seltab_remove_range(struct kesp_seltab *tab, void *owner, u64 from,
			      u64 to)
{
	struct sel_entry **pp = owner_bucket(tab, owner), *e;

	while ((e = *pp)) {
		if (e->owner != owner || e->order < from || e->order >= to) {
			pp = &e->owner_next;
			continue;
		}
		*pp = e->owner_next;
		entry_unlink(tab, e);
		kfree_rcu(e, rcu);
		tab->entries--;
	}
	if (tab->entries < 1U << (tab->owner_bits - 3) &&
	    tab->owner_bits > OWNER_MIN_BITS)
		owners_resize(tab, tab->owner_bits - 2);
}

/* kesp_seltab_remove_range() of every selector of @owner. */
void kesp_seltab_remove(struct kesp_seltab *tab, void *owner)
{
	kesp_seltab_remove_range(tab, owner, 0, U64_MAX);
}

/**
 * kesp_seltab_lookup - the SA for an outbound packet
 * @tab: the table
 * @flow: the packet
 *
 * Context: rcu_read_lock() held; the result is valid only under it.
 * Return: the owner of the best matching selector (see the file comment),
 * or NULL.
 */
void *kesp_seltab_lookup(struct kesp_seltab *tab, const struct kesp_flow *flow)
{
	const struct sel_entry *best = NULL;
	int fi = family_index(flow->family);
	struct sel_node *n;
	struct sel_cand *c;
	struct a128 dst;
	unsigned int bits;
	size_t alen;

	if (fi < 0)
		return NULL;
	bits = family_bits(fi);
	alen = bits / 8;
	dst = a128_load(flow->dst);
	n = rcu_dereference(tab->root[fi]);
	while (n && a128_common(n->key, dst) >= n->cidr) {
		/* Sorted: past the first match or the best, nothing wins. */
		for (c = rcu_dereference(n->cands); c;
		     c = rcu_dereference(c->next)) {
			if (best && entry_cmp(c->entry, best) > 0)
				break;
			if ((c->entry->cpu == KESP_CPU_ANY ||
			     c->entry->cpu == flow->cpu) &&
			    match_rest(&c->entry->sel, flow, alen)) {
				best = c->entry;
				break;
			}
		}
		if (n->cidr >= bits)
			break;
		n = rcu_dereference(n->child[a128_bit(dst, n->cidr)]);
	}
	return best ? best->owner : NULL;
}

/**
 * kesp_seltab_free - free a table and whatever it still holds
 * @tab: the table, or NULL; the caller holds the writers' mutex or is the
 *	last user. Lookups still running finish safely: everything is freed
 *	after a grace period.
 */
void kesp_seltab_free(struct kesp_seltab *tab)
{
	struct sel_entry *e;
	unsigned int i;

	if (!tab)
		return;
	for (i = 0; i < 1U << tab->owner_bits; i++) {
		while ((e = tab->owners[i])) {
			tab->owners[i] = e->owner_next;
			entry_unlink(tab, e);
			kfree_rcu(e, rcu);
		}
	}
	kvfree(tab->owners);
	kfree_rcu(tab, rcu);
}
