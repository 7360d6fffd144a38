// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: the page server of a lazy restore (--lazy, restore_lazy.c):
 * the controller registers each restored process's lazy mappings with
 * the userfaultfd its leader passed, then forks the server, which answers
 * faults, follows the mms' events, prefetches every page the module left
 * out, checks the image's checksum and exits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "restore_lazy.h"

#define PAGE		((uint64_t)CKPT_PAGE_SIZE)

enum { MISSING, DONE };

/* One mm being served: a restored process, or one forked from it since. */
struct ctx {
	int fd;
	struct origin *o;
	uint64_t *addr;		/* per page of the origin: where it is now */
	uint8_t *state;		/* per page: MISSING or DONE */
	uint32_t *by_addr;	/* page indexes in address order */
	size_t missing;
	uint64_t *faults;	/* faults to answer once pending events are read */
	size_t nr_faults, cap_faults;
	bool dead;
};

/*
 * The server: its main thread reads every mm's events and answers its
 * faults; prefetch workers read the pieces (each piece's CRC once, in the
 * first pass over them) and fill them into every mm that misses them.
 */
struct server {
	struct tree *tr;
	int direct_fd;		/* the image opened O_DIRECT, or -1 */
	bool direct_refused;	/* a piece's direct read got EINVAL: no more */
	struct origin *origins;
	size_t nr_origins;
	/*
	 * Taken for writing to change the picture of the mms (events, a new
	 * mm, faults), for reading to fill pages by that picture: a page's
	 * state only goes from MISSING to DONE, atomically (mark()).
	 */
	pthread_rwlock_t lock;
	struct ctx **ctxs;
	size_t nr_ctxs, cap_ctxs;
	int *pidfds;		/* per restored process */
	char *buf;		/* the main thread's piece */
	const char *src;	/* the main thread's loaded piece */
	struct piece *in_buf;
	struct lazy_slot *order;	/* every piece, hottest first */
	size_t nr_order;
	struct lazy_pace pace;
	pthread_mutex_t cursor;	/* protects the next two */
	size_t next;		/* the prefetch's place in order */
	bool pass_done;		/* every piece claimed once */
	bool stop, io_error;	/* atomic */
	/*
	 * Restoring from a stream whose late runs are still arriving
	 * (libckpt_image_paused()): the spooler thread reads them into the
	 * image's memfd; a piece is read once it is there.
	 */
	bool streaming;
	pthread_mutex_t arrival;	/* protects the next two */
	pthread_cond_t arrived_cond;
	uint64_t arrived;	/* bytes of the image in the memfd */
	bool stream_done;	/* atomic: all of them, the checksum checked */
};

static int by_addr_cmp(const void *a, const void *b, void *arg)
{
	const uint64_t *addr = arg;
	uint64_t x = addr[*(const uint32_t *)a], y = addr[*(const uint32_t *)b];

	return x < y ? -1 : x > y;
}

static void sort_ctx(struct ctx *c)
{
	size_t k;

	for (k = 0; k < c->o->nr_pages; k++)
		c->by_addr[k] = (uint32_t)k;
	qsort_r(c->by_addr, c->o->nr_pages, sizeof(*c->by_addr), by_addr_cmp, c->addr);
}

