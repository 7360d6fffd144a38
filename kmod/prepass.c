// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The pre-pass of the two-phase freeze. Before the group is parked, the
 * anonymous pages of each process are held copy-on-write exactly as the
 * stop would hold them (snap.c: reference taken, AnonExclusive cleared,
 * write-protected, or marked for a copy), while the group runs, a chunk
 * of PMD ranges per mmap_lock hold. For each range it keeps the PMD entry
 * and a copy of the range's PTEs as they were when its pages were held.
 * In the stop, a range whose mapping, PMD entry and PTEs are what the
 * pre-pass left is kept as it is: comparing 4 KiB of entries replaces a
 * walk that touches the struct page of every page. Every other range is
 * walked as without a pre-pass, after its earlier entries are dropped.
 *
 * Why an unchanged range's held pages are the process's memory at the
 * stop (the invariant, checked in the stop under the mmap_lock with every
 * thread parked):
 *
 * 1. A held page that the pre-pass made read-only is never written in
 *    place again while we hold it. Every write goes through a fault:
 *    do_wp_page() (6.1 mm/memory.c) reuses an anonymous page only if it
 *    is AnonExclusive or its folio's refcount is 1 (+ swap cache), and we
 *    cleared the one and hold a reference against the other; GUP with
 *    FOLL_WRITE or FOLL_PIN unshares a page that is not AnonExclusive
 *    (gup_must_unshare()), through the same fault; mprotect() makes no
 *    PTE writable without AnonExclusive (can_change_pte_writable()); a
 *    GUP-fast pin racing the pre-pass sees write_protect_seq and backs
 *    off, as it does for fork. The fault installs another page: the PTE
 *    changes.
 * 2. Until the flush at the end of each chunk, another CPU may still
 *    write through a stale writable TLB entry. That write lands in the
 *    held page itself, which is still the page the PTE maps: the page is
 *    the memory, whatever it holds. After the flush every write faults.
 * 3. The MMU changes a present PTE only by setting its accessed bit, or
 *    its dirty bit through a writable entry. The comparison leaves the
 *    accessed bit out (it says nothing of what is mapped, and the freeze
 *    only reads it, for the TOUCHED record: snap.c pte_touched()), and
 *    the pages the pre-pass holds by write-protecting them are not
 *    writable. A
 *    page that must be copied at the freeze (pinned for DMA, or in a
 *    MADV_DONTFORK mapping) stays writable: it is copied in the stop
 *    whether its range is kept or not, so it is read then.
 * 4. Everything else that changes what a range maps — a fault, zap
 *    (MADV_DONTNEED, munmap), swap-out, migration, KSM, NUMA hinting,
 *    THP split or collapse, mremap, mprotect — writes the PTEs or the
 *    PMD entry; and madvise() that changes how a page must be held
 *    (MADV_DONTFORK) changes the mapping's flags, which are compared too.
 *
 * So equal entries under the same mapping mean every page the range maps
 * is the page the pre-pass held or left alone (file and zero pages,
 * which are not in the image), with its contents as of the stop. A
 * spurious difference only costs the walk of that range. A kept range's
 * TOUCHED bits are the pre-pass's: a page first read between the
 * pre-pass and the stop is not counted as accessed.
 *
 * Entries: the pre-pass's come first, in address order; the stop appends
 * the entries of the ranges it walks, and a dropped range leaves a hole.
 * The stop lists runs of entries in address order, and after the release
 * ckpt_prepass_finish() lays them out for the writer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/timekeeping.h>

#include "fault.h"
#include "prepass.h"
#include "snap.h"

static bool prepass_on = true;
module_param_named(prepass, prepass_on, bool, 0644);
MODULE_PARM_DESC(prepass,
		 "Hold the group's pages while it runs, before parking it (two-phase freeze; default on)");

static atomic_t ranges_kept = ATOMIC_INIT(0);
static atomic_t ranges_walked = ATOMIC_INIT(0);

module_param_cb(prepass_kept, &ckpt_counter_param_ops, &ranges_kept, 0444);
MODULE_PARM_DESC(prepass_kept,
		 "PMD ranges the stop kept from a pre-pass, since the module was loaded");
module_param_cb(prepass_rewalked, &ckpt_counter_param_ops, &ranges_walked, 0444);
MODULE_PARM_DESC(prepass_rewalked,
		 "PMD ranges the stop walked again because they changed after their pre-pass");

