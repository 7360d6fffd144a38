// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: TCP and UDP sockets. Each is made again with socket()
 * and the options that must precede bind() (IPV6_V6ONLY, SO_REUSEPORT),
 * bound to its recorded address, then listens with its backlog (TCP) or
 * connects to its recorded peer (UDP, or an established TCP connection
 * in TCP repair mode, its queues filled again); TCP_NODELAY and the
 * keepalive settings follow. Once every description exists, repair mode
 * ends and each socket must report
 * the addresses it had. A connection whose peer is outside the image
 * (CKPT_SK_TCP_OUTSIDE) is made the same way: its peer address is simply
 * not a socket of ours, and the module's hold of its four-tuple (which
 * kept the peer's segments from the old socket) ends just before repair
 * mode does, so that the window probe and the peer's retransmissions
 * reach the new socket. The options every family keeps are set by
 * libckpt_rst_sock_options() after that.
 */
#include <errno.h>
#include <stdbool.h>
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
static int bind_inet(int fd, const struct ckpt_fd_socket *st, bool repair)
{
	struct sockaddr_storage ss = { 0 };
	bool borrow = !(st->flags & CKPT_SK_REUSEADDR) && !repair;
	int ret = 0;

	memcpy(&ss, st->addr, st->addr_len);
	/* Its address came with connect(), which chooses it again. */
	if ((st->flags & CKPT_SK_ADDR_AUTO) && ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (st->flags & CKPT_SK_ADDR_AUTO)
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_any;
	/*
	 * In repair mode sk_reuse is SK_FORCE_REUSE: no bind conflict at all.
	 * Otherwise SO_REUSEADDR goes on before bind() whether it is borrowed
	 * or recorded: the options every socket keeps come only later.
	 */
	if (!repair && (borrow || (st->flags & CKPT_SK_REUSEADDR)))
		ret = set_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (!ret && bind(fd, (const struct sockaddr *)&ss, st->addr_len))
		ret = -errno;
	if (!ret && borrow)
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

static int set_queue_seq(int fd, int queue, uint32_t seq)
{
	int ret = set_opt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, queue);

	return ret ? ret : set_opt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, (int)seq);
}

/*
 * Write @len bytes into the queue TCP_REPAIR_QUEUE selected: in repair
 * mode a send() on the send queue is taken as sent and not acknowledged
 * (6.1 tcp_write_xmit()), on the receive queue as received
 * (tcp_send_rcvq()). A send queue longer than the new socket's buffer
 * makes the buffer larger (SO_SNDBUFFORCE), which then stays fixed.
 */
static int fill_queue(int fd, const char *buf, uint32_t len)
{
	int big = (int)(len < (1U << 28) ? 2 * len + (64 << 10) : 1 << 29);
	uint32_t off = 0;
	bool forced = false;
	ssize_t n;

	while (off < len) {
		n = send(fd, buf + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN && !forced) {
			forced = true;
			if (!setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)))
				continue;
		}
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (uint32_t)n;
	}
	return 0;
}

/*
 * An established TCP connection, both ends in the image, made again in
 * repair mode (6.1 do_tcp_setsockopt(): TCP_REPAIR gives the socket
 * SK_FORCE_REUSE, so it binds beside its listener; TCP_QUEUE_SEQ is taken
 * only before connect(); connect() then sends nothing and the connection
 * is established at once (tcp_connect()); TCP_REPAIR_OPTIONS only before
 * any byte is queued; TCP_REPAIR_WINDOW checks rcv_wup against rcv_nxt,
 * so after the receive queue is filled). Repair mode stays on until every
 * socket exists (libckpt_rst_finish_inet()): until then neither end
 * answers the other.
 */
static int repair_begin(int fd, const struct ckpt_sock_tcp *t)
{
	int ret = set_opt(fd, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_ON);

	if (!ret)
		ret = set_queue_seq(fd, TCP_SEND_QUEUE, t->snd_una);
	if (!ret)
		ret = set_queue_seq(fd, TCP_RECV_QUEUE, t->copied_seq);
	return ret;
}

