# shellcheck shell=bash disable=SC2034  # sourced by build.sh
# riscv64-linux-musl: static release binaries for 64-bit RISC-V gateways
# (RV64GC, lp64d: the Linux-capable baseline).
#
# Every variable is documented in toolchains/README.md; x86_64-linux-musl.sh
# is the commented model.

TRIPLE=riscv64-linux-musl
LIBC=musl
# Debian's cross gcc (gcc-riscv64-linux-gnu, configured --with-arch=rv64gc
# --with-abi=lp64d); build.sh builds musl with it and musl-gcc wraps it.
# Its libgcc.a is the runtime library.
CROSS_CC=riscv64-linux-gnu-gcc
# gcc's defaults (rv64gc, lp64d) are the ABI: no extra flags.
ARCH_CFLAGS=
# musl-gcc as installed by build.sh into the prefix (the target's sysroot).
CC=${EDGETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgetrace}/$TRIPLE/bin/musl-gcc
# Cross binutils (binutils-riscv64-linux-gnu).
AR="riscv64-linux-gnu-ar"
RANLIB="riscv64-linux-gnu-ranlib"
STRIP="riscv64-linux-gnu-strip"
# __TARGET_ARCH_riscv for bpf_tracing.h; uapi asm/ from
# linux-libc-dev-riscv64-cross (/usr/riscv64-linux-gnu/include), found by
# build.sh from KERNEL_ARCH.
BPF_ARCH=riscv
KERNEL_ARCH=riscv
# Runs the static test binaries on the build host (qemu-user-static).
QEMU=qemu-riscv64-static
# Release: small code, sections for --gc-sections; zlib keeps -O2 for speed.
OPT_CFLAGS="-Os"
ZLIB_OPT_CFLAGS="-O2"
