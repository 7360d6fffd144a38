// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Areas: the superblock, generation slots and the commit protocol of
 * Documentation/image-format.rst. Every superblock update is written and
 * flushed before the step that depends on it, so a crash at any point
 * leaves every earlier committed generation readable; the superblock is
 * kept in two copies, written one after the other, so that a torn write
 * of one cannot lose them either.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/ckpt.h>

#include "area.h"
#include "csum.h"
#include "fault.h"
#include "group.h"

/* Areas being written; one checkpoint per area at a time. */
static LIST_HEAD(busy_areas);
static DEFINE_MUTEX(busy_lock);	/* protects busy_areas */

static u32 sb_crc(struct ckpt_area_sb *sb)
{
	u32 saved = sb->sb_crc32c, crc;

	sb->sb_crc32c = 0;
	crc = ~ckpt_csum(~0U, sb, CKPT_AREA_SB_SIZE);
	sb->sb_crc32c = saved;
	return crc;
}

static u64 area_capacity(struct file *file)
{
	struct inode *inode = file_inode(file);

	if (S_ISBLK(inode->i_mode))
		return bdev_nr_bytes(I_BDEV(file->f_mapping->host));
	return i_size_read(inode);
}

/*
 * Why a superblock copy is invalid. A request's extack takes only string
 * constants on 6.1, so the message naming both copies' reasons comes from
 * a table of every pair rather than from a format.
 */
enum sb_why {
	SB_VALID,
	SB_MAGIC,
	SB_VERSION,
	SB_CRC,
	SB_GEOMETRY,
	SB_SLOT,
	SB_NR_WHY
};

#define SB_WHY_MAGIC	"no ckpt superblock"
#define SB_WHY_VERSION	"unsupported version"
#define SB_WHY_CRC	"checksum mismatch"
#define SB_WHY_GEOMETRY	"impossible geometry"
#define SB_WHY_SLOT	"an impossible slot"
#define SB_BOTH(a, b)	"both area superblock copies are invalid: copy 0: " \
			SB_WHY_##a ", copy 1: " SB_WHY_##b

static const char *const sb_both_invalid[SB_NR_WHY][SB_NR_WHY] = {
	[SB_MAGIC] = { NULL, SB_BOTH(MAGIC, MAGIC), SB_BOTH(MAGIC, VERSION),
		SB_BOTH(MAGIC, CRC), SB_BOTH(MAGIC, GEOMETRY), SB_BOTH(MAGIC, SLOT) },
	[SB_VERSION] = { NULL, SB_BOTH(VERSION, MAGIC), SB_BOTH(VERSION, VERSION),
		SB_BOTH(VERSION, CRC), SB_BOTH(VERSION, GEOMETRY), SB_BOTH(VERSION, SLOT) },
	[SB_CRC] = { NULL, SB_BOTH(CRC, MAGIC), SB_BOTH(CRC, VERSION),
		SB_BOTH(CRC, CRC), SB_BOTH(CRC, GEOMETRY), SB_BOTH(CRC, SLOT) },
	[SB_GEOMETRY] = { NULL, SB_BOTH(GEOMETRY, MAGIC), SB_BOTH(GEOMETRY, VERSION),
		SB_BOTH(GEOMETRY, CRC), SB_BOTH(GEOMETRY, GEOMETRY), SB_BOTH(GEOMETRY, SLOT) },
	[SB_SLOT] = { NULL, SB_BOTH(SLOT, MAGIC), SB_BOTH(SLOT, VERSION),
		SB_BOTH(SLOT, CRC), SB_BOTH(SLOT, GEOMETRY), SB_BOTH(SLOT, SLOT) },
};

/* Is @sb a valid version-2 superblock copy of an area of @capacity bytes? */
static enum sb_why sb_valid(struct ckpt_area_sb *sb, u64 capacity)
{
	int i;

	if (sb->magic != CKPT_AREA_MAGIC)
		return SB_MAGIC;
	if (sb->version != CKPT_AREA_VERSION)
		return SB_VERSION;
	if (sb->sb_crc32c != sb_crc(sb))
		return SB_CRC;
	if (sb->data_offset != CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE ||
	    sb->size > capacity || sb->data_offset >= sb->size ||
	    sb->next_offset < sb->data_offset || sb->next_offset > sb->size ||
	    !sb->next_generation || !sb->sb_seq)
		return SB_GEOMETRY;
	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		struct ckpt_area_slot *s = &sb->slots[i];

