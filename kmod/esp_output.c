// SPDX-License-Identifier: GPL-2.0
/*
 * Outbound ESP (RFC 4303), tunnel and transport mode, IPv4 and IPv6 outer:
 * a packet routed into a kesp device, its SA chosen, leaves as ESP from
 * the device's underlay namespace.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/random.h>
#include <net/dsfield.h>
#include <net/icmp.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/udp.h>

#include "encap.h"
#include "esp.h"

/* Headers an outer packet adds before the ESP header. */
static unsigned int outer_hdr_len(u8 family)
{
	return family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
}

/* The UDP header of ESP in UDP (RFC 3948), or nothing. */
static unsigned int encap_len(const struct esp_ctx *ctx)
{
	return ctx->encap ? sizeof(struct udphdr) : 0;
}

/*
 * A copy of SA's endpoint that no update tore, read without its lock:
 * SA_UPDATE (MOBIKE, NAT-T) and the device's fwmark change it inside a
 * write section of endpoint_seq. Returns the count it was read at.
 */
static unsigned int read_endpoint(struct kesp_sa *sa, struct esp_ctx *ctx)
{
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&sa->endpoint_seq);
		ctx->outer_family = sa->family;
		ctx->saddr = sa->src;
		ctx->daddr = sa->dst;
		if (sa->encap_type) {
			ctx->encap = true;
			ctx->sport = htons(sa->encap_sport);
			ctx->dport = htons(sa->encap_dport);
		}
		ctx->mark = READ_ONCE(sa->kd->fwmark);
	} while (read_seqcount_retry(&sa->endpoint_seq, seq));
	return seq;
}

static struct dst_entry *lookup_outer(struct kesp_sa *sa, struct esp_ctx *ctx)
{
	struct net *net = sa->kd->underlay_net;

	if (ctx->outer_family == AF_INET) {
		struct flowi4 fl4 = {
			.daddr = ctx->daddr.ip4,
			.saddr = ctx->saddr.ip4,
			.flowi4_proto = ctx->encap ? IPPROTO_UDP : IPPROTO_ESP,
			.flowi4_mark = ctx->mark,
			.fl4_sport = ctx->sport,
			.fl4_dport = ctx->dport,
		};
		struct rtable *rt = ip_route_output_key(net, &fl4);

		return IS_ERR(rt) ? ERR_CAST(rt) : &rt->dst;
	} else {
		struct flowi6 fl6 = {
			.daddr = ctx->daddr.ip6,
			.saddr = ctx->saddr.ip6,
			.flowi6_proto = ctx->encap ? IPPROTO_UDP : IPPROTO_ESP,
			.flowi6_mark = ctx->mark,
			.fl6_sport = ctx->sport,
			.fl6_dport = ctx->dport,
		};
		struct dst_entry *dst = ip6_route_output(net, NULL, &fl6);

		if (dst->error) {
			int err = dst->error;

			dst_release(dst);
			return ERR_PTR(err);
		}
		return dst;
	}
}

/*
 * The outer route for the endpoint in CTX, read at ENDPOINT_SEQ. The SA's
 * cached route serves while the routing tables do not change under it:
 * dst_cache asks dst_check(), which sees an IPv4 route made obsolete and
 * an IPv6 route whose fib6 node moved past the cookie saved with it.
 * Transmit runs with BH off, as dst_cache's per-CPU slots need.
 */
static struct dst_entry *route_outer(struct kesp_sa *sa, struct esp_ctx *ctx,
				     unsigned int endpoint_seq)
{
	struct dst_entry *dst = dst_cache_get(&sa->route_cache);

	if (dst)
		return dst;
	dst = lookup_outer(sa, ctx);
	if (IS_ERR(dst))
		return dst;
	/*
	 * Cached only if the endpoint did not change since it was read: a
	 * change resets the cache under this lock, and a route found for
	 * the old endpoint must not come back after that.
	 */
	spin_lock(&sa->lock);
	if (!read_seqcount_retry(&sa->endpoint_seq, endpoint_seq)) {
		if (ctx->outer_family == AF_INET)
			dst_cache_set_ip4(&sa->route_cache, dst, ctx->saddr.ip4);
		else
			dst_cache_set_ip6(&sa->route_cache, dst,
					  &ctx->saddr.ip6);
	}
	spin_unlock(&sa->lock);
	return dst;
}

