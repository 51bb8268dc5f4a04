#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/startup.sh [-n RUNS] [BINARY] - time from launching `edgetrace run`
# to its "capturing" line (probes loaded and attached), median of RUNS
# (default 11) launches on a fresh spool each. MISSION's goal: 0.2 s.
# Exits 1 when the median is over 200 ms. Needs root.
set -eu

runs=11
[ "${1:-}" = "-n" ] && { runs=$2; shift 2; }
bin=$(readlink -f "${1:-build/x86_64/edgetrace}")
[ "$(id -u)" -eq 0 ] || { echo "startup.sh: needs root (it loads BPF)" >&2; exit 2; }
[ -x "$bin" ] || { echo "startup.sh: no agent at $bin: run make" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

times=()
for i in $(seq 1 "$runs"); do
	rm -rf "$tmp/spool" "$tmp/err"
	start=$(date +%s%N)
	"$bin" run --spool "$tmp/spool" 2>"$tmp/err" &
	pid=$!
	until grep -q capturing "$tmp/err" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/err" >&2; exit 1; }
		sleep 0.001
	done
	end=$(date +%s%N)
	kill -INT "$pid"
	wait "$pid" || true
	times+=($(( (end - start) / 1000000 )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
echo "startup: ${times[*]} ms; median $median ms over $runs launches ($(nproc) cpus, $(uname -r))"
[ "$median" -le 200 ]
