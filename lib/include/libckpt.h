/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: the userspace client of the ckpt module.
 *
 * Every function returns 0 or a negative errno and never prints. When the
 * module explains a failure (extended ACK), libckpt_error() returns that
 * explanation, prefixed with the task/fd/mapping it concerns. The image and
 * area readers below explain failures through an @err buffer instead.
 */
#ifndef LIBCKPT_H
#define LIBCKPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/ckpt.h>
#include <linux/ckpt_image.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The shared library is built with -fvisibility=hidden; what this header
 * declares is its interface (lib/libckpt.map names the version).
 */
#ifdef LIBCKPT_SHARED
#pragma GCC visibility push(default)
#endif

struct libckpt;

/** struct libckpt_info - what CKPT_CMD_GET_INFO reports */
struct libckpt_info {
	uint32_t genl_version;
	char module_version[CKPT_MODULE_VERSION_LEN];
	uint32_t image_version;
	uint64_t features;
	uint32_t max_tasks;
	uint32_t max_threads;
	uint32_t freeze_timeout_ms;
	uint32_t live_jobs;	/* checkpoint jobs the module holds */
	uint64_t held_pages;	/* pages held by unwritten snapshots */
	uint32_t tcp_held;	/* TCP connections held back (LIBCKPT_F_TCP_ESTABLISHED) */
	char crc32c_impl[32];	/* the kernel's crc32c driver the module uses */
};

/** struct libckpt_census - what CKPT_CMD_CHECK reports */
struct libckpt_census {
	uint32_t pgid;
	uint32_t nr_tasks;
	uint32_t nr_threads;
};

/* Connect to the module. -ENOENT: the module is not loaded. */
int libckpt_open(struct libckpt **handle);
void libckpt_close(struct libckpt *h);

/* The module's explanation of the last failure, or "" if it gave none. */
const char *libckpt_error(const struct libckpt *h);

int libckpt_get_info(struct libckpt *h, struct libckpt_info *info);
int libckpt_check(struct libckpt *h, uint32_t pgid,
		  struct libckpt_census *census);

/* Flags of the *_with() calls. */
#define LIBCKPT_F_SESSION	(1u << 0)	/* the id is a session id: every process of the session */
#define LIBCKPT_F_LEAVE_STOPPED	(1u << 1)	/* freeze: leave the group stopped (SIGSTOP) after it */
/*
 * check, freeze: carry established TCP connections whose peer is not a
 * socket of the group (refused otherwise). With LIBCKPT_F_LEAVE_STOPPED
 * the module holds them back (drops their segments, puts them in repair
 * mode) until the restore, libckpt_tcp_release() or its timeout: the
 * group can then be killed without the peer seeing a FIN or a reset.
 */
#define LIBCKPT_F_TCP_ESTABLISHED	(1u << 2)
/* freeze: libckpt_freeze_opts.notify_grace_ms is set (0 then: do not wait) */
#define LIBCKPT_F_NOTIFY_GRACE	(1u << 3)
/*
 * freeze into an area: an incremental image if the module holds a usable
 * parent (the group's last checkpoint into this area, still there, no
 * freeze of its processes since, chain shorter than incr_max_chain), else
 * a full one; libckpt_job.parent_generation says which.
 */
#define LIBCKPT_F_INCREMENTAL	(1u << 4)

/* As libckpt_check(), for a process group or (LIBCKPT_F_SESSION) a session. */
int libckpt_check_with(struct libckpt *h, uint32_t id, unsigned int flags,
		       struct libckpt_census *census);

/*
 * End the holds of TCP connections a checkpoint left stopped took
 * (LIBCKPT_F_TCP_ESTABLISHED): those of job @job_id, or with @job_id 0
 * every one the caller may end. Their sockets, if still open, leave repair
 * mode: for a group that runs on where it is. @released (may be NULL)
 * receives how many ended.
 */
int libckpt_tcp_release(struct libckpt *h, uint64_t job_id, uint32_t *released);

/*
 * Images and areas (uapi/linux/ckpt_image.h, Documentation/image-format.rst)
 * --------------------------------------------------------------------------
 *
 * These functions need no module. They keep no global state: each takes
 * @err and @errlen and, when it fails, returns a negative errno and writes a
 * one-line explanation to @err (NUL-terminated, cut to @errlen; @err may be
 * NULL). LIBCKPT_ERRLEN bytes hold every message whole. An image error
 * names the record: "record 7 at offset 123456: PAGES run 0x7f0000+3
 * outside every mapping of pid 42". -EINVAL: not an image or area of a
 * supported version; -EBADMSG: damaged or inconsistent; -ENOENT: no such
 * generation; other errnos come from the system.
 */
