// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Process groups: finding the members and deciding who may checkpoint them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/pid.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/ckpt.h>

#include "anonfd.h"
#include "budget.h"
#include "fault.h"
#include "files.h"
#include "group.h"
#include "proc.h"
#include "pstate.h"
#include "snap.h"
#include "sock.h"
#include "timers.h"
#include "tty.h"

unsigned int ckpt_max_tasks = 256;
module_param_named(max_tasks, ckpt_max_tasks, uint, 0644);
MODULE_PARM_DESC(max_tasks, "Most processes in one checkpoint");

unsigned int ckpt_max_threads = 4096;
module_param_named(max_threads, ckpt_max_threads, uint, 0644);
MODULE_PARM_DESC(max_threads, "Most threads in one checkpoint");

unsigned int ckpt_freeze_timeout_ms = 2000;
module_param_named(freeze_timeout_ms, ckpt_freeze_timeout_ms, uint, 0644);
MODULE_PARM_DESC(freeze_timeout_ms,
		 "How long a freeze waits for every thread to park");

/**
 * ckpt_err_set() - explain a failure and name the object it concerns
 * @extack: the request's extended ACK, may be NULL
 * @pid: the task concerned, in the caller's pid namespace; 0 for none
 * @addr: start of the mapping concerned; 0 for none
 * @msg: a string literal: the ACK is built after the handler returns
 */
void ckpt_err_set(struct netlink_ext_ack *extack, pid_t pid, u64 addr,
		  const char *msg)
{
	struct ckpt_err_cookie cookie = {
		.pid = pid,
		.fd = -1,
		.addr = addr,
	};

	if (!extack)
		return;
	extack->_msg = msg;
	BUILD_BUG_ON(sizeof(cookie) > NETLINK_MAX_COOKIE_LEN);
	memcpy(extack->cookie, &cookie, sizeof(cookie));
	extack->cookie_len = sizeof(cookie);
}

/*
 * Messages with numbers in them. The ACK copies extack->_msg only after the
 * handler has returned, so the text must outlive the handler: it goes into
 * one of a ring of buffers, reused only after CKPT_ERR_BUFS later messages
 * (microseconds after the handler, the ACK has long been built). The last
 * byte of each buffer stays NUL, so even a reuse race yields a bounded
 * string.
 */
#define CKPT_ERR_BUFS	16
#define CKPT_ERR_LEN	256
static char err_bufs[CKPT_ERR_BUFS][CKPT_ERR_LEN];
static atomic_t err_next = ATOMIC_INIT(0);

/**
 * ckpt_err_setf() - as ckpt_err_set(), with a formatted message
 * @extack: the request's extended ACK, may be NULL
 * @pid: the task concerned, 0 for none
 * @addr: start of the mapping concerned, 0 for none
 * @fmt: printf format
 */
void ckpt_err_setf(struct netlink_ext_ack *extack, pid_t pid, u64 addr,
		   const char *fmt, ...)
{
	unsigned int i;
	va_list ap;

	if (!extack)
		return;
	i = (unsigned int)atomic_inc_return(&err_next) % CKPT_ERR_BUFS;
	va_start(ap, fmt);
	vsnprintf(err_bufs[i], CKPT_ERR_LEN - 1, fmt, ap);
	va_end(ap);
	ckpt_err_set(extack, pid, addr, err_bufs[i]);
}

/**
 * ckpt_err_set_fd() - explain a failure concerning one file descriptor
 * @extack: the request's extended ACK, may be NULL
 * @pid: the process, in the caller's pid namespace
 * @fd: the descriptor
 * @msg: a string literal
 */
void ckpt_err_set_fd(struct netlink_ext_ack *extack, pid_t pid, int fd,
		     const char *msg)
{
	ckpt_err_set(extack, pid, 0, msg);
	if (extack)
		((struct ckpt_err_cookie *)extack->cookie)->fd = fd;
}

static void set_err_task(struct netlink_ext_ack *extack,
			 struct task_struct *task, const char *msg)
{
	ckpt_err_set(extack, task_pid_vnr(task), 0, msg);
}

/**
 * ckpt_privileged() - may the caller act on any user's processes and jobs?
 *
 * Return: true with CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN (initial user
 * namespace); otherwise the per-target rules apply.
 */
bool ckpt_privileged(void)
{
	return capable(CAP_CHECKPOINT_RESTORE) || capable(CAP_SYS_ADMIN);
}

/*
 * The same rule as __ptrace_may_access() with PTRACE_MODE_ATTACH_REALCREDS
 * (kernel/ptrace.c, 6.1), which is not exported: the caller's real uid/gid
 * must equal every uid/gid of the target and the target must be dumpable,
 * unless the caller holds CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN.
 * Called under rcu_read_lock().
 */
