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
#include <stddef.h>
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

static const char *const signal_names[32] = {
	[1] = "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
	"SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
	"SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
	"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
	"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
	"SIGSYS",
};

/* "SIGKILL", or "SIGRT3" for real-time signal 35: Linux numbering. */
static void json_signal_name(FILE *f, unsigned int sig)
{
	if (sig < 32 && signal_names[sig])
		fprintf(f, "\"%s\"", signal_names[sig]);
	else if (sig >= 32 && sig <= 64)
		fprintf(f, "\"SIGRT%u\"", sig - 32);
	else
		fprintf(f, "\"SIG%u\"", sig);
}

struct u32_key {
	enum et_field f;
	const char *key;
	size_t off;
};

#define U32K(f, key, m) { f, key, offsetof(struct et_record, m) }

/* The numeric proc.* fields, in output order. */
static const struct u32_key proc_ids[] = {
	U32K(ET_F_UID, "uid", uid), U32K(ET_F_GID, "gid", gid),
	U32K(ET_F_EUID, "euid", euid), U32K(ET_F_EGID, "egid", egid),
	U32K(ET_F_SUID, "suid", suid), U32K(ET_F_SGID, "sgid", sgid),
	U32K(ET_F_FSUID, "fsuid", fsuid), U32K(ET_F_FSGID, "fsgid", fsgid),
	U32K(ET_F_SID, "sid", sid),
};

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
	if (et_record_has(r, ET_F_CWD))
		json_str_field(f, "cwd", r->cwd);
	for (size_t i = 0; i < sizeof(proc_ids) / sizeof(proc_ids[0]); i++)
		if (et_record_has(r, proc_ids[i].f))
			fprintf(f, ",\"%s\":%" PRIu32, proc_ids[i].key,
				*(const uint32_t *)((const char *)r +
						    proc_ids[i].off));
	if (et_record_has(r, ET_F_TTY))
		json_str_field(f, "tty", r->tty);
	if (et_record_has(r, ET_F_CGROUP))
		fprintf(f, ",\"cgroup\":%" PRIu64, r->cgroup);
	if (r->type == ET_REC_EXEC && (r->ev_flags & ET_EXEC_ARGS_TRUNC))
		fputs(",\"cmdline_truncated\":true", f);
	if (r->type == ET_REC_EXEC && (r->ev_flags & ET_EXEC_EXE_TRUNC))
		fputs(",\"exe_truncated\":true", f);
	if (r->type == ET_REC_EXEC && (r->ev_flags & ET_EXEC_CWD_TRUNC))
		fputs(",\"cwd_truncated\":true", f);
	fputc('}', f);
}

static void json_container(FILE *f, const struct et_record *r)
{
	if (!et_record_has(r, ET_F_CONTAINER) && !et_record_has(r, ET_F_POD))
		return;
	fputs(",\"container\":{", f);
	fputs("\"id\":", f);
	et_json_string(f, r->container.p, r->container.len);
	if (et_record_has(r, ET_F_RUNTIME))
		json_str_field(f, "runtime", r->runtime);
	if (et_record_has(r, ET_F_POD))
		json_str_field(f, "pod", r->pod);
	fputc('}', f);
}

/*
 * A field a record does not have is null: a status reduced mode did not
 * learn, its core-dump bit (never read there), a lifetime.
 */
static void json_exit(FILE *f, const struct et_record *r)
{
	int has_status = et_record_has(r, ET_F_STATUS);
	unsigned int sig = r->status & 0x7f;

	fputs(",\"exit\":{", f);
	if (!has_status)
		fputs("\"code\":null,\"signal\":null,\"signame\":null", f);
	else if (sig)
		fprintf(f, "\"code\":null,\"signal\":%u,\"signame\":", sig);
	else
		fprintf(f, "\"code\":%u,\"signal\":null,\"signame\":null",
			(r->status >> 8) & 0xff);
	if (has_status && sig)
		json_signal_name(f, sig);
	if (!has_status || (r->flags & ET_REC_FLAG_REDUCED))
		fputs(",\"core\":null", f);
	else
		fprintf(f, ",\"core\":%s", r->status & 0x80 ? "true" : "false");
	if (et_record_has(r, ET_F_LIFETIME))
		fprintf(f, ",\"lifetime_ns\":%" PRIu64 "}", r->lifetime);
	else
		fputs(",\"lifetime_ns\":null}", f);
}

static const char *const cred_calls[] = {
	[ET_CRED_SETUID] = "setuid", "setreuid", "setresuid", "setfsuid",
	"setgid", "setregid", "setresgid", "setfsgid",
};

static const char *const signal_results[] = {
	"delivered", "ignored", "already_pending", "overflow_fail",
	"lose_info",
};

static void json_signal(FILE *f, const struct et_record *r)
{
	fprintf(f, ",\"signal\":{\"sig\":%" PRIu32 ",\"name\":", r->sig);
	json_signal_name(f, r->sig);
	fprintf(f, ",\"code\":%" PRId32 ",\"target\":{\"pid\":%" PRIu32
		",\"tid\":%" PRIu32 "},\"result\":", r->sigcode,
		r->target_pid, r->target_tid);
	if (r->result >= 0 && r->result < 5)
		fprintf(f, "\"%s\"}", signal_results[r->result]);
	else
		fprintf(f, "%" PRId32 "}", r->result);
}

