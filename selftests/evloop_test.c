// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Event-loop descriptors, zdtm-style: eventfd, timerfd, signalfd, epoll,
 * pidfd and inotify are checkpointed, the workload SIGKILLed and restored,
 * and the restored program compares its own view (its fdinfo, read(),
 * epoll_wait()) with what it saw before; io_uring, userfaultfd, perf, bpf and fanotify
 * descriptors are refused by name before any freeze; a node program with
 * a timer, a promise chain and thread-pool work, and a GLib main loop
 * (evloop_glib.c) with timers, idle sources and a thread pool, print, once
 * restored, what an undisturbed run prints. The restores of the descriptor
 * objects and of the GLib program are also checked through /proc
 * (proc_state.h): their processes must show what they showed before the
 * checkpoint, but for what selftests/proc-allowlist.txt explains.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define LOG	"/tmp/ev-log"
#define GO	"/tmp/ev-go"
#define AREA	"/tmp/ev-area"
#define SAVED	"/tmp/ev-saved"		/* the workload's view before */
#define HOUR_NS	3600000000000ULL
#define PIDFD_NONBLOCK	O_NONBLOCK	/* <linux/pidfd.h> clashes with <fcntl.h> */

/* /proc of the workload just before its checkpoint (each test is a process). */
static struct ps_snap before;

static void say(int fd, const char *what, long n)
{
	char line[128];
	int len = snprintf(line, sizeof(line), "%s %ld\n", what, n);

	if (write(fd, line, len) != len)
		_exit(3);
}

/* /proc/self/fdinfo/@fd after its first four lines (pos, flags, mnt_id, ino). */
static int fdinfo(int fd, char *buf, size_t size)
{
	char path[64], all[8192], *p = all;
	ssize_t n;
	int f, i;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	n = f < 0 ? -1 : read(f, all, sizeof(all) - 1);
	if (f >= 0)
		close(f);
	if (n < 0)
		return -1;
	all[n] = '\0';
	for (i = 0; i < 4 && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	snprintf(buf, size, "%s", p ? p : "");
	return 0;
}

/* Drop the lines starting with @key (values a restore cannot keep). */
static void drop_lines(char *s, const char *key)
{
	char *r = s, *w = s, *nl;
	size_t len;

	while (*r) {
		nl = strchr(r, '\n');
		len = nl ? (size_t)(nl - r) + 1 : strlen(r);
		if (strncmp(r, key, strlen(key))) {
			memmove(w, r, len);
			w += len;
		}
		r += len;
	}
	*w = '\0';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * An epoll's lines, without the target's inode (all anon files share one),
 * sorted: the kernel lists them in the order of its tree, keyed by the
 * file's address, which a restore does not keep.
 */
static void epoll_lines(int fd, char *buf, size_t size)
{
	char raw[8192], *line, *save = NULL, *lines[64];
	unsigned long long data;
	unsigned int events;
	size_t used = 0, n = 0, i;
	int tfd;

	buf[0] = '\0';
	if (fdinfo(fd, raw, sizeof(raw)))
		return;
	for (line = strtok_r(raw, "\n", &save); line && n < 64;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "tfd: %d events: %x data: %llx", &tfd, &events, &data) == 3)
			lines[n++] = line;
	qsort(lines, n, sizeof(lines[0]), cmp_str);
	for (i = 0; i < n; i++) {
		sscanf(lines[i], "tfd: %d events: %x data: %llx", &tfd, &events, &data);
		used += snprintf(buf + used, size - used, "%d %x %llx\n", tfd, events, data);
	}
}

struct objs {
	int efd_sem, efd_shared, efd_empty, efd_moved;
	int t_rel, t_abs, t_fired, t_periodic, t_alarm;
	int sfd, ep, ep_inner, pipe_r, pipe_w, shared_dup, reused;
};

/* Everything the restored process compares with what it saw before. */
static void view(const struct objs *o, char *out, size_t size)
{
	char b[8192];
	size_t used = 0;
	const int plain[] = { o->efd_sem, o->efd_shared, o->efd_empty, o->efd_moved,
			      o->sfd, o->t_fired };
	unsigned int i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		fdinfo(plain[i], b, sizeof(b));
		drop_lines(b, "eventfd-id:");
		used += snprintf(out + used, size - used, "fd %d flags %x\n%s", plain[i],
				 fcntl(plain[i], F_GETFL) & (O_NONBLOCK | O_ACCMODE), b);
	}
	epoll_lines(o->ep, b, sizeof(b));
	used += snprintf(out + used, size - used, "ep\n%s", b);
	epoll_lines(o->ep_inner, b, sizeof(b));
	used += snprintf(out + used, size - used, "ep_inner\n%s", b);
}

