# SPDX-License-Identifier: GPL-2.0
#
# test_reduced.sh - reduced mode, for kernels with no BTF at all
# (CONFIG_REDUCED_MODE, docs/process-monitoring.md "Reduced mode"), with
# real BPF on this kernel:
#   - its object, build/<board>/bpf/reduced.o, has no CO-RE relocation
#     (the full object's count is the control that the check can see one);
#   - forced with --btf none (and btf = none in a config file): stderr and
#     `status` say so, what is lacking and which families do not run; exec
#     through relative paths (argv, filename, ppid from the fork; exe and
#     cwd from /proc for a process that still lives, and absent, never
#     wrong, for those already gone), execveat, fork of processes and
#     threads, exit codes and a killing signal, with the core-dump bit
#     null; `query` and `export --format jsonl` on the result;
#   - chosen by itself when the kernel's BTF is hidden (a mount namespace
#     with an empty /sys/kernel/btf);
#   - a tracepoint field missing from the format (a copy of tracefs's
#     format files with one field taken out): that probe is not loaded,
#     is named with the reason, and the others run.
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the built tests/tools (build/<board>/tools)}"
ET_TOOLS=$(readlink -f "$ET_TOOLS")
BUILD=$(dirname "$ET_TOOLS")
ETWORKLOAD=$ET_TOOLS/etworkload
TR=$(readlink -f "$T")
TRUE=$(readlink -f /usr/bin/true)
PY=/usr/bin/python3

if ! "$EDGETRACE" run --help | grep -q -- '--btf none'; then
	echo "SKIP $TEST_NAME: this build has no reduced mode (CONFIG_REDUCED_MODE)"
	exit 0
fi

# ------------------------------------------------------- the object

# core_relos OBJECT: the bytes of CO-RE relocation records in its .BTF.ext
core_relos() {
	local ext=$T/btf.ext
	rm -f "$ext"
	llvm-objcopy --dump-section ".BTF.ext=$ext" "$1" "$T/objcopy.out" 2>/dev/null ||
		{ echo "none"; return; }
	"$PY" - "$ext" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
magic, ver, flags, hdr_len = struct.unpack_from("<HBBI", b, 0)
assert magic == 0xeb9f, "not BTF.ext"
# header: func_info off/len, line_info off/len, then (if there) core_relo
print(struct.unpack_from("<II", b, 24)[1] if hdr_len >= 32 else 0)
EOF
}

relos=$(core_relos "$BUILD/bpf/reduced.o")
check object_has_no_core_relocation test "$relos" = 0
full=$(core_relos "$BUILD/bpf/edgetrace.o")
check full_object_has_core_relocations test "$full" != none -a "${full:-0}" -gt 0
# and no kernel type at all: reduced.bpf.c does not include kernel_types.h
if bpftool btf dump file "$BUILD/bpf/reduced.o" >"$T/btf.txt" 2>&1; then
	check object_has_no_kernel_types test "$(grep -c "'task_struct'\|'linux_binprm'" "$T/btf.txt")" -eq 0
else
	fail object_has_no_kernel_types "bpftool btf dump: $(head -2 "$T/btf.txt")"
fi

# ------------------------------------------------ forced: --btf none

# the families this build has that reduced mode cannot run
unavailable=$("$EDGETRACE" --version | sed -n 's/.*probes: \([a-z ]*\)).*/\1/p' |
	tr ' ' '\n' | grep -vx 'exec\|fork\|exit' | tr '\n' ' ' | sed 's/ $//')

mkdir -p "$T/bin"
cp "$(readlink -f /usr/bin/sleep)" "$T/bin/et-sleeper"
start_agent "$T/spool" --btf none || fail start "agent did not start"
check says_reduced grep -q '^edgetrace: reduced mode (--btf none): the process probes read tracepoint fields only' "$T/agent.err"
check says_what_lacks grep -q '^edgetrace: reduced mode lacks: exec: exe, cwd, euid, egid, sid and tty only from /proc' "$T/agent.err"
check says_families_not_running grep -qx "edgetrace: reduced mode: these probe families need kernel BTF and are not running: $unavailable" "$T/agent.err"
check no_co_re test "$(grep -c 'CO-RE against' "$T/agent.err")" -eq 0
check reduced_probes_capture grep -q 'capturing (probes: [^)]*et_r_exec .*et_r_fork.*et_r_exit)' "$T/agent.err"

"$EDGETRACE" status --spool "$T/spool" >"$T/status.txt"
"$EDGETRACE" status --spool "$T/spool" --json >"$T/status.json"
check status_mode_text grep -q '^mode      reduced: --btf none' "$T/status.txt"
check status_lacking_text grep -q '^lacking   exec: exe, cwd' "$T/status.txt"
check status_not_running_text grep -q "^not running $unavailable: they need kernel BTF" "$T/status.txt"
check status_json "$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))["agent"]["probes"]
assert s["mode"] == "reduced" and s["reduced"] == "--btf none", s
assert s["unavailable"] == sys.argv[2] != "", (s, sys.argv[2])
assert "et_r_exec" in s["active"].split() and s["inactive"] == "", s
assert s["lacking"].startswith("exec: exe, cwd"), s' "$T/status.json" "$unavailable"

