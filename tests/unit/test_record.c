// SPDX-License-Identifier: GPL-2.0
/*
 * test_record.c - the record format: round trip, the documented example,
 * forward compatibility (unknown fields skipped, newer major refused) and
 * every way a damaged record can be cut or corrupted.
 */
#include "check.h"
#include "storage.h"

static struct et_record sample(void)
{
	struct et_record r = {
		.type = ET_REC_EXEC, .pid = 4242, .tid = 4242,
		.ts = 1763755200123456789ull, .ppid = 1, .uid = 1000,
		.gid = 100,
		.comm = { "ls", 2 }, .exe = { "/usr/bin/ls", 11 },
		.filename = { "./ls", 4 }, .args = { "ls\0-l\0", 6 },
	};

	et_record_set(&r, ET_F_PPID);
	et_record_set(&r, ET_F_UID);
	et_record_set(&r, ET_F_GID);
	et_record_set(&r, ET_F_COMM);
	et_record_set(&r, ET_F_EXE);
	et_record_set(&r, ET_F_FILENAME);
	et_record_set(&r, ET_F_ARGS);
	return r;
}

static void roundtrip(void)
{
	struct et_record in = sample(), out = { .seq = 7 };
	uint8_t buf[256];
	size_t n = et_record_encode(&in, buf, sizeof(buf));

	CHECK(n > ET_REC_HDR_SIZE);
	CHECK_INT(ET_DEC_OK, et_record_decode(buf, n, &out));
	CHECK_INT(7, out.seq);
	CHECK_INT(ET_REC_EXEC, out.type);
	CHECK_INT(4242, out.pid);
	CHECK_INT(4242, out.tid);
	CHECK_INT(1763755200123456789ull, out.ts);
	CHECK_INT(1, out.ppid);
	CHECK_INT(1000, out.uid);
	CHECK_INT(100, out.gid);
	CHECK_INT(in.present, out.present);
	CHECK_MEM("ls", out.comm.p, out.comm.len);
	CHECK_MEM("/usr/bin/ls", out.exe.p, out.exe.len);
	CHECK_MEM("./ls", out.filename.p, out.filename.len);
	CHECK_INT(6, out.args.len);
	CHECK(!memcmp(out.args.p, "ls\0-l\0", 6));
}

/* The worked example of docs/record-format.md, byte for byte. */
static void documented_example(void)
{
	static const uint8_t doc[] = {
		0x01, 0x01, 0x01, 0x00, 0x92, 0x10, 0x00, 0x00,
		0x92, 0x10, 0x00, 0x00, 0x15, 0x4d, 0x1b, 0x7e,
		0x02, 0x1e, 0x7a, 0x18,
		0x02, 0x01, 0x04, 0xe8, 0x07, 0x06, 0x64,
		0x09, 0x02, 'l', 's',
		0x0b, 0x0b, '/', 'u', 's', 'r', '/', 'b', 'i', 'n', '/', 'l', 's',
		0x0d, 0x04, '.', '/', 'l', 's',
		0x0f, 0x06, 'l', 's', 0, '-', 'l', 0,
	};
	struct et_record in = sample();
	uint8_t buf[256];
	size_t n = et_record_encode(&in, buf, sizeof(buf));

	CHECK_INT(sizeof(doc), n);
	for (size_t i = 0; i < n; i++)
		if (buf[i] != doc[i])
			CHECK_FAIL("byte %zu: expected 0x%02x, got 0x%02x", i,
				   doc[i], buf[i]);
}

static void unknown_field_skipped(void)
{
	struct et_record in = sample(), out;
	uint8_t buf[256];
	size_t n = et_record_encode(&in, buf, sizeof(buf));

	/* a newer writer's field 60 (varint 300) and field 61 (bytes "xy") */
	buf[n++] = 60 << 1;
	buf[n++] = 0xac;
	buf[n++] = 0x02;
	buf[n++] = 61 << 1 | 1;
	buf[n++] = 2;
	buf[n++] = 'x';
	buf[n++] = 'y';
	buf[1] = 9;	/* newer minor version */
	CHECK_INT(ET_DEC_OK, et_record_decode(buf, n, &out));
	CHECK_MEM("/usr/bin/ls", out.exe.p, out.exe.len);
	CHECK_INT(in.present, out.present);
}

