// SPDX-License-Identifier: GPL-2.0
/*
 * Certificate authentication: the RFC 7427 AlgorithmIdentifiers we write
 * and read, signatures of every key type in every method (14, and 1, 9-11
 * for peers without RFC 7427), and whole IKE_AUTH exchanges between two
 * daemons whose certificates this test makes (a CA, an intermediate, end
 * entities of each key type, one expired, one revoked by a CRL): success in
 * both roles, and each negative ends with no SA, AUTHENTICATION_FAILED and
 * a log line naming the certificate and the cause.
 */
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ike_harness.h"
#include "tap.h"
#include "test_pki.h"

/* ---- RFC 7427 encodings ---------------------------------------------------- */

/* RFC 7427 appendix A and RFC 8420 §2, in hex. */
static const struct {
	gnutls_sign_algorithm_t alg;
	const char *hex;
} vectors[] = {
	{ GNUTLS_SIGN_RSA_SHA256, "300d06092a864886f70d01010b0500" },
	{ GNUTLS_SIGN_RSA_SHA384, "300d06092a864886f70d01010c0500" },
	{ GNUTLS_SIGN_RSA_SHA512, "300d06092a864886f70d01010d0500" },
	{ GNUTLS_SIGN_ECDSA_SHA256, "300a06082a8648ce3d040302" },
	{ GNUTLS_SIGN_ECDSA_SHA384, "300a06082a8648ce3d040303" },
	{ GNUTLS_SIGN_ECDSA_SHA512, "300a06082a8648ce3d040304" },
	{ GNUTLS_SIGN_EDDSA_ED25519, "300506032b6570" },
	{ GNUTLS_SIGN_EDDSA_ED448, "300506032b6571" },
	{ GNUTLS_SIGN_RSA_PSS_RSAE_SHA256,
	  "304106092a864886f70d01010a3034a00f300d0609608648016503040201"
	  "0500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120" },
	{ GNUTLS_SIGN_RSA_PSS_RSAE_SHA384,
	  "304106092a864886f70d01010a3034a00f300d0609608648016503040202"
	  "0500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130" },
	{ GNUTLS_SIGN_RSA_PSS_RSAE_SHA512,
	  "304106092a864886f70d01010a3034a00f300d0609608648016503040203"
	  "0500a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140" },
};

static void test_encodings(void)
{
	uint8_t want[128], buf[128];
	gnutls_sign_algorithm_t alg;
	char why[256];
	size_t n;

	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		size_t len;
		const uint8_t *der;

		n = tap_unhex(vectors[i].hex, want, sizeof(want));
		der = sig_algid(vectors[i].alg, &len);

		tap_ok(der && len == n && !memcmp(der, want, n), "%s: the AlgorithmIdentifier is "
		       "RFC 7427's", sig_alg_name(vectors[i].alg));
		tap_ok(!sig_algid_parse(want, n, &alg, why, sizeof(why)) && alg == vectors[i].alg,
		       "%s: read back", sig_alg_name(vectors[i].alg));
	}
	/* sha256WithRSAEncryption without its NULL parameters, as some write it. */
	n = tap_unhex("300b06092a864886f70d01010b", buf, sizeof(buf));
	tap_ok(!sig_algid_parse(buf, n, &alg, why, sizeof(why)) && alg == GNUTLS_SIGN_RSA_SHA256,
	       "PKCS#1 SHA-256 without NULL parameters is read");
	/* PSS with parameters without NULL in the hash identifiers and an
	 * explicit trailerField. */
	n = tap_unhex("3042" "06092a864886f70d01010a" "3035"
		      "a00d300b06096086480165030402" "01"
		      "a11a301806092a864886f70d010108300b06096086480165030402" "01"
		      "a203020120" "a303020101", buf, sizeof(buf));
	why[0] = '\0';
	tap_ok(!sig_algid_parse(buf, n, &alg, why, sizeof(why)) &&
	       alg == GNUTLS_SIGN_RSA_PSS_RSAE_SHA256,
	       "PSS with absent hash parameters and trailerField 1 is read (%s)", why);
	/* PSS SHA-256 with a 20-byte salt: refused, and said so. */
	tap_unhex("304106092a864886f70d01010a3034a00f300d0609608648016503040201"
		  "0500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020114",
		  buf, sizeof(buf));
	tap_ok(sig_algid_parse(buf, 67, &alg, why, sizeof(why)) && strstr(why, "salt of 20"),
	       "PSS with a salt shorter than the hash is refused: %s", why);
	/* PSS whose MGF1 hash differs from the message hash. */
	tap_unhex("304106092a864886f70d01010a3034a00f300d0609608648016503040201"
		  "0500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020120",
		  buf, sizeof(buf));
	tap_ok(sig_algid_parse(buf, 67, &alg, why, sizeof(why)) && strstr(why, "MGF1"),
	       "PSS with MGF1-SHA-384 under SHA-256 is refused: %s", why);
	/* Truncated, and an unknown algorithm (sha1WithRSAEncryption). */
	tap_ok(sig_algid_parse(buf, 30, &alg, why, sizeof(why)) != 0, "a truncated identifier "
	       "is refused");
	tap_unhex("300d06092a864886f70d0101050500", buf, sizeof(buf));
	tap_ok(sig_algid_parse(buf, 15, &alg, why, sizeof(why)) && strstr(why, "does not know"),
	       "sha1WithRSAEncryption is not an RFC 7427 algorithm we take");
}

