#!/bin/sh
# The SA lifecycle under load and under faults, judged by events and
# counters (log lines, kesp.ko's SA counters, SPIs), with waits that end as
# soon as what they wait for holds. Three daemons: ikehelper "kesp" in
# west, a second ikehelper "peer" (kesp.ko of its own) in north, charon in
# east.
#
# 1. Rekey under load between the two ikehelpers, each side the rekey
#    initiator on one connection: ab1 (west rekeys: CHILD_SA rekey_time
#    4s, IKE SA 6s, rand_time 1s each) and ab2 (north rekeys, the same).
#    Each carries ping at 20 per second for 15 s and an iperf3 TCP flow
#    (paced at 2 Mbit/s in 8 KB writes, ab1 west -> north, ab2 north ->
#    west). Asserted:
#    zero lost pings, no stall (a run of 0.5 s receiver intervals with 0
#    bytes) of 1 s or more, at least 5 CHILD_SA and 2 IKE SA rekeys in
#    all and some of each per connection, and the drain from kesp.ko's own
#    counters: ikehelper logs what each SA carried as it removes it (its
#    counters read just before the delete), and for every outbound SA a
#    rekey replaced, the other side's inbound SA of that SPI counted at its
#    removal at least the packets the sender had counted (none lost to an
#    early delete; more only if a packet was still in flight when the
#    sender read its counter, which the output shows).
# 2. Forced CHILD_SA rekey collisions, with charon (co, cq) and between the
#    two ikehelpers (bc): both sides start a rekey while IKE between them
#    is dropped (so both requests are out at once; with charon, its
#    request first, as it retransmits longer), then only responses are
#    dropped until each side has answered the other's request (its log
#    says so), then everything passes and the retransmissions get the
#    cached answers (with charon: first charon's answer, until ikehelper
#    logged its verdict, so ikehelper has to wait while charon repeats its
#    request).
#    After each round exactly one pair on each side, the same SPIs, new
#    ones. Between two ikehelpers one round covers both nonce orders (one
#    side deletes its own new pair, the lowest, the other sees the peer's
#    lowest: the log says so when the answer comes, or when the peer's
#    pair or DELETE came first): asserted, and that each side answered
#    the other's request while its own was out. With charon, one round
#    on each of two connections, side by side: ikehelper's test hook
#    (IKEHELPER_TEST_NONCES) makes its own new pair the lowest on co and
#    charon's on cq, and ikehelper's log must say so.
# 3. DPD with dpd_action = restart against charon (kd, dpd_delay 2s):
#    charon's IKE is dropped from the start of the load; the SAs go after
#    dpd_delay and the retransmissions (2 s + retransmissions at 1 s * 1.05^n, 20 tries:
#    about 38 s), the restart is logged, charon is let through again at once,
#    and the restart brings kd back (new IKE SA, ping).
#    close_action against charon (during the collision rounds): charon
#    terminates ca's CHILD_SA and cb's IKE SA (close_action = start: back,
#    ping) and cn's CHILD_SA (close_action = none: stays down).
# Not here: rekey under load against charon (test 96: pings both ways).
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"
CHARON_LOG=$(ike_log charon east)
PINGS=300	# per connection: 15 s at 0.05 s

# conn NAME LOCAL REMOTE LOCAL-ID REMOTE-ID LOCAL-NET REMOTE-NET [CONN-KEYS
# [CHILD-KEYS]]: one connection as swanctl.conf spells it, for all three
# daemons (KEYS: "key = value" pairs, one line each in the output).
# mobike = no: the collision rounds drop IKE on UDP 500, where it stays
# only without MOBIKE (with it IKE_AUTH moves to 4500).
keys() { echo "${1:-}" | sed 's/\([a-z_]* = [^ ]*\) */    \1\n/g'; }
conn() {
	cat <<EOF
  $1 {
    local_addrs = $2
    remote_addrs = $3
    proposals = aes256gcm16-prfsha256-x25519
    mobike = no
$(keys "${8:-}")
    local { auth = psk
      id = $4 }
    remote { auth = psk
      id = $5 }
    children { $1 { local_ts = $6
      remote_ts = $7
      esp_proposals = aes128gcm16
$(keys "${9:-}")
    } }
  }
EOF
}
# The charon connections: NAME and index I, ikehelper at 192.168.200.3I
# with 10.3I.0.0/24 behind it, charon's side 10.4I.0.0/24.
CHARON_CONNS="co:1 kd:2 ca:3 cb:4 cn:5 cq:6 ci:7 cj:8"
REKEY_CONN='rekey_time = 6s rand_time = 1s over_time = 20s'
REKEY_CHILD='rekey_time = 4s life_time = 60s rand_time = 1s replay_window = 1024'

