#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/system/board.sh BOARD - boot an emulated board with Debian's kernel
# and the board's edgetrace under QEMU (TCG), run a workload in the guest,
# pull the spool out over the serial console (export --format armor), and
# check the events on the host.
#
#	BOARD		qemu-arm64: linux-image-*-arm64 under qemu-system-aarch64
#			armv7: linux-image-*-armmp under qemu-system-arm; that kernel
#			has no built-in BTF, so the guest gets a minimized BTF file
#			(bpftool gen min_core_btf) made from its -dbg package
#	EDGETRACE_HOST	the host's edgetrace for import and query
#			(default build/x86_64/edgetrace)
#	SYSTEST_OUT	keep the initramfs, serial log and capture there
#			(default: a temporary directory, removed)
#	SYSTEST_TIMEOUT	seconds the guest may run (default 300)
#	SYSTEST_BUILD	the guest's build directory (default build/BOARD-uplink
#			when it has the file and socket probes, else build/BOARD
#			when it has them, else build/BOARD-io when there is one,
#			else build/BOARD)
#	SYSTEST_AGENT_ENV  NAME=VALUE... for the guest's agent
#			(EDGETRACE_DEBUG_BPF=1, EDGETRACE_OPEN_PAIRS=1)
#	SYSTEST_BTF	a kernel BTF file (raw or ELF, or a vmlinux with DWARF):
#			minimize it and run the agent with --btf even when
#			the kernel has BTF built in (to compare the agent's
#			memory: libbpf then parses 4 KB instead of 5 MB)
#
# The guest agent is build/BOARD-uplink/edgetrace (make BOARD=BOARD
# uplink-variant) when it exists with the file and socket probes, else
# build/BOARD/edgetrace when the board's configuration has them (the
# default), else build/BOARD-io's (make BOARD=BOARD io-variant) when it
# exists; without them the file and network checks are skipped.
# With CONFIG_UPLINK_HTTPS in the guest's build, the uplink phase: the
# guest gets a network card on QEMU's user-mode network, which reaches the
# host's loopback alone (the guest's 10.0.2.2), and sends its spool with
# `edgetrace uplink` to tests/tools/uplink_stub.py on 127.0.0.1; the host
# decodes what the stub stored and compares it with the exported spool
# (system.BOARD.uplink.*; SKIP with the reason when it cannot run here).
# Prints PASS/FAIL/SKIP lines in the style of tests/integration ("PASS
# system.BOARD.NAME").
set -u
cd "$(dirname "$0")/../.." || exit 1

BOARD=${1:?usage: tests/system/board.sh qemu-arm64|armv7}
N=system.$BOARD
pass() { echo "PASS $N.$1"; }
fail() { echo "FAIL $N.$1: $2"; }
skip() { echo "SKIP $N: $*"; exit 0; }
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "expected: $*"; fi
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

case $BOARD in
qemu-arm64)
	ARCH=arm64 QEMU=qemu-system-aarch64 CPU=max CONSOLE=ttyAMA0 ;;
armv7)
	ARCH=armhf QEMU=qemu-system-arm CPU=cortex-a15 CONSOLE=ttyAMA0 ;;
*) echo "FAIL $N: unknown board (qemu-arm64 or armv7)"; exit 1 ;;
esac

HOST_ET=${EDGETRACE_HOST:-build/x86_64/edgetrace}
[ -x "$HOST_ET" ] || skip "no host edgetrace at $HOST_ET (make BOARD=x86_64)"
command -v "$QEMU" >/dev/null || skip "$QEMU is missing (apt-get install qemu-system-arm)"
command -v cpio >/dev/null || skip "cpio is missing (apt-get install cpio)"
has_io() {
	grep -q '^CONFIG_PROBE_FILE=y' "$1/.config" 2>/dev/null &&
		grep -q '^CONFIG_PROBE_NET=y' "$1/.config"
}
has_uplink() { grep -q '^CONFIG_UPLINK_HTTPS=y' "$1/.config" 2>/dev/null; }
O=build/$BOARD
if [ -x "build/$BOARD-uplink/edgetrace" ] && has_io "build/$BOARD-uplink"; then
	O=build/$BOARD-uplink
