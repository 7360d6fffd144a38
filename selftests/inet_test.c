// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * TCP and UDP sockets, zdtm-style: a workload sets up its sockets, is
 * checkpointed, SIGKILLed and restored, and the restored program compares
 * its own view of them (addresses, getsockopt()) with what it saw before,
 * then uses them: its listeners accept connections and exchange bytes,
 * its UDP sockets send and receive. The /proc comparison runs on every
 * restore. Kinds that are not carried are refused by name before any
 * freeze.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define LOG	"/tmp/in-log"
#define GO	"/tmp/in-go"
#define AREA	"/tmp/in-area"
#define SAVED	"/tmp/in-saved"		/* the workload's view before */
#define PORT	47100			/* the workloads' ports: PORT + n */

/* The workloads keep their sockets at FD_BASE and up (proc-allowlist.txt). */
#define FD_BASE	10

static struct ps_snap before;

/* Loopback up: the guest's init leaves it down. */
static void lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	strcpy(ifr.ifr_name, "lo");
	if (fd >= 0 && !ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
}

static void say(int fd, const char *what, long n)
{
	char line[128];
	int len = snprintf(line, sizeof(line), "%s %ld\n", what, n);

	if (write(fd, line, len) != len)
		_exit(3);
}

/* Put @fd at @at (a number the workload keeps its sockets at). */
static int place(int fd, int at)
{
	if (fd < 0 || dup2(fd, at) != at)
		_exit(2);
	close(fd);
	return at;
}

static int opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, level, name, &v, &l))
		return -errno;
	return v;
}

static int set(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v));
}

/* An address as text: "family addr port", or "-" without one. */
static void name_of(int fd, bool peer, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	memset(&ss, 0, sizeof(ss));
	if (peer ? getpeername(fd, (struct sockaddr *)&ss, &l) :
		   getsockname(fd, (struct sockaddr *)&ss, &l)) {
		snprintf(buf, size, "- %d", errno);
		return;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		port = ntohs(s->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, size, "%d %s %d", ss.ss_family, a, port);
}

/* Everything the workload compares about socket @fd, appended to @out. */
static void view_one(int fd, char *out, size_t size)
{
	static const struct { int level, name; } opts[] = {
		{ SOL_SOCKET, SO_TYPE }, { SOL_SOCKET, SO_PROTOCOL },
		{ SOL_SOCKET, SO_DOMAIN }, { SOL_SOCKET, SO_ACCEPTCONN },
		{ SOL_SOCKET, SO_REUSEADDR }, { SOL_SOCKET, SO_REUSEPORT },
		{ SOL_SOCKET, SO_KEEPALIVE }, { SOL_SOCKET, SO_RCVBUF },
		{ SOL_SOCKET, SO_SNDBUF }, { SOL_SOCKET, SO_RCVLOWAT },
		{ SOL_SOCKET, SO_PRIORITY }, { SOL_SOCKET, SO_ERROR },
		{ IPPROTO_TCP, TCP_NODELAY }, { IPPROTO_TCP, TCP_KEEPIDLE },
		{ IPPROTO_TCP, TCP_KEEPINTVL }, { IPPROTO_TCP, TCP_KEEPCNT },
		{ IPPROTO_IP, IP_TTL }, { IPPROTO_IPV6, IPV6_V6ONLY },
	};
	size_t used = strlen(out);
	char me[96], peer[96];
	unsigned int i;

	name_of(fd, false, me, sizeof(me));
	name_of(fd, true, peer, sizeof(peer));
	used += snprintf(out + used, size - used, "fd %d: %s -> %s:", fd, me, peer);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]) && used < size; i++) {
		/* A TCP connection's buffers grow with its traffic (autotuning). */
		if (peer[0] != '-' && opt(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM &&
		    opts[i].level == SOL_SOCKET &&
		    (opts[i].name == SO_RCVBUF || opts[i].name == SO_SNDBUF))
			continue;
		used += snprintf(out + used, size - used, " %d",
				 opt(fd, opts[i].level, opts[i].name));
	}
	if (used < size)
		snprintf(out + used, size - used, "\n");
}

static void view(int n, char *out, size_t size)
{
	int i;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		view_one(FD_BASE + i, out, size);
}

