// SPDX-License-Identifier: GPL-2.0
/*
 * armor.c - `export --format armor` and `edgetrace import`: the spool as
 * checksummed text lines, for a pull over a serial console.
 *
 * Every line is "ET1 " BODY " " CRC, CRC being zlib's CRC-32 of what
 * precedes it from the "E" on, in 8 lowercase hex digits; a record line's
 * body is its seq and its bytes in base64 (mbedtls). A range of seqs is
 * framed by a BEGIN line declaring it and an END line; the seqs in it
 * that the spool no longer has are declared in GONE lines. So a receiver
 * knows each line is whole, and which seqs should have come: the missing
 * ones are those of a declared range that came neither as a record nor
 * as gone. docs/record-format.md, "Armored export", has the grammar.
 *
 * import reads any number of such streams (an export and the ones that
 * fill its holes), skips whatever is not a good line (a shell prompt,
 * kernel messages, lines damaged on the way), keeps each seq once and
 * writes a capture file in seq order: to a temporary file beside the
 * output, renamed over it at the end, so it is never half written. The
 * records are held in memory until then: import runs on the workstation.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <zlib.h>

#include "core.h"

#define TAG		"ET1 "
#define TAG_LEN		4
#define CRC_LEN		8
#define SEQ_MAX		INT64_MAX	/* seqs are at most 19 digits */
#define B64_MAX		(4 * ((ET_REC_MAX_SIZE + 2) / 3))
/* the longest line: tag, seq, base64 of the largest record, crc */
#define LINE_MAX_LEN	(TAG_LEN + 19 + 1 + B64_MAX + 1 + CRC_LEN)
#define LINE_BUF	(LINE_MAX_LEN + 16)
#define PROGRESS_NS	250000000ull	/* at most 4 updates a second */
#define HINT_MAX	1000	/* longest --seqs list to suggest typing */

static const char import_usage[] =
"usage: edgetrace import [-o FILE [--append | --force]] [INPUT...]\n"
"\n"
"Turn armored text (what 'edgetrace export --format armor' wrote, as\n"
"captured from a serial console) back into a capture file, for query\n"
"--file and run --replay. Lines that fail their checksum and lines that\n"
"are not armored (a shell prompt, kernel messages) are skipped; each\n"
"record is kept once, in sequence order. The sequence numbers that did\n"
"not arrive are listed on stderr, with the export command that sends\n"
"them again; import its output together with the first (both as INPUTs,\n"
"or with --append) to fill the holes.\n"
"\n"
"  -o, --output FILE  write the capture to FILE (default: standard output,\n"
"                     if it is not a terminal); FILE is replaced only once\n"
"                     the whole capture is written\n"
"  --append           merge the records already in FILE (if it exists)\n"
"                     with the imported ones\n"
"  --force            replace FILE if it exists\n"
"  -h, --help         show this help\n"
"\n"
"INPUTs are read in turn; - or none: standard input.\n"
"\n"
"Exit status: 0 nothing is missing; 3 records are missing (listed on\n"
"stderr; the capture has all the others); 1 an error (FILE is then left\n"
"as it was); 2 a bad command line.\n";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ------------------------------------------------------------ progress */

static int same_terminal(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && S_ISCHR(sa.st_mode) &&
	       S_ISCHR(sb.st_mode) && sa.st_rdev == sb.st_rdev;
}

void et_progress_start(struct et_progress *p, const char *verb)
{
	memset(p, 0, sizeof(*p));
	p->verb = verb;
	p->on = isatty(STDERR_FILENO) &&
		!same_terminal(STDOUT_FILENO, STDERR_FILENO);
	p->next_ns = now_ns() + PROGRESS_NS;
}

void et_progress(struct et_progress *p, uint64_t records, uint64_t bytes)
{
	uint64_t t;

	if (!p->on || (t = now_ns()) < p->next_ns)
		return;
	p->next_ns = t + PROGRESS_NS;
	p->shown = 1;
	fprintf(stderr, "\r%s: %" PRIu64 " records, %.1f MiB\033[K", p->verb,
		records, bytes / 1048576.0);
}

