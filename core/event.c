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
	       SAME_TYPE(PTRACE) && SAME_TYPE(MODULE) && SAME_TYPE(GAP),
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
	set_u32(r, ET_F_PPID, &r->ppid, ev->ppid);
	set_u32(r, ET_F_UID, &r->uid, ev->uid);
	set_u32(r, ET_F_GID, &r->gid, ev->gid);
	set_u32(r, ET_F_EUID, &r->euid, ev->euid);
	set_u32(r, ET_F_EGID, &r->egid, ev->egid);
	set_u32(r, ET_F_SID, &r->sid, ev->sid);
	set_u32(r, ET_F_FLAGS, &r->ev_flags, ev->flags);
	set_str(r, ET_F_ARGS, &r->args, p, ev->args_len);
	p += ev->args_len;
	set_str(r, ET_F_FILENAME, &r->filename, p, ev->filename_len);
	p += ev->filename_len + 1;
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
	set_u32(r, ET_F_FLAGS, &r->ev_flags, ev->flags);
	return 0;
}

static int exit_to_record(const struct et_exit *ev, size_t size,
			  struct et_record *r)
{
	if (size != sizeof(*ev))
		return -1;
	set_u32(r, ET_F_PPID, &r->ppid, ev->ppid);
	set_u32(r, ET_F_STATUS, &r->status, ev->code);
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
	return -1;
}
