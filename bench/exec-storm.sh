#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# exec-storm.sh - the MISSION benchmark "Exec storm": N short-lived execs
# through a relative path (`./true` from /usr/bin), all of them captured,
# each with the absolute path, no drops; and what capturing them costs.
#
#	bench/exec-storm.sh [-n N] [-j JOBS] [-r ROUNDS]
#
# N execs (default 20000) by JOBS workers (default 2), ROUNDS interleaved
# pairs (default 5): untraced storm, traced storm (fresh agent and spool),
# untraced, traced, ... after one untraced warm-up run that is not counted.
# Each storm starts after a sync and 0.5 s of rest. Times are execstorm's
# own (CLOCK_MONOTONIC from the start of the workers to the last one
# reaped), so the agent's start-up and shutdown are not in them. Per
# traced round it measures:
#   - captured: exec records with filename "./true" whose ppid is one of
#     the storm's workers (execstorm -p), out of N;
#   - absolute path: of those, exe == the resolved path of /usr/bin/true;
#   - drops, issued and recorded, from the agent's stop line;
#   - agent CPU: utime+stime from /proc/PID/stat, once the agent has
#     settled after the storm (just before stop), minus the value just
#     before the storm; it includes everything the agent saw meanwhile,
#     also other processes' events;
#   - agent peak RSS: VmHWM from /proc/PID/status just before stop (and
#     just after start, to show where the peak comes from) and
#     peak_rss_kib from `edgetrace status --json`.
# Exit status: 0 if every traced round captured N of N, all with the
# absolute path, and dropped nothing; 1 if not; 2 if it could not run.
#
# Needs root, the build and the tools: make && make tools. Override the
# binaries with EDGETRACE=... EXECSTORM=... (default build/$BOARD/, BOARD
# defaulting to x86_64).

set -u

N=20000
JOBS=2
ROUNDS=5
DIR=/usr/bin
PROG=./true

usage() {
	echo "usage: $0 [-n N] [-j JOBS] [-r ROUNDS]"
	echo "  -n N       execs per storm (default 20000)"
	echo "  -j JOBS    parallel workers (default 2)"
	echo "  -r ROUNDS  interleaved untraced/traced pairs (default 5)"
}

while getopts "hn:j:r:" opt; do
	case $opt in
	n) N=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
for v in "N=$N" "JOBS=$JOBS" "ROUNDS=$ROUNDS"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0) echo "exec-storm: ${v%%=*} must be a positive integer, got '${v#*=}'" >&2
		exit 2 ;;
	esac
