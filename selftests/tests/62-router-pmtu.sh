#!/bin/sh
# Path MTU discovery for raw ESP when the bottleneck is not the local
# link: a router r between a (kesp) and b (XFRM) has a 1400-byte link
# towards b. DF traffic that no longer fits once in ESP is dropped at r,
# which says "fragmentation needed" (IPv4) or "packet too big" (IPv6) to
# a about kesp's ESP packet; kesp must learn the outer path MTU from that,
# and then tell its own senders the inner MTU that fits. TCP and DF pings
# across the tunnel, both families.
. "$KESP_SRC/selftests/tests/lib.sh"

netns_add a r b
ip link add veth-a netns a type veth peer name veth-ra netns r
ip link add veth-rb netns r type veth peer name veth-b netns b
for dev in a:veth-a r:veth-ra r:veth-rb b:veth-b; do
	ip -n "${dev%%:*}" link set "${dev#*:}" up
done
ip -n r link set veth-rb mtu 1400
ip -n b link set veth-b mtu 1400
ip -n a addr add 192.168.1.1/24 dev veth-a
ip -n r addr add 192.168.1.254/24 dev veth-ra
ip -n r addr add 192.168.2.254/24 dev veth-rb
ip -n b addr add 192.168.2.2/24 dev veth-b
ip -n a addr add fd00:a::1/64 dev veth-a nodad
ip -n r addr add fd00:a::fe/64 dev veth-ra nodad
ip -n r addr add fd00:b::fe/64 dev veth-rb nodad
ip -n b addr add fd00:b::2/64 dev veth-b nodad
ip -n a route add default via 192.168.1.254
ip -n b route add default via 192.168.2.254
ip -n a -6 route add default via fd00:a::fe
ip -n b -6 route add default via fd00:b::fe
ip netns exec r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
	net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
site_kesp a
site_inner b

K=$(hexkey 20)
# across FAMILY: the tunnel over outer IPv$FAMILY (inner the same family).
across() {
	if [ "$1" = 4 ]; then
		ea=192.168.1.1 eb=192.168.2.2 na=10.1.0.0/24 nb=10.2.0.0/24 ha=10.1.0.1 hb=10.2.0.1
		ping=ping hdr=28 fit=1346
	else
		ea=fd00:a::1 eb=fd00:b::2 na=fd00:1::/64 nb=fd00:2::/64 ha=fd00:1::1 hb=fd00:2::1
		ping="ping -6" hdr=48 fit=1326
	fi
	out_spi=$((0x1000 + $1)) in_spi=$((0x2000 + $1))
	what="outer IPv$1"
	if ! interop_sas aead 'rfc4106(gcm(aes))' $K 128; then
		fail "$what: configure" "$out"
		return
	fi
	check "$what: a small ping crosses the tunnel" ip netns exec a $ping -c 1 -W 2 -I $ha $hb
	# The first big DF packet is lost at r, which tells kesp; the next
	# is refused in a, telling the sender the inner MTU that fits: the
	# 1400-byte path less the outer header, ESP header, IV, ICV, trailer
	# (under kesp0's own MTU, 1379, so that it is kesp that refuses).
	ip netns exec a $ping -c 3 -i 0.5 -W 1 -M do -s 1320 -I $ha $hb >/tmp/pmtu.txt 2>&1
	sed 's/^/  /' /tmp/pmtu.txt
	check "$what: a too-big DF ping learns the inner MTU ($fit) from kesp" \
		grep -q "mtu = $fit\|mtu=$fit" /tmp/pmtu.txt
	check "$what: a DF ping of exactly that size crosses" \
		ip netns exec a $ping -c 1 -W 2 -M do -s $((fit - hdr)) -I $ha $hb
	check "$what: one byte more does not" \
		sh -c "! ip netns exec a $ping -c 1 -W 2 -M do -s $((fit - hdr + 1)) -I $ha $hb"
	# TCP from kesp's side: its segments carry DF; without the learnt
	# MTU a bulk transfer stalls once the segments are full-sized, after
	# a few KB. 0.2 MB is some 150 full segments past that point, and
	# leaves room for a guest that gets little CPU (a loaded 6.1 guest
	# once moved under 1 MB in the 3 s).
	iperf_server b $hb
	got=""
	if ip netns exec a timeout 30 iperf3 -c $hb -B $ha -t 3 -J >/tmp/iperf.json 2>&1 &&
		got=$(jq -r '"\(.end.sum_received.bytes) \(.end.sum_sent.retransmits)"' /tmp/iperf.json) &&
		[ "${got%% *}" -ge 200000 ]; then
		pass "$what: TCP across the tunnel (${got%% *} bytes in 3 s, ${got#* } retransmissions)"
	else
		fail "$what: TCP across the tunnel (at least 200000 bytes in 3 s)" "received, retransmissions: ${got:-?}" \
			"$(tail -5 /tmp/iperf.json)"
	fi
	wait $iperf_server_pid
}
across 4
across 6
rm -f /tmp/pmtu.txt /tmp/iperf.json
finish
