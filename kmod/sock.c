// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Sockets: which ones a checkpoint can carry, judged before any freeze
 * (ckpt_sock_check(), the group pass of ckpt_group_check()) and again with
 * the group parked; their state, which the first FD record of a socket's
 * description carries (struct ckpt_fd_socket, then its queued messages);
 * and, at restore, SO_PEERCRED given back (ckpt_sock_set_peer()). Unix
 * sockets here; TCP and UDP in sock_inet.c.
 *
 * A Unix socket's peer, and the sender of every datagram queued on it,
 * must be a socket the group holds: the restore makes the two ends again
 * as one connection and sends the queued bytes again through the sender.
 * Sockets name each other by inode number (get_next_ino(), unique while
 * they live), as /proc/PID/fd and sock_diag do.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs_struct.h>
#include <linux/namei.h>
#include <linux/net.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/un.h>
#include <linux/user_namespace.h>
#include <net/af_unix.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <linux/ckpt.h>
#include <linux/ckpt_image.h>

#include "group.h"
#include "sock.h"

/* Refusals of a socket's kind, before anything else is looked at. */
static const char *family_refusal(int family)
{
	switch (family) {
	case AF_NETLINK:
		return "netlink socket: not supported";
	case AF_PACKET:
		return "packet socket: not supported";
	case AF_VSOCK:
		return "vsock socket: not supported";
	case AF_ALG:
		return "crypto API (AF_ALG) socket: not supported";
	default:
		return "socket of an address family that is not supported";
	}
}

/**
 * ckpt_sock_classify() - may a checkpoint carry this socket at all?
 * @file: a socket's file
 *
 * Judges only the socket's kind; ckpt_sock_check() judges its state.
 * Never sleeps: the pre-freeze check calls it under RCU.
 *
 * Return: NULL, or why not (a string literal).
 */
const char *ckpt_sock_classify(struct file *file)
{
	struct socket *sock = sock_from_file(file);
	struct sock *sk = sock ? sock->sk : NULL;

	if (!sk)
		return "socket without protocol state: not supported";
	if (!net_eq(sock_net(sk), current->nsproxy->net_ns))
		return "socket of another network namespace: not supported";
	switch (sk->sk_family) {
	case AF_UNIX:
		if (sk->sk_type == SOCK_STREAM || sk->sk_type == SOCK_DGRAM ||
		    sk->sk_type == SOCK_SEQPACKET)
			return NULL;
		return "Unix socket of an unknown type: not supported";
	case AF_INET:
	case AF_INET6:
		return ckpt_sock_inet_classify(sk);
	default:
		return family_refusal(sk->sk_family);
	}
}

/* A socket's inode number; @sk is referenced (a peer, a sender). */
static unsigned long sk_ino(struct sock *sk)
{
	struct socket *sock;
	unsigned long ino = 0;

	/* sockfs frees its inodes after a grace period (sock_free_inode()). */
	rcu_read_lock();
	sock = READ_ONCE(sk->sk_socket);
	if (sock)
		ino = SOCK_INODE(sock)->i_ino;
	rcu_read_unlock();
	return ino;
}

/* Options every family keeps in struct sock and struct socket. */
static const char *common_options(struct socket *sock, struct sock *sk,
				  struct ckpt_fd_socket *st)
{
	long timeo;

