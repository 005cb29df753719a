// SPDX-License-Identifier: GPL-2.0
/*
 * kespctl: inspect and configure kesp. Feels like `ip` and `wg`: short
 * verbs, output for people by default and exact JSON with --json.
 *
 * Exit status: 0 success, 1 the kernel refused or failed, 2 bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/kesp.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "batch.h"
#include "ctl.h"
#include "encap.h"
#include "ike_cmd.h"
#include "kesp_nl.h"
#include "json.h"
#include "parse.h"
#include "sa.h"
#include "trap.h"

static int cmd_version(struct ctl *c, int argc, char **argv)
{
	struct kesp_nl *nl;

	if (argc > 0)
		return ctl_usage("version", "unexpected argument \"%s\"", argv[0]);
	nl = ctl_nl(c);
	if (!nl)
		return EXIT_KERNEL;
	if (c->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "kespctl", KESP_VERSION);
		json_string(&j, "family", KESP_GENL_NAME);
		json_uint(&j, "family_version", nl->family_version);
		json_uint(&j, "family_id", (uint64_t)nl->family_id);
		json_object_end(&j);
	} else {
		printf("kespctl %s\n", KESP_VERSION);
		printf("kernel: genl family %s version %u (id %d)\n",
		       KESP_GENL_NAME, nl->family_version, nl->family_id);
	}
	if (nl->family_version != KESP_GENL_VERSION)
		ctl_error("warning", "built for family version %d, kernel has %u",
			  KESP_GENL_VERSION, nl->family_version);
	return 0;
}

struct dev_print {
	bool as_json;
	struct json json;
	int count;
};

static int print_dev(struct nl_msg *msg, void *arg)
{
	static struct nla_policy policy[KESP_DEV_A_MAX + 1] = {
		[KESP_DEV_A_IFINDEX] = { .type = NLA_U32 },
		[KESP_DEV_A_IFNAME] = { .type = NLA_STRING },
		[KESP_DEV_A_MTU] = { .type = NLA_U32 },
		[KESP_DEV_A_UNDERLAY_NETNSID] = { .type = NLA_U32 },
		[KESP_DEV_A_FWMARK] = { .type = NLA_U32 },
		[KESP_DEV_A_ENCAP_PORT4] = { .type = NLA_U16 },
		[KESP_DEV_A_ENCAP_PORT6] = { .type = NLA_U16 },
		[KESP_DEV_A_COUNTERS] = { .type = NLA_NESTED },
	};
	static struct nla_policy cnt_policy[KESP_DEV_CNT_A_MAX + 1];
	static const struct { int attr; const char *human, *json; } counters[] = {
		{ KESP_DEV_CNT_A_EXPIRES_SOFT, "expires-soft", "expires_soft" },
		{ KESP_DEV_CNT_A_EXPIRES_HARD, "expires-hard", "expires_hard" },
		{ KESP_DEV_CNT_A_ACQUIRES, "acquires", "acquires" },
		{ KESP_DEV_CNT_A_MAPPINGS, "mappings", "mappings" },
		{ KESP_DEV_CNT_A_ENCAP_ESP, "encap-esp", "encap_esp" },
		{ KESP_DEV_CNT_A_ENCAP_IKE, "encap-ike", "encap_ike" },
		{ KESP_DEV_CNT_A_ENCAP_KEEPALIVES, "encap-keepalives", "encap_keepalives" },
		{ KESP_DEV_CNT_A_ENCAP_ERRORS, "encap-errors", "encap_errors" },
	};
	struct nlattr *ctb[KESP_DEV_CNT_A_MAX + 1] = { NULL };
	struct nlattr *tb[KESP_DEV_A_MAX + 1];
	struct dev_print *p = arg;
	const char *name;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KESP_DEV_A_MAX, policy) < 0 ||
	    !tb[KESP_DEV_A_IFINDEX] || !tb[KESP_DEV_A_IFNAME])
		return -1;
	name = nla_get_string(tb[KESP_DEV_A_IFNAME]);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		cnt_policy[counters[i].attr].type = NLA_U64;
	if (tb[KESP_DEV_A_COUNTERS] &&
	    nla_parse_nested(ctb, KESP_DEV_CNT_A_MAX, tb[KESP_DEV_A_COUNTERS],
			     cnt_policy) < 0)
		return -1;
	p->count++;
	if (p->as_json) {
		json_object_begin(&p->json, NULL);
		json_string(&p->json, "ifname", name);
		json_uint(&p->json, "ifindex", nla_get_u32(tb[KESP_DEV_A_IFINDEX]));
		if (tb[KESP_DEV_A_MTU])
			json_uint(&p->json, "mtu", nla_get_u32(tb[KESP_DEV_A_MTU]));
		if (tb[KESP_DEV_A_UNDERLAY_NETNSID])
			json_int(&p->json, "underlay_netnsid",
				 (int32_t)nla_get_u32(tb[KESP_DEV_A_UNDERLAY_NETNSID]));
		if (tb[KESP_DEV_A_FWMARK])
			json_uint(&p->json, "fwmark", nla_get_u32(tb[KESP_DEV_A_FWMARK]));
		if (tb[KESP_DEV_A_ENCAP_PORT4])
			json_uint(&p->json, "encap_port4",
				  nla_get_u16(tb[KESP_DEV_A_ENCAP_PORT4]));
		if (tb[KESP_DEV_A_ENCAP_PORT6])
			json_uint(&p->json, "encap_port6",
				  nla_get_u16(tb[KESP_DEV_A_ENCAP_PORT6]));
		if (tb[KESP_DEV_A_COUNTERS]) {
			json_object_begin(&p->json, "counters");
			for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
				if (ctb[counters[i].attr])
					json_uint(&p->json, counters[i].json,
						  nla_get_u64(ctb[counters[i].attr]));
			json_object_end(&p->json);
		}
		json_object_end(&p->json);
		return 0;
	}
	printf("%s: ifindex %u", name, nla_get_u32(tb[KESP_DEV_A_IFINDEX]));
	if (tb[KESP_DEV_A_MTU])
		printf(" mtu %u", nla_get_u32(tb[KESP_DEV_A_MTU]));
	if (tb[KESP_DEV_A_UNDERLAY_NETNSID])
		printf(" underlay netnsid %d",
		       (int32_t)nla_get_u32(tb[KESP_DEV_A_UNDERLAY_NETNSID]));
	if (tb[KESP_DEV_A_FWMARK] && nla_get_u32(tb[KESP_DEV_A_FWMARK]))
		printf(" fwmark %#x", nla_get_u32(tb[KESP_DEV_A_FWMARK]));
	if (tb[KESP_DEV_A_ENCAP_PORT4])
		printf(" encap udp %u", nla_get_u16(tb[KESP_DEV_A_ENCAP_PORT4]));
	if (tb[KESP_DEV_A_ENCAP_PORT6])
		printf(" encap udp6 %u", nla_get_u16(tb[KESP_DEV_A_ENCAP_PORT6]));
	printf("\n");
	if (tb[KESP_DEV_A_COUNTERS]) {
		printf("\tstats");
		for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
			if (ctb[counters[i].attr])
				printf(" %s %llu", counters[i].human,
				       (unsigned long long)nla_get_u64(ctb[counters[i].attr]));
		printf("\n");
	}
	return 0;
}

/*
 * kespctl dev [list] | kespctl dev show DEV | kespctl dev set DEV fwmark N
 */
