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
# /sys/kernel/btf/vmlinux, an ELF vmlinux with a .BTF section, or an
# uncompressed kernel Image that carries it, like arm64's) or its vmlinux
# with DWARF (from a -dbg package), which pahole (Debian's dwarves) turns
# into BTF first. OBJECT is build/<board>/bpf/edgetrace.o.
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
# any objcopy that reads the board's ELF: $OBJCOPY (an image build's
# cross objcopy), else LLVM's, which reads every architecture's
objcopy=${OBJCOPY:-$(command -v llvm-objcopy || echo objcopy)}
# image_btf IMAGE OUT: the BTF blob a kernel Image carries (between
# __start_BTF and __stop_BTF): a header with magic 0xeb9f, version 1,
# hdr_len 24, types then strings, the longest such that is consistent.
image_btf() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
magic = b"\x9f\xeb\x01\x00\x18\x00\x00\x00"
best = (0, 0)
i = d.find(magic)
while 0 <= i <= len(d) - 24:
    toff, tlen, soff, slen = struct.unpack_from("<4I", d, i + 8)
    n = 24 + soff + slen
    if (toff == 0 and soff == tlen > 0 and slen > 0 and i + n <= len(d)
            and d[i + 24 + soff] == 0 and d[i + n - 1] == 0 and n > best[1]):
        best = (i, n)
    i = d.find(magic, i + 1)
if not best[1]:
    sys.exit(1)
open(sys.argv[2], "wb").write(d[best[0]:best[0] + best[1]])
EOF
}

# src: the kernel's own BTF, byte for byte what its /sys/kernel/btf/vmlinux
# holds, when KERNEL carries it; else BTF made by pahole from DWARF
src=$kernel
own=1
if [ "$(head -c 4 "$kernel" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] &&
	"$objcopy" --dump-section .BTF="$tmp/own.btf" "$kernel" "$tmp/discard" 2>/dev/null &&
	[ -s "$tmp/own.btf" ]; then
	src=$tmp/own.btf	# an ELF vmlinux: its .BTF section
elif ! bpftool btf dump file "$kernel" >/dev/null 2>&1 &&
	image_btf "$kernel" "$tmp/own.btf" &&
	bpftool btf dump file "$tmp/own.btf" >/dev/null 2>&1; then
	src=$tmp/own.btf	# a kernel Image with BTF built in
fi
if ! bpftool btf dump file "$src" >/dev/null 2>&1; then
	# no BTF in it: DWARF through pahole
	own=0
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
if [ $own = 1 ]; then
	python3 -c 'import sys, zlib; d = open(sys.argv[1], "rb").read(); print("crc32 %08x size %d" % (zlib.crc32(d), len(d)))' \
		"$src" >"$out.id"
fi
echo "  BTF     $out ($(stat -c %s "$out") bytes, from $kernel)"
