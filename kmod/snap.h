/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The snapshot: what a freeze captured and holds until the writer is done.
 */
#ifndef CKPT_SNAP_H
#define CKPT_SNAP_H

#include <linux/ckpt_image.h>
#include <linux/list.h>
#include <linux/types.h>
#include <asm/page.h>
#include <asm/pgtable_types.h>

struct ckpt_prepass;
struct mm_struct;
struct netlink_ext_ack;
struct page;
struct task_struct;

/* ckpt_page_ent.flags */
#define CKPT_ENT_COPY		0x1	/* copy before release (copy_at_freeze()) */
#define CKPT_ENT_VMA_START	0x2	/* first entry of a mapping */
#define CKPT_ENT_BASE		0x4	/* unchanged: taken from the parent, no page */
#define CKPT_ENT_FORKED		0x8	/* the parent process's page (forked.c), no page */
#define CKPT_ENT_WRITTEN	0x10	/* soft-dirty when held (TOUCHED record) */
#define CKPT_ENT_ACCESSED	0x20	/* young when held (TOUCHED record) */
#define CKPT_ENT_LATE		0x40	/* in the second sweep (late.c, LATE record) */

/**
 * struct ckpt_page_ent - pages held for the writer
 * @addr: user address of the first page
 * @page: the held page (head page for a PMD-mapped THP)
 * @nr: 1, or HPAGE_PMD_NR for a THP held as one unit
 * @flags: CKPT_ENT_*
 */
struct ckpt_page_ent {
	unsigned long addr;
	struct page *page;
	unsigned int nr;
	unsigned int flags;
};

/*
 * Page entries live in chunks of one page each (order 0: never a
 * high-order allocation, never vmalloc), all allocated before the group is
 * parked. The walk fills them in order; the chunk table is never grown.
 */
#define CKPT_ENTS_PER_CHUNK	(PAGE_SIZE / sizeof(struct ckpt_page_ent))

/**
 * struct ckpt_buf - a growable byte buffer for records
 * @data: kvmalloc'ed bytes
 * @len: bytes used
 * @cap: bytes allocated
 */
struct ckpt_buf {
	void *data;
	size_t len;
	size_t cap;
};

/**
 * struct ckpt_task_snap - one process of the snapshot
 * @task: the thread group leader (reference held)
 * @mm: its address space (mm_users reference held until the walk is done)
 * @rec: its TASK record
 * @proc: its PROC record, with its record header
 * @threads: its THREAD records, each with its record header
 * @vmas: its VMA records, each with its record header
 * @fds: its FD records, each with its record header
 * @ident: its IDENTITY record, with its record header
 * @timers: its TIMERS record, with its record header
 * @signals: its SIGNALS record, with its record header
 * @locks: its LOCKS record, with its record header
 * @sysv: its SYSV_SHM record, with its record header
 * @tty: its TTY record, with its record header
 * @chunks: the chunk table: @nr_chunks page-sized arrays of held pages,
 *	in address order (ckpt_snap_ent()); all allocated before the park
 * @nr_chunks: chunks in @chunks
 * @nr_ents: entries used
 * @cap_ents: entries allocated (@nr_chunks * CKPT_ENTS_PER_CHUNK)
 * @bound_ents: entries the process needed when it was counted, its slack
 *	for pages faulted in until the park not included
 * @anon_counted: its MM_ANONPAGES when it was counted
 * @fill: where ent_add() writes the next entry, in the current chunk
 * @fill_end: the end of the current chunk
 * @nr_huge: entries of a PMD-mapped THP (HPAGE_PMD_NR pages) so far
 * @nr_copy: entries still to be copied (CKPT_ENT_COPY)
 * @copy_pool: pages for the copies of its shared memory (page->lru),
 *	allocated before the park
 * @nr_pool: pages in @copy_pool
 * @pathbuf: PATH_MAX bytes for the paths of its mapped files
 * @pre: what the pre-pass held while the group ran (prepass.c), or NULL
 * @wrprotected: a PTE or huge PMD was made read-only since the last TLB
 *	flush (ckpt_snap_flush_tlbs() must run before the group does)
 * @incr: the parent generation holds this process (incr.c): its pages
 *	unchanged since the parent's freeze become CKPT_ENT_BASE entries
 * @vma_clean: the mapping being walked had no VM_SOFTDIRTY when its walk
 *	began (and @incr): its PTEs' soft-dirty bits tell what changed
 * @nr_base_ents: CKPT_ENT_BASE entries
 * @nr_base_pages: pages of CKPT_ENT_BASE entries
 */
struct ckpt_task_snap {
	struct task_struct *task;
	struct mm_struct *mm;
	struct ckpt_rec_task rec;
	struct ckpt_buf proc;
	struct ckpt_buf threads;
	struct ckpt_buf vmas;
	struct ckpt_buf fds;
	struct ckpt_buf ident;
	struct ckpt_buf timers;
	struct ckpt_buf signals;
	struct ckpt_buf locks;
	struct ckpt_buf sysv;
	struct ckpt_buf tty;
	struct ckpt_page_ent **chunks;
	unsigned long nr_chunks;
	unsigned long nr_ents;
	unsigned long cap_ents;
	unsigned long bound_ents;
	unsigned long anon_counted;
	struct ckpt_page_ent *fill;
	struct ckpt_page_ent *fill_end;
	unsigned long nr_huge;
	unsigned long nr_copy;
	struct list_head copy_pool;
	unsigned long nr_pool;
	char *pathbuf;
	struct ckpt_prepass *pre;
	bool wrprotected;
	bool incr;
	bool vma_clean;
	unsigned long nr_base_ents;
	unsigned long nr_base_pages;
};

