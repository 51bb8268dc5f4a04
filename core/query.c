// SPDX-License-Identifier: GPL-2.0
/*
 * query.c - `edgetrace query` and `edgetrace status`: read the spool.
 *
 * Both open the spool read-only (they never create or change anything, and
 * work while an agent is writing) and read it through et_spool_foreach,
 * which uses short read transactions.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "filter.h"

static const char query_usage[] =
"usage: edgetrace query [--spool DIR | --file F] [--since T] [--until T]\n"
"                       [--json] [EXPR]\n"
"\n"
"Print the events stored in a spool, oldest first; with EXPR, only those\n"
"that match it (the words of EXPR may be given as separate arguments).\n"
"\n"
"  --spool DIR  spool directory (default " ET_DEFAULT_SPOOL ")\n"
"  --file F     read a capture file (edgetrace export --format raw), - for\n"
"               standard input, instead of a spool\n"
"  --since T    only events at or after T\n"
"  --until T    only events at or before T\n"
"  --json       one JSON object per line instead of a table\n"
"  -h, --help   show this help\n"
"\n"
"T: RFC 3339 (2026-11-21T20:00:00Z, 2026-11-21T22:00:00.5+02:00), ns since\n"
"the epoch, or relative to now: -30s, -15m, -2h, -1d. A time range seeks\n"
"in the spool rather than reading all of it.\n"
"\n"
"EXPR: FIELD OP VALUE joined with and, or, not and parentheses;\n"
"OP is = != < <= > >= contains startswith glob in exists. Examples:\n"
"  evt.type=exec and proc.exe startswith /tmp\n"
"  proc.name in (sh, bash) and not user.uid = 0\n"
"  container.id exists\n"
"Fields: %s\n";

static const char status_usage[] =
"usage: edgetrace status [--spool DIR] [--json]\n"
"\n"
"Print the spool's figures: records, sequence range, evictions, size.\n"
"\n"
"  --spool DIR  spool directory (default " ET_DEFAULT_SPOOL ")\n"
"  --json       one JSON object instead of text\n"
"  -h, --help   show this help\n";

void et_spool_defaults(struct et_spool_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->map_size = (size_t)CONFIG_SPOOL_MAP_SIZE_MIB << 20;
	o->commit_events = CONFIG_SPOOL_COMMIT_EVENTS;
}

struct read_args {
	const char *spool;
	int json;
	const char *since, *until;	/* query only */
	const char *file;		/* query only */
	int spool_given;
	char expr[ET_FILTER_MAX_LEN + 1];	/* query only */
};

/* The remaining arguments, joined with spaces, are the filter. */
static int join_expr(const char *cmd, int argc, char **argv,
		     struct read_args *ra)
{
	size_t off = 0;

	for (int i = optind; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (off + n + 1 > sizeof(ra->expr) - 1)
			return -et_usage_error(cmd, "filter expression longer "
					       "than %d bytes",
					       ET_FILTER_MAX_LEN);
		if (off)
			ra->expr[off++] = ' ';
		memcpy(ra->expr + off, argv[i], n);
		off += n;
	}
	ra->expr[off] = '\0';
	return 0;
}

static int parse_read_args(const char *cmd, const char *usage, int argc,
			   char **argv, struct read_args *ra)
{
	static const struct option opts[] = {
		{ "spool", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "file", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (ra->file)
				return -et_usage_error(cmd, "give --spool or "
						       "--file, not both");
			ra->spool = optarg;
			ra->spool_given = 1;
			break;
		case 'j': ra->json = 1; break;
		case 'S':
		case 'U':
		case 'F':
			if (strcmp(cmd, "query"))
				return -et_usage_error(cmd, "unknown option "
						       "'%s'", argv[optind - 1]);
			*(c == 'S' ? &ra->since : c == 'U' ? &ra->until :
			  &ra->file) = optarg;
			if (c == 'F' && ra->spool_given)
				return -et_usage_error(cmd, "give --spool or "
						       "--file, not both");
			break;
		case 'h': printf(usage, et_filter_fields()); return 1;
		default:
			return -et_getopt_error(cmd, c, argv);
		}
	}
	if (optind < argc && !strcmp(cmd, "query"))
		return join_expr(cmd, argc, argv, ra);
	if (optind < argc)
		return -et_stray_arg(cmd, argv[optind]);
	return 0;
}

static struct et_spool *open_ro(const char *dir)
{
	struct et_spool_opts so;
	struct et_spool *sp;
	char err[512];

