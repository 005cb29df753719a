// SPDX-License-Identifier: GPL-2.0
/*
 * Parallel crypto for one SA (KESP_SA_F_PARALLEL). A single flow's packets
 * all arrive on one CPU, which then does all of its crypto while the
 * others idle; here a burst's packets are handed, one CPU after another,
 * to a worker per CPU, and a serial step per SA finishes them in their
 * order, as WireGuard does for a peer. Order matters twice: TCP takes
 * reordering for loss, and the peer's replay window drops what arrives
 * more than a window behind.
 *
 * Unlike pcrypt, this registers no algorithm: a pcrypt instance outranks
 * the plain algorithm for every user of the crypto API (XFRM's SAs and
 * kesp's without the flag too), and the SA's own transform is used.
 *
 * The order is fixed by kesp_par_claim(): on output under the SA's lock
 * with the sequence number, before the request is built, so the caller
 * then calls kesp_par_submit(), or kesp_par_complete() with an error if
 * it cannot, and no packet is left in the order unfinished; on input when
 * the request is built, in the order packets get there.
 */
#include <crypto/aead.h>
#include <linux/cpumask.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>

#include "esp.h"
#include "parallel.h"

struct par_worker {
	struct llist_head todo;
	struct work_struct work;
};

/*
 * 1 sends every large packet to the workers: for a kernel too slow to see
 * four in a jiffy (a debug kernel's tests), or a host whose flows are all
 * bulk.
 */
static unsigned int parallel_burst = KESP_PAR_BURST;
module_param(parallel_burst, uint, 0644);
MODULE_PARM_DESC(parallel_burst,
		 "large packets an SA with flag parallel must see in a jiffy before its crypto is spread (1-1000, default 4)");

static DEFINE_PER_CPU(struct par_worker, par_workers);
static struct workqueue_struct *par_wq;
static atomic_t par_serial_next;

/*
 * The packet's crypto is done (ERR its result): the serial step may
 * finish it once the packets before it are done too. Only the head of the
 * order wakes the serial step, and only when it is not queued or running
 * already: it then goes on through every done packet behind the head. The
 * decision is taken under the order's lock, where the serial step pops
 * packets, so the SA is still held (by this packet) when its reference for
 * the serial step is taken, and not touched after the lock is let go
 * unless that reference was.
 */
void kesp_par_complete(struct esp_ctx *ctx, int err)
{
	struct kesp_sa *sa = ctx->sa;
	struct kesp_sa_parallel *par = sa->par;
	bool wake;

	spin_lock_bh(&par->lock);
	ctx->par_err = err;
	ctx->par_done = true;
	wake = par->head == ctx && !par->serial_busy;
	if (wake) {
		par->serial_busy = true;
		refcount_inc(&sa->refcnt);
	}
	spin_unlock_bh(&par->lock);
	if (wake)
		queue_work_on(par->serial_cpu, par_wq, &par->serial);
}

static void par_crypto_done(COMPAT_CRYPTO_DONE_ARG(arg), int err)
{
	struct esp_ctx *ctx = compat_crypto_done_data(arg);

	/* A backlogged request being started, not finished. */
	if (err == -EINPROGRESS)
		return;
	kesp_par_complete(ctx, err);
}

static void par_crypto_work(struct work_struct *work)
{
	struct par_worker *w = container_of(work, struct par_worker, work);
	struct llist_node *list = llist_reverse_order(llist_del_all(&w->todo));
	struct esp_ctx *ctx, *next;

	llist_for_each_entry_safe(ctx, next, list, par_node) {
		struct aead_request *req = esp_ctx_req(ctx);
		int err;

		err = ctx->par_encrypt ? crypto_aead_encrypt(req) :
					 crypto_aead_decrypt(req);
		if (err != -EINPROGRESS)
			kesp_par_complete(ctx, err);
		cond_resched();
	}
}

static void par_serial(struct work_struct *work)
{
	struct kesp_sa_parallel *par = container_of(work, struct kesp_sa_parallel,
						    serial);
	struct esp_ctx *ctx;

	for (;;) {
		spin_lock_bh(&par->lock);
		ctx = par->head;
		if (!ctx || !ctx->par_done) {
			/* The next head to be done wakes this again. */
			par->serial_busy = false;
			spin_unlock_bh(&par->lock);
			break;
		}
		par->head = ctx->par_next;
		if (!par->head)
			par->tail = &par->head;
		spin_unlock_bh(&par->lock);
		WRITE_ONCE(par->packets, par->packets + 1);
		/* As an async completion would: transmit and receive run with BH off. */
		local_bh_disable();
		ctx->par_finish(ctx->par_skb, ctx->par_err);
		local_bh_enable();
		cond_resched();
	}
	/* The reference kesp_par_complete() woke this with. */
	kesp_sa_put(par->sa);
}

