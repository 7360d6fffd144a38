// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Restore, zdtm-style: a workload builds its state and waits in
 * nanosleep(); it is frozen into an area, SIGKILLed, and restored with its
 * pid; then it checks its own memory, FPU register and descriptors and
 * reports PASS or FAIL through its restored log descriptor. Every restore
 * also compares what /proc shows of the workload just before its
 * checkpoint and once it is restored (proc_state.h).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define LOG	"/tmp/rs-log"
#define GO	"/tmp/rs-go"
#define AREA	"/tmp/rs-area"
#define MAGIC	0x1234abcd5678ef90ULL
#define HEAP_WORDS (1 << 20)		/* 8 MiB */
#define MAP_WORDS (4 << 20)		/* 32 MiB */

static uint64_t pattern(uint64_t i, uint64_t seed)
{
	return (i + seed) * 0x9E3779B97F4A7C15ULL;
}

static void set_xmm15(uint64_t v)
{
	__asm__ volatile("movq %0, %%xmm15" : : "r"(v) : "xmm15");
}

static uint64_t get_xmm15(void)
{
	uint64_t v;

	__asm__ volatile("movq %%xmm15, %0" : "=r"(v));
	return v;
}

static void report(int fd, const char *what, uint64_t n)
{
	char line[128];
	int len = snprintf(line, sizeof(line), "%s %llu\n", what,
			   (unsigned long long)n);

	if (write(fd, line, len) != len)
		_exit(3);
}

/* Verify everything; on restore this runs in the restored process. */
static int check(uint64_t *heap, uint64_t *map, int log, uint64_t *bad)
{
	uint64_t i;

	if (get_xmm15() != MAGIC) {
		*bad = get_xmm15();
		return 1;
	}
	for (i = 0; i < HEAP_WORDS; i++)
		if (heap[i] != pattern(i, 1)) {
			*bad = i;
			return 2;
		}
	for (i = 0; i < MAP_WORDS; i += 512)
		if (map[i] != pattern(i, 2)) {
			*bad = i;
			return 3;
		}
	/* The log descriptor is the same file, at the end (O_APPEND). */
	if (lseek(log, 0, SEEK_CUR) < 6) {
		*bad = lseek(log, 0, SEEK_CUR);
		return 4;
	}
	return 0;
}

#define BRK_WORDS	(512 * 1024)	/* 4 MiB grown with sbrk() */
#define THP_WORDS	(1 << 20)	/* 8 MiB, 2 MiB-aligned, MADV_HUGEPAGE */
#define STACK_FRAMES	1024		/* 4 KiB each: 4 MiB of stack */

struct regions {
	uint64_t *heap, *map, *brk, *thp;
	int log;
};

static int check_more(const struct regions *r, uint64_t *bad)
{
	uint64_t i;

	for (i = 0; i < BRK_WORDS; i++)
		if (r->brk[i] != pattern(i, 5)) {
			*bad = i;
			return 5;
		}
	for (i = 0; i < THP_WORDS; i++)
		if (r->thp[i] != pattern(i, 6)) {
			*bad = i;
			return 6;
		}
	return 0;
}

static int wait_and_check(const struct regions *r, uint64_t *bad)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct stat st;
	int ret;

	report(r->log, "ready", 0);
	/* Frozen in here, deep in the stack: the sleep restarts after restore. */
	while (stat(GO, &st))
		nanosleep(&ts, NULL);
	ret = check(r->heap, r->map, r->log, bad);
	return ret ? ret : check_more(r, bad);
}

/* Each frame holds its own pattern, checked on the way back up. */
static __attribute__((noinline)) int deep(int depth, const struct regions *r,
					  uint64_t *bad)
{
	volatile uint64_t frame[510];
	int i, ret;

	for (i = 0; i < 510; i++)
		frame[i] = pattern(i, 1000 + depth);
	ret = depth ? deep(depth - 1, r, bad) : wait_and_check(r, bad);
	for (i = 0; !ret && i < 510; i++)
		if (frame[i] != pattern(i, 1000 + depth)) {
			*bad = depth;
			ret = 7;
		}
	return ret;
}

static void workload(void)
{
	struct regions r;
	uint64_t i, bad = 0;
	char *thp;
	int ret;

	close_range(0, ~0U, 0);
	setsid();
	r.log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	r.heap = malloc(HEAP_WORDS * sizeof(uint64_t));
	r.map = mmap(NULL, MAP_WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r.brk = sbrk(BRK_WORDS * sizeof(uint64_t));
	thp = mmap(NULL, THP_WORDS * 8 + (2 << 20), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r.log < 0 || !r.heap || r.map == MAP_FAILED || r.brk == (void *)-1 ||
	    thp == MAP_FAILED)
		_exit(2);
	r.thp = (uint64_t *)(((uintptr_t)thp + (2 << 20) - 1) & ~((uintptr_t)(2 << 20) - 1));
	madvise(r.thp, THP_WORDS * 8, MADV_HUGEPAGE);
	for (i = 0; i < HEAP_WORDS; i++)
		r.heap[i] = pattern(i, 1);
	for (i = 0; i < MAP_WORDS; i++)
		r.map[i] = pattern(i, 2);
	for (i = 0; i < BRK_WORDS; i++)
		r.brk[i] = pattern(i, 5);
	for (i = 0; i < THP_WORDS; i++)
		r.thp[i] = pattern(i, 6);
	set_xmm15(MAGIC);
	ret = deep(STACK_FRAMES, &r, &bad);
	report(r.log, ret ? "FAIL" : "PASS", ret ? ret * 1000000 + bad : 0);
	_exit(ret);
}

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_seen++;
}

#define STATE_FILE	"/tmp/rs-state-file"
#define DEL_FILE	"/tmp/rs-deleted"

/* Checks on the restored process's own view of its state; 0 if all hold. */
static int check_state(int pipe_r, int file, const void *altstack)
{
	struct rlimit rl;
	struct sigaction sa;
	sigset_t set;
	stack_t ss;
	char buf[64], cwd[64];
	mode_t old = umask(0);

	umask(old);
	if (old != 027)
		return 1;
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/tmp"))
		return 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur != 100 || rl.rlim_max != 200)
		return 3;
	if (sigaction(SIGUSR1, NULL, &sa) || sa.sa_handler != on_usr1 ||
	    !(sa.sa_flags & SA_RESTART))
		return 4;
	if (sigprocmask(SIG_SETMASK, NULL, &set) || !sigismember(&set, SIGUSR2))
		return 5;
	if (sigpending(&set) || !sigismember(&set, SIGUSR2))
		return 6;
	if (sigaltstack(NULL, &ss) || ss.ss_sp != altstack || ss.ss_size != 65536)
		return 7;
	if (read(pipe_r, buf, 10) != 10 || memcmp(buf, "hello pipe", 10))
		return 8;
	if (lseek(file, 0, SEEK_CUR) != 1000)
		return 9;
	/* The handler runs and returns through the restored sa_restorer. */
	raise(SIGUSR1);
	if (usr1_seen != 1)
		return 10;
	return 0;
}

