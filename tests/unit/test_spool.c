// SPDX-License-Identifier: GPL-2.0
/*
 * test_spool.c - the LMDB spool: append and read back in order, group
 * commit, sequence numbers that continue across reopen, eviction of the
 * oldest records when the map is full, reads and time seeks that start
 * inside a chunk (one commit group, one LMDB value), eviction by whole
 * chunks, and clear errors for directories that are not spools or are
 * spools of another format.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "check.h"
#include "storage.h"

static char tmpl[] = "/tmp/et-spool-test-XXXXXX";
static char *base;

static void rmrf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void path_for(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", base, name);
}

static struct et_spool *open_spool_n(const char *dir, size_t map, int ro,
				     unsigned int commit_events, char *err)
{
	struct et_spool_opts o = { .map_size = map,
				   .commit_events = commit_events,
				   .readonly = ro };

	return et_spool_open(dir, &o, err, 512);
}

static struct et_spool *open_spool(const char *dir, size_t map, int ro,
				   char *err)
{
	return open_spool_n(dir, map, ro, 100, err);
}

/* An encoded exec record whose uid is @n, padded with @pad bytes of argv. */
static size_t make_rec(uint8_t *buf, uint32_t n, size_t pad)
{
	static char args[ET_REC_MAX_SIZE];
	struct et_record r = { .type = ET_REC_EXEC, .pid = n, .tid = n,
			       .ts = n, .uid = n };

	memset(args, 'a', sizeof(args));
	r.args.p = args;
	r.args.len = pad;
	et_record_set(&r, ET_F_UID);
	et_record_set(&r, ET_F_ARGS);
	return et_record_encode(&r, buf, ET_REC_MAX_SIZE);
}

struct walk {
	uint64_t n, first, last;
	int bad;
};

static int walk_cb(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct walk *w = arg;
	struct et_record r;

	if (et_record_decode(rec, len, &r) || r.uid != seq) {
		w->bad++;
		return 0;
	}
	if (w->n && seq != w->last + 1)
		w->bad++;
	if (!w->n)
		w->first = seq;
	w->last = seq;
	w->n++;
	return 0;
}

static void append_and_read(void)
{
	char dir[256], err[512];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool *sp;
	struct walk w = { 0 };
	uint64_t seq;

	path_for(dir, sizeof(dir), "basic");
	sp = open_spool(dir, 1 << 20, 0, err);
	if (!sp)
		CHECK_FAIL("open: %s", err);
	for (uint32_t i = 1; i <= 2500; i++) {
		size_t len = make_rec(rec, i, 10);

		CHECK_INT(0, et_spool_append(sp, rec, len, &seq));
		CHECK_INT(i, seq);
	}
	/* commit_events = 100: 2500 is a whole number of groups */
	CHECK_INT(0, et_spool_pending(sp));
	CHECK_INT(0, et_spool_foreach(sp, 0, walk_cb, &w));
	CHECK_INT(0, w.bad);
	CHECK_INT(2500, w.n);
	CHECK_INT(1, w.first);
	CHECK_INT(2500, w.last);
	memset(&w, 0, sizeof(w));
	CHECK_INT(0, et_spool_foreach(sp, 2001, walk_cb, &w));
	CHECK_INT(500, w.n);
	CHECK_INT(2001, w.first);
	CHECK_INT(0, et_spool_close(sp));
}

static void seq_continues_after_reopen(void)
{
	char dir[256], err[512];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool_stats st;
	struct et_spool *sp;
	uint64_t seq;

	path_for(dir, sizeof(dir), "reopen");
	for (int round = 0; round < 3; round++) {
		sp = open_spool(dir, 1 << 20, 0, err);
		if (!sp)
			CHECK_FAIL("open round %d: %s", round, err);
		for (int i = 0; i < 7; i++) {
			size_t len = make_rec(rec, round * 7 + i + 1, 0);

			CHECK_INT(0, et_spool_append(sp, rec, len, &seq));
			CHECK_INT(round * 7 + i + 1, seq);
		}
		/* 7 < commit_events: close must commit them */
		CHECK_INT(7, et_spool_pending(sp));
		CHECK_INT(0, et_spool_close(sp));
	}
	sp = open_spool(dir, 1 << 20, 1, err);
	if (!sp)
		CHECK_FAIL("readonly open: %s", err);
	CHECK_INT(0, et_spool_stats(sp, &st));
	CHECK_INT(21, st.records);
	CHECK_INT(1, st.first_seq);
	CHECK_INT(21, st.last_seq);
	CHECK_INT(-1, et_spool_append(sp, rec, 10, &seq));
	et_spool_close(sp);
}

