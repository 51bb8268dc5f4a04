// SPDX-License-Identifier: GPL-2.0
/*
 * watch.c - parse --watch specs and match normalised paths against them
 * (watch.h). Kept free of BPF so that the rules are unit-tested alone.
 */
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "edgetrace.h"
#include "watch.h"

static const char *const class_names[ET_W_NR] = {
	[ET_W_CREATE] = "create", [ET_W_MKDIR] = "mkdir",
	[ET_W_MKNOD] = "mknod", [ET_W_DELETE] = "delete",
	[ET_W_RMDIR] = "rmdir", [ET_W_RENAME] = "rename",
	[ET_W_ATTRIB] = "attrib", [ET_W_SYMLINK] = "symlink",
	[ET_W_LINK] = "link", [ET_W_OPEN] = "open", [ET_W_WRITE] = "write",
};

#define ALL_CLASSES	((1u << ET_W_NR) - 1)

const char *et_watch_class_names(void)
{
	return "all,create,mkdir,mknod,delete,rmdir,rename,attrib,symlink,"
	       "link,open,write";
}

int et_watches_init(struct et_watches *ws, unsigned int max)
{
	ws->n = 0;
	ws->max = max;
	ws->w = calloc(max, sizeof(*ws->w));
	return ws->w ? 0 : -1;
}

void et_watches_free(struct et_watches *ws)
{
	free(ws->w);
	ws->w = NULL;
	ws->n = 0;
}

/* The class named by @name (@len bytes): its bit, ALL_CLASSES, or 0. */
static uint32_t class_bit(const char *name, size_t len)
{
	if (len == 3 && !memcmp(name, "all", 3))
		return ALL_CLASSES;
	for (int i = 0; i < ET_W_NR; i++)
		if (strlen(class_names[i]) == len &&
		    !memcmp(class_names[i], name, len))
			return 1u << i;
	return 0;
}

static int parse_classes(const char *s, size_t len, uint32_t *mask,
			 char *err, size_t errlen)
{
	size_t i = 0;

	*mask = 0;
	if (!len) {
		snprintf(err, errlen, "no events before '=': name at least "
			 "one of %s", et_watch_class_names());
		return -1;
	}
	for (;;) {
		size_t start = i;
		uint32_t bit;

		while (i < len && s[i] != ',')
			i++;
		bit = class_bit(s + start, i - start);
		if (!bit) {
			snprintf(err, errlen, "unknown event '%.*s' (events: "
				 "%s)", (int)(i - start), s + start,
				 et_watch_class_names());
			return -1;
		}
		*mask |= bit;
		if (i == len)
			return 0;
		i++;	/* the comma */
	}
}

static int put_watch(struct et_watches *ws, const char *path, size_t len,
		     uint32_t mask, char *err, size_t errlen)
{
	unsigned int i;

	for (i = 0; i < ws->n; i++)
		if (!strcmp(ws->w[i].path, path))
			break;
	if (i == ws->max) {
		snprintf(err, errlen, "too many watches: this build holds %u "
			 "(CONFIG_FILE_WATCHES_MAX)", ws->max);
		return -1;
	}
	memcpy(ws->w[i].path, path, len + 1);
	ws->w[i].len = len;
	ws->w[i].mask = mask;
	if (i == ws->n)
		ws->n++;
	return 0;
}

int et_watches_add(struct et_watches *ws, const char *spec, char *err,
		   size_t errlen)
{
	const char *eq = strchr(spec, '=');
	char norm[ET_WATCH_PATH_MAX + 1];
	size_t plen;
	uint32_t mask;

	if (!eq) {
		snprintf(err, errlen, "'%s' has no '=': write EVENTS=PATH, "
			 "e.g. create,write=/etc", spec);
		return -1;
	}
	if (parse_classes(spec, eq - spec, &mask, err, errlen))
		return -1;
	plen = strlen(eq + 1);
	if (eq[1] != '/') {
		snprintf(err, errlen, "path '%s' is not absolute: watches "
			 "take a path starting with '/'", eq + 1);
		return -1;
	}
	if (plen > ET_WATCH_PATH_MAX) {
		snprintf(err, errlen, "path '%.40s...' is longer than %d "
			 "bytes", eq + 1, ET_WATCH_PATH_MAX);
		return -1;
	}
	plen = et_path_normalize(eq + 1, plen, norm);
	return put_watch(ws, norm, plen, mask, err, errlen);
}

int et_watches_default(struct et_watches *ws)
{
	char err[128];

	ws->is_default = 1;
	return put_watch(ws, "/", 1, ALL_CLASSES & ~(1u << ET_W_OPEN), err,
			 sizeof(err));
}

/* Is @w a path prefix of @path, at a component boundary? */
static int contains(const char *w, size_t wlen, const char *path, size_t len)
{
	if (wlen == 1)		/* "/" */
		return len && path[0] == '/';
	return len >= wlen && !memcmp(w, path, wlen) &&
	       (len == wlen || path[wlen] == '/');
}

uint32_t et_watches_match(const struct et_watches *ws, const char *path,
			  size_t len)
{
	size_t best = 0;
	uint32_t mask = 0;

	for (unsigned int i = 0; i < ws->n; i++) {
		size_t wlen = ws->w[i].len;

		if (wlen > best && contains(ws->w[i].path, wlen, path, len)) {
			best = wlen;
			mask = ws->w[i].mask;
		}
	}
	return mask;
}

uint32_t et_watches_union(const struct et_watches *ws)
{
	uint32_t m = 0;

	for (unsigned int i = 0; i < ws->n; i++)
		m |= ws->w[i].mask;
	return m;
}

uint32_t et_watch_classes(const struct et_record *r)
{
	uint32_t m;

	switch (r->type) {
	case ET_REC_UNLINK: return 1u << ET_W_DELETE;
	case ET_REC_RMDIR: return 1u << ET_W_RMDIR;
	case ET_REC_RENAME: return 1u << ET_W_RENAME;
	case ET_REC_MKDIR: return 1u << ET_W_MKDIR;
	case ET_REC_MKNOD: return 1u << ET_W_MKNOD;
	case ET_REC_CHMOD:
	case ET_REC_CHOWN: return 1u << ET_W_ATTRIB;
	case ET_REC_SYMLINK: return 1u << ET_W_SYMLINK;
	case ET_REC_LINK: return 1u << ET_W_LINK;
	case ET_REC_TRUNCATE: return 1u << ET_W_WRITE;
	/* the totals of a file whose open was reported */
	case ET_REC_CLOSE: return (1u << ET_W_NR) - 1;
	case ET_REC_OPEN:
		m = 1u << ET_W_OPEN;
		if ((r->open_flags & 3) || (r->open_flags & 01000))
			m |= 1u << ET_W_WRITE;
		if (r->ev_flags & ET_FILE_CREATED)
			m |= 1u << ET_W_CREATE;
		return m;
	}
	return 0;
}

int et_watches_want(const struct et_watches *ws, const struct et_record *r)
{
	uint32_t m;

	/*
	 * Decided in the kernel on the path as given (the event's is the
	 * real one); a close reports a file whose open was reported.
	 */
	if ((r->ev_flags & ET_FILE_MATCHED) || r->type == ET_REC_CLOSE)
		return 1;
	m = et_watches_match(ws, r->path.p, r->path.len);

	/* a rename or link into or out of a watched tree */
	if ((r->type == ET_REC_RENAME || r->type == ET_REC_LINK) &&
	    et_record_has(r, ET_F_PATH2))
		m |= et_watches_match(ws, r->path2.p, r->path2.len);
	return !!(m & et_watch_classes(r));
}
