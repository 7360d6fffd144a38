// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Unix sockets. A workload of two processes builds socket pairs of every
 * type with bytes queued both ways (part of one already read), a
 * connection made through a listener bound to a path, a datagram server
 * with an abstract name and a client connected to it with datagrams
 * queued, a connection whose peer closed, one left with a reset, shut
 * down ends and options; it is checkpointed, SIGKILLed and restored, and
 * the restored processes check their own view: every byte and message
 * boundary, SO_PEERCRED naming the process that made the connection,
 * addresses, options, EOF and errors, and that the connections and the
 * listener carry on. What cannot be carried (a peer outside the group,
 * descriptors in flight, connections waiting to be accepted) is refused
 * before the freeze, naming the socket. Every restore also compares /proc
 * before and after (proc_state.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define LOG	"/tmp/st-log"
#define GO	"/tmp/st-go"
#define AREA	"/tmp/st-area"
#define SAVED	"/tmp/st-saved"
#define LPATH	"/tmp/st-listen"
#define ABSTRACT "ckpt-st-dgram"
#define RELNAME	"st-rel-sock"
#define PIPE_BYTES	5000
#define READ_FIRST	1000

static int log_fd = -1;

static void say(const char *what, long n)
{
	char line[96];
	int len = snprintf(line, sizeof(line), "%s %d %ld\n", what, getpid(), n);

	if (write(log_fd, line, len) != len)
		_exit(3);
}

static void finish(int code)
{
	say(code ? "FAIL" : "PASS", code);
	_exit(code);
}

static char byte_at(size_t i)
{
	return (char)('A' + i * 11 % 26);
}

/* Place @fd at @at (and only there). */
static int place(int fd, int at)
{
	if (fd < 0 || (fd != at && dup2(fd, at) != at))
		return -1;
	if (fd != at)
		close(fd);
	return at;
}

static int pair_at(int type, int a, int b)
{
	int sv[2];

	if (socketpair(AF_UNIX, type, 0, sv) || place(sv[0], 100) != 100 ||
	    place(sv[1], b) != b || place(100, a) != a)
		return -1;
	return 0;
}

static socklen_t unix_addr(struct sockaddr_un *sun, const char *path, bool abstract)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (abstract) {
		memcpy(sun->sun_path + 1, path, strlen(path));
		return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
	}
	strcpy(sun->sun_path, path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static pid_t peer_pid(int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) ? -1 : uc.pid;
}

static int opt(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, name, &v, &len) ? -1 : v;
}

static bool reads_exactly(int fd, const char *want, size_t len)
{
	char buf[8192];
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = recv(fd, buf + got, len - got, 0);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return !memcmp(buf, want, len);
}

static bool reads_pattern(int fd, size_t from, size_t len)
{
	char want[PIPE_BYTES];
	size_t i;

	for (i = 0; i < len; i++)
		want[i] = byte_at(from + i);
	return reads_exactly(fd, want, len);
}

/* One datagram or record of exactly @len bytes of @c. */
static bool recv_msg(int fd, char c, size_t len)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	size_t i;

	if (n != (ssize_t)len)
		return false;
	for (i = 0; i < len; i++)
		if (buf[i] != c)
			return false;
	return true;
}

static bool send_msg(int fd, char c, size_t len)
{
	char buf[512];

	memset(buf, c, len);
	return send(fd, buf, len, 0) == (ssize_t)len;
}

static bool name_is(int fd, bool peer, const char *path, bool abstract)
{
	struct sockaddr_un want, got;
	socklen_t wl = unix_addr(&want, path, abstract), gl = sizeof(got);

	if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&got, &gl))
		return false;
	return gl == wl && !memcmp(&got, &want, wl);
}

/*
 * What the parent saw of its sockets before the checkpoint, for the
 * restored parent to compare (its memory comes back, but written here it
 * survives a failed restore too, for diagnostics).
 */
struct before {
	pid_t parent, child;
	int sndbuf42, rcvbuf43;
};

static struct before seen;

