// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Periodic checkpoints (ckptctl freeze --every, --keep) on the real module
 * (their usage errors are in cli_test):
 * a self-checking workload checkpointed every second with --keep 2 holds
 * exactly its 2 newest generations in the area; SIGTERM ends the periodic
 * ckptctl with exit 0 and a message; the workload, killed, is restored
 * from the newest one and checks itself (and /proc is compared); the
 * module's AREA_DROP refuses the newest generation and a missing one; a
 * run killed outright and started again continues; a failed checkpoint
 * is retried at the next tick, five in a row end it with exit 1; the
 * group exiting ends freeze --every with exit 0.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define CKPTCTL	"/usr/bin/ckptctl"
#define AREA	"/tmp/pd-area"
#define LOG	"/tmp/pd-log"
#define GO	"/tmp/pd-go"
#define OUT	"/tmp/pd-out"
#define ERR	"/tmp/pd-err"
#define HEAP_WORDS (1 << 20)		/* 8 MiB */
#define OUT_SIZE 16384

static uint64_t pattern(uint64_t i)
{
	return (i + 7) * 0x9E3779B97F4A7C15ULL;
}

static void say(int fd, const char *what, uint64_t n)
{
	char line[64];
	int len = snprintf(line, sizeof(line), "%s %llu\n", what, (unsigned long long)n);

	if (write(fd, line, len) != len)
		_exit(3);
}

/*
 * The workload: a session of its own with 8 MiB of patterned memory,
 * sleeping in 20 ms steps (checkpointed at any of them); once GO exists it
 * checks the pattern and that it slept at least once, and says PASS or
 * FAIL in its log.
 */
static void workload(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	uint64_t *heap, i, bad = 0, ticks = 0;
	struct stat st;
	int log;

	close_range(0, ~0U, 0);
	setsid();
	if (open("/dev/null", O_RDWR) != 0 || dup(0) != 1 || dup(0) != 2)
		_exit(2);
	log = open(LOG, O_WRONLY | O_APPEND | O_CREAT, 0600);
	heap = malloc(HEAP_WORDS * sizeof(uint64_t));
	if (log < 0 || !heap)
		_exit(2);
	for (i = 0; i < HEAP_WORDS; i++)
		heap[i] = pattern(i);
	say(log, "ready", 0);
	while (stat(GO, &st)) {
		nanosleep(&ts, NULL);
		ticks++;
	}
	for (i = 0; i < HEAP_WORDS; i++)
		bad += heap[i] != pattern(i);
	say(log, bad || !ticks ? "FAIL" : "PASS", bad);
	_exit(bad ? 1 : 0);
}

static void __attribute__((constructor)) maybe_workload(void)
{
	const char *w = getenv("CKPT_PD_WORKLOAD");

	if (w && !strcmp(w, "memory"))
		workload();
}

