// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The snapshot of an address space: VMA records, and the pages held for the
 * writer — private anonymous pages made copy-on-write the way fork() does
 * it for the parent, shared memory copied.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/huge_mm.h>
#include <linux/hugetlb.h>
#include <linux/kdev_t.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/mempolicy.h>
#include <linux/mmu_notifier.h>
#include <linux/mount.h>
#include <linux/netlink.h>
#include <linux/pagemap.h>
#include <linux/pkeys.h>
#include <linux/rmap.h>
#include <linux/sched/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/userfaultfd_k.h>
#include <asm/tlbflush.h>

#include "fault.h"
#include "group.h"
#include "incr.h"
#include "prepass.h"
#include "snap.h"
#include "sysv.h"

/* --- record buffers ------------------------------------------------------ */

static int buf_reserve(struct ckpt_buf *buf, size_t more)
{
	size_t cap = buf->cap ? buf->cap : 4096;
	void *data;

	if (buf->len + more <= buf->cap)
		return 0;
	while (cap < buf->len + more)
		cap *= 2;
	if (ckpt_fault_inject(CKPT_FAULT_SNAP))
		return -ENOMEM;
	data = kvmalloc(cap, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	if (buf->len)
		memcpy(data, buf->data, buf->len);
	kvfree(buf->data);
	buf->data = data;
	buf->cap = cap;
	return 0;
}

/* Append one record; without @may_grow only into room reserved already. */
static int buf_put(struct ckpt_buf *buf, u32 type, const struct kvec *parts,
		   unsigned int n, bool may_grow)
{
	struct ckpt_rec_hdr hdr = { .type = type };
	size_t padded;
	unsigned int i;
	char *p;
	int ret;

	for (i = 0; i < n; i++)
		hdr.len += parts[i].iov_len;
	padded = ALIGN(hdr.len, 8);
	if (!may_grow && buf->len + sizeof(hdr) + padded > buf->cap)
		return -EAGAIN;
	ret = buf_reserve(buf, sizeof(hdr) + padded);
	if (ret)
		return ret;
	p = buf->data + buf->len;
	memcpy(p, &hdr, sizeof(hdr));
	p += sizeof(hdr);
	for (i = 0; i < n; i++) {
		if (parts[i].iov_len)
			memcpy(p, parts[i].iov_base, parts[i].iov_len);
		p += parts[i].iov_len;
	}
	memset(p, 0, padded - hdr.len);
	buf->len += sizeof(hdr) + padded;
	return 0;
}

/**
 * ckpt_buf_put() - append one record: header, payload parts, padding to 8
 * @buf: the buffer
 * @type: CKPT_REC_* type
 * @parts: the payload, in order; a part may be empty
 * @n: number of parts
 *
 * Grows @buf with GFP_KERNEL: never under a target's mmap_lock.
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_buf_put(struct ckpt_buf *buf, u32 type, const struct kvec *parts,
		 unsigned int n)
{
	return buf_put(buf, type, parts, n, true);
}

void ckpt_buf_free(struct ckpt_buf *buf)
{
	kvfree(buf->data);
	memset(buf, 0, sizeof(*buf));
}

/* --- held pages ---------------------------------------------------------- */

/* Pages held by all snapshots: 0 whenever no checkpoint is in flight. */
static atomic64_t held_pages = ATOMIC64_INIT(0);

u64 ckpt_snap_held_pages(void)
{
	return atomic64_read(&held_pages);
}

/* Pages held outside capture_vma(): the pre-pass's. */
void ckpt_snap_count_held(unsigned long nr)
{
	atomic64_add(nr, &held_pages);
}

/**
 * ckpt_snap_put_ent() - drop the reference on one entry's pages
 * @e: the entry; its page pointer is cleared
 */
void ckpt_snap_put_ent(struct ckpt_page_ent *e)
{
	put_page(e->page);
	e->page = NULL;
	atomic64_sub(e->nr, &held_pages);
}

/**
 * ckpt_snap_put_ents() - drop the references on several entries at once
 * @ents: the entries; their page pointers are cleared
 * @n: how many
 * @scratch: room for @n page pointers
 *
 * release_pages() takes the LRU lock once per batch of pages where
 * put_page() of a last reference takes it per page, and frees a THP (held
 * by its head page) whole, as put_page() does.
 */
void ckpt_snap_put_ents(struct ckpt_page_ent **ents, unsigned int n,
			struct page **scratch)
{
	u64 pages = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		scratch[i] = ents[i]->page;
		ents[i]->page = NULL;
		pages += ents[i]->nr;
	}
	release_pages(scratch, n);
	atomic64_sub(pages, &held_pages);
}

/*
 * No allocation inside the freeze window (the invariant; also in
 * Documentation/performance.md). While a parked target's mmap_lock is
 * held for writing (ckpt_snap_capture_mm(), between ckpt_fault_window()
 * true and false) nothing is allocated, with any GFP flags. What that
 * walk fills is reserved by ckpt_snap_reserve() while the group still
 * runs: the page-entry chunks, the VMA record buffer, the path buffer, the
 * System V segments (ckpt_sysv_reserve()) and the pages for the copies of
 * shared memory. An allocation there could wait for reclaim, for
 * compaction (a multi-MiB array: the bimodal freeze samples) or for the
 * OOM killer, whose victim could be a parked target that cannot exit
 * while we hold its lock. A shortage inside the window is never met by
 * allocating: the freeze fails with -EAGAIN, releases the group, and
 * ckpt_freeze_group() reserves again outside the window (loosely, so a
 * THP split in between cannot make it fail twice for the same reason).
 *
 * The rest of the parked window (the first thread queued to park, to the
 * release; no target's mmap_lock held) still allocates, and why:
 * - page copies that could not be counted before the park (DMA-pinned
 *   and MADV_DONTFORK pages, THPs, shared memory beyond the count):
 *   alloc_copy(), after the mmap_lock is dropped, no OOM killer;
 * - the records of the rest of a process's state (threads, signals and
 *   their siginfo, descriptors with pipe and deleted-file contents,
 *   sockets and their queues, timers, locks, terminals): ckpt_buf_put()
 *   and the capture functions of proc.c, pstate.c, files.c, sock*.c,
 *   anonfd.c, timers.c, locks.c and tty.c, GFP_KERNEL. They are sized by
 *   descriptors and threads, not by memory, and hold no target's
 *   mmap_lock: an OOM victim among the parked threads wakes from its
 *   killable wait and exits, and the OOM reaper can take its mmap_lock.
 * The freeze's own bookkeeping (thread records, identity and queue
 * scratch, the page entries) is allocated before the park (freeze.c).
 */

/* Room for one more entry? Checked before each page is taken. */
static bool ents_room(struct ckpt_task_snap *ts)
{
	return ts->nr_ents < ts->cap_ents;
}

/*
 * The caller checked ents_room(): the chunks are all there already. The
 * fill pointer makes the common case a store and an increment; the chunk
 * table is looked up once per chunk.
 */
static void ent_add(struct ckpt_task_snap *ts, unsigned long addr,
		    struct page *page, unsigned int nr, unsigned int flags)
{
	struct ckpt_page_ent *e;

	if (unlikely(ts->fill == ts->fill_end)) {
		ts->fill = ckpt_snap_ent(ts, ts->nr_ents);
		ts->fill_end = ts->fill + CKPT_ENTS_PER_CHUNK -
			       ts->nr_ents % CKPT_ENTS_PER_CHUNK;
	}
	e = ts->fill++;
	ts->nr_ents++;
	e->addr = addr;
	e->page = page;
	e->nr = nr;
	e->flags = flags;
}

