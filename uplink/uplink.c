// SPDX-License-Identifier: GPL-2.0
/*
 * uplink.c - the uplink's loop: batches from the spool's "uplink" cursor,
 * sealed and posted one at a time (uplink.h; docs/uplink-protocol.md is
 * the contract, docs/uplink.md the user's side). CONFIG_UPLINK_HTTPS.
 *
 * State. Next to its cursor the uplink keeps one value in the spool,
 * "state.uplink" (et_spool_state_set): the batch seq last used and, while
 * a batch is in flight, the spool range it covers, plus the bytes sent
 * in the current UTC day for the quota. A new batch's number and range are
 * committed before it is first sent; the acknowledgement moves the cursor
 * past the range and clears the range in one transaction. After a restart
 * an in-flight batch is re-cut from exactly its range (records evicted
 * meanwhile left out) and sent under the same number, so the collector
 * answers "duplicate" if it had stored it. A number is never reused.
 *
 * Cutting. A batch holds the records from the cursor on, up to
 * batch_kib KiB of payload (records and their varints), and is cut when
 * that much is waiting or when the oldest waiting record has waited
 * batch_age_s (measured from when this process first saw it). Alerts
 * first: the spool has no alert record type yet, so there is nothing to
 * put in front; when rules raise alerts they will be cut into their own
 * batches before the cursor's (docs/uplink.md).
 *
 * Retries. 200 acknowledges (stored or duplicate); 400 and 413 skip the
 * batch (counted: resending cannot make it valid); anything else, a
 * broken connection or no answer within the timeout closes the connection
 * and waits a random time between 0 and min(cap, 2^failures s) (full
 * jitter), so a fleet that lost its collector does not come back in step.
 * No route to the collector is not a failure: the loop checks the route
 * each second and sends nothing, not even a SYN, until there is one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "le.h"
#include "seal.h"
#include "uplink.h"

#define STATE_VERSION	1
#define STATE_SIZE	48	/* version, batch, first, last, day, used */
#define POLL_MS		1000
#define QUOTA_POLL_MS	10000
#define DAY_S		86400

struct et_uplink {
	struct et_spool *sp;
	struct et_uplink_opts o;
	struct et_url url;
	struct et_seal_key *fleet, *device;
	struct et_sealer *sealer;
	struct et_https *https;
	struct et_https_io io;
	struct et_batch batch;
	int have_batch;		/* the in-flight batch is in @batch */
	const uint8_t *sealed;	/* sealed: valid until the next et_seal */
	size_t sealed_len;
	/* the persistent state */
	uint64_t batch_seq, first, last, day, used;
	unsigned int failures;	/* consecutive */
	uint64_t pending_since;	/* monotonic ns: first seen waiting */
	uint64_t last_status;
	unsigned int rnd;
	volatile int *stop;
	struct et_uplink_stats st;
};

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t today(void)
{
	return now_ns(CLOCK_REALTIME) / 1000000000ull / DAY_S;
}

static void set_state(struct et_uplink *u, const char *s)
{
	snprintf(u->st.state, sizeof(u->st.state), "%s", s);
}

