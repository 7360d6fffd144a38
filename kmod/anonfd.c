// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Descriptor objects on the anon-inode filesystem: which kind a descriptor
 * is, which kinds are refused and why, and the state of the kinds that are
 * captured (eventfd, timerfd, signalfd, epoll, pidfd, inotify).
 *
 * Their structures are private to their .c files in 6.1, so each object
 * describes itself through its file's show_fdinfo(), the text
 * /proc/PID/fdinfo/FD shows, run here into a buffer of our own inside the
 * freeze. Two facts 6.1's fdinfo leaves out are read from the private
 * structure, each cross-checked against the fdinfo text first so that a
 * layout that is not the one below is refused instead of misread: an
 * eventfd's EFD_SEMAPHORE flag, and which file an epoll registration
 * watches (its fdinfo line gives the descriptor number it was registered
 * under and the inode, not the file).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/eventfd.h>
#include <linux/eventpoll.h>
#include <linux/exportfs.h>
#include <linux/fsnotify_backend.h>
#include <linux/idr.h>
#include <linux/kdev_t.h>
#include <linux/poll.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/netlink.h>
#include <linux/pid_namespace.h>
#include <linux/rbtree.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <linux/timerfd.h>
#include <linux/wait.h>
#include <linux/ckpt.h>
#include <linux/ckpt_image.h>

#include "anonfd.h"
#include "group.h"
#include "notice.h"
#include "snap.h"

/*
 * The name anon_inode_getfile()/anon_inode_getfd() gave the file's dentry
 * is the kind (6.1: fs/eventfd.c "[eventfd]", fs/timerfd.c "[timerfd]",
 * fs/signalfd.c "[signalfd]", fs/eventpoll.c "[eventpoll]",
 * fs/notify/inotify/inotify_user.c "inotify", fs/notify/fanotify/
 * fanotify_user.c "[fanotify]", io_uring/io_uring.c "[io_uring]",
 * fs/userfaultfd.c "[userfaultfd]", kernel/events/core.c "[perf_event]",
 * kernel/bpf/syscall.c "bpf-map", "bpf-prog", "bpf_link", "bpf-link",
 * "bpf-stats", kernel/fork.c "[pidfd]"). Only the kernel names these
 * files. type 0 means refused, with @why.
 */
static const struct anon_kind {
	const char *name;
	u32 type;
	const char *why;
} anon_kinds[] = {
	{ "[eventfd]", CKPT_FD_EVENTFD, NULL },
	{ "[timerfd]", CKPT_FD_TIMERFD, NULL },
	{ "[signalfd]", CKPT_FD_SIGNALFD, NULL },
	{ "[eventpoll]", CKPT_FD_EPOLL, NULL },
	{ "inotify", CKPT_FD_INOTIFY, NULL },
	{ "[pidfd]", CKPT_FD_PIDFD, NULL },
	{ CKPT_NOTICE_NAME, CKPT_FD_NOTICE, NULL },
	{ "[fanotify]", 0,
	  "fanotify descriptor: fanotify is not supported (its marks and permission events cannot be re-created)"
	},
	{ "[io_uring]", 0,
	  "io_uring descriptor: io_uring is not supported (its rings, in-flight requests and registered buffers cannot be re-created)"
	},
	{ "[userfaultfd]", 0,
	  "userfaultfd descriptor: userfaultfd is not supported (its registered ranges and pending faults cannot be re-created)"
	},
	{ "[perf_event]", 0,
	  "perf_event descriptor: perf events are not supported"
	},
	{ "bpf-map", 0, "bpf map descriptor: bpf objects are not supported" },
	{ "bpf-prog", 0, "bpf program descriptor: bpf objects are not supported" },
	{ "bpf_link", 0, "bpf link descriptor: bpf objects are not supported" },
	{ "bpf-link", 0, "bpf link descriptor: bpf objects are not supported" },
	{ "bpf-stats", 0, "bpf stats descriptor: bpf objects are not supported" },
};

