// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Checkpoint-pending notices: a process that wants to quiesce before a
 * checkpoint (flush a buffer, finish a transaction) holds a notice
 * descriptor (CKPT_CMD_NOTICE_OPEN). A freeze of a group one of whose
 * processes holds one first tells it CKPT_NOTICE_PENDING and waits a
 * bounded time for its acknowledgment, and tells it CKPT_NOTICE_DONE
 * once the freeze is over.
 *
 * Who is told is found by descriptor, not by who opened it: a notice
 * passed to another process, or inherited by fork, tells the group that
 * holds it. Freezes tell one at a time (notice_mutex), so a notice is on
 * one freeze's list at most.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/ckpt.h>

#include "notice.h"

/**
 * struct ckpt_notice - one notice descriptor's open file description
 * @ref: the file's reference and a telling freeze's
 * @rcu: freed after a grace period: a freeze finds notices under RCU
 * @wq: readers and pollers
 * @lock: protects @pending, @done, @acked and @in_freeze
 * @pending: a CKPT_NOTICE_PENDING waits to be read
 * @done: a CKPT_NOTICE_DONE waits to be read
 * @acked: the PENDING of the current freeze was acknowledged
 * @in_freeze: told PENDING by a freeze that is not over
 * @told: on the telling freeze's list, under notice_mutex
 */
struct ckpt_notice {
	refcount_t ref;
	struct rcu_head rcu;
	wait_queue_head_t wq;
	spinlock_t lock;	/* protects the four flags below */
	bool pending;
	bool done;
	bool acked;
	bool in_freeze;
	struct list_head told;
};

static DEFINE_MUTEX(notice_mutex);	/* one telling freeze at a time */
static DECLARE_WAIT_QUEUE_HEAD(ack_wq);	/* a freeze waiting for acks */

static void notice_put(struct ckpt_notice *n)
{
	if (refcount_dec_and_test(&n->ref))
		kfree_rcu(n, rcu);
}

static bool has_event(struct ckpt_notice *n)
{
	bool ret;

	spin_lock(&n->lock);
	ret = n->pending || n->done;
	spin_unlock(&n->lock);
	return ret;
}

/* The next event, PENDING first; false if none. */
static bool take_event(struct ckpt_notice *n, struct ckpt_notice_event *ev)
{
	bool ret = true;

	spin_lock(&n->lock);
	if (n->pending) {
		n->pending = false;
		ev->type = CKPT_NOTICE_PENDING;
	} else if (n->done) {
		n->done = false;
		ev->type = CKPT_NOTICE_DONE;
	} else {
		ret = false;
	}
	spin_unlock(&n->lock);
	return ret;
}

static ssize_t notice_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	struct ckpt_notice *n = file->private_data;
	struct ckpt_notice_event ev = { 0 };
	int ret;

	if (count < sizeof(ev))
		return -EINVAL;
	while (!take_event(n, &ev)) {
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(n->wq, has_event(n));
		if (ret)
			return ret;
	}
	if (copy_to_user(buf, &ev, sizeof(ev)))
		return -EFAULT;
	return sizeof(ev);
}

/* Writing the PENDING event back acknowledges it; nothing else is valid. */
static ssize_t notice_write(struct file *file, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	struct ckpt_notice *n = file->private_data;
	struct ckpt_notice_event ev;

	if (count != sizeof(ev))
		return -EINVAL;
	if (copy_from_user(&ev, buf, sizeof(ev)))
		return -EFAULT;
	if (ev.type != CKPT_NOTICE_PENDING || ev.reserved)
		return -EINVAL;
	spin_lock(&n->lock);
	if (n->in_freeze)
		n->acked = true;
	spin_unlock(&n->lock);
	wake_up(&ack_wq);
	return sizeof(ev);
}

static __poll_t notice_poll(struct file *file, poll_table *pt)
{
	struct ckpt_notice *n = file->private_data;

	poll_wait(file, &n->wq, pt);
	return EPOLLOUT | EPOLLWRNORM |
	       (has_event(n) ? EPOLLIN | EPOLLRDNORM : 0);
}

static int notice_release(struct inode *inode, struct file *file)
{
	notice_put(file->private_data);
	return 0;
}

/* The checkpoint's anon-inode code wants every object to describe itself. */
static void notice_show_fdinfo(struct seq_file *m, struct file *file)
{
	seq_puts(m, "ckpt-notice:\t1\n");
}

static const struct file_operations notice_fops = {
	.owner		= THIS_MODULE,
	.read		= notice_read,
	.write		= notice_write,
	.poll		= notice_poll,
	.release	= notice_release,
	.show_fdinfo	= notice_show_fdinfo,
	.llseek		= noop_llseek,
};

