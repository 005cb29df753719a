// SPDX-License-Identifier: GPL-2.0
/*
 * The kesp generic netlink client (see kesp_nl.h). libnl builds and parses
 * the messages; the socket is ours, so that sending, receiving and the
 * matching of answers to requests are plain and visible here.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/kesp.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "kesp_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/*
 * Requests in the kernel at once. Each answer waits in the socket's
 * receive buffer until read; a few kilobytes each (genl replies are
 * allocated at NLMSG_GOODSIZE), so the default 208 KiB holds about 40
 * before the kernel starts dropping them with ENOBUFS.
 */
#define IN_FLIGHT_MAX KESP_NL_IN_FLIGHT_MAX
/* The most bytes of requests one datagram carries (the send buffer is 208 KiB). */
#define SEND_TOGETHER_BYTES 65536
/*
 * Larger than any datagram the kernel sends: dump batches stay within
 * 32 KiB. One read per datagram, no peeking to size the buffer first.
 */
#define RECV_BUF_SIZE 65536
/*
 * Datagrams one recvmmsg() takes. A request's answer is a reply and an
 * ack, two datagrams that are both there when the send returns (the
 * kernel answers while it is sent): one read gets both. Each slot is a
 * whole RECV_BUF_SIZE; the pages of the ones never filled are never
 * touched.
 */
#define RECV_SLOTS 8
/* Datagrams one kesp_nl_receive() reads before it returns to the loop. */
#define RECV_BATCH 64
/* The receive buffer an events socket asks for, so bursts are not lost. */
#define EVENTS_RCVBUF (4 << 20)

struct kesp_nl_req {
	struct kesp_nl_req *next;
	struct nl_msg *msg;		/* until sent; then wiped and NULL */
	uint32_t seq;
	bool dump;
	bool interrupted;
	bool cancelled;			/* sent, then cancelled: awaits its end */
	bool lost;			/* its answer was dropped (ENOBUFS) */
	int reply_error;		/* ON_REPLY refused a message */
	kesp_nl_msg_fn on_reply;
	kesp_nl_done_fn on_done;
	void *arg;
};

/* ---- extended acks ------------------------------------------------------ */

/* The NLMSGERR_ATTR_* TLVs from TLV to END: the text and the offset. */
static void read_ack_tlvs(const unsigned char *tlv, const unsigned char *end,
			  char *msg, size_t msg_size, uint32_t *offset)
{
	while (tlv + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const void *)tlv;
		size_t alen = a->nla_len;
		const void *data = tlv + NLA_HDRLEN;

		if (alen < NLA_HDRLEN || alen > (size_t)(end - tlv))
			break;
		alen -= NLA_HDRLEN;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG &&
		    msg_size && alen) {
			size_t n = strnlen(data, alen);

			if (n >= msg_size)
				n = msg_size - 1;
			memcpy(msg, data, n);
			msg[n] = '\0';
		} else if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_OFFS &&
			   alen == sizeof(uint32_t)) {
			memcpy(offset, data, sizeof(*offset));
		}
		if ((size_t)NLA_ALIGN(a->nla_len) > (size_t)(end - tlv))
			break;
		tlv += NLA_ALIGN(a->nla_len);
	}
}

int kesp_nl_parse_error(const struct nlmsghdr *nlh, size_t len, char *msg,
			size_t msg_size, uint32_t *offset)
{
	const struct nlmsgerr *err;
	size_t skip;

	if (msg_size)
		msg[0] = '\0';
	*offset = 0;
	if (len < NLMSG_HDRLEN + sizeof(*err) || nlh->nlmsg_len > len ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*err))
		return -EPROTO;
	err = NLMSG_DATA(nlh);
	if (err->error > 0 || err->error < -4095)
		return -EPROTO;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return err->error;

	/* Without NLM_F_CAPPED the kernel echoes our whole request first. */
	skip = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		skip += err->msg.nlmsg_len - sizeof(err->msg);
	if (NLMSG_ALIGN(skip) > nlh->nlmsg_len - NLMSG_HDRLEN)
		return err->error;
	read_ack_tlvs((const unsigned char *)err + NLMSG_ALIGN(skip),
		      (const unsigned char *)nlh + nlh->nlmsg_len, msg, msg_size,
		      offset);
	return err->error;
}