/**
 * ckpt_anonfd_classify() - the kind of an anon-inode descriptor
 * @file: a file on the anon-inode filesystem
 * @type: receives its CKPT_FD_* type if it can be captured
 * @why: receives a string literal naming the kind if it cannot
 *
 * Never sleeps: called under RCU by the pre-freeze check.
 *
 * Return: 0 or -EINVAL.
 */
int ckpt_anonfd_classify(struct file *file, u32 *type, const char **why)
{
	const char *name = file->f_path.dentry->d_name.name;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(anon_kinds); i++) {
		if (strcmp(name, anon_kinds[i].name))
			continue;
		if (!anon_kinds[i].type) {
			*why = anon_kinds[i].why;
			return -EINVAL;
		}
		if (!file->f_op->show_fdinfo) {
			*why = "descriptor object cannot describe itself (no CONFIG_PROC_FS)";
			return -EINVAL;
		}
		*type = anon_kinds[i].type;
		return 0;
	}
	*why = "anon-inode descriptor of a kind ckpt does not know: not supported";
	return -EINVAL;
}

/*
 * The file's show_fdinfo() text, NUL-terminated, into a seq_file of our
 * own: seq_printf() only needs buf, size and count, and reports a buffer
 * too small by setting count to size (seq_has_overflowed()).
 */
static char *fdinfo_text(struct file *file)
{
	size_t size = PAGE_SIZE;
	struct seq_file m;

	for (;;) {
		memset(&m, 0, sizeof(m));
		m.buf = kvmalloc(size, GFP_KERNEL);
		if (!m.buf)
			return NULL;
		m.size = size - 1;
		file->f_op->show_fdinfo(&m, file);
		if (!seq_has_overflowed(&m)) {
			m.buf[m.count] = '\0';
			return m.buf;
		}
		kvfree(m.buf);
		if (size >= (64U << 20))
			return NULL;
		size *= 2;
	}
}

/* The text after "@key" at the start of a line of @text, or NULL. */
static const char *field(const char *text, const char *key)
{
	size_t len = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, len))
			return p + len;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* --- eventfd ------------------------------------------------------------ */

/*
 * struct eventfd_ctx of fs/eventfd.c in 6.1, whose show_fdinfo() has no
 * EFD_SEMAPHORE line (added in 6.4). Built with the kernel's own types, so
 * the flavours' lock sizes are right; used only after its count and id
 * agreed with the fdinfo text.
 */
struct ckpt_eventfd_ctx_61 {
	struct kref kref;
	wait_queue_head_t wqh;
	__u64 count;
	unsigned int flags;
	int id;
};

static int eventfd_state(struct file *file, void **data, u32 *len,
			 const char **why)
{
	const struct ckpt_eventfd_ctx_61 *mirror;
	struct ckpt_fd_eventfd *st;
	struct eventfd_ctx *ctx;
	const char *c, *i;
	unsigned long long count;
	unsigned int flags;
	char *text;
	int id, ret = -EINVAL;

	/* eventfd_ctx_fileget() refuses a file that is not an eventfd. */
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		*why = "eventfd descriptor is not an eventfd";
		return PTR_ERR(ctx);
	}
	text = fdinfo_text(file);
	if (!text) {
		eventfd_ctx_put(ctx);
		return -ENOMEM;
	}
	/* 6.1 eventfd_show_fdinfo(): "eventfd-count: %16llx\neventfd-id: %d\n" */
	c = field(text, "eventfd-count:");
	i = field(text, "eventfd-id:");
	*why = "eventfd: cannot read its state on this kernel";
	if (!c || !i || sscanf(c, " %llx", &count) != 1 ||
	    sscanf(i, " %d", &id) != 1)
		goto out;
	mirror = (const void *)ctx;
	flags = READ_ONCE(mirror->flags);
	if (READ_ONCE(mirror->id) != id ||
	    READ_ONCE(mirror->count) != count ||
	    (flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK))) {
		*why = "eventfd: its EFD_SEMAPHORE flag cannot be read on this kernel";
		goto out;
	}
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	ret = -ENOMEM;
	if (!st)
		goto out;
	st->count = count;
	st->flags = (flags & EFD_SEMAPHORE) ? CKPT_EFD_SEMAPHORE : 0;
	*data = st;
	*len = sizeof(*st);
	ret = 0;
