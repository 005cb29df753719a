// SPDX-License-Identifier: GPL-2.0
/* Address and endpoint helpers (see addr.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

size_t addr_len(sa_family_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

bool addr_parse(const char *text, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, a->ip) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, a->ip) == 1) {
		a->family = AF_INET6;
		return true;
	}
	memset(a, 0, sizeof(*a));
	return false;
}

const char *addr_str(const struct addr *a, char *buf, size_t len)
{
	if (a->family != AF_INET && a->family != AF_INET6)
		snprintf(buf, len, "%%any");
	else if (!inet_ntop(a->family, a->ip, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

bool addr_equal(const struct addr *a, const struct addr *b)
{
	return a->family == b->family && !memcmp(a->ip, b->ip, addr_len(a->family));
}

bool addr_is_any(const struct addr *a)
{
	size_t n = addr_len(a->family);

	for (size_t i = 0; i < n; i++)
		if (a->ip[i])
			return false;
	return true;
}

int addr_cmp(const struct addr *a, const struct addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->ip, b->ip, addr_len(a->family));
}

void addr_mask(struct addr *a, unsigned int bits)
{
	size_t n = addr_len(a->family);

	for (size_t i = 0; i < n; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		a->ip[i] &= (uint8_t)(0xff00 >> bits);
		bits = 0;
	}
}

void addr_prefix_end(const struct addr *a, unsigned int bits, struct addr *end)
{
	size_t n = addr_len(a->family);

	*end = *a;
	for (size_t i = 0; i < n; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		end->ip[i] |= (uint8_t)(0xff >> bits);
		bits = 0;
	}
}

void endpoint_from_sockaddr(struct endpoint *e, const struct sockaddr *sa)
{
	memset(e, 0, sizeof(*e));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		e->addr.family = AF_INET;
		memcpy(e->addr.ip, &in->sin_addr, 4);
		e->port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		/* A v4-mapped peer on a v6 socket is an IPv4 peer. */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			e->addr.family = AF_INET;
			memcpy(e->addr.ip, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			e->addr.family = AF_INET6;
			memcpy(e->addr.ip, &in6->sin6_addr, 16);
		}
		e->port = ntohs(in6->sin6_port);
	}
}

socklen_t endpoint_to_sockaddr(const struct endpoint *e, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (e->addr.family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(e->port);
		memcpy(&in->sin_addr, e->addr.ip, 4);
		return sizeof(*in);
	}
	if (e->addr.family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(e->port);
		memcpy(&in6->sin6_addr, e->addr.ip, 16);
		return sizeof(*in6);
	}
	return 0;
}

const char *endpoint_str(const struct endpoint *e, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	addr_str(&e->addr, a, sizeof(a));
	snprintf(buf, len, e->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, e->port);
	return buf;
}

bool endpoint_equal(const struct endpoint *a, const struct endpoint *b)
{
	return a->port == b->port && addr_equal(&a->addr, &b->addr);
}
