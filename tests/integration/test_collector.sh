# SPDX-License-Identifier: GPL-2.0
#
# test_collector.sh - the fleet collector (collector/, docs/collector.md)
# end to end, without BPF: real TLS (curl with client certificates issued
# by a test fleet CA as docs/uplink.md shows), a real PostgreSQL (a
# throwaway cluster from Debian's postgresql, initdb'ed into a temporary
# directory, run as the postgres user on a unix socket there), batches
# sealed by et-mkbatch from a generated capture (every record type).
#
# Checks: batches stored once in PostgreSQL and in NDJSON, both equal to
# `export --format jsonl` of the same records; keep-alive; a batch posted
# twice is a duplicate; two collectors sharing one PostgreSQL, the same
# batch sent to both at once, stored once; a flipped bit, an unknown
# device key, another device's batch, a device id the certificate does
# not name, an export batch: 400, logged, nothing written; no client
# certificate or one of another CA: handshake refused and logged;
# PostgreSQL stopped: 503, and after it is back the resend is stored;
# PostgreSQL hanging (SIGSTOP): 503 within the deadline, other clients
# served, then 503 at once while it is left alone, stored once it runs;
# NDJSON alone deduplicates by marker files; 413 over --max-batch-bytes
# (with and without Expect: 100-continue); HTTP edge cases (pipelining,
# byte-at-a-time requests, garbage, HTTP/1.0, chunked, junk bodies);
# device ids by CN, DNS name or key id; a batch over several days and one
# over 1 MiB; bad configurations name their option; SIGTERM stops it,
# with a connection open.
#
# The collector under test is $EDGETRACE_COLLECTOR, by default the one
# beside $EDGETRACE (build/<board>/edgetrace-collector, or the ASan build
# beside build/<board>/asan/edgetrace).
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the tools directory}"
ET_TOOLS=$(readlink -f "$ET_TOOLS")
COLLECTOR=${EDGETRACE_COLLECTOR:-$(dirname "$EDGETRACE")/edgetrace-collector}
COLLECTOR=$(readlink -f "$COLLECTOR")
MKBATCH=$ET_TOOLS/et-mkbatch
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
for x in "$COLLECTOR" "$MKBATCH" "$ET_TOOLS/capgen"; do
	if [ ! -x "$x" ]; then
		echo "SKIP $TEST_NAME: $x not built (make collector)"
		exit 0
	fi
done
if [ -z "$PGBIN" ] || ! command -v curl >/dev/null; then
	echo "SKIP $TEST_NAME: needs postgresql and curl (toolchains/install-deps.sh)"
	exit 0
fi

PGDIR=$(mktemp -d /tmp/et-pg-XXXXXX)
declare -A CPID CPORT
cleanup() {
	local n
	for n in "${!CPID[@]}"; do
		kill "${CPID[$n]}" 2>/dev/null && wait "${CPID[$n]}" 2>/dev/null
	done
	pg stop -m immediate >/dev/null 2>&1
	rm -rf "$PGDIR" "$T"
}
trap cleanup EXIT

# pg_ctl and friends as the postgres user (PostgreSQL refuses root).
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg() {
	as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -t 30 "$@"
}
[ "$(id -u)" -eq 0 ] && chown postgres: "$PGDIR"
PGCONN="host=$PGDIR port=5432 user=postgres dbname=postgres connect_timeout=5"
sql() {
	"$PGBIN/psql" -X -q -At -h "$PGDIR" -p 5432 -U postgres -d postgres \
		-v ON_ERROR_STOP=1 -c "$1"
}
if ! as_pg "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres \
	>"$PGDIR/initdb.log" 2>&1 ||
	! pg -o "-c listen_addresses='' -k $PGDIR -p 5432 -c fsync=off" start \
	>/dev/null 2>&1; then
	fail postgres.start "cannot start a throwaway cluster: $(tail -3 "$PGDIR"/*.log)"
	exit 1
fi
pass postgres.start

# ------------------------------------------------------------ keys, certs

