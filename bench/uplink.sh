#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# uplink.sh - the uplink benchmark (issue 7): what crosses the wire for
# what the agent records, and how fast the collector takes it.
#
#	bench/uplink.sh [-n EVENTS] [-w WORKLOAD[,WORKLOAD...]] [-b BATCHES]
#
# Root (BPF). `make full-variant collector` first: build/<board>-full is
# every probe and the HTTPS uplink with the Kconfig defaults (256 KiB
# batches, the 64 MiB spool), the agent and the uplink of this run;
# build/<board>/edgetrace-collector is the collector. For each workload:
#
#  1. record: the agent (`edgetrace run`, with the default watches: every
#     file event but read-only opens) records into a fresh spool while the
#     workload runs, until at least EVENTS records (default 100000) are
#     stored. The workload runs as uid 60123 with copies of the programs
#     it uses in a directory of its own, and the agent's filter
#     `proc.exe startswith DIR/` keeps the rest of the machine out (every
#     record names its process's executable; `user.uid` would not do:
#     only exec records carry the uid);
#  2. upload: `edgetrace uplink` (on CPU 1) sends the spool to the
#     collector (on CPU 0, taskset; NDJSON sink under /var/tmp, a real
#     disk) over loopback with mutual TLS, until every record is
#     acknowledged; the NDJSON must then hold each record once;
#  3. collector: bench/collector.sh -f posts the same records, sealed in
#     batches of the uplink's average size, BATCHES times (default 200)
#     over one keep-alive connection with curl, to the collector pinned to
#     CPU 0: its batches per second on one core.
#
# Workloads (each a loop, in a scratch directory):
#   exec   a shell running short commands with varied arguments (date,
#          uname, cat, ls, grep, expr, sh -c, head, id): fork, exec, exit
#   file   unpacking a tree (the small files, directories and symbolic
#          links of /usr/share/doc, a tar of 4,000-odd files), renaming it
#          and removing it: creates, mkdir, symlink, chmod, rename,
#          unlink, rmdir (and the execs of tar, mv and rm)
#   mixed  both at once, and curl fetching a page from a local Python
#          HTTP server: connect, accept, socket close with byte counts
#
# The table: records; record bytes (the records as the spool stores them:
# `export --format raw` less its 8-byte header and 16-byte frames); the
# NDJSON the collector wrote for them; bytes on the wire (the uplink's
# bytes_sent: TCP payload, so TLS records, handshakes and HTTP included)
# per event and as a share of the record bytes (MISSION: at most 30 %);
# batches; TLS handshakes (full + resumed) per batch; the collector's CPU
# per batch during the upload; its batches/s on one core under curl's
# load (wall, fsync included) and per CPU second. Exit 1 when a record
# did not arrive exactly once, 2 when it cannot run.
set -u

EVENTS=100000
WORKLOADS=exec,file,mixed
FLOOD=200
while getopts "n:w:b:h" o; do
	case $o in
	n) EVENTS=$OPTARG ;;
	w) WORKLOADS=$OPTARG ;;
	b) FLOOD=$OPTARG ;;
	*) sed -n '3,49p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
for w in ${WORKLOADS//,/ }; do
	case $w in
	exec | file | mixed) ;;
	*) echo "uplink.sh: unknown workload '$w' (exec, file, mixed)" >&2; exit 2 ;;
	esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
BOARD=$(cat build/.board 2>/dev/null || echo x86_64)
E=$ROOT/build/$BOARD-full/edgetrace
COLLECTOR=$ROOT/build/$BOARD/edgetrace-collector
[ "$(id -u)" -eq 0 ] || { echo "uplink.sh: run as root (the agent loads BPF)" >&2; exit 2; }
[ -x "$E" ] && "$E" uplink --help >/dev/null 2>&1 ||
	{ echo "uplink.sh: no $E with the uplink: make full-variant" >&2; exit 2; }
[ -x "$COLLECTOR" ] && [ -x "build/$BOARD/tools/et-mkbatch" ] ||
	{ echo "uplink.sh: no $COLLECTOR: make collector" >&2; exit 2; }
for c in curl openssl setpriv taskset tar python3; do
	command -v $c >/dev/null || { echo "uplink.sh: $c is missing" >&2; exit 2; }
done
[ "$(nproc)" -ge 2 ] || { echo "uplink.sh: needs 2 CPUs (collector and uplink apart)" >&2; exit 2; }

