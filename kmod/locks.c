// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * File locks held through a descriptor of the group. They are not carried
 * in the image yet, and a restored process that believed it held a lock
 * would not: such a descriptor is refused before the freeze, by name,
 * instead of the lock being dropped silently.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/spinlock.h>

#include "locks.h"

/* Is a lock on @list taken through @file? Called with flc_lock held. */
static bool held_through(struct list_head *list, struct file *file)
{
	struct file_lock *fl;

	list_for_each_entry(fl, list, fl_list)
		if (fl->fl_file == file)
			return true;
	return false;
}

/**
 * ckpt_locks_refusal() - why a descriptor's file locks stop a checkpoint
 * @file: an open file of the group
 *
 * Every lock records the open file it was taken through (fl_file): flock()
 * and OFD locks belong to that open file description, POSIX locks to the
 * process, which loses them when it closes any descriptor of the file, so
 * a POSIX lock it still holds was taken through a file it still has open.
 * Never sleeps: the pre-freeze check runs under RCU, and flc_lock is a
 * spinlock (fs/locks.c, 6.1).
 *
 * Return: a string literal naming the kind of lock, or NULL.
 */
const char *ckpt_locks_refusal(struct file *file)
{
	struct file_lock_context *ctx = locks_inode_context(file_inode(file));
	const char *why = NULL;

	if (!ctx)
		return NULL;
	spin_lock(&ctx->flc_lock);
	if (held_through(&ctx->flc_flock, file))
		why = "holds an flock() lock: file locks are not restored yet";
	else if (held_through(&ctx->flc_posix, file))
		why = "holds a POSIX or OFD record lock (fcntl): file locks are not restored yet";
	else if (held_through(&ctx->flc_lease, file))
		why = "holds a lease (F_SETLEASE): leases are not restored";
	spin_unlock(&ctx->flc_lock);
	return why;
}
