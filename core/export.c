// SPDX-License-Identifier: GPL-2.0
/*
 * export.c - `edgetrace export`: the spool's records to standard output,
 * for a pull over SSH (`ssh gw edgetrace export > gw.cap`).
 *
 * raw writes a capture file (storage.h): the records' own bytes, framed
 * with their sequence numbers and a CRC, which `query --file` and `run
 * --replay` read back. jsonl writes the JSON lines of `query --json`.
 * The spool is read in short read transactions (et_spool_foreach), so a
 * long export does not hold LMDB's freed pages from the agent.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

static const char export_usage[] =
"usage: edgetrace export [--spool DIR] [--since T] [--from-seq N]\n"
"                        [--format raw|jsonl]\n"
"\n"
"Write the spool's records to standard output, oldest first.\n"
"\n"
"  --spool DIR     spool directory (default " ET_DEFAULT_SPOOL ")\n"
"  --since T       start at the first event at or after T (as in query)\n"
"  --from-seq N    start at sequence number N (to resume an export)\n"
"  --format F      raw: a capture file, for query --file and run --replay\n"
"                  (the default); jsonl: JSON lines as query --json\n"
"  -h, --help      show this help\n";

FILE *et_capture_open(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;

	if (!f)
		et_err("cannot open capture file '%s': %s", path,
		       strerror(errno));
	return f;
}

void et_capture_close(FILE *f)
{
	if (f && f != stdin)
		fclose(f);
}

struct export_state {
	int jsonl;
	uint64_t since;
	uint64_t last;
	int bad;
};

static int export_one(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct export_state *x = arg;
	struct et_record r = { .seq = seq };
	enum et_decode_status st;

	st = et_record_decode(rec, len, &r);
	if (st) {
		et_err("record %" PRIu64 ": %s", seq, et_decode_strerror(st));
		x->bad++;
		return st == ET_DEC_MAJOR;
	}
	if (r.ts < x->since)
		return 0;
	x->last = seq;
	if (x->jsonl) {
		et_print_json(stdout, &r);
		return 0;
	}
	return et_capture_write(stdout, seq, rec, len) ? -1 : 0;
}

struct export_args {
	const char *spool, *since, *format;
	uint64_t from;
};

static int parse_export_args(int argc, char **argv, struct export_args *ea)
{
	static const struct option opts[] = {
		{ "spool", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "from-seq", required_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's': ea->spool = optarg; break;
		case 'S': ea->since = optarg; break;
		case 'F': ea->format = optarg; break;
		case 'f':
			ea->from = strtoull(optarg, &end, 10);
			if (*end || end == optarg)
				return -et_usage_error("export", "--from-seq "
						       "'%s' is not a sequence "
						       "number", optarg);
			break;
		case 'h': fputs(export_usage, stdout); return 1;
		case ':':
			return -et_usage_error("export", "option '%s' needs a "
					       "value", argv[optind - 1]);
		default:
			return -et_usage_error("export", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return -et_usage_error("export", "unexpected argument '%s'",
				       argv[optind]);
	if (strcmp(ea->format, "raw") && strcmp(ea->format, "jsonl"))
		return -et_usage_error("export", "unknown format '%s': give raw "
				       "or jsonl", ea->format);
	if (!strcmp(ea->format, "raw") && isatty(STDOUT_FILENO))
		return -et_usage_error("export", "raw output is binary: "
				       "redirect it to a file or a pipe");
	return 0;
}

int et_cmd_export(int argc, char **argv)
{
	struct export_args ea = { .spool = ET_DEFAULT_SPOOL, .format = "raw" };
	struct export_state x = { 0 };
	struct et_spool_opts so;
	struct et_spool *sp;
	char err[512];
	int rc;

	rc = parse_export_args(argc, argv, &ea);
	if (rc)
		return rc > 0 ? ET_EXIT_OK : -rc;
	if (ea.since && (rc = et_parse_when("export", "--since", ea.since,
					    &x.since)))
		return -rc;
	x.jsonl = !strcmp(ea.format, "jsonl");
	et_spool_defaults(&so);
	so.readonly = 1;
	sp = et_spool_open(ea.spool, &so, err, sizeof(err));
	if (!sp) {
		et_err("%s", err);
		return ET_EXIT_ERROR;
	}
	rc = 0;
	if (x.since && !ea.from)
		rc = et_seek_since(sp, x.since, &ea.from);
	if (!x.jsonl && !rc && et_capture_write_header(stdout))
		rc = -1;
	if (!rc)
		rc = et_spool_foreach(sp, ea.from, export_one, &x);
	if (rc < 0)
		et_err("%s", et_spool_error(sp)[0] ? et_spool_error(sp) :
		       "cannot write the export");
	et_spool_close(sp);
	if (fflush(stdout)) {
		et_err("cannot write the export: %m");
		return ET_EXIT_ERROR;
	}
	if (x.last)
		fprintf(stderr, "edgetrace: exported up to seq %" PRIu64
			"; resume with --from-seq %" PRIu64 "\n", x.last,
			x.last + 1);
	return rc < 0 || x.bad ? ET_EXIT_ERROR : ET_EXIT_OK;
}
