#!/bin/sh
# Consistency of the tree itself, as TAP: things that silently break a
# release or a DKMS install if they drift apart.
cd "$(dirname "$0")/../.." || exit 1
. selftests/unit/tap.sh
version=$(cat VERSION)
t "VERSION is a dotted version" sh -c "echo '$version' | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$'"
t "dkms.conf PACKAGE_VERSION matches VERSION" grep -qx "PACKAGE_VERSION=\"$version\"" dkms.conf
t "dkms.conf builds kesp from kmod/" sh -c 'grep -qx "BUILT_MODULE_NAME\[0\]=\"kesp\"" dkms.conf && grep -qx "BUILT_MODULE_LOCATION\[0\]=\"kmod/\"" dkms.conf'
t "every object in kmod/Kbuild has a source file" sh -c \
	'for o in $(sed -e :a -e "/\\\\$/N; s/\\\\\\n//; ta" kmod/Kbuild | sed -n "s/^kesp-y := //p"); do [ -f "kmod/${o%.o}.c" ] || exit 1; done'
t "every kmod/*.c is built" sh -c \
	'for c in kmod/*.c; do case $c in *.mod.c) continue;; esac; b=$(basename "$c" .c); grep -q "$b.o" kmod/Kbuild || exit 1; done'
t "core module files carry no kernel version conditionals (compat.h does)" sh -c \
	'! grep -l "LINUX_VERSION_CODE\|KERNEL_VERSION(" kmod/*.c'
echo "1..$n"
exit $failed