#define LIBCKPT_ERRLEN 512

/*
 * Make @path an empty area. A block device is used whole (@size, if not 0,
 * must not exceed it); a file must be new or empty (else -EEXIST) and gets
 * @size bytes, rounded down to 4096, preallocated with fallocate() (its
 * errno if the filesystem cannot). At least LIBCKPT_AREA_MIN_SIZE bytes.
 */
#define LIBCKPT_AREA_MIN_DATA	(1ULL << 20)
#define LIBCKPT_AREA_MIN_SIZE	(CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE + \
				 LIBCKPT_AREA_MIN_DATA)
int libckpt_area_create(const char *path, uint64_t size, char *err,
			size_t errlen);
/*
 * Read and validate the superblock of the area open on @fd: the valid copy
 * with the highest sequence number. Only if both copies are invalid is the
 * area refused, with both reasons. A version-1 area (one copy) is read too.
 */
int libckpt_area_read(int fd, struct ckpt_area_sb *sb, char *err,
		      size_t errlen);

/**
 * struct libckpt_area_copies - what each superblock copy of an area holds
 * @version: the area's format version (1: one copy, 2: two)
 * @nr_copies: superblock copies of that version
 * @used: the copy libckpt_area_read() takes
 * @copy: per copy: @error 0 if it is valid, else a negative errno and
 *	@why the reason; @seq its sequence number (sb_seq)
 */
struct libckpt_area_copies {
	uint32_t version;
	uint32_t nr_copies;
	uint32_t used;
	struct {
		int error;
		uint64_t seq;
		char why[LIBCKPT_ERRLEN];
	} copy[CKPT_AREA_SB_COPIES];
};

/* As libckpt_area_read(), and tell in @copies what each copy holds. */
int libckpt_area_inspect(int fd, struct ckpt_area_sb *sb,
			 struct libckpt_area_copies *copies, char *err,
			 size_t errlen);
/*
 * Slot index holding @generation (any state), or for @generation 0 the
 * newest COMMITTED one; -ENOENT if none.
 */
int libckpt_area_find(const struct ckpt_area_sb *sb, uint64_t generation);
/* "empty", "writing", "committed" or "invalid". */
const char *libckpt_area_slot_state(uint32_t state);
/*
 * The generation committed slot @s of the area open on @fd builds on (the
 * PARENT record at the start of its image, not verified), or 0: a full
 * image, or not a committed image of this format version.
 */
uint64_t libckpt_area_slot_parent(int fd, const struct ckpt_area_slot *s);

struct libckpt_image;

/** struct libckpt_image_thread - a THREAD record */
struct libckpt_image_thread {
	struct ckpt_rec_thread rec;
	const void *regs;	/* rec.regs_size bytes: struct user_regs_struct */
	const void *xstate;	/* rec.xstate_size bytes of XSAVE area */
};

/** struct libckpt_image_vma - a VMA record */
struct libckpt_image_vma {
	struct ckpt_rec_vma rec;
	const char *path;	/* NUL-terminated; "" if anonymous */
};

/** struct libckpt_image_proc - a PROC record */
struct libckpt_image_proc {
	struct ckpt_rec_proc rec;
	const uint32_t *groups;	/* rec.nr_groups supplementary gids */
	const char *cwd;	/* NUL-terminated */
	const char *root;
	const char *exe;	/* "" if the process had none */
};

/** struct libckpt_image_fd - an FD record */
struct libckpt_image_fd {
	struct ckpt_rec_fd rec;
	const char *path;	/* NUL-terminated; "" for a pipe */
	const void *data;	/* rec.data_len bytes of pipe contents */
};

/** struct libckpt_image_identity - an IDENTITY record */
struct libckpt_image_identity {
	struct ckpt_rec_identity rec;
	const uint64_t *auxv;	/* rec.nr_auxv words, ending with AT_NULL */
	const struct ckpt_thread_identity *threads;	/* rec.nr_threads */
	const char *cgroup;	/* rec.cgroup_len bytes and a NUL, or NULL */
};

/** struct libckpt_image_timers - a TIMERS record */
struct libckpt_image_timers {
	struct ckpt_rec_timers rec;
	const struct ckpt_posix_timer *posix;	/* rec.nr_posix, ascending id */
};

/** struct libckpt_image_signals - a SIGNALS record */
struct libckpt_image_signals {
	struct ckpt_rec_signals rec;
	/* rec.nr_siginfo: process-wide first, then per thread in THREAD order */
	const struct ckpt_siginfo *siginfo;
};