void et_progress_end(struct et_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
}

/* -------------------------------------------------------------- export */

/* Append the CRC of the @len bytes at @line, and a newline; write it. */
static int put_line(FILE *f, char *line, size_t len)
{
	len += sprintf(line + len, "%08lx\n",
		       (unsigned long)crc32(0, (const Bytef *)line, len));
	return fwrite(line, 1, len, f) == len ? 0 : -1;
}

/* A BEGIN, END or GONE line: @fmt ends with the space before the CRC. */
static int __attribute__((format(printf, 2, 3)))
put_control(FILE *f, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - CRC_LEN - 2, fmt, ap);
	va_end(ap);
	return put_line(f, line, n);
}

int et_armor_begin(struct et_armor *a, uint64_t first, uint64_t last)
{
	a->first = first;
	a->last = last;
	a->next = first;
	a->count = 0;
	a->open = 1;
	a->sections++;
	return put_control(a->f, TAG "BEGIN %" PRIu64 " %" PRIu64 " ", first,
			   last);
}

/* The seqs from the next one to @upto are not in the spool. */
static int armor_gone(struct et_armor *a, uint64_t upto)
{
	uint64_t from = a->next;

	if (upto < from)
		return 0;
	a->next = upto + 1;
	return put_control(a->f, TAG "GONE %" PRIu64 " %" PRIu64 " ", from,
			   upto);
}

int et_armor_record(struct et_armor *a, uint64_t seq, const uint8_t *rec,
		    size_t len)
{
	char line[LINE_BUF];
	size_t n, b64;

	if (len > ET_REC_MAX_SIZE || seq < a->next ||
	    (seq > a->next && armor_gone(a, seq - 1)))
		return -1;
	n = sprintf(line, TAG "%" PRIu64 " ", seq);
	if (mbedtls_base64_encode((unsigned char *)line + n,
				  sizeof(line) - n - CRC_LEN - 2, &b64, rec,
				  len))
		return -1;
	n += b64;
	line[n++] = ' ';
	a->next = seq + 1;
	a->count++;
	return put_line(a->f, line, n);
}

int et_armor_end(struct et_armor *a)
{
	a->open = 0;
	if (armor_gone(a, a->last))
		return -1;
	return put_control(a->f, TAG "END %" PRIu64 " %" PRIu64 " %" PRIu64
			   " ", a->first, a->last, a->count);
}

int et_armor_empty(FILE *f)
{
	if (put_control(f, TAG "BEGIN 0 0 "))
		return -1;
	return put_control(f, TAG "END 0 0 0 ");
}

/* ------------------------------------------------------- lists of seqs */

struct seqs {
	struct et_seq_range *v;
	size_t n, cap;
};

static int seqs_add(struct seqs *s, uint64_t first, uint64_t last)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		void *v = realloc(s->v, cap * sizeof(*s->v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].first = first;
	s->v[s->n++].last = last;
	return 0;
}

static int range_cmp(const void *x, const void *y)
{
	const struct et_seq_range *a = x, *b = y;

	return a->first < b->first ? -1 : a->first > b->first;
}

/* Sort, and merge the ranges that overlap or touch. */
static void seqs_normalize(struct seqs *s)
{
	size_t i, j = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), range_cmp);
	for (i = 1; i < s->n; i++) {
		if (s->v[i].first <= s->v[j].last + 1) {
			if (s->v[i].last > s->v[j].last)
				s->v[j].last = s->v[i].last;
		} else {
			s->v[++j] = s->v[i];
		}
	}
	s->n = j + 1;
}

static uint64_t seqs_count(const struct seqs *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->v[i].last - s->v[i].first + 1;
	return n;
}

/* @out = @a without @b; both normalized. */
static int seqs_subtract(const struct seqs *a, const struct seqs *b,
			 struct seqs *out)
{
	size_t i, j = 0, k;

