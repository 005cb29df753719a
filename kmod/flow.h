/* SPDX-License-Identifier: GPL-2.0 */
/* What a packet routed into a device offers to selectors (flow.c). */
#ifndef KESP_FLOW_H
#define KESP_FLOW_H

#include <linux/skbuff.h>

#include "selector.h"

bool kesp_flow_from_skb(struct sk_buff *skb, struct kesp_flow *flow);
struct sk_buff *kesp_flow_whole_datagram(struct sk_buff *skb,
					 bool *reassembled);

#endif /* KESP_FLOW_H */
