#!/bin/sh
# ESP in UDP (RFC 3948). First against XFRM on one wire, IPv4 and IPv6:
# namespace a runs kesp with its UDP socket held by "kespctl encap
# listen", b runs XFRM ("encap espinudp") with the UDP_ENCAP socket an IKE
# daemon would hold. Then through a NAT namespace, where the module must
# report a changed mapping. On the way: IKE on the port reaches the
# socket's owner intact, keepalives and stray ESP do not, and raw ESP for
# an ESP-in-UDP SA is refused.
. "$KESP_SRC/selftests/tests/lib.sh"

T=$KESP_SRC/selftests/tests
PIDS=""
# The background programs a part of the test started, and its namespaces.
stop_daemons() {
	# shellcheck disable=SC2086
	[ -n "$PIDS" ] && kill $PIDS 2>/dev/null
	wait 2>/dev/null
	PIDS=""
}
stop_all() {
	stop_daemons
	cleanup_netns
}
trap stop_all EXIT

# dev_counter NS NAME: a device counter of kesp0 in NS, from --json.
dev_counter() {
	$KESPCTL -n "$1" --json dev show kesp0 | json_first "$2"
}
# sa_counters NS ARGS...: "ENCAP_ERRORS PACKETS" of the SA in NS that
# kespctl sa get ARGS names, from --json.
sa_counters() {
	sc_ns=$1
	shift
	$KESPCTL -n "$sc_ns" --json sa get "$@" | json_first encap_errors packets
}

# ---- attach and detach, and what they refuse (netlink) ----
netns_add nl
ip -n nl link add kesp0 type kesp
ip netns exec nl python3 "$T/encap_netlink.py" kesp0 || FAILED=1
# kespctl encap detach against the module: one family, then the rest.
ip -n nl link add kesp0 type kesp
$KESPCTL -n nl encap listen dev kesp0 port 4500 >/tmp/nl4.out 2>&1 &
PIDS="$PIDS $!"
$KESPCTL -n nl encap listen dev kesp0 addr :: port 4500 >/tmp/nl6.out 2>&1 &
PIDS="$PIDS $!"
wait_line /tmp/nl4.out listening && wait_line /tmp/nl6.out listening
# nl_ports: the device's ports as kespctl dev show names them.
nl_ports() { $KESPCTL -n nl dev show kesp0 | grep -o 'encap udp[0-9]* [0-9]*' | tr '\n' ' '; }
same "two listeners attach their sockets" "$(nl_ports)" "encap udp 4500 encap udp6 4500 "
check "kespctl encap detach family inet6" $KESPCTL -n nl encap detach dev kesp0 family inet6
same "detaches the IPv6 socket alone" "$(nl_ports)" "encap udp 4500 "
check "kespctl encap detach without a family" $KESPCTL -n nl encap detach dev kesp0
same "detaches the rest" "$(nl_ports)" ""
check "detaching from a device with no socket is no error" $KESPCTL -n nl encap detach dev kesp0
refuse "kespctl encap detach of a device that does not exist" 1 \
	"no such device in this network namespace" $KESPCTL -n nl encap detach dev nosuch0
refuse "kespctl encap detach of a device that is not kesp" 1 "device is not a kesp device" \
	$KESPCTL -n nl encap detach dev lo
refuse "kespctl encap detach of an unknown family" 2 'bad family "ipx"' \
	$KESPCTL -n nl encap detach dev kesp0 family ipx
stop_daemons

# ---- interop with XFRM on one wire ----
# Without checksum offload on the veth pair, every UDP checksum is written
# in full before it leaves and verified where it arrives, as on a real
# wire: a wrong one would lose the packet.
two_sites
ip netns exec a ethtool -K veth-a tx off rx off >/dev/null
ip netns exec b ethtool -K veth-b tx off rx off >/dev/null
ip netns exec b python3 "$T/udp_encap_sock.py" 4500 >/tmp/holder.out 2>&1 &
PIDS="$PIDS $!"
$KESPCTL -n a --json encap listen dev kesp0 port 4500 >/tmp/listen4.out 2>&1 &
PIDS="$PIDS $!"
$KESPCTL -n a encap listen dev kesp0 addr :: port 4500 >/tmp/listen6.out 2>&1 &
PIDS="$PIDS $!"
if wait_line /tmp/holder.out ready && wait_line /tmp/listen4.out listening &&
	wait_line /tmp/listen6.out listening; then
	pass "kespctl encap listen attaches UDP sockets for IPv4 and IPv6 to kesp0"
