// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl dump: checkpoint a process group into one image file or stream.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char dump_usage[] =
	"Usage: ckptctl dump <pgid> -o FILE|- [--session] [--kill|--leave-stopped]\n"
	"                    [--tcp-established] [--rate BYTES] [--ghost-limit BYTES]\n"
	"                    [--notify-grace MS] [--progress] [--json]\n\n"
	"Freeze process group <pgid> and stream its image into FILE, or to standard\n"
	"output with '-' (a pipe or socket: no temporary copy), and wait until the\n"
	"image is complete. Messages go to standard error.\n\n"
	"  --session        <pgid> is a session id: every process of the session\n"
	"  --kill           keep the group stopped from the freeze on and kill it\n"
	"                   once its image is complete (migration); if the image\n"
	"                   fails it is continued\n"
	"  --leave-stopped  leave the group stopped exactly as checkpointed\n"
	"                   (SIGCONT resumes it, SIGKILL ends it: a handoff)\n"
	"  --tcp-established  carry established TCP connections to peers outside\n"
	"                   the group (refused otherwise). With --kill or\n"
	"                   --leave-stopped the group stays stopped from the\n"
	"                   freeze on and the module holds those connections back\n"
	"                   (the peer sees no FIN or reset) until the restore, or\n"
	"                   'ckptctl release-tcp'; needs CAP_NET_ADMIN\n"
	"  --rate BYTES     limit the writer to BYTES per second (K, M, G suffixes)\n"
	"  --ghost-limit BYTES  carry deleted files and memfds up to BYTES each\n"
	"                   (default 1M, at most 64M); larger ones are refused\n"
	"  --notify-grace MS  how long processes that asked to be told of a\n"
	"                   checkpoint may take to get ready (default 1000, 0: do\n"
	"                   not wait; see libckpt_notice_open())\n"
	"  --progress       show the progress line even if stderr is not a terminal\n"
	"  --json           print the result as JSON (on stderr with -o -)\n\n"
	"Example:  ckptctl dump 1234 -o - --kill | ssh other ckptctl restore -\n";

const char *group_kind(unsigned int flags)
{
	return (flags & LIBCKPT_F_SESSION) ? "session" : "process group";
}

/* There is no kill() for a session: signal each process whose session it is. */
static int kill_session(pid_t sid, int sig)
{
	struct dirent *d;
	int ret = 0;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		pid_t pid = (pid_t)strtol(d->d_name, NULL, 10);

		if (pid > 0 && getsid(pid) == sid && kill(pid, sig) && errno != ESRCH)
			ret = -1;
	}
	closedir(dir);
	return ret;
}

static int kill_group(unsigned int id, unsigned int flags, int sig)
{
	return (flags & LIBCKPT_F_SESSION) ? kill_session(id, sig) : kill(-(pid_t)id, sig);
}

struct find_job {
	uint64_t id;
	bool found;
	struct libckpt_job job;
};

static int match_job(const struct libckpt_job *j, void *arg)
{
	struct find_job *f = arg;

	if (j->id == f->id) {
		f->job = *j;
		f->found = true;
	}
	return 0;
}

/* While the writer streams, redraw its bytes written of the image's. */
static void follow_job(struct libckpt *h, uint64_t id, struct progress *pr)
{
	struct find_job f = { .id = id };

	while (pr->on) {
		f.found = false;
		if (libckpt_status(h, match_job, &f) < 0 || !f.found ||
		    f.job.state != CKPT_JOB_STREAMING)
			return;
		progress_update(pr, f.job.written, f.job.image_len);
		usleep(100000);
	}
}

enum {
	OPT_KILL = 256, OPT_SESSION, OPT_LEAVE_STOPPED, OPT_TCP, OPT_PROGRESS,
	OPT_RATE, OPT_GHOST_LIMIT, OPT_NOTIFY, OPT_JSON,
};

static const struct option dump_opts[] = {
	{ "kill", no_argument, NULL, OPT_KILL },
	{ "session", no_argument, NULL, OPT_SESSION },
	{ "leave-stopped", no_argument, NULL, OPT_LEAVE_STOPPED },
	{ "tcp-established", no_argument, NULL, OPT_TCP },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "ghost-limit", required_argument, NULL, OPT_GHOST_LIMIT },
	{ "notify-grace", required_argument, NULL, OPT_NOTIFY },
	{ "json", no_argument, NULL, OPT_JSON },
	CMDLINE_HELP,
	{ 0 }
};

struct dump_args {
	unsigned int pgid;
	const char *out;
	struct libckpt_freeze_opts o;
	bool kill_after, force_progress, json;
};

/* One option into @a; false (after a message) if it is bad. */
static bool dump_option(const struct cmdline *c, int opt, void *arg)
{
	struct dump_args *a = arg;

	switch (opt) {
	case 'o':
		a->out = optarg;
		break;
	case OPT_KILL:
		a->kill_after = true;
		break;
	case OPT_SESSION:
		a->o.flags |= LIBCKPT_F_SESSION;
		break;
	case OPT_LEAVE_STOPPED:
		a->o.flags |= LIBCKPT_F_LEAVE_STOPPED;
		break;
	case OPT_TCP:
		a->o.flags |= LIBCKPT_F_TCP_ESTABLISHED;
		break;
	case OPT_PROGRESS:
		a->force_progress = true;
		break;
	case OPT_RATE:
		return parse_rate(c, "--rate", optarg, &a->o.rate);
	case OPT_GHOST_LIMIT:
		return parse_ghost_limit(c, optarg, &a->o.ghost_limit);
	case OPT_NOTIFY:
		return parse_notify_grace(c, optarg, &a->o);
	case OPT_JSON:
		a->json = true;
		break;
	}
	return true;
}

