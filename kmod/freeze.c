// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The freeze: park every thread of a process group in its own context,
 * capture its registers there, snapshot the address spaces copy-on-write,
 * release. No thread is ever left parked: every exit path releases.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/pid_namespace.h>
#include <linux/refcount.h>
#include <linux/regset.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>
#include <linux/delay.h>
#include <linux/elf.h>
#include <linux/futex.h>
#include <linux/rseq.h>
#include <linux/uio.h>
#include <asm/user.h>

#include "area.h"
#include "budget.h"
#include "fault.h"
#include "files.h"
#include "forked.h"
#include "late.h"
#include "freeze.h"
#include "group.h"
#include "notice.h"
#include "proc.h"
#include "pstate.h"
#include "incr.h"
#include "prepass.h"
#include "snap.h"
#include "sock.h"
#include "sysv.h"
#include "tcpx.h"
#include "timers.h"

/*
 * The park context is shared by the controller and every queued callback
 * and freed by the last of them: task_work cannot be cancelled from a
 * module (task_work_cancel() is not exported), so a thread that never
 * returns to user space (D state) may run its callback long after the
 * freeze gave up. Such a late callback sees @released and passes through.
 */
struct ckpt_park {
	refcount_t ref;
	atomic_t pending;		/* threads yet to report parked */
	bool released;			/* WRITE_ONCE; threads may run on */
	wait_queue_head_t parked_wq;	/* controller waits for pending == 0 */
	wait_queue_head_t release_wq;	/* parked threads wait for released */
	size_t regs_size;
	size_t xstate_size;
	unsigned int nr_threads;
	struct ckpt_thread *threads;
};

/**
 * struct ckpt_thread - one thread being parked
 * @cb: the task_work
 * @park: the shared context
 * @task: the thread (reference held by the context)
 * @owner: index of its process in the snapshot
 * @rec: its THREAD record payload, filled in its own context
 * @err: capture result, written before @parked
 * @parked: the thread reported (captured, or exiting)
 * @ident: its name, parent-death signal and flags, from its own context
 * @why: why its own state forbids its checkpoint (seccomp, System V
 *	semaphore undo entries), or NULL
 * @sigq: its queued signals' siginfo, from its own context
 * @outside: recorded by the controller while stopped by job control;
 *	written under siglock before the thread can run again
 */
struct ckpt_thread {
	struct callback_head cb;
	struct ckpt_park *park;
	struct task_struct *task;
	unsigned int owner;
	void *rec;
	int err;
	bool parked;
	struct ckpt_thread_identity ident;
	const char *why;
	struct ckpt_sigq sigq;
	bool outside;
};

static void park_free(struct ckpt_park *park)
{
	unsigned int i;

	for (i = 0; i < park->nr_threads; i++) {
		kfree(park->threads[i].rec);
		ckpt_pstate_sigq_free(&park->threads[i].sigq);
		put_task_struct(park->threads[i].task);
	}
	kvfree(park->threads);
	kfree(park);
}

static void park_put(struct ckpt_park *park)
{
	if (refcount_dec_and_test(&park->ref))
		park_free(park);
}

/**
 * ckpt_regset_find() - the regset of a view for one ELF note type
 * @v: the view (task_user_regset_view())
 * @note: NT_PRSTATUS, NT_X86_XSTATE, ...
 *
 * Return: the regset, or NULL.
 */
const struct user_regset *ckpt_regset_find(const struct user_regset_view *v,
					   unsigned int note)
{
	int i;

	for (i = 0; i < v->n; i++)
		if (v->regsets[i].core_note_type == note)
			return &v->regsets[i];
	return NULL;
}

/*
 * A thread parked on its way out of an interrupted system call still holds
 * the -ERESTART* code in ax: the kernel would apply the restart only after
 * get_signal() — which runs our task_work — returns (arch/x86/kernel/
 * signal.c, arch_do_signal_or_restart(), 6.1). Apply it to the image as
 * the kernel would with no handler to run: back onto the syscall
 * instruction with the original number. ERESTART_RESTARTBLOCK restarts the
 * original call too, since a restart_block is kernel state we cannot carry
 * (nanosleep then sleeps its whole relative time again, as under CRIU).
 */
static void fixup_syscall_restart(struct user_regs_struct *regs)
{
	if ((long)regs->orig_ax >= 0) {
		switch ((long)regs->ax) {
		case -ERESTARTSYS:
		case -ERESTARTNOINTR:
		case -ERESTARTNOHAND:
		case -ERESTART_RESTARTBLOCK:
			regs->ax = regs->orig_ax;
			regs->ip -= 2;
			break;
		}
	}
	regs->orig_ax = -1;
}

