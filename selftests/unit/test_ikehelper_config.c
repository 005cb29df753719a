// SPDX-License-Identifier: GPL-2.0
/*
 * ikehelper/config.c and id.c: a swanctl.conf with every key kesp reads,
 * then one broken file per kind of mistake, each of which must be refused
 * with "FILE:LINE: what is wrong" naming the line and the cause.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

/* Every diagnostic of the last parse, one per line. */
static char diag[8192];
static int ndiag_err, ndiag_warn;

static void collect(void *ctx, bool error, const char *msg)
{
	(void)ctx;
	if (error)
		ndiag_err++;
	else
		ndiag_warn++;
	strncat(diag, msg, sizeof(diag) - strlen(diag) - 2);
	strcat(diag, "\n");
}

static struct config *parse(const char *text)
{
	diag[0] = '\0';
	ndiag_err = ndiag_warn = 0;
	return config_parse("t.conf", text, collect, NULL);
}

static const char good[] =
	"# a gateway with two peers and every key kesp reads\n"
	"connections {\n"
	"    site-b {\n"
	"        version = 2\n"
	"        local_addrs = 192.168.100.1\n"
	"        remote_addrs = 192.168.100.2, 10.9.0.0/16, %any6\n"
	"        local_port = 500\n"
	"        remote_port = 4500\n"
	"        proposals = aes256gcm16-prfsha384-x25519, aes128-sha256-modp2048\n"
	"        device = kesp1\n"
	"        mobike = no\n"
	"        childless = force\n"
	"        local {\n"
	"            auth = psk\n"
	"            id = \"C=CH, O=strongSwan, CN=moon\"\n"
	"        }\n"
	"        remote { auth = psk\n"
	"            id = @sun.example.org }\n"
	"        children {\n"
	"            net {\n"
	"                local_ts = 10.1.0.0/24, fd00:1::/64\n"
	"                remote_ts = 10.2.0.0/24[tcp/80], 10.3.0.1-10.3.0.9\n"
	"                esp_proposals = aes128gcm16-x25519, chacha20poly1305\n"
	"                mode = tunnel\n"
	"                start_action = start\n"
	"                replay_window = 1024\n"
	"            }\n"
	"            host { mode = transport }\n"
	"        }\n"
	"    }\n"
	"    road {\n"
	"        local { auth = psk }\n"
	"        remote {\n"
	"            auth = psk\n"
	"            id = carol@example.org\n"
	"        }\n"
	"        children { road-net { remote_ts = dynamic[udp/500] } }\n"
	"    }\n"
	"}\n"
	"secrets {\n"
	"    ike-sun {\n"
	"        id-moon = \"C=CH, O=strongSwan, CN=moon\"\n"
	"        id = sun.example.org\n"
	"        secret = 0x000102030405060708090a0b0c0d0e0f1011121314\n"
	"    }\n"
	"    ike {\n"
	"        secret = \"q8Zr#v2L!mX0pW7tB4nK\"\n"
	"    }\n"
	"}\n"
	"ikehelper {\n"
	"    retransmit_tries = 3\n"
	"    retransmit_timeout = 0.5\n"
	"    retransmit_base = 1.5\n"
	"    cookie_threshold = 4\n"
	"    keep_alive = 10s\n"
	"    half_open_timeout = 1m\n"
	"}\n";

