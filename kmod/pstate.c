// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Process states beyond a running process: zombies (exited, not yet
 * waited for by their parent in the group) and the siginfo of every
 * queued signal.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/signal_types.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/user_namespace.h>

#include "pstate.h"
#include "snap.h"

/**
 * ckpt_pstate_capture_queue() - the siginfo of every signal in one queue
 * @sighand: the process's sighand (its siglock protects @pending)
 * @pending: a thread's pending queue or the process-wide one
 * @tid: the thread for the entries, 0 for the process-wide queue
 * @mask: receives the queue's pending set, read under the same lock as
 *	the entries so that the two agree
 * @q: receives the entries (free with ckpt_pstate_sigq_free())
 *
 * The group is parked, but a signal from outside may still arrive: the
 * entries are copied under siglock into room allocated outside it, and if
 * the queue grew in between we allocate again. A POSIX timer's preallocated
 * entry (SIGQUEUE_PREALLOC, include/linux/signal_types.h) is left out: the
 * TIMERS record carries it.
 *
 * Return: 0, -ENOMEM, or -E2BIG beyond CKPT_MAX_SIGINFO entries.
 */
int ckpt_pstate_capture_queue(struct sighand_struct *sighand,
			      struct sigpending *pending, u32 tid, u64 *mask,
			      struct ckpt_sigq *q)
{
	struct ckpt_siginfo *v = NULL;
	unsigned int cap = 0, n;
	struct sigqueue *sq;

	/* 6.1 x86-64: struct kernel_siginfo is __SIGINFO, 48 bytes. */
	BUILD_BUG_ON(sizeof(kernel_siginfo_t) != CKPT_SIGINFO_SIZE);
	for (;;) {
		n = 0;
		spin_lock_irq(&sighand->siglock);
		list_for_each_entry(sq, &pending->list, list) {
			if (sq->flags & SIGQUEUE_PREALLOC)
				continue;
			if (n < cap) {
				v[n].tid = tid;
				v[n].reserved = 0;
				memcpy(v[n].info, &sq->info, CKPT_SIGINFO_SIZE);
			}
			n++;
		}
		if (n <= cap)
			*mask = pending->signal.sig[0];
		spin_unlock_irq(&sighand->siglock);
		if (n <= cap)
			break;
		kvfree(v);
		if (n > CKPT_MAX_SIGINFO)
			return -E2BIG;
		cap = n + 16;
		v = kvcalloc(cap, sizeof(*v), GFP_KERNEL);
		if (!v)
			return -ENOMEM;
	}
	q->v = v;
	q->n = n;
	return 0;
}

/**
 * ckpt_pstate_sigq_free() - free what ckpt_pstate_capture_queue() filled
 * @q: the entries (may be empty)
 */
void ckpt_pstate_sigq_free(struct ckpt_sigq *q)
{
	kvfree(q->v);
	q->v = NULL;
	q->n = 0;
}

/**
 * ckpt_pstate_put_signals() - the SIGNALS record of one process
 * @ts: the process
 * @queues: its process-wide queue, then each thread's, in THREAD order
 * @n: entries in @queues
 *
 * Return: 0, -E2BIG beyond CKPT_MAX_SIGINFO entries, or -ENOMEM.
 */
int ckpt_pstate_put_signals(struct ckpt_task_snap *ts,
			    const struct ckpt_sigq *queues, unsigned int n)
{
	struct ckpt_rec_signals rec = { 0 };
	struct kvec *parts;
	unsigned int i;
	u64 total = 0;
	int ret;

	for (i = 0; i < n; i++)
		total += queues[i].n;
	if (total > CKPT_MAX_SIGINFO)
		return -E2BIG;
	rec.nr_siginfo = total;
	parts = kcalloc(n + 1, sizeof(*parts), GFP_KERNEL);
	if (!parts)
		return -ENOMEM;
	parts[0].iov_base = &rec;
	parts[0].iov_len = sizeof(rec);
	for (i = 0; i < n; i++) {
		parts[i + 1].iov_base = queues[i].v;
		parts[i + 1].iov_len = queues[i].n * sizeof(*queues[i].v);
	}
	ret = ckpt_buf_put(&ts->signals, CKPT_REC_SIGNALS, parts, n + 1);
	kfree(parts);
	return ret;
}

