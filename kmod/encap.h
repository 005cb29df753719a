/* SPDX-License-Identifier: GPL-2.0 */
/* ESP in UDP on sockets attached to a device (encap.c). */
#ifndef KESP_ENCAP_H
#define KESP_ENCAP_H

#include "device.h"

int kesp_encap_attach(struct kesp_device *kd, int fd,
		      struct netlink_ext_ack *extack);
void kesp_encap_detach(struct kesp_device *kd, int family);
u16 kesp_encap_port(struct kesp_device *kd, int family);
int kesp_encap_check_port(struct kesp_device *kd, int family, u8 dir,
			  u16 sport, u16 dport, struct netlink_ext_ack *extack);

#endif /* KESP_ENCAP_H */
