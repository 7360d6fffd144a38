/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copyright (C) 2026 The ckpt authors.
 *
 * libckpt internals shared by the image and area readers (no netlink).
 */
#ifndef LIBCKPT_FORMAT_H
#define LIBCKPT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/ckpt_image.h>

#include "libckpt.h"

/* The formats are little-endian and read by plain loads: say so loudly. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "libckpt reads ckpt images on little-endian hosts only");
_Static_assert(sizeof(struct ckpt_area_sb) <= CKPT_AREA_SB_SIZE,
	       "area superblock larger than its block");

/*
 * Standard CRC-32C of @len bytes at @buf, continuing from @crc: start with 0;
 * libckpt_crc32c(libckpt_crc32c(0, a, n), b, m) is the CRC-32C of a then b.
 * That is the value the kernel writer stores: ~crc32c(~0, data, len).
 */
uint32_t libckpt_crc32c(uint32_t crc, const void *buf, size_t len);
/* @crc followed by @len bytes whose own CRC is 0: see crc32c.c. */
uint32_t libckpt_crc32c_shift(uint32_t crc, uint64_t len);
/* The table-driven and SSE4.2 implementations, for tests. */
uint32_t libckpt_crc32c_sw(uint32_t crc, const void *buf, size_t len);
uint32_t libckpt_crc32c_hw(uint32_t crc, const void *buf, size_t len);
int libckpt_crc32c_hw_available(void);

/* Format @fmt into @err (if any) and return @ret, a negative errno. */
int libckpt_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* CRC of the superblock block @blk as stored: its crc field counted as 0. */
uint32_t libckpt_area_sb_crc(const void *blk);

/* Is an FD record of @type a descriptor object (eventfd .. epoll)? */
bool libckpt_fdobj_type(uint32_t type);
/* 0 if the object state of @f (its @data) is well-formed, else -1 and @why. */
int libckpt_fdobj_check(const struct ckpt_rec_fd *f, const void *data, char *why,
			size_t len);

/*
 * The descriptor @img was read and verified through: a restore fills
 * memory through the same open file, never a file opened again by name.
 */
int libckpt_image_fd(const struct libckpt_image *img);
/*
 * 0 if @img is not an area generation or the area still holds it where it
 * was verified; else -ESTALE with the reason in @err.
 */
int libckpt_image_still_held(const struct libckpt_image *img, char *err,
			     size_t errlen);

/*
 * As libckpt_image_open(), for a restore: every record is read and checked
 * but the page data is skipped, and the image's checksum is checked later
 * by libckpt_image_check_data() from the CRCs of the data as it is filled.
 * Not for a stream ("-").
 */
int libckpt_image_open_deferred(const char *spec, struct libckpt_image **out,
				char *err, size_t errlen);

/*
 * A stream read from @in_fd for a lazy restore, every byte copied to
 * @spool_fd at its offset in the image (a memfd: the restore fills memory
 * from it). Like libckpt_image_open(); the first walk of its pages
 * (libckpt_image_page_runs()) stops at the first late run of a version
 * 12 image, having told its callback where every late run's contents
 * will be (data NULL); libckpt_image_resume() reads the rest, checks it
 * and the trailer, and calls @fn for each piece of it as it arrives.
 */
int libckpt_image_open_spooled(int in_fd, int spool_fd, struct libckpt_image **out,
			       char *err, size_t errlen);
/* Did the walk of a spooled stream stop at its late runs? */
bool libckpt_image_paused(const struct libckpt_image *img);
int libckpt_image_resume(struct libckpt_image *img, libckpt_pages_fn fn, void *arg,
			 char *err, size_t errlen);

/*
 * The rule of the pages that may come late (CKPT_LATE_*, version 12): a
 * mapping's, and one page's of task @t. The reader checks LATE runs by
 * it; a lazy restore serves later what it allows.
 */
bool libckpt_late_mapping(const struct ckpt_rec_vma *v);
bool libckpt_near_a_thread(const struct libckpt_image_task *t, uint64_t addr);
bool libckpt_run_near_a_thread(const struct libckpt_image_task *t, uint64_t addr,
			       uint64_t end);

/*
 * For an area generation: a read lock (F_OFD_SETLK) on its bytes, held
 * by the open file description of @img's descriptor for as long as it is
 * open; checkpoints and drops through libckpt refuse that area while it
 * is held (lib/freeze.c). 0 for any other image, or -errno.
 */
int libckpt_image_hold(const struct libckpt_image *img);

/*
 * Generation @gen of the area @img is a generation of, opened through a
 * descriptor of its own and verified whole, as libckpt_image_open().
 */
int libckpt_image_open_generation(const struct libckpt_image *img, uint64_t gen,
				  struct libckpt_image **out, char *err, size_t errlen);
/* Is @img a generation of an area? */
bool libckpt_image_in_area(const struct libckpt_image *img);
/* The crc32c of @img's trailer (and area slot) once verified. */
uint32_t libckpt_image_crc(const struct libckpt_image *img);
/* Do the @len bytes at byte @offset of the image's file lie in @img? */
bool libckpt_image_in(const struct libckpt_image *img, uint64_t offset, uint64_t len);

/* @len bytes at byte @offset of the image's file whose CRC-32C is @crc. */
struct libckpt_data_crc {
	uint64_t offset;
	uint64_t len;
	uint32_t crc;
};

/*
 * For an image opened deferred: 0 if @pieces cover its page data and with
 * the rest give the trailer's checksum; else -EBADMSG ("checksum
 * mismatch") or -EINVAL with the reason in @err. 0 for any other image.
 */
int libckpt_image_check_data(const struct libckpt_image *img,
			     const struct libckpt_data_crc *pieces, size_t n,
			     char *err, size_t errlen);

#endif /* LIBCKPT_FORMAT_H */
