// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP fetches through libcurl's multi interface, in the loop: curl names
 * the sockets it wants watched (CURLMOPT_SOCKETFUNCTION -> loop fd
 * watches, EPOLLIN/EPOLLOUT) and when it wants to be called back
 * (CURLMOPT_TIMERFUNCTION -> a daemon timer); each event is handed to
 * curl_multi_socket_action and finished transfers call their owner back.
 * Nothing here blocks; each transfer has its own total timeout.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <curl/curl.h>

#include "daemon.h"
#include "fetch.h"
#include "loop.h"

struct curl_fetcher {
	CURLM *multi;
	struct loop *loop;
	struct daemon *d;
	struct timer t;		/* first member after the owners: see on_timer */
	int running;
};

struct sockw {
	struct curl_fetcher *f;
	struct loop_fd *e;
	curl_socket_t s;
};

struct xfer {
	CURL *easy;
	struct curl_slist *hdrs;
	uint8_t *body, *post;
	size_t len;
	bool too_big;
	unsigned int timeout_ms;
	fetch_done_fn done;
	void *arg;
	char err[CURL_ERROR_SIZE];
};

static void finish(struct curl_fetcher *f)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(f->multi, &left))) {
		struct xfer *x = NULL;
		long code = 0;
		char why[CURL_ERROR_SIZE + 64];

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		why[0] = '\0';
		if (msg->data.result == CURLE_OPERATION_TIMEDOUT)
			snprintf(why, sizeof(why), "no answer within %u s", x->timeout_ms / 1000);
		else if (msg->data.result != CURLE_OK)
			snprintf(why, sizeof(why), "%s", x->err[0] ? x->err :
				 curl_easy_strerror(msg->data.result));
		else if (x->too_big)
			snprintf(why, sizeof(why), "the answer is larger than %u bytes",
				 FETCH_MAX_BODY);
		else if (code != 200)
			snprintf(why, sizeof(why), "HTTP status %ld", code);
		curl_multi_remove_handle(f->multi, msg->easy_handle);
		curl_easy_cleanup(msg->easy_handle);
		curl_slist_free_all(x->hdrs);
		x->done(f->d, x->arg, why[0] ? NULL : x->body, why[0] ? 0 : x->len,
			why[0] ? why : NULL);
		free(x->body);
		free(x->post);
		free(x);
	}
}

static void on_socket(void *arg, int fd)
{
	struct sockw *w = arg;
	struct curl_fetcher *f = w->f;
	int flags = 0;

	if (w->e->revents & (EPOLLIN | EPOLLHUP))
		flags |= CURL_CSELECT_IN;
	if (w->e->revents & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (w->e->revents & EPOLLERR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(f->multi, fd, flags, &f->running);
	finish(f);
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct curl_fetcher *f = userp;
	struct sockw *w = socketp;
	uint32_t ev = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (w) {
			loop_del(f->loop, w->e);
			curl_multi_assign(f->multi, s, NULL);
			free(w);
		}
		return 0;
	}
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return -1;
		w->f = f;
		w->s = s;
		w->e = loop_add_events(f->loop, s, ev, on_socket, w);
		if (!w->e) {
			free(w);
			return -1;
		}
		curl_multi_assign(f->multi, s, w);
		return 0;
	}
	return loop_mod(f->loop, w->e, ev) ? -1 : 0;
}

static void on_timer(struct daemon *d, struct timer *t)
{
	struct curl_fetcher *f = (struct curl_fetcher *)((char *)t - offsetof(struct curl_fetcher, t));

	(void)d;
	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &f->running);
	finish(f);
}

static int timer_cb(CURLM *multi, long ms, void *userp)
{
	struct curl_fetcher *f = userp;

	(void)multi;
	if (ms < 0)
		timer_cancel(f->d, &f->t);
	else
		timer_arm(f->d, &f->t, (uint64_t)ms);
	return 0;
}

static size_t write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t add = size * n;
	uint8_t *b;

	if (x->len + add > FETCH_MAX_BODY) {
		x->too_big = true;
		return 0;
	}
	b = realloc(x->body, x->len + add + 1);
	if (!b)
		return 0;
	memcpy(b + x->len, p, add);
	x->body = b;
	x->len += add;
	return add;
}

static int curl_start(void *ctx, const char *url, const char *ctype, const uint8_t *post,
		      size_t postlen, unsigned int timeout_ms, fetch_done_fn done, void *arg,
		      char *why, size_t whylen)
{
	struct curl_fetcher *f = ctx;
	struct xfer *x = calloc(1, sizeof(*x));
	char h[128];

	if (!x || !(x->easy = curl_easy_init())) {
		free(x);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	x->done = done;
	x->arg = arg;
	x->timeout_ms = timeout_ms;
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->err);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "kesp-ikehelper");
	if (postlen) {
		x->post = malloc(postlen);
		if (!x->post) {
			curl_easy_cleanup(x->easy);
			free(x);
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		memcpy(x->post, post, postlen);
		snprintf(h, sizeof(h), "Content-Type: %s", ctype);
		x->hdrs = curl_slist_append(NULL, h);
		curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->post);
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)postlen);
	}
	if (curl_multi_add_handle(f->multi, x->easy) != CURLM_OK) {
		curl_slist_free_all(x->hdrs);
		curl_easy_cleanup(x->easy);
		free(x->post);
		free(x);
		snprintf(why, whylen, "curl refused the transfer");
		return -1;
	}
	return 0;
}

const struct fetch_ops curl_fetch_ops = { .start = curl_start };

struct curl_fetcher *curl_fetcher_new(struct loop *l, struct daemon *d)
{
	struct curl_fetcher *f;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->multi = curl_multi_init())) {
		free(f);
		curl_global_cleanup();
		return NULL;
	}
	f->loop = l;
	f->d = d;
	timer_init(&f->t, on_timer);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	return f;
}

void curl_fetcher_free(struct curl_fetcher *f)
{
	if (!f)
		return;
	timer_cancel(f->d, &f->t);
	curl_multi_cleanup(f->multi);	/* pending transfers are dropped */
	free(f);
	curl_global_cleanup();
}