/* ---- keys, certificates, CRLs made here ------------------------------------ */

static void save_crl(const char *name, gnutls_x509_crt_t issuer, gnutls_x509_privkey_t ikey,
		     gnutls_x509_crt_t revoked)
{
	gnutls_x509_crl_t crl;
	gnutls_datum_t d;
	time_t now = time(NULL);

	gnutls_x509_crl_init(&crl);
	gnutls_x509_crl_set_version(crl, 2);
	gnutls_x509_crl_set_this_update(crl, now - 60);
	gnutls_x509_crl_set_next_update(crl, now + 86400);
	if (revoked)
		gnutls_x509_crl_set_crt(crl, revoked, now - 60);
	gnutls_x509_crl_sign2(crl, issuer, ikey, GNUTLS_DIG_SHA256, 0);
	gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM, &d);
	write_file(name, &d);
	gnutls_free(d.data);
	gnutls_x509_crl_deinit(crl);
}

/* The PKI: ca -> int -> alice-*, bob-*; other-ca -> stranger. */
static void make_pki(void)
{
	time_t now = time(NULL), day = 86400;
	gnutls_x509_privkey_t ca_k = gen_key(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	gnutls_x509_privkey_t int_k = gen_key(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1));
	gnutls_x509_privkey_t o_k = gen_key(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1));
	gnutls_x509_crt_t ca = make_cert("CN=kesp test CA,O=kesp,C=CH", ca_k, NULL, NULL, true,
					 NULL, NULL, now - day, now + 30 * day);
	gnutls_x509_crt_t in = make_cert("CN=kesp intermediate,O=kesp,C=CH", int_k, ca, ca_k, true,
					 NULL, NULL, now - day, now + 30 * day);
	gnutls_x509_crt_t oca = make_cert("CN=other CA,O=elsewhere,C=CH", o_k, NULL, NULL, true,
					  NULL, NULL, now - day, now + 30 * day);
	static const struct {
		const char *name;
		gnutls_pk_algorithm_t pk;
		unsigned int bits;
	} ees[] = {
		{ "p256", GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1) },
		{ "p384", GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1) },
		{ "p521", GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP521R1) },
		{ "rsa", GNUTLS_PK_RSA, 2048 },
		{ "ed25519", GNUTLS_PK_EDDSA_ED25519, 256 },
	};
	char n[128];

	save_crt("ca.pem", ca, false);
	save_crt("int.der", in, true);
	save_crt("other-ca.pem", oca, false);
	for (size_t i = 0; i < sizeof(ees) / sizeof(ees[0]); i++) {
		gnutls_x509_privkey_t k = gen_key(ees[i].pk, ees[i].bits);
		gnutls_x509_crt_t a = make_cert("CN=alice,O=kesp,C=CH", k, in, int_k, false, NULL,
						"alice@example.org", now - day, now + day);
		gnutls_x509_crt_t b = make_cert("CN=bob.example.org,O=kesp,C=CH", k, in, int_k,
						false, "bob.example.org", NULL, now - day,
						now + day);

		snprintf(n, sizeof(n), "alice-%s.pem", ees[i].name);
		save_crt(n, a, false);
		snprintf(n, sizeof(n), "bob-%s.pem", ees[i].name);
		save_crt(n, b, false);
		snprintf(n, sizeof(n), "%s.key", ees[i].name);
		save_key(n, k);
		if (i == 0) {
			/* alice's P-256 key in certificates that must fail. */
			gnutls_x509_crt_t x;

			x = make_cert("CN=alice,O=kesp,C=CH", k, in, int_k, false, NULL,
				      "alice@example.org", now - 3 * day, now - day);
			save_crt("alice-expired.pem", x, false);
			gnutls_x509_crt_deinit(x);
			x = make_cert("CN=alice,O=kesp,C=CH", k, in, int_k, false, NULL,
				      "alice@example.org", now - day, now + day);
			save_crt("alice-revoked.pem", x, false);
			snprintf(n, sizeof(n), "%s/crl", dir);
			mkdir(n, 0700);
			snprintf(n, sizeof(n), "%s/crl/x509crl", dir);
			mkdir(n, 0700);
			save_crl("crl/x509crl/int.crl", in, int_k, x);
			gnutls_x509_crt_deinit(x);
			x = make_cert("CN=mallory,O=kesp,C=CH", k, in, int_k, false, NULL,
				      "mallory@example.org", now - day, now + day);
			save_crt("mallory.pem", x, false);
			gnutls_x509_crt_deinit(x);
			x = make_cert("CN=alice,O=kesp,C=CH", k, oca, o_k, false, NULL,
				      "alice@example.org", now - day, now + day);
			save_crt("alice-stranger.pem", x, false);
			gnutls_x509_crt_deinit(x);
		}
		gnutls_x509_crt_deinit(a);
		gnutls_x509_crt_deinit(b);
		gnutls_x509_privkey_deinit(k);
	}
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(in);
	gnutls_x509_crt_deinit(oca);
	gnutls_x509_privkey_deinit(ca_k);
	gnutls_x509_privkey_deinit(int_k);
	gnutls_x509_privkey_deinit(o_k);
}

