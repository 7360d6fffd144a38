// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: process states beyond a running process. The zombies
 * of the image are made by their restoring parent: a child with the
 * zombie's pid that takes its group, credentials and name and exits with
 * its status, before any process of the image runs. The queued signals of
 * a restoring process are queued again by the process itself, with their
 * siginfo, with every signal blocked, right before it asks for its memory.
 *
 * Kernel behaviour relied on (6.1): a process may queue itself any
 * siginfo (do_rt_sigqueueinfo() and do_rt_tgsigqueueinfo() refuse
 * si_code >= 0 or SI_TKILL only for another process), and queueing one
 * that way keeps si_pid and si_uid as given (send_signal_locked() changes
 * them only across user or pid namespaces); a SIGCHLD whose disposition is
 * SIG_DFL and which is not blocked is discarded at once (sig_ignored()),
 * and a child of a parent without SA_NOCLDWAIT or SIG_IGN for SIGCHLD
 * stays a zombie (do_notify_parent()); a dead child's wait status is its
 * group exit code, and a fatal signal that does not dump core gives the
 * bare signal number (do_coredump() gives up on a non-dumpable mm).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "restore.h"

/* --- zombies ------------------------------------------------------------- */

/* A zombie that joins a group it does not lead waits for every process. */
static bool joins_late(const struct ckpt_rec_zombie *z)
{
	return z->pgid != z->pid;
}

/* The zombie's own short life; it never returns. */
__attribute__((noreturn)) static void zombie_main(const struct tree *tr, size_t zi)
{
	const struct ckpt_rec_zombie *z = &tr->zombies[zi];
	struct shared *e = tr->e;
	struct sigaction sa = { .sa_handler = SIG_DFL };
	char comm[sizeof(z->comm) + 1];
	sigset_t set;
	int sig;

	if (z->pgid == z->pid && setpgid(0, 0)) {
		fail(e, -errno, "zombie %u cannot start its process group: %s",
		     z->pid, strerror(errno));
		_exit(126);
	}
	if (joins_late(z)) {
		if (wait_count(e, &e->created, (int)tr->n, "every process to be created"))
			_exit(126);
		if (getpgid(0) != (pid_t)z->pgid && setpgid(0, z->pgid)) {
			fail(e, -errno, "zombie %u cannot join process group %u: %s",
			     z->pid, z->pgid, strerror(errno));
			_exit(126);
		}
	}
	if (setresgid(z->gid, z->egid, z->sgid) || setresuid(z->uid, z->euid, z->suid)) {
		fail(e, -EPERM, "zombie %u cannot take uid %u gid %u: %s", z->pid,
		     z->uid, z->gid, strerror(errno));
		_exit(126);
	}
	setfsgid(z->fsgid);
	setfsuid(z->fsuid);
	memcpy(comm, z->comm, sizeof(z->comm));
	comm[sizeof(z->comm)] = '\0';
	prctl(PR_SET_NAME, comm, 0, 0, 0);
	if ((z->status & 0x7f) == 0)
		_exit((int)(z->status >> 8));
	/* Killed by a signal: the same one, with its default action. */
	sig = (int)(z->status & 0x7f);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);	/* no core: see the top */
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	kill(getpid(), sig);
	fail(e, -EINVAL, "zombie %u survived its signal %d", z->pid, sig);
	_exit(126);
}

static pid_t clone_zombie(const struct tree *tr, uint32_t pid)
{
	pid_t want = (pid_t)pid;
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&want,
		.set_tid_size = 1,
	};

	if (tr->o->new_pid)
		return fork();
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/**
 * libckpt_rst_spawn_zombies() - make the zombies whose parent is task @i
 * @tr: the plan; called in the restoring process of task @i
 * @i: the parent
 *
 * Its SIGCHLD is made SIG_DFL and unblocked first, so the deaths queue
 * nothing (the image's disposition and mask come later) and reap nothing.
 * Returns 0 or the failure.
 */
int libckpt_rst_spawn_zombies(struct tree *tr, size_t i)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	uint32_t pid = tr->plans[i].task->rec.pid;
	sigset_t set;
	size_t zi;
	pid_t z;

	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	for (zi = 0; zi < tr->nr_zombies; zi++) {
		if (tr->zombies[zi].ppid != pid)
			continue;
		z = clone_zombie(tr, tr->zombies[zi].pid);
		if (z == 0)
			zombie_main(tr, zi);
		if (z < 0)
			return fail(tr->e, -errno, errno == EEXIST ?
				    "pid %u (a zombie) is taken: kill its owner, or restore with --pidns" :
				    "cannot create zombie %u: %s", tr->zombies[zi].pid,
				    strerror(errno));
		tr->zpids[zi] = z;
	}
	return 0;
}

