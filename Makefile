# SPDX-License-Identifier: GPL-2.0
#
# edgetrace build.
#
#   make <board>_defconfig   configure for board/<board>_defconfig (and make
#                            it the current board)
#   make                     build build/<board>/edgetrace (static, musl)
#   make menuconfig | oldconfig | olddefconfig | savedefconfig
#   make test                unit tests (target build, and ASan+UBSan on the
#                            host), 10 s of each fuzzer (host), then the
#                            integration tests (root, BPF)
#   make fuzz                libFuzzer on the filter, the record decoder,
#                            sealed batches and the collector's HTTP parser,
#                            FUZZ_SECONDS (30) each (host board only)
#   make test-all            build and test every board (foreign ones under
#                            qemu-user); what CI runs
#   make size                per-object size table of the final binary
#   make full-variant        build/<board>-full: every probe and the HTTPS
#                            uplink (what bench/uplink.sh measures)
#   make system-test         boot Debian's arm64 and armhf kernels under QEMU
#                            with the qemu-arm64 and armv7 builds
#                            (tests/system/; SYSTEM_BOARDS=... for fewer)
#   make btf KERNEL=VMLINUX  build/<board>/vmlinux.btf: the kernel BTF the
#                            probes need, for kernels without built-in BTF
#   make install DESTDIR=... PREFIX=/usr
#   make V=1                 show the commands
#
# The board is the last one configured (build/.board), x86_64 at first, or
# BOARD=<board> on the command line. Dependencies (libbpf, libelf, zlib,
# LMDB, mbedtls) come from toolchains/build.sh, built once per target into
# $(EDGETRACE_CACHE) (default ~/.cache/edgetrace), outside the tree.

ifeq ($(V),1)
Q :=
else
Q := @
MAKEFLAGS += --no-print-directory
endif

PYTHON ?= /usr/bin/python3
CLANG ?= clang
BPFTOOL ?= bpftool
PREFIX ?= /usr
DESTDIR ?=

BOARD ?= $(shell cat build/.board 2>/dev/null || echo x86_64)
O := build/$(BOARD)
CONFIG := $(O)/.config
GEN := $(O)/include
KCONFIG_ENV := KCONFIG_CONFIG=$(CONFIG)

EDGETRACE_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/edgetrace
export EDGETRACE_CACHE

