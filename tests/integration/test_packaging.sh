# SPDX-License-Identifier: GPL-2.0
#
# test_packaging.sh - the Buildroot package (board/buildroot), the Yocto
# recipe (board/yocto) and the init integration (board/common):
#   - every BR2_PACKAGE_EDGETRACE_* option and every PACKAGECONFIG sets a
#     symbol of the top-level Kconfig, of the same type and default;
#   - edgetrace.mk and the recipe name the dependencies issue 8 lists;
#   - edgetrace.mk's configure, build and install commands, run by a small
#     stand-in for Buildroot's package infrastructure (Buildroot itself is
#     not available here) with the host as target, give a .config with the
#     chosen options, an agent built with them and the files installed;
#   - the recipe's do_install, run by hand, installs the same files, and
#     its CONFFILES are the ones under /etc;
#   - the shipped configuration file (board/common/edgetrace.conf) is
#     accepted by the agent, and its commented-out examples by a build
#     with the file probe; the unit and the init script pass the path both
#     packages install it to;
#   - the systemd unit passes `systemd-analyze verify`, and its ExecStart,
#     with its capability bounding set, runs the agent (less does not);
#   - the uplink's unit (edgetrace-uplink.service) is installed with the
#     uplink only, passes `systemd-analyze verify` and rates below 2.5 in
#     `systemd-analyze security`, holds no capability, is skipped while
#     the configuration file names no collector; its ExecStart, run with
#     no capability, /run read-only but /run/edgetrace and the keys
#     read-only, under strace, delivers every record to a real collector,
#     shows in `edgetrace status`, and makes no system call its filter
#     would refuse (needs build/<board>-uplink and the collector);
#   - S99edgetrace, run by busybox sh with only busybox applets on PATH,
#     starts, reports and stops a real agent with the settings of its
#     configuration file (the spool where the file says), fails on a bad
#     or missing file, and mounts tracefs and bpffs when they are missing;
#     with a collector configured it starts the uplink after the agent and
#     stops it first, restarts a dead one, says why when the binary has no
#     uplink, and fails naming a bad uplink setting.
. "$(dirname "$0")/lib.sh"
: "${ET_TOOLS:?set ET_TOOLS to the tools directory (capgen)}"

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BR=$TOP/board/buildroot
MK=$BR/package/edgetrace/edgetrace.mk
RECIPE=$TOP/board/yocto/meta-edgetrace/recipes-support/edgetrace/edgetrace_git.bb
COMMON=$TOP/board/common
PYTHON=${PYTHON:-/usr/bin/python3}
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory "$@"; }

