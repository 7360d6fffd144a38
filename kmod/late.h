/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Pages that may come late (late.c).
 */
#ifndef CKPT_LATE_H
#define CKPT_LATE_H

struct ckpt_snapshot;

void ckpt_late_mark(struct ckpt_snapshot *snap);

#endif /* CKPT_LATE_H */
