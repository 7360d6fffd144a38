/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Areas: the superblock, generation slots and the commit protocol.
 */
#ifndef CKPT_AREA_H
#define CKPT_AREA_H

#include <linux/ckpt_image.h>
#include <linux/list.h>
#include <linux/types.h>

struct file;
struct netlink_ext_ack;

/**
 * struct ckpt_area - an area open for one checkpoint
 * @file: the area file or block device (reference held)
 * @sb: in-memory copy of the superblock (CKPT_AREA_SB_SIZE bytes)
 * @node: entry in the list of busy areas
 * @slot: the slot this checkpoint writes, or -1
 * @sb_first: the superblock copy the next update writes first: one that
 *	does not hold the newest state on disk
 * @base: where the image starts in @file
 * @direct: images are written with direct I/O (the file supports it; a
 *	stream never is: its end is not rounded to a block)
 * @parent: the generation the image being written builds on (incr.c), 0
 *	for a full image
 * @parents: per slot, the generation its image builds on (its PARENT
 *	record, read at open; 0 for a full image or an empty slot)
 *
 * A stream (ckpt_area_open_stream()) has no superblock (@sb is NULL): the
 * image is written once, sequentially, and its trailer is the commit.
 */
struct ckpt_area {
	struct file *file;
	struct ckpt_area_sb *sb;
	struct list_head node;
	int slot;
	int sb_first;
	u64 base;
	bool direct;
	u64 parent;
	u64 parents[CKPT_AREA_SLOTS];
};

int ckpt_area_open(int fd, struct ckpt_area **out,
		   struct netlink_ext_ack *extack);
int ckpt_area_open_stream(int fd, struct ckpt_area **out,
			  struct netlink_ext_ack *extack);
void ckpt_area_close(struct ckpt_area *area);
int ckpt_area_reserve(struct ckpt_area *area, u64 len, u64 created_ns,
		      u64 *generation, u64 *offset,
		      struct netlink_ext_ack *extack);
int ckpt_area_check_room(struct ckpt_area *area, u64 len,
			 struct netlink_ext_ack *extack);
struct bio_vec;
int ckpt_area_write_pages(struct ckpt_area *area, u64 pos, struct bio_vec *bv,
			  unsigned int nr, size_t len);
int ckpt_area_commit(struct ckpt_area *area, u64 len, u32 crc);
void ckpt_area_abandon(struct ckpt_area *area);
int ckpt_area_drop(int fd, u64 generation, struct netlink_ext_ack *extack);
bool ckpt_area_holds(struct ckpt_area *area, const struct ckpt_rec_parent *gen);

#endif /* CKPT_AREA_H */
