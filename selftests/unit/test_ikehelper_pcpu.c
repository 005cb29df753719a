// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU CHILD_SAs (RFC 9611) between two ikehelper state machines on
 * fake kernels: SA_RESOURCE_INFO on the first CHILD_SA makes it the
 * fallback (its outbound SA asks kesp.ko for per-CPU ACQUIREs); a per-CPU
 * ACQUIRE brings one more CHILD_SA of the same selectors whose outbound SA
 * serves that CPU, and the responder's serves a CPU of its own; repeated
 * ACQUIREs ask once; a rekey keeps the CPU; per_cpu_sas_max answers
 * TS_MAX_QUEUED and the initiator waits before asking again; a peer
 * without per_cpu_sas (as strongSwan before 6.0) gets an ordinary
 * CHILD_SA and no ACQUIRE asks for more; with start_action = trap the
 * trap brings the fallback; a restart keeps every CHILD_SA's place.
 */
#include <unistd.h>

#include "ike_harness.h"
#include "tap.h"

static struct h_peer *alice, *bob;

/* Up with the extra child keys of each side (bob has 2 CPUs); alice's
 * child, or NULL. */
static struct child_sa *start(const char *ca, const char *cb)
{
	struct child_sa *c = h_nets_up(&alice, &bob, ca, cb);

	bob->d->ncpus = 2;
	return c;
}

/* kesp.ko: CPU sent on alice's outbound SA FALLBACK. */
static void pcpu_acquire_event(const struct child_sa *fallback, uint32_t cpu)
{
	struct kernel_event ev = {
		.type = KERNEL_EV_ACQUIRE, .ifindex = fallback->ifindex, .reqid = fallback->reqid,
		.has_cpu = true, .cpu = cpu, .sa_id = fallback->kid_out,
	};
	char why[64];

	ts_parse("10.1.0.1", &ev.packet.src, why, sizeof(why));
	ts_parse("10.2.0.1", &ev.packet.dst, why, sizeof(why));
	kernel_fake_event(alice->k, &ev);
}

static size_t wire_count(void)
{
	size_t n = 0;

	for (struct h_pkt *p = h_wire; p; p = p->next)
		n++;
	return n;
}

/* P's installed CHILD_SA whose outbound SA serves CPU, or NULL. */
static struct child_sa *serving(struct h_peer *p, uint32_t cpu)
{
	for (struct child_sa *c = h_sa(p)->children; c; c = c->next)
		if (c->state == CHILD_S_INSTALLED && c->has_cpu && c->cpu == cpu)
			return c;
	return NULL;
}

static size_t installed(struct h_peer *p)
{
	size_t n = 0;

	for (struct child_sa *c = h_sa(p)->children; c; c = c->next)
		n += c->state == CHILD_S_INSTALLED;
	return n;
}

static bool same_selectors(const struct kernel_sa *a, const struct kernel_sa *b)
{
	return a && b && a->nsel == b->nsel && !memcmp(a->sel, b->sel, a->nsel * sizeof(a->sel[0]));
}

