// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon object: its config, SA tables, devices and scratch buffers,
 * and the operations the control socket and the loop ask for: initiate,
 * terminate, reload, shut down. No sockets here (net.c, loop.c own them),
 * so two daemons live side by side in a unit test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "revoke.h"

#define COOKIE_ROTATE_MS (120 * 1000)

struct daemon *daemon_new(struct config *cfg, struct kernel *k, const struct io_ops *io,
			  void *io_ctx, uint64_t now)
{
	struct daemon *d = calloc(1, sizeof(*d));
	long ncpus;

	if (!d)
		return NULL;
	d->cfg = cfg;
	d->kernel = k;
	d->io = io;
	d->io_ctx = io_ctx;
	d->now = now;
	d->child_delete_delay_ms = CHILD_DELETE_DELAY_MS;
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	d->ncpus = ncpus > 0 ? (unsigned int)ncpus : 1;
	k->on_event = kernel_event;
	k->event_arg = d;
	/* Zeroed: a decoded message owns a store, which must start empty. */
	d->rx = calloc(1, sizeof(*d->rx));
	d->rx_inner = calloc(1, sizeof(*d->rx_inner));
	d->plain = malloc(IKE_MAX_MSG);
	d->out = malloc(sizeof(*d->out));
	if (!d->rx || !d->rx_inner || !d->plain || !d->out) {
		daemon_free(d);
		return NULL;
	}
	timer_init(&d->cookie_timer, cookie_rotate);
	timer_init(&d->mobike_timer, mobike_roam_due);
	cookie_rotate(d, &d->cookie_timer);
	return d;
}

void daemon_free(struct daemon *d)
{
	if (!d)
		return;
	if (d->kernel && d->kernel->event_arg == d)
		d->kernel->on_event = NULL;
	persist_close(d);
	trap_remove_all(d);
	while (d->sas)
		ike_sa_destroy(d->sas, "daemon stopped");
	daemon_reap(d);
	revoke_free(d);
	restarts_free(d);
	nonce_bias_free(d->nonce_bias);
	resume_free(d);
	timers_free(&d->timers);
	free(d->by_spi.b);
	free(d->half_open.b);
	free(d->leases);
	if (d->rx)
		ike_msg_release(d->rx);
	if (d->rx_inner)
		ike_msg_release(d->rx_inner);
	free(d->rx);
	free(d->rx_inner);
	if (d->plain)
		ike_wipe(d->plain, IKE_MAX_MSG);
	free(d->plain);
	if (d->out)
		ike_wipe(d->out, sizeof(*d->out));
	free(d->out);
	ike_wipe(d->cookie_secret, sizeof(d->cookie_secret));
	ike_wipe(d->cookie_prev, sizeof(d->cookie_prev));
	config_free(d->cfg);
	free(d);
}

int daemon_device(struct daemon *d, const char *name, uint32_t *ifindex)
{
	struct device *dev;
	int rc;

	for (size_t i = 0; i < d->ndevices; i++)
		if (!strcmp(d->devices[i].name, name)) {
			*ifindex = d->devices[i].ifindex;
			return 0;
		}
	if (d->ndevices == DEV_MAX) {
		snprintf(d->kernel->error, sizeof(d->kernel->error), "more than %d devices",
			 DEV_MAX);
		return -1;
	}
	rc = d->kernel->ops->dev_setup(d->kernel, name, d->cfg->set.fwmark, d->cfg->set.route_table,
				       d->cfg->set.rule_priority, ifindex);
	if (rc)
		return rc;
	/* ESP in UDP reaches the module through our NAT-T sockets (kesp.h,
	 * "UDP encapsulation"): one per family and device. */
	for (int fam = 0; fam < 2 && d->encap_fd; fam++) {
		int fd = d->encap_fd(d->io_ctx, fam ? AF_INET6 : AF_INET);

		if (fd < 0)
			continue;
		if (d->kernel->ops->encap_attach(d->kernel, *ifindex, fd))
			log_msg(LOG_KNL, 0, "cannot attach our %s NAT-T socket to %s: %s",
				fam ? "IPv6" : "IPv4", name, d->kernel->error);
	}
	dev = &d->devices[d->ndevices++];
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->ifindex = *ifindex;
	log_msg(LOG_KNL, 1, "device %s (ifindex %u) ready, fwmark 0x%x, routes in table %u", name,
		*ifindex, d->cfg->set.fwmark, d->cfg->set.route_table);
	return 0;
}

/* A single address of the list, resolving a name now. */
static bool initiate_target(const struct addr_spec *specs, size_t n, struct addr *out)
{
	for (size_t i = 0; i < n; i++) {
		struct addr_spec s = specs[i];

		if (s.kind == ADDR_RANGE && addr_equal(&s.lo, &s.hi)) {
			*out = s.lo;
			return true;
		}
		if (s.kind == ADDR_NAME && !addr_spec_resolve(&s) && s.nresolved) {
			*out = s.resolved[0];
			return true;
		}
	}
	return false;
}

