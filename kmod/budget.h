/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * What a checkpoint costs, weighed before the group is stopped.
 */
#ifndef CKPT_BUDGET_H
#define CKPT_BUDGET_H

#include <linux/types.h>

struct ckpt_mm_cost;
struct netlink_ext_ack;
struct task_struct;

int ckpt_budget_memory(struct task_struct **tasks, unsigned int n,
		       const struct ckpt_mm_cost *cost,
		       struct netlink_ext_ack *extack);
u64 ckpt_budget_image_bytes(const struct ckpt_mm_cost *cost);

#endif /* CKPT_BUDGET_H */
