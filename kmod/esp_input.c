// SPDX-License-Identifier: GPL-2.0
/*
 * Inbound ESP. We sit in the kernel's ESP protocol chain ahead of esp4 and
 * esp6 and answer -EINVAL for SPIs we do not own, so XFRM keeps receiving
 * its own SAs in the same namespace. An ESP packet for one of our SAs is
 * checked against the replay window, decrypted, checked again (RFC 4303
 * 3.4.3: the window only advances once the ICV verifies), stripped, and
 * its inner packet delivered on the SA's device if it matches the SA's
 * selectors. Anything that fails is counted and dropped, never delivered.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/dsfield.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/xfrm.h>

#include "esp.h"

/*
 * Where we sit in the ESP handler chain, highest priority first:
 *   100 vti/vti6: takes all ESP between the endpoints of its tunnels, so
 *       a kesp SA between the same two addresses loses its packets there;
 *    50 kesp: takes only the SPIs it has inbound SAs for;
 *    10 xfrm_interface: takes all ESP (it is XFRM's input), so it must
 *       come after us, and may not share our priority: the second of two
 *       handlers with one priority fails to register;
 *     0 esp4/esp6.
 */
#define KESP_ESP_PRIORITY 50

/* Read in an endpoint_seq section: SA_UPDATE (MOBIKE) may move the SA. */
static bool outer_matches(struct kesp_sa *sa, struct sk_buff *skb)
{
	unsigned int seq;
	bool match;

	do {
		seq = read_seqcount_begin(&sa->endpoint_seq);
		if (skb->protocol == htons(ETH_P_IP))
			match = sa->family == AF_INET &&
				ip_hdr(skb)->daddr == sa->dst.ip4;
		else
			match = sa->family == AF_INET6 &&
				ipv6_addr_equal(&ipv6_hdr(skb)->daddr,
						&sa->dst.ip6);
	} while (read_seqcount_retry(&sa->endpoint_seq, seq));
	return match;
}

/* RFC 4303 2.4: padding bytes are 1, 2, 3, ... */
static bool padding_ok(struct sk_buff *skb, unsigned int off, u8 padlen)
{
	u8 pad[255];
	unsigned int i;

	if (skb_copy_bits(skb, off, pad, padlen))
		return false;
	for (i = 0; i < padlen; i++)
		if (pad[i] != i + 1)
			return false;
	return true;
}

/* The decrypted inner packet of a tunnel-mode SA, made ready for delivery. */
static int inner_packet(struct kesp_sa *sa, struct sk_buff *skb, u8 nexthdr,
			u8 outer_ds)
{
	bool set_ce = false;
	u8 inner_ds;

	skb_reset_network_header(skb);
	if (nexthdr == IPPROTO_IPIP) {
		if (!pskb_may_pull(skb, sizeof(struct iphdr)) ||
		    ip_hdr(skb)->version != 4 || ip_hdr(skb)->ihl < 5 ||
		    ntohs(ip_hdr(skb)->tot_len) > skb->len)
			return -EINVAL;
		if (pskb_trim(skb, ntohs(ip_hdr(skb)->tot_len)))
			return -ENOMEM;
		skb->protocol = htons(ETH_P_IP);
		inner_ds = ipv4_get_dsfield(ip_hdr(skb));
	} else if (nexthdr == IPPROTO_IPV6) {
		if (!pskb_may_pull(skb, sizeof(struct ipv6hdr)) ||
		    ipv6_hdr(skb)->version != 6 ||
		    ntohs(ipv6_hdr(skb)->payload_len) + sizeof(struct ipv6hdr) >
		    skb->len)
			return -EINVAL;
		if (pskb_trim(skb, ntohs(ipv6_hdr(skb)->payload_len) +
				   sizeof(struct ipv6hdr)))
			return -ENOMEM;
		skb->protocol = htons(ETH_P_IPV6);
		inner_ds = ipv6_get_dsfield(ipv6_hdr(skb));
	} else {
		return -EPROTONOSUPPORT;
	}
	/* RFC 6040 decapsulation: CE on a not-ECT inner packet is a drop. */
	if (__INET_ECN_decapsulate(outer_ds, inner_ds, &set_ce) == 2)
		return -EINVAL;
	if (set_ce) {
		if (skb->protocol == htons(ETH_P_IP))
			IP_ECN_set_ce(ip_hdr(skb));
		else
			IP6_ECN_set_ce(skb, ipv6_hdr(skb));
	}
	return 0;
}

