// SPDX-License-Identifier: GPL-2.0
/*
 * Printing the kernel's SA replies: close to `ip xfrm state` for people,
 * exact numbers with --json. KESP_ALG_A_KEY is never read here: a key the
 * kernel (wrongly) sent back is still not printed.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "sa.h"
#include "trap.h"

/*
 * if_indextoname(), remembering the last answer: it costs a socket of its
 * own, and every SA a -batch adds is printed, all on one device.
 */
static const char *default_ifname(uint32_t ifindex, char *buf)
{
	static uint32_t last_index;
	static char last[IF_NAMESIZE];

	if (!ifindex || ifindex != last_index) {
		if (!if_indextoname(ifindex, last)) {
			last_index = 0;
			return NULL;
		}
		last_index = ifindex;
	}
	return memcpy(buf, last, sizeof(last));
}

void sa_printer_init(struct sa_printer *p, FILE *out, bool json)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->json = json;
	p->ifname = default_ifname;
	json_init(&p->j, out);
}

void sa_print_begin(struct sa_printer *p)
{
	if (p->json)
		json_array_begin(&p->j, NULL);
}

void sa_print_end(struct sa_printer *p)
{
	if (p->json)
		json_array_end(&p->j);
}

static const char *dir_name(uint8_t dir)
{
	return dir == KESP_DIR_IN ? "in" : dir == KESP_DIR_OUT ? "out" : "?";
}

static const char *mode_name(uint8_t mode)
{
	return mode == KESP_MODE_TUNNEL ? "tunnel" :
	       mode == KESP_MODE_TRANSPORT ? "transport" : "?";
}

/* An address attribute as text; -1 if its length is neither 4 nor 16. */
static int addr_str(const struct nlattr *a, char *buf, size_t size)
{
	int len = nla_len(a);

	if (len != 4 && len != 16)
		return -1;
	inet_ntop(len == 4 ? AF_INET : AF_INET6, nla_data(a), buf, (socklen_t)size);
	return 0;
}

static struct nla_policy alg_policy[KESP_ALG_A_MAX + 1] = {
	[KESP_ALG_A_NAME] = { .type = NLA_STRING },
	[KESP_ALG_A_ICV_BITS] = { .type = NLA_U32 },
};

static int print_alg(struct sa_printer *p, const char *label, struct nlattr *nest)
{
	struct nlattr *tb[KESP_ALG_A_MAX + 1];
	const char *name;

	if (nla_parse_nested(tb, KESP_ALG_A_MAX, nest, alg_policy) < 0 ||
	    !tb[KESP_ALG_A_NAME])
		return -1;
	name = nla_get_string(tb[KESP_ALG_A_NAME]);
	if (!memchr(name, '\0', (size_t)nla_len(tb[KESP_ALG_A_NAME])))
		return -1;
	if (p->json) {
		json_object_begin(&p->j, label);
		json_string(&p->j, "name", name);
		if (tb[KESP_ALG_A_ICV_BITS])
			json_uint(&p->j, "icv_bits", nla_get_u32(tb[KESP_ALG_A_ICV_BITS]));
		json_object_end(&p->j);
		return 0;
	}
	/* As the add grammar, minus the key: "aead NAME BITS", "enc NAME". */
	if (!strcmp(label, "auth") && tb[KESP_ALG_A_ICV_BITS])
		label = "auth-trunc";
	fprintf(p->out, "\t%s %s", label, name);
	if (tb[KESP_ALG_A_ICV_BITS])
		fprintf(p->out, " %u", nla_get_u32(tb[KESP_ALG_A_ICV_BITS]));
	fputc('\n', p->out);
	return 0;
}

static struct nla_policy sel_policy[KESP_SEL_A_MAX + 1] = {
	[KESP_SEL_A_FAMILY] = { .type = NLA_U16 },
	[KESP_SEL_A_PROTO] = { .type = NLA_U8 },
	[KESP_SEL_A_SPORT_START] = { .type = NLA_U16 },
	[KESP_SEL_A_SPORT_END] = { .type = NLA_U16 },
	[KESP_SEL_A_DPORT_START] = { .type = NLA_U16 },
	[KESP_SEL_A_DPORT_END] = { .type = NLA_U16 },
};

