// SPDX-License-Identifier: GPL-2.0
/*
 * seal.c - sealed batches (docs/sealed-format.md): keys, the batch
 * payload, sealing on the device and opening on the fleet side.
 *
 * Design: one suite, P-256 for both the key agreement and the signature,
 * so that a device and a fleet need one kind of key, one that every
 * mbedtls and openssl reads and writes as PEM. Per batch a fresh
 * ephemeral key pair agrees a secret with the fleet's static public key
 * (ECDH); HKDF-SHA256 turns it into an AES-256-GCM key and nonce, used
 * once. The header, ephemeral public key included, is GCM's additional
 * data, so neither can be changed without the tag failing; the device's
 * ECDSA signature over header, ciphertext and tag says who sealed it.
 * Only the fleet's private key recomputes the secret: the device wipes
 * the ephemeral private key and everything derived from it before
 * et_seal() returns, and CTR-DRBG's state moves on after each use
 * (backtracking resistance), so a device that is taken later cannot open
 * what it sent before.
 *
 * The payload is the records as the spool stores them, each with its
 * sequence number, zlib-compressed (stored as is when that does not make
 * it smaller): decoding a batch reuses the record decoder, and the
 * sequence numbers are the spool's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/sha256.h>
#include <zlib.h>

#include "le.h"
#include "seal.h"

#define KEY_FILE_MAX	(64 * 1024)
#define COORD_BITS	256
#define SECRET_SIZE	32		/* the ECDH secret: x of the shared point */
#define AES_KEY_SIZE	32
#define NONCE_SIZE	12
#define OKM_SIZE	(AES_KEY_SIZE + NONCE_SIZE)
#define DER_SIG_MAX	MBEDTLS_ECDSA_MAX_SIG_LEN(COORD_BITS)
#define ZLIB_LEVEL	6

/* HKDF's salt; its info is the ephemeral and the fleet's public points. */
static const char hkdf_salt[] = "edgetrace sealed batch v1";

/* Header offsets (docs/sealed-format.md, "Header"). */
enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 4,
	OFF_SUITE = 5,
	OFF_COMPRESSION = 6,
	OFF_ID_LEN = 7,
	OFF_FLAGS = 8,
	OFF_COUNT = 12,
	OFF_BATCH_SEQ = 16,
	OFF_FIRST = 24,
	OFF_LAST = 32,
	OFF_RAW_LEN = 40,
	OFF_SEALED_LEN = 44,
	OFF_FLEET_ID = 48,
	OFF_DEVICE_KEY_ID = 64,
	OFF_EPHEMERAL = 80,
	OFF_DEVICE_ID = ET_SEAL_FIXED_SIZE,
};

_Static_assert(OFF_EPHEMERAL + ET_SEAL_POINT_SIZE == ET_SEAL_FIXED_SIZE,
	       "the header's fixed part ends with the ephemeral key");
_Static_assert(DER_SIG_MAX <= 80, "a P-256 DER signature fits the buffer");

struct et_seal_key {
	mbedtls_pk_context pk;
	enum et_key_kind kind;
	uint8_t point[ET_SEAL_POINT_SIZE];
	uint8_t id[ET_SEAL_KEY_ID_SIZE];
};

struct et_sealer {
	const struct et_seal_key *fleet, *device;
	char device_id[ET_SEAL_DEVICE_ID_MAX + 1];
	uint32_t flags;
	uint8_t *out;
	size_t cap;
};