/* A 1 MiB map takes far less than 8 MiB of records: the oldest go. */
static void full_map_evicts_oldest(void)
{
	char dir[256], err[512];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool_stats st;
	struct et_spool *sp;
	struct walk w = { 0 };
	struct stat sb;
	uint64_t seq;
	const uint32_t total = 8000;

	path_for(dir, sizeof(dir), "full");
	sp = open_spool(dir, 1 << 20, 0, err);
	if (!sp)
		CHECK_FAIL("open: %s", err);
	for (uint32_t i = 1; i <= total; i++) {
		size_t len = make_rec(rec, i, 1000);

		if (et_spool_append(sp, rec, len, &seq))
			CHECK_FAIL("append %u: %s", i, et_spool_error(sp));
	}
	CHECK_INT(0, et_spool_commit(sp));
	CHECK_INT(0, et_spool_stats(sp, &st));
	CHECK(st.evicted > 0);
	CHECK_INT(total, st.last_seq);
	CHECK_INT(total, st.records + st.evicted);
	CHECK_INT(st.evicted + 1, st.first_seq);
	CHECK(st.used <= (1 << 20));
	CHECK_INT(0, et_spool_foreach(sp, 0, walk_cb, &w));
	CHECK_INT(0, w.bad);
	CHECK_INT(st.records, w.n);
	CHECK_INT(total, w.last);
	CHECK_INT(0, et_spool_close(sp));
	snprintf(err, sizeof(err), "%s/data.mdb", dir);
	CHECK_INT(0, stat(err, &sb));
	CHECK(sb.st_size <= (1 << 20));
}

/*
 * The board's own map size (16 MiB on armv7), filled twice over: on a
 * 32-bit board the map, the page numbers and the file offsets are all
 * near the limits of the address space the agent really has.
 */
static void board_map_fill_and_evict(void)
{
	const size_t map = (size_t)CONFIG_SPOOL_MAP_SIZE_MIB << 20;
	const uint32_t total = 2 * (map / 1024);
	char dir[256], err[512];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool_stats st;
	struct et_spool *sp;
	struct walk w = { 0 };
	struct stat sb;
	uint64_t seq;

#ifdef CONFIG_ARCH_32BIT
	CHECK_INT(4, sizeof(void *));	/* really a 32-bit build */
#else
	CHECK_INT(8, sizeof(void *));
#endif
	path_for(dir, sizeof(dir), "board");
	sp = open_spool(dir, map, 0, err);
	if (!sp)
		CHECK_FAIL("open with a %zu-byte map: %s", map, err);
	for (uint32_t i = 1; i <= total; i++) {
		size_t len = make_rec(rec, i, 1000);

		if (et_spool_append(sp, rec, len, &seq))
			CHECK_FAIL("append %u: %s", i, et_spool_error(sp));
	}
	CHECK_INT(0, et_spool_commit(sp));
	CHECK_INT(0, et_spool_stats(sp, &st));
	CHECK_INT(map, st.map_size);
	CHECK(st.evicted > 0);
	CHECK_INT(total, st.last_seq);
	CHECK_INT(total, st.records + st.evicted);
	CHECK(st.records * 1000 > map / 2);	/* most of the map is kept */
	CHECK_INT(0, et_spool_close(sp));
	/* reopen: everything committed is there, in order */
	sp = open_spool(dir, map, 1, err);
	if (!sp)
		CHECK_FAIL("reopen: %s", err);
	CHECK_INT(0, et_spool_foreach(sp, 0, walk_cb, &w));
	et_spool_close(sp);
	CHECK_INT(0, w.bad);
	CHECK_INT(st.records, w.n);
	CHECK_INT(total, w.last);
	snprintf(err, sizeof(err), "%s/data.mdb", dir);
	CHECK_INT(0, stat(err, &sb));
	CHECK(sb.st_size <= (off_t)map);
}

