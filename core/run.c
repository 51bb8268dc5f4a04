// SPDX-License-Identifier: GPL-2.0
/*
 * run.c - `edgetrace run`: the agent.
 *
 * One event loop, no threads: epoll over the BPF ring buffer, a signalfd
 * for SIGINT/SIGTERM and a timerfd that drives group commits and syncs.
 * Each event from the ring is converted to a record, queued for the spool
 * (committed every CONFIG_SPOOL_COMMIT_EVENTS records or
 * CONFIG_SPOOL_COMMIT_MS) and, with --json, printed as a JSON line.
 *
 * Drops: the probes count what they could not send, per cause and CPU. At
 * every tick the agent sums the counters and, when one grew, writes a gap
 * record with the number lost and the cause, so the spool says where and
 * how much is missing.
 *
 * On SIGINT/SIGTERM the ring is drained, the last group committed and the
 * spool synced before exit, so a clean stop loses nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core.h"
#include "edgetrace.h"
#include "filter.h"
#include "watch.h"

static const char run_usage[] =
"usage: edgetrace run [--config FILE] [--spool DIR] [--filter EXPR]\n"
"                     [--watch EVENTS=PATH]... [--file-bytes] [--socket-bytes]\n"
"                     [--json] [--replay FILE]\n"
"\n"
"Load the probes and record events into the spool until SIGINT or SIGTERM.\n"
"With --replay, record the events of a capture file instead (no probes).\n"
"\n"
"  --config FILE  read settings from FILE: lines 'NAME = VALUE', NAME one\n"
"                 of the long options below (spool, filter, watch, btf,\n"
"                 json, file-bytes, socket-bytes; yes or no for flags);\n"
"                 the command line wins, and any --watch there replaces\n"
"                 the file's watches\n"
"  --spool DIR    spool directory, created if missing (default " ET_DEFAULT_SPOOL ")\n"
"  --filter EXPR  record (and print) only the events that match EXPR, in\n"
"                 the language of 'edgetrace query --help'; gap records\n"
"                 are always kept\n"
#ifdef CONFIG_PROBE_FILE
"  --watch EVENTS=PATH\n"
"                 report the file events EVENTS (a comma list of all,\n"
"                 create, mkdir, mknod, delete, rmdir, rename, attrib,\n"
"                 symlink, link, open, write) for PATH and everything\n"
"                 below it; repeatable; a deeper watch's events replace\n"
"                 its parent's for its subtree. Without --watch: every\n"
"                 event but open, everywhere\n"
"  --file-bytes   count the bytes read and written of each file opened\n"
"                 under a --watch, reported when it is closed (a close\n"
"                 event); this hooks every read, write and close\n"
#endif
#ifdef CONFIG_PROBE_NET
"  --socket-bytes count UDP and unix sockets' bytes and report their end\n"
"                 (sock_close); TCP connections' are always reported,\n"
"                 from the kernel's own totals. This hooks every send,\n"
"                 receive and close\n"
#endif
"  --btf FILE     relocate the probes against the kernel BTF in FILE (made\n"
"                 by 'make btf') instead of /sys/kernel/btf/vmlinux; the\n"
"                 default for a kernel without it: " CONFIG_BTF_FILE "\n"
#ifdef CONFIG_REDUCED_MODE
"  --btf none     run in reduced mode: exec, fork and exit from tracepoint\n"
"                 fields only, without any BTF (what a kernel without BTF\n"
"                 and without a BTF file gets anyway; a file named none\n"
"                 is ./none)\n"
#endif
"  --json         also print each event as a JSON line on stdout\n"
"  --replay FILE  read events from a capture file (export --format raw),\n"
"                 - for standard input, into the spool, then exit; the\n"
"                 records get the spool's next sequence numbers\n"
"  -h, --help     show this help\n"
"\n"
"A line on stderr says when capture has started; at exit a summary line\n"
"gives the events recorded and dropped.\n";

#define STATUS_MS	1000
#define REPLAY_SYNC_EVERY	65536	/* records between syncs in --replay */

