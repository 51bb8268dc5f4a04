# SPDX-License-Identifier: GPL-2.0
#
# test_net.sh - feature row 3 (network) end to end, with real BPF: one
# agent run, conversations of exactly known size between netpeer
# (tests/tools/netpeer.c) servers and clients, then the spool is checked
# event by event:
#   - TCP over IPv4 and IPv6, on loopback and between two network
#     namespaces joined by a veth pair: bind, listen (backlog), connect,
#     accept with fds, addresses and ports; at the end of each connection
#     the bytes sent and received, to the byte, in both directions and for
#     both close orders (client first, server first), and a 4 MiB one;
#   - non-blocking connects: EINPROGRESS, then the outcome (0, refused
#     -111) when the handshake ends within the call (loopback), and after
#     it returned (a link brought up during the handshake: 0; a neighbour
#     that never answers: -113, EHOSTUNREACH);
#   - a blocking connect refused (-111), and no close for failed connects;
#   - UDP over IPv4 and IPv6, connected and not (sendto), byte totals at
#     close and at exit without close;
#   - unix stream sockets, by path and abstract ("@name"), and at exit.
# Every expectation must match exactly one event (so each is reported
# once). Skipped when the agent was built without the net probe.
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the built tests/tools (build/<board>/tools)}"
NETPEER=$(readlink -f "$ET_TOOLS")/netpeer

case " $("$EDGETRACE" --version 2>&1 | sed -n 's/.*probes: \([^)]*\)).*/\1/p') " in
*" net "*) ;;
*)
	echo "SKIP $TEST_NAME: the agent was built without the net probe (CONFIG_PROBE_NET)"
	exit 0
	;;
esac
if [ ! -x "$NETPEER" ]; then
	fail tools "$NETPEER is missing: run make tools"
	exit 1
fi

# ---------------------------------------------------------------- netns

NSA=et-a-$$
NSB=et-b-$$
VA=eta$$
VB=etb$$
IPA=10.231.0.1
IPB=10.231.0.2
IPA6=fd00:e7::1
IPB6=fd00:e7::2
NS_OK=

cleanup_ns() {
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
}
trap 'stop_agent >/dev/null 2>&1; cleanup_ns; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# Two namespaces, one veth pair between them; IPv6 without DAD (usable at once).
setup_ns() {
	ip netns add "$NSA" && ip netns add "$NSB" &&
		ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" &&
		ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up &&
		ip -n "$NSA" link set "$VA" up && ip -n "$NSB" link set "$VB" up &&
		ip -n "$NSA" addr add $IPA/24 dev "$VA" &&
		ip -n "$NSB" addr add $IPB/24 dev "$VB" &&
		ip -n "$NSA" addr add $IPA6/64 dev "$VA" nodad &&
		ip -n "$NSB" addr add $IPB6/64 dev "$VB" nodad
}

# in_ns NS CMD...: run CMD in network namespace NS ("-": this one)
in_ns() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then "$@"; else ip netns exec "$ns" "$@"; fi
}

# ------------------------------------------------------------ helpers

EXP=$T/expect

# expect NAME TYPE PID FIELD=VALUE...: exactly one event of TYPE whose
# proc.pid is PID has these fields ("net.x>0": positive; "!net.x": absent)
expect() {
	local IFS=$'\t'
	echo "$*" >>"$EXP"
}

# none NAME TYPE PID [FIELD=VALUE...]: no such event
none() {
	local name=$1
	shift
	expect "$name" "$@" "count=0"
}

# field FILE WORD KEY: KEY=value on the line of FILE starting with WORD
field() {
	sed -n "s/^$2 .*\b$3=\([^ ]*\).*/\1/p" "$1" | head -1
}

# serve NAME NS PROTO ADDR SEND RECV [OPTS...]: a server in the background;
# its output in $T/NAME.srv, its port in PORT once it is bound
serve() {
	local name=$1 ns=$2 i
	shift 2
	in_ns "$ns" "$NETPEER" server "$@" >"$T/$name.srv" 2>"$T/$name.srv.err" &
	SRV=$!
	for i in $(seq 1 100); do
		grep -qs '^\(listen\|bind\) ' "$T/$name.srv" && break
		sleep 0.05
	done
	PORT=$(sed -n 's/^\(listen\|bind\) fd=[0-9]* port=\([0-9]*\)/\2/p' "$T/$name.srv")
	[ -n "$PORT" ] || fail "$name.server" "did not bind: $(cat "$T/$name.srv.err")"
}

