// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Stress: many checkpoints of busy groups, groups that fork and lose
 * processes during freezes, several freezes at once, and stop, trace and
 * kill signals arriving while threads are parked. Every checkpoint either
 * commits one instant of the group or fails with a clean, named error; the
 * groups check their own memory throughout and never notice; nothing stays
 * parked or held.
 */
#include <sys/ptrace.h>

#include "kselftest_harness.h"
#include "stress_util.h"

#define AREA_SIZE	(64ULL << 20)

/*
 * A freeze that failed for a reason a busy, changing group can cause: a
 * process or thread came or went, or is exiting (a churner's child that
 * exits but is not a zombie yet). A zombie no longer refuses: it is
 * checkpointed as one.
 */
static bool transient_refusal(int ret, const char *msg)
{
	return ret == -EAGAIN;
}

FIXTURE(stress) {
	int64_t outstanding;
	struct busy_group g[2];
	double t0;
};

FIXTURE_SETUP(stress)
{
	self->t0 = now_s();
	self->outstanding = pages_outstanding();
	/*
	 * Sixteen spinning threads on two emulated CPUs of a busy host can
	 * take longer than the default 2 s to all get scheduled and park; a
	 * timeout here would say nothing about what is tested.
	 */
	ASSERT_EQ(0, param_set("freeze_timeout_ms", 15000));
}

FIXTURE_TEARDOWN(stress)
{
	group_kill(&self->g[0]);
	group_kill(&self->g[1]);
	param_set("freeze_timeout_ms", 2000);
	TH_LOG("%.1f s", now_s() - self->t0);
}

/*
 * 100 back-to-back checkpoints of a group of a memwriter process and a
 * churner that keeps forking children which exit or are SIGKILLed, into
 * two areas in turn so that each freeze overlaps the previous image's
 * streaming: every checkpoint commits (one instant, checked on every
 * tenth) or is refused as transient; the group's own checks hold; no page
 * stays held and the memory comes back.
 */
TEST_F_TIMEOUT(stress, back_to_back_100, 280)
{
	uint64_t before[MAX_PROCS][MW_THREADS], after[MAX_PROCS][MW_THREADS];
	uint64_t gbefore[2][MAX_PROCS][MW_THREADS], gafter[2][MAX_PROCS][MW_THREADS];
	const char *areas[2] = { "/tmp/stress-a0", "/tmp/stress-a1" };
	struct libckpt_job job, done;
	uint64_t pending[2] = { 0, 0 }, gen[2] = { 0, 0 };
	unsigned int commits = 0, refusals = 0, exiting = 0, verified = 0, i, a;
	struct libckpt_info info;
	struct libckpt *h;
	char why[512];
	int fd[2], ret;
	int64_t leaked;
	double t0 = now_s();

	ASSERT_EQ(0, group_start(&self->g[0], 1, GROUP_CHURN));
	for (a = 0; a < 2; a++) {
		fd[a] = new_area(areas[a], AREA_SIZE);
		ASSERT_LE(0, fd[a]);
	}
	ASSERT_EQ(0, libckpt_open(&h));
	for (i = 0; i < 100; i++) {
		a = i % 2;
		if (pending[a]) {
			ASSERT_EQ(0, libckpt_wait(h, pending[a], &done));
			ASSERT_EQ(CKPT_JOB_COMMITTED, done.state)
				TH_LOG("checkpoint %u: %s", i, done.error_msg);
			commits++;
			pending[a] = 0;
			if (commits % 10 == 1) {
				EXPECT_EQ(0, verify_generation(areas[a], gen[a], &self->g[0],
							       gbefore[a], gafter[a],
							       why, sizeof(why)))
					TH_LOG("%s", why);
				verified++;
			}
		}
		group_done(&self->g[0], before);
		ret = libckpt_freeze(h, self->g[0].pgid, fd[a], 0, &job);
		group_done(&self->g[0], after);
		if (ret) {
			ASSERT_TRUE(transient_refusal(ret, libckpt_error(h)))
				TH_LOG("checkpoint %u: %s (%d)", i,
				       libckpt_error(h), ret);
			refusals++;
			exiting += !!strstr(libckpt_error(h), "is exiting");
			continue;
		}
		pending[a] = job.id;
		gen[a] = job.generation;
		memcpy(gbefore[a], before, sizeof(before));
		memcpy(gafter[a], after, sizeof(after));
	}
	for (a = 0; a < 2; a++) {
		if (!pending[a])
			continue;
		ASSERT_EQ(0, libckpt_wait(h, pending[a], &done));
		EXPECT_EQ(CKPT_JOB_COMMITTED, done.state) TH_LOG("%s", done.error_msg);
		commits++;
	}
	TH_LOG("100 checkpoints in %.1f s: %u committed (%u verified as one instant), %u refused as transient (%u for an exiting process); churner forked %llu children, killed %llu",
	       now_s() - t0, commits, verified, refusals, exiting,
	       (unsigned long long)self->g[0].sh->churn.forks,
	       (unsigned long long)self->g[0].sh->churn.kills);
	EXPECT_LT(0, commits);
	EXPECT_EQ(100, commits + refusals);
	info = module_info();
	EXPECT_EQ(0, info.held_pages);
	EXPECT_EQ(0, streaming_jobs());
	EXPECT_TRUE(group_progressed(&self->g[0], after)) TH_LOG("the group stopped running");
	EXPECT_EQ(0, self->g[0].sh->churn.bad) TH_LOG("churner children saw broken memory");
	EXPECT_EQ(0, group_stop(&self->g[0])) TH_LOG("the group's own checks failed");
	libckpt_close(h);
	for (a = 0; a < 2; a++) {
		close(fd[a]);
		unlink(areas[a]);
	}
	/* Group, 100 snapshots and both areas gone: the memory came back. */
	leaked = pages_outstanding() - self->outstanding;
	EXPECT_GT(2048, leaked) TH_LOG("%lld pages not returned", (long long)leaked);
}

