// SPDX-License-Identifier: GPL-2.0
/*
 * The kesp netlink client (lib/kesp_nl.c).
 *
 * kesp_nl_parse_error: the kernel's NLMSG_ERROR (with extended ack TLVs,
 * framing as in linux/netlink.h) into the text a user reads; the messages
 * are built by hand the way the kernel lays them out in netlink_ack().
 *
 * The rest talks to this machine's kernel, which needs no module for it:
 * the generic netlink controller ("nlctrl") is a family like kesp, so
 * opening, sequence matching, the in-flight limit, one dump at a time,
 * cancelling and extended acks are all checked against a real kernel.
 * Corner cases no kernel produces on demand are fed in as made-up
 * datagrams on top of real requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/kesp.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "kesp_nl.h"
#include "tap.h"

struct built {
	union {
		struct nlmsghdr nlh;
		unsigned char bytes[512];
	};
	size_t len;
};

static void put_tlv(struct built *b, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type };

	memcpy(b->bytes + b->len, &a, sizeof(a));
	memcpy(b->bytes + b->len + NLA_HDRLEN, data, len);
	b->len += NLA_ALIGN(NLA_HDRLEN + len);
	b->nlh.nlmsg_len = (uint32_t)b->len;
}

/* An error for a request; ECHO_LEN bytes of the request are echoed first. */
static void build_error(struct built *b, int error, int flags, uint32_t echo_len)
{
	struct nlmsgerr err = { .error = error };

	memset(b, 0, sizeof(*b));
	err.msg.nlmsg_len = (uint32_t)sizeof(struct nlmsghdr) + echo_len;
	b->nlh.nlmsg_type = NLMSG_ERROR;
	b->nlh.nlmsg_flags = (uint16_t)flags;
	memcpy(b->bytes + NLMSG_HDRLEN, &err, sizeof(err));
	b->len = NLMSG_HDRLEN + sizeof(err) + NLMSG_ALIGN(echo_len);
	b->nlh.nlmsg_len = (uint32_t)b->len;
}