	if (rcu_access_pointer(sk->sk_filter))
		return "a socket filter is attached (SO_ATTACH_FILTER): not supported";
	if (sock_flag(sk, SOCK_RCVTSTAMP) || sock_flag(sk, SOCK_RCVTSTAMPNS) ||
	    READ_ONCE(sk->sk_tsflags))
		return "receive timestamps are on (SO_TIMESTAMP*): not supported";
	if (test_bit(SOCK_PASSSEC, &sock->flags))
		return "SO_PASSSEC is on: not supported";
	if (READ_ONCE(sk->sk_peek_off) >= 0)
		return "a peek offset is set (SO_PEEK_OFF): not supported";
	if (READ_ONCE(sk->sk_err) && READ_ONCE(sk->sk_err) != ECONNRESET)
		return "an error is pending on it (SO_ERROR): not supported";
	if (READ_ONCE(sk->sk_err) == ECONNRESET)
		st->flags |= CKPT_SK_ERR_RESET;
	if (test_bit(SOCK_PASSCRED, &sock->flags))
		st->flags |= CKPT_SK_PASSCRED;
	if (sk->sk_reuse)
		st->flags |= CKPT_SK_REUSEADDR;
	if (sk->sk_reuseport)
		st->flags |= CKPT_SK_REUSEPORT;
	if (sock_flag(sk, SOCK_KEEPOPEN))
		st->flags |= CKPT_SK_KEEPALIVE;
	if (sock_flag(sk, SOCK_BROADCAST))
		st->flags |= CKPT_SK_BROADCAST;
	if (sock_flag(sk, SOCK_URGINLINE))
		st->flags |= CKPT_SK_OOBINLINE;
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		st->flags |= CKPT_SK_SNDBUF;
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		st->flags |= CKPT_SK_RCVBUF;
	st->sndbuf = READ_ONCE(sk->sk_sndbuf);
	st->rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	st->rcvlowat = READ_ONCE(sk->sk_rcvlowat);
	st->mark = READ_ONCE(sk->sk_mark);
	st->priority = READ_ONCE(sk->sk_priority);
	if (sock_flag(sk, SOCK_LINGER)) {
		st->flags |= CKPT_SK_LINGER;
		st->linger_s = READ_ONCE(sk->sk_lingertime) / HZ;
	}
	/* As sock_get_timeout() reports them (6.1 net/core/sock.c). */
	timeo = READ_ONCE(sk->sk_rcvtimeo);
	if (timeo != MAX_SCHEDULE_TIMEOUT)
		st->rcvtimeo_us = (u64)(timeo / HZ) * USEC_PER_SEC +
				  ((timeo % HZ) * USEC_PER_SEC) / HZ;
	timeo = READ_ONCE(sk->sk_sndtimeo);
	if (timeo != MAX_SCHEDULE_TIMEOUT)
		st->sndtimeo_us = (u64)(timeo / HZ) * USEC_PER_SEC +
				  ((timeo % HZ) * USEC_PER_SEC) / HZ;
	if (sk->sk_shutdown & RCV_SHUTDOWN)
		st->flags |= CKPT_SK_SHUT_RD;
	if (sk->sk_shutdown & SEND_SHUTDOWN)
		st->flags |= CKPT_SK_SHUT_WR;
	return NULL;
}

static bool same_groups(const struct group_info *a, const struct group_info *b)
{
	int i;

	if (a == b)
		return true;
	if (a->ngroups != b->ngroups)
		return false;
	for (i = 0; i < a->ngroups; i++)
		if (!gid_eq(a->gid[i], b->gid[i]))
			return false;
	return true;
}

/*
 * SO_PEERCRED: the process that made the pair, connected or listened, as
 * init_peercred() took it (6.1 net/unix/af_unix.c). The restore gives the
 * socket that process's credentials again, so it must be a live process
 * of the group whose effective ids and groups are still those.
 */
static const char *peer_cred(struct sock *sk, const struct ckpt_sock_ctx *c,
			     struct ckpt_fd_socket *st)
{
	const struct cred *pc, *tc;
	const char *why = NULL;
	struct task_struct *t;

