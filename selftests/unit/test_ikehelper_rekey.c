// SPDX-License-Identifier: GPL-2.0
/*
 * CREATE_CHILD_SA between two ikehelper state machines against the fake
 * kernel: CHILD_SA rekeys started by rekey_time on either side, with and
 * without PFS, INVALID_KE_PAYLOAD on a rekey, a further CHILD_SA, life_time
 * expiry, a rekey collision, a lost DELETE, CHILD_SA_NOT_FOUND, and dead
 * peer detection. After every message the make-before-break invariant is
 * checked: the outbound SA each side uses (kesp.ko's choice among equal
 * selectors: the earliest installed) has its inbound twin, same key, on the
 * other side, so no packet is lost at any moment of a rekey.
 */
#include "ike_harness.h"
#include "tap.h"

#define PSK "\"Vq3#pL9!xZ2@mW7$kR4nB8\""

static struct h_peer *alice, *bob;
static const char *ike_props = "aes256gcm16-prfsha384-x25519";
static const char *conn_extra = "";	/* more connection keys, for both */
static const char *conn_extra_bob;	/* for bob instead, if set */

/* One side of alice (192.0.2.1, 10.1.0.0/24) <-> bob (192.0.2.2, 10.2.0.0/24). */
static char *conf(bool is_alice, const char *esp, const char *child_extra, const char *more)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "connections {\n"
		 " peer {\n"
		 "  %s\n"
		 "  %s\n"
		 "  proposals = %s\n"
		 "  local { auth = psk\n id = %s }\n"
		 "  remote { auth = psk\n id = %s }\n"
		 "  children {\n"
		 "   net {\n"
		 "    local_ts = 10.%d.0.0/24\n remote_ts = 10.%d.0.0/24\n"
		 "    esp_proposals = %s\n"
		 "    %s\n"
		 "   }\n"
		 "   %s\n"
		 "  }\n"
		 " }\n"
		 "}\n"
		 "secrets { ike { secret = %s } }\n",
		 is_alice ? "remote_addrs = 192.0.2.2" : "",
		 !is_alice && conn_extra_bob ? conn_extra_bob : conn_extra, ike_props,
		 is_alice ? "alice@example.org" : "bob.example.org",
		 is_alice ? "bob.example.org" : "alice@example.org", is_alice ? 1 : 2,
		 is_alice ? 2 : 1, esp, child_extra, more ? more : "", PSK);
	return strdup(buf);
}

static void setup(char *ca, char *cb)
{
	h_pair(&alice, &bob, ca, cb);
}

static unsigned int broken;

/* Delivers the wire's messages one by one, checking both directions flow
 * after each; returns how many it delivered. */
static int run_checked(void)
{
	int n = 0;

	for (; n < 100 && h_wire; n++) {
		h_deliver();
		if (!h_flows(alice->k, bob->k) || !h_flows(bob->k, alice->k))
			broken++;
	}
	return n;
}

static struct ike_sa *up(void)
{
	static struct h_wait w;
	struct ike_sa *sa = h_up(alice, "peer", &w);

	h_run();
	if (!sa || sa->state != IKE_S_ESTABLISHED || !w.ok)
		printf("# up failed: %s\n", w.msg);
	return sa;
}

static struct child_sa *only_child(struct h_peer *p)
{
	struct ike_sa *sa = h_sa(p);

	return sa && sa->children && !sa->children->next ? sa->children : NULL;
}

/* Each side holds exactly one pair, SPIs crossed, keys equal. */
static bool one_pair(void)
{
	return kernel_fake_sa_count(alice->k) == 2 && kernel_fake_sa_count(bob->k) == 2 &&
	       h_flows(alice->k, bob->k) && h_flows(bob->k, alice->k);
}

/* rekey_time on WHO's side; PFS when ESP carries a group. */
static void rekey_case(bool by_alice, const char *esp)
{
	const char *timers = "rekey_time = 10s\n life_time = 20s\n rand_time = 0";
	struct h_peer *ini, *resp;
	struct child_sa *c;
	uint32_t old_in, old_out, rekeys = 0;
	size_t routes = 0;
	char what[128];

	setup(conf(true, esp, by_alice ? timers : "rekey_time = 0", NULL),
	      conf(false, esp, by_alice ? "rekey_time = 0" : timers, NULL));
	ini = by_alice ? alice : bob;
	resp = by_alice ? bob : alice;
	snprintf(what, sizeof(what), "rekey by %s (%s)", ini->name, esp);
	up();
	c = only_child(ini);
	if (!tap_ok(c && one_pair(), "%s: the tunnel is up", what))
		return;
	old_in = c->spi_in;
	old_out = c->spi_out;
	routes = kernel_fake_route_count(ini->k);
	broken = 0;
	for (int round = 0; round < 3; round++) {
		struct child_sa *now = only_child(ini);
		uint64_t since = now ? now->installed_at : 0;

		while (!h_wire && h_now - since < 11000)
			h_advance(100);
		/* rand_time = 0: at rekey_time exactly (within the step) */
		if (h_head_exchange() != IKE_CREATE_CHILD_SA || h_now - since < 10000 ||
		    h_now - since > 10100)
			break;
		h_deliver();
		/* The responder: the new inbound SA is in before its answer. */
		if (kernel_fake_sa_count(resp->k) != 3 || !h_flows(ini->k, resp->k) ||
		    !h_flows(resp->k, ini->k))
			break;
		run_checked();
		h_advance(CHILD_GRACE_MS);
		if (!one_pair())
			break;
		rekeys++;
	}
	c = only_child(ini);
	tap_ok(rekeys == 3 && !broken, "%s: 3 rekeys at rekey_time, both directions flowing "
	       "after every message (%u rekeys, %u broken)", what, rekeys, broken);
	tap_ok(c && c->spi_in != old_in && c->spi_out != old_out && c->state == CHILD_S_INSTALLED &&
	       only_child(resp) && only_child(resp)->spi_out == c->spi_in &&
	       c->reqid == only_child(ini)->reqid,
	       "%s: one new CHILD_SA on each side, the old one gone", what);
	tap_ok(kernel_fake_route_count(ini->k) == routes && routes > 0 &&
	       kernel_fake_route_count(resp->k) == routes,
	       "%s: the routes passed to the new pair (%zu)", what, routes);
	tap_ok(h_log_has(ini->name, "rekeyed: SPIs", strchr(esp, '-') ? "(PFS)" : "", NULL),
	       "%s: the log says so%s", what, strchr(esp, '-') ? ", with PFS" : "");
	h_reset();
}

static struct ike_sa *plain_up(void);

/*
 * As the daemon runs (CHILD_DELETE_DELAY_MS, not the harness's 0): the
 * rekey's initiator switches its outbound SA when the answer comes but
 * deletes the old pair only that long after, so what it sent on the old
 * SA just before still finds the peer's old inbound SA (XFRM under charon
 * removes it on the DELETE).
 */
static void test_delete_delay(void)
{
	struct child_sa *c;
	uint32_t old_out;
	bool quiet, kept;

	plain_up();
	alice->d->child_delete_delay_ms = CHILD_DELETE_DELAY_MS;
	c = only_child(alice);
	old_out = c ? c->spi_out : 0;
	if (c)
		child_rekey_start(c);
	run_checked();
	h_advance(CHILD_DELETE_DELAY_MS - 100);
	quiet = !h_wire;
	kept = !kernel_fake_sa(alice->k, KERNEL_OUT, old_out) &&
	       kernel_fake_sa(bob->k, KERNEL_IN, old_out) != NULL;
	tap_ok(c && quiet && kept && h_log_has("alice:", "rekeyed: SPIs", NULL),
	       "rekey with the delete delay: alice sends on the new pair at once, her DELETE of the "
	       "old one is not out %u ms later, bob's old inbound SA still takes what she sent "
	       "on it", CHILD_DELETE_DELAY_MS - 100);
	h_advance(200);
	tap_ok(h_wire && h_head_exchange() == IKE_INFORMATIONAL,
	       "the DELETE of the old pair goes out after CHILD_DELETE_DELAY_MS");
	run_checked();
	h_advance(CHILD_GRACE_MS + 100);
	run_checked();
	tap_ok(one_pair() && !broken && !kernel_fake_sa(bob->k, KERNEL_IN, old_out),
	       "then one pair each side, the old one gone, no gap");
	h_reset();
}