/*
 * A page the parent generation holds (incr.h): an entry without a page,
 * so the writer lists it in the process's BASE record instead.
 */
static void ent_add_base(struct ckpt_task_snap *ts, unsigned long addr,
			 unsigned int nr)
{
	ent_add(ts, addr, NULL, nr, CKPT_ENT_BASE);
	ts->nr_base_ents++;
	ts->nr_base_pages += nr;
}

/* An entry copy_held() will copy: counted so it can skip the scan. */
static void ent_add_copy(struct ckpt_task_snap *ts, unsigned long addr,
			 struct page *page, unsigned int nr, unsigned int touched)
{
	ent_add(ts, addr, page, nr, CKPT_ENT_COPY | touched);
	ts->nr_copy++;
}

/**
 * ckpt_snap_release_pages() - drop the references on held pages
 * @ts: the process
 * @from: first entry to release; entries before it are already released
 *
 * Entries the writer released already (page NULL) are skipped.
 */
void ckpt_snap_release_pages(struct ckpt_task_snap *ts, unsigned long from)
{
	unsigned long i;

	for (i = from; i < ts->nr_ents; i++) {
		struct ckpt_page_ent *e = ckpt_snap_ent(ts, i);

		if (e->page)
			ckpt_snap_put_ent(e);
	}
	ts->nr_ents = from;
	ts->fill = NULL;
	ts->fill_end = NULL;
}

static void free_chunk_table(struct ckpt_page_ent **chunks, unsigned long nr);

static void free_chunks(struct ckpt_task_snap *ts)
{
	free_chunk_table(ts->chunks, ts->nr_chunks);
	ts->chunks = NULL;
	ts->nr_chunks = 0;
	ts->cap_ents = 0;
}

/*
 * Before the park: @n entries in page-sized chunks. Order-0 pages never
 * need compaction and no vmalloc area is mapped; the table of chunk
 * pointers is a few KiB even for GiBs of 4K pages.
 */
static int alloc_chunks(struct ckpt_task_snap *ts, unsigned long n)
{
	unsigned long nr = DIV_ROUND_UP(max(n, 1UL), CKPT_ENTS_PER_CHUNK);
	unsigned long i;

	if (ckpt_fault_inject(CKPT_FAULT_SNAP))
		return -ENOMEM;
	ts->chunks = kvcalloc(nr, sizeof(*ts->chunks), GFP_KERNEL);
	if (!ts->chunks)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		ts->chunks[i] = (void *)__get_free_page(GFP_KERNEL);
		if (!ts->chunks[i])
			goto err_free;
		ts->nr_chunks++;
	}
	ts->cap_ents = ts->nr_chunks * CKPT_ENTS_PER_CHUNK;
	return 0;

err_free:
	free_chunks(ts);
	return -ENOMEM;
}

static void free_chunk_table(struct ckpt_page_ent **chunks, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		free_page((unsigned long)chunks[i]);
	kvfree(chunks);
}

/**
 * ckpt_snap_reorder() - lay the entries out in the order the writer reads
 * @ts: the process, released: a pre-pass's kept ranges and the stop's
 *	entries are interleaved by address, with holes where ranges were
 *	dropped
 * @segs: runs of entry indices, @nr_segs pairs {first, count}, in address
 *	order
 * @nr_segs: runs in @segs
 *
 * Called after the release, so allocating new chunks costs the group
 * nothing; the held pages move with their entries.
 *
 * Return: 0 or -ENOMEM (the entries are then as they were).
 */
int ckpt_snap_reorder(struct ckpt_task_snap *ts, const unsigned long *segs,
		      unsigned long nr_segs)
{
	struct ckpt_page_ent **old = ts->chunks;
	unsigned long nr_old = ts->nr_chunks, cap_old = ts->cap_ents;
	unsigned long total = 0, n = 0, i, j;
	int ret;

	for (i = 0; i < nr_segs; i++)
		total += segs[2 * i + 1];
	ts->chunks = NULL;
	ts->nr_chunks = 0;
	ret = alloc_chunks(ts, total);
	if (ret) {
		ts->chunks = old;
		ts->nr_chunks = nr_old;
		ts->cap_ents = cap_old;
		return ret;
	}
	for (i = 0; i < nr_segs; i++) {
		for (j = segs[2 * i]; j < segs[2 * i] + segs[2 * i + 1]; j++)
			*ckpt_snap_ent(ts, n++) =
				old[j / CKPT_ENTS_PER_CHUNK][j % CKPT_ENTS_PER_CHUNK];
		cond_resched();
	}
	free_chunk_table(old, nr_old);
	ts->nr_ents = total;
	ts->fill = NULL;
	ts->fill_end = NULL;
	return 0;
}

static void free_pool(struct ckpt_task_snap *ts)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &ts->copy_pool, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	ts->nr_pool = 0;
}

/*
 * A page for a frozen copy. Shared memory (one 4K page at a time) takes
 * its pages from the pool filled before the park. The rest — a page that
 * may be DMA-pinned, a MADV_DONTFORK mapping's, a THP, or shared memory
 * beyond the count — is the documented exception: allocated after the
 * target's mmap_lock is dropped (copy_held()), with no reclaim loop and no
 * OOM killer. A copy that cannot be had at once fails the freeze, which
 * releases the group unharmed.
 */
static struct page *alloc_copy(struct ckpt_task_snap *ts, unsigned int nr)
{
	gfp_t gfp = GFP_HIGHUSER | __GFP_ACCOUNT | __GFP_NORETRY | __GFP_NOWARN;
	struct page *page;

	if (nr == 1 && ts->nr_pool) {
		page = list_first_entry(&ts->copy_pool, struct page, lru);
		list_del(&page->lru);
		ts->nr_pool--;
		return page;
	}
	if (ckpt_fault_inject(CKPT_FAULT_SNAP))
		return NULL;
	if (nr == 1)
		return alloc_page(gfp);
	return alloc_pages(gfp | __GFP_COMP, get_order(nr * PAGE_SIZE));
}

/* Before the park: @n pages for the copies of shared memory. */
static int fill_pool(struct ckpt_task_snap *ts, unsigned long n)
{
	gfp_t gfp = GFP_HIGHUSER | __GFP_ACCOUNT | __GFP_NORETRY | __GFP_NOWARN;
	struct page *page;

	if (n && ckpt_fault_inject(CKPT_FAULT_SNAP))
		return -ENOMEM;
	while (ts->nr_pool < n) {
		page = alloc_page(gfp);
		if (!page)
			return -ENOMEM;
		list_add(&page->lru, &ts->copy_pool);
		ts->nr_pool++;
		cond_resched();
	}
	return 0;
}

/* --- the copy-on-write mark ---------------------------------------------- */

/*
 * vm_normal_page() is not exported in 6.1. For the mappings we walk (no
 * VM_PFNMAP/VM_MIXEDMAP/VM_IO, checked by the caller) a present PTE maps a
 * normal page unless it is special (which on x86 covers the zero page) or
 * the zero pfn. Only anonymous pages (KSM pages included) are held: other
 * pages of a private file mapping are the file's, restored from the file.
 */
static struct page *anon_page(pte_t pte)
{
	unsigned long pfn = pte_pfn(pte);
	struct page *page;

	if (pte_special(pte) || is_zero_pfn(pfn) || !pfn_valid(pfn))
		return NULL;
	page = pte_page(pte);
	return PageAnon(page) ? page : NULL;
}

