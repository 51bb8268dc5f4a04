#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# collector.sh - the fleet collector's throughput (issue 7): sealed
# batches per second on one core.
#
#	bench/collector.sh [-b BATCHES] [-n RECORDS_PER_BATCH] [-c CPU]
#			   [-f CAPTURE] [-s SINK[,SINK...]]
#
# (`make collector tools` first.) capgen makes BATCHES x RECORDS records
# (defaults 1000 x 256, the agent's mix), or -f takes the records of a
# capture file (`edgetrace export --format raw`; bench/uplink.sh passes
# what its agent recorded), sealed again under new batch numbers until
# there are BATCHES. et-mkbatch seals them as uplink batches of one
# device, RECORDS to a batch, and curl posts them all over one keep-alive
# mutual-TLS connection to build/<board>/edgetrace-collector pinned to
# CPU (taskset, default 0; curl runs on the other CPUs). Sinks (-s, a
# comma list; default all three):
#   ndjson    NDJSON only (marker files, an fsync per file per batch)
#   pg        PostgreSQL only (a throwaway cluster, as the tests start
#             it, with its default durability: fsync on, synchronous
#             commit)
#   pg+ndjson both
# Per sink it prints the wall time, batches/s and records/s over the
# wall time, and the collector's own CPU time per batch (utime + stime
# from /proc), which is what one core can do when the sinks' waits
# overlap with other work. The work directory is under /var/tmp (a real
# disk, not tmpfs, so that fsync costs what it costs); it is removed at
# the end. Root or not: PostgreSQL runs as the postgres user under root.
set -u

BATCHES=1000
RECORDS=256
CPU=0
CAPTURE=
SINKS=ndjson,pg,pg+ndjson
while getopts "b:n:c:f:s:h" o; do
	case $o in
	b) BATCHES=$OPTARG ;;
	n) RECORDS=$OPTARG ;;
	c) CPU=$OPTARG ;;
	f) CAPTURE=$(readlink -f "$OPTARG") ;;
	s) SINKS=$OPTARG ;;
	*) sed -n '3,29p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
for k in ${SINKS//,/ }; do
	case $k in
	ndjson | pg | pg+ndjson) ;;
	*) echo "collector.sh: unknown sink '$k' (ndjson, pg, pg+ndjson)" >&2; exit 2 ;;
	esac
done
[ -z "$CAPTURE" ] || [ -r "$CAPTURE" ] ||
	{ echo "collector.sh: cannot read $CAPTURE" >&2; exit 2; }
case ",$SINKS," in *,pg,* | *,pg+ndjson,*) USE_PG=1 ;; *) USE_PG= ;; esac

cd "$(dirname "$0")/.." || exit 2
BOARD=$(cat build/.board 2>/dev/null || echo x86_64)
O=$(readlink -f "build/$BOARD")
COLLECTOR=$O/edgetrace-collector
for x in "$COLLECTOR" "$O/tools/et-mkbatch" "$O/tools/capgen" "$O/edgetrace"; do
	[ -x "$x" ] || { echo "collector.sh: $x missing: make collector tools" >&2; exit 2; }
done
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGBIN" ] || [ -z "$USE_PG" ] ||
	{ echo "collector.sh: no PostgreSQL: toolchains/install-deps.sh" >&2; exit 2; }
command -v curl >/dev/null || { echo "collector.sh: no curl" >&2; exit 2; }

W=$(mktemp -d /var/tmp/et-bench-collector-XXXXXX)
PGDIR=$(mktemp -d /tmp/et-bench-pg-XXXXXX)
CPID=
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg() { as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 30 "$@"; }
cleanup() {
	[ -n "$CPID" ] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
	[ -n "$USE_PG" ] && pg stop -m immediate >/dev/null 2>&1
	rm -rf "$W" "$PGDIR"
}
trap cleanup EXIT
if [ -n "$USE_PG" ]; then
	[ "$(id -u)" -eq 0 ] && chown postgres: "$PGDIR"
	as_pg "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres >/dev/null 2>&1 &&
		pg -o "-c listen_addresses='' -k $PGDIR -p 5432" start >/dev/null 2>&1 ||
		{ echo "collector.sh: cannot start PostgreSQL" >&2; exit 2; }
fi
PGCONN="host=$PGDIR port=5432 user=postgres dbname=postgres"

