#!/bin/sh
# The guest suite's tests, one name per line in the order they run: every
# selftests/tests/NN-*.sh, or with KESP_TESTS (words) those whose name
# contains one of the words. The guests run these; the host checks that
# each ran once. KESP_TESTS_DIR: another directory of tests (run_tests.sh).
set -u
for test in "${KESP_TESTS_DIR:-$(dirname "$0")/../tests}"/[0-9]*.sh; do
	# Builtins: a process costs about 70 ms under TCG, and this runs
	# once for each of the suite's tests.
	name=${test##*/}
	name=${name%.sh}
	if [ -n "${KESP_TESTS:-}" ]; then
		hit=0
		for pattern in $KESP_TESTS; do
			case "$name" in *"$pattern"*) hit=1 ;; esac
		done
		[ "$hit" = 1 ] || continue
	fi
	echo "$name"
done
