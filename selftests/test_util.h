/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Helpers shared by the ckpt selftests: a raw generic netlink client that
 * can send requests libckpt would never build (malformed on purpose), and
 * process helpers.
 */
#ifndef CKPT_TEST_UTIL_H
#define CKPT_TEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>

/*
 * Every test runs under TCG, and a build host may be busy: the harness's
 * 30 s per test is a hang detector, not a timing, so give it room. (Its
 * macros read TEST_TIMEOUT_DEFAULT where each TEST is defined.)
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 120
#endif
#include <netlink/genl/genl.h>
#include <linux/ckpt.h>

#include "libckpt.h"
#include "proc_state.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/*
 * Wait until @path exists: a workload frozen in here learns that it was
 * restored when the test creates it (nanosleep() restarts after a restore).
 */
static inline void wait_for_path(const char *path)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct stat st;

	while (stat(path, &st))
		nanosleep(&ts, NULL);
}

/*
 * Does the kernel track soft-dirty bits (CONFIG_MEM_SOFT_DIRTY, on in
 * Debian's)? Without them the module writes every image whole (incr.c).
 * A mapping no freeze has walked shows "sd" in its VmFlags there.
 */
static inline bool kernel_tracks_soft_dirty(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool sd = false;

	while (f && !sd && fgets(line, sizeof(line), f))
		sd = !strncmp(line, "VmFlags:", 8) && strstr(line, " sd");
	if (f)
		fclose(f);
	return sd;
}

/* What the kernel answered to a raw request. */
struct raw_reply {
	int error;		/* 0 or negative errno from NLMSG_ERROR */
	char msg[256];		/* NLMSGERR_ATTR_MSG, if any */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, or -1 */
	int got_reply;		/* a family message came before the ACK */
};

static inline int ckpt_family_id(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int id = -ENOMEM;

	if (!sk)
		return id;
	id = genl_connect(sk) ? -ECONNREFUSED :
	     genl_ctrl_resolve(sk, CKPT_GENL_NAME);
	nl_socket_free(sk);
	return id;
}

/*
 * Send one request made of the given header fields and raw attribute bytes;
 * collect the reply and the ACK. Returns 0 if an ACK arrived.
 */
static inline int raw_request(uint8_t cmd, uint8_t reserved, uint16_t flags,
			      const void *attrs, size_t attrs_len,
			      struct raw_reply *out)
{
	char buf[8192] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	int fd, one = 1, family = ckpt_family_id();
	ssize_t len;

	memset(out, 0, sizeof(*out));
	out->miss_type = -1;
	if (family < 0)
		return family;
	if (attrs_len > sizeof(buf) - NLMSG_HDRLEN - GENL_HDRLEN)
		return -E2BIG;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + attrs_len;
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = 1;
	g->cmd = cmd;
	g->version = CKPT_GENL_VERSION;
	g->reserved = reserved;
	memcpy((char *)g + GENL_HDRLEN, attrs, attrs_len);
	if (send(fd, buf, nlh->nlmsg_len, 0) < 0) {
		close(fd);
		return -errno;
	}

	for (;;) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0) {
			close(fd);
			return -errno;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			struct nlmsgerr *e = NLMSG_DATA(nlh);
			struct nlattr *a;
			int rem;

			if (nlh->nlmsg_type != NLMSG_ERROR) {
				out->got_reply = 1;
				continue;
			}
			out->error = e->error;
			a = (struct nlattr *)((char *)e + sizeof(*e) +
				((nlh->nlmsg_flags & NLM_F_CAPPED) ? 0 :
				 e->msg.nlmsg_len - NLMSG_HDRLEN));
			rem = (int)nlh->nlmsg_len - ((char *)a - (char *)nlh);
			if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
				rem = 0;
			for (; rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
			       a->nla_len <= rem;
			     rem -= NLA_ALIGN(a->nla_len),
			     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
				void *d = (char *)a + NLA_HDRLEN;

				if (a->nla_type == NLMSGERR_ATTR_MSG)
					strncpy(out->msg, d, sizeof(out->msg) - 1);
				if (a->nla_type == NLMSGERR_ATTR_MISS_TYPE)
					out->miss_type = *(uint32_t *)d;
			}
			close(fd);
			return 0;
		}
	}
}

