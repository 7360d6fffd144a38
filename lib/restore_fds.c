// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: descriptors. The controller makes every open file
 * description of the image once, before the first process is created —
 * files reopened by path and checked against what the image recorded,
 * pipes and FIFOs refilled, deleted files and memfds re-created with their
 * contents, eventfds, timerfds, signalfds and epolls made with their state
 * (restore_objs.c) — with its status flags and position, above every
 * recorded descriptor number. Every process inherits all of them and
 * places the ones it had at their numbers: a description shared by dup()
 * or fork() is shared again, one offset and one set of flags. The process
 * that carries an epoll's state then adds its registrations; file locks
 * are taken again last (restore_locks.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "restore.h"

/*
 * The kernel's __O_TMPFILE bit (asm-generic/fcntl.h); glibc's __O_TMPFILE
 * also holds O_DIRECTORY.
 */
#define TMPFILE_BIT	020000000
/* The kernel's O_LARGEFILE, which glibc defines as 0 on x86-64. */
#define LARGEFILE_BIT	0100000

/* What F_SETFL can change (6.1 fs/fcntl.c SETFL_MASK, O_NDELAY aside). */
#define SETFL_FLAGS	(O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME)

static uint64_t mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000ULL + st->st_mtim.tv_nsec;
}

/*
 * Is @fd still the checkpointed file? Same inode; and unless the process
 * could write it itself after the checkpoint, or the user said to skip the
 * check (@any_content), same size and mtime. 0, or -ESTALE with @why.
 */
int libckpt_rst_still_same_file(int fd, uint64_t ino, uint64_t dev, uint64_t size,
				uint64_t mtime, bool any_content, char *why, size_t len)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_ino != ino || st.st_dev != dev) {
		snprintf(why, len, "is another file now (inode %llu, was %llu)",
			 (unsigned long long)st.st_ino, (unsigned long long)ino);
		return -ESTALE;
	}
	if (any_content)
		return 0;
	if ((uint64_t)st.st_size != size || mtime_ns(&st) != mtime) {
		snprintf(why, len, "changed since the checkpoint (size %llu, was %llu; mtime %s; restore --skip-file-check accepts it)",
			 (unsigned long long)st.st_size, (unsigned long long)size,
			 mtime_ns(&st) == mtime ? "the same" : "differs");
		return -ESTALE;
	}
	return 0;
}

/* Move @fd to the lowest free number >= @min (closing @fd); -1 on error. */
int libckpt_rst_move_high(int fd, int min)
{
	int high;

	if (fd < 0)
		return -1;
	high = fcntl(fd, F_DUPFD, min);
	close(fd);
	return high;
}

/* The flags open(2) takes to make a description with status flags @f. */
static int open_flags(uint32_t f)
{
	return (int)(f & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | TMPFILE_BIT)) |
	       O_NOCTTY | O_CLOEXEC;
}

static void why_fd(char *buf, size_t len, uint32_t pid, const struct libckpt_image_fd *f)
{
	snprintf(buf, len, "pid %u fd %d", pid, f->rec.fd);
}

int libckpt_rst_open_file(const struct tree *tr, uint32_t pid,
			  const struct libckpt_image_fd *f)
{
	bool writable = (f->rec.f_flags & O_ACCMODE) != O_RDONLY;
	bool any = writable || f->rec.type == CKPT_FD_DIR || tr->o->skip_file_check;
	struct shared *e = tr->e;
	char why[192];
	int fd, ret;

	fd = open(f->path, open_flags(f->rec.f_flags));
	if (fd < 0)
		return fail(e, -errno, "pid %u fd %d: cannot reopen %s: %s%s", pid,
			    f->rec.fd, f->path, strerror(errno),
			    f->rec.type == CKPT_FD_TTY ?
			    " (--shell-job gives it the caller's terminal)" : "");
	if (f->rec.type == CKPT_FD_REG || f->rec.type == CKPT_FD_DIR ||
	    f->rec.type == CKPT_FD_PATH || f->rec.type == CKPT_FD_FIFO) {
		ret = libckpt_rst_still_same_file(fd, f->rec.ino, f->rec.dev, f->rec.size,
						  f->rec.mtime_ns,
						  any || f->rec.type != CKPT_FD_REG,
						  why, sizeof(why));
		if (ret) {
			close(fd);
			return fail(e, ret, "pid %u fd %d: %s %s", pid, f->rec.fd,
				    f->path, why);
		}
	}
	return fd;
}

