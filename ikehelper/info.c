// SPDX-License-Identifier: GPL-2.0
/*
 * INFORMATIONAL (RFC 7296 §1.4): DELETE of the IKE SA or of CHILD SAs in
 * both directions, error notifies, and the empty request that checks the
 * peer is alive (answered empty; sending it is the lifecycle issue's DPD).
 *
 * A CHILD_SA pair is deleted by naming the inbound SPI of the sender; the
 * answer names the receiver's, and both remove both halves (§1.4.1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static void add_delete(struct msg_out *m, uint8_t proto, const uint8_t *spis, uint16_t nspi)
{
	struct ike_payload *pl = msg_add(m, IKE_PL_DELETE);
	uint8_t *copy = nspi ? msg_alloc(m, 4u * nspi) : NULL;

	if (nspi && !m->overflow)
		memcpy(copy, spis, 4u * nspi);
	pl->u.del.protocol = proto;
	pl->u.del.spi_size = proto == IKE_PROTO_IKE ? 0 : 4;
	pl->u.del.nspi = nspi;
	pl->u.del.spis.p = copy;
	pl->u.del.spis.len = m->overflow ? 0 : 4u * nspi;
}

static void put_spi(uint8_t *p, uint32_t spi)
{
	p[0] = (uint8_t)(spi >> 24);
	p[1] = (uint8_t)(spi >> 16);
	p[2] = (uint8_t)(spi >> 8);
	p[3] = (uint8_t)spi;
}

static uint32_t get_spi(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- deleting the IKE SA ------------------------------------------------- */

static int delete_ike_build(struct ike_sa *sa, struct task *t, struct msg_out *m)
{
	(void)sa;
	(void)t;
	add_delete(m, IKE_PROTO_IKE, NULL, 0);
	return 0;
}

static enum task_result delete_ike_process(struct ike_sa *sa, struct task *t,
					   const struct ike_msg *m, const uint8_t *raw,
					   size_t rawlen)
{
	(void)t;
	(void)m;
	(void)raw;
	(void)rawlen;
	sa_log(sa, LOG_IKE, 0, "IKE SA deleted");
	ike_sa_destroy(sa, "deleted");
	return TASK_DONE;
}

static const struct task_ops delete_ike_ops = {
	.name = "INFORMATIONAL (DELETE IKE SA)",
	.exchange = IKE_INFORMATIONAL,
	.build = delete_ike_build,
	.process = delete_ike_process,
	.free = task_free_plain,
};

struct task *delete_ike_task_new(void)
{
	return task_alloc(sizeof(struct task), &delete_ike_ops);
}

/* ---- deleting a CHILD_SA ------------------------------------------------- */

struct delete_child_task {
	struct task t;
	uint32_t spi_in;	/* the child may be gone by the answer: find it again */
};

static int delete_child_build(struct ike_sa *sa, struct task *t, struct msg_out *m)
{
	struct delete_child_task *dt = (struct delete_child_task *)t;
	uint8_t spi[4];

	(void)sa;
	put_spi(spi, dt->spi_in);
	add_delete(m, IKE_PROTO_ESP, spi, 1);
	return 0;
}

/* The peer knows: the child goes, unless it is a replaced child whose
 * inbound SA gets its grace period from now (the peer switched its
 * outbound SA when our DELETE reached it; its timer frees it). */
static void delete_child_done(struct ike_sa *sa, uint32_t spi_in)
{
	struct child_sa *c = child_sa_find_in(sa, spi_in);

	if (c)
		c->delete_pending = false;
	if (c && timer_armed(&c->t_grace))
		timer_arm(sa->d, &c->t_grace, CHILD_GRACE_MS);
	else if (c)
		child_sa_drop(c);
}

static void delete_child_abort(struct ike_sa *sa, struct task *t)
{
	struct child_sa *c = child_sa_find_in(sa, ((struct delete_child_task *)t)->spi_in);

	if (c)
		child_sa_drop(c);
}

static enum task_result delete_child_process(struct ike_sa *sa, struct task *t,
					     const struct ike_msg *m, const uint8_t *raw,
					     size_t rawlen)
{
	(void)m;
	(void)raw;
	(void)rawlen;
	delete_child_done(sa, ((struct delete_child_task *)t)->spi_in);
	return TASK_DONE;
}

static const struct task_ops delete_child_ops = {
	.name = "INFORMATIONAL (DELETE CHILD_SA)",
	.exchange = IKE_INFORMATIONAL,
	.build = delete_child_build,
	.process = delete_child_process,
	.abort = delete_child_abort,
	.free = task_free_plain,
};

struct task *delete_child_task_new(struct child_sa *c)
{
	struct delete_child_task *t =
		(struct delete_child_task *)task_alloc(sizeof(*t), &delete_child_ops);

	if (!t)
		return NULL;
	t->spi_in = c->spi_in;
	c->delete_pending = true;
	/* Nothing flows on it from now on; the exchange only tells the peer. */
	if (c->state != CHILD_S_REKEYED)
		c->state = CHILD_S_DELETING;
	return &t->t;
}

/* ---- liveness: an empty INFORMATIONAL ------------------------------------ */