/*
 * Pages the snapshot must copy during the freeze instead of holding
 * copy-on-write, because something other than the CPU may write them:
 * - a page that may be DMA-pinned (fork's rule, page_needs_cow_for_dma()):
 *   write-protecting it would move the process to a new page on its next
 *   write while the device keeps writing the old one;
 * - every page of a MADV_DONTFORK mapping (VM_DONTCOPY: RDMA, VFIO and
 *   DPDK buffers are registered with a device by their physical pages,
 *   often without a pin the kernel can see): fork() leaves them alone for
 *   the same reason.
 * Such pages stay exclusive and writable, so the process never leaves its
 * page; the copy is taken while the group is parked.
 */
static bool copy_at_freeze(struct vm_area_struct *vma, struct page *page)
{
	if (vma->vm_flags & VM_DONTCOPY)
		return true;
	return test_bit(MMF_HAS_PINNED, &vma->vm_mm->flags) &&
	       page_maybe_dma_pinned(page);
}

/*
 * How recently a page was touched, for the image's TOUCHED record (a lazy
 * restore prefetches the most recent first). Both bits are read before
 * the hold clears soft-dirty (incr.h); the accessed bit is never cleared
 * here: reclaim's folio_referenced() test-and-clears it to tell a page
 * in use from one to evict, and the 6.1 kernel without page-idle flags
 * (Debian's) has nowhere to move it to, so clearing it would make the
 * checkpointed group's pages look unused. Set means "since reclaim last
 * looked, or since the page was mapped": without memory pressure that is
 * nearly every page, and the written bit orders them.
 */
static unsigned int pte_touched(pte_t pte)
{
	return (pte_soft_dirty(pte) ? CKPT_ENT_WRITTEN : 0) |
	       (pte_young(pte) ? CKPT_ENT_ACCESSED : 0);
}

static unsigned int pmd_touched(pmd_t pmd)
{
	return (pmd_soft_dirty(pmd) ? CKPT_ENT_WRITTEN : 0) |
	       (pmd_young(pmd) ? CKPT_ENT_ACCESSED : 0);
}

/*
 * Hold one anonymous page the way copy_present_pte() treats the parent's
 * side in fork (mm/memory.c, 6.1): take a reference, clear AnonExclusive,
 * write-protect. The next write by the process then faults into
 * do_wp_page(), which copies instead of reusing because the page is not
 * AnonExclusive and its refcount exceeds 1 + swapcache (our reference):
 * the held page keeps the frozen contents. AnonExclusive is cleared even on
 * read-only PTEs, or mprotect(PROT_WRITE) could make them writable without
 * a fault (can_change_pte_writable()). Pages copy_at_freeze() names are
 * copied before release instead. Called with the PTE lock held.
 */
static void hold_pte(struct ckpt_task_snap *ts, struct vm_area_struct *vma,
		     unsigned long addr, pte_t *ptep, struct page *page)
{
	struct mm_struct *mm = vma->vm_mm;
	bool copy = copy_at_freeze(vma, page);
	unsigned int touched = pte_touched(*ptep);

	/*
	 * Unchanged since the parent (incr.h): read-only already, not held.
	 * Not a KSM page: ksmd's replace_page() maps the merged page with a
	 * fresh PTE, without the soft-dirty bit of the page it replaced.
	 */
	if (!copy && !PageKsm(page) &&
	    ckpt_incr_unchanged(ts, pte_soft_dirty(*ptep))) {
		ent_add_base(ts, addr, 1);
		return;
	}
	get_page(page);
	if (copy) {
		ckpt_incr_mark_pte(ptep);
		ent_add_copy(ts, addr, page, 1, touched);
		return;
	}
	if (PageAnonExclusive(page))
		ClearPageAnonExclusive(page);
	if (pte_write(*ptep)) {
		ptep_set_wrprotect(mm, addr, ptep);
		ts->wrprotected = true;
	}
	ckpt_incr_clear_pte(ptep);
	ent_add(ts, addr, page, 1, touched);
}

/*
 * With @save (the pre-pass), the range's entries are copied to @save
 * before the PTE lock is dropped: the copy is what the range looked like
 * when its pages were held. The stop compares it without the accessed
 * bit (prepass.c), which the MMU sets on any read.
 */
static int walk_ptes(struct ckpt_task_snap *ts, struct vm_area_struct *vma,
		     pmd_t *pmd, unsigned long addr, unsigned long end,
		     pte_t *save, struct netlink_ext_ack *extack)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long from = addr;
	pte_t *start, *pte;
	spinlock_t *ptl;	/* the page table's lock: orders us vs reclaim */
	unsigned long room = ts->cap_ents - ts->nr_ents;
	int ret = 0;

	start = pte_offset_map_lock(mm, pmd, addr, &ptl);
	for (pte = start; addr < end; pte++, addr += PAGE_SIZE) {
		pte_t ptent = *pte;
		struct page *page;

		if (pte_none(ptent))
			continue;
		if (!pte_present(ptent)) {
			/*
			 * Swap and migration entries would need
			 * swap_duplicate(), which is not exported.
			 */
			NL_SET_ERR_MSG(extack,
				       "a page is swapped out or migrating; retry, or disable swap for the group");
			ret = -EAGAIN;
			break;
		}
		page = anon_page(ptent);
		if (!page)
			continue;
		/* The reservation ran out (see "No allocation inside"). */
		if (!room--) {
			ret = -EAGAIN;
			break;
		}
		hold_pte(ts, vma, addr, pte, page);
	}
	if (!ret && save)
		memcpy(save, start, ((end - from) >> PAGE_SHIFT) * sizeof(pte_t));
	pte_unmap_unlock(start, ptl);
	return ret;
}

/*
 * A PMD-mapped THP is held as one unit, write-protected at PMD level like
 * copy_huge_pmd() does for the parent. On the next write 6.1's
 * do_huge_pmd_wp_page() sees !PageAnonExclusive with extra references, so
 * it splits the PMD and COWs 4K pages: the process loses THP backing of
 * that range until khugepaged collapses it again. A THP that
 * copy_at_freeze() names is copied whole before release instead (where
 * fork would split it), so a pinned THP costs a copy, not the freeze.
 * Called with the PMD lock.
 */
static void hold_huge(struct ckpt_task_snap *ts, struct vm_area_struct *vma,
		      pmd_t *pmdp, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t pmd = *pmdp;
	struct page *page = pmd_page(pmd);
	unsigned int touched = pmd_touched(pmd);
	bool copy;

	/* The huge zero page is not anonymous (huge_zero_pfn is unexported). */
	if (!PageAnon(page))
		return;
	copy = copy_at_freeze(vma, page);
	if (!copy && ckpt_incr_unchanged(ts, pmd_soft_dirty(pmd))) {
		ent_add_base(ts, addr & HPAGE_PMD_MASK, HPAGE_PMD_NR);
		return;
	}
	get_page(page);
	if (copy) {
		ckpt_incr_mark_pmd(pmdp);
		ent_add_copy(ts, addr & HPAGE_PMD_MASK, page, HPAGE_PMD_NR,
			     touched);
		ts->nr_huge++;
		return;
	}
	if (PageAnonExclusive(page))
		ClearPageAnonExclusive(page);
	if (pmd_write(pmd)) {
		pmdp_set_wrprotect(mm, addr, pmdp);
		ts->wrprotected = true;
	}
	ckpt_incr_clear_pmd(pmdp);
	ent_add(ts, addr & HPAGE_PMD_MASK, page, HPAGE_PMD_NR, touched);
	ts->nr_huge++;
}

/**
 * ckpt_snap_walk_range() - hold the anonymous pages of one PMD's range
 * @ts: the process
 * @vma: the mapping, walkable (ckpt_snap_walkable())
 * @pmd: the PMD entry covering [@addr, @end)
 * @addr: start of the range
 * @end: its end, within the PMD and the mapping
 * @save: for the pre-pass: receives the range's PTEs; NULL in the stop
 * @pmdval: receives the PMD entry after the walk
 * @extack: receives the reason on failure
 *
 * The caller holds the mmap_lock for writing.
 *
 * Return: 0, or -EAGAIN (swapped or migrating page, reservation used up).
 */
