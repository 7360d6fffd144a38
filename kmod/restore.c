// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Restore: a process becomes the process of an image. RESTORE_MM runs in
 * the restoring task's own context: it validates the plan, replaces the
 * address space, fills it from the image and parks. RESTORE_REGS, from the
 * controller, sets the parked task's registers and FPU state the way ptrace
 * does (regset ->set on current warns and fails in 6.1), then releases it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/elf.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/ksm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/personality.h>
#include <linux/netlink.h>
#include <linux/regset.h>
#include <linux/rseq.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/delay.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <net/genetlink.h>
#include <asm/user.h>
#include <linux/ckpt.h>
#include <linux/ckpt_image.h>

#include "fault.h"
#include "fill.h"
#include "freeze.h"
#include "group.h"
#include "restore.h"
#include "sock.h"
#include "sysv.h"

#define MAX_VMAS	65536
#define MAX_RUNS	BIT(18)
/* Pieces of a MiB: 16 TiB of page runs, 64 MiB of their CRCs. */
#define MAX_PIECES	BIT_ULL(24)

/*
 * The waits of a restore end when the restore stops making progress, not
 * after a fixed time: filling a large image takes minutes on a slow or
 * emulated machine (2 GiB under TCG), and a wait for the fill must outlast
 * it; a restore that is stuck must still fail, and kill what it made, in
 * bounded time. Every step bumps one counter (a mapping made, a chunk of
 * pages filled, a thread waiting, parked or given its registers) and a
 * wait gives up once the counter has not moved for restore_stall_s
 * seconds. One counter for the machine, because the waits of a restore
 * are on other processes of its tree, which the module does not link: a
 * restore progressing beside a stuck one delays the stuck one's failure
 * only as long as it keeps progressing itself.
 */
static unsigned int restore_stall_s = 30;
module_param(restore_stall_s, uint, 0644);
MODULE_PARM_DESC(restore_stall_s,
		 "A restore's wait fails once no restore progressed for this many seconds (at least 1)");

static atomic_long_t restore_progress = ATOMIC_LONG_INIT(0);

/* How often a wait looks at the progress counter. */
#define WAIT_SLICE	(HZ / 4)
/* How often the controller's wait for a park looks for the thread's exit. */
#define EXIT_SLICE	(HZ / 50 ?: 1)

static void progressed(void)
{
	atomic_long_inc(&restore_progress);
}

/**
 * struct stall_watch - what a wait last saw of the progress counter
 * @seen: the counter's value
 * @since: when it last changed, in jiffies
 */
struct stall_watch {
	long seen;
	unsigned long since;
};

static void watch_start(struct stall_watch *w)
{
	w->seen = atomic_long_read(&restore_progress);
	w->since = jiffies;
}

static unsigned int stall_s(void)
{
	return max(READ_ONCE(restore_stall_s), 1U);
}

/* Has no restore progressed for restore_stall_s since @w last looked? */
static bool stalled(struct stall_watch *w)
{
	long now = atomic_long_read(&restore_progress);

	if (now != w->seen) {
		w->seen = now;
		w->since = jiffies;
		return false;
	}
	return time_after(jiffies, w->since + stall_s() * HZ);
}

/*
 * Wait for @x until it is completed, the caller gets a fatal signal
 * (-EINTR) or nothing progresses for restore_stall_s (-ETIMEDOUT).
 */
static int wait_progressing(struct completion *x)
{
	struct stall_watch w;
	long left;

	watch_start(&w);
	do {
		left = wait_for_completion_killable_timeout(x, WAIT_SLICE);
		if (left > 0)
			return 0;
		if (left < 0)
			return -EINTR;
	} while (!stalled(&w));
	return -ETIMEDOUT;
}

/**
 * struct restore_park - a task parked in RESTORE_MM, waiting for registers
 * @node: entry in parked_tasks
 * @task: the parked task
 * @done: completed by RESTORE_REGS
 * @ax: the image's ax, put back after the system call stores its result
 * @rseq: the image's rseq area, 0 for none
 * @rseq_sig: its signature
 * @sigmask: the image's blocked signals, set once released
 * @twork: the TWA_RESUME work that puts @ax back
 */
struct restore_park {
	struct list_head node;
	struct task_struct *task;
	struct completion done;
	u64 ax;
	u64 rseq;
	u32 rseq_sig;
	u64 sigmask;
	struct callback_head twork;
};

static LIST_HEAD(parked_tasks);
static DEFINE_MUTEX(parked_lock);	/* protects parked_tasks */
/*
 * Bumped and woken each time a thread parks, so that a controller waiting
 * for one wakes at once rather than on a poll (a wait condition may not
 * take parked_lock: it is evaluated in a non-running task state).
 */
static atomic_t parked_seq = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(parked_wq);

/**
 * struct restore_waiter - a secondary thread waiting for its memory
 * @node: entry in waiting_threads
 * @task: the thread
 * @ready: completed by the leader once the memory is in place, or on abort
 * @result: 0, or the leader's error
 */
struct restore_waiter {
	struct list_head node;
	struct task_struct *task;
	struct completion ready;
	int result;
};

static LIST_HEAD(waiting_threads);
static DEFINE_MUTEX(waiting_lock);	/* protects waiting_threads */
static DECLARE_WAIT_QUEUE_HEAD(waiting_wq);	/* a thread started waiting */

static unsigned int nr_waiting(struct task_struct *leader)
{
	struct restore_waiter *w;
	unsigned int n = 0;

	mutex_lock(&waiting_lock);
	list_for_each_entry(w, &waiting_threads, node)
		if (same_thread_group(w->task, leader))
			n++;
	mutex_unlock(&waiting_lock);
	return n;
}

/* Release the secondary threads of current's process with @result. */
static void release_waiters(int result)
{
	struct restore_waiter *w, *tmp;

	mutex_lock(&waiting_lock);
	list_for_each_entry_safe(w, tmp, &waiting_threads, node) {
		if (!same_thread_group(w->task, current))
			continue;
		list_del_init(&w->node);
		w->result = result;
		complete(&w->ready);
	}
	mutex_unlock(&waiting_lock);
}

static bool all_threads_waiting(void)
{
	return nr_waiting(current) + 1 >= get_nr_threads(current);
}

/* Every other thread of the process must wait in RESTORE_THREAD. */
static int wait_for_threads(struct netlink_ext_ack *extack)
{
	struct stall_watch w;
	long left;

	watch_start(&w);
	do {
		left = wait_event_killable_timeout(waiting_wq, all_threads_waiting(),
						   WAIT_SLICE);
		if (left > 0)
			return 0;
		if (left < 0)
			return -EINTR;
	} while (!stalled(&w));
	ckpt_err_setf(extack, task_pid_nr(current), 0,
		      "pid %d: another of its threads did not enter RESTORE_THREAD, and no restore progressed for %u s",
		      task_pid_nr(current), stall_s());
	return -ETIMEDOUT;
}

