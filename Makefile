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
	$(CC) $(USER_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

build/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -O1 -g $(SAN_FLAGS) -MMD -MP -c -o $@ $<

ikehelper/ikehelper: $(IKE_BIN_SRCS:%.c=build/o/%.o) $(NL_SRCS:%.c=build/o/%.o)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

tools/kespctl: $(CTL_SRCS:%.c=build/o/%.o) $(NL_SRCS:%.c=build/o/%.o)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

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
UNIT_EXTRA := selftests/unit/check-tree.sh selftests/unit/test_bench_report.py \
	selftests/unit/test_run_tests.sh
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

check-dkms:
	sh tools/dkms-check.sh $(MATRIX_KVERS)

# kesp against XFRM in one guest per kernel (README "Benchmarks"); the
# smoke version runs the same code for seconds, as part of `make check`.
bench: userspace modules-matrix
	sh selftests/bench/run.sh $(MATRIX_KVERS)

check-bench: userspace modules-matrix
	sh selftests/bench/run.sh --smoke $(MATRIX_KVERS)

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
	sh selftests/summary.sh unit dkms vm bench

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

.PHONY: all userspace module modules-matrix module-lint deps unit-bins check check-unit \
	check-vm check-dkms check-bench bench demo demo-guest dkms-install clean FORCE
.SECONDARY:
