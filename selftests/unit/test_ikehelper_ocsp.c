// SPDX-License-Identifier: GPL-2.0
/*
 * Revocation online: OCSP responses (made here by `openssl ocsp` in
 * responder mode from an index file, for requests ocsp.c made) checked by
 * ocsp.c: good, revoked with its reason, signed by a delegated responder
 * with and without the OCSP signing purpose, by another CA, a nonce not
 * ours, stale, a certificate the responder does not know, garbage. Then
 * whole IKE_AUTH exchanges against the fake kernel with a fetcher this
 * test holds: the check suspends until the fetch ends (a retransmitted
 * IKE_AUTH meanwhile starts no second fetch and gets one answer), OCSP
 * good / revoked / unreachable under strict and relaxed, a CRL fetched
 * from the distribution point, and the initiator's side of the same.
 */
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "fetch.h"
#include "ike_harness.h"
#include "ocsp.h"
#include "test_pki.h"
#include "tap.h"


static gnutls_x509_privkey_t gen_p256(void)
{
	return gen_key(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
}

enum { K_CA, K_EE, K_RESPONDER, K_RESPONDER_NOEKU };

static gnutls_x509_crt_t ocsp_cert(const char *dn, unsigned char serial, gnutls_x509_privkey_t key,
				   gnutls_x509_crt_t issuer, gnutls_x509_privkey_t ikey, int kind,
				   const char *dns, const char *email, const char *ocsp,
				   const char *cdp)
{
	time_t now = time(NULL);
	gnutls_x509_crt_t c = cert_start(dn, serial, key, kind == K_CA, dns, email, now - 3600,
					 now + 86400 * 30);

	if (kind == K_RESPONDER)
		gnutls_x509_crt_set_key_purpose_oid(c, GNUTLS_KP_OCSP_SIGNING, 0);
	if (ocsp)
		gnutls_x509_crt_set_authority_info_access(c, GNUTLS_IA_OCSP_URI,
			&(gnutls_datum_t){ (unsigned char *)ocsp, (unsigned int)strlen(ocsp) });
	if (cdp)
		gnutls_x509_crt_set_crl_dist_points(c, GNUTLS_SAN_URI, cdp, 0);
	return cert_sign(c, dn, key, issuer, ikey);
}

static void write_text(const char *name, const char *text)
{
	write_file(name, &(gnutls_datum_t){ (unsigned char *)text, (unsigned int)strlen(text) });
}

static gnutls_x509_crt_t ca, alice_good, alice_revoked, alice_crl, bob_crt, other_ca;
static gnutls_datum_t crl_der;

/* CA -> responder (OCSP signing), responder without it, alice-good and
 * alice-revoked (AIA http://ocsp.test/), alice-crl (CDP only), bob (AIA);
 * other-ca signs a responder of its own. The index says which is revoked. */
static void make_pki(void)
{
	gnutls_x509_privkey_t kca = gen_p256(), kresp = gen_p256(), knoeku = gen_p256(),
			      kee = gen_p256(), kother = gen_p256();
	gnutls_x509_crt_t resp, noeku;
	gnutls_x509_crl_t crl;
	time_t now = time(NULL);
	char idx[1024];

	ca = ocsp_cert("C=CH,O=kesp,CN=ocsp test CA", 1, kca, NULL, NULL, K_CA, NULL, NULL,
		       NULL, NULL);
	resp = ocsp_cert("C=CH,O=kesp,CN=ocsp responder", 2, kresp, ca, kca, K_RESPONDER, NULL,
			 NULL, NULL, NULL);
	noeku = ocsp_cert("C=CH,O=kesp,CN=not a responder", 3, knoeku, ca, kca, K_EE, NULL, NULL,
			  NULL, NULL);
	alice_good = ocsp_cert("C=CH,O=kesp,CN=alice", 4, kee, ca, kca, K_EE, NULL,
			       "alice@example.org", "http://ocsp.test/", NULL);
	alice_revoked = ocsp_cert("C=CH,O=kesp,CN=alice", 5, kee, ca, kca, K_EE, NULL,
				  "alice@example.org", "http://ocsp.test/", NULL);
	alice_crl = ocsp_cert("C=CH,O=kesp,CN=alice", 6, kee, ca, kca, K_EE, NULL,
			      "alice@example.org", NULL, "http://crl.test/ca.crl");
	bob_crt = ocsp_cert("C=CH,O=kesp,CN=bob.example.org", 7, kee, ca, kca, K_EE,
			    "bob.example.org", NULL, "http://ocsp.test/", NULL);
	other_ca = ocsp_cert("C=CH,O=elsewhere,CN=other CA", 8, kother, NULL, NULL, K_CA, NULL,
			     NULL, NULL, NULL);
	save_crt("ca.pem", ca, false);
	save_key("ca.key", kca);
	save_crt("resp.pem", resp, false);
	save_key("resp.key", kresp);
	save_crt("noeku.pem", noeku, false);
	save_key("noeku.key", knoeku);
	save_crt("alice-good.pem", alice_good, false);
	save_crt("alice-revoked.pem", alice_revoked, false);
	save_crt("alice-crl.pem", alice_crl, false);
	save_crt("bob.pem", bob_crt, false);
	save_key("ee.key", kee);
	save_crt("other.pem", other_ca, false);
	save_key("other.key", kother);
	/* openssl's index: V or R, expiry, revocation time[,reason], serial. */
	snprintf(idx, sizeof(idx),
		 "V\t391231235959Z\t\t1004\tunknown\t/C=CH/O=kesp/CN=alice\n"
		 "R\t391231235959Z\t200102030405Z,keyCompromise\t1005\tunknown\t/C=CH/O=kesp/CN=alice\n"
		 "V\t391231235959Z\t\t1007\tunknown\t/C=CH/O=kesp/CN=bob.example.org\n");
	write_text("index.txt", idx);
	write_text("index.txt.attr", "unique_subject = no\n");
	/* The CRL behind http://crl.test/ca.crl: alice-crl is on it. */
	gnutls_x509_crl_init(&crl);
	gnutls_x509_crl_set_version(crl, 2);
	gnutls_x509_crl_set_this_update(crl, now - 60);
	gnutls_x509_crl_set_next_update(crl, now + 86400);
	gnutls_x509_crl_set_crt(crl, alice_crl, now - 60);
	gnutls_x509_crl_sign2(crl, ca, kca, GNUTLS_DIG_SHA256, 0);
	gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_DER, &crl_der);
	gnutls_x509_crl_deinit(crl);
	gnutls_x509_crt_deinit(resp);
	gnutls_x509_crt_deinit(noeku);
	gnutls_x509_privkey_deinit(kca);
	gnutls_x509_privkey_deinit(kresp);
	gnutls_x509_privkey_deinit(knoeku);
	gnutls_x509_privkey_deinit(kee);
	gnutls_x509_privkey_deinit(kother);
}