static int empty_build(struct ike_sa *sa, struct task *t, struct msg_out *m)
{
	(void)t;
	mobike_dpd_add(sa, m);
	return m->overflow ? -1 : 0;
}

static enum task_result empty_process(struct ike_sa *sa, struct task *t, const struct ike_msg *m,
				      const uint8_t *raw, size_t rawlen)
{
	(void)t;
	(void)raw;
	(void)rawlen;
	sa_log(sa, LOG_IKE, 2, "the peer is alive");
	mobike_dpd_read(sa, m);
	return TASK_DONE;
}

static const struct task_ops liveness_ops = {
	.name = "INFORMATIONAL (liveness)",
	.exchange = IKE_INFORMATIONAL,
	.build = empty_build,
	.process = empty_process,
	.free = task_free_plain,
};

struct task *liveness_task_new(void)
{
	return task_alloc(sizeof(struct task), &liveness_ops);
}

/* ---- the responder ------------------------------------------------------- */

#define DELETE_MAX 64

void info_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp)
{
	uint8_t ours[4 * DELETE_MAX];
	uint16_t nours = 0;

	mobike_info_respond(sa, req, resp);
	redirect_info_request(sa, req);
	/* RFC 5723 §4.3.1: a client's request for a new ticket. */
	if (sa->state == IKE_S_ESTABLISHED && !sa->initiator &&
	    msg_find_notify(req, IKE_N_TICKET_REQUEST)) {
		sa->ticket_wanted = true;
		resume_auth_respond(sa, resp, resume_eap_user(sa));
	}
	for (size_t i = 0; i < req->npl; i++) {
		const struct ike_payload *pl = &req->pl[i];

		if (pl->type == IKE_PL_NOTIFY && pl->u.notify.type < 16384) {
			sa_log(sa, LOG_IKE, 0, "the peer reports %s",
			       ike_notify_name(pl->u.notify.type));
			if (sa->state != IKE_S_ESTABLISHED) {
				snprintf(sa->error, sizeof(sa->error), "the peer reports %s",
					 ike_notify_name(pl->u.notify.type));
				sa->close_after_send = true;
			}
			continue;
		}
		if (pl->type != IKE_PL_DELETE)
			continue;
		if (pl->u.del.protocol == IKE_PROTO_IKE) {
			if (sa->collision)
				ike_rekey_collision_settle(sa);
			ike_rekey_redundant_deleted(sa);
			sa_log(sa, LOG_IKE, sa->rekeyed ? 1 : 0, "the peer deleted the %sIKE SA",
			       sa->rekeyed ? "replaced " : "");
			snprintf(sa->error, sizeof(sa->error), "deleted by the peer");
			sa->close_after_send = true;
			sa->end = END_PEER_CLOSED;
			continue;
		}
		if (pl->u.del.protocol != IKE_PROTO_ESP)
			continue;
		for (uint16_t j = 0; j < pl->u.del.nspi; j++) {
			uint32_t spi = get_spi(pl->u.del.spis.p + 4u * j);
			struct child_sa *c = child_sa_find_out(sa, spi), *next;
			struct ike_sa *succ;

			/* Said on the old IKE SA just as we rekeyed it: the
			 * child lives on the new one now. */
			if (!c && sa->rekeyed && (succ = ike_sa_find_spi(sa->d, sa->successor)))
				c = child_sa_find_out(succ, spi);
			if (!c) {
				sa_log(sa, LOG_CHD, 1, "the peer deleted CHILD_SA %08x, which we do "
				       "not have", spi);
				continue;
			}
			/* A child we are deleting ourselves is answered too (§1.4.1). */
			if (nours < DELETE_MAX)
				put_spi(ours + 4u * nours++, c->spi_in);
			if (c->state == CHILD_S_INSTALLING && c->replaces) {
				/* Its maker found it redundant (§2.8.1). */
				sa_log(sa, LOG_CHD, 0, "the peer deleted its new pair %08x_i of "
				       "CHILD_SA %s{%u} (a simultaneous rekey)", c->spi_in,
				       c->cfg->name, c->reqid);
				child_sa_drop(c);
				continue;
			}
			if (timer_armed(&c->t_grace))
				continue;	/* replaced or deleted already: its grace runs */
			next = child_sa_successor(c->ike, c->spi_in);
			if (next) {
				/* The rekey initiator has switched: so do we. */
				sa_log(sa, LOG_CHD, 0, "the peer deleted CHILD_SA %s{%u} after its "
				       "rekey: switching to SPIs %08x_i %08x_o", c->cfg->name,
				       c->reqid, next->spi_in, next->spi_out);
				child_sa_switch(next, c);
				child_sa_retire(c, CHILD_S_REKEYED);
				continue;
			}
			sa_log(sa, LOG_CHD, 0, "the peer deleted CHILD_SA %s{%u}", c->cfg->name,
			       c->reqid);
			if (sa->state == IKE_S_ESTABLISHED && c->ike == sa)
				child_action_take(sa, c->cfg, c->cfg->close_action,
						  "the peer deleted it");
			c->down_reason = "deleted by the peer";
			child_sa_drop(c);
		}
	}
	if (nours)
		add_delete(resp, IKE_PROTO_ESP, ours, nours);
}