static int repair_fill(const struct rst_sock *s, int fd)
{
	const struct ckpt_sock_tcp *t = s->tcp;
	struct tcp_repair_window w = {
		.snd_wl1 = t->snd_wl1, .snd_wnd = t->snd_wnd,
		.max_window = t->max_window, .rcv_wnd = t->rcv_wnd,
		.rcv_wup = t->rcv_wup,
	};
	struct tcp_repair_opt o[4];
	struct ckpt_sock_msg m;
	unsigned int n = 0;
	uint32_t off = 0, i;
	int ret = 0;

	o[n++] = (struct tcp_repair_opt){ TCPOPT_MAXSEG, t->mss_clamp };
	if (t->opts & CKPT_TCP_WSCALE)
		o[n++] = (struct tcp_repair_opt){ TCPOPT_WINDOW,
						  t->snd_wscale | ((uint32_t)t->rcv_wscale << 16) };
	if (t->opts & CKPT_TCP_SACK)
		o[n++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERMITTED, 0 };
	if (t->opts & CKPT_TCP_TSTAMP)
		o[n++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, o, n * sizeof(o[0])))
		return -errno;
	for (i = 0; !ret && i < s->st.nr_msgs; i++) {
		memcpy(&m, s->msgs + off, sizeof(m));
		off += sizeof(m);
		ret = set_opt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE,
			      m.queue == CKPT_SKQ_SEND ? TCP_SEND_QUEUE : TCP_RECV_QUEUE);
		if (!ret)
			ret = fill_queue(fd, s->msgs + off, m.len);
		off += m.len;
	}
	if (!ret && setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)))
		ret = -errno;
	if (!ret && (t->opts & CKPT_TCP_TSTAMP))
		ret = set_opt(fd, IPPROTO_TCP, TCP_TIMESTAMP, (int)t->timestamp);
	if (!ret)
		ret = set_opt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
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
	    (st->type == SOCK_STREAM && st->state == CKPT_SK_CONNECTED && !s->tcp))
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
	if (s->tcp) {
		ret = repair_begin(fd, s->tcp);
		if (ret)
			return inet_fail(tr, s, ret, "cannot put it in TCP repair mode");
	}
	if (st->flags & CKPT_SK_BOUND)
		ret = bind_inet(fd, st, s->tcp != NULL);
	if (ret)
		return inet_fail(tr, s, ret, "cannot bind it to its address again");
	if (st->state == CKPT_SK_LISTEN && listen(fd, (int)st->backlog))
		return inet_fail(tr, s, -errno, "cannot listen again");
	if (st->state == CKPT_SK_CONNECTED &&
	    connect(fd, (const struct sockaddr *)st->peer_addr, st->peer_addr_len))
		return inet_fail(tr, s, -errno, "cannot connect it to its peer again");
	if (s->tcp) {
		ret = repair_fill(s, fd);
		if (ret)
			return inet_fail(tr, s, ret, "cannot give its connection its state again");
	}
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

/*
 * The old socket of @fd's connection was held by the module of this host
 * (CKPT_A_TCP_ESTABLISHED): end the hold, now that @fd owns the
 * four-tuple. On another host no hold names it, which is no error.
 */
static int end_hold(int fd)
{
	struct libckpt *h;
	struct nl_msg *msg;
	int ret = libckpt_open(&h);

	if (ret)
		return ret;
	msg = libckpt_msg_new(h, CKPT_CMD_TCP_RELEASE, 0);
	if (!msg || nla_put_u32(msg, CKPT_A_SOCK_FD, (uint32_t)fd) < 0) {
		nlmsg_free(msg);
		libckpt_close(h);
		return -ENOMEM;
	}
	ret = libckpt_transact(h, msg, NULL, NULL);
	libckpt_close(h);
	return ret;
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

	int ret = (st->flags & CKPT_SK_TCP_OUTSIDE) ? end_hold(s->fd) : 0;

	if (ret)
		return inet_fail(tr, s, ret, "the module cannot end the hold of its connection");
	/* Every end exists with its queues: let them talk (a window probe). */
	ret = s->tcp ? set_opt(s->fd, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF) : 0;
	if (ret)
		return inet_fail(tr, s, ret, "cannot leave TCP repair mode");
	if (((st->flags & CKPT_SK_BOUND) && !same_name(s->fd, false, st->addr, st->addr_len)) ||
	    (st->state == CKPT_SK_CONNECTED &&
	     !same_name(s->fd, true, st->peer_addr, st->peer_addr_len)))
		return inet_fail(tr, s, -EADDRNOTAVAIL, "it comes back with other addresses");
	return 0;
}
