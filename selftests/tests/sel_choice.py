"""Which outbound SA carries a packet, with real packets: the body of
53-selectors.sh, run in its namespace a (kesp0 there, XFRM in b with a
state for every SPI used here). Prints "ok - ..." / "not ok - ..." lines.

Every traffic check sends packets, then compares every counter that moved
with what it wants; everything else must stay where it was. Its WANT:
  SPI=N         kesp's outbound SA SPI sent N packets, b's XFRM state SPI
                decrypted N, and N ESP packets reached b ("wire", the sum
                over the SAs, whatever their SPI)
  dropped=N     kesp0 dropped N packets routed into it: no SA matched
  in:SPI=N      kesp's inbound SA SPI delivered N packets
  selerr:SPI=N  and dropped N decrypted ones outside its selectors
  xfrm:SPI=N    b's XFRM state SPI (b's outbound SA) counted N
  delivered=N   N datagrams reached the socket listening in a
"""
import collections
import json
import os
import re
import shlex
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ["KESP_SRC"], "selftests/lib"))
from kespnl import K, Kesp, Error, u8, u16, u32, string, nest, attr, addr, get_u32, parse_attrs  # noqa: E402
from netns import socket_in_netns  # noqa: E402
from tap import report, finish  # noqa: E402

KESPCTL = shlex.split(os.environ["KESPCTL"])
KEY = sys.argv[1]
ETH_P_ALL, ETH_P_IP, ETH_P_IPV6 = 0x0003, 0x0800, 0x86DD
PACKET_OUTGOING = 4