/* Save the view of the first @n sockets before the checkpoint. */
static void save_view(int n)
{
	char v[8192];
	int fd;

	view(n, v, sizeof(v));
	fd = open(SAVED, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, v, strlen(v)) != (ssize_t)strlen(v))
		_exit(2);
	close(fd);
}

/* 0 if the view of the first @n sockets is the one saved before. */
static int same_view(int log, int n)
{
	char v[8192], saved[8192];
	ssize_t len = read_text(SAVED, saved, sizeof(saved));

	view(n, v, sizeof(v));
	if (len < 0 || strcmp(v, saved)) {
		say(log, "view before:", 0);
		if (write(log, saved, len > 0 ? len : 0) < 0)
			_exit(3);
		say(log, "view after:", 0);
		if (write(log, v, strlen(v)) < 0)
			_exit(3);
		return 1;
	}
	return 0;
}

static void addr4(struct sockaddr_in *s, const char *ip, int port)
{
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
}

static void addr6(struct sockaddr_in6 *s, const char *ip, int port)
{
	memset(s, 0, sizeof(*s));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &s->sin6_addr);
}

static int tcp_socket(int family)
{
	return socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
}

/* A client connects to listener @l at @to, they exchange bytes both ways. */
static int talk_through(int l, const struct sockaddr *to, socklen_t len)
{
	char buf[16];
	int c = socket(to->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), a;

	if (c < 0 || connect(c, to, len))
		return 1;
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0)
		return 2;
	if (write(c, "ping", 4) != 4 || read(a, buf, sizeof(buf)) != 4 || memcmp(buf, "ping", 4))
		return 3;
	if (write(a, "pong!", 5) != 5 || read(c, buf, sizeof(buf)) != 5 || memcmp(buf, "pong!", 5))
		return 4;
	close(a);
	close(c);
	return 0;
}

/*
 * TCP listeners over IPv4 (SO_REUSEADDR, TCP_NODELAY, keepalive settings,
 * SO_RCVBUF, a backlog) and IPv6 (IPV6_V6ONLY, SO_REUSEPORT, no
 * SO_REUSEADDR), a TCP socket bound but not listening, a fresh one, and an
 * IPv6 listener on the wildcard address that also takes IPv4.
 */
static void listen_workload(void)
{
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;
	int log, l4, l6, b, f, w, ret;

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	l4 = place(tcp_socket(AF_INET), FD_BASE);
	addr4(&a4, "127.0.0.1", PORT);
	if (set(l4, SOL_SOCKET, SO_REUSEADDR, 1) || set(l4, IPPROTO_TCP, TCP_NODELAY, 1) ||
	    set(l4, SOL_SOCKET, SO_KEEPALIVE, 1) || set(l4, IPPROTO_TCP, TCP_KEEPIDLE, 77) ||
	    set(l4, IPPROTO_TCP, TCP_KEEPINTVL, 11) || set(l4, IPPROTO_TCP, TCP_KEEPCNT, 4) ||
	    set(l4, SOL_SOCKET, SO_RCVBUF, 100000) ||
	    bind(l4, (struct sockaddr *)&a4, sizeof(a4)) || listen(l4, 7))
		_exit(2);
	l6 = place(tcp_socket(AF_INET6), FD_BASE + 1);
	addr6(&a6, "::1", PORT + 1);
	if (set(l6, IPPROTO_IPV6, IPV6_V6ONLY, 1) || set(l6, SOL_SOCKET, SO_REUSEPORT, 1) ||
	    bind(l6, (struct sockaddr *)&a6, sizeof(a6)) || listen(l6, 3))
		_exit(2);
	b = place(tcp_socket(AF_INET), FD_BASE + 2);
	addr4(&a4, "127.0.0.1", PORT + 2);
	if (bind(b, (struct sockaddr *)&a4, sizeof(a4)))
		_exit(2);
	f = place(tcp_socket(AF_INET6), FD_BASE + 3);
	w = place(tcp_socket(AF_INET6), FD_BASE + 4);
	addr6(&a6, "::", PORT + 3);
	if (set(w, IPPROTO_IPV6, IPV6_V6ONLY, 0) || bind(w, (struct sockaddr *)&a6, sizeof(a6)) ||
	    listen(w, 1))
		_exit(2);
	save_view(5);
	say(log, "ready", 0);
	wait_for_path(GO);
	ret = same_view(log, 5);
	addr4(&a4, "127.0.0.1", PORT);
	if (!ret)
		ret = talk_through(l4, (struct sockaddr *)&a4, sizeof(a4)) ? 10 : 0;
	addr6(&a6, "::1", PORT + 1);
	if (!ret)
		ret = talk_through(l6, (struct sockaddr *)&a6, sizeof(a6)) ? 11 : 0;
	addr4(&a4, "127.0.0.1", PORT + 3);
	if (!ret)
		ret = talk_through(w, (struct sockaddr *)&a4, sizeof(a4)) ? 12 : 0;
	/* The bound socket can still listen, the fresh one still connect. */
	addr4(&a4, "127.0.0.1", PORT + 2);
	if (!ret && (listen(b, 1) || talk_through(b, (struct sockaddr *)&a4, sizeof(a4))))
		ret = 13;
	addr6(&a6, "::1", PORT + 1);
	if (!ret && (connect(f, (struct sockaddr *)&a6, sizeof(a6)) ||
		     accept4(l6, NULL, NULL, SOCK_CLOEXEC) < 0))
		ret = 14;
	say(log, ret ? "FAIL" : "PASS", ret);
	_exit(ret);
}

