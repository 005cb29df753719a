/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ikehelper's runtime: the daemon, IKE SAs, CHILD SAs, exchanges (tasks),
 * timers. Prototypes are grouped by the file that defines them (OpenBSD
 * iked style). Nothing here touches a socket or the kernel directly: the
 * network goes through struct io_ops and the kernel through struct kernel,
 * so unit tests and the fuzzer run two daemons in one process.
 *
 * Lifetimes: an IKE SA is freed only by daemon_reap(), which the loop calls
 * after each event; ike_sa_destroy() unlinks it, cancels its timers and
 * marks it dead, so code that still holds the pointer in the same event
 * sees IKE_S_DEAD instead of freed memory.
 */
#ifndef KESP_DAEMON_H
#define KESP_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "events.h"
#include "id.h"
#include "ike.h"
#include "kernel.h"
#include "log.h"
#include "ts.h"

struct daemon;
struct fetch_ops;
struct revoke;
struct ike_sa;
struct restart;
struct persist;
struct child_sa;
struct task;
struct msg_out;
struct nonce_bias;
struct resume;
struct resume_state;

/* ---- timer.c ------------------------------------------------------------ */

struct timer {
	uint64_t when;		/* ms on the daemon's monotonic clock */
	size_t idx;		/* heap position; TIMER_IDLE when not armed */
	void (*fn)(struct daemon *d, struct timer *t);
};
#define TIMER_IDLE ((size_t)-1)

struct timer_heap {
	struct timer **v;
	size_t n, cap;
};

void timer_init(struct timer *t, void (*fn)(struct daemon *d, struct timer *t));
void timer_arm(struct daemon *d, struct timer *t, uint64_t delay_ms);
void timer_cancel(struct daemon *d, struct timer *t);
bool timer_armed(const struct timer *t);
/* Runs every timer due at d->now, in order. */
void timers_run(struct daemon *d);
/* When the next timer is due, or UINT64_MAX. */
uint64_t timers_next(const struct daemon *d);
void timers_free(struct timer_heap *h);

/* ---- the network, as the core sees it ----------------------------------- */

struct io_ops {
	/* An IKE message from LOCAL to REMOTE (net.c adds the non-ESP
	 * marker when LOCAL's port is the NAT-T port). */
	void (*send)(void *ctx, const struct endpoint *local, const struct endpoint *remote,
		     const uint8_t *pkt, size_t len);
	/* A NAT keepalive (RFC 3948 §2.3) from LOCAL to REMOTE. */
	void (*keepalive)(void *ctx, const struct endpoint *local, const struct endpoint *remote);
	/* The source address the host would use towards DST: PREFER (if not
	 * NULL) while it is still ours and routes there, else the kernel's
	 * choice; 0 or -errno. */
	int (*route_src)(void *ctx, const struct addr *dst, const struct addr *prefer,
			 struct addr *src);
};

/* ---- IKE and CHILD SAs (sa.c, child_sa.c) -------------------------------- */

#define MOBIKE_ADDRS_MAX 8		/* the peer's additional addresses kept */

enum ike_state {
	IKE_S_INIT_I,		/* initiator: IKE_SA_INIT sent */
	IKE_S_AUTH_I,		/* initiator: IKE_AUTH sent */
	IKE_S_INIT_R,		/* responder: half-open, waiting for IKE_AUTH */
	IKE_S_ESTABLISHED,
	IKE_S_DELETING,		/* our DELETE is out; no new exchanges */
	IKE_S_DEAD,		/* unlinked; freed by daemon_reap() */
};

enum child_state {
	CHILD_S_INSTALLING,	/* inbound only (a rekey responder: until the
				 * initiator deletes the old pair) */
	CHILD_S_INSTALLED,
	CHILD_S_REKEYING,	/* our CREATE_CHILD_SA for its successor is out */
	CHILD_S_REKEYED,	/* replaced; outbound gone, inbound until its grace ends */
	CHILD_S_DELETING,
};

/* How long a replaced (or deleted) CHILD_SA's inbound SA stays, so packets
 * the peer sent on it before it switched still decrypt. */
#define CHILD_GRACE_MS 2000
/* A rekey responder switches its outbound SA when the initiator deletes the
 * old pair (so nothing arrives on the new SA before the initiator has it);
 * without that DELETE it looks this often whether the peer sends on the new
 * pair, and switches once it does. */
#define CHILD_SWITCH_MS 10000
/* A rekey's initiator deletes the old pair this long after it switched its
 * outbound SA: what it sent on the old SA just before may still be in its
 * own or the peer's (async) crypto or queues, and a peer that removes its
 * old inbound SA on our DELETE (XFRM under charon does) would drop it. */
#define CHILD_DELETE_DELAY_MS 1000

/* Who waits for an SA to come up (a control client's "up"). */
struct sa_waiter {
	struct sa_waiter *next;
	struct ike_sa *sa;
	void (*done)(struct sa_waiter *w, bool ok, const char *msg);
	void *ctx;
};

#define CHILD_ROUTES_MAX 64

#define PCPU_ASKS 16

struct child_sa {
	struct child_sa *next;
	struct ike_sa *ike;
	const struct child_cfg *cfg;	/* within ike->conn, which we hold */
	uint32_t reqid;
	enum child_state state;
	enum child_mode mode;
	uint32_t ifindex;
	uint32_t spi_in, spi_out;	/* host order */
	uint32_t kid_in, kid_out;	/* kesp.ko's SA ids; 0: not installed */
	struct ike_proposal prop;	/* the chosen ESP transforms */
	struct ts ts_local[CONF_MAX_TS], ts_remote[CONF_MAX_TS];
	size_t nts_local, nts_remote;
	bool encap;
	struct kernel_route routes[CHILD_ROUTES_MAX];
	size_t nroutes;
	uint64_t installed_at;
	bool is_rekey;			/* it replaced a pair of the same reqid */
	const char *down_reason;	/* for the child-down event (static text) */
	/* KEYMAT (§2.17), kept from its derivation until both directions are
	 * installed (a responder installs outbound after its answer). */
	uint8_t keymat[4 * KERNEL_KEY_MAX];
	size_t keymat_len;
	bool we_initiated;		/* of the exchange that made it (§2.17) */
	bool delete_pending;		/* our DELETE for it is not answered yet */
	uint32_t replaces;		/* spi_in of the pair this one rekeys; 0: none */
	/* The lower nonce of the exchange that made it: of two pairs made by
	 * simultaneous rekeys, the one with the lowest goes (§2.8.1). */
	uint8_t lo_nonce[IKE_NONCE_MAX];
	size_t lo_nonce_len;
	/* The soft volume limits of both its kernel SAs (rekey_bytes and
	 * rekey_packets less the jitter), chosen when the first is installed. */
	uint64_t soft_bytes, soft_packets;
	bool volume_set;
	/* Its inbound SA's packet count when DPD last looked (sa.c). */
	uint64_t dpd_packets_in;
	bool updown_up;			/* its updown program ran "up" (cp.c) */
	/* Per-CPU SAs (RFC 9611, pcpu.c): one of a set of CHILD_SAs of the same
	 * selectors the peer agreed to (SA_RESOURCE_INFO); the fallback (no
	 * CPU), or one whose outbound SA serves CPU cpu (has_cpu). */
	bool pcpu, pcpu_fallback, has_cpu;
	uint32_t cpu;
	/* A fallback that we asked for: its outbound SA raises per-CPU
	 * ACQUIREs (the responder's waits for the peer's asks). */
	bool pcpu_acquire;
	/* The fallback of our own set: the CPUs it asked an SA for, and until
	 * when it does not ask again (pending, or refused by TS_MAX_QUEUED). */
	struct pcpu_ask {
		uint32_t cpu;
		uint64_t until;
	} asks[PCPU_ASKS];
	struct timer t_rekey;		/* rekey_time (less the jitter) */
	struct timer t_expire;		/* life_time: the pair is deleted */
	struct timer t_grace;		/* REKEYED/DELETING: inbound removed;
					 * INSTALLING successor: CHILD_SWITCH_MS */
	struct timer t_delete;		/* REKEYED: our DELETE of it is sent */
};

/* ---- IKE fragmentation (fragment.c, RFC 7383) ---------------------------- */

/* The most fragments of one message we reassemble, and its most inner bytes. */
#define FRAG_MAX_COUNT 64
#define FRAG_MAX_BYTES 65535

/* Our message as Encrypted Fragments, kept to be sent again unchanged. */
struct frag_train {
	uint8_t *buf;		/* fragment i at i * stride; NULL: sent whole */
	size_t stride;		/* fragment_size when it was cut (a reload may change it) */
	size_t *len;
	size_t n;
};

