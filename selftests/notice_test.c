// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Checkpoint-pending notices: a program that keeps data in memory and
 * flushes it when told a checkpoint is coming. The freeze waits for its
 * acknowledgment, so the image holds the program as it was after the
 * flush; it hears CKPT_NOTICE_DONE once the freeze is over, and a copy
 * restored from the image hears that DONE again. A program that is slow
 * to acknowledge costs the freeze its grace, no more.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/ckpt.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "proc_state.h"
#include "test_util.h"

#define LOG	"/tmp/notice-log"
#define AREA	"/tmp/notice-area"
#define LATE_S	10

/*
 * Its "buffer" grows by one record per wake-up; a PENDING writes the
 * count out ("flushed N") before the acknowledgment, and every DONE
 * reports what the last flush wrote: a restored copy says the N it had
 * in the image.
 */
static void flush_workload(bool late)
{
	unsigned long buffered = 0, flushed = 0;
	struct pollfd p = { .events = POLLIN };
	int out, ev;

	close_range(0, ~0U, 0);
	setsid();
	out = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (out != 0)
		_exit(2);
	p.fd = libckpt_notice_open(0);
	if (p.fd < 0) {
		dprintf(out, "libckpt_notice_open: %s\n", strerror(-p.fd));
		_exit(3);
	}
	dprintf(out, "ready\n");
	for (;;) {
		buffered++;
		if (poll(&p, 1, -1) != 1)
			continue;
		ev = libckpt_notice_read(p.fd);
		if (ev == CKPT_NOTICE_PENDING) {
			if (late)
				sleep(LATE_S);
			flushed = buffered;
			dprintf(out, "flushed %lu\n", flushed);
			fsync(out);
			if (libckpt_notice_ack(p.fd))
				dprintf(out, "ack failed\n");
		} else if (ev == CKPT_NOTICE_DONE) {
			dprintf(out, "done after flushing %lu\n", flushed);
		} else {
			dprintf(out, "read: %d\n", ev);
		}
	}
}


/* Freeze @pid into AREA with @grace_ms; 0, or the freeze's error. */
static int freeze_into_area(struct __test_metadata *_metadata, pid_t pid,
			    uint32_t grace_ms)
{
	struct libckpt_freeze_opts o = {
		.flags = LIBCKPT_F_NOTIFY_GRACE,
		.notify_grace_ms = grace_ms,
	};
	struct libckpt_job job, done;
	char err[256];
	struct libckpt *h;
	int fd, ret;

	unlink(AREA);
	EXPECT_EQ(0, libckpt_area_create(AREA, 64 << 20, err, sizeof(err))) TH_LOG("%s", err);
	fd = open(AREA, O_RDWR);
	EXPECT_EQ(0, libckpt_open(&h));
	ret = libckpt_freeze_with(h, pid, fd, &o, &job);
	EXPECT_EQ(0, ret) TH_LOG("%s", libckpt_error(h));
	if (!ret) {
		EXPECT_EQ(0, libckpt_wait(h, job.id, &done));
		EXPECT_EQ(CKPT_JOB_COMMITTED, done.state) TH_LOG("%s", done.error_msg);
	}
	libckpt_close(h);
	close(fd);
	return ret;
}

/* The workload's log so far, for a failure's message. */
static const char *log_text(void)
{
	static char buf[4096];

	log_count(LOG, "", buf, sizeof(buf));
	return buf;
}

/* The N of the log's first "flushed N", or 0. */
static unsigned long flushed_count(void)
{
	char buf[4096], *p;

	log_count(LOG, "", buf, sizeof(buf));
	p = strstr(buf, "flushed ");
	return p ? strtoul(p + 8, NULL, 10) : 0;
}

/*
 * The program flushes on PENDING and hears DONE after the freeze; killed
 * and restored, it hears DONE again and reports the flush it had made
 * before the image was taken. /proc of the restored process is compared.
 */
