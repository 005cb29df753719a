/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the ESP output and input paths share: the per-packet temporary
 * (context, IV copy, crypto request and scatterlist in one allocation, as
 * esp4.c does) and the layout of the associated data.
 *
 * The AEAD sees [SPI][seq_hi (ESN only)][seq_lo][IV] as associated data
 * (the rfc4106, rfc7539esp and authenc(esn) templates all take the IV as
 * the last bytes of it) followed by the payload. On the wire seq_hi is not
 * sent, so with ESN the header is widened by 4 bytes in place while the
 * crypto runs: the SPI moves 4 bytes to the front and seq_hi takes its
 * slot.
 */
#ifndef KESP_ESP_H
#define KESP_ESP_H

#include <crypto/aead.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <net/dsfield.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "device.h"
#include "main.h"
#include "parallel.h"
#include "sad.h"

#define ESP_HDR_LEN 8		/* SPI and sequence number */
#define ESP_MAX_IV_LEN 16

struct esp_ctx {
	struct kesp_sa *sa;
	struct dst_entry *route;	/* output: where the packet goes */
	/* Output: outer addresses; input: the outer source. */
	union kesp_addr saddr, daddr;
	/*
	 * ESP in UDP. Output: the ports to send from and to; input: the
	 * port the packet came from (sport).
	 */
	bool encap;
	__be16 sport, dport;
	u32 mark;			/* output: the device's fwmark */
	u64 seq;
	unsigned int inner_len;		/* for statistics and lifetimes */
	u8 outer_family;
	u8 outer_dsfield;		/* output: outer TOS; input: as received */
	__be16 df;			/* output: outer IPv4 DF */
	u8 ad_len;			/* associated data without the IV */
	/*
	 * Transport mode: the length of the IP header (with any IPv6
	 * extension headers ESP follows) and the offset in it of the next
	 * header byte that says ESP on the wire.
	 */
	u16 ip_hdr_len, nexthdr_off;
	/* The 4 bytes before the ESP header that ESN's seq_hi borrows. */
	u8 esn_saved[4];
	bool parallel;			/* with the workers (parallel.c) */
	/* Not cleared: only the IV's length is written and read. */
	u8 iv[ESP_MAX_IV_LEN] __aligned(8);
	/*
	 * KESP_SA_F_PARALLEL: the packet's place in the SA's order, its
	 * worker's CPU and what finishes it. Not cleared either:
	 * kesp_par_claim() writes each field before any is read, and only
	 * for a packet with the workers.
	 */
	bool par_encrypt, par_done;
	int par_err;
	u32 par_cpu;
	struct esp_ctx *par_next;
	struct llist_node par_node;
	struct sk_buff *par_skb;
	void (*par_finish)(struct sk_buff *skb, int err);
};

/* skb->cb while a packet is in the crypto layer. */
struct kesp_skb_cb {
	struct esp_ctx *ctx;
};

static inline struct kesp_skb_cb *kesp_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct kesp_skb_cb) > sizeof(skb->cb));
	return (struct kesp_skb_cb *)skb->cb;
}

static inline struct aead_request *esp_ctx_req(struct esp_ctx *ctx)
{
	return (struct aead_request *)ALIGN((unsigned long)(ctx + 1),
					    crypto_tfm_ctx_alignment());
}

static inline struct scatterlist *esp_ctx_sg(struct esp_ctx *ctx,
					     struct crypto_aead *aead)
{
	unsigned long req_end = (unsigned long)(esp_ctx_req(ctx) + 1) +
				crypto_aead_reqsize(aead);

	return (struct scatterlist *)ALIGN(req_end,
					   __alignof__(struct scatterlist));
}

/*
 * One GFP_ATOMIC allocation per packet: context, request, NSG entries.
 * Only the context's head is zeroed (see struct esp_ctx): the
 * aead_request_set_*() calls write every field of the request the crypto
 * API reads, the algorithm initialises its own part of it (for
 * rfc7539esp several hundred bytes), and sg_init_table() the entries a
 * packet uses, so clearing the rest would cost a memset of most of the
 * allocation per packet (as esp4.c, which kmallocs it too).
 */
static inline struct esp_ctx *esp_ctx_alloc(struct crypto_aead *aead,
					    int nsg)
{
	size_t len = sizeof(struct esp_ctx);
	struct esp_ctx *ctx;

	len = ALIGN(len, crypto_tfm_ctx_alignment());
	len += sizeof(struct aead_request) + crypto_aead_reqsize(aead);
	len = ALIGN(len, __alignof__(struct scatterlist));
	len += sizeof(struct scatterlist) * nsg;
	ctx = kmalloc(len, GFP_ATOMIC);
	if (!ctx)
		return NULL;
	memset(ctx, 0, offsetof(struct esp_ctx, iv));
	kesp_obj_new(KESP_OBJ_PACKET);
	return ctx;
}

static inline void esp_ctx_free(struct esp_ctx *ctx)
{
	if (ctx) {
		kfree(ctx);
		kesp_obj_gone(KESP_OBJ_PACKET);
	}
}

/* The DS field (DSCP and ECN) of the IP packet at skb's network header. */
static inline u8 kesp_ip_dsfield(struct sk_buff *skb)
{
	return skb->protocol == htons(ETH_P_IP) ?
	       ipv4_get_dsfield(ip_hdr(skb)) : ipv6_get_dsfield(ipv6_hdr(skb));
}

static inline bool kesp_sa_transport(const struct kesp_sa *sa)
{
	return sa->mode == KESP_MODE_TRANSPORT;
}

static inline bool kesp_sa_esn(const struct kesp_sa *sa)
{
	return sa->flags & KESP_SA_F_ESN;
}

/* Bytes of associated data before the IV: SPI, [seq_hi,] seq_lo. */
static inline unsigned int esp_ad_len(const struct kesp_sa *sa)
{
	return ESP_HDR_LEN + (kesp_sa_esn(sa) ? 4 : 0);
}

static inline void kesp_sa_count(struct kesp_sa *sa, unsigned int bytes)
{
	atomic64_inc(&sa->packets);
	atomic64_add(bytes, &sa->bytes);
}

static inline void kesp_sa_error(struct kesp_sa *sa, enum kesp_sa_error e)
{
	atomic64_inc(&sa->errors[e]);
}

/* esp_output.c */
void kesp_esp_output(struct kesp_sa *sa, struct sk_buff *skb,
		     bool reassembled);
void kesp_esp_output_uninit(void);
/* esp_input.c */
int kesp_esp_input_init(void);
void kesp_esp_input_uninit(void);
int kesp_esp_input_encap(struct sk_buff *skb, struct kesp_device *kd,
			 unsigned int udp_len);

#endif /* KESP_ESP_H */
