/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Sockets: which can be checkpointed, their state, and their peer
 * credentials given back at restore.
 */
#ifndef CKPT_SOCK_H
#define CKPT_SOCK_H

#include <linux/pid.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct ckpt_fd_socket;
struct ckpt_rec_fd;
struct file;
struct netlink_ext_ack;
struct sock;
struct task_struct;

/**
 * struct ckpt_sock_ctx - what judging one socket needs to know
 * @held: inode numbers of every socket the group holds, or NULL when
 *	@wanted collects the sockets that must be held instead (the capture,
 *	which judges them once every process is recorded)
 * @wanted: socket inode numbers a peer or a queued datagram names, valued
 *	by the pid that names them (xa_mk_value), or NULL with @held
 * @pgrp: the group's process group or session
 * @gtype: PIDTYPE_PGID or PIDTYPE_SID
 * @tcp_established: a TCP connection whose peer is not a socket of the
 *	group is carried (CKPT_SK_TCP_OUTSIDE), not refused
 * @group: with @tcp_established and @wanted, every socket the group
 *	holds (inode numbers), known before any is recorded
 * @tcp_hold: the job that holds such connections from their capture on
 *	(tcpx.c), or 0
 */
struct ckpt_sock_ctx {
	struct xarray *held;
	struct xarray *wanted;
	struct pid *pgrp;
	enum pid_type gtype;
	bool tcp_established;
	struct xarray *group;
	u64 tcp_hold;
};

const char *ckpt_sock_classify(struct file *file);
int ckpt_sock_check(struct task_struct **tasks, unsigned int n,
		    struct pid *pgrp, enum pid_type gtype, bool tcp_established,
		    struct netlink_ext_ack *extack);
int ckpt_sock_collect(struct task_struct *task, struct xarray *group);
int ckpt_sock_record(struct task_struct *task, struct file *file, pid_t pid,
		     int fd, bool first,
		     struct ckpt_sock_ctx *ctx, struct ckpt_rec_fd *rec,
		     void **data, struct netlink_ext_ack *extack);
int ckpt_sock_check_wanted(struct xarray *held, struct xarray *wanted,
			   struct netlink_ext_ack *extack);
int ckpt_sock_set_peer(int fd, struct task_struct *t);

/* sock_inet.c: TCP and UDP over IPv4 and IPv6. */
const char *ckpt_sock_inet_classify(struct sock *sk);
const char *ckpt_sock_inet_state(struct sock *sk, struct ckpt_fd_socket *st,
				 const struct ckpt_sock_ctx *c,
				 void **msgs, u32 *len);

#endif /* CKPT_SOCK_H */