/* One side of a selector: "any" when absent, else a prefix or a range. */
static int sel_range(struct nlattr **tb, int start, int end, int family,
		     char *buf, size_t size)
{
	size_t len = kesp_addr_len(family);

	if (!tb[start] && !tb[end]) {
		snprintf(buf, size, "any");
		return 0;
	}
	if (!tb[start] || !tb[end] || (size_t)nla_len(tb[start]) != len ||
	    (size_t)nla_len(tb[end]) != len)
		return -1;
	format_range(family, nla_data(tb[start]), nla_data(tb[end]), buf, size);
	return 0;
}

static int port_range(struct nlattr **tb, int start, int end, uint16_t *lo,
		      uint16_t *hi)
{
	if (!tb[start] && !tb[end])
		return 0;
	*lo = tb[start] ? nla_get_u16(tb[start]) : 0;
	*hi = tb[end] ? nla_get_u16(tb[end]) : 65535;
	return 1;
}

static void print_ports(struct sa_printer *p, const char *key, uint16_t lo,
			uint16_t hi)
{
	if (p->json) {
		json_array_begin(&p->j, key);
		json_uint(&p->j, NULL, lo);
		json_uint(&p->j, NULL, hi);
		json_array_end(&p->j);
	} else if (lo == hi) {
		fprintf(p->out, " %s %u", key, lo);
	} else {
		fprintf(p->out, " %s %u-%u", key, lo, hi);
	}
}

int sa_print_sel(struct sa_printer *p, const char *key, struct nlattr *nest)
{
	struct nlattr *tb[KESP_SEL_A_MAX + 1];
	char src[KESP_RANGE_STRLEN], dst[KESP_RANGE_STRLEN];
	uint16_t slo = 0, shi = 0, dlo = 0, dhi = 0;
	uint8_t proto = 0;
	int family, has_s, has_d;
	bool icmp;

	if (nla_parse_nested(tb, KESP_SEL_A_MAX, nest, sel_policy) < 0 ||
	    !tb[KESP_SEL_A_FAMILY])
		return -1;
	family = nla_get_u16(tb[KESP_SEL_A_FAMILY]);
	if (family != AF_INET && family != AF_INET6)
		return -1;
	if (sel_range(tb, KESP_SEL_A_SRC_START, KESP_SEL_A_SRC_END, family,
		      src, sizeof(src)) < 0 ||
	    sel_range(tb, KESP_SEL_A_DST_START, KESP_SEL_A_DST_END, family,
		      dst, sizeof(dst)) < 0)
		return -1;
	if (tb[KESP_SEL_A_PROTO])
		proto = nla_get_u8(tb[KESP_SEL_A_PROTO]);
	icmp = proto_is_icmp(proto);
	has_s = port_range(tb, KESP_SEL_A_SPORT_START, KESP_SEL_A_SPORT_END, &slo, &shi);
	has_d = port_range(tb, KESP_SEL_A_DPORT_START, KESP_SEL_A_DPORT_END, &dlo, &dhi);

	if (p->json) {
		json_object_begin(&p->j, key);
		json_string(&p->j, "family", family == AF_INET ? "inet" : "inet6");
		json_string(&p->j, "src", src);
		json_string(&p->j, "dst", dst);
		json_uint(&p->j, "proto", proto);
		if (has_s)
			print_ports(p, "sport", slo, shi);
		if (has_d)
			print_ports(p, "dport", dlo, dhi);
		json_object_end(&p->j);
		return 0;
	}
	fprintf(p->out, "\tsel src %s dst %s", src, dst);
	if (proto) {
		const char *name = proto_name(proto);

		if (name)
			fprintf(p->out, " proto %s", name);
		else
			fprintf(p->out, " proto %u", proto);
	}
	/* Every port is what ip xfrm leaves out: a line that reads back the same. */
	if (has_s && (slo || shi != 65535))
		print_ports(p, icmp ? "type" : "sport", slo, shi);
	if (has_d && (dlo || dhi != 65535))
		print_ports(p, icmp ? "code" : "dport", dlo, dhi);
	fputc('\n', p->out);
	return 0;
}

