// SPDX-License-Identifier: GPL-2.0
/*
 * IKEv2 session resumption (RFC 5723) between ikehelpers against the fake
 * kernel: alice (client, 192.0.2.1, resumption = yes) and bob (gateway,
 * 192.0.2.2). A ticket is issued in IKE_AUTH; bob restarts with its state
 * lost (the ticket key file survives); alice's DPD finds him gone and its
 * restart resumes: IKE_SESSION_RESUME, IKE_AUTH keyed by SK_pi/SK_pr, the
 * CHILD_SA again, no IKE_SA_INIT. Key rotation (the previous key opens
 * tickets, an older one does not). Every refusal (expired, forged,
 * unknown key, an identity the connection no longer allows, replay, a
 * gateway with resumption = no or one that does not answer) gets
 * TICKET_NACK or silence, a log line saying why, and a full IKE_SA_INIT.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "ike_harness.h"
#include "tap.h"

#define PSK "\"Vq3#pL9!xZ2@mW7$kR4nB8\""

static struct h_peer *alice, *bob;
static char keyfile[256];

static char *conf_client(const char *resumption)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections {\n"
		 " gw {\n"
		 "  remote_addrs = 192.0.2.2\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  resumption = %s\n"
		 "  dpd_delay = 10s\n"
		 "  local { auth = psk\n id = alice@example.org }\n"
		 "  remote { auth = psk\n id = gw.example.org }\n"
		 "  children { net {\n"
		 "   local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24\n"
		 "   esp_proposals = aes128gcm16\n dpd_action = restart\n"
		 "  } }\n"
		 " }\n"
		 " gw2 {\n"
		 "  remote_addrs = 192.0.2.2\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  resumption = %s\n"
		 "  local { auth = psk\n id = alice@example.org }\n"
		 "  remote { auth = psk\n id = gw.example.org }\n"
		 "  children { net2 {\n"
		 "   local_ts = 10.1.1.0/24\n remote_ts = 10.2.1.0/24\n"
		 "   esp_proposals = aes128gcm16\n"
		 "  } }\n"
		 " }\n"
		 "}\n"
		 "secrets { ike { secret = " PSK " } }\n"
		 "ikehelper { retransmit_tries = 2\n retransmit_timeout = 1s\n }\n",
		 resumption, resumption);
	return strdup(buf);
}

static char *conf_gw(const char *resumption, const char *peer_id, const char *settings)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections {\n"
		 " rw {\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  resumption = %s\n"
		 "  local { auth = psk\n id = gw.example.org }\n"
		 "  remote { auth = psk\n id = %s }\n"
		 "  children { net {\n"
		 "   local_ts = 10.2.0.0/16\n remote_ts = 10.1.0.0/16\n"
		 "   esp_proposals = aes128gcm16\n"
		 "  } }\n"
		 " }\n"
		 "}\n"
		 "secrets { ike { secret = " PSK " } }\n"
		 "ikehelper { ticket_key_file = %s\n %s }\n", resumption, peer_id, keyfile,
		 settings);
	return strdup(buf);
}

static void setup(const char *gw_resumption, const char *gw_settings)
{
	unlink(keyfile);
	h_pair(&alice, &bob, conf_client("yes"), conf_gw(gw_resumption, "alice@example.org",
							  gw_settings));
}

/* bob's process is replaced (its IKE SAs and kernel SAs are lost; the
 * ticket key file stays), configured by TEXT (freed). */
static void gw_restart(char *text)
{
	struct config *cfg = config_parse("bob", text, h_diag, NULL);

	free(text);
	daemon_free(bob->d);
	kernel_destroy(bob->k);
	bob->k = kernel_fake_new();
	bob->d = daemon_new(cfg, bob->k, &h_io, bob, h_now);
	bob->d->name = "bob";
	bob->d->child_delete_delay_ms = 0;
}

static struct ike_sa *established(struct h_peer *p)
{
	for (struct ike_sa *sa = p->d->sas; sa; sa = sa->next_all)
		if (sa->state == IKE_S_ESTABLISHED)
			return sa;
	return NULL;
}

static bool up(const char *conn)
{
	struct h_wait w;

	h_up(alice, conn, &w);
	h_run();
	return w.done == 1 && w.ok;
}

