// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * File descriptor tables: which descriptors can be checkpointed (checked
 * before any freeze, so a refusal never touches the group), and their FD
 * records: each open file description (struct file) gets one id across
 * the group, so descriptors shared by dup() or fork() come back shared;
 * regular files, directories, named FIFOs and O_PATH descriptors by path
 * and identity, pipes and FIFOs with their buffered data, deleted files
 * and memfds with their contents, terminals, /dev/null-like devices, the
 * sockets of sock.c, and the descriptor objects of anonfd.c (eventfd,
 * timerfd, signalfd, epoll, pidfd, inotify),
 * whose state the first record of their file id carries; the file
 * locks taken through them (locks.c), in the process's LOCKS record; and
 * the settings of the terminals among them (tty.c), in its TTY record.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kdev_t.h>
#include <linux/magic.h>
#include <linux/major.h>
#include <linux/mount.h>
#include <linux/netlink.h>
#include <linux/pid_namespace.h>
#include <linux/pipe_fs_i.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/tty.h>
#include <linux/uio.h>
#include <linux/ckpt.h>
#include <linux/ckpt_image.h>

#include "anonfd.h"
#include "files.h"
#include "locks.h"
#include "group.h"
#include "snap.h"
#include "sock.h"
#include "tty.h"

static bool is_null_like(unsigned int major, unsigned int minor)
{
	/* drivers/char/mem.c: null 3, zero 5, full 7, random 8, urandom 9 */
	return major == MEM_MAJOR &&
	       (minor == 3 || minor == 5 || minor == 7 || minor == 8 ||
		minor == 9);
}

static bool is_tty(unsigned int major, unsigned int minor)
{
	if (major == TTY_MAJOR)
		return true;
	/* TTYAUX: /dev/tty 0, /dev/console 1, /dev/ptmx 2 (refused, below). */
	if (major == TTYAUX_MAJOR)
		return minor <= 1;
	return major >= UNIX98_PTY_SLAVE_MAJOR &&
	       major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT;
}

/*
 * A pseudo-terminal master restore cannot open again as the same one: it
 * is a new pair at every open of /dev/ptmx.
 */
static const char *tty_refusal(unsigned int major, unsigned int minor)
{
	if ((major == TTYAUX_MAJOR && minor == 2) ||
	    (major >= UNIX98_PTY_MASTER_MAJOR &&
	     major < UNIX98_PTY_MASTER_MAJOR + UNIX98_PTY_MAJOR_COUNT))
		return "pseudo-terminal master (/dev/ptmx): not supported";
	return NULL;
}

/*
 * A description of /dev/tty is one of the terminal that was its opener's
 * controlling terminal: tty_open_current_tty() (6.1 drivers/tty/tty_io.c)
 * puts that terminal in its tty_file_private. Restore opens /dev/tty
 * again from a process whose controlling terminal it is.
 */
static bool is_devtty(struct inode *inode)
{
	return S_ISCHR(inode->i_mode) && imajor(inode) == TTYAUX_MAJOR &&
	       iminor(inode) == 0;
}

/*
 * Kernel-internal mounts (kern_mount(): pipefs, sockfs, nsfs, the shmem
 * mount behind memfds and SysV shared memory) have no path a restore
 * could open; vfs_create_mount() marks them MNT_INTERNAL (6.1
 * fs/namespace.c).
 */
static bool on_internal_mount(const struct file *file)
{
	return file->f_path.mnt->mnt_flags & MNT_INTERNAL;
}

/*
 * A memfd is a shmem file on the internal shmem mount whose dentry
 * memfd_create() named "memfd:" + the user's name (6.1 mm/memfd.c
 * MFD_NAME_PREFIX); the name never changes, the file has no other.
 */
static bool is_memfd(const struct file *file)
{
	return file_inode(file)->i_sb->s_magic == TMPFS_MAGIC &&
	       on_internal_mount(file) &&
	       !strncmp(file->f_path.dentry->d_name.name, "memfd:", 6);
}

