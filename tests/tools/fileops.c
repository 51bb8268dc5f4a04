// SPDX-License-Identifier: GPL-2.0
/*
 * fileops - run file operations given on the command line, one syscall
 * each, for the file probe's tests: `fileops cd /t : mkdir d : dirfd 0 d
 * : creat @0 f : rename f g`. Commands are separated by ":"; a path may
 * be preceded by @N (a directory fd opened with "dirfd N PATH") to use
 * the *at call with that fd; without it the legacy call is used where
 * this architecture has it (open, creat, unlink, ...), else the *at call
 * with AT_FDCWD. Each command prints "ok CMD" or "fail CMD errno" on
 * stdout; the exit status is the number of unexpected results, where a
 * command prefixed with "!" is expected to fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int dirfds[10];

/* "@N" before a path: the directory fd N; otherwise AT_FDCWD (-1 legacy) */
static int take_dirfd(char ***argv, int *legacy)
{
	char *a = **argv;

	if (a && a[0] == '@' && a[1] >= '0' && a[1] <= '9') {
		(*argv)++;
		*legacy = 0;
		return dirfds[a[1] - '0'];
	}
	*legacy = 1;
	return AT_FDCWD;
}

static int open_flags(const char *s)
{
	int f = 0;

	if (strchr(s, 'w'))
		f |= strchr(s, 'r') ? O_RDWR : O_WRONLY;
	if (strchr(s, 'c'))
		f |= O_CREAT;
	if (strchr(s, 't'))
		f |= O_TRUNC;
	if (strchr(s, 'x'))
		f |= O_EXCL;
	return f;
}

static long do_open(char **av)
{
	int legacy, d = take_dirfd(&av, &legacy);
	long fd;

	if (!av[0] || !av[1])
		return -EINVAL;
#ifdef SYS_open
	if (legacy)
		fd = syscall(SYS_open, av[0], open_flags(av[1]), 0644);
	else
#endif
		fd = syscall(SYS_openat, d, av[0], open_flags(av[1]), 0644);
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -errno : 0;
}

static long do_creat(char **av)
{
	long fd;

#ifdef SYS_creat
	fd = syscall(SYS_creat, av[0], 0644);
#else
	fd = syscall(SYS_openat, AT_FDCWD, av[0],
		     O_CREAT | O_WRONLY | O_TRUNC, 0644);
#endif
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -errno : 0;
}

#define RET(x)	((x) < 0 ? -errno : 0)

static long do_unlink(char **av, int rmdir_flag)
{
	int legacy, d = take_dirfd(&av, &legacy);

#if defined(SYS_unlink) && defined(SYS_rmdir)
	if (legacy)
		return RET(syscall(rmdir_flag ? SYS_rmdir : SYS_unlink,
				   av[0]));
#endif
	return RET(syscall(SYS_unlinkat, d, av[0],
			   rmdir_flag ? AT_REMOVEDIR : 0));
}

static long do_rename(char **av)
{
	int l1, l2, d1 = take_dirfd(&av, &l1), d2;
	char *old = *av++;

	d2 = take_dirfd(&av, &l2);
#ifdef SYS_rename
	if (l1 && l2)
		return RET(syscall(SYS_rename, old, av[0]));
#endif
	return RET(syscall(SYS_renameat2, d1, old, d2, av[0], 0));
}

static long do_mk(char **av, int node)
{
	int legacy, d = take_dirfd(&av, &legacy);
	mode_t mode = node ? S_IFIFO | 0600 : 0755;

#if defined(SYS_mkdir) && defined(SYS_mknod)
	if (legacy)
		return RET(node ? syscall(SYS_mknod, av[0], mode, 0) :
			   syscall(SYS_mkdir, av[0], mode));
#endif
	return RET(node ? syscall(SYS_mknodat, d, av[0], mode, 0) :
		   syscall(SYS_mkdirat, d, av[0], mode));
}

static long do_chmod(char **av)
{
	int legacy, d = take_dirfd(&av, &legacy);
	mode_t mode = strtol(av[1], NULL, 8);

#ifdef SYS_chmod
	if (legacy)
		return RET(syscall(SYS_chmod, av[0], mode));
#endif
	return RET(syscall(SYS_fchmodat, d, av[0], mode));
}

static long do_chown(char **av)
{
	int legacy, d = take_dirfd(&av, &legacy);

#ifdef SYS_chown
	if (legacy)
		return RET(syscall(SYS_chown, av[0], atoi(av[1]), atoi(av[2])));
#endif
	return RET(syscall(SYS_fchownat, d, av[0], atoi(av[1]), atoi(av[2]),
			   0));
}

