// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * A checkpoint never harms the live process, and what it cannot take
 * faithfully is refused before the group is stopped: hugetlb memory, Linux
 * AIO, MADV_DONTFORK buffers, an area or a memory cgroup too small, an
 * address space shared with another process; and a /proc reader holding
 * the address space for a moment is no reason to refuse.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/aio_abi.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define REGION_PAGES	16
#define PG		4096UL

/* Shared between the test and its workload child. */
struct ctl {
	volatile int ready;		/* child: set up, running */
	volatile int phase;		/* test: 1 = go on to phase 2 */
	volatile int done;		/* child: phase 2 finished */
	volatile int ok;		/* child: its own checks passed */
	volatile uint64_t spins;	/* child: alive and running */
	volatile uint64_t addr;		/* child: its region */
	volatile int aux_pid;		/* child: a helper it started */
	char why[128];			/* child: what went wrong */
};

enum kind { HUGETLB_PRIVATE, HUGETLB_SHARED, AIO, DONTFORK, ANON, VFORK,
	     LEASE, LOCK_EVENTFD };

static struct ctl *ctl_new(void)
{
	struct ctl *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return c == MAP_FAILED ? NULL : c;
}

/* The physical frame of a page of ours (root sees frames in pagemap). */
static uint64_t pfn_of(const void *p)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent), (uintptr_t)p / PG * 8) != sizeof(ent))
		ent = 0;
	close(fd);
	return ent & ((1ULL << 55) - 1);
}

static void fill(char *p, size_t pages, char gen)
{
	size_t i;

	for (i = 0; i < pages; i++)
		memset(p + i * PG, gen + (char)i, PG);
}

static int check_fill(const char *p, size_t pages, char gen)
{
	size_t i, j;

	for (i = 0; i < pages; i++)
		for (j = 0; j < PG; j++)
			if (p[i * PG + j] != (char)(gen + (char)i))
				return -1;
	return 0;
}

/*
 * The DONTFORK workload: fill, wait for the test's go, rewrite, and check
 * that no page moved (a device would keep writing the old frame).
 */
static int dontfork_child(struct ctl *c)
{
	uint64_t before[REGION_PAGES];
	char *p;
	int i;

	p = mmap(NULL, REGION_PAGES * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED || madvise(p, REGION_PAGES * PG, MADV_DONTFORK))
		return 1;
	fill(p, REGION_PAGES, 'a');
	for (i = 0; i < REGION_PAGES; i++)
		before[i] = pfn_of(p + i * PG);
	c->addr = (uintptr_t)p;
	c->ok = 1;
	c->ready = 1;
	while (!c->phase)
		c->spins++;
	fill(p, REGION_PAGES, 'A');
	for (i = 0; i < REGION_PAGES; i++) {
		if (!before[i] || pfn_of(p + i * PG) != before[i]) {
			snprintf(c->why, sizeof(c->why),
				 "page %d moved from frame %#llx to %#llx on its write",
				 i, (unsigned long long)before[i],
				 (unsigned long long)pfn_of(p + i * PG));
			c->ok = 0;
		}
	}
	if (check_fill(p, REGION_PAGES, 'A')) {
		snprintf(c->why, sizeof(c->why), "the rewrite did not stick");
		c->ok = 0;
	}
	c->done = 1;
	for (;;)
		pause();
}

static int workload(struct ctl *c, enum kind k)
{
	aio_context_t aio = 0;
	size_t len = 4 << 20;
	char *p = NULL;
	pid_t child;

	close_range(3, ~0U, 0);
	setsid();
	switch (k) {
	case HUGETLB_PRIVATE:
	case HUGETLB_SHARED:
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_ANONYMOUS |
			 MAP_HUGETLB | (k == HUGETLB_SHARED ? MAP_SHARED :
					MAP_PRIVATE), -1, 0);
		if (p == MAP_FAILED)
			return 2;
		memset(p, 7, len);
		break;
	case AIO:
		if (syscall(SYS_io_setup, 8, &aio))
			return 2;
		break;
	case DONTFORK:
		return dontfork_child(c);
	case ANON:
		len = 48 << 20;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 2;
		memset(p, 1, len);
		break;
	case LEASE: {
		/* A read lease wants no writer: create, close, reopen. */
		int fd = open("/tmp/safety-lock", O_RDWR | O_CREAT, 0600);

		if (fd < 0 || close(fd))
			return 2;
		fd = open("/tmp/safety-lock", O_RDONLY);
		if (fd < 0 || fcntl(fd, F_SETLEASE, F_RDLCK))
			return 3;
		break;
	}
	case LOCK_EVENTFD: {
		/* Every eventfd shares one anonymous inode, and its locks. */
		int fd = eventfd(0, 0);

		if (fd < 0 || flock(fd, LOCK_EX))
			return 3;
		break;
	}
	case VFORK:
		child = vfork();
		if (child == 0) {
			/* Shares our mm until it exits: wait for a signal. */
			syscall(SYS_pause);
			_exit(0);
		}
		return 0;
	}
	c->addr = (uintptr_t)p;
	c->ready = 1;
	while (!c->phase)
		c->spins++;
	if (k == AIO && syscall(SYS_io_destroy, aio))
		return 3;
	c->done = 1;
	for (;;)
		c->spins++;
}

