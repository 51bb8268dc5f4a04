# SPDX-License-Identifier: GPL-2.0
#
# test_gaps.sh - drop accounting. A deliberately tiny ring (16 KiB, about
# twenty exec events) and an agent stopped with SIGSTOP while 2,000 execs
# run: the ring overflows. The kernel counts every event the probes issue
# and every one they could not send; the agent writes gap records. The
# counts must add up exactly: issued = recorded + dropped, and the gap
# records in the spool say exactly how many were dropped.
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the tools directory}"
export EDGETRACE_TEST_RINGBUF_KIB=16
if ! start_agent "$T/spool"; then
	fail start "the agent did not start"
	exit 1
fi
unset EDGETRACE_TEST_RINGBUF_KIB
kill -STOP "$AGENT_PID"
"$ET_TOOLS/execstorm" -n 2000 -d /usr/bin ./true >/dev/null
kill -CONT "$AGENT_PID"
sleep 0.5
stop_agent INT
check clean_exit test $? -eq 0

line=$(grep 'stopped:' "$T/agent.err")
recorded=$(sed -E 's/.*stopped: ([0-9]+) events recorded.*/\1/' <<<"$line")
dropped=$(sed -E 's/.* ([0-9]+) dropped.*/\1/' <<<"$line")
issued=$(sed -E 's/.* ([0-9]+) issued.*/\1/' <<<"$line")
echo "# recorded=$recorded dropped=$dropped issued=$issued"
check ring_overflowed test "$dropped" -gt 0
check issued_is_recorded_plus_dropped test "$issued" -eq $((recorded + dropped))

"$EDGETRACE" query --spool "$T/spool" --json >"$T/q.json"
lost=$(grep '"type":"gap"' "$T/q.json" | grep -o '"lost":[0-9]*' |
	cut -d: -f2 | awk '{ n += $1 } END { print n + 0 }')
check gap_records_exist grep -q '"type":"gap".*"cause":"ring_full"' "$T/q.json"
if [ "${lost:-0}" -eq "$dropped" ]; then
	pass gaps_add_up
else
	fail gaps_add_up "gap records say ${lost:-0} lost, the kernel dropped $dropped"
fi
events=$(grep -vc '"type":"gap"' "$T/q.json")
check spool_has_every_recorded test "$events" -eq "$recorded"
