// SPDX-License-Identifier: GPL-2.0
/*
 * test_seal.c - sealed batches (uplink/seal.c): a round trip; every
 * single-bit flip refused; a batch signed by another device, or opened
 * with another fleet key, refused; the header authenticated twice (by
 * the signature, and as GCM's additional data when the batch is
 * re-signed after the change); a fresh ephemeral key per batch; the
 * payload checked against the header; and the key files: each wrong kind
 * refused with a message naming it.
 */
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/sha256.h>

#include "check.h"
#include "seal.h"

/* A key pair made with et_seal_keygen, as PEM and loaded. */
struct pair {
	char priv[1024], pub[1024];
	uint8_t id[ET_SEAL_KEY_ID_SIZE];
	struct et_seal_key *key, *pubkey;
};

static struct pair fleet, fleet2, dev, dev2;
static char err[1024];

static int make_pair(struct pair *p)
{
	if (et_seal_keygen(p->priv, sizeof(p->priv), p->pub, sizeof(p->pub),
			   p->id, err, sizeof(err)))
		return -1;
	p->key = et_seal_key_parse("test key", (const uint8_t *)p->priv,
				   strlen(p->priv), ET_KEY_PRIVATE, err,
				   sizeof(err));
	p->pubkey = et_seal_key_parse("test pub", (const uint8_t *)p->pub,
				      strlen(p->pub), ET_KEY_PUBLIC, err,
				      sizeof(err));
	return p->key && p->pubkey ? 0 : -1;
}

static void free_pair(struct pair *p)
{
	et_seal_key_free(p->key);
	et_seal_key_free(p->pubkey);
}

/* A few records of varied sizes, with gaps between their seqs. */
static const uint64_t seqs[] = { 5, 6, 7, 100, 101, 1ull << 40 };

static void fill_batch(struct et_batch *b, size_t n)
{
	uint8_t rec[600];

	for (size_t i = 0; i < n; i++) {
		size_t len = 20 + (i * 97) % 500;

		for (size_t j = 0; j < len; j++)
			rec[j] = (uint8_t)(i * 31 + j % 13);
		et_batch_add(b, seqs[i % 6] + (i / 6) * (1ull << 41), rec, len);
	}
}

struct collected {
	uint64_t seq[64];
	size_t len[64];
	uint8_t first_byte[64];
	int n;
};

static int collect(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct collected *c = arg;

	if (c->n < 64) {
		c->seq[c->n] = seq;
		c->len[c->n] = len;
		c->first_byte[c->n] = len ? rec[0] : 0;
	}
	c->n++;
	return 0;
}

/* Seal @b with the default pair; the copy is malloc'ed. */
static uint8_t *seal(const struct et_batch *b, uint64_t batch_seq,
		     const struct pair *f, const struct pair *d, size_t *len)
{
	struct et_sealer *s = et_sealer_new(f->pubkey, d->key, NULL, 0, err,
					    sizeof(err));
	const uint8_t *out;
	uint8_t *copy = NULL;

	if (s && !et_seal(s, batch_seq, b, &out, len, err, sizeof(err))) {
		copy = malloc(*len);
		if (copy)
			memcpy(copy, out, *len);
	}
	et_sealer_free(s);
	return copy;
}

/* Open with fleet @f, trusting device @d (NULL: none, skip the check). */
static int open_batch(const uint8_t *buf, size_t len, const struct pair *f,
		      const struct pair *d, struct et_seal_hdr *h,
		      struct et_batch *b)
{
	struct et_opener *o = et_opener_new(f->key, err, sizeof(err));
	int rc;

	if (!o)
		return -2;
	if (d)
		et_opener_trust(o, d->pubkey, err, sizeof(err));
	else
		et_opener_skip_verify(o);
	rc = et_seal_open(o, buf, len, h, b, err, sizeof(err));
	et_opener_free(o);
	return rc;
}

