// SPDX-License-Identifier: GPL-2.0
/*
 * kespctl trap: selectors without an SA, whose packets ask the key manager
 * for one (ACQUIRE events).
 *
 *   trap add dev DEV sel SEL [reqid N] [priority N]
 *   trap del dev DEV id N | trap flush dev DEV
 *   trap get dev DEV id N | trap [list] [dev DEV]
 */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kesp.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "parse.h"
#include "sa.h"
#include "trap.h"

enum trap_verb { TRAP_ADD, TRAP_DEL, TRAP_FLUSH, TRAP_GET, TRAP_LIST };

struct trap_args {
	enum trap_verb verb;
	char dev[IFNAMSIZ];
	bool has_id, has_reqid, has_priority;
	uint32_t id, reqid, priority;
	struct sa_args sel;	/* only its selectors are used */
};

static const char *const verb_names[] = {
	[TRAP_ADD] = "trap add", [TRAP_DEL] = "trap del", [TRAP_FLUSH] = "trap flush",
	[TRAP_GET] = "trap get", [TRAP_LIST] = "trap list",
};

static int parse_verb(const char *word, enum trap_verb *verb)
{
	static const struct { const char *name; enum trap_verb verb; } verbs[] = {
		{ "add", TRAP_ADD }, { "del", TRAP_DEL }, { "delete", TRAP_DEL },
		{ "flush", TRAP_FLUSH }, { "get", TRAP_GET }, { "list", TRAP_LIST },
		{ "ls", TRAP_LIST }, { "show", TRAP_LIST },
	};

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(word, verbs[i].name)) {
			*verb = verbs[i].verb;
			return 0;
		}
	return -1;
}

/* Returns 0, or an exit status after printing why. */
static int parse(int argc, char **argv, struct trap_args *t)
{
	const char *what;
	int i = 1;

	memset(t, 0, sizeof(*t));
	t->verb = TRAP_LIST;
	if (argc > 0 && parse_verb(argv[0], &t->verb) < 0) {
		if (strcmp(argv[0], "dev"))
			return ctl_usage("trap", "unknown verb \"%s\"", argv[0]);
		i = 0;	/* "trap dev X" lists */
	}
	what = verb_names[t->verb];
	while (i < argc) {
		const char *kw = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(kw, "sel") && t->verb == TRAP_ADD) {
			int n;

			if (t->sel.nsel)
				return ctl_usage(what, "\"%s\" given twice: one selector per trap", kw);
			n = sa_parse_sel(&t->sel, argc - i - 1, argv + i + 1);
			if (n < 0)
				return ctl_usage(what, "%s", t->sel.err);
			/* No SA to take the address family from. */
			if (!t->sel.sel[0].family)
				return ctl_usage(what, "sel needs src or dst for its address family (0.0.0.0/0 or ::/0 for any)");
			i += 1 + n;
			continue;
		}
		if (!val)
			return ctl_usage(what, "\"%s\" needs a value", kw);
		if (!strcmp(kw, "dev")) {
			if (strlen(val) >= IFNAMSIZ)
				return ctl_usage(what, "device name \"%s\" is too long", val);
			strcpy(t->dev, val);
		} else if (!strcmp(kw, "id") &&
			   (t->verb == TRAP_DEL || t->verb == TRAP_GET)) {
			if (parse_u32(val, UINT32_MAX, &t->id) < 0 || !t->id)
				return ctl_usage(what, "bad id \"%s\"", val);
			t->has_id = true;
		} else if (!strcmp(kw, "reqid") && t->verb == TRAP_ADD) {
			if (parse_u32(val, UINT32_MAX, &t->reqid) < 0)
				return ctl_usage(what, "bad reqid \"%s\"", val);
			t->has_reqid = true;
		} else if (!strcmp(kw, "priority") && t->verb == TRAP_ADD) {
			if (parse_u32(val, UINT32_MAX, &t->priority) < 0)
				return ctl_usage(what, "bad priority \"%s\"", val);
			t->has_priority = true;
		} else {
			return ctl_usage(what, "unexpected \"%s\"", kw);
		}
		i += 2;
	}
	if (t->verb != TRAP_LIST && !t->dev[0])
		return ctl_usage("trap", "%s needs dev DEV", what + strlen("trap "));
	if (t->verb == TRAP_ADD && !t->sel.nsel)
		return ctl_usage("trap", "add needs sel SEL");
	if ((t->verb == TRAP_DEL || t->verb == TRAP_GET) && !t->has_id)
		return ctl_usage("trap", "%s needs id N (trap flush deletes them all)",
				 what + strlen("trap "));
	return 0;
}

