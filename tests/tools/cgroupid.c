// SPDX-License-Identifier: GPL-2.0
/*
 * cgroupid.c - cgroup ids as the agent and the kernel see them, for
 * tests/integration/test_container_cgroup.sh.
 *
 *	cgroupid id DIR
 *		"<id> <inode>": the id of cgroup directory DIR from
 *		et_cgroup_id_of() (name_to_handle_at), and its inode number.
 *	cgroupid join ROOT DIR
 *		move this process into cgroup DIR (DIR/cgroup.procs), then print
 *		"<path> <id>": the v2 path the kernel shows in /proc/self/cgroup
 *		and the id that bpf_get_current_cgroup_id() returns for this
 *		task, from a two-instruction raw tracepoint program run with
 *		BPF_PROG_TEST_RUN (which runs it in the caller's context; its
 *		32-bit return value carries the id in two halves). Then move
 *		back to where it came from (ROOT is the cgroup2 mount).
 *	cgroupid lookup ROOT CAPACITY ID...
 *		one line per ID through an et_cgroups cache of CAPACITY entries
 *		over ROOT: "<id> <path> <runtime|-> <container id|-> <pod|->",
 *		or "<id> -" when the cache does not know the id.
 *	cgroupid capacity ROOT CAPACITY ID
 *		"indexed N" from et_cgroups_rescan(), "first RC" for a lookup of
 *		ID just after it (a miss rescans at most once a second), then
 *		"indexed N" again from a forced rescan and "second RC PATH".
 *	cgroupid ratelimit ROOT DIR1 DIR2
 *		the rescan rate limit: with a warm cache, creates DIR1 and DIR2
 *		(then removes them) and prints one "<step> <rc> [<path>]" line
 *		per lookup; see the test for what each step expects.
 *
 * Tools are built from one file each, so this one compiles the module it
 * tests, core/container.c, into itself. Exit status 1 on an error (told on
 * stderr), 2 on a bad command line.
 */
#include <linux/bpf.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "../../core/container.c"

static void usage(void)
{
	fprintf(stderr,
		"usage: cgroupid id DIR\n"
		"       cgroupid join ROOT DIR\n"
		"       cgroupid lookup ROOT CAPACITY ID...\n"
		"       cgroupid capacity ROOT CAPACITY ID\n"
		"       cgroupid ratelimit ROOT DIR1 DIR2\n");
	exit(2);
}

static int write_str(const char *file, const char *s)
{
	int fd, ok;

	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/* The v2 line of /proc/self/cgroup, without "0::" and the newline. */
static int self_cgroup(char *buf, size_t len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, len, "%s", line + 3);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* Run bpf_get_current_cgroup_id(), shifted right by @shift, in this task. */
static int bpf_cgroup_id_part(int shift, uint32_t *out)
{
	struct bpf_insn insns[3];
	union bpf_attr attr;
	char log[4096] = "";
	int n = 0, fd, ret = -1;

	memset(insns, 0, sizeof(insns));
	insns[n].code = BPF_JMP | BPF_CALL;
	insns[n++].imm = BPF_FUNC_get_current_cgroup_id;
	if (shift) {
		insns[n].code = BPF_ALU64 | BPF_RSH | BPF_K;
		insns[n].dst_reg = BPF_REG_0;
		insns[n++].imm = shift;
	}
	insns[n++].code = BPF_JMP | BPF_EXIT;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	fd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0) {
		fprintf(stderr, "cgroupid: BPF_PROG_LOAD: %s\n%s", strerror(errno),
			log);
		return -1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)fd;
	if (syscall(__NR_bpf, BPF_PROG_TEST_RUN, &attr, sizeof(attr))) {
		fprintf(stderr, "cgroupid: BPF_PROG_TEST_RUN: %s\n",
			strerror(errno));
		goto out;
	}
	*out = attr.test.retval;
	ret = 0;
out:
	close(fd);
	return ret;
}

static int cmd_id(const char *dir)
{
	struct stat st;
	uint64_t id = et_cgroup_id_of(dir);

	if (!id || stat(dir, &st)) {
		fprintf(stderr, "cgroupid: %s: no cgroup id\n", dir);
		return 1;
	}
	printf("%llu %llu\n", (unsigned long long)id,
	       (unsigned long long)st.st_ino);
	return 0;
}