static void parse_error_cases(void)
{
	static const char text[] = "no such device in this network namespace";
	uint32_t offset = 7, off36 = 36;
	struct built b;
	char msg[128];
	int ret;

	build_error(&b, -ENODEV, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	put_tlv(&b, NLMSGERR_ATTR_MSG, text, sizeof(text));
	put_tlv(&b, NLMSGERR_ATTR_OFFS, &off36, sizeof(off36));
	ret = kesp_nl_parse_error(&b.nlh, b.len, msg, sizeof(msg), &offset);
	TAP_EQ_INT(ret, -ENODEV, "capped ack: the errno is returned");
	TAP_EQ_STR(msg, text, "capped ack: the kernel's message is extracted");
	TAP_EQ_INT(offset, 36, "capped ack: the blamed attribute offset is extracted");

	/* Uncapped: the kernel echoes the request (20 bytes here) first. */
	build_error(&b, -EINVAL, NLM_F_ACK_TLVS, 20);
	put_tlv(&b, NLMSGERR_ATTR_MSG, "bad key length", sizeof("bad key length"));
	ret = kesp_nl_parse_error(&b.nlh, b.len, msg, sizeof(msg), &offset);
	TAP_EQ_INT(ret, -EINVAL, "uncapped ack: the errno is returned");
	TAP_EQ_STR(msg, "bad key length", "uncapped ack: the message after the echoed request is found");
	TAP_EQ_INT(offset, 0, "uncapped ack: no offset means 0");

	build_error(&b, -EPERM, 0, 0);
	ret = kesp_nl_parse_error(&b.nlh, b.len, msg, sizeof(msg), &offset);
	TAP_EQ_INT(ret, -EPERM, "no TLVs: the errno alone");
	TAP_EQ_STR(msg, "", "no TLVs: an empty message");

	build_error(&b, -ENODEV, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	put_tlv(&b, NLMSGERR_ATTR_MSG, text, sizeof(text));
	ret = kesp_nl_parse_error(&b.nlh, b.len, msg, 8, &offset);
	TAP_EQ_STR(msg, "no such", "a long message is cut to the buffer, NUL-terminated");

	/* An attribute claiming to run past the message is not read. */
	build_error(&b, -ENODEV, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	put_tlv(&b, NLMSGERR_ATTR_MSG, "abc", 4);
	b.bytes[NLMSG_HDRLEN + sizeof(struct nlmsgerr)] = 200;	/* nla_len */
	ret = kesp_nl_parse_error(&b.nlh, b.len, msg, sizeof(msg), &offset);
	TAP_EQ_INT(ret, -ENODEV, "an overlong TLV still yields the errno");
	TAP_EQ_STR(msg, "", "and its contents are not read");

	/* A message whose own length exceeds what was received. */
	build_error(&b, -ENODEV, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	ret = kesp_nl_parse_error(&b.nlh, b.len - 4, msg, sizeof(msg), &offset);
	TAP_EQ_INT(ret, -EPROTO, "a truncated error message is a protocol error");

	/* An echo length larger than the message must not be trusted. */
	build_error(&b, -EINVAL, NLM_F_ACK_TLVS, 0);
	{
		struct nlmsgerr *err = (struct nlmsgerr *)(b.bytes + NLMSG_HDRLEN);

		err->msg.nlmsg_len = 4000;
	}
	ret = kesp_nl_parse_error(&b.nlh, b.len, msg, sizeof(msg), &offset);
	TAP_EQ_INT(ret, -EINVAL, "a bogus echoed length still yields the errno");

	build_error(&b, 5, 0, 0);
	ret = kesp_nl_parse_error(&b.nlh, b.len, msg, sizeof(msg), &offset);
	TAP_EQ_INT(ret, -EPROTO, "a positive error code is a protocol error");
}

/* ---- against the kernel's generic netlink controller ------------------ */

/* What one request's callbacks saw. */
struct outcome {
	int replies;
	int done;
	int error;
	char message[256];
	uint32_t offset;
	bool interrupted;
	int family_id;			/* from the last reply, or -1 */
	int refuse;			/* on_reply returns -1 */
	int order;			/* when it ended, counting from 1 */
};

static int ended;

static int on_reply(struct nl_msg *msg, void *arg)
{
	struct outcome *o = arg;
	struct nlattr *tb[CTRL_ATTR_MAX + 1];

	o->replies++;
	o->family_id = -1;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, NULL) == 0 &&
	    tb[CTRL_ATTR_FAMILY_ID])
		o->family_id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return o->refuse ? -1 : 0;
}

static void on_done(const struct kesp_nl_result *res, void *arg)
{
	struct outcome *o = arg;

	o->done++;
	o->error = res->error;
	snprintf(o->message, sizeof(o->message), "%s", res->message);
	o->offset = res->offset;
	o->interrupted = res->interrupted;
	o->order = ++ended;
}

/* Opens NL on the controller family; a failure is a failed check of WHAT. */
static int open_nlctrl(struct kesp_nl *nl, const char *what)
{
	if (kesp_nl_open_family(nl, "nlctrl") == 0)
		return 0;
	tap_ok(0, "%s: open nlctrl: %s", what, nl->error);
	return -1;
}

/* CTRL_CMD_GETFAMILY for NAME, or a dump of all families (NAME NULL). */
static struct nl_msg *getfamily(struct kesp_nl *nl, const char *name)
{
	struct nl_msg *req = kesp_nl_request(nl, CTRL_CMD_GETFAMILY,
					     name ? 0 : NLM_F_DUMP);

	if (req && name && nla_put_string(req, CTRL_ATTR_FAMILY_NAME, name) < 0) {
		kesp_nl_free_request(req);
		return NULL;
	}
	return req;
}

/* Receives until nothing is pending, or 5 s without progress. */
static int drain(struct kesp_nl *nl)
{
	int idle = 0, ret = 0;

	while (kesp_nl_pending(nl) && idle < 50) {
		unsigned int before = kesp_nl_pending(nl);

		ret = kesp_nl_wait(nl, 100);
		if (ret < 0 && ret != -EINTR)
			return ret;
		idle = kesp_nl_pending(nl) < before ? 0 : idle + 1;
	}
	return kesp_nl_pending(nl) ? -ETIMEDOUT : 0;
}

static void open_cases(void)
{
	struct kesp_nl nl;
	bool notify = false;
	int ret, flags;

	ret = kesp_nl_open_family(&nl, "nlctrl");
	TAP_EQ_INT(ret, 0, "nlctrl: the controller family opens");
	TAP_EQ_INT(nl.family_id, GENL_ID_CTRL, "nlctrl: its id is resolved");
	tap_ok(nl.family_version >= 1, "nlctrl: its version is resolved (%u)",
	       nl.family_version);
	for (unsigned int i = 0; i < nl.ngroups; i++)
		notify = notify || !strcmp(nl.groups[i].name, "notify");
	tap_ok(notify, "nlctrl: its multicast group \"notify\" is listed");
	flags = fcntl(kesp_nl_fd(&nl), F_GETFL);
	tap_ok(flags >= 0 && (flags & O_NONBLOCK), "the socket is non-blocking");
	TAP_EQ_INT(kesp_nl_receive(&nl), 0, "receiving with nothing to read returns at once");
	kesp_nl_close(&nl);
	kesp_nl_close(&nl);
	tap_ok(nl.fd == -1, "closing twice is harmless");
	{
		struct kesp_nl zeroed = { .fd = 0 };
		int before = fcntl(0, F_GETFD) >= 0;

		kesp_nl_close(&zeroed);
		tap_ok((fcntl(0, F_GETFD) >= 0) == before, "closing a zeroed struct leaves fd 0 alone");
	}

	ret = kesp_nl_open_family(&nl, "kesp-nosuch");
	TAP_EQ_INT(ret, -ENOENT, "an unknown family: ENOENT");
	TAP_EQ_STR(nl.error, "generic netlink family \"kesp-nosuch\" not found",
		   "an unknown family: the reason names it");

	ret = kesp_nl_open(&nl);
	if (ret == 0) {
		tap_ok(1, "# SKIP kesp.ko is loaded on this machine");
		kesp_nl_close(&nl);
	} else {
		TAP_EQ_STR(nl.error, "generic netlink family \"kesp\" not found: is kesp.ko loaded?",
			   "no kesp family: the reason says what to do");
	}
}

/*
 * More requests than the kernel may hold answers for at once, two kinds
 * mixed: each must end once, with its own answer, in the order sent.
 */
static void many_in_flight(void)
{
	enum { N = 300 };
	static struct outcome o[N];
	struct kesp_nl nl;
	bool right = true, once = true, ordered = true;
	char name[32];
	int ret = 0;

	if (open_nlctrl(&nl, "many in flight") < 0)
		return;
	memset(o, 0, sizeof(o));
	ended = 0;
	for (int i = 0; i < N && !ret; i++) {
		snprintf(name, sizeof(name), i % 3 ? "nlctrl" : "kesp-nosuch-%d", i);
		ret = kesp_nl_send(&nl, getfamily(&nl, name), on_reply, on_done, &o[i], NULL);
	}
	TAP_EQ_INT(ret, 0, "many in flight: 300 requests are taken at once");
	TAP_EQ_INT(kesp_nl_pending(&nl), N, "many in flight: all 300 are pending");
	ret = drain(&nl);
	TAP_EQ_INT(ret, 0, "many in flight: all are answered, none lost to a full socket");
	for (int i = 0; i < N; i++) {
		once = once && o[i].done == 1;
		ordered = ordered && o[i].order == i + 1;
		if (i % 3)
			right = right && !o[i].error && o[i].replies == 1 &&
				o[i].family_id == GENL_ID_CTRL;
		else
			right = right && o[i].error == -ENOENT && !o[i].replies;
	}
	tap_ok(once, "many in flight: each request ends exactly once");
	tap_ok(right, "many in flight: each gets its own answer (family, or ENOENT)");
	tap_ok(ordered, "many in flight: they end in the order they were sent");
	kesp_nl_close(&nl);
}

/*
 * kesp_nl_queue() and kesp_nl_flush(), as kespctl -batch -force uses them:
 * nothing goes before the flush; then the requests go many to a datagram
 * and the kernel has answered them all by the time the flush returns, a
 * refusal in the middle of a datagram included, each request with its own
 * outcome, in order.
 */
static void queued_together(void)
{
	enum { N = 40 };
	static struct outcome o[N];
	struct kesp_nl nl;
	bool right = true, once = true, ordered = true;
	unsigned char peek;
	char name[32];
	int ret = 0, reads = 0;

	if (open_nlctrl(&nl, "queued") < 0)
		return;
	memset(o, 0, sizeof(o));
	ended = 0;
	for (int i = 0; i < N && !ret; i++) {
		/* Refusals at 3 and 17: inside the first and second datagram. */
		snprintf(name, sizeof(name), i == 3 || i == 17 ? "kesp-nosuch-%d" : "nlctrl", i);
		ret = kesp_nl_queue(&nl, getfamily(&nl, name), on_reply, on_done, &o[i]);
	}
	TAP_EQ_INT(ret, 0, "queued: 40 requests are taken");
	usleep(20000);
	tap_ok(recv(kesp_nl_fd(&nl), &peek, 1, MSG_DONTWAIT | MSG_PEEK) < 0 && errno == EAGAIN,
	       "queued: nothing is sent before the flush");
	TAP_EQ_INT(kesp_nl_pending(&nl), N, "queued: all 40 are pending");
	/* Each flush sends what there is room for; answers make room. */
	while (kesp_nl_pending(&nl) && reads < 100) {
		kesp_nl_flush(&nl);
		ret = kesp_nl_receive(&nl);
		reads++;
		if (ret < 0)
			break;
	}
	TAP_EQ_INT(ret, 0, "queued: receiving raises no error");
	TAP_EQ_INT(kesp_nl_pending(&nl), 0,
		   "queued: every answer is there when the flush returns, no waiting");
	for (int i = 0; i < N; i++) {
		once = once && o[i].done == 1;
		ordered = ordered && o[i].order == i + 1;
		if (i == 3 || i == 17)
			right = right && o[i].error == -ENOENT && !o[i].replies;
		else
			right = right && !o[i].error && o[i].replies == 1 &&
				o[i].family_id == GENL_ID_CTRL;
	}
	tap_ok(once, "queued: each request ends exactly once");
	tap_ok(right, "queued: the refused ones get ENOENT, the ones after them their answer");
	tap_ok(ordered, "queued: they end in the order they were queued");
	kesp_nl_close(&nl);
}

/*
 * Reads what the socket holds without the client, as the kernel sent it;
 * *SEEN_SEQ tells whether any message carries sequence number SEQ.
 */
static size_t read_raw(struct kesp_nl *nl, unsigned char *buf, size_t size,
		       uint32_t seq, bool *seen_seq)
{
	size_t used = 0;
	ssize_t n;

	*seen_seq = false;
	usleep(20000);
	while (used + 65536 <= size &&
	       (n = recv(kesp_nl_fd(nl), buf + used, 65536, MSG_DONTWAIT)) > 0) {
		for (size_t off = 0; off + NLMSG_HDRLEN <= (size_t)n;) {
			const struct nlmsghdr *h = (const void *)(buf + used + off);

			*seen_seq = *seen_seq || h->nlmsg_seq == seq;
			if (h->nlmsg_len < NLMSG_HDRLEN)
				break;
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
		/* Datagrams are fed one by one: remember where each ends. */
		memmove(buf + used + sizeof(uint32_t), buf + used, (size_t)n);
		memcpy(buf + used, &(uint32_t){ (uint32_t)n }, sizeof(uint32_t));
		used += sizeof(uint32_t) + NLMSG_ALIGN((size_t)n);
	}
	return used;
}

/* Feeds what read_raw() collected, datagram by datagram. */
static void feed_raw(struct kesp_nl *nl, unsigned char *buf, size_t used)
{
	for (size_t off = 0; off < used;) {
		uint32_t n;

		memcpy(&n, buf + off, sizeof(n));
		kesp_nl_feed(nl, buf + off + sizeof(n), n);
		off += sizeof(n) + NLMSG_ALIGN(n);
	}
}

/*
 * The kernel runs one dump per socket (a second gets EBUSY while the
 * first runs); the client must hold the next back until the first ends.
 */
static void dumps_in_turn(void)
{
	struct outcome d1 = { 0 }, d2 = { 0 }, d3 = { 0 }, one = { 0 };
	static unsigned char raw[4 * 65540];
	struct kesp_nl nl;
	uint32_t seq1, seq2;
	size_t used;
	bool seen;
	int ret;

	if (open_nlctrl(&nl, "dumps") < 0)
		return;
	ended = 0;
	ret = kesp_nl_send(&nl, getfamily(&nl, NULL), on_reply, on_done, &d1, &seq1);
	ret = ret ? ret : kesp_nl_send(&nl, getfamily(&nl, NULL), on_reply, on_done, &d2, &seq2);
	ret = ret ? ret : kesp_nl_send(&nl, getfamily(&nl, "nlctrl"), on_reply, on_done, &one, NULL);
	TAP_EQ_INT(ret, 0, "dumps: two dumps and a request are taken");
	used = read_raw(&nl, raw, sizeof(raw), seq2, &seen);
	tap_ok(!seen && used, "dumps: the second is not sent while the first runs");
	feed_raw(&nl, raw, used);
	TAP_EQ_INT(drain(&nl), 0, "dumps: all are answered");
	tap_ok(!d1.error && !d2.error && d1.replies > 1 && d1.replies == d2.replies,
	       "dumps: the second ran after the first (%d %d families, errors %d %d)",
	       d1.replies, d2.replies, d1.error, d2.error);
	tap_ok(one.done == 1 && !one.error && one.family_id == GENL_ID_CTRL &&
	       one.order > d1.order, "dumps: a request behind the waiting dump is answered in turn");

	/* A cancelled dump still runs in the kernel; the next must wait for it. */
	memset(&d2, 0, sizeof(d2));
	ret = kesp_nl_send(&nl, getfamily(&nl, NULL), on_reply, on_done, &d2, &seq1);
	kesp_nl_cancel(&nl, seq1);
	TAP_EQ_INT(kesp_nl_pending(&nl), 0, "cancel: a cancelled request is not pending");
	ret = ret ? ret : kesp_nl_send(&nl, getfamily(&nl, NULL), on_reply, on_done, &d3, &seq2);
	used = read_raw(&nl, raw, sizeof(raw), seq2, &seen);
	tap_ok(!seen && used, "cancel: the next dump waits for the cancelled one to end");
	feed_raw(&nl, raw, used);
	TAP_EQ_INT(drain(&nl), 0, "cancel: the next dump is answered");
	tap_ok(!d2.done && !d2.replies, "cancel: no callback for the cancelled dump");
	tap_ok(d3.done == 1 && !d3.error && d3.replies == d1.replies,
	       "cancel: the next dump ran in full (error %d)", d3.error);
	kesp_nl_close(&nl);
}

/* A request that cannot be sent yet is cancelled before it ever is. */
static void cancel_queued(void)
{
	enum { N = 40 };
	static struct outcome o[N];
	uint32_t seq[N];
	struct kesp_nl nl;
	int cancelled_calls = 0;

	if (open_nlctrl(&nl, "cancel queued") < 0)
		return;
	memset(o, 0, sizeof(o));
	for (int i = 0; i < N; i++)
		kesp_nl_send(&nl, getfamily(&nl, "nlctrl"), on_reply, on_done, &o[i], &seq[i]);
	for (int i = 1; i < N; i += 2)
		kesp_nl_cancel(&nl, seq[i]);
	TAP_EQ_INT(kesp_nl_pending(&nl), N / 2, "cancel queued: half remain pending");
	TAP_EQ_INT(drain(&nl), 0, "cancel queued: the rest are answered");
	for (int i = 1; i < N; i += 2)
		cancelled_calls += o[i].done + o[i].replies;
	TAP_EQ_INT(cancelled_calls, 0, "cancel queued: cancelled ones made no callback");
	tap_ok(o[0].done == 1 && o[N - 2].done == 1, "cancel queued: the others ended");

	/* Closing with requests outstanding makes no callback (and leaks nothing). */
	memset(o, 0, sizeof(o));
	for (int i = 0; i < N; i++)
		kesp_nl_send(&nl, getfamily(&nl, "nlctrl"), on_reply, on_done, &o[i], NULL);
	kesp_nl_close(&nl);
	tap_ok(!o[0].done && !o[N - 1].done, "close: outstanding requests are dropped silently");
}

/* The kernel's own extended ack: a name longer than the policy allows. */
static void kernel_extack(void)
{
	struct nl_msg *req;
	struct kesp_nl nl;
	char name[64];
	int ret;

	if (open_nlctrl(&nl, "extack") < 0)
		return;
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	req = getfamily(&nl, name);
	ret = kesp_nl_call(&nl, req, NULL, NULL);
	tap_ok(ret == -ERANGE || ret == -EINVAL, "extack: an overlong name is refused (%d)", ret);
	tap_ok(nl.error[0] != '\0', "extack: the kernel's reason is kept: \"%s\"", nl.error);
	TAP_EQ_INT(nl.error_offset, NLMSG_HDRLEN + GENL_HDRLEN,
		   "extack: the blamed attribute's offset is kept");
	ret = kesp_nl_call(&nl, getfamily(&nl, "nlctrl"), NULL, NULL);
	tap_ok(ret == 0 && !nl.error[0], "a call after a failed one succeeds, error cleared");
	kesp_nl_close(&nl);
}

/* ---- made-up datagrams on top of real requests ---------------------------- */

struct dgram {
	union {
		struct nlmsghdr first;
		unsigned char bytes[1024];
	};
	size_t len;
};

/* Appends a message of TYPE/FLAGS/SEQ carrying PAYLOAD; returns its header. */
static struct nlmsghdr *add_msg(struct dgram *d, uint16_t type, uint16_t flags,
				uint32_t seq, const void *payload, size_t plen)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(d->bytes + d->len);

	memset(nlh, 0, NLMSG_SPACE(plen));
	nlh->nlmsg_len = (uint32_t)NLMSG_LENGTH(plen);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	memcpy(NLMSG_DATA(nlh), payload, plen);
	d->len += NLMSG_SPACE(plen);
	return nlh;
}

/* A family reply for SEQ as the controller sends it (id 0x1234). */
static struct nlmsghdr *add_family(struct dgram *d, uint32_t seq, uint16_t flags)
{
	struct {
		struct genlmsghdr g;
		struct nlattr a;
		uint16_t id, pad;
	} p = { .g = { .cmd = CTRL_CMD_NEWFAMILY },
		.a = { .nla_len = NLA_HDRLEN + 2, .nla_type = CTRL_ATTR_FAMILY_ID },
		.id = 0x1234 };

	return add_msg(d, GENL_ID_CTRL, flags, seq, &p, sizeof(p));
}

/* NLMSG_DONE for SEQ with ERROR and, if TEXT, an extack message. */
static void add_done(struct dgram *d, uint32_t seq, int error, const char *text)
{
	unsigned char p[128] = { 0 };
	size_t plen = NLMSG_ALIGN(sizeof(int));
	uint16_t flags = NLM_F_MULTI;

	memcpy(p, &error, sizeof(error));
	if (text) {
		struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + strlen(text) + 1),
				    .nla_type = NLMSGERR_ATTR_MSG };

		memcpy(p + plen, &a, sizeof(a));
		memcpy(p + plen + NLA_HDRLEN, text, strlen(text) + 1);
		plen += NLA_ALIGN(a.nla_len);
		flags |= NLM_F_ACK_TLVS;
	}
	add_msg(d, NLMSG_DONE, flags, seq, p, plen);
}

