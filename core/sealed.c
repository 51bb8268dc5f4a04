// SPDX-License-Identifier: GPL-2.0
/*
 * sealed.c - the commands around sealed batches (uplink/seal.h,
 * docs/sealed-format.md): `edgetrace keygen`, `edgetrace decode`, and the
 * writer behind `export --format sealed`. Compiled with
 * CONFIG_UPLINK_SEAL only.
 *
 * A sealed stream is batches back to back; each batch's header says where
 * it ends. decode reads the stream through a window that holds at least
 * one whole batch, opens each batch, and prints its records exactly as
 * `export --format jsonl` does. A batch that does not open is reported
 * with its number, its byte offset and why, and none of its records is
 * printed; decoding goes on at the next batch: where the refused batch's
 * header says it ends when a batch starts there, else at the next magic
 * found after its start (its header may be what was damaged).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/platform_util.h>

#include "core.h"
#include "seal.h"

#define PEM_MAX		1024	/* a P-256 key as PEM takes about 230 bytes */
#define READ_CHUNK	(64 * 1024)
#define CLAIMS_MAX	16	/* unverified device keys listed at the end */

/* ---------------------------------------------------------------- keygen */

static const char keygen_usage[] =
"usage: edgetrace keygen (--fleet DIR | --device DIR) [--force]\n"
"\n"
"Make a P-256 (prime256v1) key pair for sealed batches, as PEM files\n"
"(docs/uplink.md).\n"
"\n"
"  --fleet DIR    the fleet's pair: DIR/fleet.key, the private key that\n"
"                 opens every device's batches (mode 0600: keep it on the\n"
"                 operators' workstation or the collector, never on a\n"
"                 device), and DIR/fleet.pub, which every device gets\n"
"  --device DIR   a device's pair: DIR/device.key (mode 0600), with which\n"
"                 the device signs its batches, and DIR/device.pub, with\n"
"                 which decode checks the signatures\n"
"  --force        replace key files that exist (refused otherwise)\n"
"  -h, --help     show this help\n"
"\n"
"DIR is created (mode 0700) if it does not exist; its parent must exist.\n"
"The key id printed names the key in sealed batches: the first 16 bytes\n"
"of the SHA-256 of the public key's DER, as\n"
"  openssl pkey -pubin -in DIR/fleet.pub -outform DER | sha256sum | cut -c1-32\n"
"prints it.\n";

struct keygen_args {
	const char *dir, *name;
	int force;
};

static int parse_keygen_args(int argc, char **argv, struct keygen_args *ka)
{
	static const struct option opts[] = {
		{ "fleet", required_argument, NULL, 'f' },
		{ "device", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
		case 'd':
			if (ka->dir)
				return -et_usage_error("keygen", "give one of "
						       "--fleet DIR and --device "
						       "DIR");
			ka->dir = optarg;
			ka->name = c == 'f' ? "fleet" : "device";
			break;
		case 'F': ka->force = 1; break;
		case 'h': fputs(keygen_usage, stdout); return 1;
		default:
			return -et_getopt_error("keygen", c, argv);
		}
	}
	if (optind < argc)
		return -et_stray_arg("keygen", argv[optind]);
	if (!ka->dir)
		return -et_usage_error("keygen", "give --fleet DIR (the fleet's "
				       "key pair) or --device DIR (a device's)");
	if (!*ka->dir)
		return -et_usage_error("keygen", "the directory name is empty");
	return 0;
}

/* DIR exists as a directory, or is created. */
static int key_dir(const char *dir)
{
	struct stat st;

	if (!stat(dir, &st)) {
		if (S_ISDIR(st.st_mode))
			return 0;
		et_err("'%s' is not a directory: give a directory for the key "
		       "files", dir);
		return -1;
	}
	if (errno == ENOENT && !mkdir(dir, 0700))
		return 0;
	et_err("cannot create directory '%s': %s", dir, strerror(errno));
	return -1;
}