# the workload
(cd "$T/bin" && ./et-sleeper 0.7)		# lives: /proc has exe and cwd
for i in $(seq 1 40); do
	(cd /bin && ./true reduced-marker "$i")	# gone before the agent looks
done
"$ETWORKLOAD" exit 7 >"$T/exit.pids"
"$ETWORKLOAD" signal 15 >"$T/signal.pids"
"$ETWORKLOAD" fork 3 >"$T/fork.pids"
"$ETWORKLOAD" threads 2 >"$T/threads.pids"
"$ETWORKLOAD" execveat "$T/bin" et-sleeper 0.3 >"$T/execveat.pids"
# argv of 64 arguments (all read) and of 65 (cut after 64)
/bin/true $(seq -f 'x%g' 1 63)
/bin/true $(seq -f 'y%g' 1 64)
sleep 0.5
stop_agent INT
check stop_clean test $? -eq 0
check nothing_dropped grep -q ' 0 dropped ' "$T/agent.err"

"$EDGETRACE" query --spool "$T/spool" --json >"$T/q.json"
check query_reads_it test -s "$T/q.json"

# judge NAME PYTHON: PYTHON, with ev (every event, parsed) and helpers,
# raises when the spool is not as expected (the message says how)
judge() {
	local name=$1 out
	if out=$("$PY" - "$T/q.json" "$TR" "$TRUE" "$T" <<EOF 2>&1
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
TR, TRUE, T = sys.argv[2], sys.argv[3], sys.argv[4]
pids = lambda f: [int(x) for x in open(T + "/" + f).read().split()]
def of(t, **kw):
    return [e for e in ev if e["type"] == t and
            all(e["proc"].get(k) == v for k, v in kw.items())]
def one(t, **kw):
    m = of(t, **kw)
    assert len(m) == 1, "%d %s events with %s" % (len(m), t, kw)
    return m[0]
$2
EOF
	); then
		pass "$name"
	else
		fail "$name" "$(tail -2 <<<"$out" | tr '\n' ' ')"
	fi
}

judge every_record_marked_reduced '
assert ev and all(e.get("reduced") is True for e in ev if e["type"] != "gap")'
judge exec_relative_live '
e = one("exec", filename="./et-sleeper")
p = e["proc"]
assert p["cmdline"] == "./et-sleeper 0.7", p
assert p["exe"] == TR + "/bin/et-sleeper" and p["cwd"] == TR + "/bin", p
assert p["uid"] == 0 and p["euid"] == 0 and p["ppid"] > 1, p'
judge exec_short_lived '
m = [e for e in of("exec", filename="./true")
     if e["proc"].get("cmdline", "").startswith("./true reduced-marker ")]
assert len(m) == 40, "%d of 40 execs" % len(m)
# never wrong: what /proc gave is the process'"'"'s
for e in m:
    p = e["proc"]
    assert p.get("exe", TRUE) == TRUE and p.get("cwd", "/usr/bin") in ("/bin", "/usr/bin"), p
    assert p["ppid"] > 1, p'
judge absent_is_absent '
m = [e["proc"] for e in of("exec", filename="./true")]
gone = [p for p in m if not any(k in p for k in ("exe", "cwd", "euid", "egid", "sid", "tty"))]
assert gone, "every short exec had /proc fields: %s" % m[:2]
assert all(p["exe"] for p in m if "exe" in p)'
judge exit_code '
e = one("exit", pid=pids("exit.pids")[0])
x = e["exit"]
assert x["code"] == 7 and x["signal"] is None and x["core"] is None, x'
judge exit_signal '
x = one("exit", pid=pids("signal.pids")[0])["exit"]
assert x["code"] is None and x["signal"] == 15 and x["signame"] == "SIGTERM", x
assert x["core"] is None, x'
judge exit_lifetime '
x = one("exit", pid=one("exec", filename="./et-sleeper")["proc"]["pid"])["exit"]
assert x["code"] == 0 and 0.6e9 < x["lifetime_ns"] < 5e9, x'
judge fork_processes '
parent = None
for c in pids("fork.pids"):
    f = one("fork", pid=c, tid=c)
    assert f["fork"]["thread"] is False, f
    parent = parent or f["proc"]["ppid"]
    assert f["proc"]["ppid"] == parent, f
    one("exit", pid=c)'
judge fork_threads '
p = pids("threads.pids")
for tid in p[1:]:
    f = one("fork", pid=p[0], tid=tid)
    assert f["fork"]["thread"] is True, f
