/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckpt image and area formats. Documentation/image-format.rst explains them;
 * this header is their single definition. All fields are little-endian,
 * all structures are naturally aligned with explicit padding, and every
 * reserved field must be zero.
 *
 * Image
 * -----
 * An image is a byte stream: struct ckpt_image_hdr, then records, the last
 * of which is CKPT_REC_TRAILER. Every record starts with struct ckpt_rec_hdr;
 * its payload follows, padded with zeros to a multiple of 8 bytes (len counts
 * the payload without padding). The order is:
 *
 *   IMAGE_HDR
 *   PARENT             (an incremental image only, version 9)
 *   for each process:  TASK, PROC, THREAD x task.nr_threads,
 *                      VMA x task.nr_vmas, FD x task.nr_fds, IDENTITY,
 *                      TIMERS, SIGNALS, LOCKS, SYSV_SHM, TTY,
 *                      BASE (an incremental image only),
 *                      FORKED (CKPT_TASK_FORKED only), TOUCHED (version 11)
 *   ZOMBIE x hdr.nr_zombies
 *   for each process:  PAGES ... (runs of captured pages, in VMA order)
 *   TRAILER
 *
 * Every process has exactly one IDENTITY, then exactly one TIMERS, one
 * SIGNALS, one LOCKS, one SYSV_SHM and one TTY record, after its FD
 * records, and in an incremental image (one with a PARENT record) exactly
 * one BASE record after them, then a FORKED record if the TASK record
 * says so, then (version 11) exactly one TOUCHED record. Record types added
 * later go after them, in the order of their type numbers, so each
 * addition is independent of the others. The zombies (processes that
 * exited and that their parent, a process of the image, has not waited
 * for) follow every process's records, before the pages: they have no
 * state but their identity and exit status.
 *
 * Every PAGES record's page contents start at an image offset that is a
 * multiple of CKPT_PAGE_SIZE (CKPT_PAGES_PAD()); with an image placed at
 * such an offset (an area slot, a file from offset 0) they are aligned in
 * the file too, for direct I/O in both directions.
 *
 * A process's VMAs are in ascending address order and do not overlap. The
 * PAGES runs come in the order of the TASK records; a process's runs are in
 * ascending address order, do not overlap, and each lies within one VMA.
 *
 * A reader rejects: a wrong magic or version, a record type it does not
 * know, non-zero flags, reserved fields or padding, a length that runs past
 * the stream or disagrees with the record's own sizes, counts that disagree
 * with the records present, a PAGES run outside every VMA of its task or out
 * of the order above, and a trailer whose image_len or crc32c disagrees.
 * The crc32c is the standard CRC-32C (Castagnoli; the kernel's
 * ~crc32c(~0, buf, len); 0xE3069283 for "123456789") of every byte before
 * the trailer's record header.
 *
 * Area
 * ----
 * An area is a preallocated file or block device: two copies of struct
 * ckpt_area_sb, copy 0 at offset 0 and copy 1 at CKPT_AREA_SB_SIZE (each in
 * a CKPT_AREA_SB_SIZE-byte block with its own checksum), then a data region
 * used as a ring, from sb.data_offset (2 * CKPT_AREA_SB_SIZE).
 *
 * A superblock update increments sb_seq and writes the new block first over
 * the copy that does not hold the newest valid state (an invalid one, or
 * the one with the lower sb_seq) and flushes, then over the other copy and
 * flushes. At most one copy is ever being written, so a write torn or
 * failed at any point leaves the other copy valid, holding the state before
 * or after the update; once an update completes both copies hold it, so
 * later damage to either loses nothing. A reader takes the valid copy with
 * the highest sb_seq (the two are equal after a completed update); if
 * neither is valid the area is refused. A disk does not promise that a
 * 4096-byte write is atomic, which is why one copy is not enough.
 *
 * Version 1 areas had one copy at offset 0 and data_offset
 * CKPT_AREA_SB_SIZE; libckpt still reads them, the module no longer writes
 * them.
 *
 * Each generation occupies one slot: an image stored contiguously at
 * slot.offset (a multiple of 4096, >= sb.data_offset). A writer first marks
 * the new slot WRITING (and any slot whose bytes it will overwrite EMPTY) in
 * the superblock and flushes, then writes the image and flushes, then marks
 * the slot COMMITTED and flushes. It never overwrites the newest committed
 * generation, any generation that one builds on (struct ckpt_rec_parent,
 * version 9) or any the new image builds on: an image that fits only over
 * them is refused (-ENOSPC). Forgetting a generation forgets, in the same
 * update, every committed generation that builds on it. A crash
 * or a failed write therefore leaves the newest committed generation, and
 * every earlier one not overwritten, intact. The newest committed generation is the
 * COMMITTED slot with the highest generation number. A committed slot's
 * length and crc32c equal its image's trailer image_len and crc32c, and
 * its generation and created_ns equal the image header's.
 */
#ifndef _UAPI_LINUX_CKPT_IMAGE_H
#define _UAPI_LINUX_CKPT_IMAGE_H

#include <linux/types.h>

#define CKPT_IMAGE_MAGIC	0x54504b43U	/* "CKPT" */
#define CKPT_TRAILER_MAGIC	0x454e4f4454504b43ULL /* "CKPTDONE" */
#define CKPT_PAGE_SIZE		4096

/**
 * struct ckpt_image_hdr - start of every image
 * @magic: CKPT_IMAGE_MAGIC
 * @version: CKPT_IMAGE_VERSION (linux/ckpt.h)
 * @hdr_size: sizeof(struct ckpt_image_hdr)
 * @nr_tasks: processes in the image (TASK records)
 * @generation: area generation number; 0 for a standalone image
 * @created_ns: CLOCK_REALTIME of the freeze, in ns
 * @freeze_ns: time all threads were parked, in ns (park start to release)
 * @nr_threads: threads in the image (THREAD records)
 * @nr_zombies: zombies in the image (ZOMBIE records; version 4)
 */
struct ckpt_image_hdr {
	__u32 magic;
	__u32 version;
	__u32 hdr_size;
	__u32 nr_tasks;
	__u64 generation;
	__u64 created_ns;
	__u64 freeze_ns;
	__u32 nr_threads;
	__u32 nr_zombies;
};

/**
 * enum ckpt_rec_type - record types
 * @CKPT_REC_TASK: struct ckpt_rec_task
 * @CKPT_REC_THREAD: struct ckpt_rec_thread, then regs_size bytes of
 *	NT_PRSTATUS (struct user_regs_struct), then xstate_size bytes of
 *	NT_X86_XSTATE (the XSAVE layout ptrace's PTRACE_GETREGSET returns)
 * @CKPT_REC_VMA: struct ckpt_rec_vma, then path_len bytes of the mapped
 *	file's path (no NUL) for file-backed mappings
 * @CKPT_REC_PAGES: struct ckpt_rec_pages, then CKPT_PAGES_PAD() zero bytes,
 *	then nr_pages * CKPT_PAGE_SIZE bytes of page contents, which thereby
 *	start at an image offset that is a multiple of CKPT_PAGE_SIZE
 * @CKPT_REC_TRAILER: struct ckpt_rec_trailer; always last
 * @CKPT_REC_PROC: struct ckpt_rec_proc, then nr_groups __u32 group ids,
 *	then cwd_len, root_len and exe_len bytes of paths (no NULs)
 * @CKPT_REC_FD: struct ckpt_rec_fd, then path_len bytes of path, then
 *	data_len bytes of a pipe's, FIFO's, deleted file's or memfd's bytes,
 *	or of a descriptor object's state
 * @CKPT_REC_IDENTITY: struct ckpt_rec_identity, then nr_auxv __u64 words
 *	of the saved auxiliary vector, then nr_threads
 *	struct ckpt_thread_identity (one per THREAD record, in their order),
 *	then cgroup_len bytes of the cgroup path (version 7)
 * @CKPT_REC_TIMERS: struct ckpt_rec_timers, then nr_posix
 *	struct ckpt_posix_timer in ascending id order
 * @CKPT_REC_SIGNALS: struct ckpt_rec_signals, then nr_siginfo
 *	struct ckpt_siginfo (version 4)
 * @CKPT_REC_ZOMBIE: struct ckpt_rec_zombie (version 4)
 * @CKPT_REC_LOCKS: struct ckpt_rec_locks, then nr_locks
 *	struct ckpt_file_lock (version 4)
 * @CKPT_REC_SYSV_SHM: struct ckpt_rec_sysv_shm, then nr_segs
 *	struct ckpt_sysv_seg (version 5)
 * @CKPT_REC_TTY: struct ckpt_rec_tty, then nr_ttys struct ckpt_tty
 *	(version 5)
 * @CKPT_REC_PARENT: struct ckpt_rec_parent (version 9): this image is
 *	incremental, and names the generation it takes unchanged pages from
 * @CKPT_REC_BASE: struct ckpt_rec_base, then nr_runs struct ckpt_base_run
 *	(version 9): a process's pages taken from the parent
 * @CKPT_REC_FORKED: struct ckpt_rec_forked, then nr_runs struct
 *	ckpt_base_run (version 10): a process's pages that are its parent
 *	process's since fork(), written once
 * @CKPT_REC_TOUCHED: struct ckpt_rec_touched, then nr_runs
 *	struct ckpt_touched_run (version 11): which of a process's pages
 *	were touched shortly before the freeze
 * @CKPT_REC_LATE: struct ckpt_rec_late, then nr_runs struct
 *	ckpt_base_run (version 12): a process's PAGES runs that come after
 *	every process's other runs, for a lazy restore to serve later
 */
