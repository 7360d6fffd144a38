/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Timers of a process: what can be checkpointed, and its TIMERS record.
 */
#ifndef CKPT_TIMERS_H
#define CKPT_TIMERS_H

#include <linux/types.h>

struct ckpt_task_snap;
struct netlink_ext_ack;
struct pid_namespace;
struct task_struct;

int ckpt_timers_check(struct task_struct *p, pid_t pid,
		      struct netlink_ext_ack *extack);
int ckpt_timers_capture(struct ckpt_task_snap *ts, struct pid_namespace *ns,
			struct netlink_ext_ack *extack);

#endif /* CKPT_TIMERS_H */