/* ---- signatures in each method ------------------------------------------- */

static void test_sign_verify(void)
{
	static const char *const keys[] = { "p256", "p384", "p521", "rsa", "ed25519" };
	static const uint8_t all = 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5;
	uint8_t msg[] = "the signed octets of RFC 7296 section 2.15";
	gnutls_datum_t octets = { msg, sizeof(msg) };
	char path[256], why[512], desc[64], vdesc[64];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct creds *c = creds_new();
		size_t idx[4], n;
		int k;
		gnutls_pubkey_t pub;

		snprintf(path, sizeof(path), "%s/%s.key", dir, keys[i]);
		k = creds_load_key(c, path, NULL, why, sizeof(why));
		snprintf(path, sizeof(path), "%s/alice-%s.pem", dir, keys[i]);
		creds_load_cert(c, path, false, idx, 4, &n, why, sizeof(why));
		tap_ok(k >= 0 && creds_find_key(c, idx[0]) == k, "%s: the key is found for its "
		       "certificate", keys[i]);
		gnutls_pubkey_init(&pub);
		gnutls_pubkey_import_x509(pub, c->certs[idx[0]].crt, 0);
		for (int pss = 0; pss < 2; pss++)
			for (uint8_t peer = 0; peer <= 1; peer++) {
				struct sig_pref pref = { .pss = pss };
				uint8_t out[1100], method = 0;
				size_t len = sizeof(out);
				int rc = auth_sig_sign(c->keys[k].key, &pref, peer ? all : 0, &octets,
						       &method, out, &len, desc, sizeof(desc), why,
						       sizeof(why));

				if (!peer && !strcmp(keys[i], "ed25519")) {
					tap_ok(rc && strstr(why, "no older AUTH method"), "ed25519 "
					       "without RFC 7427 at the peer: refused (%s)", why);
					continue;
				}
				if (pss && strcmp(keys[i], "rsa"))
					continue;
				tap_ok(!rc, "%s%s, peer %s RFC 7427: signed with %s, method %u",
				       keys[i], pss ? "/pss" : "", peer ? "with" : "without", desc,
				       method);
				tap_ok(peer ? method == AUTHM_SIG :
				       method == (!strcmp(keys[i], "rsa") ? AUTHM_RSA :
						  !strcmp(keys[i], "p256") ? AUTHM_ECDSA_256 :
						  !strcmp(keys[i], "p384") ? AUTHM_ECDSA_384 :
						  AUTHM_ECDSA_521),
				       "%s: the method fits the key and the peer", keys[i]);
				tap_ok(!auth_sig_verify(pub, method, out, len, &octets, vdesc,
							sizeof(vdesc), why, sizeof(why)) &&
				       !strcmp(desc, vdesc), "%s: verifies as %s", keys[i], vdesc);
				msg[0] ^= 1;
				tap_ok(auth_sig_verify(pub, method, out, len, &octets, vdesc,
						       sizeof(vdesc), why, sizeof(why)) &&
				       strstr(why, "does not verify"), "%s: other octets do not "
				       "verify: %s", keys[i], why);
				msg[0] ^= 1;
			}
		gnutls_pubkey_deinit(pub);
		creds_put(c);
	}
	{
		/* A peer announcing only SHA2-512: ECDSA P-256 signs with SHA-512. */
		struct creds *c = creds_new();
		struct sig_pref pref = { 0 };
		uint8_t out[1100], method;
		size_t len = sizeof(out);
		int k;

		snprintf(path, sizeof(path), "%s/p256.key", dir);
		k = creds_load_key(c, path, NULL, why, sizeof(why));
		tap_ok(!auth_sig_sign(c->keys[k].key, &pref, 1u << 4, &octets, &method, out, &len,
				      desc, sizeof(desc), why, sizeof(why)) &&
		       !strcmp(desc, "ECDSA SHA-512"), "the peer's hash list is honoured (%s)", desc);
		pref.hash = 2;
		len = sizeof(out);
		tap_ok(auth_sig_sign(c->keys[k].key, &pref, 1u << 4, &octets, &method, out, &len,
				     desc, sizeof(desc), why, sizeof(why)) && strstr(why, "SHA2-512"),
		       "a configured hash the peer does not take: refused (%s)", why);
		creds_put(c);
	}
}