enum ckpt_rec_type {
	CKPT_REC_TASK = 1,
	CKPT_REC_THREAD,
	CKPT_REC_VMA,
	CKPT_REC_PAGES,
	CKPT_REC_TRAILER,
	CKPT_REC_PROC,
	CKPT_REC_FD,
	CKPT_REC_IDENTITY,
	CKPT_REC_TIMERS,
	CKPT_REC_SIGNALS,
	CKPT_REC_ZOMBIE,
	CKPT_REC_LOCKS,
	CKPT_REC_SYSV_SHM,
	CKPT_REC_TTY,
	CKPT_REC_PARENT,
	CKPT_REC_BASE,
	CKPT_REC_FORKED,
	CKPT_REC_TOUCHED,
	CKPT_REC_LATE,
};

/**
 * struct ckpt_rec_hdr - start of every record
 * @type: enum ckpt_rec_type
 * @flags: zero
 * @len: payload length in bytes, without the padding to 8
 */
struct ckpt_rec_hdr {
	__u32 type;
	__u32 flags;
	__u64 len;
};

/* ckpt_rec_task.flags */
#define CKPT_TASK_FORKED	(1U << 0)	/* a FORKED record follows */

/**
 * struct ckpt_rec_task - one process
 * @pid: its pid in the checkpointing caller's pid namespace
 * @ppid: its parent's pid (0 if outside that namespace)
 * @pgid: process group
 * @sid: session
 * @nr_threads: THREAD records that follow
 * @nr_vmas: VMA records that follow the threads
 * @nr_pages: pages in this process's PAGES records and FORKED runs
 * @comm: command name, NUL-padded
 * @start_code..@env_end: the mm fields of the same names
 * @nr_fds: FD records that follow the mappings
 * @flags: CKPT_TASK_* (version 10; zero before)
 */
struct ckpt_rec_task {
	__u32 pid;
	__u32 ppid;
	__u32 pgid;
	__u32 sid;
	__u32 nr_threads;
	__u32 nr_vmas;
	__u64 nr_pages;
	char comm[16];
	__u64 start_code;
	__u64 end_code;
	__u64 start_data;
	__u64 end_data;
	__u64 start_brk;
	__u64 brk;
	__u64 start_stack;
	__u64 arg_start;
	__u64 arg_end;
	__u64 env_start;
	__u64 env_end;
	__u32 nr_fds;
	__u32 flags;
};

/**
 * struct ckpt_rec_thread - one thread
 * @tid: thread id (caller's pid namespace)
 * @regs_size: bytes of NT_PRSTATUS that follow
 * @xstate_size: bytes of NT_X86_XSTATE after the registers
 * @reserved: zero
 * @sigmask: blocked signals
 * @fs_base: FS base (also in the registers; kept for readers)
 * @gs_base: GS base
 * @pending: signals pending for this thread (bit n-1 for signal n); the
 *	siginfo of each queued one is in the process's SIGNALS record
 * @sas_ss_sp: sigaltstack base
 * @sas_ss_size: sigaltstack size
 * @sas_ss_flags: sigaltstack flags (SS_AUTODISARM)
 * @rseq_len: registered rseq area length, 0 if none
 * @rseq: registered rseq area
 * @rseq_sig: rseq signature
 * @reserved2: zero
 * @clear_child_tid: set_tid_address() pointer
 * @robust_list: set_robust_list() head
 * @robust_list_len: its length
 *
 * The registers are stored ready to resume: a thread parked on its way out
 * of an interrupted restartable system call has ax = orig_ax and ip moved
 * back onto the syscall instruction; orig_ax is always -1.
 */
struct ckpt_rec_thread {
	__u32 tid;
	__u32 regs_size;
	__u32 xstate_size;
	__u32 reserved;
	__u64 sigmask;
	__u64 fs_base;
	__u64 gs_base;
	__u64 pending;
	__u64 sas_ss_sp;
	__u64 sas_ss_size;
	__u32 sas_ss_flags;
	__u32 rseq_len;
	__u64 rseq;
	__u32 rseq_sig;
	__u32 reserved2;
	__u64 clear_child_tid;
	__u64 robust_list;
	__u64 robust_list_len;
};

/* ckpt_rec_vma.flags */
#define CKPT_VMA_READ		(1U << 0)
#define CKPT_VMA_WRITE		(1U << 1)
#define CKPT_VMA_EXEC		(1U << 2)
#define CKPT_VMA_SHARED		(1U << 3)
#define CKPT_VMA_ANON		(1U << 4)	/* no file */
#define CKPT_VMA_STACK		(1U << 5)	/* grows down */
#define CKPT_VMA_HEAP		(1U << 6)	/* the brk area */
#define CKPT_VMA_VDSO		(1U << 7)	/* [vdso] or [vvar] */
#define CKPT_VMA_HUGEPAGE	(1U << 8)	/* MADV_HUGEPAGE */
#define CKPT_VMA_NOHUGEPAGE	(1U << 9)	/* MADV_NOHUGEPAGE */
#define CKPT_VMA_DONTFORK	(1U << 10)	/* MADV_DONTFORK (VM_DONTCOPY) */
#define CKPT_VMA_DONTDUMP	(1U << 11)	/* MADV_DONTDUMP */
#define CKPT_VMA_WIPEONFORK	(1U << 12)	/* MADV_WIPEONFORK */
#define CKPT_VMA_SEQUENTIAL	(1U << 13)	/* MADV_SEQUENTIAL (VM_SEQ_READ) */
#define CKPT_VMA_RANDOM		(1U << 14)	/* MADV_RANDOM (VM_RAND_READ) */
#define CKPT_VMA_MERGEABLE	(1U << 15)	/* MADV_MERGEABLE (KSM) */
#define CKPT_VMA_LOCKED		(1U << 16)	/* mlock() (VM_LOCKED) */
#define CKPT_VMA_LOCKONFAULT	(1U << 17)	/* mlock2(MLOCK_ONFAULT), with LOCKED */
#define CKPT_VMA_NORESERVE	(1U << 18)	/* MAP_NORESERVE */
#define CKPT_VMA_SYSV		(1U << 19)	/* shmat(): ino is the segment id */
#define CKPT_VMA_SYSV_RDONLY	(1U << 20)	/* shmat(SHM_RDONLY), with SYSV */

/**
 * struct ckpt_rec_vma - one mapping
 * @start: first address
 * @end: address after the last byte
 * @pgoff: file offset in pages (file-backed mappings)
 * @flags: CKPT_VMA_* bits
 * @path_len: bytes of file path following this struct; 0 if anonymous
 * @ino: inode number of the mapped file, 0 if anonymous
 * @dev: st_dev of the mapped file (new_encode_dev), 0 if anonymous
 * @nr_pages: pages of this mapping present in PAGES records
 * @size: size of the mapped file at the checkpoint, 0 if anonymous
 * @mtime_ns: its modification time (ns since the epoch), 0 if anonymous
 *
 * The flags from CKPT_VMA_HUGEPAGE on are the VmFlags of /proc/PID/smaps
 * that user space sets (madvise(), mlock(), mmap() flags). Restore creates
 * each mapping with them, as mlockall(MCL_FUTURE) creates locked ones.
 * WIPEONFORK and MERGEABLE are only ever on private mappings, WIPEONFORK
 * only on anonymous ones, LOCKONFAULT only with LOCKED, SEQUENTIAL never
 * with RANDOM, HUGEPAGE never with NOHUGEPAGE.
 *
 * A System V shared memory attachment (CKPT_VMA_SYSV, version 5) is
 * shared and names its segment: @ino is the segment's id (the kernel
 * numbers the segment's shmem inode with it), @size its size, @path
 * "/SYSV" + the key as 8 hex digits + " (deleted)", as /proc shows it.
 * The segment itself is in a SYSV_SHM record of this or an earlier
 * process; each page of it is in the image once, in the runs of the
 * first mapping of it (image order) that maps that page.
 *
 * Restore maps a file only if it is still the checkpointed one: same
 * inode and device and, unless the mapping is shared and writable (the
 * process changes the file itself), the same size and mtime.
 */
struct ckpt_rec_vma {
	__u64 start;
	__u64 end;
	__u64 pgoff;
	__u32 flags;
	__u32 path_len;
	__u64 ino;
	__u64 dev;
	__u64 nr_pages;
	__u64 size;
	__u64 mtime_ns;
};

/**
 * struct ckpt_rec_pages - a run of consecutive captured pages
 * @pid: the process the pages belong to
 * @nr_pages: pages in the run (at least 1)
 * @addr: virtual address of the first page
 */
struct ckpt_rec_pages {
	__u32 pid;
	__u32 nr_pages;
	__u64 addr;
};

/*
 * Zero bytes between struct ckpt_rec_pages and the run's page contents,
 * given @pos, the image offset right after the structure: the contents
 * start at the next multiple of CKPT_PAGE_SIZE (version 8), so a writer can
 * hand the pages to direct I/O and a reader can read them in place. The
 * record's len counts them: sizeof(struct ckpt_rec_pages) + pad +
 * nr_pages * CKPT_PAGE_SIZE.
 */
#define CKPT_PAGES_PAD(pos)	((__u64)-(__u64)(pos) & (CKPT_PAGE_SIZE - 1))

/**
 * struct ckpt_rec_trailer - commits the image
 * @magic: CKPT_TRAILER_MAGIC
 * @image_len: bytes of the image, trailer record included
 * @crc32c: crc32c of every byte before the trailer's record header
 * @reserved: zero
 */
