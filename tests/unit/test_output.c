// SPDX-License-Identifier: GPL-2.0
/*
 * test_output.c - JSON lines: the contract's keys, and escaping of the
 * arbitrary bytes a kernel string can hold; a reduced-mode record says so,
 * and what it lacks is null or left out, never a made-up zero.
 */
#include "check.h"
#include "core.h"
#include "edgetrace.h"

static char out[8192];

static const char *json_of(const char *s, size_t len)
{
	FILE *f = fmemopen(out, sizeof(out), "w");

	et_json_string(f, s, len);
	fclose(f);
	return out;
}

static void escapes(void)
{
	CHECK_STR("\"plain /usr/bin/ls\"", json_of("plain /usr/bin/ls", 17));
	CHECK_STR("\"a\\\"b\\\\c\"", json_of("a\"b\\c", 5));
	CHECK_STR("\"\\n\\t\\u0001\\u007f\"", json_of("\n\t\x01\x7f", 4));
	CHECK_STR("\"nul\\u0000in\"", json_of("nul\0in", 6));
}

static void utf8(void)
{
	/* valid UTF-8 passes through, invalid bytes are escaped one by one */
	CHECK_STR("\"caf\xc3\xa9\"", json_of("caf\xc3\xa9", 5));
	CHECK_STR("\"\xe2\x82\xac\"", json_of("\xe2\x82\xac", 3));
	CHECK_STR("\"\\u00c3(\"", json_of("\xc3(", 2));
	CHECK_STR("\"\\u00c0\\u00af\"", json_of("\xc0\xaf", 2));	/* overlong */
	CHECK_STR("\"\\u00ed\\u00a0\\u0080\"", json_of("\xed\xa0\x80", 3));
	CHECK_STR("\"\\u00e2\\u0082\"", json_of("\xe2\x82", 2));	/* cut */
}

static void exec_line(void)
{
	struct et_record r = {
		.seq = 12, .ts = 1000, .type = ET_REC_EXEC, .pid = 7, .tid = 7,
		.ppid = 1, .uid = 0, .gid = 0,
		.ev_flags = ET_EXEC_ARGS_TRUNC,
		.comm = { "true", 4 }, .exe = { "/usr/bin/true", 13 },
		.filename = { "./true", 6 }, .args = { "./true\0x\0", 9 },
	};
	FILE *f;

	for (int i = ET_F_PPID; i <= ET_F_FLAGS; i++)
		et_record_set(&r, i);
	f = fmemopen(out, sizeof(out), "w");
	et_print_json(f, &r);
	fclose(f);
	CHECK_STR("{\"seq\":12,\"ts\":1000,\"type\":\"exec\",\"proc\":{\"pid\":7,"
		  "\"tid\":7,\"ppid\":1,\"name\":\"true\",\"exe\":\"/usr/bin/true\","
		  "\"filename\":\"./true\",\"cmdline\":\"./true x\",\"uid\":0,"
		  "\"gid\":0,\"cmdline_truncated\":true}}\n", out);
}

static const char *line_of(const struct et_record *r)
{
	FILE *f = fmemopen(out, sizeof(out), "w");

	et_print_json(f, r);
	fclose(f);
	return out;
}

static void exit_lines(void)
{
	struct et_record r = {
		.seq = 3, .ts = 5, .type = ET_REC_EXIT, .pid = 9, .tid = 9,
		.ppid = 1, .status = 2 << 8, .lifetime = 77,
	};

	et_record_set(&r, ET_F_PPID);
	et_record_set(&r, ET_F_STATUS);
	et_record_set(&r, ET_F_LIFETIME);
	CHECK_STR("{\"seq\":3,\"ts\":5,\"type\":\"exit\",\"proc\":{\"pid\":9,"
		  "\"tid\":9,\"ppid\":1},\"exit\":{\"code\":2,\"signal\":null,"
		  "\"signame\":null,\"core\":false,\"lifetime_ns\":77}}\n",
		  line_of(&r));
	/* reduced mode: a signal, no core-dump bit, no lifetime */
	r.flags = ET_REC_FLAG_REDUCED;
	r.status = 15;
	r.present &= ~(1ull << ET_F_LIFETIME);
	CHECK_STR("{\"seq\":3,\"ts\":5,\"type\":\"exit\","
		  "\"proc\":{\"pid\":9,\"tid\":9,\"ppid\":1},\"exit\":{"
		  "\"code\":null,\"signal\":15,\"signame\":\"SIGTERM\","
		  "\"core\":null,\"lifetime_ns\":null},\"reduced\":true}\n",
		  line_of(&r));
	/* and no status either */
	r.present &= ~(1ull << ET_F_STATUS);
	CHECK_STR("{\"seq\":3,\"ts\":5,\"type\":\"exit\","
		  "\"proc\":{\"pid\":9,\"tid\":9,\"ppid\":1},\"exit\":{"
		  "\"code\":null,\"signal\":null,\"signame\":null,"
		  "\"core\":null,\"lifetime_ns\":null},\"reduced\":true}\n",
		  line_of(&r));
}

static void reduced_exec_line(void)
{
	struct et_record r = {
		.seq = 4, .ts = 6, .type = ET_REC_EXEC, .pid = 8, .tid = 8,
		.flags = ET_REC_FLAG_REDUCED, .uid = 5, .gid = 6,
		.comm = { "true", 4 }, .filename = { "./true", 6 },
	};

	et_record_set(&r, ET_F_COMM);
	et_record_set(&r, ET_F_FILENAME);
	et_record_set(&r, ET_F_UID);
	et_record_set(&r, ET_F_GID);
	CHECK_STR("{\"seq\":4,\"ts\":6,\"type\":\"exec\","
		  "\"proc\":{\"pid\":8,\"tid\":8,\"name\":\"true\","
		  "\"filename\":\"./true\",\"uid\":5,\"gid\":6},"
		  "\"reduced\":true}\n", line_of(&r));
}

CHECK_MAIN_BEGIN("test_output")
	RUN(escapes);
	RUN(utf8);
	RUN(exec_line);
	RUN(exit_lines);
	RUN(reduced_exec_line);
CHECK_MAIN_END