struct agent {
	struct et_spool *spool;
	struct et_probes *probes;
	struct et_enricher *enrich;
	struct et_filter *filter;
	uint64_t filtered;
	struct et_watches watches;
	const char *spool_dir;
	uint64_t mono_to_real;	/* add to CLOCK_MONOTONIC ns for UTC ns */
	int json;
	uint64_t events;
	uint64_t bad_events;
	uint64_t gaps;
	uint64_t drops_seen[ET_DROP_NR];
	int gaps_unreported;	/* gap records not yet in the reported map */
	uint64_t last_sync;	/* monotonic ns */
	uint64_t last_status;	/* monotonic ns */
	struct et_agent_status status;
	int failed;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Queue a record for the spool and show it with --json. */
static int store(struct agent *a, struct et_record *r, const uint8_t *buf,
		 size_t len)
{
	if (et_spool_append(a->spool, buf, len, &r->seq)) {
		et_err("%s", et_spool_error(a->spool));
		a->failed = 1;
		return -1;
	}
	if (a->json)
		et_print_json(stdout, r);
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;
	uint8_t buf[ET_REC_MAX_SIZE];
	struct et_scratch scratch;
	struct et_record r;
	size_t len;

	if (et_event_to_record(data, size, a->mono_to_real, &r, &scratch)) {
		a->bad_events++;
		return 0;
	}
	if (et_watch_classes(&r) && !et_watches_want(&a->watches, &r)) {
		a->filtered++;
		return 0;
	}
	et_enrich(a->enrich, &r);
	if (a->filter && !et_filter_match(a->filter, &r)) {
		et_enrich_done(a->enrich, &r);
		a->filtered++;
		return 0;
	}
	len = et_record_encode(&r, buf, sizeof(buf));
	if (!len) {
		a->bad_events++;
		return 0;
	}
	if (store(a, &r, buf, len))
		return -EIO;
	et_enrich_done(a->enrich, &r);
	a->events++;
	return 0;
}

/* When a drop counter grew, write a gap record for what was lost. */
static int write_gaps(struct agent *a)
{
	uint64_t drops[ET_DROP_NR];
	uint8_t buf[64];

	if (et_probes_drops(a->probes, drops))
		return 0;
	for (int c = 0; c < ET_DROP_NR; c++) {
		struct et_record r = { .type = ET_REC_GAP };
		size_t len;

		if (drops[c] <= a->drops_seen[c])
			continue;
		r.ts = clock_ns(CLOCK_REALTIME);
		r.lost = drops[c] - a->drops_seen[c];
		r.cause = c;
		et_record_set(&r, ET_F_LOST);
		et_record_set(&r, ET_F_CAUSE);
		len = et_record_encode(&r, buf, sizeof(buf));
		if (!len || store(a, &r, buf, len))
			return -1;
		a->drops_seen[c] = drops[c];
		a->gaps++;
		a->gaps_unreported = 1;
	}
	return 0;
}

static void update_status(struct agent *a)
{
	struct et_agent_status *s = &a->status;
	uint64_t stats[ET_STAT_NR] = { 0 };

	et_probes_stats(a->probes, stats);
	et_probes_memory(a->probes, &s->mem);
	s->updated = clock_ns(CLOCK_REALTIME);
	s->issued = stats[ET_STAT_ISSUED];
	s->recorded = a->events;
	s->malformed = a->bad_events;
	s->gaps = a->gaps;
	for (int i = 0; i < ET_DROP_NR; i++)
		s->drops[i] = a->drops_seen[i];
	et_enrich_stats(a->enrich, &s->procs_used, &s->procs_capacity,
			&s->procs_evicted);
	et_status_write(a->spool_dir, s);
}

/* Timer tick: commit the group, and sync when the interval is up. */
static int tick(struct agent *a)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	/* the probes wake us only past a fill threshold: drain the rest */
	if (et_probes_consume(a->probes) < 0)
		return -1;
	if (write_gaps(a))
		return -1;
	if (et_spool_commit(a->spool))
		goto out_err;
	/* only what is committed counts as reported */
	if (a->gaps_unreported && !et_probes_reported(a->probes,
						      a->drops_seen, 1))
		a->gaps_unreported = 0;
	if (a->json)
		fflush(stdout);
	if (now - a->last_sync >= CONFIG_SPOOL_SYNC_MS * 1000000ull) {
		if (et_spool_sync(a->spool))
			goto out_err;
		a->last_sync = now;
	}
	if (now - a->last_status >= STATUS_MS * 1000000ull) {
		update_status(a);
		a->last_status = now;
	}
	return 0;
out_err:
	et_err("%s", et_spool_error(a->spool));
	return -1;
}

