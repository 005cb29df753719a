// SPDX-License-Identifier: GPL-2.0
/*
 * IANA IKEv2 registry numbers -> printable names for logs. Values from the
 * "Internet Key Exchange Version 2 (IKEv2) Parameters" registry; unknown
 * numbers print as "UNKNOWN" so a log line never dereferences NULL.
 */
#include "ike.h"

struct name {
	unsigned int v;
	const char *s;
};

#define N(x, s) { x, s }

static const char *lookup(const struct name *t, size_t n, unsigned int v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].s;
	return "UNKNOWN";
}

#define LOOKUP(t, v) lookup(t, sizeof(t) / sizeof((t)[0]), v)

static const struct name payloads[] = {
	N(0, "NONE"), N(33, "SA"), N(34, "KE"), N(35, "IDi"), N(36, "IDr"),
	N(37, "CERT"), N(38, "CERTREQ"), N(39, "AUTH"), N(40, "Ni/Nr"),
	N(41, "N"), N(42, "D"), N(43, "V"), N(44, "TSi"), N(45, "TSr"),
	N(46, "SK"), N(47, "CP"), N(48, "EAP"), N(49, "GSPM"), N(50, "IDg"),
	N(51, "GSA"), N(52, "KD"), N(53, "SKF"), N(54, "PS"),
};

static const struct name exchanges[] = {
	N(34, "IKE_SA_INIT"), N(35, "IKE_AUTH"), N(36, "CREATE_CHILD_SA"),
	N(37, "INFORMATIONAL"), N(38, "IKE_SESSION_RESUME"),
	N(43, "IKE_INTERMEDIATE"), N(44, "IKE_FOLLOWUP_KE"),
};

