// SPDX-License-Identifier: GPL-2.0
/*
 * loader.c - load the embedded BPF object, size its maps from Kconfig,
 * attach the probes and hand out the ring buffer.
 *
 * The object is the bpftool skeleton of every enabled probe family linked
 * into one (bpf/README.md), so there is one ring buffer and one drops map
 * whatever the configuration.
 *
 * Attaching is per program: a probe whose hook is missing on this kernel
 * (a tracepoint compiled out, a syscall the architecture lacks) is
 * reported with the reason and left out, and the others run. Tracepoints
 * of the syscalls:* kind need tracefs, which the agent mounts when it is
 * not (raw tracepoints do not).
 *
 * With CONFIG_PIN_BPF the ring, counters and links are pinned (pin.c) and
 * the probes outlive the agent; without it they stop with it.
 *
 * Reduced mode (CONFIG_REDUCED_MODE): when the kernel has no BTF and no
 * BTF file is installed, or with `--btf none`, the small object of
 * bpf/reduced.bpf.c is loaded instead: the process probes on tracepoint
 * fields only, no CO-RE (reduced.c finds the fields' offsets). The rest
 * of the agent sees the same ring, counters and events; it is never
 * pinned (its probes stop with the agent).
 *
 * Memory accounting: since 5.11 the kernel charges BPF memory to the
 * memory cgroup and RLIMIT_MEMLOCK does not matter; before that, libbpf
 * raises RLIMIT_MEMLOCK itself, and when it cannot (no CAP_SYS_RESOURCE)
 * the load fails with EPERM, which we explain.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <zlib.h>

#include "core.h"
#include "edgetrace.h"
#include "edgetrace.skel.h"
#ifdef CONFIG_REDUCED_MODE
#include "reduced.skel.h"
#endif
#include "watch.h"
#include "filter.h"

_Static_assert((CONFIG_RINGBUF_SIZE_KIB & (CONFIG_RINGBUF_SIZE_KIB - 1)) == 0,
	       "CONFIG_RINGBUF_SIZE_KIB must be a power of two");
_Static_assert(CONFIG_RINGBUF_SIZE_KIB < CONFIG_BPF_MAP_BUDGET_KIB,
	       "the ring buffer must leave room in CONFIG_BPF_MAP_BUDGET_KIB");

#define MAX_PROGS	128

#define MAX_REJECTED	16

struct et_probes {
	struct edgetrace_bpf *skel;
#ifdef CONFIG_REDUCED_MODE
	struct edgetrace_reduced_bpf *rskel;
#endif
	struct bpf_object *obj;		/* skel's or rskel's */
	struct bpf_map *events, *drops, *stats, *reported;
	char reduced[256];		/* why reduced mode, or "" */
	int pinned;			/* CONFIG_PIN_BPF and not reduced */
	struct ring_buffer *rb;
	et_event_fn fn;
	void *ctx;
	struct bpf_link *links[MAX_PROGS];
	const char *names[MAX_PROGS];
	char namebuf[MAX_PROGS][48];	/* names[] point here */
	int attached[MAX_PROGS];
	int nprogs;
	uint64_t *percpu;	/* one value per possible CPU, for lookups */
	const struct et_watches *watches;
	const struct et_kfilter *kfilter;
	int file_bytes, socket_bytes;
	const char *btf;	/* external BTF file, or NULL */
	int ncpu;
	char rejected[MAX_REJECTED][48];	/* by this kernel's verifier */
	int nrejected;
	char unloaded[MAX_REJECTED][48];	/* reduced: a field missing */
	int nunloaded;
};

const char *et_probes_names(void)
{
	static const char names[] = ""
#ifdef CONFIG_PROBE_EXEC
		" exec"
#endif
#ifdef CONFIG_PROBE_FORK
		" fork"
#endif
#ifdef CONFIG_PROBE_EXIT
		" exit"
#endif
#ifdef CONFIG_PROBE_CRED
		" cred"
#endif
#ifdef CONFIG_PROBE_SIGNAL
		" signal"
#endif
#ifdef CONFIG_PROBE_PTRACE
		" ptrace"
#endif
#ifdef CONFIG_PROBE_MODULE
		" module"
#endif
#ifdef CONFIG_PROBE_FILE
		" file"
#endif
#ifdef CONFIG_PROBE_NET
		" net"
#endif
		;

	return names[0] ? names + 1 : "none";
}

/* libbpf speaks only when something is wrong. */
/*
 * The program libbpf last said it could not load, and the verifier's last
 * word on it: a program this kernel rejects is left out and the others
 * are loaded again (open_and_load).
 */
static char load_failed[48];
static char load_reason[160];

