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
