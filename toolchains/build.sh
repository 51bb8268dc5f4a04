#!/bin/bash
# build.sh - build edgetrace's pinned static libraries for one target.
#
#   toolchains/build.sh TARGET     build into $EDGETRACE_CACHE/<TRIPLE>/
#   toolchains/build.sh --fetch    only download every pinned source package
#
# TARGET names a file toolchains/targets/TARGET.sh (a triple, a compiler, a
# sysroot). The libraries and versions come from toolchains/versions.mk:
# zlib, libelf (from elfutils), libbpf, LMDB and mbedtls, all static, into
# <prefix>/include and <prefix>/lib (+ lib/pkgconfig). For LIBC=musl targets
# musl itself is built first, with the target's (cross) gcc, into the same
# prefix: the prefix is then the whole sysroot and <prefix>/bin/musl-gcc the
# target's compiler.
#
# Layout under ${EDGETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgetrace}:
#   src/             Debian source packages, downloaded once for all targets
#   work/<TRIPLE>/   one log per library (+ trees and objects while building,
#                    kept after a failure)
#   <TRIPLE>/        the prefix; .stamp is written last, when all succeeded
#
# Quiet by default (one line per library); V=1 shows every command.
set -eu

TC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${EDGETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgetrace}
SRC_CACHE=$CACHE/src
JOBS=$(nproc)
V=${V:-0}
# When called from the top-level make, its MAKEFLAGS would hand command-line
# variables (CFLAGS=-Werror ...) to the libraries' own makes. We pass -j.
unset MAKEFLAGS MFLAGS MAKELEVEL

die() { echo "build.sh: $*" >&2; exit 1; }

usage() {
	echo "usage: $0 TARGET | --fetch" >&2
	echo "targets:" "$(cd "$TC_DIR/targets" && for f in ./*.sh; do f=${f#./}; printf '%s ' "${f%.sh}"; done)" >&2
	exit 2
}

# --- versions -------------------------------------------------------------

# Read "NAME := value" lines of versions.mk into shell variables.
load_versions() {
	local line name
	while IFS= read -r line; do
		case "$line" in
		[A-Z]*' := '*)
			name=${line%% :=*}
			printf -v "$name" '%s' "${line#*:= }"
			;;
		esac
	done <"$TC_DIR/versions.mk"
}

