// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Restore of process trees. The workload is a session of three levels:
 * R leads the session and forks A, which leads a new process group and
 * forks B. Pipes R->A, A->B and B->R hold bytes in flight; B is blocked in
 * read() on a fourth pipe that R fills only after the restore; A has a
 * thread blocked in a futex wait and another in a futex wait with a
 * timeout. The whole session is frozen, SIGKILLed and restored; then each
 * process checks its own pid, parent, group, session, pipes and memory,
 * reports PASS or FAIL on its log descriptor, and its parent checks its
 * exit status. Before that, what /proc shows of every process and thread
 * of the restored tree is compared with what it showed before the
 * checkpoint (proc_state.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define LOG	"/tmp/tr-log"
#define GO	"/tmp/tr-go"
#define AREA	"/tmp/tr-area"
#define MAPPED	"/tmp/tr-mapped"
#define WORDS	(512 * 1024)		/* 4 MiB per process */

/* What every process of the workload keeps in its memory. */
struct member {
	char name;
	pid_t pid, ppid, pgid, sid;
	uint64_t *mem;
	int in;			/* its incoming pipe, with bytes in flight */
	const char *expect;	/* what they are */
};

static int log_fd;

static uint64_t pattern(uint64_t i, uint64_t seed)
{
	return (i + seed) * 0x9E3779B97F4A7C15ULL;
}

static void say(const struct member *m, const char *what, long n)
{
	char line[96];
	int len = snprintf(line, sizeof(line), "%s %c %ld\n", what, m->name, n);

	if (write(log_fd, line, len) != len)
		_exit(3);
}

static void fill(struct member *m)
{
	uint64_t i;

	m->mem = mmap(NULL, WORDS * 8, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->mem == MAP_FAILED)
		_exit(4);
	for (i = 0; i < WORDS; i++)
		m->mem[i] = pattern(i, m->name);
}

/* The process's own view after the restore: 0 if all holds, else a code. */
static int check_self(const struct member *m)
{
	char buf[32];
	size_t len = strlen(m->expect);
	uint64_t i;

	if (getpid() != m->pid)
		return 1;
	/* The root's parent is whoever restores it; the others' are in the tree. */
	if (m->name != 'R' && getppid() != m->ppid)
		return 2;
	if (getpgrp() != m->pgid)
		return 3;
	if (getsid(0) != m->sid)
		return 4;
	if (read(m->in, buf, sizeof(buf)) != (ssize_t)len || memcmp(buf, m->expect, len))
		return 5;
	for (i = 0; i < WORDS; i++)
		if (m->mem[i] != pattern(i, m->name))
			return 6;
	return 0;
}

static void finish(const struct member *m, int code)
{
	say(m, code ? "FAIL" : "PASS", code);
	_exit(code);
}

/* Child exit statuses travel through the restored tree: 0 if @pid exited 0. */
static int reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return 20;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 21;
}

static int futex_word, never, stop_timed;

static long futex(int *w, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, w, op, val, ts, NULL, 0);
}

/* Blocked in FUTEX_WAIT at the freeze; woken by A after the restore. */
static void *futex_waiter(void *arg)
{
	while (!__atomic_load_n(&futex_word, __ATOMIC_ACQUIRE))
		futex(&futex_word, FUTEX_WAIT, 0, NULL);
	return (void *)1;
}

/*
 * Always in a futex wait with a 1 s timeout (a restart-block call): the
 * one interrupted by the freeze times out or reports EINTR after the
 * restore, as after a signal — it must come back with one of those.
 */
static void *timed_waiter(void *arg)
{
	struct timespec ts = { 1, 0 };
	long ok = 1;

	while (!__atomic_load_n(&stop_timed, __ATOMIC_ACQUIRE))
		if (futex(&never, FUTEX_WAIT, 0, &ts) != -1 ||
		    (errno != ETIMEDOUT && errno != EINTR))
			ok = 0;
	return (void *)ok;
}

static void b_main(struct member *b, int blocked)
{
	char buf[8];
	ssize_t n;
	int code;

	if (write(100, "B2R", 3) != 3)
		finish(b, 9);
	say(b, "ready", b->pid);
	/* Blocked here at the freeze; R writes after the restore. */
	n = read(blocked, buf, 4);
	/* EOF: R was killed first when the original tree is killed. */
	if (n == 0)
		_exit(10);
	if (n != 4 || memcmp(buf, "wake", 4))
		finish(b, 10);
	code = check_self(b);
	finish(b, code);
}

