// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: a restoring process's timers. Its POSIX timers are
 * re-created with their ids, the signals they had queued are queued again
 * with their siginfo, and every timer is armed with the time it had left,
 * as late as possible: right before the process asks the module for its
 * memory (RESTORE_MM), with every signal blocked (see all_signals in
 * restore_proc.c). The time from here to the process's release counts.
 *
 * This runs after place_vdso(): glibc's vdso pointers are stale, so only
 * raw system calls.
 *
 * Kernel behaviour relied on (6.1): posix_timer_add() gives a new timer
 * the id in signal->next_posix_timer_id (a fresh process's is 0) and
 * moves the counter one on, skipping ids in use; a process may queue
 * itself any siginfo (rt_sigqueueinfo() refuses si_code >= 0 or SI_TKILL
 * only for another process); an SI_TIMER siginfo queued that way carries
 * no si_sys_private, so its dequeue re-arms no timer.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "restore.h"

/* include/linux/posix-timers.h */
#define CPUCLOCK_PERTHREAD_MASK	4
#define CPUCLOCK_CLOCK_MASK	3

static clockid_t make_cpuclock(pid_t pid, bool thread, int which)
{
	return (clockid_t)((~(unsigned int)pid) << 3) |
	       (thread ? CPUCLOCK_PERTHREAD_MASK : 0) | which;
}

/* A thread id of the image as it is now (--new-pid moves the leader's). */
static pid_t now_tid(const struct libckpt_image_task *t, uint32_t tid)
{
	return tid == t->rec.pid ? (pid_t)syscall(SYS_getpid) : (pid_t)tid;
}

/*
 * The clock to create @p on. A CPU clock keeps its encoding when the
 * leader can create it as it was made (pid 0: the process, or the leader's
 * own thread clock); another thread's own clock is named by its tid, so
 * /proc/PID/timers shows that tid instead of 0 (a documented limit).
 */
static clockid_t timer_clock(const struct libckpt_image_task *t,
			     const struct ckpt_posix_timer *p)
{
	bool thread = p->clock & CPUCLOCK_PERTHREAD_MASK;
	pid_t encoded = ~(p->clock >> 3);

	if (p->clock >= 0)
		return p->clock;
	if (!encoded && (!thread || p->clock_tid == t->rec.pid))
		return p->clock;
	return make_cpuclock(now_tid(t, p->clock_tid), thread,
			     p->clock & CPUCLOCK_CLOCK_MASK);
}

static struct timespec ns_ts(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000,
			       .tv_nsec = ns % 1000000000 };

	return ts;
}

/* Rounded up: a timer never fires before its time. */
static struct timeval ns_tv(uint64_t ns)
{
	uint64_t us = (ns + 999) / 1000;
	struct timeval tv = { .tv_sec = us / 1000000, .tv_usec = us % 1000000 };

	return tv;
}

/* Create a timer that takes id @id from the counter, and delete it. */
static int filler(const struct libckpt_image_task *t, int id, struct shared *e)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	int got = -1;

	if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &got))
		return fail(e, -errno, "pid %u: cannot create a timer to skip id %d: %s",
			    t->rec.pid, id, strerror(errno));
	syscall(SYS_timer_delete, got);
	if (got != id)
		return fail(e, -EEXIST, "pid %u: the timer id counter gave %d, not %d",
			    t->rec.pid, got, id);
	return 0;
}

static int create_timer(const struct libckpt_image_task *t,
			const struct ckpt_posix_timer *p, struct shared *e)
{
	struct sigevent sev;
	int got = -1;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = p->notify;
	sev.sigev_signo = p->signo;
	sev.sigev_value.sival_ptr = (void *)(uintptr_t)p->sigval;
	if (p->notify_tid)
		sev._sigev_un._tid = now_tid(t, p->notify_tid);
	if (syscall(SYS_timer_create, timer_clock(t, p), &sev, &got))
		return fail(e, -errno, "pid %u: cannot re-create POSIX timer %d: %s",
			    t->rec.pid, p->id, strerror(errno));
	if (got != p->id)
		return fail(e, -EEXIST, "pid %u: POSIX timer %d came back as %d",
			    t->rec.pid, p->id, got);
	return 0;
}

/* Every id below the counter, once: the image's timers keep theirs. */
static int create_timers(const struct libckpt_image_task *t, struct shared *e)
{
	const struct libckpt_image_timers *tm = t->timers;
	uint32_t i, next = 0;
	int ret = 0;

	for (i = 0; !ret && i < tm->rec.nr_posix; i++) {
		while (!ret && next < (uint32_t)tm->posix[i].id)
			ret = filler(t, (int)next++, e);
		if (!ret)
			ret = create_timer(t, &tm->posix[i], e);
		next++;
	}
	while (!ret && next < tm->rec.next_id)
		ret = filler(t, (int)next++, e);
	return ret;
}