/* Wire length of the ESP packet carrying PAYLOAD bytes. */
static unsigned int esp_wire_len(const struct kesp_sa *sa, unsigned int payload)
{
	unsigned int block = sa->block;

	return ESP_HDR_LEN + sa->iv_len + ALIGN(payload + 2, block) +
	       sa->icv_len;
}

/* The largest payload that fits ROOM bytes after the outer IP header. */
static unsigned int esp_payload_room(const struct kesp_sa *sa,
				     unsigned int room)
{
	room -= ESP_HDR_LEN + sa->iv_len + sa->icv_len;
	return round_down(room, sa->block) - 2;
}

/*
 * Transport mode keeps the packet's own IP header in front of ESP. Notes
 * its length (with the IPv6 extension headers that go before ESP, RFC 4303
 * 3.1.1) and where its next header byte is, and returns that byte. Only a
 * packet between the SA's own endpoints may use it: anything else would
 * reach a peer that has no SA for it. Returns -1 then.
 */
static int transport_header(struct sk_buff *skb, struct esp_ctx *ctx)
{
	if (skb->protocol == htons(ETH_P_IP)) {
		const struct iphdr *iph = ip_hdr(skb);

		if (ctx->outer_family != AF_INET ||
		    iph->saddr != ctx->saddr.ip4 ||
		    iph->daddr != ctx->daddr.ip4 ||
		    !pskb_may_pull(skb, iph->ihl * 4))
			return -1;
		iph = ip_hdr(skb);
		ctx->ip_hdr_len = iph->ihl * 4;
		ctx->nexthdr_off = offsetof(struct iphdr, protocol);
		return iph->protocol;
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);
		u8 *prevhdr;
		int off;

		if (ctx->outer_family != AF_INET6 ||
		    !ipv6_addr_equal(&ip6h->saddr, &ctx->saddr.ip6) ||
		    !ipv6_addr_equal(&ip6h->daddr, &ctx->daddr.ip6))
			return -1;
		off = ip6_find_1stfragopt(skb, &prevhdr);
		if (off < 0)
			return -1;
		ctx->ip_hdr_len = off;
		ctx->nexthdr_off = prevhdr - skb_network_header(skb);
		return *prevhdr;
	}
}

/*
 * A packet too big for the path once in ESP comes back to its sender as ICMP "fragmentation needed" / ICMPv6 "packet too big" when it
 * may not be fragmented (IPv4 DF set, or IPv6), and the function returns
 * true. Otherwise the outer packet is fragmented: IPv4 without DF, or
 * IPv6 when the path is below what IPv6 lets a tunnel announce (RFC 8200
 * 5: links carry 1280 bytes, so the tunnel must fragment below it).
 */
static bool too_big(struct kesp_sa *sa, struct sk_buff *skb,
		    struct esp_ctx *ctx)
{
	/* Transport mode keeps the IP header; tunnel mode adds one. */
	unsigned int kept = ctx->ip_hdr_len;
	unsigned int outer = (kept ?: outer_hdr_len(ctx->outer_family)) +
			     encap_len(ctx);
	unsigned int mtu = dst_mtu(ctx->route), fit;

	if (outer + esp_wire_len(sa, skb->len - kept) <= mtu)
		return false;
	fit = kept + esp_payload_room(sa, mtu - outer);
	if (skb->protocol == htons(ETH_P_IP)) {
		if (!(ip_hdr(skb)->frag_off & htons(IP_DF))) {
			ctx->df = 0;
			return false;
		}
		/* A local sender learns from its route, a remote one by ICMP. */
		skb_dst_update_pmtu_no_confirm(skb, fit);
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
			      htonl(fit));
		return true;
	}
	if (fit < IPV6_MIN_MTU) {
		ctx->df = 0;
		return false;
	}
	skb_dst_update_pmtu_no_confirm(skb, fit);
	icmpv6_ndo_send(skb, ICMPV6_PKT_TOOBIG, 0, fit);
	return true;
}