/* --- objects made once: pipes, FIFOs, deleted files, memfds ---------------- */

static struct rst_object *find_object(const struct tree *tr, uint64_t dev, uint64_t ino)
{
	size_t i;

	for (i = 0; i < tr->nr_objs; i++)
		if (tr->objs[i].dev == dev && tr->objs[i].ino == ino)
			return &tr->objs[i];
	return NULL;
}

static struct rst_object *new_object(struct tree *tr, const struct ckpt_rec_fd *r)
{
	struct rst_object *o = &tr->objs[tr->nr_objs++];

	*o = (struct rst_object){ .dev = r->dev, .ino = r->ino, .r = -1, .w = -1,
				  .any = -1 };
	return o;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A pipe's or FIFO's capacity, then the bytes it held. */
static int refill_pipe(struct tree *tr, uint32_t pid, const struct libckpt_image_fd *f,
		       int w)
{
	if (f->rec.pipe_size && fcntl(w, F_SETPIPE_SZ, f->rec.pipe_size) < 0)
		return fail(tr->e, -errno, "pid %u fd %d: cannot give its pipe a capacity of %u bytes: %s",
			    pid, f->rec.fd, f->rec.pipe_size, strerror(errno));
	if (write_all(w, f->data, f->rec.data_len))
		return fail(tr->e, -EIO, "pid %u fd %d: cannot refill its pipe with %u bytes",
			    pid, f->rec.fd, f->rec.data_len);
	return 0;
}

/* Another description of the object @any is a descriptor of. */
static int reopen(int any, uint32_t f_flags)
{
	char proc[40];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", any);
	return open(proc, open_flags(f_flags) | O_NONBLOCK);
}

/*
 * One end of a pipe. pipe2() makes the first read and the first write
 * description (without O_LARGEFILE, as the original's were); any other
 * (one opened through /proc/PID/fd) is opened the same way again.
 */
static int pipe_desc(struct tree *tr, uint32_t pid, const struct libckpt_image_fd *f)
{
	struct rst_object *o = find_object(tr, f->rec.dev, f->rec.ino);
	uint32_t acc = f->rec.f_flags & O_ACCMODE;
	bool plain = !(f->rec.f_flags & LARGEFILE_BIT);
	int p[2], fd;

	if (!o) {
		if (pipe2(p, 0))
			return fail(tr->e, -errno, "pid %u fd %d: pipe: %s", pid, f->rec.fd,
				    strerror(errno));
		o = new_object(tr, &f->rec);
		o->r = libckpt_rst_move_high(p[0], tr->top);
		o->w = libckpt_rst_move_high(p[1], tr->top);
		if (o->r < 0 || o->w < 0)
			return fail(tr->e, -EMFILE, "pid %u fd %d: no descriptor for a pipe",
				    pid, f->rec.fd);
		o->any = o->r;
		if (refill_pipe(tr, pid, f, o->w))
			return failed(tr->e);
	}
	if (plain && acc == O_RDONLY && o->r >= 0 && !o->r_used) {
		o->r_used = true;
		return o->r;
	}
	if (plain && acc == O_WRONLY && o->w >= 0 && !o->w_used) {
		o->w_used = true;
		return o->w;
	}
	fd = reopen(o->any, f->rec.f_flags);
	return fd < 0 ? -errno : fd;
}

/*
 * A named FIFO: held open read-write (which never blocks on Linux) while
 * it is checked and refilled; its descriptions are then opened through
 * that holder, non-blocking, and the holder closed once all exist.
 */
static int fifo_desc(struct tree *tr, uint32_t pid, const struct libckpt_image_fd *f)
{
	struct rst_object *o = find_object(tr, f->rec.dev, f->rec.ino);
	int fd;

	if (!o) {
		fd = libckpt_rst_open_file(tr, pid, &(struct libckpt_image_fd){
			.rec = { .fd = f->rec.fd, .type = CKPT_FD_FIFO, .ino = f->rec.ino,
				 .dev = f->rec.dev, .f_flags = O_RDWR | O_NONBLOCK },
			.path = f->path });
		if (fd < 0)
			return fd;
		o = new_object(tr, &f->rec);
		o->any = libckpt_rst_move_high(fd, tr->top);
		if (o->any < 0)
			return fail(tr->e, -EMFILE, "pid %u fd %d: no descriptor for a FIFO",
				    pid, f->rec.fd);
		if (refill_pipe(tr, pid, f, o->any))
			return failed(tr->e);
	}
	fd = reopen(o->any, f->rec.f_flags);
	return fd < 0 ? -errno : fd;
}

/*
 * A deleted file comes back as a new file with its contents, unlinked: at
 * its old name if that is free (so /proc shows the same path), else
 * without a name (O_TMPFILE) in the same directory. An O_TMPFILE
 * description is made the way it was, directly.
 */
static int make_ghost(struct tree *tr, uint32_t pid, const struct libckpt_image_fd *f,
		      struct rst_object *o)
{
	char *dir = strdup(f->path);
	mode_t mode = f->rec.mode & 07777;
	int fd, ret;

