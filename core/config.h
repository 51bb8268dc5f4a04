/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.h - the configuration file of `edgetrace run --config FILE`.
 *
 * One setting per line, "NAME = VALUE"; NAME is a long option of `run`
 * (spool, filter, watch, btf (a file, or none: reduced mode), json,
 * file-bytes, socket-bytes), VALUE the rest of the line with the blanks
 * around it removed. Lines whose first
 * non-blank character is '#' are comments. `watch` may be repeated; any
 * other setting given twice is an error, as is an unknown name, so that a
 * typo does not silently leave a setting out. docs/configuration.md has
 * the format and an example.
 */
#ifndef EDGETRACE_CONFIG_H
#define EDGETRACE_CONFIG_H

#include <stddef.h>

#define ET_CONFIG_MAX_BYTES	65536	/* a longer file is refused */
#define ET_CONFIG_MAX_WATCHES	4096

struct et_config {
	const char *path;
	char *text;		/* the file, cut into the strings below */
	const char *spool, *filter, *btf;
	int json, file_bytes, socket_bytes;	/* -1: not set */
	/* the uplink's (`edgetrace uplink`; `run` does not use them) */
	const char *uplink_url, *uplink_ca, *uplink_cert, *uplink_key;
	const char *fleet_pub, *device_key, *device_id;
	const char *uplink_rate, *uplink_quota, *uplink_backoff;
	const char **watches;
	unsigned int *watch_lines;	/* the line of each watch */
	size_t n_watches;
};

/*
 * Read @path into @c. Returns 0, or -1 with a message naming the file,
 * the line and what is wrong in @err.
 */
int et_config_load(struct et_config *c, const char *path, char *err,
		   size_t errlen);

/* Parse @text (NUL-terminated, modified in place; @c takes it). */
int et_config_parse(struct et_config *c, char *text, const char *path,
		    char *err, size_t errlen);

void et_config_free(struct et_config *c);

#endif /* EDGETRACE_CONFIG_H */
