// SPDX-License-Identifier: GPL-2.0
/*
 * Whole exchanges between two ikehelper state machines against the fake
 * kernel, checking the state of both sides after every message: success in
 * each role, INVALID_KE retry, cookies, lost and duplicated messages, giving
 * up, and every negative of issue 14 (wrong PSK, unknown identity, disjoint
 * proposals, disjoint selectors): no SA, the right notify, a log line that
 * names the cause.
 */
#include "ike_harness.h"
#include "tap.h"

#define PSK "\"Vq3#pL9!xZ2@mW7$kR4nB8\""

/* alice 192.0.2.1 (10.1.0.0/24) <-> bob 192.0.2.2 (10.2.0.0/24) */
static const char *alice_id = "alice@example.org";

static const char *default_proposals(const char *extra)
{
	return strstr(extra, "proposals") ? "" : "proposals = aes256gcm16-prfsha384-x25519";
}

static char *conf_alice(const char *extra_conn, const char *extra_child, const char *psk)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "connections {\n"
		 " site-b {\n"
		 "  remote_addrs = 192.0.2.2\n"
		 "  %s\n"
		 "  %s\n"
		 "  local { auth = psk\n id = %s }\n"
		 "  remote { auth = psk\n id = bob.example.org }\n"
		 "  children { net {\n"
		 "   local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24\n"
		 "   %s\n"
		 "   %s\n"
		 "  } }\n"
		 " }\n"
		 "}\n"
		 "secrets { ike { secret = %s } }\n", default_proposals(extra_conn), extra_conn,
		 alice_id, strstr(extra_child, "esp_proposals") ? "" : "esp_proposals = aes128gcm16",
		 extra_child, psk);
	return strdup(buf);
}

static char *conf_bob(const char *extra_conn, const char *extra_child, const char *psk,
		      const char *settings)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "connections {\n"
		 " site-a {\n"
		 "  %s\n"
		 "  %s\n"
		 "  local { auth = psk\n id = bob.example.org }\n"
		 "  remote { auth = psk\n id = alice@example.org }\n"
		 "  children { net {\n"
		 "   local_ts = 10.2.0.0/24\n remote_ts = 10.1.0.0/16\n"
		 "   esp_proposals = aes256gcm16, aes128gcm16\n"
		 "   %s\n"
		 "  } }\n"
		 " }\n"
		 "}\n"
		 "secrets { ike { secret = %s } }\n"
		 "ikehelper { %s }\n", default_proposals(extra_conn), extra_conn, extra_child, psk,
		 settings ? settings : "");
	return strdup(buf);
}

static struct h_peer *alice, *bob;

static void setup(char *ca, char *cb)
{
	h_pair(&alice, &bob, ca, cb);
}

/* Both kernels hold one SA pair, SPIs crossed, keys equal, inbound first. */
static void check_pair(const char *what, struct kernel *ka, struct kernel *kb)
{
	const struct kernel_sa *a_in = kernel_fake_sa_at(ka, 0), *a_out = kernel_fake_sa_at(ka, 1);
	const struct kernel_sa *b_in = kernel_fake_sa_at(kb, 0), *b_out = kernel_fake_sa_at(kb, 1);

	if (!tap_ok(kernel_fake_sa_count(ka) == 2 && kernel_fake_sa_count(kb) == 2 && a_in &&
		    a_out && b_in && b_out, "%s: one SA pair on each side", what))
		return;
	tap_ok(a_in->dir == KERNEL_IN && b_in->dir == KERNEL_IN,
	       "%s: each side installed its inbound SA first", what);
	tap_ok(a_out->spi == b_in->spi && b_out->spi == a_in->spi, "%s: SPIs match across", what);
	tap_ok(a_out->enc_key_len && a_out->enc_key_len == b_in->enc_key_len &&
	       !memcmp(a_out->enc_key, b_in->enc_key, a_out->enc_key_len) &&
	       !memcmp(b_out->enc_key, a_in->enc_key, b_out->enc_key_len) &&
	       memcmp(a_out->enc_key, a_in->enc_key, a_in->enc_key_len),
	       "%s: each direction's key is the same on both sides, and the two differ", what);
}

