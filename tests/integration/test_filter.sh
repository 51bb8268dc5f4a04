# SPDX-License-Identifier: GPL-2.0
#
# test_filter.sh - the filter language through the agent: `run --filter`
# records only what matches (gap records excepted), `query EXPR` selects
# from a spool, and a bad expression is refused with a caret under the bad
# token, exit code 2, before anything is written.
. "$(dirname "$0")/lib.sh"

start_agent "$T/spool" --filter 'evt.type = exec and proc.cmdline contains et-keep' ||
	{ fail start "agent did not start"; exit 1; }
/bin/true et-keep-1
/bin/true et-drop-1
/bin/true et-keep-2
sleep 0.3
stop_agent INT
check stop_clean test $? -eq 0
check summary_counts_filtered grep -Eq ' [1-9][0-9]* filtered out' "$T/agent.err"

"$EDGETRACE" query --spool "$T/spool" --json >"$T/all.json"
check kept_only_matching test "$(grep -vc '"type":"gap"' "$T/all.json")" -eq 2
check kept_first grep -q '"cmdline":"/bin/true et-keep-1"' "$T/all.json"
check kept_second grep -q '"cmdline":"/bin/true et-keep-2"' "$T/all.json"
check dropped_other test "$(grep -c 'et-drop' "$T/all.json")" -eq 0

# query: selection, words given as separate arguments, no match
"$EDGETRACE" query --spool "$T/spool" --json 'proc.cmdline glob "*keep-2"' >"$T/q1"
check query_glob test "$(wc -l <"$T/q1")" -eq 1
"$EDGETRACE" query --spool "$T/spool" --json proc.exe = /usr/bin/true and not proc.cmdline contains keep-1 >"$T/q2"
check query_words_joined grep -q 'et-keep-2' "$T/q2"
check query_words_only_match test "$(wc -l <"$T/q2")" -eq 1
"$EDGETRACE" query --spool "$T/spool" --json 'proc.pid < 0' >"$T/q3"
check query_no_match test ! -s "$T/q3"

# bad expressions: caret under the token, exit 2, nothing written
rc=0
"$EDGETRACE" run --spool "$T/never" --filter 'proc.nme = x' 2>"$T/err" || rc=$?
check bad_filter_exit_2 test "$rc" -eq 2
check bad_filter_names_field grep -q "unknown field 'proc.nme'" "$T/err"
check bad_filter_caret grep -q '^  \^~~~~~~~$' "$T/err"
check bad_filter_wrote_nothing test ! -e "$T/never"
rc=0
"$EDGETRACE" query --spool "$T/spool" 'proc.pid = abc' 2>"$T/err" || rc=$?
check query_bad_value_exit_2 test "$rc" -eq 2
check query_bad_value_named grep -q "'abc' is not a number" "$T/err"
rc=0
"$EDGETRACE" query --spool "$T/spool" '(evt.type = exec' 2>"$T/err" || rc=$?
check query_unclosed_paren test "$rc" -eq 2 -a -n "$(grep "unclosed '('" "$T/err")"
"$EDGETRACE" query --help >"$T/help"
check help_lists_fields grep -q 'Fields: evt.type evt.time' "$T/help"

# time ranges: relative, absolute and exact bounds
n_all=$(wc -l <"$T/all.json")
"$EDGETRACE" query --spool "$T/spool" --json --since -1h >"$T/t1"
check since_relative_all test "$(wc -l <"$T/t1")" -eq "$n_all"
"$EDGETRACE" query --spool "$T/spool" --json --since 2100-01-01T00:00:00Z >"$T/t2"
check since_future_none test ! -s "$T/t2"
"$EDGETRACE" query --spool "$T/spool" --json --until 2000-01-01T00:00:00Z >"$T/t3"
check until_past_none test ! -s "$T/t3"
ts=$(grep 'et-keep-2' "$T/all.json" | grep -o '"ts":[0-9]*' | cut -d: -f2)
"$EDGETRACE" query --spool "$T/spool" --json --since "$ts" --until "$ts" >"$T/t4"
check exact_window grep -q 'et-keep-2' "$T/t4"
check exact_window_only test "$(grep -vc "\"ts\":$ts," "$T/t4")" -eq 0
rc=0
"$EDGETRACE" query --spool "$T/spool" --since -1h --until -2h 2>"$T/err" || rc=$?
check since_after_until_refused test "$rc" -eq 2 -a -n "$(grep 'is after --until' "$T/err")"

# kernel-side filtering: conjuncts on event type, comm, pid and uid are
# checked in the kernel, so what they exclude is never issued to the ring
# (the summary's "issued") and never reaches user space ("filtered out")
kernel_filter() {	# kernel_filter NAME EXPR: 50 execs of true, none may pass
	start_agent "$T/kf-$1" --filter "$2" || { fail "kf_$1" "agent did not start"; return; }
	"$ET_TOOLS/execstorm" -n 50 /bin/true >/dev/null 2>&1
	sleep 0.3
	stop_agent INT
	check "kf_${1}_not_issued" grep -q ' 0 issued, .* 0 filtered out' "$T/agent.err"
}
kernel_filter comm 'proc.name = et-no-such'
kernel_filter pid 'evt.type = exec and proc.pid in (1, 2)'
kernel_filter uid 'user.uid = 4242 and proc.cmdline contains x'
kernel_filter type 'evt.type = module'
kernel_filter not_type 'not evt.type in (exec, fork, exit) and evt.type in (exec, fork, setuid)'
# and what a kernel-checked conjunct lets through still meets the rest
start_agent "$T/kf-pass" --filter 'proc.name = true and proc.cmdline contains et-kf-keep' ||
	fail kf_pass "agent did not start"
/bin/true et-kf-keep
/bin/true et-kf-drop
sleep 0.3
stop_agent INT
"$EDGETRACE" query --spool "$T/kf-pass" --json >"$T/kf.json"
check kf_pass_kept grep -q 'et-kf-keep' "$T/kf.json"
check kf_pass_rest_applied test "$(grep -c 'et-kf-drop' "$T/kf.json")" -eq 0
check kf_pass_user_filtered grep -q ' [1-9][0-9]* filtered out' "$T/agent.err"
