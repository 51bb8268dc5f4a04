// SPDX-License-Identifier: GPL-2.0
/*
 * test_event.c - ring buffer events to records: a well-formed exec
 * converts field by field, and every inconsistent length or size is
 * refused instead of being read past the event's end. Events of the
 * reduced probes leave out what they did not read and mark the record.
 */
#include <linux/types.h>

#include "check.h"
#include "core.h"
#include "edgetrace.h"

static struct et_exec ev;
static struct et_scratch sc;

static size_t make_exec(void)
{
	size_t size;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.ts = 1000;
	ev.hdr.type = ET_EV_EXEC;
	ev.hdr.pid = 42;
	ev.hdr.tid = 43;
	ev.ppid = 1;
	ev.uid = 1000;
	ev.gid = 100;
	memcpy(ev.hdr.comm, "true", 5);
	memcpy(ev.tty, "pts3", 5);
	ev.euid = 1001;
	ev.egid = 101;
	ev.sid = 77;
	/* argv, filename, exe, cwd, packed */
	memcpy(ev.data, "./true\0x\0./true\0/usr/bin/true\0/home/u", 38);
	ev.args_len = 9;
	ev.filename_len = 6;
	ev.exe_len = 13;
	ev.cwd_len = 7;
	size = ET_EXEC_FIXED_SIZE + 9 + 7 + 14 + 8;
	ev.hdr.size = size;
	return size;
}

static void exec_converts(void)
{
	size_t size = make_exec();
	struct et_record r;

	CHECK_INT(0, et_event_to_record(&ev, size, 5000, &r, &sc));
	CHECK_INT(ET_REC_EXEC, r.type);
	CHECK_INT(6000, r.ts);
	CHECK_INT(42, r.pid);
	CHECK_INT(43, r.tid);
	CHECK_INT(1, r.ppid);
	CHECK_INT(1000, r.uid);
	CHECK_INT(100, r.gid);
	CHECK_MEM("true", r.comm.p, r.comm.len);
	CHECK_MEM("/usr/bin/true", r.exe.p, r.exe.len);
	CHECK_MEM("./true", r.filename.p, r.filename.len);
	CHECK_INT(9, r.args.len);
	CHECK(et_record_has(&r, ET_F_EXE));
	CHECK_MEM("/home/u", r.cwd.p, r.cwd.len);
	CHECK_MEM("pts/3", r.tty.p, r.tty.len);
	CHECK_INT(1001, r.euid);
	CHECK_INT(101, r.egid);
	CHECK_INT(77, r.sid);
}

static void full_comm_not_overrun(void)
{
	size_t size = make_exec();
	struct et_record r;

	memset(ev.hdr.comm, 'c', sizeof(ev.hdr.comm));	/* no NUL at all */
	CHECK_INT(0, et_event_to_record(&ev, size, 0, &r, &sc));
	CHECK_INT(ET_COMM_LEN, r.comm.len);
}

static void bad_sizes_refused(void)
{
	struct et_record r;
	size_t size;

	size = make_exec();
	CHECK_INT(-1, et_event_to_record(&ev, sizeof(ev.hdr) - 1, 0, &r, &sc));
	CHECK_INT(-1, et_event_to_record(&ev, size - 1, 0, &r, &sc)); /* != hdr.size */
	size = make_exec();
	ev.exe_len = 200;	/* paths would run past the event */
	CHECK_INT(-1, et_event_to_record(&ev, size, 0, &r, &sc));
	size = make_exec();
	ev.args_len = CONFIG_EXEC_ARGV_BYTES + 1;
	CHECK_INT(-1, et_event_to_record(&ev, size, 0, &r, &sc));
	size = make_exec();
	ev.filename_len = ET_FILENAME_MAX;
	CHECK_INT(-1, et_event_to_record(&ev, size, 0, &r, &sc));
	size = make_exec();
	ev.hdr.size = ev.hdr.size - 1;
	CHECK_INT(-1, et_event_to_record(&ev, size, 0, &r, &sc));
	/* shorter than the fixed part of an exec */
	make_exec();
	ev.hdr.size = ET_EXEC_FIXED_SIZE - 1;
	CHECK_INT(-1, et_event_to_record(&ev, ET_EXEC_FIXED_SIZE - 1, 0, &r, &sc));
}

static void unknown_type_refused(void)
{
	size_t size = make_exec();
	struct et_record r;

	ev.hdr.type = 99;
	CHECK_INT(-1, et_event_to_record(&ev, size, 0, &r, &sc));
}

