// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: terminals. A description of /dev/tty is opened again
 * from a session whose controlling terminal is its terminal
 * (libckpt_rst_open_devtty()). The controller gives each terminal it
 * reopens the settings the image recorded for it (TCSETS2, TIOCSWINSZ),
 * checked by reading them back; with --shell-job the caller's terminal
 * takes the termios of the image's first terminal but keeps its own
 * window size. A session leader that had a controlling terminal takes it
 * again (TIOCSCTTY) right after setsid(), before it makes its children,
 * so they inherit it; once every process group exists it gives the
 * terminal its foreground group back (TIOCSPGRP). With --shell-job, a job
 * that was its terminal's foreground gets the caller's terminal's
 * foreground, if the caller had it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <asm/termbits.h>

#include "restore.h"

/* The settings the image recorded for terminal @rdev, or NULL. */
static const struct ckpt_tty *find_settings(const struct tree *tr, uint32_t rdev)
{
	const struct libckpt_image_tty *y;
	size_t i;
	uint32_t j;

	for (i = 0; i < tr->n; i++) {
		y = tr->plans[i].task->tty;
		for (j = 0; y && j < y->rec.nr_ttys; j++)
			if (y->ttys[j].rdev == rdev)
				return &y->ttys[j];
	}
	return NULL;
}

static void to_termios2(const struct ckpt_tty *t, struct termios2 *k)
{
	memset(k, 0, sizeof(*k));
	k->c_iflag = t->iflag;
	k->c_oflag = t->oflag;
	k->c_cflag = t->cflag;
	k->c_lflag = t->lflag;
	k->c_line = t->line;
	memcpy(k->c_cc, t->cc, sizeof(k->c_cc) < sizeof(t->cc) ?
	       sizeof(k->c_cc) : sizeof(t->cc));
	k->c_ispeed = t->ispeed;
	k->c_ospeed = t->ospeed;
}

/* @what failed with errno: say so in @why; -errno. */
static int why_errno(char *why, size_t len, const char *what)
{
	int err = errno;

	snprintf(why, len, "%s: %s", what, strerror(err));
	return -err;
}

/* Set @t's termios (and window size, @winsize) on @fd and read them back. */
static int apply(int fd, const struct ckpt_tty *t, bool winsize, char *why, size_t len)
{
	struct winsize ws = { t->rows, t->cols, t->xpixel, t->ypixel }, got_ws;
	struct termios2 want, got;

	to_termios2(t, &want);
	if (ioctl(fd, TCSETS2, &want) || ioctl(fd, TCGETS2, &got))
		return why_errno(why, len, "cannot set its terminal settings");
	if (memcmp(&want, &got, sizeof(want))) {
		snprintf(why, len, "its terminal does not take the recorded settings (c_cflag 0%o comes back as 0%o)",
			 want.c_cflag, got.c_cflag);
		return -EOPNOTSUPP;
	}
	if (!winsize)
		return 0;
	if (ioctl(fd, TIOCSWINSZ, &ws) || ioctl(fd, TIOCGWINSZ, &got_ws))
		return why_errno(why, len, "cannot set its window size");
	if (memcmp(&ws, &got_ws, sizeof(ws))) {
		snprintf(why, len, "its window size does not stay %ux%u", t->cols, t->rows);
		return -EOPNOTSUPP;
	}
	return 0;
}

int libckpt_rst_tty_settings(const struct tree *tr, uint32_t pid,
			     const struct libckpt_image_fd *f, int fd)
{
	const struct ckpt_tty *t = find_settings(tr, f->rec.tty_rdev ?: f->rec.rdev);
	char why[160];
	int ret;

	if (!t)
		return fail(tr->e, -EBADMSG, "pid %u fd %d: the image has no settings for terminal %s",
			    pid, f->rec.fd, f->path);
	ret = apply(fd, t, true, why, sizeof(why));
	return ret ? fail(tr->e, ret, "pid %u fd %d: %s: %s", pid, f->rec.fd, f->path, why) : 0;
}

