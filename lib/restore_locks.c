// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: file locks. Every lock of the image is taken again,
 * never waiting (F_SETLK, F_OFD_SETLK, LOCK_NB), before any restored
 * process runs:
 *
 * - an OFD lock belongs to its open file description: the controller
 *   takes it on the description it made, before the first fork (the
 *   kernel shows no pid for an OFD lock);
 * - a POSIX lock belongs to the process (its descriptor table): the
 *   process takes it itself, through its own descriptor of the
 *   description it was taken through, once every descriptor is in place
 *   — closing any descriptor of the file afterwards would drop it;
 * - a flock() lock belongs to its description but shows the pid of the
 *   process that took it (/proc/locks, fdinfo): that process takes it
 *   again if it is in the image and holds the description, otherwise the
 *   process whose records first name the description.
 *
 * If another process holds a conflicting lock by then, the restore fails,
 * naming the pid, the file, the lock and what /proc/locks says of the
 * holder.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "restore.h"

static const char *kind_name(uint32_t kind)
{
	return kind == CKPT_LOCK_FLOCK ? "flock()" :
	       kind == CKPT_LOCK_OFD ? "OFD" : "POSIX";
}

/* "POSIX write lock on bytes 10-19", "flock() exclusive lock" */
static void describe_lock(const struct ckpt_file_lock *l, char *buf, size_t len)
{
	bool w = l->type == CKPT_LOCK_WRITE;

	if (l->kind == CKPT_LOCK_FLOCK)
		snprintf(buf, len, "flock() %s lock", w ? "exclusive" : "shared");
	else if (l->end == CKPT_LOCK_EOF)
		snprintf(buf, len, "%s %s lock on bytes %" PRIu64 "-EOF",
			 kind_name(l->kind), w ? "write" : "read", (uint64_t)l->start);
	else
		snprintf(buf, len, "%s %s lock on bytes %" PRIu64 "-%" PRIu64,
			 kind_name(l->kind), w ? "write" : "read",
			 (uint64_t)l->start, (uint64_t)l->end);
}

/*
 * Who holds a lock on @fd's file, from /proc/locks: its lines name the
 * file as MAJOR:MINOR:INODE (major and minor in hex, 6.1 fs/locks.c
 * lock_get_status()). The lines of the right family (FLOCK, or POSIX and
 * OFDLCK) are quoted, at most two.
 */
static int find_holder(int fd, uint32_t kind, char *buf, size_t len)
{
	int holder = 0;
	char line[256], want[64], *at;
	size_t used = 0;
	int found = 0;
	struct stat st;
	FILE *f;

	snprintf(buf, len, "/proc/locks names no holder");
	if (fstat(fd, &st))
		return 0;
	f = fopen("/proc/locks", "re");
	if (!f)
		return 0;
	snprintf(want, sizeof(want), " %02x:%02x:%llu ", major(st.st_dev),
		 minor(st.st_dev), (unsigned long long)st.st_ino);
	while (found < 2 && fgets(line, sizeof(line), f)) {
		bool flock_line = strstr(line, "FLOCK") != NULL;

		if (!strstr(line, want) || strstr(line, "->") ||
		    flock_line != (kind == CKPT_LOCK_FLOCK))
			continue;
		line[strcspn(line, "\n")] = '\0';
		at = strchr(line, ':');
		at = at ? at + 1 : line;
		while (*at == ' ')
			at++;
		/* KIND ADVISORY TYPE PID DEV:INO START END; OFD shows pid -1 */
		if (!found && sscanf(at, "%*s %*s %*s %d", &holder) != 1)
			holder = 0;
		if (!found)
			used = (size_t)snprintf(buf, len, "held: /proc/locks: \"%.120s\"", at);
		else if (used < len)
			snprintf(buf + used, len - used, ", \"%.120s\"", at);
		found++;
	}
	fclose(f);
	return holder;
}

/*
 * Is @pid one of the image's processes? Before any is created (OFD locks),
 * a holder with such a pid is most likely the checkpointed process itself,
 * still running.
 */
static bool image_pid(const struct tree *tr, int pid)
{
	size_t i;

	for (i = 0; pid > 0 && i < tr->n; i++)
		if ((int)tr->plans[i].task->rec.pid == pid)
			return true;
	return false;
}