/*
 * NLMSG_DONE ends a dump: an int, the dump's error (a dump that fails
 * part way reports its errno there), then extack TLVs if flagged.
 */
static int parse_done(const struct nlmsghdr *nlh, char *msg, size_t msg_size,
		      uint32_t *offset)
{
	int error;

	msg[0] = '\0';
	*offset = 0;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(error))
		return 0;
	memcpy(&error, NLMSG_DATA(nlh), sizeof(error));
	if (error > 0 || error < -4095)
		return -EPROTO;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		read_ack_tlvs((const unsigned char *)NLMSG_DATA(nlh) +
			      NLMSG_ALIGN(sizeof(error)),
			      (const unsigned char *)nlh + nlh->nlmsg_len, msg,
			      msg_size, offset);
	return error;
}

/* ---- requests ----------------------------------------------------------- */

struct nl_msg *kesp_nl_request_sized(struct kesp_nl *nl, uint8_t cmd, int flags,
				     size_t max_size)
{
	struct nl_msg *msg = max_size ? nlmsg_alloc_size(max_size) : nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family_id, 0,
			 flags | NLM_F_ACK, cmd, KESP_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nl_msg *kesp_nl_request(struct kesp_nl *nl, uint8_t cmd, int flags)
{
	return kesp_nl_request_sized(nl, cmd, flags, 0);
}

int kesp_nl_put_brief_reply(const struct kesp_nl *nl, struct nl_msg *req)
{
	if (nl->family_version < 2)
		return 0;
	return nla_put_flag(req, KESP_SA_A_BRIEF_REPLY);
}

void kesp_nl_free_request(struct nl_msg *req)
{
	struct nlmsghdr *nlh;

	if (!req)
		return;
	nlh = nlmsg_hdr(req);
	explicit_bzero(nlh, nlh->nlmsg_len);
	nlmsg_free(req);
}

static void free_req(struct kesp_nl_req *r)
{
	kesp_nl_free_request(r->msg);
	free(r);
}

/* Unlinks R from NL's list; PREV is the link that points at it. */
static void unlink_req(struct kesp_nl *nl, struct kesp_nl_req **prev,
		       struct kesp_nl_req *r)
{
	*prev = r->next;
	if (nl->reqs_tail == &r->next)
		nl->reqs_tail = prev;
	if (!r->msg) {
		nl->in_flight--;
		if (r->dump)
			nl->dumping = false;
	}
}

/* The link pointing at request SEQ, or NULL. */
static struct kesp_nl_req **find_req(struct kesp_nl *nl, uint32_t seq)
{
	for (struct kesp_nl_req **p = &nl->reqs; *p; p = &(*p)->next)
		if ((*p)->seq == seq)
			return p;
	return NULL;
}

/* Removes R and tells its owner how it ended. */
static void finish(struct kesp_nl *nl, struct kesp_nl_req **prev,
		   struct kesp_nl_req *r, int error, const char *message,
		   uint32_t offset)
{
	struct kesp_nl_result res = {
		.error = error, .message = message, .offset = offset,
		.interrupted = r->interrupted,
	};
	kesp_nl_done_fn on_done = r->on_done;
	void *arg = r->arg;

	if (!error && r->reply_error) {
		res.error = r->reply_error;
		res.message = r->reply_error == -ENOMEM ? "out of memory" :
			      "malformed reply from the kernel";
		res.offset = 0;
	}
	unlink_req(nl, prev, r);
	free_req(r);
	if (on_done)
		on_done(&res, arg);
}

/* R's message, its header completed for sending. */
static struct nlmsghdr *prepare(struct kesp_nl *nl, struct kesp_nl_req *r)
{
	struct nlmsghdr *nlh = nlmsg_hdr(r->msg);

	nlh->nlmsg_flags |= NLM_F_REQUEST;
	nlh->nlmsg_seq = r->seq;
	nlh->nlmsg_pid = nl->port;
	return nlh;
}

/* R is in the kernel now: its message (it may hold keys) goes. */
static void sent(struct kesp_nl *nl, struct kesp_nl_req *r)
{
	kesp_nl_free_request(r->msg);
	r->msg = NULL;
	nl->in_flight++;
	if (r->dump)
		nl->dumping = true;
}

static int send_one(struct kesp_nl *nl, struct kesp_nl_req *r)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh = prepare(nl, r);
	ssize_t n;

	do {
		n = sendto(nl->fd, nlh, nlh->nlmsg_len, 0,
			   (const struct sockaddr *)&kernel, sizeof(kernel));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != nlh->nlmsg_len)
		return -EMSGSIZE;
	sent(nl, r);
	return 0;
}