struct et_opener {
	const struct et_seal_key *fleet;
	const struct et_seal_key **devices;
	size_t ndevices;
	int skip_verify;
	uint8_t *plain;
	size_t cap;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ------------------------------------------------------------ randomness */

static struct {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	pid_t pid;
	int ready;
} rng;

/* The generator, seeded from the kernel; reseeded in a forked child. */
static int rng_ready(char *err, size_t errlen)
{
	static const char custom[] = "edgetrace seal";
	pid_t pid = getpid();
	int ret;

	if (rng.ready && rng.pid == pid)
		return 0;
	if (rng.ready) {
		ret = mbedtls_ctr_drbg_reseed(&rng.drbg,
					      (const unsigned char *)&pid,
					      sizeof(pid));
		if (ret)
			return fail(err, errlen, "cannot reseed the random "
				    "generator (mbedtls error -0x%04x)", -ret);
		rng.pid = pid;
		return 0;
	}
	mbedtls_entropy_init(&rng.entropy);
	mbedtls_ctr_drbg_init(&rng.drbg);
	ret = mbedtls_ctr_drbg_seed(&rng.drbg, mbedtls_entropy_func,
				    &rng.entropy, (const unsigned char *)custom,
				    sizeof(custom) - 1);
	if (ret) {
		mbedtls_ctr_drbg_free(&rng.drbg);
		mbedtls_entropy_free(&rng.entropy);
		return fail(err, errlen, "cannot seed the random generator "
			    "from the kernel (mbedtls error -0x%04x)", -ret);
	}
	rng.pid = pid;
	rng.ready = 1;
	return 0;
}

void et_seal_cleanup(void)
{
	if (!rng.ready)
		return;
	mbedtls_ctr_drbg_free(&rng.drbg);
	mbedtls_entropy_free(&rng.entropy);
	rng.ready = 0;
}

/* ------------------------------------------------------------------ keys */

static int contains(const uint8_t *buf, size_t len, const char *s)
{
	return memmem(buf, len, s, strlen(s)) != NULL;
}

/* The key id: SHA-256 of the SubjectPublicKeyInfo DER, first 16 bytes. */
static int key_id(const mbedtls_pk_context *pk, uint8_t *id)
{
	uint8_t der[160], hash[32];
	int n;

	/* mbedtls writes the DER at the end of the buffer */
	n = mbedtls_pk_write_pubkey_der(pk, der, sizeof(der));
	if (n <= 0 || mbedtls_sha256(der + sizeof(der) - n, n, hash, 0))
		return -1;
	memcpy(id, hash, ET_SEAL_KEY_ID_SIZE);
	return 0;
}

/* Parse @buf (NUL-terminated, @len with the NUL for PEM) as @kind. */
static int parse_as(mbedtls_pk_context *pk, const uint8_t *buf, size_t len,
		    enum et_key_kind kind)
{
	if (kind == ET_KEY_PUBLIC)
		return mbedtls_pk_parse_public_key(pk, buf, len);
	return mbedtls_pk_parse_key(pk, buf, len, NULL, 0,
				    mbedtls_ctr_drbg_random, &rng.drbg);
}

/* Whether the text parses as the other kind of key (for the message). */
static int parses_as(const uint8_t *buf, size_t len, enum et_key_kind kind)
{
	mbedtls_pk_context pk;
	int ok;

	mbedtls_pk_init(&pk);
	ok = !parse_as(&pk, buf, len, kind);
	mbedtls_pk_free(&pk);
	return ok;
}

static int wrong_kind(const char *what, enum et_key_kind kind, char *err,
		      size_t errlen)
{
	if (kind == ET_KEY_PUBLIC)
		return fail(err, errlen, "%s is a private key where a public "
			    "key is wanted: give the .pub file that "
			    "'edgetrace keygen' wrote beside it (a private key "
			    "does not belong there)", what);
	return fail(err, errlen, "%s is a public key where a private key "
		    "is wanted: give the .key file that 'edgetrace keygen' "
		    "wrote", what);
}

/* Why @buf did not parse as @kind: a sentence naming @what. */
static int parse_error(const char *what, const uint8_t *buf, size_t len,
		       size_t plen, enum et_key_kind kind, int ret, char *err,
		       size_t errlen)
{
	enum et_key_kind other = kind == ET_KEY_PUBLIC ? ET_KEY_PRIVATE :
						       ET_KEY_PUBLIC;

	if (contains(buf, len, "ENCRYPTED") ||
	    ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED)
		return fail(err, errlen, "%s is encrypted with a passphrase, "
			    "which edgetrace does not read: decrypt it first "
			    "(openssl pkey -in KEY -out PLAIN)", what);
	if (contains(buf, len, "-----BEGIN CERTIFICATE"))
		return fail(err, errlen, "%s is a certificate, not a key: give "
			    "the key file", what);
	if (parses_as(buf, plen, other))
		return wrong_kind(what, kind, err, errlen);
	return fail(err, errlen, "%s is not a %s key in PEM or DER (mbedtls "
		    "error -0x%04x): give a file written by 'edgetrace "
		    "keygen'", what, kind == ET_KEY_PUBLIC ? "public" :
		    "private", -ret);
}

/* Only P-256 EC keys; their point and id. */
static int check_key(const char *what, struct et_seal_key *k, char *err,
		     size_t errlen)
{
	const mbedtls_ecp_curve_info *ci;
	mbedtls_ecp_keypair *kp;
	mbedtls_ecp_group_id gid;
	size_t olen;

	if (mbedtls_pk_get_type(&k->pk) != MBEDTLS_PK_ECKEY)
		return fail(err, errlen, "%s is an %s key: edgetrace keys are "
			    "EC keys on curve P-256 (prime256v1): make them "
			    "with 'edgetrace keygen'", what,
			    mbedtls_pk_get_name(&k->pk));
	kp = mbedtls_pk_ec(k->pk);
	gid = mbedtls_ecp_keypair_get_group_id(kp);
	if (gid != MBEDTLS_ECP_DP_SECP256R1) {
		ci = mbedtls_ecp_curve_info_from_grp_id(gid);
		return fail(err, errlen, "%s is an EC key on curve %s: "
			    "edgetrace keys are on curve P-256 (prime256v1): "
			    "make them with 'edgetrace keygen'", what,
			    ci ? ci->name : "(unknown)");
	}
	if (mbedtls_ecp_write_public_key(kp, MBEDTLS_ECP_PF_UNCOMPRESSED,
					 &olen, k->point, sizeof(k->point)) ||
	    olen != ET_SEAL_POINT_SIZE || key_id(&k->pk, k->id))
		return fail(err, errlen, "%s: cannot encode its public key",
			    what);
	return 0;
}

struct et_seal_key *et_seal_key_parse(const char *what, const uint8_t *buf,
				      size_t len, enum et_key_kind kind,
				      char *err, size_t errlen)
{
	struct et_seal_key *k = NULL;
	uint8_t *text = NULL;
	size_t plen = len;
	int pem, ret;

	if (!len) {
		fail(err, errlen, "%s is empty: give a key file written by "
		     "'edgetrace keygen'", what);
		return NULL;
	}
	if (rng_ready(err, errlen))
		return NULL;
	/* mbedtls wants PEM NUL-terminated, the NUL counted */
	pem = contains(buf, len, "-----BEGIN ");
	text = malloc(len + 1);
	k = calloc(1, sizeof(*k));
	if (!text || !k) {
		fail(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(text, buf, len);
	text[len] = 0;
	if (pem)
		plen = len + 1;
	mbedtls_pk_init(&k->pk);
	k->kind = kind;
	if (pem && kind == ET_KEY_PUBLIC && contains(buf, len, "PRIVATE KEY-")) {
		wrong_kind(what, kind, err, errlen);
		goto fail;
	}
	ret = parse_as(&k->pk, text, plen, kind);
	if (ret) {
		parse_error(what, text, len, plen, kind, ret, err, errlen);
		goto fail;
	}
	if (check_key(what, k, err, errlen))
		goto fail;
	mbedtls_platform_zeroize(text, len);
	free(text);
	return k;
fail:
	if (text)
		mbedtls_platform_zeroize(text, len);
	free(text);
	et_seal_key_free(k);
	return NULL;
}

struct et_seal_key *et_seal_key_load(const char *what, const char *path,
				     enum et_key_kind kind, char *err,
				     size_t errlen)
{
	struct et_seal_key *k = NULL;
	size_t n = 0, lablen = strlen(what) + strlen(path) + 4;
	uint8_t *buf = malloc(KEY_FILE_MAX + 1);
	char *label = malloc(lablen);
	FILE *f = NULL;

	if (!buf || !label) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	snprintf(label, lablen, "%s '%s'", what, path);
	f = fopen(path, "rb");
	if (!f) {
		fail(err, errlen, "%s: cannot read it: %s", label,
		     strerror(errno));
		goto out;
	}
	n = fread(buf, 1, KEY_FILE_MAX + 1, f);
	if (ferror(f)) {
		fail(err, errlen, "%s: cannot read it: %s", label,
		     strerror(errno));
		goto out;
	}
	if (n > KEY_FILE_MAX) {
		fail(err, errlen, "%s is not a key: it is over %d KiB", label,
		     KEY_FILE_MAX / 1024);
		goto out;
	}
	k = et_seal_key_parse(label, buf, n, kind, err, errlen);
out:
	if (f)
		fclose(f);
	if (buf)
		mbedtls_platform_zeroize(buf, n);
	free(buf);
	free(label);
	return k;
}

void et_seal_key_free(struct et_seal_key *k)
{
	if (!k)
		return;
	mbedtls_pk_free(&k->pk);	/* wipes the private key */
	free(k);
}

const uint8_t *et_seal_key_id(const struct et_seal_key *k)
{
	return k->id;
}

int et_seal_key_is_private(const struct et_seal_key *k)
{
	return k->kind == ET_KEY_PRIVATE;
}

void et_seal_id_hex(const uint8_t *id, char out[2 * ET_SEAL_KEY_ID_SIZE + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < ET_SEAL_KEY_ID_SIZE; i++) {
		out[2 * i] = hex[id[i] >> 4];
		out[2 * i + 1] = hex[id[i] & 15];
	}
	out[2 * ET_SEAL_KEY_ID_SIZE] = 0;
}

int et_seal_keygen(char *priv, size_t privlen, char *pub, size_t publen,
		   uint8_t id[ET_SEAL_KEY_ID_SIZE], char *err, size_t errlen)
{
	mbedtls_pk_context pk;
	int ret, rc = -1;

	mbedtls_pk_init(&pk);
	if (rng_ready(err, errlen))
		goto out;
	ret = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (!ret)
		ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
					  mbedtls_pk_ec(pk),
					  mbedtls_ctr_drbg_random, &rng.drbg);
	if (ret) {
		fail(err, errlen, "cannot make a P-256 key pair (mbedtls error "
		     "-0x%04x)", -ret);
		goto out;
	}
	ret = mbedtls_pk_write_key_pem(&pk, (unsigned char *)priv, privlen);
	if (!ret)
		ret = mbedtls_pk_write_pubkey_pem(&pk, (unsigned char *)pub,
						  publen);
	if (ret || key_id(&pk, id)) {
		fail(err, errlen, "cannot write the key pair as PEM (mbedtls "
		     "error -0x%04x)", -ret);
		goto out;
	}
	rc = 0;
out:
	mbedtls_pk_free(&pk);
	return rc;
}

/* --------------------------------------------------------------- batches */

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* A varint at *@p before @end, at most 64 bits; -1 if not well formed. */
static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		if (shift == 63 && b > 1)
			return -1;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

void et_batch_init(struct et_batch *b)
{
	memset(b, 0, sizeof(*b));
}

static int batch_reserve(struct et_batch *b, size_t size)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *p;

	if (size <= b->cap)
		return 0;
	while (cap < size)
		cap *= 2;
	p = realloc(b->buf, cap);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	b->buf = p;
	b->cap = cap;
	return 0;
}

int et_batch_add(struct et_batch *b, uint64_t seq, const uint8_t *rec,
		 size_t len)
{
	uint64_t gap = b->count ? seq - b->last - 1 : 0;
	size_t n;

	if (!seq || !len || len > ET_REC_MAX_SIZE ||
	    (b->count && seq <= b->last)) {
		errno = EINVAL;
		return -1;
	}
	if (b->len + 20 + len > ET_SEAL_RAW_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (batch_reserve(b, b->len + 20 + len))
		return -1;
	n = b->len;
	n += put_varint(b->buf + n, gap);
	n += put_varint(b->buf + n, len);
	memcpy(b->buf + n, rec, len);
	b->len = n + len;
	if (!b->count)
		b->first = seq;
	b->last = seq;
	b->count++;
	return 0;
}

void et_batch_clear(struct et_batch *b)
{
	b->len = 0;
	b->first = b->last = 0;
	b->count = 0;
}

void et_batch_free(struct et_batch *b)
{
	free(b->buf);
	et_batch_init(b);
}

/*
 * Walk the payload @p, @len bytes, whose first record is @first: check
 * every entry and call @cb (if any). *@last and *@count: what was walked.
 * -1 (with @why) if an entry is malformed, else @cb's non-zero or 0.
 */
static int walk(const uint8_t *p, size_t len, uint64_t first, et_spool_cb cb,
		void *arg, uint64_t *last, uint32_t *count, const char **why)
{
	const uint8_t *end = p + len;
	uint64_t seq = first, gap, n;
	uint32_t i = 0;
	int ret;

	for (; p < end; i++) {
		if (get_varint(&p, end, &gap) || get_varint(&p, end, &n)) {
			*why = "a record's sequence number or length is cut";
			return -1;
		}
		if (!i && gap) {
			*why = "the first record is not the first sequence number";
			return -1;
		}
		if (i && (seq == UINT64_MAX || gap > UINT64_MAX - seq - 1)) {
			*why = "a sequence number is out of range";
			return -1;
		}
		if (i)
			seq += gap + 1;
		if (!n) {
			*why = "a record is empty";
			return -1;
		}
		if (n > ET_REC_MAX_SIZE || n > (uint64_t)(end - p)) {
			*why = "a record's length runs past the payload or the "
			       "largest record";
			return -1;
		}
		if (cb && (ret = cb(seq, p, n, arg)))
			return ret;
		p += n;
	}
	*last = seq;
	*count = i;
	return 0;
}

int et_batch_foreach(const struct et_batch *b, et_spool_cb cb, void *arg)
{
	const char *why;
	uint64_t last;
	uint32_t count;

	return walk(b->buf, b->len, b->first, cb, arg, &last, &count, &why);
}

/* ------------------------------------------------------------ the header */

static int valid_device_id(const char *s, size_t len)
{
	if (!len || len > ET_SEAL_DEVICE_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-", s[i]) ||
		    !s[i])
			return 0;
	return 1;
}

int et_seal_device_id_ok(const char *s)
{
	return valid_device_id(s, strlen(s));
}

static void put_header(uint8_t *p, const struct et_seal_hdr *h)
{
	size_t idlen = strlen(h->device_id);

	memcpy(p + OFF_MAGIC, ET_SEAL_MAGIC, 4);
	p[OFF_VERSION] = h->version;
	p[OFF_SUITE] = h->suite;
	p[OFF_COMPRESSION] = h->compression;
	p[OFF_ID_LEN] = (uint8_t)idlen;
	put_le32(p + OFF_FLAGS, h->flags);
	put_le32(p + OFF_COUNT, h->count);
	put_le64(p + OFF_BATCH_SEQ, h->batch_seq);
	put_le64(p + OFF_FIRST, h->first_seq);
	put_le64(p + OFF_LAST, h->last_seq);
	put_le32(p + OFF_RAW_LEN, h->raw_len);
	put_le32(p + OFF_SEALED_LEN, h->sealed_len);
	memcpy(p + OFF_FLEET_ID, h->fleet_key_id, ET_SEAL_KEY_ID_SIZE);
	memcpy(p + OFF_DEVICE_KEY_ID, h->device_key_id, ET_SEAL_KEY_ID_SIZE);
	memcpy(p + OFF_EPHEMERAL, h->ephemeral, ET_SEAL_POINT_SIZE);
	memcpy(p + OFF_DEVICE_ID, h->device_id, idlen);
}

/* The header's numbers must describe a batch that can exist. */
static int check_header(const struct et_seal_hdr *h, char *err, size_t errlen)
{
	if (h->version != ET_SEAL_VERSION)
		return fail(err, errlen, "sealed batch format %u is not one "
			    "this edgetrace reads (%d)%s", h->version,
			    ET_SEAL_VERSION, h->version > ET_SEAL_VERSION ?
			    ": decode it with a newer edgetrace" : "");
	if (h->suite != ET_SEAL_SUITE_P256)
		return fail(err, errlen, "unknown cipher suite %u", h->suite);
	if (h->compression > ET_SEAL_COMP_ZLIB)
		return fail(err, errlen, "unknown compression %u",
			    h->compression);
	if (!h->count || !h->first_seq || h->last_seq < h->first_seq ||
	    h->last_seq - h->first_seq < h->count - 1)
		return fail(err, errlen, "its header is impossible: %u records "
			    "in seqs %llu-%llu", h->count,
			    (unsigned long long)h->first_seq,
			    (unsigned long long)h->last_seq);
	if (h->raw_len > ET_SEAL_RAW_MAX || h->raw_len / 2 < h->count ||
	    h->sealed_len > h->raw_len ||
	    (h->compression == ET_SEAL_COMP_NONE &&
	     h->sealed_len != h->raw_len))
		return fail(err, errlen, "its header is impossible: %u "
			    "records in %u bytes, sealed in %u", h->count,
			    h->raw_len, h->sealed_len);
	return 0;
}

int et_seal_header(const uint8_t *buf, size_t len, struct et_seal_hdr *h,
		   char *err, size_t errlen)
{
	size_t idlen;

	memset(h, 0, sizeof(*h));
	if (len < 4 ? memcmp(buf, ET_SEAL_MAGIC, len) :
		      memcmp(buf, ET_SEAL_MAGIC, 4))
		return fail(err, errlen, "not a sealed batch (it does not "
			    "start with " ET_SEAL_MAGIC ")");
	if (len < ET_SEAL_FIXED_SIZE)
		return ET_SEAL_FIXED_SIZE;
	idlen = buf[OFF_ID_LEN];
	h->version = buf[OFF_VERSION];
	h->suite = buf[OFF_SUITE];
	h->compression = buf[OFF_COMPRESSION];
	h->flags = get_le32(buf + OFF_FLAGS);
	h->count = get_le32(buf + OFF_COUNT);
	h->batch_seq = get_le64(buf + OFF_BATCH_SEQ);
	h->first_seq = get_le64(buf + OFF_FIRST);
	h->last_seq = get_le64(buf + OFF_LAST);
	h->raw_len = get_le32(buf + OFF_RAW_LEN);
	h->sealed_len = get_le32(buf + OFF_SEALED_LEN);
	memcpy(h->fleet_key_id, buf + OFF_FLEET_ID, ET_SEAL_KEY_ID_SIZE);
	memcpy(h->device_key_id, buf + OFF_DEVICE_KEY_ID, ET_SEAL_KEY_ID_SIZE);
	memcpy(h->ephemeral, buf + OFF_EPHEMERAL, ET_SEAL_POINT_SIZE);
	if (check_header(h, err, errlen))
		return -1;
	if (!idlen || idlen > ET_SEAL_DEVICE_ID_MAX)
		return fail(err, errlen, "its device id is %zu bytes long (1 "
			    "to %d)", idlen, ET_SEAL_DEVICE_ID_MAX);
	if (len < ET_SEAL_FIXED_SIZE + idlen)
		return (int)(ET_SEAL_FIXED_SIZE + idlen);
	if (!valid_device_id((const char *)buf + OFF_DEVICE_ID, idlen))
		return fail(err, errlen, "its device id has characters other "
			    "than A-Z a-z 0-9 . _ : @ -");
	memcpy(h->device_id, buf + OFF_DEVICE_ID, idlen);
	h->device_id[idlen] = 0;
	h->hdr_len = ET_SEAL_FIXED_SIZE + idlen;
	h->total_len = h->hdr_len + h->sealed_len + ET_SEAL_TAG_SIZE +
		       ET_SEAL_SIG_SIZE;
	return 0;
}

/* ------------------------------------------------------ key derivation */

/*
 * The shared secret into @okm: AES-256 key, then GCM nonce.
 * HKDF-SHA256(salt = hkdf_salt, IKM = the ECDH secret,
 * info = ephemeral point || fleet point).
 */
static int derive(const uint8_t *secret, const uint8_t *ephemeral,
		  const uint8_t *fleet_point, uint8_t *okm)
{
	uint8_t info[2 * ET_SEAL_POINT_SIZE];

	memcpy(info, ephemeral, ET_SEAL_POINT_SIZE);
	memcpy(info + ET_SEAL_POINT_SIZE, fleet_point, ET_SEAL_POINT_SIZE);
	return mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
			    (const unsigned char *)hkdf_salt,
			    sizeof(hkdf_salt) - 1, secret, SECRET_SIZE, info,
			    sizeof(info), okm, OKM_SIZE);
}

/* --------------------------------------------------------------- sealing */

struct et_sealer *et_sealer_new(const struct et_seal_key *fleet,
				const struct et_seal_key *device,
				const char *device_id, uint32_t flags,
				char *err, size_t errlen)
{
	struct et_sealer *s;

	if (fleet->kind != ET_KEY_PUBLIC || device->kind != ET_KEY_PRIVATE) {
		fail(err, errlen, "sealing needs the fleet's public key and "
		     "the device's private key");
		return NULL;
	}
	if (device_id && !valid_device_id(device_id, strlen(device_id))) {
		fail(err, errlen, "device id '%s' is not 1 to %d of A-Z a-z "
		     "0-9 . _ : @ -", device_id, ET_SEAL_DEVICE_ID_MAX);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	s->fleet = fleet;
	s->device = device;
	s->flags = flags;
	if (device_id)
		snprintf(s->device_id, sizeof(s->device_id), "%s", device_id);
	else
		et_seal_id_hex(device->id, s->device_id);
	return s;
}

const char *et_sealer_device_id(const struct et_sealer *s)
{
	return s->device_id;
}

void et_sealer_free(struct et_sealer *s)
{
	if (!s)
		return;
	free(s->out);
	free(s);
}

/*
 * A fresh ephemeral key pair: its public point into @h, the secret it
 * shares with the fleet's key into @okm (derived). The private half is
 * gone when this returns.
 */
static int agree_sealing(const struct et_seal_key *fleet,
			 struct et_seal_hdr *h, uint8_t *okm)
{
	uint8_t tls[1 + ET_SEAL_POINT_SIZE], secret[SECRET_SIZE];
	mbedtls_ecdh_context ecdh;
	size_t olen;
	int ret;

	mbedtls_ecdh_init(&ecdh);
	ret = mbedtls_ecdh_setup(&ecdh, MBEDTLS_ECP_DP_SECP256R1);
	if (ret)
		goto out;
	/* the point as TLS writes it: a length byte, then 04 x y */
	ret = mbedtls_ecdh_make_public(&ecdh, &olen, tls, sizeof(tls),
				       mbedtls_ctr_drbg_random, &rng.drbg);
	if (ret)
		goto out;
	ret = -1;
	if (olen != sizeof(tls) || tls[0] != ET_SEAL_POINT_SIZE)
		goto out;
	memcpy(h->ephemeral, tls + 1, ET_SEAL_POINT_SIZE);
	ret = mbedtls_ecdh_get_params(&ecdh, mbedtls_pk_ec(fleet->pk),
				      MBEDTLS_ECDH_THEIRS);
	if (ret)
		goto out;
	ret = mbedtls_ecdh_calc_secret(&ecdh, &olen, secret, sizeof(secret),
				       mbedtls_ctr_drbg_random, &rng.drbg);
	if (!ret && olen != sizeof(secret))
		ret = -1;
	if (!ret)
		ret = derive(secret, h->ephemeral, fleet->point, okm);
out:
	mbedtls_ecdh_free(&ecdh);	/* wipes the ephemeral private key */
	mbedtls_platform_zeroize(secret, sizeof(secret));
	return ret;
}

/* Sign @len bytes at @p with the device key: r || s into @sig. */
static int sign(const struct et_seal_key *device, const uint8_t *p,
		size_t len, uint8_t *sig)
{
	uint8_t hash[32], der[80];
	size_t derlen, rawlen;
	int ret;

	ret = mbedtls_sha256(p, len, hash, 0);
	if (!ret)
		ret = mbedtls_pk_sign((mbedtls_pk_context *)&device->pk,
				      MBEDTLS_MD_SHA256, hash, sizeof(hash),
				      der, sizeof(der), &derlen,
				      mbedtls_ctr_drbg_random, &rng.drbg);
	if (!ret)
		ret = mbedtls_ecdsa_der_to_raw(COORD_BITS, der, derlen, sig,
					       ET_SEAL_SIG_SIZE, &rawlen);
	if (!ret && rawlen != ET_SEAL_SIG_SIZE)
		ret = -1;
	return ret;
}

/* The records into @body: zlib when it makes them smaller, else as is. */
static void compress_payload(const struct et_batch *b, uint8_t *body,
			     size_t room, struct et_seal_hdr *h)
{
	uLongf clen = room;

	if (compress2(body, &clen, b->buf, b->len, ZLIB_LEVEL) == Z_OK &&
	    clen < b->len) {
		h->compression = ET_SEAL_COMP_ZLIB;
		h->sealed_len = (uint32_t)clen;
		return;
	}
	h->compression = ET_SEAL_COMP_NONE;
	h->sealed_len = (uint32_t)b->len;
	memcpy(body, b->buf, b->len);
}

int et_seal(struct et_sealer *s, uint64_t batch_seq, const struct et_batch *b,
	    const uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	struct et_seal_hdr h = {
		.version = ET_SEAL_VERSION,
		.suite = ET_SEAL_SUITE_P256,
		.flags = s->flags,
		.count = b->count,
		.batch_seq = batch_seq,
		.first_seq = b->first,
		.last_seq = b->last,
		.raw_len = (uint32_t)b->len,
	};
	size_t room = compressBound(b->len), need;
	uint8_t okm[OKM_SIZE], *body;
	mbedtls_gcm_context gcm;
	int ret, rc = -1;

	if (!b->count || b->len > ET_SEAL_RAW_MAX)
		return fail(err, errlen, "cannot seal a batch of %u records "
			    "in %zu bytes", b->count, b->len);
	h.hdr_len = ET_SEAL_FIXED_SIZE + strlen(s->device_id);
	need = h.hdr_len + (room > b->len ? room : b->len) +
	       ET_SEAL_TAG_SIZE + ET_SEAL_SIG_SIZE;
	if (need > s->cap) {
		uint8_t *p = realloc(s->out, need);

		if (!p)
			return fail(err, errlen, "out of memory");
		s->out = p;
		s->cap = need;
	}
	if (rng_ready(err, errlen))
		return -1;
	mbedtls_gcm_init(&gcm);
	body = s->out + h.hdr_len;
	compress_payload(b, body, room, &h);
	memcpy(h.fleet_key_id, s->fleet->id, ET_SEAL_KEY_ID_SIZE);
	memcpy(h.device_key_id, s->device->id, ET_SEAL_KEY_ID_SIZE);
	memcpy(h.device_id, s->device_id, sizeof(h.device_id));
	ret = agree_sealing(s->fleet, &h, okm);
	if (ret) {
		fail(err, errlen, "cannot agree a key with the fleet key "
		     "(mbedtls error -0x%04x)", -ret);
		goto out;
	}
	put_header(s->out, &h);
	ret = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, okm,
				 8 * AES_KEY_SIZE);
	if (!ret)
		ret = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT,
						h.sealed_len, okm + AES_KEY_SIZE,
						NONCE_SIZE, s->out, h.hdr_len,
						body, body, ET_SEAL_TAG_SIZE,
						body + h.sealed_len);
	if (ret) {
		fail(err, errlen, "cannot encrypt the batch (mbedtls error "
		     "-0x%04x)", -ret);
		goto out;
	}
	*outlen = h.hdr_len + h.sealed_len + ET_SEAL_TAG_SIZE;
	ret = sign(s->device, s->out, *outlen, s->out + *outlen);
	if (ret) {
		fail(err, errlen, "cannot sign the batch with the device key "
		     "(mbedtls error -0x%04x)", -ret);
		goto out;
	}
	*outlen += ET_SEAL_SIG_SIZE;
	*out = s->out;
	rc = 0;
out:
	mbedtls_gcm_free(&gcm);
	mbedtls_platform_zeroize(okm, sizeof(okm));
	return rc;
}

