// SPDX-License-Identifier: GPL-2.0
/*
 * bpfobj.c - the embedded BPF objects, for their skeletons.
 *
 * Each object is kept gzip-compressed in the binary (bpfobj.S): BTF, line
 * info and code compress about 5:1, which is most of the binary's size
 * saved on a board's flash. A skeleton asks for its bytes once per open
 * (the Makefile points its elf_bytes function here, with its object's
 * bounds); libbpf copies what it keeps (programs, BTF, map contents) while
 * opening and is done with the ELF when bpf_object__open returns, so the
 * loader frees the inflated copy then: it is not resident while the
 * probes run. One copy at a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core.h"

static void *elf;

/* gzip's trailer ends with the inflated size, mod 2^32, little-endian */
static size_t inflated_size(const unsigned char *z, size_t zlen)
{
	const unsigned char *t = z + zlen - 4;

	return (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 |
	       (size_t)t[3] << 24;
}

const void *et_bpf_elf_bytes(const unsigned char *gz,
			     const unsigned char *end, size_t *sz)
{
	size_t zlen = (size_t)(end - gz);
	z_stream zs;
	size_t n;
	int rc;

	et_bpf_elf_free();
	*sz = 0;
	n = zlen > 18 ? inflated_size(gz, zlen) : 0;
	elf = n ? malloc(n) : NULL;
	if (!elf) {
		et_err("cannot inflate the embedded BPF object (%zu bytes): "
		       "%s", n, n ? "out of memory" : "it is empty");
		return NULL;
	}
	memset(&zs, 0, sizeof(zs));
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)zlen;
	zs.next_out = elf;
	zs.avail_out = (uInt)n;
	rc = inflateInit2(&zs, 16 + MAX_WBITS);
	if (rc == Z_OK) {
		rc = inflate(&zs, Z_FINISH);
		inflateEnd(&zs);
	}
	if (rc != Z_STREAM_END || zs.total_out != n) {
		et_err("the embedded BPF object is corrupt (zlib: %d after %lu "
		       "of %zu bytes): rebuild edgetrace", rc, zs.total_out, n);
		et_bpf_elf_free();
		return NULL;
	}
	*sz = n;
	return elf;
}

void et_bpf_elf_free(void)
{
	free(elf);
	elf = NULL;
}