CONFIG_GOALS := %_defconfig clean distclean help test-all
BOARDS := $(patsubst board/%_defconfig,%,$(wildcard board/*_defconfig))
GOALS := $(or $(MAKECMDGOALS),all)

.PHONY: all test test-all system-test tools unit-tests pin-variant io-variant uplink-variant full-variant asan-tests fuzzers fuzz integration size install collector btf clean \
	distclean help menuconfig oldconfig olddefconfig savedefconfig deps \
	FORCE

all:

# ---------------------------------------------------------------- config

%_defconfig:
	$(Q)test -f board/$@ || { echo "no such board: board/$@ (see board/)" >&2; exit 2; }
	$(Q)mkdir -p build/$*
	$(Q)KCONFIG_CONFIG=build/$*/.config $(PYTHON) -m defconfig --kconfig Kconfig board/$@ >/dev/null
	$(Q)echo $* > build/.board
	@echo "  CONFIG  build/$*/.config (from board/$@)"

# A .config older than Kconfig gets the defaults of the symbols added since
# (olddefconfig keeps every choice it holds), as the kernel's syncconfig
# does: the Makefile reads .config, and must agree with autoconf.h.
$(CONFIG): Kconfig
	$(Q)if [ -f $@ ]; then \
		$(KCONFIG_ENV) $(PYTHON) -m olddefconfig Kconfig >/dev/null && touch $@ && \
		echo "  CONFIG  $@ (updated to Kconfig)"; \
	else \
		test -f board/$(BOARD)_defconfig || { echo "no such board: board/$(BOARD)_defconfig" >&2; exit 2; }; \
		mkdir -p $(O) && \
		$(KCONFIG_ENV) $(PYTHON) -m defconfig --kconfig Kconfig board/$(BOARD)_defconfig >/dev/null && \
		echo "  CONFIG  $@ (from board/$(BOARD)_defconfig)"; \
	fi

menuconfig: $(CONFIG)
	$(Q)$(KCONFIG_ENV) $(PYTHON) -m menuconfig Kconfig

oldconfig: $(CONFIG)
	$(Q)$(KCONFIG_ENV) $(PYTHON) -m oldconfig Kconfig

olddefconfig: $(CONFIG)
	$(Q)$(KCONFIG_ENV) $(PYTHON) -m olddefconfig Kconfig

savedefconfig: $(CONFIG)
	$(Q)$(KCONFIG_ENV) $(PYTHON) -m savedefconfig --kconfig Kconfig --out $(O)/defconfig
	@echo "  SAVE    $(O)/defconfig (copy it to board/$(BOARD)_defconfig to keep it)"

ifneq ($(filter-out $(CONFIG_GOALS),$(GOALS)),)
include $(CONFIG)

$(GEN)/autoconf.h: $(CONFIG) Kconfig
	$(Q)mkdir -p $(GEN)
	$(Q)$(KCONFIG_ENV) $(PYTHON) -m genconfig --header-path $@ Kconfig

# ------------------------------------------------------------- toolchain

unquote = $(patsubst "%",%,$(1))
TRIPLE := $(call unquote,$(CONFIG_TARGET_TRIPLE))
TARGET_FILE := toolchains/targets/$(TRIPLE).sh
DEPS := $(EDGETRACE_CACHE)/$(TRIPLE)
HOST_TRIPLE := x86_64-linux-gnu
HOST_DEPS := $(EDGETRACE_CACHE)/$(HOST_TRIPLE)

$(O)/toolchain.mk: $(TARGET_FILE) $(CONFIG)
	$(Q)mkdir -p $(O)
	$(Q)bash -c 'set -eu; . ./$<; for v in CC AR STRIP BPF_ARCH LIBC QEMU; do \
		eval "x=\$${$$v-}"; printf "T_%s := %s\n" $$v "$$x"; done' > $@

# Only once .config exists (make restarts after creating it), so that the
# triple is known.
ifneq ($(wildcard $(CONFIG)),)
include $(O)/toolchain.mk
endif

$(TARGET_FILE):
	@echo "no toolchain for $(TRIPLE): add $(TARGET_FILE) (see toolchains/README.md)" >&2
	@exit 2

TC_INPUTS := toolchains/build.sh toolchains/versions.mk \
	$(wildcard toolchains/compat/*/* toolchains/patches/*/*)

$(DEPS)/.stamp: $(TC_INPUTS) $(TARGET_FILE)
	$(Q)V=$(V) bash toolchains/build.sh $(TRIPLE)

$(HOST_DEPS)/.stamp: $(TC_INPUTS) toolchains/targets/$(HOST_TRIPLE).sh
	$(Q)V=$(V) bash toolchains/build.sh $(HOST_TRIPLE)

deps: $(DEPS)/.stamp

# ------------------------------------------------------------------ BPF

BPF_SRCS-y := bpf/maps.bpf.c
BPF_SRCS-$(CONFIG_PROBE_EXEC) += bpf/exec.bpf.c
BPF_SRCS-$(CONFIG_PROBE_FORK)$(CONFIG_PROBE_EXIT) += bpf/task.bpf.c
BPF_SRCS-$(CONFIG_PROBE_CRED) += bpf/cred.bpf.c
BPF_SRCS-$(CONFIG_PROBE_SIGNAL)$(CONFIG_PROBE_PTRACE) += bpf/signal.bpf.c
BPF_SRCS-$(CONFIG_PROBE_MODULE) += bpf/module.bpf.c
BPF_SRCS-$(CONFIG_PROBE_FILE) += bpf/file.bpf.c
BPF_SRCS-$(CONFIG_PROBE_NET) += bpf/net.bpf.c
BPF_SRCS := $(BPF_SRCS-y) $(BPF_SRCS-yy)
BPF_OBJS := $(patsubst bpf/%.c,$(O)/bpf/%.o,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/*.h)
BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_$(T_BPF_ARCH) \
	-Wall -Werror -include $(GEN)/autoconf.h -Ibpf -isystem $(DEPS)/include

$(O)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(GEN)/autoconf.h $(DEPS)/.stamp
	@echo "  BPF     $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# One object for all probe families: one skeleton, shared maps. bpftool's
# linker keeps BTF and drops DWARF, so what is embedded is small.
$(O)/bpf/edgetrace.o: $(BPF_OBJS)
	@echo "  BPFLINK $@"
	$(Q)$(BPFTOOL) gen object $@ $^

# Reduced mode (CONFIG_REDUCED_MODE): the process probes on tracepoint
# fields only, for kernels without BTF; a second, small object and
# skeleton, with no CO-RE relocation (bpf/reduced.bpf.c).
$(O)/bpf/reduced.o: $(O)/bpf/maps.bpf.o $(O)/bpf/reduced.bpf.o
	@echo "  BPFLINK $@"
	$(Q)$(BPFTOOL) gen object $@ $^

# The skeletons do not embed their objects: each one's elf_bytes function
# is made to return core/bpfobj.c's inflated copy of the gzipped object
# that core/bpfobj.S carries (a fifth of the size on flash) as et_bpf_NAME.
# skel_unembed NAME: the awk program that rewrites NAME_bpf__elf_bytes
skel_unembed = skip && /^}$$/ { skip = 0; \
		print "{\n\treturn et_bpf_elf_bytes(et_bpf_$(1), et_bpf_$(1)_end, sz);\n}"; next } \
	skip { next } \
	/^static inline const void \*$(1)_bpf__elf_bytes\(size_t \*sz\)$$/ { \
		print "extern const unsigned char et_bpf_$(1)[], et_bpf_$(1)_end[];\n"; \
		print; skip = 1; n++; next } \
	{ print } \
	END { if (n != 1) { print "$(1)_bpf__elf_bytes not found" > "/dev/stderr"; exit 1 } }

$(GEN)/%.skel.h: $(O)/bpf/%.o
	@echo "  SKEL    $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst reduced,edgetrace_reduced,$*)_bpf > $@.full
	$(Q)awk '$(call skel_unembed,$(subst reduced,edgetrace_reduced,$*))' $@.full > $@.tmp && \
		rm $@.full && mv $@.tmp $@

$(O)/bpf/%.o.gz: $(O)/bpf/%.o
	$(Q)gzip -9 -n -c $< > $@.tmp && mv $@.tmp $@

BPF_EMBED-y := edgetrace
BPF_EMBED-$(CONFIG_REDUCED_MODE) += reduced
SKELS := $(patsubst %,$(GEN)/%.skel.h,$(BPF_EMBED-y))
# bpf_embed_def NAME: what core/bpfobj.S needs to carry NAME's object
bpf_embed_def = -DET_BPF_GZ='"$(abspath $(O)/bpf/$(1).o.gz)"' \
	-DET_BPF_SYM=et_bpf_$(subst reduced,edgetrace_reduced,$(1)) \
	-DET_BPF_END=et_bpf_$(subst reduced,edgetrace_reduced,$(1))_end

# ---------------------------------------------------------------- agent

VERSION := $(shell cat VERSION)$(shell git rev-parse --short HEAD >/dev/null 2>&1 && echo "-g$$(git rev-parse --short HEAD)")

$(GEN)/version.h: FORCE
	$(Q)mkdir -p $(GEN)
	$(Q)echo '#define ET_VERSION "$(VERSION)"' > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

STORAGE_SRCS := storage/record.c storage/spool.c storage/capture.c
CORE_SRCS := core/main.c core/run.c core/loader.c core/event.c \
	core/output.c core/query.c core/status.c core/enrich.c \
	core/proctable.c core/container.c core/pin.c core/filter.c \
	core/export.c core/output_io.c core/watch.c core/armor.c core/config.c \
	core/bpfobj.c
# Reduced mode: the tracepoint format parser and what /proc tells of a
# live process, for the loader and the enricher.
CORE_SRCS-$(CONFIG_REDUCED_MODE) += core/reduced.c core/tpformat.c \
	core/procinfo.c
# Sealed batches: keygen, export --format sealed, decode.
UPLINK_SRCS-$(CONFIG_UPLINK_SEAL) += uplink/seal.c
CORE_SRCS-$(CONFIG_UPLINK_SEAL) += core/sealed.c
# The uplink: batches, HTTPS with mutual TLS (edgetrace uplink).
UPLINK_SRCS-$(CONFIG_UPLINK_HTTPS) += uplink/uplink.c uplink/https.c
CORE_SRCS-$(CONFIG_UPLINK_HTTPS) += core/uplink_cmd.c
TLS_LIBS-$(CONFIG_UPLINK_HTTPS) := libmbedtls.a libmbedx509.a
UPLINK_SRCS := $(UPLINK_SRCS-y)
CORE_SRCS += $(CORE_SRCS-y)
AGENT_SRCS := $(STORAGE_SRCS) $(UPLINK_SRCS) $(CORE_SRCS)
AGENT_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(AGENT_SRCS)) \
	$(patsubst %,$(O)/obj/core/bpfobj_%.o,$(BPF_EMBED-y))

WARN := -Wall -Wextra -Werror
INCS := -include $(GEN)/autoconf.h -I$(GEN) -Icore -Istorage -Iuplink -Ibpf
TARGET_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 $(WARN) -ffunction-sections \
	-fdata-sections $(INCS) -isystem $(DEPS)/include -MMD -MP
TARGET_LDFLAGS := -static -Wl,--gc-sections
LIBS := $(addprefix $(DEPS)/lib/,libbpf.a libelf.a libz.a liblmdb.a $(TLS_LIBS-y) libmbedcrypto.a)

$(O)/obj/%.o: %.c $(GEN)/autoconf.h $(GEN)/version.h $(DEPS)/.stamp
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(T_CC) $(TARGET_CFLAGS) -c $< -o $@

$(O)/obj/core/loader.o $(O)/obj/core/reduced.o: $(SKELS)

$(O)/obj/core/bpfobj_%.o: core/bpfobj.S $(O)/bpf/%.o.gz
	@echo "  AS      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(T_CC) $(call bpf_embed_def,$*) -c $< -o $@

$(O)/edgetrace: $(AGENT_OBJS)
	@echo "  LD      $@"
	$(Q)$(T_CC) $(TARGET_LDFLAGS) -Wl,-Map=$@.map -o $@ $^ $(LIBS)

$(O)/edgetrace.stripped: $(O)/edgetrace
	$(Q)$(T_STRIP) -o $@ $<

all: $(O)/edgetrace $(O)/edgetrace.stripped
	@echo "  DONE    $(O)/edgetrace ($$(stat -c %s $(O)/edgetrace.stripped) bytes stripped)"

-include $(AGENT_OBJS:.o=.d)

# ----------------------------------------------------------------- tests

comma := ,
UNIT_TESTS := record spool powercut output event proctable container filter config \
	watch
UNIT_TESTS-$(CONFIG_UPLINK_SEAL) += seal
UNIT_TESTS-$(CONFIG_REDUCED_MODE) += tpformat procinfo
UNIT_TESTS += $(UNIT_TESTS-y)
UNIT_DEPS-record := storage/record.c
UNIT_DEPS-spool := storage/record.c storage/spool.c
UNIT_DEPS-powercut := storage/record.c storage/spool.c
# test_powercut logs LMDB's writes and syncs by wrapping them at link time
UNIT_LDFLAGS-powercut := $(addprefix -Wl$(comma)--wrap=,pwrite writev fdatasync fsync)
UNIT_DEPS-output := storage/record.c core/output.c core/output_io.c
UNIT_DEPS-event := core/event.c
UNIT_DEPS-watch := core/watch.c core/event.c
UNIT_DEPS-config := core/config.c
UNIT_DEPS-proctable := core/proctable.c
UNIT_DEPS-container := core/container.c
UNIT_DEPS-filter := storage/record.c core/filter.c core/output.c \
	core/output_io.c
UNIT_DEPS-seal := uplink/seal.c
UNIT_DEPS-tpformat := core/tpformat.c
UNIT_DEPS-procinfo := core/procinfo.c
# Libraries a test needs besides LMDB, from the target's or the host's prefix.
UNIT_LIBS-seal := libmbedcrypto.a libz.a
UNIT_HDRS := $(wildcard storage/*.h core/*.h uplink/*.h bpf/*.h)

.SECONDEXPANSION:
# The target build: the same compiler and flags as the agent.
$(O)/tests/test_%: tests/unit/test_%.c $$(UNIT_DEPS-$$*) tests/unit/check.h $(UNIT_HDRS) $(GEN)/autoconf.h $(DEPS)/.stamp
	$(Q)mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(T_CC) $(filter-out -MMD -MP,$(TARGET_CFLAGS)) -Itests/unit -static -o $@ $< \
		$(UNIT_DEPS-$*) $(addprefix $(DEPS)/lib/,$(UNIT_LIBS-$*)) \
		$(DEPS)/lib/liblmdb.a $(UNIT_LDFLAGS-$*)

# The host sanitizer build: glibc, ASan + UBSan, every error fatal.
ASAN_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) $(INCS) \
	-isystem $(HOST_DEPS)/include -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
$(O)/asan/test_%: tests/unit/test_%.c $$(UNIT_DEPS-$$*) tests/unit/check.h $(UNIT_HDRS) $(GEN)/autoconf.h $(HOST_DEPS)/.stamp
	$(Q)mkdir -p $(@D)
	@echo "  CC      $@ (ASan+UBSan)"
	$(Q)gcc $(ASAN_CFLAGS) -Itests/unit -o $@ $< $(UNIT_DEPS-$*) \
		$(addprefix $(HOST_DEPS)/lib/,$(UNIT_LIBS-$*)) \
		$(HOST_DEPS)/lib/liblmdb.a -lpthread $(UNIT_LDFLAGS-$*)

# Workload tools for the integration tests and benchmarks (host only):
# tests/tools/<name>.c -> build/<board>/tools/<name>, static like the agent.
TOOLS := $(patsubst tests/tools/%.c,%,$(wildcard tests/tools/*.c))
$(O)/tools/%: tests/tools/%.c $(GEN)/autoconf.h $(DEPS)/.stamp
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(T_CC) $(filter-out -MMD -MP,$(TARGET_CFLAGS)) -static \
		-Wl,--gc-sections -o $@ $< $(LIBS) -lpthread

tools: $(addprefix $(O)/tools/,$(TOOLS))

# The agent itself under ASan + UBSan (host only): the integration tests
# run against it too.
ASAN_AGENT_OBJS := $(patsubst %.c,$(O)/asan/obj/%.o,$(AGENT_SRCS)) \
	$(patsubst %,$(O)/asan/obj/core/bpfobj_%.o,$(BPF_EMBED-y))
HOST_LIBS := $(addprefix $(HOST_DEPS)/lib/,libbpf.a libelf.a libz.a liblmdb.a $(TLS_LIBS-y) libmbedcrypto.a)

$(O)/asan/obj/%.o: %.c $(GEN)/autoconf.h $(GEN)/version.h $(HOST_DEPS)/.stamp
	@echo "  CC      $@ (ASan+UBSan)"
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(ASAN_CFLAGS) -MMD -MP -c $< -o $@

$(O)/asan/obj/core/loader.o $(O)/asan/obj/core/reduced.o: $(SKELS)

$(O)/asan/obj/core/bpfobj_%.o: core/bpfobj.S $(O)/bpf/%.o.gz
	@echo "  AS      $@"
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(call bpf_embed_def,$*) -c $< -o $@

$(O)/asan/edgetrace: $(ASAN_AGENT_OBJS)
	@echo "  LD      $@ (ASan+UBSan)"
	$(Q)gcc $(ASAN_CFLAGS) -o $@ $^ $(HOST_LIBS) -lpthread

-include $(ASAN_AGENT_OBJS:.o=.d)

# The fleet collector (collector/, docs/collector.md), host only: glibc,
# the host's pinned mbedtls and zlib ($(HOST_DEPS)) and Debian's libpq
# (libpq-dev), with the agent's record decoder, JSON output and
# uplink/seal.c compiled in. Built twice, -O2 and ASan+UBSan (beside the
# agents, so that the integration test runs against both), with
# $(O)/tools/et-mkbatch, which seals batches from a capture for its tests.
COLLECTOR_SRCS := collector/main.c collector/server.c collector/http.c \
	collector/batch.c collector/sink_pg.c collector/sink_ndjson.c \
	storage/record.c core/output.c core/output_io.c uplink/seal.c
MKBATCH_SRCS := collector/mkbatch.c storage/record.c storage/capture.c \
	uplink/seal.c
PG_INCDIR := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
COLLECTOR_INCS := $(INCS) -Icollector -isystem $(HOST_DEPS)/include \
	-isystem $(PG_INCDIR)
COLLECTOR_LIBS := $(addprefix $(HOST_DEPS)/lib/,libmbedtls.a libmbedx509.a \
	libmbedcrypto.a libz.a) -lpq
COLLECTOR_OBJS := $(patsubst %.c,$(O)/collector/obj/%.o,$(COLLECTOR_SRCS))
ASAN_COLLECTOR_OBJS := $(patsubst %.c,$(O)/asan/collector/obj/%.o,$(COLLECTOR_SRCS))
MKBATCH_OBJS := $(patsubst %.c,$(O)/collector/obj/%.o,$(MKBATCH_SRCS))

$(O)/collector/obj/%.o: %.c $(GEN)/autoconf.h $(GEN)/version.h $(HOST_DEPS)/.stamp
	@echo "  CC      $@"
	$(Q)mkdir -p $(@D)
	$(Q)gcc -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) $(COLLECTOR_INCS) -MMD -MP -c $< -o $@

$(O)/asan/collector/obj/%.o: %.c $(GEN)/autoconf.h $(GEN)/version.h $(HOST_DEPS)/.stamp
	@echo "  CC      $@ (ASan+UBSan)"
	$(Q)mkdir -p $(@D)
	$(Q)gcc $(ASAN_CFLAGS) $(COLLECTOR_INCS) -MMD -MP -c $< -o $@

$(O)/edgetrace-collector: $(COLLECTOR_OBJS)
	@echo "  LD      $@"
	$(Q)gcc -o $@ $^ $(COLLECTOR_LIBS)

$(O)/asan/edgetrace-collector: $(ASAN_COLLECTOR_OBJS)
	@echo "  LD      $@ (ASan+UBSan)"
	$(Q)gcc $(ASAN_CFLAGS) -o $@ $^ $(COLLECTOR_LIBS)

$(O)/tools/et-mkbatch: $(MKBATCH_OBJS)
	@echo "  LD      $@"
	$(Q)mkdir -p $(@D)
	$(Q)gcc -o $@ $^ $(HOST_DEPS)/lib/libmbedcrypto.a $(HOST_DEPS)/lib/libz.a

collector: $(O)/edgetrace-collector $(O)/asan/edgetrace-collector \
	$(O)/tools/et-mkbatch

-include $(COLLECTOR_OBJS:.o=.d) $(ASAN_COLLECTOR_OBJS:.o=.d) $(MKBATCH_OBJS:.o=.d)

unit-tests: $(addprefix $(O)/tests/test_,$(UNIT_TESTS))
asan-tests: $(addprefix $(O)/asan/test_,$(UNIT_TESTS)) $(O)/asan/edgetrace

# libFuzzer targets (host only): tests/fuzz/fuzz_<name>.c, built with clang
# (libFuzzer's runtime is in libclang-rt-14-dev) under ASan and UBSan.
# `make fuzz` runs each for FUZZ_SECONDS on a fresh copy of its seed corpus,
# tests/fuzz/corpus/<name>/, and fails on a crash, leak, timeout or UB;
# the input that did it is left in $(O)/fuzz/<name>-crash-*.
FUZZERS := filter record http
FUZZERS-$(CONFIG_UPLINK_SEAL) += sealed
FUZZERS += $(FUZZERS-y)
FUZZ_DEPS-filter := core/filter.c storage/record.c core/output.c \
	core/output_io.c
FUZZ_DEPS-record := storage/record.c
# the collector's HTTP request framing (host only, like the collector)
FUZZ_DEPS-http := collector/http.c
FUZZ_CFLAGS-http := -Icollector
FUZZ_DEPS-sealed := uplink/seal.c
FUZZ_LIBS-sealed := $(HOST_DEPS)/lib/libmbedcrypto.a $(HOST_DEPS)/lib/libz.a
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) $(INCS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
$(O)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_DEPS-$$*) $(wildcard storage/*.h core/*.h uplink/*.h collector/*.h) $(GEN)/autoconf.h
	$(Q)mkdir -p $(@D)
	@echo "  CC      $@ (libFuzzer+ASan+UBSan)"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_CFLAGS-$*) $(if $(FUZZ_LIBS-$*),-isystem $(HOST_DEPS)/include) \
		-o $@ $< $(FUZZ_DEPS-$*) $(FUZZ_LIBS-$*)

ifeq ($(T_QEMU),)
fuzzers: $(addprefix $(O)/fuzz/fuzz_,$(FUZZERS))

fuzz: fuzzers
	$(Q)for f in $(FUZZERS); do \
		rm -rf $(O)/fuzz/corpus/$$f && mkdir -p $(O)/fuzz/corpus && \
		cp -r tests/fuzz/corpus/$$f $(O)/fuzz/corpus/$$f || exit 1; \
		echo "  FUZZ    $$f for $(FUZZ_SECONDS) s (log: $(O)/fuzz/$$f.log)"; \
		$(O)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
			-artifact_prefix=$(O)/fuzz/$$f- $(O)/fuzz/corpus/$$f \
			>$(O)/fuzz/$$f.log 2>&1 || { \
			grep -E 'ERROR|SUMMARY|runtime error|Test unit written' \
				$(O)/fuzz/$$f.log >&2; \
			echo "fuzz_$$f failed: see $(O)/fuzz/$$f.log" >&2; exit 1; }; \
		grep '^Done ' $(O)/fuzz/$$f.log | sed 's/^/          /'; \
	done
else
fuzzers fuzz:
	@echo "make fuzz: host board only ($(BOARD) runs under qemu-user)" >&2
	@exit 2
endif

# The board with CONFIG_PIN_BPF=y, for tests/integration/test_pin.sh.
PIN_O := build/$(BOARD)-pin
$(PIN_O)/.config: $(CONFIG) Kconfig
	$(Q)mkdir -p $(PIN_O)
	$(Q){ grep -v 'PIN_' $(CONFIG); echo CONFIG_PIN_BPF=y; } > $@
	$(Q)KCONFIG_CONFIG=$@ $(PYTHON) -m olddefconfig Kconfig >/dev/null

pin-variant: $(PIN_O)/.config
	$(Q)$(MAKE) BOARD=$(BOARD)-pin all

# The board with the file and socket probes (CONFIG_PROBE_FILE,
# CONFIG_PROBE_NET), with its ASan agent, for a board whose defconfig
# leaves them out: their tests run against it then (tests/run.sh).
IO_O := build/$(BOARD)-io
$(IO_O)/.config: $(CONFIG) Kconfig
	$(Q)mkdir -p $(IO_O)
	$(Q){ grep -v 'CONFIG_PROBE_FILE\|CONFIG_PROBE_NET' $(CONFIG); \
		echo CONFIG_PROBE_FILE=y; \
		$(if $(wildcard bpf/net.bpf.c),echo CONFIG_PROBE_NET=y;) } > $@
	$(Q)KCONFIG_CONFIG=$@ $(PYTHON) -m olddefconfig Kconfig >/dev/null

io-variant: $(IO_O)/.config
	$(Q)$(MAKE) BOARD=$(BOARD)-io all tools $(IO_O)/asan/edgetrace

# The board with the uplink (CONFIG_UPLINK_HTTPS, on by default too), its
# small batches and a small spool so that tests/integration/test_uplink.sh
# sees many batches and eviction quickly; with its ASan agent and tools.
UPLINK_O := build/$(BOARD)-uplink
$(UPLINK_O)/.config: $(CONFIG) Kconfig
	$(Q)mkdir -p $(UPLINK_O)
	$(Q){ grep -v 'CONFIG_UPLINK_\|CONFIG_SPOOL_MAP_SIZE_MIB' $(CONFIG); \
		echo CONFIG_UPLINK_SEAL=y; echo CONFIG_UPLINK_HTTPS=y; \
		echo CONFIG_UPLINK_BATCH_KIB=32; echo CONFIG_UPLINK_BATCH_AGE_S=2; \
		echo CONFIG_SPOOL_MAP_SIZE_MIB=4; } > $@
	$(Q)KCONFIG_CONFIG=$@ $(PYTHON) -m olddefconfig Kconfig >/dev/null

uplink-variant: $(UPLINK_O)/.config
	$(Q)$(MAKE) BOARD=$(BOARD)-uplink all tools $(UPLINK_O)/asan/edgetrace

# Every probe and the HTTPS uplink, with the Kconfig defaults otherwise
# (256 KiB batches, the full spool): the build bench/uplink.sh measures,
# agent and uplink alike. Not part of `make test`.
FULL_O := build/$(BOARD)-full
$(FULL_O)/.config: $(CONFIG) Kconfig
	$(Q)mkdir -p $(FULL_O)
	$(Q){ grep -v 'CONFIG_PROBE_\|CONFIG_UPLINK_' $(CONFIG); \
		for p in EXEC FORK EXIT CRED SIGNAL PTRACE MODULE FILE; do \
			echo CONFIG_PROBE_$$p=y; done; \
		$(if $(wildcard bpf/net.bpf.c),echo CONFIG_PROBE_NET=y;) \
		echo CONFIG_UPLINK_SEAL=y; echo CONFIG_UPLINK_HTTPS=y; } > $@
	$(Q)KCONFIG_CONFIG=$@ $(PYTHON) -m olddefconfig Kconfig >/dev/null

full-variant: $(FULL_O)/.config
	$(Q)$(MAKE) BOARD=$(BOARD)-full all tools

TEST_GOALS := unit-tests all
TEST_FUZZ_SECONDS ?= 10
ifeq ($(T_QEMU),)
TEST_GOALS += asan-tests tools fuzzers
TEST_GOALS += collector
ifneq ($(CONFIG_PIN_BPF),y)
TEST_GOALS += pin-variant
endif
ifneq ($(CONFIG_PROBE_FILE)$(CONFIG_PROBE_NET),yy)
TEST_GOALS += io-variant
endif
# test_uplink wants the variant's small batches and spool in any case
TEST_GOALS += uplink-variant
endif

test: $(TEST_GOALS)
	$(Q)QEMU="$(T_QEMU)" TRIPLE=$(TRIPLE) FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) \
		bash tests/run.sh $(O)

# ------------------------------------------------------------ footprint

size: all
	$(Q)$(PYTHON) bench/sizetable.py $(O)/edgetrace.map $(O)/edgetrace.stripped

install: all
	$(Q)install -D -m 0755 $(O)/edgetrace.stripped $(DESTDIR)$(PREFIX)/sbin/edgetrace
	@echo "  INSTALL $(DESTDIR)$(PREFIX)/sbin/edgetrace"

# The BTF for a board kernel without /sys/kernel/btf/vmlinux: the types the
# probes use, from KERNEL (its BTF, or its vmlinux with DWARF via pahole).
KERNEL ?= /sys/kernel/btf/vmlinux
btf: $(O)/bpf/edgetrace.o
	$(Q)$(if $(OBJCOPY),OBJCOPY="$(OBJCOPY)") toolchains/btf.sh "$(KERNEL)" $< $(O)/vmlinux.btf

# The emulated boards (tests/system/README.md): each board's io-variant,
# then Debian's kernel for it booted under QEMU with that build; the host
# board's edgetrace imports and queries what the guest exported.
SYSTEM_BOARDS ?= qemu-arm64 armv7
system-test: $(if $(T_QEMU),,all)
	$(Q)$(if $(T_QEMU),,EDGETRACE_HOST=$(O)/edgetrace) \
		bash tests/system/run.sh --build $(SYSTEM_BOARDS)

endif # config goals

# Every board of board/: build, unit tests (under qemu-user for foreign
# architectures), integration tests on the host board; one total line.
test-all:
	$(Q)bash tests/run-boards.sh $(BOARDS)

clean:
	$(Q)rm -rf build/$(BOARD)/obj build/$(BOARD)/bpf build/$(BOARD)/include \
		build/$(BOARD)/tests build/$(BOARD)/asan build/$(BOARD)/fuzz \
		build/$(BOARD)/collector \
		build/$(BOARD)/edgetrace*

distclean:
	$(Q)rm -rf build

help:
	@sed -n '3,/^$$/p' Makefile | sed '/^$$/d; s/^# \{0,1\}//'
	@echo "Boards: $$(ls board/*_defconfig | sed 's|board/||;s|_defconfig||' | tr '\n' ' ')"