ike_sites
netns_add north
ip link add wire2 netns west type veth peer name wire2 netns north
{
	for i in 1 2 3 4 5 6 7 8; do
		echo "addr add 192.168.200.3$i/24 dev wire"
		echo "addr add 10.3$i.0.1/24 dev site"
	done
	for n in 1 11 21; do echo "addr add 192.168.201.$n/24 dev wire2"; done
	for n in 51 61 71; do echo "addr add 10.$n.0.1/24 dev site"; done
	echo "link set wire2 up"
} | ip -n west -batch -
{
	for n in 2 12 22; do echo "addr add 192.168.201.$n/24 dev wire2"; done
	echo "link set wire2 up"
} | ip -n north -batch -
ike_site north 10.52.0.1/24 10.62.0.1/24 10.72.0.1/24
for i in 1 2 3 4 5 6 7 8; do echo "addr add 10.4$i.0.1/24 dev site"; done | ip -n east -batch -

mkdir -p east
{
	echo "connections {"
	for c in $CHARON_CONNS; do
		i=${c#*:}
		conn "${c%:*}" 192.168.200.2 192.168.200.3$i charon "${c%:*}.kesp" \
			10.4$i.0.0/24 10.3$i.0.0/24 "" "rekey_time = 0"
	done
	echo "}"
	echo "secrets { ike-1 { secret = $PSK } }"
} >east/swanctl.conf
# Both sides retransmit about every second, charon without backoff,
# ikehelper with little (1 s * 1.05^n, 20 tries, its most: intervals of 1
# to 2.7 s): each step of a forced collision waits for one retransmission,
# so it ends within seconds, whatever step it is (with more backoff the
# later steps waited ever longer); the budgets (charon 40 s, ikehelper
# 35.7 s) outlast a loaded guest's slow steps, and DPD's verdict comes
# within dpd_delay + 35.7 s (kd). On a slower guest (TIME_SCALE) every
# interval, and so every budget, is that many times longer.
charon_spawn east east "delete_rekeyed_delay = 2
	retransmit_timeout = $(scaled 1)
	retransmit_base = 1.0
	retransmit_tries = 40"
SETTINGS="ikehelper {
  retransmit_timeout = $(scaled 1)s
  retransmit_tries = 20
  retransmit_base = 1.05
}"
# ab_conns west|north: ab1 (west rekeys), ab2 (north rekeys) and bc (no
# rekey_time) as that side writes them: west at 192.168.201.N with
# 10.M.0.0/24 behind it, north at .N+1 with 10.M+1.0.0/24.
ab_conns() {
	for ac in ab1:1:51:west ab2:11:61:north bc:21:71:-; do
		IFS=: read -r ac_n ac_a ac_net ac_rk <<EOF
$ac
EOF
		ac_w="192.168.201.$ac_a 10.$ac_net.0.0/24 $ac_n.west"
		ac_e="192.168.201.$((ac_a + 1)) 10.$((ac_net + 1)).0.0/24 $ac_n.north"
		# shellcheck disable=SC2086
		if [ "$1" = west ]; then set -- west $ac_w $ac_e; else set -- north $ac_e $ac_w; fi
		if [ "$ac_rk" = "$1" ]; then
			conn "$ac_n" "$2" "$5" "$4" "$7" "$3" "$6" "$REKEY_CONN" "$REKEY_CHILD"
		else
			conn "$ac_n" "$2" "$5" "$4" "$7" "$3" "$6" "" "rekey_time = 0 replay_window = 1024"
		fi
	done
}
kesp_conf() {
	echo "connections {"
	ab_conns west
	conn co 192.168.200.31 192.168.200.2 co.kesp charon 10.31.0.0/24 10.41.0.0/24 \
		"" "rekey_time = 0"
	conn kd 192.168.200.32 192.168.200.2 kd.kesp charon 10.32.0.0/24 10.42.0.0/24 \
		"dpd_delay = 2s" "rekey_time = 0 dpd_action = restart"
	conn ca 192.168.200.33 192.168.200.2 ca.kesp charon 10.33.0.0/24 10.43.0.0/24 \
		"" "rekey_time = 0 close_action = start"
	conn cb 192.168.200.34 192.168.200.2 cb.kesp charon 10.34.0.0/24 10.44.0.0/24 \
		"" "rekey_time = 0 close_action = start"
	conn cn 192.168.200.35 192.168.200.2 cn.kesp charon 10.35.0.0/24 10.45.0.0/24 \
		"" "rekey_time = 0 close_action = none"
	for c in cq:6 ci:7 cj:8; do
		conn "${c%:*}" "192.168.200.3${c#*:}" 192.168.200.2 "${c%:*}.kesp" charon \
			"10.3${c#*:}.0.0/24" "10.4${c#*:}.0.0/24" "" "rekey_time = 0"
	done
	echo "}"
	echo "secrets { ike-1 { secret = $PSK } }"
	echo "$SETTINGS"
}
peer_conf() {
	echo "connections {"
	ab_conns north
	echo "}"
	echo "secrets { ike-1 { secret = $PSK } }"
	echo "$SETTINGS"
}
# co, cq (CHILD_SA) and ci, cj (IKE SA): each forced collision with charon
# ends the way the test chose (ikehelper's test hook, see ikehelper(8)): on
# co and ci ikehelper's own rekey carries the lowest nonce, on cq and cj
# charon's does.
export IKEHELPER_TEST_NONCES="co=low cq=high ci=low cj=high"
ikehelper_start west kesp "$(kesp_conf)"
ih_west=$?
unset IKEHELPER_TEST_NONCES
if [ "$ih_west" != 0 ] || ! ikehelper_start north peer "$(peer_conf)"; then
	fail "both ikehelpers start"
	finish
