// SPDX-License-Identifier: GPL-2.0
/*
 * test_proctable.c - the bounded process table: put/get/remove, LRU order
 * and exact eviction counts, capacity 1, slot reuse, 100,000 random
 * operations against a slow reference model, exe/cmdline cutting, and
 * seeding from a fake procfs tree (odd comms, kernel threads, garbage) and
 * from the real /proc.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proctable.h"

static char tmpl[] = "/tmp/et-proctable-test-XXXXXX";
static char *base;

static void rmrf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
}

static struct et_proctable_stats stats_of(struct et_proctable *t)
{
	struct et_proctable_stats st;

	et_proctable_stats(t, &st);
	return st;
}

static void capacity_zero_refused(void)
{
	CHECK(et_proctable_new(0) == NULL);
	CHECK(et_proctable_new((1u << 30) + 1) == NULL);
}

static void put_get_remove(void)
{
	struct et_proctable *t = et_proctable_new(8);
	struct et_proctable_stats st;
	struct et_proc *p;

	CHECK(t);
	CHECK(et_proctable_get(t, 42) == NULL);
	p = et_proctable_put(t, 42);
	CHECK(p);
	CHECK_INT(42, p->pid);
	p->ppid = 1;
	p->uid = 1000;
	p->start_ns = 123;
	et_proc_set_exe(p, "/bin/sh", 7);
	CHECK(et_proctable_get(t, 42) == p);
	CHECK_INT(1000, p->uid);
	CHECK_STR("/bin/sh", p->exe);
	CHECK(et_proctable_get(t, 43) == NULL);

	/* put of a present pid: the same entry, zeroed except pid */
	CHECK(et_proctable_put(t, 42) == p);
	CHECK_INT(42, p->pid);
	CHECK_INT(0, p->ppid);
	CHECK_INT(0, p->uid);
	CHECK_INT(0, p->start_ns);
	CHECK_INT(0, p->exe_len);
	CHECK_STR("", p->exe);

	st = stats_of(t);
	CHECK_INT(8, st.capacity);
	CHECK_INT(1, st.used);
	CHECK_INT(1, st.hits);
	CHECK_INT(2, st.misses);
	CHECK_INT(0, st.evictions);

	et_proctable_remove(t, 42);
	et_proctable_remove(t, 42);	/* absent: nothing */
	et_proctable_remove(t, 7);
	CHECK(et_proctable_get(t, 42) == NULL);
	CHECK_INT(0, stats_of(t).used);

	/* pid 0 is never stored, and put(0) still returns an entry */
	p = et_proctable_put(t, 0);
	CHECK(p);
	CHECK_INT(0, p->pid);
	CHECK(et_proctable_get(t, 0) == NULL);
	CHECK_INT(0, stats_of(t).used);
	et_proctable_remove(t, 0);
	et_proctable_free(t);
	et_proctable_free(NULL);
}

static void lru_order(void)
{
	struct et_proctable *t = et_proctable_new(3);
	uint32_t pid;

	CHECK(t);
	for (pid = 1; pid <= 3; pid++)
		et_proctable_put(t, pid)->uid = pid;
	CHECK(et_proctable_get(t, 1));		/* order now 1 3 2 */
	et_proctable_put(t, 4);			/* evicts 2 */
	CHECK_INT(1, stats_of(t).evictions);
	CHECK(et_proctable_get(t, 2) == NULL);
	CHECK(et_proctable_get(t, 1));
	CHECK(et_proctable_get(t, 3));
	CHECK(et_proctable_get(t, 4));		/* order now 4 3 1 */
	et_proctable_put(t, 5);			/* evicts 1 */
	CHECK(et_proctable_get(t, 1) == NULL);
	et_proctable_put(t, 3);			/* refresh by put: 3 5 4 */
	et_proctable_put(t, 6);			/* evicts 4 */
	CHECK(et_proctable_get(t, 4) == NULL);
	CHECK(et_proctable_get(t, 3));
	CHECK(et_proctable_get(t, 5));
	CHECK(et_proctable_get(t, 6));
	CHECK_INT(3, stats_of(t).evictions);
	CHECK_INT(3, stats_of(t).used);

	/* a miss does not refresh anything: 6 5 3, 3 goes next */
	CHECK(et_proctable_get(t, 99) == NULL);
	et_proctable_put(t, 7);
	CHECK(et_proctable_get(t, 3) == NULL);
	CHECK_INT(4, stats_of(t).evictions);
	et_proctable_free(t);
}

