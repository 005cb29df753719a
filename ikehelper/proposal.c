// SPDX-License-Identifier: GPL-2.0
/*
 * Proposals in strongSwan's keyword syntax ("aes256gcm16-prfsha384-x25519",
 * "aes128-sha256-modp2048", ESP forms with "-esn"/"-noesn"), the reverse,
 * and responder-side selection that honours our own preference order and
 * says, per transform type, why two lists did not intersect.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ike.h"

struct keyword {
	const char *name;
	uint8_t type;
	uint16_t id;
	uint16_t keylen;
};

/* The first entry for a (type, id, keylen) is the canonical spelling. */
static const struct keyword keywords[] = {
	{ "aes128", IKE_TRANS_ENCR, IKE_ENCR_AES_CBC, 128 },
	{ "aes192", IKE_TRANS_ENCR, IKE_ENCR_AES_CBC, 192 },
	{ "aes256", IKE_TRANS_ENCR, IKE_ENCR_AES_CBC, 256 },
	{ "aes128gcm16", IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 128 },
	{ "aes192gcm16", IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 192 },
	{ "aes256gcm16", IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 256 },
	{ "aes128gcm128", IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 128 },
	{ "aes192gcm128", IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 192 },
	{ "aes256gcm128", IKE_TRANS_ENCR, IKE_ENCR_AES_GCM_16, 256 },
	{ "chacha20poly1305", IKE_TRANS_ENCR, IKE_ENCR_CHACHA20_POLY1305, 0 },
	{ "sha1", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA1_96, 0 },
	{ "sha256", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0 },
	{ "sha384", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0 },
	{ "sha512", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0 },
	{ "sha2_256", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0 },
	{ "sha2_384", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0 },
	{ "sha2_512", IKE_TRANS_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0 },
	{ "prfsha1", IKE_TRANS_PRF, IKE_PRF_HMAC_SHA1, 0 },
	{ "prfsha256", IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_256, 0 },
	{ "prfsha384", IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_384, 0 },
	{ "prfsha512", IKE_TRANS_PRF, IKE_PRF_HMAC_SHA2_512, 0 },
	{ "modp2048", IKE_TRANS_DH, IKE_DH_MODP2048, 0 },
	{ "modp3072", IKE_TRANS_DH, IKE_DH_MODP3072, 0 },
	{ "modp4096", IKE_TRANS_DH, IKE_DH_MODP4096, 0 },
	{ "ecp256", IKE_TRANS_DH, IKE_DH_ECP256, 0 },
	{ "ecp384", IKE_TRANS_DH, IKE_DH_ECP384, 0 },
	{ "ecp521", IKE_TRANS_DH, IKE_DH_ECP521, 0 },
	{ "x25519", IKE_TRANS_DH, IKE_DH_CURVE25519, 0 },
	{ "curve25519", IKE_TRANS_DH, IKE_DH_CURVE25519, 0 },
	{ "x448", IKE_TRANS_DH, IKE_DH_CURVE448, 0 },
	{ "curve448", IKE_TRANS_DH, IKE_DH_CURVE448, 0 },
	{ "noesn", IKE_TRANS_ESN, 0, 0 },
	{ "esn", IKE_TRANS_ESN, 1, 0 },
};

#define NKEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

/*
 * strongSwan keywords for algorithms we do not implement on purpose, with
 * the reason from RFC 8247 (IKEv2 algorithm requirements), so a config
 * carried over from an old peer fails with a line that says why.
 */
#define MD5_WHY(sec) "RFC 8247 §" sec ": MUST NOT, MD5 is being removed from crypto libraries"
#define RFC5114_WHY "RFC 8247 §2.4: SHOULD NOT, an RFC 5114 group with a small subgroup"

