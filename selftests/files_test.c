// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Open file descriptions as the kernel has them. Each workload builds its
 * descriptors, is checkpointed, SIGKILLed and restored; then the restored
 * processes check their own view — offsets two processes share, status
 * flags (F_GETFL), close-on-exec, a pipe's and a named FIFO's buffered
 * bytes and capacity, a directory's readdir position, the contents of a
 * deleted file, an O_TMPFILE file and a memfd, a removed working
 * directory, the flock(), POSIX and OFD locks they hold — and report PASS
 * or FAIL with the number of the failed check.
 * Every restore also compares what /proc shows of the workload's processes
 * just before the checkpoint and once they are restored (proc_state.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "libckpt.h"
#include "test_util.h"

#define LOG	"/tmp/ft-log"
#define GO	"/tmp/ft-go"
#define AREA	"/tmp/ft-area"
#define FILE1	"/tmp/ft-file"
#define FILE2	"/tmp/ft-append"
#define FIFO	"/tmp/ft-fifo"
#define DIRP	"/tmp/ft-dir"
#define GHOST	"/tmp/ft-ghost"
#define BIG	"/tmp/ft-big"
#define CWD	"/tmp/ft-cwd"
#define LOCKF	"/tmp/ft-locks"
#define DNDIR	"/tmp/ft-dnotify"
#define NDIRENT	40
/* F_GETFL shows the kernel's O_LARGEFILE, which glibc defines as 0 here. */
#define LARGEFILE	0100000

static int log_fd = -1;

static void say(const char *what, long n)
{
	char line[96];
	int len = snprintf(line, sizeof(line), "%s %d %ld\n", what, getpid(), n);

	if (write(log_fd, line, len) != len)
		_exit(3);
}

static char byte_at(size_t i)
{
	return (char)('a' + i * 7 % 26);
}

static int write_pattern(int fd, size_t len)
{
	char buf[4096];
	size_t i, done, n;

	for (done = 0; done < len; done += n) {
		n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = byte_at(done + i);
		if (write(fd, buf, n) != (ssize_t)n)
			return -1;
	}
	return 0;
}

/* The next @len bytes at @fd's offset are the pattern from @from. */
static bool reads_pattern(int fd, size_t from, size_t len)
{
	char buf[4096];
	size_t i, done, n;

	for (done = 0; done < len; done += n) {
		n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		if (read(fd, buf, n) != (ssize_t)n)
			return false;
		for (i = 0; i < n; i++)
			if (buf[i] != byte_at(from + done + i))
				return false;
	}
	return true;
}

/* Open @path with @flags at descriptor @at, and only there. */
static int open_at(const char *path, int flags, int at)
{
	int fd = open(path, flags, 0600);

	if (fd < 0 || dup2(fd, at) != at)
		return -1;
	close(fd);
	return at;
}

static void finish(int code)
{
	say(code ? "FAIL" : "PASS", code);
	_exit(code);
}

static int getfl(int fd)
{
	return fcntl(fd, F_GETFL);
}

/* Names read from a directory descriptor by getdents64, a few at a time. */
static int read_names(int fd, char names[][32], int max, int *n, size_t bufsize)
{
	char buf[4096] __attribute__((aligned(8)));
	long got, off;

	got = syscall(SYS_getdents64, fd, buf, bufsize);
	if (got < 0)
		return -1;
	for (off = 0; off < got;) {
		struct dirent64 *d = (struct dirent64 *)(buf + off);

		if (*n < max && strlen(d->d_name) < 32)
			memcpy(names[(*n)++], d->d_name, strlen(d->d_name) + 1);
		off += d->d_reclen;
	}
	return (int)got;
}

/*
 * The shared workload: one process and its child share descriptions of
 * FILE1 (one inherited, one dup'ed close-on-exec), hold a second
 * description of it, FILE2 open O_APPEND | O_DSYNC, a pipe whose ends
 * differ in O_NONBLOCK (capacity raised, bytes buffered), both ends of a
 * named FIFO holding bytes, and a directory read part way.
 */
static char dir_before[NDIRENT + 2][32];
static int n_before;

static int check_parent(int sync_r)
{
	char buf[64];
	int i, j, n = n_before, got;

	/* The child read 50 bytes through the description we share. */
	if (read(sync_r, buf, 1) != 1)
		return 1;
	if (lseek(10, 0, SEEK_CUR) != 150 || lseek(11, 0, SEEK_CUR) != 150)
		return 2;
	if (lseek(12, 0, SEEK_CUR) != 7)
		return 3;
	if (fcntl(10, F_GETFD) != 0 || fcntl(11, F_GETFD) != FD_CLOEXEC)
		return 4;
	if (getfl(12) != (O_RDONLY | O_NONBLOCK | LARGEFILE))
		return 5;
	if (getfl(13) != (O_WRONLY | O_APPEND | O_DSYNC | LARGEFILE))
		return 6;
	if (getfl(14) != (O_RDONLY | O_NOATIME | LARGEFILE))
		return 7;
	/* The pipe: each end its own flags, its capacity, its bytes. */
	if (getfl(20) != (O_RDONLY | O_NONBLOCK) || getfl(21) != O_WRONLY)
		return 8;
	if (fcntl(20, F_GETPIPE_SZ) != 131072)
		return 9;
	if (read(20, buf, sizeof(buf)) != 8 || memcmp(buf, "pipedata", 8))
		return 10;
	/* The FIFO, by path, with its bytes. */
	if (getfl(30) != (O_RDONLY | O_NONBLOCK | LARGEFILE) ||
	    getfl(31) != (O_WRONLY | LARGEFILE))
		return 11;
	{
		struct stat a, b;

		if (fstat(30, &a) || stat(FIFO, &b) || a.st_ino != b.st_ino ||
		    !S_ISFIFO(a.st_mode))
			return 12;
	}
	if (read(30, buf, sizeof(buf)) != 8 || memcmp(buf, "fifodata", 8))
		return 13;
	if (write(31, "more", 4) != 4 || read(30, buf, 4) != 4 || memcmp(buf, "more", 4))
		return 14;
	/* The directory continues where it was. */
	do {
		got = read_names(40, dir_before, NDIRENT + 2, &n, 4096);
	} while (got > 0);
	if (got < 0 || n != NDIRENT + 2)
		return 15;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (!strcmp(dir_before[i], dir_before[j]))
				return 16;
	return 0;
}

static int check_child(int sync_w)
{
	char buf[64];

	if (!reads_pattern(10, 100, 50))
		return 31;
	if (write(sync_w, "x", 1) != 1)
		return 32;
	/* The pipe's write end is shared with the parent. */
	if (getfl(21) != O_WRONLY || getfl(20) != (O_RDONLY | O_NONBLOCK))
		return 33;
	(void)buf;
	return 0;
}

static void shared_workload(void)
{
	int p[2], sync[2], fd, i, code, st;
	char name[64];
	pid_t child;

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	fd = open(FILE1, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (log_fd < 0 || fd < 0 || write_pattern(fd, 8192))
		_exit(20);
	close(fd);
	if (open_at(FILE1, O_RDONLY, 10) != 10 || fcntl(10, F_DUPFD_CLOEXEC, 11) != 11 ||
	    open_at(FILE1, O_RDONLY | O_NONBLOCK, 12) != 12 ||
	    open_at(FILE2, O_WRONLY | O_CREAT | O_APPEND | O_DSYNC, 13) != 13 ||
	    open_at(FILE1, O_RDONLY | O_NOATIME, 14) != 14)
		_exit(21);
	if (!reads_pattern(10, 0, 100) || lseek(12, 7, SEEK_SET) != 7)
		_exit(22);
	if (pipe(p) || dup2(p[0], 20) != 20 || dup2(p[1], 21) != 21 ||
	    fcntl(20, F_SETFL, O_NONBLOCK) || fcntl(21, F_SETPIPE_SZ, 131072) < 0 ||
	    write(21, "pipedata", 8) != 8)
		_exit(23);
	unlink(FIFO);
	if (mkfifo(FIFO, 0600) || open_at(FIFO, O_RDONLY | O_NONBLOCK, 30) != 30 ||
	    open_at(FIFO, O_WRONLY, 31) != 31 || write(31, "fifodata", 8) != 8)
		_exit(24);
	mkdir(DIRP, 0700);
	for (i = 0; i < NDIRENT; i++) {
		snprintf(name, sizeof(name), DIRP "/entry-%02d", i);
		close(open(name, O_CREAT | O_WRONLY, 0600));
	}
	/* A small buffer: a few entries now, the rest after the restore. */
	if (open_at(DIRP, O_RDONLY | O_DIRECTORY, 40) != 40 ||
	    read_names(40, dir_before, NDIRENT + 2, &n_before, 256) <= 0 ||
	    n_before >= NDIRENT)
		_exit(25);
	if (pipe(sync) || dup2(sync[0], 50) != 50 || dup2(sync[1], 51) != 51)
		_exit(26);
	/* What open() and pipe() returned below 10, now placed higher. */
	for (i = 0; i < 10; i++)
		if (i != log_fd)
			close(i);
	child = fork();
	if (child == 0) {
		close(50);
		say("ready", 0);
		wait_for_path(GO);
		finish(check_child(51));
	}
	close(51);
	say("ready", 0);
	wait_for_path(GO);
	code = check_parent(50);
	if (!code && (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st)))
		code = 40;
	finish(code);
}

/*
 * The ghost workload: a deleted file open twice (one description moved
 * to an offset, one reopened through /proc), an O_TMPFILE file, a sealed
 * memfd, and a removed working directory.
 */
static int check_ghosts(void)
{
	char link[256], want[256];
	struct stat a, b;
	ssize_t n;

	if (lseek(60, 0, SEEK_CUR) != 1234)
		return 1;
	if (fstat(60, &a) || fstat(61, &b) || a.st_ino != b.st_ino || a.st_nlink ||
	    a.st_size != 10000 || (a.st_mode & 07777) != 0640)
		return 2;
	if (!reads_pattern(61, 0, 10000) || !reads_pattern(60, 1234, 100))
		return 3;
	n = readlink("/proc/self/fd/60", link, sizeof(link) - 1);
	if (n < 0 || (link[n] = '\0', strcmp(link, GHOST " (deleted)")))
		return 4;
	if (getfl(61) != (O_RDONLY | LARGEFILE))
		return 5;
	/* O_TMPFILE: its flags as created, its contents, no name. */
	if (getfl(62) != (O_RDWR | O_TMPFILE | LARGEFILE))
		return 6;
	if (lseek(62, 0, SEEK_CUR) != 7 || pread(62, link, 7, 0) != 7 ||
	    memcmp(link, "tmpfile", 7))
		return 7;
	if (fstat(62, &a) || a.st_nlink)
		return 8;
	/* The memfd: name, seals, contents, offset. */
	n = readlink("/proc/self/fd/63", link, sizeof(link) - 1);
	snprintf(want, sizeof(want), "/memfd:ft-memfd (deleted)");
	if (n < 0 || (link[n] = '\0', strcmp(link, want)))
		return 9;
	if (fcntl(63, F_GET_SEALS) != (F_SEAL_SHRINK | F_SEAL_GROW))
		return 10;
	if (lseek(63, 0, SEEK_CUR) != 4999 || fstat(63, &a) || a.st_size != 5000)
		return 11;
	if (!reads_pattern(63, 4999, 1))
		return 12;
	/* The removed working directory. */
	if (getcwd(link, sizeof(link)) || errno != ENOENT)
		return 13;
	n = readlink("/proc/self/cwd", link, sizeof(link) - 1);
	if (n < 0 || (link[n] = '\0', strcmp(link, CWD " (deleted)")))
		return 14;
	if (stat(".", &a) || !S_ISDIR(a.st_mode) || a.st_nlink)
		return 15;
	return 0;
}

static void ghost_workload(void)
{
	int fd;

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	unlink(GHOST);
	fd = open(GHOST, O_RDWR | O_CREAT | O_TRUNC, 0640);
	if (log_fd < 0 || fd < 0 || write_pattern(fd, 10000) ||
	    dup2(fd, 60) != 60 || lseek(60, 1234, SEEK_SET) != 1234 ||
	    open_at("/proc/self/fd/60", O_RDONLY, 61) != 61 || unlink(GHOST))
		_exit(20);
	close(fd);
	fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	if (fd < 0 || write(fd, "tmpfile", 7) != 7 || dup2(fd, 62) != 62)
		_exit(21);
	close(fd);
	fd = memfd_create("ft-memfd", MFD_ALLOW_SEALING);
	if (fd < 0 || write_pattern(fd, 5000) || dup2(fd, 63) != 63 ||
	    fcntl(63, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) ||
	    lseek(63, 4999, SEEK_SET) != 4999)
		_exit(22);
	close(fd);
	rmdir(CWD);
	if (mkdir(CWD, 0700) || chdir(CWD) || rmdir(CWD))
		_exit(23);
	say("ready", 0);
	wait_for_path(GO);
	finish(check_ghosts());
}

/* A deleted file larger than the ghost limit (the test sets 64 KiB). */
static void big_workload(void)
{
	int fd;

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	fd = open(BIG, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (log_fd < 0 || fd < 0 || write_pattern(fd, 100000) || dup2(fd, 70) != 70 ||
	    unlink(BIG))
		_exit(20);
	close(fd);
	say("ready", 0);
	for (;;)
		pause();
}

/* A file open read-only, changed after the checkpoint by someone else. */
static void changed_workload(void)
{
	int fd;

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	fd = open(FILE1, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (log_fd < 0 || fd < 0 || write_pattern(fd, 4096))
		_exit(20);
	close(fd);
	if (open_at(FILE1, O_RDONLY, 80) != 80 || lseek(80, 10, SEEK_SET) != 10)
		_exit(21);
	say("ready", 0);
	wait_for_path(GO);
	finish(reads_pattern(80, 10, 4086) ? 0 : 1);
}

/*
 * The locks workload: a process and its child share three descriptions of
 * LOCKF. The parent took, before the fork, an exclusive flock() on fd 90
 * (the child's fd 90 is the same description, so the lock is shared) and
 * an OFD write lock on bytes 300-399 through fd 92, and holds a POSIX
 * write lock on bytes 100-199 through fd 91; the child holds a POSIX read
 * lock on bytes 500-599 through its fd 91, the same description. The
 * parent also maps LOCKF: the restore opens the mapped file and closes it
 * again, which must not drop the POSIX lock. After the restore each
 * checks what another process sees (a prober forked for it, with
 * descriptions of its own), then unlocks and checks they are free.
 */
static const char *locks_map;
struct lock_probe {
	short type;		/* F_SETLK kind to probe with */
	int cmd;		/* F_GETLK or F_OFD_GETLK */
	off_t start, len;
	pid_t want_pid;		/* expected l_pid; 0: expect the range free */
};

/* In a forked prober: does @want hold as seen from a new description? */
static int probe_one(const struct lock_probe *p)
{
	struct flock fl = { .l_type = p->type, .l_whence = SEEK_SET,
			    .l_start = p->start, .l_len = p->len };
	int fd = open(LOCKF, O_RDWR);

	if (fd < 0 || fcntl(fd, p->cmd, &fl))
		return 1;
	if (!p->want_pid)
		return fl.l_type == F_UNLCK ? 0 : 2;
	if (fl.l_type == F_UNLCK || fl.l_pid != p->want_pid)
		return 3;
	return 0;
}

/* Fork a prober: @flock_held says whether flock(LOCK_NB) must fail. */
static int probe(const struct lock_probe *probes, int n, int flock_held)
{
	pid_t pid = fork();
	int i, st, fd;

	if (pid == 0) {
		fd = open(LOCKF, O_RDWR);
		if (fd < 0)
			_exit(10);
		if (flock_held >= 0) {
			int r = flock(fd, LOCK_EX | LOCK_NB);

			if (flock_held ? !(r < 0 && errno == EWOULDBLOCK) : r != 0)
				_exit(11);
		}
		for (i = 0; i < n; i++)
			if (probe_one(&probes[i]))
				_exit(20 + i);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 99;
	return WEXITSTATUS(st);
}

static int check_locks_parent(int sync_r)
{
	struct flock un = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
	const struct lock_probe held[] = {
		{ F_WRLCK, F_GETLK, 100, 100, getpid() },
		{ F_RDLCK, F_OFD_GETLK, 350, 1, -1 },
		{ F_WRLCK, F_GETLK, 0, 100, 0 },
	};
	const struct lock_probe freed[] = {
		{ F_WRLCK, F_GETLK, 0, 500, 0 },
	};
	char c;
	int ret;

	/* The child checked the shared flock() first. */
	if (read(sync_r, &c, 1) != 1)
		return 1;
	if (locks_map[100] != byte_at(100))
		return 4;
	ret = probe(held, 3, 1);
	if (ret)
		return 10 + ret;
	un.l_start = 100;
	un.l_len = 100;
	if (flock(90, LOCK_UN) || fcntl(91, F_SETLK, &un))
		return 2;
	un.l_start = 300;
	if (fcntl(92, F_OFD_SETLK, &un))
		return 3;
	ret = probe(freed, 1, 0);
	return ret ? 200 + ret : 0;
}

static int check_locks_child(int sync_w)
{
	struct flock un = { .l_type = F_UNLCK, .l_whence = SEEK_SET,
			    .l_start = 500, .l_len = 100 };
	const struct lock_probe mine[] = {
		{ F_WRLCK, F_GETLK, 500, 100, getpid() },
		{ F_RDLCK, F_GETLK, 500, 100, 0 },	/* a read lock: shared */
	};
	const struct lock_probe freed[] = {
		{ F_WRLCK, F_GETLK, 500, 100, 0 },
	};
	int ret = probe(mine, 2, 1);

	if (ret)
		return 50 + ret;
	if (write(sync_w, "x", 1) != 1)
		return 41;
	if (fcntl(91, F_SETLK, &un))
		return 42;
	ret = probe(freed, 1, -1);
	return ret ? 150 + ret : 0;
}

static void locks_workload(void)
{
	struct flock wr = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int sync[2], fd, i, code, st;
	pid_t child;

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	fd = open(LOCKF, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (log_fd < 0 || fd < 0 || write_pattern(fd, 4096))
		_exit(20);
	close(fd);
	if (open_at(LOCKF, O_RDWR, 90) != 90 || open_at(LOCKF, O_RDWR, 91) != 91 ||
	    open_at(LOCKF, O_RDWR, 92) != 92)
		_exit(21);
	wr.l_start = 300;
	wr.l_len = 100;
	if (flock(90, LOCK_EX) || fcntl(92, F_OFD_SETLK, &wr))
		_exit(22);
	if (pipe(sync) || dup2(sync[0], 50) != 50 || dup2(sync[1], 51) != 51)
		_exit(23);
	for (i = 0; i < 10; i++)
		if (i != log_fd)
			close(i);
	child = fork();
	if (child == 0) {
		struct flock rd = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
				    .l_start = 500, .l_len = 100 };

		close(50);
		if (fcntl(91, F_SETLK, &rd))
			_exit(24);
		say("ready", 0);
		wait_for_path(GO);
		finish(check_locks_child(51));
	}
	close(51);
	wr.l_start = 100;
	if (fcntl(91, F_SETLK, &wr))
		_exit(25);
	locks_map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 91, 0);
	if (locks_map == MAP_FAILED)
		_exit(26);
	say("ready", 0);
	wait_for_path(GO);
	code = check_locks_parent(50);
	if (!code && (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st)))
		code = 40;
	finish(code);
}

/* --- signal owners ----------------------------------------------------- */

#define IO_SIG	(SIGRTMIN + 2)

static bool owned_by(int fd, int type, pid_t pid, int sig)
{
	struct f_owner_ex ex = { 0 };

	return !fcntl(fd, F_GETOWN_EX, &ex) && ex.type == type && ex.pid == pid &&
	       fcntl(fd, F_GETSIG) == sig;
}

/* The restored process's view of its descriptors' owners; 0 if it holds. */
static int check_owners(int pr, int pw, const sigset_t *io)
{
	struct timespec ts = { 5, 0 };
	siginfo_t si;

	if (!owned_by(pr, F_OWNER_PID, getpid(), IO_SIG) ||
	    !owned_by(81, F_OWNER_PGRP, getpgrp(), SIGUSR2) ||
	    !owned_by(82, F_OWNER_TID, (pid_t)syscall(SYS_gettid), 0))
		return 1;
	if (getfl(pr) != (O_RDONLY | O_NONBLOCK | O_ASYNC) || (getfl(81) & O_ASYNC))
		return 2;
	/* O_ASYNC works: a write makes the read end send its signal, naming it. */
	if (write(pw, "x", 1) != 1 || sigtimedwait(io, &si, &ts) != IO_SIG ||
	    si.si_fd != pr || si.si_code != POLL_IN)
		return 3;
	return 0;
}

/*
 * A pipe's read end with O_ASYNC, owned by the process, signalling
 * IO_SIG; a file owned by the process group with SIGUSR2 (no O_ASYNC);
 * /dev/null owned by the main thread.
 */
static void owners_workload(void)
{
	struct f_owner_ex grp = { F_OWNER_PGRP, 0 }, tid = { F_OWNER_TID, 0 };
	sigset_t io;
	int p[2];

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	sigemptyset(&io);
	sigaddset(&io, IO_SIG);
	sigprocmask(SIG_BLOCK, &io, NULL);
	grp.pid = getpgrp();
	tid.pid = (pid_t)syscall(SYS_gettid);
	if (log_fd < 0 || pipe(p) || fcntl(p[0], F_SETOWN, getpid()) ||
	    fcntl(p[0], F_SETSIG, IO_SIG) ||
	    fcntl(p[0], F_SETFL, O_NONBLOCK | O_ASYNC) ||
	    open_at(FILE1, O_RDWR | O_CREAT, 81) != 81 || fcntl(81, F_SETOWN_EX, &grp) ||
	    fcntl(81, F_SETSIG, SIGUSR2) ||
	    open_at("/dev/null", O_RDONLY, 82) != 82 || fcntl(82, F_SETOWN_EX, &tid))
		_exit(20);
	say("ready", 0);
	wait_for_path(GO);
	finish(check_owners(p[0], p[1], &io));
}

/* A descriptor whose owner is the test, outside the workload's session. */
static void foreign_owner_workload(void)
{
	pid_t parent = getppid();

	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (log_fd < 0 || open_at("/dev/null", O_RDONLY, 83) != 83 ||
	    fcntl(83, F_SETOWN, parent))
		_exit(20);
	say("ready", 0);
	for (;;)
		pause();
}

/* A directory watched with F_NOTIFY (dnotify), at fd 84. */
static void dnotify_workload(void)
{
	close_range(0, ~0U, 0);
	setsid();
	log_fd = open(LOG, O_WRONLY | O_CREAT | O_APPEND, 0600);
	/* Its SIGIO would kill it: a directory of its own, and ignored. */
	signal(SIGIO, SIG_IGN);
	mkdir(DNDIR, 0700);
	if (log_fd < 0 || open_at(DNDIR, O_RDONLY | O_DIRECTORY, 84) != 84 ||
	    fcntl(84, F_NOTIFY, DN_CREATE | DN_MULTISHOT))
		_exit(20);
	say("ready", 0);
	for (;;)
		pause();
}

__attribute__((constructor)) static void maybe_workload(void)
{
	const char *w = getenv("CKPT_FILES_WORKLOAD");

	if (w && !strcmp(w, "shared"))
		shared_workload();
	if (w && !strcmp(w, "ghost"))
		ghost_workload();
	if (w && !strcmp(w, "big"))
		big_workload();
	if (w && !strcmp(w, "changed"))
		changed_workload();
	if (w && !strcmp(w, "locks"))
		locks_workload();
	if (w && !strcmp(w, "owners"))
		owners_workload();
	if (w && !strcmp(w, "foreign_owner"))
		foreign_owner_workload();
	if (w && !strcmp(w, "dnotify"))
		dnotify_workload();
}

static int count_lines(const char *what)
{
	char buf[8192];

	return log_count(LOG, what, buf, sizeof(buf));
}

static const char *log_text(void)
{
	static char buf[8192];
	int fd = open(LOG, O_RDONLY);
	ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[len > 0 ? len : 0] = '\0';
	return buf;
}


/* /proc of the workload's processes just before the checkpoint. */
static struct ps_snap before;

/*
 * Start workload @kind (@n processes say ready), take /proc of its @n
 * processes, checkpoint its session.
 */
static int start_and_checkpoint(const char *kind, int n, uint64_t ghost_limit,
				pid_t *sid, char *err, size_t errlen)
{
	pid_t pids[4];
	struct libckpt_freeze_opts o = { .flags = LIBCKPT_F_SESSION,
					 .ghost_limit = ghost_limit };
	struct libckpt_job job, done;
	struct libckpt *h = NULL;
	int fd, ret;

	unlink(LOG);
	unlink(GO);
	unlink(AREA);
	*sid = exec_self_as("CKPT_FILES_WORKLOAD", kind);
	if (log_wait(LOG, "ready", n, 10000)) {
		snprintf(err, errlen, "the workload did not start");
		return -ETIMEDOUT;
	}
	ps_free(&before);
	ret = ps_session_pids(*sid, pids, 4);
	if (ret != n) {
		snprintf(err, errlen, "%d processes in session %d, not %d", ret, *sid, n);
		return ret < 0 ? ret : -ESRCH;
	}
	ret = ps_take_idle(&before, pids, n, PS_SETTLE_MS);
	if (ret) {
		snprintf(err, errlen, "/proc of the workload: %s", strerror(-ret));
		return ret;
	}
	ret = libckpt_area_create(AREA, 64 << 20, err, errlen);
	fd = ret ? -1 : open(AREA, O_RDWR);
	if (fd < 0)
		return -EIO;
	ret = libckpt_open(&h);
	if (!ret)
		ret = libckpt_freeze_with(h, *sid, fd, &o, &job);
	if (ret && h)
		snprintf(err, errlen, "%s", libckpt_error(h));
	if (!ret)
		ret = libckpt_wait(h, job.id, &done);
	if (!ret && done.state != CKPT_JOB_COMMITTED) {
		snprintf(err, errlen, "job failed: %.200s", done.error_msg);
		ret = -EIO;
	}
	if (h)
		libckpt_close(h);
	close(fd);
	return ret;
}

/*
 * Restore AREA (waiting for the root); a helper compares /proc of the
 * restored processes with the one before the checkpoint, then says GO.
 * A refused restore restores nothing to compare: the helper is stopped.
 */
static int restore_go(struct __test_metadata *_metadata,
		      const struct libckpt_restore_opts *o, int *status, char *err,
		      size_t errlen)
{
	int ret, fd, diffs;
	pid_t helper, got;
	char *report;

	unlink(GO);
	helper = ps_check_async(&before, 0, ps_scope(_metadata->name), GO, &fd);
	if (helper < 0) {
		snprintf(err, errlen, "the /proc helper: %s", strerror(-helper));
		return helper;
	}
	ret = libckpt_restore(AREA, o, &got, status, err, errlen);
	diffs = ps_check_wait(helper, fd, ret != 0, &report);
	if (ret)
		free(report);
	else
		EXPECT_PROC_SAME(diffs, report);
	return ret;
}

static void cleanup(void)
{
	unlink(AREA);
	unlink(GO);
	unlink(FILE1);
	unlink(FILE2);
	unlink(FIFO);
	unlink(LOCKF);
}

/* Invalid input first: a deleted file above the ghost limit is refused
 * before the freeze, naming the pid, the descriptor and the sizes. */
TEST(deleted_file_above_ghost_limit_refused)
{
	char err[LIBCKPT_ERRLEN] = "";
	pid_t sid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	EXPECT_EQ(-EINVAL, start_and_checkpoint("big", 1, 65536, &sid, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "fd 70")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "ghost limit")) TH_LOG("%s", err);
	/* Never frozen: it still runs, and with the default limit it passes. */
	EXPECT_EQ(0, kill(sid, 0));
	kill_session(sid);
	cleanup();
}

/*
 * Checkpoint workload @kind (@n processes), kill it, restore it with the
 * /proc comparison; each of its processes must exit 0 and say PASS.
 */
static void restore_expect_pass(struct __test_metadata *_metadata, const char *kind, int n)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char err[LIBCKPT_ERRLEN] = "";
	int status = -1;
	pid_t sid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ASSERT_EQ(0, start_and_checkpoint(kind, n, 0, &sid, err, sizeof(err)))
		TH_LOG("%s", err);
	kill_session(sid);
	ASSERT_EQ(0, restore_go(_metadata, &o, &status, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("%s", log_text());
	EXPECT_EQ(n, count_lines("PASS")) TH_LOG("%s", log_text());
	kill_session(sid);
	cleanup();
}

/*
 * Two processes sharing descriptions: one offset moved by the child is
 * seen by the parent, a separate description keeps its own; status flags
 * and close-on-exec per descriptor; pipe ends with their own flags, the
 * pipe's capacity and bytes; a named FIFO with its bytes; a directory
 * read part way continues without repeating an entry.
 */
TEST(shared_descriptions_pipes_fifos_dirs)
{
	restore_expect_pass(_metadata, "shared", 2);
}

/*
 * A deleted file open twice, an O_TMPFILE file, a sealed memfd and a
 * removed working directory come back with their contents, offsets,
 * flags, seals and (lack of) names.
 */
TEST(deleted_files_memfd_and_cwd)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char err[LIBCKPT_ERRLEN] = "";
	int status = -1;
	pid_t sid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ASSERT_EQ(0, start_and_checkpoint("ghost", 1, 0, &sid, err, sizeof(err)))
		TH_LOG("%s", err);
	kill_session(sid);
	ASSERT_EQ(0, restore_go(_metadata, &o, &status, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("%s", log_text());
	EXPECT_EQ(1, count_lines("PASS")) TH_LOG("%s", log_text());
	/* Nothing of the re-created files is left with a name. */
	EXPECT_NE(0, access(GHOST, F_OK));
	EXPECT_NE(0, access(CWD, F_OK));
	kill_session(sid);
	cleanup();
}

/*
 * A file changed since the checkpoint is refused by name; with
 * skip_file_check (restore --skip-file-check) it is accepted.
 */
TEST(changed_file_refused_unless_skipped)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char err[LIBCKPT_ERRLEN] = "";
	int status = -1, fd;
	pid_t sid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ASSERT_EQ(0, start_and_checkpoint("changed", 1, 0, &sid, err, sizeof(err)))
		TH_LOG("%s", err);
	kill_session(sid);
	fd = open(FILE1, O_WRONLY | O_APPEND);
	ASSERT_EQ(3, write(fd, "new", 3));
	close(fd);
	EXPECT_GT(0, restore_go(_metadata, &o, &status, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, FILE1)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "changed since the checkpoint")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "fd 80")) TH_LOG("%s", err);
	EXPECT_NE(0, kill(sid, 0)) TH_LOG("something was restored");
	o.skip_file_check = 1;
	ASSERT_EQ(0, restore_go(_metadata, &o, &status, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("%s", log_text());
	EXPECT_EQ(1, count_lines("PASS"));
	kill_session(sid);
	cleanup();
}

/*
 * flock(), POSIX and OFD locks come back held by the restored processes:
 * another process sees each (the POSIX ones with their owner's pid), the
 * flock() on a description shared through fork() is still shared, and
 * the owners can unlock them. fdinfo's "lock:" lines are compared too.
 */
TEST(locks_restored)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char err[LIBCKPT_ERRLEN] = "";
	int status = -1;
	pid_t sid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ASSERT_EQ(0, start_and_checkpoint("locks", 2, 0, &sid, err, sizeof(err)))
		TH_LOG("%s", err);
	kill_session(sid);
	ASSERT_EQ(0, restore_go(_metadata, &o, &status, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("%s", log_text());
	EXPECT_EQ(2, count_lines("PASS")) TH_LOG("%s", log_text());
	kill_session(sid);
	cleanup();
}

/*
 * Another process that takes a lock on LOCKF (a POSIX write lock on bytes
 * 350-359, or a shared flock()) and holds it until killed. Not the test
 * itself: the restore, run by the test, opens and closes LOCKF, which
 * would drop a POSIX lock of the test's own.
 */
static pid_t hold_lock(bool use_flock)
{
	struct flock wr = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 350, .l_len = 10 };
	int p[2], fd;
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		fd = open(LOCKF, O_RDWR);
		if (fd < 0 || (use_flock ? flock(fd, LOCK_SH) : fcntl(fd, F_SETLK, &wr)) ||
		    write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

static void drop_holder(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * A lock someone else took between the checkpoint and the restore fails
 * the restore, naming the file, the lock and the holder, with nothing
 * left running: a POSIX lock against the OFD lock the restore takes
 * before any process exists, then an flock() against the one the
 * restored parent takes itself.
 */
TEST(conflicting_lock_fails_restore)
{
	struct libckpt_restore_opts o = { .wait = 1 };
	char err[LIBCKPT_ERRLEN] = "", holder[32];
	int status = -1;
	pid_t sid, pid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ASSERT_EQ(0, start_and_checkpoint("locks", 2, 0, &sid, err, sizeof(err)))
		TH_LOG("%s", err);
	kill_session(sid);
	pid = hold_lock(false);
	ASSERT_LT(0, pid);
	snprintf(holder, sizeof(holder), " %d ", pid);
	EXPECT_GT(0, restore_go(_metadata, &o, &status, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, LOCKF)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "OFD write lock on bytes 300-399")) TH_LOG("%s", err);
	TH_LOG("refused as expected: %s", err);
	EXPECT_NE(NULL, strstr(err, holder)) TH_LOG("holder not named: %s", err);
	EXPECT_NE(0, kill(sid, 0)) TH_LOG("something was restored");
	drop_holder(pid);
	kill_session(sid);

	pid = hold_lock(true);
	ASSERT_LT(0, pid);
	snprintf(holder, sizeof(holder), " %d ", pid);
	err[0] = '\0';
	EXPECT_GT(0, restore_go(_metadata, &o, &status, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, LOCKF)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "flock() exclusive lock")) TH_LOG("%s", err);
	TH_LOG("refused as expected: %s", err);
	EXPECT_NE(NULL, strstr(err, holder)) TH_LOG("holder not named: %s", err);
	EXPECT_NE(0, kill(sid, 0)) TH_LOG("something was left running");
	drop_holder(pid);
	kill_session(sid);
	cleanup();
}

/*
 * Signal owners come back: a pipe end with O_ASYNC owned by the process
 * with its own signal (a write delivers it, naming the descriptor), a
 * file owned by the process group, /dev/null owned by the main thread.
 */
TEST(signal_owners_restored)
{
	restore_expect_pass(_metadata, "owners", 1);
}

/*
 * Workload @kind is refused before the freeze with @why, naming descriptor
 * @fd, and goes on running untouched.
 */
static void expect_refused(struct __test_metadata *_metadata, const char *kind,
			   const char *fd, const char *why)
{
	char err[LIBCKPT_ERRLEN] = "";
	pid_t sid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	EXPECT_EQ(-EINVAL, start_and_checkpoint(kind, 1, 0, &sid, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, fd)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, why)) TH_LOG("%s", err);
	EXPECT_EQ(0, kill(sid, 0)) TH_LOG("it was frozen or killed");
	kill_session(sid);
	cleanup();
}

/* An owner outside the group is refused before the freeze, by name. */
TEST(foreign_signal_owner_refused)
{
	expect_refused(_metadata, "foreign_owner", "fd 83",
		       "signal owner (F_SETOWN) is outside the group");
}

/*
 * F_NOTIFY cannot be read back (its marks are fs/notify's own): refused
 * before the freeze, by name, instead of coming back without its watch.
 */
TEST(dnotify_refused)
{
	expect_refused(_metadata, "dnotify", "fd 84",
		       "directory watched with F_NOTIFY (dnotify)");
}

/* --- a shell pipeline ------------------------------------------------------ */

#define PL_DIR	"/tmp/ft-pl-dir"
#define PL_GATE	"/tmp/ft-pl-gate"
#define PL_N	40

/*
 * Three programs of a shell pipeline (a producer subshell, busybox awk, a
 * consumer subshell) in a working directory removed under them, sharing
 * an O_APPEND log (fd 3) and output (fd 4) through the shell that started
 * them. Halfway the producer opens the named FIFO PL_GATE and waits for a
 * writer: the whole pipeline is then asleep, and is checkpointed there.
 */
static const char pipeline_script[] =
	"mkdir -p " PL_DIR " && cd " PL_DIR " && rmdir " PL_DIR " || exit 9\n"
	"exec 3>>\"$1\" 4>>\"$2\"\n"
	"{ i=0; while [ $i -lt %d ]; do echo $i; echo \"produced $i\" >&3; i=$((i + 1));\n"
	"    if [ $i = %d ]; then echo paused >&3; read go < " PL_GATE "; fi; done; } |\n"
	"awk '{ print $1 * $1; fflush() }' |\n"
	"{ n=0; while read x; do n=$((n + x)); echo \"sum $n\" >&4; echo \"consumed $x\" >&3; done; }\n"
	"echo done >&3\n";

/* Start the pipeline in a session of its own, logging to @log, output to @out. */
static pid_t start_pipeline(const char *log, const char *out)
{
	char script[1024];
	pid_t pid;

	snprintf(script, sizeof(script), pipeline_script, PL_N, PL_N / 2);
	pid = fork();
	if (pid == 0) {
		setsid();
		close_range(3, ~0U, 0);
		execl("/bin/sh", "sh", "-c", script, "pipeline", log, out, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Let the paused producer go on: open the gate for writing and say go. */
static int open_gate(void)
{
	int fd = open(PL_GATE, O_WRONLY);

	if (fd < 0 || write(fd, "go\n", 3) != 3)
		return -1;
	return close(fd);
}

static int wait_exit(pid_t pid, int ms)
{
	int st, waited;

	for (waited = 0; waited < ms; waited += 50) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(50000);
	}
	return -1;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The output file @out and the log @log of a finished run, the log's lines
 * sorted (the producer's and the consumer's interleave), into @buf.
 */
static void take_results(const char *log, const char *out, char *buf, size_t size)
{
	char raw[8192], *lines[256], *line, *save;
	size_t n = 0, i, len;

	log_count(out, "", buf, size);
	log_count(log, "", raw, sizeof(raw));
	for (line = strtok_r(raw, "\n", &save); line && n < 256;
	     line = strtok_r(NULL, "\n", &save))
		lines[n++] = line;
	qsort(lines, n, sizeof(*lines), cmp_line);
	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s\n", lines[i]);
	}
}

/* An undisturbed run's results, as take_results() gives them. */
static void run_undisturbed(struct __test_metadata *_metadata, char *want, size_t size)
{
	pid_t pid;

	unlink(FILE1);
	unlink(FILE2);
	pid = start_pipeline(FILE1, FILE2);
	ASSERT_EQ(0, log_wait(FILE1, "paused", 1, 20000));
	ASSERT_EQ(0, open_gate());
	ASSERT_EQ(0, wait_exit(pid, 60000));
	take_results(FILE1, FILE2, want, size);
}

static int session_pids_settled(pid_t sid, pid_t *pids, int max)
{
	int n = 0, i;

	/* The shell, the producer, awk and the consumer, all in read()/open()/wait(). */
	for (i = 0; i < 200 && (n = ps_session_pids(sid, pids, max)) != 4; i++)
		usleep(50000);
	return n;
}

/*
 * A pipeline of three real programs sharing descriptors (O_APPEND log and
 * output through the shell), in a removed working directory, checkpointed
 * halfway, killed and restored, produces what an undisturbed run does.
 */
TEST(shell_pipeline_like_undisturbed)
{
	struct libckpt_restore_opts o = { 0 };
	char want[16384], got[16384], err[LIBCKPT_ERRLEN] = "", *report;
	struct libckpt_freeze_opts fo = { .flags = LIBCKPT_F_SESSION };
	struct libckpt_job job, done;
	struct libckpt *h;
	pid_t sid, pids[8], root = 0;
	int fd, n, diffs;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	unlink(PL_GATE);
	ASSERT_EQ(0, mkfifo(PL_GATE, 0600));
	run_undisturbed(_metadata, want, sizeof(want));
	unlink(FILE1);
	unlink(FILE2);
	sid = start_pipeline(FILE1, FILE2);
	ASSERT_EQ(0, log_wait(FILE1, "consumed 361", 1, 20000)) TH_LOG("%s", log_text());
	n = session_pids_settled(sid, pids, 8);
	ASSERT_EQ(4, n);
	ps_free(&before);
	ASSERT_EQ(0, ps_take_idle(&before, pids, n, PS_SETTLE_MS));
	unlink(AREA);
	ASSERT_EQ(0, libckpt_area_create(AREA, 64 << 20, err, sizeof(err))) TH_LOG("%s", err);
	fd = open(AREA, O_RDWR);
	ASSERT_EQ(0, libckpt_open(&h));
	ASSERT_EQ(0, libckpt_freeze_with(h, sid, fd, &fo, &job)) TH_LOG("%s", libckpt_error(h));
	ASSERT_EQ(0, libckpt_wait(h, job.id, &done));
	ASSERT_EQ(CKPT_JOB_COMMITTED, done.state);
	libckpt_close(h);
	close(fd);
	kill_session(sid);
	ASSERT_EQ(0, libckpt_restore(AREA, &o, &root, NULL, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(sid, root);
	diffs = ps_expect_same(&before, NULL, 0, ps_scope(_metadata->name), PS_SETTLE_MS,
			       &report);
	EXPECT_PROC_SAME(diffs, report);
	ASSERT_EQ(0, open_gate());
	/* We are the subreaper of the restored roots. */
	EXPECT_EQ(0, wait_exit(sid, 60000));
	take_results(FILE1, FILE2, got, sizeof(got));
	EXPECT_STREQ(want, got);
	kill_session(sid);
	unlink(PL_GATE);
	cleanup();
}

TEST_HARNESS_MAIN
