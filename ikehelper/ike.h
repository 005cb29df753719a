/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ikehelper: types and prototypes, grouped by the file that defines them
 * (OpenBSD iked style). Numbers are the IANA "Internet Key Exchange Version 2
 * (IKEv2) Parameters" registry values, so they go on the wire unchanged.
 */
#ifndef KESP_IKE_H
#define KESP_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- IANA numbers ------------------------------------------------------ */

enum ike_payload_type {
	IKE_PL_NONE = 0,
	IKE_PL_SA = 33,
	IKE_PL_KE = 34,
	IKE_PL_IDI = 35,
	IKE_PL_IDR = 36,
	IKE_PL_CERT = 37,
	IKE_PL_CERTREQ = 38,
	IKE_PL_AUTH = 39,
	IKE_PL_NONCE = 40,
	IKE_PL_NOTIFY = 41,
	IKE_PL_DELETE = 42,
	IKE_PL_VENDOR = 43,
	IKE_PL_TSI = 44,
	IKE_PL_TSR = 45,
	IKE_PL_SK = 46,
	IKE_PL_CP = 47,
	IKE_PL_EAP = 48,
	IKE_PL_SKF = 53,
};

enum ike_exchange_type {
	IKE_SA_INIT = 34,
	IKE_AUTH = 35,
	IKE_CREATE_CHILD_SA = 36,
	IKE_INFORMATIONAL = 37,
	IKE_SESSION_RESUME = 38,	/* RFC 5723 */
	IKE_INTERMEDIATE = 43,
};

#define IKE_FLAG_INITIATOR 0x08
#define IKE_FLAG_VERSION 0x10
#define IKE_FLAG_RESPONSE 0x20
#define IKE_PL_CRITICAL 0x80

enum ike_protocol_id {
	IKE_PROTO_IKE = 1,
	IKE_PROTO_AH = 2,
	IKE_PROTO_ESP = 3,
};

enum ike_transform_type {
	IKE_TRANS_ENCR = 1,
	IKE_TRANS_PRF = 2,
	IKE_TRANS_INTEG = 3,
	IKE_TRANS_DH = 4,
	IKE_TRANS_ESN = 5,
	IKE_TRANS_ADDKE1 = 6,	/* RFC 9370 additional key exchanges 1..7: */
	IKE_TRANS_ADDKE7 = 12,	/* not supported, a proposal with one is refused */
};

enum ike_encr_id {
	IKE_ENCR_NULL = 11,
	IKE_ENCR_AES_CBC = 12,
	IKE_ENCR_AES_CTR = 13,
	IKE_ENCR_AES_GCM_8 = 18,
	IKE_ENCR_AES_GCM_12 = 19,
	IKE_ENCR_AES_GCM_16 = 20,
	IKE_ENCR_CHACHA20_POLY1305 = 28,
};

enum ike_prf_id {
	IKE_PRF_HMAC_SHA1 = 2,
	IKE_PRF_HMAC_SHA2_256 = 5,
	IKE_PRF_HMAC_SHA2_384 = 6,
	IKE_PRF_HMAC_SHA2_512 = 7,
};

enum ike_integ_id {
	IKE_INTEG_NONE = 0,
	IKE_INTEG_HMAC_SHA1_96 = 2,
	IKE_INTEG_HMAC_SHA2_256_128 = 12,
	IKE_INTEG_HMAC_SHA2_384_192 = 13,
	IKE_INTEG_HMAC_SHA2_512_256 = 14,
};

enum ike_dh_id {
	IKE_DH_NONE = 0,
	IKE_DH_MODP2048 = 14,
	IKE_DH_MODP3072 = 15,
	IKE_DH_MODP4096 = 16,
	IKE_DH_ECP256 = 19,
	IKE_DH_ECP384 = 20,
	IKE_DH_ECP521 = 21,
	IKE_DH_CURVE25519 = 31,
	IKE_DH_CURVE448 = 32,
};