/*
 * F_NOTIFY (dnotify) cannot be read back: its marks belong to fs/notify's
 * private dnotify group. fcntl_dirnotify() (6.1
 * fs/notify/dnotify/dnotify.c) makes the caller the description's signal
 * owner and marks the directory's inode: a directory description with an
 * owner whose inode carries marks is taken for one (an inotify or
 * fanotify mark on a directory someone also F_SETOWNed is refused too).
 */
static bool maybe_dnotify(struct file *file)
{
#ifdef CONFIG_FSNOTIFY
	return IS_ENABLED(CONFIG_DNOTIFY) && READ_ONCE(file->f_owner.pid) &&
	       rcu_access_pointer(file_inode(file)->i_fsnotify_marks);
#else
	return false;
#endif
}

/* Does a deleted file or memfd fit in the image? */
static bool ghost_fits(struct file *file, u64 ghost_limit)
{
	return i_size_read(file_inode(file)) <= ghost_limit;
}

/*
 * Classify @file; on refusal set *@why to a string literal (or leave it
 * NULL when the file is larger than @ghost_limit: the caller says so with
 * the sizes). Never sleeps: called under RCU by the pre-freeze check.
 */
static int classify(struct file *file, u64 ghost_limit, u32 *type,
		    const char **why)
{
	struct inode *inode = file_inode(file);
	unsigned long magic = inode->i_sb->s_magic;
	bool gone = d_unlinked(file->f_path.dentry);
	umode_t mode = inode->i_mode;

	if (file->f_mode & FMODE_PATH) {
		if (on_internal_mount(file)) {
			*why = "O_PATH descriptor of a pipe, socket, ...: not supported";
			return -EINVAL;
		}
		if (gone) {
			*why = "O_PATH descriptor of a deleted file is not supported";
			return -EINVAL;
		}
		*type = CKPT_FD_PATH;
		return 0;
	}
	if (S_ISSOCK(mode) || magic == SOCKFS_MAGIC) {
		*why = ckpt_sock_classify(file);
		*type = CKPT_FD_SOCKET;
		return *why ? -EINVAL : 0;
	}
	if (magic == ANON_INODE_FS_MAGIC && ckpt_anonfd_classify(file, type, why))
		return -EINVAL;
	if (magic == ANON_INODE_FS_MAGIC)
		return 0;
	if (S_ISREG(mode) && is_memfd(file)) {
		*type = CKPT_FD_MEMFD;
		if (ckpt_shmem_has_policy(file_inode(file))) {
			*why = CKPT_SHMEM_POLICY_WHY;
			return -EINVAL;
		}
		return ghost_fits(file, ghost_limit) ? 0 : -EFBIG;
	}
	if (S_ISREG(mode) && on_internal_mount(file)) {
		*why = "SysV shared memory or hugetlb memfd descriptor: not supported";
		return -EINVAL;
	}
	if (S_ISREG(mode)) {
		*type = CKPT_FD_REG;
		return !gone || ghost_fits(file, ghost_limit) ? 0 : -EFBIG;
	}
	if (S_ISDIR(mode)) {
		if (gone) {
			*why = "open directory was removed: not supported";
			return -EINVAL;
		}
		if (maybe_dnotify(file)) {
			*why = "directory watched with F_NOTIFY (dnotify): not supported";
			return -EINVAL;
		}
		*type = CKPT_FD_DIR;
		return 0;
	}
	if (S_ISFIFO(mode) && magic == PIPEFS_MAGIC && file->private_data) {
		*type = CKPT_FD_PIPE;
		return 0;
	}
	/* fifo_open() points every FIFO description at the pipe (fs/pipe.c). */
	if (S_ISFIFO(mode) && file->private_data && !gone) {
		*type = CKPT_FD_FIFO;
		return 0;
	}
	if (S_ISFIFO(mode)) {
		*why = "named FIFO was removed, or has no pipe: not supported";
		return -EINVAL;
	}
	if (S_ISCHR(mode) && is_null_like(imajor(inode), iminor(inode))) {
		*type = CKPT_FD_CHR;
		return 0;
	}
	if (S_ISCHR(mode) && is_tty(imajor(inode), iminor(inode))) {
		*type = CKPT_FD_TTY;
		return 0;
	}
	*why = S_ISCHR(mode) ? tty_refusal(imajor(inode), iminor(inode)) : NULL;
	if (*why)
		return -EINVAL;
	*why = "file descriptor is a device or special file that is not supported";
	return -EINVAL;
}

