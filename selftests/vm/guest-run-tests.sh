#!/bin/sh
# Inside the guest: runs every selftests/tests/NN-*.sh with a freshly loaded
# kesp.ko and prints one TAP stream. Around each test it checks what a
# kernel developer would: the module unloads, no namespace is left behind,
# and the kernel log holds no splat.
set -u
SRC=/run/kesp/src
OUT=/run/kesp/out
KVER=$(uname -r)
KO=$SRC/build/kmod/$KVER/kmod/kesp.ko
export KESP_SRC=$SRC KESP_KO=$KO KESPCTL=$SRC/tools/kespctl KESP_OUT=$OUT
# What a kernel splat looks like: lockdep, refcount, slab and KFENCE
# reports, UBSAN, oopses, warnings, and a device whose references never
# drop (Debian kernels print that line without a trace). SLUB prints
# "BUG <cache> (...): ...". The host scans the logs after the last test
# and of the bench guests with the same pattern.
SPLAT=$(cat "$SRC/selftests/vm/splat-pattern")

n=0
tap() {	# STATUS DESCRIPTION
	n=$((n + 1))
	echo "$1 $n - [$KVER] $2"
}

# Returns the kernel log since the last call, keeping a full copy.
kernel_log_chunk() {
	dmesg -c >"$1" 2>&1
	cat "$1" >>"$OUT/dmesg.txt"
}

# One TAP line: the kernel log since the last look holds no splat.
no_splat() {	# WHAT
	kernel_log_chunk "$tmp/log"
	if grep -Eq "$SPLAT" "$tmp/log"; then
		tap "not ok" "$1"
		grep -E -B2 -A20 "$SPLAT" "$tmp/log" | head -n 60 | sed 's/^/# /'
	else
		tap ok "$1"
	fi
}

# Relays what a test printed ($OUT/running.out) as TAP under its NAME;
# sets relay_failed when a check failed, and relay_complete when the test
# reached finish() (lib.sh prints the marker there), so a test that
# exits early cannot pass with fewer checks.
relay() {	# NAME
	relay_failed=0 relay_complete=0
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) tap ok "$1: ${line#ok - }" ;;
		"not ok - "*) tap "not ok" "$1: ${line#not ok - }"; relay_failed=1 ;;
		"kesp-test: complete") relay_complete=1 ;;
		*) echo "# $line" ;;
		esac
	done <"$OUT/running.out"
	rm -f "$OUT/running.out"
}

# The named network namespaces (ip netns list's names, read by the shell:
# each process started costs about 70 ms under TCG).
netns_names() {
	for ns in /run/netns/*; do
		[ -e "$ns" ] && echo "${ns##*/}"
	done
}
# The guest's uptime in whole seconds, by a builtin.
uptime_s() {
	read -r up_s _ </proc/uptime
	echo "${up_s%.*}"
}

# kmemleak, on a kernel that has it (the debug kernel, tools/debug-kernel.sh;
# Debian's have not, and then nothing below runs): after each test's
# module unload, no object is left that nothing points to. Scanned twice,
# 5 s apart: kmemleak reports only objects older than 5 s, and the second
# scan drops a pointer that was merely in flight during the first.
KMEMLEAK=/sys/kernel/debug/kmemleak
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[ -e "$KMEMLEAK" ] || KMEMLEAK=""
no_leak() {	# WHAT
	[ -n "$KMEMLEAK" ] || return 0
	echo scan >"$KMEMLEAK"
	sleep 5
	echo scan >"$KMEMLEAK"
	cat "$KMEMLEAK" >"$tmp/leaks"
	if [ -s "$tmp/leaks" ]; then
		tap "not ok" "$1"
		head -n 60 "$tmp/leaks" | sed 's/^/# /'
		cat "$tmp/leaks" >>"$OUT/kmemleak.txt"
		# Reported once: the next test is judged on its own leaks.
		echo clear >"$KMEMLEAK"
	else
		tap ok "$1"
	fi
}

