// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: the image reader. Every length and count comes from the input,
 * so each is checked against what is left before it is used, and memory
 * grows with the bytes actually read, under a fixed cap. One table,
 * rec_types[], says how each record type is read; task_parts[] says in
 * which order and how many of them make up a process.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <linux/fs.h>

#include "format.h"

/* Caps on what an image can make the reader allocate. */
#define MAX_META_BYTES	(256ULL << 20)	/* tasks, threads, mappings, paths */
#define MAX_XSTATE	(64U << 10)	/* XSAVE with AMX is about 11 KiB */
#define MAX_PATH_LEN	4096		/* PATH_MAX */
#define MAX_GROUPS	65536		/* NGROUPS_MAX */
#define MAX_FD_DATA	CKPT_GHOST_LIMIT_MAX	/* pipe, FIFO, deleted file, memfd */
#define FD_FLAGS_KNOWN	(CKPT_FD_CLOEXEC | CKPT_FD_DELETED | CKPT_FD_DATA | \
			 CKPT_FD_OBJ_STATE | CKPT_FD_DEVTTY)
#define SEALS_KNOWN	0x1fU		/* F_SEAL_SEAL ... F_SEAL_FUTURE_WRITE */
#define NO_LIMIT	UINT64_MAX

#define VMA_FLAGS_KNOWN	(CKPT_VMA_READ | CKPT_VMA_WRITE | CKPT_VMA_EXEC | \
			 CKPT_VMA_SHARED | CKPT_VMA_ANON | CKPT_VMA_STACK | \
			 CKPT_VMA_HEAP | CKPT_VMA_VDSO | CKPT_VMA_HUGEPAGE | \
			 CKPT_VMA_NOHUGEPAGE | CKPT_VMA_DONTFORK | \
			 CKPT_VMA_DONTDUMP | CKPT_VMA_WIPEONFORK | \
			 CKPT_VMA_SEQUENTIAL | CKPT_VMA_RANDOM | \
			 CKPT_VMA_MERGEABLE | CKPT_VMA_LOCKED | \
			 CKPT_VMA_LOCKONFAULT | CKPT_VMA_NORESERVE | \
			 CKPT_VMA_SYSV | CKPT_VMA_SYSV_RDONLY)
#define SHM_FLAGS_KNOWN	(CKPT_SHM_DEST | CKPT_SHM_LOCKED | CKPT_SHM_NORESERVE)
#define PKEYS_KNOWN	0xfffeU
#define ID_FLAGS_KNOWN	(CKPT_ID_SUBREAPER | CKPT_ID_THP_DISABLE | \
			 CKPT_ID_MLOCK_FUTURE | CKPT_ID_MLOCK_ONFAULT)
/* /proc/PID/coredump_filter: MMF_DUMP_FILTER_BITS (9) bits. */
#define COREDUMP_FILTER_BITS	0x1ffU
#define TID_FLAGS_KNOWN	(CKPT_TID_NO_NEW_PRIVS | CKPT_TID_RESET_ON_FORK | \
			 TID_SSB | TID_IB | CKPT_TID_L1D_FLUSH | CKPT_TID_NOTSC | \
			 CKPT_TID_MCE_KILL | CKPT_TID_MCE_EARLY | CKPT_TID_IO_FLUSHER)
#define TID_SSB		(CKPT_TID_SSB_DISABLE | CKPT_TID_SSB_FORCE | CKPT_TID_SSB_NOEXEC)
#define TID_IB		(CKPT_TID_IB_DISABLE | CKPT_TID_IB_FORCE)
#define MAX_SIGNAL	64
#define MAX_ZOMBIES	(1U << 20)
#define MAX_TTYS	65536	/* terminals one TTY record may carry */
#define SIGCHLD_NR	17	/* x86-64 */
#define SI_TIMER_CODE	(-2)

/* Where the bytes come from: a file or device read by offset, or a pipe. */
struct src {
	int fd;
	bool own_fd;
	bool stream;
	int spool;	/* a stream's bytes are copied here, at their offsets; or -1 */
	uint64_t base;	/* offset of the image in the file */
	uint64_t limit;	/* bytes of the image available; NO_LIMIT if unknown */
	uint64_t pos;	/* bytes of the image consumed */
	uint32_t crc;	/* of every byte consumed, trailer record excluded */
};

/* Pages of a process at @addr whose bytes are at @offset of the file. */
struct data_run {
	uint64_t addr, nr, offset;
};

/* What the reader keeps per task besides the public view. */
struct task_state {
	struct libckpt_image_proc proc;
	void *proc_blk;		/* groups and paths of proc */
	struct libckpt_image_identity ident;
	void *ident_blk;	/* auxv and thread entries of ident */
	struct libckpt_image_thread *threads;
	struct libckpt_image_vma *vmas;
	struct libckpt_image_fd *fds;
	struct libckpt_image_timers timers;
	struct ckpt_posix_timer *posix;	/* of timers */
	struct libckpt_image_signals signals;
	struct ckpt_siginfo *siginfo;	/* of signals */
	struct libckpt_image_locks locks;
	struct ckpt_file_lock *lock_v;	/* of locks */
	struct libckpt_image_sysv sysv;
	struct ckpt_sysv_seg *seg_v;	/* of sysv */
	struct libckpt_image_tty tty;
	struct ckpt_tty *tty_v;		/* of tty */
	struct libckpt_image_base base;
	struct ckpt_base_run *base_v;	/* of base */
	struct ckpt_base_run *forked_v;	/* its FORKED record's runs */
	uint32_t nr_forked;
	struct data_run *own;	/* its PAGES runs, in a walk with forked runs */
	size_t nr_own, cap_own;
	struct data_run *fres;	/* its forked runs resolved, in that walk */
	size_t nr_fres, cap_fres;
	int resolving;		/* 0, 1 while its parent's are resolved, 2 done */
	struct libckpt_image_touched touched;
	struct ckpt_touched_run *touched_v;	/* of touched */
	struct ckpt_base_run *late_v;	/* its LATE record's runs */
	uint32_t nr_late;
	size_t nr_threads, nr_vmas, nr_fds;	/* parsed so far */
	size_t cap_threads, cap_vmas, cap_fds;
	uint64_t *vma_pages;	/* pages counted per mapping in a walk */
	uint64_t pages;		/* pages counted in a walk */
};

/* Where the first FD record of a file id is: ts[task].fds[idx]. */
struct fd_ref {
	uint32_t task, idx;
};

/* An object whose bytes one FD record carries (a pipe, FIFO, ghost). */
struct obj_key {
	uint64_t dev, ino;
	bool used;
};

struct libckpt_image {
	struct src src;
	struct ckpt_image_hdr hdr;
	struct libckpt_image_task *tasks;
	struct task_state *ts;
	bool has_parent;		/* incremental: a PARENT record */
	bool has_forked;		/* some process has a FORKED record */
	struct ckpt_rec_parent parent;
	struct ckpt_rec_zombie *zombies;	/* hdr.nr_zombies */
	size_t nr_tasks, cap_tasks, cap_ts;
	uint32_t *by_pid;	/* task indices sorted by pid */
	struct fd_ref *files;	/* per file id - 1: its first FD record */
	size_t nr_files, cap_files;
	struct obj_key *objs;	/* open-addressed, cap_objs a power of 2 */
	size_t nr_objs, cap_objs;
	uint64_t meta_bytes;	/* allocated on the input's behalf */

	/* Where the page data starts, to walk it again. */
	uint64_t pages_off;
	uint32_t pages_crc;
	uint32_t pages_rec;
	bool walked;		/* a stream's pages were consumed */
	bool verified;		/* a file or area image was verified whole */
	uint32_t pages_end_crc;	/* then: the crc up to its trailer */
	uint32_t trailer_crc;	/* the crc the last trailer checked */

	/*
	 * Opened for a restore (libckpt_image_open_deferred()): the page data
	 * was skipped, its CRC left to the module that fills it; crc_partial
	 * is the image's CRC as if each skipped run's own CRC were 0.
	 */
	bool defer_data;
	uint64_t deferred_bytes;	/* page data skipped */
	uint64_t crc_end;		/* where the CRC-covered bytes end */
	uint32_t crc_partial;
	uint32_t crc_want;		/* the trailer's */

	bool in_area;
	struct ckpt_area_slot slot;
	uint64_t image_len;	/* set once the trailer checked out */

	uint32_t nrec;		/* records read so far */
	uint32_t rec;		/* index of the current record */
	uint64_t rec_off;	/* its offset in the image */
	bool in_rec;		/* errors name the record */
	void *chunk;		/* LIBCKPT_PAGES_CHUNK pages */

	/*
	 * A spooled stream (libckpt_image_open_spooled()) stops its walk at
	 * the first late run (version 12), the layout of the rest known;
	 * libckpt_image_resume() reads on from there.
	 */
	bool has_late;		/* some process has late runs */
	bool pause_late;
	struct paused *paused;
	char err[LIBCKPT_ERRLEN];
};

static const char *rec_name(uint32_t type);
static bool known_type(uint32_t type);

