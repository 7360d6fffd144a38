// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The freeze: a running, self-checking workload is frozen into an area;
 * the committed image must be one instant of it, the workload must never
 * notice, and nothing may stay held, parked or busy afterwards.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "memwriter.h"
#include "test_util.h"

#define AREA_SIZE	(192ULL << 20)

struct workload {
	pid_t pid;
	struct mw_control *ctl;
	bool keep_fds;		/* inherit the test's descriptors */
	unsigned int idle_mib;	/* a second process: this much, untouched */
};

/* A process of the workload's group that writes its memory once, then sleeps. */
static void start_idle(unsigned int mib)
{
	size_t len = (size_t)mib << 20;
	char *p;

	if (fork())
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		memset(p, 0x5a, len);
	for (;;)
		pause();
}

static int start_workload(struct workload *w, unsigned int anon_mib,
			  const char *file)
{
	int i;

	w->ctl = mmap(NULL, sizeof(*w->ctl), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w->ctl == MAP_FAILED)
		return -errno;
	w->pid = fork();
	if (w->pid < 0)
		return -errno;
	if (w->pid == 0) {
		/* Like a daemon: none of the test's descriptors (netlink). */
		if (!w->keep_fds)
			close_range(3, ~0U, 0);
		setsid();
		if (w->idle_mib)
			start_idle(w->idle_mib);
		_exit(mw_run(w->ctl, anon_mib, 16, 4, 4, file));
	}
	for (i = 0; i < 1200 && !w->ctl->ready; i++)
		usleep(50000);
	return w->ctl->ready ? 0 : -ETIMEDOUT;
}

