// SPDX-License-Identifier: GPL-2.0
/*
 * record.c - the binary record format (docs/record-format.md).
 *
 * Design: a fixed 20-byte little-endian header that every reader can parse
 * without knowing the type, then tagged fields in the style of protocol
 * buffers: a varint tag (field id << 1 | wire kind), then either a varint
 * value or a varint length and that many bytes. Varints keep small numbers
 * (uids, ppids, lengths) to one or two bytes, which is most of an exec
 * record's integers; tags let a newer writer add fields that an older
 * reader skips, so only an incompatible change bumps the major version.
 */
#include <stddef.h>
#include <string.h>

#include "le.h"
#include "storage.h"

enum { WIRE_VARINT = 0, WIRE_BYTES = 1 };

static const char *const type_names[] = {
	[ET_REC_EXEC] = "exec",
	[ET_REC_EXIT] = "exit",
	[ET_REC_FORK] = "fork",
	[ET_REC_SETUID] = "setuid",
	[ET_REC_SETGID] = "setgid",
	[ET_REC_SIGNAL] = "signal",
	[ET_REC_PTRACE] = "ptrace",
	[ET_REC_MODULE] = "module",
	[ET_REC_OPEN] = "open",
	[ET_REC_UNLINK] = "unlink",
	[ET_REC_RMDIR] = "rmdir",
	[ET_REC_RENAME] = "rename",
	[ET_REC_MKDIR] = "mkdir",
	[ET_REC_MKNOD] = "mknod",
	[ET_REC_CHMOD] = "chmod",
	[ET_REC_CHOWN] = "chown",
	[ET_REC_SYMLINK] = "symlink",
	[ET_REC_LINK] = "link",
	[ET_REC_TRUNCATE] = "truncate",
	[ET_REC_CLOSE] = "close",
	[ET_REC_CONNECT] = "connect",
	[ET_REC_ACCEPT] = "accept",
	[ET_REC_LISTEN] = "listen",
	[ET_REC_BIND] = "bind",
	[ET_REC_SOCK_CLOSE] = "sock_close",
	[ET_REC_GAP] = "gap",
};

/* How each field is stored in struct et_record. */
enum kind { K_NONE = 0, K_U32, K_S32, K_U64, K_STR };

struct field_desc {
	uint8_t kind;
	uint16_t off;
};

#define F(id, k, member) [id] = { k, offsetof(struct et_record, member) }

