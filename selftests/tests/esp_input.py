"""Inbound ESP checks with hand-made packets.

Namespace a holds kesp0 (10.1.0.1) and an inbound SA using NULL encryption
with HMAC-SHA-256-128, so this script can build valid ESP itself (only the
standard library's HMAC is needed) and then break exactly one thing at a
time. Packets are sent from namespace b through a raw ESP socket; a UDP
socket in a tells which ones were delivered.

Usage: esp_input.py WINDOW ESN(0|1) INITIAL_TOP   (run in namespace a)
Prints "ok - ..." / "not ok - ..." lines.
"""
import hashlib
import hmac
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.environ["KESP_SRC"], "selftests/lib"))
from esp_probe import InboundSA, Receiver  # noqa: E402
from inet_checksum import checksum  # noqa: E402
from netns import socket_in_netns  # noqa: E402
from tap import report, finish  # noqa: E402

WINDOW, ESN, TOP0 = int(sys.argv[1]), sys.argv[2] == "1", int(sys.argv[3])
KEY = bytes(range(1, 33))
SPI = 0x3000


def inner_udp(tag, src="10.2.0.1", dst="10.1.0.1", tos=0):
    payload = tag.encode()
    udp = struct.pack("!HHHH", 4000, 5555, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + udp


def esp(seq, inner, *, spi=SPI, pad=None, padlen=None, nexthdr=4, icv_seq=None, flip=None):
    """An ESP packet carrying INNER with 64-bit sequence SEQ."""
    n = (4 - (len(inner) + 2) % 4) % 4
    padding = bytes(range(1, n + 1)) if pad is None else pad
    body = inner + padding + bytes([len(padding) if padlen is None else padlen, nexthdr])
    header = struct.pack("!II", spi, seq & 0xFFFFFFFF)
    icv_hi = (seq if icv_seq is None else icv_seq) >> 32
    # RFC 4303 2.2.1 / 3.3.2.2: with ESN the high bits follow the payload.
    mac_input = header + body + (struct.pack("!I", icv_hi) if ESN else b"")
    packet = bytearray(header + body + hmac.new(KEY, mac_input, hashlib.sha256).digest()[:16])
    if flip is not None:
        packet[flip] ^= 0x01
    return bytes(packet)


tx = socket_in_netns("b", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ESP)
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
rx.bind(("10.1.0.1", 5555))
sa = InboundSA(SPI)
receiver = Receiver(rx, sa)
last_tos = receiver.last_tos
counters = sa.counters


def send(packet, tag=None, expect=True):
    """Sends PACKET; True if the inner datagram TAG (any, without TAG) was delivered."""
    return receiver.send(tx, "192.168.100.1", packet, tag, expect)


def dropped(packet, tag=None):
    return not send(packet, tag, expect=False)


def expect(seq, accepted, what, **kw):
    tag = "seq=%d" % seq
    before = counters()
    delivered = send(esp(seq, inner_udp(tag), **kw), tag, expect=accepted)
    after = counters()
    report(delivered == accepted, what, "seq %d: delivered=%s, counters %s -> %s" % (seq, delivered, before, after))
    return before, after


def grew(before, after, name):
    return after[name] == before[name] + 1


mode = "window %d%s, starting after %d" % (WINDOW, " ESN" if ESN else "", TOP0)
top = TOP0
# ---- in order, duplicates, out of order, the edges of the window --------
for s in range(top + 1, top + 6):
    expect(s, True, "%s: in-order packet %d delivered" % (mode, s))
top += 5
b, a = expect(top, WINDOW == 0, "%s: a duplicate of the newest packet %s" % (mode, "is delivered (no window)" if WINDOW == 0 else "is dropped"))
if WINDOW:
    report(grew(b, a, "replay_errors"), "%s: and counted as a replay error" % mode, "%s -> %s" % (b, a))
    jump = top + WINDOW + 10
    expect(jump, True, "%s: a packet far ahead is delivered" % mode)
    expect(jump - 3, True, "%s: an unseen packet inside the window is delivered (out of order)" % mode)
    expect(jump - 3, False, "%s: and a second copy of it is dropped" % mode)
    expect(jump - WINDOW + 1, True, "%s: the oldest sequence number the window allows is delivered" % mode)
    b, a = expect(jump - WINDOW, False, "%s: one older than the window is dropped" % mode)
    # RFC 4303 A2.2: with ESN a packet below the window is taken to belong
    # to the next 2^32 block, so it fails its ICV instead.
    counter = "auth_errors" if ESN else "replay_errors"
    report(grew(b, a, counter), "%s: as %s" % (mode, "an authentication error (RFC 4303 A2.2)" if ESN
                                                else "a replay error"), "%s -> %s" % (b, a))
    top = jump
# ---- tampering --------------------------------------------------------------
s = top + 1
tag = "seq=%d" % s
b = counters()
report(dropped(esp(s, inner_udp(tag), flip=40), tag), "%s: a flipped payload bit is dropped" % mode)
report(grew(b, counters(), "auth_errors"), "%s: as an authentication error" % mode)
report(dropped(esp(s, inner_udp(tag), flip=len(esp(s, inner_udp(tag))) - 1), tag),
       "%s: a flipped ICV bit is dropped" % mode)
report(send(esp(s, inner_udp(tag)), tag), "%s: the untampered packet with that number still arrives afterwards" % mode)
s += 1
b = counters()
# Wrong padding bytes of a length that keeps the 4-byte alignment.
need = (4 - (len(inner_udp("seq=%d" % s)) + 2) % 4) % 4 or 4
bad_pad = bytes(range(1, need)) + b"\x09"
report(dropped(esp(s, inner_udp("seq=%d" % s), pad=bad_pad), "seq=%d" % s),
       "%s: padding that is not 1, 2, 3, ... is dropped" % mode)
report(grew(b, counters(), "padding_errors"), "%s: as a padding error" % mode)
s += 1
b = counters()
report(dropped(esp(s, inner_udp("seq=%d" % s), padlen=250), "seq=%d" % s),
       "%s: a pad length longer than the packet is dropped" % mode)
report(grew(b, counters(), "padding_errors"), "%s: as a padding error" % mode)
s += 1
report(dropped(esp(s, inner_udp("seq=%d" % s), nexthdr=17), "seq=%d" % s),
       "%s: a next header that is not IP in a tunnel-mode SA is dropped" % mode)
s += 1
b = counters()
report(dropped(esp(s, inner_udp("seq=%d" % s, src="10.9.0.1")), "seq=%d" % s),
       "%s: an inner packet outside the SA's selectors is dropped" % mode)
report(grew(b, counters(), "selector_errors"), "%s: as a selector error" % mode)
s += 1
b = counters()
report(dropped(esp(s, inner_udp("x"))[:20]), "%s: a truncated packet is dropped" % mode)
report(grew(b, counters(), "other_errors"), "%s: and counted" % mode)
b = counters()
report(dropped(esp(s, inner_udp("seq=%d" % s), spi=0x3999), "seq=%d" % s),
       "%s: an unknown SPI is not ours (left to XFRM)" % mode)
report(counters() == b, "%s: and leaves our counters alone" % mode)
# ---- ECN decapsulation (RFC 6040 section 4.2) -------------------------------
s += 1
tx.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x03)      # outer CE
tag = "seq=%d" % s
report(send(esp(s, inner_udp(tag, tos=0x02)), tag) and last_tos.get(tag) == 0x03,
       "%s: outer CE over an ECT(0) inner packet arrives marked CE" % mode, "inner tos %s" % last_tos.get(tag))
s += 1
tag = "seq=%d" % s
report(dropped(esp(s, inner_udp(tag, tos=0x00)), tag),
       "%s: outer CE over a not-ECT inner packet is dropped" % mode)
tx.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x00)
s += 1
tag = "seq=%d" % s
report(send(esp(s, inner_udp(tag, tos=0xb8)), tag) and last_tos.get(tag) == 0xb8,
       "%s: the inner DSCP is kept as it was sent" % mode, "inner tos %s" % last_tos.get(tag))
if ESN:
    # Authenticated with the wrong high-order bits: must not verify.
    s += 1
    b = counters()
    report(dropped(esp(s, inner_udp("seq=%d" % s), icv_seq=s + (1 << 32)), "seq=%d" % s),
           "%s: an ICV over the wrong high sequence bits is dropped" % mode)
    report(grew(b, counters(), "auth_errors"), "%s: as an authentication error" % mode)
finish()