/*
 * Sends the queued requests from FIRST on that there is room for, two or
 * more, in one datagram: the kernel takes the messages of a datagram one
 * after the other and answers each as if it had come alone (an error in
 * one does not stop the next). Returns how many went: 0 when fewer than
 * two could, or the datagram was refused (they go one at a time then, each
 * with its own error).
 */
static unsigned int send_together(struct kesp_nl *nl, struct kesp_nl_req *first)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct iovec iov[IN_FLIGHT_MAX];
	struct msghdr mh = {
		.msg_name = (void *)&kernel, .msg_namelen = sizeof(kernel),
		.msg_iov = iov,
	};
	struct kesp_nl_req *r = first;
	bool dumping = nl->dumping;
	size_t bytes = 0;
	unsigned int n = 0;
	ssize_t done;

	for (; r && n < IN_FLIGHT_MAX - nl->in_flight && !(r->dump && dumping); r = r->next) {
		struct nlmsghdr *nlh = nlmsg_hdr(r->msg);

		/* The next message starts where this one's length, aligned, ends. */
		if (nlh->nlmsg_len != NLMSG_ALIGN(nlh->nlmsg_len) ||
		    bytes + nlh->nlmsg_len > SEND_TOGETHER_BYTES)
			break;
		iov[n].iov_base = prepare(nl, r);
		iov[n].iov_len = nlh->nlmsg_len;
		bytes += nlh->nlmsg_len;
		dumping |= r->dump;
		n++;
	}
	if (n < 2)
		return 0;
	mh.msg_iovlen = n;
	do {
		done = sendmsg(nl->fd, &mh, 0);
	} while (done < 0 && errno == EINTR);
	if (done < 0 || (size_t)done != bytes)
		return 0;
	for (unsigned int i = 0; i < n; i++, first = first->next)
		sent(nl, first);
	return n;
}

/*
 * Sends queued requests in order while there is room: fewer than
 * IN_FLIGHT_MAX in the kernel, and a dump only when none is running (the
 * kernel refuses a second one on a socket with EBUSY); as many in one
 * datagram as can go. A request that cannot be sent ends with the error,
 * except MINE, whose error is returned to the kesp_nl_send() that queued
 * it.
 */
static int send_queued(struct kesp_nl *nl, struct kesp_nl_req *mine)
{
	struct kesp_nl_req **p = &nl->reqs;
	int ret;

	while (*p && !(*p)->msg)
		p = &(*p)->next;
	while (*p && nl->in_flight < IN_FLIGHT_MAX && !((*p)->dump && nl->dumping)) {
		struct kesp_nl_req *r = *p;

		if (send_together(nl, r)) {
			while (*p && !(*p)->msg)
				p = &(*p)->next;
			continue;
		}
		ret = send_one(nl, r);
		if (!ret) {
			p = &r->next;
			continue;
		}
		if (r == mine) {
			unlink_req(nl, p, r);
			free_req(r);
			return ret;
		}
		finish(nl, p, r, ret, "cannot send to the kernel", 0);
		/* The callback may have changed the list: start over. */
		p = &nl->reqs;
		while (*p && !(*p)->msg)
			p = &(*p)->next;
	}
	return 0;
}