static const struct deprecated {
	const char *name;
	uint8_t type;
	uint16_t id;
	const char *why;
} deprecated[] = {
	{ "des", IKE_TRANS_ENCR, 2, "RFC 8247 §2.1: MUST NOT, a 56-bit key is brute-forced "
	  "with off-the-shelf hardware" },
	{ "3des", IKE_TRANS_ENCR, 3, "RFC 8247 §2.1 downgrades it to MAY as AES-CBC is "
	  "everywhere, and its 64-bit block limits what one key may protect (SHOULD NOT for "
	  "ESP, RFC 8221)" },
	{ "md5", IKE_TRANS_INTEG, 1, MD5_WHY("2.3") },
	{ "md5_128", IKE_TRANS_INTEG, 6, MD5_WHY("2.3") },
	{ "prfmd5", IKE_TRANS_PRF, 1, MD5_WHY("2.2") },
	{ "modp768", IKE_TRANS_DH, 1, "RFC 8247 §2.4: MUST NOT, 768-bit MODP is broken with "
	  "commercially available computing" },
	{ "modp1024", IKE_TRANS_DH, 2, "RFC 8247 §2.4: SHOULD NOT, 1024-bit MODP is within "
	  "reach of well-funded attackers" },
	{ "modp1536", IKE_TRANS_DH, 5, "RFC 8247 §2.4: SHOULD NOT, 1536-bit MODP leaves too "
	  "narrow a security margin" },
	{ "modp1024s160", IKE_TRANS_DH, 22, RFC5114_WHY },
	{ "modp2048s224", IKE_TRANS_DH, 23, RFC5114_WHY },
	{ "modp2048s256", IKE_TRANS_DH, 24, RFC5114_WHY },
};

static const char *find_keyword(uint8_t type, uint16_t id, uint16_t keylen)
{
	for (size_t i = 0; i < NKEYWORDS; i++)
		if (keywords[i].type == type && keywords[i].id == id &&
		    keywords[i].keylen == keylen)
			return keywords[i].name;
	return NULL;
}

/* Keyword, or the IANA name for transforms we have no keyword for. */
const char *ike_transform_keyword(const struct ike_transform *t)
{
	static __thread char buf[48];
	const char *kw = find_keyword(t->type, t->id, t->keylen);

	if (kw)
		return kw;
	if (t->type >= IKE_TRANS_ADDKE1 && t->type <= IKE_TRANS_ADDKE7) {
		/* strongSwan writes RFC 9370 additional key exchanges "ke1_x25519" */
		kw = find_keyword(IKE_TRANS_DH, t->id, 0);
		snprintf(buf, sizeof(buf), "ke%u_%s", t->type - IKE_TRANS_ADDKE1 + 1u,
			 kw ? kw : ike_transform_name(t->type, t->id));
		return buf;
	}
	if (t->keylen)
		snprintf(buf, sizeof(buf), "%s_%u", ike_transform_name(t->type, t->id), t->keylen);
	else
		snprintf(buf, sizeof(buf), "%s", ike_transform_name(t->type, t->id));
	return buf;
}

/* Whether p offers t (a transform marked unacceptable offers nothing). */
static bool has(const struct ike_proposal *p, const struct ike_transform *t)
{
	for (unsigned int i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == t->type && p->trans[i].id == t->id &&
		    p->trans[i].keylen == t->keylen && !p->trans[i].flags)
			return true;
	return false;
}

static unsigned int count_type(const struct ike_proposal *p, uint8_t type)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < p->ntrans; i++)
		n += p->trans[i].type == type;
	return n;
}

static int add(struct ike_proposal *p, const struct ike_transform *t)
{
	if (has(p, t))
		return 0;
	if (p->ntrans == IKE_MAX_TRANSFORMS)
		return -1;
	p->trans[p->ntrans++] = *t;
	return 0;
}

static const uint8_t type_order[] = {
	IKE_TRANS_ENCR, IKE_TRANS_INTEG, IKE_TRANS_PRF, IKE_TRANS_DH, IKE_TRANS_ESN,
};

