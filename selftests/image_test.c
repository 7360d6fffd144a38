// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The image and area readers of libckpt, and ckptctl area/show, against
 * images made by a small writer in this file (the module's writer does not
 * exist yet): damaged and inconsistent inputs are refused with the right
 * error, valid ones give back every page at its address.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"
#include "../lib/format.h"	/* libckpt_crc32c*: white-box */

/* --- a minimal image writer --------------------------------------------- */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put_zeros(struct buf *b, size_t n)
{
	static const char zeros[8];

	put(b, zeros, n);
}

/* A record: header, two payload parts, zero padding to 8. */
static void rec(struct buf *b, uint32_t type, uint32_t flags,
		const void *a, size_t alen, const void *c, size_t clen)
{
	struct ckpt_rec_hdr h = { .type = type, .flags = flags,
				  .len = alen + clen };

	put(b, &h, sizeof(h));
	put(b, a, alen);
	if (clen)
		put(b, c, clen);
	put_zeros(b, -(alen + clen) & 7);
}

struct m_vma {
	uint64_t start, end;
	uint32_t flags;
	const char *path;
	uint32_t path_len;
};

struct m_run {
	uint64_t addr;
	uint32_t n;
};

struct m_task {
	uint32_t pid, ppid;
	const char *comm;
	uint32_t nr_threads;
	uint32_t tids[2];
	int nr_vmas, nr_runs;
	struct m_vma vmas[4];
	struct m_run runs[6];
	int nr_late;		/* of runs, those of the second sweep */
	struct m_run late[2];
};

struct model {
	int nr_tasks;
	struct m_task t[2];
	uint64_t generation, created_ns;
};

#define R (CKPT_VMA_READ)
#define RW (CKPT_VMA_READ | CKPT_VMA_WRITE)
#define RX (CKPT_VMA_READ | CKPT_VMA_EXEC)
#define XSTATE_SIZE 576
#define STD_PAGES 8

/* Two processes, three threads, four mappings, eight pages. */
static void std_model(struct model *m)
{
	static const struct model std = {
		.nr_tasks = 2,
		.generation = 0,
		.created_ns = 1767225600123456789ULL,
		.t = {
			{ .pid = 100, .ppid = 1, .comm = "alpha", .nr_threads = 2,
			  .tids = { 100, 101 }, .nr_vmas = 3, .nr_runs = 4,
			  .vmas = {
				{ 0x400000, 0x402000, RX, "/usr/bin/alpha", 14 },
				{ 0x600000, 0x604000, RW | CKPT_VMA_ANON | CKPT_VMA_HEAP },
				{ 0x7ffd0000, 0x7ffd2000,
				  RW | CKPT_VMA_ANON | CKPT_VMA_STACK },
			  },
			  .runs = { { 0x400000, 2 }, { 0x600000, 1 },
				    { 0x602000, 2 }, { 0x7ffd1000, 1 } } },
			{ .pid = 102, .ppid = 100, .comm = "beta-with-a-long-name",
			  .nr_threads = 1, .tids = { 102 }, .nr_vmas = 1,
			  .nr_runs = 2,
			  .vmas = { { 0x10000, 0x1010000, RW | CKPT_VMA_ANON } },
			  .runs = { { 0x10000, 1 }, { 0x1f000, 1 } } },
		},
	};

	*m = std;
}

/* The second process has 20 pages that come late, in the middle of its runs. */
static void late_model(struct model *m)
{
	static const struct m_run runs[] = {
		{ 0x10000, 1 }, { 0x1f000, 1 }, { 0x100000, 20 }, { 0x200000, 1 },
	};

	std_model(m);
	memcpy(m->t[1].runs, runs, sizeof(runs));
	m->t[1].nr_runs = 4;
	m->t[1].late[0] = runs[2];
	m->t[1].nr_late = 1;
}

/* What the writer gets wrong on purpose. */
enum mut {
	M_NONE,
	M_BAD_MAGIC, M_BAD_VERSION, M_HDR_SIZE, M_HDR_ZOMBIES,
	M_HDR_TASKS_MORE, M_HDR_TASKS_LESS, M_HDR_THREADS,
	M_TASK_THREADS_MORE, M_TASK_THREADS_LESS, M_TASK_VMAS_MORE,
	M_TASK_PAGES, M_VMA_PAGES, M_VMA_PAGES_SPAN, M_DUP_PID,
	M_PAGES_UNKNOWN_PID, M_PAGES_ORDER, M_BAD_TYPE, M_REC_FLAGS,
	M_TRAILER_LEN, M_TRAILER_CRC, M_TRAILER_MAGIC, M_PAD, M_GARBAGE,
	M_NO_TRAILER, M_REGS_SIZE, M_PATH_NUL, M_RUN_ZERO, M_RUN_PAD, M_ANON_PATH,
	M_VMA_FLAGS, M_PAGES_OUTSIDE, M_PAGES_SPAN_VMA, M_PAGES_OVERLAP,
	M_NO_PROC, M_FD_ORDER, M_FD_DATA_NOFLAG, M_NO_IDENTITY, M_IDENT_TID,
	M_IDENT_AUXV, M_IDENT_SCHED, M_VMA_CONTRA,
	M_FD_ID_SKIP, M_FD_ID_DIFFERS, M_OBJ_NO_STATE, M_OBJ_STATE_AGAIN,
	M_OBJ_INO, M_OBJ_STATE_SIZE,
	M_NO_TIMERS, M_TIMER_ORDER, M_TIMER_TID, M_TIMER_ID_COUNTER,
	M_NO_SIGNALS, M_SIG_NOT_PENDING, M_SIG_ORDER, M_SIG_STD_TWICE,
	M_ZOMBIE_PARENT, M_ZOMBIE_STATUS, M_ZOMBIE_PID,
	M_NO_LOCKS, M_LOCK_FILE_ID, M_LOCK_POSIX_PID, M_LOCK_RANGE,
	M_LOCK_OVERLAP, M_LOCK_KIND, M_LOCK_FLOCK_RANGE,
	M_NO_SYSV, M_SYSV_UNATTACHED, M_SYSV_NO_SEG,
	M_NO_TTY, M_TTY_TWICE, M_TTY_FG_NO_CTTY, M_TTY_NOT_NAMED,
	M_FORKED_NO_PAGE, M_FORKED_OVERLAP,
	M_TOUCHED_ORDER, M_TOUCHED_FLAGS,
	M_LATE_RULE, M_LATE_ONE_SWEEP, M_LATE_MISSING,
};

/* The contents every captured page carries: its owner and address. */
static uint64_t page_word(uint32_t pid, uint64_t addr, size_t i)
{
	return ((uint64_t)pid << 48) ^ (addr + i * 8) ^ 0x5a5a000000000000ULL;
}

static void fill_page(void *page, uint32_t pid, uint64_t addr)
{
	uint64_t *w = page;
	size_t i;

	for (i = 0; i < CKPT_PAGE_SIZE / 8; i++)
		w[i] = page_word(pid, addr, i);
}

static bool run_in(const struct m_run *r, const struct m_vma *v)
{
	return r->addr >= v->start &&
	       r->addr + (uint64_t)r->n * CKPT_PAGE_SIZE <= v->end;
}

static uint64_t task_pages(const struct m_task *t)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < t->nr_runs; i++)
		n += t->runs[i].n;
	return n;
}

static uint64_t vma_pages(const struct m_task *t, const struct m_vma *v)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < t->nr_runs; i++)
		if (run_in(&t->runs[i], v))
			n += t->runs[i].n;
	return n;
}

static void put_thread(struct buf *b, uint32_t tid, enum mut mut)
{
	struct ckpt_rec_thread th = {
		.tid = tid, .regs_size = sizeof(struct user_regs_struct),
		.xstate_size = XSTATE_SIZE, .fs_base = 0x7f0000001000ULL + tid,
	};
	unsigned char rx[sizeof(struct user_regs_struct) + XSTATE_SIZE];
	struct user_regs_struct regs = {
		.rip = 0x400000 + tid, .rsp = 0x7ffd1ff0 - tid,
		.orig_rax = (unsigned long long)-1,
	};

	if (mut == M_REGS_SIZE)
		th.regs_size = 100;
	/* Signal 40 is queued twice for thread 101 (put_signals()). */
	if (tid == 101)
		th.pending = 1ULL << (40 - 1);
	memset(rx, 0x5a, sizeof(rx));
	memcpy(rx, &regs, sizeof(regs));
	rec(b, CKPT_REC_THREAD, 0, &th, sizeof(th), rx,
	    th.regs_size + th.xstate_size);
}

static void put_vma(struct buf *b, const struct m_task *t, int i, enum mut mut)
{
	const struct m_vma *v = &t->vmas[i];
	struct ckpt_rec_vma r = {
		.start = v->start, .end = v->end, .flags = v->flags,
		.path_len = v->path_len, .ino = v->path_len ? 1234 : 0,
		.dev = v->path_len ? 0x801 : 0, .nr_pages = vma_pages(t, v),
	};
	size_t before = b->len;

	if (mut == M_VMA_PAGES && i == 1)
		r.nr_pages++;
	if (mut == M_VMA_PAGES_SPAN && i == 1)
		r.nr_pages = 5;
	if (mut == M_ANON_PATH && i == 1)
		r.ino = 7;
	if (mut == M_VMA_FLAGS && i == 1)
		r.flags |= 1U << 24;
	if (mut == M_SYSV_NO_SEG && i == 0)
		r.flags |= CKPT_VMA_SHARED | CKPT_VMA_SYSV;
	if (mut == M_VMA_CONTRA && i == 1)
		r.flags |= CKPT_VMA_SEQUENTIAL | CKPT_VMA_RANDOM;
	rec(b, CKPT_REC_VMA, 0, &r, sizeof(r), v->path, v->path_len);
	if (mut == M_PAD && v->path_len & 7)
		b->p[b->len - 1] = 0xee;
	(void)before;
}

static void put_proc(struct buf *b)
{
	static const char paths[] = "/tmp/work" "/" "/usr/bin/alpha";
	unsigned char extra[2 * sizeof(uint32_t) + sizeof(paths) - 1];
	struct ckpt_rec_proc r = {
		.uid = 1000, .euid = 1000, .suid = 1000, .fsuid = 1000,
		.umask = 027, .nr_groups = 2, .cwd_len = 9, .root_len = 1,
		.exe_len = 14,
	};
	uint32_t groups[2] = { 24, 27 };

	r.rlim[7].cur = 1024;
	r.sigaction[9].handler = 0x401000;
	/* SIGUSR1 queued with its siginfo, SIGHUP pending without one. */
	r.shared_pending = (1ULL << (10 - 1)) | (1ULL << (1 - 1));
	memcpy(extra, groups, sizeof(groups));
	memcpy(extra + sizeof(groups), paths, sizeof(paths) - 1);
	rec(b, CKPT_REC_PROC, 0, &r, sizeof(r), extra, sizeof(extra));
}

/*
 * Four descriptors: /dev/null on 0, a pipe holding "hello" on 3, and one
 * eventfd description (count 7, semaphore) on 4 and 5: its state on 4.
 */
