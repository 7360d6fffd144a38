/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Process-wide state: credentials, limits, signal dispositions, fs context.
 */
#ifndef CKPT_PROC_H
#define CKPT_PROC_H

struct ckpt_task_snap;
struct netlink_ext_ack;

int ckpt_proc_capture(struct ckpt_task_snap *ts,
		      struct netlink_ext_ack *extack);

#endif /* CKPT_PROC_H */