static void test_success(void)
{
	struct h_wait w;
	struct ike_sa *sa, *bsa;
	const struct kernel_sa *ks;

	setup(conf_alice("", "", PSK), conf_bob("", "", PSK, NULL));
	sa = h_up(alice, "site-b", &w);
	tap_ok(sa && sa->state == IKE_S_INIT_I && h_wire_len == 1 &&
	       h_head_exchange() == IKE_SA_INIT, "alice: initiating, IKE_SA_INIT on the wire");
	h_deliver();
	bsa = h_sa(bob);
	tap_ok(bsa && bsa->state == IKE_S_INIT_R && bob->d->half_open_count == 1 &&
	       h_wire_len == 1, "bob: one half-open SA, its IKE_SA_INIT response on the wire");
	tap_ok(kernel_fake_sa_count(bob->k) == 0, "bob: nothing in the kernel yet");
	h_deliver();
	tap_ok(sa->state == IKE_S_AUTH_I && h_head_exchange() == IKE_AUTH &&
	       kernel_fake_spis_reserved(alice->k) == 1,
	       "alice: keys made, inbound SPI reserved, IKE_AUTH on the wire");
	h_deliver();
	tap_ok(bsa->state == IKE_S_ESTABLISHED && bob->d->half_open_count == 0 &&
	       kernel_fake_sa_count(bob->k) == 2 && h_head_exchange() == IKE_AUTH,
	       "bob: established, SA pair installed, IKE_AUTH response on the wire");
	TAP_EQ_STR(bsa->conn ? bsa->conn->name : "(none)", "site-a",
		   "bob chose its connection by alice's identity");
	h_deliver();
	tap_ok(sa->state == IKE_S_ESTABLISHED && w.done == 1 && w.ok,
	       "alice: established, 'up' reported success (%s)", w.msg);
	check_pair("alice <-> bob", alice->k, bob->k);
	ks = kernel_fake_sa(alice->k, KERNEL_OUT, kernel_fake_sa_at(alice->k, 1)->spi);
	tap_ok(ks && ks->aead_name && !strcmp(ks->aead_name, "rfc4106(gcm(aes))") &&
	       ks->icv_bits == 128 && ks->enc_key_len == 20 && ks->mode == KERNEL_TUNNEL &&
	       !ks->encap, "the ESP SA is AES-GCM-128 (16+4 key bytes), tunnel, no encap");
	tap_ok(ks && ks->nsel == 1 && ks->sel[0].src.lo[1] == 1 && ks->sel[0].dst.lo[1] == 2 &&
	       ks->sel[0].dst.hi[2] == 0 && ks->sel[0].dst.hi[3] == 255,
	       "alice's outbound selector is 10.1.0.0/24 -> 10.2.0.0/24 (narrowed by bob)");
	tap_ok(kernel_fake_route_count(alice->k) == 1 &&
	       kernel_fake_route_at(alice->k, 0)->bits == 24 &&
	       kernel_fake_route_at(alice->k, 0)->table == alice->d->cfg->set.route_table,
	       "alice routes 10.2.0.0/24 into the device, in ikehelper's table");
	tap_ok(kernel_fake_route_count(bob->k) == 1, "bob routes 10.1.0.0/24 likewise");
	tap_ok(h_log_has("alice: site-b[1]", "IKE SA established", "bob.example.org", NULL) &&
	       h_log_has("bob: site-a[1]", "CHILD_SA net{1} established", NULL),
	       "log lines name the connection, the SA and the event");
	tap_ok(!h_wire, "nothing more on the wire");
	/* Quiet afterwards: no retransmission, no timeout. */
	h_advance(200000);
	tap_ok(!h_wire && sa->state == IKE_S_ESTABLISHED && bsa->state == IKE_S_ESTABLISHED,
	       "200 s later both SAs are still up and nothing was resent");
	h_reset();
}

/* The same, bob initiating: each daemon in the other role. */
static void test_responder_role(void)
{
	struct h_wait w;
	struct ike_sa *sa;
	char *cb = conf_bob("remote_addrs = 192.0.2.1", "", PSK, NULL);

	setup(conf_alice("", "", PSK), cb);
	sa = h_up(bob, "site-a", &w);
	h_run();
	tap_ok(sa && sa->state == IKE_S_ESTABLISHED && h_sa(alice) &&
	       h_sa(alice)->state == IKE_S_ESTABLISHED && !h_sa(alice)->initiator && w.ok,
	       "bob initiates, alice responds: both established");
	check_pair("bob <-> alice", alice->k, bob->k);
	/* bob proposed 10.2.0.0/24 <-> 10.1.0.0/16; alice narrowed to /24. */
	tap_ok(sa->children && sa->children->nts_remote == 1 &&
	       sa->children->ts_remote[0].hi[2] == 0 && sa->children->ts_remote[0].hi[3] == 255,
	       "alice narrowed bob's 10.1.0.0/16 to her 10.1.0.0/24");
	h_reset();
}

