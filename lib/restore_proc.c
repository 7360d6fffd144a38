// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: a restoring process. It makes its children, rebuilds
 * its own state (descriptors, working directory, limits, dispositions,
 * credentials, signal state, the vdso's place), starts its threads and
 * asks the module to replace its memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "restore.h"

/* The kernel's struct sigaction for rt_sigaction(2). */
struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

static int restore_proc(const struct libckpt_image_task *t, struct shared *e)
{
	const struct ckpt_rec_proc *r = &t->proc->rec;
	struct rlimit rl;
	int sig;

	if (strcmp(t->proc->root, "/"))
		return fail(e, -EOPNOTSUPP, "pid %u ran chrooted in %s: not supported yet",
			    t->rec.pid, t->proc->root);
	if (chdir(t->proc->cwd))
		return fail(e, -errno, "cannot enter the working directory %s: %s",
			    t->proc->cwd, strerror(errno));
	umask(r->umask);
	personality(r->personality);
	for (sig = 1; sig <= CKPT_NSIG; sig++) {
		struct ksigaction ka = {
			.handler = r->sigaction[sig - 1].handler,
			.flags = r->sigaction[sig - 1].flags,
			.restorer = r->sigaction[sig - 1].restorer,
			.mask = r->sigaction[sig - 1].mask,
		};

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		syscall(SYS_rt_sigaction, sig, &ka, NULL, 8);
	}
	if (r->nr_groups || getgid() != r->gid)
		if (setgroups(r->nr_groups, (const gid_t *)t->proc->groups))
			return fail(e, -errno, "cannot set the supplementary groups: %s",
				    strerror(errno));
	if (setresgid(r->gid, r->egid, r->sgid) || setresuid(r->uid, r->euid, r->suid))
		return fail(e, -EPERM, "cannot take uid %u gid %u: %s", r->uid, r->gid,
			    strerror(errno));
	for (sig = 0; sig < RLIM_NLIMITS; sig++) {
		rl.rlim_cur = r->rlim[sig].cur;
		rl.rlim_max = r->rlim[sig].max;
		if (setrlimit(sig, &rl))
			return fail(e, -errno, "cannot set resource limit %d: %s", sig,
				    strerror(errno));
	}
	return 0;
}

static int restore_thread_state(const struct ckpt_rec_thread *th,
				struct shared *e)
{
	stack_t ss = { .ss_sp = (void *)(uintptr_t)th->sas_ss_sp,
		       .ss_size = th->sas_ss_size, .ss_flags = th->sas_ss_flags };

	if (th->sas_ss_size && sigaltstack(&ss, NULL))
		return fail(e, -errno, "cannot set the alternate signal stack");
	if (th->robust_list_len &&
	    syscall(SYS_set_robust_list, th->robust_list, th->robust_list_len))
		return fail(e, -errno, "cannot set the robust futex list");
	syscall(SYS_set_tid_address, th->clear_child_tid);
	return 0;
}

/* Move our [vvar]/[vdso] to where the image had them. */
static int place_vdso(uint64_t vvar, struct shared *e)
{
	unsigned long start, end;
	char line[512];
	FILE *f;

	if (!vvar)
		return 0;
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return fail(e, -errno, "cannot read /proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[vvar]") || strstr(line, "[vdso]")) {
			if (sscanf(line, "%lx-%lx", &start, &end) == 2)
				munmap((void *)start, end - start);
		}
	}
	fclose(f);
	if (syscall(SYS_arch_prctl, ARCH_MAP_VDSO_64, vvar) < 0)
		return fail(e, -errno, "cannot map the vdso at 0x%llx: %s",
			    (unsigned long long)vvar, strerror(errno));
	return 0;
}

bool libckpt_rst_maps_a_file(const struct libckpt_image_vma *v)
{
	if ((v->rec.flags & (CKPT_VMA_ANON | CKPT_VMA_VDSO)) || !v->path[0])
		return false;
	/* Shared anonymous memory shows as a deleted /dev/zero. */
	return !((v->rec.flags & CKPT_VMA_SHARED) && strstr(v->path, "(deleted)"));
}

int libckpt_rst_check_mapped_file(uint32_t pid, int fd, const struct libckpt_image_vma *v,
				  struct shared *e)
{
	bool writable = (v->rec.flags & CKPT_VMA_SHARED) &&
			(v->rec.flags & CKPT_VMA_WRITE);
	char why[160];
	int ret;

