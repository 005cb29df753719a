// SPDX-License-Identifier: GPL-2.0
/*
 * Redirect (RFC 5685), both roles.
 *
 * A client announces REDIRECT_SUPPORTED in IKE_SA_INIT (REDIRECTED_FROM,
 * naming the gateway that sent it, when it was redirected) unless
 * follow_redirects = no. A REDIRECT in the IKE_SA_INIT response (which must
 * carry our nonce, the only proof that it answers us) starts the
 * connection over to the new gateway; one in an INFORMATIONAL request on an
 * established SA is answered, then the old IKE SA is deleted and the
 * connection with its CHILD_SAs set up again at the new gateway. A
 * connection followed at most REDIRECT_MAX redirects within
 * REDIRECT_PERIOD_MS; one more is a loop and fails.
 *
 * A gateway redirects a new client at IKE_SA_INIT when a connection that
 * fits its addresses has redirect_to and the client announced support (one
 * that did not is served as usual), statelessly like a COOKIE; and an
 * established client on command (kespctl ike redirect), which then leaves
 * by itself.
 *
 * The gateway's identity goes as an IPv4 or IPv6 address; a name (FQDN)
 * from a gateway is refused, as ikehelper resolves no names on this path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define GW_IPV4 1
#define GW_IPV6 2
#define GW_FQDN 3

/* GW Ident Type | GW Ident Len | address, then (IKE_SA_INIT) the nonce. */
static size_t put_gw(const struct addr *gw, uint8_t *out)
{
	size_t len = addr_len(gw->family);

	out[0] = gw->family == AF_INET ? GW_IPV4 : GW_IPV6;
	out[1] = (uint8_t)len;
	memcpy(out + 2, gw->ip, len);
	return 2 + len;
}

/* The gateway of notify data D; the rest (the nonce) in *REST. */
static int get_gw(const struct ike_slice *d, struct addr *gw, struct ike_slice *rest,
		  char *why, size_t whylen)
{
	size_t len;

	if (d->len < 2 || d->len < 2u + d->p[1]) {
		snprintf(why, whylen, "%zu bytes of data, too short for a gateway identity",
			 d->len);
		return -1;
	}
	len = d->p[1];
	memset(gw, 0, sizeof(*gw));
	if (d->p[0] == GW_IPV4 && len == 4) {
		gw->family = AF_INET;
	} else if (d->p[0] == GW_IPV6 && len == 16) {
		gw->family = AF_INET6;
	} else if (d->p[0] == GW_FQDN) {
		char name[64];
		size_t i;

		/* From the wire: only what is printable goes into the log. */
		for (i = 0; i < len && i < sizeof(name) - 1; i++)
			name[i] = d->p[2 + i] > 0x20 && d->p[2 + i] < 0x7f ? (char)d->p[2 + i] : '?';
		name[i] = '\0';
		snprintf(why, whylen, "the new gateway is a name ('%s'), which ikehelper does "
			 "not resolve here", name);
		return -1;
	} else {
		snprintf(why, whylen, "gateway identity of type %u and %zu bytes is no IPv4 or "
			 "IPv6 address", d->p[0], len);
		return -1;
	}
	memcpy(gw->ip, d->p + 2, len);
	if (addr_is_any(gw)) {
		snprintf(why, whylen, "the new gateway is the unspecified address");
		return -1;
	}
	rest->p = d->p + 2 + len;
	rest->len = d->len - 2 - len;
	return 0;
}

/* ---- client ---------------------------------------------------------------- */

void redirect_init_add(struct ike_sa *sa, struct msg_out *m)
{
	uint8_t d[18];

	if (!sa->d->cfg->set.follow_redirects)
		return;
	if (sa->redirected_from.family)
		msg_add_notify(m, IKE_N_REDIRECTED_FROM, d, put_gw(&sa->redirected_from, d));
	else
		msg_add_notify(m, IKE_N_REDIRECT_SUPPORTED, NULL, 0);
}

/* Whether SA's connection may be redirected once more (then counted). */
static bool loop_check(struct ike_sa *sa, char *why, size_t whylen)
{
	uint64_t now = sa->d->now;
	unsigned int n = 0;

	for (unsigned int i = 0; i < sa->nredirects; i++)
		if (now - sa->redirect_at[i] < REDIRECT_PERIOD_MS)
			sa->redirect_at[n++] = sa->redirect_at[i];
	sa->nredirects = n;
	if (n >= REDIRECT_MAX) {
		snprintf(why, whylen, "redirected %u times within %u s already: a redirect loop, "
			 "not following", n, REDIRECT_PERIOD_MS / 1000);
		return false;
	}
	sa->redirect_at[sa->nredirects++] = now;
	return true;
}

/* A new IKE SA of OLD's connection at GW, told where it came from, with
 * OLD's redirect history; its first CHILD_SA CHILD. */
