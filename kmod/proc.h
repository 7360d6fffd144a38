/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Process-wide state: credentials, limits, signal dispositions, fs context,
 * identity (prctl state, auxv, thread names); the seccomp refusal.
 */
#ifndef CKPT_PROC_H
#define CKPT_PROC_H

struct ckpt_task_snap;
struct ckpt_thread_identity;
struct netlink_ext_ack;
struct task_struct;

struct ckpt_sigq;
int ckpt_proc_capture(struct ckpt_task_snap *ts, struct ckpt_sigq *shared,
		      struct netlink_ext_ack *extack);
const char *ckpt_proc_seccomp_refusal(struct task_struct *t);
const char *ckpt_proc_sched_refusal(struct task_struct *t);
const char *ckpt_proc_cred_refusal(struct task_struct *t);
const char *ckpt_proc_kernel_state_refusal(struct task_struct *t);
void ckpt_proc_thread_identity(struct task_struct *t,
			       struct ckpt_thread_identity *id);
int ckpt_proc_capture_identity(struct ckpt_task_snap *ts,
			       const struct ckpt_thread_identity *threads,
			       unsigned int n, struct netlink_ext_ack *extack);

#endif /* CKPT_PROC_H */
