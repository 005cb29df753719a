/* SPDX-License-Identifier: GPL-2.0 */
/* kespctl trap: trap selectors, and how ACQUIRE events print. */
#ifndef KESP_TRAP_H
#define KESP_TRAP_H

#include <stdbool.h>
#include <netlink/msg.h>

#include "ctl.h"
#include "sa.h"

/* Runs "kespctl trap ARGV..."; returns the exit status. */
int cmd_trap(struct ctl *c, int argc, char **argv);
/* Prints a KESP_CMD_TRAP_GET reply; an on_reply for kesp_nl_call(). */
int trap_print_reply(struct nl_msg *msg, void *printer);
/* Prints a KESP_CMD_ACQUIRE event. Returns 0, or -1 if malformed. */
int trap_print_acquire(struct nl_msg *msg, struct sa_printer *p);

#endif /* KESP_TRAP_H */
