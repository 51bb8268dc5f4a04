# SPDX-License-Identifier: GPL-2.0
#
# test_bpf_objects.sh - the BPF object of every board built so far passes
# this kernel's verifier. The bytecode is the same for every target but
# for its CO-RE relocations (libbpf resolves them against this kernel's
# BTF); the field sizes of a 32-bit kernel are exercised on the armv7
# board itself (tests/system). With `make test-all`, the foreign boards
# are built before x86_64, so all four objects are checked, and so are
# the boards' reduced-mode objects.
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the tools directory}"
build=$(dirname "$(dirname "$ET_TOOLS")")
n=0
for obj in "$build"/*/bpf/edgetrace.o; do
	board=$(basename "$(dirname "$(dirname "$obj")")")
	case $board in *-pin) continue ;; esac
	if out=$("$ET_TOOLS/bpfload" "$obj" 2>&1) && grep -q '^loaded [1-9]' <<<"$out"; then
		pass "verifier_accepts_$board"
	else
		fail "verifier_accepts_$board" "$(tail -5 <<<"$out" | tr '\n' ' ')"
	fi
	# with direct loads through task BTF pointers (bpf/common.bpf.h),
	# which the agent turns on where the kernel has them (this one)
	if out=$("$ET_TOOLS/bpfload" -s et_task_btf=1 "$obj" 2>&1) &&
	   grep -q '^loaded [1-9]' <<<"$out"; then
		pass "verifier_accepts_direct_loads_$board"
	else
		fail "verifier_accepts_direct_loads_$board" "$(tail -5 <<<"$out" | tr '\n' ' ')"
	fi
	n=$((n + 1))
done
check some_objects_found test "$n" -gt 0

# reduced mode's object (CONFIG_REDUCED_MODE) of every board, with its
# tracepoint offsets all unset: no CO-RE, so nothing for libbpf to fix
for obj in "$build"/*/bpf/reduced.o; do
	[ -f "$obj" ] || continue
	board=$(basename "$(dirname "$(dirname "$obj")")")
	case $board in *-pin | *-sz-* | *-fp-*) continue ;; esac
	if out=$("$ET_TOOLS/bpfload" "$obj" 2>&1) && grep -q '^loaded [1-9]' <<<"$out"; then
		pass "verifier_accepts_reduced_$board"
	else
		fail "verifier_accepts_reduced_$board" "$(tail -5 <<<"$out" | tr '\n' ' ')"
	fi
done
