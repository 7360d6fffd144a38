// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: checkpoint-pending notice descriptors (CKPT_CMD_NOTICE_OPEN).
 * The descriptor is the module's; this only asks for one and speaks its
 * read and write protocol, so an event loop may poll the descriptor
 * itself and call libckpt_notice_read() when it is readable.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "internal.h"

static int parse_notice_fd(struct nlattr **tb, void *arg)
{
	if (!tb[CKPT_A_NOTICE_FD])
		return -EBADMSG;
	*(int *)arg = (int)libckpt_get_u32(tb, CKPT_A_NOTICE_FD);
	return 0;
}

/* A notice descriptor in the caller's table; @done: a DONE waits already. */
int libckpt_notice_open_in(struct libckpt *h, bool done)
{
	struct nl_msg *msg = libckpt_msg_new(h, CKPT_CMD_NOTICE_OPEN, 0);
	int fd = -1, ret;

	if (!msg)
		return -ENOMEM;
	if (done && nla_put_flag(msg, CKPT_A_NOTICE_DONE) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = libckpt_transact(h, msg, parse_notice_fd, &fd);
	return ret < 0 ? ret : fd;
}

int libckpt_notice_open(int flags)
{
	struct libckpt *h;
	int fd, ret;

	if (flags & ~O_NONBLOCK)
		return -EINVAL;
	ret = libckpt_open(&h);
	if (ret)
		return ret;
	fd = libckpt_notice_open_in(h, false);
	libckpt_close(h);
	if (fd >= 0 && (flags & O_NONBLOCK) &&
	    fcntl(fd, F_SETFL, O_RDWR | O_NONBLOCK) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int libckpt_notice_read(int fd)
{
	struct ckpt_notice_event ev;
	ssize_t n = read(fd, &ev, sizeof(ev));

	if (n < 0)
		return -errno;
	return n == sizeof(ev) ? (int)ev.type : -EIO;
}

int libckpt_notice_ack(int fd)
{
	struct ckpt_notice_event ev = { .type = CKPT_NOTICE_PENDING };

	if (write(fd, &ev, sizeof(ev)) != sizeof(ev))
		return -errno;
	return 0;
}
