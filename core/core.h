/* SPDX-License-Identifier: GPL-2.0 */
/*
 * core.h - what the files of core/ share: the commands, the probe loader,
 * event conversion and output. Internal to the agent binary.
 */
#ifndef EDGETRACE_CORE_H
#define EDGETRACE_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "storage.h"
#include "output_io.h"

#define ET_DEFAULT_SPOOL	"/var/lib/edgetrace/spool"

/* Exit codes of every command. */
enum {
	ET_EXIT_OK = 0,
	ET_EXIT_ERROR = 1,	/* a runtime failure, reported on stderr */
	ET_EXIT_USAGE = 2,	/* bad command line */
	ET_EXIT_MISSING = 3,	/* import: records did not arrive (listed) */
};

/* Commands: argv[0] is the command's name. */
int et_cmd_run(int argc, char **argv);
int et_cmd_query(int argc, char **argv);
int et_cmd_status(int argc, char **argv);
int et_cmd_export(int argc, char **argv);
int et_cmd_import(int argc, char **argv);

#ifdef CONFIG_UPLINK_SEAL
/* Sealed batches (sealed.c; uplink/seal.h, docs/sealed-format.md). */
int et_cmd_keygen(int argc, char **argv);
int et_cmd_decode(int argc, char **argv);

/*
 * export --format sealed: records batched and sealed as they come, a
 * batch cut at @batch_records records or ET_SEALED_EXPORT_BYTES of
 * records, whichever comes first. et_sealed_out_new loads the keys and
 * reports what is wrong with them (then NULL); add and flush return -1
 * when sealing or the write failed.
 */
#define ET_SEALED_EXPORT_BYTES	(1024 * 1024)
#define ET_SEALED_EXPORT_RECORDS 4096	/* default --batch-records */
struct et_sealed_out;
struct et_sealed_out *et_sealed_out_new(const char *fleet_pub,
					const char *device_key,
					const char *device_id,
					uint32_t batch_records);
int et_sealed_out_add(struct et_sealed_out *so, uint64_t seq,
		      const uint8_t *rec, size_t len, FILE *f);
int et_sealed_out_flush(struct et_sealed_out *so, FILE *f);
/* "sealed N records in N batches ..." on stderr. */
void et_sealed_out_report(const struct et_sealed_out *so);
void et_sealed_out_free(struct et_sealed_out *so);
#endif

/* A capture file to read ("-": stdin), or NULL after saying why. */
FILE *et_capture_open(const char *path);
void et_capture_close(FILE *f);

/*
 * Arrival order is time order only to within milliseconds across CPUs: a
 * time range starts reading this much before its start (et_seek_since)
 * and stops this much after its end, checking each record's time.
 */
#define ET_TIME_SLACK_NS	1000000000ull

/* The first seq worth reading for events at or after @since. */
int et_seek_since(struct et_spool *sp, uint64_t since, uint64_t *from);

/* A --since/--until time: RFC 3339, ns, or -30s/-15m/-2h/-1d from now. */
int et_parse_when(const char *cmd, const char *opt, const char *s,
		  uint64_t *ns);

/*
 * bpfobj.c: an embedded BPF object (its gzip bytes, @gz up to @end)
 * inflated for its skeleton's open (NULL and a message when it cannot be),
 * and freed once libbpf has opened it.
 */
const void *et_bpf_elf_bytes(const unsigned char *gz,
			     const unsigned char *end, size_t *sz);
void et_bpf_elf_free(void);

/* Print "edgetrace: " and the message to stderr. */
void et_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage error of @cmd: message, hint to --help, and ET_EXIT_USAGE. */
int et_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The usage error for what a command's getopt_long loop (optstring starting
 * with ':', opterr 0) returned @c for and does not take: a missing value
 * (':') or an unknown option. Returns ET_EXIT_USAGE.
 */
int et_getopt_error(const char *cmd, int c, char **argv);
/* The usage error for an argument @cmd does not take; ET_EXIT_USAGE. */
int et_stray_arg(const char *cmd, const char *arg);