/**
 * libckpt_rst_wait_zombies() - wait until task @i's zombies are dead
 * @tr: the plan; called in the restoring process of task @i
 * @i: the parent
 * @late: the zombies that join another process's group (after every
 *	process exists), or the others
 *
 * Waits with WNOWAIT: they stay zombies for the restored program to wait
 * for. Returns 0 or the failure.
 */
int libckpt_rst_wait_zombies(struct tree *tr, size_t i, bool late)
{
	uint32_t pid = tr->plans[i].task->rec.pid;
	siginfo_t si;
	size_t zi;

	for (zi = 0; zi < tr->nr_zombies; zi++) {
		if (tr->zombies[zi].ppid != pid || joins_late(&tr->zombies[zi]) != late)
			continue;
		memset(&si, 0, sizeof(si));
		while (waitid(P_PID, (id_t)tr->zpids[zi], &si, WEXITED | WNOWAIT)) {
			if (errno != EINTR)
				return fail(tr->e, -errno, "zombie %u was lost: %s",
					    tr->zombies[zi].pid, strerror(errno));
		}
		if (failed(tr->e))
			return failed(tr->e);
	}
	return 0;
}

/* --- queued signals ------------------------------------------------------ */

static int32_t signo_of(const struct ckpt_siginfo *si)
{
	int32_t sig;

	memcpy(&sig, si->info, sizeof(sig));
	return sig;
}

/* SIGKILL and SIGSTOP cannot wait blocked: the controller sends them. */
static bool queued_here(int32_t sig)
{
	return sig != SIGKILL && sig != SIGSTOP;
}

/**
 * libckpt_rst_signals_queued() - the signals libckpt_rst_signals() queues
 *	again in one queue, with their siginfo
 * @t: the process
 * @tid: 0 for its process-wide queue, else a thread's
 *
 * Return: the set, bit n-1 for signal n.
 */
uint64_t libckpt_rst_signals_queued(const struct libckpt_image_task *t, uint32_t tid)
{
	uint64_t set = 0;
	uint32_t i;
	int32_t sig;

	for (i = 0; t->signals && i < t->signals->rec.nr_siginfo; i++) {
		sig = signo_of(&t->signals->siginfo[i]);
		if (t->signals->siginfo[i].tid == tid && queued_here(sig))
			set |= 1ULL << (sig - 1);
	}
	return set;
}

static void to_siginfo(const struct ckpt_siginfo *q, siginfo_t *si)
{
	memset(si, 0, sizeof(*si));
	memcpy(si, q->info, sizeof(q->info));
}

/**
 * libckpt_rst_thread_signals() - the queued signals of a secondary thread
 * @t: the process
 * @tid: the thread
 * @n: receives their number
 *
 * Only the thread itself may queue a siginfo with si_code >= 0 or SI_TKILL
 * to its own queue (do_rt_tgsigqueueinfo()): it queues them all, in order,
 * when it starts (thread_main() in restore_proc.c).
 *
 * Return: a malloc'd array (never freed: the restored memory replaces
 * it), or NULL without memory.
 */
siginfo_t *libckpt_rst_thread_signals(const struct libckpt_image_task *t, uint32_t tid,
				      size_t *n)
{
	siginfo_t *v = calloc(t->signals ? t->signals->rec.nr_siginfo + 1 : 1, sizeof(*v));
	const struct ckpt_siginfo *q;
	uint32_t i;

	*n = 0;
	for (i = 0; v && t->signals && i < t->signals->rec.nr_siginfo; i++) {
		q = &t->signals->siginfo[i];
		if (q->tid == tid && queued_here(signo_of(q)))
			to_siginfo(q, &v[(*n)++]);
	}
	return v;
}

/**
 * libckpt_rst_signals() - queue the process's signals again, in their order
 * @t: the process (the caller, every thread made, every signal blocked)
 * @e: where a failure is told
 *
 * The process-wide queue and the leader's own; the other threads queued
 * theirs (libckpt_rst_thread_signals()). Raw system calls only: this runs
 * after place_vdso().
 *
 * Return: 0 or the failure.
 */
int libckpt_rst_signals(const struct libckpt_image_task *t, struct shared *e)
{
	pid_t me = (pid_t)syscall(SYS_getpid);
	const struct ckpt_siginfo *q;
	siginfo_t si;
	uint32_t i;
	int32_t sig;
	long ret;

	for (i = 0; t->signals && i < t->signals->rec.nr_siginfo; i++) {
		q = &t->signals->siginfo[i];
		sig = signo_of(q);
		if (!queued_here(sig) || (q->tid && q->tid != t->rec.pid))
			continue;
		to_siginfo(q, &si);
		if (!q->tid)
			ret = syscall(SYS_rt_sigqueueinfo, me, sig, &si);
		else
			ret = syscall(SYS_rt_tgsigqueueinfo, me, me, sig, &si);
		if (ret)
			return fail(e, -errno, "pid %u: cannot queue signal %d again (thread %u): %s",
				    t->rec.pid, sig, q->tid, strerror(errno));
	}
	return 0;
}
