// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Filling a restoring process's memory from the image: the page runs of
 * its plan, cut into pieces of CKPT_RESTORE_CRC_PIECE bytes, are read from
 * the image straight into the target pages, each piece's CRC-32C computed
 * from them (the controller checks the image's checksum from them: it never
 * reads the page data itself). A large fill is shared with kernel workers
 * that take the restoring task's mm with kthread_use_mm(), one per online
 * CPU beyond the first (at most FILL_WORKERS): the fill is the bulk of a
 * restore, and a process's own thread count says nothing about how many
 * CPUs could copy its memory. A thread takes a unit of UNIT_PIECES
 * consecutive pieces of one run at a time, a huge page's worth: two
 * threads faulting in the two halves of one huge page at once would each
 * allocate and clear a huge page, and one of them would be thrown away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/uaccess.h>
#include <linux/ckpt.h>

#include "csum.h"
#include "fault.h"
#include "fill.h"

#define PIECE		CKPT_RESTORE_CRC_PIECE
#define PIECE_PAGES	(PIECE >> PAGE_SHIFT)
#define FILL_WORKERS	3	/* kernel workers beside the restoring task */
#define PARALLEL_MIN	64	/* pieces (MiB) below which one task fills */
#define UNIT_PIECES	DIV_ROUND_UP(HPAGE_PMD_SIZE, PIECE)

/**
 * struct fill - one fill, shared by the restoring task and its workers
 * @image: the image file
 * @runs: the plan's runs
 * @first: per run, the index of its first piece (in the image's order)
 * @unit: per run, the index of its first unit; @unit[nr_runs] is the total
 * @nr_runs: runs
 * @crcs: per piece, its CRC-32C, or NULL
 * @owner: the restoring task, whose mm is filled
 * @mm: its mm, referenced (mmget) by each worker
 * @progressed: called after each piece, by whichever thread filled it
 * @next: the next unit to take
 * @error: the first failure, a negative errno; once set, no piece is taken
 * @running: workers not yet finished
 * @done: the last worker finished
 *
 * Every field but @next, @error and @running is set before any worker
 * starts and read-only after; the pieces are disjoint, so each byte of the
 * mm and each @crcs entry is written by exactly one thread.
 */
struct fill {
	struct file *image;
	const struct ckpt_restore_run *runs;
	u64 *first;
	u64 *unit;
	size_t nr_runs;
	__le32 *crcs;
	struct task_struct *owner;
	struct mm_struct *mm;
	void (*progressed)(void);
	atomic64_t next;
	atomic_t error;
	atomic_t running;
	struct completion done;
};

static u64 run_pieces(const struct ckpt_restore_run *r)
{
	return DIV_ROUND_UP(r->nr_pages << PAGE_SHIFT, PIECE);
}

u64 ckpt_fill_nr_pieces(const struct ckpt_restore_run *runs, size_t nr_runs)
{
	u64 n = 0;
	size_t i;

	for (i = 0; i < nr_runs; i++)
		n += run_pieces(&runs[i]);
	return n;
}

/* The run unit @u belongs to: the last run whose first unit is <= @u. */
static size_t run_of(const struct fill *f, u64 u)
{
	size_t lo = 0, hi = f->nr_runs;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->unit[mid] <= u)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* What one filling thread works with, allocated once per thread. */
struct filler {
	void *buf;		/* a piece, for the slow path */
	struct page **pages;	/* a piece's pages, pinned by GUP */
	struct bio_vec *bv;	/* the same, for the read */
};

static void filler_free(struct filler *fl)
{
	kvfree(fl->buf);
	kfree(fl->pages);
	kfree(fl->bv);
}

static int filler_alloc(struct filler *fl)
{
	fl->buf = kvmalloc(PIECE, GFP_KERNEL);
	fl->pages = kmalloc_array(PIECE_PAGES, sizeof(*fl->pages), GFP_KERNEL);
	fl->bv = kmalloc_array(PIECE_PAGES, sizeof(*fl->bv), GFP_KERNEL);
	if (fl->buf && fl->pages && fl->bv)
		return 0;
	filler_free(fl);
	return -ENOMEM;
}

/*
 * Read the image into the @nr whole pages of @bv at @pos. Directly, with
 * no page cache in between, where the image's file has direct I/O
 * (FMODE_CAN_ODIRECT, set at open: a block device, ext4, xfs; not tmpfs in
 * 6.1): a restore reads each byte of the image once, so caching it would
 * only cost an allocation, an insertion and a copy per page. What 6.1's
 * blkdev_direct_IO() and iomap_dio_bio_iter() require holds: the segments
 * are whole pages at offset 0, and the position and length multiples of
 * 4096 (an area slot starts at a multiple of 4096 and version 8 images
 * align their page data), which covers logical blocks up to 4096; a read
 * refused as unaligned (-EINVAL, nothing read) goes through the page
 * cache. A bvec iterator's pages are not referenced again by the block
 * layer (bio_iov_bvec_set()): the caller's references keep them until
 * the synchronous read returns. A direct read first writes back dirty
 * cached pages of its range (filemap_write_and_wait_range()).
 */