/* bob wants x25519, alice offers ecp256 first: INVALID_KE_PAYLOAD, retry. */
static void test_invalid_ke(void)
{
	struct ike_sa *sa;

	setup(conf(true, "aes128gcm16-ecp256-x25519", "rekey_time = 0", NULL),
	      conf(false, "aes128gcm16-x25519", "rekey_time = 0", NULL));
	sa = up();
	broken = 0;
	child_rekey_start(sa->children);
	h_deliver();
	tap_ok(h_log_has("bob:", "INVALID_KE_PAYLOAD", NULL) &&
	       kernel_fake_sa_count(bob->k) == 2, "bob answers INVALID_KE_PAYLOAD, nothing installed");
	run_checked();
	h_advance(CHILD_GRACE_MS);
	tap_ok(one_pair() && !broken && h_log_has("alice:", "rekeyed", "(PFS)", NULL) &&
	       h_log_has("alice:", "the peer wants", "asking again", NULL),
	       "alice asks again with x25519: rekeyed with PFS, no gap");
	h_reset();
}

/* A further CHILD_SA on the IKE SA (kespctl ike up --child net2). */
static void test_further_child(void)
{
	const char *net2 = "net2 { local_ts = 10.%d.1.0/24\n remote_ts = 10.%d.1.0/24\n "
			   "esp_proposals = aes128gcm16 }";
	char ma[256], mb[256];
	const struct child_cfg *cc;
	struct ike_sa *sa;
	struct h_wait w;

	snprintf(ma, sizeof(ma), net2, 1, 2);
	snprintf(mb, sizeof(mb), net2, 2, 1);
	setup(conf(true, "aes128gcm16", "", ma), conf(false, "aes128gcm16", "", mb));
	sa = up();
	config_find_child(alice->d->cfg, "net2", &cc);
	memset(&w, 0, sizeof(w));
	w.w.done = h_wait_done;
	ike_sa_add_waiter(sa, &w.w);
	exchange_queue(sa, create_child_task_new(cc, NULL));
	tap_ok(h_head_exchange() == IKE_CREATE_CHILD_SA, "alice sends CREATE_CHILD_SA for net2");
	h_deliver();
	tap_ok(kernel_fake_sa_count(bob->k) == 4 && h_head_exchange() == IKE_CREATE_CHILD_SA &&
	       kernel_fake_sa_at(bob->k, 2)->dir == KERNEL_IN,
	       "bob answers; net2's inbound SA went in first, then the outbound one");
	h_run();
	tap_ok(w.done == 1 && w.ok && kernel_fake_sa_count(alice->k) == 4 &&
	       kernel_fake_sa_count(bob->k) == 4 && h_sa(bob)->children &&
	       h_sa(bob)->children->next && kernel_fake_route_count(alice->k) == 2 &&
	       kernel_fake_route_count(bob->k) == 2,
	       "net2 is up beside net: two pairs and two routes on each side (%s)", w.msg);
	tap_ok(h_log_has("bob:", "CHILD_SA net2{", "established", "10.2.1.0/24 === 10.1.1.0/24",
			 NULL), "bob chose net2 by the selectors");
	h_reset();
}

/* start_action = start on two children: the first comes with IKE_AUTH,
 * the second with a CREATE_CHILD_SA queued behind it. */
static void test_start_two(void)
{
	const char *net2 = "net2 { local_ts = 10.%d.1.0/24\n remote_ts = 10.%d.1.0/24\n "
			   "esp_proposals = aes128gcm16\n %s }";
	char ma[256], mb[256];

	snprintf(ma, sizeof(ma), net2, 1, 2, "start_action = start");
	snprintf(mb, sizeof(mb), net2, 2, 1, "");
	setup(conf(true, "aes128gcm16", "start_action = start", ma),
	      conf(false, "aes128gcm16", "", mb));
	daemon_start_all(alice->d);
	h_run();
	tap_ok(h_count_sas(alice) == 1 && h_sa(alice)->state == IKE_S_ESTABLISHED &&
	       kernel_fake_sa_count(alice->k) == 4 && kernel_fake_sa_count(bob->k) == 4 &&
	       h_log_has("alice:", "CHILD_SA net{", "established", NULL) &&
	       h_log_has("alice:", "CHILD_SA net2{", "established", NULL),
	       "start_action = start on two children: one IKE SA, both CHILD SAs up");
	h_reset();
}

/* No rekey (rekey_time = 0): life_time ends the pair, DELETE tells the peer. */
static void test_life_time(void)
{
	setup(conf(true, "aes128gcm16", "rekey_time = 0\n life_time = 5s", NULL),
	      conf(false, "aes128gcm16", "rekey_time = 0", NULL));
	up();
	h_advance(4999);
	tap_ok(one_pair() && !h_wire, "before life_time the pair stays");
	h_advance(1);
	tap_ok(kernel_fake_sa_count(alice->k) == 0 && h_head_exchange() == IKE_INFORMATIONAL,
	       "at life_time alice removes the pair and sends DELETE");
	h_run();
	tap_ok(kernel_fake_sa_count(bob->k) == 0 && !h_sa(alice)->children &&
	       !h_sa(bob)->children && h_sa(alice)->state == IKE_S_ESTABLISHED &&
	       kernel_fake_route_count(alice->k) == 0 && kernel_fake_route_count(bob->k) == 0,
	       "bob deletes it too; the IKE SA stays");
	h_reset();
}

/* Which side logged NEEDLE (its pair or SA was redundant): 0 alice, 1 bob,
 * -1 neither, 2 both. */
static int who_lost(const char *needle)
{
	int loser = h_log_has("alice:", needle, NULL) ? 0 : -1;

	if (h_log_has("bob:", needle, NULL))
		loser = loser < 0 ? 1 : 2;
	return loser;
}

/*
 * Runs ROUND (one collision from a fresh pair of daemons: true when all
 * its checks held; *LOSER the side whose new pair or SA had the lowest
 * nonce) until each side has lost once (the nonces are random), at most
 * 24 times, then one TAP line for WHAT.
 */
static void collision_rounds(const char *what, bool (*round)(int *loser))
{
	int lost[2] = { 0, 0 }, good = 0, runs = 0;

	while (runs < 24 && (!lost[0] || !lost[1])) {
		int loser = -1;
		bool ok;

		setup(conf(true, "aes128gcm16", "rekey_time = 0", NULL),
		      conf(false, "aes128gcm16", "rekey_time = 0", NULL));
		up();
		broken = 0;
		ok = round(&loser) && (loser == 0 || loser == 1);
		if (loser == 0 || loser == 1)
			lost[loser]++;
		if (!ok)
			printf("# %s: run %d failed (loser %d, broken %u)\n", what, runs, loser, broken);
		good += ok;
		runs++;
		h_reset();
	}
	tap_ok(good == runs && lost[0] && lost[1], "%s (%d of %d runs; alice lost %d, bob %d)",
	       what, good, runs, lost[0], lost[1]);
}

/* Both sides start a rekey of the pair and both requests cross, each
 * answered with a new inbound SA; true when it went so. */
static bool collision_cross(void)
{
	bool ok;

	child_rekey_start(h_sa(alice)->children);
	child_rekey_start(h_sa(bob)->children);
	ok = h_wire_len == 2;
	h_deliver();
	h_deliver();
	return ok && kernel_fake_sa_count(alice->k) == 3 && kernel_fake_sa_count(bob->k) == 3;
}

/* Both rekey the pair at once (RFC 7296 §2.8.1): both exchanges complete;
 * the side whose new pair has the lowest nonce deletes that pair, the
 * other replaces the old pair. State is checked after every message. */
static bool child_collision(int *loser)
{
	struct ike_sa *sa = h_sa(alice);
	uint32_t a_old = sa->children->spi_in, b_old = h_sa(bob)->children->spi_in, dead = 0;
	bool ok = collision_cross();

	run_checked();
	*loser = who_lost("our new pair has the lowest nonce");
	if (*loser == 0 || *loser == 1)
		for (struct child_sa *c = h_sa(*loser ? bob : alice)->children; c; c = c->next)
			if (c->state == CHILD_S_DELETING)
				dead = c->spi_in;
	ok = ok && !h_log_has("TEMPORARY_FAILURE", NULL);
	h_advance(CHILD_GRACE_MS + 100);
	run_checked();
	h_advance(CHILD_GRACE_MS + 100);
	return ok && one_pair() && !broken && only_child(alice) && only_child(bob) &&
	       only_child(alice)->state == CHILD_S_INSTALLED &&
	       only_child(alice)->spi_in != a_old && only_child(bob)->spi_in != b_old &&
	       !h_log_has("which we do not have", NULL) && (!dead ||
	       !kernel_fake_sa((*loser ? bob : alice)->k, KERNEL_IN, dead));
}

