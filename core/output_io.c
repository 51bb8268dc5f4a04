// SPDX-License-Identifier: GPL-2.0
/*
 * output_io.c - the file and socket parts of records, as JSON and as the
 * table's details column; socket addresses as text for the filter too.
 *
 * Open flags are decoded only where their values are the same on every
 * architecture the agent runs on (access mode, O_CREAT, O_EXCL, O_TRUNC,
 * O_APPEND, O_NONBLOCK): a spool is often read on another machine than
 * the one that wrote it. The number is always there as well.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core.h"
#include "edgetrace.h"

static const struct {
	uint32_t bit;
	const char *name;
} open_bits[] = {
	{ 0100, "O_CREAT" }, { 0200, "O_EXCL" }, { 01000, "O_TRUNC" },
	{ 02000, "O_APPEND" }, { 04000, "O_NONBLOCK" },
};

static void json_open_flags(FILE *f, uint32_t flags)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR",
					   "O_ACCMODE" };

	fprintf(f, ",\"flags\":%" PRIu32 ",\"flag_names\":\"%s", flags,
		acc[flags & 3]);
	for (size_t i = 0; i < sizeof(open_bits) / sizeof(open_bits[0]); i++)
		if (flags & open_bits[i].bit)
			fprintf(f, "|%s", open_bits[i].name);
	fputc('"', f);
}

int et_format_addr(const struct et_str *a, char *buf, size_t len)
{
	if (a->len == 4)
		return inet_ntop(AF_INET, a->p, buf, len) ? 0 : -1;
	if (a->len == 16)
		return inet_ntop(AF_INET6, a->p, buf, len) ? 0 : -1;
	return -1;
}

const char *et_proto_name(const struct et_record *r)
{
	if (r->family == AF_UNIX)
		return "unix";
	switch (r->proto) {
	case 6: return "tcp";
	case 17: return "udp";
	}
	return r->socktype == SOCK_STREAM ? "tcp" :
	       r->socktype == SOCK_DGRAM ? "udp" : "other";
}

static void json_str(FILE *f, const char *key, struct et_str s)
{
	fprintf(f, ",\"%s\":", key);
	et_json_string(f, s.p, s.len);
}

/* What path2 means for each type. */
static const char *path2_key(unsigned int type)
{
	return type == ET_REC_RENAME ? "new_path" : "target";
}

void et_json_file(FILE *f, const struct et_record *r)
{
	fputs(",\"file\":{\"path\":", f);
	et_json_string(f, r->path.p, r->path.len);
	if (et_record_has(r, ET_F_PATH2))
		json_str(f, path2_key(r->type), r->path2);
	if (r->ev_flags & (ET_FILE_PATH_REL | ET_FILE_PATH2_REL))
		fputs(",\"relative\":true", f);
	if (r->ev_flags & ET_FILE_PATH_TRUNC)
		fputs(",\"path_truncated\":true", f);
	if (et_record_has(r, ET_F_FD))
		fprintf(f, ",\"fd\":%" PRId32, r->fd);
	if (et_record_has(r, ET_F_OPEN_FLAGS)) {
		json_open_flags(f, r->open_flags);
		fprintf(f, ",\"created\":%s",
			r->ev_flags & ET_FILE_CREATED ? "true" : "false");
	}
	if (et_record_has(r, ET_F_MODE))
		fprintf(f, ",\"mode\":\"%04" PRIo32 "\"", r->mode & 07777);
	if (et_record_has(r, ET_F_DEV))
		fprintf(f, ",\"dev\":\"%" PRIu32 ":%" PRIu32 "\"",
			(r->dev >> 8) & 0xfff, (r->dev & 0xff) |
			((r->dev >> 12) & 0xfff00));
	if (et_record_has(r, ET_F_OWNER_UID))
		fprintf(f, ",\"owner_uid\":%" PRId32 ",\"owner_gid\":%" PRId32,
			(int32_t)r->owner_uid, (int32_t)r->owner_gid);
	if (et_record_has(r, ET_F_SIZE))
		fprintf(f, ",\"size\":%" PRIu64, r->size);
	if (r->type == ET_REC_CLOSE)
		fprintf(f, ",\"read_bytes\":%" PRIu64 ",\"written_bytes\":%"
			PRIu64, r->rbytes, r->wbytes);
	fputc('}', f);
}

