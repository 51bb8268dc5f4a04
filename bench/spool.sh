#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# spool.sh - the spool benchmark (issue 6): how fast records go into the
# durable spool on one core, and how many bytes reach the disk per byte of
# record, against SQLite in WAL mode doing the same inserts.
#
#	bench/spool.sh [-n N] [-r ROUNDS] [-m MIX] [-s SEED] [-c CPU]
#
# 1. capgen writes a capture file of N records (default 1000000; MIX
#    default "all", every event type; SEED default 1) into a tmpfs, so that
#    reading it costs no disk I/O, and prints the record size per type.
# 2. A fresh ext4 file system on a loop device (an image in the work
#    directory, made with lazy_itable_init=0 and lazy_journal_init=0 so
#    that no background initialisation writes during the runs) holds the
#    spools and databases.
# 3. ROUNDS rounds (default 5), after one warm-up of each that is not
#    counted. Each round runs both, in alternating order (edgetrace first in
#    odd rounds, SQLite first in even ones):
#      edgetrace run --replay CAPTURE --spool FS/spool   (default build:
#        the Kconfig spool settings: map size, group commit, syncs)
#      sqlite_insert CAPTURE FS/events.db   (bench/sqlite_insert.c: WAL,
#        synchronous=NORMAL, the same group commit)
#    each pinned to one CPU (taskset -c CPU, default 0), on an empty
#    directory, under iorun, which reads /proc/PID/io after the process
#    has exited but before it is reaped. Before and after each run the
#    file system's journal is flushed (fsfreeze -f; fsfreeze -u) and the
#    loop device's sectors written are read from /sys/block/loopN/stat.
#
# Per run it reports:
#   events/s      N / wall time of the whole process (start, replay, final
#                 commit and sync, exit)
#   cpu us/ev     (user + sys) / N
#   dev/rec       bytes the file system wrote to the device (data, metadata
#                 and journal) / record bytes (capgen's sum of the encoded
#                 records, frames excluded)
#   wchar/rec     bytes the process passed to write calls / record bytes
#   wbytes/rec    /proc/PID/io write_bytes / record bytes: page cache the
#                 process dirtied. On kernels where ext4 uses large folios
#                 (6.16 and later) this counts the whole folio for a 4 KiB
#                 write into it, so it overstates in-place writes (LMDB's
#                 page reuse); it is shown, but dev/rec is the one judged.
# then the medians, the ratio of the medians and the median of the
# per-round ratios, and the goals: at least 1,000,000 events/s and at most
# 1.3 device bytes per record byte (MISSION, issue 6).
#
# Exit status: 0 if edgetrace met both goals, 1 if not, 2 if it could not
# run (what is missing is said). Needs root (loop device, mount), the
# build and the tools (make && make tools), gcc, libsqlite3-dev, zlib1g-dev
# (toolchains/install-deps.sh), mkfs.ext4, losetup, fsfreeze, taskset.
# Override the binaries with EDGETRACE=... CAPGEN=... IORUN=... (default
# build/$BOARD/, BOARD defaulting to x86_64). It measures copies of them,
# and removes everything it made on exit, also on Ctrl-C.

set -u

N=1000000
ROUNDS=5
MIX=all
SEED=1
CPU=0

usage() {
	echo "usage: $0 [-n N] [-r ROUNDS] [-m MIX] [-s SEED] [-c CPU]"
	echo "  -n N       records in the capture (default 1000000)"
	echo "  -r ROUNDS  rounds of edgetrace and SQLite (default 5)"
	echo "  -m MIX     capgen's mix: all (default), exec, or another type"
	echo "  -s SEED    capgen's seed (default 1)"
	echo "  -c CPU     the CPU both are pinned to (default 0)"
}

while getopts "hn:r:m:s:c:" opt; do
	case $opt in
	n) N=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	m) MIX=$OPTARG ;;
	s) SEED=$OPTARG ;;
	c) CPU=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; exit 2; }
for v in "N=$N" "ROUNDS=$ROUNDS"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0) echo "spool: ${v%%=*} must be a positive integer, got '${v#*=}'" >&2
		exit 2 ;;
	esac
