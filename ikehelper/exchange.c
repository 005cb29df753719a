// SPDX-License-Identifier: GPL-2.0
/*
 * Exchanges (RFC 7296 §2.1-2.3): every datagram comes in here. The header
 * decides the path: a new IKE_SA_INIT request goes to ike_init.c, anything
 * else to the IKE SA its SPI names. Requests of the peer are checked
 * against the window (the next message id, or the previous one, which is
 * a retransmission answered from the cache), decrypted, and handed to the
 * exchange's responder half; responses are matched to our one outstanding
 * request and handed to its task. Nothing unauthenticated, malformed or
 * out of window changes any state: it is dropped and counted.
 *
 * Our own exchanges are tasks (strongSwan's idea): a queue per IKE SA,
 * one in flight, retransmitted with exponential backoff until the peer
 * answers or the tries run out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* ---- building messages --------------------------------------------------- */

struct ike_payload *msg_add(struct msg_out *m, uint8_t type)
{
	struct ike_payload *pl;

	if (m->n == MSG_OUT_MAX) {
		m->overflow = true;
		return &m->pl[MSG_OUT_MAX - 1];	/* harmless: the message is refused */
	}
	pl = &m->pl[m->n++];
	memset(pl, 0, sizeof(*pl));
	pl->type = type;
	return pl;
}

uint8_t *msg_alloc(struct msg_out *m, size_t len)
{
	uint8_t *p;

	if (len > sizeof(m->store) - m->used) {
		m->overflow = true;
		return m->store;
	}
	p = m->store + m->used;
	m->used += len;
	return p;
}

void msg_add_notify(struct msg_out *m, uint16_t type, const void *data, size_t len)
{
	struct ike_payload *pl = msg_add(m, IKE_PL_NOTIFY);
	uint8_t *copy = len ? msg_alloc(m, len) : NULL;

	if (len && !m->overflow)
		memcpy(copy, data, len);
	pl->u.notify.type = type;
	pl->u.notify.data.p = copy;
	pl->u.notify.data.len = m->overflow ? 0 : len;
}

struct ike_proposal *msg_add_sa(struct msg_out *m, size_t n)
{
	struct ike_payload *pl = msg_add(m, IKE_PL_SA);
	struct ike_proposal *p = m->props + m->nprops;

	if (n > CONF_MAX_PROPOSALS - m->nprops) {
		m->overflow = true;
		return m->props;
	}
	memset(p, 0, n * sizeof(*p));
	m->nprops += n;
	pl->u.sa.prop = p;
	pl->u.sa.nprop = (uint8_t)n;
	return p;
}

struct ike_ts *msg_add_ts(struct msg_out *m, uint8_t type, size_t n)
{
	struct ike_payload *pl = msg_add(m, type);
	struct ike_ts *t = m->ts + m->nts;

	if (n > 2 * CONF_MAX_TS - m->nts) {
		m->overflow = true;
		return m->ts;
	}
	memset(t, 0, n * sizeof(*t));
	m->nts += n;
	pl->u.ts.ts = t;
	pl->u.ts.nts = (uint8_t)n;
	return t;
}

void msg_reset(struct msg_out *m)
{
	m->n = 0;
	m->used = 0;
	m->nprops = 0;
	m->nts = 0;
	m->overflow = false;
}

const struct ike_payload *msg_find(const struct ike_msg *m, uint8_t type)
{
	for (size_t i = 0; i < m->npl; i++)
		if (m->pl[i].type == type)
			return &m->pl[i];
	return NULL;
}

const struct ike_payload *msg_find_notify(const struct ike_msg *m, uint16_t type)
{
	for (size_t i = 0; i < m->npl; i++)
		if (m->pl[i].type == IKE_PL_NOTIFY && m->pl[i].u.notify.type == type)
			return &m->pl[i];
	return NULL;
}

const struct ike_payload *msg_find_error(const struct ike_msg *m)
{
	for (size_t i = 0; i < m->npl; i++)
		if (m->pl[i].type == IKE_PL_NOTIFY && m->pl[i].u.notify.type < 16384)
			return &m->pl[i];
	return NULL;
}

/* ---- encoding ------------------------------------------------------------ */

