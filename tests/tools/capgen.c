// SPDX-License-Identifier: GPL-2.0
/*
 * capgen.c - write a capture file of generated records, for the spool
 * benchmark (bench/spool.sh) and for tests that need many records.
 *
 *	capgen [-n N] [-s SEED] [-m MIX] [-q] -o FILE
 *
 * Writes N records (default 1000000) to FILE (- for stdout) as a capture
 * file (docs/record-format.md, "Capture files"), sequence numbers 1..N,
 * encoded by the agent's own et_record_encode() and framed by
 * et_capture_write(): the bytes the agent would store. The same N, SEED
 * and MIX always give the same file.
 *
 * The records come from a simulated edge gateway: a table of live
 * processes (host services, and processes in Docker, containerd and
 * Kubernetes containers, about 40 % of them) that fork, exec programs
 * from a catalogue of typical gateway commands (shell scripts, MQTT
 * clients, curl, ip, iptables, runc, python), exit, change credentials,
 * send signals, ptrace, load modules. Every record carries what the agent
 * adds after enrichment: exe and argv from the process table, the parent,
 * the cgroup id and the container. MIX:
 *
 *   all   (default) per 1000 records: 150 exec, 370 fork (a third of
 *         them threads), 380 exit, 25 setuid, 25 setgid, 40 signal,
 *         4 ptrace, 5 module, 1 gap; what the agent recorded on a build
 *         machine (14 % exec, 42 % fork, 41 % exit) plus the rarer types
 *   exec  exec records only (the largest kind)
 *   every every record type in turn, files and sockets included (the
 *         round-trip tests)
 *   TYPE  any other type name: only that type
 *
 * On stdout (stderr when FILE is -), unless -q: a line
 *   capgen: N records, B record bytes (M per record), file F bytes, seed S, mix X
 * where B is the sum of the encoded records' sizes (without the frames),
 * then one line per type present: count, share, and the record size's
 * min, median, mean and max in bytes.
 *
 * Built by `make tools` like every tool: one file, so it compiles the
 * record encoder and the capture writer into itself. Exit status 1 on an
 * error, 2 on a bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../storage/record.c"
#include "../../storage/capture.c"

#define MAX_PROCS	512
#define MIN_PROCS	64
#define ARGS_MAX	512	/* CONFIG_EXEC_ARGV_BYTES of the boards */
#define PATH_MAX_LEN	256
#define N_CONTAINERS	8
#define TS_BASE		1763755200000000000ull	/* 2025-11-21T20:00:00Z */

/* --- deterministic random numbers: splitmix64 ---------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(((rnd() >> 32) * n) >> 32);
}

/* True with probability @permille / 1000. */
static int chance(unsigned int permille)
{
	return rnd_below(1000) < permille;
}

/* --- the simulated gateway ------------------------------------------------- */

struct container {
	char id[65];
	const char *runtime;
	char pod[37];		/* "" if none */
	uint64_t cgroup;
};

struct proc {
	uint32_t pid, ppid, uid, gid, sid;
	uint64_t start;		/* ts of its fork */
	uint64_t cgroup;
	int container;		/* index, or -1 on the host */
	int tty;		/* has a controlling tty */
	int next_tid;		/* threads made so far */
	char comm[16];
	char exe[PATH_MAX_LEN];
	char args[ARGS_MAX];
	uint32_t args_len;
	char cwd[PATH_MAX_LEN];
};

struct program {
	const char *exe;	/* resolved in the kernel */
	const char *filename;	/* as passed to execve */
	const char *comm;
	const char *argv;	/* template, see programs[] below */
	const char *cwd;
	int in_container;	/* runs in containers rather than on the host */
};

/*
 * Templates: "~" separates the arguments, "#" is a random number, "%" the
 * process's container id (a random 64-hex id on the host).
 */
