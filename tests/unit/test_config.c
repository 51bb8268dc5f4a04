// SPDX-License-Identifier: GPL-2.0
/*
 * test_config.c - the configuration file of `run --config`: every setting,
 * comments and blanks, CRLF lines, repeated watches with their line
 * numbers, and the errors that name the file, the line and the bad part
 * (unknown setting, no '=', no value, a setting twice, a flag that is not
 * yes or no, a file that cannot be read, is too large or is not text).
 */
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

/* Parse a copy of @text as file "f"; the config owns the copy. */
static int parse(struct et_config *c, const char *text, char *err)
{
	char *t = strdup(text);

	err[0] = '\0';
	if (!t)
		return -2;
	return et_config_parse(c, t, "f", err, 256);
}

static void every_setting(void)
{
	struct et_config c;
	char err[256];

	CHECK_INT(0, parse(&c,
		"# edgetrace.conf\n"
		"\n"
		"spool = /var/lib/edgetrace/spool\n"
		"  filter=proc.name = sshd and evt.type != exit  \r\n"
		"watch = create,mkdir=/usr/lib\n"
		"\t# indented comment\n"
		"watch =all=/etc\n"
		"json = no\n"
		"file-bytes = yes\n"
		"socket-bytes = on", err));
	CHECK_STR("", err);
	CHECK_STR("/var/lib/edgetrace/spool", c.spool);
	CHECK_STR("proc.name = sshd and evt.type != exit", c.filter);
	CHECK_INT(2, c.n_watches);
	CHECK_STR("create,mkdir=/usr/lib", c.watches[0]);
	CHECK_INT(5, c.watch_lines[0]);
	CHECK_STR("all=/etc", c.watches[1]);
	CHECK_INT(7, c.watch_lines[1]);
	CHECK_INT(0, c.json);
	CHECK_INT(1, c.file_bytes);
	CHECK_INT(1, c.socket_bytes);
	et_config_free(&c);
}

static void unset_settings(void)
{
	struct et_config c;
	char err[256];

	CHECK_INT(0, parse(&c, "# nothing\n\n", err));
	CHECK(c.spool == NULL && c.filter == NULL);
	CHECK_INT(0, c.n_watches);
	CHECK_INT(-1, c.json);
	CHECK_INT(-1, c.file_bytes);
	CHECK_INT(-1, c.socket_bytes);
	et_config_free(&c);
}

/* btf: a BTF file, or "none" for reduced mode (run decides which). */
static void btf_setting(void)
{
	struct et_config c;
	char err[256];

	CHECK_INT(0, parse(&c, "btf = none\n", err));
	CHECK_STR("none", c.btf);
	et_config_free(&c);
	CHECK_INT(0, parse(&c, "btf=/usr/lib/edgetrace/vmlinux.btf", err));
	CHECK_STR("/usr/lib/edgetrace/vmlinux.btf", c.btf);
	et_config_free(&c);
	CHECK_INT(-1, parse(&c, "btf = none\nbtf = /x.btf\n", err));
	CHECK_STR("f:2: 'btf' is set twice (only 'watch' may be repeated)", err);
}