static int cmd_dev(struct ctl *c, int argc, char **argv)
{
	struct dev_print p = { .as_json = c->json };
	int cmd = KESP_CMD_DEV_GET;
	bool dump, set_mark = false;
	const char *name = NULL;
	struct kesp_nl *nl;
	struct nl_msg *req;
	uint32_t mark = 0;
	int ret;

	if (argc == 0 || !strcmp(argv[0], "list") || !strcmp(argv[0], "ls")) {
		if (argc > 1)
			return ctl_usage("dev list", "unexpected argument \"%s\"", argv[1]);
		dump = true;
	} else if (!strcmp(argv[0], "show")) {
		if (argc != 2)
			return ctl_usage("dev show", "takes one device name");
		name = argv[1];
		if (strlen(name) >= IFNAMSIZ)
			return ctl_usage("dev show", "device name \"%s\" is too long", name);
		dump = false;
	} else if (!strcmp(argv[0], "set")) {
		if (argc < 2)
			return ctl_usage("dev set", "needs a device name");
		name = argv[1];
		if (strlen(name) >= IFNAMSIZ)
			return ctl_usage("dev set", "device name \"%s\" is too long", name);
		for (int i = 2; i < argc; i += 2) {
			if (strcmp(argv[i], "fwmark"))
				return ctl_usage("dev set", "unexpected \"%s\"", argv[i]);
			if (i + 1 == argc)
				return ctl_usage("dev set", "\"%s\" needs a value", argv[i]);
			if (parse_u32(argv[i + 1], UINT32_MAX, &mark) < 0)
				return ctl_usage("dev set", "bad fwmark \"%s\"", argv[i + 1]);
			set_mark = true;
		}
		if (!set_mark)
			return ctl_usage("dev set", "nothing to set (fwmark MARK)");
		cmd = KESP_CMD_DEV_SET;
		dump = false;
	} else {
		return ctl_usage("dev", "unknown dev verb \"%s\"", argv[0]);
	}

	nl = ctl_nl(c);
	if (!nl)
		return EXIT_KERNEL;
	req = kesp_nl_request(nl, cmd, dump ? NLM_F_DUMP : 0);
	if (!req || (name && nla_put_string(req, KESP_DEV_A_IFNAME, name) < 0) ||
	    (set_mark && nla_put_u32(req, KESP_DEV_A_FWMARK, mark) < 0)) {
		kesp_nl_free_request(req);
		ctl_error("dev", "out of memory");
		return EXIT_KERNEL;
	}
	json_init(&p.json, stdout);
	if (c->json && dump)
		json_array_begin(&p.json, NULL);
	ret = kesp_nl_call(nl, req, print_dev, &p);
	if (c->json && dump)
		json_array_end(&p.json);
	if (ret < 0) {
		char what[64];

		snprintf(what, sizeof(what), name ? "dev %s" : "dev list", name);
		ret = ctl_kernel_error(nl, what, ret);
	}
	return ret;
}