static int udp_socket(int family)
{
	return socket(family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
}

/*
 * UDP: a server bound to 127.0.0.1 with SO_BROADCAST and a datagram
 * queued (dropped by the checkpoint: a documented loss), a client
 * connected to it, and a connected IPv6 pair; after the restore each
 * client sends, the server answers through sendto() and the client reads.
 */
static void udp_workload(void)
{
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	int log, srv, cli, s6, c6, u, ret = 0;
	char buf[32];

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	srv = place(udp_socket(AF_INET), FD_BASE);
	addr4(&a4, "127.0.0.1", PORT + 10);
	if (set(srv, SOL_SOCKET, SO_BROADCAST, 1) || set(srv, SOL_SOCKET, SO_SNDBUF, 65536) ||
	    bind(srv, (struct sockaddr *)&a4, sizeof(a4)))
		_exit(2);
	cli = place(udp_socket(AF_INET), FD_BASE + 1);
	if (connect(cli, (struct sockaddr *)&a4, sizeof(a4)))
		_exit(2);
	s6 = place(udp_socket(AF_INET6), FD_BASE + 2);
	addr6(&a6, "::1", PORT + 11);
	if (bind(s6, (struct sockaddr *)&a6, sizeof(a6)))
		_exit(2);
	c6 = place(udp_socket(AF_INET6), FD_BASE + 3);
	if (connect(c6, (struct sockaddr *)&a6, sizeof(a6)))
		_exit(2);
	u = place(udp_socket(AF_INET), FD_BASE + 4);
	if (send(cli, "lost", 4, 0) != 4)
		_exit(2);
	save_view(5);
	say(log, "ready", 0);
	wait_for_path(GO);
	ret = same_view(log, 5);
	/* The queued datagram is gone (Documentation/state.rst). */
	if (!ret && recv(srv, buf, sizeof(buf), MSG_DONTWAIT) != -1)
		ret = 10;
	if (!ret && (send(cli, "hello", 5, 0) != 5 ||
		     recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) != 5 ||
		     memcmp(buf, "hello", 5) ||
		     sendto(srv, "back", 4, 0, (struct sockaddr *)&from, fl) != 4 ||
		     recv(cli, buf, sizeof(buf), 0) != 4 || memcmp(buf, "back", 4)))
		ret = 11;
	fl = sizeof(from);
	if (!ret && (send(c6, "six", 3, 0) != 3 ||
		     recvfrom(s6, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) != 3 ||
		     sendto(s6, "xis", 3, 0, (struct sockaddr *)&from, fl) != 3 ||
		     recv(c6, buf, sizeof(buf), 0) != 3 || memcmp(buf, "xis", 3)))
		ret = 12;
	/* The unbound socket still sends (and binds on the way). */
	if (!ret && sendto(u, "u", 1, 0, (struct sockaddr *)&a4, sizeof(a4)) != 1)
		ret = 13;
	if (!ret && (recv(srv, buf, sizeof(buf), 0) != 1))
		ret = 14;
	say(log, ret ? "FAIL" : "PASS", ret);
	_exit(ret);
}

static unsigned char pattern(uint32_t i, int seed)
{
	return (unsigned char)((i * 7 + seed) % 251);
}

