// SPDX-License-Identifier: GPL-2.0
/*
 * reduced.bpf.c - process probes for kernels without any BTF (reduced
 * mode, CONFIG_REDUCED_MODE).
 *
 * The other families read kernel structs through CO-RE, which needs the
 * kernel's BTF. These programs read nothing but classic tracepoint records
 * and what helpers return without BTF (pid/tgid, uid/gid, comm, cgroup id,
 * user memory), so libbpf loads them with no BTF at all. This file
 * includes no kernel_types.h and uses no bpf_core_read.h: the build checks
 * that the linked object, build/<board>/bpf/reduced.o, has no CO-RE
 * relocation (tests/integration/test_reduced.sh).
 *
 * Where a field lies in a tracepoint record differs between kernels
 * (sched_process_fork's comms became __data_loc in 6.x; syscall
 * arguments are longs, 4 bytes on 32-bit kernels): the loader parses each
 * tracepoint's format file in tracefs and writes every field's offset and
 * size into et_r_fields[] (read-only data, so the verifier sees constants
 * and the branches for a missing optional field are dead code).
 *
 * exec: sched_process_exec gives the filename as passed to execve and the
 * caller's tid (old_pid, which differs when a thread other than the
 * leader execs). argv is copied at sys_enter_execve(at), from the user
 * pointers, into r_argv keyed by tid, and taken from there; a failed exec
 * deletes its entry at sys_exit. What the kernel's task struct would give
 * (ppid, euid, egid, session, tty, the executable's absolute path, cwd) is
 * not read: ET_EXEC_REDUCED says so, and the agent fills what /proc still
 * shows (docs/process-monitoring.md, "Reduced mode").
 *
 * fork: task_newtask fires in the parent once the new task can no longer
 * fail, with the child's tid and the clone flags (CLONE_THREAD: a thread
 * of the parent's process, else a new process whose pid is its tid).
 *
 * exit: sched_process_exit fires for every exiting thread; the process
 * has ended when group_dead is set (6.16 and later) or, on older kernels,
 * when its main thread exits. The wait status is not in the record: it is
 * kept per process in r_status, the last of the exit_group/exit call's
 * code and the last fatal-by-default signal generated for it (a handled
 * signal is followed by the exit call that wins), and unknown otherwise.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "edgetrace.h"
#include "maps.bpf.h"

#define CLONE_THREAD		0x00010000

/* User pointers in argv[]: the user ABI's size. */
#if defined(__TARGET_ARCH_arm)
#define ET_UPTR_SIZE		4
#else
#define ET_UPTR_SIZE		8
#endif

/* At most this many arguments are copied; a longer argv is cut. */
#define ET_R_MAX_ARGS		64

/*
 * argv is read into a buffer of ET_R_BUF bytes, a power of two of at
 * least twice EXEC_ARGV_BYTES: an argument read at offset off < ARGV_BYTES
 * takes up to ARGV_BYTES - off bytes, and the verifier, which does not
 * relate the two, sees the end below 2 * ARGV_BYTES.
 */
#if CONFIG_EXEC_ARGV_BYTES <= 256
#define ET_R_BUF		512
#elif CONFIG_EXEC_ARGV_BYTES <= 512
#define ET_R_BUF		1024
#elif CONFIG_EXEC_ARGV_BYTES <= 1024
#define ET_R_BUF		2048
#else
#define ET_R_BUF		4096
#endif

/* Set by the loader from tracefs; all zero (missing) until then. */
const volatile struct et_r_loc et_r_fields[ET_R_NR] = {};

#ifdef CONFIG_PROBE_EXEC
/* argv of an execve in flight: its first EXEC_ARGV_BYTES are kept. */
struct r_argv {
	__u32 len;
	__u32 flags;		/* ET_EXEC_ARGS_* */
	char args[CONFIG_EXEC_ARGV_BYTES];
};

