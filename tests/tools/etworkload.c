// SPDX-License-Identifier: GPL-2.0
/*
 * etworkload.c - small, exactly controlled process workloads for the
 * integration tests.
 *
 *	etworkload execveat DIRPATH NAME [ARGS...]
 *	etworkload fexecve PATH [ARGS...]
 *	etworkload exec PATH [ARGS...]
 *	etworkload exit CODE
 *	etworkload signal SIG
 *	etworkload threads N
 *	etworkload fork N
 *	etworkload setuid UID GID
 *	etworkload ptrace
 *
 * Each mode prints the pids the test needs on stdout, one per line and
 * flushed, before it acts, so a test can find the events of exactly these
 * processes:
 *
 *   execveat  own pid; then execveat(open(DIRPATH, O_PATH|O_DIRECTORY),
 *             NAME, {NAME, ARGS...}, environ, 0)
 *   fexecve   own pid; then execveat(open(PATH, O_RDONLY), "",
 *             {PATH, ARGS...}, environ, AT_EMPTY_PATH), which is what
 *             fexecve() does, without libc's /proc/self/fd fallback
 *   exec      own pid; then execve(PATH, {PATH, ARGS...}, environ) with
 *             PATH exactly as given (relative paths, symlinks)
 *   exit      the pid of a child that exits with CODE (0-255)
 *   signal    the pid of a child that pause()s until it is sent signal
 *             number SIG (if SIG does not end it within a second, it is
 *             sent SIGKILL, and the exit status is 1)
 *   threads   own pid, then the tid of each of N threads, which sleep
 *             50 ms and are joined
 *   fork      the pid of each of N children that exit 0 at once
 *   setuid    own pid; then setgid(GID) and setuid(UID), in that order
 *   ptrace    the pid of a child that pause()s, then PTRACE_ATTACH to it
 *             (and waitpid for its stop), PTRACE_DETACH, PTRACE_SEIZE,
 *             PTRACE_INTERRUPT (and waitpid), PTRACE_DETACH, SIGKILL; then
 *             the pid of a second child that calls PTRACE_TRACEME and
 *             stops itself with SIGSTOP, and is sent SIGKILL once stopped
 *
 * The exec modes only return on failure (exit status 127). The others
 * exit 0 when the children ended as intended, 1 otherwise; a bad command
 * line exits 2 with the usage on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_SEIZE
#define PTRACE_SEIZE 0x4206
#endif
#ifndef PTRACE_INTERRUPT
#define PTRACE_INTERRUPT 0x4207
#endif

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

extern char **environ;

static const char usage_text[] =
	"usage: etworkload MODE ARGS...\n"
	"  execveat DIRPATH NAME [ARGS...]  execveat(dirfd of DIRPATH, NAME)\n"
	"  fexecve PATH [ARGS...]           execveat(fd of PATH, \"\", AT_EMPTY_PATH)\n"
	"  exec PATH [ARGS...]              execve(PATH) exactly as given\n"
	"  exit CODE                        a child exits with CODE\n"
	"  signal SIG                       a child is killed by signal number SIG\n"
	"  threads N                        N threads print their tid, sleep 50 ms\n"
	"  fork N                           N children exit 0 at once\n"
	"  setuid UID GID                   setgid(GID), then setuid(UID)\n"
	"  ptrace                           attach to, seize a child; TRACEME\n"
	"Prints the pids the test needs, one per line, before acting.\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return 2;
}

static void print_pid(pid_t pid)
{
	printf("%d\n", (int)pid);
	fflush(stdout);
}

static long parse_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}

static int sys_execveat(int dirfd, const char *path, char **argv, int flags)
{
	return syscall(SYS_execveat, dirfd, path, argv, environ, flags);
}

/* execveat DIRPATH NAME [ARGS...]: @argv starts at DIRPATH. */
static int do_execveat(int argc, char **argv)
{
	int dirfd;

	if (argc < 2)
		return usage();
	dirfd = open(argv[0], O_PATH | O_DIRECTORY);
	if (dirfd < 0) {
		fprintf(stderr, "etworkload: open %s: %s\n", argv[0],
			strerror(errno));
		return 127;
	}
	print_pid(getpid());
	sys_execveat(dirfd, argv[1], argv + 1, 0);
	fprintf(stderr, "etworkload: execveat %s/%s: %s\n", argv[0], argv[1],
		strerror(errno));
	close(dirfd);
	return 127;
}

