// SPDX-License-Identifier: GPL-2.0
/*
 * IKEv2 session resumption (RFC 5723), both roles, tickets "by value".
 *
 * A client with resumption = yes sends TICKET_REQUEST in its first IKE_AUTH
 * request; a gateway whose connection has resumption = yes answers with
 * TICKET_LT_OPAQUE (a lifetime and the ticket), else TICKET_NACK. The
 * client keeps the ticket, in memory, with its own copy of what the ticket
 * holds (SK_d, algorithms, identities). When it initiates that connection
 * again (a DPD restart, kespctl ike up, start_action) while the ticket is
 * valid, it sends IKE_SESSION_RESUME: Ni and TICKET_OPAQUE; the gateway
 * answers with its SPI and Nr, or TICKET_NACK. Both derive the new keys
 * (§5.1):
 *   SKEYSEED = prf(SK_d_old, "Resumption" | Ni | Nr)
 *   {SK_d | SK_ai | ...} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 * with the old IKE SA's algorithms. IKE_AUTH follows (§4.3.3): IDi and IDr
 * must be the ticket's, no CERT and no EAP; AUTH is method 2 with
 *   AUTH = prf(SK_px, <SignedOctets>)
 * the signed octets as RFC 7296 §2.15 with the IKE_SESSION_RESUME messages
 * in place of IKE_SA_INIT's. The CHILD_SAs are negotiated again in it, and
 * it asks for the next ticket. A ticket is used once: the client drops it
 * when it sends it; on TICKET_NACK, no answer after one retransmission,
 * or any failure (also in the resumed IKE_AUTH) it starts a full
 * IKE_SA_INIT at once. A ticket of REFRESH_MIN_LIFETIME or more is renewed
 * at 90% of its lifetime by an INFORMATIONAL with TICKET_REQUEST (on
 * whichever IKE SA of the connection is up, so also after a rekey).
 *
 * The ticket (gateway): version 1 | key id (4) | nonce (12) | AES-256-GCM
 * ciphertext | tag (16), the first five bytes authenticated as AAD. The
 * plaintext: expiry (unix seconds, 8), prf, encr, encr_bits, integ, dh
 * (2 each), SK_d, IDi, IDr (type, length, data), the connection's name,
 * its remote auth class and the EAP identity. The ticket key rotates every
 * ticket_key_rotate (default ticket_lifetime); the previous key still
 * opens tickets, older ones do not. The keys live in ticket_key_file
 * (default ikehelper-ticket.key in the state directory, 0600), so a
 * restarted gateway, or a second gateway reading the same file, opens the
 * tickets; a ticket under a key id we do not hold makes us read the file
 * again (the other gateway may have rotated).
 *
 * Replay (§9.3): a gateway remembers the tag of every ticket it accepted
 * until the ticket expires and refuses it a second time (TICKET_NACK). The
 * memory is per process: a restarted gateway, or a second one, would take
 * a ticket once more; the client never sends one twice, and an attacker
 * replaying the first message cannot finish IKE_AUTH without SK_d.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "daemon.h"

#define TICKET_VERSION 1
#define TICKET_HDR 5		/* version, key id */
#define TICKET_NONCE 12
#define TICKET_TAG 16
#define TICKET_MAX 1024
#define TICKET_KEY_FILE "ikehelper-ticket.key"
#define USED_MAX 4096

struct ticket_key {
	bool set;
	uint32_t id;
	int64_t created;	/* wall clock, s */
	uint8_t key[32];
};

struct used_ticket {
	uint8_t tag[TICKET_TAG];
	int64_t expires;
};

struct client_ticket {
	struct client_ticket *next;
	struct daemon *d;
	struct timer t_refresh;		/* a new one asked in an INFORMATIONAL */
	struct resume_state st;
};

/* A ticket of at least this lifetime (s) is renewed at 90% of it. */
#define REFRESH_MIN_LIFETIME 60

struct resume {
	int64_t wall0;			/* the wall clock when d->now was mono0 */
	uint64_t mono0;
	long skew;			/* tests */
	bool keys_loaded;
	char path[300];			/* "" keys in memory only */
	struct ticket_key cur, prev;
	struct used_ticket *used;
	size_t nused;
	struct client_ticket *tickets;
};

static struct resume *get(struct daemon *d)
{
	if (!d->resume) {
		d->resume = calloc(1, sizeof(*d->resume));
		if (!d->resume)
			return NULL;
		d->resume->wall0 = (int64_t)time(NULL);
		d->resume->mono0 = d->now;
	}
	return d->resume;
}

static int64_t wall(struct daemon *d)
{
	struct resume *r = get(d);

	if (!r)
		return (int64_t)time(NULL);
	return r->wall0 + (int64_t)((d->now - r->mono0) / 1000) + r->skew;
}

void resume_test_skew(struct daemon *d, long secs)
{
	if (get(d))
		d->resume->skew += secs;
}

void resume_state_free(struct resume_state *rt)
{
	if (!rt)
		return;
	free(rt->ticket);
	ike_wipe(rt, sizeof(*rt));
	free(rt);
}

void resume_free(struct daemon *d)
{
	struct resume *r = d->resume;

	if (!r)
		return;
	while (r->tickets) {
		struct client_ticket *t = r->tickets;

		r->tickets = t->next;
		timer_cancel(d, &t->t_refresh);
		free(t->st.ticket);
		ike_wipe(t, sizeof(*t));
		free(t);
	}
	free(r->used);
	ike_wipe(r, sizeof(*r));
	free(r);
	d->resume = NULL;
}