static void state_workload(bool deleted)
{
	static char altstack[65536];
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct rlimit rl = { .rlim_cur = 100, .rlim_max = 200 };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	int p[2], f, log, ret, i;
	struct stat st;
	sigset_t set;

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	umask(027);
	f = open(STATE_FILE, O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (i = 0; i < 200; i++)
		if (write(f, "01234", 5) != 5)
			_exit(20);
	lseek(f, 1000, SEEK_SET);
	if (deleted) {
		if (open(DEL_FILE, O_RDWR | O_CREAT, 0600) < 0 || unlink(DEL_FILE))
			_exit(21);
	}
	if (log < 0 || chdir("/tmp") || setrlimit(RLIMIT_NOFILE, &rl) ||
	    sigaction(SIGUSR1, &sa, NULL) || sigaltstack(&ss, NULL) || pipe(p) ||
	    write(p[1], "hello pipe", 10) != 10)
		_exit(22);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR2);
	report(log, "ready", 0);
	for (;;) {
		nanosleep(&ts, NULL);
		if (stat(GO, &st))
			continue;
		ret = check_state(p[0], f, altstack);
		report(log, ret ? "FAIL" : "PASS", ret);
		_exit(ret);
	}
}

static volatile sig_atomic_t check_now;

static void on_check(int sig)
{
	(void)sig;
	check_now = 1;
}

/*
 * For the reboot test: no files but /dev/null, so nothing but the area has
 * to survive the reboot; SIGUSR1 makes it check itself and exit with the
 * result (0: everything intact).
 */
static void reboot_workload(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct sigaction sa = { .sa_handler = on_check };
	uint64_t *heap, *map, i, bad = 0;
	int null;

	close_range(0, ~0U, 0);
	setsid();
	null = open("/dev/null", O_RDWR);
	if (null != 0 || dup(null) != 1 || dup(null) != 2 ||
	    sigaction(SIGUSR1, &sa, NULL))
		_exit(2);
	heap = malloc(HEAP_WORDS * sizeof(uint64_t));
	map = mmap(NULL, MAP_WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!heap || map == MAP_FAILED)
		_exit(2);
	for (i = 0; i < HEAP_WORDS; i++)
		heap[i] = pattern(i, 1);
	for (i = 0; i < MAP_WORDS; i++)
		map[i] = pattern(i, 2);
	set_xmm15(MAGIC);
	for (;;) {
		nanosleep(&ts, NULL);
		if (!check_now)
			continue;
		if (get_xmm15() != MAGIC)
			_exit(10);
		for (i = 0; i < HEAP_WORDS; i++)
			if (heap[i] != pattern(i, 1))
				_exit(11);
		for (i = 0; i < MAP_WORDS; i += 512)
			if (map[i] != pattern(i, 2))
				_exit(12);
		_exit(bad ? 13 : 0);
	}
}

#define NTHREADS 8

static __thread uint64_t tls_me;
static volatile int threads_go;
static volatile int thread_ok[NTHREADS];

static void *thread_body(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	uint64_t i = (uintptr_t)arg;

	tls_me = i * 1000 + 7;
	set_xmm15(MAGIC + i);
	while (!threads_go)
		nanosleep(&ts, NULL);
	thread_ok[i] = tls_me == i * 1000 + 7 && get_xmm15() == MAGIC + i;
	return NULL;
}

/*
 * 8 threads (the main one included), each with its own TLS value and
 * xmm15; after restore each checks its own, and the main thread joins them
 * (the restored clear_child_tid and futex wake at thread exit).
 */
static void threads_workload(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	pthread_t th[NTHREADS];
	struct stat st;
	int log, i, ok = 1;

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	for (i = 1; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, thread_body, (void *)(uintptr_t)i))
			_exit(30);
	tls_me = 7;
	set_xmm15(MAGIC);
	report(log, "ready", 0);
	while (stat(GO, &st))
		nanosleep(&ts, NULL);
	threads_go = 1;
	for (i = 1; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		ok &= thread_ok[i];
	}
	ok &= tls_me == 7 && get_xmm15() == MAGIC;
	report(log, ok ? "PASS" : "FAIL", ok);
	_exit(!ok);
}


#define MAPPED_FILE	"/tmp/rs-mapped"
#define MAPPED_WORDS	8192		/* 64 KiB */
#define X87_CW		0x0e7f		/* round toward zero, 64-bit precision */
#define MXCSR		(0x1f80 | 0x6000)	/* masked, round toward zero */

static volatile int avx_go;
static volatile uint64_t avx_seen;

/*
 * An AVX thread in pure assembly: all of ymm15 set, then raw nanosleep
 * system calls (no libc: its string functions' vzeroupper would clear the
 * upper halves) until told to report the upper half it still has.
 */
static void *avx_thread(void *arg)
{
	static const uint64_t magic = MAGIC;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	uint64_t upper;

	__asm__ volatile("vbroadcastsd %0, %%ymm15" : : "m"(magic) : "xmm15");
	while (!avx_go)
		__asm__ volatile("syscall" : : "a"(SYS_nanosleep), "D"(&ts), "S"(0)
				 : "rcx", "r11", "memory");
	__asm__ volatile("vextractf128 $1, %%ymm15, %%xmm14\n\t"
			 "vmovq %%xmm14, %0" : "=r"(upper) : : "xmm14");
	avx_seen = upper;
	return NULL;
}

/* A read-only private mapping of a file, its descriptor, and FPU control. */
static void mapped_workload(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	uint64_t words[MAPPED_WORDS], *map, i;
	uint16_t cw = X87_CW, cw_now;
	uint32_t mxcsr = MXCSR, mxcsr_now;
	bool avx = __builtin_cpu_supports("avx");
	pthread_t th;
	struct stat st;
	int log, f, ret = 0;

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	for (i = 0; i < MAPPED_WORDS; i++)
		words[i] = pattern(i, 3);
	f = open(MAPPED_FILE, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (log < 0 || f < 0 || write(f, words, sizeof(words)) != sizeof(words))
		_exit(40);
	close(f);
	f = open(MAPPED_FILE, O_RDONLY);
	map = mmap(NULL, sizeof(words), PROT_READ, MAP_PRIVATE, f, 0);
	if (f < 0 || map == MAP_FAILED || (avx && pthread_create(&th, NULL, avx_thread, NULL)))
		_exit(41);
	__asm__ volatile("fldcw %0" : : "m"(cw));
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	set_xmm15(MAGIC);
	report(log, avx ? "ready avx" : "ready", 0);
	while (stat(GO, &st))
		nanosleep(&ts, NULL);
	__asm__ volatile("fnstcw %0" : "=m"(cw_now));
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr_now));
	if (cw_now != X87_CW)
		ret = 1;
	else if ((mxcsr_now & ~0x3fU) != (MXCSR & ~0x3fU))
		ret = 2;
	else if (get_xmm15() != MAGIC)
		ret = 3;
	for (i = 0; !ret && i < MAPPED_WORDS; i++)
		if (map[i] != pattern(i, 3))
			ret = 4;
	if (!ret && (pread(f, words, 8, 8 * 100) != 8 || words[0] != pattern(100, 3)))
		ret = 5;
	if (!ret && avx) {
		avx_go = 1;
		pthread_join(th, NULL);
		if (avx_seen != MAGIC)
			ret = 6;
	}
	report(log, ret ? "FAIL" : "PASS", ret);
	_exit(ret);
}