struct ckpt_rec_trailer {
	__u64 magic;
	__u64 image_len;
	__u32 crc32c;
	__u32 reserved;
};

#define CKPT_NSIG		64
#define CKPT_RLIM_NLIMITS	16

/** struct ckpt_sigaction - one signal's disposition (SIG_DFL is 0) */
struct ckpt_sigaction {
	__u64 handler;
	__u64 flags;
	__u64 restorer;
	__u64 mask;
};

/** struct ckpt_rlimit - one resource limit (RLIM_INFINITY is ~0) */
struct ckpt_rlimit {
	__u64 cur;
	__u64 max;
};

/*
 * ckpt_rec_proc.flags: the working directory was removed; its path is the
 * one it had, without " (deleted)" (a removed directory is empty).
 */
#define CKPT_PROC_CWD_DELETED	(1U << 0)
/*
 * ckpt_rec_proc.flags: the process was stopped by job control (SIGSTOP,
 * SIGTSTP, SIGTTIN, SIGTTOU), or a group stop was under way: restore
 * stops it with SIGSTOP before any of its threads runs (version 4).
 */
#define CKPT_PROC_STOPPED	(1U << 1)

/**
 * struct ckpt_rec_proc - process-wide state
 * @uid..@fsgid: credentials, in the checkpointing caller's user namespace
 * @cap_inheritable..@cap_ambient: capability sets
 * @securebits: securebits
 * @umask: file creation mask
 * @personality: personality(2)
 * @nr_groups: supplementary group ids that follow
 * @cwd_len: bytes of the working directory path after the groups
 * @root_len: bytes of the root directory path after it
 * @exe_len: bytes of the executable's path after it
 * @flags: CKPT_PROC_* bits
 * @shared_pending: signals pending for the whole process (their siginfo
 *	is in the SIGNALS record)
 * @rlim: resource limits, indexed by RLIMIT_*
 * @sigaction: dispositions, indexed by signal number - 1
 */
struct ckpt_rec_proc {
	__u32 uid;
	__u32 euid;
	__u32 suid;
	__u32 fsuid;
	__u32 gid;
	__u32 egid;
	__u32 sgid;
	__u32 fsgid;
	__u64 cap_inheritable;
	__u64 cap_permitted;
	__u64 cap_effective;
	__u64 cap_bset;
	__u64 cap_ambient;
	__u32 securebits;
	__u32 umask;
	__u32 personality;
	__u32 nr_groups;
	__u32 cwd_len;
	__u32 root_len;
	__u32 exe_len;
	__u32 flags;
	__u64 shared_pending;
	struct ckpt_rlimit rlim[CKPT_RLIM_NLIMITS];
	struct ckpt_sigaction sigaction[CKPT_NSIG];
};

/* ckpt_rec_identity.flags */
#define CKPT_ID_SUBREAPER	(1U << 0)	/* PR_SET_CHILD_SUBREAPER */
#define CKPT_ID_THP_DISABLE	(1U << 1)	/* PR_SET_THP_DISABLE */
#define CKPT_ID_MLOCK_FUTURE	(1U << 2)	/* mlockall(MCL_FUTURE) */
#define CKPT_ID_MLOCK_ONFAULT	(1U << 3)	/* with MCL_ONFAULT */

#define CKPT_AUXV_WORDS		128	/* most __u64 words of saved auxv */

/**
 * struct ckpt_rec_identity - what a process knows about itself beyond
 *	PROC: process-wide prctl() state, the saved auxiliary vector and
 *	each thread's name and per-thread flags
 * @flags: CKPT_ID_* bits
 * @dumpable: PR_GET_DUMPABLE: 0, 1, or 2 (suid_dumpable's "root only")
 * @nr_auxv: __u64 words of auxv that follow (type/value pairs, even,
 *	ending with an AT_NULL pair), at most CKPT_AUXV_WORDS
 * @nr_threads: struct ckpt_thread_identity that follow the auxv: one per
 *	THREAD record of the process, in the same order
 * @oom_score_adj: /proc/PID/oom_score_adj, -1000 to 1000
 * @coredump_filter: /proc/PID/coredump_filter, bits 0 to 8
 * @loginuid: /proc/PID/loginuid, the audit login uid in the checkpointing
 *	caller's user namespace; CKPT_LOGINUID_UNSET if never set (version 7)
 * @cgroup_len: bytes of the process's cgroup v2 path (as /proc/PID/cgroup
 *	shows it to the checkpointing caller, starting with '/', no NUL)
 *	that follow the thread entries; 0 if it was the caller's own cgroup,
 *	which stands for the restorer's at restore (version 7)
 * @pkeys: the protection keys the process allocated (pkey_alloc()), bit N
 *	for key N, without key 0 and the kernel's execute-only key; the
 *	restore allocates them again (version 7)
 * @reserved: zero
 *
 * A process with a seccomp filter or in seccomp strict mode is refused
 * before the freeze ("seccomp filter: not supported"), so none is here;
 * nor is one in other namespaces than the caller's.
 */
struct ckpt_rec_identity {
	__u32 flags;
	__u32 dumpable;
	__u32 nr_auxv;
	__u32 nr_threads;
	__s32 oom_score_adj;
	__u32 coredump_filter;
	__u32 loginuid;
	__u32 cgroup_len;
	__u32 pkeys;
	__u32 reserved;
};

#define CKPT_LOGINUID_UNSET	0xffffffffU	/* (uid_t)-1: never set */
#define CKPT_CGROUP_PATH_MAX	4095	/* most bytes of @cgroup_len */

/* ckpt_thread_identity.flags */
#define CKPT_TID_NO_NEW_PRIVS	(1U << 0)	/* PR_SET_NO_NEW_PRIVS */
#define CKPT_TID_RESET_ON_FORK	(1U << 1)	/* SCHED_RESET_ON_FORK */
/* PR_SET_SPECULATION_CTRL, PR_SPEC_STORE_BYPASS (version 6) */
#define CKPT_TID_SSB_DISABLE	(1U << 2)	/* PR_SPEC_DISABLE */
#define CKPT_TID_SSB_FORCE	(1U << 3)	/* PR_SPEC_FORCE_DISABLE */
#define CKPT_TID_SSB_NOEXEC	(1U << 4)	/* PR_SPEC_DISABLE_NOEXEC */
/* PR_SET_SPECULATION_CTRL, PR_SPEC_INDIRECT_BRANCH (version 6) */
#define CKPT_TID_IB_DISABLE	(1U << 5)	/* PR_SPEC_DISABLE */
#define CKPT_TID_IB_FORCE	(1U << 6)	/* PR_SPEC_FORCE_DISABLE */
/* PR_SET_SPECULATION_CTRL, PR_SPEC_L1D_FLUSH: PR_SPEC_ENABLE (version 6) */
#define CKPT_TID_L1D_FLUSH	(1U << 7)
#define CKPT_TID_NOTSC		(1U << 8)	/* PR_SET_TSC PR_TSC_SIGSEGV */
#define CKPT_TID_MCE_KILL	(1U << 9)	/* PR_MCE_KILL_SET: its own */
#define CKPT_TID_MCE_EARLY	(1U << 10)	/* PR_MCE_KILL_EARLY, else LATE */
#define CKPT_TID_IO_FLUSHER	(1U << 11)	/* PR_SET_IO_FLUSHER 1 */

#define CKPT_AFFINITY_WORDS	16	/* CPUs 0 to 1023 */

/**
 * struct ckpt_thread_identity - per-thread identity
 * @tid: the thread (equals its THREAD record's tid)
 * @pdeathsig: PR_SET_PDEATHSIG signal, 0 for none
 * @flags: CKPT_TID_* bits
 * @nice: its nice value, -20 to 19 (setpriority())
 * @comm: the thread's name (PR_SET_NAME), NUL-padded
 * @policy: SCHED_OTHER (0), SCHED_FIFO (1), SCHED_RR (2), SCHED_BATCH (3)
 *	or SCHED_IDLE (5); a SCHED_DEADLINE thread, or one with a memory
 *	policy (set_mempolicy()), is refused before the freeze
 * @rt_priority: 1 to 99 for SCHED_FIFO and SCHED_RR, else 0
 * @timer_slack_ns: PR_GET_TIMERSLACK
 * @affinity: the CPUs it may run on (sched_getaffinity()), a bit per CPU,
 *	CPU n in bit n % 64 of word n / 64; at least one bit set
 * @ioprio: its I/O priority as set (ioprio_set(); class in bits 13-15,
 *	0 to 3, level in bits 0-2; class 0 follows the nice value)
 * @reserved: zero
 */
struct ckpt_thread_identity {
	__u32 tid;
	__u32 pdeathsig;
	__u32 flags;
	__s32 nice;
	char comm[16];
	__u32 policy;
	__u32 rt_priority;
	__u64 timer_slack_ns;
	__u64 affinity[CKPT_AFFINITY_WORDS];
	__u32 ioprio;
	__u32 reserved;
};

