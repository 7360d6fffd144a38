// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl freeze: checkpoint a process group into an area.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Failed checkpoints in a row that end freeze --every. */
#define PERIODIC_MAX_FAILURES 5
#define PERIODIC_MAX_FAILURES_STR "5"

static const char freeze_usage[] =
	"Usage: ckptctl freeze <pgid> [--area PATH] [--session] [--rate BYTES] [--wait]\n"
	"                      [--ghost-limit BYTES] [--tcp-established]\n"
	"                      [--notify-grace MS] [--incremental]\n"
	"                      [--every INTERVAL [--keep N]] [--json]\n\n"
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
	"  --incremental  write only what changed since the group's last\n"
	"                 checkpoint into this area, if the module still knows it\n"
	"                 (else a full image); restore composes the chain\n"
	"  --wait         wait until the image is committed; print its generation\n"
	"  --every INTERVAL  checkpoint again every INTERVAL (s, m, h suffixes;\n"
	"                 seconds without), each committed before the next, until\n"
	"                 the group is gone (exit 0), SIGTERM or SIGINT (the\n"
	"                 checkpoint under way is finished, exit 0) or "
	PERIODIC_MAX_FAILURES_STR " failed\n"
	"                 checkpoints in a row (exit 1)\n"
	"  --keep N       with --every: keep at most N committed generations of\n"
	"                 the group in the area, dropping the oldest once a new\n"
	"                 one is committed\n"
	"  --json         print the result as JSON (one line per checkpoint)\n";

struct freeze_args {
	unsigned int pgid;
	const char *area;
	bool default_area;	/* no --area: made on first use */
	struct libckpt_freeze_opts o;
	bool wait;
	bool json;
	unsigned int every;	/* --every, in seconds; 0: once */
	unsigned int keep;	/* --keep N; 0: the area's own slot reuse */
};

enum {
	OPT_AREA = 256, OPT_SESSION, OPT_RATE, OPT_GHOST_LIMIT, OPT_TCP, OPT_NOTIFY,
	OPT_WAIT, OPT_JSON, OPT_EVERY, OPT_KEEP, OPT_INCR,
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
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "incremental", no_argument, NULL, OPT_INCR },
	{ "keep", required_argument, NULL, OPT_KEEP },
	CMDLINE_HELP,
	{ 0 }
};

/* An interval: a number of seconds, or of minutes or hours with m or h. */
static bool parse_interval(const char *s, unsigned int *secs)
{
	unsigned long n, unit = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (!strcmp(end, "m"))
		unit = 60;
	else if (!strcmp(end, "h"))
		unit = 3600;
	else if (*end && strcmp(end, "s"))
		return false;
	/* At most a week: a longer tick is a typo more often than a plan. */
	if (errno || !n || n > 7 * 24 * 3600 / unit)
		return false;
	*secs = n * unit;
	return true;
}

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
		return parse_rate(c, "--rate", optarg, &a->o.rate);
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
	case OPT_INCR:
		a->o.flags |= LIBCKPT_F_INCREMENTAL;
		break;
	case OPT_JSON:
		a->json = true;
		break;
	case OPT_EVERY:
		if (parse_interval(optarg, &a->every))
			break;
		cmdline_error(c, "--every: '%s' is not an interval of 1s to 7 days (s, m, h suffixes)",
			      optarg);
		return false;
	case OPT_KEEP:
		if (parse_u32(optarg, &a->keep) && a->keep <= CKPT_AREA_SLOTS)
			break;
		cmdline_error(c, "--keep: '%s' is not 1 to %d generations", optarg,
			      CKPT_AREA_SLOTS);
		return false;
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
	if (a->keep && !a->every) {
		cmdline_error(&c, "--keep goes with --every");
		return false;
	}
	if (!a->area) {
		a->area = default_area_path();
		a->default_area = true;
	}
	return true;
}

static void print_dropped(const struct freeze_args *a, const uint64_t *dropped, int nd)
{
	int i;

	if (a->json) {
		printf(", \"dropped\": [");
		for (i = 0; i < nd; i++)
			printf("%s%" PRIu64, i ? ", " : "", dropped[i]);
		printf("]");
		return;
	}
	for (i = 0; i < nd; i++)
		printf("dropped generation %" PRIu64 " of %s (--keep %u)\n", dropped[i],
		       a->area, a->keep);
}