/* Tunnel mode: a new outer IP header in front of ESP. */
static void push_tunnel_header(struct sk_buff *skb, struct esp_ctx *ctx,
			       struct net *net)
{
	skb_push(skb, outer_hdr_len(ctx->outer_family));
	skb_reset_network_header(skb);
	if (ctx->outer_family == AF_INET) {
		struct iphdr *iph = ip_hdr(skb);

		iph->version = 4;
		iph->ihl = sizeof(*iph) >> 2;
		iph->tos = ctx->outer_dsfield;
		iph->frag_off = ctx->df;
		iph->ttl = ip4_dst_hoplimit(skb_dst(skb));
		iph->saddr = ctx->saddr.ip4;
		iph->daddr = ctx->daddr.ip4;
		__ip_select_ident(net, iph, 1);
	} else {
		struct ipv6hdr *ip6h = ipv6_hdr(skb);

		ip6_flow_hdr(ip6h, ctx->outer_dsfield, 0);
		ip6h->hop_limit = ip6_dst_hoplimit(skb_dst(skb));
		ip6h->saddr = ctx->saddr.ip6;
		ip6h->daddr = ctx->daddr.ip6;
	}
	ctx->nexthdr_off = ctx->outer_family == AF_INET ?
			   offsetof(struct iphdr, protocol) :
			   offsetof(struct ipv6hdr, nexthdr);
}

/*
 * RFC 3948 2.1: the UDP header in front of ESP. Its IPv4 checksum is
 * zero, as RFC 3948 allows and XFRM sends; IPv6 needs a real one (RFC
 * 8200 8.1), filled in once the IP header is there.
 */
static void push_udp_header(struct sk_buff *skb, struct esp_ctx *ctx)
{
	struct udphdr *uh = skb_push(skb, sizeof(*uh));

	skb_reset_transport_header(skb);
	uh->source = ctx->sport;
	uh->dest = ctx->dport;
	uh->len = htons(skb->len);
	uh->check = 0;
}

static void send_outer(struct sk_buff *skb, struct esp_ctx *ctx)
{
	struct kesp_sa *sa = ctx->sa;
	struct net *net = sa->kd->underlay_net;
	struct dst_entry *route = ctx->route;

	ctx->route = NULL;
	skb_scrub_packet(skb, !net_eq(net, dev_net(sa->kd->dev)));
	skb_dst_set(skb, route);
	skb->mark = ctx->mark;
	/* Without DF the outer packet may be fragmented, IPv6 included. */
	skb->ignore_df = !ctx->df;
	if (ctx->encap)
		push_udp_header(skb, ctx);
	if (ctx->ip_hdr_len) {
		/* Transport mode: the packet's own header, already in place. */
		skb_push(skb, ctx->ip_hdr_len);
		skb_reset_network_header(skb);
	} else {
		push_tunnel_header(skb, ctx, net);
	}
	skb_network_header(skb)[ctx->nexthdr_off] = ctx->encap ? IPPROTO_UDP :
								 IPPROTO_ESP;
	if (ctx->outer_family == AF_INET) {
		/* ip_local_out() computes the header checksum. */
		ip_hdr(skb)->tot_len = htons(skb->len);
		skb->protocol = htons(ETH_P_IP);
		memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
		ip_local_out(net, NULL, skb);
	} else {
		ipv6_hdr(skb)->payload_len = htons(skb->len -
						   sizeof(struct ipv6hdr));
		if (ctx->encap) {
			skb->ip_summed = CHECKSUM_NONE;
			udp6_set_csum(false, skb, &ctx->saddr.ip6,
				      &ctx->daddr.ip6,
				      ntohs(udp_hdr(skb)->len));
		}
		skb->protocol = htons(ETH_P_IPV6);
		memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
		ip6_local_out(net, NULL, skb);
	}
}

/*
 * Trailers of linear packets short of tailroom (trailer_frag()) are put in
 * slices of a page of this CPU's. Transmit runs with BH off, which is all
 * this per-CPU cache needs.
 */
static DEFINE_PER_CPU(struct page_frag, esp_out_frag);

/*
 * Whether the trailer of TAILEN bytes goes into a page fragment of its own
 * rather than after SKB's data: SKB is linear and private (a GSO segment
 * is) but lacks the tailroom, which skb_cow_data() would make by
 * reallocating the whole head (as on 6.1, where the segments' heads end
 * short). The trailer's slice of a page is small, so one page serves many
 * packets. Encryption stays in place: head and slice are the packet's own.
 */