static ssize_t read_image(struct file *image, struct bio_vec *bv, int nr,
			  size_t n, loff_t pos)
{
	struct iov_iter iter;
	struct kiocb kiocb;
	ssize_t got;

	if (image->f_mode & FMODE_CAN_ODIRECT) {
		iov_iter_bvec(&iter, ITER_DEST, bv, nr, n);
		init_sync_kiocb(&kiocb, image);
		kiocb.ki_pos = pos;
		kiocb.ki_flags |= IOCB_DIRECT;
		got = vfs_iocb_iter_read(image, &kiocb, &iter);
		if (got != -EINVAL)
			return got;
	}
	iov_iter_bvec(&iter, ITER_DEST, bv, nr, n);
	return vfs_iter_read(image, &iter, &pos, 0);
}

/*
 * The fast path, one copy: the piece's pages are taken writable with
 * get_user_pages_fast() in the caller's mm (the restoring task's, or a
 * worker's inside kthread_use_mm()), faulting them in as the program's
 * own stores would — huge pages where the mapping allows them — and the
 * image is read straight into them through a bvec iterator (read_image());
 * the CRC is then taken from them. Dirtied as access_process_vm() does
 * (set_page_dirty_lock()), so shared and file pages are written back.
 *
 * Return: 0, 1 if the pages cannot be taken writable (a read-only or
 * PROT_NONE mapping: the slow path), or -EIO.
 */
static int read_into_pages(struct fill *f, struct filler *fl, unsigned long addr,
			   size_t n, loff_t pos, u32 *crc)
{
	int nr = n >> PAGE_SHIFT, got, i, ret = 0;

	got = get_user_pages_fast(addr, nr, FOLL_WRITE, fl->pages);
	if (got != nr) {
		for (i = 0; i < got; i++)
			put_page(fl->pages[i]);
		return 1;
	}
	for (i = 0; i < nr; i++) {
		fl->bv[i].bv_page = fl->pages[i];
		fl->bv[i].bv_len = PAGE_SIZE;
		fl->bv[i].bv_offset = 0;
	}
	if (read_image(f->image, fl->bv, nr, n, pos) != n)
		ret = -EIO;
	for (i = 0; i < nr; i++) {
		if (!ret && f->crcs) {
			void *p = kmap_local_page(fl->pages[i]);

			*crc = ckpt_csum(*crc, p, PAGE_SIZE);
			kunmap_local(p);
		}
		set_page_dirty_lock(fl->pages[i]);
		put_page(fl->pages[i]);
	}
	return ret;
}

/*
 * The slow path, for what is not writable: read into a buffer, then
 * access_process_vm() on the restoring task with FOLL_FORCE, as a
 * debugger's pokes do: it writes into read-only private mappings by COW
 * and into shared ones directly, so every mapping keeps its final
 * protection. (get_task_mm() refuses kernel threads, hence @owner.)
 */
static int poke_piece(struct fill *f, struct filler *fl, unsigned long addr,
		      size_t n, loff_t pos, u32 *crc)
{
	if (kernel_read(f->image, fl->buf, n, &pos) != n)
		return -EIO;
	if (access_process_vm(f->owner, addr, fl->buf, n,
			      FOLL_FORCE | FOLL_WRITE) != n)
		return -EFAULT;
	if (f->crcs)
		*crc = ckpt_csum(*crc, fl->buf, n);
	return 0;
}

/* Piece @j of run @i. */
static int fill_piece(struct fill *f, size_t i, u64 j, struct filler *fl)
{
	const struct ckpt_restore_run *r = &f->runs[i];
	u64 at = j * PIECE, k = f->first[i] + j;
	size_t n = min_t(u64, PIECE, (r->nr_pages << PAGE_SHIFT) - at);
	u32 crc = ~0U;
	int ret;

	ret = read_into_pages(f, fl, r->addr + at, n, r->offset + at, &crc);
	if (ret > 0) {
		crc = ~0U;
		ret = poke_piece(f, fl, r->addr + at, n, r->offset + at, &crc);
	}
	if (!ret && f->crcs)
		f->crcs[k] = cpu_to_le32(~crc);
	return ret;
}

static void fail(struct fill *f, int err)
{
	atomic_cmpxchg(&f->error, 0, err);
}

