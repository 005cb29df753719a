// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket kespctl talks to (/run/kesp/ikehelper.sock, mode 0600,
 * peers checked to be root). One request line per connection:
 *   up CONN | up-child CHILD | up-ike CONN | down CONN | rekey CONN | rekey-child CHILD
 *   | redirect CONN|ID GATEWAY
 *   | list | reload | monitor
 * and answer lines, each starting with what it is:
 *   "| text"          something to show the user
 *   "ike k=v ..."     an IKE SA (list), "child k=v ..." one of its CHILD SAs
 *   "event k=v ..."   monitor: an event as it happens (events.h), until the
 *                     client closes the connection; never blocking the
 *                     daemon (a slow client loses events and is told so)
 *   "+ text"          done, succeeded (last line)
 *   "- text"          done, failed, and why (last line)
 * Values in records are %XX-escaped outside [A-Za-z0-9._:/@+-], so a line
 * always splits on spaces and '='. "up" answers when the SA is up or has
 * failed, so the client waits as long as the negotiation takes. "up-ike"
 * brings up only the IKE SA, without a CHILD_SA (RFC 6023).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop.h"

struct control {
	struct loop *loop;
	struct daemon *d;
	int fd;
	struct loop_fd *entry;
	char path[108];
	char config_path[256];
	struct client *clients;
};

struct client {
	struct control *c;
	int fd;
	struct loop_fd *entry;
	char in[512];
	size_t inlen;
	struct sa_waiter w;	/* an "up" in progress */
	bool answered;
	bool in_command;	/* closing waits until command() returns */
	bool monitor;		/* subscribed to events (sub) */
	struct event_sub sub;
	struct client *next;
};

