// SPDX-License-Identifier: GPL-2.0
/*
 * reduced.c - reduced mode (CONFIG_REDUCED_MODE): what the loader needs to
 * run bpf/reduced.bpf.c on a kernel without BTF.
 *
 * Those programs read tracepoint records at offsets they do not know: for
 * each field they use (enum et_r_field, bpf/edgetrace.h) this file finds
 * the tracepoint's format file in tracefs, parses the field's offset and
 * size (tpformat.c) and writes them into the object's read-only
 * et_r_fields[] before it is loaded. A program whose tracepoint exists but
 * lacks a field it needs, or has it in a form it cannot read, is not
 * loaded, and the loader names it with the reason; one whose tracepoint
 * does not exist at all is left to the loader's usual "absent" note.
 *
 * It also holds the texts that say what reduced mode lacks, which the
 * loader prints at start and `status` shows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "core.h"
#include "edgetrace.h"
#include "tpformat.h"

#define FORMAT_MAX	8192	/* format files are about 1-2 KiB */

/* What each field of et_r_fields[] is, and the sizes it may have. */
static const struct r_field {
	const char *event;	/* CATEGORY/NAME under events/ */
	const char *name;
	enum et_tp_kind kind;
	unsigned char min, max;	/* accepted sizes */
} r_fields[ET_R_NR] = {
	[ET_R_EXEC_FILENAME] = { "sched/sched_process_exec", "filename",
				 ET_TP_DATA_LOC, 4, 4 },
	[ET_R_EXEC_OLD_PID] = { "sched/sched_process_exec", "old_pid",
				ET_TP_PLAIN, 4, 4 },
	[ET_R_EXECVE_ARGV] = { "syscalls/sys_enter_execve", "argv",
			       ET_TP_PLAIN, 4, 8 },
	[ET_R_EXECVEAT_ARGV] = { "syscalls/sys_enter_execveat", "argv",
				 ET_TP_PLAIN, 4, 8 },
	[ET_R_EXECVE_RET] = { "syscalls/sys_exit_execve", "ret",
			      ET_TP_PLAIN, 4, 8 },
	[ET_R_EXECVEAT_RET] = { "syscalls/sys_exit_execveat", "ret",
				ET_TP_PLAIN, 4, 8 },
	[ET_R_NEWTASK_PID] = { "task/task_newtask", "pid", ET_TP_PLAIN, 4, 4 },
	[ET_R_NEWTASK_FLAGS] = { "task/task_newtask", "clone_flags",
				 ET_TP_PLAIN, 4, 8 },
	[ET_R_EXIT_GROUP_DEAD] = { "sched/sched_process_exit", "group_dead",
				   ET_TP_PLAIN, 1, 4 },
	[ET_R_EXIT_GROUP_CODE] = { "syscalls/sys_enter_exit_group",
				   "error_code", ET_TP_PLAIN, 4, 8 },
	[ET_R_EXIT_CODE] = { "syscalls/sys_enter_exit", "error_code",
			     ET_TP_PLAIN, 4, 8 },
	[ET_R_SIG_SIG] = { "signal/signal_generate", "sig", ET_TP_PLAIN, 4, 4 },
	[ET_R_SIG_PID] = { "signal/signal_generate", "pid", ET_TP_PLAIN, 4, 4 },
	[ET_R_SIG_RESULT] = { "signal/signal_generate", "result",
			      ET_TP_PLAIN, 4, 4 },
};

/*
 * The programs and the fields each needs (-1 ends the list); @after: a
 * program that is useless without that one (its helpers keep state for
 * it) and is left out with it.
 */
static const struct r_prog {
	const char *name;
	const char *after;
	signed char fields[4];
} r_progs[] = {
	{ "et_r_exec", NULL, { ET_R_EXEC_FILENAME, ET_R_EXEC_OLD_PID, -1 } },
	{ "et_r_execve", "et_r_exec", { ET_R_EXECVE_ARGV, -1 } },
	{ "et_r_execveat", "et_r_exec", { ET_R_EXECVEAT_ARGV, -1 } },
	{ "et_r_execve_exit", "et_r_execve", { ET_R_EXECVE_RET, -1 } },
	{ "et_r_execveat_exit", "et_r_execveat", { ET_R_EXECVEAT_RET, -1 } },
	{ "et_r_fork", NULL, { ET_R_NEWTASK_PID, ET_R_NEWTASK_FLAGS, -1 } },
	{ "et_r_exit", NULL, { -1 } },	/* group_dead is optional */
	{ "et_r_exit_group", "et_r_exit", { ET_R_EXIT_GROUP_CODE, -1 } },
	{ "et_r_exit_thread", "et_r_exit", { ET_R_EXIT_CODE, -1 } },
	{ "et_r_exit_signal", "et_r_exit",
	  { ET_R_SIG_SIG, ET_R_SIG_PID, ET_R_SIG_RESULT, -1 } },
};

#define NPROGS	(sizeof(r_progs) / sizeof(r_progs[0]))

const char *et_reduced_lacking(void)
{
	return "exec: exe, cwd, euid, egid, sid and tty only from /proc "
	       "while the process lives, ppid from its fork or /proc; exit: "
	       "ppid and lifetime from the process table, no core-dump bit, "
	       "the status only from exit/exit_group or a fatal signal sent";
}