static bool trailer_frag_ok(struct sk_buff *skb, unsigned int tailen)
{
	return !skb_is_nonlinear(skb) && !skb_cloned(skb) &&
	       skb_tailroom(skb) < tailen && tailen <= PAGE_SIZE;
}

/*
 * Appends the trailer's page fragment to SKB; returns where it starts.
 * Not skb_add_rx_frag(): that grows truesize, and a local sender's
 * segment is still charged to its socket at that size (skb_scrub_packet()
 * no longer orphans it), so its destructor would give back more than was
 * charged. esp4.c charges the socket for its trailer page instead.
 */
static u8 *trailer_frag(struct sk_buff *skb, unsigned int tailen)
{
	struct page_frag *pfrag = this_cpu_ptr(&esp_out_frag);
	u8 *tail;

	if (!skb_page_frag_refill(tailen, pfrag, GFP_ATOMIC))
		return NULL;
	get_page(pfrag->page);
	tail = (u8 *)page_address(pfrag->page) + pfrag->offset;
	__skb_fill_page_desc(skb, 0, pfrag->page, pfrag->offset, tailen);
	skb_shinfo(skb)->nr_frags = 1;
	pfrag->offset += ALIGN(tailen, L1_CACHE_BYTES);
	skb->data_len += tailen;
	skb->len += tailen;
	return tail;
}

void kesp_esp_output_uninit(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct page_frag *pfrag = per_cpu_ptr(&esp_out_frag, cpu);

		if (pfrag->page)
			put_page(pfrag->page);
		pfrag->page = NULL;
	}
}

/* After encryption, sync or async: finish the packet and let go of it all. */
static void esp_output_finish(struct sk_buff *skb, int err)
{
	struct esp_ctx *ctx = kesp_cb(skb)->ctx;
	struct kesp_sa *sa = ctx->sa;
	struct net_device *dev = sa->kd->dev;

	if (err) {
		net_dbg_ratelimited("kesp: %s: SA %u: encryption failed: %d\n",
				    dev->name, sa->id, err);
		kesp_sa_error(sa, KESP_ERR_OTHER);
		DEV_STATS_INC(dev, tx_errors);
		kfree_skb(skb);
		goto out;
	}
	if (kesp_sa_esn(sa)) {
		/*
		 * Back to the wire layout: the SPI takes seq_hi's slot, and
		 * what the SPI covered meanwhile (the end of a transport-mode
		 * IP header) comes back.
		 */
		put_unaligned_be32(sa->spi, skb->data + 4);
		__skb_pull(skb, 4);
		memcpy(skb->data - 4, ctx->esn_saved, 4);
	}
	kesp_sa_count(sa, ctx->inner_len);
	dev_sw_netstats_tx_add(dev, 1, ctx->inner_len);
	send_outer(skb, ctx);
out:
	dst_release(ctx->route);
	kesp_sa_put(sa);
	esp_ctx_free(ctx);
}

static void esp_output_done(COMPAT_CRYPTO_DONE_ARG(arg), int err)
{
	struct sk_buff *skb = compat_crypto_done_data(arg);

	/* A backlogged request being started, not finished. */
	if (err == -EINPROGRESS)
		return;
	local_bh_disable();
	esp_output_finish(skb, err);
	local_bh_enable();
}

/*
 * The packet's sequence number, if the SA may still send it: sequence
 * numbers never wrap (RFC 4303 3.3.3), so sending the last one expires
 * the SA, and lifetimes may have spent it already. BH is off on transmit.
 * A packet of a parallel SA's burst takes its place in the SA's order
 * with its number.
 */
static bool take_seq(struct kesp_sa *sa, struct esp_ctx *ctx,
		     struct sk_buff *skb)
{
	u64 last = kesp_sa_esn(sa) ? U64_MAX : U32_MAX;
	bool ok = false;

	spin_lock(&sa->lock);
	if (sa->seq >= last)
		kesp_sa_expire(sa, true, KESP_EXPIRE_SEQUENCE);
	else if (kesp_sa_lifetime_use(sa, ctx->inner_len))
		ok = true;
	if (ok) {
		ctx->seq = ++sa->seq;
		kesp_par_claim(sa, ctx, skb, ctx->inner_len, true,
			       esp_output_finish);
		if (ctx->seq == last)
			kesp_sa_expire(sa, true, KESP_EXPIRE_SEQUENCE);
	}
	spin_unlock(&sa->lock);
	return ok;
}