static void client_close(struct client *cl)
{
	struct client **pp;

	ike_sa_remove_waiter(&cl->w);
	loop_del(cl->c->loop, cl->entry);
	close(cl->fd);
	event_sub_free(&cl->sub);
	for (pp = &cl->c->clients; *pp; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	free(cl);
}

static void say(struct client *cl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct client *cl, const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* The socket blocks with a send timeout: a stuck client costs a
	 * couple of seconds, not the daemon. */
	if (write(cl->fd, line, (size_t)n) != n)
		cl->answered = true;
}

/* The last line, then the connection ends. */
static void finish(struct client *cl, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void finish(struct client *cl, bool ok, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	say(cl, "%c %s", ok ? '+' : '-', msg);
	cl->answered = true;
}

/* ---- records ------------------------------------------------------------- */

/* Seconds until timer T fires, or "" when it is not armed. */
static void put_due(struct rec *r, const char *key, const struct daemon *d, const struct timer *t)
{
	if (timer_armed(t))
		rec_putf(r, key, "%llu", (unsigned long long)
			 (t->when > d->now ? (t->when - d->now + 999) / 1000 : 0));
}

static void list_child(struct client *cl, struct child_sa *ch)
{
	struct daemon *d = ch->ike->d;
	struct kernel_counters in = { 0 }, out = { 0 };
	struct rec r;
	char buf[1024];

	if (ch->kid_in)
		d->kernel->ops->sa_counters(d->kernel, ch->ifindex, ch->kid_in, &in);
	if (ch->kid_out)
		d->kernel->ops->sa_counters(d->kernel, ch->ifindex, ch->kid_out, &out);
	rec_init(&r, "child");
	rec_put(&r, "name", ch->cfg->name);
	rec_putf(&r, "reqid", "%u", ch->reqid);
	rec_put(&r, "state", child_state_name(ch->state));
	rec_put(&r, "mode", ch->mode == MODE_TRANSPORT ? "transport" : "tunnel");
	rec_putf(&r, "spi_in", "%08x", ch->spi_in);
	rec_putf(&r, "spi_out", "%08x", ch->spi_out);
	rec_put(&r, "algs", child_sa_algs(ch, buf, sizeof(buf)));
	rec_put(&r, "encap", ch->encap ? "yes" : "no");
	/* Per-CPU SAs: the set's fallback, or the CPU our outbound SA serves. */
	if (ch->pcpu_fallback)
		rec_put(&r, "per_cpu", "fallback");
	else if (ch->pcpu && ch->has_cpu)
		rec_putf(&r, "per_cpu", "cpu %u", ch->cpu);
	else if (ch->pcpu)
		rec_put(&r, "per_cpu", "any cpu");
	rec_put(&r, "local_ts", ts_list_str(ch->ts_local, ch->nts_local, buf, sizeof(buf)));
	rec_put(&r, "remote_ts", ts_list_str(ch->ts_remote, ch->nts_remote, buf, sizeof(buf)));
	rec_putf(&r, "bytes_in", "%llu", (unsigned long long)in.bytes);
	rec_putf(&r, "packets_in", "%llu", (unsigned long long)in.packets);
	rec_putf(&r, "bytes_out", "%llu", (unsigned long long)out.bytes);
	rec_putf(&r, "packets_out", "%llu", (unsigned long long)out.packets);
	rec_putf(&r, "age", "%llu",
		 (unsigned long long)(ch->installed_at ? (d->now - ch->installed_at) / 1000 : 0));
	if (ch->installed_at && ch->is_rekey)
		rec_putf(&r, "rekeyed", "%llu",
			 (unsigned long long)((d->now - ch->installed_at) / 1000));
	put_due(&r, "rekey_in", d, &ch->t_rekey);
	put_due(&r, "expire_in", d, &ch->t_expire);
	say(cl, "%s", r.buf);
}

/* KEY = "a, b" (the configuration payload's addresses), when there are any. */
static void put_addrs(struct rec *r, const char *key, const struct addr *a, size_t n)
{
	char buf[2 * CONF_MAX_VIPS * (ADDR_STRLEN + 2)], s[ADDR_STRLEN];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? ", " : "",
					addr_str(&a[i], s, sizeof(s)));
	if (n)
		rec_put(r, key, buf);
}

static void list(struct client *cl)
{
	struct daemon *d = cl->c->d;
	size_t n = 0;

	for (struct ike_sa *sa = d->sas; sa; sa = sa->next_all) {
		struct rec r;
		char buf[160];

		rec_init(&r, "ike");
		rec_ike(&r, sa);
		rec_put(&r, "state", ike_state_name(sa->state));
		rec_put(&r, "role", sa->initiator ? "initiator" : "responder");
		rec_put(&r, "algs", sa->keys_ready ? ike_sa_algs(sa, buf, sizeof(buf)) : "");
		rec_put(&r, "nat", sa->nat_local ? "local" : sa->nat_remote ? "remote" : "none");
		rec_put(&r, "mobike", !sa->mobike ? "no" : sa->mobike_client ? "client" : "gateway");
		rec_putf(&r, "age", "%llu", (unsigned long long)((d->now - sa->created) / 1000));
		if (sa->state == IKE_S_ESTABLISHED)
			rec_putf(&r, "established", "%llu",
				 (unsigned long long)((d->now - sa->established) / 1000));
		if (sa->rekeyed_at)
			rec_putf(&r, "rekeyed", "%llu",
				 (unsigned long long)((d->now - sa->rekeyed_at) / 1000));
		put_due(&r, "rekey_in", d, &sa->t_rekey);
		if (sa->resumed)
			rec_put(&r, "resumed", "yes");
		if (sa->initiator && sa->conn && sa->state == IKE_S_ESTABLISHED &&
		    resume_ticket_expires_in(d, sa->conn) >= 0)
			rec_putf(&r, "ticket_in", "%ld", resume_ticket_expires_in(d, sa->conn));
		put_addrs(&r, "vips", sa->cp.vip, sa->cp.nvip);
		put_addrs(&r, "leases", sa->cp.lease, sa->cp.nlease);
		put_addrs(&r, "peer_addrs", sa->peer_addrs, sa->npeer_addrs);
		say(cl, "%s", r.buf);
		for (struct child_sa *ch = sa->children; ch; ch = ch->next)
			list_child(cl, ch);
		n++;
	}
	finish(cl, true, "%zu IKE SA%s", n, n == 1 ? "" : "s");
}

/* ---- commands ------------------------------------------------------------ */

static void up_done(struct sa_waiter *w, bool ok, const char *msg)
{
	struct client *cl = w->ctx;

	finish(cl, ok, "%s", msg);
	if (!cl->in_command)
		client_close(cl);
}

static bool child_up(const struct ike_sa *sa, const struct child_cfg *cc)
{
	for (const struct child_sa *c = sa->children; c; c = c->next)
		if (c->cfg == cc && c->state == CHILD_S_INSTALLED)
			return true;
	return false;
}

/* BY_CHILD: NAME is a child's; NO_CHILD: the IKE SA alone. */
static void cmd_up(struct client *cl, const char *name, bool by_child, bool no_child)
{
	struct daemon *d = cl->c->d;
	const struct child_cfg *cc = NULL;
	const struct conn *c = by_child ? config_find_child(d->cfg, name, &cc) :
					  config_find_conn(d->cfg, name);
	struct ike_sa *sa;
	char why[512];

	if (!c) {
		finish(cl, false, "no %s named '%s' in %s", by_child ? "child" : "connection", name,
		       d->cfg->file);
		return;
	}
	if (!cc && !no_child)
		cc = c->nchildren ? &c->children[0] : NULL;
	sa = daemon_find_sa_for_conn(d, c);
	if (sa && sa->state == IKE_S_ESTABLISHED) {
		struct task *t;

		if (!cc || child_up(sa, cc)) {
			finish(cl, true, "%s is already up (IKE SA %llu)", c->name,
			       (unsigned long long)sa->id);
			return;
		}
		t = create_child_task_new(cc, NULL);
		if (!t) {
			finish(cl, false, "out of memory");
			return;
		}
		cl->w.done = up_done;
		cl->w.ctx = cl;
		say(cl, "| creating CHILD_SA %s on IKE SA %llu", cc->name,
		    (unsigned long long)sa->id);
		ike_sa_add_waiter(sa, &cl->w);
		exchange_queue(sa, t);
		return;
	}
	cl->w.done = up_done;
	cl->w.ctx = cl;
	if (sa) {
		say(cl, "| %s is being set up (IKE SA %llu, %s), waiting", c->name,
		    (unsigned long long)sa->id, ike_state_name(sa->state));
		ike_sa_add_waiter(sa, &cl->w);
		return;
	}
	sa = no_child ? daemon_initiate_ike(d, c, &cl->w, why, sizeof(why)) :
			daemon_initiate(d, c, cc, &cl->w, why, sizeof(why));
	if (!sa) {
		finish(cl, false, "%s", why);
		return;
	}
	if (!cl->answered)
		say(cl, "| initiating %s (IKE SA %llu)", c->name, (unsigned long long)sa->id);
}

static void cmd_down(struct client *cl, const char *name)
{
	struct daemon *d = cl->c->d;
	size_t n;

	if (!config_find_conn(d->cfg, name)) {
		finish(cl, false, "no connection named '%s' in %s", name, d->cfg->file);
		return;
	}
	n = daemon_terminate(d, name);
	if (!n)
		finish(cl, false, "%s has no IKE SA", name);
	else
		finish(cl, true, "deleting %zu IKE SA%s of %s", n, n == 1 ? "" : "s", name);
}

/* Rekeys now (returns at once) every established IKE SA of connection NAME,
 * or (CHILD) every installed CHILD_SA of child NAME. */
static void cmd_rekey(struct client *cl, const char *name, bool child)
{
	struct daemon *d = cl->c->d;
	size_t n = 0;

	for (struct ike_sa *sa = d->sas; sa; sa = sa->next_all) {
		if (sa->state != IKE_S_ESTABLISHED)
			continue;
		if (!child) {
			if (!sa->rekeyed && sa->conn && !strcmp(sa->conn->name, name)) {
				ike_rekey_start(sa);
				n++;
			}
			continue;
		}
		for (struct child_sa *c = sa->children; c; c = c->next)
			if (c->state == CHILD_S_INSTALLED && !strcmp(c->cfg->name, name)) {
				child_rekey_start(c);
				n++;
			}
	}
	if (!n)
		finish(cl, false, child ? "no installed CHILD_SA named '%s'" :
		       "no established IKE SA of connection '%s'", name);
	else
		finish(cl, true, "rekeying %zu %s%s of %s", n, child ? "CHILD_SA" : "IKE SA",
		       n == 1 ? "" : "s", name);
}

/* RFC 5723: connection NAME's IKE SAs are given up here (no DELETE: the
 * gateway is presumed lost; the resumed IKE_AUTH's INITIAL_CONTACT clears
 * what it kept) and the connection set up again, by IKE_SESSION_RESUME
 * with a valid ticket, else by a full IKE_SA_INIT; waits until it is up. */
static void cmd_resume(struct client *cl, const char *name)
{
	struct daemon *d = cl->c->d;
	const struct conn *c = config_find_conn(d->cfg, name);
	struct ike_sa *sa, *next;
	bool ticket;
	char why[512];

	if (!c || !c->resumption) {
		finish(cl, false, c ? "connection '%s' has resumption = no" :
		       "no connection named '%s'", name);
		return;
	}
	ticket = resume_has_ticket(d, c);
	for (sa = d->sas; sa; sa = next) {
		next = sa->next_all;
		if (sa->conn == c && sa->initiator) {
			sa->end = END_LOCAL;
			sa_log(sa, LOG_IKE, 0, "given up without a DELETE (kespctl ike resume)");
			ike_sa_destroy(sa, "given up for kespctl ike resume");
		}
	}
	cl->w.done = up_done;
	cl->w.ctx = cl;
	sa = daemon_initiate(d, c, NULL, &cl->w, why, sizeof(why));
	if (!sa) {
		finish(cl, false, "%s", why);
		return;
	}
	if (!cl->answered)
		say(cl, "| %s %s (IKE SA %llu)", ticket ? "resuming" : "no valid ticket: initiating",
		    c->name, (unsigned long long)sa->id);
}

/* Sends the clients of connection NAME's established IKE SAs (or of IKE SA
 * number NAME) to gateway GW (RFC 5685). */
static void cmd_redirect(struct client *cl, const char *name, const char *gw)
{
	struct daemon *d = cl->c->d;
	struct addr a;
	char *end, why[256] = "";
	unsigned long long id = strtoull(name, &end, 10);
	size_t n = 0, tried = 0;

	if (!addr_parse(gw, &a) || addr_is_any(&a)) {
		finish(cl, false, "redirect: '%s' is not the IPv4 or IPv6 address of a gateway", gw);
		return;
	}
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next_all) {
		if (*end ? !sa->conn || strcmp(sa->conn->name, name) : sa->id != id)
			continue;
		if (sa->state != IKE_S_ESTABLISHED || sa->rekeyed)
			continue;
		tried++;
		if (!redirect_sa(sa, &a, why, sizeof(why)))
			n++;
	}
	if (!n)
		finish(cl, false, "%s", tried ? why : *end ? "no established IKE SA of that "
		       "connection" : "no established IKE SA with that number");
	else
		finish(cl, true, "redirecting %zu IKE SA%s of %s to %s", n, n == 1 ? "" : "s",
		       name, gw);
}