/* alice loses her IKE SAs (as if DPD had ended them) without a word. */
static void client_forgets(void)
{
	while (alice->d->sas)
		ike_sa_destroy(alice->d->sas, "test: lost");
	daemon_reap(alice->d);
}

/* The wire's first packet, if it is an IKE_SESSION_RESUME request: its
 * ticket, within the packet. */
static uint8_t *wire_ticket(size_t *len)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	struct ike_error err = { 0 };
	const struct ike_payload *n;
	uint8_t *t = NULL;

	if (!h_wire || h_head_exchange() != IKE_SESSION_RESUME ||
	    ike_msg_decode(h_wire->data, h_wire->len, m, &err)) {
		free(m);
		return NULL;
	}
	n = msg_find_notify(m, IKE_N_TICKET_OPAQUE);
	if (n) {
		t = (uint8_t *)n->u.notify.data.p;
		*len = n->u.notify.data.len;
	}
	ike_msg_release(m);
	free(m);
	return t;
}

static bool full_exchange_followed(void)
{
	return h_log_has("bob", "IKE_SA_INIT from 192.0.2.1", NULL) && established(alice) &&
	       !established(alice)->resumed && h_flows(alice->k, bob->k) &&
	       h_flows(bob->k, alice->k);
}

static void test_resume_after_gw_restart(void)
{
	struct ike_sa *sa, *bsa;

	setup("yes", "");
	tap_ok(up("gw") && resume_has_ticket(alice->d, config_find_conn(alice->d->cfg, "gw")),
	       "issue: alice is up and holds a ticket");
	tap_ok(bob->d->st.tickets_issued == 1 && h_log_has("bob", "ticket issued", NULL) &&
	       h_log_has("alice", "ticket kept", NULL), "issue: bob issued it in IKE_AUTH");
	tap_ok(access(keyfile, R_OK) == 0, "issue: the ticket key is in ticket_key_file");
	{
		struct stat st;

		tap_ok(!stat(keyfile, &st) && (st.st_mode & 0777) == 0600,
		       "issue: the ticket key file is 0600");
	}
	gw_restart(conf_gw("yes", "alice@example.org", ""));
	h_log_clear();
	/* DPD: nobody answers with those SPIs; dpd_action = restart. */
	h_advance(11000);
	h_run();
	for (int i = 0; i < 30 && !alice->d->st.resumed; i++) {
		h_advance(1000);
		h_run();
	}
	sa = established(alice);
	bsa = established(bob);
	if (getenv("H_DEBUG"))
		fputs(h_log, stderr);
	tap_ok(sa && sa->resumed && bsa && bsa->resumed,
	       "resume: DPD found bob gone, the restart resumed the IKE SA");
	tap_ok(h_log_has("bob", "IKE_SESSION_RESUME from 192.0.2.1", "accepted", NULL) &&
	       !h_log_has("bob", "IKE_SA_INIT from", NULL) && alice->d->st.resumed == 1 &&
	       bob->d->st.resumed == 1, "resume: no IKE_SA_INIT, an IKE_SESSION_RESUME");
	tap_ok(h_flows(alice->k, bob->k) && h_flows(bob->k, alice->k) &&
	       kernel_fake_sa_count(alice->k) == 2,
	       "resume: the CHILD_SA flows both ways, alice's old kernel SAs are gone");
	tap_ok(sa && !memcmp(sa->spi_r, bsa->spi_r, 8) && h_log_has("alice", "IKE SA resumed", NULL),
	       "resume: alice logs the resumption");
	tap_ok(resume_has_ticket(alice->d, config_find_conn(alice->d->cfg, "gw")) &&
	       bob->d->st.tickets_issued == 1, "resume: the resumed IKE_AUTH gave the next ticket");
}