/* Settings of a timer that do not move with time: clock, flags, interval. */
static int timer_same(int fd, const struct itimerspec *want_iv, uint64_t max_left_ns)
{
	struct itimerspec its;

	if (timerfd_gettime(fd, &its))
		return 0;
	if (its.it_interval.tv_sec != want_iv->it_interval.tv_sec ||
	    its.it_interval.tv_nsec != want_iv->it_interval.tv_nsec)
		return 0;
	return (uint64_t)its.it_value.tv_sec * 1000000000ULL + its.it_value.tv_nsec <=
	       max_left_ns && (its.it_value.tv_sec || its.it_value.tv_nsec);
}

static int epoll_ready(int ep, uint64_t *mask)
{
	struct epoll_event ev[16];
	int n, i;

	*mask = 0;
	n = epoll_wait(ep, ev, 16, 0);
	for (i = 0; i < n; i++)
		*mask |= 1ULL << (ev[i].data.u64 & 63);
	return n;
}

/* The restored process's checks, in order; 0 if every one holds. */
static int check_restored(const struct objs *o, const char *saved, pid_t child)
{
	struct itimerspec iv = { 0 }, iv_per = { .it_interval = { 0, 10000000 } };
	struct signalfd_siginfo si;
	char now[16384];
	uint64_t v, mask;
	int st;

	view(o, now, sizeof(now));
	if (strcmp(now, saved)) {
		int log = open(LOG, O_WRONLY | O_APPEND);

		dprintf(log, "# before:\n%s# after:\n%s", saved, now);
		close(log);
		return 1;
	}
	/* Readiness follows from the objects: efd_sem, pipe, sfd, inner, moved. */
	epoll_ready(o->ep, &mask);
	if (mask != ((1 << 1) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 9)))
		return 100 + (int)(mask & 0xfff);
	/* An EPOLLET registration reports its edge once, then not again. */
	epoll_ready(o->ep, &mask);
	if (mask & (1 << 1))
		return 2;
	if (read(o->efd_sem, &v, 8) != 8 || v != 1)	/* EFD_SEMAPHORE */
		return 3;
	if (read(o->efd_empty, &v, 8) != -1 || errno != EAGAIN)	/* EFD_NONBLOCK */
		return 4;
	if (read(o->efd_moved, &v, 8) != 8 || v != 11)
		return 5;
	if (read(o->t_fired, &v, 8) != 8 || v != 1)	/* the unread expiration */
		return 6;
	if (!timer_same(o->t_rel, &iv, HOUR_NS) || !timer_same(o->t_abs, &iv, HOUR_NS))
		return 7;
	if (!timer_same(o->t_periodic, &iv_per, 10000000) ||
	    read(o->t_periodic, &v, 8) != 8 || v < 3) {
		struct itimerspec its = { 0 };
		int log = open(LOG, O_WRONLY | O_APPEND);

		timerfd_gettime(o->t_periodic, &its);
		dprintf(log, "# periodic: %ld.%09ld every %ld.%09ld, read %llu\n",
			(long)its.it_value.tv_sec, its.it_value.tv_nsec,
			(long)its.it_interval.tv_sec, its.it_interval.tv_nsec,
			(unsigned long long)v);
		close(log);
		return 8;
	}
	if (o->t_alarm >= 0 && !timer_same(o->t_alarm, &iv, 2 * HOUR_NS))
		return 9;
	if (read(o->sfd, &si, sizeof(si)) != sizeof(si) || si.ssi_signo != SIGUSR1)
		return 10;
	if (read(o->sfd, &si, sizeof(si)) != -1 || errno != EAGAIN)	/* SFD_NONBLOCK */
		return 11;
	/* The child reads what we add to the eventfd the two share. */
	v = 1000;
	if (write(o->efd_shared, &v, 8) != 8)
		return 12;
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		return 13;
	return 0;
}

/* The child: waits for the parent's 1000 on the eventfd it shares. */
static void child_body(int efd)
{
	uint64_t v, total = 0;

	while (total < 1042) {
		if (read(efd, &v, 8) != 8)
			_exit(1);
		total += v;
	}
	_exit(total == 1042 ? 0 : 2);
}

