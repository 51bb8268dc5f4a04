// SPDX-License-Identifier: GPL-2.0
/*
 * proctable.c - the bounded process table (proctable.h).
 *
 * Layout. Three allocations, all made by et_proctable_new() and never
 * again:
 *   - procs[capacity]: the entries themselves;
 *   - buckets[nbuckets]: the hash index, nbuckets the power of two at least
 *     twice the capacity, each bucket the index of the first entry of its
 *     chain;
 *   - the table header, which also holds the scratch entry put(0) returns.
 * Entries are linked by uint32_t array indices, not pointers (NIL marks
 * the end), which keeps the links at 12 bytes per entry on every
 * architecture:
 *   - hash_next chains the entries of one bucket (chained hashing: remove
 *     is a plain unlink, no tombstones, no backward shift);
 *   - lru_prev/lru_next form one doubly linked list from the most recently
 *     used (lru_head) to the least (lru_tail), the eviction victim;
 *   - free slots are kept on a singly linked list through lru_next, so a
 *     removed slot is reused before anything is evicted.
 * A pid hashes by Fibonacci (multiplicative) hashing: consecutive pids,
 * the common case, spread over the buckets instead of clustering.
 *
 * Seeding reads each /proc/PID through a directory fd (openat), in the
 * order stat, exe, cmdline, status: a process that exits in between makes
 * a later read fail and is skipped; status last doubles as the check that
 * the process was still there. Everything is parsed into a local entry
 * first, so the table only sees complete entries.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proctable.h"

#define NIL			UINT32_MAX
#define CAPACITY_MAX		(1u << 30)
#define NSEC_PER_SEC		1000000000ull
#define STAT_FIELD_STARTTIME	22	/* proc(5): (22) starttime */
#define READ_BUF		4096

struct et_proctable {
	uint32_t capacity;
	uint32_t used;
	uint32_t shift;		/* 32 - log2(nbuckets) */
	uint32_t nbuckets;
	uint32_t lru_head;	/* most recently used, or NIL */
	uint32_t lru_tail;	/* least recently used, or NIL */
	uint32_t free_head;	/* first free slot, or NIL */
	uint64_t evictions;
	uint64_t seeded;
	uint64_t hits;
	uint64_t misses;
	size_t bytes;
	uint32_t *buckets;
	struct et_proc *procs;
	struct et_proc scratch;	/* what put(0) returns; never linked */
};

/* The public part of an entry: what put zeroes. */
#define PROC_PUBLIC_SIZE	offsetof(struct et_proc, lru_prev)

static inline uint32_t bucket_of(const struct et_proctable *t, uint32_t pid)
{
	return (uint32_t)(pid * 2654435769u) >> t->shift;
}

/* The index of @pid's entry, or NIL. */
static uint32_t find(const struct et_proctable *t, uint32_t pid)
{
	uint32_t i;

	for (i = t->buckets[bucket_of(t, pid)]; i != NIL;
	     i = t->procs[i].hash_next)
		if (t->procs[i].pid == pid)
			return i;
	return NIL;
}

static void hash_insert(struct et_proctable *t, uint32_t i)
{
	uint32_t *b = &t->buckets[bucket_of(t, t->procs[i].pid)];

	t->procs[i].hash_next = *b;
	*b = i;
}

static void hash_unlink(struct et_proctable *t, uint32_t i)
{
	uint32_t *link = &t->buckets[bucket_of(t, t->procs[i].pid)];

	while (*link != i)
		link = &t->procs[*link].hash_next;
	*link = t->procs[i].hash_next;
	t->procs[i].hash_next = NIL;
}

static void lru_unlink(struct et_proctable *t, uint32_t i)
{
	struct et_proc *p = &t->procs[i];

	if (p->lru_prev != NIL)
		t->procs[p->lru_prev].lru_next = p->lru_next;
	else
		t->lru_head = p->lru_next;
	if (p->lru_next != NIL)
		t->procs[p->lru_next].lru_prev = p->lru_prev;
	else
		t->lru_tail = p->lru_prev;
	p->lru_prev = NIL;
	p->lru_next = NIL;
}

static void lru_push_front(struct et_proctable *t, uint32_t i)
{
	struct et_proc *p = &t->procs[i];

	p->lru_prev = NIL;
	p->lru_next = t->lru_head;
	if (t->lru_head != NIL)
		t->procs[t->lru_head].lru_prev = i;
	else
		t->lru_tail = i;
	t->lru_head = i;
}

static void lru_touch(struct et_proctable *t, uint32_t i)
{
	if (t->lru_head == i)
		return;
	lru_unlink(t, i);
	lru_push_front(t, i);
}

struct et_proctable *et_proctable_new(unsigned int capacity)
{
	struct et_proctable *t;
	uint32_t nbuckets, shift, i;

