// SPDX-License-Identifier: GPL-2.0
/*
 * sqlite_insert.c - the spool benchmark's baseline: the records of a
 * capture file into SQLite in WAL mode, as the local database of the
 * original three-layer design would store them.
 *
 *	sqlite_insert [-c EVENTS] [-b BYTES] CAPTURE DB
 *
 * Does what `edgetrace run --replay CAPTURE` does, with SQLite in place of
 * the LMDB spool: reads the capture with the agent's own reader (the
 * frame CRC checked) and decodes every record with the agent's decoder,
 * then inserts it into
 *
 *	CREATE TABLE events (seq INTEGER PRIMARY KEY, ts INTEGER,
 *			     type INTEGER, pid INTEGER, tid INTEGER,
 *			     rec BLOB)
 *
 * (rec: the encoded record, as the spool stores it), with
 * journal_mode=WAL and synchronous=NORMAL, SQLite's defaults otherwise
 * (4 KiB pages, automatic checkpoint every 1000 WAL pages). Group commit
 * as the spool's: one transaction per EVENTS records (default 4096,
 * CONFIG_SPOOL_COMMIT_EVENTS) or when the group would pass BYTES of
 * records plus 4 bytes each (default 262144, the spool's commit queue),
 * whichever comes first. Closing checkpoints the WAL into the database
 * and syncs it, as the spool's close syncs.
 *
 * Last line on stdout: "sqlite_insert: N records, B record bytes, G
 * transactions". Exit status 1 on an error, 2 on a bad command line.
 *
 * Built by bench/spool.sh with the host compiler against Debian's
 * libsqlite3-dev and zlib (gcc ... -lsqlite3 -lz).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../storage/record.c"
#include "../storage/capture.c"

struct ctx {
	sqlite3 *db;
	sqlite3_stmt *ins;
	unsigned long commit_events;
	size_t commit_bytes;
	unsigned long group_n;
	size_t group_bytes;
	uint64_t records, bytes, groups;
	int in_txn;
};

static int exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite_insert: %s: %s\n", sql,
			msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int commit(struct ctx *c)
{
	if (!c->in_txn)
		return 0;
	if (exec_sql(c->db, "COMMIT"))
		return -1;
	c->in_txn = 0;
	c->group_n = 0;
	c->group_bytes = 0;
	c->groups++;
	return 0;
}

static int insert_one(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct ctx *c = arg;
	struct et_record r = { .seq = seq };
	enum et_decode_status st = et_record_decode(rec, len, &r);

	if (st) {
		fprintf(stderr, "sqlite_insert: record %" PRIu64 ": %s\n", seq,
			et_decode_strerror(st));
		return -1;
	}
	/* as the spool: commit first if the group would overflow its queue */
	if (c->group_bytes + 4 + len > c->commit_bytes && commit(c))
		return -1;
	if (!c->in_txn) {
		if (exec_sql(c->db, "BEGIN"))
			return -1;
		c->in_txn = 1;
	}
	sqlite3_bind_int64(c->ins, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(c->ins, 2, (sqlite3_int64)r.ts);
	sqlite3_bind_int(c->ins, 3, r.type);
	sqlite3_bind_int64(c->ins, 4, r.pid);
	sqlite3_bind_int64(c->ins, 5, r.tid);
	sqlite3_bind_blob(c->ins, 6, rec, (int)len, SQLITE_STATIC);
	if (sqlite3_step(c->ins) != SQLITE_DONE) {
		fprintf(stderr, "sqlite_insert: insert of seq %" PRIu64 ": %s\n",
			seq, sqlite3_errmsg(c->db));
		return -1;
	}
	sqlite3_reset(c->ins);
	c->records++;
	c->bytes += len;
	c->group_n++;
	c->group_bytes += 4 + len;
	if (c->group_n >= c->commit_events)
		return commit(c);
	return 0;
}

static int parse_ul(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end || !*v || *s == '-' ? -1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sqlite_insert [-c EVENTS] [-b BYTES] CAPTURE DB\n"
		"  -c EVENTS  records per transaction at most (default 4096)\n"
		"  -b BYTES   record bytes (+4 each) per transaction at most "
		"(default 262144)\n");
}

int main(int argc, char **argv)
{
	struct ctx c = { .commit_events = 4096, .commit_bytes = 262144 };
	unsigned long v;
	char err[256] = "";
	FILE *f;
	int opt, rc;

	while ((opt = getopt(argc, argv, "hc:b:")) != -1) {
		switch (opt) {
		case 'c':
			if (parse_ul(optarg, &c.commit_events))
				goto bad;
			break;
		case 'b':
			if (parse_ul(optarg, &v))
				goto bad;
			c.commit_bytes = v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (argc - optind != 2)
		goto bad;
	f = fopen(argv[optind], "re");
	if (!f) {
		fprintf(stderr, "sqlite_insert: cannot open %s: %s\n",
			argv[optind], strerror(errno));
		return 1;
	}
	if (sqlite3_open(argv[optind + 1], &c.db) != SQLITE_OK) {
		fprintf(stderr, "sqlite_insert: cannot open %s: %s\n",
			argv[optind + 1], sqlite3_errmsg(c.db));
		return 1;
	}
	if (exec_sql(c.db, "PRAGMA journal_mode=WAL") ||
	    exec_sql(c.db, "PRAGMA synchronous=NORMAL") ||
	    exec_sql(c.db, "CREATE TABLE IF NOT EXISTS events (seq INTEGER "
		     "PRIMARY KEY, ts INTEGER, type INTEGER, pid INTEGER, "
		     "tid INTEGER, rec BLOB)"))
		return 1;
	if (sqlite3_prepare_v2(c.db, "INSERT INTO events VALUES (?,?,?,?,?,?)",
			       -1, &c.ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite_insert: prepare: %s\n",
			sqlite3_errmsg(c.db));
		return 1;
	}
	rc = et_capture_read(f, insert_one, &c, err, sizeof(err));
	fclose(f);
	if (rc < 0 && err[0])
		fprintf(stderr, "sqlite_insert: %s: %s\n", argv[optind], err);
	if (rc || commit(&c))
		return 1;
	sqlite3_finalize(c.ins);
	if (sqlite3_close(c.db) != SQLITE_OK) {
		fprintf(stderr, "sqlite_insert: close: %s\n",
			sqlite3_errmsg(c.db));
		return 1;
	}
	printf("sqlite_insert: %" PRIu64 " records, %" PRIu64 " record bytes, %"
	       PRIu64 " transactions\n", c.records, c.bytes, c.groups);
	return 0;
bad:
	usage(stderr);
	return 2;
}