/*
 * One mmap_lock hold: up to 64 PMD ranges (128 MiB), and no longer than
 * 2 ms. A thread of the group that faults meanwhile waits for the lock:
 * the hold is the stall the pre-pass may cause. Each hold ends with an
 * all-CPU TLB flush, which costs milliseconds under emulation: shorter
 * holds would make the pre-pass of a large process take seconds there.
 */
#define CHUNK_RANGES	64
#define CHUNK_NS	(2 * NSEC_PER_MSEC)

/**
 * struct pre_range - one PMD's range of one mapping, as the pre-pass left it
 * @addr: start
 * @end: end, within the PMD and the mapping
 * @pmd: the PMD entry: a huge page's, or the page table's
 * @vm_start: the mapping's start
 * @vm_end: its end
 * @vm_flags: its flags
 * @vm_pgoff: its offset
 * @anon_vma: its anon_vma (compared, never followed)
 * @file: its file (compared, never followed)
 * @first: index of its first entry
 * @nr_ents: its entries
 * @nr_pages: the pages they hold
 * @ptes: its PTEs (a page table's range), NULL for a huge PMD
 */
struct pre_range {
	unsigned long addr;
	unsigned long end;
	pmd_t pmd;
	unsigned long vm_start;
	unsigned long vm_end;
	unsigned long vm_flags;
	unsigned long vm_pgoff;
	const void *anon_vma;
	const void *file;
	unsigned long first;
	unsigned int nr_ents;
	unsigned int nr_pages;
	pte_t *ptes;
};

/**
 * struct ckpt_prepass - what the pre-pass of one process left for its stop
 * @ranges: the ranges it held, in address order
 * @nr_ranges: used
 * @cap_ranges: allocated
 * @tables: pages for the PTE copies, one per page-table range
 * @nr_tables: used
 * @cap_tables: allocated
 * @cursor: the first range the stop has not met yet
 * @segs: runs of entries in address order, {first, count}, for the writer
 * @nr_segs: used
 * @cap_segs: allocated
 * @kept_pages: pages of the ranges the stop kept, so far
 * @vma_start: the next run starts a mapping (CKPT_ENT_VMA_START)
 *
 * Used by one freeze, under the process's mmap_lock while it walks.
 */
struct ckpt_prepass {
	struct pre_range *ranges;
	unsigned long nr_ranges;
	unsigned long cap_ranges;
	pte_t **tables;
	unsigned long nr_tables;
	unsigned long cap_tables;
	unsigned long cursor;
	unsigned long (*segs)[2];
	unsigned long nr_segs;
	unsigned long cap_segs;
	unsigned long kept_pages;
	bool vma_start;
};

/**
 * ckpt_prepass_wanted() - will the next freeze run a pre-pass?
 *
 * Return: the prepass module parameter.
 */
bool ckpt_prepass_wanted(void)
{
	return READ_ONCE(prepass_on);
}

void ckpt_prepass_free(struct ckpt_task_snap *ts)
{
	struct ckpt_prepass *pre = ts->pre;
	unsigned long i;

	if (!pre)
		return;
	for (i = 0; i < pre->cap_tables && pre->tables[i]; i++)
		free_page((unsigned long)pre->tables[i]);
	kvfree(pre->tables);
	kvfree(pre->ranges);
	kvfree(pre->segs);
	kfree(pre);
	ts->pre = NULL;
}

/* Ranges, page tables and mappings the pre-pass may meet, counted. */
static void count_ranges(struct mm_struct *mm, unsigned long *ranges,
			 unsigned long *tables, unsigned long *vmas)
{
	struct vm_area_struct *vma;
	unsigned long addr = 0, a, next;
	pmd_t *pmd;

	while ((vma = find_vma(mm, addr))) {
		(*vmas)++;
		addr = vma->vm_end;
		if (!ckpt_snap_walkable(vma))
			continue;
		for (a = vma->vm_start; a < vma->vm_end; a = next) {
			pmd = ckpt_snap_find_pmd(mm, a, vma->vm_end, &next);
			if (IS_ERR_OR_NULL(pmd) || pmd_none(READ_ONCE(*pmd)))
				continue;
			(*ranges)++;
			if (!pmd_trans_huge(READ_ONCE(*pmd)))
				(*tables)++;
		}
	}
}

/*
 * Before the pre-pass takes the mmap_lock for writing: its bookkeeping,
 * with room for what the process maps meanwhile (a shortage only ends
 * the pre-pass early, the stop walks the rest).
 */
