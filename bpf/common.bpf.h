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

/*
 * Direct loads through BTF pointers (bpf_get_current_task_btf,
 * bpf_task_pt_regs) cost a memory access where bpf_probe_read_kernel costs
 * a helper call; on the busiest syscalls that is most of a probe's time.
 * 64-bit kernels only: on a 32-bit kernel every pointer field would need
 * its load resized, so armv7 keeps the reads.
 */
#if !defined(__TARGET_ARCH_arm)
#define ET_DIRECT_LOADS	1
#endif

/*
 * The struct file of @fd in the current task (task->files->fdt->fd[fd],
 * pointer-sized entries of the running kernel), or NULL.
 */
static __always_inline void *et_fd_file(int fd)
{
	__u32 psize = bpf_core_field_size(((struct fdtable *)0)->fd) & 0xf;
	struct fdtable *fdt;
	struct file **arr;
	unsigned int max;
	__u64 f = 0;

#ifdef ET_DIRECT_LOADS
	if (et_task_btf) {
		struct task_struct *t = bpf_get_current_task_btf();

		fdt = t->files->fdt;
		max = fdt->max_fds;
		arr = fdt->fd;
	} else
#endif
	{
		struct task_struct *task = (void *)bpf_get_current_task();
		struct files_struct *files = ET_READ_PTR(task, files);

		fdt = ET_READ_PTR(files, fdt);
		max = BPF_CORE_READ(fdt, max_fds);
		arr = ET_READ_PTR(fdt, fd);
	}
	if (fd < 0 || (unsigned int)fd >= max)
		return NULL;
	bpf_probe_read_kernel(&f, psize, (void *)arr + (__u64)fd * psize);
	return (void *)(unsigned long)f;
}

/*
 * Both halves of a struct path (@p: its address) in one read: the fields
 * are pointers of the running kernel's size, mnt first.
 */
static __always_inline void et_read_path(void *p, __u64 *mnt, __u64 *dentry)
{
	__u32 om = bpf_core_field_offset(((struct path *)0)->mnt);
	__u32 od = bpf_core_field_offset(((struct path *)0)->dentry);
	__u32 ps = bpf_core_field_size(((struct path *)0)->mnt);
	__u64 buf[2] = {};

	if (om == 0 && od == ps && (ps == 8 || ps == 4)) {
		bpf_probe_read_kernel(buf, 2 * ps, p);
		if (ps == 8) {
			*mnt = buf[0];
			*dentry = buf[1];
		} else {
			*mnt = buf[0] & 0xffffffff;
			*dentry = buf[0] >> 32;
		}
		return;
	}
	*mnt = ET_READ_WORD((struct path *)p, mnt);
	*dentry = ET_READ_WORD((struct path *)p, dentry);
}

#endif /* EDGETRACE_COMMON_BPF_H */