# Every frame veth-b receives, to count the ESP among them.
wire = socket_in_netns("b", socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
wire.bind(("veth-b", 0))
wire.setblocking(False)
esp_seen = 0
NETLINK_XFRM, XFRM_MSG_GETSA = 6, 0x12
NLM_F_REQUEST, NLM_F_DUMP, NLMSG_ERROR, NLMSG_DONE = 0x1, 0x300, 2, 3
xfrm = socket_in_netns("b", socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_XFRM)


def kespctl(*args):
    return subprocess.run(KESPCTL + list(args), capture_output=True, text=True)


def configure(what, *args):
    r = kespctl(*args)
    report(r.returncode == 0, what, r.stdout + r.stderr)


def sa_add(spi, *args, direction="out"):
    """kespctl's result of adding an AES-GCM tunnel-mode SA of a over IPv4
    (IPv6 for SPIs 0x6...) with ARGS: outbound, or inbound from b."""
    ends = ["fd00:100::1", "fd00:100::2"] if spi >> 12 == 6 else ["192.168.100.1", "192.168.100.2"]
    if direction == "in":
        ends.reverse()
    return kespctl("sa", "add", "dev", "kesp0", "dir", direction, "src", ends[0], "dst", ends[1],
                   "proto", "esp", "spi", "%#x" % spi, "mode", "tunnel",
                   "aead", "rfc4106(gcm(aes))", KEY, "128", *args)


def out_sa(spi, *args):
    """An outbound SA with ARGS (see sa_add), which must be added."""
    r = sa_add(spi, *args)
    report(r.returncode == 0, "outbound SA %#x: %s" % (spi, " ".join(args)), r.stdout + r.stderr)


def count_wire():
    """ESP frames that reached b since the last call, added to esp_seen."""
    global esp_seen
    while True:
        try:
            frame, where = wire.recvfrom(2048)
        except BlockingIOError:
            return
        if where[2] == PACKET_OUTGOING or len(frame) < 34:
            continue
        ethertype = struct.unpack_from("!H", frame, 12)[0]
        if (ethertype == ETH_P_IP and frame[23] == socket.IPPROTO_ESP or
                ethertype == ETH_P_IPV6 and frame[20] == socket.IPPROTO_ESP):
            esp_seen += 1


def xfrm_packets():
    """(SPI, packets) of each of b's XFRM SAs: what "ip -s xfrm state"
    shows, read over b's XFRM netlink without a process per look."""
    xfrm.send(struct.pack("=IHHII", 20, XFRM_MSG_GETSA, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) +
              b"\0" * 4)
    while True:
        data = xfrm.recv(1 << 16)
        while len(data) >= 16:
            length, kind = struct.unpack_from("=IH", data)
            if kind == NLMSG_DONE:
                return
            if kind == NLMSG_ERROR:
                raise OSError(-struct.unpack_from("=i", data, 16)[0], "XFRM dump")
            # struct xfrm_usersa_info: the SPI in its xfrm_id at 72,
            # curlft.packets at 168.
            yield struct.unpack_from("!I", data, 16 + 72)[0], struct.unpack_from("=Q", data, 16 + 168)[0]
            data = data[(length + 3) & ~3:]


def counters():
    c = collections.Counter()
    for sa in json.loads(kespctl("--json", "sa", "list", "dev", "kesp0").stdout):
        spi, cnt = "%#x" % sa["spi"], sa["counters"]
        if sa["dir"] == "out":
            c["out:" + spi] = cnt["packets"]
        else:
            c["in:" + spi] = cnt["packets"]
            c["selerr:" + spi] = cnt.get("selector_errors", 0)
    for spi, packets in xfrm_packets():
        c["xfrm:%#x" % spi] = packets
    count_wire()
    c["wire"] = esp_seen
    with open("/sys/class/net/kesp0/statistics/tx_dropped") as f:
        c["dropped"] = int(f.read())
    return c


def expected(want):
    c = collections.Counter()
    for token in want.split():
        key, n = token.rsplit("=", 1)
        n = int(n)
        if ":" in key:
            kind, spi = key.split(":")
            c["%s:%#x" % (kind, int(spi, 0))] += n
        elif key in ("dropped", "delivered"):
            c[key] += n
        else:
            spi = "%#x" % int(key, 0)
            c["out:" + spi] += n
            c["xfrm:" + spi] += n
            c["wire"] += n
    return c


def nonzero(c):
    """What moved: a counter that went back (an SA gone) counts too."""
    return {k: v for k, v in c.items() if v}


def text(c):
    return " ".join("%s=%d" % kv for kv in sorted(nonzero(c).items()))


def sends(what, want, send, listener=None):
    """Runs SEND(); then the counters must have moved as WANT says."""
    want = expected(want)
    before = counters()
    send()
    delivered = 0
    # Packets still in flight (async crypto, b's backlog) land within
    # moments; a failing check waits two seconds for them.
    deadline = time.monotonic() + 2
    while True:
        while listener:
            try:
                listener.recv(64)
                delivered += 1
            except BlockingIOError:
                break
        got = counters()
        got.subtract(before)
        got["delivered"] = delivered
        if nonzero(got) == nonzero(want) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    report(nonzero(got) == nonzero(want), "%s (%s)" % (what, text(want)), "got %s" % text(got))


def family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def udp(src, dsts, sport, dports, n=1, sock=None):
    """N datagrams from SRC:SPORT to each of DSTS x DPORTS (lists or one)."""
    dsts = dsts if isinstance(dsts, list) else [dsts]
    dports = dports if isinstance(dports, list) else [dports]

    def send():
        s = sock or socket.socket(family(src), socket.SOCK_DGRAM)
        s.bind((src, sport))
        for dst in dsts:
            for dport in dports:
                for _ in range(n):
                    s.sendto(b"selector", (dst, dport))
        s.close()
    return send


def udp4(sport, dports, n=1):
    """UDP from a (10.1.0.1) to b (10.2.0.1), the flow most checks send."""
    return udp("10.1.0.1", "10.2.0.1", sport, dports, n)


def tcp(src, dst, dport):
    """One connection attempt: one SYN (the first retransmission would come
    after a second; the attempt gives up after half of one)."""
    def send():
        try:
            socket.create_connection((dst, dport), timeout=0.5, source_address=(src, 0)).close()
        except OSError:
            pass
    return send


def ping(src, dst, n):
    """N ICMP (ICMPv6) echo requests."""
    def send():
        if family(src) == socket.AF_INET6:
            # The kernel fills in an ICMPv6 checksum.
            s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
            echo = struct.pack("!BBHHH", 128, 0, 0, 0x53, 1)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            # The checksum: the complement of the sum of the other words.
            echo = struct.pack("!BBHHH", 8, 0, ~(0x0800 + 0x53 + 1) & 0xFFFF, 0x53, 1)
        s.bind((src, 0))
        for _ in range(n):
            s.sendto(echo, (dst, 0))
        s.close()
    return send


def from_b(src, dst, sport, dport, n):
    """N datagrams from namespace b, to a socket listening in a on DST:DPORT;
    (send, listener) for sends()."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind((dst, dport))
    listener.setblocking(False)
    return udp(src, dst, sport, dport, n,
               socket_in_netns("b", socket.AF_INET, socket.SOCK_DGRAM)), listener


def flush_out():
    configure("the outbound SAs are flushed", "sa", "flush", "dev", "kesp0", "dir", "out")


def sa_new(direction, spi, *attrs):
    """SA_NEW over netlink, for what kespctl cannot say (or refuses itself):
    an AES-GCM tunnel-mode SA of a (outbound, or inbound from b) with ATTRS."""
    ends = ["192.168.100.1", "192.168.100.2"]
    if direction == "KESP_DIR_IN":
        ends.reverse()
    Kesp().call("KESP_CMD_SA_NEW", u32(K["KESP_SA_A_IFINDEX"], socket.if_nametoindex("kesp0")),
                u8(K["KESP_SA_A_DIR"], K[direction]), u32(K["KESP_SA_A_SPI"], spi),
                u8(K["KESP_SA_A_MODE"], K["KESP_MODE_TUNNEL"]),
                addr(K["KESP_SA_A_SRC"], ends[0]), addr(K["KESP_SA_A_DST"], ends[1]),
                nest(K["KESP_SA_A_AEAD"], string(K["KESP_ALG_A_NAME"], "rfc4106(gcm(aes))"),
                     attr(K["KESP_ALG_A_KEY"], bytes.fromhex(KEY[2:])), u32(K["KESP_ALG_A_ICV_BITS"], 128)),
                *attrs)


def sa_json(spi, dst="192.168.100.2"):
    """kespctl's description of the outbound SA SPI, or {}."""
    r = kespctl("--json", "sa", "get", "dev", "kesp0", "dir", "out", "spi", "%#x" % spi, "dst", dst)
    return json.loads(r.stdout)[0] if r.returncode == 0 else {}


# ---- overlapping prefixes and ranges, IPv4 ---------------------------------
# Added from the widest to the narrowest, so that insertion order (the last
# tie-break) would pick the wrong one.
out_sa(0x1601, "sel", "src", "10.1.0.0/24", "dst", "10.2.0.0/16")
out_sa(0x1624, "sel", "src", "10.1.0.0/24", "dst", "10.2.0.0/24")
# kespctl speaks prefixes; the uapi takes any range (here three prefixes).
sel = nest(K["KESP_SELECTORS_A_SELECTOR"], u16(K["KESP_SEL_A_FAMILY"], socket.AF_INET),
           addr(K["KESP_SEL_A_SRC_START"], "10.1.0.0"), addr(K["KESP_SEL_A_SRC_END"], "10.1.0.255"),
           addr(K["KESP_SEL_A_DST_START"], "10.2.0.2"), addr(K["KESP_SEL_A_DST_END"], "10.2.0.9"))
try:
    sa_new("KESP_DIR_OUT", 0x1609, nest(K["KESP_SA_A_SELECTORS"], sel))
except Error as e:
    report(False, "SA_NEW with a range selector", str(e))
report(sa_json(0x1609).get("selectors", [{}])[0].get("dst") == "10.2.0.2-10.2.0.9",
       "outbound SA 0x1609 for 10.2.0.2-10.2.0.9 over netlink; kespctl shows the range")
sends("UDP to 10.2.0.1 takes the /24 SA, not the /16 one", "0x1624=3", udp4(40000, 6000, 3))
sends("UDP elsewhere in the /16 takes the /16 SA", "0x1601=3",
      udp("10.1.0.1", "10.2.5.1", 40000, 6000, 3))
sends("ICMP to 10.2.0.1 takes the /24 SA as well", "0x1624=2", ping("10.1.0.1", "10.2.0.1", 2))
sends("inside 10.2.0.2-10.2.0.9 (ends included) the range SA wins", "0x1609=3",
      udp("10.1.0.1", ["10.2.0.2", "10.2.0.5", "10.2.0.9"], 40000, 6000))
sends("just outside the range (.1, .10) the /24 SA", "0x1624=2",
      udp("10.1.0.1", ["10.2.0.1", "10.2.0.10"], 40000, 6000))
flush_out()

# ---- overlapping prefixes, IPv6 --------------------------------------------
out_sa(0x6064, "sel", "src", "fd00:1::/64", "dst", "fd00:2::/64")
out_sa(0x6120, "sel", "src", "fd00:1::/64", "dst", "fd00:2::/120")
sends("IPv6 UDP to fd00:2::1 takes the /120 SA, not the /64 one", "0x6120=3",
      udp("fd00:1::1", "fd00:2::1", 40000, 6000, 3))
sends("IPv6 UDP elsewhere in the /64 takes the /64 SA", "0x6064=2",
      udp("fd00:1::1", ["fd00:2::1:1", "fd00:2::100"], 40000, 6000))
sends("ICMPv6 to fd00:2::1 takes the /120 SA", "0x6120=2", ping("fd00:1::1", "fd00:2::1", 2))
flush_out()

# ---- protocol and port ranges ----------------------------------------------
# The general SA first, with the lowest priority value there is (0): being
# more specific beats both insertion order and priority.
out_sa(0x2000, "sel", "src", "10.1.0.0/24", "dst", "10.2.0.0/24")
out_sa(0x2001, "priority", "5", "sel", "src", "10.1.0.0/24", "dst", "10.2.0.0/24",
       "proto", "udp", "dport", "5000-5010")
out_sa(0x2002, "priority", "5", "sel", "src", "10.1.0.0/24", "dst", "10.2.0.0/24",
       "proto", "udp", "sport", "7000-7001")
sends("UDP to port 5005 takes the UDP 5000-5010 SA", "0x2001=3", udp4(40000, 5005, 3))
sends("UDP to both ends of 5000-5010 takes it too", "0x2001=2", udp4(40000, [5000, 5010]))
sends("UDP to 4999, 5011 and 6000 takes the general SA", "0x2000=3", udp4(40000, [4999, 5011, 6000]))
sends("TCP to port 5005 does not take the UDP-only SA", "0x2000=1", tcp("10.1.0.1", "10.2.0.1", 5005))
sends("ICMP takes the general SA", "0x2000=2", ping("10.1.0.1", "10.2.0.1", 2))
sends("UDP from source port 7001 takes the source-port SA", "0x2002=2", udp4(7001, 6000, 2))
sends("UDP from source port 7002 takes the general SA", "0x2000=2", udp4(7002, 6000, 2))
sends("UDP from 7000 to 5005 fits both: the destination port range ranks first", "0x2001=2",
      udp4(7000, 5005, 2))

# ---- equal selectors: the lower priority value wins -------------------------
# The winner is added last, so insertion order would pick the other.
p7100 = ("sel", "src", "10.1.0.0/24", "dst", "10.2.0.0/24", "proto", "udp", "dport", "7100")
out_sa(0x3020, "priority", "20", *p7100)
out_sa(0x3010, "priority", "10", *p7100)
report((sa_json(0x3010).get("priority"), sa_json(0x3020).get("priority")) == (10, 20),
       "kespctl reports both priorities")
sends("of two equal selectors the one with priority 10 carries the traffic", "0x3010=3", udp4(40000, 7100, 3))
configure("the priority-10 SA is deleted",
          "sa", "del", "dev", "kesp0", "dir", "out", "spi", "0x3010", "dst", "192.168.100.2")
sends("then the priority-20 SA takes over", "0x3020=3", udp4(40000, 7100, 3))

# ---- per-CPU SAs (RFC 9611) -------------------------------------------------
# The fallback SA (no CPU) first, as RFC 9611 negotiates it; then one SA per
# CPU with the same selector, CPU 1's before CPU 0's. Insertion order alone
# would keep the fallback; the sending CPU picks its own SA.
def on_cpu(cpu, send):
    """SEND() from a thread bound to CPU: kesp0 has no queue, so the packets
    are encrypted on it."""
    def pinned():
        mask = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {cpu})
        try:
            send()
        finally:
            os.sched_setaffinity(0, mask)
    return pinned