#define IKE_ATTR_KEY_LENGTH 14
#define IKE_ATTR_TV 0x8000

enum ike_notify_type {
	IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKE_N_INVALID_IKE_SPI = 4,
	IKE_N_INVALID_MAJOR_VERSION = 5,
	IKE_N_INVALID_SYNTAX = 7,
	IKE_N_INVALID_MESSAGE_ID = 9,
	IKE_N_INVALID_SPI = 11,
	IKE_N_NO_PROPOSAL_CHOSEN = 14,
	IKE_N_INVALID_KE_PAYLOAD = 17,
	IKE_N_AUTHENTICATION_FAILED = 24,
	IKE_N_TS_UNACCEPTABLE = 38,
	IKE_N_TS_MAX_QUEUED = 48,		/* RFC 9611 */
	IKE_N_INITIAL_CONTACT = 16384,
	IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKE_N_COOKIE = 16390,
	IKE_N_USE_TRANSPORT_MODE = 16391,
	IKE_N_REKEY_SA = 16393,
	IKE_N_MOBIKE_SUPPORTED = 16396,		/* RFC 4555 */
	IKE_N_ADDITIONAL_IP4_ADDRESS = 16397,
	IKE_N_ADDITIONAL_IP6_ADDRESS = 16398,
	IKE_N_NO_ADDITIONAL_ADDRESSES = 16399,
	IKE_N_UPDATE_SA_ADDRESSES = 16400,
	IKE_N_COOKIE2 = 16401,
	IKE_N_REDIRECT_SUPPORTED = 16406,	/* RFC 5685 */
	IKE_N_REDIRECT = 16407,
	IKE_N_REDIRECTED_FROM = 16408,
	IKE_N_TICKET_LT_OPAQUE = 16409,		/* RFC 5723 */
	IKE_N_TICKET_REQUEST = 16410,
	IKE_N_TICKET_ACK = 16411,
	IKE_N_TICKET_NACK = 16412,
	IKE_N_TICKET_OPAQUE = 16413,
	IKE_N_EAP_ONLY_AUTHENTICATION = 16417,
	IKE_N_CHILDLESS_IKEV2_SUPPORTED = 16418,
	IKE_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
	IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431,
	IKE_N_SA_RESOURCE_INFO = 16444,		/* RFC 9611 */
};

/* ---- errors ------------------------------------------------------------ */

/*
 * Functions return 0 or the negated enum ike_err; those taking a struct
 * ike_error also fill in the code, the offending payload and a reason fit
 * for a log line (never containing key material).
 */

enum ike_err {
	IKE_OK = 0,
	IKE_ERR_SYNTAX,		/* -> INVALID_SYNTAX, only if authenticated */
	IKE_ERR_CRITICAL,	/* -> UNSUPPORTED_CRITICAL_PAYLOAD */
	IKE_ERR_MAJOR_VERSION,	/* higher major version -> INVALID_MAJOR_VERSION */
	IKE_ERR_INVALID_KE,	/* -> INVALID_KE_PAYLOAD */
	IKE_ERR_NO_PROPOSAL,	/* -> NO_PROPOSAL_CHOSEN */
	IKE_ERR_INTEGRITY,	/* ICV mismatch: drop silently (RFC 7296 §2.21.2) */
	IKE_ERR_UNSUPPORTED,	/* algorithm or group we do not implement */
	IKE_ERR_NOSPC,		/* output buffer too small */
	IKE_ERR_NOMEM,
	IKE_ERR_CRYPTO,		/* the crypto library failed */
	IKE_ERR_ARG,		/* caller error */
	IKE_ERR_IKEV1,		/* major version 1: dropped, and logged rate-limited
				 * (ike_ratelimit, ike_ikev1_log_line) */
};

/*
 * The reason travels with the code so logs say what was wrong.
 * authenticated: found in a protected message whose ICV verified (set by
 * ike_msg_decrypt); only then may INVALID_SYNTAX be sent (RFC 7296 §3.10.1).
 */