static const struct program programs[] = {
	{ "/usr/bin/dash", "/bin/sh", "sh",
	  "/bin/sh~-c~/usr/lib/gateway/poll-modbus.sh --bus # --slave # --timeout 500",
	  "/", 0 },
	{ "/usr/bin/dash", "/bin/sh", "sh",
	  "sh~/etc/network/if-up.d/gateway-routes", "/", 0 },
	{ "/usr/bin/mosquitto_pub", "/usr/bin/mosquitto_pub", "mosquitto_pub",
	  "mosquitto_pub~-h~localhost~-t~sensors/plant#/line#/temperature~-m~#.#~-q~1",
	  "/var/lib/gateway", 0 },
	{ "/usr/bin/curl", "/usr/bin/curl", "curl",
	  "curl~-fsS~--max-time~5~https://api.example.net/v1/devices/gw-#/heartbeat",
	  "/", 0 },
	{ "/usr/bin/ip", "/sbin/ip", "ip", "ip~-j~-s~addr~show~dev~eth#", "/", 0 },
	{ "/usr/sbin/xtables-legacy-multi", "/usr/sbin/iptables", "iptables",
	  "iptables~-w~-t~nat~-C~POSTROUTING~-s~172.17.#.0/24~-j~MASQUERADE",
	  "/", 0 },
	{ "/usr/bin/date", "/usr/bin/date", "date", "date~+%s", "/", 0 },
	{ "/usr/bin/cat", "/bin/cat", "cat", "cat~/sys/class/thermal/thermal_zone#/temp",
	  "/", 0 },
	{ "/usr/bin/logger", "/usr/bin/logger", "logger",
	  "logger~-t~watchdog~-p~daemon.info~heartbeat #", "/", 0 },
	{ "/usr/bin/systemctl", "/bin/systemctl", "systemctl",
	  "systemctl~is-active~--quiet~mosquitto.service", "/", 0 },
	{ "/usr/bin/gawk", "/usr/bin/awk", "awk", "awk~{print $#}", "/root", 0 },
	{ "/usr/bin/grep", "/bin/grep", "grep", "grep~-q~^eth#:~/proc/net/dev", "/", 0 },
	{ "/usr/bin/sleep", "./sleep", "sleep", "./sleep~#", "/usr/bin", 0 },
	{ "/usr/bin/python3.11", "/usr/bin/python3", "python3",
	  "/usr/bin/python3~/opt/collector/collect.py~--config~/etc/collector/config.yaml~--once",
	  "/opt/collector", 0 },
	{ "/usr/sbin/runc", "/usr/sbin/runc", "runc",
	  "runc~--root~/var/run/docker/runtime-runc/moby~--log~/run/containerd/io.containerd.runtime.v2.task/moby/%/log.json~--log-format~json~exec~--process~/tmp/runc-process#~--detach~--pid-file~/run/containerd/io.containerd.runtime.v2.task/moby/%/#.pid~%",
	  "/run/containerd/io.containerd.runtime.v2.task/moby", 0 },
	{ "/usr/bin/containerd-shim-runc-v2", "/usr/bin/containerd-shim-runc-v2",
	  "containerd-shim", "/usr/bin/containerd-shim-runc-v2~-namespace~moby~-id~%~-address~/run/containerd/containerd.sock",
	  "/run/containerd/io.containerd.runtime.v2.task/moby", 0 },
	{ "/usr/local/bin/node", "/usr/local/bin/node", "node",
	  "node~/usr/src/node-red/node_modules/node-red/red.js~--userDir~/data~flows.json",
	  "/usr/src/node-red", 1 },
	{ "/bin/busybox", "/bin/sh", "sh",
	  "/bin/sh~-c~wget -q -O- http://127.0.0.1:#/health || exit 1", "/", 1 },
	{ "/bin/busybox", "/usr/bin/wget", "wget",
	  "wget~-q~-O-~http://127.0.0.1:#/health", "/", 1 },
	{ "/usr/local/bin/python3.12", "/usr/local/bin/python", "python",
	  "python~-m~app.worker~--queue~telemetry~--concurrency~#", "/app", 1 },
	{ "/usr/bin/telegraf", "/usr/bin/telegraf", "telegraf",
	  "telegraf~--config~/etc/telegraf/telegraf.conf~--config-directory~/etc/telegraf/telegraf.d",
	  "/", 1 },
	{ "/usr/sbin/nginx", "/usr/sbin/nginx", "nginx", "nginx~-g~daemon off;", "/", 1 },
	{ "/usr/bin/jq", "/usr/bin/jq", "jq", "jq~-r~.devices[#].state", "/app", 1 },
};
#define N_PROGRAMS	(sizeof(programs) / sizeof(programs[0]))

