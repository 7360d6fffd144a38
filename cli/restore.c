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

enum {
	OPT_WAIT = 256, OPT_NEW_PID, OPT_PIDNS, OPT_SHELL_JOB,
	OPT_SKIP_FILE_CHECK, OPT_PROGRESS, OPT_JSON,
};

static const struct option restore_opts[] = {
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "new-pid", no_argument, NULL, OPT_NEW_PID },
	{ "pidns", no_argument, NULL, OPT_PIDNS },
	{ "shell-job", no_argument, NULL, OPT_SHELL_JOB },
	{ "skip-file-check", no_argument, NULL, OPT_SKIP_FILE_CHECK },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "json", no_argument, NULL, OPT_JSON },
	CMDLINE_HELP,
	{ 0 }
};

struct restore_args {
	const char *spec;
	struct libckpt_restore_opts o;
	bool force_progress, json;
};

static bool restore_option(const struct cmdline *c, int opt, void *arg)
{
	struct restore_args *a = arg;

	(void)c;
	switch (opt) {
	case OPT_WAIT:
		a->o.wait = 1;
		break;
	case OPT_NEW_PID:
		a->o.new_pid = 1;
		break;
	case OPT_PIDNS:
		a->o.pidns = 1;
		break;
	case OPT_SHELL_JOB:
		a->o.shell_job = 1;
		break;
	case OPT_SKIP_FILE_CHECK:
		a->o.skip_file_check = 1;
		break;
	case OPT_PROGRESS:
		a->force_progress = true;
		break;
	case OPT_JSON:
		a->json = true;
		break;
	}
	return true;
}

/* True to go on; else *@code is the exit code (EXIT_OK after --help). */
static bool parse_args(int argc, char **argv, struct restore_args *a, int *code)
{
	struct cmdline c = CMDLINE_INIT("restore", restore_usage, "h", restore_opts, argc,
					argv);

	if (!cmdline_options(&c, restore_option, a, code))
		return false;
	a->spec = cmdline_need(&c, "the image (IMAGE, AREA[:GEN] or -)");
	return a->spec && cmdline_end(&c);
}

int restore_main(int argc, char **argv)
{
	struct restore_args a = { 0 };
	char err[LIBCKPT_ERRLEN];
	struct progress pr;
	int ret, code, status = 0;
	pid_t pid = 0;

	if (!parse_args(argc, argv, &a, &code))
		return code;
	progress_init(&pr, "reading the image", a.force_progress);
	a.o.progress = progress_cb;
	a.o.progress_arg = &pr;
	ret = libckpt_restore(a.spec, &a.o, &pid, &status, err, sizeof(err));
	if (pr.drawn)
		fputc('\n', stderr);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot restore %s: %s\n", prog, a.spec, err);
		return EXIT_FAILED;
	}
	if (a.json) {
		printf("{\"pid\": %d, \"image\": ", pid);
		json_str(a.spec);
		printf(", \"pidns\": %s}\n", a.o.pidns ? "true" : "false");
	} else {
		printf("restored pid %d from %s%s\n", pid, a.spec,
		       a.o.pidns ? " (in a new pid namespace)" : "");
	}
	if (!a.o.wait)
		return EXIT_OK;
	fflush(stdout);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "%s: restored process killed by signal %d\n", prog,
		WTERMSIG(status));
	return 128 + WTERMSIG(status);
}
