// SPDX-License-Identifier: GPL-2.0
/*
 * Certificates, private keys and CRLs (RFC 7296 §3.6, §3.7; RFC 5280 by
 * way of GnuTLS). Files are read once, when the config is loaded; the peer's
 * chain is checked per IKE_AUTH against a trust list built for that check
 * from the connection's CAs and the loaded CRLs, so nothing here is shared
 * with GnuTLS beyond one call.
 *
 * Failures say which certificate (its subject) and why: the reasons are
 * ours, worked out certificate by certificate, because GnuTLS's status bits
 * do not say which certificate of the chain they are about.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "cert.h"

#define OID_EKU_ANY "2.5.29.37.0"
#define OID_EKU_SERVER "1.3.6.1.5.5.7.3.1"
#define OID_EKU_CLIENT "1.3.6.1.5.5.7.3.2"
#define OID_EKU_IPSEC_IKE "1.3.6.1.5.5.7.3.17"
#define OID_EKU_IKE_INTERMEDIATE "1.3.6.1.5.5.8.2.2"

struct creds *creds_new(void)
{
	struct creds *c = calloc(1, sizeof(*c));

	if (c)
		c->refs = 1;
	return c;
}

struct creds *creds_get(struct creds *c)
{
	if (c)
		c->refs++;
	return c;
}

void creds_put(struct creds *c)
{
	if (!c || --c->refs > 0)
		return;
	for (size_t i = 0; i < c->ncerts; i++) {
		gnutls_x509_crt_deinit(c->certs[i].crt);
		gnutls_free(c->certs[i].der.data);
	}
	for (size_t i = 0; i < c->nkeys; i++)
		gnutls_privkey_deinit(c->keys[i].key);
	for (size_t i = 0; i < c->ncrls; i++) {
		gnutls_x509_crl_deinit(c->crls[i].crl);
		gnutls_free(c->crls[i].der.data);
	}
	free(c->certs);
	free(c->keys);
	free(c->crls);
	free(c);
}

static void why_set(char *why, size_t len, const char *fmt, const char *a, const char *b)
{
	snprintf(why, len, fmt, a, b);
}

/* Reads PATH; PEM says whether it looks like PEM (else DER). */
static int load(const char *path, gnutls_datum_t *data, bool *pem, char *why, size_t whylen)
{
	int rc = gnutls_load_file(path, data);

	if (rc < 0) {
		why_set(why, whylen, "cannot read %s: %s", path, gnutls_strerror(rc));
		return -1;
	}
	*pem = data->size >= 11 && memmem(data->data, data->size, "-----BEGIN ", 11);
	return 0;
}

static void wipe_free(gnutls_datum_t *d)
{
	if (d->data) {
		gnutls_memset(d->data, 0, d->size);
		gnutls_free(d->data);
	}
	d->data = NULL;
}

/* Takes CRT into the store (or finds it there: a file named in the config
 * may also sit in a directory we read); its index, or -1 (CRT freed). */
static int add_cert(struct creds *c, gnutls_x509_crt_t crt, const char *path, bool ca_file,
		    char *why, size_t whylen)
{
	struct cert *certs, *e;
	unsigned int critical = 0;
	size_t sz = sizeof(e->spki_sha1);
	gnutls_datum_t der = { 0 };
	char subj[600];

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0) {
		why_set(why, whylen, "%s: cannot encode the certificate%s", path, "");
		gnutls_x509_crt_deinit(crt);
		return -1;
	}
	if (ca_file && gnutls_x509_crt_get_ca_status(crt, &critical) <= 0) {
		why_set(why, whylen, "%s: '%s' is not a CA certificate (no basicConstraints "
			"CA:TRUE)", path, cert_subject(crt, subj, sizeof(subj)));
		goto fail;
	}
	for (size_t i = 0; i < c->ncerts; i++)
		if (c->certs[i].der.size == der.size &&
		    !memcmp(c->certs[i].der.data, der.data, der.size)) {
			gnutls_free(der.data);
			gnutls_x509_crt_deinit(crt);
			return (int)i;
		}
	certs = realloc(c->certs, (c->ncerts + 1) * sizeof(*certs));
	if (!certs)
		goto fail;
	c->certs = certs;
	e = &certs[c->ncerts];
	memset(e, 0, sizeof(*e));
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, e->spki_sha1, &sz) < 0) {
		why_set(why, whylen, "%s: cannot hash the public key%s", path, "");
		goto fail;
	}
	e->crt = crt;
	e->der = der;
	snprintf(e->file, sizeof(e->file), "%s", path);
	e->ca = gnutls_x509_crt_get_ca_status(crt, &critical) > 0;
	e->self_signed = gnutls_x509_crt_check_issuer(crt, crt);
	return (int)c->ncerts++;
