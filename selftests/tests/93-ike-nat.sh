#!/bin/sh
# ikehelper behind a NAT (ike_peers.sh's ike_nat_sites: n translates x's
# UDP, raw ESP from x cannot come back), first with charon as the public
# peer, then with another ikehelper; then charon behind the NAT and
# ikehelper in front. NAT detection moves IKE to port 4500, the CHILD_SA
# is ESP in UDP on both sides, traffic flows, both show the same SPIs, and
# the side behind the NAT sends keepalives across it.
#
# With charon in front: start_action = start brings the tunnel up when
# ikehelper starts, and a connection added by a reload when it is loaded;
# DPD (dpd_delay 3 s) sends no request while ESP comes in, and does when
# the tunnel is idle; the NAT's mapping changes (new port) and charon
# follows, with the same SPIs.
# With ikehelper in front: the mapping changes while charon's IKE is held
# back at the NAT; kesp.ko's MAPPING event is logged but the SAs and the
# IKE SA stay on the old port until charon's next IKE message (its DPD)
# gets through (RFC 7296 §2.23); then both move, same SPIs, pings pass.
. "$KESP_SRC/selftests/tests/lib.sh"
. "$KESP_SRC/selftests/tests/ike_peers.sh"
. "$KESP_SRC/selftests/tests/ike_lib.sh"

ike_nat_sites 4
# n counts x's keepalives (one-byte datagrams from port 4500) and, when
# told to, holds back x's IKE on port 4500 (the non-ESP marker, four zero
# octets, starts the payload; keepalives and ESP pass).
nat_watch() {
	ip netns exec n nft -f - <<EON
table ip kesp_keepalives
delete table ip kesp_keepalives
table ip kesp_keepalives {
	counter keepalives { }
	counter held { }
	chain forward_x {
		type filter hook forward priority filter;
		iifname "veth-nx" udp sport 4500 udp length 9 counter name keepalives
		${1:+iifname "veth-nx" udp dport 4500 @th,64,32 0 counter name held drop}
	}
}
EON
}
nat_counter() {
	ip netns exec n nft list counter ip kesp_keepalives "$1" | awk '/packets/ {print $2}'
}
nat_keepalives() { nat_counter keepalives; }
nat_watch

# until_ok SECONDS CMD...: until CMD succeeds, SECONDS at most.
until_ok() {
	uo_end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$uo_end" ] || return 1
		sleep 0.3
	done
}
replies() { [ "$(grep -c 'bytes from' "$1")" -ge "$2" ]; }
moves() { grep -c 'peer moved to' "$(ike_log ikehelper public)"; }
child_up() { ikectl "$1" "$2" ike list | grep -q 'INSTALLED'; }
# only_conn NS NAME CONN: one IKE SA, of CONN, established, its CHILD_SA installed
only_conn() {
	oc=$(ikectl "$1" "$2" ike list)
	[ "$(echo "$oc" | grep -c '^[^ ].*\[')" = 1 ] && echo "$oc" | grep -q "^$3\[.*ESTABLISHED" &&
		echo "$oc" | grep -q INSTALLED
}
# snap NS NAME: ikehelper's SAs as JSON, read by snap_get KEYS (json_grep)
snap() { snapped=$(ikectl "$1" "$2" --json ike list); }
snap_get() { printf '%s' "$snapped" | json_grep "$1" | tr '\n' ' '; }
# charon's INFORMATIONAL requests without payloads (DPD) so far.
charon_dpds() { grep -c 'parsed INFORMATIONAL request [0-9]* \[ \]' "$(ike_log charon "$1")"; }

