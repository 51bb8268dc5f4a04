// SPDX-License-Identifier: GPL-2.0
/*
 * enrich.c - what user space adds to an event before it is stored: the
 * process's exe, cmdline and parent from the process table, and the
 * container from the event's cgroup id.
 *
 * The process table (proctable.c) is seeded from /proc at start and then
 * kept by the events themselves: an exec sets the entry from what the
 * kernel resolved, a fork gives the child its parent's image (a child runs
 * its parent's program until it execs), an exit is enriched and then
 * removes the entry. Every other event is enriched from the entry of its
 * pid, when there is one.
 *
 * Reduced mode (no kernel BTF: records flagged ET_REC_FLAG_REDUCED): an
 * exec comes without ppid, euid, egid, session, tty, exe and cwd. The
 * ppid is the one its fork gave the process table; the others are read
 * from /proc/PID (procinfo.c) if the process still lives then, which a
 * process that lives a few milliseconds does not: they stay absent. An
 * exit comes without ppid and lifetime: the table has the ppid, and the
 * start of processes it saw fork (or seeded from /proc's starttime).
 *
 * Containers: the cgroup v2 id of an event is turned into a path by the
 * cgroup cache (container.c) and the path into a container id. The result
 * per id is kept in a small direct-mapped cache, so a busy container costs
 * a lookup, not a string scan, per event. cgroup2 is found in
 * /proc/self/mounts: it is /sys/fs/cgroup on pure v2 systems and
 * /sys/fs/cgroup/unified on hybrid ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "container.h"
#include "core.h"
#include "edgetrace.h"
#include "procinfo.h"
#include "proctable.h"

#define CT_CACHE	64	/* power of two */

struct ct_entry {
	uint64_t cgroup;	/* 0: empty */
	int found;		/* a container; else a cgroup of none */
	uint64_t retry_ns;	/* path unknown: look again after this */
	struct et_container c;
};

#define CT_RETRY_NS	1000000000ull	/* an unknown cgroup, once a second */

struct et_enricher {
	struct et_proctable *procs;
	struct et_cgroups *cgroups;	/* NULL without cgroup v2 */
	struct ct_entry ct[CT_CACHE];
	uint64_t root_cgroup;		/* id of the cgroup2 root */
#ifdef CONFIG_REDUCED_MODE
	struct et_procinfo live;	/* a reduced exec's, from /proc */
#endif
};

