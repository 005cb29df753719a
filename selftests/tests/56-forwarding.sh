#!/bin/sh
# Tunnel mode as a router sees it: host h sits behind a, which forwards
# its traffic into kesp0 towards b (kernel XFRM). For each outer/inner
# family pair: the ping is forwarded through the tunnel and back; a is the
# only hop (TTL / hop limit one less at b and back at h, the tunnel adds no
# hop and does not copy the outer TTL in); DSCP and ECT arrive as h sent
# them; TTL 1 from h is answered by a and never encrypted, TTL 1 from b is
# answered by a through the tunnel; the device MTU leaves room for ESP; a
# DF packet too big for a narrower path makes a send h ICMP "fragmentation
# needed" / ICMPv6 "packet too big" with the inner MTU, h learns it and a
# packet of that size passes; without DF, or where IPv6 would be told less
# than 1280, the ESP packet is fragmented instead.
. "$KESP_SRC/selftests/tests/lib.sh"

two_sites
netns_add h
ip link add veth-h netns h type veth peer name veth-ah netns a
ip -n h link set veth-h up
ip -n a link set veth-ah up
ip -n h addr add 10.1.0.2/24 dev veth-h
ip -n h addr add fd00:1::2/64 dev veth-h nodad
ip -n a addr add 10.1.0.254/24 dev veth-ah
ip -n a addr add fd00:1::fe/64 dev veth-ah nodad
ip -n h route add default via 10.1.0.254
ip -n h -6 route add default via fd00:1::fe
ip netns exec a sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
# Every ICMP error a sends to h counts here, however quickly they follow.
ip netns exec a sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
# The outer headers leave a and b with hop limit 200 and the inner packets
# with 64, so an outer TTL copied into the inner packet would show.
ip -n a route add 192.168.100.2/32 dev veth-a hoplimit 200
ip -n a -6 route add fd00:100::2/128 dev veth-a hoplimit 200
ip -n b route add 192.168.100.1/32 dev veth-b hoplimit 200
ip -n b -6 route add fd00:100::1/128 dev veth-b hoplimit 200

# The device MTU: a 1500-byte path less the most one ESP packet can add
# (IPv6 40, UDP 8, SPI and sequence 8, IV 16, padding and trailer 17, ICV
# 32).
DEV_MTU=$((1500 - 121))
same "kesp0's MTU leaves room for the largest ESP overhead on a 1500-byte path" \
	"$(ip -n a link show kesp0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')" $DEV_MTU

# reasm NS 4|6: the IP reassembly requests namespace NS has seen.
reasm() {
	if [ "$2" = 4 ]; then
		ip netns exec "$1" awk '$1 == "Ip:" && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
			$1 == "Ip:" { print $col["ReasmReqds"] }' /proc/net/snmp
	else
		ip netns exec "$1" awk '$1 == "Ip6ReasmReqds" { print $2 }' /proc/net/snmp6
	fi
}

# kesp_packets: "OUT IN", the packets kesp's SA pair has encrypted and
# decrypted; quicker than counters (no python3 to start), for the checks
# in between.
kesp_packets() {
	$KESPCTL -n a sa list |
		awk '$1 == "sa" { dir = $6 } $1 == "stats" { n[dir] = $3 } END { print n["out"], n["in"] }'
}

# capture FILTER: packets on b's wire into /tmp/fwd.txt, verbose, until
# stop_capture, once tcpdump is really listening.
capture() {
	rm -f /tmp/fwd.err
	timeout 30 ip netns exec b tcpdump -i veth-b -n -v -l "$1" >/tmp/fwd.txt 2>/tmp/fwd.err &
	cap_pid=$!
	wait_line /tmp/fwd.err 'listening on'
}
stop_capture() {
	sleep 0.5
	kill "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
}

# "esp|inner TTL TOS" per captured packet, counted: tcpdump prints the
# IPv4 TOS always, the IPv6 class only when it is not zero.
captured() {
	awk '/ IP6? \(/ {
		tos = "0x0"
		if (match($0, /\((tos|class) 0x[0-9a-f]+/)) {
			tos = substr($0, RSTART, RLENGTH); sub(/.* /, "", tos)
		}
		match($0, /(ttl|hlim) [0-9]+/)
		ttl = substr($0, RSTART, RLENGTH); sub(/.* /, "", ttl)
		print (/ESP \(50\)/ ? "esp" : "inner"), ttl, tos
	}' /tmp/fwd.txt | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2 " " $3 " " $4, $1; sep = ", " }'
}

