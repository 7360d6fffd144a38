// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: restore a process from an image. A child (clone3 with the
 * image's pid) rebuilds the world around the process with ordinary system
 * calls — descriptors, working directory, limits, dispositions,
 * credentials, signal state, the vdso's place — then asks the module to
 * replace its memory; the controller gives it its registers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <grp.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "format.h"
#include "internal.h"

#define ERR_PAGE	4096

/* What the child reports when it fails before its memory is replaced. */
struct child_err {
	int error;
	pid_t pid;		/* the restored process, from the middle one */
	char msg[ERR_PAGE - 2 * sizeof(int)];
};

struct plan {
	const struct libckpt_image_task *task;
	const struct libckpt_image_thread *thread;
	struct ckpt_restore_vma *vmas;
	struct ckpt_restore_run *runs;
	size_t nr_runs, cap_runs;
	const char *image_path;
	uint64_t vvar;		/* start of [vvar]/[vdso] in the image */
};

__attribute__((format(printf, 3, 4)))
static int fail(struct child_err *e, int err, const char *fmt, ...)
{
	va_list ap;

	e->error = err;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return err;
}

/* --- the plan ------------------------------------------------------------ */

static int add_run(const struct libckpt_page_run *run, void *arg)
{
	struct plan *p = arg;
	struct ckpt_restore_run *last = p->nr_runs ? &p->runs[p->nr_runs - 1] : NULL;
	if (last && last->addr + last->nr_pages * CKPT_PAGE_SIZE == run->addr &&
	    last->offset + last->nr_pages * CKPT_PAGE_SIZE == run->offset) {
		last->nr_pages += run->nr_pages;
		return 0;
	}
	if (p->nr_runs == p->cap_runs) {
		size_t cap = p->cap_runs ? 2 * p->cap_runs : 256;
		void *r = realloc(p->runs, cap * sizeof(*p->runs));

		if (!r)
			return -ENOMEM;
		p->runs = r;
		p->cap_runs = cap;
	}
	p->runs[p->nr_runs++] = (struct ckpt_restore_run){
		.addr = run->addr, .offset = run->offset,
		.nr_pages = run->nr_pages,
	};
	return 0;
}

static int build_plan(struct libckpt_image *img, struct plan *p,
		      struct child_err *e)
{
	const struct libckpt_image_task *t;
	char err[LIBCKPT_ERRLEN];
	uint32_t i;
	int ret;

	if (libckpt_image_nr_tasks(img) != 1)
		return fail(e, -EOPNOTSUPP,
			    "the image holds %zu processes: restoring a process tree is not implemented yet",
			    libckpt_image_nr_tasks(img));
	t = libckpt_image_task(img, 0);
	p->task = t;
	p->thread = &t->threads[0];
	p->vmas = calloc(t->rec.nr_vmas, sizeof(*p->vmas));
	if (!p->vmas)
		return fail(e, -ENOMEM, "out of memory");
	p->vvar = 0;
	for (i = 0; i < t->rec.nr_vmas; i++) {
		const struct ckpt_rec_vma *v = &t->vmas[i].rec;

		p->vmas[i] = (struct ckpt_restore_vma){
			.start = v->start, .end = v->end, .pgoff = v->pgoff,
			.flags = v->flags, .fd = -1,
		};
		if ((v->flags & CKPT_VMA_VDSO) && !p->vvar)
			p->vvar = v->start;
	}
	ret = libckpt_image_pages(img, add_run, p, err, sizeof(err));
	if (ret)
		return fail(e, ret, "%s", err);
	return 0;
}

/* --- the child: everything but memory and registers ------------------------ */

/* stat() reports st_dev as new_encode_dev(), as the image does. */
static bool same_file(int fd, uint64_t ino, uint64_t dev)
{
	struct stat st;

	return !fstat(fd, &st) && st.st_ino == ino && st.st_dev == dev;
}

/* Put @fd at @target with the recorded close-on-exec flag. */
static int place_fd(int fd, const struct ckpt_rec_fd *r)
{
	if (fd != r->fd) {
		if (dup2(fd, r->fd) < 0)
			return -errno;
		close(fd);
	}
	return fcntl(r->fd, F_SETFD, (r->flags & CKPT_FD_CLOEXEC) ? FD_CLOEXEC : 0) ?
	       -errno : 0;
}

