"""Inbound ESP whose packet head holds less than the ESP header and IV.

A datagram the receiver reassembles keeps its first fragment as the head
and hangs later fragments it cannot merge (too big for the head's room,
or their own head not a page fragment) on a frag_list. When the first
fragment carries only the 8 bytes of SPI and sequence number, the IV lies
in that frag_list. Sent here from namespace b as hand-made Ethernet frames
(AF_PACKET on veth-b, so nothing on the way reassembles or copies them):
raw ESP and ESP in UDP, over IPv4 and IPv6, with AES-CBC/HMAC (the ICV
covers the real bytes, so a wrong IV decrypts "successfully") and with
AES-GCM. Each must be delivered whole, as the same packet unfragmented is.

Usage: esp_short_head.py   (in namespace a of two_sites, veth MTU 9000)
Prints "ok - ..." / "not ok - ..." lines.
"""
import os
import select
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.environ["KESP_SRC"], "selftests/lib"))
import espcraft  # noqa: E402
from inet_checksum import checksum  # noqa: E402
from kespnl import K, Kesp, Error, u8, u16, u32, string, nest, attr, addr, parse_attrs  # noqa: E402
from netns import socket_in_netns  # noqa: E402
from tap import report, finish  # noqa: E402

CBC_KEY, HMAC_KEY = bytes(range(0x10, 0x20)), bytes(range(0x40, 0x60))
GCM_KEY, GCM_SALT = bytes(range(0x70, 0x80)), b"\x01\x02\x03\x04"
PORT, ENCAP_PORT, PEER_PORT = 5557, 4500, 4501
A4, B4, A6, B6 = "192.168.100.1", "192.168.100.2", "fd00:100::1", "fd00:100::2"
ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD

nl = Kesp()
dev = socket.if_nametoindex("kesp0")
mac_a = bytes.fromhex(open("/sys/class/net/veth-a/address").read().strip().replace(":", ""))
wire = socket_in_netns("b", socket.AF_PACKET, socket.SOCK_RAW)
wire.bind(("veth-b", 0))
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("10.1.0.1", PORT))
# The SAs' own sockets for ESP in UDP, attached to kesp0 while this runs.
encap_socks = []
for family, any_addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((any_addr, ENCAP_PORT))
    nl.call("KESP_CMD_ENCAP_ATTACH", u32(K["KESP_DEV_A_IFINDEX"], dev), u32(K["KESP_DEV_A_ENCAP_FD"], s.fileno()))
    encap_socks.append(s)


def inner(tag, size):
    """An IPv4 UDP datagram from 10.2.0.1 to our socket, SIZE bytes of data."""
    return espcraft.udp4("10.2.0.1", "10.1.0.1", 4000, PORT, (tag.encode() + b" " + bytes(size))[:size], 7)


def esp_cbc(spi, seq, payload):
    return espcraft.cbc_sha256(CBC_KEY, HMAC_KEY, spi, seq, payload)


def esp_gcm(spi, seq, payload):
    return espcraft.gcm(GCM_KEY, GCM_SALT, spi, seq, payload)


def udp_encap(esp, v6):
    udp = struct.pack("!HHHH", PEER_PORT, ENCAP_PORT, 8 + len(esp), 0) + esp
    if not v6:
        return udp	# RFC 3948: IPv4 may send no checksum
    pseudo = socket.inet_pton(socket.AF_INET6, B6) + socket.inet_pton(socket.AF_INET6, A6) + \
        struct.pack("!I3xB", len(udp), 17)
    return udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]


def frames(datagram, proto, v6, first_len):
    """DATAGRAM (what follows the IP header) as Ethernet frames: a first
    fragment of FIRST_LEN bytes and one with the rest; or whole for 0."""
    ident = int.from_bytes(os.urandom(2), "big")
    pieces = [(0, datagram)] if not first_len else [(0, datagram[:first_len]),
                                                    (first_len, datagram[first_len:])]
    out = []
    for off, piece in pieces:
        more = first_len and off == 0
        if v6:
            if first_len:
                frag = struct.pack("!BBHI", proto, 0, off | more, ident)
                ip = struct.pack("!IHBB", 6 << 28, len(frag) + len(piece), 44, 64)
                payload = frag + piece
            else:
                ip = struct.pack("!IHBB", 6 << 28, len(piece), proto, 64)
                payload = piece
            ip += socket.inet_pton(socket.AF_INET6, B6) + socket.inet_pton(socket.AF_INET6, A6)
            eth_type = ETH_P_IPV6
        else:
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(piece), ident,
                             (0x2000 if more else 0) | off // 8, 64, proto, 0,
                             socket.inet_aton(B4), socket.inet_aton(A4))
            ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
            payload = piece
            eth_type = ETH_P_IP
        out.append(mac_a + b"\x02\x00\x00\x00\x00\x0b" + struct.pack("!H", eth_type) + ip + payload)
    return out


