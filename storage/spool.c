// SPDX-License-Identifier: GPL-2.0
/*
 * spool.c - the LMDB spool.
 *
 * Layout of the environment (docs/record-format.md, "The spool"):
 *   "records"  key: the sequence number of a chunk's first record, 8 bytes
 *              big-endian (so LMDB's default byte order is numeric order
 *              on every architecture, 32-bit included, where
 *              MDB_INTEGERKEY would mean a 32-bit size_t); value: a chunk,
 *              the records of one group commit: a 24-byte header (u32
 *              count, u32 reserved, u64 oldest and u64 newest timestamp)
 *              and count times a u32 length and that many bytes of record,
 *              all little-endian. Chunks are contiguous: the next chunk's
 *              key is this key + count.
 *   "meta"     "format" = "edgetrace-spool 2", "next_seq", "evicted", and
 *              "state.NAME": a consumer's small values (the uplink's
 *              in-flight batch), written with a cursor move in one
 *              transaction by et_spool_state_set.
 *   "cursors"  key: a consumer's name ("upload", "export.ssh"); value: the
 *              u64 sequence number it reads next. A cursor set by the
 *              process that appends is written in the same transaction as
 *              the records queued before it, so it never names a record
 *              that a crash could take back.
 *
 * Writes. Records are queued in memory, already laid out as a chunk, and
 * each group is written as one LMDB value in one transaction (group
 * commit): one B-tree node, one run of overflow pages and one meta page
 * update for many records, which keeps the bytes written to flash per
 * record low and the CPU per record small. Keys only grow, so every put
 * is MDB_APPEND. A chunk is never changed once written, only deleted.
 *
 * Durability. The environment is opened with MDB_NOMETASYNC: each commit
 * writes its pages and fdatasync()s them before it writes the new meta
 * page, which is synced by the next commit's fdatasync or by
 * et_spool_sync(), called every CONFIG_SPOOL_SYNC_MS. A power cut can
 * therefore take back at most the commits since the last sync, and never
 * leaves a meta page pointing at pages that did not reach the device.
 * MDB_NOSYNC, which would save the per-commit fdatasync, gives no such
 * order: tests/unit/test_powercut.c rebuilds every state a cut can leave
 * and fails with it. A new spool is built aside and renamed into place
 * (create_env), so even a cut during creation leaves no broken file.
 *
 * Full map. LMDB reuses a page freed by transaction N only from
 * transaction N+2 on (N+1 may still be read through the previous meta
 * page), so waiting for MDB_MAP_FULL and then evicting does not free room
 * for the very next write. Instead each commit checks the pages held by
 * the records database; above a high-water mark (the map minus a headroom
 * of an eighth of it, or three commit queues, whichever is larger) the
 * oldest chunks are deleted whole down to a low-water mark an eighth of
 * the map lower, in their own transaction, and their records counted in
 * "evicted". A chunk is one B-tree node, so evicting it is one delete,
 * whatever it holds. The headroom absorbs the two-transaction delay, the
 * free list and the B-tree's copy-on-write. If a commit still hits
 * MDB_MAP_FULL, it evicts, lets one more transaction pass, and retries.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <lmdb.h>

#include "le.h"
#include "storage.h"

#define SPOOL_FORMAT		"edgetrace-spool 2"
#define SPOOL_FORMAT_1		"edgetrace-spool 1"
#define QUEUE_MAX		(1024 * 1024)	/* bytes of a chunk */
#define CHUNK_HDR		24	/* count, reserved, ts_min, ts_max */
#define REC_PREFIX		4	/* u32 length before a record */
#define NODE_SIZE		16	/* LMDB node header, about */
#define READ_RECORDS		1024	/* per read transaction */
#define EVICT_RETRIES		8
#define NEW_DIR			".new"	/* where a new spool is made */

struct et_spool {
	MDB_env *env;
	MDB_dbi records;
	MDB_dbi meta;
	MDB_dbi cursors;
	int readonly;
	uint64_t next_seq;	/* seq of the next record queued */
	uint64_t evicted;
	size_t map_size;
	unsigned int commit_events;
	size_t high_water;	/* evict when the records take more bytes */
	size_t low_water;	/* ... down to this */
	/* the queued group, laid out as its chunk (header filled at commit) */
	uint8_t *pending;
	size_t pending_max;
	void *map_addr;		/* LMDB's map of data.mdb, from /proc/self/maps */
	size_t map_len;
	size_t pending_len;	/* bytes of the chunk, header included */
	unsigned int pending_n;
	uint64_t pending_first;	/* seq of the first queued record */
	uint64_t pending_ts_min, pending_ts_max;
	int create;		/* the directory has no spool yet */
	/* cursor moves queued with the group */
	struct {
		char name[ET_CURSOR_NAME_MAX + 1];
		uint64_t seq;
	} moves[ET_CURSORS_MAX];
	unsigned int moves_n;
	char err[512];
};

/* A chunk as read from the map. */
struct chunk {
	uint64_t first;		/* seq of its first record: the key */
	uint32_t count;
	uint64_t ts_min, ts_max;
	const uint8_t *recs;	/* the first record's length prefix */
	size_t len;		/* bytes from recs to the end of the value */
};

static int fail(struct et_spool *sp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sp->err, sizeof(sp->err), fmt, ap);
	va_end(ap);
	return -1;
}