static void capacity_one(void)
{
	struct et_proctable *t = et_proctable_new(1);
	struct et_proc *p, *q;

	CHECK(t);
	p = et_proctable_put(t, 10);
	p->uid = 5;
	q = et_proctable_put(t, 11);
	CHECK(q == p);				/* the one slot, reused */
	CHECK_INT(11, q->pid);
	CHECK_INT(0, q->uid);
	CHECK_INT(1, stats_of(t).evictions);
	CHECK(et_proctable_get(t, 10) == NULL);
	CHECK(et_proctable_get(t, 11) == q);
	et_proctable_put(t, 11);		/* present: no eviction */
	CHECK_INT(1, stats_of(t).evictions);
	et_proctable_remove(t, 11);
	CHECK_INT(0, stats_of(t).used);
	CHECK(et_proctable_get(t, 11) == NULL);
	et_proctable_put(t, 12);		/* free slot: no eviction */
	CHECK_INT(1, stats_of(t).evictions);
	CHECK_INT(1, stats_of(t).used);
	CHECK(et_proctable_get(t, 12));
	et_proctable_free(t);
}

static void slot_reused_after_remove(void)
{
	struct et_proctable *t = et_proctable_new(2);
	struct et_proc *p1, *p2, *p3;

	CHECK(t);
	p1 = et_proctable_put(t, 100);
	p2 = et_proctable_put(t, 200);
	CHECK(p1 != p2);
	et_proctable_remove(t, 100);
	p3 = et_proctable_put(t, 300);
	CHECK(p3 == p1);
	CHECK_INT(0, stats_of(t).evictions);
	CHECK_INT(2, stats_of(t).used);
	CHECK(et_proctable_get(t, 200) == p2);
	CHECK(et_proctable_get(t, 300) == p3);
	CHECK(et_proctable_get(t, 100) == NULL);
	/* remove the MRU and the LRU ends, then fill again */
	et_proctable_remove(t, 300);
	et_proctable_remove(t, 200);
	CHECK_INT(0, stats_of(t).used);
	et_proctable_put(t, 1);
	et_proctable_put(t, 2);
	et_proctable_put(t, 3);			/* evicts 1 */
	CHECK_INT(1, stats_of(t).evictions);
	CHECK(et_proctable_get(t, 1) == NULL);
	CHECK(et_proctable_get(t, 2));
	CHECK(et_proctable_get(t, 3));
	et_proctable_free(t);
}

static void bytes_accounted(void)
{
	struct et_proctable *t = et_proctable_new(1024);
	struct et_proctable_stats st;

	CHECK(t);
	st = stats_of(t);
	CHECK(st.bytes >= 1024 * sizeof(struct et_proc) + 2048 * 4);
	CHECK(st.bytes < 1024 * sizeof(struct et_proc) + 2048 * 4 + 4096);
	et_proctable_free(t);
}

/* ------------------------------------------------------ reference model */

#define MODEL_CAP	1000
#define MODEL_PIDS	4000
#define MODEL_OPS	100000

static struct {
	int present;
	uint64_t stamp;		/* last use; the smallest is the LRU */
	uint32_t tag;		/* the op that put it */
} model[MODEL_PIDS + 1];
static uint64_t m_clock, m_hits, m_misses, m_evictions;
static uint32_t m_used;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static uint32_t model_lru(void)
{
	uint32_t pid, best = 0;

	for (pid = 1; pid <= MODEL_PIDS; pid++)
		if (model[pid].present &&
		    (!best || model[pid].stamp < model[best].stamp))
			best = pid;
	return best;
}

/* get @pid from both and compare; sets check_failed on a mismatch. */
static void model_get(struct et_proctable *t, uint32_t pid, int op)
{
	struct et_proc *p = et_proctable_get(t, pid);
	char exe[64];

	if (pid && model[pid].present) {
		if (!p)
			CHECK_FAIL("op %d: get(%u): expected present, got NULL",
				   op, pid);
		snprintf(exe, sizeof(exe), "/bin/p%u-%u", pid, model[pid].tag);
		if (p->pid != pid || p->uid != model[pid].tag ||
		    strcmp(p->exe, exe))
			CHECK_FAIL("op %d: get(%u): expected pid %u tag %u exe %s, got pid %u tag %u exe %s",
				   op, pid, pid, model[pid].tag, exe, p->pid,
				   p->uid, p->exe);
		model[pid].stamp = ++m_clock;
		m_hits++;
	} else {
		if (p)
			CHECK_FAIL("op %d: get(%u): expected NULL, got pid %u",
				   op, pid, p->pid);
		m_misses++;
	}
}