/* Stop the workload; its exit status (0: its own checks passed). */
static int stop_workload(struct workload *w)
{
	int status;

	w->ctl->stop = 1;
	if (waitpid(w->pid, &status, 0) != w->pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void kill_workload(struct workload *w)
{
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
}

static int open_area(const char *path)
{
	char err[256];

	unlink(path);
	if (libckpt_area_create(path, AREA_SIZE, err, sizeof(err)))
		return -1;
	return open(path, O_RDWR | O_CLOEXEC);
}

/* What the image says about each memwriter thread's pages. */
struct verify {
	struct mw_control *ctl;
	pid_t pid;		/* the memwriter's: other processes share addresses */
	uint64_t *gens[MW_THREADS];
	uint64_t total[MW_THREADS];
	uint64_t bad_pattern;
	uint64_t first_bad;
};

static int locate(struct verify *v, uint64_t addr, unsigned int *t,
		  uint64_t *idx)
{
	unsigned int s, u;
	uint64_t base;

	for (u = 0; u < MW_THREADS; u++) {
		base = 0;
		for (s = 0; s < MW_SEGS; s++) {
			struct mw_seg *seg = &v->ctl->seq[u][s];

			if (addr >= seg->start &&
			    addr < seg->start + seg->pages * MW_PAGE) {
				*t = u;
				*idx = base + (addr - seg->start) / MW_PAGE;
				return 0;
			}
			base += seg->pages;
		}
	}
	return -1;
}

static int check_run(const struct libckpt_page_run *run, void *arg)
{
	struct verify *v = arg;
	unsigned int t, i, w;
	uint64_t idx;

	for (i = 0; i < run->nr_pages; i++) {
		uint64_t addr = run->addr + (uint64_t)i * MW_PAGE;
		const uint64_t *words = (const uint64_t *)
			((const char *)run->data + (size_t)i * MW_PAGE);

		if (run->task->rec.pid != (uint32_t)v->pid ||
		    locate(v, addr, &t, &idx))
			continue;	/* not a memwriter page */
		for (w = 1; w < MW_WORDS; w++) {
			if (words[w] != mw_pattern(addr, w)) {
				if (!v->bad_pattern++)
					v->first_bad = addr;
				break;
			}
		}
		v->gens[t][idx] = words[0];
	}
	return 0;
}

/*
 * One instant: per thread, generation G on a prefix and G-1 after it, every
 * page present, and G between what the workload had finished before the
 * freeze and one more than what it had finished right after.
 */
static int check_instant(struct __test_metadata *_metadata, struct verify *v,
			 const uint64_t *before, const uint64_t *after)
{
	unsigned int t;
	uint64_t i, g;
	int bad = 0;

	for (t = 0; t < MW_THREADS; t++) {
		uint64_t *gens = v->gens[t], drops = 0;

		g = gens[0];
		for (i = 0; i < v->total[t]; i++) {
			if (!gens[i]) {
				TH_LOG("thread %u page %llu missing from the image",
				       t, (unsigned long long)i);
				bad++;
				break;
			}
			if (i && gens[i] != gens[i - 1]) {
				if (gens[i] + 1 != gens[i - 1] || drops++) {
					TH_LOG("thread %u page %llu: generation %llu after %llu: not one instant",
					       t, (unsigned long long)i,
					       (unsigned long long)gens[i],
					       (unsigned long long)gens[i - 1]);
					bad++;
					break;
				}
			}
		}
		if (g < before[t] || g > after[t] + 1) {
			TH_LOG("thread %u: image generation %llu outside [%llu, %llu]",
			       t, (unsigned long long)g,
			       (unsigned long long)before[t],
			       (unsigned long long)after[t] + 1);
			bad++;
		}
	}
	if (v->bad_pattern) {
		TH_LOG("%llu pages with a wrong pattern, first at 0x%llx",
		       (unsigned long long)v->bad_pattern,
		       (unsigned long long)v->first_bad);
		bad++;
	}
	return bad;
}

/* Verify generation @gen of @area against the workload's control block. */
static int verify_image(struct __test_metadata *_metadata, const char *area,
			uint64_t gen, const struct workload *w,
			const uint64_t *before, const uint64_t *after)
{
	struct verify v = { .ctl = w->ctl, .pid = w->pid };
	struct mw_control *ctl = w->ctl;
	struct libckpt_image *img;
	char spec[256], err[512];
	unsigned int t, s;
	int ret, bad;

	snprintf(spec, sizeof(spec), "%s:%llu", area, (unsigned long long)gen);
	ret = libckpt_image_open(spec, &img, err, sizeof(err));
	if (ret) {
		TH_LOG("cannot open %s: %s", spec, err);
		return 1;
	}
	for (t = 0; t < MW_THREADS; t++) {
		for (s = 0; s < MW_SEGS; s++)
			v.total[t] += ctl->seq[t][s].pages;
		v.gens[t] = calloc(v.total[t], sizeof(uint64_t));
	}
	ret = libckpt_image_pages(img, check_run, &v, err, sizeof(err));
	if (ret) {
		TH_LOG("reading pages of %s: %s", spec, err);
		bad = 1;
	} else {
		bad = check_instant(_metadata, &v, before, after);
	}
	for (t = 0; t < MW_THREADS; t++)
		free(v.gens[t]);
	libckpt_image_close(img);
	return bad;
}

static void snapshot_done(struct mw_control *ctl, uint64_t *out)
{
	unsigned int t;

	for (t = 0; t < MW_THREADS; t++)
		out[t] = ctl->done[t];
}

static uint64_t held_pages(void)
{
	struct libckpt_info info;
	struct libckpt *h;

	if (libckpt_open(&h))
		return ~0ULL;
	if (libckpt_get_info(h, &info))
		info.held_pages = ~0ULL;
	libckpt_close(h);
	return info.held_pages;
}

/*
 * Wait for @job's image to commit, stop the workload (its own checks must
 * pass) and check the image is one instant between @before and @after.
 */
static void commit_stop_verify(struct __test_metadata *_metadata,
			       struct libckpt *h, const struct libckpt_job *job,
			       struct workload *w, const char *area,
			       const uint64_t *before, const uint64_t *after)
{
	struct libckpt_job done;

	ASSERT_EQ(0, libckpt_wait(h, job->id, &done));
	EXPECT_EQ(CKPT_JOB_COMMITTED, done.state) TH_LOG("%s", done.error_msg);
	EXPECT_EQ(done.image_len, done.written);
	usleep(300000);
	EXPECT_EQ(0, stop_workload(w)) TH_LOG("workload's own checks failed");
	EXPECT_EQ(0, verify_image(_metadata, area, job->generation, w,
				  before, after));
	EXPECT_EQ(0, held_pages());
}

/* An area that is not one, or not writable, is refused before any freeze. */
TEST(bad_area_refused)
{
	struct workload w = { 0 };
	struct libckpt_job job;
	struct libckpt *h;
	uint64_t done;
	int fd;

	ASSERT_EQ(0, start_workload(&w, 8, "/tmp/mw-bad"));
	ASSERT_EQ(0, libckpt_open(&h));
	fd = open("/tmp/not-an-area", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 1 << 20));
	EXPECT_EQ(-EINVAL, libckpt_freeze(h, w.pid, fd, 0, &job));
	EXPECT_NE(NULL, strstr(libckpt_error(h), "no ckpt superblock"))
		TH_LOG("%s", libckpt_error(h));
	close(fd);
	fd = open_area("/tmp/area-ro");
	ASSERT_LE(0, fd);
	close(fd);
	fd = open("/tmp/area-ro", O_RDONLY);
	EXPECT_EQ(-EBADF, libckpt_freeze(h, w.pid, fd, 0, &job));
	close(fd);
	EXPECT_EQ(-EBADF, libckpt_freeze(h, w.pid, 1000, 0, &job));
	/* Untouched: the workload is still running. */
	done = w.ctl->done[0];
	usleep(300000);
	EXPECT_LT(done, w.ctl->done[0]);
	EXPECT_EQ(0, stop_workload(&w));
	libckpt_close(h);
	unlink("/tmp/area-ro");
}

/*
 * A socket of a kind no image carries (netlink) is refused before any
 * freeze, naming the pid, the fd and the kind: the workload keeps running
 * and no generation is started.
 */
TEST(socket_refused_untouched)
{
	struct workload w = { .keep_fds = true };
	struct ckpt_area_sb sb;
	struct libckpt_job job;
	struct libckpt *h;
	char want[80], err[256];
	int fd, nl;
	uint64_t done;

	/* The workload inherits the netlink socket. */
	nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	ASSERT_LE(0, nl);
	ASSERT_EQ(0, start_workload(&w, 8, "/tmp/mw-sock"));
	close(nl);
	fd = open_area("/tmp/area-sock");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));
	done = w.ctl->done[0];
	EXPECT_EQ(-EINVAL, libckpt_freeze(h, w.pid, fd, 0, &job));
	snprintf(want, sizeof(want), "pid %d: fd %d: netlink socket: not supported",
		 w.pid, nl);
	EXPECT_EQ(0, strncmp(libckpt_error(h), want, strlen(want)))
		TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_area_read(fd, &sb, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(1, sb.next_generation);
	usleep(300000);
	EXPECT_LT(done, w.ctl->done[0]);
	EXPECT_EQ(0, stop_workload(&w));
	EXPECT_EQ(0, held_pages());
	libckpt_close(h);
	close(fd);
	unlink("/tmp/area-sock");
}

