// SPDX-License-Identifier: GPL-2.0
/*
 * status.c - the running agent's figures, for `edgetrace status`.
 *
 * Once a second the agent writes what it knows of itself (memory, probes,
 * ring fill, events, drops) to a small file on /run, which is tmpfs: the
 * status must not cost flash writes, and it means nothing after a reboot.
 * The file is named after the spool directory's device and inode, so
 * `status --spool DIR` finds the agent writing DIR, and several agents
 * (tests) do not collide. It is written twice, as JSON for --json and as
 * text, each with write-to-temporary and rename, so a reader never sees a
 * half-written file.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "edgetrace.h"
#include "version.h"

#define STATUS_DIR	"/run/edgetrace"
#define STATUS_DIR_ALT	"/tmp/edgetrace"

int et_status_path(const char *spool, const char *ext, char *buf, size_t len)
{
	return et_status_path_of(spool, "agent", ext, buf, len);
}

/*
 * @who: "agent", or "uplink" for the uplink process on the same spool.
 * /run/edgetrace when it can be written or made: under systemd's
 * ProtectSystem=strict /run itself is read-only and the units'
 * RuntimeDirectory=edgetrace is the writable part; otherwise (no /run, or
 * not root) /tmp/edgetrace.
 */
int et_status_path_of(const char *spool, const char *who, const char *ext,
		      char *buf, size_t len)
{
	const char *dir = STATUS_DIR;
	struct stat st;

	if (stat(spool, &st))
		return -1;
	if (access(STATUS_DIR, W_OK) && access("/run", W_OK))
		dir = STATUS_DIR_ALT;
	snprintf(buf, len, "%s/%s-%" PRIx64 "-%" PRIu64 ".%s", dir, who,
		 (uint64_t)st.st_dev, (uint64_t)st.st_ino, ext);
	return 0;
}

/* Peak and current resident set of this process, KiB, from /proc. */
static void read_rss(uint64_t *rss, uint64_t *hwm)
{
	char line[128];
	FILE *f = fopen("/proc/self/status", "r");

	*rss = *hwm = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "VmRSS: %" SCNu64, rss);
		sscanf(line, "VmHWM: %" SCNu64, hwm);
	}
	fclose(f);
}

static void write_json(FILE *f, const struct et_agent_status *s)
{
	fprintf(f, "{\"pid\":%d,\"version\":\"%s\",\"started\":%" PRIu64
		",\"updated\":%" PRIu64 ",\"rss_kib\":%" PRIu64
		",\"peak_rss_kib\":%" PRIu64, (int)getpid(), ET_VERSION,
		s->started, s->updated, s->rss_kib, s->peak_rss_kib);
	fputs(",\"probes\":{\"active\":", f);
	et_json_string(f, s->active, strlen(s->active));
	fputs(",\"inactive\":", f);
	et_json_string(f, s->inactive, strlen(s->inactive));
	fputs(",\"unavailable\":", f);
	et_json_string(f, s->unavailable, strlen(s->unavailable));
	fprintf(f, ",\"mode\":\"%s\"", s->reduced[0] ? "reduced" : "full");
	if (s->reduced[0]) {
		fputs(",\"reduced\":", f);
		et_json_string(f, s->reduced, strlen(s->reduced));
		fputs(",\"lacking\":", f);
		et_json_string(f, s->lacking, strlen(s->lacking));
	}
	fprintf(f, "},\"bpf\":{\"maps\":%" PRIu32 ",\"map_bytes\":%" PRIu64
		",\"budget_bytes\":%u,\"ring_bytes\":%" PRIu64
		",\"ring_used_bytes\":%" PRIu64 "}", s->mem.nmaps, s->mem.maps,
		CONFIG_BPF_MAP_BUDGET_KIB * 1024, s->mem.ring_size,
		s->mem.ring_used);
	fprintf(f, ",\"events\":{\"issued\":%" PRIu64 ",\"recorded\":%" PRIu64
		",\"malformed\":%" PRIu64 ",\"gap_records\":%" PRIu64 "}",
		s->issued, s->recorded, s->malformed, s->gaps);
	fputs(",\"drops\":{", f);
	for (int i = 0; i < ET_DROP_NR; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", et_drop_cause_name(i),
			s->drops[i]);
	fprintf(f, "},\"proctable\":{\"used\":%" PRIu32 ",\"capacity\":%"
		PRIu32 ",\"evicted\":%" PRIu64 "}}", s->procs_used,
		s->procs_capacity, s->procs_evicted);
}

