// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckptctl show: decode a checkpoint image, from a file, an area or a pipe.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <sys/user.h>

#include "cli.h"

static const char show_usage[] =
	"Usage: ckptctl show <area>[:<generation>] | <file> | - [--json]\n\n"
	"Verify and decode a checkpoint image: an area's newest committed\n"
	"generation or the one named, a standalone image file, or standard\n"
	"input. Prints the header, each process, thread and mapping, and each\n"
	"process's state, identity, descriptors, timers, queued signals, file\n"
	"locks and System V shared memory segments, and the zombies (exited\n"
	"children not yet waited for).\n";

/* "rwxp" as in /proc/PID/maps. */
static const char *vma_perms(uint32_t flags, char buf[5])
{
	buf[0] = flags & CKPT_VMA_READ ? 'r' : '-';
	buf[1] = flags & CKPT_VMA_WRITE ? 'w' : '-';
	buf[2] = flags & CKPT_VMA_EXEC ? 'x' : '-';
	buf[3] = flags & CKPT_VMA_SHARED ? 's' : 'p';
	buf[4] = '\0';
	return buf;
}

/*
 * The attributes user space set, with smaps' VmFlags names ("lf", lock on
 * fault, has none there); "" if none.
 */
static const char *vma_advice(uint32_t flags, char *buf, size_t size)
{
	static const struct {
		uint32_t flag;
		const char *name;
	} names[] = {
		{ CKPT_VMA_LOCKED, "lo" }, { CKPT_VMA_LOCKONFAULT, "lf" },
		{ CKPT_VMA_SEQUENTIAL, "sr" }, { CKPT_VMA_RANDOM, "rr" },
		{ CKPT_VMA_DONTFORK, "dc" }, { CKPT_VMA_NORESERVE, "nr" },
		{ CKPT_VMA_WIPEONFORK, "wf" }, { CKPT_VMA_DONTDUMP, "dd" },
		{ CKPT_VMA_HUGEPAGE, "hg" }, { CKPT_VMA_NOHUGEPAGE, "nh" },
		{ CKPT_VMA_MERGEABLE, "mg" },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].flag && n + 4 <= size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? " " : "",
					      names[i].name);
	return buf;
}

/* What names a mapping: its file, or what kind of anonymous memory. */
static const char *vma_name(const struct libckpt_image_vma *v)
{
	if (v->path[0])
		return v->path;
	if (v->rec.flags & CKPT_VMA_STACK)
		return "[stack]";
	if (v->rec.flags & CKPT_VMA_HEAP)
		return "[heap]";
	if (v->rec.flags & CKPT_VMA_VDSO)
		return "[vdso]";
	return "[anon]";
}

static void thread_regs(const struct libckpt_image_thread *th,
			uint64_t *ip, uint64_t *sp)
{
	struct user_regs_struct regs;

	/* The reader guarantees regs_size == sizeof(regs). */
	memcpy(&regs, th->regs, sizeof(regs));
	*ip = regs.rip;
	*sp = regs.rsp;
}

static const char *fd_type(uint32_t type)
{
	static const char *const names[] = {
		[CKPT_FD_REG] = "file", [CKPT_FD_DIR] = "dir",
		[CKPT_FD_PIPE] = "pipe", [CKPT_FD_TTY] = "tty",
		[CKPT_FD_CHR] = "chr", [CKPT_FD_FIFO] = "fifo",
		[CKPT_FD_MEMFD] = "memfd", [CKPT_FD_PATH] = "path",
	};

	if (show_obj_kind(type))
		return show_obj_kind(type);
	return type >= CKPT_FD_REG && type <= CKPT_FD_PATH ? names[type] : "?";
}

/* " 0-3,8": the CPUs of a thread's affinity, as taskset -c lists them. */
static void print_cpus(const struct ckpt_thread_identity *th)
{
	unsigned int cpu, end;
	const char *sep = " ";

	for (cpu = 0; cpu < CKPT_AFFINITY_WORDS * 64; cpu = end) {
		end = cpu + 1;
		if (!(th->affinity[cpu / 64] & (1ULL << (cpu % 64))))
			continue;
		while (end < CKPT_AFFINITY_WORDS * 64 &&
		       (th->affinity[end / 64] & (1ULL << (end % 64))))
			end++;
		if (end - cpu > 1)
			printf("%s%u-%u", sep, cpu, end - 1);
		else
			printf("%s%u", sep, cpu);
		sep = ",";
	}
}

