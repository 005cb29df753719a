#!/bin/sh
# Runs the guest suite on every kernel given (one boot each) and adds up
# the results into build/results/vm.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
passed=0 failed=0
for kver in "$@"; do
	echo "# ==== guest selftests on $kver ===="
	sh "$ROOT/selftests/vm/run-vm.sh" "$kver"
	if read -r p f <"$ROOT/build/vm/$kver/result" 2>/dev/null; then :; else p=0 f=1; fi
	passed=$((passed + p)) failed=$((failed + f))
done
[ $# -gt 0 ] || { echo "not ok - no kernel in the matrix"; failed=1; }
mkdir -p "$ROOT/build/results"
echo "$passed $failed" >"$ROOT/build/results/vm"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
