/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt internals shared by the restore's files: restore.c (the plan and
 * the controller), restore_fds.c (descriptors), restore_objs.c (eventfd,
 * timerfd, signalfd and epoll descriptions), restore_locks.c (file
 * locks), restore_tty.c (terminals), restore_sock.c and
 * restore_sock_inet.c (sockets), restore_proc.c (a restoring
 * process: its state, threads and memory), restore_lazy.c and
 * restore_lazy_serve.c (--lazy: the plan's split, the page server),
 * restore_forked.c (pages shared by fork(), shared again).
 */
#ifndef LIBCKPT_RESTORE_H
#define LIBCKPT_RESTORE_H

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "chain.h"
#include "format.h"
#include "internal.h"

/*
 * How long a restoring process or the controller waits for the others
 * when none of them arrives at the barrier.
 */
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
	int pidfds_open;	/* the controller's pidfds can be taken */
	pid_t controller;	/* the controller's pid, in the tree's ns */
	pid_t root;		/* the main root's pid, in the restorer's ns */
	pid_t server;		/* --lazy: the page server, in the controller's ns */
	int progress;		/* a MiB read by a process preparing its children's memory */
	char msg[LIBCKPT_ERRLEN];
	pid_t pids[];		/* per task, once created (0 before) */
};

/* Page runs, in address order. */
struct run_list {
	struct ckpt_restore_run *v;
	size_t n, cap;
};

/* plan.share: a mapping its children inherit with the pages fork() shares */
#define SHARE_INHERIT	0x1	/* inherited from its parent, completed here */
#define SHARE_WANTED	0x2	/* a child inherits it: made here first */

struct plan {
	const struct libckpt_image_task *task;
	struct ckpt_restore_vma *vmas;
	struct ckpt_restore_run *runs;
	size_t nr_runs, cap_runs;
	uint64_t crc_pos;	/* where the module puts its runs' CRCs */
	uint64_t vvar;		/* start of [vvar]/[vdso] in the image */
	/* --lazy (restore_lazy.c): runs the page server fills, not the module */
	struct ckpt_restore_run *lazy;
	size_t nr_lazy, cap_lazy;
	bool *lazy_vma;		/* per mapping: registered with userfaultfd */
	int cwd_fd;		/* its re-created removed working directory, or -1 */
	/* pages shared by fork() (restore_forked.c) */
	struct run_list fruns;	/* its parent's pages the module fills, copies */
	struct run_list pruns;	/* its own pages in the mappings it prepares */
	struct run_list pfruns;	/* its parent's pages in those mappings */
	uint8_t *share;		/* per mapping: SHARE_* */
	size_t nr_prep;		/* mappings it prepares before its children */
	bool prepped;		/* it did: they are in place (its children see it) */
};

/*
 * An object behind descriptions, made once by the controller: a pipe (its
 * two ends from pipe2()), a FIFO, a deleted file or a memfd (@any, a
 * descriptor of it, through which more descriptions are opened).
 */
struct rst_object {
	uint64_t dev, ino;
	int r, w, any;
	bool r_used, w_used, any_used;	/* taken as a description */
	bool tmpfile_desc;		/* @any is an O_TMPFILE description */
	bool stamp;			/* a ghost: set its mtime once made */
	uint64_t mtime_ns;
};

/*
 * A shmem object made once by the controller (restore_shm.c): shared
 * anonymous memory, a memfd or a deleted file, mapped MAP_SHARED; or a
 * System V segment (restore_sysv.c), attached.
 */
struct rst_shm {
	uint64_t dev, ino;	/* as the image recorded the mappings' object */
	int fd;			/* a read-write description of it */
	uint8_t *filled;	/* pages filled so far (NULL: its descriptor's) */
	bool sysv;		/* a System V segment: @ino is its id */
	const struct ckpt_sysv_seg *seg;	/* then: its record */
};

/* A pidfd description, opened by the controller once its target exists. */
struct rst_pidfd {
	uint32_t file_id;
	uint32_t holder;	/* the first process holding it, and at */
	int fd;			/* which number (for messages) */
	uint32_t target;	/* the process it refers to */
	uint32_t f_flags;
};

/*
 * A socket of the image (restore_sock.c): its state and queued messages
 * from the first record of its description, and what the controller made.
 */
struct rst_sock {
	struct ckpt_fd_socket st;
	const char *msgs;	/* st.nr_msgs messages, msgs_len bytes */
	uint32_t msgs_len;
	uint32_t pid;		/* the first process holding it, and at */
	int fd_no;		/* which number (for messages) */
	struct rst_sock *peer;	/* a Unix socket's peer, or NULL */
	const struct ckpt_sock_tcp *tcp;	/* with CKPT_SK_TCP_REPAIR */
	int fd;			/* the controller's description, once made */
	int pending;		/* its end, made with its peer's, until taken */
	int gone;		/* its closed peer's end, until closed again */
	int keep;		/* kept for libckpt_rst_sock_peers(), or -1 */
};

