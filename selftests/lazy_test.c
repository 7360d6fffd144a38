// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Lazy restore (libckpt_restore_opts.lazy, ckptctl restore --lazy): the
 * restored tree starts with only what it needs to run and a page server
 * fills the rest. Each workload checks its own memory once restored and
 * reports through a small shared file mapping (filled by the module, not
 * the server); every restore is compared with /proc once the server has
 * filled everything (its ranges are registered with userfaultfd until
 * then).
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define CTL	"/tmp/lz-ctl"
#define AREA	"/tmp/lz-area"
#define ERRS	"/tmp/lz-stderr"
#define PG	4096UL

enum { RUNNING, PASS, FAIL };

/* The workload's side of the test, in the file CTL (MAP_SHARED). */
struct ctl {
	volatile uint64_t ready;	/* set up, waiting for go */
	volatile uint64_t go;		/* the test's: check yourself now */
	volatile uint64_t tick;		/* CLOCK_MONOTONIC ns, while it waits */
	volatile uint64_t result[2];	/* per process: RUNNING, PASS, FAIL */
	volatile uint64_t bad[2];	/* what failed, for the log */
	volatile uint64_t stop;		/* the test compared /proc: exit */
	volatile uint64_t um_at_fork;	/* ranges still registered when it forked */
	volatile uint64_t region;	/* the touched workload's memory */
	volatile uint64_t touch;	/* the test's: write the hot pages now */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t pattern(uint64_t addr, uint64_t seed)
{
	return (addr + seed) * 0x9E3779B97F4A7C15ULL;
}

static struct ctl *map_ctl(bool create)
{
	int fd = open(CTL, O_RDWR | (create ? O_CREAT | O_TRUNC : 0), 0600);
	void *p;