/* A new request at the end of the queue; NULL on no memory (REQ freed). */
static struct kesp_nl_req *enqueue(struct kesp_nl *nl, struct nl_msg *req,
				   kesp_nl_msg_fn on_reply, kesp_nl_done_fn on_done,
				   void *arg)
{
	struct kesp_nl_req *r = calloc(1, sizeof(*r));

	if (!r) {
		kesp_nl_free_request(req);
		return NULL;
	}
	/* Sequence number 0 is what the kernel's events carry. */
	if (++nl->seq == 0)
		nl->seq = 1;
	r->seq = nl->seq;
	r->msg = req;
	r->dump = (nlmsg_hdr(req)->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	r->on_reply = on_reply;
	r->on_done = on_done;
	r->arg = arg;
	*nl->reqs_tail = r;
	nl->reqs_tail = &r->next;
	return r;
}

int kesp_nl_queue(struct kesp_nl *nl, struct nl_msg *req, kesp_nl_msg_fn on_reply,
		  kesp_nl_done_fn on_done, void *arg)
{
	if (!req)
		return -ENOMEM;
	return enqueue(nl, req, on_reply, on_done, arg) ? 0 : -ENOMEM;
}

void kesp_nl_flush(struct kesp_nl *nl)
{
	send_queued(nl, NULL);
}

int kesp_nl_send(struct kesp_nl *nl, struct nl_msg *req, kesp_nl_msg_fn on_reply,
		 kesp_nl_done_fn on_done, void *arg, uint32_t *seq)
{
	struct kesp_nl_req *r;

	if (!req)
		return -ENOMEM;
	r = enqueue(nl, req, on_reply, on_done, arg);
	if (!r)
		return -ENOMEM;
	if (seq)
		*seq = r->seq;
	return send_queued(nl, r);
}

void kesp_nl_cancel(struct kesp_nl *nl, uint32_t seq)
{
	struct kesp_nl_req **p = find_req(nl, seq), *r;

	if (!p || (*p)->cancelled)
		return;
	r = *p;
	if (r->msg) {
		unlink_req(nl, p, r);
		free_req(r);
		/* It may have held the ones behind it back. */
		send_queued(nl, NULL);
		return;
	}
	/*
	 * Sent: it stays, silent, until the kernel has finished answering,
	 * so that a cancelled dump still keeps the next one waiting.
	 */
	r->cancelled = true;
	r->on_reply = NULL;
	r->on_done = NULL;
}

unsigned int kesp_nl_pending(const struct kesp_nl *nl)
{
	unsigned int n = 0;

	for (const struct kesp_nl_req *r = nl->reqs; r; r = r->next)
		n += !r->cancelled;
	return n;
}

/*
 * Ends every request that is in the kernel with ERROR: their answers were
 * lost. Those its callbacks send meanwhile are not.
 */
static void fail_in_flight(struct kesp_nl *nl, int error, const char *why)
{
	struct kesp_nl_req **p;

	for (struct kesp_nl_req *r = nl->reqs; r; r = r->next)
		r->lost = !r->msg;
	for (;;) {
		for (p = &nl->reqs; *p && !(*p)->lost; p = &(*p)->next)
			;
		if (!*p)
			return;
		finish(nl, p, *p, error, why, 0);
	}
}

/* ---- receiving ---------------------------------------------------------- */

/* Hands one message (an answer or an event) to CB; < 0 if CB refused it. */
static int deliver(const struct nlmsghdr *nlh, kesp_nl_msg_fn cb, void *arg)
{
	struct nl_msg *msg = nlmsg_convert((struct nlmsghdr *)nlh);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = cb(msg, arg);
	nlmsg_free(msg);
	return ret < 0 ? -EPROTO : 0;
}

/* One message of a datagram. Returns 0, or -EPROTO for a refused event. */
static int dispatch(struct kesp_nl *nl, const struct nlmsghdr *nlh)
{
	struct kesp_nl_req **p, *r;
	char text[256];
	uint32_t offset, seq = nlh->nlmsg_seq;
	int ret;

	if (!seq) {
		if (nlh->nlmsg_type != nl->family_id || !nl->on_event)
			return 0;
		return deliver(nlh, nl->on_event, nl->event_arg) < 0 ? -EPROTO : 0;
	}
	/* Only requests that were sent can be answered. */
	p = find_req(nl, seq);
	if (!p || (*p)->msg)
		return 0;
	r = *p;
	switch (nlh->nlmsg_type) {
	case NLMSG_NOOP:
	case NLMSG_OVERRUN:
		return 0;
	case NLMSG_ERROR:
		ret = kesp_nl_parse_error(nlh, nlh->nlmsg_len, text, sizeof(text),
					  &offset);
		if (ret == -EPROTO && !text[0])
			snprintf(text, sizeof(text), "malformed error message from the kernel");
		finish(nl, p, r, ret, text, offset);
		return 0;
	case NLMSG_DONE:
		ret = parse_done(nlh, text, sizeof(text), &offset);
		finish(nl, p, r, ret, text, offset);
		return 0;
	}
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		r->interrupted = true;
	if (!r->on_reply || r->reply_error)
		return 0;
	ret = deliver(nlh, r->on_reply, r->arg);
	/* The callback may have cancelled it, or sent more: look again. */
	if (ret < 0 && (p = find_req(nl, seq)))
		(*p)->reply_error = ret;
	return 0;
}

/* The messages of one datagram, without sending what they made room for. */
static int feed(struct kesp_nl *nl, const void *buf, size_t len)
{
	const unsigned char *pos = buf;
	int ret = 0;

	while (len >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh = (const void *)pos;
		size_t step = NLMSG_ALIGN(nlh->nlmsg_len);

		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len)
			break;
		if (dispatch(nl, nlh) < 0)
			ret = -EPROTO;
		if (step >= len)
			break;
		pos += step;
		len -= step;
	}
	return ret;
}

