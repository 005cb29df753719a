#!/bin/sh
# Transport mode (RFC 4303 3.1.1) against the kernel's XFRM: host a runs
# kesp, host b runs XFRM with the same keys, every algorithm over IPv4 and
# IPv6. a routes b's own address into kesp0 through a policy rule that
# skips the device's fwmark, so kesp0's ESP to b takes the wire instead of
# looping (what wg-quick does). Ping, large pings that the sender
# fragments, iperf3, and both sides' counters must agree.
. "$KESP_SRC/selftests/tests/lib.sh"

MARK=0x51
two_sites
# Static neighbours: XFRM's policy in b would also catch b's neighbour
# solicitations to a's address, and those belong on the wire, not in ESP.
mac_b=$(ip -n b -br link show veth-b | awk '{print $3}')
mac_a=$(ip -n a -br link show veth-a | awk '{print $3}')
ip -n a neigh replace fd00:100::2 lladdr "$mac_b" dev veth-a nud permanent
ip -n b neigh replace fd00:100::1 lladdr "$mac_a" dev veth-b nud permanent
ip -n a neigh replace 192.168.100.2 lladdr "$mac_b" dev veth-a nud permanent
ip -n b neigh replace 192.168.100.1 lladdr "$mac_a" dev veth-b nud permanent

check "kespctl dev set gives kesp0 an outer fwmark" $KESPCTL -n a dev set kesp0 fwmark $MARK
same "the device reports its fwmark" \
	"$(printf '0x%x' "$($KESPCTL -n a --json dev show kesp0 | json_first fwmark)" 2>&1)" "$MARK"
same "the human output shows it too" \
	"$($KESPCTL -n a dev show kesp0 | grep -o 'fwmark 0x[0-9a-f]*')" "fwmark $MARK"
for v in 4 6; do
	ip -n a -$v rule add not fwmark $MARK table 51
done
ip -n a route add 192.168.100.2/32 dev kesp0 table 51 src 192.168.100.1
ip -n a -6 route add fd00:100::2/128 dev kesp0 table 51 src fd00:100::1

# transport_sas FAMILY ALG-ARGS...: a's kesp SAs and b's XFRM SAs and
# policies for all traffic between the two hosts.
case_n=0
transport_sas() {
	fam=$1
	shift
	case_n=$((case_n + 1))
	out_spi=$((0x5000 + case_n)) in_spi=$((0x6000 + case_n))
	if [ "$fam" = 4 ]; then ea=192.168.100.1 eb=192.168.100.2; else ea=fd00:100::1 eb=fd00:100::2; fi
	na=$ea nb=$eb sa_mode=transport sa_reqid=7
	interop_sas "$@"
}

# transport_case NAME FAMILY IPERF-ARGS ALG-ARGS...
transport_case() {
	name=$1 fam=$2 iperf_len=$3
	shift 3
	what="transport $name, IPv$fam"
	if ! transport_sas $fam "$@"; then
		fail "$what: configure" "$out"
		return
	fi
	ping="ping -$fam"
	if ip netns exec a $ping -c 4 -i 0.05 -w 10 $eb >/tmp/ping.out 2>&1; then
		pass "$what: ping from kesp to XFRM and back"
	else
		fail "$what: ping from kesp to XFRM and back" "$(cat /tmp/ping.out)" \
			"$($KESPCTL -n a sa list 2>&1)" "$(ip -n b -s xfrm state 2>&1)" \
			"$(ip -n a -s link show kesp0 2>&1)"
		return
	fi
	same "$what: kesp sent 4 and received 4, XFRM received 4 and sent 4" \
		"$(counters)" "4 4 / 4 4"
	# Bigger than kesp0's MTU: the sender fragments, ESP still carries
	# it (whole datagrams for IPv4, the fragments for IPv6), XFRM's
	# answer comes back as fragmented ESP.
	if [ "$iperf_len" = "-t 2" ]; then
		check "$what: 3000-byte pings both ways" \
			ip netns exec a $ping -c 2 -i 0.05 -w 10 -s 3000 $eb
	fi
	# Bulk TCP once per algorithm (over IPv4) and per family (AES-GCM-128),
	# as in 50.
	[ -z "$iperf_len" ] || iperf_agrees "$what" $eb $ea "$iperf_len"
}