/* --- plan validation ------------------------------------------------------ */

struct plan {
	const struct ckpt_rec_task *task;
	struct ckpt_restore_vma *vmas;	/* gathered from the chunks */
	size_t nr_vmas;
	struct ckpt_restore_run *runs;	/* gathered from the chunks */
	size_t nr_runs;
	struct file **files;	/* per VMA, NULL if anonymous */
	struct file *image;
	const u64 *auxv;	/* saved auxv, or NULL to keep the caller's */
	size_t nr_auxv;
	struct file *crc_file;	/* receives crcs[], or NULL */
	loff_t crc_pos;
	__le32 *crcs;		/* per piece of the runs, its CRC-32C */
	u64 nr_pieces;
};

#define VMA_KNOWN	(CKPT_VMA_READ | CKPT_VMA_WRITE | CKPT_VMA_EXEC | \
			 CKPT_VMA_SHARED | CKPT_VMA_ANON | CKPT_VMA_STACK | \
			 CKPT_VMA_HEAP | CKPT_VMA_VDSO | CKPT_VMA_HUGEPAGE | \
			 CKPT_VMA_NOHUGEPAGE | CKPT_VMA_DONTFORK | \
			 CKPT_VMA_DONTDUMP | CKPT_VMA_WIPEONFORK | \
			 CKPT_VMA_SEQUENTIAL | CKPT_VMA_RANDOM | \
			 CKPT_VMA_MERGEABLE | CKPT_VMA_LOCKED | \
			 CKPT_VMA_LOCKONFAULT | CKPT_VMA_NORESERVE | \
			 CKPT_VMA_SYSV | CKPT_VMA_SYSV_RDONLY)

/*
 * The vm_flags madvise() and mlock() would have given the mapping. They
 * go into mm->def_flags while the mapping is created, which do_mmap()
 * ORs into the new VMA's flags (mm/mmap.c, 6.1), so each mapping is born
 * with them: it merges with a neighbour only if the original would have
 * (vma_merge() compares the whole vm_flags), and VM_LOCKED is accounted
 * (locked_vm, RLIMIT_MEMLOCK in mlock_future_check()) and populated as
 * under mlockall(MCL_FUTURE).
 */
static unsigned long vma_advice(u32 f)
{
	unsigned long vm = 0;

	if (f & CKPT_VMA_HUGEPAGE)
		vm |= VM_HUGEPAGE;
	if (f & CKPT_VMA_NOHUGEPAGE)
		vm |= VM_NOHUGEPAGE;
	if (f & CKPT_VMA_DONTFORK)
		vm |= VM_DONTCOPY;
	if (f & CKPT_VMA_DONTDUMP)
		vm |= VM_DONTDUMP;
	if (f & CKPT_VMA_WIPEONFORK)
		vm |= VM_WIPEONFORK;
	if (f & CKPT_VMA_SEQUENTIAL)
		vm |= VM_SEQ_READ;
	if (f & CKPT_VMA_RANDOM)
		vm |= VM_RAND_READ;
	if (f & CKPT_VMA_MERGEABLE)
		vm |= VM_MERGEABLE;
	if (f & CKPT_VMA_LOCKED)
		vm |= VM_LOCKED;
	if (f & CKPT_VMA_LOCKONFAULT)
		vm |= VM_LOCKONFAULT;
	return vm;
}

/*
 * Only what madvise() and mlock() themselves allow (mm/madvise.c,
 * mm/ksm.c, mm/mlock.c, 6.1): a plan cannot make a mapping the kernel
 * would never have made.
 */
static const char *vma_flags_refusal(u32 f)
{
	if (f & ~VMA_KNOWN)
		return "mapping has unknown flags";
	if ((f & CKPT_VMA_WIPEONFORK) &&
	    (f & (CKPT_VMA_SHARED | CKPT_VMA_ANON)) != CKPT_VMA_ANON)
		return "MADV_WIPEONFORK on a mapping that is not private anonymous memory";
	if ((f & CKPT_VMA_MERGEABLE) && (f & CKPT_VMA_SHARED))
		return "MADV_MERGEABLE on a shared mapping";
#ifndef CONFIG_KSM
	if (f & CKPT_VMA_MERGEABLE)
		return "MADV_MERGEABLE mapping: this kernel has no KSM";
#endif
	if ((f & CKPT_VMA_LOCKONFAULT) && !(f & CKPT_VMA_LOCKED))
		return "lock-on-fault mapping that is not locked";
	if ((f & CKPT_VMA_SEQUENTIAL) && (f & CKPT_VMA_RANDOM))
		return "mapping is both MADV_SEQUENTIAL and MADV_RANDOM";
	if ((f & CKPT_VMA_HUGEPAGE) && (f & CKPT_VMA_NOHUGEPAGE))
		return "mapping is both MADV_HUGEPAGE and MADV_NOHUGEPAGE";
	if ((f & CKPT_VMA_SYSV) &&
	    (f & (CKPT_VMA_SHARED | CKPT_VMA_ANON)) != CKPT_VMA_SHARED)
		return "System V attachment that is not a shared file mapping";
	if ((f & CKPT_VMA_SYSV_RDONLY) &&
	    (f & (CKPT_VMA_SYSV | CKPT_VMA_WRITE)) != CKPT_VMA_SYSV)
		return "SHM_RDONLY attachment that is writable or not an attachment";
	return NULL;
}

static bool is_special(const struct ckpt_restore_vma *v)
{
	return v->flags & CKPT_VMA_VDSO;
}

static bool is_kept(const struct ckpt_restore_vma *v)
{
	return v->flags & CKPT_RESTORE_VMA_KEEP;
}

/* What a kept mapping may be: what fork() copies with its pages, as is. */
#define KEEP_REFUSED	(CKPT_VMA_SHARED | CKPT_VMA_STACK | CKPT_VMA_VDSO | \
			 CKPT_VMA_DONTFORK | CKPT_VMA_WIPEONFORK | \
			 CKPT_VMA_MERGEABLE | CKPT_VMA_LOCKED | CKPT_VMA_SYSV)

static unsigned long vma_prot(u32 flags)
{
	return (flags & CKPT_VMA_READ ? PROT_READ : 0) |
	       (flags & CKPT_VMA_WRITE ? PROT_WRITE : 0) |
	       (flags & CKPT_VMA_EXEC ? PROT_EXEC : 0);
}

