#!/bin/sh
# Road warriors against strongSwan's charon both ways: the configuration
# payload (RFC 7296 §3.15) with address pools, and redirects (RFC 5685).
# One charon (in c) is the gateway of (a) and (g) and the client of (b)-(f),
# as one charon start costs many seconds under TCG.
# (a) ikehelper client (vips = 0.0.0.0, ::) of a charon gateway with pools:
#     it gets an IPv4 and an IPv6 address and DNS; the addresses are on its
#     device and the source of its routes (ping without -I gets through,
#     and charon accepts nothing else); the updown hook ran up-client with
#     PLUTO_MY_SOURCEIP and PLUTO_DNS4_1; after ike down the addresses are
#     gone and the hook ran down-client.
# (b) charon client (vips = 0.0.0.0) of an ikehelper gateway with a pool:
#     charon gets 10.3.0.1 and pings from it.
# (c) the ikehelper client of the same gateway gets another lease
#     (10.3.0.2); both go, the ikehelper client comes back first and still
#     gets 10.3.0.2 (its own, not the lowest free), charon then 10.3.0.1.
# (d) a third identity (charon's second connection) finds the pool of two
#     full: INTERNAL_ADDRESS_FAILURE, logged on both sides, no address.
# (e) redirect at IKE_SA_INIT: charon initiates to ikehelper gateway r1,
#     whose connection has redirect_to = r2: charon ends up at r2
#     (ikehelper), r1 keeps nothing, traffic flows through r2.
# (f) kespctl ike redirect on r2 sends the established charon to r1
#     (redirect_to gone by a reload): charon's IKE SA is at r1, r2 has
#     none left, traffic flows through r1.
# (g) the ikehelper client of charon's second gateway address (.6) is moved
#     by swanctl --redirect to r1: it answers, deletes its IKE SA with
#     charon and sets up its connection at r1 (REDIRECTED_FROM), traffic
#     flows.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"

# g: bridge gwbr 192.168.100.1, the ikehelper gateway (inner 10.0.0.1);
# on the bridge a (.2, the ikehelper client, inner 10.1.0.1 for (g)), c
# (.3, charon: the gateway of a, inner 10.5.0.1 and fd00:5::1, and a
# client of g; .6 its second gateway address for (g), inner 10.9.0.1; as
# the client of (e)-(f) 10.7.0.1), r1 (.5) and r2 (.4): the ikehelper
# gateways of (e)-(g), the same service 10.8.0.1 behind either.
netns_add g a c r1 r2
ike_bridge g 192.168.100.1 a:2 c:3 r2:4 r1:5
ip -n c addr add 192.168.100.6/24 dev veth
ike_site g 10.0.0.1/24
ike_site c 10.5.0.1/24 fd00:5::1/64 10.7.0.1/24 10.9.0.1/24
ike_site a 10.1.0.1/24
ike_site r1 10.8.0.1/24
ike_site r2 10.8.0.1/24

# vip NS [DEV]: the 10.x.0.y addresses NS has outside 10.0.0.0 and 10.5.0.0.
vip() { ip -n "$1" -4 -o addr show ${2:+dev "$2"} | awk '{print $4}' | grep '^10\.[36]\.' | tr '\n' ' '; }
no_vip() { [ -z "$(vip "$@")" ]; }
# list_has NS NAME PATTERN: kespctl ike list of ikehelper NAME has PATTERN.
list_has() { ikectl "$1" "$2" ike list | grep -q -- "$3"; }
no_sa() { [ "$(ike_sa_count "$1" "$2")" = 0 ]; }

mkdir -p c
# charon's connections in c: rw, a gateway with pools for a; gw (identity
# charon-c) and third (charon-d), road warriors of the ikehelper gateway;
# rdc, the client of (e)-(f), and rwd, the gateway of (g).
for p in gw:charon-c third:charon-d; do
	printf '    %s { remote_addrs = 192.168.100.1\n        vips = 0.0.0.0\n' "${p%:*}"
	printf '        local { auth = psk\n            id = %s }\n' "${p#*:}"
	printf '        remote { auth = psk\n            id = gw }\n'
	printf '        children { %s { remote_ts = 10.0.0.0/24 } } }\n' "${p%:*}"
