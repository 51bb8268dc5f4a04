// SPDX-License-Identifier: GPL-2.0
/*
 * exec.bpf.c - process execution.
 *
 * Hooked on the sched_process_exec raw tracepoint, which fires once the
 * new image is committed (so only for successful execs) with the
 * linux_binprm at hand. The executable's ABSOLUTE path is resolved here,
 * in the kernel, by walking the dentry chain of bprm->file across mount
 * points: it does not depend on the string passed to execve, so
 * `cd /bin && ./ls` is reported as /bin/ls, and it does not depend on the
 * process living long enough for user space to look at /proc.
 *
 * The cwd is resolved the same way from the task's fs->pwd. For a #!
 * script bprm->file is the interpreter and bprm->filename the script as
 * passed.
 */
#include "path.bpf.h"

/* Per-CPU scratch: the event being built and the path walk. */
struct exec_scratch {
	struct et_exec ev;
	struct et_pathwalk w;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_scratch);
} exec_scratch SEC(".maps");

/* argv into data[0, args_len): it always comes first. */
static __always_inline void read_args(struct et_exec *ev)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mm_struct *mm = ET_READ_PTR(task, mm);
	__u64 start = ET_READ_WORD(mm, arg_start);
	__u64 end = ET_READ_WORD(mm, arg_end);
	__u64 len = end > start ? end - start : 0;

	if (len > CONFIG_EXEC_ARGV_BYTES) {
		len = CONFIG_EXEC_ARGV_BYTES;
		ev->flags |= ET_EXEC_ARGS_TRUNC;
	}
	/* keep clang from passing the unclamped copy to the helper */
	barrier_var(len);
	if (len > CONFIG_EXEC_ARGV_BYTES)
		len = 0;
	if (bpf_probe_read_user(ev->data, len, (void *)start)) {
		ev->flags |= ET_EXEC_ARGS_FAULT;
		len = 0;
	}
	ev->args_len = len;
}

/*
 * Append the path left in s->w by et_resolve_path at ev->data[@off], with
 * its NUL. @off is below 2 * ET_PATH_MAX and the path below ET_PATH_MAX,
 * so the masked writes stay inside data[].
 */
static __always_inline __u32 copy_path(struct exec_scratch *s, __u32 off)
{
	__u32 len = et_path_len(&s->w);

	bpf_probe_read_kernel(&s->ev.data[off & ET_EXEC_DATA_MASK], len + 1,
			      &s->w.path[s->w.pos & ET_PATH_MASK]);
	return len;
}

/* Session id and controlling tty, from the task's signal_struct. */
static __always_inline void read_session(struct et_exec *ev,
					 struct task_struct *task)
{
	struct signal_struct *sig = ET_READ_PTR(task, signal);
	struct pid *sid = ET_READ_PTR(sig, pids[PIDTYPE_SID]);
	struct tty_struct *tty = ET_READ_PTR(sig, tty);

	ev->sid = sid ? BPF_CORE_READ(sid, numbers[0].nr) : 0;
	ev->tty[0] = '\0';
	if (tty)
		bpf_probe_read_kernel_str(ev->tty, sizeof(ev->tty), &tty->name);
}

static __always_inline void read_creds(struct et_exec *ev,
				       struct task_struct *task)
{
	const struct cred *cred = ET_READ_PTR(task, cred);

	ev->euid = BPF_CORE_READ(cred, euid.val);
	ev->egid = BPF_CORE_READ(cred, egid.val);
}

SEC("raw_tracepoint/sched_process_exec")
int et_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct linux_binprm *bprm = (void *)ctx->args[2];
	struct task_struct *task = (void *)bpf_get_current_task();
	struct task_struct *parent;
	struct fs_struct *fs;
	struct exec_scratch *s;
	struct et_exec *ev;
	struct file *file;
	__u64 ugid = bpf_get_current_uid_gid();
	__u32 zero = 0, off, exe_len, cwd_len;
	long n;

	s = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!s) {
		et_count_drop(ET_DROP_SCRATCH);
		return 0;
	}
	ev = &s->ev;
	et_fill_hdr(&ev->hdr, ET_EV_EXEC, 0);
	parent = ET_READ_PTR(task, real_parent);
	ev->ppid = BPF_CORE_READ(parent, tgid);
	ev->uid = (__u32)ugid;
	ev->gid = ugid >> 32;
	ev->flags = 0;
	read_creds(ev, task);
	read_session(ev, task);
	read_args(ev);

	off = ev->args_len;
	n = bpf_probe_read_kernel_str(&ev->data[off & ET_EXEC_DATA_MASK],
				      ET_FILENAME_MAX, ET_READ_PTR(bprm, filename));
	if (n <= 0) {
		ev->data[off & ET_EXEC_DATA_MASK] = '\0';
		n = 1;
	}
	ev->filename_len = n - 1;
	off += n;

	file = ET_READ_PTR(bprm, file);
	et_resolve_path(&s->w, ET_READ_PTR(file, f_path.mnt),
			ET_READ_PTR(file, f_path.dentry), &ev->flags,
			ET_EXEC_EXE_TRUNC);
	exe_len = copy_path(s, off);
	off += exe_len + 1;

	fs = ET_READ_PTR(task, fs);
	et_resolve_path(&s->w, ET_READ_PTR(fs, pwd.mnt),
			ET_READ_PTR(fs, pwd.dentry), &ev->flags,
			ET_EXEC_CWD_TRUNC);
	cwd_len = copy_path(s, off);
	off += cwd_len + 1;

	ev->exe_len = exe_len;
	ev->cwd_len = cwd_len;
	if (off > sizeof(ev->data))	/* cannot happen; tells the verifier */
		return 0;
	ev->hdr.size = ET_EXEC_FIXED_SIZE + off;
	et_output(ev, ET_EXEC_FIXED_SIZE + off);
	return 0;
}