static void a_main(struct member *a, int to_b_r, int to_b_w, int blocked)
{
	struct member b = { .name = 'B', .in = to_b_r, .expect = "A2B" };
	pthread_t t1, t2;
	void *r1 = NULL, *r2 = NULL;
	pid_t pid;
	int code;

	setpgid(0, 0);
	a->pgid = getpid();
	b.ppid = getpid();
	b.pgid = getpid();
	b.sid = a->sid;
	fill(&b);		/* B inherits it, in its own copy */
	pid = fork();
	if (pid == 0) {
		b.pid = getpid();
		close(to_b_w);
		b_main(&b, blocked);
	}
	close(to_b_r);
	close(blocked);
	close(100);
	if (write(to_b_w, "A2B", 3) != 3)
		finish(a, 11);
	if (pthread_create(&t1, NULL, futex_waiter, NULL) ||
	    pthread_create(&t2, NULL, timed_waiter, NULL))
		finish(a, 12);
	say(a, "ready", a->pid);
	wait_for_path(GO);
	__atomic_store_n(&stop_timed, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&futex_word, 1, __ATOMIC_RELEASE);
	futex(&futex_word, FUTEX_WAKE, 1, NULL);
	pthread_join(t1, &r1);
	pthread_join(t2, &r2);
	if (r1 != (void *)1)
		finish(a, 13);
	if (r2 != (void *)1)
		finish(a, 14);
	code = check_self(a);
	finish(a, code ? code : reap(pid) ? 15 : 0);
}

static void tree_workload(void)
{
	struct member r = { .name = 'R', .expect = "B2R" };
	struct member a = { .name = 'A', .expect = "R2A" };
	int r2a[2], a2b[2], b2r[2], wake[2];
	pid_t pid;
	int code;

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (log_fd < 0 || pipe(r2a) || pipe(a2b) || pipe(b2r) || pipe(wake))
		_exit(2);
	r.pid = r.pgid = r.sid = getpid();
	r.ppid = getppid();
	a.ppid = a.sid = r.pid;
	fill(&r);
	fill(&a);
	pid = fork();
	if (pid == 0) {
		a.pid = getpid();
		a.in = r2a[0];
		close(r2a[1]);
		close(b2r[0]);
		/* B gets b2r's write end (at 100) and wake's read end through A. */
		dup2(b2r[1], 100);
		close(b2r[1]);
		close(wake[1]);
		a_main(&a, a2b[0], a2b[1], wake[0]);
	}
	close(r2a[0]);
	close(a2b[0]);
	close(a2b[1]);
	close(wake[0]);
	close(b2r[1]);
	r.in = b2r[0];
	if (write(r2a[1], "R2A", 3) != 3)
		finish(&r, 16);
	say(&r, "ready", r.pid);
	wait_for_path(GO);
	if (write(wake[1], "wake", 4) != 4)
		finish(&r, 17);
	code = check_self(&r);
	finish(&r, code ? code : reap(pid) ? 18 : 0);
}

/*
 * Pages shared by fork(): P fills 256 MiB and forks C. Then C writes its
 * own first MiB and drops its third (MADV_DONTNEED), P writes its own
 * second MiB; the other 253 MiB stay shared. Each checks its own view
 * after the restore and says so, then waits to be killed (the test reads
 * their smaps meanwhile).
 */
#define SHARE_BYTES	(256UL << 20)
#define MIB_WORDS	(1UL << 17)

static uint64_t share_expect(char who, size_t i)
{
	size_t mib = i / MIB_WORDS;

	if (mib == 0 && who == 'C')
		return pattern(i, 'C');
	if (mib == 1 && who == 'P')
		return pattern(i, 'P');
	if (mib == 2 && who == 'C')
		return 0;
	return pattern(i, 'S');
}

