// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Module init/exit ladder.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32c.h>
#include <linux/module.h>

#include "genl.h"
#include "incr.h"
#include "job.h"
#include "tcpx.h"

static int __init ckpt_init(void)
{
	int ret;

	/* The hooks first: a hold can be taken as soon as the family is up. */
	ret = ckpt_tcpx_init();
	if (ret)
		return ret;
	ret = ckpt_genl_init();
	if (ret) {
		ckpt_tcpx_exit();
		return ret;
	}

	/*
	 * libcrc32c binds its driver once, at its own load: the highest
	 * priority "crc32c" registered then. The soft dependency below makes
	 * modprobe load the CPU's first; say which one the writer got.
	 */
	pr_info("loaded, version %s, crc32c %s\n", CKPT_MODULE_VERSION,
		crc32c_impl());
	return 0;
}

static void __exit ckpt_exit(void)
{
	ckpt_genl_exit();
	ckpt_job_exit();
	ckpt_incr_exit();
	ckpt_tcpx_exit();
	pr_info("unloaded\n");
}

module_init(ckpt_init);
module_exit(ckpt_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The ckpt authors");
MODULE_DESCRIPTION("Transparent checkpoint/restore of process trees");
MODULE_VERSION(CKPT_MODULE_VERSION);
MODULE_SOFTDEP("pre: crc32c-intel");
