// SPDX-License-Identifier: GPL-2.0
/*
 * A restart that keeps every tunnel up. kesp.ko's SAs (and the routes into
 * its devices) outlive the daemon; what dies with it is the IKE state that
 * rekeys them and answers the peer. So after every change of an
 * established IKE SA (established, a message sent or answered, a CHILD_SA
 * installed, rekeyed or deleted, the IKE SA gone) the daemon writes, once
 * per event, everything a successor needs to carry on, and a successor
 * adopts what it can trust:
 *
 *   STATE_DIR/ikehelper.state   (0600; the directory 0700)
 *     "KESPIKE\n", u32 version, u64 written (wall-clock ms), u32 length,
 *     the entries, HMAC-SHA256 over all that with the key in
 *   STATE_DIR/ikehelper.key     (0600, 32 random bytes, made once)
 *
 * An entry: the connection's name and config fingerprint, the IKE SA's
 * SPIs, role, endpoints (NAT-T state), proposal, SK_* keys, message ids,
 * the cached last response, a request still in flight, rekey and over
 * deadlines as wall-clock times, the configuration payload's outcome (our
 * virtual IPs and DNS servers, the peer's leases and whose they are); then
 * each CHILD_SA: name, reqid, SPIs, kesp.ko ids, proposal, selectors,
 * routes, lifetimes as wall-clock times, whether its updown ran "up".
 * Integers are big-endian; every length is checked on reading.
 *
 * Writing: a temporary file, fsync, rename over the old name, fsync of the
 * directory. The replaced file is kept as a hard link until then, so its
 * contents are overwritten with zeros before it is unlinked (on tmpfs, the
 * default /run, that overwrites the very pages; a journalling or
 * copy-on-write file system or a flash disk may keep older copies).
 *
 * Trust, on start: the file's version, its MAC and its format; per entry,
 * that the connection exists with the same fingerprint, that its device
 * exists and that kesp.ko still holds each CHILD_SA's SAs with those ids,
 * directions and SPIs. What fails is logged with the reason and not used.
 * kesp.ko's SAs on our devices that no adopted CHILD_SA claims are stale:
 * the connections they belong to (by their outer addresses, read from the
 * kernel, not from the file) are negotiated again, and the stale SAs are
 * removed only once the new IKE SA has as many CHILD_SAs up as there were
 * stale pairs (make-before-break), or after PERSIST_STALE_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "daemon.h"

#define PERSIST_MAGIC "KESPIKE\n"
#define PERSIST_VERSION 4
#define PERSIST_FILE "ikehelper.state"
#define PERSIST_KEY_FILE "ikehelper.key"
#define PERSIST_MAC_LEN 32
#define PERSIST_HDR_LEN (8 + 4 + 8 + 4)
#define PERSIST_MAX (64u << 20)
/* Stale kernel SAs go at the latest this long after the start. */
#define PERSIST_STALE_MS 60000

struct stale_sa {
	struct stale_sa *next;
	uint32_t ifindex, id, spi;
	enum kernel_dir dir;
	struct addr src, dst;
	char conn[CONF_NAME_MAX];	/* "" when no connection fits */
	uint64_t until;			/* removed then at the latest */
};

struct persist {
	char dir[256];
	char path[300];
	uint8_t key[32];
	bool key_ok;
	bool dirty;
	uint8_t last_mac[PERSIST_MAC_LEN];	/* of the contents last written */
	bool written;
	struct stale_sa *stale;
	struct timer t_stale;
};

/* ---- clocks -------------------------------------------------------------- */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A timer's deadline as wall-clock ms; 0: not armed. */
static int64_t deadline_of(const struct daemon *d, const struct timer *t)
{
	if (!timer_armed(t))
		return 0;
	return wall_ms() + (int64_t)(t->when > d->now ? t->when - d->now : 0);
}

/* Arms T for wall-clock deadline AT (0: leave it); one already past: now. */
static void arm_at(struct daemon *d, struct timer *t, int64_t at)
{
	int64_t left;

	if (!at)
		return;
	left = at - wall_ms();
	timer_arm(d, t, left > 0 ? (uint64_t)left : 0);
}

/* ---- encoding ------------------------------------------------------------ */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool err;
};