static void key_of(uint64_t seq, uint8_t k[8])
{
	for (int i = 0; i < 8; i++)
		k[i] = seq >> (56 - 8 * i);
}

static uint64_t seq_of(const MDB_val *k)
{
	const uint8_t *p = k->mv_data;
	uint64_t seq = 0;

	if (k->mv_size != 8)
		return 0;
	for (int i = 0; i < 8; i++)
		seq = seq << 8 | p[i];
	return seq;
}

/* A record's timestamp, from its fixed header (no decode). */
static uint64_t rec_ts(const uint8_t *rec, size_t len)
{
	return len >= ET_REC_HDR_SIZE ? get_le64(rec + 12) : 0;
}

/* Check the chunk @k/@d and describe it in @c; -1 if it is malformed. */
static int chunk_of(const MDB_val *k, const MDB_val *d, struct chunk *c)
{
	const uint8_t *p = d->mv_data;

	if (k->mv_size != 8 || d->mv_size < CHUNK_HDR + REC_PREFIX)
		return -1;
	c->first = seq_of(k);
	c->count = get_le32(p);
	c->ts_min = get_le64(p + 8);
	c->ts_max = get_le64(p + 16);
	c->recs = p + CHUNK_HDR;
	c->len = d->mv_size - CHUNK_HDR;
	if (!c->first || !c->count || c->count > c->len / REC_PREFIX)
		return -1;
	return 0;
}

/*
 * The record at byte @off of @c's records: its bytes in *@rec, its
 * length in *@len. Returns the offset of the next record, or 0 if the
 * chunk is damaged there.
 */
static size_t chunk_rec(const struct chunk *c, size_t off, const uint8_t **rec,
			size_t *len)
{
	size_t l;

	if (off > c->len || c->len - off < REC_PREFIX)
		return 0;
	l = get_le32(c->recs + off);
	if (l > c->len - off - REC_PREFIX)
		return 0;
	*rec = c->recs + off + REC_PREFIX;
	*len = l;
	return off + REC_PREFIX + l;
}

static int meta_get_u64(MDB_txn *txn, MDB_dbi dbi, const char *name,
			uint64_t *v)
{
	MDB_val k = { strlen(name), (void *)name }, d;
	int rc = mdb_get(txn, dbi, &k, &d);

	if (rc)
		return rc;
	if (d.mv_size != sizeof(*v))
		return MDB_CORRUPTED;
	memcpy(v, d.mv_data, sizeof(*v));
	return 0;
}

static int meta_put_u64(MDB_txn *txn, MDB_dbi dbi, const char *name,
			uint64_t v)
{
	MDB_val k = { strlen(name), (void *)name }, d = { sizeof(v), &v };

	return mdb_put(txn, dbi, &k, &d, 0);
}

/* The directory must exist (we create one level) and be a spool or new. */
static int prepare_dir(struct et_spool *sp, const char *dir)
{
	char path[4096];
	struct stat st;
	DIR *d;
	struct dirent *de;
	int entries = 0;

	if (stat(dir, &st) < 0) {
		if (errno != ENOENT || sp->readonly)
			return fail(sp, "cannot use spool directory '%s': %s",
				    dir, strerror(errno));
		if (mkdir(dir, 0700) < 0)
			return fail(sp, "cannot create spool directory '%s': "
				    "%s (its parent must exist and be writable)",
				    dir, strerror(errno));
		sp->create = 1;
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return fail(sp, "spool '%s' is not a directory: give a "
			    "directory for --spool", dir);
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (access(path, F_OK) == 0)
		return 0;
	if (sp->readonly)
		return fail(sp, "'%s' is not an edgetrace spool (no data.mdb)",
			    dir);
	d = opendir(dir);
	if (!d)
		return fail(sp, "cannot read spool directory '%s': %s", dir,
			    strerror(errno));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, NEW_DIR))
			entries++;
	closedir(d);
	if (entries)
		return fail(sp, "'%s' is not an edgetrace spool and not empty: "
			    "give a new or empty directory for --spool", dir);
	sp->create = 1;
	return 0;
}

static int open_env(struct et_spool *sp, const char *dir)
{
	unsigned int flags = MDB_NOMETASYNC | MDB_NORDAHEAD | MDB_NOTLS;
	int rc;

	rc = mdb_env_create(&sp->env);
	if (rc)
		return fail(sp, "cannot create LMDB environment: %s",
			    mdb_strerror(rc));
	mdb_env_set_maxdbs(sp->env, 4);
	if (!sp->readonly)
		mdb_env_set_mapsize(sp->env, sp->map_size);
	if (sp->readonly)
		flags |= MDB_RDONLY;
	rc = mdb_env_open(sp->env, dir, flags, 0600);
	if (rc && sp->readonly && (rc == EACCES || rc == EROFS))
		rc = mdb_env_open(sp->env, dir, flags | MDB_NOLOCK, 0600);
	if (rc)
		return fail(sp, "cannot open spool '%s': %s%s", dir,
			    mdb_strerror(rc), rc == EACCES || rc == EROFS ?
			    " (the directory must be writable by the agent)" :
			    "");
	return 0;
}

static int is_format(const MDB_val *d, const char *tag)
{
	return d->mv_size == strlen(tag) &&
	       !memcmp(d->mv_data, tag, d->mv_size);
}