else
	fail "kespctl encap listen attaches UDP sockets for IPv4 and IPv6 to kesp0" \
		"$(cat /tmp/holder.out /tmp/listen4.out /tmp/listen6.out)"
fi
same "kespctl dev show names both ports" \
	"$($KESPCTL -n a dev show kesp0 | grep -o 'encap udp[0-9]* [0-9]*' | tr '\n' ' ')" \
	"encap udp 4500 encap udp6 4500 "
refuse "a second listener for the same family is refused with the kernel's reason" 1 \
	"already has a socket of this address family" \
	$KESPCTL -n a encap listen dev kesp0 port 4600
refuse "kespctl encap rejects a bad port with exit status 2" 2 'bad port "70000"' \
	$KESPCTL encap listen dev kesp0 port 70000

# encap_case NAME FAMILY(4|6) ALG-ARGS...: tunnel mode, inner family as
# the outer one, both directions in UDP 4500 <-> 4500.
case_n=0
encap_case() {
	name=$1 fam=$2
	shift 2
	case_n=$((case_n + 1))
	out_spi=$((0x7000 + case_n)) in_spi=$((0x7100 + case_n))
	if [ "$fam" = 4 ]; then
		ea=192.168.100.1 eb=192.168.100.2 na=10.1.0.0/24 nb=10.2.0.0/24
		ha=10.1.0.1 hb=10.2.0.1 ping=ping any=0.0.0.0 filter="ip proto 50"
	else
		ea=fd00:100::1 eb=fd00:100::2 na=fd00:1::/64 nb=fd00:2::/64
		ha=fd00:1::1 hb=fd00:2::1 ping="ping -6" any=:: filter="ip6 proto 50"
	fi
	what="ESP in UDP, $name over IPv$fam"
	kesp_more="encap espinudp 4500 4500" xfrm_more="encap espinudp 4500 4500 $any"
	if ! interop_sas "$@"; then
		fail "$what: configure" "$out"
		return
	fi
	# Nothing may cross the wire as raw ESP.
	rm -f /tmp/raw.err /tmp/udp.err
	timeout 20 ip netns exec b tcpdump -i veth-b -n -c 1 "$filter" >/tmp/raw.txt 2>/tmp/raw.err &
	tcpdump_pid=$!
	timeout 20 ip netns exec b tcpdump -i veth-b -n -vv -c 8 "udp port 4500" >/tmp/udp.txt 2>/tmp/udp.err &
	udp_pid=$!
	if ! { wait_line /tmp/raw.err 'listening on' && wait_line /tmp/udp.err 'listening on'; }; then
		fail "$what: tcpdump listens on veth-b" "$(cat /tmp/raw.err /tmp/udp.err)"
	fi
	if ip netns exec a $ping -c 4 -i 0.05 -w 10 -I $ha $hb >/tmp/ping.out 2>&1; then
		pass "$what: ping from kesp through XFRM and back"
	else
		fail "$what: ping from kesp through XFRM and back" "$(cat /tmp/ping.out)" \
			"$($KESPCTL -n a sa list 2>&1)" "$(ip -n b -s xfrm state 2>&1)"
	fi
	wait $udp_pid
	# No raw ESP counts only if the capture was still running: one that
	# stopped by itself either caught a packet (counted below) or failed.
	if ! kill $tcpdump_pid 2>/dev/null && [ ! -s /tmp/raw.txt ]; then
		fail "$what: the capture for raw ESP ran until the pings ended" "$(cat /tmp/raw.err)"
	fi
	wait $tcpdump_pid
	# RFC 3948 3.1.3: over IPv4 the checksum may be zero (both stacks
	# send it so), over IPv6 it must be right.
	if [ "$fam" = 4 ]; then sum='\[no cksum\]'; else sum='\[udp sum ok\]'; fi
	same "$what: 8 UDP datagrams on port 4500 on the wire, checksums as RFC 3948 says, no raw ESP" \
		"$(grep -c "$sum" /tmp/udp.txt) $(grep -c 'bad udp cksum' /tmp/udp.txt) $(grep -c . /tmp/raw.txt)" "8 0 0"
	same "$what: kesp sent 4 and received 4, XFRM received 4 and sent 4" \
		"$(counters)" "4 4 / 4 4"
	iperf_agrees "$what" $hb $ha "-t 1"
}