	if (capacity == 0 || capacity > CAPACITY_MAX) {
		errno = EINVAL;
		return NULL;
	}
	for (nbuckets = 2, shift = 31; nbuckets < 2 * capacity; nbuckets <<= 1)
		shift--;

	t = calloc(1, sizeof(*t));
	if (!t)
		goto fail;
	t->buckets = calloc(nbuckets, sizeof(*t->buckets));
	if (!t->buckets)
		goto fail_table;
	t->procs = calloc(capacity, sizeof(*t->procs));
	if (!t->procs)
		goto fail_buckets;

	t->capacity = capacity;
	t->nbuckets = nbuckets;
	t->shift = shift;
	t->bytes = sizeof(*t) + (size_t)nbuckets * sizeof(*t->buckets) +
		   (size_t)capacity * sizeof(*t->procs);
	for (i = 0; i < nbuckets; i++)
		t->buckets[i] = NIL;
	for (i = 0; i < capacity; i++) {
		t->procs[i].lru_prev = NIL;
		t->procs[i].lru_next = i + 1 < capacity ? i + 1 : NIL;
		t->procs[i].hash_next = NIL;
	}
	t->free_head = 0;
	t->lru_head = NIL;
	t->lru_tail = NIL;
	return t;

fail_buckets:
	free(t->buckets);
fail_table:
	free(t);
fail:
	errno = ENOMEM;
	return NULL;
}

void et_proctable_free(struct et_proctable *t)
{
	if (!t)
		return;
	free(t->procs);
	free(t->buckets);
	free(t);
}

struct et_proc *et_proctable_get(struct et_proctable *t, uint32_t pid)
{
	uint32_t i = pid ? find(t, pid) : NIL;

	if (i == NIL) {
		t->misses++;
		return NULL;
	}
	t->hits++;
	lru_touch(t, i);
	return &t->procs[i];
}

struct et_proc *et_proctable_put(struct et_proctable *t, uint32_t pid)
{
	struct et_proc *p;
	uint32_t i;

	if (pid == 0) {
		memset(&t->scratch, 0, sizeof(t->scratch));
		return &t->scratch;
	}

	i = find(t, pid);
	if (i != NIL) {
		lru_touch(t, i);
	} else {
		if (t->free_head != NIL) {
			i = t->free_head;
			t->free_head = t->procs[i].lru_next;
			t->procs[i].lru_next = NIL;
			t->used++;
		} else {
			i = t->lru_tail;	/* full: capacity >= 1 */
			hash_unlink(t, i);
			lru_unlink(t, i);
			t->evictions++;
		}
		t->procs[i].pid = pid;
		hash_insert(t, i);
		lru_push_front(t, i);
	}
	p = &t->procs[i];
	memset(p, 0, PROC_PUBLIC_SIZE);
	p->pid = pid;
	return p;
}

void et_proctable_remove(struct et_proctable *t, uint32_t pid)
{
	uint32_t i = pid ? find(t, pid) : NIL;

	if (i == NIL)
		return;
	hash_unlink(t, i);
	lru_unlink(t, i);
	memset(&t->procs[i], 0, PROC_PUBLIC_SIZE);
	t->procs[i].lru_next = t->free_head;
	t->free_head = i;
	t->used--;
}

void et_proc_set_exe(struct et_proc *p, const char *exe, size_t len)
{
	const char *nul = len ? memchr(exe, '\0', len) : NULL;

	if (nul)
		len = (size_t)(nul - exe);
	if (len > ET_PROC_EXE_MAX - 1)
		len = ET_PROC_EXE_MAX - 1;
	if (len)
		memcpy(p->exe, exe, len);
	p->exe[len] = '\0';
	p->exe_len = (uint16_t)len;
}

void et_proc_set_cmdline(struct et_proc *p, const char *argv, size_t len)
{
	size_t n = len > ET_PROC_CMDLINE_MAX ? ET_PROC_CMDLINE_MAX : len;

	if (n)
		memcpy(p->cmdline, argv, n);
	p->cmdline_len = (uint16_t)n;
	p->cmdline_truncated = len > ET_PROC_CMDLINE_MAX;
}

/* ----------------------------------------------------------- seeding */

/* A decimal number, digits only, no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return 0;
}

static int parse_u32(const char *s, uint32_t *v)
{
	uint64_t x;

	if (parse_u64(s, &x) || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* The next space-separated field at *pp, NUL-terminated in place. */
static char *next_field(char **pp)
{
	char *p = *pp, *start;

	while (*p == ' ')
		p++;
	if (!*p || *p == '\n')
		return NULL;
	start = p;
	while (*p && *p != ' ' && *p != '\n')
		p++;
	if (*p)
		*p++ = '\0';
	*pp = p;
	return start;
}

/* Read up to @size bytes of @name under @dfd; the count, or -1. */
static ssize_t read_at(int dfd, const char *name, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;

fail:
	close(fd);
	return -1;
}

