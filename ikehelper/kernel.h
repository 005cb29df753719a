/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel backend: everything the daemon asks of the kernel, behind one
 * ops table. kernel_kesp.c speaks kesp.ko's generic netlink family (through
 * the shared client in lib/) and rtnetlink; kernel_fake.c keeps the same
 * state in memory so unit tests and the fuzzer run whole exchanges.
 *
 * Calls are synchronous: each is one netlink round trip to the local
 * kernel, short next to a network round trip, and it keeps the order the
 * protocol needs (inbound SA before the response that announces it).
 * Every failure leaves a reason in k->error for the log line.
 */
#ifndef KESP_KERNEL_H
#define KESP_KERNEL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "ts.h"

#define KERNEL_KEY_MAX 68	/* KESP_KEY_MAX */
#define KERNEL_SEL_MAX 64	/* KESP_SELECTORS_MAX */

enum kernel_dir { KERNEL_IN = 1, KERNEL_OUT = 2 };	/* enum kesp_dir */
enum kernel_mode { KERNEL_TUNNEL = 1, KERNEL_TRANSPORT = 2 };

/* One selector: packets from SRC to DST (ranges, protocol, ports). */
struct kernel_sel {
	struct ts src, dst;
};

struct kernel_sa {
	uint32_t ifindex;
	enum kernel_dir dir;
	uint32_t spi;
	enum kernel_mode mode;
	uint32_t reqid;
	struct addr src, dst;
	/* An AEAD (aead_name set) or cipher + HMAC, in kesp.ko's names. */
	const char *aead_name, *enc_name, *auth_name;
	uint32_t icv_bits;	/* AEAD ICV, or the HMAC truncation */
	uint8_t enc_key[KERNEL_KEY_MAX], auth_key[KERNEL_KEY_MAX];
	size_t enc_key_len, auth_key_len;
	uint32_t replay_window;
	bool esn;
	struct kernel_sel sel[KERNEL_SEL_MAX];
	size_t nsel;
	bool encap;		/* ESP in UDP from sport to dport */
	uint16_t sport, dport;
	/* KESP_SA_A_LIFETIME's volume limits; 0: none. */
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;
	/* Outbound, per-CPU SAs (RFC 9611): the one CPU it serves
	 * (KESP_SA_A_CPU), or a fallback SA that asks for an SA for each CPU
	 * it carries packets of (KESP_SA_F_PCPU_ACQUIRE). */
	bool has_cpu;
	uint32_t cpu;
	bool pcpu_acquire;
	bool parallel;		/* KESP_SA_F_PARALLEL */
};

/* ---- events: KESP_MCGRP_EVENTS ------------------------------------------- */

enum kernel_event_type {
	KERNEL_EV_EXPIRE = 1,	/* KESP_CMD_SA_EXPIRE */
	KERNEL_EV_ACQUIRE,	/* KESP_CMD_ACQUIRE */
	KERNEL_EV_MAPPING,	/* KESP_CMD_SA_MAPPING */
};

enum kernel_expire_reason {	/* enum kesp_expire_reason */
	KERNEL_EXPIRE_SECONDS = 1,
	KERNEL_EXPIRE_BYTES = 2,
	KERNEL_EXPIRE_PACKETS = 3,
	KERNEL_EXPIRE_SEQUENCE = 4,
};

struct kernel_event {
	enum kernel_event_type type;
	uint32_t ifindex;
	/* EXPIRE, MAPPING: the SA (its kernel id, direction, SPI, reqid);
	 * ACQUIRE: the trap's id and reqid, or (has_cpu) the fallback SA's
	 * reqid and its kernel id in sa_id. */
	uint32_t id, reqid;
	enum kernel_dir dir;
	uint32_t spi;
	/* EXPIRE: the SA is gone (a hard limit), and which limit. */
	bool hard;
	enum kernel_expire_reason reason;
	/* MAPPING: where the SA's packets come from now. */
	struct addr new_src;
	uint16_t new_sport;
	/* ACQUIRE: the packet that hit the trap (single-value ranges). */
	struct kernel_sel packet;
	/* ACQUIRE of a fallback SA: the CPU that has no SA of its own. */
	bool has_cpu;
	uint32_t cpu, sa_id;
};

/* Gets each event (set by the daemon: kernel.on_event). */
typedef void (*kernel_event_fn)(void *arg, const struct kernel_event *ev);

struct kernel_counters {
	uint64_t packets, bytes;
	uint64_t replay_errors, auth_errors;
};

/* One SA as sa_list reports it. */
struct kernel_sa_id {
	uint32_t id;
	enum kernel_dir dir;
	uint32_t spi;
	uint32_t reqid;
	struct addr src, dst;	/* outer addresses */
};
typedef void (*kernel_sa_fn)(void *arg, const struct kernel_sa_id *sa);

struct kernel_route {
	uint32_t ifindex;
	uint32_t table;
	struct addr dst;
	uint8_t bits;
	struct addr src;	/* preferred source; family 0: none */
};

struct kernel;