static void setup_timers(struct objs *o)
{
	struct itimerspec its = { .it_value = { 3000, 0 } };
	struct timespec now;

	o->t_rel = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	timerfd_settime(o->t_rel, 0, &its, NULL);
	clock_gettime(CLOCK_REALTIME, &now);
	its.it_value.tv_sec = now.tv_sec + 3000;
	o->t_abs = timerfd_create(CLOCK_REALTIME, 0);
	timerfd_settime(o->t_abs, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
	o->t_fired = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
	its.it_value = (struct timespec){ 0, 1000 };
	timerfd_settime(o->t_fired, 0, &its, NULL);
	o->t_periodic = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	its.it_value = its.it_interval = (struct timespec){ 0, 10000000 };
	timerfd_settime(o->t_periodic, 0, &its, NULL);
	/* Needs an RTC and CAP_WAKE_ALARM: left out where there is none. */
	o->t_alarm = timerfd_create(CLOCK_BOOTTIME_ALARM, 0);
	its.it_value = (struct timespec){ 6000, 0 };
	its.it_interval = (struct timespec){ 0, 0 };
	if (o->t_alarm >= 0)
		timerfd_settime(o->t_alarm, 0, &its, NULL);
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void objs_workload(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	static char saved[16384];
	struct objs o;
	struct stat st;
	sigset_t set;
	int log, p[2], moved_from, ret = 0;
	pid_t child;

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	o.efd_sem = eventfd(5, EFD_SEMAPHORE | EFD_NONBLOCK);
	o.efd_shared = eventfd(42, 0);
	o.efd_empty = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	moved_from = eventfd(11, 0);
	setup_timers(&o);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN + 3);
	sigprocmask(SIG_BLOCK, &set, NULL);
	o.sfd = signalfd(-1, &set, SFD_NONBLOCK);
	raise(SIGUSR1);
	if (pipe(p))
		_exit(20);
	o.pipe_r = p[0];
	o.pipe_w = p[1];
	if (write(o.pipe_w, "x", 1) != 1)
		_exit(20);
	o.ep = epoll_create1(EPOLL_CLOEXEC);
	o.ep_inner = epoll_create1(0);
	o.shared_dup = dup(o.efd_shared);
	if (add(o.ep, o.efd_sem, EPOLLIN | EPOLLET, 1) ||
	    add(o.ep, o.t_rel, EPOLLIN | EPOLLONESHOT, 2) ||
	    add(o.ep, o.pipe_r, EPOLLIN | EPOLLEXCLUSIVE, 3) ||
	    add(o.ep, o.sfd, EPOLLIN | EPOLLWAKEUP, 4) ||
	    add(o.ep, o.ep_inner, EPOLLIN, 5) ||
	    add(o.ep, o.efd_shared, EPOLLIN, 6) ||
	    add(o.ep, o.shared_dup, EPOLLIN, 7) ||
	    add(o.ep, o.t_abs, EPOLLIN, 8) ||
	    add(o.ep, moved_from, EPOLLIN | 0x1000000ULL, 9) ||
	    add(o.ep_inner, o.pipe_w, EPOLLOUT, 0x123456789abcdef0ULL))
		_exit(21);
	/* The child shares the eventfds, not the epolls (it closes them). */
	child = fork();
	if (child == 0) {
		close(o.ep);
		close(o.ep_inner);
		child_body(o.efd_shared);
	}
	/* Registered under moved_from, which is then closed and reused. */
	o.efd_moved = dup(moved_from);
	close(moved_from);
	o.reused = open("/dev/null", O_RDONLY);
	if (o.reused != moved_from)
		_exit(22);
	/* Let t_fired expire unread and t_periodic tick a few times. */
	nanosleep(&ts, NULL);
	nanosleep(&ts, NULL);
	/* The child has read the 42 and waits for more. */
	while (!fdinfo(o.efd_shared, saved, sizeof(saved)) && !strstr(saved, "count:                0\n"))
		nanosleep(&ts, NULL);
	view(&o, saved, sizeof(saved));
	say(log, "ready", 0);
	while (stat(GO, &st))
		nanosleep(&ts, NULL);
	ret = check_restored(&o, saved, child);
	say(log, ret ? "FAIL" : "PASS", ret);
	_exit(ret ? 1 : 0);
}

/* A process holding one descriptor of a refused kind, ready to be judged. */
/* The pid a pidfd refers to, from its fdinfo ("Pid:"), or -1. */
static pid_t pidfd_pid(int fd)
{
	char path[64], line[128];
	FILE *f;
	int pid = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	if (f)
		fclose(f);
	return pid;
}

static int pidfd_open(pid_t pid, unsigned int flags)
{
	return syscall(SYS_pidfd_open, pid, flags);
}

/*
 * The child's side: its pidfd of its parent, and the workload's pidfd of
 * itself that the child inherited, one description with the workload's:
 * the O_NONBLOCK the workload sets on it after the restore shows here.
 */
static void pidfd_child(int log, int shared)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int parent = pidfd_open(getppid(), 0), i;

	say(log, "ready child", parent);
	wait_for_path(GO);
	if (pidfd_pid(parent) != getppid() || syscall(SYS_pidfd_send_signal, parent, 0, NULL, 0))
		_exit(4);
	for (i = 0; i < 500 && !(fcntl(shared, F_GETFL) & O_NONBLOCK); i++)
		nanosleep(&ts, NULL);
	if (!(fcntl(shared, F_GETFL) & O_NONBLOCK))
		_exit(5);
	say(log, "PASS child", 0);
	for (;;)
		pause();
}