/* An SA reply checked against the addresses ip xfrm users also give. */
struct checked {
	const struct sa_args *a;
	struct sa_printer *p;	/* print it when it matches (get) */
	bool matched;
	uint32_t id;
};

static int on_checked_reply(struct nl_msg *msg, void *arg)
{
	struct checked *c = arg;
	int ret = sa_reply_check(msg, c->a, &c->id);

	if (ret <= 0)
		return ret;
	c->matched = true;
	return c->p ? sa_print_reply(msg, c->p) : 0;
}

/*
 * sa del/get with addresses that are not part of SA-KEY: the SA is got
 * first and must have them. get prints it; del then deletes it by its id,
 * so what is deleted is exactly what was checked.
 */
static int run_checked(struct kesp_nl *nl, struct sa_args *a, const char *what,
		       struct sa_printer *p)
{
	struct checked c = { .a = a, .p = a->verb == SA_VERB_GET ? p : NULL };
	enum sa_verb verb = a->verb;
	struct nl_msg *req;
	char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "";
	int ret;

	a->verb = SA_VERB_GET;
	req = sa_build_request(nl, a);
	a->verb = verb;
	if (!req) {
		ctl_error(what, "out of memory");
		return EXIT_KERNEL;
	}
	if (c.p)
		sa_print_begin(p);
	ret = kesp_nl_call(nl, req, on_checked_reply, &c);
	if (c.p)
		sa_print_end(p);
	if (ret < 0)
		return ctl_kernel_error(nl, what, ret);
	if (!c.matched) {
		if (a->has_src)
			inet_ntop(a->src.family, a->src.a, src, sizeof(src));
		if (a->has_dst)
			inet_ntop(a->dst.family, a->dst.a, dst, sizeof(dst));
		ctl_error(what, "the SA found does not have%s%s%s%s",
			  a->has_src ? " src " : "", src, a->has_dst ? " dst " : "", dst);
		return EXIT_KERNEL;
	}
	if (verb == SA_VERB_GET)
		return 0;

	a->has_id = true;
	a->id = c.id;
	a->dir = 0;
	a->has_spi = a->has_src = a->has_dst = false;
	req = sa_build_request(nl, a);
	if (!req) {
		ctl_error(what, "out of memory");
		return EXIT_KERNEL;
	}
	ret = kesp_nl_call(nl, req, NULL, NULL);
	return ret < 0 ? ctl_kernel_error(nl, what, ret) : 0;
}