/*
 * Registers and FPU/xstate of @t: current, or a thread stopped by job
 * control and off the CPU (capture_stopped()). On current, regset_get()
 * syncs the live FPU registers into fpstate first (sync_fpstate()); a
 * thread off the CPU had them saved when it switched out, as for ptrace.
 */
static int capture_regs(struct ckpt_thread *th, struct task_struct *t)
{
	const struct user_regset_view *view = task_user_regset_view(t);
	const struct user_regset *gpr = ckpt_regset_find(view, NT_PRSTATUS);
	const struct user_regset *xs = ckpt_regset_find(view, NT_X86_XSTATE);
	struct ckpt_rec_thread *rec = th->rec;
	struct user_regs_struct *regs = (void *)(rec + 1);
	void *xstate = (char *)regs + th->park->regs_size;
	int ret;

	if (!gpr || !xs)
		return -EINVAL;
	ret = regset_get(t, gpr, th->park->regs_size, regs);
	if (ret < 0)
		return ret;
	ret = regset_get(t, xs, th->park->xstate_size, xstate);
	if (ret < 0)
		return ret;
	/* A stopped thread waits inside get_signal(), as a parked one. */
	fixup_syscall_restart(regs);
	rec->fs_base = regs->fs_base;
	rec->gs_base = regs->gs_base;
	return 0;
}

/* What only @t itself changes: current, or a stopped thread. */
static void capture_rest(struct ckpt_thread *th, struct task_struct *t)
{
	struct ckpt_rec_thread *rec = th->rec;

	rec->sas_ss_sp = t->sas_ss_sp;
	rec->sas_ss_size = t->sas_ss_size;
	rec->sas_ss_flags = t->sas_ss_flags;
	rec->clear_child_tid = (unsigned long)t->clear_child_tid;
	rec->robust_list = (unsigned long)t->robust_list;
	/* set_robust_list() only accepts exactly this length. */
	rec->robust_list_len = t->robust_list ?
			       sizeof(struct robust_list_head) : 0;
	ckpt_proc_thread_identity(t, &th->ident);
	th->ident.tid = rec->tid;
	th->why = ckpt_proc_seccomp_refusal(t);
#ifdef CONFIG_RSEQ
	/* 6.1 has no task->rseq_len: sys_rseq() takes only this length. */
	rec->rseq = (unsigned long)t->rseq;
	rec->rseq_len = t->rseq ? sizeof(struct rseq) : 0;
	rec->rseq_sig = t->rseq_sig;
#endif
}

/* Runs in the thread's own context, parked. */
static int capture_thread(struct ckpt_thread *th)
{
	struct ckpt_rec_thread *rec = th->rec;
	int ret;

	/* The pending set and the siginfo of its queue, under one lock. */
	ret = ckpt_pstate_capture_queue(current->sighand, &current->pending,
					rec->tid, &rec->pending, &th->sigq);
	if (!ret)
		ret = capture_regs(th, current);
	if (ret)
		return ret;
	spin_lock_irq(&current->sighand->siglock);
	rec->sigmask = current->blocked.sig[0];
	spin_unlock_irq(&current->sighand->siglock);
	capture_rest(th, current);
	if (!th->why && ckpt_sysv_sem_undo_held(current))
		th->why = CKPT_SYSV_SEM_UNDO_WHY;
	return 0;
}

/*
 * A thread stopped by job control does not run its parking task_work: a
 * stopped task is woken only by SIGCONT or SIGKILL (TASK_STOPPED is not
 * TASK_INTERRUPTIBLE, so task_work_add()'s wake-up passes it by). It
 * cannot run either, so the controller records it where it stopped, as
 * ptrace reads a stopped tracee. JOBCTL_STOPPED is set and cleared under
 * siglock (do_signal_stop(), signal_wake_up_state(), kernel/signal.c
 * 6.1): holding it, a thread seen stopped and off the CPU stays so. If
 * SIGCONT wakes it later, it runs its task_work before any user
 * instruction and parks without capturing again (@outside).
 *
 * Return: 0, -EAGAIN if it no longer is stopped (it will park), or an
 * error.
 */
