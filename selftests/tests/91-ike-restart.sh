#!/bin/sh
# An ikehelper restart keeps every tunnel up (ikehelper/persist.c). West's
# ikehelper ("kesp") has two tunnels: cr to strongSwan's charon in east,
# kp to a second ikehelper ("peer") in north; both under ping at 10/s.
#   1. kill -9 of west's ikehelper, restart (well within charon's DPD
#      timeout): zero lost pings; both IKE SAs adopted from its state file,
#      not negotiated again: charon's IKE SA keeps its SPIs, the same in
#      kespctl; then a CHILD_SA rekey and an IKE SA rekey of each tunnel,
#      started by west after the restart, succeed.
#   2. kill -9 of north's ikehelper (a responder), restart: zero lost
#      pings, its IKE SA adopted, and an IKE SA rekey started by it works.
#   3. the negative: west killed again and its state file tampered with
#      (one byte): the restart discards it ("MAC error" in the log), both
#      tunnels are negotiated again, make-before-break: the old kernel SAs
#      stay until the new ones are in, then go; new IKE SPIs at charon,
#      one pair per tunnel in kesp.ko, pings pass: at most 1 s of them
#      lost per tunnel (charon deletes its old SAs when the new IKE_AUTH
#      arrives, and either peer sends on its new SA as soon as it answered,
#      while west is still processing the answer; that window is a few
#      pings at most under load: 0-2 measured; see README).
# Judged by events (log lines, SPIs, counts), waits end when they hold.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"
CHARON_LOG=$(ike_log charon east)

ike_sites
# north: an ikehelper peer, on a wire of its own to west.
netns_add north
ip link add wn netns west type veth peer name wn netns north
printf 'addr add 192.168.201.1/24 dev wn\nlink set wn up\naddr add 10.21.0.1/24 dev site\n' |
	ip -n west -batch -
printf 'addr add 192.168.201.2/24 dev wn\nlink set wn up\n' | ip -n north -batch -
ike_site north 10.22.0.1/24

mkdir -p east
cat >east/swanctl.conf <<EOF
connections {
  cr {
    local_addrs = 192.168.200.2
    remote_addrs = 192.168.200.1
    proposals = aes256gcm16-prfsha256-x25519
    dpd_delay = 30s
    local { auth = psk
      id = charon }
    remote { auth = psk
      id = cr.kesp }
    children { cr { local_ts = 10.12.0.0/24
      remote_ts = 10.11.0.0/24
      esp_proposals = aes128gcm16 } }
  }
}
secrets { ike-1 { secret = $PSK } }
EOF
charon_spawn east east || { fail "charon starts in east"; finish; }

# peer_conf NAME LOCAL REMOTE LTS RTS ID RID: a connection of ikehelper.
peer_conf() { psk_conn "$1" "$2" "$3" "$6" "$7" "$4" "$5" "replay_window = 1024"; }
WEST_CONF="connections {
$(peer_conf cr 192.168.200.1 192.168.200.2 10.11.0.0/24 10.12.0.0/24 cr.kesp charon)
$(peer_conf kp 192.168.201.1 192.168.201.2 10.21.0.0/24 10.22.0.0/24 kp.west kp.north)
}
secrets { ike-s { secret = $PSK } }"
NORTH_CONF="connections {
$(peer_conf kp 192.168.201.2 192.168.201.1 10.22.0.0/24 10.21.0.0/24 kp.north kp.west)
}
secrets { ike-s { secret = $PSK } }"
ikehelper_start north peer "$NORTH_CONF" || { fail "ikehelper starts in north"; finish; }
ikehelper_start west kesp "$WEST_CONF" || { fail "ikehelper starts in west"; finish; }
if ! charon_wait east || ! charon_swanctl east --load-all >/tmp/load.out 2>&1; then
	fail "charon starts in east" "$(cat /tmp/load.out)"
	finish
fi
KLOG=$(ike_log ikehelper kesp)
NLOG=$(ike_log ikehelper peer)
KSTATE=$IKE_STATE/ikehelper-kesp/run/ikehelper.state

check "cr: ikehelper initiates to charon" ikectl west kesp ike up cr
check "kp: ikehelper initiates to ikehelper" ikectl west kesp ike up kp
check "cr: ping" ip netns exec west ping -c 1 -W 5 -I 10.11.0.1 10.12.0.1
check "kp: ping" ip netns exec west ping -c 1 -W 5 -I 10.21.0.1 10.22.0.1

