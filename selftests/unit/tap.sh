# TAP for the unit tier's shell programs (sourced): t WHAT CMD... runs CMD
# quietly and prints "ok N - WHAT" or "not ok N - WHAT" (then failed=1).
n=0 failed=0
t() {	# WHAT CMD...
	what=$1
	shift
	n=$((n + 1))
	if "$@" >/dev/null 2>&1; then echo "ok $n - $what"; else echo "not ok $n - $what"; failed=1; fi
}