static int prepass_alloc(struct ckpt_task_snap *ts, struct mm_struct *mm)
{
	unsigned long ranges = 0, tables = 0, vmas = 0, i;
	struct ckpt_prepass *pre;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	count_ranges(mm, &ranges, &tables, &vmas);
	mmap_read_unlock(mm);
	ranges += ranges / 8 + 8;
	tables += tables / 8 + 8;

	if (ckpt_fault_inject(CKPT_FAULT_SNAP))
		return -ENOMEM;
	pre = kzalloc(sizeof(*pre), GFP_KERNEL);
	if (!pre)
		return -ENOMEM;
	ts->pre = pre;
	pre->ranges = kvcalloc(ranges, sizeof(*pre->ranges), GFP_KERNEL);
	pre->tables = kvcalloc(tables, sizeof(*pre->tables), GFP_KERNEL);
	/* Kept and walked runs alternate at worst, and each mapping adds one. */
	pre->cap_segs = 2 * ranges + 2 * vmas + 64;
	pre->segs = kvcalloc(pre->cap_segs, sizeof(*pre->segs), GFP_KERNEL);
	if (!pre->ranges || !pre->tables || !pre->segs)
		return -ENOMEM;
	pre->cap_ranges = ranges;
	pre->cap_tables = tables;
	for (i = 0; i < tables; i++) {
		pre->tables[i] = (pte_t *)__get_free_page(GFP_KERNEL);
		if (!pre->tables[i])
			return -ENOMEM;
	}
	return 0;
}

/* Room for one more range: its record, its PTE copy, 512 entries. */
static bool prepass_room(struct ckpt_task_snap *ts)
{
	struct ckpt_prepass *pre = ts->pre;

	/* Half the entries stay for the stop (ckpt_snap_reserve()). */
	return pre->nr_ranges < pre->cap_ranges &&
	       pre->nr_tables < pre->cap_tables &&
	       ts->nr_ents + PTRS_PER_PTE <= ts->cap_ents / 2;
}

static void note_range(struct ckpt_task_snap *ts, struct vm_area_struct *vma,
		       unsigned long addr, unsigned long end, pmd_t pmdval,
		       unsigned long first, unsigned long huge)
{
	struct ckpt_prepass *pre = ts->pre;
	struct pre_range *r = &pre->ranges[pre->nr_ranges++];

	r->addr = addr;
	r->end = end;
	r->pmd = pmdval;
	r->vm_start = vma->vm_start;
	r->vm_end = vma->vm_end;
	r->vm_flags = vma->vm_flags;
	r->vm_pgoff = vma->vm_pgoff;
	r->anon_vma = vma->anon_vma;
	r->file = vma->vm_file;
	r->first = first;
	r->nr_ents = ts->nr_ents - first;
	r->nr_pages = r->nr_ents + huge * (HPAGE_PMD_NR - 1);
	r->ptes = NULL;
	if (!pmd_trans_huge(pmdval))
		r->ptes = pre->tables[pre->nr_tables++];
	ckpt_snap_count_held(r->nr_pages);
}

/*
 * Up to CHUNK_RANGES ranges from *@addr on, under the mmap_lock held for
 * writing. Return: true when the pre-pass is over (all walked, or out of
 * room, or a range it leaves to the stop).
 */
static bool prepass_chunk(struct ckpt_task_snap *ts, struct mm_struct *mm,
			  unsigned long *addr)
{
	u64 deadline = ktime_get_ns() + CHUNK_NS;
	unsigned int budget = CHUNK_RANGES;
	unsigned long next, first, huge;
	struct vm_area_struct *vma;
	pmd_t *pmd, pmdval;

	while ((vma = find_vma(mm, *addr))) {
		if (*addr < vma->vm_start)
			*addr = vma->vm_start;
		if (!ckpt_snap_walkable(vma)) {
			*addr = vma->vm_end;
			continue;
		}
		for (; *addr < vma->vm_end; *addr = next) {
			/* At least one range per hold, however late. */
			if (!budget || (budget < CHUNK_RANGES &&
					ktime_get_ns() > deadline))
				return false;
			pmd = ckpt_snap_find_pmd(mm, *addr, vma->vm_end, &next);
			if (IS_ERR(pmd))
				return true;
			if (!pmd || pmd_none(*pmd))
				continue;
			if (!prepass_room(ts))
				return true;
			first = ts->nr_ents;
			huge = ts->nr_huge;
			/* A swapped or migrating page: the stop decides. */
			if (ckpt_snap_walk_range(ts, vma, pmd, *addr, next,
						 ts->pre->tables[ts->pre->nr_tables],
						 &pmdval, NULL)) {
				/* Counted, as the release subtracts them. */
				ckpt_snap_count_held(ts->nr_ents - first +
						     (ts->nr_huge - huge) *
						     (HPAGE_PMD_NR - 1));
				ckpt_snap_release_pages(ts, first);
				return true;
			}
			note_range(ts, vma, *addr, next, pmdval, first,
				   ts->nr_huge - huge);
			budget--;
		}
	}
	return true;
}

