################################################################################
#
# edgetrace
#
################################################################################

# Built from the edgetrace tree this BR2_EXTERNAL lives in (board/buildroot/).
EDGETRACE_SITE := $(realpath $(BR2_EXTERNAL_EDGETRACE_PATH)/../..)
EDGETRACE_SITE_METHOD = local
EDGETRACE_VERSION := $(shell cat $(EDGETRACE_SITE)/VERSION)
EDGETRACE_LICENSE = GPL-2.0
# not the developer's own build/ (every board's objects)
EDGETRACE_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude /build

EDGETRACE_DEPENDENCIES = libbpf lmdb mbedtls zlib \
	host-clang host-llvm host-bpftool host-python3 host-python-kconfiglib

# host-llvm gets the BPF backend only with BR2_PACKAGE_LLVM_BPF, an option
# of the target llvm; HOST_LLVM_CONF_OPTS expands this variable when
# host-llvm is configured, so adding to it here is enough.
ifeq ($(BR2_PACKAGE_EDGETRACE):$(BR2_PACKAGE_LLVM_BPF),y:)
LLVM_TARGETS_TO_BUILD += BPF
endif

ifeq ($(BR2_aarch64),y)
EDGETRACE_KCONFIG_ARCH = ARCH_AARCH64
else ifeq ($(BR2_arm),y)
EDGETRACE_KCONFIG_ARCH = ARCH_ARMV7
else ifeq ($(BR2_riscv),y)
EDGETRACE_KCONFIG_ARCH = ARCH_RISCV64
else ifeq ($(BR2_x86_64),y)
EDGETRACE_KCONFIG_ARCH = ARCH_X86_64
endif

# BR2_PACKAGE_EDGETRACE_<name> is CONFIG_<name> of edgetrace's Kconfig.
EDGETRACE_KCONFIG_BOOLS = PROBE_EXEC PROBE_FORK PROBE_EXIT PROBE_CRED \
	PROBE_SIGNAL PROBE_PTRACE PROBE_MODULE PROBE_FILE PROBE_NET PIN_BPF \
	UPLINK_SEAL UPLINK_HTTPS
EDGETRACE_KCONFIG_INTS = SPOOL_MAP_SIZE_MIB SPOOL_SYNC_MS \
	BPF_MAP_BUDGET_KIB RINGBUF_SIZE_KIB UPLINK_BATCH_KIB UPLINK_BATCH_AGE_S
# The other BR2_PACKAGE_EDGETRACE_* options are this package's own.
EDGETRACE_PACKAGE_OPTIONS = STATIC CONFIG_FRAGMENT KERNEL_BTF
EDGETRACE_CONFIG_FRAGMENT = $(call qstrip,$(BR2_PACKAGE_EDGETRACE_CONFIG_FRAGMENT))

# The uplink's TLS and X.509 come before the crypto they use.
EDGETRACE_LIBS = libbpf libelf libz liblmdb \
	$(if $(BR2_PACKAGE_EDGETRACE_UPLINK_HTTPS),libmbedtls libmbedx509) \
	libmbedcrypto
ifeq ($(BR2_PACKAGE_EDGETRACE_STATIC),y)
EDGETRACE_LDFLAGS = $(TARGET_LDFLAGS) -static -Wl,--gc-sections
EDGETRACE_LINK = $(patsubst %,$(STAGING_DIR)/usr/lib/%.a,$(EDGETRACE_LIBS)) \
	$(if $(BR2_PACKAGE_ZSTD),-lzstd) -lpthread
else
EDGETRACE_LDFLAGS = $(TARGET_LDFLAGS) -Wl,--gc-sections
EDGETRACE_LINK = $(patsubst lib%,-l%,$(EDGETRACE_LIBS))
endif

# edgetrace's Makefile with Buildroot's cross compiler, host tools and
# staging libraries instead of its own (toolchains/): T_CC, T_STRIP, DEPS
# and LIBS replace what it would take from toolchains/targets/.
EDGETRACE_MAKE_OPTS = \
	BOARD=buildroot \
	VERSION=$(EDGETRACE_VERSION) \
	PYTHON=$(HOST_DIR)/bin/python3 \
	CLANG=$(HOST_DIR)/bin/clang \
	BPFTOOL=$(HOST_DIR)/sbin/bpftool \
	T_CC="$(TARGET_CC) $(TARGET_CFLAGS)" \
	T_STRIP="$(TARGET_CROSS)strip" \
	DEPS=$(@D)/build/sysroot \
	TARGET_LDFLAGS="$(EDGETRACE_LDFLAGS)" \
	LIBS="$(EDGETRACE_LINK)"

# The Makefile builds its own pinned libraries (toolchains/build.sh) unless
# $(DEPS)/.stamp is newer than the toolchain scripts: DEPS is the staging
# directory, marked as built.
define EDGETRACE_SYSROOT
	mkdir -p $(@D)/build/sysroot
	ln -sfn $(STAGING_DIR)/usr/include $(@D)/build/sysroot/include
	ln -sfn $(STAGING_DIR)/usr/lib $(@D)/build/sysroot/lib
	touch $(@D)/build/sysroot/.stamp
endef

