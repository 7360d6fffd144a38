// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Process-wide state of a parked process: credentials and capabilities,
 * resource limits, signal dispositions and process-wide pending signals,
 * umask, working and root directories, executable; and its identity: the
 * prctl() state it can read back, its saved auxv, its threads' names.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/iocontext.h>
#include <linux/ioprio.h>
#include <linux/mm.h>
#include <linux/netlink.h>
#include <linux/path.h>
#include <linux/pkeys.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/user_namespace.h>
#include <linux/ckpt_image.h>

#include "env.h"
#include "group.h"
#include "proc.h"
#include "pstate.h"
#include "snap.h"

static u64 cap64(kernel_cap_t c)
{
	/* 6.1: kernel_cap_t is two u32 words (_KERNEL_CAPABILITY_U32S). */
	return ((u64)c.cap[1] << 32) | c.cap[0];
}

static void capture_creds(struct task_struct *p, struct ckpt_rec_proc *rec,
			  u32 **groups)
{
	struct user_namespace *ns = current_user_ns();
	const struct cred *cred = get_task_cred(p);
	struct group_info *gi = cred->group_info;
	int i;

	rec->uid = from_kuid_munged(ns, cred->uid);
	rec->euid = from_kuid_munged(ns, cred->euid);
	rec->suid = from_kuid_munged(ns, cred->suid);
	rec->fsuid = from_kuid_munged(ns, cred->fsuid);
	rec->gid = from_kgid_munged(ns, cred->gid);
	rec->egid = from_kgid_munged(ns, cred->egid);
	rec->sgid = from_kgid_munged(ns, cred->sgid);
	rec->fsgid = from_kgid_munged(ns, cred->fsgid);
	rec->cap_inheritable = cap64(cred->cap_inheritable);
	rec->cap_permitted = cap64(cred->cap_permitted);
	rec->cap_effective = cap64(cred->cap_effective);
	rec->cap_bset = cap64(cred->cap_bset);
	rec->cap_ambient = cap64(cred->cap_ambient);
	rec->securebits = cred->securebits;
	*groups = kcalloc(max(gi->ngroups, 1), sizeof(u32), GFP_KERNEL);
	if (*groups) {
		rec->nr_groups = gi->ngroups;
		for (i = 0; i < gi->ngroups; i++)
			(*groups)[i] = from_kgid_munged(ns, gi->gid[i]);
	}
	put_cred(cred);
}

static void capture_signals(struct task_struct *p, struct ckpt_rec_proc *rec)
{
	struct sighand_struct *sighand = p->sighand;
	int i;

	spin_lock_irq(&sighand->siglock);
	for (i = 0; i < CKPT_NSIG && i < _NSIG; i++) {
		struct sigaction *sa = &sighand->action[i].sa;

		rec->sigaction[i].handler = (unsigned long)sa->sa_handler;
		rec->sigaction[i].flags = sa->sa_flags;
		rec->sigaction[i].restorer = (unsigned long)sa->sa_restorer;
		rec->sigaction[i].mask = sa->sa_mask.sig[0];
	}
	/*
	 * Stopped by job control, or on its way (a group stop some threads
	 * have yet to join: group_stop_count, kernel/signal.c 6.1): restore
	 * stops it again.
	 */
	if ((p->signal->flags & SIGNAL_STOP_STOPPED) ||
	    p->signal->group_stop_count)
		rec->flags |= CKPT_PROC_STOPPED;
	spin_unlock_irq(&sighand->siglock);
}

static void capture_rlimits(struct task_struct *p, struct ckpt_rec_proc *rec)
{
	int i;

	BUILD_BUG_ON(RLIM_NLIMITS > CKPT_RLIM_NLIMITS);
	/* Limits are protected by the group leader's task_lock. */
	task_lock(p->group_leader);
	for (i = 0; i < RLIM_NLIMITS; i++) {
		rec->rlim[i].cur = p->signal->rlim[i].rlim_cur;
		rec->rlim[i].max = p->signal->rlim[i].rlim_max;
	}
	task_unlock(p->group_leader);
}

