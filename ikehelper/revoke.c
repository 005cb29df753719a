// SPDX-License-Identifier: GPL-2.0
/*
 * Online revocation status: OCSP first (the AIA's responder), then the CRL
 * of the distribution point unless one of the issuer is loaded (cert.c
 * then uses that), as strongSwan's revocation plugin does. Every
 * answer is cached by the daemon (a list; a gateway checks few issuers):
 * OCSP by responder and certificate, CRLs by URI. An IKE_AUTH that needs a
 * fetch waits on its entry (by IKE SA id, so a dead SA is simply not
 * found) and is resumed when the entry is complete; its second pass finds
 * the answer here. Fetches go through d->fetch (fetch.h): libcurl in the
 * loop, or the unit tests' own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "cert.h"
#include "daemon.h"
#include "fetch.h"
#include "ocsp.h"
#include "revoke.h"

enum { ENT_OCSP, ENT_CRL };

struct rev_entry {
	struct rev_entry *next;
	struct daemon *d;
	int kind;
	char url[256];
	uint8_t fp[20];			/* OCSP: SHA-1 of the certificate */
	bool pending, failed;
	bool unreachable;		/* failed: the fetch (else: the answer) */
	time_t until;			/* wall clock; 0: until checked once */
	uint8_t nonce[OCSP_NONCE_LEN];
	uint8_t *body;			/* the answer, DER (CRLs also PEM) */
	size_t len;
	char why[600];			/* why the fetch failed */
	uint64_t *waiters;		/* IKE SA ids */
	size_t nwaiters;
};

struct revoke {
	struct rev_entry *list;
};

/* snprintf, truncating quietly (reasons nest reasons). */
__attribute__((format(printf, 3, 4)))
static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static struct revoke *rev_of(struct daemon *d)
{
	if (!d->rev)
		d->rev = calloc(1, sizeof(*d->rev));
	return d->rev;
}

static void entry_free(struct rev_entry *e)
{
	free(e->body);
	free(e->waiters);
	free(e);
}

void revoke_free(struct daemon *d)
{
	if (!d->rev)
		return;
	while (d->rev->list) {
		struct rev_entry *e = d->rev->list;

		d->rev->list = e->next;
		/* A fetch still in flight calls back into a freed entry: the
		 * fetcher is freed first (main.c), so none is. */
		entry_free(e);
	}
	free(d->rev);
	d->rev = NULL;
}

static void fetched(struct daemon *d, void *arg, const uint8_t *body, size_t len,
		    const char *err)
{
	struct rev_entry *e = arg;
	uint64_t *w = e->waiters;
	size_t n = e->nwaiters;

	e->pending = false;
	if (err) {
		e->failed = true;
		e->unreachable = true;
		e->until = time(NULL) + REV_FAIL_HOLD_S;
		say(e->why, sizeof(e->why), "%s", err);
	} else if (!(e->body = malloc(len ? len : 1))) {
		e->failed = true;
		e->until = time(NULL) + REV_FAIL_HOLD_S;
		say(e->why, sizeof(e->why), "out of memory");
	} else {
		memcpy(e->body, body, len);
		e->len = len;
	}
	e->waiters = NULL;
	e->nwaiters = 0;
	for (size_t i = 0; i < n; i++)
		for (struct ike_sa *sa = d->sas; sa; sa = sa->next_all)
			if (sa->id == w[i] && sa->state != IKE_S_DEAD) {
				exchange_auth_resume(sa);
				break;
			}
	free(w);
}

static struct rev_entry *find(struct revoke *r, int kind, const char *url, const uint8_t *fp,
			      time_t now)
{
	for (struct rev_entry **pp = &r->list; *pp;) {
		struct rev_entry *e = *pp;

		if (!e->pending && e->until && e->until < now) {
			*pp = e->next;		/* stale: forget it */
			entry_free(e);
			continue;
		}
		if (e->kind == kind && !strcmp(e->url, url) && (!fp || !memcmp(e->fp, fp, 20)))
			return e;
		pp = &e->next;
	}
	return NULL;
}

static int wait_on(struct rev_entry *e, struct rev_query *q)
{
	uint64_t *w = realloc(e->waiters, (e->nwaiters + 1) * sizeof(*w));

	if (!w)
		return -1;
	e->waiters = w;
	w[e->nwaiters++] = q->sa_id;
	q->pending = true;
	return 0;
}