static void add_ack(struct dgram *d, uint32_t seq, int error)
{
	struct nlmsgerr e = { .error = error };

	add_msg(d, NLMSG_ERROR, NLM_F_CAPPED, seq, &e, sizeof(e));
}

static int events_seen;

static int on_event(struct nl_msg *msg, void *arg)
{
	(void)arg;
	events_seen++;
	return nlmsg_hdr(msg)->nlmsg_flags & NLM_F_ECHO ? -1 : 0;
}

static void fed_cases(void)
{
	struct outcome a = { 0 }, b = { 0 }, c = { 0 };
	struct kesp_nl nl;
	struct dgram d;
	uint32_t sa, sb, sc;
	int ret;

	if (open_nlctrl(&nl, "fed") < 0)
		return;
	kesp_nl_send(&nl, getfamily(&nl, NULL), on_reply, on_done, &a, &sa);
	kesp_nl_send(&nl, getfamily(&nl, "nlctrl"), on_reply, on_done, &b, &sb);

	/* Interleaved: B's answer inside A's dump, a stranger's between. */
	memset(&d, 0, sizeof(d));
	add_family(&d, sa, NLM_F_MULTI);
	add_family(&d, sb, 0);
	add_family(&d, sb + 1000, 0);
	add_family(&d, sa, NLM_F_MULTI | NLM_F_DUMP_INTR);
	add_ack(&d, sb, 0);
	add_done(&d, sa, -EMSGSIZE, "dump stopped part way");
	ret = kesp_nl_feed(&nl, d.bytes, d.len);
	TAP_EQ_INT(ret, 0, "fed: a datagram of interleaved answers is taken");
	tap_ok(a.replies == 2 && a.family_id == 0x1234, "fed: the dump got its two messages");
	tap_ok(b.replies == 1 && b.done == 1 && !b.error, "fed: the request got its reply and ack");
	TAP_EQ_INT(a.error, -EMSGSIZE, "fed: a dump's error in NLMSG_DONE ends it");
	TAP_EQ_STR(a.message, "dump stopped part way", "fed: with the extack text of NLMSG_DONE");
	tap_ok(a.interrupted, "fed: NLM_F_DUMP_INTR is reported");
	TAP_EQ_INT(kesp_nl_pending(&nl), 0, "fed: nothing is pending");
	/* The kernel's real answers to both arrive now and are dropped. */
	ret = drain(&nl);
	kesp_nl_wait(&nl, 200);
	tap_ok(a.done == 1 && b.done == 1 && b.replies == 1,
	       "fed: late answers to ended requests are dropped");

	/* A reply the callback refuses ends the request with EPROTO after the ack. */
	memset(&c, 0, sizeof(c));
	c.refuse = 1;
	kesp_nl_send(&nl, getfamily(&nl, "nlctrl"), on_reply, on_done, &c, &sc);
	TAP_EQ_INT(drain(&nl), 0, "refused reply: the request ends");
	tap_ok(c.done == 1 && c.error == -EPROTO && c.replies == 1,
	       "refused reply: it ends once with EPROTO (%d)", c.error);
	TAP_EQ_STR(c.message, "malformed reply from the kernel", "refused reply: and says why");

	/* Malformed datagrams: a length past the end, a truncated error. */
	memset(&b, 0, sizeof(b));
	kesp_nl_send(&nl, getfamily(&nl, "nlctrl"), on_reply, on_done, &b, &sb);
	memset(&d, 0, sizeof(d));
	add_family(&d, sb, 0)->nlmsg_len = 4000;
	kesp_nl_feed(&nl, d.bytes, d.len);
	memset(&d, 0, sizeof(d));
	add_msg(&d, NLMSG_ERROR, 0, sb, "ab", 2);
	kesp_nl_feed(&nl, d.bytes, 3);
	tap_ok(!b.replies && !b.done, "fed: a message longer than its datagram is not read");
	memset(&d, 0, sizeof(d));
	add_msg(&d, NLMSG_ERROR, 0, sb, "ab", 2);
	kesp_nl_feed(&nl, d.bytes, d.len);
	tap_ok(b.done == 1 && b.error == -EPROTO, "fed: an error message too short to hold one is EPROTO");
	drain(&nl);

	/* Events: sequence number 0 and the family's type. */
	ret = kesp_nl_join(&nl, "no-such-group", on_event, NULL);
	TAP_EQ_INT(ret, -ENOENT, "join: an unknown group is ENOENT");
	TAP_EQ_STR(nl.error, "no multicast group \"no-such-group\" in generic netlink family 16",
		   "join: and the reason names it");
	ret = kesp_nl_join(&nl, "notify", on_event, NULL);
	TAP_EQ_INT(ret, 0, "join: the controller's notify group");
	memset(&d, 0, sizeof(d));
	add_family(&d, 0, 0);
	add_family(&d, 0, NLM_F_ECHO);	/* on_event refuses this one */
	add_family(&d, 0, 0);
	add_msg(&d, NLMSG_ERROR, 0, 0, "abcd", 4);
	events_seen = 0;
	ret = kesp_nl_feed(&nl, d.bytes, d.len);
	TAP_EQ_INT(events_seen, 3, "events: each message with sequence 0 is an event");
	TAP_EQ_INT(ret, -EPROTO, "events: a refused one is reported, the rest delivered");
	kesp_nl_close(&nl);
}

