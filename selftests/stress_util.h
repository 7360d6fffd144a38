/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Helpers of the stress, fault-injection and security selftests: a busy
 * process group that checks itself (memwriter processes, optionally a
 * process that keeps forking and losing children), the module's
 * parameters and counters, and a verifier that an area generation is one
 * instant of the group.
 */
#ifndef CKPT_STRESS_UTIL_H
#define CKPT_STRESS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "libckpt.h"
#include "memwriter.h"
#include "test_util.h"

#define MAX_PROCS	2	/* memwriter processes in a group */

/* Seconds on the monotonic clock, for the logs (never asserted). */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- module counters ------------------------------------------------------ */

/* GET_INFO, or a zeroed info with live_jobs and held_pages all ones. */
static inline struct libckpt_info module_info(void)
{
	struct libckpt_info info;
	struct libckpt *h;

	memset(&info, 0, sizeof(info));
	info.live_jobs = ~0U;
	info.held_pages = ~0ULL;
	if (libckpt_open(&h))
		return info;
	if (libckpt_get_info(h, &info)) {
		info.live_jobs = ~0U;
		info.held_pages = ~0ULL;
	}
	libckpt_close(h);
	return info;
}

static int count_streaming_job(const struct libckpt_job *j, void *arg)
{
	if (j->state == CKPT_JOB_STREAMING)
		(*(int *)arg)++;
	return 0;
}

/* Jobs still streaming (0 once every checkpoint has ended), or -errno. */
static inline int streaming_jobs(void)
{
	struct libckpt *h;
	int n = 0, ret;

	ret = libckpt_open(&h);
	if (ret)
		return ret;
	ret = libckpt_status(h, count_streaming_job, &n);
	libckpt_close(h);
	return ret ? ret : n;
}

/* A fresh area of @size bytes at @path, open read-write; -errno on error. */
static inline int new_area(const char *path, uint64_t size)
{
	char err[LIBCKPT_ERRLEN];
	int ret;

	unlink(path);
	ret = libckpt_area_create(path, size, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "# area %s: %s\n", path, err);
		return ret;
	}
	ret = open(path, O_RDWR | O_CLOEXEC);
	return ret < 0 ? -errno : ret;
}

/* The newest committed generation of the area open on @fd, 0 if none. */
static inline uint64_t newest_committed(int fd)
{
	char err[LIBCKPT_ERRLEN];
	struct ckpt_area_sb sb;
	int slot;

	if (libckpt_area_read(fd, &sb, err, sizeof(err)))
		return 0;
	slot = libckpt_area_find(&sb, 0);
	return slot < 0 ? 0 : sb.slots[slot].generation;
}

/* Slots of the area on @fd in @state, or -1 if it cannot be read. */
static inline int slots_in_state(int fd, uint32_t state)
{
	char err[LIBCKPT_ERRLEN];
	struct ckpt_area_sb sb;
	int i, n = 0;

	if (libckpt_area_read(fd, &sb, err, sizeof(err)))
		return -1;
	for (i = 0; i < CKPT_AREA_SLOTS; i++)
		n += sb.slots[i].state == state;
	return n;
}

/* --- the busy group -------------------------------------------------------- */

/* Shared by the group and the test (MAP_SHARED before fork). */
struct churn {
	volatile uint64_t stop;
	volatile uint64_t forks;	/* children forked and reaped */
	volatile uint64_t kills;	/* of which SIGKILLed by the churner */
	volatile uint64_t bad;		/* children that failed their check */
};

struct group_shared {
	struct mw_control ctl[MAX_PROCS];
	volatile pid_t pid[MAX_PROCS];	/* memwriter processes */
	volatile pid_t churner;
	struct churn churn;
};

/* group_start() flags */
#define GROUP_CHURN	0x1	/* add a churner */
#define GROUP_THP	0x2	/* memwriter thread 2 writes a huge page */

/**
 * struct busy_group - a process group that keeps its memory busy
 * @pgid: the group (its leader runs memwriter 0)
 * @nproc: memwriter processes: the leader and maybe a sibling
 * @flags: GROUP_*
 * @sh: what the group shares with the test
 */
struct busy_group {
	pid_t pgid;
	unsigned int nproc;
	unsigned int flags;
	struct group_shared *sh;
};

