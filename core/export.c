// SPDX-License-Identifier: GPL-2.0
/*
 * export.c - `edgetrace export`: the spool's records to standard output,
 * for a pull over SSH (`ssh gw edgetrace export > gw.cap`).
 *
 * raw writes a capture file (storage.h): the records' own bytes, framed
 * with their sequence numbers and a CRC, which `query --file` and `run
 * --replay` read back. jsonl writes the JSON lines of `query --json`.
 * armor writes checksummed text lines for a serial console (armor.c),
 * which `edgetrace import` turns back into a capture file. sealed
 * (CONFIG_UPLINK_SEAL) writes the records in sealed batches (sealed.c,
 * docs/sealed-format.md), which only the fleet's private key opens, for
 * `edgetrace decode`.
 * The spool is read in short read transactions (et_spool_foreach), so a
 * long export does not hold LMDB's freed pages from the agent.
 *
 * What is exported is one or more ranges of sequence numbers: one from
 * --from-seq (or --since) to --to-seq, or the list of --seqs. An armored
 * export declares each range in a BEGIN line before its records, so it
 * ends at the spool's newest record when the export starts; a raw or
 * jsonl export without --to-seq also takes records that arrive meanwhile.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#ifdef CONFIG_UPLINK_SEAL
#include "seal.h"

#define SEALED_FORMAT	"|sealed"
#define FORMATS		"raw, jsonl, armor or sealed"
#define SEALED_USAGE							\
"                        [--fleet-pub F --device-key F [--device-id ID]]\n" \
"                        [--batch-records N]\n"
#define SEALED_HELP							\
"                  sealed: batches compressed, encrypted for the fleet\n" \
"                  and signed by the device (docs/sealed-format.md), for\n" \
"                  'edgetrace decode' on a machine with the fleet's key\n" \
"  --fleet-pub F   sealed: the fleet's public key (fleet.pub)\n"	\
"  --device-key F  sealed: the device's private key (device.key)\n"	\
"  --device-id ID  sealed: the device id in each batch (default: the\n" \
"                  device key's id, 32 hex digits)\n"			\
"  --batch-records N  sealed: at most N records a batch (default 4096;\n" \
"                  a batch also ends before 1 MiB of records)\n"
#else
#define SEALED_FORMAT	""
#define FORMATS		"raw, jsonl or armor"
#define SEALED_USAGE	""
#define SEALED_HELP	""
#endif

static const char export_usage[] =
"usage: edgetrace export [--spool DIR] [--since T] [--from-seq N]\n"
"                        [--to-seq N] [--seqs LIST] [--cursor NAME]\n"
"                        [--format raw|jsonl|armor" SEALED_FORMAT "]\n"
SEALED_USAGE
"\n"
"Write the spool's records to standard output, oldest first.\n"
"\n"
"  --spool DIR     spool directory (default " ET_DEFAULT_SPOOL ")\n"
"  --since T       start at the first event at or after T (as in query)\n"
"  --from-seq N    start at sequence number N (to resume an export)\n"
"  --to-seq N      stop after sequence number N\n"
"  --cursor NAME   start where the last export with this cursor ended\n"
"                  (the oldest record the first time), and when all was\n"
"                  written, move the cursor past it: repeated pulls get\n"
"                  each record once. The cursor lives in the spool\n"
"                  (status lists it); not with --since, --from-seq or\n"
"                  --seqs\n"
"  --seqs LIST     only these sequence numbers, as 'edgetrace import' lists\n"
"                  the missing ones: 17,200-203,2999 (not with --since,\n"
"                  --from-seq or --to-seq)\n"
"  --format F      raw: a capture file, for query --file and run --replay\n"
"                  (the default); jsonl: JSON lines as query --json;\n"
"                  armor: checksummed text lines for a serial console,\n"
"                  which 'edgetrace import' turns back into a capture file,\n"
"                  listing the sequence numbers that did not arrive\n"
SEALED_HELP
"  -h, --help      show this help\n"
"\n"
"With --since, an armored export sends every record from the first event\n"
"at or after T on, and stops at the newest record when it starts.\n"
"Progress is shown on stderr when it is a terminal (and not the one the\n"
"export goes to).\n";

#define CAPTURE_BUF	(256 * 1024)

/* The capture that has the large read buffer (one is read at a time). */
static FILE *cap_file;
static char *cap_buf;

