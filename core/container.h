/* SPDX-License-Identifier: GPL-2.0 */
/*
 * container.h - from a cgroup v2 id (what the probes' bpf_get_current_cgroup_id()
 * reports) to a cgroup path, and from a cgroup path to a container id and a
 * Kubernetes pod uid. The path forms recognised are listed and explained at
 * the top of container.c.
 *
 * Nothing here asks a container runtime: everything is derived from cgroup
 * names, as Falco and Tetragon do before (optionally) asking the runtime.
 */
#ifndef EDGETRACE_CONTAINER_H
#define EDGETRACE_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

enum et_runtime {
	ET_RT_NONE = 0,
	ET_RT_DOCKER,
	ET_RT_CONTAINERD,
	ET_RT_CRIO,
	ET_RT_PODMAN,
	ET_RT_KUBERNETES,	/* pod known, container not */
};

struct et_container {
	enum et_runtime runtime;
	char id[65];		/* full 64-hex container id, "" if none */
	char pod_uid[37];	/* Kubernetes pod uid with dashes (8-4-4-4-12),
				 * or the 32-hex uid of a static pod; "" if none */
};

/* "docker", "containerd", "cri-o", "podman", "kubernetes"; "" otherwise. */
const char *et_runtime_name(enum et_runtime rt);

/*
 * Parse a cgroup path, as in the v2 line ("0::<path>") of /proc/PID/cgroup,
 * e.g. "/system.slice/docker-<64hex>.scope". The path is path[0..len); it
 * ends early at a NUL, need not be NUL-terminated, and nothing outside it
 * is read. A trailing " (deleted)", as /proc shows for removed cgroups, is
 * ignored. Returns 1 when a container or a pod was recognised, else 0 with
 * *c zeroed (ET_RT_NONE, "" and "").
 */
int et_container_from_path(const char *path, size_t len,
			   struct et_container *c);

/*
 * cgroup id -> path, a bounded cache over the cgroup v2 tree: @capacity
 * entries of at most ET_CGROUP_PATH_MAX bytes each, allocated once by
 * et_cgroups_new(); nothing is allocated afterwards.
 */
#define ET_CGROUP_PATH_MAX	256

struct et_cgroups;

/*
 * @root is the cgroup2 mount point: "/sys/fs/cgroup" on a unified system,
 * "/sys/fs/cgroup/unified" on a systemd "hybrid" one. Returns NULL with
 * errno set on error: EINVAL (capacity 0 or above 1 << 20), ENOTSUP (@root
 * is not a cgroup2 file system; e.g. a cgroup v1 only machine), or what
 * open() or malloc() said. The tree is not read until the first lookup.
 */
struct et_cgroups *et_cgroups_new(const char *root, unsigned int capacity);
void et_cgroups_free(struct et_cgroups *cg);

/*
 * The path of cgroup @id relative to the root ("/system.slice/x.scope", "/"
 * for the root) into @buf, NUL-terminated, cut to @len - 1 bytes if longer.
 * On a miss, asks the kernel for the path of that id (open_by_handle_at
 * with the id as a kernfs handle: exact, O(1), and right for a cgroup made
 * a moment ago, as a starting container's is); failing that, rescans the
 * tree (at most once per second, unless forced by et_cgroups_rescan()).
 * Returns 0, or -1 if the id is unknown (or @len is 0).
 */
int et_cgroups_path(struct et_cgroups *cg, uint64_t id, char *buf,
		    size_t len);

/* Rescan now. Returns the number of cgroups indexed, or -1. */
int et_cgroups_rescan(struct et_cgroups *cg);


/*
 * The cgroup id of the cgroup directory @dir, as bpf_get_current_cgroup_id()
 * returns it for a task in that cgroup: the 8-byte kernfs file handle from
 * name_to_handle_at() (what libbpf-tools' get_cgroup_id() does too). On a
 * 64-bit kernel it also equals the directory's inode number. 0 on error,
 * including when @dir is not on a cgroup2 file system.
 */
uint64_t et_cgroup_id_of(const char *dir);

#endif /* EDGETRACE_CONTAINER_H */
