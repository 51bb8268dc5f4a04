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
#	modules/	the modules of a virtio-mmio network card (virtio_mmio,
#			virtio_net and what they depend on), uncompressed, with
#			"load" listing them in insmod order, or "missing" saying
#			why not; for the uplink phase (tests/system/board.sh)
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
if [ -f "$KDIR/.complete" ] && [ -f "$KDIR/modules/.complete" ]; then
	echo "$KDIR"
	exit 0
fi
mkdir -p "$KDIR"
tmp=$(mktemp -d "$CACHE/.x-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# add_module NAME: NAME.ko and the modules it depends on (their .modinfo
# "depends=", as depmod reads it: the package has no modules.dep) into
# $KDIR/modules.new, uncompressed (busybox insmod reads no .ko.xz), and
# NAME after them in the load order
add_module() {
	local name=$1 f dep
	grep -qx "$name" "$tmp/order" && return 0
	f=$(find "$tmp/k/lib/modules/$release" \( -name "$name.ko" -o -name "$name.ko.xz" \
		-o -name "${name//_/-}.ko" -o -name "${name//_/-}.ko.xz" \) | head -1)
	[ -n "$f" ] || { echo "no module $name in $kpkg" >"$tmp/missing"; return 1; }
	case $f in
	*.xz) xz -dc "$f" >"$KDIR/modules.new/$name.ko" ;;
	*) cp "$f" "$KDIR/modules.new/$name.ko" ;;
	esac || die "cannot copy $f"
	for dep in $(strings -a "$KDIR/modules.new/$name.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_module "$dep" || return 1
	done
	echo "$name" >>"$tmp/order"
}

# net_modules: the modules a guest needs for a virtio-mmio network card
# (the uplink phase of tests/system/board.sh) into $KDIR/modules, "load"
# naming them in insmod order (none for what is built in), or "missing"
# saying why there are none. Marked apart from the kernel's .complete
# (modules/.complete), so that a cache made before them gets them on the
# next run: a kernel whose package cannot be had again only loses the
# uplink phase.
net_modules() {
	local m c
	rm -rf "$KDIR/modules.new" "$KDIR/modules"
	mkdir -p "$KDIR/modules.new"
	: >"$tmp/order"
	rm -f "$tmp/missing"
	for m in virtio_mmio virtio_net; do
		c=CONFIG_$(echo "$m" | tr '[:lower:]' '[:upper:]')
		case $(sed -n "s/^$c=//p" "$KDIR/config") in
		y) ;;
		m) add_module "$m" || break ;;
		*) echo "$release has no $c" >"$tmp/missing"; break ;;
		esac
	done
	if [ -f "$tmp/missing" ]; then
		rm -f "$KDIR"/modules.new/*.ko
		cp "$tmp/missing" "$KDIR/modules.new/missing"
		log "no network modules: $(cat "$tmp/missing")"
	else
		cp "$tmp/order" "$KDIR/modules.new/load"
	fi
	touch "$KDIR/modules.new/.complete"
	mv "$KDIR/modules.new" "$KDIR/modules"
}

if [ -f "$KDIR/.complete" ]; then
	# only the modules are missing: without them the kernel still serves
	if deb=$(download "$kpkg"); then
		dpkg-deb -x "$deb" "$tmp/k" && net_modules
	else
		log "$kpkg cannot be had again: no network modules for now"
	fi
	echo "$KDIR"
	exit 0
fi

deb=$(download "$kpkg")
dpkg-deb -x "$deb" "$tmp/k"
cp "$tmp/k/boot/vmlinuz-$release" "$KDIR/vmlinuz"
cp "$tmp/k/boot/config-$release" "$KDIR/config"
echo "$release" >"$KDIR/release"

deb=$(download busybox-static)
dpkg-deb -x "$deb" "$tmp/bb"
cp "$tmp/bb/bin/busybox" "$KDIR/busybox"
net_modules
rm -rf "$tmp/k"

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