static void show_identity_text(const struct libckpt_image_task *t)
{
	const struct ckpt_rec_proc *p = &t->proc->rec;
	const struct libckpt_image_identity *id = t->ident;
	const struct ckpt_thread_identity *th;
	uint32_t j;

	printf("identity of pid %u: personality 0x%x securebits 0x%x dumpable %u%s%s%s%s\n",
	       t->rec.pid, p->personality, p->securebits, id->rec.dumpable,
	       id->rec.flags & CKPT_ID_SUBREAPER ? " subreaper" : "",
	       id->rec.flags & CKPT_ID_THP_DISABLE ? " thp-disabled" : "",
	       id->rec.flags & CKPT_ID_MLOCK_FUTURE ? " mlockall-future" : "",
	       id->rec.flags & CKPT_ID_MLOCK_ONFAULT ? " mlockall-onfault" : "");
	printf("  caps: inh 0x%016llx prm 0x%016llx eff 0x%016llx bnd 0x%016llx amb 0x%016llx\n",
	       (unsigned long long)p->cap_inheritable,
	       (unsigned long long)p->cap_permitted,
	       (unsigned long long)p->cap_effective,
	       (unsigned long long)p->cap_bset,
	       (unsigned long long)p->cap_ambient);
	printf("  auxv: %u entries; oom_score_adj %d coredump_filter 0x%x\n",
	       id->rec.nr_auxv / 2, id->rec.oom_score_adj, id->rec.coredump_filter);
	printf("  loginuid %ld cgroup %s pkeys 0x%x\n",
	       id->rec.loginuid == CKPT_LOGINUID_UNSET ? -1L : (long)id->rec.loginuid,
	       id->cgroup ? id->cgroup : "(the caller's)", id->rec.pkeys);
	for (j = 0; j < id->rec.nr_threads; j++) {
		th = &id->threads[j];
		printf("  thread %u: comm %.16s pdeathsig %u%s policy %u%s priority %u nice %d ioprio 0x%x slack %llu ns CPUs",
		       th->tid, th->comm, th->pdeathsig,
		       th->flags & CKPT_TID_NO_NEW_PRIVS ? " no_new_privs" : "",
		       th->policy, th->flags & CKPT_TID_RESET_ON_FORK ? " reset-on-fork" : "",
		       th->rt_priority, th->nice, th->ioprio,
		       (unsigned long long)th->timer_slack_ns);
		print_cpus(th);
		printf("\n");
	}
}

static const char *const itimer_names[CKPT_NR_ITIMERS] = {
	[CKPT_ITIMER_REAL] = "real", [CKPT_ITIMER_VIRTUAL] = "virtual",
	[CKPT_ITIMER_PROF] = "prof",
};

/* What a POSIX timer counts: a clock name, or whose CPU time. */
static const char *timer_clock(const struct ckpt_posix_timer *t, char *buf,
			       size_t len)
{
	static const char *const names[] = {
		[0] = "realtime", [1] = "monotonic", [7] = "boottime", [11] = "tai",
	};

	if (t->clock >= 0 && t->clock < 12 && names[t->clock])
		return names[t->clock];
	if (t->clock >= 0)
		snprintf(buf, len, "clock %d", t->clock);
	else
		snprintf(buf, len, "%s cpu time of %u", (t->clock & 4) ?
			 "thread" : "process", t->clock_tid);
	return buf;
}

static const char *timer_notify(int32_t notify)
{
	switch (notify) {
	case 0: return "signal";
	case 1: return "none";
	case 2: return "thread";
	case 4: return "thread-id";
	}
	return "?";
}

static void ns_text(uint64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%llu.%09llu s", (unsigned long long)(ns / 1000000000),
		 (unsigned long long)(ns % 1000000000));
}

