#!/bin/sh
# Per-CPU CHILD_SAs (RFC 9611, per_cpu_sas = yes in ikehelper's child).
# First against strongSwan's charon 5.9.8, which has no RFC 9611: it must
# take the request (SA_RESOURCE_INFO is a status notify it ignores), and
# ikehelper, not answered with the notify, keeps an ordinary CHILD_SA: no
# pcpu-acquire flag on its outbound SA, and traffic from both CPUs leaves
# no second CHILD_SA behind; west's parallel_crypto = yes puts flag
# parallel on both its SAs, and charon's TCP bulk is decrypted by kesp.ko's
# workers without an error. Then ikehelper <-> ikehelper (no RFC 9611 peer
# is packaged for Debian 12: strongSwan 6 and Linux 6.13 have it), east
# taking one per-CPU SA beside the fallback (per_cpu_sas_max = 1):
#   - the first CHILD_SA is the fallback, its outbound SA in kesp.ko has
#     flag pcpu-acquire; its SAs have flag parallel, CPU 0's do not;
#   - pings pinned to CPU 0 raise kesp.ko's per-CPU ACQUIRE, ikehelper
#     negotiates a CHILD_SA whose outbound SA serves CPU 0 (kesp.ko: cpu 0),
#     east binds its side to its own CPU 0, and from then on CPU 0's pings
#     leave on it, none on the fallback (the SAs' packet counters);
#   - CPU 1's ask is answered TS_MAX_QUEUED, both logs say so, and CPU 1's
#     pings keep going on the fallback, all answered;
#   - a rekey of both CHILD_SAs keeps each one's place (the new pair of
#     CPU 0's is still bound to CPU 0, the new fallback still asks), and
#     CPU 0's pings leave on the new pair.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"
CHARON_LOG=$(ike_log charon east)
PSK=Pcpu-kesp-0x9611-Tq81zW0pL5

ike_sites
mkdir -p east
cat >east/swanctl.conf <<EOF
connections {
$(psk_conn pc 192.168.200.2 192.168.200.1 east.peer west.kesp 10.12.0.0/24 10.11.0.0/24)
}
secrets { ike-1 { secret = $PSK } }
EOF
if ! charon_start east east || ! charon_swanctl east --load-all >/tmp/load.out 2>&1; then
	fail "charon starts in east" "$(cat /tmp/load.out)"
	finish
fi
if ! ikehelper_start west kesp "$(
	echo "connections {"
	psk_conn pc 192.168.200.1 192.168.200.2 west.kesp east.peer 10.11.0.0/24 10.12.0.0/24 \
		"per_cpu_sas = yes
      parallel_crypto = yes"
	echo "}"
	echo "secrets { ike-east { id = east.peer
    secret = $PSK } }"
)"; then
	fail "ikehelper starts in west"
	finish
fi