/* Sign @buf again with device @d's private key, as a forger with it could. */
static int resign(uint8_t *buf, size_t len, const struct pair *d)
{
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context pk;
	uint8_t hash[32], der[80];
	size_t derlen, rawlen;
	int ret;

	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_pk_init(&pk);
	ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0);
	if (!ret)
		ret = mbedtls_pk_parse_key(&pk, (const uint8_t *)d->priv,
					   strlen(d->priv) + 1, NULL, 0,
					   mbedtls_ctr_drbg_random, &drbg);
	if (!ret)
		ret = mbedtls_sha256(buf, len - ET_SEAL_SIG_SIZE, hash, 0);
	if (!ret)
		ret = mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA256, hash, 32, der,
				      sizeof(der), &derlen,
				      mbedtls_ctr_drbg_random, &drbg);
	if (!ret)
		ret = mbedtls_ecdsa_der_to_raw(256, der, derlen,
					       buf + len - ET_SEAL_SIG_SIZE,
					       ET_SEAL_SIG_SIZE, &rawlen);
	mbedtls_pk_free(&pk);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return ret;
}

static void round_trip(void)
{
	struct et_batch in, out;
	struct et_seal_hdr h;
	struct collected a = { 0 }, c = { 0 };
	char hex[33];
	uint8_t *buf;
	size_t len;

	et_batch_init(&in);
	et_batch_init(&out);
	fill_batch(&in, 12);
	CHECK_INT(12, in.count);
	buf = seal(&in, 42, &fleet, &dev, &len);
	CHECK(buf != NULL);
	CHECK_INT(0, open_batch(buf, len, &fleet, &dev, &h, &out));
	CHECK_INT(42, h.batch_seq);
	CHECK_INT(ET_SEAL_VERSION, h.version);
	CHECK_INT(12, h.count);
	CHECK_INT(5, h.first_seq);
	CHECK(h.last_seq == (1ull << 40) + (1ull << 41));
	CHECK_INT(len, h.total_len);
	et_seal_id_hex(dev.id, hex);
	CHECK_STR(hex, h.device_id);	/* the default device id */
	CHECK(!memcmp(h.fleet_key_id, fleet.id, ET_SEAL_KEY_ID_SIZE));
	CHECK(!memcmp(h.device_key_id, dev.id, ET_SEAL_KEY_ID_SIZE));
	CHECK(!memcmp(et_seal_key_id(fleet.key), et_seal_key_id(fleet.pubkey),
		      ET_SEAL_KEY_ID_SIZE));
	CHECK_INT(in.len, out.len);
	CHECK(!memcmp(in.buf, out.buf, in.len));
	et_batch_foreach(&in, collect, &a);
	et_batch_foreach(&out, collect, &c);
	CHECK_INT(12, c.n);
	CHECK(!memcmp(a.seq, c.seq, sizeof(a.seq)));
	CHECK(!memcmp(a.len, c.len, sizeof(a.len)));
	CHECK(!memcmp(a.first_byte, c.first_byte, sizeof(a.first_byte)));
	/* without a device key to check against: refused */
	{
		struct et_opener *o = et_opener_new(fleet.key, err,
						    sizeof(err));

		CHECK_INT(-1, et_seal_open(o, buf, len, &h, &out, err,
					   sizeof(err)));
		et_opener_free(o);
		CHECK(strstr(err, "not one of the trusted device keys"));
	}
	/* unless told to skip the check */
	CHECK_INT(0, open_batch(buf, len, &fleet, NULL, &h, &out));
	free(buf);
	et_batch_free(&in);
	et_batch_free(&out);
}

static void compression(void)
{
	struct et_batch b;
	struct et_seal_hdr h;
	uint8_t rec[4000], *buf;
	size_t len;
	uint32_t x = 1;

	et_batch_init(&b);
	memset(rec, 'a', sizeof(rec));
	for (int i = 1; i <= 50; i++)
		et_batch_add(&b, i, rec, sizeof(rec));
	buf = seal(&b, 1, &fleet, &dev, &len);
	CHECK(buf != NULL);
	CHECK_INT(0, et_seal_header(buf, len, &h, err, sizeof(err)));
	CHECK_INT(ET_SEAL_COMP_ZLIB, h.compression);
	CHECK(h.sealed_len * 20 < h.raw_len);
	free(buf);
	/* what zlib cannot shrink is stored as it is */
	et_batch_clear(&b);
	for (size_t i = 0; i < sizeof(rec); i++) {
		x = x * 1103515245 + 12345;
		rec[i] = x >> 24;
	}
	et_batch_add(&b, 9, rec, sizeof(rec));
	buf = seal(&b, 2, &fleet, &dev, &len);
	CHECK(buf != NULL);
	CHECK_INT(0, et_seal_header(buf, len, &h, err, sizeof(err)));
	CHECK_INT(ET_SEAL_COMP_NONE, h.compression);
	CHECK_INT(h.raw_len, h.sealed_len);
	et_batch_clear(&b);
	CHECK_INT(0, open_batch(buf, len, &fleet, &dev, &h, &b));
	CHECK_INT(1, b.count);
	CHECK_INT(9, b.first);
	free(buf);
	et_batch_free(&b);
}

