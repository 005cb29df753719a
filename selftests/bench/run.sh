#!/bin/sh
# `make bench`: boots one guest per kernel (run-vm.sh --bench, no slab
# debugging), runs guest-bench.sh in it, and gathers every kernel's
# result into build/bench/full/result.json and table.txt. The whole run
# is given KESP_BENCH_BUDGET seconds (default 2400), shared out between
# the kernels; what would not fit is left out and named in the table.
# `--smoke` is the seconds-long version `make check` runs: the same code
# paths with one short run of each, with "PASSED FAILED" in
# build/results/bench. Both are judged by report.py check (TAP with a
# plan; the smoke also wants every section): a guest that died, a cell
# with no valid run, a stack that could not be configured, or a check
# that did not run fails the run (make bench exits non-zero).
#   run.sh [--smoke] KVER...
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROFILE=full SCALE="10000 100000"
if [ "${1:-}" = "--smoke" ]; then PROFILE=smoke SCALE=100; shift; fi
DIR=$ROOT/build/bench/$PROFILE
mkdir -p "$DIR"
start=$(date +%s)
BUDGET=${KESP_BENCH_BUDGET:-2400}
[ $# -gt 0 ] && PER_KERNEL=$((BUDGET / $# - 45)) || PER_KERNEL=0
[ "$PROFILE" = smoke ] && PER_KERNEL=0
# The scale section's SAs, generated here rather than under TCG. The seed
# is the size: every run installs the same SAs.
for n in $SCALE; do
	sas=$ROOT/build/bench/sas/$n/kesp.nl
	[ -s "$sas" ] && [ "$sas" -nt "$ROOT/selftests/bench/sa_flood.py" ] &&
		[ "$sas" -nt "$ROOT/uapi/linux/kesp.h" ] ||
		python3 "$ROOT/selftests/bench/sa_flood.py" gen $((n / 2)) "$n" 192.168.60.1 192.168.60.2 \
			"$ROOT/build/bench/sas/$n" || exit 1
done
guest() {	# KVER: one bench guest, its output as TAP comments
	# The guest stops itself at its deadline, but a block it started (the
	# scale section's) still ends: QEMU gets ten minutes more.
	KESP_BENCH_PROFILE=$PROFILE KESP_BENCH_SCALE=$SCALE KESP_BENCH_DEADLINE=$PER_KERNEL \
		KESP_VM_TIMEOUT=${KESP_VM_TIMEOUT:-$((PER_KERNEL > 0 ? PER_KERNEL + 600 : 1200))} \
		sh "$ROOT/selftests/vm/run-vm.sh" --bench "$1" | sed 's/^/# /'
}
# The smoke guests are single-threaded TCG (run-vm.sh), so they run side
# by side, KESP_VM_JOBS at a time, each one's output printed whole below.
# The full run keeps one kernel after the other, each guest on every core.
if [ "$PROFILE" = smoke ]; then
	. "$ROOT/selftests/vm/jobs.sh"
	for kver in "$@"; do
		rm -f "$DIR/$kver.json"
		job_slot
		guest "$kver" >"$DIR/$kver.guest.txt" 2>&1 &
		job_started
	done
	wait
fi
# bench_log_clean KVER: one TAP line, the bench guest's kernel log (the
# whole of it, saved at its end in bench/dmesg.txt, and what came after)
# holds no splat (selftests/vm/splat-pattern).
bench_log_clean() {
	set -- "$1" "$ROOT/build/vm/$1/out-bench"
	if [ ! -s "$2/bench/dmesg.txt" ]; then
		echo "not ok - bench on $1: the guest saved its kernel log"
	elif grep -Eh "$(cat "$ROOT/selftests/vm/splat-pattern")" "$2/bench/dmesg.txt" "$2/dmesg-final.txt" \
			>"$DIR/$1.splat" 2>/dev/null; then
		echo "not ok - bench on $1: the guest's kernel log has no splat"
		head -n 20 "$DIR/$1.splat" | sed 's/^/# /'
	else
		echo "ok - bench on $1: the guest's kernel log has no splat"
	fi
}
results=""
passed=0 failed=0
for kver in "$@"; do
	echo "# ==== bench ($PROFILE) on $kver ===="
	if [ "$PROFILE" = smoke ]; then
		cat "$DIR/$kver.guest.txt"
	else
		rm -f "$DIR/$kver.json"
		guest "$kver"
	fi
	rm -rf "$DIR/$kver"
	cp -r "$ROOT/build/vm/$kver/out-bench/bench" "$DIR/$kver" 2>/dev/null
	bench_log_clean "$kver" >"$DIR/$kver.log.tap"
	cat "$DIR/$kver.log.tap"
	p=$(grep -c '^ok ' "$DIR/$kver.log.tap") f=$(grep -c '^not ok ' "$DIR/$kver.log.tap")
	passed=$((passed + p)) failed=$((failed + f))
	# A before/after run (base-ko=) measured two modules in turn, base/
	# and new/, each with its own result: both are checked and tabled.
	passes=.
	[ -d "$DIR/$kver/new" ] && passes="base new"
	for pass in $passes; do
		src=$DIR/$kver/$pass name=$kver
		[ "$pass" = . ] || name=$kver-$pass
		# A guest that was stopped still left its raw runs: report those.
		if [ ! -s "$src/result.json" ] && [ -s "$src/manifest" ]; then
			echo "# the guest on $kver did not finish: the figures below are what it measured"
			python3 "$ROOT/selftests/bench/report.py" guest "$src" --stopped | sed 's/^/# /'
		fi
		rm -f "$DIR/$name.json"
		# the table's column names the pass
		python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
if sys.argv[3] != ".":
    r["kernel"] += " " + sys.argv[3]
json.dump(r, open(sys.argv[2], "w"))' "$src/result.json" "$DIR/$name.json" "$pass" 2>/dev/null
		results="$results $DIR/$name.json"
		# Both profiles: report.py check must exit 0 and meet its plan.
		# shellcheck disable=SC2046
		python3 "$ROOT/selftests/bench/report.py" check "$DIR/$name.json" \
			$([ "$PROFILE" = smoke ] && echo --smoke) >"$DIR/$name.tap" 2>&1
		rc=$?
		cat "$DIR/$name.tap"
		p=$(grep -c '^ok ' "$DIR/$name.tap") f=$(grep -c '^not ok ' "$DIR/$name.tap")
		plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$DIR/$name.tap")
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "not ok - bench on $name: report.py check exited $rc with no failed check"
			f=1
		fi
		if [ "$((p + f))" -ne "${plan:-0}" ]; then
			echo "not ok - bench on $name: report.py check planned ${plan:-no} checks, ran $((p + f))"
			failed=$((failed + 1))
		fi
		passed=$((passed + p)) failed=$((failed + f))
	done
done
[ $# -gt 0 ] || { echo "not ok - bench: no kernel given"; failed=1; }
# shellcheck disable=SC2086
python3 "$ROOT/selftests/bench/report.py" combine "$DIR/result.json" "$DIR/table.txt" \
	$(($(date +%s) - start)) $results
echo "# results: $DIR/result.json, $DIR/table.txt"
if [ "$PROFILE" = smoke ]; then
	mkdir -p "$ROOT/build/results"
	echo "$passed $failed" >"$ROOT/build/results/bench"
fi
[ "$failed" -eq 0 ]
