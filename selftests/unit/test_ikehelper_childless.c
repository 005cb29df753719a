// SPDX-License-Identifier: GPL-2.0
/*
 * Childless IKE SAs (RFC 6023, swanctl's "childless = allow | force |
 * never"), two ikehelper state machines against the fake kernel, every
 * message looked into (decrypted with the sender's keys):
 * - the responder offers CHILDLESS_IKEV2_SUPPORTED unless never;
 * - force: IKE_AUTH without SA/TSi/TSr, the CHILD_SA by CREATE_CHILD_SA
 *   with a KE of its own when esp_proposals name a group, "up" answered
 *   when the CHILD_SA is in, traffic both ways;
 * - allow: the first CHILD_SA in IKE_AUTH as before, or none for an IKE SA
 *   brought up without one (kespctl ike up --no-child);
 * - negatives: force (or no child) towards a peer that does not offer it
 *   (no IKE_AUTH sent), a childless IKE_AUTH to a never responder and one
 *   we did not offer it to, a CHILD_SA in IKE_AUTH to a force responder
 *   (INVALID_SYNTAX, as charon), never refusing an initiation without a
 *   CHILD_SA;
 * - the childless IKE SA elsewhere: IKE SA rekey, DPD, a CHILD_SA later
 *   (control's up-child, an ACQUIRE), delete, a restart that adopts it.
 */
#include <dirent.h>
#include <unistd.h>

#include "ike_harness.h"
#include "tap.h"

#define PSK "\"Wd4#hT8!qK2@xN6$pL9mZ3\""

static struct h_peer *alice, *bob;

/* alice 192.0.2.1 (10.1.0.0/24, connection site-b) initiates to bob
 * 192.0.2.2 (10.2.0.0/24, connection site-a). */
static char *conf_alice(const char *conn_extra, const char *esp, const char *child_extra)
{
	char buf[4096];

	snprintf(buf, sizeof(buf),
		 "connections {\n"
		 " site-b {\n"
		 "  remote_addrs = 192.0.2.2\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  rekey_time = 0\n"
		 "  %s\n"
		 "  local { auth = psk\n id = alice@example.org }\n"
		 "  remote { auth = psk\n id = bob.example.org }\n"
		 "  children { net {\n"
		 "   local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24\n"
		 "   esp_proposals = %s\n"
		 "   rekey_time = 0\n"
		 "   %s\n"
		 "  } }\n"
		 " }\n"
		 "}\n"
		 "secrets { ike { secret = %s } }\n", conn_extra, esp, child_extra, PSK);
	return strdup(buf);
}

/* OTHER: a second connection of bob's (another peer's identity) that fits
 * alice's addresses as well, e.g. to offer childless where site-a does not. */
static char *conf_bob(const char *conn_extra, const char *other)
{
	char buf[4096];

	snprintf(buf, sizeof(buf),
		 "connections {\n"
		 " site-a {\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  rekey_time = 0\n"
		 "  %s\n"
		 "  local { auth = psk\n id = bob.example.org }\n"
		 "  remote { auth = psk\n id = alice@example.org }\n"
		 "  children { net {\n"
		 "   local_ts = 10.2.0.0/24\n remote_ts = 10.1.0.0/24\n"
		 "   esp_proposals = aes128gcm16-x25519, aes128gcm16\n"
		 "   rekey_time = 0\n"
		 "  } }\n"
		 " }\n"
		 " %s%s%s\n"
		 "}\n"
		 "secrets { ike { secret = %s } }\n", conn_extra, other ? "other {\n"
		 "  proposals = aes256gcm16-prfsha384-x25519\n"
		 "  local { auth = psk\n id = bob.example.org }\n"
		 "  remote { auth = psk\n id = carol@example.org }\n  " : "",
		 other ? other : "", other ? "\n }" : "", PSK);
	return strdup(buf);
}

/* The wire's first message, decrypted with K (its sender's outbound keys)
 * when it is protected; false if it cannot be read. Release M after. */
