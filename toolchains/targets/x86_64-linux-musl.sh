# shellcheck shell=bash disable=SC2034  # sourced by build.sh
# x86_64-linux-musl: static release binaries for x86_64 gateways.
#
# A target is a triple, a compiler and a sysroot. build.sh and the Makefile
# source this file; every variable is documented in toolchains/README.md.
# Copy this file to add a target (aarch64-linux-musl.sh, ...).

TRIPLE=x86_64-linux-musl
LIBC=musl
# Debian's musl-tools wrapper: host gcc with musl's headers, crt and libc.a.
CC=musl-gcc
AR="ar"
RANLIB="ranlib"
STRIP="strip"
# __TARGET_ARCH_$(BPF_ARCH) for bpf_tracing.h; KERNEL_ARCH for uapi headers.
BPF_ARCH=x86
KERNEL_ARCH=x86_64
# Kernel uapi headers: musl-gcc does not search /usr/include, so build.sh
# copies linux/, asm-generic/ (from UAPI_INCLUDE) and asm/ (UAPI_ASM) into the
# prefix. Found from KERNEL_ARCH when unset; here spelled out as an example.
UAPI_INCLUDE=/usr/include
UAPI_ASM=/usr/include/x86_64-linux-gnu/asm
# Empty: binaries run on the build host.
QEMU=
# Release: small code, sections for --gc-sections; zlib keeps -O2 for speed.
OPT_CFLAGS="-Os"
ZLIB_OPT_CFLAGS="-O2"