static int print_selectors(struct sa_printer *p, struct nlattr *nest)
{
	struct nlattr *a;
	int rem, ret = 0;

	if (p->json)
		json_array_begin(&p->j, "selectors");
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != KESP_SELECTORS_A_SELECTOR)
			continue;
		if (sa_print_sel(p, NULL, a) < 0) {
			ret = -1;
			break;
		}
	}
	if (p->json)
		json_array_end(&p->j);
	return ret;
}

struct u64_field {
	int attr;
	const char *human, *json;
};

static const struct u64_field lft_fields[] = {
	{ KESP_LFT_A_SOFT_SECONDS, "time-soft", "time_soft" },
	{ KESP_LFT_A_HARD_SECONDS, "time-hard", "time_hard" },
	{ KESP_LFT_A_SOFT_BYTES, "byte-soft", "byte_soft" },
	{ KESP_LFT_A_HARD_BYTES, "byte-hard", "byte_hard" },
	{ KESP_LFT_A_SOFT_PACKETS, "packet-soft", "packet_soft" },
	{ KESP_LFT_A_HARD_PACKETS, "packet-hard", "packet_hard" },
};

static const struct u64_field cnt_fields[] = {
	{ KESP_CNT_A_PACKETS, "packets", "packets" },
	{ KESP_CNT_A_BYTES, "bytes", "bytes" },
	{ KESP_CNT_A_REPLAY_ERRORS, "replay-errors", "replay_errors" },
	{ KESP_CNT_A_AUTH_ERRORS, "auth-errors", "auth_errors" },
	{ KESP_CNT_A_SELECTOR_ERRORS, "selector-errors", "selector_errors" },
	{ KESP_CNT_A_PADDING_ERRORS, "padding-errors", "padding_errors" },
	{ KESP_CNT_A_OTHER_ERRORS, "other-errors", "other_errors" },
	{ KESP_CNT_A_ENCAP_ERRORS, "encap-errors", "encap_errors" },
	{ KESP_CNT_A_PARALLEL, "parallel", "parallel" },
};

/* A nest of u64s; absent or 0 limits mean none and are left out. */
static int print_u64s(struct sa_printer *p, struct nlattr *nest, const char *human,
		      const char *json, const struct u64_field *f, size_t n,
		      bool skip_zero)
{
	struct nlattr *tb[16] = { NULL };
	struct nla_policy policy[16];
	bool any = false;

	memset(policy, 0, sizeof(policy));
	for (size_t i = 0; i < n; i++)
		policy[f[i].attr].type = NLA_U64;
	if (nla_parse_nested(tb, 15, nest, policy) < 0)
		return -1;
	if (p->json)
		json_object_begin(&p->j, json);
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		if (!tb[f[i].attr])
			continue;
		v = nla_get_u64(tb[f[i].attr]);
		if (skip_zero && !v)
			continue;
		if (p->json) {
			json_uint(&p->j, f[i].json, v);
			continue;
		}
		fprintf(p->out, "%s %s %" PRIu64, any ? "" : human, f[i].human, v);
		any = true;
	}
	if (p->json)
		json_object_end(&p->j);
	else if (any)
		fputc('\n', p->out);
	return 0;
}

