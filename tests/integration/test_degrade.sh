# SPDX-License-Identifier: GPL-2.0
#
# test_degrade.sh - a probe that cannot run does not take the others down:
# one that this kernel's verifier rejects (EDGETRACE_TEST_REJECT makes one
# a socket filter calling tracing helpers) and one whose tracepoint does
# not exist (EDGETRACE_TEST_MISSING_TP points it at one) are each named
# with the reason, left out, listed as not attached by `status`, and the
# other probes capture as usual.
. "$(dirname "$0")/lib.sh"


EDGETRACE_TEST_REJECT=et_signal start_agent "$T/spool1" ||
	fail reject_start "agent did not start"
check reject_named grep -q "probe et_signal rejected by this kernel's verifier (" "$T/agent.err"
check reject_others_run grep -q "capturing (probes: et_exec" "$T/agent.err"
"$EDGETRACE" status --spool "$T/spool1" --json >"$T/status1.json"
check reject_status_inactive grep -q '"inactive":"[^"]*et_signal' "$T/status1.json"
check reject_status_active_exec grep -q '"active":"[^"]*et_exec' "$T/status1.json"
(cd /bin && ./true)
(trap - EXIT; exec sleep 60) & victim=$!
sleep 0.2	# until it has dropped the EXIT trap and exec()ed
kill -TERM "$victim"
wait "$victim" 2>/dev/null
sleep 0.3
stop_agent INT
check reject_stop_clean test $? -eq 0
"$EDGETRACE" query --spool "$T/spool1" 'evt.type = exec and proc.exe = /usr/bin/true' >"$T/q1"
check reject_exec_captured test "$(grep -c ' exec ' "$T/q1")" -ge 1
check reject_no_signals test "$("$EDGETRACE" query --spool "$T/spool1" 'evt.type = signal' | grep -vc '^SEQ')" -eq 0

EDGETRACE_TEST_MISSING_TP=et_setuid start_agent "$T/spool2" ||
	fail missing_start "agent did not start"
check missing_named grep -q "probe et_setuid not attached: No such file or directory" "$T/agent.err"
"$EDGETRACE" status --spool "$T/spool2" --json >"$T/status2.json"
check missing_status_inactive grep -q '"inactive":"[^"]*et_setuid' "$T/status2.json"
(cd /bin && ./true)
sleep 0.3
stop_agent INT
"$EDGETRACE" query --spool "$T/spool2" 'evt.type = exec and proc.exe = /usr/bin/true' >"$T/q2"
check missing_exec_captured test "$(grep -c ' exec ' "$T/q2")" -ge 1