/* The workload's checks once restored; 0 if all hold. */
static int check_pidfds(int self, int kid, int dead, pid_t child, pid_t zombie)
{
	struct pollfd pf[2] = { { .fd = dead, .events = POLLIN }, { .fd = kid, .events = POLLIN } };
	siginfo_t si = { 0 };

	if (pidfd_pid(self) != getpid() || pidfd_pid(kid) != child || pidfd_pid(dead) != zombie)
		return 1;
	/* The zombie's pidfd is readable, the running child's is not. */
	if (poll(pf, 2, 0) != 1 || !(pf[0].revents & POLLIN) || pf[1].revents)
		return 2;
	if (!(fcntl(kid, F_GETFL) & O_NONBLOCK) || (fcntl(self, F_GETFL) & O_NONBLOCK))
		return 3;
	if (waitid(P_PIDFD, dead, &si, WEXITED) || si.si_pid != zombie ||
	    si.si_code != CLD_EXITED || si.si_status != 7)
		return 4;
	/* Shared with the child, which waits to see it. */
	if (fcntl(self, F_SETFL, O_NONBLOCK) || log_wait(LOG, "PASS child", 1, 30000))
		return 5;
	memset(&si, 0, sizeof(si));
	if (fcntl(kid, F_SETFL, 0) || syscall(SYS_pidfd_send_signal, kid, SIGTERM, NULL, 0) ||
	    waitid(P_PIDFD, kid, &si, WEXITED) || si.si_pid != child ||
	    si.si_code != CLD_KILLED || si.si_status != SIGTERM)
		return 6;
	return 0;
}

/*
 * pidfds of processes of the group: of the workload itself (shared with
 * its child by inheritance), of its running child (PIDFD_NONBLOCK), of a
 * child that exited and is not reaped; the child holds one of its parent.
 */
static void pidfd_workload(void)
{
	int log, self, kid, dead, ret;
	pid_t child, zombie;

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	self = pidfd_open(getpid(), 0);
	child = fork();
	if (child == 0)
		pidfd_child(log, self);
	zombie = fork();
	if (zombie == 0)
		_exit(7);
	kid = pidfd_open(child, PIDFD_NONBLOCK);
	dead = pidfd_open(zombie, 0);
	while (proc_state(zombie) != 'Z')
		usleep(10000);
	if (self < 0 || kid < 0 || dead < 0 || log_wait(LOG, "ready child", 1, 10000))
		_exit(2);
	say(log, "ready", 0);
	wait_for_path(GO);
	ret = check_pidfds(self, kid, dead, child, zombie);
	say(log, ret ? "FAIL" : "PASS", ret);
	_exit(ret);
}

#define INO_DIR	"/tmp/ev-inotify"

/* Add a watch and remove it at once, reading its IN_IGNORED away; its wd. */
static int watch_and_drop(int ifd, const char *path)
{
	char buf[4096];
	int wd = inotify_add_watch(ifd, path, IN_ATTRIB);

	inotify_rm_watch(ifd, wd);
	while (read(ifd, buf, sizeof(buf)) > 0)
		;
	return wd;
}

/* Events read from an inotify instance and not yet looked at. */
struct events {
	char buf[4096] __attribute__((aligned(8)));
	size_t len, pos;
};

/*
 * Is the next event of @ifd (waiting up to 5 s) of watch @wd, with @mask
 * and, if given, @name? A read() returns as many events as fit.
 */
static bool event_is(int ifd, struct events *q, int wd, uint32_t mask, const char *name)
{
	struct pollfd pf = { .fd = ifd, .events = POLLIN };
	const struct inotify_event *ev;
	ssize_t n;

	if (q->pos >= q->len) {
		if (poll(&pf, 1, 5000) != 1)
			return false;
		n = read(ifd, q->buf, sizeof(q->buf));
		if (n <= 0)
			return false;
		q->len = n;
		q->pos = 0;
	}
	ev = (const struct inotify_event *)(q->buf + q->pos);
	q->pos += sizeof(*ev) + ev->len;
	return ev->wd == wd && (ev->mask & mask) == mask &&
	       (!name || (ev->len && !strcmp(ev->name, name)));
}

/* The restored instance's checks; 0 if all hold. */
static int check_inotify(int ifd, const int *wd, int next)
{
	static struct events q;
	int f;

	if (fcntl(ifd, F_GETFL) != (O_RDONLY | O_NONBLOCK) || !(fcntl(ifd, F_GETFD) & FD_CLOEXEC))
		return 1;
	f = open(INO_DIR "/c", O_CREAT | O_WRONLY, 0600);
	if (f < 0 || !event_is(ifd, &q, wd[0], IN_CREATE, "c"))
		return 2;
	close(f);
	f = open(INO_DIR "/a", O_WRONLY | O_APPEND);
	if (f < 0 || write(f, "x", 1) != 1 || !event_is(ifd, &q, wd[1], IN_MODIFY, NULL) ||
	    !event_is(ifd, &q, wd[1], IN_IGNORED, NULL))
		return 3;	/* IN_ONESHOT: the watch went after its event */
	close(f);
	f = open(INO_DIR "/b", O_WRONLY);
	if (f < 0 || close(f) || !event_is(ifd, &q, wd[2], IN_CLOSE_WRITE, NULL))
		return 4;
	/* The cursor went on where it was: the next watch's number. */
	if (inotify_add_watch(ifd, INO_DIR "/c", IN_OPEN) != next)
		return 5;
	return 0;
}