/* Binary search on time: exact on ordered records, bounded at the ends. */
static void seek_by_time(void)
{
	char dir[256], err[512];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool *sp;
	uint64_t seq;

	path_for(dir, sizeof(dir), "seek");
	sp = open_spool(dir, 1 << 20, 0, err);
	if (!sp)
		CHECK_FAIL("open: %s", err);
	CHECK_INT(0, et_spool_seek_time(sp, 5, &seq));
	CHECK_INT(0, seq);			/* empty spool */
	for (uint32_t i = 1; i <= 1000; i++) {	/* ts = seq = uid = i */
		size_t len = make_rec(rec, i, 0);

		CHECK_INT(0, et_spool_append(sp, rec, len, &seq));
	}
	CHECK_INT(0, et_spool_commit(sp));
	CHECK_INT(0, et_spool_seek_time(sp, 0, &seq));
	CHECK_INT(1, seq);
	CHECK_INT(0, et_spool_seek_time(sp, 500, &seq));
	CHECK_INT(500, seq);
	/* groups of 100: inside a chunk, at its first and its last record */
	CHECK_INT(0, et_spool_seek_time(sp, 450, &seq));
	CHECK_INT(450, seq);
	CHECK_INT(0, et_spool_seek_time(sp, 401, &seq));
	CHECK_INT(401, seq);
	CHECK_INT(0, et_spool_seek_time(sp, 400, &seq));
	CHECK_INT(400, seq);
	CHECK_INT(0, et_spool_seek_time(sp, 999, &seq));
	CHECK_INT(999, seq);
	CHECK_INT(0, et_spool_seek_time(sp, 1000, &seq));
	CHECK_INT(1000, seq);
	CHECK_INT(0, et_spool_seek_time(sp, 1001, &seq));
	CHECK_INT(1001, seq);			/* all older: last + 1 */
	CHECK_INT(0, et_spool_close(sp));
}

/* After eviction the search starts at the oldest record left. */
static void seek_after_eviction(void)
{
	char dir[256], err[512];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool_stats st;
	struct et_spool *sp;
	uint64_t seq;

	path_for(dir, sizeof(dir), "seek-evict");
	sp = open_spool(dir, 1 << 20, 0, err);
	if (!sp)
		CHECK_FAIL("open: %s", err);
	for (uint32_t i = 1; i <= 4000; i++) {
		size_t len = make_rec(rec, i, 1000);

		if (et_spool_append(sp, rec, len, &seq))
			CHECK_FAIL("append %u: %s", i, et_spool_error(sp));
	}
	CHECK_INT(0, et_spool_commit(sp));
	CHECK_INT(0, et_spool_stats(sp, &st));
	CHECK(st.first_seq > 1);
	CHECK_INT(0, et_spool_seek_time(sp, 1, &seq));
	CHECK_INT(st.first_seq, seq);
	CHECK_INT(0, et_spool_seek_time(sp, 3999, &seq));
	CHECK_INT(3999, seq);
	CHECK_INT(0, et_spool_close(sp));
}

/* KiB of @file mapped in this process (Rss in /proc/self/smaps), or -1. */
static long mapped_kib(const char *file)
{
	char line[512];
	long rss = -1;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strstr(line, " /"))
			in = strstr(line, file) != NULL;
		else if (in && !strncmp(line, "Rss:", 4))
			rss = (rss < 0 ? 0 : rss) + atol(line + 4);
	}
	fclose(f);
	return rss;
}

/*
 * Under qemu-user the process is the emulator: /proc/self/exe is rewritten
 * to the guest binary, but "exe" read through a /proc/self directory fd is
 * not, and names qemu.
 */
static int emulated(void)
{
	char link[512];
	int dfd = open("/proc/self", O_RDONLY | O_DIRECTORY);
	ssize_t n = dfd < 0 ? -1 : readlinkat(dfd, "exe", link,
					      sizeof(link) - 1);

	if (dfd >= 0)
		close(dfd);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return strstr(link, "qemu-") != NULL;
}

/* A sync unmaps the spool's pages, so the agent's RSS does not grow. */
static void sync_releases_map_pages(void)
{
	char dir[256], err[512], file[300];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct walk w = { 0 };
	struct et_spool *sp;
	long before, after;
	uint64_t seq;

	path_for(dir, sizeof(dir), "rss");
	sp = open_spool(dir, 16 << 20, 0, err);
	if (!sp)
		CHECK_FAIL("open: %s", err);
	for (uint32_t i = 1; i <= 4000; i++) {
		size_t len = make_rec(rec, i, 1000);

		CHECK_INT(0, et_spool_append(sp, rec, len, &seq));
	}
	CHECK_INT(0, et_spool_commit(sp));
	CHECK_INT(0, et_spool_foreach(sp, 0, walk_cb, &w));	/* touch */
	snprintf(file, sizeof(file), "%s/data.mdb", dir);
	before = mapped_kib(file);
	if (before < 0 || emulated()) {	/* qemu-user: the emulator's maps */
		printf("SKIP test_spool.sync_releases_map_pages: no smaps "
		       "entry for the spool\n");
		et_spool_close(sp);
		check_failed = 1;	/* neither PASS nor FAIL */
		check_total_failed--;
		return;
	}
	CHECK_INT(0, et_spool_sync(sp));
	after = mapped_kib(file);
	CHECK_INT(0, et_spool_close(sp));
	if (before < 1024 || after > before / 3)
		CHECK_FAIL("mapped before sync %ld KiB, after %ld KiB: "
			   "expected most of it released", before, after);
}

