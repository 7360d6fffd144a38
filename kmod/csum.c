// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * The CRC-32C the module checksums images with, from the fastest crc32c
 * driver of this machine, measured when the module loads (as the kernel
 * picks its xor and raid6 routines). libcrc32c binds the driver of the
 * highest priority instead, the CPU's where it is loaded; that is the
 * fastest on hardware, but on an emulated CPU (QEMU TCG) its CRC32 and
 * PCLMULQDQ instructions are emulated bit by bit and the table-driven
 * crc32c-generic is several times faster. The checksum bounds both the
 * writer and a restore's fill there (Documentation/performance.md).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <linux/err.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "csum.h"

/* Bytes checksummed per timing pass: large enough for the drivers' bulk paths. */
#define PROBE_LEN	(64 * 1024)
#define PROBE_PASSES	3

/* Set once at load, before any user; read-only after. */
static struct crypto_shash *csum_tfm;

/**
 * ckpt_csum() - continue a CRC-32C
 * @crc: the running CRC (not inverted: start with ~0, finish with ~)
 * @p: the data
 * @len: its length
 *
 * The crc32c shash's state is the running CRC itself, so it is set and
 * read around one update; no driver fails an update.
 *
 * Return: the CRC after @p.
 */
u32 ckpt_csum(u32 crc, const void *p, size_t len)
{
	SHASH_DESC_ON_STACK(desc, csum_tfm);
	u32 *state = shash_desc_ctx(desc);

	desc->tfm = csum_tfm;
	*state = crc;
	WARN_ON_ONCE(crypto_shash_update(desc, p, len));
	crc = *state;
	barrier_data(state);
	return crc;
}

const char *ckpt_csum_impl(void)
{
	return crypto_shash_driver_name(csum_tfm);
}

/* The best of PROBE_PASSES passes, after one that warms up (caches, JIT). */
static u64 probe(struct crypto_shash *tfm, const void *buf)
{
	SHASH_DESC_ON_STACK(desc, tfm);
	u64 best = U64_MAX, t;
	int i;

	desc->tfm = tfm;
	for (i = 0; i <= PROBE_PASSES; i++) {
		*(u32 *)shash_desc_ctx(desc) = ~0U;
		t = ktime_get_ns();
		if (crypto_shash_update(desc, buf, PROBE_LEN))
			return U64_MAX;
		t = ktime_get_ns() - t;
		if (i && t < best)
			best = t;
	}
	return best;
}

/*
 * "crc32c" is the highest-priority driver (loading the CPU's module if
 * there is one); "crc32c-generic" the table. When they differ, the faster
 * one is kept.
 */
int __init ckpt_csum_init(void)
{
	struct crypto_shash *best, *generic;
	void *buf;
	u64 t_best, t_generic;

	best = crypto_alloc_shash("crc32c", 0, 0);
	if (IS_ERR(best))
		return PTR_ERR(best);
	generic = crypto_alloc_shash("crc32c-generic", 0, 0);
	if (IS_ERR(generic) ||
	    !strcmp(crypto_shash_driver_name(best), crypto_shash_driver_name(generic)))
		goto keep_best;
	buf = vzalloc(PROBE_LEN);
	if (!buf)
		goto keep_best;
	t_best = probe(best, buf);
	t_generic = probe(generic, buf);
	vfree(buf);
	pr_info("crc32c of %d KiB: %s %llu ns, %s %llu ns\n", PROBE_LEN / 1024,
		crypto_shash_driver_name(best), t_best,
		crypto_shash_driver_name(generic), t_generic);
	if (t_generic < t_best)
		swap(best, generic);
keep_best:
	if (!IS_ERR(generic))
		crypto_free_shash(generic);
	csum_tfm = best;
	return 0;
}

/* Also the init ladder's unwind, hence not __exit. */
void ckpt_csum_exit(void)
{
	crypto_free_shash(csum_tfm);
}
