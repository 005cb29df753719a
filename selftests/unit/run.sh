#!/bin/sh
# Runs host unit-tier programs, each of which prints TAP ("ok N - ...",
# "not ok N - ...", "1..N"). A program counts its own checks; one that exits
# non-zero, dies, or prints no plan adds a failure of its own, so a crash can
# never pass silently. Writes "PASSED FAILED" to build/results/unit.
# The programs run KESP_UNIT_JOBS at a time (default: one per CPU); their
# reports are printed in the order given, each as soon as it and those
# before it are done.
set -u
passed=0 failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jobs=${KESP_UNIT_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
# Program I (1-based) writes $work/I.out and then $work/I.rc.
i=0
for prog in "$@"; do
	i=$((i + 1))
	printf '%s %s\n' "$i" "$prog"
done | xargs -P "$jobs" -L 1 sh -c '
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		"$2" >"$0/$1.out" 2>&1
	echo $? >"$0/$1.rc.tmp" && mv "$0/$1.rc.tmp" "$0/$1.rc"' "$work" &
runner=$!
i=0
for prog in "$@"; do
	i=$((i + 1))
	name=$(basename "$prog")
	echo "# $name"
	while [ ! -f "$work/$i.rc" ] && kill -0 "$runner" 2>/dev/null; do sleep 0.2; done
	out=$work/$i.out
	[ -f "$out" ] || : >"$out"
	rc=$(cat "$work/$i.rc" 2>/dev/null || echo 127)
	# A skipped check ("ok N - # SKIP why") is not a pass: it is shown, and
	# in CI, which installs everything a check needs, it fails.
	sed 's/^/    /' "$out" | grep -v '^    ok ' || true
	grep '^ok .*# SKIP' "$out" | sed 's/^/    /' || true
	p=$(grep '^ok ' "$out" | grep -vc '# SKIP' || true)
	skipped=$(grep -c '^ok .*# SKIP' "$out" || true)
	f=$(grep -c '^not ok ' "$out" || true)
	if [ "$skipped" -gt 0 ] && [ "${CI:-}" = true ]; then
		echo "not ok - $name skipped $skipped check(s) in CI"
		f=$((f + 1))
	fi
	passed=$((passed + p)) failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		failed=$((failed + 1))
	elif ! grep -q '^1\.\.[0-9]' "$out"; then
		echo "not ok - $name printed no TAP plan"
		failed=$((failed + 1))
	fi
	[ "$skipped" -eq 0 ] && skips="" || skips=", $skipped skipped"
	echo "# $name: $p passed, $f failed$skips"
done
wait "$runner"
mkdir -p build/results
echo "$passed $failed" >build/results/unit
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
