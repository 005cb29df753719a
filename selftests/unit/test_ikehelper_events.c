// SPDX-License-Identifier: GPL-2.0
/*
 * kesp.ko's events in the daemon, injected through the fake kernel
 * between two ikehelper state machines: the volume limits a CHILD_SA's
 * kernel SAs get, a soft EXPIRE starting the rekey, a hard one deleting
 * the CHILD_SA (DELETE to the peer, no SA removed twice), EXPIREs of a pair
 * already being rekeyed or deleted ignored.
 */
#include "ike_harness.h"
#include "tap.h"

static struct h_peer *alice, *bob;

/* Up with the extra child keys of each side; alice's child, or NULL. */
static struct child_sa *start(const char *ca, const char *cb)
{
	return h_nets_up(&alice, &bob, ca, cb);
}

/* Each side one pair, crossed SPIs, as the kernels hold them. */
static bool one_pair(void)
{
	struct child_sa *a = h_only_child(alice), *b = h_only_child(bob);

	return a && b && a->spi_in == b->spi_out && a->spi_out == b->spi_in &&
	       kernel_fake_sa_count(alice->k) == 2 && kernel_fake_sa_count(bob->k) == 2 &&
	       kernel_fake_sa(alice->k, KERNEL_IN, a->spi_in) &&
	       kernel_fake_sa(bob->k, KERNEL_IN, b->spi_in);
}

static size_t wire_count(void)
{
	size_t n = 0;

	for (struct h_pkt *p = h_wire; p; p = p->next)
		n++;
	return n;
}

static void test_limits_installed(void)
{
	struct child_sa *c = start("rekey_packets = 1000\n rand_packets = 0\n rekey_bytes = 1M",
				   "life_packets = 500");
	const struct kernel_sa *ai, *ao, *bi;
	bool in_range;

	ai = c ? kernel_fake_sa(alice->k, KERNEL_IN, c->spi_in) : NULL;
	ao = c ? kernel_fake_sa(alice->k, KERNEL_OUT, c->spi_out) : NULL;
	bi = c ? kernel_fake_sa(bob->k, KERNEL_IN, c->spi_out) : NULL;
	tap_ok(ai && ao && ai->soft_packets == 1000 && ai->hard_packets == 1100 &&
	       ao->soft_packets == 1000 && ao->hard_packets == 1100,
	       "rekey_packets 1000: both kernel SAs soft 1000, hard 1100 (110%%)");
	in_range = ai && ai->soft_bytes <= 1048576 && ai->soft_bytes >= 1048576 - 104857 &&
		   ai->hard_bytes == 1153433 && ao && ao->soft_bytes == ai->soft_bytes;
	tap_ok(in_range, "rekey_bytes 1M: soft within [rekey - rand, rekey], the same on both, "
	       "hard 110%% (soft %llu)", ai ? (unsigned long long)ai->soft_bytes : 0ULL);
	tap_ok(bi && bi->hard_packets == 500 && !bi->soft_packets && !bi->soft_bytes &&
	       !bi->hard_bytes, "bob's life_packets alone: a hard limit only");
	h_reset();
}

static void test_soft_rekeys(enum kernel_dir dir, enum kernel_expire_reason reason,
			     const char *what)
{
	struct child_sa *c = start("rekey_packets = 100", "");
	uint32_t in = c ? c->spi_in : 0, out = c ? c->spi_out : 0;

	tap_ok(c && !h_wire, "%s: up, quiet", what);
	if (!c)
		goto out;
	kernel_fake_expire(alice->k, dir, dir == KERNEL_IN ? in : out, false, reason);
	tap_ok(h_head_exchange() == IKE_CREATE_CHILD_SA && c->state == CHILD_S_REKEYING &&
	       h_log_has("soft", "limit", NULL),
	       "%s: soft EXPIRE starts the CHILD_SA rekey", what);
	kernel_fake_expire(alice->k, dir == KERNEL_IN ? KERNEL_OUT : KERNEL_IN,
			   dir == KERNEL_IN ? out : in, false, reason);
	tap_ok(wire_count() == 1 && h_log_has("while REKEYING: nothing to do", NULL),
	       "%s: the other SA's soft EXPIRE during the rekey is ignored", what);
	h_run();
	h_advance(CHILD_GRACE_MS + 10);
	tap_ok(one_pair() && h_only_child(alice)->spi_in != in && h_only_child(alice)->spi_out != out &&
	       kernel_fake_del_misses(alice->k) == 0 && kernel_fake_del_misses(bob->k) == 0,
	       "%s: one new pair on each side, old SAs gone, none removed twice", what);
out:
	h_reset();
}

