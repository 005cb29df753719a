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
export KESP_SRC=$SRC KESP_KO=$KO KESPCTL=$SRC/tools/kespctl
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
	failed=0
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) tap ok "$name: ${line#ok - }" ;;
		"not ok - "*) tap "not ok" "$name: ${line#not ok - }"; failed=1 ;;
		*) echo "# $line" ;;
		esac
	done <"$OUT/running.out"
	rm -f "$OUT/running.out"
	if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
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
	kernel_log_chunk "$tmp/log"
	if grep -Eq "$SPLAT" "$tmp/log"; then
		tap "not ok" "$name: kernel log has no splat"
		grep -E -B2 -A20 "$SPLAT" "$tmp/log" | head -n 60 | sed 's/^/# /'
	else
		tap ok "$name: kernel log has no splat"
	fi
done
rm -rf "$tmp" "$OUT/running"
echo "1..$n"
