"""Many SAs at once, the same ones for kesp and for XFRM: the scale part
of the benchmark. From one seed it derives PAIRS tunnel SA pairs between
LOCAL and PEER, each with a random outbound and inbound SPI, random AES-GCM
keys and a random host-to-host selector (both hosts in 100.64.0.0/10).

    sa_flood.py gen PAIRS SEED LOCAL PEER DIR
        writes, into DIR,
          kesp.nl        the SA_NEW requests, ready to send but for the
                         family id and the device's ifindex (0 here)
          kesp.batch     the same SAs as `kespctl -batch` lines
          xfrm-states.batch, xfrm-policies.batch
                         `ip -batch` files: the 2 x PAIRS XFRM states, and
                         the policies a gateway needs to use them (out for
                         the outbound SA, fwd for what comes back)
        Done on the host before the guest boots: Python is slow under TCG.
    sa_flood.py install FILE [DEV]
        sends FILE (a kesp.nl) to kesp device DEV (default kesp0) of the
        current namespace, 128 requests per send (kespctl -batch sends one
        at a time, as ip -batch does), and prints the seconds
        the netlink exchange took, the number of refusals and the first
        refusal's errno text.

SPIs avoid 0x100-0xffff, where the benchmark's own SAs live."""
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("KESP_SRC", os.path.dirname(__file__) + "/../.."),
                                "selftests/lib"))
from kespnl import K, Kesp, u8, u16, u32, string, nest, attr, addr  # noqa: E402

AEAD = "rfc4106(gcm(aes))"
REPLAY_WINDOW = 64
CGNAT = (100 << 24) | (64 << 16)	# 100.64.0.0/10
NLMSG_HDR = struct.Struct("=IHHII")
NLM_F_REQUEST_ACK = 0x1 | 0x4
IFINDEX_AT = 16 + 4 + 4	# nlmsghdr, genlmsghdr, the first attribute's header
CHUNK = 128


def pairs(count, seed):
    """[(out_spi, in_spi, key_out, key_in, host_a, host_b, reqid)], host_a
    on LOCAL's side, all unique."""
    rnd = random.Random(seed)
    spis = rnd.sample(range(0x10000, 0xFFFFFFFF), 2 * count)
    hosts = set()
    while len(hosts) < 2 * count:
        hosts.add(CGNAT | rnd.getrandbits(22))
    hosts = sorted(hosts)
    rnd.shuffle(hosts)
    ip = lambda n: socket.inet_ntoa(struct.pack("!I", n))  # noqa: E731
    return [(spis[2 * i], spis[2 * i + 1], rnd.randbytes(20), rnd.randbytes(20),
             ip(hosts[2 * i]), ip(hosts[2 * i + 1]), 1000 + i) for i in range(count)]


def sa_new(direction, spi, src, dst, key, reqid, sel_src, sel_dst):
    """The attributes of one SA_NEW, the ifindex (first) left 0."""
    sel = nest(K["KESP_SELECTORS_A_SELECTOR"],
               u16(K["KESP_SEL_A_FAMILY"], socket.AF_INET),
               addr(K["KESP_SEL_A_SRC_START"], sel_src), addr(K["KESP_SEL_A_SRC_END"], sel_src),
               addr(K["KESP_SEL_A_DST_START"], sel_dst), addr(K["KESP_SEL_A_DST_END"], sel_dst))
    attrs = [u32(K["KESP_SA_A_IFINDEX"], 0), u8(K["KESP_SA_A_DIR"], K[direction]),
             u32(K["KESP_SA_A_SPI"], spi), u8(K["KESP_SA_A_MODE"], K["KESP_MODE_TUNNEL"]),
             addr(K["KESP_SA_A_SRC"], src), addr(K["KESP_SA_A_DST"], dst),
             u32(K["KESP_SA_A_REQID"], reqid),
             nest(K["KESP_SA_A_AEAD"], string(K["KESP_ALG_A_NAME"], AEAD),
                  attr(K["KESP_ALG_A_KEY"], key), u32(K["KESP_ALG_A_ICV_BITS"], 128)),
             nest(K["KESP_SA_A_SELECTORS"], sel)]
    if direction == "KESP_DIR_IN":
        attrs.append(u32(K["KESP_SA_A_REPLAY_WINDOW"], REPLAY_WINDOW))
    return b"".join(attrs)


