// SPDX-License-Identifier: GPL-2.0
/*
 * Redirect (RFC 5685) between three ikehelpers against the fake kernel:
 * alice (client, 192.0.2.1), bob (gateway 1, 192.0.2.2) and carol (gateway
 * 2, 192.0.2.3, the same identity as bob: a cluster). A redirect at
 * IKE_SA_INIT, of an established SA on command (its CHILD_SA flows with
 * carol afterwards, bob keeps nothing), loop protection, a client that
 * does not announce support, follow_redirects = no, and REDIRECT notifies
 * made malformed on the wire.
 */
#include "ike_harness.h"
#include "tap.h"

#define PSK "\"Vq3#pL9!xZ2@mW7$kR4nB8\""

static struct h_peer *alice, *bob, *carol;

static char *conf_client(const char *settings)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections {\n"
		 " gw {\n"
		 "  remote_addrs = 192.0.2.2\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  local { auth = psk\n id = alice@example.org }\n"
		 "  remote { auth = psk\n id = gw.example.org }\n"
		 "  children { net {\n"
		 "   local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24\n"
		 "   esp_proposals = aes128gcm16\n"
		 "  } }\n"
		 " }\n"
		 "}\n"
		 "secrets { ike { secret = " PSK " } }\n"
		 "ikehelper { %s }\n", settings);
	return strdup(buf);
}

static char *conf_gw(const char *redirect_to)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections {\n"
		 " rw {\n"
		 "  %s%s\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  local { auth = psk\n id = gw.example.org }\n"
		 "  remote { auth = psk\n id = alice@example.org }\n"
		 "  children { net {\n"
		 "   local_ts = 10.2.0.0/24\n remote_ts = 10.1.0.0/24\n"
		 "   esp_proposals = aes128gcm16\n"
		 "  } }\n"
		 " }\n"
		 "}\n"
		 "secrets { ike { secret = " PSK " } }\n",
		 redirect_to ? "redirect_to = " : "", redirect_to ? redirect_to : "");
	return strdup(buf);
}

/* alice, bob redirecting to BOB_TO (NULL: not), carol to CAROL_TO. */
static void setup(const char *client_settings, const char *bob_to, const char *carol_to)
{
	char *c = conf_gw(carol_to);

	h_pair(&alice, &bob, conf_client(client_settings), conf_gw(bob_to));
	carol = h_peer_new("carol", "192.0.2.3", c);
	free(c);
}

static struct ike_sa *established(struct h_peer *p)
{
	for (struct ike_sa *sa = p->d->sas; sa; sa = sa->next_all)
		if (sa->state == IKE_S_ESTABLISHED)
			return sa;
	return NULL;
}

static bool remote_is(const struct ike_sa *sa, const char *ip)
{
	struct addr a;

	addr_parse(ip, &a);
	return sa && addr_equal(&sa->remote.addr, &a);
}

static void test_at_init(void)
{
	struct h_wait w;
	struct ike_sa *sa, *csa;

	setup("", "192.0.2.3", NULL);
	h_up(alice, "gw", &w);
	h_run();
	sa = established(alice);
	csa = established(carol);
	tap_ok(w.done == 1 && w.ok && remote_is(sa, "192.0.2.3") && h_count_sas(alice) == 1,
	       "init: alice's 'up' succeeds, with carol (%s)", w.msg);
	tap_ok(h_count_sas(bob) == 0 && bob->d->half_open_count == 0 &&
	       kernel_fake_sa_count(bob->k) == 0, "init: bob kept no state");
	tap_ok(csa && csa->peer_redirect && h_flows(alice->k, carol->k) &&
	       h_flows(carol->k, alice->k), "init: the CHILD_SA flows between alice and carol");
	tap_ok(h_log_has("connection rw: redirecting a new client to 192.0.2.3", NULL) &&
	       h_log_has("alice", "redirected by 192.0.2.2 to 192.0.2.3 at IKE_SA_INIT", NULL),
	       "init: both sides log the redirect");
	tap_ok(sa && sa->redirected_from.family == AF_INET && sa->nredirects == 1,
	       "init: alice's new SA knows it came from bob (REDIRECTED_FROM sent)");
}

