// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Process states beyond a running process, zdtm-style: a workload makes
 * zombies (children that exited, not waited for) or queues signals with
 * their siginfo, is frozen into an area, SIGKILLed and restored with its
 * pids; then it checks its own view — what waitid() and waitpid() report
 * for each zombie, what sigwaitinfo() returns for each queued signal, in
 * order — and reports PASS or FAIL through its log. Every restore also
 * compares what /proc shows of the processes (zombies included) just
 * before the checkpoint and once restored (proc_state.h). Every wait is
 * bounded.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define LOG	"/tmp/ps-log"
#define GO	"/tmp/ps-go"
#define AREA	"/tmp/ps-area"
#define MAX_PIDS	8

static void report(int fd, const char *what, long n)
{
	char line[160];
	int len = snprintf(line, sizeof(line), "%s %ld\n", what, n);

	if (write(fd, line, len) != len)
		_exit(3);
}

static int open_log(void)
{
	close_range(0, ~0U, 0);
	setsid();
	return open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
}

/* Wait until @pid is a zombie, without reaping it. */
static int await_zombie(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, pid, &si, WEXITED | WNOWAIT) || si.si_pid != pid;
}

/*
 * A zombie is there the moment the restored program runs (WNOHANG), with
 * its status (waitid() without reaping, then waitpid()), and is gone
 * once waited for.
 */
static int check_zombie(pid_t pid, int code, int sig)
{
	siginfo_t si;
	int st = -1;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) || si.si_pid != pid)
		return 1;
	if (si.si_code != (sig ? CLD_KILLED : CLD_EXITED) ||
	    si.si_status != (sig ? sig : code) || si.si_uid != getuid())
		return 2;
	if (proc_state(pid) != 'Z')
		return 3;
	if (waitpid(pid, &st, WNOHANG) != pid)
		return 4;
	if (sig ? !WIFSIGNALED(st) || WTERMSIG(st) != sig || WCOREDUMP(st) :
		  !WIFEXITED(st) || WEXITSTATUS(st) != code)
		return 5;
	if (waitpid(pid, &st, WNOHANG) != -1 || errno != ECHILD)
		return 6;
	return 0;
}

/*
 * The zombie workload: the root (session and group leader) has two
 * zombie children, one that exited with 7, one killed by SIGTERM, and a
 * live child that has a zombie of its own (exit 42). Each parent checks
 * its zombies after the restore; the root then waits for its live child.
 */
static void zombie_workload(void)
{
	int log = open_log(), ret = 0, st;
	pid_t z1, z2, live;

	z1 = fork();
	if (z1 == 0)
		_exit(7);
	z2 = fork();
	if (z2 == 0) {
		kill(getpid(), SIGTERM);
		_exit(99);
	}
	live = fork();
	if (live == 0) {
		pid_t z3 = fork();

		if (z3 == 0)
			_exit(42);
		if (await_zombie(z3))
			_exit(30);
		report(log, "ready live", z3);
		wait_for_path(GO);
		ret = check_zombie(z3, 42, 0);
		report(log, ret ? "FAIL live" : "PASS live", ret);
		_exit(ret);
	}
	if (log < 0 || z1 < 0 || z2 < 0 || live < 0 || await_zombie(z1) ||
	    await_zombie(z2))
		_exit(20);
	report(log, "ready root", 0);
	wait_for_path(GO);
	ret = check_zombie(z1, 7, 0);
	if (!ret)
		ret = check_zombie(z2, 0, SIGTERM);
	if (!ret && (waitpid(live, &st, 0) != live || !WIFEXITED(st) ||
		     WEXITSTATUS(st)))
		ret = 10 + (WIFEXITED(st) ? WEXITSTATUS(st) : 0);
	report(log, ret ? "FAIL root" : "PASS root", ret);
	_exit(ret);
}

/* --- queued signals -------------------------------------------------------- */

#define SIG_A	(SIGRTMIN + 1)	/* to the process, sigqueue()d twice */
#define SIG_B	(SIGRTMIN + 2)	/* to the thread, sigqueue()d */

static volatile pid_t sig_thread_tid;
static volatile int sig_thread_ret = -1;

static int sig_log = -1;

static sigset_t workload_set(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIG_A);
	sigaddset(&set, SIG_B);
	return set;
}

/*
 * One sigwaitinfo() with a bound: signal, code, sender and value. Raw:
 * glibc's sigtimedwait() reports SI_TKILL as SI_USER.
 */