/*
 * @text into @path with @mode: written to a temporary file beside it,
 * synced, then renamed over it, so that a key file is whole or absent.
 */
static int write_key_file(const char *path, const char *text, mode_t mode)
{
	size_t n = strlen(path) + sizeof(".XXXXXX"), len = strlen(text);
	char *tmp = malloc(n);
	int fd = -1, rc = -1;

	if (!tmp) {
		et_err("out of memory");
		return -1;
	}
	snprintf(tmp, n, "%s.XXXXXX", path);
	fd = mkstemp(tmp);	/* mode 0600 */
	if (fd < 0) {
		et_err("cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd) || close(fd)) {
		et_err("cannot write '%s': %s", tmp, strerror(errno));
		fd = -1;
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		et_err("cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return rc;
}

/* Sync the directory, so that the renames survive a power cut. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int keygen(const struct keygen_args *ka, const char *keypath,
		  const char *pubpath)
{
	char priv[PEM_MAX], pub[PEM_MAX], err[256];
	char hex[2 * ET_SEAL_KEY_ID_SIZE + 1];
	uint8_t id[ET_SEAL_KEY_ID_SIZE];
	struct stat st;
	int rc = -1;

	if (!ka->force && (!stat(keypath, &st) || !stat(pubpath, &st))) {
		et_err("'%s' exists: give --force to replace the key pair "
		       "(batches sealed for it or signed by it then need the "
		       "old files)",
		       !stat(keypath, &st) ? keypath : pubpath);
		return -1;
	}
	if (key_dir(ka->dir))
		return -1;
	if (et_seal_keygen(priv, sizeof(priv), pub, sizeof(pub), id, err,
			   sizeof(err))) {
		et_err("%s", err);
		goto out;
	}
	if (write_key_file(keypath, priv, 0600) ||
	    write_key_file(pubpath, pub, 0644))
		goto out;
	sync_dir(ka->dir);
	et_seal_id_hex(id, hex);
	printf("%s key id %s\n  private key: %s (mode 0600%s)\n"
	       "  public key:  %s\n", ka->name, hex, keypath,
	       !strcmp(ka->name, "fleet") ? ", never on a device" : "",
	       pubpath);
	rc = 0;
out:
	mbedtls_platform_zeroize(priv, sizeof(priv));
	return rc;
}

int et_cmd_keygen(int argc, char **argv)
{
	struct keygen_args ka = { 0 };
	char *keypath = NULL, *pubpath = NULL;
	size_t n;
	int rc;

	rc = parse_keygen_args(argc, argv, &ka);
	if (rc)
		return rc > 0 ? ET_EXIT_OK : -rc;
	n = strlen(ka.dir) + strlen(ka.name) + 6;
	keypath = malloc(n);
	pubpath = malloc(n);
	rc = ET_EXIT_ERROR;
	if (!keypath || !pubpath) {
		et_err("out of memory");
		goto out;
	}
	snprintf(keypath, n, "%s/%s.key", ka.dir, ka.name);
	snprintf(pubpath, n, "%s/%s.pub", ka.dir, ka.name);
	if (!keygen(&ka, keypath, pubpath))
		rc = ET_EXIT_OK;
out:
	free(keypath);
	free(pubpath);
	et_seal_cleanup();
	return rc;
}

/* ------------------------------------------------ export --format sealed */

struct et_sealed_out {
	struct et_seal_key *fleet, *device;
	struct et_sealer *sealer;
	struct et_batch batch;
	uint64_t batch_seq;
	uint32_t max_records;
	uint64_t batches, bytes, records;
};

struct et_sealed_out *et_sealed_out_new(const char *fleet_pub,
					const char *device_key,
					const char *device_id,
					uint32_t batch_records)
{
	struct et_sealed_out *so = calloc(1, sizeof(*so));
	char err[1024];

	if (!so) {
		et_err("out of memory");
		return NULL;
	}
	et_batch_init(&so->batch);
	so->max_records = batch_records;
	so->fleet = et_seal_key_load("--fleet-pub", fleet_pub, ET_KEY_PUBLIC,
				     err, sizeof(err));
	if (so->fleet)
		so->device = et_seal_key_load("--device-key", device_key,
					      ET_KEY_PRIVATE, err, sizeof(err));
	if (so->device)
		so->sealer = et_sealer_new(so->fleet, so->device, device_id,
					   ET_SEAL_FLAG_EXPORT, err,
					   sizeof(err));
	if (!so->sealer) {
		et_err("%s", err);
		et_sealed_out_free(so);
		return NULL;
	}
	return so;
}

/* Seal what is batched, if anything, and write it to @f. */
int et_sealed_out_flush(struct et_sealed_out *so, FILE *f)
{
	const uint8_t *out;
	size_t len;
	char err[512];

	if (!so->batch.count)
		return 0;
	if (et_seal(so->sealer, ++so->batch_seq, &so->batch, &out, &len, err,
		    sizeof(err))) {
		et_err("%s", err);
		return -1;
	}
	if (fwrite(out, 1, len, f) != len)
		return -1;
	so->batches++;
	so->bytes += len;
	so->records += so->batch.count;
	et_batch_clear(&so->batch);
	return 0;
}

int et_sealed_out_add(struct et_sealed_out *so, uint64_t seq,
		      const uint8_t *rec, size_t len, FILE *f)
{
	if (so->batch.count &&
	    so->batch.len + len + 20 > ET_SEALED_EXPORT_BYTES &&
	    et_sealed_out_flush(so, f))
		return -1;
	if (et_batch_add(&so->batch, seq, rec, len)) {
		et_err("record %" PRIu64 ": cannot add it to a batch: %s", seq,
		       strerror(errno));
		return -1;
	}
	if (so->batch.count >= so->max_records)
		return et_sealed_out_flush(so, f);
	return 0;
}

void et_sealed_out_report(const struct et_sealed_out *so)
{
	fprintf(stderr, "edgetrace: sealed %" PRIu64 " records in %" PRIu64
		" batches, %" PRIu64 " bytes, as device '%s'\n", so->records,
		so->batches, so->bytes, et_sealer_device_id(so->sealer));
}

void et_sealed_out_free(struct et_sealed_out *so)
{
	if (!so)
		return;
	et_sealer_free(so->sealer);
	et_seal_key_free(so->device);
	et_seal_key_free(so->fleet);
	et_batch_free(&so->batch);
	free(so);
	et_seal_cleanup();
}

/* ---------------------------------------------------------------- decode */

static const char decode_usage[] =
"usage: edgetrace decode --key FLEET_KEY [--device-pub F]... [FILE]\n"
"\n"
"Verify, decrypt and print sealed batches (what 'export --format sealed'\n"
"writes) as JSON lines: the lines 'export --format jsonl' prints for the\n"
"same records.\n"
"\n"
"  --key F         the fleet's private key (fleet.key, from keygen --fleet)\n"
"  --device-pub F  a device's public key (device.pub, from keygen\n"
"                  --device); repeat it for several devices. Each batch\n"
"                  must be signed by one of the keys given. Without any,\n"
"                  signatures are NOT checked: the batches are decrypted\n"
"                  and printed with a warning that names the device keys\n"
"                  they claim, since anyone who has the fleet's public key\n"
"                  can seal a batch\n"
"  -h, --help      show this help\n"
"\n"
"FILE: the sealed stream; - or none: standard input.\n"
"\n"
"A batch that fails its checks (signature, decryption, a damaged or cut\n"
"header) is reported on stderr with its number in the stream, its byte\n"
"offset and the reason; none of its records is printed, and decoding goes\n"
"on with the next batch; bytes that are not a batch are skipped and\n"
"reported. Exit status: 0 every batch was opened (and verified, with\n"
"--device-pub); 1 a batch was refused, bytes were skipped, a record did\n"
"not decode, or another error; 2 a bad command line.\n";

struct decode_args {
	const char *key, *file;
	const char **pubs;
	int npubs;
};

static int parse_decode_args(int argc, char **argv, struct decode_args *da)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "device-pub", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': da->key = optarg; break;
		case 'p': da->pubs[da->npubs++] = optarg; break;
		case 'h': fputs(decode_usage, stdout); return 1;
		default:
			return -et_getopt_error("decode", c, argv);
		}
	}
	if (optind + 1 < argc)
		return -et_stray_arg("decode", argv[optind + 1]);
	da->file = optind < argc ? argv[optind] : "-";
	if (!da->key)
		return -et_usage_error("decode", "give --key FLEET_KEY, the "
				       "fleet's private key");
	if (!strcmp(da->file, "-") && isatty(STDIN_FILENO))
		return -et_usage_error("decode", "give the sealed stream as "
				       "FILE or on standard input");
	return 0;
}

