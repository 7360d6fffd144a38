// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Timers of a process: the setitimer() timers (alarm() included) and the
 * POSIX timers of timer_create(). What cannot be restored exactly is
 * refused by name before the freeze (ckpt_timers_check()); with every
 * thread parked, each timer's time left, interval and pending signal are
 * recorded (ckpt_timers_capture()).
 *
 * Kernel invariants relied on (6.1, kernel/time/posix-timers.c,
 * posix-cpu-timers.c, itimer.c):
 *  - signal->posix_timers is changed under sighand->siglock only
 *    (timer_create, timer_delete, exit_itimers()), which is also how
 *    /proc/PID/timers reads it; a k_itimer is freed by RCU
 *    (release_posix_timer()), its sigqueue at once.
 *  - it_id, it_clock, it_sigev_notify, it_pid, it.cpu.pid and the signal
 *    number and value in sigq->info are set by timer_create() and never
 *    change; it_interval, it_active, it_requeue_pending, it_overrun* and
 *    the expiry change under it_lock only.
 *  - Lock order is it_lock, then siglock (posix_timer_fn() sends its
 *    signal under it_lock; posix_cpu_timer_set() takes siglock inside it):
 *    never take it_lock while holding siglock.
 *  - A timer's signal is queued (sigq->list not empty) until the signal is
 *    dequeued; an interval timer whose signal is queued is re-armed only
 *    at that dequeue (it_requeue_pending & REQUEUE_PENDING), forwarded past
 *    the time of the dequeue.
 *  - signal->real_timer (ITIMER_REAL) is a CLOCK_MONOTONIC hrtimer; with
 *    an interval it is re-armed when SIGALRM is dequeued. signal->it[]
 *    (ITIMER_PROF, ITIMER_VIRTUAL) hold absolute process CPU times,
 *    compared against signal->cputimer.cputime_atomic, which runs while
 *    posix_cputimers.timers_active is set.
 *  - posix_timer_add() hands out ids from signal->next_posix_timer_id,
 *    skipping ids in use, wrapping at INT_MAX.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <linux/netlink.h>
#include <linux/pid_namespace.h>
#include <linux/posix-timers.h>
#include <linux/sched/cputime.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uio.h>
#include <linux/ckpt_image.h>

#include "fault.h"
#include "group.h"
#include "snap.h"
#include "timers.h"

/*
 * lock_task_sighand() is __lock_task_sighand(), which is not exported: the
 * same loop. Called under rcu_read_lock(); a sighand_struct is
 * SLAB_TYPESAFE_BY_RCU, so it may be reused but not freed while we look,
 * and it is still @p's if p->sighand still points to it once locked. NULL
 * once @p has passed __exit_signal().
 */
static struct sighand_struct *sighand_lock(struct task_struct *p,
					   unsigned long *flags)
{
	struct sighand_struct *sighand;

	for (;;) {
		sighand = rcu_dereference(p->sighand);
		if (!sighand)
			return NULL;
		spin_lock_irqsave(&sighand->siglock, *flags);
		if (likely(sighand == rcu_access_pointer(p->sighand)))
			return sighand;
		spin_unlock_irqrestore(&sighand->siglock, *flags);
	}
}

static void sighand_unlock(struct sighand_struct *sighand, unsigned long *flags)
{
	spin_unlock_irqrestore(&sighand->siglock, *flags);
}

/* What phase one (under siglock) learns of one POSIX timer. */
struct timer_seen {
	struct k_itimer *tmr;
	struct task_struct *clock_owner;	/* CPU clock: whose; RCU */
};

/*
 * Why @tmr of process @p cannot be restored, or NULL. Reads only what
 * timer_create() fixed; called with @p's siglock held, so @tmr is alive.
 * *@owner gets the task whose CPU clock the timer counts, if any.
 */
static const char *timer_refusal(struct task_struct *p, struct k_itimer *tmr,
				 struct task_struct **owner)
{
	clockid_t clock = tmr->it_clock;
	struct task_struct *t;