/* What the process-state workload set up, as it saw it. */
struct state_report {
	volatile int ready;
	uint64_t handler;
	uint64_t altstack;
	int pipe_r, pipe_w, file_fd, null_fd;
	int64_t file_pos;
	pid_t tid;
};

static void on_usr1(int sig)
{
	(void)sig;
}

static void state_workload(struct state_report *r)
{
	static char altstack[65536];
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct rlimit rl = { .rlim_cur = 100, .rlim_max = 200 };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	int p[2], f, i;
	sigset_t set;

	setsid();
	umask(027);
	if (chdir("/tmp") || setrlimit(RLIMIT_NOFILE, &rl) ||
	    sigaction(SIGUSR1, &sa, NULL) || sigaltstack(&ss, NULL) ||
	    pipe(p))
		_exit(20);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR2);		/* stays pending: blocked */
	if (write(p[1], "hello pipe", 10) != 10)
		_exit(21);
	f = open("/tmp/state-file", O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0600);
	for (i = 0; i < 100; i++)
		if (write(f, "0123456789", 10) != 10)
			_exit(22);
	r->null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	r->handler = (uintptr_t)on_usr1;
	r->altstack = (uintptr_t)altstack;
	r->pipe_r = p[0];
	r->pipe_w = p[1];
	r->file_fd = f;
	r->file_pos = lseek(f, 0, SEEK_CUR);
	r->tid = getpid();
	r->ready = 1;
	for (;;)
		pause();
}

static const struct libckpt_image_fd *
find_fd(const struct libckpt_image_task *t, int fd)
{
	uint32_t i;

	for (i = 0; i < t->rec.nr_fds; i++)
		if (t->fds[i].rec.fd == fd)
			return &t->fds[i];
	return NULL;
}

/*
 * Credentials, umask, cwd, rlimits, a signal handler, the blocked and
 * pending sets, the alternate stack, a pipe with buffered data, a file at
 * its offset and /dev/null land in the image as the process set them.
 */