/* The pieces of unit @u, each checked for a failure or a fatal signal. */
static int fill_unit(struct fill *f, u64 u, struct filler *fl)
{
	size_t i = run_of(f, u);
	u64 j = (u - f->unit[i]) * UNIT_PIECES;
	u64 end = min_t(u64, j + UNIT_PIECES, run_pieces(&f->runs[i]));
	int ret;

	for (; j < end; j++) {
		if (atomic_read(&f->error))
			return 0;
		if (fatal_signal_pending(current))
			return -EINTR;
		ret = fill_piece(f, i, j, fl);
		if (ret)
			return ret;
		f->progressed();
		/* The selftests' slow fill: once per piece, a MiB. */
		ckpt_fault_fill_delay();
		cond_resched();
	}
	return 0;
}

/*
 * Take units until none is left or the fill failed. A fatal signal
 * (only the restoring task gets one) fails it for everyone.
 */
static void fill_loop(struct fill *f, struct filler *fl)
{
	u64 total = f->unit[f->nr_runs], u;
	int ret;

	while (!atomic_read(&f->error)) {
		u = atomic64_fetch_inc(&f->next);
		if (u >= total)
			break;
		ret = fill_unit(f, u, fl);
		if (ret) {
			fail(f, ret);
			break;
		}
	}
}

static int fill_worker(void *data)
{
	struct fill *f = data;
	struct filler fl;

	if (!filler_alloc(&fl)) {
		kthread_use_mm(f->mm);
		fill_loop(f, &fl);
		kthread_unuse_mm(f->mm);
		filler_free(&fl);
	} else {
		fail(f, -ENOMEM);
	}
	mmput(f->mm);
	if (atomic_dec_and_test(&f->running))
		complete(&f->done);
	return 0;
}

/* Start up to @n workers; those that cannot start leave more to the rest. */
static void start_workers(struct fill *f, int n)
{
	struct task_struct *t;
	int i;

	for (i = 0; i < n; i++) {
		mmget(f->mm);
		atomic_inc(&f->running);
		t = kthread_run(fill_worker, f, "ckpt-fill/%d",
				task_pid_nr(f->owner));
		if (IS_ERR(t)) {
			atomic_dec(&f->running);
			mmput(f->mm);
			return;
		}
	}
}

static int nr_workers(u64 pieces)
{
	/* Pieces, not units: the work to share, in MiB. */
	if (pieces < PARALLEL_MIN)
		return 0;
	return min_t(int, num_online_cpus() - 1, FILL_WORKERS);
}

/**
 * ckpt_fill() - fill the caller's memory from the image
 * @image: the image file
 * @runs: page runs, checked to lie in the caller's mappings and the image
 * @nr_runs: their number
 * @crcs: ckpt_fill_nr_pieces() entries for the pieces' CRCs, or NULL
 * @progressed: called after each piece, from whichever thread filled it
 *
 * Called by the restoring task itself, its mappings made. A fatal signal
 * stops the fill; the workers stop after the piece they are filling, and
 * this returns only once none is left, so nothing here outlives the call.
 *
 * Return: 0, or the first failure (-EIO, -EFAULT, -ENOMEM, -EINTR).
 */
int ckpt_fill(struct file *image, const struct ckpt_restore_run *runs,
	      size_t nr_runs, __le32 *crcs, void (*progressed)(void))
{
	struct fill f = {
		.image = image, .runs = runs, .nr_runs = nr_runs,
		.crcs = crcs, .owner = current, .mm = current->mm,
		.progressed = progressed,
	};
	struct filler fl;
	size_t i;

	if (filler_alloc(&fl))
		return -ENOMEM;
	f.first = kvmalloc_array(2 * (nr_runs + 1), sizeof(*f.first), GFP_KERNEL);
	if (!f.first) {
		filler_free(&fl);
		return -ENOMEM;
	}
	f.unit = f.first + nr_runs + 1;
	f.first[0] = 0;
	f.unit[0] = 0;
	for (i = 0; i < nr_runs; i++) {
		f.first[i + 1] = f.first[i] + run_pieces(&runs[i]);
		f.unit[i + 1] = f.unit[i] + DIV_ROUND_UP(run_pieces(&runs[i]), UNIT_PIECES);
	}
	atomic64_set(&f.next, 0);
	atomic_set(&f.error, 0);
	/* One count for this task, so that @done fires only after it. */
	atomic_set(&f.running, 1);
	init_completion(&f.done);
	start_workers(&f, nr_workers(f.first[nr_runs]));
	fill_loop(&f, &fl);
	if (!atomic_dec_and_test(&f.running))
		wait_for_completion(&f.done);
	kvfree(f.first);
	filler_free(&fl);
	return atomic_read(&f.error);
}
