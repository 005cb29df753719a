// SPDX-License-Identifier: GPL-2.0
/*
 * CHILD SAs in kesp.ko: inbound SPIs from the module (SPI_ALLOC), keys from
 * KEYMAT (RFC 7296 §2.17), the SA pair with its selectors and, behind a
 * NAT, ESP in UDP; routes for the remote selectors through the device, and
 * everything removed again with the SA.
 *
 * The same code serves the first CHILD_SA of IKE_AUTH and, later,
 * CREATE_CHILD_SA (a rekey installs a new pair beside the old one: nothing
 * here assumes one pair per configuration).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

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
	c->next = ike->children;
	ike->children = c;
	return c;
}

void child_sa_free(struct child_sa *c)
{
	ike_wipe(c, sizeof(*c));
	free(c);
}

struct child_sa *child_sa_find_out(struct ike_sa *ike, uint32_t spi_out)
{
	for (struct child_sa *c = ike->children; c; c = c->next)
		if (c->spi_out == spi_out)
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

int child_sa_install(struct child_sa *c, enum kernel_dir dir)
{
	struct ike_sa *ike = c->ike;
	struct daemon *d = ike->d;
	struct esp_algs a;
	struct kernel_sa *k;
	uint8_t keymat[4 * KERNEL_KEY_MAX];
	size_t total, off;
	struct ike_slice ni = { ike->ni, ike->ni_len }, nr = { ike->nr, ike->nr_len };
	bool i2r;
	char algs[128];
	uint32_t *kid = dir == KERNEL_IN ? &c->kid_in : &c->kid_out;
	int rc;

	if (!esp_algs(&c->prop, &a)) {
		sa_log(ike, LOG_CHD, 0, "CHILD_SA %s: kesp.ko has no ESP transform for %s",
		       c->cfg->name, child_sa_algs(c, algs, sizeof(algs)));
		return -1;
	}
	total = 2 * (a.enc_key + a.auth_key);
	if (ike_child_keymat(ike->prf, ike->keys.sk_d, ike->keys.prf_len, NULL, &ni, &nr, keymat,
			     total)) {
		sa_log(ike, LOG_CHD, 0, "CHILD_SA %s: key derivation failed", c->cfg->name);
		return -1;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		ike_wipe(keymat, sizeof(keymat));
		return -1;
	}
	/* §2.17: initiator-to-responder keys first, encryption before
	 * integrity. Inbound for the initiator is responder-to-initiator. */
	i2r = (dir == KERNEL_OUT) == ike->initiator;
	off = i2r ? 0 : a.enc_key + a.auth_key;
	memcpy(k->enc_key, keymat + off, a.enc_key);
	k->enc_key_len = a.enc_key;
	memcpy(k->auth_key, keymat + off + a.enc_key, a.auth_key);
	k->auth_key_len = a.auth_key;
	ike_wipe(keymat, sizeof(keymat));

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
	selectors(c, dir, k);
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

static void add_route(const struct addr *a, unsigned int bits, void *arg)
{
	struct route_ctx *rc = arg;
	struct child_sa *c = rc->c;
	struct daemon *d = c->ike->d;
	struct kernel_route *r;
	char s[ADDR_STRLEN];

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
	if (d->kernel->ops->route_add(d->kernel, r)) {
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

	for (size_t i = 0; i < c->nts_remote; i++) {
		struct route_ctx rc = { .c = c };

		/* Our source address inside the local selectors, so the host's
		 * own packets match them; transport mode: our IKE address. */
		if (c->mode == MODE_TRANSPORT) {
			rc.src = c->ike->local.addr;
		} else {
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

	for (size_t i = 0; i < c->nroutes; i++)
		if (k->ops->route_del(k, &c->routes[i]))
			sa_log(c->ike, LOG_KNL, 1, "CHILD_SA %s: removing a route: %s", c->cfg->name,
			       k->error);
	c->nroutes = 0;
	if (c->kid_out && k->ops->sa_del(k, c->ifindex, c->kid_out))
		sa_log(c->ike, LOG_KNL, 0, "CHILD_SA %s: removing outbound SA %08x: %s",
		       c->cfg->name, c->spi_out, k->error);
	if (c->kid_in && k->ops->sa_del(k, c->ifindex, c->kid_in))
		sa_log(c->ike, LOG_KNL, 0, "CHILD_SA %s: removing inbound SA %08x: %s",
		       c->cfg->name, c->spi_in, k->error);
	if (c->kid_in || c->kid_out)
		sa_log(c->ike, LOG_CHD, 0, "CHILD_SA %s{%u} deleted: SPIs %08x_i %08x_o",
		       c->cfg->name, c->reqid, c->spi_in, c->spi_out);
	c->kid_in = c->kid_out = 0;
}