/* Per-CPU scratch: argv being read, or the exec event being built. */
struct r_scratch {
	union {
		struct {
			__u32 len;
			__u32 flags;
			char args[ET_R_BUF];
		} a;
		char exec[ET_EXEC_FIXED_SIZE + 2 * ET_R_BUF];
	};
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct r_scratch);
} r_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);	/* tid */
	__type(value, struct r_argv);
} r_argv SEC(".maps");
#endif

#ifdef CONFIG_PROBE_EXIT
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 512);
	__type(key, __u32);	/* tgid (tid for a thread's signal) */
	__type(value, __u32);	/* wait status */
} r_status SEC(".maps");
#endif

/* Field @f of the tracepoint record @ctx, zero-extended (little-endian). */
static __always_inline __u64 tp_read(void *ctx, __u32 f)
{
	__u32 size = et_r_fields[f].size;
	__u64 v = 0;

	if (size > sizeof(v))
		size = sizeof(v);
	bpf_probe_read_kernel(&v, size, ctx + et_r_fields[f].off);
	return v;
}

#if defined(CONFIG_PROBE_EXEC) || defined(CONFIG_PROBE_EXIT)
static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}
#endif

#ifdef CONFIG_PROBE_EXIT
static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}
#endif

#ifdef CONFIG_PROBE_EXEC
/* Is there an argument after the first ET_R_MAX_ARGS of @argv? */
static __always_inline int more_args(const char *argv)
{
	__u64 p = 0;

	bpf_probe_read_user(&p, ET_UPTR_SIZE,
			    argv + ET_R_MAX_ARGS * ET_UPTR_SIZE);
	return p != 0;
}

/* Copy the strings of user argv[] @argv into s->a; returns their bytes. */
static __always_inline __u32 read_argv(struct r_scratch *s, const char *argv)
{
	__u64 off = 0, room;
	char *dst;
	int i;

	s->a.flags = 0;
	for (i = 0; i < ET_R_MAX_ARGS; i++) {
		__u64 p = 0;
		long n;

		if (bpf_probe_read_user(&p, ET_UPTR_SIZE,
					argv + i * ET_UPTR_SIZE)) {
			s->a.flags |= ET_EXEC_ARGS_FAULT;
			break;
		}
		if (!p)
			break;
		/* checked on room itself, the register the helper gets */
		room = CONFIG_EXEC_ARGV_BYTES - off;
		barrier_var(room);
		if (off >= CONFIG_EXEC_ARGV_BYTES ||
		    room > CONFIG_EXEC_ARGV_BYTES) {
			s->a.flags |= ET_EXEC_ARGS_TRUNC;
			break;
		}
		dst = &s->a.args[off & (ET_R_BUF / 2 - 1)];
		n = bpf_probe_read_user_str(dst, room,
					    (void *)(unsigned long)p);
		if (n <= 0) {
			s->a.flags |= ET_EXEC_ARGS_FAULT;
			break;
		}
		off += n;
	}
	/* all ET_R_MAX_ARGS read: cut if there is one more */
	if (i == ET_R_MAX_ARGS && more_args(argv))
		s->a.flags |= ET_EXEC_ARGS_TRUNC;
	if (off > CONFIG_EXEC_ARGV_BYTES)	/* cannot happen: verifier */
		off = CONFIG_EXEC_ARGV_BYTES;
	return off;
}

