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
debhelper dh-dkms dpkg-dev fakeroot lintian mandoc man-db bash-completion systemd
libgnutls28-dev nettle-dev libgmp-dev libnl-3-dev libnl-genl-3-dev libcurl4-gnutls-dev"
GUEST_PKGS="qemu-system-x86 busybox-static iproute2 iputils-ping iperf3 tcpdump nftables
conntrack ethtool jq python3 python3-cryptography util-linux procps strongswan-charon strongswan-swanctl"
# The IKE peers of the guest tests (selftests/tests/ike_peers.sh): charon's
# plugins for x25519, AES-GCM, ChaCha20-Poly1305 and OpenSSL, its EAP
# plugins, the certificate tools, and what Libreswan's pluto needs at run
# time beside the libraries already here.
PEER_PKGS="libstrongswan-standard-plugins libstrongswan-extra-plugins libcharon-extauth-plugins
libcharon-extra-plugins strongswan-pki gnutls-bin openssl
libnss3-tools libevent-pthreads-2.1-7 libevent-core-2.1-7 libldns3 libunbound8 dns-root-data
libcap-ng0 libaudit1 libcurl3-nss libnspr4 libnss3 libldap-2.5-0"

# Libreswan conflicts with the strongSwan packages, so it is unpacked, not
# installed, into a directory of its own; the tests run pluto from there.
# The file VERSION there names the package version unpacked.
LIBRESWAN_DIR=/opt/kesp/libreswan

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
for p in $BUILD_PKGS $GUEST_PKGS $PEER_PKGS $KPKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	apt-get install -y -q --no-install-recommends $missing
fi
unpack_libreswan() {
	want=$(apt-cache policy libreswan | awk '/Candidate:/ {print $2}')
	case $want in
	"" | "(none)") echo "install-deps: no libreswan package in the configured suites" >&2; exit 1 ;;
	esac
	if [ "$(cat "$LIBRESWAN_DIR/VERSION" 2>/dev/null)" = "$want" ] &&
		[ -x "$LIBRESWAN_DIR/usr/libexec/ipsec/pluto" ]; then
		return 0
	fi
	echo "install-deps: unpacking libreswan $want into $LIBRESWAN_DIR"
	dl=$(mktemp -d)
	# apt's download sandbox user must be able to write there.
	chown _apt "$dl" 2>/dev/null || chmod 777 "$dl"
	(cd "$dl" && apt-get download -q "libreswan=$want") >/dev/null
	rm -rf "$LIBRESWAN_DIR.new"
	mkdir -p "$LIBRESWAN_DIR.new"
	dpkg -x "$dl"/libreswan_*.deb "$LIBRESWAN_DIR.new"
	rm -rf "$dl"
	[ -x "$LIBRESWAN_DIR.new/usr/libexec/ipsec/pluto" ] ||
		{ echo "install-deps: the libreswan package has no usr/libexec/ipsec/pluto" >&2; exit 1; }
	echo "$want" >"$LIBRESWAN_DIR.new/VERSION"
	rm -rf "$LIBRESWAN_DIR"
	mv "$LIBRESWAN_DIR.new" "$LIBRESWAN_DIR"
}
unpack_libreswan
# PEER_PKGS must cover every library Libreswan's programs load.
for prog in pluto whack addconn; do
	if ldd "$LIBRESWAN_DIR/usr/libexec/ipsec/$prog" | grep 'not found'; then
		echo "install-deps: libreswan's $prog lacks the libraries above" >&2; exit 1
	fi
done

# charon must not run on the host: the tests start it inside namespaces.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	systemctl disable --now strongswan-starter strongswan >/dev/null 2>&1 || true
fi
echo "install-deps: ok ($(echo $KPKGS))"