static int expect_signal(int sig, int code, pid_t from, int value)
{
	struct timespec ts = { 5, 0 };
	sigset_t one;
	siginfo_t si;

	sigemptyset(&one);
	sigaddset(&one, sig);
	memset(&si, 0, sizeof(si));
	if (syscall(SYS_rt_sigtimedwait, &one, &si, &ts, 8) != sig)
		return 1;
	if (si.si_code != code || si.si_pid != from || si.si_uid != getuid()) {
		char line[160];
		int len = snprintf(line, sizeof(line),
				   "signal %d: code %d pid %d uid %d, expected %d %d %d\n",
				   sig, si.si_code, si.si_pid, si.si_uid, code, from,
				   getuid());

		if (sig_log >= 0 && write(sig_log, line, len) != len)
			return 4;
		return 2;
	}
	if (code == SI_QUEUE && si.si_value.sival_int != value)
		return 3;
	return 0;
}

static pid_t sig_sender;

/* The thread: its own queue holds SIG_B (value 21) and a tgkill()ed SIGUSR2. */
static void *signal_thread(void *arg)
{
	sigset_t set = workload_set();
	int ret;

	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sig_thread_tid = (pid_t)syscall(SYS_gettid);
	wait_for_path(GO);
	ret = expect_signal(SIG_B, SI_QUEUE, getpid(), 21);
	if (!ret)
		ret = 10 + expect_signal(SIGUSR2, SI_TKILL, getpid(), 0);
	if (ret == 10)
		ret = 0;
	sig_thread_ret = ret;
	return arg;
}

/*
 * The signal workload: a child (gone by the checkpoint) sigqueue()d SIG_A
 * twice (values 11, 12) and kill()ed SIGUSR1 to the process; the main
 * thread sigqueue()d SIG_B (value 21) to its second thread and tgkill()ed
 * it SIGUSR2. All blocked; after the restore each comes back with its
 * siginfo, in its queue, in order.
 */
static void signal_workload(void)
{
	sigset_t set = workload_set();
	int log = open_log(), ret, st;
	union sigval v;
	siginfo_t si;
	pthread_t th;

	sig_log = log;
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (log < 0 || pthread_create(&th, NULL, signal_thread, NULL))
		_exit(20);
	while (!sig_thread_tid)
		usleep(1000);
	sig_sender = fork();
	if (sig_sender == 0) {
		v.sival_int = 11;
		sigqueue(getppid(), SIG_A, v);
		v.sival_int = 12;
		sigqueue(getppid(), SIG_A, v);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	if (sig_sender < 0 || waitpid(sig_sender, &st, 0) != sig_sender)
		_exit(21);
	memset(&si, 0, sizeof(si));
	si.si_signo = SIG_B;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = 21;
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), sig_thread_tid, SIG_B, &si) ||
	    syscall(SYS_tgkill, getpid(), sig_thread_tid, SIGUSR2))
		_exit(22);
	report(log, "ready sender", sig_sender);
	wait_for_path(GO);
	ret = expect_signal(SIG_A, SI_QUEUE, sig_sender, 11);
	if (!ret)
		ret = 10 + expect_signal(SIG_A, SI_QUEUE, sig_sender, 12);
	if (ret == 10)
		ret = 20 + expect_signal(SIGUSR1, SI_USER, sig_sender, 0);
	if (ret == 20)
		ret = 0;
	pthread_join(th, NULL);
	if (!ret && sig_thread_ret)
		ret = 100 + sig_thread_ret;
	report(log, ret ? "FAIL" : "PASS", ret);
	_exit(ret);
}

/* --- stopped by job control ------------------------------------------------ */

static void *idle_thread(void *arg)
{
	wait_for_path(GO);
	return arg;
}

/* The state letter of one thread, from /proc/PID/task/TID/stat. */
static char thread_state(pid_t pid, pid_t tid)
{
	char path[96], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] ? p[2] : 0;
}

/* Every thread of @pid in state @want. */
static bool all_threads(pid_t pid, char want)
{
	char path[64];
	struct dirent *de;
	int n = 0, ok = 1;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			n++;
			ok &= thread_state(pid, atoi(de->d_name)) == want;
		}
	if (d)
		closedir(d);
	return n > 0 && ok;
}

/*
 * The stopped workload: the root's child, two threads, stopped by SIGSTOP
 * and not waited for yet (the root looks with WNOWAIT). After the restore
 * the root finds it stopped, both threads in T, gets the stop from
 * waitpid(WUNTRACED), continues it (WCONTINUED), and the child, running
 * again, exits 0.
 */