static int prepass_mm(struct ckpt_task_snap *ts, struct mm_struct *mm)
{
	unsigned long addr = 0;
	bool over = false;
	int ret;

	ret = prepass_alloc(ts, mm);
	while (!ret && !over) {
		if (mmap_write_lock_killable(mm)) {
			ret = -EINTR;
			break;
		}
		/* As in copy_page_range(): GUP-fast sees the protection change. */
		raw_write_seqcount_begin(&mm->write_protect_seq);
		over = prepass_chunk(ts, mm, &addr);
		raw_write_seqcount_end(&mm->write_protect_seq);
		/* No stale writable TLB entry outlives the lock, as in fork. */
		ckpt_snap_flush_tlbs();
		ts->wrprotected = false;
		mmap_write_unlock(mm);
		cond_resched();
	}
	return ret;
}

/**
 * ckpt_prepass_run() - hold the running group's anonymous pages
 * @snap: the snapshot, reserved (ckpt_snap_reserve()) but not parked
 *
 * A process without an address space, or whose address space has MMU
 * notifiers (refused by the stop anyway), is left to the stop.
 *
 * Return: 0, -ENOMEM or -EINTR.
 */
int ckpt_prepass_run(struct ckpt_snapshot *snap)
{
	ktime_t start = ktime_get();
	struct mm_struct *mm;
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < snap->nr_tasks; i++) {
		struct ckpt_task_snap *ts = &snap->tasks[i];

		if (!ts->chunks)
			continue;
		mm = get_task_mm(ts->task);
		if (!mm)
			continue;
		if (!mm_has_notifiers(mm))
			ret = prepass_mm(ts, mm);
		mmput(mm);
	}
	snap->prepass_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	if (!ret)
		ckpt_fault_prepass_delay();
	return ret;
}

static void drop_range(struct ckpt_task_snap *ts, struct pre_range *r)
{
	unsigned long i;

	for (i = r->first; i < r->first + r->nr_ents; i++) {
		struct ckpt_page_ent *e = ckpt_snap_ent(ts, i);

		if (!e->page)
			continue;
		if (e->flags & CKPT_ENT_COPY)
			ts->nr_copy--;
		/* Freeing allocates nothing: fine under the mmap_lock. */
		ckpt_snap_put_ent(e);
		e->flags = 0;
	}
	atomic_inc(&ranges_walked);
}

static bool same_mapping(const struct pre_range *r, struct vm_area_struct *vma,
			 unsigned long end)
{
	return r->end == end && r->vm_start == vma->vm_start &&
	       r->vm_end == vma->vm_end && r->vm_flags == vma->vm_flags &&
	       r->vm_pgoff == vma->vm_pgoff && r->anon_vma == vma->anon_vma &&
	       r->file == vma->vm_file;
}

/* Equal entries but for the accessed bit, which the MMU sets on a read. */
static bool same_but_young(unsigned long a, unsigned long b)
{
	return !((a ^ b) & ~(unsigned long)_PAGE_ACCESSED);
}

static bool same_ptes(const pte_t *now, const pte_t *then, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (!same_but_young(pte_val(now[i]), pte_val(then[i])))
			return false;
	return true;
}

/* Under the mmap_lock: are the range's entries what the pre-pass left? */
static bool unchanged(struct pre_range *r, struct vm_area_struct *vma,
		      pmd_t *pmd)
{
	spinlock_t *ptl;	/* the page table's or PMD's lock */
	pte_t *ptep;
	bool same;

	/*
	 * A page table is neither freed nor collapsed into a huge page
	 * without the mmap_lock held for writing (free_pgtables(),
	 * collapse_huge_page()), which we hold: a table's PMD entry that is
	 * the same still points to the same table.
	 */
	if (!same_but_young(pmd_val(READ_ONCE(*pmd)), pmd_val(r->pmd)))
		return false;
	if (!r->ptes) {
		ptl = pmd_lock(vma->vm_mm, pmd);
		same = same_but_young(pmd_val(*pmd), pmd_val(r->pmd));
		spin_unlock(ptl);
		return same;
	}
	ptep = pte_offset_map_lock(vma->vm_mm, pmd, r->addr, &ptl);
	same = same_ptes(ptep, r->ptes, (r->end - r->addr) >> PAGE_SHIFT);
	pte_unmap_unlock(ptep, ptl);
	return same;
}