static const struct name notifies[] = {
	N(1, "UNSUPPORTED_CRITICAL_PAYLOAD"), N(4, "INVALID_IKE_SPI"),
	N(5, "INVALID_MAJOR_VERSION"), N(7, "INVALID_SYNTAX"),
	N(9, "INVALID_MESSAGE_ID"), N(11, "INVALID_SPI"),
	N(14, "NO_PROPOSAL_CHOSEN"), N(17, "INVALID_KE_PAYLOAD"),
	N(24, "AUTHENTICATION_FAILED"), N(34, "SINGLE_PAIR_REQUIRED"),
	N(35, "NO_ADDITIONAL_SAS"), N(36, "INTERNAL_ADDRESS_FAILURE"),
	N(37, "FAILED_CP_REQUIRED"), N(38, "TS_UNACCEPTABLE"),
	N(39, "INVALID_SELECTORS"), N(40, "UNACCEPTABLE_ADDRESSES"),
	N(41, "UNEXPECTED_NAT_DETECTED"), N(42, "USE_ASSIGNED_HoA"),
	N(43, "TEMPORARY_FAILURE"), N(44, "CHILD_SA_NOT_FOUND"),
	N(45, "INVALID_GROUP_ID"), N(46, "AUTHORIZATION_FAILED"),
	N(47, "STATE_NOT_FOUND"), N(48, "TS_MAX_QUEUED"),
	N(16384, "INITIAL_CONTACT"), N(16385, "SET_WINDOW_SIZE"),
	N(16386, "ADDITIONAL_TS_POSSIBLE"), N(16387, "IPCOMP_SUPPORTED"),
	N(16388, "NAT_DETECTION_SOURCE_IP"),
	N(16389, "NAT_DETECTION_DESTINATION_IP"), N(16390, "COOKIE"),
	N(16391, "USE_TRANSPORT_MODE"), N(16392, "HTTP_CERT_LOOKUP_SUPPORTED"),
	N(16393, "REKEY_SA"), N(16394, "ESP_TFC_PADDING_NOT_SUPPORTED"),
	N(16395, "NON_FIRST_FRAGMENTS_ALSO"), N(16396, "MOBIKE_SUPPORTED"),
	N(16397, "ADDITIONAL_IP4_ADDRESS"), N(16398, "ADDITIONAL_IP6_ADDRESS"),
	N(16399, "NO_ADDITIONAL_ADDRESSES"), N(16400, "UPDATE_SA_ADDRESSES"),
	N(16401, "COOKIE2"), N(16402, "NO_NATS_ALLOWED"),
	N(16403, "AUTH_LIFETIME"), N(16404, "MULTIPLE_AUTH_SUPPORTED"),
	N(16405, "ANOTHER_AUTH_FOLLOWS"), N(16406, "REDIRECT_SUPPORTED"),
	N(16407, "REDIRECT"), N(16408, "REDIRECTED_FROM"),
	N(16409, "TICKET_LT_OPAQUE"), N(16410, "TICKET_REQUEST"),
	N(16411, "TICKET_ACK"), N(16412, "TICKET_NACK"),
	N(16413, "TICKET_OPAQUE"), N(16414, "LINK_ID"),
	N(16415, "USE_WESP_MODE"), N(16416, "ROHC_SUPPORTED"),
	N(16417, "EAP_ONLY_AUTHENTICATION"),
	N(16418, "CHILDLESS_IKEV2_SUPPORTED"),
	N(16419, "QUICK_CRASH_DETECTION"),
	N(16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED"),
	N(16421, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED"),
	N(16422, "IKEV2_MESSAGE_ID_SYNC"),
	N(16423, "IPSEC_REPLAY_COUNTER_SYNC"),
	N(16424, "SECURE_PASSWORD_METHODS"), N(16425, "PSK_PERSIST"),
	N(16426, "PSK_CONFIRM"), N(16427, "ERX_SUPPORTED"),
	N(16428, "IFOM_CAPABILITY"), N(16429, "SENDER_REQUEST_ID"),
	N(16430, "IKEV2_FRAGMENTATION_SUPPORTED"),
	N(16431, "SIGNATURE_HASH_ALGORITHMS"),
	N(16432, "CLONE_IKE_SA_SUPPORTED"), N(16433, "CLONE_IKE_SA"),
	N(16434, "PUZZLE"), N(16435, "USE_PPK"), N(16436, "PPK_IDENTITY"),
	N(16437, "NO_PPK_AUTH"), N(16438, "INTERMEDIATE_EXCHANGE_SUPPORTED"),
	N(16439, "IP4_ALLOWED"), N(16440, "IP6_ALLOWED"),
	N(16441, "ADDITIONAL_KEY_EXCHANGE"), N(16442, "USE_AGGFRAG"),
	N(16443, "SUPPORTED_AUTH_METHODS"), N(16444, "SA_RESOURCE_INFO"),
};

static const struct name protocols[] = {
	N(1, "IKE"), N(2, "AH"), N(3, "ESP"),
};

static const struct name ttypes[] = {
	N(1, "ENCR"), N(2, "PRF"), N(3, "INTEG"), N(4, "DH"), N(5, "ESN"),
	N(6, "ADDKE1"), N(7, "ADDKE2"), N(8, "ADDKE3"), N(9, "ADDKE4"),
	N(10, "ADDKE5"), N(11, "ADDKE6"), N(12, "ADDKE7"),
};

static const struct name encrs[] = {
	N(1, "ENCR_DES_IV64"), N(2, "ENCR_DES"), N(3, "ENCR_3DES"),
	N(4, "ENCR_RC5"), N(5, "ENCR_IDEA"), N(6, "ENCR_CAST"),
	N(7, "ENCR_BLOWFISH"), N(8, "ENCR_3IDEA"), N(9, "ENCR_DES_IV32"),
	N(11, "ENCR_NULL"), N(12, "ENCR_AES_CBC"), N(13, "ENCR_AES_CTR"),
	N(14, "ENCR_AES_CCM_8"), N(15, "ENCR_AES_CCM_12"),
	N(16, "ENCR_AES_CCM_16"), N(18, "ENCR_AES_GCM_8"),
	N(19, "ENCR_AES_GCM_12"), N(20, "ENCR_AES_GCM_16"),
	N(21, "ENCR_NULL_AUTH_AES_GMAC"), N(23, "ENCR_CAMELLIA_CBC"),
	N(24, "ENCR_CAMELLIA_CTR"), N(25, "ENCR_CAMELLIA_CCM_8"),
	N(26, "ENCR_CAMELLIA_CCM_12"), N(27, "ENCR_CAMELLIA_CCM_16"),
	N(28, "ENCR_CHACHA20_POLY1305"),
};

static const struct name prfs[] = {
	N(1, "PRF_HMAC_MD5"), N(2, "PRF_HMAC_SHA1"), N(3, "PRF_HMAC_TIGER"),
	N(4, "PRF_AES128_XCBC"), N(5, "PRF_HMAC_SHA2_256"),
	N(6, "PRF_HMAC_SHA2_384"), N(7, "PRF_HMAC_SHA2_512"),
	N(8, "PRF_AES128_CMAC"),
};

static const struct name integs[] = {
	N(0, "NONE"), N(1, "AUTH_HMAC_MD5_96"), N(2, "AUTH_HMAC_SHA1_96"),
	N(3, "AUTH_DES_MAC"), N(4, "AUTH_KPDK_MD5"), N(5, "AUTH_AES_XCBC_96"),
	N(6, "AUTH_HMAC_MD5_128"), N(7, "AUTH_HMAC_SHA1_160"),
	N(8, "AUTH_AES_CMAC_96"), N(9, "AUTH_AES_128_GMAC"),
	N(10, "AUTH_AES_192_GMAC"), N(11, "AUTH_AES_256_GMAC"),
	N(12, "AUTH_HMAC_SHA2_256_128"), N(13, "AUTH_HMAC_SHA2_384_192"),
	N(14, "AUTH_HMAC_SHA2_512_256"),
};

static const struct name dhs[] = {
	N(0, "NONE"), N(1, "MODP_768"), N(2, "MODP_1024"), N(5, "MODP_1536"),
	N(14, "MODP_2048"), N(15, "MODP_3072"), N(16, "MODP_4096"),
	N(17, "MODP_6144"), N(18, "MODP_8192"), N(19, "ECP_256"),
	N(20, "ECP_384"), N(21, "ECP_521"), N(22, "MODP_1024_160"),
	N(23, "MODP_2048_224"), N(24, "MODP_2048_256"), N(25, "ECP_192"),
	N(26, "ECP_224"), N(27, "BRAINPOOL_P224"), N(28, "BRAINPOOL_P256"),
	N(29, "BRAINPOOL_P384"), N(30, "BRAINPOOL_P512"),
	N(31, "CURVE25519"), N(32, "CURVE448"),
};

static const struct name esns[] = {
	N(0, "NO_ESN"), N(1, "ESN"),
};

const char *ike_payload_name(unsigned int type)
{
	return LOOKUP(payloads, type);
}

const char *ike_exchange_name(unsigned int type)
{
	return LOOKUP(exchanges, type);
}

const char *ike_notify_name(unsigned int type)
{
	return LOOKUP(notifies, type);
}

const char *ike_protocol_name(unsigned int proto)
{
	return LOOKUP(protocols, proto);
}

const char *ike_transform_type_name(unsigned int type)
{
	return LOOKUP(ttypes, type);
}

const char *ike_transform_name(unsigned int type, unsigned int id)
{
	if (type >= IKE_TRANS_ADDKE1 && type <= IKE_TRANS_ADDKE7)
		return LOOKUP(dhs, id);	/* RFC 9370: the DH registry */
	switch (type) {
	case IKE_TRANS_ENCR:
		return LOOKUP(encrs, id);
	case IKE_TRANS_PRF:
		return LOOKUP(prfs, id);
	case IKE_TRANS_INTEG:
		return LOOKUP(integs, id);
	case IKE_TRANS_DH:
		return LOOKUP(dhs, id);
	case IKE_TRANS_ESN:
		return LOOKUP(esns, id);
	}
	return "UNKNOWN";
}

const char *ike_err_name(enum ike_err err)
{
	switch (err) {
	case IKE_OK: return "ok";
	case IKE_ERR_SYNTAX: return "invalid syntax";
	case IKE_ERR_CRITICAL: return "unsupported critical payload";
	case IKE_ERR_MAJOR_VERSION: return "invalid major version";
	case IKE_ERR_INVALID_KE: return "invalid KE payload";
	case IKE_ERR_NO_PROPOSAL: return "no proposal chosen";
	case IKE_ERR_INTEGRITY: return "integrity check failed";
	case IKE_ERR_UNSUPPORTED: return "unsupported algorithm";
	case IKE_ERR_NOSPC: return "buffer too small";
	case IKE_ERR_NOMEM: return "out of memory";
	case IKE_ERR_CRYPTO: return "crypto library error";
	case IKE_ERR_ARG: return "invalid argument";
	case IKE_ERR_IKEV1: return "IKEv1 is not supported";
	}
	return "unknown error";
}

/*
 * The notify to answer with, or 0 when the message is dropped. INVALID_SYNTAX
 * only behind a verified ICV (RFC 7296 §3.10.1: never for IKE_SA_INIT or a
 * forgery); UNSUPPORTED_CRITICAL_PAYLOAD is reported by the codec only once
 * answering is safe; INVALID_MAJOR_VERSION for a higher version (§2.5), an
 * IKEv1 message is dropped.
 */
unsigned int ike_err_notify(enum ike_err err, bool authenticated)
{
	switch (err) {
	case IKE_ERR_SYNTAX: return authenticated ? IKE_N_INVALID_SYNTAX : 0;
	case IKE_ERR_CRITICAL: return IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD;
	case IKE_ERR_MAJOR_VERSION: return IKE_N_INVALID_MAJOR_VERSION;
	case IKE_ERR_INVALID_KE: return IKE_N_INVALID_KE_PAYLOAD;
	case IKE_ERR_NO_PROPOSAL: return IKE_N_NO_PROPOSAL_CHOSEN;
	default: return 0;
	}
}
