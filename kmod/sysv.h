/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * System V shared memory segments attached by the group; semaphore undo
 * entries, which are refused.
 */
#ifndef CKPT_SYSV_H
#define CKPT_SYSV_H

#include <linux/ckpt_image.h>
#include <linux/types.h>

struct ckpt_buf;
struct file;
struct inode;
struct netlink_ext_ack;
struct task_struct;
struct vm_area_struct;

/**
 * struct ckpt_sysv_held - what a checkpoint knows of one segment
 * @inode: the segment's shmem inode (identity only, never dereferenced
 *	after the freeze)
 * @copied: bitmap of the page offsets whose contents are held already
 * @nr_pages: bits in @copied
 */
struct ckpt_sysv_held {
	struct inode *inode;
	unsigned long *copied;
	unsigned long nr_pages;
};

/**
 * struct ckpt_sysv_set - the segments one freeze has met, in image order
 * @recs: their records, @nr of them
 * @held: what is held of each, parallel to @recs
 * @nr: segments met
 * @cap: room in both arrays
 * @first: the first segment met by the process being captured
 * @spare: one per segment the group had attached before the park, with
 *	its bitmap (ckpt_sysv_reserve()); moved to @held when met
 * @nr_spare: entries in @spare
 *
 * Used by the freezing task alone: reserved while the group runs, filled
 * while it is parked, without allocating (snap.c, "No allocation inside
 * the freeze window").
 */
struct ckpt_sysv_set {
	struct ckpt_sysv_seg *recs;
	struct ckpt_sysv_held *held;
	unsigned int nr;
	unsigned int cap;
	unsigned int first;
	struct ckpt_sysv_held *spare;
	unsigned int nr_spare;
};

bool ckpt_sysv_named(const struct file *file);
bool ckpt_sysv_is_attach(const struct file *file);
int ckpt_sysv_reserve(struct ckpt_sysv_set *set, struct vm_area_struct *vma);
struct ckpt_sysv_held *ckpt_sysv_note(struct ckpt_sysv_set *set,
				      struct task_struct *task,
				      struct vm_area_struct *vma,
				      struct netlink_ext_ack *extack);
int ckpt_sysv_record(struct ckpt_sysv_set *set, struct ckpt_buf *buf);
int ckpt_sysv_check_unmapped(struct ckpt_sysv_set *set,
			     struct netlink_ext_ack *extack);
void ckpt_sysv_set_free(struct ckpt_sysv_set *set);
struct file *ckpt_sysv_attach_file(int shmid, bool rdonly);

#define CKPT_SYSV_SEM_UNDO_WHY \
	"System V semaphore undo entries (semop() with SEM_UNDO): not supported"
bool ckpt_sysv_sem_undo_held(struct task_struct *t);

#endif /* CKPT_SYSV_H */