/**
 * enum ckpt_fd_type - what an open file description refers to
 * @CKPT_FD_REG: a regular file, reopened by path and checked by identity;
 *	with CKPT_FD_DELETED, an unlinked (or O_TMPFILE) file whose contents
 *	the image carries
 * @CKPT_FD_DIR: a directory; @pos is its readdir position
 * @CKPT_FD_PIPE: one end of a pipe; @dev and @ino identify the pipe
 * @CKPT_FD_TTY: a terminal (rdev and path tell which)
 * @CKPT_FD_CHR: /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom
 * @CKPT_FD_FIFO: a named FIFO, reopened by path; @dev and @ino identify it
 *	and, as for a pipe, one record carries its buffered bytes
 * @CKPT_FD_MEMFD: a memfd (memfd_create()): @path is "/memfd:" and its
 *	name, @seals its F_GET_SEALS, and one record carries its contents
 * @CKPT_FD_PATH: an O_PATH descriptor of whatever @path names (@mode
 *	says what), reopened with O_PATH and checked by identity
 * @CKPT_FD_EVENTFD: an eventfd; state in struct ckpt_fd_eventfd
 * @CKPT_FD_TIMERFD: a timerfd; state in struct ckpt_fd_timerfd
 * @CKPT_FD_SIGNALFD: a signalfd; state in struct ckpt_fd_signalfd
 * @CKPT_FD_EPOLL: an epoll instance; state in struct ckpt_fd_epoll and
 *	its registrations
 * @CKPT_FD_PIDFD: a pidfd of a process of the image (version 5); state in
 *	struct ckpt_fd_pidfd
 * @CKPT_FD_INOTIFY: an inotify instance (version 5); state in struct
 *	ckpt_fd_inotify and its watches
 * @CKPT_FD_SOCKET: a socket (version 6); state in struct ckpt_fd_socket,
 *	then its queued messages
 * @CKPT_FD_NOTICE: a checkpoint-pending notice descriptor
 *	(CKPT_CMD_NOTICE_OPEN, version 7); state in struct ckpt_fd_notice
 *
 * The descriptor objects (EVENTFD .. NOTICE) are each one open file
 * description: the descriptors of one object, in one process or several,
 * share its @file_id. They have no path (path_len 0); the first record of
 * each file id, in image order, carries the object's state as its data
 * (CKPT_FD_OBJ_STATE), the others have data_len 0. ino, dev, rdev, mode,
 * size, mtime_ns, pos, pipe_size and seals are zero.
 */
enum ckpt_fd_type {
	CKPT_FD_REG = 1,
	CKPT_FD_DIR,
	CKPT_FD_PIPE,
	CKPT_FD_TTY,
	CKPT_FD_CHR,
	CKPT_FD_FIFO,
	CKPT_FD_MEMFD,
	CKPT_FD_PATH,
	CKPT_FD_EVENTFD,
	CKPT_FD_TIMERFD,
	CKPT_FD_SIGNALFD,
	CKPT_FD_EPOLL,
	CKPT_FD_PIDFD,
	CKPT_FD_INOTIFY,
	CKPT_FD_SOCKET,
	CKPT_FD_NOTICE,
};

/* ckpt_rec_fd.flags */
#define CKPT_FD_CLOEXEC		(1U << 0)	/* FD_CLOEXEC is set */
#define CKPT_FD_DELETED		(1U << 1)	/* a regular file with no name left */
#define CKPT_FD_DATA		(1U << 2)	/* this record carries the object's bytes */
#define CKPT_FD_PIPE_DATA	CKPT_FD_DATA	/* the version-2 name */
#define CKPT_FD_OBJ_STATE	(1U << 3)	/* this record carries the object's state */
#define CKPT_FD_DEVTTY		(1U << 4)	/* a CKPT_FD_TTY opened as /dev/tty */

/*
 * Deleted files and memfds are carried whole in the image up to a limit
 * the checkpoint request sets (CKPT_A_GHOST_LIMIT), by default
 * CKPT_GHOST_LIMIT_DEFAULT, at most CKPT_GHOST_LIMIT_MAX; a larger one is
 * refused before the freeze.
 */
#define CKPT_GHOST_LIMIT_DEFAULT	(1U << 20)
#define CKPT_GHOST_LIMIT_MAX		(64U << 20)

/* ckpt_fd_eventfd.flags */
#define CKPT_EFD_SEMAPHORE	(1U << 0)	/* created with EFD_SEMAPHORE */

/**
 * struct ckpt_fd_eventfd - an eventfd's state
 * @count: its counter (at most 0xfffffffffffffffe)
 * @flags: CKPT_EFD_* bits
 * @reserved: zero
 *
 * EFD_NONBLOCK and EFD_CLOEXEC are the record's f_flags O_NONBLOCK and
 * O_CLOEXEC (the kernel keeps both in the description); whether the
 * descriptor is close-on-exec now is its CKPT_FD_CLOEXEC.
 */
struct ckpt_fd_eventfd {
	__u64 count;
	__u32 flags;
	__u32 reserved;
};

/* ckpt_fd_timerfd.settime_flags: the timerfd_settime() flags */
#define CKPT_TFD_TIMER_ABSTIME		(1U << 0)
#define CKPT_TFD_TIMER_CANCEL_ON_SET	(1U << 1)

/**
 * struct ckpt_fd_timerfd - a timerfd's state
 * @clockid: CLOCK_REALTIME (0), CLOCK_MONOTONIC (1), CLOCK_BOOTTIME (7),
 *	CLOCK_REALTIME_ALARM (8) or CLOCK_BOOTTIME_ALARM (9)
 * @settime_flags: the flags of its last timerfd_settime()
 * @ticks: expirations not yet read
 * @value_ns: time to the next expiry, 0 if disarmed
 * @interval_ns: its interval, 0 for a one-shot timer
 * @now_ns: @clockid's time at the capture, so that an absolute expiry
 *	(CKPT_TFD_TIMER_ABSTIME) is @now_ns + @value_ns
 */
struct ckpt_fd_timerfd {
	__s32 clockid;
	__u32 settime_flags;
	__u64 ticks;
	__u64 value_ns;
	__u64 interval_ns;
	__u64 now_ns;
};

/**
 * struct ckpt_fd_signalfd - a signalfd's state
 * @sigmask: the signals it reads (bit n-1 for signal n)
 *
 * SFD_NONBLOCK and SFD_CLOEXEC are the record's f_flags O_NONBLOCK and
 * O_CLOEXEC. What it reads is the
 * reading process's pending signals, which the image keeps elsewhere.
 */
struct ckpt_fd_signalfd {
	__u64 sigmask;
};

/**
 * struct ckpt_epoll_item - one registration of an epoll instance
 * @tfd: the descriptor number it was registered under (EPOLL_CTL_ADD)
 * @events: its events, EPOLLET, EPOLLONESHOT, EPOLLWAKEUP and
 *	EPOLLEXCLUSIVE included (a fired EPOLLONESHOT registration keeps only
 *	those bits, as in the kernel)
 * @data: its 64-bit data
 * @fd: a descriptor of the process carrying the state that holds the
 *	registered file at the checkpoint: @tfd itself, or another number when
 *	@tfd was closed (or reused) while the file lived on
 * @reserved: zero
 */
struct ckpt_epoll_item {
	__s32 tfd;
	__u32 events;
	__u64 data;
	__s32 fd;
	__u32 reserved;
};

/**
 * struct ckpt_fd_epoll - an epoll instance's state
 * @nr_items: struct ckpt_epoll_item that follow, in the order of the
 *	kernel's own walk (/proc fdinfo)
 * @reserved: zero
 *
 * Which registrations are ready is not kept: it follows from the restored
 * objects, as after EPOLL_CTL_ADD.
 */
struct ckpt_fd_epoll {
	__u32 nr_items;
	__u32 reserved;
};

/**
 * struct ckpt_fd_pidfd - a pidfd's state
 * @pid: the process it refers to, as the image numbers it: one of the
 *	image's processes or zombies (a pidfd of any other process is
 *	refused before the freeze)
 * @reserved: zero
 *
 * PIDFD_NONBLOCK is the record's f_flags O_NONBLOCK.
 */
struct ckpt_fd_pidfd {
	__u32 pid;
	__u32 reserved;
};

/* ckpt_fd_notice.flags */
#define CKPT_NOTICE_DONE_OWED	(1U << 0)	/* told PENDING by this freeze */

/**
 * struct ckpt_fd_notice - a notice descriptor's state
 * @flags: CKPT_NOTICE_* bits: with CKPT_NOTICE_DONE_OWED the restored
 *	descriptor has the CKPT_NOTICE_DONE of the freeze the image was
 *	taken in waiting, as the original got it after the freeze
 * @reserved: zero
 */
struct ckpt_fd_notice {
	__u32 flags;
	__u32 reserved;
};

/* The largest file handle an inotify watch names (MAX_HANDLE_SZ). */
#define CKPT_HANDLE_MAX		128

/**
 * struct ckpt_inotify_watch - one watch of an inotify instance
 * @wd: its watch descriptor
 * @mask: its mask as inotify_add_watch() takes it (events, IN_ONESHOT,
 *	IN_EXCL_UNLINK)
 * @ino: the watched inode's number
 * @dev: its filesystem's device (new_encode_dev(), as stat() shows it)
 * @handle_type: its file handle's type (name_to_handle_at())
 * @handle_bytes: bytes of @handle used, at most CKPT_HANDLE_MAX
 * @reserved: zero
 * @handle: the file handle that finds the inode again (open_by_handle_at())
 */
struct ckpt_inotify_watch {
	__s32 wd;
	__u32 mask;
	__u64 ino;
	__u32 dev;
	__s32 handle_type;
	__u32 handle_bytes;
	__u32 reserved;
	__u8 handle[CKPT_HANDLE_MAX];
};