elif ! has_io "$O"; then
	O=build/$BOARD-io
fi
O=${SYSTEST_BUILD:-$O}
[ -x "$O/edgetrace" ] || O=build/$BOARD
[ -x "$O/edgetrace" ] || skip "no $BOARD build (make BOARD=$BOARD io-variant)"
TOOLS=$O/tools
[ -x "$TOOLS/netpeer" ] || TOOLS=

t0=$(now)
KDIR=$(tests/system/fetch.sh "$ARCH" 2>"${TMPDIR:-/tmp}/et-fetch.$$") || {
	rc=$?
	why=$(tail -1 "${TMPDIR:-/tmp}/et-fetch.$$")
	rm -f "${TMPDIR:-/tmp}/et-fetch.$$"
	[ $rc -eq 2 ] && skip "cannot fetch the $ARCH kernel: $why"
	echo "FAIL $N.fetch: $why"
	exit 1
}
rm -f "${TMPDIR:-/tmp}/et-fetch.$$"
release=$(cat "$KDIR/release")
echo "# $N: kernel $release, agent $O/edgetrace, fetch $(since "$t0") s"

if [ -n "${SYSTEST_OUT:-}" ]; then
	T=$SYSTEST_OUT
	rm -rf "$T" && mkdir -p "$T"
else
	T=$(mktemp -d /tmp/et-system-XXXXXX)
