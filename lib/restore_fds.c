// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: descriptors. Files are checked against what the image
 * recorded and reopened; pipes are made once, before the first fork, so
 * every process shares them as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "restore.h"

static uint64_t mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000ULL + st->st_mtim.tv_nsec;
}

/*
 * Is @fd still the checkpointed file? Same inode; and unless the process
 * could write it itself after the checkpoint (@writable), same size and
 * mtime. 0, or -ESTALE with @why filled.
 */
int libckpt_rst_still_same_file(int fd, uint64_t ino, uint64_t dev, uint64_t size,
				uint64_t mtime, bool writable, char *why, size_t len)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_ino != ino || st.st_dev != dev) {
		snprintf(why, len, "is another file now (inode %llu, was %llu)",
			 (unsigned long long)st.st_ino, (unsigned long long)ino);
		return -ESTALE;
	}
	if (writable)
		return 0;
	if ((uint64_t)st.st_size != size || mtime_ns(&st) != mtime) {
		snprintf(why, len, "changed since the checkpoint (size %llu, was %llu; mtime %s)",
			 (unsigned long long)st.st_size, (unsigned long long)size,
			 mtime_ns(&st) == mtime ? "the same" : "differs");
		return -ESTALE;
	}
	return 0;
}

/* Put a copy of @src at the recorded number, with the recorded flags. */
static int place_copy(int src, const struct ckpt_rec_fd *r)
{
	if (dup2(src, r->fd) < 0)
		return -errno;
	if (fcntl(r->fd, F_SETFD, (r->flags & CKPT_FD_CLOEXEC) ? FD_CLOEXEC : 0))
		return -errno;
	return 0;
}

int libckpt_rst_open_file(uint32_t pid, const struct libckpt_image_fd *f,
			  struct shared *e)
{
	int flags = f->rec.f_flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
	bool writable = (f->rec.f_flags & O_ACCMODE) != O_RDONLY;
	char why[160];
	int fd, ret;

	if (f->rec.flags & CKPT_FD_DELETED)
		return fail(e, -ENOENT, "pid %u fd %d: %s was deleted since the checkpoint",
			    pid, f->rec.fd, f->path);
	fd = open(f->path, flags | O_NOCTTY);
	if (fd < 0)
		return fail(e, -errno, "pid %u fd %d: cannot reopen %s: %s%s", pid,
			    f->rec.fd, f->path, strerror(errno),
			    f->rec.type == CKPT_FD_TTY ?
			    " (--shell-job gives it the caller's terminal)" : "");
	if (f->rec.type == CKPT_FD_REG || f->rec.type == CKPT_FD_DIR) {
		ret = libckpt_rst_still_same_file(fd, f->rec.ino, f->rec.dev, f->rec.size,
				      f->rec.mtime_ns,
				      writable || f->rec.type == CKPT_FD_DIR,
				      why, sizeof(why));
		if (ret) {
			close(fd);
			return fail(e, ret, "pid %u fd %d: %s %s", pid, f->rec.fd,
				    f->path, why);
		}
	}
	if (f->rec.type == CKPT_FD_REG &&
	    lseek(fd, (off_t)f->rec.pos, SEEK_SET) < 0) {
		close(fd);
		return fail(e, -errno, "pid %u fd %d: cannot seek %s", pid, f->rec.fd,
			    f->path);
	}
	return fd;
}

static struct pipe_ends *find_pipe(const struct tree *tr, uint64_t ino)
{
	size_t i;

	for (i = 0; i < tr->nr_pipes; i++)
		if (tr->pipes[i].ino == ino)
			return &tr->pipes[i];
	return NULL;
}

/* Move @fd to the lowest free number >= @min. */
static int move_high(int fd, int min)
{
	int high = fcntl(fd, F_DUPFD, min);

	close(fd);
	return high;
}

/* One pipe of the image, refilled with the bytes it held. */
static int make_pipe(struct tree *tr, const struct libckpt_image_fd *f)
{
	struct pipe_ends *pe = &tr->pipes[tr->nr_pipes];
	int p[2];

	if (pipe2(p, 0))
		return fail(tr->e, -errno, "fd %d: pipe: %s", f->rec.fd, strerror(errno));
	pe->ino = f->rec.ino;
	pe->r = move_high(p[0], tr->top);
	pe->w = move_high(p[1], tr->top);
	tr->nr_pipes++;
	if (pe->r < 0 || pe->w < 0)
		return fail(tr->e, -EMFILE, "fd %d: no descriptor for a pipe", f->rec.fd);
	if (f->rec.pipe_size)
		fcntl(pe->w, F_SETPIPE_SZ, f->rec.pipe_size);
	return 0;
}

