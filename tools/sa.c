// SPDX-License-Identifier: GPL-2.0
/*
 * The grammar of `kespctl sa ...` and `kespctl spi alloc`, kept to the one
 * of `ip xfrm state` wherever the two overlap, and the requests built from
 * it. See sa_parse() for the checks and the usage text in kespctl.c.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "sa.h"

#define V(x) (1U << SA_VERB_##x)
#define V_KEYED (V(UPDATE) | V(DEL) | V(GET))
#define V_ALL (V(ADD) | V_KEYED | V(LIST) | V(FLUSH) | V(SPI_ALLOC))

enum kw {
	KW_DEV, KW_DIR, KW_ID, KW_SRC, KW_DST, KW_PROTO, KW_SPI, KW_MODE,
	KW_REQID, KW_REPLAY_WINDOW, KW_FLAG, KW_SEQ, KW_PRIORITY, KW_AEAD,
	KW_ENC, KW_AUTH, KW_AUTH_TRUNC, KW_SEL, KW_LIMIT, KW_MIN, KW_MAX,
	KW_ENCAP, KW_CPU,
};

static const struct {
	const char *name;
	enum kw kw;
	unsigned int verbs;
	bool repeat;
} keywords[] = {
	{ "dev", KW_DEV, V_ALL, false },
	{ "dir", KW_DIR, V_ALL & ~V(SPI_ALLOC), false },
	{ "id", KW_ID, V_KEYED, false },
	{ "src", KW_SRC, V(ADD) | V_KEYED, false },
	{ "dst", KW_DST, V(ADD) | V_KEYED, false },
	{ "proto", KW_PROTO, V(ADD) | V_KEYED, false },
	{ "spi", KW_SPI, V(ADD) | V_KEYED, false },
	{ "mode", KW_MODE, V(ADD), false },
	{ "reqid", KW_REQID, V(ADD) | V(LIST) | V(FLUSH), false },
	{ "replay-window", KW_REPLAY_WINDOW, V(ADD), false },
	{ "flag", KW_FLAG, V(ADD), true },
	{ "seq", KW_SEQ, V(ADD), false },
	{ "priority", KW_PRIORITY, V(ADD), false },
	{ "cpu", KW_CPU, V(ADD), false },
	{ "aead", KW_AEAD, V(ADD), false },
	{ "enc", KW_ENC, V(ADD), false },
	{ "auth", KW_AUTH, V(ADD), false },
	{ "auth-trunc", KW_AUTH_TRUNC, V(ADD), false },
	{ "sel", KW_SEL, V(ADD) | V(UPDATE), true },
	{ "limit", KW_LIMIT, V(ADD) | V(UPDATE), true },
	{ "min", KW_MIN, V(SPI_ALLOC), false },
	{ "max", KW_MAX, V(SPI_ALLOC), false },
	{ "encap", KW_ENCAP, V(ADD) | V(UPDATE), false },
};

static const struct {
	const char *name;
	int attr;
} limits[] = {
	{ "time-soft", KESP_LFT_A_SOFT_SECONDS },
	{ "time-hard", KESP_LFT_A_HARD_SECONDS },
	{ "byte-soft", KESP_LFT_A_SOFT_BYTES },
	{ "byte-hard", KESP_LFT_A_HARD_BYTES },
	{ "packet-soft", KESP_LFT_A_SOFT_PACKETS },
	{ "packet-hard", KESP_LFT_A_HARD_PACKETS },
};

const char *sa_verb_name(enum sa_verb verb)
{
	static const char *const names[] = {
		[SA_VERB_ADD] = "add", [SA_VERB_UPDATE] = "update",
		[SA_VERB_DEL] = "del", [SA_VERB_GET] = "get",
		[SA_VERB_LIST] = "list", [SA_VERB_FLUSH] = "flush",
		[SA_VERB_SPI_ALLOC] = "alloc",
	};

	return names[verb];
}

__attribute__((format(printf, 2, 3)))
static int fail(struct sa_args *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, sizeof(a->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int bad(struct sa_args *a, const char *what, const char *token)
{
	return fail(a, "bad %s \"%s\"", what, token);
}

void sa_args_wipe(struct sa_args *a)
{
	explicit_bzero(&a->aead, sizeof(a->aead));
	explicit_bzero(&a->enc, sizeof(a->enc));
	explicit_bzero(&a->auth, sizeof(a->auth));
}

/*
 * "0x" hex key into ALG. The token never goes into a message, and it is
 * wiped from argv once read, so /proc/PID/cmdline stops showing it.
 */
