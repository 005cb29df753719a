# ikehelper in guest tests (sourced after lib.sh and ike_peers.sh, whose
# topologies, charon and pluto helpers, state directory and logs it uses).
# shellcheck shell=sh
#
#   ikehelper_start NS NAME CONFIG-TEXT
#                        ikehelper in NS with CONFIG-TEXT as its config, its
#                        control socket and pid in $IKE_STATE/ikehelper-NAME,
#                        its log $(ike_log ikehelper NAME) (level 2); returns
#                        once it says it started (fails if it dies first).
#   ikehelper_stop NAME...   SIGTERM (it deletes its SAs), as ike_stop does.
#   ikectl NS NAME ARGS...   kespctl ARGS against ikehelper NAME.
#   ike_json NS NAME EXPR    EXPR over `kespctl --json ike list`'s document d.
#   spis NS NAME             "SPI_IN SPI_OUT" of NAME's first CHILD_SA.
#   kernel_sa_count NS       the SAs kesp.ko holds in NS.
#   log_has NAME PATTERN     ikehelper NAME's log has a line matching PATTERN.
# Variables of these helpers start with ih_, so a caller's survive.

IKEHELPER=${IKEHELPER:-$KESP_SRC/ikehelper/ikehelper}
PSK='"kesp-guest-test-Xq7#pL9!zW2@"'

ikehelper_start() {
	ih_state=$IKE_STATE/ikehelper-$2 ih_log=$(ike_log ikehelper "$2")
	mkdir -p "$ih_state"
	printf '%s\n' "$3" >"$ih_state/conf"
	rm -f "$ih_state/sock"
	echo "=== ikehelper_start $1 $2 $(date +%T)" >>"$ih_log"
	ip netns exec "$1" "$IKEHELPER" -f -d 2 -c "$ih_state/conf" -s "$ih_state/sock" \
		>>"$ih_log" 2>&1 &
	echo $! >"$ih_state/pid"
	ih_deadline=$(($(date +%s) + 60))
	while [ "$(date +%s)" -lt "$ih_deadline" ]; do
		grep -q 'ikehelper .* started' "$ih_log" && return 0
		ike_alive "$(cat "$ih_state/pid")" || break
		sleep 0.2
	done
	echo "ikehelper $2 did not start; its log ends:"
	tail -n 20 "$ih_log"
	return 1
}

ikehelper_stop() {
	for ih_n in "$@"; do set -- "$@" "ikehelper-$ih_n"; shift; done
	ike_stop "$@"
}

ikehelper_cleanup() {
	# shellcheck disable=SC2046
	ike_stop $(cd "$IKE_STATE" 2>/dev/null && ls -d ikehelper-* 2>/dev/null)
	ike_cleanup
}
trap ikehelper_cleanup EXIT

ikectl() {
	ih_ns=$1 ih_name=$2
	shift 2
	ip netns exec "$ih_ns" env KESP_IKEHELPER_SOCKET="$IKE_STATE/ikehelper-$ih_name/sock" \
		$KESPCTL "$@"
}

ike_json() {
	ikectl "$1" "$2" --json ike list |
		python3 -c "import json,sys; d=json.load(sys.stdin); print($3)" 2>&1
}

spis() {
	ike_json "$1" "$2" '" ".join((lambda c: [c["spi_in"], c["spi_out"]])(d["ike_sas"][0]["child_sas"][0]))'
}

kernel_sa_count() {
	ip netns exec "$1" $KESPCTL --json sa list 2>/dev/null |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(len(d))" 2>/dev/null || echo "?"
}

log_has() { grep -Eq -- "$2" "$(ike_log ikehelper "$1")"; }

# xfrm_count NS: XFRM states in NS (a peer's side of a tunnel).
xfrm_count() { ip -n "$1" xfrm state | grep -c '^src'; }