/* ---- the gateway's ticket keys ---------------------------------------------- */

static unsigned int rotate_secs(const struct daemon *d)
{
	return d->cfg->set.ticket_key_rotate ? d->cfg->set.ticket_key_rotate :
	       d->cfg->set.ticket_lifetime;
}

static int new_key(struct ticket_key *k, int64_t now)
{
	k->set = true;
	k->created = now;
	if (ike_random_key(&k->id, sizeof(k->id)) || ike_random_key(k->key, sizeof(k->key)))
		return -1;
	return 0;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static bool unhex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

/* "kesp-ticket-keys 1" then a line "ID CREATED KEY" for the current key
 * and one for the previous (if any). */
static int keys_read(struct resume *r)
{
	FILE *f = fopen(r->path, "re");
	struct ticket_key k[2];
	char line[256], khex[80];
	int n = 0;

	if (!f)
		return -1;
	memset(k, 0, sizeof(k));
	if (!fgets(line, sizeof(line), f) || strcmp(line, "kesp-ticket-keys 1\n")) {
		fclose(f);
		return -1;
	}
	while (n < 2 && fgets(line, sizeof(line), f)) {
		unsigned int id;
		long long created;

		if (sscanf(line, "%8x %lld %79s", &id, &created, khex) != 3 ||
		    !unhex(khex, k[n].key, sizeof(k[n].key)))
			break;
		k[n].id = id;
		k[n].created = created;
		k[n].set = true;
		n++;
	}
	ike_wipe(line, sizeof(line));
	ike_wipe(khex, sizeof(khex));
	fclose(f);
	if (!n) {
		ike_wipe(k, sizeof(k));
		return -1;
	}
	r->cur = k[0];
	r->prev = k[1];
	ike_wipe(k, sizeof(k));
	return 0;
}

static int keys_write(struct resume *r)
{
	char buf[400], khex[80];
	const struct ticket_key *k[2] = { &r->cur, &r->prev };
	size_t len = 0;
	int rc = 0;

	len += (size_t)snprintf(buf, sizeof(buf), "kesp-ticket-keys 1\n");
	for (int i = 0; i < 2; i++) {
		if (!k[i]->set)
			continue;
		hex(k[i]->key, sizeof(k[i]->key), khex);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%08x %lld %s\n", k[i]->id,
					(long long)k[i]->created, khex);
	}
	if (len >= sizeof(buf) || persist_write_secret(r->path, buf, len)) {
		log_msg(LOG_IKE, 0, "session resumption: cannot write the ticket key file %s: %s",
			r->path, len >= sizeof(buf) ? "too long" : strerror(errno));
		rc = -1;
	}
	ike_wipe(buf, sizeof(buf));
	ike_wipe(khex, sizeof(khex));
	return rc;
}

/* The keys, loaded once and rotated when due; NULL when none can be had. */
static struct resume *keys(struct daemon *d)
{
	struct resume *r = get(d);
	int64_t now = wall(d);

	if (!r)
		return NULL;
	if (!r->keys_loaded) {
		const char *dir = persist_dir(d);

		if (d->cfg->set.ticket_key_file[0])
			snprintf(r->path, sizeof(r->path), "%s", d->cfg->set.ticket_key_file);
		else if (dir)
			snprintf(r->path, sizeof(r->path), "%s/%s", dir, TICKET_KEY_FILE);
		if (r->path[0] && !keys_read(r)) {
			log_msg(LOG_IKE, 1, "session resumption: ticket keys %08x%s from %s",
				r->cur.id, r->prev.set ? " (and the previous one)" : "", r->path);
		} else {
			if (new_key(&r->cur, now))
				return NULL;
			log_msg(LOG_IKE, 1, "session resumption: new ticket key %08x%s%s", r->cur.id,
				r->path[0] ? " in " : " (in memory only: no state directory)",
				r->path);
			if (r->path[0])
				keys_write(r);
		}
		r->keys_loaded = true;
	}
	if (now - r->cur.created >= (int64_t)rotate_secs(d)) {
		/* The previous key opens tickets for one more period only. */
		bool keep = now - r->cur.created < 2 * (int64_t)rotate_secs(d);

		if (keep)
			r->prev = r->cur;
		else
			ike_wipe(&r->prev, sizeof(r->prev));
		if (new_key(&r->cur, now))
			return NULL;
		if (keep)
			log_msg(LOG_IKE, 1, "session resumption: ticket key %08x replaces %08x (which "
				"still opens tickets until the next rotation)", r->cur.id, r->prev.id);
		else
			log_msg(LOG_IKE, 1, "session resumption: ticket key %08x replaces keys two "
				"rotations old (their tickets are refused)", r->cur.id);
		if (r->path[0])
			keys_write(r);
	}
	return r;
}

static const struct ticket_key *key_by_id(struct resume *r, uint32_t id)
{
	if (r->cur.set && r->cur.id == id)
		return &r->cur;
	if (r->prev.set && r->prev.id == id)
		return &r->prev;
	return NULL;
}

static int aead(bool enc, const uint8_t key[32], const uint8_t *nonce, const uint8_t *aad,
		const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	gnutls_datum_t k = { (unsigned char *)key, 32 };
	gnutls_aead_cipher_hd_t h;
	int rc;

	if (gnutls_aead_cipher_init(&h, GNUTLS_CIPHER_AES_256_GCM, &k) < 0)
		return -1;
	if (enc)
		rc = gnutls_aead_cipher_encrypt(h, nonce, TICKET_NONCE, aad, TICKET_HDR, TICKET_TAG,
						in, inlen, out, outlen);
	else
		rc = gnutls_aead_cipher_decrypt(h, nonce, TICKET_NONCE, aad, TICKET_HDR, TICKET_TAG,
						in, inlen, out, outlen);
	gnutls_aead_cipher_deinit(h);
	return rc < 0 ? -1 : 0;
}