static void show_timers_text(const struct libckpt_image_task *t)
{
	const struct ckpt_rec_timers *r = &t->timers->rec;
	char v[32], iv[32], clk[48];
	uint32_t j;

	printf("timers of pid %u (next id %u):\n", t->rec.pid, r->next_id);
	for (j = 0; j < CKPT_NR_ITIMERS; j++) {
		if (!r->itimer[j].value_ns && !r->itimer[j].interval_ns)
			continue;
		ns_text(r->itimer[j].value_ns, v, sizeof(v));
		ns_text(r->itimer[j].interval_ns, iv, sizeof(iv));
		printf("  itimer %-8s %s left, interval %s\n", itimer_names[j], v, iv);
	}
	for (j = 0; j < r->nr_posix; j++) {
		const struct ckpt_posix_timer *p = &t->timers->posix[j];

		ns_text(p->value_ns, v, sizeof(v));
		ns_text(p->interval_ns, iv, sizeof(iv));
		printf("  timer %d %s, notify %s", p->id,
		       timer_clock(p, clk, sizeof(clk)), timer_notify(p->notify));
		if (p->notify_tid)
			printf(" tid %u", p->notify_tid);
		if (p->notify != 1)
			printf(" signal %d value 0x%llx", p->signo,
			       (unsigned long long)p->sigval);
		printf(": %s %s, interval %s, overrun %lld%s\n",
		       (p->flags & CKPT_TIMER_ABSTIME) ? "expires at" : "left", v, iv,
		       (long long)p->overrun_last,
		       (p->flags & CKPT_TIMER_PENDING) ? ", signal pending" : "");
	}
}

static void show_json_timers(const struct libckpt_image_task *t)
{
	const struct ckpt_rec_timers *r = &t->timers->rec;
	uint32_t j;

	printf(", \"timers\": {\"next_id\": %u", r->next_id);
	for (j = 0; j < CKPT_NR_ITIMERS; j++)
		printf(", \"itimer_%s\": {\"value_ns\": %llu, \"interval_ns\": %llu}",
		       itimer_names[j], (unsigned long long)r->itimer[j].value_ns,
		       (unsigned long long)r->itimer[j].interval_ns);
	printf(", \"posix\": [");
	for (j = 0; j < r->nr_posix; j++) {
		const struct ckpt_posix_timer *p = &t->timers->posix[j];

		printf("%s{\"id\": %d, \"clock\": %d, \"clock_tid\": %u, \"notify\": \"%s\", "
		       "\"notify_tid\": %u, \"signo\": %d, \"sigval\": %llu, "
		       "\"value_ns\": %llu, \"interval_ns\": %llu, \"abstime\": %s, "
		       "\"overrun\": %lld, \"overrun_last\": %lld, \"pending\": %s}",
		       j ? ", " : "", p->id, p->clock, p->clock_tid,
		       timer_notify(p->notify), p->notify_tid, p->signo,
		       (unsigned long long)p->sigval, (unsigned long long)p->value_ns,
		       (unsigned long long)p->interval_ns,
		       (p->flags & CKPT_TIMER_ABSTIME) ? "true" : "false",
		       (long long)p->overrun, (long long)p->overrun_last,
		       (p->flags & CKPT_TIMER_PENDING) ? "true" : "false");
	}
	printf("]}");
}

/* A wait status as the shell tells it. */
static void status_text(uint32_t st, char *buf, size_t len)
{
	if (!(st & 0x7f))
		snprintf(buf, len, "exited %u", st >> 8);
	else
		snprintf(buf, len, "killed by signal %u%s", st & 0x7f,
			 (st & 0x80) ? " (core dumped)" : "");
}

static int32_t siginfo_word(const struct ckpt_siginfo *si, size_t i)
{
	int32_t w;

	memcpy(&w, si->info + i * sizeof(w), sizeof(w));
	return w;
}

/* si_pid, si_uid and the value, as sigqueue() and kill() fill them. */
static void show_signals_text(const struct libckpt_image_task *t)
{
	const struct ckpt_siginfo *si;
	uint64_t value;
	uint32_t j;

	if (!t->signals || !t->signals->rec.nr_siginfo)
		return;
	printf("queued signals of pid %u:\n", t->rec.pid);
	for (j = 0; j < t->signals->rec.nr_siginfo; j++) {
		si = &t->signals->siginfo[j];
		memcpy(&value, si->info + 24, sizeof(value));
		printf("  %-8s %u signal %d code %d pid %d uid %d value 0x%llx\n",
		       si->tid ? "thread" : "process", si->tid ? si->tid : t->rec.pid,
		       siginfo_word(si, 0), siginfo_word(si, 2), siginfo_word(si, 4),
		       siginfo_word(si, 5), (unsigned long long)value);
	}
}

static void show_json_signals(const struct libckpt_image_task *t)
{
	const struct ckpt_siginfo *si;
	uint64_t value;
	uint32_t j;

	printf(", \"signals\": [");
	for (j = 0; t->signals && j < t->signals->rec.nr_siginfo; j++) {
		si = &t->signals->siginfo[j];
		memcpy(&value, si->info + 24, sizeof(value));
		printf("%s{\"tid\": %u, \"signo\": %d, \"code\": %d, \"pid\": %d, "
		       "\"uid\": %d, \"value\": %llu}", j ? ", " : "", si->tid,
		       siginfo_word(si, 0), siginfo_word(si, 2), siginfo_word(si, 4),
		       siginfo_word(si, 5), (unsigned long long)value);
	}
	printf("]");
}