TEST(process_state_recorded)
{
	const struct libckpt_image_fd *f;
	const struct libckpt_image_task *t;
	const struct ckpt_rec_thread *th;
	struct libckpt_image *img;
	struct state_report *r;
	struct libckpt_job job, done;
	struct libckpt *h;
	char spec[64], err[512];
	pid_t pid;
	int fd, i;

	r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close_range(3, ~0U, 0);
		state_workload(r);
	}
	for (i = 0; i < 200 && !r->ready; i++)
		usleep(20000);
	ASSERT_EQ(1, r->ready);
	fd = open_area("/tmp/area-state");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));
	ASSERT_EQ(0, libckpt_freeze(h, pid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	snprintf(spec, sizeof(spec), "/tmp/area-state:%llu",
		 (unsigned long long)job.generation);
	ASSERT_EQ(0, libckpt_image_open(spec, &img, err, sizeof(err))) TH_LOG("%s", err);
	t = libckpt_image_find_task(img, pid);
	ASSERT_NE(NULL, t);
	EXPECT_EQ(0, t->proc->rec.uid);
	EXPECT_EQ(027, t->proc->rec.umask);
	EXPECT_STREQ("/tmp", t->proc->cwd);
	EXPECT_STREQ("/", t->proc->root);
	EXPECT_STREQ("/opt/ckpt/selftests/freeze_test", t->proc->exe);
	EXPECT_EQ(100, t->proc->rec.rlim[RLIMIT_NOFILE].cur);
	EXPECT_EQ(200, t->proc->rec.rlim[RLIMIT_NOFILE].max);
	EXPECT_EQ(r->handler, t->proc->rec.sigaction[SIGUSR1 - 1].handler);
	EXPECT_TRUE(t->proc->rec.sigaction[SIGUSR1 - 1].flags & SA_RESTART);
	th = &t->threads[0].rec;
	EXPECT_EQ(r->tid, th->tid);
	EXPECT_EQ(1ULL << (SIGUSR2 - 1), th->sigmask & (1ULL << (SIGUSR2 - 1)));
	EXPECT_TRUE((th->pending | t->proc->rec.shared_pending) &
		    (1ULL << (SIGUSR2 - 1)));
	EXPECT_EQ(r->altstack, th->sas_ss_sp);
	EXPECT_EQ(65536, th->sas_ss_size);

	f = find_fd(t, r->pipe_r);
	ASSERT_NE(NULL, f);
	EXPECT_EQ(CKPT_FD_PIPE, f->rec.type);
	EXPECT_EQ(10, f->rec.data_len);
	EXPECT_EQ(0, memcmp("hello pipe", f->data, 10));
	ASSERT_NE(NULL, find_fd(t, r->pipe_w));
	EXPECT_EQ(f->rec.ino, find_fd(t, r->pipe_w)->rec.ino);
	EXPECT_EQ(0, find_fd(t, r->pipe_w)->rec.data_len);
	f = find_fd(t, r->file_fd);
	ASSERT_NE(NULL, f);
	EXPECT_EQ(CKPT_FD_REG, f->rec.type);
	EXPECT_STREQ("/tmp/state-file", f->path);
	EXPECT_EQ(r->file_pos, f->rec.pos);
	EXPECT_EQ(1000, f->rec.size);
	EXPECT_TRUE(f->rec.f_flags & O_APPEND);
	f = find_fd(t, r->null_fd);
	ASSERT_NE(NULL, f);
	EXPECT_EQ(CKPT_FD_CHR, f->rec.type);
	EXPECT_TRUE(f->rec.flags & CKPT_FD_CLOEXEC);
	EXPECT_STREQ("/dev/null", f->path);
	libckpt_image_close(img);
	libckpt_close(h);
	close(fd);
	unlink("/tmp/area-state");
	unlink("/tmp/state-file");
}

/*
 * The committed image is one instant of a workload that kept writing 88 MiB
 * (anonymous, THP, private file, shmem) from 4 threads, and the workload's
 * own checks stay green through the freeze and the copy-on-write faults.
 */
TEST(consistent_snapshot)
{
	uint64_t before[MW_THREADS], after[MW_THREADS];
	struct libckpt_job job;
	struct workload w = { 0 };
	struct libckpt *h;
	int64_t outstanding;
	int fd;

	outstanding = pages_outstanding();
	ASSERT_EQ(0, start_workload(&w, 64, "/tmp/mw-file"));
	fd = open_area("/tmp/area-c");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));
	usleep(200000);
	snapshot_done(w.ctl, before);
	ASSERT_EQ(0, libckpt_freeze(h, w.pid, fd, 0, &job))
		TH_LOG("%s", libckpt_error(h));
	snapshot_done(w.ctl, after);
	EXPECT_EQ(1, job.nr_tasks);
	EXPECT_EQ(1 + MW_THREADS, job.nr_threads);
	EXPECT_LE((64 + 16 + 4 + 4) << 8, job.nr_pages);
	TH_LOG("froze %u threads, %llu pages in %.1f us (park %.1f, capture %.1f, flush %.1f)",
	       job.nr_threads, (unsigned long long)job.nr_pages,
	       job.freeze_ns / 1e3, job.park_ns / 1e3, job.capture_ns / 1e3,
	       job.flush_ns / 1e3);
	/* Its pages were write-protected in the stop, so the TLBs were flushed. */
	EXPECT_LT(0, job.flush_ns);
	EXPECT_LE(job.park_ns + job.capture_ns + job.flush_ns, job.freeze_ns);
	commit_stop_verify(_metadata, h, &job, &w, "/tmp/area-c", before, after);
	libckpt_close(h);
	close(fd);
	unlink("/tmp/area-c");
	unlink("/tmp/mw-file");
	/*
	 * Workload, snapshot (22k pages) and area all gone: the memory came
	 * back. 4 MiB of slack covers caches the run warmed up.
	 */
	outstanding = pages_outstanding() - outstanding;
	EXPECT_GT(1024, outstanding) TH_LOG("%lld pages not returned",
					    (long long)outstanding);
}

