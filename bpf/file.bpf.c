// SPDX-License-Identifier: GPL-2.0
/*
 * file.bpf.c - file operations that succeeded, matched against the
 * watches in the kernel.
 *
 * Each syscall has an enter program, which saves the arguments in
 * file_calls (keyed by thread id), and an exit program, which reports the
 * operation only if it returned success. Opens take one exit program that
 * reads the arguments from the saved registers (5.15 and later; a pair on
 * older kernels); read-only opens stop at the flags unless a watch asks
 * for "open" (et_watch_open), so the busiest syscall of a system costs one
 * tracepoint call and a flag test.
 *
 * Paths. An open's path is the new file's, resolved from its dentry
 * across mounts (so it is absolute and canonical, whatever was passed).
 * Other operations have no file left to ask (unlink) or not yet (mkdir),
 * so their path is the string passed, prefixed with the directory it is
 * relative to: the cwd (AT_FDCWD) or the dirfd's directory, resolved the
 * same way. The agent removes "." and ".." lexically.
 *
 * Watches. The longest watched prefix of the path (et_watch_key, an LPM
 * trie) gives the set of event classes reported under it, so a nested
 * watch overrides its parent's set for its subtree. A path the kernel
 * cannot judge by its bytes (a "." or ".." component, "//") is passed on
 * and the agent, which matches the normalised path against the same
 * watches, decides. Without --watch the agent installs a watch on "/"
 * for every class but "open". An open is judged on the real path of the
 * file opened, and the verdict remembered per file (open_verdicts).
 */
#include "path.bpf.h"

#define AT_FDCWD	-100
#define AT_REMOVEDIR	0x200
#define O_ACCMODE	3
#define O_CREAT		0100
#define O_TRUNC		01000

/* Set by the agent before load. */
const volatile __u32 et_self_tgid = 0;	/* the agent: its own files */
const volatile __u32 et_watch_open = 0;	/* some watch has ET_W_OPEN */

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, CONFIG_FILE_WATCHES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct et_watch_key);
	__type(value, __u32);		/* mask of enum et_watch_class */
} watches SEC(".maps");

/* The filter's "file.path startswith P": P as a prefix (no "/" added). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ET_KF_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct et_watch_key);
	__type(value, __u8);
} kf_paths SEC(".maps");

/*
 * Open verdicts: the watch mask of a file's real path, remembered per
 * file so that repeated opens skip the dentry walk (Kconfig
 * FILE_VERDICTS). The key names the file by its mount and dentry, and by
 * the dentry's parent and name (hash and length), so a dentry reused for
 * another file does not hit. A rename or mount anywhere bumps et_path_gen,
 * which invalidates every verdict taken before. A short path is kept with
 * its verdict, so a watched file opened again is reported without a walk.
 */
struct open_vkey {
	__u64 mnt, dentry, parent, hash_len;
};

#define ET_VPATH_MAX	128	/* paths shorter than this are remembered */

struct open_verdict {
	__u64 gen;
	__u32 mask;
	__u32 len;		/* of path; 0: not remembered (too long) */
	char path[ET_VPATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CONFIG_FILE_VERDICTS);
	__type(key, struct open_vkey);
	__type(value, struct open_verdict);
} open_verdicts SEC(".maps");

struct file_call {
	__u32 type;		/* ET_EV_* */
	__s32 dfd, dfd2;	/* AT_FDCWD or a directory fd; fd for f* */
	__u32 flags, mode, dev, uid, gid;
	__u32 matched;		/* open: the watches matched already */
	__u32 quiet;		/* rename: only count it (et_path_gen) */
	__u64 size;
	__u64 path, path2;	/* user pointers; 0 for fd-based calls */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct file_call);
} file_calls SEC(".maps");

/*
 * Per-CPU scratch. The event's data[] is followed by slack so that the
 * verifier can bound "dir" "/" "name" writes by each part's own maximum;
 * the event sent never exceeds struct et_file.
 */
struct file_scratch {
	struct et_file ev;
	char slack[2 * ET_PATH_MAX];
	struct et_pathwalk w;
	char rel[ET_PATH_MAX];
	struct et_watch_key key;
	struct open_vkey vkey;	/* the open being judged (et_file_verdict) */
	struct open_verdict verdict;
	__u32 vkey_ok;
	__u32 vfmode;		/* its f_mode */
	__u32 vlen;		/* a hit's path, in ev.data; 0: none */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_scratch);
} file_scratch SEC(".maps");

#define FMASK	(ET_PATH_MAX - 1)
/*
 * Offsets into data[] are masked with DMASK for the verifier (data and
 * slack hold 4 * ET_PATH_MAX bytes); the code keeps them below
 * 2 * ET_PATH_MAX by its own checks.
 */
#define DMASK	(2 * ET_PATH_MAX - 1)

static __always_inline __u32 self_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static __always_inline int is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == et_self_tgid;
}

