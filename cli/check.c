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

enum { OPT_SESSION = 256, OPT_TCP, OPT_KERNEL, OPT_JSON };

static const struct option check_opts[] = {
	{ "session", no_argument, NULL, OPT_SESSION },
	{ "tcp-established", no_argument, NULL, OPT_TCP },
	{ "kernel", no_argument, NULL, OPT_KERNEL },
	{ "json", no_argument, NULL, OPT_JSON },
	CMDLINE_HELP,
	{ 0 }
};

/* check --kernel takes nothing but --json. */
static int check_kernel(struct cmdline *c, unsigned int flags, bool json)
{
	if (flags)
		return cmdline_error(c, "--kernel takes no --session or --tcp-established");
	if (!cmdline_end(c))
		return EXIT_USAGE;
	return check_kernel_run(json);
}

int check_main(int argc, char **argv)
{
	struct cmdline c = CMDLINE_INIT("check", check_usage, "h", check_opts, argc, argv);
	struct libckpt_census census;
	const char *pgid_arg;
	unsigned int pgid, flags = 0;
	bool json = false, kernel = false;
	struct libckpt *h;
	int opt, ret, code;

	while ((opt = cmdline_next(&c)) != -1) {
		switch (opt) {
		case OPT_SESSION:
			flags |= LIBCKPT_F_SESSION;
			break;
		case OPT_TCP:
			flags |= LIBCKPT_F_TCP_ESTABLISHED;
			break;
		case OPT_KERNEL:
			/* From here on, --help describes check --kernel. */
			kernel = true;
			c.usage = check_kernel_usage;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			return cmdline_stop(opt);
		}
	}
	if (kernel)
		return check_kernel(&c, flags, json);
	pgid_arg = cmdline_need(&c, "<pgid>");
	if (!pgid_arg || !cmdline_end(&c))
		return EXIT_USAGE;
	if (!parse_u32(pgid_arg, &pgid))
		return cmdline_error(&c, "'%s' is not a process group id", pgid_arg);

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
}
