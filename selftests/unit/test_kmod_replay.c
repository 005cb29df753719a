// SPDX-License-Identifier: GPL-2.0
/*
 * kmod/replay.c compiled for the host: the anti-replay window of RFC 4303
 * section 3.4.3 and the ESN inference of Appendix A2.2.
 */
#include "kshim/kshim.h"
#include "../../kmod/replay.c"

#include <stdio.h>
#include <stdlib.h>

#include "tap.h"

#define B32 (1ULL << 32)

/*
 * A receive state for window W as an SA holds it: freed OLD's successor,
 * on the heap with exactly the ring the window needs after it, so that
 * ASan sees any bit used outside the ring.
 */
static struct kesp_replay *replay_new(struct kesp_replay *old, u32 w,
				      bool esn, u64 top)
{
	struct kesp_replay *r;

	free(old);
	r = malloc(sizeof(*r) + kesp_replay_ring_longs(w) * sizeof(long));
	if (!r)
		abort();
	kesp_replay_init(r, w, esn, top);
	return r;
}

/* kesp_replay_check() returning both the verdict and the inferred number. */
static void expect_check(const struct kesp_replay *r, u32 lo, int err,
			 u64 seq, const char *what)
{
	u64 got = 0xdeadbeefULL;
	int e = kesp_replay_check(r, lo, &got);
	char name[200];

	snprintf(name, sizeof(name), "%s: check(%#x) returns %d", what, lo, err);
	TAP_EQ_INT(e, err, name);
	if (err != -ERANGE || seq) {
		snprintf(name, sizeof(name), "%s: check(%#x) infers %#llx", what,
			 lo, (unsigned long long)seq);
		TAP_EQ_INT(got, seq, name);
	}
}

/* Check then advance, as the receive path does; returns advance's verdict. */
static int receive(struct kesp_replay *r, u32 lo)
{
	u64 seq;
	int err = kesp_replay_check(r, lo, &seq);

	return err ? err : kesp_replay_advance(r, seq);
}

static void test_basic(void)
{
	struct kesp_replay *r = NULL;

	r = replay_new(r, 64, false, 0);
	TAP_EQ_INT(receive(r, 5), 0, "first packet accepted");
	TAP_EQ_INT(r->top, 5, "top follows the first packet");
	TAP_EQ_INT(receive(r, 5), -EEXIST, "duplicate of top rejected");
	TAP_EQ_INT(receive(r, 3), 0, "in-window older packet accepted");
	TAP_EQ_INT(receive(r, 3), -EEXIST, "its duplicate rejected");
	TAP_EQ_INT(receive(r, 4), 0, "another out-of-order packet accepted");
	TAP_EQ_INT(r->top, 5, "out-of-order packets leave top alone");
	TAP_EQ_INT(receive(r, 9), 0, "packet ahead accepted");
	TAP_EQ_INT(receive(r, 7), 0, "skipped packet accepted later");
	TAP_EQ_INT(receive(r, 6), 0, "another skipped packet accepted later");
	TAP_EQ_INT(receive(r, 6), -EEXIST, "and only once");
	TAP_EQ_INT(receive(r, 8), 0, "last gap filled");
	TAP_EQ_INT(receive(r, 1), 0, "packet 1 still in the window");
	TAP_EQ_INT(receive(r, 1), -EEXIST, "packet 1 only once");
	free(r);
}

static void test_zero(void)
{
	struct kesp_replay *r = NULL;
	u64 seq;

	r = replay_new(r, 64, false, 0);
	expect_check(r, 0, -ERANGE, 0, "no ESN, empty");
	TAP_EQ_INT(kesp_replay_advance(r, 0), -ERANGE, "advance(0) refused");
	r = replay_new(r, 0, false, 0);
	TAP_EQ_INT(kesp_replay_check(r, 0, &seq), -ERANGE,
		   "seq 0 refused with the window off");
	r = replay_new(r, 64, true, 0);
	expect_check(r, 0, -ERANGE, 0, "ESN, empty");
	TAP_EQ_INT(kesp_replay_advance(r, 0), -ERANGE, "ESN advance(0) refused");
	r = replay_new(r, 64, true, 100);
	expect_check(r, 0, 0, B32, "ESN, low half 0 far ahead is 2^32");
	r = replay_new(r, 64, true, B32 + 10);
	expect_check(r, 0, -EEXIST, B32, "ESN, 2^32 in the window counts as seen");
	free(r);
}