	et_spool_defaults(&so);
	so.readonly = 1;
	sp = et_spool_open(dir, &so, err, sizeof(err));
	if (!sp)
		et_err("%s", err);
	return sp;
}

int et_seek_since(struct et_spool *sp, uint64_t since, uint64_t *from)
{
	return et_spool_seek_time(sp, since > ET_TIME_SLACK_NS ?
				  since - ET_TIME_SLACK_NS : 0, from);
}

struct query_state {
	int json;
	int bad;
	int stopped;
	struct et_filter *filter;
	uint64_t since, until;	/* ns; until 0: none */
};

/* --since/--until: RFC 3339, ns, or -30s -15m -2h -1d from now. */
int et_parse_when(const char *cmd, const char *opt, const char *s,
		  uint64_t *ns)
{
	static const struct { char unit; uint64_t ns; } units[] = {
		{ 's', 1000000000ull }, { 'm', 60000000000ull },
		{ 'h', 3600000000000ull }, { 'd', 86400000000000ull },
	};
	struct timespec now;
	char *end;
	int64_t v;

	if (s[0] == '-' && s[1] >= '0' && s[1] <= '9') {
		unsigned long n = strtoul(s + 1, &end, 10);

		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (end[0] != units[i].unit || end[1])
				continue;
			clock_gettime(CLOCK_REALTIME, &now);
			*ns = (uint64_t)now.tv_sec * 1000000000ull +
			      (uint64_t)now.tv_nsec - n * units[i].ns;
			return 0;
		}
	} else if (!et_parse_time(s, &v) && v >= 0) {
		*ns = v;
		return 0;
	}
	return -et_usage_error(cmd, "%s '%s' is not a time: give RFC "
			       "3339 (2026-11-21T20:00:00Z), ns since the "
			       "epoch, or -30s, -15m, -2h, -1d", opt, s);
}

static int print_one(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct query_state *q = arg;
	enum et_decode_status st;
	struct et_record r = { .seq = seq };

	st = et_record_decode(rec, len, &r);
	if (st) {
		et_err("record %" PRIu64 ": %s", seq, et_decode_strerror(st));
		q->bad++;
		return st == ET_DEC_MAJOR;	/* newer format: stop */
	}
	if (q->until && r.ts > q->until + ET_TIME_SLACK_NS) {
		q->stopped = 1;
		return 1;
	}
	if (r.ts < q->since || (q->until && r.ts > q->until))
		return 0;
	if (q->filter && !et_filter_match(q->filter, &r))
		return 0;
	if (q->json)
		et_print_json(stdout, &r);
	else
		et_print_table(stdout, &r);
	return 0;
}

/* query --file: the same printing over a capture file. */
static int query_file(const char *path, struct query_state *q)
{
	FILE *f = et_capture_open(path);
	char err[256];
	int rc;

	if (!f)
		return ET_EXIT_ERROR;
	if (!q->json)
		et_print_table_header(stdout);
	rc = et_capture_read(f, print_one, q, err, sizeof(err));
	et_capture_close(f);
	if (rc < 0)
		et_err("%s: %s", path, err);
	if (fflush(stdout)) {
		et_err("cannot write the output: %m");
		return ET_EXIT_ERROR;
	}
	return (rc < 0 || q->bad) && !q->stopped ? ET_EXIT_ERROR : ET_EXIT_OK;
}

int et_cmd_query(int argc, char **argv)
{
	struct read_args ra = { .spool = ET_DEFAULT_SPOOL };
	struct query_state q = { 0 };
	struct et_spool *sp;
	uint64_t from = 0;
	int rc;

	rc = parse_read_args("query", query_usage, argc, argv, &ra);
	if (rc)
		return rc > 0 ? ET_EXIT_OK : -rc;
	if ((ra.since && (rc = et_parse_when("query", "--since", ra.since,
					      &q.since))) ||
	    (ra.until && (rc = et_parse_when("query", "--until", ra.until,
					      &q.until))))
		return -rc;
	if (q.until && q.since > q.until)
		return et_usage_error("query", "--since %s is after --until %s",
				      ra.since, ra.until);
	if (ra.expr[0]) {
		struct et_filter_error ferr;

		q.filter = et_filter_parse(ra.expr, &ferr);
		if (!q.filter) {
			et_filter_print_error(stderr, ra.expr, &ferr);
			return ET_EXIT_USAGE;
		}
	}
	q.json = ra.json;
	if (ra.file) {
		rc = query_file(ra.file, &q);
		et_filter_free(q.filter);
		return rc;
	}
	sp = open_ro(ra.spool);
	if (!sp) {
		et_filter_free(q.filter);
		return ET_EXIT_ERROR;
	}
	if (!q.json)
		et_print_table_header(stdout);
	rc = 0;
	if (q.since)
		rc = et_seek_since(sp, q.since, &from);
	if (!rc)
		rc = et_spool_foreach(sp, from, print_one, &q);
	if (rc < 0)
		et_err("%s", et_spool_error(sp));
	if (q.stopped)
		rc = 0;
	et_spool_close(sp);
	et_filter_free(q.filter);
	if (fflush(stdout)) {
		et_err("cannot write the output: %m");
		return ET_EXIT_ERROR;
	}
	return rc < 0 || q.bad ? ET_EXIT_ERROR : ET_EXIT_OK;
}

