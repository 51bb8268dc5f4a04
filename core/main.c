// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - the edgetrace command line: dispatch to a command.
 *
 * Each command parses its own options (run.c, query.c, export.c, armor.c,
 * sealed.c).
 * Usage errors exit with 2 and name the bad argument; runtime errors exit
 * with 1 (import: 3 when records are missing).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "version.h"

static const char usage[] =
"usage: edgetrace COMMAND [OPTIONS]\n"
"\n"
"A system-behaviour monitor for Linux edge gateways: eBPF probes record\n"
"what happens on the device into a bounded, power-loss-safe spool.\n"
"\n"
"Commands:\n"
"  run      capture events into the spool     (edgetrace run --help)\n"
"  query    print events stored in the spool  (edgetrace query --help)\n"
"  status   print the spool's figures         (edgetrace status --help)\n"
"  export   write the spool to stdout         (edgetrace export --help)\n"
"  import   armored text back into a capture  (edgetrace import --help)\n"
#ifdef CONFIG_UPLINK_SEAL
"  keygen   make fleet or device key pairs    (edgetrace keygen --help)\n"
"  decode   verify, decrypt sealed batches    (edgetrace decode --help)\n"
#endif
#ifdef CONFIG_UPLINK_HTTPS
"  uplink   send the spool to the collector   (edgetrace uplink --help)\n"
#endif
"\n"
"Options:\n"
"  -h, --help     show this help\n"
"  -V, --version  show the version and build configuration\n";

void et_err(const char *fmt, ...)
{
	va_list ap;

	fputs("edgetrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int et_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "edgetrace %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'edgetrace %s --help'.\n", cmd);
	return ET_EXIT_USAGE;
}

int et_getopt_error(const char *cmd, int c, char **argv)
{
	const char *o = argv[optind - 1];	/* argv[argc] is NULL */
	char shortopt[3] = { '-', (char)optopt, '\0' };

	/* a short option's missing value leaves optind past the end */
	if (!o || o[0] != '-')
		o = shortopt;
	if (c == ':')
		return et_usage_error(cmd, "option '%s' needs a value", o);
	return et_usage_error(cmd, "unknown option '%s'", o);
}

int et_stray_arg(const char *cmd, const char *arg)
{
	return et_usage_error(cmd, "unexpected argument '%s'", arg);
}

static int version(void)
{
	printf("edgetrace %s (%s, record format %d.%d, probes: %s)\n",
	       ET_VERSION, CONFIG_TARGET_TRIPLE, ET_REC_MAJOR, ET_REC_MINOR,
	       et_probes_names());
	return ET_EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fputs(usage, stderr);
		return ET_EXIT_USAGE;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		fputs(usage, stdout);
		return ET_EXIT_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version"))
		return version();
	if (!strcmp(cmd, "run"))
		return et_cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "query"))
		return et_cmd_query(argc - 1, argv + 1);
	if (!strcmp(cmd, "status"))
		return et_cmd_status(argc - 1, argv + 1);
	if (!strcmp(cmd, "export"))
		return et_cmd_export(argc - 1, argv + 1);
	if (!strcmp(cmd, "import"))
		return et_cmd_import(argc - 1, argv + 1);
#ifdef CONFIG_UPLINK_SEAL
	if (!strcmp(cmd, "keygen"))
		return et_cmd_keygen(argc - 1, argv + 1);
	if (!strcmp(cmd, "decode"))
		return et_cmd_decode(argc - 1, argv + 1);
#else
	if (!strcmp(cmd, "keygen") || !strcmp(cmd, "decode")) {
		fprintf(stderr, "edgetrace: '%s' is not in this build: it was "
			"configured without CONFIG_UPLINK_SEAL\n", cmd);
		return ET_EXIT_USAGE;
	}
#endif
#ifdef CONFIG_UPLINK_HTTPS
	if (!strcmp(cmd, "uplink"))
		return et_cmd_uplink(argc - 1, argv + 1);
#else
	if (!strcmp(cmd, "uplink")) {
		fprintf(stderr, "edgetrace: 'uplink' is not in this build: it "
			"was configured without CONFIG_UPLINK_HTTPS\n");
		return ET_EXIT_USAGE;
	}
#endif
	fprintf(stderr, "edgetrace: unknown command '%s'\n"
		"Try 'edgetrace --help' for the list of commands.\n", cmd);
	return ET_EXIT_USAGE;
}