/*
 * Only the kernel answers: an ack forged by another netlink socket (root
 * may unicast to any port) must not end a request, even when it arrives
 * before the kernel's.
 */
static void forged_ack(void)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct outcome first = { 0 }, o = { 0 };
	struct kesp_nl nl;
	struct dgram d;
	socklen_t len = sizeof(to);
	uint32_t seq;
	int fd;

	if (open_nlctrl(&nl, "forged") < 0)
		return;
	getsockname(kesp_nl_fd(&nl), (struct sockaddr *)&to, &len);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	/* Sequence numbers count up: the next request's is SEQ + 1. */
	kesp_nl_send(&nl, getfamily(&nl, "nlctrl"), on_reply, on_done, &first, &seq);
	drain(&nl);
	memset(&d, 0, sizeof(d));
	add_ack(&d, seq + 1, -EPERM);
	if (fd < 0 || sendto(fd, d.bytes, d.len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		tap_ok(1, "# SKIP cannot send to another netlink port here");
	} else {
		kesp_nl_send(&nl, getfamily(&nl, "nlctrl"), on_reply, on_done, &o, &seq);
		drain(&nl);
		tap_ok(o.done == 1 && !o.error && o.family_id == GENL_ID_CTRL,
		       "forged: an ack from another port is ignored (error %d)", o.error);
	}
	if (fd >= 0)
		close(fd);
	kesp_nl_close(&nl);
}