# client NAME NS PROTO ADDR PORT SEND RECV [OPTS...]: output in $T/NAME.cli
client() {
	local name=$1 ns=$2
	shift 2
	in_ns "$ns" "$NETPEER" client "$@" >"$T/$name.cli" 2>"$T/$name.cli.err" ||
		fail "$name.client" "netpeer client $*: $(cat "$T/$name.cli.err")"
}

# wait_server NAME: the server ended as it should
wait_server() {
	wait "$SRV" || fail "$1.server" "netpeer server: $(cat "$T/$1.srv.err")"
}

# ------------------------------------------------------------ scenarios

# stream NAME NS_S NS_C PROTO SADDR CADDR CSEND CRECV CLOSER [CLIENT OPTS]:
# a TCP or unix stream conversation; the client sends CSEND and receives
# CRECV bytes; CLOSER (client or server) closes first, the other waits
# for its end (-w). For unix SADDR is the path and CADDR is "-".
stream() {
	local name=$1 nss=$2 nsc=$3 proto=$4 sa=$5 ca=$6 cs=$7 cr=$8 closer=$9
	local sw= cw= spid lfd afd cpid cfd csport port fam=ipv4 backlog=$((RANDOM % 50 + 3))
	shift 9
	case $closer in client) sw=-w ;; server) cw=-w ;; esac
	serve "$name" "$nss" "$proto" "$sa" 0 "$cr" "$cs" -b $backlog $sw
	port=$PORT
	[ "$proto" = unix ] && port=-
	client "$name" "$nsc" "$proto" "$sa" "$port" "$cs" "$cr" $cw "$@"
	wait_server "$name"
	spid=$(sed -n 's/^pid=//p' "$T/$name.srv")
	cpid=$(sed -n 's/^pid=//p' "$T/$name.cli")
	lfd=$(field "$T/$name.srv" listen fd)
	afd=$(field "$T/$name.srv" accept fd)
	cfd=$(field "$T/$name.cli" connect fd)
	csport=$(field "$T/$name.cli" connect sport)
	case $sa in *:*) fam=ipv6 ;; esac
	if [ "$proto" = unix ]; then
		expect "$name.bind" bind "$spid" net.family=unix net.fd=$lfd "net.path=$sa"
		expect "$name.listen" listen "$spid" net.fd=$lfd "net.path=$sa" net.backlog=$backlog
		expect "$name.connect" connect "$cpid" net.fd=$cfd net.result=0 "net.path=$sa"
		expect "$name.accept" accept "$spid" net.fd=$afd "net.path=$sa"
		expect "$name.client_close" sock_close "$cpid" net.fd=$cfd "net.path=$sa" \
			net.sent=$cs net.received=$cr "net.duration_ns>0"
		expect "$name.server_close" sock_close "$spid" net.fd=$afd "net.path=$sa" \
			net.sent=$cr net.received=$cs "net.duration_ns>0"
		return
	fi
	expect "$name.bind" bind "$spid" net.family=$fam net.proto=tcp net.fd=$lfd \
		net.sip=$sa net.sport=$PORT
	expect "$name.listen" listen "$spid" net.fd=$lfd net.sip=$sa net.sport=$PORT \
		net.backlog=$backlog
	if [[ " $* " == *" -n "* ]]; then
		expect "$name.connect_inprogress" connect "$cpid" net.fd=$cfd net.result=-115 \
			net.in_progress=true net.sip=$ca net.sport=$csport net.dip=$sa net.dport=$PORT
		expect "$name.connect_completed" connect "$cpid" net.fd=$cfd net.result=0 \
			net.completed=true net.sport=$csport net.dip=$sa net.dport=$PORT
	else
		expect "$name.connect" connect "$cpid" net.family=$fam net.proto=tcp net.fd=$cfd \
			net.result=0 net.sip=$ca net.sport=$csport net.dip=$sa net.dport=$PORT \
			'!net.in_progress'
	fi
	expect "$name.accept" accept "$spid" net.fd=$afd net.sip=$sa net.sport=$PORT \
		net.dip=$ca net.dport=$csport
	expect "$name.client_close" sock_close "$cpid" net.proto=tcp net.fd=$cfd net.sip=$ca \
		net.sport=$csport net.dip=$sa net.dport=$PORT net.sent=$cs net.received=$cr \
		"net.duration_ns>0"
	expect "$name.server_close" sock_close "$spid" net.fd=$afd net.sip=$sa net.sport=$PORT \
		net.dip=$ca net.dport=$csport net.sent=$cr net.received=$cs "net.duration_ns>0"
}