static const char *const modules[] = {
	"nf_conntrack", "nf_nat", "xt_MASQUERADE", "br_netfilter", "overlay",
	"veth", "wireguard", "cp210x", "ftdi_sio", "cdc_acm", "can_raw",
	"xt_addrtype",
};

static struct container containers[N_CONTAINERS];
static struct proc procs[MAX_PROCS];
static unsigned int nprocs;
static uint32_t next_pid = 1000;
static uint64_t now = TS_BASE;

static void hex_id(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++)
		out[i] = hex[rnd_below(16)];
	out[n] = '\0';
}

static void make_containers(void)
{
	static const char *const runtimes[N_CONTAINERS] = {
		"docker", "docker", "docker", "docker", "containerd",
		"containerd", "kubernetes", "cri-o",
	};

	for (int i = 0; i < N_CONTAINERS; i++) {
		struct container *c = &containers[i];

		c->runtime = runtimes[i];
		c->cgroup = 8000 + 37 * i;
		if (strcmp(c->runtime, "kubernetes"))
			hex_id(c->id, 64);
		if (!strcmp(c->runtime, "kubernetes") ||
		    !strcmp(c->runtime, "cri-o")) {
			hex_id(c->pod, 36);
			c->pod[8] = c->pod[13] = c->pod[18] = c->pod[23] = '-';
		}
	}
}

static uint32_t new_pid(void)
{
	uint32_t pid = next_pid++;

	if (next_pid >= 4194304)
		next_pid = 1000;
	return pid;
}

/* Expand a template into NUL-terminated arguments; returns the length. */
static uint32_t expand_args(const struct program *pg, const struct proc *p,
			    char *out)
{
	char id[65];
	size_t n = 0;

	for (const char *t = pg->argv; *t && n < ARGS_MAX - 1; t++) {
		char num[24];
		const char *ins = NULL;

		switch (*t) {
		case '~':
			out[n++] = '\0';
			continue;
		case '#':
			snprintf(num, sizeof(num), "%u", rnd_below(1000));
			ins = num;
			break;
		case '%':
			if (p->container >= 0 && containers[p->container].id[0]) {
				ins = containers[p->container].id;
			} else {
				hex_id(id, 64);
				ins = id;
			}
			break;
		default:
			out[n++] = *t;
			continue;
		}
		for (; *ins && n < ARGS_MAX - 1; ins++)
			out[n++] = *ins;
	}
	out[n++] = '\0';
	return (uint32_t)n;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/* Load program @pg into @p (what an exec does to the process table). */
static void load_program(struct proc *p, const struct program *pg)
{
	copy_str(p->exe, sizeof(p->exe), pg->exe);
	copy_str(p->comm, sizeof(p->comm), pg->comm);
	copy_str(p->cwd, sizeof(p->cwd), pg->cwd);
	p->args_len = expand_args(pg, p, p->args);
}

static const struct program *pick_program(const struct proc *p)
{
	for (;;) {
		const struct program *pg = &programs[rnd_below(N_PROGRAMS)];

		if (pg->in_container == (p->container >= 0))
			return pg;
	}
}

/* A long-lived process the world starts with. */
static void seed_procs(void)
{
	for (nprocs = 0; nprocs < MIN_PROCS * 2; nprocs++) {
		struct proc *p = &procs[nprocs];

		memset(p, 0, sizeof(*p));
		p->pid = new_pid();
		p->ppid = nprocs ? procs[rnd_below(nprocs)].pid : 1;
		p->sid = p->pid;
		p->start = now - rnd_below(1000000) * 1000000ull;
		p->container = chance(400) ? (int)rnd_below(N_CONTAINERS) : -1;
		p->cgroup = p->container >= 0 ?
			containers[p->container].cgroup : 100 + rnd_below(40);
		p->uid = p->gid = chance(700) ? 0 : 1000 + rnd_below(5);
		p->tty = chance(30);
		load_program(p, pick_program(p));
	}
}

/* --- records ------------------------------------------------------------- */

static struct et_str str_of(const char *s, size_t len)
{
	struct et_str v = { s, (uint32_t)len };

	return v;
}

static void set_str(struct et_record *r, enum et_field f, struct et_str *dst,
		    const char *s, size_t len)
{
	*dst = str_of(s, len);
	et_record_set(r, f);
}

static void set_u32(struct et_record *r, enum et_field f, uint32_t *dst,
		    uint32_t v)
{
	*dst = v;
	et_record_set(r, f);
}

/* Header, comm and cgroup: what every event of @p has. */
static void rec_begin(struct et_record *r, unsigned int type,
		      const struct proc *p)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->ts = now;
	r->pid = p->pid;
	r->tid = p->pid;
	set_str(r, ET_F_COMM, &r->comm, p->comm, strlen(p->comm));
	r->cgroup = p->cgroup;
	et_record_set(r, ET_F_CGROUP);
}

