// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Timers, zdtm-style: a workload arms setitimer() and POSIX timers (each
 * clock, each notification kind), is frozen into an area, SIGKILLed and
 * restored with its pid; then it checks its own view — what getitimer()
 * and timer_gettime() say, the ids, the id counter, the timers firing
 * with their siginfo, pending timer signals — and reports PASS or FAIL
 * through its log. Every restore also compares what /proc shows of the
 * workload just before its checkpoint and once it is restored
 * (proc_state.h). Every wait is bounded. Timers that cannot be restored
 * are refused by the pre-freeze check, naming the pid and timer.
 *
 * The POSIX timers are made with raw system calls: the ids are the
 * kernel's, not glibc's timer_t.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define LOG	"/tmp/tm-log"
#define GO	"/tmp/tm-go"
#define AREA	"/tmp/tm-area"
#define SEC	1000000000LL
#define FIRE_S	10		/* timers that must fire after the restore */

static void report(int fd, const char *what, long n)
{
	char line[160];
	int len = snprintf(line, sizeof(line), "%s %ld\n", what, n);

	if (write(fd, line, len) != len)
		_exit(3);
}

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * SEC + ts.tv_nsec;
}

static int tcreate(clockid_t clock, int notify, int signo, int value, pid_t tid)
{
	struct sigevent sev;
	int id = -1;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = notify;
	sev.sigev_signo = signo;
	sev.sigev_value.sival_int = value;
	sev._sigev_un._tid = tid;
	if (syscall(SYS_timer_create, clock, &sev, &id))
		return -1;
	return id;
}

static int tset(int id, int flags, int64_t value, int64_t interval)
{
	struct itimerspec its = {
		.it_value = { value / SEC, value % SEC },
		.it_interval = { interval / SEC, interval % SEC },
	};

	return syscall(SYS_timer_settime, id, flags, &its, NULL);
}

static int tget(int id, int64_t *value, int64_t *interval)
{
	struct itimerspec its;

	if (syscall(SYS_timer_gettime, id, &its))
		return -1;
	*value = its.it_value.tv_sec * SEC + its.it_value.tv_nsec;
	*interval = its.it_interval.tv_sec * SEC + its.it_interval.tv_nsec;
	return 0;
}

static int64_t tv_ns(struct timeval tv)
{
	return tv.tv_sec * SEC + tv.tv_usec * 1000LL;
}

static int open_log(void)
{
	close_range(0, ~0U, 0);
	setsid();
	return open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
}

static bool within(int64_t v, int64_t lo, int64_t hi)
{
	return v >= lo && v <= hi;
}

/* --- values: what getitimer() and timer_gettime() say, ids, the counter --- */

/*
 * CPU time is accounted in ticks: right after setitimer(ITIMER_VIRTUAL,
 * 50 s) getitimer() may already say 50.004 s (HZ 250), and the restore
 * arms from that. Allow a few ticks above the value set.
 */
#define TICKS	(20 * 1000 * 1000LL)

static int check_values(int64_t real_abs, const int *id)
{
	struct itimerval it;
	int64_t v, iv;

	/* Time left may only have shrunk, by at most the time before the freeze. */
	if (getitimer(ITIMER_REAL, &it) || tv_ns(it.it_interval) != 7 * SEC ||
	    !within(tv_ns(it.it_value), 40 * SEC, 60 * SEC))
		return 1;
	/* CPU time: the workload slept; the restore's own CPU time counts. */
	if (getitimer(ITIMER_VIRTUAL, &it) || tv_ns(it.it_interval) != 3 * SEC ||
	    !within(tv_ns(it.it_value), 48 * SEC, 50 * SEC + TICKS))
		return 2;
	if (getitimer(ITIMER_PROF, &it) || tv_ns(it.it_interval) != 2 * SEC ||
	    !within(tv_ns(it.it_value), 37 * SEC, 40 * SEC + TICKS))
		return 3;
	if (tget(id[0], &v, &iv) || iv != 5 * SEC || !within(v, 10 * SEC, 30 * SEC))
		return 4;
	if (tget(id[2], &v, &iv) || iv || !within(v, 11 * SEC, 31 * SEC))
		return 5;
	if (tget(id[4], &v, &iv) || iv != SEC || !within(v, 12 * SEC, 32 * SEC))
		return 6;
	if (tget(id[5], &v, &iv) || iv || !within(v, 18 * SEC, 20 * SEC + TICKS))
		return 7;
	/* Absolute CLOCK_REALTIME: the same wall-clock expiry. */
	if (tget(id[6], &v, &iv) ||
	    !within(now_ns(CLOCK_REALTIME) + v, real_abs - SEC / 10, real_abs + SEC / 10))
		return 8;
	if (tget(id[7], &v, &iv) || iv || !within(v, 19 * SEC, 21 * SEC + TICKS))
		return 9;
	/* Deleted ids stay free; the counter gives the id it would have. */
	if (!tget(id[1], &v, &iv) || !tget(id[3], &v, &iv))
		return 10;
	if (tcreate(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0) != 8)
		return 11;
	return 0;
}