static bool head_msg(const struct ike_sk_keys *k, struct ike_msg *m)
{
	static struct ike_msg outer;
	static uint8_t plain[IKE_MAX_MSG];
	struct ike_error err = { 0 };
	size_t plain_len = sizeof(plain);
	bool ok;

	memset(m, 0, sizeof(*m));
	if (!h_wire || ike_msg_decode(h_wire->data, h_wire->len, &outer, &err))
		return false;
	if (!outer.sk_offset) {
		*m = outer;
		return true;
	}
	ok = k && !ike_msg_decrypt(h_wire->data, h_wire->len, &outer, k, plain, &plain_len, m,
				   &err);
	ike_msg_release(&outer);
	return ok;
}

/* Whether the wire's first message (sent with K) has payload TYPE, or
 * (TYPE 0) notify NOTIFY. */
static bool head_has_k(const struct ike_sk_keys *k, uint8_t type, uint16_t notify)
{
	static struct ike_msg m;
	bool has;

	if (!head_msg(k, &m))
		return false;
	has = type ? msg_find(&m, type) != NULL : msg_find_notify(&m, notify) != NULL;
	ike_msg_release(&m);
	return has;
}

/* The same for a message FROM sent. */
static bool head_has(const struct ike_sa *from, uint8_t type)
{
	return head_has_k(from ? &from->sk_out : NULL, type, 0);
}

static bool head_has_notify(const struct ike_sa *from, uint16_t type)
{
	return head_has_k(from ? &from->sk_out : NULL, 0, type);
}

/* A childless IKE_AUTH: none of SA, TSi, TSr. */
static bool head_childless(const struct ike_sa *from)
{
	return h_head_exchange() == IKE_AUTH && !head_has(from, IKE_PL_SA) &&
	       !head_has(from, IKE_PL_TSI) && !head_has(from, IKE_PL_TSR) &&
	       head_has(from, from->initiator ? IKE_PL_IDI : IKE_PL_IDR);
}

static size_t nchildren(const struct ike_sa *sa)
{
	size_t n = 0;

	for (const struct child_sa *c = sa ? sa->children : NULL; c; c = c->next)
		n++;
	return n;
}

/* P's one established IKE SA that no rekey replaced, or NULL. */
static struct ike_sa *live_sa(struct h_peer *p)
{
	struct ike_sa *found = NULL;

	for (struct ike_sa *sa = p->d->sas; sa; sa = sa->next_all)
		if (sa->state == IKE_S_ESTABLISHED && !sa->rekeyed) {
			if (found)
				return NULL;
			found = sa;
		}
	return found;
}

static bool one_pair(void)
{
	return kernel_fake_sa_count(alice->k) == 2 && kernel_fake_sa_count(bob->k) == 2 &&
	       h_flows(alice->k, bob->k) && h_flows(bob->k, alice->k);
}

static bool no_kernel_sas(void)
{
	return kernel_fake_sa_count(alice->k) == 0 && kernel_fake_sa_count(bob->k) == 0;
}

/* IKE_SA_INIT both ways; OFFERED: bob's answer offered childless. True
 * if alice is in IKE_AUTH then (SA may be freed when false). */
static bool run_init(struct ike_sa *sa, bool *offered)
{
	h_deliver();				/* IKE_SA_INIT -> */
	*offered = head_has_notify(NULL, IKE_N_CHILDLESS_IKEV2_SUPPORTED);
	h_deliver();				/* <- IKE_SA_INIT */
	return h_sa(alice) == sa && sa->state == IKE_S_AUTH_I;
}

/* CHILD_SAs installed (not one being negotiated). */
static size_t ninstalled(const struct ike_sa *sa)
{
	size_t n = 0;

	for (const struct child_sa *c = sa ? sa->children : NULL; c; c = c->next)
		n += c->state == CHILD_S_INSTALLED;
	return n;
}

/* alice brings up site-b's IKE SA alone (kespctl ike up --no-child); W
 * learns the outcome; NULL with the reason in WHY. */
static struct ike_sa *up_ike(struct h_wait *w, char *why, size_t whylen)
{
	memset(w, 0, sizeof(*w));
	w->w.done = h_wait_done;
	return daemon_initiate_ike(alice->d, config_find_conn(alice->d->cfg, "site-b"), &w->w, why,
				   whylen);
}