/* ---- whole exchanges --------------------------------------------------------- */

static struct h_peer *alice, *bob;

static char *conf(bool is_alice, const char *auth, const char *certs, const char *key,
		  const char *remote_extra, const char *remote_id)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "connections {\n"
		 " c {\n"
		 "  %s\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  local { auth = %s\n certs = %s/%s\n id = %s }\n"
		 "  remote { auth = pubkey\n cacerts = %s/ca.pem\n id = %s\n %s }\n"
		 "  children { net {\n"
		 "   local_ts = %s\n remote_ts = %s\n esp_proposals = aes128gcm16\n"
		 "  } }\n"
		 " }\n"
		 "}\n"
		 "secrets { private-k { file = %s/%s } }\n",
		 is_alice ? "remote_addrs = 192.0.2.2" : "", auth, dir, certs,
		 is_alice ? "alice@example.org" : "bob.example.org", dir,
		 remote_id ? remote_id : is_alice ? "bob.example.org" : "alice@example.org",
		 remote_extra, is_alice ? "10.1.0.0/24" : "10.2.0.0/24",
		 is_alice ? "10.2.0.0/24" : "10.1.0.0/24", dir, key);
	return strdup(buf);
}

static void setup(char *ca, char *cb)
{
	h_pair(&alice, &bob, ca, cb);
}

