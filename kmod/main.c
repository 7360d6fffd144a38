// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * Module init/exit ladder.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "csum.h"
#include "genl.h"
#include "incr.h"
#include "job.h"
#include "tcpx.h"

static int __init ckpt_init(void)
{
	int ret;

	ret = ckpt_csum_init();
	if (ret)
		return ret;
	/* The hooks first: a hold can be taken as soon as the family is up. */
	ret = ckpt_tcpx_init();
	if (ret)
		goto err_csum;
	ret = ckpt_genl_init();
	if (ret)
		goto err_tcpx;

	/*
	 * The soft dependency below makes modprobe load the CPU's crc32c
	 * driver first, so that ckpt_csum_init() can measure it; say which
	 * one was kept.
	 */
	pr_info("loaded, version %s, crc32c %s\n", CKPT_MODULE_VERSION,
		ckpt_csum_impl());
	return 0;

err_tcpx:
	ckpt_tcpx_exit();
err_csum:
	ckpt_csum_exit();
	return ret;
}

static void __exit ckpt_exit(void)
{
	ckpt_genl_exit();
	ckpt_job_exit();
	ckpt_incr_exit();
	ckpt_tcpx_exit();
	ckpt_csum_exit();
	pr_info("unloaded\n");
}

module_init(ckpt_init);
module_exit(ckpt_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The ckpt authors");
MODULE_DESCRIPTION("Transparent checkpoint/restore of process trees");
MODULE_VERSION(CKPT_MODULE_VERSION);
MODULE_SOFTDEP("pre: crc32c-intel");