cd "$T" || exit 1
mkcert() {	# mkcert CA NAME KEY CN EXT: NAME.crt signed by CA
	openssl req -new -key "$3" -sha256 -subj "/CN=$4" -out "$2.csr" &&
		printf '%b' "$5" >"$2.ext" &&
		openssl x509 -req -in "$2.csr" -CA "$1.crt" -CAkey "$1.key" \
			-CAcreateserial -days 30 -sha256 -extfile "$2.ext" \
			-out "$2.crt"
} >/dev/null 2>&1
mkca() {
	openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" &&
		openssl req -x509 -new -key "$1.key" -sha256 -days 30 \
			-subj "/CN=$2" -out "$1.crt"
} >/dev/null 2>&1
CLIENT_EXT='basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n'
setup() {
	"$EDGETRACE" keygen --fleet fleet && "$EDGETRACE" keygen --fleet fleet2 &&
	for d in dev1 dev2 dev3 dev4 dev5; do "$EDGETRACE" keygen --device $d || return 1; done &&
	mkca ca "edgetrace fleet CA" && mkca otherca "another CA" &&
	openssl ecparam -name prime256v1 -genkey -noout -out srv.key &&
	mkcert ca srv srv.key localhost 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' &&
	mkcert ca dev1 dev1/device.key gw-1 "${CLIENT_EXT}subjectAltName=DNS:gw-1\n" &&
	mkcert ca dev2 dev2/device.key gw-2 "${CLIENT_EXT}subjectAltName=DNS:gw-2\n" &&
	mkcert ca dev5 dev5/device.key ops-box "${CLIENT_EXT}subjectAltName=DNS:other-name,DNS:gw-5\n" &&
	mkcert otherca dev3 dev3/device.key gw-3 "${CLIENT_EXT}subjectAltName=DNS:gw-3\n" &&
	"$ET_TOOLS/capgen" -q -n 2000 -m every -o cap1 &&
	"$ET_TOOLS/capgen" -q -n 600 -s 7 -o cap2 &&
	"$EDGETRACE" run --spool spool1 --replay cap1 &&
	"$EDGETRACE" export --spool spool1 --format jsonl >want1.jsonl &&
	"$EDGETRACE" run --spool spool2 --replay cap2 &&
	"$EDGETRACE" export --spool spool2 --format jsonl >want2.jsonl &&
	mkdir b1 b2 b2x b4 bid bexp bbig bdays bbig1 b5 b5hex &&
	"$MKBATCH" --fleet-pub fleet/fleet.pub --device-key dev1/device.key \
		--device-id gw-1 --records 250 -o b1 cap1 &&
	"$MKBATCH" --fleet-pub fleet/fleet.pub --device-key dev2/device.key \
		--device-id gw-2 --records 200 -o b2 cap2 &&
	"$MKBATCH" --fleet-pub fleet/fleet.pub --device-key dev2/device.key \
		--device-id gw-2 --records 50 --first-batch 100 -o b2x cap2 &&
	"$MKBATCH" --fleet-pub fleet/fleet.pub --device-key dev4/device.key \
		--device-id gw-1 --records 100 --first-batch 200 -o b4 cap2 &&
	"$MKBATCH" --fleet-pub fleet/fleet.pub --device-key dev1/device.key \
		--device-id gw-2 --records 100 --first-batch 300 -o bid cap2 &&
	"$MKBATCH" --fleet-pub fleet/fleet.pub --device-key dev1/device.key \
		--device-id gw-1 --records 100 --first-batch 400 --export -o bexp cap2 &&
	"$MKBATCH" --fleet-pub fleet/fleet.pub --device-key dev1/device.key \
		--device-id gw-1 --records 100 --first-batch 600 \
		--ts-step 3600000000000 -o bdays cap2 &&
	"$MKBATCH" --fleet-pub fleet/fleet.pub --device-key dev5/device.key \
		--device-id gw-5 --records 100 -o b5 cap2 &&
	"$MKBATCH" --fleet-pub fleet/fleet.pub --device-key dev5/device.key \
		--records 100 -o b5hex cap2 &&
	"$ET_TOOLS/capgen" -q -n 60000 -s 3 -o capbig &&
	"$MKBATCH" --fleet-pub fleet/fleet.pub --device-key dev1/device.key \
		--device-id gw-1 --records 60000 --first-batch 700 -o bbig1 capbig &&
	"$MKBATCH" --fleet-pub fleet2/fleet.pub --device-key dev1/device.key \
		--device-id gw-1 --records 100 --first-batch 500 -o bbig cap2
}
if setup >setup.log 2>&1; then
	pass setup
else
	fail setup "keys, certificates or batches: $(tail -5 setup.log)"
	exit 1
fi

# ------------------------------------------------------------- helpers

