// SPDX-License-Identifier: GPL-2.0
/*
 * A test PKI made with GnuTLS in a temporary directory DIR: keys,
 * certificates (CA or end entity, with a DNS or e-mail subjectAltName),
 * saved as PEM (or DER) files there. For the unit tests of certificate
 * and EAP-TLS authentication.
 */
#ifndef KESP_TEST_PKI_H
#define KESP_TEST_PKI_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#pragma GCC diagnostic ignored "-Wunused-function"

static char dir[32];

/* /tmp/kesp-WHAT-XXXXXX; false if it cannot be made. */
static bool pki_dir_make(const char *what)
{
	snprintf(dir, sizeof(dir), "/tmp/kesp-%s-XXXXXX", what);
	return mkdtemp(dir) != NULL;
}

static void pki_dir_remove(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
}

static gnutls_x509_privkey_t gen_key(gnutls_pk_algorithm_t pk, unsigned int bits)
{
	gnutls_x509_privkey_t k;

	gnutls_x509_privkey_init(&k);
	if (gnutls_x509_privkey_generate(k, pk, bits, 0) < 0)
		printf("# key generation failed\n");
	return k;
}

static unsigned char serial_next = 1;

/* A certificate with everything but its signature: an extension a test
 * needs beyond these goes on before cert_sign. */
static gnutls_x509_crt_t cert_start(const char *dn, unsigned char serial,
				    gnutls_x509_privkey_t key, bool ca, const char *dns,
				    const char *email, time_t from, time_t to)
{
	gnutls_x509_crt_t c;
	const char *err;
	unsigned char sn[2] = { 0x10, serial };
	uint8_t kid[64];
	size_t kl = sizeof(kid);

	gnutls_x509_crt_init(&c);
	gnutls_x509_crt_set_version(c, 3);
	gnutls_x509_crt_set_serial(c, sn, sizeof(sn));
	gnutls_x509_crt_set_dn(c, dn, &err);
	gnutls_x509_crt_set_activation_time(c, from);
	gnutls_x509_crt_set_expiration_time(c, to);
	gnutls_x509_crt_set_key(c, key);
	gnutls_x509_crt_set_basic_constraints(c, ca, -1);
	gnutls_x509_crt_set_key_usage(c, ca ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN :
					      GNUTLS_KEY_DIGITAL_SIGNATURE);
	if (gnutls_x509_crt_get_key_id(c, 0, kid, &kl) >= 0)
		gnutls_x509_crt_set_subject_key_id(c, kid, kl);
	if (dns)
		gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_DNSNAME, dns,
						     (unsigned int)strlen(dns), GNUTLS_FSAN_APPEND);
	if (email)
		gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_RFC822NAME, email,
						     (unsigned int)strlen(email),
						     GNUTLS_FSAN_APPEND);
	return c;
}

/* Signed by ISSUER's IKEY, or by its own KEY without an issuer. */
static gnutls_x509_crt_t cert_sign(gnutls_x509_crt_t c, const char *dn, gnutls_x509_privkey_t key,
				   gnutls_x509_crt_t issuer, gnutls_x509_privkey_t ikey)
{
	if (gnutls_x509_crt_sign2(c, issuer ? issuer : c, issuer ? ikey : key, GNUTLS_DIG_SHA256,
				  0) < 0)
		printf("# signing %s failed\n", dn);
	return c;
}

static gnutls_x509_crt_t make_cert(const char *dn, gnutls_x509_privkey_t key,
				   gnutls_x509_crt_t issuer, gnutls_x509_privkey_t ikey, bool ca,
				   const char *dns, const char *email, time_t from, time_t to)
{
	return cert_sign(cert_start(dn, serial_next++, key, ca, dns, email, from, to), dn, key,
			 issuer, ikey);
}

static void write_file(const char *name, const gnutls_datum_t *d)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fwrite(d->data, 1, d->size, f);
		fclose(f);
	}
}

static void save_crt(const char *name, gnutls_x509_crt_t c, bool der)
{
	gnutls_datum_t d;

	gnutls_x509_crt_export2(c, der ? GNUTLS_X509_FMT_DER : GNUTLS_X509_FMT_PEM, &d);
	write_file(name, &d);
	gnutls_free(d.data);
}

static void save_key(const char *name, gnutls_x509_privkey_t k)
{
	gnutls_datum_t d;

	gnutls_x509_privkey_export2_pkcs8(k, GNUTLS_X509_FMT_PEM, NULL, 0, &d);
	write_file(name, &d);
	gnutls_free(d.data);
}

#endif