fi
if ! charon_wait east || ! charon_swanctl east --load-all >/tmp/load.out 2>&1; then
	fail "charon starts in east" "$(cat /tmp/load.out)"
	finish
fi
KA=$(ike_log ikehelper kesp)
KB=$(ike_log ikehelper peer)

# All up side by side: west initiates all but ab2, north initiates ab2.
# (wait for these by pid: a bare wait would wait for the daemons too)
ups=""
for c in ab1 bc co kd ca cb cn cq ci cj; do
	(ikectl west kesp ike up $c >/tmp/up90-$c 2>&1; echo $? >>/tmp/up90-$c) &
	ups="$ups $!"
done
(ikectl north peer ike up ab2 >/tmp/up90-ab2 2>&1; echo $? >>/tmp/up90-ab2) &
wait $ups $!
for c in ab1 ab2 bc co kd ca cb cn cq ci cj; do
	if [ "$(tail -n 1 /tmp/up90-$c)" = 0 ]; then
		pass "$c: up"
	else
		fail "$c: up" "$(cat /tmp/up90-$c)"
	fi
done

# spis_kesp NS ADDR / spis_xfrm NS ADDR: the SPIs of the SAs with ADDR at
# one end, in kesp.ko / XFRM of NS, sorted, on one line.
spis_kesp() {
	$KESPCTL -n "$1" sa list | awk -v a="$2" '
		$1 == "sa" { for (i = 1; i < NF; i++) if ($i == "spi") s = $(i + 1) }
		$1 == "src" && ($2 == a || $4 == a) { print s }' | sort | tr '\n' ' '
}
spis_xfrm() {
	ip -n "$1" xfrm state | awk -v a="$2" '$1 == "src" { c = $2 == a || $4 == a }
		$1 == "proto" && c { print $4 }' | sort | tr '\n' ' '
}
# settled ADDR xfrm|kesp NS: one pair with ADDR in west's kesp.ko, the same
# SPIs on the other side (NS's XFRM or kesp.ko).
settled() {
	st_k=$(spis_kesp west "$1")
	[ "$(echo "$st_k" | wc -w)" = 2 ] && [ "$st_k" = "$(spis_"$2" "$3" "$1")" ]
}
# wait_for (ike_lib.sh) counts wall-clock time: under load each try may
# take seconds.
# ping1 N: one ping from 10.N.0.1 to 10.(N+1).0.1 (ab1, ab2, bc: to north;
# with N 31..38: 10.(N+10).0.1 in east).
ping1() {
	case $1 in
	3*) p_to=10.$(($1 + 10)).0.1 ;;
	*) p_to=10.$(($1 + 1)).0.1 ;;
	esac
	ip netns exec west ping -c 1 -W 2 -I "10.$1.0.1" "$p_to" >/dev/null 2>&1
}
for n in 51 61 71 31 32 33 34 35 36 37 38; do
	wait_for 10 ping1 $n || fail "ping through 10.$n.0.1 before the load"
done

# ---- 1. rekey under load between two ikehelpers; meanwhile kd is frozen ----
ip netns exec east nft -f - <<'EON'
table inet frz90 {
	chain in { type filter hook input priority 0; ip saddr 192.168.200.32 udp dport { 500, 4500 } drop; }
}
EON
t_frz=$(date +%s)
rm -f /tmp/l90.dead /tmp/l90.thaw /tmp/l90.kdsas
# When DPD found charon dead (kd's restart logged): kd's SAs in kesp.ko,
# and charon let through again at once.
(
	wait_for 90 log_has kesp 'kd\[[0-9]+\] CHILD_SA kd: the peer is dead, restarting it' || exit 0
	date +%s >/tmp/l90.dead
	spis_kesp west 192.168.200.32 | wc -w >/tmp/l90.kdsas
	ip netns exec east nft delete table inet frz90
	date +%s >/tmp/l90.thaw
) &
kd_watch=$!