/* openssl's answer to request REQ, signed by SIGNER (a name in dir: its
 * .pem and .key), the CA it names being CA (a .pem). Freed by the caller. */
static bool respond(const gnutls_datum_t *req, const char *signer, const char *cafile,
		    gnutls_datum_t *out)
{
	char cmd[1024], path[256];
	FILE *f;
	long n;

	out->data = NULL;
	out->size = 0;
	write_file("req.der", req);
	snprintf(cmd, sizeof(cmd), "cd %s && openssl ocsp -index index.txt -CA %s.pem "
		 "-rsigner %s.pem -rkey %s.key -reqin req.der -respout resp.der -nmin 10 "
		 ">/dev/null 2>&1", dir, cafile, signer, signer);
	if (system(cmd))
		return false;
	snprintf(path, sizeof(path), "%s/resp.der", dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	out->data = malloc(n > 0 ? (size_t)n : 1);
	if (out->data && n > 0 && fread(out->data, 1, (size_t)n, f) == (size_t)n)
		out->size = (unsigned int)n;
	fclose(f);
	return out->size > 0;
}

/* ---- ocsp.c on its own ------------------------------------------------------ */

static enum ocsp_verdict check(gnutls_x509_crt_t crt, const char *signer, const char *cafile,
			       bool wrong_nonce, time_t at, char *why, char *reason, time_t *rtime)
{
	uint8_t nonce[OCSP_NONCE_LEN];
	gnutls_datum_t req, resp;
	enum ocsp_verdict v = OCSP_UNKNOWN;
	time_t until;

	why[0] = '\0';
	if (ocsp_request(crt, ca, nonce, &req, why, 300))
		return OCSP_UNKNOWN;
	if (!respond(&req, signer, cafile, &resp)) {
		snprintf(why, 300, "openssl made no response");
	} else {
		if (wrong_nonce)
			nonce[0] ^= 1;
		v = ocsp_check(&resp, crt, ca, nonce, at, &until, rtime, reason, 64, why, 300);
		if (v != OCSP_UNKNOWN && until <= at)
			snprintf(why, 300, "nextUpdate %ld is not after now", (long)until);
	}
	gnutls_free(req.data);
	free(resp.data);
	return v;
}

static void test_ocsp_check(void)
{
	time_t now = time(NULL), rtime = 0, u;
	char why[300], reason[64];
	enum ocsp_verdict v;
	uint8_t junk[40] = { 0x30, 0x03, 0x0a, 0x01, 0x00 };

	v = check(alice_good, "ca", "ca", false, now, why, reason, &rtime);
	tap_ok(v == OCSP_GOOD, "ocsp: a good certificate, answer signed by the CA: good (%s)", why);
	v = check(alice_revoked, "ca", "ca", false, now, why, reason, &rtime);
	tap_ok(v == OCSP_REVOKED && !strcmp(reason, "keyCompromise") && rtime == 1577934245,
	       "ocsp: a revoked certificate: revoked at 2020-01-02 03:04:05 UTC for keyCompromise "
	       "(%s %ld %s)", reason, (long)rtime, why);
	v = check(alice_good, "resp", "ca", false, now, why, reason, &rtime);
	tap_ok(v == OCSP_GOOD, "ocsp: signed by a delegated responder with the OCSP signing "
	       "purpose: good (%s)", why);
	v = check(alice_good, "noeku", "ca", false, now, why, reason, &rtime);
	tap_ok(v == OCSP_UNKNOWN && strstr(why, "not trustworthy"), "ocsp: signed by a "
	       "certificate of the CA without the OCSP signing purpose: refused (%s)", why);
	v = check(alice_good, "other", "ca", false, now, why, reason, &rtime);
	tap_ok(v == OCSP_UNKNOWN && strstr(why, "not trustworthy"), "ocsp: signed by another "
	       "CA: refused (%s)", why);
	v = check(alice_good, "ca", "ca", true, now, why, reason, &rtime);
	tap_ok(v == OCSP_UNKNOWN && strstr(why, "nonce"), "ocsp: a nonce not ours: refused (%s)",
	       why);
	v = check(alice_good, "ca", "ca", false, now + 86400, why, reason, &rtime);
	tap_ok(v == OCSP_UNKNOWN && strstr(why, "stale"), "ocsp: a day after its nextUpdate: "
	       "stale (%s)", why);
	v = check(alice_good, "ca", "ca", false, now - 86400, why, reason, &rtime);
	tap_ok(v == OCSP_UNKNOWN && strstr(why, "future"), "ocsp: thisUpdate ahead of our clock: "
	       "refused (%s)", why);
	v = check(alice_crl, "ca", "ca", false, now, why, reason, &rtime);
	tap_ok(v == OCSP_UNKNOWN && strstr(why, "does not know"), "ocsp: a certificate not in "
	       "the responder's index: unknown (%s)", why);
	v = ocsp_check(&(gnutls_datum_t){ junk, 7 }, alice_good, ca, NULL, now, &u, &rtime, reason,
		       sizeof(reason), why, sizeof(why));
	tap_ok(v == OCSP_UNKNOWN && strstr(why, "not an OCSP response"), "ocsp: garbage: "
	       "refused (%s)", why);
	/* OCSPResponse { responseStatus tryLater(3) } */
	junk[4] = 3;
	v = ocsp_check(&(gnutls_datum_t){ junk, 5 }, alice_good, ca, NULL, now, &u, &rtime, reason,
		       sizeof(reason), why, sizeof(why));
	tap_ok(v == OCSP_UNKNOWN && strstr(why, "tryLater"), "ocsp: a responder's tryLater is "
	       "named (%s)", why);
}

/* ---- whole exchanges with a fetcher in the test's hands ---------------------- */

static struct {
	int count;
	char url[256];
	uint8_t post[4096];
	size_t postlen;
	fetch_done_fn done;
	void *arg;
	struct daemon *d;
} fk;

static int fake_start(void *ctx, const char *url, const char *ctype, const uint8_t *post,
		      size_t postlen, unsigned int timeout_ms, fetch_done_fn done, void *arg,
		      char *why, size_t whylen)
{
	(void)ctype;
	(void)timeout_ms;
	(void)why;
	(void)whylen;
	fk.count++;
	snprintf(fk.url, sizeof(fk.url), "%s", url);
	fk.postlen = postlen < sizeof(fk.post) ? postlen : 0;
	if (fk.postlen)
		memcpy(fk.post, post, postlen);
	fk.done = done;
	fk.arg = arg;
	fk.d = ctx;
	return 0;
}

static struct fetch_ops fake_ops_alice = { .start = fake_start };
static struct fetch_ops fake_ops_bob = { .start = fake_start };

static struct h_peer *alice, *bob;

static char *conf(bool is_alice, const char *cert, const char *revocation)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "connections {\n"
		 " c {\n"
		 "  %s\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  local { auth = pubkey\n certs = %s/%s\n id = %s }\n"
		 "  remote { auth = pubkey\n cacerts = %s/ca.pem\n id = %s\n revocation = %s }\n"
		 "  children { net {\n"
		 "   local_ts = %s\n remote_ts = %s\n esp_proposals = aes128gcm16\n"
		 "  } }\n"
		 " }\n"
		 "}\n"
		 "secrets { private-k { file = %s/ee.key } }\n",
		 is_alice ? "remote_addrs = 192.0.2.2" : "", dir, cert,
		 is_alice ? "alice@example.org" : "bob.example.org", dir,
		 is_alice ? "bob.example.org" : "alice@example.org", revocation,
		 is_alice ? "10.1.0.0/24" : "10.2.0.0/24", is_alice ? "10.2.0.0/24" : "10.1.0.0/24",
		 dir);
	return strdup(buf);
}