fail:
	gnutls_free(der.data);
	gnutls_x509_crt_deinit(crt);
	return -1;
}

int creds_load_cert(struct creds *c, const char *path, bool ca, size_t *idx, size_t max,
		    size_t *count, char *why, size_t whylen)
{
	gnutls_datum_t data = { 0 };
	gnutls_x509_crt_t *list = NULL;
	unsigned int n = 0;
	bool pem;
	int rc;

	*count = 0;
	if (load(path, &data, &pem, why, whylen))
		return -1;
	rc = gnutls_x509_crt_list_import2(&list, &n, &data,
					  pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, 0);
	gnutls_free(data.data);
	if (rc < 0 || !n) {
		why_set(why, whylen, "%s: not an X.509 certificate in PEM or DER: %s", path,
			rc < 0 ? gnutls_strerror(rc) : "empty");
		return -1;
	}
	rc = 0;
	for (unsigned int i = 0; i < n; i++) {
		int k;

		if (rc) {
			gnutls_x509_crt_deinit(list[i]);
			continue;
		}
		k = add_cert(c, list[i], path, ca, why, whylen);
		if (k < 0)
			rc = -1;
		else if (*count < max)
			idx[(*count)++] = (size_t)k;
	}
	gnutls_free(list);
	return rc;
}

int creds_load_key(struct creds *c, const char *path, const char *pass, char *why,
		   size_t whylen)
{
	gnutls_datum_t data = { 0 };
	gnutls_privkey_t key;
	gnutls_pubkey_t pub = NULL;
	struct privkey *keys;
	size_t sz = 20;
	bool pem;
	int rc;

	if (load(path, &data, &pem, why, whylen))
		return -1;
	if (gnutls_privkey_init(&key) < 0) {
		wipe_free(&data);
		return -1;
	}
	rc = gnutls_privkey_import_x509_raw(key, &data, pem ? GNUTLS_X509_FMT_PEM :
					    GNUTLS_X509_FMT_DER, pass, 0);
	wipe_free(&data);
	if (rc < 0) {
		why_set(why, whylen, "%s: not a private key we can read (PKCS#1, PKCS#8, SEC1; "
			"PEM or DER): %s", path, gnutls_strerror(rc));
		gnutls_privkey_deinit(key);
		return -1;
	}
	keys = realloc(c->keys, (c->nkeys + 1) * sizeof(*keys));
	if (!keys || gnutls_pubkey_init(&pub) < 0 ||
	    gnutls_pubkey_import_privkey(pub, key, 0, 0) < 0) {
		if (keys)
			c->keys = keys;
		gnutls_pubkey_deinit(pub);
		gnutls_privkey_deinit(key);
		why_set(why, whylen, "%s: cannot derive the public key%s", path, "");
		return -1;
	}
	c->keys = keys;
	memset(&keys[c->nkeys], 0, sizeof(keys[0]));
	keys[c->nkeys].key = key;
	snprintf(keys[c->nkeys].file, sizeof(keys[0].file), "%s", path);
	gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA1, keys[c->nkeys].key_id, &sz);
	gnutls_pubkey_deinit(pub);
	return (int)c->nkeys++;
}

int creds_load_crl(struct creds *c, const char *path, char *why, size_t whylen)
{
	gnutls_datum_t data = { 0 };
	gnutls_x509_crl_t *list = NULL;
	unsigned int n = 0;
	size_t first = c->ncrls;
	struct crl *crls;
	bool pem;
	int rc;

	if (load(path, &data, &pem, why, whylen))
		return -1;
	rc = gnutls_x509_crl_list_import2(&list, &n, &data,
					  pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, 0);
	gnutls_free(data.data);
	if (rc < 0 || !n) {
		why_set(why, whylen, "%s: not an X.509 CRL in PEM or DER: %s", path,
			rc < 0 ? gnutls_strerror(rc) : "empty");
		return -1;
	}
	crls = realloc(c->crls, (c->ncrls + n) * sizeof(*crls));
	if (crls)
		c->crls = crls;
	for (unsigned int i = 0; i < n; i++) {
		struct crl *e = crls ? &crls[c->ncrls] : NULL;

		if (!e || gnutls_x509_crl_export2(list[i], GNUTLS_X509_FMT_DER, &e->der) < 0) {
			gnutls_x509_crl_deinit(list[i]);
			continue;
		}
		e->crl = list[i];
		snprintf(e->file, sizeof(e->file), "%s", path);
		c->ncrls++;
	}
	gnutls_free(list);
	return (int)first;
}

