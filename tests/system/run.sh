#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/system/run.sh [OPTION]... [BOARD...] - the emulated board tests
# (tests/system/board.sh) for each BOARD (default: qemu-arm64 armv7), one
# after the other, then "N passed, N failed" (", N skipped").
#
#   --build           first `make BOARD=<b> all tools` for each board (and
#                     `io-variant` when its configuration leaves out the
#                     file or socket probes), building the board's toolchain
#                     when it was never built; for qemu-arm64 also
#                     `uplink-variant`, which board.sh then boots (the
#                     uplink phase)
#   --build-existing  the same, only for the boards already built
#                     (build/<b>/toolchain.mk); the others are left alone
#                     (board.sh then uses build/<b> or SKIPs)
#   --no-total        no closing total line (tests/run.sh counts the lines)
#
# EDGETRACE_HOST names the host edgetrace (default build/x86_64/edgetrace).
# `make system-test` runs this with --build; tests/run.sh (make test on
# the host board) runs it for the boards in EDGETRACE_SYSTEM_BOARDS.
set -u
cd "$(dirname "$0")/../.." || exit 1

build=0
total=1
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=2 ;;
	--build-existing) build=1 ;;
	--no-total) total=0 ;;
	-*) echo "usage: tests/system/run.sh [--build|--build-existing] [--no-total] [BOARD...]" >&2
		exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -gt 0 ] || set -- qemu-arm64 armv7
pass=0
fail=0
skip=0

for b in "$@"; do
	if [ $build = 2 ] || { [ $build = 1 ] && [ -f "build/$b/toolchain.mk" ]; }; then
		t0=$(date +%s)
		log=$(mktemp)
		goals="all tools"
		grep -q '^CONFIG_PROBE_FILE=y' "build/$b/.config" 2>/dev/null &&
			grep -q '^CONFIG_PROBE_NET=y' "build/$b/.config" ||
			goals="$goals io-variant"
		# the uplink phase (board.sh then boots build/<b>-uplink)
		[ "$b" = qemu-arm64 ] && goals="$goals uplink-variant"
		if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
			make --no-print-directory BOARD="$b" $goals >"$log" 2>&1; then
			echo "# system.$b: make BOARD=$b $goals: $(($(date +%s) - t0)) s"
		else
			echo "FAIL system.$b.build: make BOARD=$b $goals failed:"
			tail -15 "$log" | sed 's/^/#   /'
			fail=$((fail + 1))
			rm -f "$log"
			continue
		fi
		rm -f "$log"
	fi
	out=$(bash tests/system/board.sh "$b" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(grep -c '^PASS ' <<<"$out")
	f=$(grep -c '^FAIL ' <<<"$out")
	s=$(grep -c '^SKIP ' <<<"$out")
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL system.$b: board.sh exited with status $rc and no FAIL line"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
done

line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
[ $total = 1 ] && echo "$line"
[ "$fail" -eq 0 ]