#define BUSY_ANON_PAGES	256	/* 1 MiB, two threads */
#define BUSY_THP_PAGES	512	/* one 2 MiB huge page (GROUP_THP) */
#define BUSY_FILE_PAGES	16	/* private file mapping */
#define BUSY_SHM_PAGES	8	/* shared memory: copied at each freeze */

/*
 * memwriter with page-sized regions: small enough that every allocation
 * of a freeze can be failed in turn (shared memory is copied page by
 * page), and still anonymous, file-backed and shared memory (and with @thp
 * a huge page) written by four threads. Returns the process's exit status:
 * 0 if its checks held.
 */
static inline int busy_run(struct mw_control *ctl, bool thp_on)
{
	uint64_t anon, thp, file, shm, half = BUSY_ANON_PAGES / 2;
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/stress-file-%d", getpid());
	anon = (uint64_t)mw_map(BUSY_ANON_PAGES * MW_PAGE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1);
	thp = (uint64_t)mw_map(2 * (BUSY_THP_PAGES * MW_PAGE),
			       MAP_PRIVATE | MAP_ANONYMOUS, -1);
	shm = (uint64_t)mw_map(BUSY_SHM_PAGES * MW_PAGE,
			       MAP_SHARED | MAP_ANONYMOUS, -1);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!anon || !thp || !shm || fd < 0 ||
	    ftruncate(fd, BUSY_FILE_PAGES * MW_PAGE))
		return 10;
	/*
	 * The file stays: a mapping of a deleted file is refused before the
	 * freeze, as no restore could map it again.
	 */
	file = (uint64_t)mw_map(BUSY_FILE_PAGES * MW_PAGE, MAP_PRIVATE, fd);
	close(fd);
	if (!file)
		return 11;
	thp = (thp + BUSY_THP_PAGES * MW_PAGE - 1) &
	      ~(BUSY_THP_PAGES * MW_PAGE - 1);
	if (thp_on)
		madvise((void *)thp, BUSY_THP_PAGES * MW_PAGE, MADV_HUGEPAGE);
	ctl->seq[0][0] = (struct mw_seg){ anon, half };
	ctl->seq[1][0] = (struct mw_seg){ anon + half * MW_PAGE, half };
	ctl->seq[2][0] = (struct mw_seg){ thp, thp_on ? BUSY_THP_PAGES : 16 };
	ctl->seq[3][0] = (struct mw_seg){ file, BUSY_FILE_PAGES };
	ctl->seq[3][1] = (struct mw_seg){ shm, BUSY_SHM_PAGES };
	return mw_start(ctl);
}

/*
 * The churner: forks children that check and write memory inherited
 * copy-on-write from it (pages a snapshot may hold), then exit, or are
 * SIGKILLed by it mid-life; it reaps each and counts a child that did
 * not end as expected in @c->bad.
 */
static inline void churn_run(struct churn *c)
{
	static uint64_t buf[2048];
	uint64_t n, i;
	int st;

	for (i = 0; i < 2048; i++)
		buf[i] = i;
	for (n = 0; !c->stop; n++) {
		pid_t p = fork();

		if (p == 0) {
			for (i = 0; i < 2048; i++)
				if (buf[i] != i + n)
					_exit(1);
			for (i = 0; i < 2048; i++)
				buf[i]++;
			if (n % 3 == 0)
				pause();
			_exit(0);
		}
		if (p < 0) {
			usleep(10000);
			continue;
		}
		if (n % 3 == 0) {
			usleep(2000);
			kill(p, SIGKILL);
			c->kills++;
		}
		if (waitpid(p, &st, 0) != p ||
		    !(n % 3 == 0 ? WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL :
				   WIFEXITED(st) && WEXITSTATUS(st) == 0))
			c->bad++;
		for (i = 0; i < 2048; i++)
			buf[i]++;
		c->forks++;
		usleep(20000);
	}
}