	spin_lock(&sk->sk_peer_lock);
	if (!sk->sk_peer_pid || !sk->sk_peer_cred)
		goto out;
	pc = sk->sk_peer_cred;
	st->flags |= CKPT_SK_PEERCRED;
	st->peer_pid = pid_nr_ns(sk->sk_peer_pid, task_active_pid_ns(current));
	st->peer_uid = from_kuid_munged(current_user_ns(), pc->euid);
	st->peer_gid = from_kgid_munged(current_user_ns(), pc->egid);
	rcu_read_lock();
	t = pid_task(sk->sk_peer_pid, PIDTYPE_TGID);
	if (!t || t->exit_state) {
		why = "SO_PEERCRED names a process that has exited";
	} else if (task_pid_type(t, c->gtype) != c->pgrp) {
		why = "SO_PEERCRED names a process outside the group";
	} else {
		tc = __task_cred(t);
		if (!uid_eq(tc->euid, pc->euid) || !gid_eq(tc->egid, pc->egid) ||
		    !same_groups(tc->group_info, pc->group_info))
			why = "SO_PEERCRED holds credentials its process no longer has";
	}
	rcu_read_unlock();
out:
	spin_unlock(&sk->sk_peer_lock);
	return why;
}

/* Note that the group must hold socket @ino (named by @pid), or judge it. */
static const char *want(const struct ckpt_sock_ctx *c, unsigned long ino,
			pid_t pid, const char *why)
{
	if (c->held)
		return xa_load(c->held, ino) ? NULL : why;
	if (xa_insert(c->wanted, ino, xa_mk_value(pid), GFP_KERNEL) == -ENOMEM)
		return "out of memory";
	return NULL;
}

/*
 * One pass over a Unix socket's receive queue under its lock: count the
 * messages and bytes, and copy them when @buf has room for them all. A
 * stream's first skb may be partly read (UNIXCB().consumed, 6.1
 * unix_stream_read_generic()).
 */
static const char *unix_queue(struct sock *sk, struct sock *peer, char *buf,
			      size_t cap, u32 *nr, size_t *bytes)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	bool stream = sk->sk_type == SOCK_STREAM;
	const char *why = NULL;
	struct sk_buff *skb;
	size_t off = 0;
	u32 n = 0;

	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		struct ckpt_sock_msg m = { .queue = CKPT_SKQ_RECV };
		u32 skip = stream ? UNIXCB(skb).consumed : 0;

		if (UNIXCB(skb).fp) {
			why = "descriptors in flight (SCM_RIGHTS) are queued on it: not supported";
			break;
		}
		m.len = skb->len - skip;
		if (sk->sk_type == SOCK_DGRAM && skb->sk != peer) {
			m.sender_ino = skb->sk ? sk_ino(skb->sk) : 0;
			if (!m.sender_ino) {
				why = "a datagram queued on it comes from a closed socket";
				break;
			}
		}
		if (buf) {
			if (off + sizeof(m) + m.len > cap) {
				why = "its queue grew during the checkpoint";
				break;
			}
			memcpy(buf + off, &m, sizeof(m));
			if (skb_copy_bits(skb, skip, buf + off + sizeof(m), m.len)) {
				why = "cannot read the data queued on it";
				break;
			}
		}
		off += sizeof(m) + m.len;
		n++;
	}
	spin_unlock(&q->lock);
	*nr = n;
	*bytes = off;
	return why;
}

/* The address @u is bound to, and its file if it names a path. */
static void unix_addr(struct unix_sock *u, u8 *addr, u32 *len,
		      struct ckpt_fd_socket *st, bool own)
{
	/* Pairs with unix_bind()'s smp_store_release() of the address. */
	struct unix_address *a = smp_load_acquire(&u->addr);
	struct inode *inode;

	if (!a)
		return;
	*len = min_t(u32, a->len, sizeof(st->addr));
	memcpy(addr, a->name, *len);
	if (!own || !u->path.dentry)
		return;
	inode = d_inode(u->path.dentry);
	st->path_mode = inode->i_mode & S_IALLUGO;
	st->path_uid = from_kuid_munged(current_user_ns(), inode->i_uid);
	st->path_gid = from_kgid_munged(current_user_ns(), inode->i_gid);
	if (d_unlinked(u->path.dentry))
		st->flags |= CKPT_SK_PATH_GONE;
}