/* Keep argv of an execve(at) for sched_process_exec, by thread. */
static __always_inline int save_argv(void *ctx, __u32 field)
{
	const char *argv = (const char *)(unsigned long)tp_read(ctx, field);
	__u32 zero = 0, tid = current_tid();
	struct r_scratch *s;

	s = bpf_map_lookup_elem(&r_scratch, &zero);
	if (!s) {
		et_count_drop(ET_DROP_SCRATCH);
		return 0;
	}
	s->a.len = read_argv(s, argv);
	/* the first sizeof(struct r_argv) bytes of s->a are one */
	bpf_map_update_elem(&r_argv, &tid, &s->a, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int et_r_execve(void *ctx)
{
	return save_argv(ctx, ET_R_EXECVE_ARGV);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int et_r_execveat(void *ctx)
{
	return save_argv(ctx, ET_R_EXECVEAT_ARGV);
}

/* A failed exec: its argv will not be asked for. */
static __always_inline int forget_argv(void *ctx, __u32 field)
{
	__u64 ret = tp_read(ctx, field);	/* a long: 4 or 8 bytes */
	__u32 tid = current_tid();

	if ((long)ret < 0 || (int)ret < 0)
		bpf_map_delete_elem(&r_argv, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int et_r_execve_exit(void *ctx)
{
	return forget_argv(ctx, ET_R_EXECVE_RET);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int et_r_execveat_exit(void *ctx)
{
	return forget_argv(ctx, ET_R_EXECVEAT_RET);
}

/* argv kept by et_r_execve(at) for thread @tid into ev->data; its bytes. */
static __always_inline __u32 take_argv(struct et_exec *ev, __u32 tid)
{
	struct r_argv *a = bpf_map_lookup_elem(&r_argv, &tid);
	__u32 len;

	if (!a) {
		ev->flags |= ET_EXEC_ARGS_NONE;
		return 0;
	}
	len = a->len;
	if (len > CONFIG_EXEC_ARGV_BYTES)
		len = CONFIG_EXEC_ARGV_BYTES;
	ev->flags |= a->flags;
	if (bpf_probe_read_kernel(ev->data, len, a->args)) {
		ev->flags |= ET_EXEC_ARGS_FAULT;
		len = 0;
	}
	bpf_map_delete_elem(&r_argv, &tid);
	return len;
}

SEC("tracepoint/sched/sched_process_exec")
int et_r_exec(void *ctx)
{
	__u32 loc = tp_read(ctx, ET_R_EXEC_FILENAME);
	__u32 old_tid = tp_read(ctx, ET_R_EXEC_OLD_PID);
	__u64 ugid = bpf_get_current_uid_gid();
	__u32 zero = 0, off, size;
	struct r_scratch *s;
	struct et_exec *ev;
	long n;

	s = bpf_map_lookup_elem(&r_scratch, &zero);
	if (!s) {
		et_count_drop(ET_DROP_SCRATCH);
		return 0;
	}
	ev = (struct et_exec *)s->exec;
	et_fill_hdr(&ev->hdr, ET_EV_EXEC, 0);
	ev->ppid = 0;
	ev->uid = (__u32)ugid;
	ev->gid = ugid >> 32;
	ev->euid = ev->egid = ev->sid = 0;
	ev->flags = ET_EXEC_REDUCED;
	ev->tty[0] = '\0';
	off = take_argv(ev, old_tid);
	ev->args_len = off;

	n = bpf_probe_read_kernel_str(&ev->data[off & (ET_R_BUF - 1)],
				      ET_FILENAME_MAX, ctx + (loc & 0xffff));
	if (n <= 0) {
		ev->data[off & (ET_R_BUF - 1)] = '\0';
		n = 1;
	}
	ev->filename_len = n - 1;
	off += n;
	/* no exe, no cwd: two empty strings */
	ev->data[off & (2 * ET_R_BUF - 1)] = '\0';
	ev->data[(off + 1) & (2 * ET_R_BUF - 1)] = '\0';
	ev->exe_len = ev->cwd_len = 0;
	size = ET_EXEC_FIXED_SIZE + off + 2;
	if (size > sizeof(s->exec))	/* cannot happen; for the verifier */
		return 0;
	ev->hdr.size = size;
	et_output(ev, size);
	return 0;
}
#endif /* CONFIG_PROBE_EXEC */

#ifdef CONFIG_PROBE_FORK
SEC("tracepoint/task/task_newtask")
int et_r_fork(void *ctx)
{
	__u32 child = tp_read(ctx, ET_R_NEWTASK_PID);
	__u64 flags = tp_read(ctx, ET_R_NEWTASK_FLAGS);
	struct et_fork ev = {};

	et_fill_hdr(&ev.hdr, ET_EV_FORK, sizeof(ev));
	ev.ppid = ev.hdr.pid;
	ev.hdr.tid = child;
	ev.flags = ET_FORK_REDUCED;
	if (flags & CLONE_THREAD)
		ev.flags |= ET_FORK_THREAD;
	else
		ev.hdr.pid = child;
	et_output(&ev, sizeof(ev));
	return 0;
}
#endif

#ifdef CONFIG_PROBE_EXIT
/* Remember @status as process @key's wait status (the last one wins). */
static __always_inline void set_status(__u32 key, __u32 status)
{
	bpf_map_update_elem(&r_status, &key, &status, BPF_ANY);
}

SEC("tracepoint/syscalls/sys_enter_exit_group")
int et_r_exit_group(void *ctx)
{
	set_status(current_tgid(), (tp_read(ctx, ET_R_EXIT_GROUP_CODE) & 0xff)
		   << 8);
	return 0;
}

/*
 * exit(2) of the main thread: its code is the process's wait status if
 * no exit_group or fatal signal follows. Other threads' do not count.
 */
SEC("tracepoint/syscalls/sys_enter_exit")
int et_r_exit_thread(void *ctx)
{
	if (current_tid() == current_tgid())
		set_status(current_tgid(), (tp_read(ctx, ET_R_EXIT_CODE) &
					    0xff) << 8);
	return 0;
}

/*
 * Signals whose default action ends the process (terminate or core dump):
 * 1-16, 24-27, 29-31 and the real-time ones. SIGCHLD, SIGCONT, the stop
 * signals, SIGURG and SIGWINCH do not, and are not worth a map update.
 */
#define FATAL_DEFAULT	0xf780ffffu	/* bit n: signal n + 1 */

SEC("tracepoint/signal/signal_generate")
int et_r_exit_signal(void *ctx)
{
	__u32 sig = tp_read(ctx, ET_R_SIG_SIG);
	__u32 pid = tp_read(ctx, ET_R_SIG_PID);
	int result = tp_read(ctx, ET_R_SIG_RESULT);

	/* TRACE_SIGNAL_IGNORED 1, TRACE_SIGNAL_OVERFLOW_FAIL 3: not queued */
	if (result == 1 || result == 3 || !sig || sig > 64)
		return 0;
	if (sig <= 32 && !(FATAL_DEFAULT & (1u << (sig - 1))))
		return 0;
	set_status(pid, sig);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int et_r_exit(void *ctx)
{
	__u32 tgid = current_tgid(), tid = current_tid();
	struct et_exit ev = {};
	__u32 *st;
	int dead;

	/* a signal aimed at this thread (a fault) is its process's */
	if (tid != tgid) {
		st = bpf_map_lookup_elem(&r_status, &tid);
		if (st) {
			set_status(tgid, *st);
			bpf_map_delete_elem(&r_status, &tid);
		}
	}
	if (et_r_fields[ET_R_EXIT_GROUP_DEAD].size)
		dead = tp_read(ctx, ET_R_EXIT_GROUP_DEAD) & 0xff;
	else
		dead = tid == tgid;
	if (!dead)
		return 0;
	et_fill_hdr(&ev.hdr, ET_EV_EXIT, sizeof(ev));
	ev.flags = ET_EXIT_REDUCED;
	st = bpf_map_lookup_elem(&r_status, &tgid);
	if (st) {
		ev.code = *st;
		bpf_map_delete_elem(&r_status, &tgid);
	} else {
		ev.flags |= ET_EXIT_NO_STATUS;
	}
	et_output(&ev, sizeof(ev));
	return 0;
}
#endif
