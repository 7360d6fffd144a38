// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * What a process lives in rather than holds: its namespaces, its cgroup
 * and its audit login uid.
 *
 * Namespaces are not carried: a restored process lives in the restorer's,
 * so a thread in any other namespace than the checkpointing caller's is
 * refused by name (its pids, host name, mounts, network or clocks would
 * silently change). The cgroup v2 membership and the login uid are
 * recorded in IDENTITY: the restore joins the recorded cgroup, unless it
 * was the caller's own (then the restorer's stands for it, as the
 * restorer's session and terminal do), and sets the login uid again.
 *
 * What 6.1 does and this relies on:
 * - a task's nsproxy is changed only by the task itself, under its
 *   task_lock(), which readers of another task's take
 *   (include/linux/nsproxy.h); the user namespace is in its credentials,
 *   the active pid namespace in its struct pid;
 * - a task's css_set is RCU-protected (task_css_set()) and holds a
 *   reference on its cgroups; a cgroup found there may be dying if the
 *   task was just moved, hence cgroup_tryget();
 * - cgroup_path_ns() takes cgroup_mutex, so the path is read outside RCU,
 *   and returns the full length even when it truncates;
 * - the login uid is written only by the task itself
 *   (/proc/self/loginuid, audit_set_loginuid()) or inherited at fork.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/time_namespace.h>
#include <linux/user_namespace.h>
#include <linux/utsname.h>
#include <linux/ckpt_image.h>

#include "env.h"

/* Which of @t's nsproxy namespaces is not @mine's, or NULL. */
static const char *nsproxy_differs(const struct nsproxy *its,
				   const struct nsproxy *mine)
{
	if (its->mnt_ns != mine->mnt_ns)
		return "mount namespace other than the caller's: not supported";
	if (its->uts_ns != mine->uts_ns)
		return "UTS namespace other than the caller's: not supported";
	if (its->ipc_ns != mine->ipc_ns)
		return "IPC namespace other than the caller's: not supported";
	if (its->net_ns != mine->net_ns)
		return "network namespace other than the caller's: not supported";
	if (its->cgroup_ns != mine->cgroup_ns)
		return "cgroup namespace other than the caller's: not supported";
	if (its->time_ns != mine->time_ns ||
	    its->time_ns_for_children != mine->time_ns_for_children)
		return "time namespace other than the caller's: not supported";
	if (its->pid_ns_for_children != mine->pid_ns_for_children)
		return "pid namespace for children other than the caller's: not supported";
	return NULL;
}

/**
 * ckpt_env_refusal() - why a thread lives somewhere a restore cannot put
 *	it back
 * @t: the thread, under rcu_read_lock()
 *
 * Return: the reason, or NULL.
 */
const char *ckpt_env_refusal(struct task_struct *t)
{
	const char *why = NULL;

	task_lock(t);
	/* NULL once it exits, which the freeze reports on its own. */
	if (t->nsproxy)
		why = nsproxy_differs(t->nsproxy, current->nsproxy);
	task_unlock(t);
	if (why)
		return why;
	if (task_active_pid_ns(t) != task_active_pid_ns(current))
		return "pid namespace other than the caller's: not supported";
	if (__task_cred(t)->user_ns != current_user_ns())
		return "user namespace other than the caller's: not supported";
	if (task_dfl_cgroup(t) != task_dfl_cgroup(t->group_leader))
		return "thread in another cgroup than its process (threaded cgroup): not supported";
	return NULL;
}

/* Its login uid as /proc/PID/loginuid shows it to the caller. */
static u32 loginuid_of(struct task_struct *p)
{
	kuid_t uid = audit_get_loginuid(p);

	return uid_valid(uid) ? from_kuid_munged(current_user_ns(), uid) :
				CKPT_LOGINUID_UNSET;
}

/**
 * ckpt_env_capture() - the login uid and cgroup of a parked process
 * @p: the process (every thread parked)
 * @rec: its IDENTITY record: @loginuid and @cgroup_len are filled
 * @path: set to a kmalloc'ed path of @rec->cgroup_len bytes (no NUL), or
 *	NULL when it is the caller's cgroup; the caller frees it
 *
 * A process may still be moved to another cgroup while parked (by a write
 * to cgroup.procs): the path read is one it had during the freeze.
 *
 * Return: 0, -ENOMEM, -E2BIG (a path longer than CKPT_CGROUP_PATH_MAX) or
 * -EAGAIN (moved while its cgroup was being read).
 */
int ckpt_env_capture(struct task_struct *p, struct ckpt_rec_identity *rec,
		     char **path)
{
	struct cgroup *cgrp;
	bool mine, got;
	char *buf;
	int len;

	rec->loginuid = loginuid_of(p);
	rec->cgroup_len = 0;
	*path = NULL;
	rcu_read_lock();
	cgrp = task_dfl_cgroup(p);
	mine = cgrp == task_dfl_cgroup(current);
	got = !mine && cgroup_tryget(cgrp);
	rcu_read_unlock();
	if (mine)
		return 0;
	if (!got)
		return -EAGAIN;
	buf = kmalloc(CKPT_CGROUP_PATH_MAX + 1, GFP_KERNEL);
	len = buf ? cgroup_path_ns(cgrp, buf, CKPT_CGROUP_PATH_MAX + 1,
				   current->nsproxy->cgroup_ns) : -ENOMEM;
	cgroup_put(cgrp);
	if (len > CKPT_CGROUP_PATH_MAX)
		len = -E2BIG;
	if (len <= 0) {
		kfree(buf);
		return len ? len : -EINVAL;
	}
	rec->cgroup_len = len;
	*path = buf;
	return 0;
}
