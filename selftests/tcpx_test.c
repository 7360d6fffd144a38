// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Established TCP connections to a peer outside the checkpointed group
 * (ckptctl --tcp-established): a client process that is not part of the
 * group keeps one loopback connection to an echo server that is, sends
 * numbered messages and checks every echo, while the server is
 * checkpointed. With --kill the server is killed and restored under the
 * client: the client must see every byte exactly once, no error and no
 * reset, only a pause, which it reports. Without --kill the live
 * connection is not touched; without the flag the connection is refused
 * by name; a group left stopped has its connection held until
 * "ckptctl release-tcp", and then runs on. The module holds nothing
 * afterwards (CKPT_A_TCP_HELD). The /proc comparison runs on the restore.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define LOG	"/tmp/tx-log"
#define GO	"/tmp/tx-go"		/* the /proc check is done, or: stop now */
#define IMG	"/tmp/tx-img"
#define PORT	47200
#define CKPTCTL	"/usr/bin/ckptctl"

/* The workload keeps its sockets at FD_BASE and up. */
#define FD_BASE	10
/* One message: its number, then a pattern; the server echoes it. */
#define MSG_LEN	64
/* Messages the client exchanges once told to stop, then it closes. */
#define AFTER_STOP	20

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

/*
 * 127.0.0.1, or CKPT_TX_ADDR (IPv4 or IPv6): migrate_test.sh runs the
 * server on guest A at an address guest B takes over, and the client on
 * guest B; the IPv6 test uses ::1. Returns the address's length.
 */
static socklen_t addr_of(struct sockaddr_storage *ss, int port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s = (struct sockaddr_in *)ss;
	const char *a = getenv("CKPT_TX_ADDR");

	memset(ss, 0, sizeof(*ss));
	if (a && inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	if (!a || inet_pton(AF_INET, a, &s->sin_addr) != 1)
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*s);
}

/* Read exactly @n bytes: 0, -1 (errno), or 1 at an early end of stream. */
static int read_all(int fd, char *buf, size_t n)
{
	size_t off = 0;
	ssize_t r;

	while (off < n) {
		r = read(fd, buf + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r)
			return 1;
		off += (size_t)r;
	}
	return 0;
}

static int write_all(int fd, const char *buf, size_t n)
{
	size_t off = 0;
	ssize_t w;

	while (off < n) {
		w = write(fd, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/*
 * The group: a listener at FD_BASE and the accepted connection at
 * FD_BASE + 1, which echoes each message until the client closes.
 */
static void server_workload(void)
{
	struct sockaddr_storage a;
	socklen_t alen = addr_of(&a, PORT);
	char buf[MSG_LEN];
	int log, l, c, one = 1, ret;

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	l = socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || dup2(l, FD_BASE) != FD_BASE)
		_exit(2);
	close(l);
	l = FD_BASE;
	if (setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&a, alen) || listen(l, 4))
		_exit(2);
	say(log, "listening", 0);
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0 || dup2(c, FD_BASE + 1) != FD_BASE + 1)
		_exit(2);
	close(c);
	c = FD_BASE + 1;
	say(log, "ready", 0);
	/* No file of this host's left open: migrate_test.sh restores it on another. */
	close(log);
	while (!(ret = read_all(c, buf, sizeof(buf))))
		if (write_all(c, buf, sizeof(buf)))
			_exit(4);
	/* 1: the client closed, as it does when it is done. */
	_exit(ret == 1 ? 0 : 5);
}

