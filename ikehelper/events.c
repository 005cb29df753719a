// SPDX-License-Identifier: GPL-2.0
/* Records and events for control clients (see events.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "events.h"

void rec_init(struct rec *r, const char *kind)
{
	r->len = (size_t)snprintf(r->buf, sizeof(r->buf), "%s", kind);
}

void rec_put(struct rec *r, const char *key, const char *value)
{
	static const char hex[] = "0123456789abcdef";
	size_t need = strlen(key) + 2 + 3 * strlen(value);

	if (r->len + need + 1 >= sizeof(r->buf))
		return;
	r->len += (size_t)sprintf(r->buf + r->len, " %s=", key);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("._:/@+-", *p)) {
			r->buf[r->len++] = (char)*p;
		} else {
			r->buf[r->len++] = '%';
			r->buf[r->len++] = hex[*p >> 4];
			r->buf[r->len++] = hex[*p & 15];
		}
	}
	r->buf[r->len] = '\0';
}

void rec_putf(struct rec *r, const char *key, const char *fmt, ...)
{
	char v[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	rec_put(r, key, v);
}

static const char *hex8(const uint8_t *p, char *buf)
{
	for (int i = 0; i < 8; i++)
		sprintf(buf + 2 * i, "%02x", p[i]);
	return buf;
}

void rec_ike(struct rec *r, const struct ike_sa *sa)
{
	char buf[IKE_ID_STRLEN], h[17];

	rec_put(r, "name", sa->conn ? sa->conn->name : "");
	rec_putf(r, "id", "%llu", (unsigned long long)sa->id);
	rec_put(r, "local", endpoint_str(&sa->local, buf, sizeof(buf)));
	rec_put(r, "remote", endpoint_str(&sa->remote, buf, sizeof(buf)));
	rec_put(r, "local_id", sa->id_local.type || sa->id_local.len ?
		id_str(&sa->id_local, buf, sizeof(buf)) : "");
	rec_put(r, "remote_id", sa->id_remote.type || sa->id_remote.len ?
		id_str(&sa->id_remote, buf, sizeof(buf)) : "");
	rec_put(r, "spi_i", hex8(sa->spi_i, h));
	rec_put(r, "spi_r", hex8(sa->spi_r, h));
}

void rec_child(struct rec *r, const struct child_sa *c)
{
	rec_put(r, "child", c->cfg->name);
	rec_putf(r, "reqid", "%u", c->reqid);
	rec_putf(r, "spi_in", "%08x", c->spi_in);
	rec_putf(r, "spi_out", "%08x", c->spi_out);
}

void daemon_event(struct daemon *d, const char *type, const struct ike_sa *sa,
		  const struct child_sa *c, const char *reason, const char *k, const char *v)
{
	struct rec r;

	if (!d->on_event)
		return;
	rec_init(&r, "event");
	rec_put(&r, "type", type);
	if (sa)
		rec_ike(&r, sa);
	if (c)
		rec_child(&r, c);
	if (k && v)
		rec_put(&r, k, v);
	if (reason)
		rec_put(&r, "reason", reason);
	d->on_event(d->event_ctx, r.buf);
}

/* ---- subscribers ---------------------------------------------------------- */

void event_sub_init(struct event_sub *s, int fd)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
}

void event_sub_free(struct event_sub *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = 0;
}

bool event_sub_pending(const struct event_sub *s)
{
	return s->len > 0;
}

static bool queue(struct event_sub *s, const char *line)
{
	size_t n = strlen(line);

	if (s->len + n + 1 > EVENT_QUEUE_MAX)
		return false;
	if (!s->buf) {
		s->buf = malloc(EVENT_QUEUE_MAX);
		if (!s->buf)
			return false;
	}
	memcpy(s->buf + s->len, line, n);
	s->buf[s->len + n] = '\n';
	s->len += n + 1;
	return true;
}

/* A "lost" record first when events were dropped and it fits now. */
static void queue_lost(struct event_sub *s)
{
	char line[64];

	if (!s->lost)
		return;
	snprintf(line, sizeof(line), "event type=lost count=%llu", (unsigned long long)s->lost);
	if (queue(s, line))
		s->lost = 0;
}

int event_sub_flush(struct event_sub *s)
{
	while (s->len) {
		ssize_t n = write(s->fd, s->buf, s->len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		memmove(s->buf, s->buf + n, s->len - (size_t)n);
		s->len -= (size_t)n;
		if (!s->len)
			queue_lost(s);
	}
	return 0;
}

int event_sub_push(struct event_sub *s, const char *line)
{
	queue_lost(s);
	if (s->lost || !queue(s, line)) {
		s->lost++;
		s->lost_total++;
	}
	return event_sub_flush(s);
}
