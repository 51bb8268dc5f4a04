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
expect short_missing_value 2 "option '-o' needs a value" "$EDGETRACE" import -o
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

# --config: settings from a file, the command line winning; a bad file is
# refused, naming the file, the line and the setting, before anything
# is written
: "${ET_TOOLS:?set ET_TOOLS to the tools directory}"
"$ET_TOOLS/capgen" -q -n 200 -m every -o "$T/cfg.cap"
printf '# test\nspool = %s\nfilter = evt.type = exec\n' "$T/cfgspool" >"$T/good.conf"
"$EDGETRACE" run --config "$T/good.conf" --replay "$T/cfg.cap" 2>"$T/err"
check config_ran test $? -eq 0
n_exec=$("$EDGETRACE" query --spool "$T/cfgspool" 'evt.type = exec' | grep -c ' exec ')
n_all=$("$EDGETRACE" query --spool "$T/cfgspool" 'evt.type != gap' | grep -vc '^SEQ')
check config_spool_and_filter test "$n_exec" -gt 0 -a "$n_exec" -eq "$n_all"
"$EDGETRACE" run --config "$T/good.conf" --spool "$T/clispool" --replay "$T/cfg.cap" 2>"$T/err"
check config_cli_wins test -d "$T/clispool" -a "$("$EDGETRACE" query --spool "$T/clispool" 'evt.type != gap' | grep -vc '^SEQ')" -eq "$n_all"
printf 'spool = %s/never\nspol = x\n' "$T" >"$T/typo.conf"
expect config_unknown 2 "typo.conf:2: unknown setting 'spol'" \
	"$EDGETRACE" run --config "$T/typo.conf"
printf 'spool = %s/never\njson = maybe\n' "$T" >"$T/bool.conf"
expect config_bad_flag 2 "bool.conf:2: 'json' takes yes or no, not 'maybe'" \
	"$EDGETRACE" run --config "$T/bool.conf"
printf 'spool = %s/never\nfilter = proc.nosuch = 1\n' "$T" >"$T/filter.conf"
expect config_bad_filter 2 "proc.nosuch" "$EDGETRACE" run --config "$T/filter.conf"
expect config_missing 2 "cannot read --config $T/nope.conf: No such file" \
	"$EDGETRACE" run --config "$T/nope.conf" --spool "$T/never"
check config_errors_wrote_nothing test ! -e "$T/never"
if ! "$EDGETRACE" --version | grep -qw file; then
	printf 'spool = %s/never\nwatch = all=/etc\n' "$T" >"$T/watch.conf"
	expect config_watch_no_probe 2 "watch.conf:2: watch 'all=/etc': this build has no file probe" \
		"$EDGETRACE" run --config "$T/watch.conf"
fi