# start_collector NAME ARGS...: run it on a free port of 127.0.0.1.
start_collector() {
	local name=$1 i
	shift
	"$COLLECTOR" --listen 127.0.0.1:0 --cert srv.crt --key srv.key \
		--ca ca.crt --fleet-key fleet/fleet.key "$@" \
		>"$name.out" 2>"$name.err" &
	CPID[$name]=$!
	for i in $(seq 1 100); do
		CPORT[$name]=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$name.err" 2>/dev/null)
		[ -n "${CPORT[$name]}" ] && return 0
		kill -0 "${CPID[$name]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "collector $name did not start: $(cat "$name.err")" >&2
	return 1
}

stop_collector() {	# stop_collector NAME: SIGTERM, its exit status
	local rc=0
	kill -TERM "${CPID[$1]}" 2>/dev/null
	wait "${CPID[$1]}" || rc=$?
	unset "CPID[$1]"
	return $rc
}

# post NAME CERT KEY FILE...: POST each file over one connection (curl
# reuses it); prints "CODE BODY" per file.
post() {
	local name=$1 cert=$2 key=$3 f args=() i=0
	shift 3
	for f in "$@"; do
		[ $i -gt 0 ] && args+=(--next)
		args+=(-sS --max-time 30 --cacert ca.crt --cert "$cert"
		       --key "$key" -H 'Content-Type: application/vnd.edgetrace.sealed-batch'
		       --data-binary "@$f" -w '%{http_code}\n'
		       "https://localhost:${CPORT[$name]}/v1/batches")
		i=$((i + 1))
	done
	curl "${args[@]}" 2>>curl.err |
		awk 'NR % 2 == 1 { b = $0; next } { print $0 " " b }'
}

# expect_post NAME WANT NAME CERT KEY FILE...: the answers, exactly.
expect_post() {
	local test=$1 want=$2 got
	shift 2
	got=$(post "$@" | paste -sd'|')
	if [ "$got" = "$want" ]; then
		pass "$test"
	else
		fail "$test" "expected '$(echo "$want" | tr '\n' '|')', got '$(echo "$got" | tr '\n' '|')'"
	fi
}

# the state of every sink, to show that nothing was written
state() {
	sql "SELECT count(*) FROM edgetrace_batches; SELECT count(*) FROM edgetrace_records"
	find nd* -type f -printf '%p %s\n' 2>/dev/null | sort
}

D1="dev1.crt dev1/device.key"
D2="dev2.crt dev2/device.key"

# -------------------------------------------------- stored, keep-alive

mkdir ndA ndB ndC
start_collector A --pg "$PGCONN" --ndjson ndA || exit 1
start_collector B --pg "$PGCONN" --ndjson ndB || exit 1

want=$(for i in 1 2 3 4 5 6 7 8; do echo "200 stored gw-1 $i"; done | paste -sd'|')
expect_post store.eight_batches "$want" A $D1 b1/00000[1-8].etsb
conns=$(grep -o '127\.0\.0\.1:[0-9]*: stored batch' A.err | sort -u | wc -l)
check store.keep_alive_one_connection [ "$conns" = 1 ]
check store.pg_batches [ "$(sql "SELECT count(*), sum(records) FROM edgetrace_batches WHERE device_id = 'gw-1'")" = "8|2000" ]
sql "SELECT json FROM edgetrace_records WHERE device_id = 'gw-1' ORDER BY seq" >pg1.jsonl
check store.pg_equals_export_jsonl cmp -s pg1.jsonl want1.jsonl
cat ndA/gw-1/*.ndjson >nd1.jsonl 2>/dev/null
check store.ndjson_equals_export_jsonl cmp -s nd1.jsonl want1.jsonl
check store.ndjson_file_per_day [ -f "ndA/gw-1/$(date -u -d @"$(head -1 want1.jsonl | sed 's/.*"ts":\([0-9]*\)[0-9]\{9\},.*/\1/')" +%F).ndjson" ]
check store.pg_columns [ "$(sql "SELECT count(*) FROM edgetrace_records r WHERE device_id = 'gw-1' AND (r.json->>'seq')::bigint = seq AND (r.json->>'ts')::bigint = ts AND r.json->>'type' = type")" = 2000 ]