static int parse_key(struct sa_args *a, const char *kw, char *s,
		     struct sa_alg *alg)
{
	int ret = parse_hex_key(s, alg->key, sizeof(alg->key), &alg->key_len);

	explicit_bzero(s, strlen(s));
	if (ret < 0)
		return fail(a, "bad %s key (want 0x and an even number of hex digits, at most %d bytes)",
			    kw, KESP_KEY_MAX);
	if (!alg_key_len_ok(alg->info, alg->key_len)) {
		size_t got = alg->key_len;

		explicit_bzero(alg->key, sizeof(alg->key));
		alg->key_len = 0;
		if (alg->info->empty_key)
			return fail(a, "%s key for %s must be empty (\"\" or 0x), got %zu bytes",
				    kw, alg->info->name, got);
		if (!alg->info->key_lens[0])
			return fail(a, "%s key for %s must not be empty", kw,
				    alg->info->name);
		return fail(a, "%s key for %s must be %s bytes%s, got %zu", kw,
			    alg->info->name,
			    alg->info->key_lens[1] ? "16, 24 or 32" : "36",
			    alg->info->kind == KESP_ALG_AEAD ? " including the 4-byte salt" : "",
			    got);
	}
	return 0;
}

/*
 * aead NAME KEY ICV | enc NAME KEY | auth NAME KEY | auth-trunc NAME KEY BITS.
 * Returns the number of tokens consumed after the keyword, or -1.
 */
static int parse_alg(struct sa_args *a, enum kw kw, const char *name,
		     int argc, char **argv)
{
	enum kesp_alg_kind kind = kw == KW_AEAD ? KESP_ALG_AEAD :
				  kw == KW_ENC ? KESP_ALG_ENC : KESP_ALG_AUTH;
	struct sa_alg *alg = kind == KESP_ALG_AEAD ? &a->aead :
			     kind == KESP_ALG_ENC ? &a->enc : &a->auth;
	int need = kw == KW_AEAD || kw == KW_AUTH_TRUNC ? 3 : 2;

	if (alg->info)
		return fail(a, "\"%s\" given twice", kind == KESP_ALG_AUTH ?
			    "auth" : name);
	if (argc < need)
		return fail(a, "\"%s\" needs %s", name,
			    need == 3 ? "NAME KEY BITS" : "NAME KEY");
	alg->info = alg_lookup(kind, argv[0]);
	if (!alg->info) {
		char known[96];

		alg_names(kind, known, sizeof(known));
		return fail(a, "unknown %s algorithm \"%.24s\" (kesp has %s)",
			    kind == KESP_ALG_AUTH ? "auth" : name, argv[0], known);
	}
	if (parse_key(a, kind == KESP_ALG_AUTH ? "auth" : name, argv[1], alg) < 0)
		return -1;
	alg->icv_bits = alg->info->icv_bits[0];
	if (need == 3 && (parse_u32(argv[2], UINT32_MAX, &alg->icv_bits) < 0 ||
			  !alg_icv_ok(alg->info, alg->icv_bits)))
		return fail(a, "bad %s bits \"%s\" for %s", name, argv[2],
			    alg->info->name);
	/* A pasted ip xfrm line must not quietly mean another SA here. */
	if (kw == KW_AUTH) {
		alg->icv_bits = alg->info->xfrm_auth_bits;
		if (!alg_icv_ok(alg->info, alg->icv_bits))
			return fail(a, "auth %s is %s with a %u-bit ICV in ip xfrm, which kesp does not take: use \"auth-trunc %s KEY %u\" on both sides",
				    argv[0], alg->info->name, alg->icv_bits,
				    alg->info->name, alg->info->icv_bits[0]);
	}
	return need;
}

/*
 * SEL's address family, and "any" for a side it was not given: all of
 * the family's addresses, as ip xfrm's prefix length 0.
 */
static void sel_set_family(struct sa_sel *sel, int family, bool has_src, bool has_dst)
{
	size_t len = kesp_addr_len(family);

	sel->family = family;
	if (!has_src) {
		memset(sel->src_start, 0, sizeof(sel->src_start));
		memset(sel->src_end, 0xff, len);
	}
	if (!has_dst) {
		memset(sel->dst_start, 0, sizeof(sel->dst_start));
		memset(sel->dst_end, 0xff, len);
	}
}

/*
 * sel [src PREFIX] [dst PREFIX] [proto P] [sport A[-B]] [dport A[-B]]
 *     [type T] [code C], or sel none. A side not given is any address;
 * with neither, the family is learnt later (sa_sel_resolve). Returns
 * tokens consumed, or -1.
 */