# Both sides say mobike = no: this test is about RFC 7296 §2.23 (a MOBIKE
# gateway follows only UPDATE_SA_ADDRESSES; test 89 is MOBIKE's).
# behind_conf NAME DPD_DELAY [CHILD-KEY]: the swanctl.conf of the side
# behind the NAT, for charon; with ikehelper's settings for ikehelper.
behind_conf() {
	cat <<EOC
connections {
    $1 {
        remote_addrs = $Y
        proposals = aes256gcm16-prfsha256-x25519
        mobike = no
        dpd_delay = $2
        local { auth = psk
            id = behind.kesp }
        remote { auth = psk
            id = public }
        children {
            public { local_ts = $XNET
                remote_ts = $YNET
                esp_proposals = aes128gcm16
                replay_window = 1024
                ${3:-} }
        }
    }
}
secrets { ike { secret = $PSK } }
EOC
}
# ikehelper_behind_conf NAME: with start_action = start and DPD every 3 s.
# Its first IKE_AUTH waits for charon's first SA, which waits for the
# guest kernel to self-test its crypto (30 s seen on a loaded host): it
# retransmits for 80 s before it gives up.
ikehelper_behind_conf() {
	behind_conf "$1" 3s 'start_action = start'
	echo 'ikehelper { keep_alive = 1s
    retransmit_timeout = 2s
    retransmit_tries = 5 }'
}