/* Alice (CERT) to bob (REVOCATION); bob's check waits on our fetcher. */
static bool start(const char *what, const char *cert, const char *alice_rev, const char *bob_rev,
		  struct h_wait *w)
{
	memset(&fk, 0, sizeof(fk));
	h_pair(&alice, &bob, conf(true, cert, alice_rev), conf(false, "bob.pem", bob_rev));
	if (!tap_ok(alice->d && bob->d, "%s: both configs load", what))
		return false;
	fake_ops_alice.ctx = alice->d;
	fake_ops_bob.ctx = bob->d;
	alice->d->fetch = &fake_ops_alice;
	bob->d->fetch = &fake_ops_bob;
	h_up(alice, "c", w);
	h_run();
	return true;
}

/* The fetch ends: an OCSP answer by openssl (SIGNER), BODY, or ERR. */
static void complete(const char *signer, const gnutls_datum_t *body, const char *err)
{
	gnutls_datum_t resp = { NULL, 0 };
	fetch_done_fn done = fk.done;

	fk.done = NULL;
	if (!done)
		return;
	if (signer && !respond(&(gnutls_datum_t){ fk.post, (unsigned int)fk.postlen }, signer,
			       "ca", &resp))
		printf("# openssl made no response\n");
	if (signer)
		done(fk.d, fk.arg, resp.data, resp.size, resp.size ? NULL : "no response");
	else
		done(fk.d, fk.arg, body ? body->data : NULL, body ? body->size : 0, err);
	free(resp.data);
	daemon_reap(fk.d);
	h_run();
}

