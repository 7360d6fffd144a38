// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: sockets. The controller makes them with the other
 * descriptions (libckpt_rst_make_sock()): a Unix connection's two ends at
 * once, as one socketpair(), or through a listener at the accepting end's
 * address so that both ends report the addresses they had; bound and
 * listening sockets at their address. Once every description exists
 * (libckpt_rst_sock_finish()) datagram sockets connect to their server,
 * every queue is filled again by sending its messages through their
 * sender, closed peers close again, shutdowns and options are applied and
 * the addresses checked. The module gives SO_PEERCRED back once every
 * process has its identity (libckpt_rst_sock_peers()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netlink/genl/genl.h>

#include "restore.h"

/* A sockaddr_un of only its family: unbound (unix_getname()). */
#define UNNAMED_LEN	sizeof(sa_family_t)

static struct rst_sock *sock_by_ino(const struct tree *tr, uint64_t ino)
{
	size_t i;

	for (i = 0; i < tr->nr_socks; i++)
		if (tr->socks[i].st.ino == ino)
			return &tr->socks[i];
	return NULL;
}

static int sock_fail(const struct tree *tr, const struct rst_sock *s, int err,
		     const char *what)
{
	return fail(tr->e, err, "pid %u fd %d: socket:[%llu]: %s: %s", s->pid, s->fd_no,
		    (unsigned long long)s->st.ino, what, strerror(-err));
}

/*
 * Every socket of the image, from the first record of its description,
 * and each Unix peer found among them.
 */
int libckpt_rst_sock_plan(struct tree *tr)
{
	size_t i, total = 0;
	uint32_t j;

	for (i = 0; i < tr->n; i++)
		total += tr->plans[i].task->rec.nr_fds;
	tr->socks = calloc(total ? total : 1, sizeof(*tr->socks));
	if (!tr->socks)
		return fail(tr->e, -ENOMEM, "out of memory");
	for (i = 0; i < tr->n; i++) {
		const struct libckpt_image_task *t = tr->plans[i].task;

		for (j = 0; j < t->rec.nr_fds; j++) {
			const struct libckpt_image_fd *f = &t->fds[j];
			struct rst_sock *s = &tr->socks[tr->nr_socks];

			if (f->rec.type != CKPT_FD_SOCKET ||
			    !(f->rec.flags & CKPT_FD_OBJ_STATE))
				continue;
			memcpy(&s->st, f->data, sizeof(s->st));
			s->msgs = (const char *)f->data + sizeof(s->st);
			s->msgs_len = f->rec.data_len - sizeof(s->st);
			/* An established TCP connection's state comes first. */
			if (s->st.flags & CKPT_SK_TCP_REPAIR) {
				s->tcp = (const struct ckpt_sock_tcp *)s->msgs;
				s->msgs += sizeof(*s->tcp);
				s->msgs_len -= sizeof(*s->tcp);
			}
			s->pid = t->rec.pid;
			s->fd_no = f->rec.fd;
			s->fd = s->pending = s->gone = s->keep = -1;
			tr->nr_socks++;
		}
	}
	for (i = 0; i < tr->nr_socks; i++) {
		struct rst_sock *s = &tr->socks[i];

		if (s->st.family != AF_UNIX || !s->st.peer_ino)
			continue;
		s->peer = sock_by_ino(tr, s->st.peer_ino);
		if (!s->peer)
			return fail(tr->e, -EBADMSG,
				    "pid %u fd %d: the image names socket:[%llu] as its peer but does not carry it",
				    s->pid, s->fd_no, (unsigned long long)s->st.peer_ino);
	}
	return 0;
}

static bool has_path(const uint8_t *addr, uint32_t len)
{
	return len > UNNAMED_LEN && addr[UNNAMED_LEN];
}

/*
 * A relative name is the one the socket was bound by in the working
 * directory of the process its record belongs to (the module checked that
 * it still finds its file from there): the controller binds, connects or
 * removes it from there too.
 */
static int enter_cwd(const struct tree *tr, uint32_t pid, const uint8_t *addr,
		     uint32_t len, int *saved)
{
	int i, err;

	*saved = -1;
	if (!has_path(addr, len) || addr[UNNAMED_LEN] == '/')
		return 0;
	i = libckpt_rst_task_index(tr, pid);
	if (i < 0)
		return -ESRCH;
	*saved = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*saved < 0)
		return -errno;
	if (chdir(tr->plans[i].task->proc->cwd)) {
		err = -errno;
		close(*saved);
		*saved = -1;
		return err;
	}
	return 0;
}

