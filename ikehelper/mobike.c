// SPDX-License-Identifier: GPL-2.0
/*
 * MOBIKE (RFC 4555): an IKE SA and its CHILD_SAs follow the mobile side to
 * a new address without a new negotiation; the SPIs stay.
 *
 *   - IKE_AUTH: MOBIKE_SUPPORTED both ways when both have mobike = yes.
 *     The initiator moved to the NAT-T port already (ike_init.c), so a
 *     later move may put a NAT in the way.
 *   - The client (the IKE SA's original initiator) learns of changed
 *     addresses and routes from rtnetlink (loop.c), MOBIKE_DEBOUNCE_MS
 *     later asks the kernel for its source address towards the peer, and
 *     on a change sends INFORMATIONAL { UPDATE_SA_ADDRESSES, NAT detection,
 *     COOKIE2 } from the new address. Its retransmissions follow later
 *     changes (they go from sa->local); the answer must echo COOKIE2 (else
 *     the IKE SA is closed, as charon does), its NAT detection is read and
 *     the kernel SAs move (KESP_CMD_SA_UPDATE, same SPIs). Without any
 *     route to the peer the IKE SA waits for one as long as a request of
 *     ours would be retransmitted, then goes.
 *   - The gateway takes UPDATE_SA_ADDRESSES only inside a MOBIKE IKE SA
 *     and only from its client: the IKE SA moves to where the request came
 *     from, NAT detection runs again, COOKIE2 goes back, the kernel SAs
 *     move. Without MOBIKE other requests from a new address still move
 *     the SA as RFC 7296 §2.23 says (exchange.c); with MOBIKE they are
 *     answered where they came from and move nothing (RFC 4555 §3.5).
 *   - ADDITIONAL_IP4/6_ADDRESS and NO_ADDITIONAL_ADDRESSES of the peer are
 *     kept (kespctl ike list shows them); we announce none and do not yet
 *     try them when the peer's address stops answering.
 *
 * kesp.ko's SA_UPDATE changes an SA's addresses and ESP-in-UDP ports but
 * not whether it is in UDP: when a move makes a NAT appear or vanish, the
 * CHILD_SA is moved as it is and then rekeyed, and its successor has the
 * encapsulation the new path needs.
 */
#include <stdio.h>
#include <string.h>

#include "daemon.h"

#define COOKIE2_LEN 16
#define MOBIKE_REKEY_WAIT_MS 2000

/* The peer's ADDITIONAL_*_ADDRESS list in M (replacing the one kept), or
 * NO_ADDITIONAL_ADDRESSES (emptying it). */
static void read_addresses(struct ike_sa *sa, const struct ike_msg *m)
{
	bool first = true;

	for (size_t i = 0; i < m->npl; i++) {
		const struct ike_pl_notify *n = &m->pl[i].u.notify;
		struct addr a = { 0 };

		if (m->pl[i].type != IKE_PL_NOTIFY)
			continue;
		if (n->type == IKE_N_NO_ADDITIONAL_ADDRESSES) {
			sa->npeer_addrs = 0;
			continue;
		}
		if (n->type == IKE_N_ADDITIONAL_IP4_ADDRESS && n->data.len == 4)
			a.family = AF_INET;
		else if (n->type == IKE_N_ADDITIONAL_IP6_ADDRESS && n->data.len == 16)
			a.family = AF_INET6;
		else
			continue;
		memcpy(a.ip, n->data.p, n->data.len);
		if (first)
			sa->npeer_addrs = 0;
		first = false;
		if (sa->npeer_addrs < MOBIKE_ADDRS_MAX)
			sa->peer_addrs[sa->npeer_addrs++] = a;
	}
}

void mobike_auth_add(struct ike_sa *sa, struct msg_out *m)
{
	if (sa->conn->mobike)
		msg_add_notify(m, IKE_N_MOBIKE_SUPPORTED, NULL, 0);
}

void mobike_auth_read(struct ike_sa *sa, const struct ike_msg *m)
{
	sa->peer_mobike = msg_find_notify(m, IKE_N_MOBIKE_SUPPORTED) != NULL;
	read_addresses(sa, m);
	if (!sa->initiator || !sa->peer_mobike || !sa->conn->mobike)
		return;
	sa->mobike = true;
	sa->mobike_client = true;
	sa_log(sa, LOG_IKE, 1, "MOBIKE negotiated: we follow our address changes");
}