/* Keep the line before "-- END PROG LOAD LOG --": the verifier's reason. */
static void note_verifier_reason(const char *msg)
{
	const char *end = strstr(msg, "-- END PROG LOAD LOG --");
	const char *b, *e;

	while (end && end > msg) {
		e = end - 1;			/* the '\n' ending the line */
		for (b = e; b > msg && b[-1] != '\n'; b--)
			;
		end = b;
		if (e > b && strncmp(b, "processed ", 10) &&
		    strncmp(b, "verification time", 17)) {
			snprintf(load_reason, sizeof(load_reason), "%.*s",
				 (int)(e - b), b);
			return;
		}
	}
}

/* A "prog 'NAME': failed to load" message: remember NAME. */
static void note_failed_prog(const char *msg)
{
	const char *q;

	if (!strncmp(msg, "libbpf: ", 8))
		msg += 8;
	if (strncmp(msg, "prog '", 6) || !(q = strstr(msg + 6, "': failed")))
		return;
	snprintf(load_failed, sizeof(load_failed), "%.*s",
		 (int)(q - msg - 6), msg + 6);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	int debug = getenv("EDGETRACE_DEBUG_BPF") != NULL;
	char msg[2048];
	va_list aq;

	if (level > LIBBPF_WARN && !debug)
		return 0;
	va_copy(aq, ap);
	vsnprintf(msg, sizeof(msg), fmt, aq);
	va_end(aq);
	note_failed_prog(msg);
	if (strstr(msg, "-- BEGIN PROG LOAD LOG --")) {
		note_verifier_reason(msg);
		if (!debug)	/* the reason is reported; the log on demand */
			return 0;
	}
	if (strncmp(msg, "libbpf: ", 8))	/* most say so themselves */
		fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static int kernel_before(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return 0;
	return ma < major || (ma == major && mi < minor);
}

static void explain_load_error(int err, char *buf, size_t len)
{
	if (err == -EPERM && kernel_before(5, 11))
		snprintf(buf, len, "cannot load the BPF probes: permission "
			 "denied. This kernel (< 5.11) charges BPF maps to "
			 "RLIMIT_MEMLOCK and it could not be raised: run as root "
			 "with CAP_SYS_RESOURCE, or raise the limit (ulimit -l "
			 "unlimited, LimitMEMLOCK=infinity in the systemd unit)");
	else if (err == -EPERM)
		snprintf(buf, len, "cannot load the BPF probes: permission "
			 "denied: run edgetrace as root (it needs CAP_BPF and "
			 "CAP_PERFMON, or CAP_SYS_ADMIN)");
	else
		snprintf(buf, len, "cannot load the BPF probes: %s (run with "
			 "EDGETRACE_DEBUG_BPF=1 for the verifier's log)",
			 strerror(-err));
}

/* Mount tracefs if it is missing; only syscalls:* tracepoints need it. */
static void ensure_tracefs(void)
{
	struct stat st;

	if (!stat("/sys/kernel/tracing/events", &st) ||
	    !stat("/sys/kernel/debug/tracing/events", &st))
		return;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL))
		et_err("warning: tracefs is not mounted and mounting it failed "
		       "(%s): syscall tracepoint probes will not attach; "
		       "mount it with 'mount -t tracefs nodev "
		       "/sys/kernel/tracing'", strerror(errno));
}

/* Record an attachment (or its failure) under @name; 1 if attached. */
static int add_link(struct et_probes *p, const char *name,
		    struct bpf_link *link, int err, const char *skipped)
{
	int i = p->nprogs;

	if (i == MAX_PROGS) {
		bpf_link__destroy(link);
		return 0;
	}
	snprintf(p->namebuf[i], sizeof(p->namebuf[i]), "%s", name);
	p->names[i] = p->namebuf[i];
	p->links[i] = link;
	p->attached[i] = link != NULL;
	p->nprogs++;
	if (!link && !skipped)
		et_err("warning: probe %s not attached: %s; the other "
		       "probes run", name, strerror(err));
	return link != NULL;
}

/*
 * Shared exit programs: ET_EXIT_PROGS[i].exit goes on sys_exit_NAME of
 * every attached enter program named PREFIX NAME (bpf/file.bpf.c), so the
 * object holds, and the verifier checks, one copy of the exit code.
 */
#ifdef CONFIG_PROBE_FILE
static const struct {
	const char *prefix, *exit;
} exit_progs[] = {
	{ "et_file_", "et_file_exit" },
	{ "et_io_", "et_io_exit" },
};

static int is_exit_prog(const char *name)
{
	for (size_t e = 0; e < sizeof(exit_progs) / sizeof(exit_progs[0]); e++)
		if (!strcmp(name, exit_progs[e].exit))
			return 1;
	return 0;
}

