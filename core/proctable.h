/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proctable.h - a bounded user-space process table: what the agent knows
 * about each live process (exe, argv, ppid, uid, ...), looked up by pid to
 * enrich every event, and seeded from /proc at start so that processes
 * older than the agent are known too.
 *
 * Bounded. All memory is allocated by et_proctable_new(), once; nothing is
 * allocated afterwards. When the table is full, putting a new pid evicts
 * the least recently used entry (and counts it). get, put and remove are
 * O(1) (expected; the hash has at least twice as many buckets as entries).
 *
 * Pointers. An entry returned by get or put stays valid until the next
 * put or remove on the table (a put may evict and reuse it). Callers copy
 * what they need or look it up again; they never keep it across events.
 *
 * Pid 0 is the idle task, never a process the agent tracks, and marks a
 * free slot: get(0) is always NULL, remove(0) does nothing, and put(0)
 * returns a zeroed scratch entry that is not in the table (so that put
 * still never fails).
 *
 * Not thread-safe: the agent is single-threaded.
 */
#ifndef EDGETRACE_PROCTABLE_H
#define EDGETRACE_PROCTABLE_H

#include <stddef.h>
#include <stdint.h>

#define ET_PROC_EXE_MAX		256	/* bytes of exe kept, NUL included */
#define ET_PROC_CMDLINE_MAX	256	/* bytes of argv kept, NUL-separated */

struct et_proc {
	uint32_t pid;		/* tgid; 0 = free slot */
	uint32_t ppid;
	uint32_t uid;
	/*
	 * Task start, ns since boot (the base of /proc/PID/stat's starttime,
	 * converted from clock ticks): tells a reused pid apart. Seeded
	 * entries have clock-tick granularity (10 ms at USER_HZ 100).
	 */
	uint64_t start_ns;
	uint64_t cgroup_id;	/* cgroup v2 id, 0 if unknown */
	uint16_t exe_len;	/* without NUL */
	uint16_t cmdline_len;	/* bytes of NUL-separated argv */
	uint8_t cmdline_truncated;
	char comm[16];		/* NUL-terminated */
	char exe[ET_PROC_EXE_MAX];	/* NUL-terminated, cut to 255 bytes */
	/* argv, NUL-separated, as in /proc/PID/cmdline; not a C string */
	char cmdline[ET_PROC_CMDLINE_MAX];
	/* private LRU/hash links after this line: the table's, not the caller's */
	uint32_t lru_prev;	/* towards the most recently used */
	uint32_t lru_next;	/* towards the least recently used; free list */
	uint32_t hash_next;	/* next entry in the same hash bucket */
};

struct et_proctable_stats {
	uint32_t capacity;
	uint32_t used;
	uint64_t evictions;	/* least recently used entries pushed out */
	uint64_t seeded;	/* entries added by et_proctable_seed() */
	uint64_t hits;		/* et_proctable_get() found the pid */
	uint64_t misses;	/* et_proctable_get() did not */
	size_t bytes;		/* total bytes allocated by the table */
};

struct et_proctable;

/*
 * A table of @capacity entries; all its memory is allocated here, once.
 * NULL (errno set) on ENOMEM, or EINVAL if @capacity is 0 or above 2^30.
 */
struct et_proctable *et_proctable_new(unsigned int capacity);
void et_proctable_free(struct et_proctable *t);

/* The entry of @pid, or NULL if absent; a hit makes it most recently used. */
struct et_proc *et_proctable_get(struct et_proctable *t, uint32_t pid);

/*
 * Insert (or reuse the existing entry of) @pid and return it, zeroed except
 * pid, as most recently used; when full, the least recently used entry is
 * evicted and counted. Never fails.
 */
struct et_proc *et_proctable_put(struct et_proctable *t, uint32_t pid);

/* Forget @pid (nothing if absent); its slot is free for the next put. */
void et_proctable_remove(struct et_proctable *t, uint32_t pid);

/*
 * Fill an entry from bounded inputs: copy at most @len bytes, cut to the
 * maximum, set the lengths. set_exe stops at a NUL within @len and keeps at
 * most ET_PROC_EXE_MAX - 1 bytes plus a NUL (exe_len == ET_PROC_EXE_MAX - 1
 * means "possibly cut"). set_cmdline takes NUL-separated argv, keeps at most
 * ET_PROC_CMDLINE_MAX bytes and sets cmdline_truncated if @len was more.
 * NULL with @len 0 clears the field.
 */
void et_proc_set_exe(struct et_proc *p, const char *exe, size_t len);
void et_proc_set_cmdline(struct et_proc *p, const char *argv, size_t len);

/*
 * Seed from a procfs tree (normally "/proc"; tests pass a fake tree). For
 * each numeric directory: exe from readlink of "exe" (empty if there is
 * none: kernel threads, zombies, or not permitted), cmdline, pid, comm,
 * ppid and starttime from "stat" (comm may hold spaces and ')': the fields
 * are parsed from the LAST ')'), uid from "status" (the real uid of
 * "Uid:"); cgroup_id is left 0. An entry already in the table for that pid
 * is replaced. Processes whose files cannot be read or parsed (they race
 * with exit) are skipped silently.
 *
 * Returns the number of processes added, or -errno if @procfs itself cannot
 * be opened.
 */
int et_proctable_seed(struct et_proctable *t, const char *procfs);

void et_proctable_stats(const struct et_proctable *t,
			struct et_proctable_stats *st);

#endif /* EDGETRACE_PROCTABLE_H */
