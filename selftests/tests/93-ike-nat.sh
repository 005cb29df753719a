#!/bin/sh
# ikehelper behind a NAT (ike_peers.sh's ike_nat_sites: n translates x's
# UDP, raw ESP from x cannot come back), first with charon as the public
# peer, then with another ikehelper. NAT detection moves IKE to port 4500,
# the CHILD_SA is ESP in UDP on both sides, traffic flows, both show the
# same SPIs, and the side behind the NAT sends keepalives across it.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"

ike_nat_sites 4
# n counts x's keepalives: one-byte datagrams from port 4500.
ip netns exec n nft -f - <<EON
table ip kesp_keepalives {
	counter keepalives { }
	chain forward_x {
		type filter hook forward priority filter;
		iifname "veth-nx" udp sport 4500 udp length 9 counter name keepalives
	}
}
EON
nat_keepalives() {
	ip netns exec n nft list counter ip kesp_keepalives keepalives | awk '/packets/ {print $2}'
}

ikehelper_start x behind "$(cat <<EOC
connections {
    public {
        remote_addrs = $Y
        proposals = aes256gcm16-prfsha256-x25519
        local { auth = psk
            id = behind.kesp }
        remote { auth = psk
            id = public }
        children {
            public { local_ts = $XNET
                remote_ts = $YNET
                esp_proposals = aes128gcm16
                replay_window = 1024 }
        }
    }
}
secrets { ike { secret = $PSK } }
ikehelper { keep_alive = 1s
    retransmit_timeout = 2s
    retransmit_tries = 3 }
EOC
)" || { fail "ikehelper starts behind the NAT"; finish; }

public_conf() {	# the public side's swanctl.conf, for charon and ikehelper alike
	cat <<EOC
connections {
    behind {
        local { auth = psk
            id = public }
        remote { auth = psk
            id = behind.kesp }
        children {
            behind { local_ts = $YNET
                remote_ts = $XNET
                esp_proposals = aes128gcm16 }
        }
    }
}
secrets { ike { secret = $PSK } }
EOC
}

# through_nat WHAT PUBLIC-SPIS-COMMAND...: the tunnel from behind the NAT.
# $PUBLIC says who answers (charon or ikehelper), for its own checks.
through_nat() {
	what=$1
	shift
	if ikectl x behind ike up public >/tmp/up.out 2>&1; then
		pass "$what: ikehelper behind the NAT brings the tunnel up"
	else
		fail "$what: ikehelper behind the NAT brings the tunnel up" "$(cat /tmp/up.out)"
		return
	fi
	same "$what: ikehelper saw the NAT and moved to port 4500, ESP in UDP" \
		"$(ikectl x behind --json ike list | json_values 'nat\|local_port\|encap' | tr '\n' ' ')" \
		"4500 local yes "
	if [ "$PUBLIC" = charon ]; then
		same "$what: charon's CHILD_SA is ESP in UDP too" "$(charon_get y child behind encap)" yes
	else
		same "$what: the public ikehelper saw its peer behind a NAT, ESP in UDP" \
			"$(ikectl y public --json ike list | json_values 'nat\|encap' | tr '\n' ' ')" \
			"remote yes "
	fi
	same "$what: the same SPIs on both sides" "$(spis x behind)" "$("$@" | awk '{print $2, $1}')"
	check "$what: ping $XIN -> $YIN through the NAT, ESP in UDP" \
		ip netns exec x ping -c 3 -i 0.3 -W 2 -I $XIN $YIN
	k0=$(nat_keepalives)
	sleep 3
	k1=$(nat_keepalives)
	same "$what: the NAT forwarded keepalives (1 s interval) from behind it" \
		"$([ "$k1" -ge $((k0 + 2)) ] && echo yes || echo "no: $k0 -> $k1")" yes
	check "$what: down" ikectl x behind ike down public
}

mkdir -p y
public_conf >y/swanctl.conf
if charon_start y y && charon_swanctl y --load-all >/tmp/load.out 2>&1; then
	PUBLIC=charon
	through_nat "with charon" charon_child_spis y behind
	charon_stop y
else
	fail "charon starts on the public side" "$(cat /tmp/load.out)"
fi

if ikehelper_start y public "$(public_conf)"; then
	PUBLIC=ikehelper
	through_nat "with ikehelper" spis y public
else
	fail "ikehelper starts on the public side"
fi

[ "$FAILED" != 0 ] && ike_tail_logs 30
finish