U=60123		# the workload's uid and gid: no such user is needed
W=$(mktemp -d /var/tmp/et-bench-uplink-XXXXXX)
chmod 755 "$W"
AGENT= UPL= CPID=
LOOPS=()
stop_loops() {
	local p
	for p in "${LOOPS[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
	for p in "${LOOPS[@]}"; do wait "$p" 2>/dev/null; done
	LOOPS=()
}
cleanup() {
	stop_loops
	for p in $AGENT $UPL $CPID; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cd "$W" || exit 2
# ------------------------------------------------- keys and certificates
{
	"$E" keygen --fleet fleet && "$E" keygen --device dev &&
	openssl ecparam -name prime256v1 -genkey -noout -out ca.key &&
	openssl req -x509 -new -key ca.key -sha256 -days 30 -subj "/CN=bench CA" -out ca.crt &&
	openssl ecparam -name prime256v1 -genkey -noout -out srv.key &&
	openssl req -new -key srv.key -subj /CN=localhost -out srv.csr &&
	printf 'subjectAltName=DNS:localhost\n' >srv.ext &&
	openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
		-days 30 -sha256 -extfile srv.ext -out srv.crt &&
	openssl req -new -key dev/device.key -subj /CN=gw-bench -out dev.csr &&
	printf 'extendedKeyUsage=clientAuth\nsubjectAltName=DNS:gw-bench\n' >dev.ext &&
	openssl x509 -req -in dev.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
		-days 30 -sha256 -extfile dev.ext -out dev.crt &&
	# the file workload's tree: small files, directories, symbolic links
	find /usr/share/doc \( -type f -size -8k \) -o -type d -o -type l |
		tar --no-recursion -cf tree.tar -T - &&
	# the workloads' programs: their records name these copies
	mkdir bin && for p in bash sh date uname cat ls grep expr head id \
		mkdir tar mv rm curl python3; do
		cp "$(readlink -f "$(command -v $p)")" "bin/$p" || exit 1
	done
} >setup.log 2>&1 || { echo "uplink.sh: set-up failed:" >&2; tail -5 setup.log >&2; exit 2; }

# ------------------------------------------------------------ workloads
cat >exec.sh <<'EOF'
i=0
while :; do
	i=$((i + 1))
	date +%s.%N >/dev/null
	uname -a >/dev/null
	cat /proc/loadavg /proc/uptime >/dev/null
	ls -l "$PWD" >/dev/null
	grep -c "user$i" /etc/passwd >/dev/null
	expr "$i" '*' 3 >/dev/null
	sh -c "exit $((i % 4))"
	head -c 256 /proc/self/status >/dev/null
	id -u >/dev/null
done
EOF
cat >file.sh <<'EOF'
r=0
while :; do
	r=$((r + 1))
	mkdir "tree/r$r"
	tar -xf "$1" -C "tree/r$r"
	mv "tree/r$r" "tree/old$r"
	rm -rf "tree/old$r"
done
EOF
cat >net.sh <<'EOF'
i=0
while :; do
	i=$((i + 1))
	curl -s -o /dev/null "http://127.0.0.1:$1/?n=$i"
done
EOF

# as_u PROG ARGS...: run the copy of PROG in bin/ as uid $U, in its own
# session (a process group to kill), in the scratch directory run/
as_u() {
	local prog=$1
	shift
	setsid setpriv --reuid=$U --regid=$U --clear-groups -- \
		env -i PATH="$W/bin" HOME="$W/run" LC_ALL=C "$W/bin/$prog" "$@" \
		</dev/null >/dev/null 2>>"$W/loops.err" &
	LOOPS+=($!)
}

spool_stat() {	# spool_stat SPOOL KEY: a figure of the spool's status
	"$E" status --spool "$1" --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["spool"][sys.argv[1]])' "$2" 2>/dev/null
}
ustat() {	# ustat SPOOL: the uplink's figures, as shell assignments
	"$E" status --spool "$1" --json 2>/dev/null | python3 -c '
import json, sys
u = json.load(sys.stdin).get("uplink") or {}
for k in ("cursor", "bytes_sent", "bytes_received", "batches_sent",
          "connects", "resumptions", "records_sent"):
    print("u_%s=%d" % (k, u.get(k, -1)))'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# record NAME: the agent records workload NAME into spool-NAME
record() {
	local name=$1 spool=$W/spool-$1 i n port
	rm -rf run && mkdir -p run/tree && chown -R $U:$U run
	"$E" run --spool "$spool" --filter "proc.exe startswith \"$W/bin/\"" \
		>/dev/null 2>"agent-$name.err" &
	AGENT=$!
	for i in $(seq 1 200); do
		grep -q capturing "agent-$name.err" && break
		kill -0 "$AGENT" 2>/dev/null || break
		sleep 0.05
	done
	grep -q capturing "agent-$name.err" ||
		{ echo "uplink.sh: the agent did not start: $(tail -3 "agent-$name.err")" >&2; exit 2; }
	cd run || exit 2
	case $name in
	exec) as_u bash ../exec.sh ;;
	file) as_u bash ../file.sh ../tree.tar ;;
	mixed)
		port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		as_u python3 -m http.server --bind 127.0.0.1 "$port"
		sleep 0.5
		as_u bash ../exec.sh
		as_u bash ../file.sh ../tree.tar
		as_u bash ../net.sh "$port" ;;
	esac
	cd .. || exit 2
	SECONDS=0
	while :; do
		n=$(spool_stat "$spool" last_seq)
		[ "${n:-0}" -ge "$EVENTS" ] && break
		[ "$SECONDS" -gt 900 ] && { echo "uplink.sh: $name: only ${n:-0} records after 900 s" >&2; exit 2; }
		sleep 0.5
	done
	stop_loops
	kill -INT "$AGENT"; wait "$AGENT"; AGENT=
	rm -rf run
}

