/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel_types.h - the kernel types the probes read, declared for CO-RE.
 *
 * Instead of a generated vmlinux.h per architecture (several MiB each, and
 * it needs a BTF-enabled kernel of every target at build time) we declare
 * here only the structs and fields the probes touch, with
 * preserve_access_index: clang records each field access as a CO-RE
 * relocation and libbpf fixes the offsets against the running kernel's
 * BTF (or the board's external BTF file) at load time. The list below is
 * therefore also the exact set of kernel fields the agent depends on;
 * docs/bpf-build.md explains the choice.
 *
 * Only names matter to CO-RE, not the order or completeness of fields.
 */
#ifndef EDGETRACE_KERNEL_TYPES_H
#define EDGETRACE_KERNEL_TYPES_H

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#endif

struct qstr {
	union {
		struct {
			__u32 hash;
			__u32 len;
		};
		__u64 hash_len;
	};
	const unsigned char *name;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
};

struct vfsmount {
	struct dentry *mnt_root;
};

/* fs/mount.h: struct vfsmount is embedded in struct mount. */
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
};

struct fs_struct {
	struct path pwd;
};

typedef struct {
	__u32 val;
} kuid_t;

typedef struct {
	__u32 val;
} kgid_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t suid;
	kgid_t sgid;
	kuid_t euid;
	kgid_t egid;
	kuid_t fsuid;
	kgid_t fsgid;
};

typedef struct {
	int counter;
} atomic_t;

struct upid {
	int nr;
};

struct pid {
	struct upid numbers[1];
};

struct tty_struct {
	char name[64];
};

enum pid_type {
	PIDTYPE_PID,
	PIDTYPE_TGID,
	PIDTYPE_PGID,
	PIDTYPE_SID,
	PIDTYPE_MAX,
};

struct signal_struct {
	atomic_t live;
	struct pid *pids[PIDTYPE_MAX];
	struct tty_struct *tty;
};

struct task_struct {
	int pid;
	int tgid;
	int exit_code;
	__u64 start_time;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct mm_struct *mm;
	struct fs_struct *fs;
	const struct cred *cred;
	struct signal_struct *signal;
};

struct linux_binprm {
	struct file *file;
	const char *filename;
};

struct kernel_siginfo {
	struct {
		int si_signo;
		int si_errno;
		int si_code;
	};
};

struct module {
	char name[56];
};

/* The context of the syscalls:sys_enter_* and sys_exit_* tracepoints. */
struct syscall_trace_enter {
	int nr;
	unsigned long args[6];
};

/*
 * ret is long in the kernel; it is declared unsigned here because libbpf
 * can narrow a CO-RE load to a 32-bit kernel's 4-byte field only for
 * unsigned integers. The probes compare it with 0 only.
 */
struct syscall_trace_exit {
	int nr;
	unsigned long ret;
};

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* EDGETRACE_KERNEL_TYPES_H */
