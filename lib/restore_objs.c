// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: descriptor objects (eventfd, timerfd, signalfd, epoll).
 * Each is one open file description, so, like every other description,
 * it is made once by the controller before the first fork (restore_fds.c
 * calls libckpt_rst_make_obj() for its file id), with the system calls a
 * program would use (eventfd2 and a write of its count, timerfd_create,
 * timerfd_settime and TFD_IOC_SET_TICKS, signalfd4, epoll_create1) and the
 * status flags it had, O_CLOEXEC included (the kernel keeps a *_CLOEXEC
 * creation flag in the description); every process that had it inherits
 * it and places it at its numbers. An epoll
 * instance's registrations are added by the process whose record carries
 * its state, once that process's descriptors are all in place: EPOLL_CTL_ADD
 * keys a registration by the file and the number it is added under, both
 * of which are then the recorded ones. Which registrations are ready is
 * not restored: the kernel derives it from the restored objects.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "restore.h"

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS	_IOW('T', 0, uint64_t)
#endif

static struct timespec ts_of(uint64_t ns)
{
	return (struct timespec){ .tv_sec = ns / 1000000000ULL,
				  .tv_nsec = ns % 1000000000ULL };
}

/* The O_NONBLOCK and O_CLOEXEC the description had, as creation flags. */
static int create_flags(const struct libckpt_image_fd *f)
{
	return (int)(f->rec.f_flags & (O_NONBLOCK | O_CLOEXEC));
}

/*
 * A value of "key" in a /proc/self/fdinfo file: the count a timer reached,
 * or 0. 6.1 timerfd_show(): "ticks: %llu".
 */
