// SPDX-License-Identifier: GPL-2.0
/*
 * The in-memory kernel backend: kesp.ko's rules that matter to the daemon
 * (inbound SPIs unique and reserved before use, an SA named by its id, a
 * device per name, routes unique per table and prefix), so unit tests and
 * the fuzzer can check that every exchange leaves exactly the kernel state
 * it should, and can make any operation fail.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define FAKE_MAX 4096

struct fake_sa {
	struct kernel_sa sa;
	uint32_t id;
	struct kernel_counters cnt;	/* kernel_fake_traffic(), kernel_fake_count() */
};

struct fake {
	struct kernel k;
	struct fake_sa *sas;
	size_t nsas, cap;
	uint32_t next_id;
	uint32_t reserved[FAKE_MAX];
	size_t nreserved;
	struct kernel_route routes[FAKE_MAX];
	size_t nroutes;
	char devs[16][IF_NAMESIZE];
	size_t ndevs;
	struct addr locals[16];
	size_t nlocals;
	struct addr vips[16];
	uint32_t vip_ifindex[16];
	size_t nvips;
	struct {
		char op[16];
		unsigned int n;
		int err;
	} fail;
	struct {
		struct kernel_sel sel;
		uint32_t ifindex, reqid, id;
	} traps[64];
	size_t ntraps;
	uint32_t next_trap;
	unsigned int del_misses;	/* sa_del of an SA that is not there */
};

static struct fake *F(struct kernel *k)
{
	return (struct fake *)k;
}

/* Whether the caller asked this operation to fail now. */
static int failing(struct fake *f, const char *op)
{
	if (f->fail.n && !strcmp(f->fail.op, op)) {
		f->fail.n--;
		snprintf(f->k.error, sizeof(f->k.error), "%s failed (test)", op);
		return f->fail.err;
	}
	return 0;
}

static int fail_with(struct fake *f, int err, const char *msg)
{
	snprintf(f->k.error, sizeof(f->k.error), "%s", msg);
	return err;
}

static int dev_setup(struct kernel *k, const char *name, uint32_t fwmark, uint32_t table,
		     uint32_t prio, uint32_t *ifindex)
{
	struct fake *f = F(k);
	int rc = failing(f, "dev_setup");

	(void)fwmark;
	(void)table;
	(void)prio;
	if (rc)
		return rc;
	for (size_t i = 0; i < f->ndevs; i++)
		if (!strcmp(f->devs[i], name)) {
			*ifindex = (uint32_t)i + 10;
			return 0;
		}
	if (f->ndevs == 16)
		return fail_with(f, -ENOSPC, "too many devices");
	snprintf(f->devs[f->ndevs], IF_NAMESIZE, "%s", name);
	*ifindex = (uint32_t)f->ndevs++ + 10;
	return 0;
}

static int encap_attach(struct kernel *k, uint32_t ifindex, int fd)
{
	(void)ifindex;
	(void)fd;
	return failing(F(k), "encap_attach");
}

static bool spi_used(struct fake *f, uint32_t spi)
{
	for (size_t i = 0; i < f->nreserved; i++)
		if (f->reserved[i] == spi)
			return true;
	for (size_t i = 0; i < f->nsas; i++)
		if (f->sas[i].sa.dir == KERNEL_IN && f->sas[i].sa.spi == spi)
			return true;
	return false;
}

static int spi_alloc(struct kernel *k, uint32_t ifindex, uint32_t *spi)
{
	struct fake *f = F(k);
	int rc = failing(f, "spi_alloc");

	(void)ifindex;
	if (rc)
		return rc;
	if (f->nreserved == FAKE_MAX)
		return fail_with(f, -ENOSPC, "no SPI left");
	do {
		ike_random(spi, sizeof(*spi));
	} while (*spi < 256 || spi_used(f, *spi));
	f->reserved[f->nreserved++] = *spi;
	return 0;
}

