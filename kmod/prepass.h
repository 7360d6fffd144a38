/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The pre-pass of the two-phase freeze: hold the group's anonymous pages
 * while it runs, then keep in the stop what did not change since.
 */
#ifndef CKPT_PREPASS_H
#define CKPT_PREPASS_H

#include <linux/types.h>
#include <asm/pgtable_types.h>

struct ckpt_prepass;
struct ckpt_snapshot;
struct ckpt_task_snap;
struct vm_area_struct;

bool ckpt_prepass_wanted(void);
int ckpt_prepass_run(struct ckpt_snapshot *snap);
void ckpt_prepass_free(struct ckpt_task_snap *ts);

/* In the stop, under the mmap_lock (snap.c). */
bool ckpt_prepass_keep(struct ckpt_task_snap *ts, struct vm_area_struct *vma,
		       pmd_t *pmd, unsigned long addr, unsigned long end);
int ckpt_prepass_append(struct ckpt_task_snap *ts, unsigned long first,
			unsigned long nr);
void ckpt_prepass_vma_start(struct ckpt_prepass *pre, unsigned long *kept);
unsigned long ckpt_prepass_vma_end(struct ckpt_prepass *pre,
				   unsigned long kept);
void ckpt_prepass_drop_rest(struct ckpt_task_snap *ts);

/* After the release. */
int ckpt_prepass_finish(struct ckpt_task_snap *ts);

#endif /* CKPT_PREPASS_H */