		if (s->state == CKPT_SLOT_EMPTY)
			continue;
		if (s->state > CKPT_SLOT_COMMITTED ||
		    s->offset < sb->data_offset || s->offset > sb->size ||
		    s->length > sb->size - s->offset)
			return SB_SLOT;
	}
	return SB_VALID;
}

/* A valid version-1 superblock: the one copy of an area we no longer write. */
static bool sb_is_v1(struct ckpt_area_sb *sb)
{
	return sb->magic == CKPT_AREA_MAGIC && sb->version == 1 &&
	       sb->sb_crc32c == sb_crc(sb);
}

/*
 * Take the newer valid copy of the two read into @blk (copy i at
 * i * CKPT_AREA_SB_SIZE) into @area->sb, and remember to write the other
 * one first: it does not hold the newest state, so overwriting it first
 * keeps that state on disk until the update is complete.
 */
static int sb_choose(struct ckpt_area *area, void *blk, u64 capacity,
		     struct netlink_ext_ack *extack)
{
	struct ckpt_area_sb *sb[CKPT_AREA_SB_COPIES] = {
		blk, blk + CKPT_AREA_SB_SIZE,
	};
	enum sb_why why[CKPT_AREA_SB_COPIES];
	int use;

	if (sb_is_v1(sb[0])) {
		NL_SET_ERR_MSG(extack,
			       "area format version 1 (one superblock copy) is read only: recreate the area (ckptctl area create) to checkpoint into it");
		return -EINVAL;
	}
	why[0] = sb_valid(sb[0], capacity);
	why[1] = sb_valid(sb[1], capacity);
	if (why[0] && why[1]) {
		if (why[0] == SB_MAGIC && why[1] == SB_MAGIC) {
			NL_SET_ERR_MSG(extack, "area has no ckpt superblock (ckptctl area create)");
			return -EINVAL;
		}
		/* NL_SET_ERR_MSG() takes a literal; this is a constant too. */
		if (extack)
			extack->_msg = sb_both_invalid[why[0]][why[1]];
		return why[0] <= SB_VERSION && why[1] <= SB_VERSION ?
		       -EINVAL : -EBADMSG;
	}
	/* The valid copy with the higher sequence number; copy 0 on a tie. */
	use = why[0] || (!why[1] && sb[1]->sb_seq > sb[0]->sb_seq);
	memcpy(area->sb, sb[use], CKPT_AREA_SB_SIZE);
	area->sb_first = !use;
	return 0;
}

static int sb_write_copy(struct ckpt_area *area, int copy)
{
	loff_t pos = (loff_t)copy * CKPT_AREA_SB_SIZE;
	ssize_t n;

	if (ckpt_fault_inject(CKPT_FAULT_IO))
		return -EIO;
	n = kernel_write(area->file, area->sb, CKPT_AREA_SB_SIZE, &pos);
	if (n != CKPT_AREA_SB_SIZE)
		return n < 0 ? n : -EIO;
	return vfs_fsync(area->file, 0);
}

/*
 * Write the in-memory superblock as the next update: over the copy that
 * does not hold the newest state first, then, once that is on disk, over
 * the other. A disk may tear a 4096-byte write, but only one copy is ever
 * in flight, so whatever happens the other is valid and holds the state
 * before or after this update.
 */
static int sb_write(struct ckpt_area *area)
{
	int first = area->sb_first, ret;

	area->sb->sb_seq++;
	area->sb->sb_crc32c = sb_crc(area->sb);
	ret = sb_write_copy(area, first);
	if (ret)
		return ret;	/* the other copy still holds the previous state */
	ckpt_fault_sb_pause();
	ret = sb_write_copy(area, !first);
	/* Now only @first is known to hold the newest state. */
	if (ret)
		area->sb_first = !first;
	return ret;
}

/*
 * What each committed generation builds on: its image's PARENT record,
 * which follows the image header (uapi/linux/ckpt_image.h), so the first
 * bytes of each slot tell. Only an image of the version this module
 * writes, with that record, has a parent; any other committed image is
 * full (versions before 9 had no parents). @buf: scratch, 4096 bytes.
 */