/*
 * The values workload, in order: ids 0..7 made, 1 and 3 deleted, id 2 a
 * SIGEV_NONE MONOTONIC timer and id 4 a BOOTTIME one. The counter ends at 8.
 */
static void values_workload(void)
{
	struct itimerval real = { { 7, 0 }, { 60, 0 } };
	struct itimerval virt = { { 3, 0 }, { 50, 0 } };
	struct itimerval prof = { { 2, 0 }, { 40, 0 } };
	int log = open_log(), id[8], ret;
	int64_t real_abs;

	id[0] = tcreate(CLOCK_REALTIME, SIGEV_SIGNAL, SIGRTMIN + 1, 100, 0);
	id[1] = tcreate(CLOCK_REALTIME, SIGEV_SIGNAL, SIGRTMIN + 1, 101, 0);
	id[2] = tcreate(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0);
	id[3] = tcreate(CLOCK_REALTIME, SIGEV_SIGNAL, SIGRTMIN + 1, 103, 0);
	id[4] = tcreate(CLOCK_BOOTTIME, SIGEV_SIGNAL, SIGRTMIN + 1, 104, 0);
	id[5] = tcreate(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, SIGRTMIN + 1, 105, 0);
	id[6] = tcreate(CLOCK_REALTIME, SIGEV_SIGNAL, SIGRTMIN + 2, 106, 0);
	id[7] = tcreate(CLOCK_THREAD_CPUTIME_ID, SIGEV_SIGNAL, SIGRTMIN + 3, 107, 0);
	for (ret = 0; ret < 8; ret++)
		if (id[ret] != ret)
			_exit(20);
	syscall(SYS_timer_delete, id[1]);
	syscall(SYS_timer_delete, id[3]);
	real_abs = now_ns(CLOCK_REALTIME) + 33 * SEC;
	if (log < 0 || setitimer(ITIMER_REAL, &real, NULL) ||
	    setitimer(ITIMER_VIRTUAL, &virt, NULL) || setitimer(ITIMER_PROF, &prof, NULL) ||
	    tset(id[0], 0, 30 * SEC, 5 * SEC) || tset(id[2], 0, 31 * SEC, 0) ||
	    tset(id[4], 0, 32 * SEC, SEC) || tset(id[5], 0, 20 * SEC, 0) ||
	    tset(id[6], TIMER_ABSTIME, real_abs, 0) || tset(id[7], 0, 21 * SEC, 0))
		_exit(21);
	report(log, "ready", 0);
	wait_for_path(GO);
	ret = check_values(real_abs, id);
	report(log, ret ? "FAIL" : "PASS", ret);
	_exit(ret);
}

/* --- fire: every clock and notification kind fires after the restore --- */

#define NFIRE	9

struct fire {
	int signo;
	int value;
	int id;		/* -1: an itimer, any si_code */
	int seen;
};

static struct fire fires[NFIRE];
static volatile int thread_result = -1;
static volatile pid_t thread_tid;

/* The SIGEV_THREAD_ID target: its own signal, within a bound. */
static void *target_thread(void *arg)
{
	struct timespec limit = { 60, 0 };
	siginfo_t si;
	sigset_t set;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 5);
	thread_tid = (pid_t)syscall(SYS_gettid);
	wait_for_path(GO);
	if (sigtimedwait(&set, &si, &limit) != SIGRTMIN + 5)
		thread_result = 1;
	else if (si.si_code != SI_TIMER || si.si_value.sival_int != 99)
		thread_result = 2;
	else
		thread_result = 0;
	return NULL;
}

