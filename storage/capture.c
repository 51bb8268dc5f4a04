// SPDX-License-Identifier: GPL-2.0
/*
 * capture.c - capture files: records framed with their sequence numbers.
 *
 * A capture is what `export --format raw` writes and what `query --file`
 * and `run --replay` read. The records are the spool's bytes unchanged, so
 * a capture decodes with the same record reader; each frame carries a
 * CRC-32 (zlib's) so that a copy damaged on the way from the device is
 * detected at the frame it hits, not decoded as nonsense.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include <zlib.h>

#include "le.h"
#include "storage.h"

#define HDR_LEN		8
#define FRAME_LEN	16

int et_capture_write_header(FILE *f)
{
	static const uint8_t hdr[HDR_LEN] = {
		'E', 'T', 'C', 'A', 'P', ET_CAP_MAJOR, ET_CAP_MINOR, 0,
	};

	return fwrite(hdr, 1, HDR_LEN, f) == HDR_LEN ? 0 : -1;
}

/*
 * Format 2 checks the frame's seq and length with the record; format 1
 * checked the record only, so a damaged seq went unnoticed.
 */
static uint32_t frame_crc(unsigned int major, const uint8_t *fr,
			  const uint8_t *rec, size_t len)
{
	uLong crc = major >= 2 ? crc32(0, fr, 12) : 0;

	return crc32(crc, rec, len);
}

int et_capture_write(FILE *f, uint64_t seq, const uint8_t *rec, size_t len)
{
	uint8_t fr[FRAME_LEN];

	put_le32(fr, (uint32_t)seq);
	put_le32(fr + 4, (uint32_t)(seq >> 32));
	put_le32(fr + 8, len);
	put_le32(fr + 12, frame_crc(ET_CAP_MAJOR, fr, rec, len));
	if (fwrite(fr, 1, FRAME_LEN, f) != FRAME_LEN ||
	    fwrite(rec, 1, len, f) != len)
		return -1;
	return 0;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Check the file header; *@major gets the format's major version. */
static int read_header(FILE *f, unsigned int *major, char *err,
		       size_t errlen)
{
	uint8_t hdr[HDR_LEN];

	if (fread(hdr, 1, HDR_LEN, f) != HDR_LEN || memcmp(hdr, "ETCAP", 5))
		return fail(err, errlen, "not an edgetrace capture file (it "
			    "does not start with ETCAP): give a file written by "
			    "'edgetrace export --format raw'");
	if (hdr[5] > ET_CAP_MAJOR)
		return fail(err, errlen, "capture file format %u.%u is newer "
			    "than this edgetrace reads (%d.x): read it with a "
			    "newer edgetrace", hdr[5], hdr[6], ET_CAP_MAJOR);
	*major = hdr[5];
	return 0;
}

int et_capture_read(FILE *f, et_spool_cb cb, void *arg, char *err,
		    size_t errlen)
{
	uint8_t fr[FRAME_LEN], rec[ET_REC_MAX_SIZE];
	uint64_t off = HDR_LEN, seq = 0;
	unsigned int major = ET_CAP_MAJOR;
	size_t n;
	int ret;

	if (read_header(f, &major, err, errlen))
		return -1;
	while ((n = fread(fr, 1, FRAME_LEN, f)) == FRAME_LEN) {
		uint32_t len = get_le32(fr + 8);

		seq = get_le32(fr) | (uint64_t)get_le32(fr + 4) << 32;
		if (len > ET_REC_MAX_SIZE)
			return fail(err, errlen, "capture damaged at byte %"
				    PRIu64 " (seq %" PRIu64 "): a record of "
				    "%u bytes", off, seq, len);
		if (fread(rec, 1, len, f) != len)
			return fail(err, errlen, "capture cut short at byte %"
				    PRIu64 ", inside the record of seq %"
				    PRIu64, off, seq);
		if (frame_crc(major, fr, rec, len) != get_le32(fr + 12))
			return fail(err, errlen, "capture damaged at byte %"
				    PRIu64 ": the frame of seq %" PRIu64
				    " fails its checksum", off, seq);
		ret = cb(seq, rec, len, arg);
		if (ret)
			return ret;
		off += FRAME_LEN + len;
	}
	if (n)
		return fail(err, errlen, "capture cut short at byte %" PRIu64
			    ", inside a frame header (after seq %" PRIu64 ")",
			    off, seq);
	if (ferror(f))
		return fail(err, errlen, "cannot read the capture: %s",
			    strerror(errno));
	return 0;
}
