// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - edgetrace-collector: the command line, the keys, the sinks,
 * then the server until SIGTERM or SIGINT (docs/collector.md).
 *
 * Everything that can be wrong in the configuration is checked before
 * the collector listens: each key, certificate and directory is read,
 * and PostgreSQL is connected to (and its tables created); an error names
 * the option, and the exit code is 1 (2 for a bad command line).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "version.h"

static const char usage[] =
"usage: edgetrace-collector --listen ADDR:PORT --cert FILE --key FILE\n"
"                           --ca FILE --fleet-key FILE\n"
"                           [--ndjson DIR] [--pg CONNINFO]\n"
"                           [--max-batch-bytes N]\n"
"\n"
"The fleet collector: receives sealed batches from edgetrace agents over\n"
"HTTPS with mutual TLS (POST /v1/batches, docs/uplink-protocol.md),\n"
"verifies, decrypts and stores each once (docs/collector.md).\n"
"\n"
"  --listen ADDR:PORT    where to listen: 0.0.0.0:8443, [::]:8443,\n"
"                        127.0.0.1:0 (any free port; the log says which)\n"
"  --cert FILE           the collector's TLS certificate (PEM), and\n"
"  --key FILE            its private key\n"
"  --ca FILE             the fleet CA: client certificates must chain to it\n"
"  --fleet-key FILE      the fleet's private key (fleet.key): opens batches\n"
"  --ndjson DIR          write DIR/DEVICE/YYYY-MM-DD.ndjson, one line per\n"
"                        record as 'edgetrace export --format jsonl'\n"
"  --pg CONNINFO         store into PostgreSQL (libpq connection string,\n"
"                        e.g. 'host=/run/postgresql dbname=edgetrace');\n"
"                        its unique key deduplicates batches\n"
"  --max-batch-bytes N   answer 413 to a larger request (default 16777216)\n"
"  -V, --version         print the version\n"
"  -h, --help            show this help\n"
"\n"
"At least one of --ndjson and --pg. Logs go to stderr, a line per batch\n"
"and per refused connection. SIGTERM or SIGINT stops it.\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", CO_NAME);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(%s --help shows the options)\n", CO_NAME);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "ca", required_argument, NULL, 'a' },
		{ "fleet-key", required_argument, NULL, 'f' },
		{ "ndjson", required_argument, NULL, 'n' },
		{ "pg", required_argument, NULL, 'p' },
		{ "max-batch-bytes", required_argument, NULL, 'm' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct co_server_opts so = { .max_batch = CO_MAX_BATCH_DEFAULT };
	const char *fleet_path = NULL, *ndjson = NULL, *pg = NULL;
	struct et_seal_key *fleet = NULL;
	struct co_sinks *sinks = NULL;
	struct co_server *srv = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, waitmask;
	char err[512], *end;
	unsigned long long v;
	int c, ret = 1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", opts, NULL)) != -1) {
		switch (c) {
		case 'l': so.listen = optarg; break;
		case 'c': so.cert = optarg; break;
		case 'k': so.key = optarg; break;
		case 'a': so.ca = optarg; break;
		case 'f': fleet_path = optarg; break;
		case 'n': ndjson = optarg; break;
		case 'p': pg = optarg; break;
		case 'm':
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (*end || end == optarg || errno || *optarg == '-' ||
			    v < 1024 || v > ET_SEAL_BATCH_MAX)
				return bad_usage("--max-batch-bytes '%s': give "
						 "a number of bytes from 1024 "
						 "to 16777505", optarg);
			so.max_batch = v;
			break;
		case 'V':
			printf("%s %s\n", CO_NAME, ET_VERSION);
			return 0;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			return bad_usage("%s needs a value", argv[optind - 1]);
		default:
			return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	if (!so.listen)
		return bad_usage("%s", "--listen is required");
	if (!so.cert || !so.key || !so.ca)
		return bad_usage("%s", "--cert, --key and --ca are required "
				 "(the TLS certificate and key of the "
				 "collector, the fleet CA)");
	if (!fleet_path)
		return bad_usage("%s", "--fleet-key is required (the fleet's "
				 "private key, fleet.key)");
	if (!ndjson && !pg)
		return bad_usage("%s", "give --ndjson DIR, --pg CONNINFO or "
				 "both: where to store the batches");

	fleet = et_seal_key_load("--fleet-key", fleet_path, ET_KEY_PRIVATE,
				 err, sizeof(err));
	if (!fleet)
		goto fail;
	sinks = co_sinks_open(pg, ndjson, err, sizeof(err));
	if (!sinks)
		goto fail;
	so.fleet = fleet;
	so.sinks = sinks;

	/* SIGTERM and SIGINT are taken only inside the wait: ppoll */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	srv = co_server_new(&so, err, sizeof(err));
	if (!srv)
		goto fail;
	{
		char hex[2 * ET_SEAL_KEY_ID_SIZE + 1];

		et_seal_id_hex(et_seal_key_id(fleet), hex);
		co_log("fleet key %s; sinks:%s%s%s; batches up to %zu bytes",
		       hex, pg ? " PostgreSQL" : "", ndjson ? " NDJSON " : "",
		       ndjson ? ndjson : "", so.max_batch);
	}
	ret = co_server_run(srv, &stop, &waitmask) ? 1 : 0;
	goto out;

fail:
	fprintf(stderr, "%s: %s\n", CO_NAME, err);
out:
	co_server_free(srv);
	co_sinks_close(sinks);
	et_seal_key_free(fleet);
	et_seal_cleanup();
	return ret;
}
