/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Incremental generations: the dirty log the freeze's walk keeps in the
 * soft-dirty bits, and the tokens that say which committed generation
 * those bits are relative to.
 */
#ifndef CKPT_INCR_H
#define CKPT_INCR_H

#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/types.h>
#include <asm/pgtable.h>

#include "snap.h"

struct ckpt_area;

extern unsigned int ckpt_incr_max_chain;

/*
 * The walk's side of the dirty log. Each freeze clears the soft-dirty bit
 * of every page it holds copy-on-write (under the PTE or PMD lock, with
 * the mmap_lock held for writing) and VM_SOFTDIRTY of every mapping it
 * walks, so at the next freeze a page is unchanged unless the kernel set
 * the bit again: pte_mkdirty() on every write fault (do_wp_page(), new
 * anonymous pages), move_soft_dirty_pte() in mremap(), VM_SOFTDIRTY on a
 * new or merged mapping (mmap_region(), brk). That holds only for PTEs
 * the freeze left read-only: mprotect() does not make a PTE writable
 * while soft-dirty tracking is on and its bit is clear
 * (can_change_pte_writable(), 6.1), so the next write faults. A page the
 * freeze copies instead (copy_at_freeze(): a device may write it, and its
 * PTE stays writable) gets the bit set, so the next freeze takes it again.
 * The bits are set atomically, as the MMU updates accessed and dirty.
 */
#ifdef CONFIG_MEM_SOFT_DIRTY
static inline void ckpt_incr_clear_pte(pte_t *ptep)
{
	clear_bit(_PAGE_BIT_SOFT_DIRTY, (unsigned long *)&ptep->pte);
}

static inline void ckpt_incr_mark_pte(pte_t *ptep)
{
	set_bit(_PAGE_BIT_SOFT_DIRTY, (unsigned long *)&ptep->pte);
}

static inline void ckpt_incr_clear_pmd(pmd_t *pmdp)
{
	clear_bit(_PAGE_BIT_SOFT_DIRTY, (unsigned long *)pmdp);
}

static inline void ckpt_incr_mark_pmd(pmd_t *pmdp)
{
	set_bit(_PAGE_BIT_SOFT_DIRTY, (unsigned long *)pmdp);
}

/* A held page whose soft-dirty bit is @dirty: unchanged since the parent? */
static inline bool ckpt_incr_unchanged(const struct ckpt_task_snap *ts,
				       int dirty)
{
	return ts->vma_clean && !dirty;
}

/* At the start of a mapping's walk (mmap_lock held for writing). */
static inline void ckpt_incr_vma_begin(struct ckpt_task_snap *ts,
				       struct vm_area_struct *vma)
{
	ts->vma_clean = ts->incr && !(vma->vm_flags & VM_SOFTDIRTY);
}

/* Once it is walked whole: from now on its PTEs' bits say what changed. */
static inline void ckpt_incr_vma_end(struct vm_area_struct *vma)
{
	vma->vm_flags &= ~VM_SOFTDIRTY;
}
#else
static inline void ckpt_incr_clear_pte(pte_t *ptep) { }
static inline void ckpt_incr_mark_pte(pte_t *ptep) { }
static inline void ckpt_incr_clear_pmd(pmd_t *pmdp) { }
static inline void ckpt_incr_mark_pmd(pmd_t *pmdp) { }
static inline bool ckpt_incr_unchanged(const struct ckpt_task_snap *ts,
				       int dirty)
{
	return false;
}

static inline void ckpt_incr_vma_begin(struct ckpt_task_snap *ts,
				       struct vm_area_struct *vma)
{
	ts->vma_clean = false;
}

static inline void ckpt_incr_vma_end(struct vm_area_struct *vma) { }
#endif

int ckpt_incr_begin(struct ckpt_snapshot *snap, struct ckpt_area *area,
		    bool want);
void ckpt_incr_commit(struct ckpt_snapshot *snap, u64 generation,
		      u64 image_len, u32 crc);
void ckpt_incr_forget(u64 id);
void ckpt_incr_exit(void);

#endif /* CKPT_INCR_H */