/*
 * The decrypted payload of a transport-mode SA behind its own IP header
 * again, with the next header byte that said ESP now saying what the
 * payload is (RFC 4303 3.1.1). SKB's data is at the payload; the IP header
 * ends where the ESP header began.
 */
static void transport_packet(struct sk_buff *skb, struct esp_ctx *ctx,
			     u8 nexthdr)
{
	unsigned int ip_len = ctx->ip_hdr_len;

	memmove(skb->data - ip_len, skb_network_header(skb), ip_len);
	skb_push(skb, ip_len);
	skb_reset_network_header(skb);
	skb_network_header(skb)[ctx->nexthdr_off] = nexthdr;
	if (skb->protocol == htons(ETH_P_IP)) {
		ip_hdr(skb)->tot_len = htons(skb->len);
		ip_send_check(ip_hdr(skb));
	} else {
		ipv6_hdr(skb)->payload_len = htons(skb->len -
						   sizeof(struct ipv6hdr));
	}
}

/*
 * Under sa->lock: whether a packet came from another address (or, ESP in
 * UDP, port) than the SA expects. After authentication that means a NAT
 * changed its mapping (RFC 7296 2.23), or, for raw ESP in transport
 * mode, a packet the SA does not cover.
 */
static bool source_moved(const struct kesp_sa *sa, const struct esp_ctx *ctx)
{
	u8 family = ctx->outer_family;

	return family != sa->family || ctx->sport != htons(sa->encap_sport) ||
	       (family == AF_INET ? ctx->saddr.ip4 != sa->src.ip4 :
		!ipv6_addr_equal(&ctx->saddr.ip6, &sa->src.ip6));
}

