#!/bin/sh
# What the device shows the rest of the stack. A decapsulated packet
# starts at its inner IP header, link header included: the device has
# none, so tc and BPF on its ingress must not see the outer Ethernet
# frame it came in. And the device asks local senders for the room ESP
# needs in front, so it does not reallocate every packet it sends.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
# A known outer MAC: its first byte (0x02) is not an IP version nibble.
ip -n a link set veth-a address 02:00:00:00:00:0a
KEY=$(hexkey 20)
# Selectors keep kesp0's own IPv6 chatter (MLD, router solicitations)
# out of the SA's counters.
$KESPCTL -n a sa add dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 spi 0x100 \
	mode tunnel aead 'rfc4106(gcm(aes))' $KEY 128 \
	sel src 10.1.0.0/24 dst 10.2.0.0/24 sel src fd00:1::/64 dst fd00:2::/64 >/dev/null
$KESPCTL -n a sa add dev kesp0 dir in src 192.168.100.2 dst 192.168.100.1 spi 0x200 \
	mode tunnel aead 'rfc4106(gcm(aes))' $KEY 128 >/dev/null
xfrm_pair aead 'rfc4106(gcm(aes))' $KEY 128 flag af-unspec
site_b_policies
ip -n b xfrm policy add src fd00:2::/64 dst fd00:1::/64 dir out \
	tmpl src 192.168.100.2 dst 192.168.100.1 proto esp reqid 1 mode tunnel
ip -n b xfrm policy add src fd00:1::/64 dst fd00:2::/64 dir in \
	tmpl src 192.168.100.1 dst 192.168.100.2 proto esp reqid 1 mode tunnel

# cBPF on kesp0's ingress: "the first byte's high nibble is 4 or 6", i.e.
# the packet tc sees starts at an IP header.
#   ldb [0]; and #0xf0; jeq #0x40, match; jeq #0x60, match, miss;
#   match: ret #-1; miss: ret #0
ip netns exec a tc qdisc add dev kesp0 clsact
ip netns exec a tc filter add dev kesp0 ingress prio 1 protocol all \
	bpf bytecode '6,48 0 0 0,84 0 0 240,21 1 0 64,21 0 1 96,6 0 0 4294967295,6 0 0 0' action ok
matched() {
	ip netns exec a tc -s -j filter show dev kesp0 ingress | python3 -c '
import json, sys
print(sum(a["stats"]["packets"] for f in json.load(sys.stdin)
          for a in f.get("options", {}).get("actions", [])))'
}
check "4 IPv4 pings through the tunnel" ip netns exec a ping -c 4 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
check "4 IPv6 pings through the tunnel" ip netns exec a ping -6 -c 4 -i 0.2 -W 2 -I fd00:1::1 fd00:2::1
same "tc on kesp0's ingress saw all 8 replies start at their IP header" "$(matched)" 8

# Room in front: GCM over IPv4 needs 20 + 8 + 8 bytes and the underlay's
# link header. Count the reallocations of kesp's transmit path while 20
# UDP datagrams go out, one write each.
send20='import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.1.0.1", 0))
for i in range(20):
    s.sendto(b"x" * 100, ("10.2.0.1", 9))'
out_packets() {
	$KESPCTL -n a --json sa get dev kesp0 dir out spi 0x100 dst 192.168.100.2 |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["counters"]["packets"])'
}
before=$(out_packets)
same "the function tracer sees kesp send the 20 datagrams" \
	"$(calls kesp_esp_output ip netns exec a python3 -c "$send20")" 20
same "20 more datagrams through kesp0 cost no reallocation of their headroom" \
	"$(CALLER=kesp_esp_output calls pskb_expand_head ip netns exec a python3 -c "$send20")" 0
same "and kesp0 sent all 40" "$(($(out_packets) - before))" 40
finish
