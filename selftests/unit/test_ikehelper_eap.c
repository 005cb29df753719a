// SPDX-License-Identifier: GPL-2.0
/*
 * EAP in IKE_AUTH: the MS-CHAPv2 vectors of RFC 2759 §9.2 and the MPPE
 * vectors of RFC 3079 §3.5.3, then whole exchanges between two daemons
 * against the fake kernel (ike_harness.h): alice is the EAP client, bob
 * the gateway that authenticates itself with a PSK and runs EAP-MSCHAPv2;
 * a wrong password, an unknown user, a gateway without EAP, and the Nak a
 * client answers to a method it lacks.
 */
#include "ike_harness.h"
#include "tap.h"

static void test_vectors(void)
{
	static const uint8_t user[] = "User", pw[] = "clientPass";
	uint8_t ac[16], pc[16], h[16], hh[16], ch[8], nt[24], ar[20], mk[16], k2[16], k3[16];
	uint8_t msk[MSCHAP_MSK_LEN], want[24], zero[32] = { 0 };

	tap_unhex("5B5D7C7D7B3F2F3E3C2C602132262628", ac, 16);
	tap_unhex("21402324255E262A28295F2B3A337C7E", pc, 16);
	mschap_nt_hash(pw, sizeof(pw) - 1, h);
	tap_unhex("44EBBA8D5312B8D611474411F56989AE", want, 16);
	TAP_EQ_MEM(h, want, 16, "RFC 2759 §9.2: PasswordHash of 'clientPass'");
	mschap_challenge_hash(pc, ac, user, 4, ch);
	tap_unhex("D02E4386BCE91226", want, 8);
	TAP_EQ_MEM(ch, want, 8, "RFC 2759 §9.2: Challenge (ChallengeHash)");
	mschap_challenge_hash(pc, ac, (const uint8_t *)"ACME\\User", 9, ch);
	TAP_EQ_MEM(ch, want, 8, "ChallengeHash of 'ACME\\User' uses the user part only");
	mschap_nt_response(ac, pc, user, 4, pw, sizeof(pw) - 1, nt);
	tap_unhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF", want, 24);
	TAP_EQ_MEM(nt, want, 24, "RFC 2759 §9.2: NT-Response");
	mschap_hash_nt_hash(h, hh);
	tap_unhex("41C00C584BD2D91C4017A2A12FA59F3F", want, 16);
	TAP_EQ_MEM(hh, want, 16, "RFC 2759 §9.2: PasswordHashHash");
	mschap_authenticator_response(h, nt, pc, ac, user, 4, ar);
	tap_unhex("407A5589115FD0D6209F510FE9C04566932CDA56", want, 20);
	TAP_EQ_MEM(ar, want, 20, "RFC 2759 §9.2: AuthenticatorResponse S=407A5589...");
	mschap_master_key(hh, nt, mk);
	tap_unhex("FDECE3717A8C838CB388E527AE3CDD31", want, 16);
	TAP_EQ_MEM(mk, want, 16, "RFC 3079 §3.5.3: MasterKey");
	mschap_asymmetric_key(mk, false, k3);
	mschap_asymmetric_key(mk, true, k2);
	tap_unhex("8B7CDC149B993A1BA118CB153F56DCCB", want, 16);
	TAP_EQ_MEM(k3, want, 16, "RFC 3079 §3.5.3: the 128-bit start key (Magic3: the "
		   "server's send key)");
	tap_ok(memcmp(k2, k3, 16) != 0, "the Magic2 key differs from it");
	mschap_msk(h, nt, msk);
	tap_ok(!memcmp(msk, k2, 16) && !memcmp(msk + 16, k3, 16) && !memcmp(msk + 32, zero, 32),
	       "MSK = Magic2 key | Magic3 key | 32 zero octets (strongSwan's layout)");
	tap_ok(mschap_nt_hash(pw, MSCHAP_PASSWORD_MAX + 1, h) == -1,
	       "a password over 256 octets is refused");
}

/* ---- whole exchanges ----------------------------------------------------- */

