// SPDX-License-Identifier: GPL-2.0
/*
 * uplink_cmd.c - `edgetrace uplink`: the uplink process (uplink/uplink.h).
 *
 * A process of its own beside `edgetrace run`, on the same spool: LMDB
 * allows one environment handle per process, the agent's writer commits
 * in groups from its single event loop, and a TLS handshake over a slow
 * link takes seconds that the agent's loop must never wait for. Two
 * processes share the spool safely through LMDB's lock file (the agent
 * appends; the uplink reads in short transactions and moves its cursor),
 * and a crash of either leaves the other running (docs/uplink.md).
 *
 * Settings come from the command line and from --config (the same file as
 * `run`'s: `run` ignores the uplink's names, the uplink ignores run's);
 * the command line wins. Malformed settings (a missing or wrong key or
 * certificate, a bad URL, rate or quota) stop it at once with exit code 2
 * and a message naming the setting; a collector that cannot be reached is
 * not an error: it keeps retrying, and says why in `edgetrace status`.
 *
 * Once a second it writes its figures to /run/edgetrace/uplink-*.{json,txt}
 * (core/status.c's naming), which `edgetrace status` prints.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "core.h"
#include "seal.h"
#include "uplink.h"
#include "version.h"

static const char uplink_usage[] =
"usage: edgetrace uplink [--config FILE] [--spool DIR] [--uplink-url URL]\n"
"                        [--uplink-ca F] [--uplink-cert F] [--uplink-key F]\n"
"                        [--fleet-pub F] [--device-key F] [--device-id ID]\n"
"                        [--uplink-rate BYTES] [--uplink-quota BYTES]\n"
"                        [--uplink-backoff SECONDS]\n"
"\n"
"Send the spool to the fleet collector until SIGINT or SIGTERM: batches\n"
"cut from the spool's 'uplink' cursor, sealed for the fleet and posted\n"
"over HTTPS with mutual TLS (docs/uplink.md). Runs beside 'edgetrace run'\n"
"on the same spool.\n"
"\n"
"  --config FILE        read settings from FILE (the file of 'run --config':\n"
"                       NAME = VALUE, NAME one of the long options here)\n"
"  --spool DIR          the spool (default " ET_DEFAULT_SPOOL ")\n"
"  --uplink-url URL     https://HOST[:PORT]/PATH of the collector\n"
"  --uplink-ca F        the fleet CA certificate (PEM) the collector's\n"
"                       certificate must chain to\n"
"  --uplink-cert F      this device's certificate (PEM), issued for its key\n"
"  --uplink-key F       its private key (default: --device-key)\n"
"  --fleet-pub F        the fleet's public key: batches are sealed for it\n"
"  --device-key F       this device's private key: it signs the batches\n"
"  --device-id ID       the device id in each batch (default: the device\n"
"                       key's id in hex)\n"
"  --uplink-rate B      at most B bytes per second on the wire (TLS\n"
"                       included); suffixes k, M (x1000); 0: no cap\n"
"  --uplink-quota B     at most B bytes per UTC day; suffixes k, M, G; 0:\n"
"                       no quota\n"
"  --uplink-backoff S   the longest wait between retries (default "
#define STR2(x) #x
#define STR(x) STR2(x)
STR(CONFIG_UPLINK_BACKOFF_MAX_S) ")\n"
"  -h, --help           show this help\n";

enum {
	O_URL = 256, O_CA, O_CERT, O_KEY, O_FLEET, O_DEVKEY, O_DEVID,
	O_RATE, O_QUOTA, O_BACKOFF,
};

struct uplink_cli {
	const char *config, *spool;
	const char *url, *ca, *cert, *key, *fleet, *devkey, *devid;
	const char *rate, *quota, *backoff;
};

static volatile int stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* A byte count with an optional k/M/G suffix (powers of 1000). */
static int parse_bytes(const char *name, const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n;
	uint64_t mul = 1;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (end == v || *v == '-' || errno)
		goto bad;
	if (*end == 'k' || *end == 'K')
		mul = 1000;
	else if (*end == 'M')
		mul = 1000000;
	else if (*end == 'G')
		mul = 1000000000;
	else if (*end)
		goto bad;
	if (*end && end[1])
		goto bad;
	if (n > UINT64_MAX / mul)
		goto bad;
	*out = n * mul;
	return 0;
bad:
	return -et_usage_error("uplink", "%s '%s' is not a number of bytes "
			       "(digits, then optionally k, M or G)", name, v);
}

