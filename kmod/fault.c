// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Fault injection for the selftests, driven by module parameters (root
 * only, mode 0600):
 *
 *   fault_mask      which injection points are armed (CKPT_FAULT_* bits)
 *   fault_nth       writing N arms a one-shot countdown: the Nth pass
 *                   through an armed point fails; 0 disarms. Reads give
 *                   what is left of the countdown (0 once it fired).
 *   fault_hits      passes through armed points since fault_nth was last
 *                   written (read-only)
 *   fault_injected  failures injected since the module was loaded
 *                   (read-only)
 *   fault_window_hits  passes through armed points made inside a freeze
 *                   window, with a parked target's mmap_lock held
 *                   (read-only): every allocation the module makes has
 *                   a point right before it, and none may be made there
 *                   (kmod/snap.c, "No allocation inside the freeze
 *                   window"), so this stays 0
 *
 * A test enumerates every point a request passes: for N = 1, 2, ... arm
 * fault_nth=N, run the request, and stop at the first N that injected
 * nothing (fault_hits < N). Each point is a one-line call site right before
 * an allocation or a write; the caller's ordinary error path does the rest.
 *
 * One more parameter stops instead of failing, independent of fault_mask:
 *
 *   fault_sb_pause  writing N > 0 makes the Nth area superblock update
 *                   from then on stop after its first copy is on disk,
 *                   until fault_sb_pause is written again, the stopped
 *                   task gets a fatal signal or SB_PAUSE_MAX passes;
 *                   0 disarms. Reads give the updates left before the
 *                   stop, 0 once it stopped.
 *
 * The crash test resets the machine in that window: the only way to leave
 * the two copies holding different states, which is what a crash in the
 * middle of an update does.
 *
 * One widens the two-phase freeze's window (kmod/prepass.c):
 *
 *   fault_prepass_delay_ms  a freeze sleeps this long (killable) between
 *                   its pre-pass over the running group's memory and the
 *                   park; 0 (the default) disarms
 *
 * And one slows a restore down, also independent of fault_mask:
 *
 *   fault_fill_delay_ms  a restoring process sleeps this long (killable)
 *                   after each MiB of memory it fills from the image; 0
 *                   (the default) disarms. Below restore_stall_s it makes
 *                   a slow restore that keeps progressing, above it one
 *                   that stalls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sysfs.h>
#include <linux/wait.h>

#include "fault.h"

unsigned int ckpt_fault_mask;
module_param_named(fault_mask, ckpt_fault_mask, uint, 0600);
MODULE_PARM_DESC(fault_mask,
		 "Armed fault injection points: 1 freeze, 2 snapshot, 4 writer, 8 area memory, 16 area I/O");

/*
 * Injection points run concurrently (freezes, writer kthreads), so the
 * counters are atomics rather than state under a lock: a pass costs one
 * increment and one atomic_dec_if_positive().
 */
static atomic_t countdown = ATOMIC_INIT(0);	/* passes left until the failure */
static atomic_t hits = ATOMIC_INIT(0);		/* passes since fault_nth was set */
static atomic_t injected = ATOMIC_INIT(0);	/* failures since load */
static atomic_t window_hits = ATOMIC_INIT(0);	/* passes inside a window */
/* The task inside a freeze window: freezes are serialized (freeze.c). */
static struct task_struct *window_task;

/**
 * ckpt_fault_window() - mark the caller as inside or outside a freeze
 *	window (a parked target's mmap_lock held for writing)
 * @in: entering or leaving
 */
void ckpt_fault_window(bool in)
{
	WRITE_ONCE(window_task, in ? current : NULL);
}

/**
 * ckpt_fault_fire() - count a pass through an armed point; fail the Nth
 * @point: the CKPT_FAULT_* bit (for the log)
 *
 * Return: true exactly once per arming of fault_nth.
 */
bool ckpt_fault_fire(unsigned int point)
{
	atomic_inc(&hits);
	if (READ_ONCE(window_task) == current) {
		atomic_inc(&window_hits);
		pr_warn_once("allocation inside a freeze window at point %#x\n",
			     point);
	}
	/* Reaches 0 on the Nth pass; never goes below 0. */
	if (atomic_dec_if_positive(&countdown) != 0)
		return false;
	atomic_inc(&injected);
	pr_debug("injected a failure at point %#x\n", point);
	return true;
}

static int nth_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	atomic_set(&hits, 0);
	atomic_set(&countdown, n);
	return 0;
}