static void share_member(struct member *m, uint64_t *mem)
{
	size_t i;
	int code = 0;

	say(m, "ready", getpid());
	wait_for_path(GO);
	for (i = 0; i < SHARE_BYTES / 8 && !code; i++)
		if (mem[i] != share_expect(m->name, i))
			code = 30;
	say(m, code ? "FAIL" : "PASS", code);
	for (;;)
		pause();
}

static void share_workload(void)
{
	struct member p = { .name = 'P' }, c = { .name = 'C' };
	uint64_t *mem;
	size_t i;

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	mem = mmap(NULL, SHARE_BYTES, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (log_fd < 0 || mem == MAP_FAILED)
		_exit(2);
	for (i = 0; i < SHARE_BYTES / 8; i++)
		mem[i] = pattern(i, 'S');
	if (fork() == 0) {
		for (i = 0; i < MIB_WORDS; i++)
			mem[i] = pattern(i, 'C');
		if (madvise(mem + 2 * MIB_WORDS, 1 << 20, MADV_DONTNEED))
			_exit(3);
		share_member(&c, mem);
	}
	for (i = MIB_WORDS; i < 2 * MIB_WORDS; i++)
		mem[i] = pattern(i, 'P');
	share_member(&p, mem);
}

__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_TREE_WORKLOAD");

	if (w && !strcmp(w, "tree"))
		tree_workload();
	if (w && !strcmp(w, "share"))
		share_workload();
}

static int count_lines(const char *what)
{
	char buf[8192];

	return log_count(LOG, what, buf, sizeof(buf));
}

/* The log, for a failure's message. */
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


static pid_t start_tree(void)
{
	return exec_self_as("CKPT_TREE_WORKLOAD", "tree");
}

/*
 * Freeze session @sid into AREA and wait for the commit; 0 or -errno. A
 * new area of @area_bytes, or with 0 the next generation of the one
 * there, incremental.
 */
static int checkpoint_session(pid_t sid, uint64_t area_bytes, struct libckpt_job *done)
{
	struct libckpt_freeze_opts o = { .flags = LIBCKPT_F_SESSION };
	struct libckpt_job job;
	char err[256];
	struct libckpt *h;
	int fd, ret = 0;

	if (area_bytes) {
		unlink(AREA);
		ret = libckpt_area_create(AREA, area_bytes, err, sizeof(err));
	} else {
		o.flags |= LIBCKPT_F_INCREMENTAL;
	}
	fd = ret ? -1 : open(AREA, O_RDWR);
	if (fd < 0)
		return -EIO;
	ret = libckpt_open(&h);
	if (!ret)
		ret = libckpt_freeze_with(h, sid, fd, &o, &job);
	if (!ret)
		ret = libckpt_wait(h, job.id, done);
	if (h)
		libckpt_close(h);
	close(fd);
	return ret;
}

/* /proc of the whole tree just before its checkpoint (each test is a process). */
static struct ps_snap before;

/*
 * Restore; a helper compares /proc of the restored tree (in its pid
 * namespace with --pidns) with before, then lets it check itself.
 */
static int restore_with(struct __test_metadata *_metadata,
			const struct libckpt_restore_opts *o, pid_t *got,
			int *status, char *err, size_t errlen)
{
	char *report;
	pid_t helper;
	int ret, fd, diffs;

	unlink(GO);
	helper = ps_check_async(&before, o->pidns ? PS_PIDNS_OF_SIBLING : 0,
				ps_scope(_metadata->name), GO, &fd);
	if (helper < 0)
		return helper;
	ret = libckpt_restore(AREA, o, got, status, err, errlen);
	diffs = ps_check_wait(helper, fd, ret != 0, &report);
	if (ret)
		free(report);
	else
		EXPECT_PROC_SAME(diffs, report);
	return ret;
}

FIXTURE(tree) {
	pid_t root;
	struct libckpt_job done;
};

FIXTURE_SETUP(tree)
{
	pid_t pids[3];

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	unlink(LOG);
	unlink(GO);
	self->root = start_tree();
	ASSERT_EQ(0, log_wait(LOG, "ready", 3, 10000)) TH_LOG("the tree did not start");
	/* B must be inside its read() when frozen. */
	usleep(200000);
	ASSERT_EQ(3, ps_session_pids(self->root, pids, 3));
	ASSERT_EQ(0, ps_take_idle(&before, pids, 3, PS_SETTLE_MS));
	ASSERT_EQ(0, checkpoint_session(self->root, 64 << 20, &self->done));
	ASSERT_EQ(CKPT_JOB_COMMITTED, self->done.state) TH_LOG("%s", self->done.error_msg);
	EXPECT_EQ(3, self->done.nr_tasks);
	EXPECT_EQ(5, self->done.nr_threads);
}