/* A message of the peer's in pieces: the fragments kept so far, decrypted. */
struct frag_reasm {
	struct ike_sa *sa;
	struct timer timer;	/* the exchange's time is up: the set goes */
	bool active;
	uint32_t mid;
	uint8_t first;		/* fragment 1's next payload: the first inner type */
	uint16_t total, have;
	size_t bytes;
	uint8_t *part[FRAG_MAX_COUNT];
	size_t part_len[FRAG_MAX_COUNT];
};

struct frag_state {
	bool announced;		/* we sent IKEV2_FRAGMENTATION_SUPPORTED */
	bool peer;		/* the peer did */
	struct frag_reasm *req, *resp;	/* the peer's request / response in pieces */
};

/* Our outstanding request (window size 1, RFC 7296 §2.3). */
struct ike_request {
	struct task *task;
	uint32_t mid;
	uint8_t *pkt;
	size_t len;
	struct frag_train frags;	/* pkt in fragments, if it is sent so */
	unsigned int tries;
	struct timer timer;
};

/* The response to the peer's last request, for its retransmissions. */
struct ike_cached_response {
	bool valid;
	uint32_t mid;
	uint64_t req_hash;	/* of the request it answers */
	uint8_t *pkt;
	size_t len;
	struct frag_train frags;
};

/* An IKE_AUTH message (the peer's request, or its response to ours) whose
 * check waits for a revocation fetch (revoke.c): its decrypted payloads,
 * processed again by exchange_auth_resume. */
struct auth_wait {
	bool active;
	bool requested;			/* set by the check: suspend, do not answer */
	uint32_t mid;
	uint64_t req_hash;		/* responder: of the request datagram */
	struct ike_header hdr;
	uint8_t first;
	uint8_t *pl;
	size_t len;
};

/* Why an IKE SA ends, for dpd_action / close_action (actions.c). */
enum ike_end {
	END_LOCAL = 0,		/* ours: terminated, failed, stopping: no action */
	END_PEER_DEAD,		/* a request of ours went unanswered */
	END_PEER_CLOSED,	/* the peer deleted it */
};

/* A client follows at most REDIRECT_MAX redirects of one connection within
 * REDIRECT_PERIOD_MS (strongSwan's limits); one more is a loop. */
#define REDIRECT_MAX 5
#define REDIRECT_PERIOD_MS (300 * 1000)

/* An IKE SA's configuration payload state (cp.c). A client: the addresses
 * the gateway gave us (on device vip_ifindex) and its DNS servers; a
 * gateway: the leases it holds for the peer. */
struct cp_state {
	struct addr vip[CONF_MAX_VIPS];
	size_t nvip;
	uint32_t vip_ifindex;
	struct addr dns[2 * POOL_MAX_DNS];
	size_t ndns;
	struct addr lease[CONF_MAX_VIPS];
	size_t nlease;
	char lease_who[IKE_ID_STRLEN];	/* the identity the leases are kept for */
};

struct ike_sa {
	struct daemon *d;
	struct ike_sa *next_all, *next_spi, *next_half, *next_dead;
	uint64_t id;
	struct conn *conn;		/* held; NULL for a responder before IKE_AUTH */
	const struct child_cfg *want_child;	/* initiator: the first CHILD_SA */
	enum ike_state state;
	bool initiator;
	uint8_t spi_i[8], spi_r[8];
	struct endpoint local, remote;
	bool nat_local, nat_remote;	/* a NAT before us / before the peer */
	bool peer_natd;			/* the peer sent NAT_DETECTION payloads */
	uint8_t natd_us[20];		/* its last NAT_DETECTION_DESTINATION_IP: */
	bool natd_us_set;		/* how it saw us (MOBIKE: did our NAT move?) */
	uint64_t created, established;
	uint64_t rekeyed_at;		/* when a rekey made it (0: IKE_AUTH did) */

	/* IKE_SA_INIT */
	struct ike_proposal prop;
	uint16_t encr, encr_bits, integ, prf, dh_group;
	struct ike_dh *dh;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t ni_len, nr_len;
	uint8_t *init_req, *init_resp;	/* both IKE_SA_INIT messages, for AUTH */
	size_t init_req_len, init_resp_len;
	uint8_t cookie[64];		/* initiator: the responder's COOKIE */
	size_t cookie_len;
	unsigned int init_retries;	/* initiator: COOKIE / INVALID_KE restarts */
	uint8_t peer_sig_hashes;	/* bit N: the peer announced hash N (RFC 7427) */
	bool peer_certreq;		/* initiator: a CERTREQ in IKE_SA_INIT's answer */
	/* RFC 6023: CHILDLESS_IKEV2_SUPPORTED in IKE_SA_INIT's answer, which
	 * we sent (responder) or the peer did (initiator). */
	bool childless_ok;
	struct ike_sa_keys keys;
	struct ike_sk_keys sk_in, sk_out;
	bool keys_ready;

	/* IKE_AUTH */
	struct ike_id id_local, id_remote;
	struct eap_ctx *eap;		/* EAP in IKE_AUTH (auth_eap.c), until established */

	/* exchanges */
	uint32_t mid_next;		/* our next request */
	uint32_t mid_peer;		/* the peer's next request */
	struct ike_request req;
	struct task *queue;		/* our exchanges waiting for the window */
	struct ike_cached_response resp;
	struct frag_state frag;
	struct auth_wait wait;		/* IKE_AUTH suspended for a revocation fetch */

	struct child_sa *children;
	struct sa_waiter *waiters;
	struct timer t_half_open, t_keepalive;
	struct timer t_dpd;		/* dpd_delay: is the peer still there? */
	uint64_t last_rx;		/* when the peer's last authenticated message came */
	uint64_t last_esp;		/* when DPD saw its CHILD_SAs' inbound ESP move */
	bool close_after_send;		/* responder: our answer is the last word */
	bool in_init_table;		/* responder: findable by SPIi and address */
	bool half_open;			/* counted in half_open_count */
	struct timer t_rekey;		/* the IKE SA's rekey_time (less the jitter) */
	struct timer t_over;		/* rekey_time + over_time; a replaced SA: its end */
	bool rekeyed;			/* replaced by a rekey (DELETING) */
	bool initial_contact;		/* responder: the peer's IKE_AUTH said so */
	bool replaced;			/* by a new IKE SA after INITIAL_CONTACT */
	uint8_t successor[8];		/* then: our SPI of the new IKE SA */
	bool collision;			/* we answered the peer's rekey while ours is out */
	uint8_t collision_spi[8];	/* then: our SPI of the SA that answer made */
	/* A won collision (§2.8.2): the old SA's DELETE waits for the peer's
	 * DELETE of its redundant SA (then it surely has our answer), at most
	 * IKE_COLLISION_DELETE_MS; the redundant SA names the old one. */
	bool delete_deferred;
	bool releases_old;
	uint8_t old_spi[8];		/* then: our SPI of the old IKE SA */
	enum ike_end end;		/* set just before it goes */
	uint64_t restart_children;	/* a restart's attempt (bit i: conn child i) */
	char error[256];		/* why it failed, for waiters */

	/* MOBIKE (RFC 4555, mobike.c). The IKE SA's original initiator (the
	 * mobile client) sends UPDATE_SA_ADDRESSES; the responder follows. */
	bool mobike;			/* both said MOBIKE_SUPPORTED in IKE_AUTH */
	bool mobike_client;		/* we initiated its IKE_AUTH: we send the updates */
	bool peer_mobike;		/* responder: the peer's IKE_AUTH offered it */
	bool mobike_queued;		/* our UPDATE_SA_ADDRESSES is queued or out */
	bool mobike_moved;		/* responder: the request just read moved us */
	struct addr peer_addrs[MOBIKE_ADDRS_MAX];	/* its ADDITIONAL_*_ADDRESS */
	size_t npeer_addrs;
	struct timer t_mobike;		/* client: no route to the peer (its end);
					 * gateway: rekeys for a changed NAT */

	/* Configuration payload (cp.c): what moves with a rekey and is kept
	 * across a restart; a gateway also the peer's CFG_REQUEST. */
	struct cp_state cp;
	uint8_t cp_want;		/* CP_WANT_*: the peer's CFG_REQUEST */
	struct addr cp_asked[CONF_MAX_VIPS];	/* addresses it asked for by value */
	size_t ncp_asked;

	/* Redirect (redirect.c, RFC 5685). A gateway: whether the client
	 * announced REDIRECT_SUPPORTED. A client: the gateway that sent us
	 * here (family 0: none), when the connection's last redirects were
	 * (loop protection), and a REDIRECT of the established SA that is
	 * followed once our answer is out. */
	bool peer_redirect;
	struct addr redirected_from;
	uint64_t redirect_at[REDIRECT_MAX];
	unsigned int nredirects;
	bool redirect_pending;
	struct addr redirect_gw;