static void put(struct wbuf *w, const void *v, size_t n)
{
	if (w->err || !n)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		uint8_t *p;

		while (cap < w->len + n)
			cap *= 2;
		if (cap > PERSIST_MAX || !(p = malloc(cap))) {
			w->err = true;
			return;
		}
		if (w->p) {
			memcpy(p, w->p, w->len);
			ike_wipe(w->p, w->cap);
			free(w->p);
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

static void put_u8(struct wbuf *w, uint8_t v) { put(w, &v, 1); }

static void put_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = { v >> 8, v };

	put(w, b, 2);
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

	put(w, b, 4);
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	put_u32(w, v >> 32);
	put_u32(w, (uint32_t)v);
}

/* A length-prefixed byte string. */
static void put_bytes(struct wbuf *w, const void *v, size_t n)
{
	put_u32(w, (uint32_t)n);
	put(w, v, n);
}

static void put_str(struct wbuf *w, const char *s) { put_bytes(w, s, strlen(s)); }

static void put_addr(struct wbuf *w, const struct addr *a)
{
	put_u8(w, a->family == AF_INET ? 4 : a->family == AF_INET6 ? 6 : 0);
	put(w, a->ip, 16);
}

static void put_endpoint(struct wbuf *w, const struct endpoint *e)
{
	put_addr(w, &e->addr);
	put_u16(w, e->port);
}

static void put_prop(struct wbuf *w, const struct ike_proposal *p)
{
	put_u8(w, p->num);
	put_u8(w, p->protocol);
	put_u8(w, p->spi_size);
	put(w, p->spi, IKE_MAX_SPI);
	put_u8(w, p->ntrans);
	for (size_t i = 0; i < p->ntrans; i++) {
		put_u8(w, p->trans[i].type);
		put_u16(w, p->trans[i].id);
		put_u16(w, p->trans[i].keylen);
	}
}

static void put_id(struct wbuf *w, const struct ike_id *id)
{
	put_u8(w, id->type);
	put_bytes(w, id->data, id->len);
}

static void put_ts(struct wbuf *w, const struct ts *t, size_t n)
{
	put_u32(w, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		put_u8(w, t[i].family == AF_INET ? 4 : 6);
		put_u8(w, t[i].proto);
		put_u16(w, t[i].port_lo);
		put_u16(w, t[i].port_hi);
		put(w, t[i].lo, 16);
		put(w, t[i].hi, 16);
	}
}

struct rbuf {
	const uint8_t *p;
	size_t len, off;
	bool err;
};

static const uint8_t *get(struct rbuf *r, size_t n)
{
	const uint8_t *v;

	if (r->err || n > r->len - r->off) {
		r->err = true;
		return NULL;
	}
	v = r->p + r->off;
	r->off += n;
	return v;
}

static void get_into(struct rbuf *r, void *out, size_t n)
{
	const uint8_t *v = get(r, n);

	if (v && n)
		memcpy(out, v, n);
	else if (n)
		memset(out, 0, n);
}

static uint8_t get_u8(struct rbuf *r)
{
	const uint8_t *v = get(r, 1);

	return v ? v[0] : 0;
}

static uint16_t get_u16(struct rbuf *r)
{
	const uint8_t *v = get(r, 2);

	return v ? (uint16_t)(v[0] << 8 | v[1]) : 0;
}

static uint32_t get_u32(struct rbuf *r)
{
	const uint8_t *v = get(r, 4);

	return v ? (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3] : 0;
}

static uint64_t get_u64(struct rbuf *r)
{
	uint64_t hi = get_u32(r);

	return hi << 32 | get_u32(r);
}

/* A byte string of at most MAX bytes into OUT; its length. */
static size_t get_bytes(struct rbuf *r, void *out, size_t max)
{
	uint32_t n = get_u32(r);

	if (n > max) {
		r->err = true;
		return 0;
	}
	get_into(r, out, n);
	return r->err ? 0 : n;
}

static void get_str(struct rbuf *r, char *out, size_t size)
{
	size_t n = get_bytes(r, out, size - 1);

	out[n] = 0;
	if (strlen(out) != n)
		r->err = true;
}

static void get_addr(struct rbuf *r, struct addr *a)
{
	uint8_t f = get_u8(r);

	memset(a, 0, sizeof(*a));
	a->family = f == 4 ? AF_INET : f == 6 ? AF_INET6 : AF_UNSPEC;
	if (f && f != 4 && f != 6)
		r->err = true;
	get_into(r, a->ip, 16);
}

static void get_endpoint(struct rbuf *r, struct endpoint *e)
{
	get_addr(r, &e->addr);
	e->port = get_u16(r);
}

static void get_prop(struct rbuf *r, struct ike_proposal *p)
{
	memset(p, 0, sizeof(*p));
	p->num = get_u8(r);
	p->protocol = get_u8(r);
	p->spi_size = get_u8(r);
	get_into(r, p->spi, IKE_MAX_SPI);
	p->ntrans = get_u8(r);
	if (p->ntrans > IKE_MAX_TRANSFORMS || p->spi_size > IKE_MAX_SPI) {
		r->err = true;
		return;
	}
	for (size_t i = 0; i < p->ntrans; i++) {
		p->trans[i].type = get_u8(r);
		p->trans[i].id = get_u16(r);
		p->trans[i].keylen = get_u16(r);
	}
}

static void get_id(struct rbuf *r, struct ike_id *id)
{
	memset(id, 0, sizeof(*id));
	id->type = get_u8(r);
	id->len = (uint16_t)get_bytes(r, id->data, sizeof(id->data));
}

static size_t get_ts(struct rbuf *r, struct ts *t, size_t max)
{
	uint32_t n = get_u32(r);

	if (n > max) {
		r->err = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t f = get_u8(r);

		memset(&t[i], 0, sizeof(t[i]));
		if (f != 4 && f != 6)
			r->err = true;
		t[i].family = f == 4 ? AF_INET : AF_INET6;
		t[i].proto = get_u8(r);
		t[i].port_lo = get_u16(r);
		t[i].port_hi = get_u16(r);
		get_into(r, t[i].lo, 16);
		get_into(r, t[i].hi, 16);
	}
	return r->err ? 0 : n;
}

/* ---- what an entry holds ------------------------------------------------- */

/* The interrupted exchange of an adopted IKE SA: its request is sent again
 * as it was, and whatever the peer answers ends it. (An answer that made a
 * CHILD_SA or IKE SA on the peer's side is not taken up: the peer's DPD or
 * lifetimes clean that up.) */
struct resumed_task {
	struct task t;
	char name[40];
};

static enum task_result resumed_process(struct ike_sa *sa, struct task *t, const struct ike_msg *m,
					const uint8_t *raw, size_t rawlen)
{
	(void)m;
	(void)raw;
	(void)rawlen;
	sa_log(sa, LOG_IKE, 1, "the peer answered the %s request interrupted by our restart",
	       ((struct resumed_task *)t)->name);
	return TASK_DONE;
}

static struct task_ops resumed_ops[3] = {
	{ .name = "interrupted INFORMATIONAL", .exchange = IKE_INFORMATIONAL,
	  .process = resumed_process, .free = task_free_plain },
	{ .name = "interrupted CREATE_CHILD_SA", .exchange = IKE_CREATE_CHILD_SA,
	  .process = resumed_process, .free = task_free_plain },
	{ .name = "interrupted exchange", .exchange = 0,
	  .process = resumed_process, .free = task_free_plain },
};

static bool child_persistable(const struct child_sa *c)
{
	return (c->state == CHILD_S_INSTALLED || c->state == CHILD_S_REKEYING ||
		(c->state == CHILD_S_INSTALLING && c->kid_in && c->keymat_len)) &&
	       (c->kid_in || c->kid_out);
}

static void put_child(struct wbuf *w, const struct daemon *d, const struct child_sa *c)
{
	put_str(w, c->cfg->name);
	put_u32(w, c->reqid);
	put_u8(w, c->state == CHILD_S_INSTALLING);
	put_u8(w, c->mode == MODE_TRANSPORT);
	put_u32(w, c->ifindex);
	put_u32(w, c->spi_in);
	put_u32(w, c->spi_out);
	put_u32(w, c->kid_in);
	put_u32(w, c->kid_out);
	put_prop(w, &c->prop);
	put_ts(w, c->ts_local, c->nts_local);
	put_ts(w, c->ts_remote, c->nts_remote);
	put_u8(w, c->encap);
	put_u32(w, (uint32_t)c->nroutes);
	for (size_t i = 0; i < c->nroutes; i++) {
		put_u32(w, c->routes[i].table);
		put_addr(w, &c->routes[i].dst);
		put_u8(w, c->routes[i].bits);
		put_addr(w, &c->routes[i].src);
	}
	put_u8(w, c->we_initiated);
	put_u32(w, c->replaces);
	put_bytes(w, c->lo_nonce, c->lo_nonce_len);
	put_u8(w, c->volume_set);
	put_u64(w, c->soft_bytes);
	put_u64(w, c->soft_packets);
	put_u64(w, (uint64_t)deadline_of(d, &c->t_rekey));
	put_u64(w, (uint64_t)deadline_of(d, &c->t_expire));
	/* A rekey responder's successor waits for the old pair's DELETE
	 * with only its inbound SA in: its KEYMAT installs the outbound one. */
	put_bytes(w, c->keymat, c->state == CHILD_S_INSTALLING ? c->keymat_len : 0);
	put_u8(w, c->updown_up);
	put_u8(w, (uint8_t)(c->pcpu | c->pcpu_fallback << 1 | c->has_cpu << 2 |
			    c->pcpu_acquire << 3));
	put_u32(w, c->cpu);
}

static void put_addrs(struct wbuf *w, const struct addr *a, size_t n)
{
	put_u32(w, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		put_addr(w, &a[i]);
}

static void put_sa(struct wbuf *w, const struct ike_sa *sa)
{
	const struct daemon *d = sa->d;
	const struct ike_sa_keys *k = &sa->keys;
	size_t n = 0;

	put_str(w, sa->conn->name);
	put_u64(w, sa->conn->fingerprint);
	put_u64(w, sa->id);
	put_u8(w, sa->initiator);
	put(w, sa->spi_i, 8);
	put(w, sa->spi_r, 8);
	put_endpoint(w, &sa->local);
	put_endpoint(w, &sa->remote);
	put_u8(w, sa->nat_local);
	put_u8(w, sa->nat_remote);
	put_u8(w, sa->peer_natd);
	put_u8(w, sa->frag.announced);
	put_u8(w, sa->frag.peer);
	put_u8(w, (uint8_t)(sa->mobike | sa->mobike_client << 1));
	put_u8(w, sa->peer_sig_hashes);
	put_prop(w, &sa->prop);
	put_u16(w, sa->encr);
	put_u16(w, sa->encr_bits);
	put_u16(w, sa->integ);
	put_u16(w, sa->prf);
	put_u16(w, sa->dh_group);
	put_u32(w, k->prf);
	put_bytes(w, k->sk_d, k->prf_len);
	put_bytes(w, k->sk_ai, k->integ_len);
	put_bytes(w, k->sk_ar, k->integ_len);
	put_bytes(w, k->sk_ei, k->encr_len);
	put_bytes(w, k->sk_er, k->encr_len);
	put_bytes(w, k->sk_pi, k->prf_len);
	put_bytes(w, k->sk_pr, k->prf_len);
	put_id(w, &sa->id_local);
	put_id(w, &sa->id_remote);
	put_u32(w, sa->mid_next);
	put_u32(w, sa->mid_peer);
	put_u8(w, sa->resp.valid);
	put_u32(w, sa->resp.mid);
	put_u64(w, sa->resp.req_hash);
	put_bytes(w, sa->resp.pkt, sa->resp.valid ? sa->resp.len : 0);
	/* Our request in flight: sent again as it was after the restart. */
	put_u8(w, sa->req.task && sa->req.pkt ? sa->req.task->ops->exchange : 0);
	put_u32(w, sa->req.mid);
	put_bytes(w, sa->req.pkt, sa->req.task && sa->req.pkt ? sa->req.len : 0);
	put_u64(w, (uint64_t)deadline_of(d, &sa->t_rekey));
	put_u64(w, (uint64_t)deadline_of(d, &sa->t_over));
	put_addrs(w, sa->cp.vip, sa->cp.nvip);
	put_u32(w, sa->cp.vip_ifindex);
	put_addrs(w, sa->cp.dns, sa->cp.ndns);
	put_addrs(w, sa->cp.lease, sa->cp.nlease);
	put_str(w, sa->cp.lease_who);
	for (const struct child_sa *c = sa->children; c; c = c->next)
		n += child_persistable(c);
	put_u32(w, (uint32_t)n);
	for (const struct child_sa *c = sa->children; c; c = c->next)
		if (child_persistable(c))
			put_child(w, d, c);
}

static bool sa_persistable(const struct ike_sa *sa)
{
	return sa->state == IKE_S_ESTABLISHED && sa->conn && sa->keys_ready;
}

/* ---- files --------------------------------------------------------------- */

static int mac(const struct persist *p, const uint8_t *data, size_t len, uint8_t out[32])
{
	return gnutls_hmac_fast(GNUTLS_MAC_SHA256, p->key, sizeof(p->key), data, len, out) ? -1 : 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Overwrites PATH's contents with zeros, then unlinks it. */
static void shred(const char *path)
{
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd >= 0) {
		if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0) {
			static const uint8_t zero[4096];
			off_t left = st.st_size;

			while (left > 0) {
				size_t n = left > (off_t)sizeof(zero) ? sizeof(zero) : (size_t)left;

				if (write_all(fd, zero, n))
					break;
				left -= (off_t)n;
			}
			fsync(fd);
		}
		close(fd);
	}
	unlink(path);
}

/* The directory part of PATH ("." when it has none). */
static void dir_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

int persist_write_secret(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX], old[PATH_MAX], dir[PATH_MAX];
	bool had_old;
	int fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp) ||
	    (size_t)snprintf(old, sizeof(old), "%s.old", path) >= sizeof(old)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	dir_of(path, dir, sizeof(dir));
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) || fsync(fd)) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	close(fd);
	/* The old file stays reachable under .old until the new one is in
	 * place, so that its contents can be wiped before it goes. */
	unlink(old);
	had_old = !link(path, old);
	if (rename(tmp, path)) {
		saved = errno;
		unlink(tmp);
		if (had_old)
			unlink(old);
		errno = saved;
		return -1;
	}
	fsync_dir(dir);
	if (had_old)
		shred(old);
	return 0;
}

