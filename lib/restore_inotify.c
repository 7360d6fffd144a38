// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: inotify instances. Made once by the controller, as the
 * other descriptor objects (restore_objs.c), with inotify_init1() and one
 * inotify_add_watch() per watch, on the inode its file handle finds again
 * (open_by_handle_at(), which needs CAP_DAC_READ_SEARCH) through
 * /proc/self/fd. Watch descriptors are kept: the kernel hands them out
 * from a cyclic cursor (6.1 inotify_add_to_idr(): idr_alloc_cyclic() from
 * 1), so a watch added and removed at once on a spare inode moves the
 * cursor by one, until the next watch gets the recorded number; the
 * cursor ends where it was. The IN_IGNORED events those removals queue
 * are read away before the instance is handed over.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "restore.h"

struct instance {
	const struct tree *tr;
	uint32_t pid;
	int fd;		/* the record's descriptor number, for messages */
	int ifd;
	int next;	/* the watch descriptor the next watch gets */
	char spare[16];	/* an inode no recorded watch is on */
	uint32_t mnt_dev;	/* the device @mnt is a mount of, */
	int mnt;		/* kept for its next watches (or -1) */
};

static struct ckpt_inotify_watch watch_of(const struct libckpt_image_fd *f, uint32_t k)
{
	struct ckpt_inotify_watch w;

	memcpy(&w, (const char *)f->data + sizeof(struct ckpt_fd_inotify) + k * sizeof(w),
	       sizeof(w));
	return w;
}

/* A path whose inode none of @f's watches is on, for the cursor's moves. */
static int pick_spare(struct instance *in, const struct libckpt_image_fd *f, uint32_t n)
{
	static const char *const spares[] = { "/", "/proc", "/dev", "/sys", "/run" };
	struct ckpt_inotify_watch w;
	struct stat st;
	uint32_t i, k;

	for (i = 0; i < sizeof(spares) / sizeof(spares[0]); i++) {
		if (stat(spares[i], &st))
			continue;
		for (k = 0; k < n; k++) {
			w = watch_of(f, k);
			if (w.ino == st.st_ino && w.dev == (uint32_t)st.st_dev)
				break;
		}
		if (k == n) {
			snprintf(in->spare, sizeof(in->spare), "%s", spares[i]);
			return 0;
		}
	}
	return fail(in->tr->e, -ENOENT, "pid %u fd %d: inotify: no spare inode to number watches with",
		    in->pid, in->fd);
}

/* Move the cursor on until the next watch gets @wd. */
static int skip_to(struct instance *in, int wd)
{
	int got;

	while (in->next < wd) {
		got = inotify_add_watch(in->ifd, in->spare, IN_ACCESS);
		if (got < 0)
			return fail(in->tr->e, -errno, "pid %u fd %d: inotify: cannot number watches: %s",
				    in->pid, in->fd, strerror(errno));
		inotify_rm_watch(in->ifd, got);
		in->next = got + 1;
	}
	return 0;
}

/*
 * A mount of the filesystem of device @dev, opened for open_by_handle_at()
 * (which takes no O_PATH descriptor); -errno if none.
 */
static int mount_of(uint32_t dev)
{
	unsigned int maj, min;
	char line[4096], path[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int fd = -ENOENT;

	while (f && fd < 0 && fgets(line, sizeof(line), f)) {
		/* "id parent maj:min root mountpoint ..."; skip escaped names. */
		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &maj, &min, path) != 3 ||
		    makedev(maj, min) != dev || strchr(path, '\\'))
			continue;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
	}
	if (f)
		fclose(f);
	return fd;
}

/* A mount of @dev: the last one found, if the watch before was on it too. */
static int mount_for(struct instance *in, uint32_t dev)
{
	if (in->mnt >= 0 && in->mnt_dev == dev)
		return in->mnt;
	if (in->mnt >= 0)
		close(in->mnt);
	in->mnt = mount_of(dev);
	in->mnt_dev = dev;
	return in->mnt;
}