K20=$(hexkey 20) K36=$(hexkey 36) K16=$(hexkey 16) K32=$(hexkey 32)
encap_case "AES-GCM-128" 4 aead 'rfc4106(gcm(aes))' $K20 128
encap_case "AES-GCM-128" 6 aead 'rfc4106(gcm(aes))' $K20 128
encap_case "ChaCha20-Poly1305" 6 aead 'rfc7539esp(chacha20,poly1305)' $K36 128
encap_case "AES-CBC-128/HMAC-SHA-256" 4 enc 'cbc(aes)' $K16 auth-trunc 'hmac(sha256)' $K32 128

show=$($KESPCTL -n a sa get dev kesp0 dir in spi $in_spi)
same "kespctl shows an SA's encapsulation as ip xfrm writes it" \
	"$(echo "$show" | grep -o 'encap espinudp [0-9]* [0-9]*')" "encap espinudp 4500 4500"

# What else arrives on the port. IKE (the zero non-ESP marker) is the
# socket owner's, byte for byte; a keepalive and ESP for no SA are not.
ike=000000002a2b2c2d01020304
esp_before=$(dev_counter a encap_esp) err_before=$(dev_counter a encap_errors)
ip netns exec b python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('192.168.100.2', 500))
for d in (bytes.fromhex('$ike'), b'\xff', bytes.fromhex('deadbeef00000001') + bytes(32)):
    s.sendto(d, ('192.168.100.1', 4500))
"
wait_line /tmp/listen4.out "$ike"
same "an IKE datagram on the attached port reaches its owner intact" \
	"$(grep -o '"data":"[0-9a-f]*"' /tmp/listen4.out | tr '\n' ' ')" "\"data\":\"$ike\" "
same "the keepalive was dropped and counted, never delivered" \
	"$(dev_counter a encap_keepalives)" 1
same "ESP for an SPI with no SA was taken off the socket and counted as an error" \
	"$(($(dev_counter a encap_esp) - esp_before)) $(($(dev_counter a encap_errors) - err_before))" "1 1"
ip netns exec b python3 -c "
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(('fd00:100::2', 500))
s.sendto(b'\\xff', ('fd00:100::1', 4500))
s.sendto(bytes.fromhex('$ike'), ('fd00:100::1', 4500))
"
wait_line /tmp/listen6.out "$ike"
same "IKE over IPv6 reaches the IPv6 socket's owner (human output), the keepalive before it does not" \
	"$(grep -c "datagram from fd00:100::2 port 500, 12 bytes: $ike" /tmp/listen6.out) $(grep -c 'datagram' /tmp/listen6.out)" "1 1"
same "the IPv6 keepalive was dropped and counted too" "$(dev_counter a encap_keepalives)" 2

# The device's sockets are on 4500: an SA on another port of this side
# could neither send from it nor be reached on it.
refuse "an outbound SA sending from a port with no socket is refused" 1 \
	"not the port of the device's UDP socket" \
	$KESPCTL -n a sa add dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 \
	proto esp spi 0x7779 mode tunnel aead 'rfc4106(gcm(aes))' $K20 128 encap espinudp 4600 4500
refuse "an inbound SA expecting ESP on a port with no socket is refused" 1 \
	"not the port of the device's UDP socket" \
	$KESPCTL -n a sa add dev kesp0 dir in src fd00:100::2 dst fd00:100::1 \
	proto esp spi 0x7779 mode tunnel aead 'rfc4106(gcm(aes))' $K20 128 encap espinudp 4500 4600
refuse "an SA cannot be moved to such a port either" 1 \
	"not the port of the device's UDP socket" \
	$KESPCTL -n a sa update dev kesp0 dir in spi $in_spi encap espinudp 4500 4600