# iperf3 servers with 0.5 s intervals as JSON: the receiving side's view.
iperf_json_server north 10.52.0.1 5201 /tmp/ip90-s5201.json || fail "ab1's iperf3 server listens"
sv1=$iperf_json_pid
iperf_json_server west 10.61.0.1 5202 /tmp/ip90-s5202.json || fail "ab2's iperf3 server listens"
sv2=$iperf_json_pid
start=$(date +%s)
# the logs' lines before the load (the drain check reads what follows)
la0=$(wc -l <"$KA") lb0=$(wc -l <"$KB")
ip netns exec west iperf3 -c 10.52.0.1 -B 10.51.0.1 -p 5201 -t 15 -i 0.5 -b 2M -l 8K -J >/tmp/ip90-c1.json 2>&1 &
ic1=$!
ip netns exec north iperf3 -c 10.61.0.1 -B 10.62.0.1 -p 5202 -t 15 -i 0.5 -b 2M -l 8K -J >/tmp/ip90-c2.json 2>&1 &
ic2=$!
ip netns exec west ping -q -i 0.05 -c $PINGS -W 2 -I 10.51.0.1 10.52.0.1 >/tmp/ping90-ab1 2>&1 &
p1=$!
ip netns exec west ping -q -i 0.05 -c $PINGS -W 2 -I 10.61.0.1 10.62.0.1 >/tmp/ping90-ab2 2>&1 &
p2=$!
wait $p1 $p2
end=$(date +%s)
# what the logs said while the load ran
tail -n +$((la0 + 1)) "$KA" >/tmp/l90.ka
tail -n +$((lb0 + 1)) "$KB" >/tmp/l90.kb
# the rekeys the load covered
rk1=$(grep -c 'ab1\[[0-9]*\] CHILD_SA ab1{[0-9]*} rekeyed: SPIs' /tmp/l90.ka)
rk2=$(grep -c 'ab2\[[0-9]*\] CHILD_SA ab2{[0-9]*} rekeyed: SPIs' /tmp/l90.kb)
ik1=$(grep -c 'ab1\[[0-9]*\] IKE SA rekeyed' /tmp/l90.ka)
ik2=$(grep -c 'ab2\[[0-9]*\] IKE SA rekeyed' /tmp/l90.kb)
# removed LOG: "out|in SPI PACKETS" for each SA of ab1/ab2 that LOG's
# ikehelper removed, as it logged (kesp.ko's counters just before).
removed() {
	sed -n 's/.*CHILD_SA ab[12]{[0-9]*}: \(out\|in\)bound SA \([0-9a-f]*\) removed after \([0-9]*\) packets.*/\1 \2 \3/p' "$1"
}
# the outbound SAs replaced while the load ran: "SENDER SPI PACKETS"
{ removed /tmp/l90.ka | sed -n 's/^out /a /p'; removed /tmp/l90.kb | sed -n 's/^out /b /p'; } >/tmp/l90.sent
wait $ic1
rc1=$?
wait $ic2
rc2=$?
wait $sv1 $sv2

received() { sed -n 's/.* \([0-9]*\) received.*/\1/p' "/tmp/ping90-$1"; }
lost=$((2 * PINGS - $(received ab1) - $(received ab2)))
echo "ab1 (west rekeys): $rk1 CHILD_SA rekeys, $ik1 IKE SA rekeys, $(received ab1) of $PINGS pings answered"
echo "ab2 (north rekeys): $rk2 CHILD_SA rekeys, $ik2 IKE SA rekeys, $(received ab2) of $PINGS pings answered"
same "ab1: zero pings lost across west's rekeys" "$(received ab1)" $PINGS
same "ab2: zero pings lost across north's rekeys" "$(received ab2)" $PINGS
same "at least 5 CHILD_SA and 2 IKE SA rekeys under the load, each side rekeying" \
	"$([ $((rk1 + rk2)) -ge 5 ] && [ $((ik1 + ik2)) -ge 2 ] && [ "$rk1" -ge 2 ] && [ "$rk2" -ge 2 ] &&
		[ "$ik1" -ge 1 ] && [ "$ik2" -ge 1 ] && echo yes)" yes
# iperf3, each receiver's intervals: "SECONDS-COVERED LONGEST-ZERO-RUN MBIT"
s1=$(iperf_stalls /tmp/ip90-s5201.json)
s2=$(iperf_stalls /tmp/ip90-s5202.json)
for x in "ab1 $rc1 $s1 $(iperf_retransmits /tmp/ip90-c1.json)" \
	"ab2 $rc2 $s2 $(iperf_retransmits /tmp/ip90-c2.json)"; do
	set -- $x
	echo "$1 iperf3 received: $3 s in 0.5 s intervals, $5 Mbit/s, longest stall $4 s, $6 TCP retransmits"
	same "$1: iperf3 ran through the rekeys (>= 10 s received) with no stall of 1 s or more" \
		"$(awk -v rc="$2" -v all="$3" -v m="$4" 'BEGIN { print (rc == 0 && all >= 10 && m < 1.0) ? "yes" : "no" }')" yes
done
ms=$(awk '{ m = $2 > m ? $2 : m } END { print m + 0 }' <<EOF
$s1
$s2
EOF
)

# drain: for each replaced outbound SA, the other side's inbound SA of
# that SPI as it was removed (after its grace). "SENT MATCHED NOT-LESS
# EQUAL SENT-WITH-NONE TX-PACKETS RX-PACKETS"
drain() {
	{ removed "$KA" | sed -n 's/^in /b /p'; removed "$KB" | sed -n 's/^in /a /p'; } >/tmp/l90.rcvd
	awk 'NR == FNR { q[$1, $2] = $3; next }
		{ n++; tx += $3; if ($3 == 0) z++
		  if (($1, $2) in q) { m++; rx += q[$1, $2]; if (q[$1, $2] >= $3) ok++; if (q[$1, $2] == $3) eq++ } }
		END { printf "%d %d %d %d %d %d %d\n", n, m, ok, eq, z, tx, rx }' /tmp/l90.rcvd /tmp/l90.sent
}
drained() { set -- $(drain); [ "$1" = "$2" ]; }
wait_for 20 drained
set -- $(drain)
echo "drain: $1 replaced outbound SAs, $2 matched to the peer's inbound SA, $3 of them received at least what was sent ($4 exactly), $6 packets sent on them, $7 received"
echo "drain: $5 of the replaced outbound SAs had sent nothing (replaced as the load started)"
same "drain: every replaced SA pair delivered on its old inbound SA what its old outbound SA sent, before the delete (>= 10 of them carrying packets)" \
	"$([ $(($1 - $5)) -ge 10 ] && [ "$2" = "$1" ] && [ "$3" = "$1" ] && echo yes)" yes