static int open_file(const struct libckpt_image_fd *f, struct child_err *e)
{
	int flags = f->rec.f_flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
	int fd;

	if (f->rec.flags & CKPT_FD_DELETED)
		return fail(e, -ENOENT, "fd %d: %s was deleted since the checkpoint",
			    f->rec.fd, f->path);
	fd = open(f->path, flags | O_NOCTTY);
	if (fd < 0)
		return fail(e, -errno, "fd %d: cannot reopen %s: %s", f->rec.fd,
			    f->path, strerror(errno));
	if ((f->rec.type == CKPT_FD_REG || f->rec.type == CKPT_FD_DIR) &&
	    !same_file(fd, f->rec.ino, f->rec.dev)) {
		close(fd);
		return fail(e, -ESTALE, "fd %d: %s is not the file that was checkpointed (inode changed)",
			    f->rec.fd, f->path);
	}
	if (f->rec.type == CKPT_FD_REG &&
	    lseek(fd, (off_t)f->rec.pos, SEEK_SET) < 0) {
		close(fd);
		return fail(e, -errno, "fd %d: cannot seek %s", f->rec.fd, f->path);
	}
	return fd;
}

/* Move @fd to the lowest free number >= @min (above every recorded one). */
static int move_high(int fd, int min)
{
	int high = fcntl(fd, F_DUPFD, min);

	close(fd);
	return high;
}

/*
 * Both ends of each pipe, created once (above every recorded number, so
 * placing one end never lands on the other); data goes in through the
 * writer.
 */
static int open_pipe_end(const struct libckpt_image_task *t, uint32_t i,
			 int top, struct child_err *e)
{
	const struct libckpt_image_fd *f = &t->fds[i], *data = NULL;
	bool want_write = (f->rec.f_flags & O_ACCMODE) != O_RDONLY;
	int p[2], other = -1;
	uint32_t j;

	/* An earlier record of this pipe already made it: find its end. */
	for (j = 0; j < i; j++) {
		if (t->fds[j].rec.type == CKPT_FD_PIPE &&
		    t->fds[j].rec.ino == f->rec.ino)
			return fcntl(t->fds[j].rec.fd, F_GETFL) >= 0 ?
			       -EAGAIN : -EBADF;
	}
	if (pipe2(p, 0))
		return fail(e, -errno, "fd %d: pipe: %s", f->rec.fd, strerror(errno));
	p[0] = move_high(p[0], top);
	p[1] = move_high(p[1], top);
	if (p[0] < 0 || p[1] < 0)
		return fail(e, -EMFILE, "fd %d: no descriptor for a pipe", f->rec.fd);
	if (f->rec.pipe_size)
		fcntl(p[1], F_SETPIPE_SZ, f->rec.pipe_size);
	for (j = 0; j < t->rec.nr_fds; j++)
		if (t->fds[j].rec.type == CKPT_FD_PIPE &&
		    t->fds[j].rec.ino == f->rec.ino &&
		    (t->fds[j].rec.flags & CKPT_FD_PIPE_DATA))
			data = &t->fds[j];
	if (data && data->rec.data_len &&
	    write(p[1], data->data, data->rec.data_len) != (ssize_t)data->rec.data_len)
		return fail(e, -EIO, "fd %d: cannot refill the pipe", f->rec.fd);
	/* The other end, if this process holds it, is placed later. */
	other = want_write ? p[0] : p[1];
	for (j = i + 1; j < t->rec.nr_fds; j++) {
		const struct libckpt_image_fd *g = &t->fds[j];

		if (g->rec.type == CKPT_FD_PIPE && g->rec.ino == f->rec.ino) {
			bool w = (g->rec.f_flags & O_ACCMODE) != O_RDONLY;
			int dup = fcntl(w ? p[1] : p[0], F_DUPFD, top);

			if (dup < 0 || place_fd(dup, &g->rec))
				return fail(e, -EBADF, "fd %d: cannot place a pipe end", g->rec.fd);
		}
	}
	close(other);
	return want_write ? p[1] : p[0];
}

static int restore_fds(const struct libckpt_image_task *t, int *image_fd,
		       struct child_err *e)
{
	int top = 0, fd, ret;
	uint32_t i;

	for (i = 0; i < t->rec.nr_fds; i++)
		if (t->fds[i].rec.fd >= top)
			top = t->fds[i].rec.fd + 1;
	/* Out of the way of every recorded number, then nothing else open. */
	fd = fcntl(*image_fd, F_DUPFD, top > 3 ? top : 3);
	if (fd < 0)
		return fail(e, -errno, "cannot move the image descriptor");
	*image_fd = fd;
	for (i = 0; i < (uint32_t)fd; i++)
		close(i);
	close_range(fd + 1, ~0U, 0);
	top = fd + 1;
	for (i = 0; i < t->rec.nr_fds; i++) {
		const struct libckpt_image_fd *f = &t->fds[i];

		if (f->rec.type == CKPT_FD_PIPE) {
			fd = open_pipe_end(t, i, top, e);
			if (fd == -EAGAIN)
				continue;	/* placed with its pipe */
		} else {
			fd = open_file(f, e);
		}
		if (fd < 0)
			return fd;
		ret = place_fd(fd, &f->rec);
		if (ret)
			return fail(e, ret, "fd %d: cannot place it", f->rec.fd);
	}
	return 0;
}

