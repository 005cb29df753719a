/* SPDX-License-Identifier: GPL-2.0 */
/* Talking to the kesp generic netlink family, with extack error messages. */
#ifndef KESP_GENL_H
#define KESP_GENL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <netlink/msg.h>

struct kesp_nl {
	struct nl_sock *sk;
	int family_id;
	uint32_t family_version;
	/* The kernel's extack message for the last failure, or "". */
	char error[256];
	/* Offset of the attribute it blamed within our request, or 0. */
	uint32_t error_offset;
};

/*
 * Connects and resolves the family. Returns 0 or a negative errno with a
 * human reason in nl->error (e.g. the module is not loaded).
 */
int kesp_nl_open(struct kesp_nl *nl);
void kesp_nl_close(struct kesp_nl *nl);

/*
 * With KEEP, the connection the next kesp_nl_open() makes is kept, and
 * later opens reuse it until kesp_nl_keep(false) closes it: -batch then
 * resolves the family once, not once per line.
 */
void kesp_nl_keep(bool keep);

/* A request for CMD with the kesp header filled in; NULL on no memory. */
struct nl_msg *kesp_nl_request(struct kesp_nl *nl, uint8_t cmd, int flags);

/* Wipes REQ (it may hold keys) and frees it. NULL is fine. */
void kesp_nl_free_request(struct nl_msg *req);

/*
 * Sends REQ (consumed, wiped) and feeds each reply message to ON_REPLY until the
 * kernel acks, ends the dump or fails. Returns 0 or a negative errno, with
 * the kernel's extack message in nl->error.
 */
int kesp_nl_call(struct kesp_nl *nl, struct nl_msg *req,
		 int (*on_reply)(struct nl_msg *msg, void *arg), void *arg);

/*
 * Joins the family's multicast group GROUP, then feeds every message
 * that arrives to ON_EVENT until reading fails. Returns a negative errno,
 * with the reason in nl->error.
 */
int kesp_nl_listen(struct kesp_nl *nl, const char *group,
		   int (*on_event)(struct nl_msg *msg, void *arg), void *arg);

/*
 * Pulls the extack message and blamed offset out of an NLMSG_ERROR message
 * of LEN bytes. Returns the message's error code (0 or negative errno);
 * MSG gets "" when the kernel sent no text.
 */
int kesp_nl_parse_error(const struct nlmsghdr *nlh, size_t len, char *msg,
			size_t msg_size, uint32_t *offset);

#endif /* KESP_GENL_H */
