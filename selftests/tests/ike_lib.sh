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
# (Variables of these helpers start with ih_, so a caller's loop
# variables survive.)
IKE_PIDS=""
ikehelper_start() {
	ih_ns=$1 ih_name=$2
	printf '%s\n' "$3" >/tmp/"$ih_name".conf
	shift 3
	rm -f /tmp/"$ih_name".sock
	ip netns exec "$ih_ns" "$IKEHELPER" -f -d 2 -c /tmp/"$ih_name".conf \
		-s /tmp/"$ih_name".sock "$@" >/tmp/"$ih_name".log 2>&1 &
	IKE_PIDS="$IKE_PIDS $!"
	if ! wait_line /tmp/"$ih_name".log 'ikehelper .* started'; then
		echo "ikehelper $ih_name did not start:"
		sed 's/^/  /' /tmp/"$ih_name".log
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
		ih_alive=0
		for ih_p in $IKE_PIDS; do kill -0 "$ih_p" 2>/dev/null && ih_alive=1; done
		[ $ih_alive = 0 ] && break
		sleep 0.3
	done
	# shellcheck disable=SC2086
	[ -n "$IKE_PIDS" ] && wait $IKE_PIDS 2>/dev/null
	IKE_PIDS=""
	ike_save_logs
}

# ikectl NS NAME ARGS...: kespctl ike against ikehelper NAME.
ikectl() {
	ih_ns=$1 ih_name=$2
	shift 2
	ip netns exec "$ih_ns" env KESP_IKEHELPER_SOCKET=/tmp/"$ih_name".sock $KESPCTL "$@"
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
	for ih_l in "$@"; do
		echo "--- $ih_l.log"
		tail -25 /tmp/"$ih_l".log | sed 's/^/  /'
	done
}

# ---- strongSwan's charon (one per test run) ----
# charon_start NS SWANCTL-CONF-TEXT: charon in NS with only the plugins the
# tests need, logging to /tmp/charon.log, its config loaded; returns once
# swanctl answers (charon needs seconds to start under TCG).
CHARON=${CHARON:-/usr/lib/ipsec/charon}
CHARON_STATE=/tmp/charon-state
CHARON_PID=""
charon_start() {
	mkdir -p $CHARON_STATE
	printf '%s\n' "$2" >$CHARON_STATE/swanctl.conf
	cat >$CHARON_STATE/strongswan.conf <<EOC
charon {
	load = random nonce openssl pem pkcs1 x509 pubkey curve25519 gmp aes sha1 sha2 hmac kdf gcm chapoly kernel-netlink socket-default vici
	filelog {
		test {
			path = $CHARON_STATE/charon.log
			default = 2
			time_format = %H:%M:%S
			flush_line = yes
		}
	}
}
swanctl {
	load = random nonce openssl pem pkcs1 x509 pubkey
}
EOC
	rm -f /run/charon.pid /run/charon.vici
	STRONGSWAN_CONF=$CHARON_STATE/strongswan.conf ip netns exec "$1" "$CHARON" \
		>$CHARON_STATE/charon.stderr 2>&1 &
	CHARON_PID=$!
	CHARON_NS=$1
	for _ in $(seq 120); do
		charon_swanctl --stats >/dev/null 2>&1 && break
		kill -0 $CHARON_PID 2>/dev/null || break
		sleep 0.5
	done
	charon_swanctl --load-all --file $CHARON_STATE/swanctl.conf >$CHARON_STATE/load.out 2>&1 || {
		echo "charon did not start or load its config:"
		sed 's/^/  /' $CHARON_STATE/load.out $CHARON_STATE/charon.stderr
		tail -20 $CHARON_STATE/charon.log 2>/dev/null | sed 's/^/  /'
		return 1
	}
}

charon_swanctl() {
	STRONGSWAN_CONF=$CHARON_STATE/strongswan.conf ip netns exec "$CHARON_NS" swanctl "$@"
}

charon_stop() {
	[ -n "$CHARON_PID" ] || return 0
	kill "$CHARON_PID" 2>/dev/null
	for _ in $(seq 20); do kill -0 "$CHARON_PID" 2>/dev/null || break; sleep 0.5; done
	kill -9 "$CHARON_PID" 2>/dev/null
	wait "$CHARON_PID" 2>/dev/null
	CHARON_PID=""
	[ -d "$IKE_LOG_DIR" ] && cp $CHARON_STATE/charon.log "$IKE_LOG_DIR/${TEST_NAME:-test}-charon.log" 2>/dev/null
}

# charon_child_spis CONN: "SPI_IN SPI_OUT" of each installed CHILD_SA of
# charon's IKE SA CONN, from swanctl --list-sas.
charon_child_spis() {
	charon_swanctl --list-sas --ike "$1" 2>/dev/null | awk '
		$1 == "in" && $2 ~ /^[0-9a-f]+,$/ { i = substr($2, 1, length($2) - 1) }
		$1 == "out" && $2 ~ /^[0-9a-f]+,$/ { print i, substr($2, 1, length($2) - 1) }'
}

# ikeh_nat_sites: x (10.9.1.2, inner 10.3.0.1/24) -- n -- y (10.9.2.2,
# inner 10.4.0.1/24). n masquerades x's UDP as 10.9.2.1 with ports
# 40000-40999 and forwards nothing else of x's (no raw ESP: it must go in
# UDP); y has no route to x's network, so only translated packets work.
# n counts x's NAT keepalives (one-byte datagrams from port 4500).
ikeh_nat_sites() {
	netns_add x n y
	ip link add veth-x netns x type veth peer name veth-nx netns n
	ip link add veth-y netns y type veth peer name veth-ny netns n
	for l in x/veth-x n/veth-nx n/veth-ny y/veth-y; do ip -n "${l%/*}" link set "${l#*/}" up; done
	ip -n x addr add 10.9.1.2/24 dev veth-x
	ip -n n addr add 10.9.1.1/24 dev veth-nx
	ip -n n addr add 10.9.2.1/24 dev veth-ny
	ip -n y addr add 10.9.2.2/24 dev veth-y
	ip -n x route add default via 10.9.1.1
	ip netns exec n sysctl -qw net.ipv4.ip_forward=1
	for ns in x y; do
		ip -n $ns link add inner type dummy
		ip -n $ns link set inner up
	done
	ip -n x addr add 10.3.0.1/24 dev inner
	ip -n y addr add 10.4.0.1/24 dev inner
	ip netns exec n nft -f - <<EON
table ip kesp {
	counter keepalives { }
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "veth-ny" ip saddr 10.9.1.0/24 meta l4proto udp masquerade to :40000-40999
	}
	chain forward_x {
		type filter hook forward priority filter;
		iifname "veth-nx" udp sport 4500 udp length 9 counter name keepalives
		iifname "veth-nx" meta l4proto != udp drop
	}
}
EON
}

# nat_keepalives: how many keepalives n has forwarded.
nat_keepalives() {
	ip netns exec n nft list counter ip kesp keepalives | awk '/packets/ {print $2}'
}