/* A spool of another format: say what it is and what to do. */
static int wrong_format(struct et_spool *sp, const char *dir, const MDB_val *d)
{
	int n = d->mv_size < 40 ? (int)d->mv_size : 40;

	if (is_format(d, SPOOL_FORMAT_1))
		return fail(sp, "'%s' is a spool of an older edgetrace "
			    "(format '%s'), which this one does not read: "
			    "export it with the older edgetrace if need be, "
			    "then remove it or give another --spool", dir,
			    SPOOL_FORMAT_1);
	return fail(sp, "'%s' holds spool format '%.*s', which this edgetrace "
		    "(format '%s') does not read: use the edgetrace that made "
		    "it, or give another --spool", dir, n,
		    (const char *)d->mv_data, SPOOL_FORMAT);
}

/* Open the databases; a new spool gets its format tag. */
static int open_dbs(struct et_spool *sp, const char *dir)
{
	unsigned int create = sp->readonly ? 0 : MDB_CREATE;
	MDB_val k = { 6, "format" }, d;
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(sp->env, NULL, sp->readonly ? MDB_RDONLY : 0, &txn);
	if (rc)
		return fail(sp, "cannot begin transaction on '%s': %s", dir,
			    mdb_strerror(rc));
	rc = mdb_dbi_open(txn, "meta", create, &sp->meta);
	if (rc)
		goto not_spool;
	rc = mdb_get(txn, sp->meta, &k, &d);
	if (rc == MDB_NOTFOUND && !sp->readonly) {
		d.mv_data = SPOOL_FORMAT;
		d.mv_size = strlen(SPOOL_FORMAT);
		rc = mdb_put(txn, sp->meta, &k, &d, 0);
	} else if (!rc && !is_format(&d, SPOOL_FORMAT)) {
		mdb_txn_abort(txn);
		return wrong_format(sp, dir, &d);
	}
	if (rc)
		goto not_spool;
	rc = mdb_dbi_open(txn, "records", create, &sp->records);
	if (rc)
		goto not_spool;
	/* spools made before cursors existed have no such database */
	rc = mdb_dbi_open(txn, "cursors", create, &sp->cursors);
	if (rc == MDB_NOTFOUND && sp->readonly)
		sp->cursors = 0;
	else if (rc)
		goto not_spool;
	meta_get_u64(txn, sp->meta, "evicted", &sp->evicted);
	if (meta_get_u64(txn, sp->meta, "next_seq", &sp->next_seq))
		sp->next_seq = 1;
	/* commit even a read-only txn: aborting it would close the DBIs */
	rc = mdb_txn_commit(txn);
	if (rc)
		return fail(sp, "cannot initialise spool '%s': %s", dir,
			    mdb_strerror(rc));
	return 0;
not_spool:
	mdb_txn_abort(txn);
	return fail(sp, "'%s' is not an edgetrace spool (%s)", dir,
		    mdb_strerror(rc));
}

static void remove_new(const char *tmp)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/data.mdb", tmp);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", tmp);
	unlink(path);
	rmdir(tmp);
}

/*
 * Make a new spool atomically: LMDB writes a new environment's meta pages
 * without syncing them, so a power cut in the first second could leave a
 * data.mdb that is not an LMDB file. Build it in NEW_DIR, sync it, and
 * rename it into place; a leftover NEW_DIR is a creation that was cut.
 */