/* A path of terminal @rdev: one of the image's descriptions of it, or its name. */
static int tty_path(const struct tree *tr, uint32_t rdev, char *path, size_t len)
{
	unsigned int maj = major(rdev), min = minor(rdev);
	size_t i;
	uint32_t j;

	for (i = 0; i < tr->n; i++)
		for (j = 0; j < tr->plans[i].task->rec.nr_fds; j++) {
			const struct libckpt_image_fd *f = &tr->plans[i].task->fds[j];

			if (f->rec.type == CKPT_FD_TTY && !(f->rec.flags & CKPT_FD_DEVTTY) &&
			    f->rec.rdev == rdev)
				return snprintf(path, len, "%s", f->path) < (int)len ? 0 : -ENAMETOOLONG;
		}
	/* As devtmpfs and devpts name them. */
	if (maj >= 136 && maj < 144)
		snprintf(path, len, "/dev/pts/%u", (maj - 136) * 256 + min);
	else if (maj == 4 && min < 64)
		snprintf(path, len, "/dev/tty%u", min);
	else if (maj == 5 && min == 1)
		snprintf(path, len, "/dev/console");
	else
		return -ENOENT;
	return 0;
}

/*
 * In a child of its own session, take @path's terminal as its controlling
 * terminal and open /dev/tty with @flags; send that description back.
 */
static void devtty_child(const char *path, int flags, uint32_t rdev, int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "t", .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct stat st;
	int t, d;

	if (setsid() < 0)
		_exit(1);
	t = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t < 0 || fstat(t, &st) || st.st_rdev != makedev(major(rdev), minor(rdev)))
		_exit(2);
	if (ioctl(t, TIOCSCTTY, 0))
		_exit(errno == EPERM ? 3 : 4);
	d = open("/dev/tty", flags | O_CLOEXEC);
	if (d < 0)
		_exit(5);
	/*
	 * Give the terminal up before exiting: a session leader that exits
	 * with a controlling terminal other than a pty hangs it up (6.1
	 * disassociate_ctty()), and every description of it with it.
	 * TIOCNOTTY sends SIGHUP to our own process group: ignored.
	 */
	signal(SIGHUP, SIG_IGN);
	signal(SIGCONT, SIG_IGN);
	if (ioctl(t, TIOCNOTTY))
		_exit(4);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &d, sizeof(int));
	_exit(sendmsg(sock, &mh, 0) == 1 ? 0 : 6);
}

/**
 * libckpt_rst_open_devtty() - a description of /dev/tty, as the image's
 * @tr: the restore
 * @pid: the process whose record @f is
 * @f: a CKPT_FD_TTY record with CKPT_FD_DEVTTY
 *
 * /dev/tty opens its opener's controlling terminal. With --shell-job the
 * controller's own is the caller's terminal, which the job's terminals
 * become; otherwise a child of the controller takes the recorded terminal
 * as the controlling terminal of a session of its own, opens /dev/tty and
 * exits, leaving the terminal free for the restored session leader.
 *
 * Return: a descriptor, or a negative errno after fail().
 */