/*
 * The two-phase freeze (kmod/prepass.c): the pages are held while the
 * workload runs, then the workload writes for 300 ms more before it is
 * parked. The stop must take every range written since again: the image
 * is still one instant, of the stop, and the workload's own checks pass.
 * A second, idle process in the group keeps its ranges from the pre-pass.
 */
TEST(consistent_snapshot_prepass)
{
	uint64_t before[MW_THREADS], after[MW_THREADS];
	long kept, rewalked, window_hits;
	struct libckpt_job job;
	struct workload w = { 0 };
	struct libckpt *h;
	int fd;

	w.idle_mib = 32;
	ASSERT_EQ(0, start_workload(&w, 64, "/tmp/mw-file"));
	fd = open_area("/tmp/area-p");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));
	kept = param_get("prepass_kept");
	rewalked = param_get("prepass_rewalked");
	window_hits = param_get("fault_window_hits");
	ASSERT_EQ(0, param_set("prepass", 1));
	ASSERT_EQ(0, param_set("fault_prepass_delay_ms", 300));
	usleep(300000);
	snapshot_done(w.ctl, before);
	EXPECT_EQ(0, libckpt_freeze(h, w.pid, fd, 0, &job))
		TH_LOG("%s", libckpt_error(h));
	snapshot_done(w.ctl, after);
	param_set("fault_prepass_delay_ms", 0);
	param_set("prepass", 0);
	EXPECT_EQ(2, job.nr_tasks);
	TH_LOG("froze %llu pages in %.1f us (park %.1f, capture %.1f)",
	       (unsigned long long)job.nr_pages, job.freeze_ns / 1e3,
	       job.park_ns / 1e3, job.capture_ns / 1e3);
	kept = param_get("prepass_kept") - kept;
	rewalked = param_get("prepass_rewalked") - rewalked;
	TH_LOG("PMD ranges kept from the pre-pass %ld, walked again %ld",
	       kept, rewalked);
	/* The idle process's 32 MiB alone is 16 ranges. */
	EXPECT_LE(16, kept);
	/* memwriter rewrote its pages in the window: their ranges changed. */
	EXPECT_LE(1, rewalked);
	EXPECT_EQ(window_hits, param_get("fault_window_hits"));
	commit_stop_verify(_metadata, h, &job, &w, "/tmp/area-p", before, after);
	libckpt_close(h);
	close(fd);
	unlink("/tmp/area-p");
	unlink("/tmp/mw-file");
}

