// SPDX-License-Identifier: GPL-2.0
/*
 * IKE fragmentation (RFC 7383). Both sides announce
 * IKEV2_FRAGMENTATION_SUPPORTED in IKE_SA_INIT; from IKE_AUTH on, a
 * protected message whose datagram (IP and UDP headers, and the non-ESP
 * marker on the NAT-T port, included) would exceed fragment_size goes out
 * as Encrypted Fragment payloads instead: the inner payload chain cut into
 * pieces, each sealed on its own (its own IV and ICV, fragment number and
 * total in the AAD). The fragments are made once and a retransmission
 * sends the same ones again (§2.6.1).
 *
 * The peer's fragments are reassembled per direction (its request, its
 * response to ours) with limits: FRAG_MAX_COUNT fragments, FRAG_MAX_BYTES
 * of inner payloads, and no longer than the peer would retransmit the
 * exchange. Each fragment's ICV is checked before it is kept, so a forged
 * one is dropped without touching the set; a duplicate is ignored; a
 * fragment with a larger Total Fragments than the kept ones replaces them,
 * one with a smaller total is dropped (§2.6.1). The caller has checked the
 * message id against the window; a fragment of the next message id ends
 * the set of the previous one. Complete, the chain is decoded as the
 * plaintext of one SK payload and processed as such.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* ---- negotiation ----------------------------------------------------------- */

void frag_announce(struct ike_sa *sa, const struct conn *const *conns, size_t n,
		   struct msg_out *m)
{
	bool any = false;