/*
 * Can the locks taken through a file of @type be taken again at restore?
 * Restore reopens regular files, directories, FIFOs and /dev/null-like
 * devices as the same inode and makes pipes, deleted files and memfds
 * again (nobody else can hold a lock on the new ones). A terminal may
 * become the caller's (--shell-job), and every descriptor object shares
 * one anonymous inode with all others of the system.
 */
static bool locks_carried(u32 type)
{
	switch (type) {
	case CKPT_FD_REG:
	case CKPT_FD_DIR:
	case CKPT_FD_PIPE:
	case CKPT_FD_CHR:
	case CKPT_FD_FIFO:
	case CKPT_FD_MEMFD:
		return true;
	default:
		return false;
	}
}

/* Explain a refusal of classify() for descriptor @fd of @pid. */
static void refuse_fd(struct netlink_ext_ack *extack, pid_t pid,
		      unsigned int fd, struct file *file, u64 ghost_limit,
		      const char *why)
{
	if (why) {
		ckpt_err_set_fd(extack, pid, fd, why);
		return;
	}
	ckpt_err_setf(extack, pid, 0,
		      "%s of %lld bytes is larger than the ghost limit of %llu bytes (--ghost-limit)",
		      is_memfd(file) ? "memfd" : "deleted file",
		      (long long)i_size_read(file_inode(file)), ghost_limit);
	if (extack)
		((struct ckpt_err_cookie *)extack->cookie)->fd = fd;
}

/*
 * Whom @file signals (F_SETOWN_EX, F_SETSIG) into @rec, or why that
 * cannot be restored: an owner must be a process, thread or process group
 * of the group, which the restore makes again. Read as 6.1 f_getown_ex()
 * reads it, under f_owner.lock; F_SETOWN > 0 is PIDTYPE_TGID, < 0
 * PIDTYPE_PGID, F_OWNER_TID PIDTYPE_PID (f_setown(), f_setown_ex()).
 * Never sleeps: the pre-freeze check runs it under RCU.
 */
#define OWNER_WHY(what) \
	"its signal owner (F_SETOWN) " what ": it cannot be set again"

static const char *record_owner(struct file *file, struct pid *pgrp,
				enum pid_type gtype, struct ckpt_rec_fd *rec)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct fown_struct *o = &file->f_owner;
	const char *why = NULL;
	struct task_struct *t;
	enum pid_type type;

	read_lock_irq(&o->lock);
	type = o->pid_type;
	rec->owner_sig = o->signum;
	if (o->pid) {
		rcu_read_lock();
		t = pid_task(o->pid, type);
		if (!t)
			why = OWNER_WHY("has exited");
		else if (task_pid_type(t, gtype) != pgrp)
			why = OWNER_WHY("is outside the group");
		/* The restore sets owners before it makes the threads. */
		else if (type == PIDTYPE_PID && !thread_group_leader(t))
			why = OWNER_WHY("is a thread other than its process's first");
		rec->owner = pid_nr_ns(o->pid, ns);
		rec->owner_type = type == PIDTYPE_PID ? CKPT_OWNER_TID :
				  type == PIDTYPE_PGID ? CKPT_OWNER_PGRP :
				  CKPT_OWNER_PID;
		rcu_read_unlock();
	}
	read_unlock_irq(&o->lock);
	return why;
}