static int note(const siginfo_t *si)
{
	int i;

	for (i = 0; i < NFIRE; i++) {
		if (fires[i].signo != si->si_signo)
			continue;
		if (fires[i].id >= 0 &&
		    (si->si_code != SI_TIMER || si->si_timerid != fires[i].id ||
		     si->si_value.sival_int != fires[i].value))
			return 100 + i;
		fires[i].seen++;
		return 0;
	}
	return 99;
}

static void burn(void)
{
	int64_t until = now_ns(CLOCK_THREAD_CPUTIME_ID) + 20 * 1000 * 1000;

	while (now_ns(CLOCK_THREAD_CPUTIME_ID) < until)
		;
}

static int check_fire(sigset_t *set, int none_id, pthread_t th)
{
	struct timespec zero = { 0, 0 };
	int64_t deadline = now_ns(CLOCK_MONOTONIC) + 60 * SEC, v, iv;
	bool all = false, none_done = false;
	siginfo_t si;
	int i, ret;

	while (!(all && none_done) && now_ns(CLOCK_MONOTONIC) < deadline) {
		/* CPU clocks need CPU time: spend some, then collect. */
		burn();
		while (sigtimedwait(set, &si, &zero) > 0) {
			ret = note(&si);
			if (ret)
				return ret;
		}
		for (all = true, i = 0; i < NFIRE; i++)
			all &= fires[i].seen >= (i == 2 ? 3 : 1);
		if (tget(none_id, &v, &iv))
			return 30;
		none_done = !v;
	}
	for (i = 0; i < NFIRE; i++)
		if (fires[i].seen < (i == 2 ? 3 : 1))
			return 40 + i;
	if (!none_done)
		return 50;
	pthread_join(th, NULL);
	return thread_result ? 60 + thread_result : 0;
}

static void fire_workload(void)
{
	struct itimerval virt = { { 0, 0 }, { 0, 150000 } };
	struct itimerval prof = { { 0, 0 }, { 0, 150000 } };
	int log = open_log(), i, none_id, tid_id, ret;
	pthread_t th;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGVTALRM);
	sigaddset(&set, SIGPROF);
	for (i = 1; i <= 7; i++)
		sigaddset(&set, SIGRTMIN + i);
	/* Blocked in every thread: collected with sigtimedwait(). */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (log < 0 || pthread_create(&th, NULL, target_thread, NULL))
		_exit(20);
	while (!thread_tid)
		usleep(1000);
	fires[0] = (struct fire){ SIGALRM, 0, -1, 0 };
	fires[1] = (struct fire){ SIGRTMIN + 2, 0x1234,
		tcreate(CLOCK_REALTIME, SIGEV_SIGNAL, SIGRTMIN + 2, 0x1234, 0), 0 };
	fires[2] = (struct fire){ SIGRTMIN + 3, 77,
		tcreate(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN + 3, 77, 0), 0 };
	fires[3] = (struct fire){ SIGRTMIN + 4, 88,
		tcreate(CLOCK_BOOTTIME, SIGEV_SIGNAL, SIGRTMIN + 4, 88, 0), 0 };
	tid_id = tcreate(CLOCK_MONOTONIC, SIGEV_SIGNAL | SIGEV_THREAD_ID, SIGRTMIN + 5,
			 99, thread_tid);
	fires[4] = (struct fire){ SIGRTMIN + 6, 66,
		tcreate(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, SIGRTMIN + 6, 66, 0), 0 };
	fires[5] = (struct fire){ SIGRTMIN + 7, 67,
		tcreate(CLOCK_THREAD_CPUTIME_ID, SIGEV_SIGNAL, SIGRTMIN + 7, 67, 0), 0 };
	fires[6] = (struct fire){ SIGVTALRM, 0, -1, 0 };
	fires[7] = (struct fire){ SIGPROF, 0, -1, 0 };
	fires[8] = (struct fire){ SIGRTMIN + 1, 11,
		tcreate(CLOCK_REALTIME, SIGEV_SIGNAL, SIGRTMIN + 1, 11, 0), 0 };
	none_id = tcreate(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0);
	if (tid_id < 0 || none_id < 0 || alarm(FIRE_S) ||
	    tset(fires[1].id, 0, FIRE_S * SEC, 0) ||
	    tset(fires[2].id, 0, FIRE_S * SEC, SEC / 3) ||
	    tset(fires[3].id, 0, FIRE_S * SEC, 0) || tset(tid_id, 0, FIRE_S * SEC, 0) ||
	    tset(fires[4].id, 0, SEC / 3, 0) || tset(fires[5].id, 0, SEC / 5, 0) ||
	    tset(fires[8].id, TIMER_ABSTIME, now_ns(CLOCK_REALTIME) + FIRE_S * SEC, 0) ||
	    tset(none_id, 0, FIRE_S * SEC, 0) ||
	    setitimer(ITIMER_VIRTUAL, &virt, NULL) || setitimer(ITIMER_PROF, &prof, NULL))
		_exit(21);
	for (i = 0; i < NFIRE; i++)
		if (fires[i].id == -1 && i != 0 && i != 6 && i != 7)
			_exit(22);
	report(log, "ready", 0);
	wait_for_path(GO);
	ret = check_fire(&set, none_id, th);
	report(log, ret ? "FAIL" : "PASS", ret);
	_exit(ret);
}

