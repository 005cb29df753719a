"""Events about an SA with the most selectors: 64 IPv6 ones make the SA's
description bigger than a page, and each event carries it whole. EXPIRE
(soft, then hard on a 1 s / 4 s lifetime: the lifetime work reports only
the hard expiry when it runs after both, and a loaded TCG guest can stall
for more than a second) and MAPPING (an authenticated
ESP-in-UDP packet from a port the SA does not expect) must each arrive,
with all 64 selectors.

Usage: sa_events.py   (in namespace a of two_sites)
Prints "ok - ..." / "not ok - ..." lines. Touches only its own SAs (SPIs
0x6400 and 0x6401): 80-lifetimes runs it while it waits for SAs of its own.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.environ["KESP_SRC"], "selftests/lib"))
import espcraft  # noqa: E402
from kespnl import K, Kesp, Error, u8, u16, u32, u64, string, nest, attr, addr, parse_attrs  # noqa: E402
from netns import socket_in_netns  # noqa: E402
from tap import report, finish  # noqa: E402

KEY, SALT = bytes(range(0x20, 0x30)), b"\x0a\x0b\x0c\x0d"
MOST = K["KESP_SELECTORS_MAX"]
nl = Kesp()
events = Kesp()
events.join("events")
dev = socket.if_nametoindex("kesp0")


def sel6(i):
    a = socket.inet_pton(socket.AF_INET6, "2001:db8:%x::" % i)
    b = socket.inet_pton(socket.AF_INET6, "2001:db8:%x:ffff:ffff:ffff:ffff:ffff" % i)
    return nest(K["KESP_SELECTORS_A_SELECTOR"], u16(K["KESP_SEL_A_FAMILY"], socket.AF_INET6),
                attr(K["KESP_SEL_A_SRC_START"], a), attr(K["KESP_SEL_A_SRC_END"], b),
                attr(K["KESP_SEL_A_DST_START"], a), attr(K["KESP_SEL_A_DST_END"], b))


def new_sa(spi, *extra):
    return nl.call("KESP_CMD_SA_NEW", u32(K["KESP_SA_A_IFINDEX"], dev), u8(K["KESP_SA_A_DIR"], K["KESP_DIR_IN"]),
                   u32(K["KESP_SA_A_SPI"], spi), u8(K["KESP_SA_A_MODE"], K["KESP_MODE_TUNNEL"]),
                   addr(K["KESP_SA_A_SRC"], "192.168.100.2"), addr(K["KESP_SA_A_DST"], "192.168.100.1"),
                   nest(K["KESP_SA_A_AEAD"], string(K["KESP_ALG_A_NAME"], "rfc4106(gcm(aes))"),
                        attr(K["KESP_ALG_A_KEY"], KEY + SALT), u32(K["KESP_ALG_A_ICV_BITS"], 128)),
                   nest(K["KESP_SA_A_SELECTORS"], *[sel6(i) for i in range(MOST)]), *extra)[0]


def await_event(cmd, spi, seconds):
    """The next event CMD about SPI within SECONDS, or None."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = events.event(max(0.1, deadline - time.time()))
        if got and got[0] == K[cmd] and struct.unpack("=I", got[1][K["KESP_SA_A_SPI"]][0])[0] == spi:
            return got[1]
    return None


def selectors(ev):
    return len(parse_attrs(ev[K["KESP_SA_A_SELECTORS"]][0]).get(K["KESP_SELECTORS_A_SELECTOR"], []))


# ---- EXPIRE -----------------------------------------------------------------
try:
    new_sa(0x6400, nest(K["KESP_SA_A_LIFETIME"], u64(K["KESP_LFT_A_SOFT_SECONDS"], 1),
                        u64(K["KESP_LFT_A_HARD_SECONDS"], 4)))
except Error as e:
    report(False, "an inbound SA with %d IPv6 selectors and a 1 s / 4 s lifetime" % MOST, str(e))
for hard in (False, True):
    ev = await_event("KESP_CMD_SA_EXPIRE", 0x6400, 15)
    kind = "hard" if hard else "soft"
    report(ev is not None and (K["KESP_SA_A_EXPIRE_HARD"] in ev) == hard and selectors(ev) == MOST,
           "a %s EXPIRE event arrives for an SA with %d IPv6 selectors, carrying them all" % (kind, MOST),
           "event: %s" % (None if ev is None else "hard=%s, %d selectors" % (K["KESP_SA_A_EXPIRE_HARD"] in ev,
                                                                          selectors(ev))))

# ---- MAPPING ----------------------------------------------------------------
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("0.0.0.0", 4500))
nl.call("KESP_CMD_ENCAP_ATTACH", u32(K["KESP_DEV_A_IFINDEX"], dev), u32(K["KESP_DEV_A_ENCAP_FD"], sock.fileno()))
try:
    new_sa(0x6401, nest(K["KESP_SA_A_ENCAP"], u8(K["KESP_ENCAP_A_TYPE"], K["KESP_ENCAP_ESPINUDP"]),
                        u16(K["KESP_ENCAP_A_SPORT"], 4500), u16(K["KESP_ENCAP_A_DPORT"], 4500)))
except Error as e:
    report(False, "an inbound ESP-in-UDP SA with %d IPv6 selectors" % MOST, str(e))
peer = socket_in_netns("b", socket.AF_INET, socket.SOCK_DGRAM)
peer.bind(("192.168.100.2", 4999))
inner = espcraft.udp4("10.2.0.1", "10.1.0.1", 4000, 5558, b"moved")
peer.sendto(espcraft.gcm(KEY, SALT, 0x6401, 1, inner), ("192.168.100.1", 4500))
ev = await_event("KESP_CMD_SA_MAPPING", 0x6401, 10)
report(ev is not None and selectors(ev) == MOST and
       struct.unpack("=H", ev[K["KESP_SA_A_MAPPING_SPORT"]][0][:2])[0] == 4999,
       "a MAPPING event (new source port 4999) arrives for an SA with %d IPv6 selectors, carrying them all" % MOST,
       "event: %s" % (None if ev is None else "%d selectors" % selectors(ev)))
# Its own SAs only (0x6400 expired hard, if all went well).
for spi in (0x6400, 0x6401):
    try:
        nl.call("KESP_CMD_SA_DEL", u32(K["KESP_SA_A_IFINDEX"], dev), u8(K["KESP_SA_A_DIR"], K["KESP_DIR_IN"]),
                u32(K["KESP_SA_A_SPI"], spi), addr(K["KESP_SA_A_DST"], "192.168.100.1"))
    except Error:
        pass
finish()