/* Does enter program @name need the shared exit program @exit? */
static int shares_exit(const char *name, const char *exit)
{
	for (size_t e = 0; e < sizeof(exit_progs) / sizeof(exit_progs[0]); e++)
		if (!strcmp(exit, exit_progs[e].exit) &&
		    !strncmp(name, exit_progs[e].prefix,
			     strlen(exit_progs[e].prefix)))
			return 1;
	return 0;
}

static int attach_exits(struct et_probes *p, const char *prefix,
			const char *exit_name)
{
	size_t plen = strlen(prefix);
	struct bpf_program *exit_prog;
	int n = 0, nprogs = p->nprogs;
	char tp[80];

	exit_prog = bpf_object__find_program_by_name(p->obj, exit_name);
	for (int i = 0; i < nprogs && exit_prog; i++) {
		const char *name = p->names[i];
		struct bpf_link *link;

		if (!p->attached[i] || strncmp(name, prefix, plen) ||
		    is_exit_prog(name))
			continue;
		snprintf(tp, sizeof(tp), "sys_exit_%s", name + plen);
		link = bpf_program__attach_tracepoint(exit_prog, "syscalls",
						      tp);
		n += add_link(p, tp, link, errno, NULL);
	}
	return n;
}

static int attach_all_exits(struct et_probes *p)
{
	int n = 0;

	for (size_t e = 0; e < sizeof(exit_progs) / sizeof(exit_progs[0]); e++)
		n += attach_exits(p, exit_progs[e].prefix, exit_progs[e].exit);
	return n;
}
#else
static int is_exit_prog(const char *name)
{
	(void)name;
	return 0;
}

static int shares_exit(const char *name, const char *exit)
{
	(void)name; (void)exit;
	return 0;
}
#endif

/*
 * The byte counting programs hook every read, write, send, receive and
 * close on the system: they are attached only when this run counts those
 * bytes (--file-bytes, --socket-bytes).
 */
static int wanted(const struct et_probes *p, const char *name)
{
	static const char *const socket_bytes[] = { "et_net_send",
		"et_net_recv", "et_net_close", "et_net_fork", "et_net_exit" };

	if (!strncmp(name, "et_io_", 6) || !strcmp(name, "et_close_io"))
		return p->file_bytes;
	for (size_t i = 0; i < sizeof(socket_bytes) / sizeof(socket_bytes[0]);
	     i++)
		if (!strcmp(name, socket_bytes[i]))
			return p->socket_bytes;
	return 1;
}

/* Is the tracepoint of @prog absent from this kernel (not just failing)? */
static int tracepoint_absent(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);
	char path[256];

	if (strncmp(sec, "tracepoint/", 11))
		return 0;
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s", sec + 11);
	return access(path, F_OK) != 0 && errno == ENOENT;
}

/* Attach every program on its own; returns how many attached. */
static int attach_all(struct et_probes *p)
{
	struct bpf_program *prog;
	char absent[512] = "";
	size_t off = 0;
	int n = 0;

	const char *test_missing_tp = getenv("EDGETRACE_TEST_MISSING_TP");

	ensure_tracefs();
	for (int i = 0; i < p->nrejected; i++)
		add_link(p, p->rejected[i], NULL, 0, "rejected");
	for (int i = 0; i < p->nunloaded; i++)
		add_link(p, p->unloaded[i], NULL, 0, "unloaded");
	bpf_object__for_each_program(prog, p->obj) {
		const char *name = bpf_program__name(prog);
		const char *skip = NULL;
		struct bpf_link *link = NULL;

		if (is_exit_prog(name) || !bpf_program__autoload(prog))
			continue;	/* attached below, once per call; unused */
		if (!wanted(p, name))
			continue;	/* off in this run: costs nothing */
		if (test_missing_tp && !strcmp(name, test_missing_tp)) {
			/* tests: a tracepoint this kernel does not have */
			link = bpf_program__attach_tracepoint(prog,
					"edgetrace_test", "missing");
		} else if (tracepoint_absent(prog)) {
			skip = "absent";
			off += snprintf(absent + off, off < sizeof(absent) ?
					sizeof(absent) - off : 0, " %s",
					bpf_program__section_name(prog) + 11);
		} else {
			link = bpf_program__attach(prog);
		}
		n += add_link(p, name, link, errno, skip);
	}
#ifdef CONFIG_PROBE_FILE
	n += attach_all_exits(p);
#endif
	if (absent[0])
		et_err("note: tracepoints this kernel does not have (their "
		       "calls do not exist on this architecture or kernel):%s",
		       absent);
	return n;
}

int et_probes_list(struct et_probes *p, char *buf, size_t len, int active)
{
	size_t off = 0;
	int n = 0;

	buf[0] = '\0';
	for (int i = 0; i < p->nprogs; i++) {
		if (p->attached[i] != active)
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
				n ? " " : "", p->names[i]);
		n++;
	}
	if (off >= len && len)
		buf[len - 1] = '\0';
	return n;
}