	/* Session resumption (resume.c, RFC 5723). RESUMED: the IKE SA came
	 * from IKE_SESSION_RESUME (its IKE_AUTH is keyed by SK_pi/SK_pr);
	 * RT: the ticket's contents (a client: its own copy of what it
	 * resumes; a gateway: what the ticket said), freed with the SA.
	 * TICKET_WANTED: a gateway saw TICKET_REQUEST in IKE_AUTH. */
	bool resumed;
	bool ticket_wanted;
	struct resume_state *rt;
};

const char *ike_state_name(enum ike_state s);
struct ike_sa *ike_sa_new(struct daemon *d, bool initiator, const struct endpoint *local,
			  const struct endpoint *remote);
void ike_sa_set_conn(struct ike_sa *sa, const struct conn *c);
/* Unlinks, removes its kernel SAs, tells waiters (ok false, WHY), frees later. */
void ike_sa_destroy(struct ike_sa *sa, const char *why);
/* Logs REASON at level 0 and destroys the SA with it. */
void ike_sa_fail(struct ike_sa *sa, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ike_sa_established(struct ike_sa *sa);
struct ike_sa *ike_sa_find_spi(struct daemon *d, const uint8_t spi[8]);
struct ike_sa *ike_sa_find_half_open(struct daemon *d, const uint8_t spi_i[8],
				     const struct addr *remote);
/* Responder: findable by (SPIi, address) for life; counted as half-open
 * (cookies, limits) until IKE_AUTH. */
void ike_sa_half_open_add(struct ike_sa *sa);
void ike_sa_half_open_done(struct ike_sa *sa);
uint8_t *ike_sa_our_spi(struct ike_sa *sa);
void sa_log(const struct ike_sa *sa, enum log_subsys s, int level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void ike_sa_add_waiter(struct ike_sa *sa, struct sa_waiter *w);
void ike_sa_remove_waiter(struct sa_waiter *w);
/* Tells every waiter and forgets them. */
void ike_sa_notify_waiters(struct ike_sa *sa, bool ok, const char *msg);
void ike_sa_start_keepalives(struct ike_sa *sa);
/* Arms rekey_time (less a random part of rand_time) and over_time. */
void ike_sa_arm_lifetimes(struct ike_sa *sa);
/* The new IKE SA of a rekey of OLD: its addresses, identities and config,
 * INITIATOR of the rekey, our SPI OUR_SPI (NULL: a fresh one), the peer's
 * PEER_SPI; not established yet. */
/* An IKE SA of a previous run, adopted (persist.c): OUR_SPI and sa id ID
 * as they were; a responder's is findable by the initiator's SPI again
 * once the caller has set it (ike_sa_restore_done). */
struct ike_sa *ike_sa_restore(struct daemon *d, bool initiator, const struct endpoint *local,
			      const struct endpoint *remote, const uint8_t our_spi[8], uint64_t id);
void ike_sa_restore_done(struct ike_sa *sa);
struct ike_sa *ike_sa_successor_new(struct ike_sa *old, bool initiator, const uint8_t *our_spi,
				    const uint8_t peer_spi[8]);
/* Orders nonces as RFC 7296 §2.8.1 compares them (bytes, then length). */
int ike_nonce_cmp(const struct ike_slice *a, const struct ike_slice *b);
/* The lower of NI and NR, kept in C (its lo_nonce). */
void child_sa_set_nonces(struct child_sa *c, const struct ike_slice *ni, const struct ike_slice *nr);
/* An IKE SPI as a number, for "%016llx" in log lines. */
unsigned long long spi64(const uint8_t *p);
/* "aes256gcm16-prfsha384-x25519" of the IKE SA. */
const char *ike_sa_algs(const struct ike_sa *sa, char *buf, size_t len);

/* child_sa.c */
struct child_sa *child_sa_new(struct ike_sa *ike, const struct child_cfg *cfg);
/* Cancels its timers, wipes and frees it (unlink it first). */
void child_sa_free(struct child_sa *c);
void child_sa_unlink(struct child_sa *c);
/* Unlinks, uninstalls (kernel SAs, routes) and frees C. */
void child_sa_drop(struct child_sa *c);
/* A task's proposed child *PC, if any, dropped; *PC becomes NULL. */
void child_sa_drop_pending(struct child_sa **pc);
/* KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr) for the chosen transforms; 0 or -1. */
int child_sa_derive(struct child_sa *c, const struct ike_slice *gir, const struct ike_slice *ni,
		    const struct ike_slice *nr);
/*
 * Installs one direction with the child's KEYMAT (derived from the IKE
 * SA's nonces first if it has none: IKE_AUTH's child). Returns 0, or -1
 * with a log line.
 */
int child_sa_install(struct child_sa *c, enum kernel_dir dir);
/* Routes for the remote selectors through the device. */
void child_sa_add_routes(struct child_sa *c);
/* Removes kernel SAs and routes; the child stays in its list. */
void child_sa_uninstall(struct child_sa *c);
/* Removes C's SA of DIR from the kernel (if installed), logging what it
 * carried in all (kesp.ko's counters, read just before). */
void child_sa_remove(struct child_sa *c, enum kernel_dir dir);
struct child_sa *child_sa_find_out(struct ike_sa *ike, uint32_t spi_out);
struct child_sa *child_sa_find_in(struct ike_sa *ike, uint32_t spi_in);
/* The child whose successor replaces SPI_IN, or NULL. */
struct child_sa *child_sa_successor(struct ike_sa *ike, uint32_t spi_in);
/* Its kernel SAs and routes removed, a DELETE for it queued (a limit
 * reached without a rekey). */
void child_sa_expire(struct child_sa *c);
/* Both directions in: the log line, counters, lifetime timers, KEYMAT wiped. */
void child_sa_established(struct child_sa *c);
/* OLD's routes become NEW's (a rekey: the routes never go away). */
void child_sa_take_routes(struct child_sa *new, struct child_sa *old);
/* Removes the outbound SA now and the inbound one after CHILD_GRACE_MS
 * (then the child is freed); STATE is REKEYED or DELETING. */
void child_sa_retire(struct child_sa *c, enum child_state state);
/* OLD was replaced by a rekey: retired (REKEYED), our DELETE of it after
 * CHILD_DELETE_DELAY_MS. */
void child_sa_replaced(struct child_sa *old);
/* The peer repeated a CREATE_CHILD_SA request we had answered, so an
 * exchange of its own is not done: a rekey responder's successor waiting
 * for the old pair's DELETE waits CHILD_SWITCH_MS from now. */
void child_sa_peer_busy(struct ike_sa *sa);
/* A rekey responder's successor: outbound SA installed, OLD's routes taken. */
void child_sa_switch(struct child_sa *c, struct child_sa *old);
const char *child_state_name(enum child_state s);
/* After our response (IKE_AUTH, CREATE_CHILD_SA) is sent: the outbound SAs
 * and routes of the children it made (not a rekey's successor). */
void child_sa_respond_done(struct ike_sa *sa);

/* The responder's choice of child config, selectors and ESP proposal. */
struct child_choice {
	const struct child_cfg *cc;
	struct ts local[CONF_MAX_TS], remote[CONF_MAX_TS];	/* narrowed */
	size_t nlocal, nremote;
	struct ike_proposal chosen;
	bool transport;
};
/*
 * Picks, among the IKE SA's children (or ONLY), the first whose selectors
 * fit REQ's TSi/TSr and one of whose ESP proposals REQ offers (FLAGS of
 * ike_proposal_select). On failure: a log line, the error notify added to
 * RESP, -1.
 */
int child_choose(struct ike_sa *sa, const struct ike_msg *req, const struct child_cfg *only,
		 unsigned int flags, struct child_choice *ch, struct msg_out *resp);
/* The negotiated part of C: transforms, the peer's SPI, mode, selectors
 * (TSI ours, TSR theirs), ESP in UDP when the IKE SA sees a NAT. */
void child_sa_set_answer(struct child_sa *c, const struct ike_proposal *chosen, uint32_t spi_out,
			 bool transport, const struct ts *tsi, size_t ntsi, const struct ts *tsr,
			 size_t ntsr);
/* A child of CH in SA with an inbound SPI from the module, or NULL. */
struct child_sa *child_sa_from_choice(struct ike_sa *sa, const struct child_choice *ch);
/* Our selectors of a child config, "dynamic" replaced by HOST. */
size_t child_resolve_ts(const struct ts *cfg, size_t n, const struct addr *host, struct ts *out);
/* The usable selectors of REQ's TYPE payload; false when none. */
bool child_ts_payload(const struct ike_msg *m, uint8_t type, struct ts *out, size_t *n);
void child_add_ts(struct msg_out *m, uint8_t type, const struct ts *ts, size_t n);
/* An ESP SA payload of proposals P with our SPI (IKE_AUTH: DH stripped). */
void child_add_esp_sa(struct msg_out *m, const struct ike_proposal *p, size_t n, uint32_t spi,
		      bool strip_dh);
uint32_t child_proposal_spi(const struct ike_proposal *p);
/* Whether each selector of GOT lies within one of SENT. */
bool child_ts_within(const struct ts *got, size_t ngot, const struct ts *sent, size_t nsent);
/* Notifies that fail a CHILD_SA but not the IKE SA. */
bool child_error_notify(uint16_t type);
uint32_t child_sa_alloc_spi(struct ike_sa *ike, const struct child_cfg *cfg, uint32_t *ifindex);
const char *child_sa_algs(const struct child_sa *c, char *buf, size_t len);

/* ---- exchanges (exchange.c) ---------------------------------------------- */

#define MSG_OUT_MAX 24

/* The payloads of a message we build; slices point into store or into
 * state that outlives the encoding. */
struct msg_out {
	struct ike_payload pl[MSG_OUT_MAX];
	size_t n;
	uint8_t store[4096];
	size_t used;
	struct ike_proposal props[CONF_MAX_PROPOSALS];
	size_t nprops;
	struct ike_ts ts[2 * CONF_MAX_TS];
	size_t nts;
	bool overflow;
};

struct ike_payload *msg_add(struct msg_out *m, uint8_t type);
uint8_t *msg_alloc(struct msg_out *m, size_t len);
/* An SA payload with room for N proposals (returned) / a TS payload for N. */
struct ike_proposal *msg_add_sa(struct msg_out *m, size_t n);
struct ike_ts *msg_add_ts(struct msg_out *m, uint8_t type, size_t n);
void msg_reset(struct msg_out *m);
void msg_add_notify(struct msg_out *m, uint16_t type, const void *data, size_t len);
/* The first payload of TYPE in M, or NULL. */
const struct ike_payload *msg_find(const struct ike_msg *m, uint8_t type);
const struct ike_payload *msg_find_notify(const struct ike_msg *m, uint16_t type);
/* The first error notify (type below 16384), or NULL. */
const struct ike_payload *msg_find_error(const struct ike_msg *m);

enum task_result {
	TASK_DONE,		/* the exchange is complete */
	TASK_RETRY,		/* send the request again, rebuilt (COOKIE, INVALID_KE) */
	TASK_FAILED,		/* the task failed; the SA may be gone (check state) */
};

struct task_ops {
	const char *name;
	uint8_t exchange;
	/* Fills our request; 0 or -1 (the SA is failed by the caller). */
	int (*build)(struct ike_sa *sa, struct task *t, struct msg_out *m);
	/* The peer's answer M (decrypted for every exchange but IKE_SA_INIT),
	 * which arrived as RAW. */
	enum task_result (*process)(struct ike_sa *sa, struct task *t, const struct ike_msg *m,
				    const uint8_t *raw, size_t rawlen);
	/* The exchange will never finish: undo what build reserved. */
	void (*abort)(struct ike_sa *sa, struct task *t);
	/* Optional: whether the task has lost its object while it waited in
	 * the queue (then it is dropped unsent, not failing the IKE SA). */
	bool (*stale)(struct ike_sa *sa, struct task *t);
	void (*free)(struct task *t);
};

struct task {
	const struct task_ops *ops;
	struct task *next;
};

/* A zeroed task of SIZE bytes (a struct embedding struct task first). */
struct task *task_alloc(size_t size, const struct task_ops *ops);
/* ops->free for tasks that own nothing beyond themselves. */
void task_free_plain(struct task *t);
/* "a, b, c" of proposals, for log lines. */
const char *proposals_str(const struct ike_proposal *p, size_t n, char *buf, size_t len);

/* Entry point for every IKE datagram (marker already stripped). */
void ike_receive(struct daemon *d, const struct endpoint *local, const struct endpoint *remote,
		 const uint8_t *buf, size_t len);
/* Queues T; starts it now if the window is free. */
void exchange_queue(struct ike_sa *sa, struct task *t);
/* Sends a message of ours; the caller owns nothing afterwards. */
void exchange_send_raw(struct ike_sa *sa, const uint8_t *pkt, size_t len);
/* Encodes and protects a message of SA: header with EXCHANGE, MID, RESPONSE. */
int exchange_encode(struct ike_sa *sa, uint8_t exchange, uint32_t mid, bool response,
		    const struct msg_out *m, uint8_t **pkt, size_t *len);
/* An unprotected message (IKE_SA_INIT and its errors) into a malloc'd buffer. */
int exchange_encode_plain(const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t exchange,
			  uint8_t flags, uint32_t mid, const struct msg_out *m, uint8_t **pkt,
			  size_t *len);
/* An adopted IKE SA's request that was in flight when the previous run
 * died: T (its task) owns PKT, message id MID, sent again now. */
void exchange_resume(struct ike_sa *sa, struct task *t, uint32_t mid, uint8_t *pkt, size_t len);
/* The IKE_AUTH message SA waited with is processed again (revoke.c). */
void exchange_auth_resume(struct ike_sa *sa);
/* The retransmission timer of sa->req. */
void exchange_request_timeout(struct daemon *d, struct timer *t);
/* Drops every queued and outstanding task (aborting them). */
void exchange_flush(struct ike_sa *sa);
/* How long a request of ours is retransmitted before we give up (ms). */
uint64_t exchange_give_up_ms(const struct daemon *d);
/* Sends a one-shot INFORMATIONAL with NOTIFY, not waiting for its answer
 * (RFC 7296 §2.21.2: the initiator reporting an error in a response). */
void exchange_send_error_info(struct ike_sa *sa, uint16_t notify);

/* fragment.c: RFC 7383 */
/* Announces support in IKE_SA_INIT (unless every connection of CONNS, or
 * the initiator's own, says fragmentation = no). */
void frag_announce(struct ike_sa *sa, const struct conn *const *conns, size_t n,
		   struct msg_out *m);
/* The peer's IKEV2_FRAGMENTATION_SUPPORTED in its IKE_SA_INIT. */
void frag_read_notify(struct ike_sa *sa, const struct ike_msg *m);
/*
 * After exchange_encode made PKT (LEN bytes) of M: when both sides support
 * fragments, our connection sends them and PKT's datagram is larger than
 * fragment_size, the same message as Encrypted Fragments into OUT (else
 * OUT stays empty). 0, or -1 (then send PKT whole).
 */
int frag_split(struct ike_sa *sa, uint8_t exchange, uint32_t mid, bool response,
	       const struct msg_out *m, size_t len, struct frag_train *out);
/* Sends T's fragments, or PKT when T is empty. */
void frag_send(struct ike_sa *sa, const struct frag_train *t, const uint8_t *pkt, size_t len);
void frag_train_free(struct frag_train *t);
enum frag_rx {
	FRAG_RX_DROP,		/* dropped (counted, logged) */
	FRAG_RX_PENDING,	/* verified and kept; the message is not complete */
	FRAG_RX_DONE,		/* complete: INNER holds the reassembled payloads */
};
/* A fragment M (in BUF) of the peer's request or response whose message id
 * the caller has checked against the window. */
enum frag_rx frag_receive(struct ike_sa *sa, const uint8_t *buf, size_t len,
			  const struct ike_msg *m, struct ike_msg *inner);
/* A fragment of a request we answered already: after its ICV verified,
 * fragment 1 has the cached response sent again. */
void frag_answered(struct ike_sa *sa, const uint8_t *buf, size_t len, const struct ike_msg *m);
/* Frees the partial messages (the IKE SA ends). */
void frag_sa_free(struct ike_sa *sa);

/* ---- the exchanges ------------------------------------------------------- */

/* ike_init.c */
struct task *ike_init_task_new(void);
void ike_init_respond(struct daemon *d, const struct endpoint *local,
		      const struct endpoint *remote, const uint8_t *buf, size_t len,
		      const struct ike_msg *m);
void cookie_rotate(struct daemon *d, struct timer *t);
/* The SA's algorithms from the proposal both sides agreed on; false when
 * one is missing or unsupported. */
bool ike_sa_take_proposal(struct ike_sa *sa, const struct ike_proposal *p);
/* sk_in and sk_out from sa->keys, ready to use; 0, or -1 with WHY. */
int ike_sa_use_keys(struct ike_sa *sa, char *why, size_t whylen);
/* Reads M's NAT_DETECTION notifies: who is behind a NAT, as M travelled
 * from THEM to US (sa->nat_local, nat_remote, peer_natd). */
void natd_read(struct ike_sa *sa, const struct ike_msg *m, const uint8_t spi_r[8],
	       const struct endpoint *us, const struct endpoint *them);
/* Our NAT_DETECTION notifies for sa->local and sa->remote. */
void natd_add(struct msg_out *m, const struct ike_sa *sa, const uint8_t spi_r[8]);
/* Initiator: the answer M (IKE_SA_INIT's or IKE_SESSION_RESUME's), as RAW,
 * kept for AUTH, its NAT detection read; 0, or -1 (the SA failed). */
int ike_init_keep_answer(struct ike_sa *sa, const struct ike_msg *m, const uint8_t *raw,
			 size_t rawlen);
/* Initiator: IKE moves to the NAT-T port for IKE_AUTH when a NAT is in the
 * way or MOBIKE is wanted. */
void ike_init_nat_port(struct ike_sa *sa);
/* The NAT_DETECTION hash of SPIs and an endpoint (RFC 7296 §2.23). */
void natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], const struct endpoint *e,
	       uint8_t out[20]);

