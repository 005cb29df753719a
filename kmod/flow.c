// SPDX-License-Identifier: GPL-2.0
/*
 * What a packet offers to traffic selectors: family, addresses, protocol
 * and ports (ICMP type and code for ICMP). Protocols without ports carry
 * none, so they match only selectors that allow any port (RFC 4301
 * 4.4.1.1, OPAQUE). Fragments are put back together first: selectors
 * see whole datagrams, and ESP protects them whole.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ipv6_frag.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>

#include "flow.h"

static void read_ports(struct sk_buff *skb, unsigned int off,
		       struct kesp_flow *flow)
{
	u8 buf[4];

	switch (flow->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (skb_copy_bits(skb, off, buf, 4))
			return;
		flow->sport = get_unaligned_be16(buf);
		flow->dport = get_unaligned_be16(buf + 2);
		flow->has_ports = true;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (skb_copy_bits(skb, off, buf, 2))
			return;
		flow->sport = buf[0];	/* type */
		flow->dport = buf[1];	/* code */
		flow->has_ports = true;
		break;
	}
}

/* Fills FLOW from the IP packet at skb's network header; false if malformed. */
bool kesp_flow_from_skb(struct sk_buff *skb, struct kesp_flow *flow)
{
	unsigned int nh = skb_network_offset(skb);

	memset(flow, 0, sizeof(*flow));
	if (skb->protocol == htons(ETH_P_IP)) {
		const struct iphdr *iph;

		if (!pskb_may_pull(skb, nh + sizeof(*iph)))
			return false;
		iph = ip_hdr(skb);
		if (iph->version != 4 || iph->ihl < 5)
			return false;
		flow->family = AF_INET;
		flow->proto = iph->protocol;
		memcpy(flow->src, &iph->saddr, 4);
		memcpy(flow->dst, &iph->daddr, 4);
		if (!(iph->frag_off & htons(IP_OFFSET)))
			read_ports(skb, nh + iph->ihl * 4, flow);
		return true;
	}
	if (skb->protocol == htons(ETH_P_IPV6)) {
		const struct ipv6hdr *ip6h;
		__be16 frag_off = 0;
		u8 nexthdr;
		int off;

		if (!pskb_may_pull(skb, nh + sizeof(*ip6h)))
			return false;
		ip6h = ipv6_hdr(skb);
		if (ip6h->version != 6)
			return false;
		flow->family = AF_INET6;
		memcpy(flow->src, &ip6h->saddr, 16);
		memcpy(flow->dst, &ip6h->daddr, 16);
		nexthdr = ip6h->nexthdr;
		off = ipv6_skip_exthdr(skb, nh + sizeof(*ip6h), &nexthdr,
				       &frag_off);
		if (off < 0)
			return false;
		flow->proto = nexthdr;
		if (!(frag_off & htons(IP6_OFFSET)))
			read_ports(skb, off, flow);
		return true;
	}
	return false;
}

/* Whether the IP packet at skb's network header is a fragment; pulls it. */
static bool is_fragment(struct sk_buff *skb)
{
	unsigned int nh = skb_network_offset(skb);
	__be16 frag_off = 0;
	u8 nexthdr;

	if (skb->protocol == htons(ETH_P_IP))
		return pskb_may_pull(skb, nh + sizeof(struct iphdr)) &&
		       ip_is_fragment(ip_hdr(skb));
	if (skb->protocol != htons(ETH_P_IPV6) ||
	    !pskb_may_pull(skb, nh + sizeof(struct ipv6hdr)))
		return false;
	nexthdr = ipv6_hdr(skb)->nexthdr;
	return ipv6_skip_exthdr(skb, nh + sizeof(struct ipv6hdr), &nexthdr,
				&frag_off) >= 0 &&
	       (frag_off & htons(IP6_OFFSET | IP6_MF));
}

/**
 * kesp_flow_whole_datagram - reassembles a fragment routed into a device
 * @skb: a packet routed into the device, network header set
 * @reassembled: set when the result was put together from fragments
 *
 * The local stack fragments a datagram bigger than the device's MTU
 * before the device sees it, and a router forwards fragments as they
 * came. One at a time, non-first fragments would miss every selector
 * with ports and an IPv6 transport-mode SA would carry fragment headers
 * inside ESP (RFC 4303 3.1.1 applies ESP to whole datagrams). So the
 * fragments are queued until the datagram is whole, as XFRM encrypts
 * before it fragments; the ESP packet is fragmented on the way out.
 * Our own queues: IPv4's under a local-delivery key that no inbound
 * datagram shares (its destination is not ours), IPv6's in netfilter's
 * reassembly under a key netfilter never uses.
 *
 * Return: the packet, or NULL once it is queued or dropped.
 */
struct sk_buff *kesp_flow_whole_datagram(struct sk_buff *skb,
					 bool *reassembled)
{
	struct net *net = dev_net(skb->dev);
	int ret;

	*reassembled = false;
	if (!is_fragment(skb))
		return skb;
	/* The stack sends every fragment but the last unowned. Queued
	 * while still charged to its socket, the last one would make
	 * reassembly charge the socket for every fragment's truesize
	 * (inet_frag_reasm_finish) while a coalesced datagram returns less
	 * when freed: sk_wmem_alloc would never reach zero and the closed
	 * socket would never be freed (kmemleak, test 55).
	 */
	skb_orphan(skb);
	if (skb->protocol == htons(ETH_P_IP)) {
		memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
		if (ip_defrag(net, skb, IP_DEFRAG_LOCAL_DELIVER))
			return NULL;
	} else {
		memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
		ret = nf_ct_frag6_gather(net, skb, IP6_DEFRAG_LOCAL_DELIVER);
		if (ret == -EINPROGRESS)
			return NULL;
		/* Malformed: a fragment that reassembly refused. */
		if (ret || is_fragment(skb))
			goto drop;
	}
	/* One buffer rather than a scatterlist entry per fragment. */
	if (skb_linearize(skb))
		goto drop;
	*reassembled = true;
	return skb;

drop:
	DEV_STATS_INC(skb->dev, tx_errors);
	kfree_skb(skb);
	return NULL;
}
