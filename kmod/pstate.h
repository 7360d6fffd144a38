/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Process states beyond a running process: zombies, queued signals.
 */
#ifndef CKPT_PSTATE_H
#define CKPT_PSTATE_H

#include <linux/pid.h>
#include <linux/types.h>
#include <linux/ckpt_image.h>

struct ckpt_task_snap;
struct pid_namespace;
struct sighand_struct;
struct sigpending;
struct task_struct;

/**
 * struct ckpt_sigq - the queued signals of one queue, as image entries
 * @v: kvmalloc'ed entries
 * @n: entries used
 */
struct ckpt_sigq {
	struct ckpt_siginfo *v;
	unsigned int n;
};

int ckpt_pstate_capture_queue(struct sighand_struct *sighand,
			      struct sigpending *pending, u32 tid, u64 *mask,
			      struct ckpt_sigq *q);
void ckpt_pstate_sigq_free(struct ckpt_sigq *q);
int ckpt_pstate_put_signals(struct ckpt_task_snap *ts,
			    const struct ckpt_sigq *queues, unsigned int n);
const char *ckpt_pstate_zombie_refusal(struct task_struct *p,
				       struct pid *grp, enum pid_type type,
				       int *err);
void ckpt_pstate_zombie_rec(struct task_struct *p, struct pid_namespace *ns,
			    struct ckpt_rec_zombie *z);

#endif /* CKPT_PSTATE_H */
