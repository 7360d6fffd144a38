/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * What a process lives in: namespaces (refused unless the caller's), its
 * cgroup and audit login uid (recorded).
 */
#ifndef CKPT_ENV_H
#define CKPT_ENV_H

struct ckpt_rec_identity;
struct task_struct;

const char *ckpt_env_refusal(struct task_struct *t);
int ckpt_env_capture(struct task_struct *p, struct ckpt_rec_identity *rec,
		     char **path);

#endif /* CKPT_ENV_H */
