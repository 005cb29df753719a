// SPDX-License-Identifier: GPL-2.0
/*
 * IKE fragmentation (RFC 7383) between two ikehelper state machines against
 * the fake kernel: the negotiation in IKE_SA_INIT, IKE_AUTH in fragments at
 * several fragment_size values (each datagram within the limit), fragments
 * out of order, duplicated, missing (nothing processed until the set is
 * complete, then the retransmission sends the same fragments), forged (a
 * bad ICV leaves the kept ones alone), a Total Fragments that differs from
 * the kept ones (RFC 7383 §2.6.1), the limits on count, size and time, a
 * retransmitted fragmented request answered from the cache, and
 * fragmentation = accept / no.
 */
#include "ike_harness.h"
#include "tap.h"

#define PSK "\"Vq3#pL9!xZ2@mW7$kR4nB8\""

/* Seven IPv6 subnets and one IPv4 subnet a side: an IKE_AUTH of ~900 bytes. */
static const char *ts_list(int side)
{
	static char buf[3][512];
	size_t n = 0;

	n += (size_t)snprintf(buf[side] + n, sizeof(buf[side]) - n, "10.%d.0.0/24", side);
	for (int i = 1; i <= 7; i++)
		n += (size_t)snprintf(buf[side] + n, sizeof(buf[side]) - n, ", fd00:%d:%d::/64",
				      side, i);
	return buf[side];
}

/* One side's config: connection NAME with HEAD lines, our and the peer's
 * identity, the child's selectors. */
static char *conf(const char *name, const char *head, const char *me, const char *peer,
		  const char *lts, const char *rts, const char *settings)
{
	char buf[4096];

	snprintf(buf, sizeof(buf),
		 "connections {\n %s {\n  %s\n"
		 "  local { auth = psk\n id = %s }\n  remote { auth = psk\n id = %s }\n"
		 "  children { net {\n   local_ts = %s\n   remote_ts = %s\n"
		 "   esp_proposals = aes128gcm16\n  } }\n }\n}\n"
		 "secrets { ike { secret = %s } }\nikehelper { %s }\n",
		 name, head, me, peer, lts, rts, PSK, settings);
	return strdup(buf);
}

static char *conf_alice(const char *conn_extra, const char *settings)
{
	char head[512], lts[512];

	snprintf(head, sizeof(head), "remote_addrs = 192.0.2.2\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n  %s", conn_extra);
	snprintf(lts, sizeof(lts), "%s", ts_list(1));
	return conf("site-b", head, "alice@example.org", "bob.example.org", lts, ts_list(2),
		    settings);
}

static char *conf_bob(const char *conn_extra, const char *settings)
{
	char head[512];

	snprintf(head, sizeof(head), "proposals = aes256gcm16-prfsha384-x25519, "
		 "aes128-sha256-modp2048\n  %s", conn_extra);
	return conf("site-a", head, "bob.example.org", "alice@example.org",
		    "10.2.0.0/16, fd00:2::/32", "10.1.0.0/16, fd00:1::/32", settings);
}

static struct h_peer *alice, *bob;
static struct h_wait w;

/* Both configured, alice initiating, IKE_SA_INIT done: IKE_AUTH on the wire. */
static struct ike_sa *to_auth(const char *a_extra, const char *b_extra, const char *settings)
{
	struct ike_sa *sa;

	h_pair(&alice, &bob, conf_alice(a_extra, settings), conf_bob(b_extra, settings));
	sa = h_up(alice, "site-b", &w);
	h_deliver();
	h_deliver();
	return sa;
}

/* The wire's packets, taken off it. */
struct pkts {
	struct h_pkt *p[80];
	size_t n;
};

static void take_all(struct pkts *ps)
{
	struct h_pkt *p;

	ps->n = 0;
	while ((p = h_pop()) && ps->n < 80)
		ps->p[ps->n++] = p;
}

static void pkts_free(struct pkts *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->p[i])
			h_pkt_free(ps->p[i]);
	ps->n = 0;
}

static void deliver_copy(const struct h_pkt *p)
{
	struct h_pkt c = *p;

	c.data = malloc(p->len);
	memcpy(c.data, p->data, p->len);
	h_deliver_pkt(&c);
	free(c.data);
}

static bool is_skf(const struct h_pkt *p)
{
	return p->len > IKE_HDR_LEN && p->data[16] == IKE_PL_SKF;
}

static unsigned int frag_total(const struct h_pkt *p)
{
	return is_skf(p) ? (unsigned int)(p->data[34] << 8 | p->data[35]) : 0;
}

/* A fragment of alice's IKE_AUTH request (message id 1) sealed with her
 * keys: what a peer that cut the message differently would send. */