K16=$(hexkey 16) K20=$(hexkey 20) K28=$(hexkey 28) K32=$(hexkey 32) K36=$(hexkey 36)
K48=$(hexkey 48) K64=$(hexkey 64) K24=$(hexkey 24)
for fam in 4 6; do
	transport_case "AES-GCM-128" $fam "-t 2" aead 'rfc4106(gcm(aes))' $K20 128
	t1=""
	[ $fam = 4 ] && t1="-t 1"
	transport_case "AES-GCM-256" $fam "$t1" aead 'rfc4106(gcm(aes))' $K36 128
	transport_case "ChaCha20-Poly1305" $fam "$t1" aead 'rfc7539esp(chacha20,poly1305)' $K36 128
	transport_case "AES-CBC-128/HMAC-SHA-256" $fam "$t1" enc 'cbc(aes)' $K16 auth-trunc 'hmac(sha256)' $K32 128
	transport_case "AES-CBC-256/HMAC-SHA-512" $fam "$t1" enc 'cbc(aes)' $K32 auth-trunc 'hmac(sha512)' $K64 256
	transport_case "NULL/HMAC-SHA-256" $fam "$t1" enc 'ecb(cipher_null)' "" auth-trunc 'hmac(sha256)' $K32 128
done
# HMAC-SHA-1-96 (RFC 2404).
for fam in 4 6; do
	t1=""
	[ $fam = 4 ] && t1="-t 1"
	transport_case "AES-CBC-128/HMAC-SHA-1-96" $fam "$t1" enc 'cbc(aes)' $K16 auth-trunc 'hmac(sha1)' $K20 96
done
transport_case "AES-GCM-192" 4 "-t 1" aead 'rfc4106(gcm(aes))' $K28 128
transport_case "AES-CBC-192/HMAC-SHA-384" 6 "-t 1" enc 'cbc(aes)' $K24 auth-trunc 'hmac(sha384)' $K48 192

# ESN across 2^32 in transport mode: seq_hi borrows the 4 bytes in front
# of the ESP header, which here are the end of the packet's own IP header.
for fam in 4 6; do
	what="transport AES-CBC-128/HMAC-SHA-256 with ESN across 2^32, IPv$fam"
	start=$((0xfffffff0))
	if [ "$fam" = 4 ]; then ea=192.168.100.1 eb=192.168.100.2; else ea=fd00:100::1 eb=fd00:100::2; fi
	$KESPCTL -n a sa flush
	ip -n b xfrm state flush
	ip -n b xfrm policy flush
	alg="enc cbc(aes) $K16 auth-trunc hmac(sha256) $K32 128"
	# shellcheck disable=SC2086
	if $KESPCTL -n a sa add dev kesp0 dir out src $ea dst $eb proto esp spi 0x7100 \
			mode transport flag esn seq $start $alg sel src $ea dst $eb >/dev/null &&
		$KESPCTL -n a sa add dev kesp0 dir in src $eb dst $ea proto esp spi 0x7200 \
			mode transport flag esn seq $start $alg sel src $eb dst $ea >/dev/null &&
		ip -n b xfrm state add src $ea dst $eb proto esp spi 0x7100 mode transport flag esn \
			replay-window 32 replay-seq $start $alg &&
		ip -n b xfrm state add src $eb dst $ea proto esp spi 0x7200 mode transport flag esn \
			replay-window 32 replay-oseq $start $alg &&
		ip -n b xfrm policy add src $eb dst $ea dir out tmpl proto esp mode transport &&
		ip -n b xfrm policy add src $ea dst $eb dir in tmpl proto esp mode transport; then
		check "$what: 24 pings" ip netns exec a ping -$fam -c 24 -i 0.05 -W 2 $eb
	else
		fail "$what: configure"
	fi
