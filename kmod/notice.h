/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Checkpoint-pending notice descriptors.
 */
#ifndef CKPT_NOTICE_H
#define CKPT_NOTICE_H

#include <linux/list.h>
#include <linux/pid.h>
#include <linux/types.h>
#include <linux/ckpt_image.h>

/* The anon-inode name: what /proc/PID/fd shows as anon_inode:[ckpt-notice]. */
#define CKPT_NOTICE_NAME	"[ckpt-notice]"

struct file;

int ckpt_notice_open(bool done);
int ckpt_notice_state(struct file *file, struct ckpt_fd_notice *st);
int ckpt_notice_tell(struct pid *grp, enum pid_type type, u32 grace_ms,
		     struct list_head *told);
void ckpt_notice_over(struct list_head *told);

#endif /* CKPT_NOTICE_H */