#define BIG_PAGES	(256 * 1024)	/* 1 GiB of 4 KiB pages */

/* 1 GiB of anonymous memory, every page present and different. */
static void big_workload(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	uint64_t *mem, i, bad = 0;
	struct stat st;
	int log;

	close_range(0, ~0U, 0);
	setsid();
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	mem = mmap(NULL, BIG_PAGES * 4096UL, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (log < 0 || mem == MAP_FAILED)
		_exit(50);
	for (i = 0; i < BIG_PAGES; i++) {
		mem[i * 512] = pattern(i, 4);
		mem[i * 512 + 511] = ~pattern(i, 4);
	}
	report(log, "ready", 0);
	while (stat(GO, &st))
		nanosleep(&ts, NULL);
	for (i = 0; i < BIG_PAGES; i++)
		if (mem[i * 512] != pattern(i, 4) || mem[i * 512 + 511] != ~pattern(i, 4))
			bad++;
	report(log, bad ? "FAIL" : "PASS", bad);
	_exit(!!bad);
}


/* tty_workload()'s terminal settings: no echo, VTIME 0.7 s, 10x5. */
#define TTY_VTIME	7
static const struct winsize tty_ws = { .ws_row = 5, .ws_col = 10 };

/*
 * Its standard descriptors are the terminal named by CKPT_RS_TTY (not
 * its controlling terminal), with echo off, a VTIME and a window size.
 */
static void tty_workload(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	const char *tty = getenv("CKPT_RS_TTY");
	struct termios tio;
	struct stat st;
	int log, t;

	close_range(0, ~0U, 0);
	setsid();
	t = tty ? open(tty, O_RDWR | O_NOCTTY) : -1;
	if (t != 0 || dup(0) != 1 || dup(0) != 2 || tcgetattr(0, &tio))
		_exit(60);
	tio.c_lflag &= ~ECHO;
	tio.c_cc[VTIME] = TTY_VTIME;
	if (tcsetattr(0, TCSANOW, &tio) || ioctl(0, TIOCSWINSZ, &tty_ws))
		_exit(62);
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	report(log, "ready", 0);
	while (stat(GO, &st))
		nanosleep(&ts, NULL);
	if (write(1, "PASS on the terminal\n", 21) != 21)
		_exit(61);
	report(log, "PASS", 0);
	_exit(0);
}

/* The pty workload's terminal: raw, no echo, VMIN 0 and VTIME 5 s, 111x33. */
#define PTY_VTIME	50
static const struct winsize pty_ws = { .ws_row = 33, .ws_col = 111, .ws_xpixel = 7,
				       .ws_ypixel = 9 };

static bool pty_settings_are_ours(int fd)
{
	struct winsize ws;
	struct termios t;

	return !tcgetattr(fd, &t) && !(t.c_lflag & (ECHO | ICANON | ISIG)) &&
	       !(t.c_iflag & (ICRNL | IXON)) && t.c_cc[VMIN] == 0 &&
	       t.c_cc[VTIME] == PTY_VTIME && !ioctl(fd, TIOCGWINSZ, &ws) &&
	       !memcmp(&ws, &pty_ws, sizeof(ws));
}

/*
 * The foreground child: its group owns the terminal; it reads the line
 * the test writes into the master, in raw mode (VTIME-timed reads), and
 * writes it back.
 */
static int pty_reader(void)
{
	char line[64] = "echo:", *p = line + 5;
	int i;

	wait_for_path(GO);
	if (tcgetpgrp(0) != getpgrp())
		return 1;
	for (i = 0; i < 10 && !memchr(line, '\n', p - line); i++) {
		ssize_t n = read(0, p, line + sizeof(line) - 1 - p);

		if (n < 0)
			return 2;
		p += n;
	}
	if (!memchr(line, '\n', p - line))
		return 3;
	return write(1, line, p - line) == p - line ? 0 : 4;
}

/*
 * A session leader whose controlling terminal is the pty slave named by
 * CKPT_RS_TTY, in raw mode with a window size, and whose foreground
 * process group is its child's. Restored, it checks its own view: session,
 * terminal settings, foreground group, /dev/tty; the child reads and
 * writes the terminal.
 */
static void pty_workload(void)
{
	const char *tty = getenv("CKPT_RS_TTY");
	struct termios t;
	int log, fd, st = -1, bad = 0;
	pid_t child, sid = 0;

	close_range(0, ~0U, 0);
	setsid();
	/* Without O_NOCTTY: the session leader's first terminal becomes its own. */
	if (!tty || open(tty, O_RDWR) != 0 || dup(0) != 1 || dup(0) != 2)
		_exit(60);
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	tcgetattr(0, &t);
	t.c_lflag &= ~(ECHO | ICANON | ISIG | IEXTEN);
	t.c_iflag &= ~(ICRNL | IXON);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = PTY_VTIME;
	if (tcsetattr(0, TCSANOW, &t) || ioctl(0, TIOCSWINSZ, &pty_ws))
		_exit(62);
	child = fork();
	if (child == 0) {
		setpgid(0, 0);
		_exit(pty_reader());
	}
	if (child < 0 || (setpgid(child, child) && errno != EACCES) || tcsetpgrp(0, child))
		_exit(63);
	/* A description of /dev/tty held across the checkpoint, non-blocking. */
	fd = open("/dev/tty", O_RDWR | O_NONBLOCK);
	if (fd < 0 || dup2(fd, 7) != 7 || (fd != 7 && close(fd)))
		_exit(64);
	report(log, "ready", 0);
	wait_for_path(GO);
	bad |= (getsid(0) != getpid()) << 0;
	bad |= !pty_settings_are_ours(0) << 1;
	bad |= (tcgetpgrp(0) != child) << 2;
	/* /dev/tty is its controlling terminal: this session's, this pty. */
	fd = open("/dev/tty", O_RDWR);
	bad |= (fd < 0 || ioctl(fd, TIOCGSID, &sid) || sid != getpid() ||
		!pty_settings_are_ours(fd)) << 3;
	waitpid(child, &st, 0);
	bad |= !(WIFEXITED(st) && !WEXITSTATUS(st)) << 4;
	/* The held /dev/tty: still /dev/tty, of this session's terminal, flags kept. */
	{
		char link[32] = "";
		ssize_t n = readlink("/proc/self/fd/7", link, sizeof(link) - 1);

		sid = 0;
		bad |= (n != 8 || strncmp(link, "/dev/tty", 8) || ioctl(7, TIOCGSID, &sid) ||
			sid != getpid() || !pty_settings_are_ours(7) ||
			!(fcntl(7, F_GETFL) & O_NONBLOCK)) << 5;
	}
	report(log, bad ? "FAIL" : "PASS", bad | (st & 0xffff) << 8);
	_exit(!!bad);
}

/*
 * A shell's job: this process leads a session on the terminal named by
 * CKPT_RS_TTY (its controlling terminal) like a shell, and puts a child
 * in a process group of its own in the terminal's foreground; "ready N"
 * names the child, the job to checkpoint. Restored, the job checks it is
 * its terminal's foreground, reads a line from it (a background read
 * fails: SIGTTIN is ignored) and writes it back.
 */
static void job_workload(void)
{
	const char *tty = getenv("CKPT_RS_TTY");
	char line[64] = "job got: ", *p = line + 9;
	int log, bad = 0;
	ssize_t n;
	pid_t job;

	close_range(0, ~0U, 0);
	setsid();
	if (!tty || open(tty, O_RDWR) != 0 || dup(0) != 1 || dup(0) != 2)
		_exit(60);
	log = open(LOG, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	job = fork();
	if (job > 0) {
		if ((setpgid(job, job) && errno != EACCES) || tcsetpgrp(0, job))
			_exit(63);
		report(log, "ready", job);
		pause();
		_exit(0);
	}
	setpgid(0, 0);
	signal(SIGTTIN, SIG_IGN);
	wait_for_path(GO);
	bad |= (tcgetpgrp(0) != getpgrp()) << 0;
	n = read(0, p, line + sizeof(line) - 1 - p);
	bad |= (n <= 0) << 1;
	p += n > 0 ? n : 0;
	bad |= (write(1, line, p - line) != p - line) << 2;
	report(log, bad ? "FAIL" : "PASS", bad);
	_exit(!!bad);
}

/*
 * Run as the workload when exec'd with CKPT_RS_WORKLOAD set: an exec'd
 * program has its own address-space layout (vdso included), unlike a fork
 * of the process that restores it.
 */
__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_RS_WORKLOAD");

	if (w && !strcmp(w, "memory"))
		workload();
	if (w && !strcmp(w, "state"))
		state_workload(false);
	if (w && !strcmp(w, "deleted"))
		state_workload(true);
	if (w && !strcmp(w, "reboot"))
		reboot_workload();
	if (w && !strcmp(w, "threads"))
		threads_workload();
	if (w && !strcmp(w, "mapped"))
		mapped_workload();
	if (w && !strcmp(w, "big"))
		big_workload();
	if (w && !strcmp(w, "tty"))
		tty_workload();
	if (w && !strcmp(w, "pty"))
		pty_workload();
	if (w && !strcmp(w, "job"))
		job_workload();
}

static pid_t start_exec_workload(const char *kind)
{
	return exec_self_as("CKPT_RS_WORKLOAD", kind);
}

/* Wait up to @ms for @what in the workload's log; 0 or -1. */
static int wait_for_line(const char *what, int ms)
{
	return log_wait(LOG, what, 1, ms);
}

/* /proc of the workload just before its checkpoint (each test is a process). */
static struct ps_snap before;

/*
 * Start workload @kind, checkpoint its process group (or with
 * LIBCKPT_F_SESSION in @flags its session) into AREA, kill it all.
 */
static pid_t checkpoint_group_and_kill(struct __test_metadata *_metadata,
				       const char *kind, unsigned int flags)
{
	struct libckpt_freeze_opts fo = { .flags = flags };
	bool big = !strcmp(kind, "big");
	struct libckpt_job job, done;
	struct libckpt *h;
	pid_t pid, started, pids[8] = { 0 };
	char err[256];
	int fd, n = 1, i;

	unlink(GO);
	unlink(AREA);
	unlink(LOG);
	started = start_exec_workload(kind);
	EXPECT_EQ(0, wait_for_line("ready", big ? 120000 : 10000));
	/* "ready N": the workload made process N to checkpoint. */
	if (read_text(LOG, err, sizeof(err)) < 0 || sscanf(err, "ready %d", &pid) != 1 || !pid)
		pid = started;
	EXPECT_EQ(0, libckpt_area_create(AREA, big ? 1100ULL << 20 : 128 << 20,
					 err, sizeof(err)));
	fd = open(AREA, O_RDWR);
	pids[0] = pid;
	if (flags & LIBCKPT_F_SESSION)
		n = ps_session_pids(pid, pids, 8);
	EXPECT_LT(0, n);
	EXPECT_EQ(0, ps_take_idle(&before, pids, n, PS_SETTLE_MS));
	EXPECT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(0, libckpt_freeze_with(h, pid, fd, &fo, &job)) TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(0, libckpt_wait(h, job.id, &done));
	EXPECT_EQ(CKPT_JOB_COMMITTED, done.state);
	libckpt_close(h);
	close(fd);
	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	if (started != pid)
		kill(started, SIGKILL);
	waitpid(started, NULL, 0);
	return pid;
}

static pid_t checkpoint_and_kill(struct __test_metadata *_metadata,
				 const char *kind)
{
	return checkpoint_group_and_kill(_metadata, kind, 0);
}

/* A tampered image is refused before anything is restored. */
TEST(tampered_image_refused)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char err[LIBCKPT_ERRLEN];
	int status, fd;
	pid_t pid, got;
	char c;

	pid = checkpoint_and_kill(_metadata, "memory");
	fd = open(AREA, O_RDWR);
	ASSERT_LE(0, fd);
	/* One byte in the middle of the first generation's page data. */
	ASSERT_EQ(1, pread(fd, &c, 1, CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE + (8 << 20)));
	c ^= 0x40;
	ASSERT_EQ(1, pwrite(fd, &c, 1, CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE + (8 << 20)));
	close(fd);
	EXPECT_GT(0, libckpt_restore(AREA, &o, &got, &status, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "checksum mismatch")) TH_LOG("%s", err);
	EXPECT_NE(0, kill(pid, 0)) TH_LOG("something was restored");
	unlink(AREA);
}

