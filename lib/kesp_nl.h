/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one client of the kesp generic netlink family, shared by kespctl and
 * ikehelper's kernel backend.
 *
 * A struct kesp_nl is one netlink socket with the family resolved. It is
 * non-blocking: kesp_nl_send() queues a request and returns at once, the
 * caller watches kesp_nl_fd() (poll, epoll) and calls kesp_nl_receive()
 * when it is readable, and each answer is matched to its request by
 * sequence number, so any number of requests may be outstanding. The
 * client keeps at most a few of them in the kernel at a time and sends
 * one dump at a time (the kernel runs one per socket), queueing the rest
 * in order. kesp_nl_call() is the blocking wrapper kespctl uses.
 *
 * Events (expiry, acquire, NAT mapping) arrive on a socket of their own:
 * open a second struct kesp_nl and kesp_nl_join() the group, so a burst
 * of events never queues in front of the answers to requests.
 *
 * A struct kesp_nl is not thread-safe. From one of its own callbacks it
 * may send and cancel, but not read (receive, wait, call: -EDEADLK) nor
 * be closed.
 */
#ifndef KESP_NL_H
#define KESP_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/msg.h>

/* How a request ended, as its done callback is told. */
struct kesp_nl_result {
	/* 0, or a negative errno: the kernel's, or ours (-ENOBUFS, -EPROTO). */
	int error;
	/* The kernel's extended-ack text, else our reason, else "". */
	const char *message;
	/* Offset in the request of the attribute the kernel blamed, or 0. */
	uint32_t offset;
	/* A dump's objects changed while it was read (NLM_F_DUMP_INTR). */
	bool interrupted;
};

/*
 * Gets each message of an answer (or each event). Returns 0, or a
 * negative value if the message is malformed: the request then ends with
 * -EPROTO once the kernel has finished answering it.
 */
typedef int (*kesp_nl_msg_fn)(struct nl_msg *msg, void *arg);
/* Gets the end of a request: once, after its last message. */
typedef void (*kesp_nl_done_fn)(const struct kesp_nl_result *result, void *arg);

struct kesp_nl_req;

/* Requests the client keeps in the kernel at once; the rest wait queued. */
#define KESP_NL_IN_FLIGHT_MAX 16

#define KESP_NL_GROUPS_MAX 8

struct kesp_nl {
	int fd;
	int family_id;
	uint32_t family_version;
	/* The family's multicast groups, as the kernel listed them. */
	unsigned int ngroups;
	struct {
		char name[GENL_NAMSIZ];
		uint32_t id;
	} groups[KESP_NL_GROUPS_MAX];

	/* The last failure of kesp_nl_open*() or kesp_nl_call(), or "". */
	char error[256];
	/* Offset of the attribute the kernel blamed within the request, or 0. */
	uint32_t error_offset;

	/* Private: requests in order, those sent first; see kesp_nl.c. */
	struct kesp_nl_req *reqs, **reqs_tail;
	unsigned int in_flight;
	bool dumping;
	bool receiving;
	uint32_t seq, port;
	kesp_nl_msg_fn on_event;
	void *event_arg;
	unsigned char *buf;
};

/*
 * Opens a socket to the kesp family. Returns 0, or a negative errno with
 * a reason in nl->error ("... is kesp.ko loaded?"); nl needs no
 * kesp_nl_close() then.
 */
int kesp_nl_open(struct kesp_nl *nl);
/* The same for the generic netlink family FAMILY (e.g. "nlctrl"). */
int kesp_nl_open_family(struct kesp_nl *nl, const char *family);
/*
 * Forgets every request without calling its callbacks, wipes the queued
 * ones (they may hold keys) and closes the socket. Safe on a closed nl,
 * and on one that was only zeroed.
 */
void kesp_nl_close(struct kesp_nl *nl);

/*
 * Joins the family's multicast GROUP: every message the group carries is
 * handed to ON_EVENT by kesp_nl_receive(). Returns 0 or a negative errno
 * with the reason in nl->error.
 */
int kesp_nl_join(struct kesp_nl *nl, const char *group, kesp_nl_msg_fn on_event,
		 void *arg);

/* The socket, for poll or epoll (readable: call kesp_nl_receive()). */
int kesp_nl_fd(const struct kesp_nl *nl);

/* A request for CMD with the family's header filled in; NULL on no memory. */
struct nl_msg *kesp_nl_request(struct kesp_nl *nl, uint8_t cmd, int flags);
/*
 * The same in a buffer of MAX_SIZE bytes (0: libnl's default, a page),
 * for a caller that knows how large its request can grow: attributes
 * that do not fit fail to be added. A small buffer costs less to clear.
 */