static int sa_add(struct kernel *k, const struct kernel_sa *sa, uint32_t *id)
{
	struct fake *f = F(k);
	int rc = failing(f, "sa_add");

	if (rc)
		return rc;
	if (sa->dir == KERNEL_IN) {
		bool reserved = false;

		for (size_t i = 0; i < f->nreserved; i++)
			if (f->reserved[i] == sa->spi) {
				f->reserved[i] = f->reserved[--f->nreserved];
				reserved = true;
				break;
			}
		if (!reserved)
			return fail_with(f, -EEXIST, "inbound SPI neither reserved nor free");
	}
	for (size_t i = 0; i < f->nsas; i++)
		if (f->sas[i].sa.dir == sa->dir && f->sas[i].sa.spi == sa->spi &&
		    (sa->dir == KERNEL_IN || addr_equal(&f->sas[i].sa.dst, &sa->dst)))
			return fail_with(f, -EEXIST, "an SA with that SPI exists");
	if (!sa->aead_name && (!sa->enc_name || !sa->auth_name))
		return fail_with(f, -EINVAL, "no algorithms");
	if (f->nsas == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct fake_sa *v = realloc(f->sas, cap * sizeof(*v));

		if (!v)
			return fail_with(f, -ENOMEM, "no memory");
		f->sas = v;
		f->cap = cap;
	}
	f->sas[f->nsas].sa = *sa;
	f->sas[f->nsas].id = *id = ++f->next_id;
	memset(&f->sas[f->nsas].cnt, 0, sizeof(f->sas[f->nsas].cnt));
	f->nsas++;
	return 0;
}

/* OP on the SA with ID on IFINDEX: 0 with it in *S (index *I), the
 * failure the test asked for, or -ENOENT (*S NULL). */
static int lookup(struct fake *f, const char *op, uint32_t ifindex, uint32_t id,
		  struct fake_sa **s, size_t *i)
{
	int rc = failing(f, op);

	*s = NULL;
	if (rc)
		return rc;
	for (*i = 0; *i < f->nsas; (*i)++)
		if (f->sas[*i].id == id && f->sas[*i].sa.ifindex == ifindex) {
			*s = &f->sas[*i];
			return 0;
		}
	return fail_with(f, -ENOENT, "no such SA");
}

static int sa_del(struct kernel *k, uint32_t ifindex, uint32_t id)
{
	struct fake *f = F(k);
	struct fake_sa *s;
	size_t i;
	int rc = lookup(f, "sa_del", ifindex, id, &s, &i);

	if (rc) {
		f->del_misses += rc == -ENOENT;
		return rc;
	}
	ike_wipe(s, sizeof(*s));
	memmove(s, s + 1, (f->nsas - i - 1) * sizeof(*s));
	f->nsas--;
	return 0;
}

static int sa_list(struct kernel *k, uint32_t ifindex, kernel_sa_fn fn, void *arg)
{
	struct fake *f = F(k);
	int rc = failing(f, "sa_list");

	if (rc)
		return rc;
	for (size_t i = 0; i < f->nsas; i++) {
		const struct kernel_sa *s = &f->sas[i].sa;
		struct kernel_sa_id id = { f->sas[i].id, s->dir, s->spi, s->reqid, s->src, s->dst };

		if (s->ifindex == ifindex)
			fn(arg, &id);
	}
	return 0;
}

static int sa_move(struct kernel *k, uint32_t ifindex, uint32_t id, const struct addr *src,
		   const struct addr *dst, bool encap, uint16_t sport, uint16_t dport)
{
	struct fake *f = F(k);
	struct fake_sa *s;
	size_t i;
	int rc = lookup(f, "sa_move", ifindex, id, &s, &i);

	if (rc)
		return rc;
	if (encap != s->sa.encap)
		return fail_with(f, -EINVAL, "ports of an SA without them");
	s->sa.src = *src;
	s->sa.dst = *dst;
	if (encap) {
		s->sa.sport = sport;
		s->sa.dport = dport;
	}
	return 0;
}

static int sa_counters(struct kernel *k, uint32_t ifindex, uint32_t id,
		       struct kernel_counters *c)
{
	struct fake *f = F(k);

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < f->nsas; i++)
		if (f->sas[i].id == id && f->sas[i].sa.ifindex == ifindex) {
			*c = f->sas[i].cnt;
			return 0;
		}
	return fail_with(f, -ENOENT, "no such SA");
}

static bool same_route(const struct kernel_route *a, const struct kernel_route *b)
{
	return a->table == b->table && a->bits == b->bits && addr_equal(&a->dst, &b->dst);
}