/* The first position of c->by_addr whose page is at or above @addr. */
static size_t lower_bound(const struct ctx *c, uint64_t addr)
{
	size_t lo = 0, hi = c->o->nr_pages, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (c->addr[c->by_addr[mid]] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct ctx *new_ctx(struct origin *o, int fd, const struct ctx *from)
{
	struct ctx *c = calloc(1, sizeof(*c));
	size_t n = o->nr_pages ? o->nr_pages : 1;

	if (!c)
		return NULL;
	c->fd = fd;
	c->o = o;
	c->addr = malloc(n * sizeof(*c->addr));
	c->state = calloc(n, 1);
	c->by_addr = malloc(n * sizeof(*c->by_addr));
	if (!c->addr || !c->state || !c->by_addr) {
		free(c->addr);
		free(c->state);
		free(c->by_addr);
		free(c);
		return NULL;
	}
	if (from) {
		memcpy(c->addr, from->addr, o->nr_pages * sizeof(*c->addr));
		memcpy(c->state, from->state, o->nr_pages);
		memcpy(c->by_addr, from->by_addr, o->nr_pages * sizeof(*c->by_addr));
		c->missing = from->missing;
	} else {
		c->missing = o->nr_pages;
	}
	return c;
}

static int add_ctx(struct server *s, struct ctx *c)
{
	if (libckpt_rst_grow((void **)&s->ctxs, &s->cap_ctxs, s->nr_ctxs, sizeof(*s->ctxs)))
		return -ENOMEM;
	s->ctxs[s->nr_ctxs++] = c;
	return 0;
}

/* Workers fill different pieces, but a fault may fill a worker's too. */
static void mark(struct ctx *c, uint32_t k)
{
	uint8_t want = MISSING;

	if (__atomic_compare_exchange_n(&c->state[k], &want, DONE, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		__atomic_sub_fetch(&c->missing, 1, __ATOMIC_RELAXED);
}

/* Its mm is gone: nothing of it is missing any more (faults: serve_ctx()). */
static void drop_ctx(struct ctx *c)
{
	__atomic_store_n(&c->dead, true, __ATOMIC_RELAXED);
	__atomic_store_n(&c->missing, 0, __ATOMIC_RELAXED);
}

/*
 * Copy @pages pages from @src to @addr of @c, page @k first; 0, or
 * -EAGAIN when the mm is changing (an event waits to be read first).
 * A page already there (-EEXIST) or no longer registered is left as it
 * is: a later fault on it finds it DONE and gets zeros.
 */
static int copy_pages(struct ctx *c, uint32_t k, uint64_t addr, const char *src,
		      uint64_t pages)
{
	struct uffdio_copy uc;
	uint64_t done;

	while (pages) {
		uc = (struct uffdio_copy){ .dst = addr, .src = (uintptr_t)src,
					   .len = pages * PAGE };
		if (!ioctl(c->fd, UFFDIO_COPY, &uc)) {
			done = pages;
		} else if (uc.copy > 0) {
			done = (uint64_t)uc.copy / PAGE;
		} else if (uc.copy == -EAGAIN || errno == EAGAIN) {
			return -EAGAIN;
		} else if (errno == ESRCH || uc.copy == -ESRCH) {
			drop_ctx(c);
			return 0;
		} else {
			done = 1;	/* -EEXIST, -ENOENT: not ours to fill */
		}
		while (done--) {
			mark(c, k++);
			addr += PAGE;
			src += PAGE;
			pages--;
		}
	}
	return 0;
}

/* Wait until the image's bytes up to @end are in its memfd. */
static void wait_for(struct server *s, uint64_t end)
{
	if (!s->streaming)
		return;
	pthread_mutex_lock(&s->arrival);
	while (s->arrived < end)
		pthread_cond_wait(&s->arrived_cond, &s->arrival);
	pthread_mutex_unlock(&s->arrival);
}

/*
 * The image once more, O_DIRECT, or -1 where its file has no direct I/O
 * (tmpfs on 6.1) or it is a stream's memfd. A piece is read once: through
 * the page cache it would cost an allocation, an insertion and a copy per
 * page for nothing. The new description reads the same file as the one
 * whose lock holds the generation (libckpt_image_hold()).
 */
static int open_direct(const struct server *s)
{
	char path[64];

	if (s->streaming)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->tr->image_fd);
	return open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
}

/*
 * The bytes of @pc, read into @buf: a page-aligned buffer each thread
 * reuses, whose pages stay mapped and hot for the CRC and UFFDIO_COPY
 * after it. Reading the image's page cache through a mapping of the file
 * instead saved a copy but touched every page of the image from user
 * space once more: under TCG that made the CRC nearly six times slower
 * (performance.md). Page data starts on a 4096-byte boundary of the image
 * (format 8), so a piece takes direct I/O but where the image itself
 * does not start on one in its file: that read, and every one after it,
 * goes through the cache.
 */
static const char *piece_bytes(struct server *s, const struct piece *pc, char *buf)
{
	size_t len = pc->pages * PAGE;
	ssize_t got;

	wait_for(s, pc->offset + len);
	if (s->direct_fd >= 0 && !__atomic_load_n(&s->direct_refused, __ATOMIC_RELAXED)) {
		got = pread(s->direct_fd, buf, len, (off_t)pc->offset);
		if (got == (ssize_t)len)
			return buf;
		if (got >= 0 || errno != EINVAL)
			return NULL;
		/* Every piece is aligned alike: the next would be refused too. */
		__atomic_store_n(&s->direct_refused, true, __ATOMIC_RELAXED);
	}
	if (pread(s->tr->image_fd, buf, len, (off_t)pc->offset) != (ssize_t)len)
		return NULL;
	return buf;
}

/* @pc's bytes at s->src, for the main thread. */
static int load(struct server *s, struct piece *pc)
{
	if (s->in_buf == pc)
		return 0;
	s->in_buf = NULL;
	s->src = piece_bytes(s, pc, s->buf);
	if (!s->src)
		return -EIO;
	s->in_buf = pc;
	return 0;
}

/* Every page of @pc @c still misses, in runs of consecutive addresses. */
static int copy_piece(struct ctx *c, const struct piece *pc, const char *buf)
{
	uint32_t k = pc->first, end = pc->first + pc->pages, j;
	int ret;

	while (k < end && !c->dead) {
		if (c->state[k] != MISSING) {
			k++;
			continue;
		}
		for (j = k + 1; j < end && c->state[j] == MISSING &&
		     c->addr[j] == c->addr[j - 1] + PAGE; j++)
			;
		ret = copy_pages(c, k, c->addr[k], buf + (uint64_t)(k - pc->first) * PAGE, j - k);
		if (ret)
			return ret;
		k = j;
	}
	return 0;
}

static struct piece *piece_of(const struct origin *o, uint32_t k)
{
	size_t lo = 0, hi = o->nr_pieces, mid;

	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (o->pieces[mid].first <= k)
			lo = mid;
		else
			hi = mid;
	}
	return &o->pieces[lo];
}

static void wake(struct ctx *c, uint64_t addr)
{
	struct uffdio_range r = { .start = addr, .len = PAGE };

	ioctl(c->fd, UFFDIO_WAKE, &r);
}

/*
 * A thread of @c waits for the page at @addr: the piece around it if the
 * image has data there still missing, else a zero page (never in the
 * image, or removed with MADV_DONTNEED since). -EAGAIN: read the events
 * first.
 */
static int answer_fault(struct server *s, struct ctx *c, uint64_t addr)
{
	struct uffdio_zeropage z = { .range = { .start = addr, .len = PAGE } };
	size_t pos = lower_bound(c, addr);
	struct piece *pc;
	uint32_t k;
	int ret;

	if (pos < c->o->nr_pages && c->addr[c->by_addr[pos]] == addr &&
	    c->state[c->by_addr[pos]] == MISSING) {
		k = c->by_addr[pos];
		pc = piece_of(c->o, k);
		ret = load(s, pc);
		if (!ret)
			ret = copy_piece(c, pc, s->src);
		if (ret)
			return ret;
	} else if (ioctl(c->fd, UFFDIO_ZEROPAGE, &z)) {
		if (errno == EAGAIN)
			return -EAGAIN;
		if (errno == ESRCH)
			drop_ctx(c);
	}
	if (!c->dead)
		wake(c, addr);
	return 0;
}

/* Pages of @c in [@start, @end): DONE, never to be filled from the image. */
static void forget(struct ctx *c, uint64_t start, uint64_t end)
{
	size_t pos;

	for (pos = lower_bound(c, start);
	     pos < c->o->nr_pages && c->addr[c->by_addr[pos]] < end; pos++)
		mark(c, c->by_addr[pos]);
}

static void moved(struct ctx *c, uint64_t from, uint64_t to, uint64_t len)
{
	size_t pos;

	for (pos = lower_bound(c, from);
	     pos < c->o->nr_pages && c->addr[c->by_addr[pos]] < from + len; pos++)
		c->addr[c->by_addr[pos]] += to - from;
	sort_ctx(c);
}

static int queue_fault(struct ctx *c, uint64_t addr)
{
	if (libckpt_rst_grow((void **)&c->faults, &c->cap_faults, c->nr_faults,
			     sizeof(*c->faults)))
		return -ENOMEM;
	c->faults[c->nr_faults++] = addr;
	return 0;
}

static int on_message(struct server *s, struct ctx *c, const struct uffd_msg *m)
{
	struct ctx *child;

	switch (m->event) {
	case UFFD_EVENT_PAGEFAULT:
		return queue_fault(c, m->arg.pagefault.address & ~(PAGE - 1));
	case UFFD_EVENT_FORK:
		/* The child's missing pages are the parent's: the image's too. */
		child = new_ctx(c->o, (int)m->arg.fork.ufd, c);
		if (!child || add_ctx(s, child)) {
			close((int)m->arg.fork.ufd);
			return -ENOMEM;
		}
		return 0;
	case UFFD_EVENT_REMAP:
		moved(c, m->arg.remap.from, m->arg.remap.to, m->arg.remap.len);
		return 0;
	case UFFD_EVENT_REMOVE:
	case UFFD_EVENT_UNMAP:
		forget(c, m->arg.remove.start, m->arg.remove.end);
		return 0;
	}
	return 0;
}

/* Read @c's events and faults, then answer the faults. */
static int serve_ctx(struct server *s, struct ctx *c)
{
	struct uffd_msg msgs[32];
	size_t i, kept;
	ssize_t n;
	int ret;

	for (;;) {
		n = read(c->fd, msgs, sizeof(msgs));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < (size_t)n / sizeof(msgs[0]); i++) {
			ret = on_message(s, c, &msgs[i]);
			if (ret)
				return ret;
		}
	}
	for (i = 0, kept = 0; i < c->nr_faults && !c->dead; i++) {
		ret = answer_fault(s, c, c->faults[i]);
		if (ret == -EAGAIN)
			c->faults[kept++] = c->faults[i];
		else if (ret)
			return ret;
	}
	c->nr_faults = __atomic_load_n(&c->dead, __ATOMIC_RELAXED) ? 0 : kept;
	return 0;
}

/* The next piece to prefetch, or NULL at the end of a pass over them. */
static struct piece *claim(struct server *s, struct origin **o)
{
	struct piece *pc = NULL;

	pthread_mutex_lock(&s->cursor);
	if (s->next < s->nr_order) {
		*o = s->order[s->next].o;
		pc = s->order[s->next++].pc;
	} else {
		/* Again for pages an event made a copy skip (-EAGAIN). */
		__atomic_store_n(&s->pass_done, true, __ATOMIC_RELEASE);
		s->next = 0;
	}
	pthread_mutex_unlock(&s->cursor);
	return pc;
}

static bool missed(const struct server *s, const struct origin *o, const struct piece *pc)
{
	size_t i;

	for (i = 0; i < s->nr_ctxs; i++)
		if (s->ctxs[i]->o == o && !__atomic_load_n(&s->ctxs[i]->dead, __ATOMIC_RELAXED) &&
		    memchr(s->ctxs[i]->state + pc->first, MISSING, pc->pages))
			return true;
	return false;
}

static void *prefetcher(void *arg)
{
	struct server *s = arg;
	char *buf = aligned_alloc(PAGE, CKPT_RESTORE_CRC_PIECE);
	struct timespec idle = { 0, 10 * 1000 * 1000 };
	const char *src;
	struct origin *o;
	struct piece *pc;
	bool need;
	size_t i;

	if (!buf)
		__atomic_store_n(&s->io_error, true, __ATOMIC_RELAXED);
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&s->io_error, __ATOMIC_RELAXED)) {
		pc = claim(s, &o);
		if (!pc) {
			nanosleep(&idle, NULL);
			continue;
		}
		pthread_rwlock_rdlock(&s->lock);
		need = missed(s, o, pc);
		pthread_rwlock_unlock(&s->lock);
		/* Read once for its CRC even when no mm misses it any more. */
		if (!need && __atomic_load_n(&pc->read, __ATOMIC_ACQUIRE))
			continue;
		libckpt_lazy_pace(&s->pace, pc->pages * PAGE, &s->stop);
		src = piece_bytes(s, pc, buf);
		if (!src) {
			__atomic_store_n(&s->io_error, true, __ATOMIC_RELAXED);
			break;
		}
		/* A stream's checksum is the spooler's: it read every byte. */
		if (!__atomic_load_n(&pc->read, __ATOMIC_ACQUIRE)) {
			if (!s->streaming)
				pc->crc = libckpt_crc32c(0, src, pc->pages * PAGE);
			__atomic_store_n(&pc->read, true, __ATOMIC_RELEASE);
		}
		/* A mm whose events wait (-EAGAIN) gets the piece in a later pass. */
		pthread_rwlock_rdlock(&s->lock);
		for (i = 0; i < s->nr_ctxs; i++)
			if (s->ctxs[i]->o == o && !__atomic_load_n(&s->ctxs[i]->dead, __ATOMIC_RELAXED))
				copy_piece(s->ctxs[i], pc, src);
		pthread_rwlock_unlock(&s->lock);
	}
	free(buf);
	return NULL;
}