out:
	kvfree(text);
	eventfd_ctx_put(ctx);
	return ret;
}

/* --- timerfd ------------------------------------------------------------ */

static u64 clock_now_ns(int clockid)
{
	switch (clockid) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_ALARM:
		return ktime_get_real_ns();
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
		return ktime_get_boottime_ns();
	default:
		return ktime_get_ns();
	}
}

static int timerfd_state(struct file *file, void **data, u32 *len,
			 const char **why)
{
	unsigned long long ticks, vs, vns, is, ins;
	const char *c, *t, *f, *v, *iv;
	struct ckpt_fd_timerfd *st;
	unsigned int flags;
	char *text;
	int clockid, ret = -EINVAL;

	text = fdinfo_text(file);
	if (!text)
		return -ENOMEM;
	/*
	 * 6.1 timerfd_show(): "clockid: %d\nticks: %llu\nsettime flags: 0%o\n
	 * it_value: (%llu, %llu)\nit_interval: (%llu, %llu)\n", it_value being
	 * the time left to the next expiry (timerfd_get_remaining()).
	 */
	c = field(text, "clockid:");
	t = field(text, "ticks:");
	f = field(text, "settime flags:");
	v = field(text, "it_value:");
	iv = field(text, "it_interval:");
	*why = "timerfd: cannot read its state on this kernel";
	if (!c || !t || !f || !v || !iv ||
	    sscanf(c, " %d", &clockid) != 1 ||
	    sscanf(t, " %llu", &ticks) != 1 ||
	    sscanf(f, " %o", &flags) != 1 ||
	    sscanf(v, " (%llu, %llu)", &vs, &vns) != 2 ||
	    sscanf(iv, " (%llu, %llu)", &is, &ins) != 2)
		goto out;
	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) {
		*why = "timerfd: settime flags unknown to ckpt";
		goto out;
	}
	switch (clockid) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		break;
	default:
		*why = "timerfd: clock unknown to ckpt";
		goto out;
	}
	ret = -ENOMEM;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		goto out;
	st->clockid = clockid;
	st->settime_flags = ((flags & TFD_TIMER_ABSTIME) ?
			     CKPT_TFD_TIMER_ABSTIME : 0) |
			    ((flags & TFD_TIMER_CANCEL_ON_SET) ?
			     CKPT_TFD_TIMER_CANCEL_ON_SET : 0);
	st->ticks = ticks;
	st->value_ns = vs * NSEC_PER_SEC + vns;
	st->interval_ns = is * NSEC_PER_SEC + ins;
	st->now_ns = clock_now_ns(clockid);
	*data = st;
	*len = sizeof(*st);
	ret = 0;
out:
	kvfree(text);
	return ret;
}

/* --- signalfd ----------------------------------------------------------- */

static int signalfd_state(struct file *file, void **data, u32 *len,
			  const char **why)
{
	struct ckpt_fd_signalfd *st;
	const char *m;
	char hex[17];
	unsigned long long mask;
	char *text;
	int ret = -EINVAL;

	text = fdinfo_text(file);
	if (!text)
		return -ENOMEM;
	/*
	 * 6.1 signalfd_show_fdinfo(): render_sigset_t(m, "sigmask:\t", ...)
	 * of the signals it reads: _NSIG / 4 = 16 hex digits, signal 64
	 * first, bit n-1 for signal n.
	 */
	m = field(text, "sigmask:\t");
	*why = "signalfd: cannot read its state on this kernel";
	if (!m || strnlen(m, 17) < 17 || m[16] != '\n')
		goto out;
	memcpy(hex, m, 16);
	hex[16] = '\0';
	if (kstrtoull(hex, 16, &mask))
		goto out;
	ret = -ENOMEM;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		goto out;
	st->sigmask = mask;
	*data = st;
	*len = sizeof(*st);
	ret = 0;
out:
	kvfree(text);
	return ret;
}