/** struct libckpt_image_locks - a LOCKS record */
struct libckpt_image_locks {
	struct ckpt_rec_locks rec;
	const struct ckpt_file_lock *locks;	/* rec.nr_locks */
};

/** struct libckpt_image_sysv - a SYSV_SHM record */
struct libckpt_image_sysv {
	struct ckpt_rec_sysv_shm rec;
	const struct ckpt_sysv_seg *segs;	/* rec.nr_segs */
};

/** struct libckpt_image_tty - a TTY record */
struct libckpt_image_tty {
	struct ckpt_rec_tty rec;
	const struct ckpt_tty *ttys;	/* rec.nr_ttys, ascending rdev */
};

/** struct libckpt_image_base - a BASE record (incremental images) */
struct libckpt_image_base {
	struct ckpt_rec_base rec;
	const struct ckpt_base_run *runs;	/* rec.nr_runs, ascending */
};

/** struct libckpt_image_touched - a TOUCHED record (version 11 images) */
struct libckpt_image_touched {
	struct ckpt_rec_touched rec;
	const struct ckpt_touched_run *runs;	/* rec.nr_runs, ascending */
};

/** struct libckpt_image_task - a TASK record, its state, threads, mappings, fds, timers, signals, locks, System V segments, terminals */
struct libckpt_image_task {
	struct ckpt_rec_task rec;
	char comm[sizeof(((struct ckpt_rec_task *)0)->comm) + 1]; /* NUL-ended */
	const struct libckpt_image_proc *proc;
	const struct libckpt_image_thread *threads;	/* rec.nr_threads */
	const struct libckpt_image_vma *vmas;	/* rec.nr_vmas, ascending */
	const struct libckpt_image_fd *fds;	/* rec.nr_fds, ascending fd */
	const struct libckpt_image_identity *ident;	/* per THREAD entries */
	const struct libckpt_image_timers *timers;
	const struct libckpt_image_signals *signals;
	const struct libckpt_image_locks *locks;
	const struct libckpt_image_sysv *sysv;
	const struct libckpt_image_tty *tty;
	/* The pages its parent holds; NULL unless the image is incremental. */
	const struct libckpt_image_base *base;
	/* How recently its pages were touched; NULL before version 11. */
	const struct libckpt_image_touched *touched;
};

/*
 * Open an image. @spec is a standalone image file; an area, meaning its
 * newest committed generation; "AREA:GEN" for generation GEN of an area;
 * or "-" for standard input read as a stream. A file or area is verified
 * whole before this returns: every record, count, page run, the checksum
 * and the trailer. A stream can only be read once: open reads its metadata
 * and libckpt_image_pages() verifies the rest as it goes.
 */
int libckpt_image_open(const char *spec, struct libckpt_image **img,
		       char *err, size_t errlen);
/* Read an image as a stream from @fd's current position (not closed). */
int libckpt_image_open_fd(int fd, struct libckpt_image **img, char *err,
			  size_t errlen);
void libckpt_image_close(struct libckpt_image *img);

const struct ckpt_image_hdr *libckpt_image_hdr(const struct libckpt_image *img);
/*
 * The generation an incremental image builds on (its PARENT record), or
 * NULL for a full image. Its pages are in its BASE records' runs as well
 * as its PAGES runs; libckpt_restore() composes the chain.
 */
const struct ckpt_rec_parent *libckpt_image_parent(const struct libckpt_image *img);
size_t libckpt_image_nr_tasks(const struct libckpt_image *img);
/* Tasks in image order; NULL past the end. */
const struct libckpt_image_task *
libckpt_image_task(const struct libckpt_image *img, size_t i);
/* The task with @pid, or NULL. */
const struct libckpt_image_task *
libckpt_image_find_task(const struct libckpt_image *img, uint32_t pid);
/* Zombies (ZOMBIE records) in image order; NULL past the end. */
size_t libckpt_image_nr_zombies(const struct libckpt_image *img);
const struct ckpt_rec_zombie *
libckpt_image_zombie(const struct libckpt_image *img, size_t i);
/* Bytes of the image, trailer included; 0 until it has been verified. */
uint64_t libckpt_image_size(const struct libckpt_image *img);

/**
 * struct libckpt_page_run - captured pages handed to a libckpt_pages_fn
 * @task: the process they belong to
 * @vma: its mapping that holds them
 * @addr: address of the first page
 * @nr_pages: pages at @data (CKPT_PAGE_SIZE bytes each)
 * @data: their contents, valid during the call only
 * @offset: where @data lies in the image file or area; 0 for a stream
 * @forked: the pages are the very pages @task's parent process maps at
 *	the same addresses, shared since fork() (a FORKED record): @offset
 *	is where the image holds their bytes, once, for the parent (or an
 *	ancestor). Such runs come after every PAGES run, once the parent's
 *	are known; @data is read again from a file or area, and NULL for a
 *	stream, whose bytes are gone by then
 */