static int read_parents(struct ckpt_area *area, void *buf)
{
	const size_t len = sizeof(struct ckpt_image_hdr) +
			   sizeof(struct ckpt_rec_hdr) +
			   sizeof(struct ckpt_rec_parent);
	struct ckpt_image_hdr *h = buf;
	struct ckpt_rec_hdr *rh = buf + sizeof(*h);
	struct ckpt_rec_parent *p = (void *)(rh + 1);
	loff_t pos;
	ssize_t n;
	int i;

	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		struct ckpt_area_slot *s = &area->sb->slots[i];

		area->parents[i] = 0;
		if (s->state != CKPT_SLOT_COMMITTED || s->length < len)
			continue;
		pos = s->offset;
		n = kernel_read(area->file, buf, len, &pos);
		if (n != len)
			return n < 0 ? n : -EIO;
		if (h->magic == CKPT_IMAGE_MAGIC &&
		    h->version >= CKPT_IMAGE_VERSION_MIN &&
		    h->version <= CKPT_IMAGE_VERSION &&
		    h->generation == s->generation &&
		    rh->type == CKPT_REC_PARENT && rh->len == sizeof(*p) &&
		    p->generation && p->generation < s->generation)
			area->parents[i] = p->generation;
	}
	return 0;
}

static bool mark_busy(struct ckpt_area *area)
{
	struct inode *inode = file_inode(area->file);
	struct ckpt_area *a;
	bool ok = true;

	mutex_lock(&busy_lock);
	list_for_each_entry(a, &busy_areas, node)
		if (file_inode(a->file) == inode)
			ok = false;
	if (ok)
		list_add(&area->node, &busy_areas);
	mutex_unlock(&busy_lock);
	return ok;
}

/* An area in no list and in no slot, for ckpt_area_open*() to fill in. */
static struct ckpt_area *area_alloc(void)
{
	struct ckpt_area *area;

	area = ckpt_fault_inject(CKPT_FAULT_AREA) ? NULL :
	       kzalloc(sizeof(*area), GFP_KERNEL);
	if (!area)
		return NULL;
	INIT_LIST_HEAD(&area->node);
	area->slot = -1;
	return area;
}

/**
 * ckpt_area_open() - take an area for one checkpoint
 * @fd: file descriptor of the area, open for reading and writing, in the
 *	calling process (which thereby proved it may open it)
 * @out: receives the area
 * @extack: receives the reason on failure
 *
 * Of the two superblock copies the valid one with the higher sequence
 * number is taken; only if both are invalid is the area refused. Version-1
 * areas (one copy) are refused: writing them would keep their weakness.
 *
 * Return: 0, -EBADF, -EINVAL, -EBADMSG (both superblock copies damaged),
 * -EBUSY (another checkpoint is writing this area) or an I/O error.
 */
int ckpt_area_open(int fd, struct ckpt_area **out,
		   struct netlink_ext_ack *extack)
{
	struct ckpt_area *area;
	struct inode *inode;
	void *blk = NULL;
	loff_t pos = 0;
	ssize_t n;
	int ret;

	area = area_alloc();
	if (!area)
		return -ENOMEM;
	area->sb = ckpt_fault_inject(CKPT_FAULT_AREA) ? NULL :
		   kzalloc(CKPT_AREA_SB_SIZE, GFP_KERNEL);
	blk = ckpt_fault_inject(CKPT_FAULT_AREA) ? NULL :
	      kzalloc(CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE, GFP_KERNEL);
	if (!area->sb || !blk) {
		ret = -ENOMEM;
		goto err_free;
	}
	area->file = fget(fd);
	if (!area->file) {
		NL_SET_ERR_MSG(extack, "area file descriptor is not open");
		ret = -EBADF;
		goto err_free;
	}
	inode = file_inode(area->file);
	if (!S_ISREG(inode->i_mode) && !S_ISBLK(inode->i_mode)) {
		NL_SET_ERR_MSG(extack, "area is neither a regular file nor a block device");
		ret = -EINVAL;
		goto err_fput;
	}
	if ((area->file->f_mode & (FMODE_READ | FMODE_WRITE)) !=
	    (FMODE_READ | FMODE_WRITE) || (area->file->f_flags & O_APPEND)) {
		NL_SET_ERR_MSG(extack,
			       "area must be open for reading and writing, without O_APPEND");
		ret = -EBADF;
		goto err_fput;
	}
	n = kernel_read(area->file, blk, CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE,
			&pos);
	if (n != CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE) {
		NL_SET_ERR_MSG(extack, "area is too small to hold its superblocks");
		ret = n < 0 ? n : -EINVAL;
		goto err_fput;
	}
	ret = sb_choose(area, blk, area_capacity(area->file), extack);
	if (!ret)
		ret = read_parents(area, blk);
	if (ret)
		goto err_fput;
	area->direct = area->file->f_mode & FMODE_CAN_ODIRECT;
	if (!mark_busy(area)) {
		NL_SET_ERR_MSG(extack, "another checkpoint is writing this area");
		ret = -EBUSY;
		goto err_fput;
	}
	kfree(blk);
	*out = area;
	return 0;

err_fput:
	fput(area->file);
err_free:
	kfree(blk);
	kfree(area->sb);
	kfree(area);
	return ret;
}