/* A done callback may send the next request (a daemon's usual chain). */
static struct kesp_nl *chain_nl;
static struct outcome chain_next;

static int nested_call, nested_receive;

static void chain_done(const struct kesp_nl_result *res, void *arg)
{
	(void)arg;
	if (res->error)
		return;
	kesp_nl_send(chain_nl, getfamily(chain_nl, "nlctrl"), on_reply, on_done,
		     &chain_next, NULL);
	/* Reading from inside would overwrite the datagram being handed out. */
	nested_call = kesp_nl_call(chain_nl, getfamily(chain_nl, "nlctrl"), NULL, NULL);
	nested_receive = kesp_nl_receive(chain_nl);
}

static void chained(void)
{
	struct kesp_nl nl;

	if (open_nlctrl(&nl, "chain") < 0)
		return;
	chain_nl = &nl;
	memset(&chain_next, 0, sizeof(chain_next));
	kesp_nl_send(&nl, getfamily(&nl, "nlctrl"), NULL, chain_done, NULL, NULL);
	TAP_EQ_INT(drain(&nl), 0, "chain: both requests are answered");
	tap_ok(chain_next.done == 1 && chain_next.family_id == GENL_ID_CTRL,
	       "chain: a request sent from a done callback works");
	TAP_EQ_INT(nested_call, -EDEADLK, "chain: a blocking call from a callback is refused");
	TAP_EQ_INT(nested_receive, -EDEADLK, "chain: so is receiving");
	kesp_nl_close(&nl);
}

int main(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	parse_error_cases();
	if (fd < 0) {
		tap_ok(1, "# SKIP no generic netlink on this machine: %s", strerror(errno));
		return tap_done();
	}
	close(fd);
	open_cases();
	many_in_flight();
	queued_together();
	dumps_in_turn();
	cancel_queued();
	kernel_extack();
	fed_cases();
	forged_ack();
	chained();
	return tap_done();
}