struct libckpt_page_run {
	const struct libckpt_image_task *task;
	const struct libckpt_image_vma *vma;
	uint64_t addr;
	uint32_t nr_pages;
	const void *data;
	uint64_t offset;
	bool forked;
};

/* A non-zero return stops the walk and is returned by libckpt_image_pages. */
typedef int (*libckpt_pages_fn)(const struct libckpt_page_run *run,
				void *arg);

/*
 * Call @fn for the captured pages, in image order. A PAGES record longer
 * than LIBCKPT_PAGES_CHUNK pages comes in consecutive pieces, so memory
 * stays bounded. A file or area can be walked any number of times; a
 * stream once, and its pages are only known good when this returns 0.
 */
#define LIBCKPT_PAGES_CHUNK	256
int libckpt_image_pages(struct libckpt_image *img, libckpt_pages_fn fn,
			void *arg, char *err, size_t errlen);
/*
 * As libckpt_image_pages(), for callers that need where the pages are, not
 * their bytes (run->data is NULL): a file or area, verified whole when it
 * was opened, is walked through its record headers alone. A stream is read
 * and verified as by libckpt_image_pages().
 */
int libckpt_image_page_runs(struct libckpt_image *img, libckpt_pages_fn fn,
			    void *arg, char *err, size_t errlen);

/* Progress of a long operation: @done of @total bytes (@total 0: unknown). */
typedef void (*libckpt_progress_fn)(uint64_t done, uint64_t total, void *arg);

/*
 * Copy the image @img (a file, or one generation of an area, verified when
 * it was opened) to @out_fd as one standalone image file: its bytes as
 * they are, so it verifies the same. @fn, if not NULL, sees the progress.
 */
int libckpt_image_export(struct libckpt_image *img, int out_fd,
			 libckpt_progress_fn fn, void *arg, char *err,
			 size_t errlen);

/*
 * struct libckpt_job - a checkpoint job, as FREEZE and WAIT report it.
 * Callers allocate it: it grows only at its end, and each time it grows
 * the library's soname changes (libckpt.so.1: flush_ns).
 */
struct libckpt_job {
	uint64_t id;
	uint32_t pgid;		/* STATUS and events */
	uint64_t generation;
	uint64_t freeze_ns;	/* park start to release, kernel-measured */
	uint64_t park_ns;	/* of which parking every thread */
	uint64_t capture_ns;	/* of which capture and the COW walk */
	uint64_t nr_pages;
	uint64_t image_len;
	uint64_t written;	/* WAIT only */
	uint64_t stream_ns;	/* WAIT only: release to commit */
	uint32_t nr_tasks;
	uint32_t nr_threads;
	uint32_t state;		/* WAIT only: enum ckpt_job_state */
	int32_t error;		/* WAIT only: 0 or -errno of a failed job */
	char error_msg[128];	/* WAIT only: why it failed */
	uint64_t parent_generation;	/* incremental: the generation built on; 0: full */
	uint64_t flush_ns;	/* of freeze_ns: the TLB flush after the capture */
};

/*
 * Freeze process group @pgid, snapshot it and start streaming the snapshot
 * into the area open (read-write) on @area_fd; @rate limits the writer in
 * bytes/s (0: none). Returns once the group runs again.
 */
int libckpt_freeze(struct libckpt *h, uint32_t pgid, int area_fd,
		   uint64_t rate, struct libckpt_job *job);
/*
 * As libckpt_freeze(), into one standalone image written to @out_fd: a
 * regular file (from offset 0) or a pipe or socket (in order).
 */
int libckpt_dump(struct libckpt *h, uint32_t pgid, int out_fd, uint64_t rate,
		 struct libckpt_job *job);
/** struct libckpt_freeze_opts - how libckpt_freeze_with() freezes */
struct libckpt_freeze_opts {
	unsigned int flags;	/* LIBCKPT_F_* */
	uint64_t rate;		/* writer limit in bytes/s, 0: none */
	uint64_t ghost_limit;	/* largest deleted file or memfd carried; 0: default */
	/* with LIBCKPT_F_NOTIFY_GRACE: how long notices may take to be acknowledged */
	uint32_t notify_grace_ms;
};