# upload NAME: the spool to the collector; sets the u_* figures, CPU_MS
upload() {
	local name=$1 spool=$W/spool-$1 port i c0 c1 last
	mkdir -p "nd-$name"
	taskset -c 0 "$COLLECTOR" --listen 127.0.0.1:0 --cert srv.crt --key srv.key \
		--ca ca.crt --fleet-key fleet/fleet.key --ndjson "nd-$name" \
		2>"collector-$name.err" &
	CPID=$!
	port=
	for i in $(seq 1 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "collector-$name.err")
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { echo "uplink.sh: the collector did not start: $(cat "collector-$name.err")" >&2; exit 2; }
	last=$(spool_stat "$spool" last_seq)
	c0=$(cpu_ticks "$CPID")
	taskset -c 1 "$E" uplink --spool "$spool" \
		--uplink-url "https://localhost:$port/v1/batches" --uplink-ca ca.crt \
		--uplink-cert dev.crt --fleet-pub fleet/fleet.pub \
		--device-key dev/device.key --device-id gw-bench \
		>/dev/null 2>"uplink-$name.err" &
	UPL=$!
	SECONDS=0
	while :; do
		eval "$(ustat "$spool")"
		[ "$u_cursor" = $((last + 1)) ] && break
		[ "$SECONDS" -gt 900 ] && { echo "uplink.sh: $name: cursor $u_cursor of $last after 900 s: $(tail -3 "uplink-$name.err")" >&2; exit 2; }
		kill -0 "$UPL" 2>/dev/null || { echo "uplink.sh: the uplink stopped: $(tail -3 "uplink-$name.err")" >&2; exit 2; }
		sleep 0.5
	done
	c1=$(cpu_ticks "$CPID")
	kill -TERM "$UPL"; wait "$UPL"; UPL=
	kill -TERM "$CPID"; wait "$CPID"; CPID=
	CPU_MS=$(awk -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v b="$u_batches_sent" \
		'BEGIN { printf "%.1f", c / hz * 1000 / b }')
}

echo "uplink.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1),"
echo "  kernel $(uname -r), edgetrace $("$E" --version | cut -d' ' -f2), $EVENTS events per workload"
ROWS=()
MIX=()
status=0
for name in ${WORKLOADS//,/ }; do
	echo "  $name: recording ..." >&2
	record "$name"
	spool=$W/spool-$name
	"$E" export --spool "$spool" --format raw >"$name.cap" 2>/dev/null
	records=$(spool_stat "$spool" records)
	capbytes=$(stat -c %s "$name.cap")
	MIX+=("$name: $("$E" query --file "$name.cap" --json 2>/dev/null | python3 -c '
import collections, json, sys
c = collections.Counter(json.loads(l)["type"] for l in sys.stdin)
n = sum(c.values())
print(", ".join("%s %.0f %%" % (t, 100 * k / n) for t, k in c.most_common(8)))')")
	recbytes=$((capbytes - 8 - 16 * records))
	echo "  $name: uploading $records records ..." >&2
	upload "$name"
	lines=$(cat "nd-$name"/*/*.ndjson | wc -l)
	ndbytes=$(cat "nd-$name"/*/*.ndjson | wc -c)
	if [ "$lines" != "$records" ] || [ "$u_records_sent" != "$records" ]; then
		echo "uplink.sh: $name: $records records, $u_records_sent acknowledged, $lines NDJSON lines" >&2
		status=1
	fi
	per=$(( (records + u_batches_sent - 1) / u_batches_sent ))
	echo "  $name: collector under load: $FLOOD batches of $per records ..." >&2
	flood=$(bash "$ROOT/bench/collector.sh" -f "$name.cap" -n "$per" -b "$FLOOD" -s ndjson -c 0 |
		sed -n 's/.*stored, [0-9.]* s: *\([0-9]*\) batches\/s.*(\([0-9]*\) batches per CPU second).*/\1 \2/p')
	read -r flood_wall flood_cpu <<<"${flood:-? ?}"
	ROWS+=("$(awk -v n="$name" -v r="$records" -v rb="$recbytes" -v nd="$ndbytes" \
		-v w="$u_bytes_sent" -v b="$u_batches_sent" -v c="$u_connects" \
		-v rs="$u_resumptions" -v cpu="$CPU_MS" -v fw="$flood_wall" \
		-v fc="$flood_cpu" 'BEGIN {
		printf "| %s | %d | %d | %d | %d | %.1f | %.1f %% | %d | %d + %d | %.3f | %s ms | %s | %s |",
			n, r, rb, nd, w, w / r, 100 * w / rb, b, c - rs, rs, c / b, cpu, fw, fc }')")
	rm -rf "spool-$name" "nd-$name" "$name.cap"
done

echo
echo "| workload | records | record bytes | NDJSON bytes | wire bytes | wire bytes per event | wire / record bytes | batches | handshakes (full + resumed) | per batch | collector CPU per batch (upload) | collector batches/s, one core (curl) | per CPU second |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Record types (the most frequent):"
printf '  %s\n' "${MIX[@]}"
exit $status
