/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration, read from a file in strongSwan's swanctl.conf syntax
 * (connections { NAME { ... } } secrets { ike-NAME { ... } }) plus one
 * section of daemon settings, "ikehelper { }", whose keys carry the names of
 * their strongswan.conf counterparts (charon.retransmit_tries, ...).
 *
 * Every key kesp does not know, every swanctl key it does not support yet,
 * and every bad value is an error "FILE:LINE: what is wrong"; nothing is
 * silently ignored. A config is immutable once loaded; connections are
 * reference counted so IKE SAs keep theirs across a reload.
 */
#ifndef KESP_CONFIG_H
#define KESP_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cert.h"
#include "id.h"
#include "ike.h"
#include "log.h"
#include "ts.h"

#define CONF_NAME_MAX 64
#define CONF_MAX_PROPOSALS 16
#define CONF_MAX_TS 16
#define CONF_MAX_ADDRS 16

/* An entry of local_addrs / remote_addrs. */
struct addr_spec {
	enum { ADDR_ANY, ADDR_ANY4, ADDR_ANY6, ADDR_RANGE, ADDR_NAME } kind;
	struct addr lo, hi;		/* ADDR_RANGE (a single address: lo == hi) */
	char name[256];			/* ADDR_NAME */
	struct addr resolved[4];	/* ADDR_NAME: its addresses when last resolved */
	size_t nresolved;
};
#define ADDR_SPEC_RESOLVED 4

enum auth_method {
	AUTH_NONE = 0,
	AUTH_PSK,
	AUTH_PUBKEY,		/* a signature with a certificate's key */
	AUTH_EAP,		/* RFC 7296 §2.16: the client by EAP, the MSK keys AUTH */
};

/* EAP method types (IANA "Extensible Authentication Protocol Numbers"). */
#define EAP_T_IDENTITY 1
#define EAP_T_NOTIFICATION 2
#define EAP_T_NAK 3
#define EAP_T_TLS 13
#define EAP_T_MSCHAPV2 26

/* What "auth = rsa/pss-sha384" asks of our signatures (0: any). */
struct sig_pref {
	enum { SIG_ANY = 0, SIG_RSA, SIG_ECDSA, SIG_ED25519, SIG_ED448 } key;
	bool pss;		/* RSA: RSASSA-PSS rather than PKCS#1 v1.5 */
	uint8_t hash;		/* RFC 7427 hash number (2-4), 0: the peer's choice */
};

enum send_cert {
	SEND_CERT_IFASKED = 0,	/* swanctl's default: when the peer sent a CERTREQ */
	SEND_CERT_ALWAYS,
	SEND_CERT_NEVER,
};

enum child_mode {
	MODE_TUNNEL = 1,
	MODE_TRANSPORT = 2,
};

/* fragmentation = (swanctl's values; force is IKEv1's, here it is yes) */
enum frag_mode {
	FRAG_YES = 0,		/* announce RFC 7383 support, fragment when the peer has it */
	FRAG_ACCEPT,		/* announce it, reassemble, but send our messages whole */
	FRAG_NO,		/* neither announce nor accept fragments */
};

/* childless = (swanctl's values, RFC 6023) */
enum childless_mode {
	CHILDLESS_ALLOW = 0,	/* responder: announce and accept an IKE_AUTH without a
				 * CHILD_SA; initiator: the first CHILD_SA in IKE_AUTH,
				 * none only when the IKE SA is brought up without one */
	CHILDLESS_FORCE,	/* only childless IKE_AUTH, both roles: every CHILD_SA
				 * by CREATE_CHILD_SA (its own DH when esp_proposals say) */
	CHILDLESS_NEVER,	/* responder: neither announce nor accept it; initiator:
				 * never an IKE SA without a CHILD_SA */
};

enum start_action {
	START_NONE = 0,
	START_START,
	START_TRAP,		/* kesp.ko's trap selectors; ACQUIRE starts it */
};

/*
 * What becomes of a CHILD_SA when DPD finds its peer dead (dpd_action) or
 * the peer deletes it or its IKE SA (close_action); swanctl's names.
 * ACTION_RESTART is dpd_action's "restart" and close_action's "start".
 * none and clear do the same here: the SA is gone, nothing else happens.
 */
enum child_action {
	ACTION_NONE = 0,
	ACTION_CLEAR,
	ACTION_TRAP,
	ACTION_RESTART,
};