static void reload_diag(void *ctx, bool error, const char *msg)
{
	struct client *cl = ctx;

	log_msg(LOG_CFG, error ? 0 : 1, "%s", msg);
	say(cl, "| %s", msg);
}

static void cmd_reload(struct client *cl)
{
	struct config *cfg = config_load(cl->c->config_path, reload_diag, cl);

	if (!cfg) {
		finish(cl, false, "%s has errors; the running configuration stays",
		       cl->c->config_path);
		return;
	}
	config_resolve_names(cfg);
	log_configure(&cfg->set.log);
	daemon_reload(cl->c->d, cfg);
	finish(cl, true, "reloaded %s: %zu connection%s", cl->c->config_path, cfg->nconns,
	       cfg->nconns == 1 ? "" : "s");
}

/* Watches for EPOLLOUT while the client's events wait for its socket. */
static void watch_output(struct client *cl)
{
	loop_mod(cl->c->loop, cl->entry,
		 EPOLLIN | (event_sub_pending(&cl->sub) ? EPOLLOUT : 0));
}

static void publish(void *ctx, const char *line)
{
	struct control *c = ctx;
	struct client *cl, *next;

	for (cl = c->clients; cl; cl = next) {
		next = cl->next;
		if (!cl->monitor)
			continue;
		if (event_sub_push(&cl->sub, line)) {
			client_close(cl);
			continue;
		}
		watch_output(cl);
	}
}