static void craft(struct ike_sa *sa, uint16_t num, uint16_t total, const uint8_t *data,
		  size_t len)
{
	struct ike_header h = { .version = 0x20, .exchange = IKE_AUTH, .msgid = 1,
				.flags = IKE_FLAG_INITIATOR };
	static uint8_t out[IKE_MAX_MSG];
	struct ike_error err = { 0 };
	struct ike_buf b;
	struct h_pkt p = { .from = sa->local, .to = sa->remote };

	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	ike_buf_init(&b, out, sizeof(out));
	if (ike_msg_encode_skf(&h, IKE_PL_IDI, num, total, data, len, &sa->sk_out, NULL, &b,
			       &err)) {
		printf("# craft: %s\n", err.reason);
		return;
	}
	p.data = out;
	p.len = b.len;
	h_deliver_pkt(&p);
}

static void test_negotiation(void)
{
	struct ike_sa *sa, *bsa;

	sa = to_auth("", "", "");
	bsa = h_sa(bob);
	tap_ok(sa->frag.announced && sa->frag.peer && bsa->frag.announced && bsa->frag.peer,
	       "both announce IKEV2_FRAGMENTATION_SUPPORTED by default and see the other's");
	tap_ok(h_wire_len == 1 && !is_skf(h_wire),
	       "an IKE_AUTH below fragment_size (1280) goes whole");
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED && alice->d->st.fragments_sent == 0,
	       "established without fragments");

	sa = to_auth("", "fragmentation = no", "fragment_size = 300");
	bsa = h_sa(bob);
	tap_ok(sa->frag.announced && !sa->frag.peer && !bsa->frag.announced && bsa->frag.peer,
	       "fragmentation = no: bob does not announce it, alice sees that");
	tap_ok(h_wire_len == 1 && !is_skf(h_wire),
	       "... and alice sends her IKE_AUTH whole, though it exceeds fragment_size");
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED, "... which still establishes");

	sa = to_auth("fragmentation = accept", "", "fragment_size = 300");
	tap_ok(sa->frag.announced && h_wire_len == 1 && !is_skf(h_wire),
	       "fragmentation = accept: alice announces it but sends her IKE_AUTH whole");
	h_deliver();
	tap_ok(h_wire_len > 1 && is_skf(h_wire), "... bob's response comes in %zu fragments",
	       h_wire_len);
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED && w.ok &&
	       h_log_has("alice: site-b[", "reassembled IKE_AUTH response 1 from", NULL),
	       "... alice reassembles it and is established");

	sa = to_auth("fragmentation = force", "", "fragment_size = 300");
	tap_ok(h_wire_len > 1 && is_skf(h_wire), "fragmentation = force fragments as yes does");
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED, "... and establishes");
}

/* Every datagram on the wire within SIZE (IPv4: 20 + 8 header bytes). */
static void test_sizes(void)
{
	static const unsigned int sizes[] = { 256, 400, 576, 800 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char set[64];
		struct ike_sa *sa, *bsa;
		struct pkts ps;
		bool fit = true, numbered = true;
		unsigned int total;

		snprintf(set, sizeof(set), "fragment_size = %u", sizes[i]);
		sa = to_auth("", "", set);
		take_all(&ps);
		total = frag_total(ps.p[0]);
		for (size_t j = 0; j < ps.n; j++) {
			fit = fit && ps.p[j]->len + 28 <= sizes[i];
			numbered = numbered && is_skf(ps.p[j]) && frag_total(ps.p[j]) == ps.n &&
				   (ps.p[j]->data[32] << 8 | ps.p[j]->data[33]) == (int)j + 1;
		}
		tap_ok(ps.n > 1 && total == ps.n && fit && numbered,
		       "fragment_size %u: IKE_AUTH in %zu fragments, numbered 1..%u, each "
		       "datagram within the size", sizes[i], ps.n, total);
		bsa = h_sa(bob);
		for (size_t j = 0; j + 1 < ps.n; j++)
			h_deliver_pkt(ps.p[j]);
		tap_ok(bsa->state == IKE_S_INIT_R && !h_wire,
		       "fragment_size %u: nothing processed before the last fragment", sizes[i]);
		h_deliver_pkt(ps.p[ps.n - 1]);
		pkts_free(&ps);
		tap_ok(bsa->state == IKE_S_ESTABLISHED && h_wire_len > 1 && is_skf(h_wire),
		       "fragment_size %u: bob established, its response in %zu fragments",
		       sizes[i], h_wire_len);
		h_run();
		tap_ok(sa->state == IKE_S_ESTABLISHED && w.ok && kernel_fake_sa_count(alice->k) == 2 &&
		       kernel_fake_sa_count(bob->k) == 2,
		       "fragment_size %u: alice established, one SA pair each", sizes[i]);
	}
}

