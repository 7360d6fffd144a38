// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: module description (GET_INFO), group check (CHECK) and the
 * end of TCP holds (TCP_RELEASE).
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

const char *libckpt_version(void)
{
	return CKPT_VERSION;
}

static int parse_info(struct nlattr **tb, void *arg)
{
	struct libckpt_info *info = arg;

	if (!tb[CKPT_A_VERSION] || !tb[CKPT_A_MODULE_VERSION])
		return -EBADMSG;
	info->genl_version = libckpt_get_u32(tb, CKPT_A_VERSION);
	nla_strlcpy(info->module_version, tb[CKPT_A_MODULE_VERSION],
		    sizeof(info->module_version));
	info->image_version = libckpt_get_u32(tb, CKPT_A_IMAGE_VERSION);
	info->features = libckpt_get_u64(tb, CKPT_A_FEATURES);
	info->max_tasks = libckpt_get_u32(tb, CKPT_A_MAX_TASKS);
	info->max_threads = libckpt_get_u32(tb, CKPT_A_MAX_THREADS);
	info->freeze_timeout_ms = libckpt_get_u32(tb, CKPT_A_FREEZE_TIMEOUT_MS);
	info->live_jobs = libckpt_get_u32(tb, CKPT_A_LIVE_JOBS);
	info->held_pages = libckpt_get_u64(tb, CKPT_A_HELD_PAGES);
	info->tcp_held = libckpt_get_u32(tb, CKPT_A_TCP_HELD);
	if (tb[CKPT_A_CRC32C_IMPL])
		nla_strlcpy(info->crc32c_impl, tb[CKPT_A_CRC32C_IMPL],
			    sizeof(info->crc32c_impl));
	return 0;
}

int libckpt_get_info(struct libckpt *h, struct libckpt_info *info)
{
	struct nl_msg *msg = libckpt_msg_new(h, CKPT_CMD_GET_INFO, 0);

	if (!msg)
		return -ENOMEM;
	memset(info, 0, sizeof(*info));
	if (nla_put_u32(msg, CKPT_A_VERSION, CKPT_GENL_VERSION) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return libckpt_transact(h, msg, parse_info, info);
}

static int parse_census(struct nlattr **tb, void *arg)
{
	struct libckpt_census *census = arg;

	if (!tb[CKPT_A_NR_TASKS] || !tb[CKPT_A_NR_THREADS])
		return -EBADMSG;
	census->pgid = libckpt_get_u32(tb, CKPT_A_PGID);
	census->nr_tasks = libckpt_get_u32(tb, CKPT_A_NR_TASKS);
	census->nr_threads = libckpt_get_u32(tb, CKPT_A_NR_THREADS);
	return 0;
}

int libckpt_check_with(struct libckpt *h, uint32_t id, unsigned int flags,
		       struct libckpt_census *census)
{
	struct nl_msg *msg = libckpt_msg_new(h, CKPT_CMD_CHECK, 0);

	if (!msg)
		return -ENOMEM;
	memset(census, 0, sizeof(*census));
	if (nla_put_u32(msg, CKPT_A_PGID, id) < 0 ||
	    ((flags & LIBCKPT_F_SESSION) && nla_put_flag(msg, CKPT_A_SESSION) < 0) ||
	    ((flags & LIBCKPT_F_TCP_ESTABLISHED) &&
	     nla_put_flag(msg, CKPT_A_TCP_ESTABLISHED) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return libckpt_transact(h, msg, parse_census, census);
}

static int parse_released(struct nlattr **tb, void *arg)
{
	*(uint32_t *)arg = libckpt_get_u32(tb, CKPT_A_TCP_HELD);
	return 0;
}

int libckpt_tcp_release(struct libckpt *h, uint64_t job_id, uint32_t *released)
{
	struct nl_msg *msg = libckpt_msg_new(h, CKPT_CMD_TCP_RELEASE, 0);
	uint32_t n = 0;
	int ret;

	if (!msg)
		return -ENOMEM;
	if (job_id && nla_put_u64(msg, CKPT_A_JOB_ID, job_id) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = libckpt_transact(h, msg, parse_released, &n);
	if (released)
		*released = n;
	return ret;
}

int libckpt_check(struct libckpt *h, uint32_t pgid,
		  struct libckpt_census *census)
{
	return libckpt_check_with(h, pgid, 0, census);
}