/*
 * Checkpoint-pending notices, for a process that wants to quiesce (flush
 * a buffer, finish a transaction) before it is checkpointed.
 * libckpt_notice_open() opens a notice descriptor (close-on-exec; @flags
 * may add O_NONBLOCK) and returns it, or -errno (-ENOENT: the module is
 * not loaded). Whenever a group one of whose processes holds it is
 * frozen, the descriptor becomes readable (poll() POLLIN):
 * libckpt_notice_read() returns CKPT_NOTICE_PENDING before the group is
 * parked — quiesce, then call libckpt_notice_ack(); the freeze waits for
 * it at most its grace (ckptctl --notify-grace, 1 s by default) — and
 * CKPT_NOTICE_DONE once the freeze is over. A process restored from that
 * checkpoint reads the same CKPT_NOTICE_DONE. libckpt_notice_read()
 * returns -EAGAIN on a non-blocking descriptor with nothing to read.
 */
int libckpt_notice_open(int flags);
int libckpt_notice_read(int fd);
int libckpt_notice_ack(int fd);

/*
 * As libckpt_freeze() and libckpt_dump(), for a process group or a session,
 * with options.
 */
int libckpt_freeze_with(struct libckpt *h, uint32_t id, int area_fd,
			const struct libckpt_freeze_opts *o,
			struct libckpt_job *job);
int libckpt_dump_with(struct libckpt *h, uint32_t id, int out_fd,
		      const struct libckpt_freeze_opts *o,
		      struct libckpt_job *job);
/* Wait until job @id is committed or failed; fills @job. */
int libckpt_wait(struct libckpt *h, uint64_t id, struct libckpt_job *job);
/*
 * Forget committed generation @generation of the area open (read-write) on
 * @area_fd, through the module, which owns the area's superblock: never the
 * newest committed one (-EINVAL), nor one a committed incremental
 * generation builds on (-ENOTEMPTY); -ENOENT if the area no longer holds
 * it; -EBUSY while a checkpoint writes the area.
 */
int libckpt_area_drop(struct libckpt *h, int area_fd, uint64_t generation);

/* Called per job; a negative return stops the walk and is returned. */
typedef int (*libckpt_job_fn)(const struct libckpt_job *job, void *arg);
/* The jobs the module holds (streaming and recent) that the caller may see. */
int libckpt_status(struct libckpt *h, libckpt_job_fn fn, void *arg);

/*
 * A handle subscribed to the module's job events (needs CAP_SYS_ADMIN:
 * -EPERM otherwise). Close it with libckpt_close().
 */
int libckpt_events_open(struct libckpt **h);
/* Next event: 1 and @job filled, 0 on timeout, or a negative errno. */
int libckpt_event_next(struct libckpt *h, struct libckpt_job *job,
		       int timeout_ms);

/** struct libckpt_restore_opts - how libckpt_restore() restores */
struct libckpt_restore_opts {
	int wait;	/* stay the parent; *status gets the wait status */
	int new_pid;	/* one process: do not ask for the image's pid */
	int pidns;	/* restore into a new pid namespace, same pids */
	int shell_job;	/* terminal descriptors get the caller's terminal */
	libckpt_progress_fn progress;	/* reading an image from standard input */
	void *progress_arg;
	int skip_file_check;	/* accept files whose size or mtime changed */
	/*
	 * Lazy restore: the tree runs with only the memory it needs to start,
	 * a page server process (its pid in *@lazy_server, if not NULL)
	 * serves the rest on demand and prefetches it; not for a stream.
	 */
	int lazy;
	pid_t *lazy_server;
	/*
	 * Lazy restore: the prefetch fills at most this many bytes a second
	 * (0: as fast as it can); faults are served at once all the same.
	 */
	uint64_t lazy_rate;
};

/*
 * Restore the processes of image @spec (FILE, AREA, AREA:GEN, or "-" for
 * standard input, spooled into an anonymous memory file first): the tree
 * with its pids, sessions, process groups, threads and shared pipes.
 * Without @o->wait the restored roots are reparented to init (or the
 * nearest subreaper) and run on; *@pid is the (first) root's pid. With
 * @o->pidns the tree runs in a new pid namespace under a small init of
 * ckpt's that reaps it; *@pid is then the root's pid in that namespace and
 * *@status (with @o->wait) that init's, which exits with the root's exit
 * code, or 128 + the signal that killed it. Nothing of the image runs
 * unless every process was restored; errors name the process and record.
 */
int libckpt_restore(const char *spec, const struct libckpt_restore_opts *o,
		    pid_t *pid, int *status, char *err, size_t errlen);

/* The library's own version string. */
const char *libckpt_version(void);

#ifdef LIBCKPT_SHARED
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* LIBCKPT_H */