/* Restoring while the original still holds the pid is a clear error. */
TEST(taken_pid_refused)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	struct libckpt_job job, done;
	char err[LIBCKPT_ERRLEN], want[64];
	struct libckpt *h;
	int status, fd;
	pid_t pid, got;

	unlink(AREA);
	pid = fork();
	if (pid == 0)
		workload();
	ASSERT_EQ(0, wait_for_line("ready", 10000));
	ASSERT_EQ(0, libckpt_area_create(AREA, 128 << 20, err, sizeof(err)));
	fd = open(AREA, O_RDWR);
	ASSERT_EQ(0, libckpt_open(&h));
	ASSERT_EQ(0, libckpt_freeze(h, pid, fd, 0, &job));
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	libckpt_close(h);
	close(fd);
	EXPECT_GT(0, libckpt_restore(AREA, &o, &got, &status, err, sizeof(err)));
	snprintf(want, sizeof(want), "pid %d is taken", pid);
	EXPECT_NE(NULL, strstr(err, want)) TH_LOG("%s", err);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(AREA);
}

/*
 * After SIGKILL, the restored process (an exec'd program: its vdso moves to
 * the recorded address) has the same pid, finds its memory (malloc'd heap,
 * a mapping, memory grown with sbrk, an 8 MiB THP region, 4 MiB of stack
 * frames below the frozen nanosleep), its xmm15 and its log descriptor
 * intact, resumes its interrupted nanosleep, and says PASS.
 */
