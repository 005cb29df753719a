#!/bin/sh
# Which installed Debian kernels kesp builds and tests against.
#   kernels.sh default-kdir      build dir for a plain `make`
#   kernels.sh list              every installed kernel with headers and image
#   kernels.sh matrix S1 S2 ...  newest installed version of each series that
#                                has both an image and headers
set -eu

# Installed kernel versions with headers and an image, oldest first.
with_headers() {
	for d in /lib/modules/*/build; do
		[ -d "$d/" ] || continue
		v=${d#/lib/modules/}; v=${v%/build}
		[ -f "/boot/vmlinuz-$v" ] && echo "$v"
	done | sort -V
}

case "${1:-}" in
default-kdir)
	if [ -d "/lib/modules/$(uname -r)/build/" ]; then
		echo "/lib/modules/$(uname -r)/build"
	else
		v=$(with_headers | tail -n 1)
		[ -n "$v" ] && echo "/lib/modules/$v/build"
	fi
	;;
list)
	with_headers
	;;
matrix)
	shift
	for series in "$@"; do
		v=$(with_headers | grep -E "^$(echo "$series" | sed 's/\./\\./g')[.-]" | tail -n 1 || true)
		if [ -z "$v" ]; then
			echo "kernels.sh: no installed kernel of series $series (run make deps)" >&2
			echo "missing-$series"
		else
			echo "$v"
		fi
	done
	;;
*)
	echo "usage: kernels.sh default-kdir | list | matrix SERIES..." >&2
	exit 2
	;;
esac
