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
 * One SA's receive state. The bitmap is a ring of KESP_REPLAY_WINDOW_MAX
 * bits whatever the configured window: sequence number s lives at bit
 * s % KESP_REPLAY_WINDOW_MAX, so sliding never moves bits, it only clears
 * the ones that come into the window. Not locked: the caller holds its
 * per-SA spinlock around every call.
 */
struct kesp_replay {
	u64 top;		/* highest sequence number accepted, 0 = none */
	u32 window;		/* 0 (off) .. KESP_REPLAY_WINDOW_MAX */
	bool esn;
	unsigned long bitmap[BITS_TO_LONGS(KESP_REPLAY_WINDOW_MAX)];
};

void kesp_replay_init(struct kesp_replay *r, u32 window, bool esn, u64 top);
int kesp_replay_check(const struct kesp_replay *r, u32 seq_lo, u64 *seq);
int kesp_replay_advance(struct kesp_replay *r, u64 seq);

#endif /* KESP_REPLAY_H */