/* Working and root directories and umask; false if the task has no fs. */
static bool get_fs(struct task_struct *p, struct path *pwd, struct path *root,
		   u32 *umask)
{
	struct fs_struct *fs;

	task_lock(p);
	fs = p->fs;
	if (fs) {
		get_fs_pwd(fs, pwd);
		get_fs_root(fs, root);
		*umask = fs->umask;
	}
	task_unlock(p);
	return fs;
}

static struct file *get_exe(struct mm_struct *mm)
{
	struct file *exe;

	rcu_read_lock();
	exe = rcu_dereference(mm->exe_file);
	if (exe && !get_file_rcu(exe))
		exe = NULL;
	rcu_read_unlock();
	return exe;
}

/* d_path into @buf; the result points into @buf or is an ERR_PTR. */
static const char *path_of(const struct path *path, char *buf)
{
	return d_path(path, buf, PATH_MAX);
}

/*
 * d_path() appends " (deleted)" to the path of a removed directory (6.1
 * fs/d_path.c); the record keeps the path it had and a flag. @path points
 * into @buf, whose end it shares.
 */
static void strip_deleted(char *buf, const char *path)
{
	static const char suffix[] = " (deleted)";
	size_t len = strlen(path);

	if (len >= sizeof(suffix) && !strcmp(path + len - sizeof(suffix) + 1, suffix))
		buf[path - buf + len - sizeof(suffix) + 1] = '\0';
}

/**
 * ckpt_proc_capture() - record the process-wide state of a parked process
 * @ts: the process; @ts->mm is referenced
 * @shared: receives the siginfo of its process-wide queued signals, taken
 *	with PROC's shared_pending (free with ckpt_pstate_sigq_free())
 * @extack: receives the reason on failure
 *
 * Return: 0 or a negative errno.
 */
int ckpt_proc_capture(struct ckpt_task_snap *ts, struct ckpt_sigq *shared,
		      struct netlink_ext_ack *extack)
{
	struct task_struct *p = ts->task;
	const char *cwd, *root, *exe_path = "";
	struct ckpt_rec_proc *rec;
	struct path pwd_path, root_path;
	struct file *exe;
	u32 *groups = NULL;
	char *bufs;
	int ret;

	rec = kzalloc(sizeof(*rec), GFP_KERNEL);
	bufs = kmalloc(3 * PATH_MAX, GFP_KERNEL);
	if (!rec || !bufs) {
		ret = -ENOMEM;
		goto out_free;
	}
	capture_creds(p, rec, &groups);
	if (!groups) {
		ret = -ENOMEM;
		goto out_free;
	}
	capture_signals(p, rec);
	ret = ckpt_pstate_capture_queue(p->sighand, &p->signal->shared_pending,
					0, &rec->shared_pending, shared);
	if (ret) {
		ckpt_err_set(extack, ts->rec.pid, 0,
			     ret == -E2BIG ? "too many queued signals" :
			     "cannot record the queued signals");
		goto out_free;
	}
	capture_rlimits(p, rec);
	rec->personality = p->personality;
	if (!get_fs(p, &pwd_path, &root_path, &rec->umask)) {
		ckpt_err_set(extack, ts->rec.pid, 0, "process has no filesystem context");
		ret = -ESRCH;
		goto out_free;
	}
	cwd = path_of(&pwd_path, bufs);
	/* Removed, hence empty: the restore makes an empty one and removes it. */
	if (d_unlinked(pwd_path.dentry) && !IS_ERR(cwd)) {
		rec->flags |= CKPT_PROC_CWD_DELETED;
		strip_deleted(bufs, cwd);
	}
	root = path_of(&root_path, bufs + PATH_MAX);
	path_put(&pwd_path);
	path_put(&root_path);
	exe = get_exe(ts->mm);
	if (exe) {
		exe_path = path_of(&exe->f_path, bufs + 2 * PATH_MAX);
		fput(exe);
	}
	if (IS_ERR(cwd) || IS_ERR(root) || IS_ERR(exe_path)) {
		ckpt_err_set(extack, ts->rec.pid, 0,
			     "working, root or executable path is too long");
		ret = -ENAMETOOLONG;
		goto out_free;
	}
	rec->cwd_len = strlen(cwd);
	rec->root_len = strlen(root);
	rec->exe_len = strlen(exe_path);
	{
		struct kvec parts[] = {
			{ rec, sizeof(*rec) },
			{ groups, rec->nr_groups * sizeof(u32) },
			{ (void *)cwd, rec->cwd_len },
			{ (void *)root, rec->root_len },
			{ (void *)exe_path, rec->exe_len },
		};

		ret = ckpt_buf_put(&ts->proc, CKPT_REC_PROC, parts,
				   ARRAY_SIZE(parts));
	}
out_free:
	kfree(groups);
	kfree(bufs);
	kfree(rec);
	return ret;
}