/*
 * Parent (P) and child (C) descriptors:
 *   40 P / 41 C  stream pair made by P; C wrote PIPE_BYTES, P read
 *                READ_FIRST; P wrote "hello-from-parent"
 *   42 P / 43 P  datagram pair; 3 datagrams queued on 43; 42 SO_PASSCRED
 *                and SO_SNDBUF, 43 O_NONBLOCK and SO_RCVBUF
 *   44 P / 45 C  seqpacket pair; C sent 2 records; P shut down writing
 *   46 P         stream listener at LPATH (mode 0640, backlog 7)
 *   47 C / 48 P  a connection C made to 46, accepted by P; "via-listener"
 *                queued for P
 *   49 P / 50 C  datagram server @ABSTRACT; C's client connected to it,
 *                2 datagrams queued
 *   51 P         stream end whose peer closed, 100 bytes left to read
 *   52 P         stream end whose peer closed with bytes unread: reset
 *   55 P         datagram socket bound by the relative name RELNAME in
 *                /tmp, its working directory
 */
static int parent_setup(int to_child)
{
	struct sockaddr_un sun;
	socklen_t len;
	char buf[READ_FIRST];
	int v, sv[2];

	v = 65536;
	if (setsockopt(42, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)))
		return 10;
	v = 1;
	if (setsockopt(42, SOL_SOCKET, SO_PASSCRED, &v, sizeof(v)))
		return 11;
	v = 40000;
	if (setsockopt(43, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) ||
	    fcntl(43, F_SETFL, O_NONBLOCK))
		return 12;
	seen.sndbuf42 = opt(42, SO_SNDBUF);
	seen.rcvbuf43 = opt(43, SO_RCVBUF);
	if (!send_msg(42, 'x', 10) || !send_msg(42, 'y', 200) || !send_msg(42, 'z', 1))
		return 13;
	if (send(40, "hello-from-parent", 17, 0) != 17)
		return 14;
	/* The listener and the datagram server, before the child uses them. */
	len = unix_addr(&sun, LPATH, false);
	unlink(LPATH);
	if (place(socket(AF_UNIX, SOCK_STREAM, 0), 46) != 46 ||
	    bind(46, (struct sockaddr *)&sun, len) || chmod(LPATH, 0640) || listen(46, 7))
		return 15;
	len = unix_addr(&sun, ABSTRACT, true);
	if (place(socket(AF_UNIX, SOCK_DGRAM, 0), 49) != 49 ||
	    bind(49, (struct sockaddr *)&sun, len))
		return 16;
	/* 51: its peer closed with nothing unread; 52: with bytes unread. */
	memset(buf, 'q', 100);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || place(sv[0], 51) != 51 ||
	    send(sv[1], buf, 100, 0) != 100)
		return 17;
	close(sv[1]);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || place(sv[0], 52) != 52 ||
	    send(52, "unread", 6, 0) != 6)
		return 18;
	close(sv[1]);
	len = unix_addr(&sun, RELNAME, false);
	unlink("/tmp/" RELNAME);
	if (chdir("/tmp") || place(socket(AF_UNIX, SOCK_DGRAM, 0), 55) != 55 ||
	    bind(55, (struct sockaddr *)&sun, len))
		return 23;
	if (write(to_child, "g", 1) != 1)
		return 19;
	return 0;
}

static int parent_after_child(void)
{
	if (place(accept(46, NULL, NULL), 48) != 48)
		return 20;
	/* Part of the child's stream read: a partly consumed message stays. */
	if (!reads_pattern(40, 0, READ_FIRST))
		return 21;
	if (shutdown(44, SHUT_WR))
		return 22;
	seen.parent = getpid();
	return 0;
}