static void test_rotation(void)
{
	setup("yes", "ticket_key_rotate = 60s");
	tap_ok(up("gw"), "rotation: gw up, ticket T1 under key K1");
	resume_test_skew(bob->d, 61);
	tap_ok(up("gw2"), "rotation: gw2 up 61 s later, ticket T2 under K2");
	tap_ok(h_log_has("replaces", "which still opens tickets", NULL),
	       "rotation: bob rotated its ticket key");
	client_forgets();
	h_log_clear();
	tap_ok(up("gw") && established(alice)->resumed,
	       "rotation: T1 under the previous key resumes");
	client_forgets();
	h_log_clear();
	resume_test_skew(bob->d, 125);
	tap_ok(up("gw2") && established(alice) && !established(alice)->resumed &&
	       h_log_has("IKE_SESSION_RESUME from 192.0.2.1:500 refused", "which we do not hold", NULL),
	       "rotation: T2 two rotations old is refused (TICKET_NACK)");
	tap_ok(h_log_has("alice", "TICKET_NACK", "a full IKE_SA_INIT follows", NULL) &&
	       full_exchange_followed(), "rotation: then a full exchange");
}

static void test_expired(void)
{
	setup("yes", "");
	up("gw");
	client_forgets();
	h_log_clear();
	resume_test_skew(bob->d, 3601);
	tap_ok(up("gw") && h_log_has("refused", "expired", NULL) && full_exchange_followed() &&
	       bob->d->st.tickets_refused == 1, "expired: refused, full exchange follows");
	/* The client drops a ticket it knows to be expired. */
	client_forgets();
	resume_test_skew(alice->d, 4000);
	h_log_clear();
	tap_ok(up("gw") && !h_log_has("IKE_SESSION_RESUME", NULL) &&
	       h_log_has("session resumption ticket expired, dropped", NULL),
	       "expired: alice does not send a ticket she knows expired");
}

/* alice gets a ticket from bob (restarted then with config GW_AFTER, if
 * not NULL), forgets her IKE SA and initiates again: W waits for it. */
static void resume_start(struct h_wait *w, char *gw_after)
{
	setup("yes", "");
	up("gw");
	client_forgets();
	if (gw_after)
		gw_restart(gw_after);
	h_log_clear();
	h_up(alice, "gw", w);
}

/* alice resumes with the byte AT of her ticket changed on the wire. */
static void tampered(size_t at, const char *want, const char *name)
{
	uint8_t *t;
	size_t len = 0;
	struct h_wait w;

	resume_start(&w, NULL);
	t = wire_ticket(&len);
	if (t && at < len)
		t[at] ^= 0x40;
	h_run();
	tap_ok(t && w.done == 1 && w.ok && h_log_has("refused", want, NULL) &&
	       full_exchange_followed(), "%s: refused (%s), full exchange follows", name, want);
}

static void test_forged(void)
{
	tampered(40, "does not verify (forged or modified)", "forged");
	tampered(2, "which we do not hold", "unknown key id");
}

static void test_identity(void)
{
	struct h_wait w;

	resume_start(&w, conf_gw("yes", "someone@example.org", ""));
	h_run();
	tap_ok(h_log_has("refused", "no longer allows", NULL) &&
	       h_log_has("alice", "TICKET_NACK", NULL) && h_log_has("bob", "IKE_SA_INIT from", NULL),
	       "identity: a ticket for an identity the connection no longer allows is refused, "
	       "a full exchange follows");
}

/* bob takes the ticket, then (a reload) no longer resumes the connection:
 * his IKE_AUTH answer refuses, alice falls back to a full exchange. */
static void test_auth_refused(void)
{
	struct h_wait w;
	char *off = conf_gw("no", "alice@example.org", "");

	resume_start(&w, NULL);
	tap_ok(h_head_exchange() == IKE_SESSION_RESUME && h_deliver() &&
	       h_head_exchange() == IKE_SESSION_RESUME && h_deliver(),
	       "auth refused: IKE_SESSION_RESUME answered");
	daemon_reload(bob->d, config_parse("bob", off, h_diag, NULL));
	free(off);
	h_run();
	tap_ok(h_log_has("bob", "resumed IKE SA: connection 'rw' of the ticket is gone or has "
			 "resumption = no", NULL) &&
	       h_log_has("alice", "the gateway refused the IKE_AUTH of the resumed IKE SA "
			 "(AUTHENTICATION_FAILED)", "a full IKE_SA_INIT follows", NULL) &&
	       w.done == 1 && w.ok && full_exchange_followed(),
	       "auth refused: a refusal in IKE_AUTH falls back to a full exchange too");
}