/* A new entry, its fetch started; NULL if either failed (WHY). */
static struct rev_entry *start(struct rev_query *q, int kind, const char *url, const uint8_t *fp,
			       const gnutls_datum_t *post, char *why, size_t whylen)
{
	struct daemon *d = q->d;
	struct revoke *r = rev_of(d);
	struct rev_entry *e = calloc(1, sizeof(*e));

	if (!r || !e || !d->fetch) {
		free(e);
		say(why, whylen, "%s", d->fetch ? "out of memory" : "no HTTP fetcher");
		return NULL;
	}
	e->d = d;
	e->kind = kind;
	say(e->url, sizeof(e->url), "%s", url);
	if (fp)
		memcpy(e->fp, fp, 20);
	e->pending = true;
	if (d->fetch->start(d->fetch->ctx, url, post ? "application/ocsp-request" : NULL,
			    post ? post->data : NULL, post ? post->size : 0, REV_FETCH_TIMEOUT_MS,
			    fetched, e, why, whylen)) {
		free(e);
		return NULL;
	}
	e->next = r->list;
	r->list = e;
	return e;
}

static bool uri_of(gnutls_x509_crt_t crt, bool ocsp, char *out, size_t len)
{
	for (unsigned int i = 0; i < 8; i++) {
		if (ocsp) {
			gnutls_datum_t v = { NULL, 0 };
			int rc = gnutls_x509_crt_get_authority_info_access(crt, i, GNUTLS_IA_OCSP_URI,
									    &v, NULL);

			if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
				return false;
			if (rc < 0)
				continue;
			say(out, len, "%.*s", (int)v.size, (const char *)v.data);
			gnutls_free(v.data);
		} else {
			size_t sz = len;
			unsigned int reason = 0;
			int type = gnutls_x509_crt_get_crl_dist_points(crt, i, out, &sz, &reason, NULL);

			if (type < 0)
				return false;
			if (type != GNUTLS_SAN_URI)
				continue;
			out[sz < len ? sz : len - 1] = '\0';
		}
		if (!strncmp(out, "http://", 7))
			return true;
	}
	return false;
}

/* OCSP's verdict on CRT, as an enum rev_online; UNKNOWN leaves WHY. */
static int by_ocsp(struct rev_query *q, gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer,
		   const char *url, time_t now, char *why, size_t whylen)
{
	struct revoke *r = rev_of(q->d);
	uint8_t fp[20];
	size_t fplen = sizeof(fp);
	struct rev_entry *e;
	char s[600], when[40], reason[64];
	time_t until, rtime;

	if (!r || gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA1, fp, &fplen) < 0) {
		say(why, whylen, "out of memory");
		return REV_ON_UNKNOWN;
	}
	e = find(r, ENT_OCSP, url, fp, now);
	if (!e) {
		gnutls_datum_t req;
		uint8_t nonce[OCSP_NONCE_LEN];

		if (ocsp_request(crt, issuer, nonce, &req, why, whylen))
			return REV_ON_UNKNOWN;
		e = start(q, ENT_OCSP, url, fp, &req, why, whylen);
		gnutls_free(req.data);
		if (!e)
			return REV_ON_UNKNOWN;
		memcpy(e->nonce, nonce, sizeof(nonce));
	}
	if (e->pending)
		return wait_on(e, q) ? REV_ON_UNKNOWN : REV_ON_PENDING;
	if (e->failed) {
		if (e->unreachable)
			say(why, whylen, "OCSP responder %s unreachable: %s", url, e->why);
		else
			say(why, whylen, "OCSP responder %s: %s", url, e->why);
		return REV_ON_UNKNOWN;
	}
	switch (ocsp_check(&(gnutls_datum_t){ e->body, (unsigned int)e->len }, crt, issuer,
			   e->nonce, now, &until, &rtime, reason, sizeof(reason), e->why,
			   sizeof(e->why))) {
	case OCSP_GOOD:
		e->until = until;
		return REV_ON_GOOD;
	case OCSP_REVOKED:
		e->until = until;
		say(why, whylen, "certificate '%s' is revoked by OCSP responder %s at %s (%s)",
			 cert_subject(crt, s, sizeof(s)), url, cert_date_str(rtime, when, sizeof(when)),
			 reason);
		return REV_ON_REVOKED;
	default:
		e->failed = true;
		e->until = now + REV_FAIL_HOLD_S;
		say(why, whylen, "OCSP responder %s: %s", url, e->why);
		return REV_ON_UNKNOWN;
	}
}

