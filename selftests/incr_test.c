// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Incremental generations (LIBCKPT_F_INCREMENTAL, ckptctl freeze
 * --incremental): a workload is checkpointed whole, then changes a known
 * set of its pages and moves a region with mremap(), and is checkpointed
 * again; then changes another set and is checkpointed a third time. Each
 * incremental image must carry about what changed and name the one before
 * as its parent, which cannot be dropped; a checkpoint after another
 * freeze of the group (a dump) is full. The third generation restores —
 * composed over the chain of three — into a process that finds every page
 * of its memory as it left it (it checks itself) and that /proc shows as
 * before. A damaged grandparent refuses the restore, naming it.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define CTL	"/tmp/incr-ctl"
#define AREA	"/tmp/incr-area"
#define DUMP	"/tmp/incr-dump"
#define PG	4096UL

#define BIG_PAGES	(64 * 1024)	/* 256 MiB, all written */
#define CHUNK		4096		/* of every CHUNK pages ... */
#define CHANGED		16		/* ... the first CHANGED change: 1 MiB */
#define MOVED_PAGES	256		/* 1 MiB moved with mremap() */

enum { RUNNING, PASS, FAIL };

/* The workload's side of the test, in the file CTL (MAP_SHARED). */
struct ctl {
	volatile uint64_t ready;	/* 1: filled; 2, 3: changed once, twice */
	volatile uint64_t change;	/* the test's: change your pages (1, 2) */
	volatile uint64_t go;		/* the test's: check yourself now */
	volatile uint64_t result;	/* RUNNING, PASS, FAIL */
	volatile uint64_t bad;		/* pages found wrong */
	volatile uint64_t stop;		/* exit */
};

static uint64_t pattern(uint64_t i, uint64_t seed)
{
	return (i + 1) * 0x9E3779B97F4A7C15ULL ^ seed;
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

/*
 * The seed page @i of the big region holds after @changes changes: the
 * first rewrites the first CHANGED pages of every CHUNK, the second the
 * next CHANGED.
 */
static uint64_t seed_of(uint64_t i, unsigned int changes)
{
	uint64_t k = i % CHUNK / CHANGED;

	return k < 2 && k < changes ? 2 + k : 1;
}

static void fill(uint64_t *mem, uint64_t i, uint64_t seed)
{
	mem[i * 512] = pattern(i, seed);
	mem[i * 512 + 300] = ~pattern(i, seed);
}

static bool good(const uint64_t *mem, uint64_t i, uint64_t seed)
{
	return mem[i * 512] == pattern(i, seed) &&
	       mem[i * 512 + 300] == ~pattern(i, seed);
}

static void wait_for(volatile uint64_t *word)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	while (!*word)
		nanosleep(&ts, NULL);
}

/*
 * 256 MiB, every page written; then 16 runs of 16 pages rewritten and a
 * 1 MiB region moved elsewhere (its pages keep their contents, at new
 * addresses); then, restored, every page checked.
 */