static int create_env(struct et_spool *sp, const char *dir)
{
	char tmp[4096], from[4200], to[4200];
	int rc, dfd;

	snprintf(tmp, sizeof(tmp), "%s/" NEW_DIR, dir);
	remove_new(tmp);
	if (mkdir(tmp, 0700) < 0)
		return fail(sp, "cannot create '%s': %s", tmp, strerror(errno));
	if (open_env(sp, tmp) || open_dbs(sp, tmp))
		goto out;
	rc = mdb_env_sync(sp->env, 1);
	if (rc) {
		fail(sp, "cannot flush new spool '%s': %s", tmp,
		     mdb_strerror(rc));
		goto out;
	}
	mdb_env_close(sp->env);
	sp->env = NULL;
	snprintf(from, sizeof(from), "%s/data.mdb", tmp);
	snprintf(to, sizeof(to), "%s/data.mdb", dir);
	if (rename(from, to) < 0) {
		fail(sp, "cannot move the new spool into '%s': %s", dir,
		     strerror(errno));
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	remove_new(tmp);
	return 0;
out:
	if (sp->env)
		mdb_env_close(sp->env);
	sp->env = NULL;
	remove_new(tmp);
	return -1;
}

/*
 * Commit queue and eviction thresholds, from the map size: a queue of
 * QUEUE_MAX, or a sixteenth of a small map (a 16 MiB map on a 32-bit
 * board gets 1 MiB), but always room for two records of the largest size.
 */
static void set_watermarks(struct et_spool *sp)
{
	const size_t min = CHUNK_HDR + 2 * (REC_PREFIX + ET_REC_MAX_SIZE);
	size_t map = sp->map_size, headroom;

	sp->pending_max = map / 16 < QUEUE_MAX ? map / 16 : QUEUE_MAX;
	if (sp->pending_max < min)
		sp->pending_max = min;
	headroom = map / 8 > 3 * sp->pending_max ? map / 8 : 3 * sp->pending_max;
	sp->high_water = map > headroom ? map - headroom : 0;
	sp->low_water = sp->high_water > map / 8 ? sp->high_water - map / 8 : 0;
}

static void find_map(struct et_spool *sp, const char *dir);

struct et_spool *et_spool_open(const char *dir, const struct et_spool_opts *o,
			       char *err, size_t errlen)
{
	struct et_spool *sp = calloc(1, sizeof(*sp));

	if (!sp) {
		snprintf(err, errlen, "out of memory opening the spool");
		return NULL;
	}
	sp->readonly = o->readonly;
	sp->map_size = o->map_size;
	sp->commit_events = o->commit_events ? o->commit_events : 1;
	sp->pending_len = CHUNK_HDR;
	if (prepare_dir(sp, dir) || (sp->create && create_env(sp, dir)) ||
	    open_env(sp, dir) || open_dbs(sp, dir))
		goto out_fail;
	find_map(sp, dir);
	if (!sp->readonly) {
		set_watermarks(sp);
		sp->pending = malloc(sp->pending_max);
		if (!sp->pending) {
			fail(sp, "out of memory for the commit queue");
			goto out_fail;
		}
	}
	return sp;
out_fail:
	snprintf(err, errlen, "%s", sp->err);
	if (sp->env)
		mdb_env_close(sp->env);
	free(sp);
	return NULL;
}

unsigned int et_spool_pending(const struct et_spool *sp)
{
	return sp->pending_n;
}

int et_spool_append(struct et_spool *sp, const uint8_t *rec, size_t len,
		    uint64_t *seq)
{
	uint8_t *p;
	uint64_t ts;

	if (sp->readonly)
		return fail(sp, "spool is open read-only");
	if (len > ET_REC_MAX_SIZE)
		return fail(sp, "record of %zu bytes exceeds the %d-byte limit",
			    len, ET_REC_MAX_SIZE);
	if (sp->pending_len + REC_PREFIX + len > sp->pending_max &&
	    et_spool_commit(sp))
		return -1;
	ts = rec_ts(rec, len);
	if (!sp->pending_n) {
		sp->pending_first = sp->next_seq;
		sp->pending_ts_min = ts;
		sp->pending_ts_max = ts;
	}
	if (ts < sp->pending_ts_min)
		sp->pending_ts_min = ts;
	if (ts > sp->pending_ts_max)
		sp->pending_ts_max = ts;
	p = sp->pending + sp->pending_len;
	put_le32(p, len);
	memcpy(p + REC_PREFIX, rec, len);
	sp->pending_len += REC_PREFIX + len;
	sp->pending_n++;
	*seq = sp->next_seq++;
	if (sp->pending_n >= sp->commit_events)
		return et_spool_commit(sp);
	return 0;
}

/* Write the queued group in @txn, as one chunk. */
static int put_pending(struct et_spool *sp, MDB_txn *txn)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb }, d = { sp->pending_len, sp->pending };
	int rc;

	if (!sp->pending_n)	/* only cursor moves: next_seq is not ours */
		return 0;
	put_le32(sp->pending, sp->pending_n);
	put_le32(sp->pending + 4, 0);
	put_le64(sp->pending + 8, sp->pending_ts_min);
	put_le64(sp->pending + 16, sp->pending_ts_max);
	key_of(sp->pending_first, kb);
	rc = mdb_put(txn, sp->records, &k, &d, MDB_APPEND);
	if (!rc)
		rc = meta_put_u64(txn, sp->meta, "next_seq", sp->next_seq);
	return rc;
}

static int put_moves(struct et_spool *sp, MDB_txn *txn)
{
	int rc = 0;

	for (unsigned int i = 0; i < sp->moves_n && !rc; i++)
		rc = meta_put_u64(txn, sp->cursors, sp->moves[i].name,
				  sp->moves[i].seq);
	return rc;
}

/* Bytes of the map held by the records database in @txn. */
static size_t records_bytes(struct et_spool *sp, MDB_txn *txn)
{
	MDB_stat ms;

	if (mdb_stat(txn, sp->records, &ms))
		return 0;
	return (size_t)(ms.ms_branch_pages + ms.ms_leaf_pages +
			ms.ms_overflow_pages) * ms.ms_psize;
}

/*
 * The first sequence number still stored in @txn after an eviction: the
 * first chunk's key, or the next to be written if none is left.
 */
static int first_left(struct et_spool *sp, MDB_txn *txn, MDB_cursor *cur,
		      uint64_t *first)
{
	MDB_val k, d;
	int rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);

	if (!rc)
		*first = seq_of(&k);
	else if (rc == MDB_NOTFOUND)
		rc = meta_get_u64(txn, sp->meta, "next_seq", first);
	return rc;
}

/*
 * Delete the oldest chunks until about @bytes of record data are freed
 * (at least one chunk), and count their records: the sequence numbers
 * from the old first chunk to the new one.
 */
static int evict(struct et_spool *sp, size_t bytes)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, d;
	uint64_t from = 0, to = 0;
	size_t freed = 0;
	int rc;

	rc = mdb_txn_begin(sp->env, NULL, 0, &txn);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, sp->records, &cur);
	if (rc)
		goto out_abort;
	while (freed < bytes && !(rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST))) {
		if (!from)
			from = seq_of(&k);
		freed += k.mv_size + d.mv_size + NODE_SIZE;
		rc = mdb_cursor_del(cur, 0);
		if (rc)
			break;
	}
	if (rc == MDB_NOTFOUND && from)
		rc = 0;
	if (!rc)
		rc = first_left(sp, txn, cur, &to);
	mdb_cursor_close(cur);
	if (rc)
		goto out_abort;
	/* as committed: a process that only moves cursors may evict too */
	meta_get_u64(txn, sp->meta, "evicted", &sp->evicted);
	if (to > from)
		sp->evicted += to - from;
	rc = meta_put_u64(txn, sp->meta, "evicted", sp->evicted);
	if (rc)
		goto out_abort;
	return mdb_txn_commit(txn);