static const char *unix_state(struct socket *sock, pid_t pid,
			      const struct ckpt_sock_ctx *c,
			      struct ckpt_fd_socket *st, void **msgs, u32 *len)
{
	struct sock *sk = sock->sk, *peer;
	struct unix_sock *u = unix_sk(sk);
	const char *why;
	size_t bytes;
	char *buf;
	u32 nr;

	why = common_options(sock, sk, st);
	if (why)
		return why;
#if IS_ENABLED(CONFIG_AF_UNIX_OOB)
	if (READ_ONCE(u->oob_skb))
		return "out-of-band data (MSG_OOB) is queued on it: not supported";
#endif
	unix_addr(u, st->addr, &st->addr_len, st, true);
	if (st->addr_len > sizeof(sa_family_t))
		st->flags |= CKPT_SK_BOUND;
	peer = unix_peer_get(sk);
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN) {
		st->state = CKPT_SK_LISTEN;
		st->backlog = READ_ONCE(sk->sk_max_ack_backlog);
		if (!skb_queue_empty_lockless(&sk->sk_receive_queue))
			why = "connections wait to be accepted on it: not supported";
	} else if (peer) {
		st->state = CKPT_SK_CONNECTED;
		unix_addr(unix_sk(peer), st->peer_addr, &st->peer_addr_len, st,
			  false);
		st->peer_ino = sk_ino(peer);
		/* An embryo has no socket until accept(), a closed peer is dead. */
		if (!st->peer_ino && !sock_flag(peer, SOCK_DEAD))
			why = "its connection waits to be accepted by a listener: not supported";
		else if (!st->peer_ino)
			st->flags |= CKPT_SK_PEER_GONE;
		else
			why = want(c, st->peer_ino, pid,
				   "its peer is a socket outside the group");
	} else {
		st->state = CKPT_SK_UNCONNECTED;
	}
	if (!why && (st->flags & CKPT_SK_ERR_RESET) &&
	    !(st->flags & CKPT_SK_PEER_GONE))
		why = "a connection reset is pending on it (SO_ERROR): not supported";
	if (!why)
		why = peer_cred(sk, c, st);
	if (why || st->state == CKPT_SK_LISTEN)
		goto out;
	/* Count, then copy: the group is parked, only outsiders may add. */
	why = unix_queue(sk, peer, NULL, 0, &nr, &bytes);
	/* The restore sends them again: SCM_CREDENTIALS would name it. */
	if (!why && nr && (st->flags & CKPT_SK_PASSCRED))
		why = "SO_PASSCRED is on with messages queued: not supported";
	if (why || !nr || !msgs)
		goto out;
	buf = kvmalloc(bytes, GFP_KERNEL);
	if (!buf) {
		why = "out of memory";
		goto out;
	}
	why = unix_queue(sk, peer, buf, bytes, &nr, &bytes);
	if (why) {
		kvfree(buf);
		goto out;
	}
	*msgs = buf;
	*len = bytes;
	st->nr_msgs = nr;
out:
	if (peer)
		sock_put(peer);
	return why;
}

/* The senders of queued datagrams must be held by the group, too. */
static const char *want_senders(const struct ckpt_sock_ctx *c, pid_t pid,
				const char *msgs, u32 len)
{
	struct ckpt_sock_msg m;
	const char *why = NULL;
	u32 off = 0;

	while (!why && off + sizeof(m) <= len) {
		memcpy(&m, msgs + off, sizeof(m));
		if (m.sender_ino)
			why = want(c, m.sender_ino, pid,
				   "a datagram queued on it comes from a socket outside the group");
		off += sizeof(m) + m.len;
	}
	return why;
}

/*
 * Judge @file's socket and take its state; with @msgs NULL only judge
 * (the queue is still walked for descriptors in flight and senders).
 */