struct cursor_print {
	const struct et_spool_stats *st;
	int json;
	int n;
};

/*
 * One cursor: where it is, how many stored records it has yet to read,
 * and how many were evicted before it read them.
 */
static int print_cursor(const char *name, uint64_t seq, void *arg)
{
	struct cursor_print *cp = arg;
	const struct et_spool_stats *st = cp->st;
	uint64_t from = seq, behind = 0, missed = 0;

	if (st->records && from < st->first_seq) {
		missed = st->first_seq - (from ? from : 1);
		from = st->first_seq;
	}
	if (st->records && from <= st->last_seq)
		behind = st->last_seq + 1 - from;
	if (cp->json)
		printf("%s{\"name\":\"%s\",\"next_seq\":%" PRIu64
		       ",\"behind\":%" PRIu64 ",\"missed\":%" PRIu64 "}",
		       cp->n ? "," : "", name, seq, behind, missed);
	else
		printf("cursor    %s: next %" PRIu64 ", %" PRIu64 " behind, %"
		       PRIu64 " evicted unread\n", name, seq, behind, missed);
	cp->n++;
	return 0;
}

int et_cmd_status(int argc, char **argv)
{
	struct read_args ra = { .spool = ET_DEFAULT_SPOOL };
	struct et_spool_stats st;
	struct cursor_print cp = { .st = &st };
	struct et_spool *sp;
	int rc;

	rc = parse_read_args("status", status_usage, argc, argv, &ra);
	if (rc)
		return rc > 0 ? ET_EXIT_OK : -rc;
	sp = open_ro(ra.spool);
	if (!sp)
		return ET_EXIT_ERROR;
	rc = et_spool_stats(sp, &st);
	if (rc) {
		et_err("%s", et_spool_error(sp));
		et_spool_close(sp);
		return ET_EXIT_ERROR;
	}
	cp.json = ra.json;
	if (ra.json) {
		printf("{\"spool\":{\"records\":%" PRIu64 ",\"first_seq\":%"
		       PRIu64 ",\"last_seq\":%" PRIu64 ",\"evicted\":%" PRIu64
		       ",\"map_size\":%" PRIu64 ",\"used\":%" PRIu64
		       ",\"cursors\":[", st.records, st.first_seq, st.last_seq,
		       st.evicted, st.map_size, st.used);
		rc = et_spool_cursor_foreach(sp, print_cursor, &cp);
		printf("]},\"agent\":");
		fflush(stdout);
		if (!et_status_print(ra.spool, "json", stdout))
			fputs("null", stdout);
		fputs(",\"uplink\":", stdout);
		fflush(stdout);
		if (!et_status_print_of(ra.spool, "uplink", "json", stdout))
			fputs("null", stdout);
		puts("}");
	} else {
		printf("spool     %s\nrecords   %" PRIu64 " (seq %" PRIu64 "..%"
		       PRIu64 "), %" PRIu64 " evicted\nsize      %" PRIu64
		       " KiB used of %" PRIu64 " KiB\n", ra.spool, st.records,
		       st.first_seq, st.last_seq, st.evicted, st.used >> 10,
		       st.map_size >> 10);
		rc = et_spool_cursor_foreach(sp, print_cursor, &cp);
		if (!et_status_print(ra.spool, "txt", stdout))
			puts("agent     not running on this spool");
		et_status_print_of(ra.spool, "uplink", "txt", stdout);
	}
	if (rc)
		et_err("%s", et_spool_error(sp));
	et_spool_close(sp);
	return rc ? ET_EXIT_ERROR : ET_EXIT_OK;
}
