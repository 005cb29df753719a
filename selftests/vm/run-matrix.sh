#!/bin/sh
# Runs the guest suite on every kernel given and adds up the results into
# build/results/vm. Each kernel's suite is cut into KESP_VM_SHARDS shares
# (default 2), each booted as a guest of its own (run-vm.sh KESP_VM_SHARD),
# and the guests run side by side, KESP_VM_JOBS at a time (default: two
# per host CPU). A guest is one host thread (see run-vm.sh) that sleeps
# whenever its tests wait (pings, timers, daemons' retransmissions), so
# two per CPU keep the CPUs busy where one each left them idle. Each
# guest's output goes to build/vm/KVER/check-sI.txt and is printed whole,
# in order, once all have finished, so that their TAP never interleaves.
#   run-matrix.sh KVER...
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KVERS=$*
SHARDS=${KESP_VM_SHARDS:-2}
[ "$SHARDS" -ge 1 ] 2>/dev/null || SHARDS=1
KESP_VM_JOBS=${KESP_VM_JOBS:-$((2 * $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)))}
. "$ROOT/selftests/vm/jobs.sh"
start=$(date +%s)

run_one() {	# KVER SHARD
	mkdir -p "$ROOT/build/vm/$1"
	rm -f "$ROOT/build/vm/$1/result-s$2"
	KESP_VM_SHARD=$2/$SHARDS sh "$ROOT/selftests/vm/run-vm.sh" "$1" >"$ROOT/build/vm/$1/check-s$2.txt" 2>&1
	echo "# [$1 shard $2/$SHARDS] guest done, $(($(date +%s) - start)) s into the matrix"
}

[ -n "$KVERS" ] && echo "# ==== guest selftests on $KVERS, $SHARDS guests each, $JOBS at a time ===="
for kver in $KVERS; do
	shard=1
	while [ $shard -le "$SHARDS" ]; do
		job_slot
		run_one "$kver" $shard &
		job_started
		shard=$((shard + 1))
	done
done
wait

passed=0 failed=0
for kver in $KVERS; do
	shard=1
	while [ $shard -le "$SHARDS" ]; do
		echo "# ==== guest selftests on $kver, shard $shard/$SHARDS ===="
		cat "$ROOT/build/vm/$kver/check-s$shard.txt" 2>/dev/null
		if read -r p f <"$ROOT/build/vm/$kver/result-s$shard" 2>/dev/null; then :; else
			echo "not ok - [$kver shard $shard/$SHARDS] the guest harness left a result"
			p=0 f=1
		fi
		passed=$((passed + p)) failed=$((failed + f))
		shard=$((shard + 1))
	done
done
[ -n "$KVERS" ] || { echo "not ok - no kernel in the matrix"; failed=1; }
echo "# matrix wall time: $(($(date +%s) - start)) s"
mkdir -p "$ROOT/build/results"
echo "$passed $failed" >"$ROOT/build/results/vm"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