/**
 * ckpt_area_open_stream() - take a file or pipe to write one image into
 * @fd: descriptor open for writing in the calling process: a regular file
 *	(written from offset 0), a pipe or a socket (written in order)
 * @out: receives the stream
 * @extack: receives the reason on failure
 *
 * Return: 0, -EBADF, -EINVAL or -ENOMEM.
 */
int ckpt_area_open_stream(int fd, struct ckpt_area **out,
			  struct netlink_ext_ack *extack)
{
	struct ckpt_area *area;
	umode_t mode;

	area = area_alloc();
	if (!area)
		return -ENOMEM;
	area->file = fget(fd);
	if (!area->file || !(area->file->f_mode & FMODE_WRITE)) {
		NL_SET_ERR_MSG(extack, "output descriptor is not open for writing");
		goto err;
	}
	mode = file_inode(area->file)->i_mode;
	if (!S_ISREG(mode) && !S_ISFIFO(mode) && !S_ISSOCK(mode)) {
		NL_SET_ERR_MSG(extack, "output is not a regular file, a pipe or a socket");
		goto err;
	}
	*out = area;
	return 0;
err:
	if (area->file)
		fput(area->file);
	kfree(area);
	return -EBADF;
}

void ckpt_area_close(struct ckpt_area *area)
{
	if (!area)
		return;
	mutex_lock(&busy_lock);
	list_del_init(&area->node);
	mutex_unlock(&busy_lock);
	fput(area->file);
	kfree(area->sb);
	kfree(area);
}

static bool overlaps(struct ckpt_area_slot *s, u64 off, u64 len)
{
	return s->state != CKPT_SLOT_EMPTY &&
	       s->offset < off + len && off < s->offset + s->length;
}

/* The COMMITTED slot with the highest generation, or NULL. */
static struct ckpt_area_slot *newest_committed(struct ckpt_area_sb *sb)
{
	struct ckpt_area_slot *newest = NULL;
	int i;

	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		struct ckpt_area_slot *s = &sb->slots[i];

		if (s->state == CKPT_SLOT_COMMITTED &&
		    (!newest || s->generation > newest->generation))
			newest = s;
	}
	return newest;
}

/* The slot of committed generation @gen, or -1. */
static int find_committed(struct ckpt_area_sb *sb, u64 gen)
{
	int i;

	for (i = 0; i < CKPT_AREA_SLOTS; i++)
		if (sb->slots[i].state == CKPT_SLOT_COMMITTED &&
		    sb->slots[i].generation == gen)
			return i;
	return -1;
}

/* The slots of generation @gen and of every generation it builds on. */
static unsigned int chain_of(struct ckpt_area *area, u64 gen)
{
	unsigned int mask = 0;
	int i, hops;

	for (hops = 0; gen && hops < CKPT_AREA_SLOTS; hops++) {
		i = find_committed(area->sb, gen);
		if (i < 0)
			break;
		mask |= 1U << i;
		gen = area->parents[i];
	}
	return mask;
}

/*
 * Is generation @s being served to a lazily restored tree? Its page
 * server holds an OFD read lock on the generation's bytes in the area for
 * as long as it may read them (libckpt_image_hold(),
 * Documentation/restore.rst). The test is fcntl(F_OFD_GETLK)'s (6.1
 * fs/locks.c: fcntl_getlk(), vfs_test_lock(), posix_test_lock()): a write
 * lock over those bytes owned by the area's own open file description
 * conflicts with a lock of any other description, and with none of ours.
 */