static struct h_peer *alice, *bob;
static const char psk[] = "\"Vq3#pL9!xZ2@mW7$kR4nB8\"";
static const char *alice_wants = "gw.example.org";	/* her remote id */
static const char *alice_remote_auth = "psk", *bob_local_auth = "psk";

static char *alice_conf(const char *auth, const char *eap_id, const char *password)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections { c { remote_addrs = 192.0.2.2\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  local { auth = %s\n id = carol@example.org\n %s%s }\n"
		 "  remote { auth = %s\n id = %s }\n"
		 "  children { net { local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24\n"
		 "   esp_proposals = aes128gcm16 } } } }\n"
		 "secrets { ike { secret = %s }\n"
		 " eap-me { id = %s\n secret = \"%s\" } }\n",
		 auth, eap_id ? "eap_id = " : "", eap_id ? eap_id : "", alice_remote_auth,
		 alice_wants, psk,
		 eap_id ? eap_id : "carol@example.org", password);
	return strdup(buf);
}

static char *bob_conf(const char *remote)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections { c {\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  local { auth = %s\n id = gw.example.org }\n"
		 "  remote { %s }\n"
		 "  children { net { local_ts = 10.2.0.0/24\n remote_ts = 10.1.0.0/24\n"
		 "   esp_proposals = aes128gcm16 } } } }\n"
		 "secrets { ike { secret = %s }\n"
		 " eap-carol { id = carol@example.org\n secret = \"Carol's p4ssw0rd\" }\n"
		 " eap-dave { id = dave\n secret = dave-secret } }\n",
		 bob_local_auth, remote, psk);
	return strdup(buf);
}

static void test_success(const char *what, const char *auth, const char *eap_id,
			 const char *password, const char *bob_remote, const char *user)
{
	struct h_wait w;
	struct ike_sa *sa, *bsa;

	h_pair(&alice, &bob, alice_conf(auth, eap_id, password), bob_conf(bob_remote));
	if (!tap_ok(alice->d && bob->d, "%s: both configs load", what))
		return;
	sa = h_up(alice, "c", &w);
	h_run();
	bsa = h_sa(bob);
	tap_ok(sa && sa->state == IKE_S_ESTABLISHED && w.ok && bsa &&
	       bsa->state == IKE_S_ESTABLISHED && kernel_fake_sa_count(alice->k) == 2 &&
	       kernel_fake_sa_count(bob->k) == 2 && !sa->eap && !bsa->eap,
	       "%s: both established, the CHILD_SA installed on both (%s)", what, w.msg);
	tap_ok(h_log_has("bob: c[1]", "peer authenticated as EAP user '", user, NULL) &&
	       h_log_has("alice: c[1]", "EAP-MSCHAPv2 succeeded as '", user, NULL),
	       "%s: bob authenticated EAP user '%s', alice knows it", what, user);
	h_reset();
}

/* Alice's EAP fails; no SA anywhere; bob and alice say why. */
static void test_refused(const char *what, const char *eap_id, const char *password,
			 const char *bob_remote, const char *bob_cause, const char *alice_cause)
{
	struct h_wait w;
	struct ike_sa *sa;

	h_pair(&alice, &bob, alice_conf("eap-mschapv2", eap_id, password), bob_conf(bob_remote));
	if (!tap_ok(alice->d && bob->d, "%s: both configs load", what))
		return;
	sa = h_up(alice, "c", &w);
	h_run();
	tap_ok(sa && !h_sa(alice) && w.done && !w.ok && !h_sa(bob) &&
	       kernel_fake_sa_count(alice->k) == 0 && kernel_fake_sa_count(bob->k) == 0,
	       "%s: no SA on either side", what);
	tap_ok(h_log_has("bob:", bob_cause, NULL), "%s: bob says '%s'", what, bob_cause);
	tap_ok(h_log_has("alice:", alice_cause, NULL), "%s: alice says '%s'", what, alice_cause);
	h_reset();
}

/* Alice expects another gateway: she refuses bob's identity, and her
 * AUTHENTICATION_FAILED reaches bob, who drops his half of the SA at once. */