/* f-calls: open PATH, call on the fd, close */
static long do_fcall(const char *cmd, char **av)
{
	int fd = open(av[0], O_RDWR), rc;

	if (fd < 0)
		return -errno;
	if (!strcmp(cmd, "fchmod"))
		rc = fchmod(fd, strtol(av[1], NULL, 8));
	else if (!strcmp(cmd, "fchown"))
		rc = fchown(fd, atoi(av[1]), atoi(av[2]));
	else
		rc = ftruncate(fd, atol(av[1]));
	rc = rc < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static long do_symlink(char **av)
{
	char *target = *av++;
	int legacy, d = take_dirfd(&av, &legacy);

#ifdef SYS_symlink
	if (legacy)
		return RET(syscall(SYS_symlink, target, av[0]));
#endif
	return RET(syscall(SYS_symlinkat, target, d, av[0]));
}

static long do_link(char **av)
{
	int l1, l2, d1 = take_dirfd(&av, &l1), d2;
	char *old = *av++;

	d2 = take_dirfd(&av, &l2);
#ifdef SYS_link
	if (l1 && l2)
		return RET(syscall(SYS_link, old, av[0]));
#endif
	return RET(syscall(SYS_linkat, d1, old, d2, av[0], 0));
}

/*
 * rw PATH W R: open PATH read-write (created), write W bytes (write,
 * pwrite and writev), read R back from the start (read, pread, readv),
 * close: the file probe's byte totals must say W and R.
 */
static long do_rw(char **av)
{
	static char buf[65536];
	long w = atol(av[1]), r = atol(av[2]), done = 0, n;
	struct iovec iov[2];
	int fd = open(av[0], O_RDWR | O_CREAT, 0644);

	if (fd < 0)
		return -errno;
	memset(buf, 'x', sizeof(buf));
	lseek(fd, 0, SEEK_SET);
	for (int i = 0; done < w; i++) {
		long chunk = w - done < 4000 ? w - done : 4000;

		if (i % 3 == 0)
			n = write(fd, buf, chunk);
		else if (i % 3 == 1)
			n = pwrite(fd, buf, chunk, done);
		else {
			iov[0].iov_base = buf;
			iov[0].iov_len = chunk / 2;
			iov[1].iov_base = buf;
			iov[1].iov_len = chunk - chunk / 2;
			n = writev(fd, iov, 2);
		}
		if (n <= 0)
			return -EIO;
		done += n;
		if (i % 3 == 1)
			lseek(fd, done, SEEK_SET);
	}
	lseek(fd, 0, SEEK_SET);
	for (int i = 0, got = 0; got < r; i++) {
		long chunk = r - got < 3000 ? r - got : 3000;

		if (i % 3 == 0)
			n = pread(fd, buf, chunk, got);
		else if (i % 3 == 1)
			n = read(fd, buf, chunk);
		else {
			iov[0].iov_base = buf;
			iov[0].iov_len = chunk;
			n = readv(fd, iov, 1);
		}
		if (n <= 0)
			return -EIO;
		got += n;
		if (i % 3 == 0)
			lseek(fd, got, SEEK_SET);
	}
	return RET(close(fd));
}

static long run(const char *cmd, char **av)
{
	if (!strcmp(cmd, "rw"))
		return do_rw(av);
	if (!strcmp(cmd, "cd"))
		return RET(chdir(av[0]));
	if (!strcmp(cmd, "dirfd")) {
		dirfds[atoi(av[0]) % 10] = open(av[1], O_RDONLY | O_DIRECTORY);
		return dirfds[atoi(av[0]) % 10] < 0 ? -errno : 0;
	}
	if (!strcmp(cmd, "open"))
		return do_open(av);
	if (!strcmp(cmd, "creat"))
		return do_creat(av);
	if (!strcmp(cmd, "unlink") || !strcmp(cmd, "rmdir"))
		return do_unlink(av, cmd[0] == 'r');
	if (!strcmp(cmd, "rename"))
		return do_rename(av);
	if (!strcmp(cmd, "mkdir") || !strcmp(cmd, "mknod"))
		return do_mk(av, cmd[2] == 'n');
	if (!strcmp(cmd, "chmod"))
		return do_chmod(av);
	if (!strcmp(cmd, "chown"))
		return do_chown(av);
	if (!strcmp(cmd, "fchmod") || !strcmp(cmd, "fchown") ||
	    !strcmp(cmd, "ftruncate"))
		return do_fcall(cmd, av);
	if (!strcmp(cmd, "truncate"))
		return RET(truncate(av[0], atol(av[1])));
	if (!strcmp(cmd, "symlink"))
		return do_symlink(av);
	if (!strcmp(cmd, "link"))
		return do_link(av);
	fprintf(stderr, "fileops: unknown command '%s'\n", cmd);
	exit(100);
}

int main(int argc, char **argv)
{
	int bad = 0, i = 1;

	printf("pid %d\n", getpid());
	while (i < argc) {
		char *cmd = argv[i], *args[8] = { 0 };
		int n = 0, expect_fail = cmd[0] == '!';
		long rc;

		for (i++; i < argc && strcmp(argv[i], ":"); i++)
			if (n < 7)
				args[n++] = argv[i];
		i++;	/* the ":" */
		rc = run(cmd + expect_fail, args);
		if (rc)
			printf("fail %s %ld\n", cmd + expect_fail, -rc);
		else
			printf("ok %s\n", cmd + expect_fail);
		bad += (rc == 0) == expect_fail;
	}
	return bad;
}