public_conf() {	# the public side's swanctl.conf, for charon and ikehelper alike
	cat <<EOC
connections {
    behind {
        mobike = no
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

# through_nat WHAT PUBLIC-SPIS-COMMAND...: the tunnel from behind the NAT,
# connection $CONN of ikehelper in x; brought up with kespctl unless
# $STARTED says ikehelper started it. $PUBLIC says who answers (charon or
# ikehelper), for its own checks.
through_nat() {
	what=$1
	shift
	if [ -n "${STARTED:-}" ]; then
		:
	elif ikectl x behind ike up $CONN >/tmp/up.out 2>&1; then
		pass "$what: ikehelper behind the NAT brings the tunnel up"
	else
		fail "$what: ikehelper behind the NAT brings the tunnel up" "$(cat /tmp/up.out)"
		return
	fi
	same "$what: ikehelper saw the NAT and moved to port 4500, ESP in UDP" \
		"$(ikectl x behind --json ike list | json_grep 'nat\|local_port\|encap' | tr '\n' ' ')" \
		"4500 local yes "
	if [ "$PUBLIC" = charon ]; then
		same "$what: charon's CHILD_SA is ESP in UDP too" "$(charon_get y child behind encap)" yes
	else
		same "$what: the public ikehelper saw its peer behind a NAT, ESP in UDP" \
			"$(ikectl y public --json ike list | json_grep 'nat\|encap' | tr '\n' ' ')" \
			"remote yes "
	fi
	same "$what: the same SPIs on both sides" "$(spis x behind)" "$("$@" | awk '{print $2, $1}')"
	if [ "$PUBLIC" = charon ]; then
		# DPD counts ESP: pings for 7 s (over two dpd_delays) bring no
		# DPD request, as charon's DPD behaves; idle, one comes. The
		# count starts once replies come in (a request sent before
		# them is not counted).
		ip netns exec x ping -c 36 -i 0.2 -W 2 -I $XIN $YIN >/tmp/ping-a.out 2>&1 &
		ping_pid=$!
		until_ok 30 replies /tmp/ping-a.out 5
		d0=$(charon_dpds y)
		if wait "$ping_pid"; then
			pass "$what: ping $XIN -> $YIN for 7 s through the NAT, ESP in UDP"
		else
			fail "$what: ping $XIN -> $YIN for 7 s through the NAT, ESP in UDP" \
				"$(tail -3 /tmp/ping-a.out)"
		fi
		same "$what: ikehelper's DPD (dpd_delay 3 s) sent no request while ESP came in" \
			"$(charon_dpds y)" "$d0"
	else
		check "$what: ping $XIN -> $YIN through the NAT, ESP in UDP" \
			ip netns exec x ping -c 3 -i 0.3 -W 2 -I $XIN $YIN
	fi
	k0=$(nat_keepalives)
	sleep 3
	k1=$(nat_keepalives)
	same "$what: the NAT forwarded keepalives (1 s interval) from behind it" \
		"$([ "$k1" -ge $((k0 + 2)) ] && echo yes || echo "no: $k0 -> $k1")" yes
	if [ "$PUBLIC" = charon ]; then
		if until_ok 30 sh -c "[ \$(grep -c 'parsed INFORMATIONAL request [0-9]* \[ \]' \
				$(ike_log charon y)) -gt $d0 ]"; then
			pass "$what: idle, ikehelper's DPD sends its request"
		else
			fail "$what: idle, ikehelper's DPD sends its request" "$(charon_dpds y) requests"
		fi
	fi
}

# where NS's ESP SAs go: "DIR SRC SPORT DST DPORT" per SA (kespctl sa list)
esp_ends() {
	$KESPCTL -n "$1" sa list | awk '/^sa / { for (i = 1; i < NF; i++) if ($i == "dir") d = $(i + 1) }
		$1 == "src" { s = $2; t = $4 } $1 == "encap" { print d, s, $3, t, $4 }' | sort
}

# charon behind the NAT (the last part) starts beside the public one, on
# ports 1500 and 14500 so as not to meet ikehelper's in x.
mkdir -p x
behind_conf public 2s >x/swanctl.conf
mkdir -p y
public_conf >y/swanctl.conf
charon_spawn y y
charon_spawn x x "port = 1500
	port_nat_t = 14500
	retransmit_timeout = 1
	retransmit_base = 1.4
	retransmit_tries = 12"

# ---- charon in front ----
if charon_wait y && charon_swanctl y --load-all >/tmp/load.out 2>&1; then
	PUBLIC=charon CONN=public
	if ikehelper_start x behind "$(ikehelper_behind_conf public)" &&
		until_ok 90 child_up x behind; then
		pass "start_action = start: ikehelper's tunnel to charon is up when it starts"
		STARTED=1 through_nat "with charon" charon_child_spis y behind
	else
		fail "start_action = start: ikehelper's tunnel to charon is up when it starts" \
			"$(ikectl x behind ike list 2>&1)"
	fi

	# The NAT's mapping changes: charon, in front, follows x's new port.
	before="$(spis x behind) $(charon_get y ike behind initiator-spi responder-spi)"
	nat_to :41000-41999 "meta l4proto udp"
	if until_ok 30 ip netns exec x ping -c 1 -W 1 -I $XIN $YIN; then
		pass "with charon: a new NAT mapping, pings pass again"
	else
		fail "with charon: a new NAT mapping, pings pass again"
	fi
	same "with charon: charon follows the new port, without renegotiating (same SPIs)" \
		"$(spis x behind) $(charon_get y ike behind initiator-spi responder-spi remote-port | awk '{print $1, $2, substr($3, 1, 2)}')" \
		"$before 41"

	# A reload adds a connection with start_action = start (and removes
	# the old one): it comes up.
	ikehelper_behind_conf public2 >"$IKE_STATE/ikehelper-behind/conf"
	if ikectl x behind ike reload >/tmp/reload.out 2>&1 &&
		until_ok 60 only_conn x behind public2; then
		pass "start_action = start: a connection added by a reload (the old one removed) comes up with charon"
	else
		fail "start_action = start: a connection added by a reload (the old one removed) comes up with charon" \
			"$(cat /tmp/reload.out; ikectl x behind ike list 2>&1)"
	fi
	same "the reload: the same SPIs at charon" "$(spis x behind)" \
		"$(charon_child_spis y behind | awk '{print $2, $1}')"
	check "the reload: down" ikectl x behind ike down public2
	charon_stop y
else
	fail "charon starts on the public side" "$(cat /tmp/load.out)"
fi

# ---- ikehelper in front ----
if ikehelper_start y public "$(public_conf)"; then
	PUBLIC=ikehelper CONN=public2
	through_nat "with ikehelper" spis y public
	check "with ikehelper: down" ikectl x behind ike down public2
else
	fail "ikehelper starts on the public side"
fi
ikehelper_stop behind

# ---- charon behind the NAT, ikehelper in front ----
what="charon behind the NAT"
if charon_wait x && charon_swanctl x --load-all >/tmp/load.out 2>&1 && charon_up x public; then
	pass "$what: its tunnel to ikehelper is up"
	ends0=$(esp_ends y)
	snap y public
	old=$(snap_get 'remote_address\|remote_port')
	before=$(snap_get 'spi_i\|spi_r\|spi_in\|spi_out')
	ip netns exec x ping -i 0.2 -c 200 -W 1 -I $XIN $YIN >/tmp/ping-b.out 2>&1 &
	ping_pid=$!
	# charon's IKE is held at the NAT; the NAT's mapping changes.
	m0=$(moves)
	nat_watch hold
	nat_to :42000-42999 "meta l4proto udp"
	if until_ok 30 log_has public "CHILD_SA behind\{[0-9]*\}: the peer's ESP now comes from $N\[42"; then
		pass "$what: kesp.ko's MAPPING event: the peer's ESP comes from the new port"
	else
		fail "$what: kesp.ko's MAPPING event: the peer's ESP comes from the new port" \
			"$(grep -i 'ESP now\|moved' "$(ike_log ikehelper public)" | tail -3)"
	fi
	until_ok 30 sh -c "[ \$(ip netns exec n nft list counter ip kesp_keepalives held | \
		awk '/packets/ {print \$2}') -ge 1 ]"
	snap y public
	same "$what: until charon's IKE gets through (its DPD held: $(nat_counter held)), ikehelper's SAs and IKE SA stay on the old port" \
		"$(esp_ends y)|$(snap_get 'remote_address\|remote_port')|$(moves)" "$ends0|$old|$m0"
	nat_watch
	if until_ok 40 log_has public "peer moved to $N:42[0-9]*"; then
		pass "$what: charon's next IKE message (DPD) from the new port moves the IKE SA"
	else
		fail "$what: charon's next IKE message (DPD) from the new port moves the IKE SA" \
			"$(tail -5 "$(ike_log ikehelper public)")"
	fi
	snap y public
	new=$(snap_get 'remote_address\|remote_port')
	np=$(snap_get remote_port | tr -d ' ')
	case "$new" in
	"$N 42"???" ") pass "$what: the IKE SA's peer is the new mapping ($new)" ;;
	*) fail "$what: the IKE SA's peer is the new mapping" "$new (was $old)" ;;
	esac
	same "$what: and its CHILD_SA's ESP in UDP, both directions" "$(esp_ends y)" \
		"$(echo "$ends0" | sed "s/ [0-9]* $Y 4500\$/ $np $Y 4500/; s/ $N [0-9]*\$/ $N $np/")"
	same "$what: no renegotiation (same CHILD and IKE SPIs), charon agrees" \
		"$(snap_get 'spi_i\|spi_r\|spi_in\|spi_out')|$(charon_child_spis x public)" \
		"$before|$(snap_get 'spi_out\|spi_in' | awk '{print $2, $1}')"
	check "$what: ping $XIN -> $YIN after the move" \
		ip netns exec x ping -c 3 -i 0.3 -W 2 -I $XIN $YIN
	kill -INT "$ping_pid" 2>/dev/null
	wait "$ping_pid" 2>/dev/null
	echo "# $what: $(grep -o '[0-9]* packets transmitted, [0-9]* received' /tmp/ping-b.out) across the mapping change, now $new"
	charon_stop x
else
	fail "$what: its tunnel to ikehelper is up" "$(cat /tmp/load.out)"
fi

[ "$FAILED" != 0 ] && ike_tail_logs 30
finish
