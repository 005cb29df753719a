/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records and events for control clients (events.c).
 *
 * A record is one line "KIND k=v k=v ...": values %XX-escaped outside
 * [A-Za-z0-9._:/@+-], so a line always splits on spaces and '='. The
 * control socket answers "list" with "ike ..." and "child ..." records and
 * streams "event type=... ..." records to "monitor" clients.
 *
 * Events (the type= field):
 *   ike-up, ike-down (reason=), ike-rekeyed (old_id=), ike-failed (reason=)
 *   child-up, child-down (reason=), child-rekeyed (old_spi_in=, old_spi_out=)
 *   lost (count=: events this client missed because it read too slowly)
 * Nothing secret is ever in a record: names, identities, addresses, SPIs,
 * algorithm names, counters and times only.
 *
 * A subscriber's socket is non-blocking and its events queue in a buffer
 * of EVENT_QUEUE_MAX bytes: a client that does not read never stops the
 * daemon; once its queue is full, events are dropped and counted, and the
 * client gets "event type=lost count=N" before the next one that fits.
 */
#ifndef KESP_EVENTS_H
#define KESP_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ike_sa;
struct child_sa;
struct daemon;

#define REC_MAX 4096

struct rec {
	char buf[REC_MAX];
	size_t len;
};

void rec_init(struct rec *r, const char *kind);
void rec_put(struct rec *r, const char *key, const char *value);
void rec_putf(struct rec *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The fields that name an IKE SA / a CHILD_SA. */
void rec_ike(struct rec *r, const struct ike_sa *sa);
void rec_child(struct rec *r, const struct child_sa *c);

/* Publishes an event of TYPE about SA (and C, when not NULL), with REASON
 * (may be NULL) and one extra K=V (may be NULL), if anyone listens. */
void daemon_event(struct daemon *d, const char *type, const struct ike_sa *sa,
		  const struct child_sa *c, const char *reason, const char *k, const char *v);

#define EVENT_QUEUE_MAX 65536

struct event_sub {
	int fd;			/* non-blocking */
	char *buf;		/* queued, unsent bytes */
	size_t len;
	uint64_t lost;		/* dropped since the last "lost" event */
	uint64_t lost_total;
};

void event_sub_init(struct event_sub *s, int fd);
void event_sub_free(struct event_sub *s);
/* Queues LINE (no newline) and sends what the socket takes now; never
 * blocks. -1: the client is gone (close it). */
int event_sub_push(struct event_sub *s, const char *line);
/* Sends what is queued (the socket became writable). -1: gone. */
int event_sub_flush(struct event_sub *s);
/* Whether bytes wait for the socket (then watch it for EPOLLOUT). */
bool event_sub_pending(const struct event_sub *s);

#endif /* KESP_EVENTS_H */