/* The CRL of URL's verdict on CRT, as an enum rev_online. */
static int by_crl(struct rev_query *q, gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer,
		  const char *url, time_t now, char *why, size_t whylen)
{
	struct revoke *r = rev_of(q->d);
	struct rev_entry *e;
	gnutls_x509_crl_t crl;
	unsigned int v = 0;
	time_t next;
	char s[600], is[600];
	int rc;

	if (!r) {
		say(why, whylen, "out of memory");
		return REV_ON_UNKNOWN;
	}
	e = find(r, ENT_CRL, url, NULL, now);
	if (!e && !(e = start(q, ENT_CRL, url, NULL, NULL, why, whylen)))
		return REV_ON_UNKNOWN;
	if (e->pending)
		return wait_on(e, q) ? REV_ON_UNKNOWN : REV_ON_PENDING;
	if (e->failed) {
		if (e->unreachable)
			say(why, whylen, "CRL %s unreachable: %s", url, e->why);
		else
			say(why, whylen, "%s", e->why);
		return REV_ON_UNKNOWN;
	}
	if (gnutls_x509_crl_init(&crl) < 0) {
		say(why, whylen, "out of memory");
		return REV_ON_UNKNOWN;
	}
	rc = gnutls_x509_crl_import(crl, &(gnutls_datum_t){ e->body, (unsigned int)e->len },
				    GNUTLS_X509_FMT_DER);
	if (rc < 0)
		rc = gnutls_x509_crl_import(crl, &(gnutls_datum_t){ e->body, (unsigned int)e->len },
					    GNUTLS_X509_FMT_PEM);
	cert_issuer(crt, is, sizeof(is));
	if (rc < 0) {
		say(why, whylen, "CRL %s: not an X.509 CRL in DER or PEM", url);
		rc = REV_ON_UNKNOWN;
	} else if (!gnutls_x509_crl_check_issuer(crl, issuer) ||
		   gnutls_x509_crl_verify(crl, &issuer, 1, 0, &v) < 0 || v) {
		say(why, whylen, "CRL %s is not signed by '%s'", url, is);
		rc = REV_ON_UNKNOWN;
	} else if ((next = gnutls_x509_crl_get_next_update(crl)) != (time_t)-1 && next < now) {
		say(why, whylen, "CRL %s is stale (nextUpdate passed)", url);
		rc = REV_ON_UNKNOWN;
	} else {
		e->until = next != (time_t)-1 ? next : now + REV_CRL_NO_NEXT_UPDATE_S;
		if (gnutls_x509_crt_check_revocation(crt, &crl, 1) == 1) {
			say(why, whylen, "certificate '%s' is revoked by the CRL of '%s' "
				 "fetched from %s", cert_subject(crt, s, sizeof(s)), is, url);
			rc = REV_ON_REVOKED;
		} else {
			rc = REV_ON_GOOD;
		}
	}
	if (rc == REV_ON_UNKNOWN) {
		e->failed = true;
		e->until = now + REV_FAIL_HOLD_S;
		say(e->why, sizeof(e->why), "%s", why);
	}
	gnutls_x509_crl_deinit(crl);
	return rc;
}

int revoke_online(void *ctx, gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer, bool crl_loaded,
		  time_t now, char *why, size_t whylen)
{
	struct rev_query *q = ctx;
	char ocsp_url[256], crl_url[256], w1[800] = "", w2[800] = "";
	bool has_ocsp = uri_of(crt, true, ocsp_url, sizeof(ocsp_url));
	bool has_crl = !crl_loaded && uri_of(crt, false, crl_url, sizeof(crl_url));
	int st;

	if (!has_ocsp && !has_crl)
		return REV_ON_NONE;
	if (has_ocsp) {
		st = by_ocsp(q, crt, issuer, ocsp_url, now, w1, sizeof(w1));
		if (st != REV_ON_UNKNOWN) {
			say(why, whylen, "%s", w1);
			return st;
		}
	}
	if (has_crl) {
		st = by_crl(q, crt, issuer, crl_url, now, w2, sizeof(w2));
		if (st != REV_ON_UNKNOWN) {
			say(why, whylen, "%s", w2);
			return st;
		}
	}
	say(why, whylen, "%s%s%s", w1, w1[0] && w2[0] ? "; " : "", w2);
	return REV_ON_UNKNOWN;
}