/* The cgroup2 mount point, from /proc/self/mounts. */
static int find_cgroup2(char *buf, size_t len)
{
	char line[512], dev[64], dir[256], type[64];
	FILE *f = fopen("/proc/self/mounts", "r");
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %255s %63s", dev, dir, type) == 3 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(buf, len, "%s", dir);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

struct et_enricher *et_enrich_new(char *err, size_t errlen)
{
	struct et_enricher *e = calloc(1, sizeof(*e));
	char root[256];

	if (!e)
		goto out_nomem;
	e->procs = et_proctable_new(CONFIG_PROC_TABLE_SIZE);
	if (!e->procs)
		goto out_nomem;
	if (find_cgroup2(root, sizeof(root))) {
		et_err("warning: no cgroup v2 mount: events will not carry "
		       "container ids");
		return e;
	}
	e->cgroups = et_cgroups_new(root, CONFIG_CGROUP_CACHE_SIZE);
	e->root_cgroup = et_cgroup_id_of(root);
	return e;
out_nomem:
	snprintf(err, errlen, "out of memory for the process table (%d "
		 "entries, CONFIG_PROC_TABLE_SIZE)", CONFIG_PROC_TABLE_SIZE);
	free(e);
	return NULL;
}

/*
 * Seed the process table from /proc. Called once the probes are attached:
 * the events of the meantime wait in the ring and, consumed afterwards,
 * only update what /proc showed; capture starts sooner this way.
 */
void et_enrich_seed(struct et_enricher *e)
{
	et_proctable_seed(e->procs, "/proc");
}

void et_enrich_free(struct et_enricher *e)
{
	if (!e)
		return;
	et_proctable_free(e->procs);
	et_cgroups_free(e->cgroups);
	free(e);
}

void et_enrich_stats(struct et_enricher *e, uint32_t *used, uint32_t *cap,
		     uint64_t *evictions)
{
	struct et_proctable_stats st;

	et_proctable_stats(e->procs, &st);
	*used = st.used;
	*cap = st.capacity;
	*evictions = st.evictions;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The container of cgroup @id, cached per id: a cgroup that is no
 * container is remembered as such (cgroup ids are never reused), and one
 * whose path cannot be had is asked for again at most once a second, so
 * no event pays a string scan or a syscall for an answer already known.
 */
static const struct et_container *container_of_cgroup(struct et_enricher *e,
						       uint64_t id)
{
	struct ct_entry *c = &e->ct[id & (CT_CACHE - 1)];
	char path[ET_CGROUP_PATH_MAX];
	uint64_t now;

	if (c->cgroup == id && !c->retry_ns)
		return c->found ? &c->c : NULL;
	now = mono_ns();
	if (c->cgroup == id && now < c->retry_ns)
		return NULL;
	c->cgroup = id;
	c->retry_ns = 0;
	c->found = 0;
	if (et_cgroups_path(e->cgroups, id, path, sizeof(path)))
		c->retry_ns = now + CT_RETRY_NS;
	else
		c->found = et_container_from_path(path, strlen(path), &c->c);
	return c->found ? &c->c : NULL;
}

static void add_container(struct et_enricher *e, struct et_record *r)
{
	const struct et_container *c;

	if (!e->cgroups || !r->cgroup || r->cgroup == e->root_cgroup)
		return;
	c = container_of_cgroup(e, r->cgroup);
	if (!c)
		return;
	r->container.p = c->id;
	r->container.len = strlen(c->id);
	et_record_set(r, ET_F_CONTAINER);
	r->runtime.p = et_runtime_name(c->runtime);
	r->runtime.len = strlen(r->runtime.p);
	et_record_set(r, ET_F_RUNTIME);
	if (c->pod_uid[0]) {
		r->pod.p = c->pod_uid;
		r->pod.len = strlen(c->pod_uid);
		et_record_set(r, ET_F_POD);
	}
}

/* Fill what @r lacks from the process entry @p. */
static void add_process(struct et_record *r, const struct et_proc *p)
{
	if (!et_record_has(r, ET_F_EXE) && p->exe_len) {
		r->exe.p = p->exe;
		r->exe.len = p->exe_len;
		et_record_set(r, ET_F_EXE);
	}
	if (!et_record_has(r, ET_F_ARGS) && p->cmdline_len) {
		r->args.p = p->cmdline;
		r->args.len = p->cmdline_len;
		et_record_set(r, ET_F_ARGS);
	}
	if (!et_record_has(r, ET_F_PPID) && p->ppid) {
		r->ppid = p->ppid;
		et_record_set(r, ET_F_PPID);
	}
}

#ifdef CONFIG_REDUCED_MODE
/* ns since boot (CLOCK_BOOTTIME: /proc's starttime) of UTC time @ts */
static uint64_t boot_ns_of(uint64_t ts)
{
	struct timespec rt, bt;
	uint64_t off;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	off = ((uint64_t)rt.tv_sec - (uint64_t)bt.tv_sec) * 1000000000ull +
	      (uint64_t)rt.tv_nsec - (uint64_t)bt.tv_nsec;
	return ts > off ? ts - off : 0;
}

static void set_live_str(struct et_record *r, enum et_field f,
			 struct et_str *dst, const char *s, size_t len)
{
	dst->p = s;
	dst->len = len;
	et_record_set(r, f);
}

static void set_live_u32(struct et_record *r, enum et_field f, uint32_t *dst,
			 uint32_t v)
{
	*dst = v;
	et_record_set(r, f);
}

/*
 * A reduced exec: its ppid from the table (@ppid, from its fork), the
 * rest from /proc while the process is still the one that exec'd.
 */
static void add_live(struct et_enricher *e, struct et_record *r,
		     uint32_t ppid)
{
	struct et_procinfo *pi = &e->live;

	if (ppid)
		set_live_u32(r, ET_F_PPID, &r->ppid, ppid);
	if (et_procinfo_read("/proc", "/sys", r->pid, r->comm.p, r->comm.len,
			     pi))
		return;
	if (!ppid && (pi->have & ET_PI_PPID))
		set_live_u32(r, ET_F_PPID, &r->ppid, pi->ppid);
	if (pi->have & ET_PI_EUID)
		set_live_u32(r, ET_F_EUID, &r->euid, pi->euid);
	if (pi->have & ET_PI_EGID)
		set_live_u32(r, ET_F_EGID, &r->egid, pi->egid);
	if (pi->have & ET_PI_SID)
		set_live_u32(r, ET_F_SID, &r->sid, pi->sid);
	if (pi->have & ET_PI_TTY)
		set_live_str(r, ET_F_TTY, &r->tty, pi->tty, strlen(pi->tty));
	if (pi->have & ET_PI_EXE)
		set_live_str(r, ET_F_EXE, &r->exe, pi->exe, pi->exe_len);
	if (pi->have & ET_PI_CWD)
		set_live_str(r, ET_F_CWD, &r->cwd, pi->cwd, pi->cwd_len);
}

/* A reduced exit's lifetime, from the start the table knows. */
static void add_lifetime(struct et_record *r, const struct et_proc *p)
{
	uint64_t now = boot_ns_of(r->ts);

	if (et_record_has(r, ET_F_LIFETIME) || !p->start_ns ||
	    now < p->start_ns)
		return;
	r->lifetime = now - p->start_ns;
	et_record_set(r, ET_F_LIFETIME);
}
#endif

static void on_exec(struct et_enricher *e, struct et_record *r)
{
	struct et_proc *p = et_proctable_get(e->procs, r->pid);
	uint64_t start = p ? p->start_ns : 0;

#ifdef CONFIG_REDUCED_MODE
	if (r->flags & ET_REC_FLAG_REDUCED)
		add_live(e, r, p ? p->ppid : 0);
#endif
	p = et_proctable_put(e->procs, r->pid);
	p->start_ns = start;	/* the same process, a new image */
	p->ppid = r->ppid;
	p->uid = r->uid;
	p->cgroup_id = r->cgroup;
	memcpy(p->comm, r->comm.p, r->comm.len < 15 ? r->comm.len : 15);
	et_proc_set_exe(p, r->exe.p, r->exe.len);
	et_proc_set_cmdline(p, r->args.p, r->args.len);
}

/* A new process runs its parent's image until it execs. */
static void on_fork(struct et_enricher *e, struct et_record *r)
{
	struct et_proc *parent, *child, copy;

	if (r->ev_flags & ET_FORK_THREAD)
		return;
	parent = et_proctable_get(e->procs, r->ppid);
	if (parent)
		copy = *parent;	/* put() may reuse the parent's slot */
	child = et_proctable_put(e->procs, r->pid);
	if (parent) {
		et_proc_set_exe(child, copy.exe, copy.exe_len);
		et_proc_set_cmdline(child, copy.cmdline, copy.cmdline_len);
		child->uid = copy.uid;
	}
	child->ppid = r->ppid;
	child->cgroup_id = r->cgroup;
#ifdef CONFIG_REDUCED_MODE
	if (r->flags & ET_REC_FLAG_REDUCED)
		child->start_ns = boot_ns_of(r->ts);
#endif
	memcpy(child->comm, r->comm.p, r->comm.len < 15 ? r->comm.len : 15);
	add_process(r, child);
}

void et_enrich(struct et_enricher *e, struct et_record *r)
{
	struct et_proc *p;

	switch (r->type) {
	case ET_REC_EXEC:
		on_exec(e, r);
		break;
	case ET_REC_FORK:
		on_fork(e, r);
		break;
	case ET_REC_GAP:
		return;
	default:
		p = et_proctable_get(e->procs, r->pid);
		if (p)
			add_process(r, p);
#ifdef CONFIG_REDUCED_MODE
		if (p && r->type == ET_REC_EXIT &&
		    (r->flags & ET_REC_FLAG_REDUCED))
			add_lifetime(r, p);
#endif
	}
	add_container(e, r);
}

void et_enrich_done(struct et_enricher *e, const struct et_record *r)
{
	if (r->type == ET_REC_EXIT)
		et_proctable_remove(e->procs, r->pid);
}
