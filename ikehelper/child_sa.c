// SPDX-License-Identifier: GPL-2.0
/*
 * CHILD SAs in kesp.ko: inbound SPIs from the module (SPI_ALLOC), keys from
 * KEYMAT (RFC 7296 §2.17), the SA pair with its selectors and, behind a
 * NAT, ESP in UDP; routes for the remote selectors through the device, and
 * everything removed again with the SA.
 *
 * The same code serves the first CHILD_SA of IKE_AUTH and CREATE_CHILD_SA
 * (a rekey installs a new pair beside the old one: nothing here assumes one
 * pair per configuration). Lifetimes: each installed pair has a rekey timer
 * (rekey_time less a random part of rand_time) and an expiry (life_time);
 * a replaced pair loses its outbound SA at once (kesp.ko then picks the new
 * one) and its inbound SA CHILD_GRACE_MS later.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define CHILD_OF(t, field) ((struct child_sa *)((char *)(t) - offsetof(struct child_sa, field)))

const char *child_state_name(enum child_state s)
{
	switch (s) {
	case CHILD_S_INSTALLING: return "INSTALLING";
	case CHILD_S_INSTALLED: return "INSTALLED";
	case CHILD_S_REKEYING: return "REKEYING";
	case CHILD_S_REKEYED: return "REKEYED";
	case CHILD_S_DELETING: return "DELETING";
	}
	return "?";
}

static void rekey_due(struct daemon *d, struct timer *t)
{
	(void)d;
	child_rekey_start(CHILD_OF(t, t_rekey));
}

static void expire_due(struct daemon *d, struct timer *t)
{
	struct child_sa *c = CHILD_OF(t, t_expire);

	(void)d;
	if (c->state == CHILD_S_REKEYED || c->state == CHILD_S_DELETING)
		return;
	sa_log(c->ike, LOG_CHD, 0, "CHILD_SA %s{%u} reached its life_time (%u s) without a "
	       "rekey: deleting it", c->cfg->name, c->reqid, c->cfg->life_time);
	child_sa_expire(c);
}

void child_sa_expire(struct child_sa *c)
{
	struct task *del;

	c->down_reason = "its lifetime ran out";
	child_sa_uninstall(c);
	del = delete_child_task_new(c);
	if (del)
		exchange_queue(c->ike, del);
}

/* rekey_bytes / rekey_packets less a random part of rand_*, as swanctl. */
static uint64_t volume_soft(uint64_t rekey, uint64_t rand)
{
	uint64_t rnd = 0;

	if (!rekey || !rand)
		return rekey;
	ike_random(&rnd, sizeof(rnd));
	rnd %= rand == UINT64_MAX ? rand : rand + 1;
	return rnd < rekey ? rekey - rnd : rekey;
}

/* kesp.ko's volume limits for one of C's SAs: the same for both. */
static void volume_limits(struct child_sa *c, struct kernel_sa *k)
{
	const struct child_cfg *cc = c->cfg;

	if (!c->volume_set) {
		c->soft_bytes = volume_soft(cc->rekey_bytes, cc->rand_bytes);
		c->soft_packets = volume_soft(cc->rekey_packets, cc->rand_packets);
		c->volume_set = true;
	}
	k->soft_bytes = c->soft_bytes;
	k->hard_bytes = cc->life_bytes;
	k->soft_packets = c->soft_packets;
	k->hard_packets = cc->life_packets;
}

/* Whether C's inbound SA has decrypted a packet: the peer sends on it. */
static bool inbound_used(struct child_sa *c)
{
	struct kernel *k = c->ike->d->kernel;
	struct kernel_counters cnt;

	return c->kid_in && !k->ops->sa_counters(k, c->ifindex, c->kid_in, &cnt) && cnt.packets;
}

static void grace_due(struct daemon *d, struct timer *t)
{
	struct child_sa *c = CHILD_OF(t, t_grace);
	struct child_sa *old;

	(void)d;
	if (c->state == CHILD_S_INSTALLING && c->replaces) {
		/* A rekey responder that never heard the old pair's DELETE. */
		old = child_sa_find_in(c->ike, c->replaces);
		if (old && old->state == CHILD_S_REKEYING) {
			/* Our own rekey of it is out too (a collision): its
			 * answer and the nonces decide which pair stays;
			 * switching now, each side to the pair it answered,
			 * would leave the two using different pairs. */
			timer_arm(c->ike->d, &c->t_grace, CHILD_SWITCH_MS);
			return;
		}
		if (old && !inbound_used(c)) {
			/* Nothing on the new pair yet: the peer may not have our
			 * answer (its rekey is not done), and the old pair still
			 * carries both directions. */
			sa_log(c->ike, LOG_CHD, 2, "CHILD_SA %s{%u}: no DELETE for the old pair and "
			       "nothing on the new one yet: waiting", c->cfg->name, c->reqid);
			timer_arm(c->ike->d, &c->t_grace, CHILD_SWITCH_MS);
			return;
		}
		sa_log(c->ike, LOG_CHD, 1, "CHILD_SA %s{%u}: no DELETE for the old pair, but the peer "
		       "sends on the new one: switching to it", c->cfg->name, c->reqid);
		child_sa_switch(c, old);
		if (old && old->state != CHILD_S_DELETING && old->state != CHILD_S_REKEYED)
			child_sa_replaced(old);
		return;
	}
	if (c->delete_pending) {
		/* The peer may still send on it until our DELETE reaches it. */
		timer_arm(c->ike->d, &c->t_grace, CHILD_GRACE_MS);
		return;
	}
	child_sa_drop(c);
}

