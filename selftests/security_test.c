// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The threat model of Documentation/security.rst, tested: an unprivileged
 * user cannot freeze, dump or watch another user's processes, nor its own
 * non-dumpable or setuid ones (also when a setuid exec completes during
 * the freeze); restore never gives an image's credentials to a caller who
 * could not take them; the module acts only on descriptors the caller
 * opened, with the access they were opened with.
 *
 * Users: root runs the test; USER_A (1000) and nobody (65534) are the
 * unprivileged parties. Workloads are this program re-executed with
 * CKPT_SEC_WORKLOAD set.
 */
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "stress_util.h"
#include "test_util.h"

#define USER_A		1000
#define NOBODY		65534
#define SUID		"/tmp/sec-suid"	/* a setuid-root copy of this program */
#define GO		"/tmp/sec-go"	/* tells sleepers to prove they ran */
#define RAN		"/tmp/sec-ran"

/* --- workloads (this program, re-executed) --------------------------------- */

/*
 * A sleeper: /dev/null on 0-2, its own session, creates /tmp/sec-ready-PID,
 * then sleeps; when GO appears it creates RAN (proof that it ran) and exits.
 */
static void sleeper(bool nodump)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char ready[64];
	int fd;

	if (nodump)
		prctl(PR_SET_DUMPABLE, 0);
	snprintf(ready, sizeof(ready), "/tmp/sec-ready-%d", getpid());
	fd = open(ready, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
	for (;;) {
		nanosleep(&ts, NULL);
		if (!access(GO, F_OK)) {
			close(open(RAN, O_WRONLY | O_CREAT, 0644));
			_exit(0);
		}
	}
}

/* A group leader whose child runs the setuid copy: a mixed group. */
static void mixed(void)
{
	char self[256], pid[32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	pid_t kid;
	int fd;

	if (n < 0)
		_exit(5);
	kid = fork();
	if (kid == 0) {
		char *argv[] = { SUID, NULL };
		char *envp[] = { "CKPT_SEC_WORKLOAD=sleeper", NULL };

		execve(SUID, argv, envp);
		_exit(6);
	}
	fd = open("/tmp/sec-kid", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	snprintf(pid, sizeof(pid), "%d\n", kid);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		_exit(7);
	close(fd);
	sleeper(false);
}

__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_SEC_WORKLOAD");

	if (!w)
		return;
	if (!strcmp(w, "sleeper"))
		sleeper(false);
	if (!strcmp(w, "nodump"))
		sleeper(true);
	if (!strcmp(w, "mixed"))
		mixed();
	_exit(4);
}

/* --- helpers ------------------------------------------------------------- */

/* Become @uid (gid too, no supplementary groups); false on failure. */
static bool become(uid_t uid)
{
	return !setgroups(0, NULL) && !setresgid(uid, uid, uid) &&
	       !setresuid(uid, uid, uid);
}

static bool wait_file(const char *path)
{
	int i;

	for (i = 0; i < 400 && access(path, F_OK); i++)
		usleep(25000);
	return !access(path, F_OK);
}

/* Start a workload of @kind as @uid (0: root), in its own session. */
static pid_t start_as(uid_t uid, const char *kind, const char *exe)
{
	char ready[64], env[64];
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)exe, NULL };
		char *envp[] = { env, NULL };
		int null = open("/dev/null", O_RDWR);

		snprintf(env, sizeof(env), "CKPT_SEC_WORKLOAD=%s", kind);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0)
			_exit(2);
		close_range(3, ~0U, 0);
		setsid();
		if (uid && !become(uid))
			_exit(3);
		execve(exe, argv, envp);
		_exit(4);
	}
	snprintf(ready, sizeof(ready), "/tmp/sec-ready-%d", pid);
	return pid > 0 && wait_file(ready) ? pid : -1;
}

static void stop(pid_t pid)
{
	char ready[64];

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	snprintf(ready, sizeof(ready), "/tmp/sec-ready-%d", pid);
	unlink(ready);
}

