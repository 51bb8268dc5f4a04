# SPDX-License-Identifier: GPL-2.0
#
# test_process.sh - feature row 1 (processes) end to end, with real BPF.
# One agent run for the process life cycle:
#   - exit with a code, and killed by SIGTERM / SIGKILL: the signal event
#     (sender, target, result) and the exit event (code or signal, lifetime,
#     exe of a child that never exec'd, from the agent's process table);
#   - threads against processes: a fork event per thread (thread:true), one
#     exit per process; a fork and an exit event per child process;
#   - setgid/setuid, ptrace attach, seize and traceme;
#   - exec details: cwd, uid/gid against euid/egid, session id, tty;
#   - container ids through the agent: cgroups named as docker, containerd
#     in a Kubernetes pod, CRI-O and podman name them, created under a
#     test-owned parent in the cgroup2 hierarchy, a shell moves itself into
#     each and execs a marker.
# A second agent run for a 20,000-exec storm: every exec recorded, with the
# absolute path, and nothing dropped.
#
# pid_max is small on a small machine (32768 on 2 cores) and other things
# may run meanwhile, so events are matched by pid AND by something the
# workload alone has (its command line, a marker argument).
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the built tests/tools (build/<board>/tools)}"
ET_TOOLS=$(readlink -f "$ET_TOOLS")
EXECSTORM=$ET_TOOLS/execstorm
ETWORKLOAD=$ET_TOOLS/etworkload
TR=$(readlink -f "$T")		# $T as the kernel resolves it
TRUE=$(readlink -f /usr/bin/true)
STORM_N=20000

for tool in "$EXECSTORM" "$ETWORKLOAD"; do
	if [ ! -x "$tool" ]; then
		fail tools "$tool is missing: run make tools"
		exit 1
	fi
done

# ---------------------------------------------------------------- helpers

# expect NAME WHAT WANT GOT: PASS if GOT equals WANT, else say both.
expect() {
	if [ "$3" = "$4" ]; then
		pass "$1"
	else
		fail "$1" "$2: expected '$3', got '$4'"
	fi
}

# found NAME LINE WHAT: LINE is not empty, or FAIL NAME saying what is missing
found() {
	[ -n "$2" ] && return 0
	fail "$1" "no $3 in the spool"
	return 1
}

# sub NAME LINE: the flat JSON object "NAME":{...} in LINE (the first one)
sub() {
	grep -o "\"$1\":{[^{}]*}" <<<"$2" | head -1
}

# get KEY TEXT: the value of the first "KEY": in TEXT, strings unquoted
get() {
	grep -o "\"$1\":\(\"[^\"]*\"\|[^,}]*\)" <<<"$2" | head -1 |
		cut -d: -f2- | sed 's/^"\(.*\)"$/\1/'
}

# events TYPE PID: the events of TYPE whose proc.pid is PID
events() {
	grep -F "\"type\":\"$1\",\"proc\":{\"pid\":$2," "$Q"
}

# first_line: the first line of stdin, reading all of it
first_line() {
	sed -n 1p
}

# ---------------------------------------------------------------- cgroups

# The cgroup2 mount (/sys/fs/cgroup/unified on a systemd hybrid system).
CG=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
R=/edgetrace-test-$$.slice	# our parent, relative to the cgroup2 root
P=$CG$R

cleanup_cgroups() {
	[ -n "$CG" ] && [ -d "$P" ] || return 0
	remove_cgroup_tree "$P"
}
trap 'cleanup_cgroups; stop_agent >/dev/null 2>&1; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

