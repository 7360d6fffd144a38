// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl status: checkpoints in flight and recently finished.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static const char status_usage[] =
	"Usage: ckptctl status [--json]\n\n"
	"List the checkpoints the module holds: those still streaming into their\n"
	"area, and the most recent finished ones. Without privilege, only your own.\n";

static int print_text(const struct libckpt_job *j, void *arg)
{
	int *n = arg;

	if (!(*n)++)
		printf("%5s %7s %5s %-9s %10s %10s %5s %10s  %s\n", "JOB", "PGID",
		       "GEN", "STATE", "WRITTEN", "SIZE", "DONE", "FREEZE",
		       "REASON");
	printf("%5" PRIu64 " %7" PRIu32 " %5" PRIu64 " %-9s %9.1fM %9.1fM %4.0f%% %8.1fus  %s\n",
	       j->id, j->pgid, j->generation, job_state_name(j->state),
	       j->written / 1048576.0, j->image_len / 1048576.0,
	       j->image_len ? 100.0 * j->written / j->image_len : 0.0,
	       j->freeze_ns / 1e3, j->error_msg[0] ? j->error_msg : "-");
	return 0;
}

static int print_json(const struct libckpt_job *j, void *arg)
{
	int *n = arg;

	printf("%s{\"job\": %" PRIu64 ", \"pgid\": %" PRIu32 ", \"generation\": %"
	       PRIu64 ", \"state\": \"%s\", \"written\": %" PRIu64
	       ", \"image_bytes\": %" PRIu64 ", \"freeze_us\": %.1f, \"error\": %"
	       PRId32 "}", (*n)++ ? ", " : "", j->id, j->pgid, j->generation,
	       job_state_name(j->state), j->written, j->image_len,
	       j->freeze_ns / 1e3, j->error);
	return 0;
}

int status_main(int argc, char **argv)
{
	struct cmdline c = CMDLINE_INIT("status", status_usage, "h", cmdline_json_opts, argc, argv);
	struct libckpt *h;
	bool json = false;
	int n = 0, ret, code;

	if (!cmdline_json_only(&c, &json, &code))
		return code;
	if (!cmdline_end(&c))
		return EXIT_USAGE;
	h = connect_module(&code);
	if (!h)
		return code;
	if (json)
		printf("[");
	ret = libckpt_status(h, json ? print_json : print_text, &n);
	if (json)
		printf("]\n");
	else if (!n && !ret)
		printf("no checkpoints\n");
	code = ret < 0 ? report(h, ret, "cannot list checkpoints") : EXIT_OK;
	libckpt_close(h);
	return code;
}