/* Behind a NAT IKE_AUTH goes to port 4500: the non-ESP marker counts too. */
static void test_nat_t(void)
{
	struct ike_sa *sa;
	size_t longest = 0;
	struct pkts ps;

	h_pair(&alice, &bob, conf_alice("", "fragment_size = 400"),
	       conf_bob("", "fragment_size = 400"));
	h_nat_behind(alice, "203.0.113.5", 30000);
	sa = h_up(alice, "site-b", &w);
	h_deliver();
	h_deliver();
	take_all(&ps);
	for (size_t j = 0; j < ps.n; j++)
		longest = ps.p[j]->len > longest ? ps.p[j]->len : longest;
	tap_ok(sa->local.port == 4500 && ps.n > 1 && longest + 20 + 8 + 4 <= 400 &&
	       longest + 20 + 8 + 4 > 400 - 16,
	       "on port 4500 each fragment's datagram, marker included, is within 400 bytes "
	       "(longest %zu + 32)", longest);
	for (size_t j = 0; j < ps.n; j++)
		h_deliver_pkt(ps.p[j]);
	pkts_free(&ps);
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED && h_sa(bob)->state == IKE_S_ESTABLISHED,
	       "established through the NAT in fragments");
}

static void test_order_dup_forged(void)
{
	struct ike_sa *sa, *bsa;
	struct pkts ps;
	uint64_t integ;

	sa = to_auth("", "", "fragment_size = 300");
	bsa = h_sa(bob);
	take_all(&ps);
	for (size_t j = ps.n; j-- > 1;)
		h_deliver_pkt(ps.p[j]);
	deliver_copy(ps.p[ps.n - 1]);
	tap_ok(bsa->state == IKE_S_INIT_R && !h_wire &&
	       h_log_has("bob: ", "ignoring a duplicate of fragment", NULL),
	       "out of order (last first) and a duplicate: kept, ignored, nothing processed");
	/* A forged fragment 1: one ciphertext byte flipped. */
	{
		struct h_pkt f = *ps.p[0];

		f.data = malloc(f.len);
		memcpy(f.data, ps.p[0]->data, f.len);
		f.data[f.len - 20] ^= 0x40;
		integ = bob->d->st.dropped_integrity;
		h_deliver_pkt(&f);
		free(f.data);
	}
	tap_ok(bob->d->st.dropped_integrity == integ + 1 && bsa->state == IKE_S_INIT_R && !h_wire,
	       "a forged fragment (bad ICV) is dropped and counted");
	h_deliver_pkt(ps.p[0]);
	pkts_free(&ps);
	tap_ok(bsa->state == IKE_S_ESTABLISHED,
	       "the genuine fragment 1 completes the set the forgery did not touch");
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED, "alice established");
}

static void test_missing(void)
{
	struct ike_sa *sa, *bsa;
	struct pkts ps, again;
	bool same = true;

	sa = to_auth("", "", "fragment_size = 300");
	bsa = h_sa(bob);
	take_all(&ps);
	for (size_t j = 0; j < ps.n; j++)
		if (j != 1)
			deliver_copy(ps.p[j]);
	tap_ok(bsa->state == IKE_S_INIT_R && !h_wire,
	       "fragment 2 lost: bob waits, no response, no state change");
	h_advance(4000);
	take_all(&again);
	for (size_t j = 0; j < ps.n && j < again.n; j++)
		same = same && again.p[j]->len == ps.p[j]->len &&
		       !memcmp(again.p[j]->data, ps.p[j]->data, ps.p[j]->len);
	tap_ok(again.n == ps.n && same && alice->d->st.retransmits_sent == 1,
	       "alice's retransmission sends the same %zu fragments again", ps.n);
	h_deliver_pkt(again.p[1]);
	tap_ok(bsa->state == IKE_S_ESTABLISHED && h_wire,
	       "the retransmitted fragment 2 completes bob's set");
	pkts_free(&again);
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED, "alice established");
	/* The IKE_AUTH request again (retransmitted after the answer was lost). */
	deliver_copy(ps.p[1]);
	tap_ok(!h_wire, "an old fragment 2 of the answered request: no answer");
	deliver_copy(ps.p[0]);
	tap_ok(h_wire_len > 1 && is_skf(h_wire) && bob->d->st.retransmits_answered == 1 &&
	       kernel_fake_sa_count(bob->k) == 2,
	       "its fragment 1: the cached response resent in %zu fragments, SAs installed once",
	       h_wire_len);
	pkts_free(&ps);
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED && h_count_sas(alice) == 1,
	       "alice ignores the repeated response");
}