TEST(flushes_before_the_image_and_hears_done_again)
{
	char err[LIBCKPT_ERRLEN], what[64], *report = NULL;
	struct libckpt_restore_opts ro = { 0 };
	struct ps_snap before;
	unsigned long n;
	pid_t pid, got = 0;
	int diffs;

	unlink(LOG);
	pid = exec_self_as("CKPT_NOTICE_WORKLOAD", "flush");
	ASSERT_EQ(0, log_wait(LOG, "ready", 1, 20000)) TH_LOG("%s", log_text());
	ASSERT_EQ(0, ps_take_idle(&before, &pid, 1, PS_SETTLE_MS));
	ASSERT_EQ(0, freeze_into_area(_metadata, pid, 30000));
	ASSERT_EQ(0, log_wait(LOG, "done after flushing", 1, 20000));
	n = flushed_count();
	ASSERT_LT(0, n);
	snprintf(what, sizeof(what), "done after flushing %lu\n", n);
	EXPECT_EQ(0, log_wait(LOG, what, 1, 0));

	kill_session(pid);
	EXPECT_EQ(0, libckpt_restore(AREA, &ro, &got, NULL, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(pid, got);
	/* The restored copy had flushed N in the image: it says so again. */
	EXPECT_EQ(0, log_wait(LOG, what, 2, 20000));
	diffs = ps_expect_same(&before, NULL, 0, ps_scope(_metadata->name),
			       PS_SETTLE_MS, &report);
	EXPECT_PROC_SAME(diffs, report);
	ps_free(&before);
	kill_session(pid);
	unlink(AREA);
	unlink(LOG);
}

/*
 * A program that takes LATE_S seconds to acknowledge is frozen once the
 * grace (200 ms) is over: the freeze returns before it acknowledged.
 */
TEST(slow_acknowledgment_costs_only_the_grace)
{
	char buf[4096];
	pid_t pid;

	unlink(LOG);
	pid = exec_self_as("CKPT_NOTICE_WORKLOAD", "late");
	ASSERT_EQ(0, log_wait(LOG, "ready", 1, 20000)) TH_LOG("%s", log_text());
	EXPECT_EQ(0, freeze_into_area(_metadata, pid, 200));
	EXPECT_EQ(0, log_count(LOG, "flushed", buf, sizeof(buf))) TH_LOG("%s", buf);
	/* It still gets DONE, after its late flush. */
	EXPECT_EQ(0, log_wait(LOG, "done after flushing", 1, (LATE_S + 20) * 1000));
	kill_session(pid);
	unlink(AREA);
	unlink(LOG);
}

#define CKPTCTL	"/usr/bin/ckptctl"

/* ckptctl freeze --notify-grace: the flush happens; a bad grace is named. */
TEST(ckptctl_notify_grace)
{
	char cmd[256], out[4096], err[256];
	pid_t pid;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	unlink(LOG);
	unlink(AREA);
	ASSERT_EQ(0, libckpt_area_create(AREA, 64 << 20, err, sizeof(err))) TH_LOG("%s", err);
	pid = exec_self_as("CKPT_NOTICE_WORKLOAD", "flush");
	ASSERT_EQ(0, log_wait(LOG, "ready", 1, 20000)) TH_LOG("%s", log_text());
	snprintf(cmd, sizeof(cmd), CKPTCTL " freeze %d --area=%s --notify-grace=99999 2>&1",
		 pid, AREA);
	EXPECT_EQ(2, run_cmd(cmd, out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "--notify-grace: '99999' is not 0 to 60000 milliseconds"))
		TH_LOG("%s", out);
	snprintf(cmd, sizeof(cmd), CKPTCTL " freeze %d --area=%s --notify-grace 20000 --wait 2>&1",
		 pid, AREA);
	EXPECT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(0, log_wait(LOG, "done after flushing", 1, 20000)) TH_LOG("%s", log_text());
	EXPECT_EQ(1, log_count(LOG, "flushed", out, sizeof(out))) TH_LOG("%s", out);
	kill_session(pid);
	unlink(AREA);
	unlink(LOG);
}

/*
 * The workload starts from main(), not from a constructor as other tests'
 * do: it talks to the module through libnl, whose own constructors must
 * have run.
 */
static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	const char *w = getenv("CKPT_NOTICE_WORKLOAD");

	if (w)
		flush_workload(!strcmp(w, "late"));
	return test_harness_run(argc, argv);
}