one("exit", pid=p[0])	# one per process, not per thread'
judge execveat '
pid = pids("execveat.pids")[0]
m = [e for e in of("exec", pid=pid) if e["proc"]["filename"].startswith("/dev/fd/")]
assert len(m) == 1, "%d execveat events of %d" % (len(m), pid)
e = m[0]
assert e["proc"]["cmdline"] == "et-sleeper 0.3", e'

judge argv_64_arguments '
m = [e["proc"] for e in of("exec", filename="/bin/true")
     if e["proc"].get("cmdline", "").startswith("/bin/true x1 ")]
assert len(m) == 1 and m[0]["cmdline"].split()[-1] == "x63", m
assert "cmdline_truncated" not in m[0], m[0]
m = [e["proc"] for e in of("exec", filename="/bin/true")
     if e["proc"].get("cmdline", "").startswith("/bin/true y1 ")]
assert len(m) == 1 and m[0]["cmdline"].split()[-1] == "y63", m
assert m[0]["cmdline_truncated"] is True, m[0]'

"$EDGETRACE" query --spool "$T/spool" 'evt.type = exec and proc.cmdline = "./et-sleeper 0.7"' >"$T/q.txt"
check query_filter_finds_it test "$(grep -c ' exec ' "$T/q.txt")" -eq 1
"$EDGETRACE" export --spool "$T/spool" --format jsonl >"$T/export.jsonl" 2>"$T/export.err"
check export_jsonl "$PY" -c '
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) > 40 and a == b, (len(a), len(b))' "$T/export.jsonl" "$T/q.json"

# the same from the config file
printf 'btf = none\n' >"$T/none.conf"
start_agent "$T/spool2" --config "$T/none.conf" || fail config_start "agent did not start"
check config_btf_none grep -q '^edgetrace: reduced mode (--btf none)' "$T/agent.err"
stop_agent INT

# ------------------------------------ automatic: no BTF to be had

if command -v unshare >/dev/null; then
	# an empty /sys/kernel/btf (and CONFIG_BTF_FILE's directory) in a
	# mount namespace of the agent's own
	unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf &&
		{ [ ! -d /usr/lib/edgetrace ] || mount -t tmpfs none /usr/lib/edgetrace; } &&
		exec "$0" run --spool "$1"' "$EDGETRACE" "$T/spool3" \
		>"$T/agent.out" 2>"$T/agent.err" &
	AGENT_PID=$!
	for i in $(seq 1 200); do
		grep -q capturing "$T/agent.err" 2>/dev/null && break
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	check auto_reduced grep -q '^edgetrace: reduced mode (no kernel BTF: /sys/kernel/btf/vmlinux is missing and there is no BTF file at' "$T/agent.err"
	(cd /bin && ./true reduced-auto-marker)
	sleep 0.3
	stop_agent INT
	check auto_stop_clean test $? -eq 0
	"$EDGETRACE" query --spool "$T/spool3" --json 'evt.type = exec and proc.cmdline contains reduced-auto-marker' >"$T/q3.json"
	check auto_exec_captured grep -q '"cmdline":"./true reduced-auto-marker".*"reduced":true' "$T/q3.json"
else
	echo "SKIP $TEST_NAME.auto: no unshare (util-linux)"
fi

# ------------------------------ a field this kernel's format lacks

ev=/sys/kernel/tracing/events
for tp in sched/sched_process_exec sched/sched_process_exit task/task_newtask \
	syscalls/sys_enter_execve syscalls/sys_enter_execveat \
	syscalls/sys_exit_execve syscalls/sys_exit_execveat \
	syscalls/sys_enter_exit_group syscalls/sys_enter_exit \
	signal/signal_generate; do
	mkdir -p "$T/events/$tp"
	cp "$ev/$tp/format" "$T/events/$tp/format"
done
sed -i '/ clone_flags;/d' "$T/events/task/task_newtask/format"
EDGETRACE_TEST_TRACEFS_EVENTS=$T/events start_agent "$T/spool4" --btf none ||
	fail missing_field_start "agent did not start"
check missing_field_named grep -q "^edgetrace: warning: probe et_r_fork not loaded: tracepoint task/task_newtask has no field 'clone_flags' on this kernel; the other probes run" "$T/agent.err"
"$EDGETRACE" status --spool "$T/spool4" --json >"$T/status4.json"
check missing_field_inactive grep -q '"inactive":"et_r_fork"' "$T/status4.json"
(cd /bin && ./true reduced-missing-marker)
sleep 0.3
stop_agent INT
"$EDGETRACE" query --spool "$T/spool4" --json 'evt.type = exec and proc.cmdline contains reduced-missing-marker' >"$T/q4.json"
check missing_field_others_run grep -q 'reduced-missing-marker' "$T/q4.json"
check missing_field_no_forks test "$("$EDGETRACE" query --spool "$T/spool4" 'evt.type = fork' | grep -c ' fork ')" -eq 0
