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
 * For a #! script bprm->file is the interpreter and bprm->filename the
 * script as passed.
 */
#include "common.bpf.h"

/*
 * Per-CPU scratch: the event being built and the path assembly buffer.
 * The path walk keeps its write position in the map, not in a register:
 * a value loaded from a map is an unknown scalar to the verifier, so the
 * states of successive iterations compare equal and are pruned, instead of
 * one state per possible offset (which makes the program too complex to
 * load). Every use of the position is masked into the buffer.
 */
struct exec_scratch {
	struct et_exec ev;
	__u32 pos;
	char path[ET_PATH_MAX * 2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_scratch);
} exec_scratch SEC(".maps");

#define NAME_MASK	255	/* a component longer than this is cut */
#define PATH_MASK	(ET_PATH_MAX - 1)

/* Prepend "/" @name to the path being built; 0 when it is full. */
static __always_inline int prepend(struct exec_scratch *s, struct qstr *name)
{
	__u32 len = name->len & NAME_MASK;
	__u32 pos = *(volatile __u32 *)&s->pos;

	if (len + 1 > pos)
		return 0;
	pos -= len + 1;
	bpf_probe_read_kernel(&s->path[(pos + 1) & PATH_MASK], len, name->name);
	s->path[pos & PATH_MASK] = '/';
	*(volatile __u32 *)&s->pos = pos;
	return 1;
}

/*
 * Write the path of (@vfsmnt, @dentry) right-aligned into s->path, ending
 * with a NUL at s->path[ET_PATH_MAX - 1], and leave its start in s->pos.
 * Components are prepended walking up the dentry chain; at a mount's root
 * we continue from its mountpoint in the parent mount, until the root of
 * the mount tree.
 */
static __always_inline void resolve_path(struct exec_scratch *s,
					 struct vfsmount *vfsmnt,
					 struct dentry *dentry, __u32 *flags)
{
	__u64 mnt_off = bpf_core_field_offset(struct mount, mnt);
	struct mount *mnt = (void *)vfsmnt - mnt_off;
	int i;

	s->path[ET_PATH_MAX - 1] = '\0';
	s->pos = ET_PATH_MAX - 1;
	for (i = 0; i < CONFIG_EXEC_PATH_DEPTH; i++) {
		struct dentry *root = ET_READ_PTR(vfsmnt, mnt_root);
		struct dentry *parent = ET_READ_PTR(dentry, d_parent);
		struct qstr name;

		if (dentry == root) {
			struct mount *up = ET_READ_PTR(mnt, mnt_parent);

			if (up == mnt)
				goto done;
			dentry = ET_READ_PTR(mnt, mnt_mountpoint);
			mnt = up;
			vfsmnt = (void *)up + mnt_off;
			continue;
		}
		if (dentry == parent)	/* root of a detached tree */
			goto done;
		name.len = BPF_CORE_READ(dentry, d_name.len);
		name.name = ET_READ_PTR(dentry, d_name.name);
		if (!prepend(s, &name))
			break;
		dentry = parent;
	}
	*flags |= ET_EXEC_EXE_TRUNC;
done:
	if (s->pos == ET_PATH_MAX - 1) {	/* the root directory itself */
		s->pos = ET_PATH_MAX - 2;
		s->path[ET_PATH_MAX - 2] = '/';
	}
}

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
	if (bpf_probe_read_user(ev->args, len, (void *)start)) {
		ev->flags |= ET_EXEC_ARGS_FAULT;
		len = 0;
	}
	ev->args_len = len;
}

SEC("raw_tracepoint/sched_process_exec")
int et_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct linux_binprm *bprm = (void *)ctx->args[2];
	struct task_struct *task = (void *)bpf_get_current_task();
	struct task_struct *parent;
	struct exec_scratch *s;
	struct et_exec *ev;
	struct file *file;
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ugid = bpf_get_current_uid_gid();
	__u32 zero = 0, exe_len;
	long n;

	s = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!s) {
		et_count_drop(ET_DROP_SCRATCH);
		return 0;
	}
	ev = &s->ev;
	ev->hdr.ts = bpf_ktime_get_ns();
	ev->hdr.type = ET_EV_EXEC;
	ev->hdr.pid = id >> 32;
	ev->hdr.tid = (__u32)id;
	parent = ET_READ_PTR(task, real_parent);
	ev->ppid = BPF_CORE_READ(parent, tgid);
	ev->uid = (__u32)ugid;
	ev->gid = ugid >> 32;
	ev->flags = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	read_args(ev);

	n = bpf_probe_read_kernel_str(ev->filename, sizeof(ev->filename),
				      ET_READ_PTR(bprm, filename));
	ev->filename_len = n > 0 ? n - 1 : 0;

	file = ET_READ_PTR(bprm, file);
	resolve_path(s, ET_READ_PTR(file, f_path.mnt),
		     ET_READ_PTR(file, f_path.dentry), &ev->flags);
	exe_len = (ET_PATH_MAX - 1 - s->pos) & PATH_MASK;
	bpf_probe_read_kernel(ev->exe, exe_len + 1,
			      &s->path[s->pos & PATH_MASK]);
	ev->exe_len = exe_len;
	ev->hdr.size = ET_EXEC_FIXED_SIZE + exe_len + 1;
	et_output(ev, ET_EXEC_FIXED_SIZE + exe_len + 1);
	return 0;
}
