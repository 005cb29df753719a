// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration payload and address pools (cp.c), between daemons
 * against the fake kernel (ike_harness.h): "gw" (192.0.2.2) leases from
 * pools, road warriors alice (192.0.2.1) and carol (192.0.2.3) ask with
 * vips. The lease and the CFG_REPLY, the narrowed selectors and routes,
 * the address on the client's device with the route's source, the updown
 * program's environment, release on delete, the same lease again for the
 * same identity, an exhausted pool, a reply without the address asked
 * for, a malformed CP, IPv6, and the pool syntax with file:line.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "ike_harness.h"
#include "tap.h"

static char hook_out[64], hook_path[64];

static char *gw_conf(const char *pool4, const char *pool6, const char *extra)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections { rw { %s%s%s%s\n"
		 "  local { auth = psk\n id = gw }\n remote { auth = psk }\n"
		 "  children { rw { local_ts = 10.0.0.0/16, fd00::/64\n esp_proposals = aes128gcm16 } } } }\n"
		 "pools { p4 { addrs = %s\n dns = 10.3.0.53, 10.3.0.54 }\n"
		 "        p6 { addrs = %s\n dns = fd00:53::1 } }\n"
		 "secrets { ike { secret = \"Ga7#qW2!zX9@pL4$mN1^zz\" } }\n%s",
		 pool4 || pool6 ? "pools = " : "", pool4 ? "p4" : "", pool4 && pool6 ? ", " : "", pool6 ? "p6" : "",
		 pool4 ? pool4 : "10.99.0.0/24", pool6 ? pool6 : "fd00:99::/120", extra);
	return strdup(buf);
}

static char *rw_conf(const char *id, const char *vips)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections { gw { remote_addrs = 192.0.2.2\n vips = %s\n"
		 "  local { auth = psk\n id = %s }\n remote { auth = psk\n id = gw }\n"
		 "  children { net { remote_ts = 10.0.0.0/16, fd00::/64\n esp_proposals = aes128gcm16\n"
		 "   updown = %s } } } }\n"
		 "secrets { ike { secret = \"Ga7#qW2!zX9@pL4$mN1^zz\" } }\n", vips, id, hook_path);
	return strdup(buf);
}

static struct h_peer *gw, *alice;

static struct h_peer *peer_new(const char *name, const char *ip, char *conf)
{
	struct h_peer *p = h_peer_new(name, ip, conf);

	free(conf);
	return p;
}

static void setup(char *g, char *a)
{
	h_reset();
	log_set_sink(h_sink, NULL);
	log_set_level_all(2);
	gw = h_peer_new("gw", "192.0.2.2", g);
	alice = h_peer_new("alice", "192.0.2.1", a);
	free(g);
	free(a);
}

static bool has_vip(struct kernel *k, const char *ip)
{
	struct addr a;

	addr_parse(ip, &a);
	for (size_t i = 0; i < kernel_fake_addr_count(k); i++)
		if (addr_equal(kernel_fake_addr_at(k, i, NULL), &a))
			return true;
	return false;
}

static bool has_route(struct kernel *k, const char *dst, unsigned int bits, const char *src)
{
	struct addr d, s = { 0 };

	addr_parse(dst, &d);
	if (src)
		addr_parse(src, &s);
	for (size_t i = 0; i < kernel_fake_route_count(k); i++) {
		const struct kernel_route *r = kernel_fake_route_at(k, i);

		if (addr_equal(&r->dst, &d) && r->bits == bits &&
		    (!src || addr_equal(&r->src, &s)))
			return true;
	}
	return false;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
	return buf;
}

static const char *sa_vip(struct ike_sa *sa, size_t i, char *buf)
{
	return sa && i < sa->cp.nvip ? addr_str(&sa->cp.vip[i], buf, ADDR_STRLEN) : "(none)";
}