static void stopped_workload(void)
{
	int log = open_log(), ret = 0, st, i;
	pthread_t th;
	siginfo_t si;
	pid_t child;

	child = fork();
	if (child == 0) {
		if (pthread_create(&th, NULL, idle_thread, NULL))
			_exit(30);
		wait_for_path(GO);
		pthread_join(th, NULL);
		_exit(0);
	}
	usleep(100000);
	memset(&si, 0, sizeof(si));
	if (log < 0 || child < 0 || kill(child, SIGSTOP) ||
	    waitid(P_PID, child, &si, WSTOPPED | WNOWAIT) || si.si_code != CLD_STOPPED)
		_exit(20);
	for (i = 0; i < 100 && !all_threads(child, 'T'); i++)
		usleep(20000);
	report(log, "ready stopped", child);
	wait_for_path(GO);
	if (!all_threads(child, 'T'))
		ret = 1;
	else if (waitpid(child, &st, WUNTRACED | WNOHANG) != child || !WIFSTOPPED(st) ||
		 WSTOPSIG(st) != SIGSTOP)
		ret = 2;
	else if (kill(child, SIGCONT) || waitpid(child, &st, WCONTINUED) != child ||
		 !WIFCONTINUED(st))
		ret = 3;
	else if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		ret = 4;
	report(log, ret ? "FAIL" : "PASS", ret);
	_exit(ret);
}

/*
 * A zombie whose parent is outside its group: the root makes a group
 * leader L and a child that joins L's group and exits. Only L's group is
 * checkpointed.
 */
static void outside_workload(void)
{
	int log = open_log();
	pid_t leader, z;

	leader = fork();
	if (leader == 0) {
		setpgid(0, 0);
		wait_for_path(GO);
		_exit(0);
	}
	setpgid(leader, leader);
	z = fork();
	if (z == 0) {
		setpgid(0, leader);
		_exit(0);
	}
	if (log < 0 || leader < 0 || z < 0 || await_zombie(z))
		_exit(20);
	report(log, "ready", leader);
	wait_for_path(GO);
	_exit(0);
}

__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_PS_WORKLOAD");

	if (!w)
		return;
	if (!strcmp(w, "zombies"))
		zombie_workload();
	if (!strcmp(w, "signals"))
		signal_workload();
	if (!strcmp(w, "stopped"))
		stopped_workload();
	if (!strcmp(w, "outside"))
		outside_workload();
	_exit(9);
}

/* --- the harness side -------------------------------------------------- */

static int count_lines(const char *what)
{
	char buf[8192];

	return log_count(LOG, what, buf, sizeof(buf));
}