p7300 = ("sel", "src", "10.1.0.0/24", "dst", "10.2.0.0/24", "proto", "udp", "dport", "7300")
out_sa(0x7000, *p7300)
out_sa(0x7101, "cpu", "1", *p7300)
out_sa(0x7100, "cpu", "0", *p7300)
report((sa_json(0x7100).get("cpu"), sa_json(0x7101).get("cpu"), "cpu" in sa_json(0x7000)) ==
       (0, 1, False), "kespctl shows each per-CPU SA's CPU, and none for the fallback")
if len(os.sched_getaffinity(0)) < 2:
    report(False, "per-CPU SAs need a guest with two CPUs (KESP_VM_SMP)")
else:
    sends("UDP sent on CPU 0 takes CPU 0's SA", "0x7100=3", on_cpu(0, udp4(40000, 7300, 3)))
    sends("UDP sent on CPU 1 takes CPU 1's SA", "0x7101=3", on_cpu(1, udp4(40000, 7300, 3)))
    sends("other traffic sent on CPU 1 keeps its own selectors' SA", "0x2000=2",
          on_cpu(1, udp4(40000, 7301, 2)))
    configure("CPU 0's SA is deleted",
              "sa", "del", "dev", "kesp0", "dir", "out", "spi", "0x7100", "dst", "192.168.100.2")
    sends("then CPU 0's packets take the fallback SA", "0x7000=3", on_cpu(0, udp4(40000, 7300, 3)))
    sends("and CPU 1's still its own", "0x7101=2", on_cpu(1, udp4(40000, 7300, 2)))
    configure("the fallback SA is deleted",
              "sa", "del", "dev", "kesp0", "dir", "out", "spi", "0x7000", "dst", "192.168.100.2")
    sends("then CPU 0's packets find no SA for port 7300 and take the general one", "0x2000=2",
          on_cpu(0, udp4(40000, 7300, 2)))
