# SPDX-License-Identifier: GPL-2.0
#
# test_kill9.sh - the spool survives kill -9 of the agent at any moment.
# 100 cycles (ET_KILL9_CYCLES) on one spool, under a steady exec load: the
# agent runs for a random 0-300 ms after it reports capturing, then gets
# SIGKILL, possibly inside a commit. After every kill the spool opens, its
# sequence numbers are contiguous, and each new agent continues the
# numbering after the last committed record.
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the tools directory}"
cycles=${ET_KILL9_CYCLES:-100}
spool=$T/spool
load_pid=
trap 'kill $load_pid 2>/dev/null; stop_agent >/dev/null 2>&1; rm -rf "$T"' EXIT

# a steady background load of execs, until the test ends
( while :; do "$ET_TOOLS/execstorm" -n 200 -d /usr/bin ./true >/dev/null 2>&1; done ) &
load_pid=$!

bad_open=0 bad_seq=0 bad_cont=0 bad_cursor=0 pulls=0 last=0
for i in $(seq 1 "$cycles"); do
	if ! start_agent "$spool"; then
		fail "start_$i" "agent did not start after kill $((i - 1))"
		break
	fi
	# an operator's pull moves its cursor while the agent writes
	"$EDGETRACE" export --spool "$spool" --cursor pull >/dev/null 2>&1 &&
		pulls=$((pulls + 1))
	sleep "0.$(printf '%03d' $((RANDOM % 300)))"
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
	if ! "$EDGETRACE" status --spool "$spool" --json >"$T/st" 2>"$T/st.err"; then
		bad_open=$((bad_open + 1))
		echo "# cycle $i: status failed: $(head -c 200 "$T/st.err")"
		continue
	fi
	first=$(grep -o '"first_seq":[0-9]*' "$T/st" | cut -d: -f2)
	now=$(grep -o '"last_seq":[0-9]*' "$T/st" | cut -d: -f2)
	records=$(grep -o '"records":[0-9]*' "$T/st" | cut -d: -f2)
	# contiguous: exactly last - first + 1 records
	if [ "$records" -gt 0 ] && [ "$records" -ne $((now - first + 1)) ]; then
		bad_seq=$((bad_seq + 1))
		echo "# cycle $i: $records records for seq $first..$now"
	fi
	# a cursor never points past the data
	cur=$(grep -o '"name":"pull","next_seq":[0-9]*' "$T/st" | cut -d: -f3)
	if [ -n "$cur" ] && [ "$cur" -gt $((now + 1)) ]; then
		bad_cursor=$((bad_cursor + 1))
		echo "# cycle $i: cursor at $cur, last record $now"
	fi
	# committed records never go away, numbering only grows
	if [ "$now" -lt "$last" ]; then
		bad_cont=$((bad_cont + 1))
		echo "# cycle $i: last seq went back from $last to $now"
	fi
	last=$now
done
kill "$load_pid" 2>/dev/null
wait "$load_pid" 2>/dev/null

echo "# $cycles kill -9 cycles, spool ends at seq $last"
check spool_always_opens test "$bad_open" -eq 0
check seqs_always_contiguous test "$bad_seq" -eq 0
check committed_never_lost test "$bad_cont" -eq 0
check cursor_never_past_data test "$bad_cursor" -eq 0
check cursor_pulls_ran test "$pulls" -gt 0
check records_were_written test "$last" -gt 0
# every record decodes, in order, one line per seq
"$EDGETRACE" query --spool "$spool" --json >"$T/all" 2>"$T/q.err"
check query_reads_all test $? -eq 0
seqs=$(grep -o '"seq":[0-9]*' "$T/all" | cut -d: -f2)
check query_seqs_in_order test "$(sort -n <<<"$seqs" | uniq)" = "$seqs"
