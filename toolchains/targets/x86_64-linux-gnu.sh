# shellcheck shell=bash disable=SC2034  # sourced by build.sh
# x86_64-linux-gnu: glibc host build for unit tests under ASan/UBSan.
#
# The libraries are not instrumented themselves, but are built -fPIC -O1 -g
# without LTO so they link into sanitizer binaries (PIE by default) and give
# readable stack traces. Not for release.

TRIPLE=x86_64-linux-gnu
LIBC=glibc
CC=gcc
AR="ar"
RANLIB="ranlib"
STRIP="strip"
BPF_ARCH=x86
KERNEL_ARCH=x86_64
# No UAPI_*: glibc's gcc already searches /usr/include and its multiarch dir.
QEMU=
OPT_CFLAGS="-O1 -g -fPIC -fno-omit-frame-pointer"
ZLIB_OPT_CFLAGS="$OPT_CFLAGS"
