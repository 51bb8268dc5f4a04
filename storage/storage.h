/* SPDX-License-Identifier: GPL-2.0 */
/*
 * storage.h - the spool: record format and LMDB store. The only public
 * header of storage/.
 *
 * Records. A record is one event in a compact, versioned, little-endian
 * binary form (docs/record-format.md has the byte layout and a worked
 * example): a 20-byte fixed header (version, type, flags, pid, tid,
 * timestamp) followed by tagged fields. Readers skip fields they do not
 * know, so adding a field is a minor version; a reader refuses records of
 * a newer major version. The sequence number is not in the record: it is
 * the spool's key (and the frame header of a capture file).
 *
 * struct et_record is the decoded view. Its strings point into the buffer
 * that was decoded (or that the caller owns when encoding): they are not
 * NUL-terminated and live as long as that buffer.
 *
 * Spool. An LMDB environment in a directory, with a fixed map size. Records
 * are appended under monotonic 64-bit sequence numbers and committed in
 * groups (et_spool_append queues, et_spool_commit writes the group in one
 * transaction, as one chunk: one LMDB value holding the group's records).
 * When the map is full the oldest chunks are evicted whole and their
 * records counted. Reads walk the spool in short read transactions,
 * never one long-lived one, so the writer can keep reusing freed pages;
 * they start at any sequence number, inside a chunk or not.
 *
 * Errors: functions that can fail return 0 on success and -1 on failure;
 * the reason, a sentence naming what failed and what to do, is in
 * et_spool_error() or in the caller's err buffer for et_spool_open().
 */
#ifndef EDGETRACE_STORAGE_H
#define EDGETRACE_STORAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ET_REC_MAJOR		1
#define ET_REC_MINOR		1
#define ET_REC_HDR_SIZE		20
#define ET_REC_MAX_SIZE		8192	/* an encoded record never exceeds this */

/* Record types: the event types of bpf/edgetrace.h, one number space. */
enum et_rec_type {
	ET_REC_EXEC = 1,
	ET_REC_EXIT = 2,
	ET_REC_FORK = 3,
	ET_REC_SETUID = 4,
	ET_REC_SETGID = 5,
	ET_REC_SIGNAL = 6,
	ET_REC_PTRACE = 7,
	ET_REC_MODULE = 8,
	ET_REC_OPEN = 9,
	ET_REC_UNLINK = 10,
	ET_REC_RMDIR = 11,
	ET_REC_RENAME = 12,
	ET_REC_MKDIR = 13,
	ET_REC_MKNOD = 14,
	ET_REC_CHMOD = 15,
	ET_REC_CHOWN = 16,
	ET_REC_SYMLINK = 17,
	ET_REC_LINK = 18,
	ET_REC_TRUNCATE = 19,
	ET_REC_CLOSE = 20,
	ET_REC_CONNECT = 21,
	ET_REC_ACCEPT = 22,
	ET_REC_LISTEN = 23,
	ET_REC_BIND = 24,
	ET_REC_SOCK_CLOSE = 25,
	ET_REC_GAP = 31,
};

/*
 * Field ids (docs/record-format.md); bit i of et_record.present = field i.
 * u32/u64: varint; s32: varint of the two's complement 32-bit value;
 * bytes: length-prefixed.
 */
