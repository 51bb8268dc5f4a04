// SPDX-License-Identifier: GPL-2.0
/*
 * sink_ndjson.c - the NDJSON sink: DIR/DEVICE/YYYY-MM-DD.ndjson, one JSON
 * line per record (the day of the record's own timestamp, UTC), exactly
 * as `edgetrace export --format jsonl` prints it.
 *
 * Lines are appended (O_APPEND) and each file touched is fsync'ed, and a
 * file or directory created is made durable by an fsync of its parent,
 * before the batch is acknowledged. When NDJSON is the only sink, a marker
 * file DIR/DEVICE/.batches/SEQ, created with O_EXCL once the lines are
 * synced, records that the batch was stored: a batch whose marker exists
 * is a duplicate. docs/collector.md, "Crash windows", says what a crash
 * between the lines and the marker leaves.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"

/* A path, cut at @len (--ndjson is checked to leave room for the rest). */
static void pathf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

/* mkdir @path under @parent if missing, durably. */
static int make_dir(const char *parent, const char *path, char *err,
		    size_t errlen)
{
	if (!mkdir(path, 0750)) {
		if (fsync_dir(parent)) {
			snprintf(err, errlen, "ndjson: fsync %s: %s", parent,
				 strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	snprintf(err, errlen, "ndjson: mkdir %s: %s", path, strerror(errno));
	return -1;
}

int co_ndjson_check(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st)) {
		snprintf(err, errlen, "--ndjson %s: %s (create the directory "
			 "first)", dir, strerror(errno));
		return -1;
	}
	if (strlen(dir) > 3000) {
		snprintf(err, errlen, "--ndjson: a path of at most 3000 bytes");
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--ndjson %s: not a directory", dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK)) {
		snprintf(err, errlen, "--ndjson %s: not writable: %s", dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static void marker_path(const char *dir, const struct co_batch *b, char *buf,
			size_t len)
{
	pathf(buf, len, "%s/%s/.batches/%" PRIu64, dir, b->h.device_id,
		 b->h.batch_seq);
}

int co_ndjson_seen(const char *dir, const struct co_batch *b, char *err,
		   size_t errlen)
{
	char path[4096];

	marker_path(dir, b, path, sizeof(path));
	if (!access(path, F_OK))
		return 1;
	if (errno == ENOENT)
		return 0;
	snprintf(err, errlen, "ndjson: %s: %s", path, strerror(errno));
	return -1;
}

int co_ndjson_mark(const char *dir, const struct co_batch *b, char *err,
		   size_t errlen)
{
	char path[4096], parent[4096], bdir[4096];
	int fd;

	pathf(parent, sizeof(parent), "%s/%s", dir, b->h.device_id);
	pathf(bdir, sizeof(bdir), "%s/.batches", parent);
	if (make_dir(parent, bdir, err, errlen))
		return -1;
	marker_path(dir, b, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		if (errno == EEXIST)
			return 1;
		snprintf(err, errlen, "ndjson: %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	if (fsync_dir(bdir)) {
		snprintf(err, errlen, "ndjson: fsync %s: %s", bdir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static void day_of(uint64_t ts, char *buf, size_t len)
{
	time_t t = (time_t)(ts / 1000000000ull);
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		snprintf(buf, len, "1970-01-01");
	else
		strftime(buf, len, "%Y-%m-%d", &tm);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= w;
	}
	return 0;
}

/* Close the day file @fd, synced: 0 or -1 with errno. */
static int close_synced(int fd)
{
	int ret = fsync(fd);
	int e = errno;

	close(fd);
	errno = e;
	return ret;
}

int co_ndjson_write(const char *dir, const struct co_batch *b, char *err,
		    size_t errlen)
{
	char ddir[4096], path[4200], day[16], cur[16] = "";
	int fd = -1, created = 0;
	size_t i, j;

	pathf(ddir, sizeof(ddir), "%s/%s", dir, b->h.device_id);
	if (make_dir(dir, ddir, err, errlen))
		return -1;
	for (i = 0; i < b->nrecs; i = j) {
		/* the run of records of the same day */
		day_of(b->recs[i].ts, day, sizeof(day));
		for (j = i + 1; j < b->nrecs; j++) {
			char d[16];

			day_of(b->recs[j].ts, d, sizeof(d));
			if (strcmp(d, day))
				break;
		}
		if (strcmp(day, cur)) {
			if (fd >= 0) {
				int ret = close_synced(fd);

				fd = -1;
				if (ret)
					goto fail_io;
			}
			snprintf(cur, sizeof(cur), "%s", day);
			pathf(path, sizeof(path), "%s/%s.ndjson", ddir, day);
			fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
				  O_CLOEXEC, 0640);
			if (fd >= 0)
				created = 1;
			else if (errno == EEXIST)
				fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
			if (fd < 0)
				goto fail_io;
		}
		if (write_all(fd, b->json + b->recs[i].off,
			      b->recs[j - 1].off + b->recs[j - 1].len -
			      b->recs[i].off))
			goto fail_io;
	}
	if (fd >= 0 && close_synced(fd)) {
		fd = -1;
		goto fail_io;
	}
	if (created && fsync_dir(ddir)) {
		pathf(path, sizeof(path), "%s", ddir);
		fd = -1;
		goto fail_io;
	}
	return 0;

fail_io:
	snprintf(err, errlen, "ndjson: %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}