/* The same, but both answers are lost for longer than a rekey responder
 * waits for the old pair's DELETE (CHILD_SWITCH_MS) while the
 * retransmissions are lost too: neither side may switch to the pair it
 * answered meanwhile (its own rekey of the old pair is still out, and the
 * nonces decide), or each would delete the pair the other uses. */
static bool child_collision_late(int *loser)
{
	struct ike_sa *sa = h_sa(alice);
	uint32_t a_old = sa->children->spi_in, b_old = h_sa(bob)->children->spi_in;
	bool ok = collision_cross();

	for (int i = 0; i < 24; i++) {
		while (h_wire)
			h_drop();
		h_advance(500);
	}
	/* the next retransmissions get the cached answers */
	for (int i = 0; i < 80; i++) {
		h_advance(500);
		run_checked();
	}
	*loser = who_lost("our new pair has the lowest nonce");
	return ok && one_pair() && !broken && only_child(alice) && only_child(bob) &&
	       only_child(alice)->state == CHILD_S_INSTALLED &&
	       only_child(alice)->spi_in != a_old && only_child(bob)->spi_in != b_old;
}

/*
 * IKEHELPER_TEST_NONCES's hook, set on alice alone: with her connection
 * "low" the exchange she starts carries the lowest nonce, so she deletes
 * her own product every time; with "high" bob's exchange carries it and
 * he does. ROUND as for collision_rounds().
 */
static void biased_rounds(const char *what, bool (*round)(int *loser))
{
	static const char *const spec[2] = { "other=high peer=low", "peer=high" };

	for (int bias = 0; bias < 2; bias++) {
		int good = 0, runs = 4;

		for (int run = 0; run < runs; run++) {
			char why[128];
			int loser = -1;

			setup(conf(true, "aes128gcm16", "rekey_time = 0", NULL),
			      conf(false, "aes128gcm16", "rekey_time = 0", NULL));
			up();
			broken = 0;
			alice->d->nonce_bias = nonce_bias_parse(spec[bias], why, sizeof(why));
			good += alice->d->nonce_bias && round(&loser) && loser == bias;
			h_reset();
		}
		tap_ok(good == runs, "%s with IKEHELPER_TEST_NONCES=\"%s\" on alice: %s's product "
		       "goes in %d of %d runs", what, spec[bias], bias ? "bob" : "alice", good, runs);
	}
}

/* What IKEHELPER_TEST_NONCES accepts and refuses, and what it changes. */
static void test_nonce_bias_parse(void)
{
	static const char *const bad[] = {
		"", "  ", "peer", "peer=", "=low", "peer=lowest", "peer=hi", "peer=low,x=high",
		"a=low b=low c=low d=low e=low f=low g=low h=low i=low j=low k=low l=low "
		"m=low n=low o=low p=low q=low",
	};
	char why[128], desc[128];
	struct nonce_bias *b;
	unsigned int refused = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = 0;
		b = nonce_bias_parse(bad[i], why, sizeof(why));
		refused += !b && why[0];
		if (b)
			printf("# accepted \"%s\"\n", bad[i]);
		nonce_bias_free(b);
	}
	tap_ok(refused == sizeof(bad) / sizeof(bad[0]),
	       "IKEHELPER_TEST_NONCES: malformed values refused with a reason (%u of %zu)", refused,
	       sizeof(bad) / sizeof(bad[0]));
	b = nonce_bias_parse(" a=low\tb=high ", why, sizeof(why));
	nonce_bias_describe(b, desc, sizeof(desc));
	tap_ok(b && !strcmp(desc, "a=low b=high"), "IKEHELPER_TEST_NONCES: \"a=low b=high\" read "
	       "as \"%s\"", desc);
	nonce_bias_free(b);
}

/*
 * Simultaneous rekeys that alice's pair loses (her nonces "low"), where her
 * answer to bob's request is lost for SLOW_MS and bob's to hers for less:
 * she learns her pair is redundant while bob still retransmits his
 * request. She may not switch to bob's pair and delete the old one on her
 * own (CHILD_SWITCH_MS after her answer) while his rekey is not done: he
 * (or charon) would take the DELETE of the old pair under his rekey as
 * the end of it and delete the new pair too. She waits while he
 * retransmits, and switches on his DELETE.
 */
static void test_collision_slow_answer(void)
{
	const uint64_t slow_ms = CHILD_SWITCH_MS + 4000, fast_ms = CHILD_SWITCH_MS - 2000;
	uint64_t t0;
	char why[64];
	bool answered_alice = false;

	plain_up();
	alice->d->nonce_bias = nonce_bias_parse("peer=low", why, sizeof(why));
	child_rekey_start(h_sa(alice)->children);
	child_rekey_start(h_sa(bob)->children);
	t0 = h_now;
	for (int step = 0; step < 160; step++) {
		for (int n = 0; n < 20 && h_wire; n++) {
			bool response = h_wire->len > 19 && (h_wire->data[19] & 0x20);
			bool from_alice = addr_equal(&h_wire->from.addr, &alice->addr);
			uint64_t hold = from_alice ? slow_ms : fast_ms;

			if (response && h_head_exchange() == IKE_CREATE_CHILD_SA &&
			    h_now - t0 < hold) {
				h_drop();
				continue;
			}
			answered_alice |= response && !from_alice;
			h_deliver();
			if (!h_flows(alice->k, bob->k) || !h_flows(bob->k, alice->k))
				broken++;
		}
		h_advance(250);
	}
	run_checked();
	tap_ok(answered_alice && h_log_has("alice:", "our new pair has the lowest", NULL) &&
	       !h_log_has("alice:", "switching to it", NULL) &&
	       h_log_has("alice:", "the peer deleted CHILD_SA", "after its rekey", NULL) &&
	       one_pair() && !broken && only_child(alice) && only_child(bob),
	       "simultaneous rekeys, alice's pair lowest, her answer lost %llu s and bob's %llu s: "
	       "she waits for bob's DELETE while he retransmits, one new pair each side, no gap",
	       (unsigned long long)slow_ms / 1000, (unsigned long long)fast_ms / 1000);
	h_reset();
}

static void test_collision(void)
{
	collision_rounds("simultaneous CHILD_SA rekeys: both complete, the maker of the pair with "
			 "the lowest nonce deletes it, one new pair each side, no gap, nothing "
			 "deleted twice", child_collision);
	collision_rounds("simultaneous CHILD_SA rekeys whose answers are lost for longer than "
			 "CHILD_SWITCH_MS: neither side switches to the pair it answered before its "
			 "own rekey completes, one new pair each side", child_collision_late);
	test_nonce_bias_parse();
	biased_rounds("simultaneous CHILD_SA rekeys", child_collision);
	test_collision_slow_answer();
}

/* alice rekeys the pair while bob deletes it: bob answers TEMPORARY_FAILURE
 * (§2.25), alice answers the DELETE; the pair is gone on both sides, no
 * new one appears, the IKE SA stays. */
static void test_rekey_vs_delete(void)
{
	struct ike_sa *sa;
	struct child_sa *bc;

	setup(conf(true, "aes128gcm16", "rekey_time = 0", NULL),
	      conf(false, "aes128gcm16", "rekey_time = 0", NULL));
	sa = up();
	child_rekey_start(sa->children);
	bc = h_sa(bob)->children;
	child_sa_uninstall(bc);
	exchange_queue(h_sa(bob), delete_child_task_new(bc));
	tap_ok(h_wire_len == 2, "a rekey and a DELETE of the same pair cross");
	h_deliver();
	h_deliver();
	tap_ok(h_log_has("bob:", "TEMPORARY_FAILURE", NULL) && !sa->children->next,
	       "bob answers the rekey TEMPORARY_FAILURE, alice deletes the pair (no new one)");
	h_run();
	h_advance(CHILD_GRACE_MS + 100);
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED && !sa->children && !h_sa(bob)->children &&
	       kernel_fake_sa_count(alice->k) == 0 && kernel_fake_sa_count(bob->k) == 0 &&
	       !h_log_has("which we do not have", NULL),
	       "no pair left on either side, nothing deleted twice, the IKE SA stays");
	h_reset();
}

