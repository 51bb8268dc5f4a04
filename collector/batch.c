// SPDX-License-Identifier: GPL-2.0
/*
 * batch.c - one POSTed batch, from bytes to an answer: the checks of
 * docs/uplink-protocol.md before anything is opened (exactly one batch,
 * not an export, signed by the key of the client certificate, for a
 * device id the certificate names), et_seal_open() with the fleet's
 * private key and that one device key, the records turned into the JSON
 * lines of `export --format jsonl` (core/output.c, the agent's own code),
 * and the sinks. A batch that fails any check is refused whole, with one
 * log line, and nothing of it is written.
 *
 * The sinks decide "stored" or "duplicate": with PostgreSQL, its unique
 * key on (device id, batch seq), checked and inserted in one transaction;
 * the NDJSON files are written only after that transaction committed the
 * batch as new. With NDJSON alone, a marker file per batch, created with
 * O_EXCL after the lines are synced (docs/collector.md has the crash
 * windows of both).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "core.h"
#include "storage.h"

struct co_sinks {
	struct co_pg *pg;
	char *ndjson;
};

void co_log(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", CO_NAME, buf);
}

/* ------------------------------------------------------------- sinks */

struct co_sinks *co_sinks_open(const char *pg, const char *ndjson, char *err,
			       size_t errlen)
{
	struct co_sinks *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (ndjson) {
		if (co_ndjson_check(ndjson, err, errlen))
			goto out_free;
		s->ndjson = strdup(ndjson);
		if (!s->ndjson) {
			snprintf(err, errlen, "out of memory");
			goto out_free;
		}
	}
	if (pg) {
		s->pg = co_pg_open(pg, err, errlen);
		if (!s->pg)
			goto out_free;
	}
	return s;

out_free:
	free(s->ndjson);
	free(s);
	return NULL;
}

void co_sinks_close(struct co_sinks *s)
{
	if (!s)
		return;
	co_pg_close(s->pg);
	free(s->ndjson);
	free(s);
}

static enum co_status store_ndjson_only(struct co_sinks *s,
					const struct co_batch *b, char *err,
					size_t errlen)
{
	int ret;

	ret = co_ndjson_seen(s->ndjson, b, err, errlen);
	if (ret < 0)
		return CO_UNAVAILABLE;
	if (ret > 0)
		return CO_DUPLICATE;
	if (co_ndjson_write(s->ndjson, b, err, errlen))
		return CO_UNAVAILABLE;
	ret = co_ndjson_mark(s->ndjson, b, err, errlen);
	if (ret < 0)
		return CO_UNAVAILABLE;
	if (ret > 0) {
		/* another collector stored it while this one wrote it */
		co_log("batch %" PRIu64 " of device '%s' was stored by another "
		       "collector meanwhile: its lines are now twice in the "
		       "NDJSON files (docs/collector.md, \"Crash windows\")",
		       b->h.batch_seq, b->h.device_id);
		return CO_DUPLICATE;
	}
	return CO_STORED;
}

enum co_status co_sinks_store(struct co_sinks *s, const struct co_batch *b,
			      char *err, size_t errlen)
{
	int ret;

	if (!s->pg)
		return store_ndjson_only(s, b, err, errlen);
	ret = co_pg_store(s->pg, b, err, errlen);
	if (ret < 0)
		return CO_UNAVAILABLE;
	if (ret == 0)
		return CO_DUPLICATE;
	if (s->ndjson && co_ndjson_write(s->ndjson, b, err, errlen)) {
		co_log("batch %" PRIu64 " of device '%s' is stored in "
		       "PostgreSQL but missing from the NDJSON files: %s",
		       b->h.batch_seq, b->h.device_id, err);
		return CO_UNAVAILABLE;
	}
	return CO_STORED;
}

/* ------------------------------------------------------------- a batch */

struct json_ctx {
	struct co_batch *b;
	FILE *f;
	int major;		/* a record of a newer major version */
	char err[160];
};

static int add_json(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct json_ctx *x = arg;
	struct co_batch *b = x->b;
	struct et_record r = { .seq = seq };
	enum et_decode_status st;
	struct co_rec *cr;
	const char *type;
	off_t start;

	st = et_record_decode(rec, len, &r);
	if (st) {
		x->major = st == ET_DEC_MAJOR;
		snprintf(x->err, sizeof(x->err), "record %" PRIu64 ": %s", seq,
			 et_decode_strerror(st));
		return -1;
	}
	if (b->nrecs == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 256;
		struct co_rec *v = realloc(b->recs, cap * sizeof(*v));

		if (!v) {
			snprintf(x->err, sizeof(x->err), "out of memory");
			return -1;
		}
		b->recs = v;
		b->cap = cap;
	}
	start = ftello(x->f);
	et_print_json(x->f, &r);
	cr = &b->recs[b->nrecs++];
	cr->seq = seq;
	cr->ts = r.ts;
	cr->off = start;
	cr->len = ftello(x->f) - start;
	type = et_rec_type_name(r.type);
	if (type)
		snprintf(cr->type, sizeof(cr->type), "%s", type);
	else
		snprintf(cr->type, sizeof(cr->type), "unknown-%u", r.type);
	return 0;
}

/* The records as JSON lines: 0, 1 for a record of a newer major, -1. */
static int make_json(struct co_batch *b, const struct et_batch *recs,
		     char *err, size_t errlen)
{
	struct json_ctx x = { .b = b };
	int ret;

	x.f = open_memstream(&b->json, &b->json_len);
	if (!x.f) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* one thread: no lock per fputc (the JSON is written a byte at a time) */
	__fsetlocking(x.f, FSETLOCKING_BYCALLER);
	ret = et_batch_foreach(recs, add_json, &x);
	if (fclose(x.f) && !ret) {
		snprintf(x.err, sizeof(x.err), "out of memory");
		ret = -1;
	}
	if (ret) {
		snprintf(err, errlen, "%s", x.err[0] ? x.err :
			 "the records are not well formed");
		return x.major ? 1 : -1;
	}
	return 0;
}