def delivered(tag):
    got = []
    while select.select([rx], [], [], 0.5)[0]:
        got.append(rx.recv(65536))
    return [g for g in got if g.startswith(tag.encode() + b" ")]


def sa(spi, name, v6, encap):
    if name == "cbc":
        algs = (nest(K["KESP_SA_A_ENC"], string(K["KESP_ALG_A_NAME"], "cbc(aes)"), attr(K["KESP_ALG_A_KEY"], CBC_KEY)),
                nest(K["KESP_SA_A_AUTH"], string(K["KESP_ALG_A_NAME"], "hmac(sha256)"),
                     attr(K["KESP_ALG_A_KEY"], HMAC_KEY), u32(K["KESP_ALG_A_ICV_BITS"], 128)))
    else:
        algs = (nest(K["KESP_SA_A_AEAD"], string(K["KESP_ALG_A_NAME"], "rfc4106(gcm(aes))"),
                     attr(K["KESP_ALG_A_KEY"], GCM_KEY + GCM_SALT), u32(K["KESP_ALG_A_ICV_BITS"], 128)),)
    extra = ()
    if encap:
        extra = (nest(K["KESP_SA_A_ENCAP"], u8(K["KESP_ENCAP_A_TYPE"], K["KESP_ENCAP_ESPINUDP"]),
                      u16(K["KESP_ENCAP_A_SPORT"], PEER_PORT), u16(K["KESP_ENCAP_A_DPORT"], ENCAP_PORT)),)
    nl.call("KESP_CMD_SA_NEW", u32(K["KESP_SA_A_IFINDEX"], dev), u8(K["KESP_SA_A_DIR"], K["KESP_DIR_IN"]),
            u32(K["KESP_SA_A_SPI"], spi), u8(K["KESP_SA_A_MODE"], K["KESP_MODE_TUNNEL"]),
            addr(K["KESP_SA_A_SRC"], B6 if v6 else B4), addr(K["KESP_SA_A_DST"], A6 if v6 else A4),
            u32(K["KESP_SA_A_REPLAY_WINDOW"], 0), *algs, *extra)


def sa_counters(spi):
    for m in nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), dump=True):
        if struct.unpack("=I", m[K["KESP_SA_A_SPI"]][0])[0] == spi:
            c = parse_attrs(m[K["KESP_SA_A_COUNTERS"]][0])
            return {n: struct.unpack("=Q", c[K[n]][0])[0] for n in
                    ("KESP_CNT_A_PACKETS", "KESP_CNT_A_AUTH_ERRORS", "KESP_CNT_A_OTHER_ERRORS")}


spi = 0x6100
for name, build in (("AES-CBC/HMAC-SHA-256", esp_cbc), ("AES-GCM", esp_gcm)):
    for v6 in (False, True):
        for encap in (False, True):
            spi += 1
            what = "%s, %s over IPv%d" % (name, "ESP in UDP" if encap else "raw ESP", 6 if v6 else 4)
            try:
                sa(spi, "cbc" if build is esp_cbc else "gcm", v6, encap)
            except Error as e:
                report(False, "%s: add the SA" % what, str(e))
                continue
            proto = 17 if encap else 50
            # First fragment: the UDP header (ESP in UDP) and 8 bytes of
            # ESP; the IV and the rest follow in the second.
            first = 16 if encap else 8
            for size, split in ((1200, 0), (1200, first), (3000, first), (60, first)):
                seq = size + split
                tag = "%x-%d" % (spi, seq)
                esp = build(spi, seq, inner(tag, size))
                datagram = udp_encap(esp, v6) if encap else esp
                before = sa_counters(spi)
                for frame in frames(datagram, proto, v6, split):
                    wire.send(frame)
                got = delivered(tag)
                after = sa_counters(spi)
                how = "unfragmented" if not split else \
                    "reassembled, its first fragment ending %d bytes into ESP" % 8
                ok = len(got) == 1 and len(got[0]) == size and got[0] == inner(tag, size)[28:]
                report(ok, "%s: a %d-byte datagram %s arrives whole" % (what, size, how),
                       "delivered %s; SA counters %s -> %s" % ([len(g) for g in got], before, after))
finish()
