#!/usr/bin/env python3
"""The UDP socket kernel XFRM needs to receive ESP in UDP: bound to PORT on
IPv4 and IPv6 with the UDP_ENCAP socket option, as an IKE daemon holds it.
Prints "ready" once both are set, then every datagram that reaches it (what
XFRM did not take: IKE) until killed."""
import select
import socket
import sys

UDP_ENCAP = 100
UDP_ENCAP_ESPINUDP = 2
port = int(sys.argv[1])
socks = []
for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    s.setsockopt(socket.IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)
    socks.append(s)
print("ready", flush=True)
while True:
    for s in select.select(socks, [], [])[0]:
        data, src = s.recvfrom(65536)
        print("datagram from %s port %d: %s" % (src[0], src[1], data.hex()), flush=True)
