/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt internals shared between its files.
 */
#ifndef LIBCKPT_INTERNAL_H
#define LIBCKPT_INTERNAL_H

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "libckpt.h"

struct libckpt {
	struct nl_sock *sk;
	int family;
	char err[256];	/* explanation of the last failure */
};

/* Called with the reply's attributes; returns 0 or a negative errno. */
typedef int (*libckpt_parse_fn)(struct nlattr **tb, void *arg);

struct nl_msg *libckpt_msg_new(struct libckpt *h, uint8_t cmd);
/* Send @msg (consumed), parse the reply with @parse, wait for the ACK. */
int libckpt_transact(struct libckpt *h, struct nl_msg *msg,
		     libckpt_parse_fn parse, void *arg);

#endif /* LIBCKPT_INTERNAL_H */