static struct nl_msg *build(struct kesp_nl *nl, const struct trap_args *t,
			    uint32_t ifindex)
{
	static const uint8_t cmds[] = {
		[TRAP_ADD] = KESP_CMD_TRAP_ADD, [TRAP_DEL] = KESP_CMD_TRAP_DEL,
		[TRAP_FLUSH] = KESP_CMD_TRAP_DEL, [TRAP_GET] = KESP_CMD_TRAP_GET,
		[TRAP_LIST] = KESP_CMD_TRAP_GET,
	};
	struct nl_msg *msg;

	msg = kesp_nl_request(nl, cmds[t->verb],
			      t->verb == TRAP_LIST ? NLM_F_DUMP : 0);
	if (!msg)
		return NULL;
	if ((ifindex && nla_put_u32(msg, KESP_TRAP_A_IFINDEX, ifindex) < 0) ||
	    (t->has_id && nla_put_u32(msg, KESP_TRAP_A_ID, t->id) < 0) ||
	    (t->has_reqid && nla_put_u32(msg, KESP_TRAP_A_REQID, t->reqid) < 0) ||
	    (t->has_priority &&
	     nla_put_u32(msg, KESP_TRAP_A_PRIORITY, t->priority) < 0) ||
	    (t->sel.nsel &&
	     sa_put_sel(msg, KESP_TRAP_A_SELECTOR, &t->sel.sel[0]) < 0)) {
		kesp_nl_free_request(msg);
		return NULL;
	}
	return msg;
}

static struct nla_policy trap_policy[KESP_TRAP_A_MAX + 1] = {
	[KESP_TRAP_A_IFINDEX] = { .type = NLA_U32 },
	[KESP_TRAP_A_ID] = { .type = NLA_U32 },
	[KESP_TRAP_A_REQID] = { .type = NLA_U32 },
	[KESP_TRAP_A_PRIORITY] = { .type = NLA_U32 },
	[KESP_TRAP_A_SELECTOR] = { .type = NLA_NESTED },
	[KESP_TRAP_A_HITS] = { .type = NLA_U64 },
	[KESP_TRAP_A_ACQUIRES] = { .type = NLA_U64 },
	[KESP_TRAP_A_PACKET] = { .type = NLA_NESTED },
	[KESP_TRAP_A_CPU] = { .type = NLA_U32 },
	[KESP_TRAP_A_SA_ID] = { .type = NLA_U32 },
};

/* The device part of a trap or acquire message: "dev NAME" or the ifindex. */
static void print_dev(struct sa_printer *p, uint32_t ifindex)
{
	char buf[IFNAMSIZ];
	const char *name = p->ifname ? p->ifname(ifindex, buf) : NULL;

	if (p->json) {
		json_uint(&p->j, "ifindex", ifindex);
		if (name)
			json_string(&p->j, "dev", name);
	} else if (name) {
		fprintf(p->out, " dev %s", name);
	} else {
		fprintf(p->out, " ifindex %u", ifindex);
	}
}

int trap_print_reply(struct nl_msg *msg, void *arg)
{
	struct sa_printer *p = arg;
	struct nlattr *tb[KESP_TRAP_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KESP_TRAP_A_MAX, trap_policy) < 0 ||
	    !tb[KESP_TRAP_A_IFINDEX] || !tb[KESP_TRAP_A_ID] || !tb[KESP_TRAP_A_SELECTOR])
		return -1;
	if (p->json) {
		json_object_begin(&p->j, NULL);
		json_uint(&p->j, "id", nla_get_u32(tb[KESP_TRAP_A_ID]));
	} else {
		fprintf(p->out, "trap %u", nla_get_u32(tb[KESP_TRAP_A_ID]));
	}
	print_dev(p, nla_get_u32(tb[KESP_TRAP_A_IFINDEX]));
	if (p->json) {
		json_uint(&p->j, "reqid", tb[KESP_TRAP_A_REQID] ?
			  nla_get_u32(tb[KESP_TRAP_A_REQID]) : 0);
		if (tb[KESP_TRAP_A_PRIORITY])
			json_uint(&p->j, "priority", nla_get_u32(tb[KESP_TRAP_A_PRIORITY]));
		json_uint(&p->j, "hits", tb[KESP_TRAP_A_HITS] ?
			  nla_get_u64(tb[KESP_TRAP_A_HITS]) : 0);
		json_uint(&p->j, "acquires", tb[KESP_TRAP_A_ACQUIRES] ?
			  nla_get_u64(tb[KESP_TRAP_A_ACQUIRES]) : 0);
	} else {
		fprintf(p->out, " reqid %u", tb[KESP_TRAP_A_REQID] ?
			nla_get_u32(tb[KESP_TRAP_A_REQID]) : 0);
		if (tb[KESP_TRAP_A_PRIORITY])
			fprintf(p->out, " priority %u", nla_get_u32(tb[KESP_TRAP_A_PRIORITY]));
		fprintf(p->out, " hits %llu acquires %llu\n",
			tb[KESP_TRAP_A_HITS] ?
			(unsigned long long)nla_get_u64(tb[KESP_TRAP_A_HITS]) : 0ULL,
			tb[KESP_TRAP_A_ACQUIRES] ?
			(unsigned long long)nla_get_u64(tb[KESP_TRAP_A_ACQUIRES]) : 0ULL);
	}
	if (sa_print_sel(p, "selector", tb[KESP_TRAP_A_SELECTOR]) < 0)
		return -1;
	if (p->json)
		json_object_end(&p->j);
	return 0;
}

