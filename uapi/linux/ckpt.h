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
#define CKPT_IMAGE_VERSION	1

/**
 * enum ckpt_cmd - generic netlink commands of the ckpt family
 * @CKPT_CMD_UNSPEC: never valid
 * @CKPT_CMD_GET_INFO: describe the module (see the header comment)
 * @CKPT_CMD_CHECK: dry-run permission and capability check of a group
 */
enum ckpt_cmd {
	CKPT_CMD_UNSPEC,
	CKPT_CMD_GET_INFO,
	CKPT_CMD_CHECK,

	__CKPT_CMD_MAX
};

#define CKPT_CMD_MAX (__CKPT_CMD_MAX - 1)

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

	__CKPT_A_MAX
};

#define CKPT_A_MAX (__CKPT_A_MAX - 1)

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
 * enum ckpt_feature - bits of CKPT_A_FEATURES
 * @CKPT_FEATURE_CHECK: CKPT_CMD_CHECK is implemented
 */
enum ckpt_feature {
	CKPT_FEATURE_CHECK	= 1ULL << 0,

	__CKPT_FEATURE_ALL	= CKPT_FEATURE_CHECK
};

#endif /* _UAPI_LINUX_CKPT_H */