	*owner = NULL;
	if (tmr->it_sigev_notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID)) {
		t = pid_task(tmr->it_pid, PIDTYPE_PID);
		if (!t || !same_thread_group(t, p))
			return "its SIGEV_THREAD_ID target thread has exited";
	} else if (tmr->it_sigev_notify != SIGEV_SIGNAL &&
		   tmr->it_sigev_notify != SIGEV_NONE &&
		   tmr->it_sigev_notify != SIGEV_THREAD) {
		return "unknown notification kind";
	}
	if (clock >= 0) {
		switch (clock) {
		case CLOCK_REALTIME:
		case CLOCK_MONOTONIC:
		case CLOCK_BOOTTIME:
		case CLOCK_TAI:
			return NULL;
		case CLOCK_REALTIME_ALARM:
		case CLOCK_BOOTTIME_ALARM:
			return "timer on an alarm clock (CLOCK_*_ALARM) is not supported";
		default:
			return "timer on a clock that is not supported";
		}
	}
	/* A CPU clock (timer_create() never keeps a CLOCKFD one). */
	if (CPUCLOCK_PERTHREAD(clock) && CPUCLOCK_WHICH(clock) != CPUCLOCK_SCHED)
		return "timer on a thread's user or system CPU time clock is not supported";
	t = pid_task(tmr->it.cpu.pid,
		     CPUCLOCK_PERTHREAD(clock) ? PIDTYPE_PID : PIDTYPE_TGID);
	if (!t)
		return "timer on the CPU clock of a thread or process that has exited";
	if (!same_thread_group(t, p))
		return "timer on the CPU clock of another process";
	*owner = t;
	return NULL;
}

/*
 * Judge every timer of @p with its siglock held; fill @seen (room for
 * @cap) if not NULL. Return the number of timers, or a negative errno
 * with the reason in @extack.
 */
static int judge_locked(struct task_struct *p, pid_t pid,
			struct timer_seen *seen, unsigned int cap,
			struct netlink_ext_ack *extack)
{
	struct signal_struct *sig = p->signal;
	unsigned int next_id = READ_ONCE(sig->next_posix_timer_id);
	struct task_struct *owner;
	struct k_itimer *tmr;
	const char *why;
	int n = 0;

	list_for_each_entry(tmr, &sig->posix_timers, list) {
		why = timer_refusal(p, tmr, &owner);
		if (why) {
			ckpt_err_setf(extack, pid, 0, "POSIX timer %d: %s",
				      tmr->it_id, why);
			return -EINVAL;
		}
		/* Ids come from the counter: one at or above it wrapped. */
		if ((unsigned int)tmr->it_id >= next_id) {
			ckpt_err_setf(extack, pid, 0,
				      "POSIX timer %d: the timer id counter wrapped around (at %u)",
				      tmr->it_id, next_id);
			return -EINVAL;
		}
		if (n == CKPT_MAX_POSIX_TIMERS) {
			ckpt_err_setf(extack, pid, 0,
				      "more than %u POSIX timers", CKPT_MAX_POSIX_TIMERS);
			return -E2BIG;
		}
		if (seen && n < cap) {
			seen[n].tmr = tmr;
			seen[n].clock_owner = owner;
		}
		n++;
	}
	if (next_id > CKPT_MAX_TIMER_ID) {
		ckpt_err_setf(extack, pid, 0,
			      "process has created %u POSIX timers: restore re-creates ids only up to %u",
			      next_id, CKPT_MAX_TIMER_ID);
		return -E2BIG;
	}
	return n;
}

/**
 * ckpt_timers_check() - refuse a process whose timers cannot be restored
 * @p: the process
 * @pid: its pid as the caller sees it
 * @extack: receives the reason, naming the pid and the timer
 *
 * Called before any freeze (under the group check's rcu_read_lock()) and
 * again on the parked process by ckpt_timers_capture(), outside one: it
 * takes its own for sighand_lock(). Refused: a timer on an
 * alarm clock, on another process's CPU clock or on a thread's user or
 * system time clock; a SIGEV_THREAD_ID timer whose thread has exited;
 * more timers, or a higher id counter, than CKPT_MAX_POSIX_TIMERS and
 * CKPT_MAX_TIMER_ID.
 *
 * Return: 0, -EINVAL, -E2BIG, or -EAGAIN when the process is exiting (as
 * group.c says of PF_EXITING, which it may have passed just before).
 */
int ckpt_timers_check(struct task_struct *p, pid_t pid,
		      struct netlink_ext_ack *extack)
{
	struct sighand_struct *sighand;
	unsigned long flags;
	int ret = -EAGAIN;