static void random_ops(void)
{
	struct et_proctable *t = et_proctable_new(MODEL_CAP);
	struct et_proctable_stats st;
	struct et_proc *p;
	uint32_t pid, range, victim, r;
	char exe[64];
	int op;

	CHECK(t);
	for (op = 0; op < MODEL_OPS; op++) {
		/* wide pid range first (evictions), then a narrow one (hits) */
		range = op < MODEL_OPS / 2 ? MODEL_PIDS : MODEL_CAP * 6 / 5;
		r = rnd() % 100;
		pid = r == 99 ? 0 : 1 + rnd() % range;
		if (r < 40) {
			model_get(t, pid, op);
			if (check_failed)
				goto out;
		} else if (r < 80 || r == 99) {
			victim = 0;
			if (pid && !model[pid].present && m_used == MODEL_CAP)
				victim = model_lru();
			p = et_proctable_put(t, pid);
			if (!p || p->pid != pid || p->uid || p->exe_len ||
			    p->cmdline_len)
				CHECK_FAIL("op %d: put(%u): expected a zeroed entry",
					   op, pid);
			p->uid = (uint32_t)op;
			snprintf(exe, sizeof(exe), "/bin/p%u-%d", pid, op);
			et_proc_set_exe(p, exe, strlen(exe));
			if (pid) {
				if (victim) {
					model[victim].present = 0;
					m_evictions++;
					m_used--;
				}
				if (!model[pid].present)
					m_used++;
				model[pid].present = 1;
				model[pid].tag = (uint32_t)op;
				model[pid].stamp = ++m_clock;
			}
			if (victim) {
				/* the evicted one is gone (a miss refreshes nothing) */
				model_get(t, victim, op);
				if (check_failed)
					goto out;
			}
		} else {
			et_proctable_remove(t, pid);
			if (pid && model[pid].present) {
				model[pid].present = 0;
				m_used--;
			}
		}

		st = stats_of(t);
		if (st.used != m_used || st.evictions != m_evictions ||
		    st.hits != m_hits || st.misses != m_misses)
			CHECK_FAIL("op %d: expected used %u evictions %llu hits %llu misses %llu, got %u %llu %llu %llu",
				   op, m_used, (unsigned long long)m_evictions,
				   (unsigned long long)m_hits,
				   (unsigned long long)m_misses, st.used,
				   (unsigned long long)st.evictions,
				   (unsigned long long)st.hits,
				   (unsigned long long)st.misses);

		/* now and then, every pid (in the same order in both) */
		if (op % 10000 == 9999) {
			for (pid = 0; pid <= MODEL_PIDS; pid++) {
				model_get(t, pid, op);
				if (check_failed)
					goto out;
			}
		}
	}
	CHECK(m_evictions > 5000);	/* the test did exercise eviction */
	CHECK(m_hits > 10000);
out:
	et_proctable_free(t);
}

/* ------------------------------------------------------- field setters */