static const char *lock_kind(uint32_t kind)
{
	return kind == CKPT_LOCK_FLOCK ? "flock" : kind == CKPT_LOCK_OFD ? "ofd" : "posix";
}

/* "  file#3 posix write 0-99 pid 42", "  file#2 flock read pid 42" */
static void show_locks_text(const struct libckpt_image_task *t)
{
	const struct ckpt_rec_locks *r = &t->locks->rec;
	uint32_t j;

	if (!r->nr_locks)
		return;
	printf("file locks of pid %u:\n", t->rec.pid);
	for (j = 0; j < r->nr_locks; j++) {
		const struct ckpt_file_lock *l = &t->locks->locks[j];

		printf("  file#%u %-5s %-5s", l->file_id, lock_kind(l->kind),
		       l->type == CKPT_LOCK_WRITE ? "write" : "read");
		if (l->kind != CKPT_LOCK_FLOCK && l->end == CKPT_LOCK_EOF)
			printf(" %llu-EOF", (unsigned long long)l->start);
		else if (l->kind != CKPT_LOCK_FLOCK)
			printf(" %llu-%llu", (unsigned long long)l->start,
			       (unsigned long long)l->end);
		if (l->pid)
			printf(" pid %u", l->pid);
		printf("\n");
	}
}

/* A device number as new_encode_dev() packs it, as "major:minor". */
static const char *encoded_dev(uint32_t d, char *buf, size_t len)
{
	snprintf(buf, len, "%u:%u", (d & 0xfff00) >> 8, (d & 0xff) | ((d >> 12) & 0xfff00));
	return buf;
}

/* "controlling terminal of pid 42: 136:3, foreground group 43", each terminal. */
static void show_tty_text(const struct libckpt_image_task *t)
{
	const struct ckpt_rec_tty *r = &t->tty->rec;
	char dev[24];
	uint32_t j;

	if (r->flags & CKPT_TTY_CTTY)
		printf("controlling terminal of pid %u: %s, foreground group %u\n", t->rec.pid,
		       encoded_dev(r->ctty_rdev, dev, sizeof(dev)), r->fg_pgrp);
	for (j = 0; j < r->nr_ttys; j++) {
		const struct ckpt_tty *y = &t->tty->ttys[j];

		printf("  terminal %s iflag 0%o oflag 0%o cflag 0%o lflag 0%o vmin %u vtime %u, %ux%u\n",
		       encoded_dev(y->rdev, dev, sizeof(dev)), y->iflag, y->oflag, y->cflag,
		       y->lflag, y->cc[6], y->cc[5], y->cols, y->rows);
	}
}

static void show_json_tty(const struct libckpt_image_task *t)
{
	const struct ckpt_rec_tty *r = &t->tty->rec;
	uint32_t j;

	printf(", \"ctty_rdev\": %u, \"tpgid\": %u, \"ttys\": [",
	       r->ctty_rdev, r->fg_pgrp);
	for (j = 0; j < r->nr_ttys; j++) {
		const struct ckpt_tty *y = &t->tty->ttys[j];

		printf("%s{\"rdev\": %u, \"iflag\": %u, \"oflag\": %u, \"cflag\": %u, "
		       "\"lflag\": %u, \"line\": %u, \"ispeed\": %u, \"ospeed\": %u, "
		       "\"rows\": %u, \"cols\": %u}",
		       j ? ", " : "", y->rdev, y->iflag, y->oflag, y->cflag, y->lflag,
		       y->line, y->ispeed, y->ospeed, y->rows, y->cols);
	}
	printf("]");
}

static void show_json_locks(const struct libckpt_image_task *t)
{
	const struct ckpt_rec_locks *r = &t->locks->rec;
	uint32_t j;

	printf(", \"locks\": [");
	for (j = 0; j < r->nr_locks; j++) {
		const struct ckpt_file_lock *l = &t->locks->locks[j];

		printf("%s{\"file_id\": %u, \"kind\": \"%s\", \"type\": \"%s\", "
		       "\"pid\": %u, \"start\": %llu, \"end\": %llu, \"to_eof\": %s}",
		       j ? ", " : "", l->file_id, lock_kind(l->kind),
		       l->type == CKPT_LOCK_WRITE ? "write" : "read", l->pid,
		       (unsigned long long)l->start, (unsigned long long)l->end,
		       l->end == CKPT_LOCK_EOF ? "true" : "false");
	}
	printf("]");
}

