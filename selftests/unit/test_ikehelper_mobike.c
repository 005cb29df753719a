// SPDX-License-Identifier: GPL-2.0
/*
 * MOBIKE (RFC 4555) between two ikehelpers against the fake kernel: alice
 * (the client, 192.0.2.1) and bob (the gateway, 192.0.2.2). Negotiation
 * both ways and with mobike = no on either side; alice's address changes
 * and the IKE SA and both kernel SA pairs follow with the same SPIs; a
 * retransmission from a newer address; a NAT appearing on the new path
 * (the CHILD_SA is rekeyed: SA_UPDATE cannot add UDP encapsulation);
 * negatives: a wrong COOKIE2 closes the IKE SA, UPDATE_SA_ADDRESSES without
 * MOBIKE moves nothing, no path for too long ends the IKE SA.
 */
#include "ike_harness.h"
#include "tap.h"

static struct h_peer *alice, *bob;

static char *side(int me, const char *conn)
{
	static const char *ids[2] = { "alice@example.org", "bob.example.org" };
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections { peer {\n%s\n%s\n proposals = aes128gcm16-prfsha256-x25519\n"
		 " local { auth = psk\n id = %s }\n remote { auth = psk\n id = %s }\n"
		 " children { net {\n  local_ts = 10.%d.0.0/24\n  remote_ts = 10.%d.0.0/24\n"
		 "  esp_proposals = aes128gcm16\n  rekey_time = 0\n } }\n rekey_time = 0\n} }\n"
		 "secrets { ike { secret = \"M0b!ke#kesp$Tq81zW0pL5\" } }\n",
		 me ? "" : " remote_addrs = 192.0.2.2", conn, ids[me], ids[!me], me + 1, 2 - me);
	return strdup(buf);
}

static bool up(const char *ca, const char *cb)
{
	static struct h_wait w;

	h_pair(&alice, &bob, side(0, ca), side(1, cb));
	if (!h_up(alice, "peer", &w))
		return false;
	h_run();
	if (!w.ok)
		printf("# up failed: %s\n", w.msg);
	return w.ok;
}

static bool is(const struct addr *a, const char *text)
{
	struct addr b;

	return addr_parse(text, &b) && addr_equal(a, &b);
}

/* P's kernel holds exactly its child's pair, with those SPIs, outbound
 * from ME to PEER and inbound from PEER to ME. */
static bool pair_at(struct h_peer *p, uint32_t spi_in, uint32_t spi_out, const char *me,
		    const char *peer)
{
	const struct kernel_sa *i = kernel_fake_sa(p->k, KERNEL_IN, spi_in);
	const struct kernel_sa *o = kernel_fake_sa(p->k, KERNEL_OUT, spi_out);

	return kernel_fake_sa_count(p->k) == 2 && i && o && is(&o->src, me) && is(&o->dst, peer) &&
	       is(&i->src, peer) && is(&i->dst, me);
}

/* alice's address becomes ADDR (NULL: she has none); the rtnetlink event
 * and its debounce pass. */
static void alice_moves(const char *addr)
{
	if (addr)
		addr_parse(addr, &alice->addr);
	else
		memset(&alice->addr, 0, sizeof(alice->addr));
	mobike_roam(alice->d);
	h_advance(MOBIKE_DEBOUNCE_MS);
}

static void test_negotiation(void)
{
	struct ike_sa *a, *b;

	tap_ok(up("", ""), "default config: up");
	a = h_sa(alice);
	b = h_sa(bob);
	tap_ok(a && b && a->mobike && a->mobike_client && b->mobike && !b->mobike_client,
	       "both said MOBIKE_SUPPORTED: alice is the client, bob the gateway");
	tap_ok(a && b && a->local.port == 4500 && a->remote.port == 4500 && b->remote.port == 4500 &&
	       !a->nat_local && !a->nat_remote,
	       "without a NAT the IKE SA moved to port 4500 in IKE_AUTH (RFC 4555 §3.3)");
	tap_ok(h_only_child(alice) && !h_only_child(alice)->encap && h_only_child(bob) && !h_only_child(bob)->encap,
	       "ESP stays out of UDP without a NAT");
	h_reset();

	tap_ok(up("", "mobike = no"), "gateway with mobike = no: up");
	a = h_sa(alice);
	b = h_sa(bob);
	tap_ok(a && b && !a->mobike && !b->mobike &&
	       h_log_has("bob", "the peer supports MOBIKE, but connection peer says mobike = no",
			 NULL), "gateway with mobike = no: not negotiated, and it says why");
	h_reset();

	tap_ok(up("mobike = no", ""), "client with mobike = no: up");
	a = h_sa(alice);
	b = h_sa(bob);
	tap_ok(a && b && !a->mobike && !b->mobike && !b->peer_mobike && a->local.port == 500 &&
	       b->remote.port == 500,
	       "client with mobike = no: no MOBIKE_SUPPORTED sent, the IKE SA stays on port 500");
	h_reset();
}

static void test_update(void)
{
	struct child_sa *ca, *cb;
	uint32_t ai = 0, ao = 0, bi = 0, bo = 0;

	if (!tap_ok(up("", ""), "up for a move"))
		goto out;
	ca = h_only_child(alice);
	cb = h_only_child(bob);
	if (!tap_ok(ca && cb, "one CHILD_SA each"))
		goto out;
	ai = ca->spi_in;
	ao = ca->spi_out;
	bi = cb->spi_in;
	bo = cb->spi_out;
	h_log_clear();
	alice_moves("192.0.2.11");
	tap_ok(h_wire_len == 1 && h_head_exchange() == IKE_INFORMATIONAL &&
	       is(&h_wire->from.addr, "192.0.2.11") && h_wire->from.port == 4500 &&
	       is(&h_sa(alice)->local.addr, "192.0.2.11"),
	       "alice's new address: an INFORMATIONAL leaves from it at once");
	h_run();
	tap_ok(is(&h_sa(alice)->local.addr, "192.0.2.11") && is(&h_sa(bob)->remote.addr, "192.0.2.11") &&
	       h_sa(bob)->remote.port == 4500 &&
	       h_log_has("alice", "IKE SA moved to 192.0.2.11:4500 - 192.0.2.2:4500", NULL) &&
	       h_log_has("bob", "the peer moved the IKE SA to 192.0.2.2:4500 - 192.0.2.11:4500", NULL),
	       "UPDATE_SA_ADDRESSES answered: both IKE SAs at the new address");
	tap_ok(pair_at(alice, ai, ao, "192.0.2.11", "192.0.2.2") &&
	       pair_at(bob, bi, bo, "192.0.2.2", "192.0.2.11") && ai == bo && ao == bi,
	       "both kernels' SAs moved (SA_UPDATE), same SPIs %08x %08x", ai, ao);
	tap_ok(h_sa(alice)->state == IKE_S_ESTABLISHED && h_flows(alice->k, bob->k) &&
	       h_flows(bob->k, alice->k) && h_only_child(alice) == ca,
	       "no renegotiation: the same CHILD_SA, traffic still decrypts both ways");

	/* A request from the new address now moves nothing more. */
	h_log_clear();
	exchange_queue(h_sa(alice), liveness_task_new());
	h_run();
	tap_ok(!h_log_has("moved", NULL) && is(&h_sa(bob)->remote.addr, "192.0.2.11"),
	       "a liveness check afterwards moves nothing");

	/* Lost, then alice moves again: the retransmission leaves from the
	 * newest address, and a second update follows for it. */
	h_log_clear();
	alice_moves("192.0.2.12");
	h_drop();
	alice_moves("192.0.2.13");
	tap_ok(h_wire_len == 0, "a second change while the update is out queues nothing yet");
	h_advance(alice->d->cfg->set.retransmit_timeout_ms);
	tap_ok(h_wire_len == 1 && is(&h_wire->from.addr, "192.0.2.13"),
	       "the retransmission leaves from the newest address");
	h_run();
	tap_ok(pair_at(alice, ai, ao, "192.0.2.13", "192.0.2.2") &&
	       pair_at(bob, bi, bo, "192.0.2.2", "192.0.2.13") &&
	       is(&h_sa(bob)->remote.addr, "192.0.2.13"),
	       "after the second update both sides and all SAs are at the newest address");

	/* An IKE rekey keeps MOBIKE and who its client is (§3.2). */
	ike_rekey_start(h_sa(alice));
	h_run();
	h_advance(CHILD_GRACE_MS + 1000);
	tap_ok(h_count_sas(alice) == 1 && h_count_sas(bob) == 1 && h_sa(alice)->rekeyed_at &&
	       h_sa(alice)->mobike && h_sa(alice)->mobike_client && h_sa(bob)->mobike &&
	       !h_sa(bob)->mobike_client, "after an IKE rekey the new IKE SA has MOBIKE, same roles");
	alice_moves("192.0.2.14");
	h_run();
	tap_ok(pair_at(alice, ai, ao, "192.0.2.14", "192.0.2.2") &&
	       pair_at(bob, bi, bo, "192.0.2.2", "192.0.2.14"),
	       "and the next move updates it, same CHILD_SA SPIs");
out:
	h_reset();
}

/* bob's answer with its COOKIE2 changed, sealed again with bob's keys. */
static void spoil_cookie2(void)
{
	struct h_pkt *p = h_pop();
	struct ike_msg outer = { 0 }, inner = { 0 };
	struct ike_error err = { 0 };
	uint8_t *plain = malloc(IKE_MAX_MSG), *out = malloc(IKE_MAX_MSG);
	size_t plen;
	struct ike_buf b;
	bool done = false;

	if (!p || ike_msg_decode(p->data, p->len, &outer, &err))
		goto out;
	if (ike_msg_decrypt(p->data, p->len, &outer, &h_sa(alice)->sk_in, plain, &plen, &inner,
			    &err))
		goto out;
	for (size_t i = 0; i < inner.npl; i++)
		if (inner.pl[i].type == IKE_PL_NOTIFY && inner.pl[i].u.notify.type == IKE_N_COOKIE2 &&
		    inner.pl[i].u.notify.data.len) {
			((uint8_t *)inner.pl[i].u.notify.data.p)[0] ^= 0x55;
			done = true;
		}
	ike_buf_init(&b, out, IKE_MAX_MSG);
	if (done && !ike_msg_encode_sk(&outer.hdr, NULL, 0, inner.pl, inner.npl, &h_sa(bob)->sk_out,
				       NULL, &b, &err)) {
		free(p->data);
		p->data = out;
		p->len = b.len;
		out = NULL;
		h_deliver_pkt(p);
	}
out:
	tap_ok(done, "the harness changed bob's COOKIE2 (%s)", err.reason);
	ike_msg_release(&inner);
	ike_msg_release(&outer);
	free(plain);
	free(out);
	if (p)
		h_pkt_free(p);
}

/* A request from a new address without UPDATE_SA_ADDRESSES (charon's
 * path check) is answered there, as is its retransmission, and moves
 * nothing (RFC 4555 §3.5). */
static void test_check_path(void)
{
	struct h_pkt *p;

	if (!tap_ok(up("", ""), "up for a path check"))
		goto out;
	addr_parse("192.0.2.31", &alice->addr);
	h_sa(alice)->local.addr = alice->addr;	/* what charon's check does */
	exchange_queue(h_sa(alice), liveness_task_new());
	p = h_pop();		/* kept, to be sent again */
	tap_ok(p && is(&p->from.addr, "192.0.2.31"), "the check leaves from the new address");
	if (!p)
		goto out;
	h_deliver_pkt(p);
	tap_ok(h_wire_len == 1 && is(&h_wire->to.addr, "192.0.2.31") &&
	       is(&h_sa(bob)->remote.addr, "192.0.2.1") &&
	       kernel_fake_sa(bob->k, KERNEL_OUT, h_only_child(bob)->spi_out) &&
	       is(&kernel_fake_sa(bob->k, KERNEL_OUT, h_only_child(bob)->spi_out)->dst, "192.0.2.1"),
	       "answered at the new address; bob's IKE SA and kernel SAs stay where they were");
	h_drop();
	h_deliver_pkt(p);	/* alice retransmits it */
	tap_ok(h_wire_len == 1 && is(&h_wire->to.addr, "192.0.2.31") &&
	       is(&h_sa(bob)->remote.addr, "192.0.2.1") &&
	       h_log_has("bob", "answering a retransmitted INFORMATIONAL request", NULL),
	       "its retransmission is answered from cache at the new address too");
	h_pkt_free(p);
	h_run();
out:
	h_reset();
}

/* Another of alice's addresses becomes the kernel's preferred source
 * while hers stays (an address added, a transport-mode SA's route): she
 * stays where she is. Once hers goes, she moves. */
static void test_keeps_address(void)
{
	if (!tap_ok(up("", ""), "up, to keep the address"))
		goto out;
	h_log_clear();
	alice->also = alice->addr;
	alice_moves("192.0.2.12");
	tap_ok(!h_wire && is(&h_sa(alice)->local.addr, "192.0.2.1") &&
	       !h_log_has("alice", "moving the IKE SA", NULL),
	       "another address preferred while alice's is still hers: no move, no update");
	memset(&alice->also, 0, sizeof(alice->also));
	alice_moves("192.0.2.12");
	h_run();
	tap_ok(is(&h_sa(alice)->local.addr, "192.0.2.12") && is(&h_sa(bob)->remote.addr, "192.0.2.12"),
	       "once her address is gone she moves to the preferred one");
out:
	h_reset();
}

static void test_cookie2_mismatch(void)
{
	if (!tap_ok(up("", ""), "up for a COOKIE2 mismatch"))
		goto out;
	alice_moves("192.0.2.11");
	h_deliver();		/* the update reaches bob, his answer is on the wire */
	spoil_cookie2();
	daemon_reap(alice->d);
	tap_ok(h_count_sas(alice) == 0 && kernel_fake_sa_count(alice->k) == 0 &&
	       h_log_has("alice", "carries another COOKIE2 than ours: closing the IKE SA", NULL),
	       "a wrong COOKIE2 in the answer: alice closes the IKE SA, and says why");
out:
	h_reset();
}

static void test_no_mobike(void)
{
	uint32_t bi = 0, bo = 0;

	if (!tap_ok(up("", "mobike = no"), "up without MOBIKE"))
		goto out;
	bi = h_only_child(bob)->spi_in;
	bo = h_only_child(bob)->spi_out;
	/* A client that sends UPDATE_SA_ADDRESSES all the same. */
	h_sa(alice)->mobike = true;
	h_sa(alice)->mobike_client = true;
	alice_moves("192.0.2.11");
	h_run();
	tap_ok(h_log_has("bob", "ignoring UPDATE_SA_ADDRESSES from 192.0.2.11:4500: MOBIKE was not "
			 "negotiated", NULL) && h_sa(bob) && is(&h_sa(bob)->remote.addr, "192.0.2.1") &&
	       pair_at(bob, bi, bo, "192.0.2.2", "192.0.2.1"),
	       "UPDATE_SA_ADDRESSES without MOBIKE: bob refuses it, nothing of his moves");
	tap_ok(h_count_sas(alice) == 0 && h_log_has("alice", "lacks our COOKIE2", NULL),
	       "the client gets no COOKIE2 back and gives the IKE SA up");
out:
	h_reset();
}

static void test_no_path(void)
{
	uint64_t bound;

	if (!tap_ok(up("", ""), "up for a lost path"))
		goto out;
	bound = exchange_give_up_ms(alice->d);
	alice_moves(NULL);
	tap_ok(h_wire_len == 0 && h_sa(alice) &&
	       h_log_has("alice", "no path to the peer 192.0.2.2: waiting up to", NULL),
	       "no route to the peer: the IKE SA waits, nothing is sent");
	h_advance(bound / 2);
	alice_moves("192.0.2.21");
	h_run();
	tap_ok(h_log_has("alice", "a path to the peer is back, from 192.0.2.21", NULL) &&
	       is(&h_sa(bob)->remote.addr, "192.0.2.21"),
	       "a path before the bound: the IKE SA moves to it");
	alice_moves(NULL);
	h_advance(bound + 1000);
	tap_ok(h_count_sas(alice) == 0 &&
	       h_log_has("alice", "no path to the peer for", "giving up the IKE SA", NULL),
	       "no path for longer than the bound: the IKE SA goes with a log line");
out:
	h_reset();
}

/* alice's new path goes through a NAT: her CHILD_SA cannot get UDP
 * encapsulation in place and is rekeyed; the new pair is in UDP. */
static void test_nat_appears(void)
{
	struct child_sa *ca, *cb;

	if (!tap_ok(up("", ""), "up for a move behind a NAT"))
		goto out;
	h_nat_behind(alice, "203.0.113.5", 30000);
	alice_moves("192.0.2.11");
	h_run();
	h_advance(CHILD_GRACE_MS + MOBIKE_DEBOUNCE_MS + 1000);	/* the old pair's grace ends */
	ca = h_only_child(alice);
	cb = h_only_child(bob);
	tap_ok(h_sa(alice)->nat_local && h_sa(bob)->nat_remote &&
	       is(&h_sa(bob)->remote.addr, "203.0.113.5") && h_sa(bob)->remote.port == 34500,
	       "NAT detection ran again: both see the NAT, bob answers its mapping");
	tap_ok(h_log_has("alice", "a NAT appeared on the new path", "rekeying it", NULL) &&
	       ca && cb && ca->encap && cb->encap && ca->spi_out == cb->spi_in &&
	       kernel_fake_sa(bob->k, KERNEL_OUT, cb->spi_out) &&
	       kernel_fake_sa(bob->k, KERNEL_OUT, cb->spi_out)->encap &&
	       kernel_fake_sa(bob->k, KERNEL_OUT, cb->spi_out)->dport == 34500,
	       "the CHILD_SA was rekeyed into UDP (bob sends to the NAT's port)");
	tap_ok(!h_log_has("bob", "rekeying it", NULL),
	       "bob left the rekey to the client that did it");
out:
	h_reset();
}

/* alice behind a NAT whose mapping changes: her DPD carries NAT detection,
 * bob's answer shows the new mapping, and her UPDATE_SA_ADDRESSES follows
 * (a charon gateway with MOBIKE follows nothing else). */
static void test_nat_mapping(void)
{
	h_pair(&alice, &bob, side(0, ""), side(1, ""));
	h_nat_behind(alice, "203.0.113.5", 30000);
	{
		static struct h_wait w;

		h_up(alice, "peer", &w);
		h_run();
		tap_ok(w.ok && h_sa(alice)->nat_local && h_sa(alice)->mobike,
		       "up behind a NAT with MOBIKE");
	}
	exchange_queue(h_sa(alice), liveness_task_new());
	h_run();
	tap_ok(h_log_has("alice", "making sure the peer has our NAT's current mapping", NULL) &&
	       h_log_has("alice", "IKE SA moved to", NULL),
	       "the first DPD behind a NAT: one update, to learn how the peer sees us");
	h_log_clear();
	exchange_queue(h_sa(alice), liveness_task_new());
	h_run();
	tap_ok(!h_log_has("alice", "UPDATE_SA_ADDRESSES", NULL) && h_log_has("alice", "the peer is alive", NULL),
	       "a DPD with the same mapping: no update");
	h_nat.port_base = 31000;
	h_log_clear();
	exchange_queue(h_sa(alice), liveness_task_new());
	h_run();
	tap_ok(h_log_has("alice", "our NAT's mapping changed", NULL) &&
	       h_log_has("bob", "the peer moved the IKE SA to 192.0.2.2:4500 - 203.0.113.5:35500", NULL) &&
	       h_only_child(bob) && kernel_fake_sa(bob->k, KERNEL_OUT, h_only_child(bob)->spi_out) &&
	       kernel_fake_sa(bob->k, KERNEL_OUT, h_only_child(bob)->spi_out)->dport == 35500,
	       "a new mapping: the DPD's NAT detection shows it, the update moves bob's SAs");
	h_reset();
}

static void test_additional_addresses(void)
{
	struct ike_msg m = { 0 };
	static const uint8_t a4[4] = { 198, 51, 100, 7 };
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };
	struct ike_sa *sa;

	if (!tap_ok(up("", ""), "up for additional addresses"))
		goto out;
	sa = h_sa(bob);
	m.npl = 2;
	m.pl[0].type = m.pl[1].type = IKE_PL_NOTIFY;
	m.pl[0].u.notify.type = IKE_N_ADDITIONAL_IP4_ADDRESS;
	m.pl[0].u.notify.data = (struct ike_slice){ a4, 4 };
	m.pl[1].u.notify.type = IKE_N_ADDITIONAL_IP6_ADDRESS;
	m.pl[1].u.notify.data = (struct ike_slice){ a6, 16 };
	msg_reset(bob->d->out);
	mobike_info_respond(sa, &m, bob->d->out);
	tap_ok(sa->npeer_addrs == 2 && is(&sa->peer_addrs[0], "198.51.100.7") &&
	       is(&sa->peer_addrs[1], "2001:db8::9") && bob->d->out->n == 0,
	       "ADDITIONAL_IP4/6_ADDRESS kept, nothing moves");
	m.npl = 1;
	m.pl[0].u.notify.type = IKE_N_NO_ADDITIONAL_ADDRESSES;
	m.pl[0].u.notify.data = (struct ike_slice){ NULL, 0 };
	mobike_info_respond(sa, &m, bob->d->out);
	tap_ok(sa->npeer_addrs == 0, "NO_ADDITIONAL_ADDRESSES empties the list");
out:
	h_reset();
}

int main(void)
{
	if (ike_crypto_init())
		return 1;
	test_negotiation();
	test_update();
	test_check_path();
	test_keeps_address();
	test_cookie2_mismatch();
	test_no_mobike();
	test_no_path();
	test_nat_appears();
	test_nat_mapping();
	test_additional_addresses();
	ike_crypto_deinit();
	return tap_done();
}
