// SPDX-License-Identifier: GPL-2.0
/*
 * floor.c - load floor.bpf.o, attach its programs, print "capturing" on
 * stderr and wait for SIGINT or SIGTERM.
 *
 *	floor FILE.bpf.o
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: floor FILE.bpf.o\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "floor: cannot load %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "floor: cannot attach %s\n",
				bpf_program__name(prog));
			goto out;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "floor: capturing\n");
	while (!stop)
		pause();
	rc = 0;
out:
	bpf_object__close(obj);
	return rc;
}