static bool all_read(const struct server *s)
{
	size_t i, j;

	for (i = 0; i < s->nr_origins; i++)
		for (j = 0; j < s->origins[i].nr_pieces; j++)
			if (!__atomic_load_n(&s->origins[i].pieces[j].read, __ATOMIC_ACQUIRE))
				return false;
	return true;
}

static bool all_served(const struct server *s)
{
	size_t i;

	for (i = 0; i < s->nr_ctxs; i++)
		if (!__atomic_load_n(&s->ctxs[i]->dead, __ATOMIC_RELAXED) &&
		    (__atomic_load_n(&s->ctxs[i]->missing, __ATOMIC_RELAXED) ||
		     s->ctxs[i]->nr_faults))
			return false;
	return true;
}

static bool all_dead(const struct server *s)
{
	size_t i;

	for (i = 0; i < s->nr_ctxs; i++)
		if (!__atomic_load_n(&s->ctxs[i]->dead, __ATOMIC_RELAXED))
			return false;
	return true;
}

static void say(const char *msg)
{
	char line[LIBCKPT_ERRLEN + 256];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC), n;

	dprintf(2, "ckpt-lazy: %s\n", msg);
	/* One write is one record of the kernel log. */
	n = snprintf(line, sizeof(line), "<3>ckpt-lazy[%d]: %s\n", (int)getpid(), msg);
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		dprintf(2, "ckpt-lazy: cannot write to the kernel log: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
}