static int route_add(struct kernel *k, const struct kernel_route *r)
{
	struct fake *f = F(k);
	int rc = failing(f, "route_add");

	if (rc)
		return rc;
	for (size_t i = 0; i < f->nroutes; i++)
		if (same_route(&f->routes[i], r))
			return fail_with(f, -EEXIST, "route exists");
	if (f->nroutes == FAKE_MAX)
		return fail_with(f, -ENOSPC, "too many routes");
	f->routes[f->nroutes++] = *r;
	return 0;
}

static int route_del(struct kernel *k, const struct kernel_route *r)
{
	struct fake *f = F(k);

	for (size_t i = 0; i < f->nroutes; i++)
		if (same_route(&f->routes[i], r)) {
			f->routes[i] = f->routes[--f->nroutes];
			return 0;
		}
	return fail_with(f, -ESRCH, "no such route");
}

static int local_addr_in(struct kernel *k, const struct ts *ts, struct addr *out)
{
	struct fake *f = F(k);

	for (size_t i = 0; i < f->nlocals; i++)
		if (ts_contains_addr(ts, &f->locals[i])) {
			*out = f->locals[i];
			return 0;
		}
	return -ENOENT;
}

static int trap_add(struct kernel *k, uint32_t ifindex, const struct kernel_sel *sel,
		    uint32_t reqid, uint32_t *id)
{
	struct fake *f = F(k);
	int rc = failing(f, "trap_add");

	if (rc)
		return rc;
	if (f->ntraps == sizeof(f->traps) / sizeof(f->traps[0]))
		return fail_with(f, -ENOSPC, "too many traps");
	f->traps[f->ntraps].sel = *sel;
	f->traps[f->ntraps].ifindex = ifindex;
	f->traps[f->ntraps].reqid = reqid;
	f->traps[f->ntraps].id = *id = ++f->next_trap;
	f->ntraps++;
	return 0;
}

static int trap_del(struct kernel *k, uint32_t ifindex, uint32_t id)
{
	struct fake *f = F(k);

	for (size_t i = 0; i < f->ntraps; i++)
		if (f->traps[i].id == id && f->traps[i].ifindex == ifindex) {
			memmove(&f->traps[i], &f->traps[i + 1],
				(f->ntraps - i - 1) * sizeof(f->traps[0]));
			f->ntraps--;
			return 0;
		}
	return fail_with(f, -ENOENT, "no such trap");
}

static int events_fd(struct kernel *k)
{
	(void)k;
	return -1;
}

static void events_read(struct kernel *k)
{
	(void)k;
}

static void destroy(struct kernel *k)
{
	struct fake *f = F(k);

	if (f->sas)
		ike_wipe(f->sas, f->cap * sizeof(f->sas[0]));
	free(f->sas);
	free(f);
}

static int addr_add(struct kernel *k, uint32_t ifindex, const struct addr *a, uint8_t bits)
{
	struct fake *f = F(k);
	int rc = failing(f, "addr_add");

	(void)bits;
	if (rc)
		return rc;
	for (size_t i = 0; i < f->nvips; i++)
		if (addr_equal(&f->vips[i], a))
			return fail_with(f, -EEXIST, "address exists");
	if (f->nvips == 16)
		return fail_with(f, -ENOSPC, "too many addresses");
	f->vip_ifindex[f->nvips] = ifindex;
	f->vips[f->nvips++] = *a;
	return 0;
}

static int addr_del(struct kernel *k, uint32_t ifindex, const struct addr *a, uint8_t bits)
{
	struct fake *f = F(k);

	(void)bits;
	for (size_t i = 0; i < f->nvips; i++)
		if (addr_equal(&f->vips[i], a) && f->vip_ifindex[i] == ifindex) {
			f->nvips--;
			f->vips[i] = f->vips[f->nvips];
			f->vip_ifindex[i] = f->vip_ifindex[f->nvips];
			return 0;
		}
	return fail_with(f, -EADDRNOTAVAIL, "no such address");
}

size_t kernel_fake_addr_count(struct kernel *k)
{
	return F(k)->nvips;
}

const struct addr *kernel_fake_addr_at(struct kernel *k, size_t i, uint32_t *ifindex)
{
	struct fake *f = F(k);

	if (i >= f->nvips)
		return NULL;
	if (ifindex)
		*ifindex = f->vip_ifindex[i];
	return &f->vips[i];
}

