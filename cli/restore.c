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
	"Usage: ckptctl restore IMAGE|AREA[:GEN]|- [--wait] [--pidns] [--shell-job]\n"
	"                       [--new-pid] [--skip-file-check] [--progress] [--json]\n\n"
	"Rebuild the checkpointed processes so they continue where they were\n"
	"frozen: the tree with its pids, sessions, process groups and threads,\n"
	"memory, registers, descriptors (open files shared as before), working\n"
	"directory, limits and signal state. Nothing runs unless every process\n"
	"was restored. An area means its newest committed generation; '-' reads\n"
	"the image from standard input (e.g. from 'ckptctl dump -o -').\n"
	"By default the restored root is detached (its parent becomes init).\n\n"
	"  --wait       stay the root's parent and exit with its exit status\n"
	"  --pidns      restore into a new pid namespace, with the same pids,\n"
	"               under a small init that reaps the tree\n"
	"  --shell-job  descriptors that were a terminal get the caller's\n"
	"               terminal, with the image's terminal settings\n"
	"  --new-pid    one process only: do not ask for the original pid\n"
	"  --skip-file-check  accept files whose size or mtime changed since\n"
	"               the checkpoint (the process may then see other contents)\n"
	"  --progress   show the progress line (reading '-') even if stderr is\n"
	"               not a terminal\n"
	"  --json       print the result as JSON\n";

int restore_main(int argc, char **argv)
{
	struct libckpt_restore_opts o = { 0 };
	bool force_progress = false, json = false;
	struct progress pr;
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
		} else if (!strcmp(argv[i], "--pidns")) {
			o.pidns = 1;
		} else if (!strcmp(argv[i], "--shell-job")) {
			o.shell_job = 1;
		} else if (!strcmp(argv[i], "--skip-file-check")) {
			o.skip_file_check = 1;
		} else if (!strcmp(argv[i], "--progress")) {
			force_progress = true;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
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
	progress_init(&pr, "reading the image", force_progress);
	o.progress = progress_cb;
	o.progress_arg = &pr;
	ret = libckpt_restore(spec, &o, &pid, &status, err, sizeof(err));
	if (pr.drawn)
		fputc('\n', stderr);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot restore %s: %s\n", prog, spec, err);
		return EXIT_FAILED;
	}
	if (json)
		printf("{\"pid\": %d, \"image\": \"%s\", \"pidns\": %s}\n", pid, spec,
		       o.pidns ? "true" : "false");
	else
		printf("restored pid %d from %s%s\n", pid, spec,
		       o.pidns ? " (in a new pid namespace)" : "");
	if (!o.wait)
		return EXIT_OK;
	fflush(stdout);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "%s: restored process killed by signal %d\n", prog,
		WTERMSIG(status));
	return 128 + WTERMSIG(status);
}