/*
 * A kept mapping must be in place exactly as the plan says: one VMA from
 * start to end, private anonymous, with the recorded protection. The
 * rest of its flags were set by the caller (madvise()) or by fork(),
 * which copies a VMA's flags but VM_LOCKED's (dup_mmap(), 6.1).
 */
static int check_kept(const struct ckpt_restore_vma *v,
		      struct netlink_ext_ack *extack)
{
	unsigned long prot = vma_prot(v->flags);
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool ok;

	if ((v->flags & KEEP_REFUSED) || !(v->flags & CKPT_VMA_ANON) ||
	    !(v->flags & CKPT_VMA_WRITE) || v->fd != -1) {
		ckpt_err_set(extack, 0, v->start,
			     "a kept mapping must be private, anonymous, writable memory");
		return -EINVAL;
	}
	mmap_read_lock(mm);
	vma = find_vma(mm, v->start);
	ok = vma && vma->vm_start == v->start && vma->vm_end == v->end &&
	     vma_is_anonymous(vma) &&
	     !(vma->vm_flags & (VM_SHARED | VM_GROWSDOWN | VM_LOCKED)) &&
	     !!(vma->vm_flags & VM_READ) == !!(prot & PROT_READ) &&
	     !!(vma->vm_flags & VM_WRITE) == !!(prot & PROT_WRITE) &&
	     !!(vma->vm_flags & VM_EXEC) == !!(prot & PROT_EXEC);
	mmap_read_unlock(mm);
	if (!ok) {
		ckpt_err_set(extack, 0, v->start,
			     "a mapping the plan keeps is not in place as recorded");
		return -EINVAL;
	}
	return 0;
}

/* [vvar]/[vdso] must already be where the image had them. */
static int check_vdso(const struct ckpt_restore_vma *v,
		      struct netlink_ext_ack *extack)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool ok;

	mmap_read_lock(mm);
	vma = find_vma(mm, v->start);
	ok = vma && vma->vm_start == v->start && vma->vm_end == v->end &&
	     vma->vm_ops && vma->vm_ops->name;
	mmap_read_unlock(mm);
	if (!ok) {
		ckpt_err_set(extack, 0, v->start,
			     "vdso/vvar is not at its recorded address (arch_prctl(ARCH_MAP_VDSO_64) first)");
		return -EINVAL;
	}
	return 0;
}

static int check_vmas(struct plan *p, struct netlink_ext_ack *extack)
{
	unsigned long locked = 0;
	u64 prev_end = 0;
	const char *why;
	size_t i;
	int ret;

	for (i = 0; i < p->nr_vmas; i++) {
		const struct ckpt_restore_vma *v = &p->vmas[i];

		if (!PAGE_ALIGNED(v->start) || !PAGE_ALIGNED(v->end) ||
		    v->start >= v->end || v->start < prev_end ||
		    v->end > TASK_SIZE_MAX || v->start < PAGE_SIZE) {
			ckpt_err_set(extack, 0, v->start,
				     "mapping is unaligned, empty, overlapping or outside user space");
			return -EINVAL;
		}
		prev_end = v->end;
		why = vma_flags_refusal(v->flags & ~CKPT_RESTORE_VMA_KEEP);
		if (why) {
			ckpt_err_set(extack, 0, v->start, why);
			return -EINVAL;
		}
		if (is_kept(v)) {
			ret = check_kept(v, extack);
			if (ret)
				return ret;
			continue;
		}
		if (v->flags & CKPT_VMA_LOCKED)
			locked += (v->end - v->start) >> PAGE_SHIFT;
		if (is_special(v)) {
			ret = check_vdso(v, extack);
			if (ret)
				return ret;
			continue;
		}
		if (v->flags & CKPT_VMA_SYSV) {
			bool rdonly = v->flags & CKPT_VMA_SYSV_RDONLY;

			/* @fd is the segment id: the caller's attachment. */
			p->files[i] = ckpt_sysv_attach_file(v->fd, rdonly);
			if (!p->files[i]) {
				ckpt_err_setf(extack, 0, v->start,
					      "System V segment %d is not attached by the caller (shmat%s first)",
					      v->fd, rdonly ? " with SHM_RDONLY" : "");
				return -EBADF;
			}
		} else if (v->fd >= 0) {
			p->files[i] = fget(v->fd);
			if (!p->files[i]) {
				ckpt_err_set(extack, 0, v->start,
					     "descriptor of a mapped file is not open");
				return -EBADF;
			}
		}
	}
	/*
	 * The check do_mmap() makes of every locked mapping
	 * (mlock_future_check()), made here for all of them before the point
	 * of no return: the caller's RLIMIT_MEMLOCK is the image's by now.
	 */
	if (locked > rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT &&
	    !capable(CAP_IPC_LOCK)) {
		NL_SET_ERR_MSG(extack,
			       "locked mappings exceed RLIMIT_MEMLOCK (and no CAP_IPC_LOCK)");
		return -EAGAIN;
	}
	return 0;
}

/* The mapping holding [addr, addr + len), or NULL: the plan is in order. */
static const struct ckpt_restore_vma *plan_vma(struct plan *p, u64 addr,
					       u64 len)
{
	size_t lo = 0, hi = p->nr_vmas, mid;

	/* The last mapping that starts at or below @addr. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->vmas[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && len <= p->vmas[lo - 1].end - addr)
		return &p->vmas[lo - 1];
	return NULL;
}

static int check_runs(struct plan *p, struct netlink_ext_ack *extack)
{
	loff_t size = i_size_read(file_inode(p->image));
	size_t i;

	if (S_ISBLK(file_inode(p->image)->i_mode))
		size = LLONG_MAX;
	for (i = 0; i < p->nr_runs; i++) {
		const struct ckpt_restore_run *r = &p->runs[i];
		const struct ckpt_restore_vma *v;
		u64 len = r->nr_pages << PAGE_SHIFT;

		if (!r->nr_pages || r->nr_pages > (TASK_SIZE_MAX >> PAGE_SHIFT))
			goto bad;
		v = plan_vma(p, r->addr, len);
		if (!v || is_special(v) || is_kept(v) || !PAGE_ALIGNED(r->addr) ||
		    r->offset > size || len > size - r->offset)
			goto bad;
		continue;
bad:
		ckpt_err_set(extack, 0, r->addr,
			     "page run is outside its mappings or beyond the image");
		return -EINVAL;
	}
	return 0;
}

static void plan_put(struct plan *p)
{
	size_t i;

	for (i = 0; p->files && i < p->nr_vmas; i++)
		if (p->files[i])
			fput(p->files[i]);
	kvfree(p->files);
	kvfree(p->crcs);
	if (p->crc_file)
		fput(p->crc_file);
	kvfree(p->runs);
	kvfree(p->vmas);
	if (p->image)
		fput(p->image);
}

/*
 * Mappings and runs come as binary chunks of whole entries inside a nested
 * attribute of the same type: one attribute's length is a u16, so one
 * array of 20,000 mappings could not be a single attribute.
 */
static int gather_chunks(struct nlattr *nest, size_t elem, size_t max,
			 void **out, size_t *nr, struct netlink_ext_ack *extack)
{
	size_t total = 0, n, done = 0;
	struct nlattr *a;
	char *arr;
	int rem;

	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != nla_type(nest) || nla_len(a) % elem)
			goto bad;
		total += nla_len(a) / elem;
	}
	if (rem || total > max)
		goto bad;
	arr = kvmalloc_array(max_t(size_t, total, 1), elem, GFP_KERNEL);
	if (!arr)
		return -ENOMEM;
	nla_for_each_nested(a, nest, rem) {
		n = nla_len(a) / elem;
		memcpy(arr + done * elem, nla_data(a), n * elem);
		done += n;
	}
	*out = arr;
	*nr = total;
	return 0;