/**
 * ckpt_proc_sched_refusal() - why a thread's scheduling or a process's
 *	exit signal cannot be restored
 * @t: the thread (parked, or under rcu_read_lock())
 *
 * SCHED_DEADLINE's runtime, deadline and period are not recorded, nor
 * is a memory policy (set only by the thread itself or at its creation,
 * 6.1 mm/mempolicy.c do_set_mempolicy(); freed at exit). A
 * process's exit signal (clone()'s, sent to its parent at its death) is
 * set only at its creation, and a restore creates every process with
 * SIGCHLD.
 *
 * Return: the reason, or NULL.
 */
const char *ckpt_proc_sched_refusal(struct task_struct *t)
{
	if (READ_ONCE(t->policy) == SCHED_DEADLINE)
		return "SCHED_DEADLINE thread: not supported";
#ifdef CONFIG_NUMA
	if (READ_ONCE(t->mempolicy))
		return "thread has a memory policy (set_mempolicy): not supported";
#endif
	if (thread_group_leader(t) && READ_ONCE(t->exit_signal) != SIGCHLD)
		return "process has an exit signal other than SIGCHLD (clone()): not supported";
	return NULL;
}

static bool same_groups(const struct group_info *a, const struct group_info *b)
{
	int i;

	if (a == b)
		return true;
	if (a->ngroups != b->ngroups)
		return false;
	for (i = 0; i < a->ngroups; i++)
		if (!gid_eq(a->gid[i], b->gid[i]))
			return false;
	return true;
}

static bool caps_equal(kernel_cap_t a, kernel_cap_t b)
{
	return cap_issubset(a, b) && cap_issubset(b, a);
}

static bool same_creds(const struct cred *a, const struct cred *b)
{
	return a == b ||
	       (uid_eq(a->uid, b->uid) && uid_eq(a->euid, b->euid) &&
		uid_eq(a->suid, b->suid) && uid_eq(a->fsuid, b->fsuid) &&
		gid_eq(a->gid, b->gid) && gid_eq(a->egid, b->egid) &&
		gid_eq(a->sgid, b->sgid) && gid_eq(a->fsgid, b->fsgid) &&
		a->securebits == b->securebits &&
		caps_equal(a->cap_inheritable, b->cap_inheritable) &&
		caps_equal(a->cap_permitted, b->cap_permitted) &&
		caps_equal(a->cap_effective, b->cap_effective) &&
		caps_equal(a->cap_bset, b->cap_bset) &&
		caps_equal(a->cap_ambient, b->cap_ambient) &&
		same_groups(a->group_info, b->group_info));
}

#define CRED_WHY \
	"thread's credentials (ids, capabilities, securebits, groups) " \
	"differ from its process's first thread's: not supported"

/**
 * ckpt_proc_cred_refusal() - why a thread's credentials cannot be restored
 * @t: the thread (parked, or under rcu_read_lock())
 *
 * The image keeps one set of credentials per process, its first thread's,
 * and the restore gives it to every thread. Credentials are per thread
 * (capset(), PR_CAPBSET_DROP, PR_CAP_AMBIENT and a raw setresuid() change
 * only the caller's), so a thread whose own differ is refused rather than
 * restored with its leader's. Called under RCU: __task_cred().
 *
 * Return: the reason, or NULL.
 */
const char *ckpt_proc_cred_refusal(struct task_struct *t)
{
	const char *why = NULL;

	if (thread_group_leader(t))
		return NULL;
	rcu_read_lock();
	if (!same_creds(__task_cred(t), __task_cred(t->group_leader)))
		why = CRED_WHY;
	rcu_read_unlock();
	return why;
}

#ifdef CONFIG_KEYS
/*
 * A keyring's keys are its assoc_array's leaves (security/keys/keyring.c);
 * the count is read once, racing with key links as any reader does.
 */
