/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IKE identities (RFC 7296 §3.5): parsed from swanctl.conf text the way
 * strongSwan reads them (so both ends agree on the bytes), printed for logs,
 * and matched against what a peer sends.
 */
#ifndef KESP_ID_H
#define KESP_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ike_id_type {
	IKE_ID_ANY = 0,		/* ours only: "%any" in a config */
	IKE_ID_IPV4_ADDR = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_RFC822_ADDR = 3,
	IKE_ID_IPV6_ADDR = 5,
	IKE_ID_DER_ASN1_DN = 9,
	IKE_ID_DER_ASN1_GN = 10,
	IKE_ID_KEY_ID = 11,
};

#define IKE_ID_MAX 512
#define IKE_ID_STRLEN 600

struct ike_id {
	uint8_t type;
	uint16_t len;
	uint8_t data[IKE_ID_MAX];
};

/*
 * Text to identity, as strongSwan's identification_create_from_string:
 * an IP address is ID_IPV4/IPV6_ADDR, "a=b, c=d" a DN (DER-encoded, printable
 * values as PrintableString, others UTF8String, e-mail as IA5String),
 * "@name" or a name without '@' an FQDN, "user@host" RFC822, "@#hex" a key
 * id, "%any" anything; "fqdn:", "email:", "userfqdn:", "keyid:", "ipv4:",
 * "ipv6:" force a type. Returns false with a reason in WHY.
 */
bool id_parse(const char *text, struct ike_id *id, char *why, size_t whylen);
/* The identity as a person reads it ("C=CH, O=x, CN=y", "moon.example"). */
const char *id_str(const struct ike_id *id, char *buf, size_t len);
const char *id_type_name(unsigned int type);
/* Whether a peer's identity PEER satisfies the configured PATTERN:
 * %any matches all; FQDN and RFC822 compare without case and allow a
 * leading '*' wildcard; DNs compare RDN by RDN ('*' matches any value). */
bool id_matches(const struct ike_id *pattern, const struct ike_id *peer);
bool id_equal(const struct ike_id *a, const struct ike_id *b);
/* An IPv4/IPv6 identity for an address of LEN 4 or 16 bytes. */
void id_from_addr(struct ike_id *id, const uint8_t *ip, size_t len);

#endif /* KESP_ID_H */