/* The window's left edge for one size, without and with ESN. */
static void test_edges(u32 w, bool esn)
{
	const u64 top = 100000;
	struct kesp_replay *r = NULL;
	char what[64];

	snprintf(what, sizeof(what), "window %u%s", w, esn ? " ESN" : "");
	r = replay_new(r, w, esn, 0);
	TAP_EQ_INT(receive(r, top), 0, what);
	if (w > 1) {
		expect_check(r, top - w + 1, 0, top - w + 1, what);
		TAP_EQ_INT(receive(r, top - w + 1), 0,
			   "top - window + 1 accepted");
		TAP_EQ_INT(receive(r, top - w + 1), -EEXIST,
			   "top - window + 1 only once");
	} else {
		expect_check(r, top, -EEXIST, top, what);
	}
	/*
	 * With ESN, A2.2 takes a Seql below the window for one of the next
	 * 2^32 block; the ICV check then fails. The 64-bit number itself
	 * is still refused by the window.
	 */
	if (esn)
		expect_check(r, top - w, 0, B32 + top - w, what);
	else
		expect_check(r, top - w, -ERANGE, 0, what);
	TAP_EQ_INT(kesp_replay_advance(r, top - w), -ERANGE,
		   "advance(top - window) refused");
	TAP_EQ_INT(receive(r, top + 1), 0, "next packet accepted");
	if (esn)
		expect_check(r, top - w + 1, 0, B32 + top - w + 1,
			     "edge moved with top");
	else
		expect_check(r, top - w + 1, -ERANGE, 0, "edge moved with top");
	TAP_EQ_INT(kesp_replay_advance(r, top - w + 1), -ERANGE,
		   "advance(old edge) now refused");
	free(r);
}

static void test_window_off(void)
{
	struct kesp_replay *r = NULL;

	r = replay_new(r, 0, false, 0);
	TAP_EQ_INT(receive(r, 100), 0, "off: packet accepted");
	TAP_EQ_INT(receive(r, 100), 0, "off: duplicate accepted");
	TAP_EQ_INT(receive(r, 1), 0, "off: old packet accepted");
	TAP_EQ_INT(r->top, 100, "off: top still tracked");
	TAP_EQ_INT(receive(r, U32_MAX), 0, "off: 2^32 - 1 accepted");
	expect_check(r, 5, 0, 5, "off, no ESN: no wrap inferred");

	/* ESN with the window off still infers, around top. */
	r = replay_new(r, 0, true, B32 - 10);
	expect_check(r, 5, 0, B32 + 5, "off, ESN: just past 2^32");
	TAP_EQ_INT(receive(r, 5), 0, "off, ESN: crossing accepted");
	TAP_EQ_INT(r->top, B32 + 5, "off, ESN: top crossed 2^32");
	expect_check(r, 0xfffffff0, 0, 0xfffffff0,
		     "off, ESN: just before 2^32 keeps the old high bits");
	expect_check(r, 0x80000005, 0, B32 + 0x80000005,
		     "off, ESN: 2^31 ahead is still ahead");
	expect_check(r, 0x80000006, 0, 0x80000006,
		     "off, ESN: beyond 2^31 ahead is behind");
	free(r);
}

static void test_big_jumps(void)
{
	struct kesp_replay *r = NULL;
	u32 i;
	int bad;

	r = replay_new(r, 64, false, 0);
	for (i = 1; i <= 64; i++)
		receive(r, i);
	TAP_EQ_INT(receive(r, 1000000000), 0, "jump of 10^9 accepted");
	expect_check(r, 1000000000 - 1, 0, 1000000000 - 1,
		     "after a jump the window below is empty");
	expect_check(r, 1000000000 - 63, 0, 1000000000 - 63, "jump: left edge");
	expect_check(r, 1000000000 - 64, -ERANGE, 0, "jump: beyond the edge");
	TAP_EQ_INT(receive(r, U32_MAX), 0, "jump to 2^32 - 1 accepted");
	expect_check(r, U32_MAX - 1, 0, U32_MAX - 1, "below 2^32 - 1 empty");

	/* Jumps shorter than the ring must clear exactly the new bits. */
	r = replay_new(r, 4096, false, 0);
	for (i = 1; i <= 4096; i++)
		receive(r, i);
	TAP_EQ_INT(receive(r, 4096 + 4000), 0, "jump of 4000 in a 4096 window");
	for (bad = 0, i = 4001; i <= 4096; i++)
		bad += kesp_replay_check(r, i, &(u64){0}) != -EEXIST;
	TAP_EQ_INT(bad, 0, "packets still in the window stay seen");
	for (bad = 0, i = 4097; i < 4096 + 4000; i++)
		bad += kesp_replay_check(r, i, &(u64){0}) != 0;
	TAP_EQ_INT(bad, 0, "packets that entered the window are unseen");
	expect_check(r, 4000, -ERANGE, 0, "4096 window: beyond the edge");
	TAP_EQ_INT(receive(r, 8096 + 4096), 0, "jump of exactly the ring");
	expect_check(r, 8096 + 1, 0, 8096 + 1, "after ring jump: left edge");
	expect_check(r, 8096, -ERANGE, 0, "after ring jump: old top out");
	free(r);
}