done
case $SEED$CPU in
'' | *[!0-9]*) echo "spool: SEED and CPU must be numbers" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BOARD=${BOARD:-x86_64}
EDGETRACE=${EDGETRACE:-$ROOT/build/$BOARD/edgetrace}
CAPGEN=${CAPGEN:-$ROOT/build/$BOARD/tools/capgen}
IORUN=${IORUN:-$ROOT/build/$BOARD/tools/iorun}
SQLITE_SRC=$ROOT/bench/sqlite_insert.c

# --- what it needs -----------------------------------------------------------
missing=()
[ "$(id -u)" -eq 0 ] || missing+=("root (loop device and mounts): run it as root")
[ -x "$EDGETRACE" ] || missing+=("the agent $EDGETRACE: run 'make'")
[ -x "$CAPGEN" ] || missing+=("the generator $CAPGEN: run 'make tools'")
[ -x "$IORUN" ] || missing+=("the wrapper $IORUN: run 'make tools'")
[ -r "$SQLITE_SRC" ] || missing+=("$SQLITE_SRC")
[ -r /usr/include/sqlite3.h ] || missing+=("sqlite3.h: apt-get install libsqlite3-dev (toolchains/install-deps.sh)")
[ -r /usr/include/zlib.h ] || missing+=("zlib.h: apt-get install zlib1g-dev (toolchains/install-deps.sh)")
for c in gcc mkfs.ext4 losetup mount umount fsfreeze taskset awk sort mktemp sha256sum sync; do
	command -v "$c" >/dev/null || missing+=("the command '$c'")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "spool: cannot run, missing:" >&2
	printf '  - %s\n' "${missing[@]}" >&2
	exit 2
fi
if [ -d "$ROOT/storage" ] &&
   [ -n "$(find "$ROOT/core" "$ROOT/storage" -newer "$EDGETRACE" -type f 2>/dev/null | head -1)" ]; then
	echo "spool: warning: sources are newer than $EDGETRACE; 'make' to measure the current tree" >&2
fi

# --- cleanup, also when interrupted ------------------------------------------
WORK=$(mktemp -d /tmp/et-spoolbench-XXXXXX)
CAPDIR=$WORK/cap
FS=$WORK/fs
LOOP=
CAP_MOUNTED=

# shellcheck disable=SC2317  # called from the traps
cleanup() {
	trap - EXIT INT TERM HUP
	if mountpoint -q "$FS" 2>/dev/null; then
		fsfreeze -u "$FS" 2>/dev/null
		umount "$FS" 2>/dev/null || umount -l "$FS" 2>/dev/null
	fi
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	[ -n "$CAP_MOUNTED" ] && umount "$CAPDIR" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "spool: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

die() {
	echo "spool: $*" >&2
	exit 2
}

# Measure copies, so that a rebuild during the run cannot mix two builds.
if ! { cp "$EDGETRACE" "$WORK/edgetrace" && cp "$CAPGEN" "$WORK/capgen" &&
	cp "$IORUN" "$WORK/iorun"; }; then
	die "cannot copy the binaries into $WORK"
fi
EDGETRACE_SRC=$EDGETRACE
EDGETRACE=$WORK/edgetrace
SQLITE_CFLAGS="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror"
# shellcheck disable=SC2086  # flags split on purpose
gcc $SQLITE_CFLAGS -I"$ROOT/storage" -o "$WORK/sqlite_insert" "$SQLITE_SRC" \
	-lsqlite3 -lz 2>"$WORK/gcc.err" ||
	{ cat "$WORK/gcc.err" >&2; die "cannot build $SQLITE_SRC"; }

# --- the capture, in RAM -------------------------------------------------------
mkdir -p "$CAPDIR" "$FS"
# records are 25 to about 600 bytes: 700 per record with its frame is ample
cap_mib=$((N * 700 / 1048576 + 16))
mount -t tmpfs -o size=${cap_mib}m,mode=0700 edgetrace-bench "$CAPDIR" ||
	die "cannot mount a tmpfs for the capture on $CAPDIR"
CAP_MOUNTED=1
CAP=$CAPDIR/capture.raw
"$WORK/capgen" -n "$N" -s "$SEED" -m "$MIX" -o "$CAP" >"$WORK/capgen.txt" ||
	die "capgen failed"
REC_BYTES=$(awk '/^capgen:/ { print $4; exit }' "$WORK/capgen.txt")
case $REC_BYTES in
'' | *[!0-9]* | 0) die "no record bytes from capgen" ;;
esac

