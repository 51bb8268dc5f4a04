/* SPDX-License-Identifier: GPL-2.0 */
/*
 * filter.h - the filter language: one implementation for `run --filter`,
 * `query EXPR` and (later) rules. The only public header of the filter.
 *
 * Grammar (sysdig-style):
 *
 *	expr    := or
 *	or      := and ("or" and)*
 *	and     := unary ("and" unary)*
 *	unary   := "not" unary | "(" expr ")" | compare
 *	compare := FIELD "exists"
 *	         | FIELD OP VALUE
 *	         | FIELD "in" "(" VALUE ("," VALUE)* ")"
 *	OP      := = | != | < | <= | > | >= | contains | startswith | glob
 *	VALUE   := a bare word, a number, or a '...' or "..." string
 *
 * "not" binds tighter than "and", "and" tighter than "or". Keywords are
 * lower case. Numeric fields (proc.pid, user.uid, evt.seq, fd.port, ...)
 * take = != < <= > >= in and numbers; string fields take = != contains
 * startswith glob in. A comparison on a field the event does not have is
 * false (and its negation true); "exists" tests for it. evt.time takes an
 * RFC 3339 time ("2026-11-21T20:00:00Z") or nanoseconds since the epoch.
 *
 * Errors name what is wrong and where: et_filter_print_error() shows the
 * expression with a caret under the bad token.
 */
#ifndef EDGETRACE_FILTER_H
#define EDGETRACE_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "storage.h"

#define ET_FILTER_MAX_LEN	4096	/* bytes of expression */

struct et_filter;

struct et_filter_error {
	char msg[160];
	size_t pos;		/* byte offset of the bad token */
	size_t len;		/* its length, at least 1 */
};

/* Parse @expr; NULL with @err filled on a syntax or type error. */
struct et_filter *et_filter_parse(const char *expr,
				  struct et_filter_error *err);

/* Whether record @r matches. */
int et_filter_match(const struct et_filter *f, const struct et_record *r);

/* "bad filter: MSG", the expression, and a caret line under the token. */
void et_filter_print_error(FILE *out, const char *expr,
			   const struct et_filter_error *err);

/*
 * A time as the language writes it: RFC 3339 ("2026-11-21T20:00:00Z",
 * with a fraction or a +hh:mm offset) or ns since the epoch. 0 or -1.
 */
int et_parse_time(const char *s, int64_t *ns);

/* The names of the fields, space-separated, for --help. */
const char *et_filter_fields(void);

/*
 * The part of a filter the kernel can check before an event is sent
 * (bpf/maps.bpf.h et_wanted): from each conjunct of the top-level "and"
 * chain of the forms
 *	evt.type = T, evt.type in (T, ...), evt.type != T,
 *	not evt.type = T, not evt.type in (...),
 *	proc.pid = N, proc.pid in (...), proc.name = S, proc.name in (...),
 *	user.uid = N, user.uid in (...),
 *	file.path startswith P (which also means: file events only)
 * (the first of each field; others are left to user space, which always
 * applies the whole filter). An event the kernel drops could not have
 * matched, so the kernel's cut is never narrower than the filter.
 */
#define ET_KF_MAX	16
#define ET_KF_PREFIX	255

struct et_kfilter {
	uint32_t types;		/* bit per event type below 32 */
	unsigned int npids, ncomms, nuids, nprefixes;
	int pids_set, comms_set, uids_set, prefixes_set;
	uint32_t pids[ET_KF_MAX];
	char comms[ET_KF_MAX][16];	/* NUL-padded */
	uint32_t uids[ET_KF_MAX];
	char prefixes[ET_KF_MAX][ET_KF_PREFIX + 1];
};

/* Fill @k from @f (NULL: no filter, everything passes). */
void et_filter_kernel(const struct et_filter *f, struct et_kfilter *k);

void et_filter_free(struct et_filter *f);

#endif /* EDGETRACE_FILTER_H */
