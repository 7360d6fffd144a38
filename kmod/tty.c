// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Terminals: the settings (termios, window size) of each terminal the
 * group's descriptors hold, each process's controlling terminal and that
 * terminal's foreground process group, as the process's TTY record; and
 * the refusal that keeps a controlling terminal restorable.
 *
 * Where the kernel keeps them (6.1 include/linux/tty.h,
 * drivers/tty/tty_jobctrl.c, tty_ioctl.c): a terminal's open file points
 * at a struct tty_file_private naming its tty_struct, for as long as the
 * file lives (tty_release() frees it with the last reference). The tty's
 * termios is protected by termios_rwsem, its winsize by winsize_mutex
 * (what TCGETS2 and TIOCGWINSZ take), its foreground process group by
 * ctrl.lock (tty_get_pgrp()). A process's controlling terminal is
 * signal->tty, which proc_set_tty() and proc_clear_tty() change under the
 * process's siglock, each holding a tty reference.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/tty.h>
#include <linux/uio.h>
#include <linux/ckpt_image.h>

#include "files.h"
#include "group.h"
#include "snap.h"
#include "tty.h"

/*
 * @p's controlling terminal, referenced, or NULL. The siglock is taken
 * as __lock_task_sighand() does (not exported): sighand_struct is
 * SLAB_TYPESAFE_BY_RCU, so under RCU the lock is always a siglock, and
 * once held it is @p's if p->sighand still points at it.
 */
static struct tty_struct *ctty_get(struct task_struct *p)
{
	struct sighand_struct *sighand;
	struct tty_struct *tty = NULL;
	unsigned long flags;

	rcu_read_lock();
	for (;;) {
		sighand = rcu_dereference(p->sighand);
		if (!sighand)
			break;
		spin_lock_irqsave(&sighand->siglock, flags);
		if (likely(sighand == rcu_access_pointer(p->sighand))) {
			tty = tty_kref_get(p->signal->tty);
			spin_unlock_irqrestore(&sighand->siglock, flags);
			break;
		}
		spin_unlock_irqrestore(&sighand->siglock, flags);
	}
	rcu_read_unlock();
	return tty;
}

/* Does a descriptor of @p name device @devnum? Called under RCU. */
static bool holds_device(struct task_struct *p, dev_t devnum)
{
	struct file *file;
	unsigned int fd;

	for (fd = 0; (file = task_lookup_next_fd_rcu(p, &fd)); fd++) {
		struct inode *inode = file_inode(file);

		if (!(file->f_mode & FMODE_PATH) && S_ISCHR(inode->i_mode) &&
		    inode->i_rdev == devnum)
			return true;
	}
	return false;
}

/**
 * ckpt_tty_check() - refuse a controlling terminal restore could not give back
 * @p: the process
 * @pid: its pid as the caller sees it
 * @extack: receives the reason and the pid
 *
 * A session leader takes its controlling terminal again (TIOCSCTTY) through
 * a description of the image, opened by the terminal's own name, before it
 * makes its children: one whose descriptors do not hold the terminal is
 * refused. Called under rcu_read_lock(), before any freeze.
 *
 * Return: 0 or -EINVAL.
 */
int ckpt_tty_check(struct task_struct *p, pid_t pid,
		   struct netlink_ext_ack *extack)
{
	struct tty_struct *tty;
	dev_t devnum;

	if (!p->signal->leader)
		return 0;
	tty = ctty_get(p);
	if (!tty)
		return 0;
	devnum = tty_devnum(tty);
	tty_kref_put(tty);
	if (holds_device(p, devnum))
		return 0;
	ckpt_err_setf(extack, pid, 0,
		      "session leader's controlling terminal (device %u:%u) is open on none of its descriptors: not supported",
		      MAJOR(devnum), MINOR(devnum));
	return -EINVAL;
}