/**
 * ckpt_notice_open() - a new notice descriptor in the caller's table
 * @done: a CKPT_NOTICE_DONE is waiting already (a restored notice)
 *
 * Return: the descriptor, or a negative errno.
 */
int ckpt_notice_open(bool done)
{
	struct ckpt_notice *n = kzalloc(sizeof(*n), GFP_KERNEL);
	int fd;

	if (!n)
		return -ENOMEM;
	refcount_set(&n->ref, 1);
	init_waitqueue_head(&n->wq);
	spin_lock_init(&n->lock);
	INIT_LIST_HEAD(&n->told);
	n->done = done;
	fd = anon_inode_getfd(CKPT_NOTICE_NAME, &notice_fops, n,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0)
		kfree(n);
	return fd;
}

/**
 * ckpt_notice_state() - what a checkpoint records of a notice descriptor
 * @file: a file named CKPT_NOTICE_NAME on the anon-inode file system
 * @st: filled
 *
 * Return: 0, or -EINVAL if @file is another module's file of that name.
 */
int ckpt_notice_state(struct file *file, struct ckpt_fd_notice *st)
{
	struct ckpt_notice *n = file->private_data;

	if (file->f_op != &notice_fops)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	spin_lock(&n->lock);
	if (n->in_freeze)
		st->flags |= CKPT_NOTICE_DONE_OWED;
	spin_unlock(&n->lock);
	return 0;
}

/* Put every notice process @p holds on @told. Under RCU. */
static void find_held(struct task_struct *p, struct list_head *told)
{
	struct ckpt_notice *n;
	struct file *file;
	unsigned int fd;

	for (fd = 0; (file = task_lookup_next_fd_rcu(p, &fd)); fd++) {
		if (file->f_op != &notice_fops)
			continue;
		n = file->private_data;
		if (list_empty(&n->told) && refcount_inc_not_zero(&n->ref))
			list_add_tail(&n->told, told);
	}
}

static bool all_acked(struct list_head *told)
{
	struct ckpt_notice *n;
	bool ret = true;

	list_for_each_entry(n, told, told) {
		spin_lock(&n->lock);
		ret = n->acked;
		spin_unlock(&n->lock);
		if (!ret)
			break;
	}
	return ret;
}

/**
 * ckpt_notice_tell() - tell a group's notice holders a freeze is coming
 * @grp: the group's process group or session
 * @type: PIDTYPE_PGID or PIDTYPE_SID
 * @grace_ms: how long they may take to acknowledge
 * @told: an empty list; receives the notices told
 *
 * Called once the group passed the check, so that only a group the
 * caller may checkpoint is told. On success holds notice_mutex until
 * ckpt_notice_over(), which must follow whatever the freeze's outcome. A
 * notice that does not acknowledge in time is frozen anyway: the grace
 * bounds what a process can cost the freeze.
 *
 * Return: 0, or -EINTR if the caller was killed meanwhile (then the
 * notices told were told DONE, and nothing is held).
 */
int ckpt_notice_tell(struct pid *grp, enum pid_type type, u32 grace_ms,
		     struct list_head *told)
{
	struct task_struct *p;
	struct ckpt_notice *n;

	if (mutex_lock_killable(&notice_mutex))
		return -EINTR;
	rcu_read_lock();
	do_each_pid_task(grp, type, p) {
		find_held(p, told);
	} while_each_pid_task(grp, type, p);
	rcu_read_unlock();
	list_for_each_entry(n, told, told) {
		spin_lock(&n->lock);
		n->pending = true;
		n->done = false;
		n->acked = false;
		n->in_freeze = true;
		spin_unlock(&n->lock);
		wake_up_poll(&n->wq, EPOLLIN | EPOLLRDNORM);
	}
	if (list_empty(told) || !grace_ms)
		return 0;
	if (wait_event_killable_timeout(ack_wq, all_acked(told),
					msecs_to_jiffies(grace_ms)) < 0) {
		ckpt_notice_over(told);
		return -EINTR;
	}
	return 0;
}

/**
 * ckpt_notice_over() - tell the notices of ckpt_notice_tell() the freeze
 *	is over
 * @told: the list it filled; emptied
 *
 * A PENDING still unread is dropped: it would come after its DONE.
 */
void ckpt_notice_over(struct list_head *told)
{
	struct ckpt_notice *n, *next;

	list_for_each_entry_safe(n, next, told, told) {
		spin_lock(&n->lock);
		n->pending = false;
		n->done = true;
		n->in_freeze = false;
		spin_unlock(&n->lock);
		wake_up_poll(&n->wq, EPOLLIN | EPOLLRDNORM);
		list_del_init(&n->told);
		notice_put(n);
	}
	mutex_unlock(&notice_mutex);
}