/* --------------------------------------------------------------- opening */

struct et_opener *et_opener_new(const struct et_seal_key *fleet, char *err,
				size_t errlen)
{
	struct et_opener *o;

	if (fleet->kind != ET_KEY_PRIVATE) {
		fail(err, errlen, "opening needs the fleet's private key");
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	o->fleet = fleet;
	return o;
}

int et_opener_trust(struct et_opener *o, const struct et_seal_key *device,
		    char *err, size_t errlen)
{
	const struct et_seal_key **v;

	v = realloc(o->devices, (o->ndevices + 1) * sizeof(*v));
	if (!v)
		return fail(err, errlen, "out of memory");
	o->devices = v;
	o->devices[o->ndevices++] = device;
	return 0;
}

void et_opener_skip_verify(struct et_opener *o)
{
	o->skip_verify = 1;
}

void et_opener_free(struct et_opener *o)
{
	if (!o)
		return;
	free(o->devices);
	free(o->plain);
	free(o);
}

static int verify(struct et_opener *o, const uint8_t *buf,
		  const struct et_seal_hdr *h, char *err, size_t errlen)
{
	const struct et_seal_key *dev = NULL;
	size_t signed_len = h->total_len - ET_SEAL_SIG_SIZE, derlen;
	uint8_t hash[32], der[80];
	char hex[2 * ET_SEAL_KEY_ID_SIZE + 1];

	et_seal_id_hex(h->device_key_id, hex);
	for (size_t i = 0; i < o->ndevices && !dev; i++)
		if (!memcmp(o->devices[i]->id, h->device_key_id,
			    ET_SEAL_KEY_ID_SIZE))
			dev = o->devices[i];
	if (!dev)
		return fail(err, errlen, "it is signed by device key %s, which "
			    "is not one of the trusted device keys", hex);
	if (mbedtls_sha256(buf, signed_len, hash, 0) ||
	    mbedtls_ecdsa_raw_to_der(COORD_BITS, buf + signed_len,
				     ET_SEAL_SIG_SIZE, der, sizeof(der),
				     &derlen) ||
	    mbedtls_pk_verify((mbedtls_pk_context *)&dev->pk,
			      MBEDTLS_MD_SHA256, hash, sizeof(hash), der,
			      derlen))
		return fail(err, errlen, "its signature does not verify with "
			    "device key %s: it was changed after it was "
			    "sealed, or not sealed by that key", hex);
	return 0;
}

/* The secret the batch's ephemeral key shares with the fleet's key. */
static int agree_opening(const struct et_seal_key *fleet,
			 const struct et_seal_hdr *h, uint8_t *okm)
{
	uint8_t tls[1 + ET_SEAL_POINT_SIZE], secret[SECRET_SIZE];
	mbedtls_ecdh_context ecdh;
	size_t olen;
	int ret;

	mbedtls_ecdh_init(&ecdh);
	tls[0] = ET_SEAL_POINT_SIZE;
	memcpy(tls + 1, h->ephemeral, ET_SEAL_POINT_SIZE);
	ret = mbedtls_ecdh_setup(&ecdh, MBEDTLS_ECP_DP_SECP256R1);
	if (!ret)
		ret = mbedtls_ecdh_get_params(&ecdh, mbedtls_pk_ec(fleet->pk),
					      MBEDTLS_ECDH_OURS);
	/* checks that the point is on the curve */
	if (!ret)
		ret = mbedtls_ecdh_read_public(&ecdh, tls, sizeof(tls));
	if (!ret)
		ret = mbedtls_ecdh_calc_secret(&ecdh, &olen, secret,
					       sizeof(secret),
					       mbedtls_ctr_drbg_random,
					       &rng.drbg);
	if (!ret && olen != sizeof(secret))
		ret = -1;
	if (!ret)
		ret = derive(secret, h->ephemeral, fleet->point, okm);
	mbedtls_ecdh_free(&ecdh);
	mbedtls_platform_zeroize(secret, sizeof(secret));
	return ret;
}

/* Decrypt the ciphertext into @dst (sealed_len bytes). */
static int decrypt(const struct et_seal_key *fleet, const uint8_t *buf,
		   const struct et_seal_hdr *h, uint8_t *dst, char *err,
		   size_t errlen)
{
	const uint8_t *body = buf + h->hdr_len;
	uint8_t okm[OKM_SIZE];
	mbedtls_gcm_context gcm;
	int ret;

	mbedtls_gcm_init(&gcm);
	ret = agree_opening(fleet, h, okm);
	if (ret) {
		fail(err, errlen, "its ephemeral key is not a P-256 point the "
		     "fleet key agrees with (mbedtls error -0x%04x)", -ret);
		goto out;
	}
	ret = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, okm,
				 8 * AES_KEY_SIZE);
	if (!ret)
		ret = mbedtls_gcm_auth_decrypt(&gcm, h->sealed_len,
					       okm + AES_KEY_SIZE, NONCE_SIZE,
					       buf, h->hdr_len,
					       body + h->sealed_len,
					       ET_SEAL_TAG_SIZE, body, dst);
	if (ret == MBEDTLS_ERR_GCM_AUTH_FAILED)
		fail(err, errlen, "it does not decrypt (the GCM tag does not "
		     "match): it was changed after it was sealed, or sealed "
		     "for another fleet key");
	else if (ret)
		fail(err, errlen, "cannot decrypt it (mbedtls error -0x%04x)",
		     -ret);
out:
	mbedtls_gcm_free(&gcm);
	mbedtls_platform_zeroize(okm, sizeof(okm));
	return ret ? -1 : 0;
}