static void exe_and_cmdline_cut(void)
{
	struct et_proc p;
	char big[600];
	size_t i;

	memset(&p, 0xaa, sizeof(p));
	et_proc_set_exe(&p, "/usr/bin/env", 12);
	CHECK_STR("/usr/bin/env", p.exe);
	CHECK_INT(12, p.exe_len);
	et_proc_set_exe(&p, "/a\0/b", 5);	/* stops at the NUL */
	CHECK_STR("/a", p.exe);
	CHECK_INT(2, p.exe_len);
	et_proc_set_exe(&p, NULL, 0);
	CHECK_STR("", p.exe);
	CHECK_INT(0, p.exe_len);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	et_proc_set_exe(&p, big, 255);
	CHECK_INT(255, p.exe_len);
	CHECK_INT(255, strlen(p.exe));
	et_proc_set_exe(&p, big, sizeof(big));
	CHECK_INT(ET_PROC_EXE_MAX - 1, p.exe_len);
	CHECK_INT(ET_PROC_EXE_MAX - 1, strlen(p.exe));
	CHECK(!memcmp(p.exe, big, ET_PROC_EXE_MAX - 1));

	et_proc_set_cmdline(&p, "ls\0-l\0", 6);
	CHECK_INT(6, p.cmdline_len);
	CHECK_INT(0, p.cmdline_truncated);
	CHECK(!memcmp(p.cmdline, "ls\0-l\0", 6));
	et_proc_set_cmdline(&p, big, ET_PROC_CMDLINE_MAX);	/* just fits */
	CHECK_INT(ET_PROC_CMDLINE_MAX, p.cmdline_len);
	CHECK_INT(0, p.cmdline_truncated);
	et_proc_set_cmdline(&p, big, ET_PROC_CMDLINE_MAX + 1);
	CHECK_INT(ET_PROC_CMDLINE_MAX, p.cmdline_len);
	CHECK_INT(1, p.cmdline_truncated);
	CHECK(!memcmp(p.cmdline, big, ET_PROC_CMDLINE_MAX));
	et_proc_set_cmdline(&p, NULL, 0);
	CHECK_INT(0, p.cmdline_len);
	CHECK_INT(0, p.cmdline_truncated);
}

/* ------------------------------------------------------- fake procfs */

static void fake_file(const char *dir, const char *name, const char *data,
		      size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", base, dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		CHECK_FAIL("cannot write %s", path);
}

static void fake_dir(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", base, dir);
	if (mkdir(path, 0755))
		CHECK_FAIL("cannot mkdir %s", path);
}

static void fake_exe(const char *dir, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/exe", base, dir);
	if (symlink(target, path))
		CHECK_FAIL("cannot symlink %s", path);
}

static void fake_stat(const char *dir, const char *pid, const char *comm,
		      const char *ppid, const char *starttime)
{
	char line[512];

	snprintf(line, sizeof(line),
		 "%s (%s) S %s 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %s 1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
		 pid, comm, ppid, starttime);
	fake_file(dir, "stat", line, strlen(line));
}

static void fake_status(const char *dir, const char *uid)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "Name:\tx\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%s\nPid:\t%s\nPPid:\t1\nTracerPid:\t0\nUid:\t%s\t%s\t%s\t%s\nGid:\t100\t100\t100\t100\n",
		 dir, dir, uid, uid, uid, uid);
	fake_file(dir, "status", text, strlen(text));
}

/* A complete process: stat, status, cmdline, exe (if @exe). */
static void fake_proc(const char *pid, const char *comm, const char *ppid,
		      const char *starttime, const char *uid, const char *argv,
		      size_t argv_len, const char *exe)
{
	fake_dir(pid);
	if (check_failed)
		return;
	fake_stat(pid, pid, comm, ppid, starttime);
	if (check_failed)
		return;
	fake_status(pid, uid);
	if (check_failed)
		return;
	fake_file(pid, "cmdline", argv, argv_len);
	if (check_failed)
		return;
	if (exe)
		fake_exe(pid, exe);
}

static uint64_t ticks_ns(uint64_t ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	return ticks * (1000000000ull / (uint64_t)hz);
}

