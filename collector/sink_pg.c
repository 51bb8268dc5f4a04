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
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "collector.h"

/* pg_advisory_xact_lock key for the schema: "ETCO" */
#define SCHEMA_LOCK	"1163149135"

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
	PGconn *conn;
	char *copybuf;
	size_t copycap;
};

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

static int exec_ok(PGconn *conn, const char *sql, ExecStatusType want)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == want;

	PQclear(res);
	return ok ? 0 : -1;
}

struct co_pg *co_pg_open(const char *conninfo, char *err, size_t errlen)
{
	/*
	 * A connect timeout unless CONNINFO sets one (it comes later, so it
	 * wins): the loop waits for libpq, and a server that does not
	 * answer must not stall it for the kernel's TCP timeout.
	 */
	static const char *const keys[] = { "connect_timeout", "dbname",
					    NULL };
	const char *vals[] = { "5", conninfo, NULL };
	struct co_pg *pg = calloc(1, sizeof(*pg));

	if (!pg) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pg->conn = PQconnectdbParams(keys, vals, 1);
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
	return pg;

out_free:
	PQfinish(pg->conn);
	free(pg);
	return NULL;
}

void co_pg_close(struct co_pg *pg)
{
	if (!pg)
		return;
	PQfinish(pg->conn);
	free(pg->copybuf);
	free(pg);
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
			if (PQputCopyData(pg->conn, pg->copybuf, len) != 1)
				return -1;
			len = 0;
		}
	}
	return 0;
}

/* The batch's row: 1 new, 0 there already, -1 failed. */
static int insert_batch(struct co_pg *pg, const struct co_batch *b)
{
	char seq[24], first[24], last[24], count[16], bytes[16];
	const char *v[] = { b->h.device_id, seq, b->key_hex, first, last,
			    count, bytes };
	PGresult *res;
	int ret = -1;

	snprintf(seq, sizeof(seq), "%" PRIu64, b->h.batch_seq);
	snprintf(first, sizeof(first), "%" PRIu64, b->h.first_seq);
	snprintf(last, sizeof(last), "%" PRIu64, b->h.last_seq);
	snprintf(count, sizeof(count), "%" PRIu32, b->h.count);
	snprintf(bytes, sizeof(bytes), "%zu", b->sealed_len);
	res = PQexecParams(pg->conn,
		"INSERT INTO edgetrace_batches (device_id, batch_seq, "
		"device_key_id, first_seq, last_seq, records, sealed_bytes) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7) "
		"ON CONFLICT (device_id, batch_seq) DO NOTHING",
		7, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		ret = strcmp(PQcmdTuples(res), "0") ? 1 : 0;
	PQclear(res);
	return ret;
}

static int begin(struct co_pg *pg)
{
	if (PQstatus(pg->conn) != CONNECTION_OK)
		PQreset(pg->conn);
	if (!exec_ok(pg->conn, "BEGIN", PGRES_COMMAND_OK))
		return 0;
	if (PQstatus(pg->conn) == CONNECTION_OK)
		return -1;
	/* the connection died since the last batch: one more try */
	PQreset(pg->conn);
	return exec_ok(pg->conn, "BEGIN", PGRES_COMMAND_OK);
}

int co_pg_store(struct co_pg *pg, const struct co_batch *b, char *err,
		size_t errlen)
{
	PGresult *res;
	int ret;

	if (begin(pg))
		goto fail;
	ret = insert_batch(pg, b);
	if (ret < 0)
		goto fail;
	if (ret == 0) {
		exec_ok(pg->conn, "ROLLBACK", PGRES_COMMAND_OK);
		return 0;
	}
	res = PQexec(pg->conn, "COPY edgetrace_records (device_id, seq, ts, "
		     "type, batch_seq, json) FROM STDIN");
	ret = PQresultStatus(res) == PGRES_COPY_IN;
	PQclear(res);
	if (!ret)
		goto fail;
	ret = copy_records(pg, b);
	if (PQputCopyEnd(pg->conn, ret ? "out of memory" : NULL) != 1)
		goto fail;
	res = PQgetResult(pg->conn);
	ret = ret || PQresultStatus(res) != PGRES_COMMAND_OK;
	PQclear(res);
	while ((res = PQgetResult(pg->conn)))
		PQclear(res);
	if (ret)
		goto fail;
	if (exec_ok(pg->conn, "COMMIT", PGRES_COMMAND_OK))
		goto fail;
	return 1;

fail:
	snprintf(err, errlen, "PostgreSQL: %s", pg_msg(pg->conn));
	if (PQstatus(pg->conn) == CONNECTION_OK &&
	    PQtransactionStatus(pg->conn) != PQTRANS_IDLE)
		exec_ok(pg->conn, "ROLLBACK", PGRES_COMMAND_OK);
	return -1;
}