/* A packet from 10.1.0.1 to 10.2.0.1 hits alice's trap: its ACQUIRE. */
static void acquire(void)
{
	h_acquire(alice, "10.1.0.1", "10.2.0.1");
}

/* ---- force ---------------------------------------------------------------- */

/* alice force (ESP with x25519) -> bob allow, message by message. */
static void test_force_initiator(void)
{
	struct h_wait w;
	struct ike_sa *sa, *bsa;
	bool offered;

	h_pair(&alice, &bob, conf_alice("childless = force", "aes128gcm16-x25519", ""),
	       conf_bob("", NULL));
	sa = h_up(alice, "site-b", &w);
	if (!tap_ok(sa != NULL, "force: alice initiates"))
		return;
	tap_ok(run_init(sa, &offered) && offered,
	       "force: bob's IKE_SA_INIT answer has CHILDLESS_IKEV2_SUPPORTED (allow)");
	tap_ok(sa->childless_ok, "force: alice takes note of it");
	tap_ok(head_childless(sa) && kernel_fake_spis_reserved(alice->k) == 0,
	       "force: alice's IKE_AUTH has no SA, TSi, TSr; no inbound SPI reserved for it");
	tap_ok(h_log_has("alice:", "childless IKE_AUTH (childless = force)",
			 "CHILD_SA net follows by CREATE_CHILD_SA", NULL),
	       "force: alice logs the childless IKE_AUTH");
	h_deliver();
	bsa = h_sa(bob);
	tap_ok(bsa && bsa->state == IKE_S_ESTABLISHED && !nchildren(bsa) &&
	       kernel_fake_sa_count(bob->k) == 0,
	       "force: bob establishes the IKE SA without a CHILD_SA, nothing in his kernel");
	tap_ok(h_log_has("bob:", "childless IKE SA (RFC 6023)", "alice@example.org",
			 "childless = allow", NULL), "force: bob logs a childless IKE SA");
	tap_ok(head_childless(bsa), "force: bob's IKE_AUTH answer has no SA, TSi, TSr");
	h_deliver();
	tap_ok(sa->state == IKE_S_ESTABLISHED && !ninstalled(sa) && w.done == 0 &&
	       kernel_fake_sa_count(alice->k) == 0,
	       "force: alice established, no CHILD_SA yet, 'up' still waits");
	tap_ok(h_head_exchange() == IKE_CREATE_CHILD_SA && head_has(sa, IKE_PL_SA) &&
	       head_has(sa, IKE_PL_KE) && head_has(sa, IKE_PL_TSI) && head_has(sa, IKE_PL_TSR),
	       "force: then alice's CREATE_CHILD_SA, with SA, KE (its own DH), TSi, TSr");
	h_deliver();
	tap_ok(nchildren(bsa) == 1 && head_has(bsa, IKE_PL_KE),
	       "force: bob answers with his KE and has the CHILD_SA");
	h_deliver();
	tap_ok(nchildren(sa) == 1 && sa->children->state == CHILD_S_INSTALLED && w.done == 1 &&
	       w.ok, "force: alice's CHILD_SA is in, 'up' answered (%s)", w.msg);
	tap_ok(one_pair(), "force: one SA pair each side, traffic flows both ways");
	tap_ok(!h_wire && !h_log_has("failed", NULL), "force: nothing else, no failure");
	h_reset();
}

/* ESP without a DH group: the CREATE_CHILD_SA has no KE. Both force. */
static void test_force_no_dh(void)
{
	struct h_wait w;
	struct ike_sa *sa;

	h_pair(&alice, &bob, conf_alice("childless = force", "aes128gcm16", ""),
	       conf_bob("childless = force", NULL));
	sa = h_up(alice, "site-b", &w);
	h_deliver();
	h_deliver();
	tap_ok(sa && head_childless(sa), "force both: alice's IKE_AUTH is childless");
	h_deliver();
	tap_ok(h_log_has("bob:", "childless IKE SA", "childless = force", NULL),
	       "force both: bob (force) accepts it");
	h_deliver();
	tap_ok(sa && h_head_exchange() == IKE_CREATE_CHILD_SA && !head_has(sa, IKE_PL_KE),
	       "force both: ESP without a group, the CREATE_CHILD_SA has no KE");
	h_run();
	tap_ok(sa && nchildren(sa) == 1 && w.ok && one_pair(),
	       "force both: the CHILD_SA comes up, traffic flows");
	h_reset();
}