/*
 * musl's stdio reads a file 1 KiB at a time, a read call for every few
 * records: give the capture a buffer of its own. Standard input keeps its
 * buffer until exit, as it stays open.
 */
static void capture_buffer(FILE *f)
{
	if (cap_file)
		return;
	cap_buf = malloc(CAPTURE_BUF);
	if (cap_buf && !setvbuf(f, cap_buf, _IOFBF, CAPTURE_BUF)) {
		cap_file = f;
		return;
	}
	free(cap_buf);
	cap_buf = NULL;
}

FILE *et_capture_open(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;

	if (!f)
		et_err("cannot open capture file '%s': %s", path,
		       strerror(errno));
	else
		capture_buffer(f);
	return f;
}

void et_capture_close(FILE *f)
{
	if (!f || f == stdin)
		return;
	fclose(f);
	if (f == cap_file) {
		free(cap_buf);
		cap_buf = NULL;
		cap_file = NULL;
	}
}

enum export_format { FMT_RAW, FMT_JSONL, FMT_ARMOR, FMT_SEALED };

struct export_state {
	enum export_format fmt;
	uint64_t since;
	uint64_t to;		/* the range's last seq */
	uint64_t first;		/* armor: the range's declared first, or 0 */
	uint64_t last;		/* the last seq written */
	uint64_t records, bytes;
	int bad;
	int major;		/* a record of a newer format stopped it */
	struct et_armor ar;
	struct et_progress pg;
#ifdef CONFIG_UPLINK_SEAL
	struct et_sealed_out *so;
#endif
};

static int export_one(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct export_state *x = arg;
	struct et_record r = { .seq = seq };
	enum et_decode_status st;

	if (seq > x->to)
		return 1;
	st = et_record_decode(rec, len, &r);
	if (st) {
		et_err("record %" PRIu64 ": %s", seq, et_decode_strerror(st));
		x->bad++;
		x->major = st == ET_DEC_MAJOR;
		return x->major;
	}
	/* armor: once started, every record, so that the range has no holes */
	if (r.ts < x->since && !x->ar.open)
		return 0;
	x->last = seq;
	x->records++;
	x->bytes += len;
	et_progress(&x->pg, x->records, x->bytes);
	switch (x->fmt) {
	case FMT_JSONL:
		et_print_json(stdout, &r);
		return 0;
	case FMT_ARMOR:
		if (!x->ar.open && et_armor_begin(&x->ar, x->first ? x->first :
						  seq, x->to))
			return -1;
		return et_armor_record(&x->ar, seq, rec, len) ? -1 : 0;
#ifdef CONFIG_UPLINK_SEAL
	case FMT_SEALED:
		return et_sealed_out_add(x->so, seq, rec, len, stdout) ? -1 : 0;
#endif
	default:
		return et_capture_write(stdout, seq, rec, len) ? -1 : 0;
	}
}

/*
 * The records from @first (0: the oldest) to @last. An armored range
 * whose first seq is @exact starts its BEGIN line there even when the
 * spool no longer has it: the records it lacks are then declared gone.
 */
static int export_range(struct et_spool *sp, struct export_state *x,
			uint64_t first, uint64_t last, int exact)
{
	int rc;

	x->to = last;
	x->first = exact ? first : 0;
	rc = et_spool_foreach(sp, first, export_one, x);
	if (rc < 0)
		return -1;
	if (x->fmt != FMT_ARMOR || x->major)
		return 0;
	if (!x->ar.open && exact && first <= last &&
	    et_armor_begin(&x->ar, first, last))
		return -1;
	return x->ar.open ? et_armor_end(&x->ar) : 0;
}

struct export_args {
	const char *spool, *since, *format, *seqs, *cursor;
	const char *fleet_pub, *device_key, *device_id;
	uint64_t from, to, batch_records;
};