static bool refused(const char *what, struct h_wait *w, const char *cause)
{
	bool ok = tap_ok(!h_sa(alice) && w->done && !w->ok && !h_sa(bob) &&
			 kernel_fake_sa_count(alice->k) == 0 && kernel_fake_sa_count(bob->k) == 0,
			 "%s: no SA on either side", what);

	ok &= tap_ok(h_log_has("bob:", cause, "answering AUTHENTICATION_FAILED", NULL),
		     "%s: bob says '%s' and answers AUTHENTICATION_FAILED", what, cause);
	ok &= tap_ok(h_log_has("alice:", "the peer rejected our authentication", NULL),
		     "%s: alice learns it was refused", what);
	return ok;
}

static bool established(const char *what, struct h_wait *w)
{
	return tap_ok(w->done && w->ok && h_sa(bob) && h_sa(bob)->state == IKE_S_ESTABLISHED &&
		      kernel_fake_sa_count(alice->k) == 2 && kernel_fake_sa_count(bob->k) == 2,
		      "%s: both established, the CHILD_SA installed (%s)", what, w->msg);
}

static void test_good_with_retransmit(void)
{
	struct h_wait w;

	if (!start("ocsp good", "alice-good.pem", "relaxed", "strict", &w))
		return;
	tap_ok(fk.count == 1 && !strcmp(fk.url, "http://ocsp.test/") && fk.postlen > 0 &&
	       fk.d == bob->d, "ocsp good: bob asks the AIA's responder (POST to %s)", fk.url);
	tap_ok(!h_wire && !w.done && h_sa(bob) && h_sa(bob)->state == IKE_S_INIT_R &&
	       h_log_has("bob: c[1]", "IKE_AUTH request 1 waits for a revocation fetch", NULL),
	       "ocsp good: bob's IKE_AUTH waits, nothing answered yet");
	h_advance(5000);
	h_run();
	tap_ok(fk.count == 1 && !h_wire && h_log_has("bob:", "repeated its IKE_AUTH request 1",
						      "answered once", NULL),
	       "ocsp good: alice's retransmission starts no second fetch and is not answered");
	h_log_clear();
	complete("ca", NULL, NULL);
	tap_ok(h_log_has("bob:", "the revocation fetch ended", NULL) &&
	       h_log_has("bob: c[1]", "IKE SA established", NULL) && fk.count == 2 &&
	       fk.d == alice->d, "ocsp good: bob resumed and answered; alice (relaxed) asks "
	       "about bob's certificate in turn");
	complete("ca", NULL, NULL);
	established("ocsp good", &w);
	tap_ok(!h_log_has("bob:", "retransmitted", "from cache", NULL) && fk.count == 2,
	       "ocsp good: one fetch each, bob answered once");
	h_reset();
}