/**
 * struct ckpt_fd_inotify - an inotify instance's state
 * @nr_watches: struct ckpt_inotify_watch that follow, in increasing @wd
 * @next_wd: the watch descriptor its next watch would get
 *
 * Events queued at the checkpoint are not carried: an instance with
 * queued events is refused before the freeze.
 */
struct ckpt_fd_inotify {
	__u32 nr_watches;
	__u32 next_wd;
};

/* ckpt_fd_socket.state */
#define CKPT_SK_UNCONNECTED	1	/* new or bound, not listening */
#define CKPT_SK_LISTEN		2	/* listen() was called */
#define CKPT_SK_CONNECTED	3	/* connected (datagram: connect()) */

/* ckpt_fd_socket.flags */
#define CKPT_SK_BOUND		(1U << 0)	/* @addr is its own address */
#define CKPT_SK_PEER_GONE	(1U << 1)	/* its peer was closed */
#define CKPT_SK_SHUT_RD		(1U << 2)	/* no more receptions */
#define CKPT_SK_SHUT_WR		(1U << 3)	/* no more transmissions */
#define CKPT_SK_PASSCRED	(1U << 4)	/* SO_PASSCRED */
#define CKPT_SK_REUSEADDR	(1U << 5)	/* SO_REUSEADDR */
#define CKPT_SK_REUSEPORT	(1U << 6)	/* SO_REUSEPORT */
#define CKPT_SK_KEEPALIVE	(1U << 7)	/* SO_KEEPALIVE */
#define CKPT_SK_BROADCAST	(1U << 8)	/* SO_BROADCAST */
#define CKPT_SK_OOBINLINE	(1U << 9)	/* SO_OOBINLINE */
#define CKPT_SK_SNDBUF		(1U << 10)	/* SO_SNDBUF was set: @sndbuf */
#define CKPT_SK_RCVBUF		(1U << 11)	/* SO_RCVBUF was set: @rcvbuf */
#define CKPT_SK_LINGER		(1U << 12)	/* SO_LINGER on, @linger_s */
#define CKPT_SK_NODELAY		(1U << 13)	/* TCP_NODELAY */
#define CKPT_SK_V6ONLY		(1U << 14)	/* IPV6_V6ONLY */
#define CKPT_SK_PEERCRED	(1U << 15)	/* SO_PEERCRED: @peer_pid.. */
#define CKPT_SK_PATH_GONE	(1U << 16)	/* its path was removed */
#define CKPT_SK_ERR_RESET	(1U << 17)	/* SO_ERROR: ECONNRESET */
/* An IP socket's own address came from connect(): only its port is bound. */
#define CKPT_SK_ADDR_AUTO	(1U << 18)
/* An established TCP connection: struct ckpt_sock_tcp follows the state. */
#define CKPT_SK_TCP_REPAIR	(1U << 19)
/*
 * With CKPT_SK_TCP_REPAIR: its peer is not a socket of the image (another
 * host, or a process outside the group; CKPT_A_TCP_ESTABLISHED). @peer_ino
 * is 0; the restore ends the module's hold of the connection
 * (CKPT_CMD_TCP_RELEASE) before it leaves repair mode.
 */
#define CKPT_SK_TCP_OUTSIDE	(1U << 20)
#define CKPT_SK_FLAGS_KNOWN	((1U << 21) - 1)

/**
 * struct ckpt_sock_msg - one message queued on a socket (version 6)
 * @len: bytes that follow this header
 * @queue: CKPT_SKQ_RECV (waiting to be read by this socket) or
 *	CKPT_SKQ_SEND (written, not yet acknowledged: TCP)
 * @reserved: zero
 * @sender_ino: a Unix datagram's sender, by its socket's inode number (0:
 *	the connected peer)
 *
 * A stream's bytes may come as several messages; a datagram or
 * SOCK_SEQPACKET message is one.
 */
struct ckpt_sock_msg {
	__u32 len;
	__u16 queue;
	__u16 reserved;
	__u64 sender_ino;
};

#define CKPT_SKQ_RECV	0
#define CKPT_SKQ_SEND	1

/**
 * struct ckpt_fd_socket - a socket's state (version 6)
 * @family: AF_UNIX, AF_INET or AF_INET6
 * @type: SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET
 * @protocol: as socket() took it (IPPROTO_TCP, IPPROTO_UDP, or 0)
 * @state: CKPT_SK_UNCONNECTED, CKPT_SK_LISTEN or CKPT_SK_CONNECTED
 * @flags: CKPT_SK_* bits
 * @backlog: a listening socket's listen() backlog
 * @ino: the socket's inode number ("socket:[ino]" in /proc/PID/fd), by
 *	which other sockets of the image name it
 * @peer_ino: a Unix socket's peer, or an established TCP connection's
 *	other end (a socket of the image), by its inode number (0: none,
 *	CKPT_SK_PEER_GONE, or CKPT_SK_TCP_OUTSIDE)
 * @peer_pid: SO_PEERCRED's pid (the checkpointer's pid namespace): the
 *	process that connected, listened or made the pair, a process of the
 *	image; with @peer_uid and @peer_gid (SO_PEERCRED's, the
 *	checkpointer's user namespace), when CKPT_SK_PEERCRED
 * @peer_uid: see @peer_pid
 * @peer_gid: see @peer_pid
 * @sndbuf: SO_SNDBUF as getsockopt() reports it, with CKPT_SK_SNDBUF
 * @rcvbuf: SO_RCVBUF as getsockopt() reports it, with CKPT_SK_RCVBUF
 * @rcvlowat: SO_RCVLOWAT
 * @mark: SO_MARK
 * @priority: SO_PRIORITY
 * @linger_s: SO_LINGER's seconds, with CKPT_SK_LINGER
 * @path_mode: a Unix socket bound to a path: its file's mode bits
 * @path_uid: and its owner (the checkpointer's user namespace)
 * @path_gid: and its group
 * @rcvtimeo_us: SO_RCVTIMEO in microseconds (0: none)
 * @sndtimeo_us: SO_SNDTIMEO in microseconds (0: none)
 * @keepidle: TCP_KEEPIDLE (0 for other sockets)
 * @keepintvl: TCP_KEEPINTVL
 * @keepcnt: TCP_KEEPCNT
 * @addr_len: bytes of @addr that hold its address (getsockname())
 * @peer_addr_len: bytes of @peer_addr that hold its peer's (getpeername())
 * @nr_msgs: struct ckpt_sock_msg, each with its bytes, that follow
 *	(after struct ckpt_sock_tcp with CKPT_SK_TCP_REPAIR)
 * @addr: its address as getsockname() reports it
 * @peer_addr: its peer's as getpeername() reports it
 */
struct ckpt_fd_socket {
	__u16 family;
	__u16 type;
	__u16 protocol;
	__u16 state;
	__u32 flags;
	__u32 backlog;
	__u64 ino;
	__u64 peer_ino;
	__u32 peer_pid;
	__u32 peer_uid;
	__u32 peer_gid;
	__u32 sndbuf;
	__u32 rcvbuf;
	__s32 rcvlowat;
	__u32 mark;
	__u32 priority;
	__u32 linger_s;
	__u32 path_mode;
	__u32 path_uid;
	__u32 path_gid;
	__u64 rcvtimeo_us;
	__u64 sndtimeo_us;
	__u32 keepidle;
	__u32 keepintvl;
	__u32 keepcnt;
	__u32 addr_len;
	__u32 peer_addr_len;
	__u32 nr_msgs;
	__u8 addr[128];
	__u8 peer_addr[128];
};

/* ckpt_sock_tcp.opts: what the handshake agreed */
#define CKPT_TCP_WSCALE		(1U << 0)	/* window scaling */
#define CKPT_TCP_SACK		(1U << 1)	/* selective acknowledgements */
#define CKPT_TCP_TSTAMP		(1U << 2)	/* timestamps */
#define CKPT_TCP_OPTS_KNOWN	((1U << 3) - 1)

/**
 * struct ckpt_sock_tcp - an established TCP connection (version 6), after
 *	struct ckpt_fd_socket when CKPT_SK_TCP_REPAIR is set
 * @snd_una: the sequence number of the first byte of its send queue (the
 *	oldest unacknowledged byte)
 * @write_seq: one past the last byte written to it; the send queue, in
 *	CKPT_SKQ_SEND messages, holds write_seq - snd_una bytes (sent and
 *	not acknowledged, then not sent yet)
 * @copied_seq: the first byte the socket has not read
 * @rcv_nxt: one past the last byte received in order; the receive queue,
 *	in CKPT_SKQ_RECV messages, holds rcv_nxt - copied_seq bytes
 * @mss_clamp: the largest segment the peer takes (its MSS option)
 * @opts: CKPT_TCP_* bits
 * @snd_wscale: the peer's window scale, with CKPT_TCP_WSCALE
 * @rcv_wscale: its own window scale, with CKPT_TCP_WSCALE
 * @reserved: zero
 * @timestamp: its TCP timestamp clock (TCP_TIMESTAMP) at the capture
 * @snd_wl1: as TCP_REPAIR_WINDOW reports them: the segment that last
 *	updated the send window
 * @snd_wnd: the peer's receive window
 * @max_window: the largest window the peer offered
 * @rcv_wnd: its own receive window
 * @rcv_wup: rcv_nxt at its last window update
 *
 * The restore makes the connection again in TCP repair mode (TCP_REPAIR,
 * TCP_QUEUE_SEQ, TCP_REPAIR_OPTIONS, TCP_REPAIR_WINDOW, TCP_TIMESTAMP):
 * both ends are sockets of the image (peer_ino), so nothing is lost.
 */