static void test_fallback_and_cpu_sas(void)
{
	struct child_sa *fb = start("per_cpu_sas = yes", "per_cpu_sas = yes");
	struct child_sa *bfb = h_only_child(bob), *a1, *b1, *a1r;
	const struct kernel_sa *afo, *bfo, *a1o, *b1o, *a1ro;
	size_t routes;

	afo = fb ? kernel_fake_sa(alice->k, KERNEL_OUT, fb->spi_out) : NULL;
	bfo = bfb ? kernel_fake_sa(bob->k, KERNEL_OUT, bfb->spi_out) : NULL;
	tap_ok(fb && fb->pcpu_fallback && afo && afo->pcpu_acquire && !afo->has_cpu &&
	       h_log_has("per-CPU SAs agreed (SA_RESOURCE_INFO): this is the fallback", NULL),
	       "both per_cpu_sas: alice's first CHILD_SA is the fallback, its outbound SA asks "
	       "for per-CPU ACQUIREs");
	tap_ok(bfb && bfb->pcpu_fallback && bfo && !bfo->pcpu_acquire && !bfo->has_cpu,
	       "bob's is the fallback too, and his outbound SA does not ask (he answers asks)");
	if (!fb || !bfb) {
		h_reset();
		return;
	}
	routes = kernel_fake_route_count(alice->k);
	pcpu_acquire_event(fb, 1);
	tap_ok(wire_count() == 1 && h_head_exchange() == IKE_CREATE_CHILD_SA,
	       "a per-CPU ACQUIRE for CPU 1: alice asks bob (CREATE_CHILD_SA)");
	pcpu_acquire_event(fb, 1);
	tap_ok(wire_count() == 1, "the same CPU's next ACQUIRE while it is asked: ignored");
	h_run();
	a1 = serving(alice, 1);
	b1 = serving(bob, 0);
	a1o = a1 ? kernel_fake_sa(alice->k, KERNEL_OUT, a1->spi_out) : NULL;
	b1o = b1 ? kernel_fake_sa(bob->k, KERNEL_OUT, b1->spi_out) : NULL;
	tap_ok(installed(alice) == 2 && a1 && a1->pcpu && !a1->pcpu_fallback && a1o &&
	       a1o->has_cpu && a1o->cpu == 1 && !a1o->pcpu_acquire && same_selectors(a1o, afo),
	       "alice: a second CHILD_SA, its outbound SA bound to CPU 1, the fallback's "
	       "selectors");
	tap_ok(installed(bob) == 2 && b1 && b1->spi_in == a1->spi_out && b1o && b1o->has_cpu &&
	       b1o->cpu == 0 && h_log_has("a per-CPU SA, the peer's resource 1; ours serves CPU 0", NULL),
	       "bob: the same pair, his outbound SA bound to his free CPU 0");
	tap_ok(kernel_fake_route_count(alice->k) == routes && fb->state == CHILD_S_INSTALLED,
	       "no route added for it (the fallback's route the device), the fallback stays");
	pcpu_acquire_event(fb, 1);
	tap_ok(!h_wire, "an ACQUIRE of CPU 1 once it has its SA: ignored");

	child_rekey_start(a1);
	h_run();
	a1r = serving(alice, 1);
	a1ro = a1r ? kernel_fake_sa(alice->k, KERNEL_OUT, a1r->spi_out) : NULL;
	tap_ok(a1r && a1r != a1 && a1ro && a1ro->has_cpu && a1ro->cpu == 1 && serving(bob, 0) &&
	       serving(bob, 0)->spi_in == a1r->spi_out && installed(alice) == 2,
	       "CPU 1's SA rekeyed: the new pair serves CPU 1 here and CPU 0 at bob");
	child_rekey_start(fb);
	h_run();
	fb = NULL;
	for (struct child_sa *c = h_sa(alice)->children; c; c = c->next)
		if (c->state == CHILD_S_INSTALLED && c->pcpu_fallback)
			fb = c;
	afo = fb ? kernel_fake_sa(alice->k, KERNEL_OUT, fb->spi_out) : NULL;
	tap_ok(fb && afo && afo->pcpu_acquire && !afo->has_cpu && installed(alice) == 2,
	       "the fallback rekeyed: the new one still asks for per-CPU ACQUIREs");
	h_reset();
}

static void test_max_queued(void)
{
	struct child_sa *fb = start("per_cpu_sas = yes", "per_cpu_sas = yes\n  per_cpu_sas_max = 1");

	if (!fb) {
		tap_ok(false, "per_cpu_sas_max: up");
		h_reset();
		return;
	}
	pcpu_acquire_event(fb, 0);
	h_run();
	pcpu_acquire_event(fb, 1);
	h_run();
	tap_ok(installed(alice) == 2 && serving(alice, 0) && !serving(alice, 1) &&
	       installed(bob) == 2 && h_log_has("answering TS_MAX_QUEUED", NULL) &&
	       h_log_has("CPU 1 keeps sending on the fallback SA, asking again in 60 s", NULL),
	       "bob's per_cpu_sas_max = 1: CPU 0 gets its SA, CPU 1's ask is answered "
	       "TS_MAX_QUEUED, no CHILD_SA for it on either side");
	tap_ok(h_sa(alice)->state == IKE_S_ESTABLISHED && fb->state == CHILD_S_INSTALLED,
	       "the refusal costs neither the IKE SA nor the fallback");
	pcpu_acquire_event(fb, 1);
	tap_ok(!h_wire, "CPU 1's next ACQUIRE within the minute: not asked again");
	h_advance(61000);
	h_run();
	pcpu_acquire_event(fb, 1);
	tap_ok(wire_count() == 1 && h_head_exchange() == IKE_CREATE_CHILD_SA,
	       "a minute later CPU 1 is asked for again");
	h_reset();
}

/* parallel_crypto = yes: the fallback's SAs spread their crypto over the
 * CPUs (KESP_SA_F_PARALLEL); a per-CPU CHILD_SA's keep to their CPU. */
static void test_parallel(void)
{
	struct child_sa *fb = start("per_cpu_sas = yes\n parallel_crypto = yes",
				    "per_cpu_sas = yes\n parallel_crypto = yes");
	const struct kernel_sa *out, *in;
	struct child_sa *a1;

	out = fb ? kernel_fake_sa(alice->k, KERNEL_OUT, fb->spi_out) : NULL;
	in = fb ? kernel_fake_sa(alice->k, KERNEL_IN, fb->spi_in) : NULL;
	tap_ok(out && out->parallel && in && in->parallel,
	       "parallel_crypto: both of the fallback's SAs have parallel crypto");
	if (!fb) {
		h_reset();
		return;
	}
	pcpu_acquire_event(fb, 1);
	h_run();
	a1 = serving(alice, 1);
	out = a1 ? kernel_fake_sa(alice->k, KERNEL_OUT, a1->spi_out) : NULL;
	in = a1 ? kernel_fake_sa(alice->k, KERNEL_IN, a1->spi_in) : NULL;
	tap_ok(out && !out->parallel && out->has_cpu && in && !in->parallel,
	       "parallel_crypto: CPU 1's CHILD_SA keeps its crypto on its CPU, both ways");
	h_reset();
}