/* One bit flipped in each byte in turn: each copy is refused. */
static void every_bit_flip_refused(void)
{
	struct et_batch in, out;
	struct et_seal_hdr h;
	uint8_t *buf;
	size_t len, opened = 0;

	et_batch_init(&in);
	et_batch_init(&out);
	fill_batch(&in, 3);
	buf = seal(&in, 7, &fleet, &dev, &len);
	CHECK(buf != NULL);
	CHECK(len > ET_SEAL_FIXED_SIZE + ET_SEAL_TAG_SIZE + ET_SEAL_SIG_SIZE);
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 1u << (i % 8);
		if (!open_batch(buf, len, &fleet, &dev, &h, &out))
			opened++;
		CHECK_INT(0, out.count);	/* nothing of it */
		buf[i] ^= 1u << (i % 8);
	}
	CHECK_INT(0, opened);
	/* and the original still opens: the flips were the cause */
	CHECK_INT(0, open_batch(buf, len, &fleet, &dev, &h, &out));
	/* cut short, or with a byte more */
	CHECK_INT(-1, open_batch(buf, len - 1, &fleet, &dev, &h, &out));
	free(buf);
	et_batch_free(&in);
	et_batch_free(&out);
}

static void other_device_refused(void)
{
	struct et_batch in, out;
	struct et_seal_hdr h;
	uint8_t *buf;
	size_t len;

	et_batch_init(&in);
	et_batch_init(&out);
	fill_batch(&in, 4);
	buf = seal(&in, 1, &fleet, &dev2, &len);
	CHECK(buf != NULL);
	CHECK_INT(-1, open_batch(buf, len, &fleet, &dev, &h, &out));
	CHECK(strstr(err, "not one of the trusted device keys"));
	CHECK_INT(0, out.count);
	/* claiming the trusted device's key id does not help */
	memcpy(buf + 64, dev.id, ET_SEAL_KEY_ID_SIZE);
	CHECK_INT(0, resign(buf, len, &dev2));
	CHECK_INT(-1, open_batch(buf, len, &fleet, &dev, &h, &out));
	CHECK(strstr(err, "signature does not verify"));
	free(buf);
	et_batch_free(&in);
	et_batch_free(&out);
}

static void wrong_fleet_key_refused(void)
{
	struct et_batch in, out;
	struct et_seal_hdr h;
	uint8_t *buf;
	size_t len;

	et_batch_init(&in);
	et_batch_init(&out);
	fill_batch(&in, 4);
	buf = seal(&in, 1, &fleet, &dev, &len);
	CHECK(buf != NULL);
	CHECK_INT(-1, open_batch(buf, len, &fleet2, &dev, &h, &out));
	CHECK(strstr(err, "sealed for fleet key"));
	/*
	 * Even when the batch names the other fleet key (and is signed
	 * again by the device), that key cannot decrypt it.
	 */
	memcpy(buf + 48, fleet2.id, ET_SEAL_KEY_ID_SIZE);
	CHECK_INT(0, resign(buf, len, &dev));
	CHECK_INT(-1, open_batch(buf, len, &fleet2, &dev, &h, &out));
	CHECK(strstr(err, "does not decrypt"));
	CHECK_INT(0, out.count);
	free(buf);
	et_batch_free(&in);
	et_batch_free(&out);
}