static const char *sock_state(struct file *file, pid_t pid,
			      const struct ckpt_sock_ctx *c,
			      struct ckpt_fd_socket *st, void **msgs, u32 *len)
{
	struct socket *sock = sock_from_file(file);
	const char *why = ckpt_sock_classify(file);
	void *own = NULL;
	u32 own_len = 0;

	if (why)
		return why;
	st->family = sock->sk->sk_family;
	st->type = sock->sk->sk_type;
	st->protocol = sock->sk->sk_protocol;
	st->ino = SOCK_INODE(sock)->i_ino;
	if (st->family != AF_UNIX) {
		why = common_options(sock, sock->sk, st);
		if (!why)
			why = ckpt_sock_inet_state(sock->sk, st, c,
						   msgs ? &own : NULL, &own_len);
		/* A TCP connection's other end. */
		if (!why && st->peer_ino)
			why = want(c, st->peer_ino, pid,
				   "its peer is a socket outside the group");
		if (!why && msgs) {
			*msgs = own;
			*len = own_len;
			return NULL;
		}
		kvfree(own);
		return why;
	}
	why = unix_state(sock, pid, c, st, &own, &own_len);
	if (!why && own)
		why = want_senders(c, pid, own, own_len);
	if (!why && msgs) {
		*msgs = own;
		*len = own_len;
		return NULL;
	}
	kvfree(own);
	return why;
}

static const char *type_name(u16 type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "datagram";
	case SOCK_SEQPACKET:
		return "seqpacket";
	default:
		return "other";
	}
}

/* "fd N: <family> <type> socket <address>: <why>", with the fd cookie. */
static void refuse(struct netlink_ext_ack *extack, pid_t pid, int fd,
		   const struct ckpt_fd_socket *st, const char *why)
{
	char name[112] = "";
	u32 n = 0;

	if (st->family == AF_UNIX && st->addr_len > sizeof(sa_family_t)) {
		const char *p = (const char *)st->addr + sizeof(sa_family_t);

		n = st->addr_len - sizeof(sa_family_t);
		if (p[0])
			snprintf(name, sizeof(name), " %.*s", (int)min_t(u32, n, 100), p);
		else
			snprintf(name, sizeof(name), " @%.*s",
				 (int)min_t(u32, n - 1, 100), p + 1);
	} else if (st->family != AF_UNIX && st->addr_len) {
		snprintf(name, sizeof(name), " %pISpc", st->addr);
	}
	ckpt_err_setf(extack, pid, 0, "%s %s socket%s (socket:[%llu]): %s",
		      st->family == AF_UNIX ? "unix" :
		      st->family == AF_INET ? "IPv4" :
		      st->family == AF_INET6 ? "IPv6" : "a",
		      type_name(st->type), name, st->ino, why);
	if (extack)
		((struct ckpt_err_cookie *)extack->cookie)->fd = fd;
}

/* The next socket at or after *@fd of @p, referenced. */
static struct file *next_socket(struct task_struct *p, unsigned int *fd)
{
	struct file *file;

	rcu_read_lock();
	for (; (file = task_lookup_next_fd_rcu(p, fd)); (*fd)++)
		if (sock_from_file(file) && get_file_rcu(file))
			break;
	rcu_read_unlock();
	return file;
}