/* ---- the ticket's plaintext ------------------------------------------------- */

static void put_id(struct ike_buf *b, const struct ike_id *id)
{
	ike_buf_put8(b, id->type);
	ike_buf_put16(b, id->len);
	ike_buf_put(b, id->data, id->len);
}

static void put_str(struct ike_buf *b, const char *s)
{
	size_t n = strlen(s);

	ike_buf_put8(b, (uint8_t)(n > 255 ? 255 : n));
	ike_buf_put(b, s, n > 255 ? 255 : n);
}

static size_t encode_state(const struct resume_state *st, uint8_t *out, size_t cap)
{
	struct ike_buf b;

	ike_buf_init(&b, out, cap);
	ike_buf_put32(&b, (uint32_t)((uint64_t)st->expires >> 32));
	ike_buf_put32(&b, (uint32_t)st->expires);
	ike_buf_put16(&b, st->prf);
	ike_buf_put16(&b, st->encr);
	ike_buf_put16(&b, st->encr_bits);
	ike_buf_put16(&b, st->integ);
	ike_buf_put16(&b, st->dh);
	ike_buf_put8(&b, (uint8_t)st->sk_d_len);
	ike_buf_put(&b, st->sk_d, st->sk_d_len);
	put_id(&b, &st->idi);
	put_id(&b, &st->idr);
	put_str(&b, st->conn);
	ike_buf_put8(&b, st->remote_auth);
	put_str(&b, st->eap_user);
	return b.overflow ? 0 : b.len;
}

struct rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static const uint8_t *take(struct rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || r->left < n) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

static unsigned int get8(struct rd *r)
{
	const uint8_t *p = take(r, 1);

	return p ? p[0] : 0;
}

static unsigned int get16(struct rd *r)
{
	const uint8_t *p = take(r, 2);

	return p ? (unsigned int)(p[0] << 8 | p[1]) : 0;
}

static void get_id(struct rd *r, struct ike_id *id)
{
	const uint8_t *p;

	id->type = (uint8_t)get8(r);
	id->len = (uint16_t)get16(r);
	if (id->len > IKE_ID_MAX) {
		r->bad = true;
		return;
	}
	p = take(r, id->len);
	if (p)
		memcpy(id->data, p, id->len);
}

static void get_str(struct rd *r, char *out, size_t cap)
{
	size_t n = get8(r);
	const uint8_t *p = take(r, n);

	if (!p || n >= cap) {
		r->bad = true;
		out[0] = 0;
		return;
	}
	memcpy(out, p, n);
	out[n] = 0;
}

static int decode_state(const uint8_t *in, size_t len, struct resume_state *st)
{
	struct rd r = { in, len, false };
	const uint8_t *p;
	uint64_t hi, lo;

	memset(st, 0, sizeof(*st));
	hi = (uint64_t)get16(&r) << 16;
	hi |= get16(&r);
	lo = (uint64_t)get16(&r) << 16;
	lo |= get16(&r);
	st->expires = (int64_t)(hi << 32 | lo);
	st->prf = (uint16_t)get16(&r);
	st->encr = (uint16_t)get16(&r);
	st->encr_bits = (uint16_t)get16(&r);
	st->integ = (uint16_t)get16(&r);
	st->dh = (uint16_t)get16(&r);
	st->sk_d_len = get8(&r);
	if (st->sk_d_len > sizeof(st->sk_d) || st->sk_d_len != ike_prf_len(st->prf))
		return -1;
	p = take(&r, st->sk_d_len);
	if (p)
		memcpy(st->sk_d, p, st->sk_d_len);
	get_id(&r, &st->idi);
	get_id(&r, &st->idr);
	get_str(&r, st->conn, sizeof(st->conn));
	st->remote_auth = (uint8_t)get8(&r);
	get_str(&r, st->eap_user, sizeof(st->eap_user));
	return r.bad || r.left ? -1 : 0;
}

/* The state of established SA as a ticket holds it (our side's view). */
static void state_of(struct ike_sa *sa, struct resume_state *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->conn, sizeof(st->conn), "%s", sa->conn->name);
	st->prf = sa->prf;
	st->encr = sa->encr;
	st->encr_bits = sa->encr_bits;
	st->integ = sa->integ;
	st->dh = sa->dh_group;
	st->sk_d_len = ike_prf_len(sa->prf);
	memcpy(st->sk_d, sa->keys.sk_d, st->sk_d_len);
	st->idi = sa->initiator ? sa->id_local : sa->id_remote;
	st->idr = sa->initiator ? sa->id_remote : sa->id_local;
	st->remote_auth = (uint8_t)sa->conn->remote_auth;
}

/* ---- gateway: issuing ------------------------------------------------------- */