void mobike_auth_respond(struct ike_sa *sa, struct msg_out *resp)
{
	if (!sa->peer_mobike)
		return;
	if (!sa->conn->mobike) {
		sa_log(sa, LOG_IKE, 1, "the peer supports MOBIKE, but connection %s says mobike = no",
		       sa->conn->name);
		return;
	}
	msg_add_notify(resp, IKE_N_MOBIKE_SUPPORTED, NULL, 0);
	sa->mobike = true;
	sa->mobike_client = false;
	sa_log(sa, LOG_IKE, 1, "MOBIKE negotiated: we follow the peer's address changes");
}

/* Whether C's UDP encapsulation no longer fits the IKE SA's NAT situation. */
static bool encap_wrong(const struct child_sa *c)
{
	return c->encap != (c->ike->nat_local || c->ike->nat_remote) &&
	       c->state == CHILD_S_INSTALLED;
}

static void rekey_wrong(struct ike_sa *sa)
{
	bool nat = sa->nat_local || sa->nat_remote;

	for (struct child_sa *c = sa->children; c; c = c->next) {
		if (!encap_wrong(c))
			continue;
		sa_log(sa, LOG_CHD, 0, "CHILD_SA %s{%u}: a NAT %s on the new path and kesp.ko "
		       "cannot %s UDP encapsulation in place: rekeying it", c->cfg->name, c->reqid,
		       nat ? "appeared" : "vanished", nat ? "add" : "drop");
		child_rekey_start(c);
	}
}

/*
 * The kernel SAs follow the IKE SA's endpoints (same SPIs). A CHILD_SA
 * whose UDP encapsulation no longer fits is rekeyed (SA_UPDATE cannot
 * change it): by the client at once; by the gateway after
 * MOBIKE_REKEY_WAIT_MS, unless the client has rekeyed it by then (a charon
 * client does not: XFRM changes the encapsulation in place).
 */
static void move_children(struct ike_sa *sa)
{
	bool wrong = false;

	for (struct child_sa *c = sa->children; c; c = c->next) {
		if (!c->kid_in && !c->kid_out)
			continue;
		if (child_sa_move(c))
			continue;
		sa_log(sa, LOG_CHD, 1, "CHILD_SA %s{%u}: SPIs %08x_i %08x_o moved", c->cfg->name,
		       c->reqid, c->spi_in, c->spi_out);
		wrong |= encap_wrong(c);
	}
	ike_sa_start_keepalives(sa);
	persist_mark(sa->d);
	if (wrong && sa->mobike_client)
		rekey_wrong(sa);
	else if (wrong)
		timer_arm(sa->d, &sa->t_mobike, MOBIKE_REKEY_WAIT_MS);
}

static const char *ends(const struct ike_sa *sa, char *buf, size_t len)
{
	char a[ENDPOINT_STRLEN], b[ENDPOINT_STRLEN];

	snprintf(buf, len, "%s - %s%s", endpoint_str(&sa->local, a, sizeof(a)),
		 endpoint_str(&sa->remote, b, sizeof(b)),
		 sa->nat_local ? ", NAT before us" : sa->nat_remote ? ", NAT before the peer" : "");
	return buf;
}

/* ---- the client: UPDATE_SA_ADDRESSES ------------------------------------ */

struct update_task {
	struct task t;
	uint8_t cookie2[COOKIE2_LEN];
	struct endpoint local;		/* where the request was built for */
};

static void queue_update(struct ike_sa *sa);

static int update_build(struct ike_sa *sa, struct task *t, struct msg_out *m)
{
	struct update_task *ut = (struct update_task *)t;
	char e[2 * ENDPOINT_STRLEN + 32];

	if (ike_random(ut->cookie2, sizeof(ut->cookie2)))
		return -1;
	ut->local = sa->local;
	msg_add_notify(m, IKE_N_UPDATE_SA_ADDRESSES, NULL, 0);
	natd_add(m, sa, sa->spi_r);
	msg_add_notify(m, IKE_N_COOKIE2, ut->cookie2, sizeof(ut->cookie2));
	sa_log(sa, LOG_IKE, 1, "asking the peer to update the IKE SA to %s (MOBIKE)",
	       ends(sa, e, sizeof(e)));
	return m->overflow ? -1 : 0;
}