/* Record @ret and a message, prefixed by the current record if any. */
__attribute__((format(printf, 3, 4)))
static int bad(struct libckpt_image *img, int ret, const char *fmt, ...)
{
	size_t used = 0;
	va_list ap;

	if (img->in_rec)
		used = (size_t)snprintf(img->err, sizeof(img->err),
					"record %" PRIu32 " at offset %" PRIu64 ": ",
					img->rec, img->rec_off);
	else
		img->err[0] = '\0';
	if (used < sizeof(img->err)) {
		va_start(ap, fmt);
		vsnprintf(img->err + used, sizeof(img->err) - used, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* Allocation on the input's behalf, counted against MAX_META_BYTES. */
static int grow(struct libckpt_image *img, void **arr, size_t *cap,
		size_t need, size_t elem)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	if (ncap < need)
		ncap = need;
	if ((uint64_t)(ncap - *cap) * elem > MAX_META_BYTES - img->meta_bytes)
		return bad(img, -E2BIG, "metadata exceeds the reader's limit of %llu MiB",
			   MAX_META_BYTES >> 20);
	p = realloc(*arr, ncap * elem);
	if (!p)
		return bad(img, -ENOMEM, "out of memory");
	memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	img->meta_bytes += (ncap - *cap) * elem;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int meta_alloc(struct libckpt_image *img, size_t size, void **out)
{
	if (size > MAX_META_BYTES - img->meta_bytes)
		return bad(img, -E2BIG, "metadata exceeds the reader's limit of %llu MiB",
			   MAX_META_BYTES >> 20);
	*out = calloc(1, size ? size : 1);
	if (!*out)
		return bad(img, -ENOMEM, "out of memory");
	img->meta_bytes += size;
	return 0;
}

static int truncated(struct libckpt_image *img, uint64_t need)
{
	struct src *s = &img->src;

	if (s->limit == NO_LIMIT)
		return bad(img, -EBADMSG, "truncated: the stream ends at byte %" PRIu64
			   " of the image, %" PRIu64 " more bytes expected",
			   s->pos, need);
	return bad(img, -EBADMSG, "truncated: %" PRIu64 " bytes needed at offset %"
		   PRIu64 ", the image ends at %" PRIu64, need, s->pos, s->limit);
}

/* Read exactly @n bytes of the image, folding them into the crc if @crc. */
static int src_read(struct libckpt_image *img, void *buf, size_t n, bool crc)
{
	struct src *s = &img->src;
	size_t got = 0;
	ssize_t r;

	if (n > s->limit - s->pos)
		return truncated(img, n);
	while (got < n) {
		if (s->stream)
			r = read(s->fd, (char *)buf + got, n - got);
		else
			r = pread(s->fd, (char *)buf + got, n - got,
				  (off_t)(s->base + s->pos + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return bad(img, -errno, "read error: %s", strerror(errno));
		if (r == 0) {
			s->pos += got;
			return truncated(img, n - got);
		}
		got += (size_t)r;
	}
	if (s->spool >= 0) {
		r = pwrite(s->spool, buf, n, (off_t)s->pos);
		if (r != (ssize_t)n)
			return bad(img, r < 0 ? -errno : -ENOSPC, "cannot spool the image: %s",
				   strerror(r < 0 ? errno : ENOSPC));
	}
	s->pos += n;
	if (crc)
		s->crc = libckpt_crc32c(s->crc, buf, n);
	return 0;
}

/* The zeros after a payload of @len bytes, up to the next multiple of 8. */
static int read_padding(struct libckpt_image *img, uint64_t len)
{
	uint64_t pad = -len & 7, zero = 0;
	int ret;

	ret = src_read(img, &zero, pad, true);
	if (ret)
		return ret;
	if (zero)
		return bad(img, -EBADMSG, "padding after the payload is not zero");
	return 0;
}

static int next_record(struct libckpt_image *img, struct ckpt_rec_hdr *rh)
{
	struct src *s = &img->src;
	uint64_t left;
	int ret;

	img->rec = img->nrec++;
	img->rec_off = s->pos;
	img->in_rec = true;
	ret = src_read(img, rh, sizeof(*rh), false);
	if (ret)
		return ret;
	/* The trailer's own header is the one thing the crc leaves out. */
	if (rh->type != CKPT_REC_TRAILER)
		s->crc = libckpt_crc32c(s->crc, rh, sizeof(*rh));
	if (!known_type(rh->type))
		return bad(img, -EBADMSG, "unknown record type %" PRIu32, rh->type);
	if (rh->flags)
		return bad(img, -EBADMSG, "%s record flags 0x%" PRIx32 " are not zero",
			   rec_name(rh->type), rh->flags);
	left = s->limit - s->pos;
	if (s->limit != NO_LIMIT && (rh->len > left || (-rh->len & 7) > left - rh->len))
		return bad(img, -EBADMSG, "%s record length %" PRIu64
			   " runs past the end of the image (%" PRIu64 " bytes left)",
			   rec_name(rh->type), (uint64_t)rh->len, left);
	return 0;
}

static int want_len(struct libckpt_image *img, const struct ckpt_rec_hdr *rh,
		    uint64_t len)
{
	if (rh->len != len)
		return bad(img, -EBADMSG, "%s record length %" PRIu64
			   ", expected %" PRIu64, rec_name(rh->type),
			   (uint64_t)rh->len, len);
	return 0;
}

/* Read the fixed part of a payload that must be at least @size bytes. */
static int read_fixed(struct libckpt_image *img, const struct ckpt_rec_hdr *rh,
		      void *buf, size_t size)
{
	if (rh->len < size)
		return bad(img, -EBADMSG, "%s record length %" PRIu64
			   " is shorter than its %zu-byte structure",
			   rec_name(rh->type), (uint64_t)rh->len, size);
	return src_read(img, buf, size, true);
}

/*
 * The @size bytes that follow a record's fixed part of @fixed bytes, which
 * must be all of the record, into *@out.
 */
static int read_rest(struct libckpt_image *img, const struct ckpt_rec_hdr *rh,
		     size_t fixed, size_t size, void **out)
{
	int ret = want_len(img, rh, fixed + (uint64_t)size);

	/* One byte more, zeroed: a path at the end reads as a C string. */
	if (!ret)
		ret = meta_alloc(img, size + 1, out);
	if (!ret)
		ret = src_read(img, *out, size, true);
	return ret;
}

static int parse_hdr(struct libckpt_image *img)
{
	struct ckpt_image_hdr *h = &img->hdr;
	int ret;

	img->in_rec = false;
	ret = src_read(img, h, sizeof(*h), true);
	if (ret == -EBADMSG && img->src.pos < sizeof(h->magic))
		return bad(img, -EINVAL, "not a ckpt image (shorter than its header)");
	if (ret)
		return ret;
	if (h->magic != CKPT_IMAGE_MAGIC)
		return bad(img, -EINVAL, "not a ckpt image (bad magic 0x%08" PRIx32 ")",
			   h->magic);
	if (h->version < CKPT_IMAGE_VERSION_MIN || h->version > CKPT_IMAGE_VERSION)
		return bad(img, -EINVAL, "image version %" PRIu32
			   " is not supported (this reader knows %d to %d)",
			   h->version, CKPT_IMAGE_VERSION_MIN, CKPT_IMAGE_VERSION);
	if (h->hdr_size != sizeof(*h))
		return bad(img, -EBADMSG, "image header size %" PRIu32 ", expected %zu",
			   h->hdr_size, sizeof(*h));
	if (h->nr_zombies > MAX_ZOMBIES)
		return bad(img, -EBADMSG, "image header declares %" PRIu32
			   " zombies (at most %u)", h->nr_zombies, MAX_ZOMBIES);
	if (!h->nr_tasks)
		return bad(img, -EBADMSG, "image header declares no tasks");
	if (h->nr_threads < h->nr_tasks)
		return bad(img, -EBADMSG, "image header declares %" PRIu32
			   " threads for %" PRIu32 " tasks", h->nr_threads,
			   h->nr_tasks);
	if (img->in_area && h->generation != img->slot.generation)
		return bad(img, -EBADMSG, "image is generation %" PRIu64
			   ", its area slot says %" PRIu64,
			   (uint64_t)h->generation, (uint64_t)img->slot.generation);
	if (img->in_area && h->created_ns != img->slot.created_ns)
		return bad(img, -EBADMSG, "image creation time differs from its area slot's");
	return 0;
}

static int parse_task(struct libckpt_image *img, size_t ti,
		      const struct ckpt_rec_hdr *rh, const void *fixed)
{
	const struct ckpt_rec_task rec = *(const struct ckpt_rec_task *)fixed;
	struct libckpt_image_task *t;
	int ret;

	(void)ti;
	(void)rh;
	if (!rec.pid)
		return bad(img, -EBADMSG, "TASK with pid 0");
	if (!rec.nr_threads)
		return bad(img, -EBADMSG, "task pid %" PRIu32 " has no threads", rec.pid);
	if (rec.flags & ~CKPT_TASK_FORKED)
		return bad(img, -EBADMSG, "task pid %" PRIu32 ": unknown flags 0x%" PRIx32,
			   rec.pid, rec.flags);
	ret = grow(img, (void **)&img->tasks, &img->cap_tasks,
		   img->nr_tasks + 1, sizeof(*img->tasks));
	if (!ret)
		ret = grow(img, (void **)&img->ts, &img->cap_ts,
			   img->nr_tasks + 1, sizeof(*img->ts));
	if (ret)
		return ret;
	t = &img->tasks[img->nr_tasks++];
	t->rec = rec;
	memcpy(t->comm, rec.comm, sizeof(rec.comm));
	t->comm[sizeof(rec.comm)] = '\0';
	return 0;
}

static int parse_thread(struct libckpt_image *img, size_t ti,
			const struct ckpt_rec_hdr *rh, const void *fixed)
{
	const struct ckpt_rec_thread rec = *(const struct ckpt_rec_thread *)fixed;
	struct task_state *ts = &img->ts[ti];
	struct libckpt_image_thread *th;
	uint64_t extra;
	void *blk;
	int ret;

	if (rec.regs_size != sizeof(struct user_regs_struct))
		return bad(img, -EBADMSG, "thread %" PRIu32 ": register size %" PRIu32
			   ", expected %zu", rec.tid, rec.regs_size,
			   sizeof(struct user_regs_struct));
	if (rec.xstate_size > MAX_XSTATE)
		return bad(img, -EBADMSG, "thread %" PRIu32 ": xstate size %" PRIu32
			   " exceeds %u", rec.tid, rec.xstate_size, MAX_XSTATE);
	extra = (uint64_t)rec.regs_size + rec.xstate_size;
	ret = want_len(img, rh, sizeof(rec) + extra);
	if (ret)
		return ret;
	if (!rec.tid)
		return bad(img, -EBADMSG, "THREAD with tid 0");
	if (rec.reserved || rec.reserved2)
		return bad(img, -EBADMSG, "thread %" PRIu32 ": reserved field is not zero",
			   rec.tid);
	ret = grow(img, (void **)&ts->threads, &ts->cap_threads,
		   ts->nr_threads + 1, sizeof(*ts->threads));
	if (!ret)
		ret = meta_alloc(img, extra, &blk);
	if (ret)
		return ret;
	th = &ts->threads[ts->nr_threads++];
	th->rec = rec;
	th->regs = blk;
	th->xstate = (char *)blk + rec.regs_size;
	img->tasks[ti].threads = ts->threads;
	return src_read(img, blk, extra, true);
}

static int check_vma(struct libckpt_image *img, const struct task_state *ts,
		     const struct ckpt_rec_vma *v)
{
	const struct ckpt_rec_vma *prev;

	if (v->start % CKPT_PAGE_SIZE || v->end % CKPT_PAGE_SIZE ||
	    v->start >= v->end)
		return bad(img, -EBADMSG, "mapping 0x%" PRIx64 "-0x%" PRIx64
			   " is empty or not page aligned",
			   (uint64_t)v->start, (uint64_t)v->end);
	if (v->flags & ~VMA_FLAGS_KNOWN)
		return bad(img, -EBADMSG, "mapping 0x%" PRIx64 ": unknown flags 0x%" PRIx32,
			   (uint64_t)v->start, v->flags & ~VMA_FLAGS_KNOWN);
	if (v->path_len > MAX_PATH_LEN)
		return bad(img, -EBADMSG, "mapping 0x%" PRIx64 ": path length %" PRIu32
			   " exceeds %d", (uint64_t)v->start, v->path_len,
			   MAX_PATH_LEN);
	if ((v->flags & CKPT_VMA_ANON) && (v->path_len || v->ino || v->dev))
		return bad(img, -EBADMSG, "anonymous mapping 0x%" PRIx64
			   " names a file", (uint64_t)v->start);
	/* What madvise(), mlock() and mmap() can make of a mapping, no more. */
	if (((v->flags & CKPT_VMA_WIPEONFORK) &&
	     (v->flags & (CKPT_VMA_SHARED | CKPT_VMA_ANON)) != CKPT_VMA_ANON) ||
	    ((v->flags & CKPT_VMA_MERGEABLE) && (v->flags & CKPT_VMA_SHARED)) ||
	    ((v->flags & CKPT_VMA_LOCKONFAULT) && !(v->flags & CKPT_VMA_LOCKED)) ||
	    ((v->flags & CKPT_VMA_SEQUENTIAL) && (v->flags & CKPT_VMA_RANDOM)) ||
	    ((v->flags & CKPT_VMA_HUGEPAGE) && (v->flags & CKPT_VMA_NOHUGEPAGE)))
		return bad(img, -EBADMSG, "mapping 0x%" PRIx64
			   ": flags 0x%" PRIx32 " contradict each other",
			   (uint64_t)v->start, v->flags);
	if (((v->flags & CKPT_VMA_SYSV) &&
	     ((v->flags & (CKPT_VMA_SHARED | CKPT_VMA_ANON)) != CKPT_VMA_SHARED ||
	      !v->path_len || v->ino > INT32_MAX)) ||
	    ((v->flags & CKPT_VMA_SYSV_RDONLY) &&
	     (v->flags & (CKPT_VMA_SYSV | CKPT_VMA_WRITE)) != CKPT_VMA_SYSV))
		return bad(img, -EBADMSG, "mapping 0x%" PRIx64 ": a System V attachment"
			   " that is not a shared mapping of a segment id, or a writable"
			   " SHM_RDONLY one (flags 0x%" PRIx32 ")",
			   (uint64_t)v->start, v->flags);
	if (v->nr_pages > (v->end - v->start) / CKPT_PAGE_SIZE)
		return bad(img, -EBADMSG, "mapping 0x%" PRIx64 "-0x%" PRIx64
			   " declares %" PRIu64 " pages, more than it spans",
			   (uint64_t)v->start, (uint64_t)v->end,
			   (uint64_t)v->nr_pages);
	/* Ascending and disjoint: page runs are then found by bisection. */
	prev = ts->nr_vmas ? &ts->vmas[ts->nr_vmas - 1].rec : NULL;
	if (prev && v->start < prev->end)
		return bad(img, -EBADMSG, "mapping 0x%" PRIx64 "-0x%" PRIx64
			   " overlaps or precedes 0x%" PRIx64 "-0x%" PRIx64,
			   (uint64_t)v->start, (uint64_t)v->end,
			   (uint64_t)prev->start, (uint64_t)prev->end);
	return 0;
}

static int parse_vma(struct libckpt_image *img, size_t ti,
		     const struct ckpt_rec_hdr *rh, const void *fixed)
{
	const struct ckpt_rec_vma rec = *(const struct ckpt_rec_vma *)fixed;
	struct task_state *ts = &img->ts[ti];
	struct libckpt_image_vma *vma;
	char *path;
	int ret;

	ret = check_vma(img, ts, &rec);
	if (!ret)
		ret = want_len(img, rh, sizeof(rec) + (uint64_t)rec.path_len);
	if (!ret)
		ret = grow(img, (void **)&ts->vmas, &ts->cap_vmas,
			   ts->nr_vmas + 1, sizeof(*ts->vmas));
	if (!ret)
		ret = meta_alloc(img, (size_t)rec.path_len + 1, (void **)&path);
	if (ret)
		return ret;
	vma = &ts->vmas[ts->nr_vmas++];
	vma->rec = rec;
	vma->path = path;
	img->tasks[ti].vmas = ts->vmas;
	ret = src_read(img, path, rec.path_len, true);
	if (ret)
		return ret;
	if (strlen(path) != rec.path_len)
		return bad(img, -EBADMSG, "mapping 0x%" PRIx64 ": path holds a NUL byte",
			   (uint64_t)rec.start);
	return 0;
}

/* Bytes at @p..@p+@len hold no NUL; @p is NUL-terminated after them. */
static bool clean_string(const char *p, uint32_t len)
{
	return memchr(p, '\0', len) == NULL;
}

static int parse_proc(struct libckpt_image *img, size_t ti,
		      const struct ckpt_rec_hdr *rh, const void *fixed)
{
	const struct ckpt_rec_proc rec = *(const struct ckpt_rec_proc *)fixed;
	struct task_state *ts = &img->ts[ti];
	struct libckpt_image_proc *pr = &ts->proc;
	uint64_t groups, extra;
	char *blk;
	int ret;

	if (rec.flags & ~(CKPT_PROC_CWD_DELETED | CKPT_PROC_STOPPED))
		return bad(img, -EBADMSG, "PROC: unknown flags 0x%" PRIx32,
			   rec.flags & ~(CKPT_PROC_CWD_DELETED | CKPT_PROC_STOPPED));
	if (rec.nr_groups > MAX_GROUPS || rec.cwd_len > MAX_PATH_LEN ||
	    rec.root_len > MAX_PATH_LEN || rec.exe_len > MAX_PATH_LEN)
		return bad(img, -EBADMSG, "PROC: %" PRIu32 " groups or a path longer than %d",
			   rec.nr_groups, MAX_PATH_LEN);
	groups = (uint64_t)rec.nr_groups * sizeof(uint32_t);
	extra = groups + rec.cwd_len + rec.root_len + rec.exe_len;
	ret = want_len(img, rh, sizeof(rec) + extra);
	/* Room for three NULs after the paths. */
	if (!ret)
		ret = meta_alloc(img, (size_t)extra + 3, (void **)&blk);
	if (ret)
		return ret;
	ts->proc_blk = blk;
	ret = src_read(img, blk, groups, true);
	if (!ret)
		ret = src_read(img, blk + groups, rec.cwd_len, true);
	if (!ret)
		ret = src_read(img, blk + groups + rec.cwd_len + 1, rec.root_len, true);
	if (!ret)
		ret = src_read(img, blk + groups + rec.cwd_len + rec.root_len + 2,
			       rec.exe_len, true);
	if (ret)
		return ret;
	pr->rec = rec;
	pr->groups = (const uint32_t *)blk;
	pr->cwd = blk + groups;
	pr->root = pr->cwd + rec.cwd_len + 1;
	pr->exe = pr->root + rec.root_len + 1;
	blk[groups + rec.cwd_len] = '\0';
	blk[groups + rec.cwd_len + rec.root_len + 1] = '\0';
	blk[extra + 2] = '\0';
	if (!clean_string(pr->cwd, rec.cwd_len) ||
	    !clean_string(pr->root, rec.root_len) ||
	    !clean_string(pr->exe, rec.exe_len))
		return bad(img, -EBADMSG, "PROC: a path holds a NUL byte");
	img->tasks[ti].proc = pr;
	return 0;
}

/* Objects whose bytes the image carries once: pipes, FIFOs, ghosts. */
static bool carries_bytes(const struct ckpt_rec_fd *f)
{
	return f->type == CKPT_FD_PIPE || f->type == CKPT_FD_FIFO ||
	       f->type == CKPT_FD_MEMFD || (f->flags & CKPT_FD_DELETED);
}

/*
 * A descriptor object (eventfd .. inotify) is one description: no path, no
 * bytes, its state on the first record of its file id and on no other.
 * The state itself is judged once it is read (libckpt_fdobj_check()).
 */
static int check_obj(struct libckpt_image *img, const struct ckpt_rec_fd *f)
{
	bool state = f->flags & CKPT_FD_OBJ_STATE;

	if (f->path_len || f->flags & (CKPT_FD_DELETED | CKPT_FD_DATA) || f->seals)
		return bad(img, -EBADMSG, "fd %" PRId32 ": a descriptor object with a path, seals or file flags",
			   f->fd);
	if (state != (f->file_id == img->nr_files + 1))
		return bad(img, -EBADMSG, "fd %" PRId32 ": the state of file id %" PRIu32
			   " must come once, on its first record", f->fd, f->file_id);
	return 0;
}

static int check_fd(struct libckpt_image *img, const struct task_state *ts,
		    const struct ckpt_rec_fd *f)
{
	bool pipe = f->type == CKPT_FD_PIPE, obj = libckpt_fdobj_type(f->type);

	if (f->fd < 0 || (ts->nr_fds && f->fd <= ts->fds[ts->nr_fds - 1].rec.fd))
		return bad(img, -EBADMSG, "fd %" PRId32 " is negative, repeated or out of order",
			   f->fd);
	if (f->type < CKPT_FD_REG || f->type > CKPT_FD_NOTICE)
		return bad(img, -EBADMSG, "fd %" PRId32 ": unknown type %" PRIu32,
			   f->fd, f->type);
	if (f->flags & ~FD_FLAGS_KNOWN)
		return bad(img, -EBADMSG, "fd %" PRId32 ": unknown flags", f->fd);
	if (!(f->flags & CKPT_FD_DEVTTY) != !f->tty_rdev ||
	    ((f->flags & CKPT_FD_DEVTTY) && f->type != CKPT_FD_TTY))
		return bad(img, -EBADMSG, "fd %" PRId32 ": a /dev/tty flag without its terminal, or on another kind",
			   f->fd);
	if (f->owner_type > CKPT_OWNER_PGRP || f->owner_sig > 64 ||
	    (f->owner_type == CKPT_OWNER_NONE) != !f->owner || f->owner > INT32_MAX)
		return bad(img, -EBADMSG, "fd %" PRId32 ": signal owner %" PRIu32
			   " of kind %u or signal %u out of range", f->fd, f->owner,
			   f->owner_type, f->owner_sig);
	if (f->path_len > MAX_PATH_LEN || f->data_len > MAX_FD_DATA)
		return bad(img, -EBADMSG, "fd %" PRId32 ": path or data too long", f->fd);
	if ((f->flags & CKPT_FD_OBJ_STATE) && !obj)
		return bad(img, -EBADMSG, "fd %" PRId32 ": object state flag on a file",
			   f->fd);
	if (!f->file_id || f->file_id > img->nr_files + 1)
		return bad(img, -EBADMSG, "fd %" PRId32 ": file id %" PRIu32
			   " is 0 or skips ahead of %zu", f->fd, f->file_id, img->nr_files);
	if (obj)
		return check_obj(img, f);
	if (pipe ? f->path_len != 0 : f->path_len == 0)
		return bad(img, -EBADMSG, "fd %" PRId32 ": %s", f->fd,
			   pipe ? "a pipe with a path" : "a file without a path");
	if ((f->flags & CKPT_FD_DELETED) && f->type != CKPT_FD_REG)
		return bad(img, -EBADMSG, "fd %" PRId32 ": deleted flag on a type other than a file",
			   f->fd);
	if ((f->flags & CKPT_FD_DATA) && !carries_bytes(f))
		return bad(img, -EBADMSG, "fd %" PRId32 ": data flag on a type that carries none",
			   f->fd);
	if (f->data_len && !(f->flags & CKPT_FD_DATA))
		return bad(img, -EBADMSG, "fd %" PRId32 ": data on a record that carries none",
			   f->fd);
	if ((f->flags & CKPT_FD_DATA) && !pipe && f->type != CKPT_FD_FIFO &&
	    f->data_len != f->size)
		return bad(img, -EBADMSG, "fd %" PRId32 ": %" PRIu32 " bytes of contents for a file of %"
			   PRIu64, f->fd, f->data_len, (uint64_t)f->size);
	if ((pipe || f->type == CKPT_FD_FIFO) && f->data_len > f->pipe_size)
		return bad(img, -EBADMSG, "fd %" PRId32 ": %" PRIu32 " bytes buffered in a pipe of %"
			   PRIu32, f->fd, f->data_len, f->pipe_size);
	if ((f->seals && f->type != CKPT_FD_MEMFD) || (f->seals & ~SEALS_KNOWN))
		return bad(img, -EBADMSG, "fd %" PRId32 ": seals 0x%" PRIx32 " on a %s",
			   f->fd, f->seals, f->type == CKPT_FD_MEMFD ? "memfd" : "non-memfd");
	return 0;
}

static uint64_t obj_hash(uint64_t dev, uint64_t ino)
{
	return (ino * 0x9E3779B97F4A7C15ULL) ^ (dev * 0xC2B2AE3D27D4EB4FULL);
}

/* 1 if (@dev, @ino) was seen, 0 if now added, or a negative errno. */
static int obj_seen(struct libckpt_image *img, uint64_t dev, uint64_t ino)
{
	size_t i, cap = img->cap_objs;
	struct obj_key *old = img->objs;
	int ret;

	if (2 * (img->nr_objs + 1) > cap) {
		size_t ncap = cap ? 2 * cap : 16, zero = 0;

		img->objs = NULL;
		ret = grow(img, (void **)&img->objs, &zero, ncap, sizeof(*img->objs));
		if (ret) {
			img->objs = old;
			return ret;
		}
		img->cap_objs = ncap;
		img->nr_objs = 0;
		for (i = 0; i < cap; i++)
			if (old[i].used)
				obj_seen(img, old[i].dev, old[i].ino);
		free(old);
	}
	for (i = obj_hash(dev, ino) & (img->cap_objs - 1);; i = (i + 1) & (img->cap_objs - 1)) {
		if (!img->objs[i].used) {
			img->objs[i] = (struct obj_key){ dev, ino, true };
			img->nr_objs++;
			return 0;
		}
		if (img->objs[i].dev == dev && img->objs[i].ino == ino)
			return 1;
	}
}

/*
 * Descriptors of one open file description agree on all it holds; the
 * bytes of a pipe, FIFO or ghost come once, on its first record.
 */
static int check_sharing(struct libckpt_image *img, size_t ti,
			 const struct libckpt_image_fd *fd)
{
	const struct ckpt_rec_fd *f = &fd->rec;
	const struct libckpt_image_fd *first;
	const struct ckpt_rec_fd *a;
	int ret, seen;

	if (f->file_id == img->nr_files + 1) {
		ret = grow(img, (void **)&img->files, &img->cap_files,
			   img->nr_files + 1, sizeof(*img->files));
		if (ret)
			return ret;
		img->files[img->nr_files++] = (struct fd_ref){
			(uint32_t)ti, (uint32_t)(fd - img->ts[ti].fds) };
	} else {
		first = &img->ts[img->files[f->file_id - 1].task].fds[img->files[f->file_id - 1].idx];
		a = &first->rec;
		if (a->type != f->type || a->f_flags != f->f_flags || a->pos != f->pos ||
		    a->ino != f->ino || a->dev != f->dev || a->rdev != f->rdev ||
		    a->mode != f->mode || a->size != f->size || a->mtime_ns != f->mtime_ns ||
		    a->pipe_size != f->pipe_size || a->seals != f->seals ||
		    (a->flags & CKPT_FD_DELETED) != (f->flags & CKPT_FD_DELETED) ||
		    strcmp(first->path, fd->path))
			return bad(img, -EBADMSG, "fd %" PRId32 ": file id %" PRIu32
				   " differs from its first descriptor's", f->fd, f->file_id);
	}
	if (!carries_bytes(f))
		return 0;
	seen = obj_seen(img, f->dev, f->ino);
	if (seen < 0)
		return seen;
	if (!seen != !!(f->flags & CKPT_FD_DATA))
		return bad(img, -EBADMSG, "fd %" PRId32 ": the bytes of inode %" PRIu64
			   " must come once, on its first record", f->fd, (uint64_t)f->ino);
	return 0;
}

static int parse_fd(struct libckpt_image *img, size_t ti,
		    const struct ckpt_rec_hdr *rh, const void *fixed)
{
	const struct ckpt_rec_fd rec = *(const struct ckpt_rec_fd *)fixed;
	struct task_state *ts = &img->ts[ti];
	struct libckpt_image_fd *fd;
	char why[160];
	char *blk;
	int ret;

	ret = check_fd(img, ts, &rec);
	if (!ret)
		ret = want_len(img, rh, sizeof(rec) + (uint64_t)rec.path_len +
			       rec.data_len);
	if (!ret)
		ret = grow(img, (void **)&ts->fds, &ts->cap_fds,
			   ts->nr_fds + 1, sizeof(*ts->fds));
	if (!ret)
		ret = meta_alloc(img, (size_t)rec.path_len + 1 + rec.data_len,
				 (void **)&blk);
	if (ret)
		return ret;
	fd = &ts->fds[ts->nr_fds++];
	fd->rec = rec;
	fd->path = blk;
	fd->data = blk + rec.path_len + 1;
	img->tasks[ti].fds = ts->fds;
	ret = src_read(img, blk, rec.path_len, true);
	if (!ret)
		ret = src_read(img, blk + rec.path_len + 1, rec.data_len, true);
	if (ret)
		return ret;
	blk[rec.path_len] = '\0';
	if (!clean_string(blk, rec.path_len))
		return bad(img, -EBADMSG, "fd %" PRId32 ": path holds a NUL byte", rec.fd);
	if (libckpt_fdobj_type(rec.type) &&
	    libckpt_fdobj_check(&rec, fd->data, why, sizeof(why)))
		return bad(img, -EBADMSG, "fd %" PRId32 ": %s", rec.fd, why);
	return check_sharing(img, ti, fd);
}

/* A scheduling the kernel can give a thread (sched_setscheduler(2)). */
static int check_sched(const struct ckpt_thread_identity *id, char *why, size_t len)
{
	bool rt = id->policy == SCHED_FIFO || id->policy == SCHED_RR;
	uint64_t any = 0;
	size_t k;

	if (id->policy != SCHED_OTHER && id->policy != SCHED_BATCH &&
	    id->policy != SCHED_IDLE && !rt)
		snprintf(why, len, "scheduling policy %" PRIu32 " is not one a restore sets",
			 id->policy);
	else if (rt ? id->rt_priority < 1 || id->rt_priority > 99 : id->rt_priority)
		snprintf(why, len, "real-time priority %" PRIu32 " does not fit policy %" PRIu32,
			 id->rt_priority, id->policy);
	else if (id->nice < -20 || id->nice > 19)
		snprintf(why, len, "nice %" PRId32 " out of range", id->nice);
	else if ((id->ioprio >> 13) > 3 || (id->ioprio & 0x1fff) > 7 || id->reserved)
		snprintf(why, len, "I/O priority 0x%" PRIx32 " out of range, or reserved bits",
			 id->ioprio);
	else
		why[0] = '\0';
	for (k = 0; k < CKPT_AFFINITY_WORDS; k++)
		any |= id->affinity[k];
	if (!why[0] && !any)
		snprintf(why, len, "no CPU in its affinity");
	return why[0] ? -EBADMSG : 0;
}

static int check_thread_identity(struct libckpt_image *img,
				 const struct task_state *ts, uint32_t j,
				 const struct ckpt_thread_identity *id)
{
	const char *nul = memchr(id->comm, '\0', sizeof(id->comm));
	char why[96];
	size_t k;
	int ret;

	if (id->tid != ts->threads[j].rec.tid)
		return bad(img, -EBADMSG, "IDENTITY: thread entry %" PRIu32
			   " is tid %" PRIu32 ", its THREAD record says %" PRIu32,
			   j, id->tid, ts->threads[j].rec.tid);
	if ((id->flags & ~TID_FLAGS_KNOWN) ||
	    __builtin_popcount(id->flags & TID_SSB) > 1 ||
	    __builtin_popcount(id->flags & TID_IB) > 1 ||
	    ((id->flags & CKPT_TID_MCE_EARLY) && !(id->flags & CKPT_TID_MCE_KILL)))
		return bad(img, -EBADMSG, "IDENTITY: thread %" PRIu32
			   ": unknown or contradicting flags", id->tid);
	ret = check_sched(id, why, sizeof(why));
	if (ret)
		return bad(img, -EBADMSG, "IDENTITY: thread %" PRIu32 ": %s", id->tid, why);
	if (id->pdeathsig > MAX_SIGNAL)
		return bad(img, -EBADMSG, "IDENTITY: thread %" PRIu32
			   ": parent-death signal %" PRIu32 " out of range",
			   id->tid, id->pdeathsig);
	/* NUL-padded: nothing but NULs after the first one. */
	for (k = nul ? (size_t)(nul - id->comm) : sizeof(id->comm);
	     k < sizeof(id->comm); k++)
		if (id->comm[k])
			return bad(img, -EBADMSG, "IDENTITY: thread %" PRIu32
				   ": name is not NUL-padded", id->tid);
	return 0;
}

/*
 * The restore makes the path under the cgroup2 mount: absolute, and no
 * component may climb out of it.
 */
static bool cgroup_path_ok(const char *path, size_t len)
{
	const char *c = path + 1, *end;

	if (path[0] != '/' || strlen(path) != len)
		return false;
	for (; *c; c = *end ? end + 1 : end) {
		end = strchrnul(c, '/');
		if ((end - c == 1 && c[0] == '.') ||
		    (end - c == 2 && c[0] == '.' && c[1] == '.'))
			return false;
	}
	return true;
}

static int parse_identity(struct libckpt_image *img, size_t ti,
			  const struct ckpt_rec_hdr *rh, const void *fixed)
{
	const struct ckpt_rec_identity rec = *(const struct ckpt_rec_identity *)fixed;
	struct task_state *ts = &img->ts[ti];
	struct libckpt_image_identity *id = &ts->ident;
	const struct libckpt_image_task *t = &img->tasks[ti];
	uint64_t auxv, threads, extra;
	char *blk;
	uint32_t j;
	int ret;

	if (rec.flags & ~ID_FLAGS_KNOWN ||
	    ((rec.flags & CKPT_ID_MLOCK_ONFAULT) && !(rec.flags & CKPT_ID_MLOCK_FUTURE)))
		return bad(img, -EBADMSG, "IDENTITY: unknown or contradictory flags 0x%" PRIx32,
			   rec.flags);
	if (rec.dumpable > 2)
		return bad(img, -EBADMSG, "IDENTITY: dumpable %" PRIu32 " is not 0, 1 or 2",
			   rec.dumpable);
	if (rec.oom_score_adj < -1000 || rec.oom_score_adj > 1000 ||
	    rec.coredump_filter & ~COREDUMP_FILTER_BITS)
		return bad(img, -EBADMSG, "IDENTITY: oom_score_adj %" PRId32
			   " or coredump_filter 0x%" PRIx32 " out of range",
			   rec.oom_score_adj, rec.coredump_filter);
	if (rec.nr_auxv < 2 || rec.nr_auxv % 2 || rec.nr_auxv > CKPT_AUXV_WORDS)
		return bad(img, -EBADMSG, "IDENTITY: %" PRIu32
			   " auxv words (an even number from 2 to %d)",
			   rec.nr_auxv, CKPT_AUXV_WORDS);
	if (rec.nr_threads != t->rec.nr_threads)
		return bad(img, -EBADMSG, "IDENTITY: %" PRIu32
			   " thread entries, task pid %" PRIu32 " has %" PRIu32 " threads",
			   rec.nr_threads, t->rec.pid, t->rec.nr_threads);
	/* x86 has 16 keys; key 0 is everyone's. */
	if ((rec.pkeys & ~PKEYS_KNOWN) || rec.reserved)
		return bad(img, -EBADMSG, "IDENTITY: protection keys 0x%" PRIx32
			   " beyond 1..15, or a reserved field set", rec.pkeys);
	if (rec.cgroup_len > CKPT_CGROUP_PATH_MAX)
		return bad(img, -EBADMSG, "IDENTITY: a cgroup path of %" PRIu32
			   " bytes (at most %d)", rec.cgroup_len, CKPT_CGROUP_PATH_MAX);
	auxv = (uint64_t)rec.nr_auxv * sizeof(uint64_t);
	threads = (uint64_t)rec.nr_threads * sizeof(struct ckpt_thread_identity);
	extra = auxv + threads + rec.cgroup_len;
	ret = read_rest(img, rh, sizeof(rec), (size_t)extra, &ts->ident_blk);
	if (ret)
		return ret;
	blk = ts->ident_blk;
	id->rec = rec;
	id->auxv = (const uint64_t *)blk;
	id->threads = (const struct ckpt_thread_identity *)(blk + auxv);
	/* read_rest() ends it with a NUL. */
	id->cgroup = rec.cgroup_len ? blk + auxv + threads : NULL;
	if (id->auxv[rec.nr_auxv - 2] != 0)
		return bad(img, -EBADMSG, "IDENTITY: the auxv does not end with AT_NULL");
	if (id->cgroup && !cgroup_path_ok(id->cgroup, rec.cgroup_len))
		return bad(img, -EBADMSG, "IDENTITY: the cgroup path is not absolute or has a NUL, '.' or '..'");
	for (j = 0; j < rec.nr_threads; j++) {
		ret = check_thread_identity(img, ts, j, &id->threads[j]);
		if (ret)
			return ret;
	}
	img->tasks[ti].ident = id;
	return 0;
}

/* Is @tid one of task @ti's threads? */
static bool has_thread(const struct task_state *ts, uint32_t tid)
{
	size_t i;

	for (i = 0; i < ts->nr_threads; i++)
		if (ts->threads[i].rec.tid == tid)
			return true;
	return false;
}

/* CLOCK_REALTIME, CLOCK_TAI; SIGEV_* (asm-generic/siginfo.h) */
#define CLOCK_REALTIME_ID	0
#define CLOCK_TAI_ID		11
#define SIGEV_THREAD_ID_BIT	4
#define TIMER_FLAGS_KNOWN	(CKPT_TIMER_ABSTIME | CKPT_TIMER_PENDING)

static int check_posix_timer(struct libckpt_image *img, size_t ti,
			     const struct ckpt_posix_timer *t, int64_t prev_id)
{
	const struct task_state *ts = &img->ts[ti];
	uint32_t pid = img->tasks[ti].rec.pid;
	bool thread_clock = t->clock < 0 && (t->clock & 4);

	if (t->id < 0 || t->id <= prev_id ||
	    (uint32_t)t->id >= ts->timers.rec.next_id)
		return bad(img, -EBADMSG, "timer %" PRId32 " is repeated, out of order or not below the id counter %" PRIu32,
			   t->id, ts->timers.rec.next_id);
	if (t->flags & ~TIMER_FLAGS_KNOWN)
		return bad(img, -EBADMSG, "timer %" PRId32 ": unknown flags 0x%" PRIx32,
			   t->id, t->flags & ~TIMER_FLAGS_KNOWN);
	if (t->notify != 0 && t->notify != 1 && t->notify != 2 &&
	    t->notify != SIGEV_THREAD_ID_BIT)
		return bad(img, -EBADMSG, "timer %" PRId32 ": unknown notification %" PRId32,
			   t->id, t->notify);
	if (t->notify != 1 && (t->signo < 1 || t->signo > CKPT_NSIG))
		return bad(img, -EBADMSG, "timer %" PRId32 ": signal %" PRId32 " out of range",
			   t->id, t->signo);
	if ((t->notify == SIGEV_THREAD_ID_BIT) != (t->notify_tid != 0) ||
	    (t->notify_tid && !has_thread(ts, t->notify_tid)))
		return bad(img, -EBADMSG, "timer %" PRId32 ": signalled thread %" PRIu32
			   " is not a thread of pid %" PRIu32, t->id, t->notify_tid, pid);
	if ((t->clock < 0) != (t->clock_tid != 0) ||
	    (thread_clock && !has_thread(ts, t->clock_tid)) ||
	    (t->clock < 0 && !thread_clock && t->clock_tid != pid))
		return bad(img, -EBADMSG, "timer %" PRId32 ": the CPU clock of %" PRIu32
			   " is not pid %" PRIu32 "'s", t->id, t->clock_tid, pid);
	if ((t->flags & CKPT_TIMER_ABSTIME) &&
	    t->clock != CLOCK_REALTIME_ID && t->clock != CLOCK_TAI_ID)
		return bad(img, -EBADMSG, "timer %" PRId32 ": absolute on clock %" PRId32,
			   t->id, t->clock);
	if (((t->flags & CKPT_TIMER_PENDING) && t->notify == 1) ||
	    (!(t->flags & CKPT_TIMER_PENDING) && t->pending_overrun))
		return bad(img, -EBADMSG, "timer %" PRId32 ": a pending signal that cannot be",
			   t->id);
	return 0;
}

static int parse_timers(struct libckpt_image *img, size_t ti,
			const struct ckpt_rec_hdr *rh, const void *fixed)
{
	struct task_state *ts = &img->ts[ti];
	struct ckpt_rec_timers *rec = &ts->timers.rec;
	int64_t prev = -1;
	uint32_t i;
	int ret;

	*rec = *(const struct ckpt_rec_timers *)fixed;
	if (rec->nr_posix > CKPT_MAX_POSIX_TIMERS || rec->next_id > CKPT_MAX_TIMER_ID)
		return bad(img, -EBADMSG, "TIMERS: %" PRIu32 " timers or id counter %" PRIu32
			   " beyond the bounds", rec->nr_posix, rec->next_id);
	ret = read_rest(img, rh, sizeof(*rec), (size_t)rec->nr_posix * sizeof(*ts->posix),
			(void **)&ts->posix);
	for (i = 0; !ret && i < rec->nr_posix; i++) {
		ret = check_posix_timer(img, ti, &ts->posix[i], prev);
		prev = ts->posix[i].id;
	}
	if (ret)
		return ret;
	ts->timers.posix = ts->posix;
	img->tasks[ti].timers = &ts->timers;
	return 0;
}

/* Signal @sig's bit in a pending set. */
static bool sig_in(uint64_t set, int32_t sig)
{
	return sig >= 1 && sig <= MAX_SIGNAL && (set & (1ULL << (sig - 1)));
}

/*
 * One queued signal of task @ti: its queue (@tid 0, the process-wide
 * one, or a thread) comes no earlier than the previous entry's (*@queue),
 * it is pending in that queue's set, and a standard signal is queued at
 * most once (the kernel's legacy_queue()).
 */
static int check_siginfo(struct libckpt_image *img, size_t ti,
			 const struct ckpt_siginfo *si, size_t *queue,
			 uint64_t *standard_seen)
{
	const struct task_state *ts = &img->ts[ti];
	int32_t sig, code;
	uint64_t set;
	size_t q, k;

	memcpy(&sig, si->info, sizeof(sig));
	memcpy(&code, si->info + 2 * sizeof(int32_t), sizeof(code));
	if (si->reserved)
		return bad(img, -EBADMSG, "SIGNALS: reserved field is not zero");
	if (si->tid) {
		for (k = 0; k < ts->nr_threads; k++)
			if (ts->threads[k].rec.tid == si->tid)
				break;
		if (k == ts->nr_threads)
			return bad(img, -EBADMSG, "SIGNALS: %" PRIu32
				   " is not a thread of pid %" PRIu32, si->tid,
				   img->tasks[ti].rec.pid);
		q = k + 1;
		set = ts->threads[k].rec.pending;
	} else {
		q = 0;
		set = ts->proc.rec.shared_pending;
	}
	if (q < *queue)
		return bad(img, -EBADMSG, "SIGNALS: the queue of %" PRIu32
			   " is out of order", si->tid);
	if (q != *queue)
		*standard_seen = 0;
	*queue = q;
	if (!sig_in(set, sig))
		return bad(img, -EBADMSG, "SIGNALS: signal %" PRId32
			   " of queue %" PRIu32 " is not pending there", sig, si->tid);
	if (code == SI_TIMER_CODE)
		return bad(img, -EBADMSG, "SIGNALS: a POSIX timer's signal %" PRId32
			   " (TIMERS carries those)", sig);
	if (sig < 32) {
		if (*standard_seen & (1ULL << sig))
			return bad(img, -EBADMSG, "SIGNALS: standard signal %" PRId32
				   " queued twice in queue %" PRIu32, sig, si->tid);
		*standard_seen |= 1ULL << sig;
	}
	return 0;
}

static int parse_signals(struct libckpt_image *img, size_t ti,
			 const struct ckpt_rec_hdr *rh, const void *fixed)
{
	struct task_state *ts = &img->ts[ti];
	struct ckpt_rec_signals *rec = &ts->signals.rec;
	uint64_t seen = 0;
	size_t queue = 0;
	uint32_t i;
	int ret;

	*rec = *(const struct ckpt_rec_signals *)fixed;
	if (rec->reserved)
		return bad(img, -EBADMSG, "SIGNALS: reserved field is not zero");
	if (rec->nr_siginfo > CKPT_MAX_SIGINFO)
		return bad(img, -EBADMSG, "SIGNALS: %" PRIu32 " queued signals (at most %d)",
			   rec->nr_siginfo, CKPT_MAX_SIGINFO);
	ret = read_rest(img, rh, sizeof(*rec), (size_t)rec->nr_siginfo * sizeof(*ts->siginfo),
			(void **)&ts->siginfo);
	for (i = 0; !ret && i < rec->nr_siginfo; i++)
		ret = check_siginfo(img, ti, &ts->siginfo[i], &queue, &seen);
	if (ret)
		return ret;
	ts->signals.siginfo = ts->siginfo;
	img->tasks[ti].signals = &ts->signals;
	return 0;
}

/* Is @file_id one of task @ti's FD records'? */
static bool has_file_id(const struct task_state *ts, uint32_t file_id)
{
	size_t i;

	for (i = 0; i < ts->nr_fds; i++)
		if (ts->fds[i].rec.file_id == file_id)
			return true;
	return false;
}

static const char *const lock_kinds[] = {
	[CKPT_LOCK_FLOCK] = "flock", [CKPT_LOCK_POSIX] = "POSIX", [CKPT_LOCK_OFD] = "OFD",
};

/*
 * One lock of task @ti, after @prev (NULL for the first): its owner is
 * the task (POSIX) or a description the task's records first name
 * (FLOCK, OFD); the locks of one kind through one description follow
 * each other in ascending order and do not overlap, as the kernel keeps
 * them; one flock() lock per description.
 */
static int check_lock(struct libckpt_image *img, size_t ti,
		      const struct ckpt_file_lock *l, const struct ckpt_file_lock *prev)
{
	const struct task_state *ts = &img->ts[ti];
	uint32_t pid = img->tasks[ti].rec.pid;

	if (l->kind < CKPT_LOCK_FLOCK || l->kind > CKPT_LOCK_OFD)
		return bad(img, -EBADMSG, "LOCKS: unknown lock kind %" PRIu32, l->kind);
	if (l->type != CKPT_LOCK_READ && l->type != CKPT_LOCK_WRITE)
		return bad(img, -EBADMSG, "LOCKS: %s lock of unknown type %" PRIu32,
			   lock_kinds[l->kind], l->type);
	if (!l->file_id || !has_file_id(ts, l->file_id))
		return bad(img, -EBADMSG, "LOCKS: %s lock through file id %" PRIu32
			   ", which pid %" PRIu32 " has no descriptor of",
			   lock_kinds[l->kind], l->file_id, pid);
	if (l->kind != CKPT_LOCK_POSIX && img->files[l->file_id - 1].task != ti)
		return bad(img, -EBADMSG, "LOCKS: %s lock of file id %" PRIu32
			   " not on the record of the process that first names it",
			   lock_kinds[l->kind], l->file_id);
	if ((l->kind == CKPT_LOCK_POSIX && l->pid != pid) ||
	    (l->kind == CKPT_LOCK_OFD && l->pid))
		return bad(img, -EBADMSG, "LOCKS: %s lock of file id %" PRIu32
			   " held by pid %" PRIu32 " on pid %" PRIu32 "'s record",
			   lock_kinds[l->kind], l->file_id, l->pid, pid);
	if (l->start > l->end || l->end > CKPT_LOCK_EOF ||
	    (l->kind == CKPT_LOCK_FLOCK && (l->start || l->end != CKPT_LOCK_EOF)))
		return bad(img, -EBADMSG, "LOCKS: %s lock of file id %" PRIu32
			   " has range %" PRIu64 "-%" PRIu64, lock_kinds[l->kind],
			   l->file_id, (uint64_t)l->start, (uint64_t)l->end);
	if (prev && prev->kind == l->kind && prev->file_id == l->file_id &&
	    (l->kind == CKPT_LOCK_FLOCK || prev->end >= l->start))
		return bad(img, -EBADMSG, "LOCKS: %s locks of file id %" PRIu32
			   " overlap or are out of order", lock_kinds[l->kind],
			   l->file_id);
	return 0;
}

/*
 * A record made of a count, a reserved word (@rec, 8 bytes, read already)
 * and that many @elem-byte entries, at most @max: the entries go into
 * *@out. @noun names them in errors.
 */
static int read_counted(struct libckpt_image *img, const struct ckpt_rec_hdr *rh,
			const void *rec, uint32_t max, size_t elem, const char *noun,
			void **out)
{
	uint32_t w[2];

	memcpy(w, rec, sizeof(w));
	if (w[0] > max || w[1])
		return bad(img, -EBADMSG, "%s: %" PRIu32 " %s beyond the bound of %" PRIu32
			   ", or a reserved field set", rec_name(rh->type), w[0], noun, max);
	return read_rest(img, rh, sizeof(w), (size_t)w[0] * elem, out);
}

static int parse_locks(struct libckpt_image *img, size_t ti,
		       const struct ckpt_rec_hdr *rh, const void *fixed)
{
	struct task_state *ts = &img->ts[ti];
	struct ckpt_rec_locks *rec = &ts->locks.rec;
	uint32_t i;
	int ret;

	_Static_assert(sizeof(*rec) == 2 * sizeof(uint32_t), "count and reserved");
	*rec = *(const struct ckpt_rec_locks *)fixed;
	ret = read_counted(img, rh, rec, CKPT_MAX_LOCKS, sizeof(*ts->lock_v),
			   "locks", (void **)&ts->lock_v);
	for (i = 0; !ret && i < rec->nr_locks; i++)
		ret = check_lock(img, ti, &ts->lock_v[i], i ? &ts->lock_v[i - 1] : NULL);
	if (ret)
		return ret;
	ts->locks.locks = ts->lock_v;
	img->tasks[ti].locks = &ts->locks;
	return 0;
}

/* The segment of id @shmid in the SYSV_SHM records of tasks 0..@upto, or NULL. */
static const struct ckpt_sysv_seg *sysv_seg(const struct libckpt_image *img,
					    size_t upto, int64_t shmid)
{
	size_t t;
	uint32_t i;

	for (t = 0; t <= upto && t < img->nr_tasks; t++)
		for (i = 0; img->ts[t].seg_v && i < img->ts[t].sysv.rec.nr_segs; i++)
			if (img->ts[t].seg_v[i].shmid == shmid)
				return &img->ts[t].seg_v[i];
	return NULL;
}

static int check_seg(struct libckpt_image *img, size_t ti,
		     const struct ckpt_sysv_seg *g, uint32_t i)
{
	const struct task_state *ts = &img->ts[ti];
	uint32_t j;

	if (g->shmid < 0 || !g->size || g->mode & ~0777U ||
	    g->flags & ~SHM_FLAGS_KNOWN)
		return bad(img, -EBADMSG, "SYSV_SHM: segment %" PRId32 " has a negative id, no"
			   " size, mode 0%" PRIo32 " or flags 0x%" PRIx32 " beyond the known ones",
			   g->shmid, g->mode, g->flags);
	for (j = 0; j < i; j++)
		if (ts->seg_v[j].shmid == g->shmid)
			break;
	if (j < i || (ti && sysv_seg(img, ti - 1, g->shmid)))
		return bad(img, -EBADMSG, "SYSV_SHM: segment %" PRId32 " is in the image twice",
			   g->shmid);
	for (j = 0; j < ts->nr_vmas; j++)
		if ((ts->vmas[j].rec.flags & CKPT_VMA_SYSV) && ts->vmas[j].rec.ino == (uint64_t)g->shmid)
			return 0;
	return bad(img, -EBADMSG, "SYSV_SHM: segment %" PRId32 " is attached by no mapping"
		   " of task pid %" PRIu32, g->shmid, img->tasks[ti].rec.pid);
}

/* Every attachment of task @ti names a segment recorded so far, and fits in it. */
static int check_attachments(struct libckpt_image *img, size_t ti)
{
	const struct task_state *ts = &img->ts[ti];
	const struct ckpt_sysv_seg *g;
	uint64_t reach;
	size_t j;

	for (j = 0; j < ts->nr_vmas; j++) {
		const struct ckpt_rec_vma *v = &ts->vmas[j].rec;

		if (!(v->flags & CKPT_VMA_SYSV))
			continue;
		g = sysv_seg(img, ti, (int64_t)v->ino);
		reach = v->pgoff * CKPT_PAGE_SIZE + (v->end - v->start);
		if (!g)
			return bad(img, -EBADMSG, "mapping 0x%" PRIx64 " attaches System V segment %"
				   PRIu64 ", which no SYSV_SHM record so far holds",
				   (uint64_t)v->start, (uint64_t)v->ino);
		if (v->pgoff > (g->size + CKPT_PAGE_SIZE - 1) / CKPT_PAGE_SIZE ||
		    reach > ((g->size + CKPT_PAGE_SIZE - 1) & ~(uint64_t)(CKPT_PAGE_SIZE - 1)))
			return bad(img, -EBADMSG, "mapping 0x%" PRIx64 " reaches beyond System V segment %"
				   PRIu64 " (%" PRIu64 " bytes)", (uint64_t)v->start,
				   (uint64_t)v->ino, (uint64_t)g->size);
	}
	return 0;
}

static int parse_sysv(struct libckpt_image *img, size_t ti,
		      const struct ckpt_rec_hdr *rh, const void *fixed)
{
	struct task_state *ts = &img->ts[ti];
	struct ckpt_rec_sysv_shm *rec = &ts->sysv.rec;
	uint32_t i;
	int ret;

	_Static_assert(sizeof(*rec) == 2 * sizeof(uint32_t), "count and reserved");
	*rec = *(const struct ckpt_rec_sysv_shm *)fixed;
	ret = read_counted(img, rh, rec, CKPT_MAX_SYSV_SEGS, sizeof(*ts->seg_v),
			   "segments", (void **)&ts->seg_v);
	for (i = 0; !ret && i < rec->nr_segs; i++)
		ret = check_seg(img, ti, &ts->seg_v[i], i);
	if (!ret)
		ret = check_attachments(img, ti);
	if (ret)
		return ret;
	ts->sysv.segs = ts->seg_v;
	img->tasks[ti].sysv = &ts->sysv;
	return 0;
}

/* Does task @ti have a terminal descriptor naming device @rdev? */
static bool has_tty_fd(const struct task_state *ts, uint32_t rdev)
{
	size_t i;

	for (i = 0; i < ts->nr_fds; i++)
		if (ts->fds[i].rec.type == CKPT_FD_TTY && ts->fds[i].rec.rdev == rdev)
			return true;
	return false;
}

/*
 * One terminal's settings on task @ti's record, after @prev (NULL for the
 * first): in ascending rdev order, each a terminal the task's descriptors
 * or its controlling terminal name.
 */
static int check_tty(struct libckpt_image *img, size_t ti, const struct ckpt_tty *t,
		     const struct ckpt_tty *prev)
{
	const struct task_state *ts = &img->ts[ti];

	if (t->reserved || t->reserved2)
		return bad(img, -EBADMSG, "TTY: terminal %" PRIu32 " has a reserved field set",
			   t->rdev);
	if (prev && prev->rdev >= t->rdev)
		return bad(img, -EBADMSG, "TTY: terminal %" PRIu32 " twice, or out of order",
			   t->rdev);
	if (!has_tty_fd(ts, t->rdev) && t->rdev != ts->tty.rec.ctty_rdev)
		return bad(img, -EBADMSG, "TTY: terminal %" PRIu32
			   " is neither a descriptor nor the controlling terminal of pid %" PRIu32,
			   t->rdev, img->tasks[ti].rec.pid);
	return 0;
}

static int parse_tty(struct libckpt_image *img, size_t ti,
		     const struct ckpt_rec_hdr *rh, const void *fixed)
{
	struct task_state *ts = &img->ts[ti];
	struct ckpt_rec_tty *rec = &ts->tty.rec;
	bool ctty;
	uint32_t i;
	int ret;

	*rec = *(const struct ckpt_rec_tty *)fixed;
	ctty = rec->flags & CKPT_TTY_CTTY;
	if (rec->flags & ~CKPT_TTY_CTTY)
		return bad(img, -EBADMSG, "TTY: unknown flags 0x%" PRIx32, rec->flags);
	if (ctty != !!rec->ctty_rdev || (!ctty && rec->fg_pgrp))
		return bad(img, -EBADMSG, "TTY: a controlling terminal %" PRIu32
			   " or foreground group %" PRIu32 " that disagrees with its flags",
			   rec->ctty_rdev, rec->fg_pgrp);
	if (rec->nr_ttys > MAX_TTYS)
		return bad(img, -EBADMSG, "TTY: %" PRIu32 " terminals beyond the bound of %d",
			   rec->nr_ttys, MAX_TTYS);
	ret = read_rest(img, rh, sizeof(*rec), (size_t)rec->nr_ttys * sizeof(*ts->tty_v),
			(void **)&ts->tty_v);
	for (i = 0; !ret && i < rec->nr_ttys; i++)
		ret = check_tty(img, ti, &ts->tty_v[i], i ? &ts->tty_v[i - 1] : NULL);
	if (ret)
		return ret;
	ts->tty.ttys = ts->tty_v;
	img->tasks[ti].tty = &ts->tty;
	return 0;
}

static int parse_zombie(struct libckpt_image *img, size_t zi,
			const struct ckpt_rec_hdr *rh, const void *fixed);
static ssize_t find_vma(const struct libckpt_image *img, size_t ti,
			uint64_t addr, uint64_t end);

/* Most runs one BASE record may carry (a 2^26-page process page by page). */
#define MAX_BASE_RUNS	(1U << 26)

/*
 * One of a process's runs of addresses (BASE, FORKED, TOUCHED: @what): not empty,
 * aligned, not wrapping, above the previous one (*@next, then moved past
 * this one), within one mapping, a private one if @private.
 */
static int check_addr_run(struct libckpt_image *img, size_t ti, const char *what,
			  uint64_t addr, uint64_t nr_pages, bool private, uint64_t *next)
{
	uint32_t pid = img->tasks[ti].rec.pid;
	uint64_t bytes = nr_pages * CKPT_PAGE_SIZE;
	ssize_t v;

	if (!nr_pages || nr_pages > UINT64_MAX / CKPT_PAGE_SIZE ||
	    addr % CKPT_PAGE_SIZE || addr > UINT64_MAX - bytes)
		return bad(img, -EBADMSG, "%s run 0x%" PRIx64 "+%" PRIu64
			   " of pid %" PRIu32 " is empty, unaligned or wraps",
			   what, addr, nr_pages, pid);
	if (addr < *next)
		return bad(img, -EBADMSG, "%s run 0x%" PRIx64 " of pid %" PRIu32
			   " overlaps or precedes the previous one", what, addr, pid);
	*next = addr + bytes;
	v = find_vma(img, ti, addr, *next);
	if (v < 0 || (private && (img->ts[ti].vmas[v].rec.flags & CKPT_VMA_SHARED)))
		return bad(img, -EBADMSG, "%s run 0x%" PRIx64 "+%" PRIu64
			   " of pid %" PRIu32 " is not within one %smapping",
			   what, addr, nr_pages, pid, private ? "private " : "");
	return 0;
}

/*
 * Runs of a BASE or FORKED record (@what) of process @ti: each in order,
 * apart from the one before, within one private mapping.
 */
static int check_page_list(struct libckpt_image *img, size_t ti,
			   const struct ckpt_base_run *v, uint32_t n, const char *what)
{
	uint64_t next = 0;
	uint32_t i;
	int ret = 0;

	for (i = 0; !ret && i < n; i++)
		ret = check_addr_run(img, ti, what, v[i].addr, v[i].nr_pages, true, &next);
	return ret;
}

/*
 * An incremental image's pages of one process that its parent holds: in
 * order, apart, each within one private mapping. That the parent holds
 * them and that they miss this image's own runs is the composer's to
 * check (lib/chain.c): it sees both.
 */
static int parse_base(struct libckpt_image *img, size_t ti,
		      const struct ckpt_rec_hdr *rh, const void *fixed)
{
	struct task_state *ts = &img->ts[ti];
	struct ckpt_rec_base *rec = &ts->base.rec;
	int ret;

	_Static_assert(sizeof(*rec) == 2 * sizeof(uint32_t), "count and reserved");
	*rec = *(const struct ckpt_rec_base *)fixed;
	ret = read_counted(img, rh, rec, MAX_BASE_RUNS, sizeof(*ts->base_v),
			   "runs", (void **)&ts->base_v);
	if (!ret)
		ret = check_page_list(img, ti, ts->base_v, rec->nr_runs, "BASE");
	if (ret)
		return ret;
	ts->base.runs = ts->base_v;
	img->tasks[ti].base = &ts->base;
	return 0;
}

/*
 * How recently a process's pages were touched (version 11): a hint for
 * the order of a lazy restore's prefetch, its runs checked as BASE's.
 */
static int parse_touched(struct libckpt_image *img, size_t ti,
			 const struct ckpt_rec_hdr *rh, const void *fixed)
{
	struct task_state *ts = &img->ts[ti];
	struct ckpt_rec_touched *rec = &ts->touched.rec;
	uint64_t next = 0;
	uint32_t i;
	int ret;

	*rec = *(const struct ckpt_rec_touched *)fixed;
	ret = read_counted(img, rh, rec, MAX_BASE_RUNS, sizeof(*ts->touched_v),
			   "runs", (void **)&ts->touched_v);
	for (i = 0; !ret && i < rec->nr_runs; i++) {
		const struct ckpt_touched_run *r = &ts->touched_v[i];

		if (!r->flags || r->flags & ~CKPT_TOUCHED_F_ALL)
			return bad(img, -EBADMSG, "TOUCHED run 0x%" PRIx64 " of pid %" PRIu32
				   " has flags 0x%" PRIx32 " (none, or unknown ones)",
				   (uint64_t)r->addr, img->tasks[ti].rec.pid, r->flags);
		ret = check_addr_run(img, ti, "TOUCHED", r->addr, r->nr_pages, false, &next);
	}
	if (ret)
		return ret;
	ts->touched.runs = ts->touched_v;
	img->tasks[ti].touched = &ts->touched;
	return 0;
}

/*
 * A process's pages that are its parent process's since fork(): in
 * order, apart, each within one private mapping. Where their bytes are
 * is known once the parent's runs are (resolve_forked()).
 */
static int parse_forked(struct libckpt_image *img, size_t ti,
			const struct ckpt_rec_hdr *rh, const void *fixed)
{
	struct task_state *ts = &img->ts[ti];
	struct ckpt_rec_forked rec = *(const struct ckpt_rec_forked *)fixed;
	uint32_t pid = img->tasks[ti].rec.pid;
	int ret;

	_Static_assert(sizeof(rec) == 2 * sizeof(uint32_t), "count and reserved");
	ret = read_counted(img, rh, &rec, MAX_BASE_RUNS, sizeof(*ts->forked_v),
			   "runs", (void **)&ts->forked_v);
	if (!ret && !rec.nr_runs)
		ret = bad(img, -EBADMSG, "FORKED record of pid %" PRIu32 " has no runs", pid);
	if (!ret)
		ret = check_page_list(img, ti, ts->forked_v, rec.nr_runs, "FORKED");
	if (ret)
		return ret;
	ts->nr_forked = rec.nr_runs;
	img->has_forked = true;
	return 0;
}

/*
 * A process's runs of the second sweep (version 12): in order, apart,
 * each within one mapping whose pages may come late and away from every
 * thread (CKPT_LATE_*, libckpt_late_mapping(), libckpt_run_near_a_thread()).
 */
static int parse_late(struct libckpt_image *img, size_t ti,
		      const struct ckpt_rec_hdr *rh, const void *fixed)
{
	struct task_state *ts = &img->ts[ti];
	struct ckpt_rec_late rec = *(const struct ckpt_rec_late *)fixed;
	const struct libckpt_image_task *t = &img->tasks[ti];
	uint64_t next = 0;
	uint32_t i;
	ssize_t v;
	int ret;

	_Static_assert(sizeof(rec) == 2 * sizeof(uint32_t), "count and reserved");
	ret = read_counted(img, rh, &rec, MAX_BASE_RUNS, sizeof(*ts->late_v),
			   "runs", (void **)&ts->late_v);
	for (i = 0; !ret && i < rec.nr_runs; i++) {
		const struct ckpt_base_run *r = &ts->late_v[i];

		ret = check_addr_run(img, ti, "LATE", r->addr, r->nr_pages, true, &next);
		if (ret)
			break;
		v = find_vma(img, ti, r->addr, next);
		if (!libckpt_late_mapping(&ts->vmas[v].rec) ||
		    libckpt_run_near_a_thread(t, r->addr, next))
			return bad(img, -EBADMSG, "LATE run 0x%" PRIx64 "+%" PRIu64
				   " of pid %" PRIu32 " holds pages that may not come late",
				   (uint64_t)r->addr, (uint64_t)r->nr_pages, t->rec.pid);
	}
	if (ret)
		return ret;
	ts->nr_late = rec.nr_runs;
	img->has_late |= rec.nr_runs > 0;
	return 0;
}

/* The parent an incremental image names: one below it, in its area. */
static int parse_parent(struct libckpt_image *img, size_t i,
			const struct ckpt_rec_hdr *rh, const void *fixed)
{
	const struct ckpt_rec_parent *p = fixed;

	(void)i;
	(void)rh;
	if (p->reserved || !p->generation || !p->image_len)
		return bad(img, -EBADMSG, "PARENT: generation or length 0, or a reserved field set");
	if (img->hdr.generation && p->generation >= img->hdr.generation)
		return bad(img, -EBADMSG, "PARENT: generation %" PRIu64
			   " is not below the image's own (%" PRIu64 ")",
			   (uint64_t)p->generation, (uint64_t)img->hdr.generation);
	img->parent = *p;
	img->has_parent = true;
	return 0;
}

/* The fixed structure of a record, whatever its type. */
union rec_fixed {
	struct ckpt_rec_task task;
	struct ckpt_rec_proc proc;
	struct ckpt_rec_thread thread;
	struct ckpt_rec_vma vma;
	struct ckpt_rec_fd fd;
	struct ckpt_rec_identity identity;
	struct ckpt_rec_timers timers;
	struct ckpt_rec_signals signals;
	struct ckpt_rec_locks locks;
	struct ckpt_rec_sysv_shm sysv;
	struct ckpt_rec_tty tty;
	struct ckpt_rec_zombie zombie;
	struct ckpt_rec_parent parent;
	struct ckpt_rec_base base;
	struct ckpt_rec_forked forked;
	struct ckpt_rec_touched touched;
};

/*
 * Of each record type the reader knows: its name in messages, the
 * structure its payload starts with (@size bytes; with @exact the whole
 * payload, whose length is checked before anything is read) and the
 * parser that checks that structure and reads what follows it. The
 * structure and the padding after the payload are read by
 * parse_record(); PAGES and TRAILER, which the page walk reads, have no
 * parser here. The table has holes for other versions' types.
 */
static const struct rec_type {
	const char *name;
	size_t size;
	bool exact;
	int (*parse)(struct libckpt_image *img, size_t i,
		     const struct ckpt_rec_hdr *rh, const void *fixed);
} rec_types[] = {
	[CKPT_REC_TASK] = { "TASK", sizeof(struct ckpt_rec_task), true, parse_task },
	[CKPT_REC_THREAD] = { "THREAD", sizeof(struct ckpt_rec_thread), false, parse_thread },
	[CKPT_REC_VMA] = { "VMA", sizeof(struct ckpt_rec_vma), false, parse_vma },
	[CKPT_REC_PAGES] = { "PAGES", 0, false, NULL },
	[CKPT_REC_TRAILER] = { "TRAILER", 0, false, NULL },
	[CKPT_REC_PROC] = { "PROC", sizeof(struct ckpt_rec_proc), false, parse_proc },
	[CKPT_REC_FD] = { "FD", sizeof(struct ckpt_rec_fd), false, parse_fd },
	[CKPT_REC_IDENTITY] = { "IDENTITY", sizeof(struct ckpt_rec_identity), false,
				parse_identity },
	[CKPT_REC_TIMERS] = { "TIMERS", sizeof(struct ckpt_rec_timers), false, parse_timers },
	[CKPT_REC_SIGNALS] = { "SIGNALS", sizeof(struct ckpt_rec_signals), false,
			       parse_signals },
	[CKPT_REC_ZOMBIE] = { "ZOMBIE", sizeof(struct ckpt_rec_zombie), true, parse_zombie },
	[CKPT_REC_LOCKS] = { "LOCKS", sizeof(struct ckpt_rec_locks), false, parse_locks },
	[CKPT_REC_SYSV_SHM] = { "SYSV_SHM", sizeof(struct ckpt_rec_sysv_shm), false,
				parse_sysv },
	[CKPT_REC_TTY] = { "TTY", sizeof(struct ckpt_rec_tty), false, parse_tty },
	[CKPT_REC_PARENT] = { "PARENT", sizeof(struct ckpt_rec_parent), true,
			      parse_parent },
	[CKPT_REC_BASE] = { "BASE", sizeof(struct ckpt_rec_base), false, parse_base },
	[CKPT_REC_FORKED] = { "FORKED", sizeof(struct ckpt_rec_forked), false,
			      parse_forked },
	[CKPT_REC_TOUCHED] = { "TOUCHED", sizeof(struct ckpt_rec_touched), false,
			       parse_touched },
	[CKPT_REC_LATE] = { "LATE", sizeof(struct ckpt_rec_late), false, parse_late },
};

/* An exact record has no padding to read before its fields are judged. */
_Static_assert(sizeof(struct ckpt_rec_task) % 8 == 0 &&
	       sizeof(struct ckpt_rec_zombie) % 8 == 0 &&
	       sizeof(struct ckpt_rec_parent) % 8 == 0, "exact records are whole words");

static bool known_type(uint32_t type)
{
	return type < sizeof(rec_types) / sizeof(rec_types[0]) && rec_types[type].name;
}

static const char *rec_name(uint32_t type)
{
	return known_type(type) ? rec_types[type].name : "unknown";
}

/* One record of task (or zombie) @i, of a type with a parser. */
static int parse_record(struct libckpt_image *img, size_t i,
			const struct ckpt_rec_hdr *rh)
{
	const struct rec_type *rt = &rec_types[rh->type];
	union rec_fixed fixed;
	int ret;

	ret = rt->exact ? want_len(img, rh, rt->size) : 0;
	if (!ret)
		ret = read_fixed(img, rh, &fixed, rt->size);
	if (!ret)
		ret = rt->parse(img, i, rh, &fixed);
	return ret ? ret : read_padding(img, rh->len);
}

/*
 * The records of a process after its TASK record, in their order. A
 * counted one comes as many times as the TASK record's field at @declared
 * says (@noun in messages; the task's parsed ones are counted at
 * @parsed), the others once.
 */
static const struct task_part {
	uint32_t type;
	const char *noun;
	size_t declared;
	size_t parsed;
} task_parts[] = {
	{ CKPT_REC_PROC, NULL, 0, 0 },
	{ CKPT_REC_THREAD, "threads", offsetof(struct ckpt_rec_task, nr_threads),
	  offsetof(struct task_state, nr_threads) },
	{ CKPT_REC_VMA, "mappings", offsetof(struct ckpt_rec_task, nr_vmas),
	  offsetof(struct task_state, nr_vmas) },
	{ CKPT_REC_FD, "fds", offsetof(struct ckpt_rec_task, nr_fds),
	  offsetof(struct task_state, nr_fds) },
	{ CKPT_REC_IDENTITY, NULL, 0, 0 },
	{ CKPT_REC_TIMERS, NULL, 0, 0 },
	{ CKPT_REC_SIGNALS, NULL, 0, 0 },
	{ CKPT_REC_LOCKS, NULL, 0, 0 },
	{ CKPT_REC_SYSV_SHM, NULL, 0, 0 },
	{ CKPT_REC_TTY, NULL, 0, 0 },
	{ CKPT_REC_BASE, NULL, 0, 0 },	/* an incremental image's only */
	{ CKPT_REC_FORKED, NULL, 0, 0 },	/* with CKPT_TASK_FORKED only */
	{ CKPT_REC_TOUCHED, NULL, 0, 0 },	/* version 11 on */
	{ CKPT_REC_LATE, NULL, 0, 0 },	/* version 12 on */
};

#define NR_TASK_PARTS	(sizeof(task_parts) / sizeof(task_parts[0]))

/* How many records of part @p task @ti declares. */
static uint32_t declared(const struct libckpt_image *img, size_t ti,
			 const struct task_part *p)
{
	uint32_t n = 1;

	if (p->type == CKPT_REC_BASE)
		return img->has_parent;
	if (p->type == CKPT_REC_FORKED)
		return !!(img->tasks[ti].rec.flags & CKPT_TASK_FORKED);
	if (p->type == CKPT_REC_TOUCHED)
		return img->hdr.version >= 11;
	if (p->type == CKPT_REC_LATE)
		return img->hdr.version >= 12;
	if (p->noun)
		memcpy(&n, (const char *)&img->tasks[ti].rec + p->declared, sizeof(n));
	return n;
}

/* How many records of counted part @p task @ti has so far. */
static size_t parsed(const struct libckpt_image *img, size_t ti,
		     const struct task_part *p)
{
	size_t n;

	memcpy(&n, (const char *)&img->ts[ti] + p->parsed, sizeof(n));
	return n;
}

/* The part of a process's records @type is, or NULL. */
static const struct task_part *task_part(uint32_t type)
{
	size_t k;

	for (k = 0; k < NR_TASK_PARTS; k++)
		if (task_parts[k].type == type)
			return &task_parts[k];
	return NULL;
}

/* A record other than the one the counts call for. */
static int misplaced(struct libckpt_image *img, const struct ckpt_rec_hdr *rh,
		     size_t ti)
{
	const struct libckpt_image_task *t = ti < img->nr_tasks ?
					     &img->tasks[ti] : NULL;
	const struct task_part *p;

	for (p = task_parts; t && p < task_parts + NR_TASK_PARTS; p++)
		if (p->noun && parsed(img, ti, p) < declared(img, ti, p))
			return bad(img, -EBADMSG, "task pid %" PRIu32 " declares %" PRIu32
				   " %s, found %zu and then a %s record",
				   t->rec.pid, declared(img, ti, p), p->noun,
				   parsed(img, ti, p), rec_name(rh->type));
	if (task_part(rh->type) && img->nr_tasks)
		return bad(img, -EBADMSG, "%s record beyond the counts of task pid %"
			   PRIu32, rec_name(rh->type),
			   img->tasks[img->nr_tasks - 1].rec.pid);
	if (rh->type == CKPT_REC_TASK)
		return bad(img, -EBADMSG, "TASK record beyond the %" PRIu32
			   " tasks the header declares", img->hdr.nr_tasks);
	return bad(img, -EBADMSG, "image header declares %" PRIu32
		   " tasks, found %zu and then a %s record", img->hdr.nr_tasks,
		   img->nr_tasks, rec_name(rh->type));
}

/*
 * Task @ti's record where part @p belongs is of another type: too few or
 * too many of a counted part, or a part missing.
 */
static int wrong_record(struct libckpt_image *img, size_t ti,
			const struct ckpt_rec_hdr *rh, const struct task_part *p)
{
	/* The first part after the counted ones ends them. */
	bool ends = p > task_parts && p[-1].noun && !p->noun;
	const struct task_part *got = task_part(rh->type);

	if (p->noun || (ends && got && got->noun))
		return misplaced(img, rh, ti);
	return bad(img, -EBADMSG, "task pid %" PRIu32 " %s a %s record, not its %s record",
		   img->tasks[ti].rec.pid, ends ? "ends with" : "is followed by",
		   rec_name(rh->type), rec_name(p->type));
}

static int parse_one_task(struct libckpt_image *img)
{
	size_t ti = img->nr_tasks;
	const struct task_part *p;
	struct ckpt_rec_hdr rh;
	uint32_t j;
	int ret;

	ret = next_record(img, &rh);
	/* An incremental image's PARENT comes right after the header. */
	if (!ret && !ti && rh.type == CKPT_REC_PARENT) {
		ret = parse_record(img, 0, &rh);
		if (!ret)
			ret = next_record(img, &rh);
	}
	if (ret)
		return ret;
	if (rh.type != CKPT_REC_TASK)
		return misplaced(img, &rh, ti ? ti - 1 : 0);
	ret = parse_record(img, ti, &rh);
	for (p = task_parts; !ret && p < task_parts + NR_TASK_PARTS; p++) {
		for (j = 0; !ret && j < declared(img, ti, p); j++) {
			ret = next_record(img, &rh);
			if (!ret)
				ret = rh.type == p->type ? parse_record(img, ti, &rh) :
				      wrong_record(img, ti, &rh, p);
		}
	}
	return ret;
}

static int cmp_pid(const void *a, const void *b, void *arg)
{
	const struct libckpt_image_task *tasks = arg;
	uint32_t pa = tasks[*(const uint32_t *)a].rec.pid;
	uint32_t pb = tasks[*(const uint32_t *)b].rec.pid;

	return pa < pb ? -1 : pa > pb;
}

/* Index the tasks by pid; a pid twice would make page runs ambiguous. */
static int index_tasks(struct libckpt_image *img)
{
	uint64_t threads = 0;
	size_t i, cap = 0;
	int ret;

	img->in_rec = false;
	for (i = 0; i < img->nr_tasks; i++)
		threads += img->tasks[i].rec.nr_threads;
	if (threads != img->hdr.nr_threads)
		return bad(img, -EBADMSG, "image header declares %" PRIu32
			   " threads, the tasks hold %" PRIu64,
			   img->hdr.nr_threads, threads);
	ret = grow(img, (void **)&img->by_pid, &cap, img->nr_tasks,
		   sizeof(*img->by_pid));
	if (ret)
		return ret;
	for (i = 0; i < img->nr_tasks; i++) {
		img->by_pid[i] = (uint32_t)i;
		ret = meta_alloc(img, img->ts[i].nr_vmas * sizeof(uint64_t),
				 (void **)&img->ts[i].vma_pages);
		if (ret)
			return ret;
	}
	qsort_r(img->by_pid, img->nr_tasks, sizeof(*img->by_pid), cmp_pid,
		img->tasks);
	for (i = 1; i < img->nr_tasks; i++)
		if (!cmp_pid(&img->by_pid[i - 1], &img->by_pid[i], img->tasks))
			return bad(img, -EBADMSG, "pid %" PRIu32
				   " has two TASK records",
				   img->tasks[img->by_pid[i]].rec.pid);
	return 0;
}

static ssize_t find_task(const struct libckpt_image *img, uint32_t pid);

/* Signals whose default action terminates (signal(7)), x86-64 numbers. */
static bool kills_by_default(uint32_t sig)
{
	static const uint64_t not_fatal = (1ULL << (17 - 1)) |	/* SIGCHLD */
		(1ULL << (18 - 1)) | (1ULL << (19 - 1)) |	/* SIGCONT, SIGSTOP */
		(1ULL << (20 - 1)) | (1ULL << (21 - 1)) |	/* SIGTSTP, SIGTTIN */
		(1ULL << (22 - 1)) | (1ULL << (23 - 1)) |	/* SIGTTOU, SIGURG */
		(1ULL << (28 - 1));				/* SIGWINCH */

	return sig >= 1 && sig <= MAX_SIGNAL && !(not_fatal & (1ULL << (sig - 1)));
}

/*
 * A zombie: a pid of its own, the child of a process of the image in that
 * process's session, a wait status a death can produce (an exit code, or
 * a signal that kills by default, maybe with the core bit).
 */
static int parse_zombie(struct libckpt_image *img, size_t zi,
			const struct ckpt_rec_hdr *rh, const void *fixed)
{
	struct ckpt_rec_zombie *z = &img->zombies[zi];
	uint32_t st, j;
	ssize_t parent;

	(void)rh;
	*z = *(const struct ckpt_rec_zombie *)fixed;
	if (!z->pid || !z->pgid || find_task(img, z->pid) >= 0)
		return bad(img, -EBADMSG, "ZOMBIE: pid %" PRIu32
			   " is 0, or a process of the image", z->pid);
	for (j = 0; j < zi; j++)
		if (img->zombies[j].pid == z->pid)
			return bad(img, -EBADMSG, "ZOMBIE: pid %" PRIu32 " twice", z->pid);
	parent = find_task(img, z->ppid);
	if (parent < 0)
		return bad(img, -EBADMSG, "ZOMBIE: pid %" PRIu32 "'s parent %" PRIu32
			   " is not a process of the image", z->pid, z->ppid);
	if (z->sid != img->tasks[parent].rec.sid)
		return bad(img, -EBADMSG, "ZOMBIE: pid %" PRIu32 " is in session %" PRIu32
			   ", its parent is not", z->pid, z->sid);
	if (z->exit_signal != SIGCHLD_NR)
		return bad(img, -EBADMSG, "ZOMBIE: pid %" PRIu32 ": exit signal %" PRIu32
			   " is not SIGCHLD", z->pid, z->exit_signal);
	st = z->status;
	if (!((st & 0xff) == 0 && st <= 0xff00) &&
	    !((st & ~0xffU) == 0 && kills_by_default(st & 0x7f)))
		return bad(img, -EBADMSG, "ZOMBIE: pid %" PRIu32 ": wait status 0x%" PRIx32
			   " is not one of an exit or a fatal signal", z->pid, st);
	if (z->comm[sizeof(z->comm) - 1])
		return bad(img, -EBADMSG, "ZOMBIE: pid %" PRIu32
			   ": command name not NUL-terminated", z->pid);
	return 0;
}

static int parse_zombies(struct libckpt_image *img)
{
	struct ckpt_rec_hdr rh;
	uint32_t i;
	int ret;

	ret = meta_alloc(img, img->hdr.nr_zombies * sizeof(*img->zombies),
			 (void **)&img->zombies);
	for (i = 0; !ret && i < img->hdr.nr_zombies; i++) {
		ret = next_record(img, &rh);
		if (!ret)
			ret = rh.type == CKPT_REC_ZOMBIE ? parse_record(img, i, &rh) :
			      rh.type != CKPT_REC_PAGES && rh.type != CKPT_REC_TRAILER ?
			      misplaced(img, &rh, img->nr_tasks - 1) :
			      bad(img, -EBADMSG, "image header declares %" PRIu32
				  " zombies, found %" PRIu32 " and then a %s record",
				  img->hdr.nr_zombies, i, rec_name(rh.type));
	}
	return ret;
}

static int parse_meta(struct libckpt_image *img)
{
	uint32_t i;
	int ret;

	for (i = 0; i < img->hdr.nr_tasks; i++) {
		ret = parse_one_task(img);
		if (ret)
			return ret;
	}
	ret = index_tasks(img);
	if (!ret)
		ret = parse_zombies(img);
	if (ret)
		return ret;
	if (img->has_late && (img->has_parent || img->has_forked))
		return bad(img, -EBADMSG, "an image %s has LATE runs",
			   img->has_parent ? "with a parent" : "with FORKED records");
	img->pages_off = img->src.pos;
	img->pages_crc = img->src.crc;
	img->pages_rec = img->nrec;
	return 0;
}

static ssize_t find_task(const struct libckpt_image *img, uint32_t pid)
{
	size_t lo = 0, hi = img->nr_tasks, mid;
	uint32_t p;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		p = img->tasks[img->by_pid[mid]].rec.pid;
		if (p == pid)
			return img->by_pid[mid];
		if (p < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The mapping of task @ti holding [addr, end), or -1. */
static ssize_t find_vma(const struct libckpt_image *img, size_t ti,
			uint64_t addr, uint64_t end)
{
	const struct task_state *ts = &img->ts[ti];
	size_t lo = 0, hi = ts->nr_vmas, mid;

	/* The last mapping starting at or below addr. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ts->vmas[mid].rec.start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || end > ts->vmas[lo - 1].rec.end)
		return -1;
	return (ssize_t)lo - 1;
}

/*
 * Order of the walk: tasks in image order, addresses ascending in each;
 * since version 12 twice, the second sweep holding the LATE runs as
 * listed.
 */
struct walk {
	libckpt_pages_fn fn;
	void *arg;
	bool skip_data;		/* verified already: headers only */
	bool defer;		/* data skipped, its CRC left to the caller */
	size_t task;
	uint64_t next_addr;
	bool late;		/* in the second sweep */
	size_t late_task;	/* the next LATE run: */
	uint32_t late_idx;	/* ts[late_task].late_v[late_idx] */
};

/* A spooled stream's walk, stopped at its first late run. */
struct paused {
	struct walk w;
	struct ckpt_rec_pages p;
	size_t ti, vi;
};

/* The next LATE run the walk expects, or NULL if none is left. */
static const struct ckpt_base_run *expected_late(const struct libckpt_image *img,
						 struct walk *w)
{
	while (w->late_task < img->nr_tasks &&
	       w->late_idx >= img->ts[w->late_task].nr_late) {
		w->late_task++;
		w->late_idx = 0;
	}
	if (w->late_task == img->nr_tasks)
		return NULL;
	return &img->ts[w->late_task].late_v[w->late_idx];
}

/* Does [@addr, @end) overlap a LATE run of task @ti? */
static bool overlaps_late(const struct libckpt_image *img, size_t ti,
			  uint64_t addr, uint64_t end)
{
	const struct task_state *ts = &img->ts[ti];
	size_t lo = 0, hi = ts->nr_late, mid;

	/* The first run ending above addr. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ts->late_v[mid].addr + ts->late_v[mid].nr_pages * CKPT_PAGE_SIZE <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ts->nr_late && ts->late_v[lo].addr < end;
}

/* A run of the second sweep: exactly the next LATE run. */
static int check_late_run(struct libckpt_image *img, struct walk *w,
			  const struct ckpt_rec_pages *p, size_t ti)
{
	const struct ckpt_base_run *want = expected_late(img, w);

	if (!want)
		return bad(img, -EBADMSG, "PAGES run 0x%" PRIx64 "+%" PRIu32 " of pid %"
			   PRIu32 " follows every LATE run", (uint64_t)p->addr,
			   p->nr_pages, p->pid);
	if (w->late_task != ti || want->addr != p->addr || want->nr_pages != p->nr_pages)
		return bad(img, -EBADMSG, "PAGES run 0x%" PRIx64 "+%" PRIu32 " of pid %"
			   PRIu32 " %s; the next LATE run is 0x%" PRIx64 "+%" PRIu64
			   " of pid %" PRIu32, (uint64_t)p->addr, p->nr_pages, p->pid,
			   w->late ? "is not the next LATE run" : "overlaps a LATE run",
			   (uint64_t)want->addr, (uint64_t)want->nr_pages,
			   img->tasks[w->late_task].rec.pid);
	w->late = true;
	w->late_idx++;
	return 0;
}

static int check_run(struct libckpt_image *img, struct walk *w,
		     const struct ckpt_rec_pages *p, size_t *ti, size_t *vi)
{
	uint64_t bytes = (uint64_t)p->nr_pages * CKPT_PAGE_SIZE;
	bool late;
	ssize_t t, v;
	int ret;

	if (!p->nr_pages)
		return bad(img, -EBADMSG, "PAGES run of 0 pages");
	if (p->addr % CKPT_PAGE_SIZE || p->addr > UINT64_MAX - bytes)
		return bad(img, -EBADMSG, "PAGES run 0x%" PRIx64 "+%" PRIu32
			   " is not page aligned or wraps", (uint64_t)p->addr,
			   p->nr_pages);
	t = find_task(img, p->pid);
	if (t < 0)
		return bad(img, -EBADMSG, "PAGES run for pid %" PRIu32
			   ", which has no TASK record", p->pid);
	late = w->late || overlaps_late(img, (size_t)t, p->addr, p->addr + bytes);
	if (late) {
		ret = check_late_run(img, w, p, (size_t)t);
		if (ret)
			return ret;
	} else if ((size_t)t < w->task) {
		return bad(img, -EBADMSG, "PAGES run for pid %" PRIu32
			   " after those of pid %" PRIu32 " (runs follow task order)",
			   p->pid, img->tasks[w->task].rec.pid);
	} else if ((size_t)t > w->task) {
		w->task = (size_t)t;
		w->next_addr = 0;
	}
	v = find_vma(img, (size_t)t, p->addr, p->addr + bytes);
	if (v < 0)
		return bad(img, -EBADMSG, "PAGES run 0x%" PRIx64 "+%" PRIu32
			   " outside every mapping of pid %" PRIu32,
			   (uint64_t)p->addr, p->nr_pages, p->pid);
	if (!late && p->addr < w->next_addr)
		return bad(img, -EBADMSG, "PAGES run 0x%" PRIx64 "+%" PRIu32
			   " of pid %" PRIu32 " overlaps or precedes the previous run",
			   (uint64_t)p->addr, p->nr_pages, p->pid);
	if (!late)
		w->next_addr = p->addr + bytes;
	*ti = (size_t)t;
	*vi = (size_t)v;
	return 0;
}

/*
 * The zeros that align a run's contents (version 8). Once the image was
 * verified they are skipped like the contents; otherwise they are read,
 * checked and checksummed, so a changed byte there is refused too.
 */
static int read_run_pad(struct libckpt_image *img, uint64_t pad, bool skip)
{
	static const uint8_t zeros[CKPT_PAGE_SIZE];
	uint8_t buf[CKPT_PAGE_SIZE];
	int ret;

	if (skip) {
		img->src.pos += pad;
		return 0;
	}
	ret = src_read(img, buf, (size_t)pad, true);
	if (!ret && memcmp(buf, zeros, (size_t)pad))
		ret = bad(img, -EBADMSG, "PAGES padding before the contents is not zero");
	return ret;
}

static int push_run(struct libckpt_image *img, struct data_run **v, size_t *n,
		    size_t *cap, struct data_run r)
{
	int ret = grow(img, (void **)v, cap, *n + 1, sizeof(**v));

	if (!ret)
		(*v)[(*n)++] = r;
	return ret;
}

/* Where the byte at the read position is in the file; 0 in a pipe. */
static uint64_t src_offset(const struct libckpt_image *img)
{
	if (img->src.limit == NO_LIMIT && img->src.spool < 0)
		return 0;
	return img->src.base + img->src.pos;
}

/* @w's callback for the pages of a run at @addr, @n of them at most. */
static int call_fn(struct libckpt_image *img, struct walk *w,
		   struct libckpt_page_run *run, uint64_t addr, uint32_t n)
{
	int ret;

	if (!w->fn)
		return 0;
	run->addr = addr;
	run->nr_pages = n;
	ret = w->fn(run, w->arg);
	if (ret)
		return bad(img, ret, "stopped by the page callback (%d)", ret);
	return 0;
}

/* The contents of PAGES run @p, after its header and padding. */
static int pages_body(struct libckpt_image *img, struct walk *w,
		      const struct ckpt_rec_pages *p, size_t ti, size_t vi)
{
	struct libckpt_page_run run = { 0 };
	uint32_t done, n;
	int ret = 0;

	img->ts[ti].pages += p->nr_pages;
	img->ts[ti].vma_pages[vi] += p->nr_pages;
	if (img->has_forked) {
		ret = push_run(img, &img->ts[ti].own, &img->ts[ti].nr_own,
			       &img->ts[ti].cap_own,
			       (struct data_run){ p->addr, p->nr_pages, src_offset(img) });
		if (ret)
			return ret;
	}
	if (!img->chunk) {
		img->chunk = malloc((size_t)LIBCKPT_PAGES_CHUNK * CKPT_PAGE_SIZE);
		if (!img->chunk)
			return bad(img, -ENOMEM, "out of memory");
	}
	run.task = &img->tasks[ti];
	run.vma = &img->ts[ti].vmas[vi];
	run.data = img->chunk;
	for (done = 0; !ret && done < p->nr_pages; done += n) {
		n = p->nr_pages - done;
		if (n > LIBCKPT_PAGES_CHUNK)
			n = LIBCKPT_PAGES_CHUNK;
		run.offset = src_offset(img);
		if (w->skip_data || w->defer) {
			/* Bounds were checked by want_len(). */
			img->src.pos += (uint64_t)n * CKPT_PAGE_SIZE;
			run.data = NULL;
			if (w->defer) {
				img->src.crc = libckpt_crc32c_shift(img->src.crc,
						(uint64_t)n * CKPT_PAGE_SIZE);
				img->deferred_bytes += (uint64_t)n * CKPT_PAGE_SIZE;
			}
		} else {
			ret = src_read(img, img->chunk, (size_t)n * CKPT_PAGE_SIZE, true);
		}
		if (!ret)
			ret = call_fn(img, w, &run, p->addr + (uint64_t)done * CKPT_PAGE_SIZE, n);
	}
	return ret;
}

/*
 * A spooled stream reached its first late run, whose header is read:
 * stop, and tell @w's callback where every late run's contents will be
 * (each PAGES record's padding depends only on where it starts).
 */
static int pause_walk(struct libckpt_image *img, struct walk *w,
		      const struct ckpt_rec_pages *p, size_t ti, size_t vi)
{
	struct libckpt_page_run run = { 0 };
	uint64_t at = img->src.pos - sizeof(struct ckpt_rec_hdr) - sizeof(*p);
	struct paused *ps = calloc(1, sizeof(*ps));
	uint32_t done, n, j;
	size_t i;
	int ret = 0;

	if (!ps)
		return bad(img, -ENOMEM, "out of memory");
	*ps = (struct paused){ .w = *w, .p = *p, .ti = ti, .vi = vi };
	img->paused = ps;
	img->pause_late = false;
	/* It is the first late run of all: every one is still to come. */
	for (i = 0; !ret && i < img->nr_tasks; i++) {
		for (j = 0; !ret && j < img->ts[i].nr_late; j++) {
			const struct ckpt_base_run *r = &img->ts[i].late_v[j];

			at += sizeof(struct ckpt_rec_hdr) + sizeof(*p);
			at += CKPT_PAGES_PAD(at);
			run.task = &img->tasks[i];
			run.vma = &img->ts[i].vmas[find_vma(img, i, r->addr, r->addr +
							    r->nr_pages * CKPT_PAGE_SIZE)];
			for (done = 0; !ret && done < r->nr_pages; done += n) {
				n = r->nr_pages - done > LIBCKPT_PAGES_CHUNK ?
				    LIBCKPT_PAGES_CHUNK : (uint32_t)(r->nr_pages - done);
				run.offset = img->src.base + at;
				at += (uint64_t)n * CKPT_PAGE_SIZE;
				ret = call_fn(img, w, &run,
					      r->addr + (uint64_t)done * CKPT_PAGE_SIZE, n);
			}
		}
	}
	return ret;
}

static int parse_pages(struct libckpt_image *img, struct walk *w,
		       const struct ckpt_rec_hdr *rh)
{
	struct ckpt_rec_pages p;
	uint64_t pad;
	size_t ti = 0, vi = 0;
	int ret;

	ret = read_fixed(img, rh, &p, sizeof(p));
	if (ret)
		return ret;
	pad = CKPT_PAGES_PAD(img->src.pos);
	ret = want_len(img, rh, sizeof(p) + pad +
		       (uint64_t)p.nr_pages * CKPT_PAGE_SIZE);
	if (!ret)
		ret = check_run(img, w, &p, &ti, &vi);
	if (ret)
		return ret;
	if (w->late && img->pause_late)
		return pause_walk(img, w, &p, ti, vi);
	ret = read_run_pad(img, pad, w->skip_data);
	if (!ret)
		ret = pages_body(img, w, &p, ti, vi);
	return ret;
}

/* Every task's and mapping's page count against the runs seen. */
static int check_page_counts(struct libckpt_image *img)
{
	const struct libckpt_image_task *t;
	const struct task_state *ts;
	size_t i, j;

	for (i = 0; i < img->nr_tasks; i++) {
		t = &img->tasks[i];
		ts = &img->ts[i];
		if (ts->pages != t->rec.nr_pages)
			return bad(img, -EBADMSG, "task pid %" PRIu32 " declares %"
				   PRIu64 " pages, its PAGES records hold %" PRIu64,
				   t->rec.pid, (uint64_t)t->rec.nr_pages, ts->pages);
		for (j = 0; j < ts->nr_vmas; j++)
			if (ts->vma_pages[j] != ts->vmas[j].rec.nr_pages)
				return bad(img, -EBADMSG, "mapping 0x%" PRIx64
					   " of pid %" PRIu32 " declares %" PRIu64
					   " pages, PAGES records hold %" PRIu64,
					   (uint64_t)ts->vmas[j].rec.start,
					   t->rec.pid,
					   (uint64_t)ts->vmas[j].rec.nr_pages,
					   ts->vma_pages[j]);
	}
	return 0;
}

static int parse_trailer(struct libckpt_image *img,
			 const struct ckpt_rec_hdr *rh, bool crc_later)
{
	struct ckpt_rec_trailer tr;
	uint32_t crc = img->src.crc;
	struct src *s = &img->src;
	uint64_t crc_end = s->pos - sizeof(*rh);
	int ret;

	ret = want_len(img, rh, sizeof(tr));
	if (!ret)
		ret = src_read(img, &tr, sizeof(tr), false);
	if (ret)
		return ret;
	if (tr.magic != CKPT_TRAILER_MAGIC)
		return bad(img, -EBADMSG, "bad trailer magic 0x%016" PRIx64,
			   (uint64_t)tr.magic);
	if (tr.reserved)
		return bad(img, -EBADMSG, "trailer reserved field is not zero");
	if (tr.image_len != s->pos)
		return bad(img, -EBADMSG, "trailer says the image is %" PRIu64
			   " bytes, it is %" PRIu64, (uint64_t)tr.image_len, s->pos);
	if (crc_later) {
		img->crc_end = crc_end;
		img->crc_partial = crc;
		img->crc_want = tr.crc32c;
	} else if (tr.crc32c != crc) {
		return bad(img, -EBADMSG, "checksum mismatch: trailer says 0x%08"
			   PRIx32 ", the image's bytes give 0x%08" PRIx32,
			   tr.crc32c, crc);
	}
	img->trailer_crc = crc;
	if (img->in_area && (s->pos != img->slot.length ||
			     tr.crc32c != img->slot.crc32c))
		return bad(img, -EBADMSG, "image (%" PRIu64 " bytes, crc 0x%08" PRIx32
			   ") differs from its area slot (%" PRIu64
			   " bytes, crc 0x%08" PRIx32 ")", s->pos, tr.crc32c,
			   (uint64_t)img->slot.length, img->slot.crc32c);
	if (!img->in_area && s->limit != NO_LIMIT && s->pos != s->limit)
		return bad(img, -EBADMSG, "%" PRIu64 " bytes follow the trailer",
			   s->limit - s->pos);
	ret = check_page_counts(img);
	if (!ret)
		img->image_len = s->pos;
	return ret;
}

/* The run of @v (ascending, apart) that holds @addr, or NULL. */
static const struct data_run *run_at(const struct data_run *v, size_t n,
				     uint64_t addr)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && addr < v[lo - 1].addr + v[lo - 1].nr * CKPT_PAGE_SIZE)
		return &v[lo - 1];
	return NULL;
}

/* Does a run of @v start in [@addr, @end)? */
static bool runs_within(const struct data_run *v, size_t n, uint64_t addr,
			uint64_t end)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].addr < end;
}

/* Where process @ti's bytes for @addr are: its own runs or its forked ones. */
static const struct data_run *bytes_at(const struct libckpt_image *img, size_t ti,
				       uint64_t addr)
{
	const struct task_state *ts = &img->ts[ti];
	const struct data_run *r = run_at(ts->own, ts->nr_own, addr);

	return r ? r : run_at(ts->fres, ts->nr_fres, addr);
}

/* Hand one resolved forked run to the walk's callback, its bytes read again. */
static int emit_forked(struct libckpt_image *img, struct walk *w, size_t ti,
		       ssize_t vi, const struct data_run *r)
{
	struct libckpt_page_run run = {
		.task = &img->tasks[ti], .vma = &img->ts[ti].vmas[vi],
		.forked = true,
	};
	uint64_t done, n;
	ssize_t got;
	int ret;

	for (done = 0; w->fn && done < r->nr; done += n) {
		n = r->nr - done < LIBCKPT_PAGES_CHUNK ? r->nr - done : LIBCKPT_PAGES_CHUNK;
		run.addr = r->addr + done * CKPT_PAGE_SIZE;
		run.nr_pages = (uint32_t)n;
		run.offset = img->src.stream ? 0 : r->offset + done * CKPT_PAGE_SIZE;
		run.data = NULL;
		if (!w->skip_data && !w->defer && !img->src.stream) {
			got = pread(img->src.fd, img->chunk, n * CKPT_PAGE_SIZE,
				    (off_t)run.offset);
			if (got != (ssize_t)(n * CKPT_PAGE_SIZE))
				return bad(img, -EIO, "cannot read the image again at byte %" PRIu64,
					   run.offset);
			run.data = img->chunk;
		}
		ret = w->fn(&run, w->arg);
		if (ret)
			return bad(img, ret, "stopped by the page callback (%d)", ret);
	}
	return 0;
}

/*
 * Process @ti's forked runs, each cut where its parent's bytes for it
 * lie: the parent's own runs or, resolved first, its forked ones (a page
 * shared by three generations is written once, for the oldest).
 */
static int resolve_forked(struct libckpt_image *img, struct walk *w, size_t ti)
{
	struct task_state *ts = &img->ts[ti];
	uint32_t pid = img->tasks[ti].rec.pid;
	const struct data_run *src;
	uint64_t addr, end, take;
	ssize_t parent, v;
	uint32_t i;
	int ret;

	if (ts->resolving == 2 || !ts->nr_forked)
		return 0;
	parent = find_task(img, img->tasks[ti].rec.ppid);
	if (parent < 0 || ts->resolving)
		return bad(img, -EBADMSG, "pid %" PRIu32 " has FORKED pages, and its parent %"
			   PRIu32 " is not in the image or descends from it", pid,
			   img->tasks[ti].rec.ppid);
	ts->resolving = 1;
	ret = resolve_forked(img, w, (size_t)parent);
	for (i = 0; !ret && i < ts->nr_forked; i++) {
		addr = ts->forked_v[i].addr;
		end = addr + ts->forked_v[i].nr_pages * CKPT_PAGE_SIZE;
		v = find_vma(img, ti, addr, end);
		if (run_at(ts->own, ts->nr_own, addr) ||
		    run_at(ts->own, ts->nr_own, end - 1) ||
		    runs_within(ts->own, ts->nr_own, addr, end))
			return bad(img, -EBADMSG, "FORKED run 0x%" PRIx64 " of pid %" PRIu32
				   " overlaps its PAGES runs", addr, pid);
		for (; !ret && addr < end; addr += take) {
			src = bytes_at(img, (size_t)parent, addr);
			if (!src)
				return bad(img, -EBADMSG, "FORKED page 0x%" PRIx64 " of pid %" PRIu32
					   ": its parent %" PRIu32 " has no page there", addr,
					   pid, img->tasks[parent].rec.pid);
			take = src->addr + src->nr * CKPT_PAGE_SIZE - addr;
			if (take > end - addr)
				take = end - addr;
			ret = push_run(img, &ts->fres, &ts->nr_fres, &ts->cap_fres,
				       (struct data_run){ addr, take / CKPT_PAGE_SIZE,
					src->offset + (addr - src->addr) });
			if (!ret)
				ret = emit_forked(img, w, ti, v, &ts->fres[ts->nr_fres - 1]);
		}
		ts->pages += ts->forked_v[i].nr_pages;
		ts->vma_pages[v] += ts->forked_v[i].nr_pages;
	}
	ts->resolving = 2;
	return ret;
}

/* Every forked run, once every PAGES run was seen. */
static int walk_forked(struct libckpt_image *img, struct walk *w)
{
	size_t i;
	int ret = 0;

	if (!img->has_forked)
		return 0;
	if (w->fn && !w->skip_data && !w->defer && !img->chunk) {
		img->chunk = malloc((size_t)LIBCKPT_PAGES_CHUNK * CKPT_PAGE_SIZE);
		if (!img->chunk)
			return bad(img, -ENOMEM, "out of memory");
	}
	for (i = 0; i < img->nr_tasks; i++) {
		img->ts[i].resolving = 0;
		img->ts[i].nr_fres = 0;
	}
	for (i = 0; !ret && i < img->nr_tasks; i++)
		ret = resolve_forked(img, w, i);
	return ret;
}

/* The walk's records from the read position to the trailer. */
static int walk_on(struct libckpt_image *img, struct walk *w)
{
	const struct ckpt_base_run *missing;
	struct ckpt_rec_hdr rh;
	int ret;

	for (;;) {
		ret = next_record(img, &rh);
		if (ret)
			return ret;
		if (rh.type == CKPT_REC_TRAILER)
			break;
		if (rh.type != CKPT_REC_PAGES)
			return misplaced(img, &rh, img->nr_tasks);
		ret = parse_pages(img, w, &rh);
		if (ret || img->paused)
			return ret;
	}
	missing = expected_late(img, w);
	if (missing)
		return bad(img, -EBADMSG, "the image ends before the LATE run 0x%" PRIx64
			   "+%" PRIu64 " of pid %" PRIu32, (uint64_t)missing->addr,
			   (uint64_t)missing->nr_pages, img->tasks[w->late_task].rec.pid);
	/* The bytes skipped were verified: take their crc. */
	if (w->skip_data)
		img->src.crc = img->pages_end_crc;
	ret = walk_forked(img, w);
	if (ret)
		return ret;
	return parse_trailer(img, &rh, (w->skip_data || w->defer) && img->defer_data);
}

static int walk_pages(struct libckpt_image *img, libckpt_pages_fn fn,
		      void *arg, bool runs_only)
{
	struct walk w = { .fn = fn, .arg = arg,
			  .skip_data = runs_only && img->verified,
			  .defer = runs_only && !img->verified && img->defer_data };
	size_t i;

	if (img->src.stream && img->walked)
		return bad(img, -EINVAL, "a stream's pages can be read only once");
	img->walked = true;
	img->src.pos = img->pages_off;
	img->src.crc = img->pages_crc;
	img->nrec = img->pages_rec;
	for (i = 0; i < img->nr_tasks; i++) {
		img->ts[i].pages = 0;
		img->ts[i].nr_own = 0;
		memset(img->ts[i].vma_pages, 0,
		       img->ts[i].nr_vmas * sizeof(uint64_t));
	}
	return walk_on(img, &w);
}

/* Header and metadata; then, unless it is a stream, everything else. */
static int load(struct libckpt_image *img)
{
	int ret;

	ret = parse_hdr(img);
	if (!ret)
		ret = parse_meta(img);
	if (!ret && !img->src.stream)
		ret = walk_pages(img, NULL, NULL, img->defer_data);
	if (!ret && !img->src.stream) {
		img->verified = true;
		img->pages_end_crc = img->trailer_crc;
	}
	return ret;
}

static struct libckpt_image *img_new(int fd, bool own_fd)
{
	struct libckpt_image *img = calloc(1, sizeof(*img));

	if (img) {
		img->src.fd = fd;
		img->src.own_fd = own_fd;
		img->src.limit = NO_LIMIT;
		img->src.spool = -1;
	}
	return img;
}

/* Load @img, or free it; either way pass on the outcome. */
static int finish_open(struct libckpt_image *img, struct libckpt_image **out,
		       char *err, size_t errlen)
{
	int ret = load(img);

	if (ret) {
		libckpt_fail(err, errlen, ret, "%s", img->err);
		libckpt_image_close(img);
		return ret;
	}
	*out = img;
	return 0;
}

int libckpt_image_open_fd(int fd, struct libckpt_image **out, char *err,
			  size_t errlen)
{
	struct libckpt_image *img = img_new(fd, false);

	if (!img)
		return libckpt_fail(err, errlen, -ENOMEM, "out of memory");
	img->src.stream = true;
	return finish_open(img, out, err, errlen);
}

/* "PATH:GEN" with GEN a positive decimal number: split it. */
static bool split_generation(const char *spec, char **path, uint64_t *gen)
{
	const char *colon = strrchr(spec, ':');
	unsigned long long v;
	char *end;

	if (!colon || colon == spec || colon[1] < '0' || colon[1] > '9')
		return false;
	errno = 0;
	v = strtoull(colon + 1, &end, 10);
	if (errno || *end || !v)
		return false;
	*path = strndup(spec, (size_t)(colon - spec));
	*gen = v;
	return *path != NULL;
}

/* Point @img at generation @gen (0: newest) of the area open on its fd. */
static int select_generation(struct libckpt_image *img, uint64_t gen)
{
	struct ckpt_area_sb sb;
	int ret, i;

	ret = libckpt_area_read(img->src.fd, &sb, img->err, sizeof(img->err));
	if (ret)
		return ret;
	i = libckpt_area_find(&sb, gen);
	if (i < 0 && !gen)
		return bad(img, -ENOENT, "the area holds no committed generation");
	if (i < 0)
		return bad(img, -ENOENT, "the area holds no generation %" PRIu64, gen);
	if (sb.slots[i].state != CKPT_SLOT_COMMITTED)
		return bad(img, -ENOENT, "generation %" PRIu64 " was never committed",
			   gen);
	img->in_area = true;
	img->slot = sb.slots[i];
	img->src.base = img->slot.offset;
	img->src.limit = img->slot.length;
	return 0;
}

/* A file, device or pipe: decide how to read it. */
static int setup_source(struct libckpt_image *img, bool area, uint64_t gen)
{
	uint64_t magic = 0, size;
	struct stat st;

	if (fstat(img->src.fd, &st))
		return bad(img, -errno, "cannot stat: %s", strerror(errno));
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(img->src.fd, BLKGETSIZE64, &size))
			return bad(img, -errno, "cannot get the device size: %s",
				   strerror(errno));
	} else if (!area) {
		img->src.stream = true;
		return 0;
	} else {
		return bad(img, -EINVAL, "an area is a regular file or block device");
	}
	if (!area && pread(img->src.fd, &magic, sizeof(magic), 0) == sizeof(magic) &&
	    magic == CKPT_AREA_MAGIC)
		area = true;
	if (area)
		return select_generation(img, gen);
	img->src.limit = size;
	return 0;
}

static int open_spec(const char *spec, bool defer_data,
		     struct libckpt_image **out, char *err, size_t errlen)
{
	struct libckpt_image *img;
	char *path = NULL;
	uint64_t gen = 0;
	int fd, ret;

	if (!strcmp(spec, "-"))
		return libckpt_image_open_fd(STDIN_FILENO, out, err, errlen);
	fd = open(spec, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && split_generation(spec, &path, &gen)) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		free(path);
	}
	if (fd < 0)
		return libckpt_fail(err, errlen, -errno, "cannot open: %s",
				    strerror(errno));
	img = img_new(fd, true);
	if (!img) {
		close(fd);
		return libckpt_fail(err, errlen, -ENOMEM, "out of memory");
	}
	ret = setup_source(img, gen != 0, gen);
	if (ret) {
		libckpt_fail(err, errlen, ret, "%s", img->err);
		libckpt_image_close(img);
		return ret;
	}
	img->defer_data = defer_data && !img->src.stream;
	return finish_open(img, out, err, errlen);
}

int libckpt_image_open(const char *spec, struct libckpt_image **out,
		       char *err, size_t errlen)
{
	return open_spec(spec, false, out, err, errlen);
}

int libckpt_image_open_deferred(const char *spec, struct libckpt_image **out,
				char *err, size_t errlen)
{
	if (!strcmp(spec, "-"))
		return libckpt_fail(err, errlen, -EINVAL,
				    "a stream cannot be opened for a deferred check");
	return open_spec(spec, true, out, err, errlen);
}

int libckpt_image_open_spooled(int in_fd, int spool_fd, struct libckpt_image **out,
			       char *err, size_t errlen)
{
	struct libckpt_image *img = img_new(in_fd, false);

	if (!img)
		return libckpt_fail(err, errlen, -ENOMEM, "out of memory");
	img->src.stream = true;
	img->src.spool = spool_fd;
	img->pause_late = true;
	return finish_open(img, out, err, errlen);
}

bool libckpt_image_paused(const struct libckpt_image *img)
{
	return img->paused != NULL;
}

int libckpt_image_resume(struct libckpt_image *img, libckpt_pages_fn fn, void *arg,
			 char *err, size_t errlen)
{
	struct paused *ps = img->paused;
	struct walk w;
	int ret;

	if (!ps)
		return libckpt_fail(err, errlen, -EINVAL, "the image's walk is not paused");
	w = ps->w;
	w.fn = fn;
	w.arg = arg;
	img->paused = NULL;
	ret = read_run_pad(img, CKPT_PAGES_PAD(img->src.pos), false);
	if (!ret)
		ret = pages_body(img, &w, &ps->p, ps->ti, ps->vi);
	free(ps);
	if (!ret)
		ret = walk_on(img, &w);
	if (ret)
		return libckpt_fail(err, errlen, ret, "%s", img->err);
	return 0;
}

/*
 * Does a page of [@addr, @end) start less than @pages pages from @x,
 * either way (addr + pages * 4096 > x && addr < x + pages * 4096 for one)?
 */
static bool near(uint64_t addr, uint64_t end, uint64_t x, uint64_t pages)
{
	uint64_t d = pages * CKPT_PAGE_SIZE;

	return end > addr && (x < d || end - CKPT_PAGE_SIZE > x - d) &&
	       (x > UINT64_MAX - d || addr < x + d);
}

bool libckpt_run_near_a_thread(const struct libckpt_image_task *t, uint64_t addr,
			       uint64_t end)
{
	struct user_regs_struct regs;
	uint32_t k;

	for (k = 0; k < t->rec.nr_threads; k++) {
		memcpy(&regs, t->threads[k].regs, sizeof(regs));
		if (near(addr, end, regs.rip, CKPT_LATE_NEAR_IP) ||
		    near(addr, end, regs.rsp, CKPT_LATE_NEAR_SP))
			return true;
	}
	return false;
}

bool libckpt_near_a_thread(const struct libckpt_image_task *t, uint64_t addr)
{
	return libckpt_run_near_a_thread(t, addr, addr + CKPT_PAGE_SIZE);
}

bool libckpt_late_mapping(const struct ckpt_rec_vma *v)
{
	return (v->flags & CKPT_VMA_ANON) && !(v->flags & CKPT_LATE_VMA_NOT) &&
	       v->nr_pages > CKPT_LATE_MIN_PAGES;
}


/*
 * The image's CRC from the CRCs of its page data, computed by whoever
 * read the data (the module, as it filled memory): the bytes the reader
 * skipped counted as pieces whose own CRC was 0, and CRC is linear, so
 * each piece adds its CRC shifted by the bytes that follow it.
 */
int libckpt_image_check_data(const struct libckpt_image *img,
			     const struct libckpt_data_crc *pieces, size_t n,
			     char *err, size_t errlen)
{
	uint64_t covered = 0, end;
	uint32_t crc;
	size_t i;

	if (!img->defer_data)
		return 0;
	crc = img->crc_partial;
	for (i = 0; i < n; i++) {
		end = pieces[i].offset - img->src.base + pieces[i].len;
		if (pieces[i].offset < img->src.base || end > img->crc_end)
			return libckpt_fail(err, errlen, -EINVAL,
					    "page data at byte %" PRIu64 " is outside the image",
					    (uint64_t)pieces[i].offset);
		crc ^= libckpt_crc32c_shift(pieces[i].crc, img->crc_end - end);
		covered += pieces[i].len;
	}
	if (covered != img->deferred_bytes)
		return libckpt_fail(err, errlen, -EINVAL,
				    "%" PRIu64 " bytes of page data were read, the image holds %" PRIu64,
				    covered, img->deferred_bytes);
	if (crc != img->crc_want)
		return libckpt_fail(err, errlen, -EBADMSG,
				    "checksum mismatch: trailer says 0x%08" PRIx32
				    ", the image's bytes give 0x%08" PRIx32,
				    img->crc_want, crc);
	return 0;
}

void libckpt_image_close(struct libckpt_image *img)
{
	struct task_state *ts;
	size_t i, j;

	if (!img)
		return;
	for (i = 0; i < img->nr_tasks; i++) {
		ts = &img->ts[i];
		for (j = 0; j < ts->nr_threads; j++)
			free((void *)ts->threads[j].regs);
		for (j = 0; j < ts->nr_vmas; j++)
			free((void *)ts->vmas[j].path);
		for (j = 0; j < ts->nr_fds; j++)
			free((void *)ts->fds[j].path);
		free(ts->proc_blk);
		free(ts->ident_blk);
		free(ts->threads);
		free(ts->vmas);
		free(ts->fds);
		free(ts->posix);
		free(ts->siginfo);
		free(ts->lock_v);
		free(ts->seg_v);
		free(ts->tty_v);
		free(ts->base_v);
		free(ts->forked_v);
		free(ts->own);
		free(ts->fres);
		free(ts->touched_v);
		free(ts->late_v);
		free(ts->vma_pages);
	}
	free(img->zombies);
	free(img->ts);
	free(img->tasks);
	free(img->by_pid);
	free(img->files);
	free(img->objs);
	free(img->chunk);
	free(img->paused);
	if (img->src.own_fd)
		close(img->src.fd);
	free(img);
}

const struct ckpt_rec_parent *libckpt_image_parent(const struct libckpt_image *img)
{
	return img->has_parent ? &img->parent : NULL;
}

const struct ckpt_image_hdr *libckpt_image_hdr(const struct libckpt_image *img)
{
	return &img->hdr;
}

size_t libckpt_image_nr_tasks(const struct libckpt_image *img)
{
	return img->nr_tasks;
}

const struct libckpt_image_task *
libckpt_image_task(const struct libckpt_image *img, size_t i)
{
	return i < img->nr_tasks ? &img->tasks[i] : NULL;
}

size_t libckpt_image_nr_zombies(const struct libckpt_image *img)
{
	return img->hdr.nr_zombies;
}

const struct ckpt_rec_zombie *
libckpt_image_zombie(const struct libckpt_image *img, size_t i)
{
	return i < img->hdr.nr_zombies && img->zombies ? &img->zombies[i] : NULL;
}

const struct libckpt_image_task *
libckpt_image_find_task(const struct libckpt_image *img, uint32_t pid)
{
	ssize_t i = find_task(img, pid);

	return i < 0 ? NULL : &img->tasks[i];
}

int libckpt_image_export(struct libckpt_image *img, int out_fd,
			 libckpt_progress_fn fn, void *arg, char *err,
			 size_t errlen)
{
	static const size_t chunk = 1 << 20;
	uint64_t done = 0, total = img->image_len;
	char *buf;
	ssize_t n, w;

	if (img->src.stream || !img->verified || img->defer_data)
		return libckpt_fail(err, errlen, -EINVAL,
				    "only a verified image file or area generation can be exported");
	buf = malloc(chunk);
	if (!buf)
		return libckpt_fail(err, errlen, -ENOMEM, "out of memory");
	while (done < total) {
		n = pread(img->src.fd, buf, total - done < chunk ? total - done : chunk,
			  (off_t)(img->src.base + done));
		if (n <= 0) {
			free(buf);
			return libckpt_fail(err, errlen, n ? -errno : -EIO,
					    "reading the image at byte %" PRIu64 ": %s", done,
					    n ? strerror(errno) : "unexpected end");
		}
		for (w = 0; w < n;) {
			ssize_t r = write(out_fd, buf + w, n - w);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				free(buf);
				return libckpt_fail(err, errlen, -errno, "writing the image: %s",
						    strerror(errno));
			}
			w += r;
		}
		done += n;
		if (fn)
			fn(done, total, arg);
	}
	free(buf);
	return 0;
}

int libckpt_image_fd(const struct libckpt_image *img)
{
	return img->src.spool >= 0 ? img->src.spool : img->src.fd;
}

/*
 * A checkpoint drops from the superblock every generation its image will
 * overwrite, and that superblock is on disk before any image byte is
 * (kmod/area.c, ckpt_area_reserve()); generation numbers are never
 * reused. So if the superblock read now still holds this generation's
 * slot unchanged, no byte of it was overwritten since it was verified.
 */
int libckpt_image_still_held(const struct libckpt_image *img, char *err,
			     size_t errlen)
{
	struct ckpt_area_sb sb;
	int ret, i;

	if (!img->in_area)
		return 0;
	ret = libckpt_area_read(img->src.fd, &sb, err, errlen);
	if (ret)
		return ret;
	i = libckpt_area_find(&sb, img->slot.generation);
	if (i < 0 || memcmp(&sb.slots[i], &img->slot, sizeof(img->slot)))
		return libckpt_fail(err, errlen, -ESTALE,
				    "generation %" PRIu64 " of the area was replaced while it was restored",
				    (uint64_t)img->slot.generation);
	return 0;
}

int libckpt_image_open_generation(const struct libckpt_image *img, uint64_t gen,
				  struct libckpt_image **out, char *err, size_t errlen)
{
	struct libckpt_image *other;
	int fd, ret;

	if (!img->in_area)
		return libckpt_fail(err, errlen, -EINVAL, "not an area generation");
	fd = fcntl(img->src.fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return libckpt_fail(err, errlen, -errno, "cannot duplicate the area descriptor: %s",
				    strerror(errno));
	other = img_new(fd, true);
	if (!other) {
		close(fd);
		return libckpt_fail(err, errlen, -ENOMEM, "out of memory");
	}
	ret = select_generation(other, gen);
	if (ret) {
		libckpt_fail(err, errlen, ret, "%s", other->err);
		libckpt_image_close(other);
		return ret;
	}
	return finish_open(other, out, err, errlen);
}

bool libckpt_image_in_area(const struct libckpt_image *img)
{
	return img->in_area;
}

uint32_t libckpt_image_crc(const struct libckpt_image *img)
{
	return img->in_area ? img->slot.crc32c : img->trailer_crc;
}

bool libckpt_image_in(const struct libckpt_image *img, uint64_t offset, uint64_t len)
{
	return offset >= img->src.base && len <= img->image_len &&
	       offset - img->src.base <= img->image_len - len;
}

int libckpt_image_hold(const struct libckpt_image *img)
{
	struct flock fl = {
		.l_type = F_RDLCK, .l_whence = SEEK_SET,
		.l_start = (off_t)img->slot.offset, .l_len = (off_t)img->slot.length,
	};

	if (!img->in_area)
		return 0;
	return fcntl(img->src.fd, F_OFD_SETLK, &fl) ? -errno : 0;
}

uint64_t libckpt_image_size(const struct libckpt_image *img)
{
	return img->image_len;
}

int libckpt_image_page_runs(struct libckpt_image *img, libckpt_pages_fn fn,
			    void *arg, char *err, size_t errlen)
{
	int ret = walk_pages(img, fn, arg, true);

	if (ret)
		return libckpt_fail(err, errlen, ret, "%s", img->err);
	return 0;
}

int libckpt_image_pages(struct libckpt_image *img, libckpt_pages_fn fn,
			void *arg, char *err, size_t errlen)
{
	int ret = walk_pages(img, fn, arg, false);

	if (ret)
		return libckpt_fail(err, errlen, ret, "%s", img->err);
	return 0;
}
