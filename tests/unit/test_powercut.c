// SPDX-License-Identifier: GPL-2.0
/*
 * test_powercut.c - the spool after a power cut at any moment.
 *
 * A power cut keeps what was synced to the device and, of what was written
 * since, any subset: the page cache writes pages back in whatever order it
 * likes. This test records every write and sync LMDB makes to data.mdb
 * while a writer appends, commits, syncs, evicts and moves a cursor (the
 * calls are intercepted at link time with ld's --wrap, so the real LMDB
 * library runs unchanged). Then, for every write in the log as the cut
 * point and a few random choices each, it rebuilds the file the device
 * could hold: everything up to the last sync, and for each page written
 * since, either its synced content or the content after any of its later
 * writes up to the cut. Each such file must open as a spool whose records
 * all decode with contiguous sequence numbers, hold every record that was
 * committed before the last completed sync, have a cursor that does not
 * point past the data, count exactly the records before the oldest one
 * as evicted, find a record by time, and take new records. Records are
 * stored a commit group per LMDB value (a chunk); the writer makes
 * chunks of several sizes, and eviction deletes whole ones.
 *
 * A spool opened with MDB_NOSYNC fails this test: LMDB then writes the
 * meta page without ordering it after the data pages it points to.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "storage.h"

#define PAGE		4096
#define MAP_SIZE	(1 << 20)
#define RECORDS		3000

enum op_kind { OP_WRITE, OP_SYNC, OP_MARK };

struct op {
	enum op_kind kind;
	int durable;		/* written through an O_DSYNC descriptor */
	off_t off;
	size_t len;
	uint8_t *data;
	uint64_t synced_seq;	/* OP_MARK: every record <= this is synced */
};

static struct op *ops;
static size_t nops, cap;
static int logging;
static char data_path[PATH_MAX];

ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __real_writev(int fd, const struct iovec *iov, int cnt);
int __real_fdatasync(int fd);
int __real_fsync(int fd);

static struct op *new_op(enum op_kind kind)
{
	if (nops == cap) {
		cap = cap ? 2 * cap : 1024;
		ops = realloc(ops, cap * sizeof(*ops));
		if (!ops)
			abort();
	}
	memset(&ops[nops], 0, sizeof(ops[nops]));
	ops[nops].kind = kind;
	return &ops[nops++];
}

/* Is @fd the data file we are logging? */
static int is_data(int fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	if (!logging)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return !strcmp(target, data_path);
}

/* Log a write, page by page: the device may keep any subset of pages. */
static void log_write(int fd, const void *buf, size_t n, off_t off)
{
	int durable = !!(fcntl(fd, F_GETFL) & O_DSYNC);

	while (n) {
		size_t len = PAGE - off % PAGE;
		struct op *o = new_op(OP_WRITE);

		if (len > n)
			len = n;
		o->durable = durable;
		o->off = off;
		o->len = len;
		o->data = malloc(len);
		if (!o->data)
			abort();
		memcpy(o->data, buf, len);
		buf = (const uint8_t *)buf + len;
		off += len;
		n -= len;
	}
}

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t r = __real_pwrite(fd, buf, n, off);

	if (r > 0 && is_data(fd))
		log_write(fd, buf, r, off);
	return r;
}

ssize_t __wrap_writev(int fd, const struct iovec *iov, int cnt)
{
	off_t off = lseek(fd, 0, SEEK_CUR);
	ssize_t r = __real_writev(fd, iov, cnt), left = r;

	if (r <= 0 || !is_data(fd))
		return r;
	for (int i = 0; i < cnt && left > 0; i++) {
		size_t n = (size_t)left < iov[i].iov_len ? (size_t)left :
			   iov[i].iov_len;

		log_write(fd, iov[i].iov_base, n, off);
		off += n;
		left -= n;
	}
	return r;
}

int __wrap_fdatasync(int fd)
{
	int r = __real_fdatasync(fd);

	if (!r && is_data(fd))
		new_op(OP_SYNC);
	return r;
}

int __wrap_fsync(int fd)
{
	int r = __real_fsync(fd);

	if (!r && is_data(fd))
		new_op(OP_SYNC);
	return r;
}

static void mark_synced(uint64_t seq)
{
	new_op(OP_MARK)->synced_seq = seq;
}

static char tmpl[] = "/tmp/et-powercut-XXXXXX";
static char *base;

