/* SPDX-License-Identifier: GPL-2.0 */
/* Inbound SPIs and their reservations (spi.c). */
#ifndef KESP_SPI_H
#define KESP_SPI_H

#include "device.h"

int kesp_spi_alloc(struct kesp_device *kd, u32 min, u32 max, u32 *spi,
		   struct netlink_ext_ack *extack);
void kesp_spi_taken(struct kesp_net *kn, u32 spi);
void kesp_spi_device_flush(struct kesp_device *kd);
int kesp_spi_net_init(struct kesp_net *kn);
void kesp_spi_net_exit(struct kesp_net *kn);

#endif /* KESP_SPI_H */