static void test_ipv4(void)
{
	struct h_wait w;
	struct ike_sa *sa, *gsa;
	char s[ADDR_STRLEN];
	const struct kernel_sa *ks;

	setup(gw_conf("10.3.0.0/24", NULL, ""), rw_conf("alice", "0.0.0.0"));
	unlink(hook_out);
	sa = h_up(alice, "gw", &w);
	h_run();
	gsa = h_sa(gw);
	tap_ok(sa && sa->state == IKE_S_ESTABLISHED && w.ok && sa->children,
	       "alice with vips = 0.0.0.0: IKE SA and CHILD_SA up (%s)", w.msg);
	TAP_EQ_STR(sa_vip(sa, 0, s), "10.3.0.1", "the gateway leased the pool's first host "
		   "address (not the subnet's own)");
	tap_ok(sa->cp.ndns == 2 && !strcmp(addr_str(&sa->cp.dns[1], s, sizeof(s)), "10.3.0.54"),
	       "both DNS servers of the pool reached alice");
	tap_ok(has_vip(alice->k, "10.3.0.1"), "10.3.0.1 is on alice's device");
	tap_ok(has_route(alice->k, "10.0.0.0", 16, "10.3.0.1"),
	       "alice's route to 10.0.0.0/16 has the virtual IP as its source");
	tap_ok(sa->children->nts_local == 1 && sa->children->ts_local[0].lo[3] == 1 &&
	       sa->children->ts_local[0].hi[3] == 1 && sa->children->ts_local[0].lo[2] == 0,
	       "alice's local selector was narrowed from 0.0.0.0/0 to 10.3.0.1/32");
	tap_ok(gsa && gsa->cp.nlease == 1 && gsa->children && gsa->children->nts_remote == 1 &&
	       ts_is_host(&gsa->children->ts_remote[0], &gsa->cp.lease[0]),
	       "the gateway's remote selector is the lease alone");
	tap_ok(has_route(gw->k, "10.3.0.1", 32, NULL), "the gateway routes 10.3.0.1/32 into "
	       "its device");
	ks = h_out_used(gw->k);
	tap_ok(ks && ks->nsel == 1 && ks->sel[0].dst.lo[0] == 10 && ks->sel[0].dst.lo[3] == 1 &&
	       ks->sel[0].dst.hi[3] == 1, "the gateway's outbound SA selects 10.3.0.1 only");
	tap_ok(h_flows(alice->k, gw->k) && h_flows(gw->k, alice->k), "ESP flows both ways");
	tap_ok(h_log_has("gw:", "peer 'alice' gets 10.3.0.1 from pool p4", NULL) &&
	       h_log_has("alice:", "assigned us 10.3.0.1, DNS 10.3.0.53, 10.3.0.54", NULL),
	       "both sides log the lease");
	{
		const char *env = slurp(hook_out);

		tap_ok(strstr(env, "PLUTO_VERB=up-client\n") && strstr(env, "PLUTO_CONNECTION=net\n") &&
		       strstr(env, "PLUTO_MY_SOURCEIP=10.3.0.1\n") &&
		       strstr(env, "PLUTO_MY_SOURCEIP4_1=10.3.0.1\n") &&
		       strstr(env, "PLUTO_DNS4_1=10.3.0.53\n") && strstr(env, "PLUTO_DNS4_2=10.3.0.54\n") &&
		       strstr(env, "PLUTO_PEER=192.0.2.2\n") && strstr(env, "PLUTO_PEER_ID=gw\n") &&
		       strstr(env, "PLUTO_MY_CLIENT=10.3.0.1/32\n") &&
		       strstr(env, "PLUTO_PEER_CLIENT=10.0.0.0/16\n") && strstr(env, "PLUTO_REQID="),
		       "updown ran up-client with the virtual IP, DNS, peer and selectors");
	}
	/* alice goes: her address and her hook's down; the lease goes offline. */
	daemon_terminate(alice->d, "gw");
	h_run();
	tap_ok(!h_count_sas(alice) && !h_count_sas(gw) && kernel_fake_addr_count(alice->k) == 0 &&
	       kernel_fake_route_count(alice->k) == 0 && kernel_fake_route_count(gw->k) == 0,
	       "down: both IKE SAs gone, the address off alice's device, no routes left");
	tap_ok(strstr(slurp(hook_out), "PLUTO_VERB=down-client\n") != NULL,
	       "updown ran down-client");
	tap_ok(gw->d->nleases == 1 && !gw->d->leases[0].online,
	       "the gateway's lease is offline, kept for alice");
	/* alice again: the same address. */
	sa = h_up(alice, "gw", &w);
	h_run();
	TAP_EQ_STR(sa_vip(sa, 0, s), "10.3.0.1", "alice reconnects and gets 10.3.0.1 again");
	tap_ok(gw->d->nleases == 1 && gw->d->leases[0].online == 1, "one lease, online again");
	h_reset();
}

