// SPDX-License-Identifier: GPL-2.0
/*
 * rtnetlink, for what the kesp family does not do: create and bring up the
 * device, the policy rules that keep marked outer packets out of our route
 * table, the routes for remote selectors, and the host's addresses (a
 * route's preferred source). libnl's core carries the messages; each call
 * waits for its acknowledgement, with the kernel's extended ack as reason.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "rtnl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int rtnl_open(struct rtnl *r)
{
	int one = 1;

	r->error[0] = '\0';
	r->sk = nl_socket_alloc();
	if (!r->sk)
		return -ENOMEM;
	if (nl_connect(r->sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(r->sk);
		r->sk = NULL;
		snprintf(r->error, sizeof(r->error), "cannot open an rtnetlink socket");
		return -EIO;
	}
	setsockopt(nl_socket_get_fd(r->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return 0;
}

void rtnl_close(struct rtnl *r)
{
	if (r->sk)
		nl_socket_free(r->sk);
	r->sk = NULL;
}

static int nlerr_to_errno(int e)
{
	switch (-e) {
	case NLE_EXIST: return -EEXIST;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NODEV: return -ENODEV;
	case NLE_PERM: return -EPERM;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_INVAL: return -EINVAL;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_AGAIN: return -EAGAIN;
	}
	return -EIO;
}

/* Sends MSG (freed) and waits for the kernel's acknowledgement. */
static int transact(struct rtnl *r, struct nl_msg *msg, const char *what)
{
	int rc = nl_send_auto(r->sk, msg);

	nlmsg_free(msg);
	if (rc >= 0)
		rc = nl_wait_for_ack(r->sk);
	if (rc < 0) {
		snprintf(r->error, sizeof(r->error), "%s: %s", what, nl_geterror(rc));
		return nlerr_to_errno(rc);
	}
	return 0;
}

int rtnl_link_create(struct rtnl *r, const char *name, const char *kind)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK |
						NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *info;

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    !(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, kind) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nla_nest_end(msg, info);
	return transact(r, msg, "creating the device");
}

int rtnl_link_up(struct rtnl *r, uint32_t ifindex)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC, .ifi_index = (int)ifindex,
		.ifi_flags = IFF_UP, .ifi_change = IFF_UP,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(r, msg, "setting the device up");
}

int rtnl_rule_not_fwmark(struct rtnl *r, int family, uint32_t mark, uint32_t table,
			 uint32_t priority)
{
	struct fib_rule_hdr h = {
		.family = (uint8_t)family, .action = FR_ACT_TO_TBL, .flags = FIB_RULE_INVERT,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWRULE, NLM_F_REQUEST | NLM_F_ACK |
						NLM_F_CREATE | NLM_F_EXCL);
	int rc;

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &h, sizeof(h), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, FRA_FWMARK, mark) < 0 || nla_put_u32(msg, FRA_FWMASK, 0xffffffff) < 0 ||
	    nla_put_u32(msg, FRA_TABLE, table) < 0 || nla_put_u32(msg, FRA_PRIORITY, priority) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	rc = transact(r, msg, family == AF_INET ? "adding the IPv4 fwmark rule" :
			      "adding the IPv6 fwmark rule");
	return rc == -EEXIST ? 0 : rc;
}

static int route(struct rtnl *r, int type, const struct kernel_route *rt)
{
	struct rtmsg rtm = {
		.rtm_family = rt->dst.family, .rtm_dst_len = rt->bits, .rtm_table = RT_TABLE_UNSPEC,
		.rtm_protocol = RTPROT_STATIC, .rtm_scope = RT_SCOPE_LINK, .rtm_type = RTN_UNICAST,
	};
	int flags = NLM_F_REQUEST | NLM_F_ACK | (type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);
	int alen = (int)addr_len(rt->dst.family);

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, RTA_DST, alen, rt->dst.ip) < 0 ||
	    nla_put_u32(msg, RTA_OIF, rt->ifindex) < 0 || nla_put_u32(msg, RTA_TABLE, rt->table) < 0 ||
	    (rt->src.family == rt->dst.family &&
	     nla_put(msg, RTA_PREFSRC, alen, rt->src.ip) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(r, msg, type == RTM_NEWROUTE ? "adding a route" : "removing a route");
}

int rtnl_route_add(struct rtnl *r, const struct kernel_route *rt)
{
	return route(r, RTM_NEWROUTE, rt);
}

int rtnl_route_del(struct rtnl *r, const struct kernel_route *rt)
{
	return route(r, RTM_DELROUTE, rt);
}

int rtnl_addr(struct rtnl *r, bool add, uint32_t ifindex, const struct addr *a, uint8_t bits)
{
	struct ifaddrmsg ifa = {
		.ifa_family = a->family, .ifa_prefixlen = bits, .ifa_scope = RT_SCOPE_UNIVERSE,
		.ifa_index = ifindex,
		/* The route for the tunnel's selectors is ours, not the prefix's. */
		.ifa_flags = IFA_F_NODAD,
	};
	int flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct nl_msg *msg = nlmsg_alloc_simple(add ? RTM_NEWADDR : RTM_DELADDR, flags);
	int alen = (int)addr_len(a->family);

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, IFA_LOCAL, alen, a->ip) < 0 || nla_put(msg, IFA_ADDRESS, alen, a->ip) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(r, msg, add ? "adding an address" : "removing an address");
}

struct addr_walk {
	int (*fn)(const struct addr *a, void *arg);
	void *arg;
	int stop;
};

static int on_addr(struct nl_msg *msg, void *arg)
{
	struct addr_walk *w = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct ifaddrmsg *ifa = nlmsg_data(nlh);
	struct nlattr *a;
	int rem;

	if (nlh->nlmsg_type != RTM_NEWADDR || w->stop)
		return NL_OK;
	nlmsg_for_each_attr(a, nlh, sizeof(*ifa), rem) {
		struct addr x = { .family = ifa->ifa_family };

		if ((nla_type(a) != IFA_LOCAL && nla_type(a) != IFA_ADDRESS) ||
		    (size_t)nla_len(a) != addr_len(x.family))
			continue;
		memcpy(x.ip, nla_data(a), addr_len(x.family));
		if (w->fn(&x, w->arg)) {
			w->stop = 1;
			break;
		}
	}
	return NL_OK;
}

int rtnl_addr_walk(struct rtnl *r, int (*fn)(const struct addr *a, void *arg), void *arg)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
	struct addr_walk w = { fn, arg, 0 };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int rc;

	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_addr, &w);
	rc = nl_send_simple(r->sk, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa));
	if (rc >= 0)
		rc = nl_recvmsgs(r->sk, cb);
	nl_cb_put(cb);
	if (rc < 0) {
		snprintf(r->error, sizeof(r->error), "listing addresses: %s", nl_geterror(rc));
		return nlerr_to_errno(rc);
	}
	return w.stop;
}
