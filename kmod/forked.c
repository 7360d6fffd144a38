// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Pages shared by fork(), written once. After fork() a parent and its
 * child map the same anonymous pages until one of them writes to one
 * (do_wp_page() copies it then). The walk holds such a page once for
 * each process that maps it; this finds, for every process whose parent
 * is in the snapshot, the entries that hold the very page the parent's
 * entry at the same address holds, and makes them CKPT_ENT_FORKED: the
 * writer lists them in the process's FORKED record instead of writing
 * their bytes again, and the restore forks the child from a parent whose
 * memory is in place, so they are shared again (Documentation/restore.rst,
 * "Pages shared by fork").
 *
 * Why equal page pointers mean "the same page at the snapshot's instant":
 * every entry holds a reference on its page from the moment the walk
 * (or the pre-pass, for a range the stop kept because nothing in it
 * changed) found it mapped, so neither page can have been freed and
 * reused since; both entries show what each process mapped when it was
 * parked. Copies (shared memory, pinned pages: copy_held()) are pages of
 * their own and never match; entries taken from a parent generation
 * (CKPT_ENT_BASE) hold no page.
 */
#include <linux/mm.h>
#include <linux/sched.h>

#include "forked.h"
#include "snap.h"

/* The snapshot's process whose pid is @ts's parent's, or NULL. */
static struct ckpt_task_snap *parent_of(struct ckpt_snapshot *snap,
					struct ckpt_task_snap *ts)
{
	unsigned int i;

	for (i = 0; i < snap->nr_tasks; i++)
		if (snap->tasks[i].rec.pid == ts->rec.ppid &&
		    &snap->tasks[i] != ts)
			return &snap->tasks[i];
	return NULL;
}

static bool holds_own_page(const struct ckpt_page_ent *e)
{
	return e->page && !(e->flags & (CKPT_ENT_BASE | CKPT_ENT_COPY));
}

/*
 * Both entry arrays are in address order; an entry of one that starts
 * inside a larger entry of the other (a THP mapped whole in one process
 * and by PTEs in the other) is left alone.
 */
static void mark_pair(struct ckpt_task_snap *child,
		      struct ckpt_task_snap *parent)
{
	unsigned long i = 0, j = 0, steps = 0;

	while (i < child->nr_ents && j < parent->nr_ents) {
		struct ckpt_page_ent *c = ckpt_snap_ent(child, i);
		struct ckpt_page_ent *p = ckpt_snap_ent(parent, j);

		/* Either side may run ahead for long: count both. */
		if ((++steps & 1023) == 0)
			cond_resched();
		if (p->addr < c->addr) {
			j++;
			continue;
		}
		if (c->addr == p->addr && c->page == p->page &&
		    c->nr == p->nr && holds_own_page(c) && holds_own_page(p))
			c->flags |= CKPT_ENT_FORKED;
		i++;
	}
}

/* Only once every pair is compared: a parent's entry may be forked too. */
static void drop_forked(struct ckpt_task_snap *ts)
{
	unsigned long i;

	for (i = 0; i < ts->nr_ents; i++) {
		struct ckpt_page_ent *e = ckpt_snap_ent(ts, i);

		if (!(e->flags & CKPT_ENT_FORKED))
			continue;
		ckpt_snap_put_ent(e);
		ts->rec.flags |= CKPT_TASK_FORKED;
		if ((i & 1023) == 0)
			cond_resched();
	}
}

/**
 * ckpt_forked_mark() - find the pages each process shares with its parent
 * @snap: the snapshot, its group released and its entries laid out in
 *	address order (after ckpt_prepass_finish())
 *
 * Marks them CKPT_ENT_FORKED and drops the child's reference on each (the
 * parent's entry keeps the page until the writer is done with it); sets
 * CKPT_TASK_FORKED on every process that has some. Runs after the
 * release, so it adds nothing to the freeze.
 */
void ckpt_forked_mark(struct ckpt_snapshot *snap)
{
	struct ckpt_task_snap *parent;
	unsigned int i;

	for (i = 0; i < snap->nr_tasks; i++) {
		parent = parent_of(snap, &snap->tasks[i]);
		if (parent)
			mark_pair(&snap->tasks[i], parent);
	}
	for (i = 0; i < snap->nr_tasks; i++)
		drop_forked(&snap->tasks[i]);
}