static void leave_cwd(int saved)
{
	if (saved < 0)
		return;
	if (fchdir(saved))
		abort();	/* the controller's own directory is gone */
	close(saved);
}

/*
 * A path another socket is bound to: a file left by a socket that is gone
 * (connect() is refused) is removed; one a live socket answers on is in
 * use, and so is anything that is not a socket.
 */
static int free_path(int type, const struct sockaddr_un *sun, socklen_t len)
{
	struct stat st;
	int probe, ret;

	if (lstat(sun->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EADDRINUSE;
	probe = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0)
		return -errno;
	ret = connect(probe, (const struct sockaddr *)sun, len) ? -errno : 0;
	close(probe);
	if (ret != -ECONNREFUSED)
		return -EADDRINUSE;
	return unlink(sun->sun_path) ? -errno : 0;
}

/* Bind @fd to @addr, made free first when it is a path. */
static int bind_unix(int fd, int type, const uint8_t *addr, uint32_t len)
{
	struct sockaddr_un sun = { 0 };
	int ret;

	memcpy(&sun, addr, len < sizeof(sun) ? len : sizeof(sun));
	if (has_path(addr, len)) {
		ret = free_path(type, &sun, len);
		if (ret)
			return ret;
	}
	return bind(fd, (struct sockaddr *)&sun, len) ? -errno : 0;
}

/* Bind @s's socket to its own address, its file as it was. */
static int bind_own(const struct tree *tr, struct rst_sock *s, int fd)
{
	const struct ckpt_fd_socket *st = &s->st;
	char path[sizeof(st->addr)];
	int ret, saved;

	ret = enter_cwd(tr, s->pid, st->addr, st->addr_len, &saved);
	if (!ret)
		ret = bind_unix(fd, st->type, st->addr, st->addr_len);
	if (ret) {
		leave_cwd(saved);
		return sock_fail(tr, s, ret, "cannot bind it to its address again");
	}
	if (has_path(st->addr, st->addr_len)) {
		memcpy(path, st->addr + UNNAMED_LEN, st->addr_len - UNNAMED_LEN);
		path[st->addr_len - UNNAMED_LEN] = '\0';
		if (lchown(path, st->path_uid, st->path_gid) ||
		    fchmodat(AT_FDCWD, path, st->path_mode & 07777, 0))
			ret = sock_fail(tr, s, -errno, "cannot give its file its owner and mode");
	}
	leave_cwd(saved);
	return ret;
}

static int new_unix(int type)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

/*
 * A connection whose accepting end @srv has an address: made through a
 * listener there (a temporary one, or the restored listener if it exists
 * already), so that @srv reports it as its own and @cli as its peer's.
 */
static int pair_through(const struct tree *tr, struct rst_sock *srv,
			struct rst_sock *cli, int *srv_fd, int *cli_fd)
{
	struct sockaddr_un sun = { 0 };
	int lfd = -1, c, a, ret, saved = -1;
	bool temp = false;
	size_t i;

	memcpy(&sun, srv->st.addr, srv->st.addr_len);
	for (i = 0; i < tr->nr_socks; i++)
		if (tr->socks[i].st.state == CKPT_SK_LISTEN && tr->socks[i].fd >= 0 &&
		    tr->socks[i].st.type == srv->st.type &&
		    tr->socks[i].st.addr_len == srv->st.addr_len &&
		    !memcmp(tr->socks[i].st.addr, srv->st.addr, srv->st.addr_len))
			lfd = tr->socks[i].fd;
	c = new_unix(cli->st.type);
	if (c < 0)
		return sock_fail(tr, cli, c, "cannot make it");
	ret = (cli->st.flags & CKPT_SK_BOUND) ? bind_own(tr, cli, c) : 0;
	if (ret)
		goto out;
	ret = enter_cwd(tr, srv->pid, srv->st.addr, srv->st.addr_len, &saved);
	if (ret) {
		ret = sock_fail(tr, srv, ret, "cannot enter its working directory");
		goto out;
	}
	if (lfd < 0) {
		temp = true;
		ret = lfd = new_unix(srv->st.type);
		if (lfd >= 0)
			ret = bind_unix(lfd, srv->st.type, srv->st.addr, srv->st.addr_len);
		if (!ret && listen(lfd, 1))
			ret = -errno;
		if (ret) {
			if (lfd < 0)
				temp = false;
			ret = sock_fail(tr, srv, ret, "cannot listen at its address to connect it again");
			goto out;
		}
	}
	if (connect(c, (struct sockaddr *)&sun, srv->st.addr_len)) {
		ret = sock_fail(tr, cli, -errno, "cannot connect it to its peer again");
		goto out;
	}
	a = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0) {
		ret = sock_fail(tr, srv, -errno, "cannot accept its connection again");
		goto out;
	}
	*srv_fd = a;
	*cli_fd = c;
	c = -1;
out:
	leave_cwd(saved);
	if (c >= 0)
		close(c);
	/* The temporary listener's file stays, as a closed listener's does. */
	if (temp)
		close(lfd);
	return ret;
}

