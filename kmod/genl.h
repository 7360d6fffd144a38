/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Generic netlink family "ckpt": registration and request handlers.
 */
#ifndef CKPT_GENL_H
#define CKPT_GENL_H

int __init ckpt_genl_init(void);
void __exit ckpt_genl_exit(void);

struct ckpt_job;
void ckpt_genl_notify(struct ckpt_job *job);

#endif /* CKPT_GENL_H */