static const char *log_text(void)
{
	static char buf[4096];
	ssize_t n;
	int fd = open(LOG, O_RDONLY);

	n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static pid_t start(const char *kind)
{
	unlink(GO);
	unlink(LOG);
	unlink(AREA);
	/* Orphans of the killed workload come to us, to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return exec_self_as("CKPT_PS_WORKLOAD", kind);
}

/* /proc of the processes just before their checkpoint (each test is a process). */
static struct ps_snap before;

static void checkpoint_and_kill(struct __test_metadata *_metadata, pid_t sid,
				const pid_t *pids, size_t n)
{
	struct libckpt_job job, done;
	struct libckpt *h;
	char err[256];
	int fd;

	ASSERT_EQ(0, libckpt_area_create(AREA, 128 << 20, err, sizeof(err)));
	fd = open(AREA, O_RDWR);
	ASSERT_EQ(0, ps_take_idle(&before, pids, n, PS_SETTLE_MS));
	ASSERT_EQ(0, libckpt_open(&h));
	ASSERT_EQ(0, libckpt_freeze(h, sid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	EXPECT_EQ(CKPT_JOB_COMMITTED, done.state) TH_LOG("%s", done.error_msg);
	libckpt_close(h);
	close(fd);
	kill_session(sid);
}

/*
 * Restore; a helper compares /proc of the restored processes with the
 * one before the checkpoint, then tells them to check themselves; the
 * root's exit status is their verdict.
 */
static void restore_expect_pass(struct __test_metadata *_metadata, pid_t sid)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char err[LIBCKPT_ERRLEN], *report;
	int status = -1, ret, fd, diffs;
	pid_t helper, got = 0;

	helper = ps_check_async(&before, 0, ps_scope(_metadata->name), GO, &fd);
	ASSERT_LT(0, helper);
	ret = libckpt_restore(AREA, &o, &got, &status, err, sizeof(err));
	diffs = ps_check_wait(helper, fd, ret != 0, &report);
	if (ret)
		free(report);
	else
		EXPECT_PROC_SAME(diffs, report);
	ps_free(&before);
	ASSERT_EQ(0, ret) TH_LOG("%s", err);
	EXPECT_EQ(sid, got);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("check %d failed; log: %s",
						 WEXITSTATUS(status), log_text());
	EXPECT_EQ(0, count_lines("FAIL")) TH_LOG("log: %s", log_text());
	kill_session(sid);
	unlink(AREA);
	unlink(GO);
}

/* The pids of session @sid, zombies included, ascending. */
static size_t session_pids(pid_t sid, pid_t *pids)
{
	int n = ps_session_pids(sid, pids, MAX_PIDS);

	return n < 0 ? 0 : (size_t)n;
}

/*
 * A group holding a zombie whose parent is outside it is refused before
 * the freeze, naming the zombie: no restore could make the parent wait
 * for it. Its group runs on.
 */
TEST(zombie_of_a_parent_outside_refused)
{
	pid_t sid = start("outside"), leader;
	struct libckpt_census census;
	struct libckpt_job job;
	struct libckpt *h;
	char err[256];
	int fd, i;

	ASSERT_EQ(0, log_wait(LOG, "ready", 1, 10000)) TH_LOG("%s", log_text());
	leader = atoi(strstr(log_text(), "ready ") + 6);
	ASSERT_LT(0, leader);
	ASSERT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(-EOPNOTSUPP, libckpt_check(h, leader, &census));
	EXPECT_NE(NULL, strstr(libckpt_error(h), "zombie whose parent is outside the group"))
		TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_area_create(AREA, 16 << 20, err, sizeof(err)));
	fd = open(AREA, O_RDWR);
	EXPECT_EQ(-EOPNOTSUPP, libckpt_freeze(h, leader, fd, 0, &job));
	EXPECT_NE(NULL, strstr(libckpt_error(h), "zombie whose parent is outside the group"))
		TH_LOG("%s", libckpt_error(h));
	close(fd);
	libckpt_close(h);
	/* Not left stopped: back in its sleep within 5 s (it may still be running there). */
	for (i = 0; i < 500 && proc_state(leader) != 'S'; i++)
		usleep(10000);
	EXPECT_EQ('S', proc_state(leader));
	kill_session(sid);
	unlink(AREA);
}

/*
 * Zombies — of the root and of its live child, one exited with a code,
 * one killed by a signal — come back as zombies of the same parents,
 * with the same pids, there before any restored process runs; each
 * parent's waitid() and waitpid() get the recorded status.
 */
TEST(zombies_restored)
{
	pid_t sid = start("zombies"), pids[MAX_PIDS];
	char out[8192];
	size_t n;

	ASSERT_EQ(0, log_wait(LOG, "ready", 2, 10000)) TH_LOG("%s", log_text());
	n = session_pids(sid, pids);
	ASSERT_EQ(5, n);
	checkpoint_and_kill(_metadata, sid, pids, n);
	EXPECT_EQ(0, run_cmd("/usr/bin/ckptctl show " AREA " 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "zombie: exited 7")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "zombie: killed by signal 15")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "zombie: exited 42")) TH_LOG("%s", out);
	restore_expect_pass(_metadata, sid);
	EXPECT_EQ(1, count_lines("PASS root"));
	EXPECT_EQ(1, count_lines("PASS live"));
}

/*
 * Queued signals keep their siginfo: two real-time instances of one
 * signal with their values, in order, and a kill() from another process
 * (SI_USER, a code no other process may queue), process-wide; a
 * sigqueue() and a tgkill() (SI_TKILL) to one thread, in that thread's
 * queue. sigwaitinfo() returns each with its code, sender and value.
 */
TEST(queued_signals_keep_siginfo)
{
	pid_t sid = start("signals");
	char out[8192];

	ASSERT_EQ(0, log_wait(LOG, "ready", 1, 10000)) TH_LOG("%s", log_text());
	/* The sender is gone: the workload alone. */
	checkpoint_and_kill(_metadata, sid, &sid, 1);
	EXPECT_EQ(0, run_cmd("/usr/bin/ckptctl show " AREA " 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "queued signals of pid")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "code -6")) TH_LOG("%s", out);
	restore_expect_pass(_metadata, sid);
	EXPECT_EQ(1, count_lines("PASS"));
}

/*
 * A process stopped by SIGSTOP (both its threads), its stop not yet
 * waited for, is checkpointed as it is and comes back stopped: its
 * threads are in T before any of them runs, its parent's
 * waitpid(WUNTRACED) reports the stop, SIGCONT continues it.
 */
TEST(stopped_process_restored_stopped)
{
	pid_t sid = start("stopped"), pids[MAX_PIDS];
	size_t n;

	ASSERT_EQ(0, log_wait(LOG, "ready", 1, 10000)) TH_LOG("%s", log_text());
	n = session_pids(sid, pids);
	ASSERT_EQ(2, n);
	checkpoint_and_kill(_metadata, sid, pids, n);
	restore_expect_pass(_metadata, sid);
	EXPECT_EQ(1, count_lines("PASS"));
}

TEST_HARNESS_MAIN
