// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: restore the processes of an image. The controller creates each
 * root of the checkpointed tree (clone3 with the image's pid); every
 * restoring process first creates its own children the same way, so the
 * tree takes its recorded shape, sessions and process groups. Then each
 * rebuilds the world around itself with ordinary system calls —
 * descriptors (every open file description made once, before the first
 * fork, so every process shares them as before), working directory, limits, dispositions,
 * credentials, signal state, the vdso's place — and asks the module to
 * replace its memory. When every thread is parked with its memory in
 * place, the controller gives each its registers; until then nothing of
 * the image has run, and any failure kills the whole half-built tree.
 *
 * This file holds the plan (the tree, the page runs) and the controller;
 * restore_fds.c rebuilds descriptors, restore_proc.c a restoring process.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "restore.h"

/* The initial user namespace's inode number (include/linux/proc_ns.h). */
#define PROC_USER_INIT_INO	0xEFFFFFFDU

int libckpt_rst_vfail(struct shared *e, int err, const char *fmt, va_list ap)
{
	int unclaimed = 0;

	/* The first failure is the one reported; later ones are its echoes. */
	if (!__atomic_compare_exchange_n(&e->claimed, &unclaimed, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return err;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	__atomic_store_n(&e->error, err, __ATOMIC_RELEASE);
	futex_wake_all(&e->created);
	futex_wake_all(&e->entering);
	futex_wake_all(&e->running);
	return err;
}

/*
 * Wait until *@word reaches @n; a failure elsewhere ends the wait early.
 * Each arrival is progress, and so is each MiB a process reads into the
 * memory its children inherit (restore_forked.c): the wait fails only
 * once nothing progressed for BARRIER_MS, so a large tree on a slow
 * machine is not cut short.
 */
int libckpt_rst_wait_count(struct shared *e, int *word, int n, const char *what)
{
	struct timespec slice = { 0, 20 * 1000 * 1000 };
	int still, v, seen = -1, p, seen_p = -1;

	for (still = 0; still < BARRIER_MS; still += 20) {
		if (failed(e))
			return failed(e);
		v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		if (v >= n)
			return 0;
		p = __atomic_load_n(&e->progress, __ATOMIC_RELAXED);
		if (v != seen || p != seen_p) {
			seen = v;
			seen_p = p;
			still = 0;
		}
		syscall(SYS_futex, word, FUTEX_WAIT, v, &slice, NULL, 0);
	}
	return fail(e, -ETIMEDOUT, "waiting for %s: %d of %d arrived, then none for %d s",
		    what, seen, n, BARRIER_MS / 1000);
}

/* --- the plan ------------------------------------------------------------ */

/* Room for element @n of the array *@arr of *@cap: doubled when full. */
int libckpt_rst_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap = *cap ? 2 * *cap : 64;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

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
	struct ckpt_restore_run r = {
		.addr = run->addr, .offset = run->offset, .nr_pages = run->nr_pages,
	};
	struct run_list own;
	int ret;

	if (!p)
		return -EINVAL;
	/* The parent's pages: copies, unless fork() shares them (restore_forked.c). */
	if (run->forked)
		return libckpt_rst_run_push(&p->fruns, &r);
	own = (struct run_list){ p->runs, p->nr_runs, p->cap_runs };
	ret = libckpt_rst_run_push(&own, &r);
	p->runs = own.v;
	p->nr_runs = own.n;
	p->cap_runs = own.cap;
	return ret;
}

static int by_addr(const void *a, const void *b)
{
	const struct ckpt_restore_run *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * A version 12 image brings each process's runs in two sweeps (its late
 * pages last); the module and the lazy split take them in address order.
 */
static void sort_runs(struct tree *tr)
{
	size_t i;

	for (i = 0; i < tr->n; i++)
		qsort(tr->plans[i].runs, tr->plans[i].nr_runs, sizeof(*tr->plans[i].runs),
		      by_addr);
}

static int plan_task(struct plan *p, const struct libckpt_image_task *t,
		     struct shared *e)
{
	uint32_t i;

	p->task = t;
	p->cwd_fd = -1;
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

/* The index of the image's process @pid, or -1. */
int libckpt_rst_task_index(const struct tree *tr, uint32_t pid)
{
	size_t i;

	for (i = 0; i < tr->n; i++)
		if (tr->plans[i].task->rec.pid == pid)
			return (int)i;
	return -1;
}

static const struct ckpt_rec_zombie *zombie_of(const struct tree *tr, uint32_t pid)
{
	size_t i;

	for (i = 0; i < tr->nr_zombies; i++)
		if (tr->zombies[i].pid == pid)
			return &tr->zombies[i];
	return NULL;
}

/* The session of the leader of process group @pgid, or 0 if not in the image. */
static uint32_t group_session(const struct tree *tr, uint32_t pgid)
{
	const struct ckpt_rec_zombie *z = zombie_of(tr, pgid);
	int leader = libckpt_rst_task_index(tr, pgid);

	if (leader >= 0)
		return tr->plans[leader].task->rec.sid;
	return z ? z->sid : 0;
}

/*
 * A zombie is made by its parent after the parent's session and group
 * exist: it is in its parent's session (the image says so) and leads its
 * own group or joins one whose leader, alive or a zombie, is in the image.
 */
static int check_zombie(const struct tree *tr, const struct ckpt_rec_zombie *z)
{
	uint32_t sid = group_session(tr, z->pgid);

	if (z->pgid == z->pid)
		return 0;
	if (!sid)
		return fail(tr->e, -EOPNOTSUPP,
			    "zombie %u is in process group %u, whose leader is not in the image: not supported",
			    z->pid, z->pgid);
	if (sid != z->sid)
		return fail(tr->e, -EINVAL,
			    "zombie %u and the leader of its process group %u are in different sessions",
			    z->pid, z->pgid);
	return 0;
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
		if (parent < 0 && libckpt_rst_task_index(tr, r->sid) >= 0)
			return fail(tr->e, -EOPNOTSUPP,
				    "pid %u is in session %u of the image but its parent is not: not supported",
				    r->pid, r->sid);
	}
	if (r->pgid == r->pid)
		return 0;
	leader = libckpt_rst_task_index(tr, r->pgid);
	if (leader < 0 && !zombie_of(tr, r->pgid))
		return fail(tr->e, -EOPNOTSUPP,
			    "pid %u is in process group %u, whose leader is not in the image: not supported",
			    r->pid, r->pgid);
	if (group_session(tr, r->pgid) != r->sid)
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

		tr->parent[i] = libckpt_rst_task_index(tr, r->ppid);
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
		if (!ret)
			ret = libckpt_rst_tty_check(tr, i);
		if (ret)
			return ret;
	}
	tr->nr_zombies = libckpt_image_nr_zombies(img);
	tr->zombies = libckpt_image_zombie(img, 0);
	tr->zpids = calloc(tr->nr_zombies + 1, sizeof(*tr->zpids));
	if (!tr->zpids)
		return fail(tr->e, -ENOMEM, "out of memory");
	for (i = 0; i < tr->nr_zombies; i++) {
		ret = check_zombie(tr, &tr->zombies[i]);
		if (ret)
			return ret;
	}
	/* An incremental image's runs lie in every generation of its chain. */
	ret = libckpt_chain_page_runs(&tr->chain, add_run, &router, err, sizeof(err));
	if (ret)
		return fail(tr->e, ret, "%s", err);
	sort_runs(tr);
	return 0;
}

/* --- the controller -------------------------------------------------------- */

/*
 * The process queued its signals again itself, with their siginfo
 * (libckpt_rst_signals()), and those of its POSIX timers
 * (libckpt_rst_timers()). What is left comes back as kill() and tgkill()
 * send it: a signal the kernel kept pending without a siginfo, SIGSTOP.
 */
static void resend_pending(pid_t pid, const struct libckpt_image_task *t)
{
	uint64_t set;
	uint32_t i;
	int sig;

	set = t->proc->rec.shared_pending & ~libckpt_rst_timer_pending(t, 0) &
	      ~libckpt_rst_signals_queued(t, 0);
	for (sig = 1; sig <= 64; sig++)
		if (set & (1ULL << (sig - 1)))
			kill(pid, sig);
	for (i = 0; i < t->rec.nr_threads; i++) {
		set = t->threads[i].rec.pending &
		      ~libckpt_rst_timer_pending(t, t->threads[i].rec.tid) &
		      ~libckpt_rst_signals_queued(t, t->threads[i].rec.tid);
		for (sig = 1; sig <= 64; sig++)
			if (set & (1ULL << (sig - 1)))
				syscall(SYS_tgkill, pid, t->threads[i].rec.tid, sig);
	}
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

/*
 * The module lets a process's executable (/proc/PID/exe) be set only by
 * a caller with CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN in the initial
 * user namespace, the rule prctl(PR_SET_MM_MAP) applies to exe_fd.
 * Without it the restored process keeps the restorer's (a documented
 * limit), rather than the whole restore failing. A kernel built without
 * CONFIG_USER_NS has no /proc/self/ns/user: every task is in the initial
 * namespace there.
 */
static bool may_set_exe(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { 0 } };
	struct stat st;

	if (stat("/proc/self/ns/user", &st) == 0) {
		if (st.st_ino != PROC_USER_INIT_INO)
			return false;
	} else if (errno != ENOENT) {
		return false;
	}
	if (syscall(SYS_capget, &hdr, d))
		return false;
	return (d[CAP_CHECKPOINT_RESTORE / 32].effective &
		(1U << (CAP_CHECKPOINT_RESTORE % 32))) ||
	       (d[0].effective & (1U << CAP_SYS_ADMIN));
}

/*
 * The executable of process @t, opened by its recorded path and, when a
 * mapping of the same path was recorded (the ELF loader maps it), checked
 * to be that file; -1 if it had none or we may not set it; else -errno.
 */
static int open_exe(const struct tree *tr, const struct libckpt_image_task *t)
{
	const char *exe = t->proc->exe;
	uint32_t j;
	int fd, ret;

	if (!exe[0] || !may_set_exe())
		return -1;
	fd = open(exe, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(tr->e, -errno, "pid %u: cannot open its executable %s: %s",
			    t->rec.pid, exe, strerror(errno));
	for (j = 0; j < t->rec.nr_vmas; j++) {
		if (!libckpt_rst_maps_a_file(&t->vmas[j]) || strcmp(t->vmas[j].path, exe))
			continue;
		ret = libckpt_rst_check_mapped_file(tr, t->rec.pid, fd, &t->vmas[j]);
		if (ret) {
			close(fd);
			return ret;
		}
		break;
	}
	return fd;
}

static int still_held(struct tree *tr)
{
	char err[LIBCKPT_ERRLEN];
	int ret = libckpt_image_still_held(tr->img, err, sizeof(err));

	if (!ret)
		ret = libckpt_chain_still_held(&tr->chain, err, sizeof(err));
	return ret ? fail(tr->e, ret, "%s", err) : 0;
}

/*
 * The pieces @p's runs are cut into, one CRC each: those the module
 * fills and those the process fills itself (restore_forked.c).
 */
static size_t plan_pieces(const struct plan *p)
{
	struct run_list own = { p->runs, p->nr_runs, p->nr_runs };

	return libckpt_rst_run_pieces(&own) + libckpt_rst_run_pieces(&p->fruns) +
	       libckpt_rst_run_pieces(&p->pruns) + libckpt_rst_run_pieces(&p->pfruns);
}

int libckpt_rst_taken_run(struct tree *tr, const struct ckpt_restore_run *r)
{
	if (libckpt_rst_grow((void **)&tr->taken, &tr->cap_taken, tr->nr_taken,
			 sizeof(*tr->taken)))
		return -ENOMEM;
	tr->taken[tr->nr_taken++] = (struct libckpt_data_crc){
		.offset = r->offset, .len = r->nr_pages * CKPT_PAGE_SIZE,
	};
	return 0;
}

/*
 * The CRCs of the runs the controller filled itself (shared memory, made
 * once however many processes map it, so a page of it may be in several
 * runs): read again here, they are few.
 */
static int crc_taken(struct tree *tr)
{
	char *buf = malloc(CKPT_RESTORE_CRC_PIECE);
	struct libckpt_data_crc *t;
	uint64_t at, n;
	size_t i;
	ssize_t got;

	if (!buf)
		return fail(tr->e, -ENOMEM, "out of memory");
	for (i = 0; i < tr->nr_taken; i++) {
		t = &tr->taken[i];
		for (at = 0; at < t->len; at += n) {
			n = t->len - at < CKPT_RESTORE_CRC_PIECE ? t->len - at :
			    CKPT_RESTORE_CRC_PIECE;
			got = pread(tr->image_fd, buf, n, (off_t)(t->offset + at));
			if (got != (ssize_t)n) {
				free(buf);
				return fail(tr->e, -EIO, "cannot read the image at byte %llu",
					    (unsigned long long)(t->offset + at));
			}
			t->crc = libckpt_crc32c(t->crc, buf, n);
		}
	}
	free(buf);
	return 0;
}

/*
 * The module read every page of the image as it filled memory and left
 * the CRC of each piece in the CRC file; with them, those of the runs
 * the controller filled and @more (the page server's, --lazy) the
 * image's checksum is checked: for a full restore before any restored
 * task runs, instead of in a full read of the image beforehand.
 */
int libckpt_rst_check_filled(struct tree *tr, const struct libckpt_data_crc *more,
			     size_t nr_more, char *err, size_t errlen)
{
	size_t n = tr->nr_pieces, i, k = 0, all = n + tr->nr_taken + nr_more;
	struct libckpt_data_crc *pieces;
	uint32_t *crcs;
	int ret;

	ret = crc_taken(tr);
	if (ret)
		return libckpt_fail(err, errlen, ret, "%s", tr->e->msg);
	crcs = malloc((n ? n : 1) * sizeof(*crcs));
	pieces = malloc((all ? all : 1) * sizeof(*pieces));
	if (!crcs || !pieces) {
		ret = libckpt_fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	if (pread(tr->crc_fd, crcs, n * sizeof(*crcs), 0) != (ssize_t)(n * sizeof(*crcs))) {
		ret = libckpt_fail(err, errlen, -EIO,
				   "cannot read the checksums of the filled pages");
		goto out;
	}
	for (i = 0, all = 0; i < tr->n; i++) {
		all += libckpt_rst_forked_pieces(&tr->plans[i], crcs + k, pieces + all);
		k += plan_pieces(&tr->plans[i]);
	}
	memcpy(pieces + all, tr->taken, tr->nr_taken * sizeof(*pieces));
	all += tr->nr_taken;
	memcpy(pieces + all, more, nr_more * sizeof(*pieces));
	all += nr_more;
	/*
	 * An incremental image's pages from its parents are not its own
	 * bytes: each parent was verified whole when its chain was opened,
	 * and still_held() showed the area kept it since.
	 */
	for (i = k = 0; tr->chain.n && i < all; i++)
		if (libckpt_image_in(tr->img, pieces[i].offset, pieces[i].len))
			pieces[k++] = pieces[i];
	if (tr->chain.n)
		all = k;
	ret = libckpt_image_check_data(tr->img, pieces, all, err, errlen);
out:
	free(crcs);
	free(pieces);
	return ret;
}

static int check_filled(struct tree *tr)
{
	char err[LIBCKPT_ERRLEN];
	int ret = libckpt_rst_check_filled(tr, NULL, 0, err, sizeof(err));

	return ret ? fail(tr->e, ret, "%s", err) : 0;
}

/*
 * Where each plan's CRCs go in the CRC file: once the plans are final
 * (libckpt_rst_make_shm() takes shared memory's runs out of them).
 */
static void place_crcs(struct tree *tr)
{
	size_t i;

	tr->nr_pieces = 0;
	for (i = 0; i < tr->n; i++) {
		tr->plans[i].crc_pos = tr->nr_pieces * sizeof(uint32_t);
		tr->nr_pieces += plan_pieces(&tr->plans[i]);
	}
}

/* The file the module writes the pieces' CRCs into, above every recorded fd. */
static int make_crc_file(struct tree *tr)
{
	int fd = memfd_create("ckpt-crcs", MFD_CLOEXEC);

	if (fd < 0)
		return fail(tr->e, -errno, "cannot create a memfd: %s", strerror(errno));
	tr->crc_fd = fcntl(fd, F_DUPFD_CLOEXEC, tr->top);
	close(fd);
	if (tr->crc_fd < 0)
		return fail(tr->e, -errno, "cannot move the checksum memfd: %s",
			    strerror(errno));
	return 0;
}

/* Every thread parked with its memory in place, then all of them released. */
static int release_tree(struct tree *tr)
{
	struct libckpt *h = NULL;
	int exe_fd = -1;
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
	/*
	 * Every page is in place, read from the descriptor the image was
	 * verified through; if it is an area generation, it must still be
	 * there: a checkpoint into the same area may have overwritten it
	 * meanwhile, and then no process may run.
	 */
	if (!ret)
		ret = still_held(tr);
	/* --lazy: the page server checks it once it has read the rest. */
	if (!ret && !tr->o->lazy)
		ret = check_filled(tr);
	/* Every attachment is in place: removed segments go again. */
	if (!ret)
		ret = libckpt_rst_sysv_rmid(tr);
	/* Every process has its identity: the sockets' peer credentials. */
	if (!ret)
		ret = libckpt_rst_sock_peers(tr, h);
	if (!ret)
		ret = libckpt_rst_sched(tr);
	if (!ret && tr->o->shell_job)
		ret = libckpt_rst_tty_shell_foreground(tr);
	/* Its lazy ranges registered and their server running, first. */
	if (!ret && tr->o->lazy)
		ret = libckpt_rst_lazy_serve(tr);
	/* The point where the image starts to run: children first. */
	for (i = tr->n; !ret && i-- > 0;) {
		/*
		 * Stopped by job control: SIGSTOP while every thread is still
		 * parked in the module (a killable wait it does not end), so
		 * each stops on its way out, before any instruction of the
		 * image (get_signal() runs before the return to user space).
		 */
		if ((tr->plans[i].task->proc->rec.flags & CKPT_PROC_STOPPED) &&
		    kill(tr->e->pids[i], SIGSTOP)) {
			ret = fail(tr->e, -errno, "pid %u: cannot stop it again: %s",
				   tr->plans[i].task->rec.pid, strerror(errno));
			break;
		}
		/* Opened now, so that no restoring process inherits it. */
		exe_fd = open_exe(tr, tr->plans[i].task);
		if (exe_fd < -1) {
			ret = exe_fd;
			break;
		}
		for (k = 0; !ret && k < tr->plans[i].task->rec.nr_threads; k++) {
			ret = libckpt_rst_send_regs(h, thread_id(tr, i, k),
					&tr->plans[i].task->threads[k],
					k ? -1 : exe_fd);
			if (ret)
				ret = explain(tr->e, ret, h, thread_id(tr, i, k),
					      "cannot get its registers");
		}
		if (exe_fd >= 0)
			close(exe_fd);
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
			       fail(tr->e, -errno, "cannot duplicate the terminal") :
			       libckpt_rst_tty_shell_job(tr);
		}
	return fail(tr->e, -ENOTTY, "--shell-job: neither standard input, output nor error is a terminal");
}

/*
 * The mapped files the image names, checked before any process is made
 * (each restoring process checks again what it maps), as the descriptors'
 * files are when the controller opens them: a mismatch costs nothing.
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
			if (!libckpt_rst_maps_a_file(&t->vmas[j]))
				continue;
			fd = open(t->vmas[j].path, O_PATH | O_CLOEXEC);
			if (fd < 0)
				return fail(tr->e, -errno, "pid %u mapping at 0x%llx: cannot open %s: %s",
					    t->rec.pid, (unsigned long long)t->vmas[j].rec.start,
					    t->vmas[j].path, strerror(errno));
			ret = libckpt_rst_check_mapped_file(tr, t->rec.pid, fd, &t->vmas[j]);
			close(fd);
		}
		fd = ret ? -1 : open_exe(tr, t);
		if (fd < -1)
			return fd;
		if (fd >= 0)
			close(fd);
	}
	return ret;
}

/* Make the roots, release the whole tree; 0 once it runs as the image. */
static int run_tree(struct tree *tr)
{
	size_t i;
	int ret = 0;

	ret = check_files(tr);
	if (!ret && tr->o->shell_job)
		ret = find_terminal(tr);
	if (!ret)
		ret = libckpt_rst_make_files(tr);
	if (!ret)
		ret = libckpt_rst_make_shm(tr);
	/* After shared memory took its runs: the rest is split. */
	if (!ret && !tr->o->lazy)
		ret = libckpt_rst_forked_plan(tr);
	if (!ret && tr->o->lazy)
		ret = libckpt_rst_lazy_plan(tr);
	if (!ret && tr->o->lazy)
		ret = libckpt_rst_lazy_socket(tr);
	place_crcs(tr);
	tr->e->controller = getpid();
	for (i = 0; !ret && i < tr->n; i++)
		if (tr->parent[i] < 0 && libckpt_rst_spawn_task(tr, i) < 0)
			ret = failed(tr->e);
	libckpt_rst_close_files(tr);
	if (!ret)
		ret = libckpt_rst_open_pidfds(tr);
	if (!ret)
		ret = release_tree(tr);
	libckpt_rst_close_pidfds(tr);
	libckpt_rst_sock_close(tr);
	/* Kept for release_tree(): --shell-job gives it its foreground. */
	if (tr->tty_fd >= 0)
		close(tr->tty_fd);
	if (ret) {
		libckpt_rst_lazy_abort(tr);
		abort_tree(tr);
		libckpt_rst_sysv_undo(tr);
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
	struct tree tr = { .o = o, .image_fd = -1, .crc_fd = -1, .tty_fd = -1,
			   .uffd_sock = { -1, -1 } };
	struct libckpt_image *img;
	size_t shared_len, i;
	char spooled[64];
	int spool = -1;
	uint32_t j;
	int ret;

	if (o->lazy && !strcmp(spec, "-")) {
		/*
		 * Read up to the late runs (format 12): the tree starts once
		 * the rest of what it needs is here, and the page server
		 * reads the rest (libckpt_image_resume()).
		 */
		spool = memfd_create("ckpt-image", MFD_CLOEXEC);
		if (spool < 0)
			return libckpt_fail(err, errlen, -errno, "cannot create a memfd: %s",
					    strerror(errno));
		ret = libckpt_image_open_spooled(STDIN_FILENO, spool, &img, err, errlen);
	} else {
		if (!strcmp(spec, "-")) {
			ret = spool_stdin(o, spooled, sizeof(spooled), err, errlen);
			if (ret)
				return ret;
			spec = spooled;
		}
		/* Its page data is checked as the module fills it: check_filled(). */
		ret = libckpt_image_open_deferred(spec, &img, err, errlen);
	}
	if (ret) {
		if (spool >= 0)
			close(spool);
		return ret;
	}
	shared_len = sizeof(struct shared) +
		     libckpt_image_nr_tasks(img) * sizeof(pid_t);
	tr.e = mmap(NULL, shared_len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tr.e == MAP_FAILED) {
		libckpt_image_close(img);
		return libckpt_fail(err, errlen, -ENOMEM, "out of memory");
	}
	tr.img = img;
	ret = libckpt_chain_open(img, &tr.chain, tr.e->msg, sizeof(tr.e->msg));
	if (!ret && tr.chain.n && o->lazy)
		ret = fail(tr.e, -EOPNOTSUPP,
			   "generation %llu is incremental: --lazy does not compose a chain yet (restore it without --lazy)",
			   (unsigned long long)libckpt_image_hdr(img)->generation);
	if (!ret)
		ret = build_tree(img, &tr);
	if (ret)
		goto out;
	/*
	 * Above every recorded descriptor, and every number an epoll
	 * registration was added under, so placing one never hits ours.
	 */
	tr.top = 3;
	for (i = 0; i < tr.n; i++)
		for (j = 0; j < tr.plans[i].task->rec.nr_fds; j++)
			if (tr.plans[i].task->fds[j].rec.fd >= tr.top)
				tr.top = tr.plans[i].task->fds[j].rec.fd + 1;
	for (i = 0; i < tr.n; i++)
		if (libckpt_rst_objs_top(tr.plans[i].task) > tr.top)
			tr.top = libckpt_rst_objs_top(tr.plans[i].task);
	/*
	 * The descriptor the image was verified through, not the file opened
	 * again by name: a file renamed over or an area rewritten in between
	 * would be filled from unverified bytes.
	 */
	tr.image_fd = fcntl(libckpt_image_fd(img), F_DUPFD_CLOEXEC, tr.top);
	if (tr.image_fd < 0) {
		ret = fail(tr.e, -errno, "cannot duplicate the image descriptor: %s",
			   strerror(errno));
		goto out;
	}
	ret = make_crc_file(&tr);
	if (!ret)
		ret = restore_tree(&tr, pid, status);
out:
	if (ret)
		libckpt_fail(err, errlen, ret, "%s", tr.e->msg);
	if (tr.image_fd >= 0)
		close(tr.image_fd);
	if (tr.crc_fd >= 0)
		close(tr.crc_fd);
	for (i = 0; i < 2; i++)
		if (tr.uffd_sock[i] >= 0)
			close(tr.uffd_sock[i]);
	if (!ret && o->lazy_server)
		*o->lazy_server = tr.e->server;
	for (i = 0; tr.plans && i < tr.n; i++) {
		free(tr.plans[i].vmas);
		free(tr.plans[i].runs);
		free(tr.plans[i].lazy);
		free(tr.plans[i].lazy_vma);
		free(tr.plans[i].fruns.v);
		free(tr.plans[i].pruns.v);
		free(tr.plans[i].pfruns.v);
		free(tr.plans[i].share);
	}
	free(tr.plans);
	free(tr.taken);
	free(tr.parent);
	free(tr.zpids);
	free(tr.descs);
	free(tr.objs);
	free(tr.pidfds);
	free(tr.socks);
	libckpt_chain_close(&tr.chain);
	libckpt_image_close(img);
	if (spool >= 0)
		close(spool);
	munmap(tr.e, shared_len);
	return ret;
}