/* Remember an error for status, and log it when it is news. */
static void error(struct et_uplink *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void error(struct et_uplink *u, const char *fmt, ...)
{
	char msg[sizeof(u->st.last_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(msg, u->st.last_error))
		fprintf(stderr, "edgetrace uplink: %s\n", msg);
	memcpy(u->st.last_error, msg, sizeof(msg));
	u->st.last_error_at = now_ns(CLOCK_REALTIME);
}

static void report(struct et_uplink *u, int force);

/* Sleep @ms, waking early on stop; status keeps being reported. */
static void nap(struct et_uplink *u, uint64_t ms)
{
	while (ms && !*u->stop) {
		uint64_t step = ms < 200 ? ms : 200;
		struct timespec d = { step / 1000, step % 1000 * 1000000L };

		nanosleep(&d, NULL);
		ms -= step;
		report(u, 0);
	}
}

static int load_state(struct et_uplink *u)
{
	uint8_t buf[ET_STATE_MAX];
	size_t len;

	if (et_spool_state_get(u->sp, ET_UPLINK_CURSOR, buf, sizeof(buf),
			       &len))
		return -1;
	if (!len)
		return 0;
	if (len < STATE_SIZE || get_le64(buf) != STATE_VERSION) {
		fprintf(stderr, "edgetrace uplink: the spool's uplink state "
			"is of another version: starting a new batch series "
			"would reuse batch numbers, so it is kept and nothing "
			"is sent; use the edgetrace that wrote it\n");
		return -1;
	}
	u->batch_seq = get_le64(buf + 8);
	u->first = get_le64(buf + 16);
	u->last = get_le64(buf + 24);
	u->day = get_le64(buf + 32);
	u->used = get_le64(buf + 40);
	return 0;
}

/* Write the state, moving the cursor to @cursor when it is not 0. */
static int save_state(struct et_uplink *u, uint64_t cursor)
{
	uint8_t buf[STATE_SIZE];

	put_le64(buf, STATE_VERSION);
	put_le64(buf + 8, u->batch_seq);
	put_le64(buf + 16, u->first);
	put_le64(buf + 24, u->last);
	put_le64(buf + 32, u->day);
	put_le64(buf + 40, u->used);
	if (et_spool_state_set(u->sp, ET_UPLINK_CURSOR, buf, sizeof(buf),
			       cursor ? ET_UPLINK_CURSOR : NULL, cursor)) {
		error(u, "%s", et_spool_error(u->sp));
		return -1;
	}
	return 0;
}

struct cut {
	struct et_uplink *u;
	uint64_t upto;		/* last seq wanted (re-cut), or 0 */
	size_t limit;		/* payload bytes */
	int full;
	int failed;
};

static int cut_one(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct cut *c = arg;
	struct et_batch *b = &c->u->batch;

	if (c->upto && seq > c->upto)
		return 1;
	/* two varints of at most 10 bytes each */
	if (!c->upto && b->count && b->len + len + 20 > c->limit) {
		c->full = 1;
		return 1;
	}
	if (et_batch_add(b, seq, rec, len)) {
		c->failed = errno;
		return -1;
	}
	return 0;
}

static uint64_t cursor_of(struct et_uplink *u)
{
	uint64_t c = 0;

	if (et_spool_cursor_get(u->sp, ET_UPLINK_CURSOR, &c))
		error(u, "%s", et_spool_error(u->sp));
	return c ? c : 1;
}

/*
 * Cut a new batch from the cursor: 1 if one is ready (and its number and
 * range committed), 0 if there is nothing to send yet, -1 on error.
 */
static int cut_new(struct et_uplink *u)
{
	struct cut c = { .u = u, .limit = (size_t)u->o.batch_kib << 10 };
	struct et_spool_stats ss;
	uint64_t from = cursor_of(u), now = now_ns(CLOCK_MONOTONIC);

	if (et_spool_stats(u->sp, &ss)) {
		error(u, "%s", et_spool_error(u->sp));
		return -1;
	}
	if (from < ss.first_seq)
		from = ss.first_seq;
	if (!ss.last_seq || ss.last_seq < from) {
		u->pending_since = 0;
		return 0;
	}
	if (!u->pending_since)
		u->pending_since = now;
	et_batch_clear(&u->batch);
	if (et_spool_foreach(u->sp, from, cut_one, &c) < 0 && !c.full) {
		error(u, "cannot cut a batch: %s", c.failed ?
		      strerror(c.failed) : et_spool_error(u->sp));
		return -1;
	}
	if (!u->batch.count)
		return 0;
	if (!c.full && now - u->pending_since <
	    (uint64_t)u->o.batch_age_s * 1000000000ull)
		return 0;
	u->batch_seq++;
	u->first = u->batch.first;
	u->last = u->batch.last;
	if (save_state(u, 0)) {
		u->batch_seq--;
		u->first = u->last = 0;
		return -1;
	}
	u->pending_since = 0;
	u->have_batch = 1;
	u->sealed = NULL;
	return 1;
}

/* Re-cut the in-flight batch from its range; 0 if nothing of it is left. */
static int recut(struct et_uplink *u)
{
	struct cut c = { .u = u, .upto = u->last };

	et_batch_clear(&u->batch);
	if (et_spool_foreach(u->sp, u->first, cut_one, &c) < 0) {
		error(u, "cannot re-cut batch %" PRIu64 ": %s", u->batch_seq,
		      c.failed ? strerror(c.failed) : et_spool_error(u->sp));
		return -1;
	}
	u->have_batch = u->batch.count > 0;
	u->sealed = NULL;
	return u->batch.count > 0;
}

/* The batch is done with (acknowledged or skipped): move past it. */
static int finish(struct et_uplink *u)
{
	uint64_t cursor = cursor_of(u), last = u->last, first = u->first;

	u->first = u->last = 0;
	if (save_state(u, last + 1)) {
		u->first = first;
		u->last = last;
		return -1;
	}
	if (last + 1 > cursor)
		u->st.records_lost += last + 1 - cursor - u->batch.count;
	u->st.records_sent += u->batch.count;
	u->have_batch = 0;
	u->sealed = NULL;
	et_batch_clear(&u->batch);
	return 0;
}

/* Full jitter: a random wait in [0, min(cap, 2^failures)) seconds. */
static void backoff(struct et_uplink *u)
{
	uint64_t cap = (uint64_t)u->o.backoff_max_s * 1000, ms;
	unsigned int f = u->failures < 30 ? u->failures : 30;

	ms = 1000ull << f;
	if (ms > cap)
		ms = cap;
	if (ms < 100)
		ms = 100;
	set_state(u, "backoff");
	nap(u, (uint64_t)rand_r(&u->rnd) % ms);
}

static int quota_left(struct et_uplink *u)
{
	uint64_t d = today();

	if (d != u->day) {
		u->day = d;
		u->used = 0;
	}
	u->st.quota_day = u->day;
	u->st.quota_used = u->used;
	return !u->o.quota || u->used + u->sealed_len <= u->o.quota;
}

/* One POST of the sealed batch, and what its answer means. */
static void send_batch(struct et_uplink *u)
{
	char hdrs[200], reply[256], err[256];
	uint64_t before = u->st.bytes_sent;
	int status, hs;

	snprintf(hdrs, sizeof(hdrs), "Edgetrace-Device: %s\r\n"
		 "Edgetrace-Batch: %" PRIu64 "\r\n",
		 et_sealer_device_id(u->sealer), u->batch_seq);
	set_state(u, "sending");
	u->st.attempts++;
	status = et_https_post(u->https, u->sealed, u->sealed_len, hdrs,
			       reply, sizeof(reply), &hs, err, sizeof(err));
	if (hs)
		u->st.connects++;
	if (hs == 2)
		u->st.resumptions++;
	u->used += u->st.bytes_sent - before;
	u->st.quota_used = u->used;
	if (status == 200) {
		if (!strncmp(reply, "duplicate", 9))
			u->st.batches_duplicate++;
		u->st.batches_sent++;
		u->failures = 0;
		finish(u);
		set_state(u, "idle");
		return;
	}
	if (status == 400 || status == 413) {
		error(u, "batch %" PRIu64 " (seqs %" PRIu64 "-%" PRIu64 ") "
		      "refused by the collector, skipped: %d %s", u->batch_seq,
		      u->first, u->last, status, reply);
		u->st.batches_refused++;
		u->failures = 0;
		finish(u);
		return;
	}
	u->st.failures++;
	if (status < 0)
		error(u, "batch %" PRIu64 ": %s", u->batch_seq, err);
	else
		error(u, "batch %" PRIu64 ": the collector answered %d %s, "
		      "retrying", u->batch_seq, status, reply);
	et_https_close(u->https);
	u->failures++;
	backoff(u);
}

/* The age of the oldest record waiting, from its timestamp. */
static int oldest_ts(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	(void)seq;
	*(uint64_t *)arg = len >= ET_REC_HDR_SIZE ? get_le64(rec + 12) : 0;
	return 1;
}

static void report(struct et_uplink *u, int force)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC), from, ts = 0, real;
	struct et_spool_stats ss;

	if (!force && now - u->last_status < 1000000000ull)
		return;
	u->last_status = now;
	if (!et_spool_stats(u->sp, &ss)) {
		from = cursor_of(u);
		u->st.cursor = from;
		u->st.last_seq = ss.last_seq;
		if (from < ss.first_seq)
			from = ss.first_seq;
		u->st.lag_records = ss.last_seq >= from && ss.last_seq ?
				    ss.last_seq - from + 1 : 0;
		u->st.lag_seconds = 0;
		if (u->st.lag_records &&
		    et_spool_foreach(u->sp, from, oldest_ts, &ts) > 0) {
			real = now_ns(CLOCK_REALTIME);
			u->st.lag_seconds = real > ts ?
					    (real - ts) / 1000000000ull : 0;
		}
	}
	u->st.next_batch = u->batch_seq + 1;
	u->st.inflight_batch = u->first ? u->batch_seq : 0;
	u->st.inflight_first = u->first;
	u->st.inflight_last = u->last;
	if (u->o.on_status)
		u->o.on_status(&u->st, u->o.arg);
}