/* --- epoll -------------------------------------------------------------- */

/*
 * struct epitem of fs/eventpoll.c in 6.1.192 (with the stable "dying"
 * field), reached through the public file->f_ep list of the watched file
 * (its fllink; f_ep is protected by file->f_lock, epitems are freed after
 * an RCU grace period). Only pointers are compared and integers read;
 * every match must also agree with the fdinfo line it explains (fd,
 * events, data), so another layout finds nothing and is refused.
 */
struct ckpt_epitem_61 {
	union {
		struct rb_node rbn;
		struct rcu_head rcu;
	};
	struct list_head rdllink;
	void *next;
	struct {
		struct file *file;
		int fd;
	} __packed ffd;
	bool dying;
	void *pwqlist;
	void *ep;
	struct hlist_node fllink;
	void *ws;
	struct epoll_event event;
};

/* Is @file registered in the epoll @ep under @tfd with @events, @data? */
static bool watched_by(struct file *file, const void *ep, int tfd,
		       u32 events, u64 data)
{
	struct ckpt_epitem_61 *epi;
	struct hlist_node *node;
	struct hlist_head *head;
	bool found = false;

	rcu_read_lock();
	spin_lock(&file->f_lock);
	head = READ_ONCE(file->f_ep);
	if (head) {
		hlist_for_each(node, head) {
			epi = container_of(node, struct ckpt_epitem_61, fllink);
			if (epi->ep == ep && epi->ffd.file == file &&
			    epi->ffd.fd == tfd && !epi->dying &&
			    epi->event.events == events &&
			    epi->event.data == data) {
				found = true;
				break;
			}
		}
	}
	spin_unlock(&file->f_lock);
	rcu_read_unlock();
	return found;
}

/* The file at @fd of @p, referenced, or NULL; *@fd moves to its number. */
static struct file *next_task_file(struct task_struct *p, unsigned int *fd)
{
	struct file *file;

	rcu_read_lock();
	for (;;) {
		file = task_lookup_next_fd_rcu(p, fd);
		if (!file || get_file_rcu(file))
			break;
		(*fd)++;
	}
	rcu_read_unlock();
	return file;
}

/*
 * Which descriptor of @p holds the file an epoll registration watches:
 * @tfd itself if the file there is the registered one, else the lowest
 * other one that is (@tfd was closed or reused while the file lived on).
 */
static int find_watched(struct task_struct *p, const void *ep, int tfd,
			u32 events, u64 data)
{
	unsigned int fd = tfd;
	struct file *file;
	bool found;

	file = next_task_file(p, &fd);
	if (file) {
		found = fd == tfd && watched_by(file, ep, tfd, events, data);
		fput(file);
		if (found)
			return tfd;
	}
	for (fd = 0; (file = next_task_file(p, &fd)); fd++) {
		found = watched_by(file, ep, tfd, events, data);
		fput(file);
		if (found)
			return fd;
	}
	return -1;
}

/* Descriptors of @p that hold @file. */
static long holders(struct task_struct *p, struct file *file)
{
	unsigned int fd = 0;
	struct file *f;
	long n = 0;

	rcu_read_lock();
	for (; (f = task_lookup_next_fd_rcu(p, &fd)); fd++)
		n += f == file;
	rcu_read_unlock();
	return n;
}

/*
 * A signalfd polls the signals of the process that polls it: a
 * registration waits on the sighand of the process that added it (6.1
 * signalfd_poll(): poll_wait(file, &current->sighand->signalfd_wqh, ...)).
 * The restore adds an epoll's registrations in the process carrying its
 * state, so an epoll holding a signalfd must not be shared with another
 * process: which one registered cannot be told. The reference count of
 * the epoll's file, less ours, against this process's descriptors of it.
 */