void resume_auth_respond(struct ike_sa *sa, struct msg_out *resp, const char *who)
{
	struct daemon *d = sa->d;
	struct resume *r;
	struct resume_state st;
	uint8_t plain[TICKET_MAX], *out;
	uint32_t lifetime = d->cfg->set.ticket_lifetime;
	size_t plen, clen;

	if (!sa->ticket_wanted)
		return;
	sa->ticket_wanted = false;
	/* The EAP identity, for the tickets of later refreshes. */
	if (!sa->rt)
		sa->rt = calloc(1, sizeof(*sa->rt));
	if (sa->rt && who && who != sa->rt->eap_user)
		snprintf(sa->rt->eap_user, sizeof(sa->rt->eap_user), "%s", who);
	if (!sa->conn->resumption) {
		sa_log(sa, LOG_IKE, 1, "the peer asked for a session resumption ticket: answering "
		       "TICKET_NACK (connection '%s' has resumption = no)", sa->conn->name);
		msg_add_notify(resp, IKE_N_TICKET_NACK, NULL, 0);
		return;
	}
	r = keys(d);
	state_of(sa, &st);
	st.expires = wall(d) + lifetime;
	snprintf(st.eap_user, sizeof(st.eap_user), "%s", sa->rt ? sa->rt->eap_user : "");
	plen = encode_state(&st, plain, sizeof(plain));
	out = msg_alloc(resp, 4 + TICKET_HDR + TICKET_NONCE + plen + TICKET_TAG);
	if (!r || !plen || resp->overflow) {
		sa_log(sa, LOG_IKE, 0, "cannot make a session resumption ticket: answering "
		       "TICKET_NACK");
		msg_add_notify(resp, IKE_N_TICKET_NACK, NULL, 0);
		goto out;
	}
	out[0] = (uint8_t)(lifetime >> 24);
	out[1] = (uint8_t)(lifetime >> 16);
	out[2] = (uint8_t)(lifetime >> 8);
	out[3] = (uint8_t)lifetime;
	out[4] = TICKET_VERSION;
	out[5] = (uint8_t)(r->cur.id >> 24);
	out[6] = (uint8_t)(r->cur.id >> 16);
	out[7] = (uint8_t)(r->cur.id >> 8);
	out[8] = (uint8_t)r->cur.id;
	clen = plen + TICKET_TAG;
	if (gnutls_rnd(GNUTLS_RND_NONCE, out + 4 + TICKET_HDR, TICKET_NONCE) < 0 ||
	    aead(true, r->cur.key, out + 4 + TICKET_HDR, out + 4, plain, plen,
		 out + 4 + TICKET_HDR + TICKET_NONCE, &clen)) {
		sa_log(sa, LOG_IKE, 0, "cannot seal a session resumption ticket: answering "
		       "TICKET_NACK");
		msg_add_notify(resp, IKE_N_TICKET_NACK, NULL, 0);
		goto out;
	}
	{
		struct ike_payload *pl = msg_add(resp, IKE_PL_NOTIFY);

		pl->u.notify.protocol = 0;
		pl->u.notify.type = IKE_N_TICKET_LT_OPAQUE;
		pl->u.notify.data.p = out;
		pl->u.notify.data.len = 4 + TICKET_HDR + TICKET_NONCE + clen;
	}
	d->st.tickets_issued++;
	sa_log(sa, LOG_IKE, 1, "session resumption ticket issued (key %08x, lifetime %u s)",
	       r->cur.id, lifetime);
out:
	ike_wipe(plain, sizeof(plain));
	ike_wipe(&st, sizeof(st));
}

/* ---- gateway: IKE_SESSION_RESUME --------------------------------------------- */

static bool used_check(struct daemon *d, const uint8_t *tag, int64_t expires)
{
	struct resume *r = d->resume;
	int64_t now = wall(d);
	size_t j = 0;

	for (size_t i = 0; i < r->nused; i++)
		if (r->used[i].expires > now)
			r->used[j++] = r->used[i];
	r->nused = j;
	for (size_t i = 0; i < r->nused; i++)
		if (!memcmp(r->used[i].tag, tag, TICKET_TAG))
			return false;
	if (!r->used) {
		r->used = calloc(USED_MAX, sizeof(*r->used));
		if (!r->used)
			return false;
	}
	if (r->nused == USED_MAX)
		memmove(r->used, r->used + 1, --r->nused * sizeof(*r->used));
	memcpy(r->used[r->nused].tag, tag, TICKET_TAG);
	r->used[r->nused++].expires = expires;
	return true;
}

/* Opens TICKET into ST; 0, or -1 with WHY. */
static int ticket_open(struct daemon *d, const uint8_t *t, size_t len, struct resume_state *st,
		       char *why, size_t whylen)
{
	struct resume *r = keys(d);
	const struct ticket_key *k;
	uint8_t plain[TICKET_MAX];
	uint32_t id;
	size_t plen = sizeof(plain);
	char when[64];
	int rc = -1;

	if (!r) {
		snprintf(why, whylen, "no ticket key");
		return -1;
	}
	if (len < TICKET_HDR + TICKET_NONCE + TICKET_TAG || len > TICKET_MAX ||
	    t[0] != TICKET_VERSION) {
		snprintf(why, whylen, "not a ticket of ours (%zu bytes, version %u)", len,
			 len ? t[0] : 0);
		return -1;
	}
	id = (uint32_t)t[1] << 24 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 8 | t[4];
	k = key_by_id(r, id);
	if (!k && r->path[0] && !keys_read(r))
		k = key_by_id(r, id);	/* another gateway sharing the file rotated */
	if (!k) {
		when[0] = 0;
		if (r->prev.set)
			snprintf(when, sizeof(when), " and %08x", r->prev.id);
		snprintf(why, whylen, "ticket under key %08x, which we do not hold (ours: %08x%s; "
			 "it is older than the previous key, or from elsewhere)", id, r->cur.id, when);
		return -1;
	}
	if (aead(false, k->key, t + TICKET_HDR, t, t + TICKET_HDR + TICKET_NONCE,
		 len - TICKET_HDR - TICKET_NONCE, plain, &plen)) {
		snprintf(why, whylen, "ticket under key %08x does not verify (forged or modified)",
			 id);
		goto out;
	}
	if (decode_state(plain, plen, st)) {
		snprintf(why, whylen, "ticket under key %08x verifies but does not parse", id);
		goto out;
	}
	if (st->expires <= wall(d)) {
		snprintf(why, whylen, "ticket of '%s' expired %lld s ago", st->conn,
			 (long long)(wall(d) - st->expires));
		goto out;
	}
	if (!used_check(d, t + len - TICKET_TAG, st->expires)) {
		snprintf(why, whylen, "ticket of '%s' was used before (replayed, RFC 5723 §9.3)",
			 st->conn);
		goto out;
	}
	rc = 0;
out:
	ike_wipe(plain, sizeof(plain));
	return rc;
}