static void test_replay(void)
{
	struct h_pkt *copy;
	struct h_wait w;

	resume_start(&w, NULL);
	copy = calloc(1, sizeof(*copy));
	*copy = *h_wire;
	copy->next = NULL;
	copy->data = malloc(h_wire->len);
	memcpy(copy->data, h_wire->data, h_wire->len);
	h_run();
	tap_ok(w.ok && established(alice)->resumed, "replay: the first use resumes");
	/* An attacker sends the same request again, under a new SPIi. */
	copy->data[0] ^= 0xff;
	h_deliver_pkt(copy);
	h_pkt_free(copy);
	tap_ok(h_log_has("refused", "used before (replayed", NULL) && bob->d->st.tickets_refused == 1,
	       "replay: the second use is refused (TICKET_NACK)");
	h_run();
}

static void test_gw_without(void)
{
	struct h_wait w;

	setup("no", "");
	tap_ok(up("gw") && !resume_has_ticket(alice->d, config_find_conn(alice->d->cfg, "gw")) &&
	       h_log_has("alice", "no session resumption ticket (TICKET_NACK)", NULL) &&
	       h_log_has("bob", "answering TICKET_NACK (connection 'rw' has resumption = no)", NULL),
	       "no support: a gateway with resumption = no answers TICKET_NACK in IKE_AUTH");
	/* A gateway that says nothing to IKE_SESSION_RESUME (it does not
	 * know the exchange): a full IKE_SA_INIT after one retransmission. */
	resume_start(&w, NULL);
	for (int i = 0; i < 2; i++) {
		tap_ok(h_head_exchange() == IKE_SESSION_RESUME, "silent: resume request %d sent", i);
		h_drop();
		h_advance(i ? 1800 : 1000);
	}
	h_run();
	tap_ok(w.done == 1 && w.ok && h_log_has("alice", "no answer to IKE_SESSION_RESUME",
						 "a full IKE_SA_INIT follows", NULL) &&
	       full_exchange_followed() && alice->d->st.resume_fallbacks == 1,
	       "silent: full exchange after no answer, 'up' succeeds");
	/* A gateway whose connection turned resumption off refuses tickets. */
	client_forgets();
	gw_restart(conf_gw("no", "alice@example.org", ""));
	h_log_clear();
	tap_ok(up("gw") && h_log_has("refused", "has resumption = no now", NULL) &&
	       full_exchange_followed(), "off: resumption = no now: refused, full exchange");
}

/* 90% into its lifetime a ticket is renewed by an INFORMATIONAL exchange
 * (RFC 5723 §4.3.1), also after an IKE SA rekey. */
static void test_refresh(void)
{
	const struct conn *c;
	long left;

	setup("yes", "");
	up("gw");
	c = config_find_conn(alice->d->cfg, "gw");
	ike_rekey_start(established(alice));
	h_run();
	tap_ok(established(alice) && established(alice)->rekeyed_at && h_count_sas(alice) == 1,
	       "refresh: alice rekeyed the IKE SA");
	/* 330 DPD rounds log about 190 KB; the lines checked come from them. */
	h_log_clear();
	/* The CHILD_SA's rekey may fall in these 3300 s too (rand_time). */
	h_pass(3300 * 1000);
	left = resume_ticket_expires_in(alice->d, c);
	tap_ok(bob->d->st.tickets_issued == 2 && left > 3000 &&
	       h_log_has("alice", "expires in", "asking for a new one", NULL) &&
	       h_log_has("alice", "received INFORMATIONAL (ticket request) response", NULL),
	       "refresh: a new ticket at 90%% of the lifetime (%ld s left)", left);
	client_forgets();
	h_log_clear();
	tap_ok(up("gw") && established(alice)->resumed, "refresh: the renewed ticket resumes");
}

/* EAP-MSCHAPv2: the resumed IKE_AUTH has no EAP round, and the gateway's
 * SA knows the EAP identity from the ticket (also after an IKE SA rekey). */