/* "  segment 32769 key 0x4b1d0a01 12288 bytes mode 0660 uid 65534 ... removed" */
static void show_sysv_text(const struct libckpt_image_task *t)
{
	uint32_t j;

	if (!t->sysv || !t->sysv->rec.nr_segs)
		return;
	printf("System V segments first attached by pid %u:\n", t->rec.pid);
	for (j = 0; j < t->sysv->rec.nr_segs; j++) {
		const struct ckpt_sysv_seg *g = &t->sysv->segs[j];

		printf("  segment %d key 0x%08x %llu bytes mode %04o uid %u gid %u cuid %u cgid %u%s%s%s\n",
		       g->shmid, (uint32_t)g->key, (unsigned long long)g->size, g->mode,
		       g->uid, g->gid, g->cuid, g->cgid,
		       g->flags & CKPT_SHM_DEST ? " removed" : "",
		       g->flags & CKPT_SHM_LOCKED ? " locked" : "",
		       g->flags & CKPT_SHM_NORESERVE ? " noreserve" : "");
	}
}

static void show_json_sysv(const struct libckpt_image_task *t)
{
	uint32_t j;

	printf(", \"sysv_shm\": [");
	for (j = 0; t->sysv && j < t->sysv->rec.nr_segs; j++) {
		const struct ckpt_sysv_seg *g = &t->sysv->segs[j];

		printf("%s{\"shmid\": %d, \"key\": %d, \"size\": %llu, \"mode\": %u, "
		       "\"uid\": %u, \"gid\": %u, \"cuid\": %u, \"cgid\": %u, "
		       "\"removed\": %s, \"locked\": %s, \"noreserve\": %s}",
		       j ? ", " : "", g->shmid, g->key, (unsigned long long)g->size, g->mode,
		       g->uid, g->gid, g->cuid, g->cgid,
		       g->flags & CKPT_SHM_DEST ? "true" : "false",
		       g->flags & CKPT_SHM_LOCKED ? "true" : "false",
		       g->flags & CKPT_SHM_NORESERVE ? "true" : "false");
	}
	printf("]");
}

static void show_proc_text(const struct libckpt_image_task *t)
{
	const struct ckpt_rec_proc *p = &t->proc->rec;
	const struct libckpt_image_fd *f;
	uint32_t j;

	printf("state of pid %u: uid %u gid %u umask %04o cwd %s%s root %s exe %s\n",
	       t->rec.pid, p->uid, p->gid, p->umask, t->proc->cwd,
	       (p->flags & CKPT_PROC_CWD_DELETED) ? " (deleted)" : "",
	       t->proc->root, t->proc->exe[0] ? t->proc->exe : "-");
	show_identity_text(t);
	printf("descriptors of pid %u:\n", t->rec.pid);
	for (j = 0; j < t->rec.nr_fds; j++) {
		f = &t->fds[j];
		printf("  %4d file#%u %-5s ", f->rec.fd, f->rec.file_id,
		       fd_type(f->rec.type));
		if (show_obj_kind(f->rec.type)) {
			show_obj_text(f);
			continue;
		}
		if (f->rec.type == CKPT_FD_PIPE)
			printf("pipe:[%llu] %s", (unsigned long long)f->rec.ino,
			       (f->rec.f_flags & 3) ? "write end" : "read end");
		else
			printf("%s pos %llu", f->path, (unsigned long long)f->rec.pos);
		printf(" flags 0%o%s%s", f->rec.f_flags,
		       (f->rec.flags & CKPT_FD_DELETED) ? " (deleted)" : "",
		       (f->rec.flags & CKPT_FD_CLOEXEC) ? " cloexec" : "");
		if (f->rec.type == CKPT_FD_MEMFD)
			printf(" seals 0x%x", f->rec.seals);
		if (f->rec.flags & CKPT_FD_DATA)
			printf(", %u bytes %s", f->rec.data_len,
			       f->rec.type == CKPT_FD_PIPE || f->rec.type == CKPT_FD_FIFO ?
			       "buffered" : "of contents");
		printf("\n");
	}
	show_timers_text(t);
	show_signals_text(t);
	show_locks_text(t);
	show_sysv_text(t);
	show_tty_text(t);
}