/* --- pending: timer signals queued at the freeze come back whole --- */

static volatile int pend_thread_result = -1;
static volatile pid_t pend_thread_tid;

static void *pending_thread(void *arg)
{
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	sigset_t set;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 2);
	pend_thread_tid = (pid_t)syscall(SYS_gettid);
	wait_for_path(GO);
	/* Already pending: no waiting. */
	if (sigtimedwait(&set, &si, &zero) != SIGRTMIN + 2)
		pend_thread_result = 1;
	else if (si.si_code != SI_TIMER || si.si_value.sival_int != 666 ||
		 si.si_timerid != 1)
		pend_thread_result = 2;
	else
		pend_thread_result = 0;
	return NULL;
}

/* Wait at most @ms for @sig alone; its siginfo in @si. */
static int wait_one(int sig, int ms, siginfo_t *si)
{
	struct timespec limit = { ms / 1000, (ms % 1000) * 1000000L };
	sigset_t one;

	sigemptyset(&one);
	sigaddset(&one, sig);
	return sigtimedwait(&one, si, &limit);
}

static int check_pending(pthread_t th)
{
	siginfo_t si;

	/* Queued again by the process itself before it was released. */
	if (wait_one(SIGRTMIN + 1, 0, &si) != SIGRTMIN + 1 || si.si_code != SI_TIMER ||
	    si.si_value.sival_int != 555 || si.si_timerid != 0)
		return 1;
	/* The periodic one: its pending signal, then it goes on firing. */
	if (wait_one(SIGRTMIN + 3, 0, &si) != SIGRTMIN + 3 || si.si_code != SI_TIMER ||
	    si.si_value.sival_int != 777 || si.si_timerid != 2)
		return 2;
	if (wait_one(SIGRTMIN + 3, 10000, &si) != SIGRTMIN + 3 || si.si_timerid != 2)
		return 3;
	/* The itimer's, re-sent by the restorer (without its siginfo). */
	if (wait_one(SIGALRM, 10000, &si) != SIGALRM)
		return 4;
	pthread_join(th, NULL);
	return pend_thread_result ? 10 + pend_thread_result : 0;
}

static void pending_workload(void)
{
	struct itimerval real = { { 0, 0 }, { 0, 10000 } };
	int log = open_log(), a, b, c, ret;
	pthread_t th;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGRTMIN + 2);
	sigaddset(&set, SIGRTMIN + 3);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (log < 0 || pthread_create(&th, NULL, pending_thread, NULL))
		_exit(20);
	while (!pend_thread_tid)
		usleep(1000);
	a = tcreate(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN + 1, 555, 0);
	b = tcreate(CLOCK_MONOTONIC, SIGEV_SIGNAL | SIGEV_THREAD_ID, SIGRTMIN + 2, 666,
		    pend_thread_tid);
	c = tcreate(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN + 3, 777, 0);
	if (a != 0 || b != 1 || c != 2 || tset(a, 0, SEC / 100, 0) ||
	    tset(b, 0, SEC / 100, 0) || tset(c, 0, SEC / 100, SEC) ||
	    setitimer(ITIMER_REAL, &real, NULL))
		_exit(21);
	usleep(300000);
	report(log, "ready", 0);
	wait_for_path(GO);
	ret = check_pending(th);
	report(log, ret ? "FAIL" : "PASS", ret);
	_exit(ret);
}

/* --- refused: what cannot be restored, before the freeze --- */

static volatile int gone_go;
static volatile pid_t gone_tid;