/*
 * A trap's ACQUIRE names the trap; a per-CPU one (RFC 9611) names the
 * fallback SA that carried the packet and the CPU that has no SA of its
 * own. Returns -1 for an event that is neither.
 */
static int print_acquirer(struct sa_printer *p, struct nlattr **tb)
{
	bool pcpu = tb[KESP_TRAP_A_SA_ID];

	if (pcpu ? !tb[KESP_TRAP_A_CPU] : !tb[KESP_TRAP_A_ID])
		return -1;
	if (p->json) {
		json_object_begin(&p->j, NULL);
		json_string(&p->j, "event", "acquire");
		if (pcpu) {
			json_uint(&p->j, "sa", nla_get_u32(tb[KESP_TRAP_A_SA_ID]));
			json_uint(&p->j, "cpu", nla_get_u32(tb[KESP_TRAP_A_CPU]));
		} else {
			json_uint(&p->j, "trap", nla_get_u32(tb[KESP_TRAP_A_ID]));
		}
	} else if (pcpu) {
		fprintf(p->out, "acquire sa %u cpu %u", nla_get_u32(tb[KESP_TRAP_A_SA_ID]),
			nla_get_u32(tb[KESP_TRAP_A_CPU]));
	} else {
		fprintf(p->out, "acquire trap %u", nla_get_u32(tb[KESP_TRAP_A_ID]));
	}
	return 0;
}

int trap_print_acquire(struct nl_msg *msg, struct sa_printer *p)
{
	struct nlattr *tb[KESP_TRAP_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KESP_TRAP_A_MAX, trap_policy) < 0 ||
	    !tb[KESP_TRAP_A_IFINDEX] || !tb[KESP_TRAP_A_PACKET] ||
	    print_acquirer(p, tb) < 0)
		return -1;
	print_dev(p, nla_get_u32(tb[KESP_TRAP_A_IFINDEX]));
	if (p->json)
		json_uint(&p->j, "reqid", tb[KESP_TRAP_A_REQID] ?
			  nla_get_u32(tb[KESP_TRAP_A_REQID]) : 0);
	else
		fprintf(p->out, " reqid %u\n", tb[KESP_TRAP_A_REQID] ?
			nla_get_u32(tb[KESP_TRAP_A_REQID]) : 0);
	if (sa_print_sel(p, "packet", tb[KESP_TRAP_A_PACKET]) < 0)
		return -1;
	if (p->json)
		json_object_end(&p->j);
	return 0;
}

int cmd_trap(struct ctl *c, int argc, char **argv)
{
	struct trap_args t;
	struct sa_printer p;
	struct kesp_nl *nl;
	struct nl_msg *req;
	uint32_t ifindex = 0;
	bool prints;
	int ret;

	ret = parse(argc, argv, &t);
	if (ret)
		return ret;
	if (t.dev[0] && !(ifindex = if_nametoindex(t.dev))) {
		ctl_error(verb_names[t.verb], "device %s does not exist", t.dev);
		return EXIT_KERNEL;
	}
	nl = ctl_nl(c);
	if (!nl)
		return EXIT_KERNEL;
	req = build(nl, &t, ifindex);
	if (!req) {
		ctl_error(verb_names[t.verb], "out of memory");
		return EXIT_KERNEL;
	}
	sa_printer_init(&p, stdout, c->json);
	prints = t.verb == TRAP_ADD || t.verb == TRAP_GET || t.verb == TRAP_LIST;
	if (prints)
		sa_print_begin(&p);
	ret = kesp_nl_call(nl, req, prints ? trap_print_reply : NULL, &p);
	if (prints)
		sa_print_end(&p);
	if (ret < 0)
		ret = ctl_kernel_error(nl, verb_names[t.verb], ret);
	return ret;
}