/*
 * if_nametoindex(), remembered through a -batch: each call costs a socket
 * of its own, and a batch names the same device on every line.
 */
static unsigned int dev_index(const struct ctl *c, const char *name)
{
	static char last[IF_NAMESIZE];
	static unsigned int last_index;

	if (c->batch && last_index && !strcmp(name, last))
		return last_index;
	last_index = if_nametoindex(name);
	snprintf(last, sizeof(last), "%s", name);
	return last_index;
}

/*
 * One sa/spi command: parse (exit 2 naming the bad token), resolve the
 * device (exit 1 if it does not exist), send, print what came back.
 */
static int run_sa(struct ctl *c, enum sa_verb verb, const char *what, int argc,
		  char **argv)
{
	int (*on_reply)(struct nl_msg *msg, void *arg) = NULL;
	struct sa_printer p;
	struct sa_args a;
	struct kesp_nl *nl;
	struct nl_msg *req;
	bool array, queued;
	int ret;

	if (sa_parse(verb, argc, argv, &a) < 0) {
		ctl_settle(c);
		ret = ctl_usage(what, "%s", a.err);
		sa_args_wipe(&a);
		return ret;
	}
	if (a.dev[0]) {
		a.ifindex = dev_index(c, a.dev);
		if (!a.ifindex) {
			ctl_settle(c);
			ctl_error(what, "device %s does not exist", a.dev);
			sa_args_wipe(&a);
			return EXIT_KERNEL;
		}
	}
	nl = ctl_nl(c);
	if (!nl) {
		sa_args_wipe(&a);
		return EXIT_KERNEL;
	}
	/* Nothing of the SA is printed: its id is all the answer needs. */
	a.brief_reply = c->output_discarded;
	/* Queued when nothing is printed of the answer (ctl.pipeline). */
	queued = c->pipeline && !sa_needs_check(&a) &&
		 (verb == SA_VERB_DEL ||
		  ((verb == SA_VERB_ADD || verb == SA_VERB_UPDATE) && c->output_discarded));
	if (!queued)
		ctl_settle(c);
	sa_printer_init(&p, stdout, c->json);
	if (sa_needs_check(&a)) {
		ret = run_checked(nl, &a, what, &p);
		sa_args_wipe(&a);
		return ret;
	}
	req = sa_build_request(nl, &a);
	sa_args_wipe(&a);
	if (!req) {
		ctl_settle(c);
		ctl_error(what, "out of memory");
		return EXIT_KERNEL;
	}
	if (queued)
		return ctl_queue(c, req, what);

	/* add and update answer with the SA, so its id is learnt. */
	switch (verb) {
	case SA_VERB_ADD:
	case SA_VERB_UPDATE:
		if (!c->output_discarded)
			on_reply = sa_print_reply;
		break;
	case SA_VERB_GET:
	case SA_VERB_LIST:
		on_reply = sa_print_reply;
		break;
	case SA_VERB_SPI_ALLOC:
		on_reply = spi_print_reply;
		break;
	case SA_VERB_DEL:
	case SA_VERB_FLUSH:
		break;
	}
	array = on_reply == sa_print_reply;
	if (array)
		sa_print_begin(&p);
	ret = kesp_nl_call(nl, req, on_reply, &p);
	if (array)
		sa_print_end(&p);
	if (ret < 0)
		ret = ctl_kernel_error(nl, what, ret);
	return ret;
}

static const struct {
	const char *name;
	enum sa_verb verb;
} sa_verbs[] = {
	{ "add", SA_VERB_ADD },
	{ "update", SA_VERB_UPDATE },
	{ "del", SA_VERB_DEL },
	{ "delete", SA_VERB_DEL },
	{ "get", SA_VERB_GET },
	{ "list", SA_VERB_LIST },
	{ "ls", SA_VERB_LIST },
	{ "show", SA_VERB_LIST },
	{ "flush", SA_VERB_FLUSH },
};