out_abort:
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)	/* nothing left to evict */
		rc = MDB_MAP_FULL;
	return rc;
}

/* One transaction: the queued group; *@used gets the records' bytes. */
static int write_group(struct et_spool *sp, size_t *used)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(sp->env, NULL, 0, &txn);
	if (rc)
		return rc;
	rc = put_pending(sp, txn);
	if (!rc)
		rc = put_moves(sp, txn);
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	*used = records_bytes(sp, txn);
	return mdb_txn_commit(txn);
}

/* The map is full anyway: evict, let a transaction pass, so it is reusable. */
static int make_room(struct et_spool *sp)
{
	size_t want = sp->map_size / 8;
	int rc;

	if (want < sp->pending_len * 2)
		want = sp->pending_len * 2;
	rc = evict(sp, want);
	if (!rc)
		rc = evict(sp, 1);
	return rc;
}

int et_spool_commit(struct et_spool *sp)
{
	size_t used = 0;
	int rc, tries;

	if (!sp->pending_n && !sp->moves_n)
		return 0;
	for (tries = 0; tries < EVICT_RETRIES; tries++) {
		rc = write_group(sp, &used);
		if (rc != MDB_MAP_FULL)
			break;
		rc = make_room(sp);
		if (rc)
			break;
	}
	if (rc)
		return fail(sp, "cannot commit %u records to the spool: %s",
			    sp->pending_n, mdb_strerror(rc));
	sp->pending_len = CHUNK_HDR;
	sp->pending_n = 0;
	sp->moves_n = 0;
	if (used > sp->high_water) {
		rc = evict(sp, used - sp->low_water);
		if (rc)
			return fail(sp, "cannot evict old records from the "
				    "spool: %s", mdb_strerror(rc));
	}
	return 0;
}

/*
 * LMDB reads through a shared, read-only map of the data file (writes go
 * through pwrite), and every page it touches stays mapped: over hours the
 * whole map would count in the agent's resident set. The pages are clean
 * page cache, so dropping our mappings loses nothing; LMDB faults back in
 * the few it needs.
 */
static void release_map(struct et_spool *sp)
{
	if (sp->map_addr)
		madvise(sp->map_addr, sp->map_len, MADV_DONTNEED);
}

/*
 * Where LMDB mapped data.mdb. LMDB 0.9 does not say (mdb_env_info's
 * me_mapaddr is only set with MDB_FIXEDMAP), so find the mapping of the
 * file's device and inode in /proc/self/maps. Without it, pages are just
 * not released.
 */
static void find_map(struct et_spool *sp, const char *dir)
{
	char path[4096], line[512];
	unsigned long start, end, ino;
	unsigned int maj, min;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &st))
		return;
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu", &start, &end,
			   &maj, &min, &ino) != 5)
			continue;
		if (ino == st.st_ino && makedev(maj, min) == st.st_dev) {
			sp->map_addr = (void *)start;
			sp->map_len = end - start;
			break;
		}
	}
	fclose(f);
}

int et_spool_sync(struct et_spool *sp)
{
	int rc = mdb_env_sync(sp->env, 1);

	if (rc)
		return fail(sp, "cannot flush the spool to disk: %s",
			    mdb_strerror(rc));
	release_map(sp);
	return 0;
}

/* What a failed read says: a damaged chunk is named by its key. */
static int read_failed(struct et_spool *sp, int rc, uint64_t key)
{
	if (rc == MDB_CORRUPTED && key)
		return fail(sp, "the spool is damaged: the chunk of records "
			    "from seq %llu is not well formed (export what "
			    "can be read, then move the spool aside)",
			    (unsigned long long)key);
	if (rc == MDB_CORRUPTED)
		return fail(sp, "the spool is damaged: a chunk of records is "
			    "not well formed (export what can be read, then "
			    "move the spool aside)");
	return fail(sp, "cannot read the spool: %s", mdb_strerror(rc));
}

static int read_begin(struct et_spool *sp, MDB_txn **txn, MDB_cursor **cur)
{
	int rc = mdb_txn_begin(sp->env, NULL, MDB_RDONLY, txn);

	if (rc)
		return rc;
	rc = mdb_cursor_open(*txn, sp->records, cur);
	if (rc)
		mdb_txn_abort(*txn);
	return rc;
}

static void read_end(MDB_txn *txn, MDB_cursor *cur)
{
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
}

/*
 * Put @cur on the chunk that holds @seq, or on the first chunk after it
 * if none does; MDB_NOTFOUND if there is none of either.
 */
static int find_chunk(MDB_cursor *cur, uint64_t seq, MDB_val *k, MDB_val *d)
{
	uint8_t kb[8];
	struct chunk c;
	int rc;

	key_of(seq, kb);
	k->mv_size = 8;
	k->mv_data = kb;
	rc = mdb_cursor_get(cur, k, d, MDB_SET_RANGE);
	if (!rc && seq_of(k) == seq)
		return 0;
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	/* the chunk before the next one may still hold @seq */
	rc = mdb_cursor_get(cur, k, d, rc ? MDB_LAST : MDB_PREV);
	if (rc == MDB_NOTFOUND)		/* @seq is before the first one */
		return mdb_cursor_get(cur, k, d, MDB_FIRST);
	if (rc || chunk_of(k, d, &c) || seq < c.first + c.count)
		return rc;
	return mdb_cursor_get(cur, k, d, MDB_NEXT);
}

