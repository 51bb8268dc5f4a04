/* SPDX-License-Identifier: GPL-2.0 */
/*
 * seal.h - sealed batches: records compressed, encrypted to the fleet and
 * signed by the device (docs/sealed-format.md has the byte layout). The
 * only public header of uplink/.
 *
 * A batch is a run of spool records (struct et_batch: each with its
 * sequence number, in the spool's own record encoding). et_seal() turns
 * one into a sealed batch: a fresh ephemeral P-256 key pair, ECDH with the
 * fleet's public key, HKDF-SHA256 to an AES-256-GCM key and nonce, the
 * records zlib-compressed and encrypted with the header as additional
 * data, and header, ciphertext and tag signed with the device's ECDSA
 * P-256 key. The ephemeral private key and every derived secret are wiped
 * before et_seal() returns: the device keeps nothing that decrypts a batch
 * it sealed. et_seal_open() does the reverse on the fleet side (decode,
 * the collector): it checks the signature against the device's public
 * key, decrypts with the fleet's private key, decompresses and checks the
 * records against the header, or says why not.
 *
 * All cryptography is mbedtls (3.6), all compression zlib. Randomness
 * comes from mbedtls' CTR-DRBG seeded from the kernel (getrandom), reseeded
 * in a forked child. Single-threaded, like the agent.
 *
 * Errors: functions that can fail return -1 (NULL) with a sentence in the
 * caller's @err buffer saying what was wrong and what to do.
 */
#ifndef EDGETRACE_SEAL_H
#define EDGETRACE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "storage.h"

#define ET_SEAL_MAGIC		"ETSB"
#define ET_SEAL_VERSION		1
/* P-256 ECDH, HKDF-SHA256, AES-256-GCM, ECDSA P-256 with SHA-256 */
#define ET_SEAL_SUITE_P256	1
#define ET_SEAL_COMP_NONE	0
#define ET_SEAL_COMP_ZLIB	1
/* flags: the batch was written by `export --format sealed`, not the uplink */
#define ET_SEAL_FLAG_EXPORT	0x1u

#define ET_SEAL_KEY_ID_SIZE	16	/* SHA-256 of the public key's DER, cut */
#define ET_SEAL_POINT_SIZE	65	/* an uncompressed P-256 point */
#define ET_SEAL_TAG_SIZE	16
#define ET_SEAL_SIG_SIZE	64	/* ECDSA r || s, 32 bytes each */
#define ET_SEAL_FIXED_SIZE	145	/* the header up to the device id */
#define ET_SEAL_DEVICE_ID_MAX	64
#define ET_SEAL_HDR_MAX		(ET_SEAL_FIXED_SIZE + ET_SEAL_DEVICE_ID_MAX)
/* The records of a batch, uncompressed, take at most this many bytes. */
#define ET_SEAL_RAW_MAX		(16u << 20)
/* The longest sealed batch: the ciphertext is never longer than the raw. */
#define ET_SEAL_BATCH_MAX	(ET_SEAL_HDR_MAX + ET_SEAL_RAW_MAX + \
				 ET_SEAL_TAG_SIZE + ET_SEAL_SIG_SIZE)

/* ------------------------------------------------------------------ keys */

/* A P-256 key: a public key, or a private key with its public key. */
struct et_seal_key;

enum et_key_kind { ET_KEY_PUBLIC, ET_KEY_PRIVATE };

/*
 * Load a PEM (or DER) key of @kind from @path. @what names where the path
 * came from ("--fleet-pub") in the messages: a missing or unreadable file,
 * a private key where a public one is wanted or the reverse, an encrypted
 * key, a key of another type (RSA) or curve, something that is not a key.
 */
struct et_seal_key *et_seal_key_load(const char *what, const char *path,
				     enum et_key_kind kind, char *err,
				     size_t errlen);
/* The same from @len bytes at @buf (PEM text need not be NUL-terminated). */
struct et_seal_key *et_seal_key_parse(const char *what, const uint8_t *buf,
				      size_t len, enum et_key_kind kind,
				      char *err, size_t errlen);
void et_seal_key_free(struct et_seal_key *k);

/* The key id: the first 16 bytes of SHA-256 of the public key's DER. */
const uint8_t *et_seal_key_id(const struct et_seal_key *k);
int et_seal_key_is_private(const struct et_seal_key *k);
/* @id (16 bytes) as 32 lowercase hex digits and a NUL, into @out. */
void et_seal_id_hex(const uint8_t *id, char out[2 * ET_SEAL_KEY_ID_SIZE + 1]);

/*
 * A new P-256 key pair as PEM text: the private key (SEC 1, "BEGIN EC
 * PRIVATE KEY") into @priv, the public key ("BEGIN PUBLIC KEY") into @pub,
 * each NUL-terminated; its key id into @id. Wipe @priv after use.
 */
int et_seal_keygen(char *priv, size_t privlen, char *pub, size_t publen,
		   uint8_t id[ET_SEAL_KEY_ID_SIZE], char *err, size_t errlen);

/* --------------------------------------------------------------- batches */

