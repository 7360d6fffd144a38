/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Process groups: finding the members and deciding who may checkpoint them.
 */
#ifndef CKPT_GROUP_H
#define CKPT_GROUP_H

#include <linux/pid.h>
#include <linux/types.h>

#include "snap.h"

struct netlink_ext_ack;
struct task_struct;

/**
 * struct ckpt_group_census - what a walk over a process group found
 * @nr_tasks: processes (thread group leaders) in the group
 * @nr_threads: threads of those processes
 * @nr_zombies: zombies in the group (not in @nr_tasks)
 * @cost: what a snapshot of their address spaces will hold
 */
struct ckpt_group_census {
	u32 nr_tasks;
	u32 nr_threads;
	u32 nr_zombies;
	struct ckpt_mm_cost cost;
};

/**
 * struct ckpt_group_id - the processes a request names
 * @nr: process group id or session id, in the caller's pid namespace
 * @type: PIDTYPE_PGID (a process group) or PIDTYPE_SID (a whole session)
 * @ghost_limit: the largest deleted file or memfd whose contents the
 *	checkpoint may carry (CKPT_A_GHOST_LIMIT); larger ones are refused
 * @tcp_established: carry TCP connections whose peer is not a socket of
 *	the group (CKPT_A_TCP_ESTABLISHED)
 * @tcp_hold: with @tcp_established, the job that holds those connections
 *	from the freeze on (tcpx.c), or 0: the group runs on, they are
 *	not touched
 * @incremental: write an incremental image if a parent is usable
 *	(CKPT_A_INCREMENTAL, incr.c)
 */
struct ckpt_group_id {
	pid_t nr;
	enum pid_type type;
	u64 ghost_limit;
	bool tcp_established;
	u64 tcp_hold;
	u32 notify_grace_ms;
	bool incremental;
};

extern unsigned int ckpt_max_tasks;
extern unsigned int ckpt_max_threads;
extern unsigned int ckpt_freeze_timeout_ms;

void ckpt_err_set(struct netlink_ext_ack *extack, pid_t pid, u64 addr,
		  const char *msg);
__printf(4, 5)
void ckpt_err_setf(struct netlink_ext_ack *extack, pid_t pid, u64 addr,
		   const char *fmt, ...);
void ckpt_err_set_fd(struct netlink_ext_ack *extack, pid_t pid, int fd,
		     const char *msg);
bool ckpt_privileged(void);
bool ckpt_group_permitted(struct task_struct *p);
int ckpt_group_check(const struct ckpt_group_id *g, struct ckpt_group_census *census,
		     struct netlink_ext_ack *extack);

#endif /* CKPT_GROUP_H */
