// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_sealed.c - libFuzzer target for sealed batches (uplink/seal.c), the
 * bytes a collector takes from the network and `decode` from a pull.
 *
 * The input is a stream of batches, as `export --format sealed` writes
 * and the uplink posts one at a time. Each batch the header parser
 * accepts must lie within the input and is opened with the fleet key
 * below without the device's signature (et_opener_skip_verify), so that
 * the decryption and the payload checks are reached; the corpus holds
 * batches sealed for that key (tests/fuzz/corpus/sealed/). The payload
 * walker, which runs on decrypted bytes, also gets the raw input, so its
 * varint and length checks are fuzzed without a valid GCM tag.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"

/* A fleet key for the corpus only: it protects nothing. */
static const char fleet_pem[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEIGj5BpoaycBkucncScJkXidb2yubW6s3RUjuXGtC03ONoAoGCCqGSM49\n"
	"AwEHoUQDQgAEvLDISz8EwPgznaI/M7pGMD1VmjLQNwPoq1HTlckWg2oMq9nlOMtI\n"
	"+iwO1QeV7vTMsRYWnTGQXCID8SeE2A7Mbg==\n"
	"-----END EC PRIVATE KEY-----\n";

static struct et_opener *opener;

static int count(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	(void)seq; (void)rec;
	if (!len)
		abort();	/* the walker never hands out an empty record */
	(*(uint64_t *)arg)++;
	return 0;
}

static void setup(void)
{
	struct et_seal_key *fleet;
	char err[256];

	fleet = et_seal_key_parse("fuzz", (const uint8_t *)fleet_pem,
				  sizeof(fleet_pem) - 1, ET_KEY_PRIVATE, err,
				  sizeof(err));
	opener = fleet ? et_opener_new(fleet, err, sizeof(err)) : NULL;
	if (!opener) {
		fprintf(stderr, "fuzz_sealed: %s\n", err);
		abort();
	}
	et_opener_skip_verify(opener);	/* the key stays: never freed */
}

/* Open one batch of exactly @len bytes; its records must match it. */
static void open_one(const uint8_t *buf, size_t len)
{
	struct et_seal_hdr h;
	struct et_batch b;
	uint64_t n = 0;
	char err[256];

	et_batch_init(&b);
	if (et_seal_open(opener, buf, len, &h, &b, err, sizeof(err)) == 0) {
		if (et_batch_foreach(&b, count, &n) || n != h.count ||
		    b.count != h.count)
			abort();
	} else if (b.len) {
		abort();	/* a refused batch leaves nothing behind */
	}
	et_batch_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct et_seal_hdr h;
	struct et_batch raw;
	size_t off = 0;
	uint64_t n = 0;
	char err[256];
	int rc;

	if (!opener)
		setup();
	while (off < size) {
		rc = et_seal_header(data + off, size - off, &h, err, sizeof(err));
		if (rc != 0)
			break;	/* too short, or not a batch */
		if (h.hdr_len > h.total_len || h.total_len < h.hdr_len ||
		    !h.total_len)
			abort();
		if (h.total_len > size - off)
			break;
		open_one(data + off, h.total_len);
		off += h.total_len;
	}
	et_batch_init(&raw);
	raw.buf = (uint8_t *)data;
	raw.len = size;
	et_batch_foreach(&raw, count, &n);
	return 0;
}