/* The kernel's struct sigaction for rt_sigaction(2). */
struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

static int restore_proc(const struct libckpt_image_task *t, struct child_err *e)
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
				struct child_err *e)
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
static int place_vdso(uint64_t vvar, struct child_err *e)
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

static int restore_mm(struct libckpt *h, struct plan *p, int image_fd,
		      struct child_err *e)
{
	const struct libckpt_image_task *t = p->task;
	struct nl_msg *msg = libckpt_msg_new(h, CKPT_CMD_RESTORE_MM, 0);
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

		if ((v->rec.flags & (CKPT_VMA_ANON | CKPT_VMA_VDSO)) || !v->path[0])
			continue;
		/* Shared anonymous memory shows as a deleted /dev/zero. */
		if ((v->rec.flags & CKPT_VMA_SHARED) && strstr(v->path, "(deleted)"))
			continue;
		fd = open(v->path, (v->rec.flags & CKPT_VMA_SHARED) &&
			  (v->rec.flags & CKPT_VMA_WRITE) ? O_RDWR : O_RDONLY);
		if (fd < 0)
			return fail(e, -errno, "mapping at 0x%llx: cannot open %s: %s",
				    (unsigned long long)v->rec.start, v->path,
				    strerror(errno));
		if (!same_file(fd, v->rec.ino, v->rec.dev))
			return fail(e, -ESTALE, "mapping at 0x%llx: %s is not the file that was checkpointed",
				    (unsigned long long)v->rec.start, v->path);
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
	/* Success does not return here: the process is the image's now. */
	ret = libckpt_transact(h, msg, NULL, NULL);
	return fail(e, ret ? ret : -EIO, "the module refused to restore the memory: %s",
		    libckpt_error(h)[0] ? libckpt_error(h) : strerror(-ret));
nomem:
	nlmsg_free(msg);
	return fail(e, -ENOMEM, "the restore request does not fit in a netlink message");
}

/* --- secondary threads ------------------------------------------------------ */

#define THREAD_STACK	(64 * 1024)

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

	raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&th->sigmask, 0, 8, 0, 0);
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
			 struct child_err *e)
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

static int become_image(struct plan *p, struct child_err *e)
{
	const struct ckpt_rec_thread *th = &p->thread->rec;
	const struct libckpt_image_task *t = p->task;
	struct libckpt *h;
	sigset_t mask;
	int image_fd, ret;

	image_fd = open(p->image_path, O_RDONLY | O_CLOEXEC);
	if (image_fd < 0)
		return fail(e, -errno, "cannot open %s", p->image_path);
	if (t->rec.sid == t->rec.pid)
		setsid();
	else if (t->rec.pgid == t->rec.pid)
		setpgid(0, 0);
	ret = restore_fds(t, &image_fd, e);
	if (!ret)
		ret = restore_proc(t, e);
	if (!ret)
		ret = restore_thread_state(th, e);
	if (ret)
		return ret;
	/*
	 * Connect before moving the vdso: glibc keeps pointers into ours
	 * (libnl calls time()), so after place_vdso() only raw system calls
	 * and plain library code may run.
	 */
	ret = libckpt_open(&h);
	if (ret)
		return fail(e, ret, "cannot reach the module");
	ret = start_threads(h, t, e);
	if (ret)
		return ret;
	ret = place_vdso(p->vvar, e);
	if (ret)
		return ret;
	sigemptyset(&mask);
	memcpy(&mask, &th->sigmask, sizeof(th->sigmask));
	sigprocmask(SIG_SETMASK, &mask, NULL);
	return restore_mm(h, p, image_fd, e);
}

/* --- the controller -------------------------------------------------------- */

static pid_t clone_with_pid(pid_t pid)
{
	struct clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&pid,
		.set_tid_size = 1,
	};

	return syscall(SYS_clone3, &args, sizeof(args));
}

