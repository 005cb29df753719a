// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/kesp.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "genl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int kesp_nl_parse_error(const struct nlmsghdr *nlh, size_t len, char *msg,
			size_t msg_size, uint32_t *offset)
{
	const struct nlmsgerr *err;
	const unsigned char *tlv, *end;
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
	if (skip > nlh->nlmsg_len - NLMSG_HDRLEN)
		return err->error;
	tlv = (const unsigned char *)err + NLMSG_ALIGN(skip);
	end = (const unsigned char *)nlh + nlh->nlmsg_len;

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
		tlv += NLA_ALIGN(a->nla_len);
	}
	return err->error;
}

struct call_state {
	struct kesp_nl *nl;
	int error;
	int done;
	int (*on_reply)(struct nl_msg *msg, void *arg);
	void *arg;
};

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *err, void *arg)
{
	struct call_state *st = arg;
	/* libnl hands us the payload; the header sits right before it. */
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)err - 1;

	(void)who;
	st->error = kesp_nl_parse_error(nlh, nlh->nlmsg_len, st->nl->error,
					sizeof(st->nl->error),
					&st->nl->error_offset);
	st->done = 1;
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct call_state *st = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int error;

	/* A dump that fails part way reports its errno in NLMSG_DONE. */
	if (nlh->nlmsg_type == NLMSG_DONE &&
	    nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(error)) {
		memcpy(&error, NLMSG_DATA(nlh), sizeof(error));
		if (error < 0)
			st->error = error;
	}
	st->done = 1;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct call_state *st = arg;

	if (!st->on_reply)
		return NL_OK;
	if (st->on_reply(msg, st->arg) < 0) {
		st->error = -EPROTO;
		snprintf(st->nl->error, sizeof(st->nl->error),
			 "malformed reply from the kernel");
	}
	return NL_OK;
}

/* The connection kept for a -batch, and whether to keep one. */
static struct kesp_nl kept;
static bool keeping;

void kesp_nl_keep(bool keep)
{
	if (!keep && kept.sk) {
		nl_socket_free(kept.sk);
		kept.sk = NULL;
	}
	keeping = keep;
}

static int connect_family(struct kesp_nl *nl)
{
	struct nl_cache *cache = NULL;
	struct genl_family *fam;
	int one = 1, ret;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	ret = genl_connect(nl->sk);
	if (ret < 0) {
		snprintf(nl->error, sizeof(nl->error),
			 "cannot open a generic netlink socket: %s",
			 nl_geterror(ret));
		ret = -EIO;
		goto fail;
	}
	/*
	 * One read per message into a buffer larger than any the kernel
	 * sends (dump batches stay within 32 KiB), instead of libnl's
	 * default of peeking at each message first to size the buffer:
	 * that doubles the reads, which a -batch of 100000 SAs notices.
	 */
	nl_socket_disable_msg_peek(nl->sk);
	nl_socket_set_msg_buf_size(nl->sk, 65536);
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));

	ret = genl_ctrl_alloc_cache(nl->sk, &cache);
	if (ret < 0) {
		snprintf(nl->error, sizeof(nl->error),
			 "cannot list generic netlink families: %s",
			 nl_geterror(ret));
		ret = -EIO;
		goto fail;
	}
	fam = genl_ctrl_search_by_name(cache, KESP_GENL_NAME);
	if (!fam) {
		snprintf(nl->error, sizeof(nl->error),
			 "generic netlink family \"%s\" not found: is kesp.ko loaded?",
			 KESP_GENL_NAME);
		nl_cache_free(cache);
		ret = -ENOENT;
		goto fail;
	}
	nl->family_id = genl_family_get_id(fam);
	nl->family_version = (uint32_t)genl_family_get_version(fam);
	genl_family_put(fam);
	nl_cache_free(cache);
	return 0;

fail:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return ret;
}

int kesp_nl_open(struct kesp_nl *nl)
{
	int ret;

	if (keeping && kept.sk) {
		*nl = kept;
		return 0;
	}
	ret = connect_family(nl);
	if (!ret && keeping)
		kept = *nl;
	return ret;
}

int kesp_nl_listen(struct kesp_nl *nl, const char *group,
		   int (*on_event)(struct nl_msg *msg, void *arg), void *arg)
{
	int grp, ret;

	grp = genl_ctrl_resolve_grp(nl->sk, KESP_GENL_NAME, group);
	if (grp < 0) {
		snprintf(nl->error, sizeof(nl->error),
			 "no multicast group \"%s\" in family %s: %s", group,
			 KESP_GENL_NAME, nl_geterror(grp));
		return -ENOENT;
	}
	ret = nl_socket_add_membership(nl->sk, grp);
	if (ret < 0) {
		snprintf(nl->error, sizeof(nl->error),
			 "cannot join group \"%s\": %s", group, nl_geterror(ret));
		return -EPERM;
	}
	/* Events are not answers to anything we sent. */
	nl_socket_disable_seq_check(nl->sk);
	nl_socket_modify_cb(nl->sk, NL_CB_VALID, NL_CB_CUSTOM, on_event, arg);
	for (;;) {
		ret = nl_recvmsgs_default(nl->sk);
		/* A burst beyond the socket buffer: say so, keep listening. */
		if (ret == -NLE_NOMEM) {
			fprintf(stderr, "kespctl: events were lost (receive buffer full)\n");
			continue;
		}
		if (ret < 0) {
			snprintf(nl->error, sizeof(nl->error),
				 "reading events: %s", nl_geterror(ret));
			return -EIO;
		}
	}
}

void kesp_nl_close(struct kesp_nl *nl)
{
	if (nl->sk && nl->sk != kept.sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

struct nl_msg *kesp_nl_request(struct kesp_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family_id, 0,
			 flags | NLM_F_ACK, cmd, KESP_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
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

int kesp_nl_call(struct kesp_nl *nl, struct nl_msg *req,
		 int (*on_reply)(struct nl_msg *msg, void *arg), void *arg)
{
	struct call_state st = { .nl = nl, .on_reply = on_reply, .arg = arg };
	struct nl_cb *cb;
	int ret;

	nl->error[0] = '\0';
	nl->error_offset = 0;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		kesp_nl_free_request(req);
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &st);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_finish, &st);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &st);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &st);

	ret = nl_send_auto(nl->sk, req);
	kesp_nl_free_request(req);
	while (ret >= 0 && !st.done)
		ret = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (ret < 0 && !st.error) {
		/* Unread replies may be left: the next command opens afresh. */
		if (nl->sk == kept.sk)
			kept.sk = NULL;
		snprintf(nl->error, sizeof(nl->error), "netlink: %s",
			 nl_geterror(ret));
		return -EIO;
	}
	return st.error;
}
