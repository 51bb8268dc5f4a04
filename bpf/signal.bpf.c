// SPDX-License-Identifier: GPL-2.0
/*
 * signal.bpf.c - signals sent, and ptrace attach.
 *
 * Signals: the signal_generate raw tracepoint fires wherever the kernel
 * queues a signal, with the sender as the current task. Only signals a
 * process sent are kept: si_code SI_USER (kill), SI_QUEUE (sigqueue) and
 * SI_TKILL (tkill, tgkill). The kernel's own (SIGCHLD at exit, SIGSEGV,
 * SIGPIPE, timers) pass, and so do the special info values
 * SEND_SIG_NOINFO and SEND_SIG_PRIV (0 and 1), which the kernel uses for
 * its internal sends. A kill that fails (no such process, no permission)
 * generates nothing, so only signals that were sent are reported.
 *
 * ptrace: there is no ptrace tracepoint, so the request and target are
 * kept at syscalls:sys_enter_ptrace (only for ATTACH, SEIZE and TRACEME)
 * in a small map keyed by thread, and reported at sys_exit_ptrace if the
 * call succeeded.
 */
#include "common.bpf.h"

#define SI_USER		0
#define SI_QUEUE	(-1)
#define SI_TKILL	(-6)

#define PTRACE_TRACEME	0
#define PTRACE_ATTACH	16
#define PTRACE_SEIZE	0x4206

#ifdef CONFIG_PROBE_SIGNAL
SEC("raw_tracepoint/signal_generate")
int et_signal(struct bpf_raw_tracepoint_args *ctx)
{
	struct kernel_siginfo *info = (void *)ctx->args[1];
	struct task_struct *target = (void *)ctx->args[2];
	struct et_signal ev = {};
	int code;

	if ((unsigned long)info <= 1)	/* SEND_SIG_NOINFO, SEND_SIG_PRIV */
		return 0;
	code = BPF_CORE_READ(info, si_code);
	if (code != SI_USER && code != SI_QUEUE && code != SI_TKILL)
		return 0;
	et_fill_hdr(&ev.hdr, ET_EV_SIGNAL, sizeof(ev));
	ev.sig = (__u32)ctx->args[0];
	ev.code = code;
	ev.result = (__s32)ctx->args[4];
	ev.target_pid = BPF_CORE_READ(target, tgid);
	ev.target_tid = BPF_CORE_READ(target, pid);
	et_output(&ev, sizeof(ev));
	return 0;
}
#endif

#ifdef CONFIG_PROBE_PTRACE
struct ptrace_call {
	__u32 request;
	__u32 pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct ptrace_call);
} ptrace_calls SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_ptrace")
int et_ptrace_enter(struct syscall_trace_enter *ctx)
{
	struct ptrace_call call = {
		.request = (__u32)ctx->args[0],
		.pid = (__u32)ctx->args[1],
	};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (call.request != PTRACE_ATTACH && call.request != PTRACE_SEIZE &&
	    call.request != PTRACE_TRACEME)
		return 0;
	if (bpf_map_update_elem(&ptrace_calls, &tid, &call, BPF_ANY))
		et_count_drop(ET_DROP_INFLIGHT);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_ptrace")
int et_ptrace_exit(struct syscall_trace_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_struct *task, *parent;
	struct ptrace_call *call;
	struct et_ptrace ev = {};

	call = bpf_map_lookup_elem(&ptrace_calls, &tid);
	if (!call)
		return 0;
	ev.request = call->request;
	ev.target_pid = call->pid;
	bpf_map_delete_elem(&ptrace_calls, &tid);
	if (ctx->ret != 0)
		return 0;
	if (ev.request == PTRACE_TRACEME) {
		task = (void *)bpf_get_current_task();
		parent = ET_READ_PTR(task, real_parent);
		ev.target_pid = BPF_CORE_READ(parent, tgid);
	}
	et_fill_hdr(&ev.hdr, ET_EV_PTRACE, sizeof(ev));
	et_output(&ev, sizeof(ev));
	return 0;
}
#endif