static bool shared_elsewhere(struct task_struct *p, struct file *epfile)
{
	return file_count(epfile) - 1 > holders(p, epfile);
}

static bool is_signalfd_at(struct task_struct *p, int fd)
{
	unsigned int n = fd;
	struct file *f = next_task_file(p, &n);
	bool yes;

	if (!f)
		return false;
	yes = n == fd && !strcmp(f->f_path.dentry->d_name.name, "[signalfd]");
	fput(f);
	return yes;
}

static int epoll_state(struct task_struct *p, pid_t pid, struct file *file,
		       int fd, void **data, u32 *len,
		       struct netlink_ext_ack *extack)
{
	struct ckpt_fd_epoll *st;
	struct ckpt_epoll_item *it;
	const char *line;
	unsigned int n = 0, i;
	char *text;
	int ret = -EINVAL;

	text = fdinfo_text(file);
	if (!text)
		return -ENOMEM;
	/*
	 * 6.1 ep_show_fdinfo(), one line per registration in its red-black
	 * tree's order: "tfd: %8d events: %8x data: %16llx  pos:%lli
	 * ino:%lx sdev:%x\n".
	 */
	for (line = field(text, "tfd:"); line; line = field(line, "tfd:"))
		n++;
	st = kvzalloc(sizeof(*st) + n * sizeof(*it), GFP_KERNEL);
	if (!st) {
		kvfree(text);
		return -ENOMEM;
	}
	st->nr_items = n;
	it = (struct ckpt_epoll_item *)(st + 1);
	for (i = 0, line = field(text, "tfd:"); line;
	     i++, line = field(line, "tfd:")) {
		unsigned long long d;
		unsigned int ev;
		int tfd;

		if (sscanf(line, " %d events: %x data: %llx", &tfd, &ev, &d) != 3) {
			ckpt_err_set_fd(extack, pid, fd,
					"epoll: cannot read its registrations on this kernel");
			goto fail;
		}
		it[i].tfd = tfd;
		it[i].events = ev;
		it[i].data = d;
		it[i].fd = find_watched(p, file->private_data, tfd, ev, d);
		if (it[i].fd < 0) {
			ckpt_err_setf(extack, pid, 0,
				      "epoll: its registration of fd %d watches a file no descriptor of this process holds any more (or this kernel's epoll is not the one ckpt knows)",
				      tfd);
			/* As ckpt_err_set_fd(): the cookie names the epoll. */
			if (extack)
				((struct ckpt_err_cookie *)extack->cookie)->fd = fd;
			goto fail;
		}
		if (is_signalfd_at(p, it[i].fd) &&
		    shared_elsewhere(p, file)) {
			ckpt_err_setf(extack, pid, 0,
				      "epoll: shared with another process and watching a signalfd (fd %d): whose signals it polls cannot be restored",
				      tfd);
			if (extack)
				((struct ckpt_err_cookie *)extack->cookie)->fd = fd;
			goto fail;
		}
	}
	kvfree(text);
	*data = st;
	*len = sizeof(*st) + n * sizeof(*it);
	return 0;
fail:
	kvfree(text);
	kvfree(st);
	return ret;
}

/* --- pidfd --------------------------------------------------------------- */

/*
 * The process a pidfd refers to, as @ns numbers it, if it is one of the
 * group's (running or a zombie); else -EINVAL with @why. 6.1 names
 * "[pidfd]" only the files pidfd_create() and pidfd_prepare() make, with
 * pidfd_fops and the struct pid as private_data (pidfd_pid(), which says
 * so, is not exported); the pidfd's reference keeps that pid alive.
 * A 6.1 pidfd always refers to a thread group leader.
 */
#define PIDFD_WHY_REAPED \
	"pidfd of a process that has exited and been reaped: it cannot be opened again"
#define PIDFD_WHY_OUTSIDE(group) \
	"pidfd of a process outside the " group ": it cannot point at a restored process"