static void test_success(const char *key, const char *auth)
{
	char certs[160], keyf[64], bcerts[160];
	struct h_wait w;
	struct ike_sa *sa, *bsa;

	snprintf(certs, sizeof(certs), "alice-%s.pem, %s/int.der", key, dir);
	snprintf(bcerts, sizeof(bcerts), "bob-%s.pem, %s/int.der", key, dir);
	snprintf(keyf, sizeof(keyf), "%s.key", key);
	setup(conf(true, auth, certs, keyf, "", NULL), conf(false, auth, bcerts, keyf, "", NULL));
	if (!tap_ok(alice->d && bob->d, "%s: both configs load", key))
		return;
	sa = h_up(alice, "c", &w);
	h_deliver();
	h_deliver();
	tap_ok(sa && sa->state == IKE_S_AUTH_I && sa->peer_certreq &&
	       (sa->peer_sig_hashes & 0x3c) == 0x3c, "%s: bob sent a CERTREQ and its hashes in "
	       "IKE_SA_INIT", key);
	h_run();
	bsa = h_sa(bob);
	tap_ok(sa && sa->state == IKE_S_ESTABLISHED && bsa && bsa->state == IKE_S_ESTABLISHED &&
	       w.ok && kernel_fake_sa_count(alice->k) == 2 && kernel_fake_sa_count(bob->k) == 2,
	       "%s (%s): both established with certificates, the CHILD_SA installed (%s)", key,
	       auth, w.msg);
	if (!strcmp(auth, "rsa/pss"))
		tap_ok(h_log_has("alice: c[1]", "authenticating with certificate", "(RSA-PSS SHA-256",
				 NULL) && h_log_has("bob: c[1]", "RSA-PSS SHA-256 signature verifies",
						    NULL), "rsa/pss: alice signs with RSA-PSS");
	if (!strcmp(auth, "rsa-sha384"))
		tap_ok(h_log_has("alice: c[1]", "(RSA PKCS#1 v1.5 SHA-384", NULL),
		       "rsa-sha384: alice signs PKCS#1 v1.5 with SHA-384");
	tap_ok(h_log_has("bob: c[1]", "certificate 'C=CH, O=kesp, CN=alice'", "is trusted", NULL) &&
	       h_log_has("alice: c[1]", "certificate 'C=CH, O=kesp, CN=bob.example.org'",
			 "is trusted", NULL), "%s: each side logs the peer's certificate", key);
	h_reset();
}

/* Alice sends her end-entity certificate only (bob holds the intermediate). */
static bool alice_alone;

/* Alice presents CERTS; bob refuses: no SA anywhere, the cause logged
 * (CAUSE NULL: bob accepts).
 * With CRL, bob's config is a file beside x509crl/ (the CRL). */
static void test_refused(const char *what, const char *certs, const char *bob_remote,
			 bool crl, const char *cause)
{
	struct h_wait w;
	struct ike_sa *sa;
	char c[160], bc[160], *b;

	if (alice_alone)
		snprintf(c, sizeof(c), "%s", certs);
	else
		snprintf(c, sizeof(c), "%s, %s/int.der", certs, dir);
	snprintf(bc, sizeof(bc), "bob-p256.pem, %s/int.der", dir);
	b = conf(false, "pubkey", bc, "p256.key", bob_remote, NULL);
	if (crl) {
		char path[128];
		FILE *f;

		snprintf(path, sizeof(path), "%s/crl/swanctl.conf", dir);
		f = fopen(path, "w");
		if (f) {
			fputs(b, f);
			fclose(f);
		}
		free(b);
		snprintf(path, sizeof(path), "@%s/crl/swanctl.conf", dir);
		b = strdup(path);
	}
	setup(conf(true, "pubkey", c, "p256.key", "", NULL), b);
	if (!tap_ok(alice->d && bob->d, "%s: both configs load", what))
		return;
	sa = h_up(alice, "c", &w);
	h_run();
	if (!cause) {
		tap_ok(sa && h_sa(alice) == sa && w.ok && h_sa(bob) &&
		       h_sa(bob)->state == IKE_S_ESTABLISHED, "%s: established (%s)", what, w.msg);
		h_reset();
		return;
	}
	tap_ok(sa && !h_sa(alice) && w.done && !w.ok && !h_sa(bob) &&
	       kernel_fake_sa_count(alice->k) == 0 && kernel_fake_sa_count(bob->k) == 0,
	       "%s: no SA on either side", what);
	tap_ok(h_log_has("bob:", cause, "answering AUTHENTICATION_FAILED", NULL),
	       "%s: bob says why ('%s') and answers AUTHENTICATION_FAILED", what, cause);
	tap_ok(h_log_has("alice:", "the peer rejected our authentication (AUTHENTICATION_FAILED)",
			 NULL), "%s: alice learns it was refused", what);
	h_reset();
}