done >c/conns
cat >c/swanctl.conf <<EOC
connections {
    rw {
        local_addrs = 192.168.100.3
        pools = rw4, rw6
        local { auth = psk
            id = charon-gw }
        remote { auth = psk }
        children { rw { local_ts = 10.5.0.0/24, fd00:5::/64 } }
    }
$(cat c/conns)
    rdc {
        remote_addrs = 192.168.100.5
        local { auth = psk
            id = charon-r }
        remote { auth = psk
            id = gw }
        children { rdc { local_ts = 10.7.0.0/24
            remote_ts = 10.8.0.0/24 } }
    }
    rwd {
        local_addrs = 192.168.100.6
        local { auth = psk
            id = gw }
        remote { auth = psk
            id = a.kesp }
        children { rwd { local_ts = 10.9.0.0/24
            remote_ts = 10.1.0.0/24 } }
    }
}
pools {
    rw4 { addrs = 10.6.0.0/28
        dns = 10.6.0.53, 10.6.0.54 }
    rw6 { addrs = fd00:6::/120
        dns = fd00:6::53 }
}
secrets { ike { secret = $PSK } }
EOC
charon_spawn c c

HOOK=$IKE_STATE/updown.sh
cat >"$HOOK" <<EOF
#!/bin/sh
env | sort >"$IKE_STATE/\$PLUTO_VERB-\$PLUTO_CONNECTION.env"
EOF
chmod 755 "$HOOK"

ikehelper_start g gw "$(cat <<EOC
connections {
    rw {
        local_addrs = 192.168.100.1
        pools = rw4
        local { auth = psk
            id = gw }
        remote { auth = psk }
        children { rw { local_ts = 10.0.0.0/24 } }
    }
}
pools { rw4 { addrs = 10.3.0.1-10.3.0.2
    dns = 10.3.0.53 } }