bad:
	NL_SET_ERR_MSG_ATTR(extack, nest, "malformed or too long list of mappings or page runs");
	return -EINVAL;
}

/* Exactly @len bytes of @file at *@pos into @buf. */
static int read_exact(struct file *file, void *buf, size_t len, loff_t *pos)
{
	ssize_t n;

	while (len) {
		n = kernel_read(file, buf, len, pos);
		if (n <= 0)
			return n ? (int)n : -EINVAL;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * A plan too large for a netlink message comes in a file: its header,
 * the mappings, the runs and nothing more. Counts are bounded before
 * anything is allocated.
 */
static int read_plan_file(u32 fd, struct plan *p, struct netlink_ext_ack *extack)
{
	struct ckpt_restore_plan hdr;
	struct file *file = fget(fd);
	loff_t pos = 0;
	char extra;
	int ret;

	if (!file || !(file->f_mode & FMODE_READ)) {
		ret = -EBADF;
		NL_SET_ERR_MSG(extack, "plan descriptor is not open for reading");
		goto out;
	}
	ret = read_exact(file, &hdr, sizeof(hdr), &pos);
	if (!ret && (hdr.reserved || hdr.nr_vmas > MAX_VMAS || hdr.nr_runs > MAX_RUNS))
		ret = -EINVAL;
	if (ret)
		goto bad;
	p->vmas = kvmalloc_array(max_t(size_t, hdr.nr_vmas, 1), sizeof(*p->vmas),
				 GFP_KERNEL);
	p->runs = kvmalloc_array(max_t(size_t, hdr.nr_runs, 1), sizeof(*p->runs),
				 GFP_KERNEL);
	if (!p->vmas || !p->runs) {
		ret = -ENOMEM;
		goto out;
	}
	ret = read_exact(file, p->vmas, hdr.nr_vmas * sizeof(*p->vmas), &pos);
	if (!ret)
		ret = read_exact(file, p->runs, hdr.nr_runs * sizeof(*p->runs), &pos);
	/* Nothing may follow. */
	if (!ret && kernel_read(file, &extra, 1, &pos) != 0)
		ret = -EINVAL;
	if (ret)
		goto bad;
	p->nr_vmas = hdr.nr_vmas;
	p->nr_runs = hdr.nr_runs;
	goto out;
bad:
	NL_SET_ERR_MSG(extack,
		       "the plan file is truncated, too long or holds too many mappings or runs");
	ret = -EINVAL;
out:
	if (file)
		fput(file);
	return ret;
}

/*
 * Where the CRC of each run goes: the controller checks the image's
 * checksum from them before any restored task runs, so the image is read
 * once, here, and not also beforehand to verify it.
 */
static int crc_file_get(struct plan *p, u32 fd, u64 pos,
			struct netlink_ext_ack *extack)
{
	p->crc_file = fget(fd);
	if (!p->crc_file || !(p->crc_file->f_mode & FMODE_WRITE) ||
	    !S_ISREG(file_inode(p->crc_file)->i_mode)) {
		NL_SET_ERR_MSG(extack,
			       "checksum descriptor is not a regular file open for writing");
		return -EBADF;
	}
	/* Runs are checked to lie in the image: at most a MiB per piece each. */
	p->nr_pieces = ckpt_fill_nr_pieces(p->runs, p->nr_runs);
	if (p->nr_pieces > MAX_PIECES ||
	    pos > LLONG_MAX - MAX_PIECES * sizeof(*p->crcs)) {
		NL_SET_ERR_MSG(extack, "too many pieces or checksum position out of range");
		return -EINVAL;
	}
	p->crc_pos = pos;
	/* Before the point of no return: a failure here costs nothing. */
	p->crcs = kvcalloc(max_t(size_t, p->nr_pieces, 1), sizeof(*p->crcs),
			   GFP_KERNEL);
	return p->crcs ? 0 : -ENOMEM;
}

static int plan_get(struct genl_info *info, struct plan *p)
{
	struct nlattr **a = info->attrs;
	struct netlink_ext_ack *extack = info->extack;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, CKPT_A_IMAGE_FD) ||
	    GENL_REQ_ATTR_CHECK(info, CKPT_A_RESTORE_TASK))
		return -EINVAL;
	p->task = nla_data(a[CKPT_A_RESTORE_TASK]);
	if (a[CKPT_A_RESTORE_PLAN_FD]) {
		if (a[CKPT_A_RESTORE_VMAS] || a[CKPT_A_RESTORE_RUNS]) {
			NL_SET_ERR_MSG(extack, "a plan file and plan attributes together");
			return -EINVAL;
		}
		ret = read_plan_file(nla_get_u32(a[CKPT_A_RESTORE_PLAN_FD]), p, extack);
	} else if (GENL_REQ_ATTR_CHECK(info, CKPT_A_RESTORE_VMAS)) {
		ret = -EINVAL;
	} else {
		ret = gather_chunks(a[CKPT_A_RESTORE_VMAS], sizeof(*p->vmas),
				    MAX_VMAS, (void **)&p->vmas, &p->nr_vmas,
				    extack);
	}
	if (ret)
		return ret;
	if (a[CKPT_A_RESTORE_RUNS]) {
		ret = gather_chunks(a[CKPT_A_RESTORE_RUNS], sizeof(*p->runs),
				    MAX_RUNS, (void **)&p->runs, &p->nr_runs,
				    extack);
		if (ret)
			return ret;
	}
	if (a[CKPT_A_RESTORE_AUXV]) {
		p->auxv = nla_data(a[CKPT_A_RESTORE_AUXV]);
		p->nr_auxv = nla_len(a[CKPT_A_RESTORE_AUXV]) / sizeof(u64);
		if (nla_len(a[CKPT_A_RESTORE_AUXV]) % (2 * sizeof(u64)) ||
		    p->nr_auxv > ARRAY_SIZE(current->mm->saved_auxv)) {
			NL_SET_ERR_MSG_ATTR(extack, a[CKPT_A_RESTORE_AUXV],
					    "auxv is not whole pairs or longer than this kernel keeps");
			return -EINVAL;
		}
	}
	if (!p->nr_vmas || p->nr_vmas > MAX_VMAS || p->nr_runs > MAX_RUNS) {
		NL_SET_ERR_MSG(extack, "too many or no mappings or runs");
		return -EINVAL;
	}
	p->image = fget(nla_get_u32(a[CKPT_A_IMAGE_FD]));
	if (!p->image || !(p->image->f_mode & FMODE_READ)) {
		NL_SET_ERR_MSG(extack, "image descriptor is not open for reading");
		return -EBADF;
	}
	p->files = kvcalloc(p->nr_vmas, sizeof(*p->files), GFP_KERNEL);
	if (!p->files)
		return -ENOMEM;
	ret = check_vmas(p, extack);
	if (!ret)
		ret = check_runs(p, extack);
	if (!ret && a[CKPT_A_RESTORE_CRC_FD])
		ret = crc_file_get(p, nla_get_u32(a[CKPT_A_RESTORE_CRC_FD]),
				   a[CKPT_A_RESTORE_CRC_POS] ?
				   nla_get_u64(a[CKPT_A_RESTORE_CRC_POS]) : 0, extack);
	return ret;
}

