// SPDX-License-Identifier: GPL-2.0
/*
 * IKE_SA_INIT (RFC 7296 §1.2), both halves: proposals, KE, nonces, NAT
 * detection (§2.23), COOKIE (§2.6) with a rotating secret once too many
 * SAs are half-open, INVALID_KE_PAYLOAD (§1.2) and the initiator's retry,
 * SIGNATURE_HASH_ALGORITHMS (RFC 7427) both ways (the peer's list is kept
 * for signing in IKE_AUTH), and the responder's CERTREQ (§3.7) for its
 * candidate connections that take certificates, and CHILDLESS_IKEV2_SUPPORTED
 * (RFC 6023): the responder's offer, without which the initiator sends no
 * IKE_AUTH that lacks a CHILD_SA (childless = force, or no CHILD_SA).
 *
 * The responder keeps no state before it has chosen a proposal and seen a
 * KE of the group it chose: a COOKIE, NO_PROPOSAL_CHOSEN or INVALID_KE
 * answer is stateless, so a flood of forged initiators costs no memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "daemon.h"

#define INIT_RETRIES_MAX 5
#define COOKIE_ROTATE_MS (120 * 1000)
#define COOKIE_LEN 17		/* version byte + 16 bytes of HMAC-SHA-256 */


void natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], const struct endpoint *e,
	       uint8_t out[20])
{
	uint8_t buf[8 + 8 + 16 + 2];
	size_t alen = addr_len(e->addr.family);

	memcpy(buf, spi_i, 8);
	memcpy(buf + 8, spi_r, 8);
	memcpy(buf + 16, e->addr.ip, alen);
	buf[16 + alen] = (uint8_t)(e->port >> 8);
	buf[17 + alen] = (uint8_t)e->port;
	gnutls_hash_fast(GNUTLS_DIG_SHA1, buf, 18 + alen, out);
}

/* Whether one of the NAT_DETECTION notifies of TYPE carries HASH. */
static bool natd_match(const struct ike_msg *m, uint16_t type, const uint8_t hash[20])
{
	for (size_t i = 0; i < m->npl; i++) {
		const struct ike_payload *pl = &m->pl[i];

		if (pl->type == IKE_PL_NOTIFY && pl->u.notify.type == type &&
		    pl->u.notify.data.len == 20 && !memcmp(pl->u.notify.data.p, hash, 20))
			return true;
	}
	return false;
}

/* Reads the NAT_DETECTION notifies of M: who is behind a NAT. US is our
 * endpoint, THEM the peer's, as this message travelled. */
void natd_read(struct ike_sa *sa, const struct ike_msg *m, const uint8_t spi_r[8],
	       const struct endpoint *us, const struct endpoint *them)
{
	uint8_t h[20];

	sa->peer_natd = msg_find_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP) &&
			msg_find_notify(m, IKE_N_NAT_DETECTION_DESTINATION_IP);
	if (!sa->peer_natd)
		return;
	natd_hash(sa->spi_i, spi_r, us, h);
	sa->nat_local = !natd_match(m, IKE_N_NAT_DETECTION_DESTINATION_IP, h);
	natd_hash(sa->spi_i, spi_r, them, h);
	sa->nat_remote = !natd_match(m, IKE_N_NAT_DETECTION_SOURCE_IP, h);
}

void natd_add(struct msg_out *m, const struct ike_sa *sa, const uint8_t spi_r[8])
{
	uint8_t h[20];

	natd_hash(sa->spi_i, spi_r, &sa->local, h);
	msg_add_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP, h, sizeof(h));
	natd_hash(sa->spi_i, spi_r, &sa->remote, h);
	msg_add_notify(m, IKE_N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
}

static const struct ike_transform *pick(const struct ike_proposal *p, uint8_t type)
{
	for (unsigned int i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type)
			return &p->trans[i];
	return NULL;
}

static bool has_transform(const struct ike_proposal *p, uint8_t type, uint16_t id)
{
	for (unsigned int i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type && p->trans[i].id == id)
			return true;
	return false;
}

