/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kesp: route-based ESP (RFC 4303) in a loadable module.
 *
 * This is the one interface shared by kesp.ko, ikehelper and kespctl: the
 * generic netlink family "kesp". Every command needs CAP_NET_ADMIN in the
 * network namespace of the socket; every failure carries an extack message.
 * Unknown flag bits are refused with -EOPNOTSUPP so they can be given meaning
 * later without breaking old binaries.
 *
 * KESP_CMD_DEV_GET
 * ----------------
 *   Describes kesp devices of the caller's network namespace. As a doit it
 *   takes exactly one of the two selectors below; as a dump (NLM_F_DUMP) it
 *   takes none and lists every kesp device of the namespace.
 *
 *   Request:
 *     KESP_DEV_A_IFINDEX: NLA_U32
 *     KESP_DEV_A_IFNAME: NLA_NUL_STRING, maxlen IFNAMSIZ - 1
 *
 *   Reply (one message per device):
 *     KESP_DEV_A_IFINDEX: NLA_U32
 *     KESP_DEV_A_IFNAME: NLA_NUL_STRING
 *     KESP_DEV_A_MTU: NLA_U32
 *     KESP_DEV_A_UNDERLAY_NETNSID: NLA_S32, the id (as seen from the
 *         caller's namespace) of the namespace the device was created in,
 *         where its outer packets are sent; absent when that is the
 *         caller's own namespace
 *     KESP_DEV_A_FWMARK: NLA_U32, the mark of the device's outer packets
 *     KESP_DEV_A_ENCAP_PORT4, KESP_DEV_A_ENCAP_PORT6: NLA_U16, the local
 *         port of the attached IPv4 / IPv6 UDP socket, when there is one
 *     KESP_DEV_A_COUNTERS: nest, enum kesp_dev_cnt_attr
 *     KESP_DEV_A_LIMITS: nest, enum kesp_limit_attr, how many SAs, traps,
 *         selector prefixes and unused SPI reservations the device may
 *         hold (each NLA_U32)
 *     KESP_DEV_A_USAGE: nest, enum kesp_limit_attr, how many it holds
 *
 * KESP_CMD_DEV_SET
 * ----------------
 *   Changes a kesp device of the caller's network namespace.
 *
 *   Request:
 *     KESP_DEV_A_IFINDEX or KESP_DEV_A_IFNAME: which device, as DEV_GET
 *     KESP_DEV_A_FWMARK: NLA_U32, optional. Outer packets (ESP) carry this
 *         skb mark and are routed with it in the underlay namespace, so a
 *         policy rule ("ip rule add not fwmark MARK table T") can send
 *         traffic into the device while its own ESP packets to the same
 *         peer take the underlay route instead of looping. 0 (the
 *         default) means no mark. Transport mode needs it, since there
 *         the peer's own address is routed into the device.
 *     KESP_DEV_A_LIMITS: nest, enum kesp_limit_attr, optional: the limits
 *         given replace the device's. Lowering one removes nothing; what
 *         would pass it is refused (ENOSPC, with an extack message naming
 *         the limit) until it fits again. Raising one above its default
 *         needs CAP_NET_ADMIN in the initial user namespace.
 *     At least one of the two is required.
 *   Reply: as DEV_GET.
 *
 *   Every object a device holds is charged to the memory cgroup of the
 *   process that asked for it, and counts against the device's limits.
 *   Defaults: 2^20 SAs, 2^16 traps, 2^20 selector prefixes (a selector
 *   takes one per prefix of the smallest cover of its destination range:
 *   one for a prefix, up to 62 for an IPv4 and 254 for an IPv6 range), and
 *   2^14 unused SPI reservations (each freed when it expires).
 *
 * Security associations
 * ---------------------
 * An SA belongs to one kesp device. Inbound SAs are found by SPI among all
 * inbound SAs whose devices share the device's underlay namespace (so
 * inbound SPIs are unique there); outbound SAs by (SPI, destination) per
 * device. Every SA also has a kernel-assigned KESP_SA_A_ID, unique per
 * device, which events and tools use (with the ifindex) to name it. SAs of
 * one pair are linked by the caller's KESP_SA_A_REQID, as XFRM's reqid.
 *
 * Addresses are NLA_BINARY of 4 (IPv4) or 16 (IPv6) bytes in network byte
 * order; SPIs and ports are NLA_U32/NLA_U16 in host byte order. Keys are
 * write-only: no reply or dump ever carries KESP_ALG_A_KEY.
 *
 * An SA is addressed ("SA-KEY" below) by KESP_SA_A_IFINDEX plus either
 * KESP_SA_A_ID, or KESP_SA_A_DIR and KESP_SA_A_SPI (and KESP_SA_A_DST for an
 * outbound SA).
 *
 * KESP_CMD_SPI_ALLOC
 *   Reserves a random inbound SPI, unique in the underlay namespace, for
 *   KESP_SPI_RESERVE_SECONDS (kesp.ko's parameter spi_reserve_seconds,
 *   1-3600, set at load, changes it) or until KESP_CMD_SA_NEW uses it (then
 *   it is freed, with no further request). It is never
 *   the SPI of one of the namespace's XFRM SAs either: kesp sees inbound
 *   ESP first, and would take that SA's packets. Unused reservations count
 *   against the device's KESP_LIMIT_A_SPI_RESERVATIONS (ENOSPC past it).
 *   Request: KESP_SA_A_IFINDEX (required),
 *            KESP_SA_A_SPI_MIN, KESP_SA_A_SPI_MAX: NLA_U32, optional range,
 *            default 256..0xffffffff; a range reaching below 256 is
 *            refused (1..255 are reserved by IANA, RFC 4303 2.1)
 *   Reply:   KESP_SA_A_IFINDEX, KESP_SA_A_SPI
 *
 * KESP_CMD_SA_NEW
 *   Request:
 *     KESP_SA_A_IFINDEX: NLA_U32, required
 *     KESP_SA_A_DIR: NLA_U8, enum kesp_dir, required
 *     KESP_SA_A_SPI: NLA_U32, required, 256 or above (0 is refused by
 *         the policy, 1..255 are reserved by IANA); inbound: unused in the
 *         underlay namespace or reserved by KESP_CMD_SPI_ALLOC, and not
 *         the SPI of an XFRM SA to the same destination (unmarked ones)
 *     KESP_SA_A_MODE: NLA_U8, enum kesp_mode, required. Tunnel: the
 *         packet routed into the device travels whole inside ESP between
 *         SRC and DST, any family in any family. Transport (RFC 4303 3.1.1,
 *         host to host): only packets from SRC to DST use the SA; ESP is
 *         inserted after their IP header (and IPv6 hop-by-hop/routing
 *         headers). Selectors must then be of the SA's family. Inbound,
 *         raw ESP from another source than the SA's is dropped as a
 *         selector error; ESP in UDP from another source is a NAT mapping
 *         change (KESP_CMD_SA_MAPPING).
 *     KESP_SA_A_SRC, KESP_SA_A_DST: outer addresses, required, same family.
 *         An outbound SA's IPv6 source must be an address of the device's
 *         underlay namespace when the device lives in another namespace
 *         (IPv4 routing refuses a source that is not local in any case).
 *     KESP_SA_A_REQID: NLA_U32, default 0
 *     exactly one of
 *       KESP_SA_A_AEAD: nest, enum kesp_alg_attr: NAME ("rfc4106(gcm(aes))",
 *           "rfc7539esp(chacha20,poly1305)"), KEY (key then 4-byte salt),
 *           ICV_BITS (64, 96 or 128 for GCM; 128 for ChaCha20-Poly1305)
 *     or both
 *       KESP_SA_A_ENC: nest: NAME ("cbc(aes)" or "ecb(cipher_null)"), KEY
 *       KESP_SA_A_AUTH: nest: NAME ("hmac(sha1)", "hmac(sha256)",
 *           "hmac(sha384)", "hmac(sha512)"), KEY (as long as the hash:
 *           20, 32, 48 or 64 bytes), ICV_BITS (the truncation of RFC 2404
 *           and RFC 4868: 96, 128, 192 or 256 respectively)
 *     KESP_SA_A_REPLAY_WINDOW: NLA_U32, 0 (off) .. KESP_REPLAY_WINDOW_MAX,
 *         inbound only, default 64
 *     KESP_SA_A_FLAGS: NLA_U32, enum kesp_sa_flags; unknown bits are refused
 *         with -EOPNOTSUPP
 *     KESP_SA_A_SEQ: NLA_U64, outbound: the last sequence number sent
 *         (the next packet carries SEQ + 1); inbound: the highest sequence
 *         number already received. Default 0. Above 2^32 - 1 only with
 *         KESP_SA_F_ESN.
 *     KESP_SA_A_PRIORITY: NLA_U32, outbound only; breaks ties between
 *         equally specific selectors, lower wins. Default 0.
 *     KESP_SA_A_CPU: NLA_U32, outbound only: the SA carries only packets
 *         sent from this CPU (a per-CPU SA, RFC 9611), and beats an
 *         equally specific SA of the same priority that has no CPU, which
 *         carries the other CPUs' packets (the fallback SA). Absent: any
 *         CPU. A CPU the machine cannot have is refused.
 *     KESP_SA_A_SELECTORS: nest of KESP_SELECTORS_A_SELECTOR nests, each
 *         enum kesp_sel_attr; at most KESP_SELECTORS_MAX. Outbound: which
 *         packets routed into the device use this SA. Inbound: what a
 *         decrypted inner packet must match. No selector means any packet
 *         (in transport mode: any packet of the SA's family).
 *     KESP_SA_A_LIFETIME: nest, enum kesp_lft_attr, 0, 2^64 - 1 (XFRM's
 *         "infinite") or absent = no limit
 *     KESP_SA_A_ENCAP: nest, enum kesp_encap_attr: TYPE
 *         (KESP_ENCAP_ESPINUDP), SPORT and DPORT (both required, not 0):
 *         ESP in UDP, see "UDP encapsulation" below. For an outbound SA
 *         the ports it sends from and to; for an inbound SA the peer's
 *         port (SPORT) and ours (DPORT).
 *     KESP_SA_A_BRIEF_REPLY: NLA_FLAG (family version 2 on): the reply
 *         names the SA only, see below.
 *   Reply: as KESP_CMD_SA_GET, so the caller learns KESP_SA_A_ID; with
 *   KESP_SA_A_BRIEF_REPLY only KESP_SA_A_IFINDEX, KESP_SA_A_ID,
 *   KESP_SA_A_DIR and KESP_SA_A_SPI (a key manager that needs the id
 *   alone spares the kernel describing the whole SA, and itself reading
 *   it: kespctl with its output discarded, ikehelper).
 *   An SA, and an outbound SA's selector prefixes, count against the
 *   device's limits (ENOSPC past one, see KESP_CMD_DEV_SET).
 *
 * KESP_CMD_SA_UPDATE
 *   Request: SA-KEY, then any of KESP_SA_A_SRC + KESP_SA_A_DST (together;
 *            new addresses of an SA named by id or of an inbound SA),
 *            KESP_SA_A_SELECTORS (replaces all), KESP_SA_A_LIFETIME
 *            (replaces all limits), KESP_SA_A_ENCAP (new ports of an SA
 *            that has them, e.g. after KESP_CMD_SA_MAPPING). Anything else
 *            is refused: keys, algorithms, mode and SPI of an SA never
 *            change. KESP_SA_A_BRIEF_REPLY as for KESP_CMD_SA_NEW.
 *   Reply:   as KESP_CMD_SA_GET, or brief as for KESP_CMD_SA_NEW.
 *
 * KESP_CMD_SA_DEL
 *   Request: SA-KEY.
 *
 * KESP_CMD_SA_GET
 *   doit request: SA-KEY. dump request: optionally KESP_SA_A_IFINDEX,
 *   KESP_SA_A_DIR and KESP_SA_A_REQID to filter (an SA pair shares its
 *   reqid, so the last shows both halves); otherwise every SA of every
 *   kesp device in the caller's namespace.
 *   Reply (one message per SA): IFINDEX, ID, DIR, SPI, MODE, REQID, SRC,
 *   DST, AEAD or ENC+AUTH (NAME and ICV_BITS, never KEY), REPLAY_WINDOW,
 *   FLAGS, SEQ, PRIORITY, CPU (when it has one), SELECTORS, LIFETIME, ENCAP,
 *   KESP_SA_A_ADD_TIME (NLA_U64, seconds since boot), KESP_SA_A_COUNTERS
 *   (nest, enum kesp_cnt_attr).
 *
 * KESP_CMD_SA_FLUSH
 *   Request: optionally KESP_SA_A_IFINDEX, KESP_SA_A_DIR and
 *   KESP_SA_A_REQID; deletes every matching SA of the caller's namespace.
 *
 * Lifetimes: an SA's KESP_SA_A_LIFETIME limits count seconds since it was
 * added, and bytes and packets it protected (the payload ESP carried:
 * the inner packet in tunnel mode, what follows the IP header in
 * transport mode). A packet that would pass a hard byte limit is dropped.
 * Reaching a soft limit raises one KESP_CMD_SA_EXPIRE event; reaching a
 * hard limit raises one and deletes the SA. An outbound SA that has sent
 * its last sequence number (2^32 - 1, or 2^64 - 1 with ESN) expires hard
 * the same way, since sequence numbers never wrap.
 *
 * KESP_CMD_SA_EXPIRE (event, multicast on KESP_MCGRP_EVENTS in the
 * namespace the device is in; not a request)
 *   The SA as KESP_CMD_SA_GET describes it, plus
 *     KESP_SA_A_EXPIRE_HARD: NLA_FLAG, present when the SA is gone
 *     KESP_SA_A_EXPIRE_REASON: NLA_U8, enum kesp_expire_reason
 *
 * Trap selectors
 * --------------
 * A trap is a selector on a device with no SA behind it, for tunnels made
 * on demand: a packet routed into the device whose most specific match
 * (among SA selectors and traps; at equal specificity the lower priority
 * value, then an SA) is a trap is dropped, counted, and raises
 * KESP_CMD_ACQUIRE, at most once per second per trap, so the key manager
 * can negotiate the SA. Traps use enum kesp_trap_attr.
 *
 * KESP_CMD_TRAP_ADD
 *   Request: KESP_TRAP_A_IFINDEX (required), KESP_TRAP_A_SELECTOR (nest,
 *            enum kesp_sel_attr, required), KESP_TRAP_A_REQID (default
 *            0), KESP_TRAP_A_PRIORITY (default 0xffffffff: SAs with the
 *            same selector win)
 *   Reply:   as KESP_CMD_TRAP_GET, so the caller learns KESP_TRAP_A_ID.
 *   Traps and their selector's prefixes count against the device's
 *   limits (ENOSPC past one, see KESP_CMD_DEV_SET).
 *
 * KESP_CMD_TRAP_DEL
 *   Request: KESP_TRAP_A_IFINDEX and KESP_TRAP_A_ID of one trap, or
 *            KESP_TRAP_A_IFINDEX alone: every trap of the device.
 *
 * KESP_CMD_TRAP_GET
 *   doit: KESP_TRAP_A_IFINDEX and KESP_TRAP_A_ID; dump: optionally
 *   KESP_TRAP_A_IFINDEX. Reply (one message per trap): IFINDEX, ID, REQID,
 *   PRIORITY, SELECTOR, HITS (packets dropped on it), ACQUIRES (events).
 *
 * KESP_CMD_ACQUIRE (event on KESP_MCGRP_EVENTS, not a request)
 *   KESP_TRAP_A_IFINDEX, KESP_TRAP_A_ID and KESP_TRAP_A_REQID of the trap
 *   that was hit, and KESP_TRAP_A_PACKET: nest, enum kesp_sel_attr, the
 *   packet's family, addresses and protocol as single-value ranges, and
 *   its ports (ICMP type and code) likewise when it has any.
 *   Per-CPU SAs (RFC 9611): an outbound SA with KESP_SA_F_PCPU_ACQUIRE
 *   carries the packets of CPUs that have no SA of their own for its
 *   selectors (it won the lookup on that CPU), and asks for one: the
 *   packet is sent on it, and KESP_CMD_ACQUIRE carries
 *   KESP_TRAP_A_IFINDEX, KESP_TRAP_A_SA_ID (the fallback SA's
 *   KESP_SA_A_ID), KESP_TRAP_A_REQID (its reqid), KESP_TRAP_A_CPU (the
 *   sending CPU) and KESP_TRAP_A_PACKET, without KESP_TRAP_A_ID; at most
 *   once per second per CPU and SA.
 *
 * UDP encapsulation (RFC 3948)
 * ----------------------------
 * An SA with KESP_SA_A_ENCAP sends its ESP packets in UDP from SPORT to
 * DPORT (IPv4: UDP checksum zero, as RFC 3948 allows; IPv6: a full
 * checksum) and accepts only ESP that arrived in UDP on a socket attached
 * to a kesp device of its underlay namespace; raw ESP for it (and ESP in
 * UDP for an SA without KESP_SA_A_ENCAP) is dropped and counted as an
 * encapsulation error. The key manager owns the socket, bound to its port
 * (normally 4500), and hands it to the module by file descriptor, as
 * OpenVPN's ovpn does. On an attached socket
 *   - ESP (the first 4 bytes of the datagram not zero) is consumed by the
 *     module: looked up by SPI among the namespace's inbound SAs,
 *   - IKE (the 4-byte zero non-ESP marker, RFC 3948 2.2) and any other
 *     datagram reach the socket unchanged,
 *   - NAT keepalives (one byte 0xFF, RFC 3948 2.3) are dropped.
 * Closing the socket, detaching it or deleting the device undoes the
 * attachment; the socket is never closed by the module.
 * The socket's port is the SAs' port on this side: SA_NEW and SA_UPDATE
 * refuse an SA whose own port (SPORT outbound, DPORT inbound) is not the
 * port of the device's socket of the SA's family, and an outbound SA
 * whose device has no socket on its port (none attached yet, or detached)
 * drops what it would send and counts an encapsulation error, since no
 * reply could reach it. Sockets belong to a device, and the SAs of every
 * device of the namespace receive through them: inbound ESP in UDP is
 * looked up by SPI alone, as raw ESP is.
 *
 * KESP_CMD_ENCAP_ATTACH
 *   Request: KESP_DEV_A_IFINDEX or KESP_DEV_A_IFNAME (the device),
 *            KESP_DEV_A_ENCAP_FD: NLA_U32, the caller's file descriptor of
 *            a bound UDP socket (AF_INET or AF_INET6) in the device's
 *            underlay namespace, not already encapsulating. One socket
 *            per address family and device.
 *   Reply:   as KESP_CMD_DEV_GET.
 *
 * KESP_CMD_ENCAP_DETACH
 *   Request: the device, and optionally KESP_DEV_A_ENCAP_FAMILY (NLA_U16,
 *            AF_INET or AF_INET6): detach that family's socket, or all.
 *   Reply:   as KESP_CMD_DEV_GET.
 *
 * KESP_CMD_SA_MAPPING (event on KESP_MCGRP_EVENTS, not a request)
 *   An authenticated ESP-in-UDP packet for an inbound SA came from another
 *   address or port than the SA's source and KESP_ENCAP_A_SPORT say: a NAT
 *   on the way changed its mapping (RFC 7296 2.23). The packet was
 *   accepted; moving the SAs is the key manager's decision (SA_UPDATE).
 *   At most one event per SA per second while the difference lasts.
 *   The SA as KESP_CMD_SA_GET describes it (the old mapping), plus
 *     KESP_SA_A_MAPPING_SRC: NLA_BINARY 4 or 16, the new source address
 *     KESP_SA_A_MAPPING_SPORT: NLA_U16, the new source port
 *
 * Multicast group KESP_MCGRP_EVENTS carries SA events (expiry, acquire,
 * mapping changes); its messages are documented with their commands.
 * Devices count them (KESP_DEV_A_COUNTERS, enum kesp_dev_cnt_attr).
 */
#ifndef _UAPI_LINUX_KESP_H
#define _UAPI_LINUX_KESP_H

#define KESP_GENL_NAME "kesp"
#define KESP_GENL_VERSION 2

#define KESP_MCGRP_EVENTS "events"

enum kesp_cmd {
	KESP_CMD_UNSPEC,
	KESP_CMD_DEV_GET,
	KESP_CMD_SPI_ALLOC,
	KESP_CMD_SA_NEW,
	KESP_CMD_SA_UPDATE,
	KESP_CMD_SA_DEL,
	KESP_CMD_SA_GET,
	KESP_CMD_SA_FLUSH,
	KESP_CMD_DEV_SET,
	KESP_CMD_SA_EXPIRE,
	KESP_CMD_TRAP_ADD,
	KESP_CMD_TRAP_DEL,
	KESP_CMD_TRAP_GET,
	KESP_CMD_ACQUIRE,
	KESP_CMD_ENCAP_ATTACH,
	KESP_CMD_ENCAP_DETACH,
	KESP_CMD_SA_MAPPING,
	__KESP_CMD_LAST
};
#define KESP_CMD_MAX (__KESP_CMD_LAST - 1)

enum kesp_dev_attr {
	KESP_DEV_A_UNSPEC,
	KESP_DEV_A_IFINDEX,
	KESP_DEV_A_IFNAME,
	KESP_DEV_A_MTU,
	KESP_DEV_A_UNDERLAY_NETNSID,
	KESP_DEV_A_FWMARK,
	KESP_DEV_A_ENCAP_FD,
	KESP_DEV_A_ENCAP_FAMILY,
	KESP_DEV_A_ENCAP_PORT4,
	KESP_DEV_A_ENCAP_PORT6,
	KESP_DEV_A_COUNTERS,
	KESP_DEV_A_PAD,
	KESP_DEV_A_LIMITS,
	KESP_DEV_A_USAGE,
	__KESP_DEV_A_LAST
};
#define KESP_DEV_A_MAX (__KESP_DEV_A_LAST - 1)

/* What a device may hold (KESP_DEV_A_LIMITS) and holds (KESP_DEV_A_USAGE). */
enum kesp_limit_attr {
	KESP_LIMIT_A_UNSPEC,
	KESP_LIMIT_A_SAS,		/* NLA_U32 each */
	KESP_LIMIT_A_TRAPS,
	KESP_LIMIT_A_SEL_PREFIXES,
	KESP_LIMIT_A_SPI_RESERVATIONS,
	__KESP_LIMIT_A_LAST
};
#define KESP_LIMIT_A_MAX (__KESP_LIMIT_A_LAST - 1)

#define KESP_REPLAY_WINDOW_MAX 4096
#define KESP_SELECTORS_MAX 64
#define KESP_SPI_RESERVE_SECONDS 60	/* the default */
#define KESP_KEY_MAX 68			/* HMAC-SHA-512 key (64) + slack */

enum kesp_dir {
	KESP_DIR_IN = 1,
	KESP_DIR_OUT = 2,
};

enum kesp_mode {
	KESP_MODE_TUNNEL = 1,
	KESP_MODE_TRANSPORT = 2,
};

enum kesp_expire_reason {
	KESP_EXPIRE_SECONDS = 1,
	KESP_EXPIRE_BYTES = 2,
	KESP_EXPIRE_PACKETS = 3,
	KESP_EXPIRE_SEQUENCE = 4,	/* outbound sequence numbers spent */
};

enum kesp_sa_flags {
	KESP_SA_F_ESN = 1U << 0,	/* 64-bit extended sequence numbers */
	/* Outbound, without KESP_SA_A_CPU: the fallback SA of per-CPU SAs
	 * (RFC 9611). A packet it carries from a CPU that has no SA of its
	 * own raises KESP_CMD_ACQUIRE for that CPU (see there). */
	KESP_SA_F_PCPU_ACQUIRE = 1U << 1,
	/* Bursts of large packets are encrypted or decrypted on all online
	 * CPUs and leave (or are delivered) in their order; single and small
	 * packets keep the CPU they came on. KESP_CNT_A_PARALLEL counts the
	 * packets that went to other CPUs. */
	KESP_SA_F_PARALLEL = 1U << 2,
};

enum kesp_sa_attr {
	KESP_SA_A_UNSPEC,
	KESP_SA_A_PAD,
	KESP_SA_A_IFINDEX,
	KESP_SA_A_ID,
	KESP_SA_A_DIR,
	KESP_SA_A_SPI,
	KESP_SA_A_MODE,
	KESP_SA_A_REQID,
	KESP_SA_A_SRC,
	KESP_SA_A_DST,
	KESP_SA_A_AEAD,
	KESP_SA_A_ENC,
	KESP_SA_A_AUTH,
	KESP_SA_A_REPLAY_WINDOW,
	KESP_SA_A_FLAGS,
	KESP_SA_A_SEQ,
	KESP_SA_A_PRIORITY,
	KESP_SA_A_SELECTORS,
	KESP_SA_A_LIFETIME,
	KESP_SA_A_ADD_TIME,
	KESP_SA_A_COUNTERS,
	KESP_SA_A_SPI_MIN,
	KESP_SA_A_SPI_MAX,
	KESP_SA_A_EXPIRE_HARD,
	KESP_SA_A_EXPIRE_REASON,
	KESP_SA_A_ENCAP,
	KESP_SA_A_MAPPING_SRC,
	KESP_SA_A_MAPPING_SPORT,
	KESP_SA_A_CPU,
	KESP_SA_A_BRIEF_REPLY,
	__KESP_SA_A_LAST
};
#define KESP_SA_A_MAX (__KESP_SA_A_LAST - 1)

enum kesp_alg_attr {
	KESP_ALG_A_UNSPEC,
	KESP_ALG_A_NAME,		/* NLA_NUL_STRING */
	KESP_ALG_A_KEY,			/* NLA_BINARY, write-only */
	KESP_ALG_A_ICV_BITS,		/* NLA_U32 */
	__KESP_ALG_A_LAST
};
#define KESP_ALG_A_MAX (__KESP_ALG_A_LAST - 1)

enum kesp_selectors_attr {
	KESP_SELECTORS_A_UNSPEC,
	KESP_SELECTORS_A_SELECTOR,	/* nest, enum kesp_sel_attr */
	__KESP_SELECTORS_A_LAST
};
#define KESP_SELECTORS_A_MAX (__KESP_SELECTORS_A_LAST - 1)

/*
 * A traffic selector, as an IKEv2 one (RFC 7296 3.13.1): inclusive address
 * and port ranges. Written from the packet's point of view: SRC is where the
 * packet comes from. Absent ranges mean "any"; PROTO 0 means any protocol.
 * Port ranges apply to TCP, UDP, SCTP and UDP-Lite; for ICMP and ICMPv6
 * SPORT carries the type and DPORT the code, as IKEv2 does.
 */
enum kesp_sel_attr {
	KESP_SEL_A_UNSPEC,
	KESP_SEL_A_FAMILY,		/* NLA_U16, AF_INET or AF_INET6 */
	KESP_SEL_A_SRC_START,		/* NLA_BINARY 4 or 16 */
	KESP_SEL_A_SRC_END,
	KESP_SEL_A_DST_START,
	KESP_SEL_A_DST_END,
	KESP_SEL_A_PROTO,		/* NLA_U8 */
	KESP_SEL_A_SPORT_START,		/* NLA_U16 */
	KESP_SEL_A_SPORT_END,
	KESP_SEL_A_DPORT_START,
	KESP_SEL_A_DPORT_END,
	__KESP_SEL_A_LAST
};
#define KESP_SEL_A_MAX (__KESP_SEL_A_LAST - 1)

enum kesp_trap_attr {
	KESP_TRAP_A_UNSPEC,
	KESP_TRAP_A_PAD,
	KESP_TRAP_A_IFINDEX,		/* NLA_U32 */
	KESP_TRAP_A_ID,			/* NLA_U32, kernel-assigned */
	KESP_TRAP_A_REQID,		/* NLA_U32 */
	KESP_TRAP_A_PRIORITY,		/* NLA_U32 */
	KESP_TRAP_A_SELECTOR,		/* nest, enum kesp_sel_attr */
	KESP_TRAP_A_HITS,		/* NLA_U64 */
	KESP_TRAP_A_ACQUIRES,		/* NLA_U64 */
	KESP_TRAP_A_PACKET,		/* nest, enum kesp_sel_attr */
	KESP_TRAP_A_CPU,		/* NLA_U32, per-CPU ACQUIRE only */
	KESP_TRAP_A_SA_ID,		/* NLA_U32, per-CPU ACQUIRE only */
	__KESP_TRAP_A_LAST
};
#define KESP_TRAP_A_MAX (__KESP_TRAP_A_LAST - 1)

/* Soft limits raise an event once; hard limits delete the SA. */
enum kesp_lft_attr {
	KESP_LFT_A_UNSPEC,
	KESP_LFT_A_PAD,
	KESP_LFT_A_SOFT_BYTES,		/* NLA_U64 each */
	KESP_LFT_A_HARD_BYTES,
	KESP_LFT_A_SOFT_PACKETS,
	KESP_LFT_A_HARD_PACKETS,
	KESP_LFT_A_SOFT_SECONDS,
	KESP_LFT_A_HARD_SECONDS,
	__KESP_LFT_A_LAST
};
#define KESP_LFT_A_MAX (__KESP_LFT_A_LAST - 1)

enum kesp_cnt_attr {
	KESP_CNT_A_UNSPEC,
	KESP_CNT_A_PAD,
	KESP_CNT_A_PACKETS,		/* NLA_U64 each */
	KESP_CNT_A_BYTES,
	KESP_CNT_A_REPLAY_ERRORS,
	KESP_CNT_A_AUTH_ERRORS,
	KESP_CNT_A_SELECTOR_ERRORS,
	KESP_CNT_A_PADDING_ERRORS,
	KESP_CNT_A_OTHER_ERRORS,	/* truncated, malformed, no memory */
	KESP_CNT_A_ENCAP_ERRORS,	/* raw ESP for an ESP-in-UDP SA, or
					 * the other way round; outbound: no
					 * socket on the SA's port */
	KESP_CNT_A_PARALLEL,		/* KESP_SA_F_PARALLEL: packets whose
					 * crypto ran on the CPUs' workers */
	__KESP_CNT_A_LAST
};
#define KESP_CNT_A_MAX (__KESP_CNT_A_LAST - 1)

enum kesp_encap_type {
	KESP_ENCAP_ESPINUDP = 1,	/* RFC 3948, as UDP_ENCAP_ESPINUDP */
};

enum kesp_encap_attr {
	KESP_ENCAP_A_UNSPEC,
	KESP_ENCAP_A_TYPE,		/* NLA_U8, enum kesp_encap_type */
	KESP_ENCAP_A_SPORT,		/* NLA_U16 */
	KESP_ENCAP_A_DPORT,		/* NLA_U16 */
	__KESP_ENCAP_A_LAST
};
#define KESP_ENCAP_A_MAX (__KESP_ENCAP_A_LAST - 1)

/* Per device: what happened on it that has no SA to count it. */
enum kesp_dev_cnt_attr {
	KESP_DEV_CNT_A_UNSPEC,
	KESP_DEV_CNT_A_PAD,
	KESP_DEV_CNT_A_EXPIRES_SOFT,	/* NLA_U64 each: events sent */
	KESP_DEV_CNT_A_EXPIRES_HARD,
	KESP_DEV_CNT_A_ACQUIRES,
	KESP_DEV_CNT_A_MAPPINGS,
	KESP_DEV_CNT_A_ENCAP_ESP,	/* ESP datagrams taken off its sockets */
	KESP_DEV_CNT_A_ENCAP_IKE,	/* passed up to the socket's owner */
	KESP_DEV_CNT_A_ENCAP_KEEPALIVES,	/* dropped */
	KESP_DEV_CNT_A_ENCAP_ERRORS,	/* ESP for no SA of ours, or too short */
	__KESP_DEV_CNT_A_LAST
};
#define KESP_DEV_CNT_A_MAX (__KESP_DEV_CNT_A_LAST - 1)

#endif /* _UAPI_LINUX_KESP_H */