static void build_fake_procfs(void)
{
	static const char garbage[] = "\0\xff)(( 1 2 3 ))\n";
	char long_exe[301], long_argv[300], argv256[256];

	memset(long_exe, 'd', sizeof(long_exe));
	long_exe[0] = '/';
	long_exe[300] = '\0';
	memset(long_argv, 'x', sizeof(long_argv));
	long_argv[99] = long_argv[199] = long_argv[299] = '\0';
	memset(argv256, 'y', sizeof(argv256));
	argv256[255] = '\0';

	/* an ordinary process with a comm full of spaces and parentheses */
	fake_proc("1234", "my (weird) proc", "1", "4242", "1000",
		  "my\0--flag\0a b\0", 14, "/opt/my app/bin/my (weird) proc");
	/* a kernel thread: no exe, empty cmdline */
	fake_proc("2", "kthreadd", "0", "0", "0", "", 0, NULL);
	/* ") S 9 9 )" inside comm: fields start after the LAST ')' */
	fake_proc("4000", "a) S 9 9 ) x", "77", "5000", "4294967294",
		  long_argv, sizeof(long_argv), long_exe);
	/* comm longer than the kernel's 15 bytes, argv of exactly 256 */
	fake_proc("1235", "a_very_long_comm_name", "1234", "1", "0", argv256,
		  sizeof(argv256), "/bin/true");
	if (check_failed)
		return;

	/* not numeric, or not a pid: ignored even though they look valid */
	fake_proc("self", "self", "1", "1", "0", "", 0, "/bin/self");
	fake_proc("12ab", "x", "1", "1", "0", "", 0, "/bin/x");
	fake_proc("0", "x", "1", "1", "0", "", 0, "/bin/x");
	fake_proc("99999999999", "x", "1", "1", "0", "", 0, "/bin/x");
	if (check_failed)
		return;

	/* garbage and vanished processes: skipped */
	fake_dir("777");
	fake_file("777", "stat", "777 (trunc", 10);
	fake_status("777", "0");
	fake_dir("778");
	fake_file("778", "stat", "778 (x) S 1 2 3\n", 16);
	fake_status("778", "0");
	fake_dir("779");
	fake_stat("779", "779", "x", "notanumber", "1");
	fake_status("779", "0");
	fake_dir("780");			/* nothing in it */
	fake_dir("781");
	fake_file("781", "stat", garbage, sizeof(garbage) - 1);
	fake_status("781", "0");
	fake_dir("782");			/* no status: gone mid-read */
	fake_stat("782", "782", "x", "1", "1");
	fake_dir("783");			/* stat of another pid */
	fake_stat("783", "784", "x", "1", "1");
	fake_status("783", "0");
	fake_dir("785");			/* status without Uid */
	fake_stat("785", "785", "x", "1", "1");
	fake_file("785", "status", "Name:\tx\n", 8);
	fake_dir("786");			/* starttime that overflows */
	fake_stat("786", "786", "x", "1", "99999999999999999999999");
	fake_status("786", "0");
	fake_dir("787");			/* empty stat */
	fake_file("787", "stat", "", 0);
	fake_status("787", "0");
	fake_dir("788");
	fake_file("788", "stat", "788 () S 1 1 1\n", 15);
	fake_status("788", "0");
	if (check_failed)
		return;
	{
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/555", base);	/* a file */
		f = fopen(path, "w");
		if (!f || fclose(f))
			CHECK_FAIL("cannot write %s", path);
	}
}

static void seed_fake(void)
{
	struct et_proctable *t;
	struct et_proc *p;
	uint32_t pid;

	build_fake_procfs();
	if (check_failed)
		return;
	t = et_proctable_new(16);
	CHECK(t);
	CHECK_INT(4, et_proctable_seed(t, base));
	CHECK_INT(4, stats_of(t).seeded);
	CHECK_INT(4, stats_of(t).used);

	p = et_proctable_get(t, 1234);
	CHECK(p);
	CHECK_STR("my (weird) proc", p->comm);
	CHECK_INT(1, p->ppid);
	CHECK_INT(1000, p->uid);
	CHECK_INT(ticks_ns(4242), p->start_ns);
	CHECK_INT(0, p->cgroup_id);
	CHECK_STR("/opt/my app/bin/my (weird) proc", p->exe);
	CHECK_INT(strlen("/opt/my app/bin/my (weird) proc"), p->exe_len);
	CHECK_INT(14, p->cmdline_len);
	CHECK_INT(0, p->cmdline_truncated);
	CHECK(!memcmp("my\0--flag\0a b\0", p->cmdline, 14));

	p = et_proctable_get(t, 2);
	CHECK(p);
	CHECK_STR("kthreadd", p->comm);
	CHECK_INT(0, p->ppid);
	CHECK_INT(0, p->uid);
	CHECK_INT(0, p->start_ns);
	CHECK_STR("", p->exe);
	CHECK_INT(0, p->exe_len);
	CHECK_INT(0, p->cmdline_len);

	p = et_proctable_get(t, 4000);
	CHECK(p);
	CHECK_STR("a) S 9 9 ) x", p->comm);
	CHECK_INT(77, p->ppid);
	CHECK_INT(4294967294u, p->uid);
	CHECK_INT(ticks_ns(5000), p->start_ns);
	CHECK_INT(ET_PROC_EXE_MAX - 1, p->exe_len);
	CHECK_INT(ET_PROC_EXE_MAX - 1, strlen(p->exe));
	CHECK_INT(ET_PROC_CMDLINE_MAX, p->cmdline_len);
	CHECK_INT(1, p->cmdline_truncated);

	p = et_proctable_get(t, 1235);
	CHECK(p);
	CHECK_STR("a_very_long_com", p->comm);
	CHECK_INT(1234, p->ppid);
	CHECK_INT(256, p->cmdline_len);
	CHECK_INT(0, p->cmdline_truncated);
	CHECK_STR("/bin/true", p->exe);

	for (pid = 777; pid <= 788; pid++)
		if (et_proctable_get(t, pid))
			CHECK_FAIL("garbage pid %u was seeded", pid);
	CHECK(et_proctable_get(t, 555) == NULL);
	CHECK(et_proctable_get(t, 42) == NULL);	/* "self"'s content */

	/* seeding again replaces, and a small table evicts */
	CHECK_INT(4, et_proctable_seed(t, base));
	CHECK_INT(8, stats_of(t).seeded);
	CHECK_INT(4, stats_of(t).used);
	et_proctable_free(t);

	t = et_proctable_new(2);
	CHECK(t);
	CHECK_INT(4, et_proctable_seed(t, base));
	CHECK_INT(2, stats_of(t).used);
	CHECK_INT(2, stats_of(t).evictions);
	CHECK(et_proctable_seed(t, "/nonexistent/proc") < 0);
	et_proctable_free(t);
}