static enum task_result update_process(struct ike_sa *sa, struct task *t, const struct ike_msg *m,
				       const uint8_t *raw, size_t rawlen)
{
	struct update_task *ut = (struct update_task *)t;
	const struct ike_payload *c2 = msg_find_notify(m, IKE_N_COOKIE2), *err = msg_find_error(m);
	const struct ike_payload *dst;
	char e[2 * ENDPOINT_STRLEN + 32];

	(void)raw;
	(void)rawlen;
	sa->mobike_queued = false;
	if (!c2 || c2->u.notify.data.len != sizeof(ut->cookie2) ||
	    memcmp(c2->u.notify.data.p, ut->cookie2, sizeof(ut->cookie2))) {
		ike_sa_fail(sa, "the answer to our UPDATE_SA_ADDRESSES %s: closing the IKE SA "
			    "(RFC 4555 §3.5)", c2 ? "carries another COOKIE2 than ours" :
			    "lacks our COOKIE2");
		return TASK_FAILED;
	}
	if (err) {
		sa_log(sa, LOG_IKE, 0, "the peer refused our UPDATE_SA_ADDRESSES: %s",
		       ike_notify_name(err->u.notify.type));
		return TASK_DONE;
	}
	if (!endpoint_equal(&ut->local, &sa->local)) {
		/* We moved again while it was out and a retransmission from
		 * the newer address got through: the peer follows it, but the
		 * NAT detection hashes were for the older one. Ask again. */
		sa_log(sa, LOG_IKE, 0, "IKE SA moved to %s (MOBIKE); NAT detection follows",
		       ends(sa, e, sizeof(e)));
		move_children(sa);
		queue_update(sa);
		return TASK_DONE;
	}
	natd_read(sa, m, sa->spi_r, &ut->local, &sa->remote);
	/* How the peer sees us now, for the NAT checks of our DPDs. */
	dst = msg_find_notify(m, IKE_N_NAT_DETECTION_DESTINATION_IP);
	sa->natd_us_set = dst && dst->u.notify.data.len == sizeof(sa->natd_us);
	if (sa->natd_us_set)
		memcpy(sa->natd_us, dst->u.notify.data.p, sizeof(sa->natd_us));
	sa_log(sa, LOG_IKE, 0, "IKE SA moved to %s (MOBIKE)", ends(sa, e, sizeof(e)));
	move_children(sa);
	return TASK_DONE;
}

static void update_abort(struct ike_sa *sa, struct task *t)
{
	(void)t;
	sa->mobike_queued = false;
}

static const struct task_ops update_ops = {
	.name = "INFORMATIONAL (UPDATE_SA_ADDRESSES)",
	.exchange = IKE_INFORMATIONAL,
	.build = update_build,
	.process = update_process,
	.abort = update_abort,
	.free = task_free_plain,
};

static void queue_update(struct ike_sa *sa)
{
	struct task *t;

	if (sa->mobike_queued)
		return;
	t = task_alloc(sizeof(struct update_task), &update_ops);
	if (!t)
		return;
	sa->mobike_queued = true;
	exchange_queue(sa, t);
}

/* Our source address towards the peer: the current one while it is still
 * ours and routes there (another address becoming the kernel's preferred
 * source is no reason to move: a transport-mode SA's selectors name the
 * old one), else the kernel's choice. */
static void check_path(struct ike_sa *sa)
{
	struct daemon *d = sa->d;
	struct addr src;
	char a[ADDR_STRLEN], b[ADDR_STRLEN], p[ADDR_STRLEN];

	if (d->io->route_src(d->io_ctx, &sa->remote.addr, &sa->local.addr, &src)) {
		if (!timer_armed(&sa->t_mobike)) {
			sa_log(sa, LOG_IKE, 0, "no path to the peer %s: waiting up to %.1f s for "
			       "one (MOBIKE)", addr_str(&sa->remote.addr, p, sizeof(p)),
			       exchange_give_up_ms(d) / 1000.0);
			timer_arm(d, &sa->t_mobike, exchange_give_up_ms(d));
		}
		return;
	}
	if (timer_armed(&sa->t_mobike)) {
		timer_cancel(d, &sa->t_mobike);
		sa_log(sa, LOG_IKE, 0, "a path to the peer is back, from %s",
		       addr_str(&src, a, sizeof(a)));
	}
	if (addr_equal(&src, &sa->local.addr))
		return;
	sa_log(sa, LOG_IKE, 0, "our address towards the peer %s is now %s (was %s): moving the "
	       "IKE SA (MOBIKE)", addr_str(&sa->remote.addr, p, sizeof(p)),
	       addr_str(&src, a, sizeof(a)), addr_str(&sa->local.addr, b, sizeof(b)));
	/* Every request from now on (and each retransmission) leaves from it. */
	sa->local.addr = src;
	persist_mark(d);
	queue_update(sa);
}

