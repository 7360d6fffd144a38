// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The writer: a kthread per checkpoint that streams the snapshot
 * sequentially into its area in the image format, checksums it, commits
 * it, and drops the page references of each batch as soon as the write
 * that carried the pages, straight from the held pages, completed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bvec.h>
#include <linux/crc32.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "area.h"
#include "csum.h"
#include "fault.h"
#include "genl.h"
#include "incr.h"
#include "job.h"
#include "snap.h"
#include "writer.h"

/*
 * The image goes to the area as page segments (bio_vec): the held pages
 * themselves, and pages of a staging buffer holding the metadata bytes
 * between them. A batch is written in one synchronous call: with direct
 * I/O that puts BATCH_PAGES (4 MiB) in flight at once. Into a pipe, or
 * under a rate limit, batches are STREAM_PAGES (1 MiB): the limit meters
 * what is submitted with that granularity, and check --kernel's BALLAST
 * (cli/check_kernel.c) must stay larger than how far ahead of a blocked
 * output the writer reads pages (here, for their checksum).
 */
#define BATCH_PAGES	1024
#define STREAM_PAGES	256
/* Metadata staged per batch; a batch is written when it is used up. */
#define META_PAGES	256
/* Most pages in one PAGES record: a reader can buffer one run (2 MiB). */
#define MAX_RUN_PAGES	512
/* How long the writer waits for a CPU at nice 19 before it takes its share. */
#define PATIENCE_NS	(1ULL * NSEC_PER_SEC)

/*
 * The checksum of the held pages is taken on a helper kthread while the
 * batch carrying them is written (a direct write leaves the writer's CPU
 * idle; a buffered one copies on one CPU while the helper reads on the
 * other), and folded into the running crc afterwards. The running crc
 * treats each held page as zeros when it passes it (a shift); a span of
 * held pages with crc32c(0, span) = c, ending d bytes before the running
 * crc's position, then contributes c shifted by d: the CRC register is
 * linear in the data (the combination lib/crc32c.c uses for pieces).
 *
 * struct span - consecutive held pages of one batch
 * @first: its first segment in the batch
 * @nr: its segments
 * @end: image offset after its last byte
 * @crc: crc32c(0, its bytes), by the helper
 */
struct span {
	unsigned int first;
	unsigned int nr;
	u64 end;
	u32 crc;
};

/**
 * struct stream - the writer's state
 * @job: the checkpoint
 * @area: where it goes
 * @base: image offset in the area
 * @flushed: image bytes written to the area
 * @pos: image bytes emitted: written, or in the batch
 * @bv: the batch's segments
 * @nr_bv: segments in @bv
 * @max_bv: segments in a batch (BATCH_PAGES or STREAM_PAGES)
 * @meta: the metadata staging pages
 * @meta_used: staging pages in the batch (full ones, in @bv)
 * @meta_fill: bytes in @meta[@meta_used], not yet in @bv
 * @done: entries whose last page is in the batch: released after it
 * @nr_done: entries in @done
 * @scratch: page pointers for ckpt_snap_put_ents()
 * @spans: the batch's held pages, for their checksum
 * @nr_spans: entries in @spans
 * @sum: the helper kthread taking @spans' checksums, or NULL (then the
 *	writer takes them itself)
 * @sum_work: its work: checksum @spans
 * @crc: running crc32c, pre-inversion, at @crc_pos
 * @crc_pos: image offset the running crc has reached
 * @hole: bytes of held pages before @crc_pos not shifted into @crc yet
 * @crc_on: false once the trailer starts
 * @start: when streaming started
 * @last_event: last progress event
 * @delay0: the writer's sched_info.run_delay when it started
 * @sum_delay0: the same of @sum's thread
 * @yielding: still at nice 19
 */
