// SPDX-License-Identifier: GPL-2.0
/*
 * Status and logs (issue 17 items 5 and 7):
 * - log level specs (-d and the config's log section), their precedence,
 *   sd-daemon "<N>" prefixes when stderr is the journal;
 * - the events two daemons publish over a whole life (up, CHILD and IKE
 *   rekeys, a negotiation failure, down with its reason), against the fake
 *   kernel;
 * - the fan-out to a subscriber that does not read: the daemon never
 *   blocks, events are dropped and counted, and the client is told;
 * - kespctl's reading of records into JSON and into event lines;
 * - a whole negotiation and rekeys at the highest level: no PSK and no key
 *   the kernel got appears in any log line.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ike_harness.h"
#include "ike_cmd.h"
#include "tap.h"

#define PSK_TEXT "Vq3#pL9!xZ2@mW7$kR4nB8-status"

/* TEXT as TAP comments, a "# " before each line. */
static void note(const char *text)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		printf("# %.*s\n", n, p);
		p += n + (nl ? 1 : 0);
	}
}

/* ---- level specs ---------------------------------------------------------- */

static void test_specs(void)
{
	struct log_spec s, c;
	char why[200] = "";

	tap_ok(log_spec_parse("2", &s, why, sizeof(why)) && s.def_given && s.def == 2 &&
	       !s.given[LOG_IKE], "-d 2: a default of 2, no subsystem of its own");
	tap_ok(log_spec_parse("ike=2,cfg=1,knl=1", &s, why, sizeof(why)) && !s.def_given &&
	       s.given[LOG_IKE] && s.level[LOG_IKE] == 2 && s.given[LOG_CFG] &&
	       s.level[LOG_CFG] == 1 && s.given[LOG_KNL] && !s.given[LOG_NET],
	       "-d ike=2,cfg=1,knl=1: those three, the rest unset");
	tap_ok(log_spec_parse("0, enc = 4 ,default=1", &s, why, sizeof(why)) && s.def == 1 &&
	       s.level[LOG_ENC] == 4, "a default, spaces, and default= later wins");
	tap_ok(log_spec_parse("any=3", &s, why, sizeof(why)) && s.def_given && s.def == 3,
	       "any= is the default (the old spelling)");
	tap_ok(!log_spec_parse("ike=5", &s, why, sizeof(why)) && strstr(why, "'5'") &&
	       strstr(why, "-1 to 4"), "a level above 4 is refused: %s", why);
	tap_ok(!log_spec_parse("foo=1", &s, why, sizeof(why)) &&
	       strstr(why, "unknown subsystem 'foo'") && strstr(why, "ike") && strstr(why, "enc"),
	       "an unknown subsystem is refused, naming the known ones: %s", why);
	tap_ok(!log_spec_parse("ike", &s, why, sizeof(why)) && strstr(why, "'ike'"),
	       "a name without a level is refused: %s", why);
	tap_ok(!log_spec_parse("", &s, why, sizeof(why)), "an empty spec is refused");
	tap_ok(!log_spec_parse(",,", &s, why, sizeof(why)), "commas alone are refused");

	/* precedence: command line subsystems, its default, config's, config's default */
	tap_ok(log_spec_parse("default=0,knl=2", &c, why, sizeof(why)), "a config spec");
	tap_ok(log_set_levels("ike=3", why, sizeof(why)), "-d ike=3");
	log_configure(&c);
	tap_ok(log_level(LOG_IKE) == 3 && log_level(LOG_KNL) == 2 && log_level(LOG_CFG) == 0,
	       "-d ike=3 over a config of default=0,knl=2: ike 3, knl 2, cfg 0");
	tap_ok(log_set_levels("2", why, sizeof(why)), "-d 2");
	log_configure(&c);
	tap_ok(log_level(LOG_KNL) == 2 && log_level(LOG_IKE) == 2 && log_level(LOG_ENC) == 2,
	       "-d 2 sets every subsystem, over the config's too");
	tap_ok(log_set_levels("1,ike=4", why, sizeof(why)), "-d 1,ike=4");
	log_configure(NULL);
	tap_ok(log_level(LOG_IKE) == 4 && log_level(LOG_NET) == 1 && log_enabled(LOG_IKE, 4) &&
	       !log_enabled(LOG_NET, 2), "without a config: ike 4, the rest 1");
	/* back to no command line, for the rest of this program */
	memset(&c, 0, sizeof(c));
	tap_ok(log_set_levels("default=1", why, sizeof(why)), "reset");
}

