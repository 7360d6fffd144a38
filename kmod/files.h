/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * File descriptor tables: what can be checkpointed, and its records.
 */
#ifndef CKPT_FILES_H
#define CKPT_FILES_H

#include <linux/pid.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct ckpt_task_snap;
struct netlink_ext_ack;
struct task_struct;

/**
 * struct ckpt_file_set - what the FD records of one snapshot already name
 * @files: open file descriptions seen, keyed by their address divided by
 *	sizeof(struct file), valued by their file id (xa_mk_value)
 * @objects: inodes whose bytes (pipe or FIFO buffer, deleted file or
 *	memfd contents) a record already carries, keyed the same way by
 *	sizeof(struct inode)
 * @ttys: terminals whose settings a TTY record already carries, keyed by
 *	the rdev the record names them by
 * @sock_held: inode numbers of the sockets recorded
 * @sock_wanted: inode numbers of sockets their peers and queued datagrams
 *	name, by the pid naming them (sock.c), which @sock_held must hold
 * @nr_files: file ids given so far (the last one)
 * @ghost_limit: largest deleted file or memfd carried whole
 * @pgrp: the group's process group or session (referenced by the freeze)
 * @type: PIDTYPE_PGID or PIDTYPE_SID
 * @tcp_established: TCP connections to peers outside the group are
 *	carried (CKPT_A_TCP_ESTABLISHED)
 * @tcp_hold: the job that holds them from their capture on, or 0
 * @sock_group: with @tcp_established, every socket the parked group
 *	holds, collected before any is recorded (sock.c tells a peer outside
 *	the group by it)
 *
 * Only addresses are compared, never dereferenced: the group is parked,
 * so every file and inode seen stays referenced by its descriptor table
 * until the capture ends.
 */
struct ckpt_file_set {
	struct xarray files;
	struct xarray objects;
	struct xarray ttys;
	struct xarray sock_held;
	struct xarray sock_wanted;
	u32 nr_files;
	u64 ghost_limit;
	struct pid *pgrp;
	enum pid_type type;
	bool tcp_established;
	u64 tcp_hold;
	struct xarray sock_group;
};

void ckpt_file_set_init(struct ckpt_file_set *set, u64 ghost_limit,
			struct pid *pgrp, enum pid_type type);
void ckpt_file_set_free(struct ckpt_file_set *set);
int ckpt_files_check(struct task_struct *p, pid_t pid, u64 ghost_limit,
		     struct pid *pgrp, enum pid_type type,
		     struct netlink_ext_ack *extack);
int ckpt_files_capture(struct ckpt_task_snap *ts, struct ckpt_file_set *set,
		       struct netlink_ext_ack *extack);

#endif /* CKPT_FILES_H */