/*
 * A signal the timer had queued: queued again, with the siginfo the
 * kernel's would carry (SI_TIMER, timer id, overrun, value).
 */
static int queue_pending(const struct libckpt_image_task *t,
			 const struct ckpt_posix_timer *p, struct shared *e)
{
	pid_t pid = (pid_t)syscall(SYS_getpid);
	siginfo_t si;
	long r;

	memset(&si, 0, sizeof(si));
	si.si_signo = p->signo;
	si.si_code = SI_TIMER;
	si.si_timerid = p->id;
	si.si_overrun = p->pending_overrun;
	si.si_value.sival_ptr = (void *)(uintptr_t)p->sigval;
	if (p->notify_tid)
		r = syscall(SYS_rt_tgsigqueueinfo, pid, now_tid(t, p->notify_tid),
			    p->signo, &si);
	else
		r = syscall(SYS_rt_sigqueueinfo, pid, p->signo, &si);
	if (r)
		return fail(e, -errno, "pid %u: cannot queue POSIX timer %d's pending signal: %s",
			    t->rec.pid, p->id, strerror(errno));
	return 0;
}

static int arm_itimers(const struct libckpt_image_task *t, struct shared *e)
{
	const struct ckpt_rec_timers *r = &t->timers->rec;
	int which;

	for (which = 0; which < CKPT_NR_ITIMERS; which++) {
		struct itimerval v = {
			.it_value = ns_tv(r->itimer[which].value_ns),
			.it_interval = ns_tv(r->itimer[which].interval_ns),
		};

		/* Disarmed: a fresh process's are; its interval cannot stay. */
		if (!r->itimer[which].value_ns)
			continue;
		if (syscall(SYS_setitimer, which, &v, NULL))
			return fail(e, -errno, "pid %u: cannot set interval timer %d: %s",
				    t->rec.pid, which, strerror(errno));
	}
	return 0;
}

static int arm_posix(const struct libckpt_image_task *t, struct shared *e)
{
	const struct libckpt_image_timers *tm = t->timers;
	uint32_t i;

	for (i = 0; i < tm->rec.nr_posix; i++) {
		const struct ckpt_posix_timer *p = &tm->posix[i];
		struct itimerspec its = {
			.it_value = ns_ts(p->value_ns),
			.it_interval = ns_ts(p->interval_ns),
		};
		int flags = (p->flags & CKPT_TIMER_ABSTIME) ? TIMER_ABSTIME : 0;

		/* Disarmed with an interval: the kernel keeps what it kept. */
		if (!p->value_ns && !p->interval_ns)
			continue;
		if (syscall(SYS_timer_settime, p->id, flags, &its, NULL))
			return fail(e, -errno, "pid %u: cannot arm POSIX timer %d: %s",
				    t->rec.pid, p->id, strerror(errno));
	}
	return 0;
}

/**
 * libckpt_rst_timers() - re-create the timers of the restoring process
 * @t: its image
 * @e: where a failure is recorded
 *
 * Called by the process itself, its threads created, every signal
 * blocked, right before RESTORE_MM.
 *
 * Return: 0 or the failure's negative errno.
 */
int libckpt_rst_timers(const struct libckpt_image_task *t, struct shared *e)
{
	uint32_t i;
	int ret;

	ret = create_timers(t, e);
	for (i = 0; !ret && i < t->timers->rec.nr_posix; i++)
		if (t->timers->posix[i].flags & CKPT_TIMER_PENDING)
			ret = queue_pending(t, &t->timers->posix[i], e);
	if (!ret)
		ret = arm_itimers(t, e);
	return ret ? ret : arm_posix(t, e);
}

/**
 * libckpt_rst_timer_pending() - signals a restored timer queues itself
 * @t: the task's image
 * @tid: a thread's id, or 0 for the process-wide pending set
 *
 * Return: the pending signals (bit signo - 1) the process queued again
 * with their siginfo (libckpt_rst_timers()): the controller does not send
 * them a second time.
 */
uint64_t libckpt_rst_timer_pending(const struct libckpt_image_task *t, uint32_t tid)
{
	uint64_t mask = 0;
	uint32_t i;

	for (i = 0; i < t->timers->rec.nr_posix; i++) {
		const struct ckpt_posix_timer *p = &t->timers->posix[i];

		if ((p->flags & CKPT_TIMER_PENDING) && p->notify_tid == tid)
			mask |= 1ULL << (p->signo - 1);
	}
	return mask;
}