/* fexecve PATH [ARGS...] */
static int do_fexecve(int argc, char **argv)
{
	int fd;

	if (argc < 1)
		return usage();
	fd = open(argv[0], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "etworkload: open %s: %s\n", argv[0],
			strerror(errno));
		return 127;
	}
	print_pid(getpid());
	sys_execveat(fd, "", argv, AT_EMPTY_PATH);
	fprintf(stderr, "etworkload: execveat fd of %s: %s\n", argv[0],
		strerror(errno));
	close(fd);
	return 127;
}

/* exec PATH [ARGS...] */
static int do_exec(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	print_pid(getpid());
	execve(argv[0], argv, environ);
	fprintf(stderr, "etworkload: execve %s: %s\n", argv[0],
		strerror(errno));
	return 127;
}

/* Wait for @pid, retrying on EINTR; -1 on error. */
static int wait_child(pid_t pid, int *status, int flags)
{
	pid_t r;

	do {
		r = waitpid(pid, status, flags);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : r;
}

/* exit CODE */
static int do_exit(int argc, char **argv)
{
	long code;
	pid_t pid;
	int status;

	if (argc != 1 || (code = parse_num(argv[0], 0, 255)) < 0)
		return usage();
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("etworkload: fork");
		return 1;
	}
	if (pid == 0)
		_exit(code);
	print_pid(pid);
	if (wait_child(pid, &status, 0) < 0) {
		perror("etworkload: waitpid");
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != code) {
		fprintf(stderr, "etworkload: child %d: status 0x%x, want exit %ld\n",
			(int)pid, status, code);
		return 1;
	}
	return 0;
}

/* signal SIG */
static int do_signal(int argc, char **argv)
{
	long sig;
	pid_t pid;
	int status, i, ret = 1;

	if (argc != 1 || (sig = parse_num(argv[0], 1, _NSIG - 1)) < 0)
		return usage();
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("etworkload: fork");
		return 1;
	}
	if (pid == 0) {
		for (;;)
			pause();
	}
	print_pid(pid);
	if (kill(pid, sig) < 0) {
		perror("etworkload: kill");
		goto kill;
	}
	/* a signal that stops or is ignored does not end it: poll 1 s */
	for (i = 0; i < 100; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		pid_t r = wait_child(pid, &status, WNOHANG);

		if (r < 0) {
			perror("etworkload: waitpid");
			return 1;
		}
		if (r == pid) {
			if (WIFSIGNALED(status) && WTERMSIG(status) == sig)
				return 0;
			fprintf(stderr, "etworkload: child %d: status 0x%x, want signal %ld\n",
				(int)pid, status, sig);
			return 1;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "etworkload: child %d survived signal %ld, killing it\n",
		(int)pid, sig);
kill:
	kill(pid, SIGKILL);
	if (wait_child(pid, &status, 0) < 0)
		perror("etworkload: waitpid");
	return ret;
}

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static void *thread_main(void *arg)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	(void)arg;
	pthread_mutex_lock(&print_lock);
	print_pid(syscall(SYS_gettid));
	pthread_mutex_unlock(&print_lock);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return NULL;
}

/* threads N */
static int do_threads(int argc, char **argv)
{
	pthread_t *threads;
	long n, i, started;
	int err, ret = 1;

	if (argc != 1 || (n = parse_num(argv[0], 0, 100000)) < 0)
		return usage();
	threads = calloc(n ? n : 1, sizeof(*threads));
	if (!threads) {
		perror("etworkload");
		return 1;
	}
	print_pid(getpid());
	for (started = 0; started < n; started++) {
		err = pthread_create(&threads[started], NULL, thread_main, NULL);
		if (err) {
			fprintf(stderr, "etworkload: pthread_create: %s\n",
				strerror(err));
			goto join;
		}
	}
	ret = 0;
join:
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	return ret;
}