static void test_peer_without(void)
{
	struct child_sa *c = start("per_cpu_sas = yes", "");
	const struct kernel_sa *o = c ? kernel_fake_sa(alice->k, KERNEL_OUT, c->spi_out) : NULL;
	struct child_sa *b = h_only_child(bob);

	tap_ok(c && !c->pcpu && o && !o->pcpu_acquire && !o->has_cpu && b && !b->pcpu &&
	       h_log_has("the peer did not answer SA_RESOURCE_INFO: an ordinary CHILD_SA", NULL),
	       "bob without per_cpu_sas (ignores the notify): an ordinary CHILD_SA, alice logs why");
	if (c)
		pcpu_acquire_event(c, 1);
	tap_ok(!h_wire, "a per-CPU ACQUIRE for it asks nothing");
	h_reset();
	c = start("", "per_cpu_sas = yes");
	b = h_only_child(bob);
	tap_ok(c && !c->pcpu && b && !b->pcpu, "alice without per_cpu_sas: bob's alone is not "
	       "enough, no per-CPU set");
	h_reset();
}

/* start_action = trap, as strongSwan 6 wants per_cpu_sas: the trap's
 * ACQUIRE brings the fallback, per-CPU ACQUIREs the rest. */
static void test_trap(void)
{
	struct child_sa *fb;

	h_pair(&alice, &bob, h_nets_conf(0, "per_cpu_sas = yes\n  start_action = trap"),
	       h_nets_conf(1, "per_cpu_sas = yes"));
	daemon_start_all(alice->d);
	h_acquire(alice, "10.1.0.1", "10.2.0.1");
	h_run();
	fb = h_sa(alice) ? h_only_child(alice) : NULL;
	tap_ok(fb && fb->pcpu_fallback && fb->pcpu_acquire && kernel_fake_trap_count(alice->k) == 1,
	       "start_action = trap: the trap's ACQUIRE brings the fallback; the trap stays");
	if (fb) {
		pcpu_acquire_event(fb, 1);
		h_run();
	}
	tap_ok(fb && serving(alice, 1) && installed(alice) == 2 && kernel_fake_trap_count(alice->k) == 1,
	       "then CPU 1's per-CPU ACQUIRE brings its CHILD_SA beside it");
	h_reset();
}

/* kill -9 and a restart that adopts the tunnels: each keeps its place. */
static void test_restart(void)
{
	char dir[] = "/tmp/kesp-pcpu.XXXXXX", path[64];
	static struct h_wait w;
	struct child_sa *fb = NULL, *a1;

	if (!mkdtemp(dir)) {
		tap_ok(false, "restart: a state directory");
		return;
	}
	h_pair(&alice, &bob, h_nets_conf(0, "per_cpu_sas = yes"), h_nets_conf(1, "per_cpu_sas = yes"));
	if (persist_open(alice->d, dir) || !h_up(alice, "peer", &w))
		printf("# restart: setup failed\n");
	h_run();
	fb = h_only_child(alice);
	if (fb)
		pcpu_acquire_event(fb, 1);
	h_run();
	persist_flush(alice->d);
	h_crash(alice);
	h_restart(alice, h_nets_conf(0, "per_cpu_sas = yes"), dir);
	fb = NULL;
	for (struct child_sa *c = h_sa(alice) ? h_sa(alice)->children : NULL; c; c = c->next)
		if (c->pcpu_fallback)
			fb = c;
	a1 = h_sa(alice) ? serving(alice, 1) : NULL;
	tap_ok(fb && fb->pcpu_acquire && a1 && a1->pcpu && installed(alice) == 2,
	       "a restart adopts the fallback (still asking) and CPU 1's CHILD_SA (still CPU 1's)");
	if (fb)
		pcpu_acquire_event(fb, 1);
	tap_ok(fb && !h_wire, "after it, CPU 1's ACQUIRE asks nothing: it has its SA");
	h_reset();
	snprintf(path, sizeof(path), "%s/ikehelper.state", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ikehelper.key", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	if (ike_crypto_init())
		return 1;
	test_fallback_and_cpu_sas();
	test_max_queued();
	test_parallel();
	test_peer_without();
	test_trap();
	test_restart();
	h_reset();
	log_set_sink(NULL, NULL);
	ike_crypto_deinit();
	return tap_done();
}