static uint64_t timerfd_ticks(int fd)
{
	unsigned long long v = 0;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "ticks: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int make_eventfd(uint32_t pid, const struct libckpt_image_fd *f, struct shared *e)
{
	struct ckpt_fd_eventfd st;
	int fd;

	memcpy(&st, f->data, sizeof(st));
	/* EFD_NONBLOCK and EFD_CLOEXEC are O_NONBLOCK and O_CLOEXEC. */
	fd = eventfd(0, create_flags(f) |
		     ((st.flags & CKPT_EFD_SEMAPHORE) ? EFD_SEMAPHORE : 0));
	if (fd < 0)
		return fail(e, -errno, "pid %u fd %d: eventfd: %s", pid, f->rec.fd, strerror(errno));
	/* From 0, a write of the count neither blocks nor overflows. */
	if (st.count && write(fd, &st.count, sizeof(st.count)) != sizeof(st.count)) {
		close(fd);
		return fail(e, -EIO, "pid %u fd %d: cannot set the eventfd's count", pid, f->rec.fd);
	}
	return fd;
}

/*
 * A relative timer runs its recorded remaining time from now: the time the
 * process was not running does not count, as for a restarted nanosleep.
 * An absolute one keeps its expiry on its clock; if that passed, the
 * kernel counts the expirations as for any timer set in the past. The
 * unread expirations are put back after the timerfd_settime() that zeroes
 * them; one that falls between the two calls is counted by reading the
 * count the timer had reached (fdinfo) just before.
 */
static int make_timerfd(uint32_t pid, const struct libckpt_image_fd *f, struct shared *e)
{
	struct ckpt_fd_timerfd st;
	struct itimerspec its = { 0 };
	uint64_t ticks;
	int fd, flags = 0;

	memcpy(&st, f->data, sizeof(st));
	fd = timerfd_create(st.clockid, create_flags(f));
	if (fd < 0)
		return fail(e, -errno, "pid %u fd %d: timerfd_create(clock %d): %s", pid, f->rec.fd,
			    st.clockid, strerror(errno));
	if (st.settime_flags & CKPT_TFD_TIMER_ABSTIME)
		flags |= TFD_TIMER_ABSTIME;
	if (st.settime_flags & CKPT_TFD_TIMER_CANCEL_ON_SET)
		flags |= TFD_TIMER_CANCEL_ON_SET;
	its.it_interval = ts_of(st.interval_ns);
	if (st.value_ns)
		its.it_value = ts_of((flags & TFD_TIMER_ABSTIME) ?
				     st.now_ns + st.value_ns : st.value_ns);
	/*
	 * A periodic timer whose expiry is unread shows no time left: the
	 * kernel moves it on only at read(). It runs on one interval from now.
	 */
	if (!st.value_ns && st.interval_ns && st.ticks) {
		struct timespec now = { 0 };

		if ((flags & TFD_TIMER_ABSTIME) && clock_gettime(st.clockid, &now))
			goto err;
		its.it_value = ts_of((uint64_t)now.tv_sec * 1000000000ULL + now.tv_nsec +
				     st.interval_ns);
	}
	if ((flags || its.it_value.tv_sec || its.it_value.tv_nsec) &&
	    timerfd_settime(fd, flags, &its, NULL))
		goto err;
	if (st.ticks) {
		ticks = st.ticks + timerfd_ticks(fd);
		if (ioctl(fd, TFD_IOC_SET_TICKS, &ticks))
			goto err;
	}
	return fd;
err:
	fail(e, -errno, "pid %u fd %d: cannot set the timerfd: %s", pid, f->rec.fd, strerror(errno));
	close(fd);
	return failed(e);
}

static int make_signalfd(uint32_t pid, const struct libckpt_image_fd *f, struct shared *e)
{
	struct ckpt_fd_signalfd st;
	sigset_t mask;
	int sig, fd;

	memcpy(&st, f->data, sizeof(st));
	sigemptyset(&mask);
	for (sig = 1; sig <= 64; sig++)
		if (st.sigmask & (1ULL << (sig - 1)))
			sigaddset(&mask, sig);
	fd = signalfd(-1, &mask, create_flags(f));
	if (fd < 0)
		return fail(e, -errno, "pid %u fd %d: signalfd: %s", pid, f->rec.fd, strerror(errno));
	return fd;
}

/**
 * libckpt_rst_make_obj() - a descriptor object, made as it was
 * @tr: the tree; the controller calls this before the first fork
 * @pid: the process whose record @f is
 * @f: the first record of the object's file id, which carries its state
 *
 * Its registrations, for an epoll, are added later by the process that
 * carries its state (libckpt_rst_objs_register()).
 *
 * Return: a new descriptor of it, or a negative errno (the failure
 * recorded).
 */
/*
 * A notice descriptor, from the module; one told PENDING by the freeze
 * the image was taken in has that freeze's DONE waiting, as the original
 * got it once the freeze was over.
 */
static int make_notice(uint32_t pid, const struct libckpt_image_fd *f, struct shared *e)
{
	struct ckpt_fd_notice st;
	struct libckpt *h;
	int fd;

	memcpy(&st, f->data, sizeof(st));
	fd = libckpt_open(&h);
	if (!fd) {
		fd = libckpt_notice_open_in(h, st.flags & CKPT_NOTICE_DONE_OWED);
		libckpt_close(h);
	}
	if (fd < 0)
		return fail(e, fd, "pid %u fd %d: cannot open a notice descriptor: %s", pid,
			    f->rec.fd, strerror(-fd));
	return fd;
}

int libckpt_rst_make_obj(const struct tree *tr, uint32_t pid,
			 const struct libckpt_image_fd *f)
{
	int fd;

	/* The reader checked that the first record of an id has the state. */
	if (!(f->rec.flags & CKPT_FD_OBJ_STATE))
		return fail(tr->e, -EINVAL, "pid %u fd %d: the object's state is missing",
			    pid, f->rec.fd);
	switch (f->rec.type) {
	case CKPT_FD_EVENTFD:
		return make_eventfd(pid, f, tr->e);
	case CKPT_FD_TIMERFD:
		return make_timerfd(pid, f, tr->e);
	case CKPT_FD_SIGNALFD:
		return make_signalfd(pid, f, tr->e);
	case CKPT_FD_INOTIFY:
		return libckpt_rst_make_inotify(tr, pid, f);
	case CKPT_FD_NOTICE:
		return make_notice(pid, f, tr->e);
	}
	/* EPOLL_CLOEXEC is O_CLOEXEC; O_NONBLOCK is set by F_SETFL after. */
	fd = epoll_create1(create_flags(f) & O_CLOEXEC);
	if (fd < 0)
		return fail(tr->e, -errno, "pid %u fd %d: epoll_create1: %s", pid, f->rec.fd,
			    strerror(errno));
	return fd;
}

static const struct libckpt_image_fd *fd_rec(const struct libckpt_image_task *t, int fd)
{
	uint32_t i;

	for (i = 0; i < t->rec.nr_fds; i++)
		if (t->fds[i].rec.fd == fd)
			return &t->fds[i];
	return NULL;
}

/*
 * Register the file at @it->fd under the number @it->tfd. When the two
 * differ (@tfd was closed, or reused, while the file lived on), the file
 * is put at @tfd for the EPOLL_CTL_ADD and whatever the image has at
 * @tfd is put back after it.
 */
static int add_item(const struct libckpt_image_task *t, int epfd,
		    const struct ckpt_epoll_item *it, int top)
{
	struct epoll_event ev = { .events = it->events, .data.u64 = it->data };
	const struct libckpt_image_fd *occupant;
	int saved = -1, ret = 0;

	if (it->fd == it->tfd)
		return epoll_ctl(epfd, EPOLL_CTL_ADD, it->tfd, &ev) ? -errno : 0;
	occupant = fd_rec(t, it->tfd);
	if (occupant) {
		saved = fcntl(it->tfd, F_DUPFD_CLOEXEC, top);
		if (saved < 0)
			return -errno;
	}
	if (dup2(it->fd, it->tfd) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, it->tfd, &ev))
		ret = -errno;
	if (saved >= 0) {
		if (dup3(saved, it->tfd, (occupant->rec.flags & CKPT_FD_CLOEXEC) ?
			 O_CLOEXEC : 0) < 0 && !ret)
			ret = -errno;
		close(saved);
	} else {
		close(it->tfd);
	}
	return ret;
}