static int fill_pipe(struct tree *tr, const struct libckpt_image_fd *f)
{
	struct pipe_ends *pe = find_pipe(tr, f->rec.ino);

	if (!f->rec.data_len)
		return 0;
	if (write(pe->w, f->data, f->rec.data_len) != (ssize_t)f->rec.data_len)
		return fail(tr->e, -EIO, "fd %d: cannot refill its pipe with %u bytes",
			    f->rec.fd, f->rec.data_len);
	return 0;
}

/*
 * Every pipe of the image, made once by the controller above every
 * recorded descriptor, so each process inherits it and places the ends
 * it had: pipes between processes are shared again, with their data.
 */
int libckpt_rst_make_pipes(struct tree *tr)
{
	size_t i, total = 0;
	uint32_t j;
	int ret;

	for (i = 0; i < tr->n; i++)
		total += tr->plans[i].task->rec.nr_fds;
	tr->pipes = calloc(total ? total : 1, sizeof(*tr->pipes));
	if (!tr->pipes)
		return fail(tr->e, -ENOMEM, "out of memory");
	for (i = 0; i < tr->n; i++) {
		const struct libckpt_image_task *t = tr->plans[i].task;

		for (j = 0; j < t->rec.nr_fds; j++) {
			const struct libckpt_image_fd *f = &t->fds[j];

			if (f->rec.type != CKPT_FD_PIPE)
				continue;
			ret = find_pipe(tr, f->rec.ino) ? 0 : make_pipe(tr, f);
			if (!ret && (f->rec.flags & CKPT_FD_PIPE_DATA))
				ret = fill_pipe(tr, f);
			if (ret)
				return ret;
		}
	}
	return 0;
}

void libckpt_rst_close_pipes(const struct tree *tr)
{
	size_t i;

	for (i = 0; i < tr->nr_pipes; i++) {
		close(tr->pipes[i].r);
		close(tr->pipes[i].w);
	}
}

/* The descriptors a restoring process keeps while it places its own. */
static bool restore_owned(const struct tree *tr, int fd)
{
	size_t i;

	if (fd == tr->image_fd || fd == tr->tty_fd || libckpt_rst_obj_owned(tr, fd))
		return true;
	for (i = 0; i < tr->nr_pipes; i++)
		if (fd == tr->pipes[i].r || fd == tr->pipes[i].w)
			return true;
	return false;
}

/* Close everything inherited but the restore's own descriptors. */
static void close_inherited(const struct tree *tr)
{
	int fd, high = tr->image_fd;
	size_t i;

	if (tr->tty_fd > high)
		high = tr->tty_fd;
	if (libckpt_rst_objs_high(tr) > high)
		high = libckpt_rst_objs_high(tr);
	for (i = 0; i < tr->nr_pipes; i++) {
		if (tr->pipes[i].r > high)
			high = tr->pipes[i].r;
		if (tr->pipes[i].w > high)
			high = tr->pipes[i].w;
	}
	for (fd = 0; fd < high; fd++)
		if (!restore_owned(tr, fd))
			close(fd);
	close_range(high + 1, ~0U, 0);
}

int libckpt_rst_fds(const struct tree *tr, const struct libckpt_image_task *t)
{
	struct shared *e = tr->e;
	uint32_t i;
	int fd, ret;

	close_inherited(tr);
	for (i = 0; i < t->rec.nr_fds; i++) {
		const struct libckpt_image_fd *f = &t->fds[i];
		bool want_write = (f->rec.f_flags & O_ACCMODE) != O_RDONLY;

		if (f->rec.type == CKPT_FD_PIPE) {
			const struct pipe_ends *pe = find_pipe(tr, f->rec.ino);

			ret = place_copy(want_write ? pe->w : pe->r, &f->rec);
			if (!ret && fcntl(f->rec.fd, F_SETFL, f->rec.f_flags & O_NONBLOCK))
				ret = -errno;
		} else if (libckpt_fdobj_type(f->rec.type)) {
			ret = libckpt_rst_place_obj(tr, f);
		} else if (f->rec.type == CKPT_FD_TTY && tr->tty_fd >= 0) {
			ret = place_copy(tr->tty_fd, &f->rec);
		} else {
			fd = libckpt_rst_open_file(t->rec.pid, f, e);
			if (fd < 0)
				return fd;
			ret = fd == f->rec.fd ? 0 : place_copy(fd, &f->rec);
			if (fd != f->rec.fd)
				close(fd);
			if (!ret && fd == f->rec.fd &&
			    fcntl(fd, F_SETFD, (f->rec.flags & CKPT_FD_CLOEXEC) ? FD_CLOEXEC : 0))
				ret = -errno;
		}
		if (ret)
			return fail(e, ret, "pid %u fd %d: cannot place it: %s",
				    t->rec.pid, f->rec.fd, strerror(-ret));
	}
	ret = libckpt_rst_objs_register(tr, t);
	if (ret)
		return ret;
	libckpt_rst_close_pipes(tr);
	libckpt_rst_close_objs(tr);
	if (tr->tty_fd >= 0)
		close(tr->tty_fd);
	return 0;
}