/* "SA KE No N(NAT_DETECTION_SOURCE_IP)" of a message's payloads. */
static const char *payload_list(const struct ike_payload *pl, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		if (pl[i].type == IKE_PL_NOTIFY)
			off += (size_t)snprintf(buf + off, len - off, "%sN(%s)", i ? " " : "",
						ike_notify_name(pl[i].u.notify.type));
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "",
						ike_payload_name(pl[i].type));
	}
	return buf;
}

/* Level 2 of "enc": what a message holds (names only, never a value). */
static void log_payloads(const struct ike_sa *sa, bool ours, uint8_t exchange, bool response,
			 uint32_t mid, const struct ike_payload *pl, size_t n)
{
	char buf[512];

	if (!log_enabled(LOG_ENC, 2))
		return;
	payload_list(pl, n, buf, sizeof(buf));
	if (sa)
		sa_log(sa, LOG_ENC, 2, "%s %s %s %u [ %s ]", ours ? "generating" : "parsed",
		       ike_exchange_name(exchange), response ? "response" : "request", mid, buf);
	else
		log_msg(LOG_ENC, 2, "%s %s %s %u [ %s ]", ours ? "generating" : "parsed",
			ike_exchange_name(exchange), response ? "response" : "request", mid, buf);
}

static void put_header(struct ike_buf *b, const uint8_t spi_i[8], const uint8_t spi_r[8],
		       uint8_t next, uint8_t exchange, uint8_t flags, uint32_t mid)
{
	ike_buf_put(b, spi_i, 8);
	ike_buf_put(b, spi_r, 8);
	ike_buf_put8(b, next);
	ike_buf_put8(b, 0x20);
	ike_buf_put8(b, exchange);
	ike_buf_put8(b, flags);
	ike_buf_put32(b, mid);
	ike_buf_put32(b, 0);
}

static int shrink(uint8_t *buf, size_t len, uint8_t **pkt, size_t *plen)
{
	uint8_t *p = realloc(buf, len);

	*pkt = p ? p : buf;
	*plen = len;
	return 0;
}

int exchange_encode_plain(const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t exchange,
			  uint8_t flags, uint32_t mid, const struct msg_out *m, uint8_t **pkt,
			  size_t *len)
{
	uint8_t *buf = malloc(IKE_MAX_MSG);
	struct ike_buf b;

	if (!buf || m->overflow) {
		free(buf);
		return -1;
	}
	log_payloads(NULL, true, exchange, flags & IKE_FLAG_RESPONSE, mid, m->pl, m->n);
	ike_buf_init(&b, buf, IKE_MAX_MSG);
	put_header(&b, spi_i, spi_r, m->n ? m->pl[0].type : 0, exchange, flags, mid);
	if (ike_payloads_encode(m->pl, m->n, &b) || b.overflow) {
		free(buf);
		return -1;
	}
	buf[24] = (uint8_t)(b.len >> 24);
	buf[25] = (uint8_t)(b.len >> 16);
	buf[26] = (uint8_t)(b.len >> 8);
	buf[27] = (uint8_t)b.len;
	return shrink(buf, b.len, pkt, len);
}

static uint8_t our_flags(const struct ike_sa *sa, bool response)
{
	return (sa->initiator ? IKE_FLAG_INITIATOR : 0) | (response ? IKE_FLAG_RESPONSE : 0);
}

int exchange_encode(struct ike_sa *sa, uint8_t exchange, uint32_t mid, bool response,
		    const struct msg_out *m, uint8_t **pkt, size_t *len)
{
	struct ike_header h = { .version = 0x20, .exchange = exchange, .msgid = mid };
	struct ike_error err = { 0 };
	uint8_t *buf;
	struct ike_buf b;

	if (exchange == IKE_SA_INIT || exchange == IKE_SESSION_RESUME)
		return exchange_encode_plain(sa->spi_i, sa->spi_r, exchange,
					     our_flags(sa, response), mid, m, pkt, len);
	if (!sa->keys_ready || m->overflow)
		return -1;
	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	h.flags = our_flags(sa, response);
	buf = malloc(IKE_MAX_MSG);
	if (!buf)
		return -1;
	log_payloads(sa, true, exchange, response, mid, m->pl, m->n);
	ike_buf_init(&b, buf, IKE_MAX_MSG);
	if (ike_msg_encode_sk(&h, NULL, 0, m->pl, m->n, &sa->sk_out, NULL, &b, &err)) {
		sa_log(sa, LOG_IKE, 0, "cannot encode %s: %s", ike_exchange_name(exchange),
		       err.reason);
		free(buf);
		return -1;
	}
	return shrink(buf, b.len, pkt, len);
}

