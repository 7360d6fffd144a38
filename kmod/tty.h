/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Terminals: their settings, the controlling terminal, the foreground
 * process group.
 */
#ifndef CKPT_TTY_H
#define CKPT_TTY_H

#include <linux/types.h>

struct ckpt_file_set;
struct ckpt_task_snap;
struct ckpt_tty;
struct file;
struct netlink_ext_ack;
struct task_struct;

/**
 * struct ckpt_tty_list - the terminals of one process, for its TTY record
 * @v: their settings
 * @nr: entries used
 * @cap: entries allocated
 */
struct ckpt_tty_list {
	struct ckpt_tty *v;
	unsigned int nr;
	unsigned int cap;
};

int ckpt_tty_check(struct task_struct *p, pid_t pid,
		   struct netlink_ext_ack *extack);
int ckpt_tty_note(struct ckpt_tty_list *list, struct ckpt_file_set *set,
		  struct file *file, u32 rdev);
int ckpt_tty_record(struct ckpt_task_snap *ts, struct ckpt_tty_list *list,
		    struct ckpt_file_set *set);
void ckpt_tty_free(struct ckpt_tty_list *list);

#endif /* CKPT_TTY_H */
