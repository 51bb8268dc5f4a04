# SPDX-License-Identifier: GPL-2.0
#
# test_make.sh - the build's user-facing targets: size, install, V=1,
# savedefconfig, help, and a clear error for an unknown board. Runs make
# from the top of the tree on the board under test (from $ET_TOOLS).
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the tools directory}"
board=$(basename "$(dirname "$ET_TOOLS")")
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory "$@"; }

mk -s BOARD="$board" size >"$T/size" 2>&1
check size_table grep -Eq '^TOTAL +[0-9]+' "$T/size"
check size_has_libbpf grep -q '^libbpf.a ' "$T/size"
check size_stripped grep -Eq '^stripped binary: [0-9]+ bytes' "$T/size"

mk -s BOARD="$board" install DESTDIR="$T/root" PREFIX=/usr >/dev/null 2>&1
bin=$T/root/usr/sbin/edgetrace
check install_executable test -x "$bin"
check install_static grep -q 'statically linked' <<<"$(file -b "$bin")"
check install_stripped grep -q ', stripped' <<<"$(file -b "$bin")"
# the BPF object is carried gzipped (core/bpfobj.S), not as a raw ELF: no
# BPF ELF header (e_machine 247, EM_BPF) in the binary, and the .gz whole
check bpf_object_not_raw test "$(LC_ALL=C grep -a -c -P \
	'(?s)\x7fELF[\x01\x02][\x01\x02]\x01.{11}\xf7\x00' "$bin")" -eq 0
gz=build/$board/bpf/edgetrace.o.gz
check bpf_object_gzipped python3 -c 'import sys
b, g = (open(f, "rb").read() for f in sys.argv[1:])
sys.exit(g not in b)' "$bin" "$gz"

mk V=1 BOARD="$board" >"$T/v1" 2>&1
check v1_shows_commands grep -q '^mkdir -p build/' "$T/v1"
mk BOARD="$board" >"$T/quiet" 2>&1
check quiet_by_default test "$(grep -c '^mkdir' "$T/quiet")" -eq 0

rm -f "build/$board/defconfig"
mk -s BOARD="$board" savedefconfig >/dev/null 2>&1
check savedefconfig test -f "build/$board/defconfig"

mk help >"$T/help" 2>&1
check help_lists_boards grep -q "^Boards: .*$board" "$T/help"

rc=0
mk nosuch_defconfig >"$T/nosuch" 2>&1 || rc=$?
check unknown_board_fails test "$rc" -ne 0
check unknown_board_named grep -q 'no such board: board/nosuch_defconfig' "$T/nosuch"