static size_t make_rec(uint8_t *buf, uint32_t n)
{
	static char args[1024];
	struct et_record r = { .type = ET_REC_EXEC, .pid = n, .tid = n,
			       .ts = n, .uid = n };

	memset(args, 'a' + n % 26, sizeof(args));
	r.args.p = args;
	r.args.len = 40 + n * 7919 % 700;
	et_record_set(&r, ET_F_UID);
	et_record_set(&r, ET_F_ARGS);
	return et_record_encode(&r, buf, ET_REC_MAX_SIZE);
}

struct image {
	uint8_t *buf;
	size_t size;
};

static int read_image(const char *path, struct image *im)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, im->buf, MAP_SIZE);
	close(fd);
	if (n < 0)
		return -1;
	im->size = n;
	return 0;
}

static struct et_spool *open_spool(const char *dir, char *err)
{
	struct et_spool_opts o = { .map_size = MAP_SIZE, .commit_events = 40 };

	return et_spool_open(dir, &o, err, 512);
}

/*
 * The writer: groups of 40, and a commit every 130 records that cuts a
 * group short, so chunks have several sizes; a sync every 200 records,
 * the "upload" cursor trailing the writer; 3000 records of ~400 bytes
 * overflow the 1 MiB map, so eviction runs under the cut too.
 */
static int run_writer(const char *dir, struct image *start)
{
	char err[512], path[PATH_MAX];
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool *sp;
	uint64_t seq;

	sp = open_spool(dir, err);
	if (!sp) {
		printf("# writer open: %s\n", err);
		return -1;
	}
	/* a new spool is synced before it is used: the log starts there */
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (!realpath(path, data_path) || read_image(data_path, start))
		return -1;
	logging = 1;
	for (uint32_t i = 1; i <= RECORDS; i++) {
		if (et_spool_append(sp, rec, make_rec(rec, i), &seq) ||
		    seq != i)
			return -1;
		if (i % 300 == 0 && et_spool_cursor_set(sp, "upload", i - 100))
			return -1;
		if (i % 130 == 0 && et_spool_commit(sp))
			return -1;
		if (i % 200 == 0) {
			if (et_spool_commit(sp) || et_spool_sync(sp))
				return -1;
			mark_synced(i);
		}
	}
	logging = 0;
	return et_spool_close(sp);
}

static void apply(struct image *im, const uint8_t *p, off_t off, size_t len)
{
	if ((size_t)off + len > im->size)
		im->size = off + len;
	memcpy(im->buf + off, p, len);
}

/*
 * The device after a cut just after op @cut: @synced holds the image as of
 * the last sync before it (@last_sync is that op's index); each page
 * written since gets its content after a random number (0 to all) of its
 * writes, in order.
 */
static void crash_image(struct image *out, const struct image *synced,
			size_t last_sync, size_t cut, unsigned int *rnd)
{
	static uint16_t keep[MAP_SIZE / PAGE], seen[MAP_SIZE / PAGE];

	memcpy(out->buf, synced->buf, MAP_SIZE);
	out->size = synced->size;
	memset(seen, 0, sizeof(seen));
	for (size_t i = last_sync; i <= cut; i++)
		if (ops[i].kind == OP_WRITE && !ops[i].durable)
			seen[ops[i].off / PAGE]++;
	for (size_t p = 0; p < MAP_SIZE / PAGE; p++)
		keep[p] = seen[p] ? rand_r(rnd) % (seen[p] + 1) : 0;
	for (size_t i = last_sync; i <= cut; i++) {
		const struct op *o = &ops[i];
		size_t p = o->off / PAGE;

		if (o->kind != OP_WRITE)
			continue;
		/* a durable write reached the device before its call returned */
		if (o->durable || keep[p]) {
			apply(out, o->data, o->off, o->len);
			if (!o->durable)
				keep[p]--;
		}
	}
}

enum verdict {
	V_OK = 0, V_OPEN, V_READ, V_LOST, V_CURSOR, V_COUNT, V_SEEK, V_APPEND,
	V_DIED, V_NR
};

static const char *const verdict_name[V_NR] = {
	"ok", "does not open", "records damaged or not contiguous",
	"synced records lost", "cursor past the data",
	"evicted count does not match the oldest record",
	"seek by time misses", "cannot append",
	"reader crashed",
};