/* Append one attribute of @len payload bytes to @buf at @off; new offset. */
static inline size_t put_attr(void *buf, size_t off, uint16_t type,
			      const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)buf + off);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	return off + NLA_HDRLEN + NLA_ALIGN(len);
}

#define REQ_FLAGS (NLM_F_REQUEST | NLM_F_ACK)

/* Run @cmd with sh, its stdout into @out; its exit status, or -1. */
static inline int run_cmd(const char *cmd, char *out, size_t size)
{
	FILE *f = popen(cmd, "r");
	size_t n;
	int st;

	if (!f)
		return -1;
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * The number of times @what occurs in the first @size - 1 bytes of the
 * file at @path (0 if it cannot be read); @buf holds them, NUL-terminated.
 */
static inline int log_count(const char *path, const char *what, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), n = 0;
	ssize_t len = fd < 0 ? -1 : read(fd, buf, size - 1);
	char *p;

	if (fd >= 0)
		close(fd);
	buf[len > 0 ? len : 0] = '\0';
	for (p = buf; *what && (p = strstr(p, what)); p++)
		n++;
	return n;
}

/*
 * Wait up to @timeout_ms for @what to occur @n times in the workload log
 * at @path; 0, or -1 on timeout. A workload that checks itself under TCG
 * on a busy host may take seconds: a timeout here detects a hang, it does
 * not measure.
 */
static inline int log_wait(const char *path, const char *what, int n, int timeout_ms)
{
	char buf[16384];
	int waited;

	for (waited = 0; waited <= timeout_ms; waited += 50) {
		if (log_count(path, what, buf, sizeof(buf)) >= n)
			return 0;
		usleep(50000);
	}
	return -1;
}

/*
 * Fork and exec this test program again with @env=@kind, so a workload
 * constructor takes over: an exec'd program has its own address space
 * layout (vdso included), unlike a fork of the process that restores it.
 */
static inline pid_t exec_self_as(const char *env, const char *kind)
{
	pid_t pid = fork();

	if (pid == 0) {
		char self[256];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n < 0)
			_exit(5);
		self[n] = '\0';
		setenv(env, kind, 1);
		execl(self, self, (char *)NULL);
		_exit(6);
	}
	return pid;
}

/* Kill every process of session @sid and reap them (we are their subreaper). */
static inline void kill_session(pid_t sid)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		int left = 0;

		while (d && (de = readdir(d))) {
			pid_t p = atoi(de->d_name);

			if (p > 0 && getsid(p) == sid) {
				kill(p, SIGKILL);
				left++;
			}
		}
		if (d)
			closedir(d);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!left)
			return;
		usleep(20000);
	}
}

/*
 * Pages allocated and not freed, system-wide: sum(pgalloc_*) - pgfree
 * from /proc/vmstat (MemFree alone is blurred by per-CPU lists).
 */
static inline int64_t pages_outstanding(void)
{
	char name[64];
	long long v;
	int64_t n = 0;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return 0;
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (!strncmp(name, "pgalloc_", 8))
			n += v;
		else if (!strcmp(name, "pgfree"))
			n -= v;
	}
	fclose(f);
	return n;
}

/* The state letter of /proc/PID/stat (R, S, D, T, t, Z), or 0. */
static inline char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] ? p[2] : 0;
}

/*
 * Wait the way a vfork() parent does — killable only, so the caller's
 * thread cannot park — for a child that blocks reading @fd and exits when
 * a byte (or EOF) arrives. The child gets its own copy of the address
 * space (CLONE_VFORK without CLONE_VM): a child sharing it would get the
 * group refused before any freeze.
 */