enum et_field {
	ET_F_PPID = 1,		/* u32 */
	ET_F_UID = 2,		/* u32 */
	ET_F_GID = 3,		/* u32 */
	ET_F_COMM = 4,		/* bytes */
	ET_F_EXE = 5,		/* bytes: absolute path of the executable */
	ET_F_FILENAME = 6,	/* bytes: the path as passed to execve */
	ET_F_ARGS = 7,		/* bytes: argv, NUL-separated */
	ET_F_FLAGS = 8,		/* u32: per-type flags (ET_EXEC_*, ET_FORK_*) */
	ET_F_EUID = 9,		/* u32 */
	ET_F_EGID = 10,		/* u32 */
	ET_F_CWD = 11,		/* bytes: absolute */
	ET_F_TTY = 12,		/* bytes: "pts/3", "ttyS0" */
	ET_F_SID = 13,		/* u32: session id */
	ET_F_CGROUP = 14,	/* u64: cgroup v2 id */
	ET_F_CONTAINER = 15,	/* bytes: container id (64 hex) */
	ET_F_RUNTIME = 16,	/* bytes: "docker", "containerd", ... */
	ET_F_POD = 17,		/* bytes: Kubernetes pod uid */
	ET_F_STATUS = 18,	/* u32: wait status of an exit */
	ET_F_LIFETIME = 19,	/* u64: ns from start to exit */
	ET_F_SIG = 20,		/* u32: signal number */
	ET_F_SIGCODE = 21,	/* s32: si_code */
	ET_F_RESULT = 22,	/* s32: outcome (signal delivery) */
	ET_F_TARGET_PID = 23,	/* u32: the process acted on */
	ET_F_TARGET_TID = 24,	/* u32 */
	ET_F_CALL = 25,		/* u32: enum et_cred_call / ptrace request */
	ET_F_SUID = 26,		/* u32 */
	ET_F_FSUID = 27,	/* u32 */
	ET_F_SGID = 28,		/* u32 */
	ET_F_FSGID = 29,	/* u32 */
	ET_F_MODULE = 30,	/* bytes: module name */
	ET_F_LOST = 31,		/* u64: events lost (gap) */
	ET_F_CAUSE = 32,	/* u32: enum et_drop_cause (gap) */
	/* since 1.1: files and sockets */
	ET_F_PATH = 33,		/* bytes: the file (or unix socket) path */
	ET_F_PATH2 = 34,	/* bytes: rename's new name, link's target */
	ET_F_FD = 35,		/* s32 */
	ET_F_OPEN_FLAGS = 36,	/* u32: O_* */
	ET_F_MODE = 37,		/* u32 */
	ET_F_DEV = 38,		/* u32: mknod's device */
	ET_F_OWNER_UID = 39,	/* u32: chown's new owner */
	ET_F_OWNER_GID = 40,	/* u32 */
	ET_F_SIZE = 41,		/* u64: truncate's length */
	ET_F_RBYTES = 42,	/* u64: bytes read / received */
	ET_F_WBYTES = 43,	/* u64: bytes written / sent */
	ET_F_FAMILY = 44,	/* u32: AF_* */
	ET_F_SOCKTYPE = 45,	/* u32: SOCK_* */
	ET_F_PROTO = 46,	/* u32: IPPROTO_* */
	ET_F_SADDR = 47,	/* bytes: 4 or 16, network order */
	ET_F_DADDR = 48,	/* bytes */
	ET_F_SPORT = 49,	/* u32 */
	ET_F_DPORT = 50,	/* u32 */
	ET_F_BACKLOG = 51,	/* u32 */
	ET_F_DURATION = 52,	/* u64: ns */
	ET_F_NR
};

struct et_str {
	const char *p;
	uint32_t len;
};

struct et_record {
	uint64_t seq;		/* spool sequence number (not encoded) */
	uint64_t ts;		/* ns since the Unix epoch, UTC */
	uint8_t type;		/* enum et_rec_type */
	uint8_t flags;		/* ET_REC_FLAG_* */
	uint32_t pid;
	uint32_t tid;
	uint64_t present;	/* bitmask of enum et_field */
	uint32_t ppid, uid, gid, euid, egid, suid, sgid, fsuid, fsgid;
	uint32_t ev_flags, sid, status, sig, target_pid, target_tid, call;
	uint32_t cause;
	int32_t sigcode, result, fd;
	uint32_t open_flags, mode, dev, owner_uid, owner_gid;
	uint32_t family, socktype, proto, sport, dport, backlog;
	uint64_t cgroup, lifetime, lost, size, rbytes, wbytes, duration;
	struct et_str comm, exe, filename, args, cwd, tty;
	struct et_str container, runtime, pod, module;
	struct et_str path, path2, saddr, daddr;
};