bool ike_sa_take_proposal(struct ike_sa *sa, const struct ike_proposal *p)
{
	const struct ike_transform *e = pick(p, IKE_TRANS_ENCR), *f = pick(p, IKE_TRANS_PRF),
				   *i = pick(p, IKE_TRANS_INTEG), *g = pick(p, IKE_TRANS_DH);

	if (!e || !f || !g || (!ike_encr_is_aead(e->id) && !i))
		return false;
	sa->prop = *p;
	sa->encr = e->id;
	sa->encr_bits = e->keylen ? e->keylen : (e->id == IKE_ENCR_CHACHA20_POLY1305 ? 256 : 0);
	sa->prf = f->id;
	sa->integ = i ? i->id : IKE_INTEG_NONE;
	sa->dh_group = g->id;
	return ike_encr_supported(sa->encr, sa->encr_bits) && ike_prf_len(sa->prf) &&
	       (ike_encr_is_aead(sa->encr) || ike_integ_key_len(sa->integ)) &&
	       ike_dh_supported(sa->dh_group);
}

int ike_sa_use_keys(struct ike_sa *sa, char *why, size_t whylen)
{
	/* We send with our role's keys and receive with the other's. */
	ike_sa_keys_sk(&sa->keys, sa->initiator, sa->encr, sa->encr_bits, sa->integ, &sa->sk_out);
	ike_sa_keys_sk(&sa->keys, !sa->initiator, sa->encr, sa->encr_bits, sa->integ, &sa->sk_in);
	/* One cipher handle per direction for the SA's life. */
	if (ike_sk_keys_prepare(&sa->sk_out) || ike_sk_keys_prepare(&sa->sk_in)) {
		snprintf(why, whylen, "cannot set up the SK ciphers");
		return -1;
	}
	sa->keys_ready = true;
	return 0;
}

/* g^ir, SKEYSEED and the SK_* keys (§2.14), once both nonces and both KEs
 * are known. */
static int derive_keys(struct ike_sa *sa, const struct ike_slice *peer_ke, char *why,
		       size_t whylen)
{
	struct ike_error err = { 0 };
	uint8_t gir[1024], skeyseed[IKE_PRF_MAX];
	size_t glen = ike_dh_shared_len(sa->dh_group);
	struct ike_slice ni = { sa->ni, sa->ni_len }, nr = { sa->nr, sa->nr_len },
			 g = { gir, glen };
	int rc;

	if (!glen || glen > sizeof(gir) ||
	    ike_dh_shared(sa->dh, peer_ke->p, peer_ke->len, gir, glen, &err)) {
		snprintf(why, whylen, "key exchange failed: %s", err.reason[0] ? err.reason : "?");
		return -1;
	}
	rc = ike_skeyseed(sa->prf, &ni, &nr, &g, skeyseed);
	if (!rc)
		rc = ike_sa_keys_derive(sa->prf, sa->encr, sa->encr_bits, sa->integ, skeyseed,
					ike_prf_len(sa->prf), &ni, &nr, sa->spi_i, sa->spi_r,
					&sa->keys);
	ike_wipe(gir, sizeof(gir));
	ike_wipe(skeyseed, sizeof(skeyseed));
	if (rc) {
		snprintf(why, whylen, "key derivation failed (%s)", ike_err_name(-rc));
		return -1;
	}
	if (ike_sa_use_keys(sa, why, whylen))
		return -1;
	/* The DH private value is of no further use: forget it now. */
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	return 0;
}

static void add_ke(struct msg_out *m, struct ike_sa *sa)
{
	struct ike_payload *pl = msg_add(m, IKE_PL_KE);
	size_t len = ike_dh_public_len(sa->dh_group);
	uint8_t *pub = msg_alloc(m, len);

	if (m->overflow || ike_dh_public(sa->dh, pub, len)) {
		m->overflow = true;
		return;
	}
	pl->u.ke.group = sa->dh_group;
	pl->u.ke.data.p = pub;
	pl->u.ke.data.len = len;
}

static void add_nonce(struct msg_out *m, const uint8_t *n, size_t len)
{
	struct ike_payload *pl = msg_add(m, IKE_PL_NONCE);

	pl->u.raw.p = n;
	pl->u.raw.len = len;
}

/*
 * RFC 6023: a responder offers IKE SAs without a CHILD_SA in IKE_AUTH
 * unless every candidate connection has childless = never (the one chosen
 * by identity in IKE_AUTH decides; ike_auth.c refuses what it does not allow).
 */