/* ike_auth.c */
struct task *ike_auth_task_new(void);
void ike_auth_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp);
/* The responder's IKE SA is authenticated: established, INITIAL_CONTACT
 * and the CHILD_SA of REQ (the first IKE_AUTH request) into RESP. */
void ike_auth_respond_finish(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp);
/* The peer's INITIAL_CONTACT on SA, once SA's CHILD_SA is in: its other
 * IKE SAs with us go, their inbound SAs after CHILD_SWITCH_MS. */
void ike_auth_initial_contact(struct ike_sa *sa);

/* create_child.c: CREATE_CHILD_SA for CHILD SAs (RFC 7296 §1.3.1, §1.3.3) */
/* A further CHILD_SA of CFG (OLD NULL), or the rekey of OLD. */
struct task *create_child_task_new(const struct child_cfg *cfg, struct child_sa *old);
void create_child_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp);
/* V into P[0..3] in network order (an SPI or a resource id on the wire). */
void put32(uint8_t *p, uint32_t v);
/* A Nonce payload with a copy of N / a KE payload of DH's public value. */
void create_add_nonce(struct msg_out *m, const uint8_t *n, size_t len);
int create_add_ke(struct msg_out *m, struct ike_dh *dh, uint16_t group);
/* Queues the rekey of C (its rekey_time came, or a retry). */
void child_rekey_start(struct child_sa *c);