/* The MAC key: read, or made once (0600). */
static int load_key(struct persist *p)
{
	char path[300];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", p->dir, PERSIST_KEY_FILE);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, p->key, sizeof(p->key));
		close(fd);
		if (n == (ssize_t)sizeof(p->key))
			return 0;
		log_msg(LOG_DMN, 0, "restart state: %s is not a key of %zu bytes: making a new one "
			"(the state written with the old one will not be trusted)", path,
			sizeof(p->key));
	}
	if (ike_random_key(p->key, sizeof(p->key)))
		return -1;
	if (persist_write_secret(path, p->key, sizeof(p->key))) {
		log_msg(LOG_DMN, 0, "restart state: cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int persist_open(struct daemon *d, const char *dir)
{
	struct persist *p = calloc(1, sizeof(*p));
	struct stat st;

	if (!p)
		return -1;
	if (strlen(dir) >= sizeof(p->dir) - 32) {
		log_msg(LOG_DMN, 0, "restart state: directory name too long: %s", dir);
		free(p);
		return -1;
	}
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	snprintf(p->path, sizeof(p->path), "%s/%s", dir, PERSIST_FILE);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		log_msg(LOG_DMN, 0, "restart state: cannot make %s: %s", dir, strerror(errno));
		free(p);
		return -1;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		log_msg(LOG_DMN, 0, "restart state: %s is not a directory", dir);
		free(p);
		return -1;
	}
	if (st.st_mode & 077)
		log_msg(LOG_DMN, 0, "restart state: %s is open to others (mode %03o): the file in "
			"it is 0600 anyway", dir, (unsigned int)(st.st_mode & 0777));
	if (load_key(p)) {
		free(p);
		return -1;
	}
	p->key_ok = true;
	timer_init(&p->t_stale, NULL);
	d->persist = p;
	return 0;
}

const char *persist_dir(const struct daemon *d)
{
	return d->persist ? d->persist->dir : NULL;
}

void persist_mark(struct daemon *d)
{
	if (d->persist)
		d->persist->dirty = true;
}

/* Serialises every established IKE SA: the whole file, MAC included. */
static int encode(struct daemon *d, struct wbuf *w)
{
	size_t n = 0, body;

	put(w, PERSIST_MAGIC, 8);
	put_u32(w, PERSIST_VERSION);
	put_u64(w, (uint64_t)wall_ms());
	put_u32(w, 0);		/* the length, set below */
	body = w->len;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next_all)
		n += sa_persistable(sa);
	put_u32(w, (uint32_t)n);
	put_u32(w, d->next_reqid);
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next_all)
		if (sa_persistable(sa))
			put_sa(w, sa);
	if (w->err)
		return -1;
	w->p[body - 4] = (uint8_t)((w->len - body) >> 24);
	w->p[body - 3] = (uint8_t)((w->len - body) >> 16);
	w->p[body - 2] = (uint8_t)((w->len - body) >> 8);
	w->p[body - 1] = (uint8_t)(w->len - body);
	return 0;
}