static void send_nack(struct daemon *d, const struct endpoint *local,
		      const struct endpoint *remote, const struct ike_msg *req)
{
	static const uint8_t zero[8];
	struct msg_out *m = d->out;
	uint8_t *pkt;
	size_t plen;

	msg_reset(m);
	msg_add_notify(m, IKE_N_TICKET_NACK, NULL, 0);
	if (exchange_encode_plain(req->hdr.spi_i, zero, IKE_SESSION_RESUME, IKE_FLAG_RESPONSE, 0,
				  m, &pkt, &plen))
		return;
	d->st.tx++;
	d->io->send(d->io_ctx, local, remote, pkt, plen);
	free(pkt);
}

/* The IKE SA's proposal from the ticket's algorithms. */
static bool take_algs(struct ike_sa *sa, const struct resume_state *st)
{
	struct ike_proposal p = { .num = 1, .protocol = IKE_PROTO_IKE };

	p.trans[p.ntrans++] = (struct ike_transform){ IKE_TRANS_ENCR, st->encr,
		ike_encr_is_aead(st->encr) || st->encr == IKE_ENCR_AES_CBC ||
		st->encr == IKE_ENCR_AES_CTR ? st->encr_bits : 0, 0 };
	if (st->encr == IKE_ENCR_CHACHA20_POLY1305)
		p.trans[0].keylen = 0;
	p.trans[p.ntrans++] = (struct ike_transform){ IKE_TRANS_PRF, st->prf, 0, 0 };
	if (st->integ)
		p.trans[p.ntrans++] = (struct ike_transform){ IKE_TRANS_INTEG, st->integ, 0, 0 };
	p.trans[p.ntrans++] = (struct ike_transform){ IKE_TRANS_DH, st->dh, 0, 0 };
	return ike_sa_take_proposal(sa, &p);
}

/* SKEYSEED = prf(SK_d_old, "Resumption" | Ni | Nr), then the SK_* (§5.1). */
static int derive(struct ike_sa *sa, const struct resume_state *st, char *why, size_t whylen)
{
	static const char label[] = "Resumption";
	struct ike_slice parts[3] = {
		{ (const uint8_t *)label, sizeof(label) - 1 },
		{ sa->ni, sa->ni_len },
		{ sa->nr, sa->nr_len },
	};
	struct ike_slice ni = { sa->ni, sa->ni_len }, nr = { sa->nr, sa->nr_len };
	uint8_t skeyseed[IKE_PRF_MAX];
	int rc;

	rc = ike_prf_vec(st->prf, st->sk_d, st->sk_d_len, parts, 3, skeyseed);
	if (!rc)
		rc = ike_sa_keys_derive(sa->prf, sa->encr, sa->encr_bits, sa->integ, skeyseed,
					ike_prf_len(sa->prf), &ni, &nr, sa->spi_i, sa->spi_r,
					&sa->keys);
	ike_wipe(skeyseed, sizeof(skeyseed));
	if (rc) {
		snprintf(why, whylen, "key derivation failed");
		return -1;
	}
	return ike_sa_use_keys(sa, why, whylen);
}

