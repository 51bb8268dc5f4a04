# SPDX-License-Identifier: GPL-2.0
#
# test_cli.sh - the command line contract: --help and --version, and bad
# input (unknown options and commands, bad --spool paths) giving a message
# that names the problem, a non-zero exit code and nothing written.
. "$(dirname "$0")/lib.sh"

# expect NAME RC PATTERN CMD...: exit code RC and stderr matching PATTERN
expect() {
	local name=$1 want=$2 pattern=$3 rc=0
	shift 3
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit code $rc, expected $want (stderr: $(head -c 300 "$T/err"))"
	elif ! grep -q -- "$pattern" "$T/err"; then
		fail "$name" "stderr did not match '$pattern': $(head -c 300 "$T/err")"
	else
		pass "$name"
	fi
}

"$EDGETRACE" --version >"$T/v" 2>&1
check version grep -Eq '^edgetrace [0-9]+\.[0-9]+\.[0-9]+.*record format 1\.[0-9]+.*probes: exec' "$T/v"
"$EDGETRACE" --help >"$T/h" 2>&1
check help_lists_commands grep -q '^  run ' "$T/h"
"$EDGETRACE" run --help >"$T/h" 2>&1
check run_help grep -q -- '--spool DIR' "$T/h"

expect unknown_command 2 "unknown command 'frobnicate'" "$EDGETRACE" frobnicate
expect no_command 2 "usage:" "$EDGETRACE"
expect unknown_option 2 "unknown option '--bogus'" "$EDGETRACE" run --bogus
expect missing_value 2 "option '--spool' needs a value" "$EDGETRACE" run --spool
expect stray_argument 2 "unexpected argument 'extra'" "$EDGETRACE" run --spool "$T/s" extra
check stray_wrote_nothing test ! -e "$T/s"

touch "$T/file"
expect spool_is_file 1 "is not a directory" "$EDGETRACE" run --spool "$T/file"
expect spool_no_parent 1 "cannot create spool directory" "$EDGETRACE" run --spool "$T/no/such/dir"
check no_parent_created test ! -e "$T/no"
mkdir "$T/other" && echo keep >"$T/other/notes"
expect spool_not_spool 1 "not an edgetrace spool" "$EDGETRACE" run --spool "$T/other"
check not_spool_untouched test "$(ls "$T/other")" = notes
expect query_missing 1 "cannot use spool directory" "$EDGETRACE" query --spool "$T/missing"
check query_created_nothing test ! -e "$T/missing"
expect query_not_spool 1 "not an edgetrace spool" "$EDGETRACE" query --spool "$T/other"
expect status_stray_argument 2 "unexpected argument 'extra'" "$EDGETRACE" status --spool "$T/other" extra

# SIGTERM is a clean stop too
start_agent "$T/spool" || fail sigterm_start "agent did not start"
stop_agent TERM
check sigterm_exit_0 test $? -eq 0
check sigterm_summary grep -q 'stopped:' "$T/agent.err"