struct ike_error {
	enum ike_err code;
	uint8_t payload;	/* offending payload type, if any */
	bool authenticated;
	char reason[160];
};

/* ---- decoded message ---------------------------------------------------- */

/* Slices point into the buffer that was decoded (or that will be encoded). */
struct ike_slice {
	const uint8_t *p;
	size_t len;
};

#define IKE_HDR_LEN 28
#define IKE_PL_HDR_LEN 4
#define IKE_MAX_PAYLOADS 64
/*
 * Transforms held per proposal. strongSwan's "proposals = default" sends 38
 * in one proposal (all its algorithms), so 64 leaves room; a received
 * proposal with more keeps its first 64 and is marked
 * IKE_PROPOSAL_TOO_MANY_TRANSFORMS (unacceptable, not a syntax error).
 * Proposals, selectors and CP attributes are as many as the wire holds.
 */
#define IKE_MAX_TRANSFORMS 64
#define IKE_MAX_SPI 8
#define IKE_MAX_MSG 65535

struct ike_header {
	uint8_t spi_i[8];
	uint8_t spi_r[8];
	uint8_t next;		/* first payload type */
	uint8_t version;	/* 0x20 */
	uint8_t exchange;
	uint8_t flags;
	uint32_t msgid;
	uint32_t length;
};

/* A received transform whose attributes we do not all understand: it is
 * unacceptable (RFC 7296 §3.3.6) and never chosen; not re-encoded. */
#define IKE_TRANSFORM_UNKNOWN_ATTR 0x1

struct ike_transform {
	uint8_t type;
	uint16_t id;
	uint16_t keylen;	/* bits, 0 when the transform has no attribute */
	uint8_t flags;		/* IKE_TRANSFORM_* from the decoder */
};

/* A received proposal for a protocol we do not know: unacceptable (§3.3.6). */
#define IKE_PROPOSAL_UNKNOWN_PROTOCOL 0x1
/* A received proposal with more than IKE_MAX_TRANSFORMS: unacceptable. */
#define IKE_PROPOSAL_TOO_MANY_TRANSFORMS 0x2

struct ike_proposal {
	uint8_t num;
	uint8_t protocol;
	uint8_t flags;		/* IKE_PROPOSAL_* from the decoder */
	uint8_t spi_size;
	uint8_t spi[IKE_MAX_SPI];
	uint8_t ntrans;
	struct ike_transform trans[IKE_MAX_TRANSFORMS];
};

/*
 * The arrays of SA, TS and CP payloads are not inside struct ike_payload:
 * the decoder allocates them with the message (see ike_msg_release), an
 * encoder points them at its own.
 */
struct ike_pl_sa {
	uint8_t nprop;
	const struct ike_proposal *prop;
};

struct ike_pl_ke {
	uint16_t group;
	struct ike_slice data;
};

/* IDi, IDr, CERT, CERTREQ, AUTH: a one-byte kind and opaque data. */
struct ike_pl_typed {
	uint8_t kind;
	struct ike_slice data;
};

struct ike_pl_notify {
	uint8_t protocol;
	uint16_t type;
	struct ike_slice spi;
	struct ike_slice data;
};

struct ike_pl_delete {
	uint8_t protocol;
	uint8_t spi_size;
	uint16_t nspi;
	struct ike_slice spis;	/* nspi * spi_size bytes */
};

#define IKE_TS_IPV4_ADDR_RANGE 7
#define IKE_TS_IPV6_ADDR_RANGE 8

/* An address range; for any other type (ike_ts_known() false) only type,
 * ipproto (the byte after it) and data (the rest of the selector) are set. */
struct ike_ts {
	uint8_t type;
	uint8_t ipproto;
	uint16_t start_port;
	uint16_t end_port;
	uint8_t start[16];
	uint8_t end[16];
	struct ike_slice data;
};

