#!/bin/sh
# Builds kesp.ko for one installed kernel KVER in build/kmod/KVER (a copy of
# the module's sources, so builds for several kernels never share objects),
# with W=1 and sparse on every file it compiles: any warning from our own
# sources fails the build. One build per kernel is both the module the
# guests load and its lint. Sources are copied with their times, so a second
# run compiles (and checks) only what changed; after a failure the objects
# are removed, so the next run checks every file again.
#   kmod-build.sh KVER
set -u
KVER=${1:?usage: kmod-build.sh KVER}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$ROOT/build/kmod/$KVER
KDIR=/lib/modules/$KVER/build

[ -d "$KDIR" ] || { echo "kmod-build: no headers for $KVER in $KDIR (make deps)" >&2; exit 1; }
mkdir -p "$DIR/kmod" "$DIR/uapi/linux"
cp -p "$ROOT/VERSION" "$DIR/"
cp -p "$ROOT/uapi/linux/kesp.h" "$DIR/uapi/linux/"
for f in "$ROOT"/kmod/Makefile "$ROOT"/kmod/Kbuild "$ROOT"/kmod/*.c "$ROOT"/kmod/*.h; do
	case $f in *.mod.c) continue ;; esac
	cp -p "$f" "$DIR/kmod/"
done

log=$DIR/build.log
echo "== kesp.ko for $KVER (W=1, sparse)"
make -C "$KDIR" M="$DIR/kmod" W=1 C=1 modules >"$log" 2>&1
status=$?
cat "$log"
failed=""
[ "$status" = 0 ] || failed="the build failed"
# The kernel's headers are the kernel's business: only lines naming our
# sources count.
# (A kernel version may hold a '+': the directory is matched as text.)
if awk -v dir="$DIR/kmod/" '(index($0, dir) == 1 && /:[0-9]+:[0-9]+: (warning|error):/) ||
	/^[a-z_]+\.[ch]:[0-9]+/ {found = 1} END {exit !found}' "$log"; then
	failed="warnings from our sources (above)"
fi
if grep -q ' CC \[M\]' "$log" && ! grep -q ' CHECK ' "$log"; then
	failed="sparse did not run (is it installed?)"
fi
if [ -n "$failed" ]; then
	echo "kmod-build: $KVER: $failed" >&2
	make -C "$KDIR" M="$DIR/kmod" clean >/dev/null 2>&1
	exit 1
fi
