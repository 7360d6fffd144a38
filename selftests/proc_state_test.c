// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The /proc comparison itself (proc_state.h), without the module: it sees
 * a change made to a process from outside, the allowlist explains only
 * what its lines name (in their scope), and a line without a reason is
 * refused.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "test_util.h"

#define ALLOW	"/tmp/ps-allow"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A child idling in a sleep loop, as the restore tests' workloads do. */
static pid_t sleeper(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct rlimit rl = { .rlim_cur = 100, .rlim_max = 200 };
	pid_t pid = fork();

	if (pid == 0) {
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(1);
		for (;;)
			nanosleep(&ts, NULL);
	}
	return pid;
}

/* An allowlist line without a reason is an error naming the line. */
TEST(line_without_reason_refused)
{
	struct ps_allow a;
	char err[512] = "";

	write_file(ALLOW, "# comment\nstat:starttime   created later\nstatus:VmRSS\n");
	EXPECT_EQ(-EINVAL, ps_allow_load(&a, ALLOW, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, ":3: 'status:VmRSS' has no reason")) TH_LOG("%s", err);
	unlink(ALLOW);
}

/*
 * A limit changed from outside (prlimit) is the one unexplained
 * difference; a line for it explains it in its scope only.
 */
TEST(change_found_and_explained_in_scope)
{
	struct rlimit rl = { .rlim_cur = 50, .rlim_max = 60 };
	struct ps_snap before, after;
	struct ps_allow a;
	char err[512], *report;
	pid_t pid = sleeper();
	int n;

	ASSERT_LT(0, pid);
	usleep(100000);
	ASSERT_EQ(0, ps_take_idle(&before, &pid, 1, PS_SETTLE_MS));
	ASSERT_EQ(0, prlimit(pid, RLIMIT_NOFILE, &rl, NULL));
	ASSERT_EQ(0, ps_take_idle(&after, &pid, 1, PS_SETTLE_MS));

	write_file(ALLOW, "stat:* counters\nstatus:* counters\nsmaps:* counters\n"
		   "syscall one more turn of the loop\nwchan one more turn of the loop\n"
		   "limits:Max_open_files @other.test changed on purpose\n");
	ASSERT_EQ(0, ps_allow_load(&a, ALLOW, err, sizeof(err))) TH_LOG("%s", err);
	n = ps_compare(&before, &after, NULL, 0, &a, "proc_state_test.x", &report);
	EXPECT_EQ(1, n) TH_LOG("%s", report);
	EXPECT_NE(NULL, strstr(report, "limits:Max_open_files: 100 200 files -> 50 60 files"))
		TH_LOG("%s", report);
	free(report);
	n = ps_compare(&before, &after, NULL, 0, &a, "other.test", &report);
	EXPECT_EQ(0, n) TH_LOG("%s", report);
	free(report);
	report = ps_allow_used(&a);
	EXPECT_NE(NULL, strstr(report, "limits:Max_open_files @other.test (1)")) TH_LOG("%s", report);
	free(report);

	ps_allow_free(&a);
	ps_free(&before);
	ps_free(&after);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(ALLOW);
}

/* A snapshot survives its text form unchanged (files, raw disks, pipes). */
TEST(saved_and_loaded)
{
	struct ps_snap s, back;
	struct ps_allow a;
	char err[512], *report;
	pid_t self = getpid();
	FILE *f;

	ASSERT_EQ(0, ps_take(&s, &self, 1));
	f = tmpfile();
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, ps_save(&s, f));
	fputs("bytes after the end line are not read\n", f);
	rewind(f);
	ASSERT_EQ(0, ps_load(&back, f));
	fclose(f);
	write_file(ALLOW, "# nothing allowed\n");
	ASSERT_EQ(0, ps_allow_load(&a, ALLOW, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(0, ps_compare(&s, &back, NULL, 0, &a, NULL, &report)) TH_LOG("%s", report);
	free(report);
	ps_allow_free(&a);
	ps_free(&s);
	ps_free(&back);
	unlink(ALLOW);
}

/* A snapshot of one task from its text form: state and wchan only. */
static void snap_of(struct ps_snap *s, const char *state, const char *wchan)
{
	FILE *f = tmpfile();

	memset(s, 0, sizeof(*s));
	if (!f)
		return;
	fprintf(f, "%s\ntask 7 7\nstat:state\t%s\nstat:wchan\t%s\nend\n",
		PS_SNAP_MAGIC, state, wchan);
	rewind(f);
	if (ps_load(s, f))
		memset(s, 0, sizeof(*s));
	fclose(f);
}

/*
 * A task woken between the state letter and the wchan field of one read
 * of stat shows S with wchan 0: explained. A sleeping task that sleeps
 * elsewhere, or a D task, is not.
 */
TEST(woken_between_stat_fields_explained)
{
	static const struct {
		const char *s1, *w1, *s2, *w2;
		int diffs;
	} c[] = {
		{ "S", "0", "S", "1", 0 },
		{ "S", "1", "S", "0", 0 },
		{ "R", "0", "S", "1", 0 },
		{ "D", "0", "D", "1", 1 },
		{ "S", "1", "D", "1", 1 },
	};
	struct ps_snap x, y;
	struct ps_allow a;
	char err[512], *report;
	size_t i;

	write_file(ALLOW, "# nothing allowed\n");
	ASSERT_EQ(0, ps_allow_load(&a, ALLOW, err, sizeof(err))) TH_LOG("%s", err);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snap_of(&x, c[i].s1, c[i].w1);
		snap_of(&y, c[i].s2, c[i].w2);
		ASSERT_EQ(1, x.n);
		ASSERT_EQ(1, y.n);
		EXPECT_EQ(c[i].diffs, ps_compare(&x, &y, NULL, 0, &a, NULL, &report))
			TH_LOG("case %zu: %s", i, report);
		free(report);
		ps_free(&x);
		ps_free(&y);
	}
	ps_allow_free(&a);
	unlink(ALLOW);
}

TEST_HARNESS_MAIN