static void test_invalid_ke(void)
{
	struct h_wait w;
	struct ike_sa *sa;

	setup(conf_alice("proposals = aes256gcm16-prfsha384-x25519-ecp256", "", PSK),
	      conf_bob("proposals = aes256gcm16-prfsha384-ecp256", "", PSK, NULL));
	sa = h_up(alice, "site-b", &w);
	h_deliver();
	tap_ok(h_count_sas(bob) == 0 && h_wire_len == 1,
	       "bob answers a KE it did not choose without keeping state");
	tap_ok(h_log_has("bob:", "has a x25519 key exchange, we chose ecp256",
			 "INVALID_KE_PAYLOAD", NULL) || h_log_has("INVALID_KE_PAYLOAD", NULL),
	       "bob says which group it wants and why");
	h_deliver();
	tap_ok(sa->state == IKE_S_INIT_I && sa->dh_group == IKE_DH_ECP256 &&
	       h_head_exchange() == IKE_SA_INIT && h_log_has("alice:", "instead of", NULL),
	       "alice retries IKE_SA_INIT with ecp256");
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED && w.ok && kernel_fake_sa_count(bob->k) == 2,
	       "then the handshake completes");
	h_reset();
}

static void test_cookie(void)
{
	struct h_wait w, wc;
	struct ike_sa *sa, *csa;
	struct h_peer *carol;

	setup(conf_alice("", "", PSK), conf_bob("", "", PSK, "cookie_threshold = 1"));
	carol = h_peer_new("carol", "192.0.2.3",
			   "connections { c { remote_addrs = 192.0.2.2\n"
			   " proposals = aes256gcm16-prfsha384-x25519\n"
			   " local { auth = psk\n id = carol }\n remote { auth = psk } } }\n"
			   "secrets { ike { secret = " PSK " } }\n");
	/* carol's handshake stays half-open: bob's answer never reaches her. */
	csa = h_up(carol, "c", &wc);
	h_deliver();
	h_drop();
	tap_ok(csa && bob->d->half_open_count == 1, "one half-open SA at bob (threshold 1)");
	sa = h_up(alice, "site-b", &w);
	h_deliver();
	tap_ok(h_count_sas(bob) == 1 && h_wire_len == 1 && bob->d->st.cookies_sent == 1,
	       "bob answers alice with a COOKIE and keeps no state for her");
	h_deliver();
	tap_ok(sa->state == IKE_S_INIT_I && sa->cookie_len == 17 && h_wire_len == 1,
	       "alice retries with the cookie");
	h_deliver();
	tap_ok(h_count_sas(bob) == 2 && bob->d->st.cookies_sent == 1,
	       "bob accepts the cookie: a second SA, no second cookie");
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED && w.ok, "alice's handshake completes through it");
	/* The half-open SA expires after half_open_timeout (30 s). */
	h_advance(31000);
	tap_ok(bob->d->half_open_count == 0 && h_count_sas(bob) == 1,
	       "carol's half-open SA at bob expired after 30 s");
	h_reset();
}