TEST(restore_after_kill)
{
	char err[LIBCKPT_ERRLEN];
	int status = -1;
	pid_t pid, got = 0;

	pid = checkpoint_and_kill(_metadata, "memory");
	ASSERT_EQ(0, restore_and_check(_metadata, &before, GO, AREA, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(pid, got);
	EXPECT_EQ(0, wait_for_line("PASS", 1000)) TH_LOG("no PASS in " LOG);
	unlink(AREA);
	unlink(GO);
}

/*
 * Checkpoint the @kind workload, SIGKILL it, restore it with its pid and
 * let it check itself: it must exit 0 and say PASS.
 */
static void expect_restored_pass(struct __test_metadata *_metadata, const char *kind)
{
	char err[LIBCKPT_ERRLEN];
	int status = -1;
	pid_t pid, got = 0;

	pid = checkpoint_and_kill(_metadata, kind);
	ASSERT_EQ(0, restore_and_check(_metadata, &before, GO, AREA, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(pid, got);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("check %d failed", WEXITSTATUS(status));
	EXPECT_EQ(0, wait_for_line("PASS", 1000));
	unlink(AREA);
	unlink(GO);
}

/*
 * The restored process finds its umask, cwd, rlimits, SIGUSR1 handler
 * (which runs and returns through the restored restorer), blocked and
 * pending SIGUSR2, altstack, the bytes still in its pipe and its file
 * offset — checked by itself.
 */
TEST(state_restored)
{
	expect_restored_pass(_metadata, "state");
	unlink(STATE_FILE);
}

/* A process of 8 threads comes back whole: tids, TLS, FPU, joinable. */
TEST(threads_restored)
{
	expect_restored_pass(_metadata, "threads");
}

#define CKPTCTL "/usr/bin/ckptctl"
#define IMG "/tmp/rs-image"

/* Start the memory workload and `ckptctl dump` it into IMG with @opts. */
static pid_t ckptctl_dump_memory(struct __test_metadata *_metadata,
				 const char *opts, char *out, size_t size)
{
	char cmd[256];
	pid_t pid;

	unlink(GO);
	unlink(LOG);
	pid = start_exec_workload("memory");
	EXPECT_EQ(0, wait_for_line("ready", 10000));
	EXPECT_EQ(0, ps_take_idle(&before, &pid, 1, PS_SETTLE_MS));
	snprintf(cmd, sizeof(cmd), CKPTCTL " dump %d -o " IMG " %s 2>&1", pid, opts);
	EXPECT_EQ(0, run_cmd(cmd, out, size)) TH_LOG("%s", out);
	return pid;
}

/*
 * The memory workload, restored by ckptctl (not our child) as @pid: /proc
 * as before the checkpoint; told to go on, it checks itself and says PASS.
 */
static void expect_restored_checks_itself(struct __test_metadata *_metadata, pid_t pid)
{
	char *report;
	int i, diffs;

	diffs = ps_expect_same(&before, NULL, 0, ps_scope(_metadata->name), PS_SETTLE_MS, &report);
	EXPECT_PROC_SAME(diffs, report);
	close(open(GO, O_CREAT | O_WRONLY, 0600));
	EXPECT_EQ(0, wait_for_line("PASS", 30000)) TH_LOG("no PASS in " LOG);
	for (i = 0; i < 100 && !kill(pid, 0); i++)
		usleep(50000);
}

/*
 * ckptctl dump -o FILE --kill, then the image through a pipe into
 * ckptctl restore -: the migration path on one machine. The restored
 * process checks itself and says PASS.
 */
TEST(dump_kill_restore_from_stdin)
{
	char out[4096], want[64];
	pid_t pid;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	pid = ckptctl_dump_memory(_metadata, "--kill", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "written to " IMG)) TH_LOG("%s", out);
	/* --kill killed it; reap it so its pid is free again. */
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	ASSERT_EQ(0, run_cmd("cat " IMG " | " CKPTCTL " restore - 2>&1", out, sizeof(out)))
		TH_LOG("%s", out);
	snprintf(want, sizeof(want), "restored pid %d", pid);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	expect_restored_checks_itself(_metadata, pid);
	unlink(IMG);
	unlink(GO);
}

/*
 * ckptctl dump -o - streams through a real pipe (no temporary copy) into
 * ckptctl show -, which verifies it as a stream; without --kill the
 * process runs on.
 */
TEST(dump_to_pipe)
{
	char cmd[256], out[8192], want[64];
	pid_t pid;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	unlink(LOG);
	pid = start_exec_workload("memory");
	ASSERT_EQ(0, wait_for_line("ready", 10000));
	snprintf(cmd, sizeof(cmd), CKPTCTL " dump %d -o - 2>/dev/null | " CKPTCTL " show - 2>&1",
		 pid);
	ASSERT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "%7d", pid);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "generation:        standalone")) TH_LOG("%s", out);
	EXPECT_EQ(0, kill(pid, 0)) TH_LOG("the process did not run on");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

#define DEFAULT_DIR	"/tmp/rs-default"
#define DEFAULT_PATH	DEFAULT_DIR "/ckpt/default.area"

/*
 * ckptctl freeze <pgid> without --area makes the default area ($CKPT_AREA,
 * with its directories) for twice the group's memory, and ckptctl restore
 * <pgid> restores the group's generation from it: same pid, same /proc, and
 * the process checks itself. A group the area does not hold is refused,
 * naming the area and the groups it holds.
 */
TEST(freeze_default_area_restore_pgid)
{
	char cmd[256], out[4096], want[160];
	struct stat st;
	pid_t pid;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	ASSERT_EQ(0, system("rm -rf " DEFAULT_DIR));
	ASSERT_EQ(0, setenv("CKPT_AREA", DEFAULT_PATH, 1));
	unlink(GO);
	unlink(LOG);
	pid = start_exec_workload("memory");
	ASSERT_EQ(0, wait_for_line("ready", 10000));
	ASSERT_EQ(0, ps_take_idle(&before, &pid, 1, PS_SETTLE_MS));
	/* --wa: an unambiguous abbreviation of --wait. */
	snprintf(cmd, sizeof(cmd), CKPTCTL " freeze %d --wa --json 2>&1", pid);
	ASSERT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "created the default area " DEFAULT_PATH)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"state\": \"committed\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"area\": \"" DEFAULT_PATH "\"")) TH_LOG("%s", out);
	TH_LOG("as a user sees it: %.*s", (int)strcspn(out, "\n"), out);
	ASSERT_EQ(0, stat(DEFAULT_PATH, &st));
	/* The workload holds 56 MiB of its own (48 at least): two images, slack. */
	EXPECT_LE(2 * ((48LL + 16) << 20), st.st_size);
	EXPECT_EQ(0, st.st_size % (1 << 20));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));

	EXPECT_EQ(1, run_cmd(CKPTCTL " restore 4000000 2>&1", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "the area " DEFAULT_PATH
			       " holds no committed generation of process group 4000000"))
		TH_LOG("%s", out);
	snprintf(want, sizeof(want), "its generations: 1 (pgid %d)", pid);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);

	snprintf(cmd, sizeof(cmd), CKPTCTL " restore %d --json 2>&1", pid);
	ASSERT_EQ(0, run_cmd(cmd, out, sizeof(out))) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "{\"pid\": %d, \"image\": \"" DEFAULT_PATH ":1\"", pid);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	expect_restored_checks_itself(_metadata, pid);
	unsetenv("CKPT_AREA");
	system("rm -rf " DEFAULT_DIR);
	unlink(GO);
}

