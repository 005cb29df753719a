# Sourced by run-matrix.sh and the bench's run.sh: runs guests side by
# side, JOBS at a time (KESP_VM_JOBS, default one per host CPU: a guest on
# single-threaded TCG is one busy host thread, see run-vm.sh).
#   for k in ...; do job_slot; CMD & job_started; done; wait
# shellcheck shell=sh
JOBS=${KESP_VM_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
[ "$JOBS" -ge 1 ] 2>/dev/null || JOBS=1
jobs_running=""

# Waits until fewer than JOBS of the jobs started run (for the oldest).
job_slot() {
	# shellcheck disable=SC2086
	set -- $jobs_running
	if [ $# -ge "$JOBS" ]; then
		wait "$1"
		shift
	fi
	jobs_running=$*
}

# Records the job just started with &.
job_started() {
	jobs_running="$jobs_running $!"
}