/* fork N */
static int do_fork(int argc, char **argv)
{
	long n, i, started;
	pid_t *pids;
	int status, ret = 1;

	if (argc != 1 || (n = parse_num(argv[0], 0, 100000)) < 0)
		return usage();
	pids = calloc(n ? n : 1, sizeof(*pids));
	if (!pids) {
		perror("etworkload");
		return 1;
	}
	fflush(stdout);
	for (started = 0; started < n; started++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("etworkload: fork");
			goto wait;
		}
		if (pid == 0)
			_exit(0);
		pids[started] = pid;
		print_pid(pid);
	}
	ret = 0;
wait:
	for (i = 0; i < started; i++) {
		if (wait_child(pids[i], &status, 0) < 0) {
			perror("etworkload: waitpid");
			ret = 1;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			ret = 1;
		}
	}
	free(pids);
	return ret;
}

/* setuid UID GID */
static int do_setuid(int argc, char **argv)
{
	long uid, gid;

	if (argc != 2 || (uid = parse_num(argv[0], 0, 0x7fffffff)) < 0 ||
	    (gid = parse_num(argv[1], 0, 0x7fffffff)) < 0)
		return usage();
	print_pid(getpid());
	if (setgid(gid) < 0) {
		perror("etworkload: setgid");
		return 1;
	}
	if (setuid(uid) < 0) {
		perror("etworkload: setuid");
		return 1;
	}
	return 0;
}

/* ptrace(@req, @pid) and, for a request that stops the tracee, wait for
 * the stop; -1 (told on stderr) on failure. */
static int trace_step(long req, const char *name, pid_t pid, int stops)
{
	int status;

	if (ptrace(req, pid, NULL, NULL) < 0) {
		fprintf(stderr, "etworkload: ptrace %s %d: %s\n", name,
			(int)pid, strerror(errno));
		return -1;
	}
	if (!stops)
		return 0;
	if (wait_child(pid, &status, 0) < 0 || !WIFSTOPPED(status)) {
		fprintf(stderr, "etworkload: ptrace %s %d: no stop\n", name,
			(int)pid);
		return -1;
	}
	return 0;
}

/* ptrace */
static int do_ptrace(int argc, char **argv)
{
	pid_t pid;
	int status = 0, ret = 0;

	(void)argv;
	if (argc != 0)
		return usage();
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("etworkload: fork");
		return 1;
	}
	if (pid == 0) {
		for (;;)
			pause();
	}
	print_pid(pid);
	if (trace_step(PTRACE_ATTACH, "attach", pid, 1) < 0 ||
	    trace_step(PTRACE_DETACH, "detach", pid, 0) < 0 ||
	    trace_step(PTRACE_SEIZE, "seize", pid, 0) < 0 ||
	    trace_step(PTRACE_INTERRUPT, "interrupt", pid, 1) < 0 ||
	    trace_step(PTRACE_DETACH, "detach", pid, 0) < 0)
		ret = 1;
	kill(pid, SIGKILL);
	if (wait_child(pid, &status, 0) < 0) {
		perror("etworkload: waitpid");
		ret = 1;
	}

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("etworkload: fork");
		return 1;
	}
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(1);
		raise(SIGSTOP);
		_exit(0);
	}
	print_pid(pid);
	if (wait_child(pid, &status, 0) < 0 || !WIFSTOPPED(status)) {
		fprintf(stderr, "etworkload: traceme child %d: status 0x%x, want a stop\n",
			(int)pid, status);
		ret = 1;
	}
	kill(pid, SIGKILL);
	while (wait_child(pid, &status, 0) == pid && !WIFEXITED(status) &&
	       !WIFSIGNALED(status))
		;
	return ret;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} modes[] = {
		{ "execveat", do_execveat },
		{ "fexecve", do_fexecve },
		{ "exec", do_exec },
		{ "exit", do_exit },
		{ "signal", do_signal },
		{ "threads", do_threads },
		{ "fork", do_fork },
		{ "setuid", do_setuid },
		{ "ptrace", do_ptrace },
	};
	size_t i;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(argv[1], modes[i].name))
			return modes[i].fn(argc - 2, argv + 2);
	}
	fprintf(stderr, "etworkload: unknown mode '%s'\n", argv[1]);
	return usage();
}