/* Where a walk through the spool goes on in its next read transaction. */
struct read_pos {
	uint64_t next;		/* the seq wanted next */
	uint64_t key;		/* the chunk it is in (0: look it up) */
	size_t off;		/* and its offset in the chunk's records */
};

/* Position @cur for @pos: its chunk if still there, or look @pos->next up. */
static int resume(MDB_cursor *cur, struct read_pos *pos, MDB_val *k,
		  MDB_val *d)
{
	uint8_t kb[8];
	int rc;

	if (pos->key) {
		key_of(pos->key, kb);
		k->mv_size = 8;
		k->mv_data = kb;
		rc = mdb_cursor_get(cur, k, d, MDB_SET_KEY);
		if (rc != MDB_NOTFOUND)
			return rc;
		pos->key = 0;	/* evicted meanwhile */
	}
	return find_chunk(cur, pos->next, k, d);
}

/*
 * Visit the records of chunk @c from @pos->next on, until READ_RECORDS
 * are visited in this transaction (*@n counts them) or @cb returns
 * non-zero. Returns @cb's value, or -1 with *@rc = MDB_CORRUPTED.
 */
static int visit_chunk(const struct chunk *c, struct read_pos *pos,
		       unsigned int *n, et_spool_cb cb, void *arg, int *rc)
{
	uint64_t seq = c->first;
	size_t off = 0, len;
	const uint8_t *rec;
	int ret = 0;

	if (pos->key == c->first) {	/* a chunk never changes: jump */
		seq = pos->next;
		off = pos->off;
	}
	pos->key = 0;
	for (; seq < c->first + c->count; seq++) {
		size_t next = chunk_rec(c, off, &rec, &len);

		if (!next) {
			*rc = MDB_CORRUPTED;
			return -1;
		}
		off = next;
		if (seq < pos->next)
			continue;
		ret = cb(seq, rec, len, arg);
		pos->next = seq + 1;
		if (ret || ++*n >= READ_RECORDS) {
			pos->key = c->first;
			pos->off = off;
			return ret;
		}
	}
	if (off != c->len) {	/* bytes past the last record */
		*rc = MDB_CORRUPTED;
		return -1;
	}
	return 0;
}

/*
 * One read transaction: up to READ_RECORDS records from @pos on. *@done
 * is set at the end of the spool or when @cb asked to stop.
 */
static int foreach_slice(struct et_spool *sp, struct read_pos *pos,
			 et_spool_cb cb, void *arg, int *done)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, d;
	struct chunk c = { 0 };
	unsigned int n = 0;
	int rc, ret = 0;

	rc = read_begin(sp, &txn, &cur);
	if (rc)
		return read_failed(sp, rc, 0);
	rc = resume(cur, pos, &k, &d);
	while (!rc && n < READ_RECORDS) {
		if (chunk_of(&k, &d, &c)) {
			c.first = seq_of(&k);
			rc = MDB_CORRUPTED;
			break;
		}
		if (c.first + c.count > pos->next)
			ret = visit_chunk(&c, pos, &n, cb, arg, &rc);
		if (ret || rc)
			break;
		if (n < READ_RECORDS)
			rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	}
	read_end(txn, cur);
	if (rc && rc != MDB_NOTFOUND)
		return read_failed(sp, rc, c.first);
	*done = ret || rc == MDB_NOTFOUND;
	return ret;
}

int et_spool_foreach(struct et_spool *sp, uint64_t from, et_spool_cb cb,
		     void *arg)
{
	struct read_pos pos = { .next = from };
	int done = 0, ret;

	do {
		ret = foreach_slice(sp, &pos, cb, arg, &done);
	} while (!ret && !done);
	return ret;
}

/* The first and last seq stored, in @txn (0 and 0 if empty). */
static int seq_range(MDB_cursor *cur, uint64_t *first, uint64_t *last)
{
	MDB_val k, d;
	struct chunk c;
	int rc;

	*first = *last = 0;
	rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : rc;
	*first = seq_of(&k);
	rc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
	if (rc)
		return rc;
	if (chunk_of(&k, &d, &c))
		return MDB_CORRUPTED;
	*last = c.first + c.count - 1;
	return 0;
}

int et_spool_stats(struct et_spool *sp, struct et_spool_stats *st)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_stat ms;
	MDB_envinfo ei;
	uint64_t next = 1;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = read_begin(sp, &txn, &cur);
	if (rc)
		return read_failed(sp, rc, 0);
	rc = mdb_stat(txn, sp->records, &ms);
	if (!rc)
		rc = seq_range(cur, &st->first_seq, &st->last_seq);
	if (!rc) {
		meta_get_u64(txn, sp->meta, "evicted", &st->evicted);
		meta_get_u64(txn, sp->meta, "next_seq", &next);
	}
	read_end(txn, cur);
	if (rc)
		return read_failed(sp, rc, 0);
	mdb_env_info(sp->env, &ei);
	/* every seq below next_seq was stored; the evicted ones are gone */
	st->records = next - 1 > st->evicted ? next - 1 - st->evicted : 0;
	st->map_size = ei.me_mapsize;
	st->used = (uint64_t)(ms.ms_branch_pages + ms.ms_leaf_pages +
			      ms.ms_overflow_pages) * ms.ms_psize;
	return 0;
}

