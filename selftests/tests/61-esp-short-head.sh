#!/bin/sh
# Inbound ESP whose first fragment ends inside the ESP header: the
# reassembled packet's head holds the SPI and sequence number and nothing
# more, the IV and everything after it on the head's frag_list. Raw ESP and
# ESP in UDP, IPv4 and IPv6, CBC/HMAC and GCM: each datagram arrives whole.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
ip -n a link set veth-a mtu 9000
ip -n b link set veth-b mtu 9000
ip netns exec a python3 "$KESP_SRC/selftests/tests/esp_short_head.py" || FAILED=1
finish