	if (sa->conn)
		any = sa->conn->fragmentation != FRAG_NO;
	for (size_t i = 0; i < n && !any; i++)
		any = conns[i]->fragmentation != FRAG_NO;
	sa->frag.announced = any;
	if (any)
		msg_add_notify(m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
}

void frag_read_notify(struct ike_sa *sa, const struct ike_msg *m)
{
	sa->frag.peer = msg_find_notify(m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
}

/* ---- sending --------------------------------------------------------------- */

/* fragment_size is the whole IP datagram, as charon's; 0: by family. */
static size_t frag_limit(const struct ike_sa *sa)
{
	unsigned int set = sa->d->cfg->set.fragment_size;

	if (set)
		return set;
	return sa->remote.addr.family == AF_INET6 ? 1280 : 576;
}

/* IP and UDP headers, and the non-ESP marker on the NAT-T port. */
static size_t datagram_overhead(const struct ike_sa *sa)
{
	return (sa->remote.addr.family == AF_INET6 ? 40 : 20) + 8 +
	       (sa->local.port == sa->d->cfg->set.port_nat_t ? 4 : 0);
}

void frag_train_free(struct frag_train *t)
{
	free(t->buf);
	free(t->len);
	memset(t, 0, sizeof(*t));
}

int frag_split(struct ike_sa *sa, uint8_t exchange, uint32_t mid, bool response,
	       const struct msg_out *m, size_t len, struct frag_train *out)
{
	struct ike_header h = { .version = 0x20, .exchange = exchange, .msgid = mid };
	struct ike_error err = { 0 };
	size_t limit = frag_limit(sa), over = datagram_overhead(sa), room, chunk, n;
	uint8_t *inner = NULL;
	struct ike_buf ib, b;
	int rc = -1;

	frag_train_free(out);
	if (exchange == IKE_SA_INIT || !sa->frag.peer || !sa->frag.announced ||
	    (sa->conn && sa->conn->fragmentation != FRAG_YES) || len + over <= limit)
		return 0;
	room = limit - over - IKE_HDR_LEN - IKE_PL_HDR_LEN - 4;
	if (limit < over + IKE_HDR_LEN + IKE_PL_HDR_LEN + 4 ||
	    ike_sk_overhead(&sa->sk_out, 1) > room) {
		sa_log(sa, LOG_IKE, 0, "fragment_size %zu leaves no room for a fragment", limit);
		return -1;
	}
	/* The most inner bytes whose IV, padding and ICV still fit. */
	for (chunk = room; ike_sk_overhead(&sa->sk_out, chunk) > room; chunk--)
		;
	inner = malloc(IKE_MAX_MSG);
	if (!inner)
		return -1;
	ike_buf_init(&ib, inner, IKE_MAX_MSG);
	if (ike_payloads_encode(m->pl, m->n, &ib) || ib.overflow)
		goto out;
	n = (ib.len + chunk - 1) / chunk;
	if (n > 0xffff)
		goto out;
	out->buf = malloc(n * limit);
	out->len = calloc(n, sizeof(*out->len));
	if (!out->buf || !out->len)
		goto out;
	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	h.flags = (uint8_t)((sa->initiator ? IKE_FLAG_INITIATOR : 0) |
			    (response ? IKE_FLAG_RESPONSE : 0));
	for (size_t i = 0, off = 0; i < n; i++, off += chunk) {
		size_t piece = ib.len - off < chunk ? ib.len - off : chunk;

		ike_buf_init(&b, out->buf + i * limit, limit - over);
		if (ike_msg_encode_skf(&h, m->n ? m->pl[0].type : 0, (uint16_t)(i + 1),
				       (uint16_t)n, inner + off, piece, &sa->sk_out, NULL, &b,
				       &err)) {
			sa_log(sa, LOG_IKE, 0, "cannot encode fragment %zu of %zu: %s", i + 1, n,
			       err.reason);
			goto out;
		}
		out->len[i] = b.len;
	}
	out->n = n;
	out->stride = limit;
	sa->d->st.fragments_sent += n;
	sa_log(sa, LOG_IKE, 1, "splitting %s %s %u (%zu bytes) into %zu fragments "
	       "(fragment_size %zu)", ike_exchange_name(exchange),
	       response ? "response" : "request", mid, len, n, limit);
	rc = 0;
out:
	ike_wipe(inner, IKE_MAX_MSG);
	free(inner);
	if (rc)
		frag_train_free(out);
	return rc;
}

void frag_send(struct ike_sa *sa, const struct frag_train *t, const uint8_t *pkt, size_t len)
{
	if (!t->n) {
		exchange_send_raw(sa, pkt, len);
		return;
	}
	for (size_t i = 0; i < t->n; i++)
		exchange_send_raw(sa, t->buf + i * t->stride, t->len[i]);
}

/* ---- receiving ------------------------------------------------------------- */

static void reasm_clear(struct frag_reasm *r)
{
	for (size_t i = 0; i < FRAG_MAX_COUNT; i++) {
		if (r->part[i]) {
			ike_wipe(r->part[i], r->part_len[i]);
			free(r->part[i]);
		}
		r->part[i] = NULL;
		r->part_len[i] = 0;
	}
	r->active = false;
	r->total = r->have = 0;
	r->bytes = 0;
	r->first = 0;
	if (r->sa)
		timer_cancel(r->sa->d, &r->timer);
}

static void reasm_timeout(struct daemon *d, struct timer *t)
{
	struct frag_reasm *r = (struct frag_reasm *)((char *)t - offsetof(struct frag_reasm, timer));

	(void)d;
	sa_log(r->sa, LOG_IKE, 1, "dropping %u of %u fragments of message %u: the rest did not "
	       "come in time", r->have, r->total, r->mid);
	r->sa->d->st.fragment_sets_dropped++;
	reasm_clear(r);
}

/* As long as the peer would retransmit an exchange (our own schedule). */
static uint64_t reasm_lifetime(const struct daemon *d)
{
	return exchange_give_up_ms(d);
}

static struct frag_reasm *reasm_slot(struct ike_sa *sa, bool response)
{
	struct frag_reasm **pr = response ? &sa->frag.resp : &sa->frag.req;

	if (!*pr) {
		*pr = calloc(1, sizeof(**pr));
		if (!*pr)
			return NULL;
		(*pr)->sa = sa;
		timer_init(&(*pr)->timer, reasm_timeout);
	}
	return *pr;
}

/* Verifies and decrypts fragment M into d->plain; false: dropped. */
static bool open_fragment(struct ike_sa *sa, const uint8_t *buf, size_t len,
			  const struct ike_msg *m, const struct ike_pl_skf **skf, size_t *plen)
{
	struct daemon *d = sa->d;
	struct ike_error err = { 0 };
	struct ike_msg scratch;
	const struct ike_payload *last = m->npl ? &m->pl[m->npl - 1] : NULL;

	if (!last || last->type != IKE_PL_SKF || !sa->keys_ready) {
		d->st.dropped_malformed++;
		return false;
	}
	*skf = &last->u.skf;
	if (ike_msg_decrypt(buf, len, m, &sa->sk_in, d->plain, plen, &scratch, &err)) {
		if (err.code == IKE_ERR_INTEGRITY)
			d->st.dropped_integrity++;
		else
			d->st.dropped_malformed++;
		if (log_ratelimit(&d->rl_drop, d->now, 10, 1000))
			sa_log(sa, LOG_IKE, 1, "dropping fragment %u of %u of %s message %u: %s",
			       (*skf)->frag_num, (*skf)->total, ike_exchange_name(m->hdr.exchange),
			       m->hdr.msgid, err.reason);
		return false;
	}
	return true;
}

enum frag_rx frag_receive(struct ike_sa *sa, const uint8_t *buf, size_t len,
			  const struct ike_msg *m, struct ike_msg *inner)
{
	struct daemon *d = sa->d;
	bool response = m->hdr.flags & IKE_FLAG_RESPONSE;
	const char *what = response ? "response" : "request";
	const struct ike_pl_skf *skf;
	struct ike_error err = { 0 };
	struct frag_reasm *r;
	size_t plen, at = 0;
	uint8_t *copy, first;

	inner->npl = 0;
	inner->store = NULL;
	if (!sa->frag.announced) {
		d->st.dropped_malformed++;
		sa_log(sa, LOG_IKE, 1, "dropping a fragment of %s %s %u: we did not announce "
		       "IKE fragmentation (fragmentation = no)", ike_exchange_name(m->hdr.exchange),
		       what, m->hdr.msgid);
		return FRAG_RX_DROP;
	}
	if (!open_fragment(sa, buf, len, m, &skf, &plen))
		return FRAG_RX_DROP;
	r = reasm_slot(sa, response);
	if (!r)
		return FRAG_RX_DROP;
	if (r->active && r->mid != m->hdr.msgid)
		reasm_clear(r);		/* that exchange is over */
	if (skf->total > FRAG_MAX_COUNT) {
		d->st.dropped_malformed++;
		sa_log(sa, LOG_IKE, 1, "dropping fragment %u of %u of %s %u: more than %u fragments",
		       skf->frag_num, skf->total, what, m->hdr.msgid, FRAG_MAX_COUNT);
		return FRAG_RX_DROP;
	}
	if (r->active && skf->total < r->total) {
		d->st.dropped_window++;
		sa_log(sa, LOG_IKE, 1, "dropping fragment %u of %u of %s %u: we hold fragments "
		       "of %u", skf->frag_num, skf->total, what, m->hdr.msgid, r->total);
		return FRAG_RX_DROP;
	}
	if (r->active && skf->total > r->total) {
		/* §2.6.1: the peer cut the message again, smaller. */
		sa_log(sa, LOG_IKE, 1, "%s %u now comes in %u fragments, not %u: starting over",
		       what, m->hdr.msgid, skf->total, r->total);
		reasm_clear(r);
	}
	if (!r->active) {
		r->active = true;
		r->mid = m->hdr.msgid;
		r->total = skf->total;
		timer_arm(d, &r->timer, reasm_lifetime(d));
	}
	if (r->part[skf->frag_num - 1]) {
		sa_log(sa, LOG_IKE, 2, "ignoring a duplicate of fragment %u of %u of %s %u",
		       skf->frag_num, skf->total, what, m->hdr.msgid);
		return FRAG_RX_PENDING;
	}
	if (plen > FRAG_MAX_BYTES - r->bytes) {
		d->st.dropped_malformed++;
		d->st.fragment_sets_dropped++;
		sa_log(sa, LOG_IKE, 1, "dropping the fragments of %s %u: more than %u bytes",
		       what, m->hdr.msgid, FRAG_MAX_BYTES);
		reasm_clear(r);
		return FRAG_RX_DROP;
	}
	copy = malloc(plen ? plen : 1);
	if (!copy)
		return FRAG_RX_DROP;
	memcpy(copy, d->plain, plen);
	r->part[skf->frag_num - 1] = copy;
	r->part_len[skf->frag_num - 1] = plen;
	r->bytes += plen;
	r->have++;
	if (skf->frag_num == 1)
		r->first = m->pl[m->npl - 1].next;
	d->st.fragments_received++;
	sa_log(sa, LOG_IKE, 2, "received fragment %u of %u of %s %s %u",
	       skf->frag_num, skf->total, ike_exchange_name(m->hdr.exchange), what, m->hdr.msgid);
	if (r->have < r->total)
		return FRAG_RX_PENDING;
	for (size_t i = 0; i < r->total; i++) {
		memcpy(d->plain + at, r->part[i], r->part_len[i]);
		at += r->part_len[i];
	}
	sa_log(sa, LOG_IKE, 1, "reassembled %s %s %u from %u fragments (%zu bytes)",
	       ike_exchange_name(m->hdr.exchange), what, m->hdr.msgid, r->total, at);
	first = r->first;
	reasm_clear(r);
	if (ike_payloads_decode(&m->hdr, first, d->plain, at, inner, &err)) {
		d->st.dropped_malformed++;
		sa_log(sa, LOG_IKE, 1, "dropping reassembled %s %u: %s", what, m->hdr.msgid,
		       err.reason);
		return FRAG_RX_DROP;
	}
	return FRAG_RX_DONE;
}

void frag_answered(struct ike_sa *sa, const uint8_t *buf, size_t len, const struct ike_msg *m)
{
	const struct ike_pl_skf *skf;
	size_t plen;

	if (!sa->frag.announced || !open_fragment(sa, buf, len, m, &skf, &plen))
		return;
	if (skf->frag_num != 1)
		return;
	sa->d->st.retransmits_answered++;
	sa_log(sa, LOG_IKE, 1, "answering a retransmitted %s request %u (fragment 1 of %u) "
	       "from cache", ike_exchange_name(m->hdr.exchange), m->hdr.msgid, skf->total);
	frag_send(sa, &sa->resp.frags, sa->resp.pkt, sa->resp.len);
	if (m->hdr.exchange == IKE_CREATE_CHILD_SA)
		child_sa_peer_busy(sa);
}

void frag_sa_free(struct ike_sa *sa)
{
	struct frag_reasm *rs[2] = { sa->frag.req, sa->frag.resp };

	for (size_t i = 0; i < 2; i++)
		if (rs[i]) {
			reasm_clear(rs[i]);
			free(rs[i]);
		}
	sa->frag.req = sa->frag.resp = NULL;
	frag_train_free(&sa->req.frags);
	frag_train_free(&sa->resp.frags);
}
