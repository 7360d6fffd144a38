/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * ckpt: transparent checkpoint/restore of process trees — the userspace API.
 *
 * This header is the manual of the interface between the ckpt module and
 * its users. kmod/, lib/ and cli/ all include it; nothing else defines it.
 *
 * Generic netlink family
 * ----------------------
 *
 * The module registers one generic netlink family, CKPT_GENL_NAME ("ckpt"),
 * version CKPT_GENL_VERSION. Every request is a single message; every reply
 * is a single message unless a command says otherwise. Requests run in the
 * caller's context: permission checks are made against the caller's
 * credentials.
 *
 * Attribute validation is strict for every command: an attribute the
 * command does not accept, an attribute of the wrong length, trailing
 * garbage, a non-zero genlmsghdr.reserved or unexpected nlmsg_flags make the
 * request fail with -EINVAL and an extended ACK message (NETLINK_EXT_ACK)
 * naming the problem; a value outside an attribute's range fails with
 * -ERANGE. An unknown command fails with -EOPNOTSUPP. A missing required
 * attribute fails with -EINVAL and NLMSGERR_ATTR_MISS_TYPE.
 *
 * CKPT_CMD_GET_INFO
 *   Describe the running module. No privilege needed.
 *   Request attributes:
 *     CKPT_A_VERSION     u32, optional: the family version the caller
 *                        speaks. A value newer than the module's fails
 *                        with -EPROTONOSUPPORT, so a client can detect an
 *                        old module before it sends anything else.
 *   Reply attributes:
 *     CKPT_A_VERSION          u32: CKPT_GENL_VERSION of the module
 *     CKPT_A_MODULE_VERSION   NUL-terminated string: the module's build
 *                             version (git describe)
 *     CKPT_A_IMAGE_VERSION    u32: image format version written/accepted
 *     CKPT_A_FEATURES         u64: CKPT_FEATURE_* bits implemented
 *     CKPT_A_MAX_TASKS        u32: most processes in one checkpoint
 *     CKPT_A_MAX_THREADS      u32: most threads in one checkpoint
 *     CKPT_A_FREEZE_TIMEOUT_MS u32: how long a freeze waits for every
 *                             thread to park before it gives up
 *     CKPT_A_LIVE_JOBS        u32: checkpoint jobs in memory (streaming
 *                             or kept as recent)
 *     CKPT_A_HELD_PAGES       u64: pages held by snapshots not yet written
 *     CKPT_A_TCP_HELD         u32: TCP connections held back now
 *                             (CKPT_A_TCP_ESTABLISHED)
 *     CKPT_A_CRC32C_IMPL      NUL-terminated string: the kernel's crc32c
 *                             driver the module checksums images with:
 *                             the faster of the highest-priority one
 *                             (e.g. crc32c-intel) and crc32c-generic,
 *                             timed when the module loaded
 *
 * CKPT_CMD_CHECK
 *   Tell whether the process group could be checkpointed by the caller,
 *   without touching it. Privilege: CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN
 *   in the initial user namespace, or the same real/effective uid as every
 *   target with every target dumpable (as for ptrace attach with
 *   PTRACE_MODE_ATTACH_REALCREDS).
 *   Request attributes:
 *     CKPT_A_PGID   u32, required, at least 1: the process group, as seen
 *                   in the caller's pid namespace.
 *     CKPT_A_SESSION flag, optional: CKPT_A_PGID is a session id, and the
 *                   group is every process of that session (a whole tree
 *                   under a session leader, all its process groups).
 *     CKPT_A_GHOST_LIMIT u64, optional: as for CKPT_CMD_FREEZE
 *     CKPT_A_TCP_ESTABLISHED flag, optional: as for CKPT_CMD_FREEZE
 *   Reply attributes:
 *     CKPT_A_PGID        u32: as requested
 *     CKPT_A_NR_TASKS    u32: processes in the group
 *     CKPT_A_NR_THREADS  u32: threads in the group
 *   Errors:
 *     -ESRCH   no process has that process group id
 *     -EPERM   the caller may not checkpoint one of the processes; the
 *              extended ACK names the pid
 *     -E2BIG   the group exceeds CKPT_A_MAX_TASKS or CKPT_A_MAX_THREADS
 *     -EINVAL  the group holds a kernel thread, or a process the module
 *              cannot capture; the extended ACK names pid and reason
 *     -EAGAIN  a process is exiting (not yet a zombie): try again; a
 *              zombie whose parent is in the group is checkpointed
 *     -EOPNOTSUPP a zombie whose parent is outside the group or whose
 *              exit signal is not SIGCHLD (the ACK names it), or another
 *              kind of state not supported yet
 *
 * CKPT_CMD_FREEZE
 *   Park every thread of the process group, snapshot it copy-on-write,
 *   release it, and start streaming the snapshot into an area (see
 *   linux/ckpt_image.h) from a kernel thread. Returns once the group runs
 *   again; CKPT_CMD_WAIT waits for the image to be committed. Privilege: as
 *   for CKPT_CMD_CHECK, which the freeze repeats, and judged once more when
 *   every thread is parked (a setuid exec may have completed in between).
 *   Freezes run one at a time, module-wide: a freeze waits for the one in
 *   progress (killable); the images of several freezes stream concurrently.
 *   Request attributes:
 *     CKPT_A_PGID      u32, required: the process group
 *     CKPT_A_SESSION   flag, optional: CKPT_A_PGID is a session id (see
 *                      CKPT_CMD_CHECK)
 *     CKPT_A_LEAVE_STOPPED flag, optional: release the group into a group
 *                      stop (as by SIGSTOP, taken before any of its
 *                      instructions runs) so that it stays exactly in the
 *                      checkpointed state; SIGCONT resumes it, SIGKILL
 *                      ends it
 *     CKPT_A_AREA_FD   u32: a descriptor of the area, open for reading and
 *                      writing, in the calling process; or
 *     CKPT_A_OUTPUT_FD u32: a descriptor open for writing — a regular file
 *                      (written from offset 0) or a pipe or socket
 *                      (written in order) — that gets one standalone image
 *                      (generation 0) whose trailer is its commit; exactly
 *                      one of the two
 *     CKPT_A_RATE      u64, optional: limit on the writer, bytes/second
 *     CKPT_A_INCREMENTAL flag, optional (with CKPT_A_AREA_FD): write an
 *                      incremental image (Documentation/incremental.rst)
 *                      if the module holds a usable parent: the group's
 *                      last checkpoint, committed into this area and still
 *                      in it, with no freeze of any of its processes since
 *                      and a chain shorter than the incr_max_chain module
 *                      parameter. Otherwise, silently, a full image: the
 *                      reply's CKPT_A_PARENT_GENERATION says which
 *     CKPT_A_TCP_ESTABLISHED flag, optional: carry established TCP
 *                      connections whose peer is not a socket of the
 *                      group (another host, or a process outside the
 *                      group); without it they are refused by name. With
 *                      CKPT_A_LEAVE_STOPPED too, each such connection is
 *                      held from the freeze on: the module drops its
 *                      segments both ways (netfilter, LOCAL_IN/LOCAL_OUT)
 *                      and puts its socket in TCP repair mode, so that the
 *                      group can be killed without the peer seeing a FIN
 *                      or a reset, until CKPT_CMD_TCP_RELEASE (the restore
 *                      sends it) or the module's tcp_hold_s timeout. The
 *                      caller needs CAP_NET_ADMIN for the hold (as for
 *                      TCP_REPAIR). Without CKPT_A_LEAVE_STOPPED the live
 *                      connections are not touched.
 *     CKPT_A_GHOST_LIMIT u64, optional: the largest deleted-but-open file
 *                      or memfd whose contents the image carries, in
 *                      bytes (default CKPT_GHOST_LIMIT_DEFAULT, at most
 *                      CKPT_GHOST_LIMIT_MAX); a larger one is refused
 *                      before the freeze, naming the pid and descriptor
 *     CKPT_A_NOTIFY_GRACE_MS u32, optional: how long the processes of the
 *                      group that hold a notice descriptor
 *                      (CKPT_CMD_NOTICE_OPEN) may take to acknowledge
 *                      CKPT_NOTICE_PENDING before the group is parked
 *                      (default CKPT_NOTIFY_GRACE_DEFAULT_MS, at most
 *                      CKPT_NOTIFY_GRACE_MAX_MS; 0: do not wait). They
 *                      are told only once the group passed the check, and
 *                      told CKPT_NOTICE_DONE once the freeze is over,
 *                      whatever its outcome
 *   Reply attributes:
 *     CKPT_A_JOB_ID, CKPT_A_GENERATION, CKPT_A_FREEZE_NS (park start to
 *     release, measured in the kernel), CKPT_A_PARK_NS (park start to the
 *     last thread parked), CKPT_A_CAPTURE_NS (state, descriptors, mappings
 *     and the copy-on-write walk), CKPT_A_FLUSH_NS (the TLB flush after
 *     the capture; the rest of the freeze is the release), CKPT_A_NR_TASKS,
 *     CKPT_A_NR_THREADS, CKPT_A_NR_PAGES (pages the image itself carries),
 *     CKPT_A_IMAGE_LEN,
 *     CKPT_A_PARENT_GENERATION (u64: the generation an incremental image
 *     takes its unchanged pages from; 0 for a full image)
 *   Errors: those of CKPT_CMD_CHECK, and
 *     -EBADF   the area descriptor is not open for reading and writing
 *     -EBADMSG the area's superblock is corrupted
 *     -EBUSY   another checkpoint is writing the area; or a thread is
 *              traced; or the address space is shared with a task
 *              outside the group (a thread stopped by job control is
 *              checkpointed stopped)
 *     -ETIMEDOUT a thread did not park within CKPT_A_FREEZE_TIMEOUT_MS
 *              (the cookie names it); the group was released untouched
 *     -EAGAIN  the group kept changing (threads created or exiting)
 *     -EINTR   the caller was killed while waiting for the group to park
 *              or for another freeze to end; the group runs on untouched
 *     -ENOSPC  the image does not fit in the area, or fits only over the
 *              newest committed generation (which is kept)
 *     -EINVAL  unsupported state: the cookie names the task and, for a
 *              mapping, its address
 *
 * CKPT_CMD_WAIT
 *   Wait until a checkpoint job is committed or has failed, and report it.
 *   Only the uid that started the job, or CAP_CHECKPOINT_RESTORE/
 *   CAP_SYS_ADMIN, may wait. Interrupted by signals (-EINTR).
 *   Request attributes:
 *     CKPT_A_JOB_ID    u64, required
 *   Reply attributes:
 *     CKPT_A_JOB_ID, CKPT_A_JOB_STATE (enum ckpt_job_state),
 *     CKPT_A_GENERATION, CKPT_A_IMAGE_LEN, CKPT_A_WRITTEN, CKPT_A_FREEZE_NS,
 *     CKPT_A_STREAM_NS (release to commit), CKPT_A_ERROR (s32, 0 or the
 *     negative errno of a failed job), CKPT_A_ERROR_MSG (string, if failed)
 *   Errors: -ENOENT no such job (never started, or long forgotten)
 *
 * CKPT_CMD_STATUS (dump)
 *   One message per checkpoint job the module holds: those streaming and
 *   the most recent finished ones. A caller without CAP_CHECKPOINT_RESTORE
 *   or CAP_SYS_ADMIN sees only the jobs its uid started.
 *   Reply attributes per message: CKPT_A_PGID and those of CKPT_CMD_WAIT
 *   (CKPT_A_STREAM_NS, CKPT_A_ERROR and CKPT_A_ERROR_MSG once finished).
 *
 * Multicast group CKPT_MCGRP_EVENTS ("events")
 *   CKPT_CMD_JOB_EVENT messages with the attributes of CKPT_CMD_STATUS: when
 *   a writer starts, about once a second while it streams, and when the job
 *   is committed or has failed. Joining needs CAP_SYS_ADMIN in the network
 *   namespace's user namespace (the events describe every user's jobs).
 *
 * CKPT_CMD_RESTORE_MM
 *   Called by a process to become the process of an image, in its own
 *   context (libckpt does this; see Documentation/restore.rst). Any other
 *   thread of the caller must be waiting in CKPT_CMD_RESTORE_THREAD. The
 *   caller must have placed [vvar]/[vdso] at their recorded
 *   addresses (arch_prctl(ARCH_MAP_VDSO_64)), and have set up its
 *   descriptors, credentials, signal state and limits already. The module
 *   validates the whole plan, then — the point of no return — unmaps the
 *   caller's memory (but for mappings the plan keeps:
 *   CKPT_RESTORE_VMA_KEEP), maps every recorded mapping, fills the captured pages
 *   from the image, sets the mm's code/data/brk/stack/arg/env bounds and
 *   saved auxv, and parks the caller until CKPT_CMD_RESTORE_REGS gives it its registers; its
 *   system call then returns straight into the restored program. A failure
 *   before the point of no return leaves the caller untouched; after it,
 *   the caller is killed.
 *   Request attributes:
 *     CKPT_A_IMAGE_FD       u32, required: the image file or area, readable
 *     CKPT_A_RESTORE_TASK   binary, required: struct ckpt_rec_task
 *     CKPT_A_RESTORE_PLAN_FD u32: a readable file (libckpt: a memfd) that
 *                           holds struct ckpt_restore_plan, then nr_vmas
 *                           struct ckpt_restore_vma, then nr_runs struct
 *                           ckpt_restore_run, and nothing else; or, for a
 *                           plan small enough for one message, the two
 *                           attributes below instead (not both ways)
 *     CKPT_A_RESTORE_VMAS   nested: binary chunks (each of type
 *                           CKPT_A_RESTORE_VMAS, a whole number of
 *                           entries) of struct ckpt_restore_vma[]
 *     CKPT_A_RESTORE_RUNS   nested, optional: binary chunks (each of type
 *                           CKPT_A_RESTORE_RUNS) of struct ckpt_restore_run[]
 *                           Mappings are in address order, at most 65536
 *                           (vm.max_map_count is 65530 by default); runs
 *                           at most 262144. A netlink attribute, nested ones
 *                           included, holds at most 64 KiB and a message at
 *                           most the socket's send buffer (net.core.wmem_max):
 *                           beyond about 2000 mappings only the file works.
 *     CKPT_A_RESTORE_AUXV   binary, optional: __u64[] the saved auxiliary
 *                           vector (/proc/PID/auxv), type/value pairs
 *     CKPT_A_RESTORE_CLOSE  binary, optional: __s32[] descriptors the module
 *                           closes once the memory is in place (the image,
 *                           mapped files, the netlink socket): they belong
 *                           to the restore, not to the restored process
 *     CKPT_A_RESTORE_CRC_FD u32, optional: a regular file open for writing;
 *                           once every run is filled, the module writes
 *                           there, at byte CKPT_A_RESTORE_CRC_POS (u64,
 *                           default 0), one __le32 per piece: each run in
 *                           order, cut into pieces of CKPT_RESTORE_CRC_PIECE
 *                           bytes (its last piece shorter), each piece's
 *                           standard CRC-32C of its image bytes, as read.
 *                           With them the caller checks the image's
 *                           checksum without reading the page data itself.
 *   Errors: -EINVAL an inconsistent plan or a multi-threaded caller (the
 *     cookie names the mapping), -EBADF a descriptor, -ETIMEDOUT no
 *     registers came within 30 s (the caller is killed).
 *
 * CKPT_CMD_RESTORE_THREAD
 *   Called by each secondary thread of a restoring process (created with
 *   its recorded tid) after setting its own signal mask, alternate stack,
 *   robust list and clear_child_tid: it waits in the kernel until the
 *   leader's CKPT_CMD_RESTORE_MM has put the memory in place, closes the
 *   descriptors of CKPT_A_RESTORE_CLOSE, and parks for
 *   CKPT_CMD_RESTORE_REGS like the leader. The leader's RESTORE_MM waits
 *   (up to 30 s) until every other thread of the process waits here.
 *   Request attributes:
 *     CKPT_A_RESTORE_CLOSE  binary, optional: as for CKPT_CMD_RESTORE_MM
 *   Errors: -ECANCELED the leader failed before replacing the memory.
 *
 * CKPT_CMD_RESTORE_REGS
 *   Give a process parked in CKPT_CMD_RESTORE_MM its registers, FPU state
 *   and rseq registration, ptrace-style (the target is off-CPU), and let it
 *   run. The caller must be the target's ancestor, or hold
 *   CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN. Waits up to 30 s for the
 *   target to park.
 *   Request attributes:
 *     CKPT_A_TID            u32, required: the target, caller's pid namespace
 *     CKPT_A_RESTORE_THREAD binary, required: a THREAD record's payload
 *                           (struct ckpt_rec_thread, registers, xstate)
 *     CKPT_A_EXE_FD         u32, optional: a descriptor (caller's table,
 *                           opened for reading) of the executable the
 *                           target's /proc/PID/exe names from now on; the
 *                           same rule as prctl(PR_SET_MM_MAP)'s exe_fd:
 *                           CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN, a
 *                           regular file the caller may execute, on a mount
 *                           that allows it, and the old one no longer mapped
 *   Errors: -ESRCH the target is not parked, -EPERM, -EINVAL registers or
 *     xstate of another size than this machine's (another CPU model),
 *     -EACCES an executable that may not be one.
 *
 * CKPT_CMD_RESTORE_PARKED
 *   Wait (up to 30 s) until a restoring thread is parked in
 *   CKPT_CMD_RESTORE_MM or CKPT_CMD_RESTORE_THREAD with its memory in
 *   place, without releasing it: a controller restoring several processes
 *   lets none of them run before all of them got past their point of no
 *   return. Permission as for CKPT_CMD_RESTORE_REGS.
 *   Request attributes:
 *     CKPT_A_TID  u32, required: the thread, caller's pid namespace
 *   Errors: -ESRCH the thread does not exist, exited or did not park in
 *     time, -EPERM.
 *
 * CKPT_CMD_RESTORE_PEER
 *   Give a restored Unix socket its SO_PEERCRED: from now on it reports
 *   the pid and credentials of a restoring process (which made the pair,
 *   connected or listened when it was checkpointed), taken once that
 *   process is parked in CKPT_CMD_RESTORE_MM with its identity restored.
 *   Permission as for CKPT_CMD_RESTORE_REGS on that process: the caller
 *   could have made it create the socket itself.
 *   Request attributes:
 *     CKPT_A_TID      u32, required: the process, caller's pid namespace
 *     CKPT_A_SOCK_FD  u32, required: the socket, caller's descriptor table
 *   Errors: -ESRCH the process does not exist or did not park in time,
 *     -EPERM, -EBADF, -ENOTSOCK, -EINVAL not a Unix socket.
 *
 * CKPT_CMD_TCP_RELEASE
 *   End holds of established TCP connections (see CKPT_A_TCP_ESTABLISHED).
 *   With CKPT_A_SOCK_FD: the restored socket of a held connection exists
 *   (TCP, connected, still in repair mode, which proves CAP_NET_ADMIN):
 *   the holds of its four-tuple end; none is not an error (the checkpoint
 *   was taken on another host). With CKPT_A_JOB_ID: the holds of that
 *   checkpoint end and their sockets, if still open, leave repair mode
 *   (the group runs on where it is). With neither: every hold the caller
 *   may end. The caller may end the holds of its own checkpoints, or all
 *   with CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN.
 *   Request attributes:
 *     CKPT_A_SOCK_FD  u32, optional: the socket, caller's descriptor table
 *     CKPT_A_JOB_ID   u64, optional: the checkpoint job
 *   Reply attributes:
 *     CKPT_A_TCP_HELD u32: holds ended by this request
 *   Errors: -EBADF, -ENOTSOCK, -EINVAL (not a connected TCP socket in
 *     repair mode, or both attributes).
 *
 * CKPT_CMD_NOTICE_OPEN
 *   Open a checkpoint-pending notice descriptor in the caller's descriptor
 *   table (O_RDWR | O_CLOEXEC). Every freeze of a group one of whose
 *   processes holds it makes it readable: read() gives one struct
 *   ckpt_notice_event, CKPT_NOTICE_PENDING before the group is parked
 *   (write() the event back to acknowledge it: the process has quiesced)
 *   and CKPT_NOTICE_DONE once the freeze is over; poll() says POLLIN when
 *   an event waits. A checkpoint carries the descriptor, and a restored
 *   one reads the CKPT_NOTICE_DONE of the freeze it was taken in. No
 *   privilege.
 *   Request attributes:
 *     CKPT_A_NOTICE_DONE flag, optional: a CKPT_NOTICE_DONE is waiting
 *                      already (the restore's)
 *   Reply attributes:
 *     CKPT_A_NOTICE_FD u32: the descriptor
 *
 * CKPT_CMD_AREA_DROP
 *   Forget one committed generation of an area (ckptctl freeze --keep).
 *   The area is taken as a checkpoint takes it, so no checkpoint writes it
 *   meanwhile, and the slot is cleared by one update of the two-copy
 *   superblock protocol (Documentation/image-format.rst): after a crash
 *   the generation is whole or gone. Its bytes become free room. The
 *   newest committed generation is never dropped. Permission: the area
 *   descriptor, open for reading and writing, as for CKPT_CMD_FREEZE; no
 *   capability (whoever may open the area may rewrite it).
 *   Request attributes:
 *     CKPT_A_AREA_FD     u32, required: the area, caller's descriptor table
 *     CKPT_A_GENERATION  u64, required, at least 1
 *   Reply: none (the ACK)
 *   Errors: -ENOENT the area holds no such generation, -EINVAL it is not
 *     committed or is the newest committed one, -ENOTEMPTY a committed
 *     generation builds on it, -EBUSY a checkpoint is writing the area or
 *     the generation is being served to a lazily restored tree (another
 *     open file description holds a read lock on its bytes, as
 *     fcntl(F_OFD_SETLK) takes it), and those of opening an area for CKPT_CMD_FREEZE
 *     (-EBADF, -EBADMSG) or an I/O error.
 *
 * Errors that concern one object
 * ------------------------------
 *
 * The extended ACK message (NLMSGERR_ATTR_MSG) is a fixed sentence naming the
 * object and the reason ("process is not dumpable"). When the error concerns
 * one task, file descriptor or mapping, NLMSGERR_ATTR_COOKIE carries a
 * struct ckpt_err_cookie that says which one.
 */
#ifndef _UAPI_LINUX_CKPT_H
#define _UAPI_LINUX_CKPT_H

#include <linux/types.h>

#define CKPT_GENL_NAME		"ckpt"
#define CKPT_GENL_VERSION	1

/* Version of the image format (Documentation/image-format.rst). */
#define CKPT_IMAGE_VERSION	12
/*
 * The oldest version readers still take: version 10 images lack only the
 * TOUCHED records (a lazy restore then prefetches in address order), 10
 * and 11 the LATE records (a lazy restore of a stream of one waits for
 * its end).
 */
#define CKPT_IMAGE_VERSION_MIN	10

/**
 * enum ckpt_cmd - generic netlink commands of the ckpt family
 * @CKPT_CMD_UNSPEC: never valid
 * @CKPT_CMD_GET_INFO: describe the module (see the header comment)
 * @CKPT_CMD_CHECK: dry-run permission and capability check of a group
 * @CKPT_CMD_FREEZE: freeze a group and stream its snapshot into an area
 * @CKPT_CMD_WAIT: wait for a checkpoint job to finish
 * @CKPT_CMD_STATUS: dump the checkpoint jobs (streaming and recent)
 * @CKPT_CMD_JOB_EVENT: multicast notification about one job
 * @CKPT_CMD_RESTORE_MM: become an image's process (memory), then park
 * @CKPT_CMD_RESTORE_REGS: give a parked restoring process its registers
 * @CKPT_CMD_RESTORE_THREAD: a secondary thread waits for its process's memory
 * @CKPT_CMD_RESTORE_PARKED: wait until a restoring thread is parked
 * @CKPT_CMD_RESTORE_PEER: give a restored Unix socket its SO_PEERCRED
 * @CKPT_CMD_TCP_RELEASE: end holds of migrating TCP connections
 * @CKPT_CMD_NOTICE_OPEN: open a checkpoint-pending notice descriptor
 * @CKPT_CMD_AREA_DROP: forget one committed, not newest, generation of an area
 */
enum ckpt_cmd {
	CKPT_CMD_UNSPEC,
	CKPT_CMD_GET_INFO,
	CKPT_CMD_CHECK,
	CKPT_CMD_FREEZE,
	CKPT_CMD_WAIT,
	CKPT_CMD_STATUS,
	CKPT_CMD_JOB_EVENT,
	CKPT_CMD_RESTORE_MM,
	CKPT_CMD_RESTORE_REGS,
	CKPT_CMD_RESTORE_THREAD,
	CKPT_CMD_RESTORE_PARKED,
	CKPT_CMD_RESTORE_PEER,
	CKPT_CMD_TCP_RELEASE,
	CKPT_CMD_NOTICE_OPEN,
	CKPT_CMD_AREA_DROP,

	__CKPT_CMD_MAX
};

#define CKPT_CMD_MAX (__CKPT_CMD_MAX - 1)

/* ckpt_notice_event.type */
#define CKPT_NOTICE_PENDING	1	/* a freeze is coming: quiesce, then ack */
#define CKPT_NOTICE_DONE	2	/* the freeze is over */

#define CKPT_NOTIFY_GRACE_DEFAULT_MS	1000
#define CKPT_NOTIFY_GRACE_MAX_MS	60000

/**
 * struct ckpt_notice_event - what a notice descriptor reads
 * @type: CKPT_NOTICE_PENDING or CKPT_NOTICE_DONE
 * @reserved: zero
 *
 * Writing a CKPT_NOTICE_PENDING event back acknowledges it. Events do not
 * pile up: a PENDING not read when its freeze is over is dropped, so a
 * reader sees at most one PENDING and one DONE per freeze, in that order.
 */
struct ckpt_notice_event {
	__u32 type;
	__u32 reserved;
};

/**
 * enum ckpt_attr - attributes of the ckpt family (one flat space)
 * @CKPT_A_UNSPEC: never valid
 * @CKPT_A_VERSION: u32, family version (CKPT_GENL_VERSION)
 * @CKPT_A_MODULE_VERSION: string, module build version
 * @CKPT_A_IMAGE_VERSION: u32, image format version
 * @CKPT_A_FEATURES: u64, CKPT_FEATURE_* bits
 * @CKPT_A_MAX_TASKS: u32, limit on processes per checkpoint
 * @CKPT_A_MAX_THREADS: u32, limit on threads per checkpoint
 * @CKPT_A_FREEZE_TIMEOUT_MS: u32, park timeout in milliseconds
 * @CKPT_A_PGID: u32, process group id in the caller's pid namespace
 * @CKPT_A_NR_TASKS: u32, number of processes
 * @CKPT_A_NR_THREADS: u32, number of threads
 * @CKPT_A_PAD: padding for 64-bit attributes, never sent alone
 * @CKPT_A_AREA_FD: u32, descriptor of an area in the caller
 * @CKPT_A_RATE: u64, writer rate limit in bytes/second
 * @CKPT_A_JOB_ID: u64, checkpoint job
 * @CKPT_A_GENERATION: u64, area generation
 * @CKPT_A_FREEZE_NS: u64, freeze duration
 * @CKPT_A_NR_PAGES: u64, pages in the snapshot
 * @CKPT_A_IMAGE_LEN: u64, image bytes
 * @CKPT_A_JOB_STATE: u32, enum ckpt_job_state
 * @CKPT_A_WRITTEN: u64, image bytes written so far
 * @CKPT_A_STREAM_NS: u64, release to commit
 * @CKPT_A_ERROR: s32, negative errno of a failed job
 * @CKPT_A_ERROR_MSG: string, why a job failed
 * @CKPT_A_LIVE_JOBS: u32, jobs in memory
 * @CKPT_A_HELD_PAGES: u64, pages held by snapshots
 * @CKPT_A_PARK_NS: u64, part of the freeze spent parking threads
 * @CKPT_A_CAPTURE_NS: u64, part of the freeze spent capturing
 * @CKPT_A_IMAGE_FD: u32, descriptor of an image or area in the caller
 * @CKPT_A_RESTORE_TASK: binary, struct ckpt_rec_task
 * @CKPT_A_RESTORE_VMAS: nested, binary chunks of struct ckpt_restore_vma
 * @CKPT_A_RESTORE_RUNS: binary, array of struct ckpt_restore_run
 * @CKPT_A_TID: u32, thread id
 * @CKPT_A_RESTORE_THREAD: binary, THREAD record payload
 * @CKPT_A_RESTORE_CLOSE: binary, descriptors to close after the restore
 * @CKPT_A_OUTPUT_FD: u32, descriptor of a file, pipe or socket to stream to
 * @CKPT_A_SESSION: flag, CKPT_A_PGID names a session
 * @CKPT_A_LEAVE_STOPPED: flag, leave the group stopped after the freeze
 * @CKPT_A_RESTORE_AUXV: binary, saved auxiliary vector (__u64 words)
 * @CKPT_A_EXE_FD: u32, descriptor of a restored process's executable
 * @CKPT_A_RESTORE_PLAN_FD: u32, descriptor of a file holding a restore plan
 * @CKPT_A_GHOST_LIMIT: u64, largest deleted file or memfd carried whole
 * @CKPT_A_SOCK_FD: u32, descriptor of a socket
 * @CKPT_A_TCP_ESTABLISHED: flag, carry TCP connections to peers outside
 *	the group (held while the group is left stopped)
 * @CKPT_A_TCP_HELD: u32, TCP connections held back
 * @CKPT_A_CRC32C_IMPL: string, the crc32c driver in use
 * @CKPT_A_NOTICE_FD: u32, a notice descriptor in the caller's table
 * @CKPT_A_NOTICE_DONE: flag, the new notice descriptor has a DONE waiting
 * @CKPT_A_NOTIFY_GRACE_MS: u32, how long a freeze waits for notices' acks
 * @CKPT_A_RESTORE_CRC_FD: u32, descriptor of a regular file the module
 *	writes the CRC-32C of each filled run's image bytes into
 * @CKPT_A_RESTORE_CRC_POS: u64, byte offset of run 0's CRC in that file
 * @CKPT_A_INCREMENTAL: flag, write an incremental image if a parent is usable
 * @CKPT_A_PARENT_GENERATION: u64, an incremental image's parent; 0 if full
 * @CKPT_A_FLUSH_NS: u64, part of the freeze spent flushing TLBs after the
 *	capture
 */
enum ckpt_attr {
	CKPT_A_UNSPEC,
	CKPT_A_VERSION,
	CKPT_A_MODULE_VERSION,
	CKPT_A_IMAGE_VERSION,
	CKPT_A_FEATURES,
	CKPT_A_MAX_TASKS,
	CKPT_A_MAX_THREADS,
	CKPT_A_FREEZE_TIMEOUT_MS,
	CKPT_A_PGID,
	CKPT_A_NR_TASKS,
	CKPT_A_NR_THREADS,
	CKPT_A_PAD,
	CKPT_A_AREA_FD,
	CKPT_A_RATE,
	CKPT_A_JOB_ID,
	CKPT_A_GENERATION,
	CKPT_A_FREEZE_NS,
	CKPT_A_NR_PAGES,
	CKPT_A_IMAGE_LEN,
	CKPT_A_JOB_STATE,
	CKPT_A_WRITTEN,
	CKPT_A_STREAM_NS,
	CKPT_A_ERROR,
	CKPT_A_ERROR_MSG,
	CKPT_A_LIVE_JOBS,
	CKPT_A_HELD_PAGES,
	CKPT_A_PARK_NS,
	CKPT_A_CAPTURE_NS,
	CKPT_A_IMAGE_FD,
	CKPT_A_RESTORE_TASK,
	CKPT_A_RESTORE_VMAS,
	CKPT_A_RESTORE_RUNS,
	CKPT_A_TID,
	CKPT_A_RESTORE_THREAD,
	CKPT_A_RESTORE_CLOSE,
	CKPT_A_OUTPUT_FD,
	CKPT_A_SESSION,
	CKPT_A_LEAVE_STOPPED,
	CKPT_A_RESTORE_AUXV,
	CKPT_A_EXE_FD,
	CKPT_A_RESTORE_PLAN_FD,
	CKPT_A_GHOST_LIMIT,
	CKPT_A_SOCK_FD,
	CKPT_A_TCP_ESTABLISHED,
	CKPT_A_TCP_HELD,
	CKPT_A_CRC32C_IMPL,
	CKPT_A_NOTICE_FD,
	CKPT_A_NOTICE_DONE,
	CKPT_A_NOTIFY_GRACE_MS,
	CKPT_A_RESTORE_CRC_FD,
	CKPT_A_RESTORE_CRC_POS,
	CKPT_A_INCREMENTAL,
	CKPT_A_PARENT_GENERATION,
	CKPT_A_FLUSH_NS,

	__CKPT_A_MAX
};

#define CKPT_A_MAX (__CKPT_A_MAX - 1)

#define CKPT_MCGRP_EVENTS	"events"

/* Longest CKPT_A_MODULE_VERSION string, including the NUL. */
#define CKPT_MODULE_VERSION_LEN	64

/**
 * struct ckpt_err_cookie - which object an error is about
 * @pid: the process or thread, in the caller's pid namespace; 0 if none
 * @fd: the file descriptor of @pid; -1 if none
 * @addr: start address of the mapping of @pid; 0 if none
 *
 * Sent as NLMSGERR_ATTR_COOKIE with a failed request.
 */
struct ckpt_err_cookie {
	__u32 pid;
	__s32 fd;
	__u64 addr;
};

/**
 * struct ckpt_restore_vma - one mapping to create (CKPT_A_RESTORE_VMAS)
 * @start: first address
 * @end: address after the last byte
 * @pgoff: file offset in pages
 * @flags: CKPT_VMA_* (linux/ckpt_image.h); CKPT_VMA_VDSO mappings are
 *	checked to be in place, not created; and CKPT_RESTORE_VMA_KEEP
 * @fd: descriptor of the file to map in the caller, or -1 for anonymous
 *	memory (shared anonymous memory when CKPT_VMA_SHARED); with
 *	CKPT_VMA_SYSV, the id of a System V segment the caller has attached
 *	(shmat(), with SHM_RDONLY iff CKPT_VMA_SYSV_RDONLY): the mapping is
 *	made as another attachment of it (shm_nattch counts it), and the
 *	caller's own attachment goes with the rest of its memory
 */
/*
 * ckpt_restore_vma.flags: the caller has the mapping in place already,
 * exactly (one mapping from @start to @end, private anonymous memory,
 * writable, not growing down, not locked, its protection the recorded
 * one), with its pages: made before the caller forked its children, or
 * inherited from its parent. It is kept, pages and all, and not made
 * again; no run may fall in it. What fork() shares stays shared.
 */
#define CKPT_RESTORE_VMA_KEEP	(1U << 31)

struct ckpt_restore_vma {
	__u64 start;
	__u64 end;
	__u64 pgoff;
	__u32 flags;
	__s32 fd;
};

/**
 * struct ckpt_restore_plan - start of a CKPT_A_RESTORE_PLAN_FD file
 * @nr_vmas: struct ckpt_restore_vma that follow
 * @reserved: zero
 * @nr_runs: struct ckpt_restore_run that follow the mappings
 */
struct ckpt_restore_plan {
	__u32 nr_vmas;
	__u32 reserved;
	__u64 nr_runs;
};

/* The pieces of a run that CKPT_A_RESTORE_CRC_FD has one CRC each of. */
#define CKPT_RESTORE_CRC_PIECE	(1U << 20)

/**
 * struct ckpt_restore_run - pages to fill from the image (CKPT_A_RESTORE_RUNS)
 * @addr: first page's address, inside one non-vdso mapping
 * @offset: byte offset of the contents in the image descriptor's file
 * @nr_pages: pages
 */
struct ckpt_restore_run {
	__u64 addr;
	__u64 offset;
	__u64 nr_pages;
};

/**
 * enum ckpt_job_state - CKPT_A_JOB_STATE
 * @CKPT_JOB_STREAMING: the writer is streaming the snapshot
 * @CKPT_JOB_COMMITTED: the image is committed in its area
 * @CKPT_JOB_FAILED: the checkpoint failed; CKPT_A_ERROR says why
 */
enum ckpt_job_state {
	CKPT_JOB_STREAMING = 1,
	CKPT_JOB_COMMITTED,
	CKPT_JOB_FAILED,
};

/**
 * enum ckpt_feature - bits of CKPT_A_FEATURES
 * @CKPT_FEATURE_CHECK: CKPT_CMD_CHECK is implemented
 * @CKPT_FEATURE_FREEZE: CKPT_CMD_FREEZE and CKPT_CMD_WAIT are implemented
 * @CKPT_FEATURE_RESTORE: CKPT_CMD_RESTORE_MM and _REGS are implemented
 */
enum ckpt_feature {
	CKPT_FEATURE_CHECK	= 1ULL << 0,
	CKPT_FEATURE_FREEZE	= 1ULL << 1,
	CKPT_FEATURE_RESTORE	= 1ULL << 2,

	__CKPT_FEATURE_ALL	= CKPT_FEATURE_CHECK | CKPT_FEATURE_FREEZE |
				  CKPT_FEATURE_RESTORE
};

#endif /* _UAPI_LINUX_CKPT_H */
