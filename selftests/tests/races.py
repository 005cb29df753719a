"""Configuration racing traffic, each case with packets flooding the path
the change touches, in namespace a of two_sites (kesp0, XFRM-less b):

  replace  an outbound SA's selectors replaced 200 times while its traffic
           flows, with a wider trap under them: the traffic must find the
           SA throughout, never the trap (no ACQUIRE, no trap hit);
  publish  SAs and traps whose selectors pass the device's limit of
           prefixes part way in, so each is seen by transmit and then
           taken back, 300 times, while that traffic flows;
  family   an outbound SA moved between IPv4 and IPv6 outer addresses 200
           times while it sends;
  close    UDP sockets attached to kesp0 and closed 200 times while ESP in
           UDP floods them.

A kernel splat is what fails the last three; the harness checks for one.
Before each case every SA and trap of namespace a is flushed (kespctl).
Usage: races.py CASE...   Prints "ok - ..." / "not ok - ..." lines.
The cases run in this one process: a python3 start costs about a second
under TCG.
"""
import errno
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.environ["KESP_SRC"], "selftests/lib"))
from kespnl import K, Kesp, Error, u8, u16, u32, u64, string, nest, attr, addr, parse_attrs  # noqa: E402
from netns import socket_in_netns  # noqa: E402
from tap import report, finish  # noqa: E402

nl = Kesp()
dev = socket.if_nametoindex("kesp0")
KEY = bytes(range(20))
A4, B4, A6, B6 = "192.168.100.1", "192.168.100.2", "fd00:100::1", "fd00:100::2"


def flood(stop, family, dst, port=9):
    """Sends small UDP datagrams to DST until STOP is set; returns the count."""
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setblocking(False)
    sent = [0]

    def run():
        while not stop.is_set():
            try:
                s.sendto(b"x" * 32, (dst, port))
                sent[0] += 1
            except OSError:
                time.sleep(0.001)
    t = threading.Thread(target=run)
    t.start()
    return t, sent


def sel(family, start, end, proto=0):
    ab = 4 if family == socket.AF_INET else 16
    parts = [u16(K["KESP_SEL_A_FAMILY"], family),
             attr(K["KESP_SEL_A_DST_START"], socket.inet_pton(family, start)),
             attr(K["KESP_SEL_A_DST_END"], socket.inet_pton(family, end)),
             attr(K["KESP_SEL_A_SRC_START"], bytes(ab)), attr(K["KESP_SEL_A_SRC_END"], b"\xff" * ab)]
    return nest(K["KESP_SELECTORS_A_SELECTOR"], *parts)


def costly_selectors(n):
    """N IPv6 selectors of ~250 prefixes each (ranges that are no prefix)."""
    return [sel(socket.AF_INET6, "2001:db8:%x::1" % i, "2001:db8:%x:ffff:ffff:ffff:ffff:fffe" % i)
            for i in range(n)]


def sa_attrs(spi, src, dst, *extra):
    return (u32(K["KESP_SA_A_IFINDEX"], dev), u8(K["KESP_SA_A_DIR"], K["KESP_DIR_OUT"]),
            u32(K["KESP_SA_A_SPI"], spi), u8(K["KESP_SA_A_MODE"], K["KESP_MODE_TUNNEL"]),
            addr(K["KESP_SA_A_SRC"], src), addr(K["KESP_SA_A_DST"], dst),
            nest(K["KESP_SA_A_AEAD"], string(K["KESP_ALG_A_NAME"], "rfc4106(gcm(aes))"),
                 attr(K["KESP_ALG_A_KEY"], KEY), u32(K["KESP_ALG_A_ICV_BITS"], 128))) + extra


def get_u32(d, name):
    return struct.unpack("=I", d[K[name]][0][:4])[0]