/* Does some listener of the image listen at @s's address? */
static bool listened_at(const struct tree *tr, const struct rst_sock *s)
{
	size_t i;

	for (i = 0; i < tr->nr_socks; i++)
		if (tr->socks[i].st.state == CKPT_SK_LISTEN &&
		    tr->socks[i].st.type == s->st.type &&
		    tr->socks[i].st.addr_len == s->st.addr_len &&
		    !memcmp(tr->socks[i].st.addr, s->st.addr, s->st.addr_len))
			return true;
	return false;
}

/*
 * Could @s be the end accept() gave, @p the one that connected? The
 * accepted end has the listener's address (unix_stream_connect() gives
 * the new socket the listener's), which its peer names.
 */
static bool accepted_end(const struct rst_sock *s, const struct rst_sock *p)
{
	return (s->st.flags & CKPT_SK_BOUND) && s->st.addr_len == p->st.peer_addr_len &&
	       !memcmp(s->st.addr, p->st.peer_addr, s->st.addr_len);
}

/* The two ends of @s's connection with @p, each for its own description. */
static int make_pair(const struct tree *tr, struct rst_sock *s, struct rst_sock *p)
{
	bool s_acc = accepted_end(s, p), p_acc = accepted_end(p, s);
	int sv[2], ret;

	/* Both bound: the one a listener of the image listens at accepted. */
	if (s_acc && p_acc) {
		s_acc = listened_at(tr, s) || !listened_at(tr, p);
		p_acc = !s_acc;
	}
	if (s->st.type != SOCK_DGRAM && s_acc)
		return pair_through(tr, s, p, &s->fd, &p->pending);
	if (s->st.type != SOCK_DGRAM && p_acc)
		return pair_through(tr, p, s, &p->pending, &s->fd);
	if (socketpair(AF_UNIX, s->st.type | SOCK_CLOEXEC, 0, sv))
		return sock_fail(tr, s, -errno, "cannot make its connection again");
	s->fd = sv[0];
	p->pending = sv[1];
	ret = (s->st.flags & CKPT_SK_BOUND) ? bind_own(tr, s, s->fd) : 0;
	if (!ret && (p->st.flags & CKPT_SK_BOUND))
		ret = bind_own(tr, p, p->pending);
	return ret;
}

