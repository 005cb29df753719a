#!/bin/sh
# kesp beside XFRM in one namespace, both carrying traffic at once; path
# MTU (ICMP "fragmentation needed" towards the inner sender); DSCP copied
# and ECN encapsulated per RFC 6040 in the outer header.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
ip -n b addr add 10.3.0.1/24 dev inner
# kesp in a <-> XFRM in b, for 10.1.0.0/24 <-> 10.2.0.0/24
kesp_xfrm_pair aead 'rfc4106(gcm(aes))' $(hexkey 20) 128
site_b_policies

# XFRM in a <-> XFRM in b, for 10.4.0.0/24 <-> 10.3.0.0/24, other SPIs.
X=$(hexkey 20)
ip -n a link add inner type dummy
ip -n a link set inner up
ip -n a addr add 10.4.0.1/24 dev inner
ip -n a route add 10.3.0.0/24 via 192.168.100.2
ip -n b route add 10.4.0.0/24 via 192.168.100.1
for ns in a b; do
	ip -n $ns xfrm state add src 192.168.100.1 dst 192.168.100.2 proto esp spi 0x300 reqid 2 mode tunnel \
		aead 'rfc4106(gcm(aes))' $X 128
	ip -n $ns xfrm state add src 192.168.100.2 dst 192.168.100.1 proto esp spi 0x400 reqid 2 mode tunnel \
		aead 'rfc4106(gcm(aes))' $X 128
done
ip -n a xfrm policy add src 10.4.0.0/24 dst 10.3.0.0/24 dir out tmpl src 192.168.100.1 dst 192.168.100.2 \
	proto esp reqid 2 mode tunnel
ip -n a xfrm policy add src 10.3.0.0/24 dst 10.4.0.0/24 dir in tmpl src 192.168.100.2 dst 192.168.100.1 \
	proto esp reqid 2 mode tunnel
ip -n b xfrm policy add src 10.3.0.0/24 dst 10.4.0.0/24 dir out tmpl src 192.168.100.2 dst 192.168.100.1 \
	proto esp reqid 2 mode tunnel
ip -n b xfrm policy add src 10.4.0.0/24 dst 10.3.0.0/24 dir in tmpl src 192.168.100.1 dst 192.168.100.2 \
	proto esp reqid 2 mode tunnel

ip netns exec a ping -c 20 -i 0.05 -I 10.1.0.1 10.2.0.1 >/tmp/kesp.ping 2>&1 &
ip netns exec a ping -c 20 -i 0.05 -I 10.4.0.1 10.3.0.1 >/tmp/xfrm.ping 2>&1 &
wait
check "kesp's tunnel works while XFRM's runs in the same namespace" grep -q ' 0% packet loss' /tmp/kesp.ping
check "XFRM's tunnel works while kesp's runs in the same namespace" grep -q ' 0% packet loss' /tmp/xfrm.ping
xfrm_in=$(ip -n a -s xfrm state get src 192.168.100.2 dst 192.168.100.1 proto esp spi 0x400 |
	sed -n 's/^[[:space:]]*\([0-9]*\)(bytes), \([0-9]*\)(packets)/\2/p')
same "XFRM in namespace a decrypted its 20 replies (SPIs kesp does not own reach it)" "$xfrm_in" 20
kesp_in=$($KESPCTL -n a --json sa get dev kesp0 dir in spi 0x200 |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["counters"]["packets"])')
same "kesp decrypted its 20 replies" "$kesp_in" 20

# kesp sees inbound ESP before XFRM: an SPI that one of XFRM's SAs here
# has is not kesp's to take, on add or on allocation.
refuse "an inbound SA with the SPI and destination of an XFRM SA is refused" 1 \
	"an XFRM SA has this SPI and destination" \
	$KESPCTL -n a sa add dev kesp0 dir in src 192.168.100.2 dst 192.168.100.1 \
	proto esp spi 0x400 mode tunnel aead 'rfc4106(gcm(aes))' $X 128
refuse "SPI allocation never hands out an SPI of XFRM's" 1 "no free SPI in the requested range" \
	$KESPCTL -n a spi alloc dev kesp0 min 0x400 max 0x400
same "and takes the next free one instead" \
	"$($KESPCTL -n a --json spi alloc dev kesp0 min 0x400 max 0x401 |
		python3 -c 'import json,sys; print(hex(json.load(sys.stdin)["spi"]))')" 0x401

# capture FILTER: the next 3 such packets on b's wire, verbose, into
# /tmp/tos.txt, once tcpdump is really listening.
capture() {
	rm -f /tmp/tos.err
	timeout 30 ip netns exec b tcpdump -i veth-b -n -v -c 3 "$1" >/tmp/tos.txt 2>/tmp/tos.err &
	wait_line /tmp/tos.err 'listening on'
}

