// SPDX-License-Identifier: GPL-2.0
/*
 * cred.bpf.c - the setuid and setgid families.
 *
 * One program per syscall on its syscalls:sys_exit_* tracepoint: these
 * fire only for their own syscall (no cost to any other), and their names
 * are the same on every architecture (on 32-bit ARM, setuid32 is
 * sys_setuid; the 16-bit legacy calls are not traced). On success the
 * event carries the credentials as they are now, read from the task:
 * what the process became, whatever the arguments were.
 */
#include "common.bpf.h"

static __always_inline int cred_event(struct syscall_trace_exit *ctx,
				      __u32 type, __u32 call)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	const struct cred *cred;
	struct et_cred ev = {};

	/* setfsuid/setfsgid return the old id: they never "fail" */
	if (ctx->ret != 0 && call != ET_CRED_SETFSUID &&
	    call != ET_CRED_SETFSGID)
		return 0;
	et_fill_hdr(&ev.hdr, type, sizeof(ev));
	cred = ET_READ_PTR(task, cred);
	ev.call = call;
	ev.uid = BPF_CORE_READ(cred, uid.val);
	ev.euid = BPF_CORE_READ(cred, euid.val);
	ev.suid = BPF_CORE_READ(cred, suid.val);
	ev.fsuid = BPF_CORE_READ(cred, fsuid.val);
	ev.gid = BPF_CORE_READ(cred, gid.val);
	ev.egid = BPF_CORE_READ(cred, egid.val);
	ev.sgid = BPF_CORE_READ(cred, sgid.val);
	ev.fsgid = BPF_CORE_READ(cred, fsgid.val);
	et_output(&ev, sizeof(ev));
	return 0;
}

#define CRED_PROG(name, type, call)					\
	SEC("tracepoint/syscalls/sys_exit_" #name)			\
	int et_##name(struct syscall_trace_exit *ctx)			\
	{								\
		return cred_event(ctx, type, call);			\
	}

CRED_PROG(setuid, ET_EV_SETUID, ET_CRED_SETUID)
CRED_PROG(setreuid, ET_EV_SETUID, ET_CRED_SETREUID)
CRED_PROG(setresuid, ET_EV_SETUID, ET_CRED_SETRESUID)
CRED_PROG(setfsuid, ET_EV_SETUID, ET_CRED_SETFSUID)
CRED_PROG(setgid, ET_EV_SETGID, ET_CRED_SETGID)
CRED_PROG(setregid, ET_EV_SETGID, ET_CRED_SETREGID)
CRED_PROG(setresgid, ET_EV_SETGID, ET_CRED_SETRESGID)
CRED_PROG(setfsgid, ET_EV_SETGID, ET_CRED_SETFSGID)
