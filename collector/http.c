// SPDX-License-Identifier: GPL-2.0
/*
 * http.c - the requests of one connection, framed from the bytes TLS
 * hands over: the HTTP/1.1 subset docs/uplink-protocol.md needs.
 *
 * No sockets and no TLS here: server.c reads into co_http_space() and
 * asks co_http_next() what to do next (read on, answer, send "100
 * Continue", or handle a whole batch), so that the parser, which takes
 * bytes from any client that holds a fleet certificate, can be fuzzed on
 * its own (tests/fuzz/fuzz_http.c).
 *
 * What is accepted: a request line "METHOD SP TARGET SP HTTP/1.x" ended
 * by CRLF, header lines "Name: value" ended by CRLF, an empty line, then
 * exactly Content-Length bytes of body. POST /v1/batches with a
 * Content-Length is a batch; anything else gets an error answer: 405, 404
 * (the connection goes on when no body was announced), 411 (no length,
 * or Transfer-Encoding), 400 (not HTTP/1.x, a bad or repeated
 * Content-Length), 431 (headers over CO_HTTP_HDR_MAX), 413 (a body over
 * the limit: read and dropped, unless the client waits for 100 Continue
 * or it is over DISCARD_MAX). Everything is parsed by length: NUL bytes
 * in a request are just bytes that match nothing.
 *
 * Memory: the buffer holds one request at a time, so it never grows past
 * CO_HTTP_HDR_MAX + max_batch bytes (co_http_next() reallocates it to fit
 * a batch once its length is known), and shrinks back after a large one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector.h"

#define DISCARD_MAX	(256ull << 20)	/* a 413's body read and dropped */
#define BATCH_PATH	"/v1/batches"

void co_http_init(struct co_http *h, size_t max_batch)
{
	memset(h, 0, sizeof(*h));
	h->max_batch = max_batch;
}

void co_http_free(struct co_http *h)
{
	free(h->in);
	h->in = NULL;
	h->len = h->cap = 0;
}

uint8_t *co_http_space(struct co_http *h, size_t *room)
{
	if (h->cap == h->len) {
		size_t cap = h->cap ? 2 * h->cap : CO_HTTP_HDR_MAX + 1;
		uint8_t *p = realloc(h->in, cap);

		if (!p)
			return NULL;
		h->in = p;
		h->cap = cap;
	}
	*room = h->cap - h->len;
	return h->in + h->len;
}

void co_http_filled(struct co_http *h, size_t n)
{
	h->len += n;
}

/* Drop @n bytes from the front of the buffer. */
static void drop(struct co_http *h, size_t n)
{
	memmove(h->in, h->in + n, h->len - n);
	h->len -= n;
	h->scanned = 0;
}

/* Drop what arrived of a refused body. */
static void skip_discarded(struct co_http *h)
{
	size_t n = h->len < h->discard ? h->len : h->discard;

	drop(h, n);
	h->discard -= n;
}

void co_http_done(struct co_http *h)
{
	drop(h, h->hdr_len + h->body_len);
	h->have_hdr = 0;
	h->hdr_len = h->body_len = 0;
	if (h->cap > 4 * CO_HTTP_HDR_MAX && h->len <= CO_HTTP_HDR_MAX) {
		uint8_t *p = realloc(h->in, CO_HTTP_HDR_MAX + 1);

		if (p) {
			h->in = p;
			h->cap = CO_HTTP_HDR_MAX + 1;
		}
	}
}

/* ------------------------------------------------------------ parsing */

/* What the header lines say, of what the collector cares about. */
struct head {
	const char *method, *target;
	size_t method_len, target_len;
	int http10;
	int has_cl, bad_cl;
	unsigned long long cl;
	int conn_close, conn_keep_alive;
	int expect_100;
	int chunked;		/* any Transfer-Encoding */
};

static int is(const char *v, size_t len, const char *want)
{
	return len == strlen(want) && !strncasecmp(v, want, len);
}

/* Digits only, at least one, no overflow. */
static int parse_length(const char *v, size_t len, unsigned long long *out)
{
	unsigned long long n = 0;
	size_t i;

	if (!len)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (n > (~0ull - (v[i] - '0')) / 10)
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	*out = n;
	return 0;
}

static void header_line(struct head *hd, const char *p, size_t len)
{
	const char *colon = memchr(p, ':', len), *v, *e;
	size_t nlen;

	if (!colon)
		return;		/* not a header: ignored, as before */
	nlen = colon - p;
	v = colon + 1;
	e = p + len;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (is(p, nlen, "Content-Length")) {
		if (hd->has_cl || parse_length(v, e - v, &hd->cl))
			hd->bad_cl = 1;
		hd->has_cl = 1;
	} else if (is(p, nlen, "Connection")) {
		hd->conn_close |= is(v, e - v, "close");
		hd->conn_keep_alive |= is(v, e - v, "keep-alive");
	} else if (is(p, nlen, "Expect")) {
		hd->expect_100 |= is(v, e - v, "100-continue");
	} else if (is(p, nlen, "Transfer-Encoding")) {
		hd->chunked = 1;
	}
}