/*
 * An open file deleted after the checkpoint: refused, naming fd and path
 * (one deleted before it is carried in the image: files_test).
 */
TEST(deleted_file_refused)
{
	char err[LIBCKPT_ERRLEN];
	int status = -1;
	pid_t pid, got = 0;

	pid = checkpoint_and_kill(_metadata, "deleted");
	ASSERT_EQ(0, unlink(STATE_FILE));
	EXPECT_GT(0, restore_and_check(_metadata, &before, GO, AREA, &got, &status, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, STATE_FILE)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "No such file")) TH_LOG("%s", err);
	EXPECT_NE(0, kill(pid, 0)) TH_LOG("something was restored");
	unlink(AREA);
	unlink(GO);
	unlink(STATE_FILE);
}

/* A private file mapping, its descriptor, x87/SSE control and AVX state. */
TEST(mapped_file_and_fpu_restored)
{
	expect_restored_pass(_metadata, "mapped");
	TH_LOG("AVX upper halves %s",
	       wait_for_line("ready avx", 50) ? "not checked (no AVX)" : "checked");
	unlink(MAPPED_FILE);
}

/* The mapped file changed in place (same inode): refused, naming it. */
TEST(changed_mapped_file_refused)
{
	char err[LIBCKPT_ERRLEN];
	uint64_t other = 42;
	int status = -1, f;
	pid_t pid, got = 0;

	pid = checkpoint_and_kill(_metadata, "mapped");
	f = open(MAPPED_FILE, O_WRONLY);
	ASSERT_LE(0, f);
	ASSERT_EQ(8, pwrite(f, &other, 8, 0));
	close(f);
	EXPECT_GT(0, restore_and_check(_metadata, &before, GO, AREA, &got, &status, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, MAPPED_FILE)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "changed since the checkpoint")) TH_LOG("%s", err);
	TH_LOG("refused: %s", err);
	EXPECT_NE(0, kill(pid, 0)) TH_LOG("something was restored");
	unlink(AREA);
	unlink(GO);
	unlink(MAPPED_FILE);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(big) {
};

FIXTURE_SETUP(big)
{
}

FIXTURE_TEARDOWN(big)
{
}

/* 1 GiB of anonymous memory, detached restore timed, self-checked. */
TEST_F_TIMEOUT(big, one_gib_restored, 400)
{
	struct libckpt_restore_opts o = { 0 };
	char err[LIBCKPT_ERRLEN], *report;
	int status = -1, i, diffs;
	pid_t pid, got = 0;
	double t0, t1;

	pid = checkpoint_and_kill(_metadata, "big");
	unlink(GO);
	t0 = now_s();
	ASSERT_EQ(0, libckpt_restore(AREA, &o, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	t1 = now_s();
	TH_LOG("restore of the 1 GiB process took %.2f s (image read, verified, memory filled)",
	       t1 - t0);
	EXPECT_EQ(pid, got);
	diffs = ps_expect_same(&before, NULL, 0, ps_scope(_metadata->name), PS_SETTLE_MS, &report);
	EXPECT_PROC_SAME(diffs, report);
	close(open(GO, O_CREAT | O_WRONLY, 0600));
	EXPECT_EQ(0, wait_for_line("PASS", 60000)) TH_LOG("no PASS in " LOG);
	for (i = 0; i < 200 && !kill(pid, 0); i++)
		usleep(50000);
	unlink(AREA);
	unlink(GO);
}

FIXTURE(stall) {
};

FIXTURE_SETUP(stall)
{
	ASSERT_EQ(0, param_set("restore_stall_s", 2));
}

FIXTURE_TEARDOWN(stall)
{
	param_set("fault_fill_delay_ms", 0);
	param_set("restore_stall_s", 30);
	unlink(AREA);
	unlink(GO);
}

/*
 * A restore's waits end on lack of progress, not on a fixed time: with
 * restore_stall_s at 2, a fill that stops for 5 s fails, naming the thread
 * and what it waited for, and leaves no process behind; the same image
 * filled slowly (a MiB every 150 ms, seconds in all) is restored whole.
 */
TEST_F_TIMEOUT(stall, slow_fill_restored_stalled_fill_refused, 300)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char err[LIBCKPT_ERRLEN];
	int status = -1;
	pid_t pid, got = 0;
	double t0, took;

	pid = checkpoint_and_kill(_metadata, "memory");
	ASSERT_EQ(0, param_set("fault_fill_delay_ms", 5000));
	EXPECT_GT(0, libckpt_restore(AREA, &o, &got, &status, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "no restore progressed for 2 s")) TH_LOG("%s", err);
	TH_LOG("the stalled restore: %s", err);
	EXPECT_NE(0, kill(pid, 0)) TH_LOG("pid %d was left behind", pid);

	ASSERT_EQ(0, param_set("fault_fill_delay_ms", 150));
	t0 = now_s();
	ASSERT_EQ(0, restore_and_check(_metadata, &before, GO, AREA, &got, &status, err, sizeof(err)))
		TH_LOG("%s", err);
	took = now_s() - t0;
	TH_LOG("the slow restore took %.1f s", took);
	EXPECT_LT(4.0, took);
	EXPECT_EQ(pid, got);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, wait_for_line("PASS", 1000)) TH_LOG("no PASS in " LOG);
}

/* Freeze @pid into AREA as its next generation; the superblock after. */
static struct ckpt_area_sb freeze_into_area(struct __test_metadata *_metadata, pid_t pid)
{
	struct libckpt_job job, done;
	struct ckpt_area_sb sb = { 0 };
	char err[LIBCKPT_ERRLEN];
	struct libckpt *h;
	int fd;

	fd = open(AREA, O_RDWR);
	EXPECT_EQ(0, libckpt_open(&h));
	EXPECT_EQ(0, libckpt_freeze(h, pid, fd, 0, &job)) TH_LOG("%s", libckpt_error(h));
	EXPECT_EQ(0, libckpt_wait(h, job.id, &done));
	EXPECT_EQ(CKPT_JOB_COMMITTED, done.state);
	libckpt_close(h);
	EXPECT_EQ(0, libckpt_area_read(fd, &sb, err, sizeof(err))) TH_LOG("%s", err);
	close(fd);
	return sb;
}

static const struct ckpt_area_slot *newest(const struct ckpt_area_sb *sb)
{
	int i = libckpt_area_find(sb, 0);

	return i < 0 ? NULL : &sb->slots[i];
}

/*
 * An area generation is refused, and none of it runs, if a checkpoint into
 * the same area overwrites it while the restore fills memory from it:
 * the first of three generations, restored slowly, loses its place to a
 * fourth checkpoint in an area with room for three and a half images. The
 * newest generation starts two images in, so the fourth lands at the start
 * of the area even when its image is somewhat larger than the first one's.
 */
