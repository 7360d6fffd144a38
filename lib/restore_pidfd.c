// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: pidfds. A pidfd is one open file description, shared
 * by every descriptor and process that inherited or dup'ed it, like any
 * other; but the controller makes descriptions before its first fork,
 * when the process a pidfd refers to does not exist yet. So it keeps a
 * placeholder at the description's number, and once every process of
 * the tree exists opens the pidfd (pidfd_open()) and puts it there; each
 * process holding it then takes that very description from the
 * controller with pidfd_getfd(), before it gives up the restorer's
 * privilege, and places it at its numbers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "restore.h"

static bool is_pidfd(const struct tree *tr, uint32_t file_id)
{
	size_t i;

	for (i = 0; i < tr->nr_pidfds; i++)
		if (tr->pidfds[i].file_id == file_id)
			return true;
	return false;
}

/* Does the image hold a process or zombie of pid @pid? */
static bool image_has(const struct tree *tr, uint32_t pid)
{
	size_t i;

	for (i = 0; i < tr->n; i++)
		if (tr->plans[i].task->rec.pid == pid)
			return true;
	for (i = 0; i < tr->nr_zombies; i++)
		if (tr->zombies[i].pid == pid)
			return true;
	return false;
}

/**
 * libckpt_rst_pidfd_placeholder() - hold a pidfd description's number
 * @tr: the tree; the controller calls this before the first fork
 * @pid: the process whose record @f is
 * @f: the first record of the pidfd's file id
 *
 * Return: a descriptor to keep until libckpt_rst_open_pidfds() replaces
 * it, or a negative errno (the failure recorded).
 */
int libckpt_rst_pidfd_placeholder(struct tree *tr, uint32_t pid,
				  const struct libckpt_image_fd *f)
{
	struct ckpt_fd_pidfd st;
	int fd;

	memcpy(&st, f->data, sizeof(st));
	if (!image_has(tr, st.pid))
		return fail(tr->e, -EINVAL,
			    "pid %u fd %d: pidfd of pid %u, which the image does not hold", pid,
			    f->rec.fd, st.pid);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(tr->e, -errno, "pid %u fd %d: cannot hold the pidfd's place: %s",
			    pid, f->rec.fd, strerror(errno));
	fd = libckpt_rst_move_high(fd, tr->top);
	if (fd < 0)
		return fail(tr->e, -EMFILE, "pid %u fd %d: no descriptor left", pid, f->rec.fd);
	tr->pidfds[tr->nr_pidfds++] = (struct rst_pidfd){
		.file_id = f->rec.file_id, .holder = pid, .fd = f->rec.fd,
		.target = st.pid, .f_flags = f->rec.f_flags,
	};
	return fd;
}

/* Is description @i of the controller a pidfd's (kept until the release)? */
bool libckpt_rst_desc_is_pidfd(const struct tree *tr, size_t i)
{
	return is_pidfd(tr, (uint32_t)i + 1);
}

/**
 * libckpt_rst_open_pidfds() - open the tree's pidfds in the controller
 * @tr: the tree, its processes being made
 *
 * Waits until every process exists, then puts a pidfd of each target at
 * the number its placeholder held, and lets the processes take them.
 *
 * Return: 0 or a negative errno (the failure recorded).
 */
int libckpt_rst_open_pidfds(const struct tree *tr)
{
	const struct rst_pidfd *p;
	size_t i;
	int fd, ret;

	if (!tr->nr_pidfds)
		return 0;
	ret = wait_count(tr->e, &tr->e->created, (int)tr->n, "every process to be created");
	for (i = 0; !ret && i < tr->nr_pidfds; i++) {
		p = &tr->pidfds[i];
		/* The kernel sets O_RDWR itself; F_SETFL may have added O_APPEND. */
		fd = syscall(SYS_pidfd_open, p->target, 0);
		if (fd < 0)
			return fail(tr->e, -errno, "pid %u fd %d: cannot open a pidfd of pid %u: %s",
				    p->holder, p->fd, p->target, strerror(errno));
		if (fcntl(fd, F_SETFL, p->f_flags & (O_APPEND | O_NONBLOCK)) ||
		    fcntl(fd, F_GETFL) != (int)p->f_flags)
			ret = fail(tr->e, -EOPNOTSUPP,
				   "pid %u fd %d: a pidfd comes back with status flags 0%o instead of 0%o",
				   p->holder, p->fd, fcntl(fd, F_GETFL), p->f_flags);
		else if (dup3(fd, tr->descs[p->file_id - 1], O_CLOEXEC) < 0)
			ret = fail(tr->e, -errno, "pid %u fd %d: cannot place its pidfd: %s",
				   p->holder, p->fd, strerror(errno));
		close(fd);
	}
	if (ret)
		return ret;
	__atomic_store_n(&tr->e->pidfds_open, 1, __ATOMIC_RELEASE);
	futex_wake_all(&tr->e->pidfds_open);
	return 0;
}

/* Close the controller's pidfds, once every process has taken its own. */
void libckpt_rst_close_pidfds(const struct tree *tr)
{
	size_t i;

	for (i = 0; i < tr->nr_pidfds; i++)
		close(tr->descs[tr->pidfds[i].file_id - 1]);
}

/**
 * libckpt_rst_take_pidfd() - a restoring process's copy of a pidfd
 * @tr: the tree
 * @pid: the restoring process, as the image numbers it
 * @f: its record
 * @ctl: a pidfd of the controller, opened on first use (-1 before)
 *
 * The very description the controller holds (pidfd_getfd(): the same
 * struct file), so its holders share it as they did. The caller is still
 * the restorer, privileged enough to take it (PTRACE_MODE_ATTACH).
 *
 * Return: a new descriptor, above every recorded number, or a negative
 * errno (the failure recorded).
 */
int libckpt_rst_take_pidfd(const struct tree *tr, uint32_t pid,
			   const struct libckpt_image_fd *f, int *ctl)
{
	int fd, ret;

	if (*ctl < 0) {
		ret = wait_count(tr->e, &tr->e->pidfds_open, 1, "the pidfds to be opened");
		if (ret)
			return ret;
		/* Above every recorded number, as every descriptor of the restore. */
		*ctl = libckpt_rst_move_high(syscall(SYS_pidfd_open, tr->e->controller, 0),
					     tr->top);
		if (*ctl < 0)
			return fail(tr->e, -errno, "pid %u: cannot reach the restore's controller: %s",
				    pid, strerror(errno));
	}
	fd = libckpt_rst_move_high(syscall(SYS_pidfd_getfd, *ctl,
					   tr->descs[f->rec.file_id - 1], 0), tr->top);
	if (fd < 0)
		return fail(tr->e, -errno, "pid %u fd %d: cannot take its pidfd from the controller: %s",
			    pid, f->rec.fd, strerror(errno));
	return fd;
}