static int parse_args(int argc, char **argv, struct uplink_cli *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "spool", required_argument, NULL, 's' },
		{ "uplink-url", required_argument, NULL, O_URL },
		{ "uplink-ca", required_argument, NULL, O_CA },
		{ "uplink-cert", required_argument, NULL, O_CERT },
		{ "uplink-key", required_argument, NULL, O_KEY },
		{ "fleet-pub", required_argument, NULL, O_FLEET },
		{ "device-key", required_argument, NULL, O_DEVKEY },
		{ "device-id", required_argument, NULL, O_DEVID },
		{ "uplink-rate", required_argument, NULL, O_RATE },
		{ "uplink-quota", required_argument, NULL, O_QUOTA },
		{ "uplink-backoff", required_argument, NULL, O_BACKOFF },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 's': o->spool = optarg; break;
		case O_URL: o->url = optarg; break;
		case O_CA: o->ca = optarg; break;
		case O_CERT: o->cert = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_FLEET: o->fleet = optarg; break;
		case O_DEVKEY: o->devkey = optarg; break;
		case O_DEVID: o->devid = optarg; break;
		case O_RATE: o->rate = optarg; break;
		case O_QUOTA: o->quota = optarg; break;
		case O_BACKOFF: o->backoff = optarg; break;
		case 'h': fputs(uplink_usage, stdout); return 1;
		default:
			return -et_getopt_error("uplink", c, argv);
		}
	}
	if (optind < argc)
		return -et_stray_arg("uplink", argv[optind]);
	return 0;
}

#define PICK(cli, cfg)	((cli) ? (cli) : (cfg))

/* Command line over config file; check what must be there. */
static int settings(struct uplink_cli *o, struct et_config *c,
		    struct et_uplink_opts *u, const char **spool)
{
	char err[300];
	uint64_t backoff = CONFIG_UPLINK_BACKOFF_MAX_S;
	const char *missing = NULL;

	if (o->config && et_config_load(c, o->config, err, sizeof(err)))
		return -et_usage_error("uplink", "%s", err);
	*spool = PICK(o->spool, PICK(c->spool, ET_DEFAULT_SPOOL));
	u->url = PICK(o->url, c->uplink_url);
	u->ca = PICK(o->ca, c->uplink_ca);
	u->cert = PICK(o->cert, c->uplink_cert);
	u->key = PICK(o->key, c->uplink_key);
	u->fleet_pub = PICK(o->fleet, c->fleet_pub);
	u->device_key = PICK(o->devkey, c->device_key);
	u->device_id = PICK(o->devid, c->device_id);
	if (!u->url)
		missing = "uplink-url";
	else if (!u->ca)
		missing = "uplink-ca";
	else if (!u->cert)
		missing = "uplink-cert";
	else if (!u->fleet_pub)
		missing = "fleet-pub";
	else if (!u->device_key)
		missing = "device-key";
	if (missing)
		return -et_usage_error("uplink", "no %s: give --%s or set it "
				       "in --config", missing, missing);
	if (PICK(o->rate, c->uplink_rate) &&
	    parse_bytes("uplink-rate", PICK(o->rate, c->uplink_rate),
			&u->rate))
		return -ET_EXIT_USAGE;
	if (PICK(o->quota, c->uplink_quota) &&
	    parse_bytes("uplink-quota", PICK(o->quota, c->uplink_quota),
			&u->quota))
		return -ET_EXIT_USAGE;
	if (PICK(o->backoff, c->uplink_backoff) &&
	    (parse_bytes("uplink-backoff", PICK(o->backoff, c->uplink_backoff),
			 &backoff) || !backoff || backoff > 86400))
		return -et_usage_error("uplink", "uplink-backoff must be 1 to "
				       "86400 seconds");
	u->backoff_max_s = (unsigned int)backoff;
	u->batch_kib = CONFIG_UPLINK_BATCH_KIB;
	u->batch_age_s = CONFIG_UPLINK_BATCH_AGE_S;
	return 0;
}

static void json_str(FILE *f, const char *s)
{
	et_json_string(f, s, strlen(s));
}

static void write_json(FILE *f, const struct et_uplink_stats *s)
{
	fprintf(f, "{\"pid\":%d,\"version\":\"%s\",\"started\":%" PRIu64
		",\"state\":", (int)getpid(), ET_VERSION, s->started);
	json_str(f, s->state);
	fprintf(f, ",\"cursor\":%" PRIu64 ",\"last_seq\":%" PRIu64
		",\"lag_records\":%" PRIu64 ",\"lag_seconds\":%" PRIu64
		",\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64
		",\"batches_sent\":%" PRIu64 ",\"batches_duplicate\":%" PRIu64
		",\"batches_refused\":%" PRIu64 ",\"records_sent\":%" PRIu64
		",\"records_lost\":%" PRIu64 ",\"attempts\":%" PRIu64
		",\"failures\":%" PRIu64 ",\"connects\":%" PRIu64
		",\"resumptions\":%" PRIu64 ",\"no_route_checks\":%" PRIu64
		",\"quota_day\":%" PRIu64 ",\"quota_used\":%" PRIu64
		",\"next_batch\":%" PRIu64 ",\"inflight\":{\"batch\":%" PRIu64
		",\"first\":%" PRIu64 ",\"last\":%" PRIu64 "},\"last_error\":",
		s->cursor, s->last_seq, s->lag_records, s->lag_seconds,
		s->bytes_sent, s->bytes_received, s->batches_sent,
		s->batches_duplicate, s->batches_refused, s->records_sent,
		s->records_lost, s->attempts, s->failures, s->connects,
		s->resumptions, s->no_route_checks, s->quota_day,
		s->quota_used, s->next_batch, s->inflight_batch,
		s->inflight_first, s->inflight_last);
	json_str(f, s->last_error);
	fprintf(f, ",\"last_error_at\":%" PRIu64 "}", s->last_error_at);
}