void mobike_dpd_add(struct ike_sa *sa, struct msg_out *m)
{
	if (sa->mobike && sa->mobike_client && sa->nat_local)
		natd_add(m, sa, sa->spi_r);
}

void mobike_dpd_read(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *dst = msg_find_notify(m, IKE_N_NAT_DETECTION_DESTINATION_IP);

	if (!sa->mobike || !sa->mobike_client || !dst ||
	    dst->u.notify.data.len != sizeof(sa->natd_us) ||
	    (sa->natd_us_set && !memcmp(dst->u.notify.data.p, sa->natd_us, sizeof(sa->natd_us))))
		return;
	/* Not known yet (IKE_SA_INIT's was of port 500's mapping, and the
	 * hashes cover the SPIs, which an IKE rekey changes): one update. */
	if (sa->natd_us_set)
		sa_log(sa, LOG_IKE, 0, "the peer sees us at another address or port now (our "
		       "NAT's mapping changed): updating the IKE SA (MOBIKE)");
	else
		sa_log(sa, LOG_IKE, 1, "making sure the peer has our NAT's current mapping (MOBIKE)");
	queue_update(sa);
}

void mobike_roam(struct daemon *d)
{
	/* Bursts (an address and its routes go together) make one check. */
	if (!timer_armed(&d->mobike_timer))
		timer_arm(d, &d->mobike_timer, MOBIKE_DEBOUNCE_MS);
}

void mobike_roam_due(struct daemon *d, struct timer *t)
{
	(void)t;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next_all)
		if (sa->mobike && sa->mobike_client && sa->state == IKE_S_ESTABLISHED)
			check_path(sa);
}

void mobike_timer_due(struct daemon *d, struct timer *t)
{
	struct ike_sa *sa = (struct ike_sa *)((char *)t - offsetof(struct ike_sa, t_mobike));

	if (!sa->mobike_client) {
		rekey_wrong(sa);
		return;
	}
	sa->end = END_PEER_DEAD;
	ike_sa_fail(sa, "no path to the peer for %.1f s: giving up the IKE SA (MOBIKE)",
		    exchange_give_up_ms(d) / 1000.0);
}

/* ---- the gateway --------------------------------------------------------- */

void mobike_info_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp)
{
	const struct ike_payload *c2 = msg_find_notify(req, IKE_N_COOKIE2);
	char e[2 * ENDPOINT_STRLEN + 32], p[ENDPOINT_STRLEN];

	if (!msg_find_notify(req, IKE_N_UPDATE_SA_ADDRESSES)) {
		if (sa->mobike)
			read_addresses(sa, req);
		/* A client's NAT check (in its DPD): how we see it, now. */
		if (sa->mobike && msg_find_notify(req, IKE_N_NAT_DETECTION_SOURCE_IP))
			natd_add(resp, sa, sa->spi_r);
		/* A return routability check (§3.6) gets its cookie back. */
		if (c2 && sa->mobike)
			msg_add_notify(resp, IKE_N_COOKIE2, c2->u.notify.data.p,
				       c2->u.notify.data.len);
		return;
	}
	if (!sa->mobike || sa->mobike_client) {
		sa_log(sa, LOG_IKE, 0, "ignoring UPDATE_SA_ADDRESSES from %s: %s",
		       endpoint_str(&sa->remote, p, sizeof(p)), !sa->mobike ?
		       "MOBIKE was not negotiated on this IKE SA" :
		       "only the IKE SA's initiator may send it");
		return;
	}
	read_addresses(sa, req);
	natd_read(sa, req, sa->spi_r, &sa->local, &sa->remote);
	natd_add(resp, sa, sa->spi_r);
	if (c2)
		msg_add_notify(resp, IKE_N_COOKIE2, c2->u.notify.data.p, c2->u.notify.data.len);
	sa->mobike_moved = true;
	sa_log(sa, LOG_IKE, 0, "the peer moved the IKE SA to %s (MOBIKE)", ends(sa, e, sizeof(e)));
	move_children(sa);
}