# Raw ESP (IP protocol 50) for an SA that takes ESP in UDP only.
$KESPCTL -n a sa flush
$KESPCTL -n a sa add dev kesp0 dir in src 192.168.100.2 dst 192.168.100.1 \
	proto esp spi 0x7777 mode tunnel reqid 3 aead 'rfc4106(gcm(aes))' $K20 128 \
	encap espinudp 4500 4500 >/dev/null
ip netns exec b python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
s.sendto(bytes.fromhex('0000777700000001') + bytes(40), ('192.168.100.1', 0))
"
# Until the drop is counted (5 s at most): the counters then must be
# one error and no packet.
for _ in $(seq 25); do
	raw=$(sa_counters a dev kesp0 dir in spi 0x7777)
	[ "${raw% *}" = 0 ] || break
	sleep 0.2
done
same "raw ESP for an ESP-in-UDP SA is dropped and counted as an encapsulation error" "$raw" "1 0"
refuse "an SA's ports change, its encapsulation type cannot be added" 1 \
	"keeps its encapsulation type" \
	sh -c "$KESPCTL -n a sa add dev kesp0 dir in src 192.168.100.2 dst 192.168.100.1 \
		proto esp spi 0x7778 mode tunnel aead 'rfc4106(gcm(aes))' $K20 128 >/dev/null &&
		$KESPCTL -n a sa update dev kesp0 dir in spi 0x7778 encap espinudp 1 2"

# Transport mode in UDP (RFC 3948 3.1.2), host to host over IPv4: a routes
# b's address into kesp0 except for kesp0's own marked packets (as 52 does).
# b's policies name ICMP and TCP only: a policy for all traffic between
# the hosts would also claim the UDP datagrams ESP arrives in (an IKE
# daemon exempts its socket with a per-socket bypass policy instead).
mac_b=$(ip -n b -br link show veth-b | awk '{print $3}')
mac_a=$(ip -n a -br link show veth-a | awk '{print $3}')
ip -n a neigh replace 192.168.100.2 lladdr "$mac_b" dev veth-a nud permanent
ip -n b neigh replace 192.168.100.1 lladdr "$mac_a" dev veth-b nud permanent
$KESPCTL -n a dev set kesp0 fwmark 0x51 >/dev/null
ip -n a rule add not fwmark 0x51 table 51
ip -n a route add 192.168.100.2/32 dev kesp0 table 51 src 192.168.100.1
ea=192.168.100.1 eb=192.168.100.2 out_spi=0x7401 in_spi=0x7402
$KESPCTL -n a sa flush
ip -n b xfrm state flush
ip -n b xfrm policy flush
if out=$($KESPCTL -n a sa add dev kesp0 dir out src $ea dst $eb proto esp spi $out_spi \
		mode transport reqid 4 aead 'rfc4106(gcm(aes))' $K20 128 encap espinudp 4500 4500 \
		sel src $ea dst $eb 2>&1) &&
	out=$($KESPCTL -n a sa add dev kesp0 dir in src $eb dst $ea proto esp spi $in_spi \
		mode transport reqid 4 replay-window $INTEROP_REPLAY_WINDOW \
		aead 'rfc4106(gcm(aes))' $K20 128 encap espinudp 4500 4500 sel src $eb dst $ea 2>&1) &&
	out=$(ip -n b xfrm state add src $ea dst $eb proto esp spi $out_spi reqid 4 mode transport \
		aead 'rfc4106(gcm(aes))' $K20 128 encap espinudp 4500 4500 0.0.0.0 2>&1) &&
	out=$(ip -n b xfrm state add src $eb dst $ea proto esp spi $in_spi reqid 4 mode transport \
		aead 'rfc4106(gcm(aes))' $K20 128 encap espinudp 4500 4500 0.0.0.0 2>&1) &&
	out=$(ip -n b xfrm policy add src $eb dst $ea proto icmp dir out \
		tmpl src $eb dst $ea proto esp reqid 4 mode transport 2>&1) &&
	out=$(ip -n b xfrm policy add src $eb dst $ea proto tcp dir out \
		tmpl src $eb dst $ea proto esp reqid 4 mode transport 2>&1) &&
	out=$(ip -n b xfrm policy add src $ea dst $eb proto icmp dir in \
		tmpl src $ea dst $eb proto esp reqid 4 mode transport 2>&1) &&
	out=$(ip -n b xfrm policy add src $ea dst $eb proto tcp dir in \
		tmpl src $ea dst $eb proto esp reqid 4 mode transport 2>&1); then
	if ip netns exec a ping -c 4 -i 0.05 -w 10 $eb >/tmp/ping.out 2>&1; then
		pass "ESP in UDP, transport mode over IPv4: ping from kesp through XFRM and back"
	else
		fail "ESP in UDP, transport mode over IPv4: ping from kesp through XFRM and back" \
			"$(cat /tmp/ping.out)" "$($KESPCTL -n a sa list 2>&1)" \
			"$(ip -n b -s xfrm state 2>&1)"
	fi
	same "ESP in UDP, transport mode: kesp sent 4 and received 4, XFRM received 4 and sent 4" \
		"$(counters)" "4 4 / 4 4"
	iperf_agrees "ESP in UDP, transport mode over IPv4" $eb $ea "-t 1"