void exchange_send_raw(struct ike_sa *sa, const uint8_t *pkt, size_t len)
{
	sa->d->st.tx++;
	sa->d->io->send(sa->d->io_ctx, &sa->local, &sa->remote, pkt, len);
}

/* ---- tasks --------------------------------------------------------------- */

struct task *task_alloc(size_t size, const struct task_ops *ops)
{
	struct task *t = calloc(1, size);

	if (t)
		t->ops = ops;
	return t;
}

void task_free_plain(struct task *t)
{
	free(t);
}

/* ---- our requests -------------------------------------------------------- */

static uint64_t retransmit_delay(const struct daemon *d, unsigned int tries)
{
	double t = d->cfg->set.retransmit_timeout_ms;

	while (tries--)
		t *= d->cfg->set.retransmit_base;
	return (uint64_t)t;
}

uint64_t exchange_give_up_ms(const struct daemon *d)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i <= d->cfg->set.retransmit_tries; i++)
		total += retransmit_delay(d, i);
	return total;
}

static void finish_request(struct ike_sa *sa)
{
	struct task *t = sa->req.task;

	timer_cancel(sa->d, &sa->req.timer);
	free(sa->req.pkt);
	sa->req.pkt = NULL;
	frag_train_free(&sa->req.frags);
	sa->req.task = NULL;
	if (t)
		t->ops->free(t);
}

/* Builds, encodes and sends the task in the window (again, for RETRY). */
static int send_request(struct ike_sa *sa)
{
	struct task *t = sa->req.task;
	struct msg_out *m = sa->d->out;

	msg_reset(m);
	free(sa->req.pkt);
	sa->req.pkt = NULL;
	if (t->ops->build(sa, t, m))
		return -1;
	if (exchange_encode(sa, t->ops->exchange, sa->req.mid, false, m, &sa->req.pkt,
			    &sa->req.len)) {
		sa_log(sa, LOG_IKE, 0, "cannot encode our %s request", t->ops->name);
		return -1;
	}
	if (t->ops->exchange == IKE_SA_INIT || t->ops->exchange == IKE_SESSION_RESUME) {
		/* Its bytes are signed in IKE_AUTH (RFC 7296 §2.15, RFC 5723 §4.3.3). */
		free(sa->init_req);
		sa->init_req = malloc(sa->req.len);
		if (!sa->init_req)
			return -1;
		memcpy(sa->init_req, sa->req.pkt, sa->req.len);
		sa->init_req_len = sa->req.len;
	}
	if (frag_split(sa, t->ops->exchange, sa->req.mid, false, m, sa->req.len, &sa->req.frags))
		sa_log(sa, LOG_IKE, 0, "sending our %s request whole", t->ops->name);
	sa->req.tries = 0;
	sa_log(sa, LOG_IKE, 1, "sending %s request %u (%zu bytes) to %s", t->ops->name,
	       sa->req.mid, sa->req.len, "peer");
	frag_send(sa, &sa->req.frags, sa->req.pkt, sa->req.len);
	timer_arm(sa->d, &sa->req.timer, retransmit_delay(sa->d, 0));
	return 0;
}

static void start_next(struct ike_sa *sa)
{
	while (!sa->req.task && sa->queue && sa->state != IKE_S_DEAD) {
		struct task *t = sa->queue;

		sa->queue = t->next;
		t->next = NULL;
		if (t->ops->stale && t->ops->stale(sa, t)) {
			sa_log(sa, LOG_IKE, 1, "dropping our queued %s: what it was for is gone",
			       t->ops->name);
			t->ops->free(t);
			continue;
		}
		sa->req.task = t;
		sa->req.mid = sa->mid_next;
		persist_mark(sa->d);
		if (send_request(sa)) {
			ike_sa_fail(sa, "cannot build our %s request", t->ops->name);
			return;
		}
	}
}