static const char *self_exe(void)
{
	static char self[256];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	return self;
}

/* Make SUID: a root-owned copy of this program with the setuid bit. */
static int make_suid_copy(void)
{
	char buf[65536];
	ssize_t n;
	int in, out, ret = 0;

	in = open(self_exe(), O_RDONLY);
	out = open(SUID, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			ret = -1;
	close(in);
	if (fchown(out, 0, 0) || fchmod(out, 04755))
		ret = -1;
	close(out);
	return ret;
}

/* What an unprivileged child saw. */
struct outcome {
	int ret[8];
	char msg[8][256];
};

static void note(struct outcome *o, int i, int ret, struct libckpt *h)
{
	o->ret[i] = ret;
	snprintf(o->msg[i], sizeof(o->msg[i]), "%s", h ? libckpt_error(h) : "");
}

static struct outcome *outcome_new(void)
{
	struct outcome *o = mmap(NULL, sizeof(*o), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return o == MAP_FAILED ? NULL : o;
}

/* Run @fn(@arg) in a child that became @uid; its exit status, or -1. */
static int as_user(uid_t uid, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(become(uid) ? fn(arg) : 99);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* A fresh area at @path owned by @uid, mode @mode. */
static int area_for(const char *path, uid_t uid, mode_t mode)
{
	int fd = new_area(path, 32ULL << 20);

	if (fd < 0)
		return -1;
	if (fchown(fd, uid, uid) || fchmod(fd, mode)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* --- freeze, dump, watch --------------------------------------------------- */

struct probe {
	pid_t target;
	const char *area;
	struct outcome *o;
};

/* CHECK, FREEZE into the caller's own area, DUMP into the caller's file. */
static int probe_target(void *arg)
{
	struct probe *p = arg;
	struct libckpt_census census;
	struct libckpt_job job;
	struct libckpt *h;
	char out[64];
	int fd;

	if (libckpt_open(&h))
		return 1;
	note(p->o, 0, libckpt_check(h, p->target, &census), h);
	fd = open(p->area, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 2;
	note(p->o, 1, libckpt_freeze(h, p->target, fd, 0, &job), h);
	if (!p->o->ret[1])
		libckpt_wait(h, job.id, &job);
	close(fd);
	snprintf(out, sizeof(out), "/tmp/sec-dump-%d", getuid());
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return 3;
	note(p->o, 2, libckpt_dump(h, p->target, fd, 0, &job), h);
	if (!p->o->ret[2])
		libckpt_wait(h, job.id, &job);
	close(fd);
	unlink(out);
	libckpt_close(h);
	return 0;
}

/* All three refused with -EPERM, naming @pid. */
static void expect_refused(struct __test_metadata *_metadata,
			   struct outcome *o, pid_t pid)
{
	char want[64];
	int i;

	snprintf(want, sizeof(want), "pid %d: permission denied", pid);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(-EPERM, o->ret[i]) TH_LOG("request %d: %s", i, o->msg[i]);
		EXPECT_TRUE(starts_with(o->msg[i], want)) TH_LOG("%s", o->msg[i]);
	}
}

/*
 * nobody can neither check, freeze nor dump root's or user A's process;
 * user A can do all three to its own process, but not to its own
 * non-dumpable process nor to the setuid-root program it started.
 */
TEST(unprivileged_cannot_freeze_others)
{
	pid_t root_p, a_p, a_nodump, a_suid;
	struct probe p;
	struct outcome *o = outcome_new();
	int i;

	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, make_suid_copy());
	ASSERT_EQ(0, area_for("/tmp/sec-area-nobody", NOBODY, 0600));
	ASSERT_EQ(0, area_for("/tmp/sec-area-a", USER_A, 0600));
	root_p = start_as(0, "sleeper", self_exe());
	a_p = start_as(USER_A, "sleeper", self_exe());
	a_nodump = start_as(USER_A, "nodump", self_exe());
	a_suid = start_as(USER_A, "sleeper", SUID);
	ASSERT_LT(0, root_p);
	ASSERT_LT(0, a_p);
	ASSERT_LT(0, a_nodump);
	ASSERT_LT(0, a_suid);

	p = (struct probe){ .target = root_p, .area = "/tmp/sec-area-nobody", .o = o };
	ASSERT_EQ(0, as_user(NOBODY, probe_target, &p));
	expect_refused(_metadata, o, root_p);
	p.target = a_p;
	ASSERT_EQ(0, as_user(NOBODY, probe_target, &p));
	expect_refused(_metadata, o, a_p);

	/* The owner itself: its own process, yes. */
	p = (struct probe){ .target = a_p, .area = "/tmp/sec-area-a", .o = o };
	ASSERT_EQ(0, as_user(USER_A, probe_target, &p));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, o->ret[i]) TH_LOG("request %d: %s", i, o->msg[i]);
	/* Not its non-dumpable one, nor the setuid program it runs. */
	p.target = a_nodump;
	ASSERT_EQ(0, as_user(USER_A, probe_target, &p));
	expect_refused(_metadata, o, a_nodump);
	p.target = a_suid;
	ASSERT_EQ(0, as_user(USER_A, probe_target, &p));
	expect_refused(_metadata, o, a_suid);

	EXPECT_EQ(0, module_info().held_pages);
	stop(root_p);
	stop(a_p);
	stop(a_nodump);
	stop(a_suid);
	unlink("/tmp/sec-area-nobody");
	unlink("/tmp/sec-area-a");
}

/*
 * A group of user A with one setuid-root member is refused as a whole,
 * naming that member; nothing of the group is frozen or written.
 */
TEST(mixed_group_refused_whole)
{
	struct outcome *o = outcome_new();
	struct probe p;
	char buf[32];
	pid_t leader, kid;
	int fd;

	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, make_suid_copy());
	ASSERT_EQ(0, area_for("/tmp/sec-area-a", USER_A, 0600));
	unlink("/tmp/sec-kid");
	leader = start_as(USER_A, "mixed", self_exe());
	ASSERT_LT(0, leader);
	ASSERT_TRUE(wait_file("/tmp/sec-kid"));
	fd = open("/tmp/sec-kid", O_RDONLY);
	ASSERT_LT(0, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	kid = atoi(buf);
	snprintf(buf, sizeof(buf), "/tmp/sec-ready-%d", kid);
	ASSERT_TRUE(wait_file(buf));

	p = (struct probe){ .target = leader, .area = "/tmp/sec-area-a", .o = o };
	ASSERT_EQ(0, as_user(USER_A, probe_target, &p));
	expect_refused(_metadata, o, kid);
	fd = open("/tmp/sec-area-a", O_RDONLY);
	EXPECT_EQ(0, newest_committed(fd));
	close(fd);
	EXPECT_EQ(0, module_info().held_pages);
	kill(kid, SIGKILL);
	stop(leader);
	unlink(buf);
	unlink("/tmp/sec-kid");
	unlink("/tmp/sec-area-a");
}

struct job_probe {
	uint64_t id;
	struct outcome *o;
};

static int count_job(const struct libckpt_job *j, void *arg)
{
	struct job_probe *p = arg;

	if (j->id == p->id)
		p->o->ret[1]++;
	return 0;
}

/* WAIT, STATUS and events on root's job. */
static int probe_job(void *arg)
{
	struct job_probe *p = arg;
	struct libckpt_job job;
	struct libckpt *h, *ev;

	if (libckpt_open(&h))
		return 1;
	note(p->o, 0, libckpt_wait(h, p->id, &job), h);
	p->o->ret[1] = 0;
	if (libckpt_status(h, count_job, p))
		return 2;
	p->o->ret[2] = libckpt_events_open(&ev);
	libckpt_close(h);
	return 0;
}

/* nobody cannot wait on, list or watch root's checkpoint job. */
TEST(unprivileged_cannot_watch_others)
{
	struct outcome *o = outcome_new();
	struct job_probe p = { .o = o };
	struct libckpt_job job, done;
	struct libckpt *h;
	pid_t pid;
	int fd;

	ASSERT_NE(NULL, o);
	pid = start_as(0, "sleeper", self_exe());
	ASSERT_LT(0, pid);
	fd = new_area("/tmp/sec-area-root", 32ULL << 20);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));
	ASSERT_EQ(0, libckpt_freeze(h, pid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	p.id = job.id;
	ASSERT_EQ(0, as_user(NOBODY, probe_job, &p));
	EXPECT_EQ(-EPERM, o->ret[0]) TH_LOG("%s", o->msg[0]);
	EXPECT_NE(NULL, strstr(o->msg[0], "another user")) TH_LOG("%s", o->msg[0]);
	EXPECT_EQ(0, o->ret[1]) TH_LOG("root's job is listed to nobody");
	EXPECT_EQ(-EPERM, o->ret[2]);
	libckpt_close(h);
	close(fd);
	stop(pid);
	unlink("/tmp/sec-area-root");
}

/* Fault injection is for root only. */
static int arm_faults(void *arg)
{
	(void)arg;
	return param_set("fault_nth", 1) == -EACCES &&
	       param_set("fault_sb_pause", 1) == -EACCES &&
	       param_set("fault_fill_delay_ms", 1) == -EACCES &&
	       param_set("restore_stall_s", 1) == -EACCES ? 0 : 1;
}

TEST(unprivileged_cannot_inject_faults)
{
	EXPECT_EQ(0, as_user(NOBODY, arm_faults, NULL));
	EXPECT_EQ(0, param_get("fault_nth"));
	EXPECT_EQ(0, param_get("fault_sb_pause"));
	EXPECT_EQ(0, param_get("fault_fill_delay_ms"));
	EXPECT_EQ(30, param_get("restore_stall_s"));
}

/*
 * The exec race. User A's process P is inside execve() of the setuid-root
 * program: its argv string sits on a page that a userfaultfd (held by the
 * test) has not filled, so P waits in copy_strings() before the exec's
 * point of no return, still A's and dumpable. A starts a freeze of P,
 * which passes the permission check and asks P to park; only then does
 * the test fill the page: the exec completes with root's credentials and
 * P parks on its way out. The freeze must see the new credentials and
 * refuse, not snapshot a setuid-root process for A.
 */
struct exec_race {
	volatile int uffd;
	volatile int uffd_errno;	/* why P has no userfaultfd */
	volatile int taken;
	volatile uint64_t page;
};

static void exec_race_child(struct exec_race *r)
{
	struct uffdio_register reg = { 0 };
	struct uffdio_api api = { .api = UFFD_API };
	char *envp[] = { "CKPT_SEC_WORKLOAD=sleeper", NULL };
	char *argv[2], *region;
	int uffd, null;

	region = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (region == MAP_FAILED || uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		r->uffd_errno = errno;
		_exit(30);
	}
	reg.range.start = (uintptr_t)region;
	reg.range.len = 4096;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		r->uffd_errno = errno;
		_exit(31);
	}
	r->page = (uintptr_t)region;
	r->uffd = uffd;
	while (!r->taken)
		usleep(1000);
	close(uffd);
	null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0)
		_exit(32);
	close_range(3, ~0U, 0);
	setsid();
	if (!become(USER_A) || prctl(PR_SET_DUMPABLE, 1))
		_exit(33);
	argv[0] = region;	/* read by execve() from the missing page */
	argv[1] = NULL;
	execve(SUID, argv, envp);
	_exit(34);
}

struct race_freeze {
	pid_t target;
	struct outcome *o;
};

static int race_freezer(void *arg)
{
	struct race_freeze *f = arg;
	struct libckpt_job job;
	struct libckpt *h;
	int fd = open("/tmp/sec-area-a", O_RDWR | O_CLOEXEC);

	if (fd < 0 || libckpt_open(&h))
		return 1;
	note(f->o, 0, libckpt_freeze(h, f->target, fd, 0, &job), h);
	if (!f->o->ret[0])
		libckpt_wait(h, job.id, &job);
	return 0;
}

static int read_fault(int uffd, int timeout_ms)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, timeout_ms) != 1 ||
	    read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -1;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -1;
}