static void show_json_identity(const struct libckpt_image_task *t)
{
	const struct ckpt_rec_proc *p = &t->proc->rec;
	const struct libckpt_image_identity *id = t->ident;
	const struct ckpt_thread_identity *th;
	char comm[17];
	uint32_t j, k;

	printf(", \"personality\": %u, \"securebits\": %u, \"dumpable\": %u, "
	       "\"subreaper\": %s, \"thp_disabled\": %s, \"mlockall\": \"%s\", "
	       "\"cap_inheritable\": %llu, \"cap_permitted\": %llu, "
	       "\"cap_effective\": %llu, \"cap_bset\": %llu, \"cap_ambient\": %llu, "
	       "\"auxv\": [", p->personality, p->securebits, id->rec.dumpable,
	       id->rec.flags & CKPT_ID_SUBREAPER ? "true" : "false",
	       id->rec.flags & CKPT_ID_THP_DISABLE ? "true" : "false",
	       !(id->rec.flags & CKPT_ID_MLOCK_FUTURE) ? "" :
	       id->rec.flags & CKPT_ID_MLOCK_ONFAULT ? "future,onfault" : "future",
	       (unsigned long long)p->cap_inheritable,
	       (unsigned long long)p->cap_permitted,
	       (unsigned long long)p->cap_effective,
	       (unsigned long long)p->cap_bset,
	       (unsigned long long)p->cap_ambient);
	for (j = 0; j + 1 < id->rec.nr_auxv; j += 2)
		printf("%s[%llu, %llu]", j ? ", " : "",
		       (unsigned long long)id->auxv[j],
		       (unsigned long long)id->auxv[j + 1]);
	printf("], \"thread_identity\": [");
	for (j = 0; j < id->rec.nr_threads; j++) {
		th = &id->threads[j];
		memcpy(comm, th->comm, sizeof(th->comm));
		comm[sizeof(th->comm)] = '\0';
		printf("%s{\"tid\": %u, \"comm\": ", j ? ", " : "", th->tid);
		json_str(comm);
		printf(", \"pdeathsig\": %u, \"no_new_privs\": %s, \"policy\": %u, "
		       "\"reset_on_fork\": %s, \"rt_priority\": %u, \"nice\": %d, "
		       "\"ioprio\": %u, \"timer_slack_ns\": %llu, \"affinity\": [", th->pdeathsig,
		       th->flags & CKPT_TID_NO_NEW_PRIVS ? "true" : "false", th->policy,
		       th->flags & CKPT_TID_RESET_ON_FORK ? "true" : "false",
		       th->rt_priority, th->nice, th->ioprio,
		       (unsigned long long)th->timer_slack_ns);
		for (k = 0; k < CKPT_AFFINITY_WORDS; k++)
			printf("%s%llu", k ? ", " : "", (unsigned long long)th->affinity[k]);
		printf("]}");
	}
	printf("], \"oom_score_adj\": %d, \"coredump_filter\": %u, \"loginuid\": %ld, "
	       "\"pkeys\": %u, \"cgroup\": ",
	       id->rec.oom_score_adj, id->rec.coredump_filter,
	       id->rec.loginuid == CKPT_LOGINUID_UNSET ? -1L : (long)id->rec.loginuid,
	       id->rec.pkeys);
	if (id->cgroup)
		json_str(id->cgroup);
	else
		printf("null");
}

static void show_json_proc(const struct libckpt_image_task *t)
{
	const struct ckpt_rec_proc *p = &t->proc->rec;
	const struct libckpt_image_fd *f;
	uint32_t j;

	printf(", \"uid\": %u, \"gid\": %u, \"umask\": %u, \"cwd\": ",
	       p->uid, p->gid, p->umask);
	json_str(t->proc->cwd);
	printf(", \"cwd_deleted\": %s, \"root\": ",
	       (p->flags & CKPT_PROC_CWD_DELETED) ? "true" : "false");
	json_str(t->proc->root);
	printf(", \"exe\": ");
	json_str(t->proc->exe);
	printf(", \"fds\": [");
	for (j = 0; j < t->rec.nr_fds; j++) {
		f = &t->fds[j];
		printf("%s{\"fd\": %d, \"file_id\": %u, \"type\": \"%s\"",
		       j ? ", " : "", f->rec.fd, f->rec.file_id, fd_type(f->rec.type));
		if (show_obj_kind(f->rec.type)) {
			show_obj_json(f);
			printf("}");
			continue;
		}
		printf(", \"path\": ");
		json_str(f->path);
		printf(", \"pos\": %llu, \"flags\": %u, \"cloexec\": %s, \"deleted\": %s"
		       ", \"ino\": %llu, \"pipe_size\": %u, \"seals\": %u"
		       ", \"carries_data\": %s, \"data_len\": %u}",
		       (unsigned long long)f->rec.pos, f->rec.f_flags,
		       (f->rec.flags & CKPT_FD_CLOEXEC) ? "true" : "false",
		       (f->rec.flags & CKPT_FD_DELETED) ? "true" : "false",
		       (unsigned long long)f->rec.ino, f->rec.pipe_size, f->rec.seals,
		       (f->rec.flags & CKPT_FD_DATA) ? "true" : "false",
		       f->rec.data_len);
	}
	printf("]");
	show_json_identity(t);
	show_json_timers(t);
	show_json_signals(t);
	show_json_locks(t);
	show_json_sysv(t);
	show_json_tty(t);
}