static int check_parent(void)
{
	struct stat st;
	int v;

	if (peer_pid(40) != seen.parent || peer_pid(48) != seen.child ||
	    peer_pid(42) != seen.parent)
		return 30;
	if (!reads_pattern(40, READ_FIRST, PIPE_BYTES - READ_FIRST))
		return 31;
	if (!recv_msg(43, 'x', 10) || !recv_msg(43, 'y', 200) || !recv_msg(43, 'z', 1))
		return 32;
	if (recv(43, &v, 1, 0) != -1 || errno != EAGAIN)
		return 33;
	if (opt(42, SO_PASSCRED) != 1 || opt(42, SO_SNDBUF) != seen.sndbuf42 ||
	    opt(43, SO_RCVBUF) != seen.rcvbuf43 || fcntl(43, F_GETFL) != (O_RDWR | O_NONBLOCK))
		return 34;
	if (!recv_msg(44, 's', 30) || !recv_msg(44, 't', 3))
		return 35;
	if (send(44, "x", 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
		return 36;
	if (!name_is(46, false, LPATH, false) || !name_is(48, false, LPATH, false) ||
	    opt(46, SO_ACCEPTCONN) != 1)
		return 37;
	if (stat(LPATH, &st) || !S_ISSOCK(st.st_mode) || (st.st_mode & 07777) != 0640)
		return 38;
	if (!reads_exactly(48, "via-listener", 12))
		return 39;
	if (!name_is(49, false, ABSTRACT, true) || !recv_msg(49, 'd', 7) ||
	    !recv_msg(49, 'e', 70))
		return 40;
	if (!reads_exactly(51, "qqqqqqqqqq", 10))
		return 41;
	return 0;
}

static int check_parent_rest(void)
{
	char buf[100];
	int v;
	socklen_t len = sizeof(v);

	/* 51: the other 90 bytes, then end of file. */
	if (recv(51, buf, sizeof(buf), 0) != 90 || recv(51, buf, 1, 0) != 0)
		return 42;
	if (getsockopt(52, SOL_SOCKET, SO_ERROR, &v, &len) || v != ECONNRESET)
		return 43;
	/* Carry on: both ends of every live connection still talk. */
	if (send(40, "ping", 4, 0) != 4 || !reads_exactly(40, "pong", 4))
		return 44;
	if (place(accept(46, NULL, NULL), 53) != 53 || !reads_exactly(53, "again", 5))
		return 45;
	for (v = 0; v < 500 && !recv_msg(49, 'f', 5); v++)
		usleep(20000);
	if (v == 500)
		return 46;
	/* The relative name, bound again in /tmp: it finds the socket. */
	if (!name_is(55, false, RELNAME, false))
		return 47;
	{
		struct sockaddr_un sun;
		socklen_t len = unix_addr(&sun, "/tmp/" RELNAME, false);

		if (sendto(55, "self", 4, 0, (struct sockaddr *)&sun, len) != 4 ||
		    !reads_exactly(55, "self", 4))
			return 48;
	}
	return 0;
}

static int child_setup(int from_parent)
{
	struct sockaddr_un sun;
	socklen_t len;
	char c, buf[PIPE_BYTES];
	size_t i;

	if (read(from_parent, &c, 1) != 1)
		return 50;
	for (i = 0; i < PIPE_BYTES; i++)
		buf[i] = byte_at(i);
	if (send(41, buf, PIPE_BYTES, 0) != PIPE_BYTES)
		return 51;
	if (!send_msg(45, 's', 30) || !send_msg(45, 't', 3))
		return 52;
	len = unix_addr(&sun, LPATH, false);
	if (place(socket(AF_UNIX, SOCK_STREAM, 0), 47) != 47 ||
	    connect(47, (struct sockaddr *)&sun, len) || send(47, "via-listener", 12, 0) != 12)
		return 53;
	len = unix_addr(&sun, ABSTRACT, true);
	if (place(socket(AF_UNIX, SOCK_DGRAM, 0), 50) != 50 ||
	    connect(50, (struct sockaddr *)&sun, len) || !send_msg(50, 'd', 7) ||
	    !send_msg(50, 'e', 70))
		return 54;
	return 0;
}

static int check_child(pid_t parent)
{
	struct sockaddr_un sun;
	socklen_t len = unix_addr(&sun, LPATH, false);
	char c;

	if (peer_pid(41) != parent || peer_pid(47) != parent || peer_pid(45) != parent)
		return 60;
	if (!reads_exactly(41, "hello-from-parent", 17))
		return 61;
	if (recv(45, &c, 1, 0) != 0)
		return 62;
	if (!name_is(47, true, LPATH, false) || !name_is(50, true, ABSTRACT, true))
		return 63;
	if (!reads_exactly(41, "ping", 4) || send(41, "pong", 4, 0) != 4)
		return 64;
	if (place(socket(AF_UNIX, SOCK_STREAM, 0), 54) != 54 ||
	    connect(54, (struct sockaddr *)&sun, len) || send(54, "again", 5, 0) != 5)
		return 65;
	if (!send_msg(50, 'f', 5))
		return 66;
	return 0;
}

static void unix_workload(void)
{
	int sync[2], ret;
	pid_t child;

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (log_fd < 0 || pipe(sync) || place(sync[0], 30) != 30 || place(sync[1], 31) != 31)
		_exit(20);
	if (pair_at(SOCK_STREAM, 40, 41) || pair_at(SOCK_DGRAM, 42, 43) ||
	    pair_at(SOCK_SEQPACKET, 44, 45))
		_exit(21);
	child = fork();
	if (child == 0) {
		close(40);
		close(42);
		close(43);
		close(44);
		close(31);
		ret = child_setup(30);
		close(30);
		if (ret)
			finish(ret);
		say("ready", 0);
		wait_for_path(GO);
		finish(check_child(getppid()));
	}
	close(41);
	close(45);
	close(30);
	seen.child = child;
	ret = parent_setup(31);
	close(31);
	/* The child's connection and messages, before the parent goes on. */
	if (!ret && log_wait(LOG, "ready", 1, 10000))
		ret = 24;
	if (!ret)
		ret = parent_after_child();
	if (ret)
		finish(ret);
	say("ready", 0);
	wait_for_path(GO);
	ret = check_parent();
	if (!ret)
		ret = check_parent_rest();
	if (!ret && waitpid(child, &ret, 0) == child)
		ret = WIFEXITED(ret) && !WEXITSTATUS(ret) ? 0 : 70;
	finish(ret);
}

/* A socket pair whose other end the test keeps: its peer is outside. */
static void outside_peer_workload(void)
{
	close_range(0, 60, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	say("ready", 0);
	for (;;)
		pause();
}

/* A descriptor sent over a pair and never received: in flight. */
static void in_flight_workload(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (log_fd < 0 || pair_at(SOCK_STREAM, 61, 62))
		_exit(20);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &log_fd, sizeof(int));
	if (sendmsg(61, &mh, 0) != 1)
		_exit(21);
	say("ready", 0);
	for (;;)
		pause();
}

/* Bound by a relative name, then gone to another directory. */
static void moved_away_workload(void)
{
	struct sockaddr_un sun;
	socklen_t len = unix_addr(&sun, RELNAME, false);

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	unlink("/tmp/" RELNAME);
	if (log_fd < 0 || chdir("/tmp") || place(socket(AF_UNIX, SOCK_DGRAM, 0), 65) != 65 ||
	    bind(65, (struct sockaddr *)&sun, len) || chdir("/"))
		_exit(20);
	say("ready", 0);
	for (;;)
		pause();
}

/* A listener with a connection nobody accepted yet. */
static void backlog_workload(void)
{
	struct sockaddr_un sun;
	socklen_t len = unix_addr(&sun, "ckpt-st-backlog", true);

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (log_fd < 0 || place(socket(AF_UNIX, SOCK_STREAM, 0), 63) != 63 ||
	    bind(63, (struct sockaddr *)&sun, len) || listen(63, 4) ||
	    place(socket(AF_UNIX, SOCK_STREAM, 0), 64) != 64 ||
	    connect(64, (struct sockaddr *)&sun, len))
		_exit(20);
	say("ready", 0);
	for (;;)
		pause();
}

__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_SOCK_WORKLOAD");

	if (w && !strcmp(w, "unix"))
		unix_workload();
	if (w && !strcmp(w, "outside_peer"))
		outside_peer_workload();
	if (w && !strcmp(w, "in_flight"))
		in_flight_workload();
	if (w && !strcmp(w, "backlog"))
		backlog_workload();
	if (w && !strcmp(w, "moved_away"))
		moved_away_workload();
}

static const char *log_text(void)
{
	static char buf[8192];
	int fd = open(LOG, O_RDONLY);
	ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[len > 0 ? len : 0] = '\0';
	return buf;
}

static struct ps_snap before;

/* Start workload @kind (@n processes say ready) and checkpoint its session. */
static int start_and_checkpoint(const char *kind, int n, pid_t *sid, char *err,
				size_t errlen)
{
	struct libckpt_freeze_opts o = { .flags = LIBCKPT_F_SESSION };
	struct libckpt_job job, done;
	struct libckpt *h = NULL;
	pid_t pids[4];
	int fd, ret;

	unlink(LOG);
	unlink(GO);
	unlink(AREA);
	*sid = exec_self_as("CKPT_SOCK_WORKLOAD", kind);
	if (log_wait(LOG, "ready", n, 10000)) {
		snprintf(err, errlen, "the workload did not start: %.200s", log_text());
		return -ETIMEDOUT;
	}
	ps_free(&before);
	ret = ps_session_pids(*sid, pids, 4);
	if (ret != n) {
		snprintf(err, errlen, "%d processes in session %d, not %d", ret, *sid, n);
		return ret < 0 ? ret : -ESRCH;
	}
	ret = ps_take_idle(&before, pids, n, PS_SETTLE_MS);
	if (ret) {
		snprintf(err, errlen, "/proc of the workload: %s", strerror(-ret));
		return ret;
	}
	ret = libckpt_area_create(AREA, 64 << 20, err, errlen);
	fd = ret ? -1 : open(AREA, O_RDWR);
	if (fd < 0)
		return -EIO;
	ret = libckpt_open(&h);
	if (!ret)
		ret = libckpt_freeze_with(h, *sid, fd, &o, &job);
	if (ret && h)
		snprintf(err, errlen, "%s", libckpt_error(h));
	if (!ret)
		ret = libckpt_wait(h, job.id, &done);
	if (!ret && done.state != CKPT_JOB_COMMITTED) {
		snprintf(err, errlen, "job failed: %.200s", done.error_msg);
		ret = -EIO;
	}
	if (h)
		libckpt_close(h);
	close(fd);
	return ret;
}

/*
 * Every kind of Unix socket comes back as the workload had it, and its
 * two processes check that (see unix_workload()).
 */
TEST(unix_sockets_restored)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char err[LIBCKPT_ERRLEN] = "", *report;
	int status = -1, ret, fd, diffs;
	pid_t sid, helper, got;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ASSERT_EQ(0, start_and_checkpoint("unix", 2, &sid, err, sizeof(err)))
		TH_LOG("%s", err);
	kill_session(sid);
	unlink(GO);
	helper = ps_check_async(&before, 0, ps_scope(_metadata->name), GO, &fd);
	ASSERT_LT(0, helper);
	ret = libckpt_restore(AREA, &o, &got, &status, err, sizeof(err));
	diffs = ps_check_wait(helper, fd, ret != 0, &report);
	ASSERT_EQ(0, ret) TH_LOG("%s", err);
	EXPECT_PROC_SAME(diffs, report);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("%s", log_text());
	EXPECT_EQ(2, log_count(LOG, "PASS", err, sizeof(err))) TH_LOG("%s", log_text());
	kill_session(sid);
	unlink(AREA);
	unlink(GO);
	unlink(LPATH);
	unlink("/tmp/" RELNAME);
}

