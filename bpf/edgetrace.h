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

#define ET_ABI_VERSION		5

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
	/* files (struct et_file) */
	ET_EV_OPEN = 9,
	ET_EV_UNLINK = 10,
	ET_EV_RMDIR = 11,
	ET_EV_RENAME = 12,
	ET_EV_MKDIR = 13,
	ET_EV_MKNOD = 14,
	ET_EV_CHMOD = 15,
	ET_EV_CHOWN = 16,
	ET_EV_SYMLINK = 17,
	ET_EV_LINK = 18,
	ET_EV_TRUNCATE = 19,
	ET_EV_CLOSE = 20,	/* a watched file's read/write totals */
	/* sockets (struct et_net) */
	ET_EV_CONNECT = 21,
	ET_EV_ACCEPT = 22,
	ET_EV_LISTEN = 23,
	ET_EV_BIND = 24,
	ET_EV_SOCK_CLOSE = 25,	/* a connection's byte totals and duration */
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
#define ET_EXEC_REDUCED		(1u << 4)	/* reduced mode: ppid, euid, egid,
						   sid, tty, exe, cwd not read */
#define ET_EXEC_ARGS_NONE	(1u << 5)	/* reduced mode: argv not seen
						   (no execve enter event) */

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
#define ET_FORK_REDUCED		(1u << 1)	/* sent by the reduced probes */

/* A new task: hdr.pid/tid are the child's, ppid the parent's tgid. */
struct et_fork {
	struct et_hdr hdr;
	__u32 ppid;
	__u32 flags;
};

/* et_exit.flags */
#define ET_EXIT_REDUCED		(1u << 0)	/* reduced mode: ppid, lifetime and
						   the core-dump bit not read */
#define ET_EXIT_NO_STATUS	(1u << 1)	/* reduced mode: code unknown */

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
	__u32 flags;		/* ET_EXIT_* */
	__u32 pad;
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

/*
 * Watch event classes (--watch "create,write=/etc"): bit i of a watch's
 * mask. A file event is reported when the longest watched prefix of its
 * path has the event's class in its mask (docs/file-monitoring.md).
 */
enum et_watch_class {
	ET_W_CREATE = 0,	/* open/creat that created the file */
	ET_W_MKDIR,
	ET_W_MKNOD,
	ET_W_DELETE,		/* unlink */
	ET_W_RMDIR,
	ET_W_RENAME,
	ET_W_ATTRIB,		/* chmod, chown */
	ET_W_SYMLINK,
	ET_W_LINK,
	ET_W_OPEN,		/* any successful open, read-only included */
	ET_W_WRITE,		/* open with write intent, truncate */
	ET_W_NR
};

/* et_file.flags */
#define ET_FILE_CREATED		(1u << 0)	/* open created the file (set by
						   the agent from fmode) */
#define ET_FILE_PATH_REL	(1u << 1)	/* path could not be made absolute */
#define ET_FILE_PATH2_REL	(1u << 2)	/* the same for path2 */
#define ET_FILE_PATH_TRUNC	(1u << 3)	/* a path was cut */
#define ET_FILE_DIRFD		(1u << 4)	/* resolved through a dirfd */
#define ET_FILE_MATCHED		(1u << 5)	/* the kernel found the path
						   watched for the event */

/*
 * A file operation that succeeded. data[] holds path, NUL, path2, NUL:
 * path is the file operated on (for rename the old name, for link and
 * symlink the new link); path2 the second path (rename: the new name;
 * link: the existing file; symlink: the target, as given). Paths are
 * absolute when they could be made so (flags say when not) and not
 * normalised: the agent removes "." and ".." lexically.
 */
struct et_file {
	struct et_hdr hdr;
	__u32 flags;		/* ET_FILE_* */
	__s32 fd;		/* open: the new fd; fchmod/ftruncate/close: it */
	__u32 open_flags;	/* open: O_* */
	__u32 mode;		/* open/mkdir/mknod: mode; chmod: new mode */
	__u32 dev;		/* mknod: device number (new_encode_dev) */
	__u32 uid, gid;		/* chown: new owner, -1 when unchanged */
	__u32 path_len;		/* without the NUL */
	__u32 path2_len;	/* without the NUL; 0 when there is none */
	__u32 fmode;		/* open: the file's f_mode (FMODE_CREATED) */
	__u64 size;		/* truncate: the new length */
	__u64 rbytes, wbytes;	/* close: bytes read and written */
	char data[2 * ET_PATH_MAX];
};