static bool is_ours(const pid_t *set, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == pid)
			return true;
	return false;
}

/*
 * Stop the restored processes, then every process descended from them
 * (forked since the release), to a fixed point, then kill them all.
 */
static void kill_tree(struct server *s)
{
	size_t n = 0, cap = 0, i, before;
	pid_t *set = NULL, pid, ppid;
	struct dirent *d;
	char path[64];
	DIR *dir;
	FILE *f;

	for (i = 0; i < s->tr->n; i++)
		if (s->pidfds[i] >= 0)
			syscall(SYS_pidfd_send_signal, s->pidfds[i], SIGSTOP, NULL, 0);
	for (i = 0; i < s->tr->n; i++)
		if (!libckpt_rst_grow((void **)&set, &cap, n, sizeof(*set)))
			set[n++] = s->tr->e->pids[i];
	do {
		before = n;
		dir = opendir("/proc");
		while (dir && (d = readdir(dir))) {
			pid = atoi(d->d_name);
			if (pid <= 0 || is_ours(set, n, pid))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/stat", pid);
			f = fopen(path, "re");
			if (!f)
				continue;
			if (fscanf(f, "%*d (%*[^)]) %*c %d", &ppid) == 1 && is_ours(set, n, ppid) &&
			    !libckpt_rst_grow((void **)&set, &cap, n, sizeof(*set))) {
				kill(pid, SIGSTOP);
				set[n++] = pid;
			}
			fclose(f);
		}
		if (dir)
			closedir(dir);
	} while (n != before);
	for (i = s->tr->n; i < n; i++)
		kill(set[i], SIGKILL);
	for (i = 0; i < s->tr->n; i++)
		if (s->pidfds[i] >= 0)
			syscall(SYS_pidfd_send_signal, s->pidfds[i], SIGKILL, NULL, 0);
	free(set);
}