/* start_action = trap with force: the ACQUIRE's IKE SA is childless too. */
static void test_force_trap(void)
{
	h_pair(&alice, &bob, conf_alice("childless = force", "aes128gcm16-x25519",
					"start_action = trap"), conf_bob("", NULL));
	daemon_start_all(alice->d);
	if (!tap_ok(kernel_fake_trap_count(alice->k) == 1, "trap: alice's trap is in"))
		goto out;
	acquire();
	h_deliver();
	h_deliver();
	tap_ok(h_sa(alice) && head_childless(h_sa(alice)),
	       "trap: the ACQUIRE's IKE_AUTH is childless (force)");
	h_run();
	tap_ok(nchildren(live_sa(alice)) == 1 && one_pair(),
	       "trap: the CHILD_SA follows by CREATE_CHILD_SA");
out:
	h_reset();
}

/* ---- allow ---------------------------------------------------------------- */

/* allow both: the first CHILD_SA comes with IKE_AUTH, as without RFC 6023. */
static void test_allow_regular(void)
{
	struct h_wait w;
	struct ike_sa *sa;
	bool offered;

	h_pair(&alice, &bob, conf_alice("childless = allow", "aes128gcm16", ""),
	       conf_bob("", NULL));
	sa = h_up(alice, "site-b", &w);
	tap_ok(sa && run_init(sa, &offered) && offered, "allow: bob offers childless");
	tap_ok(sa && h_head_exchange() == IKE_AUTH && head_has(sa, IKE_PL_SA) &&
	       head_has(sa, IKE_PL_TSI) && head_has(sa, IKE_PL_TSR),
	       "allow: alice's IKE_AUTH carries the CHILD_SA all the same");
	h_run();
	tap_ok(sa && nchildren(sa) == 1 && w.ok && one_pair() &&
	       !h_log_has("childless IKE SA", NULL), "allow: up with its CHILD_SA, not childless");
	h_reset();
}

/*
 * allow, the IKE SA alone (kespctl ike up --no-child), then everything a
 * childless IKE SA must survive: DPD, an IKE SA rekey, a CHILD_SA on
 * demand (control's up-child) that carries traffic, delete.
 */
