#!/bin/sh
# One ikehelper gateway, one address, two connections: an ikehelper peer and
# a charon peer, each with its own identity and PSK, each gets its own
# connection and tunnel. ikehelper <-> ikehelper both ways: a initiates,
# later the gateway does; ping and a short iperf3 through the tunnel, the
# same SPIs on both sides, the module's counters in kespctl ike list, down
# with nothing left. Then a flood of forged IKE_SA_INIT: the gateway
# switches to COOKIEs after cookie_threshold half-open SAs, keeps no more
# state than that, and a legitimate peer still gets through (with a
# cookie, while the flood's half-open SAs last: half_open_timeout, 30 s,
# stretched on a slow guest); the gateway's memory stays put.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"

# g: bridge gwbr with 192.168.100.1 (inner 10.0.0.1/24); on it a (.2, inner
# 10.1.0.1/24), c (.3, inner 10.3.0.1/24) and the flooder f (.4).
netns_add g a c f
ip -n g link add name gwbr type bridge
ip -n g link set gwbr up
ip -n g addr add 192.168.100.1/24 dev gwbr
for p in a:2 c:3 f:4; do
	ns=${p%:*} host=${p#*:}
	ip link add veth netns "$ns" type veth peer name "to-$ns" netns g
	ip -n g link set "to-$ns" master gwbr up
	ip -n "$ns" link set veth up
	ip -n "$ns" addr add 192.168.100.$host/24 dev veth
done
for p in g:10.0.0.1 a:10.1.0.1 c:10.3.0.1; do
	ip -n "${p%:*}" link add inner type dummy
	ip -n "${p%:*}" link set inner up
	ip -n "${p%:*}" addr add "${p#*:}/24" dev inner
done

PSK_A='"gw-and-a-share-Qx7#kP2!mZ9@"'
PSK_C='"gw-and-c-share-Wv4$nL8^tR1&"'
ikehelper_start g gw "$(cat <<EOC
connections {
    to-a {
        local_addrs = 192.168.100.1
        remote_addrs = 192.168.100.2
        local { auth = psk
            id = gw }
        remote { auth = psk
            id = a.kesp }
        children { to-a { local_ts = 10.0.0.0/24
            remote_ts = 10.1.0.0/24
            replay_window = 1024 } }
    }
    to-c {
        local_addrs = 192.168.100.1
        local { auth = psk
            id = gw }
        remote { auth = psk
            id = charon-c }
        children { to-c { local_ts = 10.0.0.0/24
            remote_ts = 10.3.0.0/24
            replay_window = 1024 } }
    }
}
secrets {
    ike-a { id = a.kesp
        secret = $PSK_A }
    ike-c { id = charon-c
        secret = $PSK_C }
}
ikehelper { cookie_threshold = 5
    half_open_timeout = $(scaled 30)s }
EOC
)" || { fail "the gateway starts"; finish; }
ikehelper_start a peer-a "$(cat <<EOC
connections {
    gw {
        remote_addrs = 192.168.100.1
        local { auth = psk
            id = a.kesp }
        remote { auth = psk
            id = gw }
        children { gw { local_ts = 10.1.0.0/24
            remote_ts = 10.0.0.0/24
            replay_window = 1024 } }
    }
}
secrets { ike { secret = $PSK_A } }
ikehelper { retransmit_timeout = 2s
    retransmit_tries = 3 }
EOC
)" || fail "peer a starts"
mkdir -p c
cat >c/swanctl.conf <<EOC
connections {
    gw {
        remote_addrs = 192.168.100.1
        local { auth = psk
            id = charon-c }
        remote { auth = psk
            id = gw }
        children { gw { local_ts = 10.3.0.0/24
            remote_ts = 10.0.0.0/24 } }
    }
}
secrets { ike { secret = $PSK_C } }
EOC
charon_start c c && charon_swanctl c --load-all >/tmp/load.out 2>&1 ||
	fail "charon starts in c" "$(cat /tmp/load.out)"