/* --from-seq and --to-seq: a sequence number. */
static int parse_seq(const char *opt, const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	if (*end || end == s || *s == '-' || errno)
		return -et_usage_error("export", "%s '%s' is not a sequence "
				       "number", opt, s);
	return 0;
}

#ifdef CONFIG_UPLINK_SEAL
/* The keys go with the sealed format, and it needs them. */
static int check_sealed_args(struct export_args *ea)
{
	const char *opt = ea->fleet_pub ? "--fleet-pub" :
			  ea->device_key ? "--device-key" :
			  ea->device_id ? "--device-id" :
			  ea->batch_records ? "--batch-records" : NULL;

	if (strcmp(ea->format, "sealed")) {
		if (opt)
			return -et_usage_error("export", "%s is for --format "
					       "sealed", opt);
		return 0;
	}
	if (!ea->fleet_pub || !ea->device_key)
		return -et_usage_error("export", "--format sealed needs "
				       "--fleet-pub (the fleet's public key) "
				       "and --device-key (this device's "
				       "private key)");
	if (ea->device_id && !et_seal_device_id_ok(ea->device_id))
		return -et_usage_error("export", "--device-id '%s' is not 1 to "
				       "%d of A-Z a-z 0-9 . _ : @ -",
				       ea->device_id, ET_SEAL_DEVICE_ID_MAX);
	if (!ea->batch_records)
		ea->batch_records = ET_SEALED_EXPORT_RECORDS;
	return 0;
}
#else
static int check_sealed_args(struct export_args *ea)
{
	if (!strcmp(ea->format, "sealed"))
		return -et_usage_error("export", "this edgetrace is built "
				       "without sealed batches "
				       "(CONFIG_UPLINK_SEAL): give raw, jsonl "
				       "or armor");
	return 0;
}
#endif

/* --batch-records: 1 to 1000000. */
static int parse_count(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return *end || end == s || *s == '-' || errno || !*v || *v > 1000000;
}

static int check_export_args(struct export_args *ea)
{
	if (ea->seqs && (ea->since || ea->from || ea->to))
		return -et_usage_error("export", "give --seqs, or --since, "
				       "--from-seq and --to-seq, not both");
	if (ea->cursor && (ea->since || ea->from || ea->seqs))
		return -et_usage_error("export", "--cursor says where to "
				       "start: not with --since, --from-seq "
				       "or --seqs");
	if (ea->to && ea->from > ea->to)
		return -et_usage_error("export", "--to-seq %" PRIu64 " is "
				       "before --from-seq %" PRIu64, ea->to,
				       ea->from);
	if (strcmp(ea->format, "raw") && strcmp(ea->format, "jsonl") &&
	    strcmp(ea->format, "armor") && strcmp(ea->format, "sealed"))
		return -et_usage_error("export", "unknown format '%s': give "
				       FORMATS, ea->format);
	if (check_sealed_args(ea))
		return -ET_EXIT_USAGE;
	if ((!strcmp(ea->format, "raw") || !strcmp(ea->format, "sealed")) &&
	    isatty(STDOUT_FILENO))
		return -et_usage_error("export", "%s output is binary: "
				       "redirect it to a file or a pipe",
				       ea->format);
	return 0;
}

static int parse_export_args(int argc, char **argv, struct export_args *ea)
{
	static const struct option opts[] = {
		{ "spool", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "from-seq", required_argument, NULL, 'f' },
		{ "to-seq", required_argument, NULL, 't' },
		{ "seqs", required_argument, NULL, 'q' },
		{ "cursor", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'F' },
#ifdef CONFIG_UPLINK_SEAL
		{ "fleet-pub", required_argument, NULL, 'P' },
		{ "device-key", required_argument, NULL, 'K' },
		{ "device-id", required_argument, NULL, 'I' },
		{ "batch-records", required_argument, NULL, 'B' },
#endif
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's': ea->spool = optarg; break;
		case 'S': ea->since = optarg; break;
		case 'F': ea->format = optarg; break;
		case 'q': ea->seqs = optarg; break;
		case 'c': ea->cursor = optarg; break;
		case 'P': ea->fleet_pub = optarg; break;
		case 'K': ea->device_key = optarg; break;
		case 'I': ea->device_id = optarg; break;
		case 'B':
			if (parse_count(optarg, &ea->batch_records))
				return -et_usage_error("export", "--batch-records "
						       "'%s' is not a number "
						       "from 1 to 1000000",
						       optarg);
			break;
		case 'f':
			if ((rc = parse_seq("--from-seq", optarg, &ea->from)))
				return rc;
			break;
		case 't':
			if ((rc = parse_seq("--to-seq", optarg, &ea->to)))
				return rc;
			break;
		case 'h': fputs(export_usage, stdout); return 1;
		default:
			return -et_getopt_error("export", c, argv);
		}
	}
	if (optind < argc)
		return -et_stray_arg("export", argv[optind]);
	return check_export_args(ea);
}