static void test_established(void)
{
	struct h_wait w;
	struct ike_sa *bsa, *sa;
	char why[256] = "";
	struct addr gw;

	setup("", NULL, NULL);
	h_up(alice, "gw", &w);
	h_run();
	bsa = established(bob);
	tap_ok(w.ok && bsa && bsa->peer_redirect && h_flows(alice->k, bob->k),
	       "established: alice is up with bob, which knows she follows redirects");
	addr_parse("192.0.2.3", &gw);
	tap_ok(!redirect_sa(bsa, &gw, why, sizeof(why)) && h_head_exchange() == IKE_INFORMATIONAL,
	       "established: bob's REDIRECT is on the wire (%s)", why);
	h_run();
	sa = established(alice);
	tap_ok(h_count_sas(alice) == 1 && remote_is(sa, "192.0.2.3") && established(carol),
	       "established: alice's only IKE SA is with carol");
	tap_ok(h_count_sas(bob) == 0 && kernel_fake_sa_count(bob->k) == 0,
	       "established: the old IKE SA and its CHILD_SA are gone from bob");
	tap_ok(kernel_fake_sa_count(alice->k) == 2 && h_flows(alice->k, carol->k) &&
	       h_flows(carol->k, alice->k), "established: the CHILD_SA flows with carol");
	tap_ok(h_log_has("bob", "the client has our REDIRECT to 192.0.2.3", NULL) &&
	       h_log_has("alice", "redirected by 192.0.2.2 to 192.0.2.3: deleting", NULL),
	       "established: both sides log it");
	tap_ok(redirect_sa(established(carol), &gw, why, sizeof(why)) == 0,
	       "established: carol may redirect her too (the new SA announced support)");
	h_run();
	tap_ok(h_log_has("alice", "redirects us to itself", NULL) && established(carol) &&
	       h_count_sas(alice) == 1, "established: a redirect to the same gateway is ignored");
}

static void test_loop(void)
{
	struct h_wait w;

	setup("", "192.0.2.3", "192.0.2.2");
	h_up(alice, "gw", &w);
	h_run();
	tap_ok(w.done == 1 && !w.ok && strstr(w.msg, "redirect loop") && h_count_sas(alice) == 0,
	       "loop: alice gives up (%s)", w.msg);
	tap_ok(h_log_has("alice", "redirected 5 times within 300 s", NULL) &&
	       h_count_sas(bob) == 0 && h_count_sas(carol) == 0 &&
	       kernel_fake_sa_count(alice->k) == 0, "loop: logged, nothing left anywhere");
	/* After the period the connection may be redirected again. */
	h_log_clear();
	h_advance(REDIRECT_PERIOD_MS + 1000);
	h_up(alice, "gw", &w);
	h_run();
	tap_ok(!w.ok && h_log_has("alice", "redirected by 192.0.2.3 to 192.0.2.2", NULL),
	       "loop: a new attempt follows redirects again");
}

static void test_no_support(void)
{
	struct h_wait w;
	struct ike_sa *bsa;
	char why[256] = "";
	struct addr gw;

	setup("follow_redirects = no", "192.0.2.3", NULL);
	h_up(alice, "gw", &w);
	h_run();
	bsa = established(bob);
	tap_ok(w.ok && remote_is(established(alice), "192.0.2.2") && bsa && !bsa->peer_redirect,
	       "no support: bob serves a client without REDIRECT_SUPPORTED itself");
	tap_ok(h_log_has("does not announce REDIRECT_SUPPORTED: serving it here", NULL) &&
	       h_count_sas(carol) == 0, "no support: bob says why");
	addr_parse("192.0.2.3", &gw);
	tap_ok(redirect_sa(bsa, &gw, why, sizeof(why)) && strstr(why, "REDIRECT_SUPPORTED"),
	       "no support: the command refuses (%s)", why);
	/* A gateway that sends one anyway: the client does not follow. */
	bsa->peer_redirect = true;
	redirect_sa(bsa, &gw, why, sizeof(why));
	h_run();
	tap_ok(h_log_has("alice", "not following (follow_redirects = no)", NULL) &&
	       remote_is(established(alice), "192.0.2.2") && h_flows(alice->k, bob->k) &&
	       h_count_sas(carol) == 0, "follow disabled: alice stays with bob");
}

