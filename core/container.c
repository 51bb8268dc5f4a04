// SPDX-License-Identifier: GPL-2.0
/*
 * container.c - cgroup ids to cgroup paths, cgroup paths to containers.
 *
 * The probes report each event's cgroup v2 id (bpf_get_current_cgroup_id(),
 * the kernfs node id of the task's cgroup on the default hierarchy). User
 * space turns it into a path with a bounded cache over the cgroup v2 tree,
 * and the path into a container id and a Kubernetes pod uid from the names
 * that the runtimes give their cgroups. No runtime socket is asked.
 *
 * Paths
 * -----
 * A path is split into segments at '/'. A container segment is one of the
 * forms below, where <id> is exactly 64 lowercase hex digits (anything else,
 * a 63-digit or upper-case id, "docker-<id>.scope.bak", is not a
 * container):
 *
 *   docker-<id>.scope           docker, systemd cgroup driver
 *                                 /system.slice/docker-<id>.scope
 *                                 /kubepods.slice/.../docker-<id>.scope
 *                                   (cri-dockerd, systemd driver)
 *                                 /user.slice/user-1000.slice/user@1000.service/
 *                                   user.slice/docker-<id>.scope (rootless)
 *   cri-containerd-<id>.scope   containerd's CRI plugin, systemd driver
 *                                 /kubepods.slice/kubepods-besteffort.slice/
 *                                   kubepods-besteffort-pod<uid_>.slice/
 *                                   cri-containerd-<id>.scope
 *   nerdctl-<id>.scope          nerdctl (containerd), systemd driver
 *                                 /system.slice/nerdctl-<id>.scope
 *   crio-<id>.scope, crio-<id>  CRI-O, systemd and cgroupfs managers
 *                                 /kubepods.slice/.../crio-<id>.scope
 *                                 /kubepods/burstable/pod<uid>/crio-<id>
 *   libpod-<id>.scope,          podman, systemd and cgroupfs managers
 *   libpod-<id>                   /machine.slice/libpod-<id>.scope (rootful)
 *                                 /user.slice/user-1000.slice/user@1000.service/
 *                                   user.slice/libpod-<id>.scope (rootless)
 *                                 /machine.slice/libpod-<id>.scope/container
 *                                   (the container's own sub-cgroup, cgroupns)
 *                                 /libpod_parent/libpod-<id> (cgroupfs)
 *   <id>                        a bare id, cgroupfs drivers. Its runtime
 *                               comes from the context:
 *                                 after a Kubernetes pod segment: containerd
 *                                   /kubepods/besteffort/pod<uid>/<id>
 *                                   (docker through dockershim or cri-dockerd
 *                                   makes the same path; containerd is the
 *                                   default CRI runtime since Kubernetes
 *                                   1.24, so that is what we say);
 *                                 under "default", containerd's default
 *                                   namespace: /default/<id> (ctr, nerdctl
 *                                   with cgroupfs: containerd's default
 *                                   cgroupsPath is /<namespace>/<id>);
 *                                 otherwise docker: /docker/<id>, and
 *                                   docker --cgroup-parent, e.g. GitHub
 *                                   Actions' /actions_job/<id>.
 *
 * The monitors, crio-conmon-<id>.scope (CRI-O) and libpod-conmon-<id>.scope
 * (podman), hold conmon, not the container's processes: they are not
 * containers (conmon is reported as the pod's when in a pod, else as the
 * host's), like Falco does.
 *
 * A Kubernetes pod segment is
 *
 *   <prefix>-pod<uid_>.slice    systemd driver, the uid's dashes turned into
 *                               underscores (systemd's '-' is hierarchy);
 *                               <prefix> has a dash-separated "kubepods":
 *                                 kubepods-pod<uid_>.slice (Guaranteed QoS)
 *                                 kubepods-burstable-pod<uid_>.slice
 *                                 kubepods-besteffort-pod<uid_>.slice
 *                                 kubelet-kubepods-besteffort-pod<uid_>.slice
 *                                   (kind: kubelet --cgroup-root=/kubelet)
 *   pod<uid>                    cgroupfs driver, below a "kubepods" segment:
 *                                 /kubepods/pod<uid> (Guaranteed)
 *                                 /kubepods/besteffort/pod<uid>
 *                                 /kubelet/kubepods/burstable/pod<uid>
 *
 * where <uid> is 8-4-4-4-12 lowercase hex (reported with dashes), or the 32
 * hex digits of a static pod's uid (a hash of its manifest; reported as
 * is).
 *
 * The innermost (last) segment recognised wins: a container segment gives
 * its runtime and id, with the pod uid of the last pod segment before it if
 * any; a pod segment with no container segment after it gives
 * ET_RT_KUBERNETES and the pod uid alone (the pod's own cgroup, conmon).
 * So docker-in-docker reports the inner container, and a pod inside a kind
 * node (/system.slice/docker-<node>.scope/kubelet.slice/...) reports the
 * pod, not the node's container.
 *
 * Not recognised: LXC/LXD (/lxc.payload.<name>), systemd-nspawn
 * (/machine.slice/systemd-nspawn@<name>.service), ctr containers whose
 * names are not 64-hex ids, and any runtime's form not listed above.
 *
 * The cache
 * ---------
 * @capacity entries of { id, path[ET_CGROUP_PATH_MAX] } and an open-
 * addressing hash index, allocated once by et_cgroups_new(). A path longer
 * than ET_CGROUP_PATH_MAX - 1 bytes is stored as "/..." and its longest
 * tail of whole segments that fits, so that the innermost (container)
 * segments survive; a last segment too long even for that is cut at the
 * end instead.
 *
 * A rescan walks the tree under the root with openat()/fdopendir(): only
 * directories, never following symlinks, not crossing into other mounts
 * (the mount id of name_to_handle_at()), at most ET_CG_MAX_DEPTH levels
 * below the root, skipping paths longer than PATH_MAX. Each directory's id
 * comes from name_to_handle_at(). Entries found again get their path
 * refreshed (a cgroup can be renamed; its id never changes and is never
 * reused within a boot), entries not found again are dropped (the cgroup
 * was removed). When there are more cgroups than entries, the first ones
 * in walk order are kept, except that the ids that missed since the last
 * scan are always taken in (up to ET_CG_MISSES of them), each replacing an
 * entry that was not looked up since the last scan if there is one. So the
 * cgroups that events come from get in and stay in, and a rescan never
 * grows anything.
 *
 * A miss rescans at most once per second (CLOCK_MONOTONIC): a storm of
 * events from an unknown or already removed cgroup cannot make the agent
 * walk the tree continuously. et_cgroups_rescan() scans at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "container.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif

#define ET_ID_LEN		64
#define ET_UID_LEN		36	/* 8-4-4-4-12 */
#define ET_UID_HEX_LEN		32	/* a static pod's uid */
#define ET_CG_MAX_DEPTH		32
#define ET_CG_MAX_CAPACITY	(1u << 20)
#define ET_CG_MISSES		16
#define ET_CG_RESCAN_NS		1000000000ull
#define ET_CG_EMPTY		UINT32_MAX

