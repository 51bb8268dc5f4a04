// SPDX-License-Identifier: GPL-2.0
/*
 * test_tpformat.c - tracepoint format files (core/tpformat.c), as kernels
 * print them: fields found by exact name with their offset, size,
 * signedness and kind (__data_loc, __rel_loc, arrays, pointers), the
 * same field at another offset on another kernel (6.1's sched_process_fork
 * with char arrays, 6.18's with __data_loc; a 32-bit kernel's 4-byte
 * syscall arguments), a kernel without "signed:", and what is not a field
 * (a name in "print fmt", a prefix or suffix of a name, broken lines).
 */
#include "check.h"
#include "tpformat.h"

/* 6.18, x86_64 */
static const char exec_618[] =
"name: sched_process_exec\n"
"ID: 365\n"
"format:\n"
"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
"\n"
"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
"\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
"\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;\n"
"\n"
"print fmt: \"filename=%s pid=%d old_pid=%d\", __get_str(filename), "
"REC->pid, REC->old_pid\n";

/* 6.1: the comms are arrays, so the pids lie elsewhere than on 6.18 */
static const char fork_61[] =
"name: sched_process_fork\n"
"format:\n"
"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
"\n"
"\tfield:char parent_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
"\tfield:pid_t parent_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
"\tfield:char child_comm[16];\toffset:28;\tsize:16;\tsigned:0;\n"
"\tfield:pid_t child_pid;\toffset:44;\tsize:4;\tsigned:1;\n"
"\n"
"print fmt: \"comm=%s pid=%d child_comm=%s child_pid=%d\", REC->parent_comm, "
"REC->parent_pid, REC->child_comm, REC->child_pid\n";

static const char fork_618[] =
"format:\n"
"\tfield:__data_loc char[] parent_comm;\toffset:8;\tsize:4;\tsigned:0;\n"
"\tfield:pid_t parent_pid;\toffset:12;\tsize:4;\tsigned:1;\n"
"\tfield:__data_loc char[] child_comm;\toffset:16;\tsize:4;\tsigned:0;\n"
"\tfield:pid_t child_pid;\toffset:20;\tsize:4;\tsigned:1;\n";

/* a 32-bit kernel: the arguments are 4-byte longs */
static const char execve_arm[] =
"name: sys_enter_execve\n"
"format:\n"
"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
"\tfield:const char * filename;\toffset:12;\tsize:4;\tsigned:0;\n"
"\tfield:const char *const * argv;\toffset:16;\tsize:4;\tsigned:0;\n"
"\tfield:const char *const * envp;\toffset:20;\tsize:4;\tsigned:0;\n";

static const char execve_x86[] =
"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
"\tfield:const char * filename;\toffset:16;\tsize:8;\tsigned:0;\n"
"\tfield:const char *const * argv;\toffset:24;\tsize:8;\tsigned:0;\n";

static void finds_fields(void)
{
	struct et_tp_field f;

	CHECK_INT(0, et_tp_field_find(exec_618, "filename", &f));
	CHECK_INT(8, f.offset);
	CHECK_INT(4, f.size);
	CHECK_INT(ET_TP_DATA_LOC, f.kind);
	CHECK_INT(0, f.is_signed);
	CHECK_INT(0, f.is_array);
	CHECK_INT(0, et_tp_field_find(exec_618, "old_pid", &f));
	CHECK_INT(16, f.offset);
	CHECK_INT(4, f.size);
	CHECK_INT(1, f.is_signed);
	CHECK_INT(ET_TP_PLAIN, f.kind);
	CHECK_INT(0, et_tp_field_find(exec_618, "pid", &f));
	CHECK_INT(12, f.offset);
	CHECK_INT(0, et_tp_field_find(exec_618, "common_pid", &f));
	CHECK_INT(4, f.offset);
}

