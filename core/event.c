// SPDX-License-Identifier: GPL-2.0
/*
 * event.c - turn the probes' ring buffer events (bpf/edgetrace.h) into
 * records (storage/storage.h).
 *
 * The kernel side is trusted to be ours but not to be bug-free: every
 * length is checked against the event's size before it is used, and a bad
 * event is refused rather than read past its end.
 */
#include <linux/types.h>
#include <string.h>

#include "core.h"
#include "edgetrace.h"

static size_t strnlen_bounded(const char *s, size_t max)
{
	const char *nul = memchr(s, '\0', max);

	return nul ? (size_t)(nul - s) : max;
}

static int exec_to_record(const void *data, size_t size,
			  uint64_t mono_to_real, struct et_record *r)
{
	const struct et_exec *ev = data;

	if (size < ET_EXEC_FIXED_SIZE ||
	    ev->args_len > sizeof(ev->args) ||
	    ev->filename_len >= sizeof(ev->filename) ||
	    ET_EXEC_FIXED_SIZE + ev->exe_len > size)
		return -1;
	memset(r, 0, sizeof(*r));
	r->type = ET_REC_EXEC;
	r->ts = ev->hdr.ts + mono_to_real;
	r->pid = ev->hdr.pid;
	r->tid = ev->hdr.tid;
	r->ppid = ev->ppid;
	r->uid = ev->uid;
	r->gid = ev->gid;
	r->exec_flags = ev->flags;
	r->comm.p = ev->comm;
	r->comm.len = strnlen_bounded(ev->comm, sizeof(ev->comm));
	r->exe.p = ev->exe;
	r->exe.len = ev->exe_len;
	r->filename.p = ev->filename;
	r->filename.len = ev->filename_len;
	r->args.p = ev->args;
	r->args.len = ev->args_len;
	et_record_set(r, ET_F_PPID);
	et_record_set(r, ET_F_UID);
	et_record_set(r, ET_F_GID);
	et_record_set(r, ET_F_EXEC_FLAGS);
	et_record_set(r, ET_F_COMM);
	et_record_set(r, ET_F_EXE);
	et_record_set(r, ET_F_FILENAME);
	et_record_set(r, ET_F_ARGS);
	return 0;
}

int et_event_to_record(const void *data, size_t size, uint64_t mono_to_real,
		       struct et_record *r)
{
	const struct et_hdr *hdr = data;

	if (size < sizeof(*hdr) || hdr->size != size)
		return -1;
	switch (hdr->type) {
	case ET_EV_EXEC:
		return exec_to_record(data, size, mono_to_real, r);
	}
	return -1;
}
