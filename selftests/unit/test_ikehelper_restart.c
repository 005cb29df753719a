// SPDX-License-Identifier: GPL-2.0
/*
 * A restart that keeps the tunnels up (persist.c), two ikehelper state
 * machines against the fake kernel. Alice keeps her restart state in a
 * temporary directory; "crashing" her frees her daemon without touching
 * her kernel (as kill -9 leaves kesp.ko's SAs), and a new daemon on the
 * same kernel adopts what the file holds. Checked: the IKE SA and CHILD_SA
 * come back with their SPIs, message ids continue (a DPD exchange both
 * ways), a retransmitted request of the peer is answered from the cached
 * response, CHILD_SA and IKE SA rekeys work after the restart; each reason
 * to discard (bad version, MAC error, format error, changed connection,
 * a kernel SA gone) is logged and the tunnel negotiated again with the old
 * kernel SAs removed only after the new ones are in; the file's mode and
 * its atomic replacement; no key in any log line.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ike_harness.h"
#include "tap.h"

#define PSK "\"Kq8#vT2!mW5@zP9$rN3xL6\""

static struct h_peer *alice, *bob;
static char dir[64];
static char state_path[128];
static const char *alice_child_extra = "";

static char *conf(bool is_alice)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "connections {\n"
		 " peer {\n"
		 "  %s\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  dpd_delay = 30s\n"
		 "  rekey_time = 4h\n"
		 "  local { auth = psk\n id = %s }\n"
		 "  remote { auth = psk\n id = %s }\n"
		 "  children {\n"
		 "   net {\n"
		 "    local_ts = 10.%d.0.0/24\n remote_ts = 10.%d.0.0/24\n"
		 "    esp_proposals = aes128gcm16\n"
		 "    rekey_time = 1h\n"
		 "    %s\n"
		 "   }\n"
		 "  }\n"
		 " }\n"
		 "}\n"
		 "secrets { ike { secret = %s } }\n",
		 is_alice ? "remote_addrs = 192.0.2.2" : "",
		 is_alice ? "alice@example.org" : "bob.example.org",
		 is_alice ? "bob.example.org" : "alice@example.org", is_alice ? 1 : 2,
		 is_alice ? 2 : 1, is_alice ? alice_child_extra : "", PSK);
	return strdup(buf);
}

static bool one_pair(void)
{
	return kernel_fake_sa_count(alice->k) == 2 && kernel_fake_sa_count(bob->k) == 2 &&
	       h_flows(alice->k, bob->k) && h_flows(bob->k, alice->k);
}

static void rm_state(void)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char p[400];

	if (!dp)
		return;
	while ((de = readdir(dp)))
		if (de->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			if (unlink(p))
				rmdir(p);
		}
	closedir(dp);
}

/* Alice and Bob up, Alice keeping her state in DIR. */
static struct ike_sa *setup(void)
{
	static struct h_wait w;
	struct ike_sa *sa;

	rm_state();
	h_pair(&alice, &bob, conf(true), conf(false));
	if (persist_open(alice->d, dir))
		printf("# persist_open failed\n");
	sa = h_up(alice, "peer", &w);
	h_run();
	if (!sa || sa->state != IKE_S_ESTABLISHED || !w.ok)
		printf("# up failed: %s\n", w.msg);
	return sa;
}

static void crash(struct h_peer *p)
{
	h_crash(p);
}

static void restart(struct h_peer *p, char *text)
{
	h_restart(p, text, dir);
}

static struct child_sa *child_of(struct h_peer *p)
{
	struct ike_sa *sa = h_sa(p);

	return sa ? sa->children : NULL;
}

static size_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (size_t)st.st_size;
}

