/* SPDX-License-Identifier: GPL-2.0 */
/*
 * edgetrace.h - the event ABI between the BPF probes and the agent.
 *
 * This header is the whole contract across the kernel/user boundary: the
 * probes in bpf/ write these structs into the BPF ring buffer and core/
 * reads them back. Nothing else crosses. It is included by both sides, so
 * it uses only fixed-width kernel types (__u32, ...) and the generated
 * Kconfig header, which fixes the sizes of the variable parts.
 *
 * Every event starts with struct et_hdr. Events are variable-length: a
 * probe sends only the bytes it filled in (et_hdr.size), so a short path
 * does not cost a full buffer in the ring.
 *
 * Bump ET_ABI_VERSION on any change; the agent and its embedded objects
 * are always built together, the version only guards pinned maps that
 * outlive an agent upgrade.
 */
#ifndef EDGETRACE_BPF_ABI_H
#define EDGETRACE_BPF_ABI_H

#include <linux/types.h>

#define ET_ABI_VERSION		3

#define ET_COMM_LEN		16
#define ET_PATH_MAX		4096	/* power of two: used as a mask */
#define ET_FILENAME_MAX		256
#ifndef CONFIG_EXEC_ARGV_BYTES
#define CONFIG_EXEC_ARGV_BYTES	512
#endif
#ifndef CONFIG_EXEC_PATH_DEPTH
#define CONFIG_EXEC_PATH_DEPTH	32
#endif

/* Event types; the same numbers are used as record types in the spool. */
enum et_event_type {
	ET_EV_EXEC = 1,
	ET_EV_EXIT = 2,
	ET_EV_FORK = 3,
	ET_EV_SETUID = 4,
	ET_EV_SETGID = 5,
	ET_EV_SIGNAL = 6,
	ET_EV_PTRACE = 7,
	ET_EV_MODULE = 8,
	ET_EV_GAP = 31,
};

/* Why an event was lost; index into the per-CPU drops map. */
enum et_drop_cause {
	ET_DROP_RINGBUF_FULL = 0,	/* bpf_ringbuf_output() failed */
	ET_DROP_SCRATCH,		/* per-CPU scratch lookup failed */
	ET_DROP_INFLIGHT,		/* syscall enter/exit map full */
	ET_DROP_NR,
};

/* Per-CPU counters of the stats map. */
enum et_stat {
	ET_STAT_ISSUED = 0,	/* events the probes tried to send */
	ET_STAT_NR,
};

/*
 * Every event starts with this. comm and cgroup_id are the current task's
 * at the time of the event (for fork: the child's; for exit: the exiting
 * task's), so every record can name its process and container.
 */
struct et_hdr {
	__u64 ts;	/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cgroup_id;	/* cgroup v2 id */
	__u32 type;	/* enum et_event_type */
	__u32 size;	/* bytes of this event, header included */
	__u32 pid;	/* tgid */
	__u32 tid;
	char comm[ET_COMM_LEN];
};

/* et_exec.flags */
#define ET_EXEC_ARGS_TRUNC	(1u << 0)	/* argv cut at EXEC_ARGV_BYTES */
#define ET_EXEC_ARGS_FAULT	(1u << 1)	/* argv could not be read */
#define ET_EXEC_EXE_TRUNC	(1u << 2)	/* exe deeper than the walk */
#define ET_EXEC_CWD_TRUNC	(1u << 3)	/* cwd deeper than the walk */

#define ET_TTY_LEN		32

/*
 * An exec. After the fixed part, data[] holds, packed: argv (args_len
 * bytes, each argument NUL-terminated), then the filename, the executable's
 * path and the cwd, each NUL-terminated. Only the used bytes are sent:
 * size = ET_EXEC_FIXED_SIZE + args_len + filename_len + 1 + exe_len + 1 +
 * cwd_len + 1, a couple of hundred bytes for a typical exec, so the ring
 * holds several thousand of them.
 */
/*
 * Offsets into data[] are masked with this: argv (at most 2048 bytes, the
 * Kconfig range), filename and exe end below 2 * ET_PATH_MAX, and the cwd
 * after them fits in the third ET_PATH_MAX.
 */
#define ET_EXEC_DATA_MASK	(2 * ET_PATH_MAX - 1)
_Static_assert(CONFIG_EXEC_ARGV_BYTES + ET_FILENAME_MAX + ET_PATH_MAX <=
	       2 * ET_PATH_MAX, "exec strings overflow the masked area");

struct et_exec {
	struct et_hdr hdr;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 sid;		/* session id */
	__u32 flags;
	__u16 args_len;		/* bytes of argv, NUL-separated */
	__u16 filename_len;	/* without the terminating NUL */
	__u16 exe_len;		/* without the terminating NUL */
	__u16 cwd_len;		/* without the terminating NUL */
	char tty[ET_TTY_LEN];	/* controlling tty's name ("pts3"), or "" */
	char data[3 * ET_PATH_MAX];
};

#define ET_EXEC_FIXED_SIZE	(sizeof(struct et_exec) - 3 * ET_PATH_MAX)

/* et_fork.flags */
#define ET_FORK_THREAD		(1u << 0)	/* a thread, not a process */

/* A new task: hdr.pid/tid are the child's, ppid the parent's tgid. */
struct et_fork {
	struct et_hdr hdr;
	__u32 ppid;
	__u32 flags;
};

/*
 * A process ended: the last thread of its thread group exited. code is
 * the wait status (exit status << 8, or the killing signal | 0x80 for a
 * core dump), lifetime the time since the process started.
 */
struct et_exit {
	struct et_hdr hdr;
	__u32 ppid;
	__u32 code;
	__u64 lifetime_ns;
};

/* setuid/setgid family, after a successful call: the resulting ids. */
enum et_cred_call {
	ET_CRED_SETUID = 1, ET_CRED_SETREUID, ET_CRED_SETRESUID,
	ET_CRED_SETFSUID, ET_CRED_SETGID, ET_CRED_SETREGID,
	ET_CRED_SETRESGID, ET_CRED_SETFSGID,
};

struct et_cred {
	struct et_hdr hdr;
	__u32 call;		/* enum et_cred_call */
	__u32 uid, euid, suid, fsuid;
	__u32 gid, egid, sgid, fsgid;
};

/* A signal sent by a process (kill, tkill, tgkill, sigqueue). */
struct et_signal {
	struct et_hdr hdr;	/* the sender */
	__u32 target_pid;	/* tgid of the receiver */
	__u32 target_tid;
	__u32 sig;
	__s32 code;		/* si_code: SI_USER 0, SI_QUEUE -1, SI_TKILL -6 */
	__s32 result;		/* 0 delivered, 1 ignored, 2 already pending, ... */
};

/* ptrace(PTRACE_ATTACH / PTRACE_SEIZE / PTRACE_TRACEME) that succeeded. */
struct et_ptrace {
	struct et_hdr hdr;
	__u32 request;
	__u32 target_pid;	/* for TRACEME: the parent that will trace */
};

#define ET_MODULE_NAME_LEN	56

/*
 * Not from the kernel: the agent writes a gap record (type ET_EV_GAP) when
 * the drop counters grew, with the count and cause.
 */

/* A kernel module was loaded (init_module or finit_module succeeded). */
struct et_module {
	struct et_hdr hdr;
	char name[ET_MODULE_NAME_LEN];
};

#endif /* EDGETRACE_BPF_ABI_H */