static void workload(struct ctl *c)
{
	uint64_t *big = mmap(NULL, BIG_PAGES * PG, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t *mv = mmap(NULL, MOVED_PAGES * PG, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t *to, i, bad = 0;

	if (big == MAP_FAILED || mv == MAP_FAILED)
		_exit(50);
	/* Apart from everything else, so no mapping merges with another. */
	to = mmap(NULL, (MOVED_PAGES + 2) * PG, PROT_NONE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (to == MAP_FAILED)
		_exit(51);
	for (i = 0; i < BIG_PAGES; i++)
		fill(big, i, 1);
	for (i = 0; i < MOVED_PAGES; i++)
		fill(mv, i, 3);
	c->ready = 1;
	wait_for(&c->change);
	for (i = 0; i < BIG_PAGES; i++)
		if (seed_of(i, 1) != 1)
			fill(big, i, seed_of(i, 1));
	to = mremap(mv, MOVED_PAGES * PG, MOVED_PAGES * PG,
		    MREMAP_MAYMOVE | MREMAP_FIXED, to + 512);
	if (to == MAP_FAILED)
		_exit(52);
	c->ready = 2;
	while (c->change < 2)
		usleep(2000);
	for (i = 0; i < BIG_PAGES; i++)
		if (seed_of(i, 2) != seed_of(i, 1))
			fill(big, i, seed_of(i, 2));
	c->ready = 3;
	wait_for(&c->go);
	for (i = 0; i < BIG_PAGES; i++)
		bad += !good(big, i, seed_of(i, 2));
	for (i = 0; i < MOVED_PAGES; i++)
		bad += !good(to, i, 3);
	c->bad = bad;
	c->result = bad ? FAIL : PASS;
	wait_for(&c->stop);
	_exit(0);
}

__attribute__((constructor)) static void maybe_workload(void)
{
	struct ctl *c;

	if (!getenv("CKPT_INCR_WORKLOAD"))
		return;
	close_range(0, ~0U, 0);
	setsid();
	c = map_ctl(false);
	if (!c)
		_exit(49);
	workload(c);
}

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

/* One checkpoint of @pid into the area on @fd, waited for. */
static int checkpoint(struct libckpt *h, pid_t pid, int fd, struct libckpt_job *done)
{
	struct libckpt_freeze_opts o = { .flags = LIBCKPT_F_INCREMENTAL };
	struct libckpt_job job;
	int ret;

	ret = libckpt_freeze_with(h, pid, fd, &o, &job);
	if (!ret)
		ret = libckpt_wait(h, job.id, done);
	if (!ret && done->state != CKPT_JOB_COMMITTED)
		ret = done->error ? done->error : -EIO;
	return ret;
}

static int wait_gone(pid_t pid, int ms)
{
	int i;

	for (i = 0; i < ms / 5; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid || kill(pid, 0))
			return 0;
		usleep(5000);
	}
	return -1;
}

FIXTURE(incr) {
};

FIXTURE_SETUP(incr)
{
}

FIXTURE_TEARDOWN(incr)
{
	unlink(AREA);
	unlink(CTL);
	unlink(DUMP);
}

/* A standalone image of @pid into DUMP: a freeze the area does not see. */
static int dump(struct libckpt *h, pid_t pid)
{
	struct libckpt_freeze_opts o = { 0 };
	struct libckpt_job job, done;
	int fd = open(DUMP, O_WRONLY | O_CREAT | O_TRUNC, 0600), ret;

	if (fd < 0)
		return -errno;
	ret = libckpt_dump_with(h, pid, fd, &o, &job);
	if (!ret)
		ret = libckpt_wait(h, job.id, &done);
	close(fd);
	unlink(DUMP);
	return ret;
}

TEST_F_TIMEOUT(incr, a_chain_of_three_restores_composed, 1200)
{
	struct libckpt_restore_opts ro = { .skip_file_check = 1 };
	struct libckpt_job first, second, third, after_dump;
	char err[LIBCKPT_ERRLEN], want[96], spec[64], *report;
	uint64_t changed = (BIG_PAGES / CHUNK * CHANGED + MOVED_PAGES) * PG;
	struct ps_snap before;
	struct libckpt *h;
	struct ctl *c;
	pid_t pid, got = 0;
	int fd, status, diffs;
	char byte;

	if (!kernel_tracks_soft_dirty())
		SKIP(return, "no CONFIG_MEM_SOFT_DIRTY in this kernel: every image is whole");
	c = map_ctl(true);
	ASSERT_NE(NULL, c);
	pid = exec_self_as("CKPT_INCR_WORKLOAD", "1");
	ASSERT_EQ(0, wait_until(&c->ready, 1, 300000));
	unlink(AREA);
	ASSERT_EQ(0, libckpt_area_create(AREA, 640ULL << 20, err, sizeof(err))) TH_LOG("%s", err);
	fd = open(AREA, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));

	/* No parent yet: asked for, a full image all the same. */
	ASSERT_EQ(0, checkpoint(h, pid, fd, &first)) TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(0, first.parent_generation);
	EXPECT_LE((uint64_t)BIG_PAGES * PG, first.image_len);

	c->change = 1;
	ASSERT_EQ(0, wait_until(&c->ready, 2, 300000));
	ASSERT_EQ(0, checkpoint(h, pid, fd, &second)) TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(first.generation, second.parent_generation);
	/*
	 * What changed, and little else: the stack, libc's data, the
	 * metadata, up to 4 KiB of alignment per run (17 runs).
	 */
	EXPECT_LE(changed, second.image_len);
	EXPECT_GE(changed + (768 << 10), second.image_len);
	TH_LOG("full image %llu bytes; after %llu bytes changed: %llu bytes (%.2f %% of the full image)",
	       (unsigned long long)first.image_len, (unsigned long long)changed,
	       (unsigned long long)second.image_len,
	       100.0 * second.image_len / first.image_len);

	c->change = 2;
	ASSERT_EQ(0, wait_until(&c->ready, 3, 300000));
	ASSERT_EQ(0, ps_take_idle(&before, &pid, 1, PS_SETTLE_MS));
	ASSERT_EQ(0, checkpoint(h, pid, fd, &third)) TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(second.generation, third.parent_generation);
	changed = BIG_PAGES / CHUNK * CHANGED * PG;
	EXPECT_LE(changed, third.image_len);
	EXPECT_GE(changed + (768 << 10), third.image_len);

	/* The chain stays while a committed generation builds on it. */
	EXPECT_EQ(-ENOTEMPTY, libckpt_area_drop(h, fd, first.generation));
	EXPECT_EQ(-ENOTEMPTY, libckpt_area_drop(h, fd, second.generation));

	/* Another freeze of the group in between: the next one is full. */
	ASSERT_EQ(0, dump(h, pid)) TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, checkpoint(h, pid, fd, &after_dump)) TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(0, after_dump.parent_generation);
	EXPECT_LE((uint64_t)BIG_PAGES * PG, after_dump.image_len);
	libckpt_close(h);

	/* --lazy does not compose a chain: refused by name, nothing runs. */
	snprintf(spec, sizeof(spec), "%s:%llu", AREA, (unsigned long long)third.generation);
	ro.lazy = 1;
	EXPECT_EQ(-EOPNOTSUPP, libckpt_restore(spec, &ro, &got, &status, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "is incremental: --lazy")) TH_LOG("%s", err);
	ro.lazy = 0;

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ASSERT_EQ(0, libckpt_restore(spec, &ro, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(pid, got);
	diffs = ps_expect_same(&before, NULL, 0, ps_scope(_metadata->name),
			       PS_SETTLE_MS, &report);
	EXPECT_PROC_SAME(diffs, report);
	c->go = 1;
	EXPECT_EQ(0, wait_until(&c->result, PASS, 120000));
	EXPECT_EQ(PASS, c->result) TH_LOG("%llu pages wrong", (unsigned long long)c->bad);
	c->stop = 1;
	EXPECT_EQ(0, wait_gone(pid, 10000));

	/* One byte of the first generation's page data changed: refused, naming it. */
	ASSERT_EQ(1, pread(fd, &byte, 1, CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE + (64 << 20)));
	byte ^= 0x10;
	ASSERT_EQ(1, pwrite(fd, &byte, 1, CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE + (64 << 20)));
	snprintf(want, sizeof(want), "generation %llu builds on generation %llu",
		 (unsigned long long)second.generation, (unsigned long long)first.generation);
	EXPECT_GT(0, libckpt_restore(spec, &ro, &got, &status, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, want)) TH_LOG("%s", err);
	EXPECT_NE(0, kill(pid, 0)) TH_LOG("a refused restore left pid %d running", pid);
	close(fd);
}

TEST_HARNESS_MAIN