/**
 * ckpt_sock_collect() - note the inode numbers of a process's sockets
 * @task: the process
 * @group: receives them (xa_mk_value(1))
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_sock_collect(struct task_struct *task, struct xarray *group)
{
	unsigned int fd;
	struct file *file;
	int ret = 0;

	for (fd = 0; !ret && (file = next_socket(task, &fd)); fd++) {
		ret = xa_err(xa_store(group, file_inode(file)->i_ino,
				      xa_mk_value(1), GFP_KERNEL));
		fput(file);
	}
	return ret;
}

/**
 * ckpt_sock_check() - judge the group's sockets before it is parked
 * @tasks: the group's processes, referenced by the caller
 * @n: how many
 * @pgrp: the group's process group or session
 * @gtype: PIDTYPE_PGID or PIDTYPE_SID
 * @tcp_established: TCP connections to peers outside the group are
 *	carried (CKPT_A_TCP_ESTABLISHED)
 * @extack: receives the reason, the pid and the descriptor
 *
 * Sleeps (it copies nothing, but takes the group's sockets in a set).
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int ckpt_sock_check(struct task_struct **tasks, unsigned int n,
		    struct pid *pgrp, enum pid_type gtype, bool tcp_established,
		    struct netlink_ext_ack *extack)
{
	struct xarray held;
	struct ckpt_sock_ctx c = {
		.held = &held, .pgrp = pgrp, .gtype = gtype,
		.tcp_established = tcp_established,
	};
	unsigned int i, fd;
	struct file *file;
	int ret = 0;

	xa_init(&held);
	for (i = 0; !ret && i < n; i++)
		ret = ckpt_sock_collect(tasks[i], &held);
	for (i = 0; !ret && i < n; i++) {
		pid_t pid = task_pid_vnr(tasks[i]);

		for (fd = 0; !ret && (file = next_socket(tasks[i], &fd)); fd++) {
			struct ckpt_fd_socket st = {};
			const char *why = sock_state(file, pid, &c, &st, NULL, NULL);

			if (why) {
				refuse(extack, pid, fd, &st, why);
				ret = -EINVAL;
			}
			fput(file);
		}
	}
	xa_destroy(&held);
	return ret;
}

/*
 * A Unix socket bound by a relative name is bound again in the working
 * directory of the process whose record carries it: that name must still
 * find the socket's file from there.
 */
static const char *relative_name(struct task_struct *t, struct file *file,
				 const struct ckpt_fd_socket *st)
{
	struct unix_sock *u = unix_sk(sock_from_file(file)->sk);
	u32 len = st->addr_len - sizeof(sa_family_t);
	struct path pwd, found;
	const char *why = NULL;
	char *buf, *dir;
	size_t dlen;

	if (st->family != AF_UNIX || !(st->flags & CKPT_SK_BOUND) ||
	    (st->flags & CKPT_SK_PATH_GONE) || !st->addr[2] || st->addr[2] == '/')
		return NULL;
	task_lock(t);
	if (!t->fs) {
		task_unlock(t);
		return "bound by a relative name, in a process without a working directory";
	}
	get_fs_pwd(t->fs, &pwd);
	task_unlock(t);
	buf = kmalloc(PATH_MAX + sizeof(st->addr) + 1, GFP_KERNEL);
	if (!buf) {
		why = "out of memory";
		goto out;
	}
	/* "pwd/name", found as the restore will find it. */
	dir = d_path(&pwd, buf, PATH_MAX);
	if (IS_ERR(dir)) {
		why = "bound by a relative name, its working directory has no path";
		goto out_free;
	}
	dlen = strlen(dir);
	memmove(buf, dir, dlen);
	dir = buf + dlen;
	*dir++ = '/';
	memcpy(dir, st->addr + sizeof(sa_family_t), len);
	dir[len] = '\0';
	if (kern_path(buf, 0, &found)) {
		why = "bound by a relative name its working directory no longer finds";
		goto out_free;
	}
	if (found.dentry != u->path.dentry || found.mnt != u->path.mnt)
		why = "bound by a relative name that finds another file from its working directory";
	path_put(&found);
out_free:
	kfree(buf);
out:
	path_put(&pwd);
	return why;
}

