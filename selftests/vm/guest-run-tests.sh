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
# reports, UBSAN, oopses, warnings. SLUB prints "BUG <cache> (...): ...".
SPLAT='WARNING:|BUG:|BUG [^ ]+ \(|Oops|refcount_t|general protection|unreferenced object|KFENCE|UBSAN:|Call Trace:|list_(add|del) corruption'

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
# sets relay_failed when a check failed.
relay() {	# NAME
	relay_failed=0
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) tap ok "$1: ${line#ok - }" ;;
		"not ok - "*) tap "not ok" "$1: ${line#not ok - }"; relay_failed=1 ;;
		*) echo "# $line" ;;
		esac
	done <"$OUT/running.out"
	rm -f "$OUT/running.out"
}

tmp=$(mktemp -d)
kernel_log_chunk "$tmp/log"

# The splat check must be able to see a splat: plant a marker and look.
echo "WARNING: kesp harness self-check (planted on purpose)" >/dev/kmsg
kernel_log_chunk "$tmp/log"
if grep -Eq "$SPLAT" "$tmp/log" && grep -q 'harness self-check' "$tmp/log"; then
	tap ok "harness: the kernel-log splat check sees a planted WARNING"
else
	tap "not ok" "harness: the kernel-log splat check sees a planted WARNING"
fi

# KESP_SHARD=I/N: this guest runs the I-th of N shares of the suite, the
# tests at positions I, I+N, I+2N... of the list (run-matrix.sh boots N
# guests per kernel).
shard_i=1 shard_n=1
case "${KESP_SHARD:-}" in
*/*) shard_i=${KESP_SHARD%/*} shard_n=${KESP_SHARD#*/} ;;
esac

# The guest must survive live patching of kernel code (run-vm.sh's TCG
# threading): a full suite starts with 20 s of static key flips (the
# first share of a sharded one).
if [ -z "${KESP_TESTS:-}" ] && [ "$shard_i" = 1 ]; then
	echo harness >"$OUT/running"
	sh "$SRC/selftests/vm/guest-codepatch.sh" 20 >"$OUT/running.out" 2>&1
	relay harness
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

for test in "$SRC"/selftests/tests/[0-9]*.sh; do
	name=$(basename "$test" .sh)
	if [ -n "${KESP_TESTS:-}" ]; then
		wanted=0
		for pattern in $KESP_TESTS; do
			case "$name" in *"$pattern"*) wanted=1 ;; esac
		done
		[ "$wanted" -eq 1 ] || continue
	fi
	position=$((${position:-0} + 1))
	[ $(((position - 1) % shard_n + 1)) = "$shard_i" ] || continue
	# Which test runs and what it printed so far, on the host's side (9p),
	# for the host to report if the guest dies.
	echo "$name" >"$OUT/running"
	ip netns list >"$tmp/netns-before"
	if ! insmod "$KO" >"$tmp/insmod" 2>&1; then
		tap "not ok" "$name: insmod kesp.ko"
		sed 's/^/# /' "$tmp/insmod"
		continue
	fi
	start=$(date +%s)
	(cd "$tmp" && timeout 900 sh "$test") >"$OUT/running.out" 2>&1
	rc=$?
	relay "$name"
	if [ "$rc" -ne 0 ] && [ "$relay_failed" -eq 0 ]; then
		tap "not ok" "$name: script exited with status $rc"
	fi
	echo "# $name took $(($(date +%s) - start)) s"

	if [ -d /sys/module/kesp ]; then
		if rmmod kesp >"$tmp/rmmod" 2>&1 && [ ! -d /sys/module/kesp ]; then
			tap ok "$name: kesp.ko unloads afterwards"
		else
			tap "not ok" "$name: kesp.ko unloads afterwards"
			sed 's/^/# /' "$tmp/rmmod"
			rmmod -f kesp >/dev/null 2>&1
		fi
	fi
	ip netns list >"$tmp/netns-after"
	if cmp -s "$tmp/netns-before" "$tmp/netns-after"; then
		tap ok "$name: leaves no network namespace behind"
	else
		tap "not ok" "$name: leaves no network namespace behind"
		sed 's/^/# left: /' "$tmp/netns-after"
		for ns in $(awk '{print $1}' "$tmp/netns-after"); do
			grep -q "^$ns\b" "$tmp/netns-before" || ip netns del "$ns"
		done
	fi
	no_splat "$name: kernel log has no splat"
done
rm -rf "$tmp" "$OUT/running"
echo "1..$n"