int kesp_nl_feed(struct kesp_nl *nl, const void *buf, size_t len)
{
	int ret = feed(nl, buf, len);

	send_queued(nl, NULL);
	return ret;
}

static int receive_batch(struct kesp_nl *nl, const bool *done);

/*
 * kesp_nl_receive(), stopping early once *DONE (if DONE) is set. Not from
 * a callback: the datagram being handed out lives in nl->buf.
 */
static int receive(struct kesp_nl *nl, const bool *done)
{
	int ret;

	if (nl->receiving)
		return -EDEADLK;
	nl->receiving = true;
	ret = receive_batch(nl, done);
	nl->receiving = false;
	return ret;
}

static int receive_batch(struct kesp_nl *nl, const bool *done)
{
	struct sockaddr_nl from[RECV_SLOTS];
	struct iovec iov[RECV_SLOTS];
	struct mmsghdr mm[RECV_SLOTS];
	int ret = 0;

	for (int got = 0; got < RECV_BATCH && !(done && *done);) {
		int n;

		for (int i = 0; i < RECV_SLOTS; i++) {
			iov[i].iov_base = nl->buf + (size_t)i * RECV_BUF_SIZE;
			iov[i].iov_len = RECV_BUF_SIZE;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_name = &from[i];
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(nl->fd, mm, RECV_SLOTS, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return ret;
			if (errno == ENOBUFS) {
				fail_in_flight(nl, -ENOBUFS,
					       "the kernel's answer was lost: the receive buffer was full");
				send_queued(nl, NULL);
				return -ENOBUFS;
			}
			return -errno;
		}
		got += n;
		for (int i = 0; i < n; i++) {
			const struct msghdr *mh = &mm[i].msg_hdr;

			if (mh->msg_flags & MSG_TRUNC) {
				fail_in_flight(nl, -EMSGSIZE,
					       "a message from the kernel did not fit the receive buffer");
				send_queued(nl, NULL);
				return -EMSGSIZE;
			}
			/* Only the kernel speaks for the family. */
			if (mh->msg_namelen != sizeof(from[i]) ||
			    from[i].nl_family != AF_NETLINK || from[i].nl_pid != 0)
				continue;
			if (feed(nl, iov[i].iov_base, mm[i].msg_len) < 0)
				ret = -EPROTO;
		}
		/* What the answers made room for goes together. */
		send_queued(nl, NULL);
		/* Fewer than asked for: the socket is empty now. */
		if (n < RECV_SLOTS)
			return ret;
	}
	return ret;
}

int kesp_nl_receive(struct kesp_nl *nl)
{
	return receive(nl, NULL);
}

/* 1 when the socket is readable within TIMEOUT_MS, 0 if not, or -errno. */
static int readable(struct kesp_nl *nl, int timeout_ms)
{
	struct pollfd pfd = { .fd = nl->fd, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms);

	return n < 0 ? -errno : n > 0;
}

int kesp_nl_wait(struct kesp_nl *nl, int timeout_ms)
{
	int ret = readable(nl, timeout_ms);

	return ret <= 0 ? ret : receive(nl, NULL);
}

int kesp_nl_fd(const struct kesp_nl *nl)
{
	return nl->fd;
}

/* ---- the blocking call -------------------------------------------------- */

struct call_wait {
	struct kesp_nl *nl;
	kesp_nl_msg_fn on_reply;
	void *arg;
	bool done;
	int error;
};

static int call_reply(struct nl_msg *msg, void *arg)
{
	struct call_wait *w = arg;

	return w->on_reply(msg, w->arg);
}

static void call_done(const struct kesp_nl_result *res, void *arg)
{
	struct call_wait *w = arg;

	w->done = true;
	w->error = res->error;
	if (res->error) {
		snprintf(w->nl->error, sizeof(w->nl->error), "%s", res->message);
		w->nl->error_offset = res->offset;
	}
}

int kesp_nl_call(struct kesp_nl *nl, struct nl_msg *req, kesp_nl_msg_fn on_reply,
		 void *arg)
{
	struct call_wait w = { .nl = nl, .on_reply = on_reply, .arg = arg };
	uint32_t seq;
	int ret;

	nl->error[0] = '\0';
	nl->error_offset = 0;
	if (nl->receiving) {
		kesp_nl_free_request(req);
		snprintf(nl->error, sizeof(nl->error),
			 "a blocking call from a callback of the same socket");
		return -EDEADLK;
	}
	ret = kesp_nl_send(nl, req, on_reply ? call_reply : NULL, call_done, &w, &seq);
	if (ret < 0) {
		snprintf(nl->error, sizeof(nl->error), "cannot send to the kernel: %s",
			 strerror(-ret));
		return ret;
	}
	/*
	 * The kernel answers a request while it is sent, so the answer is
	 * usually there already: read before waiting for it, and no further
	 * than its end (a -batch would pay a read per line for more).
	 */
	for (bool first = true; !w.done; first = false) {
		ret = first ? 0 : readable(nl, -1);
		if (ret >= 0)
			ret = receive(nl, &w.done);
		/* ENOBUFS ends the request through call_done. */
		if (ret < 0 && ret != -EINTR && ret != -ENOBUFS && ret != -EPROTO) {
			kesp_nl_cancel(nl, seq);
			snprintf(nl->error, sizeof(nl->error), "netlink: %s",
				 strerror(-ret));
			return -EIO;
		}
	}
	return w.error;
}

/* ---- opening ------------------------------------------------------------ */

static struct nla_policy ctrl_policy[CTRL_ATTR_MAX + 1] = {
	[CTRL_ATTR_FAMILY_ID] = { .type = NLA_U16 },
	[CTRL_ATTR_VERSION] = { .type = NLA_U32 },
	[CTRL_ATTR_MCAST_GROUPS] = { .type = NLA_NESTED },
};

static struct nla_policy grp_policy[CTRL_ATTR_MCAST_GRP_MAX + 1] = {
	[CTRL_ATTR_MCAST_GRP_NAME] = { .type = NLA_STRING },
	[CTRL_ATTR_MCAST_GRP_ID] = { .type = NLA_U32 },
};

/* The controller's CTRL_CMD_NEWFAMILY answer into NL. */
static int on_family(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1], *g;
	struct kesp_nl *nl = arg;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, ctrl_policy) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_ID])
		return -1;
	nl->family_id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	nl->family_version = tb[CTRL_ATTR_VERSION] ?
			     nla_get_u32(tb[CTRL_ATTR_VERSION]) : 0;
	nl->ngroups = 0;
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	nla_for_each_nested(g, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
		struct nlattr *gb[CTRL_ATTR_MCAST_GRP_MAX + 1];
		const char *name;

		if (nla_parse_nested(gb, CTRL_ATTR_MCAST_GRP_MAX, g, grp_policy) < 0 ||
		    !gb[CTRL_ATTR_MCAST_GRP_NAME] || !gb[CTRL_ATTR_MCAST_GRP_ID])
			return -1;
		name = nla_get_string(gb[CTRL_ATTR_MCAST_GRP_NAME]);
		if (nl->ngroups == KESP_NL_GROUPS_MAX ||
		    strnlen(name, GENL_NAMSIZ) == GENL_NAMSIZ)
			continue;
		snprintf(nl->groups[nl->ngroups].name, GENL_NAMSIZ, "%s", name);
		nl->groups[nl->ngroups].id = nla_get_u32(gb[CTRL_ATTR_MCAST_GRP_ID]);
		nl->ngroups++;
	}
	return 0;
}

