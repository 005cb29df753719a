/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Traffic selectors (RFC 7296 section 3.13.1, as enum kesp_sel_attr) and the
 * per-device table that picks the outbound SA of a packet.
 */
#ifndef KESP_SELECTOR_H
#define KESP_SELECTOR_H

/*
 * The host unit tests compile this file and selector.c in userspace: they
 * include selftests/unit/kshim/kshim.h first, which defines KESP_HOST_TEST
 * and stands in for exactly the kernel headers below.
 */
#ifndef KESP_HOST_TEST
#include <linux/types.h>
#endif

/*
 * Addresses, here and in struct kesp_flow, are 16 bytes in network byte
 * order. An IPv4 address fills the first 4 bytes and the other 12 are zero.
 * Ranges are inclusive. Ports are in host byte order; for ICMP and ICMPv6
 * the source port carries the type and the destination port the code, as
 * IKEv2 does. A port range of 0..65535 means any, and also matches packets
 * that carry no ports.
 */
struct kesp_sel {
	u16 family;		/* AF_INET or AF_INET6 */
	u8 proto;		/* 0 = any */
	u8 src_start[16];
	u8 src_end[16];
	u8 dst_start[16];
	u8 dst_end[16];
	u16 sport_start;
	u16 sport_end;
	u16 dport_start;
	u16 dport_end;
};

/* A selector's owner that carries packets from any CPU (not a per-CPU SA). */
#define KESP_CPU_ANY 0xffffffffU

/* What a packet offers to be matched, extracted by the transmit path. */
struct kesp_flow {
	u16 family;
	u8 proto;
	/*
	 * False when the packet has no ports: a protocol without them, or a
	 * non-first fragment. Such a packet matches only "any" port ranges
	 * (RFC 4301 section 4.4.1.1, OPAQUE).
	 */
	bool has_ports;
	u8 src[16];
	u8 dst[16];
	u16 sport;
	u16 dport;
	/* The sending CPU, for per-CPU owners; only the table looks at it. */
	u32 cpu;
};

struct kesp_seltab;

int kesp_sel_validate(const struct kesp_sel *sel);
bool kesp_sel_match(const struct kesp_sel *sel, const struct kesp_flow *flow);

struct kesp_seltab *kesp_seltab_alloc(void);
void kesp_seltab_set_limit(struct kesp_seltab *tab, unsigned int limit);
unsigned int kesp_seltab_prefixes(const struct kesp_seltab *tab);
u64 kesp_seltab_next_order(const struct kesp_seltab *tab);
int kesp_seltab_insert(struct kesp_seltab *tab, const struct kesp_sel *sel,
		       u32 priority, u32 cpu, void *owner);
void kesp_seltab_remove_range(struct kesp_seltab *tab, void *owner, u64 from,
			      u64 to);
void kesp_seltab_remove(struct kesp_seltab *tab, void *owner);
void *kesp_seltab_lookup(struct kesp_seltab *tab, const struct kesp_flow *flow);
void kesp_seltab_free(struct kesp_seltab *tab);

#endif /* KESP_SELECTOR_H */