/* kespctl sa [add|update|del|get|list|flush] ...; "sa" alone lists. */
static int cmd_sa(struct ctl *c, int argc, char **argv)
{
	char what[32];

	if (argc == 0)
		return run_sa(c, SA_VERB_LIST, "sa list", 0, argv);
	for (size_t i = 0; i < sizeof(sa_verbs) / sizeof(sa_verbs[0]); i++) {
		if (strcmp(argv[0], sa_verbs[i].name))
			continue;
		snprintf(what, sizeof(what), "sa %s", sa_verb_name(sa_verbs[i].verb));
		return run_sa(c, sa_verbs[i].verb, what, argc - 1, argv + 1);
	}
	return ctl_usage("sa", "unknown verb \"%s\"", argv[0]);
}

/* "--socket PATH" before a command's words: ikehelper's control socket. */
static const char *socket_option(int *argc, char ***argv)
{
	const char *path = ike_socket_path();

	if (*argc >= 2 && !strcmp((*argv)[0], "--socket")) {
		path = (*argv)[1];
		*argc -= 2;
		*argv += 2;
	}
	return path;
}

/* ikehelper's event stream: whole lines out of what arrived. */
struct ike_stream {
	int fd;
	char buf[8192];
	size_t len;
};

/* Reads what came; prints each event. -1 when ikehelper closed it. */
static int ike_stream_read(struct ike_stream *st, bool json)
{
	ssize_t n = read(st->fd, st->buf + st->len, sizeof(st->buf) - 1 - st->len);
	char *line, *nl;

	if (n <= 0)
		return n < 0 && errno == EINTR ? 0 : -1;
	st->len += (size_t)n;
	st->buf[st->len] = '\0';
	line = st->buf;
	while ((nl = strchr(line, '\n'))) {
		*nl = '\0';
		if (!strncmp(line, "event ", 6)) {
			struct ike_record r;

			if (!ike_record_parse(line + 6, &r))
				ike_print_event(stdout, &r, json);
			ike_record_free(&r);
		} else if (line[0] == '-') {
			ctl_error("monitor", "ikehelper: %s", line + 2);
		} else if (!strncmp(line, "| ", 2)) {
			/* "monitoring ...": subscribed, nothing is missed now. */
			fprintf(stderr, "kespctl: monitor: %s\n", line + 2);
			fflush(stderr);
		}
		line = nl + 1;
	}
	st->len -= (size_t)(line - st->buf);
	memmove(st->buf, line, st->len);
	if (st->len == sizeof(st->buf) - 1)
		st->len = 0;	/* a line this long is not a record */
	return 0;
}

/*
 * kespctl monitor [--socket PATH]: kesp.ko's SA events (expiry, acquire,
 * NAT mapping) and ikehelper's IKE events (up, down, rekeyed, failed) as
 * they happen, until interrupted. Either source may be missing (no module,
 * no daemon); with neither there is nothing to watch.
 */
static int cmd_monitor(struct ctl *c, int argc, char **argv)
{
	bool asked = argc >= 1 && !strcmp(argv[0], "--socket");
	const char *path = socket_option(&argc, &argv);
	struct ike_stream st = { .fd = -1 };
	struct sa_printer p;
	struct kesp_nl ev;
	bool have_nl;
	int ret = 0;

	if (argc > 0)
		return ctl_usage("monitor", "unexpected argument \"%s\"", argv[0]);
	have_nl = kesp_nl_open(&ev) == 0;
	sa_printer_init(&p, stdout, c->json);
	if (have_nl) {
		ret = kesp_nl_join(&ev, KESP_MCGRP_EVENTS, sa_print_event, &p);
		if (ret) {
			ret = ctl_kernel_error(&ev, "monitor", ret);
			kesp_nl_close(&ev);
			return ret;
		}
	}
	st.fd = ike_connect(path, true);
	if (st.fd >= 0 && write(st.fd, "monitor\n", 8) != 8) {
		close(st.fd);
		st.fd = -1;
	}
	if (!have_nl && st.fd < 0) {
		ctl_error("monitor", "%s; and ikehelper is not reachable at %s", ev.error, path);
		return EXIT_KERNEL;
	}
	if (!have_nl)
		ctl_error("monitor", "%s: only ikehelper's events", ev.error);
	else if (st.fd < 0 && (asked || access(path, F_OK) == 0))
		/* Without a daemon (manual keying) kesp.ko's events are all
		 * there is, and nothing needs saying. */
		ctl_error("monitor", "ikehelper is not reachable at %s: only kesp.ko's events",
			  path);
	fflush(stderr);
	for (;;) {
		struct pollfd pf[2] = {
			{ .fd = have_nl ? kesp_nl_fd(&ev) : -1, .events = POLLIN },
			{ .fd = st.fd, .events = POLLIN },
		};

		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents && ike_stream_read(&st, c->json)) {
			ctl_error("monitor", "ikehelper closed the connection");
			close(st.fd);
			st.fd = -1;
			if (!have_nl)
				break;
		}
		if (!pf[0].revents)
			continue;
		ret = kesp_nl_receive(&ev);
		/* Say so, and keep listening. */
		if (ret == -ENOBUFS)
			ctl_error("monitor", "events were lost (receive buffer full)");
		else if (ret == -EPROTO)
			ctl_error("monitor", "an event could not be read");
		else if (ret && ret != -EINTR && ret != -EAGAIN)
			break;
		ret = 0;
	}
	if (st.fd >= 0)
		close(st.fd);
	if (!have_nl)
		return EXIT_KERNEL;
	if (!ev.error[0])
		snprintf(ev.error, sizeof(ev.error), "reading events: %s", strerror(-ret));
	ret = ctl_kernel_error(&ev, "monitor", ret ? ret : -EIO);
	kesp_nl_close(&ev);
	return ret;
}

