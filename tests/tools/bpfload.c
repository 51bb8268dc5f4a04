// SPDX-License-Identifier: GPL-2.0
/*
 * bpfload.c - load a BPF object into the running kernel, and unload it.
 *
 *	bpfload OBJECT
 *
 * Opens OBJECT with the pinned libbpf (the agent's), loads every program
 * and map through the verifier, attaches nothing, prints "loaded N
 * programs" and exits 0; on failure prints libbpf's reason and exits 1.
 * The BPF bytecode of the four targets differs only in its CO-RE
 * relocations, which libbpf resolves against this kernel's BTF, so each
 * board's object can be put through this kernel's verifier: a check that
 * the code of every target is accepted before it meets a board kernel.
 */
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	int n = 0, ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: bpfload OBJECT\n");
		return 2;
	}
	libbpf_set_print(print);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "bpfload: cannot open %s\n", argv[1]);
		return 1;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "bpfload: %s does not load\n", argv[1]);
		goto out;
	}
	bpf_object__for_each_program(prog, obj)
		n++;
	printf("loaded %d programs\n", n);
	ret = 0;
out:
	bpf_object__close(obj);
	return ret;
}
