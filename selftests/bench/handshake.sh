# The handshake lines of the benchmark (sourced by guest-bench.sh): the IKE
# daemons, not the data planes. "kesp" is ikehelper, "xfrm" strongSwan's
# charon, each pair in namespaces of its own (ikehelpers in hs-a and
# hs-b, charons in hs-c and hs-d; a and c initiate), the same proposals
# (AES-GCM-256, PRF-HMAC-SHA-256, Curve25519; ESP AES-GCM-128), PSK.
#   handshake latency   ms from the initiator's first IKE_SA_INIT to its
#                       CHILD_SA installed, read from the initiator's own
#                       log (so no control tool's start-up is counted), one
#                       run per up/down cycle, the two stacks' cycles taking
#                       turns
#   handshake rate      IKE SAs with a CHILD_SA per second that the
#                       responder brings up when HS_N initiators arrive at
#                       once: ikehelper initiates them all (the same
#                       initiator for both responders), the responder is
#                       ikehelper or charon; from the responder's log, from
#                       its first IKE_SA_INIT to its HS_N-th CHILD_SA;
#                       twice per stack, the stacks taking turns
# Cookies are off on both responders (a threshold above HS_N), and so is
# charon's limit of 5 half-open SAs per peer address (block_threshold; all
# initiators share one): the lines measure the exchanges, not the flood
# defences.
# shellcheck shell=sh

bench_handshake() {
	if [ "$PROFILE" != full ]; then
		manifest skipped handshake all - - "the handshake lines run in make bench only"
		return
	fi
	(
		. "$SRC/selftests/tests/lib.sh"
		. "$SRC/selftests/tests/ike_peers.sh"
		. "$SRC/selftests/tests/ike_lib.sh"
		handshake_bench
	)
}

HS_CYCLES=20
HS_N=200
HS_A=192.168.250.1
HS_B=192.168.250.2
HS_PSK='"bench-handshakes-Qx7#kP2!mZ9@"'

# hs_pair INITIATOR-NS RESPONDER-NS: the two joined by a veth, HS_A and
# HS_B, a subnet behind the responder.
hs_pair() {
	netns_add "$1" "$2"
	ip link add wire netns "$1" type veth peer name wire netns "$2"
	ip -n "$1" addr add $HS_A/24 dev wire
	ip -n "$2" addr add $HS_B/24 dev wire
	ip -n "$1" link set wire up
	ip -n "$2" link set wire up
	ip -n "$2" link add site type dummy
	ip -n "$2" link set site up
	ip -n "$2" addr add 10.200.0.1/24 dev site
}
# hs_conf ROLE [N]: a swanctl.conf both daemons read. ROLE "pair-a" and
# "pair-b": one connection each way; "many" N initiator connections with
# start_action = start; "any": one responder connection for all of them.
hs_conf() {
	echo "connections {"
	case $1 in
	pair-a|pair-b)
		if [ $1 = pair-a ]; then me=a peer=b lts=10.100.0.0/24 rts=10.200.0.0/24 addr="remote_addrs = $HS_B"
		else me=b peer=a lts=10.200.0.0/24 rts=10.100.0.0/24 addr=""; fi
		cat <<EOF
  $peer {
    $addr
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
      id = $me.bench }
    remote { auth = psk
      id = $peer.bench }
    children { $peer { local_ts = $lts
      remote_ts = $rts
      esp_proposals = aes128gcm16 } }
  }
EOF
		;;
	many)
		i=1
		while [ $i -le "$2" ]; do
			cat <<EOF
  c$i {
    remote_addrs = $HS_B
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
      id = i$i.bench }
    remote { auth = psk
      id = b.bench }
    children { c$i { local_ts = 10.100.$((i / 250)).$((i % 250 + 1))/32
      remote_ts = 10.200.0.0/24
      esp_proposals = aes128gcm16
      start_action = start } }
  }
EOF
			i=$((i + 1))
		done
		;;
	any)
		cat <<EOF
  any {
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
      id = b.bench }
    remote { auth = psk }
    children { any { local_ts = 10.200.0.0/24
      remote_ts = 10.100.0.0/16
      esp_proposals = aes128gcm16 } }
  }
EOF
		;;
	esac
	echo "}"
	echo "secrets { ike { secret = $HS_PSK } }"
}

# The awk function both log readers share: ms of a line's HH:MM:SS.mmm.
HS_AWK_MS='function t(x,   h) { split(x, h, /[:.]/); return ((h[1] * 60 + h[2]) * 60 + h[3]) * 1000 + h[4] }'

# ms between the first line matching START and the first matching END
# after it, per IKE SA, from a log whose lines start HH:MM:SS.mmm.
hs_ms() {	# LOG START-REGEX END-REGEX
	awk -v s="$2" -v e="$3" "$HS_AWK_MS"'
		$0 ~ s { t0 = t($1) }
		$0 ~ e && t0 { print t($1) - t0; t0 = 0 }' "$1"
}