/* Two freezes give two committed generations; both verify. */
TEST(two_generations)
{
	uint64_t b1[MW_THREADS], a1[MW_THREADS], b2[MW_THREADS], a2[MW_THREADS];
	struct libckpt_job j1, j2, done;
	struct ckpt_area_sb sb;
	struct workload w = { 0 };
	struct libckpt *h;
	char err[256];
	int fd;

	ASSERT_EQ(0, start_workload(&w, 16, "/tmp/mw-two"));
	fd = open_area("/tmp/area-two");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));
	snapshot_done(w.ctl, b1);
	ASSERT_EQ(0, libckpt_freeze(h, w.pid, fd, 0, &j1)) TH_LOG("%s", libckpt_error(h));
	snapshot_done(w.ctl, a1);
	ASSERT_EQ(0, libckpt_wait(h, j1.id, &done));
	usleep(200000);
	snapshot_done(w.ctl, b2);
	ASSERT_EQ(0, libckpt_freeze(h, w.pid, fd, 0, &j2)) TH_LOG("%s", libckpt_error(h));
	snapshot_done(w.ctl, a2);
	ASSERT_EQ(0, libckpt_wait(h, j2.id, &done));
	EXPECT_EQ(j1.generation + 1, j2.generation);
	ASSERT_EQ(0, libckpt_area_read(fd, &sb, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(j2.generation,
		  sb.slots[libckpt_area_find(&sb, 0)].generation);
	EXPECT_EQ(0, stop_workload(&w));
	EXPECT_EQ(0, verify_image(_metadata, "/tmp/area-two", j1.generation,
				  &w, b1, a1));
	EXPECT_EQ(0, verify_image(_metadata, "/tmp/area-two", j2.generation,
				  &w, b2, a2));
	libckpt_close(h);
	close(fd);
	unlink("/tmp/area-two");
}

/* lib/area.c's superblock checksum (libckpt's internals; linked statically). */
uint32_t libckpt_area_sb_crc(const void *blk);

/* Bytes 2048..4095 of superblock copy @copy replaced: a torn write. */
static int tear_copy(int fd, int copy)
{
	char junk[2048];

	memset(junk, 0x5a, sizeof(junk));
	return pwrite(fd, junk, sizeof(junk),
		      (off_t)copy * CKPT_AREA_SB_SIZE + 2048) == sizeof(junk) ? 0 : -EIO;
}

/* The newest committed generation of the area on @fd, 0 if none. */
static uint64_t newest_gen(int fd)
{
	char err[LIBCKPT_ERRLEN];
	struct ckpt_area_sb sb;
	int i;

	if (libckpt_area_read(fd, &sb, err, sizeof(err)))
		return 0;
	i = libckpt_area_find(&sb, 0);
	return i < 0 ? 0 : sb.slots[i].generation;
}

/* Both copies valid and equal (a completed update), sequence in *@seq. */
static bool copies_agree(int fd, uint64_t *seq)
{
	struct libckpt_area_copies c;
	char blk[2][CKPT_AREA_SB_SIZE];
	struct ckpt_area_sb sb;
	char err[LIBCKPT_ERRLEN];

	if (libckpt_area_inspect(fd, &sb, &c, err, sizeof(err)) ||
	    c.copy[0].error || c.copy[1].error ||
	    pread(fd, blk, sizeof(blk), 0) != sizeof(blk))
		return false;
	*seq = sb.sb_seq;
	return !memcmp(blk[0], blk[1], CKPT_AREA_SB_SIZE);
}

/*
 * The module takes whichever superblock copy is intact: with copy 0 torn,
 * then copy 1, the next checkpoint commits and rewrites both, and every
 * generation before stays whole; with both torn it refuses, naming both,
 * before any freeze. A version-1 area is refused with what to do.
 */
TEST(superblock_copy_damaged)
{
	uint64_t b1[MW_THREADS], a1[MW_THREADS], seq, seq0;
	struct libckpt_job job, done;
	struct workload w = { 0 };
	struct ckpt_area_sb *sb;
	char blk[CKPT_AREA_SB_SIZE];
	struct libckpt *h;
	int fd, copy;

	ASSERT_EQ(0, start_workload(&w, 8, "/tmp/mw-copies"));
	fd = open_area("/tmp/area-copies");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));
	snapshot_done(w.ctl, b1);
	ASSERT_EQ(0, libckpt_freeze(h, w.pid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	snapshot_done(w.ctl, a1);
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	ASSERT_EQ(CKPT_JOB_COMMITTED, done.state);
	ASSERT_TRUE(copies_agree(fd, &seq0));
	for (copy = 0; copy < 2; copy++) {
		ASSERT_EQ(0, tear_copy(fd, copy));
		EXPECT_EQ(job.generation, newest_gen(fd));
		ASSERT_EQ(0, libckpt_freeze(h, w.pid, fd, 0, &job))
			TH_LOG("copy %d torn: %s", copy, libckpt_error(h));
		ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
		EXPECT_EQ(CKPT_JOB_COMMITTED, done.state) TH_LOG("%s", done.error_msg);
		EXPECT_EQ(2 + copy, job.generation);
		EXPECT_TRUE(copies_agree(fd, &seq)) TH_LOG("copy %d not rewritten", copy);
		EXPECT_LT(seq0, seq);
		seq0 = seq;
	}
	EXPECT_EQ(3, newest_gen(fd));
	EXPECT_EQ(0, verify_image(_metadata, "/tmp/area-copies", 1, &w, b1, a1));

	ASSERT_EQ(0, tear_copy(fd, 0));
	ASSERT_EQ(0, tear_copy(fd, 1));
	EXPECT_EQ(-EBADMSG, libckpt_freeze(h, w.pid, fd, 0, &job));
	EXPECT_NE(NULL, strstr(libckpt_error(h),
			       "both area superblock copies are invalid: copy 0: checksum mismatch, copy 1: checksum mismatch"))
		TH_LOG("%s", libckpt_error(h));

	/* Version 1: one superblock, data from 4096. */
	sb = (struct ckpt_area_sb *)blk;
	memset(blk, 0, sizeof(blk));
	sb->magic = CKPT_AREA_MAGIC;
	sb->version = 1;
	sb->size = AREA_SIZE;
	sb->data_offset = CKPT_AREA_SB_SIZE;
	sb->next_generation = 1;
	sb->next_offset = CKPT_AREA_SB_SIZE;
	sb->sb_crc32c = libckpt_area_sb_crc(blk);
	ASSERT_EQ(sizeof(blk), pwrite(fd, blk, sizeof(blk), 0));
	EXPECT_EQ(-EINVAL, libckpt_freeze(h, w.pid, fd, 0, &job));
	EXPECT_NE(NULL, strstr(libckpt_error(h), "version 1 (one superblock copy) is read only: recreate the area"))
		TH_LOG("%s", libckpt_error(h));

	EXPECT_EQ(0, stop_workload(&w));
	EXPECT_EQ(0, held_pages());
	libckpt_close(h);
	close(fd);
	unlink("/tmp/area-copies");
}

struct find_job {
	uint64_t id;
	struct libckpt_job found;
	int n;
};

static int find_job(const struct libckpt_job *j, void *arg)
{
	struct find_job *f = arg;

	if (j->id == f->id) {
		f->found = *j;
		f->n++;
	}
	return 0;
}

/* Events until one says job @id finished, or 10 s pass. */
static int wait_event_done(struct libckpt *ev, uint64_t id,
			   struct libckpt_job *out, int *progress)
{
	int i, ret;

	for (i = 0; i < 100; i++) {
		ret = libckpt_event_next(ev, out, 100);
		if (ret < 0)
			return ret;
		if (ret == 0 || out->id != id)
			continue;
		if (out->state == CKPT_JOB_STREAMING)
			(*progress)++;
		else
			return 0;
	}
	return -ETIMEDOUT;
}

/*
 * While a rate-limited image streams: status lists it, events report its
 * progress and end, a second freeze into the same area is refused, the
 * module cannot be unloaded, and SIGKILL to the target does not stop the
 * image from completing.
 */
TEST(kill_while_streaming)
{
	uint64_t before[MW_THREADS], after[MW_THREADS];
	struct libckpt_job job, other, done, event;
	struct workload w = { 0 };
	struct find_job f = { 0 };
	struct libckpt *h, *ev;
	int fd, progress = 0;

	ASSERT_EQ(0, start_workload(&w, 16, "/tmp/mw-kill"));
	fd = open_area("/tmp/area-kill");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));
	ASSERT_EQ(0, libckpt_events_open(&ev));
	snapshot_done(w.ctl, before);
	/* ~40 MiB at 16 MiB/s: streams for about 2.5 s. */
	ASSERT_EQ(0, libckpt_freeze(h, w.pid, fd, 16 << 20, &job))
		TH_LOG("%s", libckpt_error(h));
	snapshot_done(w.ctl, after);
	f.id = job.id;
	ASSERT_EQ(0, libckpt_status(h, find_job, &f));
	EXPECT_EQ(1, f.n);
	EXPECT_EQ(CKPT_JOB_STREAMING, f.found.state);
	EXPECT_EQ(w.pid, f.found.pgid);
	EXPECT_EQ(job.generation, f.found.generation);
	EXPECT_EQ(-EBUSY, libckpt_freeze(h, w.pid, fd, 0, &other));
	EXPECT_NE(0, system("rmmod ckpt 2>/dev/null"))
		TH_LOG("module unloaded while an image was streaming");
	kill_workload(&w);
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	EXPECT_EQ(CKPT_JOB_COMMITTED, done.state) TH_LOG("%s", done.error_msg);
	EXPECT_LE(2.0, done.stream_ns / 1e9)
		TH_LOG("rate limit not applied: %.2f s", done.stream_ns / 1e9);
	ASSERT_EQ(0, wait_event_done(ev, job.id, &event, &progress));
	EXPECT_EQ(CKPT_JOB_COMMITTED, event.state);
	EXPECT_EQ(done.image_len, event.written);
	EXPECT_LE(1, progress) TH_LOG("no progress event while streaming");
	f.n = 0;
	ASSERT_EQ(0, libckpt_status(h, find_job, &f));
	EXPECT_EQ(CKPT_JOB_COMMITTED, f.found.state);
	libckpt_close(ev);
	EXPECT_EQ(0, verify_image(_metadata, "/tmp/area-kill", job.generation,
				  &w, before, after));
	EXPECT_EQ(0, held_pages());
	libckpt_close(h);
	close(fd);
	unlink("/tmp/area-kill");
}

