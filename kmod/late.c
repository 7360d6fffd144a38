// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Pages that may come late (image format 12, CKPT_REC_LATE). A lazy
 * restore starts the processes with what they need to run in place and
 * serves the rest of their memory afterwards; restoring from a stream, it
 * can start them only once that first part has arrived. So the writer
 * puts every process's pages a lazy restore serves later after all the
 * others: this marks them CKPT_ENT_LATE, by the rule the uapi header
 * states (CKPT_LATE_*), which the reader checks run by run and the
 * restore applies too (lib/restore_lazy.c). Runs after the release.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <asm/user.h>

#include "late.h"
#include "snap.h"

/* A record of a ckpt_buf (header, payload, zeros to the next 8 bytes). */
static const void *next_rec(const struct ckpt_buf *b, size_t *off,
			    const struct ckpt_rec_hdr **hdr)
{
	const struct ckpt_rec_hdr *h;

	if (*off + sizeof(*h) > b->len)
		return NULL;
	h = b->data + *off;
	*off += sizeof(*h) + ALIGN(h->len, 8);
	*hdr = h;
	return h + 1;
}

static bool near(unsigned long addr, u64 x, unsigned long pages)
{
	return addr + pages * PAGE_SIZE > x && addr < x + pages * PAGE_SIZE;
}

/* Is the page at @addr near a thread's instruction or stack pointer? */
static bool near_a_thread(const struct ckpt_task_snap *ts, unsigned long addr)
{
	const struct ckpt_rec_thread *th;
	const struct user_regs_struct *regs;
	const struct ckpt_rec_hdr *hdr;
	size_t off = 0;

	while ((th = next_rec(&ts->threads, &off, &hdr))) {
		if (th->regs_size != sizeof(*regs))
			return true;	/* cannot tell: keep it early */
		regs = (const void *)(th + 1);
		if (near(addr, regs->ip, CKPT_LATE_NEAR_IP) ||
		    near(addr, regs->sp, CKPT_LATE_NEAR_SP))
			return true;
	}
	return false;
}

static bool may_come_late(const struct ckpt_rec_vma *v)
{
	return (v->flags & CKPT_VMA_ANON) && !(v->flags & CKPT_LATE_VMA_NOT) &&
	       v->nr_pages > CKPT_LATE_MIN_PAGES;
}

/*
 * An entry of a THP held whole is late only if none of its pages is near
 * a thread: the run of one entry is never split.
 */
static bool ent_late(const struct ckpt_task_snap *ts,
		     const struct ckpt_page_ent *e)
{
	unsigned int k;

	if (e->flags & (CKPT_ENT_BASE | CKPT_ENT_FORKED))
		return false;
	for (k = 0; k < e->nr; k++)
		if (near_a_thread(ts, e->addr + k * PAGE_SIZE))
			return false;
	return true;
}

static void mark_task(struct ckpt_task_snap *ts)
{
	const struct ckpt_rec_vma *v = NULL;
	const struct ckpt_rec_hdr *hdr;
	size_t off = 0;
	unsigned long i;

	/* Entries and VMA records are both in address order. */
	for (i = 0; i < ts->nr_ents; i++) {
		struct ckpt_page_ent *e = ckpt_snap_ent(ts, i);

		while (!v || v->end <= e->addr) {
			v = next_rec(&ts->vmas, &off, &hdr);
			if (!v)
				return;
		}
		if (v->start <= e->addr && may_come_late(v) && ent_late(ts, e))
			e->flags |= CKPT_ENT_LATE;
		if (!(i % 1024))
			cond_resched();
	}
}

/**
 * ckpt_late_mark() - mark the pages a lazy restore may serve later
 * @snap: the snapshot, after ckpt_forked_mark()
 *
 * An incremental image and a group sharing pages since fork() have none:
 * a lazy restore composes no chain, and copies a shared page from its
 * parent's bytes, which the child may need early.
 */
void ckpt_late_mark(struct ckpt_snapshot *snap)
{
	unsigned int i;

	if (snap->incremental)
		return;
	for (i = 0; i < snap->nr_tasks; i++)
		if (snap->tasks[i].rec.flags & CKPT_TASK_FORKED)
			return;
	for (i = 0; i < snap->nr_tasks; i++)
		mark_task(&snap->tasks[i]);
}