/* Pages an incremental image's processes take from its parent. */
static uint64_t base_pages(const struct libckpt_image *img)
{
	const struct libckpt_image_task *t;
	uint64_t n = 0;
	size_t i;
	uint32_t j;

	for (i = 0; (t = libckpt_image_task(img, i)); i++)
		for (j = 0; t->base && j < t->base->rec.nr_runs; j++)
			n += t->base->runs[j].nr_pages;
	return n;
}

static void show_text(const struct libckpt_image *img)
{
	const struct ckpt_image_hdr *h = libckpt_image_hdr(img);
	const struct ckpt_rec_zombie *z;
	const struct libckpt_image_task *t;
	char st[48];
	const struct libckpt_image_vma *v;
	uint64_t ip, sp;
	char perms[5], advice[48];
	size_t i, j;

	printf("format version:    %u\n", h->version);
	if (h->generation)
		printf("generation:        %llu\n", h->generation);
	else
		printf("generation:        standalone\n");
	printf("created:           ");
	print_time(h->created_ns);
	printf("\nfreeze time:       %llu.%03llu us\n", h->freeze_ns / 1000,
	       h->freeze_ns % 1000);
	printf("size:              %" PRIu64 " bytes\n", libckpt_image_size(img));
	printf("processes:         %u\nthreads:           %u\n",
	       h->nr_tasks, h->nr_threads);
	if (h->nr_zombies)
		printf("zombies:           %u\n", h->nr_zombies);
	if (libckpt_image_parent(img))
		printf("incremental on:    generation %llu (%" PRIu64 " pages taken from it)\n",
		       libckpt_image_parent(img)->generation, base_pages(img));

	printf("\n%7s %7s %7s %7s %-16s %7s %5s %9s\n", "PID", "PPID", "PGID",
	       "SID", "COMM", "THREADS", "VMAS", "PAGES");
	for (i = 0; (t = libckpt_image_task(img, i)); i++)
		printf("%7u %7u %7u %7u %-16s %7u %5u %9llu\n", t->rec.pid,
		       t->rec.ppid, t->rec.pgid, t->rec.sid, t->comm,
		       t->rec.nr_threads, t->rec.nr_vmas, t->rec.nr_pages);
	for (i = 0; (z = libckpt_image_zombie(img, i)); i++) {
		status_text(z->status, st, sizeof(st));
		printf("%7u %7u %7u %7u %-16.16s zombie: %s\n", z->pid, z->ppid,
		       z->pgid, z->sid, z->comm, st);
	}

	printf("\n%7s %7s %-18s %-18s %6s\n", "TID", "PID", "IP", "SP",
	       "XSTATE");
	for (i = 0; (t = libckpt_image_task(img, i)); i++) {
		for (j = 0; j < t->rec.nr_threads; j++) {
			thread_regs(&t->threads[j], &ip, &sp);
			printf("%7u %7u 0x%016" PRIx64 " 0x%016" PRIx64 " %6u\n",
			       t->threads[j].rec.tid, t->rec.pid, ip, sp,
			       t->threads[j].rec.xstate_size);
		}
	}

	for (i = 0; (t = libckpt_image_task(img, i)); i++) {
		printf("\nmappings of pid %u:\n", t->rec.pid);
		for (j = 0; j < t->rec.nr_vmas; j++) {
			v = &t->vmas[j];
			printf("  %012llx-%012llx %s %7llu  %s%s%s\n", v->rec.start,
			       v->rec.end, vma_perms(v->rec.flags, perms),
			       v->rec.nr_pages, vma_name(v),
			       vma_advice(v->rec.flags, advice, sizeof(advice))[0] ?
			       "  " : "", advice);
		}
		show_proc_text(t);
	}
}