/* mobike.c: MOBIKE (RFC 4555) */
/* Initiator: MOBIKE_SUPPORTED in the first IKE_AUTH request (mobike = yes). */
void mobike_auth_add(struct ike_sa *sa, struct msg_out *m);
/* The peer's IKE_AUTH message M (responder: its first request; initiator:
 * the last answer): MOBIKE_SUPPORTED and its additional addresses. */
void mobike_auth_read(struct ike_sa *sa, const struct ike_msg *m);
/* Responder: MOBIKE_SUPPORTED in our last IKE_AUTH answer, if both want it. */
void mobike_auth_respond(struct ike_sa *sa, struct msg_out *resp);
/* Responder: the MOBIKE notifies of INFORMATIONAL request REQ, which came
 * to sa->local from sa->remote (exchange.c has set them so). Sets
 * sa->mobike_moved when the IKE SA stays at those addresses. */
void mobike_info_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp);
/* Our liveness check (DPD) as a MOBIKE client behind a NAT carries NAT
 * detection; its answer tells whether our NAT's mapping changed, and then
 * an update follows (as charon does: a MOBIKE gateway follows nothing else). */
void mobike_dpd_add(struct ike_sa *sa, struct msg_out *m);
void mobike_dpd_read(struct ike_sa *sa, const struct ike_msg *m);
/* The host's addresses or routes changed (rtnetlink): each IKE SA we are
 * the MOBIKE client of checks its path, MOBIKE_DEBOUNCE_MS later. */
#define MOBIKE_DEBOUNCE_MS 100
void mobike_roam(struct daemon *d);
void mobike_roam_due(struct daemon *d, struct timer *t);
void mobike_timer_due(struct daemon *d, struct timer *t);
/* Moves C's kernel SAs to its IKE SA's endpoints (SA_UPDATE; the ESP-in-
 * UDP ports too when it has them). 0, or -1 with a log line. */
int child_sa_move(struct child_sa *c);

/* kernel_events.c: kesp.ko's events (kernel.on_event, set by daemon_new) */
void kernel_event(void *arg, const struct kernel_event *ev);
/* The IKE SA's peer moved (an authenticated IKE message from a new NAT
 * mapping, RFC 7296 §2.23): its ESP-in-UDP CHILD SAs follow. */
void child_sas_follow_peer(struct ike_sa *sa);

/* ondemand.c: start_action = trap */
struct trap;
/* Traps (and routes into the device) for C's start_action = trap children. */
void trap_install_conn(struct daemon *d, const struct conn *c);
/* The peer of C is gone (DPD): traps for its dpd_action = trap children;
 * the peer closed it: for its close_action = trap ones (ONLY: just that
 * child). Children with a trap already are left alone. */
/* A trap for child CH of connection C unless it has one (dpd_action or
 * close_action = trap, once its SAs and their routes are gone). */
void trap_install_child(struct daemon *d, const struct conn *c, const struct child_cfg *ch);
/* Removes the traps of connections a reload changed or removed. */
void trap_remove_stale(struct daemon *d);
void trap_remove_all(struct daemon *d);
/* A packet hit a trap: the negotiation starts unless one runs. */
void trap_acquire(struct daemon *d, const struct kernel_event *ev);

/* pcpu.c: per-CPU CHILD_SAs (RFC 9611), child config per_cpu_sas */
/* Initiator: SA_RESOURCE_INFO in the request for new child C (its CPU as
 * the resource's id when it has one); nothing unless per_cpu_sas. */
void pcpu_request(struct msg_out *m, const struct child_sa *c);
/* Initiator: the answer M for C, before its SAs are installed: the peer's
 * SA_RESOURCE_INFO makes C one of a per-CPU set (the fallback, whose
 * outbound SA asks for an SA per CPU, unless it serves a CPU). */
void pcpu_answered(struct child_sa *c, const struct ike_msg *m);
/* Initiator: the peer refused the SA for CPU of fallback FALLBACK_SPI_IN
 * (TS_MAX_QUEUED); it is not asked again for a while. */
void pcpu_refused(struct ike_sa *sa, uint32_t fallback_spi_in, uint32_t cpu);
/* Responder: -1 with TS_MAX_QUEUED in RESP when request REQ for a child
 * of CC would pass per_cpu_sas_max; else 0. */
int pcpu_admit(struct ike_sa *sa, const struct ike_msg *req, const struct child_cfg *cc,
	       struct msg_out *resp);
/* Responder: new child C for request REQ: one of a per-CPU set when both
 * want it (SA_RESOURCE_INFO in RESP, a local CPU chosen for its SA). */
void pcpu_respond(struct child_sa *c, const struct ike_msg *req, struct msg_out *resp);
/* A rekey's new pair C keeps OLD's place in the set. */
void pcpu_inherit(struct child_sa *c, const struct child_sa *old);
/* kesp.ko: CPU sent on fallback C's outbound SA (a per-CPU ACQUIRE). */
void pcpu_acquire(struct child_sa *c, uint32_t cpu);
/* A new child of CC for CPU beside FALLBACK (CREATE_CHILD_SA). */
struct task *create_child_task_pcpu(const struct child_cfg *cc, const struct child_sa *fallback,
				    uint32_t cpu);

/* redirect.c: RFC 5685, both roles */
/* Initiator: REDIRECT_SUPPORTED (or REDIRECTED_FROM) in IKE_SA_INIT. */
void redirect_init_add(struct ike_sa *sa, struct msg_out *m);
/* Initiator: a REDIRECT in IKE_SA_INIT's response M; true when it was
 * one (followed, or refused and the SA failed: SA is gone either way). */
bool redirect_init_process(struct ike_sa *sa, const struct ike_msg *m);
/* Responder: the REDIRECT notify's data for request M when one of CONNS
 * redirects new clients and M announces support; its length or 0. */
size_t redirect_init_target(struct daemon *d, const struct ike_msg *m,
			    const struct conn *const *conns, size_t n, uint8_t *data, size_t room);
/* Responder: whether the peer's IKE_SA_INIT M announced support. */
void redirect_note_peer(struct ike_sa *sa, const struct ike_msg *m);
/* Gateway: sends an established SA's client to GW (INFORMATIONAL with
 * REDIRECT); 0, or -1 with WHY. */
