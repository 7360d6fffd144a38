// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl freeze: checkpoint a process group into an area.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char freeze_usage[] =
	"Usage: ckptctl freeze <pgid> --area PATH [--session] [--rate BYTES] [--wait]\n"
	"                      [--ghost-limit BYTES] [--tcp-established] [--json]\n\n"
	"Park every thread of process group <pgid>, snapshot its memory\n"
	"copy-on-write, let it run on, and stream the snapshot into the area\n"
	"PATH (see 'ckptctl area create') from a kernel thread. Prints the freeze\n"
	"time measured in the kernel.\n\n"
	"  --area PATH    the area (a preallocated file or block device)\n"
	"  --session      <pgid> is a session id: every process of the session\n"
	"  --rate BYTES   limit the writer to BYTES per second (K, M, G suffixes)\n"
	"  --ghost-limit BYTES  carry deleted files and memfds up to BYTES each\n"
	"                 (default 1M, at most 64M); larger ones are refused\n"
	"  --tcp-established  carry established TCP connections to peers outside\n"
	"                 the group (refused otherwise); the live connections are\n"
	"                 not touched\n"
	"  --wait         wait until the image is committed; print its generation\n"
	"  --json         print the result as JSON\n";

bool parse_ghost_limit(const char *s, uint64_t *out)
{
	if (parse_size(s, out) && *out && *out <= CKPT_GHOST_LIMIT_MAX)
		return true;
	fprintf(stderr, "%s: --ghost-limit '%s': give 1 byte to %uM (K, M suffixes)\n",
		prog, s, CKPT_GHOST_LIMIT_MAX >> 20);
	return false;
}

struct freeze_args {
	unsigned int pgid;
	const char *area;
	struct libckpt_freeze_opts o;
	bool wait;
	bool json;
};

static int parse_args(int argc, char **argv, struct freeze_args *a)
{
	const char *pgid = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--area") && i + 1 < argc) {
			a->area = argv[++i];
		} else if (!strcmp(argv[i], "--rate") && i + 1 < argc) {
			if (!parse_size(argv[++i], &a->o.rate) || !a->o.rate) {
				fprintf(stderr, "%s freeze: '%s' is not a rate in bytes/s\n",
					prog, argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--ghost-limit") && i + 1 < argc) {
			if (!parse_ghost_limit(argv[++i], &a->o.ghost_limit))
				return EXIT_USAGE;
		} else if (!strcmp(argv[i], "--wait")) {
			a->wait = true;
		} else if (!strcmp(argv[i], "--session")) {
			a->o.flags |= LIBCKPT_F_SESSION;
		} else if (!strcmp(argv[i], "--tcp-established")) {
			a->o.flags |= LIBCKPT_F_TCP_ESTABLISHED;
		} else if (!strcmp(argv[i], "--json")) {
			a->json = true;
		} else if (!pgid && argv[i][0] != '-') {
			pgid = argv[i];
		} else {
			fprintf(stderr, "%s freeze: unexpected argument '%s'\n%s",
				prog, argv[i], freeze_usage);
			return EXIT_USAGE;
		}
	}
	if (!pgid || !a->area) {
		fprintf(stderr, "%s", freeze_usage);
		return EXIT_USAGE;
	}
	if (!parse_u32(pgid, &a->pgid)) {
		fprintf(stderr, "%s freeze: '%s' is not a process group id\n",
			prog, pgid);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static void print_result(const struct freeze_args *a,
			 const struct libckpt_job *job, bool waited)
{
	double secs = job->stream_ns / 1e9;

	if (a->json) {
		printf("{\"pgid\": %u, \"job\": %" PRIu64 ", \"generation\": %"
		       PRIu64 ", \"freeze_us\": %.1f, \"tasks\": %" PRIu32
		       ", \"threads\": %" PRIu32 ", \"pages\": %" PRIu64
		       ", \"image_bytes\": %" PRIu64 ", \"state\": \"%s\"",
		       a->pgid, job->id, job->generation, job->freeze_ns / 1e3,
		       job->nr_tasks, job->nr_threads, job->nr_pages,
		       job->image_len,
		       waited ? job_state_name(job->state) : "streaming");
		if (waited)
			printf(", \"stream_ms\": %.1f", job->stream_ns / 1e6);
		printf("}\n");
		return;
	}
	if (!waited) {
		printf("pgid %u: froze %" PRIu32 " processes, %" PRIu32
		       " threads for %.1f us; %" PRIu64 " pages (%.1f MiB) streaming "
		       "into %s as generation %" PRIu64 " (job %" PRIu64 ")\n",
		       a->pgid, job->nr_tasks, job->nr_threads,
		       job->freeze_ns / 1e3, job->nr_pages,
		       job->image_len / 1048576.0, a->area, job->generation,
		       job->id);
		return;
	}
	printf("generation %" PRIu64 " committed: %.1f MiB in %.3f s (%.1f MiB/s)\n",
	       job->generation, job->image_len / 1048576.0, secs,
	       secs > 0 ? job->image_len / 1048576.0 / secs : 0.0);
}

static int wait_for(struct libckpt *h, const struct freeze_args *a,
		    struct libckpt_job *job)
{
	struct libckpt_job done;
	int ret = libckpt_wait(h, job->id, &done);

	if (ret < 0)
		return report(h, ret, "waiting for generation %" PRIu64 " of %s",
			      job->generation, a->area);
	if (done.state != CKPT_JOB_COMMITTED) {
		fprintf(stderr, "%s: generation %" PRIu64 " of %s failed: %s (%s)\n",
			prog, done.generation, a->area,
			done.error_msg[0] ? done.error_msg : "unknown reason",
			strerror(done.error ? -done.error : EIO));
		return EXIT_FAILED;
	}
	*job = done;
	return EXIT_OK;
}

int freeze_main(int argc, char **argv)
{
	struct freeze_args a = { 0 };
	struct libckpt_job job;
	struct libckpt *h;
	int fd, ret, code;

	if (wants_help(argc, argv, freeze_usage))
		return EXIT_OK;
	code = parse_args(argc, argv, &a);
	if (code)
		return code;
	fd = open(a.area, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot open area %s: %s\n", prog, a.area,
			strerror(errno));
		return EXIT_FAILED;
	}
	h = connect_module(&code);
	if (!h)
		goto out_close;
	ret = libckpt_freeze_with(h, a.pgid, fd, &a.o, &job);
	if (ret < 0) {
		code = report(h, ret, "cannot checkpoint %s %u into %s",
			      group_kind(a.o.flags), a.pgid, a.area);
		goto out;
	}
	if (!a.wait || !a.json)
		print_result(&a, &job, false);
	if (a.wait) {
		code = wait_for(h, &a, &job);
		if (code == EXIT_OK)
			print_result(&a, &job, true);
	}
out:
	libckpt_close(h);
out_close:
	close(fd);
	return code;
}