# ------------------------------------------------ a stand-in for Buildroot
# Just what edgetrace.mk uses: the package infrastructure's variables and
# macros, the .config values (br.config), and one rule per step, where
# $(@D) is the package's build directory as in Buildroot.
cat >"$T/br.mk" <<'EOF'
qstrip = $(strip $(subst ",,$(1)))
generic-package =
KCONFIG_ENABLE_OPT =
INSTALL = install
include $(BRCONFIG)
include $(MK)
print-%: ; @echo '$($*)'
$(B)/.configured: ; $(EDGETRACE_CONFIGURE_CMDS)
define sep


endef
$(B)/.built: ; $(EDGETRACE_BUILD_CMDS)
	$(foreach h,$(EDGETRACE_POST_BUILD_HOOKS),$(call $(h))$(sep))
$(B)/.installed: ; $(EDGETRACE_INSTALL_TARGET_CMDS)
	$(EDGETRACE_INSTALL_INIT_SYSV)
	$(EDGETRACE_INSTALL_INIT_SYSTEMD)
	$(foreach h,$(EDGETRACE_POST_INSTALL_TARGET_HOOKS),$(call $(h))$(sep))
EOF
brmk() {
	mk -f "$T/br.mk" MK="$MK" BRCONFIG="$T/br.config" B="$T/br-build" \
		BR2_EXTERNAL_EDGETRACE_PATH="$BR" "$@"
}
: >"$T/br.config"

# ---------------------------------------------- options and Kconfig symbols
cat >"$T/br.config" <<'EOF'
BR2_PACKAGE_EDGETRACE=y
EOF
for v in KCONFIG_BOOLS KCONFIG_INTS PACKAGE_OPTIONS DEPENDENCIES SITE; do
	brmk "print-EDGETRACE_$v" >"$T/mk.$v" 2>"$T/mk.err" ||
		fail mk_parses "make cannot read edgetrace.mk: $(cat "$T/mk.err")"
done
check mk_site_is_this_tree test "$(cat "$T/mk.SITE")" = "$TOP"

TEST_NAME=$TEST_NAME TOP=$TOP BR=$BR RECIPE=$RECIPE WORK=$T \
	BOOLS="$(cat "$T/mk.KCONFIG_BOOLS")" INTS="$(cat "$T/mk.KCONFIG_INTS")" \
	OWN="$(cat "$T/mk.PACKAGE_OPTIONS")" "$PYTHON" - <<'EOF'
import os, re, kconfiglib

name, top, br_dir, work = (os.environ[v] for v in ("TEST_NAME", "TOP", "BR", "WORK"))
def check(test, ok, why):
    print(f"PASS {name}.{test}" if ok else f"FAIL {name}.{test}: {why}")

def active_range(sym):
    for lo, hi, cond in sym.ranges:
        if kconfiglib.expr_value(cond):
            return (lo.str_value, hi.str_value)

def edgetrace_kconfig(arch):
    k = kconfiglib.Kconfig(os.path.join(top, "Kconfig"), warn=False)
    k.syms["ARCH_" + arch].set_value(2)
    return k

# Buildroot's package Config.in under the symbols of a Buildroot config
# that can have it (glibc, threads, ...) for a 64-bit or a 32-bit board.
def buildroot_kconfig(arch_syms):
    y = ["BR2_PACKAGE_LLVM_ARCH_SUPPORTS", "BR2_HOST_GCC_AT_LEAST_7",
         "BR2_TOOLCHAIN_HAS_SYNC_4", "BR2_USE_WCHAR", "BR2_TOOLCHAIN_HAS_THREADS",
         "BR2_TOOLCHAIN_HEADERS_AT_LEAST_4_13", "BR2_TOOLCHAIN_USES_GLIBC"]
    stub = os.path.join(work, "br-stub.in")
    with open(stub, "w") as f:
        f.write('mainmenu "stub"\n')
        for s in y + arch_syms:
            f.write(f"config {s}\n\tdef_bool y\n")
        for s in ("BR2_aarch64", "BR2_arm", "BR2_ARM_CPU_ARMV7A", "BR2_riscv",
                  "BR2_x86_64", "BR2_ARCH_IS_64", "BR2_STATIC_LIBS",
                  "BR2_SHARED_STATIC_LIBS", "BR2_TOOLCHAIN_USES_UCLIBC"):
            if s not in arch_syms:
                f.write(f"config {s}\n\tbool\n")
        f.write(f'source "{br_dir}/package/edgetrace/Config.in"\n')
    k = kconfiglib.Kconfig(stub, warn=False)
    k.syms["BR2_PACKAGE_EDGETRACE"].set_value(2)
    return k

bools, ints, own = (os.environ[v].split() for v in ("BOOLS", "INTS", "OWN"))
P = "BR2_PACKAGE_EDGETRACE_"
br = buildroot_kconfig(["BR2_x86_64", "BR2_ARCH_IS_64"])
et = edgetrace_kconfig("X86_64")
check("br_package_selectable", br.syms["BR2_PACKAGE_EDGETRACE"].tri_value == 2,
      "BR2_PACKAGE_EDGETRACE cannot be enabled on a glibc x86_64 config")
options = sorted(s for s in br.syms if s.startswith(P) and
                 br.syms[s].nodes and s != P + "ARCH_SUPPORTS")

bad = [o for o in options if o[len(P):] not in bools + ints + own]
check("br_options_all_mapped", not bad and options,
      f"Config.in options that edgetrace.mk does not map: {bad}")
bad = [o for o in bools + ints + own if P + o not in options]
check("br_mapped_options_exist", not bad,
      f"edgetrace.mk maps options that Config.in lacks: {bad}")
for kind, names, t in (("bool", bools, kconfiglib.BOOL),
                       ("int", ints, kconfiglib.INT)):
    missing = [n for n in names if n not in et.syms or not et.syms[n].nodes]
    check(f"br_{kind}_symbols_in_kconfig", not missing and names,
          f"not symbols of the top-level Kconfig: {missing}")
    wrong = [n for n in names if n not in missing and
             (et.syms[n].orig_type != t or br.syms[P + n].orig_type != t)]
    check(f"br_{kind}_types_match", not wrong, f"not both {kind}: {wrong}")

# the same defaults and ranges as edgetrace's Kconfig, 64- and 32-bit
for case, br_arch, et_arch in (("64bit", ["BR2_x86_64", "BR2_ARCH_IS_64"], "X86_64"),
                               ("32bit", ["BR2_arm", "BR2_ARM_CPU_ARMV7A"], "ARMV7")):
    br, et = buildroot_kconfig(br_arch), edgetrace_kconfig(et_arch)
    diff = [f"{n}: Buildroot {br.syms[P + n].str_value}, Kconfig "
            f"{et.syms[n].str_value}" for n in bools + ints if n in et.syms and
            br.syms[P + n].str_value != et.syms[n].str_value]
    check(f"br_defaults_match_{case}", not diff, f"{diff}")
    diff = [f"{n}: {active_range(br.syms[P + n])} != {active_range(et.syms[n])}"
            for n in ints if n in et.syms and
            active_range(br.syms[P + n]) != active_range(et.syms[n])]
    check(f"br_ranges_match_{case}", not diff, f"{diff}")

et = edgetrace_kconfig("X86_64")
text = open(os.environ["RECIPE"]).read()
pc = re.findall(r'^PACKAGECONFIG\[(\w+)\]\s*=\s*"([^"]*)"', text, re.M)
bad = []
for feat, flags in pc:
    f = flags.split(",")
    sym = f[0].split("=")[0]
    if len(f) < 2 or f[0] != sym + "=y" or f[1] != sym + "=n":
        bad.append(f"{feat}: '{flags}' is not 'SYM=y,SYM=n'")
    elif sym not in et.syms or et.syms[sym].orig_type != kconfiglib.BOOL:
        bad.append(f"{feat}: {sym} is not a bool of the top-level Kconfig")
check("yocto_packageconfig_symbols", pc and not bad, f"{bad}")
m = re.search(r'^PACKAGECONFIG\s*\?\?=\s*"([^"]*)"', text, re.M)
on = sorted(m.group(1).split()) if m else None
want = sorted(feat for feat, flags in pc
              if et.syms.get(flags.split("=")[0]) is not None and
              et.syms[flags.split("=")[0]].str_value == "y")
check("yocto_packageconfig_defaults_match", on == want,
      f"default PACKAGECONFIG {on}, Kconfig defaults {want}")
EOF

# ------------------------------------------------------------ dependencies
deps=" $(cat "$T/mk.DEPENDENCIES") "
missing=
for d in libbpf lmdb mbedtls zlib host-clang host-llvm host-bpftool; do
	[[ $deps == *" $d "* ]] || missing="$missing $d"
done
if [ -z "$missing" ]; then pass br_dependencies
else fail br_dependencies "EDGETRACE_DEPENDENCIES lacks:$missing"; fi
missing=
for s in LIBBPF LMDB MBEDTLS ZLIB; do
	grep -q "^[[:space:]]*select BR2_PACKAGE_$s\$" "$BR/package/edgetrace/Config.in" ||
		missing="$missing $s"
done
if [ -z "$missing" ]; then pass br_config_selects_dependencies
else fail br_config_selects_dependencies "Config.in does not select:$missing"; fi
recipe_deps=" $(sed -n '/^DEPENDS *+*=/,/[^\\]$/p' "$RECIPE" | tr -d '\\"' |
	sed 's/^DEPENDS *+*=//' | tr '\n\t' '  ') "
missing=
for d in libbpf lmdb mbedtls zlib clang-native bpftool-native; do
	[[ $recipe_deps == *" $d "* ]] || missing="$missing $d"
done
if [ -z "$missing" ]; then pass yocto_depends
else fail yocto_depends "the recipe's DEPENDS lacks:$missing"; fi
check yocto_inherits_init grep -Eq '^inherit .*systemd.*update-rc\.d' "$RECIPE"
check br_external_name grep -qx 'name: EDGETRACE' "$BR/external.desc"
check br_defconfig_enables grep -qx 'BR2_PACKAGE_EDGETRACE=y' \
	"$BR/configs/qemu_aarch64_virt_edgetrace_defconfig"

# ---------------------------------------- edgetrace.mk's build, for real
# The host as target: edgetrace's own x86_64 musl prefix is the staging
# directory (static libraries), the host's clang, bpftool and kconfiglib
# are host-clang, host-bpftool and host-python-kconfiglib.
prefix=${EDGETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgetrace}/x86_64-linux-musl
mkdir -p "$T/staging" "$T/host/bin" "$T/host/sbin" "$T/br-build" "$T/target"
ln -s "$prefix" "$T/staging/usr"
ln -s "$PYTHON" "$T/host/bin/python3"
ln -s "$(command -v clang)" "$T/host/bin/clang"
ln -s "$(command -v bpftool)" "$T/host/sbin/bpftool"
echo 'CONFIG_PROC_TABLE_SIZE=512' >"$T/fragment"
# the kernel Buildroot built: a vmlinux whose .BTF is this kernel's
mkdir -p "$T/linux"
printf 'int x;\n' | gcc -c -x c - -o "$T/linux/empty.o"
llvm-objcopy --add-section .BTF=/sys/kernel/btf/vmlinux "$T/linux/empty.o" \
	"$T/linux/vmlinux"
cat >"$T/br.config" <<EOF
BR2_x86_64=y
BR2_LINUX_KERNEL=y
LINUX_DIR=$T/linux
TARGET_OBJCOPY=objcopy
BR2_PACKAGE_EDGETRACE=y
BR2_PACKAGE_EDGETRACE_KERNEL_BTF=y
BR2_PACKAGE_EDGETRACE_PROBE_EXEC=y
BR2_PACKAGE_EDGETRACE_PROBE_FORK=y
BR2_PACKAGE_EDGETRACE_PROBE_EXIT=y
BR2_PACKAGE_EDGETRACE_PROBE_FILE=y
BR2_PACKAGE_EDGETRACE_SPOOL_MAP_SIZE_MIB=32
BR2_PACKAGE_EDGETRACE_SPOOL_SYNC_MS=500
BR2_PACKAGE_EDGETRACE_BPF_MAP_BUDGET_KIB=2048
BR2_PACKAGE_EDGETRACE_RINGBUF_SIZE_KIB=512
BR2_PACKAGE_EDGETRACE_UPLINK_SEAL=y
BR2_PACKAGE_EDGETRACE_UPLINK_HTTPS=y
BR2_PACKAGE_EDGETRACE_UPLINK_BATCH_KIB=128
BR2_PACKAGE_EDGETRACE_UPLINK_BATCH_AGE_S=10
BR2_PACKAGE_EDGETRACE_STATIC=y
BR2_PACKAGE_EDGETRACE_CONFIG_FRAGMENT="$T/fragment"
STAGING_DIR=$T/staging
HOST_DIR=$T/host
TARGET_DIR=$T/target
TARGET_CC=$prefix/bin/musl-gcc
TARGET_CROSS=
TARGET_CFLAGS=-D_LARGEFILE_SOURCE -D_LARGEFILE64_SOURCE -D_FILE_OFFSET_BITS=64 -Os -g0 -D_FORTIFY_SOURCE=1
TARGET_LDFLAGS=
TARGET_MAKE_ENV=PATH=$T/host/bin:$T/host/sbin:$PATH
EOF
# the package's source: the tree without its build/ (rsync in Buildroot)
tar -C "$TOP" --exclude=./build --exclude=./.git -cf - . | tar -C "$T/br-build" -xf -
# were the Makefile to build its own libraries, it would do it here
export EDGETRACE_CACHE=$T/no-cache
cfg=$T/br-build/build/buildroot/.config
if brmk "$T/br-build/.configured" >"$T/br-configure.log" 2>&1; then
	pass br_configure
	check br_config_arch grep -qx 'CONFIG_ARCH_X86_64=y' "$cfg"
	check br_config_bool_on grep -qx 'CONFIG_PROBE_FILE=y' "$cfg"
	check br_config_bool_off grep -qx '# CONFIG_PROBE_MODULE is not set' "$cfg"
	check br_config_int grep -qx 'CONFIG_SPOOL_MAP_SIZE_MIB=32' "$cfg"
	check br_config_int_2 grep -qx 'CONFIG_RINGBUF_SIZE_KIB=512' "$cfg"
	check br_config_fragment grep -qx 'CONFIG_PROC_TABLE_SIZE=512' "$cfg"
	check br_config_uplink grep -qx 'CONFIG_UPLINK_HTTPS=y' "$cfg"
	check br_config_uplink_int grep -qx 'CONFIG_UPLINK_BATCH_KIB=128' "$cfg"
else
	fail br_configure "$(tail -5 "$T/br-configure.log")"
fi
bin=$T/br-build/build/buildroot/edgetrace
if brmk "$T/br-build/.built" >"$T/br-build.log" 2>&1; then
	pass br_build
	check br_build_compiled_here grep -q 'LD      build/buildroot/edgetrace' "$T/br-build.log"
	check br_build_static grep -q 'statically linked' <<<"$(file -b "$bin")"
	check br_build_no_own_toolchain test ! -e "$T/no-cache"
	ver=$("$bin" --version 2>&1)
	check br_build_has_file_probe grep -q 'probes: .*\bfile\b' <<<"$ver"
	check br_build_lacks_module_probe test -z "$(grep -o '\bmodule\b' <<<"$ver")"
	check br_build_has_uplink eval '"$bin" uplink --help >/dev/null'
else
	fail br_build "$(tail -5 "$T/br-build.log")"
fi
if brmk "$T/br-build/.installed" >"$T/br-install.log" 2>&1; then
	check br_install_agent test -x "$T/target/usr/sbin/edgetrace"
	check br_install_sysv test -x "$T/target/etc/init.d/S99edgetrace"
	check br_install_systemd test -f "$T/target/usr/lib/systemd/system/edgetrace.service"
	check br_install_defaults test -f "$T/target/etc/default/edgetrace"
	check br_install_config cmp -s "$COMMON/edgetrace.conf" \
		"$T/target/etc/edgetrace/edgetrace.conf"
	check br_install_uplink_unit cmp -s "$COMMON/edgetrace-uplink.service" \
		"$T/target/usr/lib/systemd/system/edgetrace-uplink.service"
	# the kernel's small BTF file, with the .id of that kernel's BTF
	check br_install_kernel_btf eval 'bpftool btf dump file \
		"$T/target/usr/lib/edgetrace/vmlinux.btf" >/dev/null' 
	check br_install_kernel_btf_id test "$(cat "$T/target/usr/lib/edgetrace/vmlinux.btf.id" 2>/dev/null)" = \
		"$("$PYTHON" -c 'import zlib; d = open("/sys/kernel/btf/vmlinux", "rb").read(); print("crc32 %08x size %d" % (zlib.crc32(d), len(d)))')"
else
	fail br_install "$(tail -5 "$T/br-install.log")"
fi
# without the uplink, no unit for it (the init script is the same file)
sed '/UPLINK_HTTPS\|UPLINK_BATCH/d; s|^TARGET_DIR=.*|TARGET_DIR='"$T"'/target2|' \
	"$T/br.config" >"$T/br2.config"
if brmk BRCONFIG="$T/br2.config" "$T/br-build/.installed" >"$T/br-install2.log" 2>&1; then
	check br_install_no_uplink_unit_without_uplink test -f \
		"$T/target2/usr/lib/systemd/system/edgetrace.service" -a ! -e \
		"$T/target2/usr/lib/systemd/system/edgetrace-uplink.service"
else
	fail br_install_without_uplink "$(tail -5 "$T/br-install2.log")"
fi
unset EDGETRACE_CACHE

# ------------------------------------------------- the recipe's do_install
# Run by bash with bitbake's variables as shell variables and its inline
# python (the DISTRO_FEATURES tests) as true: both init systems. -u: a
# variable left unset here would be an install path bitbake expands.
board=$(sed -n 's/^EDGETRACE_BOARD *= *"\(.*\)"/\1/p' "$RECIPE")
img=$T/yocto-image
mkdir -p "$T/yocto-b/build/$board" "$img"
cp "$EDGETRACE" "$T/yocto-b/build/$board/edgetrace"
# what do_compile's make btf leaves, with EDGETRACE_KERNEL_BTF set
echo 'CONFIG_BTF_FILE="/usr/lib/edgetrace/vmlinux.btf"' >"$T/yocto-b/build/$board/.config"
echo BTF >"$T/yocto-b/build/$board/vmlinux.btf"
echo "crc32 01234567 size 8" >"$T/yocto-b/build/$board/vmlinux.btf.id"
sed -n '/^do_install() {$/,/^}$/p' "$RECIPE" | sed '1d;$d' |
	sed 's/\${@[^}]*}/true/g' >"$T/yocto-install.sh"
if [ -n "$board" ] && [ -s "$T/yocto-install.sh" ] &&
	D=$img S=$TOP B=$T/yocto-b EDGETRACE_BOARD=$board \
	EDGETRACE_KERNEL_BTF=$T/linux/vmlinux \
	sbindir=/usr/sbin sysconfdir=/etc \
	systemd_system_unitdir=/usr/lib/systemd/system \
	bash -eu "$T/yocto-install.sh" >"$T/yocto-install.log" 2>&1; then
	check yocto_install_agent test -x "$img/usr/sbin/edgetrace"
	check yocto_install_config cmp -s "$COMMON/edgetrace.conf" \
		"$img/etc/edgetrace/edgetrace.conf"
	check yocto_install_defaults cmp -s "$COMMON/edgetrace.default" \
		"$img/etc/default/edgetrace"
	check yocto_install_systemd test -f "$img/usr/lib/systemd/system/edgetrace.service"
	check yocto_install_sysv test -x "$img/etc/init.d/edgetrace"
	check yocto_install_uplink_unit cmp -s "$COMMON/edgetrace-uplink.service" \
		"$img/usr/lib/systemd/system/edgetrace-uplink.service"
	check yocto_install_kernel_btf cmp -s "$T/yocto-b/build/$board/vmlinux.btf" \
		"$img/usr/lib/edgetrace/vmlinux.btf"
	check yocto_install_kernel_btf_id cmp -s "$T/yocto-b/build/$board/vmlinux.btf.id" \
		"$img/usr/lib/edgetrace/vmlinux.btf.id"
	# CONFFILES: exactly the files installed under /etc, but the init script
	conffiles=$(sed -n 's/^CONFFILES:${PN} *= *"\(.*\)"/\1/p' "$RECIPE" |
		sed 's|\${sysconfdir}|/etc|g' | tr ' ' '\n' | sed '/^$/d' | sort)
	etc=$(cd "$img" && find etc -type f ! -path 'etc/init.d/*' | sed 's|^|/|' | sort)
	if [ -n "$conffiles" ] && [ "$conffiles" = "$etc" ]; then
		pass yocto_conffiles
	else
		fail yocto_conffiles "CONFFILES: $(paste -sd' ' <<<"$conffiles");\
 installed under /etc: $(paste -sd' ' <<<"$etc")"
	fi
else
	fail yocto_install "no do_install or EDGETRACE_BOARD, or: $(tail -5 "$T/yocto-install.log")"
fi
# PACKAGECONFIG without "uplink": the unit is not installed, nor enabled
sed -n '/^do_install() {$/,/^}$/p' "$RECIPE" | sed '1d;$d' |
	sed "s/\${@bb.utils.contains('PACKAGECONFIG', 'uplink'[^}]*}/false/g" |
	sed 's/\${@[^}]*}/true/g' >"$T/yocto-install2.sh"
if D=$T/yocto-image2 S=$TOP B=$T/yocto-b EDGETRACE_BOARD=$board \
	EDGETRACE_KERNEL_BTF= \
	sbindir=/usr/sbin sysconfdir=/etc \
	systemd_system_unitdir=/usr/lib/systemd/system \
	bash -eu "$T/yocto-install2.sh" >"$T/yocto-install2.log" 2>&1; then
	check yocto_no_kernel_btf_unless_asked test ! -e "$T/yocto-image2/usr/lib/edgetrace"
	check yocto_no_uplink_unit_without_uplink test -f \
		"$T/yocto-image2/usr/lib/systemd/system/edgetrace.service" -a ! -e \
		"$T/yocto-image2/usr/lib/systemd/system/edgetrace-uplink.service"
else
	fail yocto_install_without_uplink "$(tail -5 "$T/yocto-install2.log")"
fi
check yocto_uplink_unit_enabled_with_uplink grep -q \
	"contains('PACKAGECONFIG', 'uplink', 'edgetrace-uplink.service'" "$RECIPE"
check yocto_uplink_links_tls grep -q \
	"contains('PACKAGECONFIG', 'uplink', '-lmbedtls -lmbedx509'" "$RECIPE"

# ---------------------------------------------- the configuration file
# As shipped: accepted by this agent (a replay; --spool wins over the
# file's spool, so nothing is written to /var/lib). The unit and the init
# script pass the path that both packages install it to.
conf=$COMMON/edgetrace.conf
check conf_spool_line grep -qx 'spool = /var/lib/edgetrace/spool' "$conf"
"$ET_TOOLS/capgen" -q -n 50 -o "$T/conf.cap"
rc=0
"$EDGETRACE" run --config "$conf" --spool "$T/conf-spool" --replay "$T/conf.cap" \
	>"$T/conf.out" 2>&1 || rc=$?
if [ "$rc" -eq 0 ]; then pass conf_accepted
else fail conf_accepted "exit $rc: $(head -3 "$T/conf.out")"; fi
check conf_replay_recorded test "$("$EDGETRACE" query --json --spool "$T/conf-spool" \
	2>/dev/null | wc -l)" -eq 50
unit_conf=$(sed -n 's/^ExecStart=.* --config \([^ ]*\).*/\1/p' "$COMMON/edgetrace.service")
check unit_config_installed test -n "$unit_conf" -a -f "$T/target$unit_conf" \
	-a -f "$img$unit_conf"
s99_conf=$(sed -n 's/^CONFFILE=//p' "$COMMON/S99edgetrace")
check s99_config_installed test -n "$s99_conf" -a -f "$T/target$s99_conf" \
	-a -f "$img$s99_conf"
# the spool is the configuration file's: no variable for it is left
if grep -rnw EDGETRACE_SPOOL "$COMMON" "$BR" "$(dirname "$RECIPE")" >"$T/stale" 2>&1
then fail board_no_spool_variable "$(head -3 "$T/stale")"
else pass board_no_spool_variable; fi

# The commented-out examples, uncommented: accepted by a build with the
# file probe (the Buildroot one above); their watches refused by one without.
sed -E 's/^# ?((filter|watch|file-bytes|socket-bytes) = )/\1/' "$conf" >"$T/examples.conf"
missing=
for n in filter watch file-bytes socket-bytes; do
	grep -q "^$n = " "$T/examples.conf" || missing="$missing $n"
done
if [ -z "$missing" ]; then pass conf_has_examples
else fail conf_has_examples "no commented-out example of:$missing"; fi
if [ -x "$bin" ]; then
	rc=0
	"$bin" run --config "$T/examples.conf" --spool "$T/ex-spool" \
		--replay "$T/conf.cap" >"$T/ex.out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then pass conf_examples_accepted_with_file_probe
	else fail conf_examples_accepted_with_file_probe "exit $rc: $(head -3 "$T/ex.out")"; fi
fi
if ! "$EDGETRACE" --version | grep -q 'probes: .*\bfile\b'; then
	rc=0
	"$EDGETRACE" run --config "$T/examples.conf" --spool "$T/ex-spool2" \
		--replay "$T/conf.cap" >"$T/ex2.out" 2>&1 || rc=$?
	check conf_watch_needs_file_probe test "$rc" -eq 2 -a ! -e "$T/ex-spool2"
	check conf_watch_needs_file_probe_says \
		grep -q 'examples.conf:[0-9]*: watch .*no file probe' "$T/ex2.out"
fi

# ------------------------------------------------------------ systemd unit
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/unit"
	sed "s|/usr/sbin/edgetrace|$EDGETRACE|" "$COMMON/edgetrace.service" \
		>"$T/unit/edgetrace.service"
	rc=0
	systemd-analyze verify "$T/unit/edgetrace.service" >"$T/verify" 2>&1 || rc=$?
	check unit_verify_ok test "$rc" -eq 0
	if grep -q 'edgetrace.service' "$T/verify"; then
		fail unit_verify_silent "$(grep 'edgetrace.service' "$T/verify" | head -3)"
	else pass unit_verify_silent; fi
	# the hardening score, where this systemd can compute it offline
	if systemd-analyze security --offline=true "$T/unit/edgetrace.service" \
		>"$T/security" 2>&1; then
		score=$(sed -n 's/.*Overall exposure level for edgetrace.service: \([0-9.]*\).*/\1/p' "$T/security")
		check unit_exposure_below_5 awk -v s="$score" 'BEGIN { exit !(s != "" && s < 5.0) }'
	fi
else
	echo "SKIP $TEST_NAME.unit_verify: systemd-analyze is missing (apt-get install systemd)"
fi
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$COMMON/edgetrace.service" |
	tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_\(.*\)/+\1/p' | paste -sd,)
# The unit's ExecStart with this agent, the shipped configuration file and
# EDGETRACE_ARGS="--spool DIR" (nothing written to /var/lib)
read -ra unit_cmd <<<"$(sed -n 's/^ExecStart=//p' "$COMMON/edgetrace.service")"
cmd=()
for w in "${unit_cmd[@]}"; do
	case $w in
	/usr/sbin/edgetrace) cmd+=("$EDGETRACE") ;;
	/etc/edgetrace/edgetrace.conf) cmd+=("$COMMON/edgetrace.conf") ;;
	'$EDGETRACE_ARGS') cmd+=(--spool "$T/caps-spool") ;;
	*) cmd+=("$w") ;;
	esac