# a batch over 100 hours: its lines go to the file of each record's day
expect_post store.batch_over_days "200 stored gw-1 600" A $D1 bdays/000600.etsb
sql "SELECT json FROM edgetrace_records WHERE device_id = 'gw-1' AND batch_seq = 600 ORDER BY seq" >days.jsonl
/usr/bin/python3 - days.jsonl ndA/gw-1 >days.out 2>&1 <<'EOF'
import datetime, json, os, sys
lines = open(sys.argv[1]).read().splitlines(True)
by_day = {}
for l in lines:
    ts = json.loads(l)['ts'] // 10**9
    day = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime('%Y-%m-%d')
    by_day.setdefault(day, []).append(l)
assert len(lines) == 100 and len(by_day) >= 5, (len(lines), sorted(by_day))
for day, want in by_day.items():
    got = open(os.path.join(sys.argv[2], day + '.ndjson')).read().splitlines(True)
    assert got[-len(want):] == want, day
    if day != min(by_day):
        assert got == want, day
print('ok', len(by_day), 'days')
EOF
check store.ndjson_day_of_each_record grep -q '^ok' days.out

# the device id may be a DNS name of the certificate, or its key id in hex
D5HEX=$(openssl pkey -pubin -in dev5/device.pub -outform DER | sha256sum | cut -c1-32)
expect_post store.device_id_dns_name "200 stored gw-5 1" A dev5.crt dev5/device.key b5/000001.etsb
expect_post store.device_id_key_hex "200 stored $D5HEX 1" A dev5.crt dev5/device.key b5hex/000001.etsb
check store.device_id_dirs test -f ndA/gw-5/2025-11-21.ndjson -a -f "ndA/$D5HEX/2025-11-21.ndjson"

# a batch over 1 MiB: curl sends it with Expect: 100-continue
expect_post store.large_batch_100_continue "200 stored gw-1 700" A $D1 bbig1/000700.etsb
sql "SELECT json FROM edgetrace_records WHERE device_id = 'gw-1' AND batch_seq = 700 ORDER BY seq" >big.jsonl
check store.large_batch_pg [ "$(wc -l <big.jsonl)" = 60000 ]
check store.large_batch_ndjson_equals_pg cmp -s big.jsonl <(tail -60000 ndA/gw-1/2025-11-21.ndjson)

# --------------------------------------------------------- duplicates

before=$(state)
expect_post dup.same_batch_twice "200 duplicate gw-1 3|200 duplicate gw-1 3" A $D1 b1/000003.etsb b1/000003.etsb
expect_post dup.other_collector "200 duplicate gw-1 5" B $D1 b1/000005.etsb
check dup.nothing_written [ "$(state)" = "$before" ]
check dup.logged grep -q "batch 3 of device 'gw-1' is a duplicate" A.err

# the same new batches to both collectors at once: each stored once
for i in 1 2 3; do
	post A $D2 b2/00000$i.etsb >ans.A$i &
	post B $D2 b2/00000$i.etsb >ans.B$i &
done
wait_posts() { local j; for j in $(jobs -p); do [ "$j" = "${CPID[A]}" ] || [ "$j" = "${CPID[B]}" ] || wait "$j"; done; }
wait_posts
ok=1
for i in 1 2 3; do
	a=$(cat ans.A$i) b=$(cat ans.B$i)
	case "$a|$b" in
	"200 stored gw-2 $i|200 duplicate gw-2 $i" | "200 duplicate gw-2 $i|200 stored gw-2 $i") ;;
	*) ok=0; echo "batch $i: A '$a', B '$b'" >&2 ;;
	esac