/* The input, through a window that grows to hold a whole batch. */
struct reader {
	FILE *f;
	uint8_t *buf;
	size_t cap, start, end;
	uint64_t off;		/* the input offset of buf[start] */
	int eof, err;
};

/* At least @n bytes in the window, if the input has them: how many. */
static size_t fill(struct reader *r, size_t n)
{
	size_t have = r->end - r->start, got, want;
	uint8_t *p;

	while (have < n && !r->eof) {
		if (r->start) {
			memmove(r->buf, r->buf + r->start, have);
			r->start = 0;
			r->end = have;
		}
		want = n - have > READ_CHUNK ? n - have : READ_CHUNK;
		if (r->cap - r->end < want) {
			p = realloc(r->buf, r->end + want);
			if (!p) {
				r->err = ENOMEM;
				r->eof = 1;
				break;
			}
			r->buf = p;
			r->cap = r->end + want;
		}
		got = fread(r->buf + r->end, 1, r->cap - r->end, r->f);
		if (!got) {
			if (ferror(r->f))
				r->err = errno ? errno : EIO;
			r->eof = 1;
		}
		r->end += got;
		have += got;
	}
	return have;
}

static void advance(struct reader *r, size_t n)
{
	r->start += n;
	r->off += n;
}

static const uint8_t *window(const struct reader *r)
{
	return r->buf + r->start;
}

