/* SPDX-License-Identifier: GPL-2.0 */
/* service.c: what ikehelper does for the service manager. */
#ifndef KESP_SERVICE_H
#define KESP_SERVICE_H

#include <stddef.h>

/* Sends STATE ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET; 0 when there is
 * none (not started by systemd), -errno if the datagram did not go. */
int service_notify(const char *state);

/* Keeps CAP_NET_ADMIN (effective and permitted) and nothing else; the
 * bounding set too when CAP_SETPCAP allows it. -1 with a reason in WHY. */
int service_drop_capabilities(char *why, size_t whylen);

#endif /* KESP_SERVICE_H */