static int capture_stopped(struct ckpt_thread *th)
{
	struct ckpt_rec_thread *rec = th->rec;
	struct task_struct *t = th->task;
	struct ckpt_sigq q = { 0 };
	u64 pending;
	int tries, ret;
	bool undo;

	/*
	 * x86_fsgsbase_read_task() (arch/x86/kernel/process_64.c) takes the
	 * LDT mutex for a non-zero selector: only plain 64-bit bases here.
	 */
	if (t->thread.fsindex || t->thread.gsindex)
		return -EOPNOTSUPP;
	/* Allocates: before siglock; a queue taken twice is simply freed. */
	ret = ckpt_pstate_capture_queue(t->sighand, &t->pending, rec->tid,
					&pending, &q);
	if (ret)
		return ret;
	for (tries = 0;; tries++) {
		spin_lock_irq(&t->sighand->siglock);
		if (!task_is_stopped(t)) {
			ret = -EAGAIN;
			goto out_unlock;
		}
		/* do_signal_stop() runs on a while before it schedules. */
		if (!READ_ONCE(t->on_cpu))
			break;
		spin_unlock_irq(&t->sighand->siglock);
		if (tries > 1000) {
			ret = -EBUSY;
			goto out_free;
		}
		usleep_range(100, 200);
	}
	WRITE_ONCE(th->outside, true);
	ret = capture_regs(th, t);
	rec->sigmask = t->blocked.sig[0];
	rec->pending = pending;
	th->sigq = q;
	q.v = NULL;
	/* Stopped under siglock, it cannot exit and free its undo list. */
	undo = ckpt_sysv_sem_undo_held(t);
	spin_unlock_irq(&t->sighand->siglock);
	capture_rest(th, t);
	if (!th->why && undo)
		th->why = CKPT_SYSV_SEM_UNDO_WHY;
	th->err = ret;
	return 0;

out_unlock:
	spin_unlock_irq(&t->sighand->siglock);
out_free:
	ckpt_pstate_sigq_free(&q);
	return ret;
}

static void park_cb(struct callback_head *cb)
{
	struct ckpt_thread *th = container_of(cb, struct ckpt_thread, cb);
	struct ckpt_park *park = th->park;

	if (!READ_ONCE(park->released)) {
		/* Recorded while stopped (capture_stopped()): only wait. */
		if (!READ_ONCE(th->outside))
			th->err = (current->flags & PF_EXITING) ? -ESRCH :
				  capture_thread(th);
		/* Pairs with the controller's read of pending. */
		smp_store_release(&th->parked, true);
		/* The controller may wait for this very thread. */
		atomic_dec(&park->pending);
		wake_up(&park->parked_wq);
		/* A fatal signal lets the thread go; its mm is pinned. */
		wait_event_killable(park->release_wq,
				    READ_ONCE(park->released));
	}
	park_put(park);
	/*
	 * The reference taken when queuing keeps the module until here; the
	 * return below is the only module text that runs after it.
	 */
	module_put(THIS_MODULE);
}

/* Called under rcu_read_lock(). */
static int thread_refusal(struct task_struct *t, const char **why)
{
	if (t->ptrace) {
		*why = "thread is being ptraced";
		return -EBUSY;
	}
	/* Stopped by job control is recorded as it is: capture_stopped(). */
	if (task_is_traced(t)) {
		*why = "thread is traced";
		return -EBUSY;
	}
	if (t->flags & PF_IO_WORKER) {
		*why = "io_uring worker thread: io_uring is not supported";
		return -EINVAL;
	}
	if (t->flags & PF_EXITING) {
		*why = "thread is exiting";
		return -EAGAIN;
	}
	if (test_tsk_thread_flag(t, TIF_ADDR32)) {
		*why = "32-bit process: only x86-64 processes are supported";
		return -EINVAL;
	}
	*why = ckpt_proc_seccomp_refusal(t);
	if (!*why)
		*why = ckpt_proc_sched_refusal(t);
	if (!*why)
		*why = ckpt_proc_cred_refusal(t);
	if (!*why)
		*why = ckpt_proc_kernel_state_refusal(t);
	if (*why)
		return -EOPNOTSUPP;
	return 0;
}

/*
 * Take references on every process and thread of the group. Allocation
 * happens outside RCU, sized by a census; if the group grew in between we
 * return -EAGAIN and the caller retries.
 */