static void not_a_spool(void)
{
	char dir[256], file[300], err[512];
	struct et_spool *sp;
	FILE *f;

	/* a regular file */
	path_for(file, sizeof(file), "plainfile");
	f = fopen(file, "w");
	CHECK(f != NULL);
	fclose(f);
	sp = open_spool(file, 1 << 20, 0, err);
	CHECK(sp == NULL);
	CHECK(strstr(err, "not a directory") != NULL);
	/* a non-empty directory that is not a spool */
	path_for(dir, sizeof(dir), "other");
	CHECK_INT(0, mkdir(dir, 0700));
	snprintf(file, sizeof(file), "%s/notes.txt", dir);
	f = fopen(file, "w");
	fclose(f);
	sp = open_spool(dir, 1 << 20, 0, err);
	CHECK(sp == NULL);
	CHECK(strstr(err, "not an edgetrace spool") != NULL);
	/* nothing was written into it */
	snprintf(file, sizeof(file), "%s/data.mdb", dir);
	CHECK(access(file, F_OK) != 0);
	/* a parent that does not exist */
	path_for(dir, sizeof(dir), "missing/deeper");
	sp = open_spool(dir, 1 << 20, 0, err);
	CHECK(sp == NULL);
	CHECK(strstr(err, "cannot create spool directory") != NULL);
	/* readonly open of a missing spool creates nothing */
	path_for(dir, sizeof(dir), "never");
	sp = open_spool(dir, 1 << 20, 1, err);
	CHECK(sp == NULL);
	CHECK(access(dir, F_OK) != 0);
}

struct cursor_list {
	int n;
	char names[4][ET_CURSOR_NAME_MAX + 1];
	uint64_t seqs[4];
};

static int list_cb(const char *name, uint64_t seq, void *arg)
{
	struct cursor_list *l = arg;

	if (l->n < 4) {
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s", name);
		l->seqs[l->n] = seq;
	}
	l->n++;
	return 0;
}

/*
 * In a child process (LMDB forbids opening one environment twice in a
 * process): open @dir (read-only if @ro) and either read cursor @name
 * into the exit status (0 = unset, 1 = set to @seq, 2 = other) or, if
 * @set, move it to @seq. Exits 3 on errors.
 */