static void test_wrong_gateway(void)
{
	struct h_wait w;
	struct ike_sa *sa;

	/* A wildcard: she sends no IDr, bob answers as gw.example.org. */
	alice_wants = "*.example.net";
	h_pair(&alice, &bob, alice_conf("eap-mschapv2", NULL, "Carol's p4ssw0rd"),
	       bob_conf("auth = eap-mschapv2"));
	alice_wants = "gw.example.org";
	sa = h_up(alice, "c", &w);
	h_run();
	tap_ok(sa && !h_sa(alice) && w.done && !w.ok && !h_sa(bob) &&
	       kernel_fake_sa_count(bob->k) == 0, "the wrong gateway: no SA on either side, "
	       "without waiting for bob's half-open timeout");
	tap_ok(h_log_has("alice:", "the peer is 'gw.example.org' (FQDN), but we expect "
			 "'*.example.net'", NULL) &&
	       h_log_has("bob:", "the peer reports AUTHENTICATION_FAILED", NULL),
	       "the wrong gateway: alice says why, bob reads her AUTHENTICATION_FAILED");
	h_reset();
}

/* RFC 5998: EAP-only, with MSCHAPv2 (mutual: the server proves it knows
 * the password by "S=", then both AUTHs are the MSK's). ALICE_REMOTE and
 * BOB_LOCAL are the auth lines: eap-mschapv2 on both for EAP-only. */
static void test_eap_only(const char *what, const char *alice_remote, const char *bob_local,
			  const char *cause_who, const char *cause)
{
	struct h_wait w;
	struct ike_sa *sa;

	alice_remote_auth = alice_remote;
	bob_local_auth = bob_local;
	h_pair(&alice, &bob, alice_conf("eap-mschapv2", NULL, "Carol's p4ssw0rd"),
	       bob_conf("auth = eap-mschapv2"));
	alice_remote_auth = bob_local_auth = "psk";
	if (!tap_ok(alice->d && bob->d, "%s: both configs load", what))
		return;
	sa = h_up(alice, "c", &w);
	h_run();
	if (!cause) {
		tap_ok(sa && sa->state == IKE_S_ESTABLISHED && w.ok && h_sa(bob) &&
		       h_sa(bob)->state == IKE_S_ESTABLISHED && kernel_fake_sa_count(alice->k) == 2 &&
		       kernel_fake_sa_count(bob->k) == 2, "%s: both established (%s)", what, w.msg);
		tap_ok(h_log_has("alice: c[1]", "the server proved it knows our password", NULL) &&
		       h_log_has("bob: c[1]", "peer authenticated as EAP user 'carol@example.org'",
				 NULL), "%s: the server proved itself by MSCHAPv2", what);
		tap_ok(h_log_has("alice: c[1]", "EAP-only authentication (RFC 5998): server "
				 "'gw.example.org' sent no AUTH before EAP", NULL) &&
		       h_log_has("bob: c[1]", "EAP-only authentication (RFC 5998) asked by peer "
				 "'carol@example.org': no AUTH of ours before EAP", NULL),
		       "%s: both sides log EAP-only", what);
	} else {
		tap_ok(sa && !h_sa(alice) && w.done && !w.ok && !h_sa(bob),
		       "%s: no SA on either side", what);
		tap_ok(h_log_has(cause_who, cause, NULL), "%s: %s says '%s'", what, cause_who, cause);
	}
	h_reset();
}

/* The server asks for EAP-TLS of a client without a certificate: it
 * answers Nak, proposing MSCHAPv2. */