static void test_retransmit(void)
{
	struct h_wait w;
	struct ike_sa *sa, *bsa;

	struct h_pkt init_copy;

	setup(conf_alice("", "", PSK), conf_bob("", "", PSK, NULL));
	sa = h_up(alice, "site-b", &w);
	init_copy = *h_wire;
	init_copy.data = malloc(h_wire->len);
	memcpy(init_copy.data, h_wire->data, h_wire->len);
	h_deliver();
	h_drop();	/* bob's IKE_SA_INIT response is lost */
	h_advance(3999);
	tap_ok(!h_wire, "no retransmission before 4 s");
	h_advance(1);
	tap_ok(h_wire_len == 1 && alice->d->st.retransmits_sent == 1,
	       "alice retransmits IKE_SA_INIT after 4 s");
	h_deliver();
	tap_ok(h_count_sas(bob) == 1 && bob->d->st.retransmits_answered == 1 && h_wire_len == 1,
	       "bob answers the retransmission from cache, still one SA");
	h_deliver();
	tap_ok(sa->state == IKE_S_AUTH_I, "alice continues with IKE_AUTH");
	/* A duplicated IKE_AUTH request: answered twice, installed once. */
	{
		struct h_pkt *p = h_pop(), copy = *p;

		copy.data = malloc(p->len);
		memcpy(copy.data, p->data, p->len);
		h_deliver_pkt(p);
		h_pkt_free(p);
		h_deliver_pkt(&copy);
		free(copy.data);
	}
	bsa = h_sa(bob);
	tap_ok(h_wire_len == 2 && kernel_fake_sa_count(bob->k) == 2 &&
	       bob->d->st.retransmits_answered == 2,
	       "a duplicated IKE_AUTH is answered twice from cache, its SAs installed once");
	h_deliver();
	h_deliver();
	tap_ok(sa->state == IKE_S_ESTABLISHED && w.done == 1 && alice->d->st.dropped_window == 1,
	       "alice takes the first answer and drops the duplicate");
	check_pair("after loss and duplication", alice->k, bob->k);
	/* A late IKE_SA_INIT (the first one, replayed) makes no second SA. */
	h_deliver_pkt(&init_copy);
	free(init_copy.data);
	tap_ok(bsa->state == IKE_S_ESTABLISHED && h_count_sas(bob) == 1 && !h_wire,
	       "a replayed IKE_SA_INIT after IKE_AUTH: no second SA, no answer");
	h_reset();

	/* Nobody answers: 5 retransmissions at 4, 7.2, 13, 23, 42 s, then give up. */
	setup(conf_alice("", "", PSK), conf_bob("", "", PSK, NULL));
	sa = h_up(alice, "site-b", &w);
	for (int i = 0; i < 6; i++)
		h_drop();
	h_advance(160000);
	tap_ok(h_count_sas(alice) == 1 && alice->d->st.retransmits_sent == 5,
	       "five retransmissions in the first 160 s");
	while (h_wire)
		h_drop();
	h_advance(10000);
	tap_ok(h_count_sas(alice) == 0 && w.done == 1 && !w.ok && strstr(w.msg, "did not answer"),
	       "after 165.5 s alice gives up and 'up' fails: %s", w.msg);
	tap_ok(h_log_has("alice:", "failed:", "did not answer our IKE_SA_INIT request after 5 "
			 "retransmissions", NULL), "the log says the peer did not answer");
	h_reset();
}

/* Nothing left on either side: no IKE SA, no kernel SA, no route. */
static void nothing_left(const char *what)
{
	tap_ok(h_count_sas(alice) == 0 && h_count_sas(bob) == 0 &&
	       kernel_fake_sa_count(alice->k) == 0 && kernel_fake_sa_count(bob->k) == 0 &&
	       kernel_fake_route_count(alice->k) == 0 && kernel_fake_route_count(bob->k) == 0,
	       "%s: no SA on either side", what);
}

static void test_wrong_psk(void)
{
	struct h_wait w;

	setup(conf_alice("", "", PSK), conf_bob("", "", "\"Yy7#qQ2!other-PSK-than-alice\"", NULL));
	h_up(alice, "site-b", &w);
	h_run();
	nothing_left("wrong PSK");
	tap_ok(h_log_has("bob:", "does not verify with the PSK", "PSKs differ",
			 "answering AUTHENTICATION_FAILED", NULL),
	       "bob: the AUTH does not verify, AUTHENTICATION_FAILED sent");
	tap_ok(h_log_has("alice:", "AUTHENTICATION_FAILED", "check the PSK", NULL),
	       "alice: the peer rejected our authentication");
	tap_ok(w.done == 1 && !w.ok && strstr(w.msg, "AUTHENTICATION_FAILED"),
	       "'up' fails with the reason");
	h_reset();
}

static void test_unknown_identity(void)
{
	struct h_wait w;
	/* alice says she is mallory, whom bob does not know */
	alice_id = "mallory@example.org";
	setup(conf_alice("", "", PSK), conf_bob("", "", PSK, NULL));
	alice_id = "alice@example.org";
	h_up(alice, "site-b", &w);
	h_run();
	nothing_left("unknown identity");
	tap_ok(h_log_has("bob:", "no connection for peer identity 'mallory@example.org'",
			 "expects peer 'alice@example.org'", "AUTHENTICATION_FAILED", NULL),
	       "bob names the identity it does not know and what it expected");
	tap_ok(w.done == 1 && !w.ok, "'up' fails");
	h_reset();
}

