#!/bin/bash
# install-deps.sh - install everything edgetrace needs to build and test.
#
# Run as root on Debian 12 (bookworm). Idempotent: a second run only checks
# that the apt source file is unchanged and that every package is installed,
# which takes well under a second.
#
# The pinned libraries (toolchains/versions.mk) come from Debian 13 (trixie)
# *source* packages, so we add deb-src lines for trixie. Never add a "deb"
# line for trixie: its binaries would replace bookworm's libc on the host.
set -eu

# Every Debian package the build and the tests need. Extend here, one group
# per line, with a comment saying who needs it.
PACKAGES="
	build-essential make gcc pkg-config cmake file xz-utils bzip2
	clang llvm bpftool linux-libc-dev
	libclang-rt-14-dev
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu linux-libc-dev-arm64-cross
	gcc-arm-linux-gnueabihf binutils-arm-linux-gnueabihf linux-libc-dev-armhf-cross
	gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu linux-libc-dev-riscv64-cross
	qemu-user-static
	python3 python3-kconfiglib
	dpkg-dev gpgv debian-archive-keyring ca-certificates patch
	m4
	libsqlite3-dev zlib1g-dev
	busybox-static systemd
	openssl python3-cryptography
	libpq-dev postgresql curl
	qemu-system-arm dwarves cpio
"
#   build-essential make gcc pkg-config cmake: zlib, libbpf, lmdb, mbedtls
#   clang llvm bpftool linux-libc-dev: BPF objects, skeletons, uapi headers
#   libclang-rt-14-dev: libFuzzer and clang's sanitizer runtimes for
#     make fuzz; clang only Recommends it (via libclang-common-14-dev)
#     and we install with --no-install-recommends
#   gcc-*-linux-gnu* binutils-*: cross compilers for the musl targets;
#     build.sh builds the pinned musl with them (no musl-tools needed)
#   linux-libc-dev-*-cross: each cross target's kernel uapi headers
#   qemu-user-static: runs the cross targets' test binaries
#   python3 python3-kconfiglib: Kconfig front end, mbedtls config script
#   dpkg-dev gpgv debian-archive-keyring: apt-get source, dpkg-source -x
#   file xz-utils bzip2: unpacking source tarballs, checking binaries
#   m4: elfutils' headers are plain C, but keep m4 for autotools fallbacks
#   libsqlite3-dev zlib1g-dev: bench/spool.sh's SQLite baseline
#     (bench/sqlite_insert.c, built with the host gcc: -lsqlite3 -lz)
#   busybox-static systemd: test_packaging runs the board init script
#     under busybox sh and checks the unit with systemd-analyze verify
#   openssl python3-cryptography: test_sealed (keys of other types, the
#     device certificate recipe of docs/uplink.md, and an independent
#     decoder of docs/sealed-format.md)
#   libpq-dev postgresql curl: the fleet collector (collector/, built for
#     the host only) links Debian's libpq; test_collector and
#     bench/collector.sh start a throwaway PostgreSQL cluster with its
#     initdb and pg_ctl and post batches over mutual TLS with curl
#   qemu-system-arm dwarves cpio: tests/system/ (make system-test, and
#     make test on the host board) boots Debian's arm64 and armhf kernels
#     with qemu-system-aarch64 and qemu-system-arm (both in qemu-system-arm)
#     from a cpio initramfs; dwarves' pahole makes the armhf kernel's BTF
#     from its -dbg package (tests/system/fetch.sh adds the arm64 and armhf
#     architectures to dpkg to download those packages)

SOURCES_FILE=/etc/apt/sources.list.d/edgetrace-src.sources
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MIRROR=http://deb.debian.org/debian

die() { echo "install-deps: $*" >&2; exit 1; }

check_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo bash $0)"
	command -v apt-get >/dev/null || die "apt-get not found: Debian 12 is required"
}

# deb822 text for the source file. deb-src only: we fetch source packages.
sources_text() {
	cat <<EOF
# Written by edgetrace toolchains/install-deps.sh. Source packages only:
# the pinned libraries are built from trixie sources (toolchains/versions.mk).
# Do NOT add "Types: deb" for trixie; the host stays on bookworm binaries.
Types: deb-src
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: $KEYRING

Types: deb-src
URIs: $MIRROR
Suites: trixie
Components: main
Signed-By: $KEYRING
EOF
}

# Write the source file if it differs; return 0 if it changed.
write_sources() {
	local want
	want=$(sources_text)
	if [ -f "$SOURCES_FILE" ] && [ "$(cat "$SOURCES_FILE")" = "$want" ]; then
		return 1
	fi
	printf '%s\n' "$want" >"$SOURCES_FILE"
	echo "install-deps: wrote $SOURCES_FILE"
	return 0
}

# Print the packages that are not installed (empty when all are).
missing_packages() {
	local p status
	for p in $PACKAGES; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
		case "$status" in
		ii*) ;;
		*) echo "$p" ;;
		esac
	done
}

# apt-cache showsrc needs the trixie Sources index; it is missing when apt
# lists were cleaned or never fetched with our source file in place.
have_trixie_sources() {
	ls /var/lib/apt/lists/*_dists_trixie_main_source_Sources* >/dev/null 2>&1
}

apt_update() {
	echo "install-deps: apt-get update"
	apt-get update -qq || die "apt-get update failed: check network access to $MIRROR"
}

main() {
	local missing updated=0
	check_root
	[ -f "$KEYRING" ] || die "$KEYRING missing: apt-get install debian-archive-keyring"
	if write_sources || ! have_trixie_sources; then
		apt_update
		updated=1
	fi
	missing=$(missing_packages)
	if [ -z "$missing" ]; then
		echo "install-deps: all packages installed"
		return 0
	fi
	[ "$updated" -eq 1 ] || apt_update
	# $missing unquoted on purpose: one word per package.
	# shellcheck disable=SC2086
	echo "install-deps: installing:" $missing
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$missing || die "apt-get install failed for: $missing"
	missing=$(missing_packages)
	[ -z "$missing" ] || die "still not installed after apt-get install: $missing"
	echo "install-deps: done"
}

main "$@"
