"""Inbound AES-GCM ESP (RFC 4106) with hand-made packets, over IPv6 in
tunnel mode and over IPv4 and IPv6 in transport mode: the cases
esp_input.py covers with NULL encryption and HMAC, here through the AEAD
path and the other families and mode. A valid packet is built first (so
the crafting is proven right), then exactly one thing is broken at a time.
In transport mode the SA has no selectors, and a valid packet from another
source address than the SA's must still be refused (RFC 4301 5.2).

Usage: esp_aead_input.py tunnel6|transport4|transport6 KEY-HEX   (run in
namespace a; KEY-HEX is the SA's 16-byte key and 4-byte salt; b has a
second address, 192.168.100.3 and fd00:100::3, for the wrong source)
Prints "ok - ..." / "not ok - ..." lines.
"""
import os
import socket
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

sys.path.insert(0, os.path.join(os.environ["KESP_SRC"], "selftests/lib"))
from esp_probe import InboundSA, Receiver  # noqa: E402
from inet_checksum import checksum  # noqa: E402
from netns import socket_in_netns  # noqa: E402
from tap import report, finish  # noqa: E402

MODE, KEYMAT = sys.argv[1], bytes.fromhex(sys.argv[2])
KEY, SALT = KEYMAT[:16], KEYMAT[16:]
SPI = 0x3100
PORT = 5556

if MODE == "tunnel6":
    FAMILY, OUTER_DST, LOCAL = socket.AF_INET6, "fd00:100::1", "fd00:1::1"
elif MODE == "transport6":
    FAMILY, OUTER_DST, LOCAL = socket.AF_INET6, "fd00:100::1", "fd00:100::1"
    PEER, STRANGER = "fd00:100::2", "fd00:100::3"
else:
    FAMILY, OUTER_DST, LOCAL = socket.AF_INET, "192.168.100.1", "192.168.100.1"
    PEER, STRANGER = "192.168.100.2", "192.168.100.3"


def payload(tag):
    """What ESP carries, and its next header: an IPv6 packet with a UDP
    datagram (tunnel mode) or the UDP datagram alone (transport mode)."""
    data = tag.encode()
    if MODE == "tunnel6":
        src, dst = socket.inet_pton(FAMILY, "fd00:2::1"), socket.inet_pton(FAMILY, LOCAL)
        length = 8 + len(data)
        pseudo = src + dst + struct.pack("!I3xB", length, 17)
        udp = struct.pack("!HHHH", 4000, PORT, length, 0) + data
        udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]
        return struct.pack("!IHBB", 6 << 28, length, 17, 64) + src + dst + udp, 41
    if MODE == "transport6":
        src, dst = socket.inet_pton(FAMILY, PEER), socket.inet_pton(FAMILY, LOCAL)
        length = 8 + len(data)
        pseudo = src + dst + struct.pack("!I3xB", length, 17)
        udp = struct.pack("!HHHH", 4000, PORT, length, 0) + data
        return udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:], 17
    # A zero checksum: IPv4 UDP may go without one.
    return struct.pack("!HHHH", 4000, PORT, 8 + len(data), 0) + data, 17


def esp(seq, tag, *, spi=SPI, nexthdr=None, bad_pad=False, flip=None, aad_seq=None, truncate=None):
    inner, nh = payload(tag)
    n = (4 - (len(inner) + 2) % 4) % 4
    padding = bytes(range(1, n + 1))
    if bad_pad:
        padding = bytes([0x55] * (n or 4))
    body = inner + padding + bytes([len(padding), nh if nexthdr is None else nexthdr])
    header = struct.pack("!II", spi, seq)
    iv = struct.pack("!Q", 0x1122334400000000 + seq)
    aad = struct.pack("!II", spi, seq if aad_seq is None else aad_seq)
    sealed = AESGCM(KEY).encrypt(SALT + iv, body, aad)
    packet = bytearray(header + iv + sealed)
    if flip is not None:
        packet[flip] ^= 0x01
    return bytes(packet[:truncate] if truncate else packet)


tx = socket_in_netns("b", FAMILY, socket.SOCK_RAW, socket.IPPROTO_ESP)
stranger = None
if MODE.startswith("transport"):
    # b has two addresses: each socket says which it sends from.
    tx.bind((PEER, 0))
    stranger = socket_in_netns("b", FAMILY, socket.SOCK_RAW, socket.IPPROTO_ESP)
    stranger.bind((STRANGER, 0))
rx = socket.socket(FAMILY, socket.SOCK_DGRAM)
rx.bind((LOCAL, PORT))


sa = InboundSA(SPI)
receiver = Receiver(rx, sa)
counters = sa.counters


def send(packet, tag, sock=tx, expect=True):
    return receiver.send(sock, OUTER_DST, packet, tag, expect)


what = {"tunnel6": "AES-GCM, IPv6 tunnel", "transport4": "AES-GCM, IPv4 transport",
        "transport6": "AES-GCM, IPv6 transport"}[MODE]
seq = 0


def case(name, counter, **kw):
    """Sends the next packet broken as KW says: never delivered, and
    counted as COUNTER and nothing else (None: no SA counter moves)."""
    global seq
    seq += 1
    tag = "seq=%d" % seq
    before = counters()
    delivered = send(esp(seq, tag, **kw), tag, expect=False)
    after = counters()
    moved = sorted(k for k in after if after[k] != before[k])
    want = [] if counter is None else [counter]
    report(not delivered and moved == want, "%s: %s is dropped%s" % (
        what, name, " and counts no error" if counter is None else
        " and counted as " + counter.replace("_", " ")),
        "delivered=%s, counters that moved: %s" % (delivered, moved))


seq += 1
b = counters()
ok = send(esp(seq, "seq=%d" % seq), "seq=%d" % seq)
a = counters()
report(ok and a["packets"] == b["packets"] + 1, "%s: a valid packet is delivered and counted" % what,
       "delivered=%s %s -> %s" % (ok, b, a))
case("a flipped ciphertext bit", "auth_errors", flip=8 + 8 + 4)
case("a flipped ICV bit", "auth_errors", flip=-1)
case("a sequence number other than the one authenticated", "auth_errors", aad_seq=10**6)
case("padding that is not 1, 2, 3...", "padding_errors", bad_pad=True)
if MODE == "tunnel6":
    case("a next header tunnel mode does not carry (UDP)", "other_errors", nexthdr=17)
case("a dummy packet (next header 59, RFC 4303 2.6)", None, nexthdr=59)
case("a packet shorter than its IV and ICV", "other_errors", truncate=8 + 8 + 10)
case("a packet for an SPI with no SA", None, spi=SPI + 1)
if stranger:
    # The SA has no selectors: only its addresses say who may use it.
    seq += 1
    tag = "seq=%d" % seq
    before = counters()
    delivered = send(esp(seq, tag), tag, stranger, expect=False)
    after = counters()
    moved = sorted(k for k in after if after[k] != before[k])
    report(not delivered and moved == ["selector_errors"],
           "%s: a valid packet from another source than the SA's is dropped and counted as a selector error"
           % what, "delivered=%s, counters that moved: %s" % (delivered, moved))
    report(send(esp(seq, tag), tag),
           "%s: the same sequence number from the SA's source is still delivered (the window did not move)" % what)
seq += 1
ok = send(esp(seq, "seq=%d" % seq), "seq=%d" % seq)
report(ok, "%s: after all that, a valid packet is still delivered" % what)
finish()