static void newer_major_refused(void)
{
	struct et_record in = sample(), out;
	uint8_t buf[256];
	size_t n = et_record_encode(&in, buf, sizeof(buf));

	buf[0] = ET_REC_MAJOR + 1;
	CHECK_INT(ET_DEC_MAJOR, et_record_decode(buf, n, &out));
	CHECK(strstr(et_decode_strerror(ET_DEC_MAJOR), "newer") != NULL);
}

/* Every prefix of a record is refused, none is read past its end. */
static void every_truncation_refused(void)
{
	struct et_record in = sample(), out;
	uint8_t buf[256];
	size_t n = et_record_encode(&in, buf, sizeof(buf));

	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		enum et_decode_status st;

		memcpy(copy, buf, cut);
		st = et_record_decode(copy, cut, &out);
		free(copy);
		/* a cut exactly between two fields is a shorter valid record */
		if (st == ET_DEC_OK && cut >= ET_REC_HDR_SIZE)
			continue;
		if (st != ET_DEC_TRUNCATED)
			CHECK_FAIL("cut at %zu: expected TRUNCATED, got %d",
				   cut, st);
	}
}

static void malformed_refused(void)
{
	struct et_record in = sample(), out;
	uint8_t buf[256];
	size_t n = et_record_encode(&in, buf, sizeof(buf));
	uint8_t bad[64];

	/* a string field sent with the varint wire kind */
	memcpy(bad, buf, ET_REC_HDR_SIZE);
	bad[ET_REC_HDR_SIZE] = ET_F_EXE << 1;
	bad[ET_REC_HDR_SIZE + 1] = 5;
	CHECK_INT(ET_DEC_MALFORMED,
		  et_record_decode(bad, ET_REC_HDR_SIZE + 2, &out));
	/* a varint longer than 64 bits */
	bad[ET_REC_HDR_SIZE] = ET_F_UID << 1;
	memset(bad + ET_REC_HDR_SIZE + 1, 0xff, 11);
	bad[ET_REC_HDR_SIZE + 12] = 0;
	CHECK_INT(ET_DEC_MALFORMED,
		  et_record_decode(bad, ET_REC_HDR_SIZE + 13, &out));
	/* a uid above 32 bits */
	bad[ET_REC_HDR_SIZE + 1] = 0x80;
	bad[ET_REC_HDR_SIZE + 2] = 0x80;
	bad[ET_REC_HDR_SIZE + 3] = 0x80;
	bad[ET_REC_HDR_SIZE + 4] = 0x80;
	bad[ET_REC_HDR_SIZE + 5] = 0x10;
	CHECK_INT(ET_DEC_MALFORMED,
		  et_record_decode(bad, ET_REC_HDR_SIZE + 6, &out));
	/* version 0 is not a record */
	buf[0] = 0;
	CHECK_INT(ET_DEC_MALFORMED, et_record_decode(buf, n, &out));
}

static void encode_refuses_small_buffer(void)
{
	struct et_record in = sample();
	uint8_t buf[256];
	size_t n = et_record_encode(&in, buf, sizeof(buf));

	CHECK(n > 0);
	CHECK_INT(0, et_record_encode(&in, buf, n - 1));
	CHECK_INT(0, et_record_encode(&in, buf, 4));
	CHECK_INT(n, et_record_encode(&in, buf, n));
}

static void type_names(void)
{
	CHECK_STR("exec", et_rec_type_name(ET_REC_EXEC));
	CHECK_STR("gap", et_rec_type_name(ET_REC_GAP));
	CHECK(et_rec_type_name(0) == NULL);
	CHECK(et_rec_type_name(200) == NULL);
}

CHECK_MAIN_BEGIN("test_record")
	RUN(roundtrip);
	RUN(documented_example);
	RUN(unknown_field_skipped);
	RUN(newer_major_refused);
	RUN(every_truncation_refused);
	RUN(malformed_refused);
	RUN(encode_refuses_small_buffer);
	RUN(type_names);
CHECK_MAIN_END
