// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl restore: rebuild a checkpointed process; it runs on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli.h"

static const char restore_usage[] =
	"Usage: ckptctl restore IMAGE|AREA[:GEN]|-|<pgid> [--area PATH] [--wait] [--pidns]\n"
	"                       [--shell-job] [--new-pid] [--skip-file-check] [--progress]\n"
	"                       [--lazy [--lazy-rate BYTES]] [--json]\n\n"
	"Rebuild the checkpointed processes so they continue where they were\n"
	"frozen: the tree with its pids, sessions, process groups and threads,\n"
	"memory, registers, descriptors (open files shared as before), working\n"
	"directory, limits and signal state. Nothing runs unless every process\n"
	"was restored. An area means its newest committed generation; '-' reads\n"
	"the image from standard input (e.g. from 'ckptctl dump -o -'). A number\n"
	"that names no file is a process group (or session): its newest committed\n"
	"generation in the area of --area, by default $CKPT_AREA, else\n"
	DEFAULT_AREA ".\n"
	"By default the restored root is detached (its parent becomes init).\n\n"
	"  --area PATH  the area to find <pgid>'s generation in\n"
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
	"  --lazy       start the tree with only the memory it needs to run;\n"
	"               a page server fills the rest of its anonymous memory\n"
	"               on demand and in the background, then checks the\n"
	"               image's checksum (a mismatch kills the tree); pages\n"
	"               written or read lately before the checkpoint first;\n"
	"               from '-', the tree starts once what it needs has\n"
	"               arrived and the server reads the rest of the stream\n"
	"  --lazy-rate BYTES  limit that background fill to BYTES per second\n"
	"               (K, M, G suffixes; faults are served at once)\n"
	"  --json       print the result as JSON\n";

enum {
	OPT_AREA = 256, OPT_WAIT, OPT_NEW_PID, OPT_PIDNS, OPT_SHELL_JOB,
	OPT_SKIP_FILE_CHECK, OPT_PROGRESS, OPT_JSON, OPT_LAZY, OPT_LAZY_RATE,
};

static const struct option restore_opts[] = {
	{ "area", required_argument, NULL, OPT_AREA },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "new-pid", no_argument, NULL, OPT_NEW_PID },
	{ "pidns", no_argument, NULL, OPT_PIDNS },
	{ "shell-job", no_argument, NULL, OPT_SHELL_JOB },
	{ "skip-file-check", no_argument, NULL, OPT_SKIP_FILE_CHECK },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "lazy", no_argument, NULL, OPT_LAZY },
	{ "lazy-rate", required_argument, NULL, OPT_LAZY_RATE },
	CMDLINE_HELP,
	{ 0 }
};

struct restore_args {
	const char *spec;
	const char *area;	/* --area */
	unsigned int pgid;	/* spec is a process group of the area */
	struct libckpt_restore_opts o;
	bool force_progress, json;
};

static bool restore_option(const struct cmdline *c, int opt, void *arg)
{
	struct restore_args *a = arg;

	(void)c;
	switch (opt) {
	case OPT_AREA:
		a->area = optarg;
		break;
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
	case OPT_LAZY:
		a->o.lazy = 1;
		break;
	case OPT_LAZY_RATE:
		return parse_rate(c, "--lazy-rate", optarg, &a->o.lazy_rate);
	}
	return true;
}

/* A number that names no file is a process group: "restore 1234". */
static bool is_group(const char *spec, unsigned int *pgid)
{
	struct stat st;

	return parse_u32(spec, pgid) && stat(spec, &st) && errno == ENOENT;
}

/* True to go on; else *@code is the exit code (EXIT_OK after --help). */
static bool parse_args(int argc, char **argv, struct restore_args *a, int *code)
{
	struct cmdline c = CMDLINE_INIT("restore", restore_usage, "h", restore_opts, argc,
					argv);

	if (!cmdline_options(&c, restore_option, a, code))
		return false;
	a->spec = cmdline_need(&c, "the image (IMAGE, AREA[:GEN], - or <pgid>)");
	if (!a->spec || !cmdline_end(&c))
		return false;
	if (a->o.lazy_rate && !a->o.lazy) {
		cmdline_error(&c, "--lazy-rate goes with --lazy");
		return false;
	}
	if (!is_group(a->spec, &a->pgid)) {
		a->pgid = 0;
		if (a->area) {
			cmdline_error(&c, "--area goes with a <pgid>, and '%s' is none", a->spec);
			return false;
		}
	} else if (!a->area) {
		a->area = default_area_path();
	}
	return true;
}

/*
 * Point a->spec at "AREA:GEN", the newest committed generation of group
 * a->pgid in a->area; else say which groups the area holds. Each generation
 * looked at is verified whole, as any restore does.
 */
static bool find_generation(struct restore_args *a, char *spec, size_t size)
{
	char err[LIBCKPT_ERRLEN] = "", held[512] = "";
	int order[CKPT_AREA_SLOTS], i, n, fd, ret;
	struct libckpt_image *img;
	struct ckpt_area_sb sb;
	size_t len = 0;
	bool found;

	fd = open(a->area, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot restore process group %u: cannot open the area %s: %s\n",
			prog, a->pgid, a->area, strerror(errno));
		return false;
	}
	ret = libckpt_area_read(fd, &sb, err, sizeof(err));
	close(fd);
	if (ret) {
		fprintf(stderr, "%s: cannot restore process group %u: %s: %s\n", prog, a->pgid,
			a->area, err);
		return false;
	}
	n = committed_newest_first(&sb, order);
	for (i = 0; i < n; i++) {
		snprintf(spec, size, "%s:%llu", a->area, sb.slots[order[i]].generation);
		if (libckpt_image_open(spec, &img, err, sizeof(err))) {
			fprintf(stderr, "%s: skipping %s: %s\n", prog, spec, err);
			continue;
		}
		found = image_of_group(img, a->pgid);
		if (!found && len < sizeof(held) && libckpt_image_nr_tasks(img))
			len += (size_t)snprintf(held + len, sizeof(held) - len, "%s%llu (pgid %u)",
						len ? ", " : "", sb.slots[order[i]].generation,
						libckpt_image_task(img, 0)->rec.pgid);
		libckpt_image_close(img);
		if (found)
			return true;
	}
	fprintf(stderr, "%s: the area %s holds no committed generation of process group %u%s%s\n",
		prog, a->area, a->pgid, held[0] ? "; its generations: " : "", held);
	return false;
}

int restore_main(int argc, char **argv)
{
	struct restore_args a = { 0 };
	char err[LIBCKPT_ERRLEN], spec[PATH_MAX + 32];
	struct progress pr;
	int ret, code, status = 0;
	pid_t pid = 0, server = 0;

	if (!parse_args(argc, argv, &a, &code))
		return code;
	if (a.pgid) {
		if (!find_generation(&a, spec, sizeof(spec)))
			return EXIT_FAILED;
		a.spec = spec;
	}
	progress_init(&pr, "reading the image", a.force_progress);
	a.o.progress = progress_cb;
	a.o.progress_arg = &pr;
	a.o.lazy_server = &server;
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
		printf(", \"pidns\": %s", a.o.pidns ? "true" : "false");
		if (server)
			printf(", \"page_server\": %d", server);
		printf("}\n");
	} else {
		printf("restored pid %d from %s%s\n", pid, a.spec,
		       a.o.pidns ? " (in a new pid namespace)" : "");
		if (server)
			printf("its memory is served lazily by pid %d\n", server);
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
