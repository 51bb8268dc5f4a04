#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_uplink.sh - `edgetrace uplink` against tests/tools/uplink_stub.py (a
# stand-in collector implementing docs/uplink-protocol.md's responses),
# with real TLS between two network namespaces joined by a veth pair:
#
#   bad_config.*   malformed settings: exit 2 naming the setting; an
#                  unresolvable collector: keeps running, says so
#   basic.*        every record arrives exactly once, in order (decoded by
#                  `edgetrace decode`), over one keep-alive connection
#   refused_503.*  a 400 batch is skipped and counted, 503 is retried
#   lossy.*        netem 30 % loss and 500 ms delay both ways, the stub
#                  killed and restarted, the uplink killed -9 and restarted:
#                  every record exactly once, in order
#   rate.*         the bandwidth cap holds within 10 % over a 60 s upload,
#                  at the collector and on the device's wire
#   link_down.*    veth down: no attempt; the agent captures on while the
#                  spool evicts oldest-first; back up: the rest arrives
#
# It needs the build with CONFIG_UPLINK_HTTPS (make uplink-variant:
# build/<board>-uplink, small batches and a 4 MiB spool); without it, SKIP.
# Addresses: 10.231.N.0/30, made here; namespaces and /etc/netns/<ns> are
# removed on exit, failure or not.
. "$(dirname "$0")/lib.sh"

# The uplink build beside the agent under test (release or ASan), with its
# small batches and spool, even where the agent under test has the uplink
# too (the default does): the checks count batches and evictions.
case $EDGETRACE in
*/asan/edgetrace) E=${EDGETRACE%/asan/edgetrace}-uplink/asan/edgetrace ;;
*) E=${EDGETRACE%/edgetrace}-uplink/edgetrace ;;
esac
if [ ! -x "$E" ]; then
	echo "SKIP $TEST_NAME: no uplink-variant build ($E; make uplink-variant)"
	exit 0