done
if [[ "${cmd[*]}" == "$EDGETRACE run --config $COMMON/edgetrace.conf --spool $T/caps-spool" ]]
then pass unit_execstart
else fail unit_execstart "ExecStart=${unit_cmd[*]}"; fi
# run SET: the unit's command with only the capabilities in SET; 0 if it
# captured
run_with_caps() {
	local out=$T/caps-$1
	setpriv --bounding-set="-all,$1" -- "${cmd[@]}" >/dev/null 2>"$out" &
	local pid=$! i
	for i in $(seq 1 100); do
		grep -q '^edgetrace: capturing' "$out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	grep -q '^edgetrace: capturing' "$out"
}
check unit_capabilities_suffice run_with_caps "$caps"
check unit_fewer_capabilities_fail eval '! run_with_caps "${caps/+bpf,/}"'

# ---------------------------------------------------- the uplink's unit
UNIT=$COMMON/edgetrace-uplink.service
# the build with the uplink beside the agent under test (make uplink-variant)
EU=$EDGETRACE
"$EU" uplink --help >/dev/null 2>&1 || EU=${EDGETRACE%/edgetrace}-uplink/edgetrace
[ -x "$EU" ] && "$EU" uplink --help >/dev/null 2>&1 || EU=
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/sbin/edgetrace|${EU:-$EDGETRACE}|" "$UNIT" >"$T/unit/edgetrace-uplink.service"
	rc=0
	systemd-analyze verify "$T/unit/edgetrace-uplink.service" >"$T/uverify" 2>&1 || rc=$?
	check uplink_unit_verify_ok test "$rc" -eq 0
	if grep -q 'edgetrace-uplink.service' "$T/uverify"; then
		fail uplink_unit_verify_silent "$(grep 'edgetrace-uplink.service' "$T/uverify" | head -3)"
	else pass uplink_unit_verify_silent; fi
	if systemd-analyze security --offline=true "$T/unit/edgetrace-uplink.service" \
		>"$T/usecurity" 2>&1; then
		score=$(sed -n 's/.*Overall exposure level for edgetrace-uplink.service: \([0-9.]*\).*/\1/p' "$T/usecurity")
		echo "    uplink unit: exposure $score (the agent's: $(sed -n 's/.*Overall exposure level for edgetrace.service: \([0-9.]*\).*/\1/p' "$T/security" 2>/dev/null))"
		check uplink_unit_exposure_below_2_5 awk -v s="$score" 'BEGIN { exit !(s != "" && s < 2.5) }'
	fi