/* What enrichment adds: exe, argv and parent from the table, container. */
static void rec_enrich(struct et_record *r, const struct proc *p)
{
	if (!et_record_has(r, ET_F_EXE))
		set_str(r, ET_F_EXE, &r->exe, p->exe, strlen(p->exe));
	if (!et_record_has(r, ET_F_ARGS))
		set_str(r, ET_F_ARGS, &r->args, p->args, p->args_len);
	if (!et_record_has(r, ET_F_PPID))
		set_u32(r, ET_F_PPID, &r->ppid, p->ppid);
	if (p->container >= 0) {
		const struct container *c = &containers[p->container];

		if (c->id[0])
			set_str(r, ET_F_CONTAINER, &r->container, c->id, 64);
		set_str(r, ET_F_RUNTIME, &r->runtime, c->runtime,
			strlen(c->runtime));
		if (c->pod[0])
			set_str(r, ET_F_POD, &r->pod, c->pod, 36);
	}
}

static struct proc *any_proc(void)
{
	return &procs[rnd_below(nprocs)];
}

static void gen_exec(struct et_record *r)
{
	/* mostly a fresh child (the end of the table), else anyone */
	struct proc *p = chance(800) && nprocs > MIN_PROCS ?
		&procs[nprocs - 1 - rnd_below(8)] : any_proc();
	const struct program *pg = pick_program(p);

	load_program(p, pg);
	rec_begin(r, ET_REC_EXEC, p);
	set_u32(r, ET_F_PPID, &r->ppid, p->ppid);
	set_u32(r, ET_F_UID, &r->uid, p->uid);
	set_u32(r, ET_F_GID, &r->gid, p->gid);
	set_u32(r, ET_F_EUID, &r->euid, p->uid);
	set_u32(r, ET_F_EGID, &r->egid, p->gid);
	set_u32(r, ET_F_SID, &r->sid, p->sid);
	set_u32(r, ET_F_FLAGS, &r->ev_flags, 0);
	set_str(r, ET_F_ARGS, &r->args, p->args, p->args_len);
	set_str(r, ET_F_FILENAME, &r->filename, pg->filename,
		strlen(pg->filename));
	set_str(r, ET_F_EXE, &r->exe, p->exe, strlen(p->exe));
	set_str(r, ET_F_CWD, &r->cwd, p->cwd, strlen(p->cwd));
	if (p->tty)
		set_str(r, ET_F_TTY, &r->tty, "pts/0", 5);
	rec_enrich(r, p);
}

static void gen_fork(struct et_record *r)
{
	struct proc *parent = any_proc(), *c;

	if (nprocs >= MAX_PROCS || chance(333)) {
		/* a thread: pid is the parent's, tid new */
		rec_begin(r, ET_REC_FORK, parent);
		r->tid = new_pid();
		set_u32(r, ET_F_PPID, &r->ppid, parent->pid);
		set_u32(r, ET_F_FLAGS, &r->ev_flags, 1);
		rec_enrich(r, parent);
		return;
	}
	c = &procs[nprocs++];
	*c = *parent;
	c->pid = new_pid();
	c->ppid = parent->pid;
	c->start = now;
	rec_begin(r, ET_REC_FORK, c);
	set_u32(r, ET_F_PPID, &r->ppid, parent->pid);
	set_u32(r, ET_F_FLAGS, &r->ev_flags, 0);
	rec_enrich(r, c);
}