static void childless_announce(struct ike_sa *sa, const struct conn *const *conns, size_t n,
			       struct msg_out *m)
{
	bool any = false;

	for (size_t i = 0; i < n && !any; i++)
		any = conns[i]->childless != CHILDLESS_NEVER;
	sa->childless_ok = any;
	if (any)
		msg_add_notify(m, IKE_N_CHILDLESS_IKEV2_SUPPORTED, NULL, 0);
}

/* CONNS: the responder's candidates (the initiator has sa->conn). */
static void add_common_notifies(struct ike_sa *sa, const struct conn *const *conns, size_t n,
				struct msg_out *m)
{
	frag_announce(sa, conns, n, m);
	if (!sa->initiator)
		childless_announce(sa, conns, n, m);
	msg_add_notify(m, IKE_N_SIGNATURE_HASH_ALGORITHMS, auth_sig_hashes,
		       sizeof(auth_sig_hashes));
}

/* The peer's SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4), as a bit set. */
static void read_sig_hashes(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *n = msg_find_notify(m, IKE_N_SIGNATURE_HASH_ALGORITHMS);

	sa->peer_sig_hashes = 0;
	for (size_t i = 0; n && i + 1 < n->u.notify.data.len; i += 2) {
		const uint8_t *h = n->u.notify.data.p + i;

		if (!h[0] && h[1] && h[1] < 8)
			sa->peer_sig_hashes |= (uint8_t)(1u << h[1]);
	}
}

/* ---- initiator ----------------------------------------------------------- */

struct init_task {
	struct task t;
};

static int init_build(struct ike_sa *sa, struct task *t, struct msg_out *m)
{
	const struct conn *c = sa->conn;
	struct ike_proposal *props;
	struct ike_error err = { 0 };

	(void)t;
	if (!sa->dh_group) {
		const struct ike_transform *g = pick(&c->ike[0], IKE_TRANS_DH);

		sa->dh_group = g ? g->id : 0;
	}
	if (!sa->dh) {
		sa->dh = ike_dh_new(sa->dh_group, &err);
		if (!sa->dh) {
			sa_log(sa, LOG_IKE, 0, "cannot make a %s key: %s",
			       ike_transform_name(IKE_TRANS_DH, sa->dh_group), err.reason);
			return -1;
		}
	}
	if (!sa->ni_len) {
		/* The PRF is not chosen yet: IKE_NONCE_LEN suits all we offer. */
		if (ike_nonce_new(0, sa->ni, IKE_NONCE_LEN))
			return -1;
		sa->ni_len = IKE_NONCE_LEN;
	}
	/* RFC 7296 §2.6: the cookie comes first. */
	if (sa->cookie_len)
		msg_add_notify(m, IKE_N_COOKIE, sa->cookie, sa->cookie_len);
	props = msg_add_sa(m, c->nike);
	for (size_t i = 0; i < c->nike && !m->overflow; i++) {
		props[i] = c->ike[i];
		props[i].num = (uint8_t)(i + 1);
	}
	add_ke(m, sa);
	add_nonce(m, sa->ni, sa->ni_len);
	natd_add(m, sa, (const uint8_t[8]){ 0 });
	add_common_notifies(sa, NULL, 0, m);
	redirect_init_add(sa, m);
	return m->overflow ? -1 : 0;
}

static bool group_offered(const struct conn *c, uint16_t group)
{
	for (size_t i = 0; i < c->nike; i++)
		if (has_transform(&c->ike[i], IKE_TRANS_DH, group))
			return true;
	return false;
}