int et_uplink_run(struct et_uplink *u, volatile int *stop)
{
	char err[256];
	int rc, routed = 1;

	u->stop = stop;
	u->io.stop = stop;
	report(u, 1);
	while (!*stop) {
		report(u, 0);
		if (!u->first) {
			rc = cut_new(u);
			if (rc <= 0) {
				set_state(u, "idle");
				nap(u, POLL_MS);
				continue;
			}
		} else if (!u->have_batch) {
			rc = recut(u);
			if (rc < 0) {
				nap(u, POLL_MS);
				continue;
			}
			if (!rc) {	/* all of it evicted meanwhile */
				finish(u);
				continue;
			}
		}
		if (!u->sealed &&
		    et_seal(u->sealer, u->batch_seq, &u->batch, &u->sealed,
			    &u->sealed_len, err, sizeof(err))) {
			error(u, "cannot seal batch %" PRIu64 ": %s",
			      u->batch_seq, err);
			u->sealed = NULL;
			nap(u, POLL_MS);
			continue;
		}
		if (!quota_left(u)) {
			if (strcmp(u->st.state, "quota"))
				error(u, "the daily quota (uplink-quota, %"
				      PRIu64 " bytes) is used up: waiting for "
				      "the next UTC day", u->o.quota);
			set_state(u, "quota");
			nap(u, QUOTA_POLL_MS);
			continue;
		}
		if (!et_https_route(u->https, err, sizeof(err))) {
			if (routed)
				error(u, "%s: not sending until there is one",
				      err);
			routed = 0;
			u->st.no_route_checks++;
			set_state(u, "no-route");
			et_https_close(u->https);
			nap(u, POLL_MS);
			continue;
		}
		routed = 1;
		send_batch(u);
	}
	report(u, 1);
	return 0;
}