static bool may_checkpoint(struct task_struct *task)
{
	const struct cred *cred = current_cred(), *tcred;
	bool dumpable;

	tcred = __task_cred(task);
	if (!uid_eq(cred->uid, tcred->euid) ||
	    !uid_eq(cred->uid, tcred->suid) ||
	    !uid_eq(cred->uid, tcred->uid) ||
	    !gid_eq(cred->gid, tcred->egid) ||
	    !gid_eq(cred->gid, tcred->sgid) ||
	    !gid_eq(cred->gid, tcred->gid))
		return false;

	/* Pairs with the write barrier in commit_creds(), as in ptrace. */
	smp_rmb();
	task_lock(task);
	dumpable = task->mm && get_dumpable(task->mm) == SUID_DUMP_USER;
	task_unlock(task);
	return dumpable;
}

/**
 * ckpt_group_permitted() - may the caller still checkpoint this process?
 * @p: a process of the group, every thread of it parked
 *
 * ckpt_group_check() judges the group before it is parked, but a thread
 * inside execve() of a setuid program gets its new credentials (and loses
 * dumpability) at the exec's point of no return and parks only on its way
 * back to user space: the freeze asks again once everyone is parked. A
 * parked thread cannot exec or change its credentials, so the answer holds
 * until the release.
 *
 * Return: true if the caller may checkpoint @p.
 */
bool ckpt_group_permitted(struct task_struct *p)
{
	bool ok;

	if (ckpt_privileged())
		return true;
	rcu_read_lock();
	ok = may_checkpoint(p);
	rcu_read_unlock();
	return ok;
}

/*
 * Called under rcu_read_lock(): a zombie is kept whole in the image (its
 * status for its parent's wait), so only who may see it matters: its
 * credentials, as for a live process; it has no mm left to be dumpable.
 */
static int check_zombie(struct task_struct *p, struct pid *grp,
			enum pid_type type, bool privileged,
			struct netlink_ext_ack *extack)
{
	const struct cred *cred = current_cred(), *tcred;
	const char *why;
	int ret;

	why = ckpt_pstate_zombie_refusal(p, grp, type, &ret);
	if (why) {
		set_err_task(extack, p, why);
		return ret;
	}
	tcred = __task_cred(p);
	if (!privileged &&
	    (!uid_eq(cred->uid, tcred->euid) || !uid_eq(cred->uid, tcred->suid) ||
	     !uid_eq(cred->uid, tcred->uid) || !gid_eq(cred->gid, tcred->egid) ||
	     !gid_eq(cred->gid, tcred->sgid) || !gid_eq(cred->gid, tcred->gid))) {
		set_err_task(extack, p,
			     "permission denied: zombie belongs to another user");
		return -EPERM;
	}
	return 0;
}

/* Called under rcu_read_lock(); returns 0 if @p can be checkpointed. */
static int check_process(struct task_struct *p, bool privileged,
			 const struct ckpt_group_id *g, struct pid *pgrp,
			 struct netlink_ext_ack *extack)
{
	struct task_struct *t;
	const char *why;
	int ret;

	if (p->flags & PF_KTHREAD) {
		set_err_task(extack, p, "process is a kernel thread");
		return -EINVAL;
	}
	/* Not a zombie yet: it is on its way, come back in a moment. */
	if (p->flags & PF_EXITING) {
		set_err_task(extack, p, "process is exiting");
		return -EAGAIN;
	}
	if (same_thread_group(p, current)) {
		set_err_task(extack, p,
			     "process is the caller: a group cannot checkpoint itself");
		return -EINVAL;
	}
	if (!privileged && !may_checkpoint(p)) {
		set_err_task(extack, p,
			     "permission denied: process belongs to another user or is not dumpable");
		return -EPERM;
	}
	for_each_thread(p, t) {
		why = ckpt_proc_seccomp_refusal(t);
		if (!why)
			why = ckpt_proc_sched_refusal(t);
		if (!why)
			why = ckpt_proc_cred_refusal(t);
		if (!why)
			why = ckpt_proc_kernel_state_refusal(t);
		if (why) {
			set_err_task(extack, t, why);
			return -EOPNOTSUPP;
		}
	}
	ret = ckpt_files_check(p, task_pid_vnr(p), g->ghost_limit, pgrp,
			       g->type, extack);
	if (!ret)
		ret = ckpt_tty_check(p, task_pid_vnr(p), extack);
	return ret ? ret : ckpt_timers_check(p, task_pid_vnr(p), extack);
}

/*
 * The second half of the check, which may sleep (mmap locks): every
 * process's mappings are judged and counted, then the memory the
 * checkpoint may take is weighed against what the system and the group's
 * memory cgroups have. A process that joined the group since the census
 * is left to the freeze, which judges the mappings again.
 */