/* ckptctl freeze <pid> --area AREA @opts, stdout to OUT, stderr to ERR. */
static pid_t start_periodic(pid_t pid, const char *opts)
{
	char cmd[256];
	pid_t p;

	snprintf(cmd, sizeof(cmd), "exec " CKPTCTL " freeze %d --area " AREA " %s >" OUT " 2>" ERR,
		 pid, opts);
	/* Not an earlier run's output while the shell has yet to truncate them. */
	unlink(OUT);
	unlink(ERR);
	p = fork();
	if (p == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return p;
}

/* A fresh AREA of @size, and the workload ready in a session of its own. */
static pid_t start_workload(struct __test_metadata *_metadata, const char *size)
{
	char cmd[128], out[OUT_SIZE];
	pid_t pid;

	unlink(AREA);
	unlink(LOG);
	unlink(GO);
	snprintf(cmd, sizeof(cmd), CKPTCTL " area create " AREA " --size %s 2>&1", size);
	EXPECT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	pid = exec_self_as("CKPT_PD_WORKLOAD", "memory");
	EXPECT_EQ(0, log_wait(LOG, "ready", 1, 30000)) TH_LOG("the workload is not ready");
	return pid;
}

/* start_periodic(), then wait until OUT shows @mark @n times. */
static pid_t periodic_ticks(struct __test_metadata *_metadata, pid_t pid, const char *opts,
			    const char *mark, int n)
{
	pid_t periodic = start_periodic(pid, opts);

	EXPECT_EQ(0, log_wait(OUT, mark, n, 120000)) TH_LOG("fewer than %d checkpoints", n);
	return periodic;
}

/* Wait up to @ms for @pid to exit; its wait status, or -1. */
static int wait_exit(pid_t pid, int ms)
{
	int st, i;

	for (i = 0; i < ms / 50; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(50000);
	}
	return -1;
}

/* The "generation": values of OUT's JSON lines, in order; their number. */
static int generations_printed(uint64_t *gens, int max, char *buf, size_t size)
{
	const char *key = "\"generation\": ";
	char *p;
	int n = 0;

	log_count(OUT, key, buf, size);
	for (p = buf; n < max && (p = strstr(p, key)); p++)
		gens[n++] = strtoull(p + strlen(key), NULL, 10);
	return n;
}

/*
 * --every 1s --keep 2 for a few ticks: one JSON line per checkpoint, the
 * older generations dropped once a newer one is committed, exactly the 2
 * newest left; SIGTERM ends it with exit 0 and a message. The workload,
 * killed, is restored from the newest generation and checks itself.
 */
/*
 * The module itself keeps a generation being served to a lazily restored
 * tree (its page server's OFD read lock on the generation's bytes): a
 * drop asked for without libckpt's own check is refused, and taken once
 * the lock is gone. @fd is the area, @sb its superblock, @gen a committed
 * generation other than the newest.
 */
static void expect_served_kept(struct __test_metadata *_metadata, int fd,
			       const struct ckpt_area_sb *sb, uint64_t gen)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	uint32_t area_fd = (uint32_t)fd;
	struct raw_reply r;
	char a[64];
	size_t n;
	int i, server;

	for (i = 0; i < CKPT_AREA_SLOTS; i++)
		if (sb->slots[i].state == CKPT_SLOT_COMMITTED &&
		    sb->slots[i].generation == gen) {
			fl.l_start = (off_t)sb->slots[i].offset;
			fl.l_len = (off_t)sb->slots[i].length;
		}
	ASSERT_NE(0, fl.l_len);
	server = open(AREA, O_RDONLY);
	ASSERT_LE(0, server);
	ASSERT_EQ(0, fcntl(server, F_OFD_SETLK, &fl));
	n = put_attr(a, 0, CKPT_A_AREA_FD, &area_fd, sizeof(area_fd));
	n = put_attr(a, n, CKPT_A_GENERATION, &gen, sizeof(gen));
	ASSERT_EQ(0, raw_request(CKPT_CMD_AREA_DROP, 0, REQ_FLAGS, a, n, &r));
	EXPECT_EQ(-EBUSY, r.error);
	EXPECT_NE(NULL, strstr(r.msg, "being served to a lazily restored tree")) TH_LOG("%s", r.msg);
	close(server);
	ASSERT_EQ(0, raw_request(CKPT_CMD_AREA_DROP, 0, REQ_FLAGS, a, n, &r));
	EXPECT_EQ(0, r.error) TH_LOG("%s", r.msg);
}

TEST(every_keep_sigterm_restore)
{
	char cmd[256], out[OUT_SIZE], buf[OUT_SIZE], want[128], err[LIBCKPT_ERRLEN], *report;
	uint64_t gens[64], committed[2];
	int st, n, i, c = 0, fd, diffs;
	struct ckpt_area_sb sb;
	struct ps_snap before;
	struct libckpt *h;
	pid_t pid, periodic;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid = start_workload(_metadata, "128M");
	ASSERT_EQ(0, ps_take_idle(&before, &pid, 1, PS_SETTLE_MS));

	periodic = periodic_ticks(_metadata, pid, "--every 1s --keep 2 --json",
				  "\"state\": \"committed\"", 4);
	kill(periodic, SIGTERM);
	st = wait_exit(periodic, 60000);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %#x", st);
	log_count(ERR, "", buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf, "Terminated: stopping after ")) TH_LOG("%s", buf);
	log_lines(_metadata, buf);

	n = generations_printed(gens, 64, buf, sizeof(buf));
	log_lines(_metadata, buf);
	ASSERT_LE(4, n);
	for (i = 1; i < n; i++)
		EXPECT_LT(gens[i - 1], gens[i]);
	/* The third line dropped the first generation. */
	snprintf(want, sizeof(want), "\"dropped\": [%llu]}", (unsigned long long)gens[0]);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("no '%s'", want);

	/* Exactly the 2 newest generations are left. */
	fd = open(AREA, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_area_read(fd, &sb, err, sizeof(err))) TH_LOG("%s", err);
	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		if (sb.slots[i].state == CKPT_SLOT_EMPTY)
			continue;
		EXPECT_EQ(CKPT_SLOT_COMMITTED, sb.slots[i].state);
		if (c < 2)
			committed[c] = sb.slots[i].generation;
		c++;
	}
	ASSERT_EQ(2, c);
	EXPECT_TRUE((committed[0] == gens[n - 1] && committed[1] == gens[n - 2]) ||
		    (committed[0] == gens[n - 2] && committed[1] == gens[n - 1]))
		TH_LOG("area holds %llu and %llu", (unsigned long long)committed[0],
		       (unsigned long long)committed[1]);

	/* AREA_DROP never drops the newest, and says when it is gone. */
	ASSERT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(-EINVAL, libckpt_area_drop(h, fd, gens[n - 1]));
	EXPECT_NE(NULL, strstr(libckpt_error(h), "newest committed generation"))
		TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(-ENOENT, libckpt_area_drop(h, fd, gens[0]));
	libckpt_close(h);
	expect_served_kept(_metadata, fd, &sb, gens[n - 2]);
	close(fd);

	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	snprintf(cmd, sizeof(cmd), CKPTCTL " restore %d --area " AREA " 2>&1", pid);
	ASSERT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "restored pid %d from " AREA ":%llu", pid,
		 (unsigned long long)gens[n - 1]);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	diffs = ps_expect_same(&before, NULL, 0, ps_scope(_metadata->name), PS_SETTLE_MS, &report);
	EXPECT_PROC_SAME(diffs, report);
	ps_free(&before);
	close(open(GO, O_CREAT | O_WRONLY, 0600));
	EXPECT_EQ(0, log_wait(LOG, "PASS", 1, 30000)) TH_LOG("no PASS in " LOG);
	EXPECT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %#x", st);
	unlink(AREA);
	unlink(GO);
}

