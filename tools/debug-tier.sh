#!/bin/sh
# The debug-kernel tier (README "Debug-kernel tier"): the guest suite on the
# cached debug kernel (tools/debug-kernel.sh: KASAN, lockdep, kmemleak,
# UBSAN). Any splat in the guest's kernel log fails a test (splat-pattern:
# KASAN and lockdep print "BUG:" and "WARNING:"), and so does any object
# kmemleak finds after a test's module unload (guest-run-tests.sh).
#   debug-tier.sh check   `make check`: says plainly that it is not run
#                         (the suite under KASAN and lockdep takes hours,
#                         make check has 30 min), unless KESP_DEBUG_TIER=
#                         auto (runs when the kernel is cached, says why
#                         not otherwise) or force (builds it first)
#   debug-tier.sh run     `make check-debug`: builds the kernel if need be,
#                         then runs
# The counts go to build/results/debug; a skip leaves build/results/
# debug.skipped instead, and the summary leaves the tier out.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
RESULTS=${KESP_RESULTS:-$ROOT/build/results}
mkdir -p "$RESULTS"
rm -f "$RESULTS/debug" "$RESULTS/debug.skipped"

skip() {	# WHY
	echo "# tier debug: SKIPPED, not run: $1"
	echo "$1" >"$RESULTS/debug.skipped"
	exit 0
}

mode=${1:-check}
case "$mode:${KESP_DEBUG_TIER:-}" in
check:skip) skip "KESP_DEBUG_TIER=skip" ;;
check:) skip "make check leaves it out: the guest suite under KASAN and lockdep takes hours, beyond make check's 30 min (make check-debug runs it; KESP_DEBUG_TIER=auto runs it here when the kernel is cached, force builds it first)" ;;
check:force | run:*)
	kver=$(sh tools/debug-kernel.sh build | tail -n 1) || { echo "not ok - the debug kernel builds"; echo "0 1" >"$RESULTS/debug"; exit 1; } ;;
check:auto)
	why=$(sh tools/debug-kernel.sh status) || skip "the debug kernel is $why"
	kver=$why ;;
*) echo "usage: [KESP_DEBUG_TIER=skip|auto|force] debug-tier.sh check | run" >&2; exit 2 ;;
esac

start=$(date +%s)
make -s userspace || { echo "not ok - the programs build"; echo "0 1" >"$RESULTS/debug"; exit 1; }
echo "# ==== debug-kernel tier: the guest suite on $kver ===="
if ! sh tools/kmod-build.sh "$kver"; then
	echo "not ok - [$kver] kesp.ko builds against the debug kernel"
	echo "0 1" >"$RESULTS/debug"
	exit 1
fi
# KASAN, lockdep and kmemleak's scans make the guest several times slower
# and KASAN's shadow takes an eighth of its memory; slub_debug is left off
# (KASAN finds what it would, and more). The tests' time budgets stretch
# fourfold (KESP_TIME_SCALE, lib.sh): the tests take 7 to 25 times as long
# here, and a forced rekey collision or a DPD deadline that outlasts its
# retransmission budget fails on time, not on a defect. One kernel only:
# its suite is shared by one guest per host CPU (run-matrix.sh's claims).
KESP_VM_KERNEL=$(sh tools/debug-kernel.sh kernel) \
	KESP_VM_MEM=${KESP_VM_MEM:-3072} \
	KESP_VM_SHARDS=${KESP_VM_SHARDS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)} \
	KESP_VM_TIMEOUT=${KESP_VM_TIMEOUT:-21600} \
	KESP_TEST_TIMEOUT=${KESP_TEST_TIMEOUT:-2700} \
	KESP_VM_SLUB_DEBUG=${KESP_VM_SLUB_DEBUG:--} \
	KESP_TIME_SCALE=${KESP_TIME_SCALE:-4} \
	KESP_VM_RESULT=debug \
	sh selftests/vm/run-matrix.sh "$kver"
rc=$?
echo "# debug-kernel tier: $(($(date +%s) - start)) s"
exit $rc