/* The second line of /proc/PID/status's Uid: the effective uid, or -1. */
static long euid_of(pid_t pid)
{
	char path[64], line[256];
	long r, e = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %ld %ld", &r, &e) == 2)
			break;
	fclose(f);
	return e;
}

FIXTURE(slow) {
	int unused;
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, setuid_exec_during_freeze, 120)
{
	struct exec_race *r;
	struct outcome *o = outcome_new();
	struct race_freeze f = { .o = o };
	struct uffdio_copy copy = { 0 };
	static char page[4096] __attribute__((aligned(4096))) = "sec-suid";
	pid_t p, freezer;
	int pidfd, uffd, st, fd;

	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, make_suid_copy());
	ASSERT_EQ(0, area_for("/tmp/sec-area-a", USER_A, 0600));
	r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	p = fork();
	ASSERT_LE(0, p);
	if (p == 0)
		exec_race_child(r);
	for (st = 0; st < 2000 && !r->uffd && !r->uffd_errno; st++)
		usleep(5000);
	if (r->uffd_errno == ENOSYS)
		SKIP(return, "no userfaultfd in this kernel (CONFIG_USERFAULTFD)");
	ASSERT_NE(0, r->uffd) TH_LOG("P could not set up its userfaultfd: %s",
				    strerror(r->uffd_errno));
	pidfd = syscall(SYS_pidfd_open, p, 0);
	ASSERT_LE(0, pidfd);
	uffd = syscall(SYS_pidfd_getfd, pidfd, r->uffd, 0);
	ASSERT_LE(0, uffd);
	r->taken = 1;
	/* P waits in execve(), before its point of no return. */
	ASSERT_EQ(0, read_fault(uffd, 20000));
	EXPECT_EQ(USER_A, euid_of(p));

	f.target = p;
	freezer = fork();
	ASSERT_LE(0, freezer);
	if (freezer == 0)
		_exit(become(USER_A) ? race_freezer(&f) : 99);
	/*
	 * P faults again once the freeze's park request wakes it: the
	 * permission check is behind us. Now let the exec finish.
	 */
	ASSERT_EQ(0, read_fault(uffd, 20000)) TH_LOG("the freeze never reached P");
	copy.dst = r->page;
	copy.src = (uintptr_t)page;
	copy.len = 4096;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy));
	ASSERT_EQ(freezer, waitpid(freezer, &st, 0));
	ASSERT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(0, euid_of(p)) TH_LOG("the setuid exec did not complete");
	EXPECT_EQ(-EPERM, o->ret[0]) TH_LOG("freeze of a process that became setuid-root: %d %s",
					    o->ret[0], o->msg[0]);
	fd = open("/tmp/sec-area-a", O_RDONLY);
	EXPECT_EQ(0, newest_committed(fd)) TH_LOG("user A holds an image of a setuid-root process");
	close(fd);
	EXPECT_EQ(0, module_info().held_pages);
	stop(p);
	close(uffd);
	close(pidfd);
	unlink("/tmp/sec-area-a");
}