int ckpt_snap_walk_range(struct ckpt_task_snap *ts, struct vm_area_struct *vma,
			 pmd_t *pmd, unsigned long addr, unsigned long end,
			 pte_t *save, pmd_t *pmdval,
			 struct netlink_ext_ack *extack)
{
	spinlock_t *ptl;	/* the PMD lock: orders us vs THP split */
	int ret;

	if (pmd_trans_huge(*pmd)) {
		if (!ents_room(ts))
			return -EAGAIN;
		ptl = pmd_lock(vma->vm_mm, pmd);
		if (pmd_trans_huge(*pmd)) {
			hold_huge(ts, vma, pmd, addr);
			*pmdval = *pmd;
			spin_unlock(ptl);
			return 0;
		}
		/* Split under us (reclaim): walk the new table. */
		spin_unlock(ptl);
	}
	if (!pmd_present(*pmd)) {
		NL_SET_ERR_MSG(extack, "a huge page is migrating; retry");
		return -EAGAIN;
	}
	*pmdval = *pmd;
	if (pmd_bad(*pmd))
		return 0;
	/* A table's PMD entry has accessed set from birth (_PAGE_TABLE). */
	ret = walk_ptes(ts, vma, pmd, addr, end, save, extack);
	return ret;
}

/**
 * ckpt_snap_find_pmd() - the PMD entry covering an address, if any
 * @mm: the address space; its mmap_lock held
 * @addr: the address
 * @end: where the caller's walk ends
 * @next: receives where the walk goes on: past the PMD's range, or past
 *	the empty upper-level entry
 *
 * The inline page-table walk (walk_page_range() is not exported in 6.1).
 *
 * Return: the PMD entry (none or not), NULL if an upper level is empty,
 * or ERR_PTR(-EINVAL) for a PUD-sized mapping.
 */
pmd_t *ckpt_snap_find_pmd(struct mm_struct *mm, unsigned long addr,
			  unsigned long end, unsigned long *next)
{
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;

	pgd = pgd_offset(mm, addr);
	*next = pgd_addr_end(addr, end);
	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	*next = p4d_addr_end(addr, end);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	*next = pud_addr_end(addr, end);
	if (pud_none(*pud))
		return NULL;
	if (pud_trans_huge(*pud) || pud_devmap(*pud))
		return ERR_PTR(-EINVAL);
	if (pud_bad(*pud))
		return NULL;
	*next = pmd_addr_end(addr, end);
	return pmd_offset(pud, addr);
}

/*
 * The caller holds mmap_lock for writing, so no VMA or page table is
 * freed under us; page table locks order us against reclaim and THP
 * split. After a pre-pass, a range whose pages it held and whose entries
 * did not change since is kept as it is (prepass.c) instead of walked.
 */
static int walk_anon_vma(struct ckpt_task_snap *ts,
			 struct vm_area_struct *vma,
			 struct netlink_ext_ack *extack)
{
	unsigned long addr = vma->vm_start, end = vma->vm_end, next, first;
	pmd_t *pmd, pmdval;
	int ret;

	ckpt_incr_vma_begin(ts, vma);
	for (; addr < end; addr = next) {
		pmd = ckpt_snap_find_pmd(vma->vm_mm, addr, end, &next);
		if (IS_ERR(pmd)) {
			NL_SET_ERR_MSG(extack, "PUD-sized mappings are not supported");
			return PTR_ERR(pmd);
		}
		if (!pmd || pmd_none(*pmd))
			continue;
		if (ts->pre && ckpt_prepass_keep(ts, vma, pmd, addr, next))
			continue;
		first = ts->nr_ents;
		ret = ckpt_snap_walk_range(ts, vma, pmd, addr, next, NULL,
					   &pmdval, extack);
		if (!ret && ts->pre)
			ret = ckpt_prepass_append(ts, first, ts->nr_ents - first);
		if (ret)
			return ret;
	}
	ckpt_incr_vma_end(vma);
	return 0;
}

/*
 * Shared memory cannot be made copy-on-write (a write through a VM_SHARED
 * mapping just makes the PTE writable again, and other processes write
 * through their own PTEs), so its pages are copied while the group is
 * parked. Under the mmap_lock each page is only looked up and held
 * (CKPT_ENT_COPY), which allocates nothing; copy_held() copies it after
 * the lock is dropped, into a page of the pool reserved before the park.
 * Walking the page cache rather than the PTEs also catches pages that are
 * not mapped. Swapped-out pages are refused: FGP_ENTRY returns their swap
 * entries instead of pretending the offset is a hole. With @sysv, a
 * System V segment's, the offsets an earlier mapping of the segment held
 * are skipped: its pages are in the image once.
 */
static int hold_shmem_vma(struct ckpt_task_snap *ts,
			  struct vm_area_struct *vma,
			  struct ckpt_sysv_held *sysv,
			  struct netlink_ext_ack *extack)
{
	struct address_space *mapping = vma->vm_file->f_mapping;
	unsigned long nr = vma_pages(vma), i;
	struct folio *folio;

	for (i = 0; i < nr; i++) {
		pgoff_t idx = vma->vm_pgoff + i;

		if (sysv && (idx >= sysv->nr_pages ||
			     test_and_set_bit(idx, sysv->copied)))
			continue;
		folio = __filemap_get_folio(mapping, idx, FGP_ENTRY, 0);
		if (!folio)
			continue;
		if (xa_is_value(folio)) {
			NL_SET_ERR_MSG(extack,
				       "a shared memory page is swapped out");
			return -EAGAIN;
		}
		if (!ents_room(ts)) {
			folio_put(folio);
			return -EAGAIN;
		}
		/* The folio's reference, dropped through its page. */
		ent_add_copy(ts, vma->vm_start + i * PAGE_SIZE,
			     folio_file_page(folio, idx), 1, 0);
		cond_resched();
	}
	return 0;
}

/*
 * Replace pages held by reference (CKPT_ENT_COPY) with private copies.
 * Called with the group parked but the mmap_lock dropped.
 */
static int copy_held(struct ckpt_task_snap *ts, unsigned long from)
{
	struct page *copy;
	unsigned long i;
	unsigned int n;

	for (i = from; ts->nr_copy && i < ts->nr_ents; i++) {
		struct ckpt_page_ent *e = ckpt_snap_ent(ts, i);

		if (!(e->flags & CKPT_ENT_COPY))
			continue;
		copy = alloc_copy(ts, e->nr);
		if (!copy)
			return -ENOMEM;
		for (n = 0; n < e->nr; n++)
			copy_highpage(copy + n, e->page + n);
		put_page(e->page);
		e->page = copy;
		e->flags &= ~CKPT_ENT_COPY;
		ts->nr_copy--;
		cond_resched();
	}
	return 0;
}

/* --- VMA records --------------------------------------------------------- */

static const char *special_name(struct vm_area_struct *vma)
{
	if (vma->vm_ops && vma->vm_ops->name)
		return vma->vm_ops->name(vma);
	return NULL;
}

/*
 * A shmat() mapping (sysv.c). One attached SHM_RDONLY is shared all the
 * same, but do_mmap() leaves VM_SHARED (and VM_MAYWRITE) out of a shared
 * mapping of a file not open for writing: only VM_MAYSHARE says it.
 */
static bool is_sysv_attach(struct vm_area_struct *vma)
{
	return vma->vm_file && (vma->vm_flags & VM_MAYSHARE) &&
	       ckpt_sysv_is_attach(vma->vm_file);
}