tmp=$(mktemp -d)
no_splat "harness: kernel log at boot has no splat"
if [ -n "$KMEMLEAK" ]; then
	# What boot left (before any kesp.ko) is not the tests' to answer for.
	echo scan >"$KMEMLEAK"
	sleep 5
	echo scan >"$KMEMLEAK"
	echo clear >"$KMEMLEAK"
fi

# The splat check must be able to see a splat: plant a marker and look.
echo "WARNING: kesp harness self-check (planted on purpose)" >/dev/kmsg
kernel_log_chunk "$tmp/log"
if grep -Eq "$SPLAT" "$tmp/log" && grep -q 'harness self-check' "$tmp/log"; then
	tap ok "harness: the kernel-log splat check sees a planted WARNING"
else
	tap "not ok" "harness: the kernel-log splat check sees a planted WARNING"
fi

# slub_debug (run-vm.sh) names the caches kesp.ko's objects come from: one
# the kernel did not take would leave them unchecked without a word.
# (None asked for, as on the debug kernel's slub_debug=-: nothing to check.)
slub_debug=$(sed -n 's/.*slub_debug=\([^ ]*\).*/\1/p' /proc/cmdline)
sd_flags=${slub_debug%%,*}
case $sd_flags in *[FZP]*) ;; *) slub_debug="" ;; esac
if [ -n "$slub_debug" ]; then
	sd_wrong=""
	for sd_cache in kmalloc-64 kmalloc-1k skbuff_head_cache UDP; do
		for sd_flag in F:sanity_checks Z:red_zone P:poison; do
			case $sd_flags in *"${sd_flag%%:*}"*) ;; *) continue ;; esac
			[ "$(cat "/sys/kernel/slab/$sd_cache/${sd_flag#*:}" 2>/dev/null)" = 1 ] ||
				sd_wrong="$sd_wrong $sd_cache/${sd_flag#*:}"
		done
	done
	if [ -z "$sd_wrong" ]; then
		tap ok "harness: slub_debug=$slub_debug is on for the caches kesp.ko allocates from"
	else
		tap "not ok" "harness: slub_debug=$slub_debug is on for the caches kesp.ko allocates from"
		echo "# off:$sd_wrong"
	fi
fi

# KESP_SHARD=I/N: this guest is the I-th of N that share the suite
# (run-matrix.sh boots N guests per kernel). With KESP_CLAIMS the guests
# share a directory of the host's: each test goes to the first guest to
# create its entry there (mkdir is atomic on the host), so a guest that
# drew short tests takes more of them and all end at about the same time.
# Without it, this guest runs the tests at positions I, I+N, I+2N...
shard_i=1 shard_n=1
case "${KESP_SHARD:-}" in
*/*) shard_i=${KESP_SHARD%/*} shard_n=${KESP_SHARD#*/} ;;
esac
CLAIMS=""
if [ -n "${KESP_CLAIMS:-}" ]; then
	CLAIMS=/run/kesp/claims
	mkdir -p "$CLAIMS"
	if ! mount -t 9p -o trans=virtio,version=9p2000.L kespclaims "$CLAIMS"; then
		tap "not ok" "harness: the shared claims directory is mounted"
		CLAIMS=""
	fi
fi

# The guest must survive live patching of kernel code (run-vm.sh's TCG
# threading): a full suite starts with 10 s of static key flips (the
# first share of a sharded one).
if [ -z "${KESP_TESTS:-}" ] && [ "$shard_i" = 1 ]; then
	echo harness >"$OUT/running"
	sh "$SRC/selftests/vm/guest-codepatch.sh" 10 >"$OUT/running.out" 2>&1
	relay harness
	if [ "$relay_complete" = 0 ]; then
		tap "not ok" "harness: the static key flips ran to the end"
	fi
	no_splat "harness: kernel log has no splat after the static key flips"
fi

if [ ! -f "$KO" ]; then
	tap "not ok" "harness: $KO exists (make modules-matrix)"
	echo "1..$n"
	exit 1
fi
for dep in $(modinfo -F depends "$KO" | tr ',' ' '); do
	modprobe "$dep" || echo "# modprobe $dep failed"
done

# One JSON checker for all tests (lib.sh's finish() hands it each test's
# kespctl --json outputs): a python3 start costs about a second under TCG,
# and every test would pay it. Tests fall back to a python3 of their own
# when it is not running.
if mkfifo "$tmp/json-check"; then
	python3 "$SRC/selftests/lib/json_check.py" --serve "$tmp/json-check" </dev/null >/dev/null 2>&1 &
	export KESP_JSON_CHECKER="$tmp/json-check" KESP_JSON_CHECKER_PID=$!
fi

for name in $(sh "$SRC/selftests/vm/test-list.sh"); do
	test=$SRC/selftests/tests/$name.sh
	position=$((${position:-0} + 1))
	if [ -n "$CLAIMS" ]; then
		mkdir "$CLAIMS/$name" 2>/dev/null || continue
	else
		[ $(((position - 1) % shard_n + 1)) = "$shard_i" ] || continue
	fi
	# Which test runs and what it printed so far, on the host's side (9p),
	# for the host to report if the guest dies.
	echo "$name" >"$OUT/running"
	netns_before=$(netns_names)
	if ! insmod "$KO" >"$tmp/insmod" 2>&1; then
		tap "not ok" "$name: insmod kesp.ko"
		sed 's/^/# /' "$tmp/insmod"
		continue
	fi
	start=$(uptime_s)
	# KESP_VM_EXECPROF=1: which programs the test started, and how often
	# (out-sI/execprof-NAME.txt): under TCG each start costs about 70 ms.
	if [ -n "${KESP_VM_EXECPROF:-}" ]; then
		mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
		echo 32768 >/sys/kernel/tracing/buffer_size_kb
		echo 1 >/sys/kernel/tracing/events/sched/sched_process_exec/enable
		echo >/sys/kernel/tracing/trace
	fi
	(cd "$tmp" && timeout "${KESP_TEST_TIMEOUT:-900}" sh "$test") >"$OUT/running.out" 2>&1
	rc=$?
	if [ -n "${KESP_VM_EXECPROF:-}" ]; then
		grep -o 'filename=[^ ]*' /sys/kernel/tracing/trace | sort | uniq -c | sort -rn | head -20 >"$OUT/execprof-$name.txt"
		grep -c 'filename=' /sys/kernel/tracing/trace >>"$OUT/execprof-$name.txt"
	fi
	relay "$name"
	if [ "$rc" -ne 0 ] && [ "$relay_failed" -eq 0 ]; then
		tap "not ok" "$name: script exited with status $rc"
	fi
	if [ "$relay_complete" = 1 ]; then
		tap ok "$name: ran to the end"
	else
		tap "not ok" "$name: ran to the end (it exited before finish, status $rc)"
	fi
	echo "$name" >>"$OUT/tests-run"
	echo "# $name took $(($(uptime_s) - start)) s"

	if [ -d /sys/module/kesp ]; then
		if rmmod kesp >"$tmp/rmmod" 2>&1 && [ ! -d /sys/module/kesp ]; then
			tap ok "$name: kesp.ko unloads afterwards"
		else
			tap "not ok" "$name: kesp.ko unloads afterwards"
			sed 's/^/# /' "$tmp/rmmod"
			rmmod -f kesp >/dev/null 2>&1
		fi
	fi
	netns_after=$(netns_names)
	if [ "$netns_before" = "$netns_after" ]; then
		tap ok "$name: leaves no network namespace behind"
	else
		tap "not ok" "$name: leaves no network namespace behind"
		for ns in $netns_after; do
			echo "# left: $ns"
			case " $(echo $netns_before) " in
			*" $ns "*) ;;
			*) ip netns del "$ns" ;;
			esac
		done
	fi
	no_leak "$name: kmemleak finds no unreferenced object after the unload"
	no_splat "$name: kernel log has no splat"
done
[ -z "${KESP_JSON_CHECKER_PID:-}" ] || kill "$KESP_JSON_CHECKER_PID" 2>/dev/null
rm -rf "$tmp" "$OUT/running"
echo "1..$n"