struct nl_msg *kesp_nl_request_sized(struct kesp_nl *nl, uint8_t cmd, int flags,
				     size_t max_size);
/* Wipes REQ (it may hold keys) and frees it. NULL is fine. */
void kesp_nl_free_request(struct nl_msg *req);
/*
 * Asks, in an SA_NEW or SA_UPDATE request, for the answer that names the
 * SA only (KESP_SA_A_BRIEF_REPLY), if the module knows it (family version
 * 2 on: an older one refuses attributes it does not know). Returns 0, or
 * a negative libnl error when REQ has no room.
 */
int kesp_nl_put_brief_reply(const struct kesp_nl *nl, struct nl_msg *req);

/*
 * Takes REQ (consumed and wiped, also on failure; NULL counts as no
 * memory), sends it now or queues it, and returns 0 with its sequence
 * number in *SEQ (if SEQ is not NULL). ON_REPLY (may be NULL) gets each
 * message of the answer; ON_DONE (may be NULL) gets the end, always
 * exactly once unless the request is cancelled or the socket closed.
 * Returns a negative errno if it could not be sent; no callback is made
 * then.
 */
int kesp_nl_send(struct kesp_nl *nl, struct nl_msg *req, kesp_nl_msg_fn on_reply,
		 kesp_nl_done_fn on_done, void *arg, uint32_t *seq);
/*
 * Like kesp_nl_send(), but REQ only joins the queue: it goes with the next
 * kesp_nl_flush(), send or receive, together with the other requests
 * queued by then, as many in one datagram as there is room for in the
 * kernel. A request that cannot be sent ends through ON_DONE with the
 * error. Returns 0, or -ENOMEM (REQ freed, no callback).
 */
int kesp_nl_queue(struct kesp_nl *nl, struct nl_msg *req, kesp_nl_msg_fn on_reply,
		  kesp_nl_done_fn on_done, void *arg);
/* Sends what kesp_nl_queue() left waiting, as far as there is room. */
void kesp_nl_flush(struct kesp_nl *nl);
/*
 * Forgets request SEQ: no further callback is made for it. If it was sent
 * the kernel still acts on it; its answer is dropped.
 */
void kesp_nl_cancel(struct kesp_nl *nl, uint32_t seq);
/* Requests not yet answered, queued ones included. */
unsigned int kesp_nl_pending(const struct kesp_nl *nl);

/*
 * Reads what the socket holds, without blocking (at most a bounded number
 * of datagrams: with level-triggered epoll the rest comes next time), and
 * makes the callbacks. Returns 0; -ENOBUFS when the kernel dropped
 * messages because the socket was full (events were lost; requests in
 * flight end with -ENOBUFS, their outcome unknown); -EPROTO when an
 * event handler refused an event (the others were delivered); another
 * negative errno when the socket failed.
 */
int kesp_nl_receive(struct kesp_nl *nl);
/*
 * Waits up to TIMEOUT_MS (-1: for ever) for the socket to be readable and
 * receives. Returns 0 (also on timeout) or as kesp_nl_receive(); -EINTR
 * when a signal interrupted the wait.
 */
int kesp_nl_wait(struct kesp_nl *nl, int timeout_ms);
/*
 * Hands the client one datagram of LEN bytes that came from the kernel:
 * kesp_nl_receive() does, and tests do with made-up ones. Returns as
 * kesp_nl_receive().
 */
int kesp_nl_feed(struct kesp_nl *nl, const void *buf, size_t len);

/*
 * Sends REQ (consumed, wiped) and waits for its answer, feeding each
 * message of it to ON_REPLY. Returns 0 or a negative errno, with the
 * kernel's extended-ack message (or our reason) in nl->error. Other
 * requests' callbacks and events may run meanwhile.
 */
int kesp_nl_call(struct kesp_nl *nl, struct nl_msg *req, kesp_nl_msg_fn on_reply,
		 void *arg);

/*
 * Pulls the extack message and blamed offset out of an NLMSG_ERROR message
 * of LEN bytes. Returns the message's error code (0 or negative errno);
 * MSG gets "" when the kernel sent no text.
 */
int kesp_nl_parse_error(const struct nlmsghdr *nlh, size_t len, char *msg,
			size_t msg_size, uint32_t *offset);

#endif /* KESP_NL_H */