/* A terminal's settings, as TCGETS2 and TIOCGWINSZ would report them. */
static void read_settings(struct tty_struct *tty, u32 rdev, struct ckpt_tty *t)
{
	BUILD_BUG_ON(NCCS != CKPT_TTY_NCCS);
	memset(t, 0, sizeof(*t));
	t->rdev = rdev;
	down_read(&tty->termios_rwsem);
	t->iflag = tty->termios.c_iflag;
	t->oflag = tty->termios.c_oflag;
	t->cflag = tty->termios.c_cflag;
	t->lflag = tty->termios.c_lflag;
	t->line = tty->termios.c_line;
	memcpy(t->cc, tty->termios.c_cc, sizeof(t->cc));
	t->ispeed = tty->termios.c_ispeed;
	t->ospeed = tty->termios.c_ospeed;
	up_read(&tty->termios_rwsem);
	mutex_lock(&tty->winsize_mutex);
	t->rows = tty->winsize.ws_row;
	t->cols = tty->winsize.ws_col;
	t->xpixel = tty->winsize.ws_xpixel;
	t->ypixel = tty->winsize.ws_ypixel;
	mutex_unlock(&tty->winsize_mutex);
}

/*
 * Add @tty's settings under @rdev unless a record of the image already
 * has them (@set->ttys, keyed by rdev).
 */
static int add_tty(struct ckpt_tty_list *list, struct ckpt_file_set *set,
		   struct tty_struct *tty, u32 rdev)
{
	struct ckpt_tty *v;
	int ret;

	ret = xa_insert(&set->ttys, rdev, xa_mk_value(1), GFP_KERNEL);
	if (ret == -EBUSY)
		return 0;
	if (ret)
		return ret;
	if (list->nr == list->cap) {
		v = krealloc_array(list->v, list->cap + 4, sizeof(*v),
				   GFP_KERNEL);
		if (!v)
			return -ENOMEM;
		list->v = v;
		list->cap += 4;
	}
	read_settings(tty, rdev, &list->v[list->nr++]);
	return 0;
}

/**
 * ckpt_tty_note() - note the terminal a descriptor of the group holds
 * @list: the process's terminals so far
 * @set: what earlier records of the image carry
 * @file: an open terminal (CKPT_FD_TTY), referenced by the caller
 * @rdev: its FD record's rdev
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_tty_note(struct ckpt_tty_list *list, struct ckpt_file_set *set,
		  struct file *file, u32 rdev)
{
	struct tty_file_private *priv = file->private_data;

	return add_tty(list, set, priv->tty, rdev);
}

static int cmp_rdev(const void *a, const void *b)
{
	const struct ckpt_tty *x = a, *y = b;

	return x->rdev < y->rdev ? -1 : x->rdev > y->rdev;
}

/**
 * ckpt_tty_record() - the TTY record of a parked process
 * @ts: the process
 * @list: the terminals its descriptors hold, noted by ckpt_tty_note()
 * @set: what earlier records of the image carry
 *
 * Adds its controlling terminal, whose foreground process group is read
 * in the caller's pid namespace, and writes the record. The group is
 * parked, so neither changes but through a process outside it.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_tty_record(struct ckpt_task_snap *ts, struct ckpt_tty_list *list,
		    struct ckpt_file_set *set)
{
	struct tty_struct *tty = ctty_get(ts->task);
	struct ckpt_rec_tty rec = {};
	struct pid *pgrp;
	int ret = 0;

	if (tty) {
		rec.flags = CKPT_TTY_CTTY;
		rec.ctty_rdev = new_encode_dev(tty_devnum(tty));
		pgrp = tty_get_pgrp(tty);
		rec.fg_pgrp = pid_vnr(pgrp);
		put_pid(pgrp);
		ret = add_tty(list, set, tty, rec.ctty_rdev);
		tty_kref_put(tty);
	}
	if (ret)
		return ret;
	sort(list->v, list->nr, sizeof(*list->v), cmp_rdev, NULL);
	rec.nr_ttys = list->nr;
	{
		struct kvec parts[] = {
			{ &rec, sizeof(rec) },
			{ list->v, list->nr * sizeof(*list->v) },
		};

		return ckpt_buf_put(&ts->tty, CKPT_REC_TTY, parts,
				    ARRAY_SIZE(parts));
	}
}

/** ckpt_tty_free() - forget a process's noted terminals */
void ckpt_tty_free(struct ckpt_tty_list *list)
{
	kfree(list->v);
	list->v = NULL;
	list->nr = 0;
	list->cap = 0;
}