static int atomic_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read((atomic_t *)kp->arg));
}

static const struct kernel_param_ops nth_ops = {
	.set = nth_set,
	.get = atomic_get,
};

/* A read-only counter parameter over an atomic_t (also prepass.c's). */
const struct kernel_param_ops ckpt_counter_param_ops = {
	.get = atomic_get,
};

module_param_cb(fault_nth, &nth_ops, &countdown, 0600);
MODULE_PARM_DESC(fault_nth,
		 "Fail the Nth pass through an armed point, once (0: off)");
module_param_cb(fault_hits, &ckpt_counter_param_ops, &hits, 0400);
MODULE_PARM_DESC(fault_hits, "Passes through armed points since fault_nth was set");
module_param_cb(fault_injected, &ckpt_counter_param_ops, &injected, 0400);
MODULE_PARM_DESC(fault_injected, "Failures injected since the module was loaded");
module_param_cb(fault_window_hits, &ckpt_counter_param_ops, &window_hits, 0400);
MODULE_PARM_DESC(fault_window_hits,
		 "Passes through armed points inside a freeze window (must stay 0)");

/*
 * Bounded, so that a forgotten pause cannot keep a writer (and with it the
 * module) forever: the writer kthread never gets the fatal signal that
 * ends a pause in a caller's context.
 */
#define SB_PAUSE_MAX	(300 * HZ)

static atomic_t sb_pause_countdown = ATOMIC_INIT(0);
static atomic_t sb_pause_epoch = ATOMIC_INIT(0);	/* bumped by every write */
static DECLARE_WAIT_QUEUE_HEAD(sb_pause_wq);

/**
 * ckpt_fault_sb_pause() - stop a superblock update between its two copies
 *
 * Called after the first copy is flushed. One load and a branch while
 * fault_sb_pause is 0.
 */
void ckpt_fault_sb_pause(void)
{
	int epoch;

	if (likely(!atomic_read(&sb_pause_countdown)))
		return;
	epoch = atomic_read(&sb_pause_epoch);
	if (atomic_dec_if_positive(&sb_pause_countdown) != 0)
		return;
	pr_info("superblock update stopped after its first copy (fault_sb_pause)\n");
	wait_event_killable_timeout(sb_pause_wq,
				    atomic_read(&sb_pause_epoch) != epoch,
				    SB_PAUSE_MAX);
}

static int sb_pause_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	atomic_set(&sb_pause_countdown, n);
	atomic_inc(&sb_pause_epoch);
	wake_up_all(&sb_pause_wq);
	return 0;
}

static const struct kernel_param_ops sb_pause_ops = {
	.set = sb_pause_set,
	.get = atomic_get,
};

module_param_cb(fault_sb_pause, &sb_pause_ops, &sb_pause_countdown, 0600);
MODULE_PARM_DESC(fault_sb_pause,
		 "Stop the Nth superblock update after its first copy, until written again (0: off)");

/*
 * A test's sleep at one point of a freeze or restore: one load and a
 * branch while its parameter is 0; a fatal signal ends it.
 */
static void delay_param_ms(const unsigned int *param)
{
	unsigned int ms = READ_ONCE(*param);

	if (likely(!ms))
		return;
	schedule_timeout_killable(msecs_to_jiffies(ms));
}

static unsigned int prepass_delay_ms;
module_param_named(fault_prepass_delay_ms, prepass_delay_ms, uint, 0600);
MODULE_PARM_DESC(fault_prepass_delay_ms,
		 "Sleep this long between a freeze's pre-pass and its park (0: off)");

/**
 * ckpt_fault_prepass_delay() - widen the window between the pre-pass and
 *	the park, so a test's workload surely writes in it
 *
 * In the freezing task's context.
 */
void ckpt_fault_prepass_delay(void)
{
	delay_param_ms(&prepass_delay_ms);
}

static unsigned int fill_delay_ms;
module_param_named(fault_fill_delay_ms, fill_delay_ms, uint, 0600);
MODULE_PARM_DESC(fault_fill_delay_ms,
		 "Sleep this long after each MiB a restore fills (0: off)");

/**
 * ckpt_fault_fill_delay() - slow a restore's fill down, as a slow disk would
 *
 * Called after each MiB filled, in the restoring task's context.
 */
void ckpt_fault_fill_delay(void)
{
	delay_param_ms(&fill_delay_ms);
}