static void write_text(FILE *f, const struct et_agent_status *s)
{
	uint64_t drops = 0;

	for (int i = 0; i < ET_DROP_NR; i++)
		drops += s->drops[i];
	fprintf(f, "agent     pid %d, edgetrace %s, up %" PRIu64 " s\n"
		"memory    %" PRIu64 " KiB resident (peak %" PRIu64 " KiB)\n"
		"bpf       %" PRIu64 " KiB in %" PRIu32 " maps (budget %u KiB),"
		" ring %" PRIu64 " KiB, %" PRIu64 " bytes waiting\n"
		"probes    %s\n", (int)getpid(), ET_VERSION,
		(uint64_t)((s->updated - s->started) / 1000000000u), s->rss_kib,
		s->peak_rss_kib, s->mem.maps >> 10, s->mem.nmaps,
		CONFIG_BPF_MAP_BUDGET_KIB, s->mem.ring_size >> 10,
		s->mem.ring_used, s->active);
	if (s->inactive[0])
		fprintf(f, "not attached %s\n", s->inactive);
	if (s->reduced[0])
		fprintf(f, "mode      reduced: %s\nlacking   %s\n", s->reduced,
			s->lacking);
	if (s->unavailable[0])
		fprintf(f, "not running %s: they need kernel BTF (reduced "
			"mode)\n", s->unavailable);
	fprintf(f, "events    %" PRIu64 " issued, %" PRIu64 " recorded, %"
		PRIu64 " malformed, %" PRIu64 " gap records\n"
		"drops     %" PRIu64, s->issued, s->recorded, s->malformed,
		s->gaps, drops);
	for (int i = 0; i < ET_DROP_NR; i++)
		fprintf(f, "%s%s %" PRIu64, i ? ", " : " (", et_drop_cause_name(i),
			s->drops[i]);
	fprintf(f, ")\nprocesses %" PRIu32 " of %" PRIu32 " table entries, %"
		PRIu64 " evicted\n", s->procs_used, s->procs_capacity,
		s->procs_evicted);
}

static int write_atomic(const char *path, const struct et_agent_status *s,
			void (*fn)(FILE *, const struct et_agent_status *))
{
	char tmp[600];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fn(f, s);
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int et_status_write(const char *spool, struct et_agent_status *s)
{
	char path[512];

	read_rss(&s->rss_kib, &s->peak_rss_kib);
	if (et_status_path(spool, "json", path, sizeof(path)))
		return -1;
	mkdir(STATUS_DIR, 0755);
	mkdir(STATUS_DIR_ALT, 0755);
	if (write_atomic(path, s, write_json))
		return -1;
	et_status_path(spool, "txt", path, sizeof(path));
	return write_atomic(path, s, write_text);
}

void et_status_remove(const char *spool)
{
	char path[512];

	if (!et_status_path(spool, "json", path, sizeof(path)))
		unlink(path);
	if (!et_status_path(spool, "txt", path, sizeof(path)))
		unlink(path);
}

/*
 * Copy the agent's status file for @spool to @out; returns 1 if an agent
 * is running on it (the file exists and its pid is alive), else 0.
 */
int et_status_print(const char *spool, const char *ext, FILE *out)
{
	return et_status_print_of(spool, "agent", ext, out);
}

int et_status_print_of(const char *spool, const char *who, const char *ext,
		       FILE *out)
{
	char path[512], buf[4096];
	size_t n;
	int pid = 0;
	FILE *f;

	if (et_status_path_of(spool, who, ext, path, sizeof(path)))
		return 0;
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (sscanf(buf, "{\"pid\":%d", &pid) != 1 &&
	    sscanf(buf, "%*s pid %d", &pid) != 1)
		return 0;
	if (kill(pid, 0) && errno == ESRCH)
		return 0;
	fputs(buf, out);
	return 1;
}
