# Helpers for the ikehelper guest tests (sourced after lib.sh).
# shellcheck shell=sh

IKEHELPER=${IKEHELPER:-$KESP_SRC/ikehelper/ikehelper}
PSK='"kesp-guest-test-Xq7#pL9!zW2@"'

# ikeh_sites: namespaces a and b on one wire (192.168.100.0/24,
# fd00:100::/64; .1 is a, .2 is b), each with an inner network on a dummy
# device: a has 10.1.0.1/24 and fd00:1::1/64, b 10.2.0.1/24 and
# fd00:2::1/64. No kesp device: ikehelper makes its own.
ikeh_sites() {
	netns_add a b
	ip link add veth-a netns a type veth peer name veth-b netns b
	for ns in a b; do
		ip -n $ns link set veth-$ns up
		ip -n $ns link add inner type dummy
		ip -n $ns link set inner up
	done
	ip -n a addr add 192.168.100.1/24 dev veth-a
	ip -n b addr add 192.168.100.2/24 dev veth-b
	ip -n a addr add fd00:100::1/64 dev veth-a nodad
	ip -n b addr add fd00:100::2/64 dev veth-b nodad
	ip -n a addr add 10.1.0.1/24 dev inner
	ip -n b addr add 10.2.0.1/24 dev inner
	ip -n a addr add fd00:1::1/64 dev inner nodad
	ip -n b addr add fd00:2::1/64 dev inner nodad
}

# ikehelper_start NS NAME CONFIG-TEXT [ARGS...]: runs ikehelper in NS with
# its config in /tmp/NAME.conf, its log in /tmp/NAME.log and its control
# socket /tmp/NAME.sock; waits until it says it started.
IKE_PIDS=""
ikehelper_start() {
	ns=$1 name=$2
	printf '%s\n' "$3" >/tmp/"$name".conf
	shift 3
	rm -f /tmp/"$name".sock
	ip netns exec "$ns" "$IKEHELPER" -f -d 2 -c /tmp/"$name".conf -s /tmp/"$name".sock "$@" \
		>/tmp/"$name".log 2>&1 &
	IKE_PIDS="$IKE_PIDS $!"
	if ! wait_line /tmp/"$name".log 'ikehelper .* started'; then
		echo "ikehelper $name did not start:"
		sed 's/^/  /' /tmp/"$name".log
		return 1
	fi
}

# The daemons' logs go to the host with the guest's output (build/vm/KVER/out).
IKE_LOG_DIR=/run/kesp/out/ike-logs
ike_save_logs() {
	mkdir -p "$IKE_LOG_DIR" 2>/dev/null || return 0
	for l in /tmp/*.log; do
		[ -f "$l" ] && cp "$l" "$IKE_LOG_DIR/${TEST_NAME:-test}-$(basename "$l")"
	done
}

ikehelper_stop_all() {
	# shellcheck disable=SC2086
	[ -n "$IKE_PIDS" ] && kill $IKE_PIDS 2>/dev/null
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		alive=0
		for p in $IKE_PIDS; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.3
	done
	wait 2>/dev/null
	IKE_PIDS=""
	ike_save_logs
}

# ikectl NS NAME ARGS...: kespctl ike against ikehelper NAME.
ikectl() {
	ns=$1 name=$2
	shift 2
	ip netns exec "$ns" env KESP_IKEHELPER_SOCKET=/tmp/"$name".sock $KESPCTL "$@"
}

# ike_json NS NAME EXPR: EXPR over `kespctl --json ike list`'s document d.
ike_json() {
	ikectl "$1" "$2" --json ike list |
		python3 -c "import json,sys; d=json.load(sys.stdin); print($3)" 2>&1
}

# spis NS NAME: "SPI_IN SPI_OUT" of the first CHILD_SA.
spis() {
	ike_json "$1" "$2" '" ".join((lambda c: [c["spi_in"], c["spi_out"]])(d["ike_sas"][0]["child_sas"][0]))'
}

# kernel_sa_count NS: SAs kesp.ko holds in NS.
kernel_sa_count() {
	ip netns exec "$1" $KESPCTL --json sa list 2>/dev/null |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(len(d) if isinstance(d, list) else len(d.get('sas', [])))" 2>/dev/null ||
		echo "?"
}

# log_has NAME PATTERN: the log of ikehelper NAME has a line matching PATTERN.
log_has() { grep -Eq -- "$2" /tmp/"$1".log; }

# show_logs NAME...: the last lines of each log, for a failure.
show_logs() {
	for l in "$@"; do
		echo "--- $l.log"
		tail -25 /tmp/"$l".log | sed 's/^/  /'
	done
}