int redirect_sa(struct ike_sa *sa, const struct addr *gw, char *why, size_t whylen);
/* Client: a REDIRECT in the gateway's INFORMATIONAL request REQ; followed
 * by redirect_answered() once the answer is sent. */
void redirect_info_request(struct ike_sa *sa, const struct ike_msg *req);
void redirect_answered(struct ike_sa *sa);
/* Client: a REDIRECT in the last IKE_AUTH response M (SA just
 * authenticated the gateway): true when followed (the IKE SA is being
 * deleted, a new one starts at the new gateway; no CHILD_SA here). */
bool redirect_auth_process(struct ike_sa *sa, const struct ike_msg *m);

/* resume.c: IKE session resumption (RFC 5723), both roles */
/* What a ticket carries; a client keeps its own copy with the ticket. */
struct resume_state {
	char conn[CONF_NAME_MAX];
	int64_t expires;		/* wall clock, s */
	uint16_t prf, encr, encr_bits, integ, dh;
	uint8_t sk_d[IKE_PRF_MAX];
	size_t sk_d_len;
	struct ike_id idi, idr;
	uint8_t remote_auth;
	char eap_user[IKE_ID_STRLEN];
	uint8_t *ticket;		/* client: the opaque ticket */
	size_t ticket_len;
};

/* Client: TICKET_REQUEST in IKE_AUTH's first request (resumption = yes). */
void resume_auth_add_request(struct ike_sa *sa, struct msg_out *m);
/* Client: the last IKE_AUTH answer M: a ticket is kept for the connection. */
void resume_auth_read_ticket(struct ike_sa *sa, const struct ike_msg *m);
/* Gateway: TICKET_LT_OPAQUE (or TICKET_NACK) in our last IKE_AUTH answer
 * when the peer asked; WHO is the EAP identity or "" . */
void resume_auth_respond(struct ike_sa *sa, struct msg_out *resp, const char *who);
/* Client: whether connection C has a ticket that has not expired. */
bool resume_has_ticket(struct daemon *d, const struct conn *c);
/* Client: the IKE_SESSION_RESUME task, taking C's ticket (SA is new). */
struct task *resume_task_new(struct ike_sa *sa);
/* Client: IKE_SESSION_RESUME failed (WHY for the log): a full IKE_SA_INIT
 * of the same connection starts now, with SA's waiters; SA goes. */
void resume_fallback(struct ike_sa *sa, const char *why);
/* Gateway: an IKE_SESSION_RESUME request. */
void resume_respond(struct daemon *d, const struct endpoint *local,
		    const struct endpoint *remote, const uint8_t *buf, size_t len,
		    const struct ike_msg *m);
/* A resumed IKE SA's AUTH (RFC 5723 §4.3.3: method 2, keyed by SK_pi or
 * SK_pr): ours over ID into M; whether the peer's over its ID verifies. */
int resume_auth_add(struct ike_sa *sa, struct msg_out *m, const struct ike_payload *id);
bool resume_auth_verifies(struct ike_sa *sa, const struct ike_payload *auth,
			  const struct ike_payload *id);
/* Gateway: whether the resumed SA's IDi is the ticket's, and its
 * connection (NULL with WHY when it no longer takes the ticket). */
const struct conn *resume_auth_conn(struct ike_sa *sa, const struct ike_id *idi, char *why,
				    size_t whylen);
/* The EAP identity the ticket carried ("" none). */
const char *resume_eap_user(const struct ike_sa *sa);
/* Seconds until connection C's ticket expires (client), -1 none. */
long resume_ticket_expires_in(struct daemon *d, const struct conn *c);
void resume_state_free(struct resume_state *rt);
void resume_free(struct daemon *d);
/* Tests: the wall clock of ticket expiry and key rotation runs SECS ahead. */
void resume_test_skew(struct daemon *d, long secs);

/* ike_rekey.c: IKE SA rekeying (RFC 7296 §1.3.2, §2.18) */
void ike_rekey_start(struct ike_sa *sa);
void ike_rekey_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp);
/* Timer functions of t_rekey and t_over. */
void ike_rekey_due(struct daemon *d, struct timer *t);
void ike_over_due(struct daemon *d, struct timer *t);
/* A replaced IKE SA's queued exchanges go to its successor. */
void ike_rekey_move_queue(struct ike_sa *old);
/* The peer deletes OLD while the SA of its simultaneous rekey waits: that
 * one takes over (§2.8.2). */
void ike_rekey_collision_settle(struct ike_sa *old);
/* The peer deleted REDUNDANT, the SA its side of a collision we won made:
 * our DELETE of the old IKE SA goes now. */
void ike_rekey_redundant_deleted(struct ike_sa *redundant);

/* AUTH methods (RFC 7296 §3.8, RFC 7427) */
#define AUTHM_RSA 1
#define AUTHM_PSK 2
#define AUTHM_ECDSA_256 9
#define AUTHM_ECDSA_384 10
#define AUTHM_ECDSA_521 11
#define AUTHM_SIG 14

/* auth_psk.c: prf(SK_p, RestOfIDPayload), the part of the signed octets
 * (§2.15) that binds the identity, for every method. */
int auth_id_prf(const struct ike_sa *sa, bool of_initiator, const struct ike_payload *id,
		uint8_t out[IKE_PRF_MAX]);
/* auth_psk.c: AUTH = prf(prf(PSK, "Key Pad for IKEv2"), octets) (§2.15) */
int auth_psk_compute(const struct ike_sa *sa, bool of_initiator, const uint8_t *psk,
		     size_t psk_len, const struct ike_payload *id, uint8_t *out, size_t *out_len);

/* auth_psk.c: an AUTH payload keyed by SECRET (a PSK, or EAP's MSK) over
 * ID (ours, not encoded yet), into M; whether the peer's AUTH over its ID
 * is SECRET's. */
int auth_psk_add(struct msg_out *m, struct ike_sa *sa, const struct ike_payload *id,
		 const uint8_t *secret, size_t secret_len);
bool auth_psk_verifies(const struct ike_sa *sa, const struct ike_payload *auth,
		       const struct ike_payload *id, const uint8_t *secret, size_t secret_len);
/* The same keyed by KEY itself, not padded (RFC 5723 §4.3.3: SK_pi, SK_pr). */
int auth_key_add(struct msg_out *m, struct ike_sa *sa, const struct ike_payload *id,
		 const uint8_t *key, size_t key_len);
bool auth_key_verifies(const struct ike_sa *sa, const struct ike_payload *auth,
		       const struct ike_payload *id, const uint8_t *key, size_t key_len);

/* auth_sig.c: signatures (RFC 7427; methods 1 and 9-11 of older peers) */
const char *auth_method_name(unsigned int method);
/* The signed octets of §2.15 (RealMessage | Nonce | prf(SK_p, ID)), malloc'd. */
int auth_octets(const struct ike_sa *sa, bool of_initiator, const struct ike_payload *id,
		gnutls_datum_t *out);
/* Signs OCTETS with KEY per PREF and the hashes the peer announced (none:
 * an older method): *METHOD and the AUTH data into OUT (*OUTLEN: its room,
 * then its length); DESC names the signature, WHY why it cannot. */
int auth_sig_sign(gnutls_privkey_t key, const struct sig_pref *pref, uint8_t peer_hashes,
		  const gnutls_datum_t *octets, uint8_t *method, uint8_t *out, size_t *outlen,
		  char *desc, size_t desclen, char *why, size_t whylen);
/* 0 when DATA (an AUTH payload of METHOD) is PUB's signature of OCTETS. */
int auth_sig_verify(gnutls_pubkey_t pub, uint8_t method, const uint8_t *data, size_t len,
		    const gnutls_datum_t *octets, char *desc, size_t desclen, char *why,
		    size_t whylen);
/* RFC 7427 AlgorithmIdentifiers: ours for ALG, and a peer's parsed. */
const uint8_t *sig_algid(gnutls_sign_algorithm_t alg, size_t *len);
int sig_algid_parse(const uint8_t *der, size_t len, gnutls_sign_algorithm_t *alg, char *why,
		    size_t whylen);
const char *sig_alg_name(gnutls_sign_algorithm_t alg);
/* The hashes we announce in SIGNATURE_HASH_ALGORITHMS, as 16-bit numbers. */
extern const uint8_t auth_sig_hashes[8];

/* auth_cert.c: certificates in IKE_AUTH */
/* One CERTREQ naming the CAs of those of CONNS that take certificates. */
void auth_add_certreq(struct msg_out *m, const struct conn *const *conns, size_t n);
/* Our CERT payloads when due (send_cert; the peer's CERTREQ in PEER_MSG,
 * or for the initiator in IKE_SA_INIT's answer). */
