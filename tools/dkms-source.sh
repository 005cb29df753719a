#!/bin/sh
# Copies what DKMS needs to build kesp.ko (and nothing that a build leaves
# behind) into DIR/kesp-VERSION. Prints that path.
#   dkms-source.sh DIR
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$ROOT/VERSION")
dst=$1/kesp-$version
rm -rf "$dst"
mkdir -p "$dst/kmod" "$dst/uapi/linux"
cp "$ROOT/VERSION" "$ROOT/dkms.conf" "$dst/"
cp "$ROOT/uapi/linux/kesp.h" "$dst/uapi/linux/"
cp "$ROOT/kmod/Makefile" "$ROOT/kmod/Kbuild" "$ROOT"/kmod/*.h "$dst/kmod/"
# Sources only: an in-place build leaves a generated kesp.mod.c beside them.
for c in "$ROOT"/kmod/*.c; do
	case "$c" in *.mod.c) ;; *) cp "$c" "$dst/kmod/" ;; esac
done
echo "$dst"