static enum task_result init_process(struct ike_sa *sa, struct task *t, const struct ike_msg *m,
				     const uint8_t *raw, size_t rawlen)
{
	const struct conn *c = sa->conn;
	const struct ike_payload *err = msg_find_error(m), *cookie, *spl, *ke, *nonce;
	struct ike_proposal chosen;
	char why[1024], ours[512];
	static const uint8_t zero[8];

	(void)t;
	if (redirect_init_process(sa, m))
		return TASK_FAILED;
	cookie = msg_find_notify(m, IKE_N_COOKIE);
	if (cookie) {
		if (cookie->u.notify.data.len < 1 || cookie->u.notify.data.len > 64 ||
		    ++sa->init_retries > INIT_RETRIES_MAX) {
			ike_sa_fail(sa, "the responder keeps asking for cookies (%u times)",
				    sa->init_retries);
			return TASK_FAILED;
		}
		memcpy(sa->cookie, cookie->u.notify.data.p, cookie->u.notify.data.len);
		sa->cookie_len = cookie->u.notify.data.len;
		sa_log(sa, LOG_IKE, 1, "responder demands a COOKIE, retrying with it");
		return TASK_RETRY;
	}
	if (err && err->u.notify.type == IKE_N_INVALID_KE_PAYLOAD) {
		uint16_t group = err->u.notify.data.len == 2 ?
				 (uint16_t)(err->u.notify.data.p[0] << 8 | err->u.notify.data.p[1]) : 0;

		if (!group || group == sa->dh_group || !group_offered(c, group) ||
		    !ike_dh_supported(group) || ++sa->init_retries > INIT_RETRIES_MAX) {
			ike_sa_fail(sa, "responder wants key exchange %s (INVALID_KE_PAYLOAD), which "
				    "we did not offer or already sent",
				    ike_transform_name(IKE_TRANS_DH, group));
			return TASK_FAILED;
		}
		sa_log(sa, LOG_IKE, 1, "responder wants %s instead of %s (INVALID_KE_PAYLOAD), "
		       "retrying", ike_transform_name(IKE_TRANS_DH, group),
		       ike_transform_name(IKE_TRANS_DH, sa->dh_group));
		sa->dh_group = group;
		ike_dh_free(sa->dh);
		sa->dh = NULL;
		return TASK_RETRY;
	}
	if (err) {
		if (err->u.notify.type == IKE_N_NO_PROPOSAL_CHOSEN)
			ike_sa_fail(sa, "responder accepted none of our IKE proposals "
				    "(NO_PROPOSAL_CHOSEN); we offered %s",
				    proposals_str(c->ike, c->nike, ours, sizeof(ours)));
		else
			ike_sa_fail(sa, "responder answered IKE_SA_INIT with %s",
				    ike_notify_name(err->u.notify.type));
		return TASK_FAILED;
	}
	spl = msg_find(m, IKE_PL_SA);
	ke = msg_find(m, IKE_PL_KE);
	nonce = msg_find(m, IKE_PL_NONCE);
	if (!spl || !ke || !nonce || spl->u.sa.nprop != 1 || !memcmp(m->hdr.spi_r, zero, 8)) {
		ike_sa_fail(sa, "malformed IKE_SA_INIT response (%s)",
			    !spl ? "no SA payload" : !ke ? "no KE payload" : !nonce ? "no nonce" :
			    spl->u.sa.nprop != 1 ? "not exactly one proposal" : "no responder SPI");
		return TASK_FAILED;
	}
	/* The answer must be one of our proposals, cut to one of each. */
	if (ike_proposal_select(c->ike, c->nike, spl->u.sa.prop, 1, 0, &chosen, why,
				sizeof(why)) ||
	    chosen.ntrans != spl->u.sa.prop[0].ntrans || !ike_sa_take_proposal(sa, &chosen)) {
		ike_proposal_format(&spl->u.sa.prop[0], why, sizeof(why));
		ike_sa_fail(sa, "responder chose '%s', which is not one of ours (%s)", why,
			    proposals_str(c->ike, c->nike, ours, sizeof(ours)));
		return TASK_FAILED;
	}
	if (ke->u.ke.group != sa->dh_group || !sa->dh) {
		ike_sa_fail(sa, "responder's KE is %s but it chose %s",
			    ike_transform_name(IKE_TRANS_DH, ke->u.ke.group),
			    ike_transform_name(IKE_TRANS_DH, sa->dh_group));
		return TASK_FAILED;
	}
	if (nonce->u.raw.len < ike_nonce_min_len(sa->prf)) {
		ike_sa_fail(sa, "responder's nonce of %zu bytes is too short for %s",
			    nonce->u.raw.len, ike_transform_name(IKE_TRANS_PRF, sa->prf));
		return TASK_FAILED;
	}
	memcpy(sa->spi_r, m->hdr.spi_r, 8);
	memcpy(sa->nr, nonce->u.raw.p, nonce->u.raw.len);
	sa->nr_len = nonce->u.raw.len;
	if (derive_keys(sa, &ke->u.ke.data, why, sizeof(why))) {
		ike_sa_fail(sa, "%s", why);
		return TASK_FAILED;
	}
	if (ike_init_keep_answer(sa, m, raw, rawlen))
		return TASK_FAILED;
	read_sig_hashes(sa, m);
	frag_read_notify(sa, m);
	sa->peer_certreq = msg_find(m, IKE_PL_CERTREQ) != NULL;
	sa->childless_ok = msg_find_notify(m, IKE_N_CHILDLESS_IKEV2_SUPPORTED) != NULL;
	/* RFC 6023: an IKE_AUTH without a CHILD_SA only to a peer that offered it. */
	if (!sa->childless_ok && (!sa->want_child || c->childless == CHILDLESS_FORCE)) {
		ike_sa_fail(sa, "the peer does not support childless IKE SAs (no "
			    "CHILDLESS_IKEV2_SUPPORTED in its IKE_SA_INIT answer), but %s: not "
			    "sending IKE_AUTH", sa->want_child ? "childless = force" :
			    "the IKE SA is to come up without a CHILD_SA");
		return TASK_FAILED;
	}
	ike_init_nat_port(sa);
	sa->state = IKE_S_AUTH_I;
	sa_log(sa, LOG_IKE, 1, "IKE_SA_INIT done: %s", ike_sa_algs(sa, why, sizeof(why)));
	return TASK_DONE;
}

