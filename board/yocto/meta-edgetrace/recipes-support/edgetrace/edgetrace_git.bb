SUMMARY = "edgetrace: eBPF system monitor for Linux edge gateways"
DESCRIPTION = "Records processes, files and network activity with eBPF probes \
on tracepoints into a bounded, power-loss-safe LMDB spool on flash."
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/GPL-2.0-only;md5=801f80980d171dd6425610833a22dbe6"

# The source is the git repository that holds this layer
# (board/yocto/meta-edgetrace/recipes-support/edgetrace/ in it), at the
# head of EDGETRACE_BRANCH. Set EDGETRACE_REPO and SRCREV for a release;
# README.md says how to build a working tree instead (externalsrc).
EDGETRACE_REPO_DEFAULT := "${@os.path.abspath(os.path.join(d.getVar('THISDIR'), '../../../../..'))}"
EDGETRACE_REPO ?= "${EDGETRACE_REPO_DEFAULT}"
EDGETRACE_BRANCH ?= "main"
SRC_URI = "git://${EDGETRACE_REPO};protocol=file;branch=${EDGETRACE_BRANCH}"
SRCREV ?= "${AUTOREV}"
PV = "0.1.0+git"
S = "${WORKDIR}/git"

DEPENDS = "libbpf lmdb mbedtls zlib elfutils clang-native bpftool-native \
	python3-kconfiglib-native"

inherit python3native systemd update-rc.d

COMPATIBLE_HOST = "(aarch64|arm|riscv64|x86_64).*-linux.*"

# One PACKAGECONFIG per probe family, for pinning, sealed batches and the
# uplink: each names the symbol of edgetrace's top-level Kconfig that it
# sets (CONFIG_<name>).
PACKAGECONFIG ??= "exec fork exit cred signal ptrace module file net seal uplink"
PACKAGECONFIG[exec] = "PROBE_EXEC=y,PROBE_EXEC=n"
PACKAGECONFIG[fork] = "PROBE_FORK=y,PROBE_FORK=n"
PACKAGECONFIG[exit] = "PROBE_EXIT=y,PROBE_EXIT=n"
PACKAGECONFIG[cred] = "PROBE_CRED=y,PROBE_CRED=n"
PACKAGECONFIG[signal] = "PROBE_SIGNAL=y,PROBE_SIGNAL=n"
PACKAGECONFIG[ptrace] = "PROBE_PTRACE=y,PROBE_PTRACE=n"
PACKAGECONFIG[module] = "PROBE_MODULE=y,PROBE_MODULE=n"
PACKAGECONFIG[file] = "PROBE_FILE=y,PROBE_FILE=n"
PACKAGECONFIG[net] = "PROBE_NET=y,PROBE_NET=n"
PACKAGECONFIG[pin] = "PIN_BPF=y,PIN_BPF=n"
PACKAGECONFIG[seal] = "UPLINK_SEAL=y,UPLINK_SEAL=n"
# needs seal; adds edgetrace-uplink.service
PACKAGECONFIG[uplink] = "UPLINK_HTTPS=y,UPLINK_HTTPS=n"

# Budgets and anything else, as NAME=value words (CONFIG_ is added), e.g.
# EDGETRACE_KCONFIG_EXTRA:pn-edgetrace = "SPOOL_MAP_SIZE_MIB=16 RINGBUF_SIZE_KIB=256"
EDGETRACE_KCONFIG_EXTRA ?= ""

def edgetrace_kconfig_arch(d):
    arches = {'aarch64': 'ARCH_AARCH64', 'arm': 'ARCH_ARMV7',
              'riscv64': 'ARCH_RISCV64', 'x86_64': 'ARCH_X86_64'}
    return arches.get(d.getVar('TARGET_ARCH'), 'ARCH_UNSUPPORTED')

EDGETRACE_BOARD = "yocto"

# edgetrace's Makefile with the Yocto cross compiler and the target sysroot
# instead of its own toolchains/: T_CC, T_STRIP, DEPS and LIBS replace
# what it would take from toolchains/targets/. clang and bpftool come from
# the native sysroot (PATH). The Makefile builds in its source tree (B = S).
EXTRA_OEMAKE = ""
EDGETRACE_TLS_LIBS = "${@bb.utils.contains('PACKAGECONFIG', 'uplink', '-lmbedtls -lmbedx509', '', d)}"
EDGETRACE_MAKE_ARGS = "BOARD=${EDGETRACE_BOARD} VERSION=${PV} PYTHON=${PYTHON} \
	T_CC='${CC} ${CFLAGS}' T_STRIP='${STRIP}' DEPS=${B}/build/sysroot \
	TARGET_LDFLAGS='${LDFLAGS} -Wl,--gc-sections' \
	LIBS='-lbpf -lelf -lz -llmdb ${EDGETRACE_TLS_LIBS} -lmbedcrypto'"

