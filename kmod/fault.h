/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Fault injection: make the Nth pass through an armed allocation or I/O
 * point fail, so the selftests can prove every failure path clean. Debian's
 * kernel has no CONFIG_FAILSLAB/FAULT_INJECTION, hence our own.
 */
#ifndef CKPT_FAULT_H
#define CKPT_FAULT_H

#include <linux/compiler.h>
#include <linux/moduleparam.h>
#include <linux/types.h>

/* Injection points, by concern: bits of the fault_mask module parameter. */
#define CKPT_FAULT_FREEZE	0x01	/* freeze.c: park context, records */
#define CKPT_FAULT_SNAP		0x02	/* snap.c: record buffers, page array, copies */
#define CKPT_FAULT_WRITER	0x04	/* writer.c: stream buffer, kthread */
#define CKPT_FAULT_AREA		0x08	/* area.c: area and superblock memory */
#define CKPT_FAULT_IO		0x10	/* area.c: image and superblock writes */
#define CKPT_FAULT_ALL		0x1f

extern unsigned int ckpt_fault_mask;
extern const struct kernel_param_ops ckpt_counter_param_ops;

bool ckpt_fault_fire(unsigned int point);
void ckpt_fault_window(bool in);
void ckpt_fault_sb_pause(void);
void ckpt_fault_fill_delay(void);
void ckpt_fault_prepass_delay(void);

/**
 * ckpt_fault_inject() - should this pass through an injection point fail?
 * @point: one CKPT_FAULT_* bit
 *
 * One load and a branch while fault injection is off (fault_mask 0).
 *
 * Return: true if the caller must fail as if its allocation or I/O had.
 */
static inline bool ckpt_fault_inject(unsigned int point)
{
	return unlikely(READ_ONCE(ckpt_fault_mask) & point) &&
	       ckpt_fault_fire(point);
}

#endif /* CKPT_FAULT_H */