struct ckpt_sock_tcp {
	__u32 snd_una;
	__u32 write_seq;
	__u32 copied_seq;
	__u32 rcv_nxt;
	__u32 mss_clamp;
	__u32 opts;
	__u8 snd_wscale;
	__u8 rcv_wscale;
	__u16 reserved;
	__u32 timestamp;
	__u32 snd_wl1;
	__u32 snd_wnd;
	__u32 max_window;
	__u32 rcv_wnd;
	__u32 rcv_wup;
};

/**
 * struct ckpt_rec_fd - one file descriptor
 * @fd: its number
 * @type: enum ckpt_fd_type
 * @flags: CKPT_FD_* bits
 * @f_flags: the description's status flags as F_GETFL reports them
 *	(O_ACCMODE, O_APPEND, O_NONBLOCK, O_DIRECT, O_NOATIME, O_DSYNC,
 *	__O_SYNC, O_PATH, O_LARGEFILE, O_DIRECTORY, O_NOFOLLOW, __O_TMPFILE;
 *	and O_CLOEXEC for a descriptor object created with its *_CLOEXEC
 *	flag, which the kernel keeps in the description)
 * @pos: file position (a directory's readdir position)
 * @ino: inode number (for a pipe: the pipe's identity; 0 for a
 *	descriptor object)
 * @dev: st_dev (new_encode_dev)
 * @rdev: st_rdev of a device, else 0
 * @mode: st_mode
 * @size: file size
 * @mtime_ns: modification time, ns since the epoch
 * @path_len: bytes of path following this struct (0 for a pipe or a
 *	descriptor object); a deleted file's path is the one it had, without
 *	" (deleted)"
 * @data_len: bytes of data after the path, on a record with CKPT_FD_DATA:
 *	the bytes buffered in a pipe or FIFO, or the whole contents (@size
 *	bytes) of a deleted file or a memfd; on a record with
 *	CKPT_FD_OBJ_STATE: a descriptor object's state
 * @pipe_size: a pipe's or FIFO's capacity in bytes (F_GETPIPE_SZ)
 * @file_id: the open file description (struct file), from 1: descriptors
 *	that share one description (dup(), fork(), SCM_RIGHTS) have the same
 *	id, in one process or several; ids are numbered in order of first
 *	appearance in the image. A descriptor object (eventfd, timerfd,
 *	signalfd, epoll) is one description, so its id is its identity.
 * @seals: a memfd's seals (F_GET_SEALS), else 0
 * @owner_type: CKPT_OWNER_* (version 5): whom the description signals
 *	(F_SETOWN_EX), CKPT_OWNER_NONE if nobody
 * @owner_sig: the signal it sends (F_SETSIG), 0 for SIGIO
 * @owner: the owner's pid, thread id or process group id, a process of
 *	the image (0 with CKPT_OWNER_NONE)
 * @tty_rdev: with CKPT_FD_DEVTTY (version 6), the terminal this
 *	description of /dev/tty refers to (new_encode_dev: the controlling
 *	terminal of the process that opened it); else 0
 *
 * Records of one @file_id agree on every field but @fd, @data_len,
 * CKPT_FD_CLOEXEC, CKPT_FD_DATA and CKPT_FD_OBJ_STATE. One object (a pipe
 * or FIFO; a deleted file or memfd, by @dev and @ino) has its bytes on
 * exactly one record, its first in the image; a pipe's or FIFO's may be
 * empty. A descriptor object has its state on exactly one record, the
 * first of its @file_id.
 */
struct ckpt_rec_fd {
	__s32 fd;
	__u32 type;
	__u32 flags;
	__u32 f_flags;
	__u64 pos;
	__u64 ino;
	__u64 dev;
	__u32 rdev;
	__u32 mode;
	__u64 size;
	__u64 mtime_ns;
	__u32 path_len;
	__u32 data_len;
	__u32 pipe_size;
	__u32 file_id;
	__u32 seals;
	__u16 owner_type;
	__u16 owner_sig;
	__u32 owner;
	__u32 tty_rdev;
};

/* ckpt_rec_fd.owner_type: F_SETOWN_EX's F_OWNER_* kinds */
#define CKPT_OWNER_NONE		0
#define CKPT_OWNER_TID		1	/* a thread (F_OWNER_TID) */
#define CKPT_OWNER_PID		2	/* a process (F_OWNER_PID, F_SETOWN > 0) */
#define CKPT_OWNER_PGRP		3	/* a process group (F_OWNER_PGRP, F_SETOWN < 0) */

/* Indices of ckpt_rec_timers.itimer: setitimer()'s ITIMER_* numbers. */
#define CKPT_ITIMER_REAL	0
#define CKPT_ITIMER_VIRTUAL	1
#define CKPT_ITIMER_PROF	2
#define CKPT_NR_ITIMERS		3

/*
 * Bounds a checkpoint keeps to: timers per process, and the id counter
 * (restore re-creates every id below it once, see ckpt_rec_timers).
 */
#define CKPT_MAX_POSIX_TIMERS	4096
#define CKPT_MAX_TIMER_ID	(1U << 20)

/**
 * struct ckpt_itimer - one setitimer() timer (alarm() is ITIMER_REAL)
 * @value_ns: time left until it expires; 0 if disarmed. REAL counts
 *	CLOCK_MONOTONIC time, VIRTUAL the process's user CPU time, PROF its
 *	user and system CPU time.
 * @interval_ns: reload value; 0 for a one-shot timer
 */
struct ckpt_itimer {
	__u64 value_ns;
	__u64 interval_ns;
};

/* ckpt_posix_timer.flags */
#define CKPT_TIMER_ABSTIME	(1U << 0)	/* value_ns is an absolute time */
#define CKPT_TIMER_PENDING	(1U << 1)	/* its signal is queued, undelivered */

/**
 * struct ckpt_posix_timer - one timer_create() timer
 * @id: its timer id
 * @clock: the clock id it was created with, as the kernel keeps it: a CPU
 *	clock (negative) encodes a pid, 0 meaning the creating thread or its
 *	process
 * @notify: sigev_notify: SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD or
 *	SIGEV_THREAD_ID (SIGEV_SIGNAL | SIGEV_THREAD_ID)
 * @signo: sigev_signo (kept as given for SIGEV_NONE, which sends nothing)
 * @sigval: sigev_value, delivered in the siginfo
 * @notify_tid: SIGEV_THREAD_ID: the thread signalled; else 0
 * @clock_tid: a CPU clock's owner: the thread (thread clock) or the
 *	process (process clock); else 0
 * @flags: CKPT_TIMER_* bits
 * @pending_overrun: with CKPT_TIMER_PENDING, the queued siginfo's si_overrun
 * @value_ns: time left until it expires in its clock (or, with
 *	CKPT_TIMER_ABSTIME, the CLOCK_REALTIME or CLOCK_TAI time it expires
 *	at); 0 if disarmed
 * @interval_ns: reload interval; 0 for a one-shot timer
 * @overrun: expirations not yet reported (it_overrun), for readers
 * @overrun_last: what timer_getoverrun() returned (it_overrun_last)
 *
 * An absolute timer on CLOCK_REALTIME or CLOCK_TAI (one the kernel keeps
 * on that clock's base) keeps its expiry time; any other keeps the time it
 * had left, as a relative timer.
 */
struct ckpt_posix_timer {
	__s32 id;
	__s32 clock;
	__s32 notify;
	__s32 signo;
	__u64 sigval;
	__u32 notify_tid;
	__u32 clock_tid;
	__u32 flags;
	__s32 pending_overrun;
	__u64 value_ns;
	__u64 interval_ns;
	__s64 overrun;
	__s64 overrun_last;
};

/**
 * struct ckpt_rec_timers - the timers of one process
 * @itimer: setitimer() timers, indexed by CKPT_ITIMER_*
 * @nr_posix: struct ckpt_posix_timer that follow, in ascending id order
 * @next_id: the process's timer id counter: the id the next
 *	timer_create() tries first; above every id that follows and at most
 *	CKPT_MAX_TIMER_ID
 *
 * Restore re-creates the timers with their ids (and the counter) by
 * creating and deleting one timer for every id between them.
 */
struct ckpt_rec_timers {
	struct ckpt_itimer itimer[CKPT_NR_ITIMERS];
	__u32 nr_posix;
	__u32 next_id;
};

/* Bytes of a siginfo the kernel keeps (struct kernel_siginfo, x86-64). */
#define CKPT_SIGINFO_SIZE	48
/* Most queued signals one process may carry (SIGNALS entries). */
#define CKPT_MAX_SIGINFO	65536

/**
 * struct ckpt_siginfo - one queued signal
 * @tid: the thread whose queue holds it, or 0 for the process-wide queue
 * @reserved: zero
 * @info: the first CKPT_SIGINFO_SIZE bytes of the siginfo_t a
 *	sigwaitinfo() would return (si_signo, si_errno, si_code and the
 *	union as the kernel fills it); the rest of a siginfo_t is zero
 */
struct ckpt_siginfo {
	__u32 tid;
	__u32 reserved;
	__u8 info[CKPT_SIGINFO_SIZE];
};

