/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Two (or more) ikehelper daemons in one process, joined by a wire we hold
 * in our hands (strongSwan's unit-test idea): each message is delivered
 * when the test says so, or lost, duplicated, delayed, or passed through a
 * NAT; time moves only when the test moves it; the kernel is the in-memory
 * fake. Log lines are kept so a test can ask what a daemon said.
 */
#ifndef KESP_IKE_HARNESS_H
#define KESP_IKE_HARNESS_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* Not every user of the harness needs every helper. */
#pragma GCC diagnostic ignored "-Wunused-function"

#define H_PEERS 4
#define H_LOG 262144

struct h_pkt {
	struct endpoint from, to;
	uint8_t *data;
	size_t len;
	struct h_pkt *next;
};

struct h_peer {
	const char *name;
	struct daemon *d;
	struct kernel *k;
	struct addr addr;		/* the kernel's preferred source */
	struct addr also;		/* another address the peer still has */
	unsigned int keepalives;
};

/* A NAT in front of one peer: its packets leave from PUBLIC, with a port
 * per inner port, and answers to PUBLIC come back in. */
struct h_nat {
	bool on;
	struct h_peer *inside;
	struct addr pub;
	uint16_t port_base;
};

static struct h_peer h_peers[H_PEERS];
static size_t h_npeers;
static struct h_pkt *h_wire, **h_wire_tail = &h_wire;
static size_t h_wire_len;
static uint64_t h_now = 1000000;
static char h_log[H_LOG];
static size_t h_log_len;
/* Lines that did not fit: a check that reads the log must not fail
 * silently because of them (h_log_has says so). */
static size_t h_log_lost;
static struct h_nat h_nat;

static void h_sink(void *ctx, enum log_subsys s, int level, const char *line)
{
	size_t n = strlen(line);

	(void)ctx;
	(void)s;
	(void)level;
	if (getenv("H_VERBOSE"))
		printf("# %s\n", line);
	if (h_log_len + n + 2 < H_LOG) {
		memcpy(h_log + h_log_len, line, n);
		h_log_len += n;
		h_log[h_log_len++] = '\n';
		h_log[h_log_len] = '\0';
	} else {
		h_log_lost++;
	}
}

static void h_log_clear(void)
{
	h_log_len = 0;
	h_log_lost = 0;
	h_log[0] = '\0';
}

/* Whether some log line has all of the needles (NULL-terminated). */
static bool h_log_has(const char *needle, ...)
{
	const char *line = h_log;

	while (*line) {
		const char *end = strchr(line, '\n');
		char buf[4096];
		size_t n = (size_t)(end - line);
		bool all = true;
		va_list ap;
		const char *x;

		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
		memcpy(buf, line, n);
		buf[n] = '\0';
		va_start(ap, needle);
		for (x = needle; x && all; x = va_arg(ap, const char *))
			all = strstr(buf, x) != NULL;
		va_end(ap);
		if (all)
			return true;
		line = end + 1;
	}
	if (h_log_lost)
		printf("# h_log_has: %zu log lines after the first %zu bytes were lost (H_LOG)\n",
		       h_log_lost, h_log_len);
	return false;
}

static void h_nat_out(struct endpoint *from)
{
	if (h_nat.on && addr_equal(&from->addr, &h_nat.inside->addr)) {
		from->addr = h_nat.pub;
		from->port = (uint16_t)(h_nat.port_base + from->port);
	}
}

/* Puts INSIDE behind a NAT whose public address is PUB, ports BASE + inner. */
static void h_nat_behind(struct h_peer *inside, const char *pub, uint16_t base)
{
	h_nat.on = true;
	h_nat.inside = inside;
	addr_parse(pub, &h_nat.pub);
	h_nat.port_base = base;
}

static void h_nat_in(struct endpoint *to)
{
	if (h_nat.on && addr_equal(&to->addr, &h_nat.pub)) {
		to->addr = h_nat.inside->addr;
		to->port = (uint16_t)(to->port - h_nat.port_base);
	}
}

static void h_send(void *ctx, const struct endpoint *local, const struct endpoint *remote,
		   const uint8_t *pkt, size_t len)
{
	struct h_pkt *p = calloc(1, sizeof(*p));

	(void)ctx;
	p->from = *local;
	p->to = *remote;
	h_nat_out(&p->from);
	p->data = malloc(len);
	memcpy(p->data, pkt, len);
	p->len = len;
	*h_wire_tail = p;
	h_wire_tail = &p->next;
	h_wire_len++;
}

static void h_keepalive(void *ctx, const struct endpoint *local, const struct endpoint *remote)
{
	struct h_peer *p = ctx;

	(void)local;
	(void)remote;
	p->keepalives++;
}

static int h_route_src(void *ctx, const struct addr *dst, const struct addr *prefer,
		       struct addr *src)
{
	struct h_peer *p = ctx;

	(void)dst;
	if (prefer && p->also.family != AF_UNSPEC && addr_equal(prefer, &p->also)) {
		*src = p->also;
		return 0;
	}
	if (p->addr.family == AF_UNSPEC)
		return -ENETUNREACH;	/* the peer's address went: no path */
	*src = p->addr;
	return 0;
}

static const struct io_ops h_io = {
	.send = h_send,
	.keepalive = h_keepalive,
	.route_src = h_route_src,
};

static void h_diag(void *ctx, bool error, const char *msg)
{
	(void)ctx;
	printf("# config %s: %s\n", error ? "error" : "warning", msg);
}

/* CONF is the config's text, or "@PATH" to load a file (and the
 * swanctl directories beside it). */
static struct h_peer *h_peer_new(const char *name, const char *ip, const char *conf)
{
	struct h_peer *p = &h_peers[h_npeers++];
	struct config *cfg = conf[0] == '@' ? config_load(conf + 1, h_diag, NULL) :
					      config_parse(name, conf, h_diag, NULL);

	if (!cfg) {
		printf("Bail out! config of %s does not parse\n", name);
		exit(1);
	}
	memset(p, 0, sizeof(*p));
	p->name = name;
	addr_parse(ip, &p->addr);
	p->k = kernel_fake_new();
	p->d = daemon_new(cfg, p->k, &h_io, p, h_now);
	p->d->name = name;
	/* The exchanges' tests step message by message: the old pair's DELETE
	 * goes at once (test_ikehelper_rekey checks the delay on its own). */
	p->d->child_delete_delay_ms = 0;
	return p;
}

/* A fresh start with alice (192.0.2.1) and bob (192.0.2.2), configured
 * by CA and CB (which this frees), logging at level 2 into h_log. */
static void h_pair(struct h_peer **alice, struct h_peer **bob, char *ca, char *cb);

static void h_peer_free(struct h_peer *p)
{
	daemon_free(p->d);
	kernel_destroy(p->k);
	p->d = NULL;
	p->k = NULL;
}

static struct h_pkt *h_pop(void)
{
	struct h_pkt *p = h_wire;

	if (!p)
		return NULL;
	h_wire = p->next;
	if (!h_wire)
		h_wire_tail = &h_wire;
	h_wire_len--;
	return p;
}

static void h_pkt_free(struct h_pkt *p)
{
	free(p->data);
	free(p);
}

static struct h_peer *h_peer_at(const struct addr *a)
{
	for (size_t i = 0; i < h_npeers; i++)
		if (h_peers[i].d && addr_equal(&h_peers[i].addr, a))
			return &h_peers[i];
	return NULL;
}

/* Hands P to whoever has its destination address; false if no one. */
static bool h_deliver_pkt(struct h_pkt *p)
{
	struct endpoint to = p->to;
	struct h_peer *peer;

	h_nat_in(&to);
	peer = h_peer_at(&to.addr);
	if (!peer)
		return false;
	peer->d->now = h_now;
	ike_receive(peer->d, &to, &p->from, p->data, p->len);
	daemon_reap(peer->d);
	return true;
}

/* Delivers the first packet on the wire; false if there was none. */
static bool h_deliver(void)
{
	struct h_pkt *p = h_pop();
	bool ok;

	if (!p)
		return false;
	ok = h_deliver_pkt(p);
	h_pkt_free(p);
	return ok;
}

/* Loses the first packet on the wire. */
static void h_drop(void)
{
	struct h_pkt *p = h_pop();

	if (p)
		h_pkt_free(p);
}

/* Delivers until the wire is quiet (bounded). */
static void h_run(void)
{
	for (int i = 0; i < 100 && h_wire; i++)
		h_deliver();
}

static void h_advance(uint64_t ms)
{
	uint64_t end = h_now + ms;

	/* Step through each timer in order, so retransmissions interleave. */
	for (;;) {
		uint64_t next = UINT64_MAX;

		for (size_t i = 0; i < h_npeers; i++)
			if (h_peers[i].d && timers_next(h_peers[i].d) < next)
				next = timers_next(h_peers[i].d);
		if (next > end)
			break;
		h_now = next > h_now ? next : h_now;
		for (size_t i = 0; i < h_npeers; i++) {
			if (!h_peers[i].d)
				continue;
			h_peers[i].d->now = h_now;
			timers_run(h_peers[i].d);
			daemon_reap(h_peers[i].d);
		}
	}
	h_now = end;
	for (size_t i = 0; i < h_npeers; i++)
		if (h_peers[i].d)
			h_peers[i].d->now = h_now;
}

/* MS of time on a network that works: what is sent is delivered within a
 * second, so no retransmission budget (1 s at the least) runs out in one
 * h_advance() as it would while nothing is delivered. */
static void h_pass(uint64_t ms)
{
	for (uint64_t done = 0; done < ms; done += 1000) {
		h_advance(ms - done < 1000 ? ms - done : 1000);
		h_run();
	}
}

static void h_reset(void)
{
	struct h_pkt *p;

	while ((p = h_pop()))
		h_pkt_free(p);
	for (size_t i = 0; i < h_npeers; i++)
		if (h_peers[i].d || h_peers[i].k)
			h_peer_free(&h_peers[i]);
	h_npeers = 0;
	memset(&h_nat, 0, sizeof(h_nat));
	h_log_clear();
}

/* The wire's first packet: its exchange and whether it is a response. */
static uint8_t h_head_exchange(void)
{
	return h_wire && h_wire->len >= IKE_HDR_LEN ? h_wire->data[18] : 0;
}

static size_t h_count_sas(struct h_peer *p)
{
	size_t n = 0;

	for (struct ike_sa *sa = p->d->sas; sa; sa = sa->next_all)
		n++;
	return n;
}

static struct ike_sa *h_sa(struct h_peer *p)
{
	return p->d->sas;
}

/* P's only CHILD_SA (on its first IKE SA), or NULL if it has none or more. */
static struct child_sa *h_only_child(struct h_peer *p)
{
	struct ike_sa *sa = h_sa(p);

	return sa && sa->children && !sa->children->next ? sa->children : NULL;
}

/* A waiter that records the outcome. */
struct h_wait {
	struct sa_waiter w;
	int done;
	bool ok;
	char msg[512];
};

static void h_wait_done(struct sa_waiter *w, bool ok, const char *msg)
{
	struct h_wait *hw = (struct h_wait *)w;

	hw->done++;
	hw->ok = ok;
	snprintf(hw->msg, sizeof(hw->msg), "%s", msg);
}

static struct ike_sa *h_up(struct h_peer *p, const char *conn, struct h_wait *w)
{
	const struct conn *c = config_find_conn(p->d->cfg, conn);
	char why[256];
	struct ike_sa *sa;

	memset(w, 0, sizeof(*w));
	w->w.done = h_wait_done;
	p->d->now = h_now;
	sa = c ? daemon_initiate(p->d, c, NULL, &w->w, why, sizeof(why)) : NULL;
	if (!sa)
		printf("# initiate %s failed: %s\n", conn, c ? why : "no such connection");
	return sa;
}

/* alice (192.0.2.1, 10.1.0.0/24) <-> bob (192.0.2.2, 10.2.0.0/24) by PSK,
 * one child "net" (aes128gcm16); ME 0 is alice's config, 1 bob's; CHILD
 * holds the child's extra keys of that side. */
static char *h_nets_conf(int me, const char *child)
{
	static const char *ids[2] = { "alice@example.org", "bob.example.org" };
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections { peer {\n%s\n proposals = aes128gcm16-prfsha256-x25519\n"
		 " local { auth = psk\n id = %s }\n remote { auth = psk\n id = %s }\n"
		 " children { net {\n  local_ts = 10.%d.0.0/24\n  remote_ts = 10.%d.0.0/24\n"
		 "  esp_proposals = aes128gcm16\n  %s\n } }\n} }\n"
		 "secrets { ike { secret = \"Ev3nts!kesp#Tq81zW0pL5\" } }\n",
		 me ? "" : " remote_addrs = 192.0.2.2", ids[me], ids[!me], me + 1, 2 - me, child);
	return strdup(buf);
}

/* h_nets_conf's pair with the extra child keys of each side, alice
 * initiating: alice's child once up, or NULL. */
static struct child_sa *h_nets_up(struct h_peer **alice, struct h_peer **bob, const char *ca,
				  const char *cb)
{
	static struct h_wait w;

	h_pair(alice, bob, h_nets_conf(0, ca), h_nets_conf(1, cb));
	if (!h_up(*alice, "peer", &w))
		return NULL;
	h_run();
	if (!w.ok)
		printf("# up failed: %s\n", w.msg);
	return w.ok ? h_only_child(*alice) : NULL;
}

/* The outbound SA kesp.ko would use among equal selectors: the first
 * installed. */
static const struct kernel_sa *h_out_used(struct kernel *k)
{
	for (size_t i = 0; i < kernel_fake_sa_count(k); i++)
		if (kernel_fake_sa_at(k, i)->dir == KERNEL_OUT)
			return kernel_fake_sa_at(k, i);
	return NULL;
}

/* Whether what FROM sends, TO can decrypt. */
static bool h_flows(struct kernel *from, struct kernel *to)
{
	const struct kernel_sa *o = h_out_used(from), *i;

	if (!o)
		return false;
	i = kernel_fake_sa(to, KERNEL_IN, o->spi);
	return i && i->enc_key_len == o->enc_key_len &&
	       !memcmp(i->enc_key, o->enc_key, o->enc_key_len);
}

/* A packet from SRC to DST (addresses) hits P's first trap (device
 * ifindex 10): its ACQUIRE. */
static void h_acquire(struct h_peer *p, const char *src, const char *dst)
{
	struct kernel_event ev = { .type = KERNEL_EV_ACQUIRE, .ifindex = 10 };
	char why[64];

	kernel_fake_trap_at(p->k, 0, &ev.id);
	ts_parse(src, &ev.packet.src, why, sizeof(why));
	ts_parse(dst, &ev.packet.dst, why, sizeof(why));
	kernel_fake_event(p->k, &ev);
}

/* kill -9: the daemon goes, the kernel (P's fake) keeps everything. */
static void h_crash(struct h_peer *p)
{
	struct kernel *scratch = kernel_fake_new();

	p->d->kernel = scratch;
	daemon_free(p->d);
	kernel_destroy(scratch);
	p->d = NULL;
}

/* A new daemon for P with config TEXT (freed), adopting the restart state
 * in DIR, as ikehelper starts. */
static void h_restart(struct h_peer *p, char *text, const char *dir)
{
	struct config *cfg = config_parse(p->name, text, h_diag, NULL);

	free(text);
	p->d = daemon_new(cfg, p->k, &h_io, p, h_now);
	p->d->name = p->name;
	p->d->child_delete_delay_ms = 0;	/* as h_peer_new() */
	if (persist_open(p->d, dir))
		printf("# persist_open failed\n");
	persist_adopt(p->d);
	daemon_start_all(p->d);
	daemon_reap(p->d);
}

static void h_pair(struct h_peer **alice, struct h_peer **bob, char *ca, char *cb)
{
	h_reset();
	log_set_sink(h_sink, NULL);
	log_set_level_all(2);
	*alice = h_peer_new("alice", "192.0.2.1", ca);
	*bob = h_peer_new("bob", "192.0.2.2", cb);
	free(ca);
	free(cb);
}

#endif /* KESP_IKE_HARNESS_H */