/* Two groups frozen at the same time into two areas both commit and verify. */
TEST(two_groups_concurrently)
{
	uint64_t b[2][MW_THREADS], a[2][MW_THREADS];
	struct libckpt_job job[2], done;
	const char *areas[2] = { "/tmp/area-g0", "/tmp/area-g1" };
	const char *files[2] = { "/tmp/mw-g0", "/tmp/mw-g1" };
	struct workload w[2] = { 0 };
	struct libckpt *h;
	int fd[2], i;

	ASSERT_EQ(0, libckpt_open(&h));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, start_workload(&w[i], 16, files[i]));
		fd[i] = open_area(areas[i]);
		ASSERT_LE(0, fd[i]);
	}
	for (i = 0; i < 2; i++) {
		snapshot_done(w[i].ctl, b[i]);
		/* Rate-limited so the two streams overlap. */
		ASSERT_EQ(0, libckpt_freeze(h, w[i].pid, fd[i], 64 << 20, &job[i]))
			TH_LOG("%s", libckpt_error(h));
		snapshot_done(w[i].ctl, a[i]);
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, libckpt_wait(h, job[i].id, &done));
		EXPECT_EQ(CKPT_JOB_COMMITTED, done.state);
	}
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, stop_workload(&w[i]));
		EXPECT_EQ(0, verify_image(_metadata, areas[i], job[i].generation,
					  &w[i], b[i], a[i]));
		close(fd[i]);
		unlink(areas[i]);
	}
	libckpt_close(h);
}

