// SPDX-License-Identifier: GPL-2.0
/*
 * A binary min-heap of timers on the daemon's monotonic clock: retransmits,
 * half-open expiry, keepalives, cookie rotation (and, with the lifecycle
 * issue, rekeys and DPD). The loop arms one timerfd for the earliest; unit
 * tests move d->now themselves and call timers_run().
 */
#include <stdlib.h>

#include "daemon.h"

void timer_init(struct timer *t, void (*fn)(struct daemon *d, struct timer *t))
{
	t->when = 0;
	t->idx = TIMER_IDLE;
	t->fn = fn;
}

bool timer_armed(const struct timer *t)
{
	return t->idx != TIMER_IDLE;
}

static bool before(const struct timer *a, const struct timer *b)
{
	return a->when < b->when;
}

static void place(struct timer_heap *h, size_t i, struct timer *t)
{
	h->v[i] = t;
	t->idx = i;
}

static void sift_up(struct timer_heap *h, size_t i)
{
	struct timer *t = h->v[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(t, h->v[parent]))
			break;
		place(h, i, h->v[parent]);
		i = parent;
	}
	place(h, i, t);
}

static void sift_down(struct timer_heap *h, size_t i)
{
	struct timer *t = h->v[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct timer *best = t;

		if (l < h->n && before(h->v[l], best)) {
			m = l;
			best = h->v[l];
		}
		if (r < h->n && before(h->v[r], best))
			m = r;
		if (m == i)
			break;
		place(h, i, h->v[m]);
		i = m;
	}
	place(h, i, t);
}

void timer_cancel(struct daemon *d, struct timer *t)
{
	struct timer_heap *h = &d->timers;
	size_t i = t->idx;
	struct timer *last;

	if (i == TIMER_IDLE)
		return;
	t->idx = TIMER_IDLE;
	last = h->v[--h->n];
	if (i == h->n)
		return;
	place(h, i, last);
	sift_up(h, i);
	sift_down(h, last->idx);
}

void timer_arm(struct daemon *d, struct timer *t, uint64_t delay_ms)
{
	struct timer_heap *h = &d->timers;

	timer_cancel(d, t);
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct timer **v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			abort();	/* a lost timer would wedge an SA for ever */
		h->v = v;
		h->cap = cap;
	}
	t->when = d->now + delay_ms;
	place(h, h->n++, t);
	sift_up(h, t->idx);
}

void timers_run(struct daemon *d)
{
	struct timer_heap *h = &d->timers;

	while (h->n && h->v[0]->when <= d->now) {
		struct timer *t = h->v[0];

		timer_cancel(d, t);
		t->fn(d, t);
	}
}

uint64_t timers_next(const struct daemon *d)
{
	return d->timers.n ? d->timers.v[0]->when : UINT64_MAX;
}

void timers_free(struct timer_heap *h)
{
	for (size_t i = 0; i < h->n; i++)
		h->v[i]->idx = TIMER_IDLE;
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