static bool session_keys_differ(const struct cred *its, const struct cred *mine)
{
	const struct key *k = its->session_keyring;

	return k && k != mine->session_keyring &&
	       READ_ONCE(k->keys.nr_leaves_on_tree);
}
#endif

/**
 * ckpt_proc_kernel_state_refusal() - why a thread holds kernel state the
 *	image does not carry
 * @t: the thread (parked, or under rcu_read_lock())
 *
 * A process or thread keyring (keyctl(), 6.1
 * security/keys/process_keys.c) lives in the credentials and would be
 * lost. The session keyring is the restorer's at restore, as the caller's
 * stands for it (ckpt_env_capture()): one that is not the caller's and
 * holds keys would lose them. Namespaces: ckpt_env_refusal(). System V
 * semaphore undo entries are judged by the parked thread itself
 * (ckpt_sysv_sem_undo_held()). Called under RCU: __task_cred().
 *
 * Return: the reason, or NULL.
 */
const char *ckpt_proc_kernel_state_refusal(struct task_struct *t)
{
	const char *why = NULL;

#ifdef CONFIG_KEYS
	rcu_read_lock();
	if (__task_cred(t)->process_keyring || __task_cred(t)->thread_keyring)
		why = "process or thread keyring (keyctl): not supported";
	else if (session_keys_differ(__task_cred(t), current_cred()))
		why = "session keyring with keys, not the caller's (keyctl join): not supported";
	rcu_read_unlock();
#endif
	if (!why)
		why = ckpt_env_refusal(t);
#ifdef CONFIG_GENERIC_ENTRY
	/* Its selector and range live in task->syscall_dispatch. */
	if (!why && test_task_syscall_work(t, SYSCALL_USER_DISPATCH))
		why = "syscall user dispatch (PR_SET_SYSCALL_USER_DISPATCH): not supported";
#endif
	return why;
}

/**
 * ckpt_proc_seccomp_refusal() - why a thread cannot be checkpointed because
 *	of seccomp
 * @t: the thread (its own context, parked, or under rcu_read_lock())
 *
 * A filter lives in kernel memory (BPF programs, possibly shared with
 * other processes and with listener descriptors); none is captured, and a
 * sandboxed process must never come back without its filter. The mode
 * only ever goes from disabled to strict or filter, for the thread itself
 * or through a sibling's SECCOMP_FILTER_FLAG_TSYNC (kernel/seccomp.c): a
 * parked group cannot change it.
 *
 * Return: the reason, or NULL.
 */
const char *ckpt_proc_seccomp_refusal(struct task_struct *t)
{
#ifdef CONFIG_SECCOMP
	switch (READ_ONCE(t->seccomp.mode)) {
	case SECCOMP_MODE_DISABLED:
		return NULL;
	case SECCOMP_MODE_STRICT:
		return "seccomp strict mode: not supported";
	default:
		return "seccomp filter: not supported";
	}
#else
	return NULL;
#endif
}

/*
 * A thread's scheduling (current, or a thread stopped by job control):
 * policy, nice, real-time priority, timer slack, affinity and I/O
 * priority. Other tasks may change them meanwhile (sched_setscheduler(),
 * setpriority(), sched_setaffinity() on its tid, each under the runqueue
 * lock, 6.1 kernel/sched/core.c): the values are read once, each a
 * consistent word, as sched_getattr() reads them. Affinity is what
 * sched_getaffinity() reports: cpus_mask and the active CPUs.
 */
static void ckpt_proc_thread_sched(struct task_struct *t,
				   struct ckpt_thread_identity *id)
{
	unsigned int cpu;

	id->policy = READ_ONCE(t->policy);
	id->nice = task_nice(t);
	id->rt_priority = READ_ONCE(t->rt_priority);
	if (t->sched_reset_on_fork)
		id->flags |= CKPT_TID_RESET_ON_FORK;
	id->timer_slack_ns = READ_ONCE(t->timer_slack_ns);
	for_each_cpu_and(cpu, &t->cpus_mask, cpu_active_mask)
		if (cpu < CKPT_AFFINITY_WORDS * 64)
			id->affinity[cpu / 64] |= 1ULL << (cpu % 64);
	/*
	 * The I/O priority as set, not as ioprio_get() derives it from nice
	 * for class NONE: the io_context is attached under task_lock()
	 * (6.1 block/ioprio.c set_task_ioprio()).
	 */
	task_lock(t);
	id->ioprio = t->io_context ? t->io_context->ioprio :
		     IOPRIO_DEFAULT;
	task_unlock(t);
}

