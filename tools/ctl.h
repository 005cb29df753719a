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
	bool nl_open;
	struct kesp_nl nl;
};

/* The run's connection; NULL after printing why there is none. */
struct kesp_nl *ctl_nl(struct ctl *c);
/* Closes the connection, if one was opened. */
void ctl_end(struct ctl *c);

#endif /* KESP_CTL_H */