/* The plaintext into @b's records, decompressed. */
static int unpack(struct et_opener *o, const uint8_t *buf,
		  const struct et_seal_hdr *h, struct et_batch *b, char *err,
		  size_t errlen)
{
	uLongf dlen = h->raw_len;

	if (batch_reserve(b, h->raw_len ? h->raw_len : 1))
		return fail(err, errlen, "out of memory");
	if (h->compression == ET_SEAL_COMP_NONE)
		return decrypt(o->fleet, buf, h, b->buf, err, errlen);
	if (h->sealed_len > o->cap) {
		uint8_t *p = realloc(o->plain, h->sealed_len);

		if (!p)
			return fail(err, errlen, "out of memory");
		o->plain = p;
		o->cap = h->sealed_len;
	}
	if (decrypt(o->fleet, buf, h, o->plain, err, errlen))
		return -1;
	if (uncompress(b->buf, &dlen, o->plain, h->sealed_len) != Z_OK ||
	    dlen != h->raw_len)
		return fail(err, errlen, "its records do not decompress to "
			    "the %u bytes its header says", h->raw_len);
	return 0;
}

int et_seal_open(struct et_opener *o, const uint8_t *buf, size_t len,
		 struct et_seal_hdr *h, struct et_batch *b, char *err,
		 size_t errlen)
{
	char want[2 * ET_SEAL_KEY_ID_SIZE + 1], have[2 * ET_SEAL_KEY_ID_SIZE + 1];
	const char *why = NULL;
	uint64_t last;
	uint32_t count;
	int ret;

	et_batch_clear(b);
	ret = et_seal_header(buf, len, h, err, errlen);
	if (ret > 0)
		return fail(err, errlen, "it is cut short: %zu bytes, less "
			    "than its header", len);
	if (ret)
		return -1;
	if (len != h->total_len)
		return fail(err, errlen, "it is %zu bytes where its header "
			    "says %zu", len, h->total_len);
	if (memcmp(h->fleet_key_id, o->fleet->id, ET_SEAL_KEY_ID_SIZE)) {
		et_seal_id_hex(h->fleet_key_id, want);
		et_seal_id_hex(o->fleet->id, have);
		return fail(err, errlen, "it is sealed for fleet key %s, not "
			    "for this one (%s): give the fleet key it was "
			    "sealed for", want, have);
	}
	if (!o->skip_verify && verify(o, buf, h, err, errlen))
		return -1;
	if (rng_ready(err, errlen) || unpack(o, buf, h, b, err, errlen))
		goto fail;
	b->len = h->raw_len;
	b->first = h->first_seq;
	if (walk(b->buf, b->len, h->first_seq, NULL, NULL, &last, &count,
		 &why)) {
		fail(err, errlen, "its records are malformed: %s", why);
		goto fail;
	}
	if (count != h->count || last != h->last_seq) {
		fail(err, errlen, "its records (%u, up to seq %llu) are not "
		     "what its header says (%u, up to seq %llu)", count,
		     (unsigned long long)last, h->count,
		     (unsigned long long)h->last_seq);
		goto fail;
	}
	b->last = last;
	b->count = count;
	return 0;
fail:
	et_batch_clear(b);
	return -1;
}