	for (i = 0; i < a->n; i++) {
		uint64_t cur = a->v[i].first, end = a->v[i].last;
		int done = 0;

		while (j < b->n && b->v[j].last < cur)
			j++;
		for (k = j; k < b->n && b->v[k].first <= end; k++) {
			if (b->v[k].first > cur &&
			    seqs_add(out, cur, b->v[k].first - 1))
				return -1;
			if (b->v[k].last >= end) {
				done = 1;
				break;
			}
			cur = b->v[k].last + 1;
		}
		if (!done && seqs_add(out, cur, end))
			return -1;
	}
	return 0;
}

/* "17,200-203": the syntax of --seqs. malloc'ed, NULL if out of memory. */
static char *seqs_text(const struct seqs *s)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		fprintf(f, "%s%" PRIu64, i ? "," : "", s->v[i].first);
		if (s->v[i].last > s->v[i].first)
			fprintf(f, "-%" PRIu64, s->v[i].last);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A decimal of 1 to 19 digits at *p, up to @end, ending at @stop or @end. */
static int take_num(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int n = 0;

	while (s < end && *s >= '0' && *s <= '9' && n < 19) {
		x = x * 10 + (*s++ - '0');
		n++;
	}
	if (!n || (s < end && *s >= '0' && *s <= '9'))
		return -1;
	*p = s;
	*v = x;
	return 0;
}

/* @c at *p, and step over it. */
static int take_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -1;
	(*p)++;
	return 0;
}

int et_parse_seqs(const char *s, struct et_seq_range **v, size_t *n)
{
	const char *end = s + strlen(s);
	struct seqs l = { 0 };
	uint64_t a, b;

	do {
		if (take_num(&s, end, &a))
			goto bad;
		b = a;
		if (!take_char(&s, end, '-') && take_num(&s, end, &b))
			goto bad;
		if (!a || a > b || b > SEQ_MAX || seqs_add(&l, a, b))
			goto bad;
	} while (!take_char(&s, end, ','));
	if (s != end)
		goto bad;
	seqs_normalize(&l);
	*v = l.v;
	*n = l.n;
	return 0;
bad:
	free(l.v);
	return -1;
}

/* --------------------------------------------------------- line parser */

enum frame_kind { FR_RECORD, FR_BEGIN, FR_END, FR_GONE };

struct frame {
	enum frame_kind kind;
	uint64_t a, b, count;	/* a record's seq is a */
	size_t len;
	uint8_t rec[ET_REC_MAX_SIZE];
};

/* A declared range: 1 <= first <= last, or 0 0 for nothing. */
static int range_ok(uint64_t a, uint64_t b)
{
	return (!a && !b) || (a && a <= b && b <= SEQ_MAX);
}

static int parse_control(const char *p, const char *end, struct frame *fr)
{
	if (take_num(&p, end, &fr->a) || take_char(&p, end, ' ') ||
	    take_num(&p, end, &fr->b) || !range_ok(fr->a, fr->b))
		return -1;
	if (fr->kind == FR_END && (take_char(&p, end, ' ') ||
				   take_num(&p, end, &fr->count) ||
				   (fr->a && fr->count > fr->b - fr->a + 1) ||
				   (!fr->a && fr->count)))
		return -1;
	if (fr->kind == FR_GONE && !fr->a)
		return -1;
	return p == end ? 0 : -1;
}

static int parse_record(const char *p, const char *end, struct frame *fr)
{
	size_t n;

	fr->kind = FR_RECORD;
	if (take_num(&p, end, &fr->a) || !fr->a || fr->a > SEQ_MAX ||
	    take_char(&p, end, ' '))
		return -1;
	n = end - p;
	if (!n || n % 4 || n > B64_MAX || memchr(p, ' ', n))
		return -1;
	if (mbedtls_base64_decode(fr->rec, sizeof(fr->rec), &fr->len,
				  (const unsigned char *)p, n))
		return -1;
	return fr->len >= ET_REC_HDR_SIZE ? 0 : -1;
}

