"""Prints the ESP packets from SRC seen on IFACE (raw ESP, IPv4 or IPv6
outer without extension headers): "SPI SEQ IV" in hex, IV_LEN bytes of it,
one line each, until COUNT were seen or TIMEOUT seconds passed. Says
"listening" on stderr once it is.

Usage: esp_capture.py IFACE SRC COUNT IV_LEN TIMEOUT   (in the namespace)
"""
import select
import socket
import struct
import sys
import time

iface, src, count, iv_len, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
ETH_P_ALL = 0x0003
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
sock.bind((iface, 0))
print("listening", file=sys.stderr, flush=True)
deadline = time.time() + timeout
seen = 0
while seen < count and select.select([sock], [], [], max(0, deadline - time.time()))[0]:
    frame = sock.recv(65536)
    kind = struct.unpack("!H", frame[12:14])[0]
    if kind == 0x0800 and frame[14 + 9] == 50 and socket.inet_ntoa(frame[14 + 12:14 + 16]) == src:
        esp = frame[14 + (frame[14] & 15) * 4:]
    elif kind == 0x86DD and frame[14 + 6] == 50 and \
            socket.inet_ntop(socket.AF_INET6, frame[14 + 8:14 + 24]) == src:
        esp = frame[14 + 40:]
    else:
        continue
    spi, seq = struct.unpack("!II", esp[:8])
    print("%08x %08x %s" % (spi, seq, esp[8:8 + iv_len].hex()), flush=True)
    seen += 1