# seal_all: BATCHES batches of RECORDS records of cap into b/, the
# capture sealed again under the next batch numbers while there are fewer
seal_all() {
	local n=0
	while [ "$n" -lt "$BATCHES" ]; do
		"$O/tools/et-mkbatch" --fleet-pub fleet/fleet.pub \
			--device-key dev/device.key --device-id gw-bench \
			--records "$RECORDS" --first-batch $((n + 1)) -o b cap || return 1
		[ "$(ls b | wc -l)" -gt "$n" ] || return 1
		n=$(ls b | wc -l)
	done
	ls b/*.etsb | tail -n +$((BATCHES + 1)) | xargs -r rm --
}

cd "$W" || exit 2
{
	"$O/edgetrace" keygen --fleet fleet && "$O/edgetrace" keygen --device dev &&
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
	if [ -n "$CAPTURE" ]; then
		ln -s "$CAPTURE" cap
	else
		"$O/tools/capgen" -q -n $((BATCHES * RECORDS)) -o cap
	fi &&
	mkdir b && seal_all
} >setup.log 2>&1 || { echo "collector.sh: set-up failed:" >&2; tail -5 setup.log >&2; exit 2; }
BYTES=$(cat b/*.etsb | wc -c)
# the records in them: each batch's count (docs/sealed-format.md)
NREC=$(python3 -c '
import struct, sys
print(sum(struct.unpack_from("<I", open(f, "rb").read(16), 12)[0] for f in sys.argv[1:]))' b/*.etsb)

echo "collector.sh: $BATCHES batches of $RECORDS records (${CAPTURE:-capgen mix 'all'}: $NREC in all),"
echo "  $BYTES sealed bytes; collector on CPU $CPU of $(nproc), $(uname -r)"

# one curl config: every batch over one connection
OTHER=$(seq 0 $(($(nproc) - 1)) | grep -vx "$CPU" | paste -sd, -)
run() {
	local name=$1 port t0 t1 cpu0 cpu1 ok i hz
	shift
	rm -rf nd && mkdir nd
	taskset -c "$CPU" "$COLLECTOR" --listen 127.0.0.1:0 --cert srv.crt \
		--key srv.key --ca ca.crt --fleet-key fleet/fleet.key "$@" \
		2>"$name.err" &
	CPID=$!
	for i in $(seq 1 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$name.err" 2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { echo "collector did not start: $(cat "$name.err")" >&2; exit 2; }
	for f in b/*.etsb; do
		printf 'next\nurl = "https://localhost:%s/v1/batches"\ndata-binary = "@%s"\ncacert = "ca.crt"\ncert = "dev.crt"\nkey = "dev/device.key"\nsilent\nwrite-out = "%%{http_code}\\n"\noutput = "/dev/null"\n' "$port" "$f"
	done | sed 1d >curl.cfg
	hz=$(getconf CLK_TCK)
	cpu0=$(awk '{ print $14 + $15 }' "/proc/$CPID/stat")
	t0=$(date +%s.%N)
	taskset -c "${OTHER:-$CPU}" curl -K curl.cfg >codes 2>curl.err
	t1=$(date +%s.%N)
	cpu1=$(awk '{ print $14 + $15 }' "/proc/$CPID/stat")
	kill "$CPID"; wait "$CPID"; CPID=
	ok=$(grep -c '^200$' codes)
	awk -v n="$name" -v b="$BATCHES" -v r="$NREC" -v ok="$ok" \
		-v t0="$t0" -v t1="$t1" -v c="$(( cpu1 - cpu0 ))" -v hz="$hz" 'BEGIN {
		t = t1 - t0
		printf "  %-10s %d/%d stored, %.2f s: %7.0f batches/s, %8.0f records/s; collector CPU %.2f ms/batch (%.0f batches per CPU second)\n",
			n, ok, b, t, b / t, r / t, c / hz * 1000 / b, c ? b / (c / hz) : 0 }'
	[ "$ok" = "$BATCHES" ] || echo "  $name: $(sort codes | uniq -c | tr '\n' ' ')"
}
for k in ${SINKS//,/ }; do
	case $k in
	ndjson) run ndjson --ndjson nd ;;
	pg | pg+ndjson)
		[ -n "$(cd / && as_pg "$PGBIN/psql" -qAt -h "$PGDIR" -U postgres \
			-d postgres -c "SELECT to_regclass('edgetrace_batches')")" ] &&
			(cd / && as_pg "$PGBIN/psql" -q -h "$PGDIR" -U postgres -d postgres -c \
				'TRUNCATE edgetrace_batches, edgetrace_records' >/dev/null)
		if [ "$k" = pg ]; then run pg --pg "$PGCONN"
		else run pg+ndjson --pg "$PGCONN" --ndjson nd; fi ;;
	esac
done
