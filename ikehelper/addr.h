/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Addresses and endpoints as the daemon keeps them: the family and the raw
 * network-order bytes (what IKE puts on the wire and kesp's netlink takes),
 * with conversions to and from sockaddr and text.
 */
#ifndef KESP_ADDR_H
#define KESP_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct addr {
	sa_family_t family;	/* AF_INET, AF_INET6, or AF_UNSPEC */
	uint8_t ip[16];		/* network order; IPv4 in the first 4 bytes */
};

struct endpoint {
	struct addr addr;
	uint16_t port;		/* host order */
};

#define ADDR_STRLEN 46		/* INET6_ADDRSTRLEN */
#define ENDPOINT_STRLEN 56	/* "[addr]:port" */

size_t addr_len(sa_family_t family);
bool addr_parse(const char *text, struct addr *a);
const char *addr_str(const struct addr *a, char *buf, size_t len);
bool addr_equal(const struct addr *a, const struct addr *b);
bool addr_is_any(const struct addr *a);
int addr_cmp(const struct addr *a, const struct addr *b);
/* Keeps the first BITS bits of A, clears the rest (BITS > width: no-op). */
void addr_mask(struct addr *a, unsigned int bits);
/* The last address of the prefix A/BITS. */
void addr_prefix_end(const struct addr *a, unsigned int bits, struct addr *end);

void endpoint_from_sockaddr(struct endpoint *e, const struct sockaddr *sa);
socklen_t endpoint_to_sockaddr(const struct endpoint *e, struct sockaddr_storage *ss);
const char *endpoint_str(const struct endpoint *e, char *buf, size_t len);
bool endpoint_equal(const struct endpoint *a, const struct endpoint *b);

#endif /* KESP_ADDR_H */