/* alice loses her state (a reboot) and connects again: INITIAL_CONTACT; the
 * gateway gives her the same address while her old IKE SA still holds it,
 * and keeps the lease and its route when the old SA goes. */
static void test_reboot(void)
{
	struct h_wait w;
	struct ike_sa *sa;
	char s[ADDR_STRLEN];

	setup(gw_conf("10.3.0.0/24", NULL, ""), rw_conf("alice", "0.0.0.0"));
	h_up(alice, "gw", &w);
	h_run();
	h_peer_free(alice);
	alice = peer_new("alice", "192.0.2.1", rw_conf("alice", "0.0.0.0"));
	sa = h_up(alice, "gw", &w);
	h_run();
	tap_ok(w.ok && !strcmp(sa_vip(sa, 0, s), "10.3.0.1") && gw->d->nleases == 1 &&
	       gw->d->leases[0].online == 2,
	       "after a reboot alice gets 10.3.0.1 again while her old IKE SA still holds it");
	h_advance(CHILD_SWITCH_MS + 2000);
	h_run();
	tap_ok(h_count_sas(gw) == 1 && gw->d->leases[0].online == 1 &&
	       has_route(gw->k, "10.3.0.1", 32, NULL) && h_flows(alice->k, gw->k) &&
	       h_flows(gw->k, alice->k),
	       "the old IKE SA goes (INITIAL_CONTACT): one lease holder, the route and ESP stay");
	h_reset();
}

/* Two clients, one pool of two; a third is refused; a rekey keeps it. */
static void test_pool(void)
{
	struct h_peer *carol, *dave;
	struct h_wait wa, wc, wd;
	struct ike_sa *sa, *csa, *dsa;
	char s[ADDR_STRLEN], t[ADDR_STRLEN];

	setup(gw_conf("10.3.0.1-10.3.0.2", NULL, ""), rw_conf("alice", "0.0.0.0"));
	carol = peer_new("carol", "192.0.2.3", rw_conf("carol", "0.0.0.0"));
	sa = h_up(alice, "gw", &wa);
	csa = h_up(carol, "gw", &wc);
	h_run();
	tap_ok(wa.ok && wc.ok && sa->cp.nvip == 1 && csa->cp.nvip == 1 &&
	       !addr_equal(&sa->cp.vip[0], &csa->cp.vip[0]),
	       "alice and carol get different leases (%s, %s)", sa_vip(sa, 0, s), sa_vip(csa, 0, t));
	dave = peer_new("dave", "192.0.2.4", rw_conf("dave", "0.0.0.0"));
	dsa = h_up(dave, "gw", &wd);
	h_run();
	tap_ok(wd.done && !wd.ok && h_count_sas(dave) == 0,
	       "dave: the pool is exhausted, his IKE SA goes (%s)", wd.msg);
	tap_ok(h_log_has("gw:", "pool p4 (10.3.0.1-10.3.0.2) is exhausted", "INTERNAL_ADDRESS_FAILURE",
			 "'dave'", NULL), "the gateway logs the exhausted pool and its answer");
	tap_ok(h_log_has("dave:", "assigned no IPv4 address", "INTERNAL_ADDRESS_FAILURE", NULL),
	       "dave logs that no address came, and why");
	tap_ok(kernel_fake_sa_count(gw->k) == 4 && gw->d->nleases == 2,
	       "the gateway installed nothing for dave and holds two leases");
	(void)dsa;
	/* An IKE SA rekey keeps the address and the lease. */
	ike_rekey_start(sa);
	h_run();
	sa = NULL;
	for (struct ike_sa *x = alice->d->sas; x; x = x->next_all)
		if (x->state == IKE_S_ESTABLISHED)
			sa = x;
	tap_ok(sa && sa->cp.nvip == 1 && has_vip(alice->k, sa_vip(sa, 0, s)) &&
	       gw->d->leases[0].online == 1 && h_count_sas(alice) == 1,
	       "after an IKE SA rekey alice keeps her address, the lease stays online");
	/* carol goes; dave now gets her address, as carol's lease is the
	 * only one offline (the pool is full otherwise). */
	daemon_terminate(carol->d, "gw");
	h_run();
	dsa = h_up(dave, "gw", &wd);
	h_run();
	tap_ok(wd.ok && dsa->cp.nvip == 1 && !strcmp(sa_vip(dsa, 0, s), t),
	       "carol leaves; dave gets her offline lease %s", t);
	h_reset();
}

