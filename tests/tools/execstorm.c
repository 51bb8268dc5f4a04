// SPDX-License-Identifier: GPL-2.0
/*
 * execstorm.c - run a program many times, as fast as possible, to load the
 * exec probe.
 *
 *	execstorm [-p] [-n N] [-j JOBS] [-d DIR] PROG [ARGS...]
 *
 * chdir(DIR) first, then run PROG N times (default 100) with JOBS workers
 * in parallel (default 1); each worker starts its share of the children
 * one after the other. PROG reaches execve() exactly as given (no PATH
 * search, no making it absolute), so `-d /usr/bin ./true` really execs
 * "./true". The children are started with vfork() + execve(): the child
 * only calls execve() and _exit(), so nothing buffered in stdio can be
 * written twice.
 *
 * -p prints, one per line and flushed before the first exec, the pid of
 * every process that will be the parent of the exec'd children: execstorm
 * itself with one job, the JOBS workers otherwise. Tests match the
 * children's ppid against these.
 *
 * Last line on stdout: "execstorm: N execs in S.sss s (R/s), F failed",
 * where F counts the children that could not exec PROG or exited other
 * than with status 0 (the first exec error is also told on stderr). The
 * exit status is 1 when F > 0, 2 on a bad command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* What a worker reports back, in memory shared with the main process. */
struct result {
	long done;
	long failed;
	int exec_errno;		/* first exec error, 0 if none */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: execstorm [-p] [-n N] [-j JOBS] [-d DIR] PROG [ARGS...]\n"
		"  -n N     exec PROG N times in all (default 100)\n"
		"  -j JOBS  parallel workers, each forking serially (default 1)\n"
		"  -d DIR   chdir to DIR first (PROG may be relative to it)\n"
		"  -p       print the pids of the children's parents first\n");
}

static long parse_count(const char *s, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min)
		return -1;
	return v;
}

/*
 * Start a child that execs @argv; the child stores its exec error in
 * *@child_errno (vfork: the parent's memory, read once the child is gone).
 * Kept apart so that no loop variable lives across vfork().
 */
static __attribute__((noinline)) pid_t spawn(char **argv,
					     volatile int *child_errno)
{
	pid_t pid;

	*child_errno = 0;
	pid = vfork();
	if (pid == 0) {
		execve(argv[0], argv, environ);
		*child_errno = errno;
		_exit(127);
	}
	return pid;
}

/* Exec @argv @n times, one child at a time; account in @res. */
static void run_serial(char **argv, long n, struct result *res)
{
	volatile int child_errno;
	long i;

	for (i = 0; i < n; i++) {
		pid_t pid = spawn(argv, &child_errno);
		int status;

		res->done++;
		if (pid < 0) {
			if (!res->exec_errno)
				res->exec_errno = errno;
			res->failed++;
			continue;
		}
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				status = -1;
				break;
			}
		}
		if (child_errno) {
			if (!res->exec_errno)
				res->exec_errno = child_errno;
			res->failed++;
		} else if (status == -1 || !WIFEXITED(status) ||
			   WEXITSTATUS(status) != 0) {
			res->failed++;
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct result *res = MAP_FAILED;
	const char *dir = NULL;
	long n = 100, jobs = 1, j, done = 0, failed = 0;
	int print_pids = 0, opt, err = 0, ret = 1;
	int go[2] = { -1, -1 };
	pid_t *workers = NULL;
	double t0, secs;

	while ((opt = getopt(argc, argv, "+hpn:j:d:")) != -1) {
		switch (opt) {
		case 'p':
			print_pids = 1;
			break;
		case 'n':
			n = parse_count(optarg, 0);
			break;
		case 'j':
			jobs = parse_count(optarg, 1);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (n < 0 || jobs < 0) {
			fprintf(stderr, "execstorm: -%c wants a number >= %d, got '%s'\n",
				opt, opt == 'j', optarg);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (dir && chdir(dir) < 0) {
		fprintf(stderr, "execstorm: chdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	argv += optind;

	res = mmap(NULL, jobs * sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		perror("execstorm: mmap");
		goto out;
	}
	memset(res, 0, jobs * sizeof(*res));

	if (jobs == 1) {
		if (print_pids) {
			printf("%d\n", (int)getpid());
			fflush(stdout);
		}
		t0 = now();
		run_serial(argv, n, &res[0]);
		goto report;
	}

	/* Workers wait for the write end of @go to close: pids printed first. */
	workers = calloc(jobs, sizeof(*workers));
	if (!workers || pipe(go) < 0) {
		perror("execstorm");
		goto out;
	}
	fflush(stdout);
	t0 = now();
	for (j = 0; j < jobs; j++) {
		pid_t pid = fork();
		char c;

		if (pid < 0) {
			perror("execstorm: fork");
			err = 1;
			break;
		}
		if (pid == 0) {
			close(go[1]);
			while (read(go[0], &c, 1) < 0 && errno == EINTR)
				;
			close(go[0]);
			run_serial(argv, n / jobs + (j < n % jobs), &res[j]);
			_exit(0);
		}
		workers[j] = pid;
		if (print_pids)
			printf("%d\n", (int)pid);
	}
	fflush(stdout);
	close(go[1]);
	go[1] = -1;
	for (j = 0; j < jobs && workers[j]; j++) {
		int status;

		while (waitpid(workers[j], &status, 0) < 0 && errno == EINTR)
			;
	}
	if (err)
		goto out;

report:
	secs = now() - t0;
	for (j = 0; j < jobs; j++) {
		done += res[j].done;
		failed += res[j].failed;
		if (res[j].exec_errno && !err) {
			fprintf(stderr, "execstorm: exec %s: %s\n", argv[0],
				strerror(res[j].exec_errno));
			err = 1;
		}
	}
	printf("execstorm: %ld execs in %.3f s (%.0f/s), %ld failed\n",
	       done, secs, secs > 0 ? done / secs : 0.0, failed);
	fflush(stdout);
	ret = failed ? 1 : 0;
out:
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	free(workers);
	if (res != MAP_FAILED)
		munmap(res, jobs * sizeof(*res));
	return ret;
}