/**
 * ckpt_snap_ent() - one held page entry of a process
 * @ts: the process
 * @i: the entry's index, below @ts->cap_ents
 *
 * Return: the entry.
 */
static inline struct ckpt_page_ent *ckpt_snap_ent(struct ckpt_task_snap *ts,
						  unsigned long i)
{
	return &ts->chunks[i / CKPT_ENTS_PER_CHUNK][i % CKPT_ENTS_PER_CHUNK];
}

/**
 * struct ckpt_snapshot - everything one checkpoint holds
 * @tasks: the processes
 * @nr_tasks: entries in @tasks
 * @zombies: the group's zombies, as ZOMBIE records
 * @nr_zombies: entries in @zombies
 * @nr_threads: threads over all processes
 * @nr_pages: pages held over all processes
 * @created_ns: CLOCK_REALTIME of the freeze
 * @freeze_ns: park start to release
 * @park_ns: park start to the last thread parked
 * @capture_ns: capture of state, descriptors, mappings and pages
 * @flush_ns: the TLB flush after the capture (release is the rest of
 *	@freeze_ns)
 * @prepass_ns: the pre-pass over the running group's memory, before the
 *	park (prepass.c)
 * @incr_id: the incremental token this freeze made (incr.c), 0 if none
 * @incremental: the image is incremental, on @parent
 * @parent: with @incremental, the PARENT record
 */
struct ckpt_snapshot {
	struct ckpt_task_snap *tasks;
	unsigned int nr_tasks;
	struct ckpt_rec_zombie *zombies;
	unsigned int nr_zombies;
	unsigned int nr_threads;
	u64 nr_pages;
	u64 created_ns;
	u64 freeze_ns;
	u64 park_ns;
	u64 capture_ns;
	u64 flush_ns;
	u64 prepass_ns;
	u64 incr_id;
	bool incremental;
	struct ckpt_rec_parent parent;
};

/**
 * struct ckpt_mm_cost - what the snapshot of address spaces will hold
 * @anon_pages: private anonymous pages, held copy-on-write (each may be
 *	copied by the process's own next write while the image streams)
 * @shmem_pages: shared memory pages, copied during the freeze (at most)
 * @nr_vmas: mappings
 * @inherited_pages: pages of the private mappings fork() gave their
 *	anon_vma (the only ones that can hold pages shared since fork())
 * @forkable_pages: of @anon_pages, at most what may be a page of the
 *	process's parent in the group, shared since fork() and written once
 *	(forked.c): the least of its anonymous and inherited pages
 */
struct ckpt_mm_cost {
	u64 anon_pages;
	u64 inherited_pages;
	u64 forkable_pages;
	u64 shmem_pages;
	u64 nr_vmas;
};

struct kvec;
int ckpt_buf_put(struct ckpt_buf *buf, u32 type, const struct kvec *parts,
		 unsigned int n);
void ckpt_buf_free(struct ckpt_buf *buf);

struct ckpt_sysv_set;
int ckpt_snap_capture_mm(struct ckpt_task_snap *ts, struct ckpt_sysv_set *sysv,
			 pid_t pid, struct netlink_ext_ack *extack);
int ckpt_snap_check_mm(struct task_struct *p, pid_t pid,
		       struct ckpt_mm_cost *cost,
		       struct netlink_ext_ack *extack);
pid_t ckpt_snap_mm_sharer(struct mm_struct *mm, struct task_struct *p);

struct inode;
#define CKPT_SHMEM_POLICY_WHY \
	"shared memory object has a memory policy of its own (mbind): not supported"
bool ckpt_shmem_has_policy(struct inode *inode);
int ckpt_snap_reserve(struct ckpt_task_snap *ts, struct ckpt_sysv_set *sysv,
		      bool loose, bool prepass);
void ckpt_snap_flush_tlbs(void);
void ckpt_snap_flush_stop(struct ckpt_snapshot *snap);
void ckpt_snap_release_pages(struct ckpt_task_snap *ts, unsigned long from);
void ckpt_snap_free(struct ckpt_snapshot *snap);
void ckpt_snap_put_ent(struct ckpt_page_ent *e);
void ckpt_snap_put_ents(struct ckpt_page_ent **ents, unsigned int n,
			struct page **scratch);
u64 ckpt_snap_held_pages(void);

/* The page-table walk, shared with the pre-pass (prepass.c). */
struct vm_area_struct;
bool ckpt_snap_walkable(struct vm_area_struct *vma);
int ckpt_snap_walk_range(struct ckpt_task_snap *ts, struct vm_area_struct *vma,
			 pmd_t *pmd, unsigned long addr, unsigned long end,
			 pte_t *save, pmd_t *pmdval,
			 struct netlink_ext_ack *extack);
pmd_t *ckpt_snap_find_pmd(struct mm_struct *mm, unsigned long addr,
			  unsigned long end, unsigned long *next);
void ckpt_snap_count_held(unsigned long nr);
int ckpt_snap_reorder(struct ckpt_task_snap *ts, const unsigned long *segs,
		      unsigned long nr_segs);

#endif /* CKPT_SNAP_H */