static int pidfd_target(struct file *file, struct pid *pgrp,
			enum pid_type type, struct pid_namespace *ns,
			const char **why)
{
	struct pid *pid = file->private_data;
	struct task_struct *t;
	int nr = -EINVAL;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_TGID);
	if (!t)
		*why = PIDFD_WHY_REAPED;
	else if (task_pid_type(t, type) != pgrp)
		*why = type == PIDTYPE_SID ? PIDFD_WHY_OUTSIDE("session") :
		       PIDFD_WHY_OUTSIDE("process group");
	else if (!pid_nr_ns(pid, ns))
		*why = "pidfd of a process the checkpointer's pid namespace does not see";
	else
		nr = pid_nr_ns(pid, ns);
	rcu_read_unlock();
	return nr;
}

static int pidfd_state(struct file *file, struct pid *pgrp,
		       enum pid_type type, void **data, u32 *len,
		       const char **why)
{
	struct ckpt_fd_pidfd *st;
	int nr;

	nr = pidfd_target(file, pgrp, type, task_active_pid_ns(current), why);
	if (nr < 0)
		return nr;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	st->pid = nr;
	*data = st;
	*len = sizeof(*st);
	return 0;
}

/* --- inotify -------------------------------------------------------------- */

static int watch_cmp(const void *a, const void *b)
{
	const struct ckpt_inotify_watch *x = a, *y = b;

	return x->wd < y->wd ? -1 : x->wd > y->wd;
}

#define WATCH_FORMAT \
	"wd:%x ino:%llx sdev:%x mask:%x ignored_mask:%x " \
	"fhandle-bytes:%x fhandle-type:%x f_handle:%n"
#define INOTIFY_WHY_NO_HANDLE \
	"inotify descriptor: a watch on a filesystem without file handles " \
	"(proc, sysfs, ...) cannot be found again"
#define INOTIFY_WHY_QUEUED \
	"inotify descriptor: it has queued events, which cannot be queued " \
	"again (read them, then checkpoint)"

/* One "inotify " line of fdinfo, after that word, into @w; or @why. */
static int parse_watch(const char *line, struct ckpt_inotify_watch *w,
		       const char **why)
{
	unsigned int wd, sdev, mask, ignored, bytes, type;
	unsigned long long ino;
	int off = 0, n;

	/*
	 * 6.1 inotify_fdinfo(): "inotify wd:%x ino:%lx sdev:%x mask:%x
	 * ignored_mask:0 " then, if the filesystem can encode one (export
	 * operations), show_mark_fhandle()'s "fhandle-bytes:%x
	 * fhandle-type:%x f_handle:" and the handle's bytes in hex. The mask
	 * is inotify_mark_user_mask(): events, IN_ONESHOT, IN_EXCL_UNLINK.
	 */
	n = sscanf(line, WATCH_FORMAT, &wd, &ino, &sdev, &mask, &ignored,
		   &bytes, &type, &off);
	if (n == 5) {
		*why = INOTIFY_WHY_NO_HANDLE;
		return -EINVAL;
	}
	*why = "inotify descriptor: cannot read its watches on this kernel";
	if (n != 7 || !off || !wd || wd > INT_MAX || bytes > CKPT_HANDLE_MAX ||
	    hex2bin(w->handle, line + off, bytes))
		return -EINVAL;
	w->wd = wd;
	w->mask = mask;
	w->ino = ino;
	w->dev = new_encode_dev(sdev);
	w->handle_type = type;
	w->handle_bytes = bytes;
	return 0;
}

/*
 * Can every inode @group watches be found again from its file handle?
 * Its filesystem must decode handles (export operations with
 * fh_to_dentry): 6.1 fdinfo encodes one for any filesystem, proc's
 * included (exportfs_encode_inode_fh() falls back on export_encode_fh()).
 * Walked as 6.1 fs/notify/fdinfo.c show_fdinfo() walks it, under the
 * group's lock, which keeps its marks listed; an inode mark's
 * connector->obj is the inode's i_fsnotify_marks (fs/notify/fsnotify.h
 * fsnotify_conn_inode()).
 */
