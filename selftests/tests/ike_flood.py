#!/usr/bin/env python3
"""Forged IKEv2 initiators: sends COUNT IKE_SA_INIT requests to DST:500,
each with its own initiator SPI, nonce and X25519 key share, from random
source ports, and never answers. A responder must not keep state for them
beyond its cookie threshold (RFC 7296 2.6). Prints how many answers were
COOKIE notifies and how many were anything else.

usage: ike_flood.py DST COUNT
"""
import os
import socket
import struct
import sys
import time

SA, KE, NONCE, NOTIFY = 33, 34, 40, 41
COOKIE = 16390


def payload(ptype_next, body):
    return struct.pack("!BBH", ptype_next, 0, 4 + len(body)) + body


def transform(last, ttype, tid, keylen=None):
    attrs = struct.pack("!HH", 0x800E, keylen) if keylen else b""
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs


def ike_sa_init(spi_i):
    trans = (transform(False, 1, 20, 256)      # ENCR AES-GCM-16, 256 bits
             + transform(False, 2, 5)          # PRF HMAC-SHA-256
             + transform(True, 4, 31))         # DH Curve25519
    prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(trans), 1, 1, 0, 3) + trans
    sa = payload(KE, prop)
    ke = payload(NONCE, struct.pack("!HH", 31, 0) + os.urandom(32))
    nonce = payload(0, os.urandom(32))
    body = sa + ke + nonce
    hdr = spi_i + bytes(8) + struct.pack("!BBBBII", SA, 0x20, 34, 0x08, 0, 28 + len(body))
    return hdr + body


def main():
    dst, count = sys.argv[1], int(sys.argv[2])
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(8)]
    for s in socks:
        s.bind(("0.0.0.0", 0))
        s.setblocking(False)
    cookies = others = 0
    # A guest KESP_TIME_SCALE times slower than Debian's kernel answers as
    # much slower: the rate and the wait below follow it.
    scale = int(os.environ.get("KESP_TIME_SCALE", "1"))
    # About 200 a second: a flood the gateway must answer without state,
    # not one that overruns its socket's buffer (or ours) on a loaded
    # guest, where answers lost to full buffers would count against it
    # (the debug kernel's gateway, at 200 a second, answered 272 of 400:
    # about what its socket's buffer holds).
    for i in range(count):
        socks[i % len(socks)].sendto(ike_sa_init(os.urandom(8)), (dst, 500))
        if i % 10 == 9:
            time.sleep(0.05 * scale)
    # Until 2 s pass without an answer (15 s at most): a gateway on a
    # loaded guest answers late, not less.
    start = last = time.time()
    while time.time() - last < 2 * scale and time.time() - start < 15 * scale:
        got = False
        for s in socks:
            try:
                data = s.recv(2048)
            except BlockingIOError:
                continue
            got = True
            last = time.time()
            # a COOKIE answer: one Notify payload of type COOKIE
            if len(data) > 36 and data[16] == NOTIFY and struct.unpack("!H", data[34:36])[0] == COOKIE:
                cookies += 1
            else:
                others += 1
        if not got:
            time.sleep(0.05)
    print(f"sent {count} cookies {cookies} others {others}")


if __name__ == "__main__":
    main()
