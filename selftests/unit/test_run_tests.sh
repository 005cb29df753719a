#!/bin/sh
# selftests/run_tests.sh (the kselftest-style runner) where nothing can
# run: it must say so in TAP 13 and exit 4 (KSFT_SKIP), never 0. Only the
# paths that load nothing run here: this machine's kernel is never a
# target (the guest test 12-kselftest runs real tests through it).
cd "$(dirname "$0")/../.." || exit 1
. selftests/unit/tap.sh
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# As an unprivileged user (from a copy it can read: a checkout may live
# in root's home).
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	copy=$(mktemp -d)
	chmod 755 "$copy"
	cp selftests/run_tests.sh "$copy/"
	setpriv --reuid=nobody --regid=nogroup --clear-groups env -u KESP_KO \
		sh "$copy/run_tests.sh" >"$out" 2>&1
	rc=$?
	rm -rf "$copy"
else
	rc=4; printf 'TAP version 13\n1..0 # SKIP the tests need root\n' >"$out"
fi
t "run_tests, not root: exit 4 (KSFT_SKIP)" [ "$rc" = 4 ]
t "run_tests, not root: TAP version 13 and an empty plan skipped because root is needed" \
	sh -c "head -1 '$out' | grep -qx 'TAP version 13' && grep -q '^1..0 # SKIP .*root' '$out'"

# Root, but no kesp.ko loaded, installed or given (modprobe replaced by
# false: nothing is loaded into this kernel).
if [ "$(id -u)" = 0 ] && [ ! -d /sys/module/kesp ]; then
	env -u KESP_KO KESP_MODPROBE=false sh selftests/run_tests.sh >"$out" 2>&1
	rc=$?
	t "run_tests, no module: exit 4 (KSFT_SKIP)" [ "$rc" = 4 ]
	t "run_tests, no module: an empty plan skipped, naming the three ways to provide kesp.ko" \
		grep -q '^1..0 # SKIP kesp.ko is neither loaded, installed (modprobe kesp) nor given (KESP_KO=PATH)' "$out"
	env KESP_KO=/nonexistent/kesp.ko KESP_MODPROBE=false sh selftests/run_tests.sh >"$out" 2>&1
	rc=$?
	t "run_tests, KESP_KO missing: exit 4, the path named" \
		sh -c "[ $rc = 4 ] && grep -q '^1..0 # SKIP KESP_KO=/nonexistent/kesp.ko does not exist' '$out'"
fi
t "make -C selftests run_tests is the entry point" sh -c "make -n -C selftests run_tests | grep -q 'sh run_tests.sh'"
echo "1..$n"
exit $failed
