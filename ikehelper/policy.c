// SPDX-License-Identifier: GPL-2.0
/*
 * Which connection a peer gets. At IKE_SA_INIT only addresses are known,
 * so every connection whose local_addrs and remote_addrs fit is a
 * candidate (their IKE proposals are offered together). At IKE_AUTH the
 * peer's identity and method pick one of them, as strongSwan does, so one
 * address can serve several peers: an exact remote id beats a wildcard,
 * which beats %any; among equals the first in the file wins.
 */
#include <stdio.h>
#include <string.h>

#include "daemon.h"

size_t policy_conns_for(struct daemon *d, const struct addr *local, const struct addr *remote,
			const struct conn **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < d->cfg->nconns && n < max; i++) {
		const struct conn *c = d->cfg->conns[i];

		if (addr_spec_match(c->local_addrs, c->nlocal_addrs, local) &&
		    addr_spec_match(c->remote_addrs, c->nremote_addrs, remote))
			out[n++] = c;
	}
	return n;
}

void policy_local_id(const struct conn *c, const struct ike_sa *sa, struct ike_id *out)
{
	if (c->local_id_set && c->local_id.type != IKE_ID_ANY)
		*out = c->local_id;
	else
		id_from_addr(out, sa->local.addr.ip, addr_len(sa->local.addr.family));
}

static bool has(const struct ike_proposal *p, const struct ike_transform *t)
{
	for (unsigned int i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == t->type && p->trans[i].id == t->id &&
		    p->trans[i].keylen == t->keylen)
			return true;
	return false;
}

bool policy_conn_has_ike_proposal(const struct conn *c, const struct ike_proposal *p)
{
	for (size_t i = 0; i < c->nike; i++) {
		bool all = true;

		for (unsigned int j = 0; j < p->ntrans && all; j++)
			all = p->trans[j].id == 0 || has(&c->ike[i], &p->trans[j]);
		if (all)
			return true;
	}
	return false;
}

static int id_score(const struct ike_id *pattern)
{
	if (pattern->type == IKE_ID_ANY)
		return 1;
	if (memchr(pattern->data, '*', pattern->len))
		return 2;
	return 3;
}

static void note(char *why, size_t whylen, const char *fmt, const char *a, const char *b)
{
	size_t off = strlen(why);

	if (off + 2 < whylen)
		snprintf(why + off, whylen - off, fmt, a, b);
}

const struct conn *policy_conn_for_peer(struct daemon *d, const struct ike_sa *sa,
					const struct ike_id *idi, const struct ike_id *idr,
					uint8_t auth_method, char *why, size_t whylen)
{
	const struct conn *conns[32], *best = NULL;
	size_t n = policy_conns_for(d, &sa->local.addr, &sa->remote.addr, conns, 32);
	int best_score = 0;
	char a[IKE_ID_STRLEN], b[IKE_ID_STRLEN];

	why[0] = '\0';
	if (!n)
		note(why, whylen, "%s%sno connection matches the addresses", "", "");
	for (size_t i = 0; i < n; i++) {
		const struct conn *c = conns[i];
		struct ike_id me;
		int score;

		/* auth_method 0: no AUTH payload, the peer wants EAP (§2.16). */
		if ((c->remote_auth == AUTH_EAP) != !auth_method ||
		    (auth_method && (c->remote_auth == AUTH_PSK) != (auth_method == AUTHM_PSK))) {
			note(why, whylen, "%s: remote auth is %s; ", c->name,
			     c->remote_auth == AUTH_PSK ? "psk" :
			     c->remote_auth == AUTH_EAP ? "eap" : "pubkey");
			continue;
		}
		if (!id_matches(&c->remote_id, idi)) {
			note(why, whylen, "%s: expects peer '%s'; ", c->name,
			     id_str(&c->remote_id, a, sizeof(a)));
			continue;
		}
		policy_local_id(c, sa, &me);
		if (idr && !id_matches(idr, &me) && !id_matches(&me, idr)) {
			snprintf(b, sizeof(b), "%s", id_str(idr, a, sizeof(a)));
			note(why, whylen, "%s: the peer asked for us as '%s', ", c->name, b);
			note(why, whylen, "we are '%s'%s; ", id_str(&me, a, sizeof(a)), "");
			continue;
		}
		if (!policy_conn_has_ike_proposal(c, &sa->prop)) {
			note(why, whylen, "%s: does not allow the IKE proposal %s; ", c->name,
			     ike_sa_algs(sa, a, sizeof(a)));
			continue;
		}
		score = id_score(&c->remote_id);
		if (score > best_score) {
			best = c;
			best_score = score;
		}
	}
	/* No trailing separator in the reason. */
	for (size_t n2 = strlen(why); n2 >= 2 && !strcmp(why + n2 - 2, "; "); n2 = strlen(why))
		why[n2 - 2] = '\0';
	return best;
}

const char *proposals_str(const struct ike_proposal *p, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off + 2 < len; i++) {
		if (i)
			off += (size_t)snprintf(buf + off, len - off, ", ");
		if (off < len)
			ike_proposal_format(&p[i], buf + off, len - off);
		off += strlen(buf + off);
	}
	return buf;
}
