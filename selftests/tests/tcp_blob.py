#!/usr/bin/env python3
"""A TCP transfer whose content is checked end to end.
  tcp_blob.py recv ADDR PORT        listens on ADDR:PORT, prints "ready",
                                    then for one connection "BYTES SHA256"
                                    of all it received
  tcp_blob.py send ADDR PORT SRC N  sends N random bytes from SRC to
                                    ADDR:PORT, prints "N SHA256" of them
The data is random, so a payload that was changed on the way (a page the
sender still holds for retransmission, encrypted in place) shows as a
different digest, which TCP's checksum, computed after the change, cannot
catch."""
import hashlib
import os
import socket
import sys

CHUNK = 65536


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv(addr, port):
    srv = socket.socket(family(addr), socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(1)
    print("ready", flush=True)
    conn, _ = srv.accept()
    digest, total = hashlib.sha256(), 0
    while True:
        data = conn.recv(CHUNK)
        if not data:
            break
        digest.update(data)
        total += len(data)
    print(total, digest.hexdigest(), flush=True)


def send(addr, port, src, size):
    conn = socket.socket(family(addr), socket.SOCK_STREAM)
    conn.bind((src, 0))
    conn.connect((addr, port))
    digest, left = hashlib.sha256(), size
    while left:
        data = os.urandom(min(CHUNK, left))
        conn.sendall(data)
        digest.update(data)
        left -= len(data)
    conn.shutdown(socket.SHUT_WR)
    conn.recv(1)
    print(size, digest.hexdigest(), flush=True)


if sys.argv[1] == "recv":
    recv(sys.argv[2], int(sys.argv[3]))
else:
    send(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