/*
 * A thread that cannot park (a CLONE_VFORK parent waits, killable only,
 * for its child) makes the freeze time out naming it; a thread SIGKILLed while it
 * sits parked dies at once; every other thread that parked runs again, and
 * the late task_work passes through harmlessly.
 */
TEST(stuck_thread_times_out)
{
	volatile uint64_t *shared;
	struct libckpt_job job;
	struct libckpt *h;
	int fd, pipefd[2];
	pid_t leader, killer;
	char want[64];
	uint64_t seen;

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	ASSERT_EQ(0, pipe(pipefd));
	leader = fork();
	ASSERT_LE(0, leader);
	if (leader == 0) {
		pid_t spinner, victim;

		/* Keep only the pipe (made first, so the lowest fds). */
		close_range(pipefd[1] + 1, ~0U, 0);
		setsid();
		spinner = fork();
		if (spinner == 0)
			for (;;)
				shared[0]++;
		victim = fork();
		if (victim == 0)
			for (;;)
				shared[2]++;
		shared[1] = victim;
		/* The child blocks on the pipe; we cannot park meanwhile. */
		wait_in_vfork(pipefd[0]);
		kill(spinner, SIGKILL);
		kill(victim, SIGKILL);
		_exit(0);
	}
	while (!shared[1])
		usleep(10000);
	usleep(300000);
	ASSERT_EQ(0, param_set("freeze_timeout_ms", 1000));
	fd = open_area("/tmp/area-stuck");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, libckpt_open(&h));
	killer = fork();
	ASSERT_LE(0, killer);
	if (killer == 0) {
		/* Inside the park window: the victim sits parked. */
		usleep(400000);
		kill(shared[1], SIGKILL);
		_exit(0);
	}
	EXPECT_EQ(-ETIMEDOUT, libckpt_freeze(h, leader, fd, 0, &job));
	snprintf(want, sizeof(want), "pid %d: ", leader);
	EXPECT_EQ(0, strncmp(libckpt_error(h), want, strlen(want)))
		TH_LOG("%s", libckpt_error(h));
	waitpid(killer, NULL, 0);
	/* Killed while parked: dead (a zombie until the stuck leader reaps). */
	EXPECT_EQ('Z', proc_state(shared[1]));
	/* Nothing left parked: the spinner runs on. */
	seen = shared[0];
	usleep(200000);
	EXPECT_LT(seen, shared[0]);
	/* Let the vfork parent finish: its late task_work must pass through. */
	ASSERT_EQ(1, write(pipefd[1], "x", 1));
	ASSERT_EQ(leader, waitpid(leader, NULL, 0));
	EXPECT_EQ(0, param_set("freeze_timeout_ms", 2000));
	EXPECT_EQ(0, held_pages());
	libckpt_close(h);
	close(fd);
	unlink("/tmp/area-stuck");
}

/* An unprivileged caller cannot freeze another user's group. */
TEST(unprivileged_freeze_refused)
{
	struct workload w = { 0 };
	pid_t child;
	int status, fd;

	ASSERT_EQ(0, start_workload(&w, 8, "/tmp/mw-priv"));
	fd = open_area("/tmp/area-priv");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fchmod(fd, 0666));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		struct libckpt_job job;
		struct libckpt *h, *ev;
		int afd;

		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(90);
		afd = open("/tmp/area-priv", O_RDWR);
		if (afd < 0 || libckpt_open(&h))
			_exit(91);
		/* Events describe every user's jobs: not for nobody. */
		if (libckpt_events_open(&ev) != -EPERM)
			_exit(93);
		_exit(libckpt_freeze(h, w.pid, afd, 0, &job) == -EPERM ? 0 : 92);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, stop_workload(&w));
	close(fd);
	unlink("/tmp/area-priv");
}

TEST_HARNESS_MAIN