handshake_bench() {
	cd "$(mktemp -d)" || return
	hs_pair hs-a hs-b
	hs_pair hs-c hs-d
	mkdir -p hs-c hs-d
	# charon logs milliseconds too; no cookies, no per-address limit.
	HS_CHARON="cookie_threshold = 100000
	block_threshold = 100000
	filelog { stderr { time_add_ms = yes } }"

	# ---- latency: HS_CYCLES up/down cycles per stack, taking turns ----
	ikehelper_start hs-a a "$(hs_conf pair-a)"
	ikehelper_start hs-b b "$(hs_conf pair-b)"
	hs_conf pair-a >hs-c/swanctl.conf
	hs_conf pair-b >hs-d/swanctl.conf
	charon_spawn hs-c hs-c "$HS_CHARON"
	charon_spawn hs-d hs-d "$HS_CHARON"
	charon_wait hs-c && charon_wait hs-d &&
		charon_swanctl hs-c --load-all >/dev/null 2>&1 &&
		charon_swanctl hs-d --load-all >/dev/null 2>&1 || log "handshake: charon did not start"
	i=1
	while [ $i -le $HS_CYCLES ]; do
		ikectl hs-a a ike up b >/dev/null 2>&1 || log "handshake: ikehelper up $i failed"
		ikectl hs-a a ike down b >/dev/null 2>&1
		charon_up hs-c b 60 || log "handshake: charon up $i failed"
		charon_swanctl hs-c --terminate --ike b --timeout 10 >/dev/null 2>&1
		sleep 0.2
		i=$((i + 1))
	done
	hs_latencies kesp "$(ike_log ikehelper a)" ' initiating to ' 'CHILD_SA .* established'
	hs_latencies xfrm "$(ike_log charon hs-c)" 'initiating IKE_SA b\[' 'CHILD_SA b.* established'
	ikehelper_stop a b
	charon_stop hs-c hs-d

	# ---- rate: HS_N initiators at once against each responder ----
	hs_conf any >hs-d/swanctl.conf
	for run in 1 2; do
		for STACK in kesp xfrm; do
			hs_rate $run
		done
	done
	ikehelper_cleanup
	trap - EXIT
}

# hs_latencies STACK LOG START-REGEX END-REGEX: a manifest line per cycle.
hs_latencies() {
	hs_i=1
	hs_ms "$2" "$3" "$4" | while read -r ms; do
		manifest value handshake latency-to-CHILD_SA "$1" $hs_i "$ms"
		hs_i=$((hs_i + 1))
	done
}

# hs_rate RUN: HS_N ikehelper initiators against $STACK's responder.
hs_rate() {
	if [ $STACK = kesp ]; then
		ini=hs-a
		ikehelper_start hs-b r$STACK$1 "$(printf '%s\nikehelper { cookie_threshold = 100000 }\n' \
			"$(hs_conf any)")"
		rlog=$(ike_log ikehelper r$STACK$1)
		first='IKE_SA_INIT from' done_re='CHILD_SA .* established'
	else
		ini=hs-c
		charon_start hs-d hs-d "$HS_CHARON" &&
			charon_swanctl hs-d --load-all >/dev/null 2>&1 || log "handshake: charon did not start"
		rlog=$(ike_log charon hs-d)
		first='is initiating an IKE_SA' done_re='CHILD_SA any.* established'
	fi
	# charon's log goes on from the runs before: read what follows.
	from=$(($(wc -l <"$rlog") + 1))
	ikehelper_start $ini i$STACK$1 "$(printf '%s\nikehelper { retransmit_timeout = 10s }\n' \
		"$(hs_conf many $HS_N)")"
	deadline=$(($(date +%s) + 300))
	while [ "$(tail -n +$from "$rlog" | grep -c "$done_re")" -lt $HS_N ] &&
		[ "$(date +%s)" -lt "$deadline" ]; do
		sleep 1
	done
	got=$(tail -n +$from "$rlog" | grep -c "$done_re")
	rate=$(tail -n +$from "$rlog" | awk -v s="$first" -v e="$done_re" -v n=$HS_N "$HS_AWK_MS"'
		$0 ~ s && !t0 { t0 = t($1) }
		$0 ~ e { c++; if (c == n) { printf "%.1f", n * 1000 / (t($1) - t0); exit } }')
	if [ -n "$rate" ]; then
		manifest value hsrate "$HS_N-initiators-at-once-as-responder" $STACK "$1" "$rate"
	else
		manifest na hsrate "$HS_N-initiators-at-once-as-responder" $STACK - \
			"only $got of $HS_N CHILD SAs came up in 300 s"
	fi
	log "handshake rate $STACK run $1: $got of $HS_N, ${rate:-?}/s"
	ikehelper_stop i$STACK$1
	if [ $STACK = kesp ]; then ikehelper_stop r$STACK$1; else charon_stop hs-d; fi
}
