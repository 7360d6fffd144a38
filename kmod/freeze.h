/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The freeze: park a process group, snapshot it, release it.
 */
#ifndef CKPT_FREEZE_H
#define CKPT_FREEZE_H

#include <linux/types.h>

struct ckpt_area;
struct ckpt_group_id;
struct ckpt_snapshot;
struct netlink_ext_ack;
struct user_regset;
struct user_regset_view;

int ckpt_freeze_group(const struct ckpt_group_id *g, bool leave_stopped,
		      struct ckpt_area *area, struct ckpt_snapshot **out,
		      struct netlink_ext_ack *extack);

const struct user_regset *ckpt_regset_find(const struct user_regset_view *v,
					   unsigned int note);

#endif /* CKPT_FREEZE_H */