static void test_esn_boundary(void)
{
	struct kesp_replay *r = NULL;

	/* Case A of A2.2: Tl >= W - 1, bottom = Tl - W + 1 = 0xffffffb7. */
	r = replay_new(r, 64, true, 0xffffff00);
	TAP_EQ_INT(receive(r, 0xfffffff6), 0, "ESN: top = 2^32 - 10");
	expect_check(r, 5, 0, B32 + 5, "ESN A: small Seql infers Th + 1");
	expect_check(r, 0xfffffff0, 0, 0xfffffff0, "ESN A: in window, Th");
	expect_check(r, 0xffffffb7, 0, 0xffffffb7, "ESN A: bottom, Th");
	expect_check(r, 0xffffffb6, 0, B32 + 0xffffffb6,
		     "ESN A: below bottom infers Th + 1");
	expect_check(r, 0xfffffff6, -EEXIST, 0xfffffff6, "ESN A: top seen");
	TAP_EQ_INT(receive(r, 5), 0, "ESN: crossing 2^32 accepted");
	TAP_EQ_INT(r->top, B32 + 5, "ESN: top = 2^32 + 5");

	/* Case B: Tl = 5 < W - 1, bottom wraps to 5 - 63 = 0xffffffc6. */
	expect_check(r, 0xfffffff8, 0, 0xfffffff8,
		     "ESN B: just before 2^32 infers Th - 1");
	TAP_EQ_INT(receive(r, 0xfffffff8), 0, "ESN B: late packet accepted");
	expect_check(r, 0xfffffff8, -EEXIST, 0xfffffff8, "ESN B: only once");
	expect_check(r, 0xfffffff6, -EEXIST, 0xfffffff6,
		     "ESN B: packet from before the crossing seen");
	expect_check(r, 0xffffffc6, 0, 0xffffffc6, "ESN B: bottom, Th - 1");
	expect_check(r, 0xffffffc5, 0, B32 + 0xffffffc5,
		     "ESN B: below bottom infers Th");
	expect_check(r, 0x10, 0, B32 + 0x10, "ESN B: ahead, Th");
	expect_check(r, 5, -EEXIST, B32 + 5, "ESN B: top seen");

	/* From 0, a jump to just below 2^32 is ambiguous: case B, Th - 1. */
	r = replay_new(r, 64, true, 0);
	expect_check(r, 0xfffffff6, -ERANGE, 0, "ESN B, from 0: no block -1");

	/* Case B with Th = 0: the block below does not exist. */
	r = replay_new(r, 64, true, 0);
	TAP_EQ_INT(receive(r, 10), 0, "ESN: top = 10");
	expect_check(r, 0xfffffff0, -ERANGE, 0, "ESN B, Th = 0: nothing below 0");
	expect_check(r, 9, 0, 9, "ESN B, Th = 0: in window");

	/* Case A with Th = 2^32 - 1: no block above. */
	r = replay_new(r, 64, true, U64_MAX - 5);
	expect_check(r, 1, -ERANGE, 0, "ESN A, Th max: no wrap of 64 bits");
	expect_check(r, 0xfffffffe, 0, U64_MAX - 1, "ESN A, Th max: ahead");

	/* A window of 4096 spanning 2^32. */
	r = replay_new(r, 4096, true, 0);
	TAP_EQ_INT(kesp_replay_advance(r, B32 + 100), 0, "ESN 4096: top");
	expect_check(r, 0xfffff065, 0, 0xfffff065,
		     "ESN 4096: bottom is 2^32 + 100 - 4095, Th - 1");
	expect_check(r, 0xfffff064, 0, B32 + 0xfffff064,
		     "ESN 4096: one below bottom infers Th");

	/* Without ESN, no wrap is ever inferred. */
	r = replay_new(r, 64, false, 0);
	TAP_EQ_INT(receive(r, 0xfffffff6), 0, "no ESN: top = 2^32 - 10");
	expect_check(r, 5, -ERANGE, 0, "no ESN: small seq after 2^32 - 10 is old");
	expect_check(r, U32_MAX, 0, U32_MAX, "no ESN: 2^32 - 1 accepted");
	TAP_EQ_INT(kesp_replay_advance(r, B32 + 1), -ERANGE,
		   "no ESN: advance above 32 bits refused");
	free(r);
}