struct stream {
	struct ckpt_job *job;
	struct ckpt_area *area;
	u64 base;
	u64 flushed;
	u64 pos;
	struct bio_vec *bv;
	unsigned int nr_bv;
	unsigned int max_bv;
	struct page **meta;
	unsigned int meta_used;
	size_t meta_fill;
	struct ckpt_page_ent **done;
	unsigned int nr_done;
	struct page **scratch;
	struct span *spans;
	unsigned int nr_spans;
	struct kthread_worker *sum;
	struct kthread_work sum_work;
	u32 crc;
	u64 crc_pos;
	u64 hole;
	bool crc_on;
	ktime_t start;
	ktime_t last_event;
	unsigned long long delay0;
	unsigned long long sum_delay0;
	bool yielding;
};

/* Where an entry's bytes are: written here, or elsewhere (no page). */
#define ENT_KIND	(CKPT_ENT_BASE | CKPT_ENT_FORKED)

/*
 * Index after the run starting at @i; *@pages gets its page count. A run
 * is all held pages, all pages of the parent generation (CKPT_ENT_BASE)
 * or all pages of the parent process (CKPT_ENT_FORKED), and all of the
 * first sweep or all of the second (CKPT_ENT_LATE).
 */
static unsigned long next_run(struct ckpt_task_snap *ts, unsigned long i,
			      u32 *pages)
{
	struct ckpt_page_ent *e = ckpt_snap_ent(ts, i);
	unsigned long end = e->addr + e->nr * PAGE_SIZE;
	unsigned int kind = e->flags & ENT_KIND;
	unsigned int late = e->flags & CKPT_ENT_LATE;

	*pages = e->nr;
	for (i++; i < ts->nr_ents; i++) {
		e = ckpt_snap_ent(ts, i);

		if (e->addr != end || *pages + e->nr > MAX_RUN_PAGES ||
		    (e->flags & CKPT_ENT_VMA_START) ||
		    (e->flags & ENT_KIND) != kind ||
		    (e->flags & CKPT_ENT_LATE) != late)
			break;
		*pages += e->nr;
		end += e->nr * PAGE_SIZE;
	}
	return i;
}

static u64 rec_size(size_t payload)
{
	return sizeof(struct ckpt_rec_hdr) + ALIGN(payload, 8);
}

static bool is_kind(struct ckpt_task_snap *ts, unsigned long i,
		    unsigned int kind)
{
	return ckpt_snap_ent(ts, i)->flags & kind;
}

/* Entries whose bytes this image does not write after the entry's run. */
static bool is_elsewhere(struct ckpt_task_snap *ts, unsigned long i)
{
	return is_kind(ts, i, ENT_KIND);
}

/*
 * Runs of pages a process takes from the parent generation (BASE) or
 * from its parent process (FORKED), or that come late (LATE).
 */
static u32 kind_runs(struct ckpt_task_snap *ts, unsigned int kind)
{
	unsigned long i = 0;
	u32 n = 0, pages;

	while (i < ts->nr_ents) {
		n += is_kind(ts, i, kind);
		i = next_run(ts, i, &pages);
	}
	return n;
}

/* struct ckpt_rec_base, ckpt_rec_forked and ckpt_rec_late are alike. */
static size_t kind_len(struct ckpt_task_snap *ts, unsigned int kind)
{
	return sizeof(struct ckpt_rec_base) +
	       (size_t)kind_runs(ts, kind) * sizeof(struct ckpt_base_run);
}

/* An entry's CKPT_TOUCHED_* bits (snap.c pte_touched()). */
static u32 touched_of(const struct ckpt_page_ent *e)
{
	return (e->flags & CKPT_ENT_WRITTEN ? CKPT_TOUCHED_WRITTEN : 0) |
	       (e->flags & CKPT_ENT_ACCESSED ? CKPT_TOUCHED_ACCESSED : 0);
}

/*
 * Index after the run of pages touched alike that starts at @i, within
 * one mapping; *@run gets it. A page of the parent generation or the
 * parent process (ENT_KIND) is never in one: the TOUCHED record covers
 * only the process's own PAGES runs.
 */
static unsigned long next_touched(struct ckpt_task_snap *ts, unsigned long i,
				  struct ckpt_touched_run *run)
{
	struct ckpt_page_ent *e = ckpt_snap_ent(ts, i);
	unsigned long end = e->addr + e->nr * PAGE_SIZE;

