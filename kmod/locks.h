/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * File locks held through a descriptor of the group.
 */
#ifndef CKPT_LOCKS_H
#define CKPT_LOCKS_H

#include <linux/types.h>

struct ckpt_buf;
struct ckpt_file_lock;
struct file;
struct task_struct;

/**
 * struct ckpt_lock_list - the locks of one process, as its LOCKS record
 *	will hold them
 * @v: kvmalloc'ed entries
 * @nr: entries used
 * @cap: entries allocated
 */
struct ckpt_lock_list {
	struct ckpt_file_lock *v;
	size_t nr;
	size_t cap;
};

const char *ckpt_locks_lease(struct file *file);
const char *ckpt_locks_refusal(struct file *file, bool carried);
int ckpt_locks_capture(struct ckpt_lock_list *list, struct task_struct *p,
		       pid_t pid, struct file *file, u32 file_id, bool first);
int ckpt_locks_record(struct ckpt_buf *buf, const struct ckpt_lock_list *list);
void ckpt_locks_free(struct ckpt_lock_list *list);

#endif /* CKPT_LOCKS_H */
