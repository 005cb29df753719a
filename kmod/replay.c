// SPDX-License-Identifier: GPL-2.0
/*
 * Anti-replay window and extended sequence numbers, RFC 4303 section 3.4.3
 * and Appendix A.
 *
 * A packet goes through the window twice (section 3.4.3: "the receiver
 * SHOULD ... update the window only if the integrity verification
 * succeeds"): kesp_replay_check() before decryption, so duplicates and old
 * packets cost no crypto, and kesp_replay_advance() after the ICV verified,
 * which checks again because another CPU may have moved the window while
 * this packet was being decrypted.
 */
#ifndef KESP_HOST_TEST
#include <linux/bitmap.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/limits.h>
#endif

#include "replay.h"

/* The largest ring is a power of two, like every ring smaller than it. */
static_assert((KESP_REPLAY_WINDOW_MAX & (KESP_REPLAY_WINDOW_MAX - 1)) == 0,
	      "KESP_REPLAY_WINDOW_MAX must be a power of two");

/*
 * The window used to infer the high-order bits when replay checking is off.
 * Appendix A2 needs some window; with no bitmap there is no reason to
 * prefer either direction, so take half the 32-bit space: a packet is then
 * placed in whichever 2^32 block puts it closest to top.
 */
#define ESN_INFER_WINDOW_OFF (1U << 31)

/**
 * kesp_replay_init - set up the receive state of a new SA
 * @r: the state, followed by kesp_replay_ring_longs(@window) longs of ring
 * @window: the replay window in packets, 0 (off) .. KESP_REPLAY_WINDOW_MAX
 * @esn: whether the SA uses 64-bit extended sequence numbers
 * @top: the highest sequence number already received, 0 for none (an SA
 *	moved from elsewhere continues where it was)
 *
 * We do not know which packets below @top were received, so all of them
 * count as seen: losing a few reordered packets after a move is better
 * than accepting one replay.
 */
void kesp_replay_init(struct kesp_replay *r, u32 window, bool esn, u64 top)
{
	/* The netlink policy refuses larger windows; never overrun the ring. */
	if (window > KESP_REPLAY_WINDOW_MAX)
		window = KESP_REPLAY_WINDOW_MAX;
	r->window = window;
	r->ring_bits = kesp_replay_ring_longs(window) * BITS_PER_LONG;
	r->esn = esn;
	r->top = top;
	if (top)
		bitmap_fill(r->ring, r->ring_bits);
	else
		bitmap_zero(r->ring, r->ring_bits);
}

/*
 * RFC 4303 Appendix A2.2, as written: Tl and Th are the low and high halves
 * of top, W the window, and the window's bottom is Tl - W + 1 (mod 2^32).
 *
 * Case A, Tl >= W - 1: the window lies within one 2^32 block. A Seql at or
 * above the bottom is in or ahead of the window, in block Th; one below it
 * can only be ahead of the window after a wrap, block Th + 1.
 *
 * Case B, Tl < W - 1: the window spans the 2^32 boundary, its bottom lies
 * in block Th - 1. A Seql at or above the (wrapped) bottom belongs to that
 * older block; anything else is in block Th.
 *
 * A block below 0 or above 2^32 - 1 does not exist; such a packet is out of
 * range rather than a reason to wrap the 64-bit counter.
 */
static int esn_infer(const struct kesp_replay *r, u32 seq_lo, u64 *seq)
{
	u32 tl = (u32)r->top, th = (u32)(r->top >> 32);
	u32 w = r->window ? r->window : ESN_INFER_WINDOW_OFF;
	u32 bottom = tl - w + 1;	/* unsigned: wraps for case B */
	u32 seqh;

	if (tl >= w - 1) {
		if (seq_lo >= bottom)
			seqh = th;
		else if (th == U32_MAX)
			return -ERANGE;
		else
			seqh = th + 1;
	} else {
		if (seq_lo < bottom)
			seqh = th;
		else if (th == 0)
			return -ERANGE;
		else
			seqh = th - 1;
	}
	*seq = (u64)seqh << 32 | seq_lo;
	return 0;
}

/* Where @seq stands relative to the window (section 3.4.3). */
static int window_test(const struct kesp_replay *r, u64 seq)
{
	if (!r->window || seq > r->top)
		return 0;
	if (r->top - seq >= r->window)
		return -ERANGE;
	if (test_bit(seq & (r->ring_bits - 1), r->ring))
		return -EEXIST;
	return 0;
}

/**
 * kesp_replay_check - may this packet be decrypted?
 * @r: the SA's receive state (read only; the caller holds its lock)
 * @seq_lo: the 32-bit sequence number field of the packet
 * @seq: set to the full sequence number, with the high-order bits inferred
 *	for ESN (Appendix A2.2); they are authenticated as part of the packet
 *	(section 2.2.1), so a wrong guess fails the ICV. Left alone when no
 *	sequence number can be inferred.
 *
 * Without ESN, sequence numbers are 32-bit and never wrap (section 3.3.3:
 * the sender rekeys first), and 0 is never sent. With ESN the 64-bit 0 is
 * never sent.
 *
 * Return: 0, -EEXIST for a duplicate, -ERANGE for a packet left of the
 * window or one with no valid sequence number.
 */
int kesp_replay_check(const struct kesp_replay *r, u32 seq_lo, u64 *seq)
{
	u64 full = seq_lo;
	int err;

	if (r->esn) {
		err = esn_infer(r, seq_lo, &full);
		if (err)
			return err;
	}
	*seq = full;
	if (!full)
		return -ERANGE;
	return window_test(r, full);
}

/* Clears the ring bits of top + 1 .. @seq, which enter the window now. */
static void window_slide(struct kesp_replay *r, u64 seq)
{
	u32 ring = r->ring_bits;
	u64 diff = seq - r->top;
	u32 start, n;

	/* A jump of a whole ring or more leaves nothing of the old window. */
	if (diff >= ring) {
		bitmap_zero(r->ring, ring);
		return;
	}
	start = (r->top + 1) & (ring - 1);
	n = diff;
	if (start + n <= ring) {
		bitmap_clear(r->ring, start, n);
	} else {
		bitmap_clear(r->ring, start, ring - start);
		bitmap_clear(r->ring, 0, n - (ring - start));
	}
}

/**
 * kesp_replay_advance - record a packet whose ICV verified
 * @r: the SA's receive state (the caller holds its lock)
 * @seq: the full sequence number kesp_replay_check() returned
 *
 * Checks again: between check and advance the lock was dropped for
 * decryption, and another packet may have taken this sequence number or
 * moved the window past it.
 *
 * With the window off nothing is recorded but top still advances, because
 * ESN inference needs it.
 *
 * Return: 0, -EEXIST or -ERANGE as kesp_replay_check().
 */
int kesp_replay_advance(struct kesp_replay *r, u64 seq)
{
	int err;

	if (!seq || (!r->esn && seq > U32_MAX))
		return -ERANGE;
	err = window_test(r, seq);
	if (err)
		return err;
	if (seq > r->top) {
		if (r->window)
			window_slide(r, seq);
		r->top = seq;
	}
	if (r->window)
		__set_bit(seq & (r->ring_bits - 1), r->ring);
	return 0;
}