static struct ike_sa *start_over(struct ike_sa *old, const struct addr *gw,
				 const struct child_cfg *child, char *why, size_t whylen)
{
	struct ike_sa *sa = daemon_initiate_to(old->d, old->conn, child, NULL, gw, why, whylen);

	if (!sa)
		return NULL;
	sa->redirected_from = old->remote.addr;
	memcpy(sa->redirect_at, old->redirect_at, sizeof(sa->redirect_at));
	sa->nredirects = old->nredirects;
	while (old->waiters) {
		struct sa_waiter *w = old->waiters;

		old->waiters = w->next;
		ike_sa_add_waiter(sa, w);
	}
	return sa;
}

bool redirect_init_process(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *n = msg_find_notify(m, IKE_N_REDIRECT);
	struct ike_slice nonce;
	struct addr gw;
	char why[256], a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (!n)
		return false;
	if (!sa->d->cfg->set.follow_redirects) {
		ike_sa_fail(sa, "the gateway redirects us, but follow_redirects = no");
		return true;
	}
	if (get_gw(&n->u.notify.data, &gw, &nonce, why, sizeof(why))) {
		ike_sa_fail(sa, "malformed REDIRECT in IKE_SA_INIT's response: %s", why);
		return true;
	}
	/* §4: the notify carries our nonce, or it answers someone else. */
	if (nonce.len != sa->ni_len || memcmp(nonce.p, sa->ni, sa->ni_len)) {
		ike_sa_fail(sa, "REDIRECT in IKE_SA_INIT's response without our nonce: ignored "
			    "as forged");
		return true;
	}
	if (addr_equal(&gw, &sa->remote.addr)) {
		ike_sa_fail(sa, "the gateway redirects us to itself (%s)",
			    addr_str(&gw, a, sizeof(a)));
		return true;
	}
	if (!loop_check(sa, why, sizeof(why))) {
		ike_sa_fail(sa, "%s", why);
		return true;
	}
	sa_log(sa, LOG_IKE, 0, "redirected by %s to %s at IKE_SA_INIT",
	       addr_str(&sa->remote.addr, a, sizeof(a)), addr_str(&gw, b, sizeof(b)));
	if (!start_over(sa, &gw, sa->want_child, why, sizeof(why))) {
		ike_sa_fail(sa, "cannot follow the redirect: %s", why);
		return true;
	}
	ike_sa_destroy(sa, "redirected");
	return true;
}

/* The gateway's REDIRECT N on SA (authenticated, no nonce): whether to
 * follow it to sa->redirect_gw; logged when not. */
static bool take_redirect(struct ike_sa *sa, const struct ike_payload *n)
{
	struct ike_slice rest;
	char why[256], a[ADDR_STRLEN];

	if (!sa->initiator || !sa->d->cfg->set.follow_redirects || !sa->conn) {
		sa_log(sa, LOG_IKE, 0, "the peer redirects us; not following (%s)",
		       !sa->d->cfg->set.follow_redirects ? "follow_redirects = no" :
		       "we are not the client of this IKE SA");
		return false;
	}
	if (get_gw(&n->u.notify.data, &sa->redirect_gw, &rest, why, sizeof(why)) || rest.len) {
		sa_log(sa, LOG_IKE, 0, "malformed REDIRECT from the gateway, not following: %s",
		       rest.len ? "data after the gateway identity" : why);
		return false;
	}
	if (addr_equal(&sa->redirect_gw, &sa->remote.addr)) {
		sa_log(sa, LOG_IKE, 0, "the gateway redirects us to itself (%s): ignored",
		       addr_str(&sa->redirect_gw, a, sizeof(a)));
		return false;
	}
	if (!loop_check(sa, why, sizeof(why))) {
		sa_log(sa, LOG_IKE, 0, "%s", why);
		return false;
	}
	return true;
}

void redirect_info_request(struct ike_sa *sa, const struct ike_msg *req)
{
	const struct ike_payload *n = msg_find_notify(req, IKE_N_REDIRECT);

	if (n && take_redirect(sa, n))
		sa->redirect_pending = true;
}

bool redirect_auth_process(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *n = msg_find_notify(m, IKE_N_REDIRECT);
	char why[256], a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (!n || sa->state != IKE_S_ESTABLISHED || !take_redirect(sa, n))
		return false;
	sa_log(sa, LOG_IKE, 0, "redirected by %s to %s in IKE_AUTH: deleting this IKE SA",
	       addr_str(&sa->remote.addr, a, sizeof(a)), addr_str(&sa->redirect_gw, b, sizeof(b)));
	/* No CHILD_SA is up yet: whoever waits for one waits for the new SA. */
	if (!start_over(sa, &sa->redirect_gw, sa->want_child, why, sizeof(why)))
		sa_log(sa, LOG_IKE, 0, "cannot follow the redirect: %s", why);
	daemon_terminate_sa(sa);
	return true;
}