static const struct field_desc fields[ET_F_NR] = {
	F(ET_F_PPID, K_U32, ppid),
	F(ET_F_UID, K_U32, uid),
	F(ET_F_GID, K_U32, gid),
	F(ET_F_COMM, K_STR, comm),
	F(ET_F_EXE, K_STR, exe),
	F(ET_F_FILENAME, K_STR, filename),
	F(ET_F_ARGS, K_STR, args),
	F(ET_F_FLAGS, K_U32, ev_flags),
	F(ET_F_EUID, K_U32, euid),
	F(ET_F_EGID, K_U32, egid),
	F(ET_F_CWD, K_STR, cwd),
	F(ET_F_TTY, K_STR, tty),
	F(ET_F_SID, K_U32, sid),
	F(ET_F_CGROUP, K_U64, cgroup),
	F(ET_F_CONTAINER, K_STR, container),
	F(ET_F_RUNTIME, K_STR, runtime),
	F(ET_F_POD, K_STR, pod),
	F(ET_F_STATUS, K_U32, status),
	F(ET_F_LIFETIME, K_U64, lifetime),
	F(ET_F_SIG, K_U32, sig),
	F(ET_F_SIGCODE, K_S32, sigcode),
	F(ET_F_RESULT, K_S32, result),
	F(ET_F_TARGET_PID, K_U32, target_pid),
	F(ET_F_TARGET_TID, K_U32, target_tid),
	F(ET_F_CALL, K_U32, call),
	F(ET_F_SUID, K_U32, suid),
	F(ET_F_FSUID, K_U32, fsuid),
	F(ET_F_SGID, K_U32, sgid),
	F(ET_F_FSGID, K_U32, fsgid),
	F(ET_F_MODULE, K_STR, module),
	F(ET_F_LOST, K_U64, lost),
	F(ET_F_CAUSE, K_U32, cause),
	F(ET_F_PATH, K_STR, path),
	F(ET_F_PATH2, K_STR, path2),
	F(ET_F_FD, K_S32, fd),
	F(ET_F_OPEN_FLAGS, K_U32, open_flags),
	F(ET_F_MODE, K_U32, mode),
	F(ET_F_DEV, K_U32, dev),
	F(ET_F_OWNER_UID, K_U32, owner_uid),
	F(ET_F_OWNER_GID, K_U32, owner_gid),
	F(ET_F_SIZE, K_U64, size),
	F(ET_F_RBYTES, K_U64, rbytes),
	F(ET_F_WBYTES, K_U64, wbytes),
	F(ET_F_FAMILY, K_U32, family),
	F(ET_F_SOCKTYPE, K_U32, socktype),
	F(ET_F_PROTO, K_U32, proto),
	F(ET_F_SADDR, K_STR, saddr),
	F(ET_F_DADDR, K_STR, daddr),
	F(ET_F_SPORT, K_U32, sport),
	F(ET_F_DPORT, K_U32, dport),
	F(ET_F_BACKLOG, K_U32, backlog),
	F(ET_F_DURATION, K_U64, duration),
};

#define FIELD(r, f, type) ((type *)((char *)(r) + fields[f].off))

const char *et_rec_type_name(unsigned int type)
{
	if (type >= sizeof(type_names) / sizeof(type_names[0]))
		return NULL;
	return type_names[type];
}

struct writer {
	uint8_t *p;
	size_t size;
	size_t len;
	int overflow;
};

static void put_varint(struct writer *w, uint64_t v)
{
	do {
		uint8_t b = v & 0x7f;

		v >>= 7;
		if (v)
			b |= 0x80;
		if (w->len < w->size)
			w->p[w->len++] = b;
		else
			w->overflow = 1;
	} while (v);
}

static void put_int(struct writer *w, enum et_field f, uint64_t v)
{
	put_varint(w, (uint64_t)f << 1 | WIRE_VARINT);
	put_varint(w, v);
}

static void put_bytes(struct writer *w, enum et_field f, struct et_str s)
{
	put_varint(w, (uint64_t)f << 1 | WIRE_BYTES);
	put_varint(w, s.len);
	if (w->size - w->len < s.len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p + w->len, s.p, s.len);
	w->len += s.len;
}

size_t et_record_encode(const struct et_record *r, uint8_t *buf, size_t size)
{
	struct writer w = { .p = buf, .size = size, .len = ET_REC_HDR_SIZE };

	if (size < ET_REC_HDR_SIZE)
		return 0;
	buf[0] = ET_REC_MAJOR;
	buf[1] = ET_REC_MINOR;
	buf[2] = r->type;
	buf[3] = r->flags;
	put_le32(buf + 4, r->pid);
	put_le32(buf + 8, r->tid);
	put_le64(buf + 12, r->ts);

	for (int f = 1; f < ET_F_NR; f++) {
		if (!et_record_has(r, f))
			continue;
		switch (fields[f].kind) {
		case K_U32:
			put_int(&w, f, *FIELD(r, f, const uint32_t));
			break;
		case K_S32:
			put_int(&w, f, (uint32_t)*FIELD(r, f, const int32_t));
			break;
		case K_U64:
			put_int(&w, f, *FIELD(r, f, const uint64_t));
			break;
		case K_STR:
			put_bytes(&w, f, *FIELD(r, f, const struct et_str));
			break;
		}
	}
	return w.overflow ? 0 : w.len;
}