fi
EDGETRACE=$E
TOOLS=$(dirname "${EDGETRACE%/asan/edgetrace}")
case $EDGETRACE in */asan/*) TOOLS=${EDGETRACE%/asan/edgetrace}/tools ;; *) TOOLS=${EDGETRACE%/edgetrace}/tools ;; esac
STUB=$(readlink -f "$(dirname "$0")/../tools/uplink_stub.py")
for t in capgen; do
	[ -x "$TOOLS/$t" ] || { echo "SKIP $TEST_NAME: no $TOOLS/$t (make tools)"; exit 0; }
done

N=$(( $$ % 250 ))
DEV=etu-dev-$$
COL=etu-col-$$
DEV_IP=10.231.$N.1
COL_IP=10.231.$N.2
PORT=8443
UPLINK_PID=
STUB_PID=
PROXY_PID=
SAMPLER_PID=

cleanup() {
	[ -n "$UPLINK_PID" ] && kill -9 "$UPLINK_PID" 2>/dev/null
	[ -n "$STUB_PID" ] && kill -9 "$STUB_PID" 2>/dev/null
	[ -n "$PROXY_PID" ] && kill -9 "$PROXY_PID" 2>/dev/null
	[ -n "$SAMPLER_PID" ] && kill -9 "$SAMPLER_PID" 2>/dev/null
	stop_agent >/dev/null 2>&1
	ip netns del "$DEV" 2>/dev/null
	ip netns del "$COL" 2>/dev/null
	rm -rf "/etc/netns/$DEV"
	rmdir /etc/netns 2>/dev/null	# only when empty: ours
	rm -rf "$T"
}
trap cleanup EXIT

# ------------------------------------------------------------ keys, certs
K=$T/keys
mkdir -p "$K"
"$EDGETRACE" keygen --fleet "$K/fleet" >/dev/null
"$EDGETRACE" keygen --device "$K/dev" >/dev/null
cert() {	# cert NAME CN EKU KEY
	openssl req -new -key "$4" -sha256 -subj "/CN=$2" -out "$K/$1.csr" 2>/dev/null
	printf 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = %s\nsubjectAltName = DNS:%s\n' "$3" "$2" > "$K/$1.ext"
	openssl x509 -req -in "$K/$1.csr" -CA "$K/ca.crt" -CAkey "$K/ca.key" \
		-CAcreateserial -days 2 -sha256 -extfile "$K/$1.ext" -out "$K/$1.crt" 2>/dev/null
}
openssl ecparam -name prime256v1 -genkey -noout -out "$K/ca.key" 2>/dev/null
openssl req -x509 -new -key "$K/ca.key" -sha256 -days 2 -subj "/CN=test fleet CA" -out "$K/ca.crt" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$K/col.key" 2>/dev/null
cert dev gw-test clientAuth "$K/dev/device.key"
cert col collector.test serverAuth "$K/col.key"

CONF=$T/uplink.conf
cat > "$CONF" <<EOF
uplink-url = https://collector.test:$PORT/v1/batches
uplink-ca = $K/ca.crt
uplink-cert = $K/dev.crt
fleet-pub = $K/fleet/fleet.pub
device-key = $K/dev/device.key
device-id = gw-test
uplink-backoff = 2
EOF

# -------------------------------------------------------------- bad config
# expect NAME CODE TEXT ARGS...: the uplink exits CODE saying TEXT
expect() {
	local name=$1 code=$2 text=$3 rc=0
	shift 3
	timeout 10 "$EDGETRACE" uplink --spool "$T/badspool" "$@" >"$T/bad.out" 2>&1 || rc=$?
	if [ "$rc" -eq "$code" ] && grep -qF -- "$text" "$T/bad.out"; then
		pass "bad_config.$name"
	else
		fail "bad_config.$name" "want exit $code and '$text', got $rc: $(head -3 "$T/bad.out")"
	fi
}
expect missing_url 2 "no uplink-url" --uplink-ca x
expect malformed_url 2 "uplink-url 'http://collector.test/' must start with https://" \
	--config "$CONF" --uplink-url http://collector.test/
expect bad_port 2 "uplink-url 'https://collector.test:99999/' is not a URL" \
	--config "$CONF" --uplink-url https://collector.test:99999/
expect missing_key_file 2 "device-key" --config "$CONF" --device-key "$K/nope.key"
expect fleet_pub_is_private 2 "fleet-pub" --config "$CONF" --fleet-pub "$K/fleet/fleet.key"
expect device_key_is_public 2 "device-key" --config "$CONF" --device-key "$K/dev/device.pub"
expect cert_not_for_key 2 "uplink-key $K/col.key is not the key of uplink-cert" \
	--config "$CONF" --uplink-key "$K/col.key"
expect ca_not_a_cert 2 "uplink-ca" --config "$CONF" --uplink-ca "$K/ca.key"
expect bad_rate 2 "uplink-rate '10x'" --config "$CONF" --uplink-rate 10x
printf 'uplink-rat = 5\n' > "$T/typo.conf"
expect config_typo 2 "typo.conf:1: unknown setting 'uplink-rat'" --config "$T/typo.conf"

# an unresolvable collector is not a configuration error: it retries
"$EDGETRACE" uplink --config "$CONF" --spool "$T/badspool" \
	--uplink-url https://no-such-host.invalid/ >"$T/unres.out" 2>&1 &
p=$!
sleep 2
if kill -0 $p 2>/dev/null && "$EDGETRACE" status --spool "$T/badspool" --json |
	grep -q '"uplink":{' ; then
	pass bad_config.unresolvable_keeps_running
else
	fail bad_config.unresolvable_keeps_running "exited: $(cat "$T/unres.out")"
fi
kill $p 2>/dev/null; wait $p 2>/dev/null

# ----------------------------------------------------------------- network
ip netns add "$DEV" && ip netns add "$COL" &&
	ip link add "etd$N" netns "$DEV" type veth peer name "etc$N" netns "$COL" &&
	ip -n "$DEV" addr add "$DEV_IP/30" dev "etd$N" &&
	ip -n "$COL" addr add "$COL_IP/30" dev "etc$N" &&
	ip -n "$DEV" link set "etd$N" up && ip -n "$COL" link set "etc$N" up &&
	ip -n "$DEV" link set lo up && ip -n "$COL" link set lo up || {
	fail setup "cannot make the network namespaces"
	exit 1
}
mkdir -p "/etc/netns/$DEV"
printf '127.0.0.1 localhost\n%s collector.test\n' "$COL_IP" > "/etc/netns/$DEV/hosts"

# start_stub OUT [ARGS...]
start_stub() {
	local out=$1 i
	shift
	rm -f "$out/ready"
	ip netns exec "$COL" python3 "$STUB" --bind "${STUB_BIND:-$COL_IP}" \
		--port "${STUB_PORT:-$PORT}" \
		--cert "$K/col.crt" --key "$K/col.key" --ca "$K/ca.crt" \
		--out "$out" "$@" 2>>"$T/stub.err" &
	STUB_PID=$!
	for i in $(seq 1 100); do
		[ -f "$out/ready" ] && return 0
		sleep 0.05
	done
	return 1
}
stop_stub() { [ -n "$STUB_PID" ] && kill -"${1:-TERM}" "$STUB_PID" 2>/dev/null; wait "$STUB_PID" 2>/dev/null; STUB_PID=; }

# start_uplink SPOOL [ARGS...]
start_uplink() {
	local spool=$1
	shift
	ip netns exec "$DEV" "$EDGETRACE" uplink --config "$CONF" --spool "$spool" "$@" \
		>>"$T/uplink.out" 2>>"$T/uplink.err" &
	UPLINK_PID=$!
}
stop_uplink() { [ -n "$UPLINK_PID" ] && kill -"${1:-TERM}" "$UPLINK_PID" 2>/dev/null; wait "$UPLINK_PID" 2>/dev/null; UPLINK_PID=; }

# ustat SPOOL KEY: a number from the uplink's status
ustat() {
	"$EDGETRACE" status --spool "$1" --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print((d.get("uplink") or {}).get(sys.argv[1], -1))' "$2"
}

# wait_sent SPOOL SECONDS: until the cursor is past the last record
wait_sent() {
	local i last
	last=$("$EDGETRACE" status --spool "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["spool"]["last_seq"])')
	for i in $(seq 1 $(( $2 * 2 ))); do
		[ "$(ustat "$1" cursor)" = $((last + 1)) ] && return 0
		sleep 0.5
	done
	return 1
}

# exactly_once OUT FROM TO [SKIP...]: the stored batches decode to seqs
# FROM..TO, each once, in order (SKIP: seqs of refused batches, "A-B")
exactly_once() {
	local out=$1 from=$2 to=$3
	shift 3
	"$EDGETRACE" decode --key "$K/fleet/fleet.key" --device-pub "$K/dev/device.pub" \
		"$out/stored.sealed" 2>"$out/decode.err" | python3 -c '
import json, sys
lo, hi = int(sys.argv[1]), int(sys.argv[2])
skip = set()
for r in sys.argv[3:]:
    a, b = map(int, r.split("-"))
    skip.update(range(a, b + 1))
got = [json.loads(l)["seq"] for l in sys.stdin]
want = [s for s in range(lo, hi + 1) if s not in skip]
if got != want:
    print("want %d seqs %d..%d, got %d (dups %d, first %s, last %s)" % (
        len(want), lo, hi, len(got), len(got) - len(set(got)),
        got[:1], got[-1:]), file=sys.stderr)
    sys.exit(1)' "$from" "$to" "$@"
}

# ------------------------------------------------------------------ basic
S=$T/s-basic
O=$T/o-basic
mkdir -p "$O"
"$TOOLS/capgen" -n 3000 -q -o "$T/cap3k"
# run reads the same config file and leaves the uplink's settings alone
check basic.run_takes_uplink_config "$EDGETRACE" run --config "$CONF" --spool "$S" \
	--replay "$T/cap3k"
start_stub "$O" || fail basic.stub "the stub did not start: $(cat "$T/stub.err")"
start_uplink "$S"
if wait_sent "$S" 30; then pass basic.all_acknowledged; else fail basic.all_acknowledged "cursor $(ustat "$S" cursor)"; fi
check basic.exactly_once_in_order exactly_once "$O" 1 3000
conns=$(python3 -c 'import json,sys; print(len({json.loads(l)["conn"] for l in open(sys.argv[1])}))' "$O/requests.jsonl")
batches=$(wc -l < "$O/requests.jsonl")
check basic.one_keepalive_connection test "$conns" -eq 1 -a "$batches" -gt 3
sent=$(ustat "$S" bytes_sent)
raw=$("$EDGETRACE" export --spool "$S" --format raw 2>/dev/null | wc -c)
echo "    basic: 3000 records, $batches batches, $sent bytes on the wire (TLS included), $((sent * 1000 / 3000 / 1000)).$((sent * 1000 / 3000 % 1000)) bytes per record, raw capture $raw bytes ($((sent * 100 / raw)) %)"
# new records are cut after UPLINK_BATCH_AGE_S; a restart of the stub
# drops the session keys, a restart of the uplink resumes
"$EDGETRACE" run --spool "$S" --replay "$T/cap3k" 2>/dev/null
if wait_sent "$S" 30; then pass basic.later_records; else fail basic.later_records "cursor $(ustat "$S" cursor)"; fi
check basic.exactly_once_after_more exactly_once "$O" 1 6000
stop_uplink
check basic.status_gone_after_stop test "$(ustat "$S" cursor)" = -1
stop_stub

# ------------------------------------------- the real collector, if built
# build/<board>/edgetrace-collector (make collector), NDJSON sink only
COLLECTOR=${EDGETRACE%/asan/edgetrace}
COLLECTOR=${COLLECTOR%/edgetrace}
COLLECTOR=${COLLECTOR%-uplink}/edgetrace-collector
if [ -x "$COLLECTOR" ]; then
	S=$T/s-coll
	mkdir -p "$T/nd"
	"$EDGETRACE" run --spool "$S" --replay "$T/cap3k" 2>/dev/null
	ip netns exec "$COL" "$COLLECTOR" --listen "$COL_IP:$PORT" --cert "$K/col.crt" \
		--key "$K/col.key" --ca "$K/ca.crt" --fleet-key "$K/fleet/fleet.key" \
		--ndjson "$T/nd" 2>"$T/collector.err" &
	STUB_PID=$!
	sleep 1
	start_uplink "$S"
	if wait_sent "$S" 30; then pass collector.all_acknowledged; else fail collector.all_acknowledged "cursor $(ustat "$S" cursor): $(tail -3 "$T/collector.err")"; fi
	got=$(cat "$T"/nd/gw-test/*.ndjson 2>/dev/null | python3 -c '
import json, sys
s = [json.loads(l)["seq"] for l in sys.stdin]
print("ok" if s == list(range(1, 3001)) else "%d records" % len(s))')
	check collector.ndjson_exactly_once test "$got" = ok
	stop_uplink
	stop_stub
else
	echo "SKIP $TEST_NAME.collector: no $COLLECTOR (make collector)"
fi

# -------------------------------------------------------------- 400, 503
S=$T/s-refused
O=$T/o-refused
mkdir -p "$O"
"$EDGETRACE" run --spool "$S" --replay "$T/cap3k" 2>/dev/null
start_stub "$O" --refuse-batch 2 --unavailable 2
start_uplink "$S"
wait_sent "$S" 40 || fail refused_503.all_done "cursor $(ustat "$S" cursor)"
check refused_503.refused_counted test "$(ustat "$S" batches_refused)" = 1
range=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["status"] == 400:
        print("%d-%d" % (r["first"], r["last"])); break' "$O/requests.jsonl")
check refused_503.skipped_not_resent test "$(grep -c '"status": 400' "$O/requests.jsonl")" = 1
check refused_503.rest_exactly_once exactly_once "$O" 1 3000 "$range"
n503=$(grep -c '"status": 503' "$O/requests.jsonl")
check refused_503.retried_after_503 test "$n503" = 2
check refused_503.error_in_status grep -q "refused by the collector" "$T/uplink.err"
stop_uplink
stop_stub

# ------------------------------------------ loss, delay, kills, restarts
S=$T/s-lossy
O=$T/o-lossy
mkdir -p "$O"
"$TOOLS/capgen" -n 1500 -s 7 -q -o "$T/cap-l"
"$EDGETRACE" run --spool "$S" --replay "$T/cap-l" 2>/dev/null
# netem where the kernel has it; otherwise 30 % loss from a tc BPF program
# on both veth ends and 500 ms each way from a relay in front of the stub
LOSSY=netem
if ! ip netns exec "$DEV" tc qdisc add dev "etd$N" root netem loss 30% delay 500ms 2>/dev/null; then
	LOSSY=bpf
	clang -O2 -target bpf -I/usr/include/$(uname -m)-linux-gnu \
		-c "$(dirname "$STUB")/bpf/loss.bpf.c" -o "$T/loss.o" &&
	for end in "$DEV etd$N" "$COL etc$N"; do
		set -- $end
		ip netns exec "$1" tc qdisc add dev "$2" clsact &&
		ip netns exec "$1" tc filter add dev "$2" egress bpf da obj "$T/loss.o" sec tc
	done || fail lossy.setup "cannot attach the loss program"
	ip netns exec "$COL" python3 "$(dirname "$STUB")/delay_proxy.py" \
		--listen "$COL_IP:$PORT" --to "127.0.0.1:9443" --delay 0.5 &
	PROXY_PID=$!
	export STUB_BIND=127.0.0.1 STUB_PORT=9443
else
	ip netns exec "$COL" tc qdisc add dev "etc$N" root netem loss 30% delay 500ms
fi
echo "    lossy: 30 % loss and 500 ms delay each way ($LOSSY)"
start_stub "$O"
start_uplink "$S"
sleep 8
stop_uplink KILL			# the uplink dies mid-batch
start_uplink "$S"
sleep 6
stop_stub KILL				# and the collector
sleep 2
start_stub "$O"
# the agent captures into the spool meanwhile, and is killed -9 too
for round in 1 2; do
	if start_agent "$S"; then
		for i in $(seq 1 100); do /bin/true; done
		sleep 1
		stop_agent "$([ $round = 1 ] && echo KILL || echo INT)"
	else
		fail lossy.agent_starts "$(cat "$T/agent.err")"
	fi
done
sleep 4
stop_uplink KILL
start_uplink "$S"
last=$("$EDGETRACE" status --spool "$S" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["spool"]["last_seq"])')
check lossy.agent_recorded test "$last" -gt 1600
if wait_sent "$S" 240; then pass lossy.all_acknowledged; else fail lossy.all_acknowledged "cursor $(ustat "$S" cursor) after 240 s"; fi
check lossy.exactly_once_in_order exactly_once "$O" 1 "$last"
dups=$(grep -c '"status": 200' "$O/requests.jsonl")
echo "    lossy: $(wc -l < "$O/requests.jsonl") posts answered ($(( $(grep -c "\"status\": 200" "$O/requests.jsonl") - $(ls "$O/batches" | wc -l) )) duplicates), $(ls "$O/batches" | wc -l) batches stored"
stop_uplink
stop_stub
if [ $LOSSY = netem ]; then
	ip netns exec "$DEV" tc qdisc del dev "etd$N" root
	ip netns exec "$COL" tc qdisc del dev "etc$N" root
else
	ip netns exec "$DEV" tc qdisc del dev "etd$N" clsact
	ip netns exec "$COL" tc qdisc del dev "etc$N" clsact
	kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=
	unset STUB_BIND STUB_PORT
fi

# ------------------------------------------------------------- bandwidth
# The cap over a 60 s upload (issue 7), seen from both ends. The spool
# holds more than 60 s of batches at the cap, so the uplink sends the
# whole window through. The window starts 3 s after the first post (the
# bucket starts full: one second of burst) and is measured between two
# events inside it, so that no post is counted in part:
#   collector  the batch bytes of the posts completed after the window's
#              first completion, up to its last, over the time between
#              them (bodies only: TLS and HTTP add a few per cent)
#   device     bytes_sent in the uplink's status (TCP payload, TLS and
#              handshakes included: what the cap is on) between two status
#              writes, by the status file's mtime
RATE=8000
WINDOW=60
S=$T/s-rate
O=$T/o-rate
mkdir -p "$O"
# about 40 bytes a record on the wire: 18,000 records are 90 s at the cap
"$TOOLS/capgen" -n 18000 -s 3 -q -o "$T/cap-r"
"$EDGETRACE" run --spool "$S" --replay "$T/cap-r" 2>/dev/null
start_stub "$O"
start_uplink "$S" --uplink-rate $RATE
# the uplink's status file, sampled: "mtime bytes_sent lag_records"
python3 - "$S" "$T/rate.samples" <<'EOF' &
import json, os, sys, time
st = os.stat(sys.argv[1])
d = "/run/edgetrace" if (os.access("/run/edgetrace", os.W_OK) or
                        os.access("/run", os.W_OK)) else "/tmp/edgetrace"
path = "%s/uplink-%x-%d.json" % (d, st.st_dev, st.st_ino)	# core/status.c
seen = None
with open(sys.argv[2], "w", buffering=1) as out:
    while True:
        try:
            m = os.stat(path).st_mtime
            if m != seen:
                u = json.load(open(path))
                out.write("%.6f %d %d\n" % (m, u["bytes_sent"], u["lag_records"]))
                seen = m
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
EOF
SAMPLER_PID=$!
sleep $((WINDOW + 3 + 4))
kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null; SAMPLER_PID=
stop_uplink
stop_stub
# prints "collector_rate collector_span device_rate device_span lag_at_end"
read -r crate cspan drate dspan lag < <(python3 - "$O/requests.jsonl" "$T/rate.samples" "$WINDOW" <<'EOF'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
rs = [r for r in rs if r["status"] == 200]
w = float(sys.argv[3])
t0 = rs[0]["t"] + 3
ins = [r for r in rs if t0 <= r["t"] <= t0 + w]
crate = cspan = 0
if len(ins) >= 2:
    cspan = ins[-1]["t"] - ins[0]["t"]
    crate = sum(r["bytes"] for r in ins[1:]) / cspan
sm = [tuple(map(float, l.split())) for l in open(sys.argv[2])]
sins = [x for x in sm if t0 <= x[0] <= t0 + w]
drate = dspan = 0
lag = -1
if len(sins) >= 2:
    dspan = sins[-1][0] - sins[0][0]
    drate = (sins[-1][1] - sins[0][1]) / dspan
    lag = int(sins[-1][2])
print("%.0f %.1f %.0f %.1f %d" % (crate, cspan, drate, dspan, lag))
EOF
)
echo "    rate: cap $RATE bytes/s; the collector received $crate bytes/s of batches over ${cspan} s; the device sent $drate bytes/s over ${dspan} s; $lag records still waiting"
check rate.window_60s python3 -c "import sys; sys.exit(not ($cspan >= $WINDOW - 5 and $dspan >= $WINDOW - 5))"
check rate.busy_whole_window test "$lag" -gt 0
check rate.collector_within_10_percent python3 -c "import sys; r=$crate; sys.exit(not (0.9 * $RATE <= r <= 1.1 * $RATE))"
check rate.device_within_10_percent python3 -c "import sys; r=$drate; sys.exit(not (0.9 * $RATE <= r <= 1.1 * $RATE))"

# -------------------------------------------------------------- link down
S=$T/s-down
O=$T/o-down
mkdir -p "$O"
"$EDGETRACE" run --spool "$S" --replay "$T/cap3k" 2>/dev/null
start_stub "$O"
ip -n "$DEV" link set "etd$N" down
start_uplink "$S"
sleep 3
check link_down.state_no_route test "$(ustat "$S" state)" = no-route
check link_down.no_attempt test "$(ustat "$S" attempts)" = 0 -a ! -s "$O/requests.jsonl"
# capture goes on while the spool fills: replay to fill it, then the agent
# enough records to pass the map (the test build's is 4 MiB): ~160 bytes each
map=$("$EDGETRACE" status --spool "$S" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["spool"]["map_size"])')
"$TOOLS/capgen" -n $(( map / 130 )) -s 5 -q -o "$T/cap-big"
"$EDGETRACE" run --spool "$S" --replay "$T/cap-big" 2>/dev/null
if start_agent "$S"; then
	for i in $(seq 1 50); do /bin/true; done
	sleep 1
	check link_down.agent_keeps_running kill -0 "$AGENT_PID"
	stop_agent
else
	fail link_down.agent_starts "$(cat "$T/agent.err")"
fi
read -r first last evicted < <("$EDGETRACE" status --spool "$S" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["spool"]
print(s["first_seq"], s["last_seq"], s["evicted"])')
check link_down.evicted_oldest_first test "$evicted" -gt 0 -a "$first" = $((evicted + 1))
check link_down.still_no_attempt test "$(ustat "$S" attempts)" = 0
ip -n "$DEV" link set "etd$N" up
if wait_sent "$S" 60; then pass link_down.sent_when_up; else fail link_down.sent_when_up "cursor $(ustat "$S" cursor)"; fi
# the batch cut before the eviction was in memory and went as it was; the
# rest is first..last, once each, in order, and what never went is lost
early=$(python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["status"] == 200]
print(sum(r["count"] for r in rs if r["last"] < int(sys.argv[2])))' "$O/requests.jsonl" "$first")
early_last=$(python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["status"] == 200]
print(max([r["last"] for r in rs if r["last"] < int(sys.argv[2])] or [0]))' "$O/requests.jsonl" "$first")
skip=$([ "$early_last" -gt 0 ] && echo "$((early_last + 1))-$((first - 1))")
check link_down.rest_exactly_once exactly_once "$O" "$(( early_last > 0 ? 1 : first ))" "$last" $skip
check link_down.lost_counted test "$(ustat "$S" records_lost)" = "$((evicted - early))"
stop_uplink
stop_stub
exit 0