/* ------------------------------------------------------------ the parser */

const char *et_runtime_name(enum et_runtime rt)
{
	switch (rt) {
	case ET_RT_DOCKER:
		return "docker";
	case ET_RT_CONTAINERD:
		return "containerd";
	case ET_RT_CRIO:
		return "cri-o";
	case ET_RT_PODMAN:
		return "podman";
	case ET_RT_KUBERNETES:
		return "kubernetes";
	case ET_RT_NONE:
		break;
	}
	return "";
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int seg_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(s, word, n);
}

/* s[0..n) is exactly pre <64 hex> suf. */
static int is_wrapped_id(const char *s, size_t n, const char *pre,
			 const char *suf)
{
	size_t lp = strlen(pre), ls = strlen(suf);

	return n == lp + ET_ID_LEN + ls && !memcmp(s, pre, lp) &&
	       !memcmp(s + lp + ET_ID_LEN, suf, ls) && is_hex(s + lp, ET_ID_LEN);
}

static const struct {
	const char *pre;
	const char *suf;
	enum et_runtime rt;
} container_forms[] = {
	{ "docker-", ".scope", ET_RT_DOCKER },
	{ "cri-containerd-", ".scope", ET_RT_CONTAINERD },
	{ "nerdctl-", ".scope", ET_RT_CONTAINERD },
	{ "crio-", ".scope", ET_RT_CRIO },
	{ "crio-", "", ET_RT_CRIO },
	{ "libpod-", ".scope", ET_RT_PODMAN },
	{ "libpod-", "", ET_RT_PODMAN },
};