/*
 * et_record.flags. Readers ignore the bits they do not know.
 * REDUCED: captured in reduced mode (no kernel BTF): fields that mode
 * cannot read are absent by design, not lost (docs/record-format.md).
 */
#define ET_REC_FLAG_REDUCED	0x01

/* Mark field @f present in @r. */
static inline void et_record_set(struct et_record *r, enum et_field f)
{
	r->present |= 1ull << f;
}

static inline int et_record_has(const struct et_record *r, enum et_field f)
{
	return !!(r->present & (1ull << f));
}

/* Name of a record type ("exec"), or NULL for an unknown type. */
const char *et_rec_type_name(unsigned int type);

/*
 * Encode @r into @buf of @size bytes. Returns the encoded length, or 0 if
 * it does not fit.
 */
size_t et_record_encode(const struct et_record *r, uint8_t *buf, size_t size);

enum et_decode_status {
	ET_DEC_OK = 0,
	ET_DEC_TRUNCATED,	/* the buffer ends inside the record */
	ET_DEC_MAJOR,		/* written by a newer major version */
	ET_DEC_MALFORMED,	/* a field is not well formed */
};

/*
 * Decode @len bytes at @buf into @r (r->seq is left alone). Strings in @r
 * point into @buf.
 */
enum et_decode_status et_record_decode(const uint8_t *buf, size_t len,
				       struct et_record *r);

/* A sentence for a decode status, naming what to do. */
const char *et_decode_strerror(enum et_decode_status st);

/* Spool. */

struct et_spool;

struct et_spool_opts {
	size_t map_size;	/* bytes; fixed for the life of the spool */
	unsigned int commit_events;	/* auto-commit after this many */
	int readonly;		/* open for query/status only */
};

struct et_spool_stats {
	uint64_t first_seq;	/* oldest record, 0 if empty */
	uint64_t last_seq;	/* newest committed record, 0 if empty */
	uint64_t records;	/* records stored */
	uint64_t evicted;	/* records evicted since the spool was made */
	uint64_t map_size;	/* bytes */
	uint64_t used;		/* bytes of the map in use (pages written) */
};

/*
 * Open the spool in @dir, creating the directory (one level) and the
 * environment if needed. A readonly open never creates anything. On
 * failure returns NULL with a message in @err.
 */
struct et_spool *et_spool_open(const char *dir, const struct et_spool_opts *o,
			       char *err, size_t errlen);

/*
 * Queue a record for the next group commit and return its sequence number
 * in @seq. Commits by itself when commit_events records are queued.
 */
int et_spool_append(struct et_spool *sp, const uint8_t *rec, size_t len,
		    uint64_t *seq);

/* Records queued and not yet committed. */
unsigned int et_spool_pending(const struct et_spool *sp);

/*
 * Write the queued records in one transaction. When the map is full, the
 * oldest records are evicted until the group fits.
 */
int et_spool_commit(struct et_spool *sp);

/* Flush committed transactions to the storage device. */
int et_spool_sync(struct et_spool *sp);

/*
 * Call @cb for each record with seq >= @from, in order, until it returns
 * non-zero (which is then returned). Reads in chunks, each in its own
 * short read transaction.
 */
typedef int (*et_spool_cb)(uint64_t seq, const uint8_t *rec, size_t len,
			   void *arg);
int et_spool_foreach(struct et_spool *sp, uint64_t from, et_spool_cb cb,
		     void *arg);

int et_spool_stats(struct et_spool *sp, struct et_spool_stats *st);

