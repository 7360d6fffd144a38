// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl: command dispatch and shared helpers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const char *prog = "ckptctl";

static const struct subcommand subcommands[] = {
	{ "info", info_main, "Show the loaded module's version, features and limits" },
	{ "check", check_main, "Tell whether a process group can be checkpointed" },
	{ "freeze", freeze_main, "Checkpoint a process group into an area" },
	{ "status", status_main, "List checkpoints in flight and recently finished" },
	{ "dump", dump_main, "Checkpoint a process group into an image file or a pipe" },
	{ "restore", restore_main, "Restore a checkpointed process from an image" },
	{ "area", area_main, "Create an area, or describe its generations" },
	{ "show", show_main, "Verify and decode a checkpoint image" },
	{ "export", export_main, "Copy one generation of an area out as an image" },
	{ "release-tcp", release_main, "End the hold of checkpointed TCP connections" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s <command> [<args>]\n\n"
		"Transparent checkpoint/restore of process trees.\n\n"
		"Commands:\n", prog);
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-12s %s\n", subcommands[i].name,
			subcommands[i].help);
	fprintf(f, "\n'%s <command> --help' describes a command; "
		"'%s --version' prints the version.\n", prog, prog);
}

int report(struct libckpt *h, int err, const char *fmt, ...)
{
	const char *why = h ? libckpt_error(h) : "";
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (why[0])
		fprintf(stderr, ": %s (%s)\n", why, strerror(-err));
	else
		fprintf(stderr, ": %s\n", strerror(-err));
	return err == -ENOENT && !h ? EXIT_NO_MODULE : EXIT_FAILED;
}

struct libckpt *connect_module(int *exit_code)
{
	struct libckpt *h;
	int ret = libckpt_open(&h);

	if (ret == -ENOENT) {
		fprintf(stderr, "%s: the ckpt module is not loaded "
			"(generic netlink family '%s' not found)\n",
			prog, CKPT_GENL_NAME);
		*exit_code = EXIT_NO_MODULE;
		return NULL;
	}
	if (ret < 0) {
		*exit_code = report(NULL, ret, "cannot open a netlink socket");
		return NULL;
	}
	return h;
}

/* A JSON string; bytes outside printable ASCII become \u00XX escapes. */
void json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

void print_time(uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000);
	char buf[32];
	struct tm tm;

	if (!ns || !gmtime_r(&sec, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm)) {
		printf("-");
		return;
	}
	printf("%s.%06uZ", buf, (unsigned int)(ns % 1000000000 / 1000));
}

const char *job_state_name(uint32_t state)
{
	switch (state) {
	case CKPT_JOB_STREAMING: return "streaming";
	case CKPT_JOB_COMMITTED: return "committed";
	case CKPT_JOB_FAILED: return "failed";
	}
	return "unknown";
}

bool parse_u32(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 0xffffffffUL)
		return false;
	*out = (unsigned int)v;
	return true;
}

static const struct option main_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 }
};

int main(int argc, char **argv)
{
	const char *cmd;
	size_t i;
	int opt;

	argv[0] = (char *)prog;
	/* '+': the options before the command are ckptctl's, the rest its. */
	while ((opt = getopt_long(argc, argv, "+h", main_opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("ckptctl %s\n", libckpt_version());
			return EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help'.\n", prog);
			return EXIT_USAGE;
		}
	}
	cmd = optind < argc ? argv[optind] : NULL;
	if (!cmd) {
		fprintf(stderr, "%s: missing <command>\n", prog);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(cmd, subcommands[i].name))
			return subcommands[i].fn(argc - optind, argv + optind);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
	usage(stderr);
	return EXIT_USAGE;
}