static int send_regs(struct libckpt *h, pid_t pid,
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

/* Pending signals come back as signals (their siginfo was not kept). */
static void resend_pending(pid_t pid, const struct libckpt_image_task *t)
{
	uint32_t i;
	int sig;

	for (sig = 1; sig <= 64; sig++)
		if (t->proc->rec.shared_pending & (1ULL << (sig - 1)))
			kill(pid, sig);
	for (i = 0; i < t->rec.nr_threads; i++)
		for (sig = 1; sig <= 64; sig++)
			if (t->threads[i].rec.pending & (1ULL << (sig - 1)))
				syscall(SYS_tgkill, pid, t->threads[i].rec.tid, sig);
}

static int restore_one(struct plan *p, const struct libckpt_restore_opts *o,
		       struct child_err *e, pid_t *out)
{
	struct libckpt *h = NULL;
	pid_t pid;
	int ret;

	if (o->new_pid && p->task->rec.nr_threads > 1)
		return fail(e, -EOPNOTSUPP,
			    "pid %u has threads: they need their recorded tids, so --new-pid is not supported for it",
			    p->task->rec.pid);
	pid = o->new_pid ? fork() : clone_with_pid(p->task->rec.pid);
	if (pid < 0)
		return fail(e, -errno, errno == EEXIST ?
			    "pid %u is taken: kill its owner or restore with a new pid" :
			    "cannot create process %u: %s", p->task->rec.pid,
			    strerror(errno));
	if (pid == 0)
		_exit(become_image(p, e) ? 1 : 2);
	ret = libckpt_open(&h);
	for (uint32_t i = 0; !ret && i < p->task->rec.nr_threads; i++) {
		const struct libckpt_image_thread *th = &p->task->threads[i];

		ret = send_regs(h, i ? (pid_t)th->rec.tid : pid, th);
		/* The child's own explanation, if it gave one, comes first. */
		if (ret && !e->error) {
			usleep(100000);
			if (!e->error)
				fail(e, ret, "cannot give thread %u its registers: %s",
				     th->rec.tid, libckpt_error(h));
		}
	}
	if (h)
		libckpt_close(h);
	if (ret) {
		int st = 0;

		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		if (!e->error && WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
			fail(e, -EIO, "the restoring process died of signal %d before its memory was replaced",
			     WTERMSIG(st));
		return e->error ? e->error : ret;
	}
	resend_pending(pid, p->task);
	*out = pid;
	return 0;
}

/*
 * The kernel reads pages at file offsets, so a stream is first spooled
 * into a memfd; its /proc/self/fd path then serves as the image file.
 */
static int spool_stdin(char *path, size_t size, char *err, size_t errlen)
{
	char buf[65536];
	ssize_t n;
	int fd = memfd_create("ckpt-image", 0);

	if (fd < 0)
		return libckpt_fail(err, errlen, -errno, "cannot create a memfd: %s",
				    strerror(errno));
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n)
			return libckpt_fail(err, errlen, -EIO, "cannot spool the image");
	if (n < 0)
		return libckpt_fail(err, errlen, -errno, "reading the image from standard input: %s",
				    strerror(errno));
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return 0;
}

int libckpt_restore(const char *spec, const struct libckpt_restore_opts *o,
		    pid_t *pid, int *status, char *err, size_t errlen)
{
	struct child_err *e;
	struct libckpt_image *img;
	struct plan p = { 0 };
	char *path, *colon;
	pid_t mid, child = 0;
	int ret, st;

	char spooled[64];

	if (!strcmp(spec, "-")) {
		ret = spool_stdin(spooled, sizeof(spooled), err, errlen);
		if (ret)
			return ret;
		spec = spooled;
	}
	e = mmap(NULL, ERR_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (e == MAP_FAILED)
		return libckpt_fail(err, errlen, -ENOMEM, "out of memory");
	ret = libckpt_image_open(spec, &img, err, errlen);
	if (ret)
		goto out_unmap;
	path = strdup(spec);
	colon = path ? strrchr(path, ':') : NULL;
	if (colon && access(path, F_OK))
		*colon = '\0';
	p.image_path = path;
	ret = path ? build_plan(img, &p, e) : fail(e, -ENOMEM, "out of memory");
	if (ret)
		goto out;
	if (o->wait) {
		ret = restore_one(&p, o, e, &child);
		if (!ret)
			*pid = child;
		if (!ret && waitpid(child, &st, 0) == child)
			*status = st;
	} else {
		/* A short-lived middle process: the restored one is orphaned. */
		mid = fork();
		if (mid == 0) {
			ret = restore_one(&p, o, e, &child);
			e->error = ret;
			e->pid = child;
			_exit(ret ? 1 : 0);
		}
		if (mid < 0 || waitpid(mid, &st, 0) != mid)
			ret = fail(e, -ECHILD, "lost the restoring process");
		else
			ret = e->error;
		child = e->pid;
	}
	if (ret)
		libckpt_fail(err, errlen, ret, "%s", e->msg);
	else
		*pid = child;
out:
	free(p.vmas);
	free(p.runs);
	free(path);
	libckpt_image_close(img);
out_unmap:
	munmap(e, ERR_PAGE);
	return ret;
}