/**
 * ckpt_files_check() - refuse a process whose descriptors cannot be captured
 * @p: the process
 * @pid: its pid as the caller sees it
 * @ghost_limit: largest deleted file or memfd the image may carry
 * @pgrp: the group's process group or session, which signal owners must
 *	be in
 * @gtype: PIDTYPE_PGID or PIDTYPE_SID
 * @extack: receives the reason, the pid and the descriptor
 *
 * Called under rcu_read_lock(), before any freeze.
 *
 * Return: 0 or -EINVAL.
 */
int ckpt_files_check(struct task_struct *p, pid_t pid, u64 ghost_limit,
		     struct pid *pgrp, enum pid_type gtype,
		     struct netlink_ext_ack *extack)
{
	struct ckpt_rec_fd rec = {};
	const char *why = NULL;
	struct file *file;
	unsigned int fd;
	u32 type;

	for (fd = 0; (file = task_lookup_next_fd_rcu(p, &fd)); fd++) {
		why = ckpt_locks_lease(file);
		if (why || classify(file, ghost_limit, &type, &why)) {
			refuse_fd(extack, pid, fd, file, ghost_limit, why);
			return -EINVAL;
		}
		why = ckpt_locks_refusal(file, locks_carried(type));
		if (!why)
			why = record_owner(file, pgrp, gtype, &rec);
		if (why) {
			ckpt_err_set_fd(extack, pid, fd, why);
			return -EINVAL;
		}
	}
	return 0;
}

/* The next descriptor at or after *@fd, referenced, with its cloexec bit. */
static struct file *next_file(struct task_struct *p, unsigned int *fd,
			      bool *cloexec)
{
	struct files_struct *files;
	struct file *file;

	rcu_read_lock();
	do {
		file = task_lookup_next_fd_rcu(p, fd);
		if (file && get_file_rcu(file))
			break;
		if (file)
			(*fd)++;
	} while (file);
	if (file) {
		task_lock(p);
		files = p->files;
		*cloexec = files && close_on_exec(*fd, files_fdtable(files));
		task_unlock(p);
	}
	rcu_read_unlock();
	return file;
}

/**
 * ckpt_file_set_init() - an empty set for one snapshot
 * @set: the set
 * @ghost_limit: largest deleted file or memfd carried whole
 * @pgrp: the group's process group or session, which pidfds must point into
 * @type: PIDTYPE_PGID or PIDTYPE_SID
 */
void ckpt_file_set_init(struct ckpt_file_set *set, u64 ghost_limit,
			struct pid *pgrp, enum pid_type type)
{
	xa_init(&set->files);
	xa_init(&set->objects);
	xa_init(&set->ttys);
	xa_init(&set->sock_held);
	xa_init(&set->sock_wanted);
	xa_init(&set->sock_group);
	set->tcp_established = false;
	set->tcp_hold = 0;
	set->nr_files = 0;
	set->ghost_limit = ghost_limit;
	set->pgrp = pgrp;
	set->type = type;
}

/** ckpt_file_set_free() - forget what a snapshot's records named */
void ckpt_file_set_free(struct ckpt_file_set *set)
{
	xa_destroy(&set->files);
	xa_destroy(&set->objects);
	xa_destroy(&set->ttys);
	xa_destroy(&set->sock_held);
	xa_destroy(&set->sock_wanted);
	xa_destroy(&set->sock_group);
}

/*
 * Two live objects of one type never overlap, so their addresses divided
 * by the type's size differ: a dense, collision-free xarray index.
 */
static unsigned long addr_key(const void *p, size_t size)
{
	return (unsigned long)p / size;
}

/* The file id of @file (*@first if new), or a negative errno. */
static int file_id(struct ckpt_file_set *set, struct file *file, bool *first)
{
	unsigned long key = addr_key(file, sizeof(*file));
	void *v = xa_load(&set->files, key);
	int ret;

	*first = !v;
	if (v)
		return xa_to_value(v);
	ret = xa_insert(&set->files, key, xa_mk_value(set->nr_files + 1),
			GFP_KERNEL);
	if (ret)
		return ret;
	return ++set->nr_files;
}