static int make_unix(const struct tree *tr, struct rst_sock *s)
{
	const struct ckpt_fd_socket *st = &s->st;
	int sv[2], fd, ret = 0;

	if (st->state == CKPT_SK_CONNECTED && (st->flags & CKPT_SK_PEER_GONE)) {
		if (socketpair(AF_UNIX, st->type | SOCK_CLOEXEC, 0, sv))
			return sock_fail(tr, s, -errno, "cannot make its connection again");
		s->fd = sv[0];
		s->gone = sv[1];
		return (st->flags & CKPT_SK_BOUND) ? bind_own(tr, s, s->fd) : 0;
	}
	if (st->state == CKPT_SK_CONNECTED && s->peer->peer == s)
		return make_pair(tr, s, s->peer);
	fd = new_unix(st->type);
	if (fd < 0)
		return sock_fail(tr, s, fd, "cannot make it");
	s->fd = fd;
	if (st->flags & CKPT_SK_BOUND)
		ret = bind_own(tr, s, fd);
	if (!ret && st->state == CKPT_SK_LISTEN && listen(fd, (int)st->backlog))
		ret = sock_fail(tr, s, -errno, "cannot listen again");
	/* A datagram socket connects to its server once that exists. */
	return ret;
}

/**
 * libckpt_rst_make_sock() - the description of a socket record
 * @tr: the restore
 * @f: the first record of its description
 *
 * Return: a descriptor, or a negative errno after fail().
 */
int libckpt_rst_make_sock(struct tree *tr, const struct libckpt_image_fd *f)
{
	struct ckpt_fd_socket st;
	struct rst_sock *s;
	int ret;

	memcpy(&st, f->data, sizeof(st));
	s = sock_by_ino(tr, st.ino);
	if (!s)
		return fail(tr->e, -EBADMSG, "socket:[%llu] is not in the plan",
			    (unsigned long long)st.ino);
	if (s->pending >= 0) {
		s->fd = s->pending;
		s->pending = -1;
	} else {
		ret = st.family == AF_UNIX ? make_unix(tr, s) :
		      libckpt_rst_make_inet(tr, s);
		if (ret < 0)
			return ret;
	}
	/* Above every recorded number, where the sockets' own steps find it. */
	if (s->fd < tr->top)
		s->fd = libckpt_rst_move_high(s->fd, tr->top);
	if (s->fd < 0)
		return sock_fail(tr, s, -EMFILE, "no descriptor left");
	return s->fd;
}

static int send_all(int fd, const char *buf, uint32_t len, const struct sockaddr *to,
		    socklen_t to_len, bool stream)
{
	uint32_t off = 0;
	ssize_t n;

	do {
		n = sendto(fd, buf + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL, to, to_len);
		if (n < 0)
			return -errno;
		off += (uint32_t)n;
	} while (stream && off < len);
	return off == len ? 0 : -EMSGSIZE;
}

/* The end through which a message for @s's queue is sent again. */
static int sender_of(const struct tree *tr, const struct rst_sock *s,
		     const struct ckpt_sock_msg *m)
{
	const struct rst_sock *from;

	if (!m->sender_ino)
		return (s->st.flags & CKPT_SK_PEER_GONE) ? s->gone :
		       s->peer ? s->peer->fd : -1;
	from = sock_by_ino(tr, m->sender_ino);
	return from ? from->fd : -1;
}