/*
 * Per-thread prctl() state: speculation controls (the task's atomic_flags
 * and TIF_SPEC_L1D_FLUSH, as ssb_prctl_get() and ib_prctl_get() read them,
 * 6.1 arch/x86/kernel/cpu/bugs.c), PR_SET_TSC (TIF_NOTSC), the machine
 * check kill policy (PF_MCE_PROCESS, PF_MCE_EARLY) and PR_SET_IO_FLUSHER
 * (PF_MEMALLOC_NOIO with PF_LOCAL_THROTTLE), each written only by the
 * thread itself, or by seccomp on a sibling when it forces speculation
 * off, which a parked group cannot do.
 */
static void ckpt_proc_thread_prctl(struct task_struct *t,
				   struct ckpt_thread_identity *id)
{
	if (task_spec_ssb_force_disable(t))
		id->flags |= CKPT_TID_SSB_FORCE;
	else if (task_spec_ssb_noexec(t))
		id->flags |= CKPT_TID_SSB_NOEXEC;
	else if (task_spec_ssb_disable(t))
		id->flags |= CKPT_TID_SSB_DISABLE;
	if (task_spec_ib_force_disable(t))
		id->flags |= CKPT_TID_IB_FORCE;
	else if (task_spec_ib_disable(t))
		id->flags |= CKPT_TID_IB_DISABLE;
#ifdef TIF_SPEC_L1D_FLUSH
	if (test_tsk_thread_flag(t, TIF_SPEC_L1D_FLUSH))
		id->flags |= CKPT_TID_L1D_FLUSH;
#endif
#ifdef TIF_NOTSC
	if (test_tsk_thread_flag(t, TIF_NOTSC))
		id->flags |= CKPT_TID_NOTSC;
#endif
	if (t->flags & PF_MCE_PROCESS)
		id->flags |= CKPT_TID_MCE_KILL;
	if (t->flags & PF_MCE_EARLY)
		id->flags |= CKPT_TID_MCE_EARLY;
	if ((t->flags & (PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE)) ==
	    (PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE))
		id->flags |= CKPT_TID_IO_FLUSHER;
}

/**
 * ckpt_proc_thread_identity() - record a thread's identity
 * @t: the thread: current, parked in its own context, or a thread stopped
 *	by job control
 * @id: filled: name, parent-death signal, no_new_privs, scheduling
 *
 * comm, pdeath_signal and the no_new_privs bit are written only by the
 * thread itself (prctl()) or by a credential change, which neither a
 * parked nor a stopped thread can make.
 */
void ckpt_proc_thread_identity(struct task_struct *t,
			       struct ckpt_thread_identity *id)
{
	memset(id, 0, sizeof(*id));
	task_lock(t);
	strscpy_pad(id->comm, t->comm, sizeof(id->comm));
	task_unlock(t);
	id->pdeathsig = t->pdeath_signal;
	if (task_no_new_privs(t))
		id->flags |= CKPT_TID_NO_NEW_PRIVS;
	ckpt_proc_thread_prctl(t, id);
	ckpt_proc_thread_sched(t, id);
}

/* The saved auxv up to and including its AT_NULL pair. */
static u32 auxv_words(struct mm_struct *mm, u64 *out)
{
	u32 i, n = ARRAY_SIZE(mm->saved_auxv);

	BUILD_BUG_ON(ARRAY_SIZE(mm->saved_auxv) > CKPT_AUXV_WORDS);
	BUILD_BUG_ON(sizeof(mm->saved_auxv[0]) != sizeof(u64));
	/*
	 * Only exec and the process's own prctl(PR_SET_MM_MAP) write it
	 * (kernel/sys.c), and every thread is parked.
	 */
	for (i = 0; i + 1 < n; i += 2) {
		out[i] = mm->saved_auxv[i];
		out[i + 1] = mm->saved_auxv[i + 1];
		if (out[i] == AT_NULL)
			break;
	}
	if (i + 1 >= n) {
		/* binfmt_elf always ends it with AT_NULL; be safe anyway. */
		i = n - 2;
		out[i] = AT_NULL;
		out[i + 1] = 0;
	}
	return i + 2;
}

