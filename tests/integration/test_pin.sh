# SPDX-License-Identifier: GPL-2.0
#
# test_pin.sh - restart without a blind spot (CONFIG_PIN_BPF). An agent
# built with pinning is stopped; its probes stay attached and keep
# capturing into the pinned ring. Execs run while no agent runs; the next
# agent takes the ring over and records them, once each.
. "$(dirname "$0")/lib.sh"

PIN=/sys/fs/bpf/edgetrace
if [ ! -x "${EDGETRACE_PIN:-}" ]; then
	echo "SKIP test_pin: no pinning build (EDGETRACE_PIN)"
	exit 0
fi
EDGETRACE=$(readlink -f "$EDGETRACE_PIN")
trap 'stop_agent >/dev/null 2>&1; rm -rf "$PIN" "$T"' EXIT
rm -rf "$PIN"

marker() { for _ in $(seq 1 "$2"); do /bin/true "$1"; done; }
count() { grep '"type":"exec"' "$T/q.json" | grep -c "\"cmdline\":\"/bin/true $1\""; }

start_agent "$T/spool" || { fail start "agent did not start"; exit 1; }
marker et-pin-before 3
sleep 0.3
stop_agent INT
check first_stop_clean test $? -eq 0
check link_pinned test -e "$(echo $PIN/abi*/link_et_exec)"
check ring_pinned test -e "$(echo $PIN/abi*/events)"

marker et-pin-while-down 5	# no agent runs now

start_agent "$T/spool" || { fail restart "agent did not restart"; exit 1; }
marker et-pin-after 2
sleep 0.3
stop_agent INT
check second_stop_clean test $? -eq 0

"$EDGETRACE" query --spool "$T/spool" --json >"$T/q.json"
check before_once test "$(count et-pin-before)" -eq 3
check while_down_captured test "$(count et-pin-while-down)" -eq 5
check after_once test "$(count et-pin-after)" -eq 2
# drained in order: what ran while down comes before what ran after
down=$(grep -n 'et-pin-while-down' "$T/q.json" | tail -1 | cut -d: -f1)
after=$(grep -n 'et-pin-after' "$T/q.json" | head -1 | cut -d: -f1)
check drained_in_order test "$down" -lt "$after"

rm -rf "$PIN"
check unpinned test ! -e "$PIN"