# board/buildroot_defconfig (in the build directory, not the source tree)
# is loaded the way `make <board>_defconfig` loads any board's.
define EDGETRACE_CONFIGURE_CMDS
	( \
		echo 'CONFIG_$(EDGETRACE_KCONFIG_ARCH)=y'; \
		$(foreach o,$(EDGETRACE_KCONFIG_BOOLS), \
			echo 'CONFIG_$(o)=$(if $(BR2_PACKAGE_EDGETRACE_$(o)),y,n)';) \
		$(foreach o,$(EDGETRACE_KCONFIG_INTS), \
			$(if $(BR2_PACKAGE_EDGETRACE_$(o)), \
			echo 'CONFIG_$(o)=$(BR2_PACKAGE_EDGETRACE_$(o))';)) \
		$(if $(EDGETRACE_CONFIG_FRAGMENT),cat $(EDGETRACE_CONFIG_FRAGMENT);) \
	) > $(@D)/board/buildroot_defconfig
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) $(EDGETRACE_MAKE_OPTS) buildroot_defconfig
endef

define EDGETRACE_BUILD_CMDS
	$(EDGETRACE_SYSROOT)
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) $(EDGETRACE_MAKE_OPTS) all
endef

# Unstripped: Buildroot strips the target per BR2_STRIP_*. The agent's
# settings are in /etc/edgetrace/edgetrace.conf, which the init script and
# the unit pass to it; a board changes them with a rootfs overlay or a
# post-build script.
define EDGETRACE_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(@D)/build/buildroot/edgetrace \
		$(TARGET_DIR)/usr/sbin/edgetrace
	$(INSTALL) -D -m 0644 $(@D)/board/common/edgetrace.conf \
		$(TARGET_DIR)/etc/edgetrace/edgetrace.conf
	$(INSTALL) -D -m 0644 $(@D)/board/common/edgetrace.default \
		$(TARGET_DIR)/etc/default/edgetrace
endef

define EDGETRACE_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(@D)/board/common/S99edgetrace \
		$(TARGET_DIR)/etc/init.d/S99edgetrace
endef

# The init script starts the uplink itself where the configuration file
# names a collector and the binary has it; systemd gets a unit of its own.
define EDGETRACE_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(@D)/board/common/edgetrace.service \
		$(TARGET_DIR)/usr/lib/systemd/system/edgetrace.service
	$(if $(BR2_PACKAGE_EDGETRACE_UPLINK_HTTPS), \
		$(INSTALL) -D -m 0644 $(@D)/board/common/edgetrace-uplink.service \
			$(TARGET_DIR)/usr/lib/systemd/system/edgetrace-uplink.service)
endef

# The small BTF file of the kernel this image builds (make btf, docs/build.md
# "BTF"): from its vmlinux's .BTF, else made by pahole from its DWARF, at
# the build's CONFIG_BTF_FILE, with the .id that lets the agent use it on
# that kernel only (a kernel with BTF of its own then spares the agent
# parsing it: docs/footprint.md).
ifeq ($(BR2_PACKAGE_EDGETRACE_KERNEL_BTF),y)
EDGETRACE_DEPENDENCIES += linux host-pahole
define EDGETRACE_BUILD_KERNEL_BTF
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) $(EDGETRACE_MAKE_OPTS) \
		OBJCOPY="$(TARGET_OBJCOPY)" btf KERNEL=$(LINUX_DIR)/vmlinux
endef
EDGETRACE_POST_BUILD_HOOKS += EDGETRACE_BUILD_KERNEL_BTF
define EDGETRACE_INSTALL_KERNEL_BTF
	btf=`sed -n 's/^CONFIG_BTF_FILE="\(.*\)"$$/\1/p' $(@D)/build/buildroot/.config`; \
	$(INSTALL) -D -m 0644 $(@D)/build/buildroot/vmlinux.btf $(TARGET_DIR)$$btf && \
	rm -f $(TARGET_DIR)$$btf.id && \
	if [ -f $(@D)/build/buildroot/vmlinux.btf.id ]; then \
		$(INSTALL) -m 0644 $(@D)/build/buildroot/vmlinux.btf.id $(TARGET_DIR)$$btf.id; \
	fi
endef
EDGETRACE_POST_INSTALL_TARGET_HOOKS += EDGETRACE_INSTALL_KERNEL_BTF
endif

# What the probes need from the kernel; BTF (CONFIG_DEBUG_INFO_BTF) also
# needs BR2_LINUX_KERNEL_NEEDS_HOST_PAHOLE, so it is left to the board.
define EDGETRACE_LINUX_CONFIG_FIXUPS
	$(call KCONFIG_ENABLE_OPT,CONFIG_BPF)
	$(call KCONFIG_ENABLE_OPT,CONFIG_BPF_SYSCALL)
	$(call KCONFIG_ENABLE_OPT,CONFIG_BPF_JIT)
	$(call KCONFIG_ENABLE_OPT,CONFIG_PERF_EVENTS)
	$(call KCONFIG_ENABLE_OPT,CONFIG_FTRACE)
	$(call KCONFIG_ENABLE_OPT,CONFIG_FTRACE_SYSCALLS)
	$(call KCONFIG_ENABLE_OPT,CONFIG_KPROBES)
	$(call KCONFIG_ENABLE_OPT,CONFIG_KPROBE_EVENTS)
	$(call KCONFIG_ENABLE_OPT,CONFIG_BPF_EVENTS)
	$(call KCONFIG_ENABLE_OPT,CONFIG_CGROUPS)
endef

# S99edgetrace runs start-stop-daemon, and setsid when there is one.
define EDGETRACE_BUSYBOX_CONFIG_FIXUPS
	$(call KCONFIG_ENABLE_OPT,CONFIG_START_STOP_DAEMON)
	$(call KCONFIG_ENABLE_OPT,CONFIG_SETSID)
endef

$(eval $(generic-package))
