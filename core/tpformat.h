/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tpformat.h - a field of a tracepoint record, from the tracepoint's
 * format file in tracefs (events/CATEGORY/NAME/format), which is how the
 * kernel tells where each field of the record lies:
 *
 *	field:__data_loc char[] filename;	offset:8;	size:4;	signed:0;
 *	field:pid_t pid;	offset:12;	size:4;	signed:1;
 *
 * Reduced mode (core/reduced.c) reads its fields this way, so that the
 * offsets are the running kernel's, not those of the kernel the agent was
 * built against. The parser takes the text as it is and trusts nothing in
 * it: a line that does not have the shape above is not a field.
 */
#ifndef EDGETRACE_TPFORMAT_H
#define EDGETRACE_TPFORMAT_H

#include <stddef.h>
#include <stdint.h>

/* struct et_tp_field.kind */
enum et_tp_kind {
	ET_TP_PLAIN = 0,	/* the value itself */
	ET_TP_DATA_LOC,		/* __data_loc: u32 (len << 16 | offset) */
	ET_TP_REL_LOC,		/* __rel_loc: the same, offset from the field */
};

struct et_tp_field {
	uint32_t offset;	/* bytes from the start of the record */
	uint32_t size;		/* bytes */
	int is_signed;
	enum et_tp_kind kind;
	int is_array;		/* declared NAME[N] (char comm[16]) */
};

/*
 * Find field @name in the format text @text (NUL-terminated). 0 with @f
 * filled; -1 if there is no such field or its line does not parse.
 */
int et_tp_field_find(const char *text, const char *name,
		     struct et_tp_field *f);

#endif /* EDGETRACE_TPFORMAT_H */