echo "rekey under load, ikehelper <-> ikehelper: $((rk1 + rk2)) CHILD_SA rekeys, $((ik1 + ik2)) IKE SA rekeys (each side initiating) in $((end - start)) s, $lost of $((2 * PINGS)) pings lost, longest iperf3 stall $ms s, $3 of $1 replaced SAs drained"
# the load is over: no more rekeys on ab1/ab2
ikectl west kesp ike down ab1 >/dev/null 2>&1
ikectl north peer ike down ab2 >/dev/null 2>&1

# ---- 2. forced collisions (co with charon, bc between ikehelpers) ----
# ---- meanwhile close_action against charon, and kd's DPD goes on ----
swanctl_bg() { charon_swanctl east "$@" --timeout "$(scaled 30)" >>"$CHARON_LOG" 2>&1 & }
# ike_spis CONN: "SPIi SPIr" of each IKE SA of CONN in west's ikehelper
ike_spis() {
	ikectl west kesp --json ike list | grep -o '"\(name\|spi_i\|spi_r\)":"[^"]*"' |
		tr -d '"' | awk -F: -v c="$1" '$1 == "name" { n = $2 } $1 == "spi_i" { i = $2 }
			$1 == "spi_r" && n == c { print i, $2 }'
}
ca0=$(spis_kesp west 192.168.200.33)
cb0=$(ike_spis cb)
swanctl_bg --terminate --child ca
sw1=$!
swanctl_bg --terminate --ike cb
sw2=$!
swanctl_bg --terminate --child cn
sw3=$!

