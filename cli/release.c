// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl release-tcp: end the module's hold of TCP connections.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char release_usage[] =
	"Usage: ckptctl release-tcp <job>|--all\n\n"
	"A checkpoint taken with --tcp-established that leaves its group stopped\n"
	"(dump --kill or --leave-stopped) holds the group's TCP connections to\n"
	"outside peers back: their segments are dropped and their sockets are in\n"
	"repair mode, until the restore re-creates them. When the group is to run\n"
	"on where it is instead, end the hold of checkpoint <job> (as dump and\n"
	"status name it), or of every checkpoint of yours with --all, before\n"
	"resuming it (SIGCONT): the connections resume when either end sends\n"
	"again. Holds also end by themselves after the module parameter\n"
	"tcp_hold_s (seconds).\n";

int release_main(int argc, char **argv)
{
	const char *arg = argc == 2 ? argv[1] : NULL;
	uint64_t id = 0;
	uint32_t n = 0;
	struct libckpt *h;
	char *end;
	int ret, code;

	if (wants_help(argc, argv, release_usage))
		return EXIT_OK;
	if (!arg || (strcmp(arg, "--all") &&
		     (id = strtoull(arg, &end, 10), !id || *end || arg[0] == '-'))) {
		fprintf(stderr, "%s", release_usage);
		return EXIT_USAGE;
	}
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
	printf("%" PRIu32 " TCP connection(s) released\n", n);
	return EXIT_OK;
}
