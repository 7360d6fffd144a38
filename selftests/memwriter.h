/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * memwriter: a self-checking workload that keeps rewriting its memory in
 * numbered generations, so a snapshot can be checked for being one instant.
 *
 * Regions: anonymous memory (two halves, two threads), a THP region, a
 * private file mapping and a shared-memory region (one thread each for the
 * last; the file and shmem regions form one sequence). Every page holds its
 * generation in word 0 and a pattern of its own address in words 1..511,
 * written once. Each thread sweeps its pages in address order: it checks
 * that word 0 holds the previous generation and the pattern is intact, then
 * stores the next generation (one aligned 8-byte store, so a page is never
 * torn). A snapshot of one instant therefore shows, per thread, generation
 * G on a prefix of its pages and G-1 on the rest — one drop, by exactly one.
 */
#ifndef CKPT_MEMWRITER_H
#define CKPT_MEMWRITER_H

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define MW_THREADS	4
#define MW_PAGE		4096UL
#define MW_WORDS	(MW_PAGE / 8)
#define MW_SEGS		2	/* most segments one thread sweeps */

struct mw_seg {
	uint64_t start;
	uint64_t pages;
};

/* Shared between the workload and the test (MAP_SHARED before fork). */
struct mw_control {
	volatile uint64_t ready;	/* initial sweep done by all */
	volatile uint64_t stop;
	volatile uint64_t failures;	/* self-check failures */
	volatile uint64_t done[MW_THREADS];	/* last completed generation */
	struct mw_seg seq[MW_THREADS][MW_SEGS];
	uint64_t thp_start, thp_len;
};

static inline uint64_t mw_pattern(uint64_t addr, unsigned int word)
{
	return (addr + word) * 0x9E3779B97F4A7C15ULL;
}

struct mw_thread_arg {
	struct mw_control *ctl;
	unsigned int t;
};

static inline void mw_init_page(uint64_t addr)
{
	uint64_t *w = (uint64_t *)addr;
	unsigned int i;

	for (i = 1; i < MW_WORDS; i++)
		w[i] = mw_pattern(addr, i);
	w[0] = 1;
}

static inline void *mw_thread(void *p)
{
	struct mw_thread_arg *a = p;
	struct mw_control *ctl = a->ctl;
	uint64_t g, n, addr;
	unsigned int s, probe = 1;

	for (g = 2; !ctl->stop; g++) {
		for (s = 0; s < MW_SEGS; s++) {
			struct mw_seg *seg = &ctl->seq[a->t][s];

			for (n = 0; n < seg->pages; n++) {
				uint64_t *w;

				addr = seg->start + n * MW_PAGE;
				w = (uint64_t *)addr;
				probe = probe % (MW_WORDS - 1) + 1;
				if (w[0] != g - 1 ||
				    w[probe] != mw_pattern(addr, probe))
					__atomic_add_fetch(&ctl->failures, 1,
							   __ATOMIC_RELAXED);
				__atomic_store_n(&w[0], g, __ATOMIC_RELAXED);
			}
		}
		ctl->done[a->t] = g;
	}
	return NULL;
}

static inline void *mw_map(size_t len, int flags, int fd)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Fill every page of ctl->seq, then run the threads until ctl->stop.
 * Returns the workload's exit status.
 */
static inline int mw_start(struct mw_control *ctl)
{
	struct mw_thread_arg args[MW_THREADS];
	pthread_t th[MW_THREADS];
	unsigned int t, s;
	uint64_t i;

	for (t = 0; t < MW_THREADS; t++)
		for (s = 0; s < MW_SEGS; s++)
			for (i = 0; i < ctl->seq[t][s].pages; i++)
				mw_init_page(ctl->seq[t][s].start + i * MW_PAGE);

	for (t = 0; t < MW_THREADS; t++) {
		ctl->done[t] = 1;
		args[t] = (struct mw_thread_arg){ ctl, t };
		if (pthread_create(&th[t], NULL, mw_thread, &args[t]))
			return 12;
	}
	ctl->ready = 1;
	for (t = 0; t < MW_THREADS; t++)
		pthread_join(th[t], NULL);
	return ctl->failures ? 1 : 0;
}

/*
 * Set up the regions (sizes in MiB) and run the threads until ctl->stop.
 * Runs in the workload process; returns its exit status.
 */
static inline int mw_run(struct mw_control *ctl, unsigned int anon_mib,
			 unsigned int thp_mib, unsigned int file_mib,
			 unsigned int shm_mib, const char *file_path)
{
	uint64_t anon, thp, file, shm, half;
	int fd;

	anon = (uint64_t)mw_map(anon_mib << 20, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	/* 2 MiB-aligned so the THP region can be PMD-mapped. */
	thp = (uint64_t)mw_map((thp_mib + 2) << 20,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1);
	shm = (uint64_t)mw_map(shm_mib << 20, MAP_SHARED | MAP_ANONYMOUS, -1);
	fd = open(file_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!anon || !thp || !shm || fd < 0 || ftruncate(fd, file_mib << 20))
		return 10;
	file = (uint64_t)mw_map(file_mib << 20, MAP_PRIVATE, fd);
	close(fd);
	if (!file)
		return 11;
	thp = (thp + (2UL << 20) - 1) & ~((2UL << 20) - 1);
	madvise((void *)thp, thp_mib << 20, MADV_HUGEPAGE);
	ctl->thp_start = thp;
	ctl->thp_len = (uint64_t)thp_mib << 20;

	half = ((uint64_t)anon_mib << 20) / MW_PAGE / 2;
	ctl->seq[0][0] = (struct mw_seg){ anon, half };
	ctl->seq[1][0] = (struct mw_seg){ anon + half * MW_PAGE, half };
	ctl->seq[2][0] = (struct mw_seg){ thp, ((uint64_t)thp_mib << 20) / MW_PAGE };
	ctl->seq[3][0] = (struct mw_seg){ file, ((uint64_t)file_mib << 20) / MW_PAGE };
	ctl->seq[3][1] = (struct mw_seg){ shm, ((uint64_t)shm_mib << 20) / MW_PAGE };
	return mw_start(ctl);
}

#endif /* CKPT_MEMWRITER_H */
