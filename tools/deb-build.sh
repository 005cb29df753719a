#!/bin/sh
# Builds the Debian packages (dpkg-buildpackage -us -uc -b) from a copy of
# the tree in build/deb/src, so the package's own clean and build steps
# never touch this tree's build/; the .debs, .buildinfo and .changes end up
# in build/deb/. Prints the .changes file's path last.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$ROOT/VERSION")
out=$ROOT/build/deb
src=$out/src/kesp-$version
rm -rf "$out"
mkdir -p "$src"
cd "$ROOT"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# tracked and new files, as they are in the tree now
	git ls-files --cached --others --exclude-standard |
		while read -r f; do [ -e "$f" ] && echo "$f"; done |
		tar -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./ikehelper/ikehelper --exclude=./tools/kespctl \
		--exclude='*.o' --exclude='*.ko' -cf - . | tar -xf - -C "$src"
fi
# the changelog's version is the tree's
if ! head -n 1 "$src/debian/changelog" | grep -q "^kesp ($version)"; then
	echo "deb-build: debian/changelog's version is not VERSION ($version)" >&2
	exit 1
fi
(cd "$src" && dpkg-buildpackage -us -uc -b -j"$(getconf _NPROCESSORS_ONLN)") >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "deb-build: dpkg-buildpackage failed (build/deb/build.log)" >&2
	exit 1
}
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out/"
ls "$out"/*.deb
ls "$out"/*.changes