static void test_allow_no_child(void)
{
	const struct conn *c;
	struct h_wait w;
	struct ike_sa *sa, *bsa, *na;
	char why[256];
	uint64_t tx;

	h_pair(&alice, &bob, conf_alice("childless = allow\n dpd_delay = 10s", "aes128gcm16-x25519",
					""), conf_bob("", NULL));
	c = config_find_conn(alice->d->cfg, "site-b");
	sa = up_ike(&w, why, sizeof(why));
	if (!tap_ok(sa != NULL, "no child: alice initiates the IKE SA alone (%s)", sa ? "" : why))
		goto out;
	tap_ok(h_log_has("alice:", "initiating to 192.0.2.2, childless (no CHILD_SA)", NULL),
	       "no child: logged as childless");
	h_deliver();
	h_deliver();
	tap_ok(head_childless(sa), "no child: alice's IKE_AUTH has no SA, TSi, TSr");
	h_run();
	bsa = h_sa(bob);
	tap_ok(sa->state == IKE_S_ESTABLISHED && bsa && bsa->state == IKE_S_ESTABLISHED &&
	       !nchildren(sa) && !nchildren(bsa) && no_kernel_sas() && w.done == 1 && w.ok &&
	       strstr(w.msg, "without a CHILD_SA"),
	       "no child: both established with no CHILD_SA, 'up' answered (%s)", w.msg);

	/* DPD with no CHILD_SA to look at: an empty INFORMATIONAL, answered. */
	tx = alice->d->st.tx;
	h_advance(10500);
	tap_ok(h_head_exchange() == IKE_INFORMATIONAL && alice->d->st.tx == tx + 1,
	       "no child: DPD after dpd_delay sends an INFORMATIONAL");
	h_run();
	tap_ok(sa->state == IKE_S_ESTABLISHED && !sa->req.task, "no child: DPD answered, SA stays");

	/* An IKE SA rekey moves nothing and keeps both sides at one SA. */
	ike_rekey_start(sa);
	h_run();
	h_advance(2000);
	h_run();
	na = live_sa(alice);
	tap_ok(na && na != sa && live_sa(bob) && h_count_sas(alice) == 1 &&
	       h_count_sas(bob) == 1 && !nchildren(na) && no_kernel_sas(),
	       "no child: the childless IKE SA rekeys (one IKE SA each side, still no CHILD_SA)");
	if (!na)
		goto out;

	/* A CHILD_SA later, by CREATE_CHILD_SA (what kespctl ike up --child does). */
	memset(&w, 0, sizeof(w));
	w.w.done = h_wait_done;
	ike_sa_add_waiter(na, &w.w);
	exchange_queue(na, create_child_task_new(&c->children[0], NULL));
	tap_ok(h_head_exchange() == IKE_CREATE_CHILD_SA && head_has(na, IKE_PL_KE),
	       "no child: CREATE_CHILD_SA for net on the rekeyed IKE SA, with a KE");
	h_run();
	tap_ok(nchildren(na) == 1 && nchildren(live_sa(bob)) == 1 && w.ok && one_pair(),
	       "no child: the CHILD_SA is up and traffic flows (%s)", w.msg);

	daemon_terminate(alice->d, "site-b");
	h_run();
	daemon_reap(alice->d);
	daemon_reap(bob->d);
	tap_ok(!h_count_sas(alice) && !h_count_sas(bob) && no_kernel_sas(),
	       "no child: deleted, nothing left either side");
out:
	h_reset();
}

/* An ACQUIRE on a connection whose childless IKE SA is up: CREATE_CHILD_SA
 * under it, no second IKE SA. */
static void test_acquire_on_childless(void)
{
	struct h_wait w;
	struct ike_sa *sa;
	char why[256];

	h_pair(&alice, &bob, conf_alice("", "aes128gcm16", "start_action = trap"),
	       conf_bob("", NULL));
	daemon_start_all(alice->d);
	sa = up_ike(&w, why, sizeof(why));
	h_run();
	if (!tap_ok(sa && sa->state == IKE_S_ESTABLISHED && !nchildren(sa),
		    "acquire: the childless IKE SA is up"))
		goto out;
	acquire();
	tap_ok(h_head_exchange() == IKE_CREATE_CHILD_SA && h_count_sas(alice) == 1,
	       "acquire: CREATE_CHILD_SA under the existing IKE SA");
	h_run();
	tap_ok(nchildren(sa) == 1 && one_pair(), "acquire: the CHILD_SA is up");
out:
	h_reset();
}

/* ---- negatives --------------------------------------------------------------- */

/* force (or no child) towards a peer that does not offer it: the IKE SA
 * fails after IKE_SA_INIT, no IKE_AUTH goes out. */
static void test_peer_without_support(bool force)
{
	const char *what = force ? "force vs never" : "no child vs never";
	struct h_wait w;
	struct ike_sa *sa;
	bool offered = true;
	char why[256];

	h_pair(&alice, &bob, conf_alice(force ? "childless = force" : "", "aes128gcm16", ""),
	       conf_bob("childless = never", NULL));
	sa = force ? h_up(alice, "site-b", &w) : up_ike(&w, why, sizeof(why));
	if (!tap_ok(sa != NULL, "%s: alice initiates", what))
		goto out;
	run_init(sa, &offered);
	daemon_reap(alice->d);
	tap_ok(!offered, "%s: bob's IKE_SA_INIT answer has no CHILDLESS_IKEV2_SUPPORTED", what);
	tap_ok(!h_wire && h_count_sas(alice) == 0 && w.done == 1 && !w.ok,
	       "%s: alice fails the IKE SA and sends no IKE_AUTH (%s)", what, w.msg);
	tap_ok(h_log_has("alice:", "does not support childless IKE SAs",
			 "no CHILDLESS_IKEV2_SUPPORTED", force ? "childless = force" :
			 "without a CHILD_SA", NULL), "%s: the log line says why", what);
	tap_ok(no_kernel_sas() && kernel_fake_spis_reserved(alice->k) == 0,
	       "%s: nothing in either kernel", what);
out:
	h_reset();
}

