#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# init.sh - /init of the emulated board's initramfs (tests/system/board.sh
# builds it). Mounts the kernel's file systems; on a kernel without BTF,
# first runs the agent with no BTF file at all (reduced mode, as it
# chooses by itself) over a few execs and prints that spool armored
# between the REDUCED markers; then starts the agent on a spool in RAM
# with a watch on /tmp/w, runs a known workload, stops the agent, prints
# the spool armored to the serial console between markers, and powers
# off. /etc/systest.conf (written by board.sh) sets BTF (a BTF file
# for --btf, or empty), PORT and AGENT_ENV (NAME=VALUE... for the agent),
# and for the uplink phase UPLINK=1 and NET_MODULES (the modules of the
# network card, in /lib/modules/net, in insmod order): the guest's eth0
# reaches 10.0.2.2 (QEMU's user network: the host's loopback) and nothing
# else, and `edgetrace uplink --config /etc/edgetrace/uplink.conf` sends
# the spool there while the agent runs, until it has caught up with the
# stopped agent's last record.
# Every line the host reads starts with "ET-SYSTEST ".
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

say() { echo "ET-SYSTEST $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs -o size=64m tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null ||
	mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
ip link set lo up
. /etc/systest.conf

# the network card, 10.0.2.15 with a route to 10.0.2.2 alone
netup=
if [ -n "$UPLINK" ]; then
	for m in $NET_MODULES; do
		insmod "/lib/modules/net/$m.ko" 2>&1 | sed 's/^/ET-SYSTEST insmod: /'
	done
	if ip link set eth0 up && ip addr add 10.0.2.15/32 dev eth0 &&
		ip route add 10.0.2.2/32 dev eth0; then
		netup=1
		say "net-up $(ip -4 -o addr show dev eth0 | tr -s ' ' | cut -d' ' -f2-4); routes: $(ip route | tr '\n' ';')"
	else
		say "net-failed: $(ls /sys/class/net | tr '\n' ' ')"
	fi
fi

say "kernel $(uname -r) $(uname -m)"
say "version $(edgetrace --version)"
say "btf-sysfs $([ -e /sys/kernel/btf/vmlinux ] && echo yes || echo no)"
say "uptime-start $(cut -d' ' -f1 /proc/uptime)"

finish() {
	say "uptime-end $(cut -d' ' -f1 /proc/uptime)"
	say "poweroff"
	sync
	poweroff -f
	sleep 10
}

# wait_capturing PID ERRFILE: until the agent says it captures; 1 if it
# died or took two minutes
wait_capturing() {
	i=0
	while ! grep -q capturing "$2"; do
		if ! kill -0 "$1" 2>/dev/null || [ $i -ge 1200 ]; then
			return 1
		fi
		i=$((i + 1))
		usleep 100000
	done
	polls=$i
}

# Reduced mode: no /sys/kernel/btf/vmlinux and no BTF file where the agent
# looks (BTF_FILE; the file for the second run is elsewhere), so the
# agent loads its tracepoint-only probes by itself.
if [ ! -e /sys/kernel/btf/vmlinux ] && [ ! -e /usr/lib/edgetrace/vmlinux.btf ]; then
	mkdir -p /tmp/rspool
	# shellcheck disable=SC2086
	env $AGENT_ENV edgetrace run --spool /tmp/rspool >/tmp/ragent.out \
		2>/tmp/ragent.err &
	ragent=$!
	if wait_capturing $ragent /tmp/ragent.err; then
		say "reduced-started $(cut -d' ' -f1 /proc/uptime) after $polls polls"
		sed 's/^/ET-SYSTEST reduced-agent: /' /tmp/ragent.err
		(cd /bin && ./true reduced-a)
		(cd /usr && ../bin/true reduced-b)
		/bin/sh -c 'exit 5'
		(cd /bin && ./sleep 1)	# lives: its exe and cwd from /proc
		usleep 300000
		edgetrace status --spool /tmp/rspool 2>&1 |
			sed 's/^/ET-SYSTEST reduced-status: /'
		kill -INT $ragent
		wait $ragent
		say "reduced-exit $?"
		echo "===ET-SYSTEST-REDUCED-BEGIN==="
		edgetrace export --spool /tmp/rspool --format armor
		echo "===ET-SYSTEST-REDUCED-END==="
	else
		say "reduced-failed"
		sed 's/^/ET-SYSTEST reduced-agent: /' /tmp/ragent.err
		kill $ragent 2>/dev/null
	fi
	rm -rf /tmp/rspool
fi

btfargs=
if [ -n "$BTF" ]; then
	if edgetrace run --help 2>&1 | grep -q -- --btf; then
		btfargs="--btf $BTF"
		say "btf via --btf $BTF"
	else
		# no --btf yet: libbpf's own fallback, /boot/vmlinux-RELEASE
		mkdir -p /boot
		ln -s "$BTF" "/boot/vmlinux-$(uname -r)"
		say "btf via /boot/vmlinux-$(uname -r) (this edgetrace has no --btf)"
	fi
fi

mkdir -p /tmp/w /tmp/spool
# shellcheck disable=SC2086
env $AGENT_ENV edgetrace run --spool /tmp/spool --watch all=/tmp/w $btfargs \
	>/tmp/agent.out 2>/tmp/agent.err &
agent=$!
if ! wait_capturing $agent /tmp/agent.err; then
	say "agent-failed"
	sed 's/^/ET-SYSTEST agent: /' /tmp/agent.err
	finish
fi
say "agent-started $(cut -d' ' -f1 /proc/uptime) after $polls polls"
sed 's/^/ET-SYSTEST agent: /' /tmp/agent.err

# execs through relative paths: /bin/true is a hard link to busybox
# (so it is its own path), /bin/ls a symlink to /bin/busybox
(cd /bin && ./true) && say "ran ./true in /bin"
(cd /bin && ./ls / >/dev/null) && say "ran ./ls in /bin"
(cd /usr && ../bin/true) && say "ran ../bin/true in /usr"

# file operations in the watched directory, through relative paths
if cd /tmp/w; then
	mkdir sub
	echo hello >f1
	mv f1 sub/f2
	rm sub/f2
	rmdir sub
	cd / && say "fileops done"
fi

# a TCP conversation on the loopback: 100 bytes up, 200 down
netpeer server tcp 127.0.0.1 "$PORT" 200 100 >/tmp/srv 2>&1 &
srv=$!
i=0
while ! grep -q '^listen' /tmp/srv && [ $i -lt 100 ]; do
	i=$((i + 1))
	usleep 50000
done
netpeer client tcp 127.0.0.1 "$PORT" 100 200 >/tmp/cli 2>&1
wait $srv
sed 's/^/ET-SYSTEST server: /' /tmp/srv
sed 's/^/ET-SYSTEST client: /' /tmp/cli

sleep 1
# the agent's memory: peak and now, anonymous, file-backed and shared
say "agent-memory $(grep -E '^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem):' /proc/$agent/status |
	tr -s ' \t' ' ' | tr '\n' ' ')"
