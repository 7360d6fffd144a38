/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Descriptor objects on the anon-inode filesystem: their kinds and state.
 */
#ifndef CKPT_ANONFD_H
#define CKPT_ANONFD_H

#include <linux/pid.h>
#include <linux/types.h>

struct ckpt_rec_fd;
struct ckpt_task_snap;
struct task_struct;
struct file;
struct netlink_ext_ack;

int ckpt_anonfd_classify(struct file *file, u32 *type, const char **why);
int ckpt_anonfd_check(struct task_struct *p, pid_t pid, struct pid *pgrp,
		      enum pid_type type, struct netlink_ext_ack *extack);
int ckpt_anonfd_record(struct ckpt_task_snap *ts, struct file *file, int fd,
		       bool first, struct pid *pgrp, enum pid_type type,
		       struct ckpt_rec_fd *rec, void **data,
		       struct netlink_ext_ack *extack);

#endif /* CKPT_ANONFD_H */