/* --- past the point of no return -------------------------------------------- */

/* A mapping check_kept() found to be exactly a kept one of the plan. */
static bool kept_vma(struct plan *p, struct vm_area_struct *vma)
{
	const struct ckpt_restore_vma *v;

	v = plan_vma(p, vma->vm_start, vma->vm_end - vma->vm_start);
	return v && is_kept(v) && v->start == vma->vm_start &&
	       v->end == vma->vm_end;
}

static int unmap_all_but_vdso(struct plan *p)
{
	struct mm_struct *mm = current->mm;
	unsigned long addr = 0, start, end;
	struct vm_area_struct *vma;
	int ret;

	for (;;) {
		mmap_read_lock(mm);
		vma = find_vma(mm, addr);
		while (vma && ((vma->vm_ops && vma->vm_ops->name) ||
			       kept_vma(p, vma)))
			vma = find_vma(mm, vma->vm_end);
		start = vma ? vma->vm_start : 0;
		end = vma ? vma->vm_end : 0;
		mmap_read_unlock(mm);
		if (!vma)
			return 0;
		ret = vm_munmap(start, end - start);
		if (ret)
			return ret;
		addr = end;
	}
}

static void set_def_flags(struct mm_struct *mm, unsigned long def_flags)
{
	mmap_write_lock(mm);
	mm->def_flags = def_flags;
	mmap_write_unlock(mm);
}

#ifdef CONFIG_KSM
/*
 * The mapping was created VM_MERGEABLE; ksm_madvise() (which madvise()
 * calls with the mmap lock held for writing) registers the mm with ksmd
 * the first time. It returns early for a VMA already VM_MERGEABLE, so it
 * is asked about the flags without that bit.
 */
static int enter_ksm(struct mm_struct *mm, unsigned long start)
{
	struct vm_area_struct *vma;
	unsigned long vm_flags;
	int ret = -EINVAL;

	mmap_write_lock(mm);
	vma = find_vma(mm, start);
	if (vma && vma->vm_start <= start) {
		vm_flags = vma->vm_flags & ~VM_MERGEABLE;
		ret = ksm_madvise(vma, vma->vm_start, vma->vm_end,
				  MADV_MERGEABLE, &vm_flags);
		if (!ret && !(vm_flags & VM_MERGEABLE))
			ret = -EINVAL;
	}
	mmap_write_unlock(mm);
	return ret;
}
#else
static int enter_ksm(struct mm_struct *mm, unsigned long start)
{
	return -EOPNOTSUPP;	/* refused by vma_flags_refusal() */
}
#endif

static int map_one(struct plan *p, size_t i)
{
	const struct ckpt_restore_vma *v = &p->vmas[i];
	unsigned long flags, addr;

	flags = MAP_FIXED_NOREPLACE |
		(v->flags & CKPT_VMA_SHARED ? MAP_SHARED : MAP_PRIVATE) |
		(p->files[i] ? 0 : MAP_ANONYMOUS) |
		(v->flags & CKPT_VMA_STACK ? MAP_GROWSDOWN : 0) |
		(v->flags & CKPT_VMA_NORESERVE ? MAP_NORESERVE : 0);
	set_def_flags(current->mm, vma_advice(v->flags));
	addr = vm_mmap(p->files[i], v->start, v->end - v->start,
		       vma_prot(v->flags), flags,
		       p->files[i] ? v->pgoff << PAGE_SHIFT : 0);
	if (addr != v->start)
		return IS_ERR_VALUE(addr) ? (int)addr : -EEXIST;
	progressed();
	if (v->flags & CKPT_VMA_MERGEABLE)
		return enter_ksm(current->mm, v->start);
	return 0;
}

/*
 * The caller's personality and mm->def_flags are the image's already
 * (personality(), mlockall(MCL_FUTURE)); both would change how mappings
 * are made, so they are set aside while the image's mappings are made
 * exactly as recorded: READ_IMPLIES_EXEC would add PROT_EXEC to every
 * readable one (do_mmap()).
 */
static int map_all(struct plan *p)
{
	struct mm_struct *mm = current->mm;
	unsigned long def_flags = mm->def_flags;
	unsigned int personality = current->personality;
	size_t i;
	int ret = 0;

	current->personality &= ~READ_IMPLIES_EXEC;
	for (i = 0; !ret && i < p->nr_vmas; i++)
		if (!is_special(&p->vmas[i]) && !is_kept(&p->vmas[i]))
			ret = map_one(p, i);
	set_def_flags(mm, def_flags);
	current->personality = personality;
	return ret;
}

static int put_crcs(struct plan *p)
{
	size_t len = p->nr_pieces * sizeof(*p->crcs);
	loff_t pos = p->crc_pos;

	if (!p->crc_file || !len)
		return 0;
	return kernel_write(p->crc_file, p->crcs, len, &pos) == len ? 0 : -EIO;
}

static int fill_pages(struct plan *p)
{
	int ret = ckpt_fill(p->image, p->runs, p->nr_runs, p->crcs, progressed);

	return ret ? ret : put_crcs(p);
}