/* Does the filter let an event of @type from the current task through? */
static __always_inline int wanted_now(__u32 type)
{
	char comm[ET_COMM_LEN];

	if (et_kf_types == ~0u && !et_kf_flags)
		return 1;
	bpf_get_current_comm(comm, sizeof(comm));
	return et_wanted(type, bpf_get_current_pid_tgid() >> 32, comm);
}

/*
 * Bumped by every rename, mount and unmount that returns, by any process:
 * open verdicts (open_verdicts) taken before are stale.
 */
__u64 et_path_gen = 0;

static __always_inline void save_call(struct file_call *c)
{
	__u32 tid = self_tid();

	if (is_self() || !wanted_now(c->type)) {
		/* a rename not reported still moves paths under the cache */
		if (c->type != ET_EV_RENAME)
			return;
		c->quiet = 1;
	}
	if (bpf_map_update_elem(&file_calls, &tid, c, BPF_ANY)) {
		et_count_drop(ET_DROP_INFLIGHT);
		if (c->type == ET_EV_RENAME)
			__sync_fetch_and_add(&et_path_gen, 1);
	}
}

/*
 * The helpers below are global BPF functions: the verifier checks each
 * once, on its own, instead of once per path through the exit program
 * (inlined, the walks and loops multiply into millions of states).
 * Their pointer arguments may be NULL as far as the verifier knows.
 */

/* Walk (@mnt, @dentry) into s->w; returns ET_FILE_PATH_TRUNC or 0. */
__noinline int et_file_walk(struct et_pathwalk *w, __u64 mnt, __u64 dentry)
{
	__u32 flags = 0;

	if (!w)
		return 0;
	et_resolve_path(w, (struct vfsmount *)(unsigned long)mnt,
			(struct dentry *)(unsigned long)dentry, &flags,
			ET_FILE_PATH_TRUNC);
	return flags;
}

/*
 * The directory a relative path of (@dfd) is relative to, resolved into
 * s->w. Returns 0, or -1 when it cannot be found.
 */
static __always_inline int resolve_dir(struct file_scratch *s, int dfd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fs_struct *fs;
	struct file *file;

	__u64 mnt, dentry;

	if (dfd == AT_FDCWD) {
		fs = ET_READ_PTR(task, fs);
		et_read_path(__builtin_preserve_access_index(&fs->pwd),
			     &mnt, &dentry);
		s->ev.flags |= et_file_walk(&s->w, mnt, dentry);
		return 0;
	}
	file = et_fd_file(dfd);
	if (!file)
		return -1;
	et_read_path(__builtin_preserve_access_index(&file->f_path),
		     &mnt, &dentry);
	s->ev.flags |= et_file_walk(&s->w, mnt, dentry);
	s->ev.flags |= ET_FILE_DIRFD;
	return 0;
}

/* Copy the path left in s->w to data[@off]; returns its length. */
static __always_inline __u32 put_walked(struct file_scratch *s, __u32 off)
{
	__u32 len = et_path_len(&s->w);

	if (off > ET_PATH_MAX)
		return 0;
	barrier_var(off);	/* keep the mask below: it is for the verifier */
	bpf_probe_read_kernel(&s->ev.data[off & DMASK], len,
			      &s->w.path[s->w.pos & FMASK]);
	return len;
}

/*
 * Write the path of (@dfd, @upath) at data[@off] (@off <= ET_PATH_MAX),
 * NUL-terminated, at most ET_PATH_MAX - 1 bytes; returns its length.
 */
__noinline __u32 et_file_build_path(struct file_scratch *s, __u32 off,
				    int dfd, __u64 upath, __u32 rel_flag)
{
	__u32 dirlen = 0, rellen, len;
	long n;

	if (!s || off > ET_PATH_MAX)
		return 0;
	barrier_var(off);
	n = bpf_probe_read_user_str(s->rel, ET_PATH_MAX, (void *)upath);
	if (n <= 1) {
		s->ev.data[off & DMASK] = '\0';
		s->ev.flags |= rel_flag;
		return 0;
	}
	rellen = (n - 1) & FMASK;
	if (s->rel[0] != '/') {
		if (resolve_dir(s, dfd) == 0) {
			dirlen = put_walked(s, off);
			s->ev.data[(off + dirlen) & DMASK] = '/';
			dirlen = (dirlen + 1) & FMASK;
		} else {
			s->ev.flags |= rel_flag;
		}
	}
	bpf_probe_read_kernel(&s->ev.data[(off + dirlen) & DMASK],
			      rellen, s->rel);
	len = dirlen + rellen;
	if (len > ET_PATH_MAX - 1) {
		len = ET_PATH_MAX - 1;
		s->ev.flags |= ET_FILE_PATH_TRUNC;
	}
	s->ev.data[(off + len) & DMASK] = '\0';
	return len;
}

/* The path of an open file (@fd) at data[@off]; -1 if there is none. */
__noinline long et_file_fd_path(struct file_scratch *s, __u32 off, int fd)
{
	struct file *file = et_fd_file(fd);
	__u64 mnt, dentry;
	__u32 len;

	if (!s || !file || off > ET_PATH_MAX)
		return -1;
	barrier_var(off);
	et_read_path(__builtin_preserve_access_index(&file->f_path),
		     &mnt, &dentry);
	s->ev.flags |= et_file_walk(&s->w, mnt, dentry);
	len = put_walked(s, off);
	s->ev.data[(off + len) & DMASK] = '\0';
	s->ev.fmode = BPF_CORE_READ(file, f_mode);
	return len;
}

/*
 * Put the path at data[@off] (@len bytes) into s->key for an LPM lookup,
 * with a "/" appended if @slash. Returns 0 when the path cannot be judged
 * by its bytes (not absolute, a "." or ".." component, "//").
 */
__noinline int et_file_key(struct file_scratch *s, __u32 off, __u32 len,
			   int slash)
{
	__u32 n = len < ET_WATCH_KEY_MAX - 1 ? len : ET_WATCH_KEY_MAX - 1;
	struct et_watch_key *k;
	char c1, c2, c3;
	int i;

	if (!s || off > ET_PATH_MAX || !len)
		return 0;
	barrier_var(off);
	if (s->ev.data[off & DMASK] != '/')
		return 0;
	k = &s->key;
	barrier_var(n);
	n &= ET_WATCH_KEY_MAX - 1;
	bpf_probe_read_kernel(k->path, n, &s->ev.data[off & DMASK]);
	k->path[n] = '/';
	k->prefixlen = 8 * (n + !!slash);
	/* "//", "/./", "/../", or a trailing "/." or "/.." (path[n] is '/') */
	for (i = 0; i < ET_WATCH_KEY_MAX - 1; i++) {
		if (i >= n)
			break;
		if (k->path[i] != '/')
			continue;
		c1 = k->path[(i + 1) & (ET_WATCH_KEY_MAX - 1)];
		c2 = k->path[(i + 2) & (ET_WATCH_KEY_MAX - 1)];
		c3 = k->path[(i + 3) & (ET_WATCH_KEY_MAX - 1)];
		if (c1 == '/' || (c1 == '.' && (c2 == '/' ||
		    (c2 == '.' && c3 == '/'))))
			return 0;
	}
	return 1;
}

/*
 * The watch classes of the path at data[@off]: the mask of its longest
 * watched prefix, or every class when its bytes cannot be judged.
 */
static __always_inline __u32 watch_mask(struct file_scratch *s, __u32 off,
					__u32 len)
{
	__u32 *mask;

	if (!et_file_key(s, off, len, 1))
		return ~0u;
	mask = bpf_map_lookup_elem(&watches, &s->key);
	return mask ? *mask : 0;
}

/* Does the path pass the filter's "file.path startswith" (if any)? */
static __always_inline int filter_path_ok(struct file_scratch *s, __u32 off,
					  __u32 len)
{
	if (!(et_kf_flags & ET_KF_PATHS) || !et_file_key(s, off, len, 0))
		return 1;
	return bpf_map_lookup_elem(&kf_paths, &s->key) != NULL;
}

/*
 * Read and write byte totals of the files opened under an explicit watch
 * (et_io_track): the open puts (tgid, fd) in file_io; the read and write
 * family's enter programs look the fd up there and, when it is tracked,
 * leave it in io_calls for the one exit program (et_io_exit), which adds
 * what the call returned; close reports the totals (ET_EV_CLOSE). An fd
 * that is not tracked costs its read or write one hash lookup.
 */
const volatile __u32 et_io_track = 0;

struct io_key {
	__u32 tgid;
	__s32 fd;
};

struct io_count {
	__u64 rbytes, wbytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CONFIG_FILE_IO_TRACKED);
	__type(key, struct io_key);
	__type(value, struct io_count);
} file_io SEC(".maps");

struct io_call {
	__s32 fd;
	__u32 write;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct io_call);
} io_calls SEC(".maps");

static __always_inline void io_track(long fd)
{
	struct io_key k = { bpf_get_current_pid_tgid() >> 32, fd };
	struct io_count zero = {};

	if (et_io_track)
		bpf_map_update_elem(&file_io, &k, &zero, BPF_ANY);
}

static __always_inline __u32 class_of(const struct file_call *c)
{
	switch (c->type) {
	case ET_EV_UNLINK: return 1u << ET_W_DELETE;
	case ET_EV_RMDIR: return 1u << ET_W_RMDIR;
	case ET_EV_RENAME: return 1u << ET_W_RENAME;
	case ET_EV_MKDIR: return 1u << ET_W_MKDIR;
	case ET_EV_MKNOD: return 1u << ET_W_MKNOD;
	case ET_EV_CHMOD:
	case ET_EV_CHOWN: return 1u << ET_W_ATTRIB;
	case ET_EV_SYMLINK: return 1u << ET_W_SYMLINK;
	case ET_EV_LINK: return 1u << ET_W_LINK;
	case ET_EV_TRUNCATE: return 1u << ET_W_WRITE;
	}
	/* open: created (maybe, if O_CREAT), written, or just opened */
	return 1u << ET_W_OPEN |
	       ((c->flags & O_ACCMODE) || (c->flags & O_TRUNC) ?
		1u << ET_W_WRITE : 0) |
	       (c->flags & O_CREAT ? 1u << ET_W_CREATE : 0);
}