struct kernel_ops {
	/*
	 * The kesp device NAME, created if absent, set up, marked with
	 * FWMARK (if it has none), and the rules that keep its marked outer
	 * packets out of TABLE ("not fwmark FWMARK lookup TABLE", both
	 * families) added once. Returns 0 with its ifindex.
	 */
	int (*dev_setup)(struct kernel *k, const char *name, uint32_t fwmark, uint32_t table,
			 uint32_t rule_priority, uint32_t *ifindex);
	/* Hands UDP socket FD (bound to the NAT-T port) to the device. */
	int (*encap_attach)(struct kernel *k, uint32_t ifindex, int fd);
	int (*spi_alloc)(struct kernel *k, uint32_t ifindex, uint32_t *spi);
	/* Installs SA; its kernel id goes to *ID. Key material is the
	 * caller's to wipe. */
	int (*sa_add)(struct kernel *k, const struct kernel_sa *sa, uint32_t *id);
	int (*sa_del)(struct kernel *k, uint32_t ifindex, uint32_t id);
	/* New addresses and ESP-in-UDP ports of SA ID (KESP_CMD_SA_UPDATE);
	 * the ports only when it has them. */
	int (*sa_move)(struct kernel *k, uint32_t ifindex, uint32_t id, const struct addr *src,
		       const struct addr *dst, bool encap, uint16_t sport, uint16_t dport);
	int (*sa_counters)(struct kernel *k, uint32_t ifindex, uint32_t id,
			   struct kernel_counters *c);
	/* Each SA of device IFINDEX to FN (KESP_CMD_SA_GET dump): a
	 * restarted daemon checks that the SAs it persisted are still there
	 * and finds those it no longer trusts (persist.c). */
	int (*sa_list)(struct kernel *k, uint32_t ifindex, kernel_sa_fn fn, void *arg);
	/* EEXIST from route_add means someone else owns the route. */
	int (*route_add)(struct kernel *k, const struct kernel_route *r);
	int (*route_del)(struct kernel *k, const struct kernel_route *r);
	/* An address of this host inside TS (for a route's source). */
	int (*local_addr_in)(struct kernel *k, const struct ts *ts, struct addr *out);
	/* A virtual IP on device IFINDEX (A/BITS) and its removal; EEXIST
	 * from addr_add means the device has it already. */
	int (*addr_add)(struct kernel *k, uint32_t ifindex, const struct addr *a, uint8_t bits);
	int (*addr_del)(struct kernel *k, uint32_t ifindex, const struct addr *a, uint8_t bits);
	/* A trap selector SEL for on-demand SAs (KESP_CMD_TRAP_ADD); its id
	 * goes to *ID. */
	int (*trap_add)(struct kernel *k, uint32_t ifindex, const struct kernel_sel *sel,
			uint32_t reqid, uint32_t *id);
	int (*trap_del)(struct kernel *k, uint32_t ifindex, uint32_t id);
	/* The socket events arrive on (-1: none), and reading what it holds
	 * (each event to on_event). */
	int (*events_fd)(struct kernel *k);
	void (*events_read)(struct kernel *k);
	void (*destroy)(struct kernel *k);
};

struct kernel {
	const struct kernel_ops *ops;
	char error[512];
	kernel_event_fn on_event;
	void *event_arg;
};

void kernel_destroy(struct kernel *k);

/* ---- kernel_fake.c: the in-memory backend ------------------------------- */

struct kernel *kernel_fake_new(void);
/* What the fake holds, for tests. */
size_t kernel_fake_sa_count(struct kernel *k);
/* The installed SA with SPI and direction, or NULL. */
const struct kernel_sa *kernel_fake_sa(struct kernel *k, enum kernel_dir dir, uint32_t spi);
/* The i-th installed SA in the order they were added. */
const struct kernel_sa *kernel_fake_sa_at(struct kernel *k, size_t i);
size_t kernel_fake_route_count(struct kernel *k);
const struct kernel_route *kernel_fake_route_at(struct kernel *k, size_t i);
/* SPIs handed out and not yet used by an SA. */
size_t kernel_fake_spis_reserved(struct kernel *k);
/* The next N calls of OP ("spi_alloc", "sa_add", ...) fail with ERR. */
void kernel_fake_fail(struct kernel *k, const char *op, unsigned int n, int err);
/* The addresses addr_add put on devices (and addr_del did not remove). */
size_t kernel_fake_addr_count(struct kernel *k);
const struct addr *kernel_fake_addr_at(struct kernel *k, size_t i, uint32_t *ifindex);
/* Addresses local_addr_in may find. */
void kernel_fake_add_local(struct kernel *k, const struct addr *a);
/* Delivers EV to the daemon as the events socket would. */
void kernel_fake_event(struct kernel *k, const struct kernel_event *ev);
/* The installed SA of DIR and SPI reaches a limit (REASON): its EXPIRE is
 * delivered, and a hard one removes the SA first, as kesp.ko does.
 * -ENOENT when there is no such SA. */
int kernel_fake_expire(struct kernel *k, enum kernel_dir dir, uint32_t spi, bool hard,
		       enum kernel_expire_reason reason);
/* PACKETS (of 100 bytes each) through the installed SA of DIR and SPI, in
 * its counters; -ENOENT when there is no such SA. */
int kernel_fake_traffic(struct kernel *k, enum kernel_dir dir, uint32_t spi, uint64_t packets);
/* Traps installed (trap_add less trap_del); the i-th and its id. */
size_t kernel_fake_trap_count(struct kernel *k);
const struct kernel_sel *kernel_fake_trap_at(struct kernel *k, size_t i, uint32_t *id);
/* sa_del calls for an SA that was not there (a double delete). */
unsigned int kernel_fake_del_misses(struct kernel *k);
/* The installed SA of DIR and SPI carried PACKETS and BYTES more (its
 * counters, as sa_counters reads them); -ENOENT when there is none. */
int kernel_fake_count(struct kernel *k, enum kernel_dir dir, uint32_t spi, uint64_t packets,
		      uint64_t bytes);

/* ---- kernel_kesp.c: kesp.ko and rtnetlink ------------------------------- */

/* NULL with the reason in WHY (e.g. "is kesp.ko loaded?"). */
struct kernel *kernel_kesp_new(char *why, size_t whylen);

#endif /* KESP_KERNEL_H */