else
	fail "ESP in UDP, transport mode over IPv4: configure" "$out"
fi

# Closing the socket detaches it: the port is gone from the device.
stop_daemons
same "when the listeners exit, the device has no socket left" \
	"$($KESPCTL -n a dev show kesp0 | grep -c 'encap udp')" 0
# No reply could reach the SA now: it sends nothing and says why.
out_sa() { sa_counters a dev kesp0 dir out spi $out_spi dst $eb; }
before=$(out_sa)
ip netns exec a ping -c 2 -i 0.05 -W 1 $eb >/dev/null 2>&1
same "with no socket on its port, the outbound SA counts encapsulation errors and sends nothing" \
	"$(out_sa)" "$((${before% *} + 2)) ${before#* }"
cleanup_netns

# ---- through a NAT (lib.sh's nat_topology and nat_to) ----
# kesp_at NS LISTEN-ADDR INNER-ADDR PEER-NET: a kesp0 in NS holding port
# 4500 with "kespctl encap listen", its events in /tmp/events-NS.json.
kesp_at() {
	ip -n "$1" link add kesp0 type kesp
	ip -n "$1" link set kesp0 up
	ip -n "$1" addr add "$3" dev kesp0 $nodad
	ip -n "$1" route add "$4" dev kesp0
	$KESPCTL -n "$1" encap listen dev kesp0 addr "$2" port 4500 >/tmp/listen-$1.out 2>&1 &
	PIDS="$PIDS $!"
	$KESPCTL -n "$1" --json monitor >/tmp/events-$1.json 2>&1 &
	PIDS="$PIDS $!"
	wait_line /tmp/listen-$1.out listening
	sleep 0.3	# the monitor subscribes
}
# xfrm_at NS INNER-ADDR/LEN: XFRM in NS with its UDP_ENCAP socket on 4500,
# the inner address on a dummy device.
xfrm_at() {
	ip netns exec "$1" python3 "$T/udp_encap_sock.py" 4500 >/tmp/holder-$1.out 2>&1 &
	PIDS="$PIDS $!"
	ip -n "$1" link add inner type dummy
	ip -n "$1" link set inner up
	ip -n "$1" addr add "$2" dev inner $nodad
	wait_line /tmp/holder-$1.out ready
}
# xfrm_sa_pair NS LOCAL REMOTE LOCAL-NET REMOTE-NET IN-SPI OUT-SPI LPORT RPORT
xfrm_sa_pair() {
	ip -n "$1" xfrm state add src "$3" dst "$2" proto esp spi "$6" reqid 5 mode tunnel \
		aead 'rfc4106(gcm(aes))' $K 128 encap espinudp "$9" "$8" $any &&
	ip -n "$1" xfrm state add src "$2" dst "$3" proto esp spi "$7" reqid 5 mode tunnel \
		aead 'rfc4106(gcm(aes))' $K 128 encap espinudp "$8" "$9" $any &&
	ip -n "$1" xfrm policy add src "$5" dst "$4" dir in \
		tmpl src "$3" dst "$2" proto esp reqid 5 mode tunnel &&
	ip -n "$1" xfrm policy add src "$4" dst "$5" dir out \
		tmpl src "$2" dst "$3" proto esp reqid 5 mode tunnel
}
# kesp_sa_pair NS LOCAL REMOTE LOCAL-NET REMOTE-NET IN-SPI OUT-SPI RPORT
kesp_sa_pair() {
	$KESPCTL -n "$1" sa add dev kesp0 dir out src "$2" dst "$3" proto esp \
		spi "$7" mode tunnel reqid 5 aead 'rfc4106(gcm(aes))' $K 128 \
		encap espinudp 4500 "$8" sel src "$4" dst "$5" >/dev/null &&
	$KESPCTL -n "$1" sa add dev kesp0 dir in src "$3" dst "$2" proto esp \
		spi "$6" mode tunnel reqid 5 replay-window $INTEROP_REPLAY_WINDOW \
		aead 'rfc4106(gcm(aes))' $K 128 encap espinudp "$8" 4500 \
		sel src "$5" dst "$4" >/dev/null
}
# nat_ping WHAT COUNT: pings from x's inner address to y's.
nat_ping() {
	if ip netns exec x $ping -c "$2" -i 0.05 -w 10 -I $XIN $YIN >/tmp/ping.out 2>&1; then
		pass "$1"
	else
		fail "$1" "$(cat /tmp/ping.out)" "$($KESPCTL -n y sa list 2>&1)" \
			"$($KESPCTL -n x sa list 2>&1)" "$(ip netns exec n conntrack -L 2>&1)"
	fi
}
iperf_nat() {
	iperf_server y $YIN
	if ip netns exec x iperf3 -c $YIN -B $XIN -t 1 >/tmp/iperf.out 2>&1; then
		pass "$1"
	else
		fail "$1" "$(tail -5 /tmp/iperf.out)"
	fi
	wait $iperf_server_pid
}
mappings() { grep -c '"event":"mapping"' /tmp/events-y.json; }
# mapping_of EVENT KEY...: the event's values of the KEYs (the port it
# came from is the first "sport", in its encap), "->" before the last
# two (the new source and port).
mapping_of() {
	mo_ev=$1
	shift
	# shellcheck disable=SC2046
	set -- $(printf '%s\n' "$mo_ev" | json_first "$@")
	mo_out=""
	while [ $# -gt 2 ]; do mo_out="$mo_out$1 "; shift; done
	echo "$mo_out-> $*"
}

# XFRM behind the NAT, kesp in front: kesp must see the mapping change,
# first the port, then the address as well.
nat_behind_xfrm() {
	what="IPv$fam through a NAT"
	xfrm_at x $XIN/${XNET#*/}
	kesp_at y $Y $YIN $XNET
	out_spi=0x7301 in_spi=0x7302
	nat_to :5001
	if ! kesp_sa_pair y $Y $N $YNET $XNET $in_spi $out_spi 5001 ||
		! xfrm_sa_pair x $X $Y $XNET $YNET $out_spi $in_spi 4500 4500; then
		fail "$what: configure"
		stop_all
		return
	fi
	ip -n x route add $YNET via $NX src $XIN
	nat_ping "$what (masquerade): XFRM behind it pings kesp and back, ESP in UDP" 4
	iperf_nat "$what: iperf3 TCP from behind it"
	same "$what: no mapping event while the NAT keeps its mapping" "$(mappings)" 0

	# The NAT forgets the mapping and makes a new one on another port.
	nat_to :5002
	ip netns exec x $ping -c 10 -i 0.2 -W 1 -I $XIN $YIN >/tmp/ping.out 2>&1
	wait_line /tmp/events-y.json '"event":"mapping"'
	ev=$(grep '"event":"mapping"' /tmp/events-y.json | head -n 1)
	same "$what: after the NAT's mapping changed, a MAPPING event names the old and new port" \
		"$(mapping_of "$ev" dir src sport new_src new_sport)" \
		"in $N 5001 -> $N 5002"
	n_ev=$(mappings)
	if [ "$n_ev" -ge 1 ] && [ "$n_ev" -le 3 ]; then
		pass "$what: 10 packets in 2 s from the new mapping raise at most one event a second ($n_ev)"
	else
		fail "$what: 10 packets in 2 s from the new mapping raise at most one event a second" \
			"$n_ev events"
	fi
	same "$what: the device counts the mapping events" "$(dev_counter y mappings)" "$n_ev"
	# The key manager follows the NAT: both SAs move to the new port.
	check "$what: kespctl sa update moves the SAs to the new port" sh -c \
		"$KESPCTL -n y sa update dev kesp0 dir out spi $out_spi dst $N encap espinudp 4500 5002 >/dev/null &&
		 $KESPCTL -n y sa update dev kesp0 dir in spi $in_spi encap espinudp 5002 4500 >/dev/null"
	n_ev=$(mappings)
	nat_ping "$what: after the update, traffic flows both ways through the new mapping" 4
	sleep 1.2
	same "$what: and no more mapping events come" "$(mappings)" "$n_ev"

	# Now the NAT's public address changes too.
	ip -n n addr add $N2/$plen dev veth-ny $nodad
	if [ "$fam" = 4 ]; then nat_to "$N2:5003"; else nat_to "[$N2]:5003"; fi
	ip netns exec x $ping -c 5 -i 0.2 -W 1 -I $XIN $YIN >/tmp/ping.out 2>&1
	for _ in $(seq 25); do
		[ "$(mappings)" -gt "$n_ev" ] && break
		sleep 0.2
	done
	ev=$(grep '"event":"mapping"' /tmp/events-y.json | sed -n "$((n_ev + 1))p")
	same "$what: when the NAT's address changes, the event names the old and new address" \
		"$(mapping_of "$ev" src sport new_src new_sport)" \
		"$N 5002 -> $N2 5003"
	# An outbound SA is named by SPI and destination, so one that moves
	# to another destination is named by its id.
	out_id=$($KESPCTL -n y --json sa get dev kesp0 dir out spi $out_spi dst $N | json_first id)
	check "$what: kespctl sa update moves the SAs to the new address and port" sh -c \
		"$KESPCTL -n y sa update dev kesp0 id $out_id src $Y dst $N2 encap espinudp 4500 5003 >/dev/null &&
		 $KESPCTL -n y sa update dev kesp0 dir in spi $in_spi src $N2 dst $Y encap espinudp 5003 4500 >/dev/null"
	nat_ping "$what: after that update, traffic flows both ways again" 4
	# Torn down with its socket still attached: the harness checks the
	# unload and the kernel log after this test. The namespaces stay for
	# nat_behind_kesp: making and deleting them costs seconds of the
	# guest's one CPU.
	stop_daemons
	ip -n y link del kesp0
	ip -n x link del inner
	ip -n x xfrm state flush
	ip -n x xfrm policy flush
	ip -n x route del $YNET
	ip -n n addr del $N2/$plen dev veth-ny
}

# kesp behind the NAT, XFRM in front, as on a road warrior's laptop:
# kesp's datagrams leave through the masquerade and XFRM's replies come
# back through it to kesp's socket.
nat_behind_kesp() {
	what="IPv$fam, kesp behind a NAT"
	kesp_at x $X $XIN $YNET
	xfrm_at y $YIN/${YNET#*/}
	out_spi=0x7311 in_spi=0x7312
	nat_to :5011
	if ! kesp_sa_pair x $X $Y $XNET $YNET $in_spi $out_spi 4500 ||
		! xfrm_sa_pair y $Y $N $YNET $XNET $out_spi $in_spi 4500 5011; then
		fail "$what: configure"
		stop_all
		return
	fi
	ip -n y route add $XNET via $N
	nat_ping "$what (masquerade): kesp pings XFRM and back, ESP in UDP" 4
	iperf_nat "$what: iperf3 TCP from kesp"
	same "$what: kesp sees no mapping change of its own" \
		"$(grep -c '"event":"mapping"' /tmp/events-x.json)" 0
	stop_all
}

K=$(hexkey 20)
for fam in 4 6; do
	nat_topology $fam
	nat_behind_xfrm
	nat_behind_kesp
done
finish