static void offsets_differ_per_kernel(void)
{
	struct et_tp_field f;

	CHECK_INT(0, et_tp_field_find(fork_61, "child_pid", &f));
	CHECK_INT(44, f.offset);
	CHECK_INT(0, et_tp_field_find(fork_618, "child_pid", &f));
	CHECK_INT(20, f.offset);
	CHECK_INT(0, et_tp_field_find(fork_61, "child_comm", &f));
	CHECK_INT(28, f.offset);
	CHECK_INT(16, f.size);
	CHECK_INT(1, f.is_array);
	CHECK_INT(ET_TP_PLAIN, f.kind);
	CHECK_INT(0, et_tp_field_find(fork_618, "child_comm", &f));
	CHECK_INT(ET_TP_DATA_LOC, f.kind);
	CHECK_INT(0, f.is_array);
	CHECK_INT(0, et_tp_field_find(execve_arm, "argv", &f));
	CHECK_INT(16, f.offset);
	CHECK_INT(4, f.size);
	CHECK_INT(0, et_tp_field_find(execve_x86, "argv", &f));
	CHECK_INT(24, f.offset);
	CHECK_INT(8, f.size);
}

static void exact_names_only(void)
{
	struct et_tp_field f;

	/* a prefix, a suffix, a name in print fmt, a name of nothing */
	CHECK_INT(-1, et_tp_field_find(exec_618, "old", &f));
	CHECK_INT(-1, et_tp_field_find(exec_618, "_pid", &f));
	CHECK_INT(-1, et_tp_field_find(exec_618, "REC", &f));
	CHECK_INT(-1, et_tp_field_find(exec_618, "group_dead", &f));
	CHECK_INT(-1, et_tp_field_find(exec_618, "", &f));
	/* a type word is not a name */
	CHECK_INT(-1, et_tp_field_find(execve_x86, "char", &f));
	CHECK_INT(-1, et_tp_field_find(exec_618, "pid_t", &f));
	CHECK_INT(-1, et_tp_field_find(fork_61, "16", &f));
}

static void kinds_and_old_kernels(void)
{
	static const char rel[] =
		"\tfield:__rel_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;\n";
	/* before 2.6.31: no "signed:" */
	static const char old[] =
		"\tfield:pid_t pid;\toffset:12;\tsize:4;\n"
		"\tfield:bool group_dead;\toffset:32;\tsize:1;\tsigned:0;";
	struct et_tp_field f;

	CHECK_INT(0, et_tp_field_find(rel, "name", &f));
	CHECK_INT(ET_TP_REL_LOC, f.kind);
	CHECK_INT(0, et_tp_field_find(old, "pid", &f));
	CHECK_INT(12, f.offset);
	CHECK_INT(0, f.is_signed);
	/* the last line without its newline */
	CHECK_INT(0, et_tp_field_find(old, "group_dead", &f));
	CHECK_INT(32, f.offset);
	CHECK_INT(1, f.size);
}

static void broken_lines_refused(void)
{
	static const char *const bad[] = {
		"\tfield:pid_t pid\toffset:12;\tsize:4;\tsigned:1;\n",	/* no ';' */
		"\tfield:pid_t pid;\toffset:;\tsize:4;\tsigned:1;\n",
		"\tfield:pid_t pid;\toffset:12;\tsigned:1;\n",		/* no size */
		"\tfield:pid_t pid;\toffset:12;\tsize:0;\tsigned:1;\n",
		"\tfield:pid_t pid;\toffset:12x;\tsize:4;\tsigned:1;\n",
		"\tfield:pid_t pid;\toffset:99999999;\tsize:4;\tsigned:1;\n",
		"\tfield:pid;\toffset:12;\tsize:4;\tsigned:1;\n",	/* no type */
		"\tfield:char pid[16;\toffset:12;\tsize:4;\tsigned:1;\n",
		"\tfiled:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n",
		"\tfield:pid_t pid;\tnotoffset:12;\tsize:4;\tsigned:1;\n",
		"pid_t pid; offset:12; size:4;\n",
	};
	struct et_tp_field f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (et_tp_field_find(bad[i], "pid", &f) != -1)
			CHECK_FAIL("line %zu was taken for a field: %s", i,
				   bad[i]);
}

CHECK_MAIN_BEGIN("test_tpformat")
	RUN(finds_fields);
	RUN(offsets_differ_per_kernel);
	RUN(exact_names_only);
	RUN(kinds_and_old_kernels);
	RUN(broken_lines_refused);
CHECK_MAIN_END