struct ike_pl_ts {
	uint8_t nts;
	const struct ike_ts *ts;
};

struct ike_cp_attr {
	uint16_t type;
	struct ike_slice value;
};

struct ike_pl_cp {
	uint8_t cfg_type;
	uint16_t nattr;
	const struct ike_cp_attr *attr;
};

struct ike_pl_eap {
	uint8_t code;
	uint8_t ident;
	struct ike_slice data;	/* bytes after the 4-byte EAP header */
};

struct ike_pl_skf {
	uint16_t frag_num;
	uint16_t total;
	struct ike_slice data;	/* IV, ciphertext, padding, ICV */
};

struct ike_payload {
	uint8_t type;
	uint8_t flags;		/* IKE_PL_CRITICAL or 0 */
	uint8_t next;		/* as on the wire (the inner type for SK/SKF) */
	struct ike_slice body;	/* everything after the generic header */
	union {
		struct ike_pl_sa sa;
		struct ike_pl_ke ke;
		struct ike_pl_typed typed;	/* ID, CERT, CERTREQ, AUTH */
		struct ike_slice raw;		/* Nonce, Vendor ID, SK */
		struct ike_pl_notify notify;
		struct ike_pl_delete del;
		struct ike_pl_ts ts;
		struct ike_pl_cp cp;
		struct ike_pl_eap eap;
		struct ike_pl_skf skf;
	} u;
};

struct ike_msg_store;

/*
 * A decoded message owns what its payloads' arrays were allocated in
 * (store); ike_msg_release() frees it. A message built for encoding has
 * no store (leave it NULL).
 */
struct ike_msg {
	struct ike_header hdr;
	size_t npl;
	struct ike_payload pl[IKE_MAX_PAYLOADS];
	size_t sk_offset;	/* offset of the SK/SKF generic header, or 0 */
	/*
	 * First unknown payload type marked critical, or 0. In a message
	 * without SK the decoder fails with IKE_ERR_CRITICAL; with SK it
	 * decodes, and ike_msg_decrypt fails so once the ICV verified.
	 */
	uint8_t unsupported_critical;
	struct ike_msg_store *store;
};

/* A bounded output buffer; any overflow sticks and is reported at the end. */
struct ike_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool overflow;
};

/* ---- ikev2_names.c ------------------------------------------------------ */
const char *ike_payload_name(unsigned int type);
const char *ike_exchange_name(unsigned int type);
const char *ike_notify_name(unsigned int type);
const char *ike_protocol_name(unsigned int proto);
const char *ike_transform_type_name(unsigned int type);
const char *ike_transform_name(unsigned int type, unsigned int id);
const char *ike_err_name(enum ike_err err);
/* The notify that answers err, or 0 to drop the message (and log it). */
unsigned int ike_err_notify(enum ike_err err, bool authenticated);