/* The chunk that holds @seq, in @c. */
static int chunk_at(MDB_cursor *cur, uint64_t seq, struct chunk *c)
{
	MDB_val k, d;
	int rc = find_chunk(cur, seq, &k, &d);

	if (!rc && chunk_of(&k, &d, c))
		rc = MDB_CORRUPTED;
	return rc;
}

/* The first record of @c whose time is at least @ts (or the chunk's end). */
static int seek_in_chunk(const struct chunk *c, uint64_t ts, uint64_t *seq)
{
	size_t off = 0, len;
	const uint8_t *rec;

	for (uint32_t i = 0; i < c->count; i++) {
		off = chunk_rec(c, off, &rec, &len);
		if (!off)
			return MDB_CORRUPTED;
		if (rec_ts(rec, len) >= ts) {
			*seq = c->first + i;
			return 0;
		}
	}
	*seq = c->first + c->count;
	return 0;
}

/*
 * Binary search over the chunks, by sequence number: [lo, hi) narrows to
 * the first chunk whose newest record is at least @ts (lo and hi stay on
 * chunk boundaries), then a walk through that chunk.
 */
static int seek_chunks(MDB_cursor *cur, uint64_t ts, uint64_t lo, uint64_t hi,
		       uint64_t *seq)
{
	const uint64_t end = hi;
	struct chunk c;
	int rc;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		rc = chunk_at(cur, mid, &c);
		if (rc)
			return rc;
		if (c.ts_max >= ts)
			hi = c.first > lo && c.first <= mid ? c.first : lo;
		else
			lo = c.first + c.count > mid ? c.first + c.count :
			     mid + 1;
	}
	*seq = lo;
	if (lo >= end)
		return 0;
	rc = chunk_at(cur, lo, &c);
	return rc ? rc : seek_in_chunk(&c, ts, seq);
}

int et_spool_seek_time(struct et_spool *sp, uint64_t ts, uint64_t *seq)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	uint64_t first, last;
	int rc;

	*seq = 0;
	rc = read_begin(sp, &txn, &cur);
	if (rc)
		return read_failed(sp, rc, 0);
	rc = seq_range(cur, &first, &last);
	if (!rc && first)
		rc = seek_chunks(cur, ts, first, last + 1, seq);
	read_end(txn, cur);
	if (rc)
		return read_failed(sp, rc, 0);
	return 0;
}

/* Cursors. */

static int check_cursor_name(struct et_spool *sp, const char *name)
{
	size_t n = strlen(name);

	if (!n || n > ET_CURSOR_NAME_MAX)
		return fail(sp, "cursor name '%s' must be 1 to %d characters",
			    name, ET_CURSOR_NAME_MAX);
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-' || *p == '.'))
			return fail(sp, "cursor name '%s' may use only a-z, 0-9, "
				    "'_', '-' and '.'", name);
	return 0;
}

int et_spool_cursor_get(struct et_spool *sp, const char *name, uint64_t *seq)
{
	MDB_txn *txn;
	int rc;

	*seq = 0;
	if (check_cursor_name(sp, name))
		return -1;
	for (unsigned int i = 0; i < sp->moves_n; i++)
		if (!strcmp(sp->moves[i].name, name))
			*seq = sp->moves[i].seq;
	if (*seq || !sp->cursors)
		return 0;
	rc = mdb_txn_begin(sp->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return fail(sp, "cannot read the spool: %s", mdb_strerror(rc));
	rc = meta_get_u64(txn, sp->cursors, name, seq);
	mdb_txn_abort(txn);
	if (rc && rc != MDB_NOTFOUND)
		return fail(sp, "cannot read cursor '%s': %s", name,
			    mdb_strerror(rc));
	return 0;
}

/* Queue a move of cursor @name with the group. */
static int queue_move(struct et_spool *sp, const char *name, uint64_t seq)
{
	unsigned int i;

	for (i = 0; i < sp->moves_n; i++)
		if (!strcmp(sp->moves[i].name, name))
			break;
	if (i == ET_CURSORS_MAX)
		return fail(sp, "more than %d cursors moved in one commit",
			    ET_CURSORS_MAX);
	snprintf(sp->moves[i].name, sizeof(sp->moves[i].name), "%s", name);
	sp->moves[i].seq = seq;
	if (i == sp->moves_n)
		sp->moves_n++;
	return 0;
}

/* The next sequence number the spool will assign, as committed. */
static int committed_next(struct et_spool *sp, uint64_t *next)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(sp->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return fail(sp, "cannot read the spool: %s", mdb_strerror(rc));
	if (meta_get_u64(txn, sp->meta, "next_seq", next))
		*next = 1;
	mdb_txn_abort(txn);
	return 0;
}

int et_spool_cursor_set(struct et_spool *sp, const char *name, uint64_t seq)
{
	uint64_t next = sp->next_seq;

	if (sp->readonly)
		return fail(sp, "spool is open read-only");
	if (check_cursor_name(sp, name))
		return -1;
	/* another process may have appended since we opened */
	if (!sp->pending_n && committed_next(sp, &next))
		return -1;
	if (seq > next)
		return fail(sp, "cursor '%s' cannot move to %llu: the spool's "
			    "last record is %llu", name,
			    (unsigned long long)seq,
			    (unsigned long long)next - 1);
	if (queue_move(sp, name, seq))
		return -1;
	/* with records queued, it is committed with them */
	return sp->pending_n ? 0 : et_spool_commit(sp);
}

int et_spool_cursor_foreach(struct et_spool *sp,
			    int (*cb)(const char *name, uint64_t seq, void *arg),
			    void *arg)
{
	char name[ET_CURSOR_NAME_MAX + 1];
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, d;
	uint64_t seq;
	int rc, ret = 0;

	if (!sp->cursors)
		return 0;
	rc = mdb_txn_begin(sp->env, NULL, MDB_RDONLY, &txn);
	if (!rc)
		rc = mdb_cursor_open(txn, sp->cursors, &cur);
	else
		txn = NULL;
	if (rc)
		goto out;
	while (!ret && !(rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))) {
		if (k.mv_size > ET_CURSOR_NAME_MAX || d.mv_size != sizeof(seq))
			continue;
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = '\0';
		memcpy(&seq, d.mv_data, sizeof(seq));
		ret = cb(name, seq, arg);
	}
	mdb_cursor_close(cur);
out:
	if (txn)
		mdb_txn_abort(txn);
	if (rc && rc != MDB_NOTFOUND)
		return fail(sp, "cannot read the spool's cursors: %s",
			    mdb_strerror(rc));
	return ret;
}

