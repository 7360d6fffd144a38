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
	"                    [--progress]\n\n"
	"Freeze process group <pgid> and stream its image into FILE, or to standard\n"
	"output with '-' (a pipe or socket: no temporary copy), and wait until the\n"
	"image is complete. Messages go to standard error.\n\n"
	"  --session        <pgid> is a session id: every process of the session\n"
	"  --kill           kill the group once its image is complete (migration)\n"
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
	"  --progress       show the progress line even if stderr is not a terminal\n\n"
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

int dump_main(int argc, char **argv)
{
	const char *out = NULL, *pgid_arg = NULL;
	struct libckpt_freeze_opts o = { 0 };
	struct libckpt_job job, done;
	unsigned int pgid;
	bool kill_after = false, force_progress = false, stop_for_kill;
	struct progress pr;
	struct libckpt *h;
	int i, fd, ret, code;

	if (wants_help(argc, argv, dump_usage))
		return EXIT_OK;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--kill"))
			kill_after = true;
		else if (!strcmp(argv[i], "--session"))
			o.flags |= LIBCKPT_F_SESSION;
		else if (!strcmp(argv[i], "--leave-stopped"))
			o.flags |= LIBCKPT_F_LEAVE_STOPPED;
		else if (!strcmp(argv[i], "--tcp-established"))
			o.flags |= LIBCKPT_F_TCP_ESTABLISHED;
		else if (!strcmp(argv[i], "--progress"))
			force_progress = true;
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc &&
			 parse_size(argv[i + 1], &o.rate))
			i++;
		else if (!strcmp(argv[i], "--ghost-limit") && i + 1 < argc &&
			 parse_ghost_limit(argv[i + 1], &o.ghost_limit))
			i++;
		else if (!pgid_arg && argv[i][0] != '-')
			pgid_arg = argv[i];
		else
			goto usage;
	}
	if (!out || !pgid_arg)
		goto usage;
	if (kill_after && (o.flags & LIBCKPT_F_LEAVE_STOPPED)) {
		fprintf(stderr, "%s dump: --kill and --leave-stopped exclude each other\n", prog);
		return EXIT_USAGE;
	}
	if (!parse_u32(pgid_arg, &pgid)) {
		fprintf(stderr, "%s dump: '%s' is not a process group id\n", prog, pgid_arg);
		return EXIT_USAGE;
	}
	/*
	 * The connections to outside peers must not move once captured: the
	 * group stays stopped until the kill, and the module holds them.
	 */
	stop_for_kill = kill_after && (o.flags & LIBCKPT_F_TCP_ESTABLISHED);
	if (stop_for_kill)
		o.flags |= LIBCKPT_F_LEAVE_STOPPED;
	fd = strcmp(out, "-") ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) :
	     STDOUT_FILENO;
	if (fd < 0) {
		fprintf(stderr, "%s: cannot create %s: %s\n", prog, out, strerror(errno));
		return EXIT_FAILED;
	}
	h = connect_module(&code);
	if (!h)
		goto out_close;
	ret = libckpt_dump_with(h, pgid, fd, &o, &job);
	if (ret < 0) {
		code = report(h, ret, "cannot checkpoint %s %u into %s", group_kind(o.flags),
			      pgid, out);
		goto out;
	}
	progress_init(&pr, "dump", force_progress);
	follow_job(h, job.id, &pr);
	ret = libckpt_wait(h, job.id, &done);
	if (ret >= 0 && done.state == CKPT_JOB_COMMITTED)
		progress_done(&pr, done.written, done.image_len);
	else if (pr.drawn)
		fputc('\n', stderr);
	if (ret < 0 || done.state != CKPT_JOB_COMMITTED) {
		fprintf(stderr, "%s: the image of %s %u is incomplete: %s\n", prog,
			group_kind(o.flags), pgid, ret < 0 ? strerror(-ret) : done.error_msg);
		/* Stopped for a kill that will not come: it runs on (the module let its connections go). */
		if (stop_for_kill)
			kill_group(pgid, o.flags, SIGCONT);
		code = EXIT_FAILED;
		goto out;
	}
	fprintf(stderr, "%s %u: froze %" PRIu32 " processes for %.1f us; %.1f MiB written to %s%s\n",
		(o.flags & LIBCKPT_F_SESSION) ? "sid" : "pgid", pgid, done.nr_tasks,
		done.freeze_ns / 1e3, done.image_len / 1048576.0,
		strcmp(out, "-") ? out : "standard output",
		(o.flags & LIBCKPT_F_LEAVE_STOPPED) && !stop_for_kill ? "; left stopped" : "");
	if (!kill_after && (o.flags & LIBCKPT_F_LEAVE_STOPPED) &&
	    (o.flags & LIBCKPT_F_TCP_ESTABLISHED))
		fprintf(stderr, "%s: its TCP connections to outside peers are held: run '%s release-tcp %"
			PRIu64 "' before resuming it here\n", prog, prog, job.id);
	code = EXIT_OK;
	if (kill_after && kill_group(pgid, o.flags, SIGKILL)) {
		fprintf(stderr, "%s: cannot kill %s %u: %s\n", prog, group_kind(o.flags),
			pgid, strerror(errno));
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