static int at_magic(struct reader *r)
{
	return fill(r, 4) >= 4 && !memcmp(window(r), ET_SEAL_MAGIC, 4);
}

/* Skip to the next magic, or to the end. */
static void resync(struct reader *r)
{
	const uint8_t *p;
	size_t have;

	for (;;) {
		have = fill(r, 4);
		if (have < 4) {
			advance(r, have);
			return;
		}
		p = memmem(window(r), have, ET_SEAL_MAGIC, 4);
		if (p) {
			advance(r, p - window(r));
			return;
		}
		advance(r, have - 3);
	}
}

struct claim {
	uint8_t id[ET_SEAL_KEY_ID_SIZE];
	char device_id[ET_SEAL_DEVICE_ID_MAX + 1];
	uint64_t batches;
};

struct decode {
	struct et_opener *opener;
	struct et_batch batch;
	struct reader r;
	const char *name;
	uint64_t batches, refused, records, bad, junk;
	struct claim claims[CLAIMS_MAX];
	int nclaims, verified;
};

static int print_one(uint64_t seq, const uint8_t *rec, size_t len, void *arg)
{
	struct decode *d = arg;
	struct et_record r = { .seq = seq };
	enum et_decode_status st;

	st = et_record_decode(rec, len, &r);
	if (st) {
		et_err("record %" PRIu64 ": %s", seq, et_decode_strerror(st));
		d->bad++;
		return 0;
	}
	et_print_json(stdout, &r);
	d->records++;
	return 0;
}