done

# What transport mode must refuse or drop.
$KESPCTL -n a sa flush
ip -n b xfrm policy flush
ip -n b xfrm state flush
refuse "a transport-mode SA's selectors must be of its own family" 1 \
	"selectors must be of its own address family" \
	$KESPCTL -n a sa add dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 \
	spi 0x7300 mode transport aead 'rfc4106(gcm(aes))' $K20 128 sel src fd00:1::/64 dst fd00:2::/64
check "a transport-mode SA without selectors" $KESPCTL -n a sa add dev kesp0 dir out \
	src 192.168.100.1 dst 192.168.100.2 spi 0x7300 mode transport aead 'rfc4106(gcm(aes))' $K20 128
refuse "a transport-mode SA keeps its address family on update" 1 "keeps its address family" \
	$KESPCTL -n a sa update dev kesp0 id \
	"$($KESPCTL -n a --json sa list | json_first id)" \
	src fd00:100::1 dst fd00:100::2
# A packet routed into the device that is not between the SA's own
# addresses cannot use it: 10.2.0.1 is routed into kesp0 by two_sites.
# Counted from just before the pings (a 6.1 guest once had one packet
# more on the SA than the pings by the time it was read).
sa_counts() {
	$KESPCTL -n a --json sa list | json_first packets selector_errors
}
before=$(sa_counts)
ip netns exec a ping -c 3 -i 0.05 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
after=$(sa_counts)
same "a packet from other addresses than the transport SA's is dropped and counted" \
	"$(echo "$before $after" | awk '{print $3 - $1, $4 - $2}')" "0 3"
[ "$before" = "0 0" ] || echo "SA counters before the pings: $before"

# Without the fwmark the device's ESP to b would be routed back into it.
transport_sas 4 aead 'rfc4106(gcm(aes))' $K20 128
check "unmarking the device" $KESPCTL -n a dev set kesp0 fwmark 0
# (ip's JSON: "collisions" is in stats64.tx alone.)
before=$(ip -n a -s -j link show kesp0 | json_first collisions)
ip netns exec a ping -c 2 -i 0.05 -W 1 192.168.100.2 >/dev/null 2>&1
after=$(ip -n a -s -j link show kesp0 | json_first collisions)
same "without a fwmark the routing loop is caught and counted, not followed" "$((after - before))" 2
$KESPCTL -n a dev set kesp0 fwmark $MARK >/dev/null

# Path MTU in transport mode: on a 1300-byte path a local sender learns
# 1266 (20 IP + 8 ESP + 8 IV + 16 ICV, padding to 4, 2 trailer bytes).
ip -n a link set veth-a mtu 1300
ip -n b link set veth-b mtu 1300
ip netns exec a ping -c 2 -i 0.3 -W 1 -M do -s 1300 192.168.100.2 >/tmp/pmtu.txt 2>&1
check "transport: a too-big packet with DF makes the sender learn the ESP path MTU (1266)" \
	grep -q 'mtu = 1266\|mtu=1266' /tmp/pmtu.txt
check "transport: a packet of exactly that size passes" \
	ip netns exec a ping -c 1 -W 2 -M do -s $((1266 - 28)) 192.168.100.2

refuse "dev set without anything to set is a usage error" 2 "nothing to set" \
	$KESPCTL -n a dev set kesp0
refuse "dev set with a bad mark names it" 2 'bad fwmark "0xg"' \
	$KESPCTL -n a dev set kesp0 fwmark 0xg
refuse "dev set on a device that is not kesp is refused by the kernel" 1 "not a kesp device" \
	$KESPCTL -n a dev set veth-a fwmark 1
rm -f /tmp/ping.out /tmp/iperf.json /tmp/pmtu.txt
finish
