# SPDX-License-Identifier: GPL-2.0
#
# test_exec.sh - the walking skeleton end to end, with real BPF: an exec
# started by the test goes through the tracepoint, the ring buffer, the
# agent and the LMDB spool, and comes back out of `query` with its pid,
# comm and the absolute path of the executable although it was started
# through a relative path.
. "$(dirname "$0")/lib.sh"

if ! start_agent "$T/spool" --json; then
	fail start "the agent did not report that it is capturing"
	exit 1
fi
pass start

# The pid is known before the exec: the process prints its own pid, then
# calls execve("./true") from /usr/bin (python, because bash's exec builtin
# makes the path absolute before calling execve).
pid=$(/usr/bin/python3 -c 'import os, sys
print(os.getpid(), flush=True)
os.chdir("/usr/bin")
os.execv("./true", ["./true", "et-marker-1"])' | head -1)
# A short burst that must all be captured, then a clean stop.
for i in $(seq 1 200); do /bin/true et-burst; done
sleep 0.2
stop_agent INT
check clean_exit test $? -eq 0
check summary_printed grep -q 'events recorded, 0 dropped' "$T/agent.err"

"$EDGETRACE" query --spool "$T/spool" --json >"$T/q.json"
check query_exit test $? -eq 0
# the pid execs twice (python, then ./true): take the exec of ./true
line=$(grep "\"pid\":$pid," "$T/q.json" | grep '"filename":"./true"' | head -1)
check exec_found test -n "$line"
check exec_comm grep -q '"name":"true"' <<<"$line"
check exec_abs_path grep -q '"exe":"/usr/bin/true"' <<<"$line"
check exec_filename grep -q '"filename":"./true"' <<<"$line"
check exec_cmdline grep -q '"cmdline":"./true et-marker-1"' <<<"$line"
check exec_uid grep -q '"uid":0,' <<<"$line"
# the live --json output shows the same event
check live_json grep -q "\"pid\":$pid,.*\"exe\":\"/usr/bin/true\"" "$T/agent.out"
# nothing lost on a clean stop: the 200 execs of the burst are all there
n=$(grep '"type":"exec"' "$T/q.json" | grep -c '"cmdline":"/bin/true et-burst"')
check burst_all_200 test "$n" -eq 200
# sequence numbers are contiguous from 1
seqs=$(grep -o '"seq":[0-9]*' "$T/q.json" | cut -d: -f2)
first=$(head -1 <<<"$seqs"); last=$(tail -1 <<<"$seqs")
count=$(wc -l <<<"$seqs")
check seq_contiguous test "$first" -eq 1 -a "$last" -eq "$count"

# the table shows pid and comm
"$EDGETRACE" query --spool "$T/spool" >"$T/q.txt"
check table_row grep -Eq "^[0-9]+ +[0-9T:.-]+Z +exec +$pid +true +/usr/bin/true" "$T/q.txt"

# status agrees with query
"$EDGETRACE" status --spool "$T/spool" --json >"$T/status.json"
check status_records grep -q "\"records\":$count," "$T/status.json"

# A probe whose hook this kernel lacks (module_load without module support)
# is named, left out, and the others run; status says which are active.
if [ -e /sys/kernel/tracing/events/module/module_load ] ||
   [ -e /sys/kernel/debug/tracing/events/module/module_load ]; then
	check module_probe_active grep -q 'et_module' <<<"$(grep capturing "$T/agent.err")"
else
	check module_probe_named grep -q 'probe et_module not attached' "$T/agent.err"
	check others_still_run grep -q 'capturing (probes: et_exec' "$T/agent.err"
fi
