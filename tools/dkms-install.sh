#!/bin/sh
# Installs kesp through DKMS for every installed kernel that has headers
# and matches BUILD_EXCLUSIVE_KERNEL; AUTOINSTALL rebuilds it on kernel
# upgrades. Run as root.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$ROOT/VERSION")
[ "$(id -u)" = 0 ] || { echo "dkms-install: must run as root" >&2; exit 1; }
if dkms status -m kesp -v "$version" | grep -q kesp; then
	dkms remove -m kesp -v "$version" --all
fi
sh "$ROOT/tools/dkms-source.sh" /usr/src >/dev/null
dkms add -m kesp -v "$version"
for kver in $("$ROOT/tools/kernels.sh" list); do
	if echo "$kver" | grep -Eq "$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$ROOT/dkms.conf")"; then
		dkms install -m kesp -v "$version" -k "$kver"
	fi
done
dkms status -m kesp
