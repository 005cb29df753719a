#!/bin/sh
# Runs host unit-tier programs, each of which prints TAP ("ok N - ...",
# "not ok N - ...", "1..N"). A program counts its own checks; one that exits
# non-zero, dies, or prints no plan adds a failure of its own, so a crash can
# never pass silently. Writes "PASSED FAILED" to build/results/unit.
set -u
passed=0 failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for prog in "$@"; do
	name=$(basename "$prog")
	echo "# $name"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		"$prog" >"$out" 2>&1
	rc=$?
	sed 's/^/    /' "$out" | grep -v '^    ok ' || true
	p=$(grep -c '^ok ' "$out" || true)
	f=$(grep -c '^not ok ' "$out" || true)
	passed=$((passed + p)) failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		failed=$((failed + 1))
	elif ! grep -q '^1\.\.[0-9]' "$out"; then
		echo "not ok - $name printed no TAP plan"
		failed=$((failed + 1))
	fi
	echo "# $name: $p passed, $f failed"
done
mkdir -p build/results
echo "$passed $failed" >build/results/unit
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