void auth_add_certs(struct ike_sa *sa, struct msg_out *m, const struct ike_msg *peer_msg);
/* Our signature AUTH over ID (ours, not encoded yet). */
int auth_add_sig(struct ike_sa *sa, struct msg_out *m, const struct ike_payload *id, char *why,
		 size_t whylen);
/* The peer's certificates and signature AUTH in M for identity PEER (its
 * ID payload IDPL); 0, or -1 with the reason, or AUTH_CHECK_PENDING: a
 * revocation fetch is in flight, sa->wait.requested is set and the caller
 * returns without a verdict (exchange.c resumes the message later). */
#define AUTH_CHECK_PENDING 1
int auth_check_sig(struct ike_sa *sa, const struct ike_msg *m, const struct ike_payload *idpl,
		   const struct ike_id *peer, char *why, size_t whylen);

/* auth_eap.c: EAP in IKE_AUTH (RFC 7296 §2.16): EAP-Identity, EAP-MSCHAPv2, EAP-TLS */
enum eap_step {
	EAP_NEXT,		/* a response is ready (auth_eap_client_add) */
	EAP_DONE,		/* EAP-Success: the MSK keys the AUTH payloads */
	EAP_FAIL,		/* the reason is in WHY */
};
const char *eap_type_name(unsigned int type);
/* Client: EAP starts; IDR is the server's ID payload (for the last AUTH). */
int auth_eap_client_begin(struct ike_sa *sa, const struct ike_payload *idr);
enum eap_step auth_eap_client_process(struct ike_sa *sa, const struct ike_pl_eap *in, char *why,
				      size_t whylen);
void auth_eap_client_add(struct ike_sa *sa, struct msg_out *m);
/* Our AUTH keyed by the MSK; -1 before EAP-Success. */
int auth_eap_add_auth(struct ike_sa *sa, struct msg_out *m);
/* Whether the peer's AUTH is the MSK's. */
bool auth_eap_verifies(struct ike_sa *sa, const struct ike_payload *auth);
/* Server: after our own AUTH in RESP, the first EAP request (REQ is the
 * first IKE_AUTH request, IDI its ID payload). */
void auth_eap_server_begin(struct ike_sa *sa, const struct ike_payload *idi,
			   const struct ike_msg *req, struct msg_out *resp);
/* Server: every later IKE_AUTH request of the exchange. */
void auth_eap_server_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp);
void auth_eap_free(struct ike_sa *sa);
/* The peer's (server) or our (client) EAP identity, while EAP runs; else NULL. */
const char *auth_eap_user(const struct ike_sa *sa);

/* eap_tls.c: EAP-TLS (RFC 5216) over GnuTLS, TLS 1.2, both roles */
#define EAP_TLS_FRAG 1000	/* TLS data per EAP-TLS packet of ours */
#define EAP_TLS_PKT_MAX (EAP_TLS_FRAG + 6)	/* type, flags, length, data */
#define EAP_TLS_MSG_MAX 32768	/* a reassembled TLS message (flight) */
#define EAP_TLS_ROUNDS_MAX 64	/* EAP-TLS packets of the peer in one exchange */
struct eap_tls;
enum eap_tls_rc {
	EAP_TLS_SEND,		/* OUT holds our next EAP-TLS packet */
	EAP_TLS_DONE,		/* server: handshake done and acknowledged */
	EAP_TLS_FAIL,		/* the reason is in WHY */
};
/* A TLS session of SA's connection: our certificate CERT and key KEY (of
 * the connection's creds); the peer's certificate must hold PEER_ID and
 * chain to the connection's cacerts. */
struct eap_tls *eap_tls_new(struct ike_sa *sa, bool server, int cert, int key,
			    const struct ike_id *peer_id, char *why, size_t whylen);
void eap_tls_free(struct eap_tls *t);
/* Server: the EAP-TLS Start packet (type and flags) into OUT. */
size_t eap_tls_start(struct eap_tls *t, uint8_t *out);
/* D: the type data of the peer's EAP packet (13, flags, ...); OUT gets
 * EAP_TLS_PKT_MAX octets at most. */
enum eap_tls_rc eap_tls_process(struct eap_tls *t, const uint8_t *d, size_t len, uint8_t *out,
				size_t *outlen, char *why, size_t whylen);
/* Handshake done and the peer's certificate trusted. */
bool eap_tls_done(const struct eap_tls *t);
/* "'subject' (issuer 'x')" of the peer's certificate. */
const char *eap_tls_peer(const struct eap_tls *t);
/* The MSK (RFC 5216 §2.3), LEN octets; -1 before eap_tls_done. */
int eap_tls_msk(struct eap_tls *t, uint8_t *msk, size_t len);

/* info.c */
struct task *delete_ike_task_new(void);
struct task *delete_child_task_new(struct child_sa *c);
/* An empty INFORMATIONAL: is the peer alive? (DPD builds on it.) */
struct task *liveness_task_new(void);
/* Sets sa->close_after_send when the IKE SA ends with this answer. */
void info_respond(struct ike_sa *sa, const struct ike_msg *req, struct msg_out *resp);

/* policy.c: choosing a connection */
/* Connections whose addresses fit; returns how many went to OUT. */
size_t policy_conns_for(struct daemon *d, const struct addr *local, const struct addr *remote,
			const struct conn **out, size_t max);
/* The responder's connection for IDi (and IDr if sent), or NULL with a
 * reason for the log in WHY. */
const struct conn *policy_conn_for_peer(struct daemon *d, const struct ike_sa *sa,
					const struct ike_id *idi, const struct ike_id *idr,
					uint8_t auth_method, char *why, size_t whylen);
/* Our identity for connection C on SA. */
void policy_local_id(const struct conn *c, const struct ike_sa *sa, struct ike_id *out);
/* Whether proposal P (one chosen) is within one of C's IKE proposals. */
bool policy_conn_has_ike_proposal(const struct conn *c, const struct ike_proposal *p);

/* persist.c: the state a restart adopts (see the file's comment) */
#define PERSIST_DIR "/run/kesp"
/* Keeps the restart state in DIR (made 0700 if absent); 0 or -1 (logged). */
int persist_open(struct daemon *d, const char *dir);
/* Adopts what the previous run left (at start, after the devices are set
 * up): IKE SAs and CHILD_SAs that check out; connections with kernel SAs
 * nothing claims are negotiated again, make-before-break. */
void persist_adopt(struct daemon *d);
/* The state changed: written once the current event is handled. */
void persist_mark(struct daemon *d);
/* Writes the state now if it changed (daemon_reap calls it). */
void persist_flush(struct daemon *d);
void persist_save(struct daemon *d);
/* Forgets the state without writing (the daemon is being freed). */
void persist_close(struct daemon *d);
/* Replaces PATH with LEN bytes of DATA, a secret: written to PATH.new
 * (0600, O_EXCL, never through a link), fsynced, renamed over PATH, the
 * directory fsynced, the old contents wiped. 0, or -1 with errno set. */
int persist_write_secret(const char *path, const void *data, size_t len);
/* The state directory, or NULL when none is kept. */
const char *persist_dir(const struct daemon *d);
/* Stale kernel SAs wait for their tunnels' new SAs. */
bool persist_restarting(const struct daemon *d);
/* A CHILD_SA is up: stale SAs of its connection go once all are back. */
void persist_child_up(struct child_sa *c);

/* ---- the configuration payload and address pools (cp.c) ------------------ */

/* What a peer's CFG_REQUEST asked for. */
#define CP_WANT_IP4 0x1
#define CP_WANT_IP6 0x2
#define CP_WANT_DNS4 0x4
#define CP_WANT_DNS6 0x8

/* An address of a pool, leased to an identity; ONLINE while IKE SAs use it,
 * then kept for that identity until another one needs it. */
struct lease {
	char pool[CONF_NAME_MAX];
	struct addr addr;
	char who[IKE_ID_STRLEN];
	unsigned int online;		/* IKE SAs holding it */
	uint64_t released;		/* when it went offline (ms) */
};

/* Client: a CFG_REQUEST for the connection's vips (IKE_AUTH's first message). */
void cp_add_request(struct ike_sa *sa, struct msg_out *m);
/* Client: the gateway's CFG_REPLY in M; the addresses go on device
 * IFINDEX. 0, or -1 with WHY (an address of vips was not given). */
int cp_process_reply(struct ike_sa *sa, const struct ike_msg *m, uint32_t ifindex, char *why,
		     size_t whylen);
/* Gateway: what the peer's CFG_REQUEST in REQ asks (IKE_AUTH's first message). */
void cp_note_request(struct ike_sa *sa, const struct ike_msg *req);
/* Gateway: leases for what the peer asked, and our CFG_REPLY; WHO is the
 * identity they are kept for. -1: a pool had nothing left
 * (INTERNAL_ADDRESS_FAILURE is in RESP, no CHILD_SA may follow). */
