/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Anti-replay window for inbound SAs, with extended sequence numbers
 * (RFC 4303 section 3.4.3 and Appendix A).
 */
#ifndef KESP_REPLAY_H
#define KESP_REPLAY_H

/*
 * The host unit tests compile this file and replay.c in userspace: they
 * include selftests/unit/kshim/kshim.h first, which defines KESP_HOST_TEST
 * and stands in for exactly the kernel headers below.
 */
#ifndef KESP_HOST_TEST
#include <linux/bitops.h>
#include <linux/types.h>
#endif
#include <linux/kesp.h>

/*
 * One SA's receive state. The bitmap is a ring of ring_bits bits, a power
 * of two no smaller than the window (nor than one long): sequence number s
 * lives at bit s % ring_bits, so sliding never moves bits, it only clears
 * the ones that come into the window. The ring ends the structure, and the
 * structure ends the SA, so an SA carries only the ring its window needs: a
 * ring for the largest window in every SA made each one a 1 KiB object.
 * Not locked: the caller holds its per-SA spinlock around every call.
 */
struct kesp_replay {
	u64 top;		/* highest sequence number accepted, 0 = none */
	u32 window;		/* 0 (off) .. KESP_REPLAY_WINDOW_MAX */
	u32 ring_bits;		/* 0 when the window is off */
	bool esn;
	unsigned long ring[];
};

/**
 * kesp_replay_ring_longs - the size of the ring a window needs
 * @window: the replay window in packets (larger than the maximum: clamped)
 *
 * Return: the number of longs that must follow a struct kesp_replay that
 * kesp_replay_init() is given this window.
 */
static inline u32 kesp_replay_ring_longs(u32 window)
{
	u32 bits = BITS_PER_LONG;

	if (!window)
		return 0;
	while (bits < window && bits < KESP_REPLAY_WINDOW_MAX)
		bits <<= 1;
	return BITS_TO_LONGS(bits);
}

void kesp_replay_init(struct kesp_replay *r, u32 window, bool esn, u64 top);
int kesp_replay_check(const struct kesp_replay *r, u32 seq_lo, u64 *seq);
int kesp_replay_advance(struct kesp_replay *r, u64 seq);

#endif /* KESP_REPLAY_H */
