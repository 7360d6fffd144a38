// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The writer: a kthread per checkpoint that streams the snapshot
 * sequentially into its area in the image format, checksums it, commits
 * it, and drops each page reference as soon as the page is copied out.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32c.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "area.h"
#include "fault.h"
#include "genl.h"
#include "job.h"
#include "snap.h"
#include "writer.h"

/*
 * Large sequential writes; also the granularity of rate limiting, and how
 * far ahead of a blocked output the writer reads (check --kernel's BALLAST
 * in cli/check_kernel.c must stay larger).
 */
#define STREAM_BUF_SIZE	(1024 * 1024)
/* Most pages in one PAGES record: a reader can buffer one run (2 MiB). */
#define MAX_RUN_PAGES	512

struct stream {
	struct ckpt_job *job;
	struct ckpt_area *area;
	u64 base;		/* image offset in the area */
	u64 flushed;		/* image bytes written to the area */
	char *buf;
	size_t fill;
	u32 crc;		/* running crc32c, pre-inversion */
	bool crc_on;		/* false once the trailer starts */
	ktime_t start;
	ktime_t last_event;	/* last progress event */
};

/* Index after the run starting at @i; *@pages gets its page count. */
static unsigned long next_run(struct ckpt_task_snap *ts, unsigned long i,
			      u32 *pages)
{
	struct ckpt_page_ent *e = ckpt_snap_ent(ts, i);
	unsigned long end = e->addr + e->nr * PAGE_SIZE;

	*pages = e->nr;
	for (i++; i < ts->nr_ents; i++) {
		e = ckpt_snap_ent(ts, i);

		if (e->addr != end || *pages + e->nr > MAX_RUN_PAGES ||
		    (e->flags & CKPT_ENT_VMA_START))
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

/*
 * The image's exact length, in the order stream_image() writes it: every
 * process's metadata and the zombies first, then the page runs, whose
 * padding depends on where each one starts.
 */
static u64 image_length(struct ckpt_snapshot *snap)
{
	u64 len = sizeof(struct ckpt_image_hdr);
	unsigned int t;

	for (t = 0; t < snap->nr_tasks; t++) {
		struct ckpt_task_snap *ts = &snap->tasks[t];

		len += rec_size(sizeof(ts->rec)) + ts->proc.len +
		       ts->threads.len + ts->vmas.len + ts->fds.len +
		       ts->ident.len + ts->timers.len + ts->signals.len +
		       ts->locks.len + ts->sysv.len + ts->tty.len;
	}
	len += snap->nr_zombies * rec_size(sizeof(struct ckpt_rec_zombie));
	for (t = 0; t < snap->nr_tasks; t++) {
		struct ckpt_task_snap *ts = &snap->tasks[t];
		unsigned long i = 0;
		u32 pages;

		while (i < ts->nr_ents) {
			i = next_run(ts, i, &pages);
			len += rec_size(sizeof(struct ckpt_rec_pages));
			len += CKPT_PAGES_PAD(len) + (u64)pages * PAGE_SIZE;
		}
	}
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

static int flush(struct stream *s)
{
	int ret;

	if (!s->fill)
		return 0;
	ret = ckpt_area_write(s->area, s->base + s->flushed, s->buf, s->fill);
	if (ret)
		return ret;
	s->flushed += s->fill;
	s->fill = 0;
	WRITE_ONCE(s->job->written, s->flushed);
	if (ktime_ms_delta(ktime_get(), s->last_event) >= MSEC_PER_SEC) {
		s->last_event = ktime_get();
		ckpt_genl_notify(s->job);
	}
	rate_limit(s);
	cond_resched();
	return 0;
}

static int emit(struct stream *s, const void *data, size_t len)
{
	size_t n;
	int ret;

	if (s->crc_on)
		s->crc = crc32c(s->crc, data, len);
	while (len) {
		n = min(len, STREAM_BUF_SIZE - s->fill);
		memcpy(s->buf + s->fill, data, n);
		s->fill += n;
		data += n;
		len -= n;
		if (s->fill == STREAM_BUF_SIZE) {
			ret = flush(s);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int emit_rec(struct stream *s, u32 type, const void *p, size_t len)
{
	struct ckpt_rec_hdr hdr = { .type = type, .len = len };
	static const char zeros[8];
	int ret;

	ret = emit(s, &hdr, sizeof(hdr));
	if (!ret)
		ret = emit(s, p, len);
	if (!ret && ALIGN(len, 8) != len)
		ret = emit(s, zeros, ALIGN(len, 8) - len);
	return ret;
}

static int emit_page(struct stream *s, struct page *page)
{
	void *p = kmap_local_page(page);
	int ret = emit(s, p, PAGE_SIZE);

	kunmap_local(p);
	return ret;
}

/* One process's page runs; each page reference is dropped once copied. */
static int emit_pages(struct stream *s, struct ckpt_task_snap *ts)
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
		u64 pad = CKPT_PAGES_PAD(s->flushed + s->fill + sizeof(hdr) +
					 sizeof(rec));

		j = next_run(ts, i, &pages);
		rec.nr_pages = pages;
		hdr.len = sizeof(rec) + pad + (u64)pages * PAGE_SIZE;
		ret = emit(s, &hdr, sizeof(hdr));
		if (!ret)
			ret = emit(s, &rec, sizeof(rec));
		if (!ret)
			ret = emit(s, page_address(ZERO_PAGE(0)), pad);
		for (k = i; !ret && k < j; k++) {
			struct ckpt_page_ent *e = ckpt_snap_ent(ts, k);

			for (n = 0; !ret && n < e->nr; n++)
				ret = emit_page(s, e->page + n);
			ckpt_snap_put_ent(e);
		}
		/*
		 * Entries before k are released (page NULL), the rest are
		 * dropped by ckpt_snap_release_pages(), which skips those.
		 */
		if (ret)
			return ret;
		i = j;
	}
	ts->nr_ents = 0;
	return 0;
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
	unsigned int t;
	int ret;

	ret = emit(s, &hdr, sizeof(hdr));
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
	}
	for (t = 0; !ret && t < snap->nr_zombies; t++)
		ret = emit_rec(s, CKPT_REC_ZOMBIE, &snap->zombies[t],
			       sizeof(snap->zombies[t]));
	for (t = 0; !ret && t < snap->nr_tasks; t++)
		ret = emit_pages(s, &snap->tasks[t]);
	if (ret)
		return ret;
	trailer.crc32c = ~s->crc;
	s->crc_on = false;
	ret = emit_rec(s, CKPT_REC_TRAILER, &trailer, sizeof(trailer));
	if (!ret)
		ret = flush(s);
	if (!ret && s->flushed != s->job->image_len)
		ret = -EIO;
	return ret;
}

static int writer_main(void *arg)
{
	struct ckpt_job *job = arg;
	struct stream s = {
		.job = job,
		.area = job->area,
		.base = job->area->base,
		.crc = ~0U,
		.crc_on = true,
		.start = ktime_get(),
	};
	s.last_event = s.start;
	ckpt_genl_notify(job);
	const char *why = NULL;
	int ret;

	s.buf = ckpt_fault_inject(CKPT_FAULT_WRITER) ? NULL :
		kvmalloc(STREAM_BUF_SIZE, GFP_KERNEL);
	ret = s.buf ? stream_image(&s) : -ENOMEM;
	if (ret)
		why = "writing the image into the area failed";
	if (!ret) {
		ret = ckpt_area_commit(job->area, job->image_len, ~s.crc);
		if (ret)
			why = "flushing the committed image failed";
	}
	if (ret)
		ckpt_area_abandon(job->area);
	kvfree(s.buf);
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
