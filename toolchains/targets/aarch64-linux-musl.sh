# shellcheck shell=bash disable=SC2034  # sourced by build.sh
# aarch64-linux-musl: static release binaries for 64-bit ARM gateways
# (ARMv8-A, e.g. Cortex-A53/A72 boards).
#
# Every variable is documented in toolchains/README.md; x86_64-linux-musl.sh
# is the commented model.

TRIPLE=aarch64-linux-musl
LIBC=musl
# Debian's cross gcc (gcc-aarch64-linux-gnu); build.sh builds musl with it
# and musl-gcc wraps it. Its libgcc.a is the runtime library.
CROSS_CC=aarch64-linux-gnu-gcc
# gcc's defaults (armv8-a, lp64) are the ABI: no extra flags.
ARCH_CFLAGS=
# musl-gcc as installed by build.sh into the prefix (the target's sysroot).
CC=${EDGETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgetrace}/$TRIPLE/bin/musl-gcc
# Cross binutils (binutils-aarch64-linux-gnu).
AR="aarch64-linux-gnu-ar"
RANLIB="aarch64-linux-gnu-ranlib"
STRIP="aarch64-linux-gnu-strip"
# __TARGET_ARCH_arm64 for bpf_tracing.h; uapi asm/ from
# linux-libc-dev-arm64-cross (/usr/aarch64-linux-gnu/include), found by
# build.sh from KERNEL_ARCH.
BPF_ARCH=arm64
KERNEL_ARCH=arm64
# Runs the static test binaries on the build host (qemu-user-static).
QEMU=qemu-aarch64-static
# Release: small code, sections for --gc-sections; zlib keeps -O2 for speed.
OPT_CFLAGS="-Os"
ZLIB_OPT_CFLAGS="-O2"
