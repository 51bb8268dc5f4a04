/* SPDX-License-Identifier: GPL-2.0 */
/*
 * maps.bpf.h - the maps every probe family shares.
 *
 * Each probe family is its own object (exec.bpf.o, ...); the build links
 * the enabled ones with `bpftool gen object` into one object, so the agent
 * has a single skeleton, one ring buffer and one drops map. maps.bpf.c
 * defines the maps (ET_DEFINE_MAPS); every other object sees them as
 * extern declarations of the same shape, which the BPF linker resolves.
 *
 * Sizes here are placeholders: the loader sets the ring buffer's size from
 * CONFIG_RINGBUF_SIZE_KIB before loading.
 */
#ifndef EDGETRACE_MAPS_BPF_H
#define EDGETRACE_MAPS_BPF_H

#ifdef ET_DEFINE_MAPS
#define ET_MAP
#else
#define ET_MAP extern
#endif

ET_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

ET_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ET_DROP_NR);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

ET_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ET_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/*
 * Written by the agent only: the drop counts it has already reported as
 * gap records. Pinned with the rest (CONFIG_PIN_BPF), it lets a restarted
 * agent report only what is new.
 */
ET_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ET_DROP_NR);
	__type(key, __u32);
	__type(value, __u64);
} reported SEC(".maps");

static __always_inline void et_count(__u32 stat)
{
	__u64 *n = bpf_map_lookup_elem(&stats, &stat);

	if (n)
		*n += 1;
}

/* Count a lost event; the agent turns the counts into gap records. */
static __always_inline void et_count_drop(__u32 cause)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &cause);

	if (n)
		*n += 1;
}

/*
 * Wake the agent only when this many bytes wait in the ring (set by the
 * loader, an eighth of the ring): a wakeup per event costs the agent a
 * context switch per event, most of its CPU in an exec storm. The agent
 * also drains the ring on its commit timer, so a trickle of events is
 * not held back longer than that. 0 wakes on every event.
 */
#ifdef ET_DEFINE_MAPS
const volatile __u64 et_wakeup_bytes = 0;
#else
extern const volatile __u64 et_wakeup_bytes;
#endif

/*
 * The kernel-side filter, from the run's --filter (core/filter.c
 * et_filter_kernel): the event types wanted, and when set, the pids,
 * comms and uids allowed. Checked on every event before it is counted as
 * issued and sent; the file probe also checks it when a call starts.
 */
#define ET_KF_PIDS	ET_KF_PIDS_FLAG
#define ET_KF_COMMS	ET_KF_COMMS_FLAG
#define ET_KF_UIDS	ET_KF_UIDS_FLAG
#define ET_KF_PATHS	ET_KF_PATHS_FLAG
#define ET_KF_ENTRIES	16	/* = ET_KF_MAX of core/filter.h */

/*
 * et_task_btf: the kernel has bpf_get_current_task_btf (5.11 and later),
 * so the probes may load task fields directly instead of through
 * bpf_probe_read_kernel (set by the loader; the other branch is dead code
 * the verifier drops).
 */
#ifdef ET_DEFINE_MAPS
const volatile __u32 et_kf_types = ~0u;
const volatile __u32 et_kf_flags = 0;
const volatile __u32 et_task_btf = 0;
#else
extern const volatile __u32 et_kf_types;
extern const volatile __u32 et_kf_flags;
extern const volatile __u32 et_task_btf;
#endif

ET_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ET_KF_ENTRIES);
	__type(key, __u32);
	__type(value, __u8);
} kf_pids SEC(".maps");

ET_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ET_KF_ENTRIES);
	__type(key, char[ET_COMM_LEN]);
	__type(value, __u8);
} kf_comms SEC(".maps");

ET_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ET_KF_ENTRIES);
	__type(key, __u32);
	__type(value, __u8);
} kf_uids SEC(".maps");

/* Does the filter let an event of @type from @pid / @comm through? */
static __always_inline int et_wanted(__u32 type, __u32 pid, const char *comm)
{
	char key[ET_COMM_LEN] = {};
	__u32 uid;

	if (!(et_kf_types & (1u << (type & 31))))
		return 0;
	if ((et_kf_flags & ET_KF_PIDS) && !bpf_map_lookup_elem(&kf_pids, &pid))
		return 0;
	if (et_kf_flags & ET_KF_COMMS) {
		/* the same bytes as the agent's key: up to the NUL, padded */
		bpf_probe_read_kernel_str(key, sizeof(key), comm);
		if (!bpf_map_lookup_elem(&kf_comms, key))
			return 0;
	}
	/*
	 * A connection's end and a late connect outcome are sent from
	 * softirq context, where the current task is any task: their uid is
	 * left to the agent (which takes it from the process table).
	 */
	if ((et_kf_flags & ET_KF_UIDS) && type != ET_EV_SOCK_CLOSE &&
	    type != ET_EV_CONNECT) {
		uid = (__u32)bpf_get_current_uid_gid();
		if (!bpf_map_lookup_elem(&kf_uids, &uid))
			return 0;
	}
	return 1;
}

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

/* Send an event of @size bytes; on a full ring, count it and move on. */
static __always_inline void et_output(void *ev, __u64 size)
{
	const struct et_hdr *h = ev;
	__u64 flags = 0;

	if ((et_kf_types != ~0u || et_kf_flags) &&
	    !et_wanted(h->type, h->pid, h->comm))
		return;
	et_count(ET_STAT_ISSUED);
	if (et_wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >=
			et_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, ev, size, flags))
		et_count_drop(ET_DROP_RINGBUF_FULL);
}

#endif /* EDGETRACE_MAPS_BPF_H */