static void header_authenticated(void)
{
	struct et_batch in, out;
	struct et_seal_hdr h;
	uint8_t *buf;
	size_t len;

	et_batch_init(&in);
	et_batch_init(&out);
	fill_batch(&in, 4);
	buf = seal(&in, 1000, &fleet, &dev, &len);
	CHECK(buf != NULL);
	buf[16] = 0xe9;		/* batch seq 1000 -> 1001 */
	CHECK_INT(0, et_seal_header(buf, len, &h, err, sizeof(err)));
	CHECK_INT(1001, h.batch_seq);
	CHECK_INT(-1, open_batch(buf, len, &fleet, &dev, &h, &out));
	CHECK(strstr(err, "signature does not verify"));
	/* signed again: the header is GCM's additional data too */
	CHECK_INT(0, resign(buf, len, &dev));
	CHECK_INT(-1, open_batch(buf, len, &fleet, &dev, &h, &out));
	CHECK(strstr(err, "does not decrypt"));
	/* the same for the device id */
	buf[16] = 0xe8;
	CHECK_INT(0, resign(buf, len, &dev));
	CHECK_INT(0, open_batch(buf, len, &fleet, &dev, &h, &out));
	buf[ET_SEAL_FIXED_SIZE] = buf[ET_SEAL_FIXED_SIZE] == '0' ? '1' : '0';
	CHECK_INT(0, resign(buf, len, &dev));
	CHECK_INT(-1, open_batch(buf, len, &fleet, &dev, &h, &out));
	CHECK(strstr(err, "does not decrypt"));
	free(buf);
	et_batch_free(&in);
	et_batch_free(&out);
}

static void ephemeral_key_per_batch(void)
{
	struct et_batch in, out;
	struct et_seal_hdr h1, h2;
	uint8_t *a, *b;
	size_t la, lb;

	et_batch_init(&in);
	et_batch_init(&out);
	fill_batch(&in, 5);
	a = seal(&in, 1, &fleet, &dev, &la);
	b = seal(&in, 1, &fleet, &dev, &lb);
	CHECK(a && b);
	CHECK_INT(la, lb);
	CHECK_INT(0, et_seal_header(a, la, &h1, err, sizeof(err)));
	CHECK_INT(0, et_seal_header(b, lb, &h2, err, sizeof(err)));
	CHECK(memcmp(h1.ephemeral, h2.ephemeral, ET_SEAL_POINT_SIZE));
	CHECK_INT(0x04, h1.ephemeral[0]);
	/* so the same records encrypt differently */
	CHECK(memcmp(a + h1.hdr_len, b + h2.hdr_len, h1.sealed_len));
	CHECK_INT(0, open_batch(a, la, &fleet, &dev, &h1, &out));
	CHECK_INT(0, open_batch(b, lb, &fleet, &dev, &h2, &out));
	free(a);
	free(b);
	et_batch_free(&in);
	et_batch_free(&out);
}

/* A batch whose header and records disagree is refused, though sealed. */
static void payload_checked(void)
{
	struct et_batch in, out;
	struct et_seal_hdr h;
	uint8_t rec[30] = { 1 }, *buf;
	size_t len;

	et_batch_init(&in);
	et_batch_init(&out);
	et_batch_add(&in, 10, rec, sizeof(rec));
	et_batch_add(&in, 11, rec, sizeof(rec));
	in.count = 3;
	in.last = 12;
	buf = seal(&in, 1, &fleet, &dev, &len);
	CHECK(buf != NULL);
	CHECK_INT(-1, open_batch(buf, len, &fleet, &dev, &h, &out));
	CHECK(strstr(err, "not what its header says"));
	CHECK_INT(0, out.count);
	free(buf);
	/* a record's length beyond the payload */
	et_batch_clear(&in);
	et_batch_add(&in, 10, rec, sizeof(rec));
	in.buf[1] = 31;
	buf = seal(&in, 1, &fleet, &dev, &len);
	CHECK(buf != NULL);
	CHECK_INT(-1, open_batch(buf, len, &fleet, &dev, &h, &out));
	CHECK(strstr(err, "malformed"));
	free(buf);
	et_batch_free(&in);
	et_batch_free(&out);
}

static void batch_rules(void)
{
	struct et_batch b;
	struct collected c = { 0 };
	uint8_t rec[ET_REC_MAX_SIZE + 1] = { 0 };

	et_batch_init(&b);
	CHECK_INT(0, et_batch_add(&b, 3, rec, 25));
	CHECK_INT(-1, et_batch_add(&b, 3, rec, 25));	/* not above */
	CHECK_INT(-1, et_batch_add(&b, 2, rec, 25));
	CHECK_INT(-1, et_batch_add(&b, 4, rec, sizeof(rec)));
	CHECK_INT(0, et_batch_add(&b, 4, rec, ET_REC_MAX_SIZE));
	CHECK_INT(-1, et_batch_add(&b, 5, rec, 0));	/* no empty record */
	CHECK_INT(0, et_batch_add(&b, UINT64_MAX, rec, 1));
	CHECK_INT(-1, et_batch_add(&b, UINT64_MAX, rec, 1));
	CHECK_INT(3, b.count);
	CHECK_INT(0, et_batch_foreach(&b, collect, &c));
	CHECK_INT(3, c.n);
	CHECK_INT(3, c.seq[0]);
	CHECK_INT(4, c.seq[1]);
	CHECK(c.seq[2] == UINT64_MAX);
	CHECK_INT(ET_REC_MAX_SIZE, c.len[1]);
	CHECK_INT(1, c.len[2]);
	et_batch_free(&b);
}