secrets { ike { secret = $PSK } }
EOC
)" || { fail "the ikehelper gateway starts"; finish; }
ikehelper_start a rw "$(cat <<EOC
connections {
    to-c {
        remote_addrs = 192.168.100.3
        vips = 0.0.0.0, ::
        local { auth = psk
            id = a.kesp }
        remote { auth = psk
            id = charon-gw }
        children { to-c { remote_ts = 10.5.0.0/24, fd00:5::/64
            updown = $HOOK } }
    }
    to-g {
        remote_addrs = 192.168.100.1
        vips = 0.0.0.0
        local { auth = psk
            id = a.kesp }
        remote { auth = psk
            id = gw }
        children { to-g { remote_ts = 10.0.0.0/24
            updown = $HOOK } }
    }
    rd {
        remote_addrs = 192.168.100.6
        local { auth = psk
            id = a.kesp }
        remote { auth = psk
            id = gw }
        children { rd { local_ts = 10.1.0.0/24
            remote_ts = 10.8.0.0/15 } }
    }
}
secrets { ike { secret = $PSK } }
EOC
)" || { fail "the ikehelper client starts"; finish; }
# r_conf ADDR [REDIRECT_TO]: an ikehelper gateway (r1, r2) for charon's
# rdc and for a's rd.
r_conf() {
	for p in rw-c:charon-r:10.7.0.0/24 rw-a:a.kesp:10.1.0.0/24; do
		id=${p#*:}
		printf '    %s { local_addrs = %s\n' "${p%%:*}" "$1"
		[ -n "${2:-}" ] && printf '        redirect_to = %s\n' "$2"
		printf '        local { auth = psk\n            id = gw }\n'
		printf '        remote { auth = psk\n            id = %s }\n' "${id%%:*}"
		printf '        children { %s { local_ts = 10.8.0.0/24\n' "${p%%:*}"
		printf '            remote_ts = %s } } }\n' "${id#*:}"
	done | { echo "connections {"; cat; echo "}"; echo "secrets { ike { secret = $PSK } }"; }
}
ikehelper_start r1 r1 "$(r_conf 192.168.100.5 192.168.100.4)" || fail "gateway r1 starts"
ikehelper_start r2 r2 "$(r_conf 192.168.100.4)" || fail "gateway r2 starts"
charon_wait c && charon_swanctl c --load-all >/tmp/load.out 2>&1 ||
	fail "charon starts in c" "$(cat /tmp/load.out)"

# ---- (a) ikehelper client, charon gateway ----
check "(a) ikehelper asks charon's pools for addresses: up" ikectl a rw ike up to-c
same "(a) the IPv4 lease is on the ikehelper client's device" "$(vip a kesp0)" "10.6.0.1/32 "
same "(a) and the IPv6 lease" \
	"$(ip -n a -6 -o addr show dev kesp0 | awk '{print $4}' | grep '^fd00:6:' | tr '\n' ' ')" \
	"fd00:6::1/128 "
check "(a) kespctl ike list shows the virtual IPs" list_has a rw 'virtual IPs 10.6.0.1, fd00:6::1'
same "(a) the route into the tunnel has it as source" \
	"$(ip -n a route get 10.5.0.1 | sed -n 's/.* src \([^ ]*\).*/\1/p')" 10.6.0.1
check "(a) ping from the virtual IP (no -I) through the tunnel" \
	ip netns exec a ping -c 2 -i 0.3 -W 3 10.5.0.1
check "(a) ping6 from the virtual IPv6 address" \
	ip netns exec a ping -6 -c 2 -i 0.3 -W 3 fd00:5::1
env_up=$IKE_STATE/up-client-to-c.env
check "(a) the hook ran up-client with the virtual IP and the DNS servers" \
	grep -q "^PLUTO_MY_SOURCEIP=10.6.0.1$" "$env_up"
same "(a) its DNS and source variables" \
	"$(grep -E '^PLUTO_(DNS[46]_[0-9]|MY_SOURCEIP[46]_1|PEER_ID)=' "$env_up" 2>/dev/null | tr '\n' ' ')" \
	"PLUTO_DNS4_1=10.6.0.53 PLUTO_DNS4_2=10.6.0.54 PLUTO_DNS6_1=fd00:6::53 PLUTO_MY_SOURCEIP4_1=10.6.0.1 PLUTO_MY_SOURCEIP6_1=fd00:6::1 PLUTO_PEER_ID=charon-gw "
check "(a) ike down" ikectl a rw ike down to-c
check "(a) after down the addresses leave the device" wait_for 20 no_vip a kesp0
check "(a) and the hook ran down-client" wait_for 20 test -f "$IKE_STATE/down-client-to-c.env"

# ---- (b) charon client, ikehelper gateway ----
check "(b) charon asks the ikehelper gateway for an address: up" charon_up c gw 60
same "(b) charon got the pool's first address" "$(vip c)" "10.3.0.1/32 "
check "(b) ping from charon's virtual IP through the tunnel" \
	ip netns exec c ping -c 2 -i 0.3 -W 3 10.0.0.1
check "(b) the gateway logged the lease" log_has gw "peer 'charon-c' gets 10.3.0.1 from pool rw4"
check "(b) and kespctl ike list shows it" list_has g gw 'leased to the peer: 10.3.0.1'

# ---- (c) a second client, then both reconnect ----
check "(c) the ikehelper client of the ikehelper gateway: up" ikectl a rw ike up to-g
same "(c) it gets another lease" "$(vip a kesp0)" "10.3.0.2/32 "
check "(c) ping from it" ip netns exec a ping -c 2 -i 0.3 -W 3 10.0.0.1
check "(c) both leave: ikehelper" ikectl a rw ike down to-g
charon_swanctl c --terminate --ike gw --timeout 20 >/dev/null 2>&1
check "(c) both leave: charon" wait_for 20 no_vip c
check "(c) the gateway has no IKE SA left" wait_for 20 no_sa g gw
check "(c) the ikehelper client comes back first" ikectl a rw ike up to-g
same "(c) and gets its own lease again, not the lowest free one" "$(vip a kesp0)" "10.3.0.2/32 "
check "(c) charon comes back" charon_up c gw 60
same "(c) and gets its own again" "$(vip c)" "10.3.0.1/32 "
check "(c) ping from charon's address" ip netns exec c ping -c 2 -i 0.3 -W 3 10.0.0.1
# ---- a third identity: the pool (two addresses) is exhausted ----
if charon_up c third 30; then
	fail "(d) a third identity gets no address from a full pool" "charon's third came up: $(vip c)"
else
	pass "(d) a third identity gets no address from a full pool"
fi
check "(d) the gateway logged why and answered INTERNAL_ADDRESS_FAILURE" \
	log_has gw "pool rw4 \(10.3.0.1-10.3.0.2\) is exhausted.*INTERNAL_ADDRESS_FAILURE to 'charon-d'"
check "(d) charon read INTERNAL_ADDRESS_FAILURE" grep -q "INTERNAL_ADDRESS_FAILURE\|INT_ADDR_FAIL" "$(ike_log charon c)"
same "(d) the two leases stay with their owners" "$(vip a kesp0)$(vip c)" "10.3.0.2/32 10.3.0.1/32 "

# ---- (e) redirect at IKE_SA_INIT ----
check "(e) charon comes up, redirected by r1" charon_up c rdc 40
same "(e) charon's IKE SA is with r2" "$(charon_get c ike rdc state remote-host)" \
	"ESTABLISHED 192.168.100.4"
check "(e) r1 logged the redirect" log_has r1 'redirecting a new client to 192.168.100.4'
same "(e) r1 keeps no IKE SA, r2 has charon's" \
	"$(ike_sa_count r1 r1) $(ike_sa_count r2 r2)" "0 1"
check "(e) ping through r2" ip netns exec c ping -c 2 -i 0.3 -W 3 -I 10.7.0.1 10.8.0.1
same "(e) the CHILD_SA's SAs are in r2's kesp.ko, none in r1's" \
	"$(kernel_sa_count r1) $(kernel_sa_count r2)" "0 2"

# ---- (f) an established SA, on command ----
printf '%s\n' "$(r_conf 192.168.100.5)" >"$IKE_STATE/ikehelper-r1/conf"
check "(f) r1 reloads without redirect_to" ikectl r1 r1 ike reload
check "(f) kespctl ike redirect on r2" ikectl r2 r2 ike redirect rw-c 192.168.100.5
charon_at_r1() { [ "$(charon_get c ike rdc state remote-host)" = "ESTABLISHED 192.168.100.5" ]; }
check "(f) charon is established with r1" wait_for 40 charon_at_r1
check "(f) charon deleted its IKE SA with r2" wait_for 20 no_sa r2 r2
check "(f) r2 logged that charon has the REDIRECT" log_has r2 'client has our REDIRECT to 192.168.100.5'
check "(f) ping through r1" ip netns exec c ping -c 2 -i 0.3 -W 3 -I 10.7.0.1 10.8.0.1
same "(f) no SA left in r2's kesp.ko" "$(kernel_sa_count r2)" 0

# ---- (g) charon as the gateway moves an ikehelper client ----
check "(g) a comes up with charon's second address" ikectl a rw ike up rd
check "(g) ping through charon" ip netns exec a ping -c 2 -i 0.3 -W 3 -I 10.1.0.1 10.9.0.1
check "(g) swanctl --redirect" charon_swanctl c --redirect --ike rwd --gateway 192.168.100.5
# rd_at ADDR: a's IKE SA of rd is established with ADDR (kespctl ike list:
# "rd[ID] ... ESTABLISHED ... LOCAL[...] <-> REMOTE[...]" on its first line).
rd_lines() { ikectl a rw ike list | grep '^rd\['; }
a_at_r1() { rd_lines | grep -q 'ESTABLISHED.*192\.168\.100\.5\b' &&
	! rd_lines | grep -q '192\.168\.100\.6\b'; }
check "(g) a's rd is established with r1 only" wait_for 40 a_at_r1
check "(g) a logged the redirect" log_has rw 'redirected by 192.168.100.6 to 192.168.100.5'
charon_rwd_gone() { [ -z "$(charon_get c ike rwd state)" ]; }
check "(g) charon's IKE SA with a is gone" wait_for 20 charon_rwd_gone
check "(g) ping through r1" ip netns exec a ping -c 2 -i 0.3 -W 3 -I 10.1.0.1 10.8.0.1

[ "$FAILED" != 0 ] && ike_tail_logs 30
finish