/*
 * Armored export (armor.c; the line grammar is in docs/record-format.md,
 * "Armored export"). Each range of sequence numbers is sent as a BEGIN
 * line declaring it, a line per record, GONE lines for the seqs the
 * spool no longer has, and an END line. et_armor_record writes the GONE
 * line for the seqs it skips, et_armor_end for those left before the end.
 * Each returns -1 when the write failed.
 */
struct et_armor {
	FILE *f;
	uint64_t first, last;	/* the open range, as in its BEGIN line */
	uint64_t next;		/* the next seq to send or declare gone */
	uint64_t count;		/* records sent in the open range */
	uint64_t sections;	/* ranges begun */
	int open;
};

int et_armor_begin(struct et_armor *a, uint64_t first, uint64_t last);
int et_armor_record(struct et_armor *a, uint64_t seq, const uint8_t *rec,
		    size_t len);
int et_armor_end(struct et_armor *a);
/* A stream with nothing in it: "BEGIN 0 0" and "END 0 0 0". */
int et_armor_empty(FILE *f);

/*
 * A list of sequence numbers, "17,200-203": into sorted, merged ranges
 * in a malloc'ed array. -1 if it is not such a list (or out of memory).
 */
struct et_seq_range {
	uint64_t first, last;
};

int et_parse_seqs(const char *s, struct et_seq_range **v, size_t *n);

/*
 * Progress of a long export or import: one line on stderr, rewritten at
 * most four times a second, when stderr is a terminal that is not also
 * standard output (then it would be mixed into the output).
 */
struct et_progress {
	const char *verb;
	uint64_t next_ns;
	int on, shown;
};

void et_progress_start(struct et_progress *p, const char *verb);
void et_progress(struct et_progress *p, uint64_t records, uint64_t bytes);
/* Erase the line, so that what follows starts on a clean one. */
void et_progress_end(struct et_progress *p);

/* The spool options from Kconfig. */
void et_spool_defaults(struct et_spool_opts *o);

/* Probes (loader.c). */
struct et_probes;
typedef int (*et_event_fn)(void *ctx, void *data, size_t size);

struct et_watches;
struct et_kfilter;

struct et_probe_opts {
	const struct et_watches *watches;	/* file watches, or NULL */
	const struct et_kfilter *kfilter;	/* kernel-side filter, or NULL */
	int file_bytes;		/* count watched files' bytes (--file-bytes) */
	int socket_bytes;	/* UDP and unix sockets' too (--socket-bytes) */
	const char *btf;	/* the kernel's BTF from this file (--btf) */
};

struct et_probes *et_probes_open(et_event_fn fn, void *ctx,
				 const struct et_probe_opts *o, char *err,
				 size_t errlen);
int et_probes_epoll_fd(struct et_probes *p);
/* Consume what is in the ring; returns events handled or -errno. */
int et_probes_consume(struct et_probes *p);
/* Sum of the per-CPU drop counters, per cause (ET_DROP_NR entries). */
int et_probes_drops(struct et_probes *p, uint64_t *drops);
/* Sum of the per-CPU stats counters (ET_STAT_NR entries). */
int et_probes_stats(struct et_probes *p, uint64_t *stats);

struct et_bpf_memory {
	uint64_t maps;		/* bytes of all maps, as the kernel counts */
	uint32_t nmaps;
	uint64_t ring_size;	/* bytes of ring buffer data area */
	uint64_t ring_used;	/* bytes produced and not yet consumed */
};

void et_probes_memory(struct et_probes *p, struct et_bpf_memory *m);
/* Probe families compiled in ("exec fork ..."). */
const char *et_probes_names(void);
/*
 * Stop the probes (before the last drain, so the counts are final); with
 * CONFIG_PIN_BPF they stay, on purpose.
 */
void et_probes_detach(struct et_probes *p);
/* Read (@set 0) or write the drop counts already reported as gaps. */
int et_probes_reported(struct et_probes *p, uint64_t *drops, int set);

/*
 * Reduced mode (loader.c): NULL when the probes run with the kernel's
 * BTF; else why they run reduced ("no kernel BTF", "--btf none").
 */
const char *et_probes_reduced(struct et_probes *p);