/* The request line and the headers of the block of @len bytes at @p. */
static int parse_block(const char *p, size_t len, struct head *hd)
{
	const char *end = p + len, *eol, *sp1, *sp2, *line;

	memset(hd, 0, sizeof(*hd));
	eol = memmem(p, len, "\r\n", 2);
	if (!eol)
		return -1;
	sp1 = memchr(p, ' ', eol - p);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', eol - sp1 - 1) : NULL;
	if (!sp1 || !sp2 || eol - sp2 - 1 != 8 ||
	    memcmp(sp2 + 1, "HTTP/1.", 7) || sp2[8] < '0' || sp2[8] > '9')
		return -1;
	hd->method = p;
	hd->method_len = sp1 - p;
	hd->target = sp1 + 1;
	hd->target_len = sp2 - sp1 - 1;
	hd->http10 = sp2[8] == '0';
	for (line = eol + 2; line < end; line = eol + 2) {
		eol = memmem(line, end - line, "\r\n", 2);
		if (!eol)
			break;
		header_line(hd, line, eol - line);
	}
	return 0;
}

static enum co_http_step answer(struct co_http *h, struct co_http_req *r,
				int code, const char *text, int close)
{
	r->code = code;
	r->text = text;
	r->close = close || !h->keep_alive;
	return CO_HTTP_ANSWER;
}

/* An error answer that is also logged, as "CODE TEXT". */
static enum co_http_step reject(struct co_http *h, struct co_http_req *r,
				int code, const char *text, int close)
{
	snprintf(r->log, sizeof(r->log), "%d %s", code, text);
	return answer(h, r, code, text, close);
}

/* The request line and headers, once the block is whole. */
static enum co_http_step parse_head(struct co_http *h, struct co_http_req *r)
{
	/* from where the last look ended: a header sent a byte at a time
	 * is scanned once, not once per byte */
	size_t from = h->scanned > 3 ? h->scanned - 3 : 0;
	const char *end = memmem(h->in + from, h->len - from, "\r\n\r\n", 4);
	struct head hd;
	uint8_t *p;

	if (!end) {
		h->scanned = h->len;
		if (h->len < CO_HTTP_HDR_MAX)
			return CO_HTTP_MORE;
		h->keep_alive = 0;
		return reject(h, r, 431, "request headers too large", 1);
	}
	h->hdr_len = end - (const char *)h->in + 4;
	if (h->hdr_len > CO_HTTP_HDR_MAX) {
		h->keep_alive = 0;
		return reject(h, r, 431, "request headers too large", 1);
	}
	/* the block with its last CRLF: every line ends in one */
	if (parse_block((const char *)h->in, h->hdr_len - 2, &hd)) {
		h->keep_alive = 0;
		return reject(h, r, 400, "not an HTTP/1.x request", 1);
	}
	h->keep_alive = !hd.conn_close && (!hd.http10 || hd.conn_keep_alive);
	if (hd.bad_cl)
		return reject(h, r, 400, "bad Content-Length", 1);
	if (hd.chunked)
		return reject(h, r, 411, "length required: send the batch "
			      "with a Content-Length", 1);
	if (hd.method_len != 4 || memcmp(hd.method, "POST", 4)) {
		drop(h, h->hdr_len);
		return reject(h, r, 405, "method not allowed: POST "
			      BATCH_PATH, hd.cl > 0);
	}
	if (hd.target_len != strlen(BATCH_PATH) ||
	    memcmp(hd.target, BATCH_PATH, hd.target_len)) {
		drop(h, h->hdr_len);
		return reject(h, r, 404, "not found: POST " BATCH_PATH,
			      hd.cl > 0);
	}
	if (!hd.has_cl)
		return reject(h, r, 411, "length required: send the batch "
			      "with a Content-Length", 1);
	if (hd.cl > h->max_batch) {
		snprintf(r->log, sizeof(r->log), "refused a request of %llu "
			 "bytes: over --max-batch-bytes %zu", hd.cl,
			 h->max_batch);
		/* the body was not sent, or is not worth reading */
		if (hd.expect_100 || hd.cl > DISCARD_MAX)
			return answer(h, r, 413, "too large", 1);
		/*
		 * Skip the body rather than close with it unread: a close
		 * with unread data resets the connection, and the client
		 * might then never see the 413 and resend forever.
		 */
		drop(h, h->hdr_len);
		h->discard = hd.cl;
		skip_discarded(h);
		return answer(h, r, 413, "too large", 0);
	}
	if (h->cap < h->hdr_len + hd.cl) {
		p = realloc(h->in, h->hdr_len + hd.cl);
		if (!p)
			return answer(h, r, 503, "unavailable: out of memory",
				      1);
		h->in = p;
		h->cap = h->hdr_len + hd.cl;
	}
	h->body_len = hd.cl;
	h->have_hdr = 1;
	if (hd.expect_100 && h->len < h->hdr_len + h->body_len)
		return CO_HTTP_CONTINUE;
	return CO_HTTP_MORE;
}

enum co_http_step co_http_next(struct co_http *h, struct co_http_req *r)
{
	enum co_http_step st;

	memset(r, 0, sizeof(*r));
	if (h->discard)
		skip_discarded(h);
	if (!h->len || h->discard)
		return CO_HTTP_MORE;
	if (!h->have_hdr) {
		st = parse_head(h, r);
		if (st != CO_HTTP_MORE || !h->have_hdr)
			return st;
	}
	if (h->len < h->hdr_len + h->body_len)
		return CO_HTTP_MORE;
	r->body = h->in + h->hdr_len;
	r->body_len = h->body_len;
	r->close = !h->keep_alive;
	return CO_HTTP_BATCH;
}