static void delete_due(struct daemon *d, struct timer *t)
{
	struct child_sa *c = CHILD_OF(t, t_delete);

	(void)d;
	exchange_queue(c->ike, delete_child_task_new(c));
}

struct child_sa *child_sa_new(struct ike_sa *ike, const struct child_cfg *cfg)
{
	struct child_sa *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ike = ike;
	c->cfg = cfg;
	c->mode = cfg->mode;
	c->reqid = ++ike->d->next_reqid;
	c->state = CHILD_S_INSTALLING;
	c->we_initiated = ike->initiator;
	timer_init(&c->t_rekey, rekey_due);
	timer_init(&c->t_expire, expire_due);
	timer_init(&c->t_grace, grace_due);
	timer_init(&c->t_delete, delete_due);
	c->next = ike->children;
	ike->children = c;
	return c;
}

void child_sa_free(struct child_sa *c)
{
	struct daemon *d = c->ike->d;

	/* Established and not replaced by a rekey (ike-rekeyed or
	 * child-rekeyed told that): it goes down. */
	if (c->installed_at && c->state != CHILD_S_REKEYED)
		daemon_event(d, "child-down", c->ike->state == IKE_S_DEAD ? NULL : c->ike, c,
			     c->down_reason ? c->down_reason : "deleted", NULL, NULL);

	timer_cancel(d, &c->t_rekey);
	timer_cancel(d, &c->t_expire);
	timer_cancel(d, &c->t_grace);
	timer_cancel(d, &c->t_delete);
	ike_wipe(c, sizeof(*c));
	free(c);
}

