/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The writer: a kthread per checkpoint streaming the snapshot into its area.
 */
#ifndef CKPT_WRITER_H
#define CKPT_WRITER_H

struct ckpt_job;
struct netlink_ext_ack;

int ckpt_writer_start(struct ckpt_job *job, struct netlink_ext_ack *extack);

#endif /* CKPT_WRITER_H */