# ike_spis NS NAME CONN: "SPIi SPIr" of each IKE SA of CONN in that
# ikehelper; charon_spis: the same from charon.
ike_spis() {
	ikectl "$1" "$2" --json ike list | grep -o '"\(name\|spi_i\|spi_r\)":"[^"]*"' |
		tr -d '"' | awk -F: -v c="$3" '$1 == "name" { n = $2 } $1 == "spi_i" { i = $2 }
			$1 == "spi_r" && n == c { print i, $2 }'
}
charon_spis() { charon_get east ike cr initiator-spi responder-spi | tr 'A-F' 'a-f'; }
# wait_log LOG PATTERN [N]: until LOG has N (1) lines matching PATTERN
# (90 s: generous under load, ends as soon as it holds).
wait_log() {
	for _ in $(seq 450); do
		[ "$(grep -c -- "$2" "$1")" -ge "${3:-1}" ] && return 0
		sleep 0.2
	done
	return 1
}
# kill9 NAME: kill -9 of that ikehelper, reaped.
kill9() {
	k9=$(cat "$IKE_STATE/ikehelper-$1/pid")
	kill -9 "$k9"
	wait "$k9" 2>/dev/null
}
# pings TAG COUNT: ping both tunnels in the background, 10/s.
pings() {
	ip netns exec west ping -q -i 0.1 -c "$2" -W 3 -I 10.11.0.1 10.12.0.1 >"/tmp/ping-$1-cr" 2>&1 &
	P1=$!
	ip netns exec west ping -q -i 0.1 -c "$2" -W 3 -I 10.21.0.1 10.22.0.1 >"/tmp/ping-$1-kp" 2>&1 &
	P2=$!
}
received() { sed -n 's/.* \([0-9]*\) received.*/\1/p' "/tmp/ping-$1"; }

c0=$(charon_spis)
k0=$(ike_spis west kesp cr)
n0=$(ike_spis north peer kp)
same "before: charon and ikehelper agree on cr's IKE SPIs" "$k0" "$c0"
kchild0=$(conn_spis west kesp cr)

# ---- 1. west: kill -9 and restart under pings ----
pings one 100
sleep 1
kill9 kesp
check "kesp.ko keeps the SAs while ikehelper is down" \
	sh -c "[ \$($KESPCTL -n west sa list | grep -c '^sa ') -eq 4 ]"
ikehelper_start west kesp "$WEST_CONF" || { fail "ikehelper restarts in west"; finish; }
same "west: both IKE SAs adopted" \
	"$(grep -c 'IKE SA adopted after a restart' "$KLOG") $(grep -c 'restart state: 2 IKE SAs adopted, 0 discarded' "$KLOG")" "2 1"
same "cr: adopted, not negotiated again: the same IKE SPIs in kespctl" "$(ike_spis west kesp cr)" "$k0"
same "kp: adopted, the same IKE SPIs on both sides" "$(ike_spis west kesp kp)" "$n0"
same "cr: charon's IKE SA has the same SPIs (no renegotiation)" "$(charon_spis)" "$c0"
same "cr: the same CHILD_SA SPIs" "$(conn_spis west kesp cr)" "$kchild0"
same "west: nothing negotiated again after the restart" \
	"$(awk '/=== ikehelper_start west kesp/ { n++ } n == 2 && /initiating to|negotiating again/' "$KLOG" | wc -l)" 0
# the next rekeys, started by west after the restart
r0=$(grep -c 'CHILD_SA cr{[0-9]*} rekeyed' "$KLOG")
ikectl west kesp ike rekey --child cr >/dev/null
ikectl west kesp ike rekey --child kp >/dev/null
wait_log "$KLOG" 'CHILD_SA cr{[0-9]*} rekeyed' $((r0 + 1)) &&
	wait_log "$KLOG" 'CHILD_SA kp{[0-9]*} rekeyed' 1
same "cr, kp: the CHILD_SA rekeys after the restart succeed" \
	"$(grep -c 'CHILD_SA \(cr\|kp\){[0-9]*} rekeyed' "$KLOG")" 2
ikectl west kesp ike rekey cr >/dev/null
ikectl west kesp ike rekey kp >/dev/null
wait_log "$KLOG" 'IKE SA rekeyed' 2
k1=$(ike_spis west kesp cr)
same "cr, kp: the IKE SA rekeys after the restart succeed" "$(grep -c 'IKE SA rekeyed' "$KLOG")" 2
wait_log "$CHARON_LOG" 'IKE_SA cr\[[0-9]*\] rekeyed\|rekeyed.*IKE_SA' 1 || true
for _ in $(seq 20); do [ "$(charon_spis)" = "$k1" ] && break; sleep 0.5; done
same "cr: charon has the rekeyed IKE SA, one" "$(charon_spis)" "$k1"