static pid_t start(struct ctl *c, enum kind k)
{
	pid_t pid = fork();
	int i;

	if (pid == 0)
		_exit(workload(c, k));
	for (i = 0; i < 400 && !c->ready && pid > 0; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(25000);
	}
	return c->ready ? pid : -1;
}

static void stop(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int open_area(const char *path, uint64_t size)
{
	char err[256];

	unlink(path);
	if (libckpt_area_create(path, size, err, sizeof(err)))
		return -1;
	return open(path, O_RDWR | O_CLOEXEC);
}

/* The workload still runs: its spin counter moves. */
static bool running(struct ctl *c)
{
	uint64_t s = c->spins;

	usleep(200000);
	return c->spins != s;
}

static int count_job(const struct libckpt_job *j, void *arg)
{
	if (j->pgid == ((uint32_t *)arg)[0])
		((uint32_t *)arg)[1]++;
	return 0;
}

/* Jobs the module has on record for @pgid (a freeze that ran leaves one). */
static unsigned int jobs_of(struct libckpt *h, pid_t pgid)
{
	uint32_t arg[2] = { (uint32_t)pgid, 0 };

	if (libckpt_status(h, count_job, arg))
		return ~0U;
	return arg[1];
}

static bool reserve_hugepages(void)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");
	char line[128];
	long free_ = 0;

	if (f) {
		fputs("8\n", f);
		fclose(f);
	}
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		sscanf(line, "HugePages_Free: %ld", &free_);
	fclose(f);
	return free_ >= 4;
}

/*
 * A refusal before the freeze: the reason names the pid (and @what), the
 * dry run says the same, the workload never stopped and no job was made.
 */
static void expect_refused(struct __test_metadata *_metadata, struct ctl *c,
			   pid_t pid, int fd, int err, const char *what)
{
	struct libckpt_census census;
	struct libckpt_job job;
	struct libckpt *h;
	char want[32];

	ASSERT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(err, libckpt_freeze(h, pid, fd, 0, &job));
	snprintf(want, sizeof(want), "pid %d: ", pid);
	EXPECT_EQ(0, strncmp(libckpt_error(h), want, strlen(want)))
		TH_LOG("%s", libckpt_error(h));
	EXPECT_NE(NULL, strstr(libckpt_error(h), what))
		TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(err, libckpt_check(h, pid, &census));
	EXPECT_NE(NULL, strstr(libckpt_error(h), what))
		TH_LOG("dry run: %s", libckpt_error(h));
	EXPECT_EQ(0, jobs_of(h, pid));
	EXPECT_TRUE(running(c));
	libckpt_close(h);
}

/* Freeze into @fd and wait for the commit; 0 or the error. */
static int freeze_wait(struct __test_metadata *_metadata, pid_t pid, int fd)
{
	struct libckpt_job job;
	struct libckpt *h;
	int ret;

	if (libckpt_open(&h))
		return -1;
	ret = libckpt_freeze(h, pid, fd, 0, &job);
	if (!ret)
		ret = libckpt_wait(h, job.id, &job);
	if (!ret)
		ret = job.error;
	if (ret)
		TH_LOG("freeze: %s", libckpt_error(h));
	libckpt_close(h);
	return ret;
}

/*
 * Private and shared hugetlb memory is refused by name before the freeze:
 * 6.1's hugetlb_wp() would let the process write into the snapshot's page.
 */
TEST(hugetlb_refused)
{
	enum kind kinds[] = { HUGETLB_PRIVATE, HUGETLB_SHARED };
	unsigned int i;
	int fd;

	if (!reserve_hugepages())
		SKIP(return, "no huge pages could be reserved");
	fd = open_area("/tmp/area-huge", 64 << 20);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		struct ctl *c = ctl_new();
		pid_t pid;

		ASSERT_NE(NULL, c);
		pid = start(c, kinds[i]);
		ASSERT_LT(0, pid);
		expect_refused(_metadata, c, pid, fd, -EINVAL, "hugetlb");
		stop(pid);
		munmap(c, sizeof(*c));
	}
	close(fd);
	unlink("/tmp/area-huge");
}

