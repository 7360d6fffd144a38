// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: TCP and UDP sockets. Each is made again with socket()
 * and the options that must precede bind() (IPV6_V6ONLY, SO_REUSEPORT),
 * bound to its recorded address, then listens with its backlog (TCP) or
 * connects to its recorded peer (UDP); TCP_NODELAY and the keepalive
 * settings follow. Once every description exists, each socket must report
 * the addresses it had. The options every family keeps are set by
 * libckpt_rst_sock_options() after that.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "restore.h"

static int inet_fail(const struct tree *tr, const struct rst_sock *s, int err,
		     const char *what)
{
	return fail(tr->e, err, "pid %u fd %d: socket:[%llu]: %s: %s", s->pid, s->fd_no,
		    (unsigned long long)s->st.ino, what, strerror(-err));
}

static int set_opt(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) ? -errno : 0;
}

/*
 * Bind @fd to @st's address. A socket whose recorded SO_REUSEADDR is off
 * takes it for the bind only: a connection of the checkpointed process
 * that was closed by the checkpoint (--kill) may still be in TIME_WAIT on
 * the port, and sk_reuse is looked at only when a socket binds (6.1
 * inet_csk_bind_conflict()), so clearing it afterwards leaves the socket
 * as it was. A TIME_WAIT socket whose own SO_REUSEADDR was off still
 * blocks the bind (EADDRINUSE).
 */
static int bind_inet(int fd, const struct ckpt_fd_socket *st)
{
	struct sockaddr_storage ss = { 0 };
	int ret = 0;

	memcpy(&ss, st->addr, st->addr_len);
	/* Its address came with connect(), which chooses it again. */
	if ((st->flags & CKPT_SK_ADDR_AUTO) && ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (st->flags & CKPT_SK_ADDR_AUTO)
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_any;
	if (!(st->flags & CKPT_SK_REUSEADDR))
		ret = set_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (!ret && bind(fd, (const struct sockaddr *)&ss, st->addr_len))
		ret = -errno;
	if (!ret && !(st->flags & CKPT_SK_REUSEADDR))
		ret = set_opt(fd, SOL_SOCKET, SO_REUSEADDR, 0);
	return ret;
}

/* TCP_NODELAY and the keepalive settings (0: the sysctl's, left alone). */
static int tcp_options(int fd, const struct ckpt_fd_socket *st)
{
	int ret = 0;

	if (st->flags & CKPT_SK_NODELAY)
		ret = set_opt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	if (!ret && st->keepidle)
		ret = set_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE, (int)st->keepidle);
	if (!ret && st->keepintvl)
		ret = set_opt(fd, IPPROTO_TCP, TCP_KEEPINTVL, (int)st->keepintvl);
	if (!ret && st->keepcnt)
		ret = set_opt(fd, IPPROTO_TCP, TCP_KEEPCNT, (int)st->keepcnt);
	return ret;
}

/**
 * libckpt_rst_make_inet() - make a TCP or UDP socket again
 * @tr: the restore
 * @s: the socket; @s->fd receives it
 *
 * Return: 0 or a negative errno after fail().
 */
int libckpt_rst_make_inet(struct tree *tr, struct rst_sock *s)
{
	const struct ckpt_fd_socket *st = &s->st;
	int fd, ret = 0;

	if ((st->family != AF_INET && st->family != AF_INET6) ||
	    (st->type == SOCK_STREAM ? st->protocol != IPPROTO_TCP :
	     st->type != SOCK_DGRAM || st->protocol != IPPROTO_UDP) ||
	    (st->type == SOCK_DGRAM && st->state == CKPT_SK_LISTEN) ||
	    (st->type == SOCK_STREAM && st->state == CKPT_SK_CONNECTED))
		return inet_fail(tr, s, -EOPNOTSUPP, "a kind of IP socket this library cannot make");
	if (((st->flags & CKPT_SK_BOUND) && st->addr_len < sizeof(sa_family_t)) ||
	    (st->state == CKPT_SK_CONNECTED && st->peer_addr_len < sizeof(sa_family_t)))
		return inet_fail(tr, s, -EBADMSG, "its recorded address is missing");
	fd = socket(st->family, st->type | SOCK_CLOEXEC, st->protocol);
	if (fd < 0)
		return inet_fail(tr, s, -errno, "cannot make it");
	s->fd = fd;
	/* Both refused once the socket is bound (6.1 do_ipv6_setsockopt(), sk_reuseport). */
	if (st->family == AF_INET6)
		ret = set_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, !!(st->flags & CKPT_SK_V6ONLY));
	if (!ret && (st->flags & CKPT_SK_REUSEPORT))
		ret = set_opt(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (!ret && st->type == SOCK_STREAM)
		ret = tcp_options(fd, st);
	if (ret)
		return inet_fail(tr, s, ret, "cannot set its options again");
	if (st->flags & CKPT_SK_BOUND)
		ret = bind_inet(fd, st);
	if (ret)
		return inet_fail(tr, s, ret, "cannot bind it to its address again");
	if (st->state == CKPT_SK_LISTEN && listen(fd, (int)st->backlog))
		return inet_fail(tr, s, -errno, "cannot listen again");
	if (st->state == CKPT_SK_CONNECTED &&
	    connect(fd, (const struct sockaddr *)st->peer_addr, st->peer_addr_len))
		return inet_fail(tr, s, -errno, "cannot connect it to its peer again");
	return 0;
}

/* Does @fd report @addr as its own (or its peer's) address? */
static bool same_name(int fd, bool peer, const uint8_t *addr, uint32_t len)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (peer ? getpeername(fd, (struct sockaddr *)&ss, &l) :
		   getsockname(fd, (struct sockaddr *)&ss, &l))
		return false;
	return l == len && !memcmp(&ss, addr, len);
}

/**
 * libckpt_rst_finish_inet() - every description made: check the addresses
 * @tr: the restore
 * @s: a TCP or UDP socket made by libckpt_rst_make_inet()
 *
 * Return: 0 or a negative errno after fail().
 */
int libckpt_rst_finish_inet(struct tree *tr, struct rst_sock *s)
{
	const struct ckpt_fd_socket *st = &s->st;

	if (((st->flags & CKPT_SK_BOUND) && !same_name(s->fd, false, st->addr, st->addr_len)) ||
	    (st->state == CKPT_SK_CONNECTED &&
	     !same_name(s->fd, true, st->peer_addr, st->peer_addr_len)))
		return inet_fail(tr, s, -EADDRNOTAVAIL, "it comes back with other addresses");
	return 0;
}