static void test_disjoint_ike(void)
{
	struct h_wait w;

	setup(conf_alice("proposals = aes128-sha256-modp2048", "", PSK),
	      conf_bob("", "", PSK, NULL));
	h_up(alice, "site-b", &w);
	h_deliver();
	tap_ok(h_count_sas(bob) == 0 && h_wire && h_wire->len < 60,
	       "bob answers NO_PROPOSAL_CHOSEN without state");
	h_run();
	nothing_left("disjoint IKE proposals");
	tap_ok(h_log_has("bob:", "no proposal chosen", "aes256gcm16-prfsha384-x25519",
			 "aes128-sha256-prfsha256-modp2048", NULL) ||
	       h_log_has("no proposal chosen", "aes256gcm16-prfsha384-x25519",
			 "aes128-sha256-prfsha256-modp2048", NULL),
	       "bob's log names both lists");
	tap_ok(h_log_has("alice:", "NO_PROPOSAL_CHOSEN", "we offered aes128-sha256", NULL),
	       "alice's log says the peer chose none of hers");
	h_reset();
}

static void test_disjoint_esp(void)
{
	struct h_wait w;
	struct ike_sa *sa;

	setup(conf_alice("", "esp_proposals = chacha20poly1305", PSK), conf_bob("", "", PSK, NULL));
	sa = h_up(alice, "site-b", &w);
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED && h_sa(bob)->state == IKE_S_ESTABLISHED,
	       "the IKE SA comes up");
	tap_ok(kernel_fake_sa_count(alice->k) == 0 && kernel_fake_sa_count(bob->k) == 0 &&
	       !sa->children && !h_sa(bob)->children, "disjoint ESP proposals: no CHILD_SA");
	tap_ok(h_log_has("bob:", "no ESP proposal chosen", "chacha20poly1305",
			 "aes256gcm16-noesn", "NO_PROPOSAL_CHOSEN", NULL),
	       "bob names both ESP lists");
	tap_ok(w.done == 1 && !w.ok && strstr(w.msg, "NO_PROPOSAL_CHOSEN"), "'up' fails: %s",
	       w.msg);
	h_reset();
}

static void test_disjoint_ts(void)
{
	struct h_wait w;
	struct ike_sa *sa;

	setup(conf_alice("", "", PSK), conf_bob("", "", PSK, NULL));
	/* alice wants 10.3.0.0/24 behind bob, which bob does not have */
	sa = h_up(alice, "site-b", &w);
	((struct child_cfg *)sa->want_child)->remote_ts[0].lo[1] = 3;
	((struct child_cfg *)sa->want_child)->remote_ts[0].hi[1] = 3;
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED && kernel_fake_sa_count(alice->k) == 0 &&
	       kernel_fake_sa_count(bob->k) == 0 && kernel_fake_route_count(alice->k) == 0,
	       "disjoint selectors: IKE SA up, no CHILD_SA, no route");
	tap_ok(h_log_has("bob:", "TSi 10.1.0.0/24, TSr 10.3.0.0/24 fit no child",
			 "net: local 10.2.0.0/24, remote 10.1.0.0/16", "TS_UNACCEPTABLE", NULL),
	       "bob names both selector sets");
	tap_ok(h_log_has("alice:", "TS_UNACCEPTABLE", NULL) && !w.ok, "alice says why");
	h_reset();
}

static void test_delete(void)
{
	struct h_wait w;
	struct ike_sa *sa, *bsa;

	setup(conf_alice("", "", PSK), conf_bob("", "", PSK, NULL));
	sa = h_up(alice, "site-b", &w);
	h_run();
	bsa = h_sa(bob);
	/* bob deletes the CHILD_SA */
	exchange_queue(bsa, delete_child_task_new(bsa->children));
	tap_ok(h_head_exchange() == IKE_INFORMATIONAL, "bob sends an INFORMATIONAL with DELETE");
	h_deliver();
	tap_ok(!sa->children && kernel_fake_sa_count(alice->k) == 0 &&
	       kernel_fake_route_count(alice->k) == 0, "alice removes both halves and the route");
	h_deliver();
	tap_ok(!bsa->children && kernel_fake_sa_count(bob->k) == 0 && !bsa->req.task,
	       "bob removes its half when alice answers with hers");
	/* an empty INFORMATIONAL (liveness) is answered */
	exchange_queue(sa, liveness_task_new());
	h_deliver();
	tap_ok(h_wire_len == 1 && bsa->mid_peer == 3, "bob answers an empty INFORMATIONAL");
	h_deliver();
	tap_ok(!sa->req.task && sa->mid_next == 3, "alice's liveness check completes");
	/* alice deletes the IKE SA */
	tap_ok(daemon_terminate(alice->d, "site-b") == 1 && sa->state == IKE_S_DELETING,
	       "down: alice deletes the IKE SA");
	h_run();
	nothing_left("after DELETE of the IKE SA");
	tap_ok(h_log_has("bob:", "the peer deleted the IKE SA", NULL) &&
	       h_log_has("alice:", "IKE SA deleted", NULL), "both sides log the deletion");
	h_reset();

	/* bob (the responder) deletes the IKE SA with a CHILD_SA up */
	setup(conf_alice("", "", PSK), conf_bob("", "", PSK, NULL));
	h_up(alice, "site-b", &w);
	h_run();
	daemon_terminate(bob->d, "site-a");
	tap_ok(kernel_fake_sa_count(bob->k) == 0, "bob's kernel SAs go as soon as it sends DELETE");
	h_run();
	nothing_left("after the responder's DELETE");
	h_reset();
}