static int make_timer(void)
{
	struct itimerspec it = { 0 };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return -1;
	it.it_interval.tv_sec = CONFIG_SPOOL_COMMIT_MS / 1000;
	it.it_interval.tv_nsec = CONFIG_SPOOL_COMMIT_MS % 1000 * 1000000L;
	it.it_value = it.it_interval;
	if (timerfd_settime(fd, 0, &it, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int make_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int add_fd(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* The loop; returns when a signal arrives or something fails. */
static int loop(struct agent *a, int ep, int sfd, int tfd)
{
	int rbfd = et_probes_epoll_fd(a->probes);

	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			et_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			uint64_t x;

			if (fd == rbfd && et_probes_consume(a->probes) < 0)
				return -1;
			if (fd == tfd && read(tfd, &x, sizeof(x)) > 0 &&
			    tick(a))
				return -1;
			if (fd == sfd)
				return 0;
		}
	}
}

static void summary(struct agent *a)
{
	uint64_t drops[ET_DROP_NR] = { 0 }, total = 0;
	uint64_t stats[ET_STAT_NR] = { 0 };

	et_probes_drops(a->probes, drops);
	et_probes_stats(a->probes, stats);
	for (int i = 0; i < ET_DROP_NR; i++)
		total += drops[i];
	fprintf(stderr, "edgetrace: stopped: %" PRIu64 " events recorded, %"
		PRIu64 " dropped (ring full %" PRIu64 ", scratch %" PRIu64
		", inflight %" PRIu64 "), %" PRIu64 " issued, %" PRIu64
		" malformed, %" PRIu64 " gap records, %" PRIu64 " filtered out\n",
		a->events, total, drops[ET_DROP_RINGBUF_FULL],
		drops[ET_DROP_SCRATCH], drops[ET_DROP_INFLIGHT],
		stats[ET_STAT_ISSUED], a->bad_events, a->gaps, a->filtered);
}

static int capture(struct agent *a, const char *spool_dir)
{
	int ep = -1, sfd = -1, tfd = -1, ret = -1;
	char list[2048];

	ep = epoll_create1(EPOLL_CLOEXEC);
	sfd = make_signalfd();
	tfd = make_timer();
	if (ep < 0 || sfd < 0 || tfd < 0) {
		et_err("cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	if (add_fd(ep, et_probes_epoll_fd(a->probes)) || add_fd(ep, sfd) ||
	    add_fd(ep, tfd)) {
		et_err("cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	et_probes_list(a->probes, list, sizeof(list), 1);
	fprintf(stderr, "edgetrace: capturing (probes: %s) into %s\n", list,
		spool_dir);
	et_enrich_seed(a->enrich);	/* the ring holds what comes meanwhile */
	update_status(a);
	ret = loop(a, ep, sfd, tfd);
	et_probes_detach(a->probes);	/* nothing new after the drain */
	if (et_probes_consume(a->probes) < 0)	/* drain what is left */
		ret = -1;
	if (write_gaps(a))
		ret = -1;
out:
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	if (ep >= 0)
		close(ep);
	return ret;
}

static int replay_one(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct agent *a = arg;
	struct et_record r = { .seq = seq };
	enum et_decode_status st = et_record_decode(rec, len, &r);

	if (st) {
		et_err("capture record %" PRIu64 ": %s", seq,
		       et_decode_strerror(st));
		a->bad_events++;
		return st == ET_DEC_MAJOR;
	}
	if (r.type != ET_REC_GAP && a->filter &&
	    !et_filter_match(a->filter, &r)) {
		a->filtered++;
		return 0;
	}
	if (store(a, &r, rec, len))
		return -1;
	/* as the agent's sync tick does: flush, and unmap the spool's pages */
	if (!(++a->events % REPLAY_SYNC_EVERY) && et_spool_sync(a->spool)) {
		et_err("%s", et_spool_error(a->spool));
		return -1;
	}
	return 0;
}

/* run --replay: a capture file into the spool, as if it were captured. */
static int run_replay(struct agent *a, const char *path, const char *spool)
{
	FILE *f = et_capture_open(path);
	char err[256];
	int rc;

	if (!f)
		return ET_EXIT_ERROR;
	rc = et_capture_read(f, replay_one, a, err, sizeof(err));
	et_capture_close(f);
	if (rc < 0 && !a->failed)
		et_err("%s: %s", path, err);
	fprintf(stderr, "edgetrace: replayed %" PRIu64 " records into %s (%"
		PRIu64 " filtered out, %" PRIu64 " malformed)\n", a->events,
		spool, a->filtered, a->bad_events);
	return rc || a->failed || a->bad_events ? ET_EXIT_ERROR : ET_EXIT_OK;
}

/* Reduced mode, for `status`: why, what it lacks, what does not run. */
static void set_reduced_status(struct agent *a)
{
#ifdef CONFIG_REDUCED_MODE
	struct et_agent_status *s = &a->status;
	const char *why = et_probes_reduced(a->probes);

	if (!why)
		return;
	snprintf(s->reduced, sizeof(s->reduced), "%s", why);
	snprintf(s->lacking, sizeof(s->lacking), "%s", et_reduced_lacking());
	snprintf(s->unavailable, sizeof(s->unavailable), "%s",
		 et_reduced_unavailable());
#else
	(void)a;
#endif
}

/*
 * The maps are sized at build time, but per-CPU maps grow with the number
 * of CPUs: say so when this machine takes the total over the budget.
 */
static void check_budget(struct et_probes *p)
{
	struct et_bpf_memory m;

	et_probes_memory(p, &m);
	if (m.maps > (uint64_t)CONFIG_BPF_MAP_BUDGET_KIB * 1024)
		et_err("warning: the BPF maps take %" PRIu64 " KiB, over the "
		       "%d KiB budget (CONFIG_BPF_MAP_BUDGET_KIB) on this "
		       "machine's CPUs: lower RINGBUF_SIZE_KIB or "
		       "EXEC_ARGV_BYTES, or raise the budget", m.maps >> 10,
		       CONFIG_BPF_MAP_BUDGET_KIB);
}

struct run_opts {
	const char *spool, *filter, *replay, *config, *btf;
	int json, file_bytes, socket_bytes;	/* -1: not given */
	const char **watches;			/* --watch, in order */
	size_t n_watches;
};

/* @where: "" for the command line, "FILE:LINE: " for the config file */
static int add_watch(struct agent *a, const char *spec, const char *where)
{
	char err[256];

#ifndef CONFIG_PROBE_FILE
	(void)a; (void)err;
	return -et_usage_error("run", "%swatch '%s': this build has no file "
			       "probe (CONFIG_PROBE_FILE)", where, spec);
#else
	if (et_watches_add(&a->watches, spec, err, sizeof(err)))
		return -et_usage_error("run", "%sbad watch '%s': %s", where,
				       spec, err);
	return 0;
#endif
}

/* The flags, from the command line or else the config file. */
static int flag_of(int cli, int cfg)
{
	return cli >= 0 ? cli : cfg > 0;
}

/*
 * Settings from --config under the command line's: the command line wins,
 * and its --watch list, when it has one, replaces the file's.
 */
static int merge_config(struct run_opts *o, struct agent *a,
			struct et_config *c)
{
	char where[300];
	int rc;

	if (o->config && et_config_load(c, o->config, where, sizeof(where)))
		return -et_usage_error("run", "%s", where);
	if (!o->spool)
		o->spool = c->spool ? c->spool : ET_DEFAULT_SPOOL;
	if (!o->filter)
		o->filter = c->filter;
	if (!o->btf)
		o->btf = c->btf;
	o->json = flag_of(o->json, c->json);
	o->file_bytes = flag_of(o->file_bytes, c->file_bytes);
	o->socket_bytes = flag_of(o->socket_bytes, c->socket_bytes);
	for (size_t i = 0; i < o->n_watches; i++) {
		rc = add_watch(a, o->watches[i], "");
		if (rc)
			return rc;
	}
	for (size_t i = 0; !o->n_watches && i < c->n_watches; i++) {
		snprintf(where, sizeof(where), "%s:%u: ", c->path,
			 c->watch_lines[i]);
		rc = add_watch(a, c->watches[i], where);
		if (rc)
			return rc;
	}
	return 0;
}

/* What the merged settings need of this build and of each other. */
static int check_run_opts(struct run_opts *o, struct agent *a)
{
#ifndef CONFIG_PROBE_FILE
	if (o->file_bytes)
		return -et_usage_error("run", "file-bytes: this build has no "
				       "file probe (CONFIG_PROBE_FILE)");
#endif
#ifndef CONFIG_PROBE_NET
	if (o->socket_bytes)
		return -et_usage_error("run", "socket-bytes: this build has no "
				       "socket probe (CONFIG_PROBE_NET)");
#endif
	if (!*o->spool)
		return -et_usage_error("run", "--spool needs a directory");
	if (o->btf && !strcmp(o->btf, "none")) {
#ifndef CONFIG_REDUCED_MODE
		return -et_usage_error("run", "--btf none: this build has no "
				       "reduced mode (CONFIG_REDUCED_MODE)");
#endif
	} else if (o->btf && access(o->btf, R_OK)) {
		return -et_usage_error("run", "cannot read --btf %s: %s",
				       o->btf, strerror(errno));
	}
	if (o->file_bytes && !a->watches.n)
		return -et_usage_error("run", "--file-bytes counts the files "
				       "under a --watch: give at least one");
	if (!a->watches.n && et_watches_default(&a->watches))
		return -ET_EXIT_ERROR;
	return 0;
}

static int parse_run_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "btf", required_argument, NULL, 'T' },
		{ "spool", required_argument, NULL, 's' },
		{ "filter", required_argument, NULL, 'f' },
		{ "replay", required_argument, NULL, 'r' },
		{ "watch", required_argument, NULL, 'w' },
		{ "file-bytes", no_argument, NULL, 'b' },
		{ "socket-bytes", no_argument, NULL, 'B' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'T': o->btf = optarg; break;
		case 's': o->spool = optarg; break;
		case 'f': o->filter = optarg; break;
		case 'r': o->replay = optarg; break;
		case 'j': o->json = 1; break;
		case 'b': o->file_bytes = 1; break;
		case 'B': o->socket_bytes = 1; break;
		case 'w': o->watches[o->n_watches++] = optarg; break;
		case 'h': fputs(run_usage, stdout); return 1;
		default:
			return -et_getopt_error("run", c, argv);
		}
	}
	if (optind < argc)
		return -et_stray_arg("run", argv[optind]);
	return 0;
}

/* Command line, then --config, then what they need: 0, 1 (help) or -exit. */
static int run_settings(int argc, char **argv, struct run_opts *o,
			struct agent *a, struct et_config *cfg)
{
	int rc;

	o->watches = calloc(argc, sizeof(*o->watches));
	if (!o->watches) {
		et_err("out of memory");
		return -ET_EXIT_ERROR;
	}
	rc = parse_run_args(argc, argv, o);
	if (!rc)
		rc = merge_config(o, a, cfg);
	if (!rc)
		rc = check_run_opts(o, a);
	free(o->watches);
	o->watches = NULL;
	return rc;
}

int et_cmd_run(int argc, char **argv)
{
	struct run_opts o = { .json = -1, .file_bytes = -1,
			      .socket_bytes = -1 };
	struct et_config cfg = { .json = -1, .file_bytes = -1,
				 .socket_bytes = -1 };
	struct et_kfilter kf;
	struct et_probe_opts popts = { .kfilter = &kf };
	const char *spool_dir, *expr, *replay;
	struct et_filter_error ferr;
	struct et_spool_opts so;
	struct agent a = { 0 };
	char err[512];
	int rc, ret = ET_EXIT_ERROR;

	if (et_watches_init(&a.watches, ET_WATCHES_MAX)) {
		et_err("out of memory");
		return ET_EXIT_ERROR;
	}
	rc = run_settings(argc, argv, &o, &a, &cfg);
	if (rc) {
		et_config_free(&cfg);
		et_watches_free(&a.watches);
		return rc > 0 ? ET_EXIT_OK : -rc;
	}
	spool_dir = o.spool;
	expr = o.filter;
	replay = o.replay;
	a.json = o.json;
	popts.watches = &a.watches;
	popts.file_bytes = o.file_bytes;
	popts.socket_bytes = o.socket_bytes;
	popts.btf = o.btf;
	if (expr && !(a.filter = et_filter_parse(expr, &ferr))) {
		et_filter_print_error(stderr, expr, &ferr);
		et_watches_free(&a.watches);
		et_config_free(&cfg);
		return ET_EXIT_USAGE;	/* before the spool: nothing written */
	}
	et_spool_defaults(&so);
	a.spool = et_spool_open(spool_dir, &so, err, sizeof(err));
	if (!a.spool) {
		et_err("%s", err);
		et_filter_free(a.filter);
		et_watches_free(&a.watches);
		et_config_free(&cfg);
		return ET_EXIT_ERROR;
	}
	if (replay) {
		ret = run_replay(&a, replay, spool_dir);
		goto out_spool;
	}
	a.enrich = et_enrich_new(err, sizeof(err));
	if (!a.enrich) {
		et_err("%s", err);
		goto out_spool;
	}
	et_filter_kernel(a.filter, &kf);
	a.probes = et_probes_open(on_event, &a, &popts, err, sizeof(err));
	if (!a.probes) {
		et_err("%s", err);
		goto out_enrich;
	}
	check_budget(a.probes);
	a.mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	a.last_sync = a.last_status = clock_ns(CLOCK_MONOTONIC);
	a.spool_dir = spool_dir;
	a.status.started = clock_ns(CLOCK_REALTIME);
	et_probes_reported(a.probes, a.drops_seen, 0);
	et_probes_list(a.probes, a.status.active, sizeof(a.status.active), 1);
	et_probes_list(a.probes, a.status.inactive,
		       sizeof(a.status.inactive), 0);
	set_reduced_status(&a);
	if (!capture(&a, spool_dir) && !a.failed)
		ret = ET_EXIT_OK;
	summary(&a);
	if (!et_spool_commit(a.spool))
		et_probes_reported(a.probes, a.drops_seen, 1);
	et_status_remove(spool_dir);
	et_probes_close(a.probes);
out_enrich:
	et_enrich_free(a.enrich);
out_spool:
	if (et_spool_close(a.spool))
		ret = ET_EXIT_ERROR;
	et_filter_free(a.filter);
	et_watches_free(&a.watches);
	et_config_free(&cfg);
	fflush(stdout);
	return ret;
}