/* Queue @s's messages again, each sent by its sender. */
static int refill(const struct tree *tr, struct rst_sock *s)
{
	struct sockaddr_un sun = { 0 };
	struct ckpt_sock_msg m;
	uint32_t off = 0, i;
	int fd, ret, big = 64 << 20;

	memcpy(&sun, s->st.addr, s->st.addr_len);
	for (i = 0; i < s->st.nr_msgs; i++) {
		memcpy(&m, s->msgs + off, sizeof(m));
		off += sizeof(m);
		fd = sender_of(tr, s, &m);
		if (fd < 0)
			return sock_fail(tr, s, -EBADMSG, "the sender of a queued message is not in the image");
		ret = send_all(fd, s->msgs + off, m.len,
			       m.sender_ino ? (struct sockaddr *)&sun : NULL,
			       m.sender_ino ? s->st.addr_len : 0,
			       s->st.type == SOCK_STREAM);
		/* The sender's buffer, not the queue, is full: let it hold more. */
		if (ret == -EAGAIN &&
		    !setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)))
			ret = send_all(fd, s->msgs + off, m.len,
				       m.sender_ino ? (struct sockaddr *)&sun : NULL,
				       m.sender_ino ? s->st.addr_len : 0,
				       s->st.type == SOCK_STREAM);
		if (ret)
			return sock_fail(tr, s, ret, "cannot queue its messages again");
		off += m.len;
	}
	return 0;
}

static int set_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) ? -errno : 0;
}

static int set_timeo(int fd, int name, uint64_t us)
{
	struct timeval tv = {
		.tv_sec = (time_t)(us / 1000000),
		.tv_usec = (suseconds_t)(us % 1000000),
	};

	return setsockopt(fd, SOL_SOCKET, name, &tv, sizeof(tv)) ? -errno : 0;
}

/*
 * SO_SNDBUF and SO_RCVBUF take half of what they report (sock_setsockopt()
 * doubles it); FORCE, so that a value above the sysctl's maximum a
 * privileged process set comes back too.
 */
static int set_buf(int fd, int force, int plain, uint32_t val)
{
	int ret = set_int(fd, SOL_SOCKET, force, (int)(val / 2));

	return ret == -EPERM ? set_int(fd, SOL_SOCKET, plain, (int)(val / 2)) : ret;
}

/**
 * libckpt_rst_sock_options() - the options every family keeps, set on @fd
 * @st: the socket's state
 * @fd: the restored socket
 *
 * Return: 0 or the -errno of the first that failed.
 */
int libckpt_rst_sock_options(const struct ckpt_fd_socket *st, int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = (int)st->linger_s };
	int ret = 0;

	if (st->flags & CKPT_SK_PASSCRED)
		ret = set_int(fd, SOL_SOCKET, SO_PASSCRED, 1);
	if (!ret && (st->flags & CKPT_SK_REUSEADDR))
		ret = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (!ret && (st->flags & CKPT_SK_REUSEPORT))
		ret = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (!ret && (st->flags & CKPT_SK_KEEPALIVE))
		ret = set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	if (!ret && (st->flags & CKPT_SK_BROADCAST))
		ret = set_int(fd, SOL_SOCKET, SO_BROADCAST, 1);
	if (!ret && (st->flags & CKPT_SK_OOBINLINE))
		ret = set_int(fd, SOL_SOCKET, SO_OOBINLINE, 1);
	if (!ret && (st->flags & CKPT_SK_LINGER) &&
	    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		ret = -errno;
	if (!ret && (st->flags & CKPT_SK_SNDBUF))
		ret = set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, st->sndbuf);
	if (!ret && (st->flags & CKPT_SK_RCVBUF))
		ret = set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, st->rcvbuf);
	if (!ret && st->rcvlowat != 1)
		ret = set_int(fd, SOL_SOCKET, SO_RCVLOWAT, st->rcvlowat);
	if (!ret && st->mark)
		ret = set_int(fd, SOL_SOCKET, SO_MARK, (int)st->mark);
	if (!ret && st->priority)
		ret = set_int(fd, SOL_SOCKET, SO_PRIORITY, (int)st->priority);
	if (!ret && st->rcvtimeo_us)
		ret = set_timeo(fd, SO_RCVTIMEO, st->rcvtimeo_us);
	if (!ret && st->sndtimeo_us)
		ret = set_timeo(fd, SO_SNDTIMEO, st->sndtimeo_us);
	return ret;
}