/* What the client saw; sent through a pipe to the test. */
struct tally {
	uint32_t sent;		/* messages written */
	uint32_t echoed;	/* echoes read back */
	uint32_t wrong;		/* echoes that were not the message */
	int err;		/* errno of a failed read or write, -1 an early EOF */
	int64_t max_gap_ms;	/* longest message-to-echo time */
	uint32_t at_max;	/* which message it was */
	int end;		/* 0: the server closed after the client did */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fill(char *msg, uint32_t i)
{
	int n = snprintf(msg, MSG_LEN, "%010" PRIu32 ":", i);
	int k;

	for (k = n; k < MSG_LEN; k++)
		msg[k] = (char)('a' + (i + k) % 26);
}

/*
 * Outside the group (the test's own process group): one connection, one
 * message every 10 ms, each echo checked, until AFTER_STOP messages after
 * GO appears; then it closes and waits for the server to close too.
 * Connecting is tried @tries times, a second apart.
 */
static void converse(struct tally *t, int tries)
{
	struct timeval tv = { .tv_sec = 120 };
	struct sockaddr_storage a;
	socklen_t alen = addr_of(&a, PORT);
	char msg[MSG_LEN], got[MSG_LEN];
	uint32_t i, after = 0;
	struct stat st;
	int fd, r;

	memset(t, 0, sizeof(*t));
	for (;;) {
		fd = socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || !connect(fd, (struct sockaddr *)&a, alen))
			break;
		close(fd);
		if (--tries <= 0) {
			fd = -1;
			break;
		}
		sleep(1);
	}
	if (fd < 0) {
		t->err = errno;
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (i = 0; i < 100000; i++) {
		int64_t t0 = now_ms(), gap;

		fill(msg, i);
		if (write_all(fd, msg, sizeof(msg))) {
			t->err = errno;
			break;
		}
		t->sent++;
		r = read_all(fd, got, sizeof(got));
		if (r) {
			t->err = r < 0 ? errno : -1;
			break;
		}
		gap = now_ms() - t0;
		if (gap > t->max_gap_ms) {
			t->max_gap_ms = gap;
			t->at_max = i;
		}
		if (memcmp(msg, got, sizeof(msg)))
			t->wrong++;
		t->echoed++;
		if ((after || !stat(GO, &st)) && ++after >= AFTER_STOP)
			break;
		usleep(10000);
	}
	if (!t->err) {
		shutdown(fd, SHUT_WR);
		t->end = read(fd, got, sizeof(got)) == 0 ? 0 : errno ? errno : -1;
	}
	close(fd);
}

static void client(int report)
{
	struct tally t;

	converse(&t, 1);
	if (write(report, &t, sizeof(t)) != sizeof(t))
		_exit(3);
	_exit(0);
}

/* migrate_test.sh's client, on the other guest: its tally as text. */
static void client_workload(void)
{
	struct tally t;

	converse(&t, 120);
	printf("client: sent %u echoed %u wrong %u error %d end %d pause_ms %" PRId64 " at %u\n",
	       t.sent, t.echoed, t.wrong, t.err, t.end, t.max_gap_ms, t.at_max);
	fflush(stdout);
	/* _exit: in a constructor, libnl's destructors must not run (its constructors did not). */
	_exit(t.err || t.end || t.wrong || t.sent != t.echoed || t.echoed <= AFTER_STOP);
}

__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_TX_WORKLOAD");

	if (w && !strcmp(w, "server"))
		server_workload();
	if (w && !strcmp(w, "client"))
		client_workload();
}



struct pair {
	pid_t server;
	pid_t client;
	int report;
};

/* The server (exec'd afresh, its own session), then the client. */
static int start(struct __test_metadata *_metadata, struct pair *p)
{
	int fds[2];

	unlink(GO);
	unlink(LOG);
	unlink(IMG);
	lo_up();
	p->server = exec_self_as("CKPT_TX_WORKLOAD", "server");
	if (p->server < 0 || log_wait(LOG, "listening 0", 1, 10000))
		return -1;
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	p->client = fork();
	if (!p->client) {
		close(fds[0]);
		client(fds[1]);
	}
	close(fds[1]);
	p->report = fds[0];
	if (p->client < 0 || log_wait(LOG, "ready 0", 1, 10000))
		return -1;
	/* Some exchanges first: the checkpoint comes mid-conversation. */
	usleep(300000);
	return 0;
}