struct child_cfg {
	char name[CONF_NAME_MAX];
	struct ts local_ts[CONF_MAX_TS], remote_ts[CONF_MAX_TS];
	size_t nlocal_ts, nremote_ts;
	struct ike_proposal esp[CONF_MAX_PROPOSALS];
	size_t nesp;
	enum child_mode mode;
	enum start_action start_action;
	uint32_t replay_window;
	/* Seconds, swanctl's meaning: rekey at rekey_time less a random part
	 * of rand_time; the pair is deleted at life_time. 0: never. */
	uint32_t rekey_time, life_time, rand_time;
	/* Volume limits, the same meaning in bytes and packets, installed as
	 * kesp.ko's soft and hard limits of each SA. 0: none. */
	uint64_t rekey_bytes, life_bytes, rand_bytes;
	uint64_t rekey_packets, life_packets, rand_packets;
	enum child_action dpd_action;	/* default clear */
	enum child_action close_action;	/* default none */
	char updown[256];		/* updown = PATH, run when it comes and goes; "" none */
	/* per_cpu_sas = yes (RFC 9611): the first CHILD_SA is the fallback and
	 * each CPU that sends on it asks for one of its own; as responder, at
	 * most per_cpu_sas_max of those beside the fallback (TS_MAX_QUEUED). */
	bool per_cpu_sas;
	uint32_t per_cpu_sas_max;
	/* parallel_crypto = yes: its SAs spread bursts' crypto over the CPUs
	 * (KESP_SA_F_PARALLEL); not those of a per-CPU CHILD_SA. */
	bool parallel_crypto;
	int line;
};

#define PCPU_SAS_DEFAULT 64
#define PCPU_SAS_LIMIT 4096

/* pools { NAME { addrs = CIDR|FROM-TO  dns = ADDR, ... } }: addresses a
 * gateway leases to its clients by configuration payload (cp.c). A CIDR's
 * network and broadcast addresses (IPv4, prefixes up to /30) are not leased. */
#define POOL_MAX_DNS 4
struct pool {
	char name[CONF_NAME_MAX];
	struct addr lo, hi;		/* the addresses leased, both ends included */
	struct addr dns[POOL_MAX_DNS];
	size_t ndns;
	int line;
};

/* vips and pools of a connection: at most one of each family. */
#define CONF_MAX_VIPS 2

struct conn {
	int refs;
	char name[CONF_NAME_MAX];
	char file[256];
	int line;
	unsigned int version;		/* 0 (any) or 2 */
	struct addr_spec local_addrs[CONF_MAX_ADDRS], remote_addrs[CONF_MAX_ADDRS];
	size_t nlocal_addrs, nremote_addrs;
	uint16_t local_port, remote_port;
	struct ike_proposal ike[CONF_MAX_PROPOSALS];
	size_t nike;
	struct ike_id local_id, remote_id;
	bool local_id_set;		/* else: our IKE address */
	enum auth_method local_auth, remote_auth;
	/* auth = pubkey */
	struct sig_pref local_sig;
	/* auth = eap-mschapv2 | eap-tls (or "eap" locally: whatever the server asks of
	 * those we do, 0); eap_id: the EAP identity (ours: default our IKE
	 * id; the peer's: %any asks it by EAP-Identity, default its IKE id). */
	uint8_t local_eap, remote_eap;
	struct ike_id local_eap_id, remote_eap_id;
	bool local_eap_id_set, remote_eap_id_set;
	struct creds *creds;		/* held: the config's store */
	int local_cert, local_key;	/* in creds; -1: none */
	size_t *cacerts;		/* remote { cacerts }: indexes in creds */
	size_t ncacerts;		/* 0: every CA loaded */
	enum revocation revocation;
	enum send_cert send_cert;
	bool send_certreq;
	enum frag_mode fragmentation;
	bool mobike;			/* RFC 4555 (mobike = yes, the default) */
	enum childless_mode childless;
	char device[IF_NAMESIZE];
	uint32_t dpd_delay;		/* seconds without a message from the peer
					 * before an empty INFORMATIONAL; 0: off */
	/* The IKE SA's lifetimes in seconds, swanctl's meaning: rekeyed at
	 * rekey_time less a random part of rand_time, deleted at rekey_time +
	 * over_time if no rekey succeeded by then. 0: never. */
	uint32_t rekey_time, over_time, rand_time;
	/* vips = 0.0.0.0, ::  (client: ask the gateway for an address of each
	 * family; an address other than 0.0.0.0/:: asks for that one). */
	struct addr vips[CONF_MAX_VIPS];
	size_t nvips;
	/* pools = NAME, ...  (gateway: lease each client an address from each;
	 * checked against the config's pools when it is loaded). */
	char pools[CONF_MAX_VIPS][CONF_NAME_MAX];
	size_t npools;
	int pools_line;
	/* redirect_to = ADDR  (gateway: new clients that announce
	 * REDIRECT_SUPPORTED are sent to ADDR at IKE_SA_INIT, RFC 5685). */
	struct addr redirect_to;
	/* resumption = yes  (RFC 5723: a client asks for tickets and resumes
	 * with one; a gateway issues them. Default no.) */
	bool resumption;
	struct child_cfg *children;
	size_t nchildren;
	/* Hash of everything above, so a reload can tell an unchanged
	 * connection (whose SAs stay) from a changed one. */
	uint64_t fingerprint;
};