/*
 * Scatterlist entries SKB's encryption can take, known before the trailer
 * is placed: without a frag_list, skb_cow_data() leaves a packet linear
 * (1) and trailer_frag() gives it one slice (2); one more, as
 * sg_init_table() below is given. Room for MAX_SKB_FRAGS + 2 entries
 * instead would add 512 bytes to every packet's context, which
 * init_on_alloc (Debian's default) clears whole.
 */
static int esp_out_sg_max(const struct sk_buff *skb)
{
	return skb_has_frag_list(skb) ? MAX_SKB_FRAGS + 2 : 3;
}

/*
 * Encrypts SKB (an IP packet) with SA and sends it. Consumes the packet
 * and the caller's reference on SA. REASSEMBLED: SKB was put together
 * from fragments its sender made, so the ESP packet may be fragmented.
 */
void kesp_esp_output(struct kesp_sa *sa, struct sk_buff *skb,
		     bool reassembled)
{
	struct net_device *dev = sa->kd->dev;
	unsigned int block = sa->block;
	unsigned int payload, padlen, tailen, ad_len, wire_hdr_len, i;
	struct sk_buff *trailer;
	struct aead_request *req;
	struct scatterlist *sg;
	unsigned int endpoint_seq;
	struct dst_entry *route;
	struct esp_ctx *ctx;
	u8 *tail, *hdr;
	int nexthdr, nsg, sg_max, err;

	sg_max = esp_out_sg_max(skb);
	ctx = esp_ctx_alloc(sa->aead, sg_max);
	if (!ctx)
		goto drop;
	ctx->sa = sa;
	kesp_cb(skb)->ctx = ctx;

	/* The one time a packet takes the SA's lock is take_seq(). */
	endpoint_seq = read_endpoint(sa, ctx);
	if (ctx->encap &&
	    kesp_encap_port(sa->kd, ctx->outer_family) != ntohs(ctx->sport)) {
		/* No reply could reach the SA's port: see encap.c. */
		net_dbg_ratelimited("kesp: %s: SA %u: no UDP socket on its port %u\n",
				    dev->name, sa->id, ntohs(ctx->sport));
		kesp_sa_error(sa, KESP_ERR_ENCAP);
		goto drop_ctx;
	}

	route = route_outer(sa, ctx, endpoint_seq);
	if (IS_ERR(route)) {
		DEV_STATS_INC(dev, tx_carrier_errors);
		goto drop_ctx;
	}
	ctx->route = route;
	if (route->dev == dev) {
		/* The outer packet would be routed back into the tunnel. */
		net_dbg_ratelimited("kesp: %s: SA %u: routing loop\n",
				    dev->name, sa->id);
		DEV_STATS_INC(dev, collisions);
		goto drop_ctx;
	}
	/* RFC 6040 normal mode: copy DSCP and ECN (CE becomes ECT(0)). */
	ctx->outer_dsfield = INET_ECN_encapsulate(kesp_ip_dsfield(skb) &
						  ~INET_ECN_MASK,
						  kesp_ip_dsfield(skb));
	ctx->df = skb->protocol == htons(ETH_P_IP) ?
		  ip_hdr(skb)->frag_off & htons(IP_DF) : htons(IP_DF);
	if (kesp_sa_transport(sa)) {
		nexthdr = transport_header(skb, ctx);
		if (nexthdr < 0) {
			net_dbg_ratelimited("kesp: %s: SA %u: transport mode carries only packets between its own addresses\n",
					    dev->name, sa->id);
			kesp_sa_error(sa, KESP_ERR_SELECTOR);
			goto drop_ctx;
		}
	} else {
		nexthdr = skb->protocol == htons(ETH_P_IP) ? IPPROTO_IPIP :
							   IPPROTO_IPV6;
	}
	/*
	 * A datagram its sender fragmented (to this device's MTU) has no DF
	 * to honour: its ESP packet is fragmented if it must be.
	 */
	if (reassembled) {
		ctx->df = 0;
	} else if (too_big(sa, skb, ctx)) {
		DEV_STATS_INC(dev, tx_dropped);
		goto drop_ctx_quiet;
	}
	skb_dst_drop(skb);

	ad_len = esp_ad_len(sa);
	ctx->ad_len = ad_len;
	wire_hdr_len = ESP_HDR_LEN + sa->iv_len;
	if (skb_cow_head(skb, outer_hdr_len(ctx->outer_family) + encap_len(ctx) +
			      ad_len + sa->iv_len +
			      LL_RESERVED_SPACE(route->dev)))
		goto drop_ctx;
	/* Transport mode: ESP protects what follows the IP header. */
	__skb_pull(skb, ctx->ip_hdr_len);
	payload = skb->len;
	ctx->inner_len = payload;
	if (!take_seq(sa, ctx, skb)) {
		DEV_STATS_INC(dev, tx_dropped);
		goto drop_ctx_quiet;
	}
	padlen = ALIGN(payload + 2, block) - payload - 2;
	tailen = padlen + 2 + sa->icv_len;
	if (trailer_frag_ok(skb, tailen)) {
		tail = trailer_frag(skb, tailen);
		if (!tail)
			goto drop_numbered;
		nsg = 2;
	} else {
		nsg = skb_cow_data(skb, tailen, &trailer);
		if (nsg < 0 || nsg + 1 > sg_max)
			goto drop_numbered;
		tail = pskb_put(skb, trailer, tailen);
	}

	/* Trailer: monotonic padding (RFC 4303 2.4), pad length, next header. */
	for (i = 0; i < padlen; i++)
		tail[i] = i + 1;
	tail[padlen] = padlen;
	tail[padlen + 1] = nexthdr;

	/*
	 * Transport mode: make room for ESP (and UDP) between IP header and
	 * payload.
	 */
	if (ctx->ip_hdr_len)
		memmove(skb->data - wire_hdr_len - encap_len(ctx) -
			ctx->ip_hdr_len,
			skb->data - ctx->ip_hdr_len, ctx->ip_hdr_len);
	hdr = skb_push(skb, ad_len + sa->iv_len);
	/* ESN widens the header by 4 bytes into whatever precedes it. */
	if (kesp_sa_esn(sa))
		memcpy(ctx->esn_saved, hdr, 4);
	put_unaligned_be32(sa->spi, hdr);
	if (kesp_sa_esn(sa)) {
		put_unaligned_be32(upper_32_bits(ctx->seq), hdr + 4);
		put_unaligned_be32(lower_32_bits(ctx->seq), hdr + 8);
	} else {
		put_unaligned_be32(lower_32_bits(ctx->seq), hdr + 4);
	}
	/*
	 * AEAD IVs are the sequence number under the SA's random salt:
	 * unique per SA, which is all GCM and ChaCha20-Poly1305 need (RFC
	 * 4106 3.1, RFC 7634 2), and unique across SAs that a careless key
	 * manager gave the same key. CBC needs unpredictable IVs (RFC 3602 3).
	 */
	if (sa->iv_len == 8)
		put_unaligned_be64(ctx->seq ^ sa->iv_salt, ctx->iv);
	else if (sa->iv_len)
		get_random_bytes(ctx->iv, sa->iv_len);
	memcpy(hdr + ad_len, ctx->iv, sa->iv_len);

	req = esp_ctx_req(ctx);
	sg = esp_ctx_sg(ctx, sa->aead);
	sg_init_table(sg, nsg + 1);
	err = skb_to_sgvec(skb, sg, 0, skb->len);
	if (unlikely(err < 0))
		goto drop_numbered;
	aead_request_set_tfm(req, sa->aead);
	aead_request_set_callback(req, 0, esp_output_done, skb);
	aead_request_set_crypt(req, sg, sg, payload + padlen + 2, ctx->iv);
	aead_request_set_ad(req, ad_len + sa->iv_len);
	if (ctx->parallel) {
		kesp_par_submit(ctx);
		return;
	}
	err = crypto_aead_encrypt(req);
	if (err == -EINPROGRESS)
		return;
	esp_output_finish(skb, err);
	return;

drop_numbered:
	/* In a parallel SA's order: finished there, as a failure. */
	if (ctx->parallel) {
		kesp_par_complete(ctx, -ENOMEM);
		return;
	}
drop_ctx:
	DEV_STATS_INC(dev, tx_errors);
drop_ctx_quiet:
	dst_release(ctx->route);
	esp_ctx_free(ctx);
drop:
	kfree_skb(skb);
	kesp_sa_put(sa);
}
