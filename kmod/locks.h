/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * File locks held through a descriptor of the group.
 */
#ifndef CKPT_LOCKS_H
#define CKPT_LOCKS_H

struct file;

const char *ckpt_locks_refusal(struct file *file);

#endif /* CKPT_LOCKS_H */
