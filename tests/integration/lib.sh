# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - helpers for the integration tests: a scratch directory, starting
# and stopping the real agent, and PASS/FAIL reporting in the format that
# tests/run.sh counts. Source it; $EDGETRACE is the binary under test.

: "${EDGETRACE:?set EDGETRACE to the agent binary}"
EDGETRACE=$(readlink -f "$EDGETRACE")
T=$(mktemp -d /tmp/et-itest-XXXXXX)
AGENT_PID=
trap 'stop_agent >/dev/null 2>&1; rm -rf "$T"' EXIT
TEST_NAME=$(basename "$0" .sh)

pass() { echo "PASS $TEST_NAME.$1"; }
fail() { echo "FAIL $TEST_NAME.$1: $2"; }

# check NAME COND-COMMAND...: PASS if the command succeeds, else FAIL.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "expected: $*"; fi
}

# start_agent SPOOL [ARGS...]: start `run`, wait until it captures.
start_agent() {
	local spool=$1 i
	shift
	# not the last agent's "capturing": the shell may not have truncated
	# agent.err yet when the loop below first reads it
	rm -f "$T/agent.out" "$T/agent.err"
	"$EDGETRACE" run --spool "$spool" "$@" >"$T/agent.out" 2>"$T/agent.err" &
	AGENT_PID=$!
	for i in $(seq 1 200); do
		grep -q 'capturing' "$T/agent.err" 2>/dev/null && return 0
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "agent did not start; its stderr:" >&2
	cat "$T/agent.err" >&2
	return 1
}

# stop_agent [SIGNAL]: stop the agent and return its exit status.
stop_agent() {
	local rc=0
	[ -n "$AGENT_PID" ] || return 0
	kill -"${1:-INT}" "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" || rc=$?
	AGENT_PID=
	return $rc
}

# remove_cgroup_tree DIR: rmdir a cgroup tree, deepest first. A task that
# just exited can keep its cgroup busy for a moment: retry for 5 s.
remove_cgroup_tree() {
	local dir=$1 i
	[ -d "$dir" ] || return 0
	for i in $(seq 1 50); do
		find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$dir" ] || return 0
		sleep 0.1
	done
	echo "could not remove $dir" >&2
	return 1
}