static void test_nat(void)
{
	struct h_wait w;
	struct ike_sa *sa, *bsa;
	const struct kernel_sa *ks;

	setup(conf_alice("", "", PSK), conf_bob("", "", PSK, NULL));
	h_nat.on = true;
	h_nat.inside = alice;
	addr_parse("203.0.113.5", &h_nat.pub);
	h_nat.port_base = 30000;
	sa = h_up(alice, "site-b", &w);
	h_deliver();
	h_deliver();
	tap_ok(sa->nat_local && sa->local.port == 4500 && sa->remote.port == 4500,
	       "alice sees she is behind a NAT and moves to port 4500");
	h_run();
	bsa = h_sa(bob);
	tap_ok(sa->state == IKE_S_ESTABLISHED && bsa && bsa->nat_remote &&
	       bsa->remote.port == 34500 && bsa->local.port == 4500,
	       "bob follows alice to her NAT's 4500 mapping (34500)");
	ks = kernel_fake_sa_at(bob->k, 1);
	tap_ok(ks && ks->encap && ks->sport == 4500 && ks->dport == 34500 &&
	       addr_equal(&ks->dst, &h_nat.pub), "bob's outbound SA is ESP in UDP to 203.0.113.5:34500");
	ks = kernel_fake_sa_at(alice->k, 0);
	tap_ok(ks && ks->encap && ks->dir == KERNEL_IN && ks->sport == 4500 && ks->dport == 4500,
	       "alice's inbound SA takes ESP in UDP from port 4500 to ours");
	check_pair("through a NAT", alice->k, bob->k);
	h_advance(20000);
	tap_ok(alice->keepalives == 1 && bob->keepalives == 0,
	       "alice (behind the NAT) sends a keepalive every 20 s; bob does not");
	h_advance(40000);
	tap_ok(alice->keepalives == 3, "three after 60 s");
	h_reset();
}

static void test_transport(void)
{
	struct h_wait w;
	struct ike_sa *sa;
	const struct kernel_sa *ks;

	setup(strdup("connections { h { remote_addrs = 192.0.2.2\n"
		     " local { auth = psk }\n remote { auth = psk }\n"
		     " children { host { mode = transport } } } }\n"
		     "secrets { ike { secret = " PSK " } }\n"),
	      strdup("connections { h { local { auth = psk }\n remote { auth = psk }\n"
		     " children { host { mode = transport } } } }\n"
		     "secrets { ike { secret = " PSK " } }\n"));
	sa = h_up(alice, "h", &w);
	h_run();
	ks = kernel_fake_sa_at(alice->k, 1);
	tap_ok(sa->state == IKE_S_ESTABLISHED && w.ok && ks && ks->mode == KERNEL_TRANSPORT,
	       "host to host in transport mode, default proposals, IP identities");
	tap_ok(ks && ks->nsel == 1 && ts_is_host(&ks->sel[0].dst, &bob->addr),
	       "the selector is bob's address");
	tap_ok(kernel_fake_route_count(alice->k) == 1 &&
	       kernel_fake_route_at(alice->k, 0)->bits == 32 &&
	       addr_equal(&kernel_fake_route_at(alice->k, 0)->src, &alice->addr),
	       "alice routes bob's /32 into the device (its fwmark keeps ESP out of it)");
	tap_ok(h_log_has("bob:", "IKE SA established", "192.0.2.1]", NULL),
	       "bob knows alice by her address");
	h_reset();
}

/* One responder address, two connections: each peer gets its own by
 * identity, with its own PSK; a third with a known id but the other's PSK
 * is refused. */
