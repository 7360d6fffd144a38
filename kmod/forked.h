/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Pages shared by fork(), written once (forked.c).
 */
#ifndef CKPT_FORKED_H
#define CKPT_FORKED_H

struct ckpt_snapshot;

void ckpt_forked_mark(struct ckpt_snapshot *snap);

#endif /* CKPT_FORKED_H */