edgetrace status --spool /tmp/spool 2>&1 | sed 's/^/ET-SYSTEST status-running: /'

# last_seq: the spool's last record; uplink_next: the uplink cursor's
# next record (0 before its first acknowledgement)
last_seq() {
	edgetrace status --spool /tmp/spool 2>/dev/null |
		sed -n 's/^records .*(seq [0-9]*\.\.\([0-9]*\)).*/\1/p'
}
uplink_next() {
	n=$(edgetrace status --spool /tmp/spool 2>/dev/null |
		sed -n 's/^cursor *uplink: next \([0-9]*\),.*/\1/p')
	echo "${n:-0}"
}
# wait_uplink SEQ SECONDS: until the uplink has acknowledged SEQ; 1 if
# it died or the time ran out
wait_uplink() {
	i=0
	while [ "$(uplink_next)" -le "$1" ]; do
		if ! kill -0 "$uplink" 2>/dev/null || [ $i -ge $(($2 * 5)) ]; then
			return 1
		fi
		i=$((i + 1))
		usleep 200000
	done
}

# the uplink beside the running agent: what the spool holds now reaches
# the collector while the agent records on
uplink=
if [ -n "$netup" ]; then
	upto=$(last_seq)
	edgetrace uplink --config /etc/edgetrace/uplink.conf --spool /tmp/spool \
		>/tmp/uplink.out 2>/tmp/uplink.err &
	uplink=$!
	t=$(cut -d' ' -f1 /proc/uptime)
	say "uplink-started $t with the agent running, last seq $upto"
	if wait_uplink "$upto" 60; then
		say "uplink-acked-running $(cut -d' ' -f1 /proc/uptime) seq $upto (started $t)"
	else
		say "uplink-not-acked-running: cursor $(uplink_next), seq $upto"
	fi
fi
kill -INT $agent
wait $agent
say "agent-exit $?"
sed 's/^/ET-SYSTEST agent: /' /tmp/agent.err | tail -3
if [ -n "$uplink" ]; then
	# the agent is gone: the uplink catches up with its last record
	upto=$(last_seq)
	t=$(cut -d' ' -f1 /proc/uptime)
	if wait_uplink "$upto" 60; then
		say "uplink-caught-up $(cut -d' ' -f1 /proc/uptime) seq $upto (agent stopped $t)"
	else
		say "uplink-not-caught-up: cursor $(uplink_next), last seq $upto"
	fi
	say "uplink-memory $(grep -E '^(VmHWM|VmRSS):' /proc/$uplink/status |
		tr -s ' \t' ' ' | tr '\n' ' ')"
	edgetrace status --spool /tmp/spool 2>&1 | sed 's/^/ET-SYSTEST uplink-status: /'
	kill -TERM $uplink
	wait $uplink
	say "uplink-exit $?"
	sed 's/^/ET-SYSTEST uplink: /' /tmp/uplink.err
fi
edgetrace status --spool /tmp/spool 2>&1 | sed 's/^/ET-SYSTEST status: /'

say "uptime-export $(cut -d' ' -f1 /proc/uptime)"
echo "===ET-SYSTEST-ARMOR-BEGIN==="
edgetrace export --spool /tmp/spool --format armor
echo "===ET-SYSTEST-ARMOR-END==="
finish