static int collect(struct pid *pgrp, enum pid_type type,
		   struct ckpt_snapshot *snap,
		   struct ckpt_park *park, struct ckpt_group_census *census,
		   struct netlink_ext_ack *extack)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct task_struct *p, *t;
	unsigned int nt = 0, np = 0;
	const char *why = NULL;
	int ret = 0;

	if (ckpt_fault_inject(CKPT_FAULT_FREEZE))
		return -ENOMEM;
	snap->tasks = kvcalloc(census->nr_tasks, sizeof(*snap->tasks),
			       GFP_KERNEL);
	park->threads = kvcalloc(census->nr_threads, sizeof(*park->threads),
				 GFP_KERNEL);
	snap->zombies = kvcalloc(max(census->nr_zombies, 1U),
				 sizeof(*snap->zombies), GFP_KERNEL);
	if (!snap->tasks || !park->threads || !snap->zombies)
		return -ENOMEM;

	rcu_read_lock();
	do_each_pid_task(pgrp, type, p) {
		if (p->exit_state) {
			/* Its parent is in the group: it stays as it is. */
			why = ckpt_pstate_zombie_refusal(p, pgrp, type, &ret);
			if (why) {
				ckpt_err_set(extack, task_tgid_nr_ns(p, ns), 0, why);
				goto out_unlock;
			}
			if (snap->nr_zombies == census->nr_zombies) {
				ret = -EAGAIN;
				goto out_unlock;
			}
			ckpt_pstate_zombie_rec(p, ns,
					       &snap->zombies[snap->nr_zombies++]);
			continue;
		}
		if (np == census->nr_tasks) {
			ret = -EAGAIN;
			goto out_unlock;
		}
		get_task_struct(p);
		snap->tasks[np].task = p;
		INIT_LIST_HEAD(&snap->tasks[np].copy_pool);
		snap->nr_tasks = ++np;
		for_each_thread(p, t) {
			ret = thread_refusal(t, &why);
			if (ret) {
				ckpt_err_set(extack, task_pid_nr_ns(t, ns), 0, why);
				goto out_unlock;
			}
			if (nt == census->nr_threads) {
				ret = -EAGAIN;
				goto out_unlock;
			}
			get_task_struct(t);
			park->threads[nt].task = t;
			park->threads[nt].owner = np - 1;
			park->threads[nt].park = park;
			park->nr_threads = ++nt;
		}
	} while_each_pid_task(pgrp, type, p);
out_unlock:
	rcu_read_unlock();
	return ret;
}

/* After everyone parked: is the group exactly what we collected? */
static bool group_unchanged(struct pid *pgrp, enum pid_type type,
			    struct ckpt_snapshot *snap,
			    struct ckpt_park *park)
{
	unsigned int np = 0, nt = 0, nz = 0;
	struct task_struct *p;

	rcu_read_lock();
	do_each_pid_task(pgrp, type, p) {
		if (p->exit_state) {
			nz++;
		} else {
			np++;
			nt += get_nr_threads(p);
		}
	} while_each_pid_task(pgrp, type, p);
	rcu_read_unlock();
	return np == snap->nr_tasks && nt == park->nr_threads &&
	       nz == snap->nr_zombies;
}

/*
 * With the group parked, judge its processes again (ckpt_group_permitted()):
 * one may have finished a setuid exec since ckpt_group_check().
 */
static int recheck_permission(struct ckpt_snapshot *snap,
			      struct pid_namespace *ns,
			      struct netlink_ext_ack *extack)
{
	unsigned int i;

	for (i = 0; i < snap->nr_tasks; i++) {
		struct task_struct *p = snap->tasks[i].task;

		if (!ckpt_group_permitted(p)) {
			ckpt_err_set(extack, task_tgid_nr_ns(p, ns), 0,
				     "permission denied: process changed credentials or became non-dumpable during the freeze");
			return -EPERM;
		}
	}
	return 0;
}

