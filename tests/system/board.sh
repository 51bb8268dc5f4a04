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
#	SYSTEST_BUILD	the guest's build directory (default build/BOARD when
#			it has the file and socket probes, else build/BOARD-io
#			when there is one, else build/BOARD)
#	SYSTEST_AGENT_ENV  NAME=VALUE... for the guest's agent
#			(EDGETRACE_DEBUG_BPF=1, EDGETRACE_OPEN_PAIRS=1)
#	SYSTEST_BTF	a kernel BTF file (raw or ELF, or a vmlinux with DWARF):
#			minimize it and run the agent with --btf even when
#			the kernel has BTF built in (to compare the agent's
#			memory: libbpf then parses 4 KB instead of 5 MB)
#
# The guest agent is build/BOARD/edgetrace when the board's configuration
# has the file and socket probes (the default), else build/BOARD-io's (make
# BOARD=BOARD io-variant) when it exists; without them the file and network
# checks are skipped. Prints PASS/FAIL/SKIP lines in
# the style of tests/integration ("PASS system.BOARD.NAME").
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
O=build/$BOARD
grep -q '^CONFIG_PROBE_FILE=y' "$O/.config" 2>/dev/null &&
	grep -q '^CONFIG_PROBE_NET=y' "$O/.config" || O=build/$BOARD-io
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
	trap 'rm -rf "$T"' EXIT
fi

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
cat >"$R/etc/systest.conf" <<EOF
BTF=$BTF
PORT=$PORT
AGENT_ENV="${SYSTEST_AGENT_ENV:-}"
EOF
(cd "$R" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$T/initrd.gz"
echo "# $N: initramfs $(stat -c %s "$T/initrd.gz") bytes in $(since "$t1") s (btf: ${BTF:-built in})"

# ---- boot
t2=$(now)
timeout "${SYSTEST_TIMEOUT:-300}" "$QEMU" -M virt -cpu "$CPU" -smp 1 -m 512 \
	-display none -monitor none -serial "file:$T/serial.log" -no-reboot \
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
echo "# $N: total $(since "$t0") s (boot and run $boot s)"
