/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Restore: becoming the process of an image.
 */
#ifndef CKPT_RESTORE_H
#define CKPT_RESTORE_H

struct genl_info;
struct sk_buff;

int ckpt_restore_mm_doit(struct sk_buff *skb, struct genl_info *info);
int ckpt_restore_regs_doit(struct sk_buff *skb, struct genl_info *info);
int ckpt_restore_parked_doit(struct sk_buff *skb, struct genl_info *info);
int ckpt_restore_peer_doit(struct sk_buff *skb, struct genl_info *info);
int ckpt_restore_thread_doit(struct sk_buff *skb, struct genl_info *info);

#endif /* CKPT_RESTORE_H */