# pings CPU N: N pings 10.11.0.1 -> 10.12.0.1 sent from CPU; the replies.
pings() {
	ip netns exec west taskset -c "$1" ping -q -c "$2" -i 0.2 -W 2 -I 10.11.0.1 10.12.0.1 |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
# children NS NAME: "PER_CPU SPI_OUT PACKETS_OUT" of each installed CHILD_SA
# (PER_CPU: fallback, cpu N, any cpu, or - for an ordinary one).
children() {
	ikectl "$1" "$2" --json ike list | python3 -c '
import json, sys
for ike in json.load(sys.stdin).get("ike_sas", []):
    for c in ike.get("child_sas", []):
        if c.get("state") == "INSTALLED":
            print(c.get("per_cpu", "-").replace(" ", "_"), c.get("spi_out"), c.get("packets_out", 0))'
}
# out_packets PER_CPU: packets_out of west's CHILD_SA in that place.
out_packets() { children west kesp | awk -v p="$1" '$1 == p { print $3 }'; }
serving_cpu0() { children west kesp | grep -q '^cpu_0 '; }
flagged() { $KESPCTL -n "$1" sa list | grep -c 'flag pcpu-acquire'; }
parallel_sas() { $KESPCTL -n west sa list | grep -c 'flag parallel'; }
bound() { $KESPCTL -n "$1" sa list | grep -c " cpu $2$"; }

# ---- against charon 5.9.8 (no RFC 9611) ----
if ikectl west kesp ike up pc >/tmp/up.out 2>&1; then
	pass "charon: ikehelper asks with SA_RESOURCE_INFO, charon accepts the CHILD_SA"
else
	fail "charon: ikehelper asks with SA_RESOURCE_INFO, charon accepts the CHILD_SA" \
		"$(cat /tmp/up.out; tail -20 "$CHARON_LOG")"
fi
check "charon: the IKE_AUTH request carried SA_RESOURCE_INFO (16444), unknown to charon 5.9.8" \
	grep -q 'parsed IKE_AUTH request 1 .*N((16444))' "$CHARON_LOG"
check "charon: ikehelper says why it is an ordinary CHILD_SA" \
	log_has kesp "pc.*the peer did not answer SA_RESOURCE_INFO: an ordinary CHILD_SA"
same "charon: ikehelper's outbound SA does not ask for per-CPU ACQUIREs" "$(flagged west)" 0
same "charon: parallel_crypto = yes: both of west's SAs have flag parallel in kesp.ko" \
	"$(parallel_sas)" 2
same "charon: pings from CPU 0 and CPU 1 pass" "$(pings 0 3) $(pings 1 3)" "3 3"
iperf_server west 10.11.0.1
check "charon: iperf3 TCP from east through west's parallel SAs" \
	ip netns exec east iperf3 -c 10.11.0.1 -B 10.12.0.1 -t 2
wait $iperf_server_pid
# shellcheck disable=SC2016
same "charon: west's workers decrypted charon's bulk" \
	"$($KESPCTL -n west --json sa list | json_pairs dir parallel | tr ' ' '\n' |
		awk -F= '$1 == "in" && $2 > 500 { print "yes" }')" yes
same "charon: no auth, replay or other error on west's SAs" \
	"$($KESPCTL -n west --json sa list | json_sorted auth_errors) $($KESPCTL -n west --json sa list |
		json_sorted replay_errors) $($KESPCTL -n west --json sa list | json_sorted other_errors)" \
	"0 0 0 0 0 0"
sleep 1
same "charon: still one CHILD_SA on each side" \
	"$(children west kesp | wc -l) $(charon_get east child pc state | grep -c INSTALLED)" "1 1"
check "charon: kespctl ike down" ikectl west kesp ike down pc
charon_stop east

# ---- ikehelper <-> ikehelper ----
if ! ikehelper_start east peer "$(
	echo "connections {"
	psk_conn pc 192.168.200.2 192.168.200.1 east.peer west.kesp 10.12.0.0/24 10.11.0.0/24 \
		"per_cpu_sas = yes
      per_cpu_sas_max = 1"
	echo "}"
	echo "secrets { ike-west { id = west.kesp
    secret = $PSK } }"
)"; then
	fail "a second ikehelper starts in east"
	finish
fi
if ikectl west kesp ike up pc >/tmp/up.out 2>&1; then
	pass "ikehelper <-> ikehelper: up with per_cpu_sas on both ends"
else
	fail "ikehelper <-> ikehelper: up with per_cpu_sas on both ends" "$(cat /tmp/up.out)"
fi
check "the first CHILD_SA is the fallback (ikehelper's log)" \
	log_has kesp "pc.*per-CPU SAs agreed \(SA_RESOURCE_INFO\): this is the fallback"
same "west: the fallback's outbound SA has flag pcpu-acquire in kesp.ko, east's does not" \
	"$(flagged west) $(flagged east)" "1 0"
same "CPU 0: the first pings pass on the fallback" "$(pings 0 3)" 3
if wait_for 10 serving_cpu0; then
	pass "CPU 0's ACQUIRE: a CHILD_SA serving CPU 0 is up in west"