/**
 * struct ckpt_rec_signals - the queued signals of one process
 * @nr_siginfo: struct ckpt_siginfo that follow: those of the process-wide
 *	queue first (tid 0), then each thread's, in THREAD record order; each
 *	queue in the kernel's order (a signal number's instances oldest
 *	first)
 * @reserved: zero
 *
 * Every signal set in PROC.shared_pending or a THREAD's pending has its
 * queued instances here: a standard signal (1-31) at most one, a
 * real-time one (32-64) one per sigqueue() or kernel send. A signal may
 * be pending with no entry: the kernel queued it without its siginfo
 * (RLIMIT_SIGPENDING was reached, or SIGKILL and SIGSTOP); restore sends
 * it as kill() or tgkill() would. A POSIX timer's own queued signal is
 * not here: TIMERS carries it (CKPT_TIMER_PENDING).
 */
struct ckpt_rec_signals {
	__u32 nr_siginfo;
	__u32 reserved;
};

/**
 * struct ckpt_rec_zombie - a process that exited and was not waited for
 * @pid: its pid
 * @ppid: its parent, a process of the image
 * @pgid: its process group
 * @sid: its session (its parent's)
 * @status: what wait4() would report: (exit code << 8), or the
 *	terminating signal, with 0x80 if it dumped core
 * @exit_signal: the signal its death sent its parent (only SIGCHLD is
 *	checkpointed)
 * @uid..@fsgid: its credentials, in the checkpointing caller's user
 *	namespace (waitid() reports the real uid as si_uid)
 * @comm: its command name, NUL-padded
 *
 * Restore makes a process with this pid, child of @ppid, which exits with
 * @status before any process of the image runs. The core-dump bit is not
 * reproduced (Documentation/state.rst).
 */
struct ckpt_rec_zombie {
	__u32 pid;
	__u32 ppid;
	__u32 pgid;
	__u32 sid;
	__u32 status;
	__u32 exit_signal;
	__u32 uid;
	__u32 euid;
	__u32 suid;
	__u32 fsuid;
	__u32 gid;
	__u32 egid;
	__u32 sgid;
	__u32 fsgid;
	char comm[16];
};

/**
 * enum ckpt_lock_kind - how a file lock was taken, and so who owns it
 * @CKPT_LOCK_FLOCK: flock(); owned by the open file description @file_id
 *	(every descriptor of it, in every process, shares the lock); the
 *	whole file
 * @CKPT_LOCK_POSIX: a POSIX record lock (fcntl F_SETLK, lockf()); owned
 *	by the process whose LOCKS record holds it, taken through the open
 *	file description @file_id, one of the process's own
 * @CKPT_LOCK_OFD: an open file description lock (fcntl F_OFD_SETLK);
 *	owned by the open file description @file_id
 */
enum ckpt_lock_kind {
	CKPT_LOCK_FLOCK = 1,
	CKPT_LOCK_POSIX,
	CKPT_LOCK_OFD,
};

/* ckpt_file_lock.type */
#define CKPT_LOCK_READ		1	/* shared: LOCK_SH, F_RDLCK */
#define CKPT_LOCK_WRITE		2	/* exclusive: LOCK_EX, F_WRLCK */

/* ckpt_file_lock.end of a lock that runs to the end of the file (l_len 0) */
#define CKPT_LOCK_EOF		0x7fffffffffffffffULL

/*
 * Most locks one LOCKS record holds; a process holding more is refused
 * inside the freeze.
 */
#define CKPT_MAX_LOCKS		65536

/**
 * struct ckpt_file_lock - one file lock the group holds
 * @file_id: the open file description it was taken through (an FD
 *	record's file_id): the owner of a FLOCK or OFD lock
 * @kind: enum ckpt_lock_kind
 * @type: CKPT_LOCK_READ or CKPT_LOCK_WRITE
 * @pid: the process that took it, in the checkpointing caller's pid
 *	namespace, as /proc/locks shows it: for POSIX the owner (the pid of
 *	the process whose record holds it); for FLOCK the process that
 *	called flock(), 0 if it is not visible there; 0 for OFD (which
 *	/proc/locks shows as -1)
 * @start: first byte locked (0 for FLOCK)
 * @end: last byte locked, CKPT_LOCK_EOF for a lock to the end of the
 *	file (FLOCK always)
 */
struct ckpt_file_lock {
	__u32 file_id;
	__u32 kind;
	__u32 type;
	__u32 pid;
	__u64 start;
	__u64 end;
};

/**
 * struct ckpt_rec_locks - the file locks of one process
 * @nr_locks: struct ckpt_file_lock that follow, at most CKPT_MAX_LOCKS
 * @reserved: zero
 *
 * A process's LOCKS record holds the POSIX locks it owns, and the FLOCK and
 * OFD locks of the open file descriptions whose file id first appears in
 * its FD records (each description's locks are in the image once, however
 * many processes share it). Every lock's file_id is one of the process's
 * FD records'. At most one FLOCK per file id; the locks of one kind
 * through one file id follow each other in ascending order of start and
 * never overlap (the kernel keeps one owner's locks so, merged); all of
 * them coexisted, so restore takes them in any order. Leases are refused before the freeze, as are
 * locks on files restore does not reopen as the same file (terminals,
 * descriptor objects) or whose file system keeps its own locks.
 */
struct ckpt_rec_locks {
	__u32 nr_locks;
	__u32 reserved;
};

/* ckpt_sysv_seg.flags */
#define CKPT_SHM_DEST		(1U << 0)	/* IPC_RMID done, still attached */
#define CKPT_SHM_LOCKED		(1U << 1)	/* SHM_LOCK */
#define CKPT_SHM_NORESERVE	(1U << 2)	/* created with SHM_NORESERVE */

/*
 * Most segments one SYSV_SHM record holds (the kernel's default shmmni is
 * 4096 per IPC namespace).
 */
#define CKPT_MAX_SYSV_SEGS	32768

/**
 * struct ckpt_sysv_seg - one System V shared memory segment the group has
 *	attached
 * @key: its key (IPC_PRIVATE, 0, for a private or removed segment)
 * @shmid: its id, as shmget() returned it; at least 0
 * @mode: its permission bits (shm_perm.mode & 0777)
 * @flags: CKPT_SHM_* bits
 * @uid: owner uid (shm_perm.uid), in the checkpointing caller's user
 *	namespace
 * @gid: owner gid
 * @cuid: creator uid
 * @cgid: creator gid
 * @size: its size in bytes (shm_segsz), at least 1
 *
 * Creation, attach and detach times and pids are not kept.
 */
struct ckpt_sysv_seg {
	__s32 key;
	__s32 shmid;
	__u32 mode;
	__u32 flags;
	__u32 uid;
	__u32 gid;
	__u32 cuid;
	__u32 cgid;
	__u64 size;
};

/**
 * struct ckpt_rec_sysv_shm - System V shared memory segments (version 5)
 * @nr_segs: struct ckpt_sysv_seg that follow, at most CKPT_MAX_SYSV_SEGS
 * @reserved: zero
 *
 * Every process has one SYSV_SHM record, after its LOCKS record. It holds
 * the segments that the process's mappings (CKPT_VMA_SYSV) are the first
 * in the image to attach, in the order of those mappings: each segment
 * is in the image once, whatever the processes attaching it. Segments of
 * the IPC namespace no process of the group has attached are not the
 * group's state and are not recorded.
 */
struct ckpt_rec_sysv_shm {
	__u32 nr_segs;
	__u32 reserved;
};

/* ckpt_rec_tty.flags */
#define CKPT_TTY_CTTY		(1U << 0)	/* it has a controlling terminal */

/* Control characters of a terminal's settings (the kernel's NCCS, x86). */
#define CKPT_TTY_NCCS		19

/**
 * struct ckpt_tty - the settings of one terminal
 * @rdev: the terminal, as the FD records of its descriptors name it
 *	(their @rdev), or for a controlling terminal no descriptor names
 *	so, its device number (new_encode_dev)
 * @reserved: zero
 * @iflag: input modes (c_iflag of struct termios2)
 * @oflag: output modes
 * @cflag: control modes
 * @lflag: local modes
 * @line: line discipline
 * @cc: control characters (VINTR ... VEOL2, VMIN and VTIME included)
 * @ispeed: input speed in baud
 * @ospeed: output speed in baud
 * @rows: window size (TIOCGWINSZ): rows
 * @cols: columns
 * @xpixel: width in pixels
 * @ypixel: height in pixels
 * @reserved2: zero
 *
 * What TCGETS2 and TIOCGWINSZ report on a descriptor of the terminal,
 * read at the freeze; restore sets them with TCSETS2 and TIOCSWINSZ.
 */
struct ckpt_tty {
	__u32 rdev;
	__u32 reserved;
	__u32 iflag;
	__u32 oflag;
	__u32 cflag;
	__u32 lflag;
	__u8 line;
	__u8 cc[CKPT_TTY_NCCS];
	__u32 ispeed;
	__u32 ospeed;
	__u16 rows;
	__u16 cols;
	__u16 xpixel;
	__u16 ypixel;
	__u32 reserved2;
};

/**
 * struct ckpt_rec_tty - the terminals of one process (version 5)
 * @flags: CKPT_TTY_* bits
 * @ctty_rdev: with CKPT_TTY_CTTY, its controlling terminal's device
 *	number (new_encode_dev; what /proc/PID/stat shows as tty_nr); else 0
 * @fg_pgrp: with CKPT_TTY_CTTY, the terminal's foreground process group
 *	(tcgetpgrp(), /proc/PID/stat tpgid), 0 if it has none or it is not
 *	in the checkpointing caller's pid namespace; else 0
 * @nr_ttys: struct ckpt_tty that follow
 *
 * Each terminal the group's descriptors name (by their @rdev), and each
 * controlling terminal, has its settings in the image once: in the TTY
 * record of the first process, in image order, whose FD records or
 * controlling terminal name it, in ascending @rdev order. A session
 * leader's controlling terminal is one of the image's descriptions (the
 * checkpoint refuses one that its own descriptors do not hold), which
 * restore makes the session's again (TIOCSCTTY) before the leader makes
 * its children.
 */