static void test_recheck(void)
{
	struct kesp_replay *r = NULL;
	u64 a, b;

	r = replay_new(r, 64, false, 0);
	TAP_EQ_INT(receive(r, 20), 0, "recheck: top 20");
	TAP_EQ_INT(kesp_replay_check(r, 7, &a), 0, "first copy passes check");
	TAP_EQ_INT(kesp_replay_check(r, 7, &b), 0, "second copy passes check");
	TAP_EQ_INT(kesp_replay_advance(r, a), 0, "first advance succeeds");
	TAP_EQ_INT(kesp_replay_advance(r, b), -EEXIST, "second advance refused");

	TAP_EQ_INT(kesp_replay_check(r, 10, &a), 0, "check of 10 passes");
	TAP_EQ_INT(receive(r, 10 + 64), 0, "another CPU moves the window");
	TAP_EQ_INT(kesp_replay_advance(r, a), -ERANGE,
		   "advance of 10 now left of the window");

	/* Same for a new top: the second copy is then a duplicate of top. */
	TAP_EQ_INT(kesp_replay_check(r, 100, &a), 0, "ahead copy 1 checks");
	TAP_EQ_INT(kesp_replay_check(r, 100, &b), 0, "ahead copy 2 checks");
	TAP_EQ_INT(kesp_replay_advance(r, a), 0, "ahead copy 1 advances");
	TAP_EQ_INT(kesp_replay_advance(r, b), -EEXIST, "ahead copy 2 refused");
	free(r);
}

static void test_init_top(void)
{
	struct kesp_replay *r = NULL;

	r = replay_new(r, 64, false, 1000);
	expect_check(r, 1000, -EEXIST, 1000, "init top: top seen");
	expect_check(r, 990, -EEXIST, 990, "init top: window below counts seen");
	expect_check(r, 936, -ERANGE, 0, "init top: left of the window");
	expect_check(r, 1001, 0, 1001, "init top: next accepted");
	r = replay_new(r, 100000, false, 0);
	TAP_EQ_INT(r->window, KESP_REPLAY_WINDOW_MAX, "oversized window clamped");
	free(r);
}

/* Each SA's ring is the smallest power of two that holds its window. */
static void test_ring_size(void)
{
	static const struct { u32 window, longs; } want[] = {
		{ 0, 0 }, { 1, 1 }, { 64, 1 }, { 65, 2 }, { 128, 2 },
		{ 129, 4 }, { 1000, 16 }, { 4096, 64 }, { 100000, 64 },
	};
	struct kesp_replay *r = NULL;
	unsigned int i;
	char name[80];

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(name, sizeof(name), "window %u: a ring of %u longs",
			 want[i].window, want[i].longs);
		TAP_EQ_INT(kesp_replay_ring_longs(want[i].window), want[i].longs,
			   name);
		r = replay_new(r, want[i].window, false, 0);
		snprintf(name, sizeof(name), "window %u: init uses all of it",
			 want[i].window);
		TAP_EQ_INT(r->ring_bits, want[i].longs * 64, name);
	}
	free(r);
}

/* Random traffic against a model that keeps every accepted number. */
static void test_random(u32 w, unsigned int seed)
{
	enum { N = 1 << 20 };
	static bool seen[N];
	struct kesp_replay *r = NULL;
	u64 top = 0, seq;
	int i, bad = 0;

	memset(seen, 0, sizeof(seen));
	srandom(seed);
	r = replay_new(r, w, false, 0);
	for (i = 0; i < 200000; i++) {
		long span = 3 * (long)w + 8;
		long d = random() % (2 * span) - span + (random() % 64 == 0 ? 5000 : 0);
		long s = (long)top + d;
		int want, got;

		if (s < 0 || s >= N)
			continue;
		if (s == 0)
			want = -ERANGE;
		else if (!w || (u64)s > top)
			want = 0;
		else if (top - s >= w)
			want = -ERANGE;
		else if (seen[s])
			want = -EEXIST;
		else
			want = 0;
		got = kesp_replay_check(r, s, &seq);
		if (!got)
			got = kesp_replay_advance(r, seq);
		if (got != want && bad++ < 5)
			printf("#   seq %ld top %llu: got %d want %d\n", s,
			       (unsigned long long)top, got, want);
		if (!want) {
			seen[s] = true;
			if ((u64)s > top)
				top = s;
		}
	}
	{
		char name[64];

		snprintf(name, sizeof(name), "random traffic, window %u", w);
		TAP_EQ_INT(bad, 0, name);
	}
	free(r);
}