/* A DELETE lost on the way: the rekey responder switches on its own after
 * CHILD_SWITCH_MS, and the retransmitted DELETE is answered. */
static void test_lost_delete(void)
{
	struct ike_sa *sa;

	setup(conf(true, "aes128gcm16", "rekey_time = 0", NULL),
	      conf(false, "aes128gcm16", "rekey_time = 0", NULL));
	sa = up();
	broken = 0;
	child_rekey_start(sa->children);
	h_deliver();
	h_deliver();
	tap_ok(h_head_exchange() == IKE_INFORMATIONAL, "alice sends DELETE for the old pair");
	h_drop();
	h_advance(CHILD_GRACE_MS + 10);
	tap_ok(kernel_fake_sa_count(alice->k) == 3 && h_flows(alice->k, bob->k) &&
	       h_flows(bob->k, alice->k), "alice keeps the old inbound SA while bob still uses it");
	h_advance(4000);	/* the retransmission */
	run_checked();
	h_advance(CHILD_GRACE_MS);
	tap_ok(one_pair() && !broken, "the retransmitted DELETE switches bob; one pair, no gap");
	h_reset();
}

/* A peer that never deletes the old pair (all its DELETEs lost): bob, the
 * rekey responder, stays on the old pair while nothing comes on the new
 * one, and switches once alice sends on it. */
static void test_no_delete_traffic(void)
{
	struct ike_sa *sa;
	struct child_sa *nb;

	sa = plain_up();
	child_rekey_start(sa->children);
	h_deliver();
	h_deliver();
	for (int i = 0; i < 6 * CHILD_SWITCH_MS / 1000; i++) {
		while (h_wire)
			h_drop();	/* alice's DELETE and its retransmissions */
		h_advance(1000);
	}
	nb = h_sa(bob) ? h_sa(bob)->children : NULL;
	for (; nb && nb->state != CHILD_S_INSTALLING; nb = nb->next)
		;
	tap_ok(nb && !h_log_has("bob:", "switching to it", NULL),
	       "no DELETE and nothing on the new pair for %d s: bob stays on the old one",
	       6 * CHILD_SWITCH_MS / 1000);
	if (nb)
		kernel_fake_traffic(bob->k, KERNEL_IN, nb->spi_in, 3);
	h_advance(CHILD_SWITCH_MS + 100);
	tap_ok(h_log_has("bob:", "the peer sends on the new one: switching to it", NULL) &&
	       h_flows(bob->k, alice->k),
	       "once alice sends on the new pair, bob switches to it within CHILD_SWITCH_MS");
	h_reset();
}

static void test_refusals(void)
{
	struct ike_sa *sa;
	struct child_sa *c;

	setup(conf(true, "aes128gcm16", "rekey_time = 0", NULL),
	      conf(false, "aes128gcm16", "rekey_time = 0", NULL));
	sa = up();
	c = sa->children;
	child_rekey_start(c);
	/* bob forgets the pair before the request reaches it */
	child_sa_drop(h_sa(bob)->children);
	h_run();
	tap_ok(h_log_has("bob:", "CHILD_SA_NOT_FOUND", NULL) &&
	       h_log_has("alice:", "rekey failed", "CHILD_SA_NOT_FOUND", NULL) &&
	       sa->children && !sa->children->next && sa->children->state == CHILD_S_INSTALLED &&
	       kernel_fake_sa_count(alice->k) == 2,
	       "a rekey of a pair the peer lacks: CHILD_SA_NOT_FOUND, the old pair stays");
	h_reset();
}

/* dpd_delay: an empty INFORMATIONAL after that long without a message from
 * the peer; a peer that answers none of its retransmissions takes the IKE
 * SA and its CHILD SAs with it (dpd_action = clear). */
static void test_dpd(void)
{
	struct ike_sa *sa;
	int dropped = 0;

	conn_extra = "dpd_delay = 10s";
	setup(conf(true, "aes128gcm16", "rekey_time = 0\n dpd_action = clear", NULL),
	      conf(false, "aes128gcm16", "rekey_time = 0", NULL));
	conn_extra = "";
	sa = up();
	h_advance(9000);
	tap_ok(!h_wire, "DPD: nothing is sent before dpd_delay");
	h_advance(1000);
	tap_ok(h_wire_len == 2 && h_head_exchange() == IKE_INFORMATIONAL &&
	       h_log_has("alice:", "DPD: nothing from the peer for 10.0 s", NULL),
	       "DPD: after dpd_delay of silence both send an empty INFORMATIONAL");
	h_run();
	h_advance(9000);
	tap_ok(sa->state == IKE_S_ESTABLISHED && one_pair() && !h_wire,
	       "DPD: answered, the SAs stay, the next check is dpd_delay later");
	h_advance(1000);
	for (int i = 0; i < 400 && h_count_sas(alice); i++) {
		while (h_wire) {
			h_drop();
			dropped++;
		}
		h_advance(1000);
	}
	tap_ok(h_count_sas(alice) == 0 && kernel_fake_sa_count(alice->k) == 0 &&
	       kernel_fake_route_count(alice->k) == 0 &&
	       h_log_has("alice:", "did not answer our INFORMATIONAL (liveness) request", NULL),
	       "DPD: a silent peer (%d messages lost) fails the IKE SA, its CHILD SAs and routes "
	       "are gone", dropped);
	h_reset();
}

/* alice with dpd_delay = 10s and CHILD_A (MORE_A), bob without DPD. */
static void setup_dpd_alice(const char *child_a, const char *more_a, const char *child_b,
			    const char *more_b)
{
	conn_extra = "dpd_delay = 10s";
	conn_extra_bob = "";
	setup(conf(true, "aes128gcm16", child_a, more_a),
	      conf(false, "aes128gcm16", child_b, more_b));
	conn_extra = "";
	conn_extra_bob = NULL;
}

/* Seconds of 1 s steps, each with one inbound packet on alice's inbound SA
 * of child C (none if C is NULL), until the wire has something (or LIMIT):
 * how many seconds passed. */
static int esp_until_wire(struct child_sa *c, int limit)
{
	int s = 0;

	while (s < limit && !h_wire) {
		if (c)
			kernel_fake_traffic(alice->k, KERNEL_IN, c->spi_in, 1);
		h_advance(1000);
		s++;
	}
	return s;
}

/* DPD counts ESP, as charon's does: while inbound ESP arrives on any of
 * the IKE SA's CHILD_SAs no DPD request goes out; outbound ESP does not
 * count; once the ESP stops, the request comes within two dpd_delays. */
static void test_dpd_esp(void)
{
	const char *net2 = "net2 { local_ts = 10.%d.1.0/24\n remote_ts = 10.%d.1.0/24\n "
			   "esp_proposals = aes128gcm16\n %s }";
	char ma[256], mb[256];
	struct child_sa *c1, *c2;
	int s;

	snprintf(ma, sizeof(ma), net2, 1, 2, "start_action = start\n rekey_time = 0");
	snprintf(mb, sizeof(mb), net2, 2, 1, "rekey_time = 0");
	setup_dpd_alice("start_action = start\n rekey_time = 0", ma, "rekey_time = 0", mb);
	daemon_start_all(alice->d);
	h_run();
	c1 = h_sa(alice) ? h_sa(alice)->children : NULL;
	c2 = c1 ? c1->next : NULL;
	if (!c2) {
		tap_ok(false, "DPD and ESP: two CHILD SAs up");
		h_reset();
		return;
	}
	s = esp_until_wire(c1, 60);
	tap_ok(s == 60 && !h_wire, "DPD and ESP: inbound ESP on the first CHILD_SA every second "
	       "for 60 s, dpd_delay 10 s: no DPD request (%d s)", s);
	s = esp_until_wire(c2, 60);
	tap_ok(s == 60 && !h_wire, "DPD and ESP: the same on the second CHILD_SA only (%d s)", s);
	for (s = 0; s < 60 && !h_wire; s++) {
		kernel_fake_traffic(alice->k, KERNEL_OUT, c1->spi_out, 1);
		h_advance(1000);
	}
	tap_ok(s >= 10 && s <= 20 && h_wire && h_head_exchange() == IKE_INFORMATIONAL &&
	       h_log_has("alice:", "DPD: nothing from the peer", NULL),
	       "DPD and ESP: outbound ESP only: the DPD request after %d s (10 <= s <= 20)", s);
	h_run();
	h_log_clear();
	s = esp_until_wire(c2, 25);
	tap_ok(s == 25 && !h_wire, "DPD and ESP: answered, then inbound ESP again: none (%d s)",
	       s);
	s = esp_until_wire(NULL, 60);
	tap_ok(s >= 10 && s <= 20 && h_wire && h_head_exchange() == IKE_INFORMATIONAL &&
	       h_log_has("alice:", "DPD: nothing from the peer", NULL),
	       "DPD and ESP: once the ESP stops, the DPD request within two dpd_delays (%d s)", s);
	h_run();
	tap_ok(h_sa(alice) && h_sa(alice)->state == IKE_S_ESTABLISHED &&
	       kernel_fake_sa_count(alice->k) == 4, "DPD and ESP: answered, the SAs stay");
	h_reset();
}

