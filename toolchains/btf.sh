#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# btf.sh - the kernel BTF a board needs when its kernel has none built in
# (no /sys/kernel/btf/vmlinux): only the types the agent's BPF object
# relocates against, as `bpftool gen min_core_btf` finds them.
#
#	toolchains/btf.sh KERNEL OBJECT OUT
#
# KERNEL is the board kernel's BTF (a raw BTF file such as
# /sys/kernel/btf/vmlinux, or an ELF vmlinux with a .BTF section) or its
# vmlinux with DWARF (from a -dbg package), which pahole (Debian's
# dwarves) turns into BTF first. OBJECT is build/<board>/bpf/edgetrace.o.
# `make btf KERNEL=...` runs this; install OUT on the board as
# CONFIG_BTF_FILE or pass it to `edgetrace run --btf`. When KERNEL is a
# BTF file (the board kernel's /sys/kernel/btf/vmlinux), OUT.id records
# which one, and the agent ignores OUT on any other kernel.
set -eu

die() { echo "btf.sh: $*" >&2; exit 1; }

[ $# -eq 3 ] || die "usage: toolchains/btf.sh KERNEL OBJECT OUT"
kernel=$1 obj=$2 out=$3
[ -r "$kernel" ] || die "cannot read KERNEL=$kernel: give the board kernel's BTF or its vmlinux with debug info"
[ -r "$obj" ] || die "cannot read $obj: build the board first (make)"
command -v bpftool >/dev/null || die "bpftool is missing (apt-get install bpftool)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src=$kernel
if ! bpftool btf dump file "$kernel" >/dev/null 2>&1; then
	# no BTF in it: DWARF through pahole
	command -v pahole >/dev/null ||
		die "$kernel has no BTF; making it from DWARF needs pahole (apt-get install dwarves)"
	pahole --btf_encode_detached="$tmp/full.btf" "$kernel" >/dev/null 2>"$tmp/pahole.err" ||
		die "pahole could not make BTF from $kernel: $(head -3 "$tmp/pahole.err")"
	src=$tmp/full.btf
fi
bpftool gen min_core_btf "$src" "$tmp/min.btf" "$obj" >/dev/null 2>"$tmp/gen.err" ||
	die "bpftool gen min_core_btf failed: $(head -3 "$tmp/gen.err")"
mkdir -p "$(dirname "$out")"
mv "$tmp/min.btf" "$out"
# A kernel that has BTF of its own can still be given the small file (it
# saves the agent parsing megabytes of BTF at start): OUT.id names the
# kernel BTF it was made from (CRC-32 and size), so that the agent uses the
# file only on that kernel.
rm -f "$out.id"
if [ "$src" = "$kernel" ]; then
	python3 -c 'import sys, zlib; d = open(sys.argv[1], "rb").read(); print("crc32 %08x size %d" % (zlib.crc32(d), len(d)))' \
		"$kernel" >"$out.id"
fi
echo "  BTF     $out ($(stat -c %s "$out") bytes, from $kernel)"