def sa_packets(spi, dst):
    d = nl.call("KESP_CMD_SA_GET", u32(K["KESP_SA_A_IFINDEX"], dev), u8(K["KESP_SA_A_DIR"], K["KESP_DIR_OUT"]),
                u32(K["KESP_SA_A_SPI"], spi), addr(K["KESP_SA_A_DST"], dst))[0]
    return struct.unpack("=Q", parse_attrs(d[K["KESP_SA_A_COUNTERS"]][0])[K["KESP_CNT_A_PACKETS"]][0])[0]


def set_limit(name, value):
    nl.call("KESP_CMD_DEV_SET", u32(K["KESP_DEV_A_IFINDEX"], dev),
            nest(K["KESP_DEV_A_LIMITS"], u32(K["KESP_LIMIT_A_" + name], value)))


def prefixes():
    d = nl.call("KESP_CMD_DEV_GET", u32(K["KESP_DEV_A_IFINDEX"], dev))[0]
    return get_u32(parse_attrs(d[K["KESP_DEV_A_USAGE"]][0]), "KESP_LIMIT_A_SEL_PREFIXES")


def race_replace(stop):
    # The SA's own /24 goes in last, after 63 costly selectors, so that
    # removing all and inserting again would leave it out for a while.
    sels = costly_selectors(63) + [sel(socket.AF_INET, "10.2.0.0", "10.2.0.255")]
    nl.call("KESP_CMD_SA_NEW", *sa_attrs(0x6500, A4, B4, nest(K["KESP_SA_A_SELECTORS"], *sels)))
    trap = nl.call("KESP_CMD_TRAP_ADD", u32(K["KESP_TRAP_A_IFINDEX"], dev),
                   nest(K["KESP_TRAP_A_SELECTOR"], u16(K["KESP_SEL_A_FAMILY"], socket.AF_INET),
                        attr(K["KESP_SEL_A_DST_START"], socket.inet_aton("10.2.0.0")),
                        attr(K["KESP_SEL_A_DST_END"], socket.inet_aton("10.2.255.255"))))[0]
    trap_id = get_u32(trap, "KESP_TRAP_A_ID")
    t, sent = flood(stop, socket.AF_INET, "10.2.0.5")
    for _ in range(200):
        nl.call("KESP_CMD_SA_UPDATE", u32(K["KESP_SA_A_IFINDEX"], dev), u8(K["KESP_SA_A_DIR"], K["KESP_DIR_OUT"]),
                u32(K["KESP_SA_A_SPI"], 0x6500), addr(K["KESP_SA_A_DST"], B4),
                nest(K["KESP_SA_A_SELECTORS"], *sels))
    stop.set()
    t.join()
    trap = nl.call("KESP_CMD_TRAP_GET", u32(K["KESP_TRAP_A_IFINDEX"], dev), u32(K["KESP_TRAP_A_ID"], trap_id))[0]
    hits = struct.unpack("=Q", trap[K["KESP_TRAP_A_HITS"]][0])[0]
    through = sa_packets(0x6500, B4)
    report(hits == 0 and through > 0,
           "replacing an SA's selectors 200 times never lets its traffic fall to the trap under them",
           "%d datagrams sent, %d through the SA, %d on the trap" % (sent[0], through, hits))


def race_publish(stop):
    base = prefixes()
    # Room for the SA's /24 and a few prefixes of the costly range, not all.
    set_limit("SEL_PREFIXES", base + 20)
    t, sent = flood(stop, socket.AF_INET, "10.2.0.5")
    refusals = 0
    for i in range(300):
        try:
            nl.call("KESP_CMD_SA_NEW", *sa_attrs(0x6600 + i, A4, B4, nest(
                K["KESP_SA_A_SELECTORS"], sel(socket.AF_INET, "10.2.0.0", "10.2.0.255"),
                *costly_selectors(1))))
        except Error as e:
            refusals += e.errno == errno.ENOSPC and "limit of selector prefixes" in e.message
        try:
            nl.call("KESP_CMD_TRAP_ADD", u32(K["KESP_TRAP_A_IFINDEX"], dev),
                    nest(K["KESP_TRAP_A_SELECTOR"], u16(K["KESP_SEL_A_FAMILY"], socket.AF_INET),
                         attr(K["KESP_SEL_A_DST_START"], socket.inet_aton("10.2.0.1")),
                         attr(K["KESP_SEL_A_DST_END"], socket.inet_aton("10.2.255.254"))))
        except Error as e:
            refusals += e.errno == errno.ENOSPC and "limit of selector prefixes" in e.message
    stop.set()
    t.join()
    report(refusals == 600, "300 SAs and 300 traps that pass the prefix limit part way in are each refused",
           "%d refused with the limit's message" % refusals)
    report(prefixes() == base, "and leave no prefix behind", "%d prefixes, %d before" % (prefixes(), base))
    print("  %d datagrams sent meanwhile" % sent[0])