/* Drops everything on the wire for up to LIMIT s, until NEEDLE is logged by alice. */
static int silence_until(const char *needle, int limit)
{
	int dropped = 0;

	for (int i = 0; i < limit && !h_log_has("alice:", needle, NULL); i++) {
		while (h_wire) {
			h_drop();
			dropped++;
		}
		h_advance(1000);
	}
	return dropped;
}

/* Lets messages through for up to LIMIT s, until alice has an established
 * IKE SA other than OLD_ID with one CHILD_SA. */
static struct ike_sa *back_up(uint64_t old_id, int limit)
{
	for (int i = 0; i < limit; i++) {
		struct ike_sa *sa = h_sa(alice);

		h_run();
		if (sa && sa->id != old_id && sa->state == IKE_S_ESTABLISHED && only_child(alice))
			return sa;
		h_advance(1000);
	}
	return NULL;
}

/* dpd_action = restart: a silent peer's SAs go, the connection is started
 * again, and again while the peer stays away; it comes back with the peer. */
static void test_dpd_restart(void)
{
	struct ike_sa *sa;
	uint64_t old_id;
	int dropped;

	setup_dpd_alice("rekey_time = 0\n dpd_action = restart", NULL, "rekey_time = 0", NULL);
	sa = up();
	old_id = sa ? sa->id : 0;
	h_log_clear();
	h_advance(10000);
	dropped = silence_until("restart did not get through", 800);
	tap_ok(h_log_has("alice:", "did not answer our INFORMATIONAL (liveness) request", NULL) &&
	       h_log_has("alice:", "CHILD_SA net: the peer is dead, restarting it", NULL) &&
	       h_log_has("alice:", "restart did not get through, trying again", NULL) &&
	       kernel_fake_sa_count(alice->k) == 0 && kernel_fake_route_count(alice->k) == 0 &&
	       (!h_sa(alice) || h_sa(alice)->state != IKE_S_ESTABLISHED),
	       "dpd_action = restart: the dead peer's SAs and routes are gone, the restart is "
	       "retried while the peer stays silent (%d messages lost)", dropped);
	sa = back_up(old_id, 400);
	tap_ok(sa && h_log_has("alice:", "restarted", NULL) &&
	       kernel_fake_sa_count(alice->k) == 2 && h_flows(alice->k, bob->k) &&
	       kernel_fake_route_count(alice->k) > 0,
	       "dpd_action = restart: the tunnel is back when the peer answers again");
	h_reset();

	/* bob has no remote_addrs to initiate to: says so, plans nothing more */
	conn_extra = "dpd_delay = 10s";
	setup(conf(true, "aes128gcm16", "rekey_time = 0", NULL),
	      conf(false, "aes128gcm16", "rekey_time = 0\n dpd_action = restart", NULL));
	conn_extra = "";
	up();
	h_advance(10000);
	for (int i = 0; i < 400 && !h_log_has("peer: not restarted", NULL); i++) {
		while (h_wire)
			h_drop();
		h_advance(1000);
	}
	h_advance(60000);
	tap_ok(h_log_has("bob:", "CHILD_SA net: the peer is dead, restarting it", NULL) &&
	       h_log_has("peer: not restarted: connection peer: remote_addrs names no single "
			 "address", NULL) && h_count_sas(bob) == 0 && !bob->d->restarts,
	       "dpd_action = restart on a responder-only connection: not restarted, and why");
	h_reset();
}

/* close_action: the peer deletes the IKE SA (start: started again; none:
 * nothing), or only the CHILD_SA (start: a new one on the same IKE SA). */
static void close_case(const char *action)
{
	char extra[64];
	struct ike_sa *sa, *now;
	bool start = !strcmp(action, "start");
	uint64_t old_id;

	snprintf(extra, sizeof(extra), "rekey_time = 0\n close_action = %s", action);
	setup(conf(true, "aes128gcm16", extra, NULL),
	      conf(false, "aes128gcm16", "rekey_time = 0", NULL));
	sa = up();
	old_id = sa ? sa->id : 0;
	tap_ok(daemon_terminate(bob->d, "peer") == 1, "close_action = %s: bob deletes the IKE SA",
	       action);
	h_run();
	h_advance(1);
	h_run();
	now = h_sa(alice);
	if (start)
		tap_ok(now && now->id != old_id && now->state == IKE_S_ESTABLISHED &&
		       only_child(alice) && one_pair() &&
		       h_log_has("alice:", "CHILD_SA net: the peer deleted the IKE SA, restarting",
				 NULL),
		       "close_action = start: alice starts the connection again, one pair each");
	else
		tap_ok(!now && kernel_fake_sa_count(alice->k) == 0 && h_count_sas(bob) == 0,
		       "close_action = %s: nothing is started again", action);
	h_reset();
}

static void test_close_action(void)
{
	struct ike_sa *sa;
	struct child_sa *c;
	uint32_t old_spi;

	close_case("start");
	close_case("none");
	close_case("clear");
	/* bob's child ends at its life_time: alice makes a new one */
	setup(conf(true, "aes128gcm16", "rekey_time = 0\n close_action = start", NULL),
	      conf(false, "aes128gcm16", "rekey_time = 0\n life_time = 20s", NULL));
	sa = up();
	c = only_child(alice);
	old_spi = c ? c->spi_in : 0;
	h_advance(20000);
	h_run();
	h_advance(1);
	h_run();
	c = only_child(alice);
	tap_ok(sa && h_sa(alice) == sa && sa->state == IKE_S_ESTABLISHED && c &&
	       c->spi_in != old_spi && c->state == CHILD_S_INSTALLED && one_pair() &&
	       h_log_has("alice:", "CHILD_SA net: the peer deleted it, restarting it", NULL),
	       "close_action = start: a CHILD_SA the peer deleted is made again on the same "
	       "IKE SA, one pair each");
	h_reset();
}

/* A rekey queued behind another exchange whose pair the peer deletes
 * meanwhile is dropped unsent; the IKE SA is not harmed. */
static void test_rekey_crossing_delete(void)
{
	struct ike_sa *sa;

	setup(conf(true, "aes128gcm16", "rekey_time = 0", NULL),
	      conf(false, "aes128gcm16", "rekey_time = 0", NULL));
	sa = up();
	exchange_queue(sa, liveness_task_new());
	child_rekey_start(sa->children);
	tap_ok(sa->queue && sa->children->state == CHILD_S_REKEYING,
	       "a rekey waits behind alice's INFORMATIONAL");
	/* bob deletes the pair before alice's request reaches him */
	child_sa_uninstall(h_sa(bob)->children);
	exchange_queue(h_sa(bob), delete_child_task_new(h_sa(bob)->children));
	h_run();
	h_advance(CHILD_GRACE_MS);
	tap_ok(sa->state == IKE_S_ESTABLISHED && !sa->children && !h_sa(bob)->children &&
	       !sa->queue && !sa->req.task && kernel_fake_sa_count(alice->k) == 0 &&
	       kernel_fake_sa_count(bob->k) == 0 &&
	       h_log_has("alice:", "dropping our queued CREATE_CHILD_SA", NULL),
	       "the pair is gone on both sides, the rekey dropped, the IKE SA stays");
	h_reset();
}


/* ---- IKE SA rekeying ------------------------------------------------------ */

