# kesp: top-level build. See README.md for the two commands that matter:
# `make demo` and `make check`.

VERSION := $(shell cat VERSION)

# ---- kernel module -------------------------------------------------------
# KDIR: the running kernel's build dir if it exists, else the newest Debian
# linux-headers-* installed (this machine's own kernel has no headers and is
# never a target). KVER=... picks an installed kernel by version.
ifdef KVER
KDIR ?= /lib/modules/$(KVER)/build
endif
KDIR ?= $(shell tools/kernels.sh default-kdir)
# The matrix the guest tests run on: newest installed kernel of each series.
KERNEL_SERIES ?= 6.1 6.12
MATRIX_KVERS = $(shell tools/kernels.sh matrix $(KERNEL_SERIES))

# ---- userspace -----------------------------------------------------------
PKGS := gnutls nettle hogweed libnl-genl-3.0 libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lgmp
CC ?= cc
CFLAGS ?= -O2 -g
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing \
	-Iuapi -Ilib -Iikehelper -Itools -DKESP_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

# lib/: the kesp netlink client, linked into both programs.
NL_SRCS := $(wildcard lib/*.c)
IKE_SRCS := $(wildcard ikehelper/*.c)
IKE_LIB_SRCS := $(filter-out ikehelper/main.c,$(IKE_SRCS))
# The in-memory kernel of the unit tests and the fuzzer stays out of the
# daemon.
IKE_BIN_SRCS := $(filter-out ikehelper/kernel_fake.c,$(IKE_SRCS))
CTL_SRCS := $(wildcard tools/*.c)
CTL_LIB_SRCS := $(filter-out tools/kespctl.c,$(CTL_SRCS))
UNIT_SRCS := $(wildcard selftests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:selftests/unit/%.c=build/unit/%)

all: module userspace

userspace: ikehelper/ikehelper tools/kespctl

build/o/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

build/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -O1 -g $(SAN_FLAGS) -MMD -MP -c -o $@ $<

ikehelper/ikehelper: $(IKE_BIN_SRCS:%.c=build/o/%.o) $(NL_SRCS:%.c=build/o/%.o)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

tools/kespctl: $(CTL_SRCS:%.c=build/o/%.o) $(NL_SRCS:%.c=build/o/%.o)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# ---- install (non-Debian systems; the Debian packages use it too) --------
# make install [DESTDIR=...] [PREFIX=/usr/local]: the programs, the systemd
# unit, man pages, the bash completion, and /etc/kesp/ikehelper.conf (an
# example, only if there is none). The module: make dkms-install.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
MAN_PAGES := man/kesp.4 man/ikehelper.conf.5 man/ikehelper.8 man/kespctl.8
INSTALL ?= install

build/ikehelper.service: dist/ikehelper.service.in FORCE
	@mkdir -p $(@D)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@.tmp
	mv $@.tmp $@

install: userspace build/ikehelper.service
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(MANDIR)/man4 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 0755 ikehelper/ikehelper tools/kespctl $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0644 build/ikehelper.service $(DESTDIR)$(UNITDIR)/ikehelper.service
	$(INSTALL) -m 0644 dist/kespctl.bash-completion $(DESTDIR)$(BASHCOMPDIR)/kespctl
	for m in $(MAN_PAGES); do \
		$(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit 1; \
	done
	$(INSTALL) -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/kesp $(DESTDIR)$(SYSCONFDIR)/kesp/x509 \
		$(DESTDIR)$(SYSCONFDIR)/kesp/x509ca $(DESTDIR)$(SYSCONFDIR)/kesp/x509crl \
		$(DESTDIR)$(SYSCONFDIR)/kesp/private
	[ -e $(DESTDIR)$(SYSCONFDIR)/kesp/ikehelper.conf ] || \
		$(INSTALL) -m 0600 dist/ikehelper.conf $(DESTDIR)$(SYSCONFDIR)/kesp/ikehelper.conf

# Leaves /etc/kesp (your configuration and keys) in place.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ikehelper $(DESTDIR)$(SBINDIR)/kespctl \
		$(DESTDIR)$(UNITDIR)/ikehelper.service $(DESTDIR)$(BASHCOMPDIR)/kespctl \
		$(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))

# Debian packages kesp and kesp-dkms in build/deb/, built from a copy of
# the tree (debian/rules clean must not touch this one's build/).
deb:
	sh tools/deb-build.sh

# Unit tests link the program code (minus main) from archives, under
# ASan/UBSan; each test pulls only the objects it uses.
build/asan/libike.a: $(IKE_LIB_SRCS:%.c=build/asan/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
build/asan/libkespctl.a: $(CTL_LIB_SRCS:%.c=build/asan/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
build/asan/libkespnl.a: $(NL_SRCS:%.c=build/asan/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

build/unit/%: build/asan/selftests/unit/%.o build/asan/libkespctl.a build/asan/libike.a \
		build/asan/libkespnl.a
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $< -Lbuild/asan -lkespctl -like -lkespnl $(PKG_LIBS)

-include $(shell find build -name '*.d' 2>/dev/null)

# Extra unit-tier programs (each prints TAP) may be added by included files.
UNIT_EXTRA := selftests/unit/check-tree.sh selftests/unit/check-service.sh \
	selftests/unit/test_bench_report.py selftests/unit/test_run_tests.sh \
	selftests/unit/test_debug_tier.sh
-include selftests/fuzz/fuzz.mk

module:
	$(MAKE) -C kmod KDIR=$(KDIR)

# The module for each kernel of the matrix, in build/kmod/KVER, built with
# W=1 and sparse: any warning fails (tools/kmod-build.sh). The guests load
# these; module-lint is the same build.
build/kmod/%/kmod/kesp.ko: FORCE
	sh tools/kmod-build.sh $*

modules-matrix: $(foreach k,$(MATRIX_KVERS),build/kmod/$(k)/kmod/kesp.ko)

module-lint: modules-matrix

# ---- tests ---------------------------------------------------------------
NPROC := $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
deps:
	sh tools/install-deps.sh

unit-bins: $(UNIT_BINS) $(UNIT_EXTRA_DEPS)

check-unit: userspace unit-bins
	sh selftests/unit/run.sh $(UNIT_BINS) $(UNIT_EXTRA)

check-vm: userspace modules-matrix
	sh selftests/vm/run-matrix.sh $(MATRIX_KVERS)

# The Debian packages: built, linted, installed (DKMS builds kesp.ko for
# each kernel of the matrix), checked and purged (tools/deb-check.sh).
check-dkms:
	sh tools/deb-check.sh $(MATRIX_KVERS)

# kesp against XFRM in one guest per kernel (README "Benchmarks"); the
# smoke version runs the same code for seconds, as part of `make check`.
bench: userspace modules-matrix
	sh selftests/bench/run.sh $(MATRIX_KVERS)

check-bench: userspace modules-matrix
	sh selftests/bench/run.sh --smoke $(MATRIX_KVERS)

# The debug-kernel tier (README "Debug-kernel tier"): Debian's 6.12 source
# built with KASAN, lockdep, kmemleak and UBSAN (tools/debug-kernel.sh,
# cached outside the checkout; hours on 2 CPUs), and the guest suite on it.
debug-kernel:
	sh tools/debug-kernel.sh build

check-debug: userspace
	sh tools/debug-tier.sh run

# In `make check` the tier is left out unless KESP_DEBUG_TIER=auto (runs
# when the kernel is cached) or force (builds it first): it takes hours. It
# prints one line saying why, and the summary leaves it out.
check-debug-tier:
	sh tools/debug-tier.sh check

# The full tier: installs what it needs first, then re-reads this Makefile
# (so pkg-config sees the freshly installed libraries) and runs every tier,
# even when an earlier one fails, before the one summary line.
# Builds run one job per CPU (the two kernels' modules side by side); the
# tests themselves keep their own pace.
check:
	$(MAKE) deps
	rm -rf build/results
	-$(MAKE) -j$(NPROC) check-unit
	-$(MAKE) check-dkms
	-$(MAKE) -j$(NPROC) check-vm
	-$(MAKE) check-bench
	-$(MAKE) check-debug-tier
	sh selftests/summary.sh unit dkms vm bench $$(test -f build/results/debug.skipped || echo debug)

# The kernel list is read after deps has installed the kernels: a recipe is
# expanded before its first line runs, so the guest starts in a sub-make.
demo:
	$(MAKE) deps
	$(MAKE) demo-guest

demo-guest: userspace modules-matrix
	sh selftests/vm/run-vm.sh --demo $(word 1,$(MATRIX_KVERS))

dkms-install:
	sh tools/dkms-install.sh

clean:
	$(MAKE) -C kmod KDIR=$(KDIR) clean 2>/dev/null || true
	rm -rf build ikehelper/ikehelper tools/kespctl

.PHONY: install uninstall deb all userspace module modules-matrix module-lint deps unit-bins check check-unit \
	check-vm check-dkms check-bench check-debug check-debug-tier debug-kernel bench demo demo-guest dkms-install clean FORCE
.SECONDARY:
