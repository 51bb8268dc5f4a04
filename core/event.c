// SPDX-License-Identifier: GPL-2.0
/*
 * event.c - turn the probes' ring buffer events (bpf/edgetrace.h) into
 * records (storage/storage.h).
 *
 * The kernel side is trusted to be ours but not to be bug-free: every
 * length is checked against the event's size before it is used, and a bad
 * event is refused rather than read past its end. Strings in the record
 * point into the event, or into @scratch for the few that are rewritten
 * (the tty name).
 */
#include <linux/types.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "edgetrace.h"

/* Records keep the event type numbers; storage/ cannot include bpf/. */
#define SAME_TYPE(t) ((int)ET_REC_##t == (int)ET_EV_##t)
_Static_assert(SAME_TYPE(EXEC) && SAME_TYPE(EXIT) && SAME_TYPE(FORK) &&
	       SAME_TYPE(SETUID) && SAME_TYPE(SETGID) && SAME_TYPE(SIGNAL) &&
	       SAME_TYPE(PTRACE) && SAME_TYPE(MODULE) && SAME_TYPE(GAP) &&
	       SAME_TYPE(OPEN) && SAME_TYPE(CLOSE) && SAME_TYPE(CONNECT) &&
	       SAME_TYPE(SOCK_CLOSE),
	       "record and event types differ");

static size_t strnlen_bounded(const char *s, size_t max)
{
	const char *nul = memchr(s, '\0', max);

	return nul ? (size_t)(nul - s) : max;
}

static void set_str(struct et_record *r, enum et_field f, struct et_str *dst,
		    const char *p, size_t len)
{
	dst->p = p;
	dst->len = len;
	et_record_set(r, f);
}

static void set_u32(struct et_record *r, enum et_field f, uint32_t *dst,
		    uint32_t v)
{
	*dst = v;
	et_record_set(r, f);
}

/* The header's fields, common to every event. */
static void from_hdr(const struct et_hdr *h, uint64_t mono_to_real,
		     struct et_record *r)
{
	memset(r, 0, sizeof(*r));
	r->type = h->type;
	r->ts = h->ts + mono_to_real;
	r->pid = h->pid;
	r->tid = h->tid;
	set_str(r, ET_F_COMM, &r->comm, h->comm,
		strnlen_bounded(h->comm, sizeof(h->comm)));
	if (h->cgroup_id) {
		r->cgroup = h->cgroup_id;
		et_record_set(r, ET_F_CGROUP);
	}
}

/* The kernel names pseudo-terminals "pts3"; /dev and users say "pts/3". */
static void set_tty(struct et_record *r, const char *name, size_t len,
		    struct et_scratch *scratch)
{
	size_t n;

	if (!len)
		return;
	if (len > 3 && !memcmp(name, "pts", 3) && name[3] >= '0' &&
	    name[3] <= '9') {
		n = snprintf(scratch->tty, sizeof(scratch->tty), "pts/%.*s",
			     (int)(len - 3), name + 3);
		if (n >= sizeof(scratch->tty))
			n = sizeof(scratch->tty) - 1;
		set_str(r, ET_F_TTY, &r->tty, scratch->tty, n);
		return;
	}
	set_str(r, ET_F_TTY, &r->tty, name, len);
}

/* The packed strings of an exec: argv, filename, exe, cwd. */
static int exec_to_record(const struct et_exec *ev, size_t size,
			  struct et_record *r, struct et_scratch *scratch)
{
	size_t used = (size_t)ev->args_len + ev->filename_len + 1 +
		      ev->exe_len + 1 + ev->cwd_len + 1;
	const char *p = ev->data;

	if (size < ET_EXEC_FIXED_SIZE || ev->args_len > CONFIG_EXEC_ARGV_BYTES ||
	    ev->filename_len >= ET_FILENAME_MAX ||
	    ET_EXEC_FIXED_SIZE + used != size)
		return -1;
	set_u32(r, ET_F_UID, &r->uid, ev->uid);
	set_u32(r, ET_F_GID, &r->gid, ev->gid);
	set_u32(r, ET_F_FLAGS, &r->ev_flags,
		ev->flags & ~(ET_EXEC_REDUCED | ET_EXEC_ARGS_NONE));
	if (!(ev->flags & ET_EXEC_ARGS_NONE))
		set_str(r, ET_F_ARGS, &r->args, p, ev->args_len);
	p += ev->args_len;
	set_str(r, ET_F_FILENAME, &r->filename, p, ev->filename_len);
	p += ev->filename_len + 1;
	if (ev->flags & ET_EXEC_REDUCED) {	/* the rest was not read */
		r->flags |= ET_REC_FLAG_REDUCED;
		return 0;
	}
	set_u32(r, ET_F_PPID, &r->ppid, ev->ppid);
	set_u32(r, ET_F_EUID, &r->euid, ev->euid);
	set_u32(r, ET_F_EGID, &r->egid, ev->egid);
	set_u32(r, ET_F_SID, &r->sid, ev->sid);
	set_str(r, ET_F_EXE, &r->exe, p, ev->exe_len);
	p += ev->exe_len + 1;
	set_str(r, ET_F_CWD, &r->cwd, p, ev->cwd_len);
	set_tty(r, ev->tty, strnlen_bounded(ev->tty, sizeof(ev->tty)), scratch);
	return 0;
}

static int fork_to_record(const struct et_fork *ev, size_t size,
			  struct et_record *r)
{
	if (size != sizeof(*ev))
		return -1;
	set_u32(r, ET_F_PPID, &r->ppid, ev->ppid);
	set_u32(r, ET_F_FLAGS, &r->ev_flags, ev->flags & ~ET_FORK_REDUCED);
	if (ev->flags & ET_FORK_REDUCED)
		r->flags |= ET_REC_FLAG_REDUCED;
	return 0;
}

static int exit_to_record(const struct et_exit *ev, size_t size,
			  struct et_record *r)
{
	if (size != sizeof(*ev))
		return -1;
	if (!(ev->flags & ET_EXIT_NO_STATUS))
		set_u32(r, ET_F_STATUS, &r->status, ev->code);
	if (ev->flags & ET_EXIT_REDUCED) {	/* no ppid, lifetime */
		r->flags |= ET_REC_FLAG_REDUCED;
		return 0;
	}
	set_u32(r, ET_F_PPID, &r->ppid, ev->ppid);
	r->lifetime = ev->lifetime_ns;
	et_record_set(r, ET_F_LIFETIME);
	return 0;
}

static int cred_to_record(const struct et_cred *ev, size_t size,
			  struct et_record *r)
{
	if (size != sizeof(*ev))
		return -1;
	set_u32(r, ET_F_CALL, &r->call, ev->call);
	set_u32(r, ET_F_UID, &r->uid, ev->uid);
	set_u32(r, ET_F_EUID, &r->euid, ev->euid);
	set_u32(r, ET_F_SUID, &r->suid, ev->suid);
	set_u32(r, ET_F_FSUID, &r->fsuid, ev->fsuid);
	set_u32(r, ET_F_GID, &r->gid, ev->gid);
	set_u32(r, ET_F_EGID, &r->egid, ev->egid);
	set_u32(r, ET_F_SGID, &r->sgid, ev->sgid);
	set_u32(r, ET_F_FSGID, &r->fsgid, ev->fsgid);
	return 0;
}

static int signal_to_record(const struct et_signal *ev, size_t size,
			    struct et_record *r)
{
	if (size != sizeof(*ev))
		return -1;
	set_u32(r, ET_F_SIG, &r->sig, ev->sig);
	set_u32(r, ET_F_TARGET_PID, &r->target_pid, ev->target_pid);
	set_u32(r, ET_F_TARGET_TID, &r->target_tid, ev->target_tid);
	r->sigcode = ev->code;
	r->result = ev->result;
	et_record_set(r, ET_F_SIGCODE);
	et_record_set(r, ET_F_RESULT);
	return 0;
}