/* 1 if a record already carries @inode's bytes, 0 if now claimed, -errno. */
static int object_seen(struct ckpt_file_set *set, struct inode *inode)
{
	int ret = xa_insert(&set->objects, addr_key(inode, sizeof(*inode)),
			    xa_mk_value(1), GFP_KERNEL);

	return ret == -EBUSY ? 1 : ret;
}

/*
 * Copy a pipe's buffered bytes without consuming them. The group is
 * parked; pipe_lock() keeps out writers and readers outside it.
 */
static void *pipe_contents(struct pipe_inode_info *pipe, u32 *len)
{
	unsigned int head, tail, mask;
	size_t total = 0, off = 0;
	char *data;

	pipe_lock(pipe);
	head = pipe->head;
	tail = pipe->tail;
	mask = pipe->ring_size - 1;
	for (; tail != head; tail++)
		total += pipe->bufs[tail & mask].len;
	data = kvmalloc(max_t(size_t, total, 1), GFP_KERNEL);
	for (tail = pipe->tail; data && tail != head; tail++) {
		struct pipe_buffer *buf = &pipe->bufs[tail & mask];
		char *p;

		if (pipe_buf_confirm(pipe, buf)) {
			kvfree(data);
			data = NULL;
			break;
		}
		p = kmap_local_page(buf->page);
		memcpy(data + off, p + buf->offset, buf->len);
		kunmap_local(p);
		off += buf->len;
	}
	pipe_unlock(pipe);
	*len = total;
	return data;
}

/*
 * The whole contents of a deleted file or memfd, read through a
 * description of our own (the process's may be write-only or O_DIRECT,
 * and its position must not move) once the caller's own right to read
 * the inode is checked: the image must not hand out what the
 * checkpointer could not read. The group is parked, so the contents are
 * those of the freeze.
 */
static void *ghost_contents(struct file *file, u32 *len)
{
	struct inode *inode = file_inode(file);
	loff_t pos = 0, size = i_size_read(inode);
	struct file *own;
	char *data;
	ssize_t n;
	int ret;

	ret = inode_permission(file_mnt_user_ns(file), inode, MAY_READ);
	if (ret)
		return ERR_PTR(ret);
	own = dentry_open(&file->f_path, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(own))
		return own;
	data = kvmalloc(max_t(size_t, size, 1), GFP_KERNEL);
	ret = data ? 0 : -ENOMEM;
	while (!ret && pos < size) {
		n = kernel_read(own, data + pos, size - pos, &pos);
		if (n < 0)
			ret = n;
		else if (!n)
			break;
	}
	fput(own);
	if (ret) {
		kvfree(data);
		return ERR_PTR(ret);
	}
	*len = pos;
	return data;
}

/*
 * The path a record names: d_path() appends " (deleted)" to an unlinked
 * file's, and simple_dname() to a memfd's name (6.1 fs/d_path.c; a
 * memfd's dentry is its own parent, so d_unlinked() is false for it). The
 * record keeps the name the file had and says CKPT_FD_DELETED instead.
 */
static const char *record_path(struct file *file, char *pathbuf,
			       struct ckpt_rec_fd *rec)
{
	static const char suffix[] = " (deleted)";
	const char *path = d_path(&file->f_path, pathbuf, PATH_MAX);
	size_t len;

	if (IS_ERR(path))
		return path;
	len = strlen(path);
	if ((d_unlinked(file->f_path.dentry) || rec->type == CKPT_FD_MEMFD) &&
	    len >= sizeof(suffix) && !strcmp(path + len - sizeof(suffix) + 1, suffix)) {
		len -= sizeof(suffix) - 1;
		if (rec->type == CKPT_FD_REG)
			rec->flags |= CKPT_FD_DELETED;
	}
	rec->path_len = len;
	return path;
}