# dgram NAME NS_S NS_C SADDR CADDR CSEND CRECV [CLIENT OPTS]: UDP; the
# server answers the client's first datagram's address. -u: the client
# does not connect (tracked from its first send); -x: it exits unclosed.
dgram() {
	local name=$1 nss=$2 nsc=$3 sa=$4 ca=$5 cs=$6 cr=$7 spid sfd cpid cfd csport fam=ipv4
	shift 7
	serve "$name" "$nss" udp "$sa" 0 "$cr" "$cs"
	client "$name" "$nsc" udp "$sa" "$PORT" "$cs" "$cr" "$@"
	wait_server "$name"
	spid=$(sed -n 's/^pid=//p' "$T/$name.srv")
	cpid=$(sed -n 's/^pid=//p' "$T/$name.cli")
	sfd=$(field "$T/$name.srv" bind fd)
	case $sa in *:*) fam=ipv6 ;; esac
	expect "$name.bind" bind "$spid" net.family=$fam net.proto=udp net.fd=$sfd \
		net.sip=$sa net.sport=$PORT
	expect "$name.server_close" sock_close "$spid" net.proto=udp net.fd=$sfd \
		net.sport=$PORT net.sent=$cr net.received=$cs "net.duration_ns>0"
	if [[ " $* " == *" -u "* ]]; then
		cfd=$(field "$T/$name.cli" sendto fd)
		csport=$(field "$T/$name.cli" sendto sport)
		none "$name.no_connect" connect "$cpid"
		expect "$name.client_close" sock_close "$cpid" net.proto=udp net.fd=$cfd \
			net.sport=$csport net.sent=$cs net.received=$cr "net.duration_ns>0"
		return
	fi
	cfd=$(field "$T/$name.cli" connect fd)
	csport=$(field "$T/$name.cli" connect sport)
	expect "$name.connect" connect "$cpid" net.family=$fam net.proto=udp net.fd=$cfd \
		net.result=0 net.sip=$ca net.sport=$csport net.dip=$sa net.dport=$PORT
	expect "$name.client_close" sock_close "$cpid" net.proto=udp net.fd=$cfd \
		net.sip=$ca net.sport=$csport net.dip=$sa net.dport=$PORT net.sent=$cs \
		net.received=$cr "net.duration_ns>0"
}

# refused NAME NS ADDR [-n]: a connect to a port nothing listens on
refused() {
	local name=$1 ns=$2 addr=$3 cpid cfd
	shift 3
	client "$name" "$ns" tcp "$addr" 1 10 10 "$@"
	cpid=$(sed -n 's/^pid=//p' "$T/$name.cli")
	cfd=$(field "$T/$name.cli" connect fd)
	expect "$name.netpeer_saw" netpeer - "result=$(field "$T/$name.cli" connect result)" \
		"want=-111"
	if [ "${1:-}" = -n ]; then
		expect "$name.inprogress" connect "$cpid" net.fd=$cfd net.result=-115 \
			net.in_progress=true net.dip=$addr net.dport=1
		expect "$name.completed" connect "$cpid" net.fd=$cfd net.result=-111 \
			net.completed=true net.dip=$addr net.dport=1
	else
		expect "$name.connect" connect "$cpid" net.fd=$cfd net.result=-111 \
			net.dip=$addr net.dport=1 '!net.in_progress' '!net.completed'
	fi
	none "$name.no_close" sock_close "$cpid"
}

