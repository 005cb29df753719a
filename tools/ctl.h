/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every kespctl command shares: the options of the run and its one
 * connection to the kesp family, opened when a command first needs it and
 * kept for the rest of the run (a -batch resolves the family once).
 */
#ifndef KESP_CTL_H
#define KESP_CTL_H

#include <stdbool.h>

#include "kesp_nl.h"

#define EXIT_KERNEL 1
#define EXIT_USAGE 2

struct ctl {
	bool json;		/* --json */
	bool batch;		/* lines of a -batch, not one command */
	/*
	 * Standard output is /dev/null: the SA that sa add and sa update
	 * answer with is not formatted for it (in a -batch of many SAs the
	 * formatting cost more than the rest of the tool).
	 */
	bool output_discarded;
	/*
	 * -batch -force: the requests of sa add, update and del lines whose
	 * answer nothing prints are queued and sent KESP_NL_IN_FLIGHT_MAX
	 * at a time in one datagram, their outcomes read together (what
	 * made kespctl slower than raw netlink was mostly the round trip per
	 * line). Each failure is still reported with its line, in order.
	 * Without -force a line must not reach the kernel before the one
	 * above it is known to have succeeded, so every line waits.
	 */
	bool pipeline;
	/* The line being run ("FILE:LINE"), NULL outside a -batch. */
	const char *where;
	/* The highest exit status of the queued lines that have failed. */
	int pipeline_status;
	/* The queued lines not answered yet (freed by ctl_end if never). */
	struct queued_line *queued;
	bool nl_open;
	struct kesp_nl nl;
};

/*
 * Every failure is one line on stderr, in one format:
 *
 *   kespctl: [WHAT: ]MESSAGE[ (see kespctl help)]
 *
 * WHAT names what failed as the user typed it ("sa add", "encap listen",
 * "dev kesp0", "FILE:LINE"), or is NULL. Usage errors end with the hint
 * and exit 2; the kernel's refusals carry its extended-ack message and
 * the errno's text, and exit 1.
 */
__attribute__((format(printf, 2, 3)))
void ctl_error(const char *what, const char *fmt, ...);
/* A usage error (with the hint); returns EXIT_USAGE. */
__attribute__((format(printf, 2, 3)))
int ctl_usage(const char *what, const char *fmt, ...);
/*
 * The kernel refused or failed (ERR, a negative errno): "MESSAGE
 * (STRERROR)" with the message NL holds, else "STRERROR"; returns
 * EXIT_KERNEL.
 */
int ctl_kernel_error(const struct kesp_nl *nl, const char *what, int err);

/* The run's connection; NULL after printing why there is none. */
struct kesp_nl *ctl_nl(struct ctl *c);
/*
 * Moves the process into the network namespace NAME (/run/netns/NAME,
 * or a path when NAME holds a '/'); 0, or the exit status after saying why.
 */
int ctl_enter_netns(const char *name);
/*
 * Waits for every queued line's outcome (reporting the failures) and
 * returns the highest exit status of the queued lines so far, 0 if none
 * failed. Called before anything else is run or reported, so that what
 * is printed keeps the order of the lines.
 */
int ctl_settle(struct ctl *c);
/* Queues REQ (consumed) for the current line as WHAT (see ctl.pipeline). */
int ctl_queue(struct ctl *c, struct nl_msg *req, const char *what);
/* Whether standard output is /dev/null. */
bool ctl_stdout_discarded(void);
/* Closes the connection, if one was opened. */
void ctl_end(struct ctl *c);

#endif /* KESP_CTL_H */
