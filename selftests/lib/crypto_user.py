"""Instantiate or remove a crypto template instance through the kernel's
crypto user API (NETLINK_CRYPTO), as crconf does, so tests can put an
asynchronous implementation (pcrypt, cryptd) in front of an algorithm.

Usage: crypto_user.py add|del DRIVER-NAME...
Each name in turn; a failure is reported and the rest still tried (exit
status 1 then). Several in one process: a python3 start costs about a
second under TCG.
"""
import errno
import os
import socket
import struct
import sys
import time

NETLINK_CRYPTO = 21
CRYPTO_MSG_NEWALG, CRYPTO_MSG_DELALG = 0x10, 0x11
CRYPTO_ALG_TYPE_AEAD, CRYPTO_ALG_TYPE_MASK = 0x3, 0xf
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4


def request(kind, driver):
    # The template matches on type & mask, so the type mask must be set.
    alg = struct.pack("=64s64s64sIIII", b"", driver.encode(), b"", CRYPTO_ALG_TYPE_AEAD,
                      CRYPTO_ALG_TYPE_MASK, 0, 0)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_CRYPTO)
    sock.send(struct.pack("=IHHII", 16 + len(alg), kind, NLM_F_REQUEST | NLM_F_ACK, 1, 0) + alg)
    reply = sock.recv(4096)
    err = struct.unpack_from("=i", reply, 16)[0]
    if err:
        raise OSError(-err, os.strerror(-err), "%s %s" % (
            "add" if kind == CRYPTO_MSG_NEWALG else "del", driver))


def add(driver):
    """A new instance runs the crypto self-tests first; until they pass the
    kernel answers EAGAIN, and once it exists EEXIST."""
    waited = False
    for _ in range(40):
        try:
            return request(CRYPTO_MSG_NEWALG, driver)
        except OSError as e:
            if e.errno == errno.EAGAIN:
                waited = True
                time.sleep(0.25)
            elif e.errno == errno.EEXIST and waited:
                return None
            else:
                raise
    raise OSError(errno.ETIMEDOUT, os.strerror(errno.ETIMEDOUT), "add " + driver)


if __name__ == "__main__":
    failed = False
    for name in sys.argv[2:]:
        try:
            if sys.argv[1] == "add":
                add(name)
            else:
                request(CRYPTO_MSG_DELALG, name)
        except OSError as e:
            print("crypto_user.py: %s: %s" % (e.filename or e.args[1], e.strerror), file=sys.stderr)
            failed = True
    sys.exit(1 if failed else 0)
