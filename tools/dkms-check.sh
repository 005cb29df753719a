#!/bin/sh
# Builds kesp through DKMS for each kernel given, from a copy of the tree,
# in a private DKMS tree (nothing is installed into the system). TAP out,
# "PASSED FAILED" into build/results/dkms.
#   dkms-check.sh KVER...
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$ROOT/VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 passed=0 failed=0
t() {	# STATUS WHAT
	n=$((n + 1))
	echo "$1 $n - $2"
	if [ "$1" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
mkdir -p "$tmp/source" "$tmp/tree"
sh "$ROOT/tools/dkms-source.sh" "$tmp/source" >/dev/null
dkms_() { dkms --dkmstree "$tmp/tree" --sourcetree "$tmp/source" "$@"; }
if dkms_ add -m kesp -v "$version" >"$tmp/log" 2>&1; then
	t ok "dkms add kesp/$version"
else
	t "not ok" "dkms add kesp/$version"
	sed 's/^/# /' "$tmp/log"
fi
for kver in "$@"; do
	if dkms_ build -m kesp -v "$version" -k "$kver" >"$tmp/log" 2>&1 &&
		ls "$tmp/tree/kesp/$version/$kver/"*/module/kesp.ko* >/dev/null 2>&1; then
		t ok "dkms build kesp/$version for $kver"
	else
		t "not ok" "dkms build kesp/$version for $kver"
		sed 's/^/# /' "$tmp/log"
		cat "$tmp/tree/kesp/$version/build/make.log" 2>/dev/null | tail -n 40 | sed 's/^/# /'
	fi
done
# The DKMS build must not make warnings fatal: a user's newer compiler
# would fail the install (module-lint keeps them fatal for us). Run the
# MAKE line of dkms.conf as DKMS would, verbosely, and look at the flags
# our sources were compiled with (the kernel's own -Werror=... are its
# business).
make_line=$(sed -n 's/^MAKE\[0\]="\(.*\)"$/\1/p' "$ROOT/dkms.conf")
for kver in "$@"; do
	rm -rf "$tmp/werror"
	cp -r "$tmp/source/kesp-$version" "$tmp/werror"
	if (cd "$tmp/werror" && kernel_source_dir=/lib/modules/$kver/build &&
		eval "$make_line V=1") >"$tmp/log" 2>&1 &&
		grep -q 'kmod/sad\.o' "$tmp/log" &&
		! grep -E -- '-Werror( |$)' "$tmp/log" | grep -q 'kmod/'; then
		t ok "the DKMS build for $kver does not turn warnings into errors"
	else
		t "not ok" "the DKMS build for $kver does not turn warnings into errors"
		grep -E -- '-Werror( |$)' "$tmp/log" | head -n 3 | sed 's/^/# /'
		tail -n 20 "$tmp/log" | sed 's/^/# /'
	fi
done
mkdir -p "$ROOT/build/results"
echo "$passed $failed" >"$ROOT/build/results/dkms"
echo "1..$n"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