void exchange_request_timeout(struct daemon *d, struct timer *t)
{
	struct ike_sa *sa = (struct ike_sa *)((char *)t - offsetof(struct ike_sa, req.timer));
	struct ike_request *r = &sa->req;
	char peer[ENDPOINT_STRLEN];

	/* RFC 5723: a gateway that says nothing to IKE_SESSION_RESUME (one
	 * that does not know it drops it) gets a full IKE_SA_INIT soon. */
	if (r->task->ops->exchange == IKE_SESSION_RESUME &&
	    (r->tries >= 1 || r->tries >= d->cfg->set.retransmit_tries)) {
		resume_fallback(sa, "no answer to IKE_SESSION_RESUME");
		return;
	}
	if (r->tries >= d->cfg->set.retransmit_tries) {
		sa->end = END_PEER_DEAD;
		ike_sa_fail(sa, "%s did not answer our %s request after %u retransmissions "
			    "(%.1f s)", endpoint_str(&sa->remote, peer, sizeof(peer)),
			    r->task->ops->name, r->tries, exchange_give_up_ms(d) / 1000.0);
		return;
	}
	r->tries++;
	d->st.retransmits_sent++;
	sa_log(sa, LOG_IKE, 1, "retransmitting %s request %u (try %u of %u)",
	       r->task->ops->name, r->mid, r->tries, d->cfg->set.retransmit_tries);
	frag_send(sa, &r->frags, r->pkt, r->len);
	timer_arm(d, t, retransmit_delay(d, r->tries));
}

void exchange_resume(struct ike_sa *sa, struct task *t, uint32_t mid, uint8_t *pkt, size_t len)
{
	finish_request(sa);
	sa->req.task = t;
	sa->req.mid = mid;
	sa->req.pkt = pkt;
	sa->req.len = len;
	sa->req.tries = 0;
	sa_log(sa, LOG_IKE, 1, "sending our %s request %u again: our restart interrupted it",
	       ike_exchange_name(t->ops->exchange), mid);
	frag_send(sa, &sa->req.frags, pkt, len);
	timer_arm(sa->d, &sa->req.timer, retransmit_delay(sa->d, 0));
}

void exchange_queue(struct ike_sa *sa, struct task *t)
{
	struct task **pp = &sa->queue;

	t->next = NULL;
	while (*pp)
		pp = &(*pp)->next;
	*pp = t;
	start_next(sa);
}

void exchange_flush(struct ike_sa *sa)
{
	struct task *t = sa->req.task;

	if (t && t->ops->abort)
		t->ops->abort(sa, t);
	finish_request(sa);
	while (sa->queue) {
		t = sa->queue;
		sa->queue = t->next;
		if (t->ops->abort)
			t->ops->abort(sa, t);
		t->ops->free(t);
	}
}

void exchange_send_error_info(struct ike_sa *sa, uint16_t notify)
{
	struct msg_out *m = sa->d->out;
	/* From a task's process(): its request still holds mid_next, and the
	 * peer would take a second request with that id for a retransmission. */
	uint32_t mid = sa->req.task && sa->req.mid == sa->mid_next ? sa->mid_next + 1 : sa->mid_next;
	uint8_t *pkt;
	size_t len;

	msg_reset(m);
	msg_add_notify(m, notify, NULL, 0);
	sa->mid_next = mid + 1;
	if (!exchange_encode(sa, IKE_INFORMATIONAL, mid, false, m, &pkt, &len)) {
		exchange_send_raw(sa, pkt, len);
		free(pkt);
	}
}

/* ---- receiving ----------------------------------------------------------- */

