/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The certificate tests' scratch directory and the files they write into
 * it (certificates, keys, CRLs made with GnuTLS at test time).
 */
#ifndef KESP_PKI_FILES_H
#define KESP_PKI_FILES_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif /* KESP_PKI_FILES_H */