/* Refused before any freeze, naming what: the workload still runs. */
static void expect_refused(struct __test_metadata *_metadata, const char *kind,
			   const char *fd, const char *what, const char *why)
{
	char err[LIBCKPT_ERRLEN] = "";
	pid_t sid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	EXPECT_EQ(-EINVAL, start_and_checkpoint(kind, 1, &sid, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, fd)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, what)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, why)) TH_LOG("%s", err);
	EXPECT_EQ(0, kill(sid, 0)) TH_LOG("it was frozen or killed");
	kill_session(sid);
	unlink(AREA);
}

TEST(peer_outside_refused)
{
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, place(sv[1], 70) == 70 ? 0 : -1);
	/* The workload keeps fds up to 60 and 70 (close_range(0, 60)). */
	expect_refused(_metadata, "outside_peer", "fd 70", "unix stream socket (socket:[",
		       "its peer is a socket outside the group");
	close(sv[0]);
	close(70);
}

TEST(descriptors_in_flight_refused)
{
	expect_refused(_metadata, "in_flight", "fd 62", "unix stream socket",
		       "descriptors in flight (SCM_RIGHTS) are queued on it");
}

TEST(pending_connections_refused)
{
	expect_refused(_metadata, "backlog", "fd 63", "unix stream socket @ckpt-st-backlog",
		       "connections wait to be accepted on it");
}