/* The line from @p ("ET1 ") to @end, if its CRC holds. */
static int parse_frame(const char *p, const char *end, struct frame *fr)
{
	static const char *const words[] = { "BEGIN ", "END ", "GONE " };
	static const enum frame_kind kinds[] = { FR_BEGIN, FR_END, FR_GONE };
	const char *crc, *body = p + TAG_LEN;
	uint32_t want = 0;
	size_t blen;

	if (end - p < TAG_LEN + 2 + CRC_LEN)
		return -1;
	crc = end - CRC_LEN;
	blen = crc - 1 - body;		/* the body, without the space */
	if (crc[-1] != ' ')
		return -1;
	for (int i = 0; i < CRC_LEN; i++) {
		char c = crc[i];

		if (c >= '0' && c <= '9')
			want = want << 4 | (c - '0');
		else if (c >= 'a' && c <= 'f')
			want = want << 4 | (c - 'a' + 10);
		else
			return -1;
	}
	if (crc32(0, (const Bytef *)p, crc - p) != want)
		return -1;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(words[i]);

		if (blen > n && !memcmp(body, words[i], n)) {
			fr->kind = kinds[i];
			return parse_control(body + n, crc - 1, fr);
		}
	}
	return parse_record(body, crc - 1, fr);
}

/*
 * The armored line in @line, if any: anything before its tag (a shell
 * prompt, the rest of a progress line) and white space after it are
 * ignored.
 */
static int find_frame(const char *line, size_t len, struct frame *fr)
{
	const char *end = line + len, *p = line;

	while (end > line && (end[-1] == '\r' || end[-1] == ' ' ||
			      end[-1] == '\t'))
		end--;
	while ((p = memmem(p, end - p, TAG, TAG_LEN))) {
		if (!parse_frame(p, end, fr))
			return 0;
		p++;
	}
	return -1;
}

/* An "ETn " tag of a later armor version, for the error message. */
static int newer_tag(const char *line, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if (line[i] == 'E' && line[i + 1] == 'T' &&
		    line[i + 2] >= '2' && line[i + 2] <= '9' &&
		    line[i + 3] == ' ')
			return 1;
	return 0;
}

/* -------------------------------------------------------------- import */

struct imp_rec {
	uint64_t seq;
	uint64_t off;		/* in the arena: also the order of arrival */
	uint32_t len;
	uint32_t src;		/* index in names */
};

/* The lines since the last BEGIN or END of one input. */
struct section {
	int begun;
	uint64_t a, b;		/* as its BEGIN line declared */
	uint64_t lo, hi, n;	/* seqs seen, as records or gone */
};

struct import {
	const char *out;
	int append, force;
	const char **names;	/* [0] the output, then the inputs */
	int ninputs;
	uint8_t *arena;
	size_t used, size;
	struct imp_rec *recs;
	size_t nrecs, cap;
	struct seqs cover;	/* the seqs that were to come */
	struct seqs gone;	/* declared not in the spool */
	struct seqs have;	/* received */
	struct seqs missing, lost;
	uint64_t damaged, other, dups, bytes;
	struct section sec;
	struct et_progress pg;
	char line[LINE_BUF];
	struct frame fr;
};

static int oom(void)
{
	et_err("out of memory");
	return -1;
}

static int add_record(struct import *im, uint64_t seq, const uint8_t *rec,
		      size_t len, uint32_t src)
{
	struct imp_rec *r;

	while (im->used + len > im->size) {
		size_t size = im->size ? 2 * im->size : 1 << 20;
		void *p = realloc(im->arena, size);

		if (!p)
			return oom();
		im->arena = p;
		im->size = size;
	}
	if (im->nrecs == im->cap) {
		size_t cap = im->cap ? 2 * im->cap : 4096;
		void *p = realloc(im->recs, cap * sizeof(*im->recs));

		if (!p)
			return oom();
		im->recs = p;
		im->cap = cap;
	}
	r = &im->recs[im->nrecs++];
	r->seq = seq;
	r->off = im->used;
	r->len = len;
	r->src = src;
	memcpy(im->arena + im->used, rec, len);
	im->used += len;
	return 0;
}