static int parse_sel(struct sa_args *a, int argc, char **argv)
{
	struct kesp_addr ss, se, ds, de;
	bool has_src = false, has_dst = false, has_proto = false;
	bool has_type = false, has_code = false;
	struct sa_sel *sel;
	const char *port_tok = NULL, *icmp_tok = NULL;
	int i = 0;

	if (argc > 0 && !strcmp(argv[0], "none")) {
		if (a->nsel)
			return fail(a, "\"sel none\" with other selectors");
		a->has_sel = true;
		a->nsel = 0;
		return 1;
	}
	if (a->has_sel && !a->nsel)
		return fail(a, "\"sel none\" with other selectors");
	if (a->nsel >= KESP_SELECTORS_MAX)
		return fail(a, "too many selectors (at most %d)", KESP_SELECTORS_MAX);
	sel = &a->sel[a->nsel];
	memset(sel, 0, sizeof(*sel));

	while (i < argc) {
		const char *kw = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool *seen;

		if (!strcmp(kw, "src"))
			seen = &has_src;
		else if (!strcmp(kw, "dst"))
			seen = &has_dst;
		else if (!strcmp(kw, "proto"))
			seen = &has_proto;
		else if (!strcmp(kw, "sport"))
			seen = &sel->has_sport;
		else if (!strcmp(kw, "dport"))
			seen = &sel->has_dport;
		else if (!strcmp(kw, "type"))
			seen = &has_type;
		else if (!strcmp(kw, "code"))
			seen = &has_code;
		else
			break;
		if (*seen)
			return fail(a, "sel: \"%s\" given twice", kw);
		if (!val)
			return fail(a, "sel: \"%s\" needs a value", kw);
		*seen = true;
		if (!strcmp(kw, "src")) {
			if (parse_prefix(val, &ss, &se) < 0)
				return bad(a, "sel src", val);
		} else if (!strcmp(kw, "dst")) {
			if (parse_prefix(val, &ds, &de) < 0)
				return bad(a, "sel dst", val);
			if (has_src && ds.family != ss.family)
				return fail(a, "sel dst \"%s\" is not the address family of sel src",
					    val);
		} else if (!strcmp(kw, "proto")) {
			if (parse_proto(val, &sel->proto) < 0)
				return bad(a, "sel proto", val);
		} else if (!strcmp(kw, "sport") || !strcmp(kw, "dport")) {
			bool s = kw[0] == 's';

			if (parse_port_range(val, s ? &sel->sport_start : &sel->dport_start,
					     s ? &sel->sport_end : &sel->dport_end) < 0)
				return bad(a, s ? "sel sport" : "sel dport", val);
			port_tok = kw;
		} else {
			uint32_t v;
			bool t = kw[0] == 't';

			if (parse_u32(val, 255, &v) < 0)
				return bad(a, t ? "sel type" : "sel code", val);
			if (t)
				sel->sport_start = sel->sport_end = (uint16_t)v;
			else
				sel->dport_start = sel->dport_end = (uint16_t)v;
			icmp_tok = kw;
		}
		i += 2;
	}
	if (!i)
		return fail(a, "sel needs src, dst or proto");
	if (port_tok && !proto_has_ports(sel->proto))
		return fail(a, "sel \"%s\" needs proto tcp, udp, sctp or udplite",
			    port_tok);
	if (icmp_tok && !proto_is_icmp(sel->proto))
		return fail(a, "sel \"%s\" needs proto icmp or ipv6-icmp", icmp_tok);
	if (icmp_tok && (port_tok))
		return fail(a, "sel \"%s\" with sport or dport", icmp_tok);
	/* ICMP type and code travel as the port ranges, as IKEv2 has them. */
	sel->has_sport = sel->has_sport || has_type;
	sel->has_dport = sel->has_dport || has_code;
	if (has_src) {
		memcpy(sel->src_start, ss.a, sizeof(ss.a));
		memcpy(sel->src_end, se.a, sizeof(se.a));
	}
	if (has_dst) {
		memcpy(sel->dst_start, ds.a, sizeof(ds.a));
		memcpy(sel->dst_end, de.a, sizeof(de.a));
	}
	if (has_src || has_dst)
		sel_set_family(sel, has_src ? ss.family : ds.family, has_src, has_dst);
	a->nsel++;
	a->has_sel = true;
	return i;
}