static __always_inline void fill_ev(struct file_scratch *s,
				    const struct file_call *c, long ret)
{
	struct et_file *ev = &s->ev;

	et_fill_hdr(&ev->hdr, c->type, 0);
	ev->flags = 0;
	ev->fd = -1;
	ev->open_flags = c->flags;
	ev->mode = c->mode;
	ev->dev = c->dev;
	ev->uid = c->uid;
	ev->gid = c->gid;
	ev->size = c->size;
	ev->fmode = 0;
	ev->rbytes = 0;
	ev->wbytes = 0;
	if (c->type == ET_EV_OPEN)
		ev->fd = ret;
	else if (!c->path)
		ev->fd = c->dfd;
}

/* Remember the mask of the open judged by et_file_verdict (a miss). */
static __always_inline void remember_verdict(struct file_scratch *s,
					     __u32 mask, __u32 len)
{
	if (!s->vkey_ok || mask == ~0u)	/* ~0: the agent decides */
		return;
	s->vkey_ok = 0;
	s->verdict.mask = mask;
	s->verdict.len = 0;
	if (len < ET_VPATH_MAX && !s->ev.flags) {
		len &= ET_VPATH_MAX - 1;
		barrier_var(len);
		if (len)
			bpf_probe_read_kernel(s->verdict.path, len, s->ev.data);
		s->verdict.len = len;
	}
	bpf_map_update_elem(&open_verdicts, &s->vkey, &s->verdict, BPF_ANY);
}

/*
 * The open of @fd (@c): 1 if a remembered verdict says it is not watched
 * for it; 0 to report it (c->matched set when a verdict says it is
 * watched, else et_file_report walks its path, decides and remembers).
 * Three reads and a lookup instead of a walk: the price of an open of a
 * file outside the watches, once its verdict is known.
 */
__noinline int et_file_verdict(struct file_call *c, int fd)
{
	struct file_scratch *s;
	struct open_verdict *v;
	struct qstr name;
	struct file *file;
	__u32 zero = 0, len;
	__u64 mnt, dentry;

	s = bpf_map_lookup_elem(&file_scratch, &zero);
	file = et_fd_file(fd);
	if (!c || !s || !file)
		return 0;
	s->vkey_ok = 0;
	s->vlen = 0;
	s->verdict.gen = *(volatile __u64 *)&et_path_gen;
	et_read_path(__builtin_preserve_access_index(&file->f_path),
		     &mnt, &dentry);
	s->vkey.mnt = mnt;
	s->vkey.dentry = dentry;
	s->vkey.parent = (__u64)et_dentry_step((void *)dentry, &name);
	s->vkey.hash_len = (__u64)name.len << 32 | name.hash;
	s->vkey_ok = 1;
	v = bpf_map_lookup_elem(&open_verdicts, &s->vkey);
	if (!v || v->gen != s->verdict.gen)
		return 0;
	s->vkey_ok = 0;
	if (!(v->mask & class_of(c)))
		return 1;
	c->matched = 1;
	len = v->len & (ET_VPATH_MAX - 1);	/* always below it */
	barrier_var(len);
	if (len) {
		bpf_probe_read_kernel(s->ev.data, len, v->path);
		s->vlen = len;
		s->vfmode = BPF_CORE_READ(file, f_mode);
	}
	return 0;
}

/*
 * Report the call @c that returned @ret (>= 0), if its path is watched
 * for it. A global function: the exit programs share one verified copy.
 */
