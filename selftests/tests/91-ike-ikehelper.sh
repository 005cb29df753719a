#!/bin/sh
# ikehelper <-> ikehelper between ike_peers.sh's two sites: each side
# initiating in turn, ping and a short iperf3 through the tunnel, the same
# SPIs on both sides, the module's counters in kespctl ike list, down.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"

# conf_site ME PEER MY_NET PEER_NET PEER_ADDR
conf_site() {
	cat <<EOF
connections {
    to-$2 {
        remote_addrs = $5
        proposals = aes256gcm16-prfsha384-x25519, aes128-sha256-modp2048
        local { auth = psk
            id = $1.example.org }
        remote { auth = psk
            id = $2.example.org }
        children {
            net-$2 {
                local_ts = $3
                remote_ts = $4
                esp_proposals = aes128gcm16, aes256-sha256
                replay_window = 1024
            }
        }
    }
}
secrets { ike { secret = $PSK } }
EOF
}

ike_sites
ikehelper_start west west "$(conf_site west east $WEST_NET4 $EAST_NET4 $EAST4)" ||
	fail "ikehelper starts in west"
ikehelper_start east east "$(conf_site east west $EAST_NET4 $WEST_NET4 $WEST4)" ||
	fail "ikehelper starts in east"

t0=$(date +%s.%N)
check "west: kespctl ike up to-east returns once the tunnel is up" ikectl west west ike up to-east
echo "the handshake took $(echo "$(date +%s.%N) - $t0" | bc) s"
ikectl west west ike list | sed 's/^/  /'
same "both sides agree on the SPIs (kespctl ike list --json)" \
	"$(spis west west)" "$(spis east east | awk '{print $2, $1}')"
same "west: the kernel holds the SA pair" "$(kernel_sa_count west)" 2
same "east: the kernel holds the SA pair" "$(kernel_sa_count east)" 2
check "ping $WEST_HOST4 -> $EAST_HOST4 through the tunnel" \
	ip netns exec west ping -c 3 -i 0.3 -W 2 -I $WEST_HOST4 $EAST_HOST4
iperf_server east $EAST_HOST4
if ip netns exec west iperf3 -c $EAST_HOST4 -B $WEST_HOST4 -t 2 >/tmp/iperf.out 2>&1; then
	pass "iperf3 through the tunnel ($(awk '/receiver/ {print $7, $8}' /tmp/iperf.out))"
else
	fail "iperf3 through the tunnel" "$(tail -5 /tmp/iperf.out)"
fi
wait "$iperf_server_pid" 2>/dev/null
pk=$(ike_get west west packets_out | head -n 1)
same "kespctl ike list shows the module's counters" \
	"$([ "$pk" -gt 100 ] 2>/dev/null && echo yes || echo "no: $pk")" yes
check "west: kespctl ike down to-east" ikectl west west ike down to-east
sleep 1
same "after down: no SA in west" "$(kernel_sa_count west)" 0
same "after down: no SA in east" "$(kernel_sa_count east)" 0
same "after down: east has no IKE SA" "$(ike_sa_count east east)" 0

# The other way round: east initiates.
check "east: kespctl ike up to-west" ikectl east east ike up to-west
check "ping $EAST_HOST4 -> $WEST_HOST4 (east initiated)" \
	ip netns exec east ping -c 3 -i 0.3 -W 2 -I $EAST_HOST4 $WEST_HOST4
same "both sides agree on the SPIs (east initiated)" \
	"$(spis east east)" "$(spis west west | awk '{print $2, $1}')"
check "east: down" ikectl east east ike down to-west

[ "$FAILED" != 0 ] && ike_tail_logs 25
finish
