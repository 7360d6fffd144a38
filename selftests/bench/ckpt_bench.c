// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckpt_bench: the guest side of `make bench`. It measures, never judges:
 * every section prints its numbers as "# " comment lines and as
 * "# csv: section,mode,mib,threads,metric,unit,n,median,min,max" lines that
 * the host collects into results.csv. The exit status only says whether
 * the measurement itself could be made (0) or not (1).
 *
 *   ckpt_bench freeze --area DEV --mib N --mode 4k|thp [--threads T]
 *                     [--runs R] [--fresh]
 *       Per sample: fork() timed in the workload, then a freeze (the
 *       kernel's freeze_ns), the workload's longest stall around it, the
 *       THP backing at freeze time, and the writer's stream time. One
 *       warm-up sample is discarded. --fresh starts a new workload for
 *       every sample (needed for THP: the first freeze's copy-on-write
 *       faults split the PMDs).
 *   ckpt_bench stream --area DEV --mib N [--rate BYTES/S] [--runs R]
 *       Writer throughput (image_len / stream_ns), optionally rate-limited.
 *   ckpt_bench compare --area DEV --mib N --mode 4k|thp [--threads T]
 *                      [--runs R] [--dir D] [--no-restore] [--no-predump]
 *       ckpt and CRIU side by side on the same workload, a fresh one for
 *       every measurement. ckpt: kernel freeze time and its parts (park,
 *       capture, flush and release), the workload's longest stall,
 *       freeze-to-commit time, writer MB/s, the workload's throughput
 *       while its image streams (% of undisturbed), restore time. CRIU
 *       (images in D, a tmpfs): `criu dump --leave-running` stall and
 *       total time; `criu pre-dump` then `criu dump` stall; `criu
 *       restore -d` time. Ratios ckpt/CRIU per run. --no-restore and
 *       --no-predump leave out both tools' restores and CRIU's pre-dump
 *       (the default targets run measures restores in `restore`).
 *   ckpt_bench restore --area DEV --mib N --mode 4k|thp [--runs R] [--dir D]
 *       Restore only: one checkpoint by each tool of a fresh workload,
 *       ckpt's copied to tmpfs, then R rounds of restores, each timed and
 *       killed again: ckpt from tmpfs, CRIU (`criu restore -d`), ckpt from
 *       the area (libckpt_restore() detached); the AnonHugePages of the
 *       workload at its checkpoint and of what ckpt restored.
 *   ckpt_bench raw --dev DEV --mib N [--runs R] [--buffered]
 *       Sequential write speed of the device: O_DIRECT 1 MiB aligned writes
 *       (or buffered writes + fsync), for comparison with the writer.
 *
 *   --prepass 0|1 (freeze, compare) sets the module's prepass parameter
 *   (the two-phase freeze) for the section and puts it back after; with
 *   0 the mode is reported as 4k-onepass / thp-onepass.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "libckpt.h"

#define PAGE		4096UL
#define HPAGE		(2UL << 20)
#define MAX_THREADS	8
#define MAX_RUNS	32

/* Shared between the bench (parent) and the workload (MAP_SHARED). */
struct wl_ctl {
	volatile int ready;		/* memory touched, writers started */
	volatile int stop;
	volatile int failed;		/* workload setup error */
	volatile int pause_req;		/* writers: sleep until cleared */
	volatile int paused[MAX_THREADS];
	volatile uint64_t reset_gen;	/* bumped by the bench: reset maxgap */
	volatile uint64_t sweeps[MAX_THREADS];	/* completed sweeps */
	volatile uint64_t maxgap_ns[MAX_THREADS];
	volatile uint64_t writes[MAX_THREADS];	/* pages written so far */
	volatile int fork_req, fork_done;
	volatile uint64_t fork_ns;
	/* incr: writers sweep only this many pages each (0: their whole slice) */
	volatile uint64_t ws_pages;
	/* incr: the workload writes one word in each of its first dirty_pages */
	volatile int dirty_req, dirty_done;
	volatile uint64_t dirty_pages;
};

struct workload {
	pid_t pid;
	struct wl_ctl *ctl;
	unsigned int threads;
	size_t len;
};

struct wl_arg {
	struct wl_ctl *ctl;
	unsigned int t;
	char *start;
	size_t pages;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One writer thread: one word per page, every iteration timestamped. */
static void *wl_writer(void *p)
{
	struct wl_arg *a = p;
	struct wl_ctl *ctl = a->ctl;
	uint64_t last = now_ns(), now, gap, max = 0, gen = ctl->reset_gen, v = 0;
	size_t i;

	while (!ctl->stop) {
		size_t n = ctl->ws_pages && ctl->ws_pages < a->pages ?
			   ctl->ws_pages : a->pages;

		for (i = 0; i < n && !ctl->stop; i++) {
			if (ctl->pause_req) {
				ctl->paused[a->t] = 1;
				while (ctl->pause_req && !ctl->stop)
					usleep(100);
				ctl->paused[a->t] = 0;
				last = now_ns();
			}
			now = now_ns();
			if (ctl->reset_gen != gen) {
				gen = ctl->reset_gen;
				max = 0;
			} else {
				gap = now - last;
				if (gap > max) {
					max = gap;
					ctl->maxgap_ns[a->t] = max;
				}
			}
			if (!max)
				ctl->maxgap_ns[a->t] = 0;
			last = now;
			*(volatile uint64_t *)(a->start + i * PAGE) = ++v;
			ctl->writes[a->t] = v;
		}
		ctl->sweeps[a->t]++;
	}
	return NULL;
}

/* The workload process: map, advise, touch, write; fork() when asked. */
static int wl_main(struct wl_ctl *ctl, size_t len, int thp,
		   unsigned int threads)
{
	struct wl_arg args[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	size_t pages = len / PAGE, per, i;
	unsigned int t;
	char *map, *mem;

	map = mmap(NULL, len + HPAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return 10;
	mem = (char *)(((uintptr_t)map + HPAGE - 1) & ~(HPAGE - 1));
	if (madvise(mem, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return 11;
	for (i = 0; i < pages; i++)
		mem[i * PAGE] = 1;
	per = pages / threads;
	for (t = 0; t < threads; t++) {
		args[t] = (struct wl_arg){ ctl, t, mem + t * per * PAGE, per };
		if (pthread_create(&th[t], NULL, wl_writer, &args[t]))
			return 12;
	}
	ctl->ready = 1;
	while (!ctl->stop) {
		uint64_t t0, t1;
		pid_t child;
		int all;

		if (ctl->dirty_req) {
			for (i = 0; i < ctl->dirty_pages && i < pages; i++)
				(*(volatile uint64_t *)(mem + i * PAGE + 8))++;
			ctl->dirty_req = 0;
			ctl->dirty_done = 1;
			continue;
		}
		if (!ctl->fork_req) {
			usleep(1000);
			continue;
		}
		/* Writers sleep during fork(), as the freeze parks them. */
		ctl->pause_req = 1;
		do {
			usleep(100);
			for (all = 1, t = 0; t < threads; t++)
				all &= ctl->paused[t];
		} while (!all && !ctl->stop);
		t0 = now_ns();
		child = fork();
		t1 = now_ns();
		if (child == 0)
			_exit(0);
		if (child > 0)
			waitpid(child, NULL, 0);
		ctl->fork_ns = child > 0 ? t1 - t0 : 0;
		ctl->pause_req = 0;
		ctl->fork_req = 0;
		ctl->fork_done = 1;
	}
	for (t = 0; t < threads; t++)
		pthread_join(th[t], NULL);
	return 0;
}

static int wait_for(volatile int *flag, struct workload *w, int secs)
{
	uint64_t end = now_ns() + (uint64_t)secs * 1000000000ULL;

	while (!*flag) {
		if (w->ctl->failed || now_ns() > end ||
		    waitpid(w->pid, NULL, WNOHANG) == w->pid)
			return -1;
		usleep(1000);
	}
	return 0;
}

/* Wait until every writer has completed @n more full sweeps. */
static int wait_sweeps(struct workload *w, unsigned int n, int secs)
{
	uint64_t base[MAX_THREADS], end = now_ns() + (uint64_t)secs * 1000000000ULL;
	unsigned int t;

	for (t = 0; t < w->threads; t++)
		base[t] = w->ctl->sweeps[t];
	for (t = 0; t < w->threads; t++)
		while (w->ctl->sweeps[t] < base[t] + n) {
			if (now_ns() > end)
				return -1;
			usleep(2000);
		}
	return 0;
}

static int wl_start(struct workload *w, size_t len, int thp,
		    unsigned int threads)
{
	w->threads = threads;
	w->len = len;
	w->ctl = mmap(NULL, sizeof(*w->ctl), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w->ctl == MAP_FAILED)
		return -1;
	w->pid = fork();
	if (w->pid < 0)
		return -1;
	if (w->pid == 0) {
		int st, fd;

		setsid();
		/*
		 * Only what a checkpoint supports: no inherited netlink
		 * socket or area device, standard streams on /dev/null.
		 */
		close_range(3, ~0U, 0);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		st = wl_main(w->ctl, len, thp, threads);
		if (st)
			w->ctl->failed = st;
		_exit(st);
	}
	if (wait_for(&w->ctl->ready, w, 600))
		return -1;
	return wait_sweeps(w, 1, 600);
}

static void wl_stop(struct workload *w)
{
	w->ctl->stop = 1;
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	munmap(w->ctl, sizeof(*w->ctl));
}

static uint64_t wl_maxgap(struct workload *w)
{
	uint64_t m = 0;
	unsigned int t;

	for (t = 0; t < w->threads; t++)
		if (w->ctl->maxgap_ns[t] > m)
			m = w->ctl->maxgap_ns[t];
	return m;
}

/* Longest gap the writers saw over @ms milliseconds of normal running. */
static uint64_t wl_baseline_gap(struct workload *w, unsigned int ms)
{
	w->ctl->reset_gen++;
	usleep(ms * 1000);
	return wl_maxgap(w);
}

/* fork() of the workload, timed in the workload itself. */
static int wl_fork(struct workload *w, uint64_t *ns)
{
	w->ctl->fork_done = 0;
	w->ctl->fork_req = 1;
	if (wait_for(&w->ctl->fork_done, w, 600))
		return -1;
	*ns = w->ctl->fork_ns;
	return *ns ? 0 : -1;
}

/* AnonHugePages of @pid in KiB, from smaps_rollup; -1 if unreadable. */
static long anon_huge_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* --- statistics and output -------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
	int n;
};

static struct stat3 stats(const double *v, int n)
{
	double s[MAX_RUNS];
	struct stat3 r = { 0, 0, 0, n };

	if (n <= 0)
		return r;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_d);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

static const char *g_section = "", *g_mode = "";
static unsigned int g_mib, g_threads;

static void report(const char *metric, const char *unit, const double *v,
		   int n)
{
	struct stat3 s = stats(v, n);
	/* Ratios are compared with targets like 0.002: keep their digits. */
	int d = !strcmp(unit, "x") || !strcmp(unit, "ratio") ? 6 : 3;

	printf("# %-6s %-4s %5u MiB %u thr  %-18s median %12.*f  min %12.*f  max %12.*f %s (n=%d)\n",
	       g_section, g_mode, g_mib, g_threads, metric, d, s.med, d, s.min,
	       d, s.max, unit, s.n);
	printf("# csv: %s,%s,%u,%u,%s,%s,%d,%.*f,%.*f,%.*f\n", g_section,
	       g_mode, g_mib, g_threads, metric, unit, s.n, d, s.med, d, s.min,
	       d, s.max);
	fflush(stdout);
}

/* --- sections ----------------------------------------------------------- */

struct opts {
	const char *area;
	unsigned int mib, threads, runs;
	int thp, fresh, buffered;
	int no_restore, no_predump;	/* compare: leave these parts out */
	int prepass;		/* -1: the module's setting */
	uint64_t rate;
	const char *dir;
};

static int open_ckpt(struct libckpt **h, int *fd, const char *area)
{
	int ret = libckpt_open(h);

	if (ret) {
		printf("# libckpt_open: %s\n", strerror(-ret));
		return -1;
	}
	*fd = open(area, O_RDWR | O_CLOEXEC);
	if (*fd < 0) {
		printf("# open %s: %s\n", area, strerror(errno));
		libckpt_close(*h);
		return -1;
	}
	return 0;
}

/* Freeze @w once and wait for the commit; 0 or -1 with a message. */
static int freeze_once(struct libckpt *h, int fd, struct workload *w,
		       uint64_t rate, struct libckpt_job *job,
		       struct libckpt_job *done)
{
	int ret = libckpt_freeze(h, w->pid, fd, rate, job);

	if (ret) {
		printf("# freeze: %s: %s\n", strerror(-ret), libckpt_error(h));
		return -1;
	}
	ret = libckpt_wait(h, job->id, done);
	if (ret || done->state != CKPT_JOB_COMMITTED) {
		printf("# wait: %s: %s\n", strerror(-ret), done->error_msg);
		return -1;
	}
	return 0;
}

static int do_freeze(const struct opts *o)
{
	double fr[MAX_RUNS], npp[MAX_RUNS], fk[MAX_RUNS], st[MAX_RUNS],
	       base[MAX_RUNS], thp[MAX_RUNS], wr[MAX_RUNS], ratio[MAX_RUNS],
	       park[MAX_RUNS], cap[MAX_RUNS];
	size_t len = (size_t)o->mib << 20;
	struct libckpt_job job, done;
	struct workload w = { 0 };
	int fd, n = 0, i, running = 0, bad = 0;
	struct libckpt *h;

	if (open_ckpt(&h, &fd, o->area))
		return 1;
	for (i = 0; i <= (int)o->runs; i++) {
		uint64_t fork_ns, t0, t1, gap0, gap;
		long huge;

		if (!running) {
			t0 = now_ns();
			if (wl_start(&w, len, o->thp, o->threads)) {
				printf("# workload did not start (status %d)\n",
				       w.ctl->failed);
				bad = 1;
				break;
			}
			running = 1;
			if (i == 0)
				printf("# workload of %u MiB (%s, %u writer threads) ready in %.1f s\n",
				       o->mib, o->thp ? "THP" : "4K", o->threads,
				       (now_ns() - t0) / 1e9);
		}
		if (wl_fork(&w, &fork_ns)) {
			printf("# fork() measurement failed\n");
			bad = 1;
			break;
		}
		/* Writers back at full speed (write faults after fork done). */
		wait_sweeps(&w, 2, 120);
		huge = anon_huge_kb(w.pid);
		gap0 = wl_baseline_gap(&w, 200);
		w.ctl->reset_gen++;
		t0 = now_ns();
		if (libckpt_freeze(h, w.pid, fd, 0, &job)) {
			printf("# freeze: %s\n", libckpt_error(h));
			bad = 1;
			break;
		}
		t1 = now_ns();
		usleep(50000);
		gap = wl_maxgap(&w);
		if (libckpt_wait(h, job.id, &done) ||
		    done.state != CKPT_JOB_COMMITTED) {
			printf("# wait: %s\n", done.error_msg);
			bad = 1;
			break;
		}
		printf("# %ssample %d: freeze %.1f us (park %.1f, capture %.1f, call %.1f us), %" PRIu64
		       " pages, %u threads, fork %.1f us, stall %.1f us (baseline %.1f us), AnonHugePages %ld kB, stream %.2f s\n",
		       i ? "" : "warm-up ", i, job.freeze_ns / 1e3,
		       job.park_ns / 1e3, job.capture_ns / 1e3, (t1 - t0) / 1e3, job.nr_pages, job.nr_threads,
		       fork_ns / 1e3, gap / 1e3, gap0 / 1e3, huge,
		       done.stream_ns / 1e9);
		fflush(stdout);
		if (i > 0) {
			fr[n] = job.freeze_ns / 1e3;
			park[n] = job.park_ns / 1e3;
			cap[n] = job.capture_ns / 1e3;
			npp[n] = (double)job.freeze_ns / job.nr_pages;
			fk[n] = fork_ns / 1e3;
			ratio[n] = (double)job.freeze_ns / fork_ns;
			st[n] = gap / 1e3;
			base[n] = gap0 / 1e3;
			thp[n] = huge / 1024.0;
			wr[n] = done.image_len / (done.stream_ns / 1e9) / 1e6;
			n++;
		}
		if (o->fresh || i == (int)o->runs) {
			/* After one freeze a THP workload is split: show it. */
			if (o->thp && i == (int)o->runs) {
				wait_sweeps(&w, 2, 120);
				printf("# after the freeze and the workload's COW faults: AnonHugePages %ld kB\n",
				       anon_huge_kb(w.pid));
			}
			wl_stop(&w);
			running = 0;
		}
	}
	if (running)
		wl_stop(&w);
	if (n) {
		report("freeze", "us", fr, n);
		report("park", "us", park, n);
		report("capture", "us", cap, n);
		report("freeze_per_page", "ns", npp, n);
		report("fork", "us", fk, n);
		report("freeze_over_fork", "x", ratio, n);
		report("stall", "us", st, n);
		report("stall_baseline", "us", base, n);
		report("anon_huge", "MiB", thp, n);
		report("writer", "MB/s", wr, n);
	}
	libckpt_close(h);
	close(fd);
	return bad || n < (int)o->runs;
}


/* Pages written per second by all writers over @ms milliseconds. */
static double wl_rate(struct workload *w, unsigned int ms)
{
	uint64_t a = 0, b = 0, t0, t1;
	unsigned int t;

	for (t = 0; t < w->threads; t++)
		a += w->ctl->writes[t];
	t0 = now_ns();
	usleep(ms * 1000);
	for (t = 0; t < w->threads; t++)
		b += w->ctl->writes[t];
	t1 = now_ns();
	return (b - a) / ((t1 - t0) / 1e9);
}

static uint64_t wl_writes(struct workload *w)
{
	uint64_t n = 0;
	unsigned int t;

	for (t = 0; t < w->threads; t++)
		n += w->ctl->writes[t];
	return n;
}

/* Run a shell command; its wall time in seconds, or -1 if it failed. */
static double timed(const char *cmd)
{
	uint64_t t0 = now_ns();
	int st = system(cmd);

	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("# command failed (status 0x%x): %s\n", st, cmd);
		return -1;
	}
	return (now_ns() - t0) / 1e9;
}

/* Kill what a restore brought back (we are its subreaper) and reap it. */
static void kill_restored(pid_t pid)
{
	int i;

	kill(pid, SIGKILL);
	for (i = 0; i < 500 && waitpid(pid, NULL, WNOHANG) != pid && !kill(pid, 0); i++)
		usleep(10000);
}

/* What a restore's page allocations cost beyond the pages themselves. */
static const char *const vmstat_names[] = {
	"thp_fault_alloc", "thp_fault_fallback", "compact_stall",
	"compact_migrate_scanned", "compact_free_scanned", "pgscan_direct",
	"allocstall_movable",
};
#define NR_VMSTAT	(sizeof(vmstat_names) / sizeof(vmstat_names[0]))

static void vmstat_read(long v[NR_VMSTAT])
{
	char name[64];
	long val;
	size_t i;
	FILE *f = fopen("/proc/vmstat", "r");

	memset(v, 0, NR_VMSTAT * sizeof(*v));
	if (!f)
		return;
	while (fscanf(f, "%63s %ld", name, &val) == 2)
		for (i = 0; i < NR_VMSTAT; i++)
			if (!strcmp(name, vmstat_names[i]))
				v[i] = val;
	fclose(f);
}

static void vmstat_print(const char *what, const long before[NR_VMSTAT])
{
	long after[NR_VMSTAT];
	size_t i;

	vmstat_read(after);
	printf("# /proc/vmstat over %s:", what);
	for (i = 0; i < NR_VMSTAT; i++)
		printf(" %s +%ld", vmstat_names[i], after[i] - before[i]);
	printf("\n");
}

/* criu restore -d of @dir/full, timed (-1 if it failed); then gone again. */
static double criu_restore(const char *dir)
{
	char cmd[512], path[256];
	long vm[NR_VMSTAT];
	double secs;
	int pid = 0;
	FILE *f;

	/* CRIU creates its pidfile exclusively. */
	snprintf(path, sizeof(path), "%s/pid", dir);
	unlink(path);
	snprintf(cmd, sizeof(cmd), "criu restore -D %s/full -d -o restore.log --pidfile %s",
		 dir, path);
	vmstat_read(vm);
	secs = timed(cmd);
	vmstat_print("criu restore", vm);
	f = secs < 0 ? NULL : fopen(path, "r");
	if (f && fscanf(f, "%d", &pid) == 1 && pid > 0)
		kill_restored(pid);
	if (f)
		fclose(f);
	return secs;
}

/* The workload is gone, its pid free again (it was our child). */
static void wl_kill_keep_ctl(struct workload *w)
{
	w->ctl->stop = 1;
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
}

/* One compare run; every field a double (cmp_metrics[] reads them by offset). */
struct cmp_sample {
	double freeze, park, capture, flush, release, resume, call;
	double stall, baseline, commit, writer, tput, restore, restore_tmpfs;
	double c_stall, c_total, c_pre_stall, c_pd_stall, c_restore;
	double per_page, stall_ratio, restore_ratio, pd_ratio;
};

/* Where the newest generation is copied to restore it from tmpfs, as CRIU's. */
#define TMPFS_IMAGE	"/tmp/ckpt-bench.img"

/* Copy the area's newest generation to TMPFS_IMAGE; 0 or -1. */
static int export_newest(const char *area)
{
	struct libckpt_image *img;
	char err[LIBCKPT_ERRLEN];
	int out, ret;

	if (libckpt_image_open(area, &img, err, sizeof(err))) {
		printf("# export: %s\n", err);
		return -1;
	}
	out = open(TMPFS_IMAGE, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ret = out < 0 ? -1 : libckpt_image_export(img, out, NULL, NULL, err, sizeof(err));
	if (ret)
		printf("# export: %s\n", out < 0 ? strerror(errno) : err);
	if (out >= 0)
		close(out);
	libckpt_image_close(img);
	return ret ? -1 : 0;
}

/*
 * Restore @spec detached, timed; what it brought back is killed, after
 * its AnonHugePages (KiB) went to *@huge if not NULL.
 */
static double timed_restore(const char *spec, long *huge)
{
	struct libckpt_restore_opts ro = { 0 };
	char err[LIBCKPT_ERRLEN], what[256];
	long vm[NR_VMSTAT];
	uint64_t t0;
	double secs;
	pid_t got;

	vmstat_read(vm);
	t0 = now_ns();
	if (libckpt_restore(spec, &ro, &got, NULL, err, sizeof(err))) {
		printf("# ckpt restore of %s: %s\n", spec, err);
		return -1;
	}
	secs = (now_ns() - t0) / 1e9;
	snprintf(what, sizeof(what), "the restore of %s", spec);
	vmstat_print(what, vm);
	if (huge)
		*huge = anon_huge_kb(got);
	kill_restored(got);
	return secs;
}

/*
 * A fresh workload checkpointed once into the area and left running;
 * its AnonHugePages (KiB) before the freeze (its COW faults split THPs
 * after), or -1 with nothing left running.
 */
static long checkpoint_once(const struct opts *o, struct workload *w)
{
	struct libckpt_job job, done;
	struct libckpt *h;
	long huge;
	int fd;

	if (open_ckpt(&h, &fd, o->area))
		return -1;
	huge = wl_start(w, (size_t)o->mib << 20, o->thp, o->threads) ? -1 : anon_huge_kb(w->pid);
	if (huge < 0 || freeze_once(h, fd, w, 0, &job, &done)) {
		wl_stop(w);
		huge = -1;
	}
	libckpt_close(h);
	close(fd);
	return huge;
}

/*
 * A lazy restore of @spec, timed: until libckpt_restore() returned
 * (*@first) and until the page server exited, every page in place and the
 * checksum checked (*@all). With @stopped the restored program is stopped
 * as soon as it runs, so the server has the CPUs to itself. The restored
 * process is left to the caller (*@got); 0 or -1.
 */
static int timed_lazy(const char *spec, bool stopped, double *first, double *all, pid_t *got)
{
	struct libckpt_restore_opts ro = { .lazy = 1 };
	char err[LIBCKPT_ERRLEN];
	pid_t server = 0;
	uint64_t t0 = now_ns();
	int i;

	ro.lazy_server = &server;
	if (libckpt_restore(spec, &ro, got, NULL, err, sizeof(err))) {
		printf("# lazy restore of %s: %s\n", spec, err);
		return -1;
	}
	if (stopped)
		kill(*got, SIGSTOP);
	*first = (now_ns() - t0) / 1e9;
	/* Reparented to us (a subreaper) once the middle process exits. */
	for (i = 0; i < 60000 && server > 0 && waitpid(server, NULL, WNOHANG) != server &&
	     !kill(server, 0); i++)
		usleep(1000);
	*all = (now_ns() - t0) / 1e9;
	return 0;
}

/* The stream a migration brings: a 1 Gbit/s link, about. */
#define STREAM_RATE	(120ULL << 20)

/*
 * A child that writes TMPFS_IMAGE into @fd at STREAM_RATE and exits;
 * its pid, or -1.
 */
static pid_t feed_stream(int fd)
{
	static char buf[1 << 20];
	uint64_t t0 = now_ns(), sent = 0, due;
	pid_t pid = fork();
	ssize_t n = 0;
	int in;

	if (pid)
		return pid;
	in = open(TMPFS_IMAGE, O_RDONLY);
	while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0) {
		if (write(fd, buf, (size_t)n) != n)
			_exit(1);
		sent += (uint64_t)n;
		due = t0 + sent * 1000000000ULL / STREAM_RATE;
		if (due > now_ns())
			usleep((useconds_t)((due - now_ns()) / 1000));
	}
	_exit(in < 0 || n < 0);
}

/*
 * `restore - --lazy` of TMPFS_IMAGE arriving at STREAM_RATE: when the
 * restored program ran (*@first) and when the stream ended (*@end),
 * seconds from the stream's start; 0 or -1.
 */
static int timed_stream_lazy(double *first, double *end)
{
	struct libckpt_restore_opts ro = { .lazy = 1 };
	char err[LIBCKPT_ERRLEN];
	int p[2], saved = dup(0), st, ret;
	pid_t feeder, got = 0, server = 0;
	uint64_t t0;

	if (saved < 0 || pipe(p))
		return -1;
	ro.lazy_server = &server;
	t0 = now_ns();
	feeder = feed_stream(p[1]);
	close(p[1]);
	dup2(p[0], 0);
	close(p[0]);
	ret = libckpt_restore("-", &ro, &got, NULL, err, sizeof(err));
	*first = (now_ns() - t0) / 1e9;
	dup2(saved, 0);
	close(saved);
	if (ret)
		printf("# restore - --lazy: %s\n", err);
	waitpid(feeder, &st, 0);
	*end = (now_ns() - t0) / 1e9;
	if (!ret && (!WIFEXITED(st) || WEXITSTATUS(st)))
		ret = -1;
	for (int i = 0; !ret && i < 60000 && server > 0 &&
	     waitpid(server, NULL, WNOHANG) != server && !kill(server, 0); i++)
		usleep(1000);
	if (got > 0)
		kill_restored(got);
	return ret ? -1 : 0;
}

/*
 * Lazy restore against a full restore of the same generation: how long
 * until the restored program runs (libckpt_restore() returns right after
 * the release, in both) and, lazily, until the page server exits with
 * every page in place and the checksum checked; that again with the
 * restored program stopped once it runs (the server alone, not sharing
 * the CPUs with the program's own writes and faults).
 */
static int do_lazy(const struct opts *o)
{
	double full[MAX_RUNS], first[MAX_RUNS], all[MAX_RUNS], still[MAX_RUNS], unused;
	double first_r[MAX_RUNS], all_r[MAX_RUNS], still_r[MAX_RUNS];
	double s_first[MAX_RUNS], s_end[MAX_RUNS], s_r[MAX_RUNS];
	double huge_full[MAX_RUNS], huge_lazy[MAX_RUNS];
	long before, huge;
	struct workload w = { 0 };
	unsigned int r, n = 0;
	pid_t got;

	before = checkpoint_once(o, &w);
	if (before < 0)
		return 1;
	wl_kill_keep_ctl(&w);
	if (export_newest(o->area))
		return 1;
	for (r = 0; r < o->runs; r++) {
		full[n] = timed_restore(o->area, &huge);
		huge_full[n] = huge / 1024.0;
		if (full[n] < 0 || timed_lazy(o->area, false, &first[n], &all[n], &got))
			break;
		huge_lazy[n] = anon_huge_kb(got) / 1024.0;
		kill_restored(got);
		if (timed_lazy(o->area, true, &unused, &still[n], &got))
			break;
		kill_restored(got);
		if (timed_stream_lazy(&s_first[n], &s_end[n]))
			break;
		s_r[n] = s_first[n] / s_end[n];
		first_r[n] = first[n] / full[n];
		all_r[n] = all[n] / full[n];
		still_r[n] = still[n] / full[n];
		n++;
	}
	munmap(w.ctl, sizeof(*w.ctl));
	unlink(TMPFS_IMAGE);
	if (!n)
		return 1;
	report("full_restore", "s", full, n);
	report("lazy_first", "s", first, n);
	report("lazy_all_pages", "s", all, n);
	report("lazy_first_over_full", "ratio", first_r, n);
	report("lazy_all_over_full", "ratio", all_r, n);
	report("lazy_all_pages_stopped", "s", still, n);
	report("lazy_all_stopped_over_full", "ratio", still_r, n);
	report("lazy_stream_first", "s", s_first, n);
	report("lazy_stream_end", "s", s_end, n);
	report("lazy_stream_first_over_end", "ratio", s_r, n);
	report("full_anon_huge", "MiB", huge_full, n);
	report("lazy_anon_huge", "MiB", huge_lazy, n);
	printf("# AnonHugePages: %ld kB at the checkpoint\n", before);
	printf("# lazy first instruction / full restore: %.3f (target <= 0.1); all pages / full restore: %.2f (target <= 1)\n",
	       stats(first_r, n).med, stats(all_r, n).med);
	return 0;
}

/* One checkpoint of a fresh workload by `criu dump` into @o->dir/full; 0 or -1. */
static int criu_checkpoint(const struct opts *o)
{
	struct workload w = { 0 };
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s/full", o->dir, o->dir);
	if (system(cmd) || wl_start(&w, (size_t)o->mib << 20, o->thp, o->threads))
		return -1;
	snprintf(cmd, sizeof(cmd), "criu dump -t %d -D %s/full -o dump.log", w.pid, o->dir);
	if (timed(cmd) < 0) {
		wl_stop(&w);
		return -1;
	}
	waitpid(w.pid, NULL, 0);
	munmap(w.ctl, sizeof(*w.ctl));
	return 0;
}

/*
 * Restore only, both tools, the image in tmpfs (and ckpt's from the area
 * too): one checkpoint of a fresh workload by each, then @runs rounds of
 * restores, each timed and killed again. Also the restored process's
 * AnonHugePages, to compare with the workload's at the checkpoint.
 */
static int do_restore(const struct opts *o)
{
	double ck[MAX_RUNS], ar[MAX_RUNS], cr[MAX_RUNS], ratio[MAX_RUNS],
	       ratio_area[MAX_RUNS], huge[MAX_RUNS], before_mib;
	struct workload w = { 0 };
	unsigned int r, n = 0;
	char cmd[512];
	long before, kb = -1;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	before = checkpoint_once(o, &w);
	if (before < 0)
		return 1;
	wl_stop(&w);
	if (export_newest(o->area) || criu_checkpoint(o))
		return 1;
	printf("# checkpoint: AnonHugePages %ld kB\n", before);
	for (r = 0; r < o->runs; r++) {
		ck[n] = timed_restore(TMPFS_IMAGE, &kb);
		huge[n] = kb / 1024.0;
		cr[n] = ck[n] < 0 ? -1 : criu_restore(o->dir);
		ar[n] = cr[n] < 0 ? -1 : timed_restore(o->area, NULL);
		if (ar[n] < 0)
			break;
		ratio[n] = ck[n] / cr[n];
		ratio_area[n] = ar[n] / cr[n];
		printf("# sample %u: ckpt restore %.3f s (AnonHugePages %.0f MiB), criu restore %.3f s, ratio %.2f; ckpt from the area %.3f s, ratio %.2f\n",
		       r, ck[n], huge[n], cr[n], ratio[n], ar[n], ratio_area[n]);
		n++;
	}
	unlink(TMPFS_IMAGE);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", o->dir);
	if (system(cmd) || !n)
		return 1;
	before_mib = before / 1024.0;
	report("ckpt_restore_tmpfs", "s", ck, n);
	report("ckpt_restore_area", "s", ar, n);
	report("criu_restore", "s", cr, n);
	report("restore_ckpt_tmpfs_over_criu", "x", ratio, n);
	report("restore_ckpt_area_over_criu", "x", ratio_area, n);
	report("checkpoint_anon_huge", "MiB", &before_mib, 1);
	report("restored_anon_huge", "MiB", huge, n);
	return n < o->runs;
}

static int ckpt_side(const struct opts *o, struct libckpt *h, int fd,
		     struct cmp_sample *s)
{
	size_t len = (size_t)o->mib << 20;
	struct libckpt_job job, done;
	struct workload w = { 0 };
	uint64_t t0, t1, w0, w1;
	double base;

	if (wl_start(&w, len, o->thp, o->threads))
		return -1;
	/* The longest gap without a freeze too: 8 threads share 2 CPUs. */
	w.ctl->reset_gen++;
	base = wl_rate(&w, 1000);
	s->baseline = wl_maxgap(&w) / 1e3;
	w.ctl->reset_gen++;
	t0 = now_ns();
	if (libckpt_freeze(h, w.pid, fd, 0, &job)) {
		printf("# freeze: %s\n", libckpt_error(h));
		wl_stop(&w);
		return -1;
	}
	w0 = wl_writes(&w);
	t1 = now_ns();
	usleep(20000);
	s->stall = wl_maxgap(&w) / 1e3;
	if (libckpt_wait(h, job.id, &done) || done.state != CKPT_JOB_COMMITTED) {
		printf("# wait: %s%s\n", libckpt_error(h), done.error_msg);
		wl_stop(&w);
		return -1;
	}
	w1 = wl_writes(&w);
	s->freeze = job.freeze_ns / 1e3;
	s->park = job.park_ns / 1e3;
	s->capture = job.capture_ns / 1e3;
	s->flush = job.flush_ns / 1e3;
	/* The rest of the stop: SIGSTOP (dump --kill) and the group's wake-up. */
	s->release = (double)(job.freeze_ns - job.park_ns - job.capture_ns -
			      job.flush_ns) / 1e3;
	/*
	 * What the workload waited beyond the kernel's stop: for a CPU after
	 * the release, its first faults (or a longer pre-pass hold).
	 */
	s->resume = s->stall - s->freeze;
	s->call = (t1 - t0) / 1e3;
	s->per_page = job.nr_pages ? (double)job.freeze_ns / job.nr_pages : 0;
	s->commit = (now_ns() - t0) / 1e9;
	s->writer = done.image_len / (done.stream_ns / 1e9) / 1e6;
	s->tput = base > 0 ? 100.0 * ((w1 - w0) / ((now_ns() - t1) / 1e9)) / base : 0;
	wl_kill_keep_ctl(&w);
	if (!o->no_restore) {
		s->restore = timed_restore(o->area, NULL);
		/* From tmpfs too, where CRIU's images are: like for like. */
		s->restore_tmpfs = export_newest(o->area) ? -1 :
				   timed_restore(TMPFS_IMAGE, NULL);
		unlink(TMPFS_IMAGE);
	}
	munmap(w.ctl, sizeof(*w.ctl));
	return 0;
}

/* criu pre-dump, then criu dump against it: the final dump's stall. */
static int criu_predump(const struct opts *o, const char *dir, struct cmp_sample *s)
{
	struct workload w = { 0 };
	char cmd[512];

	if (wl_start(&w, (size_t)o->mib << 20, o->thp, o->threads))
		return -1;
	w.ctl->reset_gen++;
	snprintf(cmd, sizeof(cmd), "criu pre-dump -t %d -D %s/pre --track-mem -o pre.log",
		 w.pid, dir);
	if (timed(cmd) < 0) {
		wl_stop(&w);
		return -1;
	}
	usleep(20000);
	s->c_pre_stall = wl_maxgap(&w) / 1e3;
	wl_rate(&w, 200);
	w.ctl->reset_gen++;
	snprintf(cmd, sizeof(cmd),
		 "criu dump -t %d -D %s/dump --prev-images-dir ../pre --track-mem --leave-running -o dump.log",
		 w.pid, dir);
	if (timed(cmd) < 0) {
		wl_stop(&w);
		return -1;
	}
	usleep(20000);
	s->c_pd_stall = wl_maxgap(&w) / 1e3;
	wl_stop(&w);
	return 0;
}

static int criu_side(const struct opts *o, const char *dir, struct cmp_sample *s)
{
	size_t len = (size_t)o->mib << 20;
	struct workload w = { 0 };
	char cmd[512];

	/* criu dump --leave-running: the stall and the total time. */
	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s/full %s/pre %s/dump", dir, dir,
		 dir, dir);
	if (system(cmd) || wl_start(&w, len, o->thp, o->threads))
		return -1;
	w.ctl->reset_gen++;
	snprintf(cmd, sizeof(cmd), "criu dump -t %d -D %s/full --leave-running -o dump.log",
		 w.pid, dir);
	s->c_total = timed(cmd);
	usleep(20000);
	s->c_stall = wl_maxgap(&w) / 1e3;
	wl_stop(&w);
	if (s->c_total < 0)
		return -1;

	if (!o->no_restore)
		s->c_restore = criu_restore(dir);
	/* The full dump's images go before the pre-dump's two sets come. */
	snprintf(cmd, sizeof(cmd), "rm -rf %s/full", dir);
	if (system(cmd) || (!o->no_predump && criu_predump(o, dir, s)))
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

/* Which part of a compare run measures a metric (--no-restore, --no-predump). */
enum { CMP_ALWAYS, CMP_RESTORE, CMP_PREDUMP };

#define CM(field, name, unit, part) \
	{ name, unit, offsetof(struct cmp_sample, field), part }

static const struct cmp_metric {
	const char *name, *unit;
	size_t off;		/* of a double in struct cmp_sample */
	int part;
} cmp_metrics[] = {
	CM(freeze, "ckpt_freeze", "us", CMP_ALWAYS),
	CM(park, "ckpt_park", "us", CMP_ALWAYS),
	CM(capture, "ckpt_capture", "us", CMP_ALWAYS),
	CM(flush, "ckpt_flush", "us", CMP_ALWAYS),
	CM(release, "ckpt_release", "us", CMP_ALWAYS),
	CM(resume, "ckpt_resume", "us", CMP_ALWAYS),
	CM(call, "ckpt_freeze_call", "us", CMP_ALWAYS),
	CM(stall, "ckpt_stall", "us", CMP_ALWAYS),
	CM(baseline, "ckpt_stall_baseline", "us", CMP_ALWAYS),
	CM(per_page, "ckpt_freeze_per_page", "ns", CMP_ALWAYS),
	CM(commit, "ckpt_commit", "s", CMP_ALWAYS),
	CM(writer, "ckpt_writer", "MB/s", CMP_ALWAYS),
	CM(tput, "ckpt_tput_streaming", "%", CMP_ALWAYS),
	CM(c_stall, "criu_dump_stall", "us", CMP_ALWAYS),
	CM(c_total, "criu_dump_total", "s", CMP_ALWAYS),
	CM(stall_ratio, "stall_ckpt_over_criu", "x", CMP_ALWAYS),
	CM(restore, "ckpt_restore", "s", CMP_RESTORE),
	CM(restore_tmpfs, "ckpt_restore_tmpfs", "s", CMP_RESTORE),
	CM(c_restore, "criu_restore", "s", CMP_RESTORE),
	CM(restore_ratio, "restore_ckpt_tmpfs_over_criu", "x", CMP_RESTORE),
	CM(c_pre_stall, "criu_predump_stall", "us", CMP_PREDUMP),
	CM(c_pd_stall, "criu_dump_after_predump_stall", "us", CMP_PREDUMP),
	CM(pd_ratio, "stall_ckpt_over_criu_predump", "x", CMP_PREDUMP),
};

#define NR_CMP_METRICS	(sizeof(cmp_metrics) / sizeof(cmp_metrics[0]))

static double *cmp_field(struct cmp_sample *s, const struct cmp_metric *m)
{
	return (double *)((char *)s + m->off);
}

static int cmp_measured(const struct opts *o, const struct cmp_metric *m)
{
	return m->part == CMP_ALWAYS || (m->part == CMP_RESTORE && !o->no_restore) ||
	       (m->part == CMP_PREDUMP && !o->no_predump);
}

static void cmp_print(int i, const struct cmp_sample *s)
{
	printf("# sample %d: ckpt freeze %.1f us (park %.1f, capture %.1f, flush %.1f, release %.1f; call %.1f us), stall %.1f us (%.1f us without a freeze), commit %.2f s, writer %.1f MB/s, throughput while streaming %.0f%%, restore %.2f s (from tmpfs %.2f s) | criu dump stall %.1f us (total %.2f s), pre-dump stall %.1f us then dump stall %.1f us, restore %.2f s\n",
	       i, s->freeze, s->park, s->capture, s->flush, s->release, s->call, s->stall,
	       s->baseline, s->commit, s->writer, s->tput, s->restore, s->restore_tmpfs, s->c_stall,
	       s->c_total, s->c_pre_stall, s->c_pd_stall, s->c_restore);
}

static int do_compare(const struct opts *o)
{
	static double v[NR_CMP_METRICS][MAX_RUNS];
	struct libckpt *h;
	int fd, i, n = 0, bad = 0;
	size_t k;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (open_ckpt(&h, &fd, o->area))
		return 1;
	for (i = 0; i < (int)o->runs; i++) {
		struct cmp_sample s = { 0 };

		if (ckpt_side(o, h, fd, &s) || criu_side(o, o->dir, &s)) {
			printf("# sample %d could not be measured\n", i);
			bad = 1;
			continue;
		}
		s.stall_ratio = s.c_stall > 0 ? s.stall / s.c_stall : 0;
		s.restore_ratio = s.c_restore > 0 && s.restore_tmpfs > 0 ?
				  s.restore_tmpfs / s.c_restore : 0;
		s.pd_ratio = s.c_pd_stall > 0 ? s.stall / s.c_pd_stall : 0;
		cmp_print(i, &s);
		for (k = 0; k < NR_CMP_METRICS; k++)
			v[k][n] = *cmp_field(&s, &cmp_metrics[k]);
		n++;
	}
	for (k = 0; n && k < NR_CMP_METRICS; k++)
		if (cmp_measured(o, &cmp_metrics[k]))
			report(cmp_metrics[k].name, cmp_metrics[k].unit, v[k], n);
	libckpt_close(h);
	close(fd);
	return bad || !n;
}

static int do_stream(const struct opts *o)
{
	double wr[MAX_RUNS], secs[MAX_RUNS], lim[MAX_RUNS];
	struct libckpt_job job, done;
	struct workload w = { 0 };
	struct libckpt *h;
	int fd, n = 0, i;

	if (open_ckpt(&h, &fd, o->area))
		return 1;
	if (wl_start(&w, (size_t)o->mib << 20, 0, o->threads)) {
		printf("# workload did not start\n");
		libckpt_close(h);
		return 1;
	}
	for (i = 0; i < (int)o->runs; i++) {
		if (freeze_once(h, fd, &w, o->rate, &job, &done))
			break;
		wr[n] = done.image_len / (done.stream_ns / 1e9) / 1e6;
		secs[n] = done.stream_ns / 1e9;
		lim[n] = o->rate ? done.image_len / (done.stream_ns / 1e9) /
				   o->rate : 0;
		printf("# stream %d: %" PRIu64 " bytes in %.3f s = %.1f MB/s (%.1f MiB/s)%s\n",
		       i, done.image_len, secs[n], wr[n],
		       wr[n] * 1e6 / (1 << 20),
		       o->rate ? " rate-limited" : "");
		fflush(stdout);
		n++;
		wait_sweeps(&w, 1, 120);
	}
	wl_stop(&w);
	if (n) {
		report("writer", "MB/s", wr, n);
		report("stream_time", "s", secs, n);
		if (o->rate) {
			double l = o->rate / 1e6;

			report("rate_limit", "MB/s", &l, 1);
			report("rate_over_limit", "x", lim, n);
		}
	}
	libckpt_close(h);
	close(fd);
	return n < (int)o->runs;
}

/* Writers asleep (a stable process), or running again. */
static int wl_pause(struct workload *w, int on)
{
	uint64_t end = now_ns() + 60000000000ULL;
	unsigned int t;
	int all;

	w->ctl->pause_req = on;
	do {
		usleep(200);
		for (all = 1, t = 0; t < w->threads; t++)
			all &= w->ctl->paused[t] == on;
	} while (!all && now_ns() < end);
	return all ? 0 : -1;
}

static int wl_dirty(struct workload *w, uint64_t pages)
{
	w->ctl->dirty_pages = pages;
	w->ctl->dirty_done = 0;
	w->ctl->dirty_req = 1;
	return wait_for(&w->ctl->dirty_done, w, 60);
}

static int freeze_incr(struct libckpt *h, int fd, struct workload *w,
		       struct libckpt_job *done)
{
	struct libckpt_freeze_opts fo = { .flags = LIBCKPT_F_INCREMENTAL };
	struct libckpt_job job;
	int ret = libckpt_freeze_with(h, w->pid, fd, &fo, &job);

	if (ret) {
		printf("# freeze --incremental: %s: %s\n", strerror(-ret), libckpt_error(h));
		return -1;
	}
	ret = libckpt_wait(h, job.id, done);
	if (ret || done->state != CKPT_JOB_COMMITTED) {
		printf("# wait: %s: %s\n", strerror(-ret), done->error_msg);
		return -1;
	}
	return 0;
}

/*
 * Incremental generations (Documentation/incremental.rst), two targets:
 * - an @o->mib process (256 MiB) that wrote 1 MiB since its last
 *   checkpoint: the incremental image's bytes and freeze-to-commit time
 *   against the full image's (<= 5 % of the bytes, <= 1/20 of the time);
 * - a 64 MiB process whose writers sweep 1 MiB (a small working set),
 *   checkpointed incrementally back to back for 3 s: checkpoints a second
 *   (target 100) and the writers' throughput against 3 s without (>= 90 %).
 */
static int do_incr(const struct opts *o)
{
	double fb[MAX_RUNS], ib[MAX_RUNS], ft[MAX_RUNS], it[MAX_RUNS],
	       br[MAX_RUNS], tr[MAX_RUNS], cps[MAX_RUNS], thr[MAX_RUNS];
	struct libckpt_job full, inc;
	struct workload w = { 0 };
	struct libckpt *h;
	int fd, n = 0, m = 0, i, k;

	if (open_ckpt(&h, &fd, o->area))
		return 1;
	if (wl_start(&w, (size_t)o->mib << 20, 0, 1) || wl_pause(&w, 1)) {
		printf("# workload did not start\n");
		libckpt_close(h);
		return 1;
	}
	for (i = 0; i < (int)o->runs; i++) {
		/* Without --incremental: full, and the parent of the next. */
		if (freeze_once(h, fd, &w, 0, &inc, &full) || wl_dirty(&w, 256) ||
		    freeze_incr(h, fd, &w, &inc))
			break;
		if (!inc.parent_generation) {
			printf("# the second checkpoint was not incremental\n");
			break;
		}
		fb[n] = full.image_len;
		ib[n] = inc.image_len;
		ft[n] = (full.freeze_ns + full.stream_ns) / 1e9;
		it[n] = (inc.freeze_ns + inc.stream_ns) / 1e9;
		br[n] = ib[n] / fb[n];
		tr[n] = it[n] / ft[n];
		printf("# run %d: full %.0f bytes in %.3f s; after 1 MiB written: %.0f bytes in %.4f s (%.2f %% of the bytes, 1/%.0f of the time)\n",
		       i, fb[n], ft[n], ib[n], it[n], 100 * br[n], 1 / tr[n]);
		n++;
	}
	wl_stop(&w);
	if (n) {
		report("full_bytes", "B", fb, n);
		report("incr_bytes", "B", ib, n);
		report("full_commit", "s", ft, n);
		report("incr_commit", "s", it, n);
		report("incr_over_full_bytes", "ratio", br, n);
		report("incr_over_full_time", "ratio", tr, n);
		printf("# incremental after 1 MiB written in %u MiB: %.2f %% of the full image's bytes (target <= 5 %%), 1/%.0f of its commit time (target <= 1/20)\n",
		       o->mib, 100 * stats(br, n).med, 1 / stats(tr, n).med);
	}

	g_mib = 64;
	if (wl_start(&w, 64 << 20, 0, 1)) {
		printf("# workload did not start\n");
		libckpt_close(h);
		return 1;
	}
	w.ctl->ws_pages = 256;
	/* The full image the first chain starts from: not timed. */
	if (freeze_incr(h, fd, &w, &inc)) {
		wl_stop(&w);
		libckpt_close(h);
		return 1;
	}
	for (i = 0; i < (int)o->runs; i++) {
		double alone, with, secs;
		uint64_t w0, t0;

		alone = wl_rate(&w, 3000);
		/* Each builds on the one before (a full one every incr_max_chain). */
		w0 = wl_writes(&w);
		t0 = now_ns();
		for (k = 0; now_ns() - t0 < 3000000000ULL; k++)
			if (freeze_incr(h, fd, &w, &inc))
				break;
		secs = (now_ns() - t0) / 1e9;
		with = (wl_writes(&w) - w0) / secs;
		if (now_ns() - t0 < 3000000000ULL)
			break;
		cps[m] = k / secs;
		thr[m] = with / alone;
		printf("# run %d: %d checkpoints in %.2f s = %.1f/s; throughput %.0f pages/s against %.0f alone (%.1f %%); last image %" PRIu64 " bytes\n",
		       i, k, secs, cps[m], with, alone, 100 * thr[m], inc.image_len);
		m++;
	}
	wl_stop(&w);
	if (m) {
		report("checkpoints_per_s", "1/s", cps, m);
		report("throughput_with_ckpt", "ratio", thr, m);
		printf("# 64 MiB, 1 MiB working set: %.1f checkpoints/s (target 100), throughput %.1f %% (target >= 90 %%)\n",
		       stats(cps, m).med, 100 * stats(thr, m).med);
	}
	libckpt_close(h);
	close(fd);
	return n < (int)o->runs || m < (int)o->runs;
}

static int do_raw(const struct opts *o)
{
	size_t bs = 1 << 20, i, count = o->mib;
	double mbs[MAX_RUNS];
	int fd, n = 0, r;
	void *buf;

	if (posix_memalign(&buf, 4096, bs))
		return 1;
	memset(buf, 0x5a, bs);
	for (r = 0; r < (int)o->runs; r++) {
		uint64_t t0, t1;

		fd = open(o->area, O_WRONLY | (o->buffered ? 0 : O_DIRECT));
		if (fd < 0) {
			printf("# open %s: %s\n", o->area, strerror(errno));
			return 1;
		}
		t0 = now_ns();
		for (i = 0; i < count; i++)
			if (write(fd, buf, bs) != (ssize_t)bs) {
				printf("# write: %s\n", strerror(errno));
				close(fd);
				return 1;
			}
		if (fsync(fd)) {
			printf("# fsync: %s\n", strerror(errno));
			close(fd);
			return 1;
		}
		t1 = now_ns();
		close(fd);
		mbs[n] = (double)count * bs / ((t1 - t0) / 1e9) / 1e6;
		printf("# raw %s %d: %zu MiB in %.3f s = %.1f MB/s\n",
		       o->buffered ? "buffered+fsync" : "O_DIRECT", r, count,
		       (t1 - t0) / 1e9, mbs[n]);
		fflush(stdout);
		n++;
	}
	report("raw", "MB/s", mbs, n);
	free(buf);
	return 0;
}

#define PREPASS_PARAM	"/sys/module/ckpt/parameters/prepass"

/* Set the two-phase freeze on or off; the setting before, or -1. */
static int set_prepass(int on)
{
	char was = 0;
	FILE *f;

	f = fopen(PREPASS_PARAM, "r");
	if (!f || fscanf(f, " %c", &was) != 1)
		was = 0;
	if (f)
		fclose(f);
	f = fopen(PREPASS_PARAM, "w");
	if (!f || fprintf(f, "%d\n", on) < 0 || fclose(f)) {
		printf("# cannot set %s: %s\n", PREPASS_PARAM, strerror(errno));
		return -1;
	}
	return was == 'Y' || was == '1';
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "area", required_argument, NULL, 'a' },
		{ "dev", required_argument, NULL, 'a' },
		{ "mib", required_argument, NULL, 'm' },
		{ "mode", required_argument, NULL, 'M' },
		{ "threads", required_argument, NULL, 't' },
		{ "runs", required_argument, NULL, 'r' },
		{ "rate", required_argument, NULL, 'R' },
		{ "fresh", no_argument, NULL, 'f' },
		{ "buffered", no_argument, NULL, 'b' },
		{ "dir", required_argument, NULL, 'd' },
		{ "prepass", required_argument, NULL, 'P' },
		{ "no-restore", no_argument, NULL, 'N' },
		{ "no-predump", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .area = "/dev/vda", .mib = 64, .threads = 1,
			  .runs = 5, .dir = "/tmp/criu-images", .prepass = -1 };
	const char *cmd;
	int c, ret;

	if (argc < 2) {
		fprintf(stderr, "usage: ckpt_bench freeze|compare|restore|stream|raw|lazy [options]\n");
		return 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'a': o.area = optarg; break;
		case 'm': o.mib = strtoul(optarg, NULL, 0); break;
		case 'M': o.thp = !strcmp(optarg, "thp"); break;
		case 't': o.threads = strtoul(optarg, NULL, 0); break;
		case 'r': o.runs = strtoul(optarg, NULL, 0); break;
		case 'R': o.rate = strtoull(optarg, NULL, 0); break;
		case 'f': o.fresh = 1; break;
		case 'b': o.buffered = 1; break;
		case 'd': o.dir = optarg; break;
		case 'P': o.prepass = !!atoi(optarg); break;
		case 'N': o.no_restore = 1; break;
		case 'D': o.no_predump = 1; break;
		default: return 2;
		}
	}
	if (!o.threads || o.threads > MAX_THREADS || !o.runs ||
	    o.runs >= MAX_RUNS || !o.mib) {
		fprintf(stderr, "ckpt_bench: bad --threads/--runs/--mib\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	g_section = cmd;
	g_mib = o.mib;
	g_threads = o.threads;
	/* Also a section: incr (do_incr()). */
	if (!strcmp(cmd, "incr")) {
		g_mode = "4k";
		return do_incr(&o);
	}
	if (!strcmp(cmd, "freeze") || !strcmp(cmd, "compare")) {
		int was = o.prepass < 0 ? -1 : set_prepass(o.prepass);

		g_mode = o.thp ? "thp" : "4k";
		if (o.prepass == 0)
			g_mode = o.thp ? "thp-onepass" : "4k-onepass";
		ret = !strcmp(cmd, "freeze") ? do_freeze(&o) : do_compare(&o);
		if (was >= 0)
			set_prepass(was);
		return ret;
	}
	if (!strcmp(cmd, "stream")) {
		static char mode[32];

		snprintf(mode, sizeof(mode), "rate%llu",
			 (unsigned long long)(o.rate >> 20));
		g_mode = o.rate ? mode : "4k";
		return do_stream(&o);
	}
	if (!strcmp(cmd, "lazy")) {
		g_mode = o.thp ? "thp" : "4k";
		return do_lazy(&o);
	}
	if (!strcmp(cmd, "restore")) {
		g_mode = o.thp ? "thp" : "4k";
		return do_restore(&o);
	}
	if (!strcmp(cmd, "raw")) {
		g_mode = o.buffered ? "buf" : "direct";
		g_threads = 0;
		return do_raw(&o);
	}
	fprintf(stderr, "ckpt_bench: unknown section %s\n", cmd);
	return 2;
}
