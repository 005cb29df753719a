#!/bin/sh
# The suite as a kernel test farm runs it (selftests/run_tests.sh through
# `make -C selftests run_tests`), on this guest's kernel, with kesp.ko
# given as KESP_KO: the runner loads a fresh module before each test and
# removes it after. A planted set shows each verdict in TAP 13: a passing
# test (it creates a kesp device), a failed check, a test that stops
# before its last check (not ok although no check failed), and one that
# needs a tool this machine lacks (SKIP, naming it); run_tests.sh exits 1.
# Then one real test of the suite, 10-module (it unloads and reloads the
# module itself), passes through `make -C selftests run_tests`: exit 0.
. "$KESP_SRC/selftests/tests/lib.sh"

rmmod kesp
planted=$(mktemp -d)
cat >"$planted/01-pass.sh" <<'T'
. "$KESP_SRC/selftests/tests/lib.sh"
check "a kesp device can be created" ip link add ks0 type kesp
ip link del ks0
finish
T
cat >"$planted/02-fail.sh" <<'T'
. "$KESP_SRC/selftests/tests/lib.sh"
pass "a check that passes"
fail "a planted failure"
finish
T
cat >"$planted/03-early.sh" <<'T'
. "$KESP_SRC/selftests/tests/lib.sh"
pass "a check that passes"
exit 0
T
cat >"$planted/04-needs.sh" <<'T'
# kselftest-requires: kesp-no-such-tool
. "$KESP_SRC/selftests/tests/lib.sh"
fail "runs although its tool is missing"
finish
T
env -u KESP_TESTS KESP_TESTS_DIR="$planted" KESPCTL="$KESP_SRC/tools/kespctl" \
	sh "$KESP_SRC/selftests/run_tests.sh" >/tmp/ks-planted 2>&1
rc=$?
sed 's/^/  | /' /tmp/ks-planted
same "planted: TAP version 13 and a plan of 4" "$(sed -n '1p;2p' /tmp/ks-planted | tr '\n' ' ')" "TAP version 13 1..4 "
same "planted: the passing test passes" "$(grep -c '^ok 1 selftests: kesp: 01-pass$' /tmp/ks-planted)" 1
same "planted: its checks are passed on as comments" "$(grep -c '^# ok - a kesp device can be created' /tmp/ks-planted)" 1
same "planted: a failed check fails its test" "$(grep -c '^not ok 2 selftests: kesp: 02-fail # failed checks: 1$' /tmp/ks-planted)" 1
same "planted: a test that stops before its last check fails" \
	"$(grep -c '^not ok 3 selftests: kesp: 03-early # it stopped before its last check$' /tmp/ks-planted)" 1
same "planted: a missing tool skips the test, naming it" \
	"$(grep -c '^ok 4 selftests: kesp: 04-needs # SKIP missing: kesp-no-such-tool$' /tmp/ks-planted)" 1
same "planted: exit status 1, the summary counts 3 ran, 2 failed, 1 skipped" \
	"$rc $(grep -c '^# kesp: 3 ran, 2 failed, 1 skipped of 4$' /tmp/ks-planted)" "1 1"
same "planted: the runner removed the module it loaded" "$([ -d /sys/module/kesp ] && echo loaded)" ""
rm -rf "$planted"

env -u KESP_TESTS KESPCTL="$KESP_SRC/tools/kespctl" make -s --no-print-directory -C "$KESP_SRC/selftests" run_tests TESTS=10-module >/tmp/ks-real 2>&1
rc=$?
grep -v '^# ok - ' /tmp/ks-real | sed 's/^/  | /'
same "10-module through make -C selftests run_tests: ok, make's exit status 0" \
	"$rc $(grep -c '^ok 1 selftests: kesp: 10-module$' /tmp/ks-real)" "0 1"
same "10-module through run_tests: its checks all passed" \
	"$(grep -c '^# not ok - ' /tmp/ks-real) $([ "$(grep -c '^# ok - ' /tmp/ks-real)" -ge 3 ] && echo some)" "0 some"
insmod "$KESP_KO"
finish
