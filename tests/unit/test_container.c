// SPDX-License-Identifier: GPL-2.0
/*
 * test_container.c - cgroup paths to containers: every path form that
 * core/container.c documents, with the runtime, id and pod uid expected,
 * and the near misses that must not be taken for containers. Paths are
 * also parsed from buffers of exactly their length (no NUL), so that
 * ASan catches any read past the end.
 *
 * The id -> path cache needs a real cgroup2 file system (the ids come from
 * name_to_handle_at()), so it is tested by
 * tests/integration/test_container_cgroup.sh; here only its refusals.
 */
#include <errno.h>

#include "check.h"
#include "container.h"

#define H1 "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
#define H2 "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35"
#define H63 "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4"
#define HUP "6B86B273FF34FCE19D6B804EFF5A3F5747ADA4EAA22F1D49C01E52DDB7875B4B"
#define U "0f2b8f3e-9c7d-4b8a-a1e2-3c4d5e6f7a8b"
#define U_ "0f2b8f3e_9c7d_4b8a_a1e2_3c4d5e6f7a8b"
#define USTATIC "9dd4e461268c8034f5c8564e155c67a6"
#define KBE "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
#define KBU "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
#define ROOTLESS "/user.slice/user-1000.slice/user@1000.service/user.slice"

static const struct {
	const char *path;
	enum et_runtime rt;
	const char *id;
	const char *pod;
} cases[] = {
	/* docker */
	{ "/system.slice/docker-" H1 ".scope", ET_RT_DOCKER, H1, "" },
	{ "/docker/" H1, ET_RT_DOCKER, H1, "" },
	{ "/system.slice/docker-" H1 ".scope/init.scope", ET_RT_DOCKER, H1, "" },
	{ ROOTLESS "/docker-" H1 ".scope", ET_RT_DOCKER, H1, "" },
	{ "/docker/" H1 "/docker/" H2, ET_RT_DOCKER, H2, "" },	/* dind */
	{ "/actions_job/" H1, ET_RT_DOCKER, H1, "" },	/* --cgroup-parent */
	{ KBU U_ ".slice/docker-" H1 ".scope", ET_RT_DOCKER, H1, U },
	{ "/system.slice/docker-" H1 ".scope (deleted)", ET_RT_DOCKER, H1, "" },
	{ "/system.slice/docker-" H1 ".scope/", ET_RT_DOCKER, H1, "" },
	/* containerd */
	{ KBE U_ ".slice/cri-containerd-" H1 ".scope", ET_RT_CONTAINERD, H1, U },
	{ "/kubepods.slice/kubepods-pod" U_ ".slice/cri-containerd-" H2 ".scope",
	  ET_RT_CONTAINERD, H2, U },
	{ "/kubepods/besteffort/pod" U "/" H1, ET_RT_CONTAINERD, H1, U },
	{ "/kubepods/pod" U "/" H2, ET_RT_CONTAINERD, H2, U },
	{ "/kubelet/kubepods/burstable/pod" U "/" H2, ET_RT_CONTAINERD, H2, U },
	{ KBU USTATIC ".slice/cri-containerd-" H1 ".scope", ET_RT_CONTAINERD,
	  H1, USTATIC },
	{ "/system.slice/nerdctl-" H1 ".scope", ET_RT_CONTAINERD, H1, "" },
	{ "/default/" H1, ET_RT_CONTAINERD, H1, "" },
	/* kind: a pod inside a node that is a docker container */
	{ "/system.slice/docker-" H1 ".scope/kubelet.slice/kubelet-kubepods.slice"
	  "/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod"
	  U_ ".slice/cri-containerd-" H2 ".scope", ET_RT_CONTAINERD, H2, U },
	{ "/system.slice/docker-" H1 ".scope/kubelet.slice/kubelet-kubepods.slice"
	  "/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod"
	  U_ ".slice", ET_RT_KUBERNETES, "", U },
	/* CRI-O */
	{ KBU U_ ".slice/crio-" H1 ".scope", ET_RT_CRIO, H1, U },
	{ "/kubepods/burstable/pod" U "/crio-" H1, ET_RT_CRIO, H1, U },
	{ KBU U_ ".slice/crio-" H1 ".scope/container", ET_RT_CRIO, H1, U },
	{ KBU U_ ".slice/crio-conmon-" H1 ".scope", ET_RT_KUBERNETES, "", U },
	/* podman */
	{ "/machine.slice/libpod-" H1 ".scope", ET_RT_PODMAN, H1, "" },
	{ ROOTLESS "/libpod-" H1 ".scope", ET_RT_PODMAN, H1, "" },
	{ "/machine.slice/libpod-" H1 ".scope/container", ET_RT_PODMAN, H1, "" },
	{ "/machine.slice/machine-libpod_pod_" H2 ".slice/libpod-" H1 ".scope",
	  ET_RT_PODMAN, H1, "" },
	{ "/libpod_parent/libpod-" H1, ET_RT_PODMAN, H1, "" },
	/* Kubernetes pods without a container segment */
	{ KBE U_ ".slice", ET_RT_KUBERNETES, "", U },
	{ "/kubepods.slice/kubepods-pod" U_ ".slice", ET_RT_KUBERNETES, "", U },
	{ "/kubepods/burstable/pod" U, ET_RT_KUBERNETES, "", U },
	/* not containers */
	{ "/system.slice/docker-" H63 ".scope", ET_RT_NONE, "", "" },
	{ "/docker/" H63, ET_RT_NONE, "", "" },
	{ "/docker/" H1 "0", ET_RT_NONE, "", "" },
	{ "/system.slice/docker-" HUP ".scope", ET_RT_NONE, "", "" },
	{ "/docker/" HUP, ET_RT_NONE, "", "" },
	{ "/system.slice/docker-" H1 ".scope.bak", ET_RT_NONE, "", "" },
	{ "/system.slice/xdocker-" H1 ".scope", ET_RT_NONE, "", "" },
	{ "/system.slice/docker-" H1, ET_RT_NONE, "", "" },
	{ "/machine.slice/libpod-conmon-" H1 ".scope", ET_RT_NONE, "", "" },
	{ "/user.slice/user-1000.slice/session-3.scope", ET_RT_NONE, "", "" },
	{ "/system.slice/containerd.service", ET_RT_NONE, "", "" },
	{ "/system.slice/docker.service", ET_RT_NONE, "", "" },
	{ "/", ET_RT_NONE, "", "" },
	{ "", ET_RT_NONE, "", "" },
	{ "//", ET_RT_NONE, "", "" },
	{ "/pod" U, ET_RT_NONE, "", "" },		/* no kubepods above */
	{ "/other/burstable/pod" U, ET_RT_NONE, "", "" },
	{ KBE U ".slice", ET_RT_NONE, "", "" },	/* dashes in a slice */
	{ "/kubepods/besteffort/pod" U_, ET_RT_NONE, "", "" },
	{ "/kubepods/besteffort/pod" U "x", ET_RT_NONE, "", "" },
	{ "/system.slice/pod" U_ ".slice", ET_RT_NONE, "", "" },
	{ " (deleted)", ET_RT_NONE, "", "" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Parse s from a heap buffer of exactly @len bytes, no NUL after it. */
static int parse_exact(const char *s, size_t len, struct et_container *c)
{
	char *buf = malloc(len ? len : 1);
	int r;

	if (!buf)
		abort();
	memcpy(buf, s, len);
	r = et_container_from_path(buf, len, c);
	free(buf);
	return r;
}

static void table(void)
{
	struct et_container c;
	size_t i;
	int r;

	for (i = 0; i < NCASES; i++) {
		memset(&c, 0x5a, sizeof(c));
		r = parse_exact(cases[i].path, strlen(cases[i].path), &c);
		if (r != (cases[i].rt != ET_RT_NONE) || c.runtime != cases[i].rt ||
		    strcmp(c.id, cases[i].id) || strcmp(c.pod_uid, cases[i].pod))
			CHECK_FAIL("%s: expected %d %s/%s/%s, got %d %s/%s/%s",
				   cases[i].path, cases[i].rt != ET_RT_NONE,
				   et_runtime_name(cases[i].rt), cases[i].id,
				   cases[i].pod, r, et_runtime_name(c.runtime),
				   c.id, c.pod_uid);
	}
	CHECK(NCASES >= 20);
}

/* A NUL-terminated string parses the same as its exact-length buffer. */
static void nul_terminated(void)
{
	struct et_container c;
	size_t i;

	for (i = 0; i < NCASES; i++) {
		const char *p = cases[i].path;

		CHECK_INT(cases[i].rt != ET_RT_NONE,
			  et_container_from_path(p, strlen(p) + 1, &c));
		CHECK_INT(cases[i].rt, c.runtime);
		CHECK_STR(cases[i].id, c.id);
		CHECK_STR(cases[i].pod, c.pod_uid);
	}
}

/* Only path[0..len) counts: what follows is not looked at. */
static void length_bounds(void)
{
	const char *s = "/docker/" H1 "/docker/" H2;
	size_t l1 = strlen("/docker/" H1);
	struct et_container c;

	CHECK_INT(1, parse_exact(s, l1, &c));
	CHECK_STR(H1, c.id);
	CHECK_INT(0, parse_exact(s, l1 - 1, &c));	/* 63 hex */
	CHECK_INT(1, parse_exact(s, strlen(s), &c));
	CHECK_STR(H2, c.id);
	CHECK_INT(0, parse_exact(s, 0, &c));
	CHECK_INT(0, et_container_from_path(NULL, 10, &c));
	CHECK_INT(ET_RT_NONE, c.runtime);
}

/* Every prefix of a long path, from an exact buffer: no overread, and a
 * cut id is never taken for one. */
static void every_prefix(void)
{
	const char *s = KBE U_ ".slice/cri-containerd-" H1 ".scope (deleted)";
	size_t i, n = strlen(s);
	struct et_container c;
	int r;

	for (i = 0; i <= n; i++) {
		r = parse_exact(s, i, &c);
		if (r && c.runtime != ET_RT_KUBERNETES &&
		    strcmp(c.id, H1))
			CHECK_FAIL("prefix %zu: id %s", i, c.id);
		if (r && c.id[0] && strlen(c.id) != 64)
			CHECK_FAIL("prefix %zu: id %s", i, c.id);
	}
	CHECK_INT(1, parse_exact(s, n, &c));
	CHECK_INT(ET_RT_CONTAINERD, c.runtime);
}

/* A NUL inside the length ends the path. */
static void embedded_nul(void)
{
	static const char s[] = "/docker/" H1 "\0/docker/" H2;
	struct et_container c;

	CHECK_INT(1, et_container_from_path(s, sizeof(s) - 1, &c));
	CHECK_STR(H1, c.id);
}

/* On no match *c is zeroed, whatever it held. */
static void zeroed_on_miss(void)
{
	struct et_container c, zero;

	memset(&zero, 0, sizeof(zero));
	memset(&c, 0xff, sizeof(c));
	CHECK_INT(0, et_container_from_path("/init.scope", 11, &c));
	CHECK(!memcmp(&c, &zero, sizeof(c)));
	CHECK_INT(1, et_container_from_path("/docker/" H1, 72, &c));
	CHECK_INT(0, et_container_from_path("/", 1, &c));
	CHECK(!memcmp(&c, &zero, sizeof(c)));
}

static void runtime_names(void)
{
	CHECK_STR("", et_runtime_name(ET_RT_NONE));
	CHECK_STR("docker", et_runtime_name(ET_RT_DOCKER));
	CHECK_STR("containerd", et_runtime_name(ET_RT_CONTAINERD));
	CHECK_STR("cri-o", et_runtime_name(ET_RT_CRIO));
	CHECK_STR("podman", et_runtime_name(ET_RT_PODMAN));
	CHECK_STR("kubernetes", et_runtime_name(ET_RT_KUBERNETES));
	CHECK_STR("", et_runtime_name((enum et_runtime)99));
}

/* What can be tested without a cgroup2 file system: the refusals. */
static void cache_refusals(void)
{
	errno = 0;
	CHECK(!et_cgroups_new("/", 16));	/* never a cgroup2 root */
	CHECK_INT(ENOTSUP, errno);
	CHECK(!et_cgroups_new("/sys/fs/cgroup", 0));
	CHECK_INT(EINVAL, errno);
	CHECK(!et_cgroups_new("/sys/fs/cgroup", (1u << 20) + 1));
	CHECK_INT(EINVAL, errno);
	CHECK(!et_cgroups_new("/nonexistent-et", 16));
	CHECK_INT(ENOENT, errno);
	CHECK(!et_cgroups_new(NULL, 16));
	CHECK_INT(0, et_cgroup_id_of("/"));
	CHECK_INT(0, et_cgroup_id_of("/nonexistent-et"));
	CHECK_INT(-1, et_cgroups_rescan(NULL));
	et_cgroups_free(NULL);
}

CHECK_MAIN_BEGIN("test_container")
	RUN(table);
	RUN(nul_terminated);
	RUN(length_bounds);
	RUN(every_prefix);
	RUN(embedded_nul);
	RUN(zeroed_on_miss);
	RUN(runtime_names);
	RUN(cache_refusals);
CHECK_MAIN_END