	ret = libckpt_rst_still_same_file(fd, v->rec.ino, v->rec.dev, v->rec.size,
			      v->rec.mtime_ns, writable, why, sizeof(why));
	if (ret)
		return fail(e, ret, "pid %u mapping at 0x%llx: %s %s", pid,
			    (unsigned long long)v->rec.start, v->path, why);
	return 0;
}

static int restore_mm(struct libckpt *h, struct plan *p, int image_fd,
		      struct shared *e)
{
	const struct libckpt_image_task *t = p->task;
	size_t size = 8192 + t->rec.nr_vmas * sizeof(*p->vmas) +
		      p->nr_runs * sizeof(*p->runs) + (p->nr_runs / 2000 + 1) * NLA_HDRLEN;
	struct nl_msg *msg = libckpt_msg_new_size(h, CKPT_CMD_RESTORE_MM, 0, size);
	int32_t close_fds[2 + 4096 / 4];
	size_t n = 0, i, chunk;
	struct nlattr *nest;
	int ret;

	if (!msg)
		return fail(e, -ENOMEM, "out of memory");
	close_fds[n++] = image_fd;
	close_fds[n++] = nl_socket_get_fd(h->sk);
	for (i = 0; i < t->rec.nr_vmas; i++) {
		const struct libckpt_image_vma *v = &t->vmas[i];
		int fd;

		if (!libckpt_rst_maps_a_file(v))
			continue;
		fd = open(v->path, (v->rec.flags & CKPT_VMA_SHARED) &&
			  (v->rec.flags & CKPT_VMA_WRITE) ? O_RDWR : O_RDONLY);
		if (fd < 0)
			return fail(e, -errno, "pid %u mapping at 0x%llx: cannot open %s: %s",
				    t->rec.pid,
				    (unsigned long long)v->rec.start, v->path,
				    strerror(errno));
		ret = libckpt_rst_check_mapped_file(t->rec.pid, fd, v, e);
		if (ret)
			return ret;
		p->vmas[i].fd = fd;
		if (n < sizeof(close_fds) / sizeof(close_fds[0]))
			close_fds[n++] = fd;
	}
	if (nla_put_u32(msg, CKPT_A_IMAGE_FD, image_fd) < 0 ||
	    nla_put(msg, CKPT_A_RESTORE_TASK, sizeof(t->rec), &t->rec) < 0 ||
	    nla_put(msg, CKPT_A_RESTORE_VMAS, t->rec.nr_vmas * sizeof(*p->vmas),
		    p->vmas) < 0 ||
	    nla_put(msg, CKPT_A_RESTORE_CLOSE, n * sizeof(int32_t), close_fds) < 0)
		goto nomem;
	nest = nla_nest_start(msg, CKPT_A_RESTORE_RUNS);
	if (!nest)
		goto nomem;
	for (i = 0; i < p->nr_runs; i += chunk) {
		chunk = p->nr_runs - i;
		if (chunk > 2000)
			chunk = 2000;
		if (nla_put(msg, CKPT_A_RESTORE_RUNS, chunk * sizeof(*p->runs),
			    p->runs + i) < 0)
			goto nomem;
	}
	nla_nest_end(msg, nest);
	/* The kernel takes a request only if it fits the socket's send buffer. */
	if (nl_socket_set_buffer_size(h->sk, 0, (int)nlmsg_hdr(msg)->nlmsg_len + 4096) < 0)
		goto nomem;
	/* Success does not return here: the process is the image's now. */
	ret = libckpt_transact(h, msg, NULL, NULL);
	return fail(e, ret ? ret : -EIO, "pid %u: the module refused to restore the memory: %s",
		    t->rec.pid, libckpt_error(h)[0] ? libckpt_error(h) : strerror(-ret));
nomem:
	nlmsg_free(msg);
	return fail(e, -ENOMEM, "pid %u: the restore request (%zu mappings, %zu page runs) does not fit in a netlink message",
		    t->rec.pid, (size_t)t->rec.nr_vmas, p->nr_runs);
}

/* --- secondary threads ------------------------------------------------------ */

#define THREAD_STACK	(64 * 1024)

/*
 * Blocked while a restoring process's threads run restorer code: from the
 * moment its timers are armed a signal may come, and a handler of the
 * image must not run in the restorer. The module sets each thread's own
 * mask once it runs as the image (resume_as_image() in kmod/restore.c).
 */
static const uint64_t all_signals = ~0ULL;