static void test_hard_deletes(enum kernel_expire_reason reason, const char *what)
{
	struct child_sa *c = start("life_packets = 100\n rekey_time = 0\n life_time = 1h",
				   "rekey_time = 0");
	bool have;

	if (!c) {
		tap_ok(false, "%s: up", what);
		h_reset();
		return;
	}
	kernel_fake_expire(alice->k, KERNEL_IN, c->spi_in, true, reason);
	tap_ok(kernel_fake_sa_count(alice->k) == 0 && kernel_fake_route_count(alice->k) == 0 &&
	       h_head_exchange() == IKE_INFORMATIONAL && h_log_has("hard", "deleting", NULL),
	       "%s: hard EXPIRE of the inbound SA: the outbound one and routes go, DELETE sent",
	       what);
	h_run();
	have = h_sa(alice) && h_sa(bob);
	tap_ok(have && !h_sa(alice)->children && !h_sa(bob)->children &&
	       kernel_fake_sa_count(bob->k) == 0 && h_sa(alice)->state == IKE_S_ESTABLISHED,
	       "%s: the peer deletes its pair too; the IKE SA stays", what);
	tap_ok(kernel_fake_del_misses(alice->k) == 0 && kernel_fake_del_misses(bob->k) == 0,
	       "%s: no SA removed twice", what);
	h_reset();
}

/* A hard EXPIRE of the old pair while its rekey is out: nothing removed
 * twice, the rekey completes, one pair. */
static void test_hard_during_rekey(void)
{
	struct child_sa *c = start("rekey_packets = 100", "");
	uint32_t out = c ? c->spi_out : 0;

	if (!c) {
		tap_ok(false, "up");
		h_reset();
		return;
	}
	kernel_fake_expire(alice->k, KERNEL_IN, c->spi_in, false, KERNEL_EXPIRE_PACKETS);
	kernel_fake_expire(alice->k, KERNEL_OUT, out, true, KERNEL_EXPIRE_PACKETS);
	tap_ok(wire_count() == 1 && h_head_exchange() == IKE_CREATE_CHILD_SA,
	       "hard EXPIRE during the rekey: no DELETE, only the rekey on the wire");
	h_run();
	h_advance(CHILD_GRACE_MS + 10);
	tap_ok(one_pair() && h_only_child(alice)->spi_out != out &&
	       kernel_fake_del_misses(alice->k) == 0 && kernel_fake_del_misses(bob->k) == 0,
	       "hard EXPIRE during the rekey: the rekey completes, one pair, none removed twice");
	h_reset();
}

/* An EXPIRE of a pair being deleted, and of an SA we do not hold. */
static void test_expire_ignored(void)
{
	struct child_sa *c = start("life_time = 5s\n rekey_time = 0", "rekey_time = 0");
	uint32_t in = c ? c->spi_in : 0, kid_in = c ? c->kid_in : 0;
	struct kernel_event ev = { .type = KERNEL_EV_EXPIRE, .ifindex = 10, .id = 999,
				   .dir = KERNEL_OUT, .spi = 0x1234, .hard = true,
				   .reason = KERNEL_EXPIRE_BYTES };

	kernel_fake_event(alice->k, &ev);
	tap_ok(c && one_pair() && !h_wire, "EXPIRE of an SA not ours: nothing happens");
	if (!c) {
		h_reset();
		return;
	}
	h_advance(5000);
	tap_ok(wire_count() == 1 && h_head_exchange() == IKE_INFORMATIONAL,
	       "life_time: DELETE out");
	/* kesp.ko's own hard time limit of the same SA, its event late. */
	ev.id = kid_in;
	ev.dir = KERNEL_IN;
	ev.spi = in;
	ev.reason = KERNEL_EXPIRE_SECONDS;
	kernel_fake_event(alice->k, &ev);
	tap_ok(wire_count() == 1, "a late hard EXPIRE of the deleted pair: no second DELETE");
	h_run();
	tap_ok(kernel_fake_sa_count(alice->k) == 0 && kernel_fake_sa_count(bob->k) == 0 &&
	       kernel_fake_del_misses(alice->k) == 0, "both pairs gone, none removed twice");
	h_reset();
}

/* A packet from 10.1.0.1 to 10.2.0.1 hits alice's trap: its ACQUIRE. */
static void acquire(void)
{
	h_acquire(alice, "10.1.0.1", "10.2.0.1");
}

