// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt restore: a restoring process. It makes its children, rebuilds
 * its own state (descriptors, working directory, limits, dispositions,
 * credentials and capabilities, signal state, identity, the vdso's place),
 * starts its threads and asks the module to replace its memory.
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
#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/securebits.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/fsuid.h>
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

#define NR_CAPS	64	/* bits of the image's capability sets */

/*
 * The bounding set can only shrink: drop what the image lacks while we
 * still hold CAP_SETPCAP (before the uid changes); a capability the image
 * had and we lack cannot be given back, so that is refused.
 */
static int restore_bounding(const struct ckpt_rec_proc *r, uint32_t pid,
			    struct shared *e)
{
	int cap, have;

	for (cap = 0; cap < NR_CAPS; cap++) {
		have = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (r->cap_bset & (1ULL << cap)) {
			if (have != 1)
				return fail(e, -EPERM, "pid %u: capability %d is in its bounding set and not in ours",
					    pid, cap);
		} else if (have == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) {
			return fail(e, -errno, "pid %u: cannot drop capability %d from the bounding set: %s",
				    pid, cap, strerror(errno));
		}
	}
	return 0;
}

static int capset3(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
	};

	return (int)syscall(SYS_capset, &hdr, d);
}

static uint64_t permitted_now(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	if (syscall(SYS_capget, &hdr, d))
		return 0;
	return d[0].permitted | (uint64_t)d[1].permitted << 32;
}

/*
 * After setresuid() with SECBIT_KEEP_CAPS, our permitted set is the
 * caller's: the kernel lets capset() only shrink it and lets the
 * inheritable set grow only within it (cap_capset()), so nothing beyond
 * what the caller has is ever granted. Ambient capabilities must be in
 * both sets and are raised before the securebits may forbid it;
 * PR_SET_SECUREBITS needs CAP_SETPCAP. The effective and permitted sets
 * stay the caller's until every thread exists (clone3()'s set_tid needs
 * CAP_CHECKPOINT_RESTORE); credentials are per thread, so each thread,
 * the leader last, then takes the image's sets itself (final_caps()).
 */
static int restore_caps(const struct ckpt_rec_proc *r, uint32_t pid,
			struct shared *e)
{
	uint64_t prm = permitted_now();
	int cap, bits;

	if (capset3(prm, prm, r->cap_inheritable))
		return fail(e, -errno, "pid %u: cannot take the inheritable capabilities 0x%llx: %s",
			    pid, (unsigned long long)r->cap_inheritable, strerror(errno));
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	for (cap = 0; cap < NR_CAPS; cap++)
		if ((r->cap_ambient & (1ULL << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0))
			return fail(e, -errno, "pid %u: cannot raise ambient capability %d: %s",
				    pid, cap, strerror(errno));
	bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (bits < 0 || ((unsigned int)bits & ~SECBIT_KEEP_CAPS) !=
			(r->securebits & ~SECBIT_KEEP_CAPS)) {
		if (prctl(PR_SET_SECUREBITS, r->securebits, 0, 0, 0))
			return fail(e, -errno, "pid %u: cannot set securebits 0x%x: %s",
				    pid, r->securebits, strerror(errno));
	} else if (prctl(PR_SET_KEEPCAPS, !!(r->securebits & SECBIT_KEEP_CAPS), 0, 0, 0)) {
		return fail(e, -errno, "pid %u: cannot set keep-caps: %s", pid,
			    strerror(errno));
	}
	return 0;
}

/* The image's capability sets: only ever a subset of what we hold. */
static int final_caps(const struct ckpt_rec_proc *r, uint32_t pid, struct shared *e)
{
	if (capset3(r->cap_effective, r->cap_permitted, r->cap_inheritable))
		return fail(e, -errno, "pid %u: cannot take the capabilities (permitted 0x%llx): %s",
			    pid, (unsigned long long)r->cap_permitted, strerror(errno));
	return 0;
}

static int restore_proc(const struct libckpt_image_task *t, int cwd_fd,
			struct shared *e)
{
	const struct ckpt_rec_proc *r = &t->proc->rec;
	struct rlimit rl;
	int sig, ret;