struct ike_sa *daemon_find_sa_for_conn(struct daemon *d, const struct conn *c)
{
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next_all)
		if (sa->conn && !strcmp(sa->conn->name, c->name) && sa->state != IKE_S_DELETING)
			return sa;
	return NULL;
}

struct ike_sa *daemon_initiate_to(struct daemon *d, const struct conn *c,
				  const struct child_cfg *child, struct sa_waiter *w,
				  const struct addr *to, char *why, size_t whylen)
{
	struct endpoint local = { .port = d->cfg->set.port }, remote = { .port = c->remote_port };
	struct ike_sa *sa;
	struct task *init, *auth, *cc = NULL;
	bool force = c->childless == CHILDLESS_FORCE, resume;
	char a[ADDR_STRLEN];

	if (!child && c->childless == CHILDLESS_NEVER) {
		snprintf(why, whylen, "connection %s: childless = never, so its IKE SA comes up "
			 "only with a CHILD_SA, and it %s", c->name,
			 c->nchildren ? "was asked for none" : "has no children");
		return NULL;
	}
	if (to)
		remote.addr = *to;
	else if (!initiate_target(c->remote_addrs, c->nremote_addrs, &remote.addr)) {
		snprintf(why, whylen, "connection %s: remote_addrs names no single address or "
			 "resolvable host to initiate to", c->name);
		return NULL;
	}
	if (c->local_port != d->cfg->set.port && c->local_port != d->cfg->set.port_nat_t) {
		snprintf(why, whylen, "connection %s: local_port %u is none of our ports (%u, %u)",
			 c->name, c->local_port, d->cfg->set.port, d->cfg->set.port_nat_t);
		return NULL;
	}
	local.port = c->local_port;
	if (!initiate_target(c->local_addrs, c->nlocal_addrs, &local.addr) &&
	    d->io->route_src(d->io_ctx, &remote.addr, NULL, &local.addr)) {
		snprintf(why, whylen, "connection %s: no route to %s", c->name,
			 addr_str(&remote.addr, a, sizeof(a)));
		return NULL;
	}
	if (!c->nike) {
		snprintf(why, whylen, "connection %s has no IKE proposals", c->name);
		return NULL;
	}
	sa = ike_sa_new(d, true, &local, &remote);
	if (sa)
		ike_sa_set_conn(sa, c);
	/* RFC 5723: with a valid ticket, IKE_SESSION_RESUME instead. */
	resume = sa && !to && resume_has_ticket(d, c);
	init = resume ? resume_task_new(sa) : ike_init_task_new();
	auth = ike_auth_task_new();
	/* childless = force: IKE_AUTH without it, then its CREATE_CHILD_SA. */
	if (child && force)
		cc = create_child_task_new(child, NULL);
	if (!sa || !init || !auth || (child && force && !cc)) {
		free(init);
		free(auth);
		if (cc)
			cc->ops->free(cc);
		if (sa)
			ike_sa_destroy(sa, "out of memory");
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	sa->want_child = child;
	if (w)
		ike_sa_add_waiter(sa, w);
	sa_log(sa, LOG_IKE, resume ? 0 : 1, "initiating to %s%s%s%s%s",
	       addr_str(&remote.addr, a, sizeof(a)),
	       resume ? " by IKE_SESSION_RESUME (RFC 5723, a ticket)" : "",
	       !child ? ", childless (no CHILD_SA)" : force ? ", childless (childless = force), "
	       "then CHILD_SA " : " with CHILD_SA ", child ? child->name : "",
	       child && force ? " by CREATE_CHILD_SA" : "");
	exchange_queue(sa, init);
	exchange_queue(sa, auth);
	if (cc)
		exchange_queue(sa, cc);
	return sa;
}

struct ike_sa *daemon_initiate(struct daemon *d, const struct conn *c,
			       const struct child_cfg *child, struct sa_waiter *w, char *why,
			       size_t whylen)
{
	if (!child && c->nchildren)
		child = &c->children[0];
	return daemon_initiate_to(d, c, child, w, NULL, why, whylen);
}

struct ike_sa *daemon_initiate_ike(struct daemon *d, const struct conn *c, struct sa_waiter *w,
				   char *why, size_t whylen)
{
	return daemon_initiate_to(d, c, NULL, w, NULL, why, whylen);
}

/* Our DELETE goes out; the kernel SAs go now (§1.4.1 lets us stop using
 * them at once), the IKE SA when the peer answers or the tries run out. */
static void terminate(struct ike_sa *sa)
{
	struct task *t;

	if (sa->state != IKE_S_ESTABLISHED) {
		ike_sa_destroy(sa, "terminated before it was established");
		return;
	}
	for (struct child_sa *c = sa->children; c; c = c->next)
		child_sa_uninstall(c);
	t = delete_ike_task_new();
	if (!t) {
		ike_sa_destroy(sa, "terminated");
		return;
	}
	sa->state = IKE_S_DELETING;
	ike_sa_notify_waiters(sa, false, "terminated");
	sa_log(sa, LOG_IKE, 0, "deleting the IKE SA");
	exchange_queue(sa, t);
}

void daemon_terminate_sa(struct ike_sa *sa)
{
	terminate(sa);
}

size_t daemon_terminate(struct daemon *d, const char *conn_name)
{
	struct ike_sa *sa, *next;
	size_t n = 0;

	restarts_cancel(d, conn_name);
	for (sa = d->sas; sa; sa = next) {
		next = sa->next_all;
		if (sa->conn && !strcmp(sa->conn->name, conn_name) && sa->state != IKE_S_DELETING) {
			terminate(sa);
			n++;
		}
	}
	return n;
}

/* The first child with start_action = start comes with IKE_AUTH, each
 * further one with a CREATE_CHILD_SA queued behind it. */
static void start_conn(struct daemon *d, const struct conn *c)
{
	struct ike_sa *sa = NULL;
	char why[256];

	trap_install_conn(d, c);
	/* Adopted after a restart (persist.c), or negotiated again. */
	if (daemon_find_sa_for_conn(d, c))
		return;
	for (size_t j = 0; j < c->nchildren; j++) {
		struct task *t;

		if (c->children[j].start_action != START_START)
			continue;
		if (!sa) {
			sa = daemon_initiate(d, c, &c->children[j], NULL, why, sizeof(why));
			if (!sa) {
				log_msg(LOG_DMN, 0, "start_action = start: %s", why);
				return;
			}
			continue;
		}
		t = create_child_task_new(&c->children[j], NULL);
		if (t)
			exchange_queue(sa, t);
	}
}

void daemon_start_all(struct daemon *d)
{
	for (size_t i = 0; i < d->cfg->nconns; i++)
		start_conn(d, d->cfg->conns[i]);
}

void daemon_reload(struct daemon *d, struct config *cfg)
{
	struct config *old = d->cfg;
	struct ike_sa *sa, *next;
	size_t kept = 0, changed = 0;

	/* Unchanged connections keep their object, so their SAs stay. */
	for (size_t i = 0; i < cfg->nconns; i++) {
		const struct conn *o = config_find_conn(old, cfg->conns[i]->name);

		if (o && o->fingerprint == cfg->conns[i]->fingerprint) {
			conn_put(cfg->conns[i]);
			cfg->conns[i] = conn_get((struct conn *)o);
			kept++;
		}
	}
	if (cfg->set.port != old->set.port || cfg->set.port_nat_t != old->set.port_nat_t)
		log_msg(LOG_CFG, 0, "new ports take effect when ikehelper restarts");
	d->cfg = cfg;
	trap_remove_stale(d);
	for (sa = d->sas; sa; sa = next) {
		const struct conn *now;

		next = sa->next_all;
		if (!sa->conn)
			continue;
		now = config_find_conn(cfg, sa->conn->name);
		if (now == sa->conn)
			continue;
		changed++;
		sa_log(sa, LOG_CFG, 0, "connection %s %s: deleting its IKE SA", sa->conn->name,
		       now ? "changed" : "was removed");
		terminate(sa);
	}
	for (size_t i = 0; i < cfg->nconns; i++) {
		const struct conn *o = config_find_conn(old, cfg->conns[i]->name);

		if (o != cfg->conns[i])
			start_conn(d, cfg->conns[i]);
	}
	log_msg(LOG_CFG, 0, "configuration reloaded: %zu connections, %zu unchanged, %zu SAs "
		"deleted", cfg->nconns, kept, changed);
	config_free(old);
}

void daemon_shutdown(struct daemon *d)
{
	struct ike_sa *sa, *next;

	trap_remove_all(d);
	for (sa = d->sas; sa; sa = next) {
		next = sa->next_all;
		for (struct child_sa *c = sa->children; c; c = c->next)
			child_sa_uninstall(c);
		/* One DELETE, not waited for: we are going away. */
		if (sa->state == IKE_S_ESTABLISHED) {
			struct msg_out *m = d->out;
			struct ike_payload *pl;
			uint8_t *pkt;
			size_t len;

			msg_reset(m);
			pl = msg_add(m, IKE_PL_DELETE);
			pl->u.del.protocol = IKE_PROTO_IKE;
			if (!exchange_encode(sa, IKE_INFORMATIONAL, sa->mid_next++, false, m, &pkt,
					     &len)) {
				exchange_send_raw(sa, pkt, len);
				free(pkt);
			}
		}
		sa->end = END_LOCAL;
		ike_sa_destroy(sa, "ikehelper is stopping");
	}
	daemon_reap(d);
	restarts_free(d);
}

void kernel_destroy(struct kernel *k)
{
	if (k)
		k->ops->destroy(k);
}