static struct nla_policy sa_policy[KESP_SA_A_MAX + 1] = {
	[KESP_SA_A_IFINDEX] = { .type = NLA_U32 },
	[KESP_SA_A_ID] = { .type = NLA_U32 },
	[KESP_SA_A_DIR] = { .type = NLA_U8 },
	[KESP_SA_A_SPI] = { .type = NLA_U32 },
	[KESP_SA_A_MODE] = { .type = NLA_U8 },
	[KESP_SA_A_REQID] = { .type = NLA_U32 },
	[KESP_SA_A_AEAD] = { .type = NLA_NESTED },
	[KESP_SA_A_ENC] = { .type = NLA_NESTED },
	[KESP_SA_A_AUTH] = { .type = NLA_NESTED },
	[KESP_SA_A_REPLAY_WINDOW] = { .type = NLA_U32 },
	[KESP_SA_A_FLAGS] = { .type = NLA_U32 },
	[KESP_SA_A_SEQ] = { .type = NLA_U64 },
	[KESP_SA_A_PRIORITY] = { .type = NLA_U32 },
	[KESP_SA_A_SELECTORS] = { .type = NLA_NESTED },
	[KESP_SA_A_LIFETIME] = { .type = NLA_NESTED },
	[KESP_SA_A_ADD_TIME] = { .type = NLA_U64 },
	[KESP_SA_A_COUNTERS] = { .type = NLA_NESTED },
	[KESP_SA_A_EXPIRE_HARD] = { .type = NLA_FLAG },
	[KESP_SA_A_EXPIRE_REASON] = { .type = NLA_U8 },
	[KESP_SA_A_ENCAP] = { .type = NLA_NESTED },
	[KESP_SA_A_MAPPING_SPORT] = { .type = NLA_U16 },
};

/* "encap espinudp SPORT DPORT", as ip xfrm writes it. */
static int print_encap(struct sa_printer *p, struct nlattr *nest)
{
	static struct nla_policy policy[KESP_ENCAP_A_MAX + 1] = {
		[KESP_ENCAP_A_TYPE] = { .type = NLA_U8 },
		[KESP_ENCAP_A_SPORT] = { .type = NLA_U16 },
		[KESP_ENCAP_A_DPORT] = { .type = NLA_U16 },
	};
	struct nlattr *tb[KESP_ENCAP_A_MAX + 1];
	const char *type;

	if (nla_parse_nested(tb, KESP_ENCAP_A_MAX, nest, policy) < 0 ||
	    !tb[KESP_ENCAP_A_TYPE] || !tb[KESP_ENCAP_A_SPORT] ||
	    !tb[KESP_ENCAP_A_DPORT])
		return -1;
	type = nla_get_u8(tb[KESP_ENCAP_A_TYPE]) == KESP_ENCAP_ESPINUDP ?
	       "espinudp" : "unknown";
	if (p->json) {
		json_object_begin(&p->j, "encap");
		json_string(&p->j, "type", type);
		json_uint(&p->j, "sport", nla_get_u16(tb[KESP_ENCAP_A_SPORT]));
		json_uint(&p->j, "dport", nla_get_u16(tb[KESP_ENCAP_A_DPORT]));
		json_object_end(&p->j);
	} else {
		fprintf(p->out, "\tencap %s %u %u\n", type,
			nla_get_u16(tb[KESP_ENCAP_A_SPORT]),
			nla_get_u16(tb[KESP_ENCAP_A_DPORT]));
	}
	return 0;
}

const struct sa_flag_name sa_flag_names[] = {
	{ KESP_SA_F_ESN, "esn" },
	{ KESP_SA_F_PCPU_ACQUIRE, "pcpu-acquire" },
	{ KESP_SA_F_PARALLEL, "parallel" },
	{ 0, NULL },
};

static void print_flags(struct sa_printer *p, uint32_t flags)
{
	const struct sa_flag_name *f;
	uint32_t rest = flags;

	for (f = sa_flag_names; f->name; f++)
		rest &= ~f->bit;
	if (p->json) {
		json_array_begin(&p->j, "flags");
		for (f = sa_flag_names; f->name; f++)
			if (flags & f->bit)
				json_string(&p->j, NULL, f->name);
		if (rest) {
			char buf[16];

			snprintf(buf, sizeof(buf), "0x%x", rest);
			json_string(&p->j, NULL, buf);
		}
		json_array_end(&p->j);
		return;
	}
	for (f = sa_flag_names; f->name; f++)
		if (flags & f->bit)
			fprintf(p->out, " flag %s", f->name);
	if (rest)
		fprintf(p->out, " flag 0x%x", rest);
}

