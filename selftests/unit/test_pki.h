// SPDX-License-Identifier: GPL-2.0
/*
 * A test PKI made with GnuTLS in a temporary directory DIR: keys,
 * certificates (CA or end entity, with a DNS or e-mail subjectAltName),
 * saved as PEM (or DER) files there. For the unit tests of certificate
 * and EAP-TLS authentication.
 */
#ifndef KESP_TEST_PKI_H
#define KESP_TEST_PKI_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

static char dir[32];

static gnutls_x509_privkey_t gen_key(gnutls_pk_algorithm_t pk, unsigned int bits)
{
	gnutls_x509_privkey_t k;

	gnutls_x509_privkey_init(&k);
	if (gnutls_x509_privkey_generate(k, pk, bits, 0) < 0)
		printf("# key generation failed\n");
	return k;
}

static unsigned char serial_next = 1;

static gnutls_x509_crt_t make_cert(const char *dn, gnutls_x509_privkey_t key,
				   gnutls_x509_crt_t issuer, gnutls_x509_privkey_t ikey, bool ca,
				   const char *dns, const char *email, time_t from, time_t to)
{
	gnutls_x509_crt_t c;
	const char *err;
	unsigned char serial[2] = { 0x10, serial_next++ };
	uint8_t kid[64];
	size_t kl = sizeof(kid);

	gnutls_x509_crt_init(&c);
	gnutls_x509_crt_set_version(c, 3);
	gnutls_x509_crt_set_serial(c, serial, sizeof(serial));
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
	if (gnutls_x509_crt_sign2(c, issuer ? issuer : c, issuer ? ikey : key, GNUTLS_DIG_SHA256,
				  0) < 0)
		printf("# signing %s failed\n", dn);
	return c;
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