static void esp_input_finish(struct sk_buff *skb, int err)
{
	struct esp_ctx *ctx = kesp_cb(skb)->ctx;
	struct kesp_sa *sa = ctx->sa;
	struct net_device *dev = sa->kd->dev;
	unsigned int hdr_len = ESP_HDR_LEN + sa->iv_len;
	u8 trailer[2], padlen, nexthdr;
	bool moved;

	if (kesp_sa_esn(sa)) {
		/* Give back what seq_hi borrowed; data at the wire header. */
		memcpy(skb->data, ctx->esn_saved, 4);
		__skb_pull(skb, 4);
	}
	if (err) {
		kesp_sa_error(sa, err == -EBADMSG ? KESP_ERR_AUTH : KESP_ERR_OTHER);
		goto drop;
	}
	if (skb_copy_bits(skb, skb->len - sa->icv_len - 2, trailer, 2))
		goto drop_other;
	padlen = trailer[0];
	nexthdr = trailer[1];
	if (hdr_len + padlen + 2 + sa->icv_len > skb->len ||
	    !padding_ok(skb, skb->len - sa->icv_len - 2 - padlen, padlen)) {
		kesp_sa_error(sa, KESP_ERR_PADDING);
		goto drop;
	}
	if (pskb_trim(skb, skb->len - sa->icv_len - 2 - padlen))
		goto drop_other;
	__skb_pull(skb, hdr_len);
	ctx->inner_len = skb->len;

	/* Source, window and lifetime in one lock: one per packet, not two. */
	spin_lock(&sa->lock);
	moved = (ctx->encap || kesp_sa_transport(sa)) && source_moved(sa, ctx);
	/*
	 * RFC 4301 5.2: transport mode protects packets between the SA's
	 * own addresses, selectors or not, so raw ESP from another source
	 * is refused, before it can move the window. ESP in UDP moves with
	 * its NAT instead: that is a mapping change, reported below.
	 */
	if (moved && !ctx->encap)
		err = -EADDRNOTAVAIL;
	else
		err = kesp_replay_advance(&sa->replay, ctx->seq);
	/* Past a hard limit: the SA is on its way out. */
	if (!err && !kesp_sa_lifetime_use(sa, ctx->inner_len))
		err = -EKEYEXPIRED;
	spin_unlock(&sa->lock);
	if (err == -EKEYEXPIRED) {
		DEV_STATS_INC(dev, rx_dropped);
		kfree_skb(skb);
		goto out;
	} else if (err == -EADDRNOTAVAIL) {
		kesp_sa_error(sa, KESP_ERR_SELECTOR);
		goto drop;
	} else if (err) {
		kesp_sa_error(sa, KESP_ERR_REPLAY);
		goto drop;
	}

	/* Tell the key manager; the SA itself is its to move. */
	if (moved && ctx->encap)
		kesp_sa_new_mapping(sa, ctx->outer_family, &ctx->saddr,
				    ctx->sport);

	/* A dummy packet (RFC 4303 2.6, traffic flow confidentiality). */
	if (nexthdr == IPPROTO_NONE) {
		consume_skb(skb);
		goto out;
	}
	if (kesp_sa_transport(sa))
		transport_packet(skb, ctx, nexthdr);
	else if (inner_packet(sa, skb, nexthdr, ctx->outer_dsfield))
		goto drop_other;
	if (!kesp_sa_inbound_allowed(sa, skb)) {
		kesp_sa_error(sa, KESP_ERR_SELECTOR);
		goto drop;
	}

	skb_scrub_packet(skb, !net_eq(dev_net(skb->dev), dev_net(dev)));
	skb->dev = dev;
	skb->pkt_type = PACKET_HOST;
	/* The device has no link header: tc and BPF see the inner packet. */
	skb_reset_mac_header(skb);
	/*
	 * RFC 3948 3.1.2: behind a NAT a transport-mode TCP or UDP checksum
	 * covers addresses the packet no longer has; the ICV vouched for
	 * the payload instead (as XFRM does).
	 */
	skb->ip_summed = ctx->encap && kesp_sa_transport(sa) ?
			 CHECKSUM_UNNECESSARY : CHECKSUM_NONE;
	skb_reset_transport_header(skb);
	kesp_sa_count(sa, ctx->inner_len);
	dev_sw_netstats_rx_add(dev, skb->len);
	/*
	 * Tunnel mode through GRO (as ip_tunnel and xfrmi deliver), so a
	 * TCP flow's segments reach the stack coalesced. Transport mode
	 * keeps netif_rx: GRO for it has not been measured yet.
	 */
	if (kesp_sa_transport(sa))
		netif_rx(skb);
	else
		gro_cells_receive(&sa->kd->gro_cells, skb);
	goto out;

drop_other:
	kesp_sa_error(sa, KESP_ERR_OTHER);
drop:
	DEV_STATS_INC(dev, rx_errors);
	kfree_skb(skb);
out:
	kesp_sa_put(sa);
	esp_ctx_free(ctx);
}

static void esp_input_done(COMPAT_CRYPTO_DONE_ARG(arg), int err)
{
	struct sk_buff *skb = compat_crypto_done_data(arg);

	if (err == -EINPROGRESS)
		return;
	local_bh_disable();
	esp_input_finish(skb, err);
	local_bh_enable();
}