/*
 * A process with a Linux AIO context is refused by name (reads in flight
 * would land in the snapshot); once it destroys the context, it is not.
 */
TEST(aio_refused_until_destroyed)
{
	struct ctl *c = ctl_new();
	pid_t pid;
	int fd, i;

	ASSERT_NE(NULL, c);
	fd = open_area("/tmp/area-aio", 64 << 20);
	ASSERT_LE(0, fd);
	pid = start(c, AIO);
	ASSERT_LT(0, pid);
	expect_refused(_metadata, c, pid, fd, -EINVAL, "Linux AIO");
	c->phase = 1;
	for (i = 0; i < 200 && !c->done; i++)
		usleep(25000);
	ASSERT_TRUE(c->done);
	EXPECT_EQ(0, freeze_wait(_metadata, pid, fd));
	EXPECT_TRUE(running(c));
	stop(pid);
	close(fd);
	unlink("/tmp/area-aio");
}

struct region_check {
	uint64_t addr;
	unsigned int seen;
	int bad;
};

static int check_region(const struct libckpt_page_run *run, void *arg)
{
	struct region_check *r = arg;
	uint32_t i;

	for (i = 0; i < run->nr_pages; i++) {
		uint64_t a = run->addr + i * PG;
		size_t n = (a - r->addr) / PG;

		if (a < r->addr || n >= REGION_PAGES)
			continue;
		r->seen++;
		if (check_fill((const char *)run->data + i * PG, 1,
			       (char)('a' + n)))
			r->bad++;
	}
	return 0;
}

/*
 * A descriptor through which the group holds a lease, or a file lock a
 * restore could not take again on the same file (here on an eventfd,
 * whose inode every eventfd shares), is refused by name before the
 * freeze: a process that believes it holds its lock must not come back
 * without it. (flock, POSIX and OFD locks on files are carried:
 * files_test locks_restored.)
 */
TEST(leases_and_uncarried_locks_refused)
{
	const struct { enum kind k; const char *what; } cases[] = {
		{ LEASE, "fd 3: holds a lease (F_SETLEASE)" },
		{ LOCK_EVENTFD, "fd 3: holds a file lock on a terminal or descriptor object" },
	};
	unsigned int i;
	int fd;

	fd = open_area("/tmp/area-locks", 64 << 20);
	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl *c = ctl_new();
		pid_t pid;

		ASSERT_NE(NULL, c);
		pid = start(c, cases[i].k);
		ASSERT_LT(0, pid);
		expect_refused(_metadata, c, pid, fd, -EINVAL, cases[i].what);
		stop(pid);
		munmap(c, sizeof(*c));
	}
	close(fd);
	unlink("/tmp/area-locks");
	unlink("/tmp/safety-lock");
}

/*
 * MADV_DONTFORK memory (RDMA, VFIO, DPDK buffers) is copied at the freeze,
 * never write-protected: the process keeps writing the very frames a
 * device would, and the image holds the memory as it was at the freeze.
 */