done
check dup.race_one_stored_one_duplicate [ $ok = 1 ]
check dup.race_pg_once [ "$(sql "SELECT count(*), sum(records), count(DISTINCT batch_seq) FROM edgetrace_batches WHERE device_id = 'gw-2'")|$(sql "SELECT count(*), count(DISTINCT seq) FROM edgetrace_records WHERE device_id = 'gw-2'")" = "3|600|3|600|600" ]
cat ndA/gw-2/*.ndjson ndB/gw-2/*.ndjson 2>/dev/null | sort >nd2.jsonl
sort want2.jsonl | cmp -s - nd2.jsonl
check dup.race_ndjson_once [ $? = 0 ]

# ----------------------------------------------------------- refusals

before=$(state)
cp b2x/000100.etsb flipped.etsb
/usr/bin/python3 - flipped.etsb <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[len(b) // 2] ^= 0x10
open(p, 'wb').write(b)
EOF
got=$(post A $D2 flipped.etsb)
check refuse.flipped_bit [ "${got#400 refused 100: its signature does not verify}" != "$got" ]
expect_post refuse.unknown_device_key "400 refused 200: signed by device key $(openssl pkey -pubin -in dev4/device.pub -outform DER | sha256sum | cut -c1-32), not by the client certificate's key $(openssl pkey -pubin -in dev1/device.pub -outform DER | sha256sum | cut -c1-32)" A $D1 b4/000200.etsb
expect_post refuse.another_devices_batch "400 refused 101: signed by device key $(openssl pkey -pubin -in dev2/device.pub -outform DER | sha256sum | cut -c1-32), not by the client certificate's key $(openssl pkey -pubin -in dev1/device.pub -outform DER | sha256sum | cut -c1-32)" A $D1 b2x/000101.etsb
expect_post refuse.device_id_not_the_certificates "400 refused 300: device id 'gw-2' is not the client certificate's (its CN 'gw-1', its DNS names or its key id $(openssl pkey -pubin -in dev1/device.pub -outform DER | sha256sum | cut -c1-32))" A $D1 bid/000300.etsb
expect_post refuse.export_batch "400 refused 400: export batch" A $D1 bexp/000400.etsb
got=$(post A $D1 bbig/000500.etsb)
check refuse.other_fleet_key [ "${got#400 refused 500: }" != "$got" ]
head -c 100 b1/000001.etsb >cut.etsb
got=$(post A $D1 cut.etsb)
check refuse.cut_short [ "${got#400 refused 1: }" != "$got" ]
check refuse.nothing_written [ "$(state)" = "$before" ]
check refuse.logged [ "$(grep -c ': refused batch \(100\|200\|101\|300\|400\|500\|1\) of device' A.err)" = 7 ]
check refuse.log_names_reason grep -q "refused batch 400 of device 'gw-1': export batch" A.err

# TLS: no client certificate, a certificate of another CA
n0=$(grep -c 'rejected connection' A.err)
# curl prints 000 when no HTTP answer came: the handshake failed
curl -s --max-time 10 --cacert ca.crt --data-binary @b1/000001.etsb \
	-o /dev/null -w '%{http_code}' "https://localhost:${CPORT[A]}/v1/batches" >tls1.out 2>&1
check tls.no_client_cert_refused [ "$(cat tls1.out)" = 000 ]
curl -s --max-time 10 --cacert ca.crt --cert dev3.crt --key dev3/device.key \
	--data-binary @b1/000001.etsb -o /dev/null -w '%{http_code}' \
	"https://localhost:${CPORT[A]}/v1/batches" >tls2.out 2>&1
check tls.other_ca_refused [ "$(cat tls2.out)" = 000 ]
sleep 0.2
check tls.logged [ "$(grep -c 'rejected connection' A.err)" = $((n0 + 2)) ]
check tls.log_says_missing grep -q 'rejected connection: .*No client certification' A.err
check tls.log_says_ca grep -q 'rejected connection: .*not correctly signed by the trusted CA' A.err
check tls.nothing_written [ "$(state)" = "$before" ]

# HTTP: what is not POST /v1/batches
got=$(curl -sS --max-time 10 --cacert ca.crt --cert dev1.crt --key dev1/device.key \
	-w ' %{http_code}' "https://localhost:${CPORT[A]}/v1/batches")
check http.get_405 [ "$got" = "method not allowed: POST /v1/batches"$'\n'" 405" ]
got=$(curl -sS --max-time 10 --cacert ca.crt --cert dev1.crt --key dev1/device.key \
	--data-binary @b1/000001.etsb -w ' %{http_code}' "https://localhost:${CPORT[A]}/v2")
check http.other_path_404 [ "$got" = "not found: POST /v1/batches"$'\n'" 404" ]

# HTTP edge cases on a raw TLS socket (Python's ssl): pipelined requests,
# a request sent a byte at a time, garbage, HTTP/1.0, headers without end,
# bad lengths, chunked bodies, a client that leaves mid-body, junk bodies
mkdir ndD
start_collector D --ndjson ndD || exit 1
/usr/bin/python3 - "${CPORT[D]}" >http.out 2>&1 <<'EOF'
import os, socket, ssl, sys, time
port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile='ca.crt')
ctx.load_cert_chain('dev1.crt', 'dev1/device.key')
def conn():
    s = socket.create_connection(('127.0.0.1', port))
    return ctx.wrap_socket(s, server_hostname='localhost')
def req(body, proto=b'HTTP/1.1'):
    return (b'POST /v1/batches ' + proto + b'\r\nHost: x\r\n' +
            b'Content-Length: %d\r\n\r\n' % len(body) + body)
def answers(s, want):
    """The first @want answers (or those before the server closed)."""
    s.settimeout(5)
    out, res = b'', []
    while len(res) < want:
        head, sep, rest = out.partition(b'\r\n\r\n')
        if sep:
            n = int([h for h in head.split(b'\r\n')
                     if h.lower().startswith(b'content-length')][0].split(b':')[1])
            if len(rest) >= n:
                res.append(head.split(b'\r\n')[0].split(b' ')[1].decode() + ' ' +
                           rest[:n].decode().strip() +
                           (' (close)' if b'Connection: close' in head else ''))
                out = rest[n:]
                continue
        try:
            d = s.recv(65536)
        except OSError:
            break
        if not d:
            break
        out += d
    return ' | '.join(res)
b = [open('b1/%06d.etsb' % i, 'rb').read() for i in (1, 2, 3, 4)]
s = conn(); s.sendall(req(b[0]) + req(b[1]) + req(b[0]))
print('pipelined:', answers(s, 3))
s = conn(); data = req(b[2])
for i in range(200):
    s.send(data[i:i + 1])
s.sendall(data[200:])
print('bytewise:', answers(s, 1))
s = conn(); s.sendall(b'\x00\xff garbage\r\n\r\n'); print('garbage:', answers(s, 1))
s = conn(); s.sendall(req(b[3], b'HTTP/1.0')); print('http10:', answers(s, 1))
s = conn(); s.sendall(b'POST /v1/batches HTTP/1.1\r\nX: ' + b'a' * 20000); print('headers:', answers(s, 1))
s = conn(); s.sendall(b'POST /v1/batches HTTP/1.1\r\nContent-Length: -5\r\n\r\n'); print('badlength:', answers(s, 1))
s = conn(); s.sendall(b'POST /v1/batches HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'); print('chunked:', answers(s, 1))
s = conn(); s.sendall(req(b[0])[:-100]); s.close(); time.sleep(0.3)
s = conn(); s.sendall(req(b'') + req(os.urandom(5000))); print('junk:', answers(s, 2))
EOF
want='pipelined: 200 stored gw-1 1 | 200 stored gw-1 2 | 200 duplicate gw-1 1
bytewise: 200 stored gw-1 3
garbage: 400 not an HTTP/1.x request (close)
http10: 200 stored gw-1 4 (close)
headers: 431 request headers too large (close)
badlength: 400 bad Content-Length (close)
chunked: 411 length required: send the batch with a Content-Length (close)
junk: 400 refused 0: cut short: 0 bytes are not a whole batch | 400 refused 0: not a sealed batch (it does not start with ETSB)'
if [ "$(cat http.out)" = "$want" ]; then
	pass http.edge_cases
else
	fail http.edge_cases "got: $(diff <(echo "$want") http.out | tr '\n' '|')"
fi
check http.client_gone_logged grep -q 'connection closed by the client in the middle of a request' D.err
check http.edge_cases_logged [ "$(grep -c ': \(400\|411\|431\) ' D.err)" = 4 ]
check http.ndjson_once [ "$(cat ndD/gw-1/*.ndjson | wc -l)" = 1000 ]
stop_collector D

# ------------------------------------------------- PostgreSQL goes away

lines_before=$(cat ndA/gw-2/*.ndjson 2>/dev/null | wc -l)
pg stop -m fast >/dev/null 2>&1
before=$(find ndA -type f -printf '%p %s\n' | sort)
got=$(post A $D2 b2x/000102.etsb)
check pg_down.503 [ "${got#503 unavailable: PostgreSQL}" != "$got" ]
check pg_down.ndjson_not_written [ "$(find ndA -type f -printf '%p %s\n' | sort)" = "$before" ]
check pg_down.logged grep -q "batch 102 of device 'gw-2' not stored, the device will resend it" A.err
pg -o "-c listen_addresses='' -k $PGDIR -p 5432 -c fsync=off" start >/dev/null 2>&1
expect_post pg_up.resend_stored "200 stored gw-2 102" A $D2 b2x/000102.etsb
check pg_up.in_pg [ "$(sql "SELECT records FROM edgetrace_batches WHERE device_id = 'gw-2' AND batch_seq = 102")" = 50 ]
check pg_up.in_ndjson [ "$(cat ndA/gw-2/*.ndjson | wc -l)" = $((lines_before + 50)) ]

# ------------------------------------------------- PostgreSQL hangs
# Stopped (SIGSTOP: the kernel still accepts and acknowledges, nothing
# answers, as with a stuck disk): a batch gets 503 within the collector's
# deadline (10 s) instead of never, other clients are served meanwhile
# (after that wait at most), batches get 503 at once while PostgreSQL is
# left alone, and once it runs again the resend is stored.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }	# A B: B - A
pm=$(head -1 "$PGDIR/data/postmaster.pid")
pgpids="$pm $(ps -o pid= --ppid "$pm" | tr '\n' ' ')"
kill -STOP $pgpids
t0=$(date +%s.%N)
post A $D2 b2x/000105.etsb >hang1.out &
P1=$!
sleep 1
t1=$(date +%s.%N)
got405=$(curl -sS --max-time 30 --cacert ca.crt --cert dev1.crt --key dev1/device.key \
	-o /dev/null -w '%{http_code}' "https://localhost:${CPORT[A]}/v1/batches" 2>>curl.err)
t2=$(date +%s.%N)
wait $P1
t3=$(date +%s.%N)
echo "    pg_hang: 503 after $(secs "$t0" "$t3") s, another client answered after $(secs "$t1" "$t2") s"
check pg_hang.503_within_deadline [ "$(cut -c1-50 hang1.out)" = "503 unavailable: PostgreSQL: no answer within 10 s" -a \
	"$(secs "$t0" "$t3" | cut -d. -f1)" -lt 14 ]
check pg_hang.others_served [ "$got405" = 405 -a "$(secs "$t1" "$t2" | cut -d. -f1)" -lt 14 ]
t4=$(date +%s.%N)
got=$(post A $D2 b2x/000105.etsb)
t5=$(date +%s.%N)
check pg_hang.left_alone_503_at_once [ "${got#503 unavailable: PostgreSQL failed, not tried again}" != "$got" -a \
	"$(secs "$t4" "$t5" | cut -d. -f1)" -lt 3 ]
check pg_hang.logged grep -q "PostgreSQL left alone for 2 s: PostgreSQL: no answer within 10 s" A.err
kill -CONT $pgpids
sleep 2.5
expect_post pg_hang.resend_stored "200 stored gw-2 105" A $D2 b2x/000105.etsb
check pg_hang.in_pg [ "$(sql "SELECT records FROM edgetrace_batches WHERE device_id = 'gw-2' AND batch_seq = 105")" = 50 ]

# ------------------------------------------------------ NDJSON alone

# the largest of the 50-record batches is the limit; a 250-record one passes it
limit=$(stat -c %s b2x/*.etsb | sort -n | tail -1)
start_collector C --ndjson ndC --max-batch-bytes "$limit" || exit 1
expect_post ndjson.stored_then_duplicate "200 stored gw-2 103|200 duplicate gw-2 103" C $D2 b2x/000103.etsb b2x/000103.etsb
check ndjson.marker [ -f ndC/gw-2/.batches/103 ]
check ndjson.lines_once [ "$(cat ndC/gw-2/*.ndjson | wc -l)" = 50 ]
check ndjson.equals_export cmp -s <(cat ndC/gw-2/*.ndjson) <(sed -n 151,200p want2.jsonl)
# the body of a 413 is read and dropped: the connection goes on
expect_post limit.413_then_next "413 too large|200 stored gw-2 104" C $D2 b1/000001.etsb b2x/000104.etsb
expect_post limit.413_expect_100 "413 too large" C $D1 bbig1/000700.etsb
check limit.413_keeps_connection [ "$(grep -c "$(sed -n 's/^edgetrace-collector: \([0-9.:]*\) .*refused a request of.*/\1/p' C.err | head -1): stored batch 104" C.err)" = 1 ]
check limit.logged grep -q "over --max-batch-bytes $limit" C.err