const char *et_reduced_unavailable(void)
{
	/* the build's families, which et_probes_names() lists from exec,
	 * fork and exit, the three reduced mode records */
	static const char *const covered[] = { "exec", "fork", "exit" };
	const char *s = et_probes_names();

	for (size_t i = 0; i < sizeof(covered) / sizeof(covered[0]); i++) {
		size_t n = strlen(covered[i]);

		if (!strncmp(s, covered[i], n) && (!s[n] || s[n] == ' '))
			s += n + (s[n] == ' ');
	}
	return strcmp(s, "none") ? s : "";
}

/*
 * tracefs's events directory, or NULL when tracefs is not mounted. The
 * tests give another with EDGETRACE_TEST_TRACEFS_EVENTS: copies of the
 * format files, one with a field taken out.
 */
static const char *events_dir(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing/events",
		"/sys/kernel/debug/tracing/events" };
	const char *test = getenv("EDGETRACE_TEST_TRACEFS_EVENTS");

	if (test)
		return test;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (access(dirs[i], F_OK) == 0)
			return dirs[i];
	return NULL;
}

/* The format file of @event into @buf; -1 (errno) when it cannot be read. */
static int read_format(const char *event, char *buf, size_t len)
{
	const char *dir = events_dir();
	char path[256];
	ssize_t n, got = 0;
	int fd;

	if (!dir) {
		errno = ENOENT;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s/format", dir, event);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)got < len - 1 &&
	       (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return 0;
}

/* Field @i into @loc, or a sentence in @why saying why it cannot be. */
static int locate(int i, struct et_r_loc *loc, char *why, size_t len)
{
	const struct r_field *rf = &r_fields[i];
	static char text[FORMAT_MAX];
	struct et_tp_field f;

	loc->off = loc->size = 0;
	if (read_format(rf->event, text, sizeof(text))) {
		snprintf(why, len, "cannot read the format of tracepoint %s: "
			 "%s", rf->event, strerror(errno));
		return errno == ENOENT ? 1 : -1;	/* 1: absent */
	}
	if (et_tp_field_find(text, rf->name, &f)) {
		snprintf(why, len, "tracepoint %s has no field '%s' on this "
			 "kernel", rf->event, rf->name);
		return -1;
	}
	if (f.kind != rf->kind || f.size < rf->min || f.size > rf->max ||
	    f.offset + f.size > 0xffff) {
		snprintf(why, len, "field '%s' of tracepoint %s is not what "
			 "the probe reads (%s, %u bytes at %u)", rf->name,
			 rf->event, f.kind == ET_TP_DATA_LOC ? "__data_loc" :
			 f.kind == ET_TP_REL_LOC ? "__rel_loc" : "a value",
			 f.size, f.offset);
		return -1;
	}
	loc->off = f.offset;
	loc->size = f.size;
	return 0;
}

static const struct r_prog *prog_of(const char *name)
{
	for (size_t i = 0; i < NPROGS; i++)
		if (!strcmp(r_progs[i].name, name))
			return &r_progs[i];
	return NULL;
}

struct skips {
	struct et_reduced_skip *v;
	int n, max;
};

/* Leave out @prog, and every program that comes after it, saying why. */
static void leave_out(struct bpf_object *obj, const char *prog,
		      const char *why, struct skips *sk)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, prog);
	char after[160];

	if (!p || !bpf_program__autoload(p))
		return;
	bpf_program__set_autoload(p, false);
	if (sk->n < sk->max) {
		snprintf(sk->v[sk->n].prog, sizeof(sk->v[0].prog), "%s", prog);
		snprintf(sk->v[sk->n].why, sizeof(sk->v[0].why), "%s", why);
		sk->n++;
	}
	snprintf(after, sizeof(after), "it serves %s, which is left out",
		 prog);
	for (size_t i = 0; i < NPROGS; i++)
		if (r_progs[i].after && !strcmp(r_progs[i].after, prog))
			leave_out(obj, r_progs[i].name, after, sk);
}

/* The fields of program @rp; 0, or -1 with @why when one is unusable. */
static int locate_prog(const struct r_prog *rp, struct et_r_loc *fields,
		       char *why, size_t len)
{
	for (int k = 0; k < 4 && rp->fields[k] >= 0; k++)
		if (locate(rp->fields[k], &fields[rp->fields[k]], why, len) < 0)
			return -1;
	return 0;
}

int et_reduced_fields(struct bpf_object *obj, struct et_r_loc *fields,
		      struct et_reduced_skip *skips, int max)
{
	struct skips sk = { .v = skips, .max = max };
	struct bpf_program *prog;
	char why[160];

	memset(fields, 0, ET_R_NR * sizeof(*fields));
	/* optional: without it, the main thread's exit ends the process */
	locate(ET_R_EXIT_GROUP_DEAD, &fields[ET_R_EXIT_GROUP_DEAD], why,
	       sizeof(why));
	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		const struct r_prog *rp = prog_of(name);

		if (rp && bpf_program__autoload(prog) &&
		    locate_prog(rp, fields, why, sizeof(why)))
			leave_out(obj, name, why, &sk);
	}
	return sk.n;
}