# Debian version -> upstream version, for messages and .pc files:
# 1:1.3.dfsg+really1.3.1-1 -> 1.3.1, 3.6.6-0.1~deb13u1 -> 3.6.6.
upstream_version() {
	local v=${1#*:}
	v=${v%-*}
	v=${v##*really}
	echo "${v%[.+]dfsg}"
}

# Debian version without the epoch, as used in file names.
file_version() { echo "${1#*:}"; }

# --- fetching -------------------------------------------------------------

# Download PKG=VERSION into $SRC_CACHE unless its .dsc is already there.
# apt verifies every file against the signed Sources index; we also check
# the .dsc against the SHA-256 pinned in versions.mk.
fetch_source() {
	local pkg=$1 version=$2 sha=$3
	local dsc
	dsc="$SRC_CACHE/${pkg}_$(file_version "$version").dsc"
	if [ ! -f "$dsc" ]; then
		download_source "$pkg" "$version"
	fi
	[ -f "$dsc" ] || die "apt-get source $pkg=$version gave no $(basename "$dsc")"
	echo "$sha  $dsc" | sha256sum -c --quiet - >/dev/null 2>&1 ||
		die "$dsc does not match the SHA-256 in versions.mk; delete it and rerun"
}

download_source() {
	local pkg=$1 version=$2 tmp
	echo "  FETCH  $pkg $version"
	apt-cache showsrc "$pkg" 2>/dev/null | grep -qx "Version: $version" ||
		die "apt has no source for $pkg=$version: run 'sudo bash $TC_DIR/install-deps.sh' (adds trixie deb-src and runs apt-get update); if it still fails, trixie moved on: update versions.mk"
	mkdir -p "$SRC_CACHE"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/edgetrace-fetch.XXXXXX")
	# apt downloads as user _apt when run as root; let it write here.
	if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$tmp"
	fi
	if ! (cd "$tmp" && apt-get source --download-only -qq "$pkg=$version") >"$tmp.log" 2>&1; then
		cat "$tmp.log" >&2
		rm -rf "$tmp" "$tmp.log"
		die "apt-get source --download-only $pkg=$version failed"
	fi
	# The .dsc last: its presence marks a complete download.
	find "$tmp" -maxdepth 1 -type f ! -name '*.dsc' -exec mv -f {} "$SRC_CACHE/" \;
	mv -f "$tmp"/*.dsc "$SRC_CACHE/"
	rm -rf "$tmp" "$tmp.log"
}

fetch_all() {
	mkdir -p "$SRC_CACHE"
	# Serialise: two targets building at once share src/.
	exec 9>"$SRC_CACHE/.lock"
	flock 9
	fetch_source zlib "$ZLIB_VERSION" "$ZLIB_DSC_SHA256"
	fetch_source elfutils "$ELFUTILS_VERSION" "$ELFUTILS_DSC_SHA256"
	fetch_source libbpf "$LIBBPF_VERSION" "$LIBBPF_DSC_SHA256"
	fetch_source lmdb "$LMDB_VERSION" "$LMDB_DSC_SHA256"
	fetch_source mbedtls "$MBEDTLS_VERSION" "$MBEDTLS_DSC_SHA256"
	if [ "${FETCH_MUSL:-0}" = 1 ]; then
		fetch_source musl "$MUSL_VERSION" "$MUSL_DSC_SHA256"
	fi
	exec 9>&-
}

# Unpack PKG's source package (Debian patches applied) into $WORK/PKG.
# dpkg-source checks the tarballs against the .dsc; it cannot check the
# maintainer's signature without debian-keyring, which apt's check covers.
unpack() {
	local pkg=$1 version=$2
	local log="$WORK/log/unpack-$pkg.log"
	rm -rf "${WORK:?}/$pkg"
	# Its gpgv chatter goes to a log of its own, shown only on failure.
	if ! dpkg-source -x "$SRC_CACHE/${pkg}_$(file_version "$version").dsc" \
		"$WORK/$pkg" >"$log" 2>&1; then
		cat "$log"
		echo "dpkg-source -x failed for $pkg $version; if a tarball is damaged, delete $SRC_CACHE/${pkg}_* and rerun"
		return 1
	fi
}

# --- target ---------------------------------------------------------------

load_target() {
	local file="$TC_DIR/targets/$1.sh"
	[ -f "$file" ] || { echo "build.sh: no target file $file" >&2; usage; }
	TARGET_FILE=$file
	UAPI_INCLUDE='' UAPI_ASM='' QEMU='' OPT_CFLAGS=-O2 ZLIB_OPT_CFLAGS=
	CROSS_CC='' ARCH_CFLAGS=''
	# shellcheck source=targets/x86_64-linux-musl.sh
	. "$file"
	local v
	for v in TRIPLE CC AR RANLIB STRIP LIBC BPF_ARCH KERNEL_ARCH; do
		[ -n "${!v:-}" ] || die "$file does not set $v"
	done
	# The Makefile finds the prefix from the target name alone.
	[ "$TRIPLE" = "$1" ] || die "$file sets TRIPLE=$TRIPLE; the file must be named $TRIPLE.sh"
	ZLIB_OPT_CFLAGS=${ZLIB_OPT_CFLAGS:-$OPT_CFLAGS}
	PREFIX=$CACHE/$TRIPLE
	WORK=$CACHE/work/$TRIPLE
	if [ "$LIBC" = musl ]; then
		check_musl_target
	else
		command -v "$CC" >/dev/null ||
			die "compiler $CC for $TRIPLE not found: run 'sudo bash $TC_DIR/install-deps.sh'"
	fi
	# Sections let the final link drop unused code (--gc-sections).
	SECTION_CFLAGS="-ffunction-sections -fdata-sections"
	CFLAGS="$OPT_CFLAGS $SECTION_CFLAGS"
}

# A musl target's CC is the wrapper build.sh installs, so it does not exist
# before the first build: check the gcc underneath instead, and that CC
# points into this prefix (the target file must compute the cache like we do).
check_musl_target() {
	[ -n "$CROSS_CC" ] || die "$TARGET_FILE does not set CROSS_CC (the gcc that builds musl)"
	command -v "$CROSS_CC" >/dev/null ||
		die "compiler $CROSS_CC for $TRIPLE not found: run 'sudo bash $TC_DIR/install-deps.sh'"
	command -v "$AR" >/dev/null ||
		die "archiver $AR for $TRIPLE not found: run 'sudo bash $TC_DIR/install-deps.sh'"
	[ "$CC" = "$PREFIX/bin/musl-gcc" ] ||
		die "$TARGET_FILE sets CC=$CC, expected $PREFIX/bin/musl-gcc (the wrapper build.sh installs; compute it from EDGETRACE_CACHE as the other musl targets do)"
}

# Everything that decides the prefix's content: pins, this script, the
# target, the libelf shims and the compiler's version. For musl targets the
# real compiler is CROSS_CC: CC does not exist until musl is built.
stamp_hash() {
	{
		cat "$TC_DIR/versions.mk" "$TC_DIR/build.sh" "$TARGET_FILE"
		cat "$TC_DIR"/compat/*/*
		cat "$TC_DIR"/patches/*/*.patch
		"${CROSS_CC:-$CC}" --version 2>&1 | head -n 1
	} | sha256sum | cut -d' ' -f1
}

# --- running steps quietly ------------------------------------------------

# step NAME VERSION FUNCTION [VERB]: run FUNCTION with its output in a log
# file; on failure show the log's tail and stop.
step() {
	local name=$1 version=$2 fn=$3 verb=${4:-BUILD} log="$WORK/log/$1.log" rc
	echo "  $verb  $name $version ($TRIPLE)"
	# Not "( ... ) || handle": bash ignores set -e inside a tested command.
	set +e
	if [ "$V" = 1 ]; then
		( set -e; "$fn" )
	else
		( set -e; "$fn" ) >"$log" 2>&1
	fi
	rc=$?
	set -e
	[ "$rc" -eq 0 ] && return
	if [ "$V" != 1 ]; then
		echo "build.sh: last 40 lines of $log:" >&2
		tail -n 40 "$log" >&2
	fi
	die "building $name $version for $TRIPLE failed (exit $rc); V=1 shows every command"
}

# --- libraries ------------------------------------------------------------

# Debian's GNU triplet for a kernel arch: where its uapi headers live.
kernel_gnu_triplet() {
	case "$1" in
	x86_64) echo x86_64-linux-gnu ;;
	arm64) echo aarch64-linux-gnu ;;
	arm) echo arm-linux-gnueabihf ;;
	riscv) echo riscv64-linux-gnu ;;
	*) die "no uapi header location known for KERNEL_ARCH=$1: set UAPI_INCLUDE and UAPI_ASM in the target file" ;;
	esac
}

# Unless the target file says, find linux/ + asm-generic/ (UAPI_INCLUDE) and
# the arch's asm/ (UAPI_ASM): a cross package (linux-libc-dev-<arch>-cross,
# /usr/<gnu>/include) first, else the host or multiarch /usr/include.
find_uapi() {
	local gnu
	gnu=$(kernel_gnu_triplet "$KERNEL_ARCH")
	if [ -z "$UAPI_INCLUDE" ]; then
		UAPI_INCLUDE=/usr/include
		[ ! -d "/usr/$gnu/include/linux" ] || UAPI_INCLUDE=/usr/$gnu/include
	fi
	if [ -z "$UAPI_ASM" ]; then
		UAPI_ASM=/usr/include/$gnu/asm
		[ ! -d "/usr/$gnu/include/asm" ] || UAPI_ASM=/usr/$gnu/include/asm
	fi
	if [ ! -f "$UAPI_INCLUDE/linux/bpf.h" ] || [ ! -f "$UAPI_ASM/types.h" ]; then
		die "kernel uapi headers for $KERNEL_ARCH not found ($UAPI_INCLUDE/linux, $UAPI_ASM): install linux-libc-dev (or linux-libc-dev-<arch>-cross)"
	fi
}

# musl-gcc searches only musl's include dir, so the kernel uapi headers
# (linux/, asm-generic/, asm/, and mtd/ for flash tools) go into the prefix.
# glibc's gcc has them. musl ships none of these directories; cp -n all the
# same, so that no uapi file can ever replace a musl header.
build_uapi() {
	local d
	mkdir -p "$PREFIX/include/asm"
	for d in linux asm-generic mtd; do
		[ ! -d "$UAPI_INCLUDE/$d" ] || cp -R -n "$UAPI_INCLUDE/$d" "$PREFIX/include/"
	done
	cp -R -n "$UAPI_ASM/." "$PREFIX/include/asm/"
}

# musl from the pinned source package, built with the target's gcc
# (CROSS_CC), installed into the prefix with its musl-gcc wrapper and specs:
# the wrapper runs CROSS_CC with -nostdinc and musl's include dir, crt files
# and libc.a, and CROSS_CC's own libgcc.a.
build_musl() {
	unpack musl "$MUSL_VERSION"
	cd "$WORK/musl"
	# musl picks its own -O2/-O3 mix; only the ABI flags come from us.
	./configure --target="$TRIPLE" --prefix="$PREFIX" \
		--disable-shared --enable-wrapper=gcc \
		CC="$CROSS_CC" AR="$AR" RANLIB="$RANLIB" CFLAGS="$ARCH_CFLAGS"
	make -j"$JOBS"
	make install
	[ -x "$CC" ] || die "musl's make install did not create $CC"
	[ -z "$ARCH_CFLAGS" ] || write_musl_gcc
}

# musl's wrapper runs exactly CROSS_CC, but the Makefile calls CC with no
# flags of its own for the ABI: rewrite the wrapper (same line as musl's)
# with ARCH_CFLAGS baked in, before the caller's flags so they can override.
write_musl_gcc() {
	local specs="$PREFIX/lib/musl-gcc.specs"
	[ -f "$specs" ] || die "musl's make install did not create $specs"
	# Single quotes on purpose: ${REALGCC:-...} is for the wrapper's shell.
	# shellcheck disable=SC2016
	printf '#!/bin/sh\nexec "${REALGCC:-%s}" %s "$@" -specs "%s"\n' \
		"$CROSS_CC" "$ARCH_CFLAGS" "$specs" >"$CC"
	chmod 755 "$CC"
}

# What `file` says about an executable for KERNEL_ARCH.
file_arch() {
	case "$1" in
	x86_64) echo 'x86-64' ;;
	arm64) echo 'ARM aarch64' ;;
	arm) echo 'ARM, EABI5' ;;
	riscv) echo 'RISC-V' ;;
	*) die "no 'file' description known for KERNEL_ARCH=$1" ;;
	esac
}

# Link a tiny program with the new CC before building anything with it:
# a wrapper or specs mistake shows here, not as odd library build failures.
check_musl_cc() {
	local dir="$WORK/cc-check" want desc mine theirs
	want=$(file_arch "$KERNEL_ARCH")
	mkdir -p "$dir"
	printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >"$dir/hello.c"
	"$CC" -static -Os -o "$dir/hello" "$dir/hello.c"
	desc=$(file -b "$dir/hello")
	echo "$CC -static: $desc"
	case "$desc" in
	*"$want"*statically\ linked*) ;;
	*) die "$CC -static built '$desc', expected a statically linked $want executable" ;;
	esac
	# The runtime must be CROSS_CC's libgcc, not some other compiler's.
	mine=$("$CC" -print-libgcc-file-name)
	# ARCH_CFLAGS is a list of flags: split on purpose.
	# shellcheck disable=SC2086
	theirs=$("$CROSS_CC" $ARCH_CFLAGS -print-libgcc-file-name)
	echo "libgcc: $mine"
	[ "$mine" = "$theirs" ] || die "$CC uses $mine, $CROSS_CC uses $theirs"
}

build_zlib() {
	unpack zlib "$ZLIB_VERSION"
	cd "$WORK/zlib"
	CC=$CC AR=$AR RANLIB=$RANLIB CFLAGS="$ZLIB_OPT_CFLAGS $SECTION_CFLAGS" \
		./configure --static --prefix="$PREFIX"
	make -j"$JOBS" libz.a
	make install
	rm -rf "$PREFIX/share"
}

build_libelf() {
	unpack elfutils "$ELFUTILS_VERSION"
	make -f "$TC_DIR/compat/elfutils/libelf.mk" -j"$JOBS" \
		SRC="$WORK/elfutils" OUT="$WORK/libelf-obj" \
		CC="$CC" AR="$AR" CFLAGS="$CFLAGS" ZLIB_INCLUDE="$PREFIX/include"
	install -m 644 "$WORK/libelf-obj/libelf.a" "$PREFIX/lib/"
	install -m 644 "$WORK"/elfutils/libelf/{libelf.h,gelf.h,nlist.h} "$PREFIX/include/"
	write_pc libelf "elfutils libelf" "$(upstream_version "$ELFUTILS_VERSION")" \
		"-lelf" "zlib"
}

build_libbpf() {
	unpack libbpf "$LIBBPF_VERSION"
	# NO_PKG_CONFIG: never let the host's libelf/zlib flags leak in.
	make -C "$WORK/libbpf/src" -j"$JOBS" BUILD_STATIC_ONLY=1 NO_PKG_CONFIG=1 \
		OBJDIR="$WORK/libbpf-obj" DESTDIR= PREFIX="$PREFIX" \
		LIBDIR="$PREFIX/lib" INCLUDEDIR="$PREFIX/include" \
		UAPIDIR="$PREFIX/include" \
		CC="$CC" AR="$AR" CFLAGS="$CFLAGS -Wall" \
		EXTRA_CFLAGS="-I$PREFIX/include" V=1 \
		install install_headers install_uapi_headers
}

# Our own patches on top of Debian's, one directory per library.
apply_patches() {
	local pkg=$1 dir=$2 p
	for p in "$TC_DIR/patches/$pkg"/*.patch; do
		[ -e "$p" ] || continue
		patch -d "$dir" -p1 --quiet --forward <"$p" ||
			die "patch $(basename "$p") does not apply to $pkg: update it for the pinned version"
	done
}

build_lmdb() {
	unpack lmdb "$LMDB_VERSION"
	apply_patches lmdb "$WORK/lmdb"
	cd "$WORK/lmdb/libraries/liblmdb"
	make -j"$JOBS" CC="$CC" AR="$AR" OPT="$CFLAGS" liblmdb.a
	install -m 644 liblmdb.a "$PREFIX/lib/"
	install -m 644 lmdb.h "$PREFIX/include/"
	write_pc lmdb "Lightning memory-mapped database" \
		"$(upstream_version "$LMDB_VERSION")" "-llmdb" "" "-pthread"
}

# mbedtls' plain make build: no cmake cross setup, and the release tarball
# ships the generated sources, so neither python nor perl runs (GEN_FILES=).
# Our configuration (compat/mbedtls/mbedtls_config.h: only what edgetrace
# uses) replaces the default one in the tree, so the installed headers
# describe the libraries as built.
build_mbedtls() {
	unpack mbedtls "$MBEDTLS_VERSION"
	install -m 644 "$TC_DIR/compat/mbedtls/mbedtls_config.h" \
		"$WORK/mbedtls/include/mbedtls/mbedtls_config.h"
	make -C "$WORK/mbedtls/library" -j"$JOBS" GEN_FILES= \
		CC="$CC" AR="$AR" CFLAGS="$CFLAGS" \
		libmbedcrypto.a libmbedx509.a libmbedtls.a
	install -m 644 "$WORK"/mbedtls/library/libmbed{crypto,x509,tls}.a "$PREFIX/lib/"
	cp -a "$WORK/mbedtls/include/mbedtls" "$WORK/mbedtls/include/psa" "$PREFIX/include/"
	write_pc mbedtls "Mbed TLS (with x509 and crypto)" \
		"$(upstream_version "$MBEDTLS_VERSION")" "-lmbedtls -lmbedx509 -lmbedcrypto"
}

# write_pc NAME DESCRIPTION VERSION LIBS [REQUIRES] [LIBS_PRIVATE]
write_pc() {
	mkdir -p "$PREFIX/lib/pkgconfig"
	cat >"$PREFIX/lib/pkgconfig/$1.pc" <<EOF
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: $1
Description: $2
Version: $3
Libs: -L\${libdir} $4
Libs.private: ${6:-}
Requires.private: ${5:-}
Cflags: -I\${includedir}
EOF
}

# <prefix>/toolchain.mk: the target's variables in make syntax, so the
# top-level Makefile can "include" them instead of parsing shell.
write_toolchain_mk() {
	local static=
	[ "$LIBC" != musl ] || static=" -static"
	cat >"$PREFIX/toolchain.mk" <<EOF
# Generated by toolchains/build.sh from $(basename "$TARGET_FILE"); do not edit.
TRIPLE := $TRIPLE
LIBC := $LIBC
CC := $CC
AR := $AR
RANLIB := $RANLIB
STRIP := $STRIP
BPF_ARCH := $BPF_ARCH
KERNEL_ARCH := $KERNEL_ARCH
QEMU := $QEMU
CROSS_CC := $CROSS_CC
TOOLCHAIN_PREFIX := $PREFIX
TOOLCHAIN_CPPFLAGS := -I$PREFIX/include
TOOLCHAIN_LDFLAGS := -L$PREFIX/lib$static
TOOLCHAIN_LDLIBS := -lbpf -lelf -lz -llmdb -lmbedtls -lmbedx509 -lmbedcrypto -pthread
EOF
}

# One build per target at a time: a second caller (another make, another
# shell) waits, then finds the stamp fresh. Held until the script exits.
lock_target() {
	mkdir -p "$CACHE"
	exec 8>"$CACHE/.lock-$TRIPLE"
	if ! flock -n 8; then
		echo "toolchain $TRIPLE: waiting for another build.sh to finish"
		flock 8
	fi
}

# --- main -----------------------------------------------------------------

build_all() {
	rm -rf "$PREFIX" "$WORK"
	mkdir -p "$PREFIX/include" "$PREFIX/lib" "$WORK/log"
	if [ "$LIBC" = musl ]; then
		find_uapi
		step musl "$(upstream_version "$MUSL_VERSION")" build_musl
		step musl-gcc "($CROSS_CC)" check_musl_cc CHECK
		step uapi-headers "$KERNEL_ARCH" build_uapi
	fi
	step zlib "$(upstream_version "$ZLIB_VERSION")" build_zlib
	step libelf "$(upstream_version "$ELFUTILS_VERSION")" build_libelf
	step libbpf "$(upstream_version "$LIBBPF_VERSION")" build_libbpf
	step lmdb "$(upstream_version "$LMDB_VERSION")" build_lmdb
	step mbedtls "$(upstream_version "$MBEDTLS_VERSION")" build_mbedtls
	write_toolchain_mk
}

main() {
	[ $# -eq 1 ] || usage
	load_versions
	if [ "$1" = --fetch ]; then
		FETCH_MUSL=1 fetch_all
		echo "sources in $SRC_CACHE"
		return
	fi
	load_target "$1"
	lock_target
	local hash
	hash=$(stamp_hash)
	if [ -f "$PREFIX/.stamp" ] && [ "$(cat "$PREFIX/.stamp")" = "$hash" ]; then
		echo "toolchain $TRIPLE: up to date"
		return
	fi
	# musl targets build their libc from the pinned source too.
	[ "$LIBC" != musl ] || FETCH_MUSL=1
	fetch_all
	build_all
	# Unpacked trees are ~250 MB; keep them only when a build failed.
	find "$WORK" -mindepth 1 -maxdepth 1 ! -name log -exec rm -rf {} +
	echo "$hash" >"$PREFIX/.stamp"
	echo "toolchain $TRIPLE: built in $PREFIX"
}

main "$@"