struct tree {
	const struct libckpt_restore_opts *o;
	struct shared *e;
	size_t n;
	struct plan *plans;	/* per task, in image order */
	int *parent;		/* index of the parent task, or -1 for a root */
	size_t main_root;	/* the root whose pid is reported */
	int *descs;		/* per file id - 1: the controller's description */
	size_t nr_descs;	/* (-1: the --shell-job terminal, tty_fd) */
	struct rst_object *objs;
	size_t nr_objs;
	struct rst_shm *shms;
	size_t nr_shms;
	struct rst_pidfd *pidfds;
	size_t nr_pidfds;
	struct rst_sock *socks;
	size_t nr_socks;
	const struct ckpt_rec_zombie *zombies;	/* the image's, in its order */
	size_t nr_zombies;
	pid_t *zpids;		/* per zombie: made by this restoring process */
	int top;		/* above every recorded descriptor */
	struct libckpt_image *img;
	struct libckpt_chain chain;	/* img and the generations it builds on */
	int image_fd;		/* img's own descriptor, duplicated above top */
	int crc_fd;		/* the pieces' CRCs, written by the module */
	size_t nr_pieces;	/* of all plans: CRCs in crc_fd */
	/* Runs the controller filled itself (shared memory), CRCs to take. */
	struct libckpt_data_crc *taken;
	size_t nr_taken, cap_taken;
	int tty_fd;		/* --shell-job: the caller's terminal, or -1 */
	/* --lazy: each leader's userfaultfd comes to the controller on [0] */
	int uffd_sock[2];
};

int libckpt_rst_vfail(struct shared *e, int err, const char *fmt, va_list ap);

