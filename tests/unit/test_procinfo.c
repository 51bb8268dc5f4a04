// SPDX-License-Identifier: GPL-2.0
/*
 * test_procinfo.c - what /proc tells of a live process (core/procinfo.c),
 * read from a fake procfs and sysfs tree: ppid, session, tty, effective
 * ids, exe and cwd of the process whose comm matches the event's (a comm
 * with spaces and parentheses included); a process that is gone or whose
 * comm differs (a reused pid) is refused; fields that cannot be read are
 * left out one by one; tty numbers become the names the kernel gives.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "procinfo.h"

static char root[64], procfs[128], sysfs[128];

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		printf("FAIL test_procinfo.setup: cannot write %s\n", path);
		exit(1);
	}
}

static void mkdirs(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (mkdir(path, 0755) && errno != EEXIST) {
		printf("FAIL test_procinfo.setup: mkdir %s\n", path);
		exit(1);
	}
}

static void link_to(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	if (symlink(target, path)) {
		printf("FAIL test_procinfo.setup: symlink %s\n", path);
		exit(1);
	}
}

static const char status_text[] =
	"Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t123\n"
	"Pid:\t123\nPPid:\t7\nTracerPid:\t0\nUid:\t1000\t0\t0\t0\n"
	"Gid:\t100\t50\t50\t50\nFDSize:\t64\n";

static void make_tree(void)
{
	snprintf(root, sizeof(root), "/tmp/et-procinfo-XXXXXX");
	if (!mkdtemp(root)) {
		printf("FAIL test_procinfo.setup: mkdtemp\n");
		exit(1);
	}
	snprintf(procfs, sizeof(procfs), "%s/proc", root);
	snprintf(sysfs, sizeof(sysfs), "%s/sys", root);
	mkdirs("proc");
	mkdirs("proc/123");
	put("proc/123/stat", "123 (sleep) S 7 123 100 34819 123 4194304 "
	    "1 2 3 4 5 6 7 8 20 0 1 0 500 1 1\n");
	put("proc/123/status", status_text);
	link_to("/usr/bin/sleep", "proc/123/exe");
	link_to("/home/u", "proc/123/cwd");
	/* a comm with spaces and ')'; a serial console; no exe */
	mkdirs("proc/200");
	put("proc/200/stat", "200 (a) b (c)) R 1 200 200 1088 -1 0\n");
	put("proc/200/status", "Name:\tx\n");
	link_to("/", "proc/200/cwd");
	mkdirs("sys");
	mkdirs("sys/dev");
	mkdirs("sys/dev/char");
	link_to("../../devices/platform/serial8250/tty/ttyS0",
		"sys/dev/char/4:64");
	/* no tty, and a truncated stat */
	mkdirs("proc/300");
	put("proc/300/stat", "300 (k) S 2 0 0 0 -1\n");
	mkdirs("proc/400");
	put("proc/400/stat", "400 (t) S 9 ");
}

static void reads_live_process(void)
{
	struct et_procinfo pi;

	CHECK_INT(0, et_procinfo_read(procfs, sysfs, 123, "sleep", 5, &pi));
	CHECK_INT(ET_PI_PPID | ET_PI_SID | ET_PI_TTY | ET_PI_EUID | ET_PI_EGID |
		  ET_PI_EXE | ET_PI_CWD, pi.have);
	CHECK_INT(7, pi.ppid);
	CHECK_INT(100, pi.sid);
	CHECK_INT(34819, pi.tty_nr);
	CHECK_STR("pts/3", pi.tty);
	CHECK_INT(0, pi.euid);	/* the effective uid, not the real 1000 */
	CHECK_INT(50, pi.egid);
	CHECK_MEM("/usr/bin/sleep", pi.exe, pi.exe_len);
	CHECK_MEM("/home/u", pi.cwd, pi.cwd_len);
}

static void odd_comm_and_missing_parts(void)
{
	struct et_procinfo pi;

	CHECK_INT(0, et_procinfo_read(procfs, sysfs, 200, "a) b (c)", 8, &pi));
	CHECK_INT(ET_PI_PPID | ET_PI_SID | ET_PI_TTY | ET_PI_CWD, pi.have);
	CHECK_INT(1, pi.ppid);
	CHECK_INT(200, pi.sid);
	CHECK_STR("ttyS0", pi.tty);	/* 4:64 named by sysfs */
	CHECK_MEM("/", pi.cwd, pi.cwd_len);
	CHECK_INT(0, et_procinfo_read(procfs, sysfs, 300, "k", 1, &pi));
	CHECK_INT(ET_PI_PPID | ET_PI_SID, pi.have);	/* tty_nr 0: none */
	CHECK_INT(2, pi.ppid);
	CHECK_INT(0, et_procinfo_read(procfs, sysfs, 400, "t", 1, &pi));
	CHECK_INT(ET_PI_PPID, pi.have);
	CHECK_INT(9, pi.ppid);
}

static void other_or_gone_refused(void)
{
	struct et_procinfo pi;

	/* the pid now runs something else: not the exec's process */
	CHECK_INT(-1, et_procinfo_read(procfs, sysfs, 123, "true", 4, &pi));
	CHECK_INT(-1, et_procinfo_read(procfs, sysfs, 123, "slee", 4, &pi));
	CHECK_INT(-1, et_procinfo_read(procfs, sysfs, 123, "sleepy", 6, &pi));
	CHECK_INT(0, pi.have);
	CHECK_INT(-1, et_procinfo_read(procfs, sysfs, 999, "sleep", 5, &pi));
	CHECK_INT(-1, et_procinfo_read("/nonexistent", sysfs, 123, "sleep", 5,
				       &pi));
}

static void tty_names(void)
{
	char buf[40];

	CHECK_INT(0, et_tty_name(sysfs, (136 << 8) | 0, buf, sizeof(buf)));
	CHECK_STR("pts/0", buf);
	/* minor 300 of major 136: bits 20-31 hold the high minor bits */
	CHECK_INT(0, et_tty_name(sysfs, (136 << 8) | (300 & 0xff) |
				 ((300 & ~0xff) << 12), buf, sizeof(buf)));
	CHECK_STR("pts/300", buf);
	CHECK_INT(0, et_tty_name(sysfs, (137 << 8) | 5, buf, sizeof(buf)));
	CHECK_STR("pts/261", buf);
	CHECK_INT(0, et_tty_name(sysfs, (4 << 8) | 64, buf, sizeof(buf)));
	CHECK_STR("ttyS0", buf);
	CHECK_INT(-1, et_tty_name(sysfs, 0, buf, sizeof(buf)));
	CHECK_INT(-1, et_tty_name(sysfs, (4 << 8) | 1, buf, sizeof(buf)));
	CHECK_INT(-1, et_tty_name(sysfs, (4 << 8) | 64, buf, 5));
}

static void remove_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		printf("warning: could not remove %s\n", root);
}

CHECK_MAIN_BEGIN("test_procinfo")
	make_tree();
	RUN(reads_live_process);
	RUN(odd_comm_and_missing_parts);
	RUN(other_or_gone_refused);
	RUN(tty_names);
	remove_tree();
CHECK_MAIN_END
