/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The CRC-32C of images, from the fastest crc32c driver measured at load.
 */
#ifndef CKPT_CSUM_H
#define CKPT_CSUM_H

#include <linux/init.h>
#include <linux/types.h>

u32 ckpt_csum(u32 crc, const void *p, size_t len);
const char *ckpt_csum_impl(void);
int __init ckpt_csum_init(void);
void ckpt_csum_exit(void);

#endif /* CKPT_CSUM_H */