static void print_result(const struct freeze_args *a,
			 const struct libckpt_job *job, bool waited,
			 const uint64_t *dropped, int nd)
{
	double secs = job->stream_ns / 1e9;

	if (a->json) {
		printf("{\"pgid\": %u, \"job\": %" PRIu64 ", \"generation\": %"
		       PRIu64 ", \"freeze_us\": %.1f, \"tasks\": %" PRIu32
		       ", \"threads\": %" PRIu32 ", \"pages\": %" PRIu64
		       ", \"image_bytes\": %" PRIu64 ", \"parent\": %" PRIu64
		       ", \"state\": \"%s\"",
		       a->pgid, job->id, job->generation, job->freeze_ns / 1e3,
		       job->nr_tasks, job->nr_threads, job->nr_pages,
		       job->image_len, job->parent_generation,
		       waited ? job_state_name(job->state) : "streaming");
		if (waited)
			printf(", \"stream_ms\": %.1f", job->stream_ns / 1e6);
		printf(", \"area\": ");
		json_str(a->area);
		if (a->every)
			print_dropped(a, dropped, nd);
		printf("}\n");
		fflush(stdout);
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
		if (job->parent_generation)
			printf("incremental: unchanged pages are taken from generation %" PRIu64 "\n",
			       job->parent_generation);
		return;
	}
	printf("generation %" PRIu64 " committed: %.1f MiB in %.3f s (%.1f MiB/s)",
	       job->generation, job->image_len / 1048576.0, secs,
	       secs > 0 ? job->image_len / 1048576.0 / secs : 0.0);
	if (job->parent_generation)
		printf(", incremental on generation %" PRIu64, job->parent_generation);
	printf("\n");
	print_dropped(a, dropped, nd);
	/* A pipe or the journal sees each checkpoint as it is committed. */
	fflush(stdout);
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

/* The signal that ends freeze --every; 0 until one comes. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

/*
 * SIGTERM and SIGINT stay blocked except while freeze --every sleeps: a
 * checkpoint under way is finished and reported (the kernel would finish
 * streaming it anyway), and a signal that comes just before the sleep
 * still ends it, since ppoll() unblocks them atomically. *@unblocked gets
 * the mask to sleep with.
 */
static void catch_stop_signals(sigset_t *unblocked)
{
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t stops;

	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigprocmask(SIG_BLOCK, &stops, unblocked);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Sleep until the next tick: @every seconds after *@tick, or a later
 * multiple if a checkpoint took longer (missed ticks are skipped, not
 * made up). False if a stop signal came.
 */
static bool sleep_until_tick(struct timespec *tick, unsigned int every,
			     const sigset_t *unblocked)
{
	struct timespec now, left;

	clock_gettime(CLOCK_MONOTONIC, &now);
	do
		tick->tv_sec += every;
	while (!before(&now, tick));
	while (!stop_signal) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!before(&now, tick))
			return true;
		left.tv_sec = tick->tv_sec - now.tv_sec;
		left.tv_nsec = tick->tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		ppoll(NULL, 0, &left, unblocked);
	}
	return false;
}

/*
 * One checkpoint of freeze --every, waited for until committed, then the
 * generations beyond --keep dropped. 0, -ESRCH (no group, not reported) or
 * -1 after a message.
 */
static int checkpoint_once(struct libckpt *h, int fd, const struct freeze_args *a,
			   struct keep *k)
{
	uint64_t dropped[CKPT_AREA_SLOTS];
	struct libckpt_job job;
	int ret, nd;

	ret = libckpt_freeze_with(h, a->pgid, fd, &a->o, &job);
	if (ret == -ESRCH)
		return ret;
	if (ret < 0) {
		report(h, ret, "cannot checkpoint %s %u into %s", group_kind(a->o.flags),
		       a->pgid, a->area);
		return -1;
	}
	if (wait_for(h, a, &job) != EXIT_OK)
		return -1;
	nd = keep_commit(k, h, a->area, fd, job.generation, dropped);
	print_result(a, &job, true, dropped, nd);
	return 0;
}

/*
 * freeze --every: checkpoint, wait for the commit, sleep until the next
 * tick, until the group is gone, a stop signal comes or
 * PERIODIC_MAX_FAILURES checkpoints in a row failed.
 */
static int freeze_every(struct libckpt *h, int fd, const struct freeze_args *a)
{
	struct keep k = { .max = a->keep };
	unsigned int done = 0, failures = 0;
	struct timespec tick;
	sigset_t unblocked;
	int ret;

	/* Generations of an earlier run (a restarted service) count too. */
	if (a->keep && keep_scan(&k, a->area, fd, a->pgid))
		return EXIT_FAILED;
	catch_stop_signals(&unblocked);
	clock_gettime(CLOCK_MONOTONIC, &tick);
	do {
		ret = checkpoint_once(h, fd, a, &k);
		if (ret == -ESRCH && !done)
			return report(h, ret, "cannot checkpoint %s %u into %s",
				      group_kind(a->o.flags), a->pgid, a->area);
		if (ret == -ESRCH) {
			fprintf(stderr, "%s: %s %u is gone: stopping after %u checkpoints\n",
				prog, group_kind(a->o.flags), a->pgid, done);
			return EXIT_OK;
		}
		if (ret && ++failures >= PERIODIC_MAX_FAILURES) {
			fprintf(stderr, "%s: giving up after %u failed checkpoints in a row\n",
				prog, failures);
			return EXIT_FAILED;
		}
		if (ret) {
			fprintf(stderr, "%s: trying again at the next tick (%u of %d failures in a row)\n",
				prog, failures, PERIODIC_MAX_FAILURES);
		} else {
			done++;
			failures = 0;
		}
	} while (sleep_until_tick(&tick, a->every, &unblocked));
	fprintf(stderr, "%s: %s: stopping after %u checkpoints of %s %u",
		prog, strsignal(stop_signal), done, group_kind(a->o.flags), a->pgid);
	if (k.n)
		fprintf(stderr, "; newest generation %" PRIu64, k.gens[k.n - 1]);
	fprintf(stderr, "\n");
	return EXIT_OK;
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
	if (a.every) {
		code = freeze_every(h, fd, &a);
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
	code = EXIT_OK;
	if (!a.wait || !a.json)
		print_result(&a, &job, false, NULL, 0);
	if (a.wait) {
		code = wait_for(h, &a, &job);
		if (code == EXIT_OK)
			print_result(&a, &job, true, NULL, 0);
	}
out:
	if (fd >= 0)
		close(fd);
	libckpt_close(h);
	return code;
}