	rcu_read_lock();
	sighand = sighand_lock(p, &flags);
	if (sighand) {
		ret = judge_locked(p, pid, NULL, 0, extack);
		sighand_unlock(sighand, &flags);
	}
	rcu_read_unlock();
	if (!sighand)
		ckpt_err_set(extack, pid, 0, "process is exiting");
	return ret < 0 ? ret : 0;
}

/*
 * The process CPU clocks (indexed CPUCLOCK_PROF, _VIRT, _SCHED) of @p,
 * whose threads are all parked; siglock held. While a process CPU timer
 * is armed the kernel compares against cputimer.cputime_atomic, so take
 * that. Otherwise sum the threads the way thread_group_cputime() (not
 * exported) does: under siglock no thread can exit and fold its times
 * into signal_struct. A parked thread is off the CPU, so its
 * sum_exec_runtime is up to date (update_curr() at dequeue).
 */
static void sample_process(struct task_struct *p, u64 *s)
{
	struct signal_struct *sig = p->signal;
	struct task_cputime_atomic *at = &sig->cputimer.cputime_atomic;
	u64 utime, stime, rtime;
	struct task_struct *t;

	if (READ_ONCE(sig->posix_cputimers.timers_active)) {
		utime = atomic64_read(&at->utime);
		stime = atomic64_read(&at->stime);
		rtime = atomic64_read(&at->sum_exec_runtime);
	} else {
		utime = sig->utime;
		stime = sig->stime;
		rtime = sig->sum_sched_runtime;
		for_each_thread(p, t) {
			/*
			 * task_cputime() is not exported: with vtime
			 * accounting (nohz_full CPUs) a thread's utime and
			 * stime may lack up to a tick not yet flushed.
			 */
			utime += t->utime;
			stime += t->stime;
			rtime += t->se.sum_exec_runtime;
		}
	}
	s[CPUCLOCK_PROF] = utime + stime;
	s[CPUCLOCK_VIRT] = utime;
	s[CPUCLOCK_SCHED] = rtime;
}

/* Move @exp past @now by whole intervals, as hrtimer_forward() would. */
static u64 forward(u64 exp, u64 now, u64 iv, s64 *overruns)
{
	u64 n;

	if (!iv || exp > now)
		return exp;
	n = div64_u64(now - exp, iv) + 1;
	*overruns += n;
	return exp + n * iv;
}

static void capture_real_itimer(struct task_struct *p, struct ckpt_itimer *it)
{
	struct signal_struct *sig = p->signal;
	struct hrtimer *tmr = &sig->real_timer;
	s64 rem, unused = 0;
	u64 now, exp;

	it->interval_ns = ktime_to_ns(sig->it_real_incr);
	if (hrtimer_active(tmr)) {
		/* As getitimer(): armed but due now reads as a little left. */
		rem = ktime_to_ns(__hrtimer_get_remaining(tmr, true));
		it->value_ns = rem > 0 ? rem : 1;
		return;
	}
	/*
	 * Fired with an interval: re-armed when SIGALRM is dequeued. If it
	 * is pending, arm it for the next period; if it was discarded
	 * (ignored), the timer stays stopped, as in the kernel.
	 */
	if (!it->interval_ns || (!sigismember(&sig->shared_pending.signal, SIGALRM)))
		return;
	now = ktime_get_ns();
	exp = forward(ktime_to_ns(hrtimer_get_expires(tmr)), now,
		      it->interval_ns, &unused);
	it->value_ns = exp > now ? exp - now : 1;
}

static void capture_cpu_itimer(struct task_struct *p, int which,
			       const u64 *sample, struct ckpt_itimer *it)
{
	struct cpu_itimer *ci = &p->signal->it[which];

	it->interval_ns = ci->incr;
	if (!ci->expires)
		return;
	/* As getitimer(): expired but not yet handled by a tick. */
	it->value_ns = ci->expires > sample[which] ?
		       ci->expires - sample[which] : 1;
}

/* Phase one, siglock held: what timer_create() fixed, and the itimers. */
static void capture_fixed(struct task_struct *p, struct pid_namespace *ns,
			  const struct timer_seen *seen, unsigned int n,
			  struct ckpt_rec_timers *rec,
			  struct ckpt_posix_timer *out)
{
	u64 sample[CPUCLOCK_MAX];
	unsigned int i;

