// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl check: can this process group be checkpointed by me?
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static const char check_usage[] =
	"Usage: ckptctl check <pgid> [--session] [--tcp-established] [--json]\n"
	"       ckptctl check --kernel [--json]\n\n"
	"Tell whether the process group <pgid> (with --session: every process of\n"
	"session <pgid>) can be checkpointed by the caller, without touching it.\n"
	"On refusal, the message names the process and the reason. With\n"
	"--tcp-established, TCP connections to peers outside the group are not\n"
	"refused (as 'ckptctl dump --tcp-established' would carry them).\n\n"
	"With --kernel, test instead that the running kernel behaves as the\n"
	"snapshot relies on ('ckptctl check --kernel --help').\n";

int check_main(int argc, char **argv)
{
	struct libckpt_census census;
	const char *pgid_arg = NULL;
	unsigned int pgid, flags = 0;
	bool json = false;
	struct libckpt *h;
	int i, ret, code;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--kernel"))
			return check_kernel_main(argc, argv);
	if (wants_help(argc, argv, check_usage))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--session"))
			flags |= LIBCKPT_F_SESSION;
		else if (!strcmp(argv[i], "--tcp-established"))
			flags |= LIBCKPT_F_TCP_ESTABLISHED;
		else if (!pgid_arg)
			pgid_arg = argv[i];
		else
			goto usage;
	}
	if (!pgid_arg)
		goto usage;
	if (!parse_u32(pgid_arg, &pgid)) {
		fprintf(stderr, "%s check: '%s' is not a process group id\n",
			prog, pgid_arg);
		return EXIT_USAGE;
	}

	h = connect_module(&code);
	if (!h)
		return code;
	ret = libckpt_check_with(h, pgid, flags, &census);
	if (ret < 0) {
		code = report(h, ret, "%s %u cannot be checkpointed",
			      group_kind(flags), pgid);
		libckpt_close(h);
		return code;
	}
	libckpt_close(h);
	if (json)
		printf("{\"%s\": %u, \"tasks\": %" PRIu32 ", \"threads\": %"
		       PRIu32 ", \"checkpointable\": true}\n",
		       (flags & LIBCKPT_F_SESSION) ? "sid" : "pgid",
		       pgid, census.nr_tasks, census.nr_threads);
	else
		printf("%s %u: %" PRIu32 " processes, %" PRIu32
		       " threads: can be checkpointed\n", group_kind(flags),
		       pgid, census.nr_tasks, census.nr_threads);
	return EXIT_OK;

usage:
	fprintf(stderr, "%s", check_usage);
	return EXIT_USAGE;
}