static bool watches_findable(struct fsnotify_group *group)
{
	const struct export_operations *op;
	struct fsnotify_mark_connector *conn;
	struct fsnotify_mark *mark;
	struct inode *inode;
	bool ok = true;

	fsnotify_group_lock(group);
	list_for_each_entry(mark, &group->marks_list, g_list) {
		conn = mark->connector;
		if (!conn || conn->type != FSNOTIFY_OBJ_TYPE_INODE)
			continue;
		inode = container_of(conn->obj, struct inode, i_fsnotify_marks);
		op = inode->i_sb->s_export_op;
		if (!op || !op->fh_to_dentry) {
			ok = false;
			break;
		}
	}
	fsnotify_group_unlock(group);
	return ok;
}

/*
 * An inotify instance: its watches from its fdinfo, in increasing wd, and
 * the wd its next watch would get, the cursor of its idr (struct
 * fsnotify_group is the file's private data, inotify_new_group()).
 * Queued events cannot be queued again: such an instance is refused.
 */
static int inotify_state(struct file *file, void **data, u32 *len,
			 const char **why)
{
	struct fsnotify_group *group = file->private_data;
	struct ckpt_inotify_watch *w;
	struct ckpt_fd_inotify *st;
	const char *line;
	unsigned int n = 0, i;
	char *text;
	int ret;

	if (vfs_poll(file, NULL) & EPOLLIN) {
		*why = INOTIFY_WHY_QUEUED;
		return -EINVAL;
	}
	if (!watches_findable(group)) {
		*why = INOTIFY_WHY_NO_HANDLE;
		return -EINVAL;
	}
	text = fdinfo_text(file);
	if (!text)
		return -ENOMEM;
	for (line = field(text, "inotify "); line; line = field(line, "inotify "))
		n++;
	st = kvzalloc(sizeof(*st) + n * sizeof(*w), GFP_KERNEL);
	ret = -ENOMEM;
	if (!st)
		goto out;
	w = (struct ckpt_inotify_watch *)(st + 1);
	for (i = 0, line = field(text, "inotify "); line;
	     i++, line = field(line, "inotify ")) {
		ret = parse_watch(line, &w[i], why);
		if (ret)
			goto fail;
	}
	sort(w, n, sizeof(*w), watch_cmp, NULL);
	st->nr_watches = n;
	spin_lock(&group->inotify_data.idr_lock);
	st->next_wd = idr_get_cursor(&group->inotify_data.idr);
	spin_unlock(&group->inotify_data.idr_lock);
	*data = st;
	*len = sizeof(*st) + n * sizeof(*w);
	ret = 0;
	goto out;
fail:
	kvfree(st);
out:
	kvfree(text);
	return ret;
}

/* --- one descriptor -------------------------------------------------------- */

static int notice_state(struct file *file, void **data, u32 *len,
			const char **why)
{
	struct ckpt_fd_notice *st = kvmalloc(sizeof(*st), GFP_KERNEL);

	if (!st)
		return -ENOMEM;
	if (ckpt_notice_state(file, st)) {
		kvfree(st);
		*why = "a [ckpt-notice] descriptor of another module";
		return -EINVAL;
	}
	*data = st;
	*len = sizeof(*st);
	return 0;
}

/**
 * ckpt_anonfd_record() - fill the FD record of a descriptor object
 * @ts: its process
 * @file: the descriptor's file
 * @fd: its number
 * @first: this is the first record of @file (of its file id): it carries
 *	the object's state
 * @pgrp: the group's process group or session
 * @type: PIDTYPE_PGID or PIDTYPE_SID
 * @rec: the record, with type and file id set
 * @data: receives the state to append (kvfree() it), or NULL
 * @extack: receives the reason, the pid and the descriptor on failure
 *
 * An object is one open file description, so its file id is its identity
 * within the image; the record's inode fields are zero (every object of
 * the anon-inode filesystem shares one inode). Called with the group
 * parked.
 *
 * Return: 0 or a negative errno.
 */