__noinline int et_file_report(struct file_call *c, long ret)
{
	struct file_call call;
	struct file_scratch *s;
	__u32 zero = 0, len1, len2 = 0, mask;
	int pass;
	long n;

	if (!c)
		return 0;
	call = *c;
	s = bpf_map_lookup_elem(&file_scratch, &zero);
	if (!s) {
		et_count_drop(ET_DROP_SCRATCH);
		return 0;
	}
	fill_ev(s, &call, ret);
	n = -1;
	if (call.type == ET_EV_OPEN && call.matched && s->vlen) {
		n = s->vlen;	/* et_file_verdict put it in data[] */
		s->ev.data[n & FMASK] = '\0';
		s->ev.fmode = s->vfmode;
		s->vlen = 0;
	} else if (call.type == ET_EV_OPEN) {
		n = et_file_fd_path(s, 0, ret);
	}
	else if (!call.path)
		n = et_file_fd_path(s, 0, call.dfd);
	if (n < 0)
		n = et_file_build_path(s, 0, call.dfd, call.path,
				       ET_FILE_PATH_REL);
	len1 = n & FMASK;
	if (call.matched) {
		mask = ~0u;
		s->ev.flags |= ET_FILE_MATCHED;
	} else {
		mask = watch_mask(s, 0, len1);
		if (call.type == ET_EV_OPEN)
			remember_verdict(s, mask, len1);
	}
	pass = filter_path_ok(s, 0, len1);
	if (call.path2) {
		/* a symlink's target is not a path of this system's tree */
		if (call.type == ET_EV_SYMLINK) {
			__u32 off2 = len1 + 1;

			if (off2 > ET_PATH_MAX)
				off2 = ET_PATH_MAX;
			n = bpf_probe_read_user_str(&s->ev.data[off2 & DMASK],
						    ET_PATH_MAX, (void *)call.path2);
			len2 = n > 0 ? (n - 1) & FMASK : 0;
		} else {
			len2 = et_file_build_path(s, len1 + 1, call.dfd2,
						  call.path2,
						  ET_FILE_PATH2_REL) & FMASK;
			mask |= watch_mask(s, len1 + 1, len2);
			pass |= filter_path_ok(s, len1 + 1, len2);
		}
	}
	s->ev.data[(len1 + 1 + len2) & DMASK] = '\0';
	if (!(mask & class_of(&call)) || !pass)
		return 0;
	s->ev.path_len = len1;
	s->ev.path2_len = len2;
	n = ET_FILE_FIXED_SIZE + len1 + 1 + len2 + 1;
	if (n > sizeof(s->ev))	/* cannot happen; tells the verifier */
		return 0;
	s->ev.hdr.size = n;
	et_output(&s->ev, n);
	if (call.type == ET_EV_OPEN)
		io_track(ret);
	return 0;
}

static __always_inline int file_exit(long ret)
{
	struct file_call *c, call;
	__u32 tid = self_tid();

	c = bpf_map_lookup_elem(&file_calls, &tid);
	if (!c)
		return 0;
	call = *c;
	bpf_map_delete_elem(&file_calls, &tid);
	if (call.type == ET_EV_RENAME)
		__sync_fetch_and_add(&et_path_gen, 1);
	if (ret < 0 || call.quiet)
		return 0;
	if (call.type == ET_EV_OPEN && et_file_verdict(&call, ret))
		return 0;
	return et_file_report(&call, ret);
}

#define ARG(i)	(ctx->args[i])

/*
 * One exit program for every call: the loader attaches it to
 * sys_exit_NAME for each et_file_NAME enter program it attached (so the
 * object holds one copy of the path code, and the verifier checks it once).
 */
SEC("tracepoint")
int et_file_exit(struct syscall_trace_exit *ctx)
{
	return file_exit((long)(int)ctx->ret);
}

/* Opens: only those with write intent unless a watch asks for "open". */
/* Is an open with @flags reported at all (before its path is looked at)? */
static __always_inline int open_wanted(__u32 flags)
{
	return et_watch_open || (flags & (O_ACCMODE | O_CREAT | O_TRUNC));
}

/*
 * Opens on kernels without bpf_task_pt_regs: only those with write intent
 * unless a watch asks for "open". Whether the file is watched is decided
 * at exit, on its real path (et_file_verdict), so a symlink cannot lead an
 * open around a watch.
 */
static __always_inline void open_enter(int dfd, __u64 path, __u32 flags,
				       __u32 mode)
{
	struct file_call c = { .type = ET_EV_OPEN, .dfd = dfd, .path = path,
			       .flags = flags, .mode = mode };

	if (!open_wanted(flags))
		return;
	save_call(&c);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int et_file_openat(struct syscall_trace_enter *ctx)
{
	open_enter((int)ARG(0), ARG(1), ARG(2), ARG(3));
	return 0;
}

struct open_how {
	__u64 flags;
	__u64 mode;
	__u64 resolve;
};

SEC("tracepoint/syscalls/sys_enter_openat2")
int et_file_openat2(struct syscall_trace_enter *ctx)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (void *)ARG(2));
	open_enter((int)ARG(0), ARG(1), how.flags, how.mode);
	return 0;
}