static void test_negatives(void)
{
	struct h_wait w;
	struct ike_sa *sa;

	/* A gateway without pools for a client that needs an address. */
	setup(gw_conf(NULL, NULL, ""), rw_conf("alice", "0.0.0.0"));
	sa = h_up(alice, "gw", &w);
	h_run();
	tap_ok(w.done && !w.ok && !h_count_sas(alice) && !h_count_sas(gw) &&
	       kernel_fake_sa_count(alice->k) == 0 && kernel_fake_addr_count(alice->k) == 0,
	       "a reply without the address vips asks for: alice deletes the IKE SA, nothing "
	       "installed (%s)", w.msg);
	tap_ok(h_log_has("alice:", "no IPv4 address", "no configuration payload", NULL) &&
	       h_log_has("gw:", "asks for an address", "has no pools", NULL),
	       "both log why");
	(void)sa;
	h_reset();

	/* An IPv6 pool only, for a client that asks for both families. */
	setup(gw_conf(NULL, "fd00:3::/120", ""), rw_conf("alice", "0.0.0.0, ::"));
	h_up(alice, "gw", &w);
	h_run();
	tap_ok(w.done && !w.ok && h_log_has("alice:", "no IPv4 address", NULL) &&
	       h_log_has("gw:", "asks for an IPv4 address", "no pool of that family", NULL),
	       "an IPv6 lease alone does not satisfy vips = 0.0.0.0, ::; the gateway says why");
	h_reset();
}

static void test_ipv6(void)
{
	struct h_wait w;
	struct ike_sa *sa, *gsa;
	char s[ADDR_STRLEN], t[ADDR_STRLEN];

	setup(gw_conf("10.3.0.0/24", "fd00:3::/120", ""), rw_conf("alice", "0.0.0.0, ::"));
	unlink(hook_out);
	sa = h_up(alice, "gw", &w);
	h_run();
	gsa = h_sa(gw);
	tap_ok(w.ok && sa->cp.nvip == 2 && !strcmp(sa_vip(sa, 0, s), "10.3.0.1") &&
	       !strcmp(sa_vip(sa, 1, t), "fd00:3::1"),
	       "vips = 0.0.0.0, :: gets one of each: %s, %s", s, t);
	tap_ok(has_vip(alice->k, "fd00:3::1") && has_route(alice->k, "fd00::", 64, "fd00:3::1"),
	       "the IPv6 address is on the device and the source of the IPv6 route");
	tap_ok(gsa->cp.nlease == 2 && gsa->children && gsa->children->nts_remote == 2 &&
	       has_route(gw->k, "fd00:3::1", 128, NULL),
	       "the gateway's remote selectors are both leases, each routed");
	tap_ok(strstr(slurp(hook_out), "PLUTO_DNS6_1=fd00:53::1\n") &&
	       strstr(slurp(hook_out), "PLUTO_MY_SOURCEIP6_1=fd00:3::1\n"),
	       "updown has the IPv6 DNS server and source IP");
	h_reset();
}

/* After EAP the lease is kept for the EAP identity, and the CFG_REPLY comes
 * with the last IKE_AUTH answer. */
