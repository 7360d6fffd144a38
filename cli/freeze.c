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
	"Usage: ckptctl freeze <pgid> [--area PATH] [--session] [--rate BYTES] [--wait]\n"
	"                      [--ghost-limit BYTES] [--tcp-established]\n"
	"                      [--notify-grace MS] [--json]\n\n"
	"Park every thread of process group <pgid>, snapshot its memory\n"
	"copy-on-write, let it run on, and stream the snapshot into an area\n"
	"(see 'ckptctl area create') from a kernel thread. Prints the freeze\n"
	"time measured in the kernel.\n\n"
	"  --area PATH    the area (a preallocated file or block device); by\n"
	"                 default $CKPT_AREA, else " DEFAULT_AREA ",\n"
	"                 made on first use with room for two images of the group\n"
	"  --session      <pgid> is a session id: every process of the session\n"
	"  --rate BYTES   limit the writer to BYTES per second (K, M, G suffixes)\n"
	"  --ghost-limit BYTES  carry deleted files and memfds up to BYTES each\n"
	"                 (default 1M, at most 64M); larger ones are refused\n"
	"  --tcp-established  carry established TCP connections to peers outside\n"
	"                 the group (refused otherwise); the live connections are\n"
	"                 not touched\n"
	"  --notify-grace MS  how long processes that asked to be told of a\n"
	"                 checkpoint may take to get ready (default 1000, 0: do\n"
	"                 not wait; see libckpt_notice_open())\n"
	"  --wait         wait until the image is committed; print its generation\n"
	"  --json         print the result as JSON\n";

struct freeze_args {
	unsigned int pgid;
	const char *area;
	bool default_area;	/* no --area: made on first use */
	struct libckpt_freeze_opts o;
	bool wait;
	bool json;
};

enum {
	OPT_AREA = 256, OPT_SESSION, OPT_RATE, OPT_GHOST_LIMIT, OPT_TCP, OPT_NOTIFY,
	OPT_WAIT, OPT_JSON,
};

static const struct option freeze_opts[] = {
	{ "area", required_argument, NULL, OPT_AREA },
	{ "session", no_argument, NULL, OPT_SESSION },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "ghost-limit", required_argument, NULL, OPT_GHOST_LIMIT },
	{ "tcp-established", no_argument, NULL, OPT_TCP },
	{ "notify-grace", required_argument, NULL, OPT_NOTIFY },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "json", no_argument, NULL, OPT_JSON },
	CMDLINE_HELP,
	{ 0 }
};

/* One option into @a; false (after a message) if it is bad. */
static bool freeze_option(const struct cmdline *c, int opt, void *arg)
{
	struct freeze_args *a = arg;

	switch (opt) {
	case OPT_AREA:
		a->area = optarg;
		break;
	case OPT_SESSION:
		a->o.flags |= LIBCKPT_F_SESSION;
		break;
	case OPT_RATE:
		return parse_rate(c, optarg, &a->o.rate);
	case OPT_GHOST_LIMIT:
		return parse_ghost_limit(c, optarg, &a->o.ghost_limit);
	case OPT_TCP:
		a->o.flags |= LIBCKPT_F_TCP_ESTABLISHED;
		break;
	case OPT_NOTIFY:
		return parse_notify_grace(c, optarg, &a->o);
	case OPT_WAIT:
		a->wait = true;
		break;
	case OPT_JSON:
		a->json = true;
		break;
	}
	return true;
}

/* True to go on; else *@code is the exit code (EXIT_OK after --help). */
static bool parse_args(int argc, char **argv, struct freeze_args *a, int *code)
{
	struct cmdline c = CMDLINE_INIT("freeze", freeze_usage, "h", freeze_opts, argc, argv);
	const char *pgid;

	if (!cmdline_options(&c, freeze_option, a, code))
		return false;
	pgid = cmdline_need(&c, "<pgid>");
	if (!pgid || !cmdline_end(&c))
		return false;
	if (!parse_u32(pgid, &a->pgid)) {
		cmdline_error(&c, "'%s' is not a process group id", pgid);
		return false;
	}
	if (!a->area) {
		a->area = default_area_path();
		a->default_area = true;
	}
	return true;
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
		printf(", \"area\": ");
		json_str(a->area);
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

/* The area of --area, or the default one, made for this group if new. */
static int open_area(const struct freeze_args *a)
{
	int fd;

	if (a->default_area)
		return default_area_open(a->area, a->pgid, a->o.flags);
	fd = open(a->area, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "%s: cannot open area %s: %s\n", prog, a->area,
			strerror(errno));
	return fd;
}

int freeze_main(int argc, char **argv)
{
	struct freeze_args a = { 0 };
	struct libckpt_job job;
	struct libckpt *h;
	int fd, ret, code;

	if (!parse_args(argc, argv, &a, &code))
		return code;
	h = connect_module(&code);
	if (!h)
		return code;
	/* After the module answered: no default area is made in vain. */
	fd = open_area(&a);
	if (fd < 0) {
		code = EXIT_FAILED;
		goto out;
	}
	ret = libckpt_freeze_with(h, a.pgid, fd, &a.o, &job);
	if (ret < 0) {
		code = report(h, ret, "cannot checkpoint %s %u into %s",
			      group_kind(a.o.flags), a.pgid, a.area);
		/* Never grown or replaced: it may hold the only images of other groups. */
		if (ret == -ENOSPC && a.default_area)
			fprintf(stderr, "%s: the default area %s is too small for this %s: remove it "
				"(and its generations) to have it made again for this group, or give "
				"--area or CKPT_AREA another area\n", prog, a.area,
				group_kind(a.o.flags));
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
	if (fd >= 0)
		close(fd);
	libckpt_close(h);
	return code;
}