/**
 * ckpt_pstate_zombie_refusal() - why a zombie of the group cannot be
 *	checkpointed
 * @p: a thread group leader of the group with exit_state set
 * @grp: the group's pid
 * @type: PIDTYPE_PGID or PIDTYPE_SID
 * @err: receives the errno for the reason
 *
 * Called under rcu_read_lock(). A zombie is kept until its parent waits
 * for it; the parent is parked with the group, so it stays a zombie until
 * the release. What restore can make again is a child of a process of
 * the image that exits with the same status and sends SIGCHLD.
 *
 * Return: NULL if it can be checkpointed, else the reason.
 */
const char *ckpt_pstate_zombie_refusal(struct task_struct *p,
				       struct pid *grp, enum pid_type type,
				       int *err)
{
	struct task_struct *parent = rcu_dereference(p->real_parent);

	*err = -EAGAIN;
	if (READ_ONCE(p->exit_state) != EXIT_ZOMBIE)
		return "process is being reaped";
	*err = -EOPNOTSUPP;
	/* A leader that exited before its threads is a zombie with threads. */
	if (!thread_group_empty(p))
		return "main thread exited while other threads run: not supported";
	*err = -EBUSY;
	if (p->ptrace)
		return "zombie is being ptraced";
	*err = -EOPNOTSUPP;
	if (p->exit_signal != SIGCHLD)
		return "zombie whose exit signal is not SIGCHLD: not supported";
	if ((type == PIDTYPE_SID ? task_session(parent) : task_pgrp(parent)) != grp)
		return "zombie whose parent is outside the group: not supported";
	*err = 0;
	return NULL;
}

/**
 * ckpt_pstate_zombie_rec() - the ZOMBIE record of a checkpointable zombie
 * @p: the zombie (ckpt_pstate_zombie_refusal() said yes)
 * @ns: the caller's pid namespace
 * @z: filled
 *
 * Called under rcu_read_lock(). The status is what wait_task_zombie()
 * (kernel/exit.c, 6.1) reports: the group's exit code after a group exit
 * (exit_group(), a fatal signal), else the task's own. A zombie's
 * credentials and name no longer change.
 */
void ckpt_pstate_zombie_rec(struct task_struct *p, struct pid_namespace *ns,
			    struct ckpt_rec_zombie *z)
{
	struct user_namespace *uns = current_user_ns();
	const struct cred *cred = __task_cred(p);

	memset(z, 0, sizeof(*z));
	z->pid = task_tgid_nr_ns(p, ns);
	z->ppid = task_tgid_nr_ns(rcu_dereference(p->real_parent), ns);
	z->pgid = task_pgrp_nr_ns(p, ns);
	z->sid = task_session_nr_ns(p, ns);
	z->status = (p->signal->flags & SIGNAL_GROUP_EXIT) ?
		    p->signal->group_exit_code : p->exit_code;
	z->exit_signal = p->exit_signal;
	z->uid = from_kuid_munged(uns, cred->uid);
	z->euid = from_kuid_munged(uns, cred->euid);
	z->suid = from_kuid_munged(uns, cred->suid);
	z->fsuid = from_kuid_munged(uns, cred->fsuid);
	z->gid = from_kgid_munged(uns, cred->gid);
	z->egid = from_kgid_munged(uns, cred->egid);
	z->sgid = from_kgid_munged(uns, cred->sgid);
	z->fsgid = from_kgid_munged(uns, cred->fsgid);
	task_lock(p);
	strscpy_pad(z->comm, p->comm, sizeof(z->comm));
	task_unlock(p);
}