static __attribute__((noreturn)) void give_up(struct server *s, const char *why)
{
	char msg[LIBCKPT_ERRLEN + 160];

	kill_tree(s);
	snprintf(msg, sizeof(msg), "lazy restore of pid %u: %s; the restored tree was killed",
		 s->tr->plans[s->tr->main_root].task->rec.pid, why);
	say(msg);
	_exit(1);
}

static void arrive(struct server *s, uint64_t end, bool all)
{
	pthread_mutex_lock(&s->arrival);
	s->arrived = end;
	if (all)
		__atomic_store_n(&s->stream_done, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&s->arrived_cond);
	pthread_mutex_unlock(&s->arrival);
}

static int on_arrival(const struct libckpt_page_run *run, void *arg)
{
	arrive(arg, run->offset + (uint64_t)run->nr_pages * PAGE, false);
	return 0;
}

/*
 * Reads the rest of the stream into the memfd as it comes, each run
 * checked against the layout the restore was planned by, and the image's
 * checksum at its end: a stream that ends early or does not add up kills
 * the tree, whose memory it was to complete.
 */
static void *spooler(void *arg)
{
	struct server *s = arg;
	char err[LIBCKPT_ERRLEN], why[LIBCKPT_ERRLEN + 64];

	if (libckpt_image_resume(s->tr->img, on_arrival, s, err, sizeof(err))) {
		snprintf(why, sizeof(why), "the image stream: %s", err);
		give_up(s, why);
	}
	arrive(s, UINT64_MAX, true);
	return NULL;
}