r = sa_add(0x7102, "cpu", "4096", *p7300)
report(r.returncode != 0 and "no such CPU on this machine" in r.stderr,
       "an SA for a CPU the machine cannot have is refused, and the error says why",
       r.stdout + r.stderr)
try:
    sa_new("KESP_DIR_IN", 0x7103, u32(K["KESP_SA_A_CPU"], 0))
    report(False, "SA_NEW refuses a CPU for an inbound SA")
except Error as e:
    report("for outbound SAs" in e.message, "SA_NEW refuses a CPU for an inbound SA, saying why", str(e))
configure("the per-CPU SA is deleted",
          "sa", "del", "dev", "kesp0", "dir", "out", "spi", "0x7101", "dst", "192.168.100.2")

# ---- per-CPU ACQUIRE (RFC 9611) ---------------------------------------------
# A fallback SA with "flag pcpu-acquire" asks for the per-CPU SAs that CPUs
# lack: a packet it carries for CPU 1, which has no SA of its own, still
# leaves on it and raises an ACQUIRE naming the fallback SA and CPU 1, at
# most once a second; CPU 0, which has its own SA, asks for nothing. The
# events are read here over netlink, and by kespctl monitor.
def acquires_seen(nl, quiet=1.0):
    """The ACQUIRE events NL got until none came for QUIET seconds, as
    attribute dicts."""
    got = []
    while True:
        ev = nl.event(quiet)
        if ev is None:
            return got
        if ev[0] == K["KESP_CMD_ACQUIRE"]:
            got.append(ev[1])


