// SPDX-License-Identifier: GPL-2.0
/*
 * IKE SA objects: creation, the two lookup tables (by our SPI; responder
 * half-open SAs by the initiator's SPI and address, so a retransmitted
 * IKE_SA_INIT finds its SA), teardown, log prefixes, waiters, keepalives.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

const char *ike_state_name(enum ike_state s)
{
	switch (s) {
	case IKE_S_INIT_I: return "CONNECTING";
	case IKE_S_AUTH_I: return "AUTHENTICATING";
	case IKE_S_INIT_R: return "HALF_OPEN";
	case IKE_S_ESTABLISHED: return "ESTABLISHED";
	case IKE_S_DELETING: return "DELETING";
	case IKE_S_DEAD: return "DEAD";
	}
	return "?";
}

/* ---- tables -------------------------------------------------------------- */

static uint64_t spi_hash(const uint8_t spi[8])
{
	uint64_t h;

	/* Our SPIs are random, theirs not necessarily: mix anyway. */
	memcpy(&h, spi, 8);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t half_hash(const uint8_t spi[8], const struct addr *a)
{
	uint64_t h = spi_hash(spi);

	for (size_t i = 0; i < addr_len(a->family); i++)
		h = (h ^ a->ip[i]) * 0x100000001b3ULL;
	return h;
}

/* Each table links through its own next pointer, chosen by NEXT. */
static struct ike_sa **next_of(struct ike_sa *sa, bool half)
{
	return half ? &sa->next_half : &sa->next_spi;
}

static uint64_t key_of(struct ike_sa *sa, bool half)
{
	return half ? half_hash(sa->spi_i, &sa->remote.addr) : spi_hash(ike_sa_our_spi(sa));
}

static void table_grow(struct sa_table *t, bool half)
{
	size_t nb = t->nb ? t->nb * 2 : 64;
	struct ike_sa **b = calloc(nb, sizeof(*b));

	if (!b)
		return;	/* longer chains, still correct */
	for (size_t i = 0; i < t->nb; i++) {
		struct ike_sa *sa = t->b[i];

		while (sa) {
			struct ike_sa *next = *next_of(sa, half);
			size_t j = key_of(sa, half) & (nb - 1);

			*next_of(sa, half) = b[j];
			b[j] = sa;
			sa = next;
		}
	}
	free(t->b);
	t->b = b;
	t->nb = nb;
}

static void table_add(struct sa_table *t, struct ike_sa *sa, bool half)
{
	size_t i;

	if (t->n >= t->nb)
		table_grow(t, half);
	if (!t->nb)
		abort();
	i = key_of(sa, half) & (t->nb - 1);
	*next_of(sa, half) = t->b[i];
	t->b[i] = sa;
	t->n++;
}

static bool table_del(struct sa_table *t, struct ike_sa *sa, bool half)
{
	struct ike_sa **pp;

	if (!t->nb)
		return false;
	for (pp = &t->b[key_of(sa, half) & (t->nb - 1)]; *pp; pp = next_of(*pp, half)) {
		if (*pp == sa) {
			*pp = *next_of(sa, half);
			t->n--;
			return true;
		}
	}
	return false;
}

struct ike_sa *ike_sa_find_spi(struct daemon *d, const uint8_t spi[8])
{
	struct ike_sa *sa;

	if (!d->by_spi.nb)
		return NULL;
	for (sa = d->by_spi.b[spi_hash(spi) & (d->by_spi.nb - 1)]; sa; sa = sa->next_spi)
		if (!memcmp(ike_sa_our_spi(sa), spi, 8))
			return sa;
	return NULL;
}

struct ike_sa *ike_sa_find_half_open(struct daemon *d, const uint8_t spi_i[8],
				     const struct addr *remote)
{
	struct ike_sa *sa;

	if (!d->half_open.nb)
		return NULL;
	for (sa = d->half_open.b[half_hash(spi_i, remote) & (d->half_open.nb - 1)]; sa;
	     sa = sa->next_half)
		if (!memcmp(sa->spi_i, spi_i, 8) && addr_equal(&sa->remote.addr, remote))
			return sa;
	return NULL;
}

uint8_t *ike_sa_our_spi(struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

/* ---- lifetime ------------------------------------------------------------ */

static void half_open_expired(struct daemon *d, struct timer *t)
{
	struct ike_sa *sa = (struct ike_sa *)((char *)t - offsetof(struct ike_sa, t_half_open));

	(void)d;
	ike_sa_fail(sa, "half-open for %u s without a valid IKE_AUTH, giving up",
		    sa->d->cfg->set.half_open_timeout);
}

static void keepalive_due(struct daemon *d, struct timer *t)
{
	struct ike_sa *sa = (struct ike_sa *)((char *)t - offsetof(struct ike_sa, t_keepalive));

	d->io->keepalive(d->io_ctx, &sa->local, &sa->remote);
	timer_arm(d, t, d->cfg->set.keep_alive * 1000ULL);
}

/*
 * Whether inbound ESP came on any of SA's CHILD_SAs since DPD last looked:
 * kesp.ko's packet counter of each inbound SA moved. (charon asks XFRM
 * for the SAs' last use; a counter read once per dpd_delay tells the same
 * at that resolution.)
 */
static bool esp_seen(struct ike_sa *sa)
{
	struct kernel *k = sa->d->kernel;
	bool seen = false;

	for (struct child_sa *c = sa->children; c; c = c->next) {
		struct kernel_counters n;

		if (!c->kid_in || k->ops->sa_counters(k, c->ifindex, c->kid_in, &n))
			continue;
		if (n.packets != c->dpd_packets_in) {
			c->dpd_packets_in = n.packets;
			seen = true;
		}
	}
	return seen;
}

/*
 * Dead peer detection: after dpd_delay without an authenticated message
 * from the peer and without inbound ESP on its CHILD_SAs (as charon), an
 * empty INFORMATIONAL (unless an exchange is under way, which checks as
 * well). The counters are read when the IKE side has been quiet for
 * dpd_delay: traffic since the last look counts as traffic now, so a
 * request goes out only after a whole dpd_delay without a packet. A peer
 * that answers none of its retransmissions fails the IKE SA, and its
 * CHILD SAs go with it (dpd_action).
 */
static void dpd_due(struct daemon *d, struct timer *t)
{
	struct ike_sa *sa = (struct ike_sa *)((char *)t - offsetof(struct ike_sa, t_dpd));
	uint64_t delay = sa->conn->dpd_delay * 1000ULL, last = sa->last_rx, idle;
	struct task *live;

	if (sa->state != IKE_S_ESTABLISHED)
		return;
	if (d->now - last >= delay && esp_seen(sa)) {
		sa_log(sa, LOG_IKE, 2, "DPD: ESP from the peer since the last look, no check");
		sa->last_esp = d->now;
	}
	if (sa->last_esp > last)
		last = sa->last_esp;
	idle = d->now - last;
	if (idle < delay) {
		timer_arm(d, t, delay - idle);
		return;
	}
	if (!sa->req.task && !sa->queue && (live = liveness_task_new())) {
		sa_log(sa, LOG_IKE, 1, "DPD: nothing from the peer for %.1f s, checking it is alive",
		       idle / 1000.0);
		exchange_queue(sa, live);
	}
	if (sa->state == IKE_S_ESTABLISHED)
		timer_arm(d, t, delay);
}

void ike_sa_start_keepalives(struct ike_sa *sa)
{
	if (!sa->nat_local || !sa->d->cfg->set.keep_alive || timer_armed(&sa->t_keepalive))
		return;
	timer_arm(sa->d, &sa->t_keepalive, sa->d->cfg->set.keep_alive * 1000ULL);
}

/* A fresh SPI of ours that no SA of this daemon uses. */
static void new_spi(struct daemon *d, uint8_t spi[8])
{
	do
		ike_spi_new(spi, 8);
	while (ike_sa_find_spi(d, spi));
}

static struct ike_sa *sa_alloc(struct daemon *d, bool initiator, const struct endpoint *local,
			       const struct endpoint *remote, const uint8_t *our_spi)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return NULL;
	sa->d = d;
	sa->id = ++d->next_sa_id;
	sa->initiator = initiator;
	sa->local = *local;
	sa->remote = *remote;
	sa->created = d->now;
	sa->state = initiator ? IKE_S_INIT_I : IKE_S_INIT_R;
	timer_init(&sa->req.timer, exchange_request_timeout);
	timer_init(&sa->t_half_open, half_open_expired);
	timer_init(&sa->t_keepalive, keepalive_due);
	timer_init(&sa->t_dpd, dpd_due);
	timer_init(&sa->t_rekey, ike_rekey_due);
	timer_init(&sa->t_over, ike_over_due);
	timer_init(&sa->t_mobike, mobike_timer_due);
	if (our_spi)
		memcpy(ike_sa_our_spi(sa), our_spi, 8);
	else
		new_spi(d, ike_sa_our_spi(sa));
	table_add(&d->by_spi, sa, false);
	sa->next_all = d->sas;
	d->sas = sa;
	return sa;
}

struct ike_sa *ike_sa_new(struct daemon *d, bool initiator, const struct endpoint *local,
			  const struct endpoint *remote)
{
	return sa_alloc(d, initiator, local, remote, NULL);
}

struct ike_sa *ike_sa_restore(struct daemon *d, bool initiator, const struct endpoint *local,
			      const struct endpoint *remote, const uint8_t our_spi[8], uint64_t id)
{
	struct ike_sa *sa = sa_alloc(d, initiator, local, remote, our_spi);

	if (sa)
		sa->id = id;
	return sa;
}

void ike_sa_restore_done(struct ike_sa *sa)
{
	/* As a responder's SA of this run: a late IKE_SA_INIT finds it. */
	if (!sa->initiator) {
		table_add(&sa->d->half_open, sa, true);
		sa->in_init_table = true;
	}
}

struct ike_sa *ike_sa_successor_new(struct ike_sa *old, bool initiator, const uint8_t *our_spi,
				    const uint8_t peer_spi[8])
{
	struct ike_sa *sa = sa_alloc(old->d, initiator, &old->local, &old->remote, our_spi);

	if (!sa)
		return NULL;
	memcpy(initiator ? sa->spi_r : sa->spi_i, peer_spi, 8);
	ike_sa_set_conn(sa, old->conn);
	sa->state = IKE_S_INIT_I;	/* not usable until the rekey switches to it */
	sa->nat_local = old->nat_local;
	sa->nat_remote = old->nat_remote;
	sa->peer_natd = old->peer_natd;
	sa->peer_sig_hashes = old->peer_sig_hashes;
	/* MOBIKE stays as IKE_AUTH agreed it, with its client (RFC 4555 §3.2). */
	sa->mobike = old->mobike;
	sa->mobike_client = old->mobike_client;
	memcpy(sa->peer_addrs, old->peer_addrs, sizeof(sa->peer_addrs));
	sa->npeer_addrs = old->npeer_addrs;
	/* Fragmentation was agreed in IKE_SA_INIT; a rekey does not ask again. */
	sa->frag.announced = old->frag.announced;
	sa->frag.peer = old->frag.peer;
	sa->id_local = old->id_local;
	sa->id_remote = old->id_remote;
	/* A gateway's EAP identity, for the session resumption tickets it
	 * issues on the new SA (resume.c). */
	if (old->rt && old->rt->eap_user[0]) {
		sa->rt = calloc(1, sizeof(*sa->rt));
		if (sa->rt)
			snprintf(sa->rt->eap_user, sizeof(sa->rt->eap_user), "%s",
				 old->rt->eap_user);
	}
	return sa;
}

void ike_sa_arm_lifetimes(struct ike_sa *sa)
{
	const struct conn *c = sa->conn;
	uint64_t rekey, rnd = 0;

	if (!c || !c->rekey_time)
		return;
	rekey = c->rekey_time * 1000ULL;
	if (c->rand_time) {
		uint32_t r = 0;

		ike_random(&r, sizeof(r));
		rnd = r % (c->rand_time * 1000ULL + 1);
	}
	timer_arm(sa->d, &sa->t_rekey, rekey - rnd);
	if (c->over_time)
		timer_arm(sa->d, &sa->t_over, rekey + c->over_time * 1000ULL);
}

void ike_sa_set_conn(struct ike_sa *sa, const struct conn *c)
{
	struct conn *old = sa->conn;

	/* The config is immutable; the reference keeps it alive for us. */
	sa->conn = conn_get((struct conn *)c);
	conn_put(old);
}

/*
 * A responder's SA stays findable by the initiator's SPI and address for
 * its whole life (a late retransmission of IKE_SA_INIT must not make a
 * second SA), but counts as half-open, for cookies and limits, only until
 * IKE_AUTH.
 */
void ike_sa_half_open_add(struct ike_sa *sa)
{
	table_add(&sa->d->half_open, sa, true);
	sa->in_init_table = true;
	sa->half_open = true;
	sa->d->half_open_count++;
	timer_arm(sa->d, &sa->t_half_open, sa->d->cfg->set.half_open_timeout * 1000ULL);
}

void ike_sa_half_open_done(struct ike_sa *sa)
{
	if (sa->half_open)
		sa->d->half_open_count--;
	sa->half_open = false;
	timer_cancel(sa->d, &sa->t_half_open);
}

void ike_sa_notify_waiters(struct ike_sa *sa, bool ok, const char *msg)
{
	struct sa_waiter *w = sa->waiters;

	sa->waiters = NULL;
	while (w) {
		struct sa_waiter *next = w->next;

		w->sa = NULL;
		w->next = NULL;
		w->done(w, ok, msg);
		w = next;
	}
}

void ike_sa_add_waiter(struct ike_sa *sa, struct sa_waiter *w)
{
	w->sa = sa;
	w->next = sa->waiters;
	sa->waiters = w;
}

void ike_sa_remove_waiter(struct sa_waiter *w)
{
	struct sa_waiter **pp;

	if (!w->sa)
		return;
	for (pp = &w->sa->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->sa = NULL;
	w->next = NULL;
}

void ike_sa_destroy(struct ike_sa *sa, const char *why)
{
	struct daemon *d = sa->d;
	struct ike_sa **pp;

	enum ike_state was = sa->state;

	if (sa->state == IKE_S_DEAD)
		return;
	if (why && !sa->error[0])
		snprintf(sa->error, sizeof(sa->error), "%s", why);
	if (sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_DELETING)
		persist_mark(d);
	ike_sa_end_actions(sa);
	exchange_flush(sa);
	while (sa->children) {
		struct child_sa *c = sa->children;

		sa->children = c->next;
		if (!c->down_reason)
			c->down_reason = "its IKE SA is gone";
		child_sa_uninstall(c);
		child_sa_free(c);
	}
	cp_release(sa);
	ike_sa_half_open_done(sa);
	if (sa->in_init_table)
		table_del(&d->half_open, sa, true);
	table_del(&d->by_spi, sa, false);
	for (pp = &d->sas; *pp; pp = &(*pp)->next_all)
		if (*pp == sa) {
			*pp = sa->next_all;
			break;
		}
	timer_cancel(d, &sa->t_keepalive);
	timer_cancel(d, &sa->t_dpd);
	timer_cancel(d, &sa->t_rekey);
	timer_cancel(d, &sa->t_over);
	timer_cancel(d, &sa->t_mobike);
	if (sa->state != IKE_S_ESTABLISHED && sa->state != IKE_S_DELETING)
		d->st.ike_failed++;
	sa->state = IKE_S_DEAD;
	/* A replaced SA's end is told by ike-rekeyed. */
	if ((was == IKE_S_ESTABLISHED || was == IKE_S_DELETING) && !sa->rekeyed)
		daemon_event(d, "ike-down", sa, NULL, sa->error[0] ? sa->error : "deleted", NULL,
			     NULL);
	else if (was != IKE_S_ESTABLISHED && was != IKE_S_DELETING)
		daemon_event(d, "ike-failed", sa, NULL, sa->error[0] ? sa->error : "failed", NULL,
			     NULL);
	ike_sa_notify_waiters(sa, false, sa->error[0] ? sa->error : "IKE SA deleted");
	sa->next_dead = d->dead;
	d->dead = sa;
}

void ike_sa_fail(struct ike_sa *sa, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (sa->state == IKE_S_DEAD)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sa_log(sa, LOG_IKE, 0, "failed: %s", why);
	snprintf(sa->error, sizeof(sa->error), "%s", why);
	ike_sa_destroy(sa, why);
}

static void ike_sa_free(struct ike_sa *sa)
{
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->req.pkt);
	free(sa->resp.pkt);
	free(sa->wait.pl);
	frag_sa_free(sa);
	ike_dh_free(sa->dh);
	auth_eap_free(sa);
	resume_state_free(sa->rt);
	ike_sa_keys_wipe(&sa->keys);
	ike_sk_keys_wipe(&sa->sk_in);
	ike_sk_keys_wipe(&sa->sk_out);
	conn_put(sa->conn);
	ike_wipe(sa, sizeof(*sa));
	free(sa);
}

void daemon_reap(struct daemon *d)
{
	while (d->dead) {
		struct ike_sa *sa = d->dead;

		d->dead = sa->next_dead;
		ike_sa_free(sa);
	}
	persist_flush(d);
}

const char *ike_sa_algs(const struct ike_sa *sa, char *buf, size_t len)
{
	if (ike_proposal_format(&sa->prop, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

int ike_nonce_cmp(const struct ike_slice *a, const struct ike_slice *b)
{
	int r = memcmp(a->p, b->p, a->len < b->len ? a->len : b->len);

	if (r)
		return r;
	return a->len < b->len ? -1 : a->len > b->len;
}

unsigned long long spi64(const uint8_t *p)
{
	unsigned long long v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void ike_sa_established(struct ike_sa *sa)
{
	char algs[160], me[IKE_ID_STRLEN], peer[IKE_ID_STRLEN], l[ENDPOINT_STRLEN],
	     r[ENDPOINT_STRLEN];

	sa->state = IKE_S_ESTABLISHED;
	sa->established = sa->d->now;
	persist_mark(sa->d);
	if (sa->restart_children)
		sa_log(sa, LOG_IKE, 0, "restarted");
	sa->restart_children = 0;
	sa->d->st.ike_established++;
	ike_sa_half_open_done(sa);
	sa_log(sa, LOG_IKE, 0,
	       "IKE SA established: %s[%s]...%s[%s] %s, SPIs %016llx_i %016llx_r, %s%s",
	       endpoint_str(&sa->local, l, sizeof(l)), id_str(&sa->id_local, me, sizeof(me)),
	       endpoint_str(&sa->remote, r, sizeof(r)), id_str(&sa->id_remote, peer, sizeof(peer)),
	       ike_sa_algs(sa, algs, sizeof(algs)),
	       spi64(sa->spi_i), spi64(sa->spi_r),
	       sa->nat_local ? "NAT before us" : sa->nat_remote ? "NAT before the peer" : "no NAT",
	       sa->local.port != sa->d->cfg->set.port ? ", on the NAT-T port" : "");
	ike_sa_start_keepalives(sa);
	sa->last_rx = sa->d->now;
	if (sa->conn && sa->conn->dpd_delay)
		timer_arm(sa->d, &sa->t_dpd, sa->conn->dpd_delay * 1000ULL);
	ike_sa_arm_lifetimes(sa);
	daemon_event(sa->d, "ike-up", sa, NULL, NULL, NULL, NULL);
}

void sa_log(const struct ike_sa *sa, enum log_subsys s, int level, const char *fmt, ...)
{
	char prefix[160], a[ADDR_STRLEN];
	va_list ap;

	if (!log_enabled(s, level))
		return;
	snprintf(prefix, sizeof(prefix), "%s%s%s[%llu] ",
		 sa->d->name ? sa->d->name : "", sa->d->name ? ": " : "",
		 sa->conn ? sa->conn->name : addr_str(&sa->remote.addr, a, sizeof(a)),
		 (unsigned long long)sa->id);
	va_start(ap, fmt);
	log_vprefixed(s, level, prefix, fmt, ap);
	va_end(ap);
}