/* The reduced probes' exec: no ppid, euid, egid, sid, tty, exe, cwd. */
static void reduced_exec(void)
{
	struct et_record r;
	size_t size;

	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = ET_EV_EXEC;
	ev.hdr.pid = ev.hdr.tid = 42;
	ev.uid = 1000;
	ev.gid = 100;
	ev.flags = ET_EXEC_REDUCED | ET_EXEC_ARGS_TRUNC;
	memcpy(ev.data, "./true\0x\0./true\0\0", 18);
	ev.args_len = 9;
	ev.filename_len = 6;
	size = ET_EXEC_FIXED_SIZE + 9 + 7 + 1 + 1;
	ev.hdr.size = size;
	CHECK_INT(0, et_event_to_record(&ev, size, 0, &r, &sc));
	CHECK_INT(ET_REC_FLAG_REDUCED, r.flags);
	CHECK_INT(ET_EXEC_ARGS_TRUNC, r.ev_flags);
	CHECK_INT(1000, r.uid);
	CHECK_INT(100, r.gid);
	CHECK_MEM("./true", r.filename.p, r.filename.len);
	CHECK_INT(9, r.args.len);
	CHECK(et_record_has(&r, ET_F_ARGS));
	for (int f = ET_F_PPID; f < ET_F_NR; f++)
		if ((f == ET_F_PPID || f == ET_F_EUID || f == ET_F_EGID ||
		     f == ET_F_SID || f == ET_F_TTY || f == ET_F_EXE ||
		     f == ET_F_CWD) && et_record_has(&r, f))
			CHECK_FAIL("field %d present in a reduced exec", f);
	/* argv not seen at all: absent, not empty */
	ev.flags = ET_EXEC_REDUCED | ET_EXEC_ARGS_NONE;
	ev.args_len = 0;
	memcpy(ev.data, "./true\0\0", 9);
	size = ET_EXEC_FIXED_SIZE + 7 + 1 + 1;
	ev.hdr.size = size;
	CHECK_INT(0, et_event_to_record(&ev, size, 0, &r, &sc));
	CHECK(!et_record_has(&r, ET_F_ARGS));
	CHECK_INT(0, r.ev_flags);
}

static void reduced_fork_and_exit(void)
{
	struct et_fork fk = { .hdr = { .type = ET_EV_FORK, .size = sizeof(fk) },
			      .ppid = 3, .flags = ET_FORK_REDUCED |
			      ET_FORK_THREAD };
	struct et_exit ex = { .hdr = { .type = ET_EV_EXIT, .size = sizeof(ex) },
			      .ppid = 3, .code = 15, .lifetime_ns = 9 };
	struct et_record r;

	CHECK_INT(0, et_event_to_record(&fk, sizeof(fk), 0, &r, &sc));
	CHECK_INT(ET_REC_FLAG_REDUCED, r.flags);
	CHECK_INT(ET_FORK_THREAD, r.ev_flags);
	CHECK_INT(3, r.ppid);
	/* the full probes' exit: everything, and no mark */
	CHECK_INT(0, et_event_to_record(&ex, sizeof(ex), 0, &r, &sc));
	CHECK_INT(0, r.flags);
	CHECK(et_record_has(&r, ET_F_PPID) && et_record_has(&r, ET_F_STATUS) &&
	      et_record_has(&r, ET_F_LIFETIME));
	CHECK_INT(9, r.lifetime);
	ex.flags = ET_EXIT_REDUCED;
	CHECK_INT(0, et_event_to_record(&ex, sizeof(ex), 0, &r, &sc));
	CHECK_INT(ET_REC_FLAG_REDUCED, r.flags);
	CHECK_INT(15, r.status);
	CHECK(et_record_has(&r, ET_F_STATUS));
	CHECK(!et_record_has(&r, ET_F_PPID) && !et_record_has(&r, ET_F_LIFETIME));
	ex.flags = ET_EXIT_REDUCED | ET_EXIT_NO_STATUS;
	CHECK_INT(0, et_event_to_record(&ex, sizeof(ex), 0, &r, &sc));
	CHECK(!et_record_has(&r, ET_F_STATUS));
}

CHECK_MAIN_BEGIN("test_event")
	RUN(exec_converts);
	RUN(full_comm_not_overrun);
	RUN(bad_sizes_refused);
	RUN(unknown_type_refused);
	RUN(reduced_exec);
	RUN(reduced_fork_and_exit);
CHECK_MAIN_END