def race_family(stop):
    sa_id = get_u32(nl.call("KESP_CMD_SA_NEW", *sa_attrs(0x6700, A4, B4))[0], "KESP_SA_A_ID")
    t, sent = flood(stop, socket.AF_INET, "10.2.0.5")
    for i in range(200):
        src, dst = (A6, B6) if i % 2 == 0 else (A4, B4)
        nl.call("KESP_CMD_SA_UPDATE", u32(K["KESP_SA_A_IFINDEX"], dev), u32(K["KESP_SA_A_ID"], sa_id),
                addr(K["KESP_SA_A_SRC"], src), addr(K["KESP_SA_A_DST"], dst))
    stop.set()
    t.join()
    through = sa_packets(0x6700, B4)
    report(through > 0, "an SA moved between IPv4 and IPv6 200 times keeps sending",
           "%d sent, %d through the SA" % (sent[0], through))


def race_close(stop):
    peer = socket_in_netns("b", socket.AF_INET, socket.SOCK_DGRAM)
    peer.setblocking(False)

    def esp_flood():
        spi = 0x7000
        while not stop.is_set():
            spi += 1
            try:
                peer.sendto(struct.pack("!II", spi, 1) + bytes(40), (A4, 4500))
            except OSError:
                time.sleep(0.001)
    t = threading.Thread(target=esp_flood)
    t.start()
    attached = 0
    for _ in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 4500))
        try:
            nl.call("KESP_CMD_ENCAP_ATTACH", u32(K["KESP_DEV_A_IFINDEX"], dev),
                    u32(K["KESP_DEV_A_ENCAP_FD"], s.fileno()))
            attached += 1
        except Error:
            pass
        time.sleep(0.005)
        s.close()
    stop.set()
    t.join()
    d = nl.call("KESP_CMD_DEV_GET", u32(K["KESP_DEV_A_IFINDEX"], dev))[0]
    errors = struct.unpack("=Q", parse_attrs(d[K["KESP_DEV_A_COUNTERS"]][0])[
        K["KESP_DEV_CNT_A_ENCAP_ERRORS"]][0])[0]
    report(attached == 200 and errors > 0,
           "200 attached sockets closed while ESP in UDP floods them",
           "%d attached, %d ESP datagrams taken for no SA" % (attached, errors))
    d = nl.call("KESP_CMD_DEV_GET", u32(K["KESP_DEV_A_IFINDEX"], dev))[0]
    report(K["KESP_DEV_A_ENCAP_PORT4"] not in d, "and none is left attached")


def flush():
    """No SA or trap of one case is left for the next."""
    kespctl = os.environ["KESPCTL"]
    sys.stdout.flush()
    subprocess.run([kespctl, "-n", "a", "sa", "flush"])
    subprocess.run([kespctl, "-n", "a", "trap", "flush", "dev", "kesp0"], stderr=subprocess.DEVNULL)


crashed = False
for case in sys.argv[1:]:
    flush()
    case_stop = threading.Event()
    try:
        globals()["race_" + case](case_stop)
    except Exception:  # noqa: BLE001 (the next case still runs)
        sys.stdout.flush()
        traceback.print_exc()
        crashed = True
    finally:
        case_stop.set()  # a flood the case left running
    sys.stdout.flush()
if crashed:
    sys.exit(1)
finish()