struct ckpt_rec_tty {
	__u32 flags;
	__u32 ctty_rdev;
	__u32 fg_pgrp;
	__u32 nr_ttys;
};

/**
 * struct ckpt_rec_parent - the generation an incremental image builds on
 * @generation: the parent's generation, in the same area, below this
 *	image's
 * @created_ns: the parent's header created_ns
 * @image_len: the parent's trailer image_len
 * @crc32c: the parent's trailer crc32c
 * @reserved: zero
 *
 * Only in an area: the record follows the image header directly, so a
 * reader of an area's slots finds each generation's parent in its first
 * 4096 bytes. The parent may itself be incremental: restore composes the
 * chain down to a full image, and refuses it (naming the generation) if
 * any member is missing from the area or differs from what its child
 * names. The area never overwrites or drops a generation that a newer
 * committed one depends on (Documentation/incremental.rst).
 */
struct ckpt_rec_parent {
	__u64 generation;
	__u64 created_ns;
	__u64 image_len;
	__u32 crc32c;
	__u32 reserved;
};

/**
 * struct ckpt_base_run - consecutive pages taken from the parent
 * @addr: virtual address of the first page
 * @nr_pages: pages in the run (at least 1)
 */
struct ckpt_base_run {
	__u64 addr;
	__u64 nr_pages;
};

/**
 * struct ckpt_rec_base - the pages of a process the parent holds
 * @nr_runs: struct ckpt_base_run that follow
 * @reserved: zero
 *
 * Each run's pages are, unchanged since the parent's freeze, the pages of
 * the process with the same pid at the same addresses in the parent's
 * composed image: the parent (or its own parent, and so on) must hold
 * every one of them. The runs are in ascending address order, do not
 * overlap each other or this image's PAGES runs of the process, and each
 * lies within one private mapping (VMA record) of it. The process's
 * memory is its PAGES runs and these; TASK and VMA nr_pages count only
 * the pages of PAGES runs. Everything else of the process (its records
 * above) is always written in full.
 */
struct ckpt_rec_base {
	__u32 nr_runs;
	__u32 reserved;
};

/**
 * struct ckpt_rec_forked - the pages a process shares with its parent
 * @nr_runs: struct ckpt_base_run that follow (at least 1)
 * @reserved: zero
 *
 * After fork() a parent and its child map the same anonymous pages until
 * one of them writes to one (copy on write). Each run's pages are, at the
 * checkpoint, the very pages the process's parent (the TASK record whose
 * pid is this one's ppid, which must be in the image) maps at the same
 * addresses: their bytes are in the image once, in the parent's PAGES
 * runs or, for pages the parent shares with its own parent in turn, in
 * that ancestor's. The runs are in ascending address order, do not
 * overlap each other or the process's PAGES runs, and each lies within
 * one private mapping of the process and one of its parent. TASK and VMA
 * nr_pages count them. Present (after the process's other records) iff
 * its TASK record has CKPT_TASK_FORKED.
 */
struct ckpt_rec_forked {
	__u32 nr_runs;
	__u32 reserved;
};

/* ckpt_touched_run.flags */
#define CKPT_TOUCHED_WRITTEN	0x1	/* written since the previous checkpoint */
#define CKPT_TOUCHED_ACCESSED	0x2	/* its accessed (young) bit was set */
#define CKPT_TOUCHED_F_ALL	0x3

/**
 * struct ckpt_touched_run - consecutive pages touched alike
 * @addr: virtual address of the first page
 * @nr_pages: pages in the run (at least 1)
 * @flags: CKPT_TOUCHED_* bits, at least one
 */
struct ckpt_touched_run {
	__u64 addr;
	__u32 nr_pages;
	__u32 flags;
};

/**
 * struct ckpt_rec_touched - how recently a process's pages were touched
 * @nr_runs: struct ckpt_touched_run that follow
 * @reserved: zero
 *
 * What the freeze's page walk saw in the page table entry of each page
 * of the process's PAGES runs (version 11): CKPT_TOUCHED_WRITTEN if its
 * soft-dirty bit was set, i.e. the page was written (or first mapped)
 * since the previous checkpoint of the process, or ever for the first;
 * CKPT_TOUCHED_ACCESSED if its accessed bit was set, i.e. it was read or
 * written since reclaim last cleared that bit (the module reads it and
 * never clears it). A page of a PAGES run without a TOUCHED run had
 * neither. The runs are in ascending address order, do not overlap,
 * each lies within one mapping and covers only pages of PAGES runs.
 * It is a hint: a lazy restore prefetches written pages first, then
 * accessed ones, then the rest; nothing else reads it.
 */
struct ckpt_rec_touched {
	__u32 nr_runs;
	__u32 reserved;
};

/*
 * Which pages may come late (CKPT_REC_LATE): those of a private anonymous
 * mapping with none of CKPT_LATE_VMA_NOT flags and more than
 * CKPT_LATE_MIN_PAGES pages in PAGES runs, except those within
 * CKPT_LATE_NEAR_IP pages of a thread's instruction pointer or
 * CKPT_LATE_NEAR_SP pages of its stack pointer (either way). Everything
 * else a process needs to run comes before them.
 */
#define CKPT_LATE_VMA_NOT	(CKPT_VMA_SHARED | CKPT_VMA_STACK | CKPT_VMA_VDSO | \
				 CKPT_VMA_LOCKED | CKPT_VMA_HUGEPAGE | \
				 CKPT_VMA_WIPEONFORK | CKPT_VMA_SYSV)
#define CKPT_LATE_MIN_PAGES	16
#define CKPT_LATE_NEAR_IP	2
#define CKPT_LATE_NEAR_SP	16

/**
 * struct ckpt_rec_late - a process's page runs that come last
 * @nr_runs: struct ckpt_base_run that follow (0 or more)
 * @reserved: zero
 *
 * Since version 12 the page runs come in two sweeps: first every
 * process's runs that are not listed in its LATE record (processes in
 * TASK order, each one's runs in ascending address order), then every
 * listed run, as listed (processes in TASK order again). Each listed run
 * is exactly one PAGES record (same address and page count), lies within
 * one mapping and holds only pages that may come late (CKPT_LATE_*
 * above); the list is in ascending address order and does not overlap
 * the process's other runs. So a reader knows, before any page data,
 * where each late run's contents will be (each PAGES record's padding
 * depends only on where it starts), and a lazy restore of a stream can
 * start the processes once the first sweep has arrived. A group whose
 * processes share pages since fork() (CKPT_TASK_FORKED) and an
 * incremental image have no late runs.
 */
struct ckpt_rec_late {
	__u32 nr_runs;
	__u32 reserved;
};

#define CKPT_AREA_MAGIC		0x4145524154504b43ULL	/* "CKPTAREA" */
#define CKPT_AREA_VERSION	2
#define CKPT_AREA_SB_SIZE	4096
#define CKPT_AREA_SB_COPIES	2	/* copy i at i * CKPT_AREA_SB_SIZE */
#define CKPT_AREA_SLOTS		16

/* ckpt_area_slot.state */
enum ckpt_slot_state {
	CKPT_SLOT_EMPTY,
	CKPT_SLOT_WRITING,	/* incomplete: a crash or an error mid-write */
	CKPT_SLOT_COMMITTED,
};

/**
 * struct ckpt_area_slot - one generation in an area
 * @generation: generation number, from 1, increasing
 * @offset: byte offset of the image in the area
 * @length: bytes of the image (trailer included) once committed
 * @created_ns: CLOCK_REALTIME of the freeze
 * @state: enum ckpt_slot_state
 * @crc32c: the image trailer's crc32c, once committed
 */
struct ckpt_area_slot {
	__u64 generation;
	__u64 offset;
	__u64 length;
	__u64 created_ns;
	__u32 state;
	__u32 crc32c;
};

/**
 * struct ckpt_area_sb - area superblock, in each of its two copies
 * @magic: CKPT_AREA_MAGIC
 * @version: CKPT_AREA_VERSION
 * @sb_crc32c: crc32c of this copy's CKPT_AREA_SB_SIZE bytes with this
 *	field zero
 * @size: usable bytes of the area (file size or device size)
 * @data_offset: first byte of the data region
 *	(CKPT_AREA_SB_COPIES * CKPT_AREA_SB_SIZE)
 * @next_generation: number the next checkpoint gets
 * @next_offset: where the next image starts unless it must wrap
 * @slots: generations; unused slots are all zero
 * @sb_seq: sequence number of the update that wrote this copy, from 1;
 *	every update increments it (zero in version 1, which lacked it)
 *
 * The rest of the CKPT_AREA_SB_SIZE bytes are zero. @sb_seq follows the
 * slots so that every field of version 1 kept its offset.
 */
struct ckpt_area_sb {
	__u64 magic;
	__u32 version;
	__u32 sb_crc32c;
	__u64 size;
	__u64 data_offset;
	__u64 next_generation;
	__u64 next_offset;
	struct ckpt_area_slot slots[CKPT_AREA_SLOTS];
	__u64 sb_seq;
};

#endif /* _UAPI_LINUX_CKPT_IMAGE_H */
