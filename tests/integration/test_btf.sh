# SPDX-License-Identifier: GPL-2.0
#
# test_btf.sh - kernels without built-in BTF: `make btf` makes the small
# BTF file the probes need (bpftool gen min_core_btf, here from this
# kernel's own BTF), and the agent relocates against it with --btf (or
# the config file's btf =) and captures as usual, its peak RSS under
# MISSION's 8 MiB since it never parses the kernel's whole BTF. A file
# made from another kernel's BTF is not used; a missing or broken one is
# refused with a message naming it.
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the tools directory}"
build=$(dirname "$ET_TOOLS")
board=$(basename "$build")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

make -s -C "$ROOT" BOARD="$board" btf KERNEL=/sys/kernel/btf/vmlinux >"$T/make.out" 2>&1
check make_btf test $? -eq 0 -a -s "$build/vmlinux.btf"
size=$(stat -c %s "$build/vmlinux.btf" 2>/dev/null || echo 0)
full=$(stat -c %s /sys/kernel/btf/vmlinux)
# only what the probes relocate against: a few KiB of the kernel's MiBs
check btf_is_minimal test "$size" -gt 0 -a "$size" -lt $((full / 100))

check btf_id_written grep -Eq '^crc32 [0-9a-f]{8} size [0-9]+$' "$build/vmlinux.btf.id"

# the kernel's own BTF inside an ELF vmlinux (.BTF) or a kernel Image
# (arm64's is uncompressed) is found there: the .id names the same BTF
printf 'int x;\n' | gcc -c -x c - -o "$T/empty.o"
llvm-objcopy --add-section .BTF=/sys/kernel/btf/vmlinux "$T/empty.o" "$T/vmlinux"
{ head -c 4096 /dev/urandom; printf '\237\353\001\000\030\000\000\000junk';
  cat /sys/kernel/btf/vmlinux; head -c 4096 /dev/urandom; } >"$T/Image"
for k in vmlinux Image; do
	"$ROOT/toolchains/btf.sh" "$T/$k" "$build/bpf/edgetrace.o" "$T/$k.btf" >/dev/null 2>&1
	check "btf_from_$k" cmp -s "$T/$k.btf.id" "$build/vmlinux.btf.id"
done

cp "$build/vmlinux.btf" "$T/board.btf"
cp "$build/vmlinux.btf.id" "$T/board.btf.id"
start_agent "$T/spool" --btf "$T/board.btf" || fail btf_start "agent did not start"
check btf_used grep -q "CO-RE against the BTF in $T/board.btf" "$T/agent.err"
(cd /bin && ./true)
sleep 0.3
# the agent never parsed this kernel's megabytes of BTF: MISSION's 8 MiB
case $EDGETRACE in
*/asan/*) ;;	# ASan's shadow memory is not the agent's
*)	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$AGENT_PID/status")
	check btf_peak_rss_under_8mib test "$hwm" -lt 8192 ;;
esac
stop_agent INT
check btf_stop_clean test $? -eq 0
"$EDGETRACE" query --spool "$T/spool" --json 'evt.type = exec and proc.exe = /usr/bin/true' >"$T/exec.json"
check btf_exec_captured test -s "$T/exec.json"

# the same from the config file
printf 'btf = %s\n' "$T/board.btf" >"$T/btf.conf"
start_agent "$T/spool2" --config "$T/btf.conf" || fail btf_config_start "agent did not start"
check btf_config_used grep -q "CO-RE against the BTF in $T/board.btf" "$T/agent.err"
stop_agent INT

# a file made from another kernel's BTF is not used on this one
echo "crc32 00000000 size 1" >"$T/board.btf.id"
start_agent "$T/spool4" --btf "$T/board.btf" || fail btf_other_start "agent did not start"
check btf_other_kernel_warned grep -q "was made from another kernel's BTF" "$T/agent.err"
check btf_other_kernel_not_used test "$(grep -c 'CO-RE against' "$T/agent.err")" -eq 0
stop_agent INT

rc=0
"$EDGETRACE" run --spool "$T/never" --btf "$T/none.btf" 2>"$T/err" || rc=$?
check btf_missing_refused test "$rc" -eq 2 -a -n "$(grep "cannot read --btf $T/none.btf" "$T/err")"
check btf_missing_wrote_nothing test ! -e "$T/never"
head -c 64 "$T/board.btf" >"$T/broken.btf"
rc=0
"$EDGETRACE" run --spool "$T/s3" --btf "$T/broken.btf" 2>"$T/err" || rc=$?
check btf_broken_refused test "$rc" -ne 0 -a -n "$(grep "with the BTF in $T/broken.btf" "$T/err")"