/* Is @p's parent one of @tasks? */
static bool parent_among(struct task_struct *p, struct task_struct **tasks,
			 unsigned int n)
{
	struct task_struct *parent;
	unsigned int i;

	rcu_read_lock();
	parent = rcu_dereference(p->real_parent);
	for (i = 0; i < n && tasks[i] != parent; i++)
		;
	rcu_read_unlock();
	return i < n;
}

static int check_address_spaces(struct pid *pgrp, enum pid_type type,
				bool tcp_established,
				struct ckpt_group_census *census,
				struct netlink_ext_ack *extack)
{
	struct task_struct **tasks, *p;
	unsigned int n = 0, i;
	int ret = 0;

	tasks = ckpt_fault_inject(CKPT_FAULT_FREEZE) ? NULL :
		kcalloc(census->nr_tasks, sizeof(*tasks), GFP_KERNEL);
	if (!tasks)
		return -ENOMEM;
	rcu_read_lock();
	do_each_pid_task(pgrp, type, p) {
		if (n < census->nr_tasks && !p->exit_state)
			tasks[n++] = get_task_struct(p);
	} while_each_pid_task(pgrp, type, p);
	rcu_read_unlock();

	for (i = 0; i < n && !ret; i++) {
		struct ckpt_mm_cost *c = &census->cost;
		u64 anon = c->anon_pages, inherited = c->inherited_pages;

		ret = ckpt_snap_check_mm(tasks[i], task_pid_vnr(tasks[i]), c,
					 extack);
		if (!ret && parent_among(tasks[i], tasks, n))
			c->forkable_pages += min(c->anon_pages - anon,
						 c->inherited_pages - inherited);
		if (!ret)
			ret = ckpt_anonfd_check(tasks[i], task_pid_vnr(tasks[i]),
						pgrp, type, extack);
	}
	if (!ret)
		ret = ckpt_sock_check(tasks, n, pgrp, type, tcp_established,
				      extack);
	if (!ret)
		ret = ckpt_budget_memory(tasks, n, &census->cost, extack);
	for (i = 0; i < n; i++)
		put_task_struct(tasks[i]);
	kfree(tasks);
	return ret;
}

/**
 * ckpt_group_check() - tell whether the caller may checkpoint a group
 * @g: the process group or session
 * @census: filled with the group's size on success
 * @extack: receives the reason and the offending pid on failure
 *
 * Judges every process, its descriptors, timers and mappings, and what the
 * checkpoint would cost in memory, so that whatever the freeze would
 * refuse is refused before the group is stopped.
 *
 * Return: 0, -ESRCH, -EPERM, -E2BIG, -EINVAL, -EBUSY, -EAGAIN (a process
 * is exiting), -EOPNOTSUPP, -ENOMEM or -EINTR.
 */
int ckpt_group_check(const struct ckpt_group_id *g,
		     struct ckpt_group_census *census,
		     struct netlink_ext_ack *extack)
{
	bool privileged = ckpt_privileged();
	struct task_struct *p;
	struct pid *pgrp;
	int ret = 0;

	memset(census, 0, sizeof(*census));
	pgrp = find_get_pid(g->nr);
	if (!pgrp)
		goto no_group;

	rcu_read_lock();
	do_each_pid_task(pgrp, g->type, p) {
		if (p->exit_state) {
			ret = check_zombie(p, pgrp, g->type, privileged, extack);
			if (ret)
				goto out_unlock;
			census->nr_zombies++;
		} else {
			ret = check_process(p, privileged, g, pgrp, extack);
			if (ret)
				goto out_unlock;
			census->nr_tasks++;
			census->nr_threads += get_nr_threads(p);
		}
	} while_each_pid_task(pgrp, g->type, p);
out_unlock:
	rcu_read_unlock();
	if (ret)
		goto out_put;
	if (!census->nr_tasks) {
		put_pid(pgrp);
		goto no_group;
	}
	if (census->nr_tasks + census->nr_zombies > ckpt_max_tasks ||
	    census->nr_threads > ckpt_max_threads) {
		if (g->type == PIDTYPE_SID)
			NL_SET_ERR_MSG(extack,
				       "session exceeds the max_tasks or max_threads limit");
		else
			NL_SET_ERR_MSG(extack,
				       "process group exceeds the max_tasks or max_threads limit");
		ret = -E2BIG;
		goto out_put;
	}
	ret = check_address_spaces(pgrp, g->type, g->tcp_established, census,
				   extack);
out_put:
	put_pid(pgrp);
	return ret;

no_group:
	if (g->type == PIDTYPE_SID)
		NL_SET_ERR_MSG(extack, "no process has this session id");
	else
		NL_SET_ERR_MSG(extack, "no process has this process group id");
	return -ESRCH;
}