static void gen_exit(struct et_record *r)
{
	static struct proc gone;
	/* mostly a recent child; keep the long-lived ones */
	unsigned int i = chance(850) && nprocs > MIN_PROCS ?
		nprocs - 1 - rnd_below(8) : rnd_below(nprocs);
	struct proc *p = &procs[i];
	static const uint32_t statuses[] = { 0, 0, 0, 0, 0, 0, 0, 1 << 8,
					     2 << 8, 127 << 8, 9, 15 };

	if (nprocs <= MIN_PROCS) {
		/* the table is thin: a child that was never seen exits */
		struct proc *parent = any_proc();

		p = &procs[nprocs++];
		*p = *parent;
		p->pid = new_pid();
		p->ppid = parent->pid;
		p->start = now - rnd_below(1000) * 1000000ull;
		i = nprocs - 1;
	}
	/* the record points into the entry: keep it past its removal */
	gone = *p;
	procs[i] = procs[--nprocs];
	p = &gone;
	rec_begin(r, ET_REC_EXIT, p);
	set_u32(r, ET_F_PPID, &r->ppid, p->ppid);
	set_u32(r, ET_F_STATUS, &r->status,
		statuses[rnd_below(sizeof(statuses) / sizeof(statuses[0]))]);
	r->lifetime = now - p->start;
	et_record_set(r, ET_F_LIFETIME);
	rec_enrich(r, p);
}

static void gen_cred(struct et_record *r, unsigned int type)
{
	struct proc *p = any_proc();
	uint32_t to = chance(500) ? 65534 : 1000 + rnd_below(5);

	rec_begin(r, type, p);
	if (type == ET_REC_SETUID) {
		set_u32(r, ET_F_CALL, &r->call, 1 + rnd_below(4));
		p->uid = to;
	} else {
		set_u32(r, ET_F_CALL, &r->call, 5 + rnd_below(4));
		p->gid = to;
	}
	set_u32(r, ET_F_UID, &r->uid, p->uid);
	set_u32(r, ET_F_EUID, &r->euid, p->uid);
	set_u32(r, ET_F_SUID, &r->suid, p->uid);
	set_u32(r, ET_F_FSUID, &r->fsuid, p->uid);
	set_u32(r, ET_F_GID, &r->gid, p->gid);
	set_u32(r, ET_F_EGID, &r->egid, p->gid);
	set_u32(r, ET_F_SGID, &r->sgid, p->gid);
	set_u32(r, ET_F_FSGID, &r->fsgid, p->gid);
	rec_enrich(r, p);
}

static void gen_signal(struct et_record *r)
{
	static const uint32_t sigs[] = { 17, 17, 17, 15, 15, 9, 1, 10, 2, 14 };
	struct proc *p = any_proc(), *t = any_proc();

	rec_begin(r, ET_REC_SIGNAL, p);
	set_u32(r, ET_F_SIG, &r->sig,
		sigs[rnd_below(sizeof(sigs) / sizeof(sigs[0]))]);
	r->sigcode = chance(800) ? 0 : -6;
	r->result = chance(900) ? 0 : 1 + (int32_t)rnd_below(2);
	et_record_set(r, ET_F_SIGCODE);
	et_record_set(r, ET_F_RESULT);
	set_u32(r, ET_F_TARGET_PID, &r->target_pid, t->pid);
	set_u32(r, ET_F_TARGET_TID, &r->target_tid, t->pid);
	rec_enrich(r, p);
}

static void gen_ptrace(struct et_record *r)
{
	static const uint32_t reqs[] = { 16, 0x4206, 0 };
	struct proc *p = any_proc();

	rec_begin(r, ET_REC_PTRACE, p);
	set_u32(r, ET_F_CALL, &r->call, reqs[rnd_below(3)]);
	set_u32(r, ET_F_TARGET_PID, &r->target_pid, any_proc()->pid);
	rec_enrich(r, p);
}

static void gen_module(struct et_record *r)
{
	static struct proc modprobe = {
		.comm = "modprobe", .exe = "/usr/bin/kmod", .cwd = "/",
		.container = -1, .cgroup = 101, .ppid = 1,
	};
	const char *m = modules[rnd_below(sizeof(modules) / sizeof(modules[0]))];

	modprobe.pid = new_pid();
	modprobe.args_len = (uint32_t)snprintf(modprobe.args,
					       sizeof(modprobe.args),
					       "/sbin/modprobe%c-q%c--%c%s",
					       0, 0, 0, m) + 1;
	rec_begin(r, ET_REC_MODULE, &modprobe);
	set_str(r, ET_F_MODULE, &r->module, m, strlen(m));
	rec_enrich(r, &modprobe);
}

