// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl dump: checkpoint a process group into one image file or stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char dump_usage[] =
	"Usage: ckptctl dump <pgid> -o FILE|- [--kill] [--rate BYTES]\n\n"
	"Freeze process group <pgid> and stream its image into FILE, or to standard\n"
	"output with '-' (a pipe or socket: no temporary copy), and wait until the\n"
	"image is complete. Messages go to standard error.\n\n"
	"  --kill        kill the group once its image is complete (migration)\n"
	"  --rate BYTES  limit the writer to BYTES per second (K, M, G suffixes)\n\n"
	"Example:  ckptctl dump 1234 -o - --kill | ssh other ckptctl restore -\n";

int dump_main(int argc, char **argv)
{
	const char *out = NULL, *pgid_arg = NULL;
	struct libckpt_job job, done;
	unsigned int pgid;
	uint64_t rate = 0;
	bool kill_after = false;
	struct libckpt *h;
	int i, fd, ret, code;

	if (wants_help(argc, argv, dump_usage))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--kill"))
			kill_after = true;
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc &&
			 parse_size(argv[i + 1], &rate))
			i++;
		else if (!pgid_arg && argv[i][0] != '-')
			pgid_arg = argv[i];
		else
			goto usage;
	}
	if (!out || !pgid_arg)
		goto usage;
	if (!parse_u32(pgid_arg, &pgid)) {
		fprintf(stderr, "%s dump: '%s' is not a process group id\n", prog, pgid_arg);
		return EXIT_USAGE;
	}
	fd = strcmp(out, "-") ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) :
	     STDOUT_FILENO;
	if (fd < 0) {
		fprintf(stderr, "%s: cannot create %s: %s\n", prog, out, strerror(errno));
		return EXIT_FAILED;
	}
	h = connect_module(&code);
	if (!h)
		goto out_close;
	ret = libckpt_dump(h, pgid, fd, rate, &job);
	if (ret < 0) {
		code = report(h, ret, "cannot checkpoint process group %u into %s", pgid, out);
		goto out;
	}
	ret = libckpt_wait(h, job.id, &done);
	if (ret < 0 || done.state != CKPT_JOB_COMMITTED) {
		fprintf(stderr, "%s: the image of process group %u is incomplete: %s\n", prog,
			pgid, ret < 0 ? strerror(-ret) : done.error_msg);
		code = EXIT_FAILED;
		goto out;
	}
	fprintf(stderr, "pgid %u: froze %" PRIu32 " processes for %.1f us; %.1f MiB written to %s\n",
		pgid, done.nr_tasks, done.freeze_ns / 1e3, done.image_len / 1048576.0,
		strcmp(out, "-") ? out : "standard output");
	code = EXIT_OK;
	if (kill_after && kill(-(pid_t)pgid, SIGKILL)) {
		fprintf(stderr, "%s: cannot kill process group %u: %s\n", prog, pgid,
			strerror(errno));
		code = EXIT_FAILED;
	}
out:
	libckpt_close(h);
out_close:
	if (fd != STDOUT_FILENO)
		close(fd);
	return code;
usage:
	fprintf(stderr, "%s", dump_usage);
	return EXIT_USAGE;
}