/*
 * kespctl show [--socket PATH]: one summary, as wg show and swanctl
 * --list-sas give: kesp devices, then ikehelper's IKE SAs with their
 * CHILD SAs (SPIs, selectors, kesp.ko's counters, rekey times).
 */
static int cmd_show(struct ctl *c, int argc, char **argv)
{
	const char *path = socket_option(&argc, &argv);
	struct dev_print p = { .as_json = c->json };
	struct ike_listing l = { 0 };
	struct kesp_nl *nl;
	struct nl_msg *req;
	int ret = 0, dev_ret = -1, ike_ret;

	if (argc > 0)
		return ctl_usage("show", "unexpected argument \"%s\"", argv[0]);
	json_init(&p.json, stdout);
	ike_ret = ike_list(path, &l, true);
	if (c->json) {
		json_object_begin(&p.json, NULL);
		json_array_begin(&p.json, "devices");
	}
	nl = ctl_nl(c);
	if (nl) {
		req = kesp_nl_request(nl, KESP_CMD_DEV_GET, NLM_F_DUMP);
		dev_ret = req ? kesp_nl_call(nl, req, print_dev, &p) : -ENOMEM;
		if (dev_ret < 0)
			ret = ctl_kernel_error(nl, "show", dev_ret);
	} else {
		ret = EXIT_KERNEL;
	}
	if (c->json) {
		json_array_end(&p.json);
		json_string(&p.json, "ikehelper", ike_ret ? "unreachable" : "running");
		ike_json_sas(&p.json, &l);
		json_object_end(&p.json);
	} else {
		if (!dev_ret && !p.count)
			printf("no kesp devices\n");
		if (ike_ret)
			printf("%sikehelper: not reachable at %s\n", p.count ? "\n" : "", path);
		else if (!l.n)
			printf("%sikehelper: no IKE SAs\n", p.count ? "\n" : "");
		else
			printf("%s", p.count ? "\n" : "");
		ike_print_human(stdout, &l);
	}
	ike_listing_free(&l);
	return ret;
}

/* kespctl spi alloc dev DEV [min N] [max N] */
static int cmd_spi(struct ctl *c, int argc, char **argv)
{
	if (argc == 0)
		return ctl_usage("spi", "missing verb (alloc)");
	if (strcmp(argv[0], "alloc"))
		return ctl_usage("spi", "unknown verb \"%s\"", argv[0]);
	return run_sa(c, SA_VERB_SPI_ALLOC, "spi alloc", argc - 1, argv + 1);
}

static int cmd_help(struct ctl *c, int argc, char **argv);