struct walk {
	uint64_t n, last;
	int bad;
};

static int walk_cb(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct walk *w = arg;
	struct et_record r;

	if (et_record_decode(rec, len, &r) || r.uid != seq ||
	    (w->n && seq != w->last + 1))
		w->bad++;
	w->last = seq;
	w->n++;
	return 0;
}

/* In a child: open the rebuilt spool in @dir and check it. */
static enum verdict check_spool(const char *dir, uint64_t synced_seq)
{
	uint8_t rec[ET_REC_MAX_SIZE];
	struct et_spool_stats st;
	struct walk w = { 0 };
	struct et_spool *sp;
	char err[512];
	uint64_t cur, seq;

	sp = open_spool(dir, err);
	if (!sp) {
		if (getenv("ET_POWERCUT_DEBUG"))
			printf("# %s\n", err);
		return V_OPEN;
	}
	if (et_spool_stats(sp, &st) || et_spool_foreach(sp, 0, walk_cb, &w) ||
	    w.bad || w.n != st.records ||
	    (st.records && st.last_seq - st.first_seq + 1 != st.records))
		return V_READ;
	if (st.last_seq < synced_seq)
		return V_LOST;
	if (et_spool_cursor_get(sp, "upload", &cur) || cur > st.last_seq + 1)
		return V_CURSOR;
	if (st.records && st.first_seq != st.evicted + 1)
		return V_COUNT;
	/* ts = seq: the chunks' time ranges lead to the exact record */
	if (st.records && (et_spool_seek_time(sp, st.last_seq, &seq) ||
			   seq != st.last_seq))
		return V_SEEK;
	if (et_spool_append(sp, rec, make_rec(rec, st.last_seq + 1), &seq) ||
	    seq != st.last_seq + 1 || et_spool_close(sp))
		return V_APPEND;
	return V_OK;
}

static enum verdict check_image(const struct image *im, uint64_t synced_seq)
{
	char dir[256], path[300];
	int fd, status;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/cut", base);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, im->buf, im->size) != (ssize_t)im->size) {
		perror(path);
		exit(2);
	}
	close(fd);
	pid = fork();
	if (pid == 0)
		_exit(check_spool(dir, synced_seq));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		exit(2);
	if (!WIFEXITED(status) || WEXITSTATUS(status) >= V_NR)
		return V_DIED;
	return WEXITSTATUS(status);
}

static int rounds(void)
{
	const char *e = getenv("ET_POWERCUT_ROUNDS");

	return e ? atoi(e) : 2;
}

static void every_cut_recovers(void)
{
	struct image synced = { 0 }, crash = { 0 };
	unsigned int rnd = 42, count[V_NR] = { 0 }, states = 0;
	uint64_t synced_seq = 0;
	size_t last_sync = 0;
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/writer", base);
	synced.buf = calloc(1, MAP_SIZE);
	crash.buf = calloc(1, MAP_SIZE);
	CHECK(synced.buf && crash.buf);
	CHECK_INT(0, run_writer(dir, &synced));
	CHECK(nops > 100);
	for (size_t i = 0; i < nops; i++) {
		if (ops[i].kind == OP_SYNC) {
			for (size_t j = last_sync; j < i; j++)
				if (ops[j].kind == OP_WRITE)
					apply(&synced, ops[j].data, ops[j].off,
					      ops[j].len);
			last_sync = i;
			continue;
		}
		if (ops[i].kind == OP_MARK) {
			synced_seq = ops[i].synced_seq;
			continue;
		}
		for (int r = 0; r < rounds(); r++) {
			enum verdict v;

			crash_image(&crash, &synced, last_sync, i, &rnd);
			v = check_image(&crash, synced_seq);
			if (v && !count[v])
				printf("# cut after write %zu of %zu: %s\n", i,
				       nops, verdict_name[v]);
			count[v]++;
			states++;
		}
	}
	printf("# %u crash states from %zu logged operations: %u recovered\n",
	       states, nops, count[V_OK]);
	free(synced.buf);
	free(crash.buf);
	CHECK_INT(states, count[V_OK]);
}

CHECK_MAIN_BEGIN("test_powercut")
	base = mkdtemp(tmpl);
	if (!base)
		return 1;
	RUN(every_cut_recovers);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", base);
	}
CHECK_MAIN_END