/*
 * A pod uid at s[0..n): 8-4-4-4-12 lowercase hex with @sep between the
 * groups, or 32 lowercase hex. Into out[37] with dashes.
 */
static int parse_uid(const char *s, size_t n, char sep, char *out)
{
	static const size_t seps[] = { 8, 13, 18, 23 };
	size_t i, k = 0;

	if (n == ET_UID_HEX_LEN) {
		if (!is_hex(s, n))
			return 0;
		memcpy(out, s, n);
		out[n] = '\0';
		return 1;
	}
	if (n != ET_UID_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		if (k < 4 && i == seps[k]) {
			if (s[i] != sep)
				return 0;
			out[i] = '-';
			k++;
		} else if (is_hex(s + i, 1)) {
			out[i] = s[i];
		} else {
			return 0;
		}
	}
	out[n] = '\0';
	return 1;
}

/* "kubepods" is one of the dash-separated words of s[0..n). */
static int has_kubepods_word(const char *s, size_t n)
{
	size_t i = 0, j;

	while (i <= n) {
		for (j = i; j < n && s[j] != '-'; j++)
			;
		if (seg_is(s + i, j - i, "kubepods"))
			return 1;
		i = j + 1;
	}
	return 0;
}

/* systemd: <prefix with a "kubepods" word>-pod<uid_>.slice */
static int pod_slice(const char *s, size_t n, char *uid)
{
	static const size_t lens[] = { ET_UID_LEN, ET_UID_HEX_LEN };
	const size_t sl = sizeof(".slice") - 1, pl = sizeof("-pod") - 1;
	size_t i, body;

	if (n <= sl || memcmp(s + n - sl, ".slice", sl))
		return 0;
	body = n - sl;
	for (i = 0; i < 2; i++) {
		if (body < lens[i] + pl)
			continue;
		if (memcmp(s + body - lens[i] - pl, "-pod", pl))
			continue;
		if (!parse_uid(s + body - lens[i], lens[i], '_', uid))
			continue;
		if (has_kubepods_word(s, body - lens[i] - pl))
			return 1;
	}
	return 0;
}

/* cgroupfs: pod<uid>, below a "kubepods" segment */
static int pod_dir(const char *s, size_t n, int kubepods, char *uid)
{
	return kubepods && n > 3 && !memcmp(s, "pod", 3) &&
	       parse_uid(s + 3, n - 3, '-', uid);
}

static enum et_runtime container_seg(const char *s, size_t n,
				     const char *parent, size_t parent_n,
				     int in_pod, const char **id)
{
	size_t i;

	for (i = 0; i < sizeof(container_forms) / sizeof(container_forms[0]);
	     i++) {
		if (is_wrapped_id(s, n, container_forms[i].pre,
				  container_forms[i].suf)) {
			*id = s + strlen(container_forms[i].pre);
			return container_forms[i].rt;
		}
	}
	if (n != ET_ID_LEN || !is_hex(s, n))
		return ET_RT_NONE;
	*id = s;
	if (parent && seg_is(parent, parent_n, "docker"))
		return ET_RT_DOCKER;
	if (in_pod || (parent && seg_is(parent, parent_n, "default")))
		return ET_RT_CONTAINERD;
	return ET_RT_DOCKER;
}

int et_container_from_path(const char *path, size_t len,
			   struct et_container *c)
{
	static const char deleted[] = " (deleted)";
	const size_t dl = sizeof(deleted) - 1;
	const char *nul, *seg, *end, *parent = NULL, *id;
	size_t n, parent_n = 0;
	char pod[sizeof(c->pod_uid)] = "";
	char uid[sizeof(c->pod_uid)];
	int kubepods = 0;
	enum et_runtime rt;

	memset(c, 0, sizeof(*c));
	if (!path)
		return 0;
	nul = memchr(path, '\0', len);
	if (nul)
		len = (size_t)(nul - path);
	if (len >= dl && !memcmp(path + len - dl, deleted, dl))
		len -= dl;