static int print_sa(struct sa_printer *p, struct nl_msg *msg)
{
	struct nlattr *tb[KESP_SA_A_MAX + 1];
	char ifbuf[IFNAMSIZ], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const char *ifname;
	uint32_t ifindex, id, spi, reqid = 0;
	uint8_t dir, mode;
	bool json = p->json;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KESP_SA_A_MAX, sa_policy) < 0)
		return -1;
	if (!tb[KESP_SA_A_IFINDEX] || !tb[KESP_SA_A_ID] || !tb[KESP_SA_A_DIR] ||
	    !tb[KESP_SA_A_SPI] || !tb[KESP_SA_A_MODE] || !tb[KESP_SA_A_SRC] ||
	    !tb[KESP_SA_A_DST] || addr_str(tb[KESP_SA_A_SRC], src, sizeof(src)) < 0 ||
	    addr_str(tb[KESP_SA_A_DST], dst, sizeof(dst)) < 0)
		return -1;
	ifindex = nla_get_u32(tb[KESP_SA_A_IFINDEX]);
	id = nla_get_u32(tb[KESP_SA_A_ID]);
	dir = nla_get_u8(tb[KESP_SA_A_DIR]);
	spi = nla_get_u32(tb[KESP_SA_A_SPI]);
	mode = nla_get_u8(tb[KESP_SA_A_MODE]);
	if (tb[KESP_SA_A_REQID])
		reqid = nla_get_u32(tb[KESP_SA_A_REQID]);
	ifname = p->ifname ? p->ifname(ifindex, ifbuf) : NULL;
	p->count++;

	if (json) {
		json_object_begin(&p->j, NULL);
		if (p->event) {
			json_string(&p->j, "event", p->event);
			if (p->event_kind)
				json_string(&p->j, "kind", p->event_kind);
			if (p->event_reason)
				json_string(&p->j, "reason", p->event_reason);
			if (p->event_src) {
				json_string(&p->j, "new_src", p->event_src);
				json_uint(&p->j, "new_sport", p->event_sport);
			}
		}
		json_uint(&p->j, "id", id);
		json_uint(&p->j, "ifindex", ifindex);
		if (ifname)
			json_string(&p->j, "dev", ifname);
		json_string(&p->j, "dir", dir_name(dir));
		json_uint(&p->j, "spi", spi);
		json_uint(&p->j, "reqid", reqid);
		json_string(&p->j, "mode", mode_name(mode));
		json_string(&p->j, "src", src);
		json_string(&p->j, "dst", dst);
	} else {
		if (p->event && p->event_src)
			fprintf(p->out, "%s to %s port %u: ", p->event,
				p->event_src, p->event_sport);
		else if (p->event)
			fprintf(p->out, "%s %s (%s): ", p->event, p->event_kind,
				p->event_reason);
		fprintf(p->out, "sa %u ", id);
		if (ifname)
			fprintf(p->out, "dev %s", ifname);
		else
			fprintf(p->out, "ifindex %u", ifindex);
		fprintf(p->out, " dir %s spi 0x%08x reqid %u mode %s\n",
			dir_name(dir), spi, reqid, mode_name(mode));
		fprintf(p->out, "\tsrc %s dst %s\n", src, dst);
	}
	if ((tb[KESP_SA_A_AEAD] && print_alg(p, "aead", tb[KESP_SA_A_AEAD]) < 0) ||
	    (tb[KESP_SA_A_ENC] && print_alg(p, "enc", tb[KESP_SA_A_ENC]) < 0) ||
	    (tb[KESP_SA_A_AUTH] && print_alg(p, "auth", tb[KESP_SA_A_AUTH]) < 0))
		goto malformed;

	if (json) {
		if (tb[KESP_SA_A_REPLAY_WINDOW])
			json_uint(&p->j, "replay_window",
				  nla_get_u32(tb[KESP_SA_A_REPLAY_WINDOW]));
		if (tb[KESP_SA_A_SEQ])
			json_uint(&p->j, "seq", nla_get_u64(tb[KESP_SA_A_SEQ]));
		print_flags(p, tb[KESP_SA_A_FLAGS] ? nla_get_u32(tb[KESP_SA_A_FLAGS]) : 0);
		if (tb[KESP_SA_A_PRIORITY])
			json_uint(&p->j, "priority", nla_get_u32(tb[KESP_SA_A_PRIORITY]));
		if (tb[KESP_SA_A_CPU])
			json_uint(&p->j, "cpu", nla_get_u32(tb[KESP_SA_A_CPU]));
	} else {
		fputc('\t', p->out);
		if (tb[KESP_SA_A_REPLAY_WINDOW])
			fprintf(p->out, "replay-window %u ",
				nla_get_u32(tb[KESP_SA_A_REPLAY_WINDOW]));
		fprintf(p->out, "seq %" PRIu64,
			tb[KESP_SA_A_SEQ] ? nla_get_u64(tb[KESP_SA_A_SEQ]) : 0);
		if (tb[KESP_SA_A_FLAGS])
			print_flags(p, nla_get_u32(tb[KESP_SA_A_FLAGS]));
		if (tb[KESP_SA_A_PRIORITY])
			fprintf(p->out, " priority %u", nla_get_u32(tb[KESP_SA_A_PRIORITY]));
		if (tb[KESP_SA_A_CPU])
			fprintf(p->out, " cpu %u", nla_get_u32(tb[KESP_SA_A_CPU]));
		fputc('\n', p->out);
	}
	if (tb[KESP_SA_A_ENCAP] && print_encap(p, tb[KESP_SA_A_ENCAP]) < 0)
		goto malformed;
	if (tb[KESP_SA_A_SELECTORS] && print_selectors(p, tb[KESP_SA_A_SELECTORS]) < 0)
		goto malformed;
	if (tb[KESP_SA_A_LIFETIME] &&
	    print_u64s(p, tb[KESP_SA_A_LIFETIME], "\tlimit", "limits", lft_fields,
		       sizeof(lft_fields) / sizeof(lft_fields[0]), true) < 0)
		goto malformed;
	if (tb[KESP_SA_A_COUNTERS] &&
	    print_u64s(p, tb[KESP_SA_A_COUNTERS], "\tstats", "counters", cnt_fields,
		       sizeof(cnt_fields) / sizeof(cnt_fields[0]), false) < 0)
		goto malformed;
	if (json) {
		if (tb[KESP_SA_A_ADD_TIME])
			json_uint(&p->j, "add_time", nla_get_u64(tb[KESP_SA_A_ADD_TIME]));
		json_object_end(&p->j);
	} else if (tb[KESP_SA_A_ADD_TIME]) {
		fprintf(p->out, "\tadded %" PRIu64 "s after boot\n",
			nla_get_u64(tb[KESP_SA_A_ADD_TIME]));
	}
	return 0;