static void put_fds(struct buf *b, enum mut mut)
{
	struct ckpt_fd_eventfd efd_state = { .count = 7, .flags = CKPT_EFD_SEMAPHORE };
	struct ckpt_rec_fd efd = {
		.fd = 4, .type = CKPT_FD_EVENTFD, .flags = CKPT_FD_OBJ_STATE,
		.f_flags = 02, .data_len = sizeof(efd_state), .file_id = 3,
	};
	struct ckpt_rec_fd efd_dup = {
		.fd = 5, .type = CKPT_FD_EVENTFD, .f_flags = 02, .file_id = 3,
	};
	struct ckpt_rec_fd null = {
		.fd = 0, .type = CKPT_FD_CHR, .f_flags = 02, .path_len = 9,
		.rdev = 0x103, .mode = 020666, .file_id = 1,
	};
	struct ckpt_rec_fd pipe = {
		.fd = 3, .type = CKPT_FD_PIPE, .flags = CKPT_FD_PIPE_DATA,
		.ino = 4242, .data_len = 5, .pipe_size = 65536, .mode = 010600,
		.file_id = 2,
	};

	if (mut == M_FD_ORDER)
		pipe.fd = 0;
	if (mut == M_FD_DATA_NOFLAG)
		pipe.flags = 0;
	if (mut == M_FD_ID_SKIP)
		pipe.file_id = 3;
	/* Said to share /dev/null's description, which is no pipe. */
	if (mut == M_FD_ID_DIFFERS)
		pipe.file_id = 1;
	if (mut == M_OBJ_NO_STATE) {
		efd.flags = 0;
		efd.data_len = 0;
	}
	if (mut == M_OBJ_STATE_AGAIN) {
		efd_dup.flags = CKPT_FD_OBJ_STATE;
		efd_dup.data_len = sizeof(efd_state);
	}
	if (mut == M_OBJ_INO)
		efd.ino = 1;
	if (mut == M_OBJ_STATE_SIZE)
		efd.data_len = sizeof(efd_state) - 8;
	rec(b, CKPT_REC_FD, 0, &null, sizeof(null), "/dev/null", 9);
	rec(b, CKPT_REC_FD, 0, &pipe, sizeof(pipe), "hello", 5);
	rec(b, CKPT_REC_FD, 0, &efd, sizeof(efd), &efd_state, efd.data_len);
	rec(b, CKPT_REC_FD, 0, &efd_dup, sizeof(efd_dup), &efd_state, efd_dup.data_len);
}

/* The IDENTITY record: a short auxv and one entry per thread. */
static void put_identity(struct buf *b, const struct m_task *t, enum mut mut)
{
	struct ckpt_rec_identity r = {
		.flags = CKPT_ID_SUBREAPER, .dumpable = 1, .nr_auxv = 4,
		.nr_threads = t->nr_threads,
	};
	unsigned char extra[4 * 8 + 2 * sizeof(struct ckpt_thread_identity)];
	uint64_t auxv[4] = { 6, 4096, 0, 0 };	/* AT_PAGESZ, AT_NULL */
	struct ckpt_thread_identity id[2] = { { 0 } };
	uint32_t j;

	if (mut == M_IDENT_AUXV)
		auxv[2] = 6;
	for (j = 0; j < t->nr_threads; j++) {
		id[j].tid = t->tids[j] + (mut == M_IDENT_TID && j == 1);
		id[j].pdeathsig = j ? 0 : 9;
		id[j].nice = j ? 5 : 0;
		id[j].timer_slack_ns = 50000;
		id[j].affinity[0] = mut == M_IDENT_SCHED && j == 1 ? 0 : 3;
		memcpy(id[j].comm, t->comm, strnlen(t->comm, sizeof(id[j].comm)));
	}
	memcpy(extra, auxv, sizeof(auxv));
	memcpy(extra + sizeof(auxv), id, t->nr_threads * sizeof(id[0]));
	rec(b, CKPT_REC_IDENTITY, 0, &r, sizeof(r), extra,
	    sizeof(auxv) + t->nr_threads * sizeof(id[0]));
}

/*
 * The first task's timers: ITIMER_REAL, a SIGEV_SIGNAL timer 2 and a
 * SIGEV_THREAD_ID timer 5 for thread 101 on its own CPU clock, with its
 * signal pending; the id counter at 7. The second task has none.
 */
static void put_timers(struct buf *b, bool first, enum mut mut)
{
	struct ckpt_rec_timers r = { .next_id = first ? 7 : 0 };
	struct ckpt_posix_timer t[2] = {
		{ .id = 2, .clock = 1, .notify = 0, .signo = 34, .sigval = 42,
		  .value_ns = 1500000000, .interval_ns = 250000000 },
		{ .id = 5, .clock_tid = 101,
		  .notify = 4, .notify_tid = 101, .signo = 35, .sigval = 7,
		  .flags = CKPT_TIMER_PENDING, .pending_overrun = 3,
		  .value_ns = 1000 },
	};

	if (!first) {
		rec(b, CKPT_REC_TIMERS, 0, &r, sizeof(r), NULL, 0);
		return;
	}
	/* make_thread_cpuclock(101, CPUCLOCK_SCHED) */
	t[1].clock = (int32_t)((~101U << 3) | 6);
	r.itimer[CKPT_ITIMER_REAL].value_ns = 3000000000ULL;
	r.nr_posix = 2;
	if (mut == M_TIMER_ORDER)
		t[1].id = 2;
	if (mut == M_TIMER_TID)
		t[1].notify_tid = 102;
	if (mut == M_TIMER_ID_COUNTER)
		r.next_id = 5;
	if (mut != M_NO_TIMERS)
		rec(b, CKPT_REC_TIMERS, 0, &r, sizeof(r), t, sizeof(t));
}

/* A siginfo_t's first bytes: signo, errno, code, then pid, uid, value. */
static struct ckpt_siginfo siginfo(uint32_t tid, int32_t sig, int32_t code,
				   uint64_t value)
{
	struct ckpt_siginfo si = { .tid = tid };
	int32_t head[5] = { sig, 0, code, 77, 1000 };

	memcpy(si.info, head, sizeof(head));
	memcpy(si.info + 24, &value, sizeof(value));
	return si;
}

/*
 * The first task's queued signals: SIGUSR1 sigqueue()d to the process,
 * signal 40 sigqueue()d twice to thread 101. The second task has none.
 */
static void put_signals(struct buf *b, bool first, enum mut mut)
{
	struct ckpt_rec_signals r = { 0 };
	struct ckpt_siginfo si[4] = {
		siginfo(0, 10, -1, 5),
		siginfo(101, 40, -1, 6),
		siginfo(101, 40, -1, 7),
	};

	if (first && mut == M_NO_SIGNALS)
		return;
	if (!first) {
		rec(b, CKPT_REC_SIGNALS, 0, &r, sizeof(r), NULL, 0);
		return;
	}
	r.nr_siginfo = 3;
	if (mut == M_SIG_NOT_PENDING)
		si[0] = siginfo(0, 12, -1, 5);
	if (mut == M_SIG_ORDER) {
		si[2] = si[0];
		si[0] = siginfo(101, 40, -1, 7);
	}
	if (mut == M_SIG_STD_TWICE)
		si[1] = siginfo(0, 10, 0, 0);
	rec(b, CKPT_REC_SIGNALS, 0, &r, sizeof(r), si, r.nr_siginfo * sizeof(si[0]));
}

/* One zombie, pid 103: a child of 100 that called exit(3). */
static void put_zombie(struct buf *b, enum mut mut)
{
	struct ckpt_rec_zombie z = {
		.pid = 103, .ppid = 100, .pgid = 100, .sid = 100,
		.status = 3 << 8, .exit_signal = 17, .uid = 1000,
		.comm = "gamma",
	};

	if (mut == M_ZOMBIE_PARENT)
		z.ppid = 999;
	if (mut == M_ZOMBIE_STATUS)
		z.status = 0x137f;	/* stopped by SIGSTOP: no death */
	if (mut == M_ZOMBIE_PID)
		z.pid = 102;
	rec(b, CKPT_REC_ZOMBIE, 0, &z, sizeof(z), NULL, 0);
}

/*
 * The second task's locks, all through its /dev/null description (file
 * id 1, first named by it): a flock() lock it took, two POSIX locks of its
 * own on ranges, an OFD lock to the end of the file. The first task has
 * none (and no descriptor to hold one through).
 */
static void put_locks(struct buf *b, const struct m_task *t, bool first,
		      enum mut mut)
{
	struct ckpt_rec_locks r = { .nr_locks = first ? 0 : 4 };
	struct ckpt_file_lock l[4] = {
		{ .file_id = 1, .kind = CKPT_LOCK_FLOCK, .type = CKPT_LOCK_WRITE,
		  .pid = t->pid, .end = CKPT_LOCK_EOF },
		{ .file_id = 1, .kind = CKPT_LOCK_POSIX, .type = CKPT_LOCK_READ,
		  .pid = t->pid, .start = 0, .end = 99 },
		{ .file_id = 1, .kind = CKPT_LOCK_POSIX, .type = CKPT_LOCK_WRITE,
		  .pid = t->pid, .start = 200, .end = 299 },
		{ .file_id = 1, .kind = CKPT_LOCK_OFD, .type = CKPT_LOCK_WRITE,
		  .start = 1000, .end = CKPT_LOCK_EOF },
	};

	if (first) {
		if (mut != M_NO_LOCKS)
			rec(b, CKPT_REC_LOCKS, 0, &r, sizeof(r), NULL, 0);
		return;
	}
	if (mut == M_LOCK_FILE_ID)
		l[3].file_id = 4;
	if (mut == M_LOCK_POSIX_PID)
		l[1].pid = 100;
	if (mut == M_LOCK_RANGE)
		l[2].start = 300;
	if (mut == M_LOCK_OVERLAP)
		l[2].start = 99;
	if (mut == M_LOCK_KIND)
		l[3].kind = CKPT_LOCK_OFD + 1;
	if (mut == M_LOCK_FLOCK_RANGE)
		l[0].start = 1;
	rec(b, CKPT_REC_LOCKS, 0, &r, sizeof(r), l, sizeof(l));
}

/*
 * No System V segments; or, damaged, a segment attached by no mapping of
 * the first task.
 */
static void put_sysv(struct buf *b, bool first, enum mut mut)
{
	struct ckpt_rec_sysv_shm r = { 0 };
	struct ckpt_sysv_seg g = { .shmid = 7, .mode = 0600, .size = 4096 };

	if (first && mut == M_NO_SYSV)
		return;
	if (first && mut == M_SYSV_UNATTACHED) {
		r.nr_segs = 1;
		rec(b, CKPT_REC_SYSV_SHM, 0, &r, sizeof(r), &g, sizeof(g));
		return;
	}
	rec(b, CKPT_REC_SYSV_SHM, 0, &r, sizeof(r), NULL, 0);
}

/*
 * The first task's terminals: its controlling terminal /dev/pts/0
 * (136:0), in raw mode, 80x24, foreground group 100; the second has none.
 */
