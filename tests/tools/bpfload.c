// SPDX-License-Identifier: GPL-2.0
/*
 * bpfload.c - load a BPF object into the running kernel, and unload it.
 *
 *	bpfload [-s NAME=VALUE]... OBJECT
 *
 * Opens OBJECT with the pinned libbpf (the agent's), loads every program
 * and map through the verifier, attaches nothing, prints "loaded N
 * programs" and exits 0; on failure prints libbpf's reason and exits 1.
 * The BPF bytecode of the four targets differs only in its CO-RE
 * relocations, which libbpf resolves against this kernel's BTF, so each
 * board's object can be put through this kernel's verifier: a check that
 * the code of every target is accepted before it meets a board kernel.
 * -s sets a 32-bit read-only global (a `const volatile` the loader of the
 * agent sets) before the load, so that the code behind it is verified.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Set the 32-bit variable @name of the .rodata section to @val. */
static int set_rodata(struct bpf_object *obj, const char *name, __u32 val)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec, *var;
	struct bpf_map *map;
	size_t size;
	char *data;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
	if (id < 0)
		return -1;
	sec = btf__type_by_id(btf, id);
	bpf_object__for_each_map(map, obj) {
		if (!strstr(bpf_map__name(map), ".rodata"))
			continue;
		data = bpf_map__initial_value(map, &size);
		vs = btf_var_secinfos(sec);
		for (i = 0; data && i < btf_vlen(sec); i++, vs++) {
			var = btf__type_by_id(btf, vs->type);
			if (strcmp(btf__name_by_offset(btf, var->name_off), name) ||
			    vs->size != sizeof(val) ||
			    vs->offset + sizeof(val) > size)
				continue;
			memcpy(data + vs->offset, &val, sizeof(val));
			return 0;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	int n = 0, ret = 1, opt, i;
	char *sets[16], *eq;
	int nsets = 0;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's' || nsets == 16 || !strchr(optarg, '=')) {
			fprintf(stderr, "usage: bpfload [-s NAME=VALUE]... OBJECT\n");
			return 2;
		}
		sets[nsets++] = optarg;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "usage: bpfload [-s NAME=VALUE]... OBJECT\n");
		return 2;
	}
	libbpf_set_print(print);
	obj = bpf_object__open_file(argv[optind], NULL);
	if (!obj) {
		fprintf(stderr, "bpfload: cannot open %s\n", argv[optind]);
		return 1;
	}
	for (i = 0; i < nsets; i++) {
		eq = strchr(sets[i], '=');
		*eq = '\0';
		if (set_rodata(obj, sets[i], strtoul(eq + 1, NULL, 0))) {
			fprintf(stderr, "bpfload: %s has no 32-bit read-only "
				"global %s\n", argv[optind], sets[i]);
			goto out;
		}
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "bpfload: %s does not load\n", argv[optind]);
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