struct reader {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static enum et_decode_status get_varint(struct reader *rd, uint64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (rd->off >= rd->len)
			return ET_DEC_TRUNCATED;
		b = rd->p[rd->off++];
		if (shift == 63 && b > 1)
			return ET_DEC_MALFORMED;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return ET_DEC_OK;
		}
	}
	return ET_DEC_MALFORMED;
}

/* A field id this reader knows; others are skipped (a newer minor). */
static int known(uint64_t id)
{
	return id < ET_F_NR && fields[id].kind != K_NONE;
}

static enum et_decode_status set_int(struct et_record *r, uint64_t id,
				     uint64_t v)
{
	if (!known(id))
		return ET_DEC_OK;
	switch (fields[id].kind) {
	case K_U32:
		if (v > UINT32_MAX)
			return ET_DEC_MALFORMED;
		*FIELD(r, id, uint32_t) = v;
		break;
	case K_S32:
		if (v > UINT32_MAX)
			return ET_DEC_MALFORMED;
		*FIELD(r, id, int32_t) = (int32_t)(uint32_t)v;
		break;
	case K_U64:
		*FIELD(r, id, uint64_t) = v;
		break;
	default:
		return ET_DEC_MALFORMED;	/* bytes sent as a number */
	}
	et_record_set(r, id);
	return ET_DEC_OK;
}

static enum et_decode_status set_bytes(struct et_record *r, uint64_t id,
				       struct et_str s)
{
	if (!known(id))
		return ET_DEC_OK;
	if (fields[id].kind != K_STR)
		return ET_DEC_MALFORMED;	/* a number sent as bytes */
	*FIELD(r, id, struct et_str) = s;
	et_record_set(r, id);
	return ET_DEC_OK;
}

static enum et_decode_status decode_field(struct reader *rd,
					  struct et_record *r)
{
	enum et_decode_status st;
	uint64_t tag, v;
	struct et_str s;

	st = get_varint(rd, &tag);
	if (st)
		return st;
	if ((tag & 1) == WIRE_VARINT) {
		st = get_varint(rd, &v);
		return st ? st : set_int(r, tag >> 1, v);
	}
	st = get_varint(rd, &v);
	if (st)
		return st;
	if (v > rd->len - rd->off)
		return ET_DEC_TRUNCATED;
	s.p = (const char *)rd->p + rd->off;
	s.len = v;
	rd->off += v;
	return set_bytes(r, tag >> 1, s);
}

enum et_decode_status et_record_decode(const uint8_t *buf, size_t len,
				       struct et_record *r)
{
	struct reader rd = { .p = buf, .len = len, .off = ET_REC_HDR_SIZE };
	uint64_t seq = r->seq;
	enum et_decode_status st;

	if (len < 1)
		return ET_DEC_TRUNCATED;
	if (buf[0] > ET_REC_MAJOR)
		return ET_DEC_MAJOR;
	if (buf[0] == 0)
		return ET_DEC_MALFORMED;
	if (len < ET_REC_HDR_SIZE)
		return ET_DEC_TRUNCATED;
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->type = buf[2];
	r->flags = buf[3];
	r->pid = get_le32(buf + 4);
	r->tid = get_le32(buf + 8);
	r->ts = get_le64(buf + 12);
	while (rd.off < rd.len) {
		st = decode_field(&rd, r);
		if (st)
			return st;
	}
	return ET_DEC_OK;
}

const char *et_decode_strerror(enum et_decode_status st)
{
	switch (st) {
	case ET_DEC_OK:
		return "no error";
	case ET_DEC_TRUNCATED:
		return "record is truncated: the spool or capture file is damaged";
	case ET_DEC_MAJOR:
		return "record was written by a newer edgetrace (format major "
		       "version above 1): read it with a newer edgetrace";
	case ET_DEC_MALFORMED:
		return "record is malformed: the spool or capture file is damaged";
	}
	return "unknown decode error";
}