/* Both sides hold one IKE SA, the same SPIs, established, with the CHILD_SA. */
static bool one_ike_sa(void)
{
	struct ike_sa *a = h_sa(alice), *b = h_sa(bob);

	return h_count_sas(alice) == 1 && h_count_sas(bob) == 1 && a && b &&
	       a->state == IKE_S_ESTABLISHED && b->state == IKE_S_ESTABLISHED &&
	       !memcmp(a->spi_i, b->spi_i, 8) && !memcmp(a->spi_r, b->spi_r, 8) &&
	       a->children && a->children->ike == a && b->children && b->children->ike == b;
}

/*
 * rekey_time of the IKE SA on one side: two IKE rekeys at rekey_time, each
 * answered and the old SA deleted; SPIs new, message ids from 0, CHILD_SA
 * untouched and flowing after every message; then a CHILD_SA rekey on the
 * new SA (its SK_d agrees on both sides) and DPD on it.
 */
static void ike_rekey_case(bool by_alice)
{
	struct h_peer *ini, *resp;
	uint8_t spi_i[8], spi_r[8];
	uint32_t child_in;
	int rekeys = 0;
	bool fresh = true;
	char what[64];

	conn_extra = "rekey_time = 20s\n rand_time = 0\n over_time = 5s\n dpd_delay = 8s";
	conn_extra_bob = "rekey_time = 0\n dpd_delay = 8s";
	if (!by_alice) {
		conn_extra_bob = conn_extra;
		conn_extra = "rekey_time = 0\n dpd_delay = 8s";
	}
	setup(conf(true, "aes128gcm16", "rekey_time = 0", NULL),
	      conf(false, "aes128gcm16", "rekey_time = 0", NULL));
	ini = by_alice ? alice : bob;
	resp = by_alice ? bob : alice;
	snprintf(what, sizeof(what), "IKE SA rekey by %s", ini->name);
	up();
	if (!tap_ok(one_ike_sa() && one_pair(), "%s: the tunnel is up", what))
		goto out;
	child_in = h_sa(alice)->children->spi_in;
	broken = 0;
	for (int round = 0; round < 2; round++) {
		struct ike_sa *old = h_sa(ini);
		uint64_t since = old->established;

		memcpy(spi_i, old->spi_i, 8);
		memcpy(spi_r, old->spi_r, 8);
		/* DPD keeps talking on the way; the rekey comes at rekey_time */
		while (h_now - since < 20100 && !(h_head_exchange() == IKE_CREATE_CHILD_SA)) {
			run_checked();
			h_advance(100);
		}
		if (h_head_exchange() != IKE_CREATE_CHILD_SA || h_now - since < 20000)
			break;
		h_deliver();
		/* the responder answered: it has switched, the old SA waits */
		if (h_count_sas(resp) != 2 || h_sa(resp)->state != IKE_S_ESTABLISHED ||
		    !h_sa(resp)->children)
			break;
		run_checked();
		if (!one_ike_sa() || !memcmp(h_sa(ini)->spi_i, spi_i, 8) ||
		    !memcmp(h_sa(ini)->spi_r, spi_r, 8))
			break;
		fresh &= h_sa(alice)->mid_next + h_sa(alice)->mid_peer == 0 &&
			 h_sa(bob)->mid_next + h_sa(bob)->mid_peer == 0 &&
			 h_sa(ini)->initiator && !h_sa(resp)->initiator;
		rekeys++;
	}
	tap_ok(rekeys == 2 && !broken, "%s: 2 rekeys at rekey_time, one IKE SA each side with new "
	       "SPIs after each, CHILD_SA flowing after every message (%d, %u broken)", what,
	       rekeys, broken);
	tap_ok(fresh && h_sa(alice)->children->spi_in == child_in,
	       "%s: message ids start at 0, the rekey's initiator is the new SA's, the CHILD_SA "
	       "moved unchanged", what);
	tap_ok(h_log_has(ini->name, "IKE SA rekeyed", NULL) &&
	       h_log_has(resp->name, "IKE SA rekeyed", NULL), "%s: both log the rekey", what);
	/* the new SA's SK_d is the same on both sides: a CHILD_SA rekey works */
	child_rekey_start(h_sa(resp)->children);
	run_checked();
	h_advance(CHILD_GRACE_MS);
	tap_ok(one_pair() && !broken && one_ike_sa() &&
	       only_child(alice)->spi_in != child_in,
	       "%s: a CHILD_SA rekey on the new IKE SA (keys from its SK_d)", what);
	/* DPD runs on the new SA */
	h_log_clear();
	h_advance(8100);
	tap_ok(h_head_exchange() == IKE_INFORMATIONAL, "%s: DPD on the new IKE SA", what);
	run_checked();
	tap_ok(one_ike_sa() && one_pair() && h_sa(alice)->mid_next + h_sa(bob)->mid_next >= 1,
	       "%s: answered, everything stays", what);
out:
	conn_extra = "";
	conn_extra_bob = NULL;
	h_reset();
}

/* alice's KE is of another group than bob picks: INVALID_KE_PAYLOAD, retry. */
static void test_ike_rekey_invalid_ke(void)
{
	struct ike_sa *sa;
	char *ca, *cb;

	ike_props = "aes256gcm16-prfsha384-ecp256-x25519";
	ca = conf(true, "aes128gcm16", "rekey_time = 0", NULL);
	ike_props = "aes256gcm16-prfsha384-x25519";
	cb = conf(false, "aes128gcm16", "rekey_time = 0", NULL);
	setup(ca, cb);
	sa = up();
	if (!tap_ok(sa && sa->dh_group == IKE_DH_CURVE25519, "IKE SA up with x25519"))
		goto out;
	sa->dh_group = IKE_DH_ECP256;	/* as if alice preferred it */
	broken = 0;
	ike_rekey_start(sa);
	h_deliver();
	tap_ok(h_log_has("bob:", "INVALID_KE_PAYLOAD", NULL) && h_count_sas(bob) == 1,
	       "IKE SA rekey: bob answers INVALID_KE_PAYLOAD, keeps his one IKE SA");
	run_checked();
	tap_ok(one_ike_sa() && one_pair() && !broken && h_sa(alice)->dh_group == IKE_DH_CURVE25519 &&
	       h_log_has("alice:", "the peer wants", "asking again", NULL),
	       "alice asks again with x25519: rekeyed, one IKE SA each side, no gap");
out:
	h_reset();
}

/* alice and bob with one CHILD_SA, nothing rekeying by itself: alice's SA. */
static struct ike_sa *plain_up(void)
{
	setup(conf(true, "aes128gcm16", "rekey_time = 0", NULL),
	      conf(false, "aes128gcm16", "rekey_time = 0", NULL));
	broken = 0;
	return up();
}

/* Lets retries run until alice's IKE SA is replaced; how many steps. */
static int until_replaced(struct ike_sa *sa)
{
	int rounds;

	for (rounds = 0; rounds < 10 && h_sa(alice) == sa; rounds++) {
		h_advance(500);
		run_checked();
	}
	return rounds;
}

/* bob has a request of his own out: alice's rekey gets TEMPORARY_FAILURE,
 * her retry succeeds. */
static void test_ike_rekey_busy(void)
{
	struct ike_sa *sa = plain_up();
	int rounds;

	exchange_queue(h_sa(bob), liveness_task_new());
	ike_rekey_start(sa);
	run_checked();
	tap_ok(h_log_has("bob:", "exchange of ours is under way", "TEMPORARY_FAILURE", NULL) &&
	       h_count_sas(alice) == 1 && h_sa(alice) == sa && one_pair(),
	       "IKE SA rekey while the peer's request is out: TEMPORARY_FAILURE, nothing changes");
	rounds = until_replaced(sa);
	tap_ok(one_ike_sa() && one_pair() && !broken && h_sa(alice) != sa,
	       "alice tries again and rekeys (%d rounds)", rounds);
	h_reset();
}

/* Both rekey the IKE SA at once (RFC 7296 §2.8.2): both exchanges
 * complete, the new SA with the lowest nonce is deleted by its maker, the
 * old one by the other side; one IKE SA survives on each side, with the
 * CHILD_SA, which flows after every message. */