#define CKPTCTL	"/usr/bin/ckptctl"
#define NODE	"/usr/bin/node"
#define NODE_JS	"/opt/ckpt/selftests/sock_node.js"
#define PYTHON	"/usr/bin/python3"
#define PY_PROG	"/opt/ckpt/selftests/sock_asyncio.py"
#define PROG_SOCK "/tmp/st-prog.sock"
#define PROG_OUT "/tmp/st-prog-out"
#define PROG_REF "/tmp/st-prog-ref"
#define PROG_ERR "/tmp/st-prog-err"

/* @argv, its output into @out, in a session (and process group) of its own. */
static pid_t start_prog(const char *out, char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(PROG_ERR, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int z = open("/dev/null", O_RDONLY);

		setsid();
		if (o < 0 || e < 0 || z < 0 || dup2(z, 0) < 0 || dup2(o, 1) < 0 ||
		    dup2(e, 2) < 0)
			_exit(5);
		close_range(3, ~0U, 0);
		execv(argv[0], argv);
		_exit(6);
	}
	return pid;
}

/*
 * Run @argv undisturbed, then again checkpointed once it printed "tick
 * 010", killed and restored: the restored run must print what the
 * undisturbed one printed. Not compared through /proc: these programs run
 * on at once (Documentation/fidelity.rst); their check is their output.
 */