TEST_F_TIMEOUT(stall, generation_replaced_during_restore_refused, 300)
{
	struct libckpt_restore_opts o = { 0 };
	char err[LIBCKPT_ERRLEN] = "", spec[64];
	struct ckpt_area_sb sb;
	uint64_t len, gen;
	pid_t pid, other, restorer, got;
	int status = 0, p[2], i, ret;

	unlink(AREA);
	unlink(LOG);
	pid = start_exec_workload("memory");
	ASSERT_EQ(0, wait_for_line("ready", 10000));
	ASSERT_EQ(0, libckpt_area_create(AREA, 256 << 20, err, sizeof(err)));
	sb = freeze_into_area(_metadata, pid);
	ASSERT_NE(NULL, newest(&sb));
	len = newest(&sb)->length;
	unlink(AREA);
	ASSERT_EQ(0, libckpt_area_create(AREA, sb.data_offset + len * 7 / 2, err,
					 sizeof(err)));
	sb = freeze_into_area(_metadata, pid);
	ASSERT_NE(NULL, newest(&sb));
	gen = newest(&sb)->generation;
	freeze_into_area(_metadata, pid);
	freeze_into_area(_metadata, pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	ASSERT_EQ(0, param_set("fault_fill_delay_ms", 300));
	ASSERT_EQ(0, pipe(p));
	restorer = fork();
	if (restorer == 0) {
		snprintf(spec, sizeof(spec), "%s:%llu", AREA, (unsigned long long)gen);
		ret = libckpt_restore(spec, &o, &got, &status, err, sizeof(err));
		if (write(p[1], err, sizeof(err)) != sizeof(err))
			_exit(2);
		_exit(ret ? 1 : 0);
	}
	close(p[1]);
	/* Its process exists once the tree is made, before the fill. */
	for (i = 0; i < 400 && kill(pid, 0); i++)
		usleep(50000);
	EXPECT_EQ(0, kill(pid, 0)) TH_LOG("the restore did not start");
	unlink(LOG);
	other = start_exec_workload("memory");
	EXPECT_EQ(0, wait_for_line("ready", 10000));
	sb = freeze_into_area(_metadata, other);
	EXPECT_GT(0, libckpt_area_find(&sb, gen)) TH_LOG("generation %llu was not overwritten",
							 (unsigned long long)gen);
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);

	EXPECT_EQ(sizeof(err), read(p[0], err, sizeof(err)));
	close(p[0]);
	EXPECT_EQ(restorer, waitpid(restorer, &status, 0));
	EXPECT_EQ(1, WEXITSTATUS(status)) TH_LOG("the restore did not fail");
	EXPECT_NE(NULL, strstr(err, "was replaced while it was restored")) TH_LOG("%s", err);
	EXPECT_NE(0, kill(pid, 0)) TH_LOG("pid %d was left behind", pid);
	if (!kill(pid, 0))
		kill(pid, SIGKILL);
}

/*
 * dump --leave-stopped: the image is complete and the process stays
 * stopped in the checkpointed state; SIGCONT resumes it and it checks
 * itself.
 */
TEST(dump_leave_stopped)
{
	char out[4096], state;
	int status = -1, i;
	pid_t pid;

	if (access(CKPTCTL, X_OK))
		SKIP(return, "%s not installed", CKPTCTL);
	pid = ckptctl_dump_memory(_metadata, "--leave-stopped", out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "left stopped")) TH_LOG("%s", out);
	for (i = 0; i < 50 && (state = proc_state(pid)) != 'T'; i++)
		usleep(20000);
	EXPECT_EQ('T', state) TH_LOG("state %c", state ? state : '?');
	ASSERT_EQ(0, run_cmd(CKPTCTL " show " IMG " >/dev/null 2>&1", out, sizeof(out)));
	close(open(GO, O_CREAT | O_WRONLY, 0600));
	usleep(200000);
	EXPECT_EQ(-1, wait_for_line("PASS", 50)) TH_LOG("it ran while stopped");
	kill(pid, SIGCONT);
	EXPECT_EQ(0, wait_for_line("PASS", 30000));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("status 0x%x", status);
	unlink(IMG);
	unlink(GO);
}

/* Read what the terminal's master @m gets until @want shows, for 10 s. */
static char *read_master(int m, const char *want, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	fcntl(m, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 200 && !strstr(buf, want); i++) {
		ssize_t r = read(m, buf + n, len - 1 - n);

		if (r > 0)
			n += r;
		buf[n] = '\0';
		usleep(50000);
	}
	return strstr(buf, want);
}

/*
 * Restore AREA with @o (wait mode) in a child, whose standard descriptors
 * are @tty (with setsid(), its controlling terminal) if not NULL; it
 * exits with the restored root's status. Then compare /proc of the
 * restored processes and tell them to check themselves.
 */
static pid_t restore_in_child(struct __test_metadata *_metadata,
			      struct libckpt_restore_opts *o, const char *tty)
{
	char err[LIBCKPT_ERRLEN], *report;
	pid_t restorer, rpid, helper;
	int status = -1, fd, diffs;

	restorer = fork();
	if (restorer == 0) {
		int s;

		if (tty) {
			setsid();
			s = open(tty, O_RDWR);
			if (s < 0 || dup2(s, 0) < 0 || dup2(s, 1) < 0 || dup2(s, 2) < 0)
				_exit(70);
		}
		if (libckpt_restore(AREA, o, &rpid, &status, err, sizeof(err))) {
			fprintf(stderr, "# restore: %s\n", err);
			_exit(71);
		}
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 72);
	}
	helper = ps_check_async(&before, 0, ps_scope(_metadata->name), GO, &fd);
	EXPECT_LT(0, helper);
	diffs = ps_check_wait(helper, fd, false, &report);
	EXPECT_PROC_SAME(diffs, report);
	return restorer;
}

/* A pty master, its slave unlocked (ptsname()), or -1. */
static int open_master(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m >= 0 && (grantpt(m) || unlockpt(m))) {
		close(m);
		m = -1;
	}
	return m;
}

/* The restored tree (its root) ended well, and its log says PASS. */
static void expect_tree_passed(struct __test_metadata *_metadata, pid_t restorer)
{
	char log[256];
	int st = -1;

	ASSERT_EQ(restorer, waitpid(restorer, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st)) TH_LOG("restorer status 0x%x", st);
	EXPECT_EQ(0, wait_for_line("PASS", 5000)) TH_LOG("log: %s",
							read_text(LOG, log, sizeof(log)) < 0 ? "" : log);
}

/*
 * --shell-job: the workload's terminal is gone after the checkpoint; the
 * restored process gets the caller's terminal on its descriptors 0-2 and
 * writes to it; the caller's terminal takes the workload's termios but
 * keeps its window size. Without --shell-job, the refusal names the
 * terminal.
 */