H1=6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b
H2=d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35
H3=4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce
H4=4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a
H5=ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d
H6=e7f6c011776e8db7cd330b54174fd76f7d0216b612387a5ffcfb81e6f0919683
H7=7902699be42c8a8e46fbbb4501726517e86b22c56a189f7625a6da49081b2451
H8=2c624232cdd221771294dfbb310aca000a0df6ac8b66b696d90ef06fdefb64a3
U=0f2b8f3e-9c7d-4b8a-a1e2-3c4d5e6f7a8b
U2=5d8c1f0a-2b3c-4d5e-8f90-a1b2c3d4e5f6
KBE=kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${U//-/_}.slice
KBU=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${U2//-/_}.slice

# name|path below $P|runtime|container id|pod uid (- for none)
# settled: created more than a second before their first exec
SETTLED="docker|system.slice/docker-$H1.scope|docker|$H1|-
containerd_pod|$KBE/cri-containerd-$H2.scope|containerd|$H2|$U
crio_pod|$KBU/crio-$H3.scope|cri-o|$H3|$U2
podman|machine.slice/libpod-$H4.scope|podman|$H4|-"
# back to back: each created just before its first exec, one after the
# other, as a runtime starts containers (a pod's, a compose file's). The
# first exec of a container is its entrypoint, often its only one: it must
# carry the container although the cgroup is milliseconds old and the
# agent's cgroup cache was rescanned (at most once a second) just before.
BACK2BACK="docker|b2b/system.slice/docker-$H5.scope|docker|$H5|-
containerd_pod|b2b/$KBE/cri-containerd-$H6.scope|containerd|$H6|$U
crio_pod|b2b/$KBU/crio-$H7.scope|cri-o|$H7|$U2
podman|b2b/machine.slice/libpod-$H8.scope|podman|$H8|-"

# in_cgroup DIR MARKER: a shell moves itself into DIR and execs true MARKER
in_cgroup() {
	sh -c 'echo $$ > "$1/cgroup.procs" && exec /bin/true "$2"' sh "$1" "$2"
}

# ============================================== run 1: the process life cycle

if [ -n "$CG" ]; then
	# settled containers first: their cgroups must exist for more than a
	# second before their exec (the agent rescans the tree at most once a
	# second); the other workloads run meanwhile
	if mkdir "$P"; then
		while IFS='|' read -r name rel _; do
			mkdir -p "$P/$rel" || fail "container.$name" "mkdir -p $P/$rel"
		done <<<"$SETTLED"
	else
		fail containers "cannot create a cgroup under $CG"
		CG=
	fi
fi
settled_at=$(date +%s%N)

if ! start_agent "$T/spool"; then
	fail start "the agent did not report that it is capturing"
	exit 1
fi
pass start

# ---- exit code: a child that never exec'd exits 3
"$ETWORKLOAD" exit 3 >"$T/exit.out" &
exit_w=$!
wait $exit_w
exit_rc=$?
exit_pid=$(first_line <"$T/exit.out")

# ---- killed by a signal
for sig in 15 9; do
	"$ETWORKLOAD" signal $sig >"$T/sig$sig.out" &
	eval "sig${sig}_w=$!"
	wait $!
	eval "sig${sig}_rc=$?"
done

# ---- threads and processes
"$ETWORKLOAD" threads 3 >"$T/threads.out"
threads_rc=$?
"$ETWORKLOAD" fork 4 >"$T/fork.out" &
fork_w=$!
wait $fork_w
fork_rc=$?

# ---- setgid(1000), then setuid(1000)
"$ETWORKLOAD" setuid 1000 1000 >"$T/setuid.out"
setuid_rc=$?

# ---- ptrace: attach, seize, traceme
"$ETWORKLOAD" ptrace >"$T/ptrace.out" &
ptrace_w=$!
wait $ptrace_w
ptrace_rc=$?

# ---- exec details: cwd, session; uid 0 with euid/egid 1000 (setpriv sets
# only the effective ids; etworkload is copied where uid 1000 may run it)
mkdir -p "$T/wd/cwd dir" "$T/bin"
chmod 755 "$T" "$T/bin"
cp "$ETWORKLOAD" "$T/bin/etworkload"
my_sid=$(awk '{ print $6 }' /proc/$$/stat)
cwd_pid=$(cd "$TR/wd/cwd dir" && setpriv --euid 1000 --egid 1000 --clear-groups \
	"$TR/bin/etworkload" exec /bin/true et-cwd-marker | first_line)
# a new session: its leader's sid is its pid
setsid_pid=$(setsid "$ETWORKLOAD" exec /bin/true et-setsid-marker | first_line)
# a controlling tty: script(1) runs the command on a new pty, in a session
tty_out=$(SHELL=/bin/sh script -qec \
	"tty; exec '$ETWORKLOAD' exec /bin/true et-tty-marker" /dev/null </dev/null |
	tr -d '\r')
tty_name=$(sed -n 1p <<<"$tty_out")
tty_name=${tty_name#/dev/}
tty_pid=$(sed -n 2p <<<"$tty_out")

# ---- containers: settled ones, then back-to-back ones
if [ -n "$CG" ]; then
	while [ $(($(date +%s%N) - settled_at)) -lt 1100000000 ]; do
		sleep 0.05
	done
	while IFS='|' read -r name rel _; do
		in_cgroup "$P/$rel" "et-settled-$name-$$"
	done <<<"$SETTLED"
	while IFS='|' read -r name rel _; do
		mkdir -p "$P/$rel" && in_cgroup "$P/$rel" "et-b2b-$name-$$"
	done <<<"$BACK2BACK"
fi

sleep 0.2
stop_agent INT
check clean_exit test $? -eq 0
check nothing_dropped grep -q 'events recorded, 0 dropped' "$T/agent.err"
Q=$T/q.json
"$EDGETRACE" query --spool "$T/spool" --json >"$Q"
check query_exit test $? -eq 0

# ---- 1. exit code 3
expect exit_code.workload "etworkload exit 3 status" 0 "$exit_rc"
line=$(events exit "$exit_pid" | grep -F "\"cmdline\":\"$ETWORKLOAD exit 3\"")
if found exit_code "$line" "exit event of pid $exit_pid"; then
	x=$(sub exit "$line")
	expect exit_code.count "exit events of pid $exit_pid" 1 "$(grep -c . <<<"$line")"
	expect exit_code.code "exit.code" 3 "$(get code "$x")"
	expect exit_code.signal "exit.signal" null "$(get signal "$x")"
	expect exit_code.core "exit.core" false "$(get core "$x")"
	lt=$(get lifetime_ns "$x")
	check exit_code.lifetime test "${lt:-0}" -gt 0
	expect exit_code.ppid "proc.ppid" "$exit_w" "$(get ppid "$line")"
	# the child never exec'd: exe comes from the parent's exec, by fork
	expect exit_code.exe_enriched "proc.exe" "$ETWORKLOAD" "$(get exe "$line")"
fi

# ---- 2. killed by SIGTERM, by SIGKILL
for sig in 15 9; do
	case $sig in
	15) sn=SIGTERM ;;
	9) sn=SIGKILL ;;
	esac
	n=signal_$sn
	w=$(eval echo "\$sig${sig}_w")
	child=$(first_line <"$T/sig$sig.out")
	expect "$n.workload" "etworkload signal $sig status" 0 "$(eval echo "\$sig${sig}_rc")"
	line=$(events signal "$w" | grep -F "\"sig\":$sig,")
	if found "$n.sent" "$line" "signal event from pid $w"; then
		s=$(grep -o '"signal":{.*' <<<"$line" | head -1)
		expect "$n.count" "signal $sig events from pid $w" 1 "$(grep -c . <<<"$line")"
		expect "$n.name" "signal.name" $sn "$(get name "$s")"
		expect "$n.code" "signal.code (SI_USER)" 0 "$(get code "$s")"
		expect "$n.target" "signal.target.pid" "$child" "$(get pid "$(sub target "$s")")"
		expect "$n.target_tid" "signal.target.tid" "$child" "$(get tid "$(sub target "$s")")"
		expect "$n.result" "signal.result" delivered "$(get result "$s")"
	fi
	line=$(events exit "$child" | grep -F "\"cmdline\":\"$ETWORKLOAD signal $sig\"")
	if found "$n.exit" "$line" "exit event of pid $child"; then
		x=$(sub exit "$line")
		expect "$n.exit_signal" "exit.signal" $sig "$(get signal "$x")"
		expect "$n.exit_signame" "exit.signame" $sn "$(get signame "$x")"
		expect "$n.exit_code" "exit.code" null "$(get code "$x")"
	fi
done

# ---- 3. threads: 3 fork events with thread:true, one exit event
expect threads.workload "etworkload threads 3 status" 0 "$threads_rc"
tpid=$(first_line <"$T/threads.out")
want=$(sed 1d "$T/threads.out" | sort -n | tr '\n' ' ')
lines=$(events fork "$tpid" | grep -F '"thread":true')
got=$(grep -o '"tid":[0-9]*' <<<"$lines" | cut -d: -f2 | sort -n | tr '\n' ' ')
expect threads.fork_events "tids of the thread:true fork events of pid $tpid" "$want" "$got"
expect threads.no_process_forks "fork events with thread:false and pid = a thread's tid" 0 \
	"$(for t in $want; do events fork "$t" | grep -F '"thread":false'; done | grep -c .)"
expect threads.one_exit "exit events of pid $tpid" 1 \
	"$(events exit "$tpid" | grep -cF "\"cmdline\":\"$ETWORKLOAD threads 3\"")"