static void test_two_peers(void)
{
	static const char gw[] =
		"connections {\n"
		" to-alice { local { auth = psk\n id = gw }\n remote { auth = psk\n id = alice }\n"
		"  children { a { remote_ts = 10.1.0.0/24 } } }\n"
		" to-carol { local { auth = psk\n id = gw }\n remote { auth = psk\n id = carol }\n"
		"  children { c { remote_ts = 10.3.0.0/24 } } }\n"
		"}\n"
		"secrets {\n"
		" ike-a { id = alice\n secret = \"Ga7#qW2!zX9@pL4$mN1^\" }\n"
		" ike-c { id = carol\n secret = \"Cb3@rT8!yU5#kJ2$hG6^\" }\n"
		"}\n";
	static const char peer[] =
		"connections { gw { remote_addrs = 192.0.2.2\n"
		" local { auth = psk\n id = %s }\n remote { auth = psk\n id = gw }\n"
		" children { n { local_ts = %s\n remote_ts = dynamic } } } }\n"
		"secrets { ike { secret = \"%s\" } }\n";
	char buf[1024];
	struct h_peer *carol, *eve;
	struct h_wait wa, wc, we;
	struct ike_sa *sa;
	size_t to_alice = 0, to_carol = 0;

	h_reset();
	log_set_sink(h_sink, NULL);
	snprintf(buf, sizeof(buf), peer, "alice", "10.1.0.0/24", "Ga7#qW2!zX9@pL4$mN1^");
	alice = h_peer_new("alice", "192.0.2.1", buf);
	bob = h_peer_new("gw", "192.0.2.2", gw);
	snprintf(buf, sizeof(buf), peer, "carol", "10.3.0.0/24", "Cb3@rT8!yU5#kJ2$hG6^");
	carol = h_peer_new("carol", "192.0.2.3", buf);
	snprintf(buf, sizeof(buf), peer, "carol", "10.3.0.0/24", "Ga7#qW2!zX9@pL4$mN1^");
	eve = h_peer_new("eve", "192.0.2.4", buf);
	h_up(alice, "gw", &wa);
	h_up(carol, "gw", &wc);
	h_run();
	for (sa = bob->d->sas; sa; sa = sa->next_all) {
		to_alice += sa->conn && !strcmp(sa->conn->name, "to-alice") &&
			    sa->state == IKE_S_ESTABLISHED && sa->children;
		to_carol += sa->conn && !strcmp(sa->conn->name, "to-carol") &&
			    sa->state == IKE_S_ESTABLISHED && sa->children;
	}
	tap_ok(wa.ok && wc.ok && to_alice == 1 && to_carol == 1 &&
	       kernel_fake_sa_count(bob->k) == 4,
	       "one address, two connections: alice and carol each get theirs");
	h_up(eve, "gw", &we);
	h_run();
	tap_ok(!we.ok && h_count_sas(eve) == 0 && kernel_fake_sa_count(bob->k) == 4 &&
	       h_log_has("gw:", "does not verify with the PSK of secret 'ike-c'", NULL),
	       "eve claiming to be carol with alice's PSK is refused");
	h_reset();
}

/* Reloads P with alice's configuration, its connection named NAME
 * (5 characters, as site-b) and EXTRA_CHILD in its child. */
static void reload_renamed(struct h_peer *p, const char *name, const char *extra_child)
{
	char *text = conf_alice("", extra_child, PSK), *at = strstr(text, "site-b {");

	memcpy(at, name, strlen("site-b"));
	daemon_reload(p->d, config_parse("alice", text, h_diag, NULL));
	free(text);
}

/* kespctl ike reload: an unchanged connection keeps its SAs, a changed one
 * is deleted (DELETE sent), a new one with start_action = start starts. */