static void test_eap(void)
{
	static const char *const client =
		"connections { gw { remote_addrs = 192.0.2.2\n"
		"  proposals = aes256gcm16-prfsha384-x25519\n  resumption = yes\n"
		"  local { auth = eap-mschapv2\n id = alice@example.org\n eap_id = dave }\n"
		"  remote { auth = psk\n id = gw.example.org }\n"
		"  children { net { local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24\n"
		"   esp_proposals = aes128gcm16 } } } }\n"
		"secrets { ike { secret = " PSK " }\n eap-d { id = dave\n secret = dave-secret } }\n";
	static const char *const gw =
		"connections { rw { proposals = aes256gcm16-prfsha384-x25519\n  resumption = yes\n"
		"  local { auth = psk\n id = gw.example.org }\n"
		"  remote { auth = eap-mschapv2\n id = alice@example.org\n eap_id = %any }\n"
		"  children { net { local_ts = 10.2.0.0/16\n remote_ts = 10.1.0.0/16\n"
		"   esp_proposals = aes128gcm16 } } } }\n"
		"secrets { ike { secret = " PSK " }\n eap-d { id = dave\n secret = dave-secret } }\n";
	struct ike_sa *bsa;

	h_pair(&alice, &bob, strdup(client), strdup(gw));
	tap_ok(up("gw") && h_log_has("bob", "EAP", NULL) && bob->d->st.tickets_issued == 1,
	       "eap: up by EAP-MSCHAPv2, ticket issued");
	ike_rekey_start(h_sa(bob));
	h_run();
	bsa = established(bob);
	tap_ok(bsa && bsa->rekeyed_at && resume_eap_user(bsa) &&
	       !strcmp(resume_eap_user(bsa), "dave"),
	       "eap: the gateway's rekeyed IKE SA keeps the EAP identity for its tickets");
	/* bob keeps his SA (the resumed IKE_AUTH's INITIAL_CONTACT replaces it). */
	client_forgets();
	h_log_clear();
	up("gw");
	tap_ok(established(alice) && established(alice)->resumed && !h_log_has("EAP-Identity", NULL) &&
	       !h_log_has("MSCHAPv2", NULL), "eap: resumed without an EAP round");
	bsa = NULL;
	for (struct ike_sa *x = bob->d->sas; x; x = x->next_all)
		if (x->state == IKE_S_ESTABLISHED && x->resumed)
			bsa = x;
	tap_ok(bsa && resume_eap_user(bsa) && !strcmp(resume_eap_user(bsa), "dave") &&
	       h_log_has("bob", "replaced by IKE SA", "(INITIAL_CONTACT)", NULL),
	       "eap: the resumed gateway SA has the EAP identity from the ticket and replaced "
	       "the old one");
}

static void test_client_off(void)
{
	h_pair(&alice, &bob, conf_client("no"), conf_gw("yes", "alice@example.org", ""));
	tap_ok(up("gw") && bob->d->st.tickets_issued == 0 &&
	       !resume_has_ticket(alice->d, config_find_conn(alice->d->cfg, "gw")),
	       "client off: no TICKET_REQUEST, no ticket");
}

static void test_config(void)
{
	char *bad = conf_client("maybe");
	struct config *cfg = config_parse("bad", bad, h_diag, NULL);

	tap_ok(!cfg, "config: resumption must be yes or no");
	if (cfg)
		config_free(cfg);
	free(bad);
	bad = conf_gw("yes", "x@y", "ticket_lifetime = forever");
	cfg = config_parse("bad", bad, h_diag, NULL);
	tap_ok(!cfg, "config: ticket_lifetime must be a duration");
	if (cfg)
		config_free(cfg);
	free(bad);
}

int main(void)
{
	char dir[] = "/tmp/kesp-resume-XXXXXX";

	if (ike_crypto_init() || !mkdtemp(dir))
		return 1;
	snprintf(keyfile, sizeof(keyfile), "%s/ticket.key", dir);
	test_resume_after_gw_restart();
	test_rotation();
	test_expired();
	test_forged();
	test_identity();
	test_auth_refused();
	test_replay();
	test_gw_without();
	test_refresh();
	test_eap();
	test_client_off();
	test_config();
	h_reset();
	unlink(keyfile);
	rmdir(dir);
	log_set_sink(NULL, NULL);
	ike_crypto_deinit();
	return tap_done();
}