FIXTURE_TEARDOWN(tree)
{
	kill_session(self->root);
	unlink(AREA);
	unlink(GO);
}

/*
 * After SIGKILL of the whole session, the tree comes back and checks
 * itself — twice from the same image, the second after the first exited.
 */
TEST_F(tree, restored_twice_after_kill)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char err[LIBCKPT_ERRLEN];
	int round, status;
	pid_t got;

	kill_session(self->root);
	for (round = 1; round <= 2; round++) {
		status = -1;
		got = 0;
		ASSERT_EQ(0, restore_with(_metadata, &o, &got, &status, err, sizeof(err)))
			TH_LOG("round %d: %s", round, err);
		EXPECT_EQ(self->root, got);
		EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
		EXPECT_EQ(0, WEXITSTATUS(status));
		EXPECT_EQ(0, log_wait(LOG, "PASS R", round, 30000));
		EXPECT_EQ(round, count_lines("PASS A"));
		EXPECT_EQ(round, count_lines("PASS B"));
		EXPECT_EQ(0, count_lines("FAIL")) TH_LOG("a process failed its check:\n%s",
							 log_text());
	}
}

/*
 * The original tree still holds its pids (stopped): --pidns restores a
 * copy with the same pids in a new pid namespace, and it checks itself.
 */
TEST_F(tree, restored_in_pidns_beside_original)
{
	struct libckpt_restore_opts o = { .wait = 1, .pidns = 1 };
	char err[LIBCKPT_ERRLEN];
	int status = -1;
	pid_t got = 0;

	ASSERT_EQ(0, kill(-self->root, SIGSTOP));
	ASSERT_EQ(0, restore_with(_metadata, &o, &got, &status, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(self->root, got);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(1, count_lines("PASS R"));
	EXPECT_EQ(1, count_lines("PASS B"));
	EXPECT_EQ(0, count_lines("FAIL")) TH_LOG("%s", log_text());
	/* Without --pidns the pids are taken: a clear error, nothing runs. */
	o.pidns = 0;
	EXPECT_GT(0, libckpt_restore(AREA, &o, &got, &status, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "is taken")) TH_LOG("%s", err);
	EXPECT_EQ(1, count_lines("PASS R"));
}

/*
 * Kilobytes of @pid's mapping of at least SHARE_BYTES that smaps counts
 * as its proportional share (Pss) and as shared with another process.
 */
static int share_kb(pid_t pid, long *pss, long *shared)
{
	unsigned long long start, end;
	char path[64], line[256], perms[8];
	bool in = false;
	long kb;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	*pss = *shared = -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %7s", &start, &end, perms) == 3) {
			in = end - start >= SHARE_BYTES;
			if (in)
				*pss = *shared = 0;
			continue;
		}
		if (in && sscanf(line, "Pss: %ld kB", &kb) == 1)
			*pss += kb;
		if (in && (sscanf(line, "Shared_Dirty: %ld kB", &kb) == 1 ||
			   sscanf(line, "Shared_Clean: %ld kB", &kb) == 1))
			*shared += kb;
	}
	fclose(f);
	return *pss < 0 ? -ENOENT : 0;
}

/* Both processes of the share workload share what fork() left shared. */
static void expect_shared(struct __test_metadata *_metadata, const pid_t *pids,
			  const char *when)
{
	long pss0, pss1, shared0, shared1;

	ASSERT_EQ(0, share_kb(pids[0], &pss0, &shared0)) TH_LOG("%s: pid %d", when, pids[0]);
	ASSERT_EQ(0, share_kb(pids[1], &pss1, &shared1)) TH_LOG("%s: pid %d", when, pids[1]);
	/* 253 of 256 MiB shared: about 257 MiB of Pss between them, not 509. */
	EXPECT_LE(250L << 10, shared0) TH_LOG("%s: pid %d shares %ld kB", when, pids[0], shared0);
	EXPECT_LE(250L << 10, shared1) TH_LOG("%s: pid %d shares %ld kB", when, pids[1], shared1);
	EXPECT_GE(270L << 10, pss0 + pss1) TH_LOG("%s: Pss %ld + %ld kB", when, pss0, pss1);
}