static int alloc_thread_recs(struct ckpt_park *park)
{
	const struct user_regset_view *view = task_user_regset_view(current);
	const struct user_regset *gpr = ckpt_regset_find(view, NT_PRSTATUS);
	const struct user_regset *xs = ckpt_regset_find(view, NT_X86_XSTATE);
	unsigned int i;

	if (!gpr || !xs)
		return -EOPNOTSUPP;
	park->regs_size = gpr->n * gpr->size;
	park->xstate_size = xs->n * xs->size;
	if (park->regs_size != sizeof(struct user_regs_struct))
		return -EOPNOTSUPP;
	for (i = 0; i < park->nr_threads; i++) {
		struct ckpt_rec_thread *rec;

		rec = ckpt_fault_inject(CKPT_FAULT_FREEZE) ? NULL :
		      kzalloc(sizeof(*rec) + park->regs_size +
			      park->xstate_size, GFP_KERNEL);
		park->threads[i].rec = rec;
		if (!rec)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Everything the snapshot of the address spaces will need, before anyone
 * is parked (snap.c, "No allocation inside the freeze window"); @loose
 * after a tighter reservation ran out.
 */
static int reserve_mms(struct ckpt_snapshot *snap, struct ckpt_sysv_set *sysv,
		       bool loose, bool prepass)
{
	unsigned int i;
	int ret;

	for (i = 0; i < snap->nr_tasks; i++) {
		ret = ckpt_snap_reserve(&snap->tasks[i], sysv, loose, prepass);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * struct ckpt_scratch - room the capture of each process reuses, allocated
 *	before the park
 * @ids: one identity per thread of the group
 * @queues: one signal queue per thread of the group, and the shared one
 */
struct ckpt_scratch {
	struct ckpt_thread_identity *ids;
	struct ckpt_sigq *queues;
};

static int alloc_scratch(struct ckpt_scratch *sc, struct ckpt_park *park)
{
	if (ckpt_fault_inject(CKPT_FAULT_FREEZE))
		return -ENOMEM;
	sc->ids = kvcalloc(max(park->nr_threads, 1U), sizeof(*sc->ids),
			   GFP_KERNEL);
	sc->queues = kvcalloc(park->nr_threads + 1, sizeof(*sc->queues),
			      GFP_KERNEL);
	return sc->ids && sc->queues ? 0 : -ENOMEM;
}

static void free_scratch(struct ckpt_scratch *sc)
{
	kvfree(sc->ids);
	kvfree(sc->queues);
}

static void release(struct ckpt_park *park)
{
	WRITE_ONCE(park->released, true);
	wake_up_all(&park->release_wq);
}

static int queue_parking(struct ckpt_park *park, struct pid_namespace *ns,
			 struct netlink_ext_ack *extack)
{
	unsigned int i;
	int ret;

	atomic_set(&park->pending, park->nr_threads);
	for (i = 0; i < park->nr_threads; i++) {
		struct ckpt_thread *th = &park->threads[i];
		struct ckpt_rec_thread *rec = th->rec;

		rec->tid = task_pid_nr_ns(th->task, ns);
		rec->regs_size = park->regs_size;
		rec->xstate_size = park->xstate_size;
		init_task_work(&th->cb, park_cb);
		refcount_inc(&park->ref);
		__module_get(THIS_MODULE);
		ret = task_work_add(th->task, &th->cb, TWA_SIGNAL);
		if (ret) {
			module_put(THIS_MODULE);
			park_put(park);
			/* Threads not queued will never report. */
			atomic_sub(park->nr_threads - i, &park->pending);
			ckpt_err_set(extack, rec->tid, 0,
				     "thread exited while the group was being parked");
			return -EAGAIN;
		}
	}
	return 0;
}

/* Has @th reported? Then its th->err and record may be read. */
static bool has_parked(struct ckpt_thread *th)
{
	/* Pairs with smp_store_release() in park_cb(). */
	return smp_load_acquire(&th->parked);
}

/* Every thread parked, or stopped by job control (capture_stopped()). */
static bool settled(struct ckpt_park *park)
{
	unsigned int i;

	for (i = 0; i < park->nr_threads; i++)
		if (!has_parked(&park->threads[i]) &&
		    !task_is_stopped(park->threads[i].task))
			return false;
	return true;
}

/*
 * A stopped thread never reports: wait in short slices for the others,
 * which do, and for threads on their way into a stop.
 */
static int wait_settled(struct ckpt_park *park, unsigned long deadline)
{
	long left;

	while (!settled(park) && time_before(jiffies, deadline)) {
		left = wait_event_killable_timeout(park->parked_wq,
						   !atomic_read(&park->pending),
						   msecs_to_jiffies(10) ?: 1);
		if (left < 0)
			return -EINTR;
	}
	return 0;
}

static int wait_parked(struct ckpt_park *park, struct netlink_ext_ack *extack)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(ckpt_freeze_timeout_ms);
	unsigned int i;
	int ret;

	ret = wait_settled(park, deadline);
	if (ret)
		return ret;
	for (i = 0; i < park->nr_threads; i++) {
		struct ckpt_thread *th = &park->threads[i];
		struct ckpt_rec_thread *rec = th->rec;

		ret = has_parked(th) ? 0 : capture_stopped(th);
		if (ret == -EAGAIN) {
			/* Continued meanwhile: it parks on its way out. */
			if (wait_event_killable_timeout(park->parked_wq,
							has_parked(th),
							max_t(long, deadline - jiffies, 1)) < 0)
				return -EINTR;
			ret = has_parked(th) ? 0 : -ETIMEDOUT;
		}
		if (ret == -EOPNOTSUPP) {
			ckpt_err_set(extack, rec->tid, 0,
				     "stopped thread uses FS or GS segment selectors: continue it first");
			return ret;
		}
		if (ret == -ETIMEDOUT || (ret == -EBUSY && !th->outside)) {
			ckpt_err_set(extack, rec->tid, 0,
				     "thread did not park in time (uninterruptible sleep?)");
			return -ETIMEDOUT;
		}
		if (ret)
			return ret;
		if (th->err == -ESRCH) {
			ckpt_err_set(extack, rec->tid, 0,
				     "thread exited during the freeze");
			return -EAGAIN;
		}
		if (th->err == -E2BIG) {
			ckpt_err_set(extack, rec->tid, 0,
				     "more queued signals than an image carries");
			return th->err;
		}
		if (th->err) {
			ckpt_err_set(extack, rec->tid, 0,
				     "cannot read the thread's registers or queued signals");
			return th->err;
		}
	}
	return 0;
}

static void fill_task_rec(struct ckpt_task_snap *ts, struct pid_namespace *ns)
{
	struct task_struct *p = ts->task;

	ts->rec.pid = task_tgid_nr_ns(p, ns);
	rcu_read_lock();
	ts->rec.ppid = task_tgid_nr_ns(rcu_dereference(p->real_parent), ns);
	rcu_read_unlock();
	ts->rec.pgid = task_pgrp_nr_ns(p, ns);
	ts->rec.sid = task_session_nr_ns(p, ns);
	task_lock(p);
	strscpy(ts->rec.comm, p->comm, sizeof(ts->rec.comm));
	task_unlock(p);
}

/* The IDENTITY record of process @owner, its threads in record order. */
static int capture_identity(struct ckpt_task_snap *ts, struct ckpt_park *park,
			    unsigned int owner, struct ckpt_scratch *sc,
			    struct netlink_ext_ack *extack)
{
	struct ckpt_thread_identity *ids = sc->ids;
	unsigned int i, n = 0;

	for (i = 0; i < park->nr_threads && n < ts->rec.nr_threads; i++)
		if (park->threads[i].owner == owner)
			ids[n++] = park->threads[i].ident;
	return ckpt_proc_capture_identity(ts, ids, n, extack);
}

/*
 * The SIGNALS record of process @owner: the process-wide queue @shared
 * (consumed), then each of its threads' queues in THREAD record order.
 */
static int capture_signals(struct ckpt_task_snap *ts, struct ckpt_park *park,
			   unsigned int owner, struct ckpt_sigq *shared,
			   struct ckpt_scratch *sc,
			   struct netlink_ext_ack *extack)
{
	struct ckpt_sigq *queues = sc->queues;
	unsigned int i, n = 0;
	int ret;

	queues[n++] = *shared;
	for (i = 0; i < park->nr_threads && n <= ts->rec.nr_threads; i++)
		if (park->threads[i].owner == owner)
			queues[n++] = park->threads[i].sigq;
	ret = ckpt_pstate_put_signals(ts, queues, n);
	if (ret == -E2BIG)
		ckpt_err_set(extack, ts->rec.pid, 0,
			     "more queued signals than an image carries");
	return ret;
}

/* With every thread parked: thread records, mm fields, VMAs, pages. */
static int capture_processes(struct ckpt_snapshot *snap,
			     struct ckpt_park *park, struct pid_namespace *ns,
			     struct ckpt_file_set *files,
			     struct ckpt_sysv_set *sysv,
			     struct ckpt_scratch *sc,
			     struct netlink_ext_ack *extack)
{
	size_t rec_len = sizeof(struct ckpt_rec_thread) + park->regs_size +
			 park->xstate_size;
	unsigned int i;
	pid_t sharer;
	int ret;

	for (i = 0; i < park->nr_threads; i++) {
		struct ckpt_thread *th = &park->threads[i];
		struct ckpt_task_snap *ts = &snap->tasks[th->owner];
		struct kvec part = { th->rec, rec_len };

		/*
		 * A filter installed between the census and the park, or
		 * state only the parked thread can show: refuse still.
		 */
		if (th->why) {
			ckpt_err_set(extack, th->ident.tid, 0, th->why);
			return -EOPNOTSUPP;
		}
		ret = ckpt_buf_put(&ts->threads, CKPT_REC_THREAD, &part, 1);
		if (ret)
			return ret;
		ts->rec.nr_threads++;
	}
	snap->nr_threads = park->nr_threads;

	/* A connection's other end is the group's or not: all are known first. */
	for (i = 0; files->tcp_established && i < snap->nr_tasks; i++) {
		ret = ckpt_sock_collect(snap->tasks[i].task, &files->sock_group);
		if (ret)
			return ret;
	}
	for (i = 0; i < snap->nr_tasks; i++) {
		struct ckpt_task_snap *ts = &snap->tasks[i];
		struct ckpt_sigq shared = { 0 };

		fill_task_rec(ts, ns);
		ts->mm = get_task_mm(ts->task);
		if (!ts->mm) {
			/* SIGKILLed while parked: the group changed. */
			ckpt_err_set(extack, ts->rec.pid, 0,
				     "process exited during the freeze");
			return -EAGAIN;
		}
		sharer = ckpt_snap_mm_sharer(ts->mm, ts->task);
		if (sharer) {
			ckpt_err_setf(extack, ts->rec.pid, 0,
				      "address space is shared with pid %d outside the process (vfork, CLONE_VM)",
				      sharer);
			return -EBUSY;
		}
		ret = ckpt_proc_capture(ts, &shared, extack);
		if (!ret)
			ret = capture_signals(ts, park, i, &shared, sc,
					      extack);
		ckpt_pstate_sigq_free(&shared);
		if (!ret)
			ret = ckpt_files_capture(ts, files, extack);
		if (!ret)
			ret = capture_identity(ts, park, i, sc, extack);
		if (!ret)
			ret = ckpt_timers_capture(ts, ns, extack);
		if (!ret)
			ret = ckpt_snap_capture_mm(ts, sysv, ts->rec.pid,
						   extack);
		if (ret)
			return ret;
		snap->nr_pages += ts->rec.nr_pages;
	}
	ret = ckpt_sock_check_wanted(&files->sock_held, &files->sock_wanted,
				     extack);
	if (ret)
		return ret;
	return ckpt_sysv_check_unmapped(sysv, extack);
}

static void drop_mms(struct ckpt_snapshot *snap)
{
	unsigned int i;

	for (i = 0; i < snap->nr_tasks; i++) {
		if (snap->tasks[i].mm) {
			mmput(snap->tasks[i].mm);
			snap->tasks[i].mm = NULL;
		}
	}
}

/* After the release: the entries in the writer's order. */
static int finish_prepass(struct ckpt_snapshot *snap,
			  struct netlink_ext_ack *extack)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < snap->nr_tasks; i++)
		ret = ckpt_prepass_finish(&snap->tasks[i]);
	if (ret)
		NL_SET_ERR_MSG(extack,
			       "no memory to order the held pages after the freeze");
	return ret;
}

/*
 * A SIGSTOP queued while every thread is still parked is dequeued by
 * get_signal() right after the parking task_work returns, before any user
 * instruction runs: the group stops in exactly the captured state.
 */
static void stop_group(struct ckpt_snapshot *snap)
{
	unsigned int i;

	for (i = 0; i < snap->nr_tasks; i++)
		send_sig(SIGSTOP, snap->tasks[i].task, 1);
}

static int freeze_once(struct pid *pgrp, const struct ckpt_group_id *g,
		       struct ckpt_group_census *census, bool leave_stopped,
		       bool loose, struct ckpt_area *area,
		       struct ckpt_snapshot *snap,
		       struct netlink_ext_ack *extack)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	enum pid_type type = g->type;
	struct ckpt_scratch scratch = { 0 };
	struct ckpt_sysv_set sysv = { 0 };
	struct ckpt_file_set files;
	struct ckpt_park *park;
	ktime_t start, parked, captured;
	/*
	 * The two-phase freeze: the pages are held while the group still
	 * runs, and the stop keeps what did not change (prepass.c). Decided
	 * once, for the reservation and the run: a retry (@loose) goes
	 * without, it must not run out of room twice.
	 */
	bool prepass = !loose && ckpt_prepass_wanted();
	int ret;

	park = ckpt_fault_inject(CKPT_FAULT_FREEZE) ? NULL :
	       kzalloc(sizeof(*park), GFP_KERNEL);
	if (!park)
		return -ENOMEM;
	refcount_set(&park->ref, 1);
	ckpt_file_set_init(&files, g->ghost_limit, pgrp, type);
	files.tcp_established = g->tcp_established;
	files.tcp_hold = g->tcp_hold;
	init_waitqueue_head(&park->parked_wq);
	init_waitqueue_head(&park->release_wq);

	/*
	 * The freeze window opens when the first thread is queued to park.
	 * What it fills is allocated here, while the group runs; see
	 * "No allocation inside the freeze window" in snap.c for what is
	 * still allocated inside it, and why.
	 */
	ret = collect(pgrp, type, snap, park, census, extack);
	if (!ret)
		ret = alloc_thread_recs(park);
	if (!ret)
		ret = alloc_scratch(&scratch, park);
	if (!ret)
		ret = reserve_mms(snap, &sysv, loose, prepass);
	/*
	 * Soft-dirty (incr.h): the pre-pass clears the bit of every page it
	 * holds, as the stop's walk does; a range it keeps was not written
	 * since, and a page that appears later changes the range, which the
	 * stop walks again. So a full image with a pre-pass is a parent like
	 * any other. An incremental one goes without the pre-pass: in a range
	 * the stop walks again, a page the pre-pass held because it was dirty
	 * would show a clear bit and be taken from the parent.
	 */
	if (!ret)
		ret = ckpt_incr_begin(snap, area, g->incremental);
	if (!ret && prepass && !snap->incremental)
		ret = ckpt_prepass_run(snap);
	if (ret)
		goto out_put;

	snap->created_ns = ktime_get_real_ns();
	start = ktime_get();
	ret = queue_parking(park, ns, extack);
	if (!ret)
		ret = wait_parked(park, extack);
	parked = ktime_get();
	snap->park_ns = ktime_to_ns(ktime_sub(parked, start));
	if (!ret && !group_unchanged(pgrp, type, snap, park)) {
		if (type == PIDTYPE_SID)
			NL_SET_ERR_MSG(extack, "the session changed during the freeze");
		else
			NL_SET_ERR_MSG(extack,
				       "the process group changed during the freeze");
		ret = -EAGAIN;
	}
	if (!ret)
		ret = recheck_permission(snap, ns, extack);
	if (!ret)
		ret = capture_processes(snap, park, ns, &files, &sysv,
					&scratch, extack);
	captured = ktime_get();
	snap->capture_ns = ktime_to_ns(ktime_sub(captured, parked));
	/* Even on failure: pages may be write-protected before the error. */
	ckpt_snap_flush_stop(snap);
	snap->flush_ns = ktime_to_ns(ktime_sub(ktime_get(), captured));
	if (!ret && leave_stopped)
		stop_group(snap);
	release(park);
	snap->freeze_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	drop_mms(snap);
	if (!ret)
		ret = finish_prepass(snap, extack);
	if (!ret) {
		ckpt_forked_mark(snap);
		ckpt_late_mark(snap);
	}
out_put:
	free_scratch(&scratch);
	ckpt_sysv_set_free(&sysv);
	ckpt_file_set_free(&files);
	park_put(park);
	return ret;
}

