#!/bin/sh
# ikehelper <-> Libreswan's pluto (a second, independent IKEv2
# implementation), PSK, each side initiating: AES-GCM-256 with Curve25519,
# then AES-CBC with HMAC-SHA-256 and MODP-2048. Each connection has its
# own address pair (pluto picks its connection by addresses alone when it
# answers) and its own subnets (pluto keeps a connection's policy routed
# after its SAs are gone).
# Each tunnel carries ping; both daemons show the same SPIs; a DELETE from
# either side leaves nothing behind on the other.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"

ike_sites
ip -n west addr add 192.168.200.31/24 dev wire
ip -n west addr add 192.168.200.32/24 dev wire
ip -n west addr add 10.11.1.1/24 dev site
ip -n east addr add 10.12.1.1/24 dev site
mkdir -p pluto
cat >pluto/ipsec.conf <<EOC
config setup
	plutodebug=none

conn common
	ikev2=yes
	authby=secret
	leftid=@east.pluto
	rightid=@west.kesp
	left=$EAST4
	type=tunnel

conn gcm
	also=common
	right=192.168.200.31
	leftsubnet=$EAST_NET4
	leftsourceip=$EAST_HOST4
	rightsubnet=$WEST_NET4
	ike=aes_gcm256-sha2_256-dh31
	esp=aes_gcm256

conn cbc
	also=common
	right=192.168.200.32
	leftsubnet=10.12.1.0/24
	leftsourceip=10.12.1.1
	rightsubnet=10.11.1.0/24
	ike=aes256-sha2_256-dh14
	esp=aes128-sha2_256
EOC
printf '@east.pluto @west.kesp : PSK %s\n' "$PSK" >pluto/ipsec.secrets
if ! pluto_start east pluto || ! pluto_add east gcm cbc; then
	fail "pluto starts in east and loads its conns" "$(ike_tail_logs 20)"
	finish
fi

# conn NAME ADDRESS IKE ESP LOCAL_TS REMOTE_TS
conn() {
	cat <<EOC
    $1 {
        local_addrs = $2
        remote_addrs = $EAST4
        proposals = $3
        local { auth = psk
            id = west.kesp }
        remote { auth = psk
            id = east.pluto }
        children {
            $1 { local_ts = $5
                remote_ts = $6
                esp_proposals = $4
                replay_window = 1024 }
        }
    }
EOC
}
ikehelper_start west kesp "$(
	echo "connections {"
	conn gcm 192.168.200.31 aes256gcm16-prfsha256-x25519 aes256gcm16 $WEST_NET4 $EAST_NET4
	conn cbc 192.168.200.32 aes256-sha256-modp2048 aes128-sha256 10.11.1.0/24 10.12.1.0/24
	echo "}"
	echo "secrets { ike { secret = $PSK } }"
)" || { fail "ikehelper starts in west"; finish; }

tunnel_works() {	# WHAT CONN
	same "$1: the same SPIs in kespctl ike list and whack --showstates" \
		"$(spis west kesp)" "$(pluto_child_spis east "$2" | awk '{print $2, $1}')"
	if [ "$2" = gcm ]; then
		check "$1: ping $WEST_HOST4 -> $EAST_HOST4" \
			ip netns exec west ping -c 2 -i 0.3 -W 2 -I $WEST_HOST4 $EAST_HOST4
	else
		check "$1: ping 10.11.1.1 -> 10.12.1.1" \
			ip netns exec west ping -c 2 -i 0.3 -W 2 -I 10.11.1.1 10.12.1.1
	fi
}

# ikehelper initiates, both proposals
for c in gcm cbc; do
	check "$c: ikehelper initiates, pluto accepts" ikectl west kesp ike up $c
	tunnel_works "$c (ikehelper initiated)" $c
	check "$c: ikehelper deletes the tunnel" ikectl west kesp ike down $c
	for _ in $(seq 25); do [ -z "$(pluto_child_spis east $c)" ] && break; sleep 0.2; done
	same "$c: pluto has no Child SA left" "$(pluto_child_spis east $c)" ""
	same "$c: no XFRM SA left in east" "$(xfrm_count east)" 0
done

# pluto initiates
if pluto_up east gcm 60; then
	pass "gcm: pluto initiates, ikehelper accepts"
	tunnel_works "gcm (pluto initiated)" gcm
	pluto_whack east --terminate --name gcm >/dev/null 2>&1
	for _ in $(seq 25); do [ "$(kernel_sa_count west)" = 0 ] && break; sleep 0.2; done
	same "gcm: after pluto's DELETE no kesp SA is left" "$(kernel_sa_count west)" 0
	same "gcm: and ikehelper has no IKE SA" "$(ike_sa_count west kesp)" 0
else
	fail "gcm: pluto initiates, ikehelper accepts" "$(ike_tail_logs 20)"
fi

[ "$FAILED" != 0 ] && ike_tail_logs 30
finish
