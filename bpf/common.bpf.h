/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.bpf.h - includes and helpers shared by every probe family.
 */
#ifndef EDGETRACE_COMMON_BPF_H
#define EDGETRACE_COMMON_BPF_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "kernel_types.h"
#include "edgetrace.h"
#include "maps.bpf.h"

/*
 * Read a pointer-sized or long field of a kernel struct: ET_READ_WORD(task,
 * mm), ET_READ_WORD(dentry, d_name.name). The BPF target is 64-bit, but on
 * a 32-bit kernel (armv7) pointers and longs are 4 bytes, so BPF_CORE_READ
 * of such a field would read 8 bytes and take the next field as the high
 * half. This reads exactly the running kernel's size of the field (a CO-RE
 * size relocation) into a zeroed u64; every target is little-endian, so the
 * value lands in the low half. Fixed-width fields (int pid, u32 len) can
 * use BPF_CORE_READ as usual.
 */
#define ET_READ_WORD(src, field)					\
	({								\
		__u64 __v = 0;						\
		bpf_probe_read_kernel(&__v,				\
			bpf_core_field_size((src)->field) & 0xf,	\
			__builtin_preserve_access_index(&(src)->field)); \
		__v;							\
	})

#define ET_READ_PTR(src, field)	((void *)(unsigned long)ET_READ_WORD(src, field))

/* Fill the common header for an event of @type from the current task. */
static __always_inline void et_fill_hdr(struct et_hdr *hdr, __u32 type,
					__u32 size)
{
	__u64 id = bpf_get_current_pid_tgid();

	hdr->ts = bpf_ktime_get_ns();
	hdr->cgroup_id = bpf_get_current_cgroup_id();
	hdr->type = type;
	hdr->size = size;
	hdr->pid = id >> 32;
	hdr->tid = (__u32)id;
	bpf_get_current_comm(hdr->comm, sizeof(hdr->comm));
}

/*
 * The struct file of @fd in the current task (task->files->fdt->fd[fd],
 * pointer-sized entries of the running kernel), or NULL.
 */
static __always_inline void *et_fd_file(int fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct files_struct *files = ET_READ_PTR(task, files);
	struct fdtable *fdt = ET_READ_PTR(files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file **arr = ET_READ_PTR(fdt, fd);
	__u32 psize = bpf_core_field_size(fdt->fd) & 0xf;
	__u64 f = 0;

	if (fd < 0 || (unsigned int)fd >= max)
		return NULL;
	bpf_probe_read_kernel(&f, psize, (void *)arr + (__u64)fd * psize);
	return (void *)(unsigned long)f;
}

#endif /* EDGETRACE_COMMON_BPF_H */
