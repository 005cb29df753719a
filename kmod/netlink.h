/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink family "kesp" (uapi/linux/kesp.h), one file per
 * object: netlink.c (the family, its operations, what every handler
 * shares), nl_attrs.c (attribute sets several objects use), nl_dev.c
 * (devices and their UDP sockets), nl_sa.c (SAs and SPIs), nl_trap.c
 * (traps) and nl_event.c (the events group). The first part of this
 * header is for the rest of the module, the second for those files.
 */
#ifndef KESP_NETLINK_H
#define KESP_NETLINK_H

#include <linux/kesp.h>
#include <net/genetlink.h>

#include "sad.h"
#include "trap.h"

struct kesp_alg_params;

int kesp_netlink_init(void);
void kesp_netlink_uninit(void);
void kesp_nl_notify_expire(struct kesp_sa *sa, bool hard, u8 reason);
void kesp_nl_notify_mapping(struct kesp_sa *sa, u8 family,
			    const union kesp_addr *addr, __be16 port);
void kesp_nl_notify_acquire(const struct kesp_trap *trap,
			    const struct kesp_flow *flow);
void kesp_nl_notify_pcpu_acquire(const struct kesp_sa *sa,
				 const struct kesp_flow *flow);

/* ---- within the family -------------------------------------------------- */

extern struct genl_family kesp_nl_family;

/* Request policies: each command's (nl_dev.c, nl_sa.c, nl_trap.c) ... */
extern const struct nla_policy kesp_nl_dev_policy[KESP_DEV_A_MAX + 1];
extern const struct nla_policy kesp_nl_sa_policy[KESP_SA_A_MAX + 1];
extern const struct nla_policy kesp_nl_trap_policy[KESP_TRAP_A_MAX + 1];
/* ... and the nests they share (nl_attrs.c). */
extern const struct nla_policy kesp_nl_encap_policy[KESP_ENCAP_A_MAX + 1];
extern const struct nla_policy kesp_nl_alg_policy[KESP_ALG_A_MAX + 1];
extern const struct nla_policy kesp_nl_lft_policy[KESP_LFT_A_MAX + 1];
extern const struct nla_policy kesp_nl_sel_policy[KESP_SEL_A_MAX + 1];

/* netlink.c */
struct net_device *kesp_nl_lookup_dev(struct net *net, struct nlattr *index,
				      struct nlattr *name,
				      struct netlink_ext_ack *extack);
struct net_device *kesp_nl_ifindex_dev(struct genl_info *info, int type);
struct net_device *kesp_nl_next_dev(struct net *net, int from);
int kesp_nl_dump_each_dev(struct sk_buff *skb, struct netlink_callback *cb,
			  int (*dump_dev)(struct sk_buff *skb,
					  struct netlink_callback *cb,
					  struct kesp_device *kd));

/* nl_attrs.c */
int kesp_nl_put_addr(struct sk_buff *skb, int type, const union kesp_addr *a,
		     u8 family);
int kesp_nl_put_alg(struct sk_buff *skb, int type, const char *name,
		    u32 icv_bits);
int kesp_nl_put_lifetime(struct sk_buff *skb, const struct kesp_lifetime *l);
int kesp_nl_put_one_selector(struct sk_buff *skb, int type,
			     const struct kesp_sel *sel);
int kesp_nl_parse_addr(struct nlattr *attr, union kesp_addr *addr, u8 *family,
		       struct netlink_ext_ack *extack);
int kesp_nl_parse_endpoints(struct nlattr **attrs, union kesp_addr *src,
			    union kesp_addr *dst, u8 *family,
			    struct netlink_ext_ack *extack);
int kesp_nl_parse_one_selector(struct nlattr *nest, struct kesp_sel *sel,
			       struct netlink_ext_ack *extack);
int kesp_nl_parse_selectors(struct nlattr *nest, u8 only_family,
			    struct kesp_sel_set **out,
			    struct netlink_ext_ack *extack);
int kesp_nl_parse_lifetime(struct nlattr *nest, struct kesp_lifetime *l,
			   struct netlink_ext_ack *extack);
int kesp_nl_parse_algs(struct nlattr **attrs, struct kesp_alg_params *alg,
		       struct netlink_ext_ack *extack);
void kesp_nl_wipe_keys(struct nlattr **attrs);
int kesp_nl_parse_encap(struct nlattr *nest, u8 *type, u16 *sport, u16 *dport,
			struct netlink_ext_ack *extack);

/* The family a transport-mode SA is limited to; 0 for tunnel mode. */
static inline u8 kesp_nl_transport_family(u8 mode, u8 family)
{
	return mode == KESP_MODE_TRANSPORT ? family : 0;
}

/* nl_dev.c */
int kesp_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int kesp_nl_dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int kesp_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info);
int kesp_nl_encap_attach_doit(struct sk_buff *skb, struct genl_info *info);
int kesp_nl_encap_detach_doit(struct sk_buff *skb, struct genl_info *info);

/* nl_sa.c */
size_t kesp_nl_sa_size(const struct kesp_sa *sa);
int kesp_nl_put_sa(struct sk_buff *skb, const struct kesp_sa *sa);
int kesp_nl_spi_alloc_doit(struct sk_buff *skb, struct genl_info *info);
int kesp_nl_sa_new_doit(struct sk_buff *skb, struct genl_info *info);
int kesp_nl_sa_update_doit(struct sk_buff *skb, struct genl_info *info);
int kesp_nl_sa_del_doit(struct sk_buff *skb, struct genl_info *info);
int kesp_nl_sa_get_doit(struct sk_buff *skb, struct genl_info *info);
int kesp_nl_sa_get_start(struct netlink_callback *cb);
int kesp_nl_sa_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int kesp_nl_sa_flush_doit(struct sk_buff *skb, struct genl_info *info);

/* nl_trap.c */
int kesp_nl_trap_add_doit(struct sk_buff *skb, struct genl_info *info);
int kesp_nl_trap_del_doit(struct sk_buff *skb, struct genl_info *info);
int kesp_nl_trap_get_doit(struct sk_buff *skb, struct genl_info *info);
int kesp_nl_trap_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);

#endif /* KESP_NETLINK_H */