static void test_trap(void)
{
	const struct kernel_sel *sel;
	char l[128], r[128];
	size_t n;

	h_pair(&alice, &bob, h_nets_conf(0, "start_action = trap"), h_nets_conf(1, ""));
	daemon_start_all(alice->d);
	sel = kernel_fake_trap_at(alice->k, 0, NULL);
	tap_ok(kernel_fake_trap_count(alice->k) == 1 && sel &&
	       !strcmp(ts_list_str(&sel->src, 1, l, sizeof(l)), "10.1.0.0/24") &&
	       !strcmp(ts_list_str(&sel->dst, 1, r, sizeof(r)), "10.2.0.0/24") &&
	       kernel_fake_route_count(alice->k) == 1 && !h_wire && !h_sa(alice),
	       "start_action = trap: one trap 10.1.0.0/24 -> 10.2.0.0/24 and its route, "
	       "nothing sent (trap %s -> %s)", sel ? l : "-", sel ? r : "-");
	acquire();
	n = wire_count();
	tap_ok(n == 1 && h_head_exchange() == IKE_SA_INIT && h_count_sas(alice) == 1,
	       "ACQUIRE: alice initiates");
	acquire();
	acquire();
	tap_ok(wire_count() == n && h_count_sas(alice) == 1,
	       "further ACQUIREs while it negotiates: ignored");
	h_run();
	tap_ok(one_pair() && kernel_fake_trap_count(alice->k) == 1,
	       "the CHILD_SA is up; the trap stays");
	acquire();
	tap_ok(!h_wire && h_count_sas(alice) == 1, "an ACQUIRE while it is up: ignored");
	daemon_terminate(alice->d, "peer");
	h_run();
	daemon_reap(alice->d);
	tap_ok(!h_sa(alice) && kernel_fake_sa_count(alice->k) == 0 &&
	       kernel_fake_trap_count(alice->k) == 1 && kernel_fake_route_count(alice->k) == 1,
	       "closed: no SA, the trap and its route stay");
	acquire();
	h_run();
	tap_ok(one_pair(), "the next ACQUIRE brings it up again");
	daemon_free(alice->d);
	alice->d = NULL;
	tap_ok(kernel_fake_trap_count(alice->k) == 0 && kernel_fake_route_count(alice->k) == 0,
	       "the daemon gone: trap and route removed");
	h_reset();
}

/* dpd_action = trap: a peer that stops answering (here a rekey request;
 * DPD's empty INFORMATIONAL fails the same way) fails the IKE SA, the
 * child is trapped, and traffic brings it up again. */
static void test_dpd_trap(void)
{
	struct child_sa *c = start("dpd_action = trap\n rekey_time = 0", "rekey_time = 0");
	int i;

	tap_ok(c && kernel_fake_trap_count(alice->k) == 0, "dpd_action = trap: up, no trap yet");
	if (!c)
		goto out;
	child_rekey_start(c);
	for (i = 0; i < 400 && h_count_sas(alice); i++) {
		while (h_wire)
			h_drop();
		h_advance(1000);
	}
	h_advance(0);	/* the trap comes on the loop's next turn, after the routes went */
	tap_ok(!h_count_sas(alice) && kernel_fake_sa_count(alice->k) == 0 &&
	       kernel_fake_trap_count(alice->k) == 1 && kernel_fake_route_count(alice->k) == 1 &&
	       h_log_has("CHILD_SA net: the peer is dead, a trap in its place", NULL),
	       "a silent peer: SAs gone, the child trapped (trap and route)");
	acquire();
	tap_ok(h_head_exchange() == IKE_SA_INIT && h_count_sas(alice) == 1,
	       "traffic after that: alice initiates again");
out:
	h_reset();
}

/* close_action = trap: the peer deletes the CHILD_SA, then the IKE SA;
 * each time alice's child is trapped and traffic brings it back. */
static void test_close_trap(void)
{
	struct child_sa *c = start("close_action = trap\n rekey_time = 0", "rekey_time = 0");

	tap_ok(c && kernel_fake_trap_count(alice->k) == 0, "close_action = trap: up, no trap yet");
	if (!c)
		goto out;
	child_sa_expire(h_only_child(bob));
	h_run();
	h_advance(0);
	tap_ok(h_count_sas(alice) == 1 && !h_sa(alice)->children &&
	       kernel_fake_sa_count(alice->k) == 0 && kernel_fake_trap_count(alice->k) == 1 &&
	       kernel_fake_route_count(alice->k) == 1,
	       "the peer deletes the CHILD_SA: alice's child is trapped, the IKE SA stays");
	acquire();
	tap_ok(h_head_exchange() == IKE_CREATE_CHILD_SA, "traffic: a CREATE_CHILD_SA on it");
	h_run();
	tap_ok(one_pair() && kernel_fake_trap_count(alice->k) == 1, "the CHILD_SA is back");
	daemon_terminate(bob->d, "peer");
	h_run();
	daemon_reap(alice->d);
	h_advance(0);
	tap_ok(!h_count_sas(alice) && kernel_fake_trap_count(alice->k) == 1 &&
	       kernel_fake_route_count(alice->k) == 1, "the peer deletes the IKE SA: still trapped");
	acquire();
	tap_ok(h_head_exchange() == IKE_SA_INIT, "traffic: a new IKE SA");
	h_run();
	tap_ok(one_pair(), "and the CHILD_SA with it");
out:
	h_reset();
}