# ============================================================== the run

if ! start_agent "$T/spool" --socket-bytes; then
	fail start "the agent did not report that it is capturing"
	exit 1
fi
pass start

# ---- loopback
stream tcp4_lo - - tcp 127.0.0.1 127.0.0.1 100000 3000 client
stream tcp4_lo_server_closes - - tcp 127.0.0.1 127.0.0.1 2500 70001 server
stream tcp6_lo - - tcp ::1 ::1 5000 70000 client
stream tcp6_lo_server_closes - - tcp ::1 ::1 1 1 server
stream tcp4_lo_4mib - - tcp 127.0.0.1 127.0.0.1 4194304 1048577 client
stream tcp4_lo_nonblock - - tcp 127.0.0.1 127.0.0.1 1000 2000 server -n
refused tcp4_lo_refused_nonblock - 127.0.0.1 -n
refused tcp6_lo_refused_nonblock - ::1 -n
refused tcp4_lo_refused - 127.0.0.1
dgram udp4_lo - - 127.0.0.1 127.0.0.1 2500 1234
dgram udp6_lo_sendto - - ::1 ::1 4321 999 -u
dgram udp4_lo_exit_unclosed - - 127.0.0.1 127.0.0.1 3000 1500 -x
stream unix_path - - unix "$T/sock" - 4000 5000 client
stream unix_abstract - - unix "@et-test-net-$$" - 4096 1 server
stream unix_exit_unclosed - - unix "@et-test-net-x-$$" - 300 200 client -x

# ---- two network namespaces
if setup_ns; then
	NS_OK=1
	pass netns.setup
	stream tcp4_ns "$NSB" "$NSA" tcp $IPB $IPA 123456 654321 client
	stream tcp6_ns "$NSB" "$NSA" tcp $IPB6 $IPA6 77777 8888 server
	stream tcp6_ns_nonblock "$NSB" "$NSA" tcp $IPB6 $IPA6 10 20 client -n
	dgram udp4_ns "$NSB" "$NSA" $IPB $IPA 5555 4444
	dgram udp6_ns "$NSB" "$NSA" $IPB6 $IPA6 6000 60
	# the handshake ends after connect returned: the link to the server
	# comes up 0.3 s after the SYN, which is sent again after 1 s
	serve tcp4_ns_late "$NSB" tcp $IPB 0 20 10
	ip -n "$NSA" neigh flush dev "$VA"
	ip -n "$NSB" link set "$VB" down
	(sleep 0.3 && ip -n "$NSB" link set "$VB" up) &
	up=$!
	client tcp4_ns_late "$NSA" tcp $IPB "$PORT" 10 20 -n
	wait $up
	wait_server tcp4_ns_late
	cpid=$(sed -n 's/^pid=//p' "$T/tcp4_ns_late.cli")
	cfd=$(field "$T/tcp4_ns_late.cli" inprogress fd)
	expect tcp4_ns_late.inprogress connect "$cpid" net.fd=$cfd net.result=-115 \
		net.in_progress=true net.sip=$IPA net.dip=$IPB net.dport=$PORT
	expect tcp4_ns_late.completed connect "$cpid" net.fd=$cfd net.result=0 \
		net.completed=true net.sip=$IPA net.dip=$IPB net.dport=$PORT
	expect tcp4_ns_late.client_close sock_close "$cpid" net.fd=$cfd net.sent=10 \
		net.received=20
	# a neighbour that never answers: EHOSTUNREACH after the ARP retries
	client tcp4_ns_unreachable "$NSA" tcp 10.231.0.99 80 1 1 -n
	cpid=$(sed -n 's/^pid=//p' "$T/tcp4_ns_unreachable.cli")
	expect tcp4_ns_unreachable.inprogress connect "$cpid" net.result=-115 \
		net.in_progress=true net.dip=10.231.0.99 net.dport=80
	expect tcp4_ns_unreachable.completed connect "$cpid" net.result=-113 \
		net.completed=true net.dip=10.231.0.99 net.dport=80
	none tcp4_ns_unreachable.no_close sock_close "$cpid"