/*
 * Reduced mode's tracepoint fields (reduced.c, CONFIG_REDUCED_MODE): the
 * offsets of every field bpf/reduced.bpf.c reads into @fields (the
 * object's et_r_fields[ET_R_NR]), from tracefs; the programs of @obj that
 * need a field this kernel lacks are left out (autoload off) and named in
 * @skips with the reason. Returns how many were left out.
 */
struct bpf_object;
struct et_r_loc;
struct et_reduced_skip {
	char prog[48];
	char why[160];
};

int et_reduced_fields(struct bpf_object *obj, struct et_r_loc *fields,
		      struct et_reduced_skip *skips, int max);
/* What reduced mode lacks, and the probe families it cannot run. */
const char *et_reduced_lacking(void);
const char *et_reduced_unavailable(void);

/* Pinning (pin.c, CONFIG_PIN_BPF). */
struct bpf_object;
struct bpf_link;
int et_pin_maps(struct bpf_object *obj, char *err, size_t errlen);
void et_pin_discard_maps(void);
void et_pin_links(struct bpf_link **links, const char **names, int n);
/* Names of the programs that are (@active) or are not attached. */
int et_probes_list(struct et_probes *p, char *buf, size_t len, int active);
void et_probes_close(struct et_probes *p);

/*
 * Event conversion (event.c): an event from the ring buffer into @r, whose
 * strings then point into @data or @scratch. -1 if the event is malformed.
 */
struct et_scratch {
	char tty[40];
	char path[4096], path2[4096];	/* normalised file paths */
};

/*
 * Remove "." and ".." components and repeated slashes from the absolute
 * path @in (@len bytes) lexically, into @out (at least @len + 1 bytes);
 * returns the new length. ".." at the root stays at the root.
 */
size_t et_path_normalize(const char *in, size_t len, char *out);


int et_event_to_record(const void *data, size_t size, uint64_t mono_to_real,
		       struct et_record *r, struct et_scratch *scratch);

/*
 * Enrichment (enrich.c): the process table and container ids. et_enrich
 * fills what @r lacks; its strings stay valid until the next call.
 * et_enrich_done after @r is stored (an exit removes the process).
 */
struct et_enricher;
struct et_enricher *et_enrich_new(char *err, size_t errlen);
void et_enrich_seed(struct et_enricher *e);
void et_enrich(struct et_enricher *e, struct et_record *r);
void et_enrich_done(struct et_enricher *e, const struct et_record *r);
void et_enrich_stats(struct et_enricher *e, uint32_t *used, uint32_t *cap,
		     uint64_t *evictions);
void et_enrich_free(struct et_enricher *e);

/* Status of the running agent (status.c). */
struct et_agent_status {
	uint64_t started, updated;	/* ns since the epoch */
	uint64_t rss_kib, peak_rss_kib;
	char active[2048], inactive[1024];
	/* reduced mode: why, what it lacks, the families not running */
	char reduced[256], lacking[384], unavailable[64];
	struct et_bpf_memory mem;
	uint64_t issued, recorded, malformed, gaps;
	uint64_t drops[8];
	uint32_t procs_used, procs_capacity;
	uint64_t procs_evicted;
};

int et_status_path(const char *spool, const char *ext, char *buf, size_t len);
int et_status_write(const char *spool, struct et_agent_status *s);
void et_status_remove(const char *spool);
int et_status_print(const char *spool, const char *ext, FILE *out);
int et_status_path_of(const char *spool, const char *who, const char *ext,
		      char *buf, size_t len);
int et_status_print_of(const char *spool, const char *who, const char *ext,
		       FILE *out);
/* `edgetrace uplink` (core/uplink_cmd.c, CONFIG_UPLINK_HTTPS) */
int et_cmd_uplink(int argc, char **argv);

/* Output (output.c). */
void et_print_json(FILE *f, const struct et_record *r);
void et_print_table_header(FILE *f);
void et_print_table(FILE *f, const struct et_record *r);
void et_json_string(FILE *f, const char *s, size_t len);
/* "ring_full", "scratch", "inflight": the names of enum et_drop_cause. */
const char *et_drop_cause_name(unsigned int cause);

#endif /* EDGETRACE_CORE_H */