	*run = (struct ckpt_touched_run){
		.addr = e->addr, .nr_pages = e->nr,
		.flags = e->flags & ENT_KIND ? 0 : touched_of(e),
	};
	for (i++; i < ts->nr_ents; i++) {
		e = ckpt_snap_ent(ts, i);

		if (e->addr != end || touched_of(e) != run->flags ||
		    (e->flags & (CKPT_ENT_VMA_START | ENT_KIND)) ||
		    run->nr_pages > U32_MAX - e->nr)
			break;
		run->nr_pages += e->nr;
		end += e->nr * PAGE_SIZE;
	}
	return i;
}

static u32 touched_runs(struct ckpt_task_snap *ts)
{
	struct ckpt_touched_run run;
	unsigned long i = 0;
	u32 n = 0;

	while (i < ts->nr_ents) {
		i = next_touched(ts, i, &run);
		n += !!run.flags;
	}
	return n;
}

static size_t touched_len(struct ckpt_task_snap *ts)
{
	return sizeof(struct ckpt_rec_touched) +
	       (size_t)touched_runs(ts) * sizeof(struct ckpt_touched_run);
}

/* Is the run at @i written in sweep @late (0: first, 1: second)? */
static bool in_sweep(struct ckpt_task_snap *ts, unsigned long i, bool late)
{
	return !is_elsewhere(ts, i) && is_kind(ts, i, CKPT_ENT_LATE) == late;
}

/* @len after @ts's PAGES records of sweep @late. */
static u64 sweep_length(struct ckpt_task_snap *ts, bool late, u64 len)
{
	unsigned long i = 0;
	bool ours;
	u32 pages;

	while (i < ts->nr_ents) {
		ours = in_sweep(ts, i, late);
		i = next_run(ts, i, &pages);
		if (!ours)
			continue;
		len += rec_size(sizeof(struct ckpt_rec_pages));
		len += CKPT_PAGES_PAD(len) + (u64)pages * PAGE_SIZE;
	}
	return len;
}

/*
 * The image's exact length, in the order stream_image() writes it: every
 * process's metadata and the zombies first, then the page runs in two
 * sweeps (CKPT_ENT_LATE), whose padding depends on where each one starts.
 */
static u64 image_length(struct ckpt_snapshot *snap)
{
	u64 len = sizeof(struct ckpt_image_hdr);
	unsigned int t, sweep;

	if (snap->incremental)
		len += rec_size(sizeof(snap->parent));

	for (t = 0; t < snap->nr_tasks; t++) {
		struct ckpt_task_snap *ts = &snap->tasks[t];

		len += rec_size(sizeof(ts->rec)) + ts->proc.len +
		       ts->threads.len + ts->vmas.len + ts->fds.len +
		       ts->ident.len + ts->timers.len + ts->signals.len +
		       ts->locks.len + ts->sysv.len + ts->tty.len;
		if (snap->incremental)
			len += rec_size(kind_len(ts, CKPT_ENT_BASE));
		if (ts->rec.flags & CKPT_TASK_FORKED)
			len += rec_size(kind_len(ts, CKPT_ENT_FORKED));
		len += rec_size(touched_len(ts));
		len += rec_size(kind_len(ts, CKPT_ENT_LATE));
	}
	len += snap->nr_zombies * rec_size(sizeof(struct ckpt_rec_zombie));
	for (sweep = 0; sweep < 2; sweep++)
		for (t = 0; t < snap->nr_tasks; t++)
			len = sweep_length(&snap->tasks[t], sweep, len);
	return len + rec_size(sizeof(struct ckpt_rec_trailer));
}

/*
 * A low rate can mean a wait of hours. It is neither a hung task nor load,
 * so the writer waits in TASK_IDLE: msleep()'s TASK_UNINTERRUPTIBLE made
 * the hung task detector report it after 120 s.
 */