static uint64_t fnv(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static bool decrypt(struct ike_sa *sa, const uint8_t *buf, size_t len,
		    const struct ike_msg *m, const struct ike_msg **inner)
{
	struct daemon *d = sa->d;
	struct ike_error err = { 0 };
	size_t plen;

	if (!sa->keys_ready) {
		d->st.dropped_malformed++;
		return false;
	}
	if (msg_find(m, IKE_PL_SKF)) {
		/* RFC 7383: complete only with the last missing fragment. */
		if (frag_receive(sa, buf, len, m, d->rx_inner) != FRAG_RX_DONE)
			return false;
		*inner = d->rx_inner;
		return true;
	}
	if (!msg_find(m, IKE_PL_SK)) {
		d->st.dropped_malformed++;
		sa_log(sa, LOG_IKE, 1, "dropping %s message %u without an SK payload",
		       ike_exchange_name(m->hdr.exchange), m->hdr.msgid);
		return false;
	}
	if (ike_msg_decrypt(buf, len, m, &sa->sk_in, d->plain, &plen, d->rx_inner, &err)) {
		if (err.code == IKE_ERR_INTEGRITY)
			d->st.dropped_integrity++;
		else
			d->st.dropped_malformed++;
		if (log_ratelimit(&d->rl_drop, d->now, 10, 1000))
			sa_log(sa, LOG_IKE, 1, "dropping %s message %u: %s",
			       ike_exchange_name(m->hdr.exchange), m->hdr.msgid, err.reason);
		return false;
	}
	*inner = d->rx_inner;
	log_payloads(sa, false, m->hdr.exchange, m->hdr.flags & IKE_FLAG_RESPONSE, m->hdr.msgid,
		     d->rx_inner->pl, d->rx_inner->npl);
	return true;
}

/*
 * Keeps PM (a decrypted IKE_AUTH message) in sa->wait for
 * exchange_auth_resume: its check waits for a revocation fetch.
 */
static void auth_suspend(struct ike_sa *sa, const struct ike_msg *pm, uint64_t req_hash)
{
	struct ike_buf b;
	uint8_t *p = malloc(IKE_MAX_MSG);

	sa->wait.requested = false;
	if (!p) {
		ike_sa_fail(sa, "out of memory to wait for a revocation fetch");
		return;
	}
	ike_buf_init(&b, p, IKE_MAX_MSG);
	if (ike_payloads_encode(pm->pl, pm->npl, &b) || !pm->npl) {
		free(p);
		ike_sa_fail(sa, "cannot keep the IKE_AUTH message while its revocation check waits");
		return;
	}
	free(sa->wait.pl);
	sa->wait.pl = p;
	sa->wait.len = b.len;
	sa->wait.first = pm->pl[0].type;
	sa->wait.hdr = pm->hdr;
	sa->wait.mid = pm->hdr.msgid;
	sa->wait.req_hash = req_hash;
	sa->wait.active = true;
	/* Initiator: we have the answer; no more retransmissions of ours. */
	if (sa->initiator)
		timer_cancel(sa->d, &sa->req.timer);
	sa_log(sa, LOG_IKE, 1, "the IKE_AUTH %s %u waits for a revocation fetch",
	       sa->initiator ? "response" : "request", pm->hdr.msgid);
}

static void process_response(struct ike_sa *sa, struct task *t, const struct ike_msg *pm,
			     const uint8_t *buf, size_t len)
{
	enum task_result res;

	res = t->ops->process(sa, t, pm, buf, len);
	if (sa->state == IKE_S_DEAD)
		return;
	if (sa->wait.requested) {
		auth_suspend(sa, pm, 0);
		return;
	}
	if (res == TASK_RETRY) {
		/* IKE_SA_INIT starts over at 0; any later exchange asked again
		 * (INVALID_KE_PAYLOAD) is a new one, with the next id. */
		if (t->ops->exchange != IKE_SA_INIT && t->ops->exchange != IKE_SESSION_RESUME)
			sa->req.mid = ++sa->mid_next;
		if (send_request(sa))
			ike_sa_fail(sa, "cannot rebuild our %s request", t->ops->name);
		return;
	}
	finish_request(sa);
	sa->mid_next++;
	start_next(sa);
}

static void handle_response(struct ike_sa *sa, const uint8_t *buf, size_t len,
			    const struct ike_msg *m)
{
	struct daemon *d = sa->d;
	struct task *t = sa->req.task;
	const struct ike_msg *pm = m;

	if (!t || m->hdr.msgid != sa->req.mid || m->hdr.exchange != t->ops->exchange) {
		d->st.dropped_window++;
		sa_log(sa, LOG_IKE, 2, "dropping unexpected %s response %u",
		       ike_exchange_name(m->hdr.exchange), m->hdr.msgid);
		return;
	}
	if (sa->wait.active) {
		sa_log(sa, LOG_IKE, 1, "dropping a repeated %s response %u: the first still "
		       "waits for a revocation fetch", t->ops->name, m->hdr.msgid);
		return;
	}
	if (m->hdr.exchange != IKE_SA_INIT && m->hdr.exchange != IKE_SESSION_RESUME &&
	    !decrypt(sa, buf, len, m, &pm))
		return;
	sa->last_rx = d->now;
	persist_mark(d);	/* message ids (persist.c) */
	sa_log(sa, LOG_IKE, 1, "received %s response %u (%zu bytes)", t->ops->name,
	       m->hdr.msgid, len);
	process_response(sa, t, pm, buf, len);
}

static bool request_allowed(struct ike_sa *sa, uint8_t exchange)
{
	switch (exchange) {
	case IKE_AUTH:
		return !sa->initiator && sa->state == IKE_S_INIT_R;
	case IKE_INFORMATIONAL:
		return sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_DELETING ||
		       sa->state == IKE_S_AUTH_I || sa->state == IKE_S_INIT_R;
	case IKE_CREATE_CHILD_SA:
		/* §2.25: a DELETING IKE SA answers it too (create_child.c refuses). */
		return sa->state == IKE_S_ESTABLISHED || sa->state == IKE_S_DELETING;
	}
	return false;
}

static void answer(struct ike_sa *sa, uint8_t exchange, uint32_t mid, uint64_t req_hash,
		   const struct ike_msg *inner);

static void handle_request(struct ike_sa *sa, const struct endpoint *local,
			   const struct endpoint *remote, const uint8_t *buf, size_t len,
			   const struct ike_msg *m)
{
	struct daemon *d = sa->d;
	const struct ike_msg *inner;
	uint8_t exchange = m->hdr.exchange;
	uint32_t mid = m->hdr.msgid;
	bool moved;

	if (sa->resp.valid && mid == sa->resp.mid) {
		if (msg_find(m, IKE_PL_SKF)) {
			frag_answered(sa, buf, len, m);
		} else if (fnv(buf, len) == sa->resp.req_hash) {
			struct endpoint keep_local = sa->local, keep_remote = sa->remote;

			d->st.retransmits_answered++;
			sa_log(sa, LOG_IKE, 1, "answering a retransmitted %s request %u from cache",
			       ike_exchange_name(exchange), mid);
			/* Where it came from (§2.11): a MOBIKE client may try
			 * another path, and this moves nothing. */
			sa->local = *local;
			sa->remote = *remote;
			frag_send(sa, &sa->resp.frags, sa->resp.pkt, sa->resp.len);
			sa->local = keep_local;
			sa->remote = keep_remote;
			if (exchange == IKE_CREATE_CHILD_SA)
				child_sa_peer_busy(sa);
		} else {
			d->st.dropped_window++;
		}
		return;
	}
	if (sa->wait.active && mid == sa->wait.mid) {
		sa_log(sa, LOG_IKE, 1, "the peer repeated its %s request %u: it is answered once "
		       "its revocation check has an answer", ike_exchange_name(exchange), mid);
		return;
	}
	if (mid != sa->mid_peer || exchange == IKE_SA_INIT || exchange == IKE_SESSION_RESUME) {
		d->st.dropped_window++;
		sa_log(sa, LOG_IKE, 2, "dropping %s request %u (expected %u)",
		       ike_exchange_name(exchange), mid, sa->mid_peer);
		return;
	}
	if (!decrypt(sa, buf, len, m, &inner))
		return;
	sa->last_rx = d->now;
	persist_mark(d);	/* message ids, the cached response (persist.c) */
	if (!request_allowed(sa, exchange)) {
		d->st.dropped_window++;
		sa_log(sa, LOG_IKE, 1, "dropping %s request in state %s",
		       ike_exchange_name(exchange), ike_state_name(sa->state));
		return;
	}
	moved = !endpoint_equal(remote, &sa->remote) || !endpoint_equal(local, &sa->local);
	/* With MOBIKE only UPDATE_SA_ADDRESSES moves the IKE SA (RFC 4555
	 * §3.5, mobike.c), and without MOBIKE that request moves nothing;
	 * other requests are answered where they came from. Only a peer behind
	 * a NAT is still followed to a new mapping (§2.23): our clients do not
	 * probe their NAT mappings as charon's do. */
	if (moved && ((sa->mobike && !sa->nat_remote) ||
		      (exchange == IKE_INFORMATIONAL &&
		       msg_find_notify(inner, IKE_N_UPDATE_SA_ADDRESSES)))) {
		struct endpoint keep_local = sa->local, keep_remote = sa->remote;

		sa->local = *local;
		sa->remote = *remote;
		sa->mobike_moved = false;
		sa_log(sa, LOG_IKE, 1, "received %s request %u (%zu bytes) from a new address",
		       ike_exchange_name(exchange), mid, len);
		answer(sa, exchange, mid, fnv(buf, len), inner);
		if (sa->state != IKE_S_DEAD && !sa->mobike_moved) {
			sa->local = keep_local;
			sa->remote = keep_remote;
		}
		return;
	}
	/* Authenticated: the peer's NAT-T float (or a NAT's new mapping) is
	 * where we answer from now on (RFC 7296 §2.23). */
	if (moved) {
		char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];

		sa_log(sa, LOG_IKE, 1, "peer moved to %s (us %s)",
		       endpoint_str(remote, a, sizeof(a)), endpoint_str(local, b, sizeof(b)));
		sa->remote = *remote;
		sa->local = *local;
		child_sas_follow_peer(sa);
	}
	sa_log(sa, LOG_IKE, 1, "received %s request %u (%zu bytes)", ike_exchange_name(exchange),
	       mid, len);
	answer(sa, exchange, mid, fnv(buf, len), inner);
}

