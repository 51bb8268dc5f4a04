// SPDX-License-Identifier: GPL-2.0
/*
 * procinfo.c - what /proc tells of one live process (procinfo.h), for the
 * exec events of reduced mode.
 *
 * Everything is read through a directory fd of /proc/PID opened once, so
 * that the files read belong to one process even if the pid is reused
 * meanwhile (a /proc/PID directory stays bound to its task); the comm of
 * "stat" is compared with the event's before anything is taken from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procinfo.h"

#define READ_BUF	1024
#define STAT_PPID	4	/* proc(5) field numbers */
#define STAT_SESSION	6
#define STAT_TTY_NR	7

static ssize_t read_small(int dfd, const char *name, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do {
		n = read(fd, buf, size - 1);
	} while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static int parse_u32(const char *s, char **end, uint32_t *v)
{
	unsigned long long x;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	x = strtoull(s, end, 10);
	if (errno || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/*
 * "pid (comm) state ppid pgrp session tty_nr ...": comm is what lies
 * between the first '(' and the last ')'; it must be @comm.
 */
static int parse_stat(char *buf, const char *comm, size_t comm_len,
		      struct et_procinfo *pi)
{
	char *lp = strchr(buf, '('), *rp = strrchr(buf, ')'), *s, *end;
	uint32_t v;
	int i;

	if (!lp || !rp || rp < lp)
		return -1;
	if ((size_t)(rp - lp - 1) != comm_len || memcmp(lp + 1, comm, comm_len))
		return -1;
	s = rp + 2;	/* ") S ..." */
	if (s[-1] != ' ' || !*s)
		return -1;
	s += 2;		/* past the state letter */
	for (i = STAT_PPID; i <= STAT_TTY_NR; i++) {
		/* tty_nr is an int: a negative one would be no tty */
		if (parse_u32(s, &end, &v) || (*end != ' ' && *end != '\n'))
			return 0;	/* what was read stays */
		s = end + 1;
		if (i == STAT_PPID) {
			pi->ppid = v;
			pi->have |= ET_PI_PPID;
		} else if (i == STAT_SESSION) {
			pi->sid = v;
			pi->have |= ET_PI_SID;
		} else if (i == STAT_TTY_NR) {
			pi->tty_nr = v;
		}
	}
	return 0;
}

/* The effective id of "KEY:\treal\teffective\tsaved\tfs" in @buf. */
static int status_id(const char *buf, const char *key, uint32_t *id)
{
	const char *s = strstr(buf, key);
	char *end;
	uint32_t real;

	if (!s || (s != buf && s[-1] != '\n'))
		return -1;
	s += strlen(key);
	while (*s == '\t' || *s == ' ')
		s++;
	if (parse_u32(s, &end, &real))
		return -1;
	s = end;
	while (*s == '\t' || *s == ' ')
		s++;
	return parse_u32(s, &end, id);
}

static size_t read_link(int dfd, const char *name, char *buf, size_t size)
{
	ssize_t n = readlinkat(dfd, name, buf, size - 1);

	if (n <= 0 || (size_t)n >= size - 1)
		return 0;	/* none, or possibly cut */
	buf[n] = '\0';
	return (size_t)n;
}

int et_tty_name(const char *sysfs, uint32_t tty_nr, char *buf, size_t len)
{
	uint32_t major = (tty_nr >> 8) & 0xfff;
	uint32_t minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
	char path[128], target[256], *base;
	ssize_t n;

	if (!tty_nr)
		return -1;
	if (major >= 136 && major <= 143) {	/* Unix98 pseudo-terminals */
		snprintf(buf, len, "pts/%u", (major - 136) * 256 + minor);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/dev/char/%u:%u", sysfs, major, minor);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (!*base || strlen(base) >= len)
		return -1;
	snprintf(buf, len, "%s", base);
	return 0;
}

int et_procinfo_read(const char *procfs, const char *sysfs, uint32_t pid,
		     const char *comm, size_t comm_len,
		     struct et_procinfo *pi)
{
	char path[64], buf[READ_BUF];
	int dfd, ret = -1;

	pi->have = 0;
	pi->tty_nr = 0;
	snprintf(path, sizeof(path), "%s/%u", procfs, pid);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	if (read_small(dfd, "stat", buf, sizeof(buf)) <= 0 ||
	    parse_stat(buf, comm, comm_len, pi))
		goto out;
	if (pi->tty_nr && !et_tty_name(sysfs, pi->tty_nr, pi->tty,
				       sizeof(pi->tty)))
		pi->have |= ET_PI_TTY;
	if (read_small(dfd, "status", buf, sizeof(buf)) > 0) {
		if (!status_id(buf, "Uid:", &pi->euid))
			pi->have |= ET_PI_EUID;
		if (!status_id(buf, "Gid:", &pi->egid))
			pi->have |= ET_PI_EGID;
	}
	pi->exe_len = read_link(dfd, "exe", pi->exe, sizeof(pi->exe));
	if (pi->exe_len && pi->exe[0] == '/')
		pi->have |= ET_PI_EXE;
	pi->cwd_len = read_link(dfd, "cwd", pi->cwd, sizeof(pi->cwd));
	if (pi->cwd_len && pi->cwd[0] == '/')
		pi->have |= ET_PI_CWD;
	ret = 0;
out:
	close(dfd);
	return ret;
}