/* Remember which device keys unverified batches claim. */
static void claim(struct decode *d, const struct et_seal_hdr *h)
{
	int i;

	for (i = 0; i < d->nclaims; i++)
		if (!memcmp(d->claims[i].id, h->device_key_id,
			    ET_SEAL_KEY_ID_SIZE) &&
		    !strcmp(d->claims[i].device_id, h->device_id))
			break;
	if (i == CLAIMS_MAX)
		return;
	if (i == d->nclaims) {
		memcpy(d->claims[i].id, h->device_key_id, ET_SEAL_KEY_ID_SIZE);
		memcpy(d->claims[i].device_id, h->device_id,
		       sizeof(h->device_id));
		d->nclaims++;
	}
	d->claims[i].batches++;
}

static void refuse(struct decode *d, uint64_t off, const struct et_seal_hdr *h,
		   int have_hdr, const char *why)
{
	d->refused++;
	if (have_hdr)
		fprintf(stderr, "edgetrace decode: batch %" PRIu64 " (batch seq "
			"%" PRIu64 " of device '%s', at byte %" PRIu64 " of %s): "
			"refused: %s\n", d->batches, h->batch_seq, h->device_id,
			off, d->name, why);
	else
		fprintf(stderr, "edgetrace decode: batch %" PRIu64 " (at byte "
			"%" PRIu64 " of %s): refused: %s\n", d->batches, off,
			d->name, why);
}

/*
 * The batch at the start of the window: open and print it, or refuse it.
 * Returns 0 if it was opened, -1 if refused (the window is then where to
 * go on from).
 */
static int decode_batch(struct decode *d)
{
	struct reader *r = &d->r;
	struct et_seal_hdr h;
	uint64_t off = r->off;
	size_t have;
	char err[512];
	int ret;

	d->batches++;
	have = fill(r, ET_SEAL_HDR_MAX);
	ret = et_seal_header(window(r), have, &h, err, sizeof(err));
	if (ret) {
		refuse(d, off, &h, 0, ret > 0 ? "the input ends inside its "
		       "header" : err);
		advance(r, 1);
		return -1;
	}
	have = fill(r, h.total_len);
	if (have < h.total_len) {
		snprintf(err, sizeof(err), "the input ends %zu bytes before "
			 "its end (cut short, or its header is damaged)",
			 h.total_len - have);
		ret = -1;
	} else {
		ret = et_seal_open(d->opener, window(r), h.total_len, &h,
				   &d->batch, err, sizeof(err));
	}
	if (ret) {
		refuse(d, off, &h, 1, err);
		/*
		 * On at its end if the input ends there or a batch starts
		 * there; else its header may be what is damaged: on at the
		 * next magic after its start.
		 */
		if (have >= h.total_len) {
			have = fill(r, h.total_len + 4);
			if (have == h.total_len ||
			    (have >= h.total_len + 4 &&
			     !memcmp(window(r) + h.total_len, ET_SEAL_MAGIC, 4))) {
				advance(r, h.total_len);
				return -1;
			}
		}
		advance(r, 1);
		return -1;
	}
	if (!d->verified)
		claim(d, &h);
	et_batch_foreach(&d->batch, print_one, d);
	advance(r, h.total_len);
	return 0;
}

static void decode_stream(struct decode *d)
{
	struct reader *r = &d->r;
	int after_refusal = 0;
	uint64_t off;

	while (fill(r, 1)) {
		if (!at_magic(r)) {
			off = r->off;
			resync(r);
			/* what follows a refused batch is part of it */
			if (!after_refusal) {
				d->junk++;
				fprintf(stderr, "edgetrace decode: bytes %" PRIu64
					"-%" PRIu64 " of %s are not a sealed "
					"batch: skipped\n", off, r->off - 1,
					d->name);
			}
			after_refusal = 0;
			continue;
		}
		after_refusal = decode_batch(d) < 0;
	}
}

