#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/system/fetch.sh ARCH - the Debian kernel and busybox an emulated
# board boots, fetched once and cached outside the tree.
#
#	tests/system/fetch.sh arm64	# linux-image-<abi>-arm64, busybox-static:arm64
#	tests/system/fetch.sh armhf	# linux-image-<abi>-armmp, busybox-static:armhf,
#					# and the kernel's BTF from its -dbg package
#
# Prints the kernel's directory on stdout, which holds:
#	vmlinuz		the kernel image, as the package ships it
#	config		its configuration (/boot/config-*)
#	release		its `uname -r`
#	busybox		busybox-static for ARCH
#	vmlinux.btf	(armhf) the full BTF of the kernel, made by pahole from
#			the vmlinux of linux-image-<abi>-armmp-dbg; the tests
#			minimize it for each build with bpftool gen min_core_btf
#
# The cache is ${EDGETRACE_CACHE:-~/.cache/edgetrace}/system/. Everything is
# fetched with apt-get download from Debian's archive; ARCH is added to
# dpkg's foreign architectures (and the lists updated) when it is missing,
# which needs root. The -dbg package (about 620 MB) and its vmlinux (about
# 240 MB) are deleted once the BTF is made, unless EDGETRACE_SYSTEM_KEEP_DBG=1.
#
# The kernel is the one linux-image-arm64 / linux-image-armmp depends on
# (bookworm: 6.1), unless EDGETRACE_SYSTEM_KERNEL_ARM64 or
# EDGETRACE_SYSTEM_KERNEL_ARMHF names a package (linux-image-6.1.0-50-arm64).
#
# Exit status: 0 when everything is there; 2 when something cannot be had
# here (no network, no root to add the architecture, no pahole), with the
# reason on stderr, so that a test can SKIP; 1 on other errors.
set -eu

die() { echo "fetch.sh: $*" >&2; exit 1; }
cannot() { echo "fetch.sh: $*" >&2; exit 2; }

ARCH=${1:?usage: tests/system/fetch.sh arm64|armhf}
case $ARCH in
arm64) flavour=arm64 override=${EDGETRACE_SYSTEM_KERNEL_ARM64:-} ;;
armhf) flavour=armmp override=${EDGETRACE_SYSTEM_KERNEL_ARMHF:-} ;;
*) die "unknown ARCH '$ARCH': arm64 or armhf" ;;
esac
CACHE=${EDGETRACE_CACHE:-$HOME/.cache/edgetrace}/system
DEBS=$CACHE/debs
mkdir -p "$DEBS"

log() { echo "fetch.sh: $*" >&2; }

# the newest kernel already extracted for this flavour, if apt can't answer
cached_kernel() {
	local d
	d=$(ls -d "$CACHE/$ARCH"/*-"$flavour" 2>/dev/null | sort -V | tail -1)
	[ -n "$d" ] && [ -f "$d/.complete" ] && echo "$d"
}

ensure_arch() {
	if ! dpkg --print-foreign-architectures | grep -qx "$ARCH"; then
		[ "$(id -u)" -eq 0 ] || cannot "dpkg has no $ARCH architecture and adding it needs root (dpkg --add-architecture $ARCH && apt-get update)"
		log "adding the $ARCH architecture to dpkg"
		dpkg --add-architecture "$ARCH"
	fi
	# lists without ARCH's packages (just added, or cleaned): update once
	if ! apt-cache show "linux-image-$flavour:$ARCH" >/dev/null 2>&1 &&
		[ "$(id -u)" -eq 0 ]; then
		log "apt-get update (for the $ARCH lists)"
		apt-get update -qq >/dev/null 2>&1 || true
	fi
}

# download PKG:ARCH into $DEBS unless a .deb of it is there; prints its path
download() {
	local pkg=$1 ver f
	ver=$(apt-cache policy "$pkg:$ARCH" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	if [ -n "$ver" ] && [ "$ver" != "(none)" ]; then
		f=$DEBS/${pkg}_${ver/:/%3a}_$ARCH.deb
		if [ ! -s "$f" ]; then
			log "downloading $pkg:$ARCH $ver"
			(cd "$DEBS" && apt-get download -q "$pkg:$ARCH" >/dev/null 2>"$DEBS/.err") ||
				cannot "apt-get download $pkg:$ARCH failed: $(grep -m1 -E '^(E|Err)' "$DEBS/.err")"
		fi
		[ -s "$f" ] || f=$(ls -t "$DEBS/${pkg}"_*_"$ARCH".deb 2>/dev/null | head -1)
	else
		f=$(ls -t "$DEBS/${pkg}"_*_"$ARCH".deb 2>/dev/null | head -1)
	fi
	[ -n "$f" ] && [ -s "$f" ] || cannot "no $pkg:$ARCH in apt's lists and none cached in $DEBS"
	echo "$f"
}

ensure_arch

if [ -n "$override" ]; then
	kpkg=$override
else
	kpkg=$(apt-cache depends "linux-image-$flavour:$ARCH" 2>/dev/null |
		sed -n "s/^ *Depends: \(linux-image-[0-9][^:]*-$flavour\)\(:$ARCH\)\?$/\1/p" | head -1)
fi
if [ -z "$kpkg" ]; then
	d=$(cached_kernel) || cannot "apt knows no linux-image-$flavour:$ARCH and nothing is cached in $CACHE/$ARCH"
	echo "$d"
	exit 0
fi
release=${kpkg#linux-image-}
KDIR=$CACHE/$ARCH/$release
if [ -f "$KDIR/.complete" ]; then
	echo "$KDIR"
	exit 0
fi
mkdir -p "$KDIR"
tmp=$(mktemp -d "$CACHE/.x-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

deb=$(download "$kpkg")
dpkg-deb -x "$deb" "$tmp/k"
cp "$tmp/k/boot/vmlinuz-$release" "$KDIR/vmlinuz"
cp "$tmp/k/boot/config-$release" "$KDIR/config"
echo "$release" >"$KDIR/release"

deb=$(download busybox-static)
dpkg-deb -x "$deb" "$tmp/bb"
cp "$tmp/bb/bin/busybox" "$KDIR/busybox"

if ! grep -q '^CONFIG_DEBUG_INFO_BTF=y' "$KDIR/config" && [ ! -s "$KDIR/vmlinux.btf" ]; then
	# no built-in BTF: make it from the debug vmlinux
	command -v pahole >/dev/null ||
		cannot "$release has no built-in BTF; making it needs pahole (apt-get install dwarves)"
	deb=$(download "$kpkg-dbg")
	log "extracting vmlinux-$release from $(basename "$deb")"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -O "./usr/lib/debug/boot/vmlinux-$release" >"$tmp/vmlinux" ||
		die "no ./usr/lib/debug/boot/vmlinux-$release in $deb"
	log "pahole --btf_encode_detached (about 10 s)"
	pahole --btf_encode_detached="$tmp/vmlinux.btf" "$tmp/vmlinux" >"$tmp/pahole.log" 2>&1 ||
		die "pahole failed: $(head -3 "$tmp/pahole.log")"
	bpftool btf dump file "$tmp/vmlinux.btf" >/dev/null ||
		die "pahole's output is not BTF that bpftool reads"
	mv "$tmp/vmlinux.btf" "$KDIR/vmlinux.btf"
	[ "${EDGETRACE_SYSTEM_KEEP_DBG:-0}" = 1 ] || rm -f "$deb"
fi
touch "$KDIR/.complete"
echo "$KDIR"