static void json_endpoint(FILE *f, const char *ip, const char *port,
			  const struct et_str *a, uint32_t p)
{
	char buf[64];

	if (et_format_addr(a, buf, sizeof(buf)))
		return;
	fprintf(f, ",\"%s\":\"%s\",\"%s\":%" PRIu32, ip, buf, port, p);
}

void et_json_net(FILE *f, const struct et_record *r)
{
	static const char *const families[] = { [AF_UNIX] = "unix",
		[AF_INET] = "ipv4", [AF_INET6] = "ipv6" };
	const char *fam = r->family < sizeof(families) / sizeof(families[0]) ?
			  families[r->family] : NULL;

	fprintf(f, ",\"net\":{\"family\":\"%s\",\"proto\":\"%s\"",
		fam ? fam : "other", et_proto_name(r));
	if (et_record_has(r, ET_F_FD))
		fprintf(f, ",\"fd\":%" PRId32, r->fd);
	if (et_record_has(r, ET_F_PATH))
		json_str(f, "path", r->path);
	if (et_record_has(r, ET_F_SADDR))
		json_endpoint(f, "sip", "sport", &r->saddr, r->sport);
	if (et_record_has(r, ET_F_DADDR))
		json_endpoint(f, "dip", "dport", &r->daddr, r->dport);
	if (et_record_has(r, ET_F_BACKLOG))
		fprintf(f, ",\"backlog\":%" PRIu32, r->backlog);
	if (et_record_has(r, ET_F_RESULT))
		fprintf(f, ",\"result\":%" PRId32, r->result);
	if (r->ev_flags & ET_NET_INPROGRESS)
		fputs(",\"in_progress\":true", f);
	if (r->ev_flags & ET_NET_COMPLETED)
		fputs(",\"completed\":true", f);
	if (et_record_has(r, ET_F_DURATION) && (r->ev_flags & ET_NET_NOBYTES))
		fprintf(f, ",\"bytes_unknown\":true,\"duration_ns\":%" PRIu64,
			r->duration);
	else if (et_record_has(r, ET_F_DURATION))
		fprintf(f, ",\"sent\":%" PRIu64 ",\"received\":%" PRIu64
			",\"duration_ns\":%" PRIu64, r->wbytes, r->rbytes,
			r->duration);
	fputc('}', f);
}

static void table_bytes(FILE *f, struct et_str s)
{
	for (uint32_t i = 0; i < s.len; i++) {
		unsigned char c = s.p[i];

		fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
	}
}

void et_table_file(FILE *f, const struct et_record *r)
{
	table_bytes(f, r->path);
	if (et_record_has(r, ET_F_PATH2)) {
		fputs(r->type == ET_REC_RENAME ? " -> " : " => ", f);
		table_bytes(f, r->path2);
	}
	if (r->type == ET_REC_OPEN && (r->ev_flags & ET_FILE_CREATED))
		fputs(" (created)", f);
	if (r->type == ET_REC_CLOSE)
		fprintf(f, " read %" PRIu64 " B, wrote %" PRIu64 " B",
			r->rbytes, r->wbytes);
}

void et_table_net(FILE *f, const struct et_record *r)
{
	char s[64] = "", d[64] = "";

	fprintf(f, "%s ", et_proto_name(r));
	if (et_record_has(r, ET_F_PATH)) {
		table_bytes(f, r->path);
	} else {
		et_format_addr(&r->saddr, s, sizeof(s));
		et_format_addr(&r->daddr, d, sizeof(d));
		fprintf(f, "%s:%" PRIu32 " -> %s:%" PRIu32, s, r->sport, d,
			r->dport);
	}
	if (r->type == ET_REC_SOCK_CLOSE && !(r->ev_flags & ET_NET_NOBYTES))
		fprintf(f, " sent %" PRIu64 " B, received %" PRIu64 " B",
			r->wbytes, r->rbytes);
	if (et_record_has(r, ET_F_RESULT) && r->result)
		fprintf(f, " result %" PRId32, r->result);
}
