/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kespctl sa ... and kespctl spi alloc: the command line grammar (sa.c),
 * the requests built from it (sa.c) and the printing of the kernel's SA
 * replies (sa_print.c). Nothing here touches a socket, so all of it runs
 * in host unit tests.
 */
#ifndef KESP_SA_H
#define KESP_SA_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/kesp.h>
#include <netlink/msg.h>

#include "kesp_nl.h"
#include "json.h"
#include "parse.h"

/* The SA flags by the names kespctl reads and prints. */
struct sa_flag_name {
	uint32_t bit;
	const char *name;
};
extern const struct sa_flag_name sa_flag_names[];

enum sa_verb {
	SA_VERB_ADD,
	SA_VERB_UPDATE,
	SA_VERB_DEL,
	SA_VERB_GET,
	SA_VERB_LIST,
	SA_VERB_FLUSH,
	SA_VERB_SPI_ALLOC,
};

struct sa_alg {
	const struct kesp_alg_info *info;	/* NULL: not given */
	uint8_t key[KESP_KEY_MAX];
	size_t key_len;
	uint32_t icv_bits;
};

struct sa_sel {
	int family;
	uint8_t src_start[16], src_end[16], dst_start[16], dst_end[16];
	uint8_t proto;
	bool has_sport, has_dport;
	uint16_t sport_start, sport_end, dport_start, dport_end;
};

struct sa_args {
	enum sa_verb verb;
	char dev[IFNAMSIZ];		/* "" when not given */
	uint32_t ifindex;		/* the caller resolves dev */

	bool has_id, has_spi, has_src, has_dst;
	uint32_t id;
	uint8_t dir;			/* 0 when not given */
	uint32_t spi;
	struct kesp_addr src, dst;

	uint8_t mode;
	bool has_reqid, has_replay_window, has_seq, has_priority, has_cpu;
	uint32_t reqid, replay_window, flags, priority, cpu;
	uint64_t seq;
	struct sa_alg aead, enc, auth;

	bool has_sel;			/* selectors given, perhaps "sel none" */
	unsigned int nsel;

	bool has_lft;			/* limits given, perhaps "limit none" */
	bool lft_set[KESP_LFT_A_MAX + 1];
	uint64_t lft[KESP_LFT_A_MAX + 1];

	bool has_spi_min, has_spi_max;
	uint32_t spi_min, spi_max;

	bool has_encap;			/* encap espinudp SPORT DPORT */
	uint16_t encap_sport, encap_dport;

	/*
	 * Set by the caller: add and update ask for a reply that names the
	 * SA only (KESP_SA_A_BRIEF_REPLY), where the kernel has it.
	 */
	bool brief_reply;

	/* Why parsing failed, naming the token, e.g. "bad spi \"0xzz\"". */
	char err[160];

	/*
	 * Last, and not cleared by sa_parse() (5 KiB a line in a -batch):
	 * each selector is cleared when it is parsed; only the first NSEL
	 * hold anything.
	 */
	struct sa_sel sel[KESP_SELECTORS_MAX];
};

/*
 * Parses the arguments of VERB (after the verb itself) into A, which is
 * zeroed first (but for the selectors past A->nsel). Returns 0, or -1
 * with A->err set. Key bytes in A must be wiped with sa_args_wipe()
 * whatever the outcome.
 */
int sa_parse(enum sa_verb verb, int argc, char **argv, struct sa_args *a);
/* Wipes the keys in A (nothing else in it is secret). */
void sa_args_wipe(struct sa_args *a);

struct sa_printer;

/*
 * One "sel ..." clause (ARGV after the word sel) into A's next selector.
 * Returns the words consumed, or -1 with A->err set.
 */
int sa_parse_sel(struct sa_args *a, int argc, char **argv);
/*
 * Gives the selectors that named neither src nor dst the address family
 * FAMILY (0: none known, an error). Returns 0, or -1 with A->err set.
 */
int sa_sel_resolve(struct sa_args *a, int family);
/* SEL as a nest of TYPE (enum kesp_sel_attr inside). Returns 0 or -1. */
int sa_put_sel(struct nl_msg *msg, int type, const struct sa_sel *sel);
/*
 * A selector nest as "\tsel src A dst B ..." or, in JSON, an object under
 * KEY (NULL inside an array). Returns 0 or -1.
 */
int sa_print_sel(struct sa_printer *p, const char *key, struct nlattr *nest);

/* "add", "update", ... as the user typed it. */
const char *sa_verb_name(enum sa_verb verb);

/*
 * The request for A (A->ifindex already resolved when A->dev is set), for
 * the family NL->family_id; NULL on no memory. It may hold key bytes:
 * free it with kesp_nl_free_request(), or hand it to kesp_nl_call().
 */
struct nl_msg *sa_build_request(struct kesp_nl *nl, const struct sa_args *a);

/* How replies are printed; set up with sa_printer_init(). */
struct sa_printer {
	FILE *out;
	bool json;
	struct json j;
	unsigned int count;
	/* For an event: its name and details, printed with the SA. */
	const char *event, *event_kind, *event_reason;
	/* A mapping event's new source (NULL for other events) and port. */
	const char *event_src;
	unsigned int event_sport;
	/* Name of an ifindex; if_indextoname() unless a test sets another. */
	const char *(*ifname)(uint32_t ifindex, char *buf);
};

void sa_printer_init(struct sa_printer *p, FILE *out, bool json);
/* JSON: opens the array that sa_print_end() closes. */
void sa_print_begin(struct sa_printer *p);
void sa_print_end(struct sa_printer *p);
/*
 * Prints one SA reply message (KESP_CMD_SA_GET form); usable as the
 * on_reply of kesp_nl_call(). Returns 0, or -1 if the message is malformed.
 * Never prints key material, even if a reply carried some.
 */
int sa_print_reply(struct nl_msg *msg, void *printer);
/*
 * For sa del/get written as ip xfrm users do (src A dst B ... spi S): the
 * addresses that are not part of SA-KEY (src, and dst of an inbound SA)
 * are checked against the SA the kernel found. Returns 1 if the reply
 * matches every address given in A (and stores the SA's id in *ID), 0 if
 * not, -1 if it is malformed.
 */
int sa_reply_check(struct nl_msg *msg, const struct sa_args *a, uint32_t *id);
/* Whether A carries such addresses, so sa_reply_check() is needed. */
bool sa_needs_check(const struct sa_args *a);

/*
 * Prints one message of the events group: human, a line per event, or one
 * JSON object per line; flushed at once. Messages of unknown commands are
 * skipped (a newer module may send more kinds). Returns 0 or -1.
 */
int sa_print_event(struct nl_msg *msg, void *printer);

/* Prints a KESP_CMD_SPI_ALLOC reply: "spi 0x..." or {"spi":N}. */
int spi_print_reply(struct nl_msg *msg, void *printer);

#endif /* KESP_SA_H */
