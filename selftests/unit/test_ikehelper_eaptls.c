// SPDX-License-Identifier: GPL-2.0
/*
 * EAP-TLS (RFC 5216) in IKE_AUTH between two daemons against the fake
 * kernel: alice the EAP-TLS peer with her certificate, bob the gateway
 * that signs with an RSA certificate (its TLS flight needs fragments) and
 * runs the EAP-TLS server. Success with and without EAP-Identity and with
 * auth = eap; refusals (a client certificate of another CA, an EAP
 * identity not in the certificate) end with no SA and the cause logged;
 * then the framing limits, fed straight into eap_tls_process.
 */
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ike_harness.h"
#include "tap.h"
#include "test_pki.h"

static void save(const char *name, gnutls_x509_crt_t c, gnutls_x509_privkey_t k)
{
	if (c)
		save_crt(name, c, false);
	else
		save_key(name, k);
}

/* ca -> gw (RSA-2048), carol (P-256); other-ca -> carol-stranger. */
static void make_pki(void)
{
	time_t now = time(NULL), day = 86400;
	gnutls_x509_privkey_t ca_k = gen_key(GNUTLS_PK_ECDSA,
					     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	gnutls_x509_privkey_t o_k = gen_key(GNUTLS_PK_ECDSA,
					    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	gnutls_x509_privkey_t gw_k = gen_key(GNUTLS_PK_RSA, 2048);
	gnutls_x509_privkey_t c_k = gen_key(GNUTLS_PK_ECDSA,
					    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	gnutls_x509_crt_t ca = make_cert("CN=kesp EAP-TLS CA,O=kesp,C=CH", ca_k, NULL, NULL, true,
					 NULL, NULL, now - day, now + day);
	gnutls_x509_crt_t oca = make_cert("CN=other CA,O=elsewhere,C=CH", o_k, NULL, NULL, true,
					  NULL, NULL, now - day, now + day);
	gnutls_x509_crt_t gw = make_cert("CN=gw.example.org,O=kesp,C=CH", gw_k, ca, ca_k, false,
					 "gw.example.org", NULL, now - day, now + day);
	gnutls_x509_crt_t carol = make_cert("CN=carol,O=kesp,C=CH", c_k, ca, ca_k, false, NULL,
					    "carol@example.org", now - day, now + day);
	gnutls_x509_crt_t stranger = make_cert("CN=carol,O=kesp,C=CH", c_k, oca, o_k, false, NULL,
					       "carol@example.org", now - day, now + day);

	save("ca.pem", ca, NULL);
	save("gw.pem", gw, NULL);
	save("gw.key", NULL, gw_k);
	save("carol.pem", carol, NULL);
	save("carol-stranger.pem", stranger, NULL);
	save("carol.key", NULL, c_k);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(oca);
	gnutls_x509_crt_deinit(gw);
	gnutls_x509_crt_deinit(carol);
	gnutls_x509_crt_deinit(stranger);
	gnutls_x509_privkey_deinit(ca_k);
	gnutls_x509_privkey_deinit(o_k);
	gnutls_x509_privkey_deinit(gw_k);
	gnutls_x509_privkey_deinit(c_k);
}

/* ---- whole exchanges ----------------------------------------------------- */

static struct h_peer *alice, *bob;

static char *alice_conf(const char *auth, const char *cert, const char *extra)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections { c { remote_addrs = 192.0.2.2\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  local { auth = %s\n id = carol@example.org\n certs = %s/%s\n %s }\n"
		 "  remote { auth = pubkey\n id = gw.example.org\n cacerts = %s/ca.pem }\n"
		 "  children { net { local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24\n"
		 "   esp_proposals = aes128gcm16 } } } }\n"
		 "secrets { private-c { file = %s/carol.key } }\n",
		 auth, dir, cert, extra, dir, dir);
	return strdup(buf);
}

static char *bob_conf(const char *remote)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections { c {\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  local { auth = pubkey\n id = gw.example.org\n certs = %s/gw.pem }\n"
		 "  remote { auth = eap-tls\n cacerts = %s/ca.pem\n %s }\n"
		 "  children { net { local_ts = 10.2.0.0/24\n remote_ts = 10.1.0.0/24\n"
		 "   esp_proposals = aes128gcm16 } } } }\n"
		 "secrets { private-g { file = %s/gw.key } }\n",
		 dir, dir, remote, dir);
	return strdup(buf);
}

static void test_success(const char *what, const char *auth, const char *bob_remote)
{
	struct h_wait w;
	struct ike_sa *sa, *bsa;

	h_pair(&alice, &bob, alice_conf(auth, "carol.pem", ""), bob_conf(bob_remote));
	if (!tap_ok(alice->d && bob->d, "%s: both configs load", what))
		return;
	sa = h_up(alice, "c", &w);
	h_run();
	bsa = h_sa(bob);
	tap_ok(sa && sa->state == IKE_S_ESTABLISHED && w.ok && bsa &&
	       bsa->state == IKE_S_ESTABLISHED && kernel_fake_sa_count(alice->k) == 2 &&
	       kernel_fake_sa_count(bob->k) == 2 && !sa->eap && !bsa->eap,
	       "%s: both established, the CHILD_SA installed on both (%s)", what, w.msg);
	tap_ok(h_log_has("bob: c[1]", "EAP-TLS: peer authenticated as EAP user "
			 "'carol@example.org' with certificate 'C=CH, O=kesp, CN=carol'", NULL) &&
	       h_log_has("alice: c[1]", "EAP-TLS succeeded as 'carol@example.org' (the server's "
			 "certificate 'C=CH, O=kesp, CN=gw.example.org'", NULL),
	       "%s: each side trusts the other's certificate, the MSK keys both AUTHs", what);
	tap_ok(h_log_has("bob: c[1]", "EAP-TLS: our TLS message of ", "goes in fragments of 1000",
			 NULL) &&
	       h_log_has("alice: c[1]", "EAP-TLS: ", "octets of TLS data reassembled from",
			 NULL) && h_log_has("alice: c[1]", "EAP-TLS: handshake done (TLS1.2", NULL),
	       "%s: bob's flight went in fragments, alice reassembled it; TLS 1.2", what);
	h_reset();
}

static void test_refused(const char *what, const char *cert, const char *extra,
			 const char *bob_cause, const char *alice_cause)
{
	struct h_wait w;
	struct ike_sa *sa;

	h_pair(&alice, &bob, alice_conf("eap-tls", cert, extra), bob_conf("eap_id = %any"));
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

/* ---- framing limits -------------------------------------------------------- */

static struct eap_tls *fresh(struct ike_sa *sa, struct eap_tls *old)
{
	char why[256];
	struct ike_id id = sa->id_local;

	eap_tls_free(old);
	return eap_tls_new(sa, true, sa->conn->local_cert, sa->conn->local_key, &id, why,
			   sizeof(why));
}

static void test_limits(void)
{
	static uint8_t pkt[2000], out[EAP_TLS_PKT_MAX];
	struct h_wait w;
	struct ike_sa *sa;
	struct eap_tls *t;
	size_t n = 0;
	char why[512];
	enum eap_tls_rc rc = EAP_TLS_SEND;
	int i;

	h_pair(&alice, &bob, alice_conf("eap-tls", "carol.pem", ""), bob_conf(""));
	sa = h_up(alice, "c", &w);
	h_deliver();
	t = sa ? fresh(sa, NULL) : NULL;
	if (!tap_ok(t != NULL, "limits: an EAP-TLS server session of alice's certificate")) {
		h_reset();
		return;
	}
	memset(pkt, 0x16, sizeof(pkt));
	pkt[0] = EAP_T_TLS;
	/* L announces more than kesp reassembles. */
	pkt[1] = 0xc0;
	pkt[2] = 0;
	pkt[3] = 0x00;
	pkt[4] = 0x9c;
	pkt[5] = 0x40;		/* 40000 */
	tap_ok(eap_tls_process(t, pkt, 106, out, &n, why, sizeof(why)) == EAP_TLS_FAIL &&
	       strstr(why, "announces a TLS message of 40000 octets, more than kesp accepts "
		      "(32768)"), "limits: a TLS Message Length of 40000 is refused (%s)", why);
	/* L = 2000; 1000 with M: acknowledged; then 1500 more: too many. */
	t = fresh(sa, t);
	pkt[3] = 0;
	pkt[4] = 0x07;
	pkt[5] = 0xd0;
	tap_ok(eap_tls_process(t, pkt, 1006, out, &n, why, sizeof(why)) == EAP_TLS_SEND &&
	       n == 2 && out[0] == EAP_T_TLS && out[1] == 0,
	       "limits: a first fragment (L, M) gets an ACK (an EAP-TLS packet without data)");
	pkt[1] = 0;
	tap_ok(eap_tls_process(t, pkt, 1502, out, &n, why, sizeof(why)) == EAP_TLS_FAIL &&
	       strstr(why, "2500 octets of TLS data where the TLS Message Length says 2000"),
	       "limits: fragments beyond the announced length are refused (%s)", why);
	/* L = 2000, then a last fragment that leaves it short. */
	t = fresh(sa, t);
	pkt[1] = 0xc0;
	eap_tls_process(t, pkt, 1006, out, &n, why, sizeof(why));
	pkt[1] = 0;
	tap_ok(eap_tls_process(t, pkt, 502, out, &n, why, sizeof(why)) == EAP_TLS_FAIL &&
	       strstr(why, "the last fragment leaves 1500 octets of a TLS message of 2000"),
	       "limits: a message shorter than announced is refused (%s)", why);
	/* Fragments without L: at most 32768 octets in all. */
	t = fresh(sa, t);
	pkt[1] = 0x40;
	for (i = 0; i < 40 && (rc = eap_tls_process(t, pkt, 1002, out, &n, why,
						   sizeof(why))) == EAP_TLS_SEND; i++)
		;
	tap_ok(rc == EAP_TLS_FAIL && i == 32 && strstr(why, "TLS message exceeds 32768 octets"),
	       "limits: the 33rd fragment of 1000 octets is refused (%d: %s)", i, why);
	/* Rounds: tiny fragments run into the round limit. */
	t = fresh(sa, t);
	for (i = 0; i < 80 && (rc = eap_tls_process(t, pkt, 3, out, &n, why,
						   sizeof(why))) == EAP_TLS_SEND; i++)
		;
	tap_ok(rc == EAP_TLS_FAIL && i == EAP_TLS_ROUNDS_MAX && strstr(why, "round trips"),
	       "limits: one-octet fragments stop after %d packets (%s)", i, why);
	/* Malformed: L without its length, Start sent to a server, an ACK
	 * with nothing to acknowledge, data before our fragments are acked. */
	t = fresh(sa, t);
	pkt[1] = 0x80;
	tap_ok(eap_tls_process(t, pkt, 4, out, &n, why, sizeof(why)) == EAP_TLS_FAIL &&
	       strstr(why, "without a TLS Message Length"), "limits: L without length (%s)", why);
	t = fresh(sa, t);
	pkt[1] = 0x20;
	tap_ok(eap_tls_process(t, pkt, 2, out, &n, why, sizeof(why)) == EAP_TLS_FAIL &&
	       strstr(why, "unexpected Start"), "limits: a Start from the client (%s)", why);
	t = fresh(sa, t);
	pkt[1] = 0;
	tap_ok(eap_tls_process(t, pkt, 2, out, &n, why, sizeof(why)) == EAP_TLS_FAIL &&
	       strstr(why, "an empty packet where TLS data belongs"),
	       "limits: an ACK of nothing (%s)", why);
	t = fresh(sa, t);
	tap_ok(eap_tls_process(t, pkt, 60, out, &n, why, sizeof(why)) == EAP_TLS_FAIL &&
	       strstr(why, "TLS handshake failed"), "limits: garbage as a ClientHello (%s)", why);
	tap_ok(eap_tls_msk(t, out, 64) == -1, "limits: no MSK without a handshake");
	eap_tls_free(t);
	h_reset();
}

int main(void)
{
	if (ike_crypto_init() || !pki_dir_make("eaptls"))
		return 1;
	make_pki();
	test_success("EAP-Identity then EAP-TLS", "eap-tls", "eap_id = %any");
	test_success("EAP-TLS with the IKE identity", "eap-tls", "");
	test_success("auth = eap with a certificate", "eap", "eap_id = %any");
	test_refused("a client certificate of another CA", "carol-stranger.pem", "",
		     "EAP-TLS: the client's certificate is refused: certificate 'C=CH, O=kesp, "
		     "CN=carol' has an unknown issuer 'C=CH, O=elsewhere, CN=other CA'",
		     "AUTHENTICATION_FAILED: EAP-TLS failed (the server sent EAP-Failure)");
	test_refused("an EAP identity not in the certificate", "carol.pem",
		     "eap_id = dave@example.org",
		     "the peer's identity 'dave@example.org' (RFC822) is not in its certificate "
		     "'C=CH, O=kesp, CN=carol'", "it refused our certificate");
	test_limits();
	log_set_sink(NULL, NULL);
	ike_crypto_deinit();
	pki_dir_remove();
	return tap_done();
}