/*
 * Whether SKB can be decrypted in place as it is, its pages included (as
 * esp4.c does): head and fragment list are its own (not a clone's), and
 * no page is shared with the page cache or a sender's memory (splice,
 * zero copy). Otherwise skb_cow_data() copies it into a head of its own.
 * What kesp sends from this host is linear or carries its trailer in a
 * page slice of its own (esp4's may carry its ciphertext in one too),
 * which no one else writes.
 */
static bool writable_pages(struct sk_buff *skb)
{
	return !skb_cloned(skb) && !skb_has_frag_list(skb) &&
	       !skb_has_shared_frag(skb) && !skb_zcopy(skb);
}

/*
 * SKB starts at the ESP header of a packet for SA (a reference the
 * function takes over); UDP_LEN bytes of UDP header (0 or 8) sit between
 * it and the IP header. Consumes the packet.
 */
static void esp_input_sa(struct sk_buff *skb, struct kesp_sa *sa,
			 unsigned int udp_len)
{
	unsigned int block, payload, ad_len;
	struct sk_buff *trailer;
	struct aead_request *req;
	struct scatterlist *sg;
	struct esp_ctx *ctx = NULL;
	u32 spi, seq_lo;
	u64 seq;
	u8 *hdr;
	int nsg, err;

	/* RFC 3948: an SA is either ESP in UDP or raw ESP, never both. */
	if (!sa->encap_type != !udp_len) {
		kesp_sa_error(sa, KESP_ERR_ENCAP);
		goto drop;
	}
	block = sa->block;
	ad_len = esp_ad_len(sa);
	if (skb->len < ESP_HDR_LEN + sa->iv_len + sa->icv_len + 2)
		goto drop_other;
	payload = skb->len - ESP_HDR_LEN - sa->iv_len - sa->icv_len;
	if (payload % block)
		goto drop_other;
	/*
	 * The IV is copied from the head and the header pulled past after
	 * decryption, so both must be linear. A reassembled datagram whose
	 * later fragments could not be merged into the first keeps them on
	 * a frag_list that skb_cow_data() leaves alone: its head may end
	 * right after the ESP header (selftests 61).
	 */
	if (!pskb_may_pull(skb, ESP_HDR_LEN + sa->iv_len))
		goto drop_other;

	/* RFC 4303 3.4.3: replays are dropped before any crypto work. */
	spi = get_unaligned_be32(skb->data);
	seq_lo = get_unaligned_be32(skb->data + 4);
	spin_lock(&sa->lock);
	err = kesp_replay_check(&sa->replay, seq_lo, &seq);
	spin_unlock(&sa->lock);
	if (err) {
		kesp_sa_error(sa, KESP_ERR_REPLAY);
		goto drop;
	}

	nsg = writable_pages(skb) ? skb_shinfo(skb)->nr_frags + 1 :
				    skb_cow_data(skb, 0, &trailer);
	if (nsg < 0)
		goto drop_other;
	ctx = esp_ctx_alloc(sa->aead, nsg);
	if (!ctx)
		goto drop_other;
	ctx->sa = sa;
	ctx->seq = seq;
	ctx->ad_len = ad_len;
	ctx->outer_dsfield = kesp_ip_dsfield(skb);
	ctx->ip_hdr_len = skb->data - skb_network_header(skb) - udp_len;
	if (skb->protocol == htons(ETH_P_IP)) {
		ctx->outer_family = AF_INET;
		ctx->saddr.ip4 = ip_hdr(skb)->saddr;
		ctx->nexthdr_off = offsetof(struct iphdr, protocol);
	} else {
		ctx->outer_family = AF_INET6;
		ctx->saddr.ip6 = ipv6_hdr(skb)->saddr;
		ctx->nexthdr_off = IP6CB(skb)->nhoff;
	}
	if (udp_len) {
		ctx->encap = true;
		ctx->sport = udp_hdr(skb)->source;
	}
	kesp_cb(skb)->ctx = ctx;

	if (kesp_sa_esn(sa)) {
		/*
		 * Widen the header by 4 bytes in place, over the end of the
		 * IP (or UDP) header, which comes back after decryption.
		 */
		memcpy(ctx->esn_saved, skb->data - 4, 4);
		hdr = skb_push(skb, 4);
		put_unaligned_be32(spi, hdr);
		put_unaligned_be32(upper_32_bits(ctx->seq), hdr + 4);
	}
	hdr = skb->data;
	memcpy(ctx->iv, hdr + ad_len, sa->iv_len);

	req = esp_ctx_req(ctx);
	sg = esp_ctx_sg(ctx, sa->aead);
	sg_init_table(sg, nsg);
	err = skb_to_sgvec(skb, sg, 0, skb->len);
	if (unlikely(err < 0))
		goto drop_other;
	aead_request_set_tfm(req, sa->aead);
	aead_request_set_callback(req, 0, esp_input_done, skb);
	aead_request_set_crypt(req, sg, sg, payload + sa->icv_len, ctx->iv);
	aead_request_set_ad(req, ad_len + sa->iv_len);
	/* Last: from here on nothing fails before the crypto does. */
	if (kesp_par_claim(sa, ctx, skb, payload, false, esp_input_finish)) {
		kesp_par_submit(ctx);
		return;
	}
	err = crypto_aead_decrypt(req);
	if (err == -EINPROGRESS)
		return;
	esp_input_finish(skb, err);
	return;

drop_other:
	kesp_sa_error(sa, KESP_ERR_OTHER);
drop:
	DEV_STATS_INC(sa->kd->dev, rx_errors);
	esp_ctx_free(ctx);
	kfree_skb(skb);
	kesp_sa_put(sa);
}

