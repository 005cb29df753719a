/* SPDX-License-Identifier: GPL-2.0 */
/* kespctl ike: ikehelper's control socket (see ike.c). */
#ifndef KESP_IKE_CMD_H
#define KESP_IKE_CMD_H

#include "ctl.h"

/* ARGV: the words after "ike". Exit status: 0, 1 (ikehelper said no or
 * could not be reached), 2 (usage). */
int cmd_ike(struct ctl *c, int argc, char **argv);

#endif /* KESP_IKE_CMD_H */