void redirect_answered(struct ike_sa *sa)
{
	const struct child_cfg *cfgs[16];
	size_t n = 0;
	struct ike_sa *ns;
	char why[256], a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (!sa->redirect_pending || sa->state != IKE_S_ESTABLISHED)
		return;
	sa->redirect_pending = false;
	/* The CHILD_SAs to set up again, each config once. */
	for (struct child_sa *c = sa->children; c; c = c->next) {
		bool seen = false;

		for (size_t i = 0; i < n && !seen; i++)
			seen = cfgs[i] == c->cfg;
		if (!seen && n < sizeof(cfgs) / sizeof(cfgs[0]))
			cfgs[n++] = c->cfg;
	}
	sa_log(sa, LOG_IKE, 0, "redirected by %s to %s: deleting this IKE SA, setting up %s "
	       "again there", addr_str(&sa->remote.addr, a, sizeof(a)),
	       addr_str(&sa->redirect_gw, b, sizeof(b)), sa->conn->name);
	/* The old SA's routes and kernel SAs go first: the new CHILD_SAs
	 * take the same selectors. */
	daemon_terminate_sa(sa);
	ns = start_over(sa, &sa->redirect_gw, n ? cfgs[0] : NULL, why, sizeof(why));
	if (!ns) {
		sa_log(sa, LOG_IKE, 0, "cannot follow the redirect: %s", why);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct task *t = create_child_task_new(cfgs[i], NULL);

		if (t)
			exchange_queue(ns, t);
	}
}

/* ---- gateway ------------------------------------------------------------------ */

void redirect_note_peer(struct ike_sa *sa, const struct ike_msg *m)
{
	sa->peer_redirect = msg_find_notify(m, IKE_N_REDIRECT_SUPPORTED) ||
			    msg_find_notify(m, IKE_N_REDIRECTED_FROM);
}

size_t redirect_init_target(struct daemon *d, const struct ike_msg *m,
			    const struct conn *const *conns, size_t n, uint8_t *data, size_t room)
{
	const struct ike_payload *nonce = msg_find(m, IKE_PL_NONCE);
	const struct conn *c = NULL;
	char a[ADDR_STRLEN];
	size_t len;

	(void)d;
	for (size_t i = 0; i < n && !c; i++)
		if (conns[i]->redirect_to.family)
			c = conns[i];
	if (!c || !nonce)
		return 0;
	if (!msg_find_notify(m, IKE_N_REDIRECT_SUPPORTED) &&
	    !msg_find_notify(m, IKE_N_REDIRECTED_FROM)) {
		log_msg(LOG_IKE, 1, "connection %s redirects new clients, but this one does not "
			"announce REDIRECT_SUPPORTED: serving it here", c->name);
		return 0;
	}
	if (18 + nonce->u.raw.len > room)
		return 0;
	len = put_gw(&c->redirect_to, data);
	memcpy(data + len, nonce->u.raw.p, nonce->u.raw.len);
	log_msg(LOG_IKE, 0, "connection %s: redirecting a new client to %s (redirect_to)",
		c->name, addr_str(&c->redirect_to, a, sizeof(a)));
	return len + nonce->u.raw.len;
}

struct redirect_task {
	struct task t;
	struct addr gw;
};

static int redirect_build(struct ike_sa *sa, struct task *t, struct msg_out *m)
{
	struct redirect_task *rt = (struct redirect_task *)t;
	uint8_t d[18];

	(void)sa;
	msg_add_notify(m, IKE_N_REDIRECT, d, put_gw(&rt->gw, d));
	return m->overflow ? -1 : 0;
}

static enum task_result redirect_process(struct ike_sa *sa, struct task *t,
					 const struct ike_msg *m, const uint8_t *raw,
					 size_t rawlen)
{
	struct redirect_task *rt = (struct redirect_task *)t;
	char a[ADDR_STRLEN];

	(void)m;
	(void)raw;
	(void)rawlen;
	sa_log(sa, LOG_IKE, 0, "the client has our REDIRECT to %s; it deletes this IKE SA "
	       "itself", addr_str(&rt->gw, a, sizeof(a)));
	return TASK_DONE;
}

static const struct task_ops redirect_ops = {
	.name = "INFORMATIONAL (REDIRECT)",
	.exchange = IKE_INFORMATIONAL,
	.build = redirect_build,
	.process = redirect_process,
	.free = task_free_plain,
};

int redirect_sa(struct ike_sa *sa, const struct addr *gw, char *why, size_t whylen)
{
	struct redirect_task *rt;
	char a[ADDR_STRLEN];

	if (sa->state != IKE_S_ESTABLISHED) {
		snprintf(why, whylen, "IKE SA %llu is %s, not established",
			 (unsigned long long)sa->id, ike_state_name(sa->state));
		return -1;
	}
	if (sa->initiator) {
		snprintf(why, whylen, "IKE SA %llu: we are its client, only a gateway redirects",
			 (unsigned long long)sa->id);
		return -1;
	}
	if (!sa->peer_redirect) {
		snprintf(why, whylen, "IKE SA %llu: the client did not announce REDIRECT_SUPPORTED",
			 (unsigned long long)sa->id);
		return -1;
	}
	rt = (struct redirect_task *)task_alloc(sizeof(*rt), &redirect_ops);
	if (!rt) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	rt->gw = *gw;
	sa_log(sa, LOG_IKE, 0, "redirecting the client to %s", addr_str(gw, a, sizeof(a)));
	exchange_queue(sa, &rt->t);
	return 0;
}