/* A childless IKE_AUTH bob must refuse: his connection for alice says
 * never (another one made him offer it), or (UNOFFERED) he did not offer it. */
static void test_responder_refuses_childless(bool unoffered)
{
	const char *what = unoffered ? "childless not offered" : "childless vs never";
	struct ike_sk_keys bk;
	struct h_wait w;
	struct ike_sa *sa;
	bool offered;
	char why[256];

	h_pair(&alice, &bob, conf_alice("", "aes128gcm16", ""),
	       conf_bob(unoffered ? "" : "childless = never", "childless = allow"));
	sa = up_ike(&w, why, sizeof(why));
	if (!tap_ok(sa && run_init(sa, &offered) && offered && head_childless(sa),
		    "%s: bob offers childless, alice's IKE_AUTH is childless", what))
		goto out;
	if (unoffered)
		h_sa(bob)->childless_ok = false;	/* as if he had not */
	bk = h_sa(bob)->sk_out;		/* his SA goes with his answer */
	h_deliver();
	tap_ok(!h_count_sas(bob) && head_has_k(&bk, 0, IKE_N_INVALID_SYNTAX) &&
	       !head_has_k(&bk, IKE_PL_SA, 0) && !head_has_k(&bk, IKE_PL_AUTH, 0),
	       "%s: bob answers INVALID_SYNTAX alone and drops the IKE SA", what);
	tap_ok(h_log_has("bob:", "peer 'alice@example.org' initiated a childless IKE SA",
			 unoffered ? "we did not offer it" : "childless = never",
			 "answering INVALID_SYNTAX", NULL), "%s: bob's log says why", what);
	h_run();
	daemon_reap(alice->d);
	daemon_reap(bob->d);
	tap_ok(!h_count_sas(bob) && !h_count_sas(alice) && w.done == 1 && !w.ok &&
	       h_log_has("alice:", "refused our IKE_AUTH (INVALID_SYNTAX)", "childless = never",
			 NULL), "%s: both drop the IKE SA, alice says why (%s)", what, w.msg);
	tap_ok(no_kernel_sas(), "%s: nothing in either kernel", what);
out:
	h_reset();
}

/* A CHILD_SA in IKE_AUTH to a force responder: INVALID_SYNTAX (as charon). */
static void test_force_responder_refuses_child(void)
{
	struct ike_sk_keys bk;
	struct h_wait w;
	struct ike_sa *sa;
	bool offered;

	h_pair(&alice, &bob, conf_alice("childless = allow", "aes128gcm16", ""),
	       conf_bob("childless = force", NULL));
	sa = h_up(alice, "site-b", &w);
	tap_ok(sa && run_init(sa, &offered) && offered && head_has(sa, IKE_PL_SA),
	       "force responder: bob offers childless, alice (allow) sends her CHILD_SA in IKE_AUTH");
	bk = h_sa(bob)->sk_out;		/* his SA goes with his answer */
	h_deliver();
	tap_ok(!h_count_sas(bob) && head_has_k(&bk, 0, IKE_N_INVALID_SYNTAX) &&
	       !head_has_k(&bk, IKE_PL_SA, 0) && kernel_fake_sa_count(bob->k) == 0,
	       "force responder: bob answers INVALID_SYNTAX, drops the IKE SA, installs nothing");
	tap_ok(h_log_has("bob:", "did not initiate a childless IKE SA", "childless = force",
			 "answering INVALID_SYNTAX", NULL), "force responder: bob's log says why");
	h_run();
	daemon_reap(alice->d);
	daemon_reap(bob->d);
	tap_ok(!h_count_sas(alice) && !h_count_sas(bob) && w.done == 1 && !w.ok &&
	       h_log_has("alice:", "INVALID_SYNTAX", "childless = force", NULL),
	       "force responder: alice fails the IKE SA and says why (%s)", w.msg);
	tap_ok(no_kernel_sas(), "force responder: no SA in either kernel");
	h_reset();
}

