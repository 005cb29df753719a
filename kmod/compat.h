/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels kesp builds against (6.1 and 6.12 today),
 * each behind a named feature test. Force-included into every file by Kbuild
 * so the core code carries no version conditionals.
 *
 * Debian's stable kernels carry backports, so these probe for the feature
 * itself (a macro or a flag that exists) rather than trusting a version.
 */
#ifndef KESP_COMPAT_H
#define KESP_COMPAT_H

#include <linux/netdevice.h>
#include <linux/netlink.h>

/* get_unaligned_be32() and friends moved to linux/unaligned.h in 6.12. */
#ifdef COMPAT_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* skb_gso_segment() moved from linux/netdevice.h to net/gso.h in 6.4. */
#ifdef COMPAT_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

/* 6.12 made lockless transmit a device field instead of a feature bit. */
#ifdef NETIF_F_LLTX
static inline void compat_set_lltx(struct net_device *dev)
{
	dev->features |= NETIF_F_LLTX;
}
#else
static inline void compat_set_lltx(struct net_device *dev)
{
	dev->lltx = true;
}
#endif

/*
 * Async crypto completion callbacks: declare with COMPAT_CRYPTO_DONE_ARG(x)
 * and recover the request's data pointer with compat_crypto_done_data(x).
 */
#ifdef COMPAT_CRYPTO_DONE_TAKES_DATA
#define COMPAT_CRYPTO_DONE_ARG(x) void *x
#define compat_crypto_done_data(x) (x)
#else
#define COMPAT_CRYPTO_DONE_ARG(x) struct crypto_async_request *x
#define compat_crypto_done_data(x) ((x)->data)
#endif

#endif /* KESP_COMPAT_H */
