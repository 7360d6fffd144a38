// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Incremental generations: which committed generation the soft-dirty bits
 * of a group's pages are relative to.
 *
 * Every freeze that walks a process clears its bits (incr.h), so the bits
 * describe the changes since the latest freeze of that process, whatever
 * became of that freeze. A token records one freeze: the processes it
 * walked, and once its image is committed, the area and generation. A
 * later freeze may build on a token only if it is committed, names the
 * same area, the area still holds that generation unchanged, and no other
 * freeze walked any of its processes since: every freeze first removes
 * each token that shares a process with it, pending or committed, and
 * pending tokens of failed checkpoints go with their snapshot. Any doubt
 * means a full image.
 *
 * A process is named by its global tgid and its start time, never by a
 * pointer: a pid reused by a new process starts later, and a process's
 * memory is replaced only by exec, whose new mappings all carry
 * VM_SOFTDIRTY.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "area.h"
#include "incr.h"
#include "snap.h"

unsigned int ckpt_incr_max_chain = 8;
module_param_named(incr_max_chain, ckpt_incr_max_chain, uint, 0644);
MODULE_PARM_DESC(incr_max_chain,
		 "Most generations in an incremental chain, its full image included; then a full image");

struct incr_proc {
	pid_t tgid;
	u64 start;
};

/**
 * struct incr_token - one freeze's processes, and its generation once committed
 * @node: entry in @tokens
 * @id: the freeze's id (ckpt_snapshot.incr_id)
 * @committed: @gen, @depth and @chain_bytes are set
 * @dev: the area's device
 * @ino: the area's inode number
 * @gen: the generation, as a child's PARENT record names it
 * @depth: generations in its chain, itself and its full image included
 * @chain_bytes: bytes of those generations' images
 * @nr: entries in @procs
 * @procs: the processes walked
 */
struct incr_token {
	struct list_head node;
	u64 id;
	bool committed;
	dev_t dev;
	unsigned long ino;
	struct ckpt_rec_parent gen;
	unsigned int depth;
	u64 chain_bytes;
	unsigned int nr;
	struct incr_proc procs[];
};

/*
 * Tokens kept, oldest first; beyond MAX_TOKENS (groups checkpointed once
 * and gone, say) the oldest is forgotten: its group's next image is full.
 */
#define MAX_TOKENS	64
static LIST_HEAD(tokens);
/* Protects tokens, nr_tokens, next_id and every token in the list. */
static DEFINE_MUTEX(tokens_lock);
static unsigned int nr_tokens;
static u64 next_id;

static bool has_proc(const struct incr_token *t, pid_t tgid, u64 start)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++)
		if (t->procs[i].tgid == tgid && t->procs[i].start == start)
			return true;
	return false;
}

static bool shares_proc(const struct incr_token *a, const struct incr_token *b)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++)
		if (has_proc(a, b->procs[i].tgid, b->procs[i].start))
			return true;
	return false;
}

/* Can the freeze of @mine, into @area, build on @t? */
static bool usable(const struct incr_token *t, const struct incr_token *mine,
		   struct ckpt_area *area)
{
	u64 room = area->sb->size - area->sb->data_offset;

	return t->committed && t->dev == mine->dev && t->ino == mine->ino &&
	       t->depth < ckpt_incr_max_chain &&
	       t->chain_bytes <= room / 2 &&
	       ckpt_area_holds(area, &t->gen);
}

/**
 * ckpt_incr_begin() - before the park: find the parent, record this freeze
 * @snap: the snapshot, its processes collected (not parked yet)
 * @area: where the image goes
 * @want: the caller asked for an incremental image
 *
 * Sets @snap->incremental and @snap->parent, and each process's incr, if
 * a parent is usable. Whatever the outcome, tokens sharing a process with
 * this freeze are gone afterwards: its walk clears their bits.
 *
 * Return: 0 or -ENOMEM.
 */