/* The inbound SA of KN for the ESP packet at SKB's data, held, or NULL. */
static struct kesp_sa *inbound_sa(struct kesp_net *kn, struct sk_buff *skb)
{
	struct kesp_sa *sa;

	rcu_read_lock();
	sa = kesp_sa_lookup_in(kn, get_unaligned_be32(skb->data));
	if (!sa || !outer_matches(sa, skb) ||
	    !refcount_inc_not_zero(&sa->refcnt))
		sa = NULL;
	rcu_read_unlock();
	return sa;
}

/*
 * Raw ESP. SKB starts at the ESP header. Returns -EINVAL when the packet
 * is not ours (the next handler, normally XFRM's, gets it), else 0:
 * consumed.
 */
static int esp_input(struct sk_buff *skb)
{
	struct kesp_sa *sa;

	if (!pskb_may_pull(skb, ESP_HDR_LEN))
		return -EINVAL;
	sa = inbound_sa(kesp_net(dev_net(skb->dev)), skb);
	if (!sa)
		return -EINVAL;
	esp_input_sa(skb, sa, 0);
	return 0;
}

/*
 * ESP in UDP from a socket attached to KD. SKB starts at the UDP header
 * (UDP_LEN bytes). Every SPI on our socket is ours to judge: one without
 * an SA is dropped and counted. Consumes the packet; returns 0.
 */
int kesp_esp_input_encap(struct sk_buff *skb, struct kesp_device *kd,
			 unsigned int udp_len)
{
	struct kesp_sa *sa = NULL;

	/* The transport header stays at the UDP header, for the ports. */
	__skb_pull(skb, udp_len);
	if (pskb_may_pull(skb, ESP_HDR_LEN))
		sa = inbound_sa(kesp_underlay(kd), skb);
	if (!sa) {
		kesp_dev_count(kd, KESP_DEV_CNT_ENCAP_ERRORS);
		DEV_STATS_INC(kd->dev, rx_errors);
		kfree_skb(skb);
		return 0;
	}
	esp_input_sa(skb, sa, udp_len);
	return 0;
}

/* Not ours: these return "next handler" for everything. */
static int esp_input_encap(struct sk_buff *skb, int nexthdr, __be32 spi,
			   int encap_type)
{
	return -EINVAL;
}