def gen(sas, local, peer, outdir):
    msgs, kesp, states, policies = [], [], [], []
    for out_spi, in_spi, kout, kin, a, b, reqid in sas:
        for d, spi, src, dst, key, s_src, s_dst in (("out", out_spi, local, peer, kout, a, b),
                                                    ("in", in_spi, peer, local, kin, b, a)):
            body = struct.pack("=BBH", K["KESP_CMD_SA_NEW"], 1, 0) + sa_new(
                "KESP_DIR_" + d.upper(), spi, src, dst, key, reqid, s_src, s_dst)
            msgs.append(NLMSG_HDR.pack(16 + len(body), 0, NLM_F_REQUEST_ACK, len(msgs) + 1, 0) + body)
            window = " replay-window %d" % REPLAY_WINDOW if d == "in" else ""
            kesp.append("sa add dev kesp0 dir %s src %s dst %s proto esp spi %#x mode tunnel "
                        "reqid %d%s sel src %s/32 dst %s/32 aead %s 0x%s 128" % (
                            d, src, dst, spi, reqid, window, s_src, s_dst, AEAD, key.hex()))
            states.append("xfrm state add src %s dst %s proto esp spi %#x reqid %d mode tunnel "
                          "replay-window %d aead %s 0x%s 128" % (
                              src, dst, spi, reqid, REPLAY_WINDOW, AEAD, key.hex()))
            policies.append("xfrm policy add src %s/32 dst %s/32 dir %s tmpl src %s dst %s "
                            "proto esp reqid %d mode tunnel" % (
                                s_src, s_dst, "out" if d == "out" else "fwd", src, dst, reqid))
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "kesp.nl"), "wb") as f:
        f.write(b"".join(msgs))
    for name, lines in (("kesp.batch", kesp), ("xfrm-states.batch", states),
                        ("xfrm-policies.batch", policies)):
        with open(os.path.join(outdir, name), "w") as f:
            f.writelines(line + "\n" for line in lines)


def install(path, dev):
    """Sends the requests of PATH CHUNK at a time, reading each chunk's acks
    before the next; returns (seconds, refusals, first refusal)."""
    nl = Kesp()
    nl.sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)	# SO_RCVBUFFORCE
    buf = bytearray(open(path, "rb").read())
    ifindex = socket.if_nametoindex(dev)
    offsets, off = [], 0
    while off < len(buf):
        struct.pack_into("=H", buf, off + 4, nl.family)
        struct.pack_into("=I", buf, off + IFINDEX_AT, ifindex)
        offsets.append(off)
        off += NLMSG_HDR.unpack_from(buf, off)[0]
    offsets.append(len(buf))
    view = memoryview(buf)
    failed, first = 0, ""
    start = time.monotonic()
    for i in range(0, len(offsets) - 1, CHUNK):
        j = min(i + CHUNK, len(offsets) - 1)
        nl.sock.send(view[offsets[i]:offsets[j]])
        acks = 0
        while acks < j - i:
            data = nl.sock.recv(1 << 20)
            while data:
                length, kind = struct.unpack_from("=IH", data)
                if kind == 2:	# NLMSG_ERROR: an ack, or a refusal
                    acks += 1
                    err = struct.unpack_from("=i", data, 16)[0]
                    if err:
                        failed += 1
                        first = first or os.strerror(-err)
                data = data[(length + 3) & ~3:]
    return time.monotonic() - start, failed, first


def main():
    if sys.argv[1:2] == ["gen"] and len(sys.argv) == 7:
        _, _, count, seed, local, peer, outdir = sys.argv
        gen(pairs(int(count), int(seed)), local, peer, outdir)
    elif sys.argv[1:2] == ["install"] and len(sys.argv) in (3, 4):
        seconds, failed, first = install(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "kesp0")
        print("%.3f %d %s" % (seconds, failed, first))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