else
	fail netns.setup "cannot create two network namespaces with a veth pair (ip netns, veth)"
fi

sleep 0.3
stop_agent INT
check clean_exit test $? -eq 0
check nothing_dropped grep -q 'events recorded, 0 dropped' "$T/agent.err"
Q=$T/q.json
"$EDGETRACE" query --spool "$T/spool" --json >"$Q"
check query_exit test $? -eq 0
[ -n "$NS_OK" ] && cleanup_ns && check netns.cleanup test -z "$(ip netns list | grep -e "$NSA" -e "$NSB")"

# ------------------------------------------------------------ the check

/usr/bin/python3 - "$Q" "$EXP" "$TEST_NAME" <<'EOF'
import json
import sys

events = [json.loads(line) for line in open(sys.argv[1])]
test = sys.argv[3]


def value(ev, path):
    for key in path.split("."):
        if not isinstance(ev, dict) or key not in ev:
            return None
        ev = ev[key]
    return ev


def text(v):
    return v if isinstance(v, str) else json.dumps(v)


def matches(ev, cond):
    if cond.startswith("!"):
        return value(ev, cond[1:]) is None
    if ">" in cond and "=" not in cond:
        path, lim = cond.split(">", 1)
        v = value(ev, path)
        return isinstance(v, int) and v > int(lim)
    path, want = cond.split("=", 1)
    v = value(ev, path)
    return v is not None and text(v) == want


for line in open(sys.argv[2]):
    name, etype, pid, *conds = line.rstrip("\n").split("\t")
    if etype == "netpeer":	# what the workload itself saw
        got, want = conds[0].split("=")[1], conds[1].split("=")[1]
        if got == want:
            print(f"PASS {test}.{name}")
        else:
            print(f"FAIL {test}.{name}: netpeer saw result {got}, expected {want}")
        continue
    count = 1
    if conds and conds[-1].startswith("count="):
        count = int(conds.pop().split("=")[1])
    mine = [e for e in events if e.get("type") == etype and
            str(value(e, "proc.pid")) == pid]
    hits = [e for e in mine if all(matches(e, c) for c in conds)]
    if len(hits) == count:
        print(f"PASS {test}.{name}")
        continue
    print(f"FAIL {test}.{name}: expected {count} {etype} event(s) of pid {pid} "
          f"with {' '.join(conds)}; found {len(hits)}; its {etype} events: "
          + (" | ".join(json.dumps(e.get("net")) for e in mine) or "none"))
EOF

# -------------------------------------------- without --socket-bytes
# TCP ends are still reported (from the kernel's own totals), UDP and unix
# sockets are not tracked, and the send, receive and close hooks are not
# attached (they would cost every send, receive and close on the system)
if start_agent "$T/spool-def"; then
	check default.no_close_hook test "$(grep -c 'et_net_close' "$T/agent.err")" -eq 0
	check default.no_send_hook test "$(grep -c 'et_net_send' "$T/agent.err")" -eq 0
	serve def_tcp - tcp 127.0.0.1 0 300 200
	client def_tcp - tcp 127.0.0.1 "$PORT" 200 300
	wait_server def_tcp
	serve def_udp - udp 127.0.0.1 0 40 30
	client def_udp - udp 127.0.0.1 "$PORT" 30 40
	wait_server def_udp
	sleep 0.3
	stop_agent INT
	"$EDGETRACE" query --spool "$T/spool-def" --json 'evt.type = sock_close' >"$T/def.json"
	tpid=$(sed -n 's/^pid=//p' "$T/def_tcp.cli")
	upid=$(sed -n 's/^pid=//p' "$T/def_udp.cli")
	check default.tcp_close grep -q "\"pid\":$tpid,.*\"sent\":200,\"received\":300" "$T/def.json"
	check default.no_udp_close test "$(grep -c "\"pid\":$upid," "$T/def.json")" -eq 0
else
	fail default.start "the agent did not start without --socket-bytes"
fi
