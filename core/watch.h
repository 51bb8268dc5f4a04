/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch.h - recursive file watches (--watch "EVENTS=PATH").
 *
 * A watch names a directory (or file) and the event classes reported for
 * it and everything below it. When watches nest, the deepest one that
 * contains a path decides: a child directory's set overrides its
 * parent's for that subtree. The same rule runs in the kernel (an LPM trie
 * of the watched prefixes, bpf/file.bpf.c) as a first cut and here, on the
 * normalised path, as the final word.
 */
#ifndef EDGETRACE_WATCH_H
#define EDGETRACE_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "storage.h"

#define ET_WATCH_PATH_MAX	255	/* bytes of a watched path */

#ifdef CONFIG_FILE_WATCHES_MAX
#define ET_WATCHES_MAX		CONFIG_FILE_WATCHES_MAX
#else
#define ET_WATCHES_MAX		1	/* the default watch only */
#endif

struct et_watch {
	char path[ET_WATCH_PATH_MAX + 1];	/* normalised, absolute */
	uint32_t len;				/* of path */
	uint32_t mask;				/* of enum et_watch_class */
};

struct et_watches {
	unsigned int n;
	unsigned int max;
	int is_default;		/* et_watches_default, not --watch */
	struct et_watch *w;
};

/* An empty set with room for @max watches; -1 when out of memory. */
int et_watches_init(struct et_watches *ws, unsigned int max);
void et_watches_free(struct et_watches *ws);

/*
 * Add the watch @spec ("create,mkdir=/usr/lib"). On a bad spec returns -1
 * with a sentence in @err naming the bad part (an unknown class, an empty
 * set, a relative path, a path too long, too many watches). A second
 * watch on the same path replaces the first's set.
 */
int et_watches_add(struct et_watches *ws, const char *spec, char *err,
		   size_t errlen);

/* The default when no watch is given: "/" for every class but open. */
int et_watches_default(struct et_watches *ws);

/* The mask of the deepest watch containing @path (@len bytes), or 0. */
uint32_t et_watches_match(const struct et_watches *ws, const char *path,
			  size_t len);

/* The union of every watch's mask. */
uint32_t et_watches_union(const struct et_watches *ws);

/* The classes of a file record (open: from its flags and "created"). */
uint32_t et_watch_classes(const struct et_record *r);

/* Is @r (a file record) inside a watch that asks for its classes? */
int et_watches_want(const struct et_watches *ws, const struct et_record *r);

/* "create,mkdir,..." for the help text. */
const char *et_watch_class_names(void);

#endif /* EDGETRACE_WATCH_H */