static void like_undisturbed(struct __test_metadata *_metadata, char *const argv[])
{
	struct libckpt_restore_opts o = { .wait = 1 };
	static char ref[16384], out[16384], err[LIBCKPT_ERRLEN];
	struct libckpt_job job, done;
	struct libckpt *h;
	int status = -1, fd, i;
	pid_t pid, got = 0;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid = start_prog(PROG_REF, argv);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	read_text(PROG_ERR, err, sizeof(err));
	ASSERT_EQ(0, status) TH_LOG("undisturbed %s: status 0x%x: %s", argv[0], status, err);
	read_text(PROG_REF, ref, sizeof(ref));
	ASSERT_NE(NULL, strstr(ref, "done")) TH_LOG("%s", ref);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;

	/* The area first: on a slow kernel its creation outlasts the run. */
	unlink(AREA);
	ASSERT_EQ(0, libckpt_area_create(AREA, 512 << 20, err, sizeof(err)));
	pid = start_prog(PROG_OUT, argv);
	for (i = 0; i < 1200; i++) {
		read_text(PROG_OUT, out, sizeof(out));
		if (strstr(out, "tick 010"))
			break;
		usleep(50000);
	}
	ASSERT_NE(NULL, strstr(out, "tick 010")) TH_LOG("%s", out);
	fd = open(AREA, O_RDWR);
	ASSERT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(0, libckpt_freeze(h, pid, fd, 0, &job))
		TH_LOG("%s %d: %s; output so far:\n%s", argv[0], pid, libckpt_error(h), out);
	if (!_metadata->passed) {
		kill_session(pid);
		return;
	}
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	ASSERT_EQ(CKPT_JOB_COMMITTED, done.state) TH_LOG("%s", done.error_msg);
	libckpt_close(h);
	close(fd);
	kill_session(pid);
	read_text(PROG_OUT, out, sizeof(out));
	for (i = 0, got = 0; out[i]; i++)
		got += out[i] == '\n';
	TH_LOG("%s killed after %d lines", argv[0], (int)got);
	got = 0;
	ASSERT_EQ(0, libckpt_restore(AREA, &o, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(pid, got);
	read_text(PROG_ERR, err, sizeof(err));
	EXPECT_EQ(0, status) TH_LOG("restored %s: status 0x%x: %s", argv[0], status, err);
	read_text(PROG_OUT, out, sizeof(out));
	EXPECT_STREQ(ref, out);
	kill_session(pid);
	unlink(AREA);
	unlink(PROG_SOCK);
}

FIXTURE(prog) {
};

FIXTURE_SETUP(prog)
{
}

FIXTURE_TEARDOWN(prog)
{
}

/*
 * node serving on a Unix path with its own client, and a child (cat) on
 * the socket pairs libuv made for its stdio (uv_spawn), restored in the
 * middle of their conversation.
 */
TEST_F_TIMEOUT(prog, node_unix_sockets_like_undisturbed, 400)
{
	char *const argv[] = { NODE, NODE_JS, "60", PROG_SOCK, NULL };

	if (access(NODE, X_OK) || access(NODE_JS, R_OK))
		SKIP(return, "no node in this guest (make deps installs nodejs)");
	like_undisturbed(_metadata, argv);
}

/*
 * Python asyncio: an echo server on a Unix path and its client in one
 * event loop (its self-pipe a socket pair), digests computed on the
 * executor's threads, restored in the middle of their conversation.
 */
TEST_F_TIMEOUT(prog, asyncio_unix_sockets_like_undisturbed, 400)
{
	char *const argv[] = { PYTHON, PY_PROG, "60", PROG_SOCK, NULL };

	if (access(PYTHON, X_OK) || access(PY_PROG, R_OK))
		SKIP(return, "no python3 in this guest (make deps installs it)");
	like_undisturbed(_metadata, argv);
}

/* The same over TCP: the server and its client's connection on loopback. */
TEST_F_TIMEOUT(prog, asyncio_tcp_like_undisturbed, 400)
{
	char *const argv[] = { PYTHON, PY_PROG, "60", "tcp:47123", NULL };

	if (access(PYTHON, X_OK) || access(PY_PROG, R_OK))
		SKIP(return, "no python3 in this guest (make deps installs it)");
	like_undisturbed(_metadata, argv);
}

#define WWW	"/tmp/st-www"
#define HTTP_PORT 47124

/* GET @path from 127.0.0.1:HTTP_PORT; the whole response into @buf. */
static ssize_t http_get(const char *path, char *buf, size_t size)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(HTTP_PORT),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char req[256];
	size_t got = 0;
	ssize_t n;
	int fd, len;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	len = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	if (write(fd, req, len) != len) {
		close(fd);
		return -1;
	}
	while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	return (ssize_t)got;
}

/* The body of a response, after its blank line. */
static const char *body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");

	return b ? b + 4 : "";
}