static void section_saw(struct section *s, uint64_t a, uint64_t b)
{
	if (!s->n || a < s->lo)
		s->lo = a;
	if (!s->n || b > s->hi)
		s->hi = b;
	s->n++;
}

/*
 * The seqs a section was to bring: the range of its BEGIN line (END's is
 * added as it comes) and, should both be lost, those it brought.
 */
static int close_section(struct import *im, const char *name, int ended)
{
	struct section *s = &im->sec;
	int rc = 0;

	if (s->begun && s->a)
		rc |= seqs_add(&im->cover, s->a, s->b);
	if (s->n)
		rc |= seqs_add(&im->cover, s->lo, s->hi);
	if (s->n && !s->begun && !ended)
		et_err("warning: %s: the BEGIN and END lines around seqs %"
		       PRIu64 "-%" PRIu64 " were both lost: records sent "
		       "before or after these cannot be counted as missing",
		       name, s->lo, s->hi);
	memset(s, 0, sizeof(*s));
	return rc ? oom() : 0;
}

static int take_frame(struct import *im, const char *name, uint32_t src)
{
	struct frame *fr = &im->fr;
	struct section *s = &im->sec;

	switch (fr->kind) {
	case FR_BEGIN:
		if (close_section(im, name, 0))
			return -1;
		s->begun = 1;
		s->a = fr->a;
		s->b = fr->b;
		return 0;
	case FR_END:
		if (fr->a && seqs_add(&im->cover, fr->a, fr->b))
			return oom();
		return close_section(im, name, 1);
	case FR_GONE:
		section_saw(s, fr->a, fr->b);
		return seqs_add(&im->gone, fr->a, fr->b) ? oom() : 0;
	default:
		section_saw(s, fr->a, fr->a);
		return add_record(im, fr->a, fr->rec, fr->len, src);
	}
}

/*
 * One line of @f into @buf, at most LINE_BUF bytes of it (*len; the rest
 * is skipped and *cut set). 0 at the end of the file.
 */
static int read_line(FILE *f, char *buf, size_t *len, int *cut)
{
	size_t n = 0;
	int c;

	*cut = 0;
	while ((c = getc(f)) != EOF && c != '\n') {
		if (n < LINE_BUF)
			buf[n++] = c;
		else
			*cut = 1;
	}
	*len = n;
	return c != EOF || n || *cut;
}

/* How an input ended: a stream cut short is what a serial pull risks. */
static int end_input(struct import *im, const char *name, uint64_t lines,
		     uint64_t frames, int newer)
{
	if (!lines) {
		et_err("%s is empty: give the text that 'edgetrace export "
		       "--format armor' wrote", name);
		return -1;
	}
	if (!frames && newer) {
		et_err("%s was armored by a newer edgetrace (its lines do not "
		       "start with \"ET1 \"): import it with a newer edgetrace",
		       name);
		return -1;
	}
	if (!frames) {
		et_err("%s: none of its %" PRIu64 " lines is an armored line "
		       "with a good checksum: give the text that 'edgetrace "
		       "export --format armor' wrote", name, lines);
		return -1;
	}
	if (im->sec.begun && im->sec.n)
		et_err("%s: no END line after seq %" PRIu64 ": the stream was "
		       "cut short (or its END line was lost)", name,
		       im->sec.hi);
	else if (im->sec.begun && im->sec.a)
		et_err("%s: no END line after the BEGIN line of seqs %" PRIu64
		       "-%" PRIu64 ": the stream was cut short", name,
		       im->sec.a, im->sec.b);
	return close_section(im, name, 0);
}