TEST(dontfork_copied_not_moved)
{
	struct region_check r = { 0 };
	struct libckpt_image *img;
	struct ctl *c = ctl_new();
	char err[256];
	pid_t pid;
	int fd, i;

	ASSERT_NE(NULL, c);
	fd = open_area("/tmp/area-dontfork", 64 << 20);
	ASSERT_LE(0, fd);
	pid = start(c, DONTFORK);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, freeze_wait(_metadata, pid, fd));
	c->phase = 1;
	for (i = 0; i < 200 && !c->done; i++)
		usleep(25000);
	ASSERT_TRUE(c->done);
	EXPECT_TRUE(c->ok) TH_LOG("workload: %s", c->why);

	r.addr = c->addr;
	ASSERT_EQ(0, libckpt_image_open("/tmp/area-dontfork", &img, err,
					sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, libckpt_image_pages(img, check_region, &r, err,
					 sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(REGION_PAGES, r.seen);
	EXPECT_EQ(0, r.bad);
	libckpt_image_close(img);
	stop(pid);
	close(fd);
	unlink("/tmp/area-dontfork");
}

/*
 * An area too small for the group's memory is found before the freeze:
 * the reason gives the sizes and the module has no job for the group.
 */
TEST(full_area_refused_before_freeze)
{
	struct ctl *c = ctl_new();
	struct libckpt_job job;
	struct libckpt *h;
	unsigned int mib = 0;
	pid_t pid;
	int fd;

	ASSERT_NE(NULL, c);
	fd = open_area("/tmp/area-small", 16 << 20);
	ASSERT_LE(0, fd);
	pid = start(c, ANON);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(-ENOSPC, libckpt_freeze(h, pid, fd, 0, &job));
	/* 48 MiB written; the RSS counters may lag a few pages. */
	EXPECT_EQ(1, sscanf(libckpt_error(h),
			    "the image needs at least %u MiB and the area holds 15 MiB",
			    &mib)) TH_LOG("%s", libckpt_error(h));
	EXPECT_TRUE(mib >= 46 && mib <= 49) TH_LOG("%u MiB", mib);
	EXPECT_EQ(0, jobs_of(h, pid));
	EXPECT_TRUE(running(c));
	libckpt_close(h);
	stop(pid);
	close(fd);
	unlink("/tmp/area-small");
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/*
 * A memory cgroup whose limit cannot take a copy of the group's memory
 * refuses the checkpoint with the numbers, before the freeze (the copies
 * the group's writes make while the image streams would be OOM-killed
 * there); with the limit lifted the same group checkpoints.
 */
TEST(memcg_limit_refused)
{
	const char *cg = "/sys/fs/cgroup/ckpt-safety";
	struct ctl *c = ctl_new();
	struct libckpt_job job;
	struct libckpt *h;
	unsigned int mib = 0;
	char path[128];
	pid_t pid;
	int fd;

	ASSERT_NE(NULL, c);
	mkdir("/sys/fs/cgroup", 0755);
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK))
		mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	if (write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory"))
		SKIP(return, "no cgroup2 memory controller");
	rmdir(cg);
	ASSERT_EQ(0, mkdir(cg, 0755));
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	ASSERT_EQ(0, write_file(path, "80M"));

	fd = open_area("/tmp/area-memcg", 192 << 20);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char p2[128], me[16];

		snprintf(p2, sizeof(p2), "%s/cgroup.procs", cg);
		snprintf(me, sizeof(me), "%d", getpid());
		if (write_file(p2, me))
			_exit(9);
		_exit(workload(c, ANON));
	}
	for (int i = 0; i < 400 && !c->ready; i++)
		usleep(25000);
	ASSERT_TRUE(c->ready);

	ASSERT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(-ENOMEM, libckpt_freeze(h, pid, fd, 0, &job));
	EXPECT_NE(NULL, strstr(libckpt_error(h), "memory cgroup"))
		TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(1, sscanf(libckpt_error(h), "pid %*d: the checkpoint may need %u MiB",
			    &mib)) TH_LOG("%s", libckpt_error(h));
	EXPECT_TRUE(mib >= 46 && mib <= 49) TH_LOG("%u MiB", mib);
	EXPECT_EQ(0, jobs_of(h, pid));
	EXPECT_TRUE(running(c));
	libckpt_close(h);

	ASSERT_EQ(0, write_file(path, "max"));
	EXPECT_EQ(0, freeze_wait(_metadata, pid, fd));
	EXPECT_TRUE(running(c));
	stop(pid);
	rmdir(cg);
	close(fd);
	unlink("/tmp/area-memcg");
}

static long meminfo_kb(const char *key)
{
	char line[128], name[64];
	long kb = -1, v;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %ld", name, &v) == 2 && !strcmp(name, key))
			kb = v;
	fclose(f);
	return kb;
}

static int set_hugepages(long n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", n);
	return write_file("/proc/sys/vm/nr_hugepages", buf);
}

/*
 * A system whose available memory could not take a copy of the group's
 * memory refuses the checkpoint with the numbers, before the freeze; with
 * the memory back the same group checkpoints. Reserved huge pages take
 * the memory away without touching it.
 */
TEST(low_memory_refused)
{
	struct ctl *c = ctl_new();
	struct libckpt_job job;
	struct libckpt *h;
	unsigned int need = 0, avail = 0;
	long huge_kb, want;
	pid_t pid;
	int fd;

	ASSERT_NE(NULL, c);
	fd = open_area("/tmp/area-lowmem", 192 << 20);
	ASSERT_LE(0, fd);
	pid = start(c, ANON);
	ASSERT_LT(0, pid);
	huge_kb = meminfo_kb("Hugepagesize");
	ASSERT_LT(0, huge_kb);
	/* Leave about 24 MiB available: less than the group's 48 MiB. */
	want = (meminfo_kb("MemAvailable") - (24 << 10)) / huge_kb;
	if (want <= 0 || set_hugepages(want) ||
	    meminfo_kb("MemAvailable") > (40 << 10)) {
		set_hugepages(0);
		stop(pid);
		SKIP(return, "could not reserve enough huge pages to squeeze memory");
	}
	ASSERT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(-ENOMEM, libckpt_freeze(h, pid, fd, 0, &job));
	EXPECT_EQ(2, sscanf(libckpt_error(h),
			    "the checkpoint may need %u MiB of memory while the image streams (%*u MiB of anonymous memory if rewritten, %*u MiB of shared memory copied), and %u MiB are available",
			    &need, &avail)) TH_LOG("%s", libckpt_error(h));
	EXPECT_TRUE(need >= 46 && need <= 50) TH_LOG("%u MiB", need);
	EXPECT_LT(avail, need);
	EXPECT_EQ(0, jobs_of(h, pid));
	EXPECT_TRUE(running(c));
	libckpt_close(h);
	ASSERT_EQ(0, set_hugepages(0));
	EXPECT_EQ(0, freeze_wait(_metadata, pid, fd));
	stop(pid);
	close(fd);
	unlink("/tmp/area-lowmem");
}

/*
 * A vfork child shares its parent's address space: the group is refused
 * before the freeze, naming the child.
 */
TEST(vfork_sharer_named)
{
	struct ctl *c = ctl_new();
	char want[96], want2[96];
	struct libckpt_census census;
	struct libckpt_job job;
	struct libckpt *h;
	pid_t pid, kid = 0;
	int fd, i;
	char path[64], line[256];
	FILE *f;

	ASSERT_NE(NULL, c);
	fd = open_area("/tmp/area-vfork", 64 << 20);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(workload(c, VFORK));
	/* The parent sits in vfork(); find the child through /proc. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	for (i = 0; i < 400 && !kid; i++) {
		f = fopen(path, "r");
		if (f) {
			if (fgets(line, sizeof(line), f))
				kid = atoi(line);
			fclose(f);
		}
		if (!kid)
			usleep(25000);
	}
	ASSERT_LT(0, kid);
	ASSERT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(-EBUSY, libckpt_freeze(h, pid, fd, 0, &job));
	/* Either process may be judged first: it names the other. */
	snprintf(want, sizeof(want), "pid %d: address space is shared with pid %d",
		 pid, kid);
	snprintf(want2, sizeof(want2), "pid %d: address space is shared with pid %d",
		 kid, pid);
	EXPECT_TRUE(strstr(libckpt_error(h), want) ||
		    strstr(libckpt_error(h), want2))
		TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(-EBUSY, libckpt_check(h, pid, &census));
	EXPECT_EQ(0, jobs_of(h, pid));
	libckpt_close(h);
	kill(kid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(fd);
	unlink("/tmp/area-vfork");
}

/*
 * A process reading the workload's memory through /proc/PID/mem holds its
 * address space (mm_users) for every read: that is no reason to refuse,
 * and every one of a series of freezes commits.
 */
TEST(proc_reader_no_refusal)
{
	struct ctl *c = ctl_new();
	pid_t pid, reader;
	int fd, i, ok = 0;

	ASSERT_NE(NULL, c);
	fd = open_area("/tmp/area-reader", 256 << 20);
	ASSERT_LE(0, fd);
	pid = start(c, ANON);
	ASSERT_LT(0, pid);
	reader = fork();
	ASSERT_LE(0, reader);
	if (reader == 0) {
		char path[64];
		char *buf = malloc(8 << 20);
		int mfd;

		snprintf(path, sizeof(path), "/proc/%d/mem", pid);
		mfd = open(path, O_RDONLY);
		if (mfd < 0 || !buf)
			_exit(1);
		for (;;)
			if (pread(mfd, buf, 8 << 20, (off_t)c->addr) < 0)
				_exit(2);
	}
	usleep(100000);
	for (i = 0; i < 6; i++)
		ok += !freeze_wait(_metadata, pid, fd);
	EXPECT_EQ(6, ok);
	EXPECT_EQ(0, waitpid(reader, NULL, WNOHANG)) TH_LOG("the reader died");
	kill(reader, SIGKILL);
	waitpid(reader, NULL, 0);
	EXPECT_TRUE(running(c));
	stop(pid);
	close(fd);
	unlink("/tmp/area-reader");
}

TEST_HARNESS_MAIN