/* Our response to request MID (of EXCHANGE; REQ_HASH: its datagram's). */
static void answer(struct ike_sa *sa, uint8_t exchange, uint32_t mid, uint64_t req_hash,
		   const struct ike_msg *inner)
{
	struct msg_out *resp = sa->d->out;
	uint8_t *pkt;
	size_t plen;

	msg_reset(resp);
	switch (exchange) {
	case IKE_AUTH:
		ike_auth_respond(sa, inner, resp);
		break;
	case IKE_INFORMATIONAL:
		info_respond(sa, inner, resp);
		break;
	case IKE_CREATE_CHILD_SA:
		create_child_respond(sa, inner, resp);
		break;
	}
	if (sa->state == IKE_S_DEAD)
		return;
	if (sa->wait.requested) {
		auth_suspend(sa, inner, req_hash);
		return;
	}
	if (exchange_encode(sa, exchange, mid, true, resp, &pkt, &plen)) {
		ike_sa_fail(sa, "cannot encode our %s response", ike_exchange_name(exchange));
		return;
	}
	free(sa->resp.pkt);
	sa->resp.valid = true;
	sa->resp.mid = mid;
	sa->resp.req_hash = req_hash;
	sa->resp.pkt = pkt;
	sa->resp.len = plen;
	sa->mid_peer++;
	if (frag_split(sa, exchange, mid, true, resp, plen, &sa->resp.frags))
		sa_log(sa, LOG_IKE, 0, "sending our %s response whole", ike_exchange_name(exchange));
	frag_send(sa, &sa->resp.frags, pkt, plen);
	if (exchange == IKE_AUTH || exchange == IKE_CREATE_CHILD_SA)
		child_sa_respond_done(sa);
	redirect_answered(sa);
	if (sa->close_after_send)
		ike_sa_destroy(sa, sa->error[0] ? sa->error : "closed");
}

