/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt: the userspace client of the ckpt module.
 *
 * Every function returns 0 or a negative errno and never prints. When the
 * module explains a failure (extended ACK), libckpt_error() returns that
 * explanation, prefixed with the task/fd/mapping it concerns.
 */
#ifndef LIBCKPT_H
#define LIBCKPT_H

#include <stdint.h>
#include <linux/ckpt.h>

#ifdef __cplusplus
extern "C" {
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

/* The library's own version string. */
const char *libckpt_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBCKPT_H */