int ckpt_anonfd_record(struct ckpt_task_snap *ts, struct file *file, int fd,
		       bool first, struct pid *pgrp, enum pid_type type,
		       struct ckpt_rec_fd *rec, void **data,
		       struct netlink_ext_ack *extack)
{
	const char *why = NULL;
	int ret;

	*data = NULL;
	rec->ino = 0;
	rec->dev = 0;
	rec->rdev = 0;
	rec->mode = 0;
	rec->size = 0;
	rec->mtime_ns = 0;
	rec->pos = 0;
	if (!first)
		return 0;
	switch (rec->type) {
	case CKPT_FD_EVENTFD:
		ret = eventfd_state(file, data, &rec->data_len, &why);
		break;
	case CKPT_FD_TIMERFD:
		ret = timerfd_state(file, data, &rec->data_len, &why);
		break;
	case CKPT_FD_SIGNALFD:
		ret = signalfd_state(file, data, &rec->data_len, &why);
		break;
	case CKPT_FD_EPOLL:
		/* Names the registration it refuses itself. */
		ret = epoll_state(ts->task, ts->rec.pid, file, fd, data,
				  &rec->data_len, extack);
		break;
	case CKPT_FD_PIDFD:
		ret = pidfd_state(file, pgrp, type, data, &rec->data_len, &why);
		break;
	case CKPT_FD_INOTIFY:
		ret = inotify_state(file, data, &rec->data_len, &why);
		break;
	case CKPT_FD_NOTICE:
		ret = notice_state(file, data, &rec->data_len, &why);
		break;
	default:
		ret = -EINVAL;
		why = "descriptor object of an unknown kind";
	}
	if (ret && why)
		ckpt_err_set_fd(extack, ts->rec.pid, fd, why);
	if (!ret)
		rec->flags |= CKPT_FD_OBJ_STATE;
	return ret;
}

/**
 * ckpt_anonfd_check() - judge a process's epolls, pidfds and inotify
 *	instances before its group is parked
 * @p: the process (a reference held by the caller)
 * @pid: its pid as the caller sees it
 * @pgrp: the group's process group or session
 * @type: PIDTYPE_PGID or PIDTYPE_SID
 * @extack: receives the reason, the pid and the descriptor
 *
 * A pidfd must refer to a process of the group: the restore opens it
 * again on the restored process. An inotify instance must have no queued
 * events and watch only inodes a file handle can find again.
 *
 * Reading an epoll's registrations takes its fdinfo (ep->mtx, a mutex), so
 * it cannot run in ckpt_files_check() under RCU: ckpt_group_check() calls
 * this from its pass that may sleep, so that an epoll the freeze would
 * refuse (a registration of a file no descriptor of the process holds, a
 * shared epoll watching a signalfd) is refused before the group stops.
 * The freeze judges again with the group parked.
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int ckpt_anonfd_check(struct task_struct *p, pid_t pid, struct pid *pgrp,
		      enum pid_type type, struct netlink_ext_ack *extack)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	const char *name, *why = NULL;
	unsigned int fd;
	struct file *file;
	void *data = NULL;
	u32 len;
	int ret = 0;

	for (fd = 0; !ret && (file = next_task_file(p, &fd)); fd++) {
		name = file->f_path.dentry->d_name.name;
		if (!strcmp(name, "[eventpoll]")) {
			ret = epoll_state(p, pid, file, fd, &data, &len, extack);
			kvfree(data);
			data = NULL;
		} else if (!strcmp(name, "[pidfd]") &&
			   pidfd_target(file, pgrp, type, ns, &why) < 0) {
			ckpt_err_set_fd(extack, pid, fd, why);
			ret = -EINVAL;
		} else if (!strcmp(name, "inotify")) {
			ret = inotify_state(file, &data, &len, &why);
			if (ret && why)
				ckpt_err_set_fd(extack, pid, fd, why);
			kvfree(data);
			data = NULL;
		}
		fput(file);
	}
	return ret;
}
