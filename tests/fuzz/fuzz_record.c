// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_record.c - libFuzzer target for the record decoder (storage/record.c).
 *
 * Records come off flash and out of capture files pulled from devices
 * that may be damaged or tampered with, so the input is arbitrary bytes.
 * A decoding that succeeds must survive a round trip: encode it again and
 * decode that, and the two decodings agree field by field. The canonical
 * encoding is never longer than the input (varints are minimal, unknown
 * and repeated fields dropped), so the buffer is exactly the input's size
 * and ASan catches a writer that thinks otherwise; encoding the second
 * decoding gives the same bytes again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage.h"

static int str_eq(struct et_str a, struct et_str b)
{
	return a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len));
}

#define SAME(m)								\
	do {								\
		if (a->m != b->m) {					\
			fprintf(stderr, "field %s differs\n", #m);	\
			abort();					\
		}							\
	} while (0)

#define SAME_STR(m)							\
	do {								\
		if (!str_eq(a->m, b->m)) {				\
			fprintf(stderr, "field %s differs\n", #m);	\
			abort();					\
		}							\
	} while (0)

static void same(const struct et_record *a, const struct et_record *b)
{
	SAME(seq); SAME(ts); SAME(type); SAME(flags); SAME(pid); SAME(tid);
	SAME(present);
	SAME(ppid); SAME(uid); SAME(gid); SAME(euid); SAME(egid); SAME(suid);
	SAME(sgid); SAME(fsuid); SAME(fsgid); SAME(ev_flags); SAME(sid);
	SAME(status); SAME(sig); SAME(target_pid); SAME(target_tid);
	SAME(call); SAME(cause); SAME(sigcode); SAME(result); SAME(cgroup);
	SAME(lifetime); SAME(lost);
	SAME_STR(comm); SAME_STR(exe); SAME_STR(filename); SAME_STR(args);
	SAME_STR(cwd); SAME_STR(tty); SAME_STR(container); SAME_STR(runtime);
	SAME_STR(pod); SAME_STR(module);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct et_record a = { .seq = 5 }, b = { .seq = 5 };
	uint8_t *buf, *buf2;
	size_t n, n2;

	if (et_record_decode(data, size, &a) != ET_DEC_OK)
		return 0;
	/* malloc(0) may be NULL; a decodable record has at least a header */
	buf = malloc(size);
	buf2 = malloc(size);
	if (!buf || !buf2)
		abort();
	n = et_record_encode(&a, buf, size);
	if (!n) {
		fprintf(stderr, "re-encoding needs more than %zu bytes\n", size);
		abort();
	}
	if (et_record_decode(buf, n, &b) != ET_DEC_OK) {
		fprintf(stderr, "re-encoded record does not decode\n");
		abort();
	}
	same(&a, &b);
	n2 = et_record_encode(&b, buf2, size);
	if (n2 != n || memcmp(buf, buf2, n)) {
		fprintf(stderr, "encoding is not canonical\n");
		abort();
	}
	free(buf);
	free(buf2);
	return 0;
}