# block NS TABLE ADDR: drop IKE (UDP 500) to and from ADDR in NS.
# answers_only NS OLD NEW ADDR: in one transaction, OLD goes and NEW drops
# only the responses (the IKE header's flags, byte 19 after the UDP
# header: R = 0x20), so requests pass.
block() {
	ip netns exec "$1" nft -f - <<EON
table inet $2 {
	chain in { type filter hook input priority 0; ip saddr $3 udp dport 500 drop; }
	chain out { type filter hook output priority 0; ip daddr $3 udp dport 500 drop; }
}
EON
}
# charon_answers_first NS OLD NEW ADDR: OLD goes; NEW drops only the
# responses from ADDR (ikehelper's answers), so charon's reach ikehelper.
charon_answers_first() {
	ip netns exec "$1" nft -f - <<EON
delete table inet $2
table inet $3 {
	chain in { type filter hook input priority 0; ip saddr $4 udp dport 500 @th,216,8 & 0x20 == 0x20 drop; }
}
EON
}
answers_only() {
	ip netns exec "$1" nft -f - <<EON
delete table inet $2
table inet $3 {
	chain in { type filter hook input priority 0; ip saddr $4 udp dport 500 @th,216,8 & 0x20 == 0x20 drop; }
	chain out { type filter hook output priority 0; ip daddr $4 udp dport 500 @th,216,8 & 0x20 == 0x20 drop; }
}
EON
}
count() { grep -c "$1" "$2"; }
answered() { count "$1\[[0-9]*\] CHILD_SA $1{[0-9]*}: rekey answered" "$2"; }
# our own new pair had the lowest nonce and we deleted it (found so when
# our answer came, or the peer's pair had already replaced the old one and
# its DELETE of the old pair came first)
lo() {
	grep -c -e "$1\[[0-9]*\] CHILD_SA $1{[0-9]*}: simultaneous rekey, our new pair has the lowest" \
		-e "$1\[[0-9]*\] CHILD_SA $1: the pair our rekey replaces was \(replaced\|deleted\) meanwhile: deleting our new pair" "$2"
}
# the peer's pair had the lowest nonce: our answer came first, or the
# peer's DELETE of its redundant pair did
hi() {
	grep -c -e "$1\[[0-9]*\] CHILD_SA $1{[0-9]*}: simultaneous rekey, the peer's pair has the lowest" \
		-e "$1\[[0-9]*\] the peer deleted its new pair [0-9a-f]*_i of CHILD_SA $1{[0-9]*} (a simultaneous rekey)" "$2"
}
above() { [ "$(eval "$1")" -gt "$2" ]; }	# "CMD ARGS" N
verdict() { echo $(($(lo "$1" "$KA") + $(hi "$1" "$KA"))); }	# CONN: ikehelper's collision lines
co_msgs() { count "$1|[0-9]*> generating CREATE_CHILD_SA $2" "$CHARON_LOG"; }	# CONN request|response
# round_end NS TABLE ADDR xfrm|kesp OLD-SPIS CMD1 N1 CMD2 N2: once both
# sides answered (CMD1 and CMD2 count above N1 and N2), TABLE in NS goes;
# ok_new=1 when a new pair settles (SPIs unlike OLD-SPIS).
round_end() {
	wait_for 25 above "$6" "$7"
	wait_for 25 above "$8" "$9"
	ip netns exec "$1" nft delete table inet "$2"
	ok_new=0
	wait_for 30 settled "$3" "$4" "$1" && [ "$(spis_kesp west "$3")" != "$5" ] && ok_new=1
}
# forced_collision CONN ADDR SWANCTL-FLAG KESPCTL-FLAG ANSWERED VERDICT: the
# steps of a forced rekey collision with charon on CONN (ikehelper at ADDR),
# of CHILD_SAs (--child --child) or IKE SAs (--ike ""). ANSWERED CONN LOG
# and VERDICT CONN count ikehelper's "answered the peer's rekey" and
# collision lines. Charon's request goes out (lost), then ikehelper's
# (lost: its retransmission budget starts last), then requests pass and
# answers not until each side has answered the other's; then charon's
# answers pass first, until ikehelper logged its verdict, then all: were
# charon's exchange to complete first while its answer to ours is still
# lost, it would delete the old pair or IKE SA under our unanswered request
# (seen on a loaded guest), and with ikehelper's pair lowest ikehelper must
# wait for charon's DELETE of the old pair while charon repeats its request.
forced_collision() {
	fc_v=$($6 "$1")
	block east "${1}1" "$2"
	fc_req=$(co_msgs "$1" request)
	charon_swanctl east --rekey "$3" "$1" >/dev/null 2>&1
	wait_for 20 above "co_msgs $1 request" "$fc_req"
	fc_a=$($5 "$1" "$KA") fc_ans=$(co_msgs "$1" response)
	# shellcheck disable=SC2086
	ikectl west kesp ike rekey $4 "$1" >/dev/null
	answers_only east "${1}1" "${1}2" "$2"
	wait_for 25 above "$5 $1 $KA" "$fc_a"
	wait_for 25 above "co_msgs $1 response" "$fc_ans"
	charon_answers_first east "${1}2" "${1}3" "$2"
	wait_for 25 above "$6 $1" "$fc_v"
	ip netns exec east nft delete table inet "${1}3"
}
# co_round CONN ADDR: a forced CHILD_SA rekey collision with charon on CONN
# (ikehelper at ADDR). Leaves "OK LO HI" in
# /tmp/l90.CONN: a new settled pair, and how many collisions ikehelper
# logged in this round with its own new pair lowest and with charon's.
co_round() {
	cr_old=$(spis_kesp west "$2")
	cr_lo=$(lo "$1" "$KA") cr_hi=$(hi "$1" "$KA")
	forced_collision "$1" "$2" --child --child answered verdict
	ok_new=0
	wait_for 30 settled "$2" xfrm east && [ "$(spis_kesp west "$2")" != "$cr_old" ] && ok_new=1
	echo "$ok_new $(($(lo "$1" "$KA") - cr_lo)) $(($(hi "$1" "$KA") - cr_hi))" >"/tmp/l90.$1"
}
# ike_round CONN ADDR: the same with IKE SA rekeys (swanctl --rekey --ike,
# kespctl ike rekey). Leaves "OK LO HI ROLE" in /tmp/l90.CONN: one IKE SA
# on each side with the same new SPIs, ikehelper's collision lines, and
# its role on the surviving IKE SA (initiator: its own rekey's SA stayed;
# responder: charon's did), which tells the outcome whichever message came
# first.
ike_answered() { count "$1\[[0-9]*\] the peer rekeys the IKE SA as we do" "$2"; }
ike_lo() { count "$1\[[0-9]*\] simultaneous IKE SA rekey: ours has the lowest" "$KA"; }
ike_hi() { count "$1\[[0-9]*\] simultaneous IKE SA rekey: the peer's has the lowest" "$KA"; }
ike_verdict_n() { echo $(($(ike_lo "$1") + $(ike_hi "$1"))); }
ike_spis_c() { charon_get east ike "$1" initiator-spi responder-spi | tr 'A-F' 'a-f'; }
ike_role() {
	ikectl west kesp --json ike list | grep -o '"\(name\|role\)":"[^"]*"' | tr -d '"' |
		awk -F: -v c="$1" '$1 == "name" { n = $2 } $1 == "role" && n == c { print $2 }'
}
ike_settled() { ir_k=$(ike_spis "$1"); [ -n "$ir_k" ] && [ "$ir_k" != "$2" ] && [ "$(echo "$ir_k" | wc -l)" = 1 ] && [ "$ir_k" = "$(ike_spis_c "$1")" ]; }
ike_round() {
	ir_old=$(ike_spis "$1")
	ir_lo=$(ike_lo "$1") ir_hi=$(ike_hi "$1")
	forced_collision "$1" "$2" --ike "" ike_answered ike_verdict_n
	ir_ok=0
	wait_for 30 ike_settled "$1" "$ir_old" && ir_ok=1
	echo "$ir_ok $(($(ike_lo "$1") - ir_lo)) $(($(ike_hi "$1") - ir_hi)) $(ike_role "$1")" >"/tmp/l90.$1"
	[ "$ir_ok" = 1 ] || ike_unsettled "$1" "$ir_old" >"/tmp/l90.$1.why"
}
# ike_unsettled CONN OLD: what each side held when CONN did not settle, and
# what both logged of CONN's IKE SAs, for the report of a failed round.
ike_unsettled() {
	echo "old IKE SA $2; ikehelper's: $(ike_spis "$1" | tr '\n' ';') charon's: $(ike_spis_c "$1" | tr '\n' ';')"
	grep -i "$1\[[0-9]*\].*\(IKE SA\|delete\)" "$KA" | tail -n 15
	grep "<$1|[0-9]*>.*\(IKE_SA\|delet\)" "$CHARON_LOG" | tail -n 15
}
# bc_round: the same between the two ikehelpers (both requests lost, then
# answers only, then all). Leaves "OK" in /tmp/l90.bc.
bc_round() {
	br_old=$(spis_kesp west 192.168.201.21)
	block north bcl1 192.168.201.21
	br_a=$(answered bc "$KA") br_b=$(answered bc "$KB")
	ikectl west kesp ike rekey --child bc >/dev/null
	ikectl north peer ike rekey --child bc >/dev/null
	answers_only north bcl1 bcl2 192.168.201.21
	round_end north bcl2 192.168.201.21 kesp "$br_old" "answered bc $KA" "$br_a" \
		"answered bc $KB" "$br_b"
	echo "$ok_new" >/tmp/l90.bc
}
# One round of each, side by side. With charon both nonce orders: on co
# ikehelper's nonces make its own new pair the lowest, on cq charon's
# (IKEHELPER_TEST_NONCES); between the ikehelpers one round covers both.
rm -f /tmp/l90.co /tmp/l90.cq /tmp/l90.ci /tmp/l90.cj /tmp/l90.bc /tmp/l90.ci.why /tmp/l90.cj.why
# Five rounds side by side poll their logs once a second each (every poll
# starts processes, and at 0.5 s they took a loaded guest's CPU).
WF_STEP=1
co_round co 192.168.200.31 &
crp=$!
co_round cq 192.168.200.36 &
cqp=$!
ike_round ci 192.168.200.37 &
cip=$!
ike_round cj 192.168.200.38 &
cjp=$!
bc_round &
wait $crp $cqp $cip $cjp $!
WF_STEP=0.5
bc_ok=$(cat /tmp/l90.bc 2>/dev/null)
# charon's own verdict on CONN's collision: "won" (it kept its new pair or
# IKE SA) or "lost" (it deleted it as redundant), as it logged it
charon_verdict() {
	sed -n "s/.*<$1|[0-9]*> \(CHILD\|IKE\)_SA rekey collision won.*/won/p
		s/.*<$1|[0-9]*> \(CHILD\|IKE\)_SA rekey.* deleting redundant .*/lost/p" "$CHARON_LOG" | tr '\n' ' '
}
# co_verdict CONN BIAS "LO HI" WHAT: CONN's round as /tmp/l90.CONN left it.
co_verdict() {
	set -- "$@" $(cat "/tmp/l90.$1" 2>/dev/null || echo 0 0 0)
	echo "$1 (charon; ikehelper's nonces $2): 1 forced collision, ikehelper logged $6 with its own new pair lowest, $7 with charon's; charon logged: $(charon_verdict "$1"); one new pair on each side after: $5"
	same "$1: after the forced collision with charon one new pair on each side, the same SPIs" "$5" 1
	same "$1: $4" "$([ "$6" -gt 0 ] && echo own) $([ "$7" -gt 0 ] && echo charon)" "$3"
}
co_verdict co low "own " "ikehelper's own new pair had the lowest nonce: ikehelper deleted it"
co_verdict cq high " charon" "charon's new pair had the lowest nonce: charon deleted it, ikehelper kept its own"
# ike_verdict CONN BIAS ROLE WHAT: the same for an IKE SA round; ROLE is
# ikehelper's on the survivor.
ike_verdict() {
	set -- "$@" $(cat "/tmp/l90.$1" 2>/dev/null || echo 0 0 0 none)
	echo "$1 (charon, IKE SA; ikehelper's nonces $2): 1 forced collision, ikehelper logged $6 with its own new IKE SA lowest, $7 with charon's; charon logged: $(charon_verdict "$1"); one IKE SA on each side with the same new SPIs after: $5, ikehelper its $8"
	same "$1: after the forced IKE SA rekey collision with charon one IKE SA on each side, the same new SPIs" "$5" 1
	sed 's/^/  /' "/tmp/l90.$1.why" 2>/dev/null
	same "$1: $4" "${8:-none}" "$3"
}
ike_verdict ci low responder "ikehelper's own new IKE SA had the lowest nonce: charon's survived (ikehelper is its responder)"
ike_verdict cj high initiator "charon's new IKE SA had the lowest nonce: ikehelper's own survived (ikehelper is its initiator)"
# charon logs "won" on one path and nothing on another, but it never
# may have deleted its own product on co and ci, nor kept it on cq and cj
same "co, cq, ci, cj: charon's log agrees (it did not delete its new SA on co and ci, nor keep it on cq and cj)" \
	"$(charon_verdict co | grep -c lost) $(charon_verdict cq | grep -c won) $(charon_verdict ci | grep -c lost) $(charon_verdict cj | grep -c won)" "0 0 0 0"