/* swanctl's directories: what each holds. */
static const struct {
	const char *dir;
	enum { D_CERT, D_CA, D_CRL, D_KEY } kind;
} dirs[] = {
	{ "x509", D_CERT }, { "x509ca", D_CA }, { "x509crl", D_CRL },
	{ "private", D_KEY }, { "rsa", D_KEY }, { "ecdsa", D_KEY }, { "pkcs8", D_KEY },
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int creds_load_dirs(struct creds *c, const char *dir,
		    void (*report)(void *ctx, const char *msg), void *ctx)
{
	int failures = 0;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[512], file[800], why[1024];
		DIR *dp;
		struct dirent *de;
		size_t n = 0, cap = 0;
		char **list = NULL;

		snprintf(path, sizeof(path), "%s/%s", dir, dirs[i].dir);
		dp = opendir(path);
		if (!dp)
			continue;
		while ((de = readdir(dp))) {
			char **l;

			if (de->d_name[0] == '.')
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				l = realloc(list, cap * sizeof(*l));
				if (!l)
					break;
				list = l;
			}
			list[n] = strdup(de->d_name);
			if (list[n])
				n++;
		}
		closedir(dp);
		/* In name order, so a directory loads the same way each time. */
		if (n)
			qsort(list, n, sizeof(*list), name_cmp);
		for (size_t j = 0; j < n; j++) {
			struct stat st;
			size_t count, idx[1];
			int rc = 0;

			snprintf(file, sizeof(file), "%s/%s", path, list[j]);
			free(list[j]);
			if (stat(file, &st) || !S_ISREG(st.st_mode))
				continue;
			switch (dirs[i].kind) {
			case D_CERT:
			case D_CA:
				rc = creds_load_cert(c, file, dirs[i].kind == D_CA, idx, 1, &count,
						     why, sizeof(why));
				break;
			case D_CRL:
				rc = creds_load_crl(c, file, why, sizeof(why));
				break;
			case D_KEY:
				rc = creds_load_key(c, file, NULL, why, sizeof(why));
				break;
			}
			if (rc < 0) {
				failures++;
				report(ctx, why);
			}
		}
		free(list);
	}
	return failures;
}

int creds_find_key(const struct creds *c, size_t cert)
{
	for (size_t i = 0; i < c->nkeys; i++)
		if (!memcmp(c->keys[i].key_id, c->certs[cert].spki_sha1, 20))
			return (int)i;
	return -1;
}

/* A CA of the store that issued CRT (not CRT itself), or -1. */
static int issuer_of(const struct creds *c, gnutls_x509_crt_t crt, size_t self)
{
	for (size_t i = 0; i < c->ncerts; i++)
		if (i != self && c->certs[i].ca && gnutls_x509_crt_check_issuer(crt, c->certs[i].crt) &&
		    gnutls_x509_crt_verify(crt, &c->certs[i].crt, 1,
					   GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &(unsigned int){ 0 }) >= 0)
			return (int)i;
	return -1;
}

size_t creds_chain(const struct creds *c, size_t cert, size_t idx[CERT_CHAIN_MAX])
{
	size_t n = 0, cur = cert;

	idx[n++] = cert;
	while (n < CERT_CHAIN_MAX && !c->certs[cur].self_signed) {
		int up = issuer_of(c, c->certs[cur].crt, cur);
		bool seen = false;

		if (up < 0 || c->certs[up].self_signed)
			break;
		for (size_t i = 0; i < n; i++)
			seen |= idx[i] == (size_t)up;
		if (seen)
			break;
		idx[n++] = (size_t)up;
		cur = (size_t)up;
	}
	return n;
}