# --- the file system -------------------------------------------------------------
# room for SQLite's database and WAL, and the spool's fixed map
img_mib=$((REC_BYTES * 4 / 1048576 + 1024))
truncate -s "${img_mib}M" "$WORK/fs.img" || die "cannot make $WORK/fs.img"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$WORK/fs.img" ||
	die "mkfs.ext4 failed"
LOOP=$(losetup -f --show "$WORK/fs.img") || die "no free loop device"
mount "$LOOP" "$FS" || die "cannot mount $LOOP on $FS"
STAT=/sys/block/${LOOP#/dev/}/stat
[ -r "$STAT" ] || die "no $STAT"

# Sectors written by the device, after the journal is flushed to its home.
dev_sectors() {
	sync
	fsfreeze -f "$FS" && fsfreeze -u "$FS"
	awk '{ print $7 }' "$STAT"
}

# kv FILE KEY: the value of KEY=value in iorun's line
kv() {
	tr ' ' '\n' <"$1" | awk -F= -v k="$2" '$1 == k { print $2; exit }'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# run_one KIND: one run on an empty file system; sets R_* and prints a row.
run_one() {
	local kind=$1 out=$WORK/$1.out io=$WORK/$1.io s0 s1 rc
	rm -rf "${FS:?}/spool" "$FS"/events.db*
	s0=$(dev_sectors)
	sleep 0.5
	if [ "$kind" = edgetrace ]; then
		taskset -c "$CPU" "$WORK/iorun" -o "$io" "$EDGETRACE" run \
			--replay "$CAP" --spool "$FS/spool" >"$out" 2>&1
	else
		taskset -c "$CPU" "$WORK/iorun" -o "$io" "$WORK/sqlite_insert" \
			"$CAP" "$FS/events.db" >"$out" 2>&1
	fi
	rc=$?
	s1=$(dev_sectors)
	if [ $rc -ne 0 ]; then
		echo "spool: $kind failed (exit $rc):" >&2
		cat "$out" "$io" >&2
		exit 2
	fi
	if [ "$kind" = edgetrace ]; then
		grep -q "replayed $N records" "$out" ||
			{ cat "$out" >&2; die "edgetrace did not replay $N records"; }
		"$EDGETRACE" status --spool "$FS/spool" >"$WORK/status.txt" 2>&1
		R_NOTE="$(awk '/^records/ { print $2 " kept, " $5 " evicted" }' "$WORK/status.txt")"
	else
		grep -q "sqlite_insert: $N records" "$out" ||
			{ cat "$out" >&2; die "sqlite_insert did not insert $N records"; }
		R_NOTE="db $(($(stat -c %s "$FS/events.db") / 1048576)) MiB"
	fi
	R_WALL=$(kv "$io" wall_s)
	R_EPS=$(awk -v n="$N" -v t="$R_WALL" 'BEGIN { printf "%.0f", n / t }')
	R_CPU=$(awk -v n="$N" -v u="$(kv "$io" user_s)" -v s="$(kv "$io" sys_s)" \
		'BEGIN { printf "%.3f", (u + s) * 1e6 / n }')
	R_DEV=$(awk -v d=$(((s1 - s0) * 512)) -v r="$REC_BYTES" 'BEGIN { printf "%.3f", d / r }')
	R_WCHAR=$(awk -v d="$(kv "$io" wchar)" -v r="$REC_BYTES" 'BEGIN { printf "%.3f", d / r }')
	R_WB=$(awk -v d="$(kv "$io" write_bytes)" -v r="$REC_BYTES" 'BEGIN { printf "%.3f", d / r }')
	printf '%-5s %-9s %10s %9s %9s %8s %9s %10s  %s\n' "$ROUND" "$kind" \
		"$R_EPS" "$R_WALL" "$R_CPU" "$R_DEV" "$R_WCHAR" "$R_WB" "$R_NOTE"
}

# --- the machine -----------------------------------------------------------------
CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MACHINE="$(nproc) cpus, $(uname -r), ${CPU_MODEL:-unknown cpu}"
echo "spool: N=$N mix=$MIX seed=$SEED rounds=$ROUNDS cpu=$CPU, machine: $MACHINE"
echo "spool: agent $EDGETRACE_SRC ($("$EDGETRACE" --version 2>&1 | head -1), sha256 $(sha256sum "$EDGETRACE" | cut -c1-12))"
echo "spool: SQLite $(awk '/^#define SQLITE_VERSION / { gsub(/"/, "", $3); print $3 }' /usr/include/sqlite3.h) (WAL, synchronous=NORMAL), built with gcc $SQLITE_CFLAGS"
echo "spool: file system: ext4 on $LOOP (image in $WORK); capture in tmpfs"
echo "spool: load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
cat "$WORK/capgen.txt"
echo