/* Write @n bytes of pattern @seed to @fd (blocking). */
static int write_pattern(int fd, uint32_t n, int seed)
{
	unsigned char buf[4096];
	uint32_t off = 0, i, k;
	ssize_t w;

	while (off < n) {
		k = n - off < sizeof(buf) ? n - off : sizeof(buf);
		for (i = 0; i < k; i++)
			buf[i] = pattern(off + i, seed);
		w = write(fd, buf, k);
		if (w <= 0)
			return -1;
		off += (uint32_t)w;
	}
	return 0;
}

/* Read exactly @n bytes of pattern @seed from @fd, and nothing more is there. */
static int read_pattern(int fd, uint32_t n, int seed)
{
	unsigned char buf[4096];
	uint32_t off = 0, i;
	ssize_t r;

	while (off < n) {
		r = read(fd, buf, n - off < sizeof(buf) ? n - off : sizeof(buf));
		if (r <= 0)
			return -1;
		for (i = 0; i < (uint32_t)r; i++)
			if (buf[i] != pattern(off + i, seed))
				return -2;
		off += (uint32_t)r;
	}
	if (recv(fd, buf, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN)
		return -3;
	return 0;
}

static int queued(int fd)
{
	int n = -1;

	return ioctl(fd, FIONREAD, &n) ? -1 : n;
}

static int exchange(int a, int b)
{
	char buf[16];

	if (write(a, "more", 4) != 4 || read(b, buf, sizeof(buf)) != 4 || memcmp(buf, "more", 4))
		return -1;
	if (write(b, "ok", 2) != 2 || read(a, buf, sizeof(buf)) != 2 || memcmp(buf, "ok", 2))
		return -1;
	return 0;
}

/*
 * Established loopback connections, both ends in the group: an IPv4 one
 * with unread bytes each way (TCP_NODELAY on one end), and an IPv6 one
 * whose reader keeps a small receive buffer, so that most of what the
 * writer wrote waits in the writer's send queue, unsent.
 */
static void established_workload(void)
{
	struct timeval tv = { .tv_sec = 30 };
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;
	int log, l4, c4, s4, l6, c6, s6, ret, i;
	uint32_t big = 0;
	char chunk[1024];
	ssize_t w;

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	l4 = place(tcp_socket(AF_INET), FD_BASE);
	addr4(&a4, "127.0.0.1", PORT + 30);
	if (set(l4, SOL_SOCKET, SO_REUSEADDR, 1) || bind(l4, (struct sockaddr *)&a4, sizeof(a4)) ||
	    listen(l4, 4))
		_exit(2);
	c4 = place(tcp_socket(AF_INET), FD_BASE + 1);
	if (set(c4, IPPROTO_TCP, TCP_NODELAY, 1) || connect(c4, (struct sockaddr *)&a4, sizeof(a4)))
		_exit(2);
	s4 = place(accept4(l4, NULL, NULL, SOCK_CLOEXEC), FD_BASE + 2);
	if (write_pattern(c4, 3000, 1) || write_pattern(s4, 700, 2))
		_exit(2);
	l6 = place(tcp_socket(AF_INET6), FD_BASE + 3);
	addr6(&a6, "::1", PORT + 31);
	if (bind(l6, (struct sockaddr *)&a6, sizeof(a6)) || listen(l6, 4))
		_exit(2);
	c6 = place(tcp_socket(AF_INET6), FD_BASE + 4);
	if (set(c6, SOL_SOCKET, SO_RCVBUF, 4096) || connect(c6, (struct sockaddr *)&a6, sizeof(a6)))
		_exit(2);
	s6 = place(accept4(l6, NULL, NULL, SOCK_CLOEXEC), FD_BASE + 5);
	/* Until the reader's window closes, up to 256 KiB. */
	fcntl(s6, F_SETFL, O_NONBLOCK);
	for (i = 0; big < (256U << 10); i++) {
		uint32_t k;

		for (k = 0; k < sizeof(chunk); k++)
			chunk[k] = (char)pattern(big + k, 3);
		w = write(s6, chunk, sizeof(chunk));
		if (w < 0 && errno == EAGAIN) {
			usleep(20000);
			if (i > 2000 || (w = write(s6, chunk, sizeof(chunk))) < 0)
				break;
		}
		if (w <= 0)
			break;
		big += (uint32_t)w;
	}
	fcntl(s6, F_SETFL, 0);
	for (i = 0; i < 500 && (queued(s4) != 3000 || queued(c4) != 700); i++)
		usleep(10000);
	if (queued(s4) != 3000 || queued(c4) != 700 || big < 8192)
		_exit(2);
	usleep(200000);
	save_view(6);
	say(log, "ready", 0);
	wait_for_path(GO);
	ret = same_view(log, 6);
	setsockopt(c6, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s4, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c4, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!ret && (ret = read_pattern(s4, 3000, 1)))
		ret = 10 - ret;
	if (!ret && (ret = read_pattern(c4, 700, 2)))
		ret = 20 - ret;
	if (!ret && exchange(c4, s4))
		ret = 30;
	if (!ret && (ret = read_pattern(c6, big, 3)))
		ret = 40 - ret;
	if (!ret && exchange(s6, c6))
		ret = 50;
	say(log, "bytes", big);
	say(log, ret ? "FAIL" : "PASS", ret);
	_exit(ret);
}

/* A listener, and a connection from outside the group left waiting on it. */
static int listen_on(int port)
{
	struct sockaddr_in a4;
	int l = tcp_socket(AF_INET);

	addr4(&a4, "127.0.0.1", port);
	if (l < 0 || set(l, SOL_SOCKET, SO_REUSEADDR, 1) ||
	    bind(l, (struct sockaddr *)&a4, sizeof(a4)) || listen(l, 4))
		return -1;
	return l;
}

static void refused_workload(const char *kind)
{
	struct sockaddr_in a4;
	int log, fd = -1;

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (!strcmp(kind, "raw")) {
		fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	} else if (!strcmp(kind, "packet")) {
		fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	} else if (!strcmp(kind, "ping")) {
		int r = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY);

		/* Ping sockets are for the groups in this range (none by default). */
		if (r >= 0 && write(r, "0 0", 3) != 3)
			_exit(2);
		if (r >= 0)
			close(r);
		fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	} else if (!strcmp(kind, "ttl")) {
		fd = udp_socket(AF_INET);
		if (set(fd, IPPROTO_IP, IP_TTL, 9))
			fd = -1;
	} else if (!strcmp(kind, "device")) {
		fd = udp_socket(AF_INET);
		if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3))
			fd = -1;
	} else if (!strcmp(kind, "cork")) {
		fd = tcp_socket(AF_INET);
		if (set(fd, IPPROTO_TCP, TCP_CORK, 1))
			fd = -1;
	} else if (!strcmp(kind, "pending")) {
		fd = listen_on(PORT + 20);
	} else if (!strcmp(kind, "outside") || !strcmp(kind, "unaccepted")) {
		/* The test listens on PORT + 21; the connection is not accepted. */
		fd = tcp_socket(AF_INET);
		addr4(&a4, "127.0.0.1", PORT + 21);
		if (connect(fd, (struct sockaddr *)&a4, sizeof(a4)))
			fd = -1;
	}
	say(log, fd < 0 ? "unavailable" : "ready", fd);
	for (;;)
		pause();
}

