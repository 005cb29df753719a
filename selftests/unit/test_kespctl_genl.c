// SPDX-License-Identifier: GPL-2.0
/*
 * kesp_nl_parse_error: how kespctl turns the kernel's NLMSG_ERROR (with
 * extended ack TLVs, RFC 3549 framing as in linux/netlink.h) into the text
 * a user reads. The messages are built by hand the way the kernel lays them
 * out in netlink_ack().
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "genl.h"
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

int main(void)
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
	return tap_done();
}