static void test_nak(void)
{
	static const uint8_t tls[] = { 13, 0x20 };
	struct ike_payload idr = { .type = IKE_PL_IDR };
	uint8_t idbody[] = { IKE_ID_FQDN, 0, 0, 0, 'g', 'w' };
	struct ike_pl_eap req = { .code = 1, .ident = 42, .data = { tls, sizeof(tls) } };
	struct msg_out *m = calloc(1, sizeof(*m));
	struct h_wait w;
	struct ike_sa *sa;
	char why[256];

	h_pair(&alice, &bob, alice_conf("eap", NULL, "x"), bob_conf("auth = eap-mschapv2"));
	sa = h_up(alice, "c", &w);
	h_deliver();
	h_deliver();
	idr.body = (struct ike_slice){ idbody, sizeof(idbody) };
	if (!tap_ok(m && sa && sa->state == IKE_S_AUTH_I && !auth_eap_client_begin(sa, &idr),
		    "Nak: alice's EAP starts")) {
		free(m);
		h_reset();
		return;
	}
	tap_ok(auth_eap_client_process(sa, &req, why, sizeof(why)) == EAP_NEXT,
	       "Nak: an EAP-TLS request gets an answer");
	auth_eap_client_add(sa, m);
	tap_ok(m->n == 1 && m->pl[0].u.eap.code == 2 && m->pl[0].u.eap.ident == 42 &&
	       m->pl[0].u.eap.data.len == 2 && m->pl[0].u.eap.data.p[0] == 3 &&
	       m->pl[0].u.eap.data.p[1] == 26, "Nak: the answer is EAP-Nak proposing MSCHAPv2 (26)");
	tap_ok(h_log_has("alice:", "asks for EAP-TLS (type 13), which needs a certificate of ours", NULL),
	       "Nak: alice logs the method she lacks");
	req.data.p = (const uint8_t *)"\x04";
	req.data.len = 1;
	req.code = 4;
	tap_ok(auth_eap_client_process(sa, &req, why, sizeof(why)) == EAP_FAIL &&
	       strstr(why, "EAP-Failure"), "Nak: then EAP-Failure fails it (%s)", why);
	req.code = 3;
	tap_ok(auth_eap_client_process(sa, &req, why, sizeof(why)) == EAP_FAIL &&
	       strstr(why, "EAP-Success before EAP-MSCHAPv2 authenticated the server"),
	       "an EAP-Success before MSCHAPv2 finished is refused (%s)", why);
	free(m);
	h_reset();
}

int main(void)
{
	if (ike_crypto_init())
		return 1;
	test_vectors();
	test_success("EAP-Identity then MSCHAPv2", "eap-mschapv2", NULL, "Carol's p4ssw0rd",
		     "auth = eap-mschapv2\n eap_id = %any", "carol@example.org");
	test_success("MSCHAPv2 with the IKE identity", "eap-mschapv2", NULL, "Carol's p4ssw0rd",
		     "auth = eap-mschapv2", "carol@example.org");
	test_success("auth = eap, an eap_id of its own", "eap", "dave", "dave-secret",
		     "auth = eap-mschapv2\n eap_id = %any", "dave");
	test_refused("a wrong password", NULL, "not carol's", "auth = eap-mschapv2",
		     "EAP-MSCHAPv2 failed for user 'carol@example.org': wrong password (the "
		     "NT-Response does not match the password of secret 'eap-carol'): answering "
		     "EAP-Failure and AUTHENTICATION_FAILED",
		     "AUTHENTICATION_FAILED: EAP-MSCHAPv2 failed (the server sent EAP-Failure)");
	test_refused("an unknown user", "mallory", "whatever", "auth = eap-mschapv2\n eap_id = %any",
		     "EAP-MSCHAPv2: no EAP password for user 'mallory' in secrets",
		     "the server answered AUTHENTICATION_FAILED");
	test_refused("a gateway without EAP", NULL, "x", "auth = psk",
		     "EAP (no AUTH payload)): c: remote auth is psk",
		     "the peer rejected our first IKE_AUTH (AUTHENTICATION_FAILED): we are "
		     "'carol@example.org' and want EAP");
	test_wrong_gateway();
	test_eap_only("EAP-only (RFC 5998)", "eap-mschapv2", "eap-mschapv2", NULL, NULL);
	test_eap_only("EAP-only asked of a gateway that signs", "eap-mschapv2", "psk", "alice:",
		      "we asked for EAP-only authentication (remote auth = eap-mschapv2), but the "
		      "server authenticated with method 2 (PSK)");
	test_eap_only("an EAP-only gateway not asked for it", "psk", "eap-mschapv2", "bob:",
		      "did not ask for EAP-only authentication (RFC 5998), and connection 'c' has "
		      "no other way to authenticate us");
	test_nak();
	log_set_sink(NULL, NULL);
	ike_crypto_deinit();
	return tap_done();
}