/* The committed generations in AREA, oldest first; their number. */
static int area_generations(uint64_t *gens)
{
	char err[LIBCKPT_ERRLEN];
	struct ckpt_area_sb sb;
	int fd = open(AREA, O_RDONLY), i, j, n = 0;

	if (fd < 0 || libckpt_area_read(fd, &sb, err, sizeof(err))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		if (sb.slots[i].state != CKPT_SLOT_COMMITTED)
			continue;
		for (j = n++; j > 0 && gens[j - 1] > sb.slots[i].generation; j--)
			gens[j] = gens[j - 1];
		gens[j] = sb.slots[i].generation;
	}
	return n;
}

/*
 * A periodic ckptctl killed outright (as a crashed service) and started
 * again continues: the generations of its first run are found in the area
 * and count for --keep, the first new commit drops the oldest of them.
 */
TEST(restart_continues)
{
	uint64_t gens[CKPT_AREA_SLOTS];
	pid_t pid, periodic;
	char buf[OUT_SIZE];
	int st, n;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	pid = start_workload(_metadata, "64M");
	periodic = periodic_ticks(_metadata, pid, "--every 1s --keep 2", " committed: ", 2);
	kill(periodic, SIGKILL);
	ASSERT_EQ(periodic, waitpid(periodic, NULL, 0));
	/* A checkpoint it left streaming is finished by the module. */
	usleep(2000000);
	n = area_generations(gens);
	ASSERT_LE(2, n);
	EXPECT_GE(3, n);

	periodic = start_periodic(pid, "--every 1s --keep 2");
	EXPECT_EQ(0, log_wait(OUT, "dropped generation ", 1, 120000))
		TH_LOG("the restarted run dropped nothing");
	kill(periodic, SIGTERM);
	st = wait_exit(periodic, 60000);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %#x", st);
	log_count(OUT, "", buf, sizeof(buf));
	log_lines(_metadata, buf);
	n = area_generations(gens);
	EXPECT_EQ(2, n);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(AREA);
}

/*
 * A failed checkpoint is reported with its reason and retried at the next
 * tick: here the area is busy with a slow one-off checkpoint of the group,
 * and the periodic one commits once it is done. Five failures in a row end
 * it with exit 1: here an area too small for the group.
 */
TEST(failures_retried_then_given_up)
{
	char cmd[256], out[OUT_SIZE], buf[OUT_SIZE];
	pid_t pid, periodic;
	int st;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	pid = start_workload(_metadata, "64M");
	/* 8 MiB at 4 MiB/s: the area is busy for about 2 s. */
	snprintf(cmd, sizeof(cmd), CKPTCTL " freeze %d --area " AREA " --rate 4M 2>&1", pid);
	ASSERT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	periodic = periodic_ticks(_metadata, pid, "--every 1s", " committed: ", 1);
	kill(periodic, SIGTERM);
	st = wait_exit(periodic, 60000);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %#x", st);
	log_count(ERR, "", buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf, "another checkpoint is writing this area")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "trying again at the next tick (1 of 5 failures in a row)"))
		TH_LOG("%s", buf);
	log_lines(_metadata, buf);

	/* 2 MiB for images cannot take 8 MiB, however often it is tried. */
	unlink(AREA);
	ASSERT_EQ(0, run_cmd(CKPTCTL " area create " AREA " --size 2056K 2>&1", out, sizeof(out)))
		TH_LOG("%s", out);
	periodic = start_periodic(pid, "--every 1s");
	st = wait_exit(periodic, 120000);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 1) TH_LOG("status %#x", st);
	log_count(ERR, "", buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf, "the area holds 2 MiB")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "(4 of 5 failures in a row)")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "giving up after 5 failed checkpoints in a row"))
		TH_LOG("%s", buf);
	log_lines(_metadata, buf);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(AREA);
}

/* The group exiting ends freeze --every with exit 0 and a message. */
TEST(group_gone_ends_it)
{
	pid_t pid, periodic;
	char buf[OUT_SIZE];
	int st;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	pid = start_workload(_metadata, "64M");
	periodic = periodic_ticks(_metadata, pid, "--every 1s", " committed: ", 2);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	st = wait_exit(periodic, 60000);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %#x", st);
	log_count(ERR, "", buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf, "is gone: stopping after ")) TH_LOG("%s", buf);
	log_lines(_metadata, buf);
	unlink(AREA);
}

TEST_HARNESS_MAIN