static uint64_t ticks_to_ns(uint64_t ticks, uint64_t hz)
{
	return ticks / hz * NSEC_PER_SEC + ticks % hz * NSEC_PER_SEC / hz;
}

/*
 * "pid (comm) state ppid ... starttime ...": comm is whatever lies between
 * the first '(' and the last ')', spaces and parentheses included.
 */
static int parse_stat(char *buf, size_t n, uint32_t pid, uint64_t hz,
		      struct et_proc *p)
{
	char *lp, *rp, *s, *f;
	uint32_t spid;
	uint64_t ticks = 0;
	size_t comm_len;
	int i;

	buf[n] = '\0';
	lp = memchr(buf, '(', n);
	rp = memrchr(buf, ')', n);
	if (!lp || !rp || rp < lp || lp == buf || lp[-1] != ' ')
		return -1;
	lp[-1] = '\0';
	if (parse_u32(buf, &spid) || spid != pid)
		return -1;
	comm_len = (size_t)(rp - lp - 1);
	if (comm_len > sizeof(p->comm) - 1)
		comm_len = sizeof(p->comm) - 1;
	memcpy(p->comm, lp + 1, comm_len);
	p->comm[comm_len] = '\0';

	s = rp + 1;
	for (i = 3; i <= STAT_FIELD_STARTTIME; i++) {
		f = next_field(&s);
		if (!f)
			return -1;
		if (i == 4 && parse_u32(f, &p->ppid))
			return -1;
		if (i == STAT_FIELD_STARTTIME && parse_u64(f, &ticks))
			return -1;
	}
	p->start_ns = ticks_to_ns(ticks, hz);
	return 0;
}

/* "Uid:\treal\teffective\tsaved\tfs": the real uid. */
static int parse_status(char *buf, size_t n, struct et_proc *p)
{
	char *s, *end;

	buf[n] = '\0';
	if (!strncmp(buf, "Uid:", 4)) {
		s = buf;
	} else {
		s = strstr(buf, "\nUid:");
		if (!s)
			return -1;
		s++;
	}
	s += 4;
	while (*s == '\t' || *s == ' ')
		s++;
	for (end = s; *end >= '0' && *end <= '9'; end++)
		;
	if (*end != '\t' && *end != ' ' && *end != '\n' && *end != '\0')
		return -1;
	*end = '\0';
	return parse_u32(s, &p->uid);
}

/* Read one /proc/PID into @p; -1 if it is gone or does not parse. */
static int seed_one(int pfd, uint32_t pid, uint64_t hz, struct et_proc *p)
{
	char buf[READ_BUF];
	char argv[ET_PROC_CMDLINE_MAX + 1];
	char exe[ET_PROC_EXE_MAX];
	ssize_t n;

	memset(p, 0, sizeof(*p));
	p->pid = pid;

	n = read_at(pfd, "stat", buf, sizeof(buf) - 1);
	if (n <= 0 || parse_stat(buf, (size_t)n, pid, hz, p))
		return -1;

	/* No exe: a kernel thread, a zombie, or not ours to see. */
	n = readlinkat(pfd, "exe", exe, sizeof(exe));
	if (n > 0)
		et_proc_set_exe(p, exe, (size_t)n);

	n = read_at(pfd, "cmdline", argv, sizeof(argv));
	if (n < 0)
		return -1;
	et_proc_set_cmdline(p, argv, (size_t)n);

	n = read_at(pfd, "status", buf, sizeof(buf) - 1);
	if (n <= 0 || parse_status(buf, (size_t)n, p))
		return -1;
	return 0;
}

static int pid_of_name(const char *name, uint32_t *pid)
{
	if (strlen(name) > 10 || parse_u32(name, pid) || *pid == 0)
		return -1;
	return 0;
}

int et_proctable_seed(struct et_proctable *t, const char *procfs)
{
	struct et_proc p;
	struct dirent *de;
	uint64_t hz;
	uint32_t pid;
	long tck;
	int added = 0;
	int pfd;
	DIR *dir;

	dir = opendir(procfs);
	if (!dir)
		return -errno;
	tck = sysconf(_SC_CLK_TCK);
	hz = tck > 0 ? (uint64_t)tck : 100;

	while ((de = readdir(dir))) {
		if (pid_of_name(de->d_name, &pid))
			continue;
		pfd = openat(dirfd(dir), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			continue;
		if (!seed_one(pfd, pid, hz, &p)) {
			memcpy(et_proctable_put(t, pid), &p, PROC_PUBLIC_SIZE);
			added++;
		}
		close(pfd);
	}
	closedir(dir);
	t->seeded += (uint64_t)added;
	return added;
}

void et_proctable_stats(const struct et_proctable *t,
			struct et_proctable_stats *st)
{
	st->capacity = t->capacity;
	st->used = t->used;
	st->evictions = t->evictions;
	st->seeded = t->seeded;
	st->hits = t->hits;
	st->misses = t->misses;
	st->bytes = t->bytes;
}
