#!/bin/sh
# Install every Debian package kesp needs to build and test, idempotently.
#
# Kernels: the newest 6.1 (bookworm / bookworm-security) and 6.12 (bookworm-backports)
# images and headers. Backports is enabled by deriving a sources entry from the
# machine's own Debian entry, so no mirror host name lives in this repository.
set -eu

[ "$(id -u)" = 0 ] || { echo "install-deps: must run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive

BACKPORTS=/etc/apt/sources.list.d/kesp-bookworm-backports.sources

enable_backports() {
	if grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	src=/etc/apt/sources.list.d/debian.sources
	if [ -f "$src" ]; then
		# Copy the stanza that carries "Suites: bookworm ..." and retarget it.
		awk -v RS= -v ORS='\n\n' '/\nSuites:[ \t]*bookworm([ \t]|\n|$)/ || /^Suites:[ \t]*bookworm([ \t]|\n|$)/' "$src" |
			sed 's/^Suites:.*/Suites: bookworm-backports/' >"$BACKPORTS.tmp"
	elif [ -f /etc/apt/sources.list ]; then
		grep -E '^deb[[:space:]].*[[:space:]]bookworm[[:space:]]' /etc/apt/sources.list | head -n 1 |
			sed 's/[[:space:]]bookworm[[:space:]]/ bookworm-backports /' >"$BACKPORTS.tmp"
		BACKPORTS_LIST=/etc/apt/sources.list.d/kesp-bookworm-backports.list
		mv "$BACKPORTS.tmp" "$BACKPORTS_LIST"
		return 0
	fi
	[ -s "$BACKPORTS.tmp" ] || { echo "install-deps: no bookworm entry to derive backports from" >&2; exit 1; }
	mv "$BACKPORTS.tmp" "$BACKPORTS"
}

# The package a metapackage of SUITE depends on, e.g. linux-image-6.12.38+deb12-amd64.
resolve_meta() {
	meta=$1 suite=$2
	ver=$(apt-cache madison "$meta" | awk -v s="$suite" '$0 ~ s"/main" {print $3; exit}')
	[ -n "$ver" ] || { echo "install-deps: $meta not found in $suite" >&2; exit 1; }
	apt-cache show "$meta=$ver" | sed -n 's/^Depends: //p' | head -n 1 |
		tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -E "^${meta%-amd64}-[0-9]" | head -n 1
}

BUILD_PKGS="build-essential pkg-config clang llvm libclang-rt-14-dev sparse dkms kmod xz-utils zstd cpio
libgnutls28-dev nettle-dev libgmp-dev libnl-3-dev libnl-genl-3-dev"
GUEST_PKGS="qemu-system-x86 busybox-static iproute2 iputils-ping iperf3 tcpdump nftables
conntrack ethtool python3 python3-cryptography util-linux procps strongswan-charon strongswan-swanctl"

enable_backports
apt-get update -q

KPKGS=""
for suite in bookworm-security bookworm-backports; do
	img=$(resolve_meta linux-image-amd64 "$suite")
	hdr=$(resolve_meta linux-headers-amd64 "$suite")
	KPKGS="$KPKGS $img $hdr"
done
if ! echo "$KPKGS" | grep -q 'linux-image-6\.1\.'; then
	echo "install-deps: could not resolve a 6.1 kernel" >&2; exit 1
fi

missing=""
for p in $BUILD_PKGS $GUEST_PKGS $KPKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	apt-get install -y -q --no-install-recommends $missing
fi
# charon must not run on the host: the tests start it inside namespaces.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	systemctl disable --now strongswan-starter strongswan >/dev/null 2>&1 || true
fi
echo "install-deps: ok ($(echo $KPKGS))"