/* What a secondary thread needs: prepared by the leader, read-only after. */
struct thread_start {
	const struct ckpt_rec_thread *th;
	int sock;
	size_t len;
	char msg[128] __attribute__((aligned(8)));
};

static inline long raw_syscall(long nr, long a, long b, long c, long d,
			       long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/*
 * A secondary thread, on its own stack and with the leader's TLS: raw
 * system calls only (no errno, no locks). On success its sendto() returns
 * into the restored program.
 */
__attribute__((noreturn)) static void thread_main(void *arg)
{
	struct thread_start *s = arg;
	const struct ckpt_rec_thread *th = s->th;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	stack_t ss = { .ss_sp = (void *)(uintptr_t)th->sas_ss_sp,
		       .ss_size = th->sas_ss_size, .ss_flags = th->sas_ss_flags };

	/* Every signal, until the module gives the thread its own mask. */
	raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all_signals, 0, 8, 0, 0);
	if (th->sas_ss_size)
		raw_syscall(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0, 0);
	if (th->robust_list_len)
		raw_syscall(SYS_set_robust_list, th->robust_list,
			    th->robust_list_len, 0, 0, 0, 0);
	raw_syscall(SYS_set_tid_address, th->clear_child_tid, 0, 0, 0, 0, 0);
	raw_syscall(SYS_sendto, s->sock, (long)s->msg, s->len, 0,
		    (long)&kernel, sizeof(kernel));
	for (;;)
		raw_syscall(SYS_exit, 1, 0, 0, 0, 0, 0);
}

/* clone3() onto @args->stack; the child calls @fn(@arg) and never returns. */
static long clone3_run(struct clone_args *args, void (*fn)(void *), void *arg)
{
	register void (*r12)(void *) __asm__("r12") = fn;
	register void *r13 __asm__("r13") = arg;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r13, %%rdi\n\t"
			 "call *%%r12\n\t"
			 "hlt\n\t"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)SYS_clone3), "D"(args), "S"(sizeof(*args)),
			   "r"(r12), "r"(r13)
			 : "rcx", "r11", "memory");
	return ret;
}

static int start_threads(struct libckpt *h, const struct libckpt_image_task *t,
			 struct shared *e)
{
	uint32_t i;

	for (i = 1; i < t->rec.nr_threads; i++) {
		struct thread_start *s = calloc(1, sizeof(*s));
		char *stack = malloc(THREAD_STACK);
		struct clone_args args = {
			.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				 CLONE_THREAD | CLONE_SYSVSEM,
			.stack_size = THREAD_STACK,
		};
		pid_t tid = t->threads[i].rec.tid;
		struct nl_msg *msg;
		int32_t close_fd;

		if (!s || !stack)
			return fail(e, -ENOMEM, "out of memory");
		s->th = &t->threads[i].rec;
		s->sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
		msg = libckpt_msg_new(h, CKPT_CMD_RESTORE_THREAD, 0);
		close_fd = s->sock;
		if (s->sock < 0 || !msg ||
		    nla_put(msg, CKPT_A_RESTORE_CLOSE, sizeof(close_fd), &close_fd) < 0 ||
		    nlmsg_hdr(msg)->nlmsg_len > sizeof(s->msg))
			return fail(e, -ENOMEM, "cannot prepare thread %d", tid);
		nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_REQUEST;
		s->len = nlmsg_hdr(msg)->nlmsg_len;
		memcpy(s->msg, nlmsg_hdr(msg), s->len);
		nlmsg_free(msg);
		args.stack = (uintptr_t)stack;
		args.set_tid = (uintptr_t)&tid;
		args.set_tid_size = 1;
		if (clone3_run(&args, thread_main, s) < 0)
			return fail(e, -EEXIST, "cannot create thread %d: tid taken or not permitted",
				    tid);
	}
	return 0;
}

/* --- a restoring process ------------------------------------------------------ */

static pid_t clone_with_pid(pid_t pid)
{
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&pid,
		.set_tid_size = 1,
	};

	return syscall(SYS_clone3, &args, sizeof(args));
}

static int become_image(struct tree *tr, size_t i);

/* Make process @i of the image (it never returns to the caller). */
pid_t libckpt_rst_spawn_task(struct tree *tr, size_t i)
{
	const struct ckpt_rec_task *r = &tr->plans[i].task->rec;
	pid_t pid = tr->o->new_pid ? fork() : clone_with_pid(r->pid);

	if (pid == 0)
		_exit(become_image(tr, i) ? 1 : 2);
	if (pid < 0)
		return fail(tr->e, -errno, errno == EEXIST ?
			    "pid %u is taken: kill its owner, or restore with --pidns (or --new-pid for one process)" :
			    "cannot create process %u: %s", r->pid, strerror(errno));
	return pid;
}