static int esp_cb(struct sk_buff *skb, int err)
{
	return 1;
}

/*
 * ICMP errors about raw ESP we sent. A router on the path that cannot
 * forward one of our DF packets says so with "fragmentation needed" or
 * "packet too big", quoting our outer IP header and the SPI; when an
 * outbound SA of ours sends that SPI between those addresses, the route
 * learns the path MTU, and the next packet too big for it is refused
 * towards its sender with the MTU that fits (esp_output.c's too_big).
 * Anything else goes on to the next handler (XFRM's).
 */
static int esp4_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	struct net *net = dev_net(skb->dev);
	union kesp_addr src = {}, dst = {};
	struct rtable *rt;
	struct flowi4 fl4;
	u32 mark;

	if (icmp_hdr(skb)->type != ICMP_DEST_UNREACH ||
	    icmp_hdr(skb)->code != ICMP_FRAG_NEEDED)
		return -ENOENT;
	src.ip4 = iph->saddr;
	dst.ip4 = iph->daddr;
	/* icmp_unreach() pulled the quoted header and 8 bytes after it. */
	if (!kesp_sa_out_mark(kesp_net(net), AF_INET, &src, &dst,
			      get_unaligned_be32(skb->data + iph->ihl * 4),
			      &mark))
		return -ENOENT;
	/*
	 * ipv4_update_pmtu() looks the route up without our mark; naming
	 * the device the marked route leaves by finds the same route even
	 * when the unmarked one leads back into a kesp device.
	 */
	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = iph->daddr;
	fl4.saddr = iph->saddr;
	fl4.flowi4_proto = IPPROTO_ESP;
	fl4.flowi4_mark = mark;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return 0;
	ipv4_update_pmtu(skb, net, info, rt->dst.dev->ifindex, IPPROTO_ESP);
	ip_rt_put(rt);
	return 0;
}

static int esp6_err(struct sk_buff *skb, struct inet6_skb_parm *opt, u8 type,
		    u8 code, int offset, __be32 info)
{
	const struct ipv6hdr *ip6h = (const struct ipv6hdr *)skb->data;
	struct net *net = dev_net(skb->dev);
	union kesp_addr src = {}, dst = {};
	u32 mark;

	if (type != ICMPV6_PKT_TOOBIG)
		return -ENOENT;
	src.ip6 = ip6h->saddr;
	dst.ip6 = ip6h->daddr;
	/* icmpv6_notify() pulled 8 bytes at OFFSET. */
	if (!kesp_sa_out_mark(kesp_net(net), AF_INET6, &src, &dst,
			      get_unaligned_be32(skb->data + offset), &mark))
		return -ENOENT;
	ip6_update_pmtu(skb, net, info, 0, mark, sock_net_uid(net, NULL));
	return 0;
}

static struct xfrm4_protocol esp4_handler = {
	.handler = esp_input,
	.input_handler = esp_input_encap,
	.cb_handler = esp_cb,
	.err_handler = esp4_err,
	.priority = KESP_ESP_PRIORITY,
};

static struct xfrm6_protocol esp6_handler = {
	.handler = esp_input,
	.input_handler = esp_input_encap,
	.cb_handler = esp_cb,
	.err_handler = esp6_err,
	.priority = KESP_ESP_PRIORITY,
};

int __init kesp_esp_input_init(void)
{
	int ret;

	ret = xfrm4_protocol_register(&esp4_handler, IPPROTO_ESP);
	if (ret)
		return ret;
	ret = xfrm6_protocol_register(&esp6_handler, IPPROTO_ESP);
	if (ret)
		xfrm4_protocol_deregister(&esp4_handler, IPPROTO_ESP);
	return ret;
}

void kesp_esp_input_uninit(void)
{
	xfrm6_protocol_deregister(&esp6_handler, IPPROTO_ESP);
	xfrm4_protocol_deregister(&esp4_handler, IPPROTO_ESP);
}
