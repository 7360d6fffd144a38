// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Small workloads whose images seed the fuzz corpus (gen-corpus.sh runs
 * them in the VM). Small on purpose: few touched pages, so each image is
 * tens of KiB and a fuzz execution stays fast.
 *
 *   workload plain   one thread, nothing but its memory and its stdio
 *   workload rich    two threads, a pipe holding data, a regular file at an
 *                    offset holding an flock(), a POSIX and an OFD lock, a
 *                    terminal (/dev/console: its settings in the TTY
 *                    record), an alternate signal stack, a blocked pending
 *                    signal, a handler and lowered limits, the pipe's read
 *                    end with a signal owner and O_ASYNC: every record type
 *                    and most fields carry something
 *   workload tree    two processes in one group (parent and child), so the
 *                    image has two TASK records and two runs of PAGES, both
 *                    attached to a System V segment (removed, so it goes
 *                    with them): a SYSV_SHM record, its page once; the
 *                    parent holds a pidfd of the child and an inotify
 *                    instance watching /; a Unix stream pair between
 *                    them with bytes queued both ways, and a datagram
 *                    pair of the parent with a datagram queued; a TCP
 *                    listener on loopback and a connection of the
 *                    parent's own to it with bytes unread (TCP repair)
 *
 * Both print "ready" on standard output once set up (the generator points
 * it at a file, which then is in the image too), then sleep until killed.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/stat.h>

static volatile unsigned long counter;
static char altstack[16384];

static void on_usr1(int sig)
{
	(void)sig;
	counter++;
}

static void nap(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static void *second_thread(void *arg)
{
	(void)arg;
	for (;;) {
		counter++;
		nap();
	}
	return NULL;
}

static void say_ready(void)
{
	if (write(1, "ready\n", 6) != 6)
		_exit(3);
}

static void rich(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct rlimit rl = { .rlim_cur = 64, .rlim_max = 128 };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct flock posix = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			       .l_start = 2, .l_len = 3 };
	struct flock ofd = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
			     .l_start = 10 };
	pthread_t th;
	sigset_t set;
	int p[2], f;

	f = open("/tmp/fuzz-workload-file", O_RDWR | O_CREAT | O_TRUNC, 0640);
	if (f < 0 || write(f, "corpus file contents", 20) != 20 ||
	    lseek(f, 7, SEEK_SET) != 7 || pipe(p) ||
	    write(p[1], "bytes left in the pipe", 22) != 22 ||
	    sigaction(SIGUSR1, &sa, NULL) || sigaltstack(&ss, NULL) ||
	    setrlimit(RLIMIT_NOFILE, &rl) || chdir("/tmp") ||
	    flock(f, LOCK_EX) || fcntl(f, F_SETLK, &posix) ||
	    fcntl(f, F_OFD_SETLK, &ofd) || fcntl(p[0], F_SETOWN, getpid()) ||
	    fcntl(p[0], F_SETSIG, SIGUSR1) || fcntl(p[0], F_SETFL, O_ASYNC))
		_exit(2);
	/* Best effort: a guest without a console still gives an image. */
	open("/dev/console", O_RDWR | O_NOCTTY);
	umask(022);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR2);
	if (pthread_create(&th, NULL, second_thread, NULL))
		_exit(2);
	say_ready();
	for (;;)
		nap();
}

/* A listener on loopback, and a connection to it with bytes unread. */
static int tcp_pair(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(l, 4) || getsockname(l, (struct sockaddr *)&sin, &len) ||
	    connect(c, (struct sockaddr *)&sin, sizeof(sin)) || accept(l, NULL, NULL) < 0 ||
	    send(c, "tcp bytes", 9, 0) != 9)
		return -1;
	return 0;
}

static void tree(void)
{
	int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	char *seg = id < 0 ? (char *)-1 : shmat(id, NULL, 0);
	int ino, sv[2], dg[2];
	pid_t child;

	if (seg == (char *)-1 || shmctl(id, IPC_RMID, NULL) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, dg))
		_exit(2);
	seg[0] = 's';
	child = fork();
	if (child < 0)
		_exit(2);
	if (child == 0) {
		close(sv[0]);
		close(dg[0]);
		close(dg[1]);
		if (send(sv[1], "to parent", 9, 0) != 9)
			_exit(2);
		for (;;)
			nap();
	}
	close(sv[1]);
	if (send(sv[0], "to child", 8, 0) != 8 || send(dg[0], "datagram", 8, 0) != 8 ||
	    tcp_pair())
		_exit(2);
	/* Watched for its own deletion only: no event queues. */
	ino = inotify_init1(IN_CLOEXEC);
	if (syscall(SYS_pidfd_open, child, 0) < 0 || ino < 0 ||
	    inotify_add_watch(ino, "/", IN_DELETE_SELF) < 0)
		_exit(2);
	say_ready();
	for (;;)
		nap();
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "plain")) {
		say_ready();
		for (;;)
			nap();
	}
	if (argc == 2 && !strcmp(argv[1], "rich"))
		rich();
	if (argc == 2 && !strcmp(argv[1], "tree"))
		tree();
	return 2;
}