/* Without close_action the peer's DELETE leaves no trap. */
static void test_close_none(void)
{
	struct child_sa *c = start("rekey_time = 0", "rekey_time = 0");

	if (c) {
		child_sa_expire(h_only_child(bob));
		h_run();
	}
	tap_ok(c && !h_sa(alice)->children && kernel_fake_trap_count(alice->k) == 0 &&
	       kernel_fake_route_count(alice->k) == 0,
	       "close_action none: the peer's DELETE leaves no trap, no route");
	h_reset();
}

/* alice behind a NAT whose mapping changes: bob's ESP-in-UDP SAs stay on
 * the old mapping at the MAPPING event, and follow with alice's next
 * authenticated IKE request (RFC 7296 §2.23). */
static void test_mapping(void)
{
	struct child_sa *c;
	const struct kernel_sa *o, *i;
	struct kernel_event ev = { .type = KERNEL_EV_MAPPING };
	uint32_t bin = 0, bout = 0;

	h_pair(&alice, &bob, h_nets_conf(0, "rekey_time = 0"), h_nets_conf(1, "rekey_time = 0"));
	h_nat_behind(alice, "203.0.113.5", 30000);
	{
		static struct h_wait w;

		h_up(alice, "peer", &w);
		h_run();
	}
	c = h_only_child(bob);
	if (c) {
		bin = c->spi_in;
		bout = c->spi_out;
	}
	o = kernel_fake_sa(bob->k, KERNEL_OUT, bout);
	tap_ok(c && o && o->encap && o->dport == 34500, "behind a NAT: bob sends ESP in UDP to "
	       "port 34500 (%u)", o ? o->dport : 0);
	if (!o)
		goto out;
	h_nat.port_base = 31000;	/* the NAT's new mapping */
	ev.ifindex = c->ifindex;
	ev.dir = KERNEL_IN;
	ev.id = c->kid_in;
	ev.spi = bin;
	addr_parse("203.0.113.5", &ev.new_src);
	ev.new_sport = 35500;
	kernel_fake_event(bob->k, &ev);
	o = kernel_fake_sa(bob->k, KERNEL_OUT, bout);
	tap_ok(o->dport == 34500 && h_sa(bob)->remote.port == 34500,
	       "MAPPING event alone: nothing moves");
	exchange_queue(h_sa(alice), liveness_task_new());
	h_run();
	o = kernel_fake_sa(bob->k, KERNEL_OUT, bout);
	i = kernel_fake_sa(bob->k, KERNEL_IN, bin);
	tap_ok(h_sa(bob)->remote.port == 35500 && o && o->dport == 35500 && o->sport == 4500 &&
	       i && i->sport == 35500 && i->dport == 4500 &&
	       h_log_has("ESP in UDP now to", NULL),
	       "alice's next IKE request from the new mapping: bob's IKE SA and both ESP SAs "
	       "follow (out dport %u, in sport %u)", o ? o->dport : 0, i ? i->sport : 0);
out:
	h_reset();
}

int main(void)
{
	if (ike_crypto_init())
		return 1;
	test_limits_installed();
	test_soft_rekeys(KERNEL_OUT, KERNEL_EXPIRE_PACKETS, "outbound packets");
	test_soft_rekeys(KERNEL_IN, KERNEL_EXPIRE_BYTES, "inbound bytes");
	test_hard_deletes(KERNEL_EXPIRE_PACKETS, "packets");
	test_hard_deletes(KERNEL_EXPIRE_SECONDS, "time");
	test_hard_during_rekey();
	test_expire_ignored();
	test_trap();
	test_dpd_trap();
	test_close_trap();
	test_close_none();
	test_mapping();
	h_reset();
	log_set_sink(NULL, NULL);
	ike_crypto_deinit();
	return tap_done();
}