static void rate_limit(struct stream *s)
{
	u64 due_ns, spent_ns;

	if (!s->job->rate)
		return;
	due_ns = div64_u64(s->flushed * NSEC_PER_SEC, s->job->rate);
	spent_ns = ktime_to_ns(ktime_sub(ktime_get(), s->start));
	if (due_ns > spent_ns)
		schedule_timeout_idle(nsecs_to_jiffies(due_ns - spent_ns));
}

/*
 * The writer starts at nice 19, not nice 0 and not SCHED_IDLE: the
 * workload keeps running while its image streams and should get the CPU
 * first. But the writer holds a reference on every page not yet written,
 * and each one the workload writes meanwhile costs it a copy-on-write
 * fault; with every CPU busy, nice 19 (a weight of 15 against 1024) or
 * SCHED_IDLE would hold those pages for as long as the workload is busy
 * (the test suite's spinning workloads on two CPUs made streams of a few
 * MiB take minutes). So once it has waited for a CPU for PATIENCE_NS in
 * all (sched_info.run_delay: runnable, not running; CONFIG_SCHED_INFO is
 * on in Debian's kernels), it returns to nice 0 for the rest of the
 * stream: the workload's delay is bounded, the writer's too.
 */
static void patience(struct stream *s)
{
	unsigned long long waited = current->sched_info.run_delay - s->delay0;

	/* The writer waits for its helper: the helper's wait counts too. */
	if (s->sum)
		waited += s->sum->task->sched_info.run_delay - s->sum_delay0;
	if (s->yielding && waited > PATIENCE_NS) {
		set_user_nice(current, 0);
		if (s->sum)
			set_user_nice(s->sum->task, 0);
		s->yielding = false;
	}
}

static void sum_spans(struct stream *s)
{
	unsigned int i, k;
	void *p;

	for (i = 0; i < s->nr_spans; i++) {
		struct span *sp = &s->spans[i];

		sp->crc = 0;
		for (k = sp->first; k < sp->first + sp->nr; k++) {
			p = kmap_local_page(s->bv[k].bv_page);
			sp->crc = ckpt_csum(sp->crc, p, PAGE_SIZE);
			kunmap_local(p);
		}
	}
}

static void sum_fn(struct kthread_work *work)
{
	sum_spans(container_of(work, struct stream, sum_work));
}

static void crc_catch_up(struct stream *s)
{
	if (s->hole)
		s->crc = __crc32c_le_shift(s->crc, s->hole);
	s->hole = 0;
}

/* Fold the spans' checksums, taken already, into the running crc. */
static void fold(struct stream *s)
{
	unsigned int i;

	crc_catch_up(s);
	for (i = 0; i < s->nr_spans; i++)
		s->crc ^= __crc32c_le_shift(s->spans[i].crc,
					    s->crc_pos - s->spans[i].end);
	s->nr_spans = 0;
}

/*
 * Write the batch, then drop the page references it carried. The helper
 * reads the same pages meanwhile; it is waited for even if the write
 * failed, since the pages and @spans are freed after that.
 */
static int flush(struct stream *s)
{
	bool helped = s->nr_spans && s->sum;
	size_t len;
	int ret;

	if (!s->nr_bv)
		return 0;
	if (helped)
		kthread_queue_work(s->sum, &s->sum_work);
	else
		sum_spans(s);
	/* Every segment is a whole page but a stream's last one. */
	len = (size_t)(s->nr_bv - 1) * PAGE_SIZE + s->bv[s->nr_bv - 1].bv_len;
	ret = ckpt_area_write_pages(s->area, s->base + s->flushed, s->bv,
				    s->nr_bv, len);
	if (helped)
		kthread_flush_work(&s->sum_work);
	if (ret)
		return ret;
	fold(s);
	patience(s);
	if (s->nr_done)
		ckpt_snap_put_ents(s->done, s->nr_done, s->scratch);
	s->nr_done = 0;
	s->nr_bv = 0;
	s->meta_used = 0;
	s->flushed = s->pos;
	WRITE_ONCE(s->job->written, s->flushed);
	if (ktime_ms_delta(ktime_get(), s->last_event) >= MSEC_PER_SEC) {
		s->last_event = ktime_get();
		ckpt_genl_notify(s->job);
	}
	rate_limit(s);
	cond_resched();
	return 0;
}