static int lookup_family(struct kesp_nl *nl, const char *family)
{
	struct nl_msg *req;
	int ret;

	nl->family_id = GENL_ID_CTRL;
	req = kesp_nl_request(nl, CTRL_CMD_GETFAMILY, 0);
	if (req && nla_put_string(req, CTRL_ATTR_FAMILY_NAME, family) < 0) {
		kesp_nl_free_request(req);
		req = NULL;
	}
	ret = kesp_nl_call(nl, req, on_family, nl);
	if (ret == -ENOENT) {
		snprintf(nl->error, sizeof(nl->error),
			 "generic netlink family \"%s\" not found%s", family,
			 strcmp(family, KESP_GENL_NAME) ? "" : ": is kesp.ko loaded?");
	} else if (ret < 0) {
		char why[sizeof(nl->error)];

		snprintf(why, sizeof(why), "%s", nl->error[0] ? nl->error : strerror(-ret));
		snprintf(nl->error, sizeof(nl->error),
			 "cannot look up generic netlink family \"%.32s\": %.180s",
			 family, why);
	}
	return ret;
}

int kesp_nl_open_family(struct kesp_nl *nl, const char *family)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(local);
	int one = 1, ret;

	memset(nl, 0, sizeof(*nl));
	nl->fd = -1;
	nl->reqs_tail = &nl->reqs;
	nl->buf = malloc((size_t)RECV_SLOTS * RECV_BUF_SIZE);
	if (!nl->buf) {
		snprintf(nl->error, sizeof(nl->error), "out of memory");
		return -ENOMEM;
	}
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_GENERIC);
	if (nl->fd < 0 || bind(nl->fd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
	    getsockname(nl->fd, (struct sockaddr *)&local, &len) < 0) {
		ret = -errno;
		snprintf(nl->error, sizeof(nl->error),
			 "cannot open a generic netlink socket: %s", strerror(-ret));
		goto fail;
	}
	nl->port = local.nl_pid;
	/* The kernel's reasons, and errors without our request echoed back. */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	ret = lookup_family(nl, family);
	if (ret < 0)
		goto fail;
	return 0;

fail:
	{
		char why[sizeof(nl->error)];

		memcpy(why, nl->error, sizeof(why));
		kesp_nl_close(nl);
		memcpy(nl->error, why, sizeof(why));
	}
	return ret;
}

