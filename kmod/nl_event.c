// SPDX-License-Identifier: GPL-2.0
/*
 * The events group (KESP_MCGRP_EVENTS): SA_EXPIRE and SA_MAPPING from
 * process context under sad_lock, ACQUIRE (for a trap, or for a CPU
 * without a per-CPU SA) from the transmit path.
 */
#include <linux/kesp.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "netlink.h"
#include "sad.h"
#include "trap.h"

/*
 * An event CMD about SA, with EXTRA bytes for the event's own attributes:
 * sized as SA_GET's reply (an SA with many selectors is more than a
 * page), its SA attributes already in. NULL without memory.
 */
static struct sk_buff *sa_event_new(struct kesp_sa *sa, u8 cmd, size_t extra,
				    void **hdr)
{
	struct sk_buff *msg;

	msg = genlmsg_new(kesp_nl_sa_size(sa) + extra, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &kesp_nl_family, 0, cmd);
	if (*hdr && !kesp_nl_put_sa(msg, sa))
		return msg;
	/* Sized for it: not fitting is a bug of ours. */
	WARN_ON_ONCE(1);
	nlmsg_free(msg);
	return NULL;
}

/* Sends an event of SA's to the group in the namespace its device is in. */
static void sa_event_send(struct kesp_sa *sa, struct sk_buff *msg, void *hdr,
			  int err)
{
	if (WARN_ON_ONCE(err)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&kesp_nl_family, dev_net(sa->kd->dev), msg, 0,
				0, GFP_KERNEL);
}

/* KESP_CMD_SA_EXPIRE. Under sad_lock, from process context. */
void kesp_nl_notify_expire(struct kesp_sa *sa, bool hard, u8 reason)
{
	struct sk_buff *msg;
	void *hdr;

	msg = sa_event_new(sa, KESP_CMD_SA_EXPIRE,
			   nla_total_size(0) + nla_total_size(sizeof(u8)), &hdr);
	if (msg)
		sa_event_send(sa, msg, hdr,
			      (hard && nla_put_flag(msg, KESP_SA_A_EXPIRE_HARD)) ||
			      nla_put_u8(msg, KESP_SA_A_EXPIRE_REASON, reason));
}

/*
 * KESP_CMD_SA_MAPPING: an authenticated packet of SA came from FAMILY ADDR
 * PORT. Under sad_lock, from process context.
 */
void kesp_nl_notify_mapping(struct kesp_sa *sa, u8 family,
			    const union kesp_addr *addr, __be16 port)
{
	struct sk_buff *msg;
	void *hdr;

	msg = sa_event_new(sa, KESP_CMD_SA_MAPPING,
			   nla_total_size(sizeof(addr->ip6)) +
			   nla_total_size(sizeof(u16)), &hdr);
	if (msg)
		sa_event_send(sa, msg, hdr,
			      kesp_nl_put_addr(msg, KESP_SA_A_MAPPING_SRC, addr,
					       family) ||
			      nla_put_u16(msg, KESP_SA_A_MAPPING_SPORT,
					  ntohs(port)));
}

/*
 * A KESP_CMD_ACQUIRE event from the transmit path (atomic context): a
 * packet of FLOW on DEV asks for an SA of REQID. The packet's values go
 * out as single-value ranges. NULL without memory; acquire_send() adds
 * what asked (a trap, or a fallback SA and the sending CPU).
 */
static struct sk_buff *acquire_new(struct net_device *dev, u32 reqid,
				   const struct kesp_flow *flow, void **hdr)
{
	struct kesp_sel pkt = {
		.family = flow->family,
		.proto = flow->proto,
		.sport_start = flow->has_ports ? flow->sport : 0,
		.sport_end = flow->has_ports ? flow->sport : U16_MAX,
		.dport_start = flow->has_ports ? flow->dport : 0,
		.dport_end = flow->has_ports ? flow->dport : U16_MAX,
	};
	struct sk_buff *msg;

	memcpy(pkt.src_start, flow->src, sizeof(pkt.src_start));
	memcpy(pkt.src_end, flow->src, sizeof(pkt.src_end));
	memcpy(pkt.dst_start, flow->dst, sizeof(pkt.dst_start));
	memcpy(pkt.dst_end, flow->dst, sizeof(pkt.dst_end));
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &kesp_nl_family, 0, KESP_CMD_ACQUIRE);
	if (!*hdr || nla_put_u32(msg, KESP_TRAP_A_IFINDEX, dev->ifindex) ||
	    nla_put_u32(msg, KESP_TRAP_A_REQID, reqid) ||
	    kesp_nl_put_one_selector(msg, KESP_TRAP_A_PACKET, &pkt)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Sends an ACQUIRE of acquire_new() unless ERR: its last attribute failed. */
static void acquire_send(struct net_device *dev, struct sk_buff *msg,
			 void *hdr, int err)
{
	if (err) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&kesp_nl_family, dev_net(dev), msg, 0, 0,
				GFP_ATOMIC);
}

/* KESP_CMD_ACQUIRE for a packet that hit TRAP, from the transmit path. */
void kesp_nl_notify_acquire(const struct kesp_trap *trap,
			    const struct kesp_flow *flow)
{
	struct net_device *dev = trap->kd->dev;
	struct sk_buff *msg;
	void *hdr;

	msg = acquire_new(dev, trap->reqid, flow, &hdr);
	if (msg)
		acquire_send(dev, msg, hdr,
			     nla_put_u32(msg, KESP_TRAP_A_ID, trap->id));
}

/*
 * KESP_CMD_ACQUIRE for a packet of FLOW that SA, a fallback SA (RFC 9611),
 * carried for a CPU without a per-CPU SA, from the transmit path. It names
 * the SA and the CPU, and no trap.
 */
void kesp_nl_notify_pcpu_acquire(const struct kesp_sa *sa,
				 const struct kesp_flow *flow)
{
	struct net_device *dev = sa->kd->dev;
	struct sk_buff *msg;
	void *hdr;

	msg = acquire_new(dev, sa->reqid, flow, &hdr);
	if (msg)
		acquire_send(dev, msg, hdr,
			     nla_put_u32(msg, KESP_TRAP_A_SA_ID, sa->id) ||
			     nla_put_u32(msg, KESP_TRAP_A_CPU, flow->cpu));
}