/* Does @fd report the address (or peer address) the image recorded? */
static bool same_unix_name(int fd, bool peer, const uint8_t *addr, uint32_t len)
{
	struct sockaddr_un sun;
	socklen_t l = sizeof(sun);
	int ret;

	ret = peer ? getpeername(fd, (struct sockaddr *)&sun, &l) :
		     getsockname(fd, (struct sockaddr *)&sun, &l);
	if (ret)
		return false;
	if (len <= UNNAMED_LEN)
		return l <= UNNAMED_LEN;
	return l == len && !memcmp(&sun, addr, len);
}

static int finish_unix(const struct tree *tr, struct rst_sock *s)
{
	const struct ckpt_fd_socket *st = &s->st;
	int ret = 0;

	if (st->state == CKPT_SK_CONNECTED && !(st->flags & CKPT_SK_PEER_GONE) &&
	    s->peer->peer != s) {
		struct sockaddr_un sun = { 0 };
		int saved;

		memcpy(&sun, st->peer_addr, st->peer_addr_len);
		ret = enter_cwd(tr, s->peer->pid, st->peer_addr, st->peer_addr_len, &saved);
		if (!ret && connect(s->fd, (struct sockaddr *)&sun, st->peer_addr_len))
			ret = -errno;
		leave_cwd(saved);
		if (ret)
			return sock_fail(tr, s, ret, "cannot connect it to its server again");
	}
	if (!same_unix_name(s->fd, false, st->addr, st->addr_len) ||
	    (st->state == CKPT_SK_CONNECTED &&
	     !same_unix_name(s->fd, true, st->peer_addr, st->peer_addr_len)))
		return sock_fail(tr, s, -EOPNOTSUPP, "it comes back with other addresses");
	return ret;
}

/* A closed peer closes again, leaving a reset behind if it did. */
static int close_gone(const struct tree *tr, struct rst_sock *s)
{
	if (s->gone < 0)
		return 0;
	/* unix_release_sock() resets the peer when bytes were left unread. */
	if ((s->st.flags & CKPT_SK_ERR_RESET) && send(s->fd, "", 1, MSG_DONTWAIT) != 1)
		return sock_fail(tr, s, -errno, "cannot leave its reset pending again");
	close(s->gone);
	s->gone = -1;
	return 0;
}

static int shut(const struct tree *tr, struct rst_sock *s)
{
	int how;

	if (s->st.flags & CKPT_SK_PEER_GONE)
		return 0;	/* the peer's close shut it down */
	how = (s->st.flags & CKPT_SK_SHUT_RD) ? ((s->st.flags & CKPT_SK_SHUT_WR) ? SHUT_RDWR : SHUT_RD) :
	      (s->st.flags & CKPT_SK_SHUT_WR) ? SHUT_WR : -1;
	if (how >= 0 && shutdown(s->fd, how) && errno != ENOTCONN)
		return sock_fail(tr, s, -errno, "cannot shut it down again");
	return 0;
}

static void unlink_gone_path(const struct tree *tr, const struct rst_sock *s)
{
	char path[sizeof(s->st.addr)];
	int saved;

	if (!(s->st.flags & CKPT_SK_PATH_GONE) || !has_path(s->st.addr, s->st.addr_len))
		return;
	memcpy(path, s->st.addr + UNNAMED_LEN, s->st.addr_len - UNNAMED_LEN);
	path[s->st.addr_len - UNNAMED_LEN] = '\0';
	if (!enter_cwd(tr, s->pid, s->st.addr, s->st.addr_len, &saved))
		unlink(path);
	leave_cwd(saved);
}

