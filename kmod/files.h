/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * File descriptor tables: what can be checkpointed, and its records.
 */
#ifndef CKPT_FILES_H
#define CKPT_FILES_H

#include <linux/types.h>

struct ckpt_task_snap;
struct netlink_ext_ack;
struct task_struct;

/**
 * struct ckpt_pipe_set - pipes whose data a snapshot already carries
 * @pipes: the pipe_inode_info pointers seen (compared, never dereferenced)
 * @nr: entries used
 * @cap: entries allocated
 */
struct ckpt_pipe_set {
	const void **pipes;
	unsigned int nr;
	unsigned int cap;
};

int ckpt_files_check(struct task_struct *p, pid_t pid,
		     struct netlink_ext_ack *extack);
int ckpt_files_capture(struct ckpt_task_snap *ts, struct ckpt_pipe_set *seen,
		       struct netlink_ext_ack *extack);
int ckpt_pipe_set_add(struct ckpt_pipe_set *seen, const void *obj);
void ckpt_pipe_set_free(struct ckpt_pipe_set *seen);

#endif /* CKPT_FILES_H */