/*
 * Descriptors that served the restore go before the process runs. Not
 * with close_fd(): its filp_close() calls locks_remove_posix(), which
 * drops every POSIX lock the process holds on the file (6.1 fs/open.c,
 * fs/locks.c), and a process that maps the file it locks had its locks
 * taken again already. close_fd_get_file() only takes the descriptor out
 * of the table; these files were never written through nor flushed.
 */
static void close_restore_fds(const struct nlattr *a)
{
	struct file *file;
	const s32 *fds;
	int i, n;

	if (!a)
		return;
	fds = nla_data(a);
	n = nla_len(a) / sizeof(*fds);
	for (i = 0; i < n; i++) {
		file = fds[i] >= 0 ? close_fd_get_file(fds[i]) : NULL;
		if (file)
			fput(file);
	}
}

/*
 * What /proc/PID/auxv shows. As prctl(PR_SET_MM_MAP) does (kernel/sys.c):
 * under task_lock, and ending with an AT_NULL pair whatever was sent.
 */
static void set_auxv(const struct plan *p)
{
	struct mm_struct *mm = current->mm;
	size_t n = ARRAY_SIZE(mm->saved_auxv);

	if (!p->auxv)
		return;
	task_lock(current);
	memset(mm->saved_auxv, 0, sizeof(mm->saved_auxv));
	memcpy(mm->saved_auxv, p->auxv, p->nr_auxv * sizeof(u64));
	mm->saved_auxv[n - 2] = AT_NULL;
	mm->saved_auxv[n - 1] = AT_NULL;
	task_unlock(current);
}

static void set_mm_fields(const struct ckpt_rec_task *t)
{
	struct mm_struct *mm = current->mm;

	mmap_write_lock(mm);
	mm->start_code = t->start_code;
	mm->end_code = t->end_code;
	mm->start_data = t->start_data;
	mm->end_data = t->end_data;
	mm->start_brk = t->start_brk;
	mm->brk = t->brk;
	mm->start_stack = t->start_stack;
	spin_lock(&mm->arg_lock);
	mm->arg_start = t->arg_start;
	mm->arg_end = t->arg_end;
	mm->env_start = t->env_start;
	mm->env_end = t->env_end;
	spin_unlock(&mm->arg_lock);
	mmap_write_unlock(mm);
}

/*
 * Runs on the way out of the RESTORE_MM system call, after it stored its
 * return value in ax (6.1 do_syscall_64() writes regs->ax when the handler
 * returns): put the image's ax back. orig_ax is -1, so a signal pending on
 * this exit is not taken for a syscall restart.
 */
static void put_back_ax(struct callback_head *cb)
{
	struct restore_park *rp = container_of(cb, struct restore_park, twork);
	struct pt_regs *regs = task_pt_regs(current);

	regs->ax = rp->ax;
	regs->orig_ax = -1;
	kfree(rp);
	module_put(THIS_MODULE);
}

/*
 * Parked with the memory in place until the controller sets the registers:
 * it may first wait for every other process of the tree to fill its
 * memory, which counts as progress.
 */
static int park_for_regs(struct restore_park *rp, struct netlink_ext_ack *extack)
{
	int ret;

	rp->task = current;
	init_completion(&rp->done);
	mutex_lock(&parked_lock);
	list_add(&rp->node, &parked_tasks);
	mutex_unlock(&parked_lock);
	atomic_inc(&parked_seq);
	wake_up_all(&parked_wq);
	progressed();
	ret = wait_progressing(&rp->done);
	mutex_lock(&parked_lock);
	list_del_init(&rp->node);
	mutex_unlock(&parked_lock);
	/* RESTORE_REGS may have completed between timeout and removal. */
	if (ret && completion_done(&rp->done))
		ret = 0;
	if (ret == -ETIMEDOUT)
		ckpt_err_setf(extack, task_pid_nr(current), 0,
			      "thread %d parked with its memory in place, but got no registers and no restore progressed for %u s",
			      task_pid_nr(current), stall_s());
	return ret;
}

/*
 * Released with its registers set: take the image's rseq area (it lives in
 * the restored memory, the kernel updates it) and put ax back on the way
 * out. Consumes @rp.
 */
static void resume_as_image(struct restore_park *rp)
{
	sigset_t mask;

	/*
	 * The restorer blocks every signal before it arms the image's timers
	 * (lib/restore_timers.c): one that fired earlier would have run an
	 * image's handler in the restorer's memory. Only now, running as the
	 * image, does the thread take the image's mask back; what became
	 * pending in between is delivered on the way out.
	 */
	siginitset(&mask, rp->sigmask & ~(sigmask(SIGKILL) | sigmask(SIGSTOP)));
	sigprocmask(SIG_SETMASK, &mask, NULL);
#ifdef CONFIG_RSEQ
	current->rseq = (struct rseq __user *)(unsigned long)rp->rseq;
	current->rseq_sig = rp->rseq_sig;
	rseq_set_notify_resume(current);
#endif
	__module_get(THIS_MODULE);
	init_task_work(&rp->twork, put_back_ax);
	if (task_work_add(current, &rp->twork, TWA_RESUME)) {
		module_put(THIS_MODULE);
		kfree(rp);
		force_sig(SIGKILL);
	}
}

int ckpt_restore_mm_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct restore_park *rp;
	struct plan p = { 0 };
	int ret;

	ret = plan_get(info, &p);
	progressed();
	rp = ret ? NULL : kzalloc(sizeof(*rp), GFP_KERNEL);
	if (!ret && !rp)
		ret = -ENOMEM;
	if (!ret)
		ret = wait_for_threads(info->extack);
	if (ret) {
		release_waiters(-ECANCELED);
		kfree(rp);
		goto out_put;
	}

	/* The point of no return: from here a failure kills the caller. */
	ret = unmap_all_but_vdso(&p);
	if (!ret)
		ret = map_all(&p);
	if (!ret)
		ret = fill_pages(&p);
	if (!ret) {
		set_mm_fields(p.task);
		set_auxv(&p);
		close_restore_fds(info->attrs[CKPT_A_RESTORE_CLOSE]);
		release_waiters(0);
		ret = park_for_regs(rp, info->extack);
	}
	if (ret) {
		/* Kills the whole process, waiting threads included. */
		pr_warn_ratelimited("restore of pid %d failed after its memory was replaced (%d); killing it\n",
				    task_pid_nr(current), ret);
		force_sig(SIGKILL);
		kfree(rp);
		goto out_put;
	}
	resume_as_image(rp);
out_put:
	plan_put(&p);
	return ret;
}

