// SPDX-License-Identifier: GPL-2.0
/*
 * iorun.c - run a command and report its final I/O counters, CPU time and
 * wall time, for the benchmarks.
 *
 *	iorun [-o FILE] CMD [ARGS...]
 *
 * Forks, execs CMD, and waits for it with waitid(WEXITED | WNOWAIT): the
 * child is then a zombie, not yet reaped, so /proc/PID/io still holds its
 * final counters (all its threads summed), which a poll while it runs
 * would miss the end of. Then reaps it with wait4() for its rusage.
 *
 * One line on FILE (default stderr), key=value pairs separated by spaces:
 *
 *   iorun: exit=0 wall_s=1.234567 user_s=0.500000 sys_s=0.300000
 *     maxrss_kib=4096 rchar=... wchar=... syscr=... syscw=...
 *     read_bytes=... write_bytes=... cancelled_write_bytes=...
 *     oublock_bytes=...
 *
 * wall_s is CLOCK_MONOTONIC from just before the fork to the child's end;
 * the I/O counters are /proc/PID/io's (write_bytes: bytes of page cache
 * the process dirtied, that is what will be written to the device for
 * it, file system metadata and journal aside); oublock_bytes is rusage's
 * ru_oublock * 512, the same figure by another path, as a cross-check.
 *
 * Exit status: the command's (128 + signal if it was killed); 127 if it
 * could not be run, 2 on a bad command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* /proc/PID/io as "key=value ..." into @buf; "io=unreadable" if not. */
static void read_io(pid_t pid, char *buf, size_t len)
{
	char path[64], line[128], key[64];
	unsigned long long v;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	f = fopen(path, "re");
	if (!f) {
		snprintf(buf, len, "io=unreadable(%s)", strerror(errno));
		return;
	}
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f) && n < len) {
		if (sscanf(line, "%63[^:]: %llu", key, &v) != 2)
			continue;
		n += snprintf(buf + n, len - n, "%s%s=%llu", n ? " " : "",
			      key, v);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	char io[1024];
	struct rusage ru;
	siginfo_t si;
	double t0, t1;
	int status, code, c;
	FILE *o = stderr;
	pid_t pid;

	while ((c = getopt(argc, argv, "+ho:")) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'h':
			printf("usage: iorun [-o FILE] CMD [ARGS...]\n");
			return 0;
		default:
			fprintf(stderr, "usage: iorun [-o FILE] CMD [ARGS...]\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: iorun [-o FILE] CMD [ARGS...]\n");
		return 2;
	}
	if (out && !(o = fopen(out, "we"))) {
		fprintf(stderr, "iorun: cannot create %s: %s\n", out,
			strerror(errno));
		return 127;
	}
	fflush(NULL);
	t0 = now_s();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "iorun: fork: %s\n", strerror(errno));
		return 127;
	}
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "iorun: cannot run %s: %s\n", argv[optind],
			strerror(errno));
		_exit(127);
	}
	while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "iorun: waitid: %s\n", strerror(errno));
			return 127;
		}
	}
	t1 = now_s();
	read_io(pid, io, sizeof(io));
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "iorun: wait4: %s\n", strerror(errno));
			return 127;
		}
	}
	code = WIFEXITED(status) ? WEXITSTATUS(status) :
	       128 + WTERMSIG(status);
	fprintf(o, "iorun: exit=%d wall_s=%.6f user_s=%.6f sys_s=%.6f "
		"maxrss_kib=%ld %s oublock_bytes=%llu\n", code, t1 - t0,
		ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss,
		io, (unsigned long long)ru.ru_oublock * 512);
	if (out && fclose(o)) {
		fprintf(stderr, "iorun: cannot write %s\n", out);
		return 127;
	}
	return code;
}