/*
 * Whether the packet SKB of LEN bytes, whose context CTX is SA's, goes to
 * the workers; if so it takes its place in SA's order, and FINISH(skb,
 * err) runs for it there. The caller fixes the order: output calls this
 * under the SA's lock, with the sequence number. While any packet is with
 * the workers every packet follows, so none overtakes those.
 */
bool kesp_par_claim(struct kesp_sa *sa, struct esp_ctx *ctx,
		    struct sk_buff *skb, unsigned int len, bool encrypt,
		    void (*finish)(struct sk_buff *skb, int err))
{
	struct kesp_sa_parallel *par = sa->par;
	u16 now = (u16)jiffies;
	unsigned int cpu, need;

	if (!par)
		return false;
	need = clamp(READ_ONCE(parallel_burst), 1U, KESP_PAR_BURST_MAX);
	spin_lock(&par->lock);
	if (len >= KESP_PAR_MIN_LEN) {
		if (par->burst_jiffy != now) {
			par->burst_jiffy = now;
			par->burst = 0;
		}
		if (par->burst < need)
			par->burst++;
	}
	if (!par->head && (len < KESP_PAR_MIN_LEN || par->burst < need)) {
		spin_unlock(&par->lock);
		return false;
	}
	cpu = cpumask_next(par->next_cpu, cpu_online_mask);
	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	par->next_cpu = cpu;
	ctx->par_cpu = cpu;
	ctx->par_skb = skb;
	ctx->par_finish = finish;
	ctx->par_encrypt = encrypt;
	ctx->par_done = false;
	ctx->par_next = NULL;
	ctx->parallel = true;
	*par->tail = ctx;
	par->tail = &ctx->par_next;
	spin_unlock(&par->lock);
	return true;
}

/* Hands a claimed packet, its request built, to its CPU's worker. */
void kesp_par_submit(struct esp_ctx *ctx)
{
	unsigned int cpu = ctx->par_cpu;
	struct par_worker *w = per_cpu_ptr(&par_workers, cpu);

	aead_request_set_callback(esp_ctx_req(ctx), 0, par_crypto_done, ctx);
	/*
	 * An empty list: the worker is idle or past its last llist_del_all().
	 * CTX is not touched after it is on the list.
	 */
	if (llist_add(&ctx->par_node, &w->todo))
		queue_work_on(cpu, par_wq, &w->work);
}

u64 kesp_par_packets(const struct kesp_sa *sa)
{
	return sa->par ? READ_ONCE(sa->par->packets) : 0;
}

int kesp_par_sa_init(struct kesp_sa *sa)
{
	struct kesp_sa_parallel *par;

	par = kzalloc(sizeof(*par), GFP_KERNEL_ACCOUNT);
	if (!par)
		return -ENOMEM;
	par->sa = sa;
	spin_lock_init(&par->lock);
	par->tail = &par->head;
	INIT_WORK(&par->serial, par_serial);
	par->next_cpu = nr_cpu_ids - 1;	/* the first packet: the first CPU */
	/*
	 * Each SA finishes its packets on a CPU of its own, the SAs taking
	 * the CPUs in turn (as pcrypt gives each transform a callback CPU):
	 * what finishing starts (sending and what the stack does with the
	 * packet, or delivery up to the socket) then runs beside the crypto
	 * of the next packets, and of the SAs of the other direction.
	 */
	par->serial_cpu = cpumask_local_spread(atomic_inc_return(&par_serial_next),
					       NUMA_NO_NODE);
	sa->par = par;
	return 0;
}

int kesp_par_init(void)
{
	unsigned int cpu;

	/* CPU-intensive: a worker encrypting a burst does not hold up the
	 * CPU's other work items. */
	par_wq = alloc_workqueue("kesp_crypt", WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM, 0);
	if (!par_wq)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct par_worker *w = per_cpu_ptr(&par_workers, cpu);

		init_llist_head(&w->todo);
		INIT_WORK(&w->work, par_crypto_work);
	}
	return 0;
}

/* After the devices, before the SAs' last frees: packets still with the
 * workers are finished (and let go of their SAs) first. */
void kesp_par_uninit(void)
{
	destroy_workqueue(par_wq);
}