/*
 * Every page is read: the image's checksum from the module's CRCs of what
 * it filled, the controller's of shared memory, and ours.
 */
static void check_all(struct server *s)
{
	struct libckpt_data_crc *crcs;
	char err[LIBCKPT_ERRLEN], why[LIBCKPT_ERRLEN + 64];
	size_t n = 0, i, j;
	int ret;

	ret = libckpt_image_still_held(s->tr->img, err, sizeof(err));
	if (ret)
		give_up(s, err);
	for (i = 0; i < s->nr_origins; i++)
		n += s->origins[i].nr_pieces;
	crcs = malloc((n ? n : 1) * sizeof(*crcs));
	if (!crcs)
		give_up(s, "out of memory checking the image's checksum");
	for (i = 0, n = 0; i < s->nr_origins; i++)
		for (j = 0; j < s->origins[i].nr_pieces; j++)
			crcs[n++] = (struct libckpt_data_crc){
				.offset = s->origins[i].pieces[j].offset,
				.len = s->origins[i].pieces[j].pages * PAGE,
				.crc = s->origins[i].pieces[j].crc,
			};
	ret = libckpt_rst_check_filled(s->tr, crcs, n, err, sizeof(err));
	free(crcs);
	if (ret == -EBADMSG) {
		snprintf(why, sizeof(why), "checksum mismatch in the image's page data (%s)", err);
		give_up(s, why);
	}
	if (ret)
		give_up(s, err);
}

static void init_addrs(struct ctx *c, const struct plan *p)
{
	uint64_t k, n = 0;
	size_t i;

	for (i = 0; i < p->nr_lazy; i++)
		for (k = 0; k < p->lazy[i].nr_pages; k++)
			c->addr[n++] = p->lazy[i].addr + k * PAGE;
	sort_ctx(c);
}

/* Only what serving needs stays open: no restored description lives on here. */
static void close_others(struct server *s)
{
	int high = s->tr->image_fd > s->tr->crc_fd ? s->tr->image_fd : s->tr->crc_fd;
	bool *keep;
	size_t i;
	int fd, null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (libckpt_image_fd(s->tr->img) > high)
		high = libckpt_image_fd(s->tr->img);

	if (null >= 0) {
		/* A stream still arriving comes on standard input. */
		if (!s->streaming)
			dup2(null, 0);
		dup2(null, 1);
		close(null);
	}
	for (i = 0; i < s->nr_ctxs; i++)
		if (s->ctxs[i]->fd > high)
			high = s->ctxs[i]->fd;
	for (i = 0; i < s->tr->n; i++)
		if (s->pidfds[i] > high)
			high = s->pidfds[i];
	keep = calloc((size_t)high + 1, sizeof(*keep));
	if (!keep)
		return;
	keep[s->tr->image_fd] = keep[s->tr->crc_fd] = true;
	/* libckpt_image_still_held() reads the area's superblock through it. */
	if (libckpt_image_fd(s->tr->img) <= high)
		keep[libckpt_image_fd(s->tr->img)] = true;
	for (i = 0; i < s->nr_ctxs; i++)
		keep[s->ctxs[i]->fd] = true;
	for (i = 0; i < s->tr->n; i++)
		if (s->pidfds[i] >= 0)
			keep[s->pidfds[i]] = true;
	for (fd = 3; fd < high; fd++)
		if (!keep[fd])
			close(fd);
	close_range((unsigned int)high + 1, ~0U, 0);
	free(keep);
}

/* One prefetch worker per online CPU, two at most: copies share the mm. */
static size_t start_workers(struct server *s, pthread_t *th)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n, want = cpus >= 2 ? 2 : 1;

	for (n = 0; n < want; n++)
		if (pthread_create(&th[n], NULL, prefetcher, s))
			break;
	return n;
}