/* Room for one more segment, writing the batch if there is none. */
static int room(struct stream *s)
{
	if (s->nr_bv < s->max_bv && s->meta_used < META_PAGES)
		return 0;
	return flush(s);
}

static void add_bv(struct stream *s, struct page *page, unsigned int len)
{
	s->bv[s->nr_bv].bv_page = page;
	s->bv[s->nr_bv].bv_offset = 0;
	s->bv[s->nr_bv].bv_len = len;
	s->nr_bv++;
}

/* Metadata bytes (@data NULL: zeros) into the staging pages. */
static int emit(struct stream *s, const void *data, size_t len)
{
	void *page;
	size_t n;
	int ret;

	while (len) {
		if (!s->meta_fill) {
			ret = room(s);
			if (ret)
				return ret;
		}
		n = min(len, PAGE_SIZE - s->meta_fill);
		page = page_address(s->meta[s->meta_used]) + s->meta_fill;
		if (data)
			memcpy(page, data, n);
		else
			memset(page, 0, n);
		if (s->crc_on) {
			crc_catch_up(s);
			s->crc = ckpt_csum(s->crc, page, n);
			s->crc_pos += n;
		}
		s->meta_fill += n;
		s->pos += n;
		if (data)
			data += n;
		len -= n;
		if (s->meta_fill == PAGE_SIZE) {
			add_bv(s, s->meta[s->meta_used++], PAGE_SIZE);
			s->meta_fill = 0;
		}
	}
	return 0;
}

static int emit_rec(struct stream *s, u32 type, const void *p, size_t len)
{
	struct ckpt_rec_hdr hdr = { .type = type, .len = len };
	int ret;

	ret = emit(s, &hdr, sizeof(hdr));
	if (!ret)
		ret = emit(s, p, len);
	if (!ret)
		ret = emit(s, NULL, ALIGN(len, 8) - len);
	return ret;
}

/*
 * One held page, as a segment of its own: no copy. The caller aligned the
 * image to a page first (CKPT_PAGES_PAD()), so no staging page is open.
 */
static int emit_page(struct stream *s, struct page *page)
{
	struct span *sp;
	int ret;

	if (WARN_ON_ONCE(s->meta_fill))
		return -EIO;
	ret = room(s);
	if (ret)
		return ret;
	sp = s->nr_spans ? &s->spans[s->nr_spans - 1] : NULL;
	if (!sp || sp->end != s->crc_pos) {
		sp = &s->spans[s->nr_spans++];
		sp->first = s->nr_bv;
		sp->nr = 0;
		sp->end = s->crc_pos;
	}
	sp->nr++;
	sp->end += PAGE_SIZE;
	s->crc_pos += PAGE_SIZE;
	s->hole += PAGE_SIZE;
	add_bv(s, page, PAGE_SIZE);
	s->pos += PAGE_SIZE;
	return 0;
}

/*
 * One process's page runs of sweep @late. Each entry is released by the write that
 * carries its last page (a THP's 512 pages may span two batches).
 */
static int emit_pages(struct stream *s, struct ckpt_task_snap *ts, bool late)
{
	unsigned long i = 0, j, k;
	unsigned int n;
	u32 pages;
	int ret;

	while (i < ts->nr_ents) {
		struct ckpt_rec_pages rec = {
			.pid = ts->rec.pid,
			.addr = ckpt_snap_ent(ts, i)->addr,
		};
		struct ckpt_rec_hdr hdr = { .type = CKPT_REC_PAGES };
		u64 pad = CKPT_PAGES_PAD(s->pos + sizeof(hdr) + sizeof(rec));

		j = next_run(ts, i, &pages);
		if (!in_sweep(ts, i, late)) {
			i = j;
			continue;
		}
		rec.nr_pages = pages;
		hdr.len = sizeof(rec) + pad + (u64)pages * PAGE_SIZE;
		ret = emit(s, &hdr, sizeof(hdr));
		if (!ret)
			ret = emit(s, &rec, sizeof(rec));
		if (!ret)
			ret = emit(s, NULL, pad);
		for (k = i; !ret && k < j; k++) {
			struct ckpt_page_ent *e = ckpt_snap_ent(ts, k);

			for (n = 0; !ret && n < e->nr; n++)
				ret = emit_page(s, e->page + n);
			if (!ret)
				s->done[s->nr_done++] = e;
		}
		/*
		 * Entries not released yet (page not NULL) are dropped by
		 * ckpt_snap_release_pages() when the snapshot is freed.
		 */
		if (ret)
			return ret;
		i = j;
	}
	return 0;
}