/*
 * Protection keys the process allocated: pkey_alloc() and pkey_free()
 * change the map under the mmap lock (6.1 mm/mprotect.c), which a parked
 * process's threads cannot take. Key 0 and the execute-only key are the
 * kernel's (arch/x86/include/asm/pkeys.h); a mapping that carries any key
 * is refused (vma_refusal()).
 */
static u32 pkeys_allocated(struct mm_struct *mm)
{
#ifdef CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS
	u32 map = mm_pkey_allocation_map(mm) & ~1U;
	int xo = mm->context.execute_only_pkey;

	if (xo > 0)
		map &= ~(1U << xo);
	return map;
#else
	return 0;
#endif
}

/**
 * ckpt_proc_capture_identity() - the IDENTITY record of a parked process
 * @ts: the process; @ts->mm is referenced
 * @threads: what each of its threads recorded, in THREAD record order
 * @n: entries in @threads
 * @extack: receives the reason on failure
 *
 * The mm's flags and def_flags and the signal struct's subreaper bit are
 * written only by the process's own threads (prctl(), mlockall()) or by
 * exec, and every thread is parked.
 *
 * Return: 0, -ENOMEM, -E2BIG or -EAGAIN (see ckpt_env_capture()).
 */
int ckpt_proc_capture_identity(struct ckpt_task_snap *ts,
			       const struct ckpt_thread_identity *threads,
			       unsigned int n, struct netlink_ext_ack *extack)
{
	struct mm_struct *mm = ts->mm;
	struct ckpt_rec_identity rec = {
		.dumpable = get_dumpable(mm),
		.nr_threads = n,
		/* Written under the task's lock by /proc, read as one word. */
		.oom_score_adj = READ_ONCE(ts->task->signal->oom_score_adj),
		.coredump_filter = (mm->flags & MMF_DUMP_FILTER_MASK) >>
				   MMF_DUMP_FILTER_SHIFT,
	};
	char *cgroup;
	u64 *auxv;
	int ret;

	ret = ckpt_env_capture(ts->task, &rec, &cgroup);
	if (ret == -E2BIG)
		ckpt_err_setf(extack, ts->rec.pid, 0,
			      "cgroup path longer than %d bytes: not supported",
			      CKPT_CGROUP_PATH_MAX);
	else if (ret == -EAGAIN)
		ckpt_err_set(extack, ts->rec.pid, 0,
			     "process moved to another cgroup during the freeze");
	if (ret)
		return ret;
	auxv = kcalloc(CKPT_AUXV_WORDS, sizeof(*auxv), GFP_KERNEL);
	if (!auxv) {
		kfree(cgroup);
		return -ENOMEM;
	}
	if (ts->task->signal->is_child_subreaper)
		rec.flags |= CKPT_ID_SUBREAPER;
	if (test_bit(MMF_DISABLE_THP, &mm->flags))
		rec.flags |= CKPT_ID_THP_DISABLE;
	/* mlockall(MCL_FUTURE[|MCL_ONFAULT]) is all that sets def_flags on x86. */
	if (mm->def_flags & VM_LOCKED)
		rec.flags |= CKPT_ID_MLOCK_FUTURE;
	if ((mm->def_flags & VM_LOCKED) && (mm->def_flags & VM_LOCKONFAULT))
		rec.flags |= CKPT_ID_MLOCK_ONFAULT;
	rec.pkeys = pkeys_allocated(mm);
	rec.nr_auxv = auxv_words(mm, auxv);
	{
		struct kvec parts[] = {
			{ &rec, sizeof(rec) },
			{ auxv, rec.nr_auxv * sizeof(*auxv) },
			{ (void *)threads, n * sizeof(*threads) },
			{ cgroup, rec.cgroup_len },
		};

		ret = ckpt_buf_put(&ts->ident, CKPT_REC_IDENTITY, parts,
				   ARRAY_SIZE(parts));
	}
	kfree(cgroup);
	kfree(auxv);
	return ret;
}
