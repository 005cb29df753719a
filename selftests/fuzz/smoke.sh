#!/bin/sh
# Runs each libFuzzer target in build/fuzz for its share of FUZZ_SECONDS
# (default 60 in total) from a scratch copy of its seed corpus, all of them
# side by side (the CPUs share the work; the tier waits a third as long),
# and prints
# TAP: one line per target with executions and executions per second, and
# "not ok" (with a non-zero exit) if any target crashes, leaks or times out.
# Run from the repository root.
set -u
total=${FUZZ_SECONDS:-60}
targets="fuzz_decode fuzz_sk fuzz_exchange"
ntargets=$(echo $targets | wc -w)
per=$((total / ntargets))
[ "$per" -ge 1 ] || per=1
n=0 failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p build/fuzz/artifacts
# start_target T: the fuzzer T in the background (its pid in $work/T.pid).
start_target() {
	mkdir -p "$work/$1"
	cp selftests/fuzz/corpus/$1/* "$work/$1/" 2>/dev/null || true
	"build/fuzz/$1" -max_total_time="$per" -print_final_stats=1 -timeout=10 \
		-artifact_prefix=build/fuzz/artifacts/"$1"- \
		"$work/$1" >"$work/$1.log" 2>&1 &
	echo $! >"$work/$1.pid"
}
for t in $targets; do
	[ -x "build/fuzz/$t" ] && start_target "$t"
done
for t in $targets; do
	n=$((n + 1))
	bin=build/fuzz/$t
	if [ ! -x "$bin" ]; then
		echo "not ok $n - $t: $bin not built (make unit-bins)"
		failed=$((failed + 1))
		continue
	fi
	wait "$(cat "$work/$t.pid")"
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -n 1)
	secs=$(sed -n 's/^stat::\(average_exec_per_sec\): *//p' "$work/$t.log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$work/$t.log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - $t: ${execs:-?} execs in $per s (${secs:-?}/s, $cov), no crash"
	else
		echo "not ok $n - $t: exit $rc after ${execs:-?} execs; artifacts in build/fuzz/artifacts"
		grep -E 'ERROR|SUMMARY|==[0-9]+==' "$work/$t.log" | head -n 20 | sed 's/^/# /'
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