/*
 * The ring buffer's size: CONFIG_RINGBUF_SIZE_KIB, unless the tests ask
 * for a deliberately tiny one (EDGETRACE_TEST_RINGBUF_KIB, a power of two
 * of at least 4) to provoke drops.
 */
static uint32_t ring_size(void)
{
	const char *s = getenv("EDGETRACE_TEST_RINGBUF_KIB");
	unsigned long kib = s ? strtoul(s, NULL, 10) : 0;

	if (kib >= 4 && kib <= 65536 && !(kib & (kib - 1)))
		return kib * 1024;
	return CONFIG_RINGBUF_SIZE_KIB * 1024;
}

void et_probes_detach(struct et_probes *p)
{
	if (p->pinned)
		return;	/* the probes outlive the agent on purpose */
	for (int i = 0; i < p->nprogs; i++) {
		bpf_link__destroy(p->links[i]);
		p->links[i] = NULL;
	}
}

const char *et_probes_reduced(struct et_probes *p)
{
	return p->reduced[0] ? p->reduced : NULL;
}

int et_probes_reported(struct et_probes *p, uint64_t *drops, int set)
{
	int fd = bpf_map__fd(p->reported);

	for (uint32_t c = 0; c < ET_DROP_NR; c++) {
		if (set ? bpf_map_update_elem(fd, &c, &drops[c], BPF_ANY) :
			  bpf_map_lookup_elem(fd, &c, &drops[c]))
			return -1;
	}
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct et_probes *p = ctx;

	return p->fn(p->ctx, data, size);
}

/*
 * Opens: one exit program reading the arguments from the task's saved
 * registers (et_fx_*, with bpf_task_pt_regs: 5.15 and later), or an
 * enter/exit pair (et_file_open*) on older kernels, or when
 * EDGETRACE_OPEN_PAIRS=1 asks for it (the tests cover both).
 */
static void pick_open_probes(struct et_probes *p)
{
#ifdef CONFIG_PROBE_FILE
	static const char *const pairs[] = { "et_file_openat",
		"et_file_openat2", "et_file_open", "et_file_creat" };
	struct bpf_program *prog;
	int regs;

	/* its result is a BTF pointer: only a kernel with BTF verifies it */
	regs = access("/sys/kernel/btf/vmlinux", R_OK) == 0 &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
				       BPF_FUNC_task_pt_regs, NULL) > 0 &&
	       !getenv("EDGETRACE_OPEN_PAIRS");
	bpf_object__for_each_program(prog, p->skel->obj) {
		const char *name = bpf_program__name(prog);

		if (!strncmp(name, "et_fx_", 6))
			bpf_program__set_autoload(prog, regs);
		for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
			if (!strcmp(name, pairs[i]))
				bpf_program__set_autoload(prog, !regs);
	}
#else
	(void)p;
#endif
}

/* Which sets the kernel-side filter uses (rodata et_kf_flags). */
static uint32_t kfilter_flags(const struct et_kfilter *k)
{
	uint32_t flags = 0;

	if (k->pids_set)
		flags |= ET_KF_PIDS_FLAG;
	if (k->comms_set)
		flags |= ET_KF_COMMS_FLAG;
	if (k->uids_set)
		flags |= ET_KF_UIDS_FLAG;
#ifdef CONFIG_PROBE_FILE
	if (k->prefixes_set)
		flags |= ET_KF_PATHS_FLAG;
#endif
	return flags;
}

/* What both objects' read-only data (bpf/maps.bpf.h) hold, and the ring. */
#define SET_COMMON(p, skel)						\
	do {								\
		bpf_map__set_max_entries((skel)->maps.events, ring_size()); \
		(skel)->rodata->et_wakeup_bytes = ring_size() / 8;	\
		if ((p)->kfilter) {					\
			(skel)->rodata->et_kf_types = (p)->kfilter->types; \
			(skel)->rodata->et_kf_flags =			\
				kfilter_flags((p)->kfilter);		\
		}							\
	} while (0)

/* The maps the loader uses whatever the object, once it is opened. */
static void find_maps(struct et_probes *p, struct bpf_object *obj)
{
	p->obj = obj;
	p->events = bpf_object__find_map_by_name(obj, "events");
	p->drops = bpf_object__find_map_by_name(obj, "drops");
	p->stats = bpf_object__find_map_by_name(obj, "stats");
	p->reported = bpf_object__find_map_by_name(obj, "reported");
}

static int put_u8(int fd, const void *key)
{
	uint8_t one = 1;

	return bpf_map_update_elem(fd, key, &one, BPF_ANY);
}