echo "bc (ikehelpers): 1 forced collision: west saw $(lo bc "$KA") with its own nonce lowest, $(hi bc "$KA") with the peer's; north $(lo bc "$KB") / $(hi bc "$KB"); one new pair on each side after ${bc_ok:-0}"
same "bc: after the forced collision one new pair on each ikehelper, the same SPIs" "${bc_ok:-0}" 1
# one side's own pair had the lowest nonce, the other saw the peer's lowest
bc_orders() {
	if [ "$(lo bc "$KA")" -gt 0 ] && [ "$(hi bc "$KB")" -gt 0 ]; then
		echo "west's pair lowest"
	elif [ "$(lo bc "$KB")" -gt 0 ] && [ "$(hi bc "$KA")" -gt 0 ]; then
		echo "north's pair lowest"
	else
		echo none
	fi
}
echo "bc: $(bc_orders)"
same "bc: each ikehelper answered the other's rekey while its own was out" \
	"$(grep -l "bc\[[0-9]*\] the peer rekeys CHILD_SA bc{[0-9]*} as we do" "$KA" "$KB" | wc -l)" 2
same "bc: both nonce orders in one collision, one on each side" \
	"$(bc_orders | grep -c lowest)" 1
check "co: ping after the collisions" ping1 31
check "cq: ping after the collisions" ping1 36
check "ci: ping after the IKE SA collision (the CHILD_SA moved to the new IKE SA)" ping1 37
check "cj: ping after the IKE SA collision (the CHILD_SA moved to the new IKE SA)" ping1 38
check "bc: ping after the collisions" ping1 71