struct et_uplink *et_uplink_new(struct et_spool *sp,
				const struct et_uplink_opts *o, char *err,
				size_t errlen)
{
	struct et_uplink *u = calloc(1, sizeof(*u));
	char kerr[256];
	unsigned int seed = 0;

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->sp = sp;
	u->o = *o;
	et_batch_init(&u->batch);
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (unsigned int)now_ns(CLOCK_REALTIME) ^ getpid();
	u->rnd = seed;
	u->st.started = now_ns(CLOCK_REALTIME);
	set_state(u, "starting");
	if (et_url_parse(o->url, &u->url, err, errlen))
		goto out;
	u->fleet = et_seal_key_load("fleet-pub", o->fleet_pub, ET_KEY_PUBLIC,
				    err, errlen);
	if (!u->fleet)
		goto out;
	u->device = et_seal_key_load("device-key", o->device_key,
				     ET_KEY_PRIVATE, err, errlen);
	if (!u->device)
		goto out;
	u->sealer = et_sealer_new(u->fleet, u->device, o->device_id, 0, kerr,
				  sizeof(kerr));
	if (!u->sealer) {
		snprintf(err, errlen, "device-id: %s", kerr);
		goto out;
	}
	u->io.rate = o->rate;
	u->io.bytes_sent = &u->st.bytes_sent;
	u->io.bytes_received = &u->st.bytes_received;
	u->https = et_https_new(&u->url, o->ca, o->cert,
				o->key ? o->key : o->device_key, &u->io, err,
				errlen);
	if (!u->https)
		goto out;
	if (load_state(u)) {
		snprintf(err, errlen, "cannot read the uplink's state in the "
			 "spool: %s", et_spool_error(sp));
		goto out;
	}
	return u;
out:
	et_uplink_free(u);
	return NULL;
}

const struct et_uplink_stats *et_uplink_stats(const struct et_uplink *u)
{
	return &u->st;
}

void et_uplink_free(struct et_uplink *u)
{
	if (!u)
		return;
	et_https_free(u->https);
	et_sealer_free(u->sealer);
	et_seal_key_free(u->device);
	et_seal_key_free(u->fleet);
	et_batch_free(&u->batch);
	free(u);
}