static int cmd_join(const char *root, const char *dir)
{
	char orig[4096], now[4096], file[8192], pid[32];
	uint32_t lo, hi;
	int ret = 1;

	if (self_cgroup(orig, sizeof(orig))) {
		fprintf(stderr, "cgroupid: no cgroup v2 line in /proc/self/cgroup\n");
		return 1;
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	if (write_str(file, pid)) {
		fprintf(stderr, "cgroupid: %s: %s\n", file, strerror(errno));
		return 1;
	}
	if (self_cgroup(now, sizeof(now)) || bpf_cgroup_id_part(0, &lo) ||
	    bpf_cgroup_id_part(32, &hi))
		goto back;
	printf("%s %llu\n", now, (unsigned long long)hi << 32 | lo);
	ret = 0;
back:
	snprintf(file, sizeof(file), "%s%s/cgroup.procs", root,
		 strcmp(orig, "/") ? orig : "");
	if (write_str(file, pid))
		fprintf(stderr, "cgroupid: could not go back to %s: %s\n",
			file, strerror(errno));
	return ret;
}

static void print_lookup(struct et_cgroups *cg, uint64_t id)
{
	char path[ET_CGROUP_PATH_MAX];
	struct et_container c;

	if (et_cgroups_path(cg, id, path, sizeof(path))) {
		printf("%llu -\n", (unsigned long long)id);
		return;
	}
	et_container_from_path(path, strlen(path), &c);
	printf("%llu %s %s %s %s\n", (unsigned long long)id, path,
	       c.runtime ? et_runtime_name(c.runtime) : "-",
	       c.id[0] ? c.id : "-", c.pod_uid[0] ? c.pod_uid : "-");
}

static struct et_cgroups *open_cache(const char *root, const char *cap)
{
	struct et_cgroups *cg = et_cgroups_new(root, (unsigned int)atoi(cap));

	if (!cg)
		fprintf(stderr, "cgroupid: et_cgroups_new(%s, %s): %s\n", root,
			cap, strerror(errno));
	return cg;
}

static int cmd_lookup(int argc, char **argv)
{
	struct et_cgroups *cg = open_cache(argv[0], argv[1]);
	int i;

	if (!cg)
		return 1;
	for (i = 2; i < argc; i++)
		print_lookup(cg, strtoull(argv[i], NULL, 0));
	et_cgroups_free(cg);
	return 0;
}

static int cmd_capacity(const char *root, const char *cap, const char *ids)
{
	struct et_cgroups *cg = open_cache(root, cap);
	uint64_t id = strtoull(ids, NULL, 0);
	char path[ET_CGROUP_PATH_MAX];
	int rc;

	if (!cg)
		return 1;
	printf("indexed %d\n", et_cgroups_rescan(cg));
	printf("first %d\n", et_cgroups_path(cg, id, path, sizeof(path)));
	printf("indexed %d\n", et_cgroups_rescan(cg));
	rc = et_cgroups_path(cg, id, path, sizeof(path));
	printf("second %d %s\n", rc, rc ? "-" : path);
	et_cgroups_free(cg);
	return 0;
}

static void step(struct et_cgroups *cg, const char *name, uint64_t id)
{
	char path[ET_CGROUP_PATH_MAX];
	int rc = et_cgroups_path(cg, id, path, sizeof(path));

	printf("%s %d %s\n", name, rc, rc ? "-" : path);
}

static int cmd_ratelimit(const char *root, const char *d1, const char *d2)
{
	struct et_cgroups *cg = open_cache(root, "4096");
	struct timespec ts = { 1, 100000000 };
	uint64_t id1, id2;
	int ret = 1;

	if (!cg)
		return 1;
	step(cg, "warm", et_cgroup_id_of(root));	/* first miss: scans */
	if (mkdir(d1, 0755)) {
		fprintf(stderr, "cgroupid: mkdir %s: %s\n", d1, strerror(errno));
		goto out;
	}
	id1 = et_cgroup_id_of(d1);
	step(cg, "new_within_1s", id1);		/* by handle: 0 */
	printf("rescan %d\n", et_cgroups_rescan(cg) > 0);
	step(cg, "new_after_rescan", id1);	/* 0 */
	if (mkdir(d2, 0755)) {
		fprintf(stderr, "cgroupid: mkdir %s: %s\n", d2, strerror(errno));
		goto out_d1;
	}
	id2 = et_cgroup_id_of(d2);
	step(cg, "second_within_1s", id2);	/* by handle: 0 */
	step(cg, "second_again", id2);		/* cached: 0 */
	nanosleep(&ts, NULL);
	step(cg, "second_after_1s", id2);	/* 0: the miss rescans */
	rmdir(d2);
	rmdir(d1);
	et_cgroups_rescan(cg);
	step(cg, "removed", id1);		/* -1 */
	step(cg, "still_warm", et_cgroup_id_of(root));	/* 0 */
	ret = 0;
	goto out;
out_d1:
	rmdir(d1);
out:
	et_cgroups_free(cg);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "id") && argc == 3)
		return cmd_id(argv[2]);
	if (!strcmp(argv[1], "join") && argc == 4)
		return cmd_join(argv[2], argv[3]);
	if (!strcmp(argv[1], "lookup") && argc >= 5)
		return cmd_lookup(argc - 2, argv + 2);
	if (!strcmp(argv[1], "capacity") && argc == 5)
		return cmd_capacity(argv[2], argv[3], argv[4]);
	if (!strcmp(argv[1], "ratelimit") && argc == 5)
		return cmd_ratelimit(argv[2], argv[3], argv[4]);
	usage();
	return 2;
}
