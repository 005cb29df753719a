# Shared helpers for guest selftests (sourced). Each check prints one line,
# "ok - WHAT" or "not ok - WHAT"; anything else a test prints is diagnostics
# the harness passes through as TAP comments.
# shellcheck shell=sh

KESPCTL=${KESPCTL:?run inside the guest harness}
FAILED=0

pass() { echo "ok - $1"; }
fail() {
	echo "not ok - $1"
	shift
	for why in "$@"; do echo "  $why"; done
	FAILED=1
}

# check WHAT CMD...: CMD succeeds.
check() {
	what=$1
	shift
	if out=$("$@" 2>&1); then
		pass "$what"
	else
		fail "$what" "command: $*" "exit status $?, output: $out"
	fi
}

# refuse WHAT STATUS PATTERN CMD...: CMD fails with exit STATUS and prints
# something matching the extended regex PATTERN (the error a user reads).
refuse() {
	what=$1 want_status=$2 pattern=$3
	shift 3
	out=$("$@" 2>&1)
	status=$?
	if [ "$status" -eq "$want_status" ] && printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
		pass "$what"
	else
		fail "$what" "command: $*" "want exit $want_status and /$pattern/," \
			"got exit $status: $out"
	fi
}

# same WHAT GOT WANT
same() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got:  $2" "want: $3"
	fi
}

# Namespaces made by a test are removed on exit, whatever happens.
NETNS_MADE=""
netns_add() {
	for ns in "$@"; do
		ip netns add "$ns" && NETNS_MADE="$NETNS_MADE $ns"
		ip -n "$ns" link set lo up
	done
}
cleanup_netns() {
	for ns in $NETNS_MADE; do ip netns del "$ns" 2>/dev/null; done
	NETNS_MADE=""
}
trap cleanup_netns EXIT

# A value from the first object of kespctl --json output, via python3.
json_get() {	# JSON-TEXT EXPR  (EXPR applied to the parsed document `d`)
	printf '%s' "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"
}

finish() { exit "$FAILED"; }

# hexkey N: N random bytes as 0x-hex, the key syntax of kespctl and ip xfrm.
hexkey() { printf '0x%s' "$(od -An -tx1 -N "$1" /dev/urandom | tr -d ' \n')"; }

# two_sites: namespaces a and b on one wire (192.168.100.0/24 and
# fd00:100::/64, .1 in a, .2 in b). a has kesp0 (10.1.0.1, fd00:1::1)
# with b's inner networks (10.2.0.0/24, fd00:2::/64) routed into it; b has
# those networks on a dummy device and routes a's (10.1.0.0/24,
# fd00:1::/64) over the wire, where its XFRM policies can catch them.
two_sites() {
	netns_add a b
	ip link add veth-a netns a type veth peer name veth-b netns b
	ip -n a link set veth-a up
	ip -n b link set veth-b up
	ip -n a addr add 192.168.100.1/24 dev veth-a
	ip -n b addr add 192.168.100.2/24 dev veth-b
	ip -n a addr add fd00:100::1/64 dev veth-a nodad
	ip -n b addr add fd00:100::2/64 dev veth-b nodad
	ip -n a link add kesp0 type kesp
	ip -n a link set kesp0 up
	ip -n a addr add 10.1.0.1/32 dev kesp0
	ip -n a addr add fd00:1::1/128 dev kesp0 nodad
	ip -n a route add 10.2.0.0/24 dev kesp0
	ip -n a route add fd00:2::/64 dev kesp0
	ip -n b link add inner type dummy
	ip -n b link set inner up
	ip -n b addr add 10.2.0.1/24 dev inner
	ip -n b addr add fd00:2::1/64 dev inner nodad
	ip -n b route add 10.1.0.0/24 via 192.168.100.1
	ip -n b route add fd00:1::/64 via fd00:100::1
}

# site_b_policies: b's XFRM policies for 10.2.0.0/24 <-> 10.1.0.0/24 over
# IPv4, reqid 1, tunnel mode.
site_b_policies() {
	ip -n b xfrm policy add src 10.2.0.0/24 dst 10.1.0.0/24 dir out \
		tmpl src 192.168.100.2 dst 192.168.100.1 proto esp reqid 1 mode tunnel
	ip -n b xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir in \
		tmpl src 192.168.100.1 dst 192.168.100.2 proto esp reqid 1 mode tunnel
}

# kesp_pair ALG-ARGS...: kesp's half of the IPv4 tunnel between the two
# sites, in a: SPI 0x100 from a to b, 0x200 back. xfrm_pair: XFRM's half
# with the same keys, in b. kesp_xfrm_pair: both.
kesp_pair() {
	ip netns exec a $KESPCTL sa add dev kesp0 dir out src 192.168.100.1 dst 192.168.100.2 \
		proto esp spi 0x100 mode tunnel reqid 1 "$@" sel src 10.1.0.0/24 dst 10.2.0.0/24 >/dev/null &&
	ip netns exec a $KESPCTL sa add dev kesp0 dir in src 192.168.100.2 dst 192.168.100.1 \
		proto esp spi 0x200 mode tunnel reqid 1 "$@" sel src 10.2.0.0/24 dst 10.1.0.0/24 >/dev/null
}
xfrm_pair() {
	ip -n b xfrm state add src 192.168.100.1 dst 192.168.100.2 proto esp spi 0x100 reqid 1 \
		mode tunnel "$@" &&
	ip -n b xfrm state add src 192.168.100.2 dst 192.168.100.1 proto esp spi 0x200 reqid 1 \
		mode tunnel "$@"
}
kesp_xfrm_pair() {
	kesp_pair "$@" && xfrm_pair "$@"
}