expect threads.no_thread_exits "exit events with pid = a thread's tid" 0 \
	"$(for t in $want; do events exit "$t"; done | grep -c .)"

# ---- 3. processes: 4 fork events with thread:false, 4 exit events
expect fork.workload "etworkload fork 4 status" 0 "$fork_rc"
want=$(sort -n "$T/fork.out" | tr '\n' ' ')
lines=$(grep -F '"type":"fork"' "$Q" | grep -F "\"ppid\":$fork_w," |
	grep -F "\"cmdline\":\"$ETWORKLOAD fork 4\"")
got=$(grep -o '"proc":{"pid":[0-9]*' <<<"$lines" | cut -d: -f3 | sort -n | tr '\n' ' ')
expect fork.fork_events "pids of the fork events with ppid $fork_w" "$want" "$got"
expect fork.not_threads "of those, events with thread:false" 4 "$(grep -cF '"thread":false' <<<"$lines")"
expect fork.tid_is_pid "of those, events with tid = pid" 4 \
	"$(grep -cE '"proc":\{"pid":([0-9]+),"tid":\1,' <<<"$lines")"
got=$(for p in $want; do events exit "$p" | grep -F "\"cmdline\":\"$ETWORKLOAD fork 4\"" |
	grep -F '"exit":{"code":0,'; done | grep -c .)