int ike_init_keep_answer(struct ike_sa *sa, const struct ike_msg *m, const uint8_t *raw,
			 size_t rawlen)
{
	free(sa->init_resp);
	sa->init_resp = malloc(rawlen);
	if (!sa->init_resp) {
		ike_sa_fail(sa, "out of memory");
		return -1;
	}
	memcpy(sa->init_resp, raw, rawlen);
	sa->init_resp_len = rawlen;
	natd_read(sa, m, sa->spi_r, &sa->local, &sa->remote);
	return 0;
}

void ike_init_nat_port(struct ike_sa *sa)
{
	/* §2.23: with a NAT in the way, IKE_AUTH already goes to 4500; with
	 * MOBIKE wanted, always (RFC 4555 §3.3, as charon does: a later move
	 * may put a NAT in the way). */
	if (sa->peer_natd && (sa->nat_local || sa->nat_remote || (sa->conn && sa->conn->mobike))) {
		sa->local.port = sa->d->cfg->set.port_nat_t;
		if (sa->remote.port == sa->d->cfg->set.port)
			sa->remote.port = sa->d->cfg->set.port_nat_t;
		sa_log(sa, LOG_IKE, 1, "%s, switching to port %u",
		       sa->nat_local ? "we are behind a NAT" : sa->nat_remote ?
		       "the peer is behind a NAT" : "MOBIKE wanted", sa->local.port);
	}
}

static const struct task_ops init_ops = {
	.name = "IKE_SA_INIT",
	.exchange = IKE_SA_INIT,
	.build = init_build,
	.process = init_process,
	.free = task_free_plain,
};

struct task *ike_init_task_new(void)
{
	return task_alloc(sizeof(struct init_task), &init_ops);
}

/* ---- cookies (§2.6) ------------------------------------------------------ */

void cookie_rotate(struct daemon *d, struct timer *t)
{
	memcpy(d->cookie_prev, d->cookie_secret, sizeof(d->cookie_prev));
	d->cookie_prev_valid = d->cookie_version != 0;
	ike_random_key(d->cookie_secret, sizeof(d->cookie_secret));
	d->cookie_version++;
	if (t)
		timer_arm(d, t, COOKIE_ROTATE_MS);
}

/* version | HMAC-SHA-256(secret, Ni | IPi | SPIi), cut to COOKIE_LEN. */
static void cookie_make(const struct daemon *d, uint8_t version, const uint8_t *secret,
			const struct ike_msg *m, const struct endpoint *remote,
			uint8_t out[COOKIE_LEN])
{
	const struct ike_payload *nonce = msg_find(m, IKE_PL_NONCE);
	struct ike_slice parts[3] = {
		{ nonce->u.raw.p, nonce->u.raw.len },
		{ remote->addr.ip, addr_len(remote->addr.family) },
		{ m->hdr.spi_i, 8 },
	};
	uint8_t mac[IKE_PRF_MAX];

	(void)d;
	ike_prf_vec(IKE_PRF_HMAC_SHA2_256, secret, 32, parts, 3, mac);
	out[0] = version;
	memcpy(out + 1, mac, COOKIE_LEN - 1);
}