static bool slot_served(struct ckpt_area *area, const struct ckpt_area_slot *s)
{
	struct file_lock fl;
	bool held;

	if (s->state != CKPT_SLOT_COMMITTED || !s->length)
		return false;
	locks_init_lock(&fl);
	fl.fl_flags = FL_POSIX | FL_OFDLCK;
	fl.fl_type = F_WRLCK;
	fl.fl_owner = area->file;
	fl.fl_file = area->file;
	fl.fl_pid = current->tgid;
	fl.fl_start = s->offset;
	fl.fl_end = s->offset + s->length - 1;
	held = !vfs_test_lock(area->file, &fl) && fl.fl_type != F_UNLCK;
	locks_release_private(&fl);
	return held;
}

/* The slots being served (slot_served()), with what each builds on. */
static unsigned int served_slots(struct ckpt_area *area)
{
	unsigned int mask = 0;
	int i;

	for (i = 0; i < CKPT_AREA_SLOTS; i++)
		if (slot_served(area, &area->sb->slots[i]))
			mask |= chain_of(area, area->sb->slots[i].generation);
	return mask;
}

/*
 * The slots no image may be written over: the newest committed generation
 * and every generation it builds on, the last good checkpoint until the
 * new one commits (were the new one written over it and then failed — I/O
 * error, crash, full disk — nothing restorable would be left); the chain
 * the new image itself builds on; and every generation a lazily restored
 * tree is being served from, with its chain. libckpt refuses a checkpoint
 * into such an area before asking the module; this holds for any caller.
 */
static unsigned int protected_slots(struct ckpt_area *area)
{
	struct ckpt_area_slot *newest = newest_committed(area->sb);
	unsigned int mask = chain_of(area, area->parent) | served_slots(area);

	if (newest)
		mask |= chain_of(area, newest->generation);
	return mask;
}

/*
 * Where an image of @len bytes goes: where the ring continues, else at the
 * start of the data region, else right after a protected image — the
 * first with room that leaves every protected image alone.
 */
static int place_image(struct ckpt_area *area, u64 len, u64 *off)
{
	struct ckpt_area_sb *sb = area->sb;
	unsigned int keep = protected_slots(area);
	u64 cand[2 + CKPT_AREA_SLOTS] = { sb->next_offset, sb->data_offset };
	int i, k, n = 2;

	for (k = 0; k < CKPT_AREA_SLOTS; k++)
		if (keep & (1U << k))
			cand[n++] = ALIGN(sb->slots[k].offset +
					  sb->slots[k].length, CKPT_PAGE_SIZE);
	for (i = 0; i < n; i++) {
		if (cand[i] > sb->size || len > sb->size - cand[i])
			continue;
		for (k = 0; k < CKPT_AREA_SLOTS; k++)
			if ((keep & (1U << k)) &&
			    overlaps(&sb->slots[k], cand[i], len))
				break;
		if (k < CKPT_AREA_SLOTS)
			continue;
		*off = cand[i];
		return 0;
	}
	return -ENOSPC;
}

/*
 * Forget the generations of the slots in @mask, and every committed
 * generation that builds on one of them, which no restore could compose
 * any more: in the same superblock update, so no committed generation
 * ever names a parent the area lost. The caller never passes a protected
 * slot, and a generation building on an unprotected one is unprotected
 * too (a chain is protected whole).
 */
static void forget_slots(struct ckpt_area *area, unsigned int mask)
{
	struct ckpt_area_sb *sb = area->sb;
	u64 gone[CKPT_AREA_SLOTS];
	int i, k, n = 0;
	bool more = true;

	while (more) {
		more = false;
		for (i = 0; i < CKPT_AREA_SLOTS; i++) {
			if (!(mask & (1U << i)) ||
			    sb->slots[i].state == CKPT_SLOT_EMPTY)
				continue;
			if (sb->slots[i].state == CKPT_SLOT_COMMITTED)
				gone[n++] = sb->slots[i].generation;
			memset(&sb->slots[i], 0, sizeof(sb->slots[i]));
			area->parents[i] = 0;
		}
		mask = 0;
		for (i = 0; i < CKPT_AREA_SLOTS; i++)
			for (k = 0; area->parents[i] && k < n; k++)
				if (area->parents[i] == gone[k]) {
					mask |= 1U << i;
					more = true;
				}
	}
}

