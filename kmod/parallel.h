/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parallel crypto for one SA (KESP_SA_F_PARALLEL): the packets of a burst
 * are encrypted or decrypted by workers on all online CPUs, one CPU after
 * another, and finished (sent, or delivered) in the order they were
 * numbered or received.
 */
#ifndef KESP_PARALLEL_H
#define KESP_PARALLEL_H

#include <linux/spinlock.h>
#include <linux/workqueue.h>

struct esp_ctx;
struct kesp_sa;
struct sk_buff;

/*
 * Packets this large (bytes ESP protects) that come parallel_burst (module
 * parameter, 4) or more in one jiffy go to the workers: bulk traffic, whose
 * crypto is worth the two hand-offs between CPUs. A ping or an ACK stays
 * where it is.
 */
#define KESP_PAR_MIN_LEN 1024
#define KESP_PAR_BURST 4
#define KESP_PAR_BURST_MAX 1000

struct kesp_sa_parallel {
	struct kesp_sa *sa;
	spinlock_t lock;		/* the order and the burst count */
	/* Packets given to the workers, oldest first, done or not. */
	struct esp_ctx *head, **tail;
	/* Finishes the done packets at the head; holds an SA reference
	 * while busy (queued or running). */
	struct work_struct serial;
	bool serial_busy;		/* under lock */
	u64 packets;			/* finished by serial, its alone */
	u16 burst;			/* large packets in burst_jiffy, capped */
	u16 burst_jiffy;		/* low bits of jiffies */
	u32 next_cpu;			/* the worker the last packet went to */
	u32 serial_cpu;			/* where serial runs */
};

int kesp_par_init(void);
void kesp_par_uninit(void);
int kesp_par_sa_init(struct kesp_sa *sa);
bool kesp_par_claim(struct kesp_sa *sa, struct esp_ctx *ctx,
		    struct sk_buff *skb, unsigned int len, bool encrypt,
		    void (*finish)(struct sk_buff *skb, int err));
void kesp_par_submit(struct esp_ctx *ctx);
void kesp_par_complete(struct esp_ctx *ctx, int err);
u64 kesp_par_packets(const struct kesp_sa *sa);

#endif