/* limit NAME N [NAME N]... or limit none. Returns tokens consumed, or -1. */
static int parse_limit(struct sa_args *a, int argc, char **argv)
{
	int i = 0;

	if (argc > 0 && !strcmp(argv[0], "none")) {
		for (int k = 0; k <= KESP_LFT_A_MAX; k++)
			if (a->lft_set[k])
				return fail(a, "\"limit none\" with other limits");
		a->has_lft = true;
		return 1;
	}
	if (a->has_lft) {
		bool any = false;

		for (int k = 0; k <= KESP_LFT_A_MAX; k++)
			any = any || a->lft_set[k];
		if (!any)
			return fail(a, "\"limit none\" with other limits");
	}
	while (i < argc) {
		size_t k;

		for (k = 0; k < sizeof(limits) / sizeof(limits[0]); k++)
			if (!strcmp(argv[i], limits[k].name))
				break;
		if (k == sizeof(limits) / sizeof(limits[0])) {
			if (i == 0)
				return argc ? bad(a, "limit", argv[0]) :
					fail(a, "\"limit\" needs NAME VALUE");
			break;
		}
		if (i + 1 >= argc)
			return fail(a, "limit \"%s\" needs a value", argv[i]);
		if (a->lft_set[limits[k].attr])
			return fail(a, "limit \"%s\" given twice", argv[i]);
		if (parse_u64(argv[i + 1], &a->lft[limits[k].attr]) < 0)
			return bad(a, argv[i], argv[i + 1]);
		a->lft_set[limits[k].attr] = true;
		i += 2;
	}
	a->has_lft = true;
	return i;
}

/*
 * encap espinudp SPORT DPORT [OADDR], as ip xfrm state takes it. OADDR
 * (the peer's address before NAT, which XFRM keeps for transport-mode
 * checksums) is checked and dropped: like XFRM, kesp does not verify the
 * inner checksum of a transport-mode packet that came in UDP.
 */
static int parse_encap(struct sa_args *a, int argc, char **argv)
{
	struct kesp_addr oaddr;
	uint32_t port;

	if (strcmp(argv[0], "espinudp"))
		return fail(a, "bad encap \"%s\" (only espinudp)", argv[0]);
	if (argc < 3)
		return fail(a, "\"encap espinudp\" needs a source and a destination port");
	for (int i = 1; i <= 2; i++) {
		if (parse_u32(argv[i], UINT16_MAX, &port) < 0 || !port)
			return bad(a, i == 1 ? "encap source port" :
					       "encap destination port", argv[i]);
		*(i == 1 ? &a->encap_sport : &a->encap_dport) = port;
	}
	a->has_encap = true;
	/* Optional here: a word that is no address is the next keyword. */
	return argc > 3 && parse_addr(argv[3], &oaddr) == 0 ? 4 : 3;
}

static int check_add(struct sa_args *a, const char *seq_tok)
{
	static const struct {
		enum kw kw;
		const char *name;
	} required[] = {
		{ KW_DEV, "dev" }, { KW_DIR, "dir" }, { KW_SRC, "src" },
		{ KW_DST, "dst" }, { KW_SPI, "spi" }, { KW_MODE, "mode" },
	};
	bool have[] = { a->dev[0], a->dir, a->has_src, a->has_dst,
			a->has_spi, a->mode };

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!have[i])
			return fail(a, "missing \"%s\"", required[i].name);
	if (a->aead.info && (a->enc.info || a->auth.info))
		return fail(a, "\"aead\" excludes \"enc\" and \"auth\"");
	if (!a->aead.info && !a->enc.info && !a->auth.info)
		return fail(a, "missing \"aead\", or \"enc\" and \"auth\"");
	if (!a->aead.info && !a->enc.info)
		return fail(a, "missing \"enc\" (\"enc cipher_null \\\"\\\"\" for none)");
	if (!a->aead.info && !a->auth.info)
		return fail(a, "missing \"auth\"");
	if (a->has_replay_window && a->dir != KESP_DIR_IN)
		return fail(a, "\"replay-window\" is for inbound SAs");
	if (a->has_priority && a->dir != KESP_DIR_OUT)
		return fail(a, "\"priority\" is for outbound SAs");
	if (a->has_cpu && a->dir != KESP_DIR_OUT)
		return fail(a, "\"cpu\" is for outbound SAs");
	if (a->has_seq && a->seq > UINT32_MAX && !(a->flags & KESP_SA_F_ESN))
		return fail(a, "bad seq \"%s\": above 2^32 - 1 needs \"flag esn\"",
			    seq_tok);
	return 0;
}

