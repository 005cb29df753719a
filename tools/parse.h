/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The words of kespctl's command line: numbers, hex keys, addresses,
 * prefixes and their ranges, ports, protocols and algorithm names. Each
 * parser returns 0 or -1 and never prints; the caller names the token.
 */
#ifndef KESP_PARSE_H
#define KESP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 address, network byte order in the first 4 or 16 bytes. */
struct kesp_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t a[16];
};

static inline size_t kesp_addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* "0x" hex or decimal (no sign, no octal), at most MAX. */
int parse_u32(const char *s, uint32_t max, uint32_t *out);
int parse_u64(const char *s, uint64_t *out);

/*
 * "0x" followed by an even number of hex digits, at most MAX bytes; "" and
 * "0x" are the empty key. On failure the buffer is wiped.
 */
int parse_hex_key(const char *s, uint8_t *key, size_t max, size_t *len);

int parse_addr(const char *s, struct kesp_addr *addr);

/*
 * ADDR[/LEN] to the inclusive range START..END (no /LEN: the host alone).
 * Host bits set under the mask are cleared, as ip does.
 */
int parse_prefix(const char *s, struct kesp_addr *start, struct kesp_addr *end);

/* The prefix length if START..END is exactly one prefix, else -1. */
int range_prefix_len(int family, const uint8_t *start, const uint8_t *end);

/*
 * Writes START..END as "ADDR/LEN" when it is a prefix, else "START-END".
 * BUF should hold KESP_RANGE_STRLEN bytes.
 */
#define KESP_RANGE_STRLEN 96
void format_range(int family, const uint8_t *start, const uint8_t *end,
		  char *buf, size_t size);

/* "A" or "A-B" with A <= B, each 0..65535. */
int parse_port_range(const char *s, uint16_t *start, uint16_t *end);

/* A name (tcp, udp, icmp, ipv6-icmp, icmpv6, sctp, udplite, any) or 0..255. */
int parse_proto(const char *s, uint8_t *proto);
/* The name parse_proto accepts for PROTO, or NULL for a bare number. */
const char *proto_name(uint8_t proto);
/* Whether PROTO has ports (TCP, UDP, SCTP, UDP-Lite). */
bool proto_has_ports(uint8_t proto);
/* Whether PROTO is ICMP or ICMPv6 (type and code instead of ports). */
bool proto_is_icmp(uint8_t proto);

enum kesp_alg_kind {
	KESP_ALG_AEAD,
	KESP_ALG_ENC,
	KESP_ALG_AUTH,
};

struct kesp_alg_info {
	const char *name;		/* what the kernel is given */
	enum kesp_alg_kind kind;
	const char *aliases[3];		/* what ip xfrm users type */
	uint8_t key_lens[3];		/* allowed key bytes; all 0: any 1..max */
	bool empty_key;			/* the null cipher takes no key */
	uint16_t icv_bits[3];		/* ICV bits kesp takes; aead's default first */
	/*
	 * Authentication: the ICV bits "auth NAME KEY" (no -trunc) gives in
	 * ip xfrm, i.e. the kernel's XFRM default for the algorithm. It
	 * means the same here, even where kesp does not take it.
	 */
	uint16_t xfrm_auth_bits;
};

/* The names of KIND's algorithms, ", "-separated, for error messages. */
void alg_names(enum kesp_alg_kind kind, char *buf, size_t size);
/* Looks NAME (kernel name or alias) up among algorithms of KIND. */
const struct kesp_alg_info *alg_lookup(enum kesp_alg_kind kind, const char *name);
bool alg_key_len_ok(const struct kesp_alg_info *alg, size_t len);
bool alg_icv_ok(const struct kesp_alg_info *alg, uint32_t bits);

#endif /* KESP_PARSE_H */