bool cert_subject_id(gnutls_x509_crt_t crt, struct ike_id *id)
{
	gnutls_datum_t dn = { 0 };
	bool ok;

	memset(id, 0, sizeof(*id));
	if (gnutls_x509_crt_get_raw_dn(crt, &dn) < 0)
		return false;
	ok = dn.size && dn.size <= IKE_ID_MAX;
	if (ok) {
		id->type = IKE_ID_DER_ASN1_DN;
		id->len = (uint16_t)dn.size;
		memcpy(id->data, dn.data, dn.size);
	}
	gnutls_free(dn.data);
	return ok;
}

const char *cert_subject(gnutls_x509_crt_t crt, char *buf, size_t len)
{
	struct ike_id id;

	if (!cert_subject_id(crt, &id)) {
		snprintf(buf, len, "(no subject)");
		return buf;
	}
	return id_str(&id, buf, len);
}

const char *cert_issuer(gnutls_x509_crt_t crt, char *buf, size_t len)
{
	gnutls_datum_t dn = { 0 };
	struct ike_id id = { .type = IKE_ID_DER_ASN1_DN };

	if (gnutls_x509_crt_get_raw_issuer_dn(crt, &dn) < 0 || !dn.size || dn.size > IKE_ID_MAX) {
		gnutls_free(dn.data);
		snprintf(buf, len, "(no issuer)");
		return buf;
	}
	id.len = (uint16_t)dn.size;
	memcpy(id.data, dn.data, dn.size);
	gnutls_free(dn.data);
	return id_str(&id, buf, len);
}

bool cert_has_id(gnutls_x509_crt_t crt, const struct ike_id *id)
{
	struct ike_id subj;
	int want;

	if (id->type == IKE_ID_DER_ASN1_DN)
		return cert_subject_id(crt, &subj) &&
		       (id_equal(&subj, id) || (id_matches(&subj, id) && id_matches(id, &subj)));
	switch (id->type) {
	case IKE_ID_FQDN: want = GNUTLS_SAN_DNSNAME; break;
	case IKE_ID_RFC822_ADDR: want = GNUTLS_SAN_RFC822NAME; break;
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR: want = GNUTLS_SAN_IPADDRESS; break;
	default: return false;
	}
	for (unsigned int i = 0;; i++) {
		uint8_t buf[IKE_ID_MAX];
		size_t sz = sizeof(buf);
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &sz, NULL);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return false;
		if (type < 0 || type != want || sz != id->len)
			continue;
		if (type == GNUTLS_SAN_IPADDRESS ? !memcmp(buf, id->data, sz) :
		    !strncasecmp((const char *)buf, (const char *)id->data, sz))
			return true;
	}
}

/* Whether the end entity may sign IKE: keyUsage and extendedKeyUsage as
 * RFC 4945 §5.1.3.2 reads them (an EKU, if present, names IKE, a TLS
 * purpose strongSwan's certificates carry, or any). */
static bool may_sign(gnutls_x509_crt_t crt, char *why, size_t whylen)
{
	unsigned int usage = 0;
	bool eku = false, ok = false;

	if (gnutls_x509_crt_get_key_usage(crt, &usage, NULL) >= 0 &&
	    !(usage & (GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_NON_REPUDIATION))) {
		snprintf(why, whylen, "its keyUsage does not allow digitalSignature");
		return false;
	}
	for (unsigned int i = 0;; i++) {
		char oid[128];
		size_t sz = sizeof(oid);
		int rc = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &sz, NULL);

		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (rc < 0)
			continue;
		eku = true;
		ok |= !strcmp(oid, OID_EKU_ANY) || !strcmp(oid, OID_EKU_SERVER) ||
		      !strcmp(oid, OID_EKU_CLIENT) || !strcmp(oid, OID_EKU_IPSEC_IKE) ||
		      !strcmp(oid, OID_EKU_IKE_INTERMEDIATE);
	}
	if (eku && !ok) {
		snprintf(why, whylen, "its extendedKeyUsage names no IKE purpose (ipsecIKE, "
			 "serverAuth, clientAuth or any)");
		return false;
	}
	return true;
}