# The Makefile builds its own pinned libraries unless $(DEPS)/.stamp is
# newer than the toolchain scripts: DEPS is the target sysroot, marked built.
edgetrace_sysroot() {
	mkdir -p ${B}/build/sysroot
	ln -sfn ${STAGING_INCDIR} ${B}/build/sysroot/include
	ln -sfn ${STAGING_LIBDIR} ${B}/build/sysroot/lib
	touch ${B}/build/sysroot/.stamp
}

# The options, as a defconfig, loaded with kconfiglib as `make
# <board>_defconfig` loads board/<board>_defconfig (done here by hand so
# that nothing is written under board/ of an externalsrc tree).
do_configure() {
	{
		echo "CONFIG_${@edgetrace_kconfig_arch(d)}=y"
		for opt in ${PACKAGECONFIG_CONFARGS} ${EDGETRACE_KCONFIG_EXTRA}; do
			echo "CONFIG_$opt"
		done
	} > ${WORKDIR}/edgetrace_defconfig
	mkdir -p ${B}/build/${EDGETRACE_BOARD}
	KCONFIG_CONFIG=${B}/build/${EDGETRACE_BOARD}/.config \
		${PYTHON} -m defconfig --kconfig ${S}/Kconfig ${WORKDIR}/edgetrace_defconfig
}

# The small BTF file of the kernel the image boots (make btf, docs/build.md
# "BTF"), installed at the build's CONFIG_BTF_FILE with the .id that lets
# the agent use it on that kernel only: set EDGETRACE_KERNEL_BTF to that
# kernel's vmlinux (KERNEL_IMAGETYPES += "vmlinux" deploys it; without
# CONFIG_DEBUG_INFO_BTF it needs DWARF, CONFIG_DEBUG_INFO, for pahole) or,
# on arm64, its uncompressed Image, e.g. "${DEPLOY_DIR_IMAGE}/Image".
# Without BTF built in the kernel the probes need it (or run in reduced
# mode); with it, it spares the agent parsing megabytes of it at start.
EDGETRACE_KERNEL_BTF ?= ""
DEPENDS += "${@'virtual/kernel dwarves-native' if d.getVar('EDGETRACE_KERNEL_BTF') else ''}"
do_compile[depends] += "${@'virtual/kernel:do_deploy' if d.getVar('EDGETRACE_KERNEL_BTF') else ''}"

do_compile() {
	edgetrace_sysroot
	oe_runmake ${EDGETRACE_MAKE_ARGS} all
	if [ -n "${EDGETRACE_KERNEL_BTF}" ]; then
		oe_runmake ${EDGETRACE_MAKE_ARGS} OBJCOPY='${OBJCOPY}' btf \
			KERNEL=${EDGETRACE_KERNEL_BTF}
	fi
}

do_install() {
	install -D -m 0755 ${B}/build/${EDGETRACE_BOARD}/edgetrace ${D}${sbindir}/edgetrace
	install -D -m 0644 ${S}/board/common/edgetrace.conf ${D}${sysconfdir}/edgetrace/edgetrace.conf
	install -D -m 0644 ${S}/board/common/edgetrace.default ${D}${sysconfdir}/default/edgetrace
	if ${@bb.utils.contains('DISTRO_FEATURES', 'systemd', 'true', 'false', d)}; then
		install -D -m 0644 ${S}/board/common/edgetrace.service \
			${D}${systemd_system_unitdir}/edgetrace.service
		if ${@bb.utils.contains('PACKAGECONFIG', 'uplink', 'true', 'false', d)}; then
			install -D -m 0644 ${S}/board/common/edgetrace-uplink.service \
				${D}${systemd_system_unitdir}/edgetrace-uplink.service
		fi
	fi
	if ${@bb.utils.contains('DISTRO_FEATURES', 'sysvinit', 'true', 'false', d)}; then
		install -D -m 0755 ${S}/board/common/S99edgetrace ${D}${sysconfdir}/init.d/edgetrace
	fi
	if [ -n "${EDGETRACE_KERNEL_BTF}" ]; then
		out=${B}/build/${EDGETRACE_BOARD}
		btf=$(sed -n 's/^CONFIG_BTF_FILE="\(.*\)"$/\1/p' $out/.config)
		install -D -m 0644 $out/vmlinux.btf ${D}$btf
		if [ -f $out/vmlinux.btf.id ]; then
			install -m 0644 $out/vmlinux.btf.id ${D}$btf.id
		fi
	fi
}

SYSTEMD_SERVICE:${PN} = "edgetrace.service \
	${@bb.utils.contains('PACKAGECONFIG', 'uplink', 'edgetrace-uplink.service', '', d)}"
INITSCRIPT_NAME = "edgetrace"
INITSCRIPT_PARAMS = "defaults 99"
CONFFILES:${PN} = "${sysconfdir}/edgetrace/edgetrace.conf ${sysconfdir}/default/edgetrace"