static int map_fd(struct et_probes *p, const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(p->obj, name));
}

/* The kernel-side filter's sets into their maps. */
static int load_kfilter(struct et_probes *p, char *err, size_t errlen)
{
	const struct et_kfilter *k = p->kfilter;
	int rc = 0;

	if (!k)
		return 0;
	for (unsigned int i = 0; i < k->npids && !rc; i++)
		rc = put_u8(map_fd(p, "kf_pids"), &k->pids[i]);
	for (unsigned int i = 0; i < k->ncomms && !rc; i++)
		rc = put_u8(map_fd(p, "kf_comms"), k->comms[i]);
	for (unsigned int i = 0; i < k->nuids && !rc; i++)
		rc = put_u8(map_fd(p, "kf_uids"), &k->uids[i]);
#ifdef CONFIG_PROBE_FILE
	for (unsigned int i = 0; i < k->nprefixes && !rc; i++) {
		struct et_watch_key key = { 0 };
		size_t len = strlen(k->prefixes[i]);

		memcpy(key.path, k->prefixes[i], len);
		key.prefixlen = 8 * len;
		rc = put_u8(map_fd(p, "kf_paths"), &key);
	}
#endif
	if (rc)
		snprintf(err, errlen, "cannot load the filter into the "
			 "kernel: %s", strerror(errno));
	return rc;
}

/* The watches into the kernel's prefix map (bpf/file.bpf.c). */
static int load_watches(struct et_probes *p, char *err, size_t errlen)
{
#ifdef CONFIG_PROBE_FILE
	int fd = p->skel ? bpf_map__fd(p->skel->maps.watches) : -1;

	for (unsigned int i = 0; fd >= 0 && p->watches && i < p->watches->n;
	     i++) {
		const struct et_watch *w = &p->watches->w[i];
		struct et_watch_key key = { 0 };
		size_t len = w->len;

		/* "/etc" is stored as "/etc/"; "/" as "/" */
		memcpy(key.path, w->path, len);
		if (len > 1)
			key.path[len++] = '/';
		key.prefixlen = 8 * len;
		if (bpf_map_update_elem(fd, &key, &w->mask, BPF_ANY)) {
			snprintf(err, errlen, "cannot load watch on '%s' into "
				 "the kernel: %s", w->path, strerror(errno));
			return -1;
		}
	}
#else
	(void)p; (void)err; (void)errlen;
#endif
	return 0;
}

#define KERNEL_BTF	"/sys/kernel/btf/vmlinux"

/*
 * Was @path made from this kernel's own BTF? `make btf` writes PATH.id,
 * "crc32 XXXXXXXX size N" of the kernel BTF it reduced: 1 when this
 * kernel's matches, 0 when it does not, -1 when there is no PATH.id.
 */
static int btf_made_here(const char *path)
{
	unsigned long crc = 0, want_crc;
	unsigned char buf[65536];
	long long size = 0, want_size;
	char idpath[4096];
	FILE *f;
	size_t n;
	int ok;

	snprintf(idpath, sizeof(idpath), "%s.id", path);
	f = fopen(idpath, "re");
	if (!f)
		return -1;
	ok = fscanf(f, "crc32 %lx size %lld", &want_crc, &want_size) == 2;
	fclose(f);
	f = ok ? fopen(KERNEL_BTF, "re") : NULL;
	if (!f)
		return 0;
	crc = crc32(0, NULL, 0);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		crc = crc32(crc, buf, n);
		size += n;
	}
	fclose(f);
	return crc == want_crc && size == want_size;
}

/*
 * The BTF file CO-RE relocations are made against: --btf's, else the
 * board's (CONFIG_BTF_FILE) when it was made from this kernel's BTF (it
 * spares parsing megabytes), else the kernel's own, else the board's
 * whatever it was made from. NULL for the kernel's; -1 when there is
 * none, with @err saying what to do.
 */
static int pick_btf(struct et_probes *p, const char **path, char *err,
		    size_t errlen)
{
	*path = NULL;
	if (p->btf) {
		if (access(p->btf, R_OK) == 0 && !access(KERNEL_BTF, R_OK) &&
		    !btf_made_here(p->btf)) {
			et_err("warning: --btf %s was made from another kernel's "
			       "BTF (%s.id): using this kernel's own", p->btf,
			       p->btf);
			return 0;
		}
		if (access(p->btf, R_OK) == 0) {
			*path = p->btf;
			return 0;
		}
		snprintf(err, errlen, "cannot read --btf %s: %s", p->btf,
			 strerror(errno));
		return -1;
	}
	if (access(KERNEL_BTF, R_OK) == 0) {
		/* the board's small file, if made from this very kernel */
		if (CONFIG_BTF_FILE[0] && access(CONFIG_BTF_FILE, R_OK) == 0 &&
		    btf_made_here(CONFIG_BTF_FILE) == 1)
			*path = CONFIG_BTF_FILE;
		return 0;
	}
	if (CONFIG_BTF_FILE[0] && access(CONFIG_BTF_FILE, R_OK) == 0) {
		*path = CONFIG_BTF_FILE;
		return 0;
	}
	snprintf(err, errlen, "this kernel has no BTF (" KERNEL_BTF " is "
		 "missing) and there is no BTF file at '%s': make one for "
		 "this kernel with 'make btf KERNEL=VMLINUX' and install it "
		 "there, or give it with --btf FILE", CONFIG_BTF_FILE);
	return -ENOENT;
}

