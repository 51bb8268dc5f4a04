/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procinfo.h - what /proc tells of one live process: the fields of an
 * exec event that reduced mode cannot read in the kernel (no BTF), read
 * by the agent when it handles the event, if the process still lives.
 *
 * A short-lived process is gone by then, and its pid may even have been
 * given to another process: the caller passes the comm the event carries,
 * and an entry whose comm differs is refused as "not the same process".
 * Each field has a bit in @have, set only when it was read.
 */
#ifndef EDGETRACE_PROCINFO_H
#define EDGETRACE_PROCINFO_H

#include <stddef.h>
#include <stdint.h>

#define ET_PI_PATH_MAX	4096

/* struct et_procinfo.have */
#define ET_PI_PPID	(1u << 0)
#define ET_PI_SID	(1u << 1)
#define ET_PI_TTY	(1u << 2)	/* a controlling tty, named in tty[] */
#define ET_PI_EUID	(1u << 3)
#define ET_PI_EGID	(1u << 4)
#define ET_PI_EXE	(1u << 5)
#define ET_PI_CWD	(1u << 6)

struct et_procinfo {
	uint32_t have;		/* ET_PI_* */
	uint32_t ppid, sid, euid, egid;
	uint32_t tty_nr;	/* /proc/PID/stat's encoding; 0: none */
	char tty[40];		/* "pts/3", "ttyS0", ... */
	size_t exe_len, cwd_len;
	char exe[ET_PI_PATH_MAX];
	char cwd[ET_PI_PATH_MAX];
};

/*
 * Read process @pid from the procfs tree @procfs ("/proc"; tests pass a
 * fake tree). @comm (@comm_len bytes, as the event has it) must match the
 * process's; @sysfs ("/sys") names ttys other than pseudo-terminals. 0 when
 * the process was found (some fields may still be missing: see @pi->have),
 * -1 when it is gone or another one.
 */
int et_procinfo_read(const char *procfs, const char *sysfs, uint32_t pid,
		     const char *comm, size_t comm_len,
		     struct et_procinfo *pi);

/*
 * The name of tty @tty_nr (stat's encoding: major in bits 8-19 and minor
 * in bits 0-7 and 20-31) into @buf: "pts/N" for Unix98 pseudo-terminals,
 * else the device's name from @sysfs/dev/char/MAJOR:MINOR. 0, or -1.
 */
int et_tty_name(const char *sysfs, uint32_t tty_nr, char *buf, size_t len);

#endif /* EDGETRACE_PROCINFO_H */
