// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl release-tcp: end the module's hold of TCP connections.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char release_usage[] =
	"Usage: ckptctl release-tcp <job>|--all [--json]\n\n"
	"A checkpoint taken with --tcp-established that leaves its group stopped\n"
	"(dump --kill or --leave-stopped) holds the group's TCP connections to\n"
	"outside peers back: their segments are dropped and their sockets are in\n"
	"repair mode, until the restore re-creates them. When the group is to run\n"
	"on where it is instead, end the hold of checkpoint <job> (as dump and\n"
	"status name it), or of every checkpoint of yours with --all, before\n"
	"resuming it (SIGCONT): the connections resume when either end sends\n"
	"again. Holds also end by themselves after the module parameter\n"
	"tcp_hold_s (seconds).\n\n"
	"  --json  print the result as JSON\n";

enum { OPT_ALL = 256, OPT_JSON };

static const struct option release_opts[] = {
	{ "all", no_argument, NULL, OPT_ALL },
	{ "json", no_argument, NULL, OPT_JSON },
	CMDLINE_HELP,
	{ 0 }
};

/* <job> as dump and status print it, or --all (id 0); false if neither. */
static bool parse_job(struct cmdline *c, bool all, uint64_t *id)
{
	const char *arg = cmdline_operand(c);
	char *end;

	if (all) {
		*id = 0;
		if (!arg)
			return true;
		cmdline_error(c, "--all and a job '%s' exclude each other", arg);
		return false;
	}
	if (!arg) {
		cmdline_error(c, "missing <job> (or --all)");
		return false;
	}
	errno = 0;
	*id = strtoull(arg, &end, 10);
	if (errno || !*id || *end || arg[0] == '-' || arg[0] == '+') {
		cmdline_error(c, "'%s' is not a job number", arg);
		return false;
	}
	return cmdline_end(c);
}

int release_main(int argc, char **argv)
{
	struct cmdline c = CMDLINE_INIT("release-tcp", release_usage, "h", release_opts,
					argc, argv);
	bool all = false, json = false;
	uint64_t id;
	uint32_t n = 0;
	struct libckpt *h;
	int opt, ret, code;

	while ((opt = cmdline_next(&c)) != -1) {
		if (opt == OPT_ALL)
			all = true;
		else if (opt == OPT_JSON)
			json = true;
		else
			return cmdline_stop(opt);
	}
	if (!parse_job(&c, all, &id))
		return EXIT_USAGE;
	h = connect_module(&code);
	if (!h)
		return code;
	ret = libckpt_tcp_release(h, id, &n);
	if (ret < 0) {
		code = report(h, ret, "cannot end the hold of TCP connections");
		libckpt_close(h);
		return code;
	}
	libckpt_close(h);
	if (json)
		printf("{\"released\": %" PRIu32 "}\n", n);
	else
		printf("%" PRIu32 " TCP connection(s) released\n", n);
	return EXIT_OK;
}
