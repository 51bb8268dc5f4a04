// SPDX-License-Identifier: GPL-2.0
/*
 * mkbatch.c - et-mkbatch: sealed batches as the uplink sends them, from a
 * capture file, for the collector's tests and benchmark.
 *
 *	et-mkbatch --fleet-pub F --device-key F [--device-id ID]
 *		   [--records N] [--first-batch S] [--export] [--ts-step NS]
 *		   -o DIR CAPTURE
 *
 * Cuts the records of CAPTURE (tests/tools/capgen, `export --format raw`)
 * into batches of N records (default 256), seals each with et_seal() for
 * the fleet key, signed by the device key, numbered S, S+1, ... (default
 * 1), with the export flag clear (the uplink's) unless --export, and
 * writes each to DIR/NNNNNN.etsb (its batch seq, six digits). With
 * --ts-step, the records' timestamps are rewritten to the first one's plus
 * NS per record (re-encoded by et_record_encode), to spread a batch over
 * days. Prints
 * "et-mkbatch: B batches, R records, S bytes" on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"
#include "storage.h"

struct mk {
	struct et_sealer *sealer;
	struct et_batch batch;
	const char *dir;
	uint64_t seq, batches, records, bytes;
	uint32_t per_batch;
	uint64_t ts_step, ts_first, nth;
	char err[4200 + 128];
};

static int flush(struct mk *m)
{
	const uint8_t *out;
	size_t len;
	char path[4200];
	FILE *f;

	if (!m->batch.count)
		return 0;
	if (et_seal(m->sealer, m->seq, &m->batch, &out, &len, m->err,
		    sizeof(m->err)))
		return -1;
	snprintf(path, sizeof(path), "%s/%06" PRIu64 ".etsb", m->dir, m->seq);
	f = fopen(path, "wb");
	if (!f || fwrite(out, 1, len, f) != len || fclose(f)) {
		snprintf(m->err, sizeof(m->err), "%s: %s", path,
			 strerror(errno));
		return -1;
	}
	m->seq++;
	m->batches++;
	m->records += m->batch.count;
	m->bytes += len;
	et_batch_clear(&m->batch);
	return 0;
}

static int add(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct mk *m = arg;
	uint8_t re[ET_REC_MAX_SIZE];
	struct et_record r = { .seq = seq };

	if (m->ts_step) {
		if (et_record_decode(rec, len, &r)) {
			snprintf(m->err, sizeof(m->err), "record %" PRIu64
				 ": does not decode", seq);
			return -1;
		}
		if (!m->nth)
			m->ts_first = r.ts;
		r.ts = m->ts_first + m->nth * m->ts_step;
		len = et_record_encode(&r, re, sizeof(re));
		if (!len) {
			snprintf(m->err, sizeof(m->err), "record %" PRIu64
				 ": does not re-encode", seq);
			return -1;
		}
		rec = re;
	}
	m->nth++;
	if (et_batch_add(&m->batch, seq, rec, len)) {
		snprintf(m->err, sizeof(m->err), "record %" PRIu64 ": %s", seq,
			 strerror(errno));
		return -1;
	}
	return m->batch.count >= m->per_batch ? flush(m) : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fleet-pub", required_argument, NULL, 'f' },
		{ "device-key", required_argument, NULL, 'd' },
		{ "device-id", required_argument, NULL, 'i' },
		{ "records", required_argument, NULL, 'n' },
		{ "first-batch", required_argument, NULL, 's' },
		{ "export", no_argument, NULL, 'e' },
		{ "ts-step", required_argument, NULL, 't' },
		{ 0 }
	};
	const char *fleet_path = NULL, *dev_path = NULL, *dev_id = NULL;
	struct et_seal_key *fleet = NULL, *dev = NULL;
	struct mk m = { .seq = 1, .per_batch = 256 };
	uint32_t flags = 0;
	FILE *in = NULL;
	int c, ret = 1;

	et_batch_init(&m.batch);
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (c) {
		case 'f': fleet_path = optarg; break;
		case 'd': dev_path = optarg; break;
		case 'i': dev_id = optarg; break;
		case 'n': m.per_batch = strtoul(optarg, NULL, 10); break;
		case 's': m.seq = strtoull(optarg, NULL, 10); break;
		case 'e': flags = ET_SEAL_FLAG_EXPORT; break;
		case 't': m.ts_step = strtoull(optarg, NULL, 10); break;
		case 'o': m.dir = optarg; break;
		default: goto usage;
		}
	}
	if (!fleet_path || !dev_path || !m.dir || optind != argc - 1 ||
	    !m.per_batch || !m.seq)
		goto usage;
	fleet = et_seal_key_load("--fleet-pub", fleet_path, ET_KEY_PUBLIC,
				 m.err, sizeof(m.err));
	if (!fleet)
		goto fail;
	dev = et_seal_key_load("--device-key", dev_path, ET_KEY_PRIVATE,
			       m.err, sizeof(m.err));
	if (!dev)
		goto fail;
	m.sealer = et_sealer_new(fleet, dev, dev_id, flags, m.err,
				 sizeof(m.err));
	if (!m.sealer)
		goto fail;
	in = fopen(argv[optind], "rb");
	if (!in) {
		snprintf(m.err, sizeof(m.err), "%s: %s", argv[optind],
			 strerror(errno));
		goto fail;
	}
	if (et_capture_read(in, add, &m, m.err, sizeof(m.err)) || flush(&m))
		goto fail;
	printf("et-mkbatch: %" PRIu64 " batches, %" PRIu64 " records, "
	       "%" PRIu64 " bytes\n", m.batches, m.records, m.bytes);
	ret = 0;
	goto out;
usage:
	fprintf(stderr, "usage: et-mkbatch --fleet-pub F --device-key F "
		"[--device-id ID] [--records N] [--first-batch S] [--export] "
		"[--ts-step NS] -o DIR CAPTURE\n");
	return 2;
fail:
	fprintf(stderr, "et-mkbatch: %s\n", m.err);
out:
	if (in)
		fclose(in);
	et_batch_free(&m.batch);
	et_sealer_free(m.sealer);
	et_seal_key_free(dev);
	et_seal_key_free(fleet);
	et_seal_cleanup();
	return ret;
}