const char *cert_date_str(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

static bool trusted(const struct peer_policy *p, size_t i)
{
	if (!p->cas)
		return true;
	for (size_t j = 0; j < p->ncas; j++)
		if (p->cas[j] == i)
			return true;
	return false;
}

/* A loaded CRL issued by (and signed by) ISSUER, current at NOW, or -1. */
static int crl_of(const struct creds *c, gnutls_x509_crt_t issuer, time_t now)
{
	for (size_t i = 0; i < c->ncrls; i++) {
		time_t next = gnutls_x509_crl_get_next_update(c->crls[i].crl);

		if (gnutls_x509_crl_check_issuer(c->crls[i].crl, issuer) &&
		    gnutls_x509_crl_verify(c->crls[i].crl, &issuer, 1, 0, &(unsigned int){ 0 }) >= 0 &&
		    (next == (time_t)-1 || next > now))
			return (int)i;
	}
	return -1;
}

/* Whether CRT is within its validity at NOW; else the reason in WHY. */
static bool in_validity(gnutls_x509_crt_t crt, time_t now, char *why, size_t whylen)
{
	char s[600], d[40];

	if (gnutls_x509_crt_get_expiration_time(crt) < now) {
		snprintf(why, whylen, "certificate '%s' expired on %s",
			 cert_subject(crt, s, sizeof(s)),
			 cert_date_str(gnutls_x509_crt_get_expiration_time(crt), d, sizeof(d)));
		return false;
	}
	if (gnutls_x509_crt_get_activation_time(crt) > now) {
		snprintf(why, whylen, "certificate '%s' is not valid before %s",
			 cert_subject(crt, s, sizeof(s)),
			 cert_date_str(gnutls_x509_crt_get_activation_time(crt), d, sizeof(d)));
		return false;
	}
	return true;
}

/* Whether CRT (issued by UP) is revoked, or its status unknown where the
 * policy wants it known; the reason in WHY. */
static bool revoked(const struct creds *c, const struct peer_policy *p, gnutls_x509_crt_t crt,
		    gnutls_x509_crt_t up, time_t now, char *why, size_t whylen)
{
	char s[600], is[600], uri[256];
	size_t sz = sizeof(uri);
	bool local;
	int type;

	cert_subject(crt, s, sizeof(s));
	for (size_t i = 0; i < c->ncrls; i++)
		if (gnutls_x509_crl_check_issuer(c->crls[i].crl, up) &&
		    gnutls_x509_crt_check_revocation(crt, &c->crls[i].crl, 1) == 1) {
			snprintf(why, whylen, "certificate '%s' is revoked by the CRL of '%s' (%s)",
				 s, cert_issuer(crt, is, sizeof(is)), c->crls[i].file);
			return true;
		}
	local = crl_of(c, up, now) >= 0;
	if (p->online) {
		/* As strongSwan: OCSP first, then a loaded CRL, then the CDP's.
		 * swanctl's policy: strict wants a good answer, ifuri one when
		 * the certificate names where to ask, relaxed only a "revoked". */
		char r[1800];

		switch (p->online(p->online_ctx, crt, up, local, now, r, sizeof(r))) {
		case REV_ON_GOOD:
			return false;
		case REV_ON_REVOKED:
			snprintf(why, whylen, "%s", r);
			return true;
		case REV_ON_PENDING:
			if (p->pending)
				*p->pending = true;
			snprintf(why, whylen, "the revocation status of certificate '%s' is being "
				 "fetched", s);
			return true;
		case REV_ON_UNKNOWN:
			if (local || p->revocation == REV_RELAXED)
				return false;
			snprintf(why, whylen, "the revocation status of certificate '%s' is unknown: "
				 "%s (revocation = %s)", s, r,
				 p->revocation == REV_STRICT ? "strict" : "ifuri");
			return true;
		default:
			break;
		}
	}
	if (local || p->revocation == REV_RELAXED)
		return false;
	type = gnutls_x509_crt_get_crl_dist_points(crt, 0, uri, &sz, NULL, NULL);
	if (p->revocation == REV_IFURI && type != GNUTLS_SAN_URI)
		return false;
	snprintf(why, whylen, "the revocation status of certificate '%s' is unknown: no current "
		 "CRL of '%s' is loaded%s%s%s (revocation = %s)", s,
		 cert_issuer(crt, is, sizeof(is)), type == GNUTLS_SAN_URI ? "; it names " : "",
		 type == GNUTLS_SAN_URI ? uri : "",
		 type == GNUTLS_SAN_URI && !p->online ? ", which is not fetched here" : "",
		 p->revocation == REV_STRICT ? "strict" : "ifuri");
	return true;
}

/*
 * Our own walk of CHAIN (end entity first, the rest in any order) up to a
 * trusted CA, naming the first certificate that fails and why. Issuers the
 * peer did not send are looked up among our CA certificates: a trusted one
 * ends the walk, an intermediate of ours is appended to CHAIN (*N grows,
 * up to MAX) for GnuTLS. Its verdict, asked after this walk passes, is
 * authoritative; the walk is for the words.
 */
static int walk(const struct creds *c, const struct peer_policy *p, gnutls_x509_crt_t *chain,
		size_t *n, size_t max, time_t now, char *why, size_t whylen)
{
	gnutls_x509_crt_t crt = chain[0];
	char s[600], is[600];

	for (size_t step = 0; step <= CERT_CHAIN_MAX; step++) {
		gnutls_x509_crt_t up = NULL;
		int found = -1;
		bool anchor = false;

		if (!in_validity(crt, now, why, whylen))
			return -1;
		for (size_t m = 0; m < *n && !up; m++)
			if (chain[m] != crt && gnutls_x509_crt_check_issuer(crt, chain[m]))
				up = chain[m];
		if (!up) {
			/* A trusted issuer of ours, else any CA of that name. */
			for (size_t i = 0; i < c->ncerts && !anchor; i++)
				if (c->certs[i].ca && gnutls_x509_crt_check_issuer(crt, c->certs[i].crt) &&
				    (found < 0 || trusted(p, i))) {
					found = (int)i;
					anchor = trusted(p, i);
				}
			cert_subject(crt, s, sizeof(s));
			if (found < 0) {
				snprintf(why, whylen, "certificate '%s' has an unknown issuer '%s' (no "
					 "CA certificate of that name is loaded)", s,
					 cert_issuer(crt, is, sizeof(is)));
				return -1;
			}
			if (!anchor && (c->certs[found].self_signed || *n >= max)) {
				snprintf(why, whylen, "certificate '%s' is issued by '%s' (%s), which "
					 "is not among this connection's cacerts", s,
					 cert_issuer(crt, is, sizeof(is)), c->certs[found].file);
				return -1;
			}
			up = c->certs[found].crt;
			if (!anchor)
				chain[(*n)++] = up;
		}
		if (revoked(c, p, crt, up, now, why, whylen))
			return -1;
		if (anchor)
			return in_validity(up, now, why, whylen) ? 0 : -1;
		crt = up;
	}
	snprintf(why, whylen, "the peer's chain is longer than %d certificates", CERT_CHAIN_MAX);
	return -1;
}

static const char *status_str(unsigned int st)
{
	if (st & GNUTLS_CERT_SIGNATURE_FAILURE)
		return "a signature in the chain does not verify";
	if (st & GNUTLS_CERT_SIGNER_NOT_CA)
		return "an issuer in the chain is not a CA";
	if (st & GNUTLS_CERT_INSECURE_ALGORITHM)
		return "the chain is signed with an insecure algorithm";
	if (st & GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE)
		return "an issuer's constraints (path length, name constraints) are violated";
	if (st & GNUTLS_CERT_REVOKED)
		return "a certificate of the chain is revoked";
	if (st & GNUTLS_CERT_EXPIRED)
		return "a certificate of the chain has expired";
	if (st & GNUTLS_CERT_NOT_ACTIVATED)
		return "a certificate of the chain is not valid yet";
	if (st & GNUTLS_CERT_SIGNER_NOT_FOUND)
		return "no trusted CA issued the chain";
	return "the chain does not verify";
}

int creds_verify_peer(const struct creds *c, const struct peer_policy *p,
		      const gnutls_datum_t *certs, size_t ncerts, const struct ike_id *id,
		      time_t now, gnutls_pubkey_t *pub, char *desc, size_t desclen, char *why,
		      size_t whylen)
{
	gnutls_x509_crt_t chain[2 * CERT_CHAIN_MAX] = { NULL };
	gnutls_x509_trust_list_t tl = NULL;
	size_t n = 0, npeer = 0;	/* ours to free: the peer's, not the store's */
	unsigned int status = 0;
	char s[600], idb[IKE_ID_STRLEN], r[256];
	int rc = -1;

	*pub = NULL;
	desc[0] = '\0';
	if (!ncerts) {
		snprintf(why, whylen, "the peer sent no certificate (CERT payload)");
		return -1;
	}
	for (; n < ncerts && n < CERT_CHAIN_MAX; n++)
		if (gnutls_x509_crt_init(&chain[n]) < 0 ||
		    gnutls_x509_crt_import(chain[n], &certs[n], GNUTLS_X509_FMT_DER) < 0) {
			snprintf(why, whylen, "the peer's certificate #%zu is not valid X.509 DER",
				 n + 1);
			npeer = ++n;
			goto out;
		}
	npeer = n;
	cert_subject(chain[0], s, sizeof(s));
	snprintf(desc, desclen, "'%s' (issuer '%s')", s, cert_issuer(chain[0], idb, sizeof(idb)));
	if (!cert_has_id(chain[0], id)) {
		snprintf(why, whylen, "the peer's identity '%s' (%s) is not in its certificate "
			 "'%s' (neither the subject nor a subjectAltName)",
			 id_str(id, idb, sizeof(idb)), id_type_name(id->type), s);
		goto out;
	}
	if (!may_sign(chain[0], r, sizeof(r))) {
		snprintf(why, whylen, "certificate '%s' may not authenticate IKE: %s", s, r);
		goto out;
	}
	if (walk(c, p, chain, &n, 2 * CERT_CHAIN_MAX, now, why, whylen))
		goto out;
	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		goto out;
	for (size_t i = 0; i < c->ncerts; i++) {
		gnutls_x509_crt_t ca;

		if (!c->certs[i].ca || !trusted(p, i) || gnutls_x509_crt_init(&ca) < 0)
			continue;
		if (gnutls_x509_crt_import(ca, &c->certs[i].der, GNUTLS_X509_FMT_DER) < 0 ||
		    gnutls_x509_trust_list_add_cas(tl, &ca, 1, 0) != 1)
			gnutls_x509_crt_deinit(ca);
	}
	for (size_t i = 0; i < c->ncrls; i++) {
		gnutls_x509_crl_t crl;

		if (gnutls_x509_crl_init(&crl) < 0)
			continue;
		if (gnutls_x509_crl_import(crl, &c->crls[i].der, GNUTLS_X509_FMT_DER) < 0 ||
		    gnutls_x509_trust_list_add_crls(tl, &crl, 1, GNUTLS_TL_VERIFY_CRL, 0) != 1)
			gnutls_x509_crl_deinit(crl);
	}
	rc = gnutls_x509_trust_list_verify_crt2(tl, chain, (unsigned int)n, NULL, 0, 0, &status,
						NULL);
	if (rc < 0 || status) {
		snprintf(why, whylen, "the chain of certificate '%s' does not verify: %s", s,
			 rc < 0 ? gnutls_strerror(rc) : status_str(status));
		rc = -1;
		goto out;
	}
	rc = -1;
	if (gnutls_pubkey_init(pub) < 0 || gnutls_pubkey_import_x509(*pub, chain[0], 0) < 0) {
		gnutls_pubkey_deinit(*pub);
		*pub = NULL;
		snprintf(why, whylen, "cannot use the public key of certificate '%s'", s);
		goto out;
	}
	rc = 0;
out:
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (size_t i = 0; i < npeer; i++)
		if (chain[i])
			gnutls_x509_crt_deinit(chain[i]);
	return rc;
}

size_t creds_certreq(const struct creds *c, const struct peer_policy *p, uint8_t *out,
		     size_t max)
{
	size_t len = 0;

	for (size_t i = 0; i < c->ncerts && len + 20 <= max; i++)
		if (c->certs[i].ca && trusted(p, i)) {
			memcpy(out + len, c->certs[i].spki_sha1, 20);
			len += 20;
		}
	return len;
}

bool creds_certreq_names(const struct creds *c, const size_t *chain, size_t n,
			 const uint8_t *req, size_t len)
{
	for (size_t k = 0; k + 20 <= len; k += 20)
		for (size_t i = 0; i < c->ncerts; i++) {
			bool ours = false;

			if (!c->certs[i].ca || memcmp(c->certs[i].spki_sha1, req + k, 20))
				continue;
			for (size_t j = 0; j < n; j++)
				ours |= chain[j] == i ||
					gnutls_x509_crt_check_issuer(c->certs[chain[j]].crt,
								     c->certs[i].crt);
			if (ours)
				return true;
		}
	return false;
}