done
[ $# -eq 0 ] || { usage >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BOARD=${BOARD:-x86_64}
EDGETRACE=${EDGETRACE:-$ROOT/build/$BOARD/edgetrace}
EXECSTORM=${EXECSTORM:-$ROOT/build/$BOARD/tools/execstorm}

# --- what it needs -----------------------------------------------------------
missing=()
[ "$(id -u)" -eq 0 ] || missing+=("root (the agent loads BPF programs): run it as root")
[ -x "$EDGETRACE" ] || missing+=("the agent $EDGETRACE: run 'make'")
[ -x "$EXECSTORM" ] || missing+=("the workload tool $EXECSTORM: run 'make tools'")
[ -x "$DIR/${PROG#./}" ] || missing+=("$DIR/${PROG#./}, the program the storm execs")
[ -r /sys/kernel/btf/vmlinux ] || missing+=("kernel BTF (/sys/kernel/btf/vmlinux): a kernel with CONFIG_DEBUG_INFO_BTF=y")
for c in awk setsid getconf mktemp sort sha256sum; do
	command -v "$c" >/dev/null || missing+=("the command '$c'")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "exec-storm: cannot run, missing:" >&2
	printf '  - %s\n' "${missing[@]}" >&2
	exit 2
fi
# A stale build is measured as it is, but said.
if [ -d "$ROOT/core" ] &&
   [ -n "$(find "$ROOT/core" "$ROOT/bpf" "$ROOT/storage" -newer "$EDGETRACE" -type f 2>/dev/null | head -1)" ]; then
	echo "exec-storm: warning: sources are newer than $EDGETRACE; 'make' to measure the current tree" >&2
fi

EXPECT_EXE=$(readlink -f "$DIR/${PROG#./}")
HZ=$(getconf CLK_TCK)

# --- cleanup, also when interrupted ------------------------------------------
WORK=$(mktemp -d /tmp/et-execstorm-XXXXXX)
AGENT_PID=
STORM_PID=

# shellcheck disable=SC2317  # called from the traps
cleanup() {
	local _
	trap - EXIT INT TERM HUP
	# the storm runs in its own session: its pid is its process group
	if [ -n "$STORM_PID" ]; then
		kill -TERM -- "-$STORM_PID" 2>/dev/null
		wait "$STORM_PID" 2>/dev/null
	fi
	if [ -n "$AGENT_PID" ]; then
		kill -INT "$AGENT_PID" 2>/dev/null
		for _ in $(seq 1 100); do
			kill -0 "$AGENT_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$AGENT_PID" 2>/dev/null
		wait "$AGENT_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "exec-storm: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Measure copies, so that a rebuild during the run cannot mix two builds.
if ! { cp "$EDGETRACE" "$WORK/edgetrace" && cp "$EXECSTORM" "$WORK/execstorm"; }; then
	echo "exec-storm: cannot copy the binaries into $WORK" >&2
	exit 2
fi
EDGETRACE_SRC=$EDGETRACE
EDGETRACE=$WORK/edgetrace
EXECSTORM=$WORK/execstorm

die() {
	echo "exec-storm: $*" >&2
	exit 2
}

# --- helpers -------------------------------------------------------------------
# cpu_ticks PID: utime+stime in clock ticks (fields 14 and 15 of stat;
# the comm in parentheses may hold spaces, so count after the last ')').
cpu_ticks() {
	local line rest
	read -r line <"/proc/$1/stat" || return 1
	rest=${line##*) }
	# shellcheck disable=SC2086  # split into fields on purpose
	set -- $rest
	echo $((${12} + ${13}))
}

# vm_kib PID FIELD: e.g. VmHWM in KiB
vm_kib() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# json_num FILE KEY: the first "KEY":number in FILE
json_num() {
	grep -o "\"$2\":[0-9]*" "$1" | head -1 | cut -d: -f2
}

# storm OUTFILE: run the storm in its own session (not in a subshell, so
# that cleanup knows its pid); its seconds go to STORM_SECS.
storm() {
	local out=$1 rc
	# same start for both kinds: no writeback of the last spool pending
	sync
	sleep 0.5
	setsid "$EXECSTORM" -p -n "$N" -j "$JOBS" -d "$DIR" "$PROG" >"$out" 2>"$out.err" &
	STORM_PID=$!
	wait "$STORM_PID"
	rc=$?
	STORM_PID=
	if [ $rc -ne 0 ] || ! grep -q '^execstorm: .* 0 failed$' "$out"; then
		echo "exec-storm: the storm failed (exit $rc):" >&2
		cat "$out" "$out.err" >&2
		exit 2
	fi
	STORM_SECS=$(awk '/^execstorm:/ { print $5 }' "$out")
}

start_agent() {
	local spool=$1 _
	rm -f "$WORK/agent.err"	# not the last agent's "capturing"
	"$EDGETRACE" run --spool "$spool" >"$WORK/agent.out" 2>"$WORK/agent.err" &
	AGENT_PID=$!
	for _ in $(seq 1 200); do
		grep -q 'capturing' "$WORK/agent.err" 2>/dev/null && return 0
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "exec-storm: the agent did not start; its stderr:" >&2
	cat "$WORK/agent.err" >&2
	exit 2
}

# settle: wait until the agent's CPU time stops moving (backlog written)
# and its status file has been rewritten since the storm ended.
settle() {
	local spool=$1 since=$2 prev cur upd _
	prev=$(cpu_ticks "$AGENT_PID")
	for _ in $(seq 1 100); do
		sleep 0.25
		cur=$(cpu_ticks "$AGENT_PID") || die "the agent died during the storm"
		"$EDGETRACE" status --spool "$spool" --json >"$WORK/status.json" 2>/dev/null
		upd=$(json_num "$WORK/status.json" updated)
		[ "$cur" = "$prev" ] && [ -n "$upd" ] && [ "$upd" -gt "$since" ] && return 0
		prev=$cur
	done
	echo "exec-storm: warning: the agent did not settle within 25 s" >&2
}

median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# --- the machine -----------------------------------------------------------------
CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[ -n "$CPU_MODEL" ] || CPU_MODEL=$(awk -F': *' '/^(Hardware|isa|cpu model)/ { print $2; exit }' /proc/cpuinfo)
MACHINE="$(nproc) cpus, $(uname -r), ${CPU_MODEL:-unknown cpu}"
echo "exec-storm: N=$N jobs=$JOBS rounds=$ROUNDS, $PROG from $DIR, machine: $MACHINE"
echo "exec-storm: agent $EDGETRACE_SRC ($("$EDGETRACE" --version 2>&1 | head -1), sha256 $(sha256sum "$EDGETRACE" | cut -c1-12))"
echo "exec-storm: times are execstorm's own (CLOCK_MONOTONIC, workers' start to last reaped)"
echo "exec-storm: load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews times and agent CPU)"

# warm-up, not counted: page cache, dentries
storm "$WORK/warmup.out"

printf '%-5s %10s %10s %7s %13s %13s %6s %9s %9s %9s %9s %9s %9s %8s %6s\n' \
	round untrac_s traced_s ratio captured abs_path drops issued recorded \
	agentcpu hwm_start hwm_stop status_pk rss_stop load1
fail=0
HWM0=() RSS=() ANON=() FILE=() T_UN=() T_TR=() RATIO=() CPU=() HWM=() PEAK=() CAPT=() ABSP=() DROPS=()
for r in $(seq 1 "$ROUNDS"); do
	# untraced
	storm "$WORK/untraced.out"
	tu=$STORM_SECS

	# traced: fresh spool, fresh agent
	spool=$WORK/spool-$r
	start_agent "$spool"
	hwm0=$(vm_kib "$AGENT_PID" VmHWM)
	sleep 0.2
	c0=$(cpu_ticks "$AGENT_PID")
	storm "$WORK/traced.out"
	tt=$STORM_SECS
	end_ns=$(date +%s%N)
	settle "$spool" "$end_ns"
	c1=$(cpu_ticks "$AGENT_PID")
	hwm1=$(vm_kib "$AGENT_PID" VmHWM)
	rss1=$(vm_kib "$AGENT_PID" VmRSS)
	anon1=$(vm_kib "$AGENT_PID" RssAnon)
	file1=$(vm_kib "$AGENT_PID" RssFile)
	"$EDGETRACE" status --spool "$spool" --json >"$WORK/status.json" 2>/dev/null
	peak=$(json_num "$WORK/status.json" peak_rss_kib)
	kill -INT "$AGENT_PID"
	wait "$AGENT_PID"
	arc=$?
	AGENT_PID=
	stopline=$(grep 'edgetrace: stopped:' "$WORK/agent.err")
	if [ $arc -ne 0 ] || [ -z "$stopline" ]; then
		echo "exec-storm: round $r: the agent exited $arc without its stop line; stderr:" >&2
		cat "$WORK/agent.err" >&2
		fail=1
	fi
	recorded=$(sed -n 's/.*stopped: \([0-9]*\) events recorded.*/\1/p' <<<"$stopline")
	drops=$(sed -n 's/.*recorded, \([0-9]*\) dropped.*/\1/p' <<<"$stopline")
	issued=$(sed -n 's/.*), \([0-9]*\) issued.*/\1/p' <<<"$stopline")
	: "${recorded:=?}" "${drops:=?}" "${issued:=?}"

	# the storm's execs: filename ./true, ppid one of the workers
	workers=$(grep -E '^[0-9]+$' "$WORK/traced.out" | tr '\n' ' ')
	"$EDGETRACE" query --spool "$spool" --json >"$WORK/q.json" ||
		die "round $r: query failed"
	read -r capt absp dup < <(awk -v workers="$workers" -v prog="$PROG" \
		-v exe="$EXPECT_EXE" '
		BEGIN { n = split(workers, w, " "); for (i = 1; i <= n; i++) isw[w[i]] = 1 }
		/"type":"exec"/ {
			if (!match($0, /"ppid":[0-9]+/)) next
			pp = substr($0, RSTART + 7, RLENGTH - 7)
			if (!(pp in isw)) next
			if (index($0, "\"filename\":\"" prog "\"") == 0) next
			c++
			if (index($0, "\"exe\":\"" exe "\"")) a++
			# a record twice: same pid and time (pids alone recur: pid_max)
			k = ""
			if (match($0, /"pid":[0-9]+/)) k = substr($0, RSTART, RLENGTH)
			if (match($0, /"ts":[0-9]+/)) k = k substr($0, RSTART, RLENGTH)
			if (seen[k]++) d++
		}
		END { print c + 0, a + 0, d + 0 }' "$WORK/q.json")
	rm -rf "$spool"

	ratio=$(awk -v a="$tt" -v b="$tu" 'BEGIN { printf "%.3f", a / b }')
	cpu=$(awk -v d=$((c1 - c0)) -v hz="$HZ" 'BEGIN { printf "%.2f", d / hz }')
	printf '%-5s %10s %10s %7s %13s %13s %6s %9s %9s %9s %9s %9s %9s %8s %6s\n' \
		"$r" "$tu" "$tt" "$ratio" "$capt/$N" "$absp/$capt" "$drops" \
		"$issued" "$recorded" "$cpu" "$hwm0" "$hwm1" "${peak:-?}" "$rss1" \
		"$(cut -d' ' -f1 /proc/loadavg)"
	[ "$dup" -eq 0 ] || echo "exec-storm: round $r: $dup exec records recorded twice (same pid and ts)" >&2
	[ "$drops" = 0 ] || echo "exec-storm: round $r: ${stopline#edgetrace: }" >&2
	if [ "$capt" -ne "$N" ] || [ "$absp" -ne "$capt" ] || [ "$drops" != 0 ] || [ "$dup" -ne 0 ]; then
		fail=1
	fi
	T_UN+=("$tu") T_TR+=("$tt") RATIO+=("$ratio") CPU+=("$cpu")
	HWM+=("$hwm1") HWM0+=("$hwm0") RSS+=("$rss1") ANON+=("$anon1") FILE+=("$file1") PEAK+=("${peak:-0}") CAPT+=("$capt") ABSP+=("$absp") DROPS+=("$drops")
done

# --- summary ---------------------------------------------------------------------
min_capt=$(printf '%s\n' "${CAPT[@]}" | sort -n | head -1)
min_absp=$(printf '%s\n' "${ABSP[@]}" | sort -n | head -1)
sum_drops=$(printf '%s\n' "${DROPS[@]}" | awk '$1 ~ /^[0-9]+$/ { s += $1; next } { bad = 1 } END { print bad ? "?" : s + 0 }')
med_un=$(printf '%s\n' "${T_UN[@]}" | median)
med_tr=$(printf '%s\n' "${T_TR[@]}" | median)
med_ratio=$(printf '%s\n' "${RATIO[@]}" | median)
med_cpu=$(printf '%s\n' "${CPU[@]}" | median)
max_hwm=$(printf '%s\n' "${HWM[@]}" | sort -n | tail -1)
max_peak=$(printf '%s\n' "${PEAK[@]}" | sort -n | tail -1)
max_hwm0=$(printf '%s\n' "${HWM0[@]}" | sort -n | tail -1)
max_rss=$(printf '%s\n' "${RSS[@]}" | sort -n | tail -1)
max_anon=$(printf '%s\n' "${ANON[@]}" | sort -n | tail -1)
max_file=$(printf '%s\n' "${FILE[@]}" | sort -n | tail -1)
lbl=""
[ "$ROUNDS" -gt 1 ] && lbl=" (worst of $ROUNDS rounds)"

echo
echo "exec-storm: N=$N jobs=$JOBS rounds=$ROUNDS, machine: $MACHINE"
awk -v c="$min_capt" -v n="$N" -v l="$lbl" 'BEGIN { printf "captured        %d/%d (%.2f %%)%s\n", c, n, 100 * c / n, l }'
awk -v a="$min_absp" -v n="$N" -v l="$lbl" 'BEGIN { printf "absolute path   %d/%d (%.2f %%)%s\n", a, n, 100 * a / n, l }'
echo "drops           $sum_drops (all rounds)"
awk -v c="$med_cpu" -v n="$N" 'BEGIN { printf "agent CPU       %.2f s (per 1000 execs: %.3f s), median\n", c, 1000 * c / n }'
echo "agent peak RSS  $max_hwm KiB (VmHWM before stop, max of rounds; status peak_rss_kib $max_peak KiB)"
echo "                already $max_hwm0 KiB at capture start, before the storm; VmRSS before stop at most $max_rss KiB
                (RssAnon at most $max_anon KiB, RssFile at most $max_file KiB: the spool's mmap counts)"
awk -v u="$med_un" -v t="$med_tr" -v p="$med_ratio" 'BEGIN {
	printf "untraced median %.3f s, traced median %.3f s, slowdown %.3fx (per-pair median %.3fx)\n", u, t, t / u, p }'

if [ $fail -ne 0 ]; then
	echo "exec-storm: FAIL: not every exec captured with its absolute path, or drops"
	exit 1
fi
echo "exec-storm: PASS"
exit 0