/* The legacy calls (x86_64, arm; not arm64 or riscv64). */
SEC("tracepoint/syscalls/sys_enter_open")
int et_file_open(struct syscall_trace_enter *ctx)
{
	open_enter(AT_FDCWD, ARG(0), ARG(1), ARG(2));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_creat")
int et_file_creat(struct syscall_trace_enter *ctx)
{
	open_enter(AT_FDCWD, ARG(0), O_CREAT | O_TRUNC | 1, ARG(1));
	return 0;
}

#define ENTER(name)							\
	SEC("tracepoint/syscalls/sys_enter_" #name)			\
	int et_file_##name(struct syscall_trace_enter *ctx)

ENTER(unlinkat)
{
	struct file_call c = { .type = ARG(2) & AT_REMOVEDIR ? ET_EV_RMDIR :
				       ET_EV_UNLINK,
			       .dfd = ARG(0), .path = ARG(1) };

	save_call(&c);
	return 0;
}

ENTER(unlink)
{
	struct file_call c = { .type = ET_EV_UNLINK, .dfd = AT_FDCWD,
			       .path = ARG(0) };

	save_call(&c);
	return 0;
}

ENTER(rmdir)
{
	struct file_call c = { .type = ET_EV_RMDIR, .dfd = AT_FDCWD,
			       .path = ARG(0) };

	save_call(&c);
	return 0;
}

static __always_inline void rename_enter(int od, __u64 old, int nd, __u64 new)
{
	struct file_call c = { .type = ET_EV_RENAME, .dfd = od, .path = old,
			       .dfd2 = nd, .path2 = new };

	save_call(&c);
}

ENTER(rename)
{
	rename_enter(AT_FDCWD, ARG(0), AT_FDCWD, ARG(1));
	return 0;
}

ENTER(renameat)
{
	rename_enter(ARG(0), ARG(1), ARG(2), ARG(3));
	return 0;
}

ENTER(renameat2)
{
	rename_enter(ARG(0), ARG(1), ARG(2), ARG(3));
	return 0;
}

static __always_inline void mk_enter(__u32 type, int dfd, __u64 path,
				     __u32 mode, __u32 dev)
{
	struct file_call c = { .type = type, .dfd = dfd, .path = path,
			       .mode = mode, .dev = dev };

	save_call(&c);
}

ENTER(mkdir)
{
	mk_enter(ET_EV_MKDIR, AT_FDCWD, ARG(0), ARG(1), 0);
	return 0;
}

ENTER(mkdirat)
{
	mk_enter(ET_EV_MKDIR, ARG(0), ARG(1), ARG(2), 0);
	return 0;
}

ENTER(mknod)
{
	mk_enter(ET_EV_MKNOD, AT_FDCWD, ARG(0), ARG(1), ARG(2));
	return 0;
}

ENTER(mknodat)
{
	mk_enter(ET_EV_MKNOD, ARG(0), ARG(1), ARG(2), ARG(3));
	return 0;
}

ENTER(chmod)
{
	mk_enter(ET_EV_CHMOD, AT_FDCWD, ARG(0), ARG(1), 0);
	return 0;
}

ENTER(fchmod)
{
	mk_enter(ET_EV_CHMOD, ARG(0), 0, ARG(1), 0);
	return 0;
}

ENTER(fchmodat)
{
	mk_enter(ET_EV_CHMOD, ARG(0), ARG(1), ARG(2), 0);
	return 0;
}

ENTER(fchmodat2)
{
	mk_enter(ET_EV_CHMOD, ARG(0), ARG(1), ARG(2), 0);
	return 0;
}

static __always_inline void chown_enter(int dfd, __u64 path, __u32 uid,
					__u32 gid)
{
	struct file_call c = { .type = ET_EV_CHOWN, .dfd = dfd, .path = path,
			       .uid = uid, .gid = gid };

	save_call(&c);
}

ENTER(chown)
{
	chown_enter(AT_FDCWD, ARG(0), ARG(1), ARG(2));
	return 0;
}

ENTER(lchown)
{
	chown_enter(AT_FDCWD, ARG(0), ARG(1), ARG(2));
	return 0;
}

ENTER(fchown)
{
	chown_enter(ARG(0), 0, ARG(1), ARG(2));
	return 0;
}

ENTER(fchownat)
{
	chown_enter(ARG(0), ARG(1), ARG(2), ARG(3));
	return 0;
}

/* symlink(target, linkpath): path is the new link, path2 the target. */
ENTER(symlink)
{
	struct file_call c = { .type = ET_EV_SYMLINK, .dfd = AT_FDCWD,
			       .path = ARG(1), .path2 = ARG(0) };

	save_call(&c);
	return 0;
}

ENTER(symlinkat)
{
	struct file_call c = { .type = ET_EV_SYMLINK, .dfd = ARG(1),
			       .path = ARG(2), .path2 = ARG(0) };

	save_call(&c);
	return 0;
}

/* link(old, new): path is the new link, path2 the existing file. */
ENTER(link)
{
	struct file_call c = { .type = ET_EV_LINK, .dfd = AT_FDCWD,
			       .path = ARG(1), .dfd2 = AT_FDCWD,
			       .path2 = ARG(0) };

	save_call(&c);
	return 0;
}

ENTER(linkat)
{
	struct file_call c = { .type = ET_EV_LINK, .dfd = ARG(2),
			       .path = ARG(3), .dfd2 = ARG(0),
			       .path2 = ARG(1) };

	save_call(&c);
	return 0;
}

ENTER(truncate)
{
	struct file_call c = { .type = ET_EV_TRUNCATE, .dfd = AT_FDCWD,
			       .path = ARG(0), .size = ARG(1) };

	save_call(&c);
	return 0;
}

ENTER(ftruncate)
{
	struct file_call c = { .type = ET_EV_TRUNCATE, .dfd = ARG(0),
			       .size = ARG(1) };

	save_call(&c);
	return 0;
}

/* Reads and writes of tracked files (see io_track). */
static __always_inline int io_enter(long fd, __u32 write)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct io_key k = { id >> 32, fd };
	struct io_call c = { fd, write };
	__u32 tid = (__u32)id;

	if (!et_io_track || !bpf_map_lookup_elem(&file_io, &k))
		return 0;
	bpf_map_update_elem(&io_calls, &tid, &c, BPF_ANY);
	return 0;
}

SEC("tracepoint")
int et_io_exit(struct syscall_trace_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	long ret = (long)(int)ctx->ret;
	__u32 tid = (__u32)id;
	struct io_count *n;
	struct io_call *c;
	struct io_key k;

	c = bpf_map_lookup_elem(&io_calls, &tid);
	if (!c)
		return 0;
	k.tgid = id >> 32;
	k.fd = c->fd;
	if (c->write) {
		bpf_map_delete_elem(&io_calls, &tid);
		n = bpf_map_lookup_elem(&file_io, &k);
		if (n && ret > 0)
			__sync_fetch_and_add(&n->wbytes, ret);
		return 0;
	}
	bpf_map_delete_elem(&io_calls, &tid);
	n = bpf_map_lookup_elem(&file_io, &k);
	if (n && ret > 0)
		__sync_fetch_and_add(&n->rbytes, ret);
	return 0;
}

#define IO_ENTER(name, write)						\
	SEC("tracepoint/syscalls/sys_enter_" #name)			\
	int et_io_##name(struct syscall_trace_enter *ctx)		\
	{								\
		return io_enter((int)ARG(0), write);			\
	}

IO_ENTER(read, 0)
IO_ENTER(pread64, 0)
IO_ENTER(readv, 0)
IO_ENTER(preadv, 0)
IO_ENTER(write, 1)
IO_ENTER(pwrite64, 1)
IO_ENTER(writev, 1)
IO_ENTER(pwritev, 1)

/* close of a tracked file: its totals, with its path, once. */
SEC("tracepoint/syscalls/sys_enter_close")
int et_close_io(struct syscall_trace_enter *ctx)
{
	struct io_key k = { bpf_get_current_pid_tgid() >> 32, (int)ARG(0) };
	struct file_scratch *s;
	struct io_count *n, c;
	__u32 zero = 0;
	long len;

	if (!et_io_track)
		return 0;
	n = bpf_map_lookup_elem(&file_io, &k);
	if (!n)
		return 0;
	c = *n;
	bpf_map_delete_elem(&file_io, &k);
	s = bpf_map_lookup_elem(&file_scratch, &zero);
	if (!s) {
		et_count_drop(ET_DROP_SCRATCH);
		return 0;
	}
	et_fill_hdr(&s->ev.hdr, ET_EV_CLOSE, 0);
	s->ev.flags = 0;
	s->ev.fd = k.fd;
	s->ev.open_flags = 0;
	s->ev.mode = 0;
	s->ev.dev = 0;
	s->ev.uid = 0;
	s->ev.gid = 0;
	s->ev.size = 0;
	s->ev.rbytes = c.rbytes;
	s->ev.wbytes = c.wbytes;
	len = et_file_fd_path(s, 0, k.fd);
	if (len < 0) {
		len = 0;
		s->ev.data[0] = '\0';
		s->ev.flags |= ET_FILE_PATH_REL;
	}
	len &= FMASK;
	if (!filter_path_ok(s, 0, len))
		return 0;
	s->ev.fmode = 0;
	s->ev.path_len = len;
	s->ev.path2_len = 0;
	s->ev.data[(len + 1) & DMASK] = '\0';
	s->ev.hdr.size = ET_FILE_FIXED_SIZE + len + 2;
	et_output(&s->ev, ET_FILE_FIXED_SIZE + len + 2);
	return 0;
}

/*
 * Opens with one program instead of two (kernels with bpf_task_pt_regs,
 * 5.15 and later; the loader picks these or the et_file_open* pairs): the
 * exit program reads the arguments from the task's saved registers, so an
 * open costs one tracepoint call, not two and a map update. The registers
 * are loaded directly through the BTF pointer the helper returns, except
 * on 32-bit arm, where a register is narrower than the BPF load.
 */
/*
 * REGS_OK: this kernel's registers have the fields named below (always on
 * the architecture built for; false when another architecture's object is
 * put through this kernel's verifier by test_bpf_objects, which then
 * checks the rest of the program).
 */
#if defined(__TARGET_ARCH_x86)
#define REGS_OK()	bpf_core_field_exists(((struct pt_regs___et *)0)->r10)
#define SYSARG0(r)	(((struct pt_regs___et *)(r))->di)
#define SYSARG1(r)	(((struct pt_regs___et *)(r))->si)
#define SYSARG2(r)	(((struct pt_regs___et *)(r))->dx)
#define SYSARG3(r)	(((struct pt_regs___et *)(r))->r10)
#elif defined(__TARGET_ARCH_arm64)
#define REGS_OK()	bpf_core_field_exists(((struct pt_regs___et *)0)->orig_x0)
#define SYSARG0(r)	(((struct pt_regs___et *)(r))->orig_x0)
#define SYSARG1(r)	(((struct user_pt_regs___et *)(r))->regs[1])
#define SYSARG2(r)	(((struct user_pt_regs___et *)(r))->regs[2])
#define SYSARG3(r)	(((struct user_pt_regs___et *)(r))->regs[3])
#elif defined(__TARGET_ARCH_arm)
#define REGS_OK()	bpf_core_field_exists(((struct pt_regs___et *)0)->uregs)
#define SYSARG0(r)	ET_READ_WORD((struct pt_regs___et *)(r), uregs[17])
#define SYSARG1(r)	ET_READ_WORD((struct pt_regs___et *)(r), uregs[1])
#define SYSARG2(r)	ET_READ_WORD((struct pt_regs___et *)(r), uregs[2])
#define SYSARG3(r)	ET_READ_WORD((struct pt_regs___et *)(r), uregs[3])
#elif defined(__TARGET_ARCH_riscv)
#define REGS_OK()	bpf_core_field_exists(((struct pt_regs___et *)0)->orig_a0)
#define SYSARG0(r)	(((struct pt_regs___et *)(r))->orig_a0)
#define SYSARG1(r)	(((struct pt_regs___et *)(r))->a1)
#define SYSARG2(r)	(((struct pt_regs___et *)(r))->a2)
#define SYSARG3(r)	(((struct pt_regs___et *)(r))->a3)
#endif

/* The common exit of an open whose arguments come from the registers. */
static __always_inline int open_exit(long ret, int dfd, __u64 path,
				     __u32 flags, __u32 mode)
{
	struct file_call c = { .type = ET_EV_OPEN, .dfd = dfd, .path = path,
			       .flags = flags, .mode = mode };

	if (ret < 0 || !open_wanted(flags))
		return 0;
	if (is_self() || !wanted_now(ET_EV_OPEN))
		return 0;
	if (et_file_verdict(&c, ret))
		return 0;
	return et_file_report(&c, ret);
}

#define REGS()	((void *)bpf_task_pt_regs((struct task_struct *)\
					  bpf_get_current_task_btf()))