static void reply(struct co_reply *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply(struct co_reply *r, int code, const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->body, sizeof(r->body), fmt, ap);
	va_end(ap);
}

static void refuse(struct co_reply *r, const struct co_peer *p, uint64_t seq,
		   const char *device, const char *why)
{
	reply(r, 400, "refused %" PRIu64 ": %s", seq, why);
	co_log("%s (certificate '%s'): refused batch %" PRIu64 " of device "
	       "'%s': %s", p->addr, p->cn, seq, device ? device : "?", why);
}

static uint64_t le64_at(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The checks that need no key: 0, or -1 with the reason in @why. */
static int check_header(const struct co_peer *p, const struct et_seal_hdr *h,
			size_t len, char *why, size_t whylen)
{
	char hex[2 * ET_SEAL_KEY_ID_SIZE + 1];

	if (h->total_len != len) {
		snprintf(why, whylen, "the request body holds %zu bytes, the "
			 "batch %zu: send exactly one batch", len,
			 h->total_len);
		return -1;
	}
	if (h->flags & ET_SEAL_FLAG_EXPORT) {
		snprintf(why, whylen, "export batch");
		return -1;
	}
	if (h->batch_seq > INT64_MAX || h->last_seq > INT64_MAX) {
		snprintf(why, whylen, "batch seq or spool seq above 2^63-1");
		return -1;
	}
	if (!p->key) {
		snprintf(why, whylen, "the client certificate's key cannot "
			 "sign batches: %s", p->key_err);
		return -1;
	}
	if (memcmp(h->device_key_id, et_seal_key_id(p->key),
		   ET_SEAL_KEY_ID_SIZE)) {
		et_seal_id_hex(h->device_key_id, hex);
		snprintf(why, whylen, "signed by device key %s, not by the "
			 "client certificate's key %s", hex, p->key_hex);
		return -1;
	}
	if (!strcmp(h->device_id, ".") || !strcmp(h->device_id, "..")) {
		snprintf(why, whylen, "device id '%s' cannot name a directory",
			 h->device_id);
		return -1;
	}
	if (!co_peer_names(p, h->device_id)) {
		snprintf(why, whylen, "device id '%s' is not the client "
			 "certificate's (its CN '%s', its DNS names or its key "
			 "id %s)", h->device_id, p->cn, p->key_hex);
		return -1;
	}
	return 0;
}

void co_handle_batch(const struct et_seal_key *fleet, struct co_sinks *sinks,
		     const struct co_peer *p, const uint8_t *buf, size_t len,
		     struct co_reply *r)
{
	struct co_batch b = { 0 };
	struct et_opener *o = NULL;
	struct et_batch recs;
	char err[256];
	uint64_t seq = len >= 24 && !memcmp(buf, ET_SEAL_MAGIC, 4) ?
		       le64_at(buf + 16) : 0;
	int ret;

	et_batch_init(&recs);
	ret = et_seal_header(buf, len, &b.h, err, sizeof(err));
	if (ret > 0) {
		snprintf(err, sizeof(err), "cut short: %zu bytes are not a "
			 "whole batch", len);
		ret = -1;
	}
	if (ret < 0) {
		refuse(r, p, seq, NULL, err);
		goto out;
	}
	seq = b.h.batch_seq;
	if (check_header(p, &b.h, len, err, sizeof(err))) {
		refuse(r, p, seq, b.h.device_id, err);
		goto out;
	}
	o = et_opener_new(fleet, err, sizeof(err));
	if (!o || et_opener_trust(o, p->key, err, sizeof(err))) {
		reply(r, 503, "unavailable: %s", err);
		goto out;
	}
	if (et_seal_open(o, buf, len, &b.h, &recs, err, sizeof(err))) {
		refuse(r, p, seq, b.h.device_id, err);
		goto out;
	}
	et_seal_id_hex(b.h.device_key_id, b.key_hex);
	b.sealed_len = len;
	ret = make_json(&b, &recs, err, sizeof(err));
	if (ret > 0) {
		/* a newer agent: a newer collector will take it */
		reply(r, 503, "unavailable: %s", err);
		co_log("%s: batch %" PRIu64 " of device '%s' not stored: %s",
		       p->addr, seq, b.h.device_id, err);
		goto out;
	}
	if (ret < 0) {
		refuse(r, p, seq, b.h.device_id, err);
		goto out;
	}
	switch (co_sinks_store(sinks, &b, err, sizeof(err))) {
	case CO_STORED:
		reply(r, 200, "stored %s %" PRIu64, b.h.device_id, seq);
		co_log("%s: stored batch %" PRIu64 " of device '%s': %zu "
		       "records, seqs %" PRIu64 "-%" PRIu64, p->addr, seq,
		       b.h.device_id, b.nrecs, b.h.first_seq, b.h.last_seq);
		break;
	case CO_DUPLICATE:
		reply(r, 200, "duplicate %s %" PRIu64, b.h.device_id, seq);
		co_log("%s: batch %" PRIu64 " of device '%s' is a duplicate: "
		       "stored before, not written again", p->addr, seq,
		       b.h.device_id);
		break;
	default:
		reply(r, 503, "unavailable: %s", err);
		co_log("%s: batch %" PRIu64 " of device '%s' not stored, the "
		       "device will resend it: %s", p->addr, seq,
		       b.h.device_id, err);
		break;
	}
out:
	et_opener_free(o);
	et_batch_free(&recs);
	free(b.recs);
	free(b.json);
}
