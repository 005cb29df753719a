"""Adds one SA over raw netlink, from the words `kespctl sa add` takes, for
algorithms and attributes a test needs before kespctl knows them (any
kernel algorithm name passes through unchanged).

Usage: sa_add.py dev DEV dir in|out src ADDR dst ADDR [proto esp] spi SPI
           mode tunnel|transport [reqid N] [replay-window N] [flag esn]
           [seq N] [aead NAME KEY BITS | enc NAME KEY auth-trunc NAME KEY BITS]
           [encap espinudp SPORT DPORT] [sel src PREFIX dst PREFIX
           [proto P] [sport A[-B]] [dport A[-B]]]...
KEY is 0x-hex or "" (none). Prints the new SA's id; on failure the
kernel's reason, exit status 1 (2: bad words).
"""
import ipaddress
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.environ["KESP_SRC"], "selftests/lib"))
from kespnl import K, Kesp, Error, u8, u16, u32, u64, string, nest, attr, addr, get_u32  # noqa: E402

PROTOS = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "icmpv6": 58}


def usage(why):
    print("sa_add.py: " + why, file=sys.stderr)
    sys.exit(2)


def key(text):
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


def alg(kind, name, keytext, bits=None):
    parts = [string(K["KESP_ALG_A_NAME"], name), attr(K["KESP_ALG_A_KEY"], key(keytext))]
    if bits is not None:
        parts.append(u32(K["KESP_ALG_A_ICV_BITS"], int(bits, 0)))
    return nest(K[kind], *parts)


def port_range(text):
    lo, _, hi = text.partition("-")
    return int(lo, 0), int(hi or lo, 0)


def selector(words):
    """One KESP_SELECTORS_A_SELECTOR from the words after "sel"; returns it
    and how many words it used."""
    parts, used = [], 0
    family = None
    while used + 1 < len(words) and words[used] in ("src", "dst", "proto", "sport", "dport"):
        word, value = words[used], words[used + 1]
        used += 2
        if word in ("src", "dst"):
            net = ipaddress.ip_network(value, strict=False)
            family = socket.AF_INET6 if net.version == 6 else socket.AF_INET
            start = "KESP_SEL_A_SRC_START" if word == "src" else "KESP_SEL_A_DST_START"
            end = "KESP_SEL_A_SRC_END" if word == "src" else "KESP_SEL_A_DST_END"
            parts += [attr(K[start], net.network_address.packed), attr(K[end], net.broadcast_address.packed)]
        elif word == "proto":
            parts.append(u8(K["KESP_SEL_A_PROTO"], PROTOS.get(value) or int(value, 0)))
        else:
            lo, hi = port_range(value)
            prefix = "KESP_SEL_A_SPORT_" if word == "sport" else "KESP_SEL_A_DPORT_"
            parts += [u16(K[prefix + "START"], lo), u16(K[prefix + "END"], hi)]
    if family is None:
        usage("a selector needs src or dst")
    return nest(K["KESP_SELECTORS_A_SELECTOR"], u16(K["KESP_SEL_A_FAMILY"], family), *parts), used


def main(words):
    attrs, sels = [], []
    i = 0
    while i < len(words):
        w = words[i]
        if w == "dev":
            attrs.append(u32(K["KESP_SA_A_IFINDEX"], socket.if_nametoindex(words[i + 1])))
            i += 2
        elif w == "dir":
            attrs.append(u8(K["KESP_SA_A_DIR"], K["KESP_DIR_" + words[i + 1].upper()]))
            i += 2
        elif w in ("src", "dst"):
            attrs.append(addr(K["KESP_SA_A_" + w.upper()], words[i + 1]))
            i += 2
        elif w == "proto":
            i += 2
        elif w in ("spi", "reqid", "replay-window"):
            attrs.append(u32(K["KESP_SA_A_" + w.upper().replace("-", "_")], int(words[i + 1], 0)))
            i += 2
        elif w == "seq":
            attrs.append(u64(K["KESP_SA_A_SEQ"], int(words[i + 1], 0)))
            i += 2
        elif w == "mode":
            attrs.append(u8(K["KESP_SA_A_MODE"], K["KESP_MODE_" + words[i + 1].upper()]))
            i += 2
        elif w == "flag" and words[i + 1] == "esn":
            attrs.append(u32(K["KESP_SA_A_FLAGS"], K["KESP_SA_F_ESN"]))
            i += 2
        elif w == "aead":
            attrs.append(alg("KESP_SA_A_AEAD", *words[i + 1:i + 4]))
            i += 4
        elif w == "enc":
            attrs.append(alg("KESP_SA_A_ENC", *words[i + 1:i + 3]))
            i += 3
        elif w == "auth-trunc":
            attrs.append(alg("KESP_SA_A_AUTH", *words[i + 1:i + 4]))
            i += 4
        elif w == "encap" and words[i + 1] == "espinudp":
            attrs.append(nest(K["KESP_SA_A_ENCAP"], u8(K["KESP_ENCAP_A_TYPE"], K["KESP_ENCAP_ESPINUDP"]),
                              u16(K["KESP_ENCAP_A_SPORT"], int(words[i + 2], 0)),
                              u16(K["KESP_ENCAP_A_DPORT"], int(words[i + 3], 0))))
            i += 4
        elif w == "sel":
            sel, used = selector(words[i + 1:])
            sels.append(sel)
            i += 1 + used
        else:
            usage("unexpected %r" % w)
    if sels:
        attrs.append(nest(K["KESP_SA_A_SELECTORS"], *sels))
    try:
        reply = Kesp().call("KESP_CMD_SA_NEW", *attrs)[0]
    except Error as e:
        print("sa_add.py: %s" % e, file=sys.stderr)
        sys.exit(1)
    print(get_u32(reply, "KESP_SA_A_ID"))


if __name__ == "__main__":
    main(sys.argv[1:])