static void gen_gap(struct et_record *r)
{
	memset(r, 0, sizeof(*r));
	r->type = ET_REC_GAP;
	r->ts = now;
	r->lost = 1 + rnd_below(5000);
	r->cause = rnd_below(3);
	et_record_set(r, ET_F_LOST);
	et_record_set(r, ET_F_CAUSE);
}

static const char *const file_paths[] = {
	"/etc/passwd", "/var/log/syslog", "/tmp/x.tmp", "/srv/data/a b.bin",
	"/usr/lib/x86_64-linux-gnu/libc.so.6", "relative/not/resolved",
};

static const char *any_path(void)
{
	return file_paths[rnd_below(sizeof(file_paths) /
				    sizeof(file_paths[0]))];
}

/* A file event of @type with the fields that type has. */
static void gen_file(struct et_record *r, unsigned int type)
{
	struct proc *p = any_proc();
	const char *path = any_path(), *path2 = any_path();

	rec_begin(r, type, p);
	set_str(r, ET_F_PATH, &r->path, path, strlen(path));
	set_u32(r, ET_F_FLAGS, &r->ev_flags, path[0] == '/' ? 0 : 2);
	if (type == ET_REC_RENAME || type == ET_REC_LINK ||
	    type == ET_REC_SYMLINK)
		set_str(r, ET_F_PATH2, &r->path2, path2, strlen(path2));
	if (type == ET_REC_OPEN) {
		set_u32(r, ET_F_OPEN_FLAGS, &r->open_flags, 01101);
		r->ev_flags |= chance(500);	/* created */
	}
	if (type == ET_REC_OPEN || type == ET_REC_MKDIR ||
	    type == ET_REC_MKNOD || type == ET_REC_CHMOD)
		set_u32(r, ET_F_MODE, &r->mode, 0644);
	if (type == ET_REC_MKNOD)
		set_u32(r, ET_F_DEV, &r->dev, 0x801);
	if (type == ET_REC_CHOWN) {
		set_u32(r, ET_F_OWNER_UID, &r->owner_uid, 1000);
		set_u32(r, ET_F_OWNER_GID, &r->owner_gid, UINT32_MAX);
	}
	if (type == ET_REC_TRUNCATE) {
		r->size = rnd_below(1u << 30);
		et_record_set(r, ET_F_SIZE);
	}
	if (type == ET_REC_OPEN || type == ET_REC_CLOSE) {
		r->fd = 3 + (int32_t)rnd_below(60);
		et_record_set(r, ET_F_FD);
	}
	if (type == ET_REC_CLOSE) {
		r->rbytes = rnd_below(1u << 20);
		r->wbytes = rnd_below(1u << 20);
		et_record_set(r, ET_F_RBYTES);
		et_record_set(r, ET_F_WBYTES);
	}
	rec_enrich(r, p);
}