/* Stop the client (GO) if not yet, and read what it saw. */
static void finish(struct __test_metadata *_metadata, struct pair *p,
		   struct tally *t)
{
	int fd = open(GO, O_WRONLY | O_CREAT, 0600);
	int st;

	if (fd >= 0)
		close(fd);
	memset(t, 0, sizeof(*t));
	EXPECT_EQ(sizeof(*t), read(p->report, t, sizeof(*t)));
	close(p->report);
	EXPECT_EQ(p->client, waitpid(p->client, &st, 0));
	TH_LOG("client: %u messages sent, %u echoed, %u wrong, error %d, end %d; longest pause %" PRId64
	       " ms (message %u)", t->sent, t->echoed, t->wrong, t->err, t->end,
	       t->max_gap_ms, t->at_max);
	EXPECT_EQ(0, t->err);
	EXPECT_EQ(0, t->end);
	EXPECT_EQ(0, t->wrong);
	EXPECT_EQ(t->sent, t->echoed);
	EXPECT_LT(AFTER_STOP, t->echoed);
}

static uint32_t tcp_held(struct __test_metadata *_metadata)
{
	struct libckpt_info info;
	struct libckpt *h;

	if (libckpt_open(&h))
		return UINT32_MAX;
	EXPECT_EQ(0, libckpt_get_info(h, &info));
	libckpt_close(h);
	return info.tcp_held;
}

/*
 * Without --tcp-established the connection is refused by name, by check
 * and by dump (the group runs on); with it, check accepts the group.
 */
TEST(outside_peer_refused_without_flag)
{
	char cmd[256], out[4096];
	struct pair p;
	struct tally t;
	int st;

	ASSERT_EQ(0, start(_metadata, &p));
	snprintf(cmd, sizeof(cmd), CKPTCTL " check %d 2>&1", p.server);
	EXPECT_NE(0, run_cmd(cmd, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "IPv4 stream socket 127.0.0.1:47200"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "its peer is a socket outside the group"))
		TH_LOG("%s", out);
	snprintf(cmd, sizeof(cmd), CKPTCTL " dump %d -o " IMG " --kill 2>&1", p.server);
	EXPECT_NE(0, run_cmd(cmd, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "its peer is a socket outside the group"))
		TH_LOG("%s", out);
	snprintf(cmd, sizeof(cmd), CKPTCTL " check %d --tcp-established 2>&1", p.server);
	EXPECT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	finish(_metadata, &p, &t);
	EXPECT_EQ(p.server, waitpid(p.server, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st)) TH_LOG("server status 0x%x", st);
	EXPECT_EQ(0, tcp_held(_metadata));
	unlink(LOG);
	unlink(GO);
}

/* Dumped with the flag and without --kill: the live connection is untouched. */
TEST(live_connection_untouched)
{
	char cmd[256], out[4096];
	struct pair p;
	struct tally t;
	int st;

	ASSERT_EQ(0, start(_metadata, &p));
	snprintf(cmd, sizeof(cmd), CKPTCTL " dump %d -o " IMG " --tcp-established 2>&1",
		 p.server);
	EXPECT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(0, tcp_held(_metadata));
	usleep(300000);
	finish(_metadata, &p, &t);
	EXPECT_EQ(p.server, waitpid(p.server, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st)) TH_LOG("server status 0x%x", st);
	if (!run_cmd(CKPTCTL " show " IMG " 2>&1 | grep -i -E 'tcp|inet|socket'", out, sizeof(out)))
		TH_LOG("show:\n%s", out);
	unlink(IMG);
	unlink(LOG);
	unlink(GO);
}

/*
 * Left stopped with the flag: the connection is held (the client's
 * messages wait); "ckptctl release-tcp" ends the hold, SIGCONT resumes
 * the group, and the conversation goes on with nothing lost.
 */