/*
 * python3 -m http.server, checkpointed while it serves (waiting for the
 * next request), killed and restored: it serves the same file again.
 */
TEST_F_TIMEOUT(prog, http_server_serves_again, 300)
{
	char *const argv[] = { PYTHON, "-m", "http.server", "--bind", "127.0.0.1",
			       "--directory", WWW, "47124", NULL };
	struct libckpt_restore_opts o = { .wait = 0 };
	static char before[8192], after[8192], err[LIBCKPT_ERRLEN];
	struct libckpt_job job, done;
	int status, fd, i, ret, rfd, diffs;
	pid_t pid, got = 0, helper;
	struct ps_snap procs = { 0 };
	struct libckpt *h;
	char *report;

	if (access(PYTHON, X_OK))
		SKIP(return, "no python3 in this guest (make deps installs it)");
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	mkdir(WWW, 0755);
	fd = open(WWW "/page.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	for (i = 0; i < 200; i++)
		dprintf(fd, "line %03d of the page the server serves\n", i);
	close(fd);
	pid = start_prog(PROG_OUT, argv);
	for (i = 0; i < 600 && http_get("/page.txt", before, sizeof(before)) <= 0; i++)
		usleep(50000);
	ASSERT_NE(NULL, strstr(before, "200 OK")) TH_LOG("%s", before);
	ASSERT_EQ(0, strncmp(body_of(before), "line 000 of", 11));
	/* Idle between requests: /proc before, compared once it is restored. */
	ps_free(&procs);
	ASSERT_EQ(0, ps_take_idle(&procs, &pid, 1, PS_SETTLE_MS));

	unlink(AREA);
	ASSERT_EQ(0, libckpt_area_create(AREA, 256 << 20, err, sizeof(err)));
	fd = open(AREA, O_RDWR);
	ASSERT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(0, libckpt_freeze(h, pid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	if (!_metadata->passed) {
		kill_session(pid);
		return;
	}
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	ASSERT_EQ(CKPT_JOB_COMMITTED, done.state) TH_LOG("%s", done.error_msg);
	libckpt_close(h);
	close(fd);
	kill_session(pid);
	/* Nobody listens on the port now. */
	EXPECT_GT(0, http_get("/page.txt", after, sizeof(after)));
	unlink(GO);
	helper = ps_check_async(&procs, 0, ps_scope(_metadata->name), GO, &rfd);
	ASSERT_LT(0, helper);
	ret = libckpt_restore(AREA, &o, &got, &status, err, sizeof(err));
	diffs = ps_check_wait(helper, rfd, ret != 0, &report);
	ASSERT_EQ(0, ret) TH_LOG("%s", err);
	EXPECT_PROC_SAME(diffs, report);
	EXPECT_EQ(pid, got);
	EXPECT_LT(0, http_get("/page.txt", after, sizeof(after)));
	EXPECT_STREQ(body_of(before), body_of(after));
	kill_session(pid);
	unlink(AREA);
	unlink(WWW "/page.txt");
	rmdir(WWW);
}

#define REDIS	"/usr/bin/redis-server"
#define REDIS_PORT 47126
#define REDIS_IMG "/tmp/st-redis.ckpt"

/* A connection to 127.0.0.1:@port whose reads give up after 20 s, or -1. */
static int tcp_connect(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 20 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Send @cmd to redis as an inline command; its reply's first line, or
 * a bulk string's contents, into @reply.
 */
static int redis_cmd(int fd, const char *cmd, char *reply, size_t size)
{
	char line[512];
	size_t got = 0;
	ssize_t n;
	char *end;
	long len;

	if (dprintf(fd, "%s\r\n", cmd) < 0)
		return -1;
	while (!(end = memmem(line, got, "\r\n", 2))) {
		n = got < sizeof(line) ? read(fd, line + got, sizeof(line) - got) : -1;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	*end = '\0';
	if (line[0] != '$') {
		snprintf(reply, size, "%.200s", line);
		return 0;
	}
	len = strtol(line + 1, NULL, 10);
	/* A bulk string: its bytes follow the header line, then CRLF. */
	while (len >= 0 && got < (size_t)(end - line) + 2 + (size_t)len + 2) {
		n = got < sizeof(line) ? read(fd, line + got, sizeof(line) - got) : -1;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	snprintf(reply, size, "%.*s", len < 0 ? 0 : (int)(len > 200 ? 200 : len), end + 2);
	return 0;
}

/* Does redis answer @cmd with @want (into @reply)? */
static bool redis_says(int fd, const char *cmd, const char *want, char *reply, size_t size)
{
	return !redis_cmd(fd, cmd, reply, size) && !strcmp(reply, want);
}

/*
 * redis-server from Debian's packages, holding data written before the
 * checkpoint and a client connection from outside its group (this test),
 * is dumped with --tcp-established --kill and restored: the same
 * connection reads the data back and goes on, and so does a new one. Not
 * compared through /proc: redis runs its cron and background threads all
 * the time (Documentation/fidelity.rst).
 */
TEST_F_TIMEOUT(prog, redis_keeps_data_and_connection, 300)
{
	char port[16], cmd[256], out[4096], reply[256];
	char *const argv[] = { REDIS, "--port", port, "--bind", "127.0.0.1",
			       "--save", "", "--appendonly", "no", "--daemonize", "no",
			       "--protected-mode", "no", NULL };
	struct libckpt_restore_opts o = { .wait = 0 };
	char err[LIBCKPT_ERRLEN];
	int held = -1, fresh, i, status;
	pid_t pid, got = 0;

	if (access(REDIS, X_OK))
		SKIP(return, "no redis-server in this guest (make deps installs it)");
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	snprintf(port, sizeof(port), "%d", REDIS_PORT);
	pid = start_prog(PROG_OUT, argv);
	for (i = 0; i < 400 && held < 0; i++) {
		held = tcp_connect(REDIS_PORT);
		if (held < 0)
			usleep(50000);
	}
	ASSERT_LE(0, held) TH_LOG("redis did not listen");
	ASSERT_TRUE(redis_says(held, "PING", "+PONG", reply, sizeof(reply)))
		TH_LOG("PING: %s", reply);
	ASSERT_TRUE(redis_says(held, "SET ckpt-key written-before", "+OK", reply, sizeof(reply)))
		TH_LOG("SET ckpt-key written-before: %s", reply);
	ASSERT_TRUE(redis_says(held, "RPUSH ckpt-list a b c", ":3", reply, sizeof(reply)))
		TH_LOG("RPUSH ckpt-list a b c: %s", reply);

	snprintf(cmd, sizeof(cmd), CKPTCTL " dump %d -o " REDIS_IMG " --tcp-established --kill 2>&1",
		 pid);
	EXPECT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	if (!_metadata->passed) {
		close(held);
		kill_session(pid);
		return;
	}
	kill_session(pid);
	ASSERT_EQ(0, libckpt_restore(REDIS_IMG, &o, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(pid, got);
	/* The connection held across: its data, then more of it. */
	EXPECT_TRUE(redis_says(held, "GET ckpt-key", "written-before", reply, sizeof(reply)))
		TH_LOG("GET ckpt-key: %s", reply);
	EXPECT_TRUE(redis_says(held, "LLEN ckpt-list", ":3", reply, sizeof(reply)))
		TH_LOG("LLEN ckpt-list: %s", reply);
	EXPECT_TRUE(redis_says(held, "SET after-key written-after", "+OK", reply, sizeof(reply)))
		TH_LOG("SET after-key written-after: %s", reply);
	fresh = tcp_connect(REDIS_PORT);
	ASSERT_LE(0, fresh);
	EXPECT_TRUE(redis_says(fresh, "GET after-key", "written-after", reply, sizeof(reply)))
		TH_LOG("GET after-key: %s", reply);
	close(fresh);
	close(held);
	kill_session(pid);
	unlink(REDIS_IMG);
}

/*
 * Judged inside the freeze, with the group parked: the group is released
 * untouched, and the message names the socket and why.
 */
TEST(relative_name_elsewhere_refused)
{
	char err[LIBCKPT_ERRLEN] = "";
	pid_t sid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	EXPECT_NE(0, start_and_checkpoint("moved_away", 1, &sid, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "unix datagram socket " RELNAME)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "bound by a relative name its working directory no longer finds"))
		TH_LOG("%s", err);
	EXPECT_EQ(0, kill(sid, 0)) TH_LOG("it was killed");
	kill_session(sid);
	unlink(AREA);
	unlink("/tmp/" RELNAME);
}

TEST_HARNESS_MAIN