/* ---- payload.c ---------------------------------------------------------- */
void ike_buf_init(struct ike_buf *b, uint8_t *storage, size_t cap);
void ike_buf_put8(struct ike_buf *b, uint8_t v);
void ike_buf_put16(struct ike_buf *b, uint16_t v);
void ike_buf_put32(struct ike_buf *b, uint32_t v);
void ike_buf_put(struct ike_buf *b, const void *p, size_t len);
void ike_buf_patch16(struct ike_buf *b, size_t off, uint16_t v);
int ike_set_error(struct ike_error *err, enum ike_err code, uint8_t payload,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Parses pl->body by pl->type into msg's store; msg->hdr's R bit decides
 * how SA proposals must be numbered. */
int ike_payload_parse(struct ike_msg *msg, struct ike_payload *pl, struct ike_error *err);
void ike_payload_encode_body(const struct ike_payload *pl, struct ike_buf *b);
bool ike_payload_known(unsigned int type);
bool ike_ts_known(unsigned int type);

/* ---- message.c ---------------------------------------------------------- */
/*
 * ike_msg_decode, ike_payloads_decode and ike_msg_decrypt (for inner) fill
 * a struct ike_msg whose SA/TS/CP arrays live in memory the message owns:
 * after a successful decode call ike_msg_release() when done with it (a
 * failed decode has released already). Decoding into a message that still
 * holds a previous decode's store leaks it. Releasing twice is harmless.
 */
void ike_msg_release(struct ike_msg *msg);
void *ike_msg_alloc(struct ike_msg *msg, size_t size);
int ike_header_decode(const uint8_t *buf, size_t len, struct ike_header *h,
		      struct ike_error *err);
int ike_msg_decode(const uint8_t *buf, size_t len, struct ike_msg *msg,
		   struct ike_error *err);
/* A payload chain on its own (the plaintext of SK, or reassembled SKF
 * fragments); hdr is the message it came in, copied to msg->hdr. */
int ike_payloads_decode(const struct ike_header *hdr, uint8_t first, const uint8_t *buf,
			size_t len, struct ike_msg *msg, struct ike_error *err);
int ike_payloads_encode(const struct ike_payload *pl, size_t npl,
			struct ike_buf *b);
int ike_msg_encode(const struct ike_msg *msg, struct ike_buf *b);

struct ike_sk_keys;
int ike_msg_encode_sk(const struct ike_header *hdr,
		      const struct ike_payload *outer, size_t nouter,
		      const struct ike_payload *inner, size_t ninner,
		      const struct ike_sk_keys *keys, const uint8_t *iv,
		      struct ike_buf *b, struct ike_error *err);
int ike_msg_encode_skf(const struct ike_header *hdr, uint8_t first,
		       uint16_t frag_num, uint16_t total, const uint8_t *frag,
		       size_t frag_len, const struct ike_sk_keys *keys,
		       const uint8_t *iv, struct ike_buf *b, struct ike_error *err);
int ike_msg_decrypt(const uint8_t *buf, size_t len, const struct ike_msg *msg,
		    const struct ike_sk_keys *keys, uint8_t *plain,
		    size_t *plain_len, struct ike_msg *inner,
		    struct ike_error *err);

/*
 * Dropped traffic gets a log line, rate-limited: IKEv1 (IKE_ERR_IKEV1 from
 * the decoder) is logged as "IKEv1 from ADDR:PORT is not supported" so an
 * administrator with a legacy peer sees why it gets no answer. E.g.
 *   static struct ike_ratelimit rl = IKE_RATELIMIT_INIT(60000, 5);
 *   if (ike_ratelimit(&rl, now_ms, &missed)) { ike_ikev1_log_line(...); }
 */
struct ike_ratelimit {
	uint64_t interval_ms;
	unsigned int burst;
	uint64_t begin_ms;	/* start of the current interval, 0 before the first */
	unsigned int allowed, missed;
};
#define IKE_RATELIMIT_INIT(interval_ms, burst) { (interval_ms), (burst), 0, 0, 0 }
bool ike_ratelimit(struct ike_ratelimit *rl, uint64_t now_ms, unsigned int *missed);
struct sockaddr;
int ike_ikev1_log_line(char *buf, size_t len, const struct sockaddr *from);

/* ---- crypto.c ----------------------------------------------------------- */
#define IKE_PRF_MAX 64
#define IKE_ICV_MAX 32
#define IKE_ENCR_KEY_MAX 36	/* AES-256 key plus 4-byte salt */
#define IKE_IV_MAX 16

struct ike_sk_cache;

/*
 * Keys for one direction of SK payload protection. ike_sk_keys_prepare()
 * builds the cipher handle once (else each message sets up its own); then
 * ike_sk_keys_wipe() must be called to free it. A prepared struct may be
 * copied (the copy works without the handle) but not moved and forgotten:
 * only the original frees the handle.
 */
struct ike_sk_keys {
	uint16_t encr;		/* enum ike_encr_id */
	uint16_t encr_bits;	/* AES: 128, 192 or 256 (ChaCha20: 256) */
	uint16_t integ;		/* enum ike_integ_id, NONE for AEADs */
	uint8_t ekey[IKE_ENCR_KEY_MAX];
	size_t ekey_len;
	uint8_t akey[IKE_PRF_MAX];
	size_t akey_len;
	struct ike_sk_cache *cache;		/* NULL until prepared */
	const struct ike_sk_keys *cache_for;	/* the object cache belongs to */
};

int ike_crypto_init(void);
void ike_crypto_deinit(void);
void ike_wipe(void *p, size_t len);
int ike_random(void *buf, size_t len);
int ike_random_key(void *buf, size_t len);
/*
 * Nonces (RFC 7296 §2.10): ike_nonce_new() refuses fewer than
 * ike_nonce_min_len(prf) bytes (max(16, PRF key size / 2)) or more than 256.
 * Before the PRF is negotiated (an initiator's IKE_SA_INIT) use
 * IKE_NONCE_LEN, enough for every PRF offered; check a peer's nonce
 * against ike_nonce_min_len() of the negotiated PRF.
 */
#define IKE_NONCE_LEN 32
#define IKE_NONCE_MAX 256
size_t ike_nonce_min_len(unsigned int prf);
int ike_nonce_new(unsigned int prf, uint8_t *nonce, size_t len);
/*
 * SPIs: 8 bytes (IKE) or 4 (never 0-255, RFC 4303 §2.1). ESP SPIs of the
 * daemon come from kesp.ko's SPI_ALLOC (the module knows which inbound
 * SPIs are free), not from ike_spi_new().
 */
bool ike_spi_valid(const uint8_t *spi, size_t len);
int ike_spi_new(uint8_t *spi, size_t len);
int ike_sk_keys_prepare(struct ike_sk_keys *k);
void ike_sk_keys_wipe(struct ike_sk_keys *k);

size_t ike_prf_len(unsigned int prf);
/* The GnuTLS MAC behind a PRF (a gnutls_mac_algorithm_t; int keeps GnuTLS
 * headers out of this one), GNUTLS_MAC_UNKNOWN for others. */
int ike_prf_mac(unsigned int prf);
int ike_prf(unsigned int prf, const uint8_t *key, size_t keylen,
	    const uint8_t *data, size_t len, uint8_t *out);
int ike_prf_vec(unsigned int prf, const uint8_t *key, size_t keylen,
		const struct ike_slice *parts, size_t nparts, uint8_t *out);

size_t ike_integ_key_len(unsigned int integ);
size_t ike_integ_icv_len(unsigned int integ);
int ike_integ_mac(unsigned int integ, const uint8_t *key, const uint8_t *data,
		  size_t len, uint8_t *icv);

bool ike_encr_is_aead(unsigned int encr);
bool ike_encr_supported(unsigned int encr, unsigned int bits);
size_t ike_encr_key_len(unsigned int encr, unsigned int bits);
size_t ike_encr_iv_len(unsigned int encr);
size_t ike_encr_block_len(unsigned int encr);
size_t ike_encr_icv_len(unsigned int encr);
int ike_aead_seal(const struct ike_sk_keys *k, const uint8_t *iv,
		  const uint8_t *aad, size_t aadlen, const uint8_t *in,
		  size_t len, uint8_t *out);
int ike_aead_open(const struct ike_sk_keys *k, const uint8_t *iv,
		  const uint8_t *aad, size_t aadlen, const uint8_t *in,
		  size_t len, uint8_t *out);
int ike_cbc_encrypt(const struct ike_sk_keys *k, const uint8_t *iv,
		    const uint8_t *in, size_t len, uint8_t *out);
int ike_cbc_decrypt(const struct ike_sk_keys *k, const uint8_t *iv,
		    const uint8_t *in, size_t len, uint8_t *out);
size_t ike_sk_overhead(const struct ike_sk_keys *k, size_t inner_len);
int ike_sk_seal(const struct ike_sk_keys *k, uint8_t *msg, size_t aad_len,
		const uint8_t *iv, const uint8_t *inner, size_t inner_len,
		size_t total_len, struct ike_error *err);
int ike_sk_open(const struct ike_sk_keys *k, const uint8_t *msg, size_t len,
		size_t sk_off, uint8_t *plain, size_t *plain_len,
		struct ike_error *err);
int ike_skf_open(const struct ike_sk_keys *k, const uint8_t *msg, size_t len,
		 size_t skf_off, uint8_t *plain, size_t *plain_len,
		 struct ike_error *err);

/* ---- dh.c --------------------------------------------------------------- */
struct ike_dh;
bool ike_dh_supported(unsigned int group);
size_t ike_dh_public_len(unsigned int group);
size_t ike_dh_shared_len(unsigned int group);
struct ike_dh *ike_dh_new(unsigned int group, struct ike_error *err);
int ike_dh_set_private(struct ike_dh *dh, const uint8_t *priv, size_t len,
		       struct ike_error *err);
int ike_dh_public(struct ike_dh *dh, uint8_t *out, size_t len);
int ike_dh_shared(struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
		  uint8_t *out, size_t len, struct ike_error *err);
void ike_dh_free(struct ike_dh *dh);
void ike_dh_cleanup(void);	/* frees the parsed MODP primes (ike_crypto_deinit) */

/* ---- keys.c ------------------------------------------------------------- */
#define IKE_PRFPLUS_MAX_ITER 255

struct ike_sa_keys {
	unsigned int prf;
	size_t prf_len, integ_len, encr_len;
	uint8_t sk_d[IKE_PRF_MAX];
	uint8_t sk_ai[IKE_PRF_MAX], sk_ar[IKE_PRF_MAX];
	uint8_t sk_ei[IKE_ENCR_KEY_MAX], sk_er[IKE_ENCR_KEY_MAX];
	uint8_t sk_pi[IKE_PRF_MAX], sk_pr[IKE_PRF_MAX];
};

int ike_prf_plus(unsigned int prf, const uint8_t *key, size_t keylen,
		 const uint8_t *seed, size_t seedlen, uint8_t *out,
		 size_t outlen);
int ike_skeyseed(unsigned int prf, const struct ike_slice *ni,
		 const struct ike_slice *nr, const struct ike_slice *gir,
		 uint8_t *out);
/*
 * SKEYSEED of a rekeyed IKE SA (RFC 7296 §2.18): computed with the OLD SA's
 * PRF, so it is ike_prf_len(old_prf) bytes; hand it, with that length, to
 * ike_sa_keys_derive() with the NEW SA's PRF.
 */
int ike_skeyseed_rekey(unsigned int old_prf, const uint8_t *sk_d_old,
		       size_t sk_d_len, const struct ike_slice *gir_new,
		       const struct ike_slice *ni, const struct ike_slice *nr,
		       uint8_t *out);
int ike_ike_dkm(unsigned int prf, const uint8_t *skeyseed, size_t skeyseed_len,
		const struct ike_slice *ni, const struct ike_slice *nr,
		const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t *out,
		size_t outlen);
/* prf runs prf+ and sizes SK_d/SK_pi/SK_pr; skeyseed_len is whatever PRF
 * made SKEYSEED produced (they differ when a rekey changes the PRF). */
int ike_sa_keys_derive(unsigned int prf, unsigned int encr,
		       unsigned int encr_bits, unsigned int integ,
		       const uint8_t *skeyseed, size_t skeyseed_len,
		       const struct ike_slice *ni,
		       const struct ike_slice *nr, const uint8_t spi_i[8],
		       const uint8_t spi_r[8], struct ike_sa_keys *keys);
void ike_sa_keys_sk(const struct ike_sa_keys *keys, bool initiator,
		    unsigned int encr, unsigned int encr_bits,
		    unsigned int integ, struct ike_sk_keys *out);
int ike_child_keymat(unsigned int prf, const uint8_t *sk_d, size_t sk_d_len,
		     const struct ike_slice *gir_new,
		     const struct ike_slice *ni, const struct ike_slice *nr,
		     uint8_t *out, size_t outlen);
void ike_sa_keys_wipe(struct ike_sa_keys *keys);

/* ---- proposal.c --------------------------------------------------------- */
int ike_proposal_parse(const char *text, unsigned int protocol,
		       struct ike_proposal *p, char *why, size_t whylen);
int ike_proposal_format(const struct ike_proposal *p, char *buf, size_t len);
const char *ike_transform_keyword(const struct ike_transform *t);
/*
 * Responder's choice: the first of our proposals (in our order) that one
 * of the peer's matches, taking one transform per type in our order.
 * Explicit NONE (INTEG with AEADs, DH for "PFS optional") counts as
 * absence; when the peer listed NONE and it is agreed, chosen carries it.
 * A peer proposal with a transform type we do not know is unacceptable.
 * On failure why says, per pair of proposals, what differed.
 */
#define IKE_SELECT_SKIP_DH	0x1	/* IKE_AUTH: Child SA proposals' DH transforms
					 * are ignored (RFC 7296 §1.2) */
#define IKE_SELECT_DH_REQUIRED	0x2	/* refuse DH NONE (implied for IKE proposals:
					 * an IKE SA rekey needs a new KE, §2.18) */
