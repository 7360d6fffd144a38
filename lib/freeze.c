// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: freeze a group into an area (FREEZE), wait for the job (WAIT),
 * drop an old generation (AREA_DROP).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/*
 * A lazy restore's page server holds the generation it reads with an
 * open file description lock (F_OFD_SETLK, F_RDLCK over the generation's
 * bytes, libckpt_image_hold()): no checkpoint or drop through libckpt
 * touches that area meanwhile. 0, or -EBUSY naming the generation.
 */
static int area_served(struct libckpt *h, int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct ckpt_area_sb sb;
	unsigned long long gen = 0;
	char err[LIBCKPT_ERRLEN];
	int i;

	if (fcntl(fd, F_OFD_GETLK, &fl) || fl.l_type == F_UNLCK)
		return 0;
	if (!libckpt_area_read(fd, &sb, err, sizeof(err)))
		for (i = 0; i < CKPT_AREA_SLOTS; i++)
			if (sb.slots[i].state != CKPT_SLOT_EMPTY &&
			    sb.slots[i].offset == (uint64_t)fl.l_start)
				gen = sb.slots[i].generation;
	snprintf(h->err, sizeof(h->err),
		 "generation %llu of the area is being served to a lazily restored tree: checkpoint into another area, or once its pages are all in place",
		 gen);
	return -EBUSY;
}

int libckpt_parse_job(struct nlattr **tb, void *arg)
{
	struct libckpt_job *job = arg;

	if (!tb[CKPT_A_JOB_ID])
		return -EBADMSG;
	job->id = libckpt_get_u64(tb, CKPT_A_JOB_ID);
	job->pgid = libckpt_get_u32(tb, CKPT_A_PGID);
	job->generation = libckpt_get_u64(tb, CKPT_A_GENERATION);
	job->freeze_ns = libckpt_get_u64(tb, CKPT_A_FREEZE_NS);
	job->park_ns = libckpt_get_u64(tb, CKPT_A_PARK_NS);
	job->capture_ns = libckpt_get_u64(tb, CKPT_A_CAPTURE_NS);
	job->flush_ns = libckpt_get_u64(tb, CKPT_A_FLUSH_NS);
	job->nr_pages = libckpt_get_u64(tb, CKPT_A_NR_PAGES);
	job->image_len = libckpt_get_u64(tb, CKPT_A_IMAGE_LEN);
	job->parent_generation = libckpt_get_u64(tb, CKPT_A_PARENT_GENERATION);
	job->written = libckpt_get_u64(tb, CKPT_A_WRITTEN);
	job->stream_ns = libckpt_get_u64(tb, CKPT_A_STREAM_NS);
	job->nr_tasks = libckpt_get_u32(tb, CKPT_A_NR_TASKS);
	job->nr_threads = libckpt_get_u32(tb, CKPT_A_NR_THREADS);
	job->state = libckpt_get_u32(tb, CKPT_A_JOB_STATE);
	job->error = tb[CKPT_A_ERROR] ? (int32_t)nla_get_u32(tb[CKPT_A_ERROR]) : 0;
	if (tb[CKPT_A_ERROR_MSG])
		nla_strlcpy(job->error_msg, tb[CKPT_A_ERROR_MSG],
			    sizeof(job->error_msg));
	return 0;
}

static int freeze_into(struct libckpt *h, uint32_t id, int fd_attr, int fd,
		       const struct libckpt_freeze_opts *o,
		       struct libckpt_job *job)
{
	struct nl_msg *msg = libckpt_msg_new(h, CKPT_CMD_FREEZE, 0);