static void show_json_task(const struct libckpt_image_task *t)
{
	const struct libckpt_image_vma *v;
	uint64_t ip, sp;
	char perms[5], advice[48];
	size_t j;

	printf("{\"pid\": %u, \"ppid\": %u, \"pgid\": %u, \"sid\": %u, \"comm\": ",
	       t->rec.pid, t->rec.ppid, t->rec.pgid, t->rec.sid);
	json_str(t->comm);
	printf(", \"pages\": %llu, \"threads\": [", t->rec.nr_pages);
	for (j = 0; j < t->rec.nr_threads; j++) {
		thread_regs(&t->threads[j], &ip, &sp);
		printf("%s{\"tid\": %u, \"ip\": \"0x%" PRIx64 "\", \"sp\": \"0x%"
		       PRIx64 "\", \"xstate_size\": %u}", j ? ", " : "",
		       t->threads[j].rec.tid, ip, sp,
		       t->threads[j].rec.xstate_size);
	}
	printf("], \"vmas\": [");
	for (j = 0; j < t->rec.nr_vmas; j++) {
		v = &t->vmas[j];
		printf("%s{\"start\": \"0x%llx\", \"end\": \"0x%llx\", "
		       "\"flags\": \"%s\", \"advice\": \"%s\", \"pages\": %llu, \"path\": ",
		       j ? ", " : "", v->rec.start, v->rec.end,
		       vma_perms(v->rec.flags, perms),
		       vma_advice(v->rec.flags, advice, sizeof(advice)), v->rec.nr_pages);
		json_str(vma_name(v));
		printf("}");
	}
	printf("]");
	show_json_proc(t);
	printf("}");
}

static void show_json(const struct libckpt_image *img)
{
	const struct ckpt_image_hdr *h = libckpt_image_hdr(img);
	const struct ckpt_rec_zombie *z;
	const struct libckpt_image_task *t;
	size_t i;

	printf("{\"version\": %u, \"generation\": %llu, \"created_ns\": %llu, "
	       "\"freeze_ns\": %llu, \"size\": %" PRIu64 ", \"nr_tasks\": %u, "
	       "\"nr_threads\": %u, \"parent\": %llu, \"base_pages\": %" PRIu64
	       ", \"tasks\": [", h->version, h->generation,
	       h->created_ns, h->freeze_ns, libckpt_image_size(img),
	       h->nr_tasks, h->nr_threads,
	       libckpt_image_parent(img) ? libckpt_image_parent(img)->generation : 0ULL,
	       base_pages(img));
	for (i = 0; (t = libckpt_image_task(img, i)); i++) {
		if (i)
			printf(", ");
		show_json_task(t);
	}
	printf("], \"zombies\": [");
	for (i = 0; (z = libckpt_image_zombie(img, i)); i++) {
		char comm[sizeof(z->comm) + 1];

		memcpy(comm, z->comm, sizeof(z->comm));
		comm[sizeof(z->comm)] = '\0';
		printf("%s{\"pid\": %u, \"ppid\": %u, \"pgid\": %u, \"sid\": %u, "
		       "\"status\": %u, \"uid\": %u, \"comm\": ", i ? ", " : "",
		       z->pid, z->ppid, z->pgid, z->sid, z->status, z->uid);
		json_str(comm);
		printf("}");
	}
	printf("]}\n");
}

int show_main(int argc, char **argv)
{
	struct cmdline c = CMDLINE_INIT("show", show_usage, "h", cmdline_json_opts, argc, argv);
	char err[LIBCKPT_ERRLEN] = "";
	struct libckpt_image *img;
	const char *spec;
	bool json = false;
	int ret, code;

	if (!cmdline_json_only(&c, &json, &code))
		return code;
	spec = cmdline_need(&c, "the image (FILE, AREA[:GEN] or -)");
	if (!spec || !cmdline_end(&c))
		return EXIT_USAGE;
	ret = libckpt_image_open(spec, &img, err, sizeof(err));
	/* A stream is only verified once its pages have gone by. */
	if (!ret && !libckpt_image_size(img)) {
		ret = libckpt_image_pages(img, NULL, NULL, err, sizeof(err));
		if (ret)
			libckpt_image_close(img);
	}
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", prog, spec,
			err[0] ? err : strerror(-ret));
		return EXIT_FAILED;
	}
	if (json)
		show_json(img);
	else
		show_text(img);
	libckpt_image_close(img);
	return EXIT_OK;
}