static const struct {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *help;
} commands[] = {
	{ "version", cmd_version, "version              tool and kernel family versions" },
	{ "show", cmd_show,
	  "show [--socket PATH] devices, IKE SAs and CHILD SAs at a glance: peers, SPIs,\n"
	  "                       selectors, traffic, rekey times (as wg show and\n"
	  "                       swanctl --list-sas); --json for scripts" },
	{ "dev", cmd_dev, "dev [list]           kesp devices in this namespace\n"
			  "  dev show DEV         one device\n"
			  "  dev set DEV fwmark MARK   mark (and route) the device's outer\n"
			  "                       packets with MARK; 0 for none" },
	{ "sa", cmd_sa,
	  "sa add dev DEV dir in|out src ADDR dst ADDR [proto esp] spi SPI\n"
	  "      mode tunnel|transport [reqid ID] [replay-window N] [seq N]\n"
	  "      [priority N] [cpu N] [flag esn|pcpu-acquire|parallel]...\n"
	  "      { aead NAME KEY ICV-BITS | enc NAME KEY { auth NAME KEY |\n"
	  "        auth-trunc NAME KEY TRUNC-BITS } }\n"
	  "      [sel SEL]... [limit LIMIT...]... [encap espinudp SPORT DPORT [OADDR]]\n"
	  "  sa update dev DEV SA-ID [src ADDR dst ADDR] [sel SEL | sel none]...\n"
	  "      [limit LIMIT... | limit none] [encap espinudp SPORT DPORT [OADDR]]\n"
	  "  sa del|get dev DEV SA-ID [src ADDR] [dst ADDR] [proto esp]\n"
	  "      (src, and dst of an inbound SA, are checked against the SA found)\n"
	  "  sa [list] [dev DEV] [dir in|out] [reqid ID]\n"
	  "  sa flush [dev DEV] [dir in|out] [reqid ID]\n"
	  "    SA-ID := id N | dir in spi SPI | dir out spi SPI dst ADDR\n"
	  "    SEL := [src PREFIX] [dst PREFIX] [proto PROTO] [sport P[-P]] [dport P[-P]]\n"
	  "           [type T] [code C]     (type/code: icmp, ipv6-icmp; no src or dst: any)\n"
	  "    LIMIT := { time-soft | time-hard } SECONDS | { byte-soft | byte-hard } N\n"
	  "           | { packet-soft | packet-hard } N\n"
	  "    aead: rfc4106(gcm(aes)), rfc7539esp(chacha20,poly1305) (key + 4-byte salt)\n"
	  "    enc: cbc(aes) (aes), ecb(cipher_null) (cipher_null, key \"\")\n"
	  "    auth: hmac(sha1|sha256|sha384|sha512) (sha1, sha256, ...); as in ip xfrm,\n"
	  "      \"auth NAME KEY\" truncates sha1 and sha256 to 96 bits, sha384 to 192,\n"
	  "      sha512 to 256; kesp takes sha256 only at RFC 4868's 128 bits:\n"
	  "      auth-trunc hmac(sha256) KEY 128 (the same line works with ip xfrm)" },
	{ "trap", cmd_trap,
	  "trap add dev DEV sel SEL [reqid N] [priority N]\n"
	  "                       a selector with no SA: its packets are dropped\n"
	  "                       and raise ACQUIRE events (once a second)\n"
	  "  trap del dev DEV id N | trap flush dev DEV\n"
	  "  trap get dev DEV id N | trap [list] [dev DEV]" },
	{ "encap", cmd_encap,
	  "encap listen dev DEV [addr ADDR] [port PORT]\n"
	  "                       bind a UDP socket (0.0.0.0 port 4500) for ESP in\n"
	  "                       UDP and attach it to DEV; stays in the foreground,\n"
	  "                       printing the datagrams that are not ESP (IKE)\n"
	  "  encap detach dev DEV [family inet|inet6]" },
	{ "monitor", cmd_monitor,
	  "monitor [--socket PATH]   events as they happen: kesp.ko's (expiry, acquire,\n"
	  "                       NAT mapping) and ikehelper's (IKE and CHILD SA up,\n"
	  "                       down and why, rekeyed, negotiation failed and why)" },
	{ "spi", cmd_spi, "spi alloc dev DEV [min SPI] [max SPI]   reserve an inbound SPI" },
	{ "ike", cmd_ike,
	  "ike up CONN | ike up --child CHILD   start an IKE SA (waits until it is up or failed)\n"
	  "  ike up --no-child CONN   its IKE SA alone, childless (RFC 6023; the peer must offer it)\n"
	  "  ike down CONN        delete its SAs\n"
	  "  ike rekey --child CHILD   rekey its CHILD_SAs now (does not wait)\n"
	  "  ike rekey CONN       rekey its IKE SA now (does not wait)\n"
	  "  ike resume CONN      give its IKE SA up and resume it with its ticket\n"
	  "                       (RFC 5723; without one a full exchange; waits)\n"
	  "  ike redirect CONN|ID GATEWAY  send the clients of its established IKE SAs\n"
	  "                       (or of IKE SA number ID) to GATEWAY (RFC 5685)\n"
	  "  ike list             IKE and CHILD SAs with SPIs, selectors, counters\n"
	  "                       (kespctl show adds the devices)\n"
	  "  ike reload           re-read ikehelper's config; unchanged connections keep\n"
	  "                       their SAs  (ike --socket PATH ..., or $KESP_IKEHELPER_SOCKET)" },
	{ "help", cmd_help, "help                 this text" },
};