int ckpt_incr_begin(struct ckpt_snapshot *snap, struct ckpt_area *area,
		    bool want)
{
	struct incr_token *mine, *t, *tmp, *parent = NULL;
	struct inode *inode = file_inode(area->file);
	unsigned int i;

	mine = kzalloc(struct_size(mine, procs, snap->nr_tasks), GFP_KERNEL);
	if (!mine)
		return -ENOMEM;
	mine->dev = inode->i_sb->s_dev;
	mine->ino = inode->i_ino;
	mine->nr = snap->nr_tasks;
	for (i = 0; i < snap->nr_tasks; i++) {
		mine->procs[i].tgid = task_tgid_nr(snap->tasks[i].task);
		mine->procs[i].start = snap->tasks[i].task->start_boottime;
	}
	want = want && area->sb && IS_ENABLED(CONFIG_MEM_SOFT_DIRTY);

	mutex_lock(&tokens_lock);
	list_for_each_entry_safe(t, tmp, &tokens, node) {
		if (!shares_proc(t, mine))
			continue;
		list_del(&t->node);
		nr_tokens--;
		if (want && !parent && usable(t, mine, area))
			parent = t;
		else
			kfree(t);
	}
	if (area->sb && IS_ENABLED(CONFIG_MEM_SOFT_DIRTY)) {
		mine->id = ++next_id;
		snap->incr_id = mine->id;
		if (nr_tokens == MAX_TOKENS) {
			t = list_first_entry(&tokens, struct incr_token, node);
			list_del(&t->node);
			kfree(t);
			nr_tokens--;
		}
		list_add_tail(&mine->node, &tokens);
		nr_tokens++;
		mine = NULL;
	}
	mutex_unlock(&tokens_lock);
	kfree(mine);
	if (!parent)
		return 0;

	snap->incremental = true;
	snap->parent = parent->gen;
	for (i = 0; i < snap->nr_tasks; i++)
		snap->tasks[i].incr =
			has_proc(parent, task_tgid_nr(snap->tasks[i].task),
				 snap->tasks[i].task->start_boottime);
	area->parent = parent->gen.generation;
	/* The new token's chain: kept until the commit fills it in. */
	mutex_lock(&tokens_lock);
	list_for_each_entry(t, &tokens, node)
		if (t->id == snap->incr_id) {
			t->depth = parent->depth;
			t->chain_bytes = parent->chain_bytes;
		}
	mutex_unlock(&tokens_lock);
	kfree(parent);
	return 0;
}

/**
 * ckpt_incr_commit() - the image of @snap is committed
 * @snap: the snapshot
 * @generation: its generation
 * @image_len: its length
 * @crc: its crc32c
 *
 * Its token becomes a parent later freezes may use, unless another freeze
 * of one of its processes removed it meanwhile.
 */
void ckpt_incr_commit(struct ckpt_snapshot *snap, u64 generation,
		      u64 image_len, u32 crc)
{
	struct incr_token *t;

	if (!snap->incr_id)
		return;
	mutex_lock(&tokens_lock);
	list_for_each_entry(t, &tokens, node) {
		if (t->id != snap->incr_id)
			continue;
		t->gen.generation = generation;
		t->gen.created_ns = snap->created_ns;
		t->gen.image_len = image_len;
		t->gen.crc32c = crc;
		t->depth = snap->incremental ? t->depth + 1 : 1;
		t->chain_bytes = snap->incremental ?
				 t->chain_bytes + image_len : image_len;
		t->committed = true;
		break;
	}
	mutex_unlock(&tokens_lock);
}

/**
 * ckpt_incr_forget() - drop a freeze's token unless it was committed
 * @id: ckpt_snapshot.incr_id, 0 for none
 */
void ckpt_incr_forget(u64 id)
{
	struct incr_token *t;

	if (!id)
		return;
	mutex_lock(&tokens_lock);
	list_for_each_entry(t, &tokens, node) {
		if (t->id == id && !t->committed) {
			list_del(&t->node);
			nr_tokens--;
			kfree(t);
			break;
		}
	}
	mutex_unlock(&tokens_lock);
}

void ckpt_incr_exit(void)
{
	struct incr_token *t, *tmp;

	mutex_lock(&tokens_lock);
	list_for_each_entry_safe(t, tmp, &tokens, node) {
		list_del(&t->node);
		kfree(t);
	}
	nr_tokens = 0;
	mutex_unlock(&tokens_lock);
}