/* never as initiator: an IKE SA without a CHILD_SA is not even tried. */
static void test_never_initiator(void)
{
	struct h_wait w;
	struct ike_sa *sa;
	char why[256];

	h_pair(&alice, &bob, conf_alice("childless = never", "aes128gcm16", ""),
	       conf_bob("", NULL));
	sa = up_ike(&w, why, sizeof(why));
	tap_ok(!sa && strstr(why, "childless = never") && !h_wire,
	       "never: initiating without a CHILD_SA is refused (%s)", why);
	sa = h_up(alice, "site-b", &w);
	h_deliver();
	h_deliver();
	tap_ok(sa && head_has(sa, IKE_PL_SA), "never: with its CHILD_SA it goes as usual");
	h_run();
	tap_ok(sa && nchildren(sa) == 1 && w.ok && one_pair(), "never: up with the CHILD_SA");
	h_reset();
}

/* ---- restart ------------------------------------------------------------------ */

/* A childless IKE SA survives ikehelper's restart (persist.c). */
static void test_restart(void)
{
	char dir[] = "/tmp/kesp-childless-XXXXXX";
	struct h_wait w;
	struct ike_sa *sa;
	uint8_t spi_i[8];
	char why[256], path[512];

	if (!mkdtemp(dir)) {
		tap_ok(false, "restart: a temporary directory");
		return;
	}
	h_pair(&alice, &bob, conf_alice("", "aes128gcm16", ""), conf_bob("", NULL));
	if (persist_open(alice->d, dir))
		printf("# persist_open failed\n");
	sa = up_ike(&w, why, sizeof(why));
	h_run();
	if (!tap_ok(sa && sa->state == IKE_S_ESTABLISHED && !nchildren(sa),
		    "restart: the childless IKE SA is up"))
		goto out;
	memcpy(spi_i, sa->spi_i, 8);
	persist_flush(alice->d);
	h_crash(alice);
	h_log_clear();
	h_restart(alice, conf_alice("", "aes128gcm16", ""), dir);
	sa = h_sa(alice);
	tap_ok(sa && sa->state == IKE_S_ESTABLISHED && !memcmp(sa->spi_i, spi_i, 8) &&
	       !nchildren(sa) && h_count_sas(alice) == 1 && !h_wire &&
	       h_log_has("IKE SA adopted after a restart", NULL),
	       "restart: the childless IKE SA is adopted with its SPIs, nothing negotiated");
	if (!sa)
		goto out;
	exchange_queue(sa, liveness_task_new());
	h_run();
	tap_ok(!sa->req.task && sa->state == IKE_S_ESTABLISHED && !h_log_has("dropping", NULL),
	       "restart: its message ids go on (an INFORMATIONAL answered)");
	exchange_queue(sa, create_child_task_new(&sa->conn->children[0], NULL));
	h_run();
	tap_ok(nchildren(sa) == 1 && one_pair(), "restart: a CHILD_SA comes up on it");
out:
	h_reset();
	{
		DIR *dp = opendir(dir);
		struct dirent *de;

		while (dp && (de = readdir(dp)))
			if (de->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
				unlink(path);
			}
		if (dp)
			closedir(dp);
	}
	rmdir(dir);
}

int main(void)
{
	ike_crypto_init();
	test_force_initiator();
	test_force_no_dh();
	test_force_trap();
	test_allow_regular();
	test_allow_no_child();
	test_acquire_on_childless();
	test_peer_without_support(true);
	test_peer_without_support(false);
	test_responder_refuses_childless(false);
	test_responder_refuses_childless(true);
	test_force_responder_refuses_child();
	test_never_initiator();
	test_restart();
	h_reset();
	ike_crypto_deinit();
	return tap_done();
}