int ckpt_restore_thread_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct restore_waiter w = { .task = current, .result = 0 };
	struct restore_park *rp;
	int ret;

	rp = kzalloc(sizeof(*rp), GFP_KERNEL);
	if (!rp)
		return -ENOMEM;
	init_completion(&w.ready);
	mutex_lock(&waiting_lock);
	list_add(&w.node, &waiting_threads);
	mutex_unlock(&waiting_lock);
	wake_up_all(&waiting_wq);
	progressed();
	/* The leader replaces and fills the memory meanwhile: progress. */
	ret = wait_progressing(&w.ready);
	mutex_lock(&waiting_lock);
	list_del_init(&w.node);
	mutex_unlock(&waiting_lock);
	if (ret && completion_done(&w.ready))
		ret = 0;
	if (ret == -ETIMEDOUT)
		ckpt_err_setf(info->extack, task_pid_nr(current), 0,
			      "thread %d waited for its process's memory, and no restore progressed for %u s",
			      task_pid_nr(current), stall_s());
	if (!ret)
		ret = w.result;
	if (!ret) {
		close_restore_fds(info->attrs[CKPT_A_RESTORE_CLOSE]);
		ret = park_for_regs(rp, info->extack);
	}
	if (ret) {
		/* The memory may be gone already: never return to it. */
		if (ret != -ECANCELED)
			force_sig(SIGKILL);
		kfree(rp);
		return ret;
	}
	resume_as_image(rp);
	return 0;
}

/* --- the controller's half ------------------------------------------------- */

static struct restore_park *find_parked(struct task_struct *t)
{
	struct restore_park *rp, *found = NULL;

	mutex_lock(&parked_lock);
	list_for_each_entry(rp, &parked_tasks, node) {
		if (rp->task == t && !completion_done(&rp->done)) {
			found = rp;
			break;
		}
	}
	/* Keep parked_lock: the entry stays valid until we complete it. */
	if (!found)
		mutex_unlock(&parked_lock);
	return found;
}

/*
 * A restoring process tree is built by the controller's descendants, each
 * of which asked to be restored (it entered RESTORE_MM or RESTORE_THREAD
 * itself): its ancestors may give it registers.
 */
static bool may_restore(struct task_struct *t)
{
	struct task_struct *p;
	bool ancestor = false;

	if (ckpt_privileged())
		return true;
	rcu_read_lock();
	for (p = rcu_dereference(t->real_parent); p->pid;
	     p = rcu_dereference(p->real_parent)) {
		if (p->tgid == current->tgid) {
			ancestor = true;
			break;
		}
	}
	rcu_read_unlock();
	return ancestor;
}

/* The restoring thread @tid names, with a reference, after the checks. */
static struct task_struct *get_restoring(struct genl_info *info)
{
	struct task_struct *t;

	rcu_read_lock();
	t = pid_task(find_vpid(nla_get_u32(info->attrs[CKPT_A_TID])), PIDTYPE_PID);
	if (t)
		get_task_struct(t);
	rcu_read_unlock();
	if (!t) {
		NL_SET_ERR_MSG(info->extack, "no such restoring task");
		return ERR_PTR(-ESRCH);
	}
	if (!may_restore(t)) {
		NL_SET_ERR_MSG(info->extack,
			       "permission denied: not an ancestor of the restoring task");
		put_task_struct(t);
		return ERR_PTR(-EPERM);
	}
	return t;
}

/*
 * Wait for @t to park, @why; return with parked_lock held and the entry,
 * or an ERR_PTR (lock dropped, the reason in @extack) if it exited, we
 * were killed or no restore progressed for restore_stall_s.
 */
static struct restore_park *wait_parked(struct task_struct *t, const char *why,
					struct netlink_ext_ack *extack)
{
	pid_t tid = task_pid_vnr(t);
	struct restore_park *rp;
	struct stall_watch w;
	int seen;

	watch_start(&w);
	for (;;) {
		/* Read before the search: a park after it changes the count. */
		seen = atomic_read(&parked_seq);
		rp = find_parked(t);
		if (rp)
			break;
		if (fatal_signal_pending(current))
			return ERR_PTR(-EINTR);
		if (t->exit_state) {
			ckpt_err_setf(extack, tid, 0, "thread %d exited before it parked %s",
				      tid, why);
			return ERR_PTR(-ESRCH);
		}
		if (stalled(&w)) {
			ckpt_err_setf(extack, tid, 0,
				      "thread %d did not park %s, and no restore progressed for %u s",
				      tid, why, stall_s());
			return ERR_PTR(-ETIMEDOUT);
		}
		/* A park wakes it; an exit is only seen by looking again. */
		wait_event_killable_timeout(parked_wq, atomic_read(&parked_seq) != seen,
					    EXIT_SLICE);
	}
	return rp;
}

/*
 * The ptrace contract: the target sleeps in park_for_regs(), so its FPU
 * state was saved to fpstate when it switched out, and xstateregs_set()
 * makes it reload (fpu_force_restore()). wait_task_inactive() is not
 * exported: wait for on_cpu to drop instead.
 */
static int set_regs(struct task_struct *t, const struct ckpt_rec_thread *th,
		    struct restore_park *rp, struct netlink_ext_ack *extack)
{
	const struct user_regset *gpr = ckpt_regset_find(task_user_regset_view(t), NT_PRSTATUS);
	const struct user_regset *xs = ckpt_regset_find(task_user_regset_view(t), NT_X86_XSTATE);
	struct user_regs_struct regs;
	const void *xstate;
	int ret, spins = 0;

	if (!gpr || !xs || th->regs_size != gpr->n * gpr->size ||
	    th->xstate_size != xs->n * xs->size) {
		NL_SET_ERR_MSG(extack,
			       "register or xstate size differs from this machine's (another CPU model?)");
		return -EINVAL;
	}
	while (READ_ONCE(t->on_cpu) || task_is_running(t)) {
		if (++spins > 1000)
			return -EBUSY;
		usleep_range(100, 200);
	}
	memcpy(&regs, th + 1, sizeof(regs));
	xstate = (const char *)(th + 1) + th->regs_size;
	rp->ax = regs.ax;
	regs.orig_ax = -1;
	ret = gpr->set(t, gpr, 0, sizeof(regs), &regs, NULL);
	if (!ret)
		ret = xs->set(t, xs, 0, th->xstate_size, xstate, NULL);
	if (ret)
		NL_SET_ERR_MSG(extack, "the kernel refused the registers or xstate");
	rp->rseq = th->rseq;
	rp->rseq_sig = th->rseq_sig;
	rp->sigmask = th->sigmask;
	return ret;
}

/* path_noexec() (fs/exec.c) is not exported: the same two tests. */
static bool noexec_mount(const struct path *path)
{
	return (path->mnt->mnt_flags & MNT_NOEXEC) ||
	       (path->mnt->mnt_sb->s_iflags & SB_I_NOEXEC);
}