else
	fail "CPU 0's ACQUIRE: a CHILD_SA serving CPU 0 is up in west" "$(children west kesp)"
fi
check "west asked for it on kesp.ko's ACQUIRE" \
	log_has kesp "pc\{[0-9]+\}: CPU 0 sends on the fallback SA: asking the peer for a per-CPU SA"
same "kesp.ko: an outbound SA bound to CPU 0 in west, and one in east (its own CPU 0)" \
	"$(bound west 0) $(bound east 0)" "1 1"
same "parallel_crypto: the fallback's two SAs have flag parallel, CPU 0's do not" \
	"$(parallel_sas)" 2
same "east lists a fallback and a CHILD_SA serving CPU 0" \
	"$(children east peer | cut -d' ' -f1 | sort | tr '\n' ' ')" "cpu_0 fallback "
f0=$(out_packets fallback) c0=$(out_packets cpu_0)
same "CPU 0: 20 pings answered" "$(pings 0 20)" 20
f1=$(out_packets fallback) c1=$(out_packets cpu_0)
echo "west's outbound packets while CPU 0 pinged: fallback $f0 -> $f1, CPU 0's SA $c0 -> $c1"
same "CPU 0's pings left on CPU 0's SA, none on the fallback" \
	"$([ "$((c1 - c0))" -ge 20 ] && [ "$f1" = "$f0" ] && echo yes)" yes

same "CPU 1: pings pass on the fallback meanwhile" "$(pings 1 10)" 10
check "east refused CPU 1's SA beyond per_cpu_sas_max = 1 (TS_MAX_QUEUED)" \
	wait_for 10 log_has peer "pc: the peer asks for a per-CPU SA beyond the 1 we take .*answering TS_MAX_QUEUED"
check "west: CPU 1 keeps the fallback, asks again in a minute" \
	wait_for 10 log_has kesp "TS_MAX_QUEUED.*CPU 1 keeps sending on the fallback SA, asking again in 60 s"
f2=$(out_packets fallback)
same "CPU 1: pings answered after the refusal, on the fallback" "$(pings 1 10)" 10
f3=$(out_packets fallback)
same "the fallback carried CPU 1's pings" "$([ "$((f3 - f2))" -ge 10 ] && echo yes)" yes
same "still two CHILD_SAs in each ikehelper" "$(children west kesp | wc -l) $(children east peer | wc -l)" "2 2"

# ---- rekeys keep each CHILD_SA's place ----
old=$(children west kesp | awk '$1 == "cpu_0" { print $2 }')
check "kespctl ike rekey --child pc" ikectl west kesp ike rekey --child pc
rekeyed() {
	new=$(children west kesp | awk '$1 == "cpu_0" { print $2 }')
	[ -n "$new" ] && [ "$new" != "$old" ] && [ "$(children west kesp | wc -l)" = 2 ]
}
if wait_for 15 rekeyed; then
	pass "rekeyed: CPU 0's new pair still serves CPU 0 ($old -> $new)"
else
	fail "rekeyed: CPU 0's new pair still serves CPU 0" "$(children west kesp)"
fi
sleep 3	# the old pairs' DELETE and grace
same "kesp.ko after the rekeys: one SA bound to CPU 0 on each side, west's new fallback asks" \
	"$(bound west 0) $(bound east 0) $(flagged west)" "1 1 1"
c2=$(out_packets cpu_0)
same "CPU 0: pings answered on the new pair" "$(pings 0 10)" 10
c3=$(out_packets cpu_0)
same "CPU 0's pings left on its new pair" "$([ "$((c3 - c2))" -ge 10 ] && echo yes)" yes
ikehelper_alive kesp
ikehelper_alive peer
check "kespctl ike down" ikectl west kesp ike down pc
wait_for 10 sh -c "[ \"\$($KESPCTL -n west sa list | grep -c '^sa ')\" = 0 ]"
same "no SA left in either kernel" "$(kernel_sa_count west) $(kernel_sa_count east)" "0 0"

[ "$FAILED" != 0 ] && ike_tail_logs 60
finish