def acquire_fields(ev):
    """What an ACQUIRE says, by name: its u32 attributes, whether it names a
    trap, and the packet's destination, protocol and destination port."""
    fields = {name: get_u32(ev, "KESP_TRAP_A_" + name) for name in ("IFINDEX", "SA_ID", "REQID", "CPU")
              if K["KESP_TRAP_A_" + name] in ev}
    fields["trap"] = K["KESP_TRAP_A_ID"] in ev
    pkt = parse_attrs(ev.get(K["KESP_TRAP_A_PACKET"], [b""])[0])
    if K["KESP_SEL_A_DST_START"] in pkt and K["KESP_SEL_A_DPORT_START"] in pkt:
        fields["packet"] = (socket.inet_ntop(socket.AF_INET, pkt[K["KESP_SEL_A_DST_START"]][0][:4]),
                            pkt[K["KESP_SEL_A_PROTO"]][0][0],
                            struct.unpack("=H", pkt[K["KESP_SEL_A_DPORT_START"]][0][:2])[0])
    return fields


def dev_acquires():
    """kesp0's count of the ACQUIREs it raised."""
    m = re.search(r'"acquires":(\d+)', kespctl("--json", "dev", "show", "kesp0").stdout)
    return int(m.group(1)) if m else -1


def steady_flow(n, gap, took):
    """N datagrams of udp4(40000, 7300) GAP seconds apart; how long that
    took goes into took["seconds"]."""
    def send():
        start = time.monotonic()
        for _ in range(n):
            udp4(40000, 7300)()
            time.sleep(gap)
        took["seconds"] = time.monotonic() - start
    return send


