// SPDX-License-Identifier: GPL-2.0
/*
 * query.c - `edgetrace query` and `edgetrace status`: read the spool.
 *
 * Both open the spool read-only (they never create or change anything, and
 * work while an agent is writing) and read it through et_spool_foreach,
 * which uses short read transactions.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "filter.h"

static const char query_usage[] =
"usage: edgetrace query [--spool DIR] [--json] [EXPR]\n"
"\n"
"Print the events stored in a spool, oldest first; with EXPR, only those\n"
"that match it (the words of EXPR may be given as separate arguments).\n"
"\n"
"  --spool DIR  spool directory (default " ET_DEFAULT_SPOOL ")\n"
"  --json       one JSON object per line instead of a table\n"
"  -h, --help   show this help\n"
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
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's': ra->spool = optarg; break;
		case 'j': ra->json = 1; break;
		case 'h': printf(usage, et_filter_fields()); return 1;
		case ':':
			return -et_usage_error(cmd, "option '%s' needs a value",
					       argv[optind - 1]);
		default:
			return -et_usage_error(cmd, "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc && !strcmp(cmd, "query"))
		return join_expr(cmd, argc, argv, ra);
	if (optind < argc)
		return -et_usage_error(cmd, "unexpected argument '%s'",
				       argv[optind]);
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

struct query_state {
	int json;
	int bad;
	struct et_filter *filter;
};

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
	if (q->filter && !et_filter_match(q->filter, &r))
		return 0;
	if (q->json)
		et_print_json(stdout, &r);
	else
		et_print_table(stdout, &r);
	return 0;
}

int et_cmd_query(int argc, char **argv)
{
	struct read_args ra = { .spool = ET_DEFAULT_SPOOL };
	struct query_state q = { 0 };
	struct et_spool *sp;
	int rc;

	rc = parse_read_args("query", query_usage, argc, argv, &ra);
	if (rc)
		return rc > 0 ? ET_EXIT_OK : -rc;
	if (ra.expr[0]) {
		struct et_filter_error ferr;

		q.filter = et_filter_parse(ra.expr, &ferr);
		if (!q.filter) {
			et_filter_print_error(stderr, ra.expr, &ferr);
			return ET_EXIT_USAGE;
		}
	}
	sp = open_ro(ra.spool);
	if (!sp) {
		et_filter_free(q.filter);
		return ET_EXIT_ERROR;
	}
	q.json = ra.json;
	if (!q.json)
		et_print_table_header(stdout);
	rc = et_spool_foreach(sp, 0, print_one, &q);
	if (rc < 0)
		et_err("%s", et_spool_error(sp));
	et_spool_close(sp);
	et_filter_free(q.filter);
	if (fflush(stdout)) {
		et_err("cannot write the output: %m");
		return ET_EXIT_ERROR;
	}
	return rc < 0 || q.bad ? ET_EXIT_ERROR : ET_EXIT_OK;
}

int et_cmd_status(int argc, char **argv)
{
	struct read_args ra = { .spool = ET_DEFAULT_SPOOL };
	struct et_spool_stats st;
	struct et_spool *sp;
	int rc;

	rc = parse_read_args("status", status_usage, argc, argv, &ra);
	if (rc)
		return rc > 0 ? ET_EXIT_OK : -rc;
	sp = open_ro(ra.spool);
	if (!sp)
		return ET_EXIT_ERROR;
	rc = et_spool_stats(sp, &st);
	if (rc)
		et_err("%s", et_spool_error(sp));
	et_spool_close(sp);
	if (rc)
		return ET_EXIT_ERROR;
	if (ra.json) {
		printf("{\"spool\":{\"records\":%" PRIu64 ",\"first_seq\":%"
		       PRIu64 ",\"last_seq\":%" PRIu64 ",\"evicted\":%" PRIu64
		       ",\"map_size\":%" PRIu64 ",\"used\":%" PRIu64 "},"
		       "\"agent\":", st.records, st.first_seq, st.last_seq,
		       st.evicted, st.map_size, st.used);
		fflush(stdout);
		if (!et_status_print(ra.spool, "json", stdout))
			puts("null}");
		else
			puts("}");
	} else {
		printf("spool     %s\nrecords   %" PRIu64 " (seq %" PRIu64 "..%"
		       PRIu64 "), %" PRIu64 " evicted\nsize      %" PRIu64
		       " KiB used of %" PRIu64 " KiB\n", ra.spool, st.records,
		       st.first_seq, st.last_seq, st.evicted, st.used >> 10,
		       st.map_size >> 10);
		if (!et_status_print(ra.spool, "txt", stdout))
			puts("agent     not running on this spool");
	}
	return ET_EXIT_OK;
}