static int read_input(struct import *im, FILE *f, const char *name,
		      uint32_t src)
{
	uint64_t lines = 0, frames = 0;
	size_t len;
	int cut, newer = 0;

	memset(&im->sec, 0, sizeof(im->sec));
	while (read_line(f, im->line, &len, &cut)) {
		lines++;
		im->bytes += len + 1;
		if (!cut && !find_frame(im->line, len, &im->fr)) {
			frames++;
			if (take_frame(im, name, src))
				return -1;
		} else if (memmem(im->line, len, TAG, TAG_LEN)) {
			im->damaged++;
		} else {
			im->other++;
			newer |= newer_tag(im->line, len);
		}
		et_progress(&im->pg, im->nrecs, im->bytes);
	}
	if (ferror(f)) {
		et_err("cannot read %s: %s", name, strerror(errno));
		return -1;
	}
	return end_input(im, name, lines, frames, newer);
}

/* An input's name in messages. */
static const char *input_name(const char *path)
{
	return strcmp(path, "-") ? path : "standard input";
}

static int read_inputs(struct import *im)
{
	for (int i = 1; i <= im->ninputs; i++) {
		const char *path = im->names[i];
		int in = !strcmp(path, "-");
		FILE *f = in ? stdin : fopen(path, "r");
		int rc;

		if (!f) {
			et_err("cannot open '%s': %s", path, strerror(errno));
			return -1;
		}
		rc = read_input(im, f, input_name(path), i);
		if (!in)
			fclose(f);
		if (rc)
			return -1;
	}
	return 0;
}

static int merge_one(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct import *im = arg;

	section_saw(&im->sec, seq, seq);
	return add_record(im, seq, rec, len, 0);
}

/*
 * --append: the records of the capture already there. It does not say
 * which seqs were to come: from its first record to its last.
 */
static int read_existing(struct import *im)
{
	FILE *f = fopen(im->out, "rb");
	char err[256] = "";
	int rc;

	if (!f && errno == ENOENT)
		return 0;
	if (!f) {
		et_err("cannot open '%s': %s", im->out, strerror(errno));
		return -1;
	}
	memset(&im->sec, 0, sizeof(im->sec));
	rc = et_capture_read(f, merge_one, im, err, sizeof(err));
	fclose(f);
	if (rc < 0 && err[0])
		et_err("cannot --append to '%s': %s", im->out, err);
	if (rc)
		return -1;
	return close_section(im, im->out, 1);
}

static int rec_cmp(const void *x, const void *y)
{
	const struct imp_rec *a = x, *b = y;

	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return a->off < b->off ? -1 : a->off > b->off;
}

/* Sort by seq and keep the first copy of each; copies must be equal. */
static int dedupe(struct import *im)
{
	size_t i, j = 0;

	if (!im->nrecs)
		return 0;
	qsort(im->recs, im->nrecs, sizeof(*im->recs), rec_cmp);
	for (i = 1; i < im->nrecs; i++) {
		struct imp_rec *k = &im->recs[j], *r = &im->recs[i];

		if (r->seq != k->seq) {
			im->recs[++j] = *r;
			continue;
		}
		if (r->len != k->len || memcmp(im->arena + r->off,
					       im->arena + k->off, r->len)) {
			et_err("seq %" PRIu64 " differs between %s and %s: "
			       "they are not from the same spool; import them "
			       "separately", r->seq,
			       input_name(im->names[k->src]),
			       input_name(im->names[r->src]));
			return -1;
		}
		im->dups++;
	}
	im->nrecs = j + 1;
	return 0;
}