/*
 * The BASE record of an incremental image's process (the parent
 * generation's runs), its FORKED record (its parent process's) or its
 * LATE record (its runs of the second sweep).
 */
static int emit_runs_of(struct stream *s, struct ckpt_task_snap *ts,
			unsigned int kind)
{
	struct ckpt_rec_base rec = { .nr_runs = kind_runs(ts, kind) };
	struct ckpt_rec_hdr hdr = {
		.type = kind == CKPT_ENT_BASE ? CKPT_REC_BASE :
			kind == CKPT_ENT_FORKED ? CKPT_REC_FORKED : CKPT_REC_LATE,
		.len = kind_len(ts, kind),
	};
	unsigned long i = 0;
	u32 pages;
	int ret;

	BUILD_BUG_ON(sizeof(struct ckpt_rec_forked) != sizeof(rec));
	BUILD_BUG_ON(sizeof(struct ckpt_rec_late) != sizeof(rec));
	ret = emit(s, &hdr, sizeof(hdr));
	if (!ret)
		ret = emit(s, &rec, sizeof(rec));
	while (!ret && i < ts->nr_ents) {
		struct ckpt_base_run run = { .addr = ckpt_snap_ent(ts, i)->addr };
		bool ours = is_kind(ts, i, kind);

		i = next_run(ts, i, &pages);
		run.nr_pages = pages;
		if (ours)
			ret = emit(s, &run, sizeof(run));
	}
	/* 8 + 16 * n bytes: a multiple of 8, no padding. */
	return ret;
}

/* The TOUCHED record of a process: which of its pages were touched lately. */
static int emit_touched(struct stream *s, struct ckpt_task_snap *ts)
{
	struct ckpt_rec_touched rec = { .nr_runs = touched_runs(ts) };
	struct ckpt_rec_hdr hdr = {
		.type = CKPT_REC_TOUCHED,
		.len = touched_len(ts),
	};
	struct ckpt_touched_run run;
	unsigned long i = 0;
	int ret;

	ret = emit(s, &hdr, sizeof(hdr));
	if (!ret)
		ret = emit(s, &rec, sizeof(rec));
	while (!ret && i < ts->nr_ents) {
		i = next_touched(ts, i, &run);
		if (run.flags)
			ret = emit(s, &run, sizeof(run));
	}
	/* 8 + 16 * n bytes: a multiple of 8, no padding. */
	return ret;
}

/*
 * The end of the image: the open staging page goes out too. In an area
 * its segment is a whole page, zeros after the trailer, so the last
 * direct write is aligned as well; those bytes lie in the slot's last
 * page, which no other slot shares (slots start at multiples of 4096),
 * and are not part of the image. A stream ends exactly at the trailer.
 */
static int finish(struct stream *s)
{
	struct page *page = s->meta[s->meta_used];

	if (s->meta_fill && s->area->sb) {
		memset(page_address(page) + s->meta_fill, 0,
		       PAGE_SIZE - s->meta_fill);
		add_bv(s, page, PAGE_SIZE);
	} else if (s->meta_fill) {
		add_bv(s, page, s->meta_fill);
	}
	s->meta_fill = 0;
	return flush(s);
}