/* -------------------------------------------------------- real /proc */

static ssize_t read_self(int dfd, const char *name, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd = openat(dfd, name, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((size_t)got < size &&
	       (n = read(fd, buf + got, size - (size_t)got)) > 0)
		got += n;
	close(fd);
	return got;
}

static void seed_real_proc(void)
{
	struct et_proctable *t;
	struct et_proc *p;
	char self_exe[4096], kernel_exe[4096], comm[32], argv[ET_PROC_CMDLINE_MAX];
	struct timespec now;
	ssize_t n, argv_len;
	uint64_t now_ns;
	int dfd, added;

	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	CHECK(n > 0);
	self_exe[n] = '\0';
	/*
	 * Through a directory fd, as the seeding reads it: the same as
	 * /proc/self/exe natively; under qemu-user only the path form is
	 * emulated, and the table sees the emulator like any other reader.
	 */
	dfd = open("/proc/self", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	n = readlinkat(dfd, "exe", kernel_exe, sizeof(kernel_exe) - 1);
	CHECK(n > 0);
	kernel_exe[n] = '\0';
	if (strcmp(self_exe, kernel_exe))
		printf("# emulated: /proc/self/exe is %s, the kernel says %s\n",
		       self_exe, kernel_exe);
	n = read_self(dfd, "comm", comm, sizeof(comm) - 1);
	argv_len = read_self(dfd, "cmdline", argv, sizeof(argv));
	close(dfd);
	CHECK(n > 0 && argv_len > 0);
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';

	t = et_proctable_new(32768);
	CHECK(t);
	added = et_proctable_seed(t, "/proc");
	CHECK(added >= 1);
	CHECK_INT(added, stats_of(t).seeded);
	p = et_proctable_get(t, (uint32_t)getpid());
	CHECK(p);
	CHECK_STR(kernel_exe, p->exe);
	CHECK_INT(strlen(kernel_exe), p->exe_len);
	CHECK_INT(getppid(), p->ppid);
	CHECK_INT(getuid(), p->uid);
	CHECK_STR(comm, p->comm);
	CHECK_INT(argv_len, p->cmdline_len);
	CHECK(!memcmp(argv, p->cmdline, (size_t)argv_len));

	/* start_ns is on the boot-time clock: this process started just now */
	clock_gettime(CLOCK_BOOTTIME, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	CHECK(p->start_ns > 0);
	CHECK(p->start_ns <= now_ns);
	CHECK(now_ns - p->start_ns < 600 * 1000000000ull);
	et_proctable_free(t);
}

CHECK_MAIN_BEGIN("test_proctable")
	base = mkdtemp(tmpl);
	if (!base) {
		perror("mkdtemp");
		return 1;
	}
	RUN(capacity_zero_refused);
	RUN(put_get_remove);
	RUN(lru_order);
	RUN(capacity_one);
	RUN(slot_reused_after_remove);
	RUN(bytes_accounted);
	RUN(random_ops);
	RUN(exe_and_cmdline_cut);
	RUN(seed_fake);
	RUN(seed_real_proc);
	rmrf(base);
CHECK_MAIN_END