/*
 * Serializes freezes. Two freezes of the same threads would each queue a
 * parking callback on every thread, and task_work runs a thread's callbacks
 * newest first: one thread could sit in the second freeze's callback while
 * the first freeze waits for it, another the other way round, and both
 * freezes would wait out their timeout. A freeze lasts microseconds to
 * milliseconds (the timeout at worst), so one at a time costs little;
 * images still stream concurrently.
 */
static DEFINE_MUTEX(freeze_mutex);

/**
 * ckpt_freeze_group() - park a process group, snapshot it, release it
 * @g: the process group or session
 * @leave_stopped: on success, release the group into a group stop
 *	(SIGSTOP) instead of letting it run on
 * @area: where the image goes: an area without room for the group's
 *	memory is refused before the group is parked
 * @out: receives the snapshot on success (free with ckpt_snap_free())
 * @extack: receives the reason and the task concerned on failure
 *
 * Retries a few times when the group changes under the freeze (a thread
 * created or exiting). Waits (killable) for a freeze in progress to end.
 * On return every thread runs again, or is stopped.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_freeze_group(const struct ckpt_group_id *g, bool leave_stopped,
		      struct ckpt_area *area, struct ckpt_snapshot **out,
		      struct netlink_ext_ack *extack)
{
	struct ckpt_group_census census;
	struct ckpt_snapshot *snap = NULL;
	bool notified = false;
	LIST_HEAD(told);
	struct pid *pgrp;
	int ret, tries;

	for (tries = 0; tries < 3; tries++) {
		ret = ckpt_group_check(g, &census, extack);
		if (!ret)
			ret = ckpt_area_check_room(area,
						   ckpt_budget_image_bytes(&census.cost),
						   extack);
		if (ret)
			goto out;
		pgrp = find_get_pid(g->nr);
		if (!pgrp) {
			ret = -ESRCH;
			goto out;
		}
		/* Once the group passed the check: no one else is told. */
		if (!notified) {
			notified = true;
			ret = ckpt_notice_tell(pgrp, g->type, g->notify_grace_ms,
					       &told);
			if (ret) {
				notified = false;
				put_pid(pgrp);
				goto out;
			}
		}
		snap = ckpt_fault_inject(CKPT_FAULT_FREEZE) ? NULL :
		       kzalloc(sizeof(*snap), GFP_KERNEL);
		if (!snap) {
			ret = -ENOMEM;
		} else if (mutex_lock_killable(&freeze_mutex)) {
			ret = -EINTR;
		} else {
			/* A reservation that ran out is redone loosely. */
			ret = freeze_once(pgrp, g, &census, leave_stopped,
					  tries > 0, area, snap, extack);
			mutex_unlock(&freeze_mutex);
		}
		put_pid(pgrp);
		if (!ret)
			break;
		/* Held connections run on, or the retry could not take them. */
		if (g->tcp_hold)
			ckpt_tcpx_release_owner(g->tcp_hold);
		ckpt_snap_free(snap);
		if (ret != -EAGAIN)
			goto out;
	}
	if (!ret)
		*out = snap;
out:
	if (notified)
		ckpt_notice_over(&told);
	return ret;
}
