# shellcheck shell=bash disable=SC2034  # sourced by build.sh
# x86_64-linux-musl: static release binaries for x86_64 gateways.
#
# A target is a triple, a compiler and a sysroot. build.sh and the Makefile
# source this file; every variable is documented in toolchains/README.md.
# Copy this file to add a target (aarch64-linux-musl.sh, ...).

TRIPLE=x86_64-linux-musl
LIBC=musl
# The gcc that build.sh builds musl (versions.mk: MUSL_VERSION) with, and
# that musl's musl-gcc wrapper runs: here the host's own gcc.
CROSS_CC=gcc
# ABI flags baked into the wrapper (none: gcc's x86-64 defaults).
ARCH_CFLAGS=
# musl-gcc as installed by build.sh into the prefix (the target's sysroot):
# CROSS_CC with only musl's headers, crt files and libc.a. The path must be
# computed exactly as build.sh computes the prefix.
CC=${EDGETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgetrace}/$TRIPLE/bin/musl-gcc
AR="ar"
RANLIB="ranlib"
STRIP="strip"
# __TARGET_ARCH_$(BPF_ARCH) for bpf_tracing.h; KERNEL_ARCH for uapi headers.
BPF_ARCH=x86
KERNEL_ARCH=x86_64
# Kernel uapi headers: musl-gcc does not search /usr/include, so build.sh
# copies linux/, asm-generic/, mtd/ (from UAPI_INCLUDE) and asm/ (UAPI_ASM)
# into the prefix. Found from KERNEL_ARCH when unset; here spelled out as an
# example.
UAPI_INCLUDE=/usr/include
UAPI_ASM=/usr/include/x86_64-linux-gnu/asm
# Empty: binaries run on the build host.
QEMU=
# Release: small code, sections for --gc-sections; zlib keeps -O2 for speed.
OPT_CFLAGS="-Os"
ZLIB_OPT_CFLAGS="-O2"