/* The group leader: its siblings, then memwriter 0; the worst status. */
static inline void group_leader(struct busy_group *g)
{
	pid_t kids[MAX_PROCS + 1];
	unsigned int i, n = 0;
	int st, worst;

	close_range(3, ~0U, 0);
	setsid();
	g->sh->pid[0] = getpid();
	for (i = 1; i < g->nproc; i++) {
		kids[n] = fork();
		if (kids[n] == 0) {
			g->sh->pid[i] = getpid();
			_exit(busy_run(&g->sh->ctl[i], g->flags & GROUP_THP));
		}
		n++;
	}
	if (g->flags & GROUP_CHURN) {
		kids[n] = fork();
		if (kids[n] == 0) {
			g->sh->churner = getpid();
			churn_run(&g->sh->churn);
			_exit(g->sh->churn.bad ? 1 : 0);
		}
		n++;
	}
	worst = busy_run(&g->sh->ctl[0], g->flags & GROUP_THP);
	for (i = 0; i < n; i++) {
		if (waitpid(kids[i], &st, 0) != kids[i])
			worst = worst ? worst : 20;
		else if (!WIFEXITED(st) || WEXITSTATUS(st))
			worst = worst ? worst : 21 + i;
	}
	_exit(worst);
}

/* Start a group of @nproc memwriters, GROUP_* @flags; 0 once all run. */
static inline int group_start(struct busy_group *g, unsigned int nproc,
			      unsigned int flags)
{
	bool churn = flags & GROUP_CHURN;
	unsigned int i;
	int tries;

	memset(g, 0, sizeof(*g));
	g->nproc = nproc;
	g->flags = flags;
	g->sh = mmap(NULL, sizeof(*g->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g->sh == MAP_FAILED)
		return -errno;
	g->pgid = fork();
	if (g->pgid < 0)
		return -errno;
	if (g->pgid == 0)
		group_leader(g);
	for (tries = 0; tries < 1200; tries++) {
		bool ready = !churn || g->sh->churn.forks > 0;

		for (i = 0; i < nproc; i++)
			ready = ready && g->sh->ctl[i].ready;
		if (ready)
			return 0;
		usleep(50000);
	}
	return -ETIMEDOUT;
}

/* Progress marks: every memwriter thread's last finished generation. */
static inline void group_done(struct busy_group *g, uint64_t done[][MW_THREADS])
{
	unsigned int i, t;

	for (i = 0; i < g->nproc; i++)
		for (t = 0; t < MW_THREADS; t++)
			done[i][t] = g->sh->ctl[i].done[t];
}

/* True once every memwriter thread finished a generation after @since. */
static inline bool group_progressed(struct busy_group *g,
				    uint64_t since[][MW_THREADS])
{
	unsigned int i, t, tries;
	bool all = false;

	for (tries = 0; tries < 200 && !all; tries++) {
		all = true;
		for (i = 0; i < g->nproc; i++)
			for (t = 0; t < MW_THREADS; t++)
				all = all && g->sh->ctl[i].done[t] > since[i][t];
		if (!all)
			usleep(50000);
	}
	return all;
}

/* Stop the group; its leader's exit status (0: every self-check held). */
static inline int group_stop(struct busy_group *g)
{
	unsigned int i;
	int st;

	g->sh->churn.stop = 1;
	for (i = 0; i < g->nproc; i++)
		g->sh->ctl[i].stop = 1;
	if (waitpid(g->pgid, &st, 0) != g->pgid)
		return -1;
	munmap(g->sh, sizeof(*g->sh));
	g->sh = NULL;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Teardown after a failed test: kill whatever of the group still runs. */
static inline void group_kill(struct busy_group *g)
{
	if (!g->sh || g->pgid <= 0)
		return;
	kill(-g->pgid, SIGKILL);
	waitpid(g->pgid, NULL, 0);
	munmap(g->sh, sizeof(*g->sh));
	g->sh = NULL;
}

/* --- is a generation one instant of the group? ---------------------------- */

struct verify {
	struct busy_group *g;
	uint64_t *gens[MAX_PROCS][MW_THREADS];
	uint64_t total[MAX_PROCS][MW_THREADS];
	uint64_t bad_pattern;
	char why[256];
};

static inline int verify_locate(struct verify *v, unsigned int proc,
				uint64_t addr, unsigned int *t, uint64_t *idx)
{
	struct mw_control *ctl = &v->g->sh->ctl[proc];
	unsigned int s, u;
	uint64_t base;

	for (u = 0; u < MW_THREADS; u++) {
		base = 0;
		for (s = 0; s < MW_SEGS; s++) {
			struct mw_seg *seg = &ctl->seq[u][s];

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

static inline int verify_run(const struct libckpt_page_run *run, void *arg)
{
	struct verify *v = arg;
	unsigned int p, t, i, w;
	uint64_t idx;

	for (p = 0; p < v->g->nproc; p++)
		if (run->task->rec.pid == (uint32_t)v->g->sh->pid[p])
			break;
	if (p == v->g->nproc)
		return 0;	/* the churner or its children */
	for (i = 0; i < run->nr_pages; i++) {
		uint64_t addr = run->addr + (uint64_t)i * MW_PAGE;
		const uint64_t *words = (const uint64_t *)
			((const char *)run->data + (size_t)i * MW_PAGE);

		if (verify_locate(v, p, addr, &t, &idx))
			continue;
		for (w = 1; w < MW_WORDS; w++)
			if (words[w] != mw_pattern(addr, w))
				break;
		if (w < MW_WORDS)
			v->bad_pattern++;
		v->gens[p][t][idx] = words[0];
	}
	return 0;
}

/*
 * Per memwriter thread: generation G on a prefix of its pages and G-1 on
 * the rest, every page present, G within [before, after + 1].
 */
static inline int verify_instant(struct verify *v, uint64_t before[][MW_THREADS],
				 uint64_t after[][MW_THREADS])
{
	unsigned int p, t;
	uint64_t i, drops;

	if (v->bad_pattern) {
		snprintf(v->why, sizeof(v->why), "%llu pages with a broken pattern",
			 (unsigned long long)v->bad_pattern);
		return -1;
	}
	for (p = 0; p < v->g->nproc; p++) {
		for (t = 0; t < MW_THREADS; t++) {
			uint64_t *gens = v->gens[p][t];

			drops = 0;
			for (i = 0; i < v->total[p][t]; i++) {
				if (!gens[i] ||
				    (i && gens[i] != gens[i - 1] &&
				     (gens[i] + 1 != gens[i - 1] || drops++))) {
					snprintf(v->why, sizeof(v->why),
						 "process %u thread %u page %llu: generation %llu: not one instant",
						 p, t, (unsigned long long)i,
						 (unsigned long long)gens[i]);
					return -1;
				}
			}
			if (gens[0] < before[p][t] || gens[0] > after[p][t] + 1) {
				snprintf(v->why, sizeof(v->why),
					 "process %u thread %u: generation %llu outside [%llu, %llu]",
					 p, t, (unsigned long long)gens[0],
					 (unsigned long long)before[p][t],
					 (unsigned long long)after[p][t] + 1);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * Open generation @gen of @area (which verifies its checksum and every
 * record) and check it is one instant of @g between @before and @after.
 * 0, or -1 with the reason in @why.
 */
static inline int verify_generation(const char *area, uint64_t gen,
				    struct busy_group *g,
				    uint64_t before[][MW_THREADS],
				    uint64_t after[][MW_THREADS],
				    char *why, size_t whylen)
{
	struct verify v = { .g = g };
	struct libckpt_image *img;
	char spec[256], err[LIBCKPT_ERRLEN];
	unsigned int p, t, s;
	int ret;

	snprintf(spec, sizeof(spec), "%s:%llu", area, (unsigned long long)gen);
	ret = libckpt_image_open(spec, &img, err, sizeof(err));
	if (ret) {
		snprintf(why, whylen, "%.100s: %.300s", spec, err);
		return -1;
	}
	for (p = 0; p < g->nproc; p++) {
		for (t = 0; t < MW_THREADS; t++) {
			for (s = 0; s < MW_SEGS; s++)
				v.total[p][t] += g->sh->ctl[p].seq[t][s].pages;
			v.gens[p][t] = calloc(v.total[p][t] + 1, sizeof(uint64_t));
		}
	}
	ret = libckpt_image_pages(img, verify_run, &v, err, sizeof(err));
	if (ret)
		snprintf(v.why, sizeof(v.why), "pages: %.240s", err);
	else
		ret = verify_instant(&v, before, after);
	if (ret)
		snprintf(why, whylen, "%.100s: %.255s", spec, v.why);
	for (p = 0; p < g->nproc; p++)
		for (t = 0; t < MW_THREADS; t++)
			free(v.gens[p][t]);
	libckpt_image_close(img);
	return ret ? -1 : 0;
}

#endif /* CKPT_STRESS_UTIL_H */