/*
 * An inotify instance (IN_NONBLOCK, IN_CLOEXEC) with three watches on a
 * directory and two files (IN_ONESHOT, IN_EXCL_UNLINK), numbered with
 * gaps, and a cursor past the last: watches were added and removed.
 */
static void inotify_workload(void)
{
	int log, ifd, wd[3], next, ret;

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	mkdir(INO_DIR, 0700);
	close(open(INO_DIR "/a", O_CREAT | O_WRONLY, 0600));
	close(open(INO_DIR "/b", O_CREAT | O_WRONLY, 0600));
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	wd[0] = inotify_add_watch(ifd, INO_DIR, IN_CREATE | IN_DELETE);
	watch_and_drop(ifd, "/tmp");
	wd[1] = inotify_add_watch(ifd, INO_DIR "/a", IN_MODIFY | IN_ONESHOT);
	watch_and_drop(ifd, "/tmp");
	watch_and_drop(ifd, "/tmp");
	wd[2] = inotify_add_watch(ifd, INO_DIR "/b", IN_CLOSE_WRITE | IN_EXCL_UNLINK);
	next = watch_and_drop(ifd, "/tmp") + 1;
	if (ifd < 0 || wd[0] < 0 || wd[1] < 0 || wd[2] < 0 || next < 2)
		_exit(2);
	say(log, "ready", 0);
	wait_for_path(GO);
	ret = check_inotify(ifd, wd, next);
	say(log, ret ? "FAIL" : "PASS", ret);
	_exit(ret);
}

static void refused_workload(const char *kind)
{
	struct perf_event_attr pe = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(pe),
				      .config = PERF_COUNT_SW_TASK_CLOCK };
	long params[30] = { 0 };
	int log, fd = -1;

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (!strcmp(kind, "io_uring"))
		fd = syscall(__NR_io_uring_setup, 4, params);
	else if (!strcmp(kind, "userfaultfd"))
		fd = syscall(__NR_userfaultfd, O_CLOEXEC);
	else if (!strcmp(kind, "perf_event"))
		fd = syscall(__NR_perf_event_open, &pe, 0, -1, -1, 0);
	else if (!strcmp(kind, "fanotify"))
		fd = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY);
	else if (!strcmp(kind, "bpf")) {
		union { struct { uint32_t type, ks, vs, max; } m; char pad[128]; } a = {
			.m = { 2 /* BPF_MAP_TYPE_ARRAY */, 4, 8, 1 } };

		fd = syscall(__NR_bpf, 0 /* BPF_MAP_CREATE */, &a, sizeof(a));
	} else if (!strcmp(kind, "inotify_queued")) {
		fd = inotify_init1(0);
		inotify_add_watch(fd, "/tmp", IN_CREATE);
		unlink("/tmp/ev-queued");
		close(open("/tmp/ev-queued", O_CREAT | O_WRONLY, 0600));
	} else if (!strcmp(kind, "inotify_proc")) {
		fd = inotify_init1(0);
		inotify_add_watch(fd, "/proc/self", IN_ACCESS);
	} else if (!strcmp(kind, "pidfd_outside")) {
		fd = pidfd_open(getppid(), 0);
	} else if (!strcmp(kind, "pidfd_reaped")) {
		pid_t child = fork();

		if (child == 0)
			_exit(0);
		fd = pidfd_open(child, 0);
		waitpid(child, NULL, 0);
	} else if (!strcmp(kind, "epoll_orphan")) {
		/* A registered pipe end only the child still holds. */
		struct epoll_event ev = { .events = EPOLLIN };
		int p[2];

		fd = epoll_create1(0);
		if (fd < 0 || pipe(p) || epoll_ctl(fd, EPOLL_CTL_ADD, p[0], &ev)) {
			fd = -1;
		} else {
			if (fork() == 0)
				for (;;)
					pause();
			close(p[0]);
		}
	}
	say(log, fd < 0 ? "unavailable" : "ready", fd);
	for (;;)
		pause();
}

__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_EV_WORKLOAD");

	if (!w)
		return;
	if (!strcmp(w, "objs"))
		objs_workload();
	if (!strcmp(w, "pidfd"))
		pidfd_workload();
	if (!strcmp(w, "inotify"))
		inotify_workload();
	refused_workload(w);
}