	if (!dir)
		return fail(tr->e, -ENOMEM, "out of memory");
	if (f->rec.f_flags & TMPFILE_BIT) {
		fd = open(dirname(dir), open_flags(f->rec.f_flags) | TMPFILE_BIT, 0600);
		o->tmpfile_desc = true;
	} else {
		fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			unlink(f->path);
		else if (errno == EEXIST)
			fd = open(dirname(dir), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	}
	free(dir);
	if (fd < 0)
		return fail(tr->e, -errno, "pid %u fd %d: cannot re-create the deleted file %s: %s",
			    pid, f->rec.fd, f->path, strerror(errno));
	o->any = libckpt_rst_move_high(fd, tr->top);
	if (o->any < 0)
		return fail(tr->e, -EMFILE, "pid %u fd %d: no descriptor for a deleted file",
			    pid, f->rec.fd);
	ret = write_all(o->any, f->data, f->rec.data_len);
	if (!ret && fchmod(o->any, mode))
		ret = -errno;
	if (ret)
		return fail(tr->e, ret, "pid %u fd %d: cannot refill the deleted file %s: %s",
			    pid, f->rec.fd, f->path, strerror(-ret));
	o->mtime_ns = f->rec.mtime_ns;
	o->stamp = true;
	return 0;
}

static int ghost_desc(struct tree *tr, uint32_t pid, const struct libckpt_image_fd *f)
{
	struct rst_object *o = find_object(tr, f->rec.dev, f->rec.ino);
	int fd;

	if (!o) {
		o = new_object(tr, &f->rec);
		if (make_ghost(tr, pid, f, o))
			return failed(tr->e);
		if (o->tmpfile_desc) {
			o->any_used = true;
			return o->any;
		}
	}
	fd = reopen(o->any, f->rec.f_flags);
	return fd < 0 ? -errno : fd;
}

/*
 * A memfd comes back by memfd_create() with its name, contents and seals
 * (added after the contents: F_SEAL_WRITE would forbid writing them).
 * Without F_SEAL_SEAL alone, it allows sealing, as it did.
 */
static int memfd_desc(struct tree *tr, uint32_t pid, const struct libckpt_image_fd *f)
{
	struct rst_object *o = find_object(tr, f->rec.dev, f->rec.ino);
	const char *name = f->path;
	uint32_t seals = f->rec.seals;
	int fd, ret = 0;

	if (!o) {
		if (!strncmp(name, "/memfd:", 7))
			name += 7;
		fd = memfd_create(name, MFD_CLOEXEC |
				  (seals == F_SEAL_SEAL ? 0 : MFD_ALLOW_SEALING));
		if (fd < 0)
			return fail(tr->e, -errno, "pid %u fd %d: cannot re-create memfd %s: %s",
				    pid, f->rec.fd, name, strerror(errno));
		o = new_object(tr, &f->rec);
		o->any = libckpt_rst_move_high(fd, tr->top);
		if (o->any < 0)
			return fail(tr->e, -EMFILE, "pid %u fd %d: no descriptor for a memfd",
				    pid, f->rec.fd);
		ret = write_all(o->any, f->data, f->rec.data_len);
		if (!ret && seals != F_SEAL_SEAL && seals &&
		    fcntl(o->any, F_ADD_SEALS, seals))
			ret = -errno;
		if (ret)
			return fail(tr->e, ret, "pid %u fd %d: cannot refill memfd %s: %s",
				    pid, f->rec.fd, name, strerror(-ret));
		/* memfd_create()'s own description: O_RDWR | O_LARGEFILE. */
		if ((f->rec.f_flags & ~SETFL_FLAGS) == (O_RDWR | LARGEFILE_BIT)) {
			o->any_used = true;
			return o->any;
		}
	}
	fd = reopen(o->any, f->rec.f_flags);
	return fd < 0 ? -errno : fd;
}

/* The description of record @f, made with its status flags and position. */
static int make_desc(struct tree *tr, uint32_t pid, const struct libckpt_image_fd *f)
{
	char who[48];
	int fd, flags;

	/* Opened once its process exists (restore_pidfd.c). */
	if (f->rec.type == CKPT_FD_PIDFD)
		return libckpt_rst_pidfd_placeholder(tr, pid, f);
	switch (f->rec.type) {
	case CKPT_FD_PIPE:
		fd = pipe_desc(tr, pid, f);
		break;
	case CKPT_FD_FIFO:
		fd = fifo_desc(tr, pid, f);
		break;
	case CKPT_FD_MEMFD:
		fd = memfd_desc(tr, pid, f);
		break;
	case CKPT_FD_EVENTFD:
	case CKPT_FD_TIMERFD:
	case CKPT_FD_SIGNALFD:
	case CKPT_FD_EPOLL:
	case CKPT_FD_INOTIFY:
	case CKPT_FD_NOTICE:
		fd = libckpt_rst_make_obj(tr, pid, f);
		break;
	case CKPT_FD_SOCKET:
		fd = libckpt_rst_make_sock(tr, f);
		break;
	case CKPT_FD_TTY:
		if (f->rec.flags & CKPT_FD_DEVTTY) {
			fd = libckpt_rst_open_devtty(tr, pid, f);
			if (fd >= 0 && tr->tty_fd < 0 &&
			    libckpt_rst_tty_settings(tr, pid, f, fd)) {
				close(fd);
				return failed(tr->e);
			}
			break;
		}
		if (tr->tty_fd >= 0)
			return -1;	/* --shell-job: the caller's terminal */
		fd = libckpt_rst_open_file(tr, pid, f);
		if (fd >= 0 && libckpt_rst_tty_settings(tr, pid, f, fd)) {
			close(fd);
			return failed(tr->e);
		}
		break;
	default:
		fd = (f->rec.flags & CKPT_FD_DELETED) ? ghost_desc(tr, pid, f) :
		     libckpt_rst_open_file(tr, pid, f);
		break;
	}
	if (failed(tr->e))
		return failed(tr->e);
	why_fd(who, sizeof(who), pid, f);
	if (fd < 0)
		return fail(tr->e, fd, "%s: cannot open its file description again: %s",
			    who, strerror(-fd));
	/* Objects' descriptors are high already; a fresh open may not be. */
	if (fd < tr->top)
		fd = libckpt_rst_move_high(fd, tr->top);
	if (fd < 0)
		return fail(tr->e, -EMFILE, "%s: no descriptor left", who);
	if (!(f->rec.f_flags & O_PATH) &&
	    fcntl(fd, F_SETFL, f->rec.f_flags & SETFL_FLAGS))
		return fail(tr->e, -errno, "%s: cannot set its status flags 0x%x: %s", who,
			    f->rec.f_flags, strerror(errno));
	if ((f->rec.type == CKPT_FD_REG || f->rec.type == CKPT_FD_DIR ||
	     f->rec.type == CKPT_FD_MEMFD) && !(f->rec.f_flags & O_PATH) &&
	    lseek(fd, (off_t)f->rec.pos, SEEK_SET) < 0)
		return fail(tr->e, -errno, "%s: cannot move %s to offset %llu: %s", who,
			    f->path, (unsigned long long)f->rec.pos, strerror(errno));
	/*
	 * Exactly the description it had, or a refusal: never a near miss.
	 * O_ASYNC comes with its owner, from a process that holds it
	 * (libckpt_rst_owners()).
	 */
	flags = fcntl(fd, F_GETFL);
	if (flags != (int)(f->rec.f_flags & ~O_ASYNC))
		return fail(tr->e, -EOPNOTSUPP,
			    "%s: %s comes back with status flags 0%o instead of 0%o",
			    who, f->path[0] ? f->path :
			    libckpt_fdobj_type(f->rec.type) ? "its object" : "its pipe",
			    flags, f->rec.f_flags & ~O_ASYNC);
	return fd;
}

/* Give a re-created deleted file its modification time, last. */
static int stamp_ghosts(struct tree *tr)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT } };
	size_t i;

	for (i = 0; i < tr->nr_objs; i++) {
		if (!tr->objs[i].stamp)
			continue;
		ts[1].tv_sec = (time_t)(tr->objs[i].mtime_ns / 1000000000ULL);
		ts[1].tv_nsec = (long)(tr->objs[i].mtime_ns % 1000000000ULL);
		if (futimens(tr->objs[i].any, ts))
			return fail(tr->e, -errno, "cannot set the mtime of a re-created deleted file: %s",
				    strerror(errno));
	}
	return 0;
}

