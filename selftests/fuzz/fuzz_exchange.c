// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for ikehelper's exchange state machine, not just its
 * parser: an initiator and a responder against the fake kernel (the unit
 * tests' harness), running a real handshake whose messages the input then
 * delivers, loses, duplicates, reorders, truncates, corrupts (bits, SPIs,
 * message ids), replays from history, or answers with junk, while time
 * moves and either side starts or ends SAs. Afterwards both sides settle
 * (every retransmission has run out) and must agree with their kernels:
 * each kernel SA belongs to a CHILD_SA the daemon knows, nothing is left
 * once a daemon stops, and the number of SAs and packets stayed bounded.
 * Any violation aborts, which libFuzzer reports like a crash.
 */
#include "../unit/ike_harness.h"

#define WIRE_MAX 64
#define HISTORY 16
#define SAS_MAX 16

static const char conf_a[] =
	"connections { b { remote_addrs = 192.0.2.2\n"
	" proposals = aes256gcm16-prfsha384-x25519, aes128-sha256-ecp256\n"
	" local { auth = psk\n id = alice }\n remote { auth = psk\n id = bob }\n"
	" children { n { local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24\n"
	"  esp_proposals = aes128gcm16, aes128-sha256 } } } }\n"
	"secrets { ike { secret = \"Fz9#kq2!Lw7@xR4$vB1^\" } }\n"
	"ikehelper { cookie_threshold = 2\n half_open_timeout = 5s }\n";
static const char conf_b[] =
	"connections { a { remote_addrs = 192.0.2.1\n"
	" proposals = aes128-sha256-ecp256, aes256gcm16-prfsha384-x25519\n"
	" local { auth = psk\n id = bob }\n remote { auth = psk\n id = alice }\n"
	" children { n { local_ts = 10.2.0.0/24\n remote_ts = 10.1.0.0/16\n"
	"  esp_proposals = aes128-sha256, aes128gcm16 } } } }\n"
	"secrets { ike { secret = \"Fz9#kq2!Lw7@xR4$vB1^\" } }\n"
	"ikehelper { cookie_threshold = 2\n half_open_timeout = 5s }\n";

static struct h_peer *alice, *bob;
static struct h_pkt *history[HISTORY];
static size_t nhistory;

static struct h_pkt *copy_pkt(const struct h_pkt *p)
{
	struct h_pkt *c = calloc(1, sizeof(*c));

	*c = *p;
	c->next = NULL;
	c->data = malloc(p->len ? p->len : 1);
	memcpy(c->data, p->data, p->len);
	return c;
}

static void push_front(struct h_pkt *p)
{
	p->next = h_wire;
	h_wire = p;
	if (!p->next)
		h_wire_tail = &p->next;
	h_wire_len++;
}

static void push_back(struct h_pkt *p)
{
	p->next = NULL;
	*h_wire_tail = p;
	h_wire_tail = &p->next;
	h_wire_len++;
}

static void remember(const struct h_pkt *p)
{
	if (nhistory == HISTORY) {
		h_pkt_free(history[0]);
		memmove(history, history + 1, (HISTORY - 1) * sizeof(history[0]));
		nhistory--;
	}
	history[nhistory++] = copy_pkt(p);
}

static void deliver_head(void)
{
	struct h_pkt *p = h_pop();

	if (!p)
		return;
	remember(p);
	h_deliver_pkt(p);
	h_pkt_free(p);
}

/* Each kernel SA is a half of a CHILD_SA this daemon knows. */
static void check_kernel(struct h_peer *p)
{
	size_t kids = 0, sas = 0;

	for (struct ike_sa *sa = p->d->sas; sa; sa = sa->next_all) {
		sas++;
		for (struct child_sa *c = sa->children; c; c = c->next)
			kids += (c->kid_in != 0) + (c->kid_out != 0);
	}
	if (kids != kernel_fake_sa_count(p->k) || sas > SAS_MAX)
		abort();
}

static void run_ops(const uint8_t *data, size_t size)
{
	struct h_wait wa, wb;

	memset(&wa, 0, sizeof(wa));
	memset(&wb, 0, sizeof(wb));
	for (size_t i = 0; i + 1 < size; i += 2) {
		uint8_t op = data[i] % 13, arg = data[i + 1];
		struct h_pkt *p = h_wire;

		switch (op) {
		case 0:
			deliver_head();
			break;
		case 1:
			h_drop();
			break;
		case 2:
			if (p)
				push_back(copy_pkt(p));
			break;
		case 3:
			if (p && p->len)
				p->data[arg % p->len] ^= (uint8_t)(1u << (arg % 8));
			break;
		case 4:
			if (p)
				p->len = arg % (p->len + 1);
			break;
		case 5:
			h_advance((uint64_t)(arg + 1) * 250);
			break;
		case 6:
			if (p && p->next)
				push_back(h_pop());
			break;
		case 7:
			if (nhistory)
				push_front(copy_pkt(history[arg % nhistory]));
			break;
		case 8:
			if (p && p->len > 16)
				p->data[arg % 16] = arg;
			break;
		case 9:
			if (p && p->len > 24)
				p->data[20 + arg % 4] ^= (uint8_t)(arg | 1);
			break;
		case 10:
			daemon_terminate(arg & 1 ? alice->d : bob->d, arg & 1 ? "b" : "a");
			break;
		case 11:
			if (h_count_sas(alice) < SAS_MAX / 2) {
				ike_sa_remove_waiter(&wa.w);
				h_up(alice, "b", &wa);
			}
			break;
		case 12:
			if (h_count_sas(bob) < SAS_MAX / 2) {
				ike_sa_remove_waiter(&wb.w);
				h_up(bob, "a", &wb);
			}
			break;
		}
		while (h_wire_len > WIRE_MAX)
			h_drop();
		daemon_reap(alice->d);
		daemon_reap(bob->d);
	}
	ike_sa_remove_waiter(&wa.w);
	ike_sa_remove_waiter(&wb.w);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ike_crypto_init();
	log_set_level_all(-1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct h_wait w;

	h_reset();
	alice = h_peer_new("alice", "192.0.2.1", conf_a);
	bob = h_peer_new("bob", "192.0.2.2", conf_b);
	memset(&w, 0, sizeof(w));
	h_up(alice, "b", &w);
	run_ops(data, size);
	ike_sa_remove_waiter(&w.w);
	check_kernel(alice);
	check_kernel(bob);
	/* Settle: every message delivered, every retransmission run out. */
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 200 && h_wire; i++)
			deliver_head();
		h_advance(200 * 1000);
	}
	check_kernel(alice);
	check_kernel(bob);
	daemon_free(alice->d);
	daemon_free(bob->d);
	alice->d = bob->d = NULL;
	if (kernel_fake_sa_count(alice->k) || kernel_fake_sa_count(bob->k) ||
	    kernel_fake_route_count(alice->k) || kernel_fake_route_count(bob->k))
		abort();
	while (nhistory)
		h_pkt_free(history[--nhistory]);
	h_reset();
	return 0;
}
