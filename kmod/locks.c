// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * File locks held through a descriptor of the group: flock() locks, POSIX
 * record locks and OFD locks are recorded (the LOCKS record of each
 * process) and taken again at restore; leases, and locks on files a
 * restore does not reopen as the same file, are refused before the freeze
 * by name instead of being dropped silently.
 *
 * Where the kernel keeps them (6.1 fs/locks.c, include/linux/fs.h): the
 * inode's struct file_lock_context (locks_inode_context()) holds three
 * lists, flc_flock, flc_posix and flc_lease, each protected by the
 * context's flc_lock spinlock; every insertion and removal holds it, so
 * a walk under it sees a consistent list. Each struct file_lock records
 * the open file it was taken through (fl_file) and its owner (fl_owner):
 * the struct file itself for flock() and OFD locks (FL_OFDLCK, which live
 * on flc_posix), the files_struct of the process for POSIX locks. fl_pid
 * is the tgid, in the initial pid namespace, of the process that took it
 * (flock_make_lock(), fcntl_setlk()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/fdtable.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uio.h>
#include <linux/ckpt_image.h>

#include "locks.h"
#include "snap.h"

/* Is a lock on @list taken through @file? Called with flc_lock held. */
static bool held_through(struct list_head *list, struct file *file)
{
	struct file_lock *fl;

	list_for_each_entry(fl, list, fl_list)
		if (fl->fl_file == file)
			return true;
	return false;
}

/*
 * A file system with its own ->lock or ->flock (NFS, FUSE, CIFS, Ceph,
 * GFS2, OCFS2, ...) keeps locks the inode's lists may not show, or shows
 * them for a server that decides: they are not carried.
 */
static bool own_locking(struct file *file)
{
	return file->f_op->lock || file->f_op->flock;
}

/**
 * ckpt_locks_lease() - why a descriptor's lease stops a checkpoint
 * @file: an open file of the group
 *
 * Asked before anything else of the file: a lease also marks its file
 * O_ASYNC (lease_setup() calls fasync_helper(), 6.1 fs/locks.c), and the
 * lease is the reason to name. Never sleeps.
 *
 * Return: a string literal, or NULL.
 */
const char *ckpt_locks_lease(struct file *file)
{
	struct file_lock_context *ctx = locks_inode_context(file_inode(file));
	bool lease;

	if (!ctx)
		return NULL;
	spin_lock(&ctx->flc_lock);
	lease = held_through(&ctx->flc_lease, file);
	spin_unlock(&ctx->flc_lock);
	return lease ? "holds a lease (F_SETLEASE): leases are not restored" : NULL;
}

/**
 * ckpt_locks_refusal() - why a descriptor's file locks stop a checkpoint
 * @file: an open file of the group
 * @carried: restore reopens @file as the same file (or makes its
 *	object again): its locks can be taken again
 *
 * Every lock records the open file it was taken through (fl_file): flock()
 * and OFD locks belong to that open file description, POSIX locks to the
 * process, which loses them when it closes any descriptor of the file, so
 * a POSIX lock it still holds was taken through a file it still has open.
 * Never sleeps: the pre-freeze check runs under RCU, and flc_lock is a
 * spinlock (fs/locks.c, 6.1).
 *
 * Return: a string literal saying why the locks cannot be carried, or NULL.
 */
const char *ckpt_locks_refusal(struct file *file, bool carried)
{
	struct file_lock_context *ctx = locks_inode_context(file_inode(file));
	const char *why = NULL;
	bool locked;

	if (!ctx)
		return NULL;
	spin_lock(&ctx->flc_lock);
	locked = held_through(&ctx->flc_flock, file) ||
		 held_through(&ctx->flc_posix, file);
	if (locked && !carried)
		why = "holds a file lock on a terminal or descriptor object: not restored";
	else if (locked && own_locking(file))
		why = "holds a file lock on NFS, FUSE or a like file system: not restored";
	spin_unlock(&ctx->flc_lock);
	return why;
}

/* Room for @n more locks in @list, or -ENOMEM. */
static int grow(struct ckpt_lock_list *list, size_t n)
{
	size_t cap = max_t(size_t, list->nr + n, 2 * list->cap);
	struct ckpt_file_lock *v;

	if (list->nr + n <= list->cap)
		return 0;
	cap = max_t(size_t, cap, 16);
	v = kvmalloc_array(cap, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	if (list->nr)
		memcpy(v, list->v, list->nr * sizeof(*v));
	kvfree(list->v);
	list->v = v;
	list->cap = cap;
	return 0;
}

/* Did this process's list already take @file_id's POSIX locks? */
static bool posix_done(const struct ckpt_lock_list *list, u32 file_id)
{
	size_t i;

	for (i = 0; i < list->nr; i++)
		if (list->v[i].kind == CKPT_LOCK_POSIX &&
		    list->v[i].file_id == file_id)
			return true;
	return false;
}

/*
 * fl_pid in the caller's pid namespace (the one freeze.c records pids in),
 * as locks_translate_pid() does for /proc/locks; 0 if it has none there.
 * Called under flc_lock: find_pid_ns() wants RCU, which a spinlock held
 * does not imply under PREEMPT_RCU, so it is taken explicitly.
 */
static u32 lock_pid(const struct file_lock *fl)
{
	pid_t nr;

	rcu_read_lock();
	nr = pid_nr_ns(find_pid_ns(fl->fl_pid, &init_pid_ns),
		       task_active_pid_ns(current));
	rcu_read_unlock();
	return nr > 0 ? nr : 0;
}

struct walk {
	struct ckpt_lock_list *list;
	struct file *file;
	struct files_struct *files;	/* the process's table: its POSIX locks */
	pid_t tgid;			/* the process, in the initial namespace */
	u32 pid, file_id;
	bool first, posix;
	size_t found;			/* matching locks, stored or not */
	bool shared_table;		/* a POSIX lock of a CLONE_FILES sharer */
};

static void add(struct walk *w, const struct file_lock *fl, u32 kind, u32 pid)
{
	struct ckpt_file_lock *l;

	if (w->list->nr + w->found < w->list->cap) {
		l = &w->list->v[w->list->nr + w->found];
		*l = (struct ckpt_file_lock){
			.file_id = w->file_id,
			.kind = kind,
			.type = fl->fl_type == F_WRLCK ? CKPT_LOCK_WRITE :
							 CKPT_LOCK_READ,
			.pid = pid,
			.start = kind == CKPT_LOCK_FLOCK ? 0 : fl->fl_start,
			.end = kind == CKPT_LOCK_FLOCK ? CKPT_LOCK_EOF :
							 fl->fl_end,
		};
	}
	w->found++;
}

/*
 * The group's locks taken through w->file, stored while there is room and
 * counted in any case. Called with flc_lock held: the lists cannot change
 * under us, and the group, parked, takes and drops no lock meanwhile.
 */
static void walk_locks(struct file_lock_context *ctx, struct walk *w)
{
	struct file_lock *fl;

	if (w->first)
		list_for_each_entry(fl, &ctx->flc_flock, fl_list)
			if (fl->fl_file == w->file)
				add(w, fl, CKPT_LOCK_FLOCK, lock_pid(fl));
	list_for_each_entry(fl, &ctx->flc_posix, fl_list) {
		if (fl->fl_file != w->file)
			continue;
		if (fl->fl_flags & FL_OFDLCK) {
			if (w->first)
				add(w, fl, CKPT_LOCK_OFD, 0);
		} else if (w->posix && fl->fl_owner == w->files) {
			/* Another process sharing the table took it. */
			if (fl->fl_pid != w->tgid)
				w->shared_table = true;
			add(w, fl, CKPT_LOCK_POSIX, w->pid);
		}
	}
}

/**
 * ckpt_locks_capture() - record the locks taken through one descriptor
 * @list: the process's locks so far
 * @p: the process (thread group leader), parked
 * @pid: its pid as the image records it
 * @file: one of its open files
 * @file_id: @file's id in the image
 * @first: @file's id first appears in the image with this descriptor:
 *	its flock() and OFD locks are recorded now, and only now
 *
 * POSIX locks are recorded once per process and file id, however many of
 * its descriptors share the description.
 *
 * Return: 0, -ENOMEM, -E2BIG (more than CKPT_MAX_LOCKS) or -EBUSY (a
 * POSIX lock of another process sharing the descriptor table).
 */
int ckpt_locks_capture(struct ckpt_lock_list *list, struct task_struct *p,
		       pid_t pid, struct file *file, u32 file_id, bool first)
{
	struct file_lock_context *ctx = locks_inode_context(file_inode(file));
	struct walk w = {
		.list = list,
		.file = file,
		.tgid = task_tgid_nr(p),
		.pid = pid,
		.file_id = file_id,
		.first = first,
		.posix = !posix_done(list, file_id),
	};
	int ret;

	if (!ctx)
		return 0;
	/*
	 * p->files is stable: a parked process cannot unshare() or exit.
	 * Only compared, never dereferenced.
	 */
	task_lock(p);
	w.files = p->files;
	task_unlock(p);
	for (;;) {
		w.found = 0;
		w.shared_table = false;
		spin_lock(&ctx->flc_lock);
		walk_locks(ctx, &w);
		spin_unlock(&ctx->flc_lock);
		if (w.shared_table)
			return -EBUSY;
		if (list->nr + w.found > CKPT_MAX_LOCKS)
			return -E2BIG;
		if (list->nr + w.found <= list->cap)
			break;
		/* No allocation under a spinlock: make room, walk again. */
		ret = grow(list, w.found);
		if (ret)
			return ret;
	}
	list->nr += w.found;
	return 0;
}

/** ckpt_locks_free() - forget a process's locks */
void ckpt_locks_free(struct ckpt_lock_list *list)
{
	kvfree(list->v);
	list->v = NULL;
	list->nr = 0;
	list->cap = 0;
}

/**
 * ckpt_locks_record() - the LOCKS record of one process
 * @buf: where the process's LOCKS record goes
 * @list: its locks
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_locks_record(struct ckpt_buf *buf, const struct ckpt_lock_list *list)
{
	struct ckpt_rec_locks rec = { .nr_locks = list->nr };
	struct kvec parts[] = {
		{ &rec, sizeof(rec) },
		{ list->v, list->nr * sizeof(*list->v) },
	};

	return ckpt_buf_put(buf, CKPT_REC_LOCKS, parts, ARRAY_SIZE(parts));
}
