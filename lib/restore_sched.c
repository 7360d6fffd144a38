// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: how the kernel schedules and judges a restored process —
 * each thread's policy, real-time priority, nice value, CPU affinity, I/O
 * priority and timer slack, the process's OOM score adjustment and core
 * dump filter.
 *
 * The controller sets the scheduling of every thread once all of them
 * are parked with their memory in place (by tid: the calls reach another
 * process's threads with CAP_SYS_NICE, which a restoring process gives up
 * with the image's credentials, and a thread's scheduling does not leak
 * into the threads it creates meanwhile). The OOM score and the dump
 * filter are written by each process itself, before it takes the image's
 * credentials: lowering oom_score_adj below what it inherited asks for
 * CAP_SYS_RESOURCE (6.1 fs/proc/base.c __set_oom_adj()).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* <linux/ioprio.h> of this era is not for user space: ioprio_set(2)'s "which". */
#define IOPRIO_WHO_PROCESS	1

#include "restore.h"

/*
 * Write @v to @path unless it holds it already (read in @base): a restoring process may
 * not open its own /proc files for writing (a non-dumpable one's belong
 * to root), and an unprivileged restore then fails only where a value
 * really has to change.
 */
int libckpt_rst_write_proc(const char *path, const char *fmt, int base, long v)
{
	char text[32], now[32] = "";
	ssize_t got;
	int fd, n, err = 0;

	n = snprintf(text, sizeof(text), fmt, v);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		got = read(fd, now, sizeof(now) - 1);
		close(fd);
		if (got > 0 && strtol(now, NULL, base) == v)
			return 0;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n)
		err = -errno;
	close(fd);
	return err;
}

/* Run by the restoring process itself, before it takes the image's credentials. */
int libckpt_rst_oom_and_dump(const struct libckpt_image_task *t, struct shared *e)
{
	const struct ckpt_rec_identity *id = &t->ident->rec;
	int ret;

	ret = libckpt_rst_write_proc("/proc/self/oom_score_adj", "%ld", 10, id->oom_score_adj);
	if (ret)
		return fail(e, ret, "pid %u: cannot set its oom_score_adj to %d: %s",
			    t->rec.pid, id->oom_score_adj, strerror(-ret));
	/* The kernel reads it with kstrtouint(..., 0): hex needs its 0x. */
	ret = libckpt_rst_write_proc("/proc/self/coredump_filter", "0x%lx", 16,
			 (long)id->coredump_filter);
	if (ret)
		return fail(e, ret, "pid %u: cannot set its coredump_filter to 0x%x: %s",
			    t->rec.pid, id->coredump_filter, strerror(-ret));
	return 0;
}

static int thread_sched(pid_t pid, pid_t tid, const struct ckpt_thread_identity *id,
			struct shared *e)
{
	struct sched_param sp = { .sched_priority = (int)id->rt_priority };
	int policy = (int)id->policy;
	cpu_set_t cpus;
	unsigned int cpu;

	CPU_ZERO(&cpus);
	for (cpu = 0; cpu < CKPT_AFFINITY_WORDS * 64 && cpu < CPU_SETSIZE; cpu++)
		if (id->affinity[cpu / 64] & (1ULL << (cpu % 64)))
			CPU_SET(cpu, &cpus);
	if (id->flags & CKPT_TID_RESET_ON_FORK)
		policy |= SCHED_RESET_ON_FORK;
	/*
	 * After the thread set its own timer slack: a real-time policy
	 * zeroes it, as it did the original's, and a fair one keeps it
	 * (6.1 __setscheduler_params(); PR_SET_TIMERSLACK is ignored for a
	 * real-time thread).
	 */
	if (sched_setscheduler(tid, policy, &sp))
		return fail(e, -errno, "pid %d thread %d: cannot take scheduling policy %u priority %u: %s",
			    pid, tid, id->policy, id->rt_priority, strerror(errno));
	if (setpriority(PRIO_PROCESS, (id_t)tid, id->nice))
		return fail(e, -errno, "pid %d thread %d: cannot take nice %d: %s",
			    pid, tid, id->nice, strerror(errno));
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, tid, (int)id->ioprio))
		return fail(e, -errno, "pid %d thread %d: cannot take I/O priority 0x%x: %s",
			    pid, tid, id->ioprio, strerror(errno));
	if (sched_setaffinity(tid, sizeof(cpus), &cpus))
		return fail(e, -errno, "pid %d thread %d: cannot keep its CPU affinity (%d CPUs from %d; does this machine have them?): %s",
			    pid, tid, CPU_COUNT(&cpus), id->affinity[0] ? __builtin_ctzll(id->affinity[0]) : -1,
			    strerror(errno));
	return 0;
}

/* Every thread of the tree, parked: its scheduling as recorded. */
int libckpt_rst_sched(const struct tree *tr)
{
	size_t i;
	uint32_t k;
	int ret = 0;

	for (i = 0; !ret && i < tr->n; i++) {
		const struct libckpt_image_task *t = tr->plans[i].task;
		pid_t pid = tr->e->pids[i];

		for (k = 0; !ret && k < t->rec.nr_threads; k++)
			ret = thread_sched(pid, k ? (pid_t)t->threads[k].rec.tid : pid,
					   &t->ident->threads[k], tr->e);
	}
	return ret;
}