__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_IN_WORKLOAD");

	if (!w)
		return;
	if (!strcmp(w, "listen"))
		listen_workload();
	if (!strcmp(w, "udp"))
		udp_workload();
	if (!strcmp(w, "established"))
		established_workload();
	refused_workload(w);
}

static int wait_for_line(const char *what, int ms)
{
	return log_wait(LOG, what, 1, ms);
}

static void show_log(struct __test_metadata *_metadata)
{
	char buf[16384];
	ssize_t n = read_text(LOG, buf, sizeof(buf));

	if (n > 0)
		TH_LOG("log:\n%s", buf);
}

/*
 * Raw, packet and ping sockets, an IP option that is not carried, a
 * socket bound to a device, a corked TCP socket, a listener with a
 * connection waiting to be accepted and a connection to a peer outside
 * the group are each refused before the freeze, by name.
 */
TEST(refused_kinds_named)
{
	static const struct { const char *kind, *want; } cases[] = {
		{ "raw", "raw socket: not supported" },
		{ "packet", "packet socket: not supported" },
		{ "ping", "ICMP datagram (ping) socket" },
		{ "ttl", "IP_TTL" },
		{ "device", "bound to a device" },
		{ "cork", "TCP_CORK" },
		{ "pending", "IPv4 stream socket 127.0.0.1:47120" },
		{ "pending", "connections wait to be accepted on it" },
		{ "outside", "its peer is a socket outside the group" },
		{ "unaccepted", "TCP connection whose peer is not accepted yet" },
	};
	struct libckpt_census census;
	struct libckpt *h;
	unsigned int i;
	int out = -1, c = -1;
	pid_t pid;

	lo_up();
	ASSERT_EQ(0, libckpt_open(&h));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unlink(LOG);
		if (!strcmp(cases[i].kind, "outside") || !strcmp(cases[i].kind, "unaccepted"))
			out = listen_on(PORT + 21);
		pid = exec_self_as("CKPT_IN_WORKLOAD", cases[i].kind);
		ASSERT_EQ(0, wait_for_line(" ", 5000));
		/* The outside end of the connection, accepted by the test. */
		if (!strcmp(cases[i].kind, "outside"))
			c = accept4(out, NULL, NULL, SOCK_CLOEXEC);
		if (!strcmp(cases[i].kind, "pending")) {
			struct sockaddr_in a4;

			addr4(&a4, "127.0.0.1", PORT + 20);
			c = tcp_socket(AF_INET);
			EXPECT_EQ(0, connect(c, (struct sockaddr *)&a4, sizeof(a4)));
		}
		if (!wait_for_line("unavailable", 50)) {
			TH_LOG("%s: cannot be created here; not judged", cases[i].kind);
		} else {
			EXPECT_EQ(-EINVAL, libckpt_check(h, pid, &census));
			EXPECT_NE(NULL, strstr(libckpt_error(h), cases[i].want))
				TH_LOG("%s: %s", cases[i].kind, libckpt_error(h));
		}
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (c >= 0)
			close(c);
		if (out >= 0)
			close(out);
		c = out = -1;
	}
	libckpt_close(h);
}