static void *exit_when_told(void *arg)
{
	gone_tid = (pid_t)syscall(SYS_gettid);
	while (!gone_go)
		usleep(1000);
	return arg;
}

static void refused_workload(const char *kind)
{
	int log = open_log(), id = -1;
	pthread_t th;
	clockid_t c;

	if (!strcmp(kind, "alarm-clock")) {
		id = tcreate(CLOCK_REALTIME_ALARM, SIGEV_SIGNAL, SIGRTMIN + 1, 1, 0);
		/* Needs an RTC the alarm timers can use. */
		if (id < 0 && log >= 0) {
			report(log, "unsupported", errno);
			_exit(0);
		}
	} else if (!strcmp(kind, "other-cpu-clock")) {
		/* The parent's CPU clock: another process. */
		if (!clock_getcpuclockid(getppid(), &c))
			id = tcreate(c, SIGEV_SIGNAL, SIGRTMIN + 1, 1, 0);
	} else if (!strcmp(kind, "gone-thread")) {
		if (!pthread_create(&th, NULL, exit_when_told, NULL)) {
			while (!gone_tid)
				usleep(1000);
			id = tcreate(CLOCK_MONOTONIC, SIGEV_SIGNAL | SIGEV_THREAD_ID,
				     SIGRTMIN + 1, 1, gone_tid);
			gone_go = 1;
			pthread_join(th, NULL);
		}
	}
	if (log < 0 || id != 0)
		_exit(20);
	report(log, "ready", 0);
	wait_for_path(GO);
	_exit(0);
}

__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_TM_WORKLOAD");

	if (!w)
		return;
	if (!strcmp(w, "values"))
		values_workload();
	if (!strcmp(w, "fire"))
		fire_workload();
	if (!strcmp(w, "pending"))
		pending_workload();
	refused_workload(w);
}

/* Wait up to @ms for @what in the workload's log; 0 or -1. */
static int wait_for_line(const char *what, int ms)
{
	return log_wait(LOG, what, 1, ms);
}

static pid_t start(const char *kind)
{
	unlink(GO);
	unlink(LOG);
	unlink(AREA);
	return exec_self_as("CKPT_TM_WORKLOAD", kind);
}

/* /proc of the workload just before its checkpoint (each test is a process). */
static struct ps_snap before;