fi
# no capability: every CapabilityBoundingSet= and AmbientCapabilities= empty
check uplink_unit_no_capabilities test "$(grep -c '^CapabilityBoundingSet=$' "$UNIT")" -ge 1 \
	-a -z "$(grep '^CapabilityBoundingSet=.' "$UNIT")" \
	-a "$(grep -c '^AmbientCapabilities=$' "$UNIT")" -eq 1 \
	-a -z "$(grep '^AmbientCapabilities=.' "$UNIT")"
check uplink_unit_execstart grep -qx 'ExecStart=/usr/sbin/edgetrace uplink --config /etc/edgetrace/edgetrace.conf $EDGETRACE_UPLINK_ARGS' "$UNIT"
check uplink_unit_network_only grep -qx 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' "$UNIT"
# the spool writable, /run/edgetrace writable and kept, in both units
for u in "$COMMON/edgetrace.service" "$UNIT"; do
	for l in ProtectSystem=strict StateDirectory=edgetrace \
		RuntimeDirectory=edgetrace RuntimeDirectoryPreserve=yes; do
		grep -qx "$l" "$u" || fail "units_dirs" "$(basename "$u") lacks $l"
	done
done
pass units_dirs_checked
# ExecCondition: the unit is skipped with the file as shipped (no
# collector), runs once an uplink-url line is set
sed -E 's/^# ?((uplink-url|uplink-ca|uplink-cert|fleet-pub|device-key|device-id|uplink-rate|uplink-quota) = )/\1/' \
	"$COMMON/edgetrace.conf" >"$T/uplink-examples.conf"