	for (seg = path; seg < path + len; seg = end + 1) {
		end = memchr(seg, '/', (size_t)(path + len - seg));
		if (!end)
			end = path + len;
		n = (size_t)(end - seg);
		if (!n)
			continue;
		if (seg_is(seg, n, "kubepods")) {
			kubepods = 1;
		} else if (pod_slice(seg, n, uid) ||
			   pod_dir(seg, n, kubepods, uid)) {
			memcpy(pod, uid, sizeof(pod));
			c->runtime = ET_RT_KUBERNETES;
			c->id[0] = '\0';
			memcpy(c->pod_uid, pod, sizeof(pod));
		} else {
			rt = container_seg(seg, n, parent, parent_n, pod[0], &id);
			if (rt != ET_RT_NONE) {
				c->runtime = rt;
				memcpy(c->id, id, ET_ID_LEN);
				c->id[ET_ID_LEN] = '\0';
				memcpy(c->pod_uid, pod, sizeof(pod));
			}
		}
		parent = seg;
		parent_n = n;
	}
	return c->runtime != ET_RT_NONE;
}

/* ------------------------------------------------------------- the cache */

struct et_cg_entry {
	uint64_t id;
	uint32_t seen;		/* the scan that last found it */
	uint8_t hot;		/* looked up since the last scan */
	uint8_t pinned;		/* a miss taken in by this scan */
	char path[ET_CGROUP_PATH_MAX];
};

struct et_cgroups {
	char *root;
	struct et_cg_entry *e;
	uint32_t *index;	/* hash slot -> entry, ET_CG_EMPTY if free */
	uint32_t mask;		/* hash slots - 1 */
	unsigned int cap;
	unsigned int n;
	unsigned int victim;	/* where the search for an eviction starts */
	uint32_t gen;		/* scan number */
	int root_mnt;		/* mount id of the root, for the walk */
	int scanned;
	uint64_t last_scan_ns;
	uint64_t misses[ET_CG_MISSES];
	unsigned int nmisses;
	unsigned int next_miss;
	char walk[PATH_MAX];	/* the path being walked */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The id of dfd/name (dfd itself with AT_EMPTY_PATH and ""): the kernfs
 * file handle, 8 bytes, is the cgroup id.
 */
static int handle_id(int dfd, const char *name, int flags, uint64_t *id,
		     int *mnt)
{
	union {
		struct file_handle fh;
		unsigned char buf[sizeof(struct file_handle) + 8];
	} h;

	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = 8;
	if (name_to_handle_at(dfd, name, &h.fh, mnt, flags) < 0)
		return -1;
	if (h.fh.handle_bytes != 8)
		return -1;
	memcpy(id, h.buf + sizeof(struct file_handle), 8);
	return 0;
}

static int is_cgroup2(int fd)
{
	struct statfs sfs;

	return !fstatfs(fd, &sfs) &&
	       (unsigned long)sfs.f_type == (unsigned long)CGROUP2_SUPER_MAGIC;
}

uint64_t et_cgroup_id_of(const char *dir)
{
	uint64_t id = 0;
	int fd, mnt;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (!is_cgroup2(fd) || handle_id(fd, "", AT_EMPTY_PATH, &id, &mnt))
		id = 0;
	close(fd);
	return id;
}

#define FILEID_KERNFS	0xfe	/* the handle type of cgroupfs (kernfs) */

/*
 * The path of cgroup @id, relative to @root, straight from the kernel: a
 * kernfs file handle is the id, so open_by_handle_at() opens the cgroup's
 * directory and its /proc/self/fd link names it. O(1), exact, and it works
 * after the process that raised the event is gone (only the cgroup must
 * still exist). Needs CAP_DAC_READ_SEARCH, which the agent has as root.
 */
static int path_by_handle(const char *root, uint64_t id, char *buf,
			  size_t len)
{
	union {
		struct file_handle fh;
		unsigned char buf[sizeof(struct file_handle) + 8];
	} h;
	char link[64], target[PATH_MAX];
	size_t rlen = strlen(root);
	int mfd, fd = -1, ret = -1;
	ssize_t n;

	mfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -1;
	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = 8;
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.buf + sizeof(struct file_handle), &id, 8);
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		goto out;
	target[n] = '\0';
	if (strncmp(target, root, rlen) || (target[rlen] && target[rlen] != '/'))
		goto out;	/* outside our mount (another cgroup ns) */
	snprintf(buf, len, "%s", target[rlen] ? target + rlen : "/");
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	close(mfd);
	return ret;
}