static const struct kernel_ops fake_ops = {
	.dev_setup = dev_setup,
	.encap_attach = encap_attach,
	.spi_alloc = spi_alloc,
	.sa_add = sa_add,
	.sa_del = sa_del,
	.sa_move = sa_move,
	.sa_counters = sa_counters,
	.sa_list = sa_list,
	.route_add = route_add,
	.route_del = route_del,
	.local_addr_in = local_addr_in,
	.addr_add = addr_add,
	.addr_del = addr_del,
	.trap_add = trap_add,
	.trap_del = trap_del,
	.events_fd = events_fd,
	.events_read = events_read,
	.destroy = destroy,
};

struct kernel *kernel_fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->k.ops = &fake_ops;
	return &f->k;
}

size_t kernel_fake_sa_count(struct kernel *k)
{
	return F(k)->nsas;
}

const struct kernel_sa *kernel_fake_sa(struct kernel *k, enum kernel_dir dir, uint32_t spi)
{
	struct fake *f = F(k);

	for (size_t i = 0; i < f->nsas; i++)
		if (f->sas[i].sa.dir == dir && f->sas[i].sa.spi == spi)
			return &f->sas[i].sa;
	return NULL;
}

const struct kernel_sa *kernel_fake_sa_at(struct kernel *k, size_t i)
{
	return i < F(k)->nsas ? &F(k)->sas[i].sa : NULL;
}

size_t kernel_fake_route_count(struct kernel *k)
{
	return F(k)->nroutes;
}

const struct kernel_route *kernel_fake_route_at(struct kernel *k, size_t i)
{
	return i < F(k)->nroutes ? &F(k)->routes[i] : NULL;
}

size_t kernel_fake_spis_reserved(struct kernel *k)
{
	return F(k)->nreserved;
}

void kernel_fake_fail(struct kernel *k, const char *op, unsigned int n, int err)
{
	struct fake *f = F(k);

	snprintf(f->fail.op, sizeof(f->fail.op), "%s", op);
	f->fail.n = n;
	f->fail.err = err;
}

void kernel_fake_add_local(struct kernel *k, const struct addr *a)
{
	struct fake *f = F(k);

	if (f->nlocals < 16)
		f->locals[f->nlocals++] = *a;
}

void kernel_fake_event(struct kernel *k, const struct kernel_event *ev)
{
	if (k->on_event)
		k->on_event(k->event_arg, ev);
}

int kernel_fake_expire(struct kernel *k, enum kernel_dir dir, uint32_t spi, bool hard,
		       enum kernel_expire_reason reason)
{
	struct fake *f = F(k);
	struct kernel_event ev = { .type = KERNEL_EV_EXPIRE, .dir = dir, .spi = spi,
				   .hard = hard, .reason = reason };

	for (size_t i = 0; i < f->nsas; i++)
		if (f->sas[i].sa.dir == dir && f->sas[i].sa.spi == spi) {
			ev.ifindex = f->sas[i].sa.ifindex;
			ev.id = f->sas[i].id;
			ev.reqid = f->sas[i].sa.reqid;
			if (hard) {
				unsigned int misses = f->del_misses;

				sa_del(k, ev.ifindex, ev.id);
				f->del_misses = misses;
			}
			kernel_fake_event(k, &ev);
			return 0;
		}
	return -ENOENT;
}

int kernel_fake_traffic(struct kernel *k, enum kernel_dir dir, uint32_t spi, uint64_t packets)
{
	return kernel_fake_count(k, dir, spi, packets, packets * 100);
}

size_t kernel_fake_trap_count(struct kernel *k)
{
	return F(k)->ntraps;
}

const struct kernel_sel *kernel_fake_trap_at(struct kernel *k, size_t i, uint32_t *id)
{
	struct fake *f = F(k);

	if (i >= f->ntraps)
		return NULL;
	if (id)
		*id = f->traps[i].id;
	return &f->traps[i].sel;
}

unsigned int kernel_fake_del_misses(struct kernel *k)
{
	return F(k)->del_misses;
}

int kernel_fake_count(struct kernel *k, enum kernel_dir dir, uint32_t spi, uint64_t packets,
		      uint64_t bytes)
{
	struct fake *f = F(k);

	for (size_t i = 0; i < f->nsas; i++)
		if (f->sas[i].sa.dir == dir && f->sas[i].sa.spi == spi) {
			f->sas[i].cnt.packets += packets;
			f->sas[i].cnt.bytes += bytes;
			return 0;
		}
	return -ENOENT;
}