# DSCP and ECN in the outer header, seen on the wire in b.
capture 'esp and src 192.168.100.1'
ip netns exec a ping -c 1 -Q 0xb9 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
ip netns exec a ping -c 1 -Q 0xbb -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
ip netns exec a ping -c 1 -Q 0x00 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
wait
tos=$(sed -n 's/.*(tos \(0x[0-9a-f]*\).*/\1/p' /tmp/tos.txt | tr '\n' ' ')
same "outer TOS: DSCP copied, ECT(1) copied, CE sent as ECT(0), zero stays zero" "$tos" "0xb9 0xba 0x0 "

# The same in an IPv6 outer header's traffic class (IPv6 inside), over a
# second SA pair with other SPIs.
K6=$(hexkey 20)
$KESPCTL -n a sa add dev kesp0 dir out src fd00:100::1 dst fd00:100::2 spi 0x500 \
	mode tunnel aead 'rfc4106(gcm(aes))' $K6 128 sel src fd00:1::/64 dst fd00:2::/64 >/dev/null
$KESPCTL -n a sa add dev kesp0 dir in src fd00:100::2 dst fd00:100::1 spi 0x600 \
	mode tunnel aead 'rfc4106(gcm(aes))' $K6 128 sel src fd00:2::/64 dst fd00:1::/64 >/dev/null
ip -n b xfrm state add src fd00:100::1 dst fd00:100::2 proto esp spi 0x500 reqid 3 mode tunnel \
	aead 'rfc4106(gcm(aes))' $K6 128
ip -n b xfrm state add src fd00:100::2 dst fd00:100::1 proto esp spi 0x600 reqid 3 mode tunnel \
	aead 'rfc4106(gcm(aes))' $K6 128
ip -n b xfrm policy add src fd00:2::/64 dst fd00:1::/64 dir out \
	tmpl src fd00:100::2 dst fd00:100::1 proto esp reqid 3 mode tunnel
ip -n b xfrm policy add src fd00:1::/64 dst fd00:2::/64 dir in \
	tmpl src fd00:100::1 dst fd00:100::2 proto esp reqid 3 mode tunnel
capture 'ip6 and esp and src fd00:100::1'
for q in 0xb9 0xbb 0x00; do
	ip netns exec a ping -6 -c 1 -W 2 -Q $q -I fd00:1::1 fd00:2::1 >/dev/null 2>&1
done
wait
# tcpdump names the class only when it is not zero.
tclass=$(awk '/ IP6 / { if (match($0, /\(class 0x[0-9a-f]+/)) print substr($0, RSTART + 7, RLENGTH - 7); else print "0x0" }' /tmp/tos.txt | tr '\n' ' ')
same "outer IPv6 traffic class: DSCP copied, ECT(1) copied, CE sent as ECT(0), zero stays zero" \
	"$tclass" "0xb9 0xba 0x0 "

# Path MTU: a 1300-byte path leaves room for 1246 bytes of inner packet
# with AES-GCM (20 outer + 8 ESP + 8 IV + 16 ICV, padding to 4, 2 trailer).
ip -n a link set veth-a mtu 1300
ip -n b link set veth-b mtu 1300
ip netns exec a ping -c 2 -i 0.3 -W 1 -M do -s 1300 -I 10.1.0.1 10.2.0.1 >/tmp/pmtu.txt 2>&1
echo "ping -M do -s 1300 said:"
sed 's/^/  /' /tmp/pmtu.txt

check "a too-big inner packet with DF gets 'fragmentation needed' with the inner MTU (1246)" \
	grep -q 'mtu = 1246\|mtu=1246' /tmp/pmtu.txt
check "a packet of exactly that size passes" \
	ip netns exec a ping -c 1 -W 2 -M do -s $((1246 - 28)) -I 10.1.0.1 10.2.0.1
same "the route to 10.2.0.1 now holds a path MTU exception of 1246" \
	"$(ip -n a route get 10.2.0.1 from 10.1.0.1 | grep -o 'mtu [0-9]*')" "mtu 1246"
# One byte more must fail, and for the path MTU, not for any other reason.
out=$(ip netns exec a ping -c 1 -W 2 -M do -s $((1246 - 27)) -I 10.1.0.1 10.2.0.1 2>&1)
status=$?
same "one byte more does not pass: ping fails, saying the message is too long for mtu 1246" \
	"$([ $status -ne 0 ] && echo failed) $(printf '%s\n' "$out" | grep -o 'mtu = 1246\|mtu=1246' | head -1 | tr -d ' ')" \
	"failed mtu=1246"
check "without DF the outer packet is fragmented and delivered" \
	ip netns exec a ping -c 1 -W 2 -M dont -s 1300 -I 10.1.0.1 10.2.0.1
rm -f /tmp/kesp.ping /tmp/xfrm.ping /tmp/tos.txt /tmp/tos.err /tmp/pmtu.txt
finish