ROUND=warm
printf '%-5s %-9s %10s %9s %9s %8s %9s %10s  %s\n' round kind events/s wall_s \
	cpu_us/ev dev/rec wchar/rec wbytes/rec note
run_one edgetrace
run_one sqlite
E_EPS=() S_EPS=() E_CPU=() S_CPU=() E_DEV=() S_DEV=() E_WCH=() S_WCH=() E_WB=() S_WB=() RATIO=()
for ROUND in $(seq 1 "$ROUNDS"); do
	if [ $((ROUND % 2)) -eq 1 ]; then order="edgetrace sqlite"; else order="sqlite edgetrace"; fi
	for kind in $order; do
		run_one "$kind"
		if [ "$kind" = edgetrace ]; then
			E_EPS+=("$R_EPS") E_CPU+=("$R_CPU") E_DEV+=("$R_DEV") E_WCH+=("$R_WCHAR") E_WB+=("$R_WB")
			e=$R_EPS
		else
			S_EPS+=("$R_EPS") S_CPU+=("$R_CPU") S_DEV+=("$R_DEV") S_WCH+=("$R_WCHAR") S_WB+=("$R_WB")
			s=$R_EPS
		fi
	done
	RATIO+=("$(awk -v e="$e" -v s="$s" 'BEGIN { printf "%.3f", e / s }')")
done

# --- summary ---------------------------------------------------------------------
m() { printf '%s\n' "$@" | median; }
me_eps=$(m "${E_EPS[@]}") ms_eps=$(m "${S_EPS[@]}")
me_dev=$(m "${E_DEV[@]}") ms_dev=$(m "${S_DEV[@]}")
echo
echo "spool: medians of $ROUNDS rounds (N=$N, $REC_BYTES record bytes, one CPU)"
printf '%-10s %10s %9s %8s %9s %10s\n' "" events/s cpu_us/ev dev/rec wchar/rec wbytes/rec
printf '%-10s %10.0f %9s %8s %9s %10s\n' edgetrace "$me_eps" "$(m "${E_CPU[@]}")" \
	"$me_dev" "$(m "${E_WCH[@]}")" "$(m "${E_WB[@]}")"
printf '%-10s %10.0f %9s %8s %9s %10s\n' sqlite "$ms_eps" "$(m "${S_CPU[@]}")" \
	"$ms_dev" "$(m "${S_WCH[@]}")" "$(m "${S_WB[@]}")"
awk -v e="$me_eps" -v s="$ms_eps" -v p="$(m "${RATIO[@]}")" -v ed="$me_dev" -v sd="$ms_dev" 'BEGIN {
	printf "edgetrace/SQLite: %.2fx the events/s (per-round median %.2fx), %.2fx the device bytes\n",
		e / s, p, ed / sd }'
fail=0
if awk -v e="$me_eps" 'BEGIN { exit !(e >= 1000000) }'; then
	echo "goal events/s >= 1000000: met ($me_eps)"
else
	echo "goal events/s >= 1000000: MISSED ($me_eps)"
	fail=1
fi
if awk -v d="$me_dev" 'BEGIN { exit !(d <= 1.3) }'; then
	echo "goal device bytes per record byte <= 1.3: met ($me_dev)"
else
	echo "goal device bytes per record byte <= 1.3: MISSED ($me_dev)"
	fail=1
fi
exit $fail