malformed:
	return -1;
}

/*
 * Renders into memory first, with a copy of the printer, so a malformed
 * reply prints nothing and leaves the JSON document whole.
 */
int sa_print_reply(struct nl_msg *msg, void *arg)
{
	struct sa_printer *p = arg, scratch = *p;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	scratch.out = open_memstream(&buf, &len);
	if (!scratch.out)
		return -1;
	scratch.j.out = scratch.out;
	ret = print_sa(&scratch, msg);
	fclose(scratch.out);
	if (ret == 0) {
		fwrite(buf, 1, len, p->out);
		scratch.out = p->out;
		scratch.j.out = p->out;
		*p = scratch;
	}
	free(buf);
	return ret;
}

static const char *expire_reason(uint8_t reason)
{
	switch (reason) {
	case KESP_EXPIRE_SECONDS:
		return "seconds";
	case KESP_EXPIRE_BYTES:
		return "bytes";
	case KESP_EXPIRE_PACKETS:
		return "packets";
	case KESP_EXPIRE_SEQUENCE:
		return "sequence numbers spent";
	}
	return "unknown";
}

int sa_print_event(struct nl_msg *msg, void *arg)
{
	struct sa_printer *p = arg;
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[KESP_SA_A_MAX + 1];
	char src[INET6_ADDRSTRLEN];
	int ret;

	if (gh->cmd == KESP_CMD_ACQUIRE) {
		json_init(&p->j, p->out);
		ret = trap_print_acquire(msg, p);
		fflush(p->out);
		return ret;
	}
	if (gh->cmd != KESP_CMD_SA_EXPIRE && gh->cmd != KESP_CMD_SA_MAPPING)
		return 0;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KESP_SA_A_MAX, sa_policy) < 0)
		return -1;
	if (gh->cmd == KESP_CMD_SA_EXPIRE) {
		if (!tb[KESP_SA_A_EXPIRE_REASON])
			return -1;
		p->event = "expire";
		p->event_kind = tb[KESP_SA_A_EXPIRE_HARD] ? "hard" : "soft";
		p->event_reason = expire_reason(nla_get_u8(tb[KESP_SA_A_EXPIRE_REASON]));
	} else {
		if (!tb[KESP_SA_A_MAPPING_SRC] || !tb[KESP_SA_A_MAPPING_SPORT] ||
		    addr_str(tb[KESP_SA_A_MAPPING_SRC], src, sizeof(src)) < 0)
			return -1;
		p->event = "mapping";
		p->event_src = src;
		p->event_sport = nla_get_u16(tb[KESP_SA_A_MAPPING_SPORT]);
	}
	/* Each event is a document of its own (the JSON writer ends it with a newline). */
	json_init(&p->j, p->out);
	ret = sa_print_reply(msg, p);
	p->event = p->event_kind = p->event_reason = p->event_src = NULL;
	fflush(p->out);
	return ret;
}