# ------------------------------------------------------- stopping

# with an idle keep-alive connection open
sleep 5 2>/dev/null | openssl s_client -quiet -connect "127.0.0.1:${CPORT[C]}" \
	-cert dev1.crt -key dev1/device.key -CAfile ca.crt >/dev/null 2>&1 &
IDLE=$!
for i in $(seq 1 50); do
	ss -tn state established "( sport = :${CPORT[C]} )" | grep -q . && break
	sleep 0.1
done
sleep 0.3
stop_collector C
check sigterm.exit_0 [ $? = 0 ]
check sigterm.logged grep -q 'stopping: 1 connection closed' C.err
kill "$IDLE" 2>/dev/null

# --------------------------------------------------- bad configuration

# bad_config NAME PATTERN ARGS...: exit 1 or 2, PATTERN on stderr, quickly
bad_config() {
	local name=$1 pattern=$2 rc=0
	shift 2
	timeout 20 "$COLLECTOR" "$@" >bad.out 2>bad.err || rc=$?
	if [ $rc != 1 ] && [ $rc != 2 ]; then
		fail "config.$name" "exit code $rc (stderr: $(head -c 300 bad.err))"
	elif ! grep -q -- "$pattern" bad.err; then
		fail "config.$name" "stderr did not match '$pattern': $(head -c 300 bad.err)"
	else
		pass "config.$name"
	fi
}
OK=(--cert srv.crt --key srv.key --ca ca.crt --fleet-key fleet/fleet.key --ndjson ndC)
L=(--listen 127.0.0.1:0)
echo 'not a certificate' >junk.pem
bad_config missing_fleet_key '--fleet-key' "${L[@]}" --cert srv.crt --key srv.key --ca ca.crt --fleet-key nonexistent.key --ndjson ndC
bad_config fleet_key_is_public '--fleet-key' "${L[@]}" --cert srv.crt --key srv.key --ca ca.crt --fleet-key fleet/fleet.pub --ndjson ndC
bad_config fleet_key_junk '--fleet-key' "${L[@]}" --cert srv.crt --key srv.key --ca ca.crt --fleet-key junk.pem --ndjson ndC
bad_config unreadable_ca '--ca nonexistent.crt' "${L[@]}" --cert srv.crt --key srv.key --ca nonexistent.crt --fleet-key fleet/fleet.key --ndjson ndC
bad_config junk_ca '--ca junk.pem' "${L[@]}" --cert srv.crt --key srv.key --ca junk.pem --fleet-key fleet/fleet.key --ndjson ndC
bad_config missing_cert '--cert nonexistent.crt' "${L[@]}" --cert nonexistent.crt --key srv.key --ca ca.crt --fleet-key fleet/fleet.key --ndjson ndC
bad_config key_not_the_certs '--key dev1/device.key is not the key of --cert' "${L[@]}" --cert srv.crt --key dev1/device.key --ca ca.crt --fleet-key fleet/fleet.key --ndjson ndC
bad_config public_server_key '--key fleet/fleet.pub' "${L[@]}" --cert srv.crt --key fleet/fleet.pub --ca ca.crt --fleet-key fleet/fleet.key --ndjson ndC
bad_config bad_listen "--listen 'nonsense'" --listen nonsense "${OK[@]}"
bad_config bad_listen_port "--listen '127.0.0.1:99999'" --listen 127.0.0.1:99999 "${OK[@]}"
bad_config listen_in_use "--listen '127.0.0.1:${CPORT[A]}': cannot listen" --listen "127.0.0.1:${CPORT[A]}" "${OK[@]}"
bad_config bad_pg "--pg 'host=$PGDIR port=1 user=postgres'" "${L[@]}" "${OK[@]}" --pg "host=$PGDIR port=1 user=postgres"
bad_config missing_ndjson_dir '--ndjson nonexistent' "${L[@]}" --cert srv.crt --key srv.key --ca ca.crt --fleet-key fleet/fleet.key --ndjson nonexistent
bad_config no_sink 'give --ndjson DIR, --pg CONNINFO or both' "${L[@]}" --cert srv.crt --key srv.key --ca ca.crt --fleet-key fleet/fleet.key
bad_config bad_max_batch '--max-batch-bytes' "${L[@]}" "${OK[@]}" --max-batch-bytes lots

# ----------------------------------------------------------- the end

stop_collector A
check sigterm.pg_ndjson_exit_0 [ $? = 0 ]
stop_collector B
check no_sanitizer_or_crash_lines [ "$(cat A.err B.err C.err | grep -c 'runtime error\|AddressSanitizer\|LeakSanitizer')" = 0 ]