/* Wait up to @ms for @what in the workload's log; 0 or -1. */
static int wait_for_line(const char *what, int ms)
{
	return log_wait(LOG, what, 1, ms);
}

static void show_log(struct __test_metadata *_metadata)
{
	char buf[16384];
	ssize_t n;
	int fd = open(LOG, O_RDONLY);

	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = '\0';
		TH_LOG("log:\n%s", buf);
	}
}

/*
 * Each refused kind is refused by the pre-freeze check with its own name
 * (the dry run is the same judgement the freeze makes first).
 */
TEST(refused_kinds_named)
{
	static const struct { const char *kind, *want; } cases[] = {
		{ "io_uring", "io_uring descriptor" },
		{ "userfaultfd", "userfaultfd descriptor" },
		{ "perf_event", "perf_event descriptor" },
		{ "fanotify", "fanotify descriptor" },
		{ "bpf", "bpf map descriptor" },
		{ "pidfd_outside", "pidfd of a process outside the process group" },
		{ "inotify_queued", "inotify descriptor: it has queued events" },
		{ "inotify_proc", "inotify descriptor: a watch on a filesystem without file handles" },
		{ "pidfd_reaped", "pidfd of a process that has exited and been reaped" },
		/* Judged before the freeze too, though it needs the epoll's lock. */
		{ "epoll_orphan", "watches a file no descriptor of this process holds" },
	};
	struct libckpt_census census;
	struct libckpt *h;
	unsigned int i;
	pid_t pid;

	ASSERT_EQ(0, libckpt_open(&h));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unlink(LOG);
		pid = exec_self_as("CKPT_EV_WORKLOAD", cases[i].kind);
		ASSERT_EQ(0, wait_for_line(" ", 5000));
		if (!wait_for_line("unavailable", 50)) {
			TH_LOG("%s: cannot be created here; not judged", cases[i].kind);
		} else {
			EXPECT_EQ(-EINVAL, libckpt_check(h, pid, &census));
			EXPECT_NE(NULL, strstr(libckpt_error(h), cases[i].want))
				TH_LOG("%s: %s", cases[i].kind, libckpt_error(h));
		}
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	libckpt_close(h);
}

/*
 * Start workload @kind, wait for @ready in its log, take /proc of its
 * session's first @max processes (at least @min), checkpoint it into
 * AREA and SIGKILL it; its pid.
 */
static pid_t checkpoint_and_kill(struct __test_metadata *_metadata, const char *kind,
				 const char *ready, size_t min, size_t max)
{
	pid_t pid, pids[8];
	int n;

	unlink(GO);
	unlink(LOG);
	pid = exec_self_as("CKPT_EV_WORKLOAD", kind);
	EXPECT_EQ(0, wait_for_line(ready, 10000)) show_log(_metadata);
	n = ps_session_pids(pid, pids, max);
	EXPECT_LE(min, n);
	if (_metadata->passed)
		checkpoint_idle(_metadata, AREA, &before, pid, pids, n, 64 << 20);
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	usleep(100000);
	return pid;
}

/*
 * eventfd (count, EFD_SEMAPHORE, EFD_NONBLOCK, shared with a child),
 * timerfd (clocks, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET, interval,
 * time left, an unread expiration), signalfd (mask, SFD_NONBLOCK) and
 * epoll (EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE, EPOLLWAKEUP, 64-bit data,
 * epoll in epoll, one file under two numbers, a number closed and reused
 * while its file lived on): the restored process finds its fdinfo as
 * before and the readiness the restored objects imply.
 */