/* @n freeze-and-wait rounds of @g into @area; failures, each logged. */
static int controller(struct busy_group *g, const char *area, unsigned int n,
		      unsigned int *commits)
{
	uint64_t before[MAX_PROCS][MW_THREADS], after[MAX_PROCS][MW_THREADS];
	struct libckpt_job job, done;
	struct libckpt *h;
	unsigned int i, bad = 0;
	uint64_t max_park = 0;
	char why[512];
	int fd, ret;

	*commits = 0;
	fd = new_area(area, AREA_SIZE);
	if (fd < 0 || libckpt_open(&h))
		return 1;
	for (i = 0; i < n; i++) {
		group_done(g, before);
		ret = libckpt_freeze(h, g->pgid, fd, 0, &job);
		group_done(g, after);
		if (ret) {
			fprintf(stderr, "# %s round %u: %s (%d)\n", area, i,
				libckpt_error(h), ret);
			bad++;
			continue;
		}
		if (libckpt_wait(h, job.id, &done) ||
		    done.state != CKPT_JOB_COMMITTED) {
			fprintf(stderr, "# %s round %u: not committed: %s\n",
				area, i, done.error_msg);
			bad++;
			continue;
		}
		(*commits)++;
		if (job.park_ns > max_park)
			max_park = job.park_ns;
		if (i % 5 == 4 && verify_generation(area, job.generation, g, before,
						    after, why, sizeof(why))) {
			fprintf(stderr, "# %s\n", why);
			bad++;
		}
	}
	fprintf(stderr, "# %s: %u rounds, longest park %.1f ms\n", area, n,
		max_park / 1e6);
	libckpt_close(h);
	close(fd);
	unlink(area);
	return bad;
}

/* Run two controllers at once, on @g0 and @g1; failures of both. */
static int two_controllers(struct busy_group *g0, struct busy_group *g1,
			   unsigned int n, unsigned int *commits)
{
	unsigned int *shared;
	pid_t pid[2];
	int i, st, bad = 0;

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -1;
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			char area[64];

			snprintf(area, sizeof(area), "/tmp/stress-ctl%d", i);
			_exit(controller(i ? g1 : g0, area, n, &shared[i]));
		}
	}
	for (i = 0; i < 2; i++) {
		if (pid[i] < 0 || waitpid(pid[i], &st, 0) != pid[i] ||
		    !WIFEXITED(st))
			bad++;
		else
			bad += WEXITSTATUS(st);
	}
	*commits = shared[0] + shared[1];
	munmap(shared, 4096);
	return bad;
}