# ---- 2. north (a responder): kill -9 and restart ----
kill9 peer
ikehelper_start north peer "$NORTH_CONF" || { fail "ikehelper restarts in north"; finish; }
same "north: its IKE SA adopted" "$(grep -c 'restart state: 1 IKE SA adopted, 0 discarded' "$NLOG")" 1
nr0=$(grep -c 'IKE SA rekeyed' "$NLOG")
ikectl north peer ike rekey kp >/dev/null
wait_log "$NLOG" 'IKE SA rekeyed' $((nr0 + 1))
same "north: an IKE SA rekey it starts after its restart succeeds" \
	"$(grep -c 'IKE SA rekeyed' "$NLOG")" $((nr0 + 1))
wait $P1 $P2
echo "pings across both restarts and the rekeys: cr $(received one-cr)/100, kp $(received one-kp)/100"
same "cr: zero pings lost across the restart and the rekeys" "$(received one-cr)" 100
same "kp: zero pings lost across both restarts and the rekeys" "$(received one-kp)" 100
ikehelper_alive kesp
ikehelper_alive peer

# ---- 3. a tampered state file: discarded, negotiated again ----
c2=$(charon_spis)
pings three 50
sleep 1
kill9 kesp
sz=$(stat -c %s "$KSTATE")
printf '\377' | dd of="$KSTATE" bs=1 seek=$((sz / 2)) conv=notrunc 2>/dev/null
ikehelper_start west kesp "$WEST_CONF" || { fail "ikehelper restarts in west"; finish; }
check "tampered: the state file is discarded, saying why" \
	grep -q 'restart state: .* discarded: MAC error' "$KLOG"
wait_log "$KLOG" 'stale kernel SAs* of connection cr removed' &&
	wait_log "$KLOG" 'stale kernel SAs* of connection kp removed' &&
	wait_log "$KLOG" 'stale kernel SAs* removed: their grace ended'
check "tampered: both tunnels negotiated again" \
	sh -c "[ \$(grep -c 'negotiating again: 1 tunnel of connection' '$KLOG') -eq 2 ]"
# make-before-break: each tunnel's stale outbound SA went after its new
# CHILD_SA was up, its stale inbound SA 2 s later
check "tampered: the old kernel SAs went only after the new CHILD_SAs were up" sh -c "
	awk '/=== ikehelper_start west kesp/ { n++ } n == 3' '$KLOG' | awk '
		/CHILD_SA cr\\{[0-9]*\\} established/ { c = 1 } /CHILD_SA kp\\{[0-9]*\\} established/ { k = 1 }
		/stale kernel SAs* of connection cr removed/ { if (!c) bad = 1; cs = 1 }
		/stale kernel SAs* of connection kp removed/ { if (!k) bad = 1; ks = 1 }
		END { exit bad || !cs || !ks }'"
for _ in $(seq 20); do
	c3=$(charon_spis)
	[ "$(echo "$c3" | wc -l)" = 1 ] && [ "$c3" != "$c2" ] && break
	sleep 0.5
done
same "tampered: charon has one IKE SA for cr, a new one, the same as ikehelper's" \
	"$(echo "$c3" | wc -l) $([ "$c3" != "$c2" ] && echo new) $c3" "1 new $(ike_spis west kesp cr)"
for _ in $(seq 40); do [ "$(kernel_sa_count west)" = 4 ] && break; sleep 0.5; done
same "tampered: kesp.ko holds one pair per tunnel (the stale inbound SAs gone after their grace)" \
	"$(kernel_sa_count west)" 4
wait $P1 $P2
l_cr=$((50 - $(received three-cr))) l_kp=$((50 - $(received three-kp)))
echo "pings across the renegotiation: lost cr $l_cr, kp $l_kp of 50"
same "tampered: pings pass across the renegotiation (at most 1 s of them lost)" \
	"$([ "$l_cr" -le 10 ] && [ "$l_kp" -le 10 ] && echo yes)" yes
check "cr: ping after" ip netns exec west ping -c 1 -W 5 -I 10.11.0.1 10.12.0.1
check "kp: ping after" ip netns exec west ping -c 1 -W 5 -I 10.21.0.1 10.22.0.1
check "the state file is 0600" sh -c "[ \$(stat -c %a '$KSTATE') = 600 ]"

[ "$FAILED" != 0 ] && ike_tail_logs 40
finish