static int stream_image(struct stream *s)
{
	struct ckpt_snapshot *snap = s->job->snap;
	struct ckpt_image_hdr hdr = {
		.magic = CKPT_IMAGE_MAGIC,
		.version = CKPT_IMAGE_VERSION,
		.hdr_size = sizeof(hdr),
		.nr_tasks = snap->nr_tasks,
		.generation = s->job->generation,
		.created_ns = snap->created_ns,
		.freeze_ns = snap->freeze_ns,
		.nr_threads = snap->nr_threads,
		.nr_zombies = snap->nr_zombies,
	};
	struct ckpt_rec_trailer trailer = {
		.magic = CKPT_TRAILER_MAGIC,
		.image_len = s->job->image_len,
	};
	unsigned int t, sweep;
	int ret;

	ret = emit(s, &hdr, sizeof(hdr));
	if (!ret && snap->incremental)
		ret = emit_rec(s, CKPT_REC_PARENT, &snap->parent,
			       sizeof(snap->parent));
	for (t = 0; !ret && t < snap->nr_tasks; t++) {
		struct ckpt_task_snap *ts = &snap->tasks[t];

		ret = emit_rec(s, CKPT_REC_TASK, &ts->rec, sizeof(ts->rec));
		if (!ret)
			ret = emit(s, ts->proc.data, ts->proc.len);
		if (!ret)
			ret = emit(s, ts->threads.data, ts->threads.len);
		if (!ret)
			ret = emit(s, ts->vmas.data, ts->vmas.len);
		if (!ret)
			ret = emit(s, ts->fds.data, ts->fds.len);
		if (!ret)
			ret = emit(s, ts->ident.data, ts->ident.len);
		if (!ret)
			ret = emit(s, ts->timers.data, ts->timers.len);
		if (!ret)
			ret = emit(s, ts->signals.data, ts->signals.len);
		if (!ret)
			ret = emit(s, ts->locks.data, ts->locks.len);
		if (!ret)
			ret = emit(s, ts->sysv.data, ts->sysv.len);
		if (!ret)
			ret = emit(s, ts->tty.data, ts->tty.len);
		if (!ret && snap->incremental)
			ret = emit_runs_of(s, ts, CKPT_ENT_BASE);
		if (!ret && (ts->rec.flags & CKPT_TASK_FORKED))
			ret = emit_runs_of(s, ts, CKPT_ENT_FORKED);
		if (!ret)
			ret = emit_touched(s, ts);
		if (!ret)
			ret = emit_runs_of(s, ts, CKPT_ENT_LATE);
	}
	for (t = 0; !ret && t < snap->nr_zombies; t++)
		ret = emit_rec(s, CKPT_REC_ZOMBIE, &snap->zombies[t],
			       sizeof(snap->zombies[t]));
	for (sweep = 0; !ret && sweep < 2; sweep++)
		for (t = 0; !ret && t < snap->nr_tasks; t++)
			ret = emit_pages(s, &snap->tasks[t], sweep);
	if (ret)
		return ret;
	/* The batch not written yet: its pages' checksum, here and now. */
	sum_spans(s);
	fold(s);
	trailer.crc32c = ~s->crc;
	s->crc_on = false;
	ret = emit_rec(s, CKPT_REC_TRAILER, &trailer, sizeof(trailer));
	if (!ret && s->pos != s->job->image_len)
		ret = -EIO;
	if (!ret)
		ret = finish(s);
	return ret;
}

static void free_stream(struct stream *s)
{
	unsigned int i;

	for (i = 0; s->meta && i < META_PAGES; i++)
		if (s->meta[i])
			__free_page(s->meta[i]);
	kvfree(s->meta);
	kvfree(s->bv);
	kvfree(s->done);
	kvfree(s->scratch);
	kvfree(s->spans);
	if (s->sum)
		kthread_destroy_worker(s->sum);
}

/*
 * Staging pages rather than one kvmalloc() buffer: a bvec needs pages,
 * and 6.1's iov_iter_get_pages() cannot take a kvec's vmalloc memory.
 */
