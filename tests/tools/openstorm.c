// SPDX-License-Identifier: GPL-2.0
/*
 * openstorm - N openat+close of one file, timed, for the open-storm
 * benchmark (bench/open-storm.sh).
 *
 *	openstorm [-n N] [-w] PATH
 *
 * Opens PATH read-only (-w: O_WRONLY) with openat(AT_FDCWD, ...) and
 * closes it, N times (default 1,000,000), and prints
 * "openstorm: n=N ns=ELAPSED per_op_ns=X" with CLOCK_MONOTONIC around the
 * loop. Exit status 1 if an open failed, 2 on a bad command line.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = 1000000;
	int flags = O_RDONLY, c;
	long long t0, t1;

	while ((c = getopt(argc, argv, "n:w")) != -1) {
		switch (c) {
		case 'n': n = atol(optarg); break;
		case 'w': flags = O_WRONLY; break;
		default:
			fprintf(stderr, "usage: openstorm [-n N] [-w] PATH\n");
			return 2;
		}
	}
	if (optind != argc - 1 || n <= 0) {
		fprintf(stderr, "usage: openstorm [-n N] [-w] PATH\n");
		return 2;
	}
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, argv[optind], flags);

		if (fd < 0) {
			perror(argv[optind]);
			return 1;
		}
		close(fd);
	}
	t1 = now_ns();
	printf("openstorm: n=%ld ns=%lld per_op_ns=%.1f\n", n, t1 - t0,
	       (double)(t1 - t0) / n);
	return 0;
}