static __attribute__((noreturn)) void serve(struct server *s)
{
	pthread_rwlockattr_t attr;
	struct pollfd *pfds = NULL;
	size_t cap = 0, i, n, workers;
	pthread_t th[2], spool;
	bool done, dead;
	int ret = 0;

	setsid();
	prctl(PR_SET_NAME, "ckpt-lazy");
	close_others(s);
	s->direct_fd = open_direct(s);
	/* Events and faults must not wait behind a stream of prefetches. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->lock, &attr);
	pthread_mutex_init(&s->cursor, NULL);
	pthread_mutex_init(&s->arrival, NULL);
	pthread_cond_init(&s->arrived_cond, NULL);
	if (s->streaming && pthread_create(&spool, NULL, spooler, s))
		give_up(s, "cannot start the thread that reads the rest of the stream");
	libckpt_lazy_pace_start(&s->pace, s->tr->o->lazy_rate);
	workers = start_workers(s, th);
	if (!workers)
		give_up(s, "cannot start its prefetch threads");
	for (;;) {
		if (libckpt_rst_grow((void **)&pfds, &cap, s->nr_ctxs, sizeof(*pfds)))
			give_up(s, "out of memory serving pages");
		n = s->nr_ctxs;
		for (i = 0; i < n; i++)
			pfds[i] = (struct pollfd){
				.fd = __atomic_load_n(&s->ctxs[i]->dead, __ATOMIC_RELAXED) ?
				      -1 : s->ctxs[i]->fd,
				.events = POLLIN };
		if (poll(pfds, n, 20) < 0 && errno != EINTR)
			give_up(s, "cannot poll its userfaultfds");
		pthread_rwlock_wrlock(&s->lock);
		/* Those a fork adds meanwhile are polled the next time. */
		for (i = 0; !ret && i < n; i++)
			if (!__atomic_load_n(&s->ctxs[i]->dead, __ATOMIC_RELAXED) &&
			    (pfds[i].revents & POLLIN || s->ctxs[i]->nr_faults))
				ret = serve_ctx(s, s->ctxs[i]);
		dead = all_dead(s);
		done = __atomic_load_n(&s->pass_done, __ATOMIC_ACQUIRE) && all_read(s) &&
		       all_served(s) &&
		       (!s->streaming || __atomic_load_n(&s->stream_done, __ATOMIC_ACQUIRE));
		pthread_rwlock_unlock(&s->lock);
		if (ret || __atomic_load_n(&s->io_error, __ATOMIC_RELAXED))
			give_up(s, ret == -ENOMEM ? "out of memory serving pages" :
				"cannot read the image's page data");
		if (dead)
			_exit(0);	/* nothing left to serve or to protect */
		if (done)
			break;
	}
	__atomic_store_n(&s->stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < workers; i++)
		pthread_join(th[i], NULL);
	check_all(s);
	/* Closing them unregisters every range: the tree runs on its own. */
	for (i = 0; i < s->nr_ctxs; i++)
		close(s->ctxs[i]->fd);
	_exit(0);
}

/* The uffd of process @i, from the socket; -1 once none is left. */
static int receive(int sock, uint32_t *idx)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { idx, sizeof(*idx) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) != sizeof(*idx))
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static int register_lazy(struct tree *tr, size_t i, int uffd)
{
	const struct plan *p = &tr->plans[i];
	const struct libckpt_image_task *t = p->task;
	struct uffdio_register reg;
	uint32_t j;

	for (j = 0; j < t->rec.nr_vmas; j++) {
		if (!p->lazy_vma[j])
			continue;
		reg = (struct uffdio_register){
			.range = { .start = t->vmas[j].rec.start,
				   .len = t->vmas[j].rec.end - t->vmas[j].rec.start },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};
		if (ioctl(uffd, UFFDIO_REGISTER, &reg) ||
		    !(reg.ioctls & (1ULL << _UFFDIO_COPY)))
			return fail(tr->e, -errno ? -errno : -EOPNOTSUPP,
				    "pid %u: --lazy: cannot register its mapping at 0x%llx with userfaultfd: %s",
				    t->rec.pid, (unsigned long long)t->vmas[j].rec.start,
				    strerror(errno ? errno : EOPNOTSUPP));
	}
	return 0;
}

/*
 * Every thread is parked with its eager memory in place: register what
 * the server fills (a fault there waits for it) and start the server,
 * before any thread gets its registers.
 */