static void test_good(void)
{
	struct config *cfg = parse(good);
	const struct conn *c;
	const struct child_cfg *ch;
	char buf[256];
	struct ike_id moon, sun, other;

	if (!tap_ok(cfg != NULL, "a config using every supported key parses")) {
		printf("%s", diag);
		return;
	}
	TAP_EQ_INT(ndiag_err + ndiag_warn, 0, "no diagnostics for a good config");
	TAP_EQ_INT(cfg->nconns, 2, "two connections");
	c = config_find_conn(cfg, "site-b");
	tap_ok(c && c->version == 2 && c->nike == 2 && c->nchildren == 2,
	       "site-b: version, two IKE proposals, two children");
	if (!c)
		goto out;
	TAP_EQ_INT(c->ike[1].num, 2, "the second proposal is numbered 2");
	TAP_EQ_INT(c->remote_port, 4500, "remote_port");
	TAP_EQ_STR(c->device, "kesp1", "device");
	TAP_EQ_INT(c->childless, CHILDLESS_FORCE, "childless = force");
	TAP_EQ_INT(config_find_conn(cfg, "road")->childless, CHILDLESS_ALLOW,
		   "childless is allow unless set (swanctl's default)");
	TAP_EQ_STR(addr_specs_str(c->remote_addrs, c->nremote_addrs, buf, sizeof(buf)),
		   "192.168.100.2,10.9.0.0-10.9.255.255,%any6", "remote_addrs read back");
	{
		struct addr a;

		addr_parse("10.9.3.4", &a);
		tap_ok(addr_spec_match(c->remote_addrs, c->nremote_addrs, &a),
		       "10.9.3.4 is among remote_addrs (subnet)");
		addr_parse("10.10.0.1", &a);
		tap_ok(!addr_spec_match(c->remote_addrs, c->nremote_addrs, &a),
		       "10.10.0.1 is not");
		addr_parse("fd00::7", &a);
		tap_ok(addr_spec_match(c->remote_addrs, c->nremote_addrs, &a), "%%any6 takes IPv6");
	}
	TAP_EQ_INT(c->local_id.type, IKE_ID_DER_ASN1_DN, "local id is a DN");
	TAP_EQ_STR(id_str(&c->local_id, buf, sizeof(buf)), "C=CH, O=strongSwan, CN=moon",
		   "the DN prints back");
	TAP_EQ_INT(c->remote_id.type, IKE_ID_FQDN, "remote id @sun.example.org is an FQDN");
	ch = &c->children[0];
	TAP_EQ_INT(ch->nlocal_ts, 2, "two local selectors");
	TAP_EQ_STR(ts_list_str(ch->remote_ts, ch->nremote_ts, buf, sizeof(buf)),
		   "10.2.0.0/24[tcp/80], 10.3.0.1-10.3.0.9", "remote selectors read back");
	tap_ok(ch->nesp == 2 && ch->mode == MODE_TUNNEL && ch->start_action == START_START &&
	       ch->replay_window == 1024, "child net: proposals, mode, start_action, window");
	ch = &c->children[1];
	tap_ok(ch->mode == MODE_TRANSPORT && ch->nlocal_ts == 1 && ch->local_ts[0].dynamic &&
	       ch->nesp == 2 && ch->replay_window == 32,
	       "child host: transport, dynamic selectors and default proposals");
	c = config_find_conn(cfg, "road");
	tap_ok(c && c->nike == 2 && !c->local_id_set && c->local_port == 500,
	       "road: default proposals, ports and local id");
	{
		const struct conn *owner = config_find_child(cfg, "road-net", &ch);

		tap_ok(owner == c && ch->remote_ts[0].dynamic && ch->remote_ts[0].proto == 17,
		       "child road-net found by name, dynamic[udp/500]");
	}
	/* secrets: both ids beat none */
	id_parse("C=CH, O=strongSwan, CN=moon", &moon, buf, sizeof(buf));
	id_parse("sun.example.org", &sun, buf, sizeof(buf));
	id_parse("10.0.0.1", &other, buf, sizeof(buf));
	{
		const struct psk *k = config_find_psk(cfg, &moon, &sun);

		tap_ok(k && !strcmp(k->name, "ike-sun") && k->len == 21 && k->secret[20] == 0x14,
		       "the PSK for moon and sun is ike-sun (hex decoded)");
		k = config_find_psk(cfg, &moon, &other);
		tap_ok(k && !strcmp(k->name, "ike-sun"),
		       "a secret naming one of the ids beats the wildcard");
		k = config_find_psk(cfg, &other, &other);
		tap_ok(k && !strcmp(k->name, "ike") && k->len == 20,
		       "otherwise the secret without ids applies");
	}
	tap_ok(cfg->set.retransmit_tries == 3 && cfg->set.retransmit_timeout_ms == 500 &&
	       cfg->set.retransmit_base == 1.5 && cfg->set.cookie_threshold == 4 &&
	       cfg->set.keep_alive == 10 && cfg->set.half_open_timeout == 60,
	       "ikehelper { } settings");
out:
	config_free(cfg);
}

/* Each bad config must fail and name LINE and NEEDLE in one diagnostic. */
static void bad(const char *what, const char *text, int line, const char *needle)
{
	struct config *cfg = parse(text);
	char want[64];
	bool found = false;

	snprintf(want, sizeof(want), "t.conf:%d: ", line);
	for (char *l = diag; *l;) {
		char *nl = strchr(l, '\n');

		*nl = '\0';
		if (!strncmp(l, want, strlen(want)) && strstr(l, needle))
			found = true;
		*nl = '\n';
		l = nl + 1;
	}
	tap_ok(!cfg && found, "%s: refused at line %d with '%s'", what, line, needle);
	if (cfg || !found)
		printf("#   diagnostics:\n%s", diag);
	config_free(cfg);
}

#define CONN_HEAD "connections {\n c {\n  local { auth = psk }\n  remote { auth = psk }\n"
#define CONN_TAIL " }\n}\nsecrets { ike { secret = \"q8Zr#v2L!mX0pW7tB4nK01\" } }\n"

/* A config of one child x with KEYS; x in *CH (NULL when it failed). */
static struct config *child_conf(const char *keys, const struct child_cfg **ch)
{
	char text[1024];
	struct config *cfg;