/* Stable reorder into ENCR, INTEG, PRF, DH, ESN (strongSwan's order). */
static void sort_types(struct ike_proposal *p)
{
	struct ike_transform t[IKE_MAX_TRANSFORMS];
	unsigned int n = 0;

	for (size_t o = 0; o < sizeof(type_order); o++)
		for (unsigned int i = 0; i < p->ntrans; i++)
			if (p->trans[i].type == type_order[o])
				t[n++] = p->trans[i];
	memcpy(p->trans, t, n * sizeof(t[0]));
	p->ntrans = (uint8_t)n;
}

static uint16_t integ_to_prf(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return IKE_PRF_HMAC_SHA1;
	case IKE_INTEG_HMAC_SHA2_256_128: return IKE_PRF_HMAC_SHA2_256;
	case IKE_INTEG_HMAC_SHA2_384_192: return IKE_PRF_HMAC_SHA2_384;
	case IKE_INTEG_HMAC_SHA2_512_256: return IKE_PRF_HMAC_SHA2_512;
	}
	return 0;
}

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), -IKE_ERR_ARG)

int ike_proposal_parse(const char *text, unsigned int protocol,
		       struct ike_proposal *p, char *why, size_t whylen)
{
	char tok[32];
	const char *s = text;
	unsigned int aead = 0, plain = 0;

	memset(p, 0, sizeof(*p));
	p->num = 1;
	p->protocol = (uint8_t)protocol;
	p->spi_size = protocol == IKE_PROTO_IKE ? 0 : 4;
	if (protocol < IKE_PROTO_IKE || protocol > IKE_PROTO_ESP)
		return WHY("unknown protocol %u", protocol);
	while (*s) {
		size_t n = strcspn(s, "-");
		size_t k;

		if (n == 0 || n >= sizeof(tok))
			return WHY("empty or overlong keyword in '%s'", text);
		memcpy(tok, s, n);
		tok[n] = '\0';
		s += n;
		if (*s == '-' && !*++s)
			return WHY("'%s' ends with '-'", text);
		for (k = 0; k < NKEYWORDS; k++)
			if (!strcmp(tok, keywords[k].name))
				break;
		if (k == NKEYWORDS) {
			for (size_t d = 0; d < sizeof(deprecated) / sizeof(deprecated[0]); d++)
				if (!strcmp(tok, deprecated[d].name))
					return WHY("'%s': %s (%s) is not supported: %s", text, tok,
						   ike_transform_name(deprecated[d].type,
								      deprecated[d].id),
						   deprecated[d].why);
			return WHY("unknown algorithm keyword '%s' in '%s'", tok, text);
		}
		{
			struct ike_transform t = {
				.type = keywords[k].type, .id = keywords[k].id,
				.keylen = keywords[k].keylen,
			};

			if (t.type == IKE_TRANS_ENCR)
				ike_encr_is_aead(t.id) ? aead++ : plain++;
			if (add(p, &t))
				return WHY("too many transforms in '%s'", text);
		}
	}
	if (!count_type(p, IKE_TRANS_ENCR))
		return WHY("'%s' has no encryption algorithm", text);
	if (aead && plain)
		return WHY("'%s' mixes AEAD and non-AEAD encryption", text);
	if (aead && count_type(p, IKE_TRANS_INTEG))
		return WHY("'%s': an AEAD takes no integrity algorithm", text);
	if (plain && !count_type(p, IKE_TRANS_INTEG))
		return WHY("'%s' needs an integrity algorithm", text);
	if (protocol == IKE_PROTO_IKE) {
		if (count_type(p, IKE_TRANS_ESN))
			return WHY("'%s': esn/noesn are for ESP and AH only", text);
		if (!count_type(p, IKE_TRANS_PRF)) {
			if (aead)
				return WHY("'%s' needs a PRF (e.g. prfsha256) with an AEAD", text);
			/* strongSwan: the PRF follows each integrity algorithm. */
			for (unsigned int i = 0, n = p->ntrans; i < n; i++) {
				struct ike_transform t = { .type = IKE_TRANS_PRF };

				if (p->trans[i].type != IKE_TRANS_INTEG)
					continue;
				t.id = integ_to_prf(p->trans[i].id);
				if (add(p, &t))
					return WHY("too many transforms in '%s'", text);
			}
		}
		if (!count_type(p, IKE_TRANS_DH))
			return WHY("'%s' needs a key exchange method", text);
	} else {
		if (count_type(p, IKE_TRANS_PRF))
			return WHY("'%s': a PRF is for IKE proposals only", text);
		if (!count_type(p, IKE_TRANS_ESN)) {
			struct ike_transform t = { .type = IKE_TRANS_ESN };

			add(p, &t);
		}
	}
	sort_types(p);
	return 0;
}