static void test_revoked(void)
{
	struct h_wait w;

	if (!start("ocsp revoked", "alice-revoked.pem", "relaxed", "relaxed", &w))
		return;
	complete("resp", NULL, NULL);
	refused("ocsp revoked (relaxed, delegated responder)", &w,
		"certificate 'CN=alice, O=kesp, C=CH' is revoked by OCSP responder "
		"http://ocsp.test/ at 2020-01-02 03:04:05 UTC (keyCompromise)");
	h_reset();
}

static void test_unreachable(const char *policy, bool fails)
{
	struct h_wait w;
	char what[64];

	snprintf(what, sizeof(what), "ocsp unreachable, %s", policy);
	if (!start(what, "alice-good.pem", "relaxed", policy, &w))
		return;
	complete(NULL, NULL, "Failed to connect to ocsp.test port 80: Connection refused");
	if (fails) {
		refused(what, &w, "OCSP responder http://ocsp.test/ unreachable: Failed to connect");
	} else {
		complete("ca", NULL, NULL);	/* alice's check of bob */
		established(what, &w);
	}
	h_reset();
}

static void test_crl(void)
{
	struct h_wait w;

	if (!start("crl over http", "alice-crl.pem", "relaxed", "ifuri", &w))
		return;
	tap_ok(fk.count == 1 && !strcmp(fk.url, "http://crl.test/ca.crl") && !fk.postlen,
	       "crl over http: bob GETs the distribution point (%s)", fk.url);
	complete(NULL, &crl_der, NULL);
	refused("crl over http", &w, "certificate 'CN=alice, O=kesp, C=CH' is revoked by the CRL "
		"of 'CN=ocsp test CA, O=kesp, C=CH' fetched from http://crl.test/ca.crl");
	h_reset();
}

/* Alice checks bob's certificate (AIA) while its IKE_AUTH response waits. */
static void test_initiator(void)
{
	struct h_wait w;

	if (!start("initiator", "alice-crl.pem", "strict", "relaxed", &w))
		return;
	/* Bob (relaxed) asks for alice's CRL first: it is not there, he goes on. */
	complete(NULL, NULL, "HTTP status 404");
	tap_ok(fk.count == 2 && fk.d == alice->d && !strcmp(fk.url, "http://ocsp.test/") &&
	       h_log_has("alice: c[1]", "IKE_AUTH response 1 waits for a revocation fetch", NULL),
	       "initiator: bob answered (relaxed, CRL unreachable), alice's check of bob waits");
	complete("ca", NULL, NULL);
	established("initiator", &w);
	h_reset();
}

int main(void)
{
	if (ike_crypto_init() || !pki_dir_make("ocsp"))
		return 1;
	make_pki();
	test_ocsp_check();
	test_good_with_retransmit();
	test_revoked();
	test_unreachable("strict", true);
	test_unreachable("ifuri", true);
	test_unreachable("relaxed", false);
	test_crl();
	test_initiator();
	h_reset();
	log_set_sink(NULL, NULL);
	gnutls_free(crl_der.data);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(alice_good);
	gnutls_x509_crt_deinit(alice_revoked);
	gnutls_x509_crt_deinit(alice_crl);
	gnutls_x509_crt_deinit(bob_crt);
	gnutls_x509_crt_deinit(other_ca);
	pki_dir_remove();
	ike_crypto_deinit();
	return tap_done();
}