static void write_text(FILE *f, const struct et_uplink_stats *s)
{
	fprintf(f, "uplink    pid %d, %s, cursor %" PRIu64 ", next batch %"
		PRIu64 "\n"
		"lag       %" PRIu64 " records, %" PRIu64 " s behind\n"
		"sent      %" PRIu64 " batches (%" PRIu64 " duplicate), %"
		PRIu64 " records, %" PRIu64 " bytes on the wire (%" PRIu64
		" received)\n"
		"refused   %" PRIu64 " batches skipped; %" PRIu64
		" records evicted before they were sent\n"
		"link      %" PRIu64 " posts, %" PRIu64 " failed, %" PRIu64
		" connections (%" PRIu64 " resuming a session), %" PRIu64
		" route checks without a route\n",
		(int)getpid(), s->state, s->cursor, s->next_batch,
		s->lag_records, s->lag_seconds, s->batches_sent,
		s->batches_duplicate, s->records_sent, s->bytes_sent,
		s->bytes_received, s->batches_refused, s->records_lost,
		s->attempts, s->failures, s->connects, s->resumptions,
		s->no_route_checks);
	if (s->inflight_batch)
		fprintf(f, "in flight batch %" PRIu64 ", seqs %" PRIu64 "-%"
			PRIu64 "\n", s->inflight_batch, s->inflight_first,
			s->inflight_last);
	if (s->last_error[0])
		fprintf(f, "error     %s\n", s->last_error);
}

static void write_file(const char *spool, const char *ext,
		       const struct et_uplink_stats *s,
		       void (*fn)(FILE *, const struct et_uplink_stats *))
{
	char path[512], tmp[600];
	FILE *f;

	if (et_status_path_of(spool, "uplink", ext, path, sizeof(path)))
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fn(f, s);
	if (fclose(f) || rename(tmp, path))
		unlink(tmp);
}

static void on_status(const struct et_uplink_stats *s, void *arg)
{
	write_file(arg, "json", s, write_json);
	write_file(arg, "txt", s, write_text);
}

static void remove_status(const char *spool)
{
	char path[512];

	if (!et_status_path_of(spool, "uplink", "json", path, sizeof(path)))
		unlink(path);
	if (!et_status_path_of(spool, "uplink", "txt", path, sizeof(path)))
		unlink(path);
}

int et_cmd_uplink(int argc, char **argv)
{
	struct uplink_cli o = { 0 };
	struct et_config cfg = { .json = -1, .file_bytes = -1,
				 .socket_bytes = -1 };
	struct et_uplink_opts uo = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct et_spool_opts so;
	struct et_spool *sp = NULL;
	struct et_uplink *u = NULL;
	const struct et_uplink_stats *st;
	const char *spool = ET_DEFAULT_SPOOL;
	char err[512];
	int rc, ret = ET_EXIT_ERROR;

	rc = parse_args(argc, argv, &o);
	if (!rc)
		rc = settings(&o, &cfg, &uo, &spool);
	if (rc) {
		et_config_free(&cfg);
		return rc > 0 ? ET_EXIT_OK : -rc;
	}
	et_spool_defaults(&so);
	sp = et_spool_open(spool, &so, err, sizeof(err));
	if (!sp) {
		et_err("uplink: %s", err);
		goto out;
	}
	uo.on_status = on_status;
	uo.arg = (void *)spool;
	u = et_uplink_new(sp, &uo, err, sizeof(err));
	if (!u) {
		fprintf(stderr, "edgetrace uplink: %s\n", err);
		ret = ET_EXIT_USAGE;
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	mkdir("/run/edgetrace", 0755);
	mkdir("/tmp/edgetrace", 0755);
	fprintf(stderr, "edgetrace uplink: sending %s to %s\n", spool, uo.url);
	if (!et_uplink_run(u, &stop))
		ret = ET_EXIT_OK;
	st = et_uplink_stats(u);
	fprintf(stderr, "edgetrace uplink: stopped: %" PRIu64 " batches sent "
		"(%" PRIu64 " duplicate, %" PRIu64 " refused), %" PRIu64
		" records, %" PRIu64 " bytes on the wire\n", st->batches_sent,
		st->batches_duplicate, st->batches_refused, st->records_sent,
		st->bytes_sent);
	remove_status(spool);
out:
	et_uplink_free(u);
	if (sp && et_spool_close(sp))
		ret = ET_EXIT_ERROR;
	et_seal_cleanup();
	et_config_free(&cfg);
	return ret;
}