static void test_mixed(void)
{
	/* Bob signs with a certificate, alice uses a PSK (and the reverse). */
	static const char psk[] = "\"Vq3#pL9!xZ2@mW7$kR4nB8\"";
	char a[2048], b[2048];
	struct h_wait w;
	struct ike_sa *sa;

	snprintf(a, sizeof(a),
		 "connections { c { remote_addrs = 192.0.2.2\n"
		 "  local { auth = psk\n id = alice@example.org }\n"
		 "  remote { auth = pubkey\n cacerts = %s/ca.pem\n id = bob.example.org }\n"
		 "  children { net { local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24 } } } }\n"
		 "secrets { ike { secret = %s } }\n", dir, psk);
	snprintf(b, sizeof(b),
		 "connections { c {\n"
		 "  local { auth = pubkey\n certs = %s/bob-ed25519.pem, %s/int.der\n"
		 "   id = bob.example.org }\n"
		 "  remote { auth = psk\n id = alice@example.org }\n"
		 "  children { net { local_ts = 10.2.0.0/24\n remote_ts = 10.1.0.0/24 } } } }\n"
		 "secrets { ike { secret = %s }\n private-b { file = %s/ed25519.key } }\n",
		 dir, dir, psk, dir);
	setup(strdup(a), strdup(b));
	sa = h_up(alice, "c", &w);
	h_run();
	tap_ok(sa && sa->state == IKE_S_ESTABLISHED && w.ok && h_sa(bob) &&
	       h_sa(bob)->state == IKE_S_ESTABLISHED, "mixed: alice with a PSK, bob with an "
	       "Ed25519 certificate: established (%s)", w.msg);
	h_reset();
}

int main(void)
{
	if (ike_crypto_init() || !pki_dir_make("cert"))
		return 1;
	make_pki();
	test_encodings();
	test_sign_verify();
	test_success("p256", "pubkey");
	test_success("p384", "ecdsa");
	test_success("p521", "pubkey");
	test_success("rsa", "rsa/pss");
	test_success("rsa", "rsa-sha384");
	test_success("ed25519", "ed25519");
	test_refused("an expired certificate", "alice-expired.pem", "", false,
		     "certificate 'C=CH, O=kesp, CN=alice' expired on");
	test_refused("a revoked certificate", "alice-revoked.pem", "", true,
		     "certificate 'C=CH, O=kesp, CN=alice' is revoked by the CRL of "
		     "'C=CH, O=kesp, CN=kesp intermediate'");
	test_refused("a good certificate beside that CRL", "alice-p256.pem", "", true, NULL);
	alice_alone = true;
	test_refused("an intermediate only the verifier holds", "alice-p256.pem", "", false, NULL);
	alice_alone = false;
	test_refused("strict: the intermediate has no CRL of its CA", "alice-p256.pem",
		     "revocation = strict", true, "the revocation status of certificate "
		     "'C=CH, O=kesp, CN=kesp intermediate' is unknown: no current CRL of "
		     "'C=CH, O=kesp, CN=kesp test CA' is loaded");
	test_refused("an untrusted CA", "alice-stranger.pem", "", false,
		     "has an unknown issuer 'C=CH, O=elsewhere, CN=other CA'");
	test_refused("an identity not in the certificate", "mallory.pem", "", false,
		     "the peer's identity 'alice@example.org' (RFC822) is not in its "
		     "certificate 'C=CH, O=kesp, CN=mallory'");
	test_refused("revocation = strict without a CRL", "alice-p256.pem", "revocation = strict",
		     false, "no current CRL of 'C=CH, O=kesp, CN=kesp intermediate' is loaded");
	test_mixed();
	h_reset();
	log_set_sink(NULL, NULL);
	pki_dir_remove();
	ike_crypto_deinit();
	return tap_done();
}