static void print_usage(FILE *f)
{
	fprintf(f, "usage: kespctl [-n NETNS] [--json] [--version] COMMAND [ARGS]\n"
		   "         --json: every command that lists or reports answers in JSON\n"
		   "          (monitor: one document per event, per line)\n"
		   "       kespctl [-n NETNS] [--json] [-force] -batch FILE|-\n"
		   "         (one command per line, # comments, \"quotes\";\n"
		   "          stops at the first that fails unless -force)\n"
		   "         -n NETNS: in network namespace NETNS, as ip -n\n"
		   "          (a name in /run/netns, or a path such as /proc/PID/ns/net)\n"
		   "\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].help);
}

/* batch_run()'s SETTLE. */
static int settle(void *ctl)
{
	return ctl_settle(ctl);
}

static int cmd_help(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	print_usage(stdout);
	return 0;
}

/*
 * ARGV[0] is the command, CTL the run, WHERE the -batch line (or NULL);
 * returns its exit status.
 */
static int run_command(void *ctl, const char *where, int argc, char **argv)
{
	struct ctl *c = ctl;

	c->where = where;
	/* Lines that may be queued settle what is queued themselves. */
	if (c->pipeline && !(argc >= 2 && !strcmp(argv[0], "sa") &&
			     (!strcmp(argv[1], "add") || !strcmp(argv[1], "update") ||
			      !strcmp(argv[1], "del") || !strcmp(argv[1], "delete"))))
		ctl_settle(c);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].run(ctl, argc - 1, argv + 1);
	return ctl_usage(NULL, "unknown command \"%s\"", argv[0]);
}

int main(int argc, char **argv)
{
	/* Single dash too, as ip writes -batch and -force. */
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "batch", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },
		{ "netns", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl = { .output_discarded = ctl_stdout_discarded() };
	const char *batch = NULL;
	bool force = false;
	int c, ret;

	/*
	 * "+": options end at the command, so its arguments are its own.
	 * ":" and opterr 0: a bad option gets one line naming it, as a bad
	 * word of a command does, not getopt's line and the whole usage.
	 */
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+:jVhn:", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctl.json = true;
			break;
		case 'V':
			printf("kespctl %s\n", KESP_VERSION);
			return 0;
		case 'h':
			print_usage(stdout);
			return 0;
		case 'b':
			batch = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'n':
			ret = ctl_enter_netns(optarg);
			if (ret)
				return ret;
			break;
		case ':':
			return ctl_usage(NULL, "%s needs an argument", argv[optind - 1]);
		default:
			return ctl_usage(NULL, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (batch) {
		if (optind < argc)
			return ctl_usage(NULL, "-batch takes no command, not \"%s\"",
					 argv[optind]);
		ctl.batch = true;
		ctl.pipeline = force;
		ret = batch_run(batch, force, run_command, settle, &ctl);
		ctl_end(&ctl);
		return ret;
	}
	if (force)
		return ctl_usage(NULL, "-force is for -batch");
	if (optind >= argc) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	ret = run_command(&ctl, NULL, argc - optind, argv + optind);
	ctl_end(&ctl);
	return ret;
}