static bool ike_collision(int *loser)
{
	struct ike_sa *sa = h_sa(alice);
	bool ok, pending;

	ike_rekey_start(sa);
	ike_rekey_start(h_sa(bob));
	ok = h_wire_len == 2;
	h_deliver();
	h_deliver();
	/* each answered the other's: the SA it made waits, nothing moved */
	pending = h_count_sas(alice) == 2 && h_count_sas(bob) == 2 &&
		  h_sa(alice)->state == IKE_S_INIT_I && h_sa(bob)->state == IKE_S_INIT_I &&
		  sa->children && sa->collision;
	run_checked();
	*loser = who_lost("simultaneous IKE SA rekey: ours has the lowest");
	ok = ok && pending && one_ike_sa() && one_pair() && !broken && h_sa(alice) != sa &&
	     !h_log_has("TEMPORARY_FAILURE", NULL) && !h_log_has("failed", NULL) &&
	     h_log_has(*loser ? "alice:" : "bob:", "the peer's has the lowest nonce", NULL);
	/* the survivor works: a CHILD_SA rekey on it */
	child_rekey_start(h_sa(alice)->children);
	run_checked();
	h_advance(CHILD_GRACE_MS + 100);
	return ok && one_ike_sa() && one_pair() && !broken;
}

static void test_ike_collision(void)
{
	collision_rounds("simultaneous IKE SA rekeys: both complete, the SA with the lowest nonce "
			 "deleted by its maker, the old by the other, one IKE SA each side, "
			 "CHILD_SA never broken", ike_collision);
	biased_rounds("simultaneous IKE SA rekeys", ike_collision);
}

/*
 * Simultaneous IKE SA rekeys that alice wins (bob's new SA has the lowest
 * nonce), where her answer to bob's request is lost once: she learns the
 * outcome before bob does. Were her DELETE of the old SA to reach bob
 * before her answer, bob would take his rekey for failed and never delete
 * his redundant SA, which she would keep until IKE_OLD_MS (charon does
 * exactly this). She sends it once bob deleted his redundant SA.
 */
static void test_ike_collision_answer_lost(void)
{
	const uint64_t hold_ms = 3000;
	uint64_t t0;
	char why[64];

	plain_up();
	alice->d->nonce_bias = nonce_bias_parse("peer=high", why, sizeof(why));
	ike_rekey_start(h_sa(alice));
	ike_rekey_start(h_sa(bob));
	t0 = h_now;
	for (int step = 0; step < 80; step++) {
		for (int n = 0; n < 20 && h_wire; n++) {
			bool response = h_wire->len > 19 && (h_wire->data[19] & 0x20);

			if (response && addr_equal(&h_wire->from.addr, &alice->addr) &&
			    h_head_exchange() == IKE_CREATE_CHILD_SA && h_now - t0 < hold_ms) {
				h_drop();
				continue;
			}
			h_deliver();
			if (!h_flows(alice->k, bob->k) || !h_flows(bob->k, alice->k))
				broken++;
		}
		h_advance(250);
	}
	run_checked();
	tap_ok(h_log_has("alice:", "simultaneous IKE SA rekey: the peer's has the lowest", NULL) &&
	       h_log_has("alice:", "waits for the peer's DELETE of its redundant one", NULL) &&
	       h_log_has("bob:", "simultaneous IKE SA rekey: ours has the lowest", NULL) &&
	       !h_log_has("got no DELETE", NULL) && !h_log_has("did not delete its redundant", NULL) &&
	       one_ike_sa() && one_pair() && !broken,
	       "simultaneous IKE SA rekeys, the winner's answer lost once: her DELETE of the old SA "
	       "waits for the loser's DELETE of his redundant one; one IKE SA each side within 20 s, "
	       "the CHILD_SA never broken");
	h_reset();
}

/* The same, but bob's request reaches alice only after her rekey completed:
 * she answers TEMPORARY_FAILURE on the replaced SA; bob's waiting SA (his
 * answer to alice) takes over when her DELETE of the old SA comes. */
static void test_ike_collision_late(void)
{
	struct ike_sa *sa;
	struct h_pkt *late;

	setup(conf(true, "aes128gcm16", "rekey_time = 0", NULL),
	      conf(false, "aes128gcm16", "rekey_time = 0", NULL));
	sa = up();
	broken = 0;
	ike_rekey_start(sa);
	ike_rekey_start(h_sa(bob));
	h_deliver();		/* alice's request: bob answers, his SA waits */
	late = h_pop();		/* bob's request, held back */
	h_deliver();		/* bob's answer: alice switches, deletes the old SA */
	tap_ok(late && h_count_sas(alice) == 2 && h_sa(alice)->state == IKE_S_ESTABLISHED &&
	       h_sa(bob)->state == IKE_S_INIT_I,
	       "a late simultaneous IKE SA rekey: alice completes hers first");
	if (late) {
		h_deliver_pkt(late);
		h_pkt_free(late);
	}
	run_checked();
	tap_ok(one_ike_sa() && one_pair() && !broken && h_log_has("alice:", "TEMPORARY_FAILURE", NULL),
	       "alice answers bob's TEMPORARY_FAILURE; bob's waiting SA takes over, one IKE SA each "
	       "side, the CHILD_SA never broken");
	h_reset();
}

/* A CHILD_SA rekey queued behind alice's IKE SA rekey moves with the
 * queue and runs on the new IKE SA. */
static void test_ike_rekey_queue_moves(void)
{
	struct ike_sa *sa = plain_up();
	uint32_t old_in;

	old_in = sa->children->spi_in;
	ike_rekey_start(sa);
	child_rekey_start(sa->children);
	tap_ok(sa->queue && sa->req.task, "a CHILD_SA rekey waits behind the IKE SA rekey");
	run_checked();
	h_advance(CHILD_GRACE_MS + 100);
	tap_ok(one_ike_sa() && one_pair() && !broken && h_sa(alice) != sa &&
	       only_child(alice)->spi_in != old_in && h_sa(alice)->mid_next == 2,
	       "it moved to the new IKE SA and ran there (CREATE_CHILD_SA and DELETE, ids 0 and 1)");
	h_reset();
}

/* alice rekeys the IKE SA while bob rekeys the CHILD_SA: bob, whose
 * request is out, answers TEMPORARY_FAILURE; alice answers his; both
 * complete in the end, one IKE SA and one pair on each side. */
static void test_ike_rekey_vs_child_rekey(void)
{
	struct ike_sa *sa = plain_up();

	ike_rekey_start(sa);
	child_rekey_start(h_sa(bob)->children);
	run_checked();
	tap_ok(h_log_has("bob:", "exchange of ours is under way", NULL) && !broken &&
	       h_count_sas(alice) == 1 && h_log_has("bob:", "rekeyed: SPIs", NULL),
	       "an IKE SA rekey crossing a CHILD_SA rekey: bob refuses it for now, his CHILD_SA "
	       "rekey completes");
	until_replaced(sa);
	h_advance(CHILD_GRACE_MS + 100);
	tap_ok(one_ike_sa() && one_pair() && !broken && h_sa(alice) != sa,
	       "alice's retry rekeys the IKE SA; one IKE SA and one pair each side, no gap");
	h_reset();
}

/* Two children each side, net and net2, both flowing; alice's only. */
static bool two_pairs(void)
{
	struct ike_sa *a = h_sa(alice), *b = h_sa(bob);

	return a && b && a->children && a->children->next && !a->children->next->next &&
	       b->children && b->children->next && !b->children->next->next &&
	       kernel_fake_sa_count(alice->k) == 4 && kernel_fake_sa_count(bob->k) == 4 &&
	       kernel_fake_route_count(alice->k) == 2 && kernel_fake_route_count(bob->k) == 2 &&
	       h_flows(alice->k, bob->k) && h_flows(bob->k, alice->k);
}

/* Whether net's traffic from FROM decrypts at TO: the outbound SA kesp.ko
 * would use for it (the first installed of net's, old or new). */
static bool net_flows(struct h_peer *from, struct h_peer *to)
{
	struct ike_sa *sa = h_sa(from);

	for (size_t n = 0; sa && n < kernel_fake_sa_count(from->k); n++) {
		const struct kernel_sa *o = kernel_fake_sa_at(from->k, n), *i;
		bool of_net = false;

		for (struct child_sa *c = sa->children; c && o->dir == KERNEL_OUT; c = c->next)
			of_net |= !strcmp(c->cfg->name, "net") && c->spi_out == o->spi;
		if (!of_net)
			continue;
		i = kernel_fake_sa(to->k, KERNEL_IN, o->spi);
		return i && i->enc_key_len == o->enc_key_len &&
		       !memcmp(i->enc_key, o->enc_key, o->enc_key_len);
	}
	return false;
}