static void test_reload(void)
{
	struct h_wait w;
	struct ike_sa *sa;
	struct config *cfg;
	char *text;

	setup(conf_alice("", "", PSK), conf_bob("", "", PSK, NULL));
	sa = h_up(alice, "site-b", &w);
	h_run();
	text = conf_alice("", "", PSK);
	cfg = config_parse("alice", text, h_diag, NULL);
	free(text);
	daemon_reload(alice->d, cfg);
	tap_ok(sa->state == IKE_S_ESTABLISHED && sa->conn == config_find_conn(alice->d->cfg, "site-b") &&
	       kernel_fake_sa_count(alice->k) == 2 && !h_wire,
	       "reload with the same connection: its IKE SA and CHILD_SA stay");
	text = conf_alice("", "start_action = start", PSK);
	cfg = config_parse("alice", text, h_diag, NULL);
	free(text);
	daemon_reload(alice->d, cfg);
	tap_ok(sa->state == IKE_S_DELETING && kernel_fake_sa_count(alice->k) == 0 &&
	       h_head_exchange() == IKE_INFORMATIONAL,
	       "reload with the connection changed: its SAs are deleted (DELETE sent)");
	tap_ok(h_count_sas(alice) == 2, "and, with start_action = start now, it starts again");
	h_run();
	tap_ok(h_count_sas(alice) == 1 && h_sa(alice)->state == IKE_S_ESTABLISHED &&
	       h_count_sas(bob) == 1 && kernel_fake_sa_count(alice->k) == 2 &&
	       kernel_fake_sa_count(bob->k) == 2, "the new IKE SA is up, the old one gone on both sides");
	tap_ok(h_log_has("alice:", "connection site-b changed: deleting its IKE SA", NULL) &&
	       h_log_has("configuration reloaded: 1 connections, 0 unchanged, 1 SAs deleted", NULL),
	       "the log says what the reload did");

	/* site-b removed, site-c added without start_action: nothing starts */
	reload_renamed(alice, "site-c", "");
	h_run();
	tap_ok(h_count_sas(alice) == 0 && h_count_sas(bob) == 0 &&
	       kernel_fake_sa_count(alice->k) == 0 && kernel_fake_sa_count(bob->k) == 0,
	       "reload: a removed connection's SAs go, an added one without start_action waits");
	/* site-c removed, site-d added with start_action = start: it starts */
	reload_renamed(alice, "site-d", "start_action = start");
	tap_ok(h_count_sas(alice) == 1 && h_head_exchange() == IKE_SA_INIT,
	       "reload: an added connection with start_action = start is initiated");
	h_run();
	sa = h_sa(alice);
	tap_ok(sa && sa->state == IKE_S_ESTABLISHED && !strcmp(sa->conn->name, "site-d") &&
	       h_count_sas(bob) == 1 && kernel_fake_sa_count(alice->k) == 2 &&
	       kernel_fake_sa_count(bob->k) == 2, "reload: and its tunnel is up with bob");
	h_reset();
}

static void test_garbage(void)
{
	struct h_wait w;
	uint8_t junk[200];
	struct endpoint from = { .port = 500 }, to = { .port = 500 };
	struct ike_sa *sa;

	setup(conf_alice("", "", PSK), conf_bob("", "", PSK, NULL));
	addr_parse("192.0.2.66", &from.addr);
	to.addr = bob->addr;
	for (int i = 0; i < 50; i++) {
		ike_random(junk, sizeof(junk));
		junk[17] = 0x20;
		ike_receive(bob->d, &to, &from, junk, (size_t)(i * 4) % sizeof(junk));
	}
	tap_ok(h_count_sas(bob) == 0 && !h_wire && bob->d->st.dropped_malformed +
	       bob->d->st.dropped_unknown_spi == 50, "50 random datagrams: dropped and counted");
	junk[17] = 0x10;
	ike_receive(bob->d, &to, &from, junk, 100);
	tap_ok(bob->d->st.dropped_ikev1 == 1 && h_log_has("IKEv1 from 192.0.2.66:500 is not supported",
							  NULL), "IKEv1 is dropped and said once");
	/* a tampered IKE_AUTH: the ICV fails, nothing changes */
	sa = h_up(alice, "site-b", &w);
	h_deliver();
	h_deliver();
	h_wire->data[h_wire->len - 1] ^= 1;
	h_deliver();
	tap_ok(h_sa(bob)->state == IKE_S_INIT_R && bob->d->st.dropped_integrity == 1 && !h_wire,
	       "a tampered IKE_AUTH is dropped (ICV), bob still waits");
	h_advance(4000);
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED, "alice's retransmission gets through");
	h_reset();
}

int main(void)
{
	if (ike_crypto_init())
		return 1;
	test_success();
	test_responder_role();
	test_invalid_ke();
	test_cookie();
	test_retransmit();
	test_wrong_psk();
	test_unknown_identity();
	test_disjoint_ike();
	test_disjoint_esp();
	test_disjoint_ts();
	test_delete();
	test_nat();
	test_transport();
	test_two_peers();
	test_reload();
	test_garbage();
	h_reset();
	log_set_sink(NULL, NULL);
	ike_crypto_deinit();
	return tap_done();
}
