// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - the configuration file of `edgetrace run --config FILE`
 * (config.h has the format). The file is read whole, then cut in place
 * into NUL-terminated values that the settings point to.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static const char *const known[] = {
	"spool", "filter", "watch", "btf", "json", "file-bytes",
	"socket-bytes",
	/* the uplink's: `run` reads and ignores them */
	"uplink-url", "uplink-ca", "uplink-cert", "uplink-key", "fleet-pub",
	"device-key", "device-id", "uplink-rate", "uplink-quota",
	"uplink-backoff",
};

/* The uplink's settings, by name (all strings). */
static const char **uplink_setting(struct et_config *c, const char *name)
{
	const struct { const char *name; const char **p; } s[] = {
		{ "uplink-url", &c->uplink_url }, { "uplink-ca", &c->uplink_ca },
		{ "uplink-cert", &c->uplink_cert },
		{ "uplink-key", &c->uplink_key }, { "fleet-pub", &c->fleet_pub },
		{ "device-key", &c->device_key }, { "device-id", &c->device_id },
		{ "uplink-rate", &c->uplink_rate },
		{ "uplink-quota", &c->uplink_quota },
		{ "uplink-backoff", &c->uplink_backoff },
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (!strcmp(name, s[i].name))
			return s[i].p;
	return NULL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* "yes"/"no" and the usual spellings; -1 for anything else. */
static int parse_bool(const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(v, yes[i]))
			return 1;
		if (!strcmp(v, no[i]))
			return 0;
	}
	return -1;
}

static int add_watch(struct et_config *c, const char *v, unsigned int line)
{
	const char **w;
	unsigned int *l;

	if (c->n_watches == ET_CONFIG_MAX_WATCHES)
		return -1;
	w = realloc(c->watches, (c->n_watches + 1) * sizeof(*w));
	if (!w)
		return -1;
	c->watches = w;
	l = realloc(c->watch_lines, (c->n_watches + 1) * sizeof(*l));
	if (!l)
		return -1;
	c->watch_lines = l;
	c->watches[c->n_watches] = v;
	c->watch_lines[c->n_watches++] = line;
	return 0;
}

/* One "name = value" line; 0 or -1 with @err set. */
static int setting(struct et_config *c, const char *name, const char *v,
		   unsigned int line, char *err, size_t errlen)
{
	const char **str = NULL;
	int *flag = NULL, b;

	if (!strcmp(name, "watch")) {
		if (add_watch(c, v, line) == 0)
			return 0;
		snprintf(err, errlen, "%s:%u: too many watches (at most %d)",
			 c->path, line, ET_CONFIG_MAX_WATCHES);
		return -1;
	}
	if (!strcmp(name, "spool"))
		str = &c->spool;
	else if (!strcmp(name, "filter"))
		str = &c->filter;
	else if (!strcmp(name, "btf"))
		str = &c->btf;
	else if (uplink_setting(c, name))
		str = uplink_setting(c, name);
	else if (!strcmp(name, "json"))
		flag = &c->json;
	else if (!strcmp(name, "file-bytes"))
		flag = &c->file_bytes;
	else if (!strcmp(name, "socket-bytes"))
		flag = &c->socket_bytes;
	if ((str && *str) || (flag && *flag >= 0)) {
		snprintf(err, errlen, "%s:%u: '%s' is set twice (only 'watch' "
			 "may be repeated)", c->path, line, name);
		return -1;
	}
	if (str) {
		*str = v;
		return 0;
	}
	b = parse_bool(v);
	if (b < 0) {
		snprintf(err, errlen, "%s:%u: '%s' takes yes or no, not '%s'",
			 c->path, line, name, v);
		return -1;
	}
	*flag = b;
	return 0;
}

static int known_name(const char *name)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(name, known[i]))
			return 1;
	return 0;
}

static int parse_line(struct et_config *c, char *s, unsigned int line,
		      char *err, size_t errlen)
{
	char *eq, *name, *v;

	s = trim(s);
	if (!*s || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (!eq) {
		snprintf(err, errlen, "%s:%u: expected NAME = VALUE, got '%.60s'",
			 c->path, line, s);
		return -1;
	}
	*eq = '\0';
	name = trim(s);
	v = trim(eq + 1);
	if (!known_name(name)) {
		snprintf(err, errlen, "%s:%u: unknown setting '%.60s' (the "
			 "settings are spool, filter, watch, btf, json, "
			 "file-bytes, socket-bytes and the uplink's, "
			 "docs/configuration.md)", c->path, line, name);
		return -1;
	}
	if (!*v) {
		snprintf(err, errlen, "%s:%u: '%s' has no value", c->path,
			 line, name);
		return -1;
	}
	return setting(c, name, v, line, err, errlen);
}

int et_config_parse(struct et_config *c, char *text, const char *path,
		    char *err, size_t errlen)
{
	unsigned int line = 1;
	char *s = text, *nl;

	memset(c, 0, sizeof(*c));
	c->path = path;
	c->text = text;
	c->json = c->file_bytes = c->socket_bytes = -1;
	for (; s; s = nl ? nl + 1 : NULL, line++) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		if (parse_line(c, s, line, err, errlen)) {
			et_config_free(c);
			return -1;
		}
	}
	return 0;
}

static char *read_text(const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	char *text;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot read --config %s: %s", path,
			 strerror(errno));
		return NULL;
	}
	text = malloc(ET_CONFIG_MAX_BYTES + 1);
	if (!text) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while ((n = read(fd, text + len, ET_CONFIG_MAX_BYTES + 1 - len)) > 0) {
		len += n;
		if (len > ET_CONFIG_MAX_BYTES)
			break;
	}
	if (n < 0 || len > ET_CONFIG_MAX_BYTES || memchr(text, '\0', len)) {
		if (n < 0)
			snprintf(err, errlen, "cannot read --config %s: %s",
				 path, strerror(errno));
		else
			snprintf(err, errlen, "--config %s: %s", path,
				 len > ET_CONFIG_MAX_BYTES ?
				 "larger than 64 KiB" : "not a text file");
		free(text);
		text = NULL;
		goto out;
	}
	text[len] = '\0';
out:
	close(fd);
	return text;
}

int et_config_load(struct et_config *c, const char *path, char *err,
		   size_t errlen)
{
	char *text = read_text(path, err, errlen);

	if (!text)
		return -1;
	return et_config_parse(c, text, path, err, errlen);
}

void et_config_free(struct et_config *c)
{
	free(c->text);
	free(c->watches);
	free(c->watch_lines);
	c->text = NULL;
	c->watches = NULL;
	c->watch_lines = NULL;
	c->n_watches = 0;
}