/* What came, what was to come, and the difference. */
static int reckon(struct import *im)
{
	struct seqs recv = { 0 };
	int rc = 0;

	for (size_t i = 0; i < im->nrecs && !rc; i++)
		rc = seqs_add(&recv, im->recs[i].seq, im->recs[i].seq);
	seqs_normalize(&recv);
	seqs_normalize(&im->gone);
	seqs_normalize(&im->cover);
	for (size_t i = 0; i < recv.n && !rc; i++)
		rc = seqs_add(&im->have, recv.v[i].first, recv.v[i].last);
	for (size_t i = 0; i < im->gone.n && !rc; i++)
		rc = seqs_add(&im->have, im->gone.v[i].first,
			      im->gone.v[i].last);
	seqs_normalize(&im->have);
	if (!rc)
		rc = seqs_subtract(&im->cover, &im->have, &im->missing);
	if (!rc)
		rc = seqs_subtract(&im->gone, &recv, &im->lost);
	free(recv.v);
	return rc ? oom() : 0;
}

static int write_records(struct import *im, FILE *f)
{
	if (et_capture_write_header(f))
		return -1;
	for (size_t i = 0; i < im->nrecs; i++) {
		const struct imp_rec *r = &im->recs[i];

		if (et_capture_write(f, r->seq, im->arena + r->off, r->len))
			return -1;
	}
	return 0;
}

/* The new file's mode: the old one's with --append, else as umask says. */
static mode_t out_mode(const char *path)
{
	struct stat st;
	mode_t mask = umask(0);

	umask(mask);
	if (!stat(path, &st))
		return st.st_mode & 07777;
	return 0666 & ~mask;
}

/* The capture into @f, flushed to the disk; closes @f. */
static int write_file(struct import *im, FILE *f)
{
	int rc = write_records(im, f) || fflush(f) || fsync(fileno(f));

	if (fclose(f))
		rc = 1;
	return rc ? -1 : 0;
}

/* Into a temporary file beside @im->out, renamed over it once complete. */
static int write_output(struct import *im)
{
	size_t n = strlen(im->out) + sizeof(".XXXXXX");
	char *tmp = malloc(n);
	FILE *f;
	int fd, rc = -1;

	if (!tmp)
		return oom();
	snprintf(tmp, n, "%s.XXXXXX", im->out);
	fd = mkstemp(tmp);
	if (fd < 0) {
		et_err("cannot write '%s': cannot create '%s': %s: give -o a "
		       "file in a writable directory", im->out, tmp,
		       strerror(errno));
		goto out;
	}
	if (fchmod(fd, out_mode(im->out)) || !(f = fdopen(fd, "wb"))) {
		close(fd);
		goto fail;
	}
	if (write_file(im, f) || rename(tmp, im->out))
		goto fail;
	rc = 0;
	goto out;
fail:
	et_err("cannot write '%s': %s", im->out, strerror(errno));
	unlink(tmp);
out:
	free(tmp);
	return rc;
}

static int write_stdout(struct import *im)
{
	if (write_records(im, stdout) || fflush(stdout)) {
		et_err("cannot write the capture to standard output: %s",
		       strerror(errno));
		return -1;
	}
	return 0;
}

/* How to fetch what is missing: the export to run on the device. */
static void report_fetch(const struct import *im, const char *list)
{
	fputs("edgetrace import: to fetch them, run on the device:\n", stderr);
	if (strlen(list) <= HINT_MAX)
		fprintf(stderr, "    edgetrace export --format armor --seqs "
			"%s\n", list);
	else
		fprintf(stderr, "    edgetrace export --format armor "
			"--from-seq %" PRIu64 " --to-seq %" PRIu64 "\n",
			im->missing.v[0].first,
			im->missing.v[im->missing.n - 1].last);
	fputs("  and import what it prints together with this:\n", stderr);
	if (im->out) {
		fprintf(stderr, "    edgetrace import --append -o %s FILE\n",
			im->out);
		return;
	}
	fputs("    edgetrace import", stderr);
	for (int i = 1; i <= im->ninputs; i++)
		fprintf(stderr, " %s", im->names[i]);
	fputs(" FILE > CAPTURE\n", stderr);
}

