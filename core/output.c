// SPDX-License-Identifier: GPL-2.0
/*
 * output.c - records as JSON lines and as a table.
 *
 * JSON keys mirror the filter fields of MISSION.md: proc.exe in a filter
 * and "proc":{"exe":...} in the output name the same value. Strings from
 * the kernel are arbitrary bytes: anything that is not printable ASCII or
 * valid UTF-8 is escaped as \u00XX of the byte, so every line is valid
 * JSON and no byte is lost silently.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "edgetrace.h"

/* Length of the valid UTF-8 sequence at @s (at most @len), or 0. */
static size_t utf8_len(const unsigned char *s, size_t len)
{
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;	/* overlong, surrogate or above U+10FFFF */
	return n;
}

void et_json_string(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	fputc('"', f);
	while (i < len) {
		unsigned char c = p[i];
		size_t n;

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
		} else if (c == '\n') {
			fputs("\\n", f);
		} else if (c == '\t') {
			fputs("\\t", f);
		} else if (c >= 0x20 && c < 0x7f) {
			fputc(c, f);
		} else if (c >= 0x80 && (n = utf8_len(p + i, len - i))) {
			fwrite(p + i, 1, n, f);
			i += n;
			continue;
		} else {
			fprintf(f, "\\u%04x", c);
		}
		i++;
	}
	fputc('"', f);
}

/* argv is NUL-separated; show it space-separated, without the last NUL. */
static void json_cmdline(FILE *f, struct et_str a)
{
	char buf[4096 + 1];
	size_t n = a.len < sizeof(buf) - 1 ? a.len : sizeof(buf) - 1;

	memcpy(buf, a.p, n);
	while (n && buf[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	et_json_string(f, buf, n);
}

static void json_str_field(FILE *f, const char *key, struct et_str s)
{
	fprintf(f, ",\"%s\":", key);
	et_json_string(f, s.p, s.len);
}

static void json_proc(FILE *f, const struct et_record *r)
{
	fprintf(f, ",\"proc\":{\"pid\":%" PRIu32 ",\"tid\":%" PRIu32, r->pid,
		r->tid);
	if (et_record_has(r, ET_F_PPID))
		fprintf(f, ",\"ppid\":%" PRIu32, r->ppid);
	if (et_record_has(r, ET_F_COMM))
		json_str_field(f, "name", r->comm);
	if (et_record_has(r, ET_F_EXE))
		json_str_field(f, "exe", r->exe);
	if (et_record_has(r, ET_F_FILENAME))
		json_str_field(f, "filename", r->filename);
	if (et_record_has(r, ET_F_ARGS)) {
		fputs(",\"cmdline\":", f);
		json_cmdline(f, r->args);
	}
	if (et_record_has(r, ET_F_UID))
		fprintf(f, ",\"uid\":%" PRIu32, r->uid);
	if (et_record_has(r, ET_F_GID))
		fprintf(f, ",\"gid\":%" PRIu32, r->gid);
	if (r->exec_flags & ET_EXEC_ARGS_TRUNC)
		fputs(",\"cmdline_truncated\":true", f);
	if (r->exec_flags & ET_EXEC_EXE_TRUNC)
		fputs(",\"exe_truncated\":true", f);
	fputc('}', f);
}

void et_print_json(FILE *f, const struct et_record *r)
{
	const char *type = et_rec_type_name(r->type);

	fprintf(f, "{\"seq\":%" PRIu64 ",\"ts\":%" PRIu64 ",\"type\":", r->seq,
		r->ts);
	if (type)
		fprintf(f, "\"%s\"", type);
	else
		fprintf(f, "\"unknown-%u\"", r->type);
	json_proc(f, r);
	fputs("}\n", f);
}

void et_print_table_header(FILE *f)
{
	fprintf(f, "%-8s %-24s %-6s %7s %-16s %s\n", "SEQ", "TIME (UTC)",
		"TYPE", "PID", "COMM", "DETAILS");
}

static void format_time(uint64_t ts, char *buf, size_t len)
{
	time_t sec = ts / 1000000000ull;
	struct tm tm;
	size_t n;

	if (!gmtime_r(&sec, &tm)) {
		snprintf(buf, len, "%" PRIu64, ts);
		return;
	}
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03uZ",
		 (unsigned int)(ts % 1000000000ull / 1000000));
}

/* Print @s with control bytes as '?', so a table row stays one line. */
static void table_str(FILE *f, struct et_str s, int width)
{
	int i;

	for (i = 0; i < (int)s.len; i++) {
		unsigned char c = s.p[i];

		fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
	}
	for (; i < width; i++)
		fputc(' ', f);
}

void et_print_table(FILE *f, const struct et_record *r)
{
	const char *type = et_rec_type_name(r->type);
	char when[40];

	format_time(r->ts, when, sizeof(when));
	fprintf(f, "%-8" PRIu64 " %-24s %-6s %7" PRIu32 " ", r->seq, when,
		type ? type : "?", r->pid);
	table_str(f, r->comm, 16);
	if (r->type == ET_REC_EXEC) {
		fputs(" ", f);
		table_str(f, r->exe, 0);
		fputs(" (as ", f);
		table_str(f, r->filename, 0);
		fprintf(f, ") uid=%" PRIu32 " ppid=%" PRIu32, r->uid, r->ppid);
	}
	fputc('\n', f);
}
