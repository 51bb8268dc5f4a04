#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# open-storm.sh - the MISSION benchmark "Open storm": what file capture
# costs the busiest syscall of a system.
#
#	bench/open-storm.sh [-n N] [-r ROUNDS]
#
# A loop of N openat+close (default 1,000,000, tests/tools/openstorm),
# timed by the loop itself, run untraced and traced in interleaved pairs
# (ROUNDS, default 5, after one untraced warm-up), with every probe of
# the build on (process, file and, when built, network). Scenarios:
#   floor         not the agent: empty BPF programs on openat's and
#                 setuid's exit (bench/floor/), the least any monitor on
#                 syscall tracepoints costs this loop on this kernel
#   default       read-only opens, no --watch (the default watch on "/"
#                 has every class but open, so they are not reported)
#   unwatched     read-only opens of a file outside the watch
#                 (--watch all=DIR); the MISSION goal is at most 1.10x
#   unwatched-w   the same with O_WRONLY (write intent: the kernel
#                 resolves the path before it can tell it is unwatched)
#   watched       read-only opens of a file inside --watch open=DIR:
#                 every open is an event (and its close another, with
#                 byte totals); issued, recorded and dropped are counted
#   all-opens     --watch open=/: every open on the system is captured;
#                 the MISSION goal is at most 1.30x
# The loop runs on CPU 1 and the agent on CPU 0 (taskset), so that they
# do not trade places between rounds. Prints one line per pair and the
# median ratio per scenario. Needs root.
#
# The agent is build/x86_64's (the default configuration has the file and
# network probes; when it lacks them, `make io-variant`'s build/x86_64-io);
# EDGETRACE=... uses another.

set -u

N=1000000
ROUNDS=5
while getopts "hn:r:" opt; do
	case $opt in
	n) N=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	h) echo "usage: $0 [-n N] [-r ROUNDS]"; exit 0 ;;
	*) echo "usage: $0 [-n N] [-r ROUNDS]" >&2; exit 2 ;;
	esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
[ "$(id -u)" = 0 ] || { echo "open-storm.sh: needs root" >&2; exit 2; }

# build_agent: build/x86_64, or build/x86_64-io when it lacks file or net
build_agent() {
	[ -f build/x86_64/.config ] || make -s x86_64_defconfig >/dev/null || return 1
	if grep -q '^CONFIG_PROBE_FILE=y' build/x86_64/.config &&
		grep -q '^CONFIG_PROBE_NET=y' build/x86_64/.config; then
		make -s BOARD=x86_64 all tools >/dev/null && echo build/x86_64
	else
		make -s BOARD=x86_64 io-variant >/dev/null && echo build/x86_64-io
	fi
}

if [ -z "${EDGETRACE:-}" ]; then
	B=$(build_agent) || { echo "open-storm.sh: build failed" >&2; exit 2; }
	EDGETRACE=$B/edgetrace
fi
STORM=${OPENSTORM:-$(dirname "$EDGETRACE")/tools/openstorm}
[ -x "$STORM" ] || STORM=build/x86_64/tools/openstorm
[ -x "$STORM" ] || make -s BOARD=x86_64 tools >/dev/null
PROBES=$("$EDGETRACE" --version | sed 's/.*probes: //; s/)$//')
echo "# $(uname -r), $(nproc) CPUs, probes: $PROBES, N=$N, rounds=$ROUNDS"

T=$(mktemp -d /tmp/et-openstorm-XXXXXX)
# the floor: empty programs on openat's and setuid's exit (bench/floor/)
HOST_DEPS=${EDGETRACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgetrace}/x86_64-linux-gnu
clang -O2 -g -target bpf -I"$HOST_DEPS/include" \
	-I/usr/include/"$(gcc -print-multiarch)" -c bench/floor/floor.bpf.c \
	-o "$T/floor.bpf.o" &&
cc -O2 -I"$HOST_DEPS/include" bench/floor/floor.c -o "$T/floor" \
	"$HOST_DEPS/lib/libbpf.a" "$HOST_DEPS/lib/libelf.a" "$HOST_DEPS/lib/libz.a" ||
	{ echo "open-storm.sh: cannot build bench/floor" >&2; exit 2; }
AGENT=
trap '[ -n "$AGENT" ] && kill -INT $AGENT 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/watched" "$T/other"
: >"$T/watched/f"
: >"$T/other/f"

start_agent() {
	rm -rf "$T/spool" "$T/agent.err"	# not the last agent's "capturing"
	if [ "${1:-}" = floor ]; then
		taskset -c 0 "$T/floor" "$T/floor.bpf.o" 2>"$T/agent.err" &
	else
		taskset -c 0 "$EDGETRACE" run --spool "$T/spool" "$@" \
			>/dev/null 2>"$T/agent.err" &
	fi
	AGENT=$!
	for _ in $(seq 1 200); do
		grep -q capturing "$T/agent.err" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "open-storm.sh: agent did not start:" >&2
	cat "$T/agent.err" >&2
	exit 2
}

stop_agent() {
	kill -INT "$AGENT"
	wait "$AGENT"
	AGENT=
}

storm_ns() {	# storm_ns ARGS...: the loop's own time
	sync
	sleep 0.3
	taskset -c 1 "$STORM" -n "$N" "$@" | sed -n 's/.*ns=\([0-9]*\) .*/\1/p'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# scenario NAME "AGENT ARGS" "STORM ARGS"
scenario() {
	local name=$1 aargs=$2 sargs=$3 u t i ratios="" line
	# shellcheck disable=SC2086
	storm_ns $sargs >/dev/null	# warm-up
	for i in $(seq 1 "$ROUNDS"); do
		# shellcheck disable=SC2086
		u=$(storm_ns $sargs)
		# shellcheck disable=SC2086
		start_agent $aargs
		# shellcheck disable=SC2086
		t=$(storm_ns $sargs)
		sleep 0.5	# let the agent drain
		stop_agent
		line=$(grep stopped "$T/agent.err" | sed 's/edgetrace: stopped: //')
		ratios="$ratios $(echo "$t $u" | awk '{printf "%.3f", $1 / $2}')"
		printf '%-12s round %d: untraced %6.1f ns/op, traced %6.1f ns/op, ratio %s; agent: %s\n' \
			"$name" "$i" "$(echo "$u $N" | awk '{print $1/$2}')" \
			"$(echo "$t $N" | awk '{print $1/$2}')" \
			"$(echo "$t $u" | awk '{printf "%.3f", $1 / $2}')" "$line"
	done
	printf '%-12s median ratio %s\n' "$name" \
		"$(echo "$ratios" | tr ' ' '\n' | grep . | median)"
}

scenario floor "floor" "$T/other/f"
scenario default "" "$T/other/f"
scenario unwatched "--watch all=$T/watched" "$T/other/f"
scenario unwatched-w "--watch all=$T/watched" "-w $T/other/f"
scenario watched "--watch open=$T/watched" "$T/watched/f"
scenario all-opens "--watch open=/" "$T/other/f"