FIXTURE(share) {
	pid_t root;
	pid_t pids[2];
	struct libckpt_job done;
};

FIXTURE_SETUP(share)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	unlink(LOG);
	unlink(GO);
	self->root = exec_self_as("CKPT_TREE_WORKLOAD", "share");
	ASSERT_EQ(0, log_wait(LOG, "ready", 2, 60000)) TH_LOG("the workload did not start");
	ASSERT_EQ(2, ps_session_pids(self->root, self->pids, 2));
	expect_shared(_metadata, self->pids, "before the checkpoint");
	ASSERT_EQ(0, ps_take_idle(&before, self->pids, 2, PS_SETTLE_MS));
	/*
	 * Room for two full images only if the child's pages count once: the
	 * incremental one below must fit beside this one.
	 */
	ASSERT_EQ(0, checkpoint_session(self->root, 600 << 20, &self->done));
	ASSERT_EQ(CKPT_JOB_COMMITTED, self->done.state) TH_LOG("%s", self->done.error_msg);
	/* The shared pages once: about 258 MiB, not 514. */
	EXPECT_GT(270UL << 20, self->done.image_len) TH_LOG("image of %llu bytes",
		(unsigned long long)self->done.image_len);
}

FIXTURE_TEARDOWN(share)
{
	kill_session(self->root);
	unlink(AREA);
	unlink(GO);
}

/* Restored, the two share the pages again and each finds its own view. */
TEST_F(share, fork_shared_pages_shared_again)
{
	struct libckpt_restore_opts o = { 0 };
	char err[LIBCKPT_ERRLEN];
	int status;
	pid_t got;

	kill_session(self->root);
	ASSERT_EQ(0, restore_with(_metadata, &o, &got, &status, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(0, log_wait(LOG, "PASS", 2, 60000)) TH_LOG("%s", log_text());
	EXPECT_EQ(0, count_lines("FAIL")) TH_LOG("%s", log_text());
	expect_shared(_metadata, self->pids, "after the restore");
}

/*
 * An incremental generation on top: the child's pages that the full one
 * had as its parent's are the parent generation's bytes now, and come
 * back as copies; each process still finds its own view.
 */
TEST_F(share, fork_shared_pages_in_an_incremental_chain)
{
	struct libckpt_restore_opts o = { 0 };
	char err[LIBCKPT_ERRLEN];
	struct libckpt_job incr;
	int status;
	pid_t got;

	if (!kernel_tracks_soft_dirty())
		SKIP(return, "no CONFIG_MEM_SOFT_DIRTY in this kernel: every image is whole");
	ASSERT_EQ(0, checkpoint_session(self->root, 0, &incr));
	ASSERT_EQ(CKPT_JOB_COMMITTED, incr.state) TH_LOG("%s", incr.error_msg);
	EXPECT_EQ(self->done.generation, incr.parent_generation);
	kill_session(self->root);
	ASSERT_EQ(0, restore_with(_metadata, &o, &got, &status, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(0, log_wait(LOG, "PASS", 2, 60000)) TH_LOG("%s", log_text());
	EXPECT_EQ(0, count_lines("FAIL")) TH_LOG("%s", log_text());
}

/*
 * --lazy restores the child's shared pages as copies read from the
 * parent's bytes (the page server fills private memory after the tree
 * runs, where nothing can be inherited): each still finds its own view.
 */
TEST_F(share, fork_shared_pages_copied_lazily)
{
	struct libckpt_restore_opts o = { .lazy = 1 };
	char err[LIBCKPT_ERRLEN];
	int status;
	pid_t got;

	kill_session(self->root);
	ASSERT_EQ(0, restore_with(_metadata, &o, &got, &status, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(0, log_wait(LOG, "PASS", 2, 120000)) TH_LOG("%s", log_text());
	EXPECT_EQ(0, count_lines("FAIL")) TH_LOG("%s", log_text());
}

TEST_HARNESS_MAIN