/**
 * ckpt_sock_record() - a socket's FD record, with the parked group
 * @task: the process whose record it is
 * @file: the socket's file
 * @pid: the process, for messages
 * @fd: its descriptor
 * @first: the first record of this description: it carries the state
 * @ctx: @ctx->wanted collects the sockets peers and senders name
 * @rec: the record, its type and flags set here
 * @data: receives the state and queued messages (kvmalloc) when @first
 * @extack: receives the reason on refusal
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int ckpt_sock_record(struct task_struct *task, struct file *file, pid_t pid,
		     int fd, bool first,
		     struct ckpt_sock_ctx *ctx, struct ckpt_rec_fd *rec,
		     void **data, struct netlink_ext_ack *extack)
{
	struct ckpt_fd_socket st = {};
	void *msgs = NULL;
	const char *why;
	u32 len = 0;
	char *buf;

	/* A descriptor object's record: its state names the socket. */
	rec->ino = 0;
	rec->dev = 0;
	rec->rdev = 0;
	rec->mode = 0;
	rec->size = 0;
	rec->mtime_ns = 0;
	rec->pos = 0;
	if (!first)
		return 0;
	why = sock_state(file, pid, ctx, &st, &msgs, &len);
	if (!why)
		why = relative_name(task, file, &st);
	if (why) {
		refuse(extack, pid, fd, &st, why);
		return -EINVAL;
	}
	buf = kvmalloc(sizeof(st) + len, GFP_KERNEL);
	if (!buf) {
		kvfree(msgs);
		return -ENOMEM;
	}
	memcpy(buf, &st, sizeof(st));
	if (len)
		memcpy(buf + sizeof(st), msgs, len);
	kvfree(msgs);
	*data = buf;
	rec->data_len = sizeof(st) + len;
	rec->flags |= CKPT_FD_OBJ_STATE;
	return 0;
}

/**
 * ckpt_sock_check_wanted() - refuse a capture whose sockets name sockets
 *	no process of the group holds
 * @held: the inode numbers of the sockets recorded
 * @wanted: those their peers and queued datagrams named, by pid
 * @extack: receives the reason and the pid
 *
 * Return: 0 or -EINVAL.
 */
int ckpt_sock_check_wanted(struct xarray *held, struct xarray *wanted,
			   struct netlink_ext_ack *extack)
{
	unsigned long ino;
	void *v;

	xa_for_each(wanted, ino, v) {
		if (xa_load(held, ino))
			continue;
		ckpt_err_setf(extack, xa_to_value(v), 0,
			      "a socket's peer or a datagram's sender, socket:[%lu], is not held by the group",
			      ino);
		return -EINVAL;
	}
	return 0;
}

/**
 * ckpt_sock_set_peer() - give a restored Unix socket its SO_PEERCRED
 * @fd: the socket, in the caller's descriptor table
 * @t: the restored process whose pid and credentials it reports from now
 *	on (the caller may restore it, and it has taken its identity)
 *
 * As init_peercred() sets them for the process that made the pair,
 * connected or listened (6.1 net/unix/af_unix.c), under sk_peer_lock.
 *
 * Return: 0, -EBADF, -ENOTSOCK or -EINVAL (not a Unix socket).
 */
int ckpt_sock_set_peer(int fd, struct task_struct *t)
{
	const struct cred *cred, *old_cred;
	struct pid *pid, *old_pid;
	struct socket *sock;
	struct sock *sk;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	sk = sock->sk;
	if (!sk || sk->sk_family != AF_UNIX) {
		sockfd_put(sock);
		return -EINVAL;
	}
	pid = get_task_pid(t, PIDTYPE_TGID);
	cred = get_task_cred(t);
	spin_lock(&sk->sk_peer_lock);
	old_pid = sk->sk_peer_pid;
	old_cred = sk->sk_peer_cred;
	sk->sk_peer_pid = pid;
	sk->sk_peer_cred = cred;
	spin_unlock(&sk->sk_peer_lock);
	put_pid(old_pid);
	put_cred(old_cred);
	sockfd_put(sock);
	return 0;
}
