# libFuzzer targets for the ikehelper codec and SK unprotection; included by
# the top-level Makefile. The library sources are compiled again with clang
# (coverage instrumentation) into build/fuzz/.
#   make unit-bins   builds the fuzzers; the unit tier then runs
#                    selftests/fuzz/smoke.sh (60 s shared by the targets,
#                    which run side by side: 20 s of wall time; TAP)
#   make fuzz        runs them longer (FUZZ_SECONDS, default 600)

FUZZ_CC ?= $(shell command -v clang-14 2>/dev/null || command -v clang 2>/dev/null || echo clang)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra \
	-Werror -Iuapi -Ilib -Iikehelper $(PKG_CFLAGS)
FUZZ_TARGETS := fuzz_decode fuzz_sk fuzz_exchange
FUZZ_BINS := $(FUZZ_TARGETS:%=build/fuzz/%)
# The netlink client too: ikehelper's kernel backend calls it.
FUZZ_LIB_OBJS := $(IKE_LIB_SRCS:ikehelper/%.c=build/fuzz/obj/%.o) \
	$(NL_SRCS:lib/%.c=build/fuzz/obj/lib/%.o)
FUZZ_SECONDS ?= 600

build/fuzz/obj/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzz/obj/%.o: ikehelper/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzz/fuzz_exchange: selftests/unit/ike_harness.h
build/fuzz/%: selftests/fuzz/%.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJS) \
		$(PKG_LIBS)

# Without clang's libFuzzer runtime (Debian: libclang-rt-14-dev) the other
# unit tests still build; smoke.sh then reports the fuzzers as not built.
FUZZ_RT := $(wildcard $(shell $(FUZZ_CC) -print-resource-dir 2>/dev/null)/lib/linux/libclang_rt.fuzzer-x86_64.a)
ifneq ($(FUZZ_RT),)
UNIT_EXTRA_DEPS += $(FUZZ_BINS)
else
$(warning fuzz.mk: no libFuzzer runtime for $(FUZZ_CC) (install libclang-rt-14-dev); fuzzers not built)
endif
UNIT_EXTRA += selftests/fuzz/smoke.sh

fuzz: $(FUZZ_BINS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh selftests/fuzz/smoke.sh

.PHONY: fuzz