static char diags[2048];

static void diag(void *ctx, bool error, const char *msg)
{
	(void)ctx;
	(void)error;
	strncat(diags, msg, sizeof(diags) - strlen(diags) - 2);
	strcat(diags, "\n");
}

static void test_config_section(void)
{
	static const char good[] =
		"connections { }\n"
		"ikehelper {\n  log {\n    default = 0\n    ike = 2\n    enc = 3\n  }\n}\n";
	static const char bad[] =
		"ikehelper {\n  log {\n    ike = 9\n    bogus = 1\n    ike = 1\n    sub { }\n  }\n}\n";
	struct config *cfg = config_parse("t.conf", good, NULL, NULL);

	tap_ok(cfg && cfg->set.log.def_given && cfg->set.log.def == 0 &&
	       cfg->set.log.level[LOG_IKE] == 2 && cfg->set.log.level[LOG_ENC] == 3 &&
	       !cfg->set.log.given[LOG_KNL], "ikehelper { log { default ike enc } } is read");
	config_free(cfg);
	diags[0] = '\0';
	cfg = config_parse("t.conf", bad, diag, NULL);
	tap_ok(!cfg, "a bad log section is refused");
	tap_ok(strstr(diags, "t.conf:3: log: level '9' of 'ike' is not a number from -1 to 4") != NULL,
	       "a bad level names file:line and the key");
	tap_ok(strstr(diags, "t.conf:4: log: unknown subsystem 'bogus'") != NULL,
	       "an unknown subsystem names file:line");
	tap_ok(strstr(diags, "t.conf:5: 'ike' is set twice in log (first on line 3)") != NULL,
	       "a subsystem set twice is refused");
	tap_ok(strstr(diags, "t.conf:6: unknown section 'sub' in log") != NULL,
	       "a section inside log is refused");
	note(diags);
	config_free(cfg);
}

/* stderr as the journal (JOURNAL_STREAM names it): "<N>" and no time. */
static void test_journal(void)
{
	char path[] = "/tmp/kesp-journal-XXXXXX", buf[512] = "", env[64];
	int fd = mkstemp(path), saved = dup(2);
	struct stat st;
	ssize_t n;

	fstat(fd, &st);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	fflush(stderr);
	dup2(fd, 2);
	setenv("JOURNAL_STREAM", env, 1);
	log_set_sink(NULL, NULL);
	tap_ok(log_stderr_is_journal(), "JOURNAL_STREAM naming stderr: the journal");
	log_open(true);
	log_msg(LOG_IKE, 0, "an operator's line");
	log_msg(LOG_IKE, 1, "an informational line");
	log_set_level_all(2);
	log_msg(LOG_ENC, 2, "a debug line\nwith a newline");
	setenv("JOURNAL_STREAM", "1:2", 1);
	log_open(true);
	log_msg(LOG_CFG, 0, "not the journal");
	log_close();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	tap_ok(strstr(buf, "<5>ike an operator's line\n") != NULL, "level 0 is <5> (notice)");
	tap_ok(strstr(buf, "<6>ike an informational line\n") != NULL, "level 1 is <6> (info)");
	tap_ok(strstr(buf, "<7>enc a debug line with a newline\n") != NULL,
	       "level 2 is <7> (debug), and a line stays one line");
	tap_ok(strstr(buf, "<5>cfg") == NULL && strstr(buf, " cfg not the journal\n") &&
	       strstr(buf, ":") < strstr(buf, "cfg not"), "elsewhere: a time stamp, no prefix");
	note(buf);
	log_set_level_all(1);
}

/* ---- the fan-out to a client that does not read --------------------------- */

static void test_fanout(void)
{
	int sv[2], sndbuf = 4096;
	size_t pushed = 0, got = 0, lostn = 0, since = 0;
	char line[128], *all = NULL, *p;
	size_t alllen = 0;
	FILE *mem;
	struct event_sub s;
	bool lost_line = false, order = true, blocked = false;
	long long last = -1;

	signal(SIGPIPE, SIG_IGN);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	event_sub_init(&s, sv[0]);
	/* 20000 events of ~80 bytes: far more than the queue and the socket hold */
	for (int i = 0; i < 20000; i++) {
		snprintf(line, sizeof(line), "event type=child-up seq=%d pad=%060d", i, 0);
		if (event_sub_push(&s, line))
			blocked = true;
		pushed++;
	}
	tap_ok(!blocked, "20000 events pushed to a client that reads nothing: no error, no wait");
	tap_ok(s.lost_total > 0, "events were dropped and counted (%llu)",
	       (unsigned long long)s.lost_total);
	tap_ok(s.len <= EVENT_QUEUE_MAX, "the queue stays within %d bytes (%zu)", EVENT_QUEUE_MAX,
	       s.len);
	/* the client reads now: drain, flush, read again until nothing is left */
	mem = open_memstream(&all, &alllen);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	for (int round = 0; round < 1000; round++) {
		char buf[65536];
		ssize_t n;

		while ((n = read(sv[1], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				fwrite(buf, 1, (size_t)n, mem);
		if (!event_sub_pending(&s))
			break;
		event_sub_flush(&s);
	}
	/* one more event after the client caught up: "lost" comes first */
	event_sub_push(&s, "event type=ike-down seq=final");
	{
		char buf[4096];
		ssize_t n = read(sv[1], buf, sizeof(buf));

		if (n > 0)
			fwrite(buf, 1, (size_t)n, mem);
	}
	fclose(mem);
	for (p = all; p && *p;) {
		char *nl = strchr(p, '\n');
		long long seq;
		size_t n;

		if (!nl)
			break;
		*nl = '\0';
		/* Each gap in the sequence is told, by its size, before the
		 * event after it. */
		if (sscanf(p, "event type=child-up seq=%lld", &seq) == 1) {
			if (seq != last + 1 + (long long)since)
				order = false;
			since = 0;
			last = seq;
			got++;
		} else if (sscanf(p, "event type=lost count=%zu", &n) == 1) {
			lost_line = true;
			lostn += n;
			since += n;
		} else if (!strcmp(p, "event type=ike-down seq=final")) {
			if (last + 1 + (long long)since != (long long)pushed)
				order = false;
		}
		p = nl + 1;
	}
	tap_ok(lost_line, "the client is told it lost events");
	TAP_EQ_INT(got + lostn, pushed, "what arrived plus what was counted lost is all there was");
	tap_ok(order, "events arrive in order, each gap told by its size before the next event");
	TAP_EQ_INT(lostn, s.lost_total, "the counts told add up to the events dropped");
	tap_ok(last >= 0 && got < pushed, "the first events arrived (%zu), the rest were lost", got);
	tap_ok(s.lost == 0 && !event_sub_pending(&s), "after the notice nothing is owed");
	free(all);
	close(sv[1]);
	tap_ok(event_sub_push(&s, "event type=x") == -1, "a client that closed: -1 (closed by the caller)");
	event_sub_free(&s);
	close(sv[0]);
}

/* ---- events over a whole life, from the state machine ---------------------- */

static struct h_peer *alice, *bob;
static char events[16384];

static void collect(void *ctx, const char *line)
{
	(void)ctx;
	strncat(events, line, sizeof(events) - strlen(events) - 2);
	strcat(events, "\n");
}

static char *conf(bool is_alice, const char *props)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "connections {\n peer {\n  %s\n  proposals = %s\n"
		 "  local { auth = psk\n id = %s }\n  remote { auth = psk\n id = %s }\n"
		 "  children { net { local_ts = 10.%d.0.0/24\n remote_ts = 10.%d.0.0/24\n"
		 "   esp_proposals = aes128gcm16-x25519 } }\n }\n}\n"
		 "secrets { ike { secret = \"" PSK_TEXT "\" } }\n",
		 is_alice ? "remote_addrs = 192.0.2.2" : "", props,
		 is_alice ? "alice@example.org" : "bob.example.org",
		 is_alice ? "bob.example.org" : "alice@example.org", is_alice ? 1 : 2,
		 is_alice ? 2 : 1);
	return strdup(buf);
}

static bool has(const char *needle)
{
	return strstr(events, needle) != NULL;
}

static void hexstr(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* Whether the log holds any key the fake kernel was given (as hex). */
static bool keys_in_log(struct kernel *k, size_t *nkeys)
{
	char hex[2 * KERNEL_KEY_MAX + 1];

	for (size_t i = 0; i < kernel_fake_sa_count(k); i++) {
		const struct kernel_sa *sa = kernel_fake_sa_at(k, i);

		if (sa->enc_key_len >= 8) {
			hexstr(sa->enc_key, sa->enc_key_len, hex);
			(*nkeys)++;
			if (strcasestr(h_log, hex))
				return true;
			/* half the key, in case it was cut */
			hex[sa->enc_key_len] = '\0';
			if (strcasestr(h_log, hex))
				return true;
		}
	}
	return false;
}

static void test_life(void)
{
	struct h_wait w;
	struct ike_sa *sa;
	size_t nkeys = 0;
	bool leak = false;

	h_pair(&alice, &bob, conf(true, "aes256gcm16-prfsha384-x25519"),
	       conf(false, "aes256gcm16-prfsha384-x25519"));
	log_set_level_all(LOG_LEVEL_MAX);
	events[0] = '\0';
	alice->d->on_event = collect;
	bob->d->on_event = collect;
	sa = h_up(alice, "peer", &w);
	h_run();
	tap_ok(w.done && w.ok, "alice and bob establish (log level 4 everywhere)");
	tap_ok(has("event type=ike-up name=peer id=") && has("local_id=alice@example.org") &&
	       has("remote_id=bob.example.org"), "ike-up with the connection and identities");
	tap_ok(has("event type=child-up name=peer") && has("child=net reqid="),
	       "child-up with the CHILD_SA's name");
	tap_ok(strstr(events, "type=ike-up") < strstr(events, "type=child-up"),
	       "ike-up before child-up");
	tap_ok(h_log_has("enc alice: peer[", "generating IKE_AUTH request 1 [ IDi", NULL) &&
	       h_log_has("parsed IKE_SA_INIT response 0 [ SA KE Ni/Nr N(NAT_DETECTION", NULL),
	       "enc at level 2: the payloads of each message, by name");
	leak = keys_in_log(alice->k, &nkeys) || keys_in_log(bob->k, &nkeys);
	events[0] = '\0';
	child_rekey_start(sa->children);
	h_run();
	tap_ok(has("event type=child-rekeyed name=peer") && has("replaces="),
	       "a CHILD_SA rekey: child-rekeyed with the pair it replaces");
	tap_ok(!has("type=child-up") && !has("type=child-down"),
	       "and neither child-up nor child-down for it");
	h_advance(CHILD_GRACE_MS + 100);
	tap_ok(!has("type=child-down"), "the old pair's grace ending is no child-down");
	events[0] = '\0';
	ike_rekey_start(sa);
	h_run();
	tap_ok(has("event type=ike-rekeyed name=peer") && has("old_id="),
	       "an IKE rekey: ike-rekeyed naming the old IKE SA");
	h_advance(1000);
	tap_ok(!has("type=ike-down") && !has("type=child-down"),
	       "the replaced IKE SA's end is no ike-down, its children moved");
	leak = leak || keys_in_log(alice->k, &nkeys) || keys_in_log(bob->k, &nkeys);
	tap_ok(!leak && nkeys >= 8, "no ESP key the kernel got (%zu checked) is in the log", nkeys);
	tap_ok(!strstr(h_log, PSK_TEXT) && !strstr(h_log, "kR4nB8"), "nor the PSK (%zu bytes of log)",
	       h_log_len);
	events[0] = '\0';
	daemon_terminate(alice->d, "peer");
	h_run();
	daemon_reap(alice->d);
	daemon_reap(bob->d);
	tap_ok(has("event type=child-down name=peer") && has("reason=its%20IKE%20SA%20is%20gone"),
	       "down: child-down with its reason");
	tap_ok(has("event type=ike-down name=peer") && has("reason=deleted%20by%20the%20peer") &&
	       has("reason=deleted\n"), "ike-down on both sides: 'deleted' and 'deleted by the peer'");
	h_reset();

	/* a failed negotiation: no common IKE proposal */
	h_pair(&alice, &bob, conf(true, "aes256gcm16-prfsha384-x25519"),
	       conf(false, "aes128-sha256-modp2048"));
	events[0] = '\0';
	alice->d->on_event = collect;
	h_up(alice, "peer", &w);
	h_run();
	h_advance(60000);
	tap_ok(w.done && !w.ok, "disjoint proposals fail");
	tap_ok(has("event type=ike-failed name=peer") && has("NO_PROPOSAL_CHOSEN") &&
	       !has("type=ike-up") && !has("type=ike-down"),
	       "ike-failed with NO_PROPOSAL_CHOSEN in its reason, no up nor down");
	note(events);
	h_reset();
	log_set_level_all(1);
}

/* ---- kespctl: records into JSON and event lines ----------------------------- */

static char *capture(void (*fn)(FILE *f, void *arg), void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, arg);
	fclose(f);
	return buf;
}

static void print_listing_json(FILE *f, void *arg)
{
	struct json j;

	json_init(&j, f);
	json_object_begin(&j, NULL);
	ike_json_sas(&j, arg);
	json_object_end(&j);
}

static void print_listing_human(FILE *f, void *arg)
{
	ike_print_human(f, arg);
}

static void print_event_json(FILE *f, void *arg)
{
	ike_print_event(f, arg, true);
}

static void print_event_human(FILE *f, void *arg)
{
	ike_print_event(f, arg, false);
}

static void add(struct ike_listing *l, const char *text, bool child)
{
	char *copy = strdup(text);

	l->r = realloc(l->r, (l->n + 1) * sizeof(*l->r));
	ike_record_parse(copy, &l->r[l->n]);
	l->r[l->n].child = child;
	l->n++;
	free(copy);
}

static void test_kespctl(void)
{
	struct ike_listing l = { 0 };
	struct ike_record r;
	char *out, ev[] = "type=child-rekeyed name=site%20b id=7 local=192.0.2.1:4500 "
			  "remote=%5b2001:db8::2%5d:4500 local_id=a remote_id=b spi_i=0011223344556677 "
			  "spi_r=8899aabbccddeeff child=net reqid=3 spi_in=c0ffee01 spi_out=c0ffee02 "
			  "replaces=c0ffee03_i%20c0ffee04_o";

	add(&l, "name=site-b id=7 local=192.0.2.1:500 remote=192.0.2.2:4500 local_id=a "
		"remote_id=CN%3dx%2c%20O%3d%22q%22 spi_i=0011223344556677 spi_r=8899aabbccddeeff "
		"state=ESTABLISHED role=initiator algs=aes256gcm16-prfsha384-x25519 nat=none age=70 "
		"established=65 rekey_in=3535", false);
	add(&l, "name=net reqid=3 state=INSTALLED mode=tunnel spi_in=c0ffee01 spi_out=c0ffee02 "
		"algs=aes128gcm16 encap=no local_ts=10.1.0.0/24,%20fd00:1::/64 "
		"remote_ts=10.2.0.0/24 bytes_in=336 packets_in=4 bytes_out=336 packets_out=4 age=12 "
		"rekeyed=12 rekey_in=3588", true);
	out = capture(print_listing_json, &l);
	TAP_EQ_STR(out,
		   "{\"ike_sas\":[{\"name\":\"site-b\",\"id\":7,\"local_address\":\"192.0.2.1\","
		   "\"local_port\":500,\"remote_address\":\"192.0.2.2\",\"remote_port\":4500,"
		   "\"local_id\":\"a\",\"remote_id\":\"CN=x, O=\\\"q\\\"\",\"spi_i\":\"0011223344556677\","
		   "\"spi_r\":\"8899aabbccddeeff\",\"state\":\"ESTABLISHED\",\"role\":\"initiator\","
		   "\"algorithms\":\"aes256gcm16-prfsha384-x25519\",\"nat\":\"none\",\"age\":70,"
		   "\"established\":65,\"rekey_in\":3535,\"child_sas\":[{\"name\":\"net\",\"reqid\":3,"
		   "\"state\":\"INSTALLED\",\"mode\":\"tunnel\",\"spi_in\":\"c0ffee01\","
		   "\"spi_out\":\"c0ffee02\",\"algorithms\":\"aes128gcm16\",\"encap\":\"no\","
		   "\"local_ts\":[\"10.1.0.0/24\",\"fd00:1::/64\"],\"remote_ts\":[\"10.2.0.0/24\"],"
		   "\"bytes_in\":336,\"packets_in\":4,\"bytes_out\":336,\"packets_out\":4,\"age\":12,"
		   "\"rekeyed\":12,\"rekey_in\":3588}]}]}\n",
		   "the listing as JSON: numbers as numbers, endpoints split, selectors as arrays, "
		   "escapes undone and redone");
	free(out);
	add(&l, "name=net reqid=4 state=INSTALLED mode=tunnel spi_in=c0ffee05 spi_out=c0ffee06 "
		"algs=aes128gcm16 encap=no per_cpu=cpu%201 local_ts=10.1.0.0/24 "
		"remote_ts=10.2.0.0/24 bytes_in=0 packets_in=0 bytes_out=84 packets_out=1 age=3", true);
	out = capture(print_listing_human, &l);
	tap_ok(strstr(out, "    aes128gcm16\n    in  c0ffee01") &&
	       strstr(out, "    aes128gcm16\n    per-CPU SA: cpu 1\n    in  c0ffee05"),
	       "a per-CPU CHILD_SA says which CPU it serves, an ordinary one nothing");
	tap_ok(strstr(out, "site-b[7]: ESTABLISHED 65 s ago, 192.0.2.1:500[a]...192.0.2.2:4500[CN=x, O=\"q\"]\n") &&
	       strstr(out, "  initiator, SPIs 0011223344556677_i 8899aabbccddeeff_r, "
			   "aes256gcm16-prfsha384-x25519, rekeying in 58 min\n") &&
	       strstr(out, "  net{3}: INSTALLED, tunnel, installed 12 s ago, rekeyed 12 s ago, "
			   "rekeying in 59 min\n") &&
	       strstr(out, "    in  c0ffee01,        336 bytes,        4 packets\n"),
	       "the listing for people, as swanctl --list-sas");
	note(out);
	free(out);
	ike_listing_free(&l);
	tap_ok(!ike_record_parse(ev, &r), "an event record parses");
	out = capture(print_event_json, &r);
	TAP_EQ_STR(out,
		   "{\"source\":\"ikehelper\",\"event\":\"child-rekeyed\",\"name\":\"site b\",\"id\":7,"
		   "\"local_address\":\"192.0.2.1\",\"local_port\":4500,\"remote_address\":\"2001:db8::2\","
		   "\"remote_port\":4500,\"local_id\":\"a\",\"remote_id\":\"b\",\"spi_i\":\"0011223344556677\","
		   "\"spi_r\":\"8899aabbccddeeff\",\"child\":\"net\",\"reqid\":3,\"spi_in\":\"c0ffee01\","
		   "\"spi_out\":\"c0ffee02\",\"replaces\":\"c0ffee03_i c0ffee04_o\"}\n",
		   "an event as one JSON document (IPv6 endpoint split)");
	free(out);
	out = capture(print_event_human, &r);
	TAP_EQ_STR(out, "child-rekeyed site b[7] net{3} SPIs c0ffee01_i c0ffee02_o replace "
		   "c0ffee03_i c0ffee04_o\n", "an event as one line");
	free(out);
	ike_record_free(&r);
}

int main(void)
{
	test_specs();
	test_config_section();
	test_journal();
	test_fanout();
	test_life();
	test_kespctl();
	return tap_done();
}