expect fork.exit_events "exit events with code 0 of the 4 children" 4 "$got"

# ---- 4. setgid, setuid
expect setuid.workload "etworkload setuid 1000 1000 status" 0 "$setuid_rc"
upid=$(first_line <"$T/setuid.out")
cmd="\"cmdline\":\"$ETWORKLOAD setuid 1000 1000\""
line=$(events setgid "$upid" | grep -F "$cmd" | head -1)
if found setgid "$line" "setgid event of pid $upid"; then
	p=$(sub proc "$line")
	expect setgid.gid "proc.gid" 1000 "$(get gid "$p")"
	expect setgid.egid "proc.egid" 1000 "$(get egid "$p")"
	expect setgid.uid_unchanged "proc.uid" 0 "$(get uid "$p")"
	expect setgid.call "cred.call" setgid "$(get call "$(sub cred "$line")")"
fi
line=$(events setuid "$upid" | grep -F "$cmd" | head -1)
if found setuid "$line" "setuid event of pid $upid"; then
	p=$(sub proc "$line")
	expect setuid.uid "proc.uid" 1000 "$(get uid "$p")"
	expect setuid.euid "proc.euid" 1000 "$(get euid "$p")"
	expect setuid.suid "proc.suid" 1000 "$(get suid "$p")"
	expect setuid.fsuid "proc.fsuid" 1000 "$(get fsuid "$p")"
	expect setuid.gid "proc.gid" 1000 "$(get gid "$p")"
	expect setuid.call "cred.call" setuid "$(get call "$(sub cred "$line")")"
fi