void resume_respond(struct daemon *d, const struct endpoint *local,
		    const struct endpoint *remote, const uint8_t *buf, size_t len,
		    const struct ike_msg *m)
{
	const struct ike_payload *nonce = msg_find(m, IKE_PL_NONCE),
				 *ticket = msg_find_notify(m, IKE_N_TICKET_OPAQUE);
	struct resume_state *st;
	const struct conn *c;
	struct ike_sa *sa;
	struct msg_out *out = d->out;
	char peer[ENDPOINT_STRLEN], why[512], a[IKE_ID_STRLEN];
	uint8_t *pkt;
	size_t plen;

	endpoint_str(remote, peer, sizeof(peer));
	sa = ike_sa_find_half_open(d, m->hdr.spi_i, &remote->addr);
	if (sa) {
		if (sa->init_resp && sa->state == IKE_S_INIT_R && sa->resumed) {
			d->st.retransmits_answered++;
			sa_log(sa, LOG_IKE, 1, "answering a retransmitted IKE_SESSION_RESUME from "
			       "cache");
			d->st.tx++;
			d->io->send(d->io_ctx, &sa->local, &sa->remote, sa->init_resp,
				    sa->init_resp_len);
		}
		return;
	}
	if (!nonce || !ticket || nonce->u.raw.len < 16 || nonce->u.raw.len > IKE_NONCE_MAX) {
		d->st.dropped_malformed++;
		log_msg(LOG_IKE, 1, "dropping IKE_SESSION_RESUME from %s without %s", peer,
			!ticket ? "TICKET_OPAQUE" : "a usable nonce");
		return;
	}
	if (d->cfg->set.half_open_max && d->half_open_count >= d->cfg->set.half_open_max) {
		d->st.dropped_half_open++;
		return;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return;
	if (ticket_open(d, ticket->u.notify.data.p, ticket->u.notify.data.len, st, why,
			sizeof(why)))
		goto refuse;
	c = config_find_conn(d->cfg, st->conn);
	if (!c || !c->resumption) {
		snprintf(why, sizeof(why), "ticket of connection '%s', which %s", st->conn,
			 c ? "has resumption = no now" : "is no longer configured");
		goto refuse;
	}
	if (!id_matches(&c->remote_id, &st->idi) || (uint8_t)c->remote_auth != st->remote_auth) {
		snprintf(why, sizeof(why), "ticket for peer '%s', whom connection '%s' no longer "
			 "allows (%s)", id_str(&st->idi, a, sizeof(a)), c->name,
			 (uint8_t)c->remote_auth != st->remote_auth ? "its remote auth changed" :
			 "remote id differs");
		goto refuse;
	}
	sa = ike_sa_new(d, false, local, remote);
	if (!sa)
		goto fail;
	sa->rt = st;
	sa->resumed = true;
	memcpy(sa->spi_i, m->hdr.spi_i, 8);
	memcpy(sa->ni, nonce->u.raw.p, nonce->u.raw.len);
	sa->ni_len = nonce->u.raw.len;
	if (!take_algs(sa, st) || ike_nonce_new(sa->prf, sa->nr, IKE_NONCE_LEN)) {
		ike_sa_fail(sa, "IKE_SESSION_RESUME from %s: the ticket's algorithms are not usable",
			    peer);
		return;
	}
	sa->nr_len = IKE_NONCE_LEN;
	natd_read(sa, m, (const uint8_t[8]){ 0 }, &sa->local, &sa->remote);
	if (derive(sa, st, why, sizeof(why))) {
		ike_sa_fail(sa, "IKE_SESSION_RESUME from %s: %s", peer, why);
		return;
	}
	msg_reset(out);
	{
		struct ike_payload *pl = msg_add(out, IKE_PL_NONCE);

		pl->u.raw.p = sa->nr;
		pl->u.raw.len = sa->nr_len;
	}
	if (sa->peer_natd)
		natd_add(out, sa, sa->spi_r);
	if (exchange_encode_plain(sa->spi_i, sa->spi_r, IKE_SESSION_RESUME, IKE_FLAG_RESPONSE, 0,
				  out, &pkt, &plen)) {
		ike_sa_fail(sa, "cannot encode our IKE_SESSION_RESUME response");
		return;
	}
	sa->init_resp = pkt;
	sa->init_resp_len = plen;
	sa->init_req = malloc(len);
	if (!sa->init_req) {
		ike_sa_fail(sa, "out of memory");
		return;
	}
	memcpy(sa->init_req, buf, len);
	sa->init_req_len = len;
	sa->mid_peer = 1;
	ike_sa_half_open_add(sa);
	sa_log(sa, LOG_IKE, 0, "IKE_SESSION_RESUME from %s: ticket of '%s' for peer '%s' accepted "
	       "(%s); IKE_AUTH follows", peer, st->conn, id_str(&st->idi, a, sizeof(a)),
	       ike_sa_algs(sa, why, sizeof(why)));
	d->st.tx++;
	d->io->send(d->io_ctx, &sa->local, &sa->remote, pkt, plen);
	return;
refuse:
	d->st.tickets_refused++;
	log_msg(LOG_IKE, 0, "IKE_SESSION_RESUME from %s refused: %s: answering TICKET_NACK (a "
		"full IKE_SA_INIT is expected)", peer, why);
	send_nack(d, local, remote, m);
fail:
	resume_state_free(st);
}

const struct conn *resume_auth_conn(struct ike_sa *sa, const struct ike_id *idi, char *why,
				    size_t whylen)
{
	const struct resume_state *st = sa->rt;
	const struct conn *c;
	char a[IKE_ID_STRLEN], b[IKE_ID_STRLEN];

	if (!st) {
		snprintf(why, whylen, "no ticket");
		return NULL;
	}
	if (!id_equal(idi, &st->idi)) {
		snprintf(why, whylen, "IDi '%s' is not the ticket's '%s' (RFC 5723 §4.3.3)",
			 id_str(idi, a, sizeof(a)), id_str(&st->idi, b, sizeof(b)));
		return NULL;
	}
	c = config_find_conn(sa->d->cfg, st->conn);
	if (!c || !c->resumption) {
		snprintf(why, whylen, "connection '%s' of the ticket is gone or has resumption = no",
			 st->conn);
		return NULL;
	}
	return c;
}

const char *resume_eap_user(const struct ike_sa *sa)
{
	return sa->rt && sa->rt->eap_user[0] ? sa->rt->eap_user : NULL;
}

/* ---- the AUTH of a resumed IKE SA --------------------------------------------- */

int resume_auth_add(struct ike_sa *sa, struct msg_out *m, const struct ike_payload *id)
{
	return auth_key_add(m, sa, id, sa->initiator ? sa->keys.sk_pi : sa->keys.sk_pr,
			    ike_prf_len(sa->prf));
}

bool resume_auth_verifies(struct ike_sa *sa, const struct ike_payload *auth,
			  const struct ike_payload *id)
{
	return auth_key_verifies(sa, auth, id, sa->initiator ? sa->keys.sk_pr : sa->keys.sk_pi,
				 ike_prf_len(sa->prf));
}

/* ---- client ------------------------------------------------------------------ */

void resume_auth_add_request(struct ike_sa *sa, struct msg_out *m)
{
	if (sa->conn->resumption)
		msg_add_notify(m, IKE_N_TICKET_REQUEST, NULL, 0);
}

static struct client_ticket **find_ticket(struct resume *r, const char *conn)
{
	struct client_ticket **pp;

	for (pp = &r->tickets; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->st.conn, conn))
			break;
	return pp;
}

