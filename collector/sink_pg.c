// SPDX-License-Identifier: GPL-2.0
/*
 * sink_pg.c - the PostgreSQL sink, through libpq.
 *
 * Two tables (created when missing, under an advisory lock so that
 * collectors starting together do not race):
 *
 *   edgetrace_batches  one row per stored batch, UNIQUE (device_id,
 *                      batch_seq): the deduplication of every collector
 *                      sharing the database
 *   edgetrace_records  one row per record: device_id, seq, ts (ns since
 *                      the epoch), type, batch_seq and the record's JSON
 *                      line (type json: the text exactly as `export
 *                      --format jsonl` prints it)
 *
 * A batch is one transaction: INSERT ... ON CONFLICT DO NOTHING of its
 * batch row (which waits for a concurrent transaction holding the same key
 * and then sees its outcome), then, only when that row is new, COPY of its
 * records, then COMMIT. A duplicate rolls back having written nothing. Any
 * failure rolls back and answers "unavailable": the device resends.
 *
 * One connection, re-established when it broke (a restarted server): the
 * first statement of a batch on a connection that turns out to be dead is
 * retried once on a new one.
 *
 * The collector has one thread, and while a batch is with PostgreSQL no
 * other connection is served. So nothing here waits for the server
 * without a bound: the connection is non-blocking, every wait is a poll()
 * against one deadline per batch (PG_ANSWER_S), and a server that has not
 * finished the batch by then (hung, stopped, its disk stuck, the network
 * gone without a reset) loses the connection: the batch gets 503 and the
 * device sends it again later (if the COMMIT did happen, the resend is a
 * duplicate, which acknowledges it). After such a timeout PostgreSQL is
 * left alone for a hold-off that doubles from HOLDOFF_MIN_S to
 * HOLDOFF_MAX_S while it lasts: batches meanwhile get 503 at once, so a
 * hung server costs the loop one wait per hold-off, not one per batch. A
 * server that is down refuses at once: the next batch tries again.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "collector.h"

/* pg_advisory_xact_lock key for the schema: "ETCO" */
#define SCHEMA_LOCK	"1163149135"

#define PG_ANSWER_S	10	/* a batch's statements, all together */
#define STR2(x)		#x
#define STR(x)		STR2(x)
#define HOLDOFF_MIN_S	2	/* PostgreSQL left alone after a failure */
#define HOLDOFF_MAX_S	60

static const char schema[] =
	"BEGIN;"
	"SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ");"
	"CREATE TABLE IF NOT EXISTS edgetrace_batches ("
	" device_id text NOT NULL,"
	" batch_seq bigint NOT NULL,"
	" device_key_id text NOT NULL,"
	" first_seq bigint NOT NULL,"
	" last_seq bigint NOT NULL,"
	" records integer NOT NULL,"
	" sealed_bytes integer NOT NULL,"
	" received timestamptz NOT NULL DEFAULT now(),"
	" UNIQUE (device_id, batch_seq));"
	"CREATE TABLE IF NOT EXISTS edgetrace_records ("
	" device_id text NOT NULL,"
	" seq bigint NOT NULL,"
	" ts bigint NOT NULL,"
	" type text NOT NULL,"
	" batch_seq bigint NOT NULL,"
	" json json NOT NULL);"
	"CREATE INDEX IF NOT EXISTS edgetrace_records_device_seq"
	" ON edgetrace_records (device_id, seq);"
	"COMMIT;";

struct co_pg {
	PGconn *conn;			/* NULL after a failure: connect anew */
	char *conninfo;
	char *copybuf;
	size_t copycap;
	double deadline;		/* of the batch being stored */
	int timed_out;
	double holdoff_until;		/* no attempt before this */
	unsigned int holdoff;		/* seconds; 0 after a success */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* libpq's message, on one line. */
static const char *pg_msg(PGconn *conn)
{
	static char buf[256];
	char *p;

	snprintf(buf, sizeof(buf), "%s", PQerrorMessage(conn));
	for (p = buf; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	while (p > buf && p[-1] == ' ')
		*--p = 0;
	return buf[0] ? buf : "(no message)";
}

/* Blocking: only for the schema, before the collector serves anyone. */
static int exec_ok(PGconn *conn, const char *sql, ExecStatusType want)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == want;

	PQclear(res);
	return ok ? 0 : -1;
}

/*
 * A connect timeout unless CONNINFO sets one (it comes later, so it wins):
 * the first connection is made before the collector listens, blocking,
 * and a server that does not answer must not hold it for the kernel's TCP
 * timeout. Later ones are made within a batch's deadline.
 */
static const char *const conn_keys[] = { "connect_timeout", "dbname", NULL };

struct co_pg *co_pg_open(const char *conninfo, char *err, size_t errlen)
{
	struct co_pg *pg = calloc(1, sizeof(*pg));