# ---- 5. ptrace
expect ptrace.workload "etworkload ptrace status" 0 "$ptrace_rc"
traced=$(sed -n 1p "$T/ptrace.out")
traceme=$(sed -n 2p "$T/ptrace.out")
lines=$(events ptrace "$ptrace_w" | grep -F "\"cmdline\":\"$ETWORKLOAD ptrace\"")
for req in attach seize; do
	line=$(grep -F "\"request\":\"$req\"" <<<"$lines")
	if found "ptrace.$req" "$line" "ptrace $req event from pid $ptrace_w"; then
		expect "ptrace.$req.count" "ptrace $req events" 1 "$(grep -c . <<<"$line")"
		expect "ptrace.$req.target" "ptrace.target.pid" "$traced" \
			"$(get pid "$(sub target "$line")")"
	fi
done
line=$(events ptrace "$traceme" | grep -F '"request":"traceme"')
if found ptrace.traceme "$line" "ptrace traceme event from pid $traceme"; then
	expect ptrace.traceme.target "ptrace.target.pid (the tracer)" "$ptrace_w" \
		"$(get pid "$(sub target "$line")")"
fi

# ---- 7. exec details
line=$(events exec "$cwd_pid" | grep -F '"cmdline":"/bin/true et-cwd-marker"')
if found exec_cwd "$line" "exec event of pid $cwd_pid"; then
	p=$(sub proc "$line")
	expect exec_cwd "proc.cwd" "$TR/wd/cwd dir" "$(get cwd "$p")"
	expect exec_uid "proc.uid" 0 "$(get uid "$p")"
	expect exec_gid "proc.gid" 0 "$(get gid "$p")"
	expect exec_euid "proc.euid" 1000 "$(get euid "$p")"
	expect exec_egid "proc.egid" 1000 "$(get egid "$p")"
	expect exec_sid "proc.sid (the test's session)" "$my_sid" "$(get sid "$p")"
	expect exec_no_tty "proc.tty (none in this session: $(tty 2>&1))" \
		"$(tty -s && tty | sed 's,^/dev/,,')" "$(get tty "$p")"
fi
line=$(events exec "$setsid_pid" | grep -F '"cmdline":"/bin/true et-setsid-marker"')
if found exec_setsid "$line" "exec event of pid $setsid_pid"; then
	expect exec_setsid "proc.sid of a session leader" "$setsid_pid" \
		"$(get sid "$(sub proc "$line")")"
fi
line=$(events exec "$tty_pid" | grep -F '"cmdline":"/bin/true et-tty-marker"')
if found exec_tty "$line" "exec event of pid '$tty_pid' (script printed: $(tr '\n' ' ' <<<"$tty_out"))"; then
	p=$(sub proc "$line")
	expect exec_tty "proc.tty" "$tty_name" "$(get tty "$p")"
	expect exec_tty_sid "proc.sid of the pty session's leader" "$tty_pid" "$(get sid "$p")"
fi

# ---- 6. containers
# container_checks PREFIX CASES MARKER: the exec of each marker carries the
# container of its cgroup
container_checks() {
	local pre=$1 cases=$2 mk=$3 name rel rt cid pod line c
	while IFS='|' read -r name rel rt cid pod; do
		line=$(grep -F "\"cmdline\":\"/bin/true et-$mk-$name-$$\"" "$Q" |
			grep -F '"type":"exec"' | head -1)
		found "$pre.$name" "$line" "exec of /bin/true et-$mk-$name-$$" || continue
		expect "$pre.$name.cgroup" "proc.cgroup (inode of $rel)" \
			"$(stat -c %i "$P/$rel" 2>&1)" "$(get cgroup "$(sub proc "$line")")"
		c=$(sub container "$line")
		if [ -z "$c" ]; then
			fail "$pre.$name" "no container object; expected runtime $rt, id $cid, pod $pod: $line"
			continue
		fi
		expect "$pre.$name.id" "container.id" "$cid" "$(get id "$c")"
		expect "$pre.$name.runtime" "container.runtime" "$rt" "$(get runtime "$c")"
		[ "$pod" = - ] && pod=
		expect "$pre.$name.pod" "container.pod" "$pod" "$(get pod "$c")"
	done <<<"$cases"
}
if [ -n "$CG" ]; then
	container_checks container "$SETTLED" settled
	container_checks container_back_to_back "$BACK2BACK" b2b
	cleanup_cgroups
	check container_cleanup test ! -e "$P"