/* A socket event of @type: TCP or UDP over IPv4 or IPv6, or unix. */
static void gen_net(struct et_record *r, unsigned int type)
{
	static const uint8_t lo4[4] = { 127, 0, 0, 1 }, ip4[4] = { 10, 1, 2, 3 };
	static const uint8_t lo6[16] = { [15] = 1 };
	static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	struct proc *p = any_proc();
	unsigned int kind = rnd_below(3);

	rec_begin(r, type, p);
	set_u32(r, ET_F_FLAGS, &r->ev_flags, 0);
	r->fd = 3 + (int32_t)rnd_below(60);
	et_record_set(r, ET_F_FD);
	set_u32(r, ET_F_SOCKTYPE, &r->socktype, chance(500) ? 1 : 2);
	if (kind == 0) {
		set_u32(r, ET_F_FAMILY, &r->family, 1);
		set_str(r, ET_F_PATH, &r->path, "/run/app.sock", 13);
	} else {
		set_u32(r, ET_F_FAMILY, &r->family, kind == 1 ? 2 : 10);
		set_u32(r, ET_F_PROTO, &r->proto, r->socktype == 1 ? 6 : 17);
		set_str(r, ET_F_SADDR, &r->saddr,
			(const char *)(kind == 1 ? lo4 : lo6), kind == 1 ? 4 : 16);
		set_str(r, ET_F_DADDR, &r->daddr,
			(const char *)(kind == 1 ? ip4 : ip6), kind == 1 ? 4 : 16);
		set_u32(r, ET_F_SPORT, &r->sport, 1024 + rnd_below(60000));
		set_u32(r, ET_F_DPORT, &r->dport, chance(500) ? 443 : 1883);
	}
	if (type == ET_REC_CONNECT) {
		r->result = chance(900) ? 0 : -111;
		et_record_set(r, ET_F_RESULT);
	}
	if (type == ET_REC_LISTEN)
		set_u32(r, ET_F_BACKLOG, &r->backlog, 128);
	if (type == ET_REC_SOCK_CLOSE) {
		r->rbytes = rnd_below(1u << 24);
		r->wbytes = rnd_below(1u << 24);
		r->duration = rnd_below(1u << 30);
		et_record_set(r, ET_F_RBYTES);
		et_record_set(r, ET_F_WBYTES);
		et_record_set(r, ET_F_DURATION);
	}
	rec_enrich(r, p);
}

/* Per 1000 records, in the "all" mix. */
static const struct {
	unsigned int type;
	unsigned int weight;
} mix_all[] = {
	{ ET_REC_EXEC, 150 }, { ET_REC_FORK, 370 }, { ET_REC_EXIT, 380 },
	{ ET_REC_SETUID, 25 }, { ET_REC_SETGID, 25 }, { ET_REC_SIGNAL, 40 },
	{ ET_REC_PTRACE, 4 }, { ET_REC_MODULE, 5 }, { ET_REC_GAP, 1 },
};

#define N_TYPES		32

static int every;	/* -m every: each named type in turn */

static unsigned int pick_type(int only)
{
	static unsigned int next;
	unsigned int x;

	if (every) {
		do
			next = (next + 1) % N_TYPES;
		while (!et_rec_type_name(next));
		return next;
	}
	if (only)
		return (unsigned int)only;
	x = rnd_below(1000);
	for (size_t i = 0; i < sizeof(mix_all) / sizeof(mix_all[0]); i++) {
		if (x < mix_all[i].weight)
			return mix_all[i].type;
		x -= mix_all[i].weight;
	}
	return ET_REC_EXIT;
}

static void gen(struct et_record *r, unsigned int type)
{
	now += 1000 + rnd_below(400000);	/* 1 us to 0.4 ms apart */
	switch (type) {
	case ET_REC_EXEC: gen_exec(r); break;
	case ET_REC_FORK: gen_fork(r); break;
	case ET_REC_EXIT: gen_exit(r); break;
	case ET_REC_SETUID:
	case ET_REC_SETGID: gen_cred(r, type); break;
	case ET_REC_SIGNAL: gen_signal(r); break;
	case ET_REC_PTRACE: gen_ptrace(r); break;
	case ET_REC_MODULE: gen_module(r); break;
	case ET_REC_GAP: gen_gap(r); break;
	default:
		if (type >= ET_REC_OPEN && type <= ET_REC_CLOSE)
			gen_file(r, type);
		else if (type >= ET_REC_CONNECT && type <= ET_REC_SOCK_CLOSE)
			gen_net(r, type);
		else
			gen_gap(r);
	}
}

/* --- sizes per type -------------------------------------------------------- */

struct sizes {
	uint64_t count, bytes;
	uint32_t min, max;
	uint64_t hist[ET_REC_MAX_SIZE + 1];
};

static struct sizes *stats[N_TYPES];

static int account(unsigned int type, size_t len)
{
	struct sizes *s = stats[type];

	if (!s) {
		s = stats[type] = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->min = UINT32_MAX;
	}
	s->count++;
	s->bytes += len;
	if (len < s->min)
		s->min = (uint32_t)len;
	if (len > s->max)
		s->max = (uint32_t)len;
	s->hist[len]++;
	return 0;
}