#define ET_FILE_FIXED_SIZE	(sizeof(struct et_file) - 2 * ET_PATH_MAX)

/* et_net.flags */
#define ET_NET_INPROGRESS	(1u << 0)	/* connect returned EINPROGRESS */
#define ET_NET_COMPLETED	(1u << 1)	/* the later outcome of such */
#define ET_NET_NOBYTES		(1u << 2)	/* sock_close: UDP/unix bytes not
						   countable on this kernel */

#define ET_UNIX_PATH_MAX	108

/*
 * A socket operation that succeeded (connect: also failures, and the
 * outcome of a non-blocking connect), or a connection's end. Addresses in
 * network byte order, IPv4 in the first 4 bytes; ports in host order.
 */
struct et_net {
	struct et_hdr hdr;
	__u32 flags;		/* ET_NET_* */
	__s32 fd;
	__s32 result;		/* connect: 0 or -errno */
	__u16 family;		/* AF_INET, AF_INET6, AF_UNIX */
	__u16 type;		/* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 proto;		/* IPPROTO_TCP, IPPROTO_UDP; 0 for unix */
	__u16 sport, dport;
	__u16 pad;
	__u32 backlog;		/* listen */
	__u8 saddr[16], daddr[16];
	__u64 sent, received;	/* sock_close: payload bytes */
	__u64 duration_ns;	/* sock_close: since connect/accept */
	char path[ET_UNIX_PATH_MAX];	/* unix: the socket's path, "@" abstract */
};

/*
 * The watches map: an LPM trie keyed by path prefix. A watch on /etc is
 * stored as "/etc/" (prefixlen 40); a path is looked up with a "/"
 * appended, so /etc itself, /etc/passwd and /etc/x/y match and /etcfoo
 * does not. Paths longer than the key are matched on their first bytes.
 */
#define ET_WATCH_KEY_MAX	256

/* The kernel-side filter's sets in use (rodata et_kf_flags). */
#define ET_KF_PIDS_FLAG		(1u << 0)
#define ET_KF_COMMS_FLAG	(1u << 1)
#define ET_KF_UIDS_FLAG		(1u << 2)
#define ET_KF_PATHS_FLAG	(1u << 3)

struct et_watch_key {
	__u32 prefixlen;	/* in bits */
	char path[ET_WATCH_KEY_MAX];
};

/*
 * Reduced mode (bpf/reduced.bpf.c), for kernels without BTF: the probes
 * read classic tracepoint records at offsets the loader takes from each
 * tracepoint's tracefs format file at run time and writes into the
 * object's read-only et_r_fields[] before loading. size 0: the field is
 * missing on this kernel (only ET_R_EXIT_GROUP_DEAD may be; a program
 * that needs a missing field is not loaded). A __data_loc field holds
 * (length << 16 | offset of the bytes in the record), 4 bytes.
 */
enum et_r_field {
	ET_R_EXEC_FILENAME = 0,	/* sched/sched_process_exec filename */
	ET_R_EXEC_OLD_PID,	/*   old_pid: the tid that called execve */
	ET_R_EXECVE_ARGV,	/* syscalls/sys_enter_execve argv */
	ET_R_EXECVEAT_ARGV,	/* syscalls/sys_enter_execveat argv */
	ET_R_EXECVE_RET,	/* syscalls/sys_exit_execve ret */
	ET_R_EXECVEAT_RET,	/* syscalls/sys_exit_execveat ret */
	ET_R_NEWTASK_PID,	/* task/task_newtask pid: the new task's */
	ET_R_NEWTASK_FLAGS,	/*   clone_flags */
	ET_R_EXIT_GROUP_DEAD,	/* sched/sched_process_exit group_dead (6.16) */
	ET_R_EXIT_GROUP_CODE,	/* syscalls/sys_enter_exit_group error_code */
	ET_R_EXIT_CODE,		/* syscalls/sys_enter_exit error_code */
	ET_R_SIG_SIG,		/* signal/signal_generate sig */
	ET_R_SIG_PID,		/*   pid: the receiving task's */
	ET_R_SIG_RESULT,	/*   result: TRACE_SIGNAL_* */
	ET_R_NR
};

struct et_r_loc {
	__u16 off;		/* bytes from the start of the record */
	__u16 size;		/* bytes; 0: missing */
};

#endif /* EDGETRACE_BPF_ABI_H */