static void device_id(void)
{
	struct et_sealer *s;
	struct et_batch in, out;
	struct et_seal_hdr h;
	const uint8_t *p;
	uint8_t rec[24] = { 0 };
	size_t len;

	CHECK(!et_sealer_new(fleet.pubkey, dev.key, "gw 1", 0, err,
			     sizeof(err)));
	CHECK(strstr(err, "device id 'gw 1'"));
	CHECK(!et_sealer_new(fleet.pubkey, dev.key, "", 0, err, sizeof(err)));
	CHECK(!et_sealer_new(fleet.key, dev.key, "gw1", 0, err, sizeof(err)));
	CHECK(!et_sealer_new(fleet.pubkey, dev.pubkey, "gw1", 0, err,
			     sizeof(err)));
	s = et_sealer_new(fleet.pubkey, dev.key, "gw-7.site:a@b_c", 1, err,
			  sizeof(err));
	CHECK(s != NULL);
	et_batch_init(&in);
	et_batch_init(&out);
	et_batch_add(&in, 1, rec, sizeof(rec));
	CHECK_INT(0, et_seal(s, 1, &in, &p, &len, err, sizeof(err)));
	CHECK_INT(0, open_batch(p, len, &fleet, &dev, &h, &out));
	CHECK_STR("gw-7.site:a@b_c", h.device_id);
	CHECK_INT(ET_SEAL_FLAG_EXPORT, h.flags);
	et_batch_clear(&in);
	CHECK_INT(-1, et_seal(s, 2, &in, &p, &len, err, sizeof(err)));
	et_sealer_free(s);
	et_batch_free(&in);
	et_batch_free(&out);
}

static const char rsa_pub[] =
"-----BEGIN PUBLIC KEY-----\n"
"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDKAjLbcEDQvakIzg2ux08q0RHP\n"
"ni6D7mOg9DXXRB1t1VP9U/T4QrqlUz+uaF6OcUitl//q9gaKIvFLC2r+dn4EEh9J\n"
"ICSg8jZ2V0UrZZ9CjCUia5D+9JdEKWAxrN9aBKk9Z+PuNPuqOn2cF1zPVwksCwLX\n"
"TUfyF4M4v/j8d1gGJQIDAQAB\n"
"-----END PUBLIC KEY-----\n";

/* Parse @text as @kind: NULL expected, and @want in the message. */
static int refused(const char *text, enum et_key_kind kind, const char *want)
{
	struct et_seal_key *k = et_seal_key_parse("--opt 'f'",
						  (const uint8_t *)text,
						  strlen(text), kind, err,
						  sizeof(err));

	if (k) {
		et_seal_key_free(k);
		snprintf(err, sizeof(err), "(accepted)");
		return 0;
	}
	return strstr(err, want) && strstr(err, "--opt 'f'");
}

/* A P-384 key pair as PEM, made with mbedtls directly. */
static int p384(char *priv, char *pub, size_t len)
{
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context pk;
	int ret;

	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_pk_init(&pk);
	ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0);
	if (!ret)
		ret = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (!ret)
		ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP384R1,
					  mbedtls_pk_ec(pk),
					  mbedtls_ctr_drbg_random, &drbg);
	if (!ret)
		ret = mbedtls_pk_write_key_pem(&pk, (uint8_t *)priv, len);
	if (!ret)
		ret = mbedtls_pk_write_pubkey_pem(&pk, (uint8_t *)pub, len);
	mbedtls_pk_free(&pk);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return ret;
}