int libckpt_rst_lazy_serve(struct tree *tr)
{
	struct server s = { .tr = tr, .direct_fd = -1,
			    .streaming = libckpt_image_paused(tr->img) };
	struct ctx *c;
	char err[LIBCKPT_ERRLEN];
	int *uffds = malloc(tr->n * sizeof(*uffds));
	int ret = 0, fd;
	size_t i, got;
	uint32_t idx;
	pid_t pid;

	s.origins = calloc(tr->n, sizeof(*s.origins));
	s.pidfds = malloc(tr->n * sizeof(*s.pidfds));
	s.buf = aligned_alloc(PAGE, CKPT_RESTORE_CRC_PIECE);
	if (!uffds || !s.origins || !s.pidfds || !s.buf) {
		ret = fail(tr->e, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < tr->n; i++)
		uffds[i] = s.pidfds[i] = -1;
	/* Every leader sent its descriptor before it counted in as entering. */
	for (got = 0; got < tr->n; got++) {
		fd = receive(tr->uffd_sock[0], &idx);
		if (fd < 0 || idx >= tr->n || uffds[idx] >= 0) {
			if (fd >= 0)
				close(fd);
			ret = fail(tr->e, -EPROTO, "--lazy: a restoring process's userfaultfd did not arrive");
			goto out;
		}
		uffds[idx] = fd;
	}
	for (i = 0; !ret && i < tr->n; i++) {
		s.pidfds[i] = (int)syscall(SYS_pidfd_open, tr->e->pids[i], 0);
		if (s.pidfds[i] < 0) {
			ret = fail(tr->e, -errno, "--lazy: pidfd_open(%d): %s",
				   tr->e->pids[i], strerror(errno));
			break;
		}
		if (!tr->plans[i].nr_lazy)
			continue;
		ret = register_lazy(tr, i, uffds[i]);
		if (!ret && libckpt_lazy_pieces(&s.origins[s.nr_origins], &tr->plans[i], i))
			ret = fail(tr->e, -ENOMEM, "out of memory");
		if (ret)
			break;
		c = new_ctx(&s.origins[s.nr_origins], uffds[i], NULL);
		if (!c || add_ctx(&s, c)) {
			ret = fail(tr->e, -ENOMEM, "out of memory");
			break;
		}
		init_addrs(c, &tr->plans[i]);
		s.nr_origins++;
	}
	if (ret)
		goto out;
	/* Nothing to serve: the image's checksum is the module's alone. */
	if (!s.nr_ctxs) {
		if (s.streaming)
			ret = libckpt_image_resume(tr->img, NULL, NULL, err, sizeof(err));
		if (!ret)
			ret = libckpt_rst_check_filled(tr, NULL, 0, err, sizeof(err));
		if (ret)
			fail(tr->e, ret, "%s", err);
		goto out;
	}
	/*
	 * The generation stays whole while it is served: the lock lives with
	 * the image's open file description, which the server keeps open.
	 */
	s.order = libckpt_lazy_order(s.origins, s.nr_origins, s.streaming, &s.nr_order);
	if (!s.order) {
		ret = fail(tr->e, -ENOMEM, "out of memory");
		goto out;
	}
	ret = libckpt_image_hold(tr->img);
	if (ret) {
		fail(tr->e, ret, "--lazy: cannot hold the area's generation: %s", strerror(-ret));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ret = fail(tr->e, -errno, "--lazy: cannot start the page server: %s",
			   strerror(errno));
		goto out;
	}
	if (pid == 0)
		serve(&s);
	tr->e->server = pid;
out:
	for (i = 0; uffds && i < tr->n; i++)
		if (uffds[i] >= 0)
			close(uffds[i]);
	for (i = 0; s.pidfds && i < tr->n; i++)
		if (s.pidfds[i] >= 0)
			close(s.pidfds[i]);
	for (i = 0; i < s.nr_ctxs; i++) {
		free(s.ctxs[i]->addr);
		free(s.ctxs[i]->state);
		free(s.ctxs[i]->by_addr);
		free(s.ctxs[i]);
	}
	for (i = 0; s.origins && i < s.nr_origins; i++)
		free(s.origins[i].pieces);
	free(s.ctxs);
	free(s.order);
	free(s.origins);
	free(s.pidfds);
	free(s.buf);
	free(uffds);
	return ret;
}
