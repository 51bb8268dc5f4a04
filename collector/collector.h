/* SPDX-License-Identifier: GPL-2.0 */
/*
 * collector.h - the fleet collector's internal interfaces (the collector/ sources).
 *
 * The collector receives sealed batches over HTTPS with mutual TLS
 * (docs/uplink-protocol.md), opens them with the fleet's private key
 * (uplink/seal.h), turns each record into the JSON line that
 * `edgetrace export --format jsonl` prints (core/output.c) and stores the
 * batch in its sinks: PostgreSQL (sink_pg.c) and NDJSON files per device
 * and day (sink_ndjson.c). It keeps no state of its own between requests:
 * whether a (device id, batch seq) pair was stored is decided by the
 * sinks, so several collectors can run behind a load balancer.
 *
 * One thread, one poll() loop (server.c): every socket is non-blocking and
 * a slow client never holds the others up; the work on a whole batch
 * (signature check, ECDH, decryption, the sinks' writes) runs to its end
 * before the loop goes on.
 */
#ifndef EDGETRACE_COLLECTOR_H
#define EDGETRACE_COLLECTOR_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "seal.h"

#define CO_NAME			"edgetrace-collector"
#define CO_MAX_BATCH_DEFAULT	(16u << 20)	/* 413 above this */

void co_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------- batches */

/* One record of a batch, as its JSON line in co_batch.json. */
struct co_rec {
	uint64_t seq, ts;
	char type[24];		/* "exec", "unknown-N" */
	size_t off, len;	/* the line in co_batch.json, newline included */
};

/* An opened batch, ready for the sinks. */
struct co_batch {
	struct et_seal_hdr h;
	char key_hex[2 * ET_SEAL_KEY_ID_SIZE + 1];	/* the device key id */
	size_t sealed_len;
	struct co_rec *recs;
	size_t nrecs, cap;
	char *json;		/* every record's line, one after the other */
	size_t json_len;
};

/* What the client certificate of a connection says. */
struct co_peer {
	char addr[64];		/* "192.0.2.1:5678" */
	char cn[ET_SEAL_DEVICE_ID_MAX + 1];	/* subject CN, "" when none */
	struct et_seal_key *key;	/* NULL: not a P-256 key */
	char key_err[200];		/* why key is NULL */
	char key_hex[2 * ET_SEAL_KEY_ID_SIZE + 1];
	const void *crt;		/* the mbedtls_x509_crt, for its SANs */
};

/*
 * Whether the client certificate names device @id: its subject CN, one of
 * its DNS subject alternative names, or its key id in hex (the agent's
 * default device id). server.c.
 */
int co_peer_names(const struct co_peer *p, const char *id);

enum co_status { CO_STORED, CO_DUPLICATE, CO_REFUSED, CO_UNAVAILABLE };

/* The answer to one POST. */
struct co_reply {
	int code;		/* HTTP status */
	char body[320];		/* one line, without the newline */
};

struct co_sinks;

/*
 * The sinks of the command line: PostgreSQL when @pg (a libpq conninfo),
 * NDJSON under @ndjson when set; at least one. NULL with @err on failure.
 */
struct co_sinks *co_sinks_open(const char *pg, const char *ndjson, char *err,
			       size_t errlen);
/*
 * Store @b in every sink, at most once per (device id, batch seq):
 * CO_STORED, CO_DUPLICATE or CO_UNAVAILABLE (with the reason in @err).
 */
enum co_status co_sinks_store(struct co_sinks *s, const struct co_batch *b,
			      char *err, size_t errlen);
void co_sinks_close(struct co_sinks *s);

/*
 * Check, open and store the sealed batch of @len bytes at @buf, sent by
 * @peer; the answer into @r. @fleet is the fleet's private key.
 */
void co_handle_batch(const struct et_seal_key *fleet, struct co_sinks *sinks,
		     const struct co_peer *peer, const uint8_t *buf,
		     size_t len, struct co_reply *r);

/* --------------------------------------------------------------- HTTP */

