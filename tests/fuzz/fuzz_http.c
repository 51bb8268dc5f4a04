// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_http.c - libFuzzer target for the collector's HTTP request framing
 * (collector/http.c): the bytes any client with a fleet certificate can
 * send, before a batch is looked at.
 *
 * The input's first byte says how the rest arrives, as TLS records cut a
 * stream anywhere: 0 in reads as large as the buffer takes, N in reads of
 * at most N bytes. Its second byte B sets --max-batch-bytes to 64 (B + 1),
 * small so that 413 and the dropping of its body are reached, and so
 * that no input makes the parser allocate megabytes, which would slow
 * the fuzzer down a hundredfold for no new path (the limit is only
 * compared). The driver does what server.c does: feed, ask
 * co_http_next(), act on it, until the input is used up or the connection
 * would be closed, and checks at each step that
 *   - a batch lies inside the buffer and within the limit;
 *   - an answer has a status of the protocol's table and a text;
 *   - the buffer never grows past CO_HTTP_HDR_MAX + the limit;
 *   - each answer that keeps the connection consumed input (no loop that
 *     answers the same bytes forever), and "100 Continue" comes at most
 *     once per request, only for one that is not yet whole.
 * The seed corpus is tests/fuzz/corpus/http/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_http: %s\n", what);
		abort();
	}
}

static int known_status(int code)
{
	switch (code) {
	case 400: case 404: case 405: case 411: case 413: case 431: case 503:
		return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct co_http h;
	struct co_http_req r;
	size_t chunk, max, off = 2, room, n, before;
	int continued = 0, done = 0;
	uint8_t *p;

	if (size < 2)
		return 0;
	chunk = data[0] ? data[0] : SIZE_MAX;
	max = ((size_t)data[1] + 1) * 64;
	co_http_init(&h, max);
	while (!done) {
		before = h.len;
		switch (co_http_next(&h, &r)) {
		case CO_HTTP_MORE:
			if (off == size) {
				done = 1;
				break;
			}
			p = co_http_space(&h, &room);
			check(p && room > 0, "no room to read into");
			n = size - off;
			if (n > room)
				n = room;
			if (n > chunk)
				n = chunk;
			memcpy(p, data + off, n);
			co_http_filled(&h, n);
			off += n;
			break;
		case CO_HTTP_CONTINUE:
			check(!continued, "100 Continue twice for one request");
			check(h.have_hdr && h.len < h.hdr_len + h.body_len,
			      "100 Continue for a request that is whole");
			continued = 1;
			break;
		case CO_HTTP_ANSWER:
			check(known_status(r.code),
			      "an answer not in the table");
			check(r.text && r.text[0], "an answer without a text");
			if (r.close) {
				done = 1;
				break;
			}
			check(h.len < before, "an answer that keeps the "
			      "connection consumed nothing");
			continued = 0;
			break;
		case CO_HTTP_BATCH:
			check(r.body >= h.in &&
			      r.body + r.body_len <= h.in + h.len,
			      "a batch outside the buffer");
			check(r.body_len <= max, "a batch over the limit");
			check(r.body_len == h.body_len,
			      "a batch of another length");
			co_http_done(&h);
			check(h.len < before, "a batch that consumed nothing");
			if (r.close)
				done = 1;
			continued = 0;
			break;
		default:
			check(0, "an unknown step");
		}
		check(h.len <= h.cap, "more bytes than the buffer holds");
		check(h.cap <= CO_HTTP_HDR_MAX + max,
		      "the buffer grew past the headers and one batch");
	}
	co_http_free(&h);
	return 0;
}