static inline void futex_wake_all(int *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Record the first failure of the restore; later ones are its echoes. */
__attribute__((format(printf, 3, 4)))
static inline int fail(struct shared *e, int err, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = libckpt_rst_vfail(e, err, fmt, ap);
	va_end(ap);
	return ret;
}

static inline int failed(struct shared *e)
{
	return __atomic_load_n(&e->error, __ATOMIC_ACQUIRE);
}

/* Count ourselves in *@word and wake its waiters. */
static inline void count_in(int *word)
{
	__atomic_add_fetch(word, 1, __ATOMIC_ACQ_REL);
	futex_wake_all(word);
}

int libckpt_rst_wait_count(struct shared *e, int *word, int n, const char *what);

/* Wait until *@word reaches @n; a failure elsewhere ends the wait early. */
static inline int wait_count(struct shared *e, int *word, int n, const char *what)
{
	return libckpt_rst_wait_count(e, word, n, what);
}

bool libckpt_rst_maps_a_file(const struct libckpt_image_vma *v);
bool libckpt_rst_maps_shm(const struct libckpt_image_vma *v);
int libckpt_rst_make_shm(struct tree *tr);
/* Run @r left the plans: the controller filled it; check_filled() reads it. */
int libckpt_rst_taken_run(struct tree *tr, const struct ckpt_restore_run *r);
bool libckpt_rst_plan_maps(const struct plan *p, int fd);
struct rst_shm *libckpt_rst_find_sysv(const struct tree *tr, int64_t shmid);
int libckpt_rst_make_sysv(struct tree *tr);
int libckpt_rst_sysv_rmid(const struct tree *tr);
void libckpt_rst_sysv_undo(const struct tree *tr);
int libckpt_rst_sysv_attach(const struct libckpt_image_task *t, struct shared *e);
void libckpt_rst_close_shm(const struct tree *tr, const struct plan *p);
int libckpt_rst_move_high(int fd, int min);
int libckpt_rst_write_proc(const char *path, const char *fmt, int base, long v);
int libckpt_rst_oom_and_dump(const struct libckpt_image_task *t, struct shared *e);
int libckpt_rst_env(const struct libckpt_image_task *t, struct shared *e);
int libckpt_rst_sched(const struct tree *tr);
int libckpt_rst_make_files(struct tree *tr);
int libckpt_rst_fds(const struct tree *tr, size_t ti);
int libckpt_rst_owners(const struct tree *tr, size_t ti);
int libckpt_rst_make_obj(const struct tree *tr, uint32_t pid,
			 const struct libckpt_image_fd *f);
int libckpt_rst_make_inotify(const struct tree *tr, uint32_t pid,
			     const struct libckpt_image_fd *f);
int libckpt_rst_objs_register(const struct tree *tr, const struct libckpt_image_task *t);
int libckpt_rst_objs_top(const struct libckpt_image_task *t);
int libckpt_rst_still_same_file(int fd, uint64_t ino, uint64_t dev, uint64_t size,
				uint64_t mtime, bool any_content, char *why, size_t len);
int libckpt_rst_open_file(const struct tree *tr, uint32_t pid,
			  const struct libckpt_image_fd *f);
int libckpt_rst_check_mapped_file(const struct tree *tr, uint32_t pid, int fd,
				  const struct libckpt_image_vma *v);
void libckpt_rst_close_files(const struct tree *tr);
int libckpt_rst_pidfd_placeholder(struct tree *tr, uint32_t pid,
				  const struct libckpt_image_fd *f);
bool libckpt_rst_desc_is_pidfd(const struct tree *tr, size_t i);
int libckpt_rst_open_pidfds(const struct tree *tr);
void libckpt_rst_close_pidfds(const struct tree *tr);
int libckpt_rst_take_pidfd(const struct tree *tr, uint32_t pid,
			   const struct libckpt_image_fd *f, int *ctl);
int libckpt_rst_locks_ofd(const struct tree *tr);
int libckpt_rst_locks(const struct tree *tr, size_t ti);
pid_t libckpt_rst_spawn_task(struct tree *tr, size_t i);
int libckpt_rst_task_index(const struct tree *tr, uint32_t pid);
int libckpt_rst_tty_check(const struct tree *tr, size_t i);
int libckpt_rst_open_devtty(const struct tree *tr, uint32_t pid,
			    const struct libckpt_image_fd *f);
int libckpt_rst_tty_settings(const struct tree *tr, uint32_t pid,
			     const struct libckpt_image_fd *f, int fd);
int libckpt_rst_tty_shell_job(const struct tree *tr);
int libckpt_rst_tty_shell_foreground(const struct tree *tr);
int libckpt_rst_tty_lead(const struct tree *tr, size_t i);
int libckpt_rst_tty_foreground(const struct tree *tr, size_t i);
int libckpt_rst_timers(const struct libckpt_image_task *t, struct shared *e);
uint64_t libckpt_rst_timer_pending(const struct libckpt_image_task *t, uint32_t tid);
int libckpt_rst_spawn_zombies(struct tree *tr, size_t i);
int libckpt_rst_wait_zombies(struct tree *tr, size_t i, bool late);
int libckpt_rst_signals(const struct libckpt_image_task *t, struct shared *e);
siginfo_t *libckpt_rst_thread_signals(const struct libckpt_image_task *t, uint32_t tid,
				      size_t *n);
uint64_t libckpt_rst_signals_queued(const struct libckpt_image_task *t, uint32_t tid);
int libckpt_rst_send_regs(struct libckpt *h, pid_t pid,
			  const struct libckpt_image_thread *th, int exe_fd);
int libckpt_rst_sock_plan(struct tree *tr);
int libckpt_rst_run_push(struct run_list *l, const struct ckpt_restore_run *r);
size_t libckpt_rst_run_pieces(const struct run_list *l);
int libckpt_rst_forked_plan(struct tree *tr);
int libckpt_rst_forked_prep(struct tree *tr, size_t i);
int libckpt_rst_forked_plan_file(const struct plan *p, int fd);
size_t libckpt_rst_forked_pieces(const struct plan *p, const uint32_t *crcs,
				 struct libckpt_data_crc *out);
int libckpt_rst_make_sock(struct tree *tr, const struct libckpt_image_fd *f);
int libckpt_rst_sock_finish(struct tree *tr);
int libckpt_rst_sock_options(const struct ckpt_fd_socket *st, int fd);
int libckpt_rst_sock_peers(struct tree *tr, struct libckpt *h);
void libckpt_rst_sock_close(struct tree *tr);
int libckpt_rst_make_inet(struct tree *tr, struct rst_sock *s);
int libckpt_rst_grow(void **arr, size_t *cap, size_t n, size_t elem);
int libckpt_rst_check_filled(struct tree *tr, const struct libckpt_data_crc *more,
			     size_t nr_more, char *err, size_t errlen);
int libckpt_rst_lazy_plan(struct tree *tr);
int libckpt_rst_lazy_socket(struct tree *tr);
int libckpt_rst_lazy_send(const struct tree *tr, size_t i);
int libckpt_rst_lazy_serve(struct tree *tr);
void libckpt_rst_lazy_abort(struct tree *tr);
int libckpt_rst_finish_inet(struct tree *tr, struct rst_sock *s);

#endif /* LIBCKPT_RESTORE_H */