/*
 * The requests of one connection (http.c): the bytes read go in, what to
 * do comes out. No I/O: server.c reads into co_http_space(), reports the
 * bytes with co_http_filled() and calls co_http_next() until it says
 * CO_HTTP_MORE; tests/fuzz/fuzz_http.c does the same with arbitrary bytes.
 */
#define CO_HTTP_HDR_MAX		(16 * 1024)	/* request line and headers */

struct co_http {
	uint8_t *in;			/* read and not yet consumed */
	size_t len, cap;
	size_t hdr_len, body_len;	/* of the request being read */
	size_t scanned;			/* bytes searched for the header end */
	int have_hdr;			/* its header block was parsed */
	int keep_alive;			/* what the last request asked for */
	unsigned long long discard;	/* body bytes of a 413 still to drop */
	size_t max_batch;		/* a longer body gets 413 */
};

enum co_http_step {
	CO_HTTP_MORE,		/* read on */
	CO_HTTP_ANSWER,		/* answer code and text; close if told */
	CO_HTTP_CONTINUE,	/* send "100 Continue", then read on */
	CO_HTTP_BATCH,		/* a whole batch in body: handle it, answer,
				 * then co_http_done() */
};

struct co_http_req {
	int code;			/* CO_HTTP_ANSWER: the status */
	const char *text;		/* and the body's line */
	int close;			/* close the connection after answering */
	char log[160];			/* a line for the log, "" for none */
	const uint8_t *body;		/* CO_HTTP_BATCH: inside the buffer */
	size_t body_len;
};

void co_http_init(struct co_http *h, size_t max_batch);
void co_http_free(struct co_http *h);
/* Where to read to (@room bytes): NULL when out of memory. */
uint8_t *co_http_space(struct co_http *h, size_t *room);
void co_http_filled(struct co_http *h, size_t n);
enum co_http_step co_http_next(struct co_http *h, struct co_http_req *r);
/* The batch of the last CO_HTTP_BATCH is answered: drop it. */
void co_http_done(struct co_http *h);

/* ---------------------------------------------------------- the server */

struct co_server_opts {
	const char *listen;		/* ADDR:PORT */
	const char *cert, *key;		/* the server's certificate and key */
	const char *ca;			/* the fleet CA: client certificates */
	size_t max_batch;		/* bytes; 413 above */
	const struct et_seal_key *fleet;
	struct co_sinks *sinks;
};

struct co_server;

/*
 * Load the TLS files and listen: NULL with @err naming the option on
 * failure. Stops listening nowhere else: co_server_free().
 */
struct co_server *co_server_new(const struct co_server_opts *o, char *err,
				size_t errlen);
/*
 * Serve until *@stop becomes non-zero. @sigmask is the mask to wait with
 * (the caller blocks SIGTERM and SIGINT outside the wait, so that a signal
 * cannot be missed between a check of *@stop and the wait).
 */
int co_server_run(struct co_server *s, volatile sig_atomic_t *stop,
		  const sigset_t *sigmask);
void co_server_free(struct co_server *s);

/* ---------------------------------------------------------- the sinks */

struct co_pg;
struct co_pg *co_pg_open(const char *conninfo, char *err, size_t errlen);
/* 1 stored as new, 0 a duplicate, -1 unavailable (@err says why). */
int co_pg_store(struct co_pg *pg, const struct co_batch *b, char *err,
		size_t errlen);
void co_pg_close(struct co_pg *pg);

/* Check that @dir is a writable directory. */
int co_ndjson_check(const char *dir, char *err, size_t errlen);
/* Whether the batch's marker file exists: 1 yes, 0 no, -1 error. */
int co_ndjson_seen(const char *dir, const struct co_batch *b, char *err,
		   size_t errlen);
/* Append the batch's lines to DIR/DEVICE/DAY.ndjson and fsync them. */
int co_ndjson_write(const char *dir, const struct co_batch *b, char *err,
		    size_t errlen);
/* Create the batch's marker with O_EXCL: 0 made, 1 was there, -1 error. */
int co_ndjson_mark(const char *dir, const struct co_batch *b, char *err,
		   size_t errlen);

#endif /* EDGETRACE_COLLECTOR_H */