/*
 * The first sequence number whose record's timestamp is at least @ts, by
 * binary search over the chunks' time ranges, then within the chunk (one
 * short read, a few lookups whatever the spool's size). Records are
 * stored in arrival order, which across CPUs is time order only to within
 * a few milliseconds: callers that need exact bounds back off a little
 * and compare each record's time. *seq is last_seq + 1 when every record
 * is older, and 0 for an empty spool.
 */
int et_spool_seek_time(struct et_spool *sp, uint64_t ts, uint64_t *seq);

const char *et_spool_error(const struct et_spool *sp);

/*
 * Capture files: a raw export of records, the same bytes as in the spool,
 * framed with their sequence numbers (docs/record-format.md, "Capture
 * files"): an 8-byte header "ETCAP", major, minor, 0, then frames of
 * u64 seq, u32 length, u32 CRC-32 of seq, length and the record (all
 * little-endian; format 1: of the record only) and the record. Readable
 * by query --file and run --replay.
 */
#define ET_CAP_MAJOR	2
#define ET_CAP_MINOR	0

int et_capture_write_header(FILE *f);
int et_capture_write(FILE *f, uint64_t seq, const uint8_t *rec, size_t len);

/*
 * Call @cb for every record of the capture file @f, in order, until it
 * returns non-zero (which is returned). On a damaged file returns -1 with
 * a message in @err naming the byte offset and what was wrong (not a
 * capture, newer version, cut short, checksum).
 */
int et_capture_read(FILE *f, et_spool_cb cb, void *arg, char *err,
		    size_t errlen);

/*
 * Named cursors: where a consumer of the spool (the uplink, an operator's
 * repeated exports) reads next. They live in the spool's environment, so
 * they survive restarts and are as durable as the records: a cursor moved
 * by the process that appends is committed in the same transaction as the
 * records queued before the move, and a cursor can never be set past the
 * last record (et_spool_cursor_set fails). Records evicted before a
 * consumer read them are those below first_seq: a cursor below it means
 * first_seq - cursor records were lost to that consumer.
 *
 * Names: 1 to ET_CURSOR_NAME_MAX characters of a-z, 0-9, '_', '-', '.'.
 */
#define ET_CURSOR_NAME_MAX	32
#define ET_CURSORS_MAX		8	/* cursors moved in one commit */

/* *@seq = the cursor's next sequence number, 0 if it was never set. */
int et_spool_cursor_get(struct et_spool *sp, const char *name, uint64_t *seq);

/*
 * Move cursor @name to @seq (the next record its consumer wants, at most
 * last_seq + 1). With records queued, the move is committed with them;
 * otherwise at once.
 */
int et_spool_cursor_set(struct et_spool *sp, const char *name, uint64_t seq);

/* Call @cb for each cursor, by name, until it returns non-zero. */
int et_spool_cursor_foreach(struct et_spool *sp,
			    int (*cb)(const char *name, uint64_t seq, void *arg),
			    void *arg);

/*
 * State: small named values a consumer keeps next to its cursor (the
 * uplink's in-flight batch), in the spool's "meta" database under
 * "state.NAME", as durable as the records. Names as for cursors; values
 * at most ET_STATE_MAX bytes.
 */
#define ET_STATE_MAX		256

/*
 * Read state @name into @buf (@size bytes); *@len = its length, 0 if it
 * was never set (or was deleted). -1 if it is longer than @size.
 */
int et_spool_state_get(struct et_spool *sp, const char *name, void *buf,
		       size_t size, size_t *len);

/*
 * In one write transaction: set state @name to @len bytes at @val (@len 0
 * deletes it) and, when @cursor is not NULL, move that cursor to @seq (at
 * most last_seq + 1, as et_spool_cursor_set). Records queued by this
 * process are committed first, in their own transaction.
 */
int et_spool_state_set(struct et_spool *sp, const char *name,
		       const void *val, size_t len, const char *cursor,
		       uint64_t seq);

/* Commit what is queued, sync and close. Returns -1 if that failed. */
int et_spool_close(struct et_spool *sp);

#endif /* EDGETRACE_STORAGE_H */