TEST(held_then_released_runs_on)
{
	char cmd[256], out[4096];
	struct pair p;
	struct tally t;
	int st;

	ASSERT_EQ(0, start(_metadata, &p));
	snprintf(cmd, sizeof(cmd), CKPTCTL " dump %d -o " IMG " --tcp-established --leave-stopped 2>&1",
		 p.server);
	EXPECT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "release-tcp")) TH_LOG("%s", out);
	EXPECT_EQ(1, tcp_held(_metadata));
	usleep(500000);
	EXPECT_EQ(0, run_cmd(CKPTCTL " release-tcp --all 2>&1", out, sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "1 TCP connection(s) released")) TH_LOG("%s", out);
	EXPECT_EQ(0, tcp_held(_metadata));
	kill(p.server, SIGCONT);
	usleep(300000);
	finish(_metadata, &p, &t);
	EXPECT_EQ(p.server, waitpid(p.server, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st)) TH_LOG("server status 0x%x", st);
	unlink(IMG);
	unlink(LOG);
	unlink(GO);
}

/*
 * The migration: dump --tcp-established --kill while the client talks,
 * restore at once; the client sees every byte once, no reset, a pause.
 */
static void migrate(struct __test_metadata *_metadata)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char cmd[256], out[4096], err[LIBCKPT_ERRLEN] = "";
	char *report;
	int ret, rfd, diffs, st, status = -1;
	pid_t helper, got = 0;
	struct pair p;
	struct tally t;
	int64_t t0;

	ASSERT_EQ(0, start(_metadata, &p));
	ASSERT_EQ(0, ps_take_idle(&before, &p.server, 1, PS_SETTLE_MS));
	t0 = now_ms();
	snprintf(cmd, sizeof(cmd), CKPTCTL " dump %d -o " IMG " --tcp-established --kill 2>&1",
		 p.server);
	ret = run_cmd(cmd, out, sizeof(out));
	EXPECT_EQ(0, ret) TH_LOG("%s", out);
	EXPECT_EQ(p.server, waitpid(p.server, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) TH_LOG("status 0x%x", st);
	if (ret) {
		ps_free(&before);
		finish(_metadata, &p, &t);
		return;
	}
	EXPECT_EQ(1, tcp_held(_metadata));
	/* The client's segments meet the hold for a while: no reset comes back. */
	usleep(500000);
	if (!run_cmd(CKPTCTL " show " IMG " 2>&1 | grep -i -E 'tcp|inet|socket'", out, sizeof(out)))
		TH_LOG("show:\n%s", out);
	helper = ps_check_async(&before, 0, ps_scope(_metadata->name), GO, &rfd);
	ASSERT_LT(0, helper);
	ret = libckpt_restore(IMG, &o, &got, &status, err, sizeof(err));
	diffs = ps_check_wait(helper, rfd, ret != 0, &report);
	if (ret)
		free(report);
	else
		EXPECT_PROC_SAME(diffs, report);
	ps_free(&before);
	EXPECT_EQ(0, ret) TH_LOG("%s", err);
	TH_LOG("checkpoint to restored server done: %" PRId64 " ms", now_ms() - t0);
	EXPECT_EQ(p.server, got);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("status 0x%x", status);
	finish(_metadata, &p, &t);
	EXPECT_EQ(0, tcp_held(_metadata));
	unlink(IMG);
	unlink(LOG);
	unlink(GO);
}

TEST(outside_connection_migrates)
{
	migrate(_metadata);
}

/* The same over IPv6 loopback: the hooks at LOCAL_IN and LOCAL_OUT of IPv6. */
TEST(outside_connection_migrates_ipv6)
{
	setenv("CKPT_TX_ADDR", "::1", 1);
	migrate(_metadata);
	unsetenv("CKPT_TX_ADDR");
}

TEST_HARNESS_MAIN