	if (!pg || !(pg->conninfo = strdup(conninfo))) {
		snprintf(err, errlen, "out of memory");
		free(pg);
		return NULL;
	}
	pg->conn = PQconnectdbParams(conn_keys, (const char *[]){ "5",
				     conninfo, NULL }, 1);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "--pg '%s': cannot connect to PostgreSQL: "
			 "%s", conninfo, pg_msg(pg->conn));
		goto out_free;
	}
	if (exec_ok(pg->conn, schema, PGRES_COMMAND_OK)) {
		snprintf(err, errlen, "--pg '%s': cannot create the tables: %s",
			 conninfo, pg_msg(pg->conn));
		goto out_free;
	}
	if (PQsetnonblocking(pg->conn, 1)) {
		snprintf(err, errlen, "--pg '%s': %s", conninfo,
			 pg_msg(pg->conn));
		goto out_free;
	}
	return pg;

out_free:
	PQfinish(pg->conn);
	free(pg->conninfo);
	free(pg);
	return NULL;
}

void co_pg_close(struct co_pg *pg)
{
	if (!pg)
		return;
	PQfinish(pg->conn);
	free(pg->conninfo);
	free(pg->copybuf);
	free(pg);
}

/* --------------------------------------------- waits with a deadline */

/* Wait for @events on the connection's socket until the deadline: 0, or
 * -1 when it passed (pg->timed_out) or the socket failed. */
static int wait_socket(struct co_pg *pg, short events)
{
	struct pollfd pfd = { .fd = PQsocket(pg->conn), .events = events };
	double left = pg->deadline - now_s();
	int n;

	if (pfd.fd < 0)
		return -1;
	if (left <= 0) {
		pg->timed_out = 1;
		return -1;
	}
	n = poll(&pfd, 1, (int)(left * 1000) + 1);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n == 0) {
		pg->timed_out = 1;
		return -1;
	}
	return n < 0 ? -1 : 0;
}

/* Send what libpq holds (a query, COPY data). */
static int flush(struct co_pg *pg)
{
	int r;

	while ((r = PQflush(pg->conn)) == 1) {
		if (wait_socket(pg, POLLOUT | POLLIN))
			return -1;
		/* the server may talk (a notice) while we send */
		if (!PQconsumeInput(pg->conn))
			return -1;
	}
	return r;
}

/* The next result of the command sent (NULL at its end, or on failure,
 * with *@failed set). */
static PGresult *next_result(struct co_pg *pg, int *failed)
{
	*failed = 0;
	if (flush(pg))
		goto fail;
	while (PQisBusy(pg->conn)) {
		if (wait_socket(pg, POLLIN) || !PQconsumeInput(pg->conn))
			goto fail;
	}
	return PQgetResult(pg->conn);
fail:
	*failed = 1;
	return NULL;
}

/*
 * Send @sql (with @n text parameters) and wait for its result: 0 when its
 * status is @want, -1 otherwise. @tuples, when set, gets PQcmdTuples.
 */
static int run(struct co_pg *pg, const char *sql, int n,
	       const char *const *v, ExecStatusType want, char *tuples,
	       size_t tlen)
{
	PGresult *res;
	int failed, ok;

	if (!PQsendQueryParams(pg->conn, sql, n, NULL, v, NULL, NULL, 0))
		return -1;
	res = next_result(pg, &failed);
	ok = res && PQresultStatus(res) == want;
	if (ok && tuples)
		snprintf(tuples, tlen, "%s", PQcmdTuples(res));
	PQclear(res);
	if (failed)
		return -1;
	if (want == PGRES_COPY_IN)
		return ok ? 0 : -1;
	/* the command's end: the NULL after its last result */
	while ((res = next_result(pg, &failed)))
		PQclear(res);
	return ok && !failed ? 0 : -1;
}

