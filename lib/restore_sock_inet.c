// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: TCP and UDP sockets. Not carried yet: the module
 * refuses them before the freeze, so an image never holds one.
 */
#include <errno.h>

#include "restore.h"

int libckpt_rst_make_inet(struct tree *tr, struct rst_sock *s)
{
	return fail(tr->e, -EOPNOTSUPP, "pid %u fd %d: IP sockets cannot be restored",
		    s->pid, s->fd_no);
}

int libckpt_rst_finish_inet(struct tree *tr, struct rst_sock *s)
{
	return libckpt_rst_make_inet(tr, s);
}
