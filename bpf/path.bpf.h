/* SPDX-License-Identifier: GPL-2.0 */
/*
 * path.bpf.h - absolute paths from (vfsmount, dentry), for the exec and
 * file probes.
 *
 * The walk keeps its write position in a map value (struct et_pathwalk,
 * part of a probe's per-CPU scratch), not in a register: a value loaded
 * from a map is an unknown scalar to the verifier, so the states of
 * successive iterations compare equal and are pruned, instead of one state
 * per possible offset (which makes the program too complex to load). Every
 * use of the position is masked into the buffer.
 */
#ifndef EDGETRACE_PATH_BPF_H
#define EDGETRACE_PATH_BPF_H

#include "common.bpf.h"

#ifndef CONFIG_EXEC_PATH_DEPTH
#define CONFIG_EXEC_PATH_DEPTH	32
#endif

struct et_pathwalk {
	__u32 pos;		/* start of the path in path[] */
	__u32 pad;
	char path[ET_PATH_MAX * 2];
};

#define ET_NAME_MASK	255	/* a component longer than this is cut */
#define ET_PATH_MASK	(ET_PATH_MAX - 1)

/* Prepend "/" @name to the path being built; 0 when it is full. */
static __always_inline int et_prepend(struct et_pathwalk *w, struct qstr *name)
{
	__u32 len = name->len & ET_NAME_MASK;
	__u32 pos = *(volatile __u32 *)&w->pos;

	if (len + 2 > pos)	/* keep path[0] free: paths stay < 4095 */
		return 0;
	pos -= len + 1;
	bpf_probe_read_kernel(&w->path[(pos + 1) & ET_PATH_MASK], len,
			      name->name);
	w->path[pos & ET_PATH_MASK] = '/';
	*(volatile __u32 *)&w->pos = pos;
	return 1;
}

/*
 * A dentry's parent and name (hash, length, pointer) with one read where the kernel keeps d_parent
 * and d_name together (every kernel we know: they are neighbours in
 * struct dentry); otherwise with three. Offsets and sizes are CO-RE
 * constants, so the verifier sees fixed offsets and the branch not taken
 * is dead code.
 */
static __always_inline struct dentry *et_dentry_step(struct dentry *d,
						     struct qstr *name)
{
	__u32 op = bpf_core_field_offset(d->d_parent);
	__u32 oh = bpf_core_field_offset(d->d_name.hash);
	__u32 ol = bpf_core_field_offset(d->d_name.len);
	__u32 on = bpf_core_field_offset(d->d_name.name);
	__u32 ps = bpf_core_field_size(d->d_parent);
	__u64 buf[4] = {};
	void *b = buf;

	if (oh > op && ol > oh && on > ol && on + ps - op <= sizeof(buf) &&
	    (ps == 8 || ps == 4)) {
		bpf_probe_read_kernel(buf, on + ps - op, (void *)d + op);
		name->hash = *(__u32 *)(b + (oh - op));
		name->len = *(__u32 *)(b + (ol - op));
		if (ps == 8) {
			name->name = (void *)*(__u64 *)(b + (on - op));
			return (void *)buf[0];
		}
		name->name = (void *)(unsigned long)*(__u32 *)(b + (on - op));
		return (void *)(unsigned long)*(__u32 *)b;
	}
	name->hash = BPF_CORE_READ(d, d_name.hash);
	name->len = BPF_CORE_READ(d, d_name.len);
	name->name = ET_READ_PTR(d, d_name.name);
	return ET_READ_PTR(d, d_parent);
}

/*
 * Write the path of (@vfsmnt, @dentry) right-aligned into w->path, ending
 * with a NUL at w->path[ET_PATH_MAX - 1], and leave its start in w->pos.
 * Components are prepended walking up the dentry chain; at a mount's root
 * we continue from its mountpoint in the parent mount, until the root of
 * the mount tree. Sets @trunc_flag in *@flags when the walk was cut.
 * A component costs two reads (et_dentry_step and its name's bytes).
 */
static __always_inline void et_resolve_path(struct et_pathwalk *w,
					    struct vfsmount *vfsmnt,
					    struct dentry *dentry, __u32 *flags,
					    __u32 trunc_flag)
{
	__u64 mnt_off = bpf_core_field_offset(struct mount, mnt);
	struct mount *mnt = (void *)vfsmnt - mnt_off;
	struct dentry *root = ET_READ_PTR(vfsmnt, mnt_root);
	int i;

	w->path[ET_PATH_MAX - 1] = '\0';
	w->pos = ET_PATH_MAX - 1;
	for (i = 0; i < CONFIG_EXEC_PATH_DEPTH; i++) {
		struct dentry *parent;
		struct qstr name;

		if (dentry == root) {
			struct mount *up = ET_READ_PTR(mnt, mnt_parent);

			if (up == mnt)
				goto done;
			dentry = ET_READ_PTR(mnt, mnt_mountpoint);
			mnt = up;
			vfsmnt = (void *)up + mnt_off;
			root = ET_READ_PTR(vfsmnt, mnt_root);
			continue;
		}
		parent = et_dentry_step(dentry, &name);
		if (dentry == parent)	/* root of a detached tree */
			goto done;
		if (!et_prepend(w, &name))
			break;
		dentry = parent;
	}
	*flags |= trunc_flag;
done:
	if (w->pos == ET_PATH_MAX - 1) {	/* the root directory itself */
		w->pos = ET_PATH_MAX - 2;
		w->path[ET_PATH_MAX - 2] = '/';
	}
}

/* Length of the path left in w->path by et_resolve_path. */
static __always_inline __u32 et_path_len(struct et_pathwalk *w)
{
	return (ET_PATH_MAX - 1 - w->pos) & ET_PATH_MASK;
}

#endif /* EDGETRACE_PATH_BPF_H */