static int ptrace_to_record(const struct et_ptrace *ev, size_t size,
			    struct et_record *r)
{
	if (size != sizeof(*ev))
		return -1;
	set_u32(r, ET_F_CALL, &r->call, ev->request);
	set_u32(r, ET_F_TARGET_PID, &r->target_pid, ev->target_pid);
	return 0;
}

static int module_to_record(const struct et_module *ev, size_t size,
			    struct et_record *r)
{
	if (size != sizeof(*ev))
		return -1;
	set_str(r, ET_F_MODULE, &r->module, ev->name,
		strnlen_bounded(ev->name, sizeof(ev->name)));
	return 0;
}

/*
 * FMODE_CREATED, the f_mode bit an open that created its file gets
 * (since 4.19). It is a #define, in no ABI and not in BTF; it has been
 * 0x100000 from 4.19 to 6.18 at least (checked on 6.18 by test_file).
 */
#define FMODE_CREATED	0x100000u

size_t et_path_normalize(const char *in, size_t len, char *out)
{
	size_t o = 0, i = 0;

	while (i < len) {
		size_t start, n;

		while (i < len && in[i] == '/')
			i++;
		start = i;
		while (i < len && in[i] != '/')
			i++;
		n = i - start;
		if (!n || (n == 1 && in[start] == '.'))
			continue;
		if (n == 2 && in[start] == '.' && in[start + 1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;	/* the slash before it */
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, in + start, n);
		o += n;
	}
	if (!o)
		out[o++] = '/';
	out[o] = '\0';
	return o;
}

/* A path of a file event: normalised when absolute, as given if not. */
static void set_path(struct et_record *r, enum et_field f, struct et_str *dst,
		     const char *p, size_t len, char *buf)
{
	if (len && p[0] == '/')
		set_str(r, f, dst, buf, et_path_normalize(p, len, buf));
	else
		set_str(r, f, dst, p, len);
}

static int file_to_record(const struct et_file *ev, size_t size,
			  struct et_record *r, struct et_scratch *scratch)
{
	size_t used = (size_t)ev->path_len + 1 + ev->path2_len + 1;
	const char *p = ev->data;

	if (size < ET_FILE_FIXED_SIZE || ev->path_len >= ET_PATH_MAX ||
	    ev->path2_len >= ET_PATH_MAX || ET_FILE_FIXED_SIZE + used != size)
		return -1;
	set_u32(r, ET_F_FLAGS, &r->ev_flags, ev->flags & ~ET_FILE_CREATED);
	if (r->type == ET_EV_OPEN && (ev->fmode & FMODE_CREATED))
		r->ev_flags |= ET_FILE_CREATED;
	set_path(r, ET_F_PATH, &r->path, p, ev->path_len, scratch->path);
	if (ev->path2_len || r->type == ET_EV_SYMLINK) {
		p += ev->path_len + 1;
		/* a symlink's target is stored as given: it is not resolved */
		if (r->type == ET_EV_SYMLINK)
			set_str(r, ET_F_PATH2, &r->path2, p, ev->path2_len);
		else
			set_path(r, ET_F_PATH2, &r->path2, p, ev->path2_len,
				 scratch->path2);
	}
	switch (r->type) {
	case ET_EV_OPEN:
		set_u32(r, ET_F_OPEN_FLAGS, &r->open_flags, ev->open_flags);
		set_u32(r, ET_F_MODE, &r->mode, ev->mode);
		break;
	case ET_EV_MKDIR:
	case ET_EV_CHMOD:
		set_u32(r, ET_F_MODE, &r->mode, ev->mode);
		break;
	case ET_EV_MKNOD:
		set_u32(r, ET_F_MODE, &r->mode, ev->mode);
		set_u32(r, ET_F_DEV, &r->dev, ev->dev);
		break;
	case ET_EV_CHOWN:
		set_u32(r, ET_F_OWNER_UID, &r->owner_uid, ev->uid);
		set_u32(r, ET_F_OWNER_GID, &r->owner_gid, ev->gid);
		break;
	case ET_EV_TRUNCATE:
		r->size = ev->size;
		et_record_set(r, ET_F_SIZE);
		break;
	case ET_EV_CLOSE:
		r->rbytes = ev->rbytes;
		r->wbytes = ev->wbytes;
		et_record_set(r, ET_F_RBYTES);
		et_record_set(r, ET_F_WBYTES);
		break;
	}
	if (ev->fd >= 0) {
		r->fd = ev->fd;
		et_record_set(r, ET_F_FD);
	}
	return 0;
}

static void set_addr(struct et_record *r, enum et_field f, struct et_str *dst,
		     const __u8 *addr, unsigned int family)
{
	set_str(r, f, dst, (const char *)addr, family == 10 ? 16 : 4);
}

static int net_to_record(const struct et_net *ev, size_t size,
			 struct et_record *r)
{
	if (size != sizeof(*ev))
		return -1;
	set_u32(r, ET_F_FLAGS, &r->ev_flags, ev->flags);
	set_u32(r, ET_F_FAMILY, &r->family, ev->family);
	set_u32(r, ET_F_SOCKTYPE, &r->socktype, ev->type);
	if (ev->fd >= 0) {
		r->fd = ev->fd;
		et_record_set(r, ET_F_FD);
	}
	if (r->type == ET_EV_CONNECT) {
		r->result = ev->result;
		et_record_set(r, ET_F_RESULT);
	}
	if (ev->family == 1) {	/* AF_UNIX */
		set_str(r, ET_F_PATH, &r->path, ev->path,
			strnlen_bounded(ev->path, sizeof(ev->path)));
	} else {
		set_u32(r, ET_F_PROTO, &r->proto, ev->proto);
		set_addr(r, ET_F_SADDR, &r->saddr, ev->saddr, ev->family);
		set_addr(r, ET_F_DADDR, &r->daddr, ev->daddr, ev->family);
		set_u32(r, ET_F_SPORT, &r->sport, ev->sport);
		set_u32(r, ET_F_DPORT, &r->dport, ev->dport);
	}
	if (r->type == ET_EV_LISTEN)
		set_u32(r, ET_F_BACKLOG, &r->backlog, ev->backlog);
	if (r->type == ET_EV_SOCK_CLOSE) {
		r->rbytes = ev->received;
		r->wbytes = ev->sent;
		r->duration = ev->duration_ns;
		et_record_set(r, ET_F_RBYTES);
		et_record_set(r, ET_F_WBYTES);
		et_record_set(r, ET_F_DURATION);
	}
	return 0;
}

int et_event_to_record(const void *data, size_t size, uint64_t mono_to_real,
		       struct et_record *r, struct et_scratch *scratch)
{
	const struct et_hdr *hdr = data;

	if (size < sizeof(*hdr) || hdr->size != size)
		return -1;
	from_hdr(hdr, mono_to_real, r);
	switch (hdr->type) {
	case ET_EV_EXEC:
		return exec_to_record(data, size, r, scratch);
	case ET_EV_FORK:
		return fork_to_record(data, size, r);
	case ET_EV_EXIT:
		return exit_to_record(data, size, r);
	case ET_EV_SETUID:
	case ET_EV_SETGID:
		return cred_to_record(data, size, r);
	case ET_EV_SIGNAL:
		return signal_to_record(data, size, r);
	case ET_EV_PTRACE:
		return ptrace_to_record(data, size, r);
	case ET_EV_MODULE:
		return module_to_record(data, size, r);
	}
	if (hdr->type >= ET_EV_OPEN && hdr->type <= ET_EV_CLOSE)
		return file_to_record(data, size, r, scratch);
	if (hdr->type >= ET_EV_CONNECT && hdr->type <= ET_EV_SOCK_CLOSE)
		return net_to_record(data, size, r);
	return -1;
}
