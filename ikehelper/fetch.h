/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fetching revocation data over HTTP (CRLs from a certificate's CRL
 * distribution point, OCSP requests to the responder of its AIA) without
 * blocking the loop: the daemon holds a struct fetch_ops; the real one is
 * libcurl's multi interface driven by the loop's fd watches and a daemon
 * timer (fetch.c), unit tests put their own.
 */
#ifndef KESP_FETCH_H
#define KESP_FETCH_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct loop;

/* The transfer ended: BODY (LEN bytes) on success (HTTP 200), else ERR says
 * why ("connection refused", "HTTP 404", "timed out after 5 s"). */
typedef void (*fetch_done_fn)(struct daemon *d, void *arg, const uint8_t *body, size_t len,
			      const char *err);

struct fetch_ops {
	/* A GET of URL, or a POST of POST (CTYPE) when POSTLEN; DONE is
	 * called once, later (never from within start). 0, or -1 with WHY. */
	int (*start)(void *ctx, const char *url, const char *ctype, const uint8_t *post,
		     size_t postlen, unsigned int timeout_ms, fetch_done_fn done, void *arg,
		     char *why, size_t whylen);
	void *ctx;
};

#define FETCH_MAX_BODY (4u << 20)	/* a CRL larger than 4 MB is refused */

/* libcurl in loop L for daemon D; NULL on failure. */
struct curl_fetcher *curl_fetcher_new(struct loop *l, struct daemon *d);
void curl_fetcher_free(struct curl_fetcher *f);
extern const struct fetch_ops curl_fetch_ops;	/* ctx: the curl_fetcher */

#endif /* KESP_FETCH_H */