fi
STUB_PID=
cleanup() {
	if [ -n "$STUB_PID" ]; then
		kill "$STUB_PID" 2>/dev/null
		wait "$STUB_PID" 2>/dev/null
	fi
	[ -n "${SYSTEST_OUT:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# ---- the initramfs
t1=$(now)
R=$T/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc/edgetrace,proc,sys,dev,tmp}
cp "$KDIR/busybox" "$R/bin/busybox"
ln "$R/bin/busybox" "$R/bin/true"	# a hard link: exe is /bin/true
cp "$O/edgetrace" "$R/usr/bin/edgetrace"
[ -n "$TOOLS" ] && cp "$TOOLS/netpeer" "$TOOLS/fileops" "$R/usr/bin/"
cp tests/system/init.sh "$R/init"
chmod 755 "$R/init"
BTF=
FULL_BTF=
OWN_BTF=
[ -s "$KDIR/vmlinux.btf" ] && FULL_BTF=$KDIR/vmlinux.btf
[ -n "${SYSTEST_BTF:-}" ] && FULL_BTF=$SYSTEST_BTF
if [ -n "$FULL_BTF" ]; then
	# only what this build's BPF object relocates against
	if [ -x toolchains/btf.sh ]; then
		toolchains/btf.sh "$FULL_BTF" "$O/bpf/edgetrace.o" \
			"$T/min.btf" >"$T/btf.log" 2>&1
	else
		bpftool gen min_core_btf "$FULL_BTF" "$T/min.btf" \
			"$O/bpf/edgetrace.o" >"$T/btf.log" 2>&1
	fi
	if [ -s "$T/min.btf" ]; then
		pass "min_core_btf ($(stat -c %s "$T/min.btf") bytes from $(stat -c %s "$FULL_BTF"))"
		cp "$T/min.btf" "$R/etc/edgetrace/vmlinux.btf"
		BTF=/etc/edgetrace/vmlinux.btf
	else
		fail min_core_btf "$(tail -3 "$T/btf.log")"
	fi
elif grep -q '^CONFIG_DEBUG_INFO_BTF=y' "$KDIR/config"; then
	# BTF built in: what an image build does (board/*/: make btf from the
	# kernel it builds), the small file of the kernel's own BTF, here from
	# its Image, at the build's CONFIG_BTF_FILE with its .id; the agent
	# uses it unasked, and spares parsing the kernel's megabytes
	OWN_BTF=$(sed -n 's/^CONFIG_BTF_FILE="\(.*\)"$/\1/p' "$O/.config")
	if [ -n "$OWN_BTF" ] && toolchains/btf.sh "$KDIR/vmlinuz" \
		"$O/bpf/edgetrace.o" "$T/own.btf" >"$T/btf.log" 2>&1 &&
		[ -s "$T/own.btf.id" ]; then
		pass "btf_file_from_image ($(stat -c %s "$T/own.btf") bytes, $(cat "$T/own.btf.id"))"
		mkdir -p "$R$(dirname "$OWN_BTF")"
		cp "$T/own.btf" "$R$OWN_BTF"
		cp "$T/own.btf.id" "$R$OWN_BTF.id"
	else
		fail btf_file_from_image "no CONFIG_BTF_FILE in $O/.config, or: $(tail -3 "$T/btf.log")"
		OWN_BTF=
	fi
fi
PORT=40123

# ---- the uplink phase: a network to the host's loopback only (QEMU's
# user-mode network: the guest's 10.0.2.2 is the host's 127.0.0.1), the
# stand-in collector there, the device's keys in the initramfs
NETARGS=()
NET_MODULES=
UPLINK=
uplink_skip() { echo "SKIP $N.uplink: $*"; }
if ! has_uplink "$O"; then
	uplink_skip "$O has no CONFIG_UPLINK_HTTPS (make BOARD=$BOARD uplink-variant)"
elif [ -s "$KDIR/modules/missing" ]; then
	uplink_skip "no network card modules: $(cat "$KDIR/modules/missing")"
elif [ ! -f "$KDIR/modules/load" ]; then
	uplink_skip "no network card modules in $KDIR/modules (tests/system/fetch.sh $ARCH)"
elif ! "$QEMU" -M virt -netdev help 2>/dev/null | grep -qx user; then
	uplink_skip "$QEMU has no user-mode network (slirp)"
elif ! command -v openssl >/dev/null; then
	uplink_skip "openssl is missing"
elif ! "$HOST_ET" keygen --help >/dev/null 2>&1; then
	uplink_skip "$HOST_ET has no keygen (CONFIG_UPLINK_SEAL)"
else
	UPLINK=1
fi
if [ -n "$UPLINK" ]; then
	# keys and certificates as tests/integration/test_uplink.sh makes them
	K=$T/keys
	mkdir -p "$K"
	cert() {	# cert NAME CN EKU KEY
		openssl req -new -key "$4" -sha256 -subj "/CN=$2" -out "$K/$1.csr" &&
		printf 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = %s\nsubjectAltName = DNS:%s\n' "$3" "$2" >"$K/$1.ext" &&
		openssl x509 -req -in "$K/$1.csr" -CA "$K/ca.crt" -CAkey "$K/ca.key" \
			-CAcreateserial -days 2 -sha256 -extfile "$K/$1.ext" -out "$K/$1.crt"
	}
	if ! { "$HOST_ET" keygen --fleet "$K/fleet" &&
		"$HOST_ET" keygen --device "$K/dev" &&
		openssl ecparam -name prime256v1 -genkey -noout -out "$K/ca.key" &&
		openssl req -x509 -new -key "$K/ca.key" -sha256 -days 2 \
			-subj "/CN=systest fleet CA" -out "$K/ca.crt" &&
		openssl ecparam -name prime256v1 -genkey -noout -out "$K/col.key" &&
		cert dev "$BOARD-systest" clientAuth "$K/dev/device.key" &&
		cert col collector.test serverAuth "$K/col.key"; } >"$T/keys.log" 2>&1; then
		fail uplink.keys "$(tail -3 "$T/keys.log")"
		UPLINK=
	fi
fi
if [ -n "$UPLINK" ]; then
	# a free port on the host's loopback, and the stub there alone
	UPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$T/stub"
	python3 tests/tools/uplink_stub.py --bind 127.0.0.1 --port "$UPORT" \
		--cert "$K/col.crt" --key "$K/col.key" --ca "$K/ca.crt" \
		--out "$T/stub" 2>"$T/stub.err" &
	STUB_PID=$!
	for _ in $(seq 1 100); do
		[ -f "$T/stub/ready" ] && break
		sleep 0.05
	done
	if [ ! -f "$T/stub/ready" ]; then
		fail uplink.stub_started "$(tail -3 "$T/stub.err")"
		UPLINK=
	fi
fi
if [ -n "$UPLINK" ]; then
	mkdir -p "$R/lib/modules/net"
	while read -r m; do
		cp "$KDIR/modules/$m.ko" "$R/lib/modules/net/"
		NET_MODULES="$NET_MODULES $m"
	done <"$KDIR/modules/load"
	E=$R/etc/edgetrace
	cp "$K/ca.crt" "$E/fleet-ca.crt"
	cp "$K/dev.crt" "$E/device.crt"
	cp "$K/dev/device.key" "$E/device.key"
	cp "$K/fleet/fleet.pub" "$E/fleet.pub"
	printf '127.0.0.1 localhost\n10.0.2.2 collector.test\n' >"$R/etc/hosts"
	cat >"$E/uplink.conf" <<EOF
uplink-url = https://collector.test:$UPORT/v1/batches
uplink-ca = /etc/edgetrace/fleet-ca.crt
uplink-cert = /etc/edgetrace/device.crt
fleet-pub = /etc/edgetrace/fleet.pub
device-key = /etc/edgetrace/device.key
device-id = $BOARD-systest
uplink-backoff = 2
EOF
	# one virtio-mmio card on QEMU's user network; the guest routes to
	# 10.0.2.2 (the host's 127.0.0.1) alone
	# shellcheck disable=SC2054
	NETARGS=(-netdev user,id=n0,ipv6=off -device virtio-net-device,netdev=n0)
fi
cat >"$R/etc/systest.conf" <<EOF
BTF=$BTF
PORT=$PORT
AGENT_ENV="${SYSTEST_AGENT_ENV:-}"
UPLINK=$UPLINK
NET_MODULES="$NET_MODULES"
EOF
(cd "$R" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$T/initrd.gz"
echo "# $N: initramfs $(stat -c %s "$T/initrd.gz") bytes in $(since "$t1") s (btf: ${BTF:-built in})"

# ---- boot
t2=$(now)
timeout "${SYSTEST_TIMEOUT:-300}" "$QEMU" -M virt -cpu "$CPU" -smp 1 -m 512 \
	-display none -monitor none -serial "file:$T/serial.log" -no-reboot \
	"${NETARGS[@]}" \
	-kernel "$KDIR/vmlinuz" -initrd "$T/initrd.gz" \
	-append "console=$CONSOLE rdinit=/init quiet loglevel=3 panic=-1" \
	</dev/null >"$T/qemu.log" 2>&1
qrc=$?
boot=$(since "$t2")
tr -d '\r' <"$T/serial.log" >"$T/serial.txt"
sed -n 's/^ET-SYSTEST //p' "$T/serial.txt" | grep -v '^ *$' | sed "s/^/# $N guest: /"
echo "# $N: qemu exited $qrc after $boot s"
check qemu_powered_off test "$qrc" -eq 0
check guest_reached_poweroff grep -q '^ET-SYSTEST poweroff' "$T/serial.txt"
if ! grep -q '^ET-SYSTEST agent-started' "$T/serial.txt"; then
	sed -n 's/^ET-SYSTEST agent: //p' "$T/serial.txt" >"$T/agent.err"
	why="$(grep -m1 '^edgetrace: cannot' "$T/agent.err") $(grep -m2 -E \
		'rejected by|invalid return type|failed to resolve CO-RE|accesses field incorrectly' \
		"$T/agent.err" | tr '\n' ' ')"
	fail agent_started "the agent did not start in the guest: ${why:-see below}; serial log tail:"
	tail -30 "$T/serial.txt" | sed 's/^/#   /'
	exit 1
fi
pass agent_started
# the probes the guest's edgetrace was built with (its --version)
probes=$(sed -n 's/^ET-SYSTEST version .*probes: \([a-z ]*\)).*/\1/p' "$T/serial.txt")
has_probe() { [[ " $probes " == *" $1 "* ]]; }
check agent_exit_0 grep -q '^ET-SYSTEST agent-exit 0' "$T/serial.txt"
if [ -n "$BTF" ] && [ -z "${SYSTEST_BTF:-}" ]; then
	# the agent loaded its probes against the BTF file, not /sys/kernel/btf
	check guest_has_no_sysfs_btf grep -q '^ET-SYSTEST btf-sysfs no' "$T/serial.txt"
fi
if [ -n "$OWN_BTF" ]; then
	# made from this very kernel's BTF (the .id matched): used unasked
	check btf_file_used grep -q "^ET-SYSTEST agent: edgetrace: CO-RE against the BTF in $OWN_BTF\$" "$T/serial.txt"
fi
# MISSION: peak RSS at most 8 MiB on a board (kernel BTF parsed whole by
# libbpf costs 12-13 MiB: docs/footprint.md)
hwm=$(sed -n 's/^ET-SYSTEST agent-memory .*VmHWM: \([0-9]*\) kB.*/\1/p' "$T/serial.txt")
echo "# $N: agent peak RSS ${hwm:-?} KiB"
if [ -n "$BTF$OWN_BTF" ]; then
	check peak_rss_at_most_8MiB test "${hwm:-99999}" -le 8192
fi

# ---- the armored spool, from the serial log
sed -n '/^===ET-SYSTEST-ARMOR-BEGIN===/,/^===ET-SYSTEST-ARMOR-END===/p' \
	"$T/serial.txt" >"$T/spool.arm"
check armor_block_found grep -q '^ET1 END ' "$T/spool.arm"
rc=0
"$HOST_ET" import -o "$T/guest.cap" "$T/spool.arm" 2>"$T/import.err" || rc=$?
check import_exit_0 test "$rc" -eq 0
check import_nothing_missing grep -q 'nothing missing' "$T/import.err"
"$HOST_ET" query --file "$T/guest.cap" --json >"$T/events.json" 2>"$T/query.err"
check query_file test -s "$T/events.json"
echo "# $N: $(wc -l <"$T/events.json") events"

# ---- the events
# expect NAME TYPE KEY=VALUE...: some event of TYPE in $EVENTS (default
# the main run's) has every field (dotted JSON paths, e.g.
# proc.exe=/bin/true; net.sport=40123)
expect() {
	local name=$1
	shift
	if /usr/bin/python3 - "${EVENTS:-$T/events.json}" "$@" <<'EOF'; then
import json, sys
path, want_type, conds = sys.argv[1], sys.argv[2], sys.argv[3:]
def get(e, key):
    for k in key.split('.'):
        if not isinstance(e, dict) or k not in e:
            return None
        e = e[k]
    return e
for line in open(path):
    e = json.loads(line)
    if e.get("type") != want_type:
        continue
    if all(str(get(e, c.split('=', 1)[0])).lower() == c.split('=', 1)[1].lower()
           for c in conds):
        sys.exit(0)
sys.exit(1)
EOF
		pass "$name"
	else
		fail "$name" "no $* event; the guest's $1 events:"
		grep "\"type\":\"$1\"" "${EVENTS:-$T/events.json}" | head -12 |
			sed 's/^/#   /'
	fi
}

# ---- reduced mode: the first agent, with no BTF file at all
if grep -q '^ET-SYSTEST btf-sysfs no' "$T/serial.txt"; then
	N=system.$BOARD.reduced
	check agent_started grep -q '^ET-SYSTEST reduced-started' "$T/serial.txt"
	check chose_itself grep -q '^ET-SYSTEST reduced-agent: edgetrace: reduced mode (no kernel BTF: /sys/kernel/btf/vmlinux is missing' "$T/serial.txt"
	check agent_exit_0 grep -q '^ET-SYSTEST reduced-exit 0' "$T/serial.txt"
	check status_says_reduced grep -q '^ET-SYSTEST reduced-status: mode      reduced: no kernel BTF' "$T/serial.txt"
	sed -n '/^===ET-SYSTEST-REDUCED-BEGIN===/,/^===ET-SYSTEST-REDUCED-END===/p' \
		"$T/serial.txt" >"$T/reduced.arm"
	rc=0
	"$HOST_ET" import -o "$T/reduced.cap" "$T/reduced.arm" 2>"$T/rimport.err" || rc=$?
	check import_exit_0 test "$rc" -eq 0
	"$HOST_ET" query --file "$T/reduced.cap" --json >"$T/reduced.json" 2>/dev/null
	echo "# $N: $(wc -l <"$T/reduced.json") events"
	EVENTS=$T/reduced.json
	expect exec_relative exec reduced=true proc.filename=./true \
		"proc.cmdline=./true reduced-a"
	expect exec_dotdot exec reduced=true proc.filename=../bin/true \
		"proc.cmdline=../bin/true reduced-b"
	expect exec_live_exe_cwd exec reduced=true proc.filename=./sleep \
		proc.exe=/bin/busybox proc.cwd=/bin "proc.cmdline=./sleep 1"
	expect exit_code exit reduced=true "proc.cmdline=/bin/sh -c exit 5" \
		exit.code=5 exit.core=None
	expect fork fork reduced=true fork.thread=false
	EVENTS=
	N=system.$BOARD
fi

expect exec_relative_true exec proc.exe=/bin/true proc.filename=./true proc.cwd=/bin
expect exec_relative_symlink exec proc.exe=/bin/busybox proc.filename=./ls proc.cwd=/bin
expect exec_dotdot exec proc.exe=/bin/true proc.filename=../bin/true proc.cwd=/usr
expect exec_absolute_netpeer exec proc.exe=/usr/bin/netpeer proc.filename=/usr/bin/netpeer
if has_probe file; then
	expect file_mkdir mkdir file.path=/tmp/w/sub
	expect file_create open file.path=/tmp/w/f1 file.created=true
	expect file_rename rename file.path=/tmp/w/f1 file.new_path=/tmp/w/sub/f2
	expect file_unlink unlink file.path=/tmp/w/sub/f2
	expect file_rmdir rmdir file.path=/tmp/w/sub
else
	echo "SKIP $N.file: $O/edgetrace has no file probe (make BOARD=$BOARD io-variant)"
fi
if has_probe net && [ -n "$TOOLS" ]; then
	# the client's port, as netpeer printed it in the guest
	cport=$(sed -n 's/^ET-SYSTEST client: connect .*sport=\([0-9]*\).*/\1/p' "$T/serial.txt")
	expect net_listen listen net.proto=tcp net.sip=127.0.0.1 net.sport=$PORT
	expect net_connect connect net.proto=tcp net.sip=127.0.0.1 net.sport="$cport" \
		net.dip=127.0.0.1 net.dport=$PORT net.result=0
	expect net_accept accept net.proto=tcp net.sip=127.0.0.1 net.sport=$PORT \
		net.dip=127.0.0.1 net.dport="$cport"
	expect net_close_client sock_close net.sport="$cport" net.dport=$PORT \
		net.sent=100 net.received=200
	expect net_close_server sock_close net.sport=$PORT net.dport="$cport" \
		net.sent=200 net.received=100
else
	echo "SKIP $N.net: $O/edgetrace has no net probe or no netpeer"
fi

# ---- the uplink phase: what the stand-in collector stored, against the
# spool the guest exported
if [ -n "$UPLINK" ]; then
	N=system.$BOARD.uplink
	kill "$STUB_PID" 2>/dev/null
	wait "$STUB_PID" 2>/dev/null
	STUB_PID=
	check net_up grep -q '^ET-SYSTEST net-up' "$T/serial.txt"
	check started grep -q '^ET-SYSTEST uplink-started' "$T/serial.txt"
	check acked_while_agent_ran grep -q '^ET-SYSTEST uplink-acked-running' "$T/serial.txt"
	check caught_up grep -q '^ET-SYSTEST uplink-caught-up' "$T/serial.txt"
	check exit_0 grep -q '^ET-SYSTEST uplink-exit 0' "$T/serial.txt"
	check status_nothing_refused_or_lost grep -q \
		'^ET-SYSTEST uplink-status: refused   0 batches skipped; 0 records evicted' "$T/serial.txt"
	# its own account when it stopped: every record of the spool sent
	last=$(sed -n 's/^ET-SYSTEST uplink-caught-up .* seq \([0-9]*\) .*/\1/p' "$T/serial.txt")
	check sent_every_record grep -q "^ET-SYSTEST uplink: edgetrace uplink: stopped: [0-9]* batches sent ([0-9]* duplicate, 0 refused), ${last:-none} records," "$T/serial.txt"
	check no_tls_failure test ! -s "$T/stub/tls.log"
	# every post answered 200 "stored" (no retry was needed on this link)
	check every_post_stored python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(not r or any(x["status"] != 200 for x in r))' "$T/stub/requests.jsonl"
	# the batches are signed by the device's key and open with the fleet's
	rc=0
	"$HOST_ET" decode --key "$K/fleet/fleet.key" --device-pub "$K/dev/device.pub" \
		"$T/stub/stored.sealed" >"$T/uplink.jsonl" 2>"$T/decode.err" || rc=$?
	check decode_verified test "$rc" -eq 0
	# every record of the exported spool, exactly once, in order, the same
	# as the export has it
	if /usr/bin/python3 - "$T/events.json" "$T/uplink.jsonl" >"$T/compare.txt" 2>&1 <<'EOF'; then
import json, sys
spool = [json.loads(l) for l in open(sys.argv[1])]
sent = [json.loads(l) for l in open(sys.argv[2])]
want = [e["seq"] for e in spool]
got = [e["seq"] for e in sent]
if not want or got != want:
    print("spool %d records (seq %s..%s), collector %d (%d distinct, first %s, last %s)"
          % (len(want), want[:1], want[-1:], len(got), len(set(got)),
             got[:1], got[-1:]))
    sys.exit(1)
diff = [a["seq"] for a, b in zip(spool, sent) if a != b]
if diff:
    print("%d records differ, first seq %d" % (len(diff), diff[0]))
    sys.exit(1)
print("%d records, seq %d..%d" % (len(want), want[0], want[-1]))
EOF
		pass "every_record_exactly_once ($(cat "$T/compare.txt"))"
	else
		fail every_record_exactly_once "$(cat "$T/compare.txt")"
	fi
	batches=$(wc -l <"$T/stub/requests.jsonl" 2>/dev/null)
	conns=$(python3 -c 'import json,sys; print(len({json.loads(l)["conn"] for l in open(sys.argv[1])}))' \
		"$T/stub/requests.jsonl" 2>/dev/null)
	wire=$(sed -n 's/.*records, \([0-9]*\) bytes on the wire$/\1/p' "$T/serial.txt" | tail -1)
	up=$(sed -n 's/^ET-SYSTEST uplink-started \([0-9.]*\) .*/\1/p' "$T/serial.txt")
	ran=$(sed -n 's/^ET-SYSTEST uplink-acked-running \([0-9.]*\) .*/\1/p' "$T/serial.txt")
	cu=$(sed -n 's/^ET-SYSTEST uplink-caught-up \([0-9.]*\) .*(agent stopped \([0-9.]*\))/\1 \2/p' "$T/serial.txt")
	awk -v n="$N" -v b="${batches:-?}" -v c="${conns:-?}" -v w="${wire:-?}" \
		-v up="${up:-0}" -v ran="${ran:-0}" -v cu="${cu:-0 0}" 'BEGIN {
		split(cu, x, " ")
		printf "# %s: %s batches over %s connection(s), %s bytes on the wire; first records acknowledged %.1f s after the uplink started, the last %.1f s after the agent stopped\n",
			n, b, c, w, ran - up, x[1] - x[2] }'
	N=system.$BOARD
fi
echo "# $N: total $(since "$t0") s (boot and run $boot s)"