static bool is_shmem_vma(struct vm_area_struct *vma)
{
	return vma->vm_file &&
	       ((vma->vm_flags & VM_SHARED) || is_sysv_attach(vma)) &&
	       file_inode(vma->vm_file)->i_sb->s_magic == TMPFS_MAGIC;
}

/**
 * ckpt_snap_walkable() - are a mapping's pages held by a page-table walk?
 * @vma: the mapping
 *
 * Private mappings with anonymous pages; shared memory is copied from
 * its page cache instead (hold_shmem_vma()).
 *
 * Return: true if ckpt_snap_walk_range() applies to it.
 */
bool ckpt_snap_walkable(struct vm_area_struct *vma)
{
	return !is_shmem_vma(vma) && vma->anon_vma &&
	       !(vma->vm_flags & (VM_SHARED | VM_IO | VM_PFNMAP));
}

/**
 * ckpt_shmem_has_policy() - does a shmem object have a memory policy?
 * @inode: any inode
 *
 * mbind() on a shared shmem mapping also sets the object's own policy
 * (shmem_set_policy(), 6.1 mm/shmem.c), kept in its shared_policy tree
 * after the mapping is gone; the image carries the object's contents,
 * not that tree. Read without its lock: an empty root is one word.
 *
 * Return: true if @inode is a shmem inode with a policy on some range.
 */
bool ckpt_shmem_has_policy(struct inode *inode)
{
#ifdef CONFIG_NUMA
	return inode->i_sb->s_magic == TMPFS_MAGIC &&
	       READ_ONCE(SHMEM_I(inode)->policy.root.rb_node);
#else
	return false;
#endif
}

static u32 vma_image_flags(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;
	const char *name = special_name(vma);
	u32 f = 0;

	if (vma->vm_flags & VM_READ)
		f |= CKPT_VMA_READ;
	if (vma->vm_flags & VM_WRITE)
		f |= CKPT_VMA_WRITE;
	if (vma->vm_flags & VM_EXEC)
		f |= CKPT_VMA_EXEC;
	if ((vma->vm_flags & VM_SHARED) || is_sysv_attach(vma))
		f |= CKPT_VMA_SHARED;
	if (!vma->vm_file)
		f |= CKPT_VMA_ANON;
	if (vma->vm_flags & VM_GROWSDOWN)
		f |= CKPT_VMA_STACK;
	/*
	 * What madvise(), mlock() and mmap() let user space set, as smaps
	 * shows it in VmFlags. VM_LOCKONFAULT is only ever set with
	 * VM_LOCKED (mlock_fixup(), apply_mlockall_flags()).
	 */
	if (vma->vm_flags & VM_HUGEPAGE)
		f |= CKPT_VMA_HUGEPAGE;
	if (vma->vm_flags & VM_NOHUGEPAGE)
		f |= CKPT_VMA_NOHUGEPAGE;
	if (vma->vm_flags & VM_DONTCOPY)
		f |= CKPT_VMA_DONTFORK;
	if (vma->vm_flags & VM_WIPEONFORK)
		f |= CKPT_VMA_WIPEONFORK;
	if (vma->vm_flags & VM_SEQ_READ)
		f |= CKPT_VMA_SEQUENTIAL;
	if (vma->vm_flags & VM_RAND_READ)
		f |= CKPT_VMA_RANDOM;
	if (vma->vm_flags & VM_MERGEABLE)
		f |= CKPT_VMA_MERGEABLE;
	if (vma->vm_flags & VM_LOCKED)
		f |= CKPT_VMA_LOCKED;
	if ((vma->vm_flags & VM_LOCKONFAULT) && (vma->vm_flags & VM_LOCKED))
		f |= CKPT_VMA_LOCKONFAULT;
	if (vma->vm_flags & VM_NORESERVE)
		f |= CKPT_VMA_NORESERVE;
	if (is_sysv_attach(vma)) {
		f |= CKPT_VMA_SYSV;
		if (!(vma->vm_file->f_mode & FMODE_WRITE))
			f |= CKPT_VMA_SYSV_RDONLY;
	}
	if (!vma->vm_file && vma->vm_start <= mm->brk &&
	    vma->vm_end >= mm->start_brk)
		f |= CKPT_VMA_HEAP;
	if (name && (!strcmp(name, "[vdso]") || !strcmp(name, "[vvar]")))
		f |= CKPT_VMA_VDSO;
	/*
	 * The kernel marks the vdso and vvar VM_DONTDUMP itself
	 * (_install_special_mapping()); restore leaves them as they are.
	 */
	if (vma->vm_flags & VM_DONTDUMP && !(f & CKPT_VMA_VDSO))
		f |= CKPT_VMA_DONTDUMP;
	return f;
}

/*
 * fs/aio.c keeps this magic to itself (6.1): the superblock of the pseudo
 * filesystem whose files back io_setup()'s completion rings.
 */
#define AIO_RING_FS_MAGIC	0xa10a10a1

static bool is_aio_ring(struct vm_area_struct *vma)
{
	return vma->vm_file &&
	       file_inode(vma->vm_file)->i_sb->s_magic == AIO_RING_FS_MAGIC;
}

/* A System V segment's file, attached or not (sysv.c). */
static bool is_sysv_shm(struct vm_area_struct *vma)
{
	return vma->vm_file && ckpt_sysv_named(vma->vm_file);
}

/*
 * What the snapshot cannot take faithfully: the reason, or NULL. Judged
 * once before the group is parked (ckpt_snap_check_mm()) and again inside
 * the freeze, as mappings may change in between.
 */
static const char *vma_refusal(struct vm_area_struct *vma)
{
	const char *name = special_name(vma);

	if (userfaultfd_armed(vma))
		return "mapping is registered with userfaultfd";
	/*
	 * A SHM_HUGETLB segment's pages are hugetlb pages (below); the
	 * segment is named so the user knows which one.
	 */
	if (is_sysv_shm(vma) && is_vm_hugetlb_page(vma))
		return "System V shared memory created with SHM_HUGETLB is not supported";
	/*
	 * hugetlb pages are not made copy-on-write by holding them: 6.1's
	 * hugetlb_wp() reuses a page whose mapcount is 1 whatever its
	 * refcount, so the process would write into the snapshot's page.
	 */
	if (is_vm_hugetlb_page(vma))
		return "hugetlb mapping (MAP_HUGETLB or hugetlbfs) is not supported";
	/*
	 * Linux AIO reads complete into the process's pages after io_submit()
	 * returned, holding plain page references the snapshot cannot see: a
	 * read landing after the freeze would go to the snapshot's page. The
	 * completion ring lives as long as the context (io_destroy() unmaps
	 * it), so it names every process that may have I/O in flight.
	 */
	if (is_aio_ring(vma))
		return "Linux AIO context (io_setup): its I/O could land in the snapshot";
	if (name && strcmp(name, "[vdso]") && strcmp(name, "[vvar]"))
		return "special mapping (not vdso/vvar) is not supported";
	if (!name && (vma->vm_flags & (VM_IO | VM_PFNMAP | VM_MIXEDMAP)))
		return "device or PFN mapping is not supported";
	if ((vma->vm_flags & VM_SHARED) && !vma->vm_file)
		return "shared mapping without a file";
	/* Only shmat() makes an attachment that restore can make again. */
	if (is_sysv_shm(vma) && !ckpt_sysv_is_attach(vma->vm_file))
		return "System V segment mapped other than by shmat(): not supported";
	if (vma_policy(vma))
		return "mapping has a memory policy (mbind): not supported";
	if (is_shmem_vma(vma) && ckpt_shmem_has_policy(file_inode(vma->vm_file)))
		return CKPT_SHMEM_POLICY_WHY;
	if (vma_pkey(vma))
		return "mapping has a protection key (pkey_mprotect): not supported";
	/*
	 * A restore maps files by path; shared shmem (memfd, MAP_SHARED |
	 * MAP_ANONYMOUS) is copied whole instead, so only other mappings
	 * need a name. A memfd's file, on the internal shmem mount that
	 * kern_mount() marks MNT_INTERNAL, has none.
	 */
	if (vma->vm_file && !is_shmem_vma(vma) &&
	    (d_unlinked(vma->vm_file->f_path.dentry) ||
	     (vma->vm_file->f_path.mnt->mnt_flags & MNT_INTERNAL)))
		return "mapping of a deleted file or private one of a memfd: not supported";
	return NULL;
}

