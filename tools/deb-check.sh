#!/bin/sh
# The dkms tier: the Debian packages as a user gets them. Builds them (make
# deb), runs lintian, installs kesp-dkms so that DKMS builds and installs
# kesp.ko for each kernel given (its own postinst, as any DKMS package), checks
# the DKMS build keeps warnings non-fatal, installs kesp and checks its files
# are where the man pages say and its unit passes systemd-analyze verify,
# then purges both and checks nothing is left. TAP out, "PASSED FAILED" into
# build/results/dkms. The module is never loaded. Run as root.
#   deb-check.sh KVER...
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$ROOT/VERSION")
tmp=$(mktemp -d)
n=0 passed=0 failed=0
t() {	# STATUS WHAT
	n=$((n + 1))
	echo "$1 $n - $2"
	if [ "$1" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
check() {	# WHAT CMD...: ok when CMD succeeds; its output shown when not
	what=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		t ok "$what"
	else
		t "not ok" "$what"
		tail -n 30 "$tmp/out" | sed 's/^/# /'
	fi
}
finish() {
	mkdir -p "$ROOT/build/results"
	echo "$passed $failed" >"$ROOT/build/results/dkms"
	echo "1..$n"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
purge() {
	dpkg --purge kesp kesp-dkms >"$tmp/purge" 2>&1
}
trap 'purge; rm -rf "$tmp"' EXIT
export DEBIAN_FRONTEND=noninteractive

[ "$(id -u)" = 0 ] || { t "not ok" "deb-check runs as root (it installs packages)"; finish; }
# A kesp installed by hand (make dkms-install) would be replaced: leave it.
if dkms status -m kesp 2>/dev/null | grep -q . && ! dpkg-query -W kesp-dkms >/dev/null 2>&1; then
	t "not ok" "no kesp is installed through DKMS outside the package (dkms remove -m kesp --all)"
	finish
fi
purge

# -- build and lint
if DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} noddebs" sh "$ROOT/tools/deb-build.sh" >"$tmp/out" 2>&1; then
	t ok "make deb builds kesp and kesp-dkms $version"
else
	t "not ok" "make deb builds kesp and kesp-dkms $version"
	tail -n 30 "$tmp/out" | sed 's/^/# /'
	finish
fi
deb=$ROOT/build/deb
# Every tag lintian emits fails, info included; the accepted ones are
# overridden in debian/*.lintian-overrides, each with its reason.
check "lintian: no error, warning or info beyond the documented overrides" \
	lintian --fail-on error,warning,info --info "$deb/kesp_${version}_amd64.changes"

# -- kesp-dkms: DKMS builds the module for every kernel on install
if dpkg -i "$deb/kesp-dkms_${version}_all.deb" >"$tmp/dkms.log" 2>&1; then
	t ok "dpkg -i kesp-dkms"
else
	t "not ok" "dpkg -i kesp-dkms"
	tail -n 40 "$tmp/dkms.log" | sed 's/^/# /'
fi
for kver in "$@"; do
	st=$(dkms status -m kesp -v "$version" -k "$kver" 2>&1)
	if echo "$st" | grep -q ': installed' &&
		ls "/lib/modules/$kver/updates/dkms/kesp.ko"* >/dev/null 2>&1; then
		t ok "kesp-dkms built and installed kesp.ko for $kver (dkms status: installed)"
	else
		t "not ok" "kesp-dkms built and installed kesp.ko for $kver (dkms status: installed)"
		echo "# dkms status: $st"
		tail -n 30 "/var/lib/dkms/kesp/$version/build/make.log" 2>/dev/null | sed 's/^/# /'
	fi
	# The DKMS build must not make warnings fatal: a user's newer compiler
	# would fail the install (module-lint keeps them fatal for us).
	# dkms.conf builds with V=1, so DKMS's log shows each compile line; the
	# kernel's own -Werror=... are its business.
	log=$(ls /var/lib/dkms/kesp/"$version"/"$kver"/*/log/make.log 2>/dev/null | head -n 1)
	if [ -n "$log" ] && grep -q 'kmod/sad\.o' "$log" &&
		! grep -E -- '-Werror( |$)' "$log" | grep -q 'kmod/'; then
		t ok "the DKMS build for $kver does not turn warnings into errors"
	else
		t "not ok" "the DKMS build for $kver does not turn warnings into errors"
		[ -n "$log" ] && grep -E -- '-Werror( |$)' "$log" | head -n 3 | sed 's/^/# /'
	fi
done

# -- kesp: files where the man pages say, the unit as installed
if dpkg -i "$deb/kesp_${version}_amd64.deb" >"$tmp/kesp.log" 2>&1; then
	t ok "dpkg -i kesp"
else
	t "not ok" "dpkg -i kesp"
	tail -n 20 "$tmp/kesp.log" | sed 's/^/# /'
fi
# Every absolute path in a FILES section of the installed man pages
# (VERSION and KVER stand for this version and each kernel).
for page in kesp.4 ikehelper.conf.5 ikehelper.8 kespctl.8; do
	# (mandoc, unlike man, never hyphenates a path across lines)
	zcat "/usr/share/man/man${page##*.}/$page.gz" | mandoc -T utf8 -O width=1000 | col -b |
		awk '/^FILES/ { f = 1; next } /^[A-Z]/ { f = 0 } f' |
		grep -oE '(^|[[:space:](])/[A-Za-z0-9_./+-]+' | sed 's/^[[:space:](]//' >"$tmp/paths"
	[ -s "$tmp/paths" ] || { t "not ok" "$page has a FILES section"; continue; }
	missing=""
	while read -r p; do
		case $p in /run/*) continue ;; esac	# made by the running service
		for k in $*; do
			q=$(echo "$p" | sed "s/VERSION/$version/g; s/KVER/$k/g")
			# kesp.ko may be kesp.ko.xz: DKMS compresses as the kernel does
			[ -e "$q" ] || [ -e "$q.xz" ] || [ -e "$q.zst" ] || missing="$missing $q"
			case $p in *KVER*) ;; *) break ;; esac
		done
	done <"$tmp/paths"
	if [ -z "$missing" ]; then
		t ok "$page: every file its FILES section names is installed ($(wc -l <"$tmp/paths") paths)"
	else
		t "not ok" "$page: every file its FILES section names is installed"
		echo "# missing:$missing"
	fi
done
check "the installed ikehelper.service passes systemd-analyze verify (its man pages too)" \
	sh -c 'out=$(systemd-analyze verify /lib/systemd/system/ikehelper.service 2>&1); echo "$out"; [ -z "$out" ]'
check "the service is installed disabled and not started" \
	sh -c '! systemctl is-enabled ikehelper.service >/dev/null 2>&1 && ! pgrep -x ikehelper'
check "the installed example /etc/kesp/ikehelper.conf passes ikehelper --check-config" \
	ikehelper --check-config
check "/etc/kesp and ikehelper.conf are root's only (0700, 0600)" \
	sh -c '[ "$(stat -c %a /etc/kesp)" = 700 ] && [ "$(stat -c %a /etc/kesp/ikehelper.conf)" = 600 ]'

# -- purge: nothing left
purge
check "dpkg --purge kesp kesp-dkms" sh -c "! grep -i error '$tmp/purge' && cat '$tmp/purge'"
check "after the purge: no kesp in dkms status, no kesp.ko, no /usr/src/kesp-$version, no /etc/kesp" \
	sh -c "! dkms status -m kesp | grep . && ! ls /lib/modules/*/updates/dkms/kesp.ko* 2>/dev/null && [ ! -e /usr/src/kesp-$version ] && [ ! -e /etc/kesp ]"
finish
