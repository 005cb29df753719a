#!/bin/sh
# ikehelper behind a NAT (nftables masquerade; the NAT passes only UDP, so
# ESP must go in UDP): first with charon as the public peer, then with
# another ikehelper. NAT detection moves IKE to port 4500, the CHILD_SA is
# ESP in UDP on both sides, traffic flows, both show the same SPIs, and the
# side behind the NAT sends keepalives.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"
TEST_NAME=93

stop_all() {
	charon_stop
	ikehelper_stop_all
	cleanup_netns
}
trap stop_all EXIT

ikeh_nat_sites
ikehelper_start x behind "$(cat <<EOC
connections {
    public {
        remote_addrs = 10.9.2.2
        proposals = aes256gcm16-prfsha256-x25519
        local { auth = psk
            id = behind.kesp }
        remote { auth = psk
            id = public }
        children {
            public { local_ts = 10.3.0.0/24
                remote_ts = 10.4.0.0/24
                esp_proposals = aes128gcm16
                replay_window = 1024 }
        }
    }
}
secrets { ike { secret = $PSK } }
ikehelper { keep_alive = 2s
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
            behind { local_ts = 10.4.0.0/24
                remote_ts = 10.3.0.0/24
                esp_proposals = aes128gcm16 }
        }
    }
}
secrets { ike { secret = $PSK } }
EOC
}

through_nat() {	# WHAT PUBLIC-SPIS-COMMAND...
	what=$1
	shift
	if ikectl x behind ike up public >/tmp/up.out 2>&1; then
		pass "$what: ikehelper behind the NAT brings the tunnel up"
	else
		fail "$what: ikehelper behind the NAT brings the tunnel up" "$(cat /tmp/up.out)"
		return
	fi
	same "$what: ikehelper saw the NAT and moved to port 4500" \
		"$(ike_json x behind '(d["ike_sas"][0]["nat"], d["ike_sas"][0]["local_port"], d["ike_sas"][0]["child_sas"][0]["encap"])')" \
		"('local', 4500, 'yes')"
	same "$what: the same SPIs on both sides" "$(spis x behind)" "$("$@" | awk '{print $2, $1}')"
	check "$what: ping 10.3.0.1 -> 10.4.0.1 through the NAT, ESP in UDP" \
		ip netns exec x ping -c 3 -i 0.3 -W 2 -I 10.3.0.1 10.4.0.1
	k0=$(nat_keepalives)
	sleep 5
	k1=$(nat_keepalives)
	same "$what: the NAT forwarded keepalives (2 s interval) from behind it" \
		"$([ "$k1" -ge $((k0 + 2)) ] && echo yes || echo "no: $k0 -> $k1")" yes
	if [ -n "${PUBLIC_IKEHELPER:-}" ]; then
		same "$what: the public ikehelper saw its peer behind a NAT, ESP in UDP" \
			"$(ike_json y public '(d["ike_sas"][0]["nat"], d["ike_sas"][0]["child_sas"][0]["encap"])')" \
			"('remote', 'yes')"
	fi
	check "$what: down" ikectl x behind ike down public
}

# charon on the public side (its XFRM SAs are ESP in UDP too)
if charon_start y "$(public_conf)"; then
	through_nat "with charon" charon_child_spis behind
	same "with charon: charon's CHILD_SA was ESP in UDP" \
		"$(grep -c 'UDP_ENCAP\|in-UDP\|ESP_IN_UDP\|encap' $CHARON_STATE/charon.log | awk '{print ($1 > 0) ? "yes" : "no"}')" yes
	charon_stop
else
	fail "charon starts on the public side"
fi

# another ikehelper on the public side
ikehelper_start y public "$(public_conf)" || fail "ikehelper starts on the public side"
PUBLIC_IKEHELPER=1
through_nat "with ikehelper" spis y public

if [ "$FAILED" != 0 ]; then
	show_logs behind public
	[ -f $CHARON_STATE/charon.log ] && tail -40 $CHARON_STATE/charon.log | sed 's/^/  charon: /'
fi
finish