static bool cookie_valid(const struct daemon *d, const struct ike_msg *m,
			 const struct endpoint *remote)
{
	const struct ike_payload *first = m->npl ? &m->pl[0] : NULL;
	uint8_t want[COOKIE_LEN];
	const uint8_t *got;

	if (!first || first->type != IKE_PL_NOTIFY || first->u.notify.type != IKE_N_COOKIE ||
	    first->u.notify.data.len != COOKIE_LEN)
		return false;
	got = first->u.notify.data.p;
	if (got[0] == d->cookie_version)
		cookie_make(d, got[0], d->cookie_secret, m, remote, want);
	else if (d->cookie_prev_valid && got[0] == (uint8_t)(d->cookie_version - 1))
		cookie_make(d, got[0], d->cookie_prev, m, remote, want);
	else
		return false;
	return gnutls_memcmp(want, got, COOKIE_LEN) == 0;
}

/* ---- responder ----------------------------------------------------------- */

/* An unprotected answer that creates no state: COOKIE, INVALID_KE,
 * NO_PROPOSAL_CHOSEN (SPIr zero, §2.6). */
static void send_stateless(struct daemon *d, const struct endpoint *local,
			   const struct endpoint *remote, const struct ike_msg *req,
			   uint16_t notify, const void *data, size_t len)
{
	static const uint8_t zero[8];
	struct msg_out *m = d->out;
	uint8_t *pkt;
	size_t plen;

	msg_reset(m);
	msg_add_notify(m, notify, data, len);
	if (exchange_encode_plain(req->hdr.spi_i, zero, IKE_SA_INIT, IKE_FLAG_RESPONSE, 0, m,
				  &pkt, &plen))
		return;
	d->st.tx++;
	d->io->send(d->io_ctx, local, remote, pkt, plen);
	free(pkt);
}

#define UNION_MAX 64

/* Our proposals for this peer: those of every connection whose addresses
 * fit, in config order, without repeats. */
static size_t gather_proposals(const struct conn *const *conns, size_t nconns,
			       struct ike_proposal *out)
{
	size_t n = 0;

	for (size_t i = 0; i < nconns; i++)
		for (size_t j = 0; j < conns[i]->nike && n < UNION_MAX; j++) {
			bool dup = false;
			char a[256], b[256];

			ike_proposal_format(&conns[i]->ike[j], a, sizeof(a));
			for (size_t k = 0; k < n && !dup; k++) {
				ike_proposal_format(&out[k], b, sizeof(b));
				dup = !strcmp(a, b);
			}
			if (!dup)
				out[n++] = conns[i]->ike[j];
		}
	return n;
}

/*
 * If the peer's KE group is acceptable in the chosen proposal (it offered
 * it there and one of ours with the chosen ciphers has it too), take it
 * rather than answering INVALID_KE_PAYLOAD for the group we prefer.
 */
static void prefer_peer_group(struct ike_proposal *chosen, const struct ike_proposal *ours,
			      size_t nours, const struct ike_pl_sa *theirs, uint16_t ke_group)
{
	const struct ike_proposal *peer = NULL;
	struct ike_transform *g = NULL;

	for (unsigned int i = 0; i < theirs->nprop; i++)
		if (theirs->prop[i].num == chosen->num)
			peer = &theirs->prop[i];
	for (unsigned int i = 0; i < chosen->ntrans; i++)
		if (chosen->trans[i].type == IKE_TRANS_DH)
			g = &chosen->trans[i];
	if (!peer || !g || g->id == ke_group || !has_transform(peer, IKE_TRANS_DH, ke_group))
		return;
	for (size_t i = 0; i < nours; i++) {
		bool all = has_transform(&ours[i], IKE_TRANS_DH, ke_group);

		for (unsigned int j = 0; j < chosen->ntrans && all; j++)
			if (chosen->trans[j].type != IKE_TRANS_DH)
				all = has_transform(&ours[i], chosen->trans[j].type,
						    chosen->trans[j].id);
		if (all) {
			g->id = ke_group;
			return;
		}
	}
}