int libckpt_rst_open_devtty(const struct tree *tr, uint32_t pid,
			    const struct libckpt_image_fd *f)
{
	static const char *const why[] = {
		[1] = "cannot start a session", [2] = "cannot open the terminal",
		[3] = "it is the controlling terminal of another session (restore with --shell-job)",
		[4] = "cannot make it a controlling terminal", [5] = "cannot open /dev/tty",
		[6] = "cannot hand the description over",
	};
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c, path[4096];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	int flags = (int)(f->rec.f_flags & (O_ACCMODE | O_NONBLOCK | O_APPEND));
	int sv[2], fd = -1, st = 0;
	struct cmsghdr *cm;
	pid_t child;

	if (tr->tty_fd >= 0) {
		fd = open("/dev/tty", flags | O_CLOEXEC);
		return fd >= 0 ? fd : fail(tr->e, -errno, "pid %u fd %d: cannot open /dev/tty: %s",
					   pid, f->rec.fd, strerror(errno));
	}
	if (tty_path(tr, f->rec.tty_rdev, path, sizeof(path)))
		return fail(tr->e, -ENOENT, "pid %u fd %d: /dev/tty: no name for its terminal %u:%u",
			    pid, f->rec.fd, major(f->rec.tty_rdev), minor(f->rec.tty_rdev));
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		return fail(tr->e, -errno, "out of descriptors");
	child = fork();
	if (child == 0)
		devtty_child(path, flags, f->rec.tty_rdev, sv[1]);
	close(sv[1]);
	if (child > 0 && recvmsg(sv[0], &mh, 0) == 1 && (cm = CMSG_FIRSTHDR(&mh)) &&
	    cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	close(sv[0]);
	if (child > 0)
		waitpid(child, &st, 0);
	if (fd >= 0)
		return fd;
	st = child > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : 0;
	return fail(tr->e, -EIO, "pid %u fd %d: /dev/tty on %s: %s", pid, f->rec.fd, path,
		    st > 0 && st <= 6 ? why[st] : "cannot open it");
}

/* The first terminal descriptor of the image, or NULL. */
static const struct libckpt_image_fd *first_tty_fd(const struct tree *tr)
{
	size_t i;
	uint32_t j;

	for (i = 0; i < tr->n; i++)
		for (j = 0; j < tr->plans[i].task->rec.nr_fds; j++)
			if (tr->plans[i].task->fds[j].rec.type == CKPT_FD_TTY)
				return &tr->plans[i].task->fds[j];
	return NULL;
}

int libckpt_rst_tty_shell_job(const struct tree *tr)
{
	const struct libckpt_image_fd *f = first_tty_fd(tr);
	const struct ckpt_tty *t = f ? find_settings(tr, f->rec.tty_rdev ?: f->rec.rdev) : NULL;
	char why[160];
	int ret;

	if (!t)
		return 0;
	ret = apply(tr->tty_fd, t, false, why, sizeof(why));
	return ret ? fail(tr->e, ret, "--shell-job: the caller's terminal: %s", why) : 0;
}

/* The description of the image that is terminal @rdev, or -1. */
static int tty_desc(const struct tree *tr, uint32_t rdev)
{
	const struct libckpt_image_task *t;
	size_t i;
	uint32_t j;

	for (i = 0; i < tr->n; i++) {
		t = tr->plans[i].task;
		for (j = 0; j < t->rec.nr_fds; j++)
			if (t->fds[j].rec.type == CKPT_FD_TTY && t->fds[j].rec.rdev == rdev &&
			    t->fds[j].rec.file_id <= tr->nr_descs)
				return tr->descs[t->fds[j].rec.file_id - 1];
	}
	return -1;
}

static void dev_name(uint32_t rdev, char *buf, size_t len)
{
	/* new_encode_dev() */
	snprintf(buf, len, "%u:%u", (rdev & 0xfff00) >> 8, (rdev & 0xff) | ((rdev >> 12) & 0xfff00));
}

/* Does the image have a process group @pgid in session @sid? */
static bool session_has_group(const struct tree *tr, uint32_t sid, uint32_t pgid)
{
	size_t i;

	for (i = 0; i < tr->n; i++)
		if (tr->plans[i].task->rec.sid == sid && tr->plans[i].task->rec.pgid == pgid)
			return true;
	return false;
}

int libckpt_rst_tty_check(const struct tree *tr, size_t i)
{
	const struct libckpt_image_task *t = tr->plans[i].task;
	const struct ckpt_rec_tty *r = &t->tty->rec;
	int leader = libckpt_rst_task_index(tr, t->rec.sid);
	const struct ckpt_rec_tty *lr;
	char dev[24];

	/* Outside the image, the session is the caller's, and its terminal. */
	if (leader < 0)
		return 0;
	lr = &tr->plans[leader].task->tty->rec;
	dev_name(r->ctty_rdev, dev, sizeof(dev));
	if ((size_t)leader != i && (r->flags != lr->flags || r->ctty_rdev != lr->ctty_rdev))
		return fail(tr->e, -EOPNOTSUPP,
			    "pid %u: its controlling terminal (%s) is not its session leader's: not supported",
			    t->rec.pid, r->ctty_rdev ? dev : "none");
	if ((size_t)leader != i || !(r->flags & CKPT_TTY_CTTY))
		return 0;
	if (tr->o->shell_job)
		return fail(tr->e, -EOPNOTSUPP,
			    "pid %u led its session with a controlling terminal (%s): --shell-job cannot give it the caller's terminal, which is the caller's session's (restore without --shell-job reopens its own)",
			    t->rec.pid, dev);
	if (!session_has_group(tr, t->rec.sid, r->fg_pgrp))
		return fail(tr->e, -EOPNOTSUPP,
			    "pid %u: the foreground process group %u of its terminal %s is none of its session's in the image",
			    t->rec.pid, r->fg_pgrp, dev);
	return 0;
}

int libckpt_rst_tty_lead(const struct tree *tr, size_t i)
{
	const struct libckpt_image_task *t = tr->plans[i].task;
	const struct ckpt_rec_tty *r = &t->tty->rec;
	char dev[24];
	int fd;

	if (t->rec.sid != t->rec.pid || !(r->flags & CKPT_TTY_CTTY))
		return 0;
	dev_name(r->ctty_rdev, dev, sizeof(dev));
	fd = tty_desc(tr, r->ctty_rdev);
	if (fd < 0)
		return fail(tr->e, -EBADMSG, "pid %u: no descriptor of the image is its controlling terminal %s",
			    t->rec.pid, dev);
	if (ioctl(fd, TIOCSCTTY, 0))
		return fail(tr->e, -errno, "pid %u cannot take its controlling terminal %s again: %s",
			    t->rec.pid, dev, strerror(errno));
	return 0;
}

int libckpt_rst_tty_foreground(const struct tree *tr, size_t i)
{
	const struct libckpt_image_task *t = tr->plans[i].task;
	const struct ckpt_rec_tty *r = &t->tty->rec;
	pid_t pgrp = (pid_t)r->fg_pgrp;
	char dev[24];

	if (t->rec.sid != t->rec.pid || !(r->flags & CKPT_TTY_CTTY) ||
	    r->fg_pgrp == t->rec.pgid)
		return 0;
	/* Its own group is the foreground since TIOCSCTTY: no SIGTTOU. */
	if (!ioctl(tty_desc(tr, r->ctty_rdev), TIOCSPGRP, &pgrp))
		return 0;
	dev_name(r->ctty_rdev, dev, sizeof(dev));
	return fail(tr->e, -errno, "pid %u cannot make process group %u the foreground of its terminal %s: %s",
		    t->rec.pid, r->fg_pgrp, dev, strerror(errno));
}

/* The restored pid of the image's process @pid, or 0. */
static pid_t restored_pid(const struct tree *tr, uint32_t pid)
{
	int i = libckpt_rst_task_index(tr, pid);

	return i < 0 ? 0 : __atomic_load_n(&tr->e->pids[i], __ATOMIC_ACQUIRE);
}

int libckpt_rst_tty_shell_foreground(const struct tree *tr)
{
	const struct libckpt_image_task *t;
	pid_t fg = 0, ours = getpgrp();
	size_t i;

	/* Only a job the shell put in the foreground: our group is. */
	if (tr->tty_fd < 0 || ioctl(tr->tty_fd, TIOCGPGRP, &fg) || fg != ours || fg <= 0)
		return 0;
	for (i = 0; i < tr->n; i++) {
		t = tr->plans[i].task;
		/* Its session is the caller's, and it was its terminal's foreground. */
		if (!(t->tty->rec.flags & CKPT_TTY_CTTY) || t->tty->rec.fg_pgrp != t->rec.pgid ||
		    libckpt_rst_task_index(tr, t->rec.sid) >= 0)
			continue;
		fg = restored_pid(tr, t->rec.pgid);
		if (fg > 0 && ioctl(tr->tty_fd, TIOCSPGRP, &fg))
			return fail(tr->e, -errno, "--shell-job: cannot give the caller's terminal to process group %u: %s",
				    t->rec.pgid, strerror(errno));
		return 0;
	}
	return 0;
}
