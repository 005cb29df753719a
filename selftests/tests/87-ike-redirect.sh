#!/bin/sh
# Redirect (RFC 5685) against strongSwan's charon, both roles; one charon
# (in c) is the client of (a)-(b) and the gateway of (c), as one charon
# start costs many seconds under TCG.
# (a) charon initiates to ikehelper gateway g1, whose connection has
#     redirect_to = g2: charon ends up at g2 (ikehelper), g1 keeps nothing,
#     traffic flows through g2.
# (b) kespctl ike redirect on g2 sends the established charon to g1
#     (redirect_to gone by a reload): charon's IKE SA is at g1, g2 has
#     none left, traffic flows through g1.
# (c) an ikehelper client (a) of charon's gateway connection is moved by
#     swanctl --redirect to g1: a answers, deletes its IKE SA with charon
#     and sets up its connection at g1 (REDIRECTED_FROM), traffic flows.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"

# gwbr (in g1): 192.168.100.1 g1, .2 a, .3 c, .4 g2. Sites: g1 and g2 both
# 10.0.0.1 (the same service behind either gateway), a 10.1.0.1, c
# 10.3.0.1 (as client) and 10.5.0.1 (as gateway).
netns_add g1 g2 a c
ike_bridge g1 192.168.100.1 a:2 c:3 g2:4
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
    rw {
        local_addrs = 192.168.100.3
        local { auth = psk
            id = gw }
        remote { auth = psk
            id = a.kesp }
        children { rw { local_ts = 10.5.0.0/24
            remote_ts = 10.1.0.0/24 } }
    }
}
secrets { ike { secret = $PSK } }
EOC
charon_spawn c c
# The sites while charon starts (it needs them only for its CHILD_SAs).
ike_site g1 10.0.0.1/24
ike_site g2 10.0.0.1/24
ike_site a 10.1.0.1/24
ike_site c 10.3.0.1/24 10.5.0.1/24


# gw_conf ADDR [REDIRECT_TO]: an ikehelper gateway for charon and for a.
gw_conf() {
	for p in rw-c:charon-c:10.3.0.0/24 rw-a:a.kesp:10.1.0.0/24; do
		id=${p#*:}
		printf '    %s { local_addrs = %s\n' "${p%%:*}" "$1"
		[ -n "${2:-}" ] && printf '        redirect_to = %s\n' "$2"
		printf '        local { auth = psk\n            id = gw }\n'
		printf '        remote { auth = psk\n            id = %s }\n' "${id%%:*}"
		printf '        children { %s { local_ts = 10.0.0.0/24\n' "${p%%:*}"
		printf '            remote_ts = %s } } }\n' "${id#*:}"
	done | { echo "connections {"; cat; echo "}"; echo "secrets { ike { secret = $PSK } }"; }
}
ikehelper_start g1 g1 "$(gw_conf 192.168.100.1 192.168.100.4)" || fail "gateway g1 starts"
ikehelper_start g2 g2 "$(gw_conf 192.168.100.4)" || fail "gateway g2 starts"
ikehelper_start a a "$(cat <<EOC
connections {
    gw {
        remote_addrs = 192.168.100.3
        local { auth = psk
            id = a.kesp }
        remote { auth = psk
            id = gw }
        children { gw { local_ts = 10.1.0.0/24
            remote_ts = 10.0.0.0/8 } }
    }
}
secrets { ike { secret = $PSK } }
EOC
)" || fail "client a starts"
charon_wait c && charon_swanctl c --load-all >/tmp/load.out 2>&1 ||
	fail "charon starts in c" "$(cat /tmp/load.out)"

# ---- (a) at IKE_SA_INIT ----
check "(a) charon comes up, redirected by g1" charon_up c gw 40
same "(a) charon's IKE SA is with g2" "$(charon_get c ike gw state remote-host)" \
	"ESTABLISHED 192.168.100.4"
check "(a) g1 logged the redirect" log_has g1 'redirecting a new client to 192.168.100.4'
same "(a) g1 keeps no IKE SA, g2 has charon's" \
	"$(ike_sa_count g1 g1) $(ike_sa_count g2 g2)" "0 1"
check "(a) ping through g2" ip netns exec c ping -c 2 -i 0.3 -W 3 -I 10.3.0.1 10.0.0.1
same "(a) the CHILD_SA's SAs are in g2's kesp.ko, none in g1's" \
	"$(kernel_sa_count g1) $(kernel_sa_count g2)" "0 2"

# ---- (b) an established SA, on command ----
printf '%s\n' "$(gw_conf 192.168.100.1)" >"$IKE_STATE/ikehelper-g1/conf"
check "(b) g1 reloads without redirect_to" ikectl g1 g1 ike reload
check "(b) kespctl ike redirect on g2" ikectl g2 g2 ike redirect rw-c 192.168.100.1
charon_at_g1() { [ "$(charon_get c ike gw state remote-host)" = "ESTABLISHED 192.168.100.1" ]; }
check "(b) charon is established with g1" wait_for 40 charon_at_g1
no_sa() { [ "$(ike_sa_count "$1" "$2")" = 0 ]; }
check "(b) charon deleted its IKE SA with g2" wait_for 20 no_sa g2 g2
check "(b) g2 logged that charon has the REDIRECT" log_has g2 'client has our REDIRECT to 192.168.100.1'
check "(b) ping through g1" ip netns exec c ping -c 2 -i 0.3 -W 3 -I 10.3.0.1 10.0.0.1
same "(b) no SA left in g2's kesp.ko" "$(kernel_sa_count g2)" 0

# ---- (c) charon as the gateway moves an ikehelper client ----
check "(c) a comes up with charon" ikectl a a ike up gw
check "(c) ping through charon" ip netns exec a ping -c 2 -i 0.3 -W 3 -I 10.1.0.1 10.5.0.1
check "(c) swanctl --redirect" charon_swanctl c --redirect --ike rw --gateway 192.168.100.1
a_at_g1() { ikectl a a ike list | grep -q 'ESTABLISHED.*192\.168\.100\.1\b' &&
	! ikectl a a ike list | grep -q '192\.168\.100\.3\b'; }
check "(c) a is established with g1 only" wait_for 40 a_at_g1
check "(c) a logged the redirect" log_has a 'redirected by 192.168.100.3 to 192.168.100.1'
charon_rw_gone() { [ -z "$(charon_get c ike rw state)" ]; }
check "(c) charon's IKE SA with a is gone" wait_for 20 charon_rw_gone
check "(c) ping through g1" ip netns exec a ping -c 2 -i 0.3 -W 3 -I 10.1.0.1 10.0.0.1

if [ "$FAILED" != 0 ]; then
	for ns in a c g1; do ip -n "$ns" -s link show; done
	ike_tail_logs 30
fi
finish
