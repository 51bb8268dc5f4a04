# shellcheck shell=bash disable=SC2034  # sourced by build.sh
# armv7-linux-musleabihf: static release binaries for 32-bit ARM gateways:
# ARMv7-A, hard-float EABI (VFPv3-D16, the baseline every Cortex-A7/A8/A9
# has; NEON is not assumed), Thumb-2 code.
#
# Every variable is documented in toolchains/README.md; x86_64-linux-musl.sh
# is the commented model.

TRIPLE=armv7-linux-musleabihf
LIBC=musl
# Debian's cross gcc (gcc-arm-linux-gnueabihf); build.sh builds musl with it
# (musl's configure sees __ARM_PCS_VFP and builds the armhf variant) and
# musl-gcc wraps it. Its libgcc.a is the runtime library.
CROSS_CC=arm-linux-gnueabihf-gcc
# The ABI, spelled out: these equal Debian's armhf gcc defaults today, but
# musl, the libraries and our code must agree even if the defaults change.
# build.sh bakes them into the musl-gcc wrapper (CC takes no flags).
ARCH_CFLAGS="-march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard -mthumb"
# musl-gcc as installed by build.sh into the prefix (the target's sysroot).
CC=${EDGETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgetrace}/$TRIPLE/bin/musl-gcc
# Cross binutils (binutils-arm-linux-gnueabihf).
AR="arm-linux-gnueabihf-ar"
RANLIB="arm-linux-gnueabihf-ranlib"
STRIP="arm-linux-gnueabihf-strip"
# __TARGET_ARCH_arm for bpf_tracing.h; uapi asm/ from
# linux-libc-dev-armhf-cross (/usr/arm-linux-gnueabihf/include), found by
# build.sh from KERNEL_ARCH.
BPF_ARCH=arm
KERNEL_ARCH=arm
# Runs the static test binaries on the build host (qemu-user-static).
QEMU=qemu-arm-static
# Release: small code, sections for --gc-sections; zlib keeps -O2 for speed.
OPT_CFLAGS="-Os"
ZLIB_OPT_CFLAGS="-O2"