/**
 * ckpt_prepass_keep() - keep a range the pre-pass held, if it is unchanged
 * @ts: the process, parked, its mmap_lock held for writing
 * @vma: the mapping the stop walks
 * @pmd: the PMD entry of the range
 * @addr: the range's start
 * @end: its end
 *
 * Ranges of the pre-pass before @addr that the stop did not meet belong
 * to mappings that changed: they are dropped. A range that changed is
 * dropped too, and the caller walks it.
 *
 * Return: true if the range's entries were kept (in the writer's order).
 */
bool ckpt_prepass_keep(struct ckpt_task_snap *ts, struct vm_area_struct *vma,
		       pmd_t *pmd, unsigned long addr, unsigned long end)
{
	struct ckpt_prepass *pre = ts->pre;
	struct pre_range *r;

	while (pre->cursor < pre->nr_ranges &&
	       pre->ranges[pre->cursor].addr < addr)
		drop_range(ts, &pre->ranges[pre->cursor++]);
	if (pre->cursor == pre->nr_ranges ||
	    pre->ranges[pre->cursor].addr != addr)
		return false;
	r = &pre->ranges[pre->cursor++];
	if (same_mapping(r, vma, end) && unchanged(r, vma, pmd) &&
	    !ckpt_prepass_append(ts, r->first, r->nr_ents)) {
		pre->kept_pages += r->nr_pages;
		atomic_inc(&ranges_kept);
		return true;
	}
	drop_range(ts, r);
	return false;
}

/**
 * ckpt_prepass_append() - the next run of entries in the writer's order
 * @ts: the process, in the stop
 * @first: index of the run's first entry
 * @nr: entries in it
 *
 * The first run of a mapping carries CKPT_ENT_VMA_START.
 *
 * Return: 0, or -EAGAIN when more runs than were reserved (the freeze is
 * retried without a pre-pass).
 */
int ckpt_prepass_append(struct ckpt_task_snap *ts, unsigned long first,
			unsigned long nr)
{
	struct ckpt_prepass *pre = ts->pre;
	unsigned long *last = pre->nr_segs ? pre->segs[pre->nr_segs - 1] : NULL;

	if (!nr)
		return 0;
	if (pre->vma_start) {
		ckpt_snap_ent(ts, first)->flags |= CKPT_ENT_VMA_START;
		pre->vma_start = false;
	}
	if (last && last[0] + last[1] == first) {
		last[1] += nr;
		return 0;
	}
	if (pre->nr_segs == pre->cap_segs)
		return -EAGAIN;
	pre->segs[pre->nr_segs][0] = first;
	pre->segs[pre->nr_segs][1] = nr;
	pre->nr_segs++;
	return 0;
}

/**
 * ckpt_prepass_vma_start() - the stop begins a mapping
 * @pre: the process's pre-pass
 * @kept: receives the count ckpt_prepass_vma_end() needs
 */
void ckpt_prepass_vma_start(struct ckpt_prepass *pre, unsigned long *kept)
{
	pre->vma_start = true;
	*kept = pre->kept_pages;
}

/**
 * ckpt_prepass_vma_end() - the stop ends a mapping
 * @pre: the process's pre-pass
 * @kept: what ckpt_prepass_vma_start() gave
 *
 * Return: the pages of the mapping's kept ranges.
 */
unsigned long ckpt_prepass_vma_end(struct ckpt_prepass *pre,
				   unsigned long kept)
{
	pre->vma_start = false;
	return pre->kept_pages - kept;
}

/**
 * ckpt_prepass_drop_rest() - drop the ranges the stop did not meet
 * @ts: the process, at the end of its stop walk
 */
void ckpt_prepass_drop_rest(struct ckpt_task_snap *ts)
{
	struct ckpt_prepass *pre = ts->pre;

	while (pre->cursor < pre->nr_ranges)
		drop_range(ts, &pre->ranges[pre->cursor++]);
}

/**
 * ckpt_prepass_finish() - lay the entries out for the writer
 * @ts: the process, released
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_prepass_finish(struct ckpt_task_snap *ts)
{
	struct ckpt_prepass *pre = ts->pre;
	int ret = 0;

	if (!pre)
		return 0;
	/* Nothing changed: the entries are in order already. */
	if (!(pre->nr_segs == 1 && pre->segs[0][0] == 0 &&
	      pre->segs[0][1] == ts->nr_ents) &&
	    !(pre->nr_segs == 0 && ts->nr_ents == 0))
		ret = ckpt_snap_reorder(ts, pre->segs[0], pre->nr_segs);
	ckpt_prepass_free(ts);
	return ret;
}