/* The client stays, reading events until it closes the connection. */
static void cmd_monitor(struct client *cl)
{
	int fl = fcntl(cl->fd, F_GETFL);

	if (fl < 0 || fcntl(cl->fd, F_SETFL, fl | O_NONBLOCK)) {
		finish(cl, false, "cannot make the socket non-blocking: %s", strerror(errno));
		return;
	}
	event_sub_init(&cl->sub, cl->fd);
	cl->monitor = true;
	if (event_sub_push(&cl->sub, "| monitoring ikehelper's events")) {
		cl->answered = true;	/* gone already: closed after the command */
		return;
	}
	watch_output(cl);
}

static void command(struct client *cl, char *line)
{
	char *verb = strtok(line, " \t"), *arg = strtok(NULL, " \t"), *extra = strtok(NULL, " \t");

	log_msg(LOG_CTL, 1, "control: %s%s%s", verb ? verb : "", arg ? " " : "", arg ? arg : "");
	if (!verb) {
		finish(cl, false, "empty request");
	} else if (!strcmp(verb, "redirect") && arg && extra && !strtok(NULL, " \t")) {
		cmd_redirect(cl, arg, extra);
	} else if (extra) {
		finish(cl, false, "'%s' takes at most one argument", verb);
	} else if (!strcmp(verb, "up") && arg) {
		cmd_up(cl, arg, false, false);
	} else if (!strcmp(verb, "up-child") && arg) {
		cmd_up(cl, arg, true, false);
	} else if (!strcmp(verb, "up-ike") && arg) {
		cmd_up(cl, arg, false, true);
	} else if (!strcmp(verb, "down") && arg) {
		cmd_down(cl, arg);
	} else if (!strcmp(verb, "rekey-child") && arg) {
		cmd_rekey(cl, arg, true);
	} else if (!strcmp(verb, "rekey") && arg) {
		cmd_rekey(cl, arg, false);
	} else if (!strcmp(verb, "resume") && arg) {
		cmd_resume(cl, arg);
	} else if (!strcmp(verb, "list") && !arg) {
		list(cl);
	} else if (!strcmp(verb, "reload") && !arg) {
		cmd_reload(cl);
	} else if (!strcmp(verb, "monitor") && !arg) {
		cmd_monitor(cl);
	} else {
		finish(cl, false, "unknown request '%s' (up CONN, up-child CHILD, up-ike CONN, down CONN, "
		       "rekey CONN, rekey-child CHILD, resume CONN, redirect CONN|ID GATEWAY, "
		       "list, reload, monitor)", verb);
	}
}

