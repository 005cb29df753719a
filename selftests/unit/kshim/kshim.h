/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's API for kmod/replay.c and kmod/selector.c to
 * compile and run in a host unit test. A test includes this header first,
 * then the kmod source file itself; kmod headers skip their kernel includes
 * when KESP_HOST_TEST is defined (see kmod/replay.h and kmod/selector.h).
 *
 * RCU is modelled with atomic pointer accesses, an optional deferred free
 * (kshim_synchronize_rcu()) and an optional hook run at every publication
 * (kshim_publish_hook).
 */
#ifndef KESP_KSHIM_H
#define KESP_KSHIM_H

#define KESP_HOST_TEST 1

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <assert.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define U32_MAX ((u32)~0U)
#define U64_MAX ((u64)~0ULL)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- bitops -------------------------------------------------------------- */
#define BITS_PER_LONG ((int)(sizeof(long) * CHAR_BIT))
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

static inline void __set_bit(unsigned long nr, unsigned long *map)
{
	map[nr / BITS_PER_LONG] |= 1UL << (nr % BITS_PER_LONG);
}

static inline bool test_bit(unsigned long nr, const unsigned long *map)
{
	return map[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG) & 1;
}

static inline void bitmap_zero(unsigned long *map, unsigned int nbits)
{
	memset(map, 0, BITS_TO_LONGS(nbits) * sizeof(long));
}

static inline void bitmap_fill(unsigned long *map, unsigned int nbits)
{
	memset(map, 0xff, BITS_TO_LONGS(nbits) * sizeof(long));
}

/* Bit by bit: slow but obviously right, unlike the kernel's word version. */
static inline void bitmap_clear(unsigned long *map, unsigned int start,
				unsigned int nbits)
{
	while (nbits--) {
		map[start / BITS_PER_LONG] &= ~(1UL << (start % BITS_PER_LONG));
		start++;
	}
}

static inline int fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

/* ---- memory ------------------------------------------------------------- */
typedef unsigned int gfp_t;
#define GFP_KERNEL 0U
/* Charged to the caller's memory cgroup in the kernel; the same here. */
#define GFP_KERNEL_ACCOUNT 0U

struct rcu_head {
	void *unused;
};

/*
 * Fault injection: when kshim_fail_after >= 0, that many more allocations
 * succeed and the ones after fail, until a test sets it back to -1.
 */
static int kshim_fail_after = -1;

static inline bool kshim_alloc_fails(void)
{
	if (kshim_fail_after < 0)
		return false;
	if (kshim_fail_after == 0)
		return true;
	kshim_fail_after--;
	return false;
}

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	return kshim_alloc_fails() ? NULL : malloc(size);
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	return kshim_alloc_fails() ? NULL : calloc(1, size);
}

#define kfree(p) free(p)

static inline void *kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	(void)gfp;
	return kshim_alloc_fails() ? NULL : calloc(n, size);
}

#define kvfree(p) free(p)

/*
 * RCU. Pointer publication and reads are release stores and acquire
 * loads, so tests may run lookups in threads beside a writer. kfree_rcu()
 * frees at once (a use after removal is then a use after free that
 * AddressSanitizer reports) unless a test sets kshim_rcu_defer: then it
 * queues, and kshim_synchronize_rcu(), called once no reader runs, stands
 * for the grace period.
 */
static bool kshim_rcu_defer;
static void **kshim_rcu_queue;
static size_t kshim_rcu_queued, kshim_rcu_room;

static inline void kshim_kfree_rcu(void *p)
{
	if (!kshim_rcu_defer) {
		free(p);
		return;
	}
	if (kshim_rcu_queued == kshim_rcu_room) {
		kshim_rcu_room = kshim_rcu_room ? 2 * kshim_rcu_room : 1024;
		kshim_rcu_queue = realloc(kshim_rcu_queue,
					  kshim_rcu_room * sizeof(void *));
		if (!kshim_rcu_queue)
			abort();
	}
	kshim_rcu_queue[kshim_rcu_queued++] = p;
}

static inline void kshim_synchronize_rcu(void)
{
	while (kshim_rcu_queued)
		free(kshim_rcu_queue[--kshim_rcu_queued]);
	free(kshim_rcu_queue);
	kshim_rcu_queue = NULL;
	kshim_rcu_room = 0;
}

#define kfree_rcu(p, field) kshim_kfree_rcu(p)

#define __rcu
#define rcu_dereference(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_dereference_protected(p, c) ((void)(c), (p))
#define rcu_access_pointer(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
/*
 * A test may set kshim_publish_hook to run reader checks right after every
 * publication, i.e. in every state a concurrent reader could observe.
 */
static void (*kshim_publish_hook)(void) __attribute__((unused));

#define rcu_assign_pointer(p, v) do {					\
	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE);			\
	if (kshim_publish_hook)						\
		kshim_publish_hook();					\
} while (0)
#define RCU_INIT_POINTER(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELAXED)

#endif /* KESP_KSHIM_H */