/* --- restore --------------------------------------------------------------- */

/* Dump @pid into a standalone image file at @path, readable by all. */
static int dump_image(pid_t pid, const char *path)
{
	struct libckpt_job job, done;
	struct libckpt *h;
	int fd, ret;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || libckpt_open(&h))
		return -1;
	ret = libckpt_dump(h, pid, fd, 0, &job);
	if (!ret)
		ret = libckpt_wait(h, job.id, &done);
	if (!ret && done.state != CKPT_JOB_COMMITTED)
		ret = -EIO;
	libckpt_close(h);
	close(fd);
	return ret;
}

struct restore_try {
	const char *image;
	struct outcome *o;
};

static int try_restore(void *arg)
{
	struct restore_try *t = arg;
	struct libckpt_restore_opts opts = { .new_pid = 1 };
	char err[LIBCKPT_ERRLEN] = "";
	pid_t pid = 0;
	int status;

	t->o->ret[0] = libckpt_restore(t->image, &opts, &pid, &status, err,
				       sizeof(err));
	snprintf(t->o->msg[0], sizeof(t->o->msg[0]), "%s", err);
	t->o->ret[1] = pid;
	return 0;
}

/* Did anything restored from the image run? GO makes it create RAN. */
static bool something_ran(void)
{
	bool ran;

	unlink(RAN);
	close(open(GO, O_WRONLY | O_CREAT, 0644));
	usleep(500000);
	ran = !access(RAN, F_OK);
	unlink(GO);
	unlink(RAN);
	return ran;
}