check conf_has_uplink_examples test "$(grep -c '^\(uplink-url\|uplink-ca\|uplink-cert\|fleet-pub\|device-key\) = ' \
	"$T/uplink-examples.conf")" -eq 5
"$PYTHON" - "$UNIT" "$COMMON/edgetrace.conf" "$T/uplink-examples.conf" >"$T/cond.out" 2>&1 <<'EOF'
import re, shlex, subprocess, sys
unit, shipped, examples = sys.argv[1:]
line = [l for l in open(unit) if l.startswith("ExecCondition=")][0]
argv = shlex.split(line.split("=", 1)[1])
def run(conf):
    a = [conf if x == "/etc/edgetrace/edgetrace.conf" else x for x in argv]
    return subprocess.run(a).returncode
print("shipped", run(shipped), "examples", run(examples))
EOF
check uplink_unit_condition_skips_unconfigured grep -qx 'shipped 1 examples 0' "$T/cond.out"
# the examples uncommented: the uplink reads them (it stops at the first
# key file, which does not exist here), run accepts and ignores them
rc=0
"$EDGETRACE" run --config "$T/uplink-examples.conf" --spool "$T/ex-spool3" \
	--replay "$T/conf.cap" >"$T/ex3.out" 2>&1 || rc=$?
check conf_uplink_examples_ignored_by_run test "$rc" -eq 0
if [ -n "$EU" ]; then
	rc=0
	"$EU" uplink --config "$T/uplink-examples.conf" --spool "$T/ex-spool4" \
		>"$T/ex4.out" 2>&1 || rc=$?
	check conf_uplink_examples_parse test "$rc" -eq 2 -a \
		"$(grep -c "fleet-pub '/etc/edgetrace/fleet.pub': cannot read it" "$T/ex4.out")" -eq 1