void child_sa_unlink(struct child_sa *c)
{
	for (struct child_sa **pp = &c->ike->children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

void child_sa_drop(struct child_sa *c)
{
	child_sa_unlink(c);
	child_sa_uninstall(c);
	child_sa_free(c);
}

void child_sa_drop_pending(struct child_sa **pc)
{
	if (*pc)
		child_sa_drop(*pc);
	*pc = NULL;
}

struct child_sa *child_sa_find_out(struct ike_sa *ike, uint32_t spi_out)
{
	for (struct child_sa *c = ike->children; c; c = c->next)
		if (c->spi_out == spi_out)
			return c;
	return NULL;
}

struct child_sa *child_sa_find_in(struct ike_sa *ike, uint32_t spi_in)
{
	for (struct child_sa *c = ike->children; c; c = c->next)
		if (c->spi_in == spi_in)
			return c;
	return NULL;
}

void child_sa_set_nonces(struct child_sa *c, const struct ike_slice *ni, const struct ike_slice *nr)
{
	const struct ike_slice *lo = ike_nonce_cmp(ni, nr) <= 0 ? ni : nr;

	memcpy(c->lo_nonce, lo->p, lo->len);
	c->lo_nonce_len = lo->len;
}

struct child_sa *child_sa_successor(struct ike_sa *ike, uint32_t spi_in)
{
	for (struct child_sa *c = ike->children; c; c = c->next)
		if (c->replaces == spi_in && c->state == CHILD_S_INSTALLING)
			return c;
	return NULL;
}

uint32_t child_sa_alloc_spi(struct ike_sa *ike, const struct child_cfg *cfg, uint32_t *ifindex)
{
	struct daemon *d = ike->d;
	uint32_t spi = 0;

	(void)cfg;
	if (daemon_device(d, ike->conn->device, ifindex)) {
		sa_log(ike, LOG_KNL, 0, "no device %s: %s", ike->conn->device, d->kernel->error);
		return 0;
	}
	if (d->kernel->ops->spi_alloc(d->kernel, *ifindex, &spi)) {
		sa_log(ike, LOG_KNL, 0, "cannot allocate an inbound SPI on %s: %s",
		       ike->conn->device, d->kernel->error);
		return 0;
	}
	return spi;
}

static const struct ike_transform *pick(const struct ike_proposal *p, uint8_t type)
{
	for (unsigned int i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type && (type == IKE_TRANS_ESN || p->trans[i].id))
			return &p->trans[i];
	return NULL;
}

/* kesp.ko's names and key sizes for the chosen ESP transforms. */
struct esp_algs {
	const char *aead, *enc, *auth;
	uint32_t icv_bits;
	size_t enc_key, auth_key;	/* bytes from KEYMAT (AEAD: key + salt) */
	bool esn;
};

static bool esp_algs(const struct ike_proposal *p, struct esp_algs *a)
{
	const struct ike_transform *e = pick(p, IKE_TRANS_ENCR), *i = pick(p, IKE_TRANS_INTEG),
				   *n = pick(p, IKE_TRANS_ESN);

	memset(a, 0, sizeof(*a));
	if (!e)
		return false;
	a->esn = n && n->id == 1;
	switch (e->id) {
	case IKE_ENCR_AES_GCM_16:
	case IKE_ENCR_AES_GCM_12:
	case IKE_ENCR_AES_GCM_8:
		if (e->keylen != 128 && e->keylen != 192 && e->keylen != 256)
			return false;
		a->aead = "rfc4106(gcm(aes))";
		a->icv_bits = e->id == IKE_ENCR_AES_GCM_16 ? 128 : e->id == IKE_ENCR_AES_GCM_12 ? 96 : 64;
		a->enc_key = e->keylen / 8 + 4;
		return true;
	case IKE_ENCR_CHACHA20_POLY1305:
		a->aead = "rfc7539esp(chacha20,poly1305)";
		a->icv_bits = 128;
		a->enc_key = 32 + 4;
		return true;
	case IKE_ENCR_AES_CBC:
		if (e->keylen != 128 && e->keylen != 192 && e->keylen != 256)
			return false;
		a->enc = "cbc(aes)";
		a->enc_key = e->keylen / 8;
		break;
	case IKE_ENCR_NULL:
		a->enc = "ecb(cipher_null)";
		a->enc_key = 0;
		break;
	default:
		return false;
	}
	if (!i)
		return false;
	switch (i->id) {
	case IKE_INTEG_HMAC_SHA1_96: a->auth = "hmac(sha1)"; a->icv_bits = 96; break;
	case IKE_INTEG_HMAC_SHA2_256_128: a->auth = "hmac(sha256)"; a->icv_bits = 128; break;
	case IKE_INTEG_HMAC_SHA2_384_192: a->auth = "hmac(sha384)"; a->icv_bits = 192; break;
	case IKE_INTEG_HMAC_SHA2_512_256: a->auth = "hmac(sha512)"; a->icv_bits = 256; break;
	default: return false;
	}
	a->auth_key = ike_integ_key_len(i->id);
	return true;
}

const char *child_sa_algs(const struct child_sa *c, char *buf, size_t len)
{
	if (ike_proposal_format(&c->prop, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* Selectors: every pair of a local and a remote selector of one family
 * whose protocols agree, from the packet's point of view for DIR. */
static void selectors(const struct child_sa *c, enum kernel_dir dir, struct kernel_sa *k)
{
	k->nsel = 0;
	for (size_t i = 0; i < c->nts_local; i++)
		for (size_t j = 0; j < c->nts_remote && k->nsel < KERNEL_SEL_MAX; j++) {
			const struct ts *l = &c->ts_local[i], *r = &c->ts_remote[j];

			if (l->family != r->family || (l->proto && r->proto && l->proto != r->proto))
				continue;
			k->sel[k->nsel].src = dir == KERNEL_OUT ? *l : *r;
			k->sel[k->nsel].dst = dir == KERNEL_OUT ? *r : *l;
			k->nsel++;
		}
}

int child_sa_derive(struct child_sa *c, const struct ike_slice *gir, const struct ike_slice *ni,
		    const struct ike_slice *nr)
{
	struct ike_sa *ike = c->ike;
	struct esp_algs a;
	char algs[128];
	size_t total;

	if (!esp_algs(&c->prop, &a)) {
		sa_log(ike, LOG_CHD, 0, "CHILD_SA %s: kesp.ko has no ESP transform for %s",
		       c->cfg->name, child_sa_algs(c, algs, sizeof(algs)));
		return -1;
	}
	total = 2 * (a.enc_key + a.auth_key);
	if (total > sizeof(c->keymat) ||
	    ike_child_keymat(ike->prf, ike->keys.sk_d, ike->keys.prf_len, gir, ni, nr, c->keymat,
			     total)) {
		ike_wipe(c->keymat, sizeof(c->keymat));
		sa_log(ike, LOG_CHD, 0, "CHILD_SA %s: key derivation failed", c->cfg->name);
		return -1;
	}
	c->keymat_len = total;
	return 0;
}

int child_sa_install(struct child_sa *c, enum kernel_dir dir)
{
	struct ike_sa *ike = c->ike;
	struct daemon *d = ike->d;
	struct esp_algs a;
	struct kernel_sa *k;
	size_t off;
	struct ike_slice ni = { ike->ni, ike->ni_len }, nr = { ike->nr, ike->nr_len };
	bool i2r;
	char algs[128];
	uint32_t *kid = dir == KERNEL_IN ? &c->kid_in : &c->kid_out;
	int rc;

	if (!c->keymat_len && child_sa_derive(c, NULL, &ni, &nr))
		return -1;
	if (!esp_algs(&c->prop, &a) || c->keymat_len != 2 * (a.enc_key + a.auth_key))
		return -1;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -1;
	/* §2.17: initiator-to-responder keys first, encryption before
	 * integrity. Inbound for the initiator is responder-to-initiator.
	 * The initiator of the exchange that made the child (IKE_AUTH's or
	 * CREATE_CHILD_SA's) decides, not the initiator of the IKE SA. */
	i2r = (dir == KERNEL_OUT) == c->we_initiated;
	off = i2r ? 0 : a.enc_key + a.auth_key;
	memcpy(k->enc_key, c->keymat + off, a.enc_key);
	k->enc_key_len = a.enc_key;
	memcpy(k->auth_key, c->keymat + off + a.enc_key, a.auth_key);
	k->auth_key_len = a.auth_key;

	k->ifindex = c->ifindex;
	k->dir = dir;
	k->spi = dir == KERNEL_IN ? c->spi_in : c->spi_out;
	k->mode = c->mode == MODE_TRANSPORT ? KERNEL_TRANSPORT : KERNEL_TUNNEL;
	k->reqid = c->reqid;
	k->src = dir == KERNEL_OUT ? ike->local.addr : ike->remote.addr;
	k->dst = dir == KERNEL_OUT ? ike->remote.addr : ike->local.addr;
	k->aead_name = a.aead;
	k->enc_name = a.enc;
	k->auth_name = a.auth;
	k->icv_bits = a.icv_bits;
	k->replay_window = dir == KERNEL_IN ? c->cfg->replay_window : 0;
	k->esn = a.esn;
	/* A per-CPU CHILD_SA keeps its work on its CPU, both ways. */
	k->parallel = c->cfg->parallel_crypto && !c->has_cpu;
	selectors(c, dir, k);
	volume_limits(c, k);
	if (dir == KERNEL_OUT) {
		k->has_cpu = c->has_cpu;
		k->cpu = c->cpu;
		k->pcpu_acquire = c->pcpu_acquire;
	}
	if (c->encap) {
		k->encap = true;
		/* Outbound: from our port to theirs; inbound: the peer's port
		 * (SPORT) and ours (DPORT), as kesp.h has it. */
		k->sport = dir == KERNEL_OUT ? ike->local.port : ike->remote.port;
		k->dport = dir == KERNEL_OUT ? ike->remote.port : ike->local.port;
	}
	rc = d->kernel->ops->sa_add(d->kernel, k, kid);
	ike_wipe(k, sizeof(*k));
	free(k);
	if (rc) {
		sa_log(ike, LOG_KNL, 0, "CHILD_SA %s: cannot install the %s SA %08x: %s",
		       c->cfg->name, dir == KERNEL_IN ? "inbound" : "outbound",
		       dir == KERNEL_IN ? c->spi_in : c->spi_out, d->kernel->error);
		*kid = 0;
		return -1;
	}
	sa_log(ike, LOG_KNL, 1, "CHILD_SA %s: %s SA %08x installed (%s%s)", c->cfg->name,
	       dir == KERNEL_IN ? "inbound" : "outbound",
	       dir == KERNEL_IN ? c->spi_in : c->spi_out, child_sa_algs(c, algs, sizeof(algs)),
	       c->encap ? ", ESP in UDP" : "");
	return 0;
}

struct route_ctx {
	struct child_sa *c;
	struct addr src;
};

/*
 * After a restart that could not adopt a tunnel, its routes are still in
 * the table but belong to no CHILD_SA: the new CHILD_SA that replaces it
 * takes them over (no other CHILD_SA of ours has R).
 */
static bool route_orphaned(struct daemon *d, const struct kernel_route *r)
{
	if (!persist_restarting(d))
		return false;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next_all)
		for (struct child_sa *c = sa->children; c; c = c->next)
			for (size_t i = 0; i < c->nroutes; i++)
				if (c->routes[i].ifindex == r->ifindex && c->routes[i].bits == r->bits &&
				    addr_equal(&c->routes[i].dst, &r->dst) &&
				    c->routes[i].table == r->table)
					return false;
	return true;
}

static void add_route(const struct addr *a, unsigned int bits, void *arg)
{
	struct route_ctx *rc = arg;
	struct child_sa *c = rc->c;
	struct daemon *d = c->ike->d;
	struct kernel_route *r;
	char s[ADDR_STRLEN];
	int rc_add;

	if (c->nroutes == CHILD_ROUTES_MAX) {
		sa_log(c->ike, LOG_KNL, 0, "CHILD_SA %s: more than %d routes, skipping %s/%u",
		       c->cfg->name, CHILD_ROUTES_MAX, addr_str(a, s, sizeof(s)), bits);
		return;
	}
	r = &c->routes[c->nroutes];
	memset(r, 0, sizeof(*r));
	r->ifindex = c->ifindex;
	r->table = d->cfg->set.route_table;
	r->dst = *a;
	r->bits = (uint8_t)bits;
	if (rc->src.family == a->family)
		r->src = rc->src;
	rc_add = d->kernel->ops->route_add(d->kernel, r);
	if (rc_add && !(rc_add == -EEXIST && route_orphaned(d, r))) {
		/* EEXIST: another CHILD_SA (or the admin) has it; not ours to remove. */
		sa_log(c->ike, LOG_KNL, 1, "CHILD_SA %s: route %s/%u: %s", c->cfg->name,
		       addr_str(a, s, sizeof(s)), bits, d->kernel->error);
		return;
	}
	c->nroutes++;
}

void child_sa_add_routes(struct child_sa *c)
{
	struct daemon *d = c->ike->d;

	/* A per-CPU SA's packets reach the device by its fallback's routes. */
	if (c->pcpu && !c->pcpu_fallback)
		return;

	for (size_t i = 0; i < c->nts_remote; i++) {
		struct route_ctx rc = { .c = c };

		/* Our source address inside the local selectors, so the host's
		 * own packets match them; transport mode: our IKE address. */
		if (c->mode == MODE_TRANSPORT) {
			rc.src = c->ike->local.addr;
		} else {
			/* A virtual IP the gateway gave us, first. */
			for (size_t j = 0; j < c->ike->cp.nvip && !rc.src.family; j++)
				if (c->ike->cp.vip[j].family == c->ts_remote[i].family)
					rc.src = c->ike->cp.vip[j];
			for (size_t j = 0; j < c->nts_local && !rc.src.family; j++)
				if (c->ts_local[j].family == c->ts_remote[i].family &&
				    d->kernel->ops->local_addr_in(d->kernel, &c->ts_local[j], &rc.src))
					memset(&rc.src, 0, sizeof(rc.src));
		}
		ts_prefixes(&c->ts_remote[i], add_route, &rc);
	}
}

void child_sa_uninstall(struct child_sa *c)
{
	struct daemon *d = c->ike->d;
	struct kernel *k = d->kernel;
	bool had;

	cp_updown(c, false);
	for (size_t i = 0; i < c->nroutes; i++)
		if (k->ops->route_del(k, &c->routes[i]))
			sa_log(c->ike, LOG_KNL, 1, "CHILD_SA %s: removing a route: %s", c->cfg->name,
			       k->error);
	c->nroutes = 0;
	had = c->kid_in || c->kid_out;
	child_sa_remove(c, KERNEL_OUT);
	child_sa_remove(c, KERNEL_IN);
	if (had)
		persist_mark(d);
	if (had)
		sa_log(c->ike, LOG_CHD, 0, "CHILD_SA %s{%u} deleted: SPIs %08x_i %08x_o",
		       c->cfg->name, c->reqid, c->spi_in, c->spi_out);
}

void child_sa_remove(struct child_sa *c, enum kernel_dir dir)
{
	struct kernel *k = c->ike->d->kernel;
	uint32_t *kid = dir == KERNEL_OUT ? &c->kid_out : &c->kid_in;
	uint32_t spi = dir == KERNEL_OUT ? c->spi_out : c->spi_in;
	const char *what = dir == KERNEL_OUT ? "outbound" : "inbound";
	struct kernel_counters cnt;
	bool counted;

	if (!*kid)
		return;
	/* Its counters last: what it carried in all, for the log (a
	 * replaced pair drained when the peer's inbound SA counted what
	 * our outbound one sent). */
	counted = !k->ops->sa_counters(k, c->ifindex, *kid, &cnt);
	if (k->ops->sa_del(k, c->ifindex, *kid))
		sa_log(c->ike, LOG_KNL, 0, "CHILD_SA %s: removing %s SA %08x: %s",
		       c->cfg->name, what, spi, k->error);
	else if (counted)
		sa_log(c->ike, LOG_CHD, 1, "CHILD_SA %s{%u}: %s SA %08x removed after %" PRIu64
		       " packets, %" PRIu64 " bytes", c->cfg->name, c->reqid, what, spi,
		       cnt.packets, cnt.bytes);
	*kid = 0;
}

/* ---- lifetimes ----------------------------------------------------------- */

void child_sa_established(struct child_sa *c)
{
	struct daemon *d = c->ike->d;
	const struct child_cfg *cc = c->cfg;
	char l[512], r[512], algs[128];
	struct child_sa *old = NULL;

	/* Another installed pair of the same reqid: this one is its rekey. */
	for (struct child_sa *o = c->ike->children; o; o = o->next)
		if (o != c && o->reqid == c->reqid &&
		    (o->state == CHILD_S_INSTALLED || o->state == CHILD_S_REKEYING))
			old = o;
	c->state = CHILD_S_INSTALLED;
	c->installed_at = d->now;
	c->is_rekey = old != NULL;
	d->st.child_installed++;
	persist_mark(d);
	ike_wipe(c->keymat, sizeof(c->keymat));
	c->keymat_len = 0;
	sa_log(c->ike, LOG_CHD, 0, "CHILD_SA %s{%u} established: SPIs %08x_i %08x_o, %s, %s%s, "
	       "TS %s === %s", cc->name, c->reqid, c->spi_in, c->spi_out,
	       child_sa_algs(c, algs, sizeof(algs)),
	       c->mode == MODE_TRANSPORT ? "transport" : "tunnel",
	       c->encap ? " in UDP" : "", ts_list_str(c->ts_local, c->nts_local, l, sizeof(l)),
	       ts_list_str(c->ts_remote, c->nts_remote, r, sizeof(r)));
	if (cc->rekey_time) {
		uint64_t ms = cc->rekey_time * 1000ULL, jitter = 0;

		if (cc->rand_time) {
			uint32_t rnd = 0;

			ike_random(&rnd, sizeof(rnd));
			jitter = rnd % (cc->rand_time * 1000ULL + 1);
		}
		timer_arm(d, &c->t_rekey, jitter < ms ? ms - jitter : 0);
	}
	if (cc->life_time)
		timer_arm(d, &c->t_expire, cc->life_time * 1000ULL);
	/* A rekey's successor carries on what the old pair's updown set up. */
	if (old) {
		c->updown_up = old->updown_up;
		old->updown_up = false;
	} else {
		cp_updown(c, true);
	}
	if (d->on_event) {
		char spis[32];

		if (old)
			snprintf(spis, sizeof(spis), "%08x_i %08x_o", old->spi_in, old->spi_out);
		daemon_event(d, old ? "child-rekeyed" : "child-up", c->ike, c, NULL,
			     old ? "replaces" : NULL, old ? spis : NULL);
	}
	persist_child_up(c);
}

void child_sa_take_routes(struct child_sa *new, struct child_sa *old)
{
	memcpy(new->routes, old->routes, old->nroutes * sizeof(old->routes[0]));
	new->nroutes = old->nroutes;
	old->nroutes = 0;
}

void child_sa_retire(struct child_sa *c, enum child_state state)
{
	c->state = state;
	persist_mark(c->ike->d);
	timer_cancel(c->ike->d, &c->t_rekey);
	timer_cancel(c->ike->d, &c->t_expire);
	child_sa_remove(c, KERNEL_OUT);
	if (!timer_armed(&c->t_grace))
		timer_arm(c->ike->d, &c->t_grace, CHILD_GRACE_MS);
}

void child_sa_replaced(struct child_sa *old)
{
	child_sa_retire(old, CHILD_S_REKEYED);
	if (!old->ike->d->child_delete_delay_ms) {
		exchange_queue(old->ike, delete_child_task_new(old));
		return;
	}
	/* Its inbound SA stays until the DELETE is answered (grace_due). */
	old->delete_pending = true;
	timer_arm(old->ike->d, &old->t_delete, old->ike->d->child_delete_delay_ms);
}

void child_sa_peer_busy(struct ike_sa *sa)
{
	/* Switching on our own now and deleting the old pair would cross the
	 * peer's rekey: it would take the DELETE for its old pair as a reason
	 * to drop the new one (charon does; so do we, cc_redundant()). */
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->state == CHILD_S_INSTALLING && c->replaces && timer_armed(&c->t_grace))
			timer_arm(sa->d, &c->t_grace, CHILD_SWITCH_MS);
}

void child_sa_switch(struct child_sa *c, struct child_sa *old)
{
	timer_cancel(c->ike->d, &c->t_grace);
	c->replaces = 0;
	if (child_sa_install(c, KERNEL_OUT)) {
		c->ike->d->st.child_failed++;
		child_sa_uninstall(c);
		exchange_queue(c->ike, delete_child_task_new(c));
		return;
	}
	if (old)
		child_sa_take_routes(c, old);
	else
		child_sa_add_routes(c);
	child_sa_established(c);
}

/* ---- negotiation helpers (IKE_AUTH and CREATE_CHILD_SA) ------------------- */

size_t child_resolve_ts(const struct ts *cfg, size_t n, const struct addr *host, struct ts *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = cfg[i];
		if (out[i].dynamic)
			ts_resolve(&out[i], host);
	}
	return n;
}

bool child_ts_payload(const struct ike_msg *m, uint8_t type, struct ts *out, size_t *n)
{
	const struct ike_payload *pl = msg_find(m, type);

	*n = 0;
	if (!pl)
		return false;
	for (unsigned int i = 0; i < pl->u.ts.nts && *n < CONF_MAX_TS; i++)
		if (ts_from_wire(&pl->u.ts.ts[i], &out[*n]))
			(*n)++;
	return *n > 0;
}

void child_add_ts(struct msg_out *m, uint8_t type, const struct ts *ts, size_t n)
{
	struct ike_ts *w = msg_add_ts(m, type, n);

	for (size_t i = 0; i < n && !m->overflow; i++)
		ts_to_wire(&ts[i], &w[i]);
}

void child_add_esp_sa(struct msg_out *m, const struct ike_proposal *p, size_t n, uint32_t spi,
		      bool strip_dh)
{
	struct ike_proposal *props = msg_add_sa(m, n);

	for (size_t i = 0; i < n && !m->overflow; i++) {
		struct ike_proposal *q = &props[i];

		*q = p[i];
		q->num = n > 1 || !p[i].num ? (uint8_t)(i + 1) : p[i].num;
		q->protocol = IKE_PROTO_ESP;
		q->spi_size = 4;
		q->spi[0] = (uint8_t)(spi >> 24);
		q->spi[1] = (uint8_t)(spi >> 16);
		q->spi[2] = (uint8_t)(spi >> 8);
		q->spi[3] = (uint8_t)spi;
		if (strip_dh) {
			/* IKE_AUTH's CHILD_SA has no KE of its own (§1.2). */
			unsigned int k = 0;

			for (unsigned int j = 0; j < q->ntrans; j++)
				if (q->trans[j].type != IKE_TRANS_DH)
					q->trans[k++] = q->trans[j];
			q->ntrans = (uint8_t)k;
		}
	}
}

uint32_t child_proposal_spi(const struct ike_proposal *p)
{
	return (uint32_t)p->spi[0] << 24 | (uint32_t)p->spi[1] << 16 | (uint32_t)p->spi[2] << 8 |
	       p->spi[3];
}

bool child_error_notify(uint16_t type)
{
	switch (type) {
	case IKE_N_NO_PROPOSAL_CHOSEN:
	case IKE_N_INVALID_KE_PAYLOAD:
	case 34: /* SINGLE_PAIR_REQUIRED */
	case 35: /* NO_ADDITIONAL_SAS */
	case 36: /* INTERNAL_ADDRESS_FAILURE */
	case 37: /* FAILED_CP_REQUIRED */
	case IKE_N_TS_UNACCEPTABLE:
	case 39: /* INVALID_SELECTORS */
	case 43: /* TEMPORARY_FAILURE */
	case 44: /* CHILD_SA_NOT_FOUND */
	case IKE_N_TS_MAX_QUEUED:
		return true;
	}
	return false;
}

bool child_ts_within(const struct ts *got, size_t ngot, const struct ts *sent, size_t nsent)
{
	for (size_t i = 0; i < ngot; i++) {
		bool ok = false;

		for (size_t j = 0; j < nsent && !ok; j++)
			ok = ts_subset(&got[i], &sent[j]);
		if (!ok)
			return false;
	}
	return ngot > 0;
}

/* Host-to-host: every selector is exactly that side's IKE address. */
static bool host_to_host(const struct ts *ts, size_t n, const struct addr *h)
{
	for (size_t i = 0; i < n; i++)
		if (!ts_is_host(&ts[i], h))
			return false;
	return n > 0;
}

int child_choose(struct ike_sa *sa, const struct ike_msg *req, const struct child_cfg *only,
		 unsigned int flags, struct child_choice *ch, struct msg_out *resp)
{
	const struct conn *c = sa->conn;
	const struct ike_payload *spl = msg_find(req, IKE_PL_SA);
	struct ts tsi[CONF_MAX_TS], tsr[CONF_MAX_TS], local[CONF_MAX_TS], remote[CONF_MAX_TS];
	size_t ntsi, ntsr;
	const struct child_cfg *cc = NULL;
	char why[1024], a[512], b[512], ours[1024];

	memset(ch, 0, sizeof(*ch));
	if (!child_ts_payload(req, IKE_PL_TSI, tsi, &ntsi) ||
	    !child_ts_payload(req, IKE_PL_TSR, tsr, &ntsr)) {
		sa_log(sa, LOG_CHD, 0, "CHILD_SA refused: %s: answering TS_UNACCEPTABLE",
		       msg_find(req, IKE_PL_TSI) ? "no selector of a type we know" :
		       "the request has no TSi/TSr");
		msg_add_notify(resp, IKE_N_TS_UNACCEPTABLE, NULL, 0);
		return -1;
	}
	ours[0] = '\0';
	for (size_t i = 0; i < c->nchildren && !cc; i++) {
		const struct child_cfg *k = &c->children[i];
		size_t nlo, nre, off = strlen(ours);

		if (only && k != only)
			continue;
		nlo = cp_local_ts(sa, k, local);
		nre = cp_remote_ts(sa, k, remote);
		ch->nlocal = ts_narrow(local, nlo, tsr, ntsr, ch->local, CONF_MAX_TS);
		ch->nremote = ts_narrow(remote, nre, tsi, ntsi, ch->remote, CONF_MAX_TS);
		if (ch->nlocal && ch->nremote)
			cc = k;
		else if (off + 2 < sizeof(ours))
			snprintf(ours + off, sizeof(ours) - off, "%s%s: local %s, remote %s",
				 off ? "; " : "", k->name, ts_list_str(local, nlo, a, sizeof(a)),
				 ts_list_str(remote, nre, b, sizeof(b)));
	}
	if (!cc) {
		sa->d->st.child_failed++;
		sa_log(sa, LOG_CHD, 0, "CHILD_SA refused: the peer's TSi %s, TSr %s fit no child "
		       "(%s): answering TS_UNACCEPTABLE", ts_list_str(tsi, ntsi, a, sizeof(a)),
		       ts_list_str(tsr, ntsr, b, sizeof(b)), ours[0] ? ours : "no children");
		msg_add_notify(resp, IKE_N_TS_UNACCEPTABLE, NULL, 0);
		return -1;
	}
	if (!spl || ike_proposal_select(cc->esp, cc->nesp, spl->u.sa.prop, spl->u.sa.nprop, flags,
					&ch->chosen, why, sizeof(why)) ||
	    ch->chosen.protocol != IKE_PROTO_ESP || ch->chosen.spi_size != 4 ||
	    !child_proposal_spi(&ch->chosen)) {
		sa->d->st.child_failed++;
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s refused: no ESP proposal chosen: we accept %s; "
		       "the peer offered %s (%s): answering NO_PROPOSAL_CHOSEN", cc->name,
		       proposals_str(cc->esp, cc->nesp, a, sizeof(a)),
		       spl ? proposals_str(spl->u.sa.prop, spl->u.sa.nprop, b, sizeof(b)) : "nothing",
		       spl ? why : "no SA payload");
		msg_add_notify(resp, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return -1;
	}
	ch->cc = cc;
	/* strongSwan's rule: transport mode only if asked for, configured, and
	 * host to host; otherwise tunnel mode. */
	ch->transport = msg_find_notify(req, IKE_N_USE_TRANSPORT_MODE) &&
			cc->mode == MODE_TRANSPORT &&
			host_to_host(ch->remote, ch->nremote, &sa->remote.addr) &&
			host_to_host(ch->local, ch->nlocal, &sa->local.addr);
	return 0;
}

void child_sa_set_answer(struct child_sa *c, const struct ike_proposal *chosen, uint32_t spi_out,
			 bool transport, const struct ts *tsi, size_t ntsi, const struct ts *tsr,
			 size_t ntsr)
{
	c->prop = *chosen;
	c->spi_out = spi_out;
	c->mode = transport ? MODE_TRANSPORT : MODE_TUNNEL;
	memcpy(c->ts_local, tsi, ntsi * sizeof(tsi[0]));
	c->nts_local = ntsi;
	memcpy(c->ts_remote, tsr, ntsr * sizeof(tsr[0]));
	c->nts_remote = ntsr;
	c->encap = c->ike->nat_local || c->ike->nat_remote;
}

struct child_sa *child_sa_from_choice(struct ike_sa *sa, const struct child_choice *ch)
{
	uint32_t ifindex, spi = child_sa_alloc_spi(sa, ch->cc, &ifindex);
	struct child_sa *child = spi ? child_sa_new(sa, ch->cc) : NULL;

	if (!child)
		return NULL;
	child->ifindex = ifindex;
	child->spi_in = spi;
	child_sa_set_answer(child, &ch->chosen, child_proposal_spi(&ch->chosen), ch->transport,
			    ch->local, ch->nlocal, ch->remote, ch->nremote);
	return child;
}

/* After a response that carried new children: their outbound SAs and
 * routes (a rekey's successor waits for the old pair's DELETE). */
void child_sa_respond_done(struct ike_sa *sa)
{
	if (sa->rekeyed) {
		/* Our answer rekeyed the IKE SA: the rest happens on the new one. */
		ike_rekey_move_queue(sa);
		return;
	}
	for (struct child_sa *c = sa->children; c; c = c->next) {
		if (c->state != CHILD_S_INSTALLING || !c->kid_in || c->kid_out || c->replaces)
			continue;
		if (child_sa_install(c, KERNEL_OUT)) {
			sa->d->st.child_failed++;
			child_sa_uninstall(c);
			exchange_queue(sa, delete_child_task_new(c));
			continue;
		}
		child_sa_add_routes(c);
		child_sa_established(c);
	}
	if (sa->initial_contact) {
		sa->initial_contact = false;
		ike_auth_initial_contact(sa);
	}
}
