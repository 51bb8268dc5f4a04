#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/run.sh BUILD_DIR - run every test of one build and count.
#
# Unit tests: BUILD_DIR/tests/test_* (the target build, under $QEMU when
# the target is not the host) and BUILD_DIR/asan/test_* (host, ASan+UBSan).
# Integration tests: tests/integration/test_*.sh against BUILD_DIR/edgetrace,
# as root with real BPF. Every test prints "PASS name" or "FAIL name: why";
# a binary or script that exits non-zero without a FAIL line is a failure.
# The last line is "N passed, N failed" (", N skipped" when some were).
set -u

O=${1:?usage: tests/run.sh BUILD_DIR}
QEMU=${QEMU:-}
pass=0
fail=0
skip=0

# run_one LABEL CMD...: run a test program, echo and count its lines.
run_one() {
	local label=$1 out rc p f
	shift
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed -e "s/^\(PASS\|FAIL\|SKIP\) /\1 $label/"
	p=$(printf '%s\n' "$out" | grep -c '^PASS ')
	f=$(printf '%s\n' "$out" | grep -c '^FAIL ')
	s=$(printf '%s\n' "$out" | grep -c '^SKIP ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $label$(basename "${@: -1}"): exited with status $rc and no FAIL line"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
}

# The binary itself: static, for the right architecture, and it runs.
check_binary() {
	local bin=$O/edgetrace want desc out
	case ${TRIPLE:-} in
	x86_64-*) want='x86-64' ;;
	aarch64-*) want='ARM aarch64' ;;
	armv7-*) want='ARM, EABI5' ;;
	riscv64-*) want='RISC-V' ;;
	*) want='' ;;
	esac
	desc=$(file -b "$bin")
	if [[ $desc == *"statically linked"* && $desc == *"$want"* ]]; then
		echo "PASS binary.static_$(uname -m | tr -c 'a-z0-9\n' _)_host_sees_${TRIPLE:-unknown}"
	else
		echo "FAIL binary.static: want a static '$want' executable, file says: $desc"
	fi
	out=$($QEMU "$bin" --version 2>&1)
	if [[ $out == "edgetrace "*"(${TRIPLE:-}"* ]]; then
		echo "PASS binary.version"
	else
		echo "FAIL binary.version: want 'edgetrace ... (${TRIPLE:-}', got: $out"
	fi
}

run_one "" check_binary

for t in "$O"/tests/test_*; do
	[ -x "$t" ] || continue
	case $t in *.d) continue ;; esac
	run_one "" $QEMU "$t"
done

if [ -d "$O/asan" ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	for t in "$O"/asan/test_*; do
		[ -x "$t" ] || continue
		run_one "[asan] " "$t"
	done
fi

# fuzz_one FUZZER: run a libFuzzer binary for $FUZZ_SECONDS on a fresh copy
# of its seed corpus; one PASS or FAIL line. Brief on purpose, so that
# every CI run fuzzes a little; `make fuzz` runs longer.
fuzz_one() {
	local bin=$1 name log corpus runs
	name=${bin##*/fuzz_}
	log=$O/fuzz/$name.log
	corpus=$O/fuzz/corpus/$name
	rm -rf "$corpus" && mkdir -p "$O/fuzz/corpus" &&
		cp -r "tests/fuzz/corpus/$name" "$corpus" || {
		echo "FAIL fuzz.$name: cannot copy tests/fuzz/corpus/$name"
		return
	}
	if ASAN_OPTIONS= UBSAN_OPTIONS= "$bin" -max_total_time="$FUZZ_SECONDS" \
		-timeout=10 -artifact_prefix="$O/fuzz/$name-" "$corpus" \
		>"$log" 2>&1; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
		echo "PASS fuzz.$name (${runs:-?} runs in $FUZZ_SECONDS s)"
	else
		echo "FAIL fuzz.$name: $(grep -m1 -E 'ERROR|runtime error' "$log")" \
			"(input: $(sed -n 's/.*Test unit written to //p' "$log"), log: $log)"
	fi
}

# The fuzzers, on the host only (make test builds them there).
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
if [ -z "$QEMU" ] && [ -d "$O/fuzz" ]; then
	for t in "$O"/fuzz/fuzz_*; do
		[ -x "$t" ] || continue
		run_one "" fuzz_one "$t"
	done
fi

# The tests of the file and socket probes run against build/<board>-io
# (make io-variant) when the board's build lacks them.
IO_TESTS=
if ! grep -q '^CONFIG_PROBE_FILE=y' "$O/.config" ||
	! grep -q '^CONFIG_PROBE_NET=y' "$O/.config"; then
	for t in tests/integration/test_file.sh tests/integration/test_net.sh; do
		[ -f "$t" ] && [ -x "$O-io/edgetrace" ] && IO_TESTS="$IO_TESTS $t"
	done
fi
is_io_test() {
	case " $IO_TESTS " in *" $1 "*) return 0 ;; esac
	return 1
}

if [ -n "$QEMU" ]; then
	echo "SKIP integration tests: the target is not this machine"
	skip=$((skip + 1))
elif [ "$(id -u)" -ne 0 ]; then
	echo "SKIP integration tests: they load BPF programs and need root"
	skip=$((skip + 1))
else
	export ET_TOOLS="$O/tools"
	export EDGETRACE_PIN="$O-pin/edgetrace"
	export EDGETRACE="$O/edgetrace"
	for t in tests/integration/test_*.sh; do
		is_io_test "$t" || run_one "" bash "$t"
	done
	# the file and socket probes, on the build that has them
	for t in $IO_TESTS; do
		EDGETRACE="$O-io/edgetrace" ET_TOOLS="$O-io/tools" \
			run_one "[io] " bash "$t"
	done
	# the same tests against the agent built with ASan + UBSan
	if [ -x "$O/asan/edgetrace" ]; then
		san=$(mktemp -d /tmp/et-sanitizer-XXXXXX)
		export EDGETRACE="$O/asan/edgetrace"
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99:log_path=$san/asan
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$san/ubsan
		export ET_KILL9_CYCLES=20	# the 100 cycles ran above
		for t in tests/integration/test_*.sh; do
			case $t in */test_pin.sh | */test_make.sh | */test_packaging.sh | \
				*/test_bpf_objects.sh) continue ;; esac
			is_io_test "$t" || run_one "[asan] " bash "$t"
		done
		for t in $IO_TESTS; do
			EDGETRACE="$O-io/asan/edgetrace" ET_TOOLS="$O-io/tools" \
				run_one "[io asan] " bash "$t"
		done
		# a report fails the run even where a test did not look
		if ls "$san"/* >/dev/null 2>&1; then
			echo "FAIL [asan] agent: sanitizer reports in $san:"
			head -20 "$san"/* | sed 's/^/    /'
			fail=$((fail + 1))
		else
			echo "PASS [asan] agent.no_sanitizer_reports"
			pass=$((pass + 1))
			rm -rf "$san"
		fi
	fi
fi

# The emulated boards (tests/system/): Debian's kernel booted under QEMU
# with a board's build, on the host board only. Each SKIPs when its kernel
# cannot be fetched or its board was not built. EDGETRACE_SYSTEM_BOARDS
# (default qemu-arm64 armv7; empty for none) chooses the boards.
if [ -z "$QEMU" ]; then
	for b in ${EDGETRACE_SYSTEM_BOARDS-qemu-arm64 armv7}; do
		EDGETRACE_HOST="$O/edgetrace" run_one "" bash tests/system/run.sh \
			--build-existing --no-total "$b"
	done
fi

line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ]