static void test_eap(void)
{
	static const char g[] =
		"connections { rw { pools = p4\n"
		"  local { auth = psk\n id = gw }\n remote { auth = eap-mschapv2\n eap_id = %any }\n"
		"  children { rw { local_ts = 10.0.0.0/16\n esp_proposals = aes128gcm16 } } } }\n"
		"pools { p4 { addrs = 10.3.0.0/24 } }\n"
		"secrets { ike { secret = \"Ga7#qW2!zX9@pL4$mN1^zz\" }\n"
		" eap-carol { id = carol\n secret = \"carol's password\" } }\n";
	static const char a[] =
		"connections { gw { remote_addrs = 192.0.2.2\n vips = 0.0.0.0\n"
		"  local { auth = eap-mschapv2\n id = alice@example.org\n eap_id = carol }\n"
		"  remote { auth = psk\n id = gw }\n"
		"  children { net { remote_ts = 10.0.0.0/16\n esp_proposals = aes128gcm16 } } } }\n"
		"secrets { ike { secret = \"Ga7#qW2!zX9@pL4$mN1^zz\" }\n"
		" eap-me { id = carol\n secret = \"carol's password\" } }\n";
	struct h_wait w;
	struct ike_sa *sa;
	char s[ADDR_STRLEN];

	setup(strdup(g), strdup(a));
	sa = h_up(alice, "gw", &w);
	h_run();
	tap_ok(w.ok && sa->children && !strcmp(sa_vip(sa, 0, s), "10.3.0.1") &&
	       has_vip(alice->k, "10.3.0.1"),
	       "EAP-MSCHAPv2 client: the address comes with the last IKE_AUTH answer (%s)", w.msg);
	tap_ok(gw->d->nleases == 1 && !strcmp(gw->d->leases[0].who, "carol") &&
	       h_log_has("gw:", "peer 'carol' gets 10.3.0.1", NULL),
	       "the gateway keeps the lease for the EAP identity 'carol', not the IKE one");
	h_reset();
}

/* A CFG_REPLY whose address attribute is 3 octets: ignored, so no address. */
static void test_malformed(void)
{
	static const uint8_t bad[] = { 2, 0, 0, 0, 0, 1, 0, 3, 10, 3, 0 };
	struct ike_msg *m = calloc(1, sizeof(*m));
	struct ike_error err;
	struct ike_header hdr = { .next = IKE_PL_CP };
	uint8_t raw[4 + sizeof(bad)] = { 0, 0, 0, 4 + sizeof(bad) };
	static const uint8_t overrun[] = { 0, 0, 0, 12, 1, 0, 0, 0, 0, 1, 0, 9 };
	char why[256];
	int rc;

	memcpy(raw + 4, bad, sizeof(bad));
	rc = ike_payloads_decode(&hdr, IKE_PL_CP, raw, sizeof(raw), m, &err);
	tap_ok(!rc && m->npl == 1 && m->pl[0].u.cp.nattr == 1 && m->pl[0].u.cp.attr[0].value.len == 3,
	       "a CP with a 3-octet INTERNAL_IP4_ADDRESS decodes");
	setup(gw_conf("10.3.0.0/24", NULL, ""), rw_conf("alice", "0.0.0.0"));
	{
		struct ike_sa *sa = ike_sa_new(alice->d, true, &(struct endpoint){ alice->addr, 500 },
					       &(struct endpoint){ gw->addr, 500 });

		ike_sa_set_conn(sa, config_find_conn(alice->d->cfg, "gw"));
		rc = cp_process_reply(sa, m, 1, why, sizeof(why));
		tap_ok(rc == -1 && strstr(why, "no IPv4 address") && !sa->cp.nvip &&
		       kernel_fake_addr_count(alice->k) == 0 &&
		       h_log_has("alice:", "attribute 1 has 3 octets, not an address", NULL),
		       "the client ignores it, logs it, and has no address: %s", why);
		ike_sa_destroy(sa, "test");
		daemon_reap(alice->d);
	}
	ike_msg_release(m);
	memset(m, 0, sizeof(*m));
	rc = ike_payloads_decode(&hdr, IKE_PL_CP, overrun, sizeof(overrun), m, &err);
	tap_ok(rc != 0 && err.code == IKE_ERR_SYNTAX,
	       "a CP attribute whose length overruns the payload is a syntax error (%s)", err.reason);
	ike_msg_release(m);
	free(m);
	h_reset();
}

