#!/bin/sh
# Runs the guest suite on every kernel given and adds up the results into
# build/results/vm. Each kernel's suite is shared by KESP_VM_SHARDS guests
# (default 1), which take its tests one by one as each becomes free
# (run-vm.sh KESP_VM_SHARD and KESP_VM_CLAIMS),
# and the guests run side by side, KESP_VM_JOBS at a time (default: one
# per host CPU). A guest is one host thread (see run-vm.sh). Two per CPU
# were meant to fill the time guests sleep in their tests' waits, but
# measured side by side on this 2-CPU machine (2026-12-06, six tests on
# both kernels) one guest per kernel, two at a time, took 209 s of wall
# where two per kernel, four at a time, took 254: TCG guests sharing a
# CPU cost more than the waits they fill. Each guest's output goes to
# build/vm/KVER/check-sI.txt and is printed whole, in order, once all
# have finished, so that their TAP never interleaves. The counts go to
# build/results/vm, or build/results/$KESP_VM_RESULT (the debug tier).
#   run-matrix.sh KVER...
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KVERS=$*
SHARDS=${KESP_VM_SHARDS:-1}
[ "$SHARDS" -ge 1 ] 2>/dev/null || SHARDS=1
KESP_VM_JOBS=${KESP_VM_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
. "$ROOT/selftests/vm/jobs.sh"
start=$(date +%s)

# The guests of one kernel take tests from a shared directory of claims
# (guest-run-tests.sh), emptied before they start.
run_one() {	# KVER SHARD
	mkdir -p "$ROOT/build/vm/$1"
	rm -f "$ROOT/build/vm/$1/result-s$2"
	claims=""
	[ "$SHARDS" -gt 1 ] && claims=$ROOT/build/vm/$1/claims
	KESP_VM_CLAIMS=$claims KESP_VM_SHARD=$2/$SHARDS sh "$ROOT/selftests/vm/run-vm.sh" "$1" \
		>"$ROOT/build/vm/$1/check-s$2.txt" 2>&1
	echo "# [$1 shard $2/$SHARDS] guest done, $(($(date +%s) - start)) s into the matrix"
}

# The test PKIs' keys, made here in seconds rather than in each guest.
sh "$ROOT/selftests/vm/key-pool.sh" "$ROOT/build/vm/keys" ||
	echo "# the key pool was not made: the guests make their own keys"
[ -n "$KVERS" ] && echo "# ==== guest selftests on $KVERS, $SHARDS guests each, $JOBS at a time ===="
for kver in $KVERS; do
	rm -rf "$ROOT/build/vm/$kver/claims"
	mkdir -p "$ROOT/build/vm/$kver/claims"
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

# Every test of the suite ran, once, in one of each kernel's guests (a
# guest that stopped early or a shard that lost a test shows here).
# KESP_TESTS (a subset, for a developer) is named, and refused in CI.
mkdir -p "$ROOT/build/vm"
sh "$ROOT/selftests/vm/test-list.sh" | sort >"$ROOT/build/vm/wanted.txt"
for kver in $KVERS; do
	ran=$ROOT/build/vm/$kver/ran.txt
	cat "$ROOT/build/vm/$kver"/out-s*/tests-run 2>/dev/null | sort >"$ran"
	if cmp -s "$ran" "$ROOT/build/vm/wanted.txt"; then
		echo "ok - [$kver] each test of the suite ran once ($(grep -c . "$ran"))"
		passed=$((passed + 1))
	else
		echo "not ok - [$kver] each test of the suite ran once"
		uniq -d "$ran" | sed 's/^/# ran more than once: /'
		comm -23 "$ROOT/build/vm/wanted.txt" "$ran" | sed 's/^/# did not run: /'
		failed=$((failed + 1))
	fi
done
if [ -n "${KESP_TESTS:-}" ]; then
	echo "# KESP_TESTS='$KESP_TESTS': only the tests it names ran"
	if [ "${CI:-}" = true ]; then
		echo "not ok - KESP_TESTS is not set in CI (it runs a subset)"
		failed=$((failed + 1))
	fi
fi
echo "# matrix wall time: $(($(date +%s) - start)) s"
mkdir -p "$ROOT/build/results"
echo "$passed $failed" >"$ROOT/build/results/${KESP_VM_RESULT:-vm}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