# close_action: the terminates ran meanwhile
wait $sw1 $sw2 $sw3
wait_for 20 ping1 33
check "ca: charon deleted the CHILD_SA, ikehelper logged it, close_action = start made it again" \
	log_has kesp 'ca\[[0-9]+\] CHILD_SA ca: the peer deleted it, restarting it'
same "ca: a new pair, ping passes" \
	"$(ping1 33 && [ "$(spis_kesp west 192.168.200.33)" != "$ca0" ] && settled 192.168.200.33 xfrm east && echo yes)" yes
wait_for 20 ping1 34
check "cb: charon deleted the IKE SA, close_action = start made it again" \
	log_has kesp 'cb\[[0-9]+\] CHILD_SA cb: the peer deleted the IKE SA, restarting it'
same "cb: a new IKE SA, ping passes" \
	"$(ping1 34 && [ -n "$(ike_spis cb)" ] && [ "$(ike_spis cb)" != "$cb0" ] && echo yes)" yes
check "cn: charon deleted the CHILD_SA, ikehelper logged it" \
	log_has kesp 'cn\[[0-9]+\] the peer deleted CHILD_SA cn\{'
same "cn: close_action = none left it down (no SA in kesp.ko, nothing restarted)" \
	"$(spis_kesp west 192.168.200.35)$(grep -c 'cn\[[0-9]*\] .*restart' "$KA")" "0"

# ---- 3. DPD, dpd_action = restart ----
wait $kd_watch
t_dead=$(cat /tmp/l90.dead 2>/dev/null || echo never)
echo "DPD: kd frozen at 0 s, found dead and restarting at $([ "$t_dead" != never ] && echo $((t_dead - t_frz)) || echo never) s, charon let through at $(($(cat /tmp/l90.thaw 2>/dev/null || echo "$t_frz") - t_frz)) s"
check "DPD: kd failed, charon did not answer" grep -q 'kd\[[0-9]*\] failed: .* did not answer our' "$KA"
same "DPD: kd's SAs gone from kesp.ko when ikehelper found charon dead, within dpd_delay + retransmissions (2 + $(scaled 36) s; $(scaled 55) allowed)" \
	"$(cat /tmp/l90.kdsas 2>/dev/null) $([ "$t_dead" != never ] && [ $((t_dead - t_frz)) -le "$(scaled 55)" ] && echo in-time)" "0 in-time"
wait_for 30 log_has kesp 'kd\[[0-9]+\] restarted'
t_back=$(date +%s)
check "DPD: the restart brought kd back (logged restarted)" log_has kesp 'kd\[[0-9]+\] restarted'
wait_for 10 ping1 32
check "DPD: ping through kd after the restart" ping1 32
echo "DPD: kd seen back (after the collisions) $((t_back - $(cat /tmp/l90.thaw 2>/dev/null || echo "$t_back"))) s after charon answered again"
ikehelper_alive kesp
ikehelper_alive peer

[ "$FAILED" != 0 ] && ike_tail_logs 60
finish