/* The uplink's settings: read as strings, each once, never checked here. */
static void uplink_settings(void)
{
	struct et_config c;
	char err[256];

	CHECK_INT(0, parse(&c, "uplink-url = https://c.example:8443/v1/batches\n"
			   "uplink-ca = /etc/edgetrace/ca.crt\n"
			   "uplink-cert = /etc/edgetrace/device.crt\n"
			   "uplink-key = /etc/edgetrace/tls.key\n"
			   "fleet-pub = /etc/edgetrace/fleet.pub\n"
			   "device-key = /etc/edgetrace/device.key\n"
			   "device-id = gw-0042\n"
			   "uplink-rate = 20k\n"
			   "uplink-quota = 50M\n"
			   "uplink-backoff = 60\n", err));
	CHECK_STR("https://c.example:8443/v1/batches", c.uplink_url);
	CHECK_STR("/etc/edgetrace/ca.crt", c.uplink_ca);
	CHECK_STR("/etc/edgetrace/device.crt", c.uplink_cert);
	CHECK_STR("/etc/edgetrace/tls.key", c.uplink_key);
	CHECK_STR("/etc/edgetrace/fleet.pub", c.fleet_pub);
	CHECK_STR("/etc/edgetrace/device.key", c.device_key);
	CHECK_STR("gw-0042", c.device_id);
	CHECK_STR("20k", c.uplink_rate);
	CHECK_STR("50M", c.uplink_quota);
	CHECK_STR("60", c.uplink_backoff);
	CHECK(c.spool == NULL);
	et_config_free(&c);
	CHECK_INT(-1, parse(&c, "device-id = a\ndevice-id = b\n", err));
	CHECK(strstr(err, "f:2: 'device-id' is set twice") != NULL);
}

static void errors(void)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "spool = /a\nspol = /b\n", "f:2: unknown setting 'spol'" },
		{ "\n\n--watch = all=/etc\n", "f:3: unknown setting '--watch'" },
		{ "spool /a\n", "f:1: expected NAME = VALUE, got 'spool /a'" },
		{ "filter =   \n", "f:1: 'filter' has no value" },
		{ "spool = /a\nspool = /b\n", "f:2: 'spool' is set twice" },
		{ "json = yes\njson = no\n", "f:2: 'json' is set twice" },
		{ "file-bytes = maybe\n", "f:1: 'file-bytes' takes yes or no, "
					  "not 'maybe'" },
	};
	struct et_config c;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(-1, parse(&c, bad[i].text, err));
		if (!strstr(err, bad[i].msg))
			CHECK_FAIL("'%s': expected \"%s\" in \"%s\"",
				   bad[i].text, bad[i].msg, err);
	}
}

static void files(void)
{
	char dir[] = "/tmp/et-config-XXXXXX", path[64], err[256];
	struct et_config c;
	char *big;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_INT(-1, et_config_load(&c, path, err, sizeof(err)));
	CHECK(strstr(err, "cannot read --config") != NULL);
	CHECK(strstr(err, "No such file") != NULL);

	CHECK_INT(-1, et_config_load(&c, dir, err, sizeof(err)));
	CHECK(strstr(err, dir) != NULL);

	snprintf(path, sizeof(path), "%s/big", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	big = calloc(1, ET_CONFIG_MAX_BYTES + 1);
	CHECK(fd >= 0 && big);
	memset(big, '#', ET_CONFIG_MAX_BYTES + 1);
	CHECK_INT(ET_CONFIG_MAX_BYTES + 1,
		  write(fd, big, ET_CONFIG_MAX_BYTES + 1));
	close(fd);
	free(big);
	CHECK_INT(-1, et_config_load(&c, path, err, sizeof(err)));
	CHECK(strstr(err, "larger than 64 KiB") != NULL);

	snprintf(path, sizeof(path), "%s/bin", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK_INT(9, write(fd, "spool\0 = ", 9));
	close(fd);
	CHECK_INT(-1, et_config_load(&c, path, err, sizeof(err)));
	CHECK(strstr(err, "not a text file") != NULL);

	snprintf(path, sizeof(path), "%s/ok", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK_INT(17, write(fd, "watch = open=/tmp", 17));
	close(fd);
	CHECK_INT(0, et_config_load(&c, path, err, sizeof(err)));
	CHECK_INT(1, c.n_watches);
	CHECK_STR("open=/tmp", c.watches[0]);
	et_config_free(&c);

	unlink(path);
	snprintf(path, sizeof(path), "%s/bin", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/big", dir);
	unlink(path);
	rmdir(dir);
}

CHECK_MAIN_BEGIN("test_config")
	RUN(every_setting);
	RUN(unset_settings);
	RUN(btf_setting);
	RUN(errors);
	RUN(uplink_settings);
	RUN(files);
CHECK_MAIN_END