# fwd_case OUTER INNER: a's kesp SA pair and b's XFRM for h's network to
# b's, over IPv$OUTER, then h's traffic through it. Each case pings its
# own address in b, so what h learned in one case does not carry over.
K=$(hexkey 20)
case_n=0
fwd_case() {
	outer=$1 inner=$2
	case_n=$((case_n + 1))
	out_spi=$((0x1000 + case_n)) in_spi=$((0x2000 + case_n))
	if [ "$outer" = 4 ]; then
		ea=192.168.100.1 eb=192.168.100.2 ohdr=20
	else
		ea=fd00:100::1 eb=fd00:100::2 ohdr=40
	fi
	if [ "$inner" = 4 ]; then
		na=10.1.0.0/24 nb=10.2.0.0/24 hh=10.1.0.2 ga=10.1.0.254 ha=10.1.0.1 hb=10.2.0.1$case_n
		ping="ping -4" ihdr=28 proto=icmp
		ip -n b addr add $hb/24 dev inner
	else
		na=fd00:1::/64 nb=fd00:2::/64 hh=fd00:1::2 ga=fd00:1::fe ha=fd00:1::1 hb=fd00:2::1$case_n
		ping="ping -6" ihdr=48 proto=icmp6
		ip -n b addr add $hb/64 dev inner nodad
	fi
	what="IPv$inner in IPv$outer"
	ip -n a link set veth-a mtu 1500
	ip -n b link set veth-b mtu 1500
	kesp_more="" xfrm_more=""
	[ "$inner" = "$outer" ] || xfrm_more="flag af-unspec"
	if ! interop_sas aead 'rfc4106(gcm(aes))' "$K" 128; then
		fail "$what: configure" "$out"
		return
	fi

	# Forwarded both ways, TTL 20 and DSCP CS5 with ECT(1) from h.
	capture "(esp and src $ea) or ($proto and src $hh)"
	ip netns exec h $ping -c 3 -i 0.05 -w 10 -t 20 -Q 0xb9 $hb >/tmp/fwd.ping 2>&1
	st=$?
	stop_capture
	if [ $st -eq 0 ]; then
		pass "$what: h's ping is forwarded by a through kesp to XFRM and back"
	else
		fail "$what: h's ping is forwarded by a through kesp to XFRM and back" \
			"$(cat /tmp/fwd.ping)" "$($KESPCTL -n a sa list 2>&1)" \
			"$(ip -n b -s xfrm state 2>&1)"
		return
	fi
	same "$what: kesp encrypted 3 and decrypted 3, XFRM the reverse" "$(counters)" "3 3 / 3 3"
	same "$what: at b the inner packets kept DSCP and ECT(1) with TTL 19 (a the only hop); the outer has a's own TTL" \
		"$(captured)" "esp 200 0xb9 x3, inner 19 0xb9 x3"
	same "$what: b's replies reach h with TTL 63 (a the only hop, no outer TTL copied in)" \
		"$(sed -n 's/.* ttl=\([0-9]*\) .*/\1/p' /tmp/fwd.ping | tr '\n' ' ')" "63 63 63 "

	# TTL 1: a answers, as a router does, and nothing enters the tunnel.
	ip netns exec h $ping -c 1 -W 2 -t 1 $hb >/tmp/fwd.ping 2>&1
	check "$what: TTL 1 from h gets time exceeded from a" \
		grep -Eq "^From $ga .*(Time to live exceeded|Time exceeded: Hop limit)" /tmp/fwd.ping
	same "$what: ... and is not encrypted" "$(kesp_packets)" "3 3"
	# TTL 1 from b's side: a's answer goes back through the tunnel.
	ip netns exec b $ping -c 1 -W 2 -t 1 -I $hb $hh >/tmp/fwd.ping 2>&1
	check "$what: TTL 1 from b to h gets time exceeded from a through the tunnel" \
		grep -Eq "^From $ha .*(Time to live exceeded|Time exceeded: Hop limit)" /tmp/fwd.ping
	same "$what: ... b's packet decrypted, a's answer encrypted" "$(kesp_packets)" "4 4"

	# The device MTU on a 1500-byte path: a DF packet of exactly that size
	# passes unfragmented; one byte more is refused by a's forwarding. (The
	# same device in every case: checked with each outer family once.)
	if [ "$inner" = "$outer" ]; then
		r=$(reasm b $outer)
		check "$what: a DF packet of kesp0's MTU ($DEV_MTU) passes" \
			ip netns exec h $ping -c 1 -W 2 -M do -s $((DEV_MTU - ihdr)) $hb
		same "$what: ... and its ESP packet was not fragmented" "$(reasm b $outer)" "$r"
		ip netns exec h $ping -c 1 -W 2 -M do -s $((DEV_MTU + 1 - ihdr)) $hb >/tmp/fwd.ping 2>&1
		check "$what: one byte more gets ICMP with kesp0's MTU from a" \
			grep -Eq "^From $ga .*mtu ?[=:] ?$DEV_MTU\)?\$" /tmp/fwd.ping
		same "$what: ... and is not encrypted" "$(kesp_packets)" "5 5"
	fi

	# A 1400-byte path: with AES-GCM the inner packet may have 1400 less
	# the outer header, 8 ESP, 8 IV, 16 ICV, 2 trailer, padded to 4.
	pmtu=$(((1400 - ohdr - 32) / 4 * 4 - 2))
	ip -n a link set veth-a mtu 1400
	ip -n b link set veth-b mtu 1400
	if [ "$inner" = 4 ]; then
		r=$(reasm b $outer)
		check "$what: without DF a packet too big for the path passes" \
			ip netns exec h $ping -c 1 -W 2 -M dont -s $((1370 - ihdr)) $hb
		same "$what: ... in a fragmented ESP packet" "$(($(reasm b $outer) - r))" 2
	fi
	before=$(kesp_packets)
	ip netns exec h $ping -c 1 -W 2 -M do -s $((1370 - ihdr)) $hb >/tmp/fwd.ping 2>&1
	check "$what: a DF packet too big for the path gets ICMP from a with the inner MTU ($pmtu)" \
		grep -Eq "^From $ga .*mtu ?[=:] ?$pmtu\)?\$" /tmp/fwd.ping
	same "$what: ... and is not encrypted" "$(kesp_packets)" "$before"
	check "$what: h's route to b learned MTU $pmtu" \
		sh -c "ip -n h -$inner route get $hb | grep -Eq ' mtu $pmtu( |\$)'"
	check "$what: a DF packet of that size passes" \
		ip netns exec h $ping -c 1 -W 2 -M do -s $((pmtu - ihdr)) $hb
	same "$what: ... and its reply, each once" \
		"$(kesp_packets)" "$(echo "$before" | awk '{ print $1 + 1, $2 + 1 }')"

	# IPv6 links carry 1280 bytes (RFC 8200 5): on a 1300-byte path, where
	# less than that would fit in ESP, the tunnel fragments the outer
	# packet rather than tell h an MTU below 1280.
	[ "$inner" = 6 ] || return
	ip -n a link set veth-a mtu 1300
	ip -n b link set veth-b mtu 1300
	r=$(reasm b $outer)
	check "$what: on a 1300-byte path a 1300-byte packet still passes" \
		ip netns exec h $ping -c 1 -W 2 -M do -s $((1300 - ihdr)) $hb
	same "$what: ... in a fragmented ESP packet" "$(($(reasm b $outer) - r))" 2
	check "$what: ... and h's route keeps MTU $pmtu" \
		sh -c "ip -n h -6 route get $hb | grep -Eq ' mtu $pmtu( |\$)'"
}

for fam in "4 4" "6 6" "6 4" "4 6"; do
	# shellcheck disable=SC2086
	fwd_case $fam
done
rm -f /tmp/fwd.txt /tmp/fwd.err /tmp/fwd.ping
finish