/* The REDIRECT notify's data in the IKE_SA_INIT response on the wire. */
static uint8_t *find_redirect(void)
{
	static const uint8_t pat[] = { 1, 4, 192, 0, 2, 3 };

	for (size_t i = 0; h_wire && i + sizeof(pat) <= h_wire->len; i++)
		if (!memcmp(h_wire->data + i, pat, sizeof(pat)))
			return h_wire->data + i;
	return NULL;
}

static void test_malformed(void)
{
	struct h_wait w;
	uint8_t *p;

	setup("", "192.0.2.3", NULL);
	h_up(alice, "gw", &w);
	h_deliver();
	p = find_redirect();
	tap_ok(p != NULL, "malformed: bob's REDIRECT is on the wire");
	if (p)
		p[6] ^= 1;	/* the first byte of alice's nonce */
	h_run();
	tap_ok(w.done && !w.ok && strstr(w.msg, "without our nonce") && h_count_sas(carol) == 0,
	       "malformed: a REDIRECT without our nonce is not followed (%s)", w.msg);

	setup("", "192.0.2.3", NULL);
	h_up(alice, "gw", &w);
	h_deliver();
	p = find_redirect();
	if (p)
		p[0] = 3;	/* FQDN: a name we do not resolve */
	h_run();
	tap_ok(p && w.done && !w.ok && strstr(w.msg, "is a name") && h_count_sas(carol) == 0,
	       "malformed: a gateway name is refused (%s)", w.msg);

	setup("", "192.0.2.3", NULL);
	h_up(alice, "gw", &w);
	h_deliver();
	p = find_redirect();
	if (p)
		p[1] = 200;	/* longer than the notify */
	h_run();
	tap_ok(p && w.done && !w.ok && strstr(w.msg, "malformed REDIRECT") &&
	       h_count_sas(carol) == 0, "malformed: a too long identity is refused (%s)", w.msg);
}

/*
 * A REDIRECT in the last IKE_AUTH response: our gateway never sends one,
 * so the response's payloads are handed to the client as ike_auth.c does
 * once the gateway's AUTH verified.
 */
static void test_auth(void)
{
	static const uint8_t gw[] = { 1, 4, 192, 0, 2, 3 };
	struct ike_msg *m = calloc(1, sizeof(*m));
	struct h_wait w;
	struct ike_sa *sa;

	setup("", NULL, NULL);
	sa = h_up(alice, "gw", &w);
	h_run();
	m->npl = 1;
	m->pl[0].type = IKE_PL_NOTIFY;
	m->pl[0].u.notify.type = IKE_N_REDIRECT;
	m->pl[0].u.notify.data.p = gw;
	m->pl[0].u.notify.data.len = sizeof(gw);
	tap_ok(sa && sa->state == IKE_S_ESTABLISHED && redirect_auth_process(sa, m) &&
	       sa->state == IKE_S_DELETING && h_count_sas(alice) == 2,
	       "auth: alice follows, deleting the IKE SA with bob, a new one to carol");
	h_run();
	tap_ok(h_count_sas(alice) == 1 && remote_is(established(alice), "192.0.2.3") &&
	       h_count_sas(bob) == 0 && h_flows(alice->k, carol->k) && h_flows(carol->k, alice->k),
	       "auth: alice's only IKE SA is with carol, its CHILD_SA flows, bob has none");
	m->pl[0].u.notify.data.len = 5;
	tap_ok(!redirect_auth_process(established(alice), m) &&
	       h_log_has("malformed REDIRECT from the gateway", NULL) && h_count_sas(alice) == 1,
	       "auth: a truncated REDIRECT is not followed");
	free(m);
}

static void test_config(void)
{
	char *bad = conf_gw("gw2.example.org");
	struct config *cfg = config_parse("bad", bad, h_diag, NULL);

	tap_ok(!cfg, "config: redirect_to must be an address");
	if (cfg)
		config_free(cfg);
	free(bad);
	bad = conf_client("follow_redirects = maybe");
	cfg = config_parse("bad", bad, h_diag, NULL);
	tap_ok(!cfg, "config: follow_redirects must be yes or no");
	if (cfg)
		config_free(cfg);
	free(bad);
}

int main(void)
{
	if (ike_crypto_init())
		return 1;
	test_at_init();
	test_established();
	test_loop();
	test_no_support();
	test_malformed();
	test_auth();
	test_config();
	h_reset();
	log_set_sink(NULL, NULL);
	ike_crypto_deinit();
	return tap_done();
}