/*
 * Refuse @vma of process @pid for @why, naming the System V segment of a
 * segment's mapping (its id is its inode number, sysv.c).
 */
static void refuse_vma(struct vm_area_struct *vma, pid_t pid, const char *why,
		       struct netlink_ext_ack *extack)
{
	if (is_sysv_shm(vma))
		ckpt_err_setf(extack, pid, vma->vm_start,
			      "%s (segment id %lu, %s)", why,
			      file_inode(vma->vm_file)->i_ino,
			      vma->vm_file->f_path.dentry->d_name.name);
	else
		ckpt_err_set(extack, pid, vma->vm_start, why);
}

static int vma_supported(struct vm_area_struct *vma, pid_t pid,
			 struct netlink_ext_ack *extack)
{
	const char *why = vma_refusal(vma);

	if (why) {
		refuse_vma(vma, pid, why, extack);
		return -EINVAL;
	}
	return 0;
}

/* Called with the mmap_lock held for writing: allocates nothing. */
static int capture_vma(struct ckpt_task_snap *ts, struct ckpt_sysv_set *sysv,
		       struct vm_area_struct *vma,
		       struct netlink_ext_ack *extack)
{
	struct ckpt_rec_vma rec = {
		.start = vma->vm_start,
		.end = vma->vm_end,
		.pgoff = vma->vm_pgoff,
		.flags = vma_image_flags(vma),
	};
	unsigned long first = ts->nr_ents, huge = ts->nr_huge, kept = 0;
	unsigned long base_ents = ts->nr_base_ents;
	struct ckpt_sysv_held *seg = NULL;
	const char *path = NULL;
	int ret;

	if (vma->vm_file) {
		struct inode *inode = file_inode(vma->vm_file);

		path = d_path(&vma->vm_file->f_path, ts->pathbuf, PATH_MAX);
		if (IS_ERR(path)) {
			NL_SET_ERR_MSG(extack, "path of a mapped file is too long");
			return PTR_ERR(path);
		}
		rec.path_len = strlen(path);
		rec.ino = inode->i_ino;
		rec.dev = new_encode_dev(inode->i_sb->s_dev);
		rec.size = i_size_read(inode);
		rec.mtime_ns = timespec64_to_ns(&inode->i_mtime);
	}

	if (rec.flags & CKPT_VMA_SYSV) {
		seg = ckpt_sysv_note(sysv, ts->task, vma, extack);
		if (IS_ERR(seg))
			return PTR_ERR(seg);
	}
	if (ts->pre)
		ckpt_prepass_vma_start(ts->pre, &kept);
	if (is_shmem_vma(vma)) {
		ret = hold_shmem_vma(ts, vma, seg, extack);
		if (!ret && ts->pre)
			ret = ckpt_prepass_append(ts, first, ts->nr_ents - first);
	} else if (ckpt_snap_walkable(vma)) {
		ret = walk_anon_vma(ts, vma, extack);
	} else {
		ret = 0;
	}

	if (ret == -EAGAIN && extack && !extack->_msg)
		NL_SET_ERR_MSG(extack,
			       "the process mapped more memory than was reserved before its freeze");

	/* Entries are one page each, but for PMD-mapped THPs. */
	huge = ts->nr_huge - huge;
	rec.nr_pages = ts->nr_ents - first + huge * (HPAGE_PMD_NR - 1);
	/* The parent's pages are not in this image's PAGES runs. */
	rec.nr_pages -= ts->nr_base_ents - base_ents;
	/*
	 * One global atomic per mapping, not per page; counted even on
	 * failure, since ckpt_snap_release_pages() subtracts every entry.
	 * The pages a pre-pass held were counted when it held them.
	 */
	atomic64_add(rec.nr_pages, &held_pages);
	if (ret)
		return ret;
	/* PAGES runs never cross a mapping: the writer breaks them here. */
	if (ts->pre)
		rec.nr_pages += ckpt_prepass_vma_end(ts->pre, kept);
	else if (ts->nr_ents > first)
		ckpt_snap_ent(ts, first)->flags |= CKPT_ENT_VMA_START;
	ts->rec.nr_pages += rec.nr_pages;
	ts->rec.nr_vmas++;
	{
		struct kvec parts[] = {
			{ &rec, sizeof(rec) },
			{ (void *)path, rec.path_len },
		};

		/* Into the room ckpt_snap_reserve() made: no allocation. */
		ret = buf_put(&ts->vmas, CKPT_REC_VMA, parts,
			      ARRAY_SIZE(parts), false);
	}
	if (ret == -EAGAIN)
		NL_SET_ERR_MSG(extack,
			       "the process mapped more than was reserved before its freeze");
	return ret;
}

static void capture_mm_fields(struct ckpt_task_snap *ts)
{
	struct mm_struct *mm = ts->mm;

	ts->rec.start_code = mm->start_code;
	ts->rec.end_code = mm->end_code;
	ts->rec.start_data = mm->start_data;
	ts->rec.end_data = mm->end_data;
	ts->rec.start_brk = mm->start_brk;
	ts->rec.brk = mm->brk;
	ts->rec.start_stack = mm->start_stack;
	spin_lock(&mm->arg_lock);
	ts->rec.arg_start = mm->arg_start;
	ts->rec.arg_end = mm->arg_end;
	ts->rec.env_start = mm->env_start;
	ts->rec.env_end = mm->env_end;
	spin_unlock(&mm->arg_lock);
}

/* What of the whole address space forbids its checkpoint, named in @extack. */
static bool mm_refused(struct mm_struct *mm, pid_t pid,
		       struct netlink_ext_ack *extack)
{
	if (mm_has_notifiers(mm)) {
		ckpt_err_set(extack, pid, 0,
			     "address space has MMU notifiers (KVM, a device driver)");
		return true;
	}
	return false;
}