/*
 * The load failed on one program (load_failed): note it as rejected and
 * say so, if the others can go on without it. 0 when the failure is not
 * one program's, or too many were rejected.
 */
static int reject(struct et_probes *p, int rc)
{
	if (!load_failed[0] || rc == -EPERM || p->nrejected == MAX_REJECTED)
		return 0;
	for (int i = 0; i < p->nrejected; i++)
		if (!strcmp(p->rejected[i], load_failed))
			return 0;	/* left out already: something else */
	snprintf(p->rejected[p->nrejected++], sizeof(p->rejected[0]), "%s",
		 load_failed);
	et_err("warning: probe %s rejected by this kernel's verifier (%s); "
	       "the other probes run (EDGETRACE_DEBUG_BPF=1 shows the "
	       "verifier's log)", load_failed,
	       load_reason[0] ? load_reason : strerror(-rc));
	return 1;
}

/*
 * Leave out the programs this kernel rejected (and, for a shared exit
 * program, the enter programs that need it). EDGETRACE_TEST_REJECT=NAME
 * makes NAME a program every verifier rejects (tests only): a socket
 * filter calling tracing helpers.
 */
static void leave_out_rejected(struct et_probes *p)
{
	const char *test = getenv("EDGETRACE_TEST_REJECT");
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, p->obj) {
		const char *name = bpf_program__name(prog);

		/* a socket filter may not call the tracing helpers */
		if (test && !strcmp(name, test))
			bpf_program__set_type(prog, BPF_PROG_TYPE_SOCKET_FILTER);
		for (int i = 0; i < p->nrejected; i++) {
			if (!strcmp(name, p->rejected[i]) ||
			    shares_exit(name, p->rejected[i]))
				bpf_program__set_autoload(prog, false);
		}
	}
}

/*
 * After a load: 0 if it worked (and the maps took the watches and the
 * filter); -EAGAIN when the verifier rejected one program, now left out
 * for the next attempt; else -1 with @err set.
 */
static int after_load(struct et_probes *p, int rc, const char *btf,
		      char *err, size_t errlen)
{
	if (!rc && !load_watches(p, err, errlen) &&
	    !load_kfilter(p, err, errlen))
		return 0;
	if (rc && reject(p, rc))
		return -EAGAIN;
	if (rc && btf)
		snprintf(err, errlen, "cannot load the BPF probes with the BTF "
			 "in %s: %s (is it this kernel's, made by 'make btf'? "
			 "EDGETRACE_DEBUG_BPF=1 shows what is missing; "
			 "--btf none runs in reduced mode without it)", btf,
			 strerror(-rc));
	else if (rc)
		explain_load_error(rc, err, errlen);
	return -1;
}

#ifdef CONFIG_REDUCED_MODE
/*
 * Reduced mode: the object of bpf/reduced.bpf.c, with the tracepoint
 * fields' offsets of this kernel; programs that lack a field are left
 * out and named.
 */
static int load_reduced_once(struct et_probes *p, char *err, size_t errlen)
{
	struct et_reduced_skip skips[MAX_REJECTED];
	int rc, n;

	p->rskel = edgetrace_reduced_bpf__open();
	et_bpf_elf_free();	/* libbpf is done with the ELF once open */
	if (!p->rskel) {
		explain_load_error(-errno, err, errlen);
		return -1;
	}
	find_maps(p, p->rskel->obj);
	SET_COMMON(p, p->rskel);
	ensure_tracefs();
	n = et_reduced_fields(p->obj, (struct et_r_loc *)
			      p->rskel->rodata->et_r_fields, skips,
			      MAX_REJECTED);
	p->nunloaded = 0;
	for (int i = 0; i < n; i++) {
		et_err("warning: probe %s not loaded: %s; the other probes run",
		       skips[i].prog, skips[i].why);
		_Static_assert(sizeof(p->unloaded[0]) == sizeof(skips[0].prog),
			       "a program's name fits both");
		memcpy(p->unloaded[p->nunloaded++], skips[i].prog,
		       sizeof(skips[i].prog));
	}
	leave_out_rejected(p);
	load_failed[0] = load_reason[0] = '\0';
	rc = after_load(p, edgetrace_reduced_bpf__load(p->rskel), NULL, err,
			errlen);
	if (rc) {
		edgetrace_reduced_bpf__destroy(p->rskel);
		p->rskel = NULL;
	}
	return rc;
}