void persist_save(struct daemon *d)
{
	struct persist *p = d->persist;
	struct wbuf w = { 0 };
	uint8_t m[PERSIST_MAC_LEN], cmp[PERSIST_MAC_LEN];

	if (!p)
		return;
	p->dirty = false;
	if (encode(d, &w) || mac(p, w.p + 20, w.len - 20, cmp) || mac(p, w.p, w.len, m)) {
		log_msg(LOG_DMN, 0, "restart state: cannot encode the IKE SAs: not saved");
		goto out;
	}
	/* Same contents as last time (but the time it was written): no write. */
	if (p->written && !memcmp(cmp, p->last_mac, sizeof(cmp)))
		goto out;
	put(&w, m, sizeof(m));
	if (w.err || persist_write_secret(p->path, w.p, w.len)) {
		log_msg(LOG_DMN, 0, "restart state: cannot write %s: %s", p->path,
			w.err ? "out of memory" : strerror(errno));
		goto out;
	}
	memcpy(p->last_mac, cmp, sizeof(cmp));
	p->written = true;
out:
	if (w.p) {
		ike_wipe(w.p, w.cap);
		free(w.p);
	}
	ike_wipe(m, sizeof(m));
}

void persist_flush(struct daemon *d)
{
	if (d->persist && d->persist->dirty)
		persist_save(d);
}

/* ---- adopting ------------------------------------------------------------ */

struct kids {
	struct kernel_sa_id *v;
	size_t n, cap;
	uint32_t ifindex;
	bool *claimed;
};

static void kids_add(void *arg, const struct kernel_sa_id *id)
{
	struct kids *k = arg;

	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		struct kernel_sa_id *v = realloc(k->v, cap * sizeof(*v));

		if (!v)
			return;
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = *id;
}

/* The kernel SAs of every device of ours, listed once. */
struct dev_sas {
	struct kids dev[DEV_MAX];
	size_t n;
};

static struct kids *dev_sas_of(struct daemon *d, struct dev_sas *ds, uint32_t ifindex)
{
	struct kids *k;

	for (size_t i = 0; i < ds->n; i++)
		if (ds->dev[i].ifindex == ifindex)
			return &ds->dev[i];
	if (ds->n == DEV_MAX)
		return NULL;
	k = &ds->dev[ds->n];
	memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	if (d->kernel->ops->sa_list(d->kernel, ifindex, kids_add, k)) {
		log_msg(LOG_KNL, 0, "restart state: cannot list kesp.ko's SAs of ifindex %u: %s",
			ifindex, d->kernel->error);
		free(k->v);
		return NULL;
	}
	k->claimed = calloc(k->n + 1, sizeof(bool));
	if (!k->claimed) {
		free(k->v);
		return NULL;
	}
	ds->n++;
	return k;
}

static void dev_sas_free(struct dev_sas *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		free(ds->dev[i].v);
		free(ds->dev[i].claimed);
	}
}

/* Claims kernel SA ID (DIR, SPI) in K; false when kesp.ko has no such SA. */
static bool claim(struct kids *k, uint32_t id, enum kernel_dir dir, uint32_t spi)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].id == id) {
			if (k->v[i].dir != dir || k->v[i].spi != spi || k->claimed[i])
				return false;
			k->claimed[i] = true;
			return true;
		}
	return false;
}

/* One CHILD_SA of an entry, as read. */
struct pchild {
	char name[CONF_NAME_MAX];
	uint32_t reqid;
	bool installing, transport;
	uint32_t ifindex, spi_in, spi_out, kid_in, kid_out;
	struct ike_proposal prop;
	struct ts ts_local[CONF_MAX_TS], ts_remote[CONF_MAX_TS];
	size_t nts_local, nts_remote;
	bool encap;
	struct kernel_route routes[CHILD_ROUTES_MAX];
	size_t nroutes;
	bool we_initiated;
	uint32_t replaces;
	uint8_t lo_nonce[IKE_NONCE_MAX];
	size_t lo_nonce_len;
	bool volume_set;
	uint64_t soft_bytes, soft_packets;
	int64_t rekey_at, expire_at;
	uint8_t keymat[4 * KERNEL_KEY_MAX];
	size_t keymat_len;
	bool updown_up;
	uint8_t pcpu;		/* pcpu, pcpu_fallback, has_cpu, pcpu_acquire */
	uint32_t cpu;
};

struct pentry {
	char conn[CONF_NAME_MAX];
	uint64_t fingerprint, id;
	bool initiator;
	uint8_t spi_i[8], spi_r[8];
	struct endpoint local, remote;
	bool nat_local, nat_remote, peer_natd, frag_announced, frag_peer;
	uint8_t mobike;			/* bit 0: negotiated, bit 1: we are its client */
	uint8_t peer_sig_hashes;
	struct ike_proposal prop;
	uint16_t encr, encr_bits, integ, prf, dh_group;
	struct ike_sa_keys keys;
	struct ike_id id_local, id_remote;
	uint32_t mid_next, mid_peer;
	bool resp_valid;
	uint32_t resp_mid;
	uint64_t resp_hash;
	uint8_t *resp;
	size_t resp_len;
	uint8_t req_exchange;
	uint32_t req_mid;
	uint8_t *req;
	size_t req_len;
	int64_t rekey_at, over_at;
	struct cp_state cp;
	struct pchild *children;
	size_t nchildren;
};

static void pentry_free(struct pentry *e)
{
	free(e->resp);
	free(e->req);
	if (e->children) {
		ike_wipe(e->children, e->nchildren * sizeof(*e->children));
		free(e->children);
	}
	ike_wipe(e, sizeof(*e));
}