static void on_client(void *arg, int fd)
{
	struct client *cl = arg;
	ssize_t n;
	char *nl;

	if (cl->monitor) {
		char drain[256];

		if (cl->entry->revents & EPOLLOUT) {
			if (event_sub_flush(&cl->sub)) {
				client_close(cl);
				return;
			}
			watch_output(cl);
		}
		if (!(cl->entry->revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			return;
		/* Anything it says is ignored; end of file ends it. */
		n = read(fd, drain, sizeof(drain));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			client_close(cl);
		return;
	}
	n = read(fd, cl->in + cl->inlen, sizeof(cl->in) - 1 - cl->inlen);
	if (n <= 0) {
		client_close(cl);
		return;
	}
	if (cl->w.sa || cl->answered)
		return;		/* one request per connection */
	cl->inlen += (size_t)n;
	cl->in[cl->inlen] = '\0';
	nl = strchr(cl->in, '\n');
	if (!nl) {
		if (cl->inlen == sizeof(cl->in) - 1) {
			finish(cl, false, "request too long");
			client_close(cl);
		}
		return;
	}
	*nl = '\0';
	cl->in_command = true;
	command(cl, cl->in);
	cl->in_command = false;
	if (cl->answered)
		client_close(cl);
}

static void on_accept(void *arg, int fd)
{
	struct control *c = arg;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct timeval tv = { .tv_sec = 2 };
	struct client *cl;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	if (cfd < 0)
		return;
	/* Root only: the socket file is 0600 too, this is the belt. */
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || (cred.uid && cred.uid != geteuid())) {
		log_msg(LOG_CTL, 0, "control: refusing a client with uid %u", cred.uid);
		close(cfd);
		return;
	}
	setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(cfd);
		return;
	}
	cl->c = c;
	cl->fd = cfd;
	cl->entry = loop_add(c->loop, cfd, on_client, cl);
	if (!cl->entry) {
		close(cfd);
		free(cl);
		return;
	}
	cl->next = c->clients;
	c->clients = cl;
}

struct control *control_open(struct loop *l, struct daemon *d, const char *path,
			     const char *config_path, char *why, size_t whylen)
{
	struct control *c = calloc(1, sizeof(*c));
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)], *slash;
	mode_t old;

	if (!c || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "control socket path too long");
		free(c);
		return NULL;
	}
	c->loop = l;
	c->d = d;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->config_path, sizeof(c->config_path), "%s", config_path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			snprintf(why, whylen, "cannot create %s: %s", dir, strerror(errno));
			free(c);
			return NULL;
		}
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	old = umask(0077);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(c->fd, 16)) {
		snprintf(why, whylen, "control socket %s: %s", path, strerror(errno));
		umask(old);
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	umask(old);
	c->entry = loop_add(l, c->fd, on_accept, c);
	if (!c->entry) {
		snprintf(why, whylen, "cannot watch the control socket");
		control_close(c);
		return NULL;
	}
	d->on_event = publish;
	d->event_ctx = c;
	return c;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	if (c->d->event_ctx == c) {
		c->d->on_event = NULL;
		c->d->event_ctx = NULL;
	}
	while (c->clients)
		client_close(c->clients);
	loop_del(c->loop, c->entry);
	close(c->fd);
	unlink(c->path);
	free(c);
}