/**
 * libckpt_rst_sock_finish() - every socket made: connect, refill, shut down
 * @tr: the restore, every description made
 *
 * Datagram clients connect first (a removed path is removed only after),
 * queues are filled before any shutdown or option can stand in the way,
 * and the descriptors of sockets whose SO_PEERCRED the module gives back
 * later are kept (libckpt_rst_sock_peers()).
 *
 * Return: 0 or a negative errno after fail().
 */
int libckpt_rst_sock_finish(struct tree *tr)
{
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < tr->nr_socks; i++)
		if (tr->socks[i].st.family == AF_UNIX)
			ret = finish_unix(tr, &tr->socks[i]);
		else
			ret = libckpt_rst_finish_inet(tr, &tr->socks[i]);
	for (i = 0; !ret && i < tr->nr_socks; i++)
		if (tr->socks[i].st.family == AF_UNIX)	/* IP: libckpt_rst_make_inet() */
			ret = refill(tr, &tr->socks[i]);
	for (i = 0; i < tr->nr_socks; i++)
		unlink_gone_path(tr, &tr->socks[i]);
	for (i = 0; !ret && i < tr->nr_socks; i++)
		ret = close_gone(tr, &tr->socks[i]);
	for (i = 0; !ret && i < tr->nr_socks; i++)
		ret = shut(tr, &tr->socks[i]);
	for (i = 0; !ret && i < tr->nr_socks; i++) {
		struct rst_sock *s = &tr->socks[i];

		ret = libckpt_rst_sock_options(&s->st, s->fd);
		if (ret)
			ret = sock_fail(tr, s, ret, "cannot set its options again");
		if (!ret && (s->st.flags & CKPT_SK_PEERCRED)) {
			s->keep = fcntl(s->fd, F_DUPFD_CLOEXEC, tr->top);
			if (s->keep < 0)
				ret = sock_fail(tr, s, -errno, "no descriptor left");
		}
	}
	return ret;
}

/* The restorer's pid of the image's process @pid, or 0. */
static pid_t restored_pid(const struct tree *tr, uint32_t pid)
{
	size_t i;

	for (i = 0; i < tr->n; i++)
		if (tr->plans[i].task->rec.pid == pid)
			return tr->e->pids[i];
	return 0;
}

/**
 * libckpt_rst_sock_peers() - give every Unix socket its SO_PEERCRED back
 * @tr: the restore, every process parked with its identity
 * @h: the controller's connection to the module
 *
 * Return: 0 or a negative errno after fail().
 */
int libckpt_rst_sock_peers(struct tree *tr, struct libckpt *h)
{
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < tr->nr_socks; i++) {
		struct rst_sock *s = &tr->socks[i];
		pid_t pid = restored_pid(tr, s->st.peer_pid);
		struct nl_msg *msg;

		if (s->keep < 0)
			continue;
		if (!pid)
			return sock_fail(tr, s, -ESRCH,
					 "the process its SO_PEERCRED names is not in the image");
		msg = libckpt_msg_new(h, CKPT_CMD_RESTORE_PEER, 0);
		if (!msg || nla_put_u32(msg, CKPT_A_TID, (uint32_t)pid) < 0 ||
		    nla_put_u32(msg, CKPT_A_SOCK_FD, (uint32_t)s->keep) < 0) {
			nlmsg_free(msg);
			return fail(tr->e, -ENOMEM, "out of memory");
		}
		ret = libckpt_transact(h, msg, NULL, NULL);
		if (ret)
			ret = sock_fail(tr, s, ret, "the module cannot give it its SO_PEERCRED");
	}
	libckpt_rst_sock_close(tr);
	return ret;
}

/** libckpt_rst_sock_close() - drop what the sockets' restore still holds */
void libckpt_rst_sock_close(struct tree *tr)
{
	size_t i;

	for (i = 0; i < tr->nr_socks; i++) {
		if (tr->socks[i].keep >= 0)
			close(tr->socks[i].keep);
		if (tr->socks[i].gone >= 0)
			close(tr->socks[i].gone);
		tr->socks[i].keep = tr->socks[i].gone = -1;
	}
}