/* An empty slot, else the oldest unprotected generation's, else -1. */
static int pick_slot(struct ckpt_area *area)
{
	struct ckpt_area_sb *sb = area->sb;
	unsigned int keep = protected_slots(area);
	int i, oldest = -1;

	for (i = 0; i < CKPT_AREA_SLOTS; i++) {
		if (sb->slots[i].state == CKPT_SLOT_EMPTY)
			return i;
		if (keep & (1U << i))
			continue;
		if (oldest < 0 ||
		    sb->slots[i].generation < sb->slots[oldest].generation)
			oldest = i;
	}
	return oldest;
}

/**
 * ckpt_area_holds() - does the area hold this generation, unchanged?
 * @area: the area
 * @gen: a generation as a PARENT record names it
 *
 * Return: true if @gen is committed in @area with that length, checksum
 * and creation time.
 */
bool ckpt_area_holds(struct ckpt_area *area, const struct ckpt_rec_parent *gen)
{
	int i = find_committed(area->sb, gen->generation);

	return i >= 0 && area->sb->slots[i].length == gen->image_len &&
	       area->sb->slots[i].crc32c == gen->crc32c &&
	       area->sb->slots[i].created_ns == gen->created_ns;
}

/**
 * ckpt_area_reserve() - claim room and a slot for the next generation
 * @area: the area
 * @len: exact image length
 * @created_ns: time of the freeze
 * @generation: receives the new generation number
 * @offset: receives the image's byte offset
 * @extack: receives the reason on failure
 *
 * Generations the new image will overwrite are dropped from the superblock
 * first, with every generation that builds on them, and the new slot is
 * marked WRITING; both are on disk before any image byte is. The newest
 * committed generation, the generations it builds on and those the new
 * image builds on (@area->parent) are never overwritten.
 *
 * Return: 0, -ENOSPC (the image is larger than the area, or fits only over
 * protected generations) or an I/O error.
 */
int ckpt_area_reserve(struct ckpt_area *area, u64 len, u64 created_ns,
		      u64 *generation, u64 *offset,
		      struct netlink_ext_ack *extack)
{
	struct ckpt_area_sb *sb = area->sb;
	struct ckpt_area_slot *s;
	u64 off;
	int i, slot, ret;

	if (!sb) {
		/* A stream: one standalone image (generation 0) at its start. */
		*generation = 0;
		*offset = 0;
		return 0;
	}
	if (len > sb->size - sb->data_offset) {
		NL_SET_ERR_MSG(extack, "image is larger than the area");
		return -ENOSPC;
	}
	if (place_image(area, len, &off)) {
		NL_SET_ERR_MSG(extack,
			       "image fits only over the newest committed generation, a generation it builds on or one being served to a lazily restored tree: the area is too small to keep them");
		return -ENOSPC;
	}
	for (i = 0; i < CKPT_AREA_SLOTS; i++)
		if (overlaps(&sb->slots[i], off, len))
			forget_slots(area, 1U << i);
	slot = pick_slot(area);
	if (slot < 0) {
		NL_SET_ERR_MSG(extack,
			       "every slot of the area holds the newest generation's chain: write a full image");
		return -ENOSPC;
	}
	forget_slots(area, 1U << slot);
	area->slot = slot;
	area->parents[slot] = area->parent;
	s = &sb->slots[area->slot];
	s->generation = sb->next_generation++;
	s->offset = off;
	s->length = len;
	s->created_ns = created_ns;
	s->state = CKPT_SLOT_WRITING;
	s->crc32c = 0;
	sb->next_offset = min_t(u64, ALIGN(off + len, CKPT_PAGE_SIZE), sb->size);
	*generation = s->generation;
	*offset = off;
	area->base = off;
	ret = sb_write(area);
	/*
	 * One copy may already say WRITING: say EMPTY again (best effort),
	 * as for any failed checkpoint, so no copy keeps a slot nobody
	 * will finish.
	 */
	if (ret)
		ckpt_area_abandon(area);
	return ret;
}