if len(os.sched_getaffinity(0)) >= 2:
    events = Kesp()
    events.join()
    monitor = subprocess.Popen(KESPCTL + ["monitor"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    acquires_before = dev_acquires()
    out_sa(0x7000, "reqid", "73", "flag", "pcpu-acquire", *p7300)
    out_sa(0x7100, "cpu", "0", *p7300)
    fallback = sa_json(0x7000)
    report("pcpu-acquire" in fallback.get("flags", []) and "cpu" not in fallback,
           "kespctl shows the fallback's flag pcpu-acquire, and no CPU", json.dumps(fallback))
    want = {"IFINDEX": socket.if_nametoindex("kesp0"), "SA_ID": fallback.get("id"), "REQID": 73,
            "CPU": 1, "trap": False, "packet": ("10.2.0.1", socket.IPPROTO_UDP, 7300)}
    sends("UDP sent on CPU 1, which has no SA of its own, leaves on the fallback SA", "0x7000=3",
          on_cpu(1, udp4(40000, 7300, 3)))
    seen = [acquire_fields(ev) for ev in acquires_seen(events)]
    report(seen == [want], "and raises one ACQUIRE naming the fallback SA, its reqid, CPU 1 and the "
           "packet, and no trap", "got %s, want [%s]" % (seen, want))
    total = len(seen)
    sends("UDP sent on CPU 0 takes CPU 0's SA", "0x7100=3", on_cpu(0, udp4(40000, 7300, 3)))
    seen = [acquire_fields(ev) for ev in acquires_seen(events)]
    report(not seen, "and raises no ACQUIRE", "got %s" % seen)
    total += len(seen)
    took = {}
    sends("a steady flow on CPU 1 leaves on the fallback SA", "0x7000=30",
          on_cpu(1, steady_flow(30, 0.1, took)))
    seen = [acquire_fields(ev) for ev in acquires_seen(events)]
    # Each event is at least a second after the one before: in S seconds
    # at most S + 1, and at least two in about three.
    most = int(took.get("seconds", 0)) + 1
    report(2 <= len(seen) <= most and all(ev == want for ev in seen),
           "and raises an ACQUIRE a second at most, each for CPU 1 (%d in %.1f s)" %
           (len(seen), took.get("seconds", 0)), "got %s" % seen)
    total += len(seen)
    report(dev_acquires() - acquires_before == total, "kesp0 counts each of those %d ACQUIREs" % total,
           "counted %d" % (dev_acquires() - acquires_before))
    try:
        Kesp().call("KESP_CMD_SA_UPDATE", u32(K["KESP_SA_A_IFINDEX"], want["IFINDEX"]),
                    u32(K["KESP_SA_A_ID"], want["SA_ID"] or 0), u32(K["KESP_SA_A_FLAGS"], 0))
        report(False, "SA_UPDATE cannot take the fallback's flag away")
    except Error as e:
        report("can change" in e.message, "SA_UPDATE cannot take the fallback's flag away", str(e))
    monitor.terminate()
    shown = monitor.communicate(timeout=10)[0]
    line = "acquire sa %s cpu 1 dev kesp0 reqid 73" % want["SA_ID"]
    report(line in shown.splitlines(), "kespctl monitor shows \"%s\"" % line, shown)
    for spi in ("0x7000", "0x7100"):
        configure("SA %s is deleted" % spi,
                  "sa", "del", "dev", "kesp0", "dir", "out", "spi", spi, "dst", "192.168.100.2")
r = sa_add(0x7104, "flag", "pcpu-acquire", direction="in")
report(r.returncode != 0 and "per-CPU ACQUIRE is for outbound SAs" in r.stderr,
       "an inbound SA with flag pcpu-acquire is refused, and the kernel says why", r.stdout + r.stderr)
r = sa_add(0x7102, "cpu", "0", "flag", "pcpu-acquire", *p7300)
report(r.returncode != 0 and "per-CPU ACQUIRE marks the fallback SA, which has no CPU" in r.stderr,
       "a per-CPU SA with flag pcpu-acquire is refused, and the kernel says why", r.stdout + r.stderr)

# ---- no match: dropped, counted, never ESP ----------------------------------
sends("UDP into the /16 that no selector covers is dropped and counted", "dropped=3",
      udp("10.1.0.1", "10.2.5.1", 40000, 5005, 3))
sends("so is UDP from a source no selector covers", "dropped=2",
      udp("10.1.1.1", "10.2.0.1", 40000, 5005, 2))
sends("and IPv6 when every selector is IPv4", "dropped=2",
      udp("fd00:1::1", "fd00:2::1", 40000, 5005, 2))
sends("ICMP into the uncovered part of the /16 too", "dropped=2", ping("10.1.0.1", "10.2.5.1", 2))

# ---- SA_UPDATE of an outbound SA's selectors --------------------------------
out_sa(0x4001, "sel", "src", "10.1.0.0/24", "dst", "10.2.0.0/24", "proto", "udp", "dport", "7200")
sends("UDP to 7200 takes the SA for 7200", "0x4001=2", udp4(40000, 7200, 2))
configure("sa update moves its selector to port 7201",
          "sa", "update", "dev", "kesp0", "dir", "out", "spi", "0x4001", "dst", "192.168.100.2",
          "sel", "src", "10.1.0.0/24", "dst", "10.2.0.0/24", "proto", "udp", "dport", "7201")
sends("at once UDP to 7200 falls back to the general SA", "0x2000=2", udp4(40000, 7200, 2))
sends("and UDP to 7201 takes the updated SA", "0x4001=2", udp4(40000, 7201, 2))
configure("sa update gives it an IPv6 selector instead",
          "sa", "update", "dev", "kesp0", "dir", "out", "spi", "0x4001", "dst", "192.168.100.2",
          "sel", "src", "fd00:1::/64", "dst", "fd00:2::/64")
sends("IPv6, dropped before, now leaves with it", "0x4001=2",
      udp("fd00:1::1", "fd00:2::1", 40000, 5005, 2))
sends("and UDP to 7201 no longer does", "0x2000=2", udp4(40000, 7201, 2))

# ---- SA_UPDATE of an inbound SA's selectors ---------------------------------
# 53-selectors.sh gave b an XFRM SA 0x5200 and a policy to a for it.
configure("inbound SA 0x5200 for 10.2.0.0/24 -> 10.1.0.0/24",
          "sa", "add", "dev", "kesp0", "dir", "in", "src", "192.168.100.2", "dst", "192.168.100.1",
          "proto", "esp", "spi", "0x5200", "mode", "tunnel", "aead", "rfc4106(gcm(aes))", KEY, "128",
          "sel", "src", "10.2.0.0/24", "dst", "10.1.0.0/24")
sends("UDP from b to port 9000 is decrypted and delivered", "xfrm:0x5200=2 in:0x5200=2 delivered=2",
      *from_b("10.2.0.1", "10.1.0.1", 40000, 9000, 2))
configure("sa update narrows it to UDP port 9001",
          "sa", "update", "dev", "kesp0", "dir", "in", "spi", "0x5200",
          "sel", "src", "10.2.0.0/24", "dst", "10.1.0.0/24", "proto", "udp", "dport", "9001")
sends("at once UDP to 9000 is decrypted, then dropped as a selector error",
      "xfrm:0x5200=2 selerr:0x5200=2", *from_b("10.2.0.1", "10.1.0.1", 40000, 9000, 2))
sends("and UDP to 9001 is delivered", "xfrm:0x5200=2 in:0x5200=2 delivered=2",
      *from_b("10.2.0.1", "10.1.0.1", 40000, 9001, 2))
finish()