/*
 * Two groups checkpointed at the same time by two controllers, 15 rounds
 * each: every round commits, every fifth image is one instant, and both
 * groups' own checks hold.
 */
TEST_F_TIMEOUT(stress, two_groups_at_once, 240)
{
	uint64_t mark[2][MAX_PROCS][MW_THREADS];
	unsigned int commits;
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, group_start(&self->g[i], 1, 0));
	EXPECT_EQ(0, two_controllers(&self->g[0], &self->g[1], 15, &commits));
	EXPECT_EQ(30, commits);
	EXPECT_EQ(0, module_info().held_pages);
	for (i = 0; i < 2; i++) {
		group_done(&self->g[i], mark[i]);
		EXPECT_TRUE(group_progressed(&self->g[i], mark[i]));
		EXPECT_EQ(0, group_stop(&self->g[i]));
	}
}

/*
 * One group checkpointed by two controllers at once, 8 rounds each: the
 * freezes take turns (were both to park the same threads at once, each
 * would wait for threads sitting in the other's callback), every round
 * commits, and the group runs on unharmed.
 */
TEST_F_TIMEOUT(stress, one_group_two_controllers, 240)
{
	uint64_t mark[MAX_PROCS][MW_THREADS];
	unsigned int commits;

	ASSERT_EQ(0, group_start(&self->g[0], 2, 0));
	EXPECT_EQ(0, two_controllers(&self->g[0], &self->g[0], 8, &commits));
	EXPECT_EQ(16, commits);
	EXPECT_EQ(0, module_info().held_pages);
	EXPECT_EQ(0, streaming_jobs());
	group_done(&self->g[0], mark);
	EXPECT_TRUE(group_progressed(&self->g[0], mark));
	EXPECT_EQ(0, group_stop(&self->g[0]));
}

/*
 * A member stopped by SIGSTOP is checkpointed as it is: the freeze
 * commits, the member stays stopped and the rest of the group runs on;
 * SIGCONT continues it. A traced member makes the freeze fail with -EBUSY
 * naming it, before any thread is parked; once the tracer is gone the
 * freeze works.
 */
