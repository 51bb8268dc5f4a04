// SPDX-License-Identifier: GPL-2.0
/*
 * test_watch.c - --watch specs and their matching: parse errors that name
 * the bad part, nested watches where the deepest one decides, component
 * boundaries, the default watch, and the lexical path normalisation the
 * matching relies on.
 */
#include <linux/types.h>

#include "check.h"
#include "core.h"
#include "edgetrace.h"
#include "watch.h"

#define BIT(c)	(1u << (c))

static void parse_errors(void)
{
	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{ "creat=/etc", "unknown event 'creat'" },
		{ "create,=/etc", "unknown event ''" },
		{ "=/etc", "no events before '='" },
		{ "/etc", "has no '='" },
		{ "create=etc", "path 'etc' is not absolute" },
		{ "create=", "path '' is not absolute" },
	};
	struct et_watches ws;
	char err[256];

	CHECK_INT(0, et_watches_init(&ws, 4));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_INT(-1, et_watches_add(&ws, bad[i].spec, err, sizeof(err)));
		if (!strstr(err, bad[i].msg))
			CHECK_FAIL("'%s': expected \"%s\" in \"%s\"",
				   bad[i].spec, bad[i].msg, err);
	}
	CHECK_INT(0, ws.n);
	/* too many */
	for (int i = 0; i < 4; i++) {
		char spec[32];

		snprintf(spec, sizeof(spec), "all=/d%d", i);
		CHECK_INT(0, et_watches_add(&ws, spec, err, sizeof(err)));
	}
	CHECK_INT(-1, et_watches_add(&ws, "all=/d9", err, sizeof(err)));
	CHECK(strstr(err, "too many watches"));
	/* the same path again replaces, it does not take a slot */
	CHECK_INT(0, et_watches_add(&ws, "open=/d0/", err, sizeof(err)));
	CHECK_INT(4, ws.n);
	CHECK_INT(BIT(ET_W_OPEN), et_watches_match(&ws, "/d0/x", 5));
	et_watches_free(&ws);
}

static uint32_t match(const struct et_watches *ws, const char *path)
{
	return et_watches_match(ws, path, strlen(path));
}

static void nested_override(void)
{
	struct et_watches ws;
	char err[256];

	CHECK_INT(0, et_watches_init(&ws, 8));
	CHECK_INT(0, et_watches_add(&ws, "all=/usr", err, sizeof(err)));
	CHECK_INT(0, et_watches_add(&ws, "create,mkdir=/usr/lib", err,
				    sizeof(err)));
	CHECK_INT(0, et_watches_add(&ws, "delete=/usr/lib/x/y", err,
				    sizeof(err)));
	CHECK_INT((1u << ET_W_NR) - 1, match(&ws, "/usr/bin/ls"));
	CHECK_INT((1u << ET_W_NR) - 1, match(&ws, "/usr"));
	CHECK_INT(BIT(ET_W_CREATE) | BIT(ET_W_MKDIR), match(&ws, "/usr/lib"));
	CHECK_INT(BIT(ET_W_CREATE) | BIT(ET_W_MKDIR),
		  match(&ws, "/usr/lib/x/libc.so"));
	CHECK_INT(BIT(ET_W_DELETE), match(&ws, "/usr/lib/x/y/z"));
	/* a component boundary: /usr/libexec is not under /usr/lib */
	CHECK_INT((1u << ET_W_NR) - 1, match(&ws, "/usr/libexec/a"));
	CHECK_INT(0, match(&ws, "/usrx"));
	CHECK_INT(0, match(&ws, "/etc/passwd"));
	et_watches_free(&ws);
}

static void default_watch(void)
{
	struct et_watches ws;

	CHECK_INT(0, et_watches_init(&ws, 1));
	CHECK_INT(0, et_watches_default(&ws));
	CHECK_INT(((1u << ET_W_NR) - 1) & ~BIT(ET_W_OPEN), match(&ws, "/x"));
	CHECK_INT(((1u << ET_W_NR) - 1) & ~BIT(ET_W_OPEN), match(&ws, "/"));
	et_watches_free(&ws);
}

/* Opens are wanted by their classes; renames by either path. */
static void wanted_records(void)
{
	struct et_watches ws;
	struct et_record r = { .type = ET_REC_OPEN };
	char err[256];

	CHECK_INT(0, et_watches_init(&ws, 4));
	CHECK_INT(0, et_watches_add(&ws, "write=/w", err, sizeof(err)));
	r.path.p = "/w/f";
	r.path.len = 4;
	et_record_set(&r, ET_F_PATH);
	r.open_flags = 0;	/* read-only */
	CHECK_INT(0, et_watches_want(&ws, &r));
	r.open_flags = 01;	/* O_WRONLY */
	CHECK_INT(1, et_watches_want(&ws, &r));
	r.open_flags = 01000;	/* O_TRUNC */
	CHECK_INT(1, et_watches_want(&ws, &r));
	r.type = ET_REC_RENAME;
	r.path.p = "/elsewhere/f";
	r.path.len = 12;
	CHECK_INT(0, et_watches_want(&ws, &r));
	CHECK_INT(0, et_watches_add(&ws, "rename=/w", err, sizeof(err)));
	r.path2.p = "/w/g";
	r.path2.len = 4;
	et_record_set(&r, ET_F_PATH2);
	CHECK_INT(1, et_watches_want(&ws, &r));
	et_watches_free(&ws);
}

static void normalise(void)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "/", "/" },
		{ "//", "/" },
		{ "/a/b/../c", "/a/c" },
		{ "/a/./b//c/", "/a/b/c" },
		{ "/../../x", "/x" },
		{ "/a/b/../..", "/" },
		{ "/.hidden/..x", "/.hidden/..x" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = et_path_normalize(t[i].in, strlen(t[i].in), out);

		CHECK_INT(strlen(t[i].out), n);
		CHECK_STR(t[i].out, out);
	}
}

CHECK_MAIN_BEGIN("test_watch")
	RUN(parse_errors);
	RUN(nested_override);
	RUN(default_watch);
	RUN(wanted_records);
	RUN(normalise);
CHECK_MAIN_END