/* The lower median, from the histogram. */
static uint32_t median(const struct sizes *s)
{
	uint64_t seen = 0;

	for (uint32_t i = 0; i <= ET_REC_MAX_SIZE; i++) {
		seen += s->hist[i];
		if (seen * 2 >= s->count)
			return i;
	}
	return 0;
}

static void report(FILE *out, uint64_t n, uint64_t rec_bytes, uint64_t file,
		   uint64_t seed, const char *mix)
{
	fprintf(out, "capgen: %" PRIu64 " records, %" PRIu64 " record bytes "
		"(%.1f per record), file %" PRIu64 " bytes, seed %" PRIu64
		", mix %s\n", n, rec_bytes, n ? (double)rec_bytes / n : 0.0,
		file, seed, mix);
	fprintf(out, "%-8s %10s %7s %6s %6s %8s %6s\n", "type", "count",
		"share", "min", "median", "mean", "max");
	for (unsigned int t = 0; t < N_TYPES; t++) {
		const struct sizes *s = stats[t];

		if (!s)
			continue;
		fprintf(out, "%-8s %10" PRIu64 " %6.2f%% %6u %6u %8.1f %6u\n",
			et_rec_type_name(t), s->count, 100.0 * s->count / n,
			s->min, median(s), (double)s->bytes / s->count, s->max);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: capgen [-n N] [-s SEED] [-m MIX] [-q] -o FILE\n"
		"  -n N     records (default 1000000)\n"
		"  -s SEED  random seed (default 1); same N, SEED, MIX: same file\n"
		"  -m MIX   all (default), every (each type in turn), or one type:\n"
"           exec, fork, exit, setuid,\n"
		"           setgid, signal, ptrace, module, gap\n"
		"  -o FILE  the capture file to write, - for stdout\n"
		"  -q       no size report\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t n = 1000000, seed = 1, rec_bytes = 0, file_bytes = 8;
	const char *out = NULL, *mix = "all";
	static uint8_t buf[ET_REC_MAX_SIZE];
	int only = 0, quiet = 0, to_stdout, c;
	FILE *f;

	while ((c = getopt(argc, argv, "hn:s:m:o:q")) != -1) {
		switch (c) {
		case 'n':
			if (parse_u64(optarg, &n) || !n) {
				fprintf(stderr, "capgen: -n needs a positive "
					"number, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (parse_u64(optarg, &seed)) {
				fprintf(stderr, "capgen: -s needs a number, "
					"got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'm': mix = optarg; break;
		case 'o': out = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!out || optind < argc) {
		usage(stderr);
		return 2;
	}
	every = !strcmp(mix, "every");
	if (strcmp(mix, "all") && !every) {
		for (unsigned int t = 0; t < N_TYPES && !only; t++)
			if (et_rec_type_name(t) && !strcmp(mix, et_rec_type_name(t)))
				only = (int)t;
		if (!only) {
			fprintf(stderr, "capgen: unknown mix '%s'\n", mix);
			usage(stderr);
			return 2;
		}
	}
	to_stdout = !strcmp(out, "-");
	f = to_stdout ? stdout : fopen(out, "we");
	if (!f) {
		fprintf(stderr, "capgen: cannot create %s: %s\n", out,
			strerror(errno));
		return 1;
	}
	rng_state = seed;
	make_containers();
	seed_procs();
	if (et_capture_write_header(f))
		goto write_err;
	for (uint64_t seq = 1; seq <= n; seq++) {
		struct et_record r;
		size_t len;

		gen(&r, pick_type(only));
		len = et_record_encode(&r, buf, sizeof(buf));
		if (!len) {
			fprintf(stderr, "capgen: record %" PRIu64 " does not "
				"encode\n", seq);
			return 1;
		}
		if (et_capture_write(f, seq, buf, len))
			goto write_err;
		if (account(r.type, len)) {
			fprintf(stderr, "capgen: out of memory\n");
			return 1;
		}
		rec_bytes += len;
		file_bytes += 16 + len;
	}
	if (fflush(f) || ferror(f) || (!to_stdout && fclose(f)))
		goto write_err;
	if (!quiet)
		report(to_stdout ? stderr : stdout, n, rec_bytes, file_bytes,
		       seed, mix);
	return 0;
write_err:
	fprintf(stderr, "capgen: cannot write %s: %s\n", out, strerror(errno));
	return 1;
}