static inline void wait_in_vfork(int fd)
{
	char c;

	if (syscall(SYS_clone, CLONE_VFORK | SIGCHLD, 0, NULL, NULL, 0) == 0) {
		if (read(fd, &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
}

/* A small text file into @buf, NUL-terminated (empty if unreadable): its length or -1. */
static inline ssize_t read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* The allowlist scope of a test: "<program>.<test>", e.g. "tree_test.restored_twice_after_kill". */
static inline const char *ps_scope(const char *test)
{
	static char scope[128];

	snprintf(scope, sizeof(scope), "%s.%s", program_invocation_short_name, test);
	return scope;
}

/*
 * The verdict of the /proc comparison after a restore (proc_state.h):
 * @diffs must be 0; its report goes out one KTAP comment line at a time,
 * whatever the verdict, so every run shows what the allowlist explained.
 */
#define EXPECT_PROC_SAME(diffs, report) do {					\
	char *_line, *_save = NULL;						\
										\
	EXPECT_EQ(0, (diffs)) TH_LOG("/proc differs after the restore");	\
	for (_line = strtok_r((report), "\n", &_save); _line;			\
	     _line = strtok_r(NULL, "\n", &_save))				\
		TH_LOG("proc: %s", _line);					\
	free(report);								\
} while (0)

/*
 * Restore @spec and wait for it, while a helper compares /proc of what it
 * restored with @before (taken before the checkpoint) and then creates
 * @go, which the restored workload waits for before it checks itself.
 * @before is freed. Return: libckpt_restore()'s.
 */
static inline int restore_and_check(struct __test_metadata *_metadata,
				    struct ps_snap *before, const char *go,
				    const char *spec, pid_t *got, int *status,
				    char *err, size_t errlen)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char *report;
	int ret, fd, diffs;
	pid_t helper;

	helper = ps_check_async(before, 0, ps_scope(_metadata->name), go, &fd);
	if (helper < 0)
		return helper;
	ret = libckpt_restore(spec, &o, got, status, err, errlen);
	diffs = ps_check_wait(helper, fd, ret != 0, &report);
	if (ret)
		free(report);
	else
		EXPECT_PROC_SAME(diffs, report);
	ps_free(before);
	return ret;
}

/*
 * Checkpoint the idle group @pid into a new area @area of @size bytes,
 * /proc of its processes @pids taken into @before first.
 */
static inline void checkpoint_idle(struct __test_metadata *_metadata,
				   const char *area, struct ps_snap *before,
				   pid_t pid, pid_t *pids, size_t n, size_t size)
{
	struct libckpt_job job, done;
	char err[LIBCKPT_ERRLEN];
	struct libckpt *h;
	int fd;

	unlink(area);
	ASSERT_EQ(0, libckpt_area_create(area, size, err, sizeof(err))) TH_LOG("%s", err);
	fd = open(area, O_RDWR);
	ASSERT_EQ(0, ps_take_idle(before, pids, n, PS_SETTLE_MS));
	ASSERT_EQ(0, libckpt_open(&h));
	ASSERT_EQ(0, libckpt_freeze(h, pid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	ASSERT_EQ(CKPT_JOB_COMMITTED, done.state);
	libckpt_close(h);
	close(fd);
}

/* What a user sees, line by line: each log line must stay a KTAP comment. */
static inline void log_lines(struct __test_metadata *_metadata, const char *out)
{
	const char *end;

	for (; *out; out = *end ? end + 1 : end) {
		end = out + strcspn(out, "\n");
		TH_LOG("as a user sees it: %.*s", (int)(end - out), out);
	}
}

/* The module's parameters, by name: 0 / the value, or -errno. */
#define PARAMS		"/sys/module/ckpt/parameters/"

static inline int param_set(const char *name, unsigned long v)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%lu\n", v);
	return fclose(f) ? -errno : 0;
}

static inline long param_get(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &v) != 1)
		v = -EINVAL;
	fclose(f);
	return v;
}

#endif /* CKPT_TEST_UTIL_H */