/* Does our own fdinfo of @epfd show exactly @n registrations, each of @items? */
static int verify_epoll(int epfd, const char *items, uint32_t n)
{
	unsigned long long data;
	char path[64], line[256];
	struct ckpt_epoll_item it;
	unsigned int events;
	uint32_t seen = 0, i;
	bool found;
	FILE *f;
	int tfd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "tfd: %d events: %x data: %llx", &tfd, &events, &data) != 3)
			continue;
		seen++;
		for (i = 0, found = false; i < n && !found; i++) {
			memcpy(&it, items + i * sizeof(it), sizeof(it));
			found = it.tfd == tfd && it.events == events && it.data == data;
		}
		if (!found)
			break;
	}
	fclose(f);
	return found && seen == n ? 0 : -EPERM;
}

/* Above every number @t's epolls registered a file under. */
int libckpt_rst_objs_top(const struct libckpt_image_task *t)
{
	struct ckpt_fd_epoll ep;
	struct ckpt_epoll_item it;
	uint32_t i, k;
	int top = 0;

	for (i = 0; i < t->rec.nr_fds; i++) {
		const struct libckpt_image_fd *f = &t->fds[i];

		if (f->rec.type != CKPT_FD_EPOLL || !(f->rec.flags & CKPT_FD_OBJ_STATE))
			continue;
		memcpy(&ep, f->data, sizeof(ep));
		for (k = 0; k < ep.nr_items; k++) {
			memcpy(&it, (const char *)f->data + sizeof(ep) + k * sizeof(it),
			       sizeof(it));
			if (it.tfd >= top)
				top = it.tfd + 1;
		}
	}
	return top;
}

/**
 * libckpt_rst_objs_register() - the registrations of the epolls @t carries
 * @tr: the tree
 * @t: the restoring process, every descriptor of it in place
 *
 * Return: 0 or a negative errno (the failure recorded).
 */
int libckpt_rst_objs_register(const struct tree *tr, const struct libckpt_image_task *t)
{
	struct ckpt_fd_epoll ep;
	struct ckpt_epoll_item it;
	const char *items;
	uint32_t i, k;
	int ret;

	for (i = 0; i < t->rec.nr_fds; i++) {
		const struct libckpt_image_fd *f = &t->fds[i];

		if (f->rec.type != CKPT_FD_EPOLL || !(f->rec.flags & CKPT_FD_OBJ_STATE))
			continue;
		memcpy(&ep, f->data, sizeof(ep));
		items = (const char *)f->data + sizeof(ep);
		for (k = 0; k < ep.nr_items; k++) {
			memcpy(&it, items + k * sizeof(it), sizeof(it));
			if (!fd_rec(t, it.fd))
				return fail(tr->e, -EINVAL,
					    "pid %u fd %d: epoll registration of fd %d names fd %d, which the image does not have",
					    t->rec.pid, f->rec.fd, it.tfd, it.fd);
			ret = add_item(t, f->rec.fd, &it, tr->top);
			if (ret)
				return fail(tr->e, ret,
					    "pid %u fd %d: cannot restore the epoll registration of fd %d (events 0x%x): %s",
					    t->rec.pid, f->rec.fd, it.tfd, it.events, strerror(-ret));
		}
		/* EPOLLWAKEUP, say, is dropped silently without CAP_BLOCK_SUSPEND. */
		if (verify_epoll(f->rec.fd, items, ep.nr_items))
			return fail(tr->e, -EPERM,
				    "pid %u fd %d: the restored epoll does not show the recorded registrations (EPOLLWAKEUP needs CAP_BLOCK_SUSPEND)",
				    t->rec.pid, f->rec.fd);
	}
	return 0;
}
