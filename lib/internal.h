/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt internals shared between its files.
 */
#ifndef LIBCKPT_INTERNAL_H
#define LIBCKPT_INTERNAL_H

#include <stdbool.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "libckpt.h"

struct libckpt {
	struct nl_sock *sk;
	int family;
	char err[256];	/* explanation of the last failure */
};

/* An optional reply attribute, 0 when absent. */
static inline uint32_t libckpt_get_u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static inline uint64_t libckpt_get_u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

/* Called with the reply's attributes; returns 0 or a negative errno. */
typedef int (*libckpt_parse_fn)(struct nlattr **tb, void *arg);

/* A request for @cmd; @flags adds to NLM_F_REQUEST (NLM_F_DUMP). */
struct nl_msg *libckpt_msg_new(struct libckpt *h, uint8_t cmd, int flags);
/* As libckpt_msg_new(), with room for @size bytes (0: a page). */
struct nl_msg *libckpt_msg_new_size(struct libckpt *h, uint8_t cmd, int flags,
				    size_t size);
/* Parse the attributes shared by FREEZE, WAIT, STATUS and events. */
int libckpt_parse_job(struct nlattr **tb, void *arg);
/*
 * Send @msg (consumed), parse each reply with @parse, until the ACK (or,
 * for a dump, NLMSG_DONE).
 */
int libckpt_transact(struct libckpt *h, struct nl_msg *msg,
		     libckpt_parse_fn parse, void *arg);
/* A notice descriptor in the caller's table (@done: a DONE waits already). */
int libckpt_notice_open_in(struct libckpt *h, bool done);

#endif /* LIBCKPT_INTERNAL_H */