/*
 * A removed working directory: an empty directory made at its old path
 * (or beside it, if that is taken), opened and removed again; every
 * process that had it enters it through the inherited descriptor.
 */
static int make_cwd(struct tree *tr, size_t i)
{
	const struct libckpt_image_proc *p = tr->plans[i].task->proc;
	char alt[4200];
	const char *dir = p->cwd;
	size_t j;
	int fd;

	for (j = 0; j < i; j++)
		if (tr->plans[j].cwd_fd >= 0 && !strcmp(tr->plans[j].task->proc->cwd, dir)) {
			tr->plans[i].cwd_fd = tr->plans[j].cwd_fd;
			return 0;
		}
	if (mkdir(dir, 0700)) {
		snprintf(alt, sizeof(alt), "%s.ckpt-XXXXXX", p->cwd);
		dir = errno == EEXIST ? mkdtemp(alt) : NULL;
		if (!dir)
			return fail(tr->e, -errno, "pid %u: cannot re-create its removed working directory %s: %s",
				    tr->plans[i].task->rec.pid, p->cwd, strerror(errno));
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rmdir(dir);
	tr->plans[i].cwd_fd = libckpt_rst_move_high(fd, tr->top);
	if (tr->plans[i].cwd_fd < 0)
		return fail(tr->e, -EMFILE, "pid %u: cannot open its re-created working directory",
			    tr->plans[i].task->rec.pid);
	return 0;
}

/*
 * Every open file description of the image, made once by the controller
 * (in order of file id), then the objects' spare descriptors closed: each
 * process inherits exactly the descriptions and places its own.
 */
int libckpt_rst_make_files(struct tree *tr)
{
	size_t i, total = 0;
	uint32_t j;
	int fd, ret = 0;

	for (i = 0; i < tr->n; i++) {
		total += tr->plans[i].task->rec.nr_fds;
		tr->plans[i].cwd_fd = -1;
	}
	tr->descs = malloc((total ? total : 1) * sizeof(*tr->descs));
	tr->objs = calloc(total ? total : 1, sizeof(*tr->objs));
	tr->pidfds = calloc(total ? total : 1, sizeof(*tr->pidfds));
	if (!tr->descs || !tr->objs || !tr->pidfds)
		return fail(tr->e, -ENOMEM, "out of memory");
	ret = libckpt_rst_sock_plan(tr);
	for (i = 0; !ret && i < tr->n; i++) {
		const struct libckpt_image_task *t = tr->plans[i].task;

		for (j = 0; !ret && j < t->rec.nr_fds; j++) {
			const struct libckpt_image_fd *f = &t->fds[j];

			/* The reader checked that ids come in order of appearance. */
			if (f->rec.file_id <= tr->nr_descs)
				continue;
			fd = make_desc(tr, t->rec.pid, f);
			tr->descs[tr->nr_descs++] = fd;
			ret = failed(tr->e);
		}
		if (!ret && (t->proc->rec.flags & CKPT_PROC_CWD_DELETED))
			ret = make_cwd(tr, i);
	}
	if (!ret)
		ret = libckpt_rst_sock_finish(tr);
	if (!ret)
		ret = stamp_ghosts(tr);
	/* Every description exists: the locks they own, before any fork. */
	if (!ret)
		ret = libckpt_rst_locks_ofd(tr);
	for (i = 0; i < tr->nr_objs; i++) {
		struct rst_object *o = &tr->objs[i];

		if (o->r >= 0 && !o->r_used)
			close(o->r);
		if (o->w >= 0 && !o->w_used)
			close(o->w);
		if (o->any >= 0 && o->any != o->r && !o->any_used)
			close(o->any);
	}
	tr->nr_objs = 0;
	return ret;
}

/*
 * Close the controller's descriptions; the --shell-job terminal stays
 * until the release (restore.c closes it).
 */
void libckpt_rst_close_files(const struct tree *tr)
{
	size_t i;

	/* A pidfd's stays until every process has taken it. */
	for (i = 0; i < tr->nr_descs; i++)
		if (tr->descs[i] >= 0 && !libckpt_rst_desc_is_pidfd(tr, i))
			close(tr->descs[i]);
	/* Processes with one removed working directory share its descriptor. */
	for (i = 0; i < tr->n; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (tr->plans[j].cwd_fd == tr->plans[i].cwd_fd)
				break;
		if (tr->plans[i].cwd_fd >= 0 && j == i)
			close(tr->plans[i].cwd_fd);
	}
	libckpt_rst_close_shm(tr, NULL);
}

/*
 * Close everything inherited but the restore's own descriptors: every
 * recorded number is below tr->top, every descriptor of the restore at
 * or above it.
 */
static int close_inherited(const struct tree *tr)
{
	int high = tr->image_fd > tr->tty_fd ? tr->image_fd : tr->tty_fd;
	bool *keep;
	size_t i;
	int fd;

	if (tr->crc_fd > high)
		high = tr->crc_fd;
	if (tr->uffd_sock[1] > high)
		high = tr->uffd_sock[1];

	for (i = 0; i < tr->nr_descs; i++)
		if (tr->descs[i] > high)
			high = tr->descs[i];
	for (i = 0; i < tr->n; i++)
		if (tr->plans[i].cwd_fd > high)
			high = tr->plans[i].cwd_fd;
	for (i = 0; i < tr->nr_shms; i++)
		if (tr->shms[i].fd > high)
			high = tr->shms[i].fd;
	keep = calloc((size_t)high + 1, sizeof(*keep));
	if (!keep)
		return fail(tr->e, -ENOMEM, "out of memory");
	keep[tr->image_fd] = true;
	keep[tr->crc_fd] = true;
	if (tr->uffd_sock[1] >= 0)
		keep[tr->uffd_sock[1]] = true;
	if (tr->tty_fd >= 0)
		keep[tr->tty_fd] = true;
	for (i = 0; i < tr->nr_descs; i++)
		if (tr->descs[i] >= 0)
			keep[tr->descs[i]] = true;
	for (i = 0; i < tr->n; i++)
		if (tr->plans[i].cwd_fd >= 0)
			keep[tr->plans[i].cwd_fd] = true;
	for (i = 0; i < tr->nr_shms; i++)
		if (tr->shms[i].fd >= 0)
			keep[tr->shms[i].fd] = true;
	for (fd = 0; fd < high; fd++)
		if (!keep[fd])
			close(fd);
	close_range(high + 1, ~0U, 0);
	free(keep);
	return 0;
}

int libckpt_rst_fds(const struct tree *tr, size_t ti)
{
	const struct libckpt_image_task *t = tr->plans[ti].task;
	struct shared *e = tr->e;
	size_t i;
	int src, ret, ctl = -1;

	ret = close_inherited(tr);
	for (i = 0; !ret && i < t->rec.nr_fds; i++) {
		const struct ckpt_rec_fd *r = &t->fds[i].rec;

		src = tr->descs[r->file_id - 1];
		if (src < 0)
			src = tr->tty_fd;
		if (r->type == CKPT_FD_PIDFD) {
			src = libckpt_rst_take_pidfd(tr, t->rec.pid, &t->fds[i], &ctl);
			if (src < 0) {
				ret = src;
				break;
			}
		}
		if (dup2(src, r->fd) < 0 ||
		    fcntl(r->fd, F_SETFD, (r->flags & CKPT_FD_CLOEXEC) ? FD_CLOEXEC : 0))
			ret = fail(e, -errno, "pid %u fd %d: cannot place it: %s",
				   t->rec.pid, r->fd, strerror(errno));
		if (r->type == CKPT_FD_PIDFD)
			close(src);
	}
	if (ctl >= 0)
		close(ctl);
	/* Every descriptor is in place: the epolls this process carries. */
	if (!ret)
		ret = libckpt_rst_objs_register(tr, t);
	/* Our own working directory's descriptor stays for restore_proc(). */
	for (i = 0; i < tr->nr_descs; i++)
		if (tr->descs[i] >= 0)
			close(tr->descs[i]);
	for (i = 0; i < tr->n; i++)
		if (tr->plans[i].cwd_fd >= 0 && tr->plans[i].cwd_fd != tr->plans[ti].cwd_fd)
			close(tr->plans[i].cwd_fd);
	if (tr->tty_fd >= 0)
		close(tr->tty_fd);
	/* Shared memory it maps stays for restore_mm(), the rest goes. */
	libckpt_rst_close_shm(tr, &tr->plans[ti]);
	/*
	 * Last: from here on the process closes no descriptor of its own
	 * before it runs (the module takes the restore's own ones out of
	 * its table without dropping locks), and closing one would drop
	 * every POSIX lock it holds on that file.
	 */
	if (!ret)
		ret = libckpt_rst_locks(tr, ti);
	return ret;
}

/* Is @t's record @i the first of its description in the image? */
static bool first_of_description(const struct tree *tr, size_t ti, uint32_t i)
{
	uint32_t id = tr->plans[ti].task->fds[i].rec.file_id, k;
	size_t j;

	for (j = 0; j < ti; j++)
		for (k = 0; k < tr->plans[j].task->rec.nr_fds; k++)
			if (tr->plans[j].task->fds[k].rec.file_id == id)
				return false;
	for (k = 0; k < i; k++)
		if (tr->plans[ti].task->fds[k].rec.file_id == id)
			return false;
	return true;
}

static const int owner_kinds[] = {
	[CKPT_OWNER_TID] = F_OWNER_TID,
	[CKPT_OWNER_PID] = F_OWNER_PID,
	[CKPT_OWNER_PGRP] = F_OWNER_PGRP,
};

/*
 * Whom @r's description signals, and with what; then O_ASYNC, which
 * files the descriptor number @r->fd as the one SIGIO names (si_fd).
 */
static int set_owner(const struct ckpt_rec_fd *r, uint32_t pid, struct shared *e)
{
	struct f_owner_ex ex = { .type = owner_kinds[r->owner_type], .pid = (pid_t)r->owner };

	if (r->owner_type != CKPT_OWNER_NONE && fcntl(r->fd, F_SETOWN_EX, &ex))
		return fail(e, -errno, "pid %u fd %d: cannot make %u its signal owner: %s", pid,
			    r->fd, r->owner, strerror(errno));
	if (r->owner_sig && fcntl(r->fd, F_SETSIG, r->owner_sig))
		return fail(e, -errno, "pid %u fd %d: cannot set its signal %u: %s", pid, r->fd,
			    r->owner_sig, strerror(errno));
	if ((r->f_flags & O_ASYNC) &&
	    fcntl(r->fd, F_SETFL, (fcntl(r->fd, F_GETFL) & SETFL_FLAGS) | O_ASYNC))
		return fail(e, -errno, "pid %u fd %d: cannot set O_ASYNC: %s", pid, r->fd,
			    strerror(errno));
	return 0;
}

/**
 * libckpt_rst_owners() - the signal owners of the descriptions @ti holds first
 * @tr: the tree, every process of it created and in its group
 * @ti: the restoring process, with its final credentials (F_SETOWN records
 *	the caller's, which decide whether the owner may be signalled)
 *
 * Return: 0 or a negative errno (the failure recorded).
 */
int libckpt_rst_owners(const struct tree *tr, size_t ti)
{
	const struct libckpt_image_task *t = tr->plans[ti].task;
	const struct ckpt_rec_fd *r;
	uint32_t i;
	int ret = 0;

	for (i = 0; !ret && i < t->rec.nr_fds; i++) {
		r = &t->fds[i].rec;
		if ((r->owner_type != CKPT_OWNER_NONE || r->owner_sig || (r->f_flags & O_ASYNC)) &&
		    first_of_description(tr, ti, i))
			ret = set_owner(r, t->rec.pid, tr->e);
	}
	return ret;
}