	sample_process(p, sample);
	capture_real_itimer(p, &rec->itimer[CKPT_ITIMER_REAL]);
	capture_cpu_itimer(p, CPUCLOCK_VIRT, sample,
			   &rec->itimer[CKPT_ITIMER_VIRTUAL]);
	capture_cpu_itimer(p, CPUCLOCK_PROF, sample,
			   &rec->itimer[CKPT_ITIMER_PROF]);
	rec->nr_posix = n;
	rec->next_id = p->signal->next_posix_timer_id;

	for (i = 0; i < n; i++) {
		struct k_itimer *tmr = seen[i].tmr;
		struct ckpt_posix_timer *t = &out[i];

		t->id = tmr->it_id;
		t->clock = tmr->it_clock;
		t->notify = tmr->it_sigev_notify;
		t->signo = tmr->sigq->info.si_signo;
		t->sigval = (unsigned long)tmr->sigq->info.si_value.sival_ptr;
		if (t->notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID))
			t->notify_tid = pid_nr_ns(tmr->it_pid, ns);
		if (seen[i].clock_owner)
			t->clock_tid = t->clock < 0 && CPUCLOCK_PERTHREAD(t->clock) ?
				       task_pid_nr_ns(seen[i].clock_owner, ns) :
				       task_tgid_nr_ns(seen[i].clock_owner, ns);
		/* Queued until dequeued, under siglock. */
		if (!list_empty(&tmr->sigq->list)) {
			t->flags |= CKPT_TIMER_PENDING;
			t->pending_overrun = tmr->sigq->info.si_overrun;
		}
	}
}

/*
 * Phase two, @tmr->it_lock held: time left on an hrtimer-based timer, the
 * way common_timer_get() computes it, without moving the timer.
 */
static void capture_hrtimer(struct k_itimer *tmr, struct ckpt_posix_timer *t)
{
	struct hrtimer *hr = &tmr->it.real.timer;
	bool sig_none = tmr->it_sigev_notify == SIGEV_NONE;
	bool requeue = tmr->it_requeue_pending & REQUEUE_PENDING;
	clockid_t base = hr->base->clockid;
	s64 now, exp;

	if (!tmr->it_interval && !tmr->it_active && !sig_none)
		return;			/* disarmed, or a one-shot that fired */
	/* The base's own clock: host time, also inside a time namespace. */
	now = ktime_to_ns(hrtimer_cb_get_time(hr));
	exp = ktime_to_ns(hrtimer_get_expires(hr));
	if (requeue || sig_none)
		exp = forward(exp, now, t->interval_ns, &t->overrun);
	if (exp <= now && sig_none && !t->interval_ns)
		return;			/* a SIGEV_NONE one-shot that expired */
	if (base == CLOCK_REALTIME || base == CLOCK_TAI) {
		/*
		 * Only an absolute timer is on the REALTIME base (a relative
		 * one runs on MONOTONIC); a TAI timer always is, and moves
		 * with clock_settime() either way: keep its expiry time.
		 */
		t->flags |= CKPT_TIMER_ABSTIME;
		t->value_ns = exp > 0 ? exp : 1;
		return;
	}
	t->value_ns = exp > now ? exp - now : 1;
}

/* Phase two for a CPU-clock timer: it_lock, then siglock, held. */
static void capture_cpu_timer(struct task_struct *p, struct k_itimer *tmr,
			      struct task_struct *owner,
			      struct ckpt_posix_timer *t)
{
	bool requeue = tmr->it_requeue_pending & REQUEUE_PENDING;
	u64 exp = cpu_timer_getexpires(&tmr->it.cpu), now;
	u64 sample[CPUCLOCK_MAX];

	if (!exp)
		return;			/* disarmed, or a one-shot that fired */
	if (CPUCLOCK_PERTHREAD(tmr->it_clock)) {
		/*
		 * Only CPUCLOCK_SCHED is accepted per thread. task_sched_runtime()
		 * is not exported; it differs from sum_exec_runtime only for a
		 * task on a CPU, and @owner is parked.
		 */
		now = owner->se.sum_exec_runtime;
	} else {
		sample_process(p, sample);
		now = sample[CPUCLOCK_WHICH(tmr->it_clock)];
	}
	/* Fired with its signal queued: re-armed past the dequeue. */
	if (requeue)
		exp = forward(exp, now, t->interval_ns, &t->overrun);
	t->value_ns = exp > now ? exp - now : 1;
}