TEST(objects_restored)
{
	char err[LIBCKPT_ERRLEN], out[65536];
	int status = -1;
	pid_t pid, got = 0;

	/* The workload and the child that shares its eventfds. */
	pid = checkpoint_and_kill(_metadata, "objs", "ready", 2, 2);
	ASSERT_TRUE(_metadata->passed) TH_LOG("no checkpoint to restore");
	if (!run_cmd("/usr/bin/ckptctl show " AREA " 2>&1 | grep -E 'eventfd|timerfd|signalfd|epoll|tfd'",
		     out, sizeof(out)))
		TH_LOG("show:\n%s", out);
	ASSERT_EQ(0, restore_and_check(_metadata, &before, GO, AREA, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(pid, got);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, wait_for_line("PASS", 30000)) show_log(_metadata);
	unlink(AREA);
	unlink(GO);
}

/*
 * Checkpoint workload @kind (of @min to @max processes) once it says
 * "ready 0", kill it, restore it with the /proc comparison and let it
 * check itself: it must exit 0 and say "PASS 0".
 */
static void checkpoint_restore_pass(struct __test_metadata *_metadata, const char *kind,
				    size_t min, size_t max)
{
	char err[LIBCKPT_ERRLEN];
	int status = -1;
	pid_t pid, got = 0;

	pid = checkpoint_and_kill(_metadata, kind, "ready 0", min, max);
	ASSERT_TRUE(_metadata->passed) TH_LOG("no checkpoint to restore");
	ASSERT_EQ(0, restore_and_check(_metadata, &before, GO, AREA, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(pid, got);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status)) show_log(_metadata);
	EXPECT_EQ(0, wait_for_line("PASS 0", 30000)) show_log(_metadata);
	unlink(AREA);
	unlink(GO);
}

/*
 * pidfds come back pointing at the restored processes: the workload's of
 * itself shared with its child (one description: O_NONBLOCK set by one
 * shows in the other), of its running child with PIDFD_NONBLOCK, of an
 * unreaped zombie (readable, and waitid(P_PIDFD) gets its status), the
 * child's of its parent; pidfd_send_signal() and waitid() work on them.
 */
TEST(pidfds_restored)
{
	/* The workload, its child and its zombie. */
	checkpoint_restore_pass(_metadata, "pidfd", 2, 3);
}

/*
 * An inotify instance comes back with its watches under their numbers
 * (gaps kept), masks (IN_ONESHOT, IN_EXCL_UNLINK), flags and the number
 * its next watch gets; the restored process gets the events of files it
 * touches from the watches it expects.
 */
TEST(inotify_restored)
{
	checkpoint_restore_pass(_metadata, "inotify", 1, 1);
}

#define NODE	"/usr/bin/node"
#define NODE_JS	"/opt/ckpt/selftests/evloop_node.js"

/*
 * Start @argv in a session of its own, stdin /dev/null, stdout into @out,
 * stderr into @err (files made afresh); its pid.
 */
static pid_t start_logged(const char *out, const char *err, char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int z = open("/dev/null", O_RDONLY);

		setsid();
		if (o < 0 || e < 0 || z < 0 || dup2(z, 0) < 0 || dup2(o, 1) < 0 ||
		    dup2(e, 2) < 0)
			_exit(5);
		close_range(3, ~0U, 0);
		execv(argv[0], argv);
		_exit(6);
	}
	return pid;
}

/* Start the node script for @ticks ticks, its output into @out; its pid. */
static pid_t start_node(const char *out, int ticks)
{
	char n[16];
	char *const argv[] = { NODE, NODE_JS, n, NULL };

	snprintf(n, sizeof(n), "%d", ticks);
	return start_logged(out, "/tmp/ev-node-err", argv);
}

/*
 * node (libuv: epoll, eventfds, pipes, a thread pool) with a setInterval
 * timer, a promise chain and thread-pool work, checkpointed in the middle,
 * killed and restored, prints exactly what an undisturbed run prints.
 */
FIXTURE(node) {
};

FIXTURE_SETUP(node)
{
}

FIXTURE_TEARDOWN(node)
{
}

