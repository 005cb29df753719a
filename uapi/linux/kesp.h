/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kesp: route-based ESP (RFC 4303) in a loadable module.
 *
 * This is the one interface shared by kesp.ko, ikehelper and kespctl: the
 * generic netlink family "kesp". Every command needs CAP_NET_ADMIN in the
 * network namespace of the socket; every failure carries an extack message.
 * Unknown flag bits are refused with -EOPNOTSUPP so they can be given meaning
 * later without breaking old binaries.
 *
 * KESP_CMD_DEV_GET
 * ----------------
 *   Describes kesp devices of the caller's network namespace. As a doit it
 *   takes exactly one of the two selectors below; as a dump (NLM_F_DUMP) it
 *   takes none and lists every kesp device of the namespace.
 *
 *   Request:
 *     KESP_DEV_A_IFINDEX: NLA_U32
 *     KESP_DEV_A_IFNAME: NLA_NUL_STRING, maxlen IFNAMSIZ - 1
 *
 *   Reply (one message per device):
 *     KESP_DEV_A_IFINDEX: NLA_U32
 *     KESP_DEV_A_IFNAME: NLA_NUL_STRING
 *     KESP_DEV_A_MTU: NLA_U32
 *     KESP_DEV_A_UNDERLAY_NETNSID: NLA_S32, the id (as seen from the
 *         caller's namespace) of the namespace the device was created in,
 *         where its outer packets are sent; absent when that is the
 *         caller's own namespace
 *
 * Multicast group KESP_MCGRP_EVENTS carries SA events (expiry, acquire,
 * mapping changes); its messages are documented with their commands.
 */
#ifndef _UAPI_LINUX_KESP_H
#define _UAPI_LINUX_KESP_H

#define KESP_GENL_NAME "kesp"
#define KESP_GENL_VERSION 1

#define KESP_MCGRP_EVENTS "events"

enum kesp_cmd {
	KESP_CMD_UNSPEC,
	KESP_CMD_DEV_GET,
	__KESP_CMD_LAST
};
#define KESP_CMD_MAX (__KESP_CMD_LAST - 1)

enum kesp_dev_attr {
	KESP_DEV_A_UNSPEC,
	KESP_DEV_A_IFINDEX,
	KESP_DEV_A_IFNAME,
	KESP_DEV_A_MTU,
	KESP_DEV_A_UNDERLAY_NETNSID,
	__KESP_DEV_A_LAST
};
#define KESP_DEV_A_MAX (__KESP_DEV_A_LAST - 1)

#endif /* _UAPI_LINUX_KESP_H */