/*
 * Checkpoint workload @kind once it says "ready 0", kill it, restore it
 * with the /proc comparison and let it check itself: it must exit 0 and
 * say "PASS 0".
 */
static void checkpoint_restore_pass(struct __test_metadata *_metadata, const char *kind)
{
	char err[LIBCKPT_ERRLEN], out[16384];
	int status = -1;
	pid_t pid, got = 0;

	lo_up();
	unlink(GO);
	unlink(LOG);
	pid = exec_self_as("CKPT_IN_WORKLOAD", kind);
	ASSERT_EQ(0, wait_for_line("ready 0", 10000)) show_log(_metadata);
	checkpoint_idle(_metadata, AREA, &before, pid, &pid, 1, 64 << 20);
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ASSERT_TRUE(_metadata->passed) TH_LOG("no checkpoint to restore");
	if (!run_cmd("/usr/bin/ckptctl show " AREA " 2>&1 | grep -i -E 'socket|inet|tcp|udp'",
		     out, sizeof(out)))
		TH_LOG("show:\n%s", out);
	ASSERT_EQ(0, restore_and_check(_metadata, &before, GO, AREA, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(pid, got);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status)) show_log(_metadata);
	EXPECT_EQ(0, wait_for_line("PASS 0", 30000)) show_log(_metadata);
	unlink(AREA);
	unlink(GO);
}

/*
 * TCP listeners (IPv4 and IPv6, V6ONLY on and off), a bound and a fresh
 * TCP socket come back at their addresses with their options and backlog;
 * the listeners accept connections and carry bytes both ways.
 */
TEST(tcp_listeners_restored)
{
	checkpoint_restore_pass(_metadata, "listen");
}

/*
 * UDP sockets bound and connected (IPv4 and IPv6) and a fresh one come
 * back with their addresses and options, and carry datagrams both ways;
 * a datagram queued at the checkpoint is dropped.
 */
TEST(udp_restored)
{
	checkpoint_restore_pass(_metadata, "udp");
}

/*
 * Established loopback TCP connections, both ends in the group, come back
 * through TCP repair: each end reads exactly the bytes that waited for it
 * (in its receive queue, or unsent in its peer's send queue), and the
 * connections carry new bytes both ways.
 */
TEST(tcp_established_restored)
{
	checkpoint_restore_pass(_metadata, "established");
}

TEST_HARNESS_MAIN