static int report(const struct import *im)
{
	char *list;

	fprintf(stderr, "edgetrace import: %zu records (%" PRIu64
		" duplicates skipped), %" PRIu64 " damaged lines, %" PRIu64
		" other lines skipped\n", im->nrecs, im->dups, im->damaged,
		im->other);
	if (im->out)
		fprintf(stderr, "edgetrace import: wrote %s\n", im->out);
	if (im->lost.n && (list = seqs_text(&im->lost))) {
		fprintf(stderr, "edgetrace import: no longer in the device's "
			"spool when exported (evicted, or unreadable): %s "
			"(%" PRIu64 " records)\n", list,
			seqs_count(&im->lost));
		free(list);
	}
	if (!im->missing.n) {
		fputs("edgetrace import: nothing missing\n", stderr);
		return ET_EXIT_OK;
	}
	list = seqs_text(&im->missing);
	if (!list) {
		oom();
		return ET_EXIT_ERROR;
	}
	fprintf(stderr, "edgetrace import: missing seqs %s (%" PRIu64
		" records)\n", list, seqs_count(&im->missing));
	report_fetch(im, list);
	free(list);
	return ET_EXIT_MISSING;
}

static int parse_import_args(int argc, char **argv, struct import *im)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "append", no_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': im->out = optarg; break;
		case 'a': im->append = 1; break;
		case 'f': im->force = 1; break;
		case 'h': fputs(import_usage, stdout); return 1;
		default:
			return -et_getopt_error("import", c, argv);
		}
	}
	if (im->append && im->force)
		return -et_usage_error("import", "give --append or --force, "
				       "not both");
	if ((im->append || im->force) && !im->out)
		return -et_usage_error("import", "--append and --force need "
				       "-o FILE");
	if (im->out && !*im->out)
		return -et_usage_error("import", "-o needs a file name");
	if (!im->out && isatty(STDOUT_FILENO))
		return -et_usage_error("import", "the capture is binary: give "
				       "-o FILE, or redirect the output");
	if (optind == argc && isatty(STDIN_FILENO))
		return -et_usage_error("import", "give the armored text as "
				       "INPUT or on standard input");
	return 0;
}

static int check_output(const struct import *im)
{
	struct stat st;

	if (!im->out || im->append || im->force || stat(im->out, &st))
		return 0;
	et_err("'%s' exists: give --append to merge the imported records "
	       "with it, or --force to replace it", im->out);
	return -1;
}

static int import_all(struct import *im)
{
	if (check_output(im))
		return -1;
	if (im->append && read_existing(im))
		return -1;
	if (read_inputs(im) || dedupe(im) || reckon(im))
		return -1;
	et_progress_end(&im->pg);
	return im->out ? write_output(im) : write_stdout(im);
}

static void import_free(struct import *im)
{
	free(im->arena);
	free(im->recs);
	free(im->cover.v);
	free(im->gone.v);
	free(im->have.v);
	free(im->missing.v);
	free(im->lost.v);
	free(im->names);
	free(im);
}

/* names[0] the output, then the inputs (none: standard input). */
static int name_inputs(struct import *im, int argc, char **argv)
{
	im->ninputs = optind < argc ? argc - optind : 1;
	im->names = calloc(im->ninputs + 1, sizeof(*im->names));
	if (!im->names)
		return oom();
	im->names[0] = im->out ? im->out : "the output";
	for (int i = 0; i < im->ninputs; i++)
		im->names[i + 1] = optind < argc ? argv[optind + i] : "-";
	return 0;
}

int et_cmd_import(int argc, char **argv)
{
	struct import *im = calloc(1, sizeof(*im));
	int rc;

	if (!im) {
		oom();
		return ET_EXIT_ERROR;
	}
	rc = parse_import_args(argc, argv, im);
	if (rc) {
		rc = rc > 0 ? ET_EXIT_OK : -rc;
		goto out;
	}
	rc = ET_EXIT_ERROR;
	if (name_inputs(im, argc, argv))
		goto out;
	et_progress_start(&im->pg, "importing");
	rc = import_all(im);
	et_progress_end(&im->pg);
	rc = rc ? ET_EXIT_ERROR : report(im);
out:
	import_free(im);
	return rc;
}