/* Runs the wire with retries for up to 60 s, checking after every message
 * that net flows both ways. */
static void settle_checked(void)
{
	for (int i = 0; i < 60; i++) {
		for (int n = 0; n < 100 && h_wire; n++) {
			h_deliver();
			if (!net_flows(alice, bob) || !net_flows(bob, alice))
				broken++;
		}
		h_advance(1000);
	}
}

/*
 * alice rekeys net (a CHILD_SA rekey; with REKEY = ike, the IKE SA) while
 * bob starts a further CHILD_SA, net2: the two CREATE_CHILD_SA requests
 * cross. Both complete (a refused one is retried): net rekeyed, net2 up,
 * and on an IKE SA rekey both children on the one new IKE SA; net never
 * stops flowing.
 */
static void crossing_new_child(bool ike)
{
	const char *net2 = "net2 { local_ts = 10.%d.1.0/24\n remote_ts = 10.%d.1.0/24\n "
			   "esp_proposals = aes128gcm16\n rekey_time = 0 }";
	char ma[256], mb[256];
	const struct child_cfg *cc = NULL;
	struct ike_sa *sa;
	uint32_t old_in;
	bool crossed;

	snprintf(ma, sizeof(ma), net2, 1, 2);
	snprintf(mb, sizeof(mb), net2, 2, 1);
	setup(conf(true, "aes128gcm16", "rekey_time = 0", ma),
	      conf(false, "aes128gcm16", "rekey_time = 0", mb));
	broken = 0;
	sa = up();
	old_in = sa && sa->children ? sa->children->spi_in : 0;
	config_find_child(bob->d->cfg, "net2", &cc);
	if (!sa || !cc) {
		tap_ok(false, "%s rekey crossing a new CHILD_SA: set up", ike ? "IKE SA" : "CHILD_SA");
		h_reset();
		return;
	}
	if (ike)
		ike_rekey_start(sa);
	else
		child_rekey_start(sa->children);
	exchange_queue(h_sa(bob), create_child_task_new(cc, NULL));
	crossed = h_wire_len == 2;
	settle_checked();
	sa = h_sa(alice);
	tap_ok(crossed && two_pairs() && !broken && one_ike_sa() &&
	       (!ike || (h_sa(alice) && h_log_has("alice:", "IKE SA rekeyed", NULL))) &&
	       (ike || (sa && sa->children && (sa->children->spi_in != old_in ||
						sa->children->next->spi_in != old_in) &&
			h_log_has("alice:", "rekeyed: SPIs", NULL))) &&
	       h_log_has("bob:", "CHILD_SA net2{", "established", NULL),
	       "%s rekey by alice crossing bob's new CHILD_SA: both complete, %s, net2 up, two "
	       "pairs each side, net never broken", ike ? "an IKE SA" : "a CHILD_SA",
	       ike ? "one new IKE SA holding both" : "net rekeyed");
	h_reset();
}

static void test_crossing_new_child(void)
{
	crossing_new_child(false);
	crossing_new_child(true);
}

/* bob refuses every IKE SA rekey (NO_PROPOSAL_CHOSEN): alice tries again
 * later, and at rekey_time + over_time deletes the IKE SA. */
static void test_ike_over_time(void)
{
	struct ike_sa *sa;
	uint64_t t0;

	conn_extra = "rekey_time = 20s\n rand_time = 0\n over_time = 15s";
	conn_extra_bob = "rekey_time = 0";
	sa = plain_up();
	conn_extra = "";
	conn_extra_bob = NULL;
	t0 = sa->established;
	h_sa(bob)->prf = IKE_PRF_HMAC_SHA2_256;	/* so none of his proposals fits */
	h_advance(20000 - (h_now - t0) + 100);
	run_checked();
	tap_ok(h_log_has("bob:", "NO_PROPOSAL_CHOSEN", NULL) &&
	       h_log_has("alice:", "IKE SA rekey failed", "trying again in 30.0 s", NULL) &&
	       one_ike_sa() && h_sa(alice) == sa,
	       "a refused IKE SA rekey: the IKE SA stays, alice tries again later");
	h_advance(35000 - (h_now - t0) - 200);
	tap_ok(!h_wire && sa->state == IKE_S_ESTABLISHED, "nothing before rekey_time + over_time");
	h_advance(300);
	tap_ok(h_head_exchange() == IKE_INFORMATIONAL &&
	       h_log_has("alice:", "not rekeyed within rekey_time + over_time (35 s)", NULL),
	       "at rekey_time + over_time alice deletes the IKE SA");
	h_run();
	tap_ok(h_count_sas(alice) == 0 && h_count_sas(bob) == 0 &&
	       kernel_fake_sa_count(alice->k) == 0 && kernel_fake_sa_count(bob->k) == 0,
	       "both IKE SAs and the CHILD_SA are gone on both sides");
	h_reset();
}

/* What each SA carried is logged as it goes (kesp.ko's counters, read just
 * before its removal): the old outbound SA at the switch, the old inbound
 * one after its grace, so a guest test can match a sender's count to the
 * receiver's for every replaced pair. */
static void test_removed_counts(void)
{
	const char *timers = "rekey_time = 10s\n life_time = 20s\n rand_time = 0";
	struct child_sa *a, *b;
	uint32_t ab, ba;
	char want[4][96];

	setup(conf(true, "aes128gcm16", timers, NULL), conf(false, "aes128gcm16", "rekey_time = 0", NULL));
	up();
	a = only_child(alice);
	b = only_child(bob);
	if (!tap_ok(a && b && one_pair(), "removed SAs' counts: the tunnel is up"))
		return;
	ab = a->spi_out;
	ba = b->spi_out;
	kernel_fake_count(alice->k, KERNEL_OUT, ab, 7, 700);
	kernel_fake_count(bob->k, KERNEL_IN, ab, 7, 700);
	kernel_fake_count(bob->k, KERNEL_OUT, ba, 5, 500);
	kernel_fake_count(alice->k, KERNEL_IN, ba, 5, 500);
	h_log_clear();
	for (int i = 0; i < 120 && !h_wire; i++)
		h_advance(100);
	h_run();
	h_advance(CHILD_GRACE_MS + 100);
	h_run();
	snprintf(want[0], sizeof(want[0]), "outbound SA %08x removed after 7 packets, 700 bytes", ab);
	snprintf(want[1], sizeof(want[1]), "inbound SA %08x removed after 7 packets, 700 bytes", ab);
	snprintf(want[2], sizeof(want[2]), "outbound SA %08x removed after 5 packets, 500 bytes", ba);
	snprintf(want[3], sizeof(want[3]), "inbound SA %08x removed after 5 packets, 500 bytes", ba);
	tap_ok(one_pair() && only_child(alice) && only_child(alice)->spi_out != ab &&
	       h_log_has("alice:", "CHILD_SA net{", want[0], NULL) &&
	       h_log_has("bob:", "CHILD_SA net{", want[1], NULL) &&
	       h_log_has("bob:", "CHILD_SA net{", want[2], NULL) &&
	       h_log_has("alice:", "CHILD_SA net{", want[3], NULL),
	       "removed SAs' counts: a rekey logs what each old SA carried, on both sides");
	h_reset();
}

int main(void)
{
	if (ike_crypto_init())
		return 1;
	rekey_case(true, "aes128gcm16");
	rekey_case(false, "aes128gcm16");
	rekey_case(true, "aes256gcm16-x25519");
	rekey_case(false, "aes128-sha256-modp2048");
	test_delete_delay();
	test_invalid_ke();
	test_further_child();
	test_start_two();
	test_life_time();
	test_collision();
	test_rekey_vs_delete();
	test_lost_delete();
	test_no_delete_traffic();
	test_refusals();
	test_rekey_crossing_delete();
	test_dpd();
	test_dpd_esp();
	test_dpd_restart();
	test_close_action();
	test_removed_counts();
	ike_rekey_case(true);
	ike_rekey_case(false);
	test_ike_rekey_invalid_ke();
	test_ike_rekey_busy();
	test_ike_collision();
	test_ike_collision_late();
	test_ike_collision_answer_lost();
	test_ike_rekey_queue_moves();
	test_ike_rekey_vs_child_rekey();
	test_crossing_new_child();
	test_ike_over_time();
	h_reset();
	log_set_sink(NULL, NULL);
	ike_crypto_deinit();
	return tap_done();
}