static int in_child(const char *dir, int ro, const char *name, uint64_t seq,
		    int set)
{
	struct et_spool *sp;
	char err[512];
	uint64_t c;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		sp = open_spool(dir, 1 << 20, ro, err);
		if (!sp)
			_exit(3);
		if (set)
			_exit(et_spool_cursor_set(sp, name, seq) ||
			      et_spool_close(sp) ? 3 : 0);
		if (et_spool_cursor_get(sp, name, &c))
			_exit(3);
		_exit(c == 0 ? 0 : c == seq ? 1 : 2);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Named cursors: unset reads 0; a move with records queued is committed
 * with them (not before); a move past the last record is refused; bad
 * names are refused; cursors survive reopen and are listed by name;
 * another process that only moves its own cursor does not disturb the
 * writer's sequence numbers.
 */
static void named_cursors(void)
{
	char dir[256], err[512];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct cursor_list l = { 0 };
	struct et_spool *sp;
	uint64_t seq, c;

	path_for(dir, sizeof(dir), "cursors");
	sp = open_spool(dir, 1 << 20, 0, err);
	if (!sp)
		CHECK_FAIL("open: %s", err);
	CHECK_INT(0, et_spool_cursor_get(sp, "upload", &c));
	CHECK_INT(0, c);
	/* nothing stored yet: 1 is the next record, 2 is past it */
	CHECK_INT(-1, et_spool_cursor_set(sp, "upload", 2));
	CHECK(strstr(et_spool_error(sp), "cannot move to 2"));
	for (uint32_t i = 1; i <= 150; i++)
		CHECK_INT(0, et_spool_append(sp, rec, make_rec(rec, i, 0), &seq));
	/* 100 committed, 50 queued: a move to 140 goes with the queue */
	CHECK_INT(50, et_spool_pending(sp));
	CHECK_INT(0, et_spool_cursor_set(sp, "upload", 140));
	CHECK_INT(0, et_spool_cursor_get(sp, "upload", &c));
	CHECK_INT(140, c);
	CHECK_INT(0, in_child(dir, 1, "upload", 140, 0));	/* not yet */
	CHECK_INT(0, et_spool_commit(sp));
	CHECK_INT(1, in_child(dir, 1, "upload", 140, 0));
	CHECK_INT(-1, et_spool_cursor_set(sp, "upload", 152));
	if (et_spool_cursor_set(sp, "upload", 151))
		CHECK_FAIL("set 151: %s", et_spool_error(sp));
	CHECK_INT(-1, et_spool_cursor_set(sp, "Upload", 1));
	CHECK(strstr(et_spool_error(sp), "a-z"));
	CHECK_INT(-1, et_spool_cursor_set(sp, "", 1));
	/* another process moves its own cursor; our numbering goes on */
	CHECK_INT(0, in_child(dir, 0, "export.ssh", 100, 1));
	CHECK_INT(3, in_child(dir, 0, "export.ssh", 152, 1));
	CHECK_INT(0, et_spool_append(sp, rec, make_rec(rec, 151, 0), &seq));
	CHECK_INT(151, seq);
	CHECK_INT(0, et_spool_close(sp));
	sp = open_spool(dir, 1 << 20, 1, err);
	if (!sp)
		CHECK_FAIL("reopen: %s", err);
	CHECK_INT(0, et_spool_cursor_foreach(sp, list_cb, &l));
	CHECK_INT(0, et_spool_close(sp));
	CHECK_INT(2, l.n);
	CHECK_STR("export.ssh", l.names[0]);
	CHECK_INT(100, l.seqs[0]);
	CHECK_STR("upload", l.names[1]);
	CHECK_INT(151, l.seqs[1]);
}

/* A cut during creation leaves .new behind; the next open cleans it up. */
static void creation_leftover(void)
{
	char dir[256], path[300], err[512];
	struct et_spool *sp;
	struct stat sb;
	int fd;

	path_for(dir, sizeof(dir), "leftover");
	CHECK_INT(0, mkdir(dir, 0700));
	snprintf(path, sizeof(path), "%s/.new", dir);
	CHECK_INT(0, mkdir(path, 0700));
	snprintf(path, sizeof(path), "%s/.new/data.mdb", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0);
	CHECK_INT(5, write(fd, "torn!", 5));
	close(fd);
	sp = open_spool(dir, 1 << 20, 0, err);
	if (!sp)
		CHECK_FAIL("open: %s", err);
	CHECK_INT(0, et_spool_close(sp));
	snprintf(path, sizeof(path), "%s/.new", dir);
	CHECK_INT(-1, stat(path, &sb));
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	CHECK_INT(0, stat(path, &sb));
}

struct stop_at {
	uint64_t stop, n, first, last;
	int bad;
};

static int stop_cb(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct stop_at *s = arg;
	struct et_record r;

	if (et_record_decode(rec, len, &r) || r.uid != seq ||
	    (s->n && seq != s->last + 1))
		s->bad++;
	if (!s->n)
		s->first = seq;
	s->last = seq;
	s->n++;
	return seq == s->stop ? 7 : 0;
}

/* Walk from @from (stopping at @stop, if not 0); check the seqs seen. */
static void walk_from(struct et_spool *sp, uint64_t from, uint64_t stop,
		      uint64_t first, uint64_t last)
{
	struct stop_at s = { .stop = stop };

	CHECK_INT(stop ? 7 : 0, et_spool_foreach(sp, from, stop_cb, &s));
	CHECK_INT(0, s.bad);
	CHECK_INT(first, s.first);
	CHECK_INT(last, s.last);
	CHECK_INT(last - first + 1, s.n);
}

/*
 * Reads that start or stop inside a chunk: groups of 100, and one group
 * of 3000, more than a read transaction's share, so a walk resumes in the
 * middle of a chunk.
 */
static void foreach_inside_chunks(void)
{
	char dir[256], err[512];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool *sp;
	uint64_t seq;

	path_for(dir, sizeof(dir), "inside");
	sp = open_spool_n(dir, 4 << 20, 0, 100, err);
	if (!sp)
		CHECK_FAIL("open: %s", err);
	for (uint32_t i = 1; i <= 1000; i++)
		CHECK_INT(0, et_spool_append(sp, rec, make_rec(rec, i, 0),
					     &seq));
	CHECK_INT(0, et_spool_close(sp));
	sp = open_spool_n(dir, 4 << 20, 0, 5000, err);
	if (!sp)
		CHECK_FAIL("reopen: %s", err);
	for (uint32_t i = 1001; i <= 4000; i++)
		CHECK_INT(0, et_spool_append(sp, rec, make_rec(rec, i, 0),
					     &seq));
	CHECK_INT(3000, et_spool_pending(sp));	/* one chunk of 3000 */
	CHECK_INT(0, et_spool_commit(sp));
	walk_from(sp, 0, 0, 1, 4000);
	walk_from(sp, 250, 0, 250, 4000);	/* inside a chunk */
	walk_from(sp, 300, 0, 300, 4000);	/* a chunk's last record */
	walk_from(sp, 301, 0, 301, 4000);	/* a chunk's first */
	walk_from(sp, 1000, 0, 1000, 4000);	/* just before the big one */
	walk_from(sp, 1001, 0, 1001, 4000);
	walk_from(sp, 2345, 0, 2345, 4000);	/* inside the big chunk */
	walk_from(sp, 4000, 0, 4000, 4000);
	walk_from(sp, 250, 260, 250, 260);	/* the callback stops it */
	walk_from(sp, 1500, 3999, 1500, 3999);
	{
		struct stop_at s = { 0 };

		CHECK_INT(0, et_spool_foreach(sp, 4001, stop_cb, &s));
		CHECK_INT(0, s.n);		/* past the end: nothing */
	}
	CHECK_INT(0, et_spool_seek_time(sp, 2345, &seq));
	CHECK_INT(2345, seq);
	CHECK_INT(0, et_spool_seek_time(sp, 1001, &seq));
	CHECK_INT(1001, seq);
	CHECK_INT(0, et_spool_close(sp));
}

/*
 * Eviction deletes whole chunks and counts their records: groups of 50
 * records of about 1 KiB in a 1 MiB map. first_seq is always the start
 * of a group, and evicted is exactly the records before it.
 */
static void evict_whole_chunks(void)
{
	char dir[256], err[512];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool_stats st;
	struct et_spool *sp;
	uint64_t seq;
	int checks = 0;

	path_for(dir, sizeof(dir), "evict-chunks");
	sp = open_spool_n(dir, 1 << 20, 0, 50, err);
	if (!sp)
		CHECK_FAIL("open: %s", err);
	for (uint32_t i = 1; i <= 5000; i++) {
		if (et_spool_append(sp, rec, make_rec(rec, i, 1000), &seq))
			CHECK_FAIL("append %u: %s", i, et_spool_error(sp));
		if (i % 50)
			continue;
		CHECK_INT(0, et_spool_stats(sp, &st));
		CHECK_INT(i, st.last_seq);
		CHECK_INT(i, st.records + st.evicted);
		CHECK_INT(st.evicted + 1, st.first_seq);
		if (st.evicted % 50)
			CHECK_FAIL("after %u: %llu evicted, not whole groups",
				   i, (unsigned long long)st.evicted);
		checks++;
	}
	CHECK_INT(100, checks);
	CHECK(st.evicted > 0);
	/* an evicted seq reads as gone; reads start at the oldest left */
	walk_from(sp, 1, 0, st.first_seq, 5000);
	walk_from(sp, st.first_seq - 1, 0, st.first_seq, 5000);
	walk_from(sp, st.first_seq + 17, 0, st.first_seq + 17, 5000);
	CHECK_INT(0, et_spool_close(sp));
}

/*
 * The smallest queue (a 256 KiB map) and the largest records: a chunk
 * holds one or two of them, a record that does not fit what is queued
 * commits the queue first, and everything reads back.
 */
static void largest_records_small_queue(void)
{
	char dir[256], err[512];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool_stats st;
	struct et_spool *sp;
	struct walk w = { 0 };
	size_t len;
	uint64_t seq;

	path_for(dir, sizeof(dir), "largest");
	sp = open_spool_n(dir, 256 << 10, 0, 1000, err);
	if (!sp)
		CHECK_FAIL("open: %s", err);
	len = make_rec(rec, 1, ET_REC_MAX_SIZE);	/* too big: refused */
	CHECK_INT(0, len);
	for (uint32_t i = 1; i <= 200; i++) {
		len = make_rec(rec, i, i % 3 ? 4000 + i : 10);
		if (!len || et_spool_append(sp, rec, len, &seq))
			CHECK_FAIL("append %u: %s", i, et_spool_error(sp));
		CHECK_INT(i, seq);
	}
	/* 4000-byte records: a few per queue, so it committed on its own */
	CHECK(et_spool_pending(sp) < 10);
	CHECK_INT(0, et_spool_commit(sp));
	CHECK_INT(0, et_spool_stats(sp, &st));
	CHECK(st.evicted > 0);
	CHECK_INT(200, st.last_seq);
	CHECK_INT(200, st.records + st.evicted);
	CHECK_INT(0, et_spool_foreach(sp, 0, walk_cb, &w));
	CHECK_INT(0, w.bad);
	CHECK_INT(st.records, w.n);
	/* records of the largest size that make_rec can encode */
	for (uint32_t i = 201; i <= 260; i++) {
		len = make_rec(rec, i, ET_REC_MAX_SIZE - 40);
		if (!len || len < ET_REC_MAX_SIZE - 20 ||
		    et_spool_append(sp, rec, len, &seq))
			CHECK_FAIL("append %u (%zu bytes): %s", i, len,
				   et_spool_error(sp));
		CHECK(et_spool_pending(sp) <= 2);
	}
	CHECK_INT(0, et_spool_commit(sp));
	CHECK_INT(0, et_spool_stats(sp, &st));
	CHECK_INT(260, st.last_seq);
	CHECK_INT(260, st.records + st.evicted);
	CHECK_INT(st.evicted + 1, st.first_seq);
	memset(&w, 0, sizeof(w));
	CHECK_INT(0, et_spool_foreach(sp, 0, walk_cb, &w));
	CHECK_INT(0, w.bad);
	CHECK_INT(st.records, w.n);
	CHECK_INT(260, w.last);
	CHECK_INT(0, et_spool_seek_time(sp, 259, &seq));
	CHECK_INT(259, seq);
	CHECK_INT(0, et_spool_close(sp));
}

struct reader {
	struct et_spool *sp;
	uint64_t n, last, jumped_to, evicted_first;
	int bad;
};

/*
 * While the first read transaction is open, the writer evicts what the
 * reader has not reached yet: the walk goes on at the oldest record left,
 * never at an evicted one.
 */
static int evicting_cb(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	uint8_t buf[ET_REC_MAX_SIZE];
	struct et_spool_stats st;
	struct reader *rd = arg;
	struct et_record r;
	uint64_t s;

	if (et_record_decode(rec, len, &r) || r.uid != seq)
		rd->bad++;
	if (rd->n && seq != rd->last + 1) {
		if (rd->jumped_to)
			rd->bad++;	/* one jump only */
		rd->jumped_to = seq;
	}
	rd->last = seq;
	if (rd->n++)
		return 0;
	/* about 6.6 MB of big records into the 8 MiB map: one eviction */
	for (uint32_t i = 2001; i <= 8400; i++)
		if (et_spool_append(rd->sp, buf, make_rec(buf, i, 1000), &s))
			return -1;
	if (et_spool_commit(rd->sp) || et_spool_stats(rd->sp, &st))
		return -1;
	rd->evicted_first = st.first_seq;
	return 0;
}

static void read_while_evicting(void)
{
	char dir[256], err[512];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct reader rd = { 0 };
	uint64_t seq;

	path_for(dir, sizeof(dir), "read-evict");
	rd.sp = open_spool_n(dir, 8 << 20, 0, 100, err);
	if (!rd.sp)
		CHECK_FAIL("open: %s", err);
	for (uint32_t i = 1; i <= 2000; i++)
		CHECK_INT(0, et_spool_append(rd.sp, rec, make_rec(rec, i, 0),
					     &seq));
	CHECK_INT(0, et_spool_commit(rd.sp));
	if (et_spool_foreach(rd.sp, 0, evicting_cb, &rd))
		CHECK_FAIL("foreach: %s", et_spool_error(rd.sp));
	CHECK_INT(0, rd.bad);
	/* the small records went; the reader saw its first transaction's */
	CHECK(rd.evicted_first > 2000);
	CHECK(rd.jumped_to >= rd.evicted_first);
	CHECK_INT(8400, rd.last);
	CHECK_INT(0, et_spool_close(rd.sp));
}

/* Change the spool's format tag, as another version would have written. */
static int set_format(const char *dir, const char *tag)
{
	MDB_val k = { 6, "format" }, d = { strlen(tag), (void *)tag };
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	int rc;

	if (mdb_env_create(&env))
		return -1;
	mdb_env_set_maxdbs(env, 4);
	rc = mdb_env_open(env, dir, 0, 0600);
	if (!rc)
		rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (!rc) {
		rc = mdb_dbi_open(txn, "meta", 0, &dbi);
		if (!rc)
			rc = mdb_put(txn, dbi, &k, &d, 0);
		if (!rc)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
	}
	mdb_env_close(env);
	return rc ? -1 : 0;
}

/* A spool of format 1 (one record per value) or of a newer format. */
static void other_formats_refused(void)
{
	char dir[256], err[512];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool *sp;
	uint64_t seq;

	path_for(dir, sizeof(dir), "format1");
	sp = open_spool(dir, 1 << 20, 0, err);
	if (!sp)
		CHECK_FAIL("open: %s", err);
	CHECK_INT(0, et_spool_append(sp, rec, make_rec(rec, 1, 0), &seq));
	CHECK_INT(0, et_spool_close(sp));
	CHECK_INT(0, set_format(dir, "edgetrace-spool 1"));
	for (int ro = 0; ro <= 1; ro++) {
		sp = open_spool(dir, 1 << 20, ro, err);
		CHECK(sp == NULL);
		CHECK(strstr(err, "older edgetrace") != NULL);
		CHECK(strstr(err, "'edgetrace-spool 1'") != NULL);
		CHECK(strstr(err, "give another --spool") != NULL);
	}
	CHECK_INT(0, set_format(dir, "edgetrace-spool 9"));
	sp = open_spool(dir, 1 << 20, 1, err);
	CHECK(sp == NULL);
	CHECK(strstr(err, "holds spool format 'edgetrace-spool 9'") != NULL);
	CHECK_INT(0, set_format(dir, "edgetrace-spool 2"));
	sp = open_spool(dir, 1 << 20, 1, err);
	if (!sp)
		CHECK_FAIL("open format 2 again: %s", err);
	et_spool_close(sp);
}

/*
 * State values: unset reads length 0; a value and a cursor move land in
 * one transaction and survive reopen; a cursor past the last record
 * refuses the whole write (the value is not changed either); length 0
 * deletes; bad names and values over ET_STATE_MAX are refused.
 */
static void state_values(void)
{
	char dir[512], err[512], buf[ET_STATE_MAX], big[ET_STATE_MAX + 1];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool *sp;
	uint64_t seq, c;
	size_t len, n;

	path_for(dir, sizeof(dir), "state");
	sp = open_spool(dir, 1 << 20, 0, err);
	CHECK(sp);
	CHECK_INT(0, et_spool_state_get(sp, "uplink", buf, sizeof(buf), &len));
	CHECK_INT(0, len);
	for (uint32_t i = 1; i <= 10; i++) {
		n = make_rec(rec, i, 10);
		CHECK_INT(0, et_spool_append(sp, rec, n, &seq));
	}
	/* queued records are committed first, then value and cursor */
	CHECK_INT(0, et_spool_state_set(sp, "uplink", "abc", 3, "uplink", 4));
	CHECK_INT(0, et_spool_pending(sp));
	CHECK_INT(0, et_spool_state_get(sp, "uplink", buf, sizeof(buf), &len));
	CHECK_MEM("abc", buf, len);
	CHECK_INT(0, et_spool_cursor_get(sp, "uplink", &c));
	CHECK_INT(4, c);
	/* past the end: nothing changes */
	CHECK_INT(-1, et_spool_state_set(sp, "uplink", "xyz", 3, "uplink", 12));
	CHECK(strstr(et_spool_error(sp), "past the spool's last record"));
	CHECK_INT(0, et_spool_state_get(sp, "uplink", buf, sizeof(buf), &len));
	CHECK_MEM("abc", buf, len);
	CHECK_INT(0, et_spool_state_set(sp, "uplink", "de", 2, NULL, 0));
	CHECK_INT(0, et_spool_cursor_get(sp, "uplink", &c));
	CHECK_INT(4, c);
	/* too small a buffer, bad names, too long a value */
	CHECK_INT(-1, et_spool_state_get(sp, "uplink", buf, 1, &len));
	CHECK_INT(-1, et_spool_state_set(sp, "Bad Name", "a", 1, NULL, 0));
	memset(big, 'x', sizeof(big));
	CHECK_INT(-1, et_spool_state_set(sp, "uplink", big, sizeof(big),
					 NULL, 0));
	CHECK_INT(0, et_spool_close(sp));
	sp = open_spool(dir, 1 << 20, 1, err);
	CHECK(sp);
	CHECK_INT(0, et_spool_state_get(sp, "uplink", buf, sizeof(buf), &len));
	CHECK_MEM("de", buf, len);
	CHECK_INT(-1, et_spool_state_set(sp, "uplink", "a", 1, NULL, 0));
	et_spool_close(sp);
	sp = open_spool(dir, 1 << 20, 0, err);
	CHECK(sp);
	CHECK_INT(0, et_spool_state_set(sp, "uplink", NULL, 0, "uplink", 11));
	CHECK_INT(0, et_spool_state_get(sp, "uplink", buf, sizeof(buf), &len));
	CHECK_INT(0, len);
	CHECK_INT(0, et_spool_cursor_get(sp, "uplink", &c));
	CHECK_INT(11, c);
	CHECK_INT(0, et_spool_close(sp));
}

CHECK_MAIN_BEGIN("test_spool")
	base = mkdtemp(tmpl);
	if (!base) {
		printf("FAIL test_spool: cannot create a temporary directory\n");
		return 1;
	}
	RUN(append_and_read);
	RUN(seq_continues_after_reopen);
	RUN(full_map_evicts_oldest);
	RUN(board_map_fill_and_evict);
	RUN(seek_by_time);
	RUN(seek_after_eviction);
	RUN(sync_releases_map_pages);
	RUN(not_a_spool);
	RUN(named_cursors);
	RUN(creation_leftover);
	RUN(foreach_inside_chunks);
	RUN(evict_whole_chunks);
	RUN(largest_records_small_queue);
	RUN(read_while_evicting);
	RUN(other_formats_refused);
	RUN(state_values);
	rmrf(base);
CHECK_MAIN_END