TEST_F_TIMEOUT(stress, stopped_recorded_traced_refused, 120)
{
	uint64_t mark[MAX_PROCS][MW_THREADS];
	struct libckpt_job job, done;
	struct libckpt *h;
	pid_t sib, tracer;
	int fd, i, seized[2], go[2];
	char want[64], c;

	ASSERT_EQ(0, group_start(&self->g[0], 2, 0));
	sib = self->g[0].sh->pid[1];
	fd = new_area("/tmp/stress-stop", AREA_SIZE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));

	ASSERT_EQ(0, kill(sib, SIGSTOP));
	for (i = 0; i < 100 && proc_state(sib) != 'T'; i++)
		usleep(20000);
	ASSERT_EQ('T', proc_state(sib));
	group_done(&self->g[0], mark);
	ASSERT_EQ(0, libckpt_freeze(h, self->g[0].pgid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	EXPECT_EQ(CKPT_JOB_COMMITTED, done.state);
	EXPECT_EQ('T', proc_state(sib));
	/* The leader was released: it runs on. */
	for (i = 0; i < 100 && self->g[0].sh->ctl[0].done[0] <= mark[0][0]; i++)
		usleep(20000);
	EXPECT_LT(mark[0][0], self->g[0].sh->ctl[0].done[0]);
	ASSERT_EQ(0, kill(sib, SIGCONT));
	ASSERT_EQ(0, libckpt_freeze(h, self->g[0].pgid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	EXPECT_EQ(CKPT_JOB_COMMITTED, done.state);

	/* A tracer (PTRACE_SEIZE: the tracee keeps running) holds the sibling. */
	ASSERT_EQ(0, pipe(seized));
	ASSERT_EQ(0, pipe(go));
	tracer = fork();
	ASSERT_LE(0, tracer);
	if (tracer == 0) {
		if (ptrace(PTRACE_SEIZE, sib, 0, 0))
			_exit(1);
		if (write(seized[1], "s", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(0);	/* exiting detaches the tracee */
	}
	ASSERT_EQ(1, read(seized[0], &c, 1));
	EXPECT_EQ(-EBUSY, libckpt_freeze(h, self->g[0].pgid, fd, 0, &job));
	snprintf(want, sizeof(want), "pid %d: thread is being ptraced", sib);
	EXPECT_EQ(0, strncmp(libckpt_error(h), want, strlen(want)))
		TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(tracer, waitpid(tracer, &i, 0));
	EXPECT_EQ(0, WEXITSTATUS(i));
	ASSERT_EQ(0, libckpt_freeze(h, self->g[0].pgid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	EXPECT_EQ(CKPT_JOB_COMMITTED, done.state);

	EXPECT_EQ(0, module_info().held_pages);
	group_done(&self->g[0], mark);
	EXPECT_TRUE(group_progressed(&self->g[0], mark));
	EXPECT_EQ(0, group_stop(&self->g[0]));
	libckpt_close(h);
	close(fd);
	for (i = 0; i < 2; i++) {
		close(seized[i]);
		close(go[i]);
	}
	unlink("/tmp/stress-stop");
}

/*
 * A group whose leader is stuck in a vfork-style wait (killable only) for
 * its child, which blocks on a pipe (wait_in_vfork()), so a freeze of it parks every other
 * thread and waits the whole freeze timeout. Three spinners count in
 * shared memory.
 */
struct stuck {
	pid_t leader;
	int release[2];		/* a byte lets the vfork child exit */
	volatile uint64_t *sh;	/* [0..2] counters, [3..5] pids */
};

static int stuck_start(struct stuck *s)
{
	int i;

	s->sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->sh == MAP_FAILED || pipe(s->release))
		return -errno;
	s->leader = fork();
	if (s->leader < 0)
		return -errno;
	if (s->leader == 0) {
		pid_t kid[3];

		/* Keep only the pipe (made first, so the lowest fds). */
		close_range(s->release[1] + 1, ~0U, 0);
		setsid();
		for (i = 0; i < 3; i++) {
			kid[i] = fork();
			if (kid[i] == 0)
				for (;;)
					s->sh[i]++;
			s->sh[3 + i] = kid[i];
		}
		wait_in_vfork(s->release[0]);
		for (i = 0; i < 3; i++)
			kill(kid[i], SIGKILL);
		_exit(0);
	}
	for (i = 0; i < 200 && !(s->sh[5] && s->sh[2]); i++)
		usleep(20000);
	/* The leader must be inside its wait before the freeze. */
	for (i = 0; i < 200 && proc_state(s->leader) != 'D'; i++)
		usleep(20000);
	return proc_state(s->leader) == 'D' ? 0 : -ETIMEDOUT;
}

static void stuck_stop(struct stuck *s)
{
	int i;

	if (write(s->release[1], "x", 1) != 1)
		kill(s->leader, SIGKILL);
	waitpid(s->leader, NULL, 0);
	for (i = 0; i < 3; i++)
		waitpid(s->sh[3 + i], NULL, WNOHANG);
	close(s->release[0]);
	close(s->release[1]);
	munmap((void *)s->sh, 4096);
}

/* True once counter @i moves. */
static bool counting(struct stuck *s, int i)
{
	uint64_t seen = s->sh[i];
	int tries;

	for (tries = 0; tries < 250 && s->sh[i] == seen; tries++)
		usleep(20000);
	return s->sh[i] != seen;
}

/* True once the three spinners sleep killably: parked by a freeze. */
static bool all_parked(struct stuck *s)
{
	int tries, i, n = 0;

	for (tries = 0; tries < 500 && n < 3; tries++) {
		for (i = 0, n = 0; i < 3; i++)
			n += proc_state(s->sh[3 + i]) == 'D';
		if (n < 3)
			usleep(10000);
	}
	return n == 3;
}

static bool reaches_state(pid_t pid, char want)
{
	int tries;

	for (tries = 0; tries < 250 && proc_state(pid) != want; tries++)
		usleep(20000);
	return proc_state(pid) == want;
}

/*
 * While the threads of a group sit parked (the freeze waits for a thread
 * stuck in vfork), one member gets SIGSTOP, one is seized and interrupted
 * by a tracer, one gets SIGKILL. The freeze times out; then the first
 * stops, the second reports its ptrace stop to the tracer, the third is
 * dead — each signal took effect only after the release — and the first
 * two run on once continued and detached.
 */
TEST_F_TIMEOUT(stress, stop_trace_kill_while_parked, 120)
{
	struct libckpt_job job;
	struct libckpt *h;
	struct stuck s;
	pid_t actor, x, y, z;
	int fd, st;

	ASSERT_EQ(0, stuck_start(&s));
	x = s.sh[3];
	y = s.sh[4];
	z = s.sh[5];
	ASSERT_EQ(0, param_set("freeze_timeout_ms", 4000));
	fd = new_area("/tmp/stress-sig", AREA_SIZE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));
	actor = fork();
	ASSERT_LE(0, actor);
	if (actor == 0) {
		/* Inside the park window: x, y and z sit parked (killable). */
		if (!all_parked(&s))
			_exit(4);
		if (kill(x, SIGSTOP) || ptrace(PTRACE_SEIZE, y, 0, 0) ||
		    ptrace(PTRACE_INTERRUPT, y, 0, 0) || kill(z, SIGKILL))
			_exit(1);
		/* The trap is reported only once y is released. */
		if (waitpid(y, &st, __WALL) != y || !WIFSTOPPED(st))
			_exit(2);
		if (ptrace(PTRACE_DETACH, y, 0, 0))
			_exit(3);
		_exit(0);
	}
	EXPECT_EQ(-ETIMEDOUT, libckpt_freeze(h, s.leader, fd, 0, &job));
	ASSERT_EQ(actor, waitpid(actor, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("actor step %d failed", WEXITSTATUS(st));
	EXPECT_TRUE(reaches_state(x, 'T')) TH_LOG("x: %c", proc_state(x));
	EXPECT_TRUE(reaches_state(z, 'Z')) TH_LOG("z: %c", proc_state(z));
	EXPECT_TRUE(counting(&s, 1)) TH_LOG("y did not run on after detach");
	EXPECT_EQ(0, kill(x, SIGCONT));
	EXPECT_TRUE(counting(&s, 0)) TH_LOG("x did not run on after SIGCONT");
	EXPECT_EQ(0, module_info().held_pages);
	EXPECT_EQ(0, streaming_jobs());
	stuck_stop(&s);
	libckpt_close(h);
	close(fd);
	unlink("/tmp/stress-sig");
}

/*
 * The controller is SIGKILLed while it waits for the group to park: the
 * freeze is abandoned, every parked thread runs on, nothing is held and
 * no job remains.
 */
TEST_F_TIMEOUT(stress, controller_killed_while_parking, 120)
{
	struct stuck s;
	unsigned int live;
	pid_t ctl;
	int st;

	ASSERT_EQ(0, stuck_start(&s));
	ASSERT_EQ(0, param_set("freeze_timeout_ms", 10000));
	live = module_info().live_jobs;
	ctl = fork();
	ASSERT_LE(0, ctl);
	if (ctl == 0) {
		struct libckpt_job job;
		struct libckpt *h;
		int fd = new_area("/tmp/stress-ctl", AREA_SIZE);

		if (fd < 0 || libckpt_open(&h))
			_exit(1);
		libckpt_freeze(h, s.leader, fd, 0, &job);
		_exit(2);
	}
	ASSERT_TRUE(all_parked(&s)) TH_LOG("the spinners were never parked");
	ASSERT_EQ(0, kill(ctl, SIGKILL));
	ASSERT_EQ(ctl, waitpid(ctl, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_TRUE(counting(&s, 0));
	EXPECT_TRUE(counting(&s, 1));
	EXPECT_TRUE(counting(&s, 2));
	EXPECT_EQ(0, module_info().held_pages);
	EXPECT_EQ(live, module_info().live_jobs);
	stuck_stop(&s);
	unlink("/tmp/stress-ctl");
}

TEST_HARNESS_MAIN