static void drop_ticket(struct client_ticket **pp)
{
	struct client_ticket *t = *pp;

	*pp = t->next;
	timer_cancel(t->d, &t->t_refresh);
	free(t->st.ticket);
	ike_wipe(t, sizeof(*t));
	free(t);
}

/* ---- client: a new ticket before this one expires (RFC 5723 §4.3.1) ---- */

static int refresh_build(struct ike_sa *sa, struct task *t, struct msg_out *m)
{
	(void)sa;
	(void)t;
	msg_add_notify(m, IKE_N_TICKET_REQUEST, NULL, 0);
	return m->overflow ? -1 : 0;
}

static enum task_result refresh_process(struct ike_sa *sa, struct task *t,
					const struct ike_msg *m, const uint8_t *raw, size_t rawlen)
{
	(void)t;
	(void)raw;
	(void)rawlen;
	resume_auth_read_ticket(sa, m);
	return TASK_DONE;
}

static const struct task_ops refresh_ops = {
	.name = "INFORMATIONAL (ticket request)",
	.exchange = IKE_INFORMATIONAL,
	.build = refresh_build,
	.process = refresh_process,
	.free = task_free_plain,
};

static void refresh_due(struct daemon *d, struct timer *tm)
{
	struct client_ticket *ct = (struct client_ticket *)((char *)tm -
		offsetof(struct client_ticket, t_refresh));
	const struct conn *c = config_find_conn(d->cfg, ct->st.conn);
	struct ike_sa *sa = c ? daemon_find_sa_for_conn(d, c) : NULL;
	struct task *t;

	if (!sa || sa->state != IKE_S_ESTABLISHED || !sa->initiator || !c->resumption)
		return;
	t = task_alloc(sizeof(struct task), &refresh_ops);
	if (!t)
		return;
	sa_log(sa, LOG_IKE, 1, "session resumption ticket expires in %lld s: asking for a new "
	       "one", (long long)(ct->st.expires - wall(d)));
	exchange_queue(sa, t);
}

void resume_auth_read_ticket(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *lt = msg_find_notify(m, IKE_N_TICKET_LT_OPAQUE);
	struct resume *r;
	struct client_ticket **pp, *t;
	uint32_t lifetime;

	if (!sa->conn->resumption)
		return;
	if (!lt) {
		sa_log(sa, LOG_IKE, 1, "the gateway gave no session resumption ticket (%s)",
		       msg_find_notify(m, IKE_N_TICKET_NACK) ? "TICKET_NACK" :
		       "it does not support RFC 5723");
		return;
	}
	r = get(sa->d);
	if (!r || lt->u.notify.data.len < 5 || lt->u.notify.data.len > 4 + TICKET_MAX)
		return;
	lifetime = (uint32_t)lt->u.notify.data.p[0] << 24 | (uint32_t)lt->u.notify.data.p[1] << 16 |
		   (uint32_t)lt->u.notify.data.p[2] << 8 | lt->u.notify.data.p[3];
	pp = find_ticket(r, sa->conn->name);
	if (*pp)
		drop_ticket(pp);
	t = calloc(1, sizeof(*t));
	if (!t)
		return;
	state_of(sa, &t->st);
	t->st.expires = wall(sa->d) + lifetime;
	t->st.ticket_len = lt->u.notify.data.len - 4;
	t->st.ticket = malloc(t->st.ticket_len);
	if (!t->st.ticket) {
		free(t);
		return;
	}
	memcpy(t->st.ticket, lt->u.notify.data.p + 4, t->st.ticket_len);
	t->d = sa->d;
	timer_init(&t->t_refresh, refresh_due);
	if (lifetime >= REFRESH_MIN_LIFETIME)
		timer_arm(sa->d, &t->t_refresh, (uint64_t)lifetime * 900);
	t->next = r->tickets;
	r->tickets = t;
	sa_log(sa, LOG_IKE, 1, "session resumption ticket kept (%zu bytes, lifetime %u s)",
	       t->st.ticket_len, lifetime);
}

static struct client_ticket **valid_ticket(struct daemon *d, const struct conn *c)
{
	struct resume *r = d->resume;
	struct client_ticket **pp;

	if (!r || !c->resumption)
		return NULL;
	pp = find_ticket(r, c->name);
	if (!*pp)
		return NULL;
	if ((*pp)->st.expires <= wall(d)) {
		log_msg(LOG_IKE, 1, "%s: session resumption ticket expired, dropped", c->name);
		drop_ticket(pp);
		return NULL;
	}
	return pp;
}

bool resume_has_ticket(struct daemon *d, const struct conn *c)
{
	return valid_ticket(d, c) != NULL;
}

