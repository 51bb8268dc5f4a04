/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.h - the unit test harness: one binary per module, one function per
 * test case. Each case prints "PASS <binary>.<case>" or, at its first
 * failed check, "FAIL <binary>.<case>: <file>:<line>: expected ..., got
 * ..." and returns. tests/run.sh counts those lines; a binary that dies
 * without printing counts as a failure too.
 */
#ifndef EDGETRACE_CHECK_H
#define EDGETRACE_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *check_prog;
static const char *check_case;
static int check_failed;
static int check_total_failed;

#define CHECK_FAIL(fmt, ...)						\
	do {								\
		printf("FAIL %s.%s: %s:%d: " fmt "\n", check_prog,	\
		       check_case, __FILE__, __LINE__, __VA_ARGS__);	\
		check_failed = 1;					\
		return;							\
	} while (0)

#define CHECK(cond)							\
	do {								\
		if (!(cond))						\
			CHECK_FAIL("expected %s, got false", #cond);	\
	} while (0)

#define CHECK_INT(expected, got)					\
	do {								\
		long long e_ = (long long)(expected);			\
		long long g_ = (long long)(got);			\
		if (e_ != g_)						\
			CHECK_FAIL("%s: expected %lld, got %lld", #got,	\
				   e_, g_);				\
	} while (0)

#define CHECK_STR(expected, got)					\
	do {								\
		const char *e_ = (expected), *g_ = (got);		\
		if (!g_ || strcmp(e_, g_))				\
			CHECK_FAIL("%s: expected \"%s\", got \"%s\"",	\
				   #got, e_, g_ ? g_ : "(null)");	\
	} while (0)

/* Compare a counted string with a C string. */
#define CHECK_MEM(expected, ptr, len)					\
	do {								\
		const char *e_ = (expected);				\
		size_t l_ = (len);					\
		if (strlen(e_) != l_ || memcmp(e_, (ptr), l_))		\
			CHECK_FAIL("%s: expected \"%s\", got \"%.*s\"",	\
				   #ptr, e_, (int)l_, (const char *)(ptr)); \
	} while (0)

#define RUN(fn)								\
	do {								\
		check_case = #fn;					\
		check_failed = 0;					\
		fn();							\
		if (!check_failed)					\
			printf("PASS %s.%s\n", check_prog, check_case);	\
		else							\
			check_total_failed++;				\
		fflush(stdout);						\
	} while (0)

#define CHECK_MAIN_BEGIN(name)						\
	int main(void)							\
	{								\
		check_prog = name;

#define CHECK_MAIN_END							\
		return check_total_failed ? 1 : 0;			\
	}

#endif /* EDGETRACE_CHECK_H */