static void patch_byte(size_t off, uint8_t x)
{
	int fd = open(state_path, O_RDWR);
	uint8_t b = 0;

	if (fd < 0 || pread(fd, &b, 1, (off_t)off) != 1)
		printf("# cannot read the state file\n");
	b ^= x;
	if (fd < 0 || pwrite(fd, &b, 1, (off_t)off) != 1)
		printf("# cannot patch the state file\n");
	if (fd >= 0)
		close(fd);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_adopt(void)
{
	struct ike_sa *sa = setup(), *na;
	uint8_t spi_i[8], spi_r[8];
	uint32_t cin, cout, mid_next, mid_peer, bob_mid_peer;
	struct h_pkt *req;
	struct child_sa *c;
	struct task *t;

	tap_ok(sa && sa->state == IKE_S_ESTABLISHED && one_pair(), "adopt: alice and bob up");
	if (!sa)
		return;
	memcpy(spi_i, sa->spi_i, 8);
	memcpy(spi_r, sa->spi_r, 8);
	cin = sa->children->spi_in;
	cout = sa->children->spi_out;

	/* Bob asks whether alice is alive; alice answers (her response is
	 * cached and written); then the answer is lost and alice dies. */
	t = liveness_task_new();
	exchange_queue(h_sa(bob), t);
	req = h_wire ? calloc(1, sizeof(*req)) : NULL;
	if (req) {
		*req = *h_wire;
		req->data = malloc(req->len);
		memcpy(req->data, h_wire->data, req->len);
		req->next = NULL;
	}
	h_deliver();		/* alice answers */
	h_drop();		/* the answer is lost */
	mid_next = sa->mid_next;
	mid_peer = sa->mid_peer;
	tap_ok(file_size(state_path) > 0, "adopt: the state file is written");
	crash(alice);
	TAP_EQ_INT(kernel_fake_sa_count(alice->k), 2, "adopt: kesp.ko keeps both SAs after kill -9");

	h_log_clear();
	restart(alice, conf(true));
	na = h_sa(alice);
	tap_ok(na && na->state == IKE_S_ESTABLISHED && !memcmp(na->spi_i, spi_i, 8) &&
	       !memcmp(na->spi_r, spi_r, 8), "adopt: the IKE SA is back with its SPIs");
	tap_ok(h_log_has("IKE SA adopted after a restart", NULL), "adopt: logged");
	TAP_EQ_INT(h_count_sas(alice), 1, "adopt: no new IKE SA");
	c = child_of(alice);
	tap_ok(c && c->spi_in == cin && c->spi_out == cout && c->state == CHILD_S_INSTALLED &&
	       c->kid_in && c->kid_out, "adopt: the CHILD_SA is back with its SPIs and kernel ids");
	tap_ok(na && na->mid_next == mid_next && na->mid_peer == mid_peer,
	       "adopt: message ids as they were");
	TAP_EQ_INT(kernel_fake_sa_count(alice->k), 2, "adopt: kesp.ko's SAs untouched");
	TAP_EQ_INT(kernel_fake_del_misses(alice->k), 0, "adopt: no delete of a missing SA");
	tap_ok(h_wire == NULL, "adopt: nothing sent on adoption (no renegotiation)");

	/* Bob's retransmission gets the cached answer. */
	if (req) {
		h_deliver_pkt(req);
		h_pkt_free(req);
	}
	TAP_EQ_INT(alice->d->st.retransmits_answered, 1,
		   "adopt: a retransmitted request gets the cached response");
	h_run();
	tap_ok(h_sa(bob)->req.task == NULL && !h_log_has("bob", "failed", NULL),
	       "adopt: bob's DPD exchange completes");

	/* Alice's own DPD: her next message id is the one bob expects. */
	bob_mid_peer = h_sa(bob)->mid_peer;
	exchange_queue(na, liveness_task_new());
	h_run();
	tap_ok(na->mid_next == mid_next + 1 && h_sa(bob)->mid_peer == bob_mid_peer + 1 &&
	       !na->req.task, "adopt: alice's request after the restart is answered");
	tap_ok(!h_log_has("dropping", NULL), "adopt: no message dropped by either side");

	/* A CHILD_SA rekey, then an IKE SA rekey. */
	child_rekey_start(c);
	h_run();
	h_advance(CHILD_GRACE_MS + 100);
	h_run();
	c = child_of(alice);
	tap_ok(c && c->spi_in != cin && !c->next && one_pair(),
	       "adopt: the CHILD_SA rekeys after the restart");
	ike_rekey_start(h_sa(alice));
	h_run();
	h_advance(1000);
	h_run();
	na = h_sa(alice);
	tap_ok(na && h_count_sas(alice) == 1 && h_count_sas(bob) == 1 &&
	       memcmp(na->spi_i, spi_i, 8) && na->state == IKE_S_ESTABLISHED &&
	       !memcmp(na->spi_i, h_sa(bob)->spi_i, 8) && one_pair(),
	       "adopt: the IKE SA rekeys after the restart");
	tap_ok(h_log_has("IKE SA rekeyed", NULL), "adopt: rekey logged");

	/* A second restart adopts the rekeyed SAs. */
	memcpy(spi_i, na->spi_i, 8);
	crash(alice);
	restart(alice, conf(true));
	na = h_sa(alice);
	tap_ok(na && !memcmp(na->spi_i, spi_i, 8) && h_count_sas(alice) == 1 && one_pair(),
	       "adopt: the rekeyed SAs are adopted by a second restart");
	exchange_queue(na, liveness_task_new());
	h_run();
	tap_ok(na->state == IKE_S_ESTABLISHED && !na->req.task, "adopt: and still talk to bob");
}

/* The file must be discarded for WHY; the tunnel comes back, new SAs, one
 * pair, the old kernel SAs gone only after the new ones came. */
static void discard_case(const char *name, void (*spoil)(void), const char *why,
			 bool config_changes)
{
	struct ike_sa *sa = setup(), *na;
	uint8_t spi_i[8];
	size_t before;
	bool old_kept = true;

	if (!sa) {
		tap_ok(0, "%s: up", name);
		return;
	}
	memcpy(spi_i, sa->spi_i, 8);
	crash(alice);
	spoil();
	before = kernel_fake_sa_count(alice->k);
	h_log_clear();
	alice_child_extra = config_changes ? "replay_window = 64" : "";
	restart(alice, conf(true));
	alice_child_extra = "";
	tap_ok(h_log_has(why, NULL), "%s: discarded and logged: \"%s\"", name, why);
	TAP_EQ_INT(kernel_fake_sa_count(alice->k), before,
		   "discard: the old kernel SAs stay while the tunnel is negotiated again");
	/* make-before-break: old SAs stay until the new pair is in */
	for (int i = 0; i < 100 && h_wire; i++) {
		struct child_sa *c;

		h_deliver();
		na = h_sa(alice);
		c = na ? na->children : NULL;
		if (kernel_fake_sa_count(alice->k) < before && !(c && c->kid_in && c->kid_out))
			old_kept = false;
	}
	na = h_sa(alice);
	tap_ok(old_kept, "%s: the old SAs stay until the new pair is in", name);
	tap_ok(na && na->state == IKE_S_ESTABLISHED && memcmp(na->spi_i, spi_i, 8),
	       "%s: a new IKE SA", name);
	/* Bob, told INITIAL_CONTACT, keeps his old inbound SA a while. */
	tap_ok(kernel_fake_sa_count(bob->k) == 3 && h_count_sas(bob) == 2,
	       "%s: bob keeps the old inbound SA and IKE SA a while", name);
	h_advance(CHILD_GRACE_MS + 100);
	h_run();
	TAP_EQ_INT(kernel_fake_sa_count(alice->k), 2, "discard: only the new pair left in kesp.ko");
	h_advance(CHILD_SWITCH_MS + 1000);
	h_run();
	tap_ok(one_pair() && h_count_sas(bob) == 1, "discard: the tunnel flows, bob has one IKE SA");
	tap_ok(h_log_has("stale kernel SA", "removed", NULL), "discard: stale SAs removal logged");
	TAP_EQ_INT(kernel_fake_route_count(alice->k), 1, "discard: the route is kept, once");
	TAP_EQ_INT(kernel_fake_route_count(bob->k), 1, "discard: bob's route is kept, once");
}

static void spoil_version(void) { patch_byte(11, 0x7f); }
static void spoil_mac(void) { patch_byte(file_size(state_path) / 2, 0x40); }
static void spoil_none(void) {}

static void spoil_format(void)
{
	/* A truncated file: its length no longer matches its header. */
	if (truncate(state_path, (off_t)(file_size(state_path) - 7)))
		printf("# truncate failed\n");
}

static uint32_t in_kid;

static void find_in(void *arg, const struct kernel_sa_id *id)
{
	(void)arg;
	if (id->dir == KERNEL_IN)
		in_kid = id->id;
}

/* The inbound SA of the tunnel went while the daemon was down. */
static void spoil_kernel(void)
{
	uint32_t ifindex = kernel_fake_sa_at(alice->k, 0)->ifindex;

	in_kid = 0;
	alice->k->ops->sa_list(alice->k, ifindex, find_in, NULL);
	if (!in_kid || alice->k->ops->sa_del(alice->k, ifindex, in_kid))
		printf("# cannot remove the inbound SA\n");
}

static void test_discard(void)
{
	discard_case("bad version", spoil_version, "bad version: ", false);
	discard_case("MAC error", spoil_mac, "MAC error", false);
	discard_case("format error", spoil_format, "format error", false);
	discard_case("config changed", spoil_none, "changed since (its config fingerprint", true);
	discard_case("kernel SA gone", spoil_kernel, "kesp.ko has no inbound SA", false);
}

static void test_file(void)
{
	struct ike_sa *sa = setup();
	char path[128], key[2 * KERNEL_KEY_MAX + 2 * IKE_PRF_MAX + 1], psk[64];
	struct stat st;
	uint8_t *before = NULL, *after = NULL;
	size_t n;
	FILE *f;

	tap_ok(sa != NULL, "file: up");
	tap_ok(!stat(state_path, &st) && (st.st_mode & 0777) == 0600 && S_ISREG(st.st_mode),
	       "file: the state file is 0600");
	snprintf(path, sizeof(path), "%s/ikehelper.key", dir);
	tap_ok(!stat(path, &st) && (st.st_mode & 0777) == 0600 && st.st_size == 32,
	       "file: the MAC key is 0600, 32 bytes");
	snprintf(path, sizeof(path), "%s/ikehelper.state.new", dir);
	tap_ok(access(path, F_OK) && (snprintf(path, sizeof(path), "%s/ikehelper.state.old", dir),
				      access(path, F_OK)),
	       "file: no temporary or old file left");
	if (!sa)
		return;
	/* A write that fails leaves the previous file whole. */
	n = file_size(state_path);
	before = malloc(n);
	f = fopen(state_path, "rb");
	if (f && before && fread(before, 1, n, f) != n)
		printf("# short read\n");
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/ikehelper.state.new", dir);
	mkdir(path, 0700);	/* the temporary file cannot be made */
	exchange_queue(sa, liveness_task_new());
	daemon_reap(alice->d);
	tap_ok(h_log_has("restart state: cannot write", NULL), "file: a failed write is logged");
	after = malloc(n);
	f = fopen(state_path, "rb");
	tap_ok(f && after && file_size(state_path) == n && fread(after, 1, n, f) == n &&
	       !memcmp(before, after, n), "file: a failed write leaves the old file as it was");
	if (f)
		fclose(f);
	rmdir(path);
	free(before);
	free(after);
	h_run();
	/* The next write replaces it (rename), and an adoption reads it. */
	tap_ok(file_size(state_path) > 0 && sa->mid_next == 3, "file: written again once it can be");
	crash(alice);
	restart(alice, conf(true));
	tap_ok(h_sa(alice) && h_sa(alice)->mid_next == 3, "file: the last write is the one adopted");

	/* No key, nor the PSK, in any log line (level 4). */
	log_set_level_all(4);
	exchange_queue(h_sa(alice), liveness_task_new());
	h_run();
	crash(alice);
	restart(alice, conf(true));
	sa = h_sa(alice);
	hex(sa->keys.sk_ei, sa->keys.encr_len, key);
	snprintf(psk, sizeof(psk), "%s", PSK + 1);
	psk[strlen(psk) - 1] = 0;
	tap_ok(!h_log_has(key, NULL), "logs: SK_ei appears in no log line");
	hex(sa->keys.sk_d, sa->keys.prf_len, key);
	tap_ok(!h_log_has(key, NULL), "logs: SK_d appears in no log line");
	hex(sa->children ? (const uint8_t *)kernel_fake_sa_at(alice->k, 0)->enc_key : NULL,
	    sa->children ? kernel_fake_sa_at(alice->k, 0)->enc_key_len : 0, key);
	tap_ok(!sa->children || !h_log_has(key, NULL), "logs: the ESP key appears in no log line");
	tap_ok(!h_log_has(psk, NULL), "logs: the PSK appears in no log line");
	log_set_level_all(2);
}

/* SIGTERM: every SA deleted, the file says so: nothing to adopt. */
static void test_shutdown(void)
{
	setup();
	daemon_shutdown(alice->d);
	crash(alice);
	h_log_clear();
	restart(alice, conf(true));
	tap_ok(h_log_has("0 IKE SAs adopted, 0 discarded", NULL),
	       "shutdown: a stopped daemon leaves nothing to adopt");
	TAP_EQ_INT(h_count_sas(alice) + kernel_fake_sa_count(alice->k), 0,
		   "shutdown: no IKE SA, no kernel SA after the restart");
}

int main(void)
{
	if (ike_crypto_init())
		return 1;
	snprintf(dir, sizeof(dir), "/tmp/kesp-restart.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(state_path, sizeof(state_path), "%s/ikehelper.state", dir);
	test_adopt();
	test_discard();
	test_file();
	test_shutdown();
	h_reset();
	rm_state();
	rmdir(dir);
	ike_crypto_deinit();
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}