	*ch = NULL;
	snprintf(text, sizeof(text), CONN_HEAD "  children { x { %s } }\n" CONN_TAIL, keys);
	cfg = parse(text);
	if (cfg)
		config_find_child(cfg, "x", ch);
	return cfg;
}

/* swanctl's defaults and meaning of a child's rekey_time, life_time, rand_time. */
static void test_lifetimes(void)
{
	static const struct {
		const char *keys;
		uint32_t rekey, life, rnd;
	} cases[] = {
		{ "", 3600, 3960, 360 },
		{ "rekey_time = 10s", 10, 11, 1 },
		{ "rekey_time = 20m\n life_time = 30m", 1200, 1800, 600 },
		{ "rekey_time = 10\n life_time = 15\n rand_time = 2", 10, 15, 2 },
		{ "rekey_time = 0\n life_time = 1h", 0, 3600, 3600 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct child_cfg *ch;
		struct config *cfg = child_conf(cases[i].keys, &ch);

		tap_ok(ch && ch->rekey_time == cases[i].rekey && ch->life_time == cases[i].life &&
		       ch->rand_time == cases[i].rnd, "lifetimes '%s': rekey %u, life %u, rand %u",
		       cases[i].keys, cases[i].rekey, cases[i].life, cases[i].rnd);
		config_free(cfg);
	}
}

/* swanctl's defaults and meaning of the volume limits (bytes, packets). */
static void test_volume(void)
{
	static const struct {
		const char *keys;
		uint64_t rb, lb, nb, rp, lp, np;
	} cases[] = {
		{ "", 0, 0, 0, 0, 0, 0 },
		{ "rekey_packets = 1000", 0, 0, 0, 1000, 1100, 100 },
		{ "rekey_bytes = 1000001", 1000001, 1100001, 100000, 0, 0, 0 },
		{ "rekey_bytes = 2M\n rand_bytes = 0", 2097152, 2306867, 0, 0, 0, 0 },
		{ "rekey_bytes = 1g\n life_bytes = 1536M\n rekey_packets = 50\n life_packets = 60\n"
		  " rand_packets = 5", 1073741824, 1610612736, 536870912, 50, 60, 5 },
		{ "life_packets = 10000\n life_bytes = 4k", 0, 4096, 4096, 0, 10000, 10000 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct child_cfg *ch;
		struct config *cfg = child_conf(cases[i].keys, &ch);

		tap_ok(ch && ch->rekey_bytes == cases[i].rb && ch->life_bytes == cases[i].lb &&
		       ch->rand_bytes == cases[i].nb && ch->rekey_packets == cases[i].rp &&
		       ch->life_packets == cases[i].lp && ch->rand_packets == cases[i].np,
		       "volume limits '%s'", cases[i].keys);
		if (ch && !(ch->rekey_bytes == cases[i].rb && ch->life_bytes == cases[i].lb &&
			    ch->rand_bytes == cases[i].nb && ch->rekey_packets == cases[i].rp &&
			    ch->life_packets == cases[i].lp && ch->rand_packets == cases[i].np))
			printf("#   got bytes %llu/%llu/%llu packets %llu/%llu/%llu\n",
			       (unsigned long long)ch->rekey_bytes, (unsigned long long)ch->life_bytes,
			       (unsigned long long)ch->rand_bytes, (unsigned long long)ch->rekey_packets,
			       (unsigned long long)ch->life_packets, (unsigned long long)ch->rand_packets);
		config_free(cfg);
	}
}

/* dpd_action and close_action: swanctl's defaults (clear, none) and words. */
static void test_actions(void)
{
	static const struct {
		const char *keys;
		enum child_action dpd, close;
	} cases[] = {
		{ "", ACTION_CLEAR, ACTION_NONE },
		{ "dpd_action = restart", ACTION_RESTART, ACTION_NONE },
		{ "dpd_action = clear\n close_action = start", ACTION_CLEAR, ACTION_RESTART },
		{ "close_action = clear", ACTION_CLEAR, ACTION_CLEAR },
		{ "close_action = none", ACTION_CLEAR, ACTION_NONE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct child_cfg *ch;
		struct config *cfg = child_conf(cases[i].keys, &ch);

		tap_ok(ch && ch->dpd_action == cases[i].dpd && ch->close_action == cases[i].close,
		       "actions '%s'", cases[i].keys);
		config_free(cfg);
	}
}

/* swanctl's defaults and meaning of the IKE SA's rekey_time, over_time, rand_time. */
static void test_ike_lifetimes(void)
{
	static const struct {
		const char *keys;
		uint32_t rekey, over, rnd;
	} cases[] = {
		{ "", 14400, 1440, 1440 },
		{ "rekey_time = 1h", 3600, 360, 360 },
		{ "rekey_time = 10m\n over_time = 1m\n rand_time = 30s", 600, 60, 30 },
		{ "rekey_time = 0", 0, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		struct config *cfg;
		const struct conn *c;

		snprintf(text, sizeof(text), CONN_HEAD "  %s\n" CONN_TAIL, cases[i].keys);
		cfg = parse(text);
		c = cfg && cfg->nconns == 1 ? cfg->conns[0] : NULL;
		tap_ok(c && c->rekey_time == cases[i].rekey && c->over_time == cases[i].over &&
		       c->rand_time == cases[i].rnd, "IKE lifetimes '%s': rekey %u, over %u, rand %u",
		       cases[i].keys, cases[i].rekey, cases[i].over, cases[i].rnd);
		config_free(cfg);
	}
}

static void test_trap(void)
{
	const struct child_cfg *ch;
	struct config *cfg = child_conf("start_action = trap\n dpd_action = trap", &ch);

	tap_ok(ch && ch->start_action == START_TRAP && ch->dpd_action == ACTION_TRAP,
	       "start_action = trap, dpd_action = trap");
	config_free(cfg);
	cfg = child_conf("dpd_action = clear\n close_action = trap", &ch);
	tap_ok(ch && ch->start_action == START_NONE && ch->dpd_action == ACTION_CLEAR &&
	       ch->close_action == ACTION_TRAP,
	       "dpd_action = clear, close_action = trap");
	config_free(cfg);
}

static void test_bad(void)
{
	bad("an unknown key", CONN_HEAD "  colour = blue\n" CONN_TAIL, 5,
	    "unknown key 'colour' in a connection");
	bad("a swanctl key kesp does not support yet", CONN_HEAD "  reauth_time = 4h\n" CONN_TAIL,
	    5, "'reauth_time' is not supported by kesp yet");
	bad("childless with a value swanctl does not have",
	    CONN_HEAD "  childless = prefer\n" CONN_TAIL, 5,
	    "childless = prefer: expected allow, force or never");
	bad("childless in a child section (it is the connection's)",
	    CONN_HEAD "  children { x { childless = force } }\n" CONN_TAIL, 5,
	    "unknown key 'childless' in a child section");
	bad("an unknown child key",
	    CONN_HEAD "  children {\n   x {\n    start_actoin = start\n   }\n  }\n" CONN_TAIL, 7,
	    "unknown key 'start_actoin' in a child section");
	bad("rekey_bytes not a count", CONN_HEAD "  children {\n   x {\n    rekey_bytes = 1x\n"
	    "   }\n  }\n" CONN_TAIL, 7, "rekey_bytes '1x' must be a byte count");
	bad("rekey_packets with a size suffix",
	    CONN_HEAD "  children { x { rekey_packets = 2k } }\n" CONN_TAIL, 5,
	    "rekey_packets '2k' must be a packet count");
	bad("per_cpu_sas = encap (per-CPU UDP source ports)",
	    CONN_HEAD "  children { x { per_cpu_sas = encap } }\n" CONN_TAIL, 5,
	    "per_cpu_sas = encap (a random UDP source port per CPU's SA) is not supported");
	bad("parallel_crypto not a boolean", CONN_HEAD "  children { x { parallel_crypto = 2 } }\n"
	    CONN_TAIL, 5, "parallel_crypto '2' must be yes or no");
	bad("per_cpu_sas not a boolean", CONN_HEAD "  children { x { per_cpu_sas = maybe } }\n"
	    CONN_TAIL, 5, "per_cpu_sas 'maybe' must be yes or no");
	bad("per_cpu_sas_max 0", CONN_HEAD "  children { x { per_cpu_sas_max = 0 } }\n" CONN_TAIL,
	    5, "per_cpu_sas_max '0' must be a number of SAs from 1 to 4096");
	bad("life_packets negative", CONN_HEAD "  children { x { life_packets = -5 } }\n" CONN_TAIL,
	    5, "life_packets '-5' must be a packet count");
	bad("rekey_bytes beyond 2^64", CONN_HEAD "  children { x { rekey_bytes = 20000000T } }\n"
	    CONN_TAIL, 5, "rekey_bytes '20000000T' must be a byte count");
	bad("life_bytes not above rekey_bytes",
	    CONN_HEAD "  children {\n   x {\n    rekey_bytes = 2M\n    life_bytes = 1M\n   }\n  }\n"
	    CONN_TAIL, 6, "life_bytes (1048576) must be more than rekey_bytes (2097152)");
	bad("rand_packets as large as rekey_packets",
	    CONN_HEAD "  children { x { rekey_packets = 100\n rand_packets = 100\n"
	    " life_packets = 300 } }\n" CONN_TAIL, 5,
	    "rand_packets (100) must be less than rekey_packets (100)");
	bad("reauth_time: kesp rekeys the IKE SA instead",
	    CONN_HEAD "  reauth_time = 4h\n" CONN_TAIL, 5,
	    "'reauth_time' is not supported by kesp yet (reauthentication; kesp rekeys the IKE "
	    "SA at rekey_time)");
	bad("the IKE SA's rand_time as long as its rekey_time",
	    CONN_HEAD "  rekey_time = 1m\n  rand_time = 2m\n" CONN_TAIL, 2,
	    "connection 'c': rand_time (120 s) must be shorter than rekey_time (60 s)");
	bad("dpd_action = start is close_action's word",
	    CONN_HEAD "  children { x { dpd_action = start } }\n" CONN_TAIL, 5,
	    "dpd_action 'start' must be clear, trap or restart");
	bad("close_action = restart is dpd_action's word",
	    CONN_HEAD "  children { x { close_action = restart } }\n" CONN_TAIL, 5,
	    "close_action 'restart' must be none, clear, trap or start");
	bad("dpd_timeout is IKEv1's",
	    CONN_HEAD "  dpd_timeout = 150s\n" CONN_TAIL, 5,
	    "'dpd_timeout' is not supported by kesp yet (IKEv1");
	bad("a child's life_time no longer than its rekey_time",
	    CONN_HEAD "  children { x { rekey_time = 1h\n life_time = 30m } }\n" CONN_TAIL, 5,
	    "child 'x': life_time (1800 s) must be longer than rekey_time (3600 s)");
	bad("a child's rand_time as long as its rekey_time",
	    CONN_HEAD "  children { x { rekey_time = 10s\n life_time = 1h\n rand_time = 10s } }\n"
	    CONN_TAIL, 5, "child 'x': rand_time (10 s) must be shorter than rekey_time (10 s)");
	bad("start_action = trap|start", CONN_HEAD "  children { x { start_action = trap|start } }\n"
	    CONN_TAIL, 5, "start_action = trap|start is not supported by kesp yet (one of trap or "
	    "start)");
	bad("start_action misspelt", CONN_HEAD "  children {\n   x {\n    start_action = trp\n   }\n"
	    "  }\n" CONN_TAIL, 7, "start_action 'trp' must be none, start or trap");
	bad("a mode that does not exist", CONN_HEAD "  children { x { mode = tunel } }\n" CONN_TAIL,
	    5, "mode 'tunel' must be tunnel or transport");
	bad("a bad proposal", CONN_HEAD "  proposals = aes128-sha256-modp1023\n" CONN_TAIL, 5,
	    "unknown algorithm keyword 'modp1023'");
	bad("a bad ESP proposal", CONN_HEAD "  children { x { esp_proposals = aes128 } }\n" CONN_TAIL,
	    5, "needs an integrity algorithm");
	bad("a bad selector", CONN_HEAD "  children { x { local_ts = 10.1.0.0/33 } }\n" CONN_TAIL, 5,
	    "'10.1.0.0/33' is not a subnet");
	bad("a bad selector protocol",
	    CONN_HEAD "  children { x { remote_ts = 10.1.0.0/24[tpc/80] } }\n" CONN_TAIL, 5,
	    "unknown protocol 'tpc'");
	bad("a bad port", CONN_HEAD "  remote_port = 70000\n" CONN_TAIL, 5,
	    "remote_port '70000' must be a UDP port");
	bad("a bad address", CONN_HEAD "  remote_addrs = 10.0.0.300/8\n" CONN_TAIL, 5,
	    "is not an address, subnet, range or host name");
	bad("IKEv1", CONN_HEAD "  version = 1\n" CONN_TAIL, 5, "kesp speaks IKEv2 only");
	bad("auth = eap-md5", "connections {\n c {\n  local { auth = eap-md5 }\n"
	    "  remote { auth = psk }\n }\n}\n", 3, "auth = eap-md5 is not supported by kesp yet "
	    "(EAP: eap-mschapv2 and eap-tls)");
	bad("auth = eap-tls without certs", "connections {\n c {\n  local { auth = eap-tls\n"
	    "   id = carol@example.org }\n  remote { auth = psk }\n }\n}\n"
	    "secrets { ike { secret = \"q8Zr#v2L!mX0pW7tB4nK01\" } }\n", 2,
	    "local auth = eap-tls needs certs = FILE");
	bad("remote eap-tls with a psk gateway", "connections {\n c {\n  local { auth = psk }\n"
	    "  remote { auth = eap-tls }\n }\n}\n"
	    "secrets { ike { secret = \"q8Zr#v2L!mX0pW7tB4nK01\" } }\n", 2,
	    "remote auth = eap-tls needs our certificate for the TLS server");
	bad("remote auth = eap without a method", "connections {\n c {\n  local { auth = psk }\n"
	    "  remote { auth = eap }\n }\n}\n", 4, "remote auth = eap needs the method");
	bad("EAP client without a password", "connections {\n c {\n"
	    "  local { auth = eap-mschapv2\n id = carol }\n"
	    "  remote { auth = psk }\n }\n}\nsecrets { ike { secret = \"q8Zr#v2L!mX0pW7tB4nK01\" }\n"
	    " eap-dave { id = dave\n secret = pw } }\n", 2, "no EAP password for 'carol'");
	bad("EAP server without users", "connections {\n c {\n  local { auth = psk }\n"
	    "  remote { auth = eap-mschapv2 }\n }\n}\n"
	    "secrets { ike { secret = \"q8Zr#v2L!mX0pW7tB4nK01\" } }\n", 2,
	    "remote auth = eap-mschapv2 but there is no secrets { eap-NAME");
	bad("EAP-only with auth = eap", "connections {\n c {\n  local { auth = eap\n id = carol }\n"
	    "  remote { auth = eap-mschapv2 }\n }\n}\n"
	    "secrets { eap-c { id = carol\n secret = pw } }\n", 2,
	    "EAP-only authentication (EAP on both sides) needs local auth = eap-mschapv2");
	bad("our eap_id %any", "connections {\n c {\n  local { auth = eap\n eap_id = %any }\n"
	    "  remote { auth = psk }\n }\n}\n", 4, "our own EAP identity cannot be %any");
	bad("a signature method with a bad hash", "connections {\n c {\n  local { auth = rsa-md5 }\n"
	    "  remote { auth = psk }\n }\n}\n", 3, "auth 'rsa-md5' is not an authentication method");
	bad("auth = pubkey without certs", "connections {\n c {\n  local { auth = pubkey }\n"
	    "  remote { auth = psk }\n }\n}\nsecrets { ike { secret = \"q8Zr#v2L!mX0pW7tB4nK01\" } }\n",
	    2, "local auth = pubkey needs certs = FILE");
	bad("certs in the remote section", "connections {\n c {\n  local { auth = psk }\n"
	    "  remote { auth = pubkey\n certs = x.pem }\n }\n}\n", 5,
	    "certs belongs in the local section");
	bad("a certificate file that is not there", "connections {\n c {\n"
	    "  local { auth = pubkey\n certs = /nonexistent/x.pem }\n"
	    "  remote { auth = psk }\n }\n}\n", 4, "cannot read /nonexistent/x.pem");
	bad("revocation of a wrong value", "connections {\n c {\n  local { auth = psk }\n"
	    "  remote { auth = psk\n revocation = sometimes }\n }\n}\n", 5,
	    "revocation = sometimes: expected strict, ifuri or relaxed");
	bad("remote auth = pubkey without a CA", "connections {\n c {\n  local { auth = psk }\n"
	    "  remote { auth = pubkey }\n }\n}\nsecrets { ike { secret = \"q8Zr#v2L!mX0pW7tB4nK01\" } }\n",
	    2, "no CA is loaded");
	bad("no auth in local", "connections {\n c {\n  local { id = a }\n"
	    "  remote { auth = psk }\n }\n}\nsecrets { ike { secret = \"q8Zr#v2L!mX0pW7tB4nK01\" } }\n",
	    3, "write auth = psk or auth = pubkey");
	bad("a private key secret without a file", "secrets { private-a { secret = x } }\n", 1,
	    "secret 'private-a' has no 'file = ...'");
	bad("OCSP", CONN_HEAD "  ocsp = yes\n" CONN_TAIL, 5, "'ocsp' is not supported by kesp yet");
	bad("a key given twice", CONN_HEAD "  local_port = 500\n  local_port = 501\n" CONN_TAIL, 6,
	    "'local_port' is set twice in a connection (first on line 5)");
	bad("a section left open", "connections {\n c {\n  local { auth = psk }\n", 2,
	    "section 'c' is not closed");
	bad("a stray brace", "}\n", 1, "'}' without a section to close");
	bad("a key without a value sign", "connections {\n c\n  x = y\n }\n}\n", 2,
	    "expected '=' or '{' after 'c'");
	bad("an unknown top-level section", "conections {\n}\n", 1,
	    "unknown section 'conections'");
	bad("authorities", "authorities { ca { cacert = x.pem } }\n", 1,
	    "section 'authorities' is not supported by kesp yet");
	bad("a secret without a secret", "secrets {\n ike-x {\n  id = a\n }\n}\n", 2,
	    "has no 'secret = ...'");
	bad("an EAP secret without a user", "secrets {\n eap-carol {\n  secret = x\n }\n}\n", 2,
	    "EAP secret 'eap-carol' names no user");
	bad("an NTLM secret", "secrets {\n ntlm-carol {\n  secret = x\n }\n}\n", 2,
	    "secret 'ntlm-carol' is not supported by kesp yet");
	bad("a bad hex secret", "secrets {\n ike {\n  secret = 0x12345\n }\n}\n", 3,
	    "odd number of digits");
	bad("a connection defined twice", CONN_HEAD " }\n c {\n  local { auth = psk }\n"
	    "  remote { auth = psk }\n }\n}\n", 6, "connection 'c' is defined twice");
	bad("psk without any secret", CONN_HEAD " }\n}\n", 2,
	    "authenticates with psk but there is no secrets");
	bad("an unterminated quote", "secrets {\n ike {\n  secret = \"abc\n }\n}\n", 3,
	    "unterminated quoted string");
	bad("a bad identity", "connections {\n c {\n  local { auth = psk }\n  remote {\n"
	    "   auth = psk\n   id = \"C=CH, XX=y\"\n  }\n }\n}\n", 6,
	    "unknown DN attribute 'XX'");
	{
		struct config *cfg = parse("secrets {\n ike {\n  secret = abcdefghij0123456789#x\n"
					   " }\n}\n");

		tap_ok(cfg && ndiag_warn == 1 &&
		       strstr(diag, "t.conf:3: warning: the value of 'secret' ends at '#'"),
		       "an unquoted '#' inside a value draws a warning");
		config_free(cfg);
	}
	bad("a child name used twice", "connections {\n a {\n  local { auth = psk }\n"
	    "  remote { auth = psk }\n  children { n { } }\n }\n b {\n  local { auth = psk }\n"
	    "  remote { auth = psk }\n  children { n { } }\n }\n}\n"
	    "secrets { ike { secret = \"q8Zr#v2L!mX0pW7tB4nK01\" } }\n", 10,
	    "child 'n' is also defined in connection 'a'");
	bad("a bad setting", "ikehelper {\n retransmit_base = 0.5\n}\n", 2,
	    "retransmit_base '0.5' must be a number from 1 to 10");
	bad("a device name with a slash", CONN_HEAD "  device = a/b\n" CONN_TAIL, 5,
	    "is not a network device name");

	/* Several mistakes: each one is reported in the same run. */
	parse(CONN_HEAD "  colour = blue\n  children { x { mode = x\n local_ts = y } }\n" CONN_TAIL);
	TAP_EQ_INT(ndiag_err, 3, "three mistakes, three errors in one run");
}

static void weak(const char *secret, bool want_weak, const char *needle)
{
	char text[256];
	struct config *cfg;

	snprintf(text, sizeof(text), "secrets {\n ike {\n  secret = \"%s\"\n }\n}\n", secret);
	cfg = parse(text);
	if (want_weak)
		tap_ok(cfg && ndiag_warn == 1 && strstr(diag, "t.conf:3: warning:") &&
		       strstr(diag, needle), "PSK '%s' draws a warning: %s", secret, needle);
	else
		tap_ok(cfg && ndiag_warn == 0, "PSK '%s' draws no warning", secret);
	if (ndiag_warn != (want_weak ? 1 : 0))
		printf("#   %s", diag);
	config_free(cfg);
}

static void test_weak_psk(void)
{
	weak("letmein", true, "shorter than 20 characters");
	weak("correct horse battery staple", true, "dictionary-like words");
	weak("CorrectHorseBatteryStaple2024", true, "dictionary-like words");
	weak("q8Zr#v2L!mX0pW7tB4nK", false, NULL);
	weak("0sAAECAwQFBgcICQoLDA0ODxAREhM=", false, NULL);
}

static void id_case(const char *text, unsigned int type, const char *printed)
{
	struct ike_id id;
	char why[160] = "", buf[256];
	bool ok = id_parse(text, &id, why, sizeof(why));

	tap_ok(ok && id.type == type && !strcmp(id_str(&id, buf, sizeof(buf)), printed),
	       "id '%s' is %s '%s' %s", text, id_type_name(type), printed, why);
}

static void test_ids(void)
{
	struct ike_id a, b;
	char why[160];
	/* Computed by hand from X.501 and DER: SEQUENCE of SETs of
	 * SEQUENCE { OID 2.5.4.x, PrintableString }. */
	static const uint8_t moon_der[] = {
		0x30, 0x31,
		0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 'C', 'H',
		0x31, 0x13, 0x30, 0x11, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13, 0x0a,
		's', 't', 'r', 'o', 'n', 'g', 'S', 'w', 'a', 'n',
		0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x04, 'm', 'o', 'o', 'n',
	};

	id_case("192.0.2.1", IKE_ID_IPV4_ADDR, "192.0.2.1");
	id_case("fd00::1", IKE_ID_IPV6_ADDR, "fd00::1");
	id_case("moon.example.org", IKE_ID_FQDN, "moon.example.org");
	id_case("@moon", IKE_ID_FQDN, "moon");
	id_case("carol@example.org", IKE_ID_RFC822_ADDR, "carol@example.org");
	id_case("@@carol", IKE_ID_RFC822_ADDR, "carol");
	id_case("@#0a0b", IKE_ID_KEY_ID, "@#0a0b");
	id_case("%any", IKE_ID_ANY, "%any");
	id_case("fqdn:192.0.2.1", IKE_ID_FQDN, "192.0.2.1");
	id_case("C=CH, O=strongSwan, CN=moon", IKE_ID_DER_ASN1_DN, "C=CH, O=strongSwan, CN=moon");
	id_case("/C=CH/O=strongSwan/CN=moon", IKE_ID_DER_ASN1_DN, "C=CH, O=strongSwan, CN=moon");
	id_parse("C=CH, O=strongSwan, CN=moon", &a, why, sizeof(why));
	tap_ok(a.len == sizeof(moon_der) && !memcmp(a.data, moon_der, a.len),
	       "the DN's DER is what X.501 and strongSwan write");
	id_parse("C=CH, O=Zürich AG, CN=x", &a, why, sizeof(why));
	tap_ok(a.data[2 + 13 + 2 + 2 + 5] == 0x0c, "a non-printable value is a UTF8String");
	id_parse("C=ch, O=STRONGSWAN, CN=moon", &b, why, sizeof(why));
	id_parse("C=CH, O=strongSwan, CN=moon", &a, why, sizeof(why));
	tap_ok(id_matches(&a, &b), "DNs match without case in printable strings");
	id_parse("C=CH, O=strongSwan, CN=*", &a, why, sizeof(why));
	tap_ok(id_matches(&a, &b), "a '*' RDN matches any value");
	id_parse("C=CH, O=strongSwan", &a, why, sizeof(why));
	tap_ok(!id_matches(&a, &b), "a DN with fewer RDNs does not match");
	id_parse("*@example.org", &a, why, sizeof(why));
	id_parse("Carol@Example.ORG", &b, why, sizeof(why));
	tap_ok(id_matches(&a, &b), "*@example.org matches Carol@Example.ORG");
	id_parse("*@example.com", &a, why, sizeof(why));
	tap_ok(!id_matches(&a, &b), "*@example.com does not");
	id_parse("%any", &a, why, sizeof(why));
	tap_ok(id_matches(&a, &b), "%%any matches anything");
	id_parse("moon", &a, why, sizeof(why));
	id_parse("@moon", &b, why, sizeof(why));
	tap_ok(id_equal(&a, &b), "'moon' and '@moon' are the same FQDN");
	id_parse("10.0.0.1", &a, why, sizeof(why));
	id_parse("fqdn:10.0.0.1", &b, why, sizeof(why));
	tap_ok(!id_matches(&a, &b), "an IPv4 identity is not an FQDN of the same text");
}

static void test_include(void)
{
	char dir[] = "/tmp/ikehelper-conf-XXXXXX", path[128], main_path[128];
	FILE *f;
	struct config *cfg;

	if (!mkdtemp(dir)) {
		tap_ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/peer.conf", dir);
	f = fopen(path, "w");
	fputs("connections {\n p {\n  local { auth = psk }\n  remote { auth = psk }\n  bogus = 1\n"
	      " }\n}\n", f);
	fclose(f);
	snprintf(main_path, sizeof(main_path), "%s/main.conf", dir);
	f = fopen(main_path, "w");
	fputs("include peer.conf\nsecrets { ike { secret = \"q8Zr#v2L!mX0pW7tB4nK01\" } }\n", f);
	fclose(f);
	diag[0] = '\0';
	cfg = config_load(main_path, collect, NULL);
	snprintf(path, sizeof(path), "%s/peer.conf:5: unknown key 'bogus'", dir);
	tap_ok(!cfg && strstr(diag, path), "an error in an included file names that file and line");
	config_free(cfg);
	f = fopen(main_path, "w");
	fputs("include missing.conf\n", f);
	fclose(f);
	diag[0] = '\0';
	cfg = config_load(main_path, collect, NULL);
	tap_ok(!cfg && strstr(diag, "main.conf:1: cannot include"), "a missing include is an error");
	config_free(cfg);
	snprintf(path, sizeof(path), "%s/peer.conf", dir);
	unlink(path);
	unlink(main_path);
	rmdir(dir);
	diag[0] = '\0';
	cfg = config_load("/nonexistent/ikehelper.conf", collect, NULL);
	tap_ok(!cfg && strstr(diag, "/nonexistent/ikehelper.conf: cannot open"),
	       "a missing file says so");
}

int main(void)
{
	test_good();
	test_bad();
	test_lifetimes();
	test_actions();
	test_ike_lifetimes();
	test_volume();
	test_trap();
	test_weak_psk();
	test_ids();
	test_include();
	return tap_done();
}
