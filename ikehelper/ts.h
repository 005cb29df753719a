/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Traffic selectors (RFC 7296 §3.13.1): address range, IP protocol and port
 * range of one side of a CHILD_SA. Parsed from swanctl.conf's local_ts /
 * remote_ts ("10.1.0.0/24", "10.0.0.1-10.0.0.9", "dynamic[udp/500]",
 * "::/0[tcp/1000-2000]"), narrowed per §2.9, converted to and from the wire
 * form of ike.h, and split into route prefixes.
 */
#ifndef KESP_TS_H
#define KESP_TS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct ike_ts;

struct ts {
	sa_family_t family;	/* AF_UNSPEC only for "dynamic" */
	bool dynamic;		/* config only: the IKE address of that side */
	uint8_t proto;		/* 0: any */
	uint16_t port_lo, port_hi;
	uint8_t lo[16], hi[16];
};

#define TS_STRLEN 128

bool ts_parse(const char *text, struct ts *ts, char *why, size_t whylen);
const char *ts_str(const struct ts *ts, char *buf, size_t len);
/* "a, b, c" for a list, into buf. */
const char *ts_list_str(const struct ts *ts, size_t n, char *buf, size_t len);
/* A dynamic selector becomes the host address H, keeping proto and ports. */
void ts_resolve(struct ts *ts, const struct addr *h);
void ts_from_addr(struct ts *ts, const struct addr *a);
/* The intersection of A and B into OUT; false when it is empty. */
bool ts_intersect(const struct ts *a, const struct ts *b, struct ts *out);
/* Whether A lies within B. */
bool ts_subset(const struct ts *a, const struct ts *b);
bool ts_equal(const struct ts *a, const struct ts *b);
/* Whether A is exactly the one address H (any protocol and ports). */
bool ts_is_host(const struct ts *a, const struct addr *h);
bool ts_contains_addr(const struct ts *a, const struct addr *h);

/*
 * §2.9 narrowing of what the peer proposed (THEIRS) by our configuration
 * (OURS, dynamic entries already resolved): every non-empty intersection,
 * in our order, without duplicates. Returns how many were written to OUT
 * (at most MAX).
 */
size_t ts_narrow(const struct ts *ours, size_t nours, const struct ts *theirs,
		 size_t ntheirs, struct ts *out, size_t max);

void ts_to_wire(const struct ts *ts, struct ike_ts *w);
/* false for a selector type we do not know (caller: TS_UNACCEPTABLE). */
bool ts_from_wire(const struct ike_ts *w, struct ts *ts);

/* Calls FN for each CIDR prefix that together cover exactly TS's range. */
void ts_prefixes(const struct ts *ts, void (*fn)(const struct addr *a, unsigned int bits,
						 void *arg), void *arg);

#endif /* KESP_TS_H */