static void put_tty(struct buf *b, bool first, enum mut mut)
{
	struct ckpt_rec_tty r = {};
	struct ckpt_tty t[2] = {
		{ .rdev = 0x8800, .cflag = 0277, .cc = { [6] = 1 }, .rows = 24, .cols = 80 },
		{ .rdev = 0x8801 },
	};

	if (mut == M_NO_TTY)
		return;
	if (first) {
		r = (struct ckpt_rec_tty){ .flags = CKPT_TTY_CTTY, .ctty_rdev = 0x8800,
					   .fg_pgrp = 100, .nr_ttys = 1 };
		if (mut == M_TTY_TWICE) {
			t[1].rdev = 0x8800;
			r.nr_ttys = 2;
		}
		if (mut == M_TTY_NOT_NAMED)
			r.nr_ttys = 2;
	}
	if (!first && mut == M_TTY_FG_NO_CTTY)
		r.fg_pgrp = 100;
	rec(b, CKPT_REC_TTY, 0, &r, sizeof(r), t, r.nr_ttys * sizeof(t[0]));
}

/* The first two pages of the first mapping: one written, one read. */
static void put_touched(struct buf *b, const struct m_task *t, bool first,
			enum mut mut)
{
	struct ckpt_rec_touched r = { .nr_runs = 2 };
	struct ckpt_touched_run runs[2] = {
		{ .addr = t->vmas[0].start, .nr_pages = 1, .flags = CKPT_TOUCHED_WRITTEN },
		{ .addr = t->vmas[0].start + CKPT_PAGE_SIZE, .nr_pages = 1,
		  .flags = CKPT_TOUCHED_ACCESSED },
	};

	if (first && mut == M_TOUCHED_ORDER) {
		runs[0].addr += CKPT_PAGE_SIZE;
		runs[1].addr -= CKPT_PAGE_SIZE;
	}
	if (first && mut == M_TOUCHED_FLAGS)
		runs[1].flags = 0x4;
	rec(b, CKPT_REC_TOUCHED, 0, &r, sizeof(r), runs, sizeof(runs));
}

/* Its runs of the second sweep; a stack page, which may not come late. */
static void put_late(struct buf *b, const struct m_task *t, bool first,
		     enum mut mut)
{
	struct ckpt_rec_late r = { .nr_runs = (uint32_t)t->nr_late };
	struct ckpt_base_run runs[2];
	int i;

	for (i = 0; i < t->nr_late; i++)
		runs[i] = (struct ckpt_base_run){ t->late[i].addr, t->late[i].n };
	if (first && mut == M_LATE_RULE) {
		runs[0] = (struct ckpt_base_run){ 0x7ffd1000, 1 };
		r.nr_runs = 1;
	}
	rec(b, CKPT_REC_LATE, 0, &r, sizeof(r), runs, r.nr_runs * sizeof(runs[0]));
}

static bool is_late(const struct m_task *t, const struct m_run *run)
{
	int i;

	for (i = 0; i < t->nr_late; i++)
		if (t->late[i].addr == run->addr)
			return true;
	return false;
}

static void put_task(struct buf *b, const struct m_task *t, bool first,
		     enum mut mut)
{
	struct ckpt_rec_task r = {
		.pid = t->pid, .ppid = t->ppid, .pgid = 100, .sid = 100,
		.nr_threads = t->nr_threads, .nr_vmas = t->nr_vmas,
		.nr_pages = task_pages(t), .start_brk = 0x600000,
		.brk = 0x604000, .start_stack = 0x7ffd1ff0,
	};
	uint32_t j;
	int i;

	/* comm is NUL-padded, not NUL-terminated: a 16-byte name fills it. */
	memcpy(r.comm, t->comm, strnlen(t->comm, sizeof(r.comm)));
	if (first && mut == M_TASK_PAGES)
		r.nr_pages++;
	if (first && mut == M_TASK_THREADS_MORE)
		r.nr_threads++;
	if (first && mut == M_TASK_THREADS_LESS)
		r.nr_threads--;
	if (first && mut == M_TASK_VMAS_MORE)
		r.nr_vmas++;
	if (!first)
		r.nr_fds = 4;
	if (!first && (mut == M_FORKED_NO_PAGE || mut == M_FORKED_OVERLAP))
		r.flags = CKPT_TASK_FORKED;
	rec(b, CKPT_REC_TASK, 0, &r, sizeof(r), NULL, 0);
	if (!(first && mut == M_NO_PROC))
		put_proc(b);
	for (j = 0; j < t->nr_threads; j++)
		put_thread(b, t->tids[j], first ? mut : M_NONE);
	for (i = 0; i < t->nr_vmas; i++)
		put_vma(b, t, i, first ? mut : M_NONE);
	if (!first)
		put_fds(b, mut);
	if (!(first && mut == M_NO_IDENTITY))
		put_identity(b, t, first ? mut : M_NONE);
	put_timers(b, first, mut);
	put_signals(b, first, mut);
	put_locks(b, t, first, mut);
	put_sysv(b, first, mut);
	put_tty(b, first, mut);
	if (r.flags & CKPT_TASK_FORKED) {
		/* Its parent (100) has no page there; its own run is at 0x10000. */
		struct ckpt_rec_forked f = { .nr_runs = 1 };
		struct ckpt_base_run run = {
			.addr = mut == M_FORKED_OVERLAP ? 0x10000 : 0x20000, .nr_pages = 1,
		};

		rec(b, CKPT_REC_FORKED, 0, &f, sizeof(f), &run, sizeof(run));
	}
	put_touched(b, t, first, mut);
	put_late(b, t, first, mut);
}

/* @t's runs of the second sweep if @late, else the others. */
static void put_runs(struct buf *b, const struct m_task *t, enum mut mut, bool late)
{
	static unsigned char page[CKPT_PAGE_SIZE];
	struct ckpt_rec_pages p;
	struct ckpt_rec_hdr h;
	size_t pad;
	uint32_t k;
	int i;

	for (i = 0; i < t->nr_runs; i++) {
		if (is_late(t, &t->runs[i]) != late && mut != M_LATE_ONE_SWEEP)
			continue;
		p.pid = mut == M_PAGES_UNKNOWN_PID ? 999 : t->pid;
		p.nr_pages = mut == M_RUN_ZERO && i == 0 ? 0 : t->runs[i].n;
		p.addr = t->runs[i].addr;
		h.type = CKPT_REC_PAGES;
		h.flags = mut == M_REC_FLAGS ? 1 : 0;
		pad = CKPT_PAGES_PAD(b->len + sizeof(h) + sizeof(p));
		h.len = sizeof(p) + pad + (uint64_t)p.nr_pages * CKPT_PAGE_SIZE;
		put(b, &h, sizeof(h));
		put(b, &p, sizeof(p));
		memset(page, mut == M_RUN_PAD && i == 0 ? 0x5a : 0, pad);
		put(b, page, pad);
		for (k = 0; k < p.nr_pages; k++) {
			fill_page(page, t->pid, p.addr + k * CKPT_PAGE_SIZE);
			put(b, page, sizeof(page));
		}
	}
}

static void build(struct buf *b, const struct model *m, enum mut mut)
{
	struct ckpt_image_hdr h = {
		.magic = CKPT_IMAGE_MAGIC, .version = CKPT_IMAGE_VERSION,
		.hdr_size = sizeof(h), .nr_tasks = m->nr_tasks,
		.generation = m->generation, .created_ns = m->created_ns,
		.freeze_ns = 123456, .nr_zombies = 1,
	};
	struct ckpt_rec_trailer tr = { .magic = CKPT_TRAILER_MAGIC };
	uint64_t junk = 0xfeedULL;
	int i;

	for (i = 0; i < m->nr_tasks; i++)
		h.nr_threads += m->t[i].nr_threads;
	h.magic ^= mut == M_BAD_MAGIC ? 0xff : 0;
	h.version += mut == M_BAD_VERSION;
	h.hdr_size += mut == M_HDR_SIZE ? 8 : 0;
	h.nr_zombies += mut == M_HDR_ZOMBIES;
	h.nr_tasks += mut == M_HDR_TASKS_MORE;
	if (mut == M_HDR_TASKS_LESS) {
		h.nr_tasks--;
		h.nr_threads -= m->t[m->nr_tasks - 1].nr_threads;
	}
	h.nr_threads += mut == M_HDR_THREADS;
	b->len = 0;
	put(b, &h, sizeof(h));
	for (i = 0; i < m->nr_tasks; i++)
		put_task(b, &m->t[i], i == 0, mut);
	put_zombie(b, mut);
	for (i = 0; i < m->nr_tasks; i++)
		put_runs(b, &m->t[mut == M_PAGES_ORDER ? m->nr_tasks - 1 - i : i],
			 mut, false);
	for (i = 0; mut != M_LATE_ONE_SWEEP && mut != M_LATE_MISSING && i < m->nr_tasks; i++)
		put_runs(b, &m->t[i], mut, true);
	/* One past the last type the format knows. */
	if (mut == M_BAD_TYPE)
		rec(b, CKPT_REC_LATE + 1, 0, &junk, sizeof(junk), NULL, 0);
	if (mut == M_NO_TRAILER)
		return;
	tr.crc32c = libckpt_crc32c(0, b->p, b->len) ^ (mut == M_TRAILER_CRC);
	tr.image_len = b->len + sizeof(struct ckpt_rec_hdr) + sizeof(tr) +
		       (mut == M_TRAILER_LEN ? 8 : 0);
	tr.magic ^= mut == M_TRAILER_MAGIC;
	rec(b, CKPT_REC_TRAILER, 0, &tr, sizeof(tr), NULL, 0);
	if (mut == M_GARBAGE)
		put(b, &junk, sizeof(junk));
}

static void build_std(struct buf *b, enum mut mut)
{
	struct model m;

	std_model(&m);
	switch (mut) {
	case M_LATE_ONE_SWEEP:
	case M_LATE_MISSING:
		late_model(&m);
		break;
	case M_DUP_PID:
		m.t[1].pid = 100;
		break;
	case M_PATH_NUL:
		m.t[0].vmas[0].path = "/usr\0bin/alpha";
		break;
	case M_PAGES_OUTSIDE:	/* between the text and the heap */
		memmove(&m.t[0].runs[2], &m.t[0].runs[1],
			3 * sizeof(m.t[0].runs[0]));
		m.t[0].runs[1] = (struct m_run){ 0x500000, 1 };
		m.t[0].nr_runs++;
		break;
	case M_PAGES_SPAN_VMA:	/* starts inside the text, ends past it */
		m.t[0].runs[0].addr = 0x401000;
		break;
	case M_PAGES_OVERLAP:
		m.t[0].runs[1].n = 2;
		m.t[0].runs[2].addr = 0x601000;
		break;
	default:
		break;
	}
	build(b, &m, mut);
}