fi

# ------------------------------------ the uplink's unit, as systemd runs it
# Its ExecStart with the shipped configuration file, completed for a real
# collector on loopback, under what the unit allows: no capability at all
# (an empty bounding set, as CapabilityBoundingSet= gives a root service;
# no new privileges), /run read-only but /run/edgetrace
# (ProtectSystem=strict, RuntimeDirectory=), the keys and the
# configuration read-only; traced by strace. Every record arrives once,
# `edgetrace status` outside sees the uplink's figures, and every system
# call it made is one its SystemCallFilter= allows.
COLLECTOR=$(dirname "$EDGETRACE")/edgetrace-collector
[ -n "$EU" ] && [ -x "$COLLECTOR" ] || EU=
K=$T/ukeys
if [ -n "$EU" ]; then
	mkdir -p "$K" "$T/uconf" "$T/und" /run/edgetrace
	{
		"$EU" keygen --fleet "$K/fleet" && "$EU" keygen --device "$K/dev" &&
		openssl ecparam -name prime256v1 -genkey -noout -out "$K/ca.key" &&
		openssl req -x509 -new -key "$K/ca.key" -sha256 -days 2 -subj "/CN=pkg CA" -out "$K/ca.crt" &&
		openssl ecparam -name prime256v1 -genkey -noout -out "$K/srv.key" &&
		openssl req -new -key "$K/srv.key" -subj /CN=localhost -out "$K/srv.csr" &&
		printf 'subjectAltName=DNS:localhost\n' >"$K/srv.ext" &&
		openssl x509 -req -in "$K/srv.csr" -CA "$K/ca.crt" -CAkey "$K/ca.key" \
			-CAcreateserial -days 2 -sha256 -extfile "$K/srv.ext" -out "$K/srv.crt" &&
		openssl req -new -key "$K/dev/device.key" -subj /CN=gw-pkg -out "$K/dev.csr" &&
		printf 'extendedKeyUsage=clientAuth\nsubjectAltName=DNS:gw-pkg\n' >"$K/dev.ext" &&
		openssl x509 -req -in "$K/dev.csr" -CA "$K/ca.crt" -CAkey "$K/ca.key" \
			-CAcreateserial -days 2 -sha256 -extfile "$K/dev.ext" -out "$K/dev.crt"
	} >"$T/ukeys.log" 2>&1 || fail uplink_unit_keys "$(tail -3 "$T/ukeys.log")"
	# the shipped file, its uplink examples set for this test's files
	sed -e "s|^spool = .*|spool = $T/uspool|" \
		-e "s|^uplink-ca = .*|uplink-ca = $K/ca.crt|" \
		-e "s|^uplink-cert = .*|uplink-cert = $K/dev.crt|" \
		-e "s|^fleet-pub = .*|fleet-pub = $K/fleet/fleet.pub|" \
		-e "s|^device-key = .*|device-key = $K/dev/device.key|" \
		-e "s|^device-id = .*|device-id = gw-pkg|" \
		"$T/uplink-examples.conf" >"$T/uconf/edgetrace.conf"
fi
if [ -z "$EU" ] || ! command -v strace >/dev/null ||
	! command -v systemd-analyze >/dev/null; then
	echo "SKIP $TEST_NAME.uplink_unit_run: needs the uplink build (make uplink-variant), the collector (make collector), strace and systemd-analyze"
else
	"$COLLECTOR" --listen 127.0.0.1:0 --cert "$K/srv.crt" --key "$K/srv.key" \
		--ca "$K/ca.crt" --fleet-key "$K/fleet/fleet.key" --ndjson "$T/und" \
		2>"$T/ucollector.err" &
	CPID=$!
	for i in $(seq 1 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/ucollector.err")
		[ -n "$port" ] && break
		sleep 0.05
	done
	sed -i "s|^uplink-url = .*|uplink-url = https://localhost:$port/v1/batches|" \
		"$T/uconf/edgetrace.conf"
	"$ET_TOOLS/capgen" -q -n 300 -o "$T/u.cap"
	"$EDGETRACE" run --spool "$T/uspool" --replay "$T/u.cap" >/dev/null 2>&1
	unshare -m --propagation private sh -c '
		set -e
		mount --bind /run /run
		mount --bind /run/edgetrace /run/edgetrace
		mount -o remount,bind,ro /run
		mount --bind "$1" "$1"
		mount -o remount,bind,ro "$1"
		mount --bind "$2" "$2"
		mount -o remount,bind,ro "$2"
		if touch /run/.et-ro-check 2>/dev/null; then
			rm -f /run/.et-ro-check
			exit 99
		fi
		exec setpriv --no-new-privs --bounding-set=-all --inh-caps=-all -- \
			strace -f -qq -o "$3" "$4" uplink --config "$2/edgetrace.conf"
	' sh "$K" "$T/uconf" "$T/uplink.strace" "$EU" >"$T/uunit.out" 2>&1 &
	UPID=$!
	got=
	for i in $(seq 1 60); do
		got=$("$EDGETRACE" status --spool "$T/uspool" --json 2>/dev/null |
			"$PYTHON" -c 'import json,sys; u = json.load(sys.stdin)["uplink"]; print(u["cursor"] if u else "none")' 2>/dev/null)
		[ "$got" = 301 ] && break
		kill -0 "$UPID" 2>/dev/null || break
		sleep 0.5
	done
	check uplink_unit_status_seen_outside test "$got" = 301
	upid=$(pgrep -P "$UPID" | head -1)	# strace's child
	check uplink_unit_no_capabilities_held test "$(grep -c \
		'^Cap\(Prm\|Eff\|Bnd\):[[:space:]]*0000000000000000$' "/proc/${upid:-0}/status")" -eq 3
	[ -n "$upid" ] && kill -TERM "$upid"
	rc=0
	wait "$UPID" || rc=$?
	check uplink_unit_stopped_cleanly test "$rc" -eq 0
	check uplink_unit_stored_once test "$(cat "$T"/und/gw-pkg/*.ndjson 2>/dev/null | wc -l)" -eq 300
	kill -TERM "$CPID"; wait "$CPID"
	# the calls made, against @system-service less @privileged and @resources
	"$PYTHON" - "$T/uplink.strace" "$UNIT" >"$T/syscalls.out" 2>&1 <<'EOF'
import re, subprocess, sys
log, unit = sys.argv[1:]
made = set()
for l in open(log):
    m = re.match(r"\d+\s+([a-z0-9_]+)\(", l)
    if m:
        made.add(m.group(1))
def expand(name, seen=None):
    seen = seen if seen is not None else set()
    if not name.startswith("@"):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                         capture_output=True, text=True).stdout
    calls = set()
    for w in out.split("\n")[1:]:
        w = w.strip()
        if w and not w.startswith("#"):
            calls |= expand(w, seen)
    return calls