static bool refused_credentials(const char *msg)
{
	return strstr(msg, "cannot take uid") ||
	       strstr(msg, "cannot set the supplementary groups");
}

/*
 * nobody restoring root's image, or user A's, is refused at the
 * credentials, and nothing of the image runs; user A may restore its own
 * image; root restoring A's image gets a process with A's credentials and
 * no capabilities, not root's.
 */
TEST_F_TIMEOUT(slow, restore_never_grants_credentials, 120)
{
	struct outcome *o = outcome_new();
	struct restore_try t = { .o = o };
	struct libckpt_restore_opts opts = { 0 };
	char err[LIBCKPT_ERRLEN], path[64], line[256], *report;
	pid_t root_p, a_p, got = 0, new_pid;
	bool capeff_zero = false;
	struct ps_snap a_before;
	int status, diffs;
	FILE *f;

	ASSERT_NE(NULL, o);
	root_p = start_as(0, "sleeper", self_exe());
	a_p = start_as(USER_A, "sleeper", self_exe());
	ASSERT_LT(0, root_p);
	ASSERT_LT(0, a_p);
	ASSERT_EQ(0, ps_take_idle(&a_before, &a_p, 1, PS_SETTLE_MS));
	ASSERT_EQ(0, dump_image(root_p, "/tmp/sec-img-root"));
	ASSERT_EQ(0, dump_image(a_p, "/tmp/sec-img-a"));
	stop(root_p);
	stop(a_p);

	t.image = "/tmp/sec-img-root";
	ASSERT_EQ(0, as_user(NOBODY, try_restore, &t));
	EXPECT_GT(0, o->ret[0]);
	EXPECT_TRUE(refused_credentials(o->msg[0])) TH_LOG("%s", o->msg[0]);
	t.image = "/tmp/sec-img-a";
	ASSERT_EQ(0, as_user(NOBODY, try_restore, &t));
	EXPECT_GT(0, o->ret[0]);
	EXPECT_TRUE(refused_credentials(o->msg[0])) TH_LOG("%s", o->msg[0]);
	EXPECT_FALSE(something_ran()) TH_LOG("a refused image ran");

	/* Its owner may restore it (a new pid: no CAP_CHECKPOINT_RESTORE). */
	ASSERT_EQ(0, as_user(USER_A, try_restore, &t));
	EXPECT_EQ(0, o->ret[0]) TH_LOG("%s", o->msg[0]);
	if (!o->ret[0]) {
		EXPECT_EQ(USER_A, euid_of(o->ret[1]));
		/* --new-pid: the comparison follows the process to its new pid. */
		new_pid = o->ret[1];
		diffs = ps_expect_same(&a_before, &new_pid, 0, ps_scope(_metadata->name), PS_SETTLE_MS,
				       &report);
		EXPECT_PROC_SAME(diffs, report);
		EXPECT_TRUE(something_ran()) TH_LOG("the restored process does not run");
	}

	/* Root restoring A's image makes a process of A's, not of root's. */
	ASSERT_EQ(0, libckpt_restore("/tmp/sec-img-a", &opts, &got, &status, err,
				     sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(a_p, got);
	EXPECT_EQ(USER_A, euid_of(got));
	diffs = ps_expect_same(&a_before, NULL, 0, ps_scope(_metadata->name), PS_SETTLE_MS, &report);
	EXPECT_PROC_SAME(diffs, report);
	ps_free(&a_before);
	snprintf(path, sizeof(path), "/proc/%d/status", got);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strcmp(line, "CapEff:\t0000000000000000\n"))
			capeff_zero = true;
	if (f)
		fclose(f);
	EXPECT_TRUE(capeff_zero) TH_LOG("the restored process has capabilities");
	EXPECT_TRUE(something_ran());
	unlink("/tmp/sec-img-root");
	unlink("/tmp/sec-img-a");
}

/* RESTORE_REGS for a task that is not one's descendant. */
static int regs_for_init(void *arg)
{
	char attrs[512];
	struct ckpt_rec_thread th = { 0 };
	struct raw_reply rep;
	uint32_t tid = 1;
	size_t off = 0;

	(void)arg;
	off = put_attr(attrs, off, CKPT_A_TID, &tid, sizeof(tid));
	off = put_attr(attrs, off, CKPT_A_RESTORE_THREAD, &th, sizeof(th));
	if (raw_request(CKPT_CMD_RESTORE_REGS, 0, REQ_FLAGS, attrs, off, &rep))
		return 1;
	return rep.error == -EPERM && strstr(rep.msg, "ancestor") ? 0 : 2;
}

/* Only an ancestor (or a privileged caller) may give a task registers. */
TEST(restore_regs_needs_ancestor)
{
	EXPECT_EQ(0, as_user(NOBODY, regs_for_init, NULL));
}

/* --- descriptors, never paths ---------------------------------------------- */

struct fd_probe {
	pid_t target;
	struct outcome *o;
};

/*
 * As nobody: root's 0600 area through an O_PATH descriptor (which needs no
 * permission on the file), root's 0644 area read-only, root's 0600 file as
 * an output through O_PATH. The module must refuse each, not reopen.
 */
static int probe_descriptors(void *arg)
{
	struct fd_probe *p = arg;
	struct libckpt_job job;
	struct libckpt *h;
	int fd;

	if (libckpt_open(&h))
		return 1;
	fd = open("/tmp/sec-area-root", O_PATH | O_CLOEXEC);
	if (fd < 0)
		return 2;
	note(p->o, 0, libckpt_freeze(h, p->target, fd, 0, &job), h);
	close(fd);
	fd = open("/tmp/sec-area-root644", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 3;
	note(p->o, 1, libckpt_freeze(h, p->target, fd, 0, &job), h);
	close(fd);
	fd = open("/tmp/sec-secret", O_PATH | O_CLOEXEC);
	if (fd < 0)
		return 4;
	note(p->o, 2, libckpt_dump(h, p->target, fd, 0, &job), h);
	close(fd);
	libckpt_close(h);
	return 0;
}

TEST(freeze_takes_descriptors_not_paths)
{
	struct outcome *o = outcome_new();
	struct fd_probe p = { .o = o };
	struct stat st;
	int fd, i;

	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, area_for("/tmp/sec-area-root", 0, 0600));
	ASSERT_EQ(0, area_for("/tmp/sec-area-root644", 0, 0644));
	fd = open("/tmp/sec-secret", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	p.target = start_as(NOBODY, "sleeper", self_exe());
	ASSERT_LT(0, p.target);
	ASSERT_EQ(0, as_user(NOBODY, probe_descriptors, &p));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(-EBADF, o->ret[i]) TH_LOG("request %d: %d %s", i,
						    o->ret[i], o->msg[i]);
	fd = open("/tmp/sec-area-root", O_RDONLY);
	EXPECT_EQ(0, newest_committed(fd));
	close(fd);
	ASSERT_EQ(0, stat("/tmp/sec-secret", &st));
	EXPECT_EQ(0, st.st_size);
	stop(p.target);
	unlink("/tmp/sec-area-root");
	unlink("/tmp/sec-area-root644");
	unlink("/tmp/sec-secret");
}

/* A RESTORE_MM request of one mapping at @addr backed by @map_fd. */
static int restore_mm_request(int image_fd, int map_fd, uint32_t flags,
			      struct raw_reply *rep)
{
	static char attrs[4096];
	struct ckpt_rec_task task = { 0 };
	struct ckpt_restore_vma vma = {
		.start = 0x7e0000000000ULL,
		.end = 0x7e0000001000ULL,
		.flags = flags,
		.fd = map_fd,
	};
	struct ckpt_restore_run run = { .addr = vma.start, .nr_pages = 1 };
	uint32_t ifd = image_fd;
	struct nlattr *nest;
	size_t off = 0;

	off = put_attr(attrs, off, CKPT_A_IMAGE_FD, &ifd, sizeof(ifd));
	off = put_attr(attrs, off, CKPT_A_RESTORE_TASK, &task, sizeof(task));
	nest = (struct nlattr *)(attrs + off);
	off = put_attr(attrs, off, CKPT_A_RESTORE_VMAS | NLA_F_NESTED, NULL, 0);
	off = put_attr(attrs, off, CKPT_A_RESTORE_VMAS, &vma, sizeof(vma));
	nest->nla_len = attrs + off - (char *)nest;
	nest = (struct nlattr *)(attrs + off);
	off = put_attr(attrs, off, CKPT_A_RESTORE_RUNS | NLA_F_NESTED, NULL, 0);
	off = put_attr(attrs, off, CKPT_A_RESTORE_RUNS, &run, sizeof(run));
	nest->nla_len = attrs + off - (char *)nest;
	return raw_request(CKPT_CMD_RESTORE_MM, 0, REQ_FLAGS, attrs, off, rep);
}

/*
 * As nobody: an image or mapped file passed as O_PATH is refused before
 * anything changes (the caller lives on); a root-owned file nobody may
 * only read, mapped shared through a read-only descriptor with a page run
 * to fill, is never written: the restore fails past its point of no
 * return, which kills the caller, and the file is unchanged.
 */
static int probe_restore_fds(void *arg)
{
	struct raw_reply rep;
	int img, path_fd, ro;

	(void)arg;
	img = open("/tmp/sec-nobody-img", O_RDONLY);
	path_fd = open("/tmp/sec-victim", O_PATH);
	ro = open("/tmp/sec-victim", O_RDONLY);
	if (img < 0 || path_fd < 0 || ro < 0)
		return 1;
	if (restore_mm_request(path_fd, -1, CKPT_VMA_READ | CKPT_VMA_ANON, &rep) ||
	    rep.error != -EBADF)
		return 2;
	if (restore_mm_request(img, path_fd, CKPT_VMA_READ | CKPT_VMA_SHARED, &rep) ||
	    rep.error != -EBADF)
		return 3;
	/* Past the point of no return: this process does not come back. */
	restore_mm_request(img, ro, CKPT_VMA_READ | CKPT_VMA_SHARED, &rep);
	return 4;
}

TEST(restore_takes_descriptors_not_paths)
{
	static char victim[4096], evil[4096], now[4096];
	pid_t child;
	int fd, st;

	memset(victim, 'v', sizeof(victim));
	memset(evil, 'e', sizeof(evil));
	fd = open("/tmp/sec-victim", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_EQ(4096, write(fd, victim, sizeof(victim)));
	close(fd);
	fd = open("/tmp/sec-nobody-img", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_EQ(4096, write(fd, evil, sizeof(evil)));
	close(fd);
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(become(NOBODY) ? probe_restore_fds(NULL) : 99);
	ASSERT_EQ(child, waitpid(child, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		TH_LOG("status 0x%x (exit %d)", st, WEXITSTATUS(st));
	fd = open("/tmp/sec-victim", O_RDONLY);
	ASSERT_EQ(4096, read(fd, now, sizeof(now)));
	close(fd);
	EXPECT_EQ(0, memcmp(victim, now, sizeof(now))) TH_LOG("the module wrote a file nobody could not");
	unlink("/tmp/sec-victim");
	unlink("/tmp/sec-nobody-img");
}

TEST_HARNESS_MAIN