bool sa_needs_check(const struct sa_args *a)
{
	if (a->verb != SA_VERB_DEL && a->verb != SA_VERB_GET)
		return false;
	return a->has_src || (a->has_dst && a->dir != KESP_DIR_OUT);
}

static bool same_addr(const struct nlattr *attr, const struct kesp_addr *want)
{
	size_t len = kesp_addr_len(want->family);

	return (size_t)nla_len(attr) == len && !memcmp(nla_data(attr), want->a, len);
}

int sa_reply_check(struct nl_msg *msg, const struct sa_args *a, uint32_t *id)
{
	struct nlattr *tb[KESP_SA_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KESP_SA_A_MAX, sa_policy) < 0 ||
	    !tb[KESP_SA_A_ID] || !tb[KESP_SA_A_SRC] || !tb[KESP_SA_A_DST])
		return -1;
	if ((a->has_src && !same_addr(tb[KESP_SA_A_SRC], &a->src)) ||
	    (a->has_dst && !same_addr(tb[KESP_SA_A_DST], &a->dst)))
		return 0;
	*id = nla_get_u32(tb[KESP_SA_A_ID]);
	return 1;
}

int spi_print_reply(struct nl_msg *msg, void *arg)
{
	static struct nla_policy policy[KESP_SA_A_MAX + 1] = {
		[KESP_SA_A_IFINDEX] = { .type = NLA_U32 },
		[KESP_SA_A_SPI] = { .type = NLA_U32 },
	};
	struct sa_printer *p = arg;
	struct nlattr *tb[KESP_SA_A_MAX + 1];
	uint32_t spi;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KESP_SA_A_MAX, policy) < 0 ||
	    !tb[KESP_SA_A_SPI])
		return -1;
	spi = nla_get_u32(tb[KESP_SA_A_SPI]);
	p->count++;
	if (p->json) {
		json_object_begin(&p->j, NULL);
		json_uint(&p->j, "spi", spi);
		json_object_end(&p->j);
	} else {
		fprintf(p->out, "spi 0x%08x\n", spi);
	}
	return 0;
}
