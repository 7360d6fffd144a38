// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: restore the processes of an image. The controller creates each
 * root of the checkpointed tree (clone3 with the image's pid); every
 * restoring process first creates its own children the same way, so the
 * tree takes its recorded shape, sessions and process groups. Then each
 * rebuilds the world around itself with ordinary system calls —
 * descriptors (pipes made once, before the first fork, so every process
 * shares them as before), working directory, limits, dispositions,
 * credentials, signal state, the vdso's place — and asks the module to
 * replace its memory. When every thread is parked with its memory in
 * place, the controller gives each its registers; until then nothing of
 * the image has run, and any failure kills the whole half-built tree.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <grp.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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

/* How long a restoring process or the controller waits for the others. */
#define BARRIER_MS	30000

/*
 * Shared by the controller and every restoring process (MAP_SHARED,
 * inherited through every clone): the first failure, the barriers, and
 * the pids created so far.
 */
struct shared {
	int error;		/* the first failure's -errno, set after msg */
	int claimed;		/* a failure is being described */
	int created;		/* processes created; all of them: go on */
	int entering;		/* processes about to enter RESTORE_MM */
	int running;		/* --pidns: the tree runs (1) or failed (-1) */
	pid_t root;		/* the main root's pid, in the restorer's ns */
	char msg[LIBCKPT_ERRLEN];
	pid_t pids[];		/* per task, once created (0 before) */
};

struct plan {
	const struct libckpt_image_task *task;
	struct ckpt_restore_vma *vmas;
	struct ckpt_restore_run *runs;
	size_t nr_runs, cap_runs;
	uint64_t vvar;		/* start of [vvar]/[vdso] in the image */
};

/* Both ends of one pipe of the image, made before the first fork. */
struct pipe_ends {
	uint64_t ino;
	int r, w;
};

struct tree {
	const struct libckpt_restore_opts *o;
	struct shared *e;
	size_t n;
	struct plan *plans;	/* per task, in image order */
	int *parent;		/* index of the parent task, or -1 for a root */
	size_t main_root;	/* the root whose pid is reported */
	struct pipe_ends *pipes;
	size_t nr_pipes;
	int top;		/* above every recorded descriptor */
	int image_fd;
	int tty_fd;		/* --shell-job: the caller's terminal, or -1 */
};

static void futex_wake_all(int *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

__attribute__((format(printf, 3, 4)))
static int fail(struct shared *e, int err, const char *fmt, ...)
{
	int unclaimed = 0;
	va_list ap;

	/* The first failure is the one reported; later ones are its echoes. */
	if (!__atomic_compare_exchange_n(&e->claimed, &unclaimed, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return err;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	__atomic_store_n(&e->error, err, __ATOMIC_RELEASE);
	futex_wake_all(&e->created);
	futex_wake_all(&e->entering);
	futex_wake_all(&e->running);
	return err;
}

static int failed(struct shared *e)
{
	return __atomic_load_n(&e->error, __ATOMIC_ACQUIRE);
}

/* Wait until *@word reaches @n; a failure elsewhere ends the wait early. */
static int wait_count(struct shared *e, int *word, int n, const char *what)
{
	struct timespec slice = { 0, 20 * 1000 * 1000 };
	int waited, v;

	for (waited = 0; waited < BARRIER_MS; waited += 20) {
		if (failed(e))
			return failed(e);
		v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		if (v >= n)
			return 0;
		syscall(SYS_futex, word, FUTEX_WAIT, v, &slice, NULL, 0);
	}
	return fail(e, -ETIMEDOUT, "timed out after %d s waiting for %s",
		    BARRIER_MS / 1000, what);
}

/* Count ourselves in *@word and wake its waiters. */
static void count_in(int *word)
{
	__atomic_add_fetch(word, 1, __ATOMIC_ACQ_REL);
	futex_wake_all(word);
}

/* --- the plan ------------------------------------------------------------ */

struct run_router {
	struct tree *tr;
	size_t last;
};

static struct plan *plan_of(struct run_router *r,
			    const struct libckpt_image_task *t)
{
	size_t i;

	if (r->tr->plans[r->last].task == t)
		return &r->tr->plans[r->last];
	for (i = 0; i < r->tr->n; i++)
		if (r->tr->plans[i].task == t) {
			r->last = i;
			return &r->tr->plans[i];
		}
	return NULL;
}

static int add_run(const struct libckpt_page_run *run, void *arg)
{
	struct plan *p = plan_of(arg, run->task);
	struct ckpt_restore_run *last;

	if (!p)
		return -EINVAL;
	last = p->nr_runs ? &p->runs[p->nr_runs - 1] : NULL;
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

static int plan_task(struct plan *p, const struct libckpt_image_task *t,
		     struct shared *e)
{
	uint32_t i;

	p->task = t;
	p->vmas = calloc(t->rec.nr_vmas ? t->rec.nr_vmas : 1, sizeof(*p->vmas));
	if (!p->vmas)
		return fail(e, -ENOMEM, "out of memory");
	for (i = 0; i < t->rec.nr_vmas; i++) {
		const struct ckpt_rec_vma *v = &t->vmas[i].rec;

		p->vmas[i] = (struct ckpt_restore_vma){
			.start = v->start, .end = v->end, .pgoff = v->pgoff,
			.flags = v->flags, .fd = -1,
		};
		if ((v->flags & CKPT_VMA_VDSO) && !p->vvar)
			p->vvar = v->start;
	}
	return 0;
}

static int task_index(const struct tree *tr, uint32_t pid)
{
	size_t i;

	for (i = 0; i < tr->n; i++)
		if (tr->plans[i].task->rec.pid == pid)
			return (int)i;
	return -1;
}

/*
 * Sessions and groups come back the way they were made: a session leader
 * calls setsid() before making its children, so they inherit the session;
 * a group leader calls setpgid(0, 0); once every process exists, members
 * join their group. What cannot be rebuilt that way is refused here.
 */
static int check_identity(const struct tree *tr, size_t i)
{
	const struct ckpt_rec_task *r = &tr->plans[i].task->rec;
	int parent = tr->parent[i], leader;

	if (r->sid != r->pid) {
		if (parent >= 0 && tr->plans[parent].task->rec.sid != r->sid)
			return fail(tr->e, -EOPNOTSUPP,
				    "pid %u is in session %u but its parent %u is not: not supported",
				    r->pid, r->sid, tr->plans[parent].task->rec.pid);
		if (parent < 0 && task_index(tr, r->sid) >= 0)
			return fail(tr->e, -EOPNOTSUPP,
				    "pid %u is in session %u of the image but its parent is not: not supported",
				    r->pid, r->sid);
	}
	if (r->pgid == r->pid)
		return 0;
	leader = task_index(tr, r->pgid);
	if (leader < 0)
		return fail(tr->e, -EOPNOTSUPP,
			    "pid %u is in process group %u, whose leader is not in the image: not supported",
			    r->pid, r->pgid);
	if (tr->plans[leader].task->rec.sid != r->sid)
		return fail(tr->e, -EINVAL,
			    "pid %u and the leader of its process group %u are in different sessions",
			    r->pid, r->pgid);
	return 0;
}

static int build_tree(struct libckpt_image *img, struct tree *tr)
{
	struct run_router router = { .tr = tr };
	char err[LIBCKPT_ERRLEN];
	size_t i;
	int ret;

	tr->n = libckpt_image_nr_tasks(img);
	tr->plans = calloc(tr->n, sizeof(*tr->plans));
	tr->parent = calloc(tr->n, sizeof(*tr->parent));
	if (!tr->n || !tr->plans || !tr->parent)
		return fail(tr->e, -ENOMEM, "out of memory");
	if (tr->o->new_pid && tr->n > 1)
		return fail(tr->e, -EOPNOTSUPP,
			    "the image holds %zu processes: they need their recorded pids (--new-pid is for one process; try --pidns)",
			    tr->n);
	for (i = 0; i < tr->n; i++) {
		ret = plan_task(&tr->plans[i], libckpt_image_task(img, i), tr->e);
		if (ret)
			return ret;
	}
	tr->main_root = tr->n;
	for (i = 0; i < tr->n; i++) {
		const struct ckpt_rec_task *r = &tr->plans[i].task->rec;

		tr->parent[i] = task_index(tr, r->ppid);
		if (tr->parent[i] < 0 && tr->main_root == tr->n)
			tr->main_root = i;
		if (tr->o->new_pid && r->nr_threads > 1)
			return fail(tr->e, -EOPNOTSUPP,
				    "pid %u has threads: they need their recorded tids, so --new-pid is not supported for it",
				    r->pid);
	}
	for (i = 0; i < tr->n; i++) {
		size_t hops = 0;
		int j = (int)i;

		while (j >= 0 && hops++ <= tr->n)
			j = tr->parent[j];
		if (j >= 0)
			return fail(tr->e, -EINVAL,
				    "pid %u: the parents of the image's processes form a cycle",
				    tr->plans[i].task->rec.pid);
		ret = check_identity(tr, i);
		if (ret)
			return ret;
	}
	ret = libckpt_image_page_runs(img, add_run, &router, err, sizeof(err));
	if (ret)
		return fail(tr->e, ret, "%s", err);
	return 0;
}

/* --- descriptors ------------------------------------------------------------ */

static uint64_t mtime_ns(const struct stat *st)
{
	return (uint64_t)st->st_mtim.tv_sec * 1000000000ULL + st->st_mtim.tv_nsec;
}

/*
 * Is @fd still the checkpointed file? Same inode; and unless the process
 * could write it itself after the checkpoint (@writable), same size and
 * mtime. 0, or -ESTALE with @why filled.
 */
static int still_same_file(int fd, uint64_t ino, uint64_t dev, uint64_t size,
			   uint64_t mtime, bool writable, char *why, size_t len)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_ino != ino || st.st_dev != dev) {
		snprintf(why, len, "is another file now (inode %llu, was %llu)",
			 (unsigned long long)st.st_ino, (unsigned long long)ino);
		return -ESTALE;
	}
	if (writable)
		return 0;
	if ((uint64_t)st.st_size != size || mtime_ns(&st) != mtime) {
		snprintf(why, len, "changed since the checkpoint (size %llu, was %llu; mtime %s)",
			 (unsigned long long)st.st_size, (unsigned long long)size,
			 mtime_ns(&st) == mtime ? "the same" : "differs");
		return -ESTALE;
	}
	return 0;
}

/* Put a copy of @src at the recorded number, with the recorded flags. */
static int place_copy(int src, const struct ckpt_rec_fd *r)
{
	if (dup2(src, r->fd) < 0)
		return -errno;
	if (fcntl(r->fd, F_SETFD, (r->flags & CKPT_FD_CLOEXEC) ? FD_CLOEXEC : 0))
		return -errno;
	return 0;
}

static int open_file(uint32_t pid, const struct libckpt_image_fd *f,
		     struct shared *e)
{
	int flags = f->rec.f_flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
	bool writable = (f->rec.f_flags & O_ACCMODE) != O_RDONLY;
	char why[160];
	int fd, ret;

	if (f->rec.flags & CKPT_FD_DELETED)
		return fail(e, -ENOENT, "pid %u fd %d: %s was deleted since the checkpoint",
			    pid, f->rec.fd, f->path);
	fd = open(f->path, flags | O_NOCTTY);
	if (fd < 0)
		return fail(e, -errno, "pid %u fd %d: cannot reopen %s: %s%s", pid,
			    f->rec.fd, f->path, strerror(errno),
			    f->rec.type == CKPT_FD_TTY ?
			    " (--shell-job gives it the caller's terminal)" : "");
	if (f->rec.type == CKPT_FD_REG || f->rec.type == CKPT_FD_DIR) {
		ret = still_same_file(fd, f->rec.ino, f->rec.dev, f->rec.size,
				      f->rec.mtime_ns,
				      writable || f->rec.type == CKPT_FD_DIR,
				      why, sizeof(why));
		if (ret) {
			close(fd);
			return fail(e, ret, "pid %u fd %d: %s %s", pid, f->rec.fd,
				    f->path, why);
		}
	}
	if (f->rec.type == CKPT_FD_REG &&
	    lseek(fd, (off_t)f->rec.pos, SEEK_SET) < 0) {
		close(fd);
		return fail(e, -errno, "pid %u fd %d: cannot seek %s", pid, f->rec.fd,
			    f->path);
	}
	return fd;
}

static struct pipe_ends *find_pipe(const struct tree *tr, uint64_t ino)
{
	size_t i;

	for (i = 0; i < tr->nr_pipes; i++)
		if (tr->pipes[i].ino == ino)
			return &tr->pipes[i];
	return NULL;
}

/* Move @fd to the lowest free number >= @min. */
static int move_high(int fd, int min)
{
	int high = fcntl(fd, F_DUPFD, min);

	close(fd);
	return high;
}

/* One pipe of the image, refilled with the bytes it held. */
static int make_pipe(struct tree *tr, const struct libckpt_image_fd *f)
{
	struct pipe_ends *pe = &tr->pipes[tr->nr_pipes];
	int p[2];

	if (pipe2(p, 0))
		return fail(tr->e, -errno, "fd %d: pipe: %s", f->rec.fd, strerror(errno));
	pe->ino = f->rec.ino;
	pe->r = move_high(p[0], tr->top);
	pe->w = move_high(p[1], tr->top);
	tr->nr_pipes++;
	if (pe->r < 0 || pe->w < 0)
		return fail(tr->e, -EMFILE, "fd %d: no descriptor for a pipe", f->rec.fd);
	if (f->rec.pipe_size)
		fcntl(pe->w, F_SETPIPE_SZ, f->rec.pipe_size);
	return 0;
}

static int fill_pipe(struct tree *tr, const struct libckpt_image_fd *f)
{
	struct pipe_ends *pe = find_pipe(tr, f->rec.ino);

	if (!f->rec.data_len)
		return 0;
	if (write(pe->w, f->data, f->rec.data_len) != (ssize_t)f->rec.data_len)
		return fail(tr->e, -EIO, "fd %d: cannot refill its pipe with %u bytes",
			    f->rec.fd, f->rec.data_len);
	return 0;
}

/*
 * Every pipe of the image, made once by the controller above every
 * recorded descriptor, so each process inherits it and places the ends
 * it had: pipes between processes are shared again, with their data.
 */
static int make_pipes(struct tree *tr)
{
	size_t i, total = 0;
	uint32_t j;
	int ret;

	for (i = 0; i < tr->n; i++)
		total += tr->plans[i].task->rec.nr_fds;
	tr->pipes = calloc(total ? total : 1, sizeof(*tr->pipes));
	if (!tr->pipes)
		return fail(tr->e, -ENOMEM, "out of memory");
	for (i = 0; i < tr->n; i++) {
		const struct libckpt_image_task *t = tr->plans[i].task;

		for (j = 0; j < t->rec.nr_fds; j++) {
			const struct libckpt_image_fd *f = &t->fds[j];

			if (f->rec.type != CKPT_FD_PIPE)
				continue;
			ret = find_pipe(tr, f->rec.ino) ? 0 : make_pipe(tr, f);
			if (!ret && (f->rec.flags & CKPT_FD_PIPE_DATA))
				ret = fill_pipe(tr, f);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static void close_pipes(const struct tree *tr)
{
	size_t i;

	for (i = 0; i < tr->nr_pipes; i++) {
		close(tr->pipes[i].r);
		close(tr->pipes[i].w);
	}
}

/* The descriptors a restoring process keeps while it places its own. */
static bool restore_owned(const struct tree *tr, int fd)
{
	size_t i;

	if (fd == tr->image_fd || fd == tr->tty_fd)
		return true;
	for (i = 0; i < tr->nr_pipes; i++)
		if (fd == tr->pipes[i].r || fd == tr->pipes[i].w)
			return true;
	return false;
}

/* Close everything inherited but the restore's own descriptors. */
static void close_inherited(const struct tree *tr)
{
	int fd, high = tr->image_fd;
	size_t i;

	if (tr->tty_fd > high)
		high = tr->tty_fd;
	for (i = 0; i < tr->nr_pipes; i++) {
		if (tr->pipes[i].r > high)
			high = tr->pipes[i].r;
		if (tr->pipes[i].w > high)
			high = tr->pipes[i].w;
	}
	for (fd = 0; fd < high; fd++)
		if (!restore_owned(tr, fd))
			close(fd);
	close_range(high + 1, ~0U, 0);
}

static int restore_fds(const struct tree *tr, const struct libckpt_image_task *t)
{
	struct shared *e = tr->e;
	uint32_t i;
	int fd, ret;

	close_inherited(tr);
	for (i = 0; i < t->rec.nr_fds; i++) {
		const struct libckpt_image_fd *f = &t->fds[i];
		bool want_write = (f->rec.f_flags & O_ACCMODE) != O_RDONLY;

		if (f->rec.type == CKPT_FD_PIPE) {
			const struct pipe_ends *pe = find_pipe(tr, f->rec.ino);

			ret = place_copy(want_write ? pe->w : pe->r, &f->rec);
			if (!ret && fcntl(f->rec.fd, F_SETFL, f->rec.f_flags & O_NONBLOCK))
				ret = -errno;
		} else if (f->rec.type == CKPT_FD_TTY && tr->tty_fd >= 0) {
			ret = place_copy(tr->tty_fd, &f->rec);
		} else {
			fd = open_file(t->rec.pid, f, e);
			if (fd < 0)
				return fd;
			ret = fd == f->rec.fd ? 0 : place_copy(fd, &f->rec);
			if (fd != f->rec.fd)
				close(fd);
			if (!ret && fd == f->rec.fd &&
			    fcntl(fd, F_SETFD, (f->rec.flags & CKPT_FD_CLOEXEC) ? FD_CLOEXEC : 0))
				ret = -errno;
		}
		if (ret)
			return fail(e, ret, "pid %u fd %d: cannot place it: %s",
				    t->rec.pid, f->rec.fd, strerror(-ret));
	}
	close_pipes(tr);
	if (tr->tty_fd >= 0)
		close(tr->tty_fd);
	return 0;
}

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

static bool maps_a_file(const struct libckpt_image_vma *v)
{
	if ((v->rec.flags & (CKPT_VMA_ANON | CKPT_VMA_VDSO)) || !v->path[0])
		return false;
	/* Shared anonymous memory shows as a deleted /dev/zero. */
	return !((v->rec.flags & CKPT_VMA_SHARED) && strstr(v->path, "(deleted)"));
}

static int check_mapped_file(uint32_t pid, int fd, const struct libckpt_image_vma *v,
			     struct shared *e)
{
	bool writable = (v->rec.flags & CKPT_VMA_SHARED) &&
			(v->rec.flags & CKPT_VMA_WRITE);
	char why[160];
	int ret;

	ret = still_same_file(fd, v->rec.ino, v->rec.dev, v->rec.size,
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

		if (!maps_a_file(v))
			continue;
		fd = open(v->path, (v->rec.flags & CKPT_VMA_SHARED) &&
			  (v->rec.flags & CKPT_VMA_WRITE) ? O_RDWR : O_RDONLY);
		if (fd < 0)
			return fail(e, -errno, "pid %u mapping at 0x%llx: cannot open %s: %s",
				    t->rec.pid,
				    (unsigned long long)v->rec.start, v->path,
				    strerror(errno));
		ret = check_mapped_file(t->rec.pid, fd, v, e);
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
static pid_t spawn_task(struct tree *tr, size_t i)
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
	sigset_t mask;
	size_t j;
	int ret;

	__atomic_store_n(&e->pids[i], getpid(), __ATOMIC_RELEASE);
	ret = lead(tr, i);
	for (j = 0; !ret && j < tr->n; j++)
		if (tr->parent[j] == (int)i && spawn_task(tr, j) < 0)
			ret = failed(e);
	if (ret)
		return ret;
	count_in(&e->created);
	ret = wait_count(e, &e->created, (int)tr->n, "every process to be created");
	if (!ret)
		ret = join_group(tr, i);
	if (!ret)
		ret = restore_fds(tr, t);
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
		return fail(e, ret, "pid %u cannot reach the module", t->rec.pid);
	ret = start_threads(h, t, e);
	if (!ret)
		ret = place_vdso(p->vvar, e);
	if (ret)
		return ret;
	sigemptyset(&mask);
	memcpy(&mask, &th->sigmask, sizeof(th->sigmask));
	sigprocmask(SIG_SETMASK, &mask, NULL);
	count_in(&e->entering);
	return restore_mm(h, p, tr->image_fd, e);
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

/* --- the controller -------------------------------------------------------- */

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

static int wait_parked(struct libckpt *h, pid_t tid)
{
	struct nl_msg *msg = libckpt_msg_new(h, CKPT_CMD_RESTORE_PARKED, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, CKPT_A_TID, tid) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return libckpt_transact(h, msg, NULL, NULL);
}

/* The thread's id now: the leader's is the process's (new with --new-pid). */
static pid_t thread_id(const struct tree *tr, size_t i, uint32_t k)
{
	return k ? (pid_t)tr->plans[i].task->threads[k].rec.tid : tr->e->pids[i];
}

/*
 * Once a restoring process failed, its own explanation comes first; the
 * controller's view ("did not park") only when it gave none.
 */
static int explain(struct shared *e, int ret, struct libckpt *h, pid_t tid,
		   const char *what)
{
	int tries;

	for (tries = 0; tries < 10 && !failed(e); tries++)
		usleep(20000);
	if (!failed(e))
		fail(e, ret, "thread %d %s: %s", tid, what,
		     libckpt_error(h)[0] ? libckpt_error(h) : strerror(-ret));
	return failed(e);
}

/* Every thread parked with its memory in place, then all of them released. */
static int release_tree(struct tree *tr)
{
	struct libckpt *h = NULL;
	size_t i;
	uint32_t k;
	int ret;

	ret = wait_count(tr->e, &tr->e->entering, (int)tr->n,
			 "every process to prepare its restore");
	if (ret)
		return ret;
	ret = libckpt_open(&h);
	if (ret)
		return fail(tr->e, ret, "cannot reach the module");
	for (i = 0; !ret && i < tr->n; i++)
		for (k = 0; !ret && k < tr->plans[i].task->rec.nr_threads; k++) {
			ret = wait_parked(h, thread_id(tr, i, k));
			if (ret)
				ret = explain(tr->e, ret, h, thread_id(tr, i, k),
					      "did not get its memory in place");
		}
	/* The point where the image starts to run: children first. */
	for (i = tr->n; !ret && i-- > 0;)
		for (k = 0; !ret && k < tr->plans[i].task->rec.nr_threads; k++) {
			ret = send_regs(h, thread_id(tr, i, k),
					&tr->plans[i].task->threads[k]);
			if (ret)
				ret = explain(tr->e, ret, h, thread_id(tr, i, k),
					      "cannot get its registers");
		}
	libckpt_close(h);
	if (ret)
		return ret;
	for (i = 0; i < tr->n; i++)
		resend_pending(tr->e->pids[i], tr->plans[i].task);
	return 0;
}

/* Kill whatever of the tree exists, and reap the roots. */
static void abort_tree(struct tree *tr)
{
	pid_t pid;
	size_t i;

	for (i = 0; i < tr->n; i++) {
		pid = __atomic_load_n(&tr->e->pids[i], __ATOMIC_ACQUIRE);
		if (pid > 0)
			kill(pid, SIGKILL);
	}
	for (i = 0; i < tr->n; i++) {
		pid = __atomic_load_n(&tr->e->pids[i], __ATOMIC_ACQUIRE);
		if (tr->parent[i] < 0 && pid > 0)
			waitpid(pid, NULL, 0);
	}
}

/* The caller's terminal, for --shell-job: the first of 0, 1, 2 that is one. */
static int find_terminal(struct tree *tr)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (isatty(fd)) {
			tr->tty_fd = fcntl(fd, F_DUPFD, tr->top);
			return tr->tty_fd < 0 ?
			       fail(tr->e, -errno, "cannot duplicate the terminal") : 0;
		}
	return fail(tr->e, -ENOTTY, "--shell-job: neither standard input, output nor error is a terminal");
}

/*
 * The files the image names, checked before any process is made (each
 * restoring process checks again what it opens): a mismatch costs nothing.
 */
static int check_files(const struct tree *tr)
{
	const struct libckpt_image_task *t;
	size_t i;
	uint32_t j;
	int fd, ret = 0;

	for (i = 0; !ret && i < tr->n; i++) {
		t = tr->plans[i].task;
		for (j = 0; !ret && j < t->rec.nr_vmas; j++) {
			if (!maps_a_file(&t->vmas[j]))
				continue;
			fd = open(t->vmas[j].path, O_PATH | O_CLOEXEC);
			if (fd < 0)
				return fail(tr->e, -errno, "pid %u mapping at 0x%llx: cannot open %s: %s",
					    t->rec.pid, (unsigned long long)t->vmas[j].rec.start,
					    t->vmas[j].path, strerror(errno));
			ret = check_mapped_file(t->rec.pid, fd, &t->vmas[j], tr->e);
			close(fd);
		}
		for (j = 0; !ret && j < t->rec.nr_fds; j++) {
			if (t->fds[j].rec.type != CKPT_FD_REG &&
			    t->fds[j].rec.type != CKPT_FD_DIR)
				continue;
			fd = open_file(t->rec.pid, &t->fds[j], tr->e);
			if (fd < 0)
				return fd;
			close(fd);
		}
	}
	return ret;
}

/* Make the roots, release the whole tree; 0 once it runs as the image. */
static int run_tree(struct tree *tr)
{
	size_t i;
	int ret = 0;

	ret = check_files(tr);
	if (!ret)
		ret = make_pipes(tr);
	if (!ret && tr->o->shell_job)
		ret = find_terminal(tr);
	for (i = 0; !ret && i < tr->n; i++)
		if (tr->parent[i] < 0 && spawn_task(tr, i) < 0)
			ret = failed(tr->e);
	close_pipes(tr);
	if (tr->tty_fd >= 0)
		close(tr->tty_fd);
	if (!ret)
		ret = release_tree(tr);
	if (ret) {
		abort_tree(tr);
		return failed(tr->e) ? failed(tr->e) : ret;
	}
	tr->e->root = tr->e->pids[tr->main_root];
	return 0;
}

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * --pidns: a first process of a new pid namespace restores the tree in it
 * (the image's pids are free there) and stays as its init, reaping, until
 * the tree is gone; it exits with the main root's status.
 */
static int restore_in_pidns(struct tree *tr, pid_t *pid, int *status)
{
	struct clone_args args = { .flags = CLONE_NEWPID, .exit_signal = SIGCHLD };
	struct shared *e = tr->e;
	pid_t init, w;
	int st, code = 0;

	init = syscall(SYS_clone3, &args, sizeof(args));
	if (init < 0)
		return fail(e, -errno, "cannot create a pid namespace: %s", strerror(errno));
	if (init == 0) {
		prctl(PR_SET_NAME, "ckpt-init");
		if (run_tree(tr)) {
			__atomic_store_n(&e->running, -1, __ATOMIC_RELEASE);
			futex_wake_all(&e->running);
			_exit(1);
		}
		__atomic_store_n(&e->running, 1, __ATOMIC_RELEASE);
		futex_wake_all(&e->running);
		while ((w = wait(&st)) > 0 || errno == EINTR)
			if (w == e->root)
				code = exit_code(st);
		_exit(code);
	}
	while (!__atomic_load_n(&e->running, __ATOMIC_ACQUIRE)) {
		if (waitpid(init, &st, WNOHANG) == init) {
			if (!failed(e))
				fail(e, -ECHILD, "the namespace's init died before the tree ran");
			return failed(e);
		}
		usleep(10000);
	}
	if (e->running < 0) {
		waitpid(init, NULL, 0);
		return failed(e);
	}
	*pid = e->root;
	if (tr->o->wait && waitpid(init, &st, 0) == init)
		*status = st;
	return 0;
}

static int restore_tree(struct tree *tr, pid_t *pid, int *status)
{
	struct shared *e = tr->e;
	pid_t mid;
	int st, ret;

	if (tr->o->pidns)
		return restore_in_pidns(tr, pid, status);
	if (tr->o->wait) {
		ret = run_tree(tr);
		if (ret)
			return ret;
		*pid = e->root;
		if (waitpid(e->root, &st, 0) == e->root)
			*status = st;
		return 0;
	}
	/* A short-lived middle process: the restored roots are orphaned. */
	mid = fork();
	if (mid == 0)
		_exit(run_tree(tr) ? 1 : 0);
	if (mid < 0 || waitpid(mid, &st, 0) != mid)
		return fail(e, -ECHILD, "lost the restoring process");
	if (failed(e))
		return failed(e);
	*pid = e->root;
	return 0;
}

/*
 * The kernel reads pages at file offsets, so a stream is first spooled
 * into a memfd; its /proc/self/fd path then serves as the image file.
 */
static int spool_stdin(const struct libckpt_restore_opts *o, char *path,
		       size_t size, char *err, size_t errlen)
{
	char buf[65536];
	uint64_t done = 0;
	ssize_t n;
	int fd = memfd_create("ckpt-image", 0);

	if (fd < 0)
		return libckpt_fail(err, errlen, -errno, "cannot create a memfd: %s",
				    strerror(errno));
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		if (write(fd, buf, n) != n)
			return libckpt_fail(err, errlen, -EIO, "cannot spool the image");
		done += n;
		if (o->progress)
			o->progress(done, 0, o->progress_arg);
	}
	if (n < 0)
		return libckpt_fail(err, errlen, -errno, "reading the image from standard input: %s",
				    strerror(errno));
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return 0;
}

int libckpt_restore(const char *spec, const struct libckpt_restore_opts *o,
		    pid_t *pid, int *status, char *err, size_t errlen)
{
	struct tree tr = { .o = o, .image_fd = -1, .tty_fd = -1 };
	struct libckpt_image *img;
	size_t shared_len, i;
	char spooled[64];
	char *path, *colon;
	uint32_t j;
	int ret, fd;

	if (!strcmp(spec, "-")) {
		ret = spool_stdin(o, spooled, sizeof(spooled), err, errlen);
		if (ret)
			return ret;
		spec = spooled;
	}
	ret = libckpt_image_open(spec, &img, err, errlen);
	if (ret)
		return ret;
	shared_len = sizeof(struct shared) +
		     libckpt_image_nr_tasks(img) * sizeof(pid_t);
	tr.e = mmap(NULL, shared_len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tr.e == MAP_FAILED) {
		libckpt_image_close(img);
		return libckpt_fail(err, errlen, -ENOMEM, "out of memory");
	}
	path = strdup(spec);
	colon = path ? strrchr(path, ':') : NULL;
	if (colon && access(path, F_OK))
		*colon = '\0';
	ret = path ? build_tree(img, &tr) : fail(tr.e, -ENOMEM, "out of memory");
	if (ret)
		goto out;
	/* Above every recorded descriptor, so placing one never hits ours. */
	tr.top = 3;
	for (i = 0; i < tr.n; i++)
		for (j = 0; j < tr.plans[i].task->rec.nr_fds; j++)
			if (tr.plans[i].task->fds[j].rec.fd >= tr.top)
				tr.top = tr.plans[i].task->fds[j].rec.fd + 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	tr.image_fd = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, tr.top);
	if (fd >= 0)
		close(fd);
	if (tr.image_fd < 0) {
		ret = fail(tr.e, -errno, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	ret = restore_tree(&tr, pid, status);
out:
	if (ret)
		libckpt_fail(err, errlen, ret, "%s", tr.e->msg);
	if (tr.image_fd >= 0)
		close(tr.image_fd);
	for (i = 0; tr.plans && i < tr.n; i++) {
		free(tr.plans[i].vmas);
		free(tr.plans[i].runs);
	}
	free(tr.plans);
	free(tr.parent);
	free(tr.pipes);
	free(path);
	libckpt_image_close(img);
	munmap(tr.e, shared_len);
	return ret;
}
