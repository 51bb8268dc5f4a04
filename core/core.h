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

#define ET_DEFAULT_SPOOL	"/var/lib/edgetrace/spool"

/* Exit codes of every command. */
enum {
	ET_EXIT_OK = 0,
	ET_EXIT_ERROR = 1,	/* a runtime failure, reported on stderr */
	ET_EXIT_USAGE = 2,	/* bad command line */
};

/* Commands: argv[0] is the command's name. */
int et_cmd_run(int argc, char **argv);
int et_cmd_query(int argc, char **argv);
int et_cmd_status(int argc, char **argv);

/* Print "edgetrace: " and the message to stderr. */
void et_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage error of @cmd: message, hint to --help, and ET_EXIT_USAGE. */
int et_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The spool options from Kconfig. */
void et_spool_defaults(struct et_spool_opts *o);

/* Probes (loader.c). */
struct et_probes;
typedef int (*et_event_fn)(void *ctx, void *data, size_t size);

struct et_probes *et_probes_open(et_event_fn fn, void *ctx, char *err,
				 size_t errlen);
int et_probes_epoll_fd(struct et_probes *p);
/* Consume what is in the ring; returns events handled or -errno. */
int et_probes_consume(struct et_probes *p);
/* Sum of the per-CPU drop counters, per cause (ET_DROP_NR entries). */
int et_probes_drops(struct et_probes *p, uint64_t *drops);
/* Probe families compiled in ("exec fork ..."). */
const char *et_probes_names(void);
/* Names of the programs that are (@active) or are not attached. */
int et_probes_list(struct et_probes *p, char *buf, size_t len, int active);
void et_probes_close(struct et_probes *p);

/*
 * Event conversion (event.c): an event from the ring buffer into @r, whose
 * strings then point into @data or @scratch. -1 if the event is malformed.
 */
struct et_scratch {
	char tty[40];
};

int et_event_to_record(const void *data, size_t size, uint64_t mono_to_real,
		       struct et_record *r, struct et_scratch *scratch);

/* Output (output.c). */
void et_print_json(FILE *f, const struct et_record *r);
void et_print_table_header(FILE *f);
void et_print_table(FILE *f, const struct et_record *r);
void et_json_string(FILE *f, const char *s, size_t len);

#endif /* EDGETRACE_CORE_H */