void ike_init_respond(struct daemon *d, const struct endpoint *local,
		      const struct endpoint *remote, const uint8_t *buf, size_t len,
		      const struct ike_msg *m)
{
	const struct conn *conns[32];
	struct ike_proposal *ours = NULL, chosen;
	const struct ike_payload *spl, *ke, *nonce;
	struct ike_sa *sa;
	struct msg_out *out = d->out;
	char peer[ENDPOINT_STRLEN], why[2048], a[ADDR_STRLEN];
	size_t nconns, nours, rlen;
	uint8_t redirect[18 + IKE_NONCE_MAX];
	uint16_t want;
	uint8_t *pkt;
	size_t plen;

	endpoint_str(remote, peer, sizeof(peer));
	sa = ike_sa_find_half_open(d, m->hdr.spi_i, &remote->addr);
	if (sa) {
		/* A retransmission: the same answer while it can matter, and
		 * never a second SA for the same initiator SPI. */
		if (sa->init_resp && sa->state == IKE_S_INIT_R) {
			d->st.retransmits_answered++;
			sa_log(sa, LOG_IKE, 1, "answering a retransmitted IKE_SA_INIT from cache");
			d->st.tx++;
			d->io->send(d->io_ctx, &sa->local, &sa->remote, sa->init_resp,
				    sa->init_resp_len);
		}
		return;
	}
	spl = msg_find(m, IKE_PL_SA);
	ke = msg_find(m, IKE_PL_KE);
	nonce = msg_find(m, IKE_PL_NONCE);
	if (!spl || !ke || !nonce) {
		d->st.dropped_malformed++;
		log_msg(LOG_IKE, 1, "dropping IKE_SA_INIT from %s without %s", peer,
			!spl ? "an SA payload" : !ke ? "a KE payload" : "a nonce");
		return;
	}
	nconns = policy_conns_for(d, &local->addr, &remote->addr, conns, 32);
	if (!nconns) {
		log_msg(LOG_IKE, 0, "no connection for %s...%s: answering NO_PROPOSAL_CHOSEN",
			addr_str(&local->addr, a, sizeof(a)), peer);
		send_stateless(d, local, remote, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (d->cfg->set.half_open_max && d->half_open_count >= d->cfg->set.half_open_max) {
		d->st.dropped_half_open++;
		if (log_ratelimit(&d->rl_half_open, d->now, 1, 5000))
			log_msg(LOG_IKE, 0, "%u IKE SAs are half-open (init_limit_half_open): "
				"dropping IKE_SA_INIT from %s", d->half_open_count, peer);
		return;
	}
	if (d->half_open_count >= d->cfg->set.cookie_threshold && !cookie_valid(d, m, remote)) {
		uint8_t cookie[COOKIE_LEN];

		cookie_make(d, d->cookie_version, d->cookie_secret, m, remote, cookie);
		d->st.cookies_sent++;
		log_msg(LOG_IKE, 2, "%u IKE SAs half-open: asking %s for a COOKIE",
			d->half_open_count, peer);
		send_stateless(d, local, remote, m, IKE_N_COOKIE, cookie, sizeof(cookie));
		return;
	}
	rlen = redirect_init_target(d, m, conns, nconns, redirect, sizeof(redirect));
	if (rlen) {
		log_msg(LOG_IKE, 1, "IKE_SA_INIT from %s: answering REDIRECT", peer);
		send_stateless(d, local, remote, m, IKE_N_REDIRECT, redirect, rlen);
		return;
	}
	ours = malloc(UNION_MAX * sizeof(*ours));
	if (!ours)
		return;
	nours = gather_proposals(conns, nconns, ours);
	if (ike_proposal_select(ours, nours, spl->u.sa.prop, spl->u.sa.nprop, 0, &chosen, why,
				sizeof(why))) {
		char mine[1024], theirs[1024];

		log_msg(LOG_IKE, 0, "IKE_SA_INIT from %s: no proposal chosen: we accept %s; the "
			"peer offered %s (%s)", peer, proposals_str(ours, nours, mine, sizeof(mine)),
			proposals_str(spl->u.sa.prop, spl->u.sa.nprop, theirs, sizeof(theirs)), why);
		send_stateless(d, local, remote, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		goto out;
	}
	prefer_peer_group(&chosen, ours, nours, &spl->u.sa, ke->u.ke.group);
	want = pick(&chosen, IKE_TRANS_DH) ? pick(&chosen, IKE_TRANS_DH)->id : 0;
	if (ke->u.ke.group != want) {
		uint8_t g[2] = { (uint8_t)(want >> 8), (uint8_t)want };

		log_msg(LOG_IKE, 1, "IKE_SA_INIT from %s has a %s key exchange, we chose %s: "
			"answering INVALID_KE_PAYLOAD", peer,
			ike_transform_name(IKE_TRANS_DH, ke->u.ke.group),
			ike_transform_name(IKE_TRANS_DH, want));
		send_stateless(d, local, remote, m, IKE_N_INVALID_KE_PAYLOAD, g, sizeof(g));
		goto out;
	}

	sa = ike_sa_new(d, false, local, remote);
	if (!sa)
		goto out;
	memcpy(sa->spi_i, m->hdr.spi_i, 8);
	if (!ike_sa_take_proposal(sa, &chosen)) {
		ike_sa_fail(sa, "chosen proposal is not usable");
		goto out;
	}
	sa->dh = ike_dh_new(sa->dh_group, NULL);
	memcpy(sa->ni, nonce->u.raw.p, nonce->u.raw.len);
	sa->ni_len = nonce->u.raw.len;
	if (sa->ni_len < ike_nonce_min_len(sa->prf)) {
		/* §2.10: at least half the PRF's key; no unprotected INVALID_SYNTAX. */
		ike_sa_fail(sa, "IKE_SA_INIT from %s: a nonce of %zu bytes is too short for %s",
			    peer, sa->ni_len, ike_transform_name(IKE_TRANS_PRF, sa->prf));
		goto out;
	}
	if (!sa->dh || ike_nonce_new(sa->prf, sa->nr, IKE_NONCE_LEN)) {
		ike_sa_fail(sa, "cannot make our key exchange");
		goto out;
	}
	sa->nr_len = IKE_NONCE_LEN;
	natd_read(sa, m, (const uint8_t[8]){ 0 }, &sa->local, &sa->remote);
	read_sig_hashes(sa, m);
	frag_read_notify(sa, m);
	redirect_note_peer(sa, m);

	msg_reset(out);
	*msg_add_sa(out, 1) = chosen;
	add_ke(out, sa);
	add_nonce(out, sa->nr, sa->nr_len);
	if (sa->peer_natd)
		natd_add(out, sa, sa->spi_r);
	auth_add_certreq(out, conns, nconns);
	add_common_notifies(sa, conns, nconns, out);
	if (exchange_encode_plain(sa->spi_i, sa->spi_r, IKE_SA_INIT, IKE_FLAG_RESPONSE, 0, out,
				  &pkt, &plen)) {
		ike_sa_fail(sa, "cannot encode our IKE_SA_INIT response");
		goto out;
	}
	if (derive_keys(sa, &ke->u.ke.data, why, sizeof(why))) {
		free(pkt);
		ike_sa_fail(sa, "IKE_SA_INIT from %s: %s", peer, why);
		goto out;
	}
	sa->init_resp = pkt;
	sa->init_resp_len = plen;
	sa->init_req = malloc(len);
	if (!sa->init_req) {
		ike_sa_fail(sa, "out of memory");
		goto out;
	}
	memcpy(sa->init_req, buf, len);
	sa->init_req_len = len;
	sa->mid_peer = 1;
	ike_sa_half_open_add(sa);
	sa_log(sa, LOG_IKE, 1, "IKE_SA_INIT from %s: chose %s%s%s", peer,
	       ike_sa_algs(sa, why, sizeof(why)),
	       sa->nat_remote ? ", peer behind a NAT" : "",
	       sa->nat_local ? ", we are behind a NAT" : "");
	d->st.tx++;
	d->io->send(d->io_ctx, &sa->local, &sa->remote, pkt, plen);
out:
	free(ours);
}