/*
 * The records of a batch, in the payload's encoding: for each record, a
 * varint of the sequence number's distance from the previous one less one
 * (0 for the first), a varint length and the record's bytes.
 */
struct et_batch {
	uint8_t *buf;
	size_t len, cap;
	uint64_t first, last;	/* sequence numbers of its first and last */
	uint32_t count;
};

void et_batch_init(struct et_batch *b);
/*
 * Append a record (1 to ET_REC_MAX_SIZE bytes) with sequence number
 * @seq, which must be above the last one's. -1 if it does not or the
 * record is empty (errno EINVAL), if the batch would pass ET_SEAL_RAW_MAX
 * (E2BIG) or out of memory (ENOMEM).
 */
int et_batch_add(struct et_batch *b, uint64_t seq, const uint8_t *rec,
		 size_t len);
/* Empty it, keeping its buffer. */
void et_batch_clear(struct et_batch *b);
void et_batch_free(struct et_batch *b);
/*
 * Call @cb for each record, in order, until it returns non-zero (which is
 * returned); -1 if the payload is malformed.
 */
int et_batch_foreach(const struct et_batch *b, et_spool_cb cb, void *arg);

/* ------------------------------------------------------------ the header */

struct et_seal_hdr {
	uint8_t version, suite, compression;
	uint32_t flags;
	uint32_t count;			/* records */
	uint64_t batch_seq;
	uint64_t first_seq, last_seq;	/* spool seqs of the records */
	uint32_t raw_len;		/* the payload before compression */
	uint32_t sealed_len;		/* the ciphertext */
	uint8_t fleet_key_id[ET_SEAL_KEY_ID_SIZE];
	uint8_t device_key_id[ET_SEAL_KEY_ID_SIZE];
	uint8_t ephemeral[ET_SEAL_POINT_SIZE];
	char device_id[ET_SEAL_DEVICE_ID_MAX + 1];
	size_t hdr_len;			/* the header's bytes */
	size_t total_len;		/* the batch's bytes, signature included */
};

/*
 * Parse the header of the batch that starts at @buf (@len bytes there).
 * Returns 0 with @h filled (h->total_len says where the batch ends), a
 * positive number of bytes when @len is too short to tell (at most
 * ET_SEAL_HDR_MAX), or -1 when it is not a batch this edgetrace reads.
 */
int et_seal_header(const uint8_t *buf, size_t len, struct et_seal_hdr *h,
		   char *err, size_t errlen);

/* ---------------------------------------------------- sealing (device) */

struct et_sealer;

/*
 * A sealer for the fleet's public key @fleet and the device's private key
 * @device (both kept by reference: free them after the sealer). @device_id:
 * 1 to 64 of A-Z a-z 0-9 . _ : @ -; NULL: the device key's id in hex.
 * @flags go into every header (ET_SEAL_FLAG_EXPORT).
 */
struct et_sealer *et_sealer_new(const struct et_seal_key *fleet,
				const struct et_seal_key *device,
				const char *device_id, uint32_t flags,
				char *err, size_t errlen);
/*
 * Seal batch @b (at least one record) as batch number @batch_seq. *@out
 * points to the sealed batch, *@outlen bytes, valid until the next call
 * or et_sealer_free.
 */
int et_seal(struct et_sealer *s, uint64_t batch_seq, const struct et_batch *b,
	    const uint8_t **out, size_t *outlen, char *err, size_t errlen);
const char *et_sealer_device_id(const struct et_sealer *s);
void et_sealer_free(struct et_sealer *s);
/* Whether @s is a device id: 1 to 64 of A-Z a-z 0-9 . _ : @ - */
int et_seal_device_id_ok(const char *s);

/* ---------------------------------------------- opening (fleet side) */

struct et_opener;

/* An opener for the fleet's private key @fleet (kept by reference). */
struct et_opener *et_opener_new(const struct et_seal_key *fleet, char *err,
				size_t errlen);
/*
 * Trust batches signed by the device key @device (a public key, kept by
 * reference). An opener that trusts no key refuses every batch, unless
 * et_opener_skip_verify() was called: then it opens batches without
 * checking their signatures (anyone who has the fleet's public key can
 * seal a batch, so their origin is then unknown).
 */
int et_opener_trust(struct et_opener *o, const struct et_seal_key *device,
		    char *err, size_t errlen);
void et_opener_skip_verify(struct et_opener *o);

/*
 * Open the batch of @len bytes at @buf (exactly one batch): check its
 * header, its signature, decrypt, decompress and check its records
 * against the header. On success @h has the header and @b (initialised
 * by the caller, emptied first) the records. On failure -1 with the
 * reason in @err, and @b holds nothing of the batch.
 */
int et_seal_open(struct et_opener *o, const uint8_t *buf, size_t len,
		 struct et_seal_hdr *h, struct et_batch *b, char *err,
		 size_t errlen);
void et_opener_free(struct et_opener *o);

/* Free the random generator (at exit; it is set up again when needed). */
void et_seal_cleanup(void);

#endif /* EDGETRACE_SEAL_H */