	if (strcmp(t->proc->root, "/"))
		return fail(e, -EOPNOTSUPP, "pid %u ran chrooted in %s: not supported yet",
			    t->rec.pid, t->proc->root);
	/* A removed working directory was re-created, opened and removed. */
	if (cwd_fd >= 0 ? fchdir(cwd_fd) : chdir(t->proc->cwd))
		return fail(e, -errno, "pid %u cannot enter the working directory %s: %s",
			    t->rec.pid, t->proc->cwd, strerror(errno));
	if (cwd_fd >= 0)
		close(cwd_fd);
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
	ret = restore_bounding(r, t->rec.pid, e);
	if (ret)
		return ret;
	/* Keep the permitted set across the uid change; restore_caps() trims it. */
	prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	if (setresgid(r->gid, r->egid, r->sgid) || setresuid(r->uid, r->euid, r->suid))
		return fail(e, -EPERM, "cannot take uid %u gid %u: %s", r->uid, r->gid,
			    strerror(errno));
	/*
	 * setres[ug]id() made the filesystem ids the effective ones; the
	 * image's may differ (setfs[ug]id()). Per thread, but no thread
	 * exists yet: the ones made later inherit them. setfs[ug]id() says
	 * only what the ids were: -1, never valid, reads them back.
	 */
	setfsgid(r->fsgid);
	setfsuid(r->fsuid);
	if ((uint32_t)setfsgid((gid_t)-1) != r->fsgid || (uint32_t)setfsuid((uid_t)-1) != r->fsuid)
		return fail(e, -EPERM, "pid %u: cannot take fsuid %u fsgid %u",
			    t->rec.pid, r->fsuid, r->fsgid);
	ret = restore_caps(r, t->rec.pid, e);
	if (ret)
		return ret;
	for (sig = 0; sig < RLIM_NLIMITS; sig++) {
		rl.rlim_cur = r->rlim[sig].cur;
		rl.rlim_max = r->rlim[sig].max;
		if (setrlimit(sig, &rl))
			return fail(e, -errno, "cannot set resource limit %d: %s", sig,
				    strerror(errno));
	}
	return 0;
}

static long thread_prctls(const struct ckpt_thread_identity *id, bool io_now,
			  const char **what, bool tsc);

/*
 * Is the calling thread an I/O flusher (PF_MEMALLOC_NOIO and
 * PF_LOCAL_THROTTLE in /proc/thread-self/stat's flags, readable without
 * the privilege PR_GET_IO_FLUSHER needs)?
 */
static bool own_io_flusher(void)
{
	const unsigned long want = 0x00080000UL | 0x00100000UL;
	unsigned long flags = 0;
	char buf[1024], *p;
	ssize_t n;
	int fd;

	fd = open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* After the name: state ppid pgrp session tty_nr tpgid flags. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return (flags & want) == want;
}

/*
 * Process-wide identity the caller keeps through RESTORE_MM (its mm's
 * flags and def_flags, its signal struct): after the credentials, since
 * a credential change resets dumpable to suid_dumpable and clears the
 * parent-death signal (commit_creds(), kernel/cred.c).
 */
static int restore_identity(const struct libckpt_image_task *t, struct shared *e)
{
	const struct libckpt_image_identity *id = t->ident;
	const struct ckpt_thread_identity *me = &id->threads[0];
	char comm[sizeof(me->comm) + 1];
	unsigned int d = id->rec.dumpable;

	if (prctl(PR_SET_THP_DISABLE, !!(id->rec.flags & CKPT_ID_THP_DISABLE), 0, 0, 0))
		return fail(e, -errno, "pid %u: cannot set PR_SET_THP_DISABLE: %s",
			    t->rec.pid, strerror(errno));
	/* prctl() sets 0 or 1; 2 (root-only dumps) comes from suid_dumpable. */
	if (d < 2 ? prctl(PR_SET_DUMPABLE, d, 0, 0, 0) :
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 2)
		return fail(e, d < 2 ? -errno : -EOPNOTSUPP,
			    "pid %u: cannot make it dumpable %u (2 only comes from suid_dumpable)",
			    t->rec.pid, d);
	if (prctl(PR_SET_PDEATHSIG, me->pdeathsig, 0, 0, 0))
		return fail(e, -errno, "pid %u: cannot set its parent-death signal %u",
			    t->rec.pid, me->pdeathsig);
	if (prctl(PR_SET_TIMERSLACK, me->timer_slack_ns, 0, 0, 0))
		return fail(e, -errno, "pid %u: cannot set its timer slack to %llu ns",
			    t->rec.pid, (unsigned long long)me->timer_slack_ns);
	memcpy(comm, me->comm, sizeof(me->comm));
	comm[sizeof(me->comm)] = '\0';
	prctl(PR_SET_NAME, comm, 0, 0, 0);
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
	/* Shared anonymous memory, memfds: made once, see restore_shm.c. */
	return !libckpt_rst_maps_shm(v);
}

int libckpt_rst_check_mapped_file(const struct tree *tr, uint32_t pid, int fd,
				  const struct libckpt_image_vma *v)
{
	bool writable = tr->o->skip_file_check ||
			((v->rec.flags & CKPT_VMA_SHARED) && (v->rec.flags & CKPT_VMA_WRITE));
	struct shared *e = tr->e;
	char why[160];
	int ret;

	ret = libckpt_rst_still_same_file(fd, v->rec.ino, v->rec.dev, v->rec.size,
			      v->rec.mtime_ns, writable, why, sizeof(why));
	if (ret)
		return fail(e, ret, "pid %u mapping at 0x%llx: %s %s", pid,
			    (unsigned long long)v->rec.start, v->path, why);
	return 0;
}

/*
 * Room in CKPT_A_RESTORE_CLOSE (4096 bytes) besides image, socket, CRC
 * file and plan.
 */
#define MAX_MAPPED_FILES	(4096 / 4 - 4)

/* Write all of @len bytes. */
static int write_all(int fd, const void *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The mappings and page runs go to the module in a memfd: a netlink
 * attribute holds at most 64 KiB and a message at most the send buffer
 * net.core.wmem_max allows, about 2000 mappings where a process may have
 * vm.max_map_count (65530).
 */
static int plan_file(const struct plan *p, uint32_t nr_vmas)
{
	struct ckpt_restore_plan hdr = {
		.nr_vmas = nr_vmas,
		.nr_runs = p->nr_runs + p->fruns.n +
			   (p->prepped ? 0 : p->pruns.n + p->pfruns.n),
	};
	int fd = memfd_create("ckpt-plan", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (write_all(fd, &hdr, sizeof(hdr)) ||
	    write_all(fd, p->vmas, nr_vmas * sizeof(*p->vmas)) ||
	    write_all(fd, p->runs, p->nr_runs * sizeof(*p->runs)) ||
	    libckpt_rst_forked_plan_file(p, fd)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/*
 * Open each mapped file once, however many mappings it has: a process
 * may map thousands of pieces of one file, and every descriptor counts
 * against its (restored) RLIMIT_NOFILE.
 */
static int open_mapped(const struct tree *tr, const struct libckpt_image_task *t,
		       uint32_t i, struct plan *p, int32_t *close_fds, size_t *n)
{
	const struct libckpt_image_vma *v = &t->vmas[i];
	bool rw = (v->rec.flags & CKPT_VMA_SHARED) && (v->rec.flags & CKPT_VMA_WRITE);
	struct shared *e = tr->e;
	uint32_t j;
	int fd, ret;

	for (j = 0; j < i; j++)
		if (p->vmas[j].fd >= 0 && !strcmp(t->vmas[j].path, v->path) &&
		    (fcntl(p->vmas[j].fd, F_GETFL) & O_ACCMODE) == (rw ? O_RDWR : O_RDONLY)) {
			p->vmas[i].fd = p->vmas[j].fd;
			return libckpt_rst_check_mapped_file(tr, t->rec.pid, p->vmas[i].fd, v);
		}
	if (*n >= 3 + MAX_MAPPED_FILES)	/* one slot stays for the plan */
		return fail(e, -EMFILE, "pid %u maps more than %d files: not supported",
			    t->rec.pid, MAX_MAPPED_FILES);
	fd = open(v->path, rw ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return fail(e, -errno, "pid %u mapping at 0x%llx: cannot open %s: %s",
			    t->rec.pid, (unsigned long long)v->rec.start, v->path,
			    strerror(errno));
	close_fds[(*n)++] = fd;
	ret = libckpt_rst_check_mapped_file(tr, t->rec.pid, fd, v);
	if (!ret)
		p->vmas[i].fd = fd;
	return ret;
}

static int restore_mm(struct libckpt *h, const struct tree *tr, struct plan *p)
{
	int image_fd = tr->image_fd;
	struct shared *e = tr->e;
	const struct libckpt_image_task *t = p->task;
	const struct libckpt_image_identity *id = t->ident;
	size_t size = 8192 + id->rec.nr_auxv * sizeof(uint64_t);
	struct nl_msg *msg = libckpt_msg_new_size(h, CKPT_CMD_RESTORE_MM, 0, size);
	int32_t close_fds[4 + MAX_MAPPED_FILES];
	int plan_fd = -1;
	size_t n = 0;
	uint32_t i;
	int ret;

	if (!msg)
		return fail(e, -ENOMEM, "out of memory");
	close_fds[n++] = image_fd;
	close_fds[n++] = nl_socket_get_fd(h->sk);
	close_fds[n++] = tr->crc_fd;
	for (i = 0; i < t->rec.nr_vmas; i++) {
		if (!libckpt_rst_maps_a_file(&t->vmas[i]))
			continue;
		ret = open_mapped(tr, t, i, p, close_fds, &n);
		if (ret) {
			nlmsg_free(msg);
			return ret;
		}
	}
	for (i = 0; i < tr->nr_shms; i++) {
		if (!libckpt_rst_plan_maps(p, tr->shms[i].fd))
			continue;
		if (n >= 3 + MAX_MAPPED_FILES) {
			nlmsg_free(msg);
			return fail(e, -EMFILE, "pid %u maps more than %d files and shared memory objects: not supported",
				    t->rec.pid, MAX_MAPPED_FILES);
		}
		close_fds[n++] = tr->shms[i].fd;
	}
	/* After the mapped files, so that their numbers are in the plan. */
	plan_fd = plan_file(p, t->rec.nr_vmas);
	if (plan_fd < 0) {
		nlmsg_free(msg);
		return fail(e, plan_fd, "pid %u: cannot write its restore plan to a memfd: %s",
			    t->rec.pid, strerror(-plan_fd));
	}
	close_fds[n++] = plan_fd;
	if (nla_put_u32(msg, CKPT_A_IMAGE_FD, image_fd) < 0 ||
	    nla_put(msg, CKPT_A_RESTORE_TASK, sizeof(t->rec), &t->rec) < 0 ||
	    nla_put_u32(msg, CKPT_A_RESTORE_PLAN_FD, (uint32_t)plan_fd) < 0 ||
	    nla_put_u32(msg, CKPT_A_RESTORE_CRC_FD, (uint32_t)tr->crc_fd) < 0 ||
	    nla_put_u64(msg, CKPT_A_RESTORE_CRC_POS, p->crc_pos) < 0 ||
	    nla_put(msg, CKPT_A_RESTORE_CLOSE, (int)(n * sizeof(int32_t)), close_fds) < 0 ||
	    nla_put(msg, CKPT_A_RESTORE_AUXV, (int)(id->rec.nr_auxv * sizeof(uint64_t)),
		    id->auxv) < 0)
		goto nomem;
	/* The kernel takes a request only if it fits the socket's send buffer. */
	if (nl_socket_set_buffer_size(h->sk, 0, (int)nlmsg_hdr(msg)->nlmsg_len + 4096) < 0)
		goto nomem;
	/* The module makes the recorded attachments from ours. */
	ret = libckpt_rst_sysv_attach(t, e);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	/*
	 * mlockall(MCL_FUTURE) only sets mm->def_flags, which the module
	 * keeps through the restore (it makes each mapping with the image's
	 * own lock flags); nothing of ours is mapped from here on.
	 */
	if ((id->rec.flags & CKPT_ID_MLOCK_FUTURE) &&
	    mlockall(MCL_FUTURE | (id->rec.flags & CKPT_ID_MLOCK_ONFAULT ? MCL_ONFAULT : 0))) {
		nlmsg_free(msg);
		return fail(e, -errno, "pid %u: cannot mlockall(MCL_FUTURE): %s",
			    t->rec.pid, strerror(errno));
	}
	ret = final_caps(&t->proc->rec, t->rec.pid, e);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	/*
	 * The last thing before the module: no_new_privs cannot be undone,
	 * and the threads set their own (they inherit ours when created).
	 */
	if ((id->threads[0].flags & CKPT_TID_NO_NEW_PRIVS) &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		nlmsg_free(msg);
		return fail(e, -errno, "pid %u: cannot set no_new_privs", t->rec.pid);
	}
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
	const struct ckpt_thread_identity *leader;	/* its prctl() state it inherits */
	const struct ckpt_rec_thread *th;
	const struct ckpt_thread_identity *id;
	struct __user_cap_header_struct cap_hdr;
	struct __user_cap_data_struct caps[2];
	int sock;
	siginfo_t *sigs;	/* its own queued signals, to queue again */
	size_t nr_sigs;
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
 * The calling thread's own prctl() state (CKPT_TID_*): speculation
 * controls the image's thread had set, its TSC and machine-check policies
 * and PR_SET_IO_FLUSHER, the latter three set either way (a restoring
 * process inherits the restorer's). Raw system calls: secondary threads
 * run it too. @io_now: whether the thread is an I/O flusher now
 * (PR_GET_IO_FLUSHER needs CAP_SYS_RESOURCE, which an unprivileged
 * restorer or a secondary thread with its image's credentials lacks).
 * PR_SET_TSC only with @tsc: once the TSC faults, nothing may read a
 * clock through the vdso. 0, or -1 with errno set and *@what naming the
 * setting.
 */
static long thread_prctls(const struct ckpt_thread_identity *id, bool io_now,
			  const char **what, bool tsc)
{
	static const struct { uint32_t flag; long which, val; const char *name; } spec[] = {
		{ CKPT_TID_SSB_FORCE, PR_SPEC_STORE_BYPASS, PR_SPEC_FORCE_DISABLE,
		  "its speculative store bypass control" },
		{ CKPT_TID_SSB_NOEXEC, PR_SPEC_STORE_BYPASS, PR_SPEC_DISABLE_NOEXEC,
		  "its speculative store bypass control" },
		{ CKPT_TID_SSB_DISABLE, PR_SPEC_STORE_BYPASS, PR_SPEC_DISABLE,
		  "its speculative store bypass control" },
		{ CKPT_TID_IB_FORCE, PR_SPEC_INDIRECT_BRANCH, PR_SPEC_FORCE_DISABLE,
		  "its indirect branch speculation control" },
		{ CKPT_TID_IB_DISABLE, PR_SPEC_INDIRECT_BRANCH, PR_SPEC_DISABLE,
		  "its indirect branch speculation control" },
		{ CKPT_TID_L1D_FLUSH, PR_SPEC_L1D_FLUSH, PR_SPEC_ENABLE,
		  "its L1D flush on context switch" },
	};
	long ret;
	size_t i;

	for (i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
		if (!(id->flags & spec[i].flag))
			continue;
		*what = spec[i].name;
		ret = raw_syscall(SYS_prctl, PR_SET_SPECULATION_CTRL, spec[i].which,
				  spec[i].val, 0, 0, 0);
		if (ret)
			goto out;
	}
	*what = "PR_SET_TSC";
	ret = tsc ? raw_syscall(SYS_prctl, PR_SET_TSC, (id->flags & CKPT_TID_NOTSC) ?
				PR_TSC_SIGSEGV : PR_TSC_ENABLE, 0, 0, 0, 0) : 0;
	if (ret)
		goto out;
	*what = "its machine-check kill policy (PR_MCE_KILL)";
	ret = (id->flags & CKPT_TID_MCE_KILL) ?
	      raw_syscall(SYS_prctl, PR_MCE_KILL, PR_MCE_KILL_SET,
			  (id->flags & CKPT_TID_MCE_EARLY) ? PR_MCE_KILL_EARLY :
			  PR_MCE_KILL_LATE, 0, 0, 0) :
	      raw_syscall(SYS_prctl, PR_MCE_KILL, PR_MCE_KILL_CLEAR, 0, 0, 0, 0);
	if (ret)
		goto out;
	*what = "PR_SET_IO_FLUSHER";
	/* Written only when it differs: either way needs CAP_SYS_RESOURCE. */
	if (io_now != !!(id->flags & CKPT_TID_IO_FLUSHER))
		ret = raw_syscall(SYS_prctl, PR_SET_IO_FLUSHER,
				  !!(id->flags & CKPT_TID_IO_FLUSHER), 0, 0, 0, 0);
out:
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return 0;
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
	size_t i;

	/* Every signal, until the module gives the thread its own mask. */
	raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all_signals, 0, 8, 0, 0);
	if (th->sas_ss_size)
		raw_syscall(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0, 0);
	if (th->robust_list_len)
		raw_syscall(SYS_set_robust_list, th->robust_list,
			    th->robust_list_len, 0, 0, 0, 0);
	raw_syscall(SYS_set_tid_address, th->clear_child_tid, 0, 0, 0, 0, 0);
	/* Only the thread itself may queue a kernel's or tgkill()'s siginfo. */
	for (i = 0; i < s->nr_sigs; i++)
		if (raw_syscall(SYS_rt_tgsigqueueinfo, raw_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0),
				th->tid, s->sigs[i].si_signo, (long)&s->sigs[i], 0, 0))
			raw_syscall(SYS_exit_group, 1, 0, 0, 0, 0, 0);
	/* A failure leaves it privileged: it must not run the image then. */
	if (raw_syscall(SYS_capset, (long)&s->cap_hdr, (long)s->caps, 0, 0, 0, 0))
		raw_syscall(SYS_exit_group, 1, 0, 0, 0, 0, 0);
	/* At most 15 bytes are read: comm needs no NUL of its own here. */
	raw_syscall(SYS_prctl, PR_SET_NAME, (long)s->id->comm, 0, 0, 0, 0);
	raw_syscall(SYS_prctl, PR_SET_PDEATHSIG, s->id->pdeathsig, 0, 0, 0, 0);
	raw_syscall(SYS_prctl, PR_SET_TIMERSLACK, (long)s->id->timer_slack_ns, 0, 0, 0, 0);
	if (s->id->flags & CKPT_TID_NO_NEW_PRIVS)
		raw_syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
	/* Its speculation, TSC, machine-check and I/O settings, or no image. */
	{
		const char *what;

		/* clone() gave it its leader's task flags, set before. */
		if (thread_prctls(s->id, !!(s->leader->flags & CKPT_TID_IO_FLUSHER), &what, true))
			raw_syscall(SYS_exit_group, 1, 0, 0, 0, 0, 0);
	}
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
		s->id = &t->ident->threads[i];
		s->leader = &t->ident->threads[0];
		s->cap_hdr.version = _LINUX_CAPABILITY_VERSION_3;
		s->caps[0].effective = (uint32_t)t->proc->rec.cap_effective;
		s->caps[0].permitted = (uint32_t)t->proc->rec.cap_permitted;
		s->caps[0].inheritable = (uint32_t)t->proc->rec.cap_inheritable;
		s->caps[1].effective = (uint32_t)(t->proc->rec.cap_effective >> 32);
		s->caps[1].permitted = (uint32_t)(t->proc->rec.cap_permitted >> 32);
		s->caps[1].inheritable = (uint32_t)(t->proc->rec.cap_inheritable >> 32);
		s->sigs = libckpt_rst_thread_signals(t, tid, &s->nr_sigs);
		if (!s->sigs)
			return fail(e, -ENOMEM, "out of memory");
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
	/* Its terminal, before its children: they inherit it at fork. */
	if (r->sid == r->pid && libckpt_rst_tty_lead(tr, i))
		return failed(tr->e);
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

/*
 * The protection keys the process had allocated, allocated again: the mm
 * survives RESTORE_MM, and pkey_alloc() hands out the lowest free key, so
 * every key up to the highest recorded one is taken and the others given
 * back. What each thread may do with a key is in its PKRU register, which
 * its registers bring back.
 */
static int alloc_pkeys(const struct libckpt_image_task *t, struct shared *e)
{
	uint32_t want = t->ident->rec.pkeys, got = 0;
	long k;

	while (want & ~got) {
		k = syscall(SYS_pkey_alloc, 0, 0);
		if (k < 0 || k > 15)
			return fail(e, k < 0 ? -errno : -ENOSPC,
				    "pid %u: cannot allocate its protection keys (0x%x) again: %s",
				    t->rec.pid, want, k < 0 ? strerror(errno) : "key out of range");
		got |= 1U << k;
	}
	for (k = 1; k < 16; k++)
		if ((got & ~want) & (1U << k))
			syscall(SYS_pkey_free, k);
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
	const char *what;
	size_t j;
	int ret;

	__atomic_store_n(&e->pids[i], getpid(), __ATOMIC_RELEASE);
	ret = lead(tr, i);
	/* Before the children: they inherit has_child_subreaper at fork. */
	if (!ret && prctl(PR_SET_CHILD_SUBREAPER,
			  !!(t->ident->rec.flags & CKPT_ID_SUBREAPER), 0, 0, 0))
		ret = fail(e, -errno, "pid %u cannot become a child subreaper", t->rec.pid);
	/* Before the children: they inherit what fork() shared. */
	if (!ret)
		ret = libckpt_rst_forked_prep(tr, i);
	for (j = 0; !ret && j < tr->n; j++)
		if (tr->parent[j] == (int)i && libckpt_rst_spawn_task(tr, j) < 0)
			ret = failed(e);
	/* Zombies lead their group before anyone may join it. */
	if (!ret)
		ret = libckpt_rst_spawn_zombies(tr, i);
	if (!ret)
		ret = libckpt_rst_wait_zombies(tr, i, false);
	if (ret)
		return ret;
	count_in(&e->created);
	ret = wait_count(e, &e->created, (int)tr->n, "every process to be created");
	if (!ret)
		ret = libckpt_rst_wait_zombies(tr, i, true);
	if (!ret)
		ret = join_group(tr, i);
	/* Every group leader made its group before it counted itself in. */
	if (!ret)
		ret = libckpt_rst_tty_foreground(tr, i);
	if (!ret)
		ret = libckpt_rst_fds(tr, i);
	if (!ret)
		ret = libckpt_rst_oom_and_dump(t, e);
	if (!ret)
		ret = libckpt_rst_env(t, e);
	/*
	 * Its prctl() state while it is still privileged (PR_SET_IO_FLUSHER
	 * needs CAP_SYS_RESOURCE); a credential change keeps it. PR_SET_TSC
	 * only last: the vdso's clocks may read the TSC.
	 */
	if (!ret && thread_prctls(&t->ident->threads[0], own_io_flusher(), &what, false))
		ret = fail(e, -errno, "pid %u: cannot set %s again: %s", t->rec.pid, what,
			   strerror(errno));
	if (!ret)
		ret = restore_proc(t, p->cwd_fd, e);
	if (!ret)
		ret = restore_identity(t, e);
	if (!ret)
		ret = alloc_pkeys(t, e);
	if (!ret)
		ret = libckpt_rst_owners(tr, i);
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
	if (!ret)
		ret = libckpt_rst_signals(t, e);
	/* Its userfaultfd, on the mm RESTORE_MM keeps, to the controller. */
	if (!ret && tr->o->lazy)
		ret = libckpt_rst_lazy_send(tr, i);
	if (ret)
		return ret;
	count_in(&e->entering);
	/* Last before the module: with PR_TSC_SIGSEGV no clock may be read. */
	if (raw_syscall(SYS_prctl, PR_SET_TSC, (t->ident->threads[0].flags & CKPT_TID_NOTSC) ?
			PR_TSC_SIGSEGV : PR_TSC_ENABLE, 0, 0, 0, 0))
		return fail(e, -EPERM, "pid %u: cannot set PR_SET_TSC again", t->rec.pid);
	return restore_mm(h, tr, p);
}

int libckpt_rst_send_regs(struct libckpt *h, pid_t pid,
			  const struct libckpt_image_thread *th, int exe_fd)
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
	    nla_put(msg, CKPT_A_RESTORE_THREAD, len, blob) < 0 ||
	    (exe_fd >= 0 && nla_put_u32(msg, CKPT_A_EXE_FD, exe_fd) < 0))
		goto out;
	ret = libckpt_transact(h, msg, NULL, NULL);
	msg = NULL;
out:
	nlmsg_free(msg);
	free(blob);
	return ret;
}