/* Phase two for one timer: its mutable state, under its it_lock. */
static int capture_one(struct task_struct *p, const struct timer_seen *seen,
		       struct ckpt_posix_timer *t)
{
	struct k_itimer *tmr = seen->tmr;
	struct sighand_struct *sighand;
	unsigned long flags, sflags;
	int ret = 0;

	spin_lock_irqsave(&tmr->it_lock, flags);
	/* A SIGKILL during the freeze may have run exit_itimers(). */
	if (tmr->it_signal != p->signal) {
		ret = -EAGAIN;
		goto out;
	}
	t->interval_ns = ktime_to_ns(tmr->it_interval);
	t->overrun = tmr->it_overrun < 0 ? 0 : tmr->it_overrun;
	t->overrun_last = tmr->it_overrun_last;
	if (t->clock >= 0) {
		capture_hrtimer(tmr, t);
		goto out;
	}
	sighand = sighand_lock(p, &sflags);
	if (!sighand) {
		ret = -EAGAIN;
		goto out;
	}
	capture_cpu_timer(p, tmr, seen->clock_owner, t);
	sighand_unlock(sighand, &sflags);
out:
	spin_unlock_irqrestore(&tmr->it_lock, flags);
	return ret;
}

static int cmp_id(const void *a, const void *b)
{
	const struct ckpt_posix_timer *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/**
 * ckpt_timers_capture() - record the timers of a parked process
 * @ts: the process; every thread of it parked
 * @ns: the pid namespace thread ids are recorded in
 * @extack: receives the reason on failure
 *
 * Judges the timers again (ckpt_timers_check()), then appends the TIMERS
 * record to @ts->timers.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_timers_capture(struct ckpt_task_snap *ts, struct pid_namespace *ns,
			struct netlink_ext_ack *extack)
{
	struct task_struct *p = ts->task;
	struct ckpt_posix_timer *timers = NULL;
	struct ckpt_rec_timers rec = { 0 };
	struct timer_seen *seen = NULL;
	struct sighand_struct *sighand;
	struct k_itimer *tmr;
	unsigned long flags;
	int n, cap, ret;

	/* Parked threads cannot create or delete timers: count, then fill. */
	ret = ckpt_timers_check(p, ts->rec.pid, extack);
	if (ret)
		return ret;
	rcu_read_lock();
	n = 0;
	sighand = sighand_lock(p, &flags);
	if (sighand) {
		list_for_each_entry(tmr, &p->signal->posix_timers, list)
			n++;
		sighand_unlock(sighand, &flags);
	}
	rcu_read_unlock();
	cap = n;
	if (cap) {
		seen = ckpt_fault_inject(CKPT_FAULT_FREEZE) ? NULL :
		       kcalloc(cap, sizeof(*seen), GFP_KERNEL);
		timers = kcalloc(cap, sizeof(*timers), GFP_KERNEL);
		if (!seen || !timers) {
			ret = -ENOMEM;
			goto out_free;
		}
	}

	/* The timers and the clock owners stay valid under RCU. */
	rcu_read_lock();
	sighand = sighand_lock(p, &flags);
	if (!sighand) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	n = judge_locked(p, ts->rec.pid, seen, cap, extack);
	if (n >= 0 && n != cap)
		n = -EAGAIN;
	if (n >= 0)
		capture_fixed(p, ns, seen, n, &rec, timers);
	sighand_unlock(sighand, &flags);
	ret = n < 0 ? n : 0;
	for (cap = 0; !ret && cap < n; cap++)
		ret = capture_one(p, &seen[cap], &timers[cap]);
out_unlock:
	rcu_read_unlock();
	if (ret == -EAGAIN)
		ckpt_err_set(extack, ts->rec.pid, 0,
			     "process exited or changed its timers during the freeze");
	if (!ret) {
		/* timer_create() adds at the list's head: newest first. */
		sort(timers, n, sizeof(*timers), cmp_id, NULL);
	}
	if (!ret) {
		struct kvec parts[] = {
			{ &rec, sizeof(rec) },
			{ timers, n * sizeof(*timers) },
		};

		ret = ckpt_buf_put(&ts->timers, CKPT_REC_TIMERS, parts,
				   ARRAY_SIZE(parts));
	}
out_free:
	kfree(seen);
	kfree(timers);
	return ret;
}