/*
 * Direct I/O from the writer's bvecs, and what it relies on in 6.1:
 * - iomap_dio_bio_iter() (ext4, xfs) and blkdev_direct_IO() refuse with
 *   -EINVAL a position or length that is not a multiple of the device's
 *   logical block size, or a segment whose offset or length is not
 *   (bdev_iter_is_aligned()). The writer's segments are whole pages at
 *   page offset 0, its positions and lengths multiples of 4096, since an
 *   area slot starts at a multiple of 4096 and version 8 images align
 *   their page data (CKPT_PAGES_PAD()): that covers every logical block
 *   size up to 4096. A larger one, or a filesystem that refuses for its
 *   own reasons, gets -EINVAL, and the area falls back to buffered writes
 *   of the same bvecs.
 * - A bvec iterator's pages are not pinned again by the block layer
 *   (bio_iov_bvec_set(): BIO_NO_PAGE_REF): the caller's references keep
 *   them, and it drops them only after the synchronous call returned.
 * - A synchronous kiocb (init_sync_kiocb(), no ki_complete) returns once
 *   the bios completed; a completion is not a flush of the device's write
 *   cache. ckpt_area_commit()'s vfs_fsync() is: ext4 (and blkdev_fsync())
 *   issue a cache flush even when no page of the file is dirty, and it
 *   also makes durable the conversion of the fallocate()d unwritten
 *   extents that the direct writes filled.
 * - FMODE_CAN_ODIRECT is set at open when the mapping has ->direct_IO;
 *   tmpfs has none in 6.1, so it is written through the page cache.
 * - vfs_iocb_iter_write() does not take the superblock's freeze
 *   protection: kernel_write() does, so this does too.
 */
static ssize_t write_iter(struct ckpt_area *area, struct iov_iter *iter,
			  loff_t pos)
{
	struct file *file = area->file;
	struct kiocb kiocb;
	ssize_t n;

	init_sync_kiocb(&kiocb, file);
	kiocb.ki_pos = pos;
	if (area->direct)
		kiocb.ki_flags |= IOCB_DIRECT;
	file_start_write(file);
	n = vfs_iocb_iter_write(file, &kiocb, iter);
	file_end_write(file);
	return n;
}

/**
 * ckpt_area_write_pages() - write page segments at an absolute position
 * @area: the area
 * @pos: byte offset in the area
 * @bv: the segments: whole pages at offset 0, the last one possibly shorter
 *	(a stream's end)
 * @nr: number of segments
 * @len: their total length
 *
 * Writes from the pages themselves, without a copy: directly where the
 * area's file supports it (ckpt_area_open() decides), else through the
 * page cache. Synchronous: the pages may be released once it returns.
 *
 * Return: 0 or a negative errno (-ENOSPC, -EIO, ...).
 */
int ckpt_area_write_pages(struct ckpt_area *area, u64 pos, struct bio_vec *bv,
			  unsigned int nr, size_t len)
{
	struct iov_iter iter;
	size_t done = 0;
	ssize_t n;

	if (ckpt_fault_inject(CKPT_FAULT_IO))
		return -EIO;
	while (done < len) {
		/*
		 * A fresh iterator per call: how far a failed or short
		 * direct write left it advanced differs between paths.
		 */
		iov_iter_bvec(&iter, ITER_SOURCE, bv, nr, len);
		iov_iter_advance(&iter, done);
		n = write_iter(area, &iter, pos + done);
		if (n == -EINVAL && area->direct) {
			pr_info_once("direct I/O refused by the area's file; writing it through the page cache\n");
			area->direct = false;
			continue;
		}
		if (n < 0)
			return n;
		if (!n)
			return -EIO;
		done += n;
	}
	return 0;
}

/**
 * ckpt_area_commit() - make the written generation the newest one
 * @area: the area
 * @len: image length
 * @crc: the image's crc32c
 *
 * Flushes the image, then records the slot as COMMITTED and flushes again.
 *
 * Return: 0 or an I/O error.
 */
int ckpt_area_commit(struct ckpt_area *area, u64 len, u32 crc)
{
	struct ckpt_area_slot *s;
	int ret;

	/* A pipe has nothing to flush; its reader checks the trailer. */
	if (!area->sb)
		return S_ISREG(file_inode(area->file)->i_mode) ?
		       vfs_fsync(area->file, 0) : 0;
	ret = vfs_fsync(area->file, 0);
	if (ret)
		return ret;
	s = &area->sb->slots[area->slot];
	s->length = len;
	s->crc32c = crc;
	s->state = CKPT_SLOT_COMMITTED;
	return sb_write(area);
}