long resume_ticket_expires_in(struct daemon *d, const struct conn *c)
{
	struct client_ticket **pp = valid_ticket(d, c);

	return pp ? (long)((*pp)->st.expires - wall(d)) : -1;
}

struct resume_task {
	struct task t;
};

static int resume_build(struct ike_sa *sa, struct task *t, struct msg_out *m)
{
	struct resume_state *st = sa->rt;
	struct ike_payload *pl;

	(void)t;
	if (!st)
		return -1;
	if (!sa->ni_len) {
		if (ike_nonce_new(st->prf, sa->ni, IKE_NONCE_LEN))
			return -1;
		sa->ni_len = IKE_NONCE_LEN;
	}
	if (sa->cookie_len)
		msg_add_notify(m, IKE_N_COOKIE, sa->cookie, sa->cookie_len);
	pl = msg_add(m, IKE_PL_NONCE);
	pl->u.raw.p = sa->ni;
	pl->u.raw.len = sa->ni_len;
	msg_add_notify(m, IKE_N_TICKET_OPAQUE, st->ticket, st->ticket_len);
	natd_add(m, sa, (const uint8_t[8]){ 0 });
	return m->overflow ? -1 : 0;
}

static enum task_result resume_process(struct ike_sa *sa, struct task *t, const struct ike_msg *m,
				       const uint8_t *raw, size_t rawlen)
{
	const struct ike_payload *err = msg_find_error(m), *cookie, *nonce;
	struct resume_state *st = sa->rt;
	char why[512];
	static const uint8_t zero[8];

	(void)t;
	cookie = msg_find_notify(m, IKE_N_COOKIE);
	if (cookie && cookie->u.notify.data.len >= 1 && cookie->u.notify.data.len <= 64 &&
	    ++sa->init_retries <= 5) {
		memcpy(sa->cookie, cookie->u.notify.data.p, cookie->u.notify.data.len);
		sa->cookie_len = cookie->u.notify.data.len;
		return TASK_RETRY;
	}
	if (msg_find_notify(m, IKE_N_TICKET_NACK)) {
		resume_fallback(sa, "the gateway refused our ticket (TICKET_NACK)");
		return TASK_FAILED;
	}
	nonce = msg_find(m, IKE_PL_NONCE);
	if (err || !nonce || !memcmp(m->hdr.spi_r, zero, 8) ||
	    nonce->u.raw.len < ike_nonce_min_len(st->prf) || nonce->u.raw.len > IKE_NONCE_MAX) {
		snprintf(why, sizeof(why), "the gateway's IKE_SESSION_RESUME answer %s%s",
			 err ? "is " : "has no ", err ? ike_notify_name(err->u.notify.type) :
			 !nonce ? "nonce" : "usable nonce or SPI");
		resume_fallback(sa, why);
		return TASK_FAILED;
	}
	memcpy(sa->spi_r, m->hdr.spi_r, 8);
	memcpy(sa->nr, nonce->u.raw.p, nonce->u.raw.len);
	sa->nr_len = nonce->u.raw.len;
	if (!take_algs(sa, st) || derive(sa, st, why, sizeof(why))) {
		resume_fallback(sa, "the ticket's keys are not usable");
		return TASK_FAILED;
	}
	if (ike_init_keep_answer(sa, m, raw, rawlen))
		return TASK_FAILED;
	ike_init_nat_port(sa);
	sa->resumed = true;
	sa->state = IKE_S_AUTH_I;
	sa_log(sa, LOG_IKE, 0, "IKE_SESSION_RESUME done: resuming '%s' (%s); IKE_AUTH follows",
	       sa->conn->name, ike_sa_algs(sa, why, sizeof(why)));
	return TASK_DONE;
}

static const struct task_ops resume_ops = {
	.name = "IKE_SESSION_RESUME",
	.exchange = IKE_SESSION_RESUME,
	.build = resume_build,
	.process = resume_process,
	.free = task_free_plain,
};

struct task *resume_task_new(struct ike_sa *sa)
{
	struct client_ticket **pp = valid_ticket(sa->d, sa->conn), *ct;
	struct task *t;

	if (!pp)
		return NULL;
	t = task_alloc(sizeof(struct resume_task), &resume_ops);
	sa->rt = calloc(1, sizeof(*sa->rt));
	if (!t || !sa->rt) {
		free(t);
		return NULL;
	}
	/* Used once: the ticket moves to the SA that sends it. */
	ct = *pp;
	*pp = ct->next;
	timer_cancel(sa->d, &ct->t_refresh);
	*sa->rt = ct->st;
	ike_wipe(ct, sizeof(*ct));
	free(ct);
	return t;
}

void resume_fallback(struct ike_sa *sa, const char *why)
{
	struct daemon *d = sa->d;
	struct sa_waiter *w = sa->waiters;
	const struct conn *c = sa->conn;
	struct ike_sa *ns;
	char err[512];

	d->st.resume_fallbacks++;
	sa_log(sa, LOG_IKE, 0, "session resumption of '%s' failed: %s: a full IKE_SA_INIT "
	       "follows", c->name, why);
	sa->waiters = NULL;
	ns = daemon_initiate_to(d, c, sa->want_child, NULL, NULL, err, sizeof(err));
	for (struct sa_waiter *n; w; w = n) {
		n = w->next;
		w->next = NULL;
		if (ns) {
			ike_sa_add_waiter(ns, w);
		} else {
			w->sa = NULL;
			w->done(w, false, err);
		}
	}
	sa->end = END_LOCAL;
	ike_sa_destroy(sa, why);
}
