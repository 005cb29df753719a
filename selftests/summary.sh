#!/bin/sh
# Adds up the tiers' results (build/results/TIER holds "PASSED FAILED") into
# the one closing line. A tier that left no result failed to run at all and
# counts as a failure.
set -u
passed=0 failed=0
for tier in "$@"; do
	if [ -r "build/results/$tier" ]; then
		read -r p f <"build/results/$tier"
		echo "# tier $tier: $p passed, $f failed"
	else
		echo "# tier $tier: no result (it did not run to the end)"
		p=0 f=1
	fi
	passed=$((passed + p)) failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
