/* SPDX-License-Identifier: GPL-2.0 */
/*
 * edgetrace.h - the event ABI between the BPF probes and the agent.
 *
 * This header is the whole contract across the kernel/user boundary: the
 * probes in bpf/ write these structs into the BPF ring buffer and core/
 * reads them back. Nothing else crosses. It is included by both sides, so
 * it uses only fixed-width kernel types (__u32, ...) and the generated
 * Kconfig header, which fixes the sizes of the variable parts.
 *
 * Every event starts with struct et_hdr. Events are variable-length: a
 * probe sends only the bytes it filled in (et_hdr.size), so a short path
 * does not cost a full buffer in the ring.
 *
 * Bump ET_ABI_VERSION on any change; the agent and its embedded objects
 * are always built together, the version only guards pinned maps that
 * outlive an agent upgrade.
 */
#ifndef EDGETRACE_BPF_ABI_H
#define EDGETRACE_BPF_ABI_H

#include <linux/types.h>

#define ET_ABI_VERSION		1

#define ET_COMM_LEN		16
#define ET_PATH_MAX		4096	/* power of two: used as a mask */
#define ET_FILENAME_MAX		256
#ifndef CONFIG_EXEC_ARGV_BYTES
#define CONFIG_EXEC_ARGV_BYTES	512
#endif
#ifndef CONFIG_EXEC_PATH_DEPTH
#define CONFIG_EXEC_PATH_DEPTH	32
#endif

/* Event types; the same numbers are used as record types in the spool. */
enum et_event_type {
	ET_EV_EXEC = 1,
	ET_EV_GAP = 31,
};

/* Why an event was lost; index into the per-CPU drops map. */
enum et_drop_cause {
	ET_DROP_RINGBUF_FULL = 0,	/* bpf_ringbuf_output() failed */
	ET_DROP_SCRATCH,		/* per-CPU scratch lookup failed */
	ET_DROP_NR,
};

struct et_hdr {
	__u64 ts;	/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 type;	/* enum et_event_type */
	__u32 size;	/* bytes of this event, header included */
	__u32 pid;	/* tgid */
	__u32 tid;
};

/* et_exec.flags */
#define ET_EXEC_ARGS_TRUNC	(1u << 0)	/* argv cut at EXEC_ARGV_BYTES */
#define ET_EXEC_ARGS_FAULT	(1u << 1)	/* argv could not be read */
#define ET_EXEC_EXE_TRUNC	(1u << 2)	/* path deeper than the walk */

/*
 * An exec. Fixed-offset layout: the argv and filename regions always have
 * their full size, the executable's path comes last and only its used
 * bytes are sent, so size = offsetof(exe) + exe_len.
 */
struct et_exec {
	struct et_hdr hdr;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 flags;
	__u16 args_len;		/* bytes of args, NUL-separated argv */
	__u16 filename_len;	/* without the terminating NUL */
	__u16 exe_len;		/* without the terminating NUL */
	__u16 pad;
	char comm[ET_COMM_LEN];
	char args[CONFIG_EXEC_ARGV_BYTES];
	char filename[ET_FILENAME_MAX];	/* as passed to execve */
	char exe[ET_PATH_MAX];		/* absolute, resolved in the kernel */
};

#define ET_EXEC_FIXED_SIZE	(sizeof(struct et_exec) - ET_PATH_MAX)

#endif /* EDGETRACE_BPF_ABI_H */
