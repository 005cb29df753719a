#!/bin/sh
# Runs the guest suite on every kernel given (one boot each) and adds up
# the results into build/results/vm. The guests run side by side,
# KESP_VM_JOBS at a time (default: one per host CPU, since each guest is
# one host thread, see run-vm.sh). Each guest's output goes to
# build/vm/KVER/check.txt and is printed whole, in the order given, once
# all have finished, so that the kernels' TAP never interleaves.
#   run-matrix.sh KVER...
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KVERS=$*
. "$ROOT/selftests/vm/jobs.sh"
start=$(date +%s)

run_one() {	# KVER
	mkdir -p "$ROOT/build/vm/$1"
	rm -f "$ROOT/build/vm/$1/result"
	sh "$ROOT/selftests/vm/run-vm.sh" "$1" >"$ROOT/build/vm/$1/check.txt" 2>&1
	echo "# [$1] guest done, $(($(date +%s) - start)) s into the matrix"
}

[ -n "$KVERS" ] && echo "# ==== guest selftests on $KVERS, $JOBS at a time ===="
for kver in $KVERS; do
	job_slot
	run_one "$kver" &
	job_started
done
wait

passed=0 failed=0
for kver in $KVERS; do
	echo "# ==== guest selftests on $kver ===="
	cat "$ROOT/build/vm/$kver/check.txt" 2>/dev/null
	if read -r p f <"$ROOT/build/vm/$kver/result" 2>/dev/null; then :; else
		echo "not ok - [$kver] the guest harness left a result"
		p=0 f=1
	fi
	passed=$((passed + p)) failed=$((failed + f))
done
[ -n "$KVERS" ] || { echo "not ok - no kernel in the matrix"; failed=1; }
echo "# matrix wall time: $(($(date +%s) - start)) s"
mkdir -p "$ROOT/build/results"
echo "$passed $failed" >"$ROOT/build/results/vm"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