static uint8_t *get_blob(struct rbuf *r, size_t *len)
{
	uint32_t n = get_u32(r);
	const uint8_t *v;
	uint8_t *out;

	*len = 0;
	if (n > IKE_MAX_MSG) {
		r->err = true;
		return NULL;
	}
	v = get(r, n);
	if (!v || !n)
		return NULL;
	out = malloc(n);
	if (!out) {
		r->err = true;
		return NULL;
	}
	memcpy(out, v, n);
	*len = n;
	return out;
}

static void get_child(struct rbuf *r, struct pchild *c)
{
	uint32_t nroutes;

	get_str(r, c->name, sizeof(c->name));
	c->reqid = get_u32(r);
	c->installing = get_u8(r);
	c->transport = get_u8(r);
	c->ifindex = get_u32(r);
	c->spi_in = get_u32(r);
	c->spi_out = get_u32(r);
	c->kid_in = get_u32(r);
	c->kid_out = get_u32(r);
	get_prop(r, &c->prop);
	c->nts_local = get_ts(r, c->ts_local, CONF_MAX_TS);
	c->nts_remote = get_ts(r, c->ts_remote, CONF_MAX_TS);
	c->encap = get_u8(r);
	nroutes = get_u32(r);
	if (nroutes > CHILD_ROUTES_MAX) {
		r->err = true;
		return;
	}
	for (size_t i = 0; i < nroutes; i++) {
		c->routes[i].ifindex = c->ifindex;
		c->routes[i].table = get_u32(r);
		get_addr(r, &c->routes[i].dst);
		c->routes[i].bits = get_u8(r);
		get_addr(r, &c->routes[i].src);
	}
	c->nroutes = nroutes;
	c->we_initiated = get_u8(r);
	c->replaces = get_u32(r);
	c->lo_nonce_len = get_bytes(r, c->lo_nonce, sizeof(c->lo_nonce));
	c->volume_set = get_u8(r);
	c->soft_bytes = get_u64(r);
	c->soft_packets = get_u64(r);
	c->rekey_at = (int64_t)get_u64(r);
	c->expire_at = (int64_t)get_u64(r);
	c->keymat_len = get_bytes(r, c->keymat, sizeof(c->keymat));
	c->updown_up = get_u8(r);
	c->pcpu = get_u8(r);
	c->cpu = get_u32(r);
}