SEC("tracepoint/syscalls/sys_exit_openat")
int et_fx_openat(struct syscall_trace_exit *ctx)
{
	long ret = (long)(int)ctx->ret;
	void *r;
	__u32 flags;

	if (ret < 0 || !REGS_OK())
		return 0;
	r = REGS();
	/* the flags first: most opens stop here */
	flags = SYSARG2(r);
	if (!open_wanted(flags))
		return 0;
	return open_exit(ret, (int)SYSARG0(r), SYSARG1(r), flags, SYSARG3(r));
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int et_fx_openat2(struct syscall_trace_exit *ctx)
{
	void *r = REGS();
	struct open_how how = {};

	if (!REGS_OK())
		return 0;
	bpf_probe_read_user(&how, sizeof(how), (void *)SYSARG2(r));
	return open_exit((long)(int)ctx->ret, (int)SYSARG0(r), SYSARG1(r),
			 how.flags, how.mode);
}

SEC("tracepoint/syscalls/sys_exit_open")
int et_fx_open(struct syscall_trace_exit *ctx)
{
	long ret = (long)(int)ctx->ret;
	void *r;
	__u32 flags;

	if (ret < 0 || !REGS_OK())
		return 0;
	r = REGS();
	flags = SYSARG1(r);
	if (!open_wanted(flags))
		return 0;
	return open_exit(ret, AT_FDCWD, SYSARG0(r), flags, SYSARG2(r));
}

SEC("tracepoint/syscalls/sys_exit_creat")
int et_fx_creat(struct syscall_trace_exit *ctx)
{
	void *r = REGS();

	if (!REGS_OK())
		return 0;
	return open_exit((long)(int)ctx->ret, AT_FDCWD, SYSARG0(r),
			 O_CREAT | O_TRUNC | 1, SYSARG1(r));
}

/*
 * A mount, unmount or pivot_root changes the paths of files already
 * judged: every open verdict taken before is stale.
 */
#define MOUNT_GEN(name)							\
	SEC("tracepoint/syscalls/sys_exit_" #name)			\
	int et_gen_##name(struct syscall_trace_exit *ctx)		\
	{								\
		if (ctx->ret == 0)					\
			__sync_fetch_and_add(&et_path_gen, 1);		\
		return 0;						\
	}

MOUNT_GEN(mount)
MOUNT_GEN(umount)
MOUNT_GEN(move_mount)
MOUNT_GEN(pivot_root)