/* The bytes an object's first record carries, or an ERR_PTR. */
static void *object_bytes(struct file *file, struct ckpt_rec_fd *rec)
{
	void *data;

	if (rec->type == CKPT_FD_PIPE || rec->type == CKPT_FD_FIFO) {
		data = pipe_contents(file->private_data, &rec->data_len);
		return data ? data : ERR_PTR(-ENOMEM);
	}
	data = ghost_contents(file, &rec->data_len);
	if (!IS_ERR(data))
		rec->size = rec->data_len;
	return data;
}

/* The locks taken through descriptor @fd, into the process's @locks. */
static int record_locks(struct ckpt_task_snap *ts, struct ckpt_lock_list *locks,
			struct file *file, unsigned int fd, u32 file_id,
			bool first, struct netlink_ext_ack *extack)
{
	int ret = ckpt_locks_capture(locks, ts->task, ts->rec.pid, file,
				     file_id, first);

	if (ret == -EBUSY)
		ckpt_err_set_fd(extack, ts->rec.pid, fd,
				"holds a POSIX lock another process sharing its descriptor table (CLONE_FILES) took: not supported");
	else if (ret == -E2BIG)
		ckpt_err_set_fd(extack, ts->rec.pid, fd,
				"the process holds more than 65536 file locks: not supported");
	return ret;
}

