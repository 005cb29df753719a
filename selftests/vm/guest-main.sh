#!/bin/sh
# First process in the guest after switch_root (the host's root, read-only,
# with tmpfs where writes happen). Runs the job the host wrote into
# /run/kesp/out/job, then powers the guest off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C
SRC=/run/kesp/src
OUT=/run/kesp/out

mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
ip link set lo up
hostname kesp-guest
echo 1 >/proc/sys/kernel/sysrq

MODE=check
# shellcheck disable=SC1091
[ -r "$OUT/job" ] && . "$OUT/job"
cd "$SRC" || exit 1
echo "guest: kernel $(uname -r), job $MODE" >/dev/console
case "$MODE" in
demo) sh selftests/vm/demo.sh 2>&1 | tee "$OUT/demo.txt" >/dev/console ;;
bench) sh selftests/bench/guest-bench.sh >"$OUT/bench-console.txt" 2>&1 ;;
*) sh selftests/vm/guest-run-tests.sh >"$OUT/tap.txt" 2>&1 ;;
esac
dmesg >"$OUT/dmesg-final.txt" 2>&1
echo done >"$OUT/finished"
sync
echo o >/proc/sysrq-trigger
# Power-off is asynchronous; wait for it without noise.
sleep 30 2>/dev/null
