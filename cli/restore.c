// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl restore: rebuild a checkpointed process; it runs on.
 */
#include <string.h>
#include <sys/wait.h>

#include "cli.h"

static const char restore_usage[] =
	"Usage: ckptctl restore IMAGE|AREA[:GEN]|- [--wait] [--new-pid]\n\n"
	"Rebuild the checkpointed process so it continues where it was frozen:\n"
	"same pid, memory, registers, descriptors, working directory, limits and\n"
	"signal state. An area means its newest committed generation; '-' reads\n"
	"the image from standard input (e.g. from 'ckptctl dump -o -').\n\n"
	"  --wait      stay its parent and exit with its exit status\n"
	"  --new-pid   do not ask for the original pid\n\n"
	"Not yet: process trees (refused).\n";

int restore_main(int argc, char **argv)
{
	struct libckpt_restore_opts o = { 0 };
	const char *spec = NULL;
	char err[LIBCKPT_ERRLEN];
	int i, ret, status = 0;
	pid_t pid = 0;

	if (wants_help(argc, argv, restore_usage))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait")) {
			o.wait = 1;
		} else if (!strcmp(argv[i], "--new-pid")) {
			o.new_pid = 1;
		} else if (!spec && (argv[i][0] != '-' || !strcmp(argv[i], "-"))) {
			spec = argv[i];
		} else {
			fprintf(stderr, "%s restore: unexpected argument '%s'\n%s",
				prog, argv[i], restore_usage);
			return EXIT_USAGE;
		}
	}
	if (!spec) {
		fprintf(stderr, "%s", restore_usage);
		return EXIT_USAGE;
	}
	ret = libckpt_restore(spec, &o, &pid, &status, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "%s: cannot restore %s: %s\n", prog, spec, err);
		return EXIT_FAILED;
	}
	if (!o.wait) {
		printf("restored pid %d from %s\n", pid, spec);
		return EXIT_OK;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "%s: restored process killed by signal %d\n", prog,
		WTERMSIG(status));
	return 128 + WTERMSIG(status);
}