static uint32_t hash_slot(const struct et_cgroups *cg, uint64_t id)
{
	return (uint32_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & cg->mask;
}

static long lookup(const struct et_cgroups *cg, uint64_t id)
{
	uint32_t s, i;

	for (s = hash_slot(cg, id);; s = (s + 1) & cg->mask) {
		i = cg->index[s];
		if (i == ET_CG_EMPTY)
			return -1;
		if (cg->e[i].id == id)
			return i;
	}
}

static void index_insert(struct et_cgroups *cg, uint32_t i)
{
	uint32_t s;

	for (s = hash_slot(cg, cg->e[i].id); cg->index[s] != ET_CG_EMPTY;
	     s = (s + 1) & cg->mask)
		;
	cg->index[s] = i;
}

static void index_rebuild(struct et_cgroups *cg)
{
	uint32_t i;

	for (i = 0; i <= cg->mask; i++)
		cg->index[i] = ET_CG_EMPTY;
	for (i = 0; i < cg->n; i++)
		index_insert(cg, i);
}

static int is_miss(const struct et_cgroups *cg, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < cg->nmisses; i++)
		if (cg->misses[i] == id)
			return 1;
	return 0;
}

static void note_miss(struct et_cgroups *cg, uint64_t id)
{
	if (is_miss(cg, id))
		return;
	cg->misses[cg->next_miss] = id;
	cg->next_miss = (cg->next_miss + 1) % ET_CG_MISSES;
	if (cg->nmisses < ET_CG_MISSES)
		cg->nmisses++;
}

/* An entry to give up for a miss: not pinned, preferably not hot. */
static long pick_victim(struct et_cgroups *cg)
{
	long fallback = -1;
	unsigned int k, i;

	for (k = 0; k < cg->n; k++) {
		i = (cg->victim + k) % cg->n;
		if (cg->e[i].pinned)
			continue;
		if (!cg->e[i].hot) {
			cg->victim = (i + 1) % cg->n;
			return i;
		}
		if (fallback < 0)
			fallback = i;
	}
	if (fallback >= 0)
		cg->victim = (unsigned int)(fallback + 1) % cg->n;
	return fallback;
}

static void store_path(char *dst, const char *src, size_t len)
{
	const size_t room = ET_CGROUP_PATH_MAX - 1 - 4;	/* after "/..." */
	const char *tail;
	size_t n;

	if (len < ET_CGROUP_PATH_MAX) {
		memcpy(dst, src, len);
		dst[len] = '\0';
		return;
	}
	tail = memchr(src + len - room, '/', room);
	if (tail) {
		n = (size_t)(src + len - tail);
		memcpy(dst, "/...", 4);
		memcpy(dst + 4, tail, n);
		dst[4 + n] = '\0';
	} else {
		memcpy(dst, src, ET_CGROUP_PATH_MAX - 1);
		dst[ET_CGROUP_PATH_MAX - 1] = '\0';
	}
}

/* A cgroup found by the walk. */
static void visit(struct et_cgroups *cg, uint64_t id, const char *path,
		  size_t len)
{
	struct et_cg_entry *e;
	long i = lookup(cg, id);

	if (i < 0) {
		if (cg->n < cg->cap) {
			i = cg->n++;
			e = &cg->e[i];
			e->id = id;
			e->hot = 0;
			e->pinned = (uint8_t)is_miss(cg, id);
			index_insert(cg, (uint32_t)i);
		} else if (is_miss(cg, id) && (i = pick_victim(cg)) >= 0) {
			e = &cg->e[i];
			e->id = id;
			e->hot = 0;
			e->pinned = 1;
			index_rebuild(cg);
		} else {
			return;		/* full */
		}
	}
	e = &cg->e[i];
	e->seen = cg->gen;
	store_path(e->path, path, len);
}

/* Index the subdirectories of @dfd (at @depth, path in cg->walk[0..plen)),
 * recursively; takes @dfd. */
