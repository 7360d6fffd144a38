/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Filling a restoring process's memory from the image.
 */
#ifndef CKPT_FILL_H
#define CKPT_FILL_H

#include <linux/types.h>

struct ckpt_restore_run;
struct file;

u64 ckpt_fill_nr_pieces(const struct ckpt_restore_run *runs, size_t nr_runs);
int ckpt_fill(struct file *image, const struct ckpt_restore_run *runs,
	      size_t nr_runs, __le32 *crcs, void (*progressed)(void));

#endif /* CKPT_FILL_H */