/*
 * The rules prctl(PR_SET_MM_MAP) applies to its exe_fd (kernel/sys.c,
 * 6.1), judged on the controller that asks, which acts for the restored
 * process: CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN (here in the initial
 * user namespace, as for everything the module allows), a regular file
 * the caller may execute on a mount that allows execution.
 */
static int check_exe(struct file *exe, struct netlink_ext_ack *extack)
{
	struct inode *inode = file_inode(exe);

	if (!ckpt_privileged()) {
		NL_SET_ERR_MSG(extack,
			       "setting a process's executable needs CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN");
		return -EPERM;
	}
	if (!S_ISREG(inode->i_mode) || noexec_mount(&exe->f_path) ||
	    inode_permission(file_mnt_user_ns(exe), inode, MAY_EXEC)) {
		NL_SET_ERR_MSG(extack,
			       "the executable is not a regular file this caller may execute");
		return -EACCES;
	}
	return 0;
}

/*
 * Make @exe what /proc/PID/exe of the parked @t names, the way
 * replace_mm_exe_file() (kernel/fork.c, not exported) does it: refused
 * while the old file is still mapped (the restore unmapped the
 * restorer's own binary); exe_file_deny_write_access() on the new file
 * as exec does, allowed again on the old one under the mmap lock so that
 * dup_mmap() never sees it half done; the pointer swapped with xchg() for
 * RCU readers (get_mm_exe_file()).
 */
static int set_exe(struct task_struct *t, struct file *exe,
		   struct netlink_ext_ack *extack)
{
	struct mm_struct *mm = get_task_mm(t);
	struct vm_area_struct *vma;
	struct file *old;
	int ret = 0;

	if (!mm)
		return -ESRCH;
	rcu_read_lock();
	old = rcu_dereference(mm->exe_file);
	if (old && !get_file_rcu(old))
		old = NULL;
	rcu_read_unlock();
	/* Restored by the same program it ran: nothing to change. */
	if (old && file_inode(old) == file_inode(exe)) {
		fput(old);
		goto out;
	}
	if (old) {
		VMA_ITERATOR(vmi, mm, 0);

		mmap_read_lock(mm);
		for_each_vma(vmi, vma)
			if (vma->vm_file &&
			    path_equal(&vma->vm_file->f_path, &old->f_path))
				ret = -EBUSY;
		mmap_read_unlock(mm);
		fput(old);
	}
	if (!ret && exe_file_deny_write_access(exe))
		ret = -ETXTBSY;
	if (ret == -EBUSY)
		NL_SET_ERR_MSG(extack, "the process still maps its old executable");
	else if (ret)
		NL_SET_ERR_MSG(extack, "the executable is open for writing");
	if (ret)
		goto out;
	get_file(exe);
	old = xchg(&mm->exe_file, exe);
	if (old) {
		mmap_read_lock(mm);
		exe_file_allow_write_access(old);
		fput(old);
		mmap_read_unlock(mm);
	}
out:
	mmput(mm);
	return ret;
}

int ckpt_restore_regs_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct file *exe = NULL;
	const struct ckpt_rec_thread *th;
	struct restore_park *rp;
	struct task_struct *t;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, CKPT_A_TID) ||
	    GENL_REQ_ATTR_CHECK(info, CKPT_A_RESTORE_THREAD))
		return -EINVAL;
	th = nla_data(info->attrs[CKPT_A_RESTORE_THREAD]);
	if (nla_len(info->attrs[CKPT_A_RESTORE_THREAD]) < sizeof(*th) ||
	    nla_len(info->attrs[CKPT_A_RESTORE_THREAD]) !=
	    sizeof(*th) + (u64)th->regs_size + th->xstate_size) {
		NL_SET_ERR_MSG(info->extack, "thread record of a wrong size");
		return -EINVAL;
	}
	if (info->attrs[CKPT_A_EXE_FD]) {
		exe = fget(nla_get_u32(info->attrs[CKPT_A_EXE_FD]));
		if (!exe || !(exe->f_mode & FMODE_READ)) {
			NL_SET_ERR_MSG(info->extack,
				       "executable descriptor is not open for reading");
			ret = -EBADF;
			goto out_fput;
		}
		ret = check_exe(exe, info->extack);
		if (ret)
			goto out_fput;
	}
	t = get_restoring(info);
	if (IS_ERR(t)) {
		ret = PTR_ERR(t);
		goto out_fput;
	}
	/* The target may still be filling its memory: wait for it to park. */
	rp = wait_parked(t, "for its registers", info->extack);
	if (IS_ERR(rp)) {
		ret = PTR_ERR(rp);
		goto out;
	}
	/* Parked past its point of no return: its old binary is unmapped. */
	ret = exe ? set_exe(t, exe, info->extack) : 0;
	if (!ret)
		ret = set_regs(t, th, rp, info->extack);
	if (ret)
		send_sig(SIGKILL, t, 1);
	progressed();
	complete(&rp->done);
	mutex_unlock(&parked_lock);
out:
	put_task_struct(t);
out_fput:
	if (exe)
		fput(exe);
	return ret;
}

int ckpt_restore_parked_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct restore_park *rp;
	struct task_struct *t;
	int ret = 0;

	if (GENL_REQ_ATTR_CHECK(info, CKPT_A_TID))
		return -EINVAL;
	t = get_restoring(info);
	if (IS_ERR(t))
		return PTR_ERR(t);
	rp = wait_parked(t, "with its memory in place", info->extack);
	if (IS_ERR(rp)) {
		ret = PTR_ERR(rp);
	} else {
		mutex_unlock(&parked_lock);
		progressed();
	}
	put_task_struct(t);
	return ret;
}

/*
 * The peer credentials of a Unix socket the controller made on behalf of
 * a restored process: taken from that process once it is parked, past its
 * restore_identity().
 */
int ckpt_restore_peer_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct restore_park *rp;
	struct task_struct *t;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, CKPT_A_TID) ||
	    GENL_REQ_ATTR_CHECK(info, CKPT_A_SOCK_FD))
		return -EINVAL;
	t = get_restoring(info);
	if (IS_ERR(t))
		return PTR_ERR(t);
	rp = wait_parked(t, "with its identity restored", info->extack);
	if (IS_ERR(rp)) {
		put_task_struct(t);
		return PTR_ERR(rp);
	}
	mutex_unlock(&parked_lock);
	progressed();
	ret = ckpt_sock_set_peer(nla_get_u32(info->attrs[CKPT_A_SOCK_FD]), t);
	if (ret == -EINVAL)
		NL_SET_ERR_MSG(info->extack, "not a Unix socket");
	else if (ret)
		NL_SET_ERR_MSG(info->extack, "no such socket");
	put_task_struct(t);
	return ret;
}