int cp_respond(struct ike_sa *sa, struct msg_out *resp, const char *who);
/* The IKE SA goes: its leases go offline, its addresses leave the device. */
void cp_release(struct ike_sa *sa);
/* An IKE SA adopted after a restart (persist.c): its leases online again
 * in the pools that hold them. */
void cp_adopt(struct ike_sa *sa);
/* A rekey: NS takes over OLD's addresses and leases. */
void cp_move(struct ike_sa *old, struct ike_sa *ns);
/* Selectors of CC for SA: a dynamic local one is our virtual IPs (or,
 * before we have them, the whole of each family we ask for); a dynamic
 * remote one is the addresses leased to the peer, else its IKE address. */
size_t cp_local_ts(const struct ike_sa *sa, const struct child_cfg *cc, struct ts *out);
size_t cp_remote_ts(const struct ike_sa *sa, const struct child_cfg *cc, struct ts *out);
/* The child's updown program, with strongSwan's PLUTO_* environment. */
void cp_updown(struct child_sa *c, bool up);

/* ---- a test hook for rekey collisions (nonce_bias.c) --------------------- */

/* Parses IKEHELPER_TEST_NONCES ("CONN=low CONN=high ..."); NULL with the
 * reason in WHY. */
struct nonce_bias *nonce_bias_parse(const char *spec, char *why, size_t len);
void nonce_bias_free(struct nonce_bias *b);
/* "CONN=low ..." as parsed, for the log. */
void nonce_bias_describe(const struct nonce_bias *b, char *buf, size_t len);
/* A CREATE_CHILD_SA nonce SA's side makes, in a REQUEST or a response:
 * biased when SA's connection is named. */
void nonce_bias_apply(const struct ike_sa *sa, bool request, uint8_t *nonce, size_t len);

/* ---- the daemon (daemon.c) ------------------------------------------------ */

struct daemon_stats {
	uint64_t rx, tx;
	uint64_t dropped_malformed;	/* undecodable */
	uint64_t dropped_unknown_spi;
	uint64_t dropped_integrity;	/* ICV failed */
	uint64_t dropped_window;	/* message id out of window */
	uint64_t dropped_ikev1;
	uint64_t dropped_half_open;	/* over init_limit_half_open */
	uint64_t retransmits_sent;
	uint64_t retransmits_answered;
	uint64_t fragments_sent, fragments_received;	/* RFC 7383 */
	uint64_t fragment_sets_dropped;	/* incomplete, timed out or too large */
	uint64_t cookies_sent;
	uint64_t ike_established, ike_failed;
	uint64_t child_installed, child_failed;
	uint64_t tickets_issued, tickets_refused;	/* RFC 5723 gateway */
	uint64_t resumed, resume_fallbacks;		/* IKE SAs resumed / not */
};

#define DEV_MAX 16

struct device {
	char name[IF_NAMESIZE];
	uint32_t ifindex;
};

struct sa_table {
	struct ike_sa **b;
	size_t nb, n;
};

struct daemon {
	const char *name;		/* unit tests: "alice" in log lines */
	struct config *cfg;
	struct kernel *kernel;
	const struct io_ops *io;
	void *io_ctx;
	/* The loop tells each encap socket to the devices; NULL in tests. */
	int (*encap_fd)(void *ctx, int family);
	uint64_t now;			/* ms, monotonic */
	struct timer_heap timers;

	struct ike_sa *sas;
	struct restart *restarts;	/* planned restarts (actions.c) */
	struct sa_table by_spi, half_open;
	unsigned int half_open_count;
	struct ike_sa *dead;
	uint64_t next_sa_id;
	uint32_t next_reqid;
	unsigned int ncpus;		/* online CPUs: per-CPU SAs' resources */

	uint8_t cookie_secret[32], cookie_prev[32];
	uint8_t cookie_version;
	bool cookie_prev_valid;
	struct timer cookie_timer;

	struct device devices[DEV_MAX];
	size_t ndevices;
	struct trap *traps;		/* start_action = trap (ondemand.c) */

	struct ike_msg *rx, *rx_inner;	/* decode scratch */
	uint8_t *plain;
	struct msg_out *out;		/* build scratch */

	struct daemon_stats st;
	struct ratelimit rl_ikev1, rl_drop, rl_half_open;

	/* Events for control clients (events.h): each one as a record line;
	 * NULL: nobody listens. */
	void (*on_event)(void *ctx, const char *line);
	void *event_ctx;

	/* Revocation fetches (fetch.h; NULL: none) and their cache (revoke.c). */
	const struct fetch_ops *fetch;
	struct revoke *rev;

	/* The restart state (persist.c); NULL: none kept. */
	struct persist *persist;

	/* MOBIKE: the host's addresses changed; checked when it fires. */
	struct timer mobike_timer;

	/* Address pools' leases (cp.c). */
	struct lease *leases;
	size_t nleases;

	/* Session resumption (resume.c): the gateway's ticket keys and
	 * used tickets, the client's tickets; NULL until first needed. */
	struct resume *resume;

	/* Tests only (nonce_bias.c); NULL: every nonce fully random. */
	struct nonce_bias *nonce_bias;
	/* CHILD_DELETE_DELAY_MS; 0 (unit tests of the exchanges): at once. */
	unsigned int child_delete_delay_ms;
};

struct daemon *daemon_new(struct config *cfg, struct kernel *k, const struct io_ops *io,
			  void *io_ctx, uint64_t now);
void daemon_free(struct daemon *d);
/* Frees the SAs ike_sa_destroy() left for it. */
void daemon_reap(struct daemon *d);
/* Creates or finds the device NAME (attaching the encap sockets). */
int daemon_device(struct daemon *d, const char *name, uint32_t *ifindex);
/*
 * Starts connection CONN (with CHILD, or its first child). W (may be
 * NULL) learns the outcome. With childless = force the CHILD_SA follows
 * IKE_AUTH in a CREATE_CHILD_SA queued behind it. Returns the new IKE SA, or NULL with the
 * reason in WHY.
 */
struct ike_sa *daemon_initiate(struct daemon *d, const struct conn *c,
			       const struct child_cfg *child, struct sa_waiter *w, char *why,
			       size_t whylen);
/* Starts connection CONN's IKE SA without a CHILD_SA (RFC 6023; kespctl
 * ike up --no-child): refused for childless = never, and failed after
 * IKE_SA_INIT when the peer does not offer it. */
struct ike_sa *daemon_initiate_ike(struct daemon *d, const struct conn *c, struct sa_waiter *w,
				   char *why, size_t whylen);
/* Starts C's IKE SA towards REMOTE instead of its remote_addrs (NULL:
 * those), with CHILD (NULL: none, as daemon_initiate_ike). */
struct ike_sa *daemon_initiate_to(struct daemon *d, const struct conn *c,
				  const struct child_cfg *child, struct sa_waiter *w,
				  const struct addr *remote, char *why, size_t whylen);
/* Deletes one IKE SA: its kernel SAs now, DELETE to the peer. */
void daemon_terminate_sa(struct ike_sa *sa);
/* Sends DELETE for every IKE SA of connection NAME; how many. */
size_t daemon_terminate(struct daemon *d, const char *conn_name);
/* Takes NEW (a parsed config): unchanged connections keep their SAs,
 * changed and removed ones are torn down, new start_action=start ones
 * start. */
void daemon_reload(struct daemon *d, struct config *cfg);
/* start_action = start for every connection (at startup). */
void daemon_start_all(struct daemon *d);
/* Deletes every SA (DELETE sent, kernel SAs removed), for shutdown. */
void daemon_shutdown(struct daemon *d);
struct ike_sa *daemon_find_sa_for_conn(struct daemon *d, const struct conn *c);

/* actions.c: dpd_action / close_action. Takes action A for CFG's CHILD_SA of
 * SA (CAUSE for the log): clear does nothing more, restart plans a restart
 * (on SA's connection: a CHILD_SA on its IKE SA if up, else a new IKE SA). */
void child_action_take(struct ike_sa *sa, const struct child_cfg *cfg, enum child_action a,
		       const char *cause);
/* From ike_sa_destroy: the actions for SA's children by SA->end; a failed
 * restart attempt (END_PEER_DEAD) is planned again. */
void ike_sa_end_actions(struct ike_sa *sa);
void restarts_free(struct daemon *d);
/* Drops the planned restarts of connection NAME (it is being terminated). */
void restarts_cancel(struct daemon *d, const char *name);

#endif /* KESP_DAEMON_H */