allowed, denied = set(), set()
for l in open(unit):
    if l.startswith("SystemCallFilter="):
        v = l.split("=", 1)[1].strip()
        neg = v.startswith("~")
        for w in v.lstrip("~").split():
            (denied if neg else allowed).update(expand(w))
allowed -= denied
bad = sorted(made - allowed)
print("made %d calls; not allowed: %s" % (len(made), " ".join(bad) or "none"))
sys.exit(1 if bad or len(made) < 20 else 0)
EOF
	rc=$?
	echo "    uplink unit: $(cat "$T/syscalls.out")"
	check uplink_unit_syscalls_allowed test "$rc" -eq 0
fi

# ------------------------------------------------- S99edgetrace, busybox
busybox=$(command -v busybox)
if [ -z "$busybox" ]; then
	fail s99 "busybox is missing: apt-get install busybox-static"
	exit 0
fi
mkdir -p "$T/bb"
for a in $("$busybox" --list); do ln -s "$busybox" "$T/bb/$a"; done
# the script parses in busybox sh and dash, and shellcheck finds nothing
check s99_parses_busybox_sh "$busybox" sh -n "$COMMON/S99edgetrace"
if command -v dash >/dev/null; then check s99_parses_dash dash -n "$COMMON/S99edgetrace"; fi
if command -v shellcheck >/dev/null; then
	check s99_shellcheck_clean shellcheck -s sh "$COMMON/S99edgetrace"
else
	echo "SKIP $TEST_NAME.s99_shellcheck_clean: shellcheck is missing (apt-get install shellcheck)"
fi
# The shipped configuration file with the spool in a directory that does
# not exist yet (the script makes its parent), blanks and a CR around it.
mkdir -p "$T/etc"
s99_spool=$T/s99/lib/spool
sed "s|^spool = .*|  spool\t=  $s99_spool \r|" "$COMMON/edgetrace.conf" >"$T/etc/edgetrace.conf"
check s99_test_config_has_spool grep -q "^  spool.=  $s99_spool" "$T/etc/edgetrace.conf"
cat >"$T/defaults" <<EOF
DAEMON=$EDGETRACE
CONFFILE=$T/etc/edgetrace.conf
PIDFILE=$T/run/edgetrace.pid
LOGFILE=$T/log/edgetrace.log
EOF
s99() {
	env -i PATH="$T/bb" EDGETRACE_DEFAULTS="$T/defaults" \
		"$T/bb/sh" "$COMMON/S99edgetrace" "$@"
}
# live PID: running and not a zombie (this machine's init may not reap)
live() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" != Z ]; }

s99 start >"$T/start.out" 2>&1
check s99_start_ok grep -q '^Starting edgetrace: OK' "$T/start.out"
pid=$(cat "$T/run/edgetrace.pid" 2>/dev/null)
check s99_pidfile_is_agent test "$(readlink "/proc/$pid/exe")" = "$EDGETRACE"
check s99_agent_gets_config test "$(tr '\0' ' ' <"/proc/${pid:-0}/cmdline" 2>/dev/null)" = \
	"$EDGETRACE run --config $T/etc/edgetrace.conf "
check s99_spool_where_config_says test -f "$s99_spool/data.mdb"
rc=0; s99 status >"$T/status.out" 2>&1 || rc=$?
check s99_status_running test "$rc" -eq 0
check s99_status_says_running grep -q "edgetrace is running (pid $pid)" "$T/status.out"
s99 start >"$T/start2.out" 2>&1
check s99_start_twice_keeps_one grep -q "already running (pid $pid)" "$T/start2.out"
sh -c 'exit 0'	# an exec for the spool
s99 stop >"$T/stop.out" 2>&1
check s99_stop_ok grep -q '^Stopping edgetrace: OK' "$T/stop.out"
check s99_no_process_left eval '! live "$pid"'
check s99_pidfile_removed test ! -e "$T/run/edgetrace.pid"
check s99_agent_stopped_cleanly grep -q '^edgetrace: stopped: ' "$T/log/edgetrace.log"
check s99_spool_has_records test -n "$("$EDGETRACE" query --json --spool "$s99_spool" 2>/dev/null | head -1)"
rc=0; s99 status >"$T/status2.out" 2>&1 || rc=$?
check s99_status_stopped test "$rc" -eq 3

# a start that fails says why and leaves no pid file
echo 'EDGETRACE_ARGS=--no-such-option' >>"$T/defaults"
rc=0; s99 start >"$T/bad.out" 2>&1 || rc=$?
check s99_failed_start_fails test "$rc" -ne 0
check s99_failed_start_says_why grep -q "unknown option '--no-such-option'" "$T/bad.out"
check s99_failed_start_no_pidfile test ! -e "$T/run/edgetrace.pid"
sed -i '/^EDGETRACE_ARGS=/d' "$T/defaults"

# a typo in the configuration file, and no file at all: the same
printf 'spool = %s\nwatchh = all=/etc\n' "$T/s99/bad" >"$T/etc/bad.conf"
echo "CONFFILE=$T/etc/bad.conf" >>"$T/defaults"
rc=0; s99 start >"$T/badconf.out" 2>&1 || rc=$?
check s99_bad_config_fails test "$rc" -ne 0
check s99_bad_config_says_where grep -q "bad.conf:2: unknown setting 'watchh'" "$T/badconf.out"
check s99_bad_config_no_pidfile test ! -e "$T/run/edgetrace.pid"
check s99_bad_config_no_spool test ! -e "$T/s99/bad"
sed -i '$d' "$T/defaults"
echo "CONFFILE=$T/etc/none.conf" >>"$T/defaults"
rc=0; s99 start >"$T/noconf.out" 2>&1 || rc=$?
check s99_missing_config_fails test "$rc" -ne 0
check s99_missing_config_says_why grep -q "cannot read the configuration file $T/etc/none.conf" "$T/noconf.out"
check s99_missing_config_no_pidfile test ! -e "$T/run/edgetrace.pid"
sed -i '$d' "$T/defaults"

# tracefs and bpffs absent (a private mount namespace): start mounts them
unshare -m --propagation private bash -c '
	umount /sys/kernel/tracing /sys/fs/bpf 2>/dev/null
	grep -Eq " /sys/kernel/tracing tracefs | /sys/fs/bpf bpf " /proc/mounts &&
		{ echo "could not unmount"; exit 1; }
	env -i PATH="$0/bb" EDGETRACE_DEFAULTS="$0/defaults" "$0/bb/sh" "$1" start
	grep -q " /sys/kernel/tracing tracefs " /proc/mounts && echo "MOUNTED tracefs"
	grep -q " /sys/fs/bpf bpf " /proc/mounts && echo "MOUNTED bpffs"
	env -i PATH="$0/bb" EDGETRACE_DEFAULTS="$0/defaults" "$0/bb/sh" "$1" stop