TEST(shell_job_gets_callers_terminal)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	struct winsize ws = { .ws_row = 40, .ws_col = 100 }, got_ws;
	char err[LIBCKPT_ERRLEN], buf[256];
	int m1, m2, s, status = -1, got = 0;
	pid_t pid, restorer, rpid;
	struct termios tio;

	m1 = open_master();
	m2 = open_master();
	ASSERT_LE(0, m1);
	ASSERT_LE(0, m2);
	setenv("CKPT_RS_TTY", ptsname(m1), 1);
	pid = checkpoint_and_kill(_metadata, "tty");
	close(m1);		/* its terminal is gone */
	EXPECT_GT(0, libckpt_restore(AREA, &o, &rpid, &status, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "--shell-job")) TH_LOG("%s", err);
	unlink(GO);
	o.shell_job = 1;
	ASSERT_EQ(0, ioctl(m2, TIOCSWINSZ, &ws));
	restorer = restore_in_child(_metadata, &o, ptsname(m2));
	s = open(ptsname(m2), O_RDWR | O_NOCTTY);
	EXPECT_EQ(0, tcgetattr(s, &tio));
	EXPECT_TRUE(!(tio.c_lflag & ECHO) && tio.c_cc[VTIME] == TTY_VTIME)
		TH_LOG("lflag 0%o VTIME %u", tio.c_lflag, tio.c_cc[VTIME]);
	EXPECT_EQ(0, ioctl(s, TIOCGWINSZ, &got_ws));
	EXPECT_EQ(0, memcmp(&ws, &got_ws, sizeof(ws))) TH_LOG("%ux%u", got_ws.ws_col, got_ws.ws_row);
	close(s);
	EXPECT_NE(NULL, read_master(m2, "PASS on the terminal", buf, sizeof(buf)))
		TH_LOG("terminal got '%s'", buf);
	ASSERT_EQ(restorer, waitpid(restorer, &got, 0));
	EXPECT_TRUE(WIFEXITED(got) && !WEXITSTATUS(got)) TH_LOG("restorer status 0x%x", got);
	EXPECT_NE(0, kill(pid, 0));
	close(m2);
	unlink(AREA);
	unlink(GO);
}

/*
 * A session leader on a pty slave, its controlling terminal, with its
 * child's group in the foreground and the terminal in raw mode with a
 * window size: restored (the slave reopened by path) after the settings
 * were reset, it has its terminal, settings, foreground group and
 * /dev/tty back (it checks itself, and /proc's tty_nr and tpgid are
 * compared); its child reads a line written into the master, which the
 * terminal does not echo, and writes it back. --shell-job cannot give
 * such a session the caller's terminal and says so.
 */
TEST(controlling_terminal_restored)
{
	struct libckpt_restore_opts o = { .wait = 1, .shell_job = 1 };
	char err[LIBCKPT_ERRLEN], buf[256], *slave;
	struct winsize zero = { 0 };
	struct termios sane;
	int m, s, status = -1;
	pid_t restorer, got = 0;

	m = open_master();
	ASSERT_LE(0, m);
	slave = ptsname(m);
	ASSERT_NE(NULL, slave);
	s = open(slave, O_RDWR | O_NOCTTY);
	ASSERT_EQ(0, tcgetattr(s, &sane));
	close(s);
	setenv("CKPT_RS_TTY", slave, 1);
	checkpoint_group_and_kill(_metadata, "pty", LIBCKPT_F_SESSION);
	/* Someone else's settings meanwhile: the restore must set its own. */
	s = open(slave, O_RDWR | O_NOCTTY);
	ASSERT_LE(0, s);
	EXPECT_TRUE(pty_settings_are_ours(s));
	EXPECT_EQ(0, tcsetattr(s, TCSANOW, &sane));
	EXPECT_EQ(0, ioctl(s, TIOCSWINSZ, &zero));
	EXPECT_FALSE(pty_settings_are_ours(s));
	close(s);

	EXPECT_GT(0, libckpt_restore(AREA, &o, &got, &status, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "--shell-job cannot give it the caller's terminal"))
		TH_LOG("%s", err);

	o.shell_job = 0;
	restorer = restore_in_child(_metadata, &o, NULL);
	/* Echo off: the master gets the child's answer, not the line back. */
	ASSERT_EQ(10, write(m, "hello tty\n", 10));
	EXPECT_NE(NULL, read_master(m, "\n", buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "echo:hello tty", 14)) TH_LOG("terminal got '%s'", buf);
	/* "FAIL N": N's bits 0-4 say which check of pty_workload() failed. */
	expect_tree_passed(_metadata, restorer);
	close(m);
	unlink(AREA);
	unlink(GO);
}

/*
 * --shell-job restores a shell's job into the caller's session: the job,
 * which was its terminal's foreground, is the caller's terminal's
 * foreground again (the caller had it), and reads a line from it.
 */
TEST(shell_job_keeps_foreground)
{
	struct libckpt_restore_opts o = { .wait = 1, .shell_job = 1 };
	char buf[256];
	pid_t restorer;
	int m1, m2;

	m1 = open_master();
	m2 = open_master();
	ASSERT_LE(0, m1);
	ASSERT_LE(0, m2);
	setenv("CKPT_RS_TTY", ptsname(m1), 1);
	checkpoint_and_kill(_metadata, "job");
	close(m1);
	restorer = restore_in_child(_metadata, &o, ptsname(m2));
	ASSERT_EQ(10, write(m2, "hello job\n", 10));
	EXPECT_NE(NULL, read_master(m2, "job got: hello job", buf, sizeof(buf)))
		TH_LOG("terminal got '%s'", buf);
	expect_tree_passed(_metadata, restorer);
	close(m2);
	unlink(AREA);
	unlink(GO);
}

/*
 * A session leader on a pty slave, its controlling terminal, that also
 * holds @what: 0 a descriptor of /dev/tty, 1 nothing of the terminal (its
 * descriptor closed), 2 a pty master. Reports on @ready, then waits.
 */
static pid_t tty_holder(const char *slave, int what, int ready)
{
	pid_t pid = fork();
	int s;

	if (pid)
		return pid;
	close_range(0, ready - 1, 0);
	close_range(ready + 1, ~0U, 0);
	setsid();
	s = open(slave, O_RDWR);
	if (s < 0 || (what == 1 && close(s)) ||
	    (what == 2 && posix_openpt(O_RDWR | O_NOCTTY) < 0))
		_exit(1);
	if (write(ready, "x", 1) != 1)
		_exit(2);
	pause();
	_exit(0);
}

/*
 * Refused before the freeze, naming the reason: a session leader whose
 * descriptors do not hold its controlling terminal, a pty master.
 */
TEST(terminals_restore_cannot_open_refused)
{
	static const char *const want[] = {
		[1] = "controlling terminal (device 136:",
		[2] = "pseudo-terminal master (/dev/ptmx): not supported",
	};
	struct libckpt_census census;
	struct libckpt *h;
	int m, p[2], i;
	pid_t pid;
	char c;

	m = open_master();
	ASSERT_LE(0, m);
	ASSERT_EQ(0, libckpt_open(&h));
	for (i = 1; i < 3; i++) {
		ASSERT_EQ(0, pipe(p));
		pid = tty_holder(ptsname(m), i, p[1]);
		ASSERT_LT(0, pid);
		close(p[1]);
		EXPECT_EQ(1, read(p[0], &c, 1)) TH_LOG("case %d did not start", i);
		close(p[0]);
		EXPECT_EQ(-EINVAL, libckpt_check(h, pid, &census)) TH_LOG("case %d", i);
		EXPECT_NE(NULL, strstr(libckpt_error(h), want[i]))
			TH_LOG("case %d: %s", i, libckpt_error(h));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	libckpt_close(h);
	close(m);
}

TEST_HARNESS_MAIN
