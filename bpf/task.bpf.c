// SPDX-License-Identifier: GPL-2.0
/*
 * task.bpf.c - process and thread lifecycle: fork/clone and exit.
 *
 * fork: the sched_process_fork raw tracepoint fires in the parent for
 * every new task, process or thread; a thread is a child whose pid differs
 * from its tgid (CLONE_THREAD). The event is emitted with the child's ids
 * so that it reads "this task appeared, with this parent".
 *
 * exit: sched_process_exit fires for every exiting thread, after do_exit
 * has decremented signal->live. A process has ended when live reaches
 * zero: only then an exit event is sent, with the wait status of the last
 * thread (exit_group gives every thread the same one) and the lifetime
 * measured from the thread group leader's start.
 */
#include "common.bpf.h"

#ifdef CONFIG_PROBE_FORK
SEC("raw_tracepoint/sched_process_fork")
int et_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (void *)ctx->args[0];
	struct task_struct *child = (void *)ctx->args[1];
	struct et_fork ev = {};

	et_fill_hdr(&ev.hdr, ET_EV_FORK, sizeof(ev));
	ev.hdr.pid = BPF_CORE_READ(child, tgid);
	ev.hdr.tid = BPF_CORE_READ(child, pid);
	ev.ppid = BPF_CORE_READ(parent, tgid);
	if (ev.hdr.pid != ev.hdr.tid)
		ev.flags |= ET_FORK_THREAD;
	et_output(&ev, sizeof(ev));
	return 0;
}
#endif

#ifdef CONFIG_PROBE_EXIT
SEC("raw_tracepoint/sched_process_exit")
int et_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct signal_struct *sig = ET_READ_PTR(task, signal);
	struct task_struct *leader, *parent;
	struct et_exit ev = {};

	if (BPF_CORE_READ(sig, live.counter) != 0)
		return 0;	/* other threads still run */
	et_fill_hdr(&ev.hdr, ET_EV_EXIT, sizeof(ev));
	leader = ET_READ_PTR(task, group_leader);
	parent = ET_READ_PTR(task, real_parent);
	ev.ppid = BPF_CORE_READ(parent, tgid);
	ev.code = BPF_CORE_READ(task, exit_code);
	ev.lifetime_ns = ev.hdr.ts - BPF_CORE_READ(leader, start_time);
	et_output(&ev, sizeof(ev));
	return 0;
}
#endif