/* State: "state.NAME" in the meta database. */

static int state_key(struct et_spool *sp, const char *name, char *key,
		     size_t len)
{
	if (check_cursor_name(sp, name))
		return -1;
	snprintf(key, len, "state.%s", name);
	return 0;
}

int et_spool_state_get(struct et_spool *sp, const char *name, void *buf,
		       size_t size, size_t *len)
{
	char key[ET_CURSOR_NAME_MAX + 8];
	MDB_val k, d;
	MDB_txn *txn;
	int rc;

	*len = 0;
	if (state_key(sp, name, key, sizeof(key)))
		return -1;
	rc = mdb_txn_begin(sp->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return fail(sp, "cannot read the spool: %s", mdb_strerror(rc));
	k.mv_size = strlen(key);
	k.mv_data = key;
	rc = mdb_get(txn, sp->meta, &k, &d);
	if (!rc && d.mv_size > size)
		rc = MDB_BAD_VALSIZE;
	if (!rc) {
		memcpy(buf, d.mv_data, d.mv_size);
		*len = d.mv_size;
	}
	mdb_txn_abort(txn);
	if (rc && rc != MDB_NOTFOUND)
		return fail(sp, "cannot read state '%s': %s", name,
			    mdb_strerror(rc));
	return 0;
}

static int state_write(struct et_spool *sp, const char *key, const void *val,
		       size_t len, const char *cursor, uint64_t seq)
{
	MDB_val k = { strlen(key), (void *)key }, d = { len, (void *)val };
	uint64_t next = 1;
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(sp->env, NULL, 0, &txn);
	if (rc)
		return rc;
	if (cursor) {
		meta_get_u64(txn, sp->meta, "next_seq", &next);
		if (seq > next) {
			mdb_txn_abort(txn);
			return -1;	/* no LMDB code: the caller reports it */
		}
		rc = meta_put_u64(txn, sp->cursors, cursor, seq);
	}
	if (!rc && len)
		rc = mdb_put(txn, sp->meta, &k, &d, 0);
	else if (!rc) {
		rc = mdb_del(txn, sp->meta, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

int et_spool_state_set(struct et_spool *sp, const char *name,
		       const void *val, size_t len, const char *cursor,
		       uint64_t seq)
{
	char key[ET_CURSOR_NAME_MAX + 8];
	int rc, tries;

	if (sp->readonly)
		return fail(sp, "spool is open read-only");
	if (state_key(sp, name, key, sizeof(key)) ||
	    (cursor && check_cursor_name(sp, cursor)))
		return -1;
	if (len > ET_STATE_MAX)
		return fail(sp, "state '%s' of %zu bytes is over the %d-byte "
			    "limit", name, len, ET_STATE_MAX);
	if (et_spool_commit(sp))
		return -1;
	for (tries = 0; tries < EVICT_RETRIES; tries++) {
		rc = state_write(sp, key, val, len, cursor, seq);
		if (rc != MDB_MAP_FULL)
			break;
		rc = make_room(sp);
		if (rc)
			break;
	}
	if (rc == -1)
		return fail(sp, "cursor '%s' cannot move to %llu: past the "
			    "spool's last record", cursor,
			    (unsigned long long)seq);
	if (rc)
		return fail(sp, "cannot write state '%s': %s", name,
			    mdb_strerror(rc));
	return 0;
}

const char *et_spool_error(const struct et_spool *sp)
{
	return sp->err;
}

int et_spool_close(struct et_spool *sp)
{
	int ret = 0;

	if (!sp)
		return 0;
	if (!sp->readonly) {
		ret = et_spool_commit(sp);
		if (!ret)
			ret = et_spool_sync(sp);
	}
	if (ret)
		fprintf(stderr, "edgetrace: %s\n", sp->err);
	mdb_env_close(sp->env);
	free(sp->pending);
	free(sp);
	return ret;
}