' "$T" "$COMMON/S99edgetrace" >"$T/mount.out" 2>&1
check s99_mounts_tracefs grep -q '^MOUNTED tracefs' "$T/mount.out"
check s99_mounts_bpffs grep -q '^MOUNTED bpffs' "$T/mount.out"
check s99_starts_after_mounting grep -q '^Starting edgetrace: OK' "$T/mount.out"
check s99_namespace_run_stopped test ! -e "$T/run/edgetrace.pid"

# ----------------------------------------------- S99edgetrace and the uplink
# The same script with a configuration file that names a collector: the
# uplink starts after the agent and stops before it, and what the agent
# records reaches the collector; a dead uplink is reported by status and
# started again by start. A binary without the uplink: the agent alone,
# and a word why. A bad uplink setting: its start fails naming it, and
# the agent runs on.
if [ -z "$EU" ] || [ ! -x "$COLLECTOR" ]; then
	echo "SKIP $TEST_NAME.s99_uplink: needs the uplink build (make uplink-variant) and the collector (make collector)"
	exit 0
fi
mkdir -p "$T/und2"
"$COLLECTOR" --listen 127.0.0.1:0 --cert "$K/srv.crt" --key "$K/srv.key" \
	--ca "$K/ca.crt" --fleet-key "$K/fleet/fleet.key" --ndjson "$T/und2" \
	2>"$T/ucollector2.err" &
CPID=$!
trap 'kill "$CPID" 2>/dev/null; stop_agent >/dev/null 2>&1; rm -rf "$T"' EXIT
for i in $(seq 1 100); do
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/ucollector2.err")
	[ -n "$port" ] && break
	sleep 0.05
done
sed -e "s|^spool = .*|spool = $T/s99u/spool|" \
	-e "s|^uplink-url = .*|uplink-url = https://localhost:$port/v1/batches|" \
	"$T/uconf/edgetrace.conf" >"$T/etc/uplink.conf"
cat >"$T/defaults-u" <<EOF
DAEMON=$EU
CONFFILE=$T/etc/uplink.conf
PIDFILE=$T/run/edgetrace.pid
UPLINK_PIDFILE=$T/run/edgetrace-uplink.pid
LOGFILE=$T/log/edgetrace-u.log
EOF
s99u() {
	env -i PATH="$T/bb" EDGETRACE_DEFAULTS="$T/defaults-u" \
		"$T/bb/sh" "$COMMON/S99edgetrace" "$@"
}
s99u start >"$T/ustart.out" 2>&1
check s99_uplink_agent_started grep -q '^Starting edgetrace: OK' "$T/ustart.out"
check s99_uplink_started grep -q '^Starting edgetrace uplink: OK' "$T/ustart.out"
apid=$(cat "$T/run/edgetrace.pid" 2>/dev/null)
upid=$(cat "$T/run/edgetrace-uplink.pid" 2>/dev/null)
check s99_uplink_gets_config test "$(tr '\0' ' ' <"/proc/${upid:-0}/cmdline" 2>/dev/null)" = \
	"$EU uplink --config $T/etc/uplink.conf "
rc=0; s99u status >"$T/ustatus.out" 2>&1 || rc=$?
check s99_uplink_status_both test "$rc" -eq 0 -a \
	"$(grep -c "^edgetrace is running (pid $apid)\$\|^edgetrace uplink is running (pid $upid)\$" "$T/ustatus.out")" -eq 2
# what the agent records arrives (the test build cuts a batch after 2 s)
for i in $(seq 1 20); do /bin/true; done
n=0
for i in $(seq 1 60); do
	n=$(cat "$T"/und2/gw-pkg/*.ndjson 2>/dev/null | wc -l)
	[ "$n" -gt 0 ] && break
	sleep 0.5
done
check s99_uplink_delivers test "$n" -gt 0
# a dead uplink: status says so; start starts it alone
kill -KILL "$upid"
for i in $(seq 1 50); do live "$upid" || break; sleep 0.1; done
rc=0; s99u status >"$T/ustatus2.out" 2>&1 || rc=$?
check s99_uplink_status_dead test "$rc" -eq 1 -a \
	"$(grep -c '^edgetrace uplink is not running$' "$T/ustatus2.out")" -eq 1
s99u start >"$T/ustart2.out" 2>&1
check s99_uplink_restarted_alone test "$(grep -c "already running (pid $apid)\|^Starting edgetrace uplink: OK" \
	"$T/ustart2.out")" -eq 2
upid=$(cat "$T/run/edgetrace-uplink.pid" 2>/dev/null)
s99u stop >"$T/ustop.out" 2>&1
check s99_uplink_stopped_first test "$(sed -n '1p' "$T/ustop.out")" = "Stopping edgetrace uplink: OK" -a \
	"$(sed -n '2p' "$T/ustop.out")" = "Stopping edgetrace: OK"
check s99_uplink_none_left eval '! live "$apid" && ! live "$upid"'
check s99_uplink_pidfiles_removed test ! -e "$T/run/edgetrace.pid" -a ! -e "$T/run/edgetrace-uplink.pid"
check s99_uplink_stopped_cleanly grep -q '^edgetrace uplink: stopped: ' "$T/log/edgetrace-u.log"

# the agent's binary without the uplink: the agent alone, and why
sed -i "s|^DAEMON=.*|DAEMON=$EDGETRACE|" "$T/defaults-u"
if "$EDGETRACE" uplink --help >/dev/null 2>&1; then
	echo "SKIP $TEST_NAME.s99_uplink_not_built: $EDGETRACE has the uplink"
else
	rc=0; s99u start >"$T/ustart3.out" 2>&1 || rc=$?
	check s99_uplink_not_built_agent_runs test "$rc" -eq 0 -a \
		"$(grep -c '^Starting edgetrace: OK' "$T/ustart3.out")" -eq 1
	check s99_uplink_not_built_says_why grep -q 'has no uplink (CONFIG_UPLINK_HTTPS): not sending' "$T/ustart3.out"
	check s99_uplink_not_built_no_pidfile test ! -e "$T/run/edgetrace-uplink.pid"
	s99u stop >/dev/null 2>&1
fi

# a bad uplink setting: the uplink's start fails, naming it; the agent runs
sed -i "s|^DAEMON=.*|DAEMON=$EU|" "$T/defaults-u"
sed -i "s|^device-key = .*|device-key = $T/nope.key|" "$T/etc/uplink.conf"
rc=0; s99u start >"$T/ustart4.out" 2>&1 || rc=$?
check s99_uplink_bad_setting_fails test "$rc" -ne 0 -a \
	"$(grep -c '^Starting edgetrace uplink: FAIL' "$T/ustart4.out")" -eq 1
check s99_uplink_bad_setting_named grep -q "device-key.*nope.key" "$T/ustart4.out"
check s99_uplink_bad_setting_no_pidfile test ! -e "$T/run/edgetrace-uplink.pid"
rc=0; s99u status >/dev/null 2>&1 || rc=$?
check s99_uplink_bad_setting_agent_runs test "$rc" -eq 1 -a -s "$T/run/edgetrace.pid"
s99u stop >/dev/null 2>&1
check s99_uplink_bad_setting_stopped test ! -e "$T/run/edgetrace.pid"
kill "$CPID"; wait "$CPID" 2>/dev/null