else
	echo "SKIP $TEST_NAME.containers: no cgroup2 file system mounted"
fi

# ============================================== run 2: the exec storm

if ! start_agent "$T/spool2"; then
	fail storm.start "the agent did not report that it is capturing"
	exit 1
fi
# -p: the pids of the 2 workers, the parents of every exec'd child; the
# marker argument tells these children from other ./true
MARK=et-storm-$$
"$EXECSTORM" -p -n $STORM_N -j 2 -d /usr/bin ./true $MARK >"$T/storm.out"
storm_rc=$?
storm_end=$(date +%s%N)
# the status file is rewritten every second: wait for one written after
# the storm (up to 3 s). Its issued and recorded are read at the same
# moment, so events still in the ring (other processes keep running) make
# issued the larger; the stop line, after the drain, must have them equal.
for i in 1 2 3 4 5 6; do
	sleep 0.5
	"$EDGETRACE" status --spool "$T/spool2" --json >"$T/status.json"
	st_issued=$(get issued "$(cat "$T/status.json")")
	st_recorded=$(get recorded "$(cat "$T/status.json")")
	[ "$(get updated "$(cat "$T/status.json")")" -ge "$storm_end" ] 2>/dev/null && break
done
stop_agent INT
check storm.clean_exit test $? -eq 0
"$EDGETRACE" query --spool "$T/spool2" --json >"$T/q2.json"

workers=$(head -2 "$T/storm.out")
summary=$(tail -1 "$T/storm.out")
expect storm.workload "execstorm status ($summary)" 0 "$storm_rc"
rate=$(sed -n 's/.*(\([0-9]*\)\/s).*/\1/p' <<<"$summary")
echo "# storm: $summary; ${rate:-?} execs/s"
pat=$(sed 's/.*/"ppid":&,/' <<<"$workers")
grep -F '"type":"exec"' "$T/q2.json" | grep -F "$pat" >"$T/storm.json"
expect "storm.all_${STORM_N}_recorded" "exec events with ppid one of the workers ($(tr '\n' ' ' <<<"$workers"))" \
	$STORM_N "$(grep -c . "$T/storm.json")"
expect storm.all_marked "exec events with the marker $MARK" \
	$STORM_N "$(grep -F '"type":"exec"' "$T/q2.json" | grep -cF "\"cmdline\":\"./true $MARK\"")"
expect storm.exe "of the workers' children, events with exe $TRUE" \
	$STORM_N "$(grep -cF "\"exe\":\"$TRUE\"" "$T/storm.json")"
expect storm.filename "of the workers' children, events with filename ./true" \
	$STORM_N "$(grep -cF '"filename":"./true"' "$T/storm.json")"
stopline=$(grep 'stopped:' "$T/agent.err")
check storm.nothing_dropped grep -q 'events recorded, 0 dropped' <<<"$stopline"
check storm.no_gaps_malformed grep -q ', 0 malformed, 0 gap records' <<<"$stopline"
rec=$(sed -n 's/.*stopped: \([0-9]*\) events recorded.*/\1/p' <<<"$stopline")
iss=$(sed -n 's/.* \([0-9]*\) issued.*/\1/p' <<<"$stopline")
expect storm.issued_eq_recorded "stop line ($stopline): issued" "$rec" "$iss"
check storm.status_after_storm test "$(get updated "$(cat "$T/status.json")")" -ge "$storm_end"
check storm.status_recorded test "${st_recorded:-0}" -ge $STORM_N \
	-a "${st_issued:-0}" -ge "${st_recorded:-0}"
d=$(sub drops "$(cat "$T/status.json")")
expect storm.status_no_drops "status drops" \
	'"drops":{"ring_full":0,"scratch":0,"inflight":0}' "$d"
