// SPDX-License-Identifier: GPL-2.0
/*
 * tpformat.c - fields of a tracepoint record from its tracefs format file
 * (tpformat.h). A field line is
 *
 *	<blanks>field:DECLARATION;<blanks>offset:N;<blanks>size:N;<blanks>signed:N;
 *
 * where DECLARATION is a C declaration whose last identifier is the
 * field's name, possibly followed by an array bound ("char comm[16]",
 * "const char *const * argv", "__data_loc char[] filename"). Kernels
 * before 2.6.31 had no "signed:", which is then taken as 0.
 */
#include <ctype.h>
#include <string.h>

#include "tpformat.h"

#define TP_MAX_NUMBER	65535	/* records are at most a few KiB */

/* "KEY:N;" somewhere in [@s, @end): its N, or -1. */
static long key_value(const char *s, const char *end, const char *key)
{
	size_t klen = strlen(key);
	const char *p = s;
	long v = 0;

	for (;;) {
		p = memmem(p, (size_t)(end - p), key, klen);
		if (!p)
			return -1;
		/* the key starts the line or follows a blank or ';' */
		if (p == s || p[-1] == '\t' || p[-1] == ' ' || p[-1] == ';')
			break;
		p += klen;
	}
	p += klen;
	if (p >= end || !isdigit((unsigned char)*p))
		return -1;
	while (p < end && isdigit((unsigned char)*p)) {
		v = v * 10 + (*p++ - '0');
		if (v > TP_MAX_NUMBER)
			return -1;
	}
	return p < end && *p == ';' ? v : -1;
}

static int is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/*
 * The name declared by [@decl, @end) into @name_b/@name_e, and whether it
 * is an array; -1 when there is no name after a type.
 */
static int declared_name(const char *decl, const char *end,
			 const char **name_b, const char **name_e,
			 int *is_array)
{
	const char *e = end, *b;

	while (e > decl && e[-1] == ' ')
		e--;
	*is_array = e > decl && e[-1] == ']';
	if (*is_array) {
		while (e > decl && e[-1] != '[')
			e--;
		if (e == decl)
			return -1;
		e--;		/* the '[' */
		while (e > decl && e[-1] == ' ')
			e--;
	}
	for (b = e; b > decl && is_ident(b[-1]); b--)
		;
	/* a name, and a type before it */
	if (b == e || b == decl || isdigit((unsigned char)*b))
		return -1;
	*name_b = b;
	*name_e = e;
	return 0;
}

static enum et_tp_kind kind_of(const char *decl)
{
	if (!strncmp(decl, "__data_loc ", 11))
		return ET_TP_DATA_LOC;
	if (!strncmp(decl, "__rel_loc ", 10))
		return ET_TP_REL_LOC;
	return ET_TP_PLAIN;
}

/* Parse the line [@s, @end) as field @name: 0 when it is, and fill @f. */
static int parse_line(const char *s, const char *end, const char *name,
		      struct et_tp_field *f)
{
	const char *decl, *semi, *nb, *ne;
	long offset, size, sign;
	int is_array;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if ((size_t)(end - s) < 6 || memcmp(s, "field:", 6))
		return -1;
	decl = s + 6;
	semi = memchr(decl, ';', (size_t)(end - decl));
	if (!semi || declared_name(decl, semi, &nb, &ne, &is_array))
		return -1;
	if ((size_t)(ne - nb) != strlen(name) || memcmp(nb, name, ne - nb))
		return -1;
	offset = key_value(semi + 1, end, "offset:");
	size = key_value(semi + 1, end, "size:");
	sign = key_value(semi + 1, end, "signed:");
	if (offset < 0 || size <= 0)
		return -1;
	f->offset = (uint32_t)offset;
	f->size = (uint32_t)size;
	f->is_signed = sign > 0;
	f->kind = kind_of(decl);
	f->is_array = is_array;
	return 0;
}

int et_tp_field_find(const char *text, const char *name,
		     struct et_tp_field *f)
{
	const char *s = text, *nl;

	if (!*name)
		return -1;
	while (*s) {
		nl = strchr(s, '\n');
		if (!nl)
			nl = s + strlen(s);
		if (!parse_line(s, nl, name, f))
			return 0;
		s = *nl ? nl + 1 : nl;
	}
	return -1;
}