struct psk {
	char name[CONF_NAME_MAX];
	struct ike_id *ids;
	size_t nids;
	uint8_t *secret;
	size_t len;
	int line;
};

/* Daemon-wide settings: "ikehelper { ... }". */
struct settings {
	unsigned int retransmit_tries;		/* 5 */
	unsigned int retransmit_timeout_ms;	/* 4000 */
	double retransmit_base;			/* 1.8 */
	unsigned int cookie_threshold;		/* half-open SAs before COOKIEs: 10 */
	unsigned int half_open_timeout;		/* seconds: 30 */
	unsigned int half_open_max;		/* hard limit on half-open SAs: 8192 */
	unsigned int keep_alive;		/* NAT keepalive seconds: 20 */
	unsigned int fragment_size;		/* an IKE fragment's IP datagram: 1280
						 * (0: 576 over IPv4, 1280 over IPv6) */
	uint16_t port, port_nat_t;		/* 500, 4500 */
	uint32_t fwmark;			/* mark of our devices and IKE sockets */
	uint32_t route_table;			/* table of the selector routes */
	uint32_t rule_priority;			/* of "not fwmark M lookup T" */
	struct log_spec log;			/* log { default = 1  ike = 2 ... } */
	bool follow_redirects;			/* RFC 5685 as client: yes */
	/* RFC 5723 gateway: a ticket's lifetime (s, 3600), how often the
	 * ticket key changes (s, 0: every ticket_lifetime), and the key file
	 * ("": ikehelper-ticket.key in the state directory). */
	unsigned int ticket_lifetime, ticket_key_rotate;
	char ticket_key_file[256];
};

struct config {
	char file[256];
	char dir[256];			/* swanctl's directories (x509/, ...) are here */
	struct creds *creds;
	struct settings set;
	struct conn **conns;
	size_t nconns;
	struct psk *psks;
	size_t npsks;
	struct psk *eaps;		/* eap-NAME { id secret }: EAP passwords */
	size_t neaps;
	struct pool *pools;
	size_t npools;
};

/*
 * Receives each diagnostic as it is found: "FILE:LINE: message". Errors
 * make config_load fail; warnings (e.g. a weak PSK) do not.
 */
typedef void (*config_report_fn)(void *ctx, bool error, const char *msg);

/* Parses PATH; NULL when it has errors (each one reported). */
struct config *config_load(const char *path, config_report_fn report, void *ctx);
/* Same from a string (unit tests); NAME stands in for the file name. */
struct config *config_parse(const char *name, const char *text, config_report_fn report,
			    void *ctx);
void config_free(struct config *cfg);
/* What connection C checks a peer's certificate chain against. */
void conn_peer_policy(const struct conn *c, struct peer_policy *p);
void settings_default(struct settings *s);

struct conn *conn_get(struct conn *c);
void conn_put(struct conn *c);
const struct conn *config_find_conn(const struct config *cfg, const char *name);
const struct pool *config_find_pool(const struct config *cfg, const char *name);
/* The connection with a child named NAME, and the child. */
const struct conn *config_find_child(const struct config *cfg, const char *name,
				     const struct child_cfg **child);

/*
 * The PSK for the identities ME and OTHER, strongSwan's way: a secret
 * listing both wins over one listing either, which wins over one listing
 * none. NULL when no secret applies.
 */
const struct psk *config_find_psk(const struct config *cfg, const struct ike_id *me,
				  const struct ike_id *other);

/* The EAP password of USER (one of the secret's ids), preferring a secret
 * that also names OTHER (the server); NULL when none. */
const struct psk *config_find_eap(const struct config *cfg, const struct ike_id *user,
				  const struct ike_id *other);

/* Whether A satisfies the address list (an empty list means %any). */
bool addr_spec_match(const struct addr_spec *specs, size_t n, const struct addr *a);
/* Resolves every host name of the connections (getaddrinfo; blocks). */
void config_resolve_names(struct config *cfg);
/* Resolves one; 0 or a getaddrinfo error code. */
int addr_spec_resolve(struct addr_spec *s);
const char *addr_specs_str(const struct addr_spec *specs, size_t n, char *buf, size_t len);

/* Whether SECRET looks guessable offline; *why says how. */
bool psk_is_weak(const uint8_t *secret, size_t len, const char **why);

#endif /* KESP_CONFIG_H */