/* Take lock @l through @fd; on failure record it, naming @pid and @path. */
static int take(const struct tree *tr, bool early, uint32_t pid, int fd,
		const char *path, const struct ckpt_file_lock *l)
{
	struct shared *e = tr->e;
	struct flock fl = {
		.l_type = l->type == CKPT_LOCK_WRITE ? F_WRLCK : F_RDLCK,
		.l_whence = SEEK_SET,
		.l_start = (off_t)l->start,
		/* l_len 0: to the end of the file, however it grows */
		.l_len = l->end == CKPT_LOCK_EOF ? 0 : (off_t)(l->end - l->start + 1),
	};
	char what[96], holder[LIBCKPT_ERRLEN / 2];
	int ret, by;

	if (l->kind == CKPT_LOCK_FLOCK)
		ret = flock(fd, (l->type == CKPT_LOCK_WRITE ? LOCK_EX : LOCK_SH) | LOCK_NB);
	else
		ret = fcntl(fd, l->kind == CKPT_LOCK_OFD ? F_OFD_SETLK : F_SETLK, &fl);
	if (!ret)
		return 0;
	ret = -errno;
	describe_lock(l, what, sizeof(what));
	if (ret != -EAGAIN && ret != -EACCES && ret != -EWOULDBLOCK)
		return fail(e, ret, "pid %u: cannot take its %s on %s again: %s",
			    pid, what, path, strerror(-ret));
	by = find_holder(fd, l->kind, holder, sizeof(holder));
	return fail(e, -EBUSY, "pid %u: cannot take its %s on %s again: another process holds a conflicting lock (%s)%s",
		    pid, what, path, holder,
		    early && image_pid(tr, by) ?
		    "; its pid is one of the image's: is the checkpointed process still running? (dump --kill ends it)" : "");
}

/* What a message calls the file of @f. */
static const char *file_name(const struct libckpt_image_fd *f)
{
	if (f->path[0])
		return f->path;
	return f->rec.type == CKPT_FD_PIPE ? "a pipe" : "a file without a name";
}

/* Task @ti's descriptor record of @file_id, or NULL. */
static const struct libckpt_image_fd *fd_of(const struct tree *tr, size_t ti,
					    uint32_t file_id)
{
	const struct libckpt_image_task *t = tr->plans[ti].task;
	uint32_t i;

	for (i = 0; i < t->rec.nr_fds; i++)
		if (t->fds[i].rec.file_id == file_id)
			return &t->fds[i];
	return NULL;
}

/*
 * Which task takes flock() lock @l that task @carrier's record holds: the
 * one that took it, if the image has it and it holds the description.
 */
static size_t flock_taker(const struct tree *tr, size_t carrier,
			  const struct ckpt_file_lock *l)
{
	size_t i;

	for (i = 0; l->pid && i < tr->n; i++)
		if (tr->plans[i].task->rec.pid == l->pid && fd_of(tr, i, l->file_id))
			return i;
	return carrier;
}

/**
 * libckpt_rst_locks_ofd() - the controller takes every OFD lock
 * @tr: the restore, its descriptions made
 *
 * Return: 0 or the failure recorded in @tr->e.
 */
int libckpt_rst_locks_ofd(const struct tree *tr)
{
	size_t i;
	uint32_t j;
	int ret = 0;

	for (i = 0; !ret && i < tr->n; i++) {
		const struct libckpt_image_task *t = tr->plans[i].task;

		for (j = 0; !ret && j < t->locks->rec.nr_locks; j++) {
			const struct ckpt_file_lock *l = &t->locks->locks[j];

			if (l->kind == CKPT_LOCK_OFD)
				ret = take(tr, true, t->rec.pid, tr->descs[l->file_id - 1],
					   file_name(fd_of(tr, i, l->file_id)), l);
		}
	}
	return ret;
}

/**
 * libckpt_rst_locks() - a restoring process takes its POSIX locks and the
 *	flock() locks it took
 * @tr: the restore
 * @ti: the process, its descriptors in place
 *
 * Return: 0 or the failure recorded in @tr->e.
 */
int libckpt_rst_locks(const struct tree *tr, size_t ti)
{
	const struct libckpt_image_task *me = tr->plans[ti].task;
	const struct libckpt_image_fd *f;
	size_t i;
	uint32_t j;
	int ret = 0;

	for (i = 0; !ret && i < tr->n; i++) {
		const struct libckpt_image_task *t = tr->plans[i].task;

		for (j = 0; !ret && j < t->locks->rec.nr_locks; j++) {
			const struct ckpt_file_lock *l = &t->locks->locks[j];

			if (l->kind == CKPT_LOCK_OFD ||
			    (l->kind == CKPT_LOCK_POSIX && i != ti) ||
			    (l->kind == CKPT_LOCK_FLOCK && flock_taker(tr, i, l) != ti))
				continue;
			f = fd_of(tr, ti, l->file_id);
			ret = take(tr, false, me->rec.pid, f->rec.fd, file_name(f), l);
		}
	}
	return ret;
}