int ike_proposal_select(const struct ike_proposal *mine, size_t nmine,
			const struct ike_proposal *peer, size_t npeer, unsigned int flags,
			struct ike_proposal *chosen, char *why, size_t whylen);

/* ---- mschapv2.c: MS-CHAPv2 (RFC 2759 §8), MPPE keys (RFC 3079 §3.4) ----- */
#define MSCHAP_PASSWORD_MAX 256
#define MSCHAP_MSK_LEN 64
/* NtPasswordHash: MD4 of the password as UTF-16LE (one unit per byte). */
int mschap_nt_hash(const uint8_t *password, size_t len, uint8_t out[16]);
void mschap_hash_nt_hash(const uint8_t nt_hash[16], uint8_t out[16]);
/* ChallengeHash; USER may be "DOMAIN\\user" (only the user part counts). */
void mschap_challenge_hash(const uint8_t peer_challenge[16], const uint8_t auth_challenge[16],
			   const uint8_t *user, size_t user_len, uint8_t out[8]);
void mschap_challenge_response(const uint8_t challenge[8], const uint8_t nt_hash[16],
			       uint8_t out[24]);
/* GenerateNTResponse; -1 when the password is too long. */
int mschap_nt_response(const uint8_t auth_challenge[16], const uint8_t peer_challenge[16],
		       const uint8_t *user, size_t user_len, const uint8_t *password,
		       size_t pw_len, uint8_t out[24]);
/* GenerateAuthenticatorResponse, the 20 octets behind "S=". */
void mschap_authenticator_response(const uint8_t nt_hash[16], const uint8_t nt_response[24],
				   const uint8_t peer_challenge[16],
				   const uint8_t auth_challenge[16], const uint8_t *user,
				   size_t user_len, uint8_t out[20]);
void mschap_master_key(const uint8_t hash_nt_hash[16], const uint8_t nt_response[24],
		       uint8_t out[16]);
/* GetAsymmetricStartKey for 16 octets: with Magic2 (the client's send key)
 * or Magic3 (the client's receive key). */
void mschap_asymmetric_key(const uint8_t master[16], bool magic2_key, uint8_t out[16]);
/* The EAP-MSCHAPv2 MSK as strongSwan (and Windows) make it: the Magic2 key,
 * the Magic3 key, 32 zero octets. */
void mschap_msk(const uint8_t nt_hash[16], const uint8_t nt_response[24],
		uint8_t msk[MSCHAP_MSK_LEN]);

#endif /* KESP_IKE_H */