void exchange_auth_resume(struct ike_sa *sa)
{
	struct daemon *d = sa->d;
	struct ike_msg *m = d->rx_inner;
	struct ike_error err = { 0 };
	uint8_t *pl = sa->wait.pl;

	if (!sa->wait.active)
		return;
	sa->wait.active = false;
	sa->wait.pl = NULL;
	if (ike_payloads_decode(&sa->wait.hdr, sa->wait.first, pl, sa->wait.len, m, &err)) {
		free(pl);
		ike_sa_fail(sa, "cannot read back the IKE_AUTH message that waited: %s",
			    err.reason);
		return;
	}
	sa_log(sa, LOG_IKE, 1, "the revocation fetch ended: checking IKE_AUTH %s %u again",
	       sa->initiator ? "response" : "request", sa->wait.mid);
	if (sa->initiator) {
		if (sa->req.task && sa->req.mid == sa->wait.mid)
			process_response(sa, sa->req.task, m, NULL, 0);
	} else {
		answer(sa, IKE_AUTH, sa->wait.mid, sa->wait.req_hash, m);
	}
	ike_msg_release(m);
	free(pl);
}

void ike_receive(struct daemon *d, const struct endpoint *local, const struct endpoint *remote,
		 const uint8_t *buf, size_t len)
{
	struct ike_msg *m = d->rx;
	struct ike_error err = { 0 };
	const uint8_t *our_spi;
	struct ike_sa *sa;
	bool from_initiator;
	char peer[ENDPOINT_STRLEN];

	d->st.rx++;
	if (len >= IKE_HDR_LEN && buf[17] >> 4 == 1) {
		/* RFC 7296 §2.5: not answered; said, so a legacy peer is seen. */
		d->st.dropped_ikev1++;
		if (log_ratelimit(&d->rl_ikev1, d->now, 1, 10000))
			log_msg(LOG_NET, 0, "IKEv1 from %s is not supported (kesp speaks IKEv2 only)",
				endpoint_str(remote, peer, sizeof(peer)));
		return;
	}
	if (ike_msg_decode(buf, len, m, &err)) {
		d->st.dropped_malformed++;
		if (log_ratelimit(&d->rl_drop, d->now, 10, 1000))
			log_msg(LOG_NET, 1, "dropping %zu bytes from %s: %s", len,
				endpoint_str(remote, peer, sizeof(peer)), err.reason);
		return;
	}
	from_initiator = m->hdr.flags & IKE_FLAG_INITIATOR;
	if (m->hdr.exchange == IKE_SA_INIT || m->hdr.exchange == IKE_SESSION_RESUME)
		log_payloads(NULL, false, m->hdr.exchange, m->hdr.flags & IKE_FLAG_RESPONSE,
			     m->hdr.msgid, m->pl, m->npl);
	if ((m->hdr.exchange == IKE_SA_INIT || m->hdr.exchange == IKE_SESSION_RESUME) &&
	    !(m->hdr.flags & IKE_FLAG_RESPONSE)) {
		static const uint8_t zero[8];

		if (!from_initiator || memcmp(m->hdr.spi_r, zero, 8) || m->hdr.msgid) {
			d->st.dropped_malformed++;
			ike_msg_release(m);
			return;
		}
		if (m->hdr.exchange == IKE_SESSION_RESUME)
			resume_respond(d, local, remote, buf, len, m);
		else
			ike_init_respond(d, local, remote, buf, len, m);
		ike_msg_release(m);
		return;
	}
	our_spi = from_initiator ? m->hdr.spi_r : m->hdr.spi_i;
	sa = ike_sa_find_spi(d, our_spi);
	if (!sa || sa->initiator == from_initiator ||
	    (from_initiator && memcmp(sa->spi_i, m->hdr.spi_i, 8)) ||
	    (!from_initiator && sa->state != IKE_S_INIT_I && memcmp(sa->spi_r, m->hdr.spi_r, 8))) {
		d->st.dropped_unknown_spi++;
		if (log_ratelimit(&d->rl_drop, d->now, 10, 1000))
			log_msg(LOG_NET, 1, "dropping %s %s from %s: no IKE SA with those SPIs",
				ike_exchange_name(m->hdr.exchange),
				m->hdr.flags & IKE_FLAG_RESPONSE ? "response" : "request",
				endpoint_str(remote, peer, sizeof(peer)));
		ike_msg_release(m);
		return;
	}
	if (m->hdr.flags & IKE_FLAG_RESPONSE)
		handle_response(sa, buf, len, m);
	else
		handle_request(sa, local, remote, buf, len, m);
	ike_msg_release(d->rx_inner);
	ike_msg_release(m);
}
