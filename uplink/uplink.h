/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uplink.h - the uplink: batches cut from the spool's "uplink" cursor,
 * sealed (seal.h) and posted over HTTPS with mutual TLS to the fleet
 * collector, one at a time, as docs/uplink-protocol.md says
 * (CONFIG_UPLINK_HTTPS). The device side of that contract.
 *
 * It runs as its own process (`edgetrace uplink`, core/uplink_cmd.c) with
 * its own handle on the spool's LMDB environment: the agent appends, the
 * uplink reads and moves its cursor, LMDB's writer lock orders the two.
 * One loop, no threads, blocking sockets with timeouts:
 *
 *   cut (or re-cut the in-flight batch) -> quota? -> route? -> connect
 *   (TLS, resumed when it can) -> POST -> 200: acknowledge (cursor and
 *   in-flight batch in one transaction); 400/413: skip it, count it;
 *   503, other, no answer: back off (full jitter, capped) and retry.
 *
 * Errors: et_uplink_new() returns NULL with a sentence naming the setting
 * at fault in @err (a missing key file, a key of the wrong kind, a
 * malformed URL); a collector that cannot be reached is not an error: the
 * loop keeps retrying and says why in its status.
 */
#ifndef EDGETRACE_UPLINK_H
#define EDGETRACE_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include "storage.h"

#define ET_UPLINK_CURSOR	"uplink"	/* its cursor and state name */

struct et_uplink_stats;

struct et_uplink_opts {
	/* the settings of the same names (docs/configuration.md) */
	const char *url;		/* uplink-url: https://HOST[:PORT]/PATH */
	const char *ca;			/* uplink-ca: the fleet CA (PEM) */
	const char *cert;		/* uplink-cert: the device's */
	const char *key;		/* uplink-key (NULL: device-key) */
	const char *fleet_pub;		/* fleet-pub */
	const char *device_key;		/* device-key: signs the batches */
	const char *device_id;		/* device-id (NULL: the key's id) */
	uint64_t rate;			/* uplink-rate: bytes/s, 0: no cap */
	uint64_t quota;			/* uplink-quota: bytes a day, 0: none */
	unsigned int batch_kib;		/* KiB of records in a batch at most */
	unsigned int batch_age_s;	/* send a smaller batch after this */
	unsigned int backoff_max_s;	/* cap of the retry delay */
	/* called about once a second with the figures */
	void (*on_status)(const struct et_uplink_stats *st, void *arg);
	void *arg;
};

struct et_uplink_stats {
	uint64_t started;		/* ns since the epoch */
	uint64_t cursor;		/* the next seq to send */
	uint64_t last_seq;		/* the spool's newest record */
	uint64_t lag_records;		/* records stored and not acknowledged */
	uint64_t lag_seconds;		/* age of the oldest of them */
	uint64_t bytes_sent;		/* TCP payload bytes written, TLS included */
	uint64_t bytes_received;
	uint64_t batches_sent;		/* acknowledged (stored or duplicate) */
	uint64_t batches_duplicate;	/* of which "duplicate" */
	uint64_t batches_refused;	/* 400/413: skipped */
	uint64_t records_sent;
	uint64_t records_lost;		/* evicted before they were sent */
	uint64_t attempts, failures;	/* posts tried, posts not answered 2xx/4xx */
	uint64_t connects;		/* TLS handshakes, full or resumed */
	uint64_t resumptions;		/* of which offered a saved session */
	uint64_t no_route_checks;	/* times no route was found */
	uint64_t quota_day, quota_used;	/* UTC day number, bytes sent in it */
	uint64_t next_batch;		/* the batch seq the next new batch gets */
	uint64_t inflight_batch, inflight_first, inflight_last;
	char state[32];			/* idle, sending, no-route, backoff, quota */
	char last_error[256];
	uint64_t last_error_at;		/* ns since the epoch */
};

struct et_uplink;

/* Load the keys and certificates, check the URL. The spool stays @sp's. */
struct et_uplink *et_uplink_new(struct et_spool *sp,
				const struct et_uplink_opts *o, char *err,
				size_t errlen);
/* The loop, until *@stop becomes non-zero (a signal handler sets it). */
int et_uplink_run(struct et_uplink *u, volatile int *stop);
const struct et_uplink_stats *et_uplink_stats(const struct et_uplink *u);
void et_uplink_free(struct et_uplink *u);

/* -------------------------------------------- HTTPS (uplink/https.c) */

struct et_url {
	char host[256];
	char port[8];
	char path[512];
	char hostport[270];		/* for the Host header */
};

/* Parse https://HOST[:PORT][/PATH]; -1 with a reason in @err. */
int et_url_parse(const char *url, struct et_url *u, char *err, size_t errlen);

struct et_https;

struct et_https_io {
	/* bytes/s on the wire (0: no cap); tokens wait in the send path */
	uint64_t rate;
	uint64_t *bytes_sent, *bytes_received;
	volatile int *stop;
};

/*
 * A client for @url: the CA, client certificate and key files (messages
 * name them by their settings, uplink-ca, uplink-cert, uplink-key; the
 * key must be the certificate's). Nothing is connected yet.
 */
struct et_https *et_https_new(const struct et_url *url, const char *ca,
			      const char *cert, const char *key,
			      struct et_https_io *io, char *err,
			      size_t errlen);

/*
 * Whether the kernel has a route to the collector: resolve the host and
 * connect() a UDP socket to it, which sends nothing. 1: a route, 0: no
 * route (ENETUNREACH, EHOSTUNREACH, or the name does not resolve), with
 * the reason in @err.
 */
int et_https_route(struct et_https *h, char *err, size_t errlen);

/*
 * POST @len bytes of @body with the extra header lines @hdrs (each ending
 * in \r\n) on the open connection, or a new one (TLS resumed with the
 * last session when it can). Returns the HTTP status and the body's first
 * line in @reply, or -1 with the reason in @err (the connection is then
 * closed). *@handshake: 0 none, 1 full, 2 resumed.
 */
int et_https_post(struct et_https *h, const uint8_t *body, size_t len,
		  const char *hdrs, char *reply, size_t replylen,
		  int *handshake, char *err, size_t errlen);
void et_https_close(struct et_https *h);
void et_https_free(struct et_https *h);

#endif /* EDGETRACE_UPLINK_H */