int kesp_nl_open(struct kesp_nl *nl)
{
	return kesp_nl_open_family(nl, KESP_GENL_NAME);
}

int kesp_nl_join(struct kesp_nl *nl, const char *group, kesp_nl_msg_fn on_event,
		 void *arg)
{
	int size = EVENTS_RCVBUF;

	for (unsigned int i = 0; i < nl->ngroups; i++) {
		if (strcmp(nl->groups[i].name, group))
			continue;
		/*
		 * Room for bursts: FORCE passes rmem_max with CAP_NET_ADMIN,
		 * which the daemon has; others get what rmem_max allows.
		 */
		if (setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
			setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			       &nl->groups[i].id, sizeof(nl->groups[i].id)) < 0) {
			int err = -errno;

			snprintf(nl->error, sizeof(nl->error),
				 "cannot join group \"%s\": %s", group,
				 strerror(-err));
			return err;
		}
		nl->on_event = on_event;
		nl->event_arg = arg;
		return 0;
	}
	snprintf(nl->error, sizeof(nl->error),
		 "no multicast group \"%s\" in generic netlink family %d", group,
		 nl->family_id);
	return -ENOENT;
}

void kesp_nl_close(struct kesp_nl *nl)
{
	/* Never opened (zeroed): fd 0 is not ours to close. */
	if (!nl->reqs_tail)
		return;
	while (nl->reqs) {
		struct kesp_nl_req *r = nl->reqs;

		nl->reqs = r->next;
		free_req(r);
	}
	if (nl->fd >= 0)
		close(nl->fd);
	free(nl->buf);
	memset(nl, 0, sizeof(*nl));
	nl->fd = -1;
	nl->reqs_tail = &nl->reqs;
}