/**
 * ckpt_snap_capture_mm() - record the VMAs of a parked process and hold
 *	its pages copy-on-write
 * @ts: the process; @ts->mm must be referenced, every thread parked
 * @sysv: the System V segments the freeze has met: the process's SYSV_SHM
 *	record holds those it is the first to attach
 * @pid: its pid as the caller sees it, for error reports
 * @extack: receives the reason, the pid and the mapping on failure
 *
 * The caller must flush TLBs (ckpt_snap_flush_stop()) before any thread of
 * the process returns to user space. On failure the pages held so far stay
 * held; ckpt_snap_free() releases them.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_snap_capture_mm(struct ckpt_task_snap *ts, struct ckpt_sysv_set *sysv,
			 pid_t pid, struct netlink_ext_ack *extack)
{
	struct mm_struct *mm = ts->mm;
	struct vm_area_struct *vma;
	unsigned long addr = 0;
	/* A pre-pass's entries are before the stop's: all may need a copy. */
	unsigned long first = ts->pre ? 0 : ts->nr_ents;
	unsigned long anon;
	int ret;

	if (mm_refused(mm, pid, extack))
		return -EINVAL;
	/* Reserved by ckpt_snap_reserve(), or the process had no mm then. */
	if (!ts->chunks || !ts->pathbuf) {
		ckpt_err_set(extack, pid, 0,
			     "process had no address space when its freeze was prepared");
		return -EAGAIN;
	}
	ret = mmap_write_lock_killable(mm);
	if (ret)
		goto out_pool;
	ckpt_fault_window(true);
	/*
	 * The re-check: with every thread parked and the lock held, the
	 * anonymous pages can no longer grow. If they grew after they were
	 * counted by more than the slack, the reservation may not hold the
	 * walk: fail before the first page is touched, and let the freeze
	 * reserve again (-EAGAIN) instead of allocating here.
	 */
	anon = get_mm_counter(mm, MM_ANONPAGES);
	if (anon > ts->anon_counted &&
	    ts->bound_ents + (anon - ts->anon_counted) > ts->cap_ents) {
		ckpt_err_set(extack, pid, 0,
			     "the process mapped more memory than was reserved before its freeze");
		ret = -EAGAIN;
		goto out_unlock;
	}
	/* As in copy_page_range(): GUP-fast sees the protection change. */
	raw_write_seqcount_begin(&mm->write_protect_seq);
	capture_mm_fields(ts);
	while ((vma = find_vma(mm, addr))) {
		ret = vma_supported(vma, pid, extack);
		if (ret)
			break;
		ret = capture_vma(ts, sysv, vma, extack);
		if (ret) {
			/* Keep the reason; name the process and mapping. */
			if (extack)
				ckpt_err_set(extack, pid, vma->vm_start,
					     extack->_msg ? extack->_msg :
					     "cannot snapshot this mapping");
			break;
		}
		addr = vma->vm_end;
	}
	/* Ranges of mappings that are gone: not in the image. */
	if (!ret && ts->pre)
		ckpt_prepass_drop_rest(ts);
	raw_write_seqcount_end(&mm->write_protect_seq);
out_unlock:
	ckpt_fault_window(false);
	mmap_write_unlock(mm);
	if (!ret)
		ret = copy_held(ts, first);
	if (ret == -ENOMEM && extack && !extack->_msg)
		ckpt_err_set(extack, pid, 0,
			     "no memory at once for a page copied during the freeze");
	if (!ret)
		ret = ckpt_sysv_record(sysv, &ts->sysv);
out_pool:
	/* Freeing is no allocation: the rest of the pool goes at once. */
	free_pool(ts);
	return ret;
}

/* Pages of a shmem mapping the freeze will copy, at most. */
static unsigned long shmem_vma_pages(struct vm_area_struct *vma)
{
	return min_t(unsigned long, vma_pages(vma),
		     READ_ONCE(vma->vm_file->f_mapping->nrpages));
}

/**
 * ckpt_snap_check_mm() - judge a process's address space before its group
 *	is parked
 * @p: the process (a reference held by the caller)
 * @pid: its pid as the caller sees it, for error reports
 * @cost: what its snapshot will hold is added here
 * @extack: receives the reason, the pid and the mapping on refusal
 *
 * Refuses what the freeze would refuse anyway (vma_refusal(), MMU
 * notifiers, an address space shared with another process), so the group
 * is not stopped for nothing, and counts what the snapshot will cost.
 * A process without an mm (exiting) is left to the freeze to judge.
 *
 * Return: 0, -EINVAL, -EBUSY or -EINTR.
 */
/*
 * Can @vma hold pages of another process's, shared since fork()? Only if
 * fork() gave it its anon_vma: anon_vma_fork() (6.1 mm/rmap.c) links the
 * child's new anon_vma to the parent's root, while one made for a mapping
 * of the process's own (anon_vma_prepare()) is its own root. Called with
 * the mmap_lock held; an anon_vma's root does not change.
 */
static bool inherited_vma(struct vm_area_struct *vma)
{
	return vma->anon_vma && vma->anon_vma->root != vma->anon_vma;
}

int ckpt_snap_check_mm(struct task_struct *p, pid_t pid,
		       struct ckpt_mm_cost *cost,
		       struct netlink_ext_ack *extack)
{
	struct mm_struct *mm = get_task_mm(p);
	struct vm_area_struct *vma;
	unsigned long addr = 0;
	const char *why;
	pid_t sharer;
	int ret = 0;