/* Say once, at start, what this run lacks. */
static void say_reduced(const struct et_probes *p)
{
	et_err("reduced mode (%s): the process probes read tracepoint "
	       "fields only; for full capture give the kernel's BTF ('make "
	       "btf', docs/build.md)", p->reduced);
	et_err("reduced mode lacks: %s", et_reduced_lacking());
	if (et_reduced_unavailable()[0])
		et_err("reduced mode: these probe families need kernel BTF and "
		       "are not running: %s", et_reduced_unavailable());
}
#endif

/*
 * Open the skeleton, size the ring, set the pins and load. -EEXIST when
 * pinned maps exist that this build cannot reuse (libbpf says -EINVAL
 * then; we check for the pins to tell it apart); -EAGAIN when the
 * verifier rejected one program, now left out for the next attempt;
 * -ENOENT when there is no BTF at all (reduced mode, if built).
 */
static int open_and_load_once(struct et_probes *p, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	int rc, load_rc;

	rc = pick_btf(p, &oo.btf_custom_path, err, errlen);
	if (rc)
		return rc;
	if (oo.btf_custom_path)
		et_err("CO-RE against the BTF in %s", oo.btf_custom_path);
	p->skel = edgetrace_bpf__open_opts(&oo);
	et_bpf_elf_free();	/* libbpf is done with the ELF once open */
	if (!p->skel) {
		explain_load_error(-errno, err, errlen);
		return -1;
	}
	find_maps(p, p->skel->obj);
	SET_COMMON(p, p->skel);
	pick_open_probes(p);
	/* direct loads through task BTF pointers (bpf/common.bpf.h) */
	p->skel->rodata->et_task_btf = !getenv("EDGETRACE_OPEN_PAIRS") &&
		access(KERNEL_BTF, R_OK) == 0 &&
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
					BPF_FUNC_get_current_task_btf,
					NULL) > 0;
#ifdef CONFIG_PROBE_NET
	p->skel->rodata->et_net_counted = p->socket_bytes;
#endif
#ifdef CONFIG_PROBE_FILE
	p->skel->rodata->et_self_tgid = getpid();
	p->skel->rodata->et_watch_open = p->watches &&
		(et_watches_union(p->watches) & (1u << ET_W_OPEN));
	/* byte totals for files under explicit watches only */
	p->skel->rodata->et_io_track = p->file_bytes && p->watches &&
		!p->watches->is_default;
#endif
	leave_out_rejected(p);
#ifdef CONFIG_PIN_BPF
	rc = -1;
	if (et_pin_maps(p->skel->obj, err, errlen))
		goto out_destroy;
#endif
	load_failed[0] = load_reason[0] = '\0';
	load_rc = edgetrace_bpf__load(p->skel);
	rc = after_load(p, load_rc, oo.btf_custom_path, err, errlen);
	if (!rc)
		return 0;
#ifdef CONFIG_PIN_BPF
	if (rc == -1 && load_rc == -EINVAL &&
	    bpf_map__is_pinned(p->skel->maps.events) == 0)
		rc = -EEXIST;
out_destroy:
#endif
	edgetrace_bpf__destroy(p->skel);
	p->skel = NULL;
	return rc;
}

/*
 * Open and load, leaving out what the verifier rejects, one at a time;
 * the reduced object when there is no BTF at all or --btf none asks.
 */
static int open_and_load(struct et_probes *p, char *err, size_t errlen)
{
	int rc = 0;

#ifdef CONFIG_REDUCED_MODE
	if (p->btf && !strcmp(p->btf, "none"))
		snprintf(p->reduced, sizeof(p->reduced), "--btf none");
#endif
	while (!p->reduced[0] &&
	       (rc = open_and_load_once(p, err, errlen)) == -EAGAIN)
		;
#ifdef CONFIG_REDUCED_MODE
	if (rc == -ENOENT)	/* no BTF at all */
		snprintf(p->reduced, sizeof(p->reduced), "no kernel BTF: "
			 KERNEL_BTF " is missing and there is no BTF file at "
			 "'%s'", CONFIG_BTF_FILE);
	if (!p->reduced[0])
		return rc;
	say_reduced(p);
	p->nrejected = 0;	/* the other object's */
	while ((rc = load_reduced_once(p, err, errlen)) == -EAGAIN)
		;
#endif
	return rc;
}