/* SA-KEY: id N, or dir in spi S, or dir out spi S dst A. */
static int check_keyed(struct sa_args *a)
{
	if (!a->dev[0])
		return fail(a, "missing \"dev\"");
	if (a->has_id && (a->dir || a->has_spi))
		return fail(a, "\"id\" excludes \"dir\" and \"spi\"");
	if (!a->has_id && !(a->dir && a->has_spi))
		return fail(a, "missing \"id\", or \"dir\" and \"spi\"");
	if (a->verb == SA_VERB_UPDATE) {
		if (a->has_src && !a->has_dst)
			return fail(a, "\"src\" needs \"dst\" (addresses change together)");
		/*
		 * An outbound SA is found by (spi, dst): with new addresses
		 * dst would be both key and value, so those need the id.
		 */
		if (a->has_src && a->dir == KESP_DIR_OUT)
			return fail(a, "changing the addresses of an outbound SA needs \"id\"");
		if (!a->has_src && a->has_dst && a->dir != KESP_DIR_OUT)
			return fail(a, "\"dst\" needs \"src\" (addresses change together)");
		if (!a->has_src && !a->has_sel && !a->has_lft && !a->has_encap)
			return fail(a, "nothing to update (give src and dst, sel, limit or encap)");
	}
	if (a->dir == KESP_DIR_OUT && !a->has_dst)
		return fail(a, "\"dir out\" needs \"dst\" to find the SA");
	return 0;
}

