#!/bin/sh
# The guest suite as a kernel test farm runs it: on a kernel it booted
# itself, with kesp.ko installed (kesp-dkms) or given, as root, under its
# own VM runner. `make -C selftests run_tests [TESTS="words"]` prints TAP
# version 13, one result per test with its checks as comments, and exits
# 0 when every test that ran passed, 1 when one failed, and 4 (kselftest's
# KSFT_SKIP) when nothing could run.
#
# The module: one already loaded is used as it is (and left loaded);
# otherwise KESP_KO=PATH is inserted, or `modprobe kesp` (an installed
# kesp-dkms) loaded, before each test and removed after it, as the tests
# expect a fresh module. A test whose tools are missing is skipped with
# their names: charon, swanctl and ipsec (pluto) for the IKE tests,
# python3, iperf3, tcpdump, nft, openssl, certtool, conntrack when a test
# uses them, and any named on a "# kselftest-requires: TOOL..." line.
# kespctl and ikehelper come from the source tree when built there, from
# PATH otherwise (KESPCTL=, IKEHELPER= override both).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
TESTS_DIR=${KESP_TESTS_DIR:-$SRC/selftests/tests}
MODPROBE=${KESP_MODPROBE:-modprobe}

echo "TAP version 13"

# skip_all REASON: nothing can run here.
skip_all() {
	echo "1..0 # SKIP $1"
	exit 4
}

[ "$(id -u)" = 0 ] || skip_all "the tests need root (network namespaces, kesp.ko)"

pick() {	# BUILT-PATH NAME: the source tree's program, else PATH's
	if [ -x "$1" ]; then
		echo "$1"
	else
		command -v "$2" 2>/dev/null
	fi
}
KESPCTL=${KESPCTL:-$(pick "$SRC/tools/kespctl" kespctl)}
[ -n "$KESPCTL" ] || skip_all "no kespctl (build it or install the kesp package)"
IKEHELPER=${IKEHELPER:-$(pick "$SRC/ikehelper/ikehelper" ikehelper)}
export KESP_SRC=$SRC KESPCTL IKEHELPER

# How each test gets a fresh kesp.ko.
if [ -d /sys/module/kesp ]; then
	module=loaded
	# for the tests that reload it themselves
	KESP_KO=${KESP_KO:-$(modinfo -n kesp 2>/dev/null)}
	export KESP_KO
elif [ -n "${KESP_KO:-}" ]; then
	[ -f "$KESP_KO" ] || skip_all "KESP_KO=$KESP_KO does not exist"
	module=insmod
	export KESP_KO
elif "$MODPROBE" -n kesp >/dev/null 2>&1; then
	module=modprobe
	KESP_KO=$(modinfo -n kesp 2>/dev/null)
	export KESP_KO
else
	skip_all "kesp.ko is neither loaded, installed (modprobe kesp) nor given (KESP_KO=PATH)"
fi

# missing TEST: the tools TEST needs that this machine lacks (read from
# its commands, not its comments).
missing() {
	m=""
	grep -v '^[[:space:]]*#' "$1" >"$tmp/code"
	for tool in $(sed -n 's/^# kselftest-requires: //p' "$1"); do
		command -v "$tool" >/dev/null 2>&1 || m="$m $tool"
	done
	if grep -q 'ike_peers[.]sh' "$tmp/code"; then
		[ -x /usr/lib/ipsec/charon ] || m="$m charon"
		command -v swanctl >/dev/null 2>&1 || m="$m swanctl"
		[ -n "$IKEHELPER" ] || m="$m ikehelper"
	fi
	for tool in python3 iperf3 tcpdump nft openssl certtool conntrack ipsec; do
		grep -Eq "(^|[^a-zA-Z0-9_.-])$tool([^a-zA-Z0-9_-]|\$)" "$tmp/code" || continue
		command -v "$tool" >/dev/null 2>&1 || m="$m $tool"
	done
	echo "${m# }"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
names=$(KESP_TESTS_DIR=$TESTS_DIR KESP_TESTS=${TESTS:-} sh "$SRC/selftests/vm/test-list.sh")
total=$(echo "$names" | grep -c .)
echo "1..$total"
n=0 ran=0 failed=0 skipped=0
for name in $names; do
	n=$((n + 1))
	test=$TESTS_DIR/$name.sh
	lacking=$(missing "$test")
	if [ -n "$lacking" ]; then
		echo "ok $n selftests: kesp: $name # SKIP missing: $lacking"
		skipped=$((skipped + 1))
		continue
	fi
	case $module in
	insmod) loaded=$(insmod "$KESP_KO" 2>&1) ;;
	modprobe) loaded=$("$MODPROBE" kesp 2>&1) ;;
	*) loaded="" ;;
	esac
	if [ $? -ne 0 ]; then
		echo "not ok $n selftests: kesp: $name # kesp.ko did not load: $loaded"
		failed=$((failed + 1))
		continue
	fi
	ran=$((ran + 1))
	(cd "$tmp" && timeout 900 sh "$test") >"$tmp/out" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/out"
	why=""
	bad=$(grep -c '^not ok - ' "$tmp/out")
	[ "$bad" != 0 ] && why="failed checks: $bad"
	[ -z "$why" ] && [ "$rc" != 0 ] && why="it exited with status $rc"
	grep -qx 'kesp-test: complete' "$tmp/out" || why="${why:+$why; }it stopped before its last check"
	if [ "$module" != loaded ] && [ -d /sys/module/kesp ] && ! rmmod kesp 2>"$tmp/rmmod"; then
		why="${why:+$why; }kesp.ko did not unload: $(cat "$tmp/rmmod")"
	fi
	if [ -n "$why" ]; then
		echo "not ok $n selftests: kesp: $name # $why"
		failed=$((failed + 1))
	else
		echo "ok $n selftests: kesp: $name"
	fi
done
echo "# kesp: $ran ran, $failed failed, $skipped skipped of $total"
[ "$failed" = 0 ] || exit 1
[ "$ran" -gt 0 ] || exit 4
exit 0