static void destroy_object(struct et_probes *p)
{
	edgetrace_bpf__destroy(p->skel);
	p->skel = NULL;
#ifdef CONFIG_REDUCED_MODE
	edgetrace_reduced_bpf__destroy(p->rskel);
	p->rskel = NULL;
#endif
	p->obj = NULL;
}

struct et_probes *et_probes_open(et_event_fn fn, void *ctx,
				 const struct et_probe_opts *o, char *err,
				 size_t errlen)
{
	struct et_probes *p = calloc(1, sizeof(*p));
	int rc;

	if (!p) {
		snprintf(err, errlen, "out of memory loading the probes");
		return NULL;
	}
	p->fn = fn;
	p->ctx = ctx;
	p->watches = o->watches;
	p->kfilter = o->kfilter;
	p->file_bytes = o->file_bytes;
	p->socket_bytes = o->socket_bytes;
	p->btf = o->btf;
	p->ncpu = libbpf_num_possible_cpus();
	p->percpu = p->ncpu > 0 ? calloc(p->ncpu, sizeof(*p->percpu)) : NULL;
	if (!p->percpu) {
		snprintf(err, errlen, "cannot size the per-CPU counters");
		goto out_free;
	}
	libbpf_set_print(libbpf_print);
	rc = open_and_load(p, err, errlen);
#ifdef CONFIG_PIN_BPF
	if (rc == -EEXIST) {	/* pinned maps of another configuration */
		et_pin_discard_maps();
		rc = open_and_load(p, err, errlen);
	}
#endif
	if (rc)
		goto out_free;
#ifdef CONFIG_PIN_BPF
	p->pinned = !p->reduced[0];
#endif
	if (!attach_all(p)) {
		snprintf(err, errlen, "none of the BPF probes could be "
			 "attached (see the warnings above)");
		goto out_destroy;
	}
#ifdef CONFIG_PIN_BPF
	if (p->pinned)
		et_pin_links(p->links, p->names, p->nprogs);
#endif
	p->rb = ring_buffer__new(bpf_map__fd(p->events), on_sample, p, NULL);
	if (!p->rb) {
		snprintf(err, errlen, "cannot map the BPF ring buffer: %s",
			 strerror(errno));
		goto out_destroy;
	}
	return p;
out_destroy:
	for (int i = 0; i < p->nprogs; i++)
		bpf_link__destroy(p->links[i]);
	destroy_object(p);
out_free:
	free(p->percpu);
	free(p);
	return NULL;
}

int et_probes_epoll_fd(struct et_probes *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

int et_probes_consume(struct et_probes *p)
{
	return ring_buffer__consume(p->rb);
}

/* Sum the per-CPU u64 counters of @fd, @n keys, into @out. */
static int sum_percpu(struct et_probes *p, int fd, uint32_t n, uint64_t *out)
{
	for (uint32_t key = 0; key < n; key++) {
		out[key] = 0;
		if (bpf_map_lookup_elem(fd, &key, p->percpu))
			continue;
		for (int cpu = 0; cpu < p->ncpu; cpu++)
			out[key] += p->percpu[cpu];
	}
	return 0;
}

int et_probes_drops(struct et_probes *p, uint64_t *drops)
{
	return sum_percpu(p, bpf_map__fd(p->drops), ET_DROP_NR, drops);
}

int et_probes_stats(struct et_probes *p, uint64_t *stats)
{
	return sum_percpu(p, bpf_map__fd(p->stats), ET_STAT_NR, stats);
}

/* The kernel's own accounting of a map's memory: "memlock" in fdinfo. */
static uint64_t map_memlock(int fd)
{
	char path[64], line[128];
	uint64_t bytes = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %" SCNu64, &bytes) == 1)
			break;
	fclose(f);
	return bytes;
}

void et_probes_memory(struct et_probes *p, struct et_bpf_memory *m)
{
	struct bpf_map *map;
	struct ring *ring = ring_buffer__ring(p->rb, 0);

	memset(m, 0, sizeof(*m));
	bpf_object__for_each_map(map, p->obj) {
		m->maps += map_memlock(bpf_map__fd(map));
		m->nmaps++;
	}
	m->ring_size = ring ? ring__size(ring) : 0;
	m->ring_used = ring ? ring__avail_data_size(ring) : 0;
}

void et_probes_close(struct et_probes *p)
{
	if (!p)
		return;
	ring_buffer__free(p->rb);
	for (int i = 0; i < p->nprogs; i++) {
		if (p->links[i] && p->pinned)	/* keep it attached */
			bpf_link__disconnect(p->links[i]);
		bpf_link__destroy(p->links[i]);
	}
	destroy_object(p);
	free(p->percpu);
	free(p);
}
