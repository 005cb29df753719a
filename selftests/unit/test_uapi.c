// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi header is an ABI: numbers already published must never move.
 * These pin them, so a reordering is caught here rather than by a user
 * whose old kespctl talks to a new module.
 */
#include <linux/genetlink.h>
#include <linux/kesp.h>

#include "tap.h"

int main(void)
{
	TAP_EQ_STR(KESP_GENL_NAME, "kesp", "family name");
	tap_ok(sizeof(KESP_GENL_NAME) <= GENL_NAMSIZ, "family name fits GENL_NAMSIZ");
	TAP_EQ_INT(KESP_GENL_VERSION, 2, "family version");
	tap_ok(sizeof(KESP_MCGRP_EVENTS) <= GENL_NAMSIZ, "multicast group name fits GENL_NAMSIZ");
	TAP_EQ_INT(KESP_CMD_DEV_GET, 1, "KESP_CMD_DEV_GET number");
	TAP_EQ_INT(KESP_DEV_A_IFINDEX, 1, "KESP_DEV_A_IFINDEX number");
	TAP_EQ_INT(KESP_DEV_A_IFNAME, 2, "KESP_DEV_A_IFNAME number");
	TAP_EQ_INT(KESP_DEV_A_MTU, 3, "KESP_DEV_A_MTU number");
	TAP_EQ_INT(KESP_DEV_A_UNDERLAY_NETNSID, 4, "KESP_DEV_A_UNDERLAY_NETNSID number");
	TAP_EQ_INT(KESP_DEV_A_MAX, __KESP_DEV_A_LAST - 1, "KESP_DEV_A_MAX is the last attribute");
	return tap_done();
}