/* A new connection, within the deadline. */
static int reconnect(struct co_pg *pg)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	const char *vals[] = { "5", pg->conninfo, NULL };

	PQfinish(pg->conn);
	pg->conn = PQconnectStartParams(conn_keys, vals, 1);
	if (!pg->conn || PQstatus(pg->conn) == CONNECTION_BAD)
		return -1;
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED)
			return -1;
		if (wait_socket(pg, st == PGRES_POLLING_READING ? POLLIN :
				POLLOUT))
			return -1;
		st = PQconnectPoll(pg->conn);
	}
	return PQsetnonblocking(pg->conn, 1) ? -1 : 0;
}

/*
 * Append @n bytes to the COPY buffer, in COPY's text format when @esc:
 * backslash, tab, newline and carriage return escaped. The JSON line has
 * no raw control characters, but a backslash is common (its escapes).
 */
static int copy_append(struct co_pg *pg, size_t *len, const char *s, size_t n,
		       int esc)
{
	size_t need = *len + 2 * n + 1, i;
	char *p;

	if (need > pg->copycap) {
		size_t cap = pg->copycap ? pg->copycap : 65536;

		while (cap < need)
			cap *= 2;
		p = realloc(pg->copybuf, cap);
		if (!p)
			return -1;
		pg->copybuf = p;
		pg->copycap = cap;
	}
	p = pg->copybuf + *len;
	for (i = 0; i < n; i++) {
		if (!esc) {
			*p++ = s[i];
			continue;
		}
		switch (s[i]) {
		case '\\': *p++ = '\\'; *p++ = '\\'; break;
		case '\t': *p++ = '\\'; *p++ = 't'; break;
		case '\n': *p++ = '\\'; *p++ = 'n'; break;
		case '\r': *p++ = '\\'; *p++ = 'r'; break;
		default: *p++ = s[i]; break;
		}
	}
	*len = p - pg->copybuf;
	return 0;
}

/* COPY data, waiting (within the deadline) while libpq's buffer is full. */
static int copy_put(struct co_pg *pg, const char *buf, size_t len)
{
	int r;

	while ((r = PQputCopyData(pg->conn, buf, len)) == 0)
		if (flush(pg))
			return -1;
	return r == 1 ? 0 : -1;
}

static int copy_records(struct co_pg *pg, const struct co_batch *b)
{
	char num[96];
	size_t i, len = 0;
	int n;

	for (i = 0; i < b->nrecs; i++) {
		const struct co_rec *r = &b->recs[i];

		if (copy_append(pg, &len, b->h.device_id,
				strlen(b->h.device_id), 1))
			return -1;
		n = snprintf(num, sizeof(num), "\t%" PRIu64 "\t%" PRIu64
			     "\t%s\t%" PRIu64 "\t", r->seq,
			     r->ts > INT64_MAX ? (uint64_t)INT64_MAX : r->ts,
			     r->type, b->h.batch_seq);
		if (copy_append(pg, &len, num, n, 0) ||
		    copy_append(pg, &len, b->json + r->off, r->len - 1, 1))
			return -1;
		pg->copybuf[len++] = '\n';
		if (len >= 256 * 1024 || i + 1 == b->nrecs) {
			if (copy_put(pg, pg->copybuf, len))
				return -1;
			len = 0;
		}
	}
	return 0;
}

/* The batch's row: 1 new, 0 there already, -1 failed. */
static int insert_batch(struct co_pg *pg, const struct co_batch *b)
{
	char seq[24], first[24], last[24], count[16], bytes[16], tuples[24];
	const char *v[] = { b->h.device_id, seq, b->key_hex, first, last,
			    count, bytes };
	int ret = -1;

	snprintf(seq, sizeof(seq), "%" PRIu64, b->h.batch_seq);
	snprintf(first, sizeof(first), "%" PRIu64, b->h.first_seq);
	snprintf(last, sizeof(last), "%" PRIu64, b->h.last_seq);
	snprintf(count, sizeof(count), "%" PRIu32, b->h.count);
	snprintf(bytes, sizeof(bytes), "%zu", b->sealed_len);
	if (!run(pg, "INSERT INTO edgetrace_batches (device_id, batch_seq, "
		 "device_key_id, first_seq, last_seq, records, sealed_bytes) "
		 "VALUES ($1, $2, $3, $4, $5, $6, $7) "
		 "ON CONFLICT (device_id, batch_seq) DO NOTHING",
		 7, v, PGRES_COMMAND_OK, tuples, sizeof(tuples)))
		ret = strcmp(tuples, "0") ? 1 : 0;
	return ret;
}

