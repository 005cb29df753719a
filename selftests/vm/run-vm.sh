#!/bin/sh
# Boots Debian's kernel KVER in QEMU (TCG) with this machine's root shared
# read-only over 9p, runs the selftests (or the demo) inside, and prints
# the guest's TAP. On any failure it prints the guest console and kernel log
# so a reader can see why. Writes "PASSED FAILED" to build/vm/KVER/result.
# --bench runs selftests/bench/ instead (profile KESP_BENCH_PROFILE: full
# or smoke), on a guest booted without the debugging that distorts timing,
# and leaves its results in build/vm/KVER/out-bench/bench/;
# KESP_BENCH_ICOUNT=1 makes its clock count instructions (see below).
# Each mode keeps its own console log and output directory in
# build/vm/KVER/ (console.log and out/ for the tests, console-bench.log and
# out-bench/, console-demo.log and out-demo/), so that one run never wipes
# the evidence another one left.
# KESP_VM_SHARD=I/N (tests only) runs the I-th of N shares of the suite,
# with its own console-sI.log, out-sI/ and result-sI.
# KESP_VM_KERNEL boots that image instead of /boot/vmlinuz-KVER (the debug
# kernel, tools/debug-kernel.sh: its modules are in /lib/modules/KVER),
# KESP_VM_MEM sets the guest's memory in MiB, KESP_VM_SMP its vCPUs
# (default 2), and KESP_TEST_TIMEOUT each
# test's limit in the guest (s, default 900).
#   run-vm.sh [--demo | --bench] KVER
set -u
MODE=check
case "${1:-}" in
--demo) MODE=demo; shift ;;
--bench) MODE=bench; shift ;;
esac
KVER=${1:?usage: run-vm.sh [--demo | --bench] KVER}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VMDIR=$ROOT/build/vm/$KVER
SHARD=${KESP_VM_SHARD:-}
RESULT=$VMDIR/result
if [ "$MODE" = check ] && [ -n "$SHARD" ]; then
	OUT=$VMDIR/out-s${SHARD%/*} CONSOLE=$VMDIR/console-s${SHARD%/*}.log
	RESULT=$VMDIR/result-s${SHARD%/*}
elif [ "$MODE" = check ]; then
	OUT=$VMDIR/out CONSOLE=$VMDIR/console.log
else
	OUT=$VMDIR/out-$MODE CONSOLE=$VMDIR/console-$MODE.log
fi
# A kernel's whole suite; past it that kernel's results are lost.
TIMEOUT=${KESP_VM_TIMEOUT:-2700}

result() {	# PASSED FAILED (the tests' mode only)
	[ "$MODE" != check ] || echo "$1 $2" >"$RESULT"
}

mkdir -p "$VMDIR"
rm -rf "$OUT"
mkdir -p "$OUT"
KERNEL=${KESP_VM_KERNEL:-/boot/vmlinuz-$KVER}
if [ ! -f "$KERNEL" ]; then
	echo "not ok - [$KVER] kernel image $KERNEL is installed (make deps)"
	result 0 1
	exit 1
fi
initrd=$VMDIR/initrd.cpio.gz
if [ ! -f "$initrd" ] || [ "$ROOT/selftests/vm/initramfs-init" -nt "$initrd" ] ||
	[ "$ROOT/selftests/vm/mkinitramfs.sh" -nt "$initrd" ]; then
	sh "$ROOT/selftests/vm/mkinitramfs.sh" "$KVER" "$initrd" || { result 0 1; exit 1; }
fi
# KESP_BENCH_ICOUNT=1 (bench only): the guest's clock follows the number
# of instructions it executes (2^KESP_BENCH_ICOUNT_SHIFT ns each, default
# 2) instead of the host's clock, and jumps over idle time, so what a
# bench measures in guest seconds is an instruction cost that the host's
# load does not move. Every emulated instruction costs the same, an AES
# round as much as a mov: a measure of the code path, not of wall-clock
# speed. icount needs the one-thread TCG. 6.1 does not bring up its
# second vCPU under icount (QEMU 7.2: it hangs at "Booting SMP
# configuration"); KESP_VM_SMP=1 boots it with one.
ICOUNT="" ICOUNT_SHIFT=${KESP_BENCH_ICOUNT_SHIFT:-2}
[ "$MODE" = bench ] && [ "${KESP_BENCH_ICOUNT:-}" = 1 ] &&
	ICOUNT="-icount shift=$ICOUNT_SHIFT,sleep=off"
{
	echo "MODE=$MODE"
	echo "export KESP_TESTS='${KESP_TESTS:-}'"
	echo "export KESP_SHARD='$SHARD'"
	echo "export KESP_BENCH_PROFILE='${KESP_BENCH_PROFILE:-full}'"
	echo "export KESP_BENCH_ONLY='${KESP_BENCH_ONLY:-}'"
	echo "export KESP_BENCH_SA_FLAGS='${KESP_BENCH_SA_FLAGS:-}'"
	echo "export KESP_BENCH_SCALE='${KESP_BENCH_SCALE:-}'"
	echo "export KESP_VM_EXECPROF='${KESP_VM_EXECPROF:-}'"
	echo "export KESP_CLAIMS='${KESP_VM_CLAIMS:+1}'"
	echo "export KESP_BENCH_DEADLINE='${KESP_BENCH_DEADLINE:-0}'"
	echo "export KESP_BENCH_CLOCK='${ICOUNT:+icount shift=$ICOUNT_SHIFT}'"
	echo "export KESP_TEST_TIMEOUT='${KESP_TEST_TIMEOUT:-900}'"
	echo "export KESP_TIME_SCALE='${KESP_TIME_SCALE:-1}'"
} >"$OUT/job"

# slub_debug: red zones, poisoning and sanity checks (FZP: what finds
# corruption and use after free) on the caches kesp.ko's objects come from:
# kmalloc (SAs, crypto requests and keys, packet contexts), socket buffers,
# routes, reassembly queues and the UDP sockets it holds for ESP in UDP.
# Not on the rest (tasks, memory maps, files): on every slab, each "ip -n"
# a test starts took 140 ms instead of 90 (the debug-kernel tier's KASAN
# covers every cache).
# KESP_VM_SLUB_DEBUG replaces the whole option: FZP debugs every cache,
# "FZPU,<the list below>" adds the owners' stack traces, to read a report
# with, and the debug-kernel tier turns it off (-). kfence samples
# allocations for use-after-free on 6.12 (the 6.1 image has no KFENCE and
# ignores the parameter). Benchmarks boot without either (both slow every
# allocation; KFENCE is off with 0) and with memory for 100,000 SAs of each
# stack.
SLUB_DEBUG_CACHES="kmalloc-*,skbuff_*,ip_dst_cache,ip6_dst_cache,ip4-frags,ip6-frags,UDP,UDPv6"
CMDLINE="console=ttyS0 quiet loglevel=4 panic=-1 rdinit=/init"
MEM=${KESP_VM_MEM:-2048}
if [ "$MODE" = bench ]; then
	# Warnings too (a WARN that taints the kernel before a crash): a
	# bench guest's dmesg.txt is written at its end, which a crash never
	# reaches, and a healthy bench prints almost none.
	CMDLINE="$CMDLINE loglevel=5 kfence.sample_interval=0"
	MEM=${KESP_BENCH_MEM:-3072}
else
	CMDLINE="$CMDLINE slub_debug=${KESP_VM_SLUB_DEBUG:-FZP,$SLUB_DEBUG_CACHES} kfence.sample_interval=10"
fi
# Two vCPUs, emulated by one host thread (thread=single: round-robin TCG)
# rather than one thread each (MTTCG). The kernel patches its own code
# whenever a static key flips (text_poke_bp: int3 first, then the rest, then
# the first byte) and QEMU 7.2's MTTCG can leave another vCPU running a
# stale translation of the half-patched code, the int3 included, after the
# patch is complete: 6.12 died of "Oops: int3" in netif_rx_internal (ping
# turns netstamp_needed_key on); the int3 in sched_clock_cpu at boot that
# -pcid,-invpcid hid was likely the same race (guest-codepatch.sh provokes
# it). With one thread no vCPU runs while another writes, so no static key,
# kprobe or alternative can race; the SMP code paths still run. Each guest uses
# one host core, so run-matrix.sh runs the kernels side by side. The full
# `make bench` keeps MTTCG, for speed, unless KESP_VM_TCG_THREAD says
# otherwise (single or multi).
CMDLINE="$CMDLINE ${KESP_VM_CMDLINE_EXTRA:-}"
THREAD=single
[ "$MODE" = bench ] && [ "${KESP_BENCH_PROFILE:-full}" = full ] && THREAD=multi
THREAD=${KESP_VM_TCG_THREAD:-$THREAD}
[ -n "$ICOUNT" ] && THREAD=single
start=$(date +%s)
# shellcheck disable=SC2086
timeout "$TIMEOUT" qemu-system-x86_64 $ICOUNT \
	-machine q35 -accel "tcg,thread=$THREAD" -cpu max,-pcid,-invpcid -smp "${KESP_VM_SMP:-2}" -m "$MEM" \
	-display none -monitor none -serial stdio -no-reboot \
	-kernel "$KERNEL" -initrd "$initrd" -append "$CMDLINE" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$ROOT,mount_tag=kesp,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$OUT,mount_tag=kespout,security_model=none,multidevs=remap" \
	${KESP_VM_CLAIMS:+-virtfs "local,path=$KESP_VM_CLAIMS,mount_tag=kespclaims,security_model=none,multidevs=remap"} \
	</dev/null >"$CONSOLE" 2>&1
qemu_rc=$?
elapsed=$(($(date +%s) - start))

show_guest_logs() {
	# An oops's first lines (what and where) scroll past the last 80.
	# ("[#1]" is the die counter: 6.1 prints "int3: 0000 [#1]", no "Oops".)
	splat=$(awk '!/harness self-check/ && /Oops|BUG:|\[#[0-9]+\]|Kernel panic|general protection|WARNING:/ { n = 9 }
		n > 0 { print; n-- } /Kernel panic/ { exit }' "$CONSOLE" | head -n 9)
	if [ -n "$splat" ]; then
		echo "# ---- first kernel splat on the guest console ----"
		printf '%s\n' "$splat" | sed 's/^/# /'
	fi
	echo "# ---- guest console ($CONSOLE), last 80 lines ----"
	tail -n 80 "$CONSOLE" | sed 's/^/# /'
	if [ -s "$OUT/dmesg.txt" ]; then
		echo "# ---- guest kernel log, last 80 lines ----"
		tail -n 80 "$OUT/dmesg.txt" | sed 's/^/# /'
	fi
}

if [ "$MODE" = demo ]; then
	cat "$OUT/demo.txt" 2>/dev/null
	if [ ! -f "$OUT/finished" ]; then
		echo "demo: the guest did not finish (qemu status $qemu_rc)"
		show_guest_logs
		exit 1
	fi
	echo "demo: guest $KVER ran for $elapsed s"
	exit 0
fi

if [ "$MODE" = bench ]; then
	cat "$OUT/bench/log.txt" 2>/dev/null
	# A before/after run (base-ko=) leaves a result per pass.
	if [ ! -f "$OUT/finished" ] || { [ ! -s "$OUT/bench/result.json" ] &&
		[ ! -s "$OUT/bench/new/result.json" ]; }; then
		echo "bench: the guest on $KVER did not finish (qemu status $qemu_rc after $elapsed s)"
		show_guest_logs
		exit 1
	fi
	echo "bench: guest $KVER ran for $elapsed s"
	exit 0
fi

cat "$OUT/tap.txt" 2>/dev/null
passed=$(grep -c '^ok ' "$OUT/tap.txt" 2>/dev/null)
failed=$(grep -c '^not ok ' "$OUT/tap.txt" 2>/dev/null)
passed=${passed:-0} failed=${failed:-0}
# The guest scanned its kernel log after each test; what came after the
# last look (the last module unload, the shutdown of its daemons) is only
# in dmesg-final.txt.
if [ -f "$OUT/dmesg-final.txt" ]; then
	splat_pattern=$(cat "$ROOT/selftests/vm/splat-pattern")
	if grep -Eq "$splat_pattern" "$OUT/dmesg-final.txt"; then
		echo "not ok - [$KVER] kernel log after the last test has no splat"
		grep -E -A20 "$splat_pattern" "$OUT/dmesg-final.txt" | head -n 40 | sed 's/^/# /'
		failed=$((failed + 1))
	else
		echo "ok - [$KVER] kernel log after the last test has no splat"
		passed=$((passed + 1))
	fi
fi
# A guest that died (panic, timeout) still counts what it ran: every TAP
# line so far, the checks of the test it died in, and one failure for the
# death, naming that test.
if [ ! -f "$OUT/finished" ] || ! grep -q '^1\.\.[0-9]' "$OUT/tap.txt" 2>/dev/null; then
	during=""
	if [ -s "$OUT/running" ]; then
		name=$(cat "$OUT/running")
		during=", died during $name"
		[ -s "$OUT/running.out" ] && echo "# what $name printed before the guest died:"
		while IFS= read -r line; do
			case "$line" in
			"ok - "*) echo "ok - [$KVER] $name: ${line#ok - }"; passed=$((passed + 1)) ;;
			"not ok - "*) echo "not ok - [$KVER] $name: ${line#not ok - }"; failed=$((failed + 1)) ;;
			*) echo "# $line" ;;
			esac
		done <"$OUT/running.out" 2>/dev/null
	fi
	echo "not ok - [$KVER] the guest ran the suite${SHARD:+ (shard $SHARD)} to the end (qemu status $qemu_rc after $elapsed s$during)"
	failed=$((failed + 1))
fi
echo "# [$KVER${SHARD:+ shard $SHARD}] guest boot and suite: $elapsed s"
[ "$failed" -eq 0 ] || show_guest_logs
result "$passed" "$failed"
[ "$failed" -eq 0 ]