int sa_parse(enum sa_verb verb, int argc, char **argv, struct sa_args *a)
{
	uint32_t seen = 0;
	const char *seq_tok = NULL;
	int i = 0, n;

	memset(a, 0, offsetof(struct sa_args, sel));
	a->verb = verb;
	while (i < argc) {
		const char *kw = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		size_t k;

		/* The first letter first: a -batch has many lines to parse. */
		for (k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
			if (kw[0] == keywords[k].name[0] &&
			    !strcmp(kw, keywords[k].name))
				break;
		if (k == sizeof(keywords) / sizeof(keywords[0]) ||
		    !(keywords[k].verbs & (1U << verb)))
			return fail(a, "unexpected \"%s\"", kw);
		if (!keywords[k].repeat && (seen & (1U << keywords[k].kw)))
			return fail(a, "\"%s\" given twice", kw);
		seen |= 1U << keywords[k].kw;
		if (!val)
			return fail(a, "\"%s\" needs a value", kw);
		n = 1;
		switch (keywords[k].kw) {
		case KW_DEV:
			if (!val[0] || strlen(val) >= IFNAMSIZ)
				return bad(a, "device name", val);
			strcpy(a->dev, val);
			break;
		case KW_DIR:
			if (!strcmp(val, "in"))
				a->dir = KESP_DIR_IN;
			else if (!strcmp(val, "out"))
				a->dir = KESP_DIR_OUT;
			else
				return bad(a, "dir", val);
			break;
		case KW_ID:
			if (parse_u32(val, UINT32_MAX, &a->id) < 0)
				return bad(a, "id", val);
			a->has_id = true;
			break;
		case KW_SRC:
		case KW_DST: {
			bool s = keywords[k].kw == KW_SRC;
			struct kesp_addr *addr = s ? &a->src : &a->dst;
			const struct kesp_addr *other = s ? &a->dst : &a->src;

			if (parse_addr(val, addr) < 0)
				return bad(a, kw, val);
			if ((s ? a->has_dst : a->has_src) && other->family != addr->family)
				return fail(a, "%s \"%s\" is not the address family of %s",
					    kw, val, s ? "dst" : "src");
			*(s ? &a->has_src : &a->has_dst) = true;
			break;
		}
		case KW_PROTO:
			if (strcmp(val, "esp"))
				return fail(a, "bad proto \"%s\" (only esp)", val);
			break;
		case KW_SPI:
			if (parse_u32(val, UINT32_MAX, &a->spi) < 0 || !a->spi)
				return bad(a, "spi", val);
			a->has_spi = true;
			break;
		case KW_MODE:
			if (!strcmp(val, "tunnel"))
				a->mode = KESP_MODE_TUNNEL;
			else if (!strcmp(val, "transport"))
				a->mode = KESP_MODE_TRANSPORT;
			else
				return bad(a, "mode", val);
			break;
		case KW_REQID:
			if (parse_u32(val, UINT32_MAX, &a->reqid) < 0)
				return bad(a, "reqid", val);
			a->has_reqid = true;
			break;
		case KW_REPLAY_WINDOW:
			if (parse_u32(val, KESP_REPLAY_WINDOW_MAX, &a->replay_window) < 0)
				return bad(a, "replay-window", val);
			a->has_replay_window = true;
			break;
		case KW_FLAG: {
			const struct sa_flag_name *f = sa_flag_names;

			while (f->name && strcmp(val, f->name))
				f++;
			if (!f->name)
				return bad(a, "flag", val);
			a->flags |= f->bit;
			break;
		}
		case KW_SEQ:
			if (parse_u64(val, &a->seq) < 0)
				return bad(a, "seq", val);
			a->has_seq = true;
			seq_tok = val;
			break;
		case KW_PRIORITY:
			if (parse_u32(val, UINT32_MAX, &a->priority) < 0)
				return bad(a, "priority", val);
			a->has_priority = true;
			break;
		case KW_CPU:
			if (parse_u32(val, UINT32_MAX - 1, &a->cpu) < 0)
				return bad(a, "cpu", val);
			a->has_cpu = true;
			break;
		case KW_AEAD:
		case KW_ENC:
		case KW_AUTH:
		case KW_AUTH_TRUNC:
			n = parse_alg(a, keywords[k].kw, kw, argc - i - 1, argv + i + 1);
			break;
		case KW_SEL:
			n = parse_sel(a, argc - i - 1, argv + i + 1);
			break;
		case KW_LIMIT:
			n = parse_limit(a, argc - i - 1, argv + i + 1);
			break;
		case KW_ENCAP:
			n = parse_encap(a, argc - i - 1, argv + i + 1);
			break;
		case KW_MIN:
		case KW_MAX: {
			bool lo = keywords[k].kw == KW_MIN;

			if (parse_u32(val, UINT32_MAX, lo ? &a->spi_min : &a->spi_max) < 0 ||
			    !(lo ? a->spi_min : a->spi_max))
				return bad(a, kw, val);
			*(lo ? &a->has_spi_min : &a->has_spi_max) = true;
			break;
		}
		}
		if (n < 0)
			return -1;
		i += 1 + n;
	}

	if (sa_sel_resolve(a, a->has_src ? a->src.family : a->dst.family) < 0)
		return -1;
	switch (verb) {
	case SA_VERB_ADD:
		return check_add(a, seq_tok);
	case SA_VERB_UPDATE:
	case SA_VERB_DEL:
	case SA_VERB_GET:
		return check_keyed(a);
	case SA_VERB_SPI_ALLOC:
		if (!a->dev[0])
			return fail(a, "missing \"dev\"");
		if (a->has_spi_min && a->has_spi_max && a->spi_min > a->spi_max)
			return fail(a, "min 0x%x is above max 0x%x", a->spi_min,
				    a->spi_max);
		return 0;
	case SA_VERB_LIST:
	case SA_VERB_FLUSH:
		return 0;
	}
	return 0;
}

/* ---- requests ----------------------------------------------------------- */

static int put_alg(struct nl_msg *msg, int type, const struct sa_alg *alg,
		   bool icv)
{
	struct nlattr *nest = nla_nest_start(msg, type | NLA_F_NESTED);

	if (!nest || nla_put_string(msg, KESP_ALG_A_NAME, alg->info->name) < 0 ||
	    nla_put(msg, KESP_ALG_A_KEY, (int)alg->key_len, alg->key) < 0 ||
	    (icv && nla_put_u32(msg, KESP_ALG_A_ICV_BITS, alg->icv_bits) < 0))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

int sa_parse_sel(struct sa_args *a, int argc, char **argv)
{
	return parse_sel(a, argc, argv);
}

int sa_sel_resolve(struct sa_args *a, int family)
{
	for (unsigned int i = 0; i < a->nsel; i++) {
		if (a->sel[i].family)
			continue;
		if (!family)
			return fail(a, "sel without src or dst needs the SA's src or dst, for its address family");
		sel_set_family(&a->sel[i], family, false, false);
	}
	return 0;
}

int sa_put_sel(struct nl_msg *msg, int type, const struct sa_sel *sel)
{
	struct nlattr *nest = nla_nest_start(msg, type | NLA_F_NESTED);
	int len = (int)kesp_addr_len(sel->family);

	if (!nest ||
	    nla_put_u16(msg, KESP_SEL_A_FAMILY, (uint16_t)sel->family) < 0 ||
	    nla_put(msg, KESP_SEL_A_SRC_START, len, sel->src_start) < 0 ||
	    nla_put(msg, KESP_SEL_A_SRC_END, len, sel->src_end) < 0 ||
	    nla_put(msg, KESP_SEL_A_DST_START, len, sel->dst_start) < 0 ||
	    nla_put(msg, KESP_SEL_A_DST_END, len, sel->dst_end) < 0 ||
	    (sel->proto && nla_put_u8(msg, KESP_SEL_A_PROTO, sel->proto) < 0))
		return -1;
	if (sel->has_sport &&
	    (nla_put_u16(msg, KESP_SEL_A_SPORT_START, sel->sport_start) < 0 ||
	     nla_put_u16(msg, KESP_SEL_A_SPORT_END, sel->sport_end) < 0))
		return -1;
	if (sel->has_dport &&
	    (nla_put_u16(msg, KESP_SEL_A_DPORT_START, sel->dport_start) < 0 ||
	     nla_put_u16(msg, KESP_SEL_A_DPORT_END, sel->dport_end) < 0))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * "sel none" and "limit none" are empty nests, which libnl's nla_nest_end()
 * would trim away; they are put as bare attribute headers instead.
 */
static int put_empty_nest(struct nl_msg *msg, int type)
{
	return nla_put(msg, type | NLA_F_NESTED, 0, NULL) < 0 ? -1 : 0;
}

static int put_selectors(struct nl_msg *msg, const struct sa_args *a)
{
	struct nlattr *nest;

	if (!a->nsel)
		return put_empty_nest(msg, KESP_SA_A_SELECTORS);
	nest = nla_nest_start(msg, KESP_SA_A_SELECTORS | NLA_F_NESTED);
	if (!nest)
		return -1;
	for (unsigned int i = 0; i < a->nsel; i++)
		if (sa_put_sel(msg, KESP_SELECTORS_A_SELECTOR, &a->sel[i]) < 0)
			return -1;
	nla_nest_end(msg, nest);
	return 0;
}

static int put_lifetime(struct nl_msg *msg, const struct sa_args *a)
{
	struct nlattr *nest;
	bool any = false;

	for (int k = 0; k <= KESP_LFT_A_MAX; k++)
		any = any || a->lft_set[k];
	if (!any)
		return put_empty_nest(msg, KESP_SA_A_LIFETIME);
	nest = nla_nest_start(msg, KESP_SA_A_LIFETIME | NLA_F_NESTED);
	if (!nest)
		return -1;
	for (int k = 0; k <= KESP_LFT_A_MAX; k++)
		if (a->lft_set[k] && nla_put_u64(msg, k, a->lft[k]) < 0)
			return -1;
	nla_nest_end(msg, nest);
	return 0;
}

static int put_addrs(struct nl_msg *msg, const struct sa_args *a, bool src, bool dst)
{
	if (src && nla_put(msg, KESP_SA_A_SRC, (int)kesp_addr_len(a->src.family),
			   a->src.a) < 0)
		return -1;
	if (dst && nla_put(msg, KESP_SA_A_DST, (int)kesp_addr_len(a->dst.family),
			   a->dst.a) < 0)
		return -1;
	return 0;
}

/*
 * SA-KEY. An inbound SA is found by SPI alone, so its dst is not sent; an
 * outbound one's dst is (sa_parse refuses new addresses for it there).
 */
static int put_key(struct nl_msg *msg, const struct sa_args *a)
{
	if (a->has_id)
		return nla_put_u32(msg, KESP_SA_A_ID, a->id) < 0 ? -1 : 0;
	if (nla_put_u8(msg, KESP_SA_A_DIR, a->dir) < 0 ||
	    nla_put_u32(msg, KESP_SA_A_SPI, a->spi) < 0)
		return -1;
	if (a->dir == KESP_DIR_OUT)
		return put_addrs(msg, a, false, true);
	return 0;
}

static int put_encap(struct nl_msg *msg, const struct sa_args *a)
{
	struct nlattr *nest = nla_nest_start(msg, KESP_SA_A_ENCAP);

	if (!nest || nla_put_u8(msg, KESP_ENCAP_A_TYPE, KESP_ENCAP_ESPINUDP) < 0 ||
	    nla_put_u16(msg, KESP_ENCAP_A_SPORT, a->encap_sport) < 0 ||
	    nla_put_u16(msg, KESP_ENCAP_A_DPORT, a->encap_dport) < 0)
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

static int put_add(struct nl_msg *msg, const struct sa_args *a)
{
	if (nla_put_u8(msg, KESP_SA_A_DIR, a->dir) < 0 ||
	    nla_put_u32(msg, KESP_SA_A_SPI, a->spi) < 0 ||
	    nla_put_u8(msg, KESP_SA_A_MODE, a->mode) < 0 ||
	    put_addrs(msg, a, true, true) < 0 ||
	    (a->has_reqid && nla_put_u32(msg, KESP_SA_A_REQID, a->reqid) < 0))
		return -1;
	if (a->aead.info && put_alg(msg, KESP_SA_A_AEAD, &a->aead, true) < 0)
		return -1;
	if (a->enc.info && (put_alg(msg, KESP_SA_A_ENC, &a->enc, false) < 0 ||
			    put_alg(msg, KESP_SA_A_AUTH, &a->auth, true) < 0))
		return -1;
	if ((a->has_replay_window &&
	     nla_put_u32(msg, KESP_SA_A_REPLAY_WINDOW, a->replay_window) < 0) ||
	    (a->flags && nla_put_u32(msg, KESP_SA_A_FLAGS, a->flags) < 0) ||
	    (a->has_seq && nla_put_u64(msg, KESP_SA_A_SEQ, a->seq) < 0) ||
	    (a->has_priority && nla_put_u32(msg, KESP_SA_A_PRIORITY, a->priority) < 0) ||
	    (a->has_cpu && nla_put_u32(msg, KESP_SA_A_CPU, a->cpu) < 0))
		return -1;
	return 0;
}

/*
 * More than a request for A can need: the headers and every scalar
 * attribute (under 300 bytes), three algorithms of at most a 64-byte name
 * and a KESP_KEY_MAX key each, the limits and the encapsulation, and per
 * selector its nest with two address ranges, ports, protocol, type and
 * code (under 160). libnl's default, a page, is cleared for each request
 * and did not fit 64 IPv6 selectors.
 */
static size_t request_max_size(const struct sa_args *a)
{
	return 1024 + (size_t)a->nsel * 192;
}

struct nl_msg *sa_build_request(struct kesp_nl *nl, const struct sa_args *a)
{
	static const uint8_t cmds[] = {
		[SA_VERB_ADD] = KESP_CMD_SA_NEW, [SA_VERB_UPDATE] = KESP_CMD_SA_UPDATE,
		[SA_VERB_DEL] = KESP_CMD_SA_DEL, [SA_VERB_GET] = KESP_CMD_SA_GET,
		[SA_VERB_LIST] = KESP_CMD_SA_GET, [SA_VERB_FLUSH] = KESP_CMD_SA_FLUSH,
		[SA_VERB_SPI_ALLOC] = KESP_CMD_SPI_ALLOC,
	};
	struct nl_msg *msg;
	int ret = 0;

	msg = kesp_nl_request_sized(nl, cmds[a->verb],
				    a->verb == SA_VERB_LIST ? NLM_F_DUMP : 0,
				    request_max_size(a));
	if (!msg)
		return NULL;
	if (a->dev[0] && nla_put_u32(msg, KESP_SA_A_IFINDEX, a->ifindex) < 0)
		goto fail;

	switch (a->verb) {
	case SA_VERB_ADD:
		ret = put_add(msg, a);
		if (!ret && a->brief_reply)
			ret = kesp_nl_put_brief_reply(nl, msg);
		break;
	case SA_VERB_UPDATE:
		ret = put_key(msg, a);
		if (!ret && a->has_src)
			ret = put_addrs(msg, a, true, true);
		if (!ret && a->brief_reply)
			ret = kesp_nl_put_brief_reply(nl, msg);
		break;
	case SA_VERB_DEL:
	case SA_VERB_GET:
		ret = put_key(msg, a);
		break;
	case SA_VERB_LIST:
	case SA_VERB_FLUSH:
		if (a->dir)
			ret = nla_put_u8(msg, KESP_SA_A_DIR, a->dir);
		if (!ret && a->has_reqid)
			ret = nla_put_u32(msg, KESP_SA_A_REQID, a->reqid);
		break;
	case SA_VERB_SPI_ALLOC:
		if (a->has_spi_min)
			ret = nla_put_u32(msg, KESP_SA_A_SPI_MIN, a->spi_min);
		if (!ret && a->has_spi_max)
			ret = nla_put_u32(msg, KESP_SA_A_SPI_MAX, a->spi_max);
		break;
	}
	if (ret < 0)
		goto fail;
	if ((a->verb == SA_VERB_ADD || a->verb == SA_VERB_UPDATE) &&
	    ((a->has_sel && put_selectors(msg, a) < 0) ||
	     (a->has_lft && put_lifetime(msg, a) < 0) ||
	     (a->has_encap && put_encap(msg, a) < 0)))
		goto fail;
	return msg;

fail:
	kesp_nl_free_request(msg);
	return NULL;
}