/* True to go on; else *@code is the exit code (EXIT_OK after --help). */
static bool dump_args(int argc, char **argv, struct dump_args *a, int *code)
{
	struct cmdline c = CMDLINE_INIT("dump", dump_usage, "ho:", dump_opts, argc, argv);
	const char *pgid_arg;

	if (!cmdline_options(&c, dump_option, a, code))
		return false;
	pgid_arg = cmdline_need(&c, "<pgid>");
	if (!pgid_arg || !cmdline_end(&c))
		return false;
	if (!parse_u32(pgid_arg, &a->pgid))
		cmdline_error(&c, "'%s' is not a process group id", pgid_arg);
	else if (!a->out)
		cmdline_error(&c, "missing -o FILE|-");
	else if (a->kill_after && (a->o.flags & LIBCKPT_F_LEAVE_STOPPED))
		cmdline_error(&c, "--kill and --leave-stopped exclude each other");
	else
		return true;
	return false;
}

/* The outcome: text on stderr, or JSON (on stdout unless the image is). */
static void print_result(const struct dump_args *a, const struct libckpt_job *done,
			 bool stop_for_kill)
{
	bool to_stdout = strcmp(a->out, "-") != 0;
	bool left_stopped = (a->o.flags & LIBCKPT_F_LEAVE_STOPPED) && !stop_for_kill;

	if (a->json) {
		fprintf(to_stdout ? stdout : stderr,
			"{\"%s\": %u, \"job\": %" PRIu64 ", \"tasks\": %" PRIu32
			", \"threads\": %" PRIu32 ", \"freeze_us\": %.1f, \"image_bytes\": %"
			PRIu64 ", \"killed\": %s, \"left_stopped\": %s}\n",
			(a->o.flags & LIBCKPT_F_SESSION) ? "sid" : "pgid", a->pgid, done->id,
			done->nr_tasks, done->nr_threads, done->freeze_ns / 1e3,
			done->image_len, a->kill_after ? "true" : "false",
			left_stopped ? "true" : "false");
		return;
	}
	fprintf(stderr, "%s %u: froze %" PRIu32 " processes for %.1f us; %.1f MiB written to %s%s\n",
		(a->o.flags & LIBCKPT_F_SESSION) ? "sid" : "pgid", a->pgid, done->nr_tasks,
		done->freeze_ns / 1e3, done->image_len / 1048576.0,
		to_stdout ? a->out : "standard output", left_stopped ? "; left stopped" : "");
}

int dump_main(int argc, char **argv)
{
	struct dump_args a = { 0 };
	struct libckpt_job job, done;
	bool stop_for_kill;
	struct progress pr;
	struct libckpt *h;
	int fd, ret, code;

	if (!dump_args(argc, argv, &a, &code))
		return code;
	/*
	 * What the group would do after the freeze is the restored copy's to
	 * do: it stays stopped until the kill, or a copy restored before the
	 * stream ends (restore - --lazy) would run beside it, and whatever it
	 * did meanwhile would be done twice. Connections to outside peers must
	 * not move once captured either (the module holds them).
	 */
	stop_for_kill = a.kill_after;
	if (stop_for_kill)
		a.o.flags |= LIBCKPT_F_LEAVE_STOPPED;
	fd = strcmp(a.out, "-") ? open(a.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) :
	     STDOUT_FILENO;
	if (fd < 0) {
		fprintf(stderr, "%s: cannot create %s: %s\n", prog, a.out, strerror(errno));
		return EXIT_FAILED;
	}
	h = connect_module(&code);
	if (!h)
		goto out_close;
	ret = libckpt_dump_with(h, a.pgid, fd, &a.o, &job);
	if (ret < 0) {
		code = report(h, ret, "cannot checkpoint %s %u into %s", group_kind(a.o.flags),
			      a.pgid, a.out);
		goto out;
	}
	progress_init(&pr, "dump", a.force_progress);
	follow_job(h, job.id, &pr);
	ret = libckpt_wait(h, job.id, &done);
	if (ret >= 0 && done.state == CKPT_JOB_COMMITTED)
		progress_done(&pr, done.written, done.image_len);
	else if (pr.drawn)
		fputc('\n', stderr);
	if (ret < 0 || done.state != CKPT_JOB_COMMITTED) {
		fprintf(stderr, "%s: the image of %s %u is incomplete: %s\n", prog,
			group_kind(a.o.flags), a.pgid,
			ret < 0 ? strerror(-ret) : done.error_msg);
		/* Stopped for a kill that will not come: it runs on (the module let its connections go). */
		if (stop_for_kill)
			kill_group(a.pgid, a.o.flags, SIGCONT);
		code = EXIT_FAILED;
		goto out;
	}
	print_result(&a, &done, stop_for_kill);
	if (!a.kill_after && (a.o.flags & LIBCKPT_F_LEAVE_STOPPED) &&
	    (a.o.flags & LIBCKPT_F_TCP_ESTABLISHED))
		fprintf(stderr, "%s: its TCP connections to outside peers are held: run '%s release-tcp %"
			PRIu64 "' before resuming it here\n", prog, prog, job.id);
	code = EXIT_OK;
	if (a.kill_after && kill_group(a.pgid, a.o.flags, SIGKILL)) {
		fprintf(stderr, "%s: cannot kill %s %u: %s\n", prog, group_kind(a.o.flags),
			a.pgid, strerror(errno));
		code = EXIT_FAILED;
	}
out:
	libckpt_close(h);
out_close:
	if (fd != STDOUT_FILENO)
		close(fd);
	return code;
}