/* What to export: the list of --seqs, or one range. */
static int export_ranges(const struct export_args *ea, struct et_seq_range **v,
			 size_t *n)
{
	if (ea->seqs) {
		if (et_parse_seqs(ea->seqs, v, n))
			return -et_usage_error("export", "--seqs '%s' is not a "
					       "list of sequence numbers like "
					       "17,200-203", ea->seqs);
		return 0;
	}
	*v = malloc(sizeof(**v));
	if (!*v) {
		et_err("out of memory");
		return -ET_EXIT_ERROR;
	}
	(*v)->first = ea->from;
	(*v)->last = ea->to ? ea->to : UINT64_MAX;
	*n = 1;
	return 0;
}

/*
 * An armored export declares its ranges before their records, so it ends
 * at the newest record when it starts; what is beyond is not sent.
 */
static int clamp_ranges(struct et_spool *sp, struct et_seq_range *v,
			size_t *n, int listed)
{
	struct et_spool_stats st;
	size_t i, j = 0;

	if (et_spool_stats(sp, &st))
		return -1;
	for (i = 0; i < *n; i++) {
		if (v[i].last > st.last_seq) {
			if (listed)
				et_err("warning: seqs %" PRIu64 "-%" PRIu64
				       " are not in the spool yet (its newest "
				       "is %" PRIu64 "): not sent",
				       v[i].first > st.last_seq ? v[i].first :
				       st.last_seq + 1, v[i].last, st.last_seq);
			v[i].last = st.last_seq;
		}
		if (v[i].first <= v[i].last)
			v[j++] = v[i];
	}
	*n = j;
	return 0;
}

static int export_all(struct et_spool *sp, struct export_state *x,
		      struct export_args *ea, struct et_seq_range *v, size_t n)
{
	int exact = ea->seqs || (ea->from && !x->since);
	size_t i;

	if (x->since && !ea->from && et_seek_since(sp, x->since, &v[0].first))
		return -1;
	if (x->fmt == FMT_ARMOR && clamp_ranges(sp, v, &n, !!ea->seqs))
		return -1;
	if (x->fmt == FMT_RAW && et_capture_write_header(stdout))
		return -1;
	for (i = 0; i < n && !x->major; i++)
		if (export_range(sp, x, v[i].first, v[i].last, exact))
			return -1;
#ifdef CONFIG_UPLINK_SEAL
	if (x->fmt == FMT_SEALED && et_sealed_out_flush(x->so, stdout))
		return -1;
#endif
	/* an armored export that had nothing to send says so */
	if (x->fmt == FMT_ARMOR && !x->ar.sections && !x->major)
		return et_armor_empty(stdout);
	return 0;
}

/*
 * Open the spool: read-only, or with --cursor read-write (to move the
 * cursor), but only once a read-only open has shown it is a spool, so
 * that a wrong --spool is never created.
 */
static struct et_spool *open_spool(const struct export_args *ea)
{
	struct et_spool_opts so;
	struct et_spool *sp;
	char err[512];

	et_spool_defaults(&so);
	so.readonly = 1;
	sp = et_spool_open(ea->spool, &so, err, sizeof(err));
	if (sp && ea->cursor) {
		et_spool_close(sp);
		so.readonly = 0;
		sp = et_spool_open(ea->spool, &so, err, sizeof(err));
	}
	if (!sp)
		et_err("%s", err);
	return sp;
}