static int record_fd(struct ckpt_task_snap *ts, struct ckpt_file_set *set,
		     struct ckpt_lock_list *locks, struct ckpt_tty_list *ttys,
		     struct file *file, unsigned int fd, bool cloexec,
		     char *pathbuf, struct netlink_ext_ack *extack)
{
	struct inode *inode = file_inode(file);
	struct ckpt_rec_fd rec = {
		.fd = fd,
		.flags = cloexec ? CKPT_FD_CLOEXEC : 0,
		.f_flags = file->f_flags,
		.pos = file->f_pos,
		.ino = inode->i_ino,
		.dev = new_encode_dev(inode->i_sb->s_dev),
		.rdev = new_encode_dev(inode->i_rdev),
		.mode = inode->i_mode,
		.size = i_size_read(inode),
		.mtime_ns = timespec64_to_ns(&inode->i_mtime),
	};
	const char *why = NULL, *path = NULL;
	bool first, carries;
	void *data = NULL;
	int ret;

	/*
	 * The pre-freeze check ran, but the table may have changed since,
	 * and a lock or lease may be newer than the check.
	 */
	why = ckpt_locks_lease(file);
	if (why || classify(file, set->ghost_limit, &rec.type, &why)) {
		refuse_fd(extack, ts->rec.pid, fd, file, set->ghost_limit, why);
		return -EINVAL;
	}
	why = ckpt_locks_refusal(file, locks_carried(rec.type));
	if (why) {
		ckpt_err_set_fd(extack, ts->rec.pid, fd, why);
		return -EINVAL;
	}
	why = record_owner(file, set->pgrp, set->type, &rec);
	if (why) {
		ckpt_err_set_fd(extack, ts->rec.pid, fd, why);
		return -EINVAL;
	}
	ret = file_id(set, file, &first);
	if (ret < 0)
		return ret;
	rec.file_id = ret;
	ret = record_locks(ts, locks, file, fd, rec.file_id, first, extack);
	if (rec.type == CKPT_FD_TTY && is_devtty(inode)) {
		rec.flags |= CKPT_FD_DEVTTY;
		rec.tty_rdev = new_encode_dev(tty_devnum(((struct tty_file_private *)
						     file->private_data)->tty));
	}
	if (!ret && rec.type == CKPT_FD_TTY)
		ret = ckpt_tty_note(ttys, set, file, rec.tty_rdev ?: rec.rdev);
	if (ret)
		return ret;
	if (rec.type == CKPT_FD_SOCKET) {
		struct ckpt_sock_ctx ctx = {
			.wanted = &set->sock_wanted,
			.pgrp = set->pgrp,
			.gtype = set->type,
			.tcp_established = set->tcp_established,
			.group = &set->sock_group,
			.tcp_hold = set->tcp_hold,
		};

		ret = xa_err(xa_store(&set->sock_held, inode->i_ino,
				      xa_mk_value(1), GFP_KERNEL));
		if (!ret)
			ret = ckpt_sock_record(ts->task, file, ts->rec.pid, fd,
					       first, &ctx, &rec, &data, extack);
		if (ret)
			return ret;
		goto put;
	}
	/* A descriptor object: one description, its state on its first record. */
	if (rec.type >= CKPT_FD_EVENTFD) {
		ret = ckpt_anonfd_record(ts, file, fd, first, set->pgrp,
					 set->type, &rec, &data, extack);
		if (ret)
			return ret;
		goto put;
	}
	if (rec.type != CKPT_FD_PIPE) {
		path = record_path(file, pathbuf, &rec);
		if (IS_ERR(path)) {
			ckpt_err_set_fd(extack, ts->rec.pid, fd,
					"path of an open file is too long");
			return PTR_ERR(path);
		}
	}
	if (rec.type == CKPT_FD_PIPE || rec.type == CKPT_FD_FIFO) {
		struct pipe_inode_info *pipe = file->private_data;

		rec.pipe_size = READ_ONCE(pipe->max_usage) * PAGE_SIZE;
	}
	/* Read without a lock, as F_GET_SEALS does (6.1 mm/memfd.c). */
	if (rec.type == CKPT_FD_MEMFD)
		rec.seals = READ_ONCE(SHMEM_I(inode)->seals);
	carries = rec.type == CKPT_FD_PIPE || rec.type == CKPT_FD_FIFO ||
		  rec.type == CKPT_FD_MEMFD || (rec.flags & CKPT_FD_DELETED);
	ret = carries ? object_seen(set, inode) : 1;
	if (ret < 0)
		return ret;
	if (!ret) {
		data = object_bytes(file, &rec);
		if (IS_ERR(data)) {
			ckpt_err_set_fd(extack, ts->rec.pid, fd,
					"cannot read the contents of a deleted file or memfd");
			return PTR_ERR(data);
		}
		rec.flags |= CKPT_FD_DATA;
	}
put:
	{
		struct kvec parts[] = {
			{ &rec, sizeof(rec) },
			{ (void *)path, rec.path_len },
			{ data, rec.data_len },
		};

		ret = ckpt_buf_put(&ts->fds, CKPT_REC_FD, parts,
				   ARRAY_SIZE(parts));
	}
	kvfree(data);
	if (!ret)
		ts->rec.nr_fds++;
	return ret;
}

/**
 * ckpt_files_capture() - record the descriptors of a parked process, with
 *	its LOCKS and TTY records
 * @ts: the process
 * @set: the descriptions and objects earlier records named
 * @extack: receives the reason, pid and descriptor on failure
 *
 * Return: 0 or a negative errno.
 */
int ckpt_files_capture(struct ckpt_task_snap *ts, struct ckpt_file_set *set,
		       struct netlink_ext_ack *extack)
{
	struct ckpt_lock_list locks = {};
	struct ckpt_tty_list ttys = {};
	unsigned int fd = 0;
	struct file *file;
	char *pathbuf;
	bool cloexec;
	int ret = 0;

	pathbuf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!pathbuf)
		return -ENOMEM;
	while ((file = next_file(ts->task, &fd, &cloexec))) {
		ret = record_fd(ts, set, &locks, &ttys, file, fd, cloexec,
				pathbuf, extack);
		fput(file);
		if (ret)
			break;
		fd++;
	}
	if (!ret)
		ret = ckpt_locks_record(&ts->locks, &locks);
	if (!ret)
		ret = ckpt_tty_record(ts, &ttys, set);
	ckpt_locks_free(&locks);
	ckpt_tty_free(&ttys);
	kfree(pathbuf);
	return ret;
}