/* A failed checkpoint: free its slot; earlier generations are untouched. */
void ckpt_area_abandon(struct ckpt_area *area)
{
	/* A stream without its trailer is refused by every reader. */
	if (area->slot < 0 || !area->sb)
		return;
	memset(&area->sb->slots[area->slot], 0, sizeof(area->sb->slots[0]));
	area->parents[area->slot] = 0;
	area->slot = -1;
	if (sb_write(area))
		pr_warn_ratelimited("could not record an abandoned generation; it stays marked incomplete\n");
}

static bool has_children(struct ckpt_area *area, u64 generation)
{
	int i;

	for (i = 0; i < CKPT_AREA_SLOTS; i++)
		if (area->sb->slots[i].state == CKPT_SLOT_COMMITTED &&
		    area->parents[i] == generation)
			return true;
	return false;
}

/**
 * ckpt_area_drop() - forget one committed generation of an area
 * @fd: the area, open for reading and writing in the calling process
 * @generation: the generation to forget
 * @extack: receives the reason on refusal
 *
 * The area is taken as for a checkpoint (the busy-area lock), so no
 * checkpoint writes its superblock meanwhile, and the slot is cleared by
 * one superblock update of the two-copy protocol: a crash leaves the
 * generation either whole or gone. Its bytes become room for later
 * images. The newest committed generation is never dropped: it may be
 * the only restorable one; nor is one that a committed incremental
 * generation builds on.
 *
 * Return: 0, -ENOENT (no such generation), -EINVAL (not committed, or the
 * newest), -ENOTEMPTY (a generation builds on it), the errors of
 * ckpt_area_open() or an I/O error.
 */
int ckpt_area_drop(int fd, u64 generation, struct netlink_ext_ack *extack)
{
	struct ckpt_area_slot *s = NULL;
	struct ckpt_area *area;
	int i, ret;

	ret = ckpt_area_open(fd, &area, extack);
	if (ret)
		return ret;
	for (i = 0; i < CKPT_AREA_SLOTS; i++)
		if (area->sb->slots[i].state != CKPT_SLOT_EMPTY &&
		    area->sb->slots[i].generation == generation)
			s = &area->sb->slots[i];
	if (!s) {
		NL_SET_ERR_MSG(extack, "the area holds no such generation");
		ret = -ENOENT;
	} else if (s->state != CKPT_SLOT_COMMITTED) {
		NL_SET_ERR_MSG(extack, "the generation is not committed");
		ret = -EINVAL;
	} else if (s == newest_committed(area->sb)) {
		NL_SET_ERR_MSG(extack,
			       "the newest committed generation is never dropped: it may be the only restorable one");
		ret = -EINVAL;
	} else if (has_children(area, generation)) {
		NL_SET_ERR_MSG(extack,
			       "a newer committed generation builds on this one (incremental): drop that first");
		ret = -ENOTEMPTY;
	} else if (served_slots(area) & (1U << (s - area->sb->slots))) {
		NL_SET_ERR_MSG(extack,
			       "the generation is being served to a lazily restored tree");
		ret = -EBUSY;
	} else {
		memset(s, 0, sizeof(*s));
		ret = sb_write(area);
	}
	ckpt_area_close(area);
	return ret;
}

/**
 * ckpt_area_check_room() - can an image of at least @len bytes go in?
 * @area: the area (a stream always can: its reader or filesystem tells)
 * @len: the least the image will take (ckpt_budget_image_bytes())
 * @extack: receives the numbers on refusal
 *
 * Asked before the group is parked, so a full area does not cost it a
 * freeze; ckpt_area_reserve() places the exact image afterwards.
 *
 * Return: 0 or -ENOSPC.
 */
int ckpt_area_check_room(struct ckpt_area *area, u64 len,
			 struct netlink_ext_ack *extack)
{
	struct ckpt_area_sb *sb = area->sb;
	u64 off;

	if (!sb)
		return 0;
	if (len > sb->size - sb->data_offset) {
		ckpt_err_setf(extack, 0, 0,
			      "the image needs at least %llu MiB and the area holds %llu MiB",
			      len >> 20, (sb->size - sb->data_offset) >> 20);
		return -ENOSPC;
	}
	if (place_image(area, len, &off)) {
		ckpt_err_setf(extack, 0, 0,
			      "the image needs at least %llu MiB, which fit in the area only over its newest committed generation, one it builds on or one being served to a lazily restored tree",
			      len >> 20);
		return -ENOSPC;
	}
	return 0;
}
