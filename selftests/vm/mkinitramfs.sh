#!/bin/sh
# Builds the guest's initramfs for kernel KVER: busybox-static and the
# modules needed to mount 9p over virtio, nothing else. Everything past the
# first mount comes from the host's root, shared read-only.
#   mkinitramfs.sh KVER OUTPUT.cpio.gz
set -eu
KVER=$1 OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || { echo "mkinitramfs: $BUSYBOX missing (make deps)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/lib/modules" "$work/newroot" "$work/proc" "$work/sys" "$work/dev"
cp "$BUSYBOX" "$work/bin/busybox"
for applet in sh mount mkdir insmod switch_root echo cat sleep; do
	ln -s busybox "$work/bin/$applet"
done

# Dependency order as modprobe resolves it; builtins print "builtin" lines.
modprobe -a -S "$KVER" --show-depends 9p 9pnet_virtio virtio_pci 2>/dev/null |
	awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' >"$work/order"
: >"$work/lib/modules/order"
while read -r ko; do
	base=$(basename "$ko")
	case "$base" in
	*.ko.xz) xz -dc "$ko" >"$work/lib/modules/${base%.xz}"; base=${base%.xz} ;;
	*.ko.zst) zstd -qdc "$ko" >"$work/lib/modules/${base%.zst}"; base=${base%.zst} ;;
	*) cp "$ko" "$work/lib/modules/$base" ;;
	esac
	echo "$base" >>"$work/lib/modules/order"
done <"$work/order"
grep -q '^9p\.ko$' "$work/lib/modules/order" || { echo "mkinitramfs: no 9p module for $KVER" >&2; exit 1; }

cp "$HERE/initramfs-init" "$work/init"
chmod 755 "$work/init"
(cd "$work" && find . -path ./order -prune -o -print | cpio -o -H newc --quiet) | gzip -1 >"$OUT.tmp.$$"
mv "$OUT.tmp.$$" "$OUT"