/*
 * ESN traffic around 2^32 against a model that knows each packet's true
 * 64-bit number. Only the low 32 bits go through kesp_replay_check(); an
 * inferred number other than the true one stands for an ICV failure
 * (section 2.2.1: the high bits are authenticated), so the packet is
 * dropped. Appendix A2 promises the right guess for every packet in the
 * window or less than 2^32 - W ahead of it; older packets must be dropped
 * one way or the other.
 */
static void test_random_esn(u32 w, unsigned int seed)
{
	enum { SPAN = 1 << 20 };
	static bool seen[2 * SPAN];
	const u64 base = B32 - SPAN;	/* seen[i] is base + i */
	/* How far behind top packets arrive: with the window off, far. */
	const long behind = w ? 3 * (long)w / 2 + 8 : 1 << 20;
	struct kesp_replay *r = NULL;
	u64 top = B32 - 3000, seq;
	int i, bad = 0, near = 0, crossed = 0;
	char name[80];

	memset(seen, 0, sizeof(seen));
	srandom(seed);
	r = replay_new(r, w, true, top);
	for (i = 0; i < 300000; i++) {
		/*
		 * Mostly late packets, top creeping forward a few at a time,
		 * now and then a burst ahead: top lingers near 2^32, where
		 * A2.2 case B applies.
		 */
		long k = random() % 100, d;
		u64 s;
		int want, got;

		if (k < 70)
			d = -(random() % (behind + 1));
		else if (k < 99 || random() % 2)
			d = 1 + random() % 2;
		else
			d = 1 + random() % (w / 4 + 100);
		s = top + d;
		if (s <= base || s >= base + 2 * SPAN)
			continue;
		if (!w || s > top)
			want = 0;
		else if (top - s >= w)
			want = -ERANGE;
		else if (s <= B32 - 3000 || seen[s - base])
			want = -EEXIST;
		else
			want = 0;
		got = kesp_replay_check(r, (u32)s, &seq);
		if (!got && seq != s)
			got = -EBADMSG;		/* the ICV would fail */
		else if (!got)
			got = kesp_replay_advance(r, seq);
		/* An old packet may be refused or fail its ICV. */
		if (want == -ERANGE && got == -EBADMSG)
			got = -ERANGE;
		if (got != want && bad++ < 5)
			printf("#   seq %#llx top %#llx: got %d want %d\n",
			       (unsigned long long)s, (unsigned long long)top,
			       got, want);
		if (!want) {
			seen[s - base] = true;
			if (s > top)
				top = s;
		}
		/* Packets with the window spanning 2^32: case B. */
		near += top >= B32 && top - B32 < (w ? w : 1U << 31) - 1;
		crossed |= top >= B32;
	}
	snprintf(name, sizeof(name), "random ESN traffic, window %u", w);
	TAP_EQ_INT(bad, 0, name);
	snprintf(name, sizeof(name), "window %u: top crossed 2^32", w);
	TAP_EQ_INT(crossed, 1, name);
	/* A window of 1 never spans 2^32 (A2.2 case B needs Tl < W - 1). */
	tap_ok(w == 1 || near > 0,
	       "window %u: %d packets while the window spans 2^32", w, near);
	snprintf(name, sizeof(name), "window %u: model and SA agree on top", w);
	TAP_EQ_INT(r->top, top, name);
	free(r);
}

int main(void)
{
	static const u32 sizes[] = { 1, 32, 64, 65, 100, 1024, 4096 };
	unsigned int i;

	test_basic();
	test_zero();
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		test_edges(sizes[i], false);
		test_edges(sizes[i], true);
	}
	test_window_off();
	test_big_jumps();
	test_esn_boundary();
	test_recheck();
	test_init_top();
	test_ring_size();
	test_random(0, 1);
	test_random(1, 2);
	test_random(64, 3);
	test_random(65, 12);
	test_random(100, 13);
	test_random(1000, 4);
	test_random(4096, 5);
	test_random_esn(0, 6);
	test_random_esn(1, 7);
	test_random_esn(32, 8);
	test_random_esn(64, 9);
	test_random_esn(100, 14);
	test_random_esn(1024, 10);
	test_random_esn(4096, 11);
	return tap_done();
}