static const char *ptrace_request(uint32_t req)
{
	switch (req) {
	case 0: return "traceme";
	case 16: return "attach";
	case 0x4206: return "seize";
	}
	return "other";
}

static const char *const drop_causes[ET_DROP_NR] = {
	[ET_DROP_RINGBUF_FULL] = "ring_full",
	[ET_DROP_SCRATCH] = "scratch",
	[ET_DROP_INFLIGHT] = "inflight",
};

const char *et_drop_cause_name(unsigned int cause)
{
	return cause < ET_DROP_NR ? drop_causes[cause] : "unknown";
}

static int is_file(const struct et_record *r)
{
	return r->type >= ET_REC_OPEN && r->type <= ET_REC_CLOSE;
}

static int is_net(const struct et_record *r)
{
	return r->type >= ET_REC_CONNECT && r->type <= ET_REC_SOCK_CLOSE;
}

/* The type-specific object of a record. */
static void json_details(FILE *f, const struct et_record *r)
{
	if (is_file(r))
		et_json_file(f, r);
	if (is_net(r))
		et_json_net(f, r);
	switch (r->type) {
	case ET_REC_FORK:
		fprintf(f, ",\"fork\":{\"thread\":%s}",
			r->ev_flags & ET_FORK_THREAD ? "true" : "false");
		break;
	case ET_REC_EXIT:
		json_exit(f, r);
		break;
	case ET_REC_SETUID:
	case ET_REC_SETGID:
		fprintf(f, ",\"cred\":{\"call\":\"%s\"}",
			r->call && r->call <= ET_CRED_SETFSGID ?
			cred_calls[r->call] : "unknown");
		break;
	case ET_REC_SIGNAL:
		json_signal(f, r);
		break;
	case ET_REC_PTRACE:
		fprintf(f, ",\"ptrace\":{\"request\":\"%s\",\"target\":"
			"{\"pid\":%" PRIu32 "}}", ptrace_request(r->call),
			r->target_pid);
		break;
	case ET_REC_MODULE:
		fputs(",\"module\":{\"name\":", f);
		et_json_string(f, r->module.p, r->module.len);
		fputc('}', f);
		break;
	case ET_REC_GAP:
		fprintf(f, ",\"gap\":{\"lost\":%" PRIu64 ",\"cause\":\"%s\"}",
			r->lost, et_drop_cause_name(r->cause));
		break;
	}
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
	json_container(f, r);
	json_details(f, r);
	/* last: a reader that keys on "type" followed by "proc" still can */
	if (r->flags & ET_REC_FLAG_REDUCED)
		fputs(",\"reduced\":true", f);
	fputs("}\n", f);
}

void et_print_table_header(FILE *f)
{
	fprintf(f, "%-8s %-24s %-10s %7s %-16s %s\n", "SEQ", "TIME (UTC)",
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

static void table_details(FILE *f, const struct et_record *r)
{
	if (is_file(r))
		et_table_file(f, r);
	if (is_net(r))
		et_table_net(f, r);
	switch (r->type) {
	case ET_REC_EXEC:
		if (et_record_has(r, ET_F_EXE))
			table_str(f, r->exe, 0);
		else
			fputc('?', f);
		fputs(" (as ", f);
		table_str(f, r->filename, 0);
		fprintf(f, ") uid=%" PRIu32, r->uid);
		if (et_record_has(r, ET_F_PPID))
			fprintf(f, " ppid=%" PRIu32, r->ppid);
		break;
	case ET_REC_FORK:
		fprintf(f, "%s of %" PRIu32 " (tid %" PRIu32 ")",
			r->ev_flags & ET_FORK_THREAD ? "thread" : "process",
			r->ppid, r->tid);
		break;
	case ET_REC_EXIT:
		if (!et_record_has(r, ET_F_STATUS))
			fputs("status unknown", f);
		else if (r->status & 0x7f)
			fprintf(f, "killed by signal %u", r->status & 0x7f);
		else
			fprintf(f, "exit code %u", (r->status >> 8) & 0xff);
		if (et_record_has(r, ET_F_LIFETIME))
			fprintf(f, " after %.3f s", r->lifetime / 1e9);
		break;
	case ET_REC_SETUID:
	case ET_REC_SETGID:
		fprintf(f, "uid=%" PRIu32 " euid=%" PRIu32 " gid=%" PRIu32
			" egid=%" PRIu32, r->uid, r->euid, r->gid, r->egid);
		break;
	case ET_REC_SIGNAL:
		fprintf(f, "signal %" PRIu32 " to %" PRIu32, r->sig,
			r->target_pid);
		break;
	case ET_REC_PTRACE:
		fprintf(f, "%s %" PRIu32, ptrace_request(r->call),
			r->target_pid);
		break;
	case ET_REC_MODULE:
		table_str(f, r->module, 0);
		break;
	case ET_REC_GAP:
		fprintf(f, "%" PRIu64 " events lost (%s)", r->lost,
			et_drop_cause_name(r->cause));
		break;
	}
}

void et_print_table(FILE *f, const struct et_record *r)
{
	const char *type = et_rec_type_name(r->type);
	char when[40];

	format_time(r->ts, when, sizeof(when));
	fprintf(f, "%-8" PRIu64 " %-24s %-10s %7" PRIu32 " ", r->seq, when,
		type ? type : "?", r->pid);
	table_str(f, r->comm, 16);
	fputc(' ', f);
	table_details(f, r);
	fputc('\n', f);
}
