// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * File descriptor tables: which descriptors can be checkpointed (checked
 * before any freeze, so a refusal never touches the group), and their FD
 * records (regular files and directories by path and identity, pipes with
 * their buffered data, terminals, /dev/null-like devices).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kdev_t.h>
#include <linux/magic.h>
#include <linux/major.h>
#include <linux/netlink.h>
#include <linux/pipe_fs_i.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/ckpt_image.h>

#include "anonfd.h"
#include "files.h"
#include "group.h"
#include "snap.h"

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
	/* TTYAUX: /dev/tty 0, /dev/console 1; minor 2 is /dev/ptmx. */
	if (major == TTYAUX_MAJOR)
		return minor == 0 || minor == 1;
	return major >= UNIX98_PTY_SLAVE_MAJOR &&
	       major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT;
}

/*
 * Classify @file; on refusal set *@why to a string literal. Never sleeps:
 * called under RCU by the pre-freeze check.
 */
static int classify(struct file *file, u32 *type, const char **why)
{
	struct inode *inode = file_inode(file);
	unsigned long magic = inode->i_sb->s_magic;
	umode_t mode = inode->i_mode;

	if (S_ISSOCK(mode) || magic == SOCKFS_MAGIC) {
		*why = "file descriptor is a socket: sockets are not supported";
		return -EINVAL;
	}
	if (magic == ANON_INODE_FS_MAGIC)
		return ckpt_anonfd_classify(file, type, why);
	if (S_ISREG(mode)) {
		*type = CKPT_FD_REG;
		return 0;
	}
	if (S_ISDIR(mode)) {
		*type = CKPT_FD_DIR;
		return 0;
	}
	if (S_ISFIFO(mode)) {
		if (magic == PIPEFS_MAGIC && file->private_data) {
			*type = CKPT_FD_PIPE;
			return 0;
		}
		*why = "file descriptor is a named FIFO: not supported";
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
	*why = "file descriptor is a device or special file that is not supported";
	return -EINVAL;
}

/**
 * ckpt_files_check() - refuse a process whose descriptors cannot be captured
 * @p: the process
 * @pid: its pid as the caller sees it
 * @extack: receives the reason, the pid and the descriptor
 *
 * Called under rcu_read_lock(), before any freeze.
 *
 * Return: 0 or -EINVAL.
 */
int ckpt_files_check(struct task_struct *p, pid_t pid,
		     struct netlink_ext_ack *extack)
{
	const char *why = NULL;
	struct file *file;
	unsigned int fd;
	u32 type;

	for (fd = 0; (file = task_lookup_next_fd_rcu(p, &fd)); fd++) {
		if (classify(file, &type, &why)) {
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
 * ckpt_pipe_set_add() - remember one more object in a set
 * @seen: the set
 * @obj: a pipe_inode_info, or the file of a descriptor object
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_pipe_set_add(struct ckpt_pipe_set *seen, const void *obj)
{
	const void **pipes;

	if (seen->nr == seen->cap) {
		pipes = krealloc_array(seen->pipes, seen->cap * 2 + 8,
				       sizeof(*pipes), GFP_KERNEL);
		if (!pipes)
			return -ENOMEM;
		seen->pipes = pipes;
		seen->cap = seen->cap * 2 + 8;
	}
	seen->pipes[seen->nr++] = obj;
	return 0;
}

/* 1 if @pipe was seen before, 0 if now added, or -ENOMEM. */
static int pipe_seen(struct ckpt_pipe_set *seen, const void *pipe)
{
	unsigned int i;

	for (i = 0; i < seen->nr; i++)
		if (seen->pipes[i] == pipe)
			return 1;
	return ckpt_pipe_set_add(seen, pipe);
}

void ckpt_pipe_set_free(struct ckpt_pipe_set *seen)
{
	kfree(seen->pipes);
	memset(seen, 0, sizeof(*seen));
}

/*
 * Copy a pipe's buffered bytes without consuming them. The group is
 * parked; pipe_lock() keeps out writers and readers outside it.
 */
static void *pipe_contents(struct pipe_inode_info *pipe, u32 *len, u32 *cap)
{
	unsigned int head, tail, mask;
	size_t total = 0, off = 0;
	char *data;

	pipe_lock(pipe);
	head = pipe->head;
	tail = pipe->tail;
	mask = pipe->ring_size - 1;
	*cap = pipe->max_usage * PAGE_SIZE;
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

static int record_fd(struct ckpt_task_snap *ts, struct ckpt_pipe_set *seen,
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
	void *data = NULL;
	int ret;

	/* The pre-freeze check ran, but the table may have changed since. */
	ret = classify(file, &rec.type, &why);
	if (ret) {
		ckpt_err_set_fd(extack, ts->rec.pid, fd, why);
		return ret;
	}
	if (rec.type == CKPT_FD_PIPE) {
		ret = pipe_seen(seen, file->private_data);
		if (ret < 0)
			return ret;
		if (!ret) {
			data = pipe_contents(file->private_data, &rec.data_len,
					     &rec.pipe_size);
			if (!data)
				return -ENOMEM;
			rec.flags |= CKPT_FD_PIPE_DATA;
		}
	} else if (rec.type >= CKPT_FD_EVENTFD) {
		ret = ckpt_anonfd_record(ts, seen, file, fd, &rec, &data,
					 extack);
		if (ret)
			return ret;
	} else {
		path = d_path(&file->f_path, pathbuf, PATH_MAX);
		if (IS_ERR(path)) {
			ckpt_err_set_fd(extack, ts->rec.pid, fd,
					"path of an open file is too long");
			return PTR_ERR(path);
		}
		if (d_unlinked(file->f_path.dentry))
			rec.flags |= CKPT_FD_DELETED;
		rec.path_len = strlen(path);
	}
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
 * ckpt_files_capture() - record the descriptors of a parked process
 * @ts: the process
 * @seen: pipes whose data an earlier record already carries
 * @extack: receives the reason, pid and descriptor on failure
 *
 * Return: 0 or a negative errno.
 */
int ckpt_files_capture(struct ckpt_task_snap *ts, struct ckpt_pipe_set *seen,
		       struct netlink_ext_ack *extack)
{
	unsigned int fd = 0;
	struct file *file;
	char *pathbuf;
	bool cloexec;
	int ret = 0;

	pathbuf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!pathbuf)
		return -ENOMEM;
	while ((file = next_file(ts->task, &fd, &cloexec))) {
		ret = record_fd(ts, seen, file, fd, cloexec, pathbuf, extack);
		fput(file);
		if (ret)
			break;
		fd++;
	}
	kfree(pathbuf);
	return ret;
}