/* Add watch @w at its own number, on the inode its handle finds. */
static int add_watch(struct instance *in, const struct ckpt_inotify_watch *w)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + CKPT_HANDLE_MAX];
	} h;
	char path[64];
	int mnt, target, got, ret;

	ret = skip_to(in, w->wd);
	if (ret)
		return ret;
	mnt = mount_for(in, w->dev);
	if (mnt < 0)
		return fail(in->tr->e, mnt, "pid %u fd %d: inotify watch %d: no mount of device %u:%u",
			    in->pid, in->fd, w->wd, major(w->dev), minor(w->dev));
	h.fh.handle_bytes = w->handle_bytes;
	h.fh.handle_type = w->handle_type;
	memcpy(h.fh.f_handle, w->handle, w->handle_bytes);
	target = open_by_handle_at(mnt, &h.fh, O_PATH | O_CLOEXEC);
	ret = -errno;
	if (target < 0)
		return fail(in->tr->e, ret,
			    "pid %u fd %d: inotify watch %d: cannot find inode %llu of device %u:%u again: %s",
			    in->pid, in->fd, w->wd, (unsigned long long)w->ino, major(w->dev),
			    minor(w->dev), strerror(-ret));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", target);
	got = inotify_add_watch(in->ifd, path, w->mask);
	ret = -errno;
	close(target);
	if (got != w->wd)
		return fail(in->tr->e, got < 0 ? ret : -EEXIST,
			    "pid %u fd %d: inotify watch %d on inode %llu comes back as %d: %s", in->pid,
			    in->fd, w->wd, (unsigned long long)w->ino, got,
			    got < 0 ? strerror(-ret) : "numbered otherwise");
	in->next = got + 1;
	return 0;
}

/* Read away the events the cursor's moves queued (the instance is non-blocking). */
static void drain(int ifd)
{
	char buf[4096];

	while (read(ifd, buf, sizeof(buf)) > 0)
		;
}

/* Does our own fdinfo of @ifd show exactly @f's watches? */
static int verify(int ifd, const struct libckpt_image_fd *f, uint32_t n)
{
	struct ckpt_inotify_watch w;
	unsigned long long ino;
	unsigned int wd, sdev, mask;
	char path[64], line[512];
	uint32_t seen = 0, k;
	bool found = true;
	FILE *fi;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ifd);
	fi = fopen(path, "re");
	if (!fi)
		return -errno;
	while (found && fgets(line, sizeof(line), fi)) {
		if (sscanf(line, "inotify wd:%x ino:%llx sdev:%x mask:%x", &wd, &ino, &sdev,
			   &mask) != 4)
			continue;
		seen++;
		for (k = 0, found = false; k < n && !found; k++) {
			w = watch_of(f, k);
			found = w.wd == (int32_t)wd && w.ino == ino && w.mask == mask;
		}
	}
	fclose(fi);
	return found && seen == n ? 0 : -EPERM;
}

/**
 * libckpt_rst_make_inotify() - an inotify instance, made as it was
 * @tr: the tree; the controller calls this before the first fork
 * @pid: the process whose record @f is
 * @f: the first record of the instance's file id, which carries its state
 *
 * Return: a new descriptor of it (non-blocking: the caller sets the
 * recorded status flags), or a negative errno (the failure recorded).
 */
int libckpt_rst_make_inotify(const struct tree *tr, uint32_t pid,
			     const struct libckpt_image_fd *f)
{
	struct instance in = { .tr = tr, .pid = pid, .fd = f->rec.fd, .next = 1, .mnt = -1 };
	struct ckpt_fd_inotify st;
	struct ckpt_inotify_watch w;
	uint32_t k;
	int ret;

	memcpy(&st, f->data, sizeof(st));
	in.ifd = inotify_init1(IN_NONBLOCK | (f->rec.f_flags & O_CLOEXEC ? IN_CLOEXEC : 0));
	if (in.ifd < 0)
		return fail(tr->e, -errno, "pid %u fd %d: inotify_init1: %s", pid, f->rec.fd,
			    strerror(errno));
	ret = pick_spare(&in, f, st.nr_watches);
	for (k = 0; !ret && k < st.nr_watches; k++) {
		w = watch_of(f, k);
		ret = add_watch(&in, &w);
	}
	if (in.mnt >= 0)
		close(in.mnt);
	if (!ret && st.next_wd <= INT32_MAX)
		ret = skip_to(&in, (int)st.next_wd);
	if (!ret) {
		drain(in.ifd);
		if (verify(in.ifd, f, st.nr_watches))
			ret = fail(tr->e, -EPERM,
				   "pid %u fd %d: the restored inotify instance does not show the recorded watches",
				   pid, f->rec.fd);
	}
	if (ret) {
		close(in.ifd);
		return ret;
	}
	return in.ifd;
}