/* kill -9 of a daemon with its restart state in DIR, and its successor. */
static void crash_restart(struct h_peer *p, char *text, const char *dir)
{
	h_crash(p);
	h_restart(p, text, dir);
}

/* Both restart (kill -9) with their tunnel up: the gateway still knows
 * alice's lease (a newcomer gets another address), alice still knows her
 * address (and removes it, running down, when the IKE SA goes). */
static void test_restart(void)
{
	char gdir[64], adir[64], cmd[160], s[ADDR_STRLEN];
	struct h_peer *carol;
	struct h_wait w, wc;
	struct ike_sa *csa;

	snprintf(gdir, sizeof(gdir), "/tmp/kesp-cp-gw-%d", (int)getpid());
	snprintf(adir, sizeof(adir), "/tmp/kesp-cp-rw-%d", (int)getpid());
	setup(gw_conf("10.3.0.0/24", NULL, ""), rw_conf("alice", "0.0.0.0"));
	unlink(hook_out);
	if (persist_open(gw->d, gdir) || persist_open(alice->d, adir))
		printf("# persist_open failed\n");
	h_up(alice, "gw", &w);
	h_run();
	crash_restart(gw, gw_conf("10.3.0.0/24", NULL, ""), gdir);
	crash_restart(alice, rw_conf("alice", "0.0.0.0"), adir);
	tap_ok(h_sa(gw) && h_sa(gw)->cp.nlease == 1 && gw->d->nleases == 1 &&
	       gw->d->leases[0].online == 1 && !strcmp(gw->d->leases[0].who, "alice") &&
	       h_sa(alice) && h_sa(alice)->cp.nvip == 1 && has_vip(alice->k, "10.3.0.1"),
	       "after both restart: the gateway's lease for alice and alice's address adopted");
	carol = peer_new("carol", "192.0.2.3", rw_conf("carol", "0.0.0.0"));
	csa = h_up(carol, "gw", &wc);
	h_run();
	TAP_EQ_STR(sa_vip(csa, 0, s), "10.3.0.2", "a newcomer gets the next address, not alice's");
	daemon_terminate(alice->d, "gw");
	h_run();
	tap_ok(!has_vip(alice->k, "10.3.0.1") && strstr(slurp(hook_out), "PLUTO_VERB=down-client"),
	       "alice's adopted IKE SA goes: her address leaves the device, updown ran down");
	h_reset();
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", gdir, adir);
	if (system(cmd))
		printf("# %s failed\n", cmd);
}

static char diag[4096];

static void collect(void *ctx, bool error, const char *msg)
{
	(void)ctx;
	(void)error;
	strncat(diag, msg, sizeof(diag) - strlen(diag) - 2);
	strcat(diag, "\n");
}

static bool refused(const char *text, const char *want)
{
	struct config *cfg;

	diag[0] = '\0';
	cfg = config_parse("t.conf", text, collect, NULL);
	config_free(cfg);
	if (!strstr(diag, want))
		printf("# got: %s", diag);
	return !cfg && strstr(diag, want);
}

#define CONN(extra) "connections { c { " extra "\n local { auth = psk }\n remote { auth = psk }\n" \
		    " children { x { } } } }\nsecrets { ike { secret = \"Ga7#qW2!zX9@pL4$mN1^zz\" } }\n"