static int write_file(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, p, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* Open @spec and, for a stream, read it through; the reader's verdict. */
static int try_open(const char *spec, char *err)
{
	struct libckpt_image *img;
	int ret;

	err[0] = '\0';
	ret = libckpt_image_open(spec, &img, err, LIBCKPT_ERRLEN);
	if (ret)
		return ret;
	if (!libckpt_image_size(img))
		ret = libckpt_image_pages(img, NULL, NULL, err, LIBCKPT_ERRLEN);
	libckpt_image_close(img);
	return ret;
}

/* --- what the page callback checks ------------------------------------- */

struct seen {
	int pages, calls, wrong;
	uint64_t last_addr[2];
};

static int check_pages(const struct libckpt_page_run *run, void *arg)
{
	const uint64_t *w = run->data;
	struct seen *s = arg;
	uint64_t addr;
	uint32_t k;
	size_t i;

	s->calls++;
	if (run->addr < run->vma->rec.start ||
	    run->addr + (uint64_t)run->nr_pages * CKPT_PAGE_SIZE > run->vma->rec.end)
		s->wrong++;
	for (k = 0; k < run->nr_pages; k++) {
		addr = run->addr + (uint64_t)k * CKPT_PAGE_SIZE;
		for (i = 0; i < CKPT_PAGE_SIZE / 8; i++)
			if (*w++ != page_word(run->task->rec.pid, addr, i))
				s->wrong++;
		s->pages++;
	}
	return 0;
}

/* Feed @b to the reader through a pipe, as a stream. */
static int try_stream(const struct buf *b, char *err, struct seen *seen)
{
	struct libckpt_image *img;
	int fds[2], ret;
	pid_t pid;

	if (pipe(fds))
		return -errno;
	pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		close(fds[0]);
		if (write(fds[1], b->p, b->len) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	ret = libckpt_image_open_fd(fds[0], &img, err, LIBCKPT_ERRLEN);
	if (!ret) {
		ret = libckpt_image_pages(img, seen ? check_pages : NULL, seen,
					  err, LIBCKPT_ERRLEN);
		/* A stream goes by once. */
		if (!ret && libckpt_image_pages(img, NULL, NULL, NULL, 0) != -EINVAL)
			ret = -EPROTO;
		libckpt_image_close(img);
	}
	close(fds[0]);
	waitpid(pid, NULL, 0);
	return ret;
}

/* --- invalid input: each kind of damage, refused with its own reason ---- */

FIXTURE(bad) {
	char dir[64];
	char path[128];
	struct buf b;
};

FIXTURE_VARIANT(bad) {
	enum mut mut;
	int err;
	const char *msg;
};

#define BAD(name, m, e, text) \
	FIXTURE_VARIANT_ADD(bad, name) { .mut = m, .err = e, .msg = text }

BAD(bad_magic, M_BAD_MAGIC, -EINVAL, "not a ckpt image (bad magic");
#define XSTR(x) #x
#define STR(x) XSTR(x)
BAD(bad_version, M_BAD_VERSION, -EINVAL,
    "is not supported (this reader knows " STR(CKPT_IMAGE_VERSION_MIN) " to "
    STR(CKPT_IMAGE_VERSION) ")");
BAD(header_size, M_HDR_SIZE, -EBADMSG, "image header size 56");
BAD(more_zombies_declared, M_HDR_ZOMBIES, -EBADMSG,
    "image header declares 2 zombies, found 1 and then a PAGES record");
BAD(more_tasks_declared, M_HDR_TASKS_MORE, -EBADMSG,
    "image header declares 3 tasks, found 2 and then a ZOMBIE record");
BAD(fewer_tasks_declared, M_HDR_TASKS_LESS, -EBADMSG,
    "TASK record beyond the 1 tasks the header declares");
BAD(header_threads, M_HDR_THREADS, -EBADMSG,
    "image header declares 4 threads, the tasks hold 3");
BAD(more_threads_declared, M_TASK_THREADS_MORE, -EBADMSG,
    "task pid 100 declares 3 threads, found 2 and then a VMA record");
BAD(fewer_threads_declared, M_TASK_THREADS_LESS, -EBADMSG,
    "task pid 100 declares 3 mappings, found 0 and then a THREAD record");
BAD(more_vmas_declared, M_TASK_VMAS_MORE, -EBADMSG,
    "task pid 100 declares 4 mappings, found 3 and then a IDENTITY record");
BAD(task_pages, M_TASK_PAGES, -EBADMSG,
    "task pid 100 declares 7 pages, its PAGES records hold 6");
BAD(vma_pages, M_VMA_PAGES, -EBADMSG,
    "mapping 0x600000 of pid 100 declares 4 pages, PAGES records hold 3");
BAD(vma_pages_beyond_span, M_VMA_PAGES_SPAN, -EBADMSG, "more than it spans");
BAD(duplicate_pid, M_DUP_PID, -EBADMSG, "pid 100 has two TASK records");
BAD(no_proc_record, M_NO_PROC, -EBADMSG,
    "task pid 100 is followed by a THREAD record, not its PROC record");
BAD(no_timers_record, M_NO_TIMERS, -EBADMSG,
    "task pid 100 is followed by a SIGNALS record, not its TIMERS record");
BAD(no_signals_record, M_NO_SIGNALS, -EBADMSG,
    "task pid 100 is followed by a LOCKS record, not its SIGNALS record");
BAD(siginfo_not_pending, M_SIG_NOT_PENDING, -EBADMSG,
    "SIGNALS: signal 12 of queue 0 is not pending there");
BAD(siginfo_queue_order, M_SIG_ORDER, -EBADMSG,
    "SIGNALS: the queue of 0 is out of order");
BAD(siginfo_standard_twice, M_SIG_STD_TWICE, -EBADMSG,
    "SIGNALS: standard signal 10 queued twice in queue 0");
BAD(zombie_parent_outside, M_ZOMBIE_PARENT, -EBADMSG,
    "ZOMBIE: pid 103's parent 999 is not a process of the image");
BAD(zombie_status_not_a_death, M_ZOMBIE_STATUS, -EBADMSG,
    "ZOMBIE: pid 103: wait status 0x137f is not one of an exit or a fatal signal");
BAD(zombie_pid_of_a_process, M_ZOMBIE_PID, -EBADMSG,
    "ZOMBIE: pid 102 is 0, or a process of the image");
BAD(no_locks_record, M_NO_LOCKS, -EBADMSG,
    "task pid 100 is followed by a SYSV_SHM record, not its LOCKS record");
BAD(no_sysv_record, M_NO_SYSV, -EBADMSG,
    "task pid 100 is followed by a TTY record, not its SYSV_SHM record");
BAD(sysv_segment_unattached, M_SYSV_UNATTACHED, -EBADMSG,
    "SYSV_SHM: segment 7 is attached by no mapping of task pid 100");
BAD(sysv_attachment_without_segment, M_SYSV_NO_SEG, -EBADMSG,
    "mapping 0x400000 attaches System V segment 1234, which no SYSV_SHM record so far holds");
BAD(no_tty_record, M_NO_TTY, -EBADMSG,
    "task pid 100 is followed by a TOUCHED record, not its TTY record");
BAD(touched_out_of_order, M_TOUCHED_ORDER, -EBADMSG,
    "TOUCHED run 0x400000 of pid 100 overlaps or precedes the previous one");
BAD(touched_unknown_flags, M_TOUCHED_FLAGS, -EBADMSG,
    "TOUCHED run 0x401000 of pid 100 has flags 0x4 (none, or unknown ones)");
BAD(tty_twice, M_TTY_TWICE, -EBADMSG, "TTY: terminal 34816 twice, or out of order");
BAD(tty_foreground_without_ctty, M_TTY_FG_NO_CTTY, -EBADMSG,
    "TTY: a controlling terminal 0 or foreground group 100 that disagrees with its flags");
BAD(tty_not_named, M_TTY_NOT_NAMED, -EBADMSG,
    "TTY: terminal 34817 is neither a descriptor nor the controlling terminal of pid 100");
BAD(lock_through_file_not_held, M_LOCK_FILE_ID, -EBADMSG,
    "LOCKS: OFD lock through file id 4, which pid 102 has no descriptor of");
BAD(posix_lock_of_another_pid, M_LOCK_POSIX_PID, -EBADMSG,
    "LOCKS: POSIX lock of file id 1 held by pid 100 on pid 102's record");
BAD(lock_range_reversed, M_LOCK_RANGE, -EBADMSG,
    "LOCKS: POSIX lock of file id 1 has range 300-299");
BAD(locks_overlap, M_LOCK_OVERLAP, -EBADMSG,
    "LOCKS: POSIX locks of file id 1 overlap or are out of order");
BAD(lock_kind_unknown, M_LOCK_KIND, -EBADMSG, "LOCKS: unknown lock kind 4");
BAD(flock_with_range, M_LOCK_FLOCK_RANGE, -EBADMSG,
    "LOCKS: flock lock of file id 1 has range 1-");
BAD(timer_out_of_order, M_TIMER_ORDER, -EBADMSG,
    "timer 2 is repeated, out of order or not below the id counter 7");
BAD(timer_tid_of_another_process, M_TIMER_TID, -EBADMSG,
    "timer 5: signalled thread 102 is not a thread of pid 100");
BAD(timer_id_above_counter, M_TIMER_ID_COUNTER, -EBADMSG,
    "timer 5 is repeated, out of order or not below the id counter 5");
BAD(fd_out_of_order, M_FD_ORDER, -EBADMSG,
    "fd 0 is negative, repeated or out of order");
BAD(fd_data_without_flag, M_FD_DATA_NOFLAG, -EBADMSG,
    "fd 3: data on a record that carries none");
BAD(no_identity_record, M_NO_IDENTITY, -EBADMSG,
    "task pid 100 ends with a TIMERS record, not its IDENTITY record");
BAD(identity_wrong_tid, M_IDENT_TID, -EBADMSG,
    "IDENTITY: thread entry 1 is tid 102, its THREAD record says 101");
BAD(identity_auxv_unterminated, M_IDENT_AUXV, -EBADMSG,
    "IDENTITY: the auxv does not end with AT_NULL");
BAD(vma_flags_contradict, M_VMA_CONTRA, -EBADMSG, "contradict each other");
BAD(fd_file_id_skips, M_FD_ID_SKIP, -EBADMSG,
    "fd 3: file id 3 is 0 or skips ahead of 1");
BAD(fd_file_id_disagrees, M_FD_ID_DIFFERS, -EBADMSG,
    "fd 3: file id 1 differs from its first descriptor's");
BAD(obj_first_record_without_state, M_OBJ_NO_STATE, -EBADMSG,
    "fd 4: the state of file id 3 must come once, on its first record");
BAD(obj_state_twice, M_OBJ_STATE_AGAIN, -EBADMSG,
    "fd 5: the state of file id 3 must come once, on its first record");
BAD(obj_with_inode, M_OBJ_INO, -EBADMSG,
    "fd 4: descriptor object with file fields set");
BAD(obj_state_size, M_OBJ_STATE_SIZE, -EBADMSG,
    "fd 4: state of 8 bytes for an object of type 9");
BAD(pages_unknown_pid, M_PAGES_UNKNOWN_PID, -EBADMSG,
    "PAGES run for pid 999, which has no TASK record");
BAD(pages_out_of_order, M_PAGES_ORDER, -EBADMSG,
    "PAGES run for pid 100 after those of pid 102");
BAD(pages_outside_vma, M_PAGES_OUTSIDE, -EBADMSG,
    "PAGES run 0x500000+1 outside every mapping of pid 100");
BAD(pages_across_vma_end, M_PAGES_SPAN_VMA, -EBADMSG,
    "PAGES run 0x401000+2 outside every mapping of pid 100");
BAD(pages_overlap, M_PAGES_OVERLAP, -EBADMSG,
    "PAGES run 0x601000+2 of pid 100 overlaps or precedes the previous run");
BAD(empty_run, M_RUN_ZERO, -EBADMSG, "PAGES run of 0 pages");
/* Version 8's alignment zeros are checked like any padding. */
BAD(run_padding, M_RUN_PAD, -EBADMSG,
    "PAGES padding before the contents is not zero");
BAD(unknown_record, M_BAD_TYPE, -EBADMSG, "unknown record type 20");
BAD(late_page_may_not_come_late, M_LATE_RULE, -EBADMSG,
    "LATE run 0x7ffd1000+1 of pid 100 holds pages that may not come late");
BAD(late_run_in_one_sweep, M_LATE_ONE_SWEEP, -EBADMSG,
    "PAGES run 0x200000+1 of pid 102 follows every LATE run");
BAD(late_run_missing, M_LATE_MISSING, -EBADMSG,
    "the image ends before the LATE run 0x100000+20 of pid 102");
BAD(forked_page_parent_lacks, M_FORKED_NO_PAGE, -EBADMSG,
    "FORKED page 0x20000 of pid 102: its parent 100 has no page there");
BAD(forked_run_overlaps_own, M_FORKED_OVERLAP, -EBADMSG,
    "FORKED run 0x10000 of pid 102 overlaps its PAGES runs");
BAD(record_flags, M_REC_FLAGS, -EBADMSG, "PAGES record flags 0x1 are not zero");
BAD(trailer_len, M_TRAILER_LEN, -EBADMSG, "trailer says the image is");
BAD(trailer_crc, M_TRAILER_CRC, -EBADMSG, "checksum mismatch");
BAD(trailer_magic, M_TRAILER_MAGIC, -EBADMSG, "bad trailer magic");
BAD(padding, M_PAD, -EBADMSG, "padding after the payload is not zero");
BAD(garbage_after_trailer, M_GARBAGE, -EBADMSG, "8 bytes follow the trailer");
BAD(no_trailer, M_NO_TRAILER, -EBADMSG, "truncated");
BAD(regs_size, M_REGS_SIZE, -EBADMSG, "register size 100, expected 216");
BAD(path_with_nul, M_PATH_NUL, -EBADMSG, "path holds a NUL byte");
BAD(anon_with_file, M_ANON_PATH, -EBADMSG,
    "anonymous mapping 0x600000 names a file");
BAD(vma_flags, M_VMA_FLAGS, -EBADMSG, "unknown flags 0x1000000");
BAD(identity_thread_without_cpus, M_IDENT_SCHED, -EBADMSG, "no CPU in its affinity");

FIXTURE_SETUP(bad)
{
	strcpy(self->dir, "/tmp/ckpt-image-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/image", self->dir);
	memset(&self->b, 0, sizeof(self->b));
}

FIXTURE_TEARDOWN(bad)
{
	unlink(self->path);
	rmdir(self->dir);
	free(self->b.p);
}

/* From a file, and through a pipe, with the same errno and reason. */
TEST_F(bad, refused)
{
	char err[LIBCKPT_ERRLEN];

	build_std(&self->b, variant->mut);
	ASSERT_EQ(0, write_file(self->path, self->b.p, self->b.len));
	EXPECT_EQ(variant->err, try_open(self->path, err));
	EXPECT_NE(NULL, strstr(err, variant->msg))
		TH_LOG("want \"%s\", got \"%s\"", variant->msg, err);
	/* "record N at offset M: " unless it is about the whole image. */
	if (variant->mut > M_HDR_ZOMBIES && variant->mut != M_HDR_THREADS &&
	    variant->mut != M_DUP_PID)
		EXPECT_EQ(0, strncmp(err, "record ", 7)) TH_LOG("%s", err);

	EXPECT_EQ(variant->mut == M_GARBAGE ? 0 : variant->err,
		  try_stream(&self->b, err, NULL)) TH_LOG("stream: %s", err);
}

/* --- more invalid input, then valid images ------------------------------ */

FIXTURE(img) {
	char dir[64];
	char path[128];
	char area[128];
	struct buf b;
};

FIXTURE_SETUP(img)
{
	strcpy(self->dir, "/tmp/ckpt-image-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/image", self->dir);
	snprintf(self->area, sizeof(self->area), "%s/area", self->dir);
	memset(&self->b, 0, sizeof(self->b));
}

FIXTURE_TEARDOWN(img)
{
	unlink(self->path);
	unlink(self->area);
	rmdir(self->dir);
	free(self->b.p);
}

/* Nothing, or too little to be an image. */
TEST_F(img, not_an_image)
{
	char err[LIBCKPT_ERRLEN];

	ASSERT_EQ(0, write_file(self->path, "", 0));
	EXPECT_EQ(-EINVAL, try_open(self->path, err));
	EXPECT_NE(NULL, strstr(err, "not a ckpt image")) TH_LOG("%s", err);
	ASSERT_EQ(0, write_file(self->path, "CKP", 3));
	EXPECT_EQ(-EINVAL, try_open(self->path, err));
	EXPECT_EQ(-ENOENT, try_open("/nonexistent/image", err));
	EXPECT_EQ(-ENOENT, try_open("/nonexistent/area:3", err));
}

/* Cut short anywhere, an image is refused, never read past its end. */
TEST_F(img, truncated_anywhere)
{
	char err[LIBCKPT_ERRLEN];
	size_t len, full;
	int fd, ret, tried = 0;

	build_std(&self->b, M_NONE);
	full = self->b.len;
	fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	for (len = 0; len < full; len++) {
		/* Every byte of metadata and the tail; every 61st page byte. */
		if (len > 4096 && len + 96 < full && len % 61)
			continue;
		ASSERT_EQ((ssize_t)full, pwrite(fd, self->b.p, full, 0));
		ASSERT_EQ(0, ftruncate(fd, (off_t)len));
		ret = try_open(self->path, err);
		tried++;
		if (len < sizeof(struct ckpt_image_hdr)) {
			EXPECT_GT(0, ret) TH_LOG("length %zu accepted", len);
			continue;
		}
		EXPECT_EQ(-EBADMSG, ret) TH_LOG("length %zu: %s", len, err);
		EXPECT_TRUE(strstr(err, "truncated") ||
			    strstr(err, "runs past the end"))
			TH_LOG("length %zu: %s", len, err);
	}
	close(fd);
	TH_LOG("%d truncation points of %zu bytes refused", tried, full);
}

/* Any changed byte is refused: the checksum guarantees it. */
TEST_F(img, every_flip_refused)
{
	char err[LIBCKPT_ERRLEN];
	unsigned char orig, bit;
	int fd, tried = 0;
	size_t off, full;

	build_std(&self->b, M_NONE);
	full = self->b.len;
	ASSERT_EQ(0, write_file(self->path, self->b.p, full));
	ASSERT_EQ(0, try_open(self->path, err)) TH_LOG("%s", err);
	fd = open(self->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (off = 0; off < full; off++) {
		if (off > 4096 && off + 96 < full && off % 37)
			continue;
		orig = self->b.p[off];
		bit = (unsigned char)(1U << (off % 8));
		self->b.p[off] ^= bit;
		ASSERT_EQ(1, pwrite(fd, &self->b.p[off], 1, (off_t)off));
		EXPECT_GT(0, try_open(self->path, err))
			TH_LOG("flip of bit %u at %zu accepted", bit, off);
		self->b.p[off] = orig;
		ASSERT_EQ(1, pwrite(fd, &orig, 1, (off_t)off));
		tried++;
	}
	close(fd);
	EXPECT_EQ(0, try_open(self->path, err)) TH_LOG("%s", err);
	TH_LOG("%d flipped bytes refused", tried);
}

/* --- valid images --------------------------------------------------------- */

static void check_metadata(struct __test_metadata *_metadata,
			   const struct libckpt_image *img)
{
	const struct libckpt_image_task *t;
	struct user_regs_struct regs;

	EXPECT_EQ(CKPT_IMAGE_VERSION, libckpt_image_hdr(img)->version);
	EXPECT_EQ(123456, libckpt_image_hdr(img)->freeze_ns);
	ASSERT_EQ(2, libckpt_image_nr_tasks(img));
	EXPECT_EQ(NULL, libckpt_image_task(img, 2));
	t = libckpt_image_task(img, 0);
	EXPECT_EQ(100, t->rec.pid);
	EXPECT_STREQ("alpha", t->comm);
	ASSERT_EQ(2, t->rec.nr_threads);
	EXPECT_EQ(101, t->threads[1].rec.tid);
	memcpy(&regs, t->threads[1].regs, sizeof(regs));
	EXPECT_EQ(0x400000 + 101, regs.rip);
	EXPECT_EQ(0x5a, ((const unsigned char *)t->threads[1].xstate)[0]);
	ASSERT_EQ(3, t->rec.nr_vmas);
	EXPECT_STREQ("/usr/bin/alpha", t->vmas[0].path);
	EXPECT_STREQ("", t->vmas[1].path);
	EXPECT_EQ(3, t->vmas[1].rec.nr_pages);
	EXPECT_EQ(6, t->rec.nr_pages);
	ASSERT_NE(NULL, t->timers);
	EXPECT_EQ(7, t->timers->rec.next_id);
	EXPECT_EQ(3000000000ULL, t->timers->rec.itimer[CKPT_ITIMER_REAL].value_ns);
	ASSERT_EQ(2, t->timers->rec.nr_posix);
	EXPECT_EQ(42, t->timers->posix[0].sigval);
	EXPECT_EQ(101, t->timers->posix[1].notify_tid);
	EXPECT_EQ(3, t->timers->posix[1].pending_overrun);
	ASSERT_NE(NULL, t->signals);
	ASSERT_EQ(3, t->signals->rec.nr_siginfo);
	EXPECT_EQ(0, t->signals->siginfo[0].tid);
	EXPECT_EQ(101, t->signals->siginfo[2].tid);
	EXPECT_EQ(7, t->signals->siginfo[2].info[24]);
	ASSERT_EQ(1, libckpt_image_nr_zombies(img));
	EXPECT_EQ(NULL, libckpt_image_zombie(img, 1));
	ASSERT_NE(NULL, libckpt_image_zombie(img, 0));
	EXPECT_EQ(103, libckpt_image_zombie(img, 0)->pid);
	EXPECT_EQ(3 << 8, libckpt_image_zombie(img, 0)->status);
	t = libckpt_image_find_task(img, 102);
	ASSERT_NE(NULL, t);
	/* comm fills its 16 bytes: NUL-terminated all the same. */
	EXPECT_STREQ("beta-with-a-long", t->comm);
	ASSERT_NE(NULL, t->proc);
	EXPECT_STREQ("/tmp/work", t->proc->cwd);
	EXPECT_STREQ("/", t->proc->root);
	EXPECT_STREQ("/usr/bin/alpha", t->proc->exe);
	EXPECT_EQ(027, t->proc->rec.umask);
	EXPECT_EQ(27, t->proc->groups[1]);
	EXPECT_EQ(1024, t->proc->rec.rlim[7].cur);
	ASSERT_EQ(4, t->rec.nr_fds);
	EXPECT_STREQ("/dev/null", t->fds[0].path);
	EXPECT_EQ(CKPT_FD_PIPE, t->fds[1].rec.type);
	EXPECT_EQ(0, memcmp("hello", t->fds[1].data, 5));
	/* One eventfd description under two numbers, its state on the first. */
	EXPECT_EQ(CKPT_FD_EVENTFD, t->fds[2].rec.type);
	EXPECT_EQ(t->fds[2].rec.file_id, t->fds[3].rec.file_id);
	EXPECT_EQ(sizeof(struct ckpt_fd_eventfd), t->fds[2].rec.data_len);
	EXPECT_EQ(0, t->fds[3].rec.data_len);
	ASSERT_NE(NULL, t->timers);
	EXPECT_EQ(0, t->timers->rec.nr_posix);
	/* Its locks, in the order the kernel keeps them. */
	ASSERT_NE(NULL, t->locks);
	ASSERT_EQ(4, t->locks->rec.nr_locks);
	EXPECT_EQ(CKPT_LOCK_FLOCK, t->locks->locks[0].kind);
	EXPECT_EQ(102, t->locks->locks[0].pid);
	EXPECT_EQ(299, t->locks->locks[2].end);
	EXPECT_EQ(CKPT_LOCK_EOF, t->locks->locks[3].end);
	EXPECT_EQ(NULL, libckpt_image_find_task(img, 101));
}

/* Pages run by run: the address of the last one. */
static int last_run(const struct libckpt_page_run *run, void *arg)
{
	check_pages(run, arg);
	((struct seen *)arg)->last_addr[0] = run->addr;
	return 0;
}

/*
 * Version 12's two sweeps: the LATE run comes after every other run, of
 * every process, from a file and from a stream.
 */
TEST_F(img, late_runs_come_second)
{
	char err[LIBCKPT_ERRLEN];
	struct libckpt_image *img;
	struct seen seen = { 0 };
	struct model m;

	late_model(&m);
	build(&self->b, &m, M_NONE);
	ASSERT_EQ(0, write_file(self->path, self->b.p, self->b.len));
	ASSERT_EQ(0, libckpt_image_open(self->path, &img, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, libckpt_image_pages(img, last_run, &seen, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(STD_PAGES + 21, seen.pages);
	EXPECT_EQ(0, seen.wrong);
	EXPECT_EQ(0x100000, seen.last_addr[0]);
	libckpt_image_close(img);
	memset(&seen, 0, sizeof(seen));
	EXPECT_EQ(0, try_stream(&self->b, err, &seen)) TH_LOG("%s", err);
	EXPECT_EQ(STD_PAGES + 21, seen.pages);
	EXPECT_EQ(0, seen.wrong);
}

/* Metadata and every page come back, at the right addresses, every walk. */
TEST_F(img, valid_image)
{
	char err[LIBCKPT_ERRLEN];
	struct libckpt_image *img;
	struct seen seen = { 0 };

	build_std(&self->b, M_NONE);
	ASSERT_EQ(0, write_file(self->path, self->b.p, self->b.len));
	ASSERT_EQ(0, libckpt_image_open(self->path, &img, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(self->b.len, libckpt_image_size(img));
	check_metadata(_metadata, img);
	ASSERT_EQ(0, libckpt_image_pages(img, check_pages, &seen, err,
					 sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(STD_PAGES, seen.pages);
	EXPECT_EQ(6, seen.calls);
	EXPECT_EQ(0, seen.wrong);
	memset(&seen, 0, sizeof(seen));
	ASSERT_EQ(0, libckpt_image_pages(img, check_pages, &seen, err,
					 sizeof(err)));
	EXPECT_EQ(STD_PAGES, seen.pages);
	libckpt_image_close(img);
}

/* The same through a pipe: metadata first, pages verified as they pass. */
TEST_F(img, valid_stream)
{
	char err[LIBCKPT_ERRLEN] = "";
	struct seen seen = { 0 };

	build_std(&self->b, M_NONE);
	EXPECT_EQ(0, try_stream(&self->b, err, &seen)) TH_LOG("%s", err);
	EXPECT_EQ(STD_PAGES, seen.pages);
	EXPECT_EQ(0, seen.wrong);
}

static int stop_walk(const struct libckpt_page_run *run, void *arg)
{
	(void)run;
	(void)arg;
	return 42;
}

/* A run longer than a chunk comes in pieces; a callback can stop the walk. */
TEST_F(img, long_run_in_pieces)
{
	const uint32_t n = LIBCKPT_PAGES_CHUNK + 44;
	char err[LIBCKPT_ERRLEN];
	struct libckpt_image *img;
	struct seen seen = { 0 };
	struct model m;

	std_model(&m);
	m.t[1].runs[1] = (struct m_run){ 0x100000, n };
	build(&self->b, &m, M_NONE);
	ASSERT_EQ(0, write_file(self->path, self->b.p, self->b.len));
	ASSERT_EQ(0, libckpt_image_open(self->path, &img, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, libckpt_image_pages(img, check_pages, &seen, err,
					 sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(STD_PAGES - 1 + n, seen.pages);
	EXPECT_EQ(7, seen.calls);
	EXPECT_EQ(0, seen.wrong);
	EXPECT_EQ(42, libckpt_image_pages(img, stop_walk, NULL, err, sizeof(err)));
	libckpt_image_close(img);
}

/* --- areas ------------------------------------------------------------------ */

static int read_sb(const char *area, struct ckpt_area_sb *sb, char *err)
{
	int fd = open(area, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = libckpt_area_read(fd, sb, err, LIBCKPT_ERRLEN);
	close(fd);
	return ret;
}

#define SB_BYTES (CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE)

/*
 * Rewrite superblock copy @copy of @area through @edit, with its crc
 * recomputed if @fix_crc.
 */
static int edit_sb_copy(const char *area, int copy,
			void (*edit)(struct ckpt_area_sb *, void *), void *arg,
			bool fix_crc)
{
	unsigned char blk[CKPT_AREA_SB_SIZE];
	struct ckpt_area_sb *sb = (struct ckpt_area_sb *)blk;
	off_t at = (off_t)copy * CKPT_AREA_SB_SIZE;
	int fd = open(area, O_RDWR | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (pread(fd, blk, sizeof(blk), at) != sizeof(blk))
		ret = -EIO;
	if (!ret) {
		edit(sb, arg);
		if (fix_crc)
			sb->sb_crc32c = libckpt_area_sb_crc(blk);
		if (pwrite(fd, blk, sizeof(blk), at) != sizeof(blk))
			ret = -EIO;
	}
	close(fd);
	return ret;
}

/*
 * The same edit in both copies: what a completed update leaves. A
 * version-1 area has only copy 0; its data begins where copy 1 would be.
 */
static int edit_sb(const char *area, void (*edit)(struct ckpt_area_sb *, void *),
		   void *arg, bool fix_crc)
{
	uint32_t version = 0;
	int fd, ret;

	ret = edit_sb_copy(area, 0, edit, arg, fix_crc);
	if (ret)
		return ret;
	fd = open(area, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &version, sizeof(version),
		  offsetof(struct ckpt_area_sb, version)) != sizeof(version))
		ret = -EIO;
	close(fd);
	if (ret || version == 1)
		return ret;
	return edit_sb_copy(area, 1, edit, arg, fix_crc);
}

/* Both superblock blocks of @area, read into or written from @blk. */
static int sb_blocks(const char *area, unsigned char *blk, bool write)
{
	int fd = open(area, O_RDWR | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write ? pwrite(fd, blk, SB_BYTES, 0) : pread(fd, blk, SB_BYTES, 0);
	close(fd);
	return n == SB_BYTES ? 0 : -EIO;
}

static int inspect(const char *area, struct ckpt_area_sb *sb,
		   struct libckpt_area_copies *c, char *err)
{
	int fd = open(area, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = libckpt_area_inspect(fd, sb, c, err, LIBCKPT_ERRLEN);
	close(fd);
	return ret;
}

struct slot_edit {
	int slot;
	struct ckpt_area_slot s;
};

static void set_slot(struct ckpt_area_sb *sb, void *arg)
{
	struct slot_edit *e = arg;

	sb->slots[e->slot] = e->s;
	if (e->s.generation >= sb->next_generation)
		sb->next_generation = e->s.generation + 1;
	if (e->s.offset + e->s.length > sb->next_offset)
		sb->next_offset = (e->s.offset + e->s.length + 4095) & ~4095ULL;
}

/* Store generation @gen as the writer would: image, then committed slot. */
static int area_store(const char *area, int slot, uint64_t gen, uint64_t off,
		      uint32_t state, struct buf *b)
{
	struct slot_edit e = { .slot = slot };
	struct model m;
	int fd;

	std_model(&m);
	m.generation = gen;
	m.created_ns += gen;
	build(b, &m, M_NONE);
	fd = open(area, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pwrite(fd, b->p, b->len, (off_t)off) != (ssize_t)b->len) {
		close(fd);
		return -EIO;
	}
	close(fd);
	e.s = (struct ckpt_area_slot){
		.generation = gen, .offset = off, .length = b->len,
		.created_ns = m.created_ns, .state = state,
		.crc32c = *(uint32_t *)(b->p + b->len - 8),
	};
	return edit_sb(area, set_slot, &e, true);
}

TEST_F(img, area_create_and_read)
{
	char err[LIBCKPT_ERRLEN];
	struct ckpt_area_sb sb;
	struct stat st;

	EXPECT_EQ(-EINVAL, libckpt_area_create(self->area, 1 << 20, err,
					       sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "below the minimum")) TH_LOG("%s", err);
	EXPECT_NE(0, access(self->area, F_OK)) TH_LOG("failed create left a file");
	EXPECT_EQ(-ENOENT, libckpt_area_create("/nonexistent/dir/area", 8 << 20,
					       err, sizeof(err)));
	ASSERT_EQ(0, libckpt_area_create(self->area, (8 << 20) + 100, err,
					 sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, stat(self->area, &st));
	EXPECT_EQ(8 << 20, st.st_size);
	EXPECT_LE(8 << 20, st.st_blocks * 512) TH_LOG("not preallocated");
	ASSERT_EQ(0, read_sb(self->area, &sb, err)) TH_LOG("%s", err);
	EXPECT_EQ(8 << 20, sb.size);
	EXPECT_EQ(SB_BYTES, sb.data_offset);
	EXPECT_EQ(1, sb.next_generation);
	EXPECT_EQ(SB_BYTES, sb.next_offset);
	EXPECT_EQ(CKPT_AREA_VERSION, sb.version);
	EXPECT_EQ(1, sb.sb_seq);
	EXPECT_EQ(-ENOENT, libckpt_area_find(&sb, 0));
	EXPECT_EQ(-EEXIST, libckpt_area_create(self->area, 8 << 20, err,
					       sizeof(err)));
	EXPECT_EQ(-ENOENT, try_open(self->area, err));
	EXPECT_NE(NULL, strstr(err, "no committed generation")) TH_LOG("%s", err);
}

/* Newest committed by default, any committed by number, never a torn one. */
TEST_F(img, area_generations)
{
	char err[LIBCKPT_ERRLEN], spec[160];
	struct libckpt_image *img;
	struct seen seen = { 0 };
	struct ckpt_area_sb sb;

	ASSERT_EQ(0, libckpt_area_create(self->area, 8 << 20, err, sizeof(err)));
	ASSERT_EQ(0, area_store(self->area, 0, 1, 8192, CKPT_SLOT_COMMITTED,
				&self->b));
	ASSERT_EQ(0, area_store(self->area, 1, 2, 1 << 20, CKPT_SLOT_COMMITTED,
				&self->b));
	ASSERT_EQ(0, area_store(self->area, 5, 3, 2 << 20, CKPT_SLOT_WRITING,
				&self->b));
	ASSERT_EQ(0, read_sb(self->area, &sb, err)) TH_LOG("%s", err);
	EXPECT_EQ(1, libckpt_area_find(&sb, 0));
	EXPECT_EQ(0, libckpt_area_find(&sb, 1));
	EXPECT_EQ(5, libckpt_area_find(&sb, 3));
	EXPECT_EQ(-ENOENT, libckpt_area_find(&sb, 4));

	ASSERT_EQ(0, libckpt_image_open(self->area, &img, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(2, libckpt_image_hdr(img)->generation);
	check_metadata(_metadata, img);
	libckpt_image_close(img);

	snprintf(spec, sizeof(spec), "%s:1", self->area);
	ASSERT_EQ(0, libckpt_image_open(spec, &img, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(1, libckpt_image_hdr(img)->generation);
	ASSERT_EQ(0, libckpt_image_pages(img, check_pages, &seen, err,
					 sizeof(err)));
	EXPECT_EQ(STD_PAGES, seen.pages);
	EXPECT_EQ(0, seen.wrong);
	libckpt_image_close(img);

	snprintf(spec, sizeof(spec), "%s:3", self->area);
	EXPECT_EQ(-ENOENT, try_open(spec, err));
	EXPECT_NE(NULL, strstr(err, "never committed")) TH_LOG("%s", err);
	snprintf(spec, sizeof(spec), "%s:9", self->area);
	EXPECT_EQ(-ENOENT, try_open(spec, err));
	EXPECT_NE(NULL, strstr(err, "no generation 9")) TH_LOG("%s", err);
}

static void sb_nothing(struct ckpt_area_sb *sb, void *arg)
{
	(void)sb;
	(void)arg;
}

static void sb_flip(struct ckpt_area_sb *sb, void *arg)
{
	((unsigned char *)sb)[*(size_t *)arg] ^= 0x10;
}

static void sb_slot_too_long(struct ckpt_area_sb *sb, void *arg)
{
	(void)arg;
	sb->slots[0].length = sb->size;
}

static void sb_slots_overlap(struct ckpt_area_sb *sb, void *arg)
{
	(void)arg;
	sb->slots[1].offset = sb->slots[0].offset + 4096;
}

static void sb_bad_state(struct ckpt_area_sb *sb, void *arg)
{
	(void)arg;
	sb->slots[0].state = 7;
}

static void sb_slot_length(struct ckpt_area_sb *sb, void *arg)
{
	(void)arg;
	sb->slots[0].length += 8;
}

static void sb_bigger(struct ckpt_area_sb *sb, void *arg)
{
	(void)arg;
	sb->size += 1 << 20;
}

/*
 * A damaged or inconsistent superblock, in both copies, is refused with the
 * reasons of both; the same damage in one copy is not.
 */
TEST_F(img, area_superblock_damage)
{
	static const struct {
		void (*edit)(struct ckpt_area_sb *, void *);
		bool fix_crc;
		int err;
		const char *msg;
	} cases[] = {
		{ sb_nothing, true, 0, "" },
		{ sb_slot_too_long, false, -EBADMSG,
		  "both superblock copies are invalid: copy 0: superblock checksum mismatch" },
		{ sb_slot_too_long, true, -EBADMSG, "copy 1: slot 0: image at" },
		{ sb_slots_overlap, true, -EBADMSG, "committed slots 0 and 1 overlap" },
		{ sb_bad_state, true, -EBADMSG, "slot 0: invalid state 7" },
		{ sb_bigger, true, -EBADMSG, "area size 9437184 is invalid" },
		{ sb_slot_length, true, 0, "" },
	};
	char err[LIBCKPT_ERRLEN], spec[160];
	unsigned char blk[SB_BYTES];
	struct libckpt_area_copies c;
	struct ckpt_area_sb sb;
	size_t i, off;

	ASSERT_EQ(0, libckpt_area_create(self->area, 8 << 20, err, sizeof(err)));
	ASSERT_EQ(0, area_store(self->area, 0, 1, 8192, CKPT_SLOT_COMMITTED,
				&self->b));
	ASSERT_EQ(0, area_store(self->area, 1, 2, 1 << 20, CKPT_SLOT_COMMITTED,
				&self->b));
	ASSERT_EQ(0, sb_blocks(self->area, blk, false));

	/*
	 * Every flipped byte of the block, padding included: in both copies
	 * refused, in one copy the other is taken.
	 */
	for (off = 0; off < CKPT_AREA_SB_SIZE; off += off < 512 ? 1 : 31) {
		ASSERT_EQ(0, edit_sb(self->area, sb_flip, &off, false));
		EXPECT_GT(0, read_sb(self->area, &sb, err))
			TH_LOG("flip at %zu in both copies accepted", off);
		EXPECT_NE(NULL, strstr(err, off < 12 ? "" : "both superblock copies"))
			TH_LOG("flip at %zu: %s", off, err);
		ASSERT_EQ(0, edit_sb_copy(self->area, 1, sb_flip, &off, false));
		EXPECT_EQ(0, inspect(self->area, &sb, &c, err))
			TH_LOG("flip at %zu in copy 0: %s", off, err);
		EXPECT_EQ(1, c.used);
		EXPECT_GT(0, c.copy[0].error) TH_LOG("flip at %zu not seen", off);
		EXPECT_EQ(0, c.copy[1].error) TH_LOG("%s", c.copy[1].why);
		ASSERT_EQ(0, edit_sb_copy(self->area, 0, sb_flip, &off, false));
	}
	ASSERT_EQ(0, inspect(self->area, &sb, &c, err)) TH_LOG("%s", err);
	EXPECT_EQ(0, c.copy[0].error);
	EXPECT_EQ(0, c.copy[1].error);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, edit_sb(self->area, cases[i].edit, NULL,
				     cases[i].fix_crc));
		EXPECT_EQ(cases[i].err, read_sb(self->area, &sb, err))
			TH_LOG("case %zu: %s", i, err);
		if (cases[i].err)
			EXPECT_NE(NULL, strstr(err, cases[i].msg))
				TH_LOG("case %zu: want \"%s\", got \"%s\"", i,
				       cases[i].msg, err);
		ASSERT_EQ(0, sb_blocks(self->area, blk, true));
	}

	/* A slot whose length disagrees with its image's trailer. */
	ASSERT_EQ(0, edit_sb(self->area, sb_slot_length, NULL, true));
	snprintf(spec, sizeof(spec), "%s:1", self->area);
	EXPECT_EQ(-EBADMSG, try_open(spec, err));
	EXPECT_NE(NULL, strstr(err, "differs from its area slot")) TH_LOG("%s", err);
	EXPECT_EQ(0, try_open(self->area, err)) TH_LOG("generation 2: %s", err);
}

/* Bytes 2048..4095 of a superblock copy replaced: a write torn mid-block. */
static int tear(const char *area, int copy)
{
	unsigned char junk[2048];
	int fd = open(area, O_RDWR | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	memset(junk, 0xa5, sizeof(junk));
	n = pwrite(fd, junk, sizeof(junk),
		   (off_t)copy * CKPT_AREA_SB_SIZE + 2048);
	close(fd);
	return n == sizeof(junk) ? 0 : -EIO;
}

/*
 * After one committed generation, a superblock write torn across sectors
 * (bytes 2048..4095 of copy 0 replaced) leaves the generation reachable
 * through copy 1, and the other way round; both torn, the area is refused
 * naming both reasons.
 */
TEST_F(img, area_superblock_torn)
{
	char err[LIBCKPT_ERRLEN];
	unsigned char blk[SB_BYTES];
	struct libckpt_area_copies c;
	struct libckpt_image *img;
	struct ckpt_area_sb sb;
	int copy;

	ASSERT_EQ(0, libckpt_area_create(self->area, 8 << 20, err, sizeof(err)));
	ASSERT_EQ(0, area_store(self->area, 0, 1, 8192, CKPT_SLOT_COMMITTED,
				&self->b));
	ASSERT_EQ(0, sb_blocks(self->area, blk, false));
	for (copy = 0; copy < 2; copy++) {
		ASSERT_EQ(0, tear(self->area, copy));
		ASSERT_EQ(0, inspect(self->area, &sb, &c, err))
			TH_LOG("copy %d torn: %s", copy, err);
		EXPECT_EQ(2, c.nr_copies);
		EXPECT_EQ(!copy, c.used);
		EXPECT_EQ(-EBADMSG, c.copy[copy].error);
		EXPECT_NE(NULL, strstr(c.copy[copy].why, "checksum mismatch"))
			TH_LOG("%s", c.copy[copy].why);
		EXPECT_EQ(0, c.copy[!copy].error) TH_LOG("%s", c.copy[!copy].why);
		ASSERT_EQ(0, libckpt_image_open(self->area, &img, err, sizeof(err)))
			TH_LOG("copy %d torn: %s", copy, err);
		EXPECT_EQ(1, libckpt_image_hdr(img)->generation);
		check_metadata(_metadata, img);
		libckpt_image_close(img);
		ASSERT_EQ(0, sb_blocks(self->area, blk, true));
	}
	ASSERT_EQ(0, tear(self->area, 0));
	ASSERT_EQ(0, tear(self->area, 1));
	EXPECT_EQ(-EBADMSG, try_open(self->area, err));
	EXPECT_NE(NULL, strstr(err, "both superblock copies are invalid: copy 0: superblock checksum mismatch"))
		TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "; copy 1: superblock checksum mismatch"))
		TH_LOG("%s", err);
}

static void sb_older(struct ckpt_area_sb *sb, void *arg)
{
	sb->slots[1].state = CKPT_SLOT_WRITING;
	sb->slots[1].crc32c = 0;
	sb->sb_seq = *(uint64_t *)arg;
}

static void sb_seq_set(struct ckpt_area_sb *sb, void *arg)
{
	sb->sb_seq = *(uint64_t *)arg;
}

/*
 * Two valid copies that differ (an update stopped between them): the one
 * with the higher sequence number is taken, wherever it is.
 */
TEST_F(img, area_superblock_newer_copy)
{
	char err[LIBCKPT_ERRLEN];
	unsigned char blk[SB_BYTES];
	struct libckpt_area_copies c;
	struct ckpt_area_sb sb;
	uint64_t seq;
	int newer;

	ASSERT_EQ(0, libckpt_area_create(self->area, 8 << 20, err, sizeof(err)));
	ASSERT_EQ(0, area_store(self->area, 0, 1, 8192, CKPT_SLOT_COMMITTED,
				&self->b));
	ASSERT_EQ(0, area_store(self->area, 1, 2, 1 << 20, CKPT_SLOT_COMMITTED,
				&self->b));
	ASSERT_EQ(0, sb_blocks(self->area, blk, false));
	for (newer = 0; newer < 2; newer++) {
		/* The newer copy says 2 is committed, the older still writing. */
		seq = 7;
		ASSERT_EQ(0, edit_sb_copy(self->area, newer, sb_seq_set, &seq, true));
		seq = 6;
		ASSERT_EQ(0, edit_sb_copy(self->area, !newer, sb_older, &seq, true));
		ASSERT_EQ(0, inspect(self->area, &sb, &c, err)) TH_LOG("%s", err);
		EXPECT_EQ(newer, c.used);
		EXPECT_EQ(7, sb.sb_seq);
		EXPECT_EQ(2, sb.slots[libckpt_area_find(&sb, 0)].generation);
		/* Without the newer copy, the older state: 1 is the newest. */
		ASSERT_EQ(0, tear(self->area, newer));
		ASSERT_EQ(0, inspect(self->area, &sb, &c, err)) TH_LOG("%s", err);
		EXPECT_EQ(!newer, c.used);
		EXPECT_EQ(1, sb.slots[libckpt_area_find(&sb, 0)].generation);
		EXPECT_EQ(CKPT_SLOT_WRITING, sb.slots[1].state);
		ASSERT_EQ(0, sb_blocks(self->area, blk, true));
	}
	/* A version-2 copy without a sequence number is impossible. */
	seq = 0;
	ASSERT_EQ(0, edit_sb(self->area, sb_seq_set, &seq, true));
	EXPECT_EQ(-EBADMSG, read_sb(self->area, &sb, err));
	EXPECT_NE(NULL, strstr(err, "sequence number 0 is impossible in version 2"))
		TH_LOG("%s", err);
}

static void sb_v1(struct ckpt_area_sb *sb, void *arg)
{
	uint64_t *data_offset = arg;

	sb->version = 1;
	sb->data_offset = *data_offset;
	sb->next_offset = *data_offset;
	sb->sb_seq = 0;
}

/*
 * A version-1 area (one superblock, data from 4096) is still read: its
 * generations open; its lone superblock damaged, it is refused.
 */
TEST_F(img, area_version_1_read)
{
	char err[LIBCKPT_ERRLEN];
	struct libckpt_area_copies c;
	struct libckpt_image *img;
	struct ckpt_area_sb sb;
	uint64_t data_offset = CKPT_AREA_SB_SIZE, seq = 3;

	ASSERT_EQ(0, libckpt_area_create(self->area, 8 << 20, err, sizeof(err)));
	ASSERT_EQ(0, edit_sb_copy(self->area, 0, sb_v1, &data_offset, true));
	/* Its data region starts where version 2 keeps copy 1. */
	ASSERT_EQ(0, area_store(self->area, 0, 1, 4096, CKPT_SLOT_COMMITTED,
				&self->b));
	ASSERT_EQ(0, inspect(self->area, &sb, &c, err)) TH_LOG("%s", err);
	EXPECT_EQ(1, c.version);
	EXPECT_EQ(1, c.nr_copies);
	EXPECT_EQ(4096, sb.data_offset);
	ASSERT_EQ(0, libckpt_image_open(self->area, &img, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(1, libckpt_image_hdr(img)->generation);
	check_metadata(_metadata, img);
	libckpt_image_close(img);

	ASSERT_EQ(0, edit_sb_copy(self->area, 0, sb_seq_set, &seq, true));
	EXPECT_EQ(-EBADMSG, read_sb(self->area, &sb, err));
	EXPECT_NE(NULL, strstr(err, "sequence number 3 is impossible in version 1"))
		TH_LOG("%s", err);
	seq = 0;
	ASSERT_EQ(0, edit_sb_copy(self->area, 0, sb_seq_set, &seq, true));
	ASSERT_EQ(0, tear(self->area, 0));
	EXPECT_EQ(-EBADMSG, read_sb(self->area, &sb, err));
	EXPECT_EQ(0, strncmp(err, "superblock checksum mismatch", 28)) TH_LOG("%s", err);
}

/* --- crc32c ----------------------------------------------------------------- */

TEST(crc32c_check_value)
{
	static const char check[] = "123456789";
	unsigned char data[3000];
	uint32_t whole;
	size_t i, a;

	EXPECT_EQ(0xE3069283, libckpt_crc32c(0, check, 9));
	EXPECT_EQ(0xE3069283, libckpt_crc32c_sw(0, check, 9));
	EXPECT_EQ(0, libckpt_crc32c(0, check, 0));
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + (i >> 5));
	whole = libckpt_crc32c_sw(0, data, sizeof(data));
	/* Chained pieces, at every alignment, give the same value. */
	for (a = 0; a < 64; a++)
		EXPECT_EQ(whole, libckpt_crc32c(libckpt_crc32c(0, data, a), data + a,
						sizeof(data) - a));
	if (!libckpt_crc32c_hw_available())
		SKIP(return, "no SSE4.2: only the table-driven crc32c tested");
	EXPECT_EQ(0xE3069283, libckpt_crc32c_hw(0, check, 9));
	for (a = 0; a < 64; a++)
		EXPECT_EQ(libckpt_crc32c_sw(0, data + a, sizeof(data) - a - 3),
			  libckpt_crc32c_hw(0, data + a, sizeof(data) - a - 3));
}

/*
 * A restore checks the image's CRC from the CRCs of the page runs the
 * module filled: the CRC of A then B is shift(CRC(A), |B|) ^ CRC(B), for
 * every split, including empty pieces and lengths past 2^32 bits.
 */
TEST(crc32c_shift_combines)
{
	static unsigned char zero[4096];
	unsigned char data[5000];
	uint32_t whole, crc_zeros = 0, direct;
	size_t i, a;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 13 + (i >> 3));
	whole = libckpt_crc32c(0, data, sizeof(data));
	for (a = 0; a <= sizeof(data); a += 37)
		EXPECT_EQ(whole, libckpt_crc32c_shift(libckpt_crc32c(0, data, a),
						      sizeof(data) - a) ^
				 libckpt_crc32c(0, data + a, sizeof(data) - a));
	EXPECT_EQ(whole, libckpt_crc32c_shift(whole, 0));
	/* The data then 16 MiB of zero bytes, computed both ways. */
	direct = whole;
	for (i = 0; i < 4096; i++) {
		direct = libckpt_crc32c(direct, zero, sizeof(zero));
		crc_zeros = libckpt_crc32c(crc_zeros, zero, sizeof(zero));
	}
	EXPECT_EQ(direct, libckpt_crc32c_shift(whole, 16 << 20) ^ crc_zeros);
	/* Shifts compose, beyond 32-bit lengths too. */
	EXPECT_EQ(libckpt_crc32c_shift(whole, 6ULL << 30),
		  libckpt_crc32c_shift(libckpt_crc32c_shift(whole, 3ULL << 30), 3ULL << 30));
}

/* --- ckptctl -------------------------------------------------------------- */

static const char *ckptctl(void)
{
	const char *p = getenv("CKPTCTL");

	return p ? p : "/usr/bin/ckptctl";
}

/* run_cmd() with a formatted command line. */
static int run(char *out, size_t size, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return run_cmd(cmd, out, size);
}

TEST_F(img, ckptctl_area_and_show)
{
	const char *c = ckptctl();
	char out[8192];

	if (access(c, X_OK))
		SKIP(return, "%s not installed", c);
	EXPECT_EQ(2, run(out, sizeof(out), "%s area create %s 2>&1", c, self->area));
	EXPECT_EQ(2, run(out, sizeof(out), "%s area create %s --size 12Q 2>&1",
			 c, self->area));
	ASSERT_EQ(0, run(out, sizeof(out), "%s area create %s --size 8M 2>&1",
			 c, self->area)) TH_LOG("%s", out);
	EXPECT_EQ(1, run(out, sizeof(out), "%s area create %s --size 8M 2>&1",
			 c, self->area));
	EXPECT_NE(NULL, strstr(out, "file exists and is not empty")) TH_LOG("%s", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s area info %s", c, self->area));
	EXPECT_NE(NULL, strstr(out, "size:              8388608 bytes"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "next generation:   1\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "superblock copies: 2 valid (sequence 1)\n"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, tear(self->area, 1));
	ASSERT_EQ(0, run(out, sizeof(out), "%s area info %s", c, self->area));
	EXPECT_NE(NULL, strstr(out, "superblock copy 0: valid (sequence 1), in use\n"
			       "superblock copy 1: damaged: superblock checksum mismatch"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s area info %s --json", c, self->area));
	EXPECT_NE(NULL, strstr(out, "\"sb_copies\": [{\"copy\": 0, \"valid\": true, "
			       "\"sb_seq\": 1}, {\"copy\": 1, \"valid\": false, "
			       "\"error\": \"superblock checksum mismatch"))
		TH_LOG("%s", out);
	/* The rest reads copy 0; copy 1 stays damaged. */

	ASSERT_EQ(0, area_store(self->area, 3, 1, 8192, CKPT_SLOT_COMMITTED,
				&self->b));
	ASSERT_EQ(0, run(out, sizeof(out), "%s area info %s --json", c, self->area));
	EXPECT_NE(NULL, strstr(out, "\"next_generation\": 2,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "{\"slot\": 3, \"generation\": 1, "
			       "\"state\": \"committed\", \"offset\": 8192"))
		TH_LOG("%s", out);

	ASSERT_EQ(0, run(out, sizeof(out), "%s show %s:1", c, self->area))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "generation:        1\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "freeze time:       123.456 us")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "/usr/bin/alpha")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "0x0000000000400065")) TH_LOG("%s", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s show %s --json", c, self->area));
	EXPECT_NE(NULL, strstr(out, "\"comm\": \"beta-with-a-long\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"path\": \"[heap]\"")) TH_LOG("%s", out);

	ASSERT_EQ(0, write_file(self->path, self->b.p, self->b.len));
	ASSERT_EQ(0, run(out, sizeof(out), "%s show - < %s", c, self->path))
		TH_LOG("%s", out);
	self->b.p[300] ^= 1;
	ASSERT_EQ(0, write_file(self->path, self->b.p, self->b.len));
	EXPECT_EQ(1, run(out, sizeof(out), "%s show %s 2>&1", c, self->path));
	EXPECT_NE(NULL, strstr(out, "checksum mismatch")) TH_LOG("%s", out);
	EXPECT_EQ(0, strncmp(out, "ckptctl: ", 9)) TH_LOG("%s", out);
	EXPECT_EQ(2, run(out, sizeof(out), "%s show 2>&1", c));
}

TEST_HARNESS_MAIN
