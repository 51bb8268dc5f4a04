// SPDX-License-Identifier: GPL-2.0
/*
 * pin.c - restart without a blind spot (CONFIG_PIN_BPF).
 *
 * The ring buffer, the drop and issue counters and the "reported" map are
 * pinned in CONFIG_PIN_PATH/abi<N>/, and so is each program's link. When
 * the agent stops (or dies), the links stay: the probes keep capturing
 * into the pinned ring. The next agent of the same event ABI:
 *
 *   1. reuses the pinned maps (libbpf's pin_path: same definition, same
 *      map; a changed ring size makes them incompatible, and they are
 *      replaced),
 *   2. loads and attaches its own programs,
 *   3. only then unpins and closes the old links, so the old programs stop
 *      after the new ones run: there is no instant without a probe (an
 *      event in that instant may be seen twice, never zero times),
 *   4. pins its links, and drains the ring, oldest first.
 *
 * Pins of another ABI (an agent of a different version) cannot be read:
 * their links and maps are removed once the new probes run.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core.h"
#include "edgetrace.h"

#ifdef CONFIG_PIN_BPF

#define BPF_FS_MAGIC	0xcafe4a11

static const char *const pinned_maps[] = {
	"events", "drops", "stats", "reported",
};

static void abi_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/abi%d", CONFIG_PIN_PATH, ET_ABI_VERSION);
}

/* bpffs at /sys/fs/bpf, mounted if needed, and our directory in it. */
static int prepare_dirs(char *err, size_t errlen)
{
	struct statfs fs;
	char dir[256];

	if (statfs("/sys/fs/bpf", &fs) || (unsigned long)fs.f_type !=
	    BPF_FS_MAGIC) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL)) {
			snprintf(err, errlen, "cannot mount bpffs on "
				 "/sys/fs/bpf (%s): it is needed to keep the "
				 "probes across restarts (CONFIG_PIN_BPF)",
				 strerror(errno));
			return -1;
		}
	}
	abi_dir(dir, sizeof(dir));
	if ((mkdir(CONFIG_PIN_PATH, 0700) && errno != EEXIST) ||
	    (mkdir(dir, 0700) && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Remove every pin in @dir and the directory. */
static void remove_dir(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int et_pin_maps(struct bpf_object *obj, char *err, size_t errlen)
{
	char dir[256], path[512];

	if (prepare_dirs(err, errlen))
		return -1;
	abi_dir(dir, sizeof(dir));
	for (size_t i = 0; i < sizeof(pinned_maps) / sizeof(*pinned_maps);
	     i++) {
		struct bpf_map *map;

		map = bpf_object__find_map_by_name(obj, pinned_maps[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, pinned_maps[i]);
		if (map && bpf_map__set_pin_path(map, path)) {
			snprintf(err, errlen, "cannot pin map %s", path);
			return -1;
		}
	}
	return 0;
}

/* The pinned maps do not fit this build (ring size changed): drop them. */
void et_pin_discard_maps(void)
{
	char dir[256];

	abi_dir(dir, sizeof(dir));
	et_err("warning: the probes pinned in %s do not match this "
	       "configuration; they are replaced and what they held is lost",
	       dir);
	remove_dir(dir);
}

/* After our programs run: retire the old links, pin ours. */
void et_pin_links(struct bpf_link **links, const char **names, int n)
{
	char dir[256], path[512];
	struct dirent *de;
	DIR *d;

	abi_dir(dir, sizeof(dir));
	mkdir(dir, 0700);
	for (int i = 0; i < n; i++) {
		struct bpf_link *old;

		if (!links[i])
			continue;
		snprintf(path, sizeof(path), "%s/link_%s", dir, names[i]);
		old = bpf_link__open(path);
		if (old) {
			bpf_link__unpin(old);
			bpf_link__destroy(old);
		}
		if (bpf_link__pin(links[i], path))
			et_err("warning: cannot pin the link of probe %s (%s): "
			       "it will stop with the agent", names[i],
			       strerror(errno));
	}
	/* an agent of another ABI: its ring cannot be read, stop it */
	d = opendir(CONFIG_PIN_PATH);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, dir +
		    strlen(CONFIG_PIN_PATH) + 1))
			continue;
		snprintf(path, sizeof(path), "%s/%s", CONFIG_PIN_PATH,
			 de->d_name);
		et_err("warning: removing probes pinned by another version of "
		       "edgetrace (%s); events they held are lost", path);
		remove_dir(path);
	}
	if (d)
		closedir(d);
}

#endif /* CONFIG_PIN_BPF */