check "peer a (ikehelper) comes up" ikectl a peer-a ike up gw
same "a and the gateway show the same SPIs" \
	"$(spis a peer-a)" "$(conn_spis g gw to-a | awk '{print $2, $1}')"
check "peer c (charon) comes up" charon_up c gw 30
same "the gateway gave each peer its own connection" \
	"$(ikectl g gw ike list | sed -n 's/^\([^ []*\)\[[0-9]*\]: \([A-Z_]*\) .*\.\.\..*\[\(.*\)\]$/\1:\3:\2/p' | sort | tr '\n' ' ')" \
	"to-a:a.kesp:ESTABLISHED to-c:charon-c:ESTABLISHED "
check "ping through a's tunnel" ip netns exec a ping -c 2 -i 0.3 -W 2 -I 10.1.0.1 10.0.0.1
check "ping through c's tunnel" ip netns exec c ping -c 2 -i 0.3 -W 2 -I 10.3.0.1 10.0.0.1
iperf_server g 10.0.0.1
if ip netns exec a iperf3 -c 10.0.0.1 -B 10.1.0.1 -t 2 >/tmp/iperf.out 2>&1; then
	pass "iperf3 through a's tunnel ($(awk '/receiver/ {print $7, $8}' /tmp/iperf.out))"
else
	fail "iperf3 through a's tunnel" "$(tail -5 /tmp/iperf.out)"
fi
wait "$iperf_server_pid" 2>/dev/null
pk=$(ike_get a peer-a packets_out | head -n 1)
same "kespctl ike list shows the module's counters" \
	"$([ "$pk" -gt 100 ] 2>/dev/null && echo yes || echo "no: $pk")" yes

# ---- the flood ----
gw_pid=$(cat "$IKE_STATE/ikehelper-gw/pid")
rss() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status; }
rss0=$(rss "$gw_pid")
flood=$(ip netns exec f python3 "$KESP_SRC/selftests/tests/ike_flood.py" 192.168.100.1 400)
echo "flood: $flood"
same "300+ forged initiators: the gateway answers with COOKIEs" \
	"$(echo "$flood" | awk '{print ($4 >= 300) ? "yes" : "no"}')" yes
same "and keeps state for exactly cookie_threshold (5) of them" \
	"$(echo "$flood" | awk '{print $6}')" 5
same "the gateway holds 5 half-open SAs, no more" \
	"$(ike_get g gw state | grep -c HALF_OPEN)" 5
check "during the flood peer a takes its tunnel down" ikectl a peer-a ike down gw
check "and still gets through when it brings it up again" ikectl a peer-a ike up gw
check "peer a was asked for a COOKIE and retried with it" log_has peer-a 'demands a COOKIE'
check "ping through a's new tunnel" ip netns exec a ping -c 2 -i 0.3 -W 2 -I 10.1.0.1 10.0.0.1
rss1=$(rss "$gw_pid")
same "the gateway's memory stayed bounded (RSS $rss0 kB -> $rss1 kB)" \
	"$([ "$rss1" -le $((rss0 + 2048)) ] && echo yes || echo no)" yes

# ---- the other way: the gateway initiates to a ----
check "a takes its tunnel down" ikectl a peer-a ike down gw
sleep 0.5
same "after down: a's SAs are gone from the gateway too" "$(kernel_sa_count g)" 2
check "the gateway initiates to a" ikectl g gw ike up to-a
check "ping through the tunnel the gateway made" \
	ip netns exec g ping -c 2 -i 0.3 -W 2 -I 10.0.0.1 10.1.0.1
same "a and the gateway show the same SPIs (gateway initiated)" \
	"$(spis a peer-a)" "$(conn_spis g gw to-a | awk '{print $2, $1}')"
check "the gateway takes it down" ikectl g gw ike down to-a
sleep 0.5
same "after down: no SA left in a" "$(kernel_sa_count a)" 0
same "and a has no IKE SA" "$(ike_sa_count a peer-a)" 0

[ "$FAILED" != 0 ] && ike_tail_logs 30
finish