static void walk(struct et_cgroups *cg, int dfd, size_t plen, int depth)
{
	struct dirent *de;
	struct stat st;
	uint64_t id;
	size_t nl;
	DIR *d;
	int fd, mnt;

	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		const char *name = de->d_name;

		if (name[0] == '.' &&
		    (!name[1] || (name[1] == '.' && !name[2])))
			continue;
		if (de->d_type != DT_DIR) {
			if (de->d_type != DT_UNKNOWN ||
			    fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) ||
			    !S_ISDIR(st.st_mode))
				continue;
		}
		nl = strlen(name);
		if (plen + 1 + nl >= sizeof(cg->walk))
			continue;
		if (handle_id(dirfd(d), name, 0, &id, &mnt) ||
		    mnt != cg->root_mnt)
			continue;
		cg->walk[plen] = '/';
		memcpy(cg->walk + plen + 1, name, nl + 1);
		visit(cg, id, cg->walk, plen + 1 + nl);
		if (depth + 1 >= ET_CG_MAX_DEPTH)
			continue;
		fd = openat(dirfd(d), name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			walk(cg, fd, plen + 1 + nl, depth + 1);
	}
	closedir(d);
}

int et_cgroups_rescan(struct et_cgroups *cg)
{
	unsigned int i, j;
	uint64_t id;
	int fd, ret = -1;

	if (!cg)
		return -1;
	cg->scanned = 1;
	cg->last_scan_ns = mono_ns();
	fd = open(cg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (handle_id(fd, "", AT_EMPTY_PATH, &id, &cg->root_mnt)) {
		close(fd);
		goto out;
	}
	cg->gen++;
	for (i = 0; i < cg->n; i++)
		cg->e[i].pinned = 0;
	visit(cg, id, "/", 1);
	walk(cg, fd, 0, 0);

	/* drop the cgroups that are gone */
	for (i = 0, j = 0; i < cg->n; i++) {
		if (cg->e[i].seen != cg->gen)
			continue;
		if (i != j)
			cg->e[j] = cg->e[i];
		cg->e[j].hot = 0;
		cg->e[j].pinned = 0;
		j++;
	}
	cg->n = j;
	cg->victim = 0;
	index_rebuild(cg);
	ret = (int)cg->n;
out:
	cg->nmisses = 0;
	cg->next_miss = 0;
	return ret;
}

int et_cgroups_path(struct et_cgroups *cg, uint64_t id, char *buf,
		    size_t len)
{
	const char *p;
	size_t n;
	long i;

	if (!cg || !buf || !len)
		return -1;
	i = lookup(cg, id);
	if (i < 0) {
		char path[PATH_MAX];

		note_miss(cg, id);
		if (!path_by_handle(cg->root, id, path, sizeof(path))) {
			visit(cg, id, path, strlen(path));
			i = lookup(cg, id);
		}
	}
	if (i < 0) {
		if (cg->scanned &&
		    mono_ns() - cg->last_scan_ns < ET_CG_RESCAN_NS)
			return -1;
		if (et_cgroups_rescan(cg) < 0)
			return -1;
		i = lookup(cg, id);
		if (i < 0)
			return -1;
	}
	cg->e[i].hot = 1;
	p = cg->e[i].path;
	n = strlen(p);
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

struct et_cgroups *et_cgroups_new(const char *root, unsigned int capacity)
{
	struct et_cgroups *cg = NULL;
	uint32_t slots = 2;
	int fd, ok, err;

	if (!root || !capacity || capacity > ET_CG_MAX_CAPACITY) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ok = is_cgroup2(fd);
	close(fd);
	if (!ok) {
		errno = ENOTSUP;
		return NULL;
	}
	while (slots < 2 * capacity)
		slots <<= 1;

	cg = calloc(1, sizeof(*cg));
	if (!cg)
		goto fail;
	cg->root = strdup(root);
	cg->e = calloc(capacity, sizeof(*cg->e));
	cg->index = malloc(slots * sizeof(*cg->index));
	if (!cg->root || !cg->e || !cg->index)
		goto fail;
	cg->cap = capacity;
	cg->mask = slots - 1;
	index_rebuild(cg);
	return cg;
fail:
	err = errno;
	et_cgroups_free(cg);
	errno = err;
	return NULL;
}

void et_cgroups_free(struct et_cgroups *cg)
{
	if (!cg)
		return;
	free(cg->root);
	free(cg->e);
	free(cg->index);
	free(cg);
}