	if (!mm)
		return 0;
	if (mm_refused(mm, pid, extack)) {
		ret = -EINVAL;
		goto out_put;
	}
	sharer = ckpt_snap_mm_sharer(mm, p);
	if (sharer) {
		ckpt_err_setf(extack, pid, 0,
			      "address space is shared with pid %d outside the process (vfork, CLONE_VM)",
			      sharer);
		ret = -EBUSY;
		goto out_put;
	}
	ret = mmap_read_lock_killable(mm);
	if (ret)
		goto out_put;
	while ((vma = find_vma(mm, addr))) {
		/*
		 * userfaultfd is left to the freeze: a thread blocked on a
		 * userfaultfd fault inside execve() leaves this mm at the
		 * exec's point of no return, and only the freeze, with every
		 * thread parked, sees the mm it will have.
		 */
		why = userfaultfd_armed(vma) ? NULL : vma_refusal(vma);
		if (why) {
			refuse_vma(vma, pid, why, extack);
			ret = -EINVAL;
			break;
		}
		if (is_shmem_vma(vma))
			cost->shmem_pages += shmem_vma_pages(vma);
		else if (inherited_vma(vma))
			cost->inherited_pages += vma_pages(vma);
		cost->nr_vmas++;
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	cost->anon_pages += get_mm_counter(mm, MM_ANONPAGES);
out_put:
	mmput(mm);
	return ret;
}

/**
 * ckpt_snap_mm_sharer() - a task outside @p's process that uses @mm
 * @mm: the address space of @p
 * @p: a process
 *
 * mm_users alone cannot tell: a /proc reader (/proc/PID/mem, cmdline,
 * environ) or process_vm_readv() holds the mm for a moment, and such a
 * reader is no reason to refuse. Only a task whose ->mm is @mm (a vfork
 * child, a CLONE_VM sibling, a kernel thread after kthread_use_mm()) is.
 * The list of all threads is searched only when mm_users says someone
 * beyond @p's threads and the caller holds it, as oom_kill.c's
 * process_shares_mm() does for the OOM killer.
 *
 * Return: the pid (in the caller's namespace) of such a task, or 0.
 */
pid_t ckpt_snap_mm_sharer(struct mm_struct *mm, struct task_struct *p)
{
	struct task_struct *g, *t;
	pid_t found = 0;

	/* Our reference plus one per thread of @p is the expected count. */
	if (atomic_read(&mm->mm_users) <= get_nr_threads(p) + 1)
		return 0;
	rcu_read_lock();
	for_each_process(g) {
		if (same_thread_group(g, p))
			continue;
		for_each_thread(g, t) {
			if (READ_ONCE(t->mm) == mm) {
				found = task_pid_vnr(t);
				goto out;
			}
		}
	}
out:
	rcu_read_unlock();
	return found;
}

/*
 * PMD-mapped anonymous THPs of @vma, read without the page table locks
 * while the process runs: an estimate the walk inside the freeze checks
 * (a THP split in between needs 512 entries where this counted one).
 * The mmap_lock held for reading keeps the page tables.
 */
static unsigned long count_huge_pmds(struct vm_area_struct *vma)
{
	unsigned long addr, next, n = 0;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd, pmdval;

	/* Empty upper levels are skipped whole: sparse reservations are cheap. */
	for (addr = vma->vm_start; addr < vma->vm_end; addr = next) {
		pgd = pgd_offset(vma->vm_mm, addr);
		next = pgd_addr_end(addr, vma->vm_end);
		if (pgd_none(*pgd) || pgd_bad(*pgd))
			continue;
		p4d = p4d_offset(pgd, addr);
		next = p4d_addr_end(addr, vma->vm_end);
		if (p4d_none(*p4d) || p4d_bad(*p4d))
			continue;
		pud = pud_offset(p4d, addr);
		next = pud_addr_end(addr, vma->vm_end);
		if (pud_none(*pud) || pud_bad(*pud))
			continue;
		next = pmd_addr_end(addr, vma->vm_end);
		pmd = pmd_offset(pud, addr);
		pmdval = READ_ONCE(*pmd);
		if (pmd_trans_huge(pmdval) && next - addr == HPAGE_PMD_SIZE)
			n++;
	}
	return n;
}

/* Bytes of @vma's VMA record; @buf holds PATH_MAX bytes for its path. */
static size_t vma_rec_bytes(struct vm_area_struct *vma, char *buf)
{
	size_t len = sizeof(struct ckpt_rec_vma);
	const char *path;

	if (vma->vm_file) {
		path = d_path(&vma->vm_file->f_path, buf, PATH_MAX);
		len += IS_ERR(path) ? PATH_MAX : strlen(path);
	}
	return sizeof(struct ckpt_rec_hdr) + ALIGN(len, 8);
}

/**
 * ckpt_snap_reserve() - reserve what the snapshot of a process's address
 *	space needs, before its group is parked
 * @ts: the process; @ts->task set, nothing captured yet
 * @sysv: the freeze's System V segments: those it attaches are reserved
 * @loose: count a PMD-mapped THP as the 512 entries it would need split,
 *	as a retry does after a tighter reservation ran out
 * @prepass: the freeze may run a pre-pass (prepass.c): room for its
 *	entries as well
 *
 * Everything ckpt_snap_capture_mm() fills while the process is parked
 * under its mmap_lock is allocated here, while it still runs (see "No
 * allocation inside the freeze window" above): the page-entry chunks for
 * the anonymous pages (one entry per PMD-mapped THP unless @loose) and
 * the shared memory pages, the VMA records, the path buffer, the pool of
 * pages for the copies of shared memory and the System V segments. The slack (1/8 and two
 * page tables' worth of entries, four longest paths' worth of VMA
 * records) covers what its threads map until they park; the re-check
 * under the mmap_lock refuses the rest with -EAGAIN.
 *
 * Return: 0, -ENOMEM or -EINTR.
 */
int ckpt_snap_reserve(struct ckpt_task_snap *ts, struct ckpt_sysv_set *sysv,
		      bool loose, bool prepass)
{
	struct mm_struct *mm = get_task_mm(ts->task);
	unsigned long huge = 0, shmem = 0, anon, need;
	struct vm_area_struct *vma;
	unsigned long addr = 0;
	size_t vma_bytes = 0;
	int ret = 0;

	if (!mm)
		return 0;
	ts->pathbuf = ckpt_fault_inject(CKPT_FAULT_SNAP) ? NULL :
		      kmalloc(PATH_MAX, GFP_KERNEL);
	if (!ts->pathbuf) {
		ret = -ENOMEM;
		goto out_put;
	}
	if (mmap_read_lock_killable(mm)) {
		ret = -EINTR;
		goto out_put;
	}
	while ((vma = find_vma(mm, addr))) {
		if (is_sysv_attach(vma)) {
			ret = ckpt_sysv_reserve(sysv, vma);
			if (ret)
				break;
		}
		if (is_shmem_vma(vma))
			shmem += shmem_vma_pages(vma);
		else if (!loose && vma->anon_vma &&
			 !(vma->vm_flags & (VM_SHARED | VM_IO | VM_PFNMAP)))
			huge += count_huge_pmds(vma);
		vma_bytes += vma_rec_bytes(vma, ts->pathbuf);
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	if (ret)
		goto out_put;
	anon = get_mm_counter(mm, MM_ANONPAGES);
	need = anon - min(anon, huge * (HPAGE_PMD_NR - 1)) + shmem;
	ts->anon_counted = anon;
	ts->bound_ents = need;
	need += need / 8 + 2 * PTRS_PER_PTE;
	/*
	 * A pre-pass's entries of ranges that change before the stop stay
	 * where they are as holes, and the stop adds theirs after all of
	 * them: room for both.
	 */
	if (prepass)
		need *= 2;
	ret = alloc_chunks(ts, need);
	if (ret)
		goto out_put;
	vma_bytes += vma_bytes / 8 +
		     4 * (sizeof(struct ckpt_rec_hdr) +
			  ALIGN(sizeof(struct ckpt_rec_vma) + PATH_MAX, 8));
	ret = buf_reserve(&ts->vmas, vma_bytes);
	if (!ret)
		ret = fill_pool(ts, shmem);
out_put:
	mmput(mm);
	return ret;
}

static void flush_tlb_local(void *unused)
{
	__flush_tlb_all();
}

/**
 * ckpt_snap_flush_tlbs() - drop stale writable TLB entries on every CPU
 *
 * flush_tlb_mm_range() is not exported. __flush_tlb_all() flushes every
 * PCID, PTI user ones included (INVPCID all-context or a CR4.PGE toggle).
 * Must run after the write-protect walk and before the threads run again:
 * a CPU holding the mm lazily could otherwise return to user space through
 * a stale writable entry.
 */
void ckpt_snap_flush_tlbs(void)
{
	on_each_cpu(flush_tlb_local, NULL, 1);
}

/**
 * ckpt_snap_flush_stop() - flush TLBs after a stop, if it write-protected
 * @snap: the snapshot, its group parked
 *
 * A stop that only kept ranges of the pre-pass made no entry read-only:
 * the pre-pass flushed after each of its chunks, and what it kept has no
 * writable entry for a held page. The all-CPU flush (milliseconds of IPIs
 * under emulation) is then skipped.
 */
void ckpt_snap_flush_stop(struct ckpt_snapshot *snap)
{
	bool needed = false;
	unsigned int i;

	for (i = 0; i < snap->nr_tasks; i++) {
		needed |= snap->tasks[i].wrprotected;
		snap->tasks[i].wrprotected = false;
	}
	if (needed)
		ckpt_snap_flush_tlbs();
}

/**
 * ckpt_snap_free() - release everything a snapshot holds
 * @snap: the snapshot (its memory is freed too)
 */
void ckpt_snap_free(struct ckpt_snapshot *snap)
{
	unsigned int i;

	if (!snap)
		return;
	/* A freeze whose image was not committed is no parent. */
	ckpt_incr_forget(snap->incr_id);
	for (i = 0; i < snap->nr_tasks; i++) {
		struct ckpt_task_snap *ts = &snap->tasks[i];

		ckpt_snap_release_pages(ts, 0);
		ckpt_prepass_free(ts);
		free_chunks(ts);
		free_pool(ts);
		kfree(ts->pathbuf);
		ckpt_buf_free(&ts->proc);
		ckpt_buf_free(&ts->threads);
		ckpt_buf_free(&ts->vmas);
		ckpt_buf_free(&ts->fds);
		ckpt_buf_free(&ts->ident);
		ckpt_buf_free(&ts->timers);
		ckpt_buf_free(&ts->signals);
		ckpt_buf_free(&ts->locks);
		ckpt_buf_free(&ts->sysv);
		ckpt_buf_free(&ts->tty);
		if (ts->mm)
			mmput(ts->mm);
		if (ts->task)
			put_task_struct(ts->task);
	}
	kvfree(snap->tasks);
	kvfree(snap->zombies);
	kfree(snap);
}
