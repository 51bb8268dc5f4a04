// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_filter.c - libFuzzer target for the filter language (core/filter.c).
 *
 * The input is an expression, exactly as a user would type it after
 * --filter or query: parse it; when it parses, match it against an exec
 * record with every field the filter reads, an exit record and a gap
 * record (so every getter and operator runs), and when it does not, print
 * the error, whose caret line indexes the expression with err.pos and
 * err.len.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

/* Past the limit too, so the "longer than" error is reached. */
#define CAP	(ET_FILTER_MAX_LEN + 16)

static struct et_record recs[3];
static FILE *devnull;

static void init(void)
{
	struct et_record *r = &recs[0];

	r->type = ET_REC_EXEC;
	r->seq = 77;
	r->ts = 1795291200500000000ull;
	r->pid = 4242;
	r->tid = 4243;
	r->ppid = 1;
	r->uid = 1000;
	r->gid = 100;
	r->euid = 0;
	r->sid = 4000;
	r->comm = (struct et_str){ "bash", 4 };
	r->exe = (struct et_str){ "/usr/bin/true", 13 };
	r->args = (struct et_str){ "true\0--x\0a b\0", 13 };
	r->cwd = (struct et_str){ "/home/op", 8 };
	r->tty = (struct et_str){ "pts/3", 5 };
	r->container = (struct et_str){ "0123456789abcdef", 16 };
	r->runtime = (struct et_str){ "docker", 6 };
	r->pod = (struct et_str){ "pod-uid-1", 9 };
	for (int f = 1; f < ET_F_NR; f++)
		et_record_set(r, f);

	r = &recs[1];
	r->type = ET_REC_EXIT;
	r->seq = 78;
	r->ts = 1795291201000000000ull;
	r->pid = 4242;
	r->tid = 4242;
	r->status = 256;
	r->lifetime = 12345;
	et_record_set(r, ET_F_STATUS);
	et_record_set(r, ET_F_LIFETIME);

	r = &recs[2];
	r->type = ET_REC_GAP;
	r->seq = 79;
	r->ts = 1795291202000000000ull;
	r->lost = 17;
	r->cause = 1;
	et_record_set(r, ET_F_LOST);
	et_record_set(r, ET_F_CAUSE);

	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct et_filter_error err;
	struct et_filter *f;
	char *expr;

	if (!ready) {
		init();
		ready = 1;
	}
	if (size > CAP)
		size = CAP;
	expr = malloc(size + 1);
	if (!expr)
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0';

	f = et_filter_parse(expr, &err);
	if (f) {
		for (int i = 0; i < 3; i++)
			et_filter_match(f, &recs[i]);
		et_filter_free(f);
	} else {
		if (!err.msg[0] || err.len < 1)
			abort();	/* every error says what and where */
		et_filter_print_error(devnull, expr, &err);
	}
	free(expr);
	return 0;
}
