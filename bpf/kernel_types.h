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

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	struct mm_struct *mm;
};

struct linux_binprm {
	struct file *file;
	const char *filename;
};

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* EDGETRACE_KERNEL_TYPES_H */