static void key_errors(void)
{
	char priv[1024], pub[1024];

	CHECK(refused(fleet.priv, ET_KEY_PUBLIC, "is a private key where a "
		      "public key is wanted"));
	CHECK(refused(fleet.pub, ET_KEY_PRIVATE, "is a public key where a "
		      "private key is wanted"));
	CHECK(refused(rsa_pub, ET_KEY_PUBLIC, "is an RSA key"));
	CHECK_INT(0, p384(priv, pub, sizeof(priv)));
	CHECK(refused(pub, ET_KEY_PUBLIC, "curve secp384r1"));
	CHECK(refused(priv, ET_KEY_PRIVATE, "curve secp384r1"));
	CHECK(refused("hello\n", ET_KEY_PUBLIC, "is not a public key"));
	CHECK(refused("hello\n", ET_KEY_PRIVATE, "is not a private key"));
	CHECK(refused("", ET_KEY_PRIVATE, "is empty"));
	CHECK(refused("-----BEGIN CERTIFICATE-----\nAAAA\n"
		      "-----END CERTIFICATE-----\n", ET_KEY_PUBLIC,
		      "is a certificate"));
	CHECK(refused("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
		      "-----END ENCRYPTED PRIVATE KEY-----\n", ET_KEY_PRIVATE,
		      "passphrase"));
	/* a damaged key */
	snprintf(priv, sizeof(priv), "%.80s\n-----END EC PRIVATE KEY-----\n",
		 fleet.priv);
	CHECK(refused(priv, ET_KEY_PRIVATE, "is not a private key"));
	/* a missing file names the option and the file */
	CHECK(!et_seal_key_load("--fleet-pub", "/nonexistent/fleet.pub",
				ET_KEY_PUBLIC, err, sizeof(err)));
	CHECK(strstr(err, "--fleet-pub '/nonexistent/fleet.pub': cannot read"));
	/* what keygen wrote: private and public agree on the id */
	CHECK(!memcmp(fleet.id, et_seal_key_id(fleet.key), ET_SEAL_KEY_ID_SIZE));
	CHECK(et_seal_key_is_private(fleet.key));
	CHECK(!et_seal_key_is_private(fleet.pubkey));
	CHECK(strstr(fleet.priv, "-----BEGIN EC PRIVATE KEY-----"));
	CHECK(strstr(fleet.pub, "-----BEGIN PUBLIC KEY-----"));
	CHECK(memcmp(fleet.id, fleet2.id, ET_SEAL_KEY_ID_SIZE));
}

static void header_parse(void)
{
	struct et_batch in;
	struct et_seal_hdr h;
	uint8_t *buf;
	size_t len;

	et_batch_init(&in);
	fill_batch(&in, 2);
	buf = seal(&in, 3, &fleet, &dev, &len);
	CHECK(buf != NULL);
	CHECK_INT(ET_SEAL_FIXED_SIZE, et_seal_header(buf, 10, &h, err,
						      sizeof(err)));
	CHECK_INT(ET_SEAL_FIXED_SIZE + 32, et_seal_header(buf, 150, &h, err,
							   sizeof(err)));
	CHECK_INT(0, et_seal_header(buf, ET_SEAL_FIXED_SIZE + 32, &h, err,
				    sizeof(err)));
	CHECK_INT(len, h.total_len);
	CHECK_INT(-1, et_seal_header((const uint8_t *)"ETCAP", 5, &h, err,
				     sizeof(err)));
	CHECK(strstr(err, "not a sealed batch"));
	buf[4] = 2;
	CHECK_INT(-1, et_seal_header(buf, len, &h, err, sizeof(err)));
	CHECK(strstr(err, "newer edgetrace"));
	free(buf);
	et_batch_free(&in);
}

CHECK_MAIN_BEGIN("test_seal")
	if (make_pair(&fleet) || make_pair(&fleet2) || make_pair(&dev) ||
	    make_pair(&dev2)) {
		printf("FAIL test_seal.keygen: %s\n", err);
		return 1;
	}
	RUN(round_trip);
	RUN(compression);
	RUN(every_bit_flip_refused);
	RUN(other_device_refused);
	RUN(wrong_fleet_key_refused);
	RUN(header_authenticated);
	RUN(ephemeral_key_per_batch);
	RUN(payload_checked);
	RUN(batch_rules);
	RUN(device_id);
	RUN(key_errors);
	RUN(header_parse);
	free_pair(&fleet);
	free_pair(&fleet2);
	free_pair(&dev);
	free_pair(&dev2);
	et_seal_cleanup();
CHECK_MAIN_END