static void report(const struct decode *d)
{
	char hex[2 * ET_SEAL_KEY_ID_SIZE + 1];

	fprintf(stderr, "edgetrace decode: %" PRIu64 " batches, %" PRIu64
		" records", d->batches - d->refused, d->records);
	if (d->refused)
		fprintf(stderr, "; %" PRIu64 " refused", d->refused);
	if (d->junk)
		fprintf(stderr, "; %" PRIu64 " runs of bytes that are not "
			"batches", d->junk);
	fputc('\n', stderr);
	if (d->verified)
		return;
	for (int i = 0; i < d->nclaims; i++) {
		et_seal_id_hex(d->claims[i].id, hex);
		fprintf(stderr, "edgetrace decode: NOT VERIFIED: %" PRIu64
			" batches claim device '%s', key %s\n",
			d->claims[i].batches, d->claims[i].device_id, hex);
	}
}

/* The keys: the fleet's private key and the trusted device keys. */
static int load_keys(const struct decode_args *da, struct decode *d,
		     struct et_seal_key **fleet, struct et_seal_key **devs)
{
	char err[1024];

	*fleet = et_seal_key_load("--key", da->key, ET_KEY_PRIVATE, err,
				  sizeof(err));
	if (!*fleet)
		goto fail;
	d->opener = et_opener_new(*fleet, err, sizeof(err));
	if (!d->opener)
		goto fail;
	for (int i = 0; i < da->npubs; i++) {
		devs[i] = et_seal_key_load("--device-pub", da->pubs[i],
					   ET_KEY_PUBLIC, err, sizeof(err));
		if (!devs[i] || et_opener_trust(d->opener, devs[i], err,
						sizeof(err)))
			goto fail;
	}
	d->verified = da->npubs > 0;
	if (!d->verified)
		et_opener_skip_verify(d->opener);
	return 0;
fail:
	et_err("%s", err);
	return -1;
}

static int decode_run(const struct decode_args *da, struct decode *d)
{
	FILE *f;

	f = strcmp(da->file, "-") ? fopen(da->file, "rb") : stdin;
	if (!f) {
		et_err("cannot open '%s': %s", da->file, strerror(errno));
		return -1;
	}
	d->r.f = f;
	if (!d->verified)
		fputs("edgetrace decode: warning: no --device-pub given: the "
		      "signatures are NOT checked, so nothing shows which "
		      "device sealed these batches (anyone who has the "
		      "fleet's public key can seal one)\n", stderr);
	decode_stream(d);
	if (f != stdin)
		fclose(f);
	if (d->r.err) {
		et_err("cannot read %s: %s", d->name, strerror(d->r.err));
		return -1;
	}
	if (fflush(stdout) || ferror(stdout)) {
		et_err("cannot write the records: %s", strerror(errno));
		return -1;
	}
	report(d);
	return d->refused || d->bad || d->junk ? -1 : 0;
}

int et_cmd_decode(int argc, char **argv)
{
	struct decode_args da = { 0 };
	struct et_seal_key *fleet = NULL, **devs = NULL;
	struct decode d = { 0 };
	int rc;

	da.pubs = calloc(argc, sizeof(*da.pubs));
	devs = calloc(argc, sizeof(*devs));
	if (!da.pubs || !devs) {
		et_err("out of memory");
		rc = ET_EXIT_ERROR;
		goto out;
	}
	rc = parse_decode_args(argc, argv, &da);
	if (rc) {
		rc = rc > 0 ? ET_EXIT_OK : -rc;
		goto out;
	}
	et_batch_init(&d.batch);
	d.name = strcmp(da.file, "-") ? da.file : "standard input";
	rc = load_keys(&da, &d, &fleet, devs) || decode_run(&da, &d) ?
	     ET_EXIT_ERROR : ET_EXIT_OK;
out:
	et_batch_free(&d.batch);
	free(d.r.buf);
	et_opener_free(d.opener);
	for (int i = 0; devs && i < da.npubs; i++)
		et_seal_key_free(devs[i]);
	et_seal_key_free(fleet);
	free(devs);
	free(da.pubs);
	et_seal_cleanup();
	return rc;
}