	if (fd < 0 || (create && ftruncate(fd, PG)))
		return NULL;
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* @pages pages at @mem, each with its own first and last word. */
static void fill(uint64_t *mem, uint64_t pages, uint64_t seed)
{
	uint64_t i;

	for (i = 0; i < pages; i++) {
		mem[i * 512] = pattern(i, seed);
		mem[i * 512 + 511] = ~pattern(i, seed);
	}
}

static uint64_t check(const uint64_t *mem, uint64_t pages, uint64_t seed)
{
	uint64_t i, bad = 0;

	for (i = 0; i < pages; i++)
		if (mem[i * 512] != pattern(i, seed) || mem[i * 512 + 511] != ~pattern(i, seed))
			bad++;
	return bad;
}

static uint64_t check_zero(const uint64_t *mem, uint64_t pages)
{
	uint64_t i, bad = 0;

	for (i = 0; i < pages * 512; i++)
		if (mem[i])
			bad++;
	return bad;
}

/* Private anonymous memory of its own: a read-only page keeps it one mapping. */
static uint64_t *region(uint64_t pages)
{
	char *p = mmap(NULL, (pages + 1) * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + pages * PG, PG, PROT_READ))
		_exit(50);
	return (uint64_t *)p;
}

/* Until the test says go: the tick shows when the restored code first runs. */
static void wait_go(struct ctl *c)
{
	struct timespec ts = { 0, 1000 * 1000 };

	while (!c->go) {
		c->tick = now_ns();
		nanosleep(&ts, NULL);
	}
}

/* Does a mapping of ours show VmFlags "um" (registered with userfaultfd)? */
static bool registered(void)
{
	static char buf[256 * 1024];
	int fd = open("/proc/self/smaps", O_RDONLY);
	ssize_t n, len = 0;

	while (fd >= 0 && len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	if (fd >= 0)
		close(fd);
	buf[len] = '\0';
	return strstr(buf, " um") != NULL;
}

static void wait_stop(struct ctl *c)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	while (!c->stop)
		nanosleep(&ts, NULL);
}

#define BIG_PAGES	(256 * 1024)	/* 1 GiB */
#define STREAM_PAGES	(16 * 1024)	/* 64 MiB */

/* @pages pages of anonymous memory, every page different. */
static void big_workload(struct ctl *c, uint64_t pages)
{
	uint64_t *mem = region(pages);

	fill(mem, pages, 4);
	c->ready = 1;
	wait_go(c);
	c->bad[0] = check(mem, pages, 4);
	c->result[0] = c->bad[0] ? FAIL : PASS;
	wait_stop(c);
	_exit(0);
}

#define TREE_PAGES	(8 * 1024)	/* 32 MiB each */

/* A parent and a child, each with memory of its own, and memory they share. */
static void tree_workload(struct ctl *c)
{
	uint64_t *shared = mmap(NULL, 256 * PG, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t *mine = region(TREE_PAGES);
	int who = 0, st;
	pid_t child;

	if (shared == MAP_FAILED)
		_exit(51);
	fill(shared, 256, 9);
	child = fork();
	if (child < 0)
		_exit(52);
	if (child == 0) {
		who = 1;
		munmap(mine, (TREE_PAGES + 1) * PG);
		mine = region(TREE_PAGES);
	}
	fill(mine, TREE_PAGES, 10 + who);
	if (who == 0) {
		while (c->ready != 1)
			usleep(1000);
		c->ready = 2;
	} else {
		c->ready = 1;
	}
	wait_go(c);
	c->bad[who] = check(mine, TREE_PAGES, 10 + who) + check(shared, 256, 9);
	c->result[who] = c->bad[who] ? FAIL : PASS;
	wait_stop(c);
	if (who == 0)
		waitpid(child, &st, 0);
	_exit(0);
}

#define EV_PAGES	(64 * 1024)	/* 256 MiB */
#define EV_SMALL	(16 * 1024)	/* 64 MiB */

/*
 * Right after the restore, while its pages are still being served: a
 * child forked (it checks the memory it inherited, served to it through
 * its own userfaultfd), a range dropped with MADV_DONTNEED (it must read
 * zeros, not the image's data), a region moved with mremap() (its data
 * follows it) and moved back, so /proc shows what it showed before.
 */
static void events_workload(struct ctl *c)
{
	uint64_t *a = region(EV_PAGES), *b = region(EV_SMALL), *m = region(EV_SMALL);
	uint64_t bad = 0, len = EV_SMALL * PG;
	void *tmp, *moved;
	pid_t child;
	int st;

	fill(a, EV_PAGES, 21);
	fill(b, EV_SMALL, 22);
	fill(m, EV_SMALL, 23);
	c->ready = 1;
	wait_go(c);
	c->um_at_fork = registered();
	child = fork();
	if (child == 0)
		_exit(check(a, EV_PAGES, 21) ? 1 : 0);
	if (child < 0 || waitpid(child, &st, 0) != child || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		bad |= 1;
	/* The dropped half reads zeros; the other is the image's still. */
	if (madvise(b, len / 2, MADV_DONTNEED) || check_zero(b, EV_SMALL / 2))
		bad |= 2;
	if (check(b + EV_SMALL / 2 * 512, EV_SMALL / 2, 22 + EV_SMALL / 2))
		bad |= 4;
	fill(b, EV_SMALL / 2, 22);
	tmp = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	moved = tmp == MAP_FAILED ? MAP_FAILED :
		mremap(m, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, tmp);
	if (moved == MAP_FAILED || check(moved, EV_SMALL, 23))
		bad |= 8;
	if (moved != MAP_FAILED &&
	    mremap(moved, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, m) != (void *)m)
		bad |= 16;
	if (check(m, EV_SMALL, 23) || check(a, EV_PAGES, 21) || check(b, EV_SMALL, 22))
		bad |= 32;
	c->bad[0] = bad;
	c->result[0] = bad ? FAIL : PASS;
	wait_stop(c);
	_exit(0);
}

#define TOUCH_PAGES	(16 * 1024)	/* 64 MiB */
#define HOT_PAGES	64

/*
 * The pages written (every 16th of the last 4 MiB) and read (of 4 MiB
 * 8 MiB below, so no huge page holds both) last: what image order would
 * serve last.
 */
static uint64_t written_page(uint64_t i)
{
	return TOUCH_PAGES - 1024 + i * 16;
}

static uint64_t read_page(uint64_t i)
{
	return TOUCH_PAGES - 4096 + i * 16;
}

/*
 * 64 MiB written once; after the test's first checkpoint (and its
 * clearing of the accessed bits), 64 of its pages read and 64 written:
 * the pages touched last before the second.
 */
static void touched_workload(struct ctl *c)
{
	struct timespec ts = { 0, 1000 * 1000 };
	uint64_t *mem = region(TOUCH_PAGES), bad, sum = 0, i;

	fill(mem, TOUCH_PAGES, 31);
	c->region = (uintptr_t)mem;
	c->ready = 1;
	while (!c->touch)
		nanosleep(&ts, NULL);
	for (i = 0; i < HOT_PAGES; i++) {
		sum += *(volatile uint64_t *)&mem[read_page(i) * 512];
		mem[written_page(i) * 512 + 1] = i + 1;
	}
	c->bad[1] = sum;
	c->ready = 2;
	wait_go(c);
	bad = check(mem, TOUCH_PAGES, 31);
	for (i = 0; i < HOT_PAGES; i++)
		bad += mem[written_page(i) * 512 + 1] != i + 1;
	c->bad[0] = bad;
	c->result[0] = bad ? FAIL : PASS;
	wait_stop(c);
	_exit(0);
}

__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_LZ_WORKLOAD");
	struct ctl *c;

	if (!w)
		return;
	close_range(0, ~0U, 0);
	setsid();
	c = map_ctl(false);
	if (!c)
		_exit(49);
	if (!strcmp(w, "big"))
		big_workload(c, BIG_PAGES);
	if (!strcmp(w, "stream"))
		big_workload(c, STREAM_PAGES);
	if (!strcmp(w, "tree"))
		tree_workload(c);
	if (!strcmp(w, "events"))
		events_workload(c);
	if (!strcmp(w, "touched"))
		touched_workload(c);
	if (!strcmp(w, "idle")) {
		for (;;)
			pause();
	}
	_exit(48);
}

static struct ps_snap before;
static struct ctl *ctl;
static pid_t pids[2];
static int npids;

static int wait_until(volatile uint64_t *word, uint64_t v, int ms)
{
	int i;

	for (i = 0; i < ms; i++) {
		if (*word >= v)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* A full checkpoint of group @pgid into AREA, committed. */
static void freeze_into_area(struct __test_metadata *_metadata, pid_t pgid)
{
	struct libckpt_job job, done;
	struct libckpt *h;
	int fd = open(AREA, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));
	ASSERT_EQ(0, libckpt_freeze(h, pgid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	ASSERT_EQ(CKPT_JOB_COMMITTED, done.state);
	libckpt_close(h);
	close(fd);
}

/* Start @kind, checkpoint its group into AREA, kill it. */
static void checkpoint_and_kill(struct __test_metadata *_metadata, const char *kind,
				uint64_t ready, uint64_t area_mib)
{
	char err[256];
	pid_t started;
	int i;

	unlink(AREA);
	ctl = map_ctl(true);
	ASSERT_NE(NULL, ctl);
	started = exec_self_as("CKPT_LZ_WORKLOAD", kind);
	ASSERT_EQ(0, wait_until(&ctl->ready, ready, 120000));
	pids[0] = started;
	npids = ps_session_pids(started, pids, 2);
	ASSERT_LT(0, npids);
	ASSERT_EQ(0, libckpt_area_create(AREA, area_mib << 20, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, ps_take_idle(&before, pids, npids, PS_SETTLE_MS));
	freeze_into_area(_metadata, started);
	for (i = 0; i < npids; i++)
		kill(pids[i], SIGKILL);
	waitpid(started, NULL, 0);
}

/* Threads of @pid still listed in /proc/PID/task. */
static int threads_left(pid_t pid)
{
	char path[64];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	while (dir && (d = readdir(dir)))
		n += d->d_name[0] != '.';
	if (dir)
		closedir(dir);
	return n;
}

/*
 * Gone, or a zombie no one reaped yet (the server is init's child), and
 * so are all its threads. A leader shows Z as soon as it has exited
 * itself; another thread may still be exiting, holding the descriptor
 * table (and the area's lock): it leaves the task list after dropping it.
 */
static bool gone(pid_t pid)
{
	char path[64], buf[256], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_text(path, buf, sizeof(buf)) <= 0)
		return true;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'Z' && threads_left(pid) <= 1;
}

static int wait_gone(pid_t pid, int ms)
{
	int i;

	for (i = 0; i < ms / 5; i++) {
		if (gone(pid))
			return 0;
		usleep(5000);
	}
	return -1;
}

struct timing {
	double returned, first, all;	/* seconds from the restore's start */
};

/*
 * Checkpoint process @pid into AREA while its generation is served:
 * refused, naming it; the libckpt error or "" if it was not refused.
 */
static int checkpoint_into_served_area(pid_t pid, char *why, size_t len)
{
	struct libckpt_job job;
	struct libckpt *h;
	int fd = open(AREA, O_RDWR), ret;

	if (fd < 0 || libckpt_open(&h))
		return -1;
	ret = libckpt_freeze(h, pid, fd, 0, &job);
	snprintf(why, len, "%s", libckpt_error(h));
	libckpt_close(h);
	close(fd);
	return ret;
}

static pid_t idle = -1;		/* a process to checkpoint while serving */
static int idle_ret;
static char idle_why[256];

/*
 * Restore AREA (@lazy or not) detached, as the workload's own pid; the
 * times until libckpt_restore() returned, the workload's first tick and
 * (lazy) the page server's exit: every page present, the checksum checked.
 */
static void restore(struct __test_metadata *_metadata, bool lazy, struct timing *t)
{
	struct libckpt_restore_opts o = {
		/* The control file's mtime moves with every tick. */
		.lazy = lazy, .skip_file_check = 1,
	};
	char err[LIBCKPT_ERRLEN];
	uint64_t t0;
	pid_t got = 0, server = 0;
	int status;

	o.lazy_server = &server;
	t0 = now_ns();
	ASSERT_EQ(0, libckpt_restore(AREA, &o, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	t->returned = (now_ns() - t0) / 1e9;
	ASSERT_EQ(pids[0], got);
	/* The restore writes back the tick of the checkpoint (tmpfs): a newer one. */
	ASSERT_EQ(0, wait_until(&ctl->tick, t0 + 1, 60000));
	t->first = (ctl->tick - t0) / 1e9;
	if (lazy) {
		ASSERT_LT(0, server);
		if (idle > 0) {
			idle_ret = checkpoint_into_served_area(idle, idle_why, sizeof(idle_why));
			EXPECT_FALSE(gone(server)) TH_LOG("served too fast for the test");
		}
		ASSERT_EQ(0, wait_gone(server, 300000));
	}
	t->all = (now_ns() - t0) / 1e9;
}

/* After the server: /proc as before, then the workload checks itself. */
static void expect_restored(struct __test_metadata *_metadata, const char *test)
{
	char *report;
	int diffs, i;

	diffs = ps_expect_same(&before, NULL, 0, ps_scope(test), PS_SETTLE_MS, &report);
	EXPECT_PROC_SAME(diffs, report);
	ctl->go = 1;
	for (i = 0; i < npids; i++) {
		EXPECT_EQ(0, wait_until(&ctl->result[i], PASS, 120000));
		EXPECT_EQ(PASS, ctl->result[i]) TH_LOG("process %d: %llu bad", i,
						     (unsigned long long)ctl->bad[i]);
	}
}

static void finish(void)
{
	int i;

	ctl->stop = 1;
	for (i = 0; i < npids; i++)
		wait_gone(pids[i], 10000);
	unlink(AREA);
	unlink(CTL);
}

/*
 * The page server gave up: it and the tree are gone, @why is on its
 * standard error (ERRS) and in the kernel log, the workload never checked
 * itself.
 */
static void expect_tree_killed(struct __test_metadata *_metadata, pid_t server,
			       const char *why)
{
	char out[4096];
	int i;

	EXPECT_EQ(0, wait_gone(server, 120000));
	for (i = 0; i < npids; i++)
		EXPECT_EQ(0, wait_gone(pids[i], 10000)) TH_LOG("pid %d was left behind", pids[i]);
	read_text(ERRS, out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, why)) TH_LOG("stderr: %s", out);
	EXPECT_NE(NULL, strstr(out, "the restored tree was killed")) TH_LOG("stderr: %s", out);
	EXPECT_EQ(0, run_cmd("dmesg", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, why)) TH_LOG("dmesg: %s", out);
	EXPECT_EQ(RUNNING, ctl->result[0]);
	unlink(AREA);
	unlink(CTL);
}

FIXTURE(lazy) {
};

FIXTURE_SETUP(lazy)
{
}

FIXTURE_TEARDOWN(lazy)
{
	unlink(AREA);
	unlink(CTL);
	unlink(ERRS);
}

#define IMAGE	"/tmp/lz-image"
#define TAIL	(8 << 20)	/* what the feeder keeps back: late pages */

/* AREA's generation as a standalone image file, IMAGE; its length. */
static off_t export_image(struct __test_metadata *_metadata)
{
	char err[LIBCKPT_ERRLEN];
	struct libckpt_image *img;
	struct stat st;
	int fd;

	ASSERT_EQ(0, libckpt_image_open(AREA, &img, err, sizeof(err))) TH_LOG("%s", err);
	fd = open(IMAGE, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_image_export(img, fd, NULL, NULL, err, sizeof(err)))
		TH_LOG("%s", err);
	libckpt_image_close(img);
	ASSERT_EQ(0, fstat(fd, &st));
	close(fd);
	return st.st_size;
}

/*
 * Writes IMAGE into @pipe_fd but its last TAIL bytes, waits (60 s at
 * most) for the restored workload's first tick after @t0, then writes the
 * tail unless @cut, and exits: 0 if the workload ran before the tail was
 * sent, 1 if it did not, 2 on an I/O error.
 */
static pid_t feed(int pipe_fd, off_t len, uint64_t t0, bool cut)
{
	static char buf[1 << 16];
	pid_t pid = fork();
	uint64_t deadline = now_ns() + 60 * 1000000000ULL;
	off_t done = 0;
	ssize_t n;
	int fd;

	if (pid)
		return pid;
	/* A server that gave up closed the pipe: say so, do not die of it. */
	signal(SIGPIPE, SIG_IGN);
	fd = open(IMAGE, O_RDONLY);
	while (fd >= 0 && done < len - TAIL) {
		n = read(fd, buf, len - TAIL - done < (off_t)sizeof(buf) ?
			 (size_t)(len - TAIL - done) : sizeof(buf));
		if (n <= 0 || write(pipe_fd, buf, (size_t)n) != n)
			_exit(2);
		done += n;
	}
	while (ctl->tick <= t0 && now_ns() < deadline)
		usleep(1000);
	while (!cut && (n = read(fd, buf, sizeof(buf))) > 0)
		if (write(pipe_fd, buf, (size_t)n) != n)
			_exit(2);
	_exit(ctl->tick > t0 ? 0 : 1);
}

/* libckpt_restore("-", --lazy) with @in as standard input, stderr to ERRS. */
static int restore_stream(int in, pid_t *got, pid_t *server, char *err, size_t len)
{
	struct libckpt_restore_opts o = { .lazy = 1, .skip_file_check = 1 };
	int saved_in = dup(0), saved_err = dup(2), fd, status, ret;

	fd = open(ERRS, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	dup2(in, 0);
	o.lazy_server = server;
	ret = libckpt_restore("-", &o, got, &status, err, len);
	dup2(saved_in, 0);
	dup2(saved_err, 2);
	close(saved_in);
	close(saved_err);
	return ret;
}

/*
 * A stream restored lazily starts the tree before it has ended: the
 * feeder keeps the image's last 8 MiB (late pages of the workload's 64
 * MiB) until the restored workload has run; then the server reads them
 * and the workload finds every page of its memory.
 */
TEST_F_TIMEOUT(lazy, stream_starts_before_its_end, 300)
{
	char err[LIBCKPT_ERRLEN];
	pid_t got = 0, server = 0, feeder;
	int p[2], status;
	uint64_t t0;
	off_t len;

	checkpoint_and_kill(_metadata, "stream", 1, 160);
	len = export_image(_metadata);
	ASSERT_LT(TAIL * 2, len);
	ASSERT_EQ(0, pipe(p));
	t0 = now_ns();
	feeder = feed(p[1], len, t0, false);
	close(p[1]);
	ASSERT_EQ(0, restore_stream(p[0], &got, &server, err, sizeof(err))) TH_LOG("%s", err);
	close(p[0]);
	ASSERT_EQ(pids[0], got);
	ASSERT_EQ(feeder, waitpid(feeder, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the restored workload did not run before the stream's end");
	ASSERT_LT(0, server);
	ASSERT_EQ(0, wait_gone(server, 120000));
	expect_restored(_metadata, "stream_starts_before_its_end");
	finish();
	unlink(IMAGE);
}

/*
 * A stream that ends before its late pages have come kills the tree it
 * started, naming the reason.
 */
TEST_F_TIMEOUT(lazy, stream_cut_kills_the_tree, 300)
{
	/* "the image stream: record N at offset M: truncated: ..." */
	const char *why = "truncated: the stream ends at byte";
	char err[LIBCKPT_ERRLEN], out[4096];
	pid_t got = 0, server = 0, feeder;
	int p[2], status;
	off_t len;

	checkpoint_and_kill(_metadata, "stream", 1, 160);
	len = export_image(_metadata);
	run_cmd("dmesg -c", out, sizeof(out));
	ASSERT_EQ(0, pipe(p));
	feeder = feed(p[1], len, now_ns(), true);
	close(p[1]);
	ASSERT_EQ(0, restore_stream(p[0], &got, &server, err, sizeof(err))) TH_LOG("%s", err);
	close(p[0]);
	ASSERT_EQ(feeder, waitpid(feeder, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	expect_tree_killed(_metadata, server, why);
	read_text(ERRS, out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "the image stream: ")) TH_LOG("stderr: %s", out);
	unlink(IMAGE);
}

/*
 * 1 GiB of anonymous memory, restored fully and then lazily from the same
 * generation: both check every page; the times of each are logged (the
 * lazy restore's first instruction against the full restore's).
 */
TEST_F_TIMEOUT(lazy, one_gib_restored_lazily, 600)
{
	struct timing full, lz;

	checkpoint_and_kill(_metadata, "big", 1, 1100);
	restore(_metadata, false, &full);
	ctl->go = 1;
	EXPECT_EQ(0, wait_until(&ctl->result[0], PASS, 120000));
	EXPECT_EQ(PASS, ctl->result[0]);
	ctl->stop = 1;
	ASSERT_EQ(0, wait_gone(pids[0], 10000));
	ctl->go = ctl->stop = ctl->result[0] = 0;

	/* The generation it serves is held: no checkpoint into its area. */
	idle = exec_self_as("CKPT_LZ_WORKLOAD", "idle");
	restore(_metadata, true, &lz);
	EXPECT_EQ(-EBUSY, idle_ret);
	EXPECT_NE(NULL, strstr(idle_why, "is being served to a lazily restored tree"))
		TH_LOG("%s", idle_why);
	/* Once served, the area takes checkpoints again. */
	EXPECT_EQ(0, checkpoint_into_served_area(idle, idle_why, sizeof(idle_why)))
		TH_LOG("%s", idle_why);
	kill(idle, SIGKILL);
	waitpid(idle, NULL, 0);
	expect_restored(_metadata, _metadata->name);
	TH_LOG("full restore: returned %.3f s, first instruction %.3f s",
	       full.returned, full.first);
	TH_LOG("lazy restore: returned %.3f s, first instruction %.3f s, all pages %.3f s",
	       lz.returned, lz.first, lz.all);
	TH_LOG("lazy first instruction / full restore: %.3f (target <= 0.1); all pages / full: %.2f (target <= 1)",
	       lz.first / full.first, lz.all / full.first);
	finish();
}

/* A parent and child, each with lazily served memory, and shared memory (eager). */
TEST_F_TIMEOUT(lazy, tree_restored_lazily, 300)
{
	struct timing t;

	checkpoint_and_kill(_metadata, "tree", 2, 256);
	ASSERT_EQ(2, npids);
	restore(_metadata, true, &t);
	expect_restored(_metadata, _metadata->name);
	finish();
}

/*
 * fork(), MADV_DONTNEED and mremap() right after a lazy restore, while
 * pages are served: the child gets the image's data, a dropped range
 * zeros, a moved region its data.
 */
TEST_F_TIMEOUT(lazy, fork_dontneed_mremap_while_served, 300)
{
	struct libckpt_restore_opts o = { .lazy = 1, .skip_file_check = 1 };
	char err[LIBCKPT_ERRLEN], *report;
	pid_t got = 0, server = 0;
	int status, diffs;

	checkpoint_and_kill(_metadata, "events", 1, 512);
	o.lazy_server = &server;
	ASSERT_EQ(0, libckpt_restore(AREA, &o, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	/*
	 * Only now: the control file is tmpfs, shared memory whose pages
	 * the restore writes back as they were.
	 */
	ctl->go = 1;
	EXPECT_EQ(0, wait_until(&ctl->result[0], PASS, 120000));
	EXPECT_EQ(PASS, ctl->result[0]) TH_LOG("what failed: 0x%llx",
					     (unsigned long long)ctl->bad[0]);
	/* Its events came while pages were served, not after. */
	EXPECT_EQ(1, ctl->um_at_fork);
	ASSERT_EQ(0, wait_gone(server, 300000));
	diffs = ps_expect_same(&before, NULL, 0, ps_scope(_metadata->name), PS_SETTLE_MS,
			       &report);
	EXPECT_PROC_SAME(diffs, report);
	finish();
}

/* How many of @n pages from @addr of @pid are present (pagemap bit 63). */
static int present_pages(pid_t pid, uint64_t addr, const uint64_t *pages, size_t n,
			 uint64_t *map)
{
	char path[64];
	size_t i, got = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (pread(fd, map, TOUCH_PAGES * sizeof(*map), (off_t)(addr / PG * sizeof(*map))) !=
	    (ssize_t)(TOUCH_PAGES * sizeof(*map))) {
		close(fd);
		return -1;
	}
	close(fd);
	for (i = 0; i < n; i++)
		got += map[pages[i]] >> 63;
	return (int)got;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Until all @n pages at @want are present; how many of @others are then. */
static int others_when_present(pid_t pid, const uint64_t *want, size_t n,
			       const uint64_t *others, size_t nr_others, uint64_t *map)
{
	uint64_t t0 = now_ns();
	int got;

	do {
		got = present_pages(pid, ctl->region, want, n, map);
		if (got < 0)
			return -1;
		if ((size_t)got == n)
			return present_pages(pid, ctl->region, others, nr_others, map);
		usleep(10000);
	} while (now_ns() - t0 < 60000000000ULL);
	return -1;
}

/*
 * The prefetch takes the pages touched last before the checkpoint first:
 * after a first checkpoint (which clears the soft-dirty bits) and a clear
 * of the accessed bits (/proc/PID/clear_refs, as a working-set estimator
 * or reclaim would), 64 pages near the far end of 64 MiB are written and
 * 64 others read. Restored lazily with the prefetch slowed to 4 MiB/s,
 * the restored process's pagemap shows the written pages present before
 * all of the read ones (polled every 10 ms: a few may be there too), then
 * the read ones while most of the rest is missing. In image order they would be
 * the last to arrive.
 */
TEST_F_TIMEOUT(lazy, recently_touched_prefetched_first, 300)
{
	struct libckpt_restore_opts o = {
		.lazy = 1, .skip_file_check = 1, .lazy_rate = 4 << 20,
	};
	static uint64_t map[TOUCH_PAGES], written[HOT_PAGES], rd[HOT_PAGES], rest[TOUCH_PAGES];
	char err[LIBCKPT_ERRLEN], path[64];
	pid_t got = 0, server = 0, started;
	int status, n_rd, n_rest_w, n_rest_r;
	size_t nr_rest = 0, i, j;
	uint64_t k;

	unlink(AREA);
	ctl = map_ctl(true);
	ASSERT_NE(NULL, ctl);
	started = exec_self_as("CKPT_LZ_WORKLOAD", "touched");
	ASSERT_EQ(0, wait_until(&ctl->ready, 1, 120000));
	pids[0] = started;
	npids = 1;
	ASSERT_EQ(0, libckpt_area_create(AREA, 200 << 20, err, sizeof(err))) TH_LOG("%s", err);
	freeze_into_area(_metadata, started);
	snprintf(path, sizeof(path), "/proc/%d/clear_refs", started);
	ASSERT_EQ(0, write_text(path, "1"));
	ctl->touch = 1;
	ASSERT_EQ(0, wait_until(&ctl->ready, 2, 60000));
	ASSERT_EQ(0, ps_take_idle(&before, pids, npids, PS_SETTLE_MS));
	freeze_into_area(_metadata, started);
	kill(started, SIGKILL);
	waitpid(started, NULL, 0);

	for (i = 0; i < HOT_PAGES; i++) {
		written[i] = written_page(i);
		rd[i] = read_page(i);
	}
	for (k = 0, i = 0, j = 0; k < TOUCH_PAGES; k++) {
		if (i < HOT_PAGES && k == rd[i])
			i++;
		else if (j < HOT_PAGES && k == written[j])
			j++;
		else
			rest[nr_rest++] = k;
	}
	o.lazy_server = &server;
	ASSERT_EQ(0, libckpt_restore(AREA, &o, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(started, got);
	ASSERT_LT(0, server);
	/* The workload waits for go: only the prefetch makes pages present. */
	n_rd = others_when_present(got, written, HOT_PAGES, rd, HOT_PAGES, map);
	n_rest_w = present_pages(got, ctl->region, rest, nr_rest, map);
	n_rest_r = others_when_present(got, rd, HOT_PAGES, rest, nr_rest, map);
	TH_LOG("when the %d written pages were present: %d of the %d read ones, %d of %zu others",
	       HOT_PAGES, n_rd, HOT_PAGES, n_rest_w, nr_rest);
	TH_LOG("when the %d read pages were present: %d of %zu others", HOT_PAGES, n_rest_r,
	       nr_rest);
	EXPECT_LE(0, n_rd);
	/* Without soft-dirty bits a written page is only an accessed one. */
	if (kernel_tracks_soft_dirty()) {
		EXPECT_GT(HOT_PAGES, n_rd) TH_LOG("the written pages did not come first");
	} else {
		TH_LOG("no CONFIG_MEM_SOFT_DIRTY: written pages not told from read ones");
	}
	EXPECT_LE(0, n_rest_r);
	EXPECT_GT(nr_rest / 4, (size_t)n_rest_r) TH_LOG("the read pages did not come next");
	ASSERT_EQ(0, wait_gone(server, 300000));
	expect_restored(_metadata, _metadata->name);
	finish();
}

/*
 * A damaged byte of page data: a lazy restore runs before the last page
 * is read, so the server finds the mismatch afterwards and kills the whole
 * tree, saying why on the caller's stderr and in the kernel log.
 */
TEST_F_TIMEOUT(lazy, damaged_page_data_kills_the_tree, 300)
{
	struct libckpt_restore_opts o = { .lazy = 1, .skip_file_check = 1 };
	const char *why = "checksum mismatch in the image's page data";
	char err[LIBCKPT_ERRLEN], out[4096];
	pid_t got = 0, server = 0;
	int status, fd, saved, i;
	char c;

	checkpoint_and_kill(_metadata, "tree", 2, 256);
	fd = open(AREA, O_RDWR);
	ASSERT_LE(0, fd);
	/* A byte 16 MiB into the first generation: the parent's lazy memory. */
	ASSERT_EQ(1, pread(fd, &c, 1, CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE + (16 << 20)));
	c ^= 0x40;
	ASSERT_EQ(1, pwrite(fd, &c, 1, CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE + (16 << 20)));
	close(fd);
	run_cmd("dmesg -c", out, sizeof(out));
	/* The server inherits the caller's stderr. */
	fd = open(ERRS, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	o.lazy_server = &server;
	i = libckpt_restore(AREA, &o, &got, &status, err, sizeof(err));
	dup2(saved, 2);
	close(saved);
	ASSERT_EQ(0, i) TH_LOG("%s", err);
	expect_tree_killed(_metadata, server, why);
}

TEST_HARNESS_MAIN