TEST_F_TIMEOUT(node, restored_like_undisturbed, 400)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	static char ref[16384], out[16384], err[LIBCKPT_ERRLEN];
	struct libckpt_job job, done;
	struct libckpt *h;
	int status = -1, fd, i;
	pid_t pid, got = 0;

	if (access(NODE, X_OK) || access(NODE_JS, R_OK))
		SKIP(return, "no node in this guest (make deps installs nodejs)");
	pid = start_node("/tmp/ev-node-ref", 100);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	read_text("/tmp/ev-node-err", err, sizeof(err));
	ASSERT_EQ(0, status) TH_LOG("undisturbed node: status 0x%x: %s", status, err);
	read_text("/tmp/ev-node-ref", ref, sizeof(ref));
	ASSERT_NE(NULL, strstr(ref, "done")) TH_LOG("%s", ref);

	/* The area first: on a slow kernel its creation outlasts the run. */
	unlink(AREA);
	ASSERT_EQ(0, libckpt_area_create(AREA, 512 << 20, err, sizeof(err)));
	pid = start_node("/tmp/ev-node-out", 100);
	for (i = 0; i < 1200; i++) {
		read_text("/tmp/ev-node-out", out, sizeof(out));
		if (strstr(out, "tick 010"))
			break;
		usleep(50000);
	}
	ASSERT_NE(NULL, strstr(out, "tick 010")) TH_LOG("%s", out);
	fd = open(AREA, O_RDWR);
	ASSERT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(0, libckpt_freeze(h, pid, fd, 0, &job))
		TH_LOG("node %d: %s; output so far:\n%s", pid, libckpt_error(h), out);
	if (!_metadata->passed) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "ls -l /proc/%d/fd; grep -h -E 'Name|State|Tgid' /proc/%d/task/*/status; ps -o pid,pgid,stat,comm 2>/dev/null | tail -20",
			 pid, pid);
		if (!run_cmd(cmd, ref, sizeof(ref)))
			TH_LOG("%s", ref);
		read_text("/tmp/ev-node-err", err, sizeof(err));
		TH_LOG("node's stderr: %s", err);
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return;
	}
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	ASSERT_EQ(CKPT_JOB_COMMITTED, done.state);
	libckpt_close(h);
	close(fd);
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	read_text("/tmp/ev-node-out", out, sizeof(out));
	TH_LOG("killed after %zu lines", (size_t)(strchr(out, '\0') - out) / 26);
	/*
	 * Not compared through /proc (Documentation/fidelity.rst): node runs
	 * on at once, mapping and unmapping its heap, opening what it reads
	 * and writing on, so no snapshot could match one before; its check is
	 * its output.
	 */
	ASSERT_EQ(0, libckpt_restore(AREA, &o, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(pid, got);
	EXPECT_EQ(0, status) TH_LOG("restored node: status 0x%x", status);
	read_text("/tmp/ev-node-out", out, sizeof(out));
	EXPECT_STREQ(ref, out);
	unlink(AREA);
}

#define GLIB_PROG	"/opt/ckpt/selftests/evloop_glib"
#define GLIB_REF	"/tmp/ev-glib-ref"
#define GLIB_OUT	"/tmp/ev-glib-out"
#define GLIB_ERR	"/tmp/ev-glib-err"

/* Wait up to @ms for our child @pid to exit: its status, or -1 (killed). */
static int exit_within(pid_t pid, int ms)
{
	int st, waited;

	for (waited = 0; waited <= ms; waited += 50) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(50000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/*
 * Start evloop_glib (40 ticks, holding after the 15th) with its stdout
 * into @out, and wait until it holds: its pid, or -1 if it never said
 * "ready" (then it is killed).
 */
static pid_t start_glib(const char *out)
{
	char *const argv[] = { GLIB_PROG, "40", "15", LOG, GO, NULL };
	pid_t pid;

	unlink(GO);
	unlink(LOG);
	pid = start_logged(out, GLIB_ERR, argv);
	if (pid > 0 && wait_for_line("ready", 60000)) {
		exit_within(pid, 0);
		return -1;
	}
	return pid;
}

/*
 * A GLib program (Debian's libglib2.0: a GMainLoop whose GWakeup is an
 * eventfd and whose wait is poll(), g_timeout_add() timers, idle sources,
 * a GThreadPool posting results back with g_idle_add()) checkpointed while
 * it holds in the middle — a timer armed, its pool threads alive — killed
 * and restored, prints exactly what an undisturbed run prints. Unlike
 * node, it holds still while /proc is compared.
 */
FIXTURE(glib) {
	pid_t pid;	/* the program while it may live, to kill on failure */
};

FIXTURE_SETUP(glib)
{
}

FIXTURE_TEARDOWN(glib)
{
	if (self->pid > 0)
		exit_within(self->pid, 0);
}

TEST_F_TIMEOUT(glib, loop_restored_like_undisturbed, 400)
{
	static char ref[16384], out[16384], err[LIBCKPT_ERRLEN];
	int status = -1;
	pid_t pid, got = 0;

	if (access(GLIB_PROG, X_OK))
		SKIP(return, "no %s in this guest", GLIB_PROG);
	/* Undisturbed: it holds, is let go at once, and runs to its end. */
	self->pid = start_glib(GLIB_REF);
	ASSERT_LT(0, self->pid) show_log(_metadata);
	ASSERT_EQ(0, close(open(GO, O_WRONLY | O_CREAT, 0600)));
	status = exit_within(self->pid, 120000);
	self->pid = 0;
	read_text(GLIB_ERR, err, sizeof(err));
	ASSERT_EQ(0, status) TH_LOG("undisturbed: status 0x%x: %s", status, err);
	read_text(GLIB_REF, ref, sizeof(ref));
	ASSERT_NE(NULL, strstr(ref, "done\n")) TH_LOG("%s", ref);

	/* Checkpointed while it holds, killed, restored. */
	pid = self->pid = start_glib(GLIB_OUT);
	ASSERT_LT(0, pid) show_log(_metadata);
	checkpoint_idle(_metadata, AREA, &before, pid, &pid, 1, 64 << 20);
	exit_within(pid, 0);
	read_text(GLIB_OUT, out, sizeof(out));
	TH_LOG("killed holding after %zu lines", (size_t)(strchr(out, '\0') - out) / 26);
	/* The restored program holds until the /proc comparison creates GO. */
	ASSERT_EQ(0, restore_and_check(_metadata, &before, GO, AREA, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	self->pid = 0;
	EXPECT_EQ(pid, got);
	EXPECT_EQ(0, status) TH_LOG("restored: status 0x%x", status);
	read_text(GLIB_OUT, out, sizeof(out));
	EXPECT_STREQ(ref, out);
	unlink(AREA);
	unlink(GO);
}

TEST_HARNESS_MAIN