static void checkpoint_and_kill(struct __test_metadata *_metadata, pid_t pid)
{
	struct libckpt_job job, done;
	struct libckpt *h;
	char err[256];
	int fd;

	ASSERT_EQ(0, wait_for_line("ready", 10000));
	ASSERT_EQ(0, libckpt_area_create(AREA, 128 << 20, err, sizeof(err)));
	fd = open(AREA, O_RDWR);
	ASSERT_EQ(0, ps_take_idle(&before, &pid, 1, PS_SETTLE_MS));
	ASSERT_EQ(0, libckpt_open(&h));
	ASSERT_EQ(0, libckpt_freeze(h, pid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	EXPECT_EQ(CKPT_JOB_COMMITTED, done.state);
	libckpt_close(h);
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * Restore @pid's image; a helper compares /proc of the restored process
 * with the one before the checkpoint, then tells it to check itself;
 * expect PASS.
 */
static void restore_expect_pass(struct __test_metadata *_metadata, pid_t pid)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char err[LIBCKPT_ERRLEN], log[1024], *report;
	int status = -1, ret, fd, diffs;
	pid_t helper, got = 0;
	ssize_t n;

	helper = ps_check_async(&before, 0, ps_scope(_metadata->name), GO, &fd);
	ASSERT_LT(0, helper);
	ret = libckpt_restore(AREA, &o, &got, &status, err, sizeof(err));
	/* A refused restore restores nothing to compare: stop the helper. */
	diffs = ps_check_wait(helper, fd, ret != 0, &report);
	if (ret)
		free(report);
	else
		EXPECT_PROC_SAME(diffs, report);
	ps_free(&before);
	ASSERT_EQ(0, ret) TH_LOG("%s", err);
	fd = open(LOG, O_RDONLY);
	n = fd < 0 ? 0 : read(fd, log, sizeof(log) - 1);
	log[n > 0 ? n : 0] = '\0';
	close(fd);
	EXPECT_EQ(pid, got);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("check %d failed; log: %s",
						 WEXITSTATUS(status), log);
	EXPECT_NE(NULL, strstr(log, "PASS")) TH_LOG("log: %s", log);
	unlink(AREA);
	unlink(GO);
}

/* Expect the pre-freeze check to refuse the @kind workload with @why. */
static void expect_refused(struct __test_metadata *_metadata, const char *kind,
			   const char *why)
{
	struct libckpt_census census;
	struct libckpt_job job;
	struct libckpt *h;
	char want[64], err[256];
	pid_t pid;
	int fd;

	pid = start(kind);
	if (!wait_for_line("unsupported", 1000)) {
		waitpid(pid, NULL, 0);
		SKIP(return, "%s: the kernel cannot create such a timer here", kind);
	}
	ASSERT_EQ(0, wait_for_line("ready", 10000));
	ASSERT_EQ(0, libckpt_open(&h));
	EXPECT_GT(0, libckpt_check(h, pid, &census));
	snprintf(want, sizeof(want), "pid %d", pid);
	EXPECT_NE(NULL, strstr(libckpt_error(h), want)) TH_LOG("%s", libckpt_error(h));
	EXPECT_NE(NULL, strstr(libckpt_error(h), "POSIX timer 0")) TH_LOG("%s",
									 libckpt_error(h));
	EXPECT_NE(NULL, strstr(libckpt_error(h), why)) TH_LOG("%s", libckpt_error(h));
	/* The freeze refuses it the same way, before parking anything. */
	unlink(AREA);
	ASSERT_EQ(0, libckpt_area_create(AREA, 16 << 20, err, sizeof(err)));
	fd = open(AREA, O_RDWR);
	EXPECT_GT(0, libckpt_freeze(h, pid, fd, 0, &job));
	EXPECT_NE(NULL, strstr(libckpt_error(h), why)) TH_LOG("%s", libckpt_error(h));
	close(fd);
	libckpt_close(h);
	unlink(AREA);
	/* It runs on: neither parked (D) nor stopped. */
	EXPECT_NE('D', proc_state(pid));
	EXPECT_NE('T', proc_state(pid));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* A timer on CLOCK_REALTIME_ALARM is refused by name before the freeze. */
TEST(alarm_clock_refused)
{
	expect_refused(_metadata, "alarm-clock", "alarm clock");
}

/* A timer on another process's CPU clock is refused before the freeze. */
TEST(other_process_cpu_clock_refused)
{
	expect_refused(_metadata, "other-cpu-clock", "CPU clock of another process");
}

/* A SIGEV_THREAD_ID timer whose thread exited is refused before the freeze. */
TEST(exited_target_thread_refused)
{
	expect_refused(_metadata, "gone-thread", "target thread has exited");
}

/*
 * The three itimers and POSIX timers on REALTIME (relative, and absolute:
 * the same wall-clock expiry), MONOTONIC (SIGEV_NONE), BOOTTIME and both
 * CPU clocks keep their intervals and time left; ids 1 and 3, deleted,
 * stay free and the next timer_create() gives 8, as it would have.
 */
TEST(values_and_ids_restored)
{
	char out[8192];
	pid_t pid = start("values");

	checkpoint_and_kill(_metadata, pid);
	/* ckptctl show lists them. */
	EXPECT_EQ(0, run_cmd("/usr/bin/ckptctl show " AREA " 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "itimer real")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "timer 7 thread cpu time of")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "(next id 8)")) TH_LOG("%s", out);
	restore_expect_pass(_metadata, pid);
}

/*
 * After the restore every timer fires, with its siginfo: alarm(), POSIX
 * timers on REALTIME (relative and absolute), MONOTONIC (periodic: three
 * expiries), BOOTTIME, a SIGEV_THREAD_ID one in its thread, the process
 * and thread CPU clocks, ITIMER_VIRTUAL and ITIMER_PROF; a SIGEV_NONE
 * timer runs out. Without the timers the workload would wait forever.
 */
TEST(timers_fire_after_restore)
{
	pid_t pid = start("fire");

	checkpoint_and_kill(_metadata, pid);
	restore_expect_pass(_metadata, pid);
}

/*
 * Timer signals queued at the freeze come back: a POSIX timer's with its
 * siginfo (SI_TIMER, id, value), process-wide and to its thread; a
 * periodic one goes on firing; the itimer's SIGALRM is pending again.
 */
TEST(pending_timer_signals_restored)
{
	pid_t pid = start("pending");

	checkpoint_and_kill(_metadata, pid);
	restore_expect_pass(_metadata, pid);
}

TEST_HARNESS_MAIN