/* --cursor: start at it; 0 if never set (the oldest record). */
static int cursor_start(struct et_spool *sp, const struct export_args *ea,
			struct et_seq_range *v)
{
	if (!ea->cursor)
		return 0;
	if (et_spool_cursor_get(sp, ea->cursor, &v[0].first)) {
		et_err("%s", et_spool_error(sp));
		return -1;
	}
	return 0;
}

/* After a complete export: the cursor moves past what was written. */
static int cursor_advance(struct et_spool *sp, const struct export_args *ea,
			  const struct export_state *x)
{
	if (!ea->cursor || !x->last)
		return 0;
	if (et_spool_cursor_set(sp, ea->cursor, x->last + 1)) {
		et_err("%s", et_spool_error(sp));
		return -1;
	}
	fprintf(stderr, "edgetrace: cursor '%s' now at seq %" PRIu64 "\n",
		ea->cursor, x->last + 1);
	return 0;
}

#ifdef CONFIG_UPLINK_SEAL
static int open_sealed(struct export_state *x, const struct export_args *ea)
{
	if (x->fmt != FMT_SEALED)
		return 0;
	x->so = et_sealed_out_new(ea->fleet_pub, ea->device_key,
				  ea->device_id, (uint32_t)ea->batch_records);
	return x->so ? 0 : -1;
}

static void close_sealed(struct export_state *x, int done)
{
	if (!x->so)
		return;
	if (done)
		et_sealed_out_report(x->so);
	et_sealed_out_free(x->so);
	x->so = NULL;
}
#else
static int open_sealed(struct export_state *x, const struct export_args *ea)
{
	(void)x;
	(void)ea;
	return 0;
}

static void close_sealed(struct export_state *x, int done)
{
	(void)x;
	(void)done;
}
#endif

int et_cmd_export(int argc, char **argv)
{
	struct export_args ea = { .spool = ET_DEFAULT_SPOOL, .format = "raw" };
	struct export_state x = { .ar.f = stdout };
	struct et_seq_range *v = NULL;
	struct et_spool *sp;
	size_t n = 0;
	int rc;

	rc = parse_export_args(argc, argv, &ea);
	if (rc)
		return rc > 0 ? ET_EXIT_OK : -rc;
	if (ea.since && (rc = et_parse_when("export", "--since", ea.since,
					    &x.since)))
		return -rc;
	if ((rc = export_ranges(&ea, &v, &n)))
		return -rc;
	x.fmt = !strcmp(ea.format, "jsonl") ? FMT_JSONL :
		!strcmp(ea.format, "armor") ? FMT_ARMOR :
		!strcmp(ea.format, "sealed") ? FMT_SEALED : FMT_RAW;
	/* the keys first: nothing is opened or written when they are wrong */
	if (open_sealed(&x, &ea)) {
		free(v);
		return ET_EXIT_ERROR;
	}
	sp = open_spool(&ea);
	if (!sp || cursor_start(sp, &ea, v)) {
		et_spool_close(sp);
		close_sealed(&x, 0);
		free(v);
		return ET_EXIT_ERROR;
	}
	et_progress_start(&x.pg, "exporting");
	rc = export_all(sp, &x, &ea, v, n);
	et_progress_end(&x.pg);
	if (rc < 0)
		et_err("%s", et_spool_error(sp)[0] ? et_spool_error(sp) :
		       "cannot write the export");
	free(v);
	/* the cursor moves only once every byte is out */
	if (fflush(stdout) || ferror(stdout)) {
		et_err("cannot write the export: %m");
		et_spool_close(sp);
		return ET_EXIT_ERROR;
	}
	if (rc >= 0 && !x.bad && cursor_advance(sp, &ea, &x))
		rc = -1;
	et_spool_close(sp);
	close_sealed(&x, rc >= 0);
	if (x.last && ea.seqs)
		fprintf(stderr, "edgetrace: exported %" PRIu64 " records\n",
			x.records);
	else if (x.last)
		fprintf(stderr, "edgetrace: exported up to seq %" PRIu64
			"; resume with --from-seq %" PRIu64 "\n", x.last,
			x.last + 1);
	return rc < 0 || x.bad ? ET_EXIT_ERROR : ET_EXIT_OK;
}