/* The session or group this process leads, made before its children. */
static int lead(const struct tree *tr, size_t i)
{
	const struct ckpt_rec_task *r = &tr->plans[i].task->rec;

	if (r->sid == r->pid && setsid() < 0)
		return fail(tr->e, -errno, "pid %u cannot start its session: %s",
			    r->pid, strerror(errno));
	if (r->sid != r->pid && r->pgid == r->pid && setpgid(0, 0))
		return fail(tr->e, -errno, "pid %u cannot start its process group: %s",
			    r->pid, strerror(errno));
	return 0;
}

/* Once every process exists, members join their group. */
static int join_group(const struct tree *tr, size_t i)
{
	const struct ckpt_rec_task *r = &tr->plans[i].task->rec;

	if (r->pgid == r->pid || getpgid(0) == (pid_t)r->pgid)
		return 0;
	if (setpgid(0, r->pgid))
		return fail(tr->e, -errno, "pid %u cannot join process group %u: %s",
			    r->pid, r->pgid, strerror(errno));
	return 0;
}

/* Everything around the process, then its memory; returns only on failure. */
static int become_image(struct tree *tr, size_t i)
{
	struct plan *p = &tr->plans[i];
	const struct libckpt_image_task *t = p->task;
	const struct ckpt_rec_thread *th = &t->threads[0].rec;
	struct shared *e = tr->e;
	struct libckpt *h;
	size_t j;
	int ret;

	__atomic_store_n(&e->pids[i], getpid(), __ATOMIC_RELEASE);
	ret = lead(tr, i);
	for (j = 0; !ret && j < tr->n; j++)
		if (tr->parent[j] == (int)i && libckpt_rst_spawn_task(tr, j) < 0)
			ret = failed(e);
	if (ret)
		return ret;
	count_in(&e->created);
	ret = wait_count(e, &e->created, (int)tr->n, "every process to be created");
	if (!ret)
		ret = join_group(tr, i);
	if (!ret)
		ret = libckpt_rst_fds(tr, t);
	if (!ret)
		ret = restore_proc(t, e);
	if (!ret)
		ret = restore_thread_state(th, e);
	if (ret)
		return ret;
	/*
	 * Block every signal before the threads are made, so that they
	 * inherit it: a timer signal queued by libckpt_rst_timers() must
	 * never find a thread that has not yet blocked it (a default action
	 * would kill the restorer). Raw: glibc's sigprocmask() leaves its own
	 * signals 32 and 33 out.
	 */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all_signals, NULL, 8);
	/*
	 * Connect before moving the vdso: glibc keeps pointers into ours
	 * (libnl calls time()), so after place_vdso() only raw system calls
	 * and plain library code may run.
	 */
	ret = libckpt_open(&h);
	if (ret)
		return fail(e, ret, "pid %u cannot reach the module", t->rec.pid);
	ret = start_threads(h, t, e);
	if (!ret)
		ret = place_vdso(p->vvar, e);
	if (ret)
		return ret;
	ret = libckpt_rst_timers(t, e);
	if (ret)
		return ret;
	count_in(&e->entering);
	return restore_mm(h, p, tr->image_fd, e);
}

int libckpt_rst_send_regs(struct libckpt *h, pid_t pid,
			  const struct libckpt_image_thread *th)
{
	size_t len = sizeof(th->rec) + th->rec.regs_size + th->rec.xstate_size;
	struct nl_msg *msg = libckpt_msg_new(h, CKPT_CMD_RESTORE_REGS, 0);
	char *blob = malloc(len);
	int ret = -ENOMEM;

	if (!msg || !blob)
		goto out;
	memcpy(blob, &th->rec, sizeof(th->rec));
	memcpy(blob + sizeof(th->rec), th->regs, th->rec.regs_size);
	memcpy(blob + sizeof(th->rec) + th->rec.regs_size, th->xstate,
	       th->rec.xstate_size);
	if (nla_put_u32(msg, CKPT_A_TID, pid) < 0 ||
	    nla_put(msg, CKPT_A_RESTORE_THREAD, len, blob) < 0)
		goto out;
	ret = libckpt_transact(h, msg, NULL, NULL);
	msg = NULL;
out:
	nlmsg_free(msg);
	free(blob);
	return ret;
}