	if (!msg)
		return -ENOMEM;
	memset(job, 0, sizeof(*job));
	if (fd < 0) {
		nlmsg_free(msg);
		return -EBADF;
	}
	if (fd_attr == CKPT_A_AREA_FD && area_served(h, fd)) {
		nlmsg_free(msg);
		return -EBUSY;
	}
	if (nla_put_u32(msg, CKPT_A_PGID, id) < 0 ||
	    nla_put_u32(msg, fd_attr, (uint32_t)fd) < 0 ||
	    (o->rate && nla_put_u64(msg, CKPT_A_RATE, o->rate) < 0) ||
	    (o->ghost_limit &&
	     nla_put_u64(msg, CKPT_A_GHOST_LIMIT, o->ghost_limit) < 0) ||
	    ((o->flags & LIBCKPT_F_SESSION) && nla_put_flag(msg, CKPT_A_SESSION) < 0) ||
	    ((o->flags & LIBCKPT_F_LEAVE_STOPPED) &&
	     nla_put_flag(msg, CKPT_A_LEAVE_STOPPED) < 0) ||
	    ((o->flags & LIBCKPT_F_TCP_ESTABLISHED) &&
	     nla_put_flag(msg, CKPT_A_TCP_ESTABLISHED) < 0) ||
	    ((o->flags & LIBCKPT_F_NOTIFY_GRACE) &&
	     nla_put_u32(msg, CKPT_A_NOTIFY_GRACE_MS, o->notify_grace_ms) < 0) ||
	    ((o->flags & LIBCKPT_F_INCREMENTAL) &&
	     nla_put_flag(msg, CKPT_A_INCREMENTAL) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return libckpt_transact(h, msg, libckpt_parse_job, job);
}

int libckpt_freeze_with(struct libckpt *h, uint32_t id, int area_fd,
			const struct libckpt_freeze_opts *o,
			struct libckpt_job *job)
{
	return freeze_into(h, id, CKPT_A_AREA_FD, area_fd, o, job);
}

int libckpt_dump_with(struct libckpt *h, uint32_t id, int out_fd,
		      const struct libckpt_freeze_opts *o,
		      struct libckpt_job *job)
{
	return freeze_into(h, id, CKPT_A_OUTPUT_FD, out_fd, o, job);
}

int libckpt_freeze(struct libckpt *h, uint32_t pgid, int area_fd,
		   uint64_t rate, struct libckpt_job *job)
{
	struct libckpt_freeze_opts o = { .rate = rate };

	return freeze_into(h, pgid, CKPT_A_AREA_FD, area_fd, &o, job);
}

int libckpt_dump(struct libckpt *h, uint32_t pgid, int out_fd, uint64_t rate,
		 struct libckpt_job *job)
{
	struct libckpt_freeze_opts o = { .rate = rate };

	return freeze_into(h, pgid, CKPT_A_OUTPUT_FD, out_fd, &o, job);
}

int libckpt_wait(struct libckpt *h, uint64_t id, struct libckpt_job *job)
{
	struct nl_msg *msg = libckpt_msg_new(h, CKPT_CMD_WAIT, 0);

	if (!msg)
		return -ENOMEM;
	memset(job, 0, sizeof(*job));
	if (nla_put_u64(msg, CKPT_A_JOB_ID, id) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return libckpt_transact(h, msg, libckpt_parse_job, job);
}

int libckpt_area_drop(struct libckpt *h, int area_fd, uint64_t generation)
{
	struct nl_msg *msg = libckpt_msg_new(h, CKPT_CMD_AREA_DROP, 0);

	if (!msg)
		return -ENOMEM;
	if (area_served(h, area_fd)) {
		nlmsg_free(msg);
		return -EBUSY;
	}
	if (nla_put_u32(msg, CKPT_A_AREA_FD, (uint32_t)area_fd) < 0 ||
	    nla_put_u64(msg, CKPT_A_GENERATION, generation) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return libckpt_transact(h, msg, NULL, NULL);
}

struct status_walk {
	libckpt_job_fn fn;
	void *arg;
};

static int parse_status(struct nlattr **tb, void *arg)
{
	struct status_walk *w = arg;
	struct libckpt_job job;
	int ret;

	memset(&job, 0, sizeof(job));
	ret = libckpt_parse_job(tb, &job);
	return ret ? ret : w->fn(&job, w->arg);
}

int libckpt_status(struct libckpt *h, libckpt_job_fn fn, void *arg)
{
	struct nl_msg *msg = libckpt_msg_new(h, CKPT_CMD_STATUS, NLM_F_DUMP);
	struct status_walk w = { fn, arg };

	if (!msg)
		return -ENOMEM;
	return libckpt_transact(h, msg, parse_status, &w);
}