int ike_proposal_format(const struct ike_proposal *p, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return -IKE_ERR_NOSPC;
	buf[0] = '\0';
	for (unsigned int i = 0; i < p->ntrans; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? "-" : "",
				 ike_transform_keyword(&p->trans[i]));

		if (n < 0 || (size_t)n >= len - off)
			return -IKE_ERR_NOSPC;
		off += (size_t)n;
	}
	return 0;
}

/* "aes128/aes256" for one transform type of a proposal, or "none". */
static void list_type(const struct ike_proposal *p, uint8_t type, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < p->ntrans && off < len; i++) {
		int n;

		if (p->trans[i].type != type)
			continue;
		n = snprintf(buf + off, len - off, "%s%s%s", off ? "/" : "",
			     ike_transform_keyword(&p->trans[i]),
			     p->trans[i].flags & IKE_TRANSFORM_UNKNOWN_ATTR ?
			     "(unknown attribute)" : "");
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(buf, len, "none");
}

static void appendf(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void appendf(char *why, size_t whylen, const char *fmt, ...)
{
	size_t off = strlen(why);
	va_list ap;

	if (off + 1 >= whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why + off, whylen - off, fmt, ap);
	va_end(ap);
}

static bool known_type(uint8_t type)
{
	return memchr(type_order, type, sizeof(type_order)) != NULL;
}

/*
 * RFC 7296 §3.3.6: a proposal with a transform type we do not understand is
 * unacceptable as a whole (other proposals are still considered).
 */
static bool acceptable(const struct ike_proposal *p, char *why, size_t whylen)
{
	if (p->flags & IKE_PROPOSAL_UNKNOWN_PROTOCOL) {
		appendf(why, whylen, " theirs is for protocol %u we do not know;", p->protocol);
		return false;
	}
	if (p->flags & IKE_PROPOSAL_TOO_MANY_TRANSFORMS) {
		appendf(why, whylen, " theirs has more than the %d transforms we consider;",
			IKE_MAX_TRANSFORMS);
		return false;
	}
	for (unsigned int i = 0; i < p->ntrans; i++) {
		if (known_type(p->trans[i].type))
			continue;
		appendf(why, whylen, " theirs has transform type %u (%s) we do not support;",
			p->trans[i].type, ike_transform_type_name(p->trans[i].type));
		return false;
	}
	return true;
}

/* INTEG NONE (RFC 5282 §8, with AEADs) and DH NONE (no PFS) mean "none". */
static bool is_none(const struct ike_transform *t)
{
	return (t->type == IKE_TRANS_INTEG && t->id == IKE_INTEG_NONE) ||
	       (t->type == IKE_TRANS_DH && t->id == IKE_DH_NONE);
}

/* Can p do without a transform of this type: it lists none, or lists NONE. */
static bool accepts_none(const struct ike_proposal *p, uint8_t type)
{
	for (unsigned int i = 0; i < p->ntrans; i++)
		if (p->trans[i].type == type && is_none(&p->trans[i]))
			return true;
	return !count_type(p, type);
}

/* Whether "none" may be agreed for a type under these selection flags. */
static bool none_allowed(uint8_t type, uint8_t protocol, unsigned int flags)
{
	if (type == IKE_TRANS_INTEG)
		return true;
	if (type == IKE_TRANS_DH)
		return protocol != IKE_PROTO_IKE && !(flags & IKE_SELECT_DH_REQUIRED);
	return false;
}

/*
 * One transform of this type for chosen, in our order of preference; NONE
 * (or absence) only when both sides accept it. Returns false if none fits.
 */
static bool choose_type(const struct ike_proposal *m, const struct ike_proposal *p,
			uint8_t type, unsigned int flags, struct ike_proposal *chosen)
{
	bool none_ok = none_allowed(type, m->protocol, flags) && accepts_none(p, type);
	struct ike_transform none = { .type = type };

	for (unsigned int i = 0; i < m->ntrans; i++) {
		const struct ike_transform *t = &m->trans[i];

		if (t->type != type || (is_none(t) ? !none_ok : !has(p, t)))
			continue;
		if (!is_none(t) || count_type(p, type))
			chosen->trans[chosen->ntrans++] = is_none(t) ? none : *t;
		return true;
	}
	if (!none_ok || count_type(m, type))
		return false;
	/* Neither side needs one; echo the peer's NONE if it listed the type. */
	if (count_type(p, type))
		chosen->trans[chosen->ntrans++] = none;
	return true;
}

/* Does the peer's proposal match ours? If so fill chosen; if not, explain. */
static bool match(const struct ike_proposal *m, const struct ike_proposal *p,
		  unsigned int flags, struct ike_proposal *chosen, char *why, size_t whylen)
{
	bool ok = true;

	memset(chosen, 0, sizeof(*chosen));
	if (!acceptable(p, why, whylen))
		return false;
	if (m->protocol != p->protocol) {
		appendf(why, whylen, " protocol (ours %s, theirs %s);",
			ike_protocol_name(m->protocol), ike_protocol_name(p->protocol));
		return false;
	}
	for (size_t o = 0; o < sizeof(type_order); o++) {
		uint8_t type = type_order[o];
		char a[96], b[96];

		if (type == IKE_TRANS_DH && (flags & IKE_SELECT_SKIP_DH))
			continue;
		if (!count_type(m, type) && !count_type(p, type))
			continue;
		if (choose_type(m, p, type, flags, chosen))
			continue;
		list_type(m, type, a, sizeof(a));
		list_type(p, type, b, sizeof(b));
		appendf(why, whylen, " no common %s (ours %s, theirs %s)%s;",
			ike_transform_type_name(type), a, b,
			type == IKE_TRANS_DH && accepts_none(p, type) && !count_type(m, type) ?
			", and DH NONE is not allowed here" : "");
		ok = false;
	}
	if (ok) {
		chosen->num = p->num;
		chosen->protocol = p->protocol;
		chosen->spi_size = p->spi_size;
		memcpy(chosen->spi, p->spi, sizeof(chosen->spi));
	}
	return ok;
}

int ike_proposal_select(const struct ike_proposal *mine, size_t nmine,
			const struct ike_proposal *peer, size_t npeer, unsigned int flags,
			struct ike_proposal *chosen, char *why, size_t whylen)
{
	char scratch[1];

	if (!why || !whylen)
		why = scratch, whylen = sizeof(scratch);
	why[0] = '\0';
	appendf(why, whylen, "no proposal chosen:");
	for (size_t i = 0; i < nmine; i++) {
		for (size_t j = 0; j < npeer; j++) {
			char a[160], b[160];

			ike_proposal_format(&mine[i], a, sizeof(a));
			ike_proposal_format(&peer[j], b, sizeof(b));
			appendf(why, whylen, " [ours '%s' vs theirs #%u '%s']", a, peer[j].num, b);
			if (match(&mine[i], &peer[j], flags, chosen, why, whylen)) {
				snprintf(why, whylen, "chose peer proposal #%u (%s) for ours '%s'",
					 peer[j].num, b, a);
				return 0;
			}
		}
	}
	if (!nmine || !npeer)
		appendf(why, whylen, " %s list is empty", !nmine ? "our" : "the peer's");
	return -IKE_ERR_NO_PROPOSAL;
}