static size_t get_addrs(struct rbuf *r, struct addr *a, size_t max)
{
	uint32_t n = get_u32(r);

	if (n > max) {
		r->err = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		get_addr(r, &a[i]);
	return n;
}

static void get_entry(struct rbuf *r, struct pentry *e)
{
	struct ike_sa_keys *k = &e->keys;
	uint32_t n;

	get_str(r, e->conn, sizeof(e->conn));
	e->fingerprint = get_u64(r);
	e->id = get_u64(r);
	e->initiator = get_u8(r);
	get_into(r, e->spi_i, 8);
	get_into(r, e->spi_r, 8);
	get_endpoint(r, &e->local);
	get_endpoint(r, &e->remote);
	e->nat_local = get_u8(r);
	e->nat_remote = get_u8(r);
	e->peer_natd = get_u8(r);
	e->frag_announced = get_u8(r);
	e->frag_peer = get_u8(r);
	e->mobike = get_u8(r);
	e->peer_sig_hashes = get_u8(r);
	get_prop(r, &e->prop);
	e->encr = get_u16(r);
	e->encr_bits = get_u16(r);
	e->integ = get_u16(r);
	e->prf = get_u16(r);
	e->dh_group = get_u16(r);
	k->prf = get_u32(r);
	k->prf_len = get_bytes(r, k->sk_d, sizeof(k->sk_d));
	k->integ_len = get_bytes(r, k->sk_ai, sizeof(k->sk_ai));
	if (get_bytes(r, k->sk_ar, sizeof(k->sk_ar)) != k->integ_len)
		r->err = true;
	k->encr_len = get_bytes(r, k->sk_ei, sizeof(k->sk_ei));
	if (get_bytes(r, k->sk_er, sizeof(k->sk_er)) != k->encr_len ||
	    get_bytes(r, k->sk_pi, sizeof(k->sk_pi)) != k->prf_len ||
	    get_bytes(r, k->sk_pr, sizeof(k->sk_pr)) != k->prf_len)
		r->err = true;
	get_id(r, &e->id_local);
	get_id(r, &e->id_remote);
	e->mid_next = get_u32(r);
	e->mid_peer = get_u32(r);
	e->resp_valid = get_u8(r);
	e->resp_mid = get_u32(r);
	e->resp_hash = get_u64(r);
	e->resp = get_blob(r, &e->resp_len);
	e->req_exchange = get_u8(r);
	e->req_mid = get_u32(r);
	e->req = get_blob(r, &e->req_len);
	e->rekey_at = (int64_t)get_u64(r);
	e->over_at = (int64_t)get_u64(r);
	e->cp.nvip = get_addrs(r, e->cp.vip, CONF_MAX_VIPS);
	e->cp.vip_ifindex = get_u32(r);
	e->cp.ndns = get_addrs(r, e->cp.dns, 2 * POOL_MAX_DNS);
	e->cp.nlease = get_addrs(r, e->cp.lease, CONF_MAX_VIPS);
	get_str(r, e->cp.lease_who, sizeof(e->cp.lease_who));
	n = get_u32(r);
	if (r->err || n > 64) {
		r->err = true;
		return;
	}
	e->children = calloc(n + 1, sizeof(*e->children));
	if (!e->children) {
		r->err = true;
		return;
	}
	for (e->nchildren = 0; e->nchildren < n && !r->err; e->nchildren++)
		get_child(r, &e->children[e->nchildren]);
}

/* Why entry E cannot be adopted ("" when it can); claims its kernel SAs. */
static const char *check_entry(struct daemon *d, struct dev_sas *ds, const struct pentry *e,
			       const struct conn **cp, char *why, size_t whylen)
{
	const struct conn *c = config_find_conn(d->cfg, e->conn);
	uint32_t ifindex;

	*cp = c;
	if (!c)
		return snprintf(why, whylen, "connection %s is no longer configured", e->conn), why;
	if (c->fingerprint != e->fingerprint)
		return snprintf(why, whylen, "connection %s changed since (its config fingerprint "
				"differs)", e->conn), why;
	if (daemon_device(d, c->device, &ifindex))
		return snprintf(why, whylen, "no device %s: %.200s", c->device, d->kernel->error), why;
	for (size_t i = 0; i < e->nchildren; i++) {
		const struct pchild *pc = &e->children[i];
		struct kids *k = dev_sas_of(d, ds, pc->ifindex);
		bool found = false;

		for (size_t j = 0; j < c->nchildren; j++)
			found |= !strcmp(c->children[j].name, pc->name);
		if (!found)
			return snprintf(why, whylen, "connection %s has no CHILD_SA %s any more",
					e->conn, pc->name), why;
		if (pc->ifindex != ifindex || !k)
			return snprintf(why, whylen, "CHILD_SA %s was on ifindex %u, %s is %u now",
					pc->name, pc->ifindex, c->device, ifindex), why;
		if (pc->kid_in && !claim(k, pc->kid_in, KERNEL_IN, pc->spi_in))
			return snprintf(why, whylen, "kesp.ko has no inbound SA %08x (id %u) of "
					"CHILD_SA %s", pc->spi_in, pc->kid_in, pc->name), why;
		if (pc->kid_out && !claim(k, pc->kid_out, KERNEL_OUT, pc->spi_out))
			return snprintf(why, whylen, "kesp.ko has no outbound SA %08x (id %u) of "
					"CHILD_SA %s", pc->spi_out, pc->kid_out, pc->name), why;
	}
	if (ike_sa_find_spi(d, e->initiator ? e->spi_i : e->spi_r))
		return snprintf(why, whylen, "an IKE SA with our SPI exists already"), why;
	return "";
}

/* Gives back the kernel SAs check_entry claimed for E (it failed later). */
static void unclaim(struct dev_sas *ds, const struct pentry *e)
{
	for (size_t i = 0; i < e->nchildren; i++)
		for (size_t j = 0; j < ds->n; j++)
			for (size_t x = 0; x < ds->dev[j].n; x++)
				if (ds->dev[j].ifindex == e->children[i].ifindex &&
				    (ds->dev[j].v[x].id == e->children[i].kid_in ||
				     ds->dev[j].v[x].id == e->children[i].kid_out))
					ds->dev[j].claimed[x] = false;
}

static void adopt_child(struct ike_sa *sa, const struct pchild *pc)
{
	struct daemon *d = sa->d;
	const struct child_cfg *cc = NULL;
	struct child_sa *c;
	char algs[128];

	for (size_t j = 0; j < sa->conn->nchildren; j++)
		if (!strcmp(sa->conn->children[j].name, pc->name))
			cc = &sa->conn->children[j];
	c = cc ? child_sa_new(sa, cc) : NULL;
	if (!c)
		return;
	d->next_reqid--;	/* child_sa_new took one; the child keeps its own */
	c->reqid = pc->reqid;
	c->mode = pc->transport ? MODE_TRANSPORT : MODE_TUNNEL;
	c->ifindex = pc->ifindex;
	c->spi_in = pc->spi_in;
	c->spi_out = pc->spi_out;
	c->kid_in = pc->kid_in;
	c->kid_out = pc->kid_out;
	c->prop = pc->prop;
	memcpy(c->ts_local, pc->ts_local, sizeof(c->ts_local));
	memcpy(c->ts_remote, pc->ts_remote, sizeof(c->ts_remote));
	c->nts_local = pc->nts_local;
	c->nts_remote = pc->nts_remote;
	c->encap = pc->encap;
	memcpy(c->routes, pc->routes, pc->nroutes * sizeof(pc->routes[0]));
	c->nroutes = pc->nroutes;
	c->installed_at = d->now;
	c->we_initiated = pc->we_initiated;
	c->replaces = pc->replaces;
	memcpy(c->lo_nonce, pc->lo_nonce, pc->lo_nonce_len);
	c->lo_nonce_len = pc->lo_nonce_len;
	c->volume_set = pc->volume_set;
	c->soft_bytes = pc->soft_bytes;
	c->soft_packets = pc->soft_packets;
	c->updown_up = pc->updown_up;
	c->pcpu = pc->pcpu & 1;
	c->pcpu_fallback = pc->pcpu & 2;
	c->has_cpu = pc->pcpu & 4;
	c->pcpu_acquire = pc->pcpu & 8;
	c->cpu = pc->cpu;
	if (pc->installing) {
		/* Waiting for the old pair's DELETE: CHILD_SWITCH_MS from now. */
		memcpy(c->keymat, pc->keymat, pc->keymat_len);
		c->keymat_len = pc->keymat_len;
		c->state = CHILD_S_INSTALLING;
		timer_arm(d, &c->t_grace, CHILD_SWITCH_MS);
	} else {
		c->state = CHILD_S_INSTALLED;
		arm_at(d, &c->t_rekey, pc->rekey_at);
		arm_at(d, &c->t_expire, pc->expire_at);
	}
	sa_log(sa, LOG_CHD, 0, "CHILD_SA %s{%u} adopted: SPIs %08x_i %08x_o, %s%s", cc->name,
	       c->reqid, c->spi_in, c->spi_out, child_sa_algs(c, algs, sizeof(algs)),
	       c->state == CHILD_S_INSTALLING ? ", waiting for the old pair's DELETE" : "");
}

static void adopt(struct daemon *d, const struct conn *c, struct pentry *e)
{
	struct ike_sa *sa;
	char why[256], l[ENDPOINT_STRLEN], r[ENDPOINT_STRLEN], algs[160];
	struct task *t;

	sa = ike_sa_restore(d, e->initiator, &e->local, &e->remote,
			    e->initiator ? e->spi_i : e->spi_r, e->id);
	if (!sa) {
		log_msg(LOG_DMN, 0, "restart state: out of memory adopting %s", e->conn);
		return;
	}
	ike_sa_set_conn(sa, c);
	memcpy(sa->spi_i, e->spi_i, 8);
	memcpy(sa->spi_r, e->spi_r, 8);
	ike_sa_restore_done(sa);
	sa->nat_local = e->nat_local;
	sa->nat_remote = e->nat_remote;
	sa->peer_natd = e->peer_natd;
	sa->frag.announced = e->frag_announced;
	sa->frag.peer = e->frag_peer;
	sa->mobike = e->mobike & 1;
	sa->mobike_client = e->mobike >> 1 & 1;
	sa->peer_sig_hashes = e->peer_sig_hashes;
	sa->prop = e->prop;
	sa->encr = e->encr;
	sa->encr_bits = e->encr_bits;
	sa->integ = e->integ;
	sa->prf = e->prf;
	sa->dh_group = e->dh_group;
	sa->keys = e->keys;
	sa->id_local = e->id_local;
	sa->id_remote = e->id_remote;
	if (ike_sa_use_keys(sa, why, sizeof(why))) {
		ike_sa_fail(sa, "restart state: %s", why);
		return;
	}
	sa->mid_next = e->mid_next;
	sa->mid_peer = e->mid_peer;
	if (e->resp_valid && e->resp) {
		sa->resp.valid = true;
		sa->resp.mid = e->resp_mid;
		sa->resp.req_hash = e->resp_hash;
		sa->resp.pkt = e->resp;
		sa->resp.len = e->resp_len;
		e->resp = NULL;
	}
	sa->cp = e->cp;
	cp_adopt(sa);
	for (size_t i = e->nchildren; i-- > 0;)
		adopt_child(sa, &e->children[i]);
	sa->state = IKE_S_ESTABLISHED;
	sa->established = d->now;
	sa->last_rx = d->now;
	ike_sa_start_keepalives(sa);
	if (c->dpd_delay)
		timer_arm(d, &sa->t_dpd, c->dpd_delay * 1000ULL);
	arm_at(d, &sa->t_rekey, e->rekey_at);
	arm_at(d, &sa->t_over, e->over_at);
	sa_log(sa, LOG_IKE, 0, "IKE SA adopted after a restart: %s...%s %s, SPIs %016llx_i "
	       "%016llx_r, message ids: next request %u, peer's next %u, %zu CHILD_SA%s",
	       endpoint_str(&sa->local, l, sizeof(l)), endpoint_str(&sa->remote, r, sizeof(r)),
	       ike_sa_algs(sa, algs, sizeof(algs)), spi64(sa->spi_i), spi64(sa->spi_r),
	       sa->mid_next, sa->mid_peer, e->nchildren, e->nchildren == 1 ? "" : "s");
	if (e->req && e->req_mid == sa->mid_next) {
		int i = e->req_exchange == IKE_INFORMATIONAL ? 0 :
			e->req_exchange == IKE_CREATE_CHILD_SA ? 1 : 2;

		t = task_alloc(sizeof(struct resumed_task), &resumed_ops[i]);
		if (t) {
			snprintf(((struct resumed_task *)t)->name, sizeof(((struct resumed_task *)t)->name),
				 "%s", ike_exchange_name(e->req_exchange));
			exchange_resume(sa, t, e->req_mid, e->req, e->req_len);
			e->req = NULL;
		}
	}
}

/* ---- stale kernel SAs ---------------------------------------------------- */

static void stale_due(struct daemon *d, struct timer *t);

/* Removes the stale SAs of connection CONN (NULL: any) in direction DIR
 * (0: both) whose time has come (ALL: whatever their time). */
static void stale_sweep(struct daemon *d, const char *conn, enum kernel_dir dir, bool all,
			const char *why)
{
	struct persist *p = d->persist;
	struct stale_sa **pp = &p->stale;
	uint64_t next = UINT64_MAX;
	size_t n = 0;

	while (*pp) {
		struct stale_sa *s = *pp;

		if ((conn && strcmp(s->conn, conn)) || (dir && s->dir != dir) ||
		    (!all && s->until > d->now)) {
			if (s->until < next)
				next = s->until;
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		if (d->kernel->ops->sa_del(d->kernel, s->ifindex, s->id))
			log_msg(LOG_KNL, 1, "restart state: removing stale SA %08x: %s", s->spi,
				d->kernel->error);
		n++;
		free(s);
	}
	if (n)
		log_msg(LOG_KNL, 0, "restart state: %zu stale kernel SA%s%s%s removed: %s", n,
			n == 1 ? "" : "s", conn ? " of connection " : "", conn ? conn : "", why);
	timer_cancel(d, &p->t_stale);
	if (p->stale) {
		p->t_stale.fn = stale_due;
		timer_arm(d, &p->t_stale, next > d->now ? next - d->now : 0);
	}
}

static void stale_due(struct daemon *d, struct timer *t)
{
	(void)t;
	stale_sweep(d, NULL, 0, false, "their grace ended, or their connections did not come "
		    "up again in time");
}

bool persist_restarting(const struct daemon *d)
{
	return d->persist && d->persist->stale;
}

void persist_child_up(struct child_sa *c)
{
	struct daemon *d = c->ike->d;
	size_t stale_out = 0, up = 0;

	if (!d->persist || !d->persist->stale || !c->ike->conn)
		return;
	for (struct stale_sa *s = d->persist->stale; s; s = s->next)
		stale_out += s->dir == KERNEL_OUT && !strcmp(s->conn, c->ike->conn->name);
	if (!stale_out)
		return;
	for (struct child_sa *x = c->ike->children; x; x = x->next)
		up += x->state == CHILD_S_INSTALLED || x == c;
	if (up < stale_out)
		return;
	/* As after a rekey: the new outbound SAs take over now, the old
	 * inbound ones stay CHILD_GRACE_MS for packets already under way. */
	stale_sweep(d, c->ike->conn->name, KERNEL_OUT, true, "the tunnel is up again with new SAs");
	for (struct stale_sa *s = d->persist->stale; s; s = s->next)
		if (!strcmp(s->conn, c->ike->conn->name) && s->until > d->now + CHILD_GRACE_MS)
			s->until = d->now + CHILD_GRACE_MS;
	stale_sweep(d, c->ike->conn->name, 0, false, "");
}

/* The connection whose tunnel SRC -> DST is (an outbound SA of ours). */
static const struct conn *conn_of(struct daemon *d, const struct addr *src, const struct addr *dst)
{
	const struct conn *out[8];

	return policy_conns_for(d, src, dst, out, 8) ? out[0] : NULL;
}

static void stale_collect(struct daemon *d, struct dev_sas *ds)
{
	struct persist *p = d->persist;
	size_t n = 0;

	for (size_t i = 0; i < d->ndevices; i++)
		dev_sas_of(d, ds, d->devices[i].ifindex);
	for (size_t i = 0; i < ds->n; i++)
		for (size_t j = 0; j < ds->dev[i].n; j++) {
			const struct kernel_sa_id *id = &ds->dev[i].v[j];
			struct stale_sa *s;

			if (ds->dev[i].claimed[j] || !(s = calloc(1, sizeof(*s))))
				continue;
			s->ifindex = ds->dev[i].ifindex;
			s->id = id->id;
			s->spi = id->spi;
			s->dir = id->dir;
			s->src = id->src;
			s->dst = id->dst;
			s->until = d->now + PERSIST_STALE_MS;
			s->next = p->stale;
			p->stale = s;
			n++;
			/* New CHILD_SAs take reqids above every one in use. */
			if (id->reqid > d->next_reqid)
				d->next_reqid = id->reqid;
		}
	/* Which connection each belongs to, by the outbound SA of its pair. */
	for (struct stale_sa *s = p->stale; s; s = s->next) {
		const struct conn *c = NULL;

		if (s->dir == KERNEL_OUT)
			c = conn_of(d, &s->src, &s->dst);
		else
			c = conn_of(d, &s->dst, &s->src);
		if (c)
			snprintf(s->conn, sizeof(s->conn), "%s", c->name);
	}
	if (n)
		log_msg(LOG_KNL, 0, "restart state: kesp.ko holds %zu SA%s no adopted CHILD_SA "
			"claims", n, n == 1 ? "" : "s");
}

/* Negotiates again every connection with a stale SA (make-before-break). */
static void stale_renegotiate(struct daemon *d)
{
	struct persist *p = d->persist;
	char why[256];

	for (size_t i = 0; i < d->cfg->nconns; i++) {
		const struct conn *c = d->cfg->conns[i];
		struct ike_sa *sa;
		size_t n = 0;

		for (struct stale_sa *s = p->stale; s; s = s->next)
			n += s->dir == KERNEL_OUT && !strcmp(s->conn, c->name);
		if (!n || daemon_find_sa_for_conn(d, c))
			continue;
		sa = daemon_initiate(d, c, NULL, NULL, why, sizeof(why));
		if (!sa) {
			log_msg(LOG_DMN, 0, "restart state: cannot negotiate %s again (%s): its "
				"stale SAs stay until the peer does", c->name, why);
			continue;
		}
		sa_log(sa, LOG_IKE, 0, "negotiating again: %zu tunnel%s of connection %s not "
		       "adopted; their old SAs stay until the new ones are in", n,
		       n == 1 ? "" : "s", c->name);
		for (size_t j = 1; j < c->nchildren && j < n; j++) {
			struct task *t = create_child_task_new(&c->children[j], NULL);

			if (t)
				exchange_queue(sa, t);
		}
	}
	/* Stale SAs of no connection: nothing will replace them. */
	stale_sweep(d, "", 0, true, "no configured connection has their addresses");
}

/* ---- start --------------------------------------------------------------- */

/* Reads and checks the whole file into BUF; NULL with the reason in WHY. */
static uint8_t *read_file(struct persist *p, size_t *len, char *why, size_t whylen)
{
	int fd = open(p->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	uint8_t *buf = NULL, m[PERSIST_MAC_LEN];
	struct rbuf r;
	uint32_t version, body;

	*len = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			why[0] = 0;
		else
			snprintf(why, whylen, "cannot open it: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > PERSIST_MAX) {
		snprintf(why, whylen, "not a regular file of at most %u bytes", PERSIST_MAX);
		goto fail;
	}
	if (st.st_mode & 077)
		log_msg(LOG_DMN, 0, "restart state: %s is readable by others (mode %03o)", p->path,
			(unsigned int)(st.st_mode & 0777));
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	for (*len = 0; *len < (size_t)st.st_size;) {
		ssize_t n = read(fd, buf + *len, (size_t)st.st_size - *len);

		if (n <= 0) {
			snprintf(why, whylen, "cannot read it: %s", n ? strerror(errno) : "short");
			goto fail;
		}
		*len += (size_t)n;
	}
	close(fd);
	fd = -1;
	r = (struct rbuf){ buf, *len, 0, false };
	if (*len < PERSIST_HDR_LEN + PERSIST_MAC_LEN || memcmp(get(&r, 8), PERSIST_MAGIC, 8)) {
		snprintf(why, whylen, "not an ikehelper state file (format error: no header)");
		goto fail;
	}
	version = get_u32(&r);
	if (version != PERSIST_VERSION) {
		snprintf(why, whylen, "bad version: %u, this ikehelper reads version %u", version,
			 PERSIST_VERSION);
		goto fail;
	}
	get_u64(&r);
	body = get_u32(&r);
	if ((size_t)body != *len - PERSIST_HDR_LEN - PERSIST_MAC_LEN) {
		snprintf(why, whylen, "format error: %zu bytes, its header says %u of entries",
			 *len, body);
		goto fail;
	}
	if (mac(p, buf, *len - PERSIST_MAC_LEN, m) ||
	    gnutls_memcmp(m, buf + *len - PERSIST_MAC_LEN, PERSIST_MAC_LEN)) {
		snprintf(why, whylen, "MAC error: the file is corrupted, was tampered with, or was "
			 "written with another %s", PERSIST_KEY_FILE);
		goto fail;
	}
	*len -= PERSIST_MAC_LEN;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	if (buf) {
		ike_wipe(buf, (size_t)st.st_size);
		free(buf);
	}
	*len = 0;
	return NULL;
}

void persist_adopt(struct daemon *d)
{
	struct persist *p = d->persist;
	struct dev_sas ds = { 0 };
	char why[512];
	uint8_t *buf;
	size_t len, adopted = 0, discarded = 0;
	uint32_t n = 0, next_reqid = 0;
	struct rbuf r = { 0 };

	if (!p)
		return;
	/* Every device of the config, so that stale SAs on any are found. */
	for (size_t i = 0; i < d->cfg->nconns; i++) {
		uint32_t ifindex;

		daemon_device(d, d->cfg->conns[i]->device, &ifindex);
	}
	buf = read_file(p, &len, why, sizeof(why));
	if (!buf && !why[0]) {
		log_msg(LOG_DMN, 1, "restart state: no %s: nothing to adopt", p->path);
	} else if (!buf) {
		log_msg(LOG_DMN, 0, "restart state: %s discarded: %s; every tunnel with SAs in "
			"kesp.ko is negotiated again", p->path, why);
	} else {
		r = (struct rbuf){ buf, len, PERSIST_HDR_LEN, false };
		n = get_u32(&r);
		next_reqid = get_u32(&r);
		if (n > 1u << 20)
			r.err = true;
	}
	for (uint32_t i = 0; i < n && !r.err; i++) {
		struct pentry *e = calloc(1, sizeof(*e));
		const struct conn *c;
		const char *bad;

		if (!e)
			break;
		get_entry(&r, e);
		if (r.err) {
			log_msg(LOG_DMN, 0, "restart state: entry %u of %s discarded: format error "
				"at byte %zu", i + 1, p->path, r.off);
			pentry_free(e);
			free(e);
			discarded++;
			break;
		}
		bad = check_entry(d, &ds, e, &c, why, sizeof(why));
		if (bad[0]) {
			unclaim(&ds, e);
			log_msg(LOG_DMN, 0, "restart state: IKE SA %s[%llu] (SPIs %016llx_i "
				"%016llx_r) discarded: %s", e->conn, (unsigned long long)e->id,
				spi64(e->spi_i), spi64(e->spi_r), bad);
			discarded++;
		} else {
			if (e->id > d->next_sa_id)
				d->next_sa_id = e->id;
			adopt(d, c, e);
			adopted++;
		}
		pentry_free(e);
		free(e);
	}
	if (next_reqid > d->next_reqid)
		d->next_reqid = next_reqid;
	if (buf) {
		ike_wipe(buf, len);
		free(buf);
		log_msg(LOG_DMN, 0, "restart state: %zu IKE SA%s adopted, %zu discarded", adopted,
			adopted == 1 ? "" : "s", discarded);
	}
	stale_collect(d, &ds);
	dev_sas_free(&ds);
	stale_renegotiate(d);
	p->dirty = true;
}

void persist_close(struct daemon *d)
{
	struct persist *p = d->persist;

	if (!p)
		return;
	while (p->stale) {
		struct stale_sa *s = p->stale;

		p->stale = s->next;
		free(s);
	}
	if (p->t_stale.fn)
		timer_cancel(d, &p->t_stale);
	ike_wipe(p, sizeof(*p));
	free(p);
	d->persist = NULL;
}