static void test_total_mismatch(void)
{
	struct ike_sa *sa, *bsa;
	struct pkts ps;
	static const uint8_t junk[64];

	/* A set with a greater total replaces the kept fragments (§2.6.1). */
	sa = to_auth("", "", "fragment_size = 300");
	bsa = h_sa(bob);
	take_all(&ps);
	h_deliver_pkt(ps.p[0]);
	craft(sa, 2, (uint16_t)(ps.n + 1), junk, sizeof(junk));
	tap_ok(h_log_has("bob: ", "now comes in", "starting over", NULL),
	       "a fragment with a greater Total Fragments: the kept ones discarded");
	for (size_t j = 1; j < ps.n; j++)
		h_deliver_pkt(ps.p[j]);
	tap_ok(bsa->state == IKE_S_INIT_R && !h_wire &&
	       h_log_has("bob: ", "we hold fragments of", NULL),
	       "... the rest of the old set (smaller total) is dropped");
	pkts_free(&ps);

	/* A fragment with a smaller total than the kept ones is dropped. */
	sa = to_auth("", "", "fragment_size = 256");
	bsa = h_sa(bob);
	take_all(&ps);
	h_deliver_pkt(ps.p[0]);
	h_log_clear();
	craft(sa, 2, (uint16_t)(ps.n - 1), junk, sizeof(junk));
	tap_ok(ps.n > 2 && h_log_has("bob: ", "we hold fragments of", NULL),
	       "a fragment with a smaller Total Fragments is dropped");
	for (size_t j = 1; j < ps.n; j++)
		h_deliver_pkt(ps.p[j]);
	pkts_free(&ps);
	tap_ok(bsa->state == IKE_S_ESTABLISHED, "... and the genuine set completes");
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED, "alice established");
}

static void test_limits(void)
{
	static struct ike_sa alice_sa;	/* alice gives up as the set expires: her keys */
	struct ike_sa *sa = &alice_sa, *bsa;
	static uint8_t big[1100];
	uint64_t lifetime = 0;
	double t;

	/* The set must time out before bob's half-open SA does. */
	alice_sa = *to_auth("", "", "fragment_size = 300\n retransmit_timeout = 1s\n"
			    " retransmit_tries = 2");
	t = bob->d->cfg->set.retransmit_timeout_ms;
	bsa = h_sa(bob);
	while (h_wire)
		h_drop();
	craft(sa, 1, 3, big, 100);
	tap_ok(bsa->frag.req && bsa->frag.req->active && bsa->frag.req->have == 1,
	       "one fragment of three kept");
	for (unsigned int i = 0; i <= bob->d->cfg->set.retransmit_tries;
	     i++, t *= bob->d->cfg->set.retransmit_base)
		lifetime += (uint64_t)t;
	h_advance(lifetime - 1);
	tap_ok(bsa->frag.req->active, "kept while the peer could still retransmit");
	h_advance(1);
	tap_ok(!bsa->frag.req->active && bob->d->st.fragment_sets_dropped == 1 &&
	       h_log_has("bob: ", "did not come in time", NULL),
	       "dropped once the exchange's time (%.2f s) is up", lifetime / 1000.0);
	while (h_wire)
		h_drop();	/* alice's retransmissions */
	craft(sa, 1, FRAG_MAX_COUNT + 1, big, 16);
	tap_ok(h_log_has("bob: ", "of 65 of request 1: more than 64 fragments", NULL) &&
	       !bsa->frag.req->active, "a fragment of a 65-fragment message is refused");
	for (uint16_t i = 1; i <= FRAG_MAX_COUNT; i++)
		craft(sa, i, FRAG_MAX_COUNT, big, sizeof(big));
	tap_ok(h_log_has("bob: ", "dropping the fragments of request 1: more than 65535 bytes",
			 NULL) && bsa->state == IKE_S_INIT_R && !h_wire &&
	       bob->d->st.fragment_sets_dropped == 2,
	       "more than 65535 bytes of fragments: the set is dropped");
	ike_wipe(&alice_sa, sizeof(alice_sa));
}

static void test_config(void)
{
	static const char *bad[] = {
		"ikehelper { fragment_size = 100 }\n",
		"ikehelper { fragment_size = 70000 }\n",
		"connections { c { fragmentation = maybe\n children { x { } } } }\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config *cfg = config_parse("frag.conf", bad[i], NULL, NULL);

		tap_ok(!cfg, "refused: %.*s", (int)strcspn(bad[i], "\n"), bad[i]);
		config_free(cfg);
	}
	{
		struct config *cfg = config_parse("frag.conf", "ikehelper { fragment_size = 0 }\n",
						  NULL, NULL);

		tap_ok(cfg && cfg->set.fragment_size == 0, "fragment_size = 0 (by family) accepted");
		config_free(cfg);
	}
}

int main(void)
{
	if (ike_crypto_init())
		return 1;
	test_negotiation();
	test_sizes();
	test_nat_t();
	test_order_dup_forged();
	test_missing();
	test_total_mismatch();
	test_limits();
	test_config();
	h_reset();
	log_set_sink(NULL, NULL);
	ike_crypto_deinit();
	return tap_done();
}