static int cmd(struct co_pg *pg, const char *sql)
{
	return run(pg, sql, 0, NULL, PGRES_COMMAND_OK, NULL, 0);
}

static int begin(struct co_pg *pg)
{
	if ((!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) &&
	    reconnect(pg))
		return -1;
	if (!cmd(pg, "BEGIN"))
		return 0;
	if (pg->timed_out || PQstatus(pg->conn) == CONNECTION_OK)
		return -1;
	/* the connection died since the last batch: one more try */
	if (reconnect(pg))
		return -1;
	return cmd(pg, "BEGIN");
}

/* After PQputCopyEnd: COPY's result, then the end of the command. */
static int copy_end(struct co_pg *pg)
{
	PGresult *res;
	int failed, ok;

	res = next_result(pg, &failed);
	ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	while (!failed && (res = next_result(pg, &failed)))
		PQclear(res);
	return ok && !failed ? 0 : -1;
}

/* The transaction of one batch: 1 new, 0 a duplicate, -1 failed. */
static int store(struct co_pg *pg, const struct co_batch *b)
{
	int ret;

	if (begin(pg))
		return -1;
	ret = insert_batch(pg, b);
	if (ret < 0)
		return -1;
	if (ret == 0)
		return cmd(pg, "ROLLBACK") ? -1 : 0;
	if (run(pg, "COPY edgetrace_records (device_id, seq, ts, type, "
		"batch_seq, json) FROM STDIN", 0, NULL, PGRES_COPY_IN, NULL,
		0))
		return -1;
	if (copy_records(pg, b)) {
		if (!pg->timed_out &&
		    PQputCopyEnd(pg->conn, "out of memory") == 1)
			copy_end(pg);
		return -1;
	}
	if (PQputCopyEnd(pg->conn, NULL) != 1 || copy_end(pg) ||
	    cmd(pg, "COMMIT"))
		return -1;
	return 1;
}

int co_pg_store(struct co_pg *pg, const struct co_batch *b, char *err,
		size_t errlen)
{
	double now = now_s();
	int ret;

	if (now < pg->holdoff_until) {
		snprintf(err, errlen, "PostgreSQL failed, not tried again for "
			 "%.0f s", pg->holdoff_until - now);
		return -1;
	}
	pg->deadline = now + PG_ANSWER_S;
	pg->timed_out = 0;
	ret = store(pg, b);
	if (ret >= 0) {
		pg->holdoff = 0;
		return ret;
	}
	snprintf(err, errlen, "PostgreSQL: %s", pg->timed_out ?
		 "no answer within " STR(PG_ANSWER_S) " s" :
		 pg->conn ? pg_msg(pg->conn) : "out of memory");
	/* an error in a working session: roll back, and go on */
	if (!pg->timed_out && PQstatus(pg->conn) == CONNECTION_OK &&
	    (PQtransactionStatus(pg->conn) == PQTRANS_IDLE ||
	     !cmd(pg, "ROLLBACK")))
		return -1;
	/* the connection is of no use now */
	PQfinish(pg->conn);
	pg->conn = NULL;
	/*
	 * A server that is down says so at once (refused): try again with
	 * the next batch. One that hangs cost the deadline: leave it alone.
	 */
	if (!pg->timed_out)
		return -1;
	pg->holdoff = pg->holdoff ? 2 * pg->holdoff : HOLDOFF_MIN_S;
	if (pg->holdoff > HOLDOFF_MAX_S)
		pg->holdoff = HOLDOFF_MAX_S;
	pg->holdoff_until = now_s() + pg->holdoff;
	co_log("PostgreSQL left alone for %u s: %s", pg->holdoff, err);
	return -1;
}