static void test_syntax(void)
{
	struct config *cfg = config_parse("t.conf", CONN("pools = a, b")
					  "pools { a { addrs = 10.3.0.0/24\n dns = 10.3.0.53 }\n"
					  "        b { addrs = fd00::10-fd00::20 } }\n", collect, NULL);

	tap_ok(cfg && cfg->npools == 2 && cfg->conns[0]->npools == 2 &&
	       cfg->pools[0].lo.ip[3] == 1 && cfg->pools[0].hi.ip[3] == 254 &&
	       cfg->pools[1].lo.ip[15] == 0x10 && cfg->pools[0].ndns == 1,
	       "pools { a { addrs = 10.3.0.0/24 dns } b { addrs = RANGE } } and pools = a, b read");
	config_free(cfg);
	tap_ok(refused(CONN("pools = nope"), "t.conf:1: connection 'c': pools = nope: no such pool"),
	       "pools = NAME of no pool: refused with file:line");
	tap_ok(refused(CONN("") "pools {\n a {\n addrs = 10.3.0.0/33 } }\n",
		       "t.conf:8: addrs '10.3.0.0/33' must be one subnet"),
	       "a bad addrs: refused at its line");
	tap_ok(refused(CONN("") "pools {\n a {\n dns = 10.3.0.53 } }\n",
		       "t.conf:7: pool 'a' has no 'addrs'"), "a pool without addrs: refused");
	tap_ok(refused(CONN("") "pools { a { addrs = 10.3.0.0/24 }\n b { addrs = 10.3.0.9-10.3.1.1 } }\n",
		       "t.conf:7: pool 'b' (10.3.0.9-10.3.1.1) overlaps pool 'a'"),
	       "overlapping pools: refused");
	tap_ok(refused(CONN("") "pools { a { addrs = 10.3.0.0/24\n dns = 10.3.0.x } }\n",
		       "t.conf:7: dns: '10.3.0.x' is not an IPv4 or IPv6 address"),
	       "a bad dns: refused");
	tap_ok(refused(CONN("") "pools { a { addrs = 10.3.0.0/24\n split_include = 10.0.0.0/8 } }\n",
		       "t.conf:7: 'split_include' is not supported by kesp yet"),
	       "an attribute kesp does not hand out: refused as unsupported");
	tap_ok(refused(CONN("vips = 0.0.0.0, 10.0.0.1"), "t.conf:1: vips: '10.0.0.1' is a second "
		       "IPv4 address"), "vips: two of one family refused");
	tap_ok(refused("connections { c { vips = 0.0.0.0\n local { auth = psk }\n remote { auth = psk }\n"
		       " children { x {\n start_action = trap } } } }\n"
		       "secrets { ike { secret = \"Ga7#qW2!zX9@pL4$mN1^zz\" } }\n",
		       "t.conf:4: child 'x': traps (start_action, dpd_action or close_action = trap) "
		       "with vips are not supported"), "vips with a trap refused at the child's line");
	tap_ok(refused(CONN("vips = dhcp"), "t.conf:1: vips: 'dhcp' is not an address"),
	       "vips: not an address refused");
	tap_ok(refused("connections { c {\n local { auth = psk }\n remote { auth = psk }\n"
		       " children { x {\n updown = ipsec _updown } } } }\n"
		       "secrets { ike { secret = \"Ga7#qW2!zX9@pL4$mN1^zz\" } }\n",
		       "t.conf:5: updown 'ipsec _updown' must be the absolute path"),
	       "updown with arguments refused");
}

int main(void)
{
	FILE *f;

	if (ike_crypto_init())
		return 1;
	snprintf(hook_out, sizeof(hook_out), "/tmp/kesp-cp-hook-%d.env", (int)getpid());
	snprintf(hook_path, sizeof(hook_path), "/tmp/kesp-cp-hook-%d.sh", (int)getpid());
	f = fopen(hook_path, "w");
	if (!f)
		return 1;
	fprintf(f, "#!/bin/sh\nenv | sort > %s\n", hook_out);
	fclose(f);
	chmod(hook_path, 0700);
	test_ipv4();
	test_pool();
	test_reboot();
	test_negatives();
	test_ipv6();
	test_eap();
	test_malformed();
	test_restart();
	test_syntax();
	unlink(hook_path);
	unlink(hook_out);
	h_reset();
	log_set_sink(NULL, NULL);
	ike_crypto_deinit();
	return tap_done();
}