static int alloc_stream(struct stream *s)
{
	unsigned int i;

	if (ckpt_fault_inject(CKPT_FAULT_WRITER))
		return -ENOMEM;
	s->meta = kvcalloc(META_PAGES, sizeof(*s->meta), GFP_KERNEL);
	s->bv = kvcalloc(BATCH_PAGES, sizeof(*s->bv), GFP_KERNEL);
	s->done = kvcalloc(BATCH_PAGES, sizeof(*s->done), GFP_KERNEL);
	s->scratch = kvcalloc(BATCH_PAGES, sizeof(*s->scratch), GFP_KERNEL);
	s->spans = kvcalloc(BATCH_PAGES, sizeof(*s->spans), GFP_KERNEL);
	if (!s->meta || !s->bv || !s->done || !s->scratch || !s->spans)
		return -ENOMEM;
	for (i = 0; i < META_PAGES; i++) {
		s->meta[i] = alloc_page(GFP_KERNEL);
		if (!s->meta[i])
			return -ENOMEM;
	}
	/* Without the helper the writer takes the checksums itself. */
	kthread_init_work(&s->sum_work, sum_fn);
	s->sum = kthread_create_worker(0, "ckpt-sum/%llu", s->job->id);
	if (IS_ERR(s->sum))
		s->sum = NULL;
	if (s->sum) {
		set_user_nice(s->sum->task, MAX_NICE);
		s->sum_delay0 = s->sum->task->sched_info.run_delay;
	}
	return 0;
}

static int writer_main(void *arg)
{
	struct ckpt_job *job = arg;
	struct stream s = {
		.job = job,
		.area = job->area,
		.base = job->area->base,
		.max_bv = job->area->direct && !job->rate ?
			  BATCH_PAGES : STREAM_PAGES,
		.crc = ~0U,
		.crc_on = true,
		.start = ktime_get(),
	};
	const char *why = NULL;
	int ret;

	/* See patience(). */
	set_user_nice(current, MAX_NICE);
	s.yielding = true;
	s.delay0 = current->sched_info.run_delay;
	s.last_event = s.start;
	ckpt_genl_notify(job);
	ret = alloc_stream(&s);
	if (!ret)
		ret = stream_image(&s);
	if (ret)
		why = "writing the image into the area failed";
	if (!ret) {
		ret = ckpt_area_commit(job->area, job->image_len, ~s.crc);
		if (ret)
			why = "flushing the committed image failed";
	}
	if (!ret)
		ckpt_incr_commit(job->snap, job->generation, job->image_len,
				 ~s.crc);
	if (ret)
		ckpt_area_abandon(job->area);
	free_stream(&s);
	/* Release the snapshot and the area now, not when the job is reaped. */
	ckpt_snap_free(job->snap);
	job->snap = NULL;
	ckpt_area_close(job->area);
	job->area = NULL;
	job->stream_ns = ktime_to_ns(ktime_sub(ktime_get(), s.start));
	ckpt_job_finish(job, ret, why);
	ckpt_genl_notify(job);
	ckpt_job_put(job);
	module_put_and_kthread_exit(0);
}

/**
 * ckpt_writer_start() - reserve the area slot and start streaming
 * @job: a job holding its snapshot and area
 * @extack: receives the reason on failure
 *
 * On success the writer owns @job->snap and @job->area and holds a
 * reference on @job and on the module until it finishes.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_writer_start(struct ckpt_job *job, struct netlink_ext_ack *extack)
{
	struct task_struct *t;
	u64 offset;
	int ret;

	job->image_len = image_length(job->snap);
	ret = ckpt_area_reserve(job->area, job->image_len,
				job->snap->created_ns, &job->generation,
				&offset, extack);
	if (ret)
		return ret;
	kref_get(&job->kref);
	__module_get(THIS_MODULE);
	t = ckpt_fault_inject(CKPT_FAULT_WRITER) ? ERR_PTR(-ENOMEM) :
	    kthread_run(writer_main, job, "ckpt-writer/%llu", job->id);
	if (IS_ERR(t)) {
		module_put(THIS_MODULE);
		ckpt_job_put(job);
		ckpt_area_abandon(job->area);
		return PTR_ERR(t);
	}
	return 0;
}
